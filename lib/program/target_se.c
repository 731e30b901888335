/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Linearised standard errors of the targeting metrics.
 *
 * A ratio term s R = s A / D of class-masked totals has influence values
 * z_i = s (a_i - R b_i) / D, so within a class every metric's z_i is a fixed combination of the
 * row's person weight, household weight and benefit: z_i = sum_q coef[k][class_i][q] v_q(i).
 * One pass over a domain's rows adds every metric's z into the totals of the row's PSU; the
 * design's engine then takes one entry per PSU (its total, at one of its rows), which gives
 * the same variance as the row values and costs O(PSUs) per metric, not O(rows). The AUC's
 * influence values come from its own walk in score order (target_auc.c).
 */
#include <math.h>
#include <stdlib.h>

#include "internal/design.h"
#include "internal/targeting.h"

#define TG_BLOCK ((int64_t)1 << 23) /* PSU entries x metrics per variance call */

/* Value of quantity q for used row i. */
static inline double qty_value(const pkh__tg *t, int64_t i, int q)
{
    if (q == TG_PERS) {
        return t->p[i];
    }
    if (q == TG_FAM) {
        return t->w[i];
    }
    return TG_R(t->cls[i]) ? (t->b != NULL ? t->w[i] * t->b[i] : t->p[i]) : 0;
}

static void add_term(const pkh__tg *t, int64_t seg, tg_ratio r, double s, double *coef)
{
    double num, den;
    pkh__tg_ratio_parts(t, seg, r, &num, &den);
    const double R = num / den;
    for (int c = 0; c < TG_NCLASS; c++) {
        if (r.num >> c & 1) {
            coef[c * 3 + r.qty] += s / den;
        }
        if (r.den >> c & 1) {
            coef[c * 3 + r.qty] -= s * R / den;
        }
    }
}

/* coef[class * 3 + quantity] of a ratio metric in a segment. */
static void metric_coefs(const pkh__tg *t, int64_t seg, const tg_metric *m, double *coef)
{
    memset(coef, 0, TG_NCLASS * 3 * sizeof *coef);
    add_term(t, seg, m->r1, m->s1, coef);
    if (m->s2 != 0) {
        add_term(t, seg, m->r2, m->s2, coef);
    }
}

void pkh__tg_metric_influence(pkh__tg *t, int64_t seg, const tg_metric *m, double *z)
{
    if (m->auc) {
        tg_auc a;
        pkh__tg_metric_value(t, seg, m, &a);
        int64_t cnt;
        const int64_t *ord = pkh__tg_seg_order(t, seg, &cnt);
        pkh__tg_auc_influence(t->s, t->cls, 1, t->p, ord, cnt, a, t->row, z);
        return;
    }
    double coef[TG_NCLASS * 3];
    metric_coefs(t, seg, m, coef);
    for (int64_t i = 0; i < t->n; i++) {
        if (seg == 0 || t->g[i] == seg - 1) {
            const double *c = coef + t->cls[i] * 3;
            z[t->row[i]] += c[0] * t->p[i] + c[1] * t->w[i] + c[2] * qty_value(t, i, TG_BEN);
        }
    }
}

/* Scratch shared by the segments of one computation. */
typedef struct se_work {
    int64_t *slot; /* per PSU of the design: its entry in the current segment, or -1 */
    int64_t *rep;  /* per entry: a table row of the PSU */
    double *zauc;  /* per used row: the AUC's influence value */
    double *coef;  /* metrics x TG_NCLASS x 3 */
    double *z;     /* entries x metrics of a block */
    int64_t zcap;
    int64_t *grp; /* used rows by group (counting sort), offsets in goff */
    int64_t *goff;
} se_work;

