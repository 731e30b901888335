/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The sample design of the synthetic survey: strata (province x urban) with their targets,
 * the allocation of households to strata, and PSUs (census blocks) of about ten households.
 */
#include <math.h>

#include "internal/synth.h"

#define PSU_HOUSEHOLDS 10

/* Urban and rural headcount ratios and lines of a province: the urban/rural ratio of the
 * headcount is the same in every province (it reproduces the national 6.69% vs 12.85%), and
 * the lines differ by `line_gap` around the province's line, keeping its population mean. */
static void split_province(const pkh__synth_year *y, int i, int urban, double *p0, double *line)
{
    const pkh__synth_province *p = &y->provinces[i];
    const double u = p->urban_share, P = p->p0 / 100.0;
    if (u >= 1.0 || u <= 0.0) {
        *p0 = P;
        *line = p->line;
        return;
    }
    const double rural = P / (u * y->p0_urban_ratio + 1.0 - u);
    *p0 = urban ? y->p0_urban_ratio * rural : rural;
    const double l =
        urban ? p->line * (1.0 + y->line_gap * (1.0 - u)) : p->line * (1.0 - y->line_gap * u);
    *line = floor(l + 0.5);
}

int pkh__synth_strata_init(const pkh__synth_year *y, pkh__synth_stratum *out)
{
    double total = 0.0;
    for (int i = 0; i < y->n_provinces; i++) {
        total += y->provinces[i].population;
    }
    int n = 0;
    for (int i = 0; i < y->n_provinces; i++) {
        const pkh__synth_province *p = &y->provinces[i];
        for (int urban = 1; urban >= 0; urban--) {
            const double share = urban ? p->urban_share : 1.0 - p->urban_share;
            if (share <= 0.0) {
                continue;
            }
            pkh__synth_stratum *s = &out[n++];
            memset(s, 0, sizeof *s);
            s->prov = i;
            s->urban = urban;
            s->code = (int64_t)p->code * 10 + (urban ? 1 : 2);
            s->population = y->population * p->population / total * share;
            split_province(y, i, urban, &s->p0, &s->line);
            pkh__synth_calibrate(s, y);
        }
    }
    return n;
}

/* Largest-remainder allocation of `n` households in proportion to sqrt(population), after one
 * household per stratum when there are enough: small provinces are over-sampled, as in
 * SUSENAS, so weights differ between strata. */
void pkh__synth_allocate(pkh__synth_stratum *s, int n_strata, int64_t n)
{
    double total = 0.0;
    for (int i = 0; i < n_strata; i++) {
        total += sqrt(s[i].population);
    }
    const int64_t base = n >= n_strata ? 1 : 0;
    const int64_t spread = n - base * n_strata;
    double frac[PKH__SYNTH_MAX_STRATA];
    int64_t given = 0;
    for (int i = 0; i < n_strata; i++) {
        const double q = (double)spread * sqrt(s[i].population) / total;
        const double f = floor(q);
        s[i].n_hh = base + (int64_t)f;
        frac[i] = q - f;
        given += (int64_t)f;
    }
    for (int64_t left = spread - given; left > 0; left--) {
        int best = 0;
        for (int i = 1; i < n_strata; i++) {
            best = frac[i] > frac[best] ? i : best;
        }
        s[best].n_hh++;
        frac[best] = -1.0;
    }
    int64_t hh = 0, psu = 0;
    for (int i = 0; i < n_strata; i++) {
        s[i].first_hh = hh;
        s[i].first_psu = psu;
        s[i].n_psu = s[i].n_hh == 0 ? 0 : (s[i].n_hh + PSU_HOUSEHOLDS / 2) / PSU_HOUSEHOLDS;
        if (s[i].n_hh > 0 && s[i].n_psu == 0) {
            s[i].n_psu = 1;
        }
        hh += s[i].n_hh;
        psu += s[i].n_psu;
    }
}

/* PSU p of stratum s (0-based within it) holds households [first, first + size). The PSUs of a
 * stratum differ in size by at most one. */
void pkh__synth_psu_range(const pkh__synth_stratum *s, int64_t p, int64_t *first, int64_t *size)
{
    const int64_t q = s->n_hh / s->n_psu, rem = s->n_hh % s->n_psu;
    *first = s->first_hh + p * q + (p < rem ? p : rem);
    *size = q + (p < rem ? 1 : 0);
}
