/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The synthetic survey's model: household welfare z ~ N(0, 1) drives household size, per-capita
 * expenditure and the dwelling covariates; each stratum's expenditure is placed so that its
 * person-weighted headcount ratio is the target (computed here by quadrature, not by sampling).
 */
#include <math.h>

#include <gsl/gsl_randist.h>

#include "internal/synth.h"

/* Household size: 1 + min(X, MAX - 1), X ~ Poisson(lambda * exp(-SIZE_SLOPE * z)). Poorer
 * households are larger (poor households average about 4.6 persons, all households 3.9). */
#define SIZE_SLOPE 0.12
#define LAMBDA_URBAN 2.80
#define LAMBDA_RURAL 2.95

/* Standard deviation of log per-capita expenditure within a stratum (urban spread is wider). */
#define SIGMA_URBAN 0.655
#define SIGMA_RURAL 0.54

double pkh__synth_expected_size(double lambda, double z)
{
    const double mu = lambda * exp(-SIZE_SLOPE * z);
    double p = exp(-mu), below = 0.0, mean = 0.0;
    for (int x = 0; x < PKH__SYNTH_MAX_SIZE - 1; x++) {
        mean += x * p;
        below += p;
        p *= mu / (x + 1);
    }
    return 1.0 + mean + (PKH__SYNTH_MAX_SIZE - 1) * (1.0 - below);
}

int pkh__synth_draw_size(const pkh__synth_stratum *s, double z, gsl_rng *r)
{
    const unsigned x = gsl_ran_poisson(r, s->lambda * exp(-SIZE_SLOPE * z));
    return 1 + (x < PKH__SYNTH_MAX_SIZE - 1 ? (int)x : PKH__SYNTH_MAX_SIZE - 1);
}

/* The z below which a share p of persons lives, weighting welfare's density by household size:
 * F(c) = int_{-inf}^{c} phi(z) m(z) dz / int phi(z) m(z) dz, trapezoids on a fine grid. */
static double person_quantile(double lambda, double p)
{
    enum { STEPS = 8192 };
    const double lo = -8.0, h = 16.0 / STEPS;
    double prev = 0.0, total = 0.0;
    for (int i = 0; i <= STEPS; i++) {
        const double z = lo + h * i;
        const double f = exp(-0.5 * z * z) * pkh__synth_expected_size(lambda, z);
        if (i > 0) {
            total += 0.5 * h * (prev + f);
        }
        prev = f;
    }
    const double want = p * total;
    double cum = 0.0;
    prev = exp(-0.5 * lo * lo) * pkh__synth_expected_size(lambda, lo);
    for (int i = 1; i <= STEPS; i++) {
        const double z = lo + h * i;
        const double f = exp(-0.5 * z * z) * pkh__synth_expected_size(lambda, z);
        const double step = 0.5 * h * (prev + f);
        if (cum + step >= want) {
            return z - h + h * (want - cum) / step;
        }
        cum += step;
        prev = f;
    }
    return 8.0;
}

void pkh__synth_calibrate(pkh__synth_stratum *s, const pkh__synth_year *y)
{
    const pkh__synth_province *p = &y->provinces[s->prov];
    s->lambda = s->urban ? LAMBDA_URBAN : LAMBDA_RURAL;
    s->sigma = s->urban ? SIGMA_URBAN : SIGMA_RURAL;
    s->cut = person_quantile(s->lambda, s->p0);
    /* Poorer provinces have poorer dwellings and services at the same welfare. */
    s->infra = -0.6 * log(p->p0 / 9.4);
    s->java_bali = (p->code >= 31 && p->code <= 36) || p->code == 51;
}

double pkh__synth_pcexp(const pkh__synth_stratum *s, double z)
{
    return floor(s->line * exp(s->sigma * (z - s->cut)) + 0.5);
}

/* Category 1..k of latent q: 1 above cut[0], 2 between cut[1] and cut[0], ..., k below the
 * last cut (cuts descending: code 1 is the best dwelling). */
static int64_t ordinal(double q, const double *cut, int k)
{
    int64_t c = 1;
    while (c < k && q <= cut[c - 1]) {
        c++;
    }
    return c;
}

void pkh__synth_dwelling_draw(const pkh__synth_stratum *s, double z, gsl_rng *r,
                              pkh__synth_dwelling *out)
{
    static const double roof[] = {1.2, -2.0, -2.6};
    static const double floor_[] = {0.25, -0.92, -1.45, -1.75};
    static const double wall[] = {-0.4, -1.26, -2.2};
    static const double toilet[] = {-0.17, -0.76, -1.5};
    static const double water[] = {1.05, 0.71, -0.8, -1.47};
    static const double fuel[] = {-0.53, -0.69};
    static const double elec[] = {-1.41, -1.91, -2.27};
    const double u = s->urban, inf = s->infra, jb = s->java_bali;
#define E() gsl_ran_gaussian_ziggurat(r, 1.0)
    out->roof = ordinal(0.11 * z + 2.2 * jb + 0.3 * u + 0.3 * inf + E(), roof, 4);
    out->floor = ordinal(0.23 * z + 0.5 * u + 0.4 * inf + E(), floor_, 5);
    out->wall = ordinal(0.16 * z + 0.5 * u + 0.6 * inf + 0.6 * jb + E(), wall, 4);
    out->toilet = ordinal(0.23 * z + 0.6 * u + 0.4 * inf + E(), toilet, 4);
    out->water = ordinal(0.2 * z + 1.0 * u + 0.4 * inf + E(), water, 5);
    out->fuel = ordinal(0.2 * z + 1.2 * u + 0.4 * inf + E(), fuel, 3);
    out->electricity = ordinal(0.13 * z + 0.8 * u + 0.8 * inf + E(), elec, 4);
    const double a = -0.5 + 0.25 * z + 0.3 * u + 0.2 * inf + 0.4 * E();
    out->assets = (int64_t)gsl_ran_binomial(r, 1.0 / (1.0 + exp(-a)), 10);
#undef E
}