static void work_free(pkh__tg *t, se_work *w)
{
    const pkh_design *d = t->o->design;
    const size_t np = (size_t)(d->npsu > 0 ? d->npsu : 1), n = (size_t)t->n;
    pkh__free(t->a, w->slot, np * 8);
    pkh__free(t->a, w->rep, np * 8);
    pkh__free(t->a, w->zauc, n * 8);
    pkh__free(t->a, w->coef, (size_t)t->nmetrics * TG_NCLASS * 3 * 8);
    pkh__free(t->a, w->z, (size_t)(w->zcap > 0 ? w->zcap : 1) * 8);
    pkh__free(t->a, w->grp, n * 8);
    pkh__free(t->a, w->goff, (size_t)(t->k + 2) * 8);
}

static pkh_status work_init(pkh__tg *t, se_work *w)
{
    memset(w, 0, sizeof *w);
    const pkh_design *d = t->o->design;
    const size_t np = (size_t)(d->npsu > 0 ? d->npsu : 1), n = (size_t)t->n;
    w->slot = pkh__alloc(t->a, np * 8);
    w->rep = pkh__alloc(t->a, np * 8);
    w->zauc = t->s != NULL ? pkh__alloc(t->a, n * 8) : NULL;
    w->coef = pkh__alloc(t->a, (size_t)t->nmetrics * TG_NCLASS * 3 * 8);
    const int64_t ub = t->n < (int64_t)np ? t->n : (int64_t)np;
    w->zcap = ub * t->nmetrics < TG_BLOCK ? ub * t->nmetrics : TG_BLOCK;
    w->z = pkh__alloc(t->a, (size_t)(w->zcap > 0 ? w->zcap : 1) * 8);
    w->grp = t->k > 0 ? pkh__alloc(t->a, n * 8) : NULL;
    w->goff = pkh__calloc(t->a, (size_t)(t->k + 2), 8);
    if (w->slot == NULL || w->rep == NULL || (t->s != NULL && w->zauc == NULL) || w->coef == NULL ||
        w->z == NULL || (t->k > 0 && w->grp == NULL) || w->goff == NULL) {
        return pkh__enomem(t->err);
    }
    for (int64_t j = 0; j < (int64_t)np; j++) {
        w->slot[j] = -1;
    }
    /* rows of each group, in row order */
    for (int64_t i = 0; t->k > 0 && i < t->n; i++) {
        w->goff[t->g[i] + 2]++;
    }
    for (int64_t g = 0; t->k > 0 && g < t->k; g++) {
        w->goff[g + 2] += w->goff[g + 1];
    }
    for (int64_t i = 0; t->k > 0 && i < t->n; i++) {
        w->grp[w->goff[t->g[i] + 1]++] = i;
    }
    return PKH_OK;
}

/* The used rows of a segment: rows[0..m) (NULL: every used row). */
static const int64_t *seg_rows(const pkh__tg *t, const se_work *w, int64_t seg, int64_t *m)
{
    if (seg == 0) {
        *m = t->n;
        return NULL;
    }
    *m = w->goff[seg] - w->goff[seg - 1];
    return w->grp + w->goff[seg - 1];
}

/* PSU totals of metrics [k0, k1) into w->z (entries x (k1 - k0)); returns the entries. */
static int64_t psu_totals(pkh__tg *t, se_work *w, const int64_t *rows, int64_t m, int k0, int k1,
                          int kauc)
{
    const pkh_design *d = t->o->design;
    const int kb = k1 - k0;
    int64_t ne = 0;
    for (int64_t j = 0; j < m; j++) {
        const int64_t i = rows != NULL ? rows[j] : j;
        const int64_t psu = pkh__design_psu(d, t->row[i]);
        int64_t e = w->slot[psu];
        if (e < 0) {
            e = w->slot[psu] = ne++;
            w->rep[e] = t->row[i];
            memset(w->z + e * kb, 0, (size_t)kb * sizeof *w->z);
        }
        const double v[3] = {t->p[i], t->w[i], qty_value(t, i, TG_BEN)};
        double *ze = w->z + e * kb;
        for (int k = k0; k < k1; k++) {
            const double *c = w->coef + ((size_t)k * TG_NCLASS + t->cls[i]) * 3;
            ze[k - k0] += k == kauc ? w->zauc[i] : c[0] * v[0] + c[1] * v[1] + c[2] * v[2];
        }
    }
    for (int64_t e = 0; e < ne; e++) {
        w->slot[pkh__design_psu(d, w->rep[e])] = -1;
    }
    return ne;
}

/* Variances of every metric of a segment (NaN for undefined estimates). */
static pkh_status segment_var(pkh__tg *t, se_work *w, int64_t seg, const double *est, double *var)
{
    int64_t m;
    const int64_t *rows = seg_rows(t, w, seg, &m);
    int kauc = -1;
    for (int k = 0; k < t->nmetrics; k++) {
        var[k] = NAN;
        double *c = w->coef + (size_t)k * TG_NCLASS * 3;
        memset(c, 0, TG_NCLASS * 3 * sizeof *c);
        if (!isfinite(est[k])) {
            continue; /* an undefined ratio: zero influence, and no SE */
        }
        if (t->metrics[k].auc) {
            kauc = k;
            for (int64_t j = 0; j < m; j++) {
                w->zauc[rows != NULL ? rows[j] : j] = 0;
            }
            tg_auc a;
            pkh__tg_metric_value(t, seg, &t->metrics[k], &a);
            int64_t cnt;
            const int64_t *ord = pkh__tg_seg_order(t, seg, &cnt);
            pkh__tg_auc_influence(t->s, t->cls, 1, t->p, ord, cnt, a, NULL, w->zauc);
        } else {
            metric_coefs(t, seg, &t->metrics[k], c);
        }
    }
    /* entries are at most the segment's rows and the design's PSUs */
    const int64_t np = t->o->design->npsu, ub = m < np ? m : np;
    int kb = ub * t->nmetrics <= w->zcap ? t->nmetrics : (int)(w->zcap / (ub > 0 ? ub : 1));
    kb = kb > 0 ? kb : 1;
    pkh_status st = PKH_OK;
    for (int k0 = 0; k0 < t->nmetrics && st == PKH_OK; k0 += kb) {
        const int k1 = k0 + kb < t->nmetrics ? k0 + kb : t->nmetrics;
        const int64_t ne = psu_totals(t, w, rows, m, k0, k1, kauc);
        double v[64];
        st = pkh_design_variance_rows(t->o->design, w->rep, w->z, ne, k1 - k0, v, t->err);
        for (int k = k0; k < k1 && st == PKH_OK; k++) {
            var[k] = isfinite(est[k]) ? v[k - k0] : NAN;
        }
    }
    return st;
}

pkh_status pkh__tg_standard_errors(pkh__tg *t, const double *est, double *se, double *lo,
                                   double *hi)
{
    const int64_t total = t->nseg * t->nmetrics;
    for (int64_t j = 0; j < total; j++) {
        se[j] = lo[j] = hi[j] = NAN;
    }
    if (t->o->design == NULL) {
        return PKH_OK;
    }
    se_work w;
    pkh_status st = work_init(t, &w);
    const double level = t->o->level > 0 ? t->o->level : 0.95;
    const double q = pkh_t_quantile((1 + level) / 2, (double)pkh_design_df(t->o->design));
    for (int64_t seg = 0; seg < t->nseg && st == PKH_OK; seg++) {
        const int64_t base = seg * t->nmetrics;
        double var[64];
        st = segment_var(t, &w, seg, est + base, var);
        for (int k = 0; k < t->nmetrics && st == PKH_OK; k++) {
            if (isfinite(var[k])) {
                se[base + k] = sqrt(var[k]);
                lo[base + k] = est[base + k] - q * se[base + k];
                hi[base + k] = est[base + k] + q * se[base + k];
            }
        }
    }
    work_free(t, &w);
    return st;
}
