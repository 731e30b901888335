/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Replication: the Rao-Wu rescaling bootstrap's weight factors, and the variance of replicate
 * estimates for bootstrap, jackknife and BRR replicate weights.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "internal/design.h"

size_t pkh__design_rng_state_size(void)
{
    return gsl_rng_mt19937->size;
}

/* Replicate r's stream: GSL seeds are 32-bit, so replicates take consecutive seeds after a hash
 * of the user's seed (mt19937's initialisation decorrelates nearby seeds). */
static void rng_init(gsl_rng *r, void *state, uint64_t seed, int64_t replicate)
{
    const uint64_t base = pkh__hash_u64(seed ^ 0x706b682d626f6f74ULL);
    r->type = gsl_rng_mt19937;
    r->state = state;
    gsl_rng_set(r, (unsigned long)((base + (uint64_t)replicate) & 0xffffffffu));
}

static int64_t psu_at(const pkh_design *d, int64_t k)
{
    return d->psu_list != NULL ? d->psu_list[k] : k;
}

pkh_status pkh__design_boot_psu(const pkh_design *d, uint64_t seed, int64_t rep, void *state,
                                int32_t *count, double *psu_factor, pkh_error *err)
{
    if (rep < 0) {
        return pkh__errorf(err, PKH_EINVAL, "a replicate number cannot be negative");
    }
    gsl_rng r;
    rng_init(&r, state, seed, rep);
    memset(count, 0, (size_t)d->npsu * sizeof *count);
    for (int64_t h = 0; h < d->nstrata; h++) {
        const int64_t n = d->stratum_npsu[h], first = d->stratum_start[h];
        if (n > (int64_t)UINT32_MAX) {
            return pkh__errorf(err, PKH_EOVERFLOW, "a stratum has more than 2^32 PSUs");
        }
        if (n < 2) {
            for (int64_t k = first; k < first + n; k++) {
                psu_factor[psu_at(d, k)] = 1;
            }
            continue;
        }
        /* n - 1 draws with replacement among the stratum's n PSUs */
        for (int64_t k = 0; k < n - 1; k++) {
            count[first + (int64_t)gsl_rng_uniform_int(&r, (unsigned long)n)]++;
        }
        const double lambda = sqrt(d->stratum_fpc[h]);
        const double scale = lambda * (double)n / (double)(n - 1);
        for (int64_t k = first; k < first + n; k++) {
            psu_factor[psu_at(d, k)] = 1 - lambda + scale * count[k];
        }
    }
    return PKH_OK;
}

pkh_status pkh_design_bootstrap_factors(const pkh_design *d, uint64_t seed, int64_t replicate,
                                        double *factors, pkh_error *err)
{
    if (d == NULL || factors == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_design_bootstrap_factors: NULL argument");
    }
    const size_t ss = pkh__design_rng_state_size();
    const size_t np = (size_t)d->npsu;
    void *state = pkh__alloc(d->a, ss);
    int32_t *count = pkh__alloc(d->a, np * sizeof *count);
    double *pf = d->row_psu != NULL ? pkh__alloc(d->a, np * sizeof *pf) : factors;
    pkh_status st = state == NULL || count == NULL || pf == NULL ? pkh__enomem(err) : PKH_OK;
    if (st == PKH_OK) {
        st = pkh__design_boot_psu(d, seed, replicate, state, count, pf, err);
    }
    if (st == PKH_OK && pf != factors) {
        for (int64_t i = 0; i < d->nrows; i++) {
            factors[i] = pf[d->row_psu[i]];
        }
    }
    if (pf != factors) {
        pkh__free(d->a, pf, np * sizeof *pf);
    }
    pkh__free(d->a, count, np * sizeof *count);
    pkh__free(d->a, state, ss);
    return st;
}

/* ---- replicate variances ---- */

const char *pkh_rep_type_name(pkh_rep_type type)
{
    switch (type) {
    case PKH_REP_BOOTSTRAP:
        return "bootstrap";
    case PKH_REP_JK1:
        return "jk1";
    case PKH_REP_JKN:
        return "jkn";
    case PKH_REP_BRR:
        return "brr";
    case PKH_REP_FAY:
        return "fay";
    }
    return "?";
}

pkh_status pkh_rep_type_parse(const char *text, pkh_rep_type *type, double *rho, pkh_error *err)
{
    static const pkh_rep_type simple[] = {PKH_REP_BOOTSTRAP, PKH_REP_JK1, PKH_REP_JKN, PKH_REP_BRR};
    for (size_t i = 0; text != NULL && i < 4; i++) {
        if (strcmp(text, pkh_rep_type_name(simple[i])) == 0) {
            *type = simple[i];
            *rho = 0;
            return PKH_OK;
        }
    }
    if (text != NULL && strncmp(text, "fay:", 4) == 0) {
        char *end = NULL;
        const double v = strtod(text + 4, &end);
        if (end != text + 4 && *end == '\0' && v >= 0 && v < 1) {
            *type = PKH_REP_FAY;
            *rho = v;
            return PKH_OK;
        }
    }
    return pkh__errorf(err, PKH_EINVAL,
                       "replicate weights are of type bootstrap, jk1, jkn, brr "
                       "or fay:RHO with 0 <= RHO < 1 (got \"%s\")",
                       text != NULL ? text : "");
}

pkh_status pkh_replicate_variance(const double *est_r, int64_t R, double est, pkh_rep_type type,
                                  double rho, const double *scales, double *var, pkh_error *err)
{
    if (est_r == NULL || var == NULL || R < 1) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_replicate_variance: no replicates");
    }
    if (type == PKH_REP_JKN && scales == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "jkn replicates need their scales");
    }
    if (type == PKH_REP_FAY && !(rho >= 0 && rho < 1)) {
        return pkh__errorf(err, PKH_EINVAL, "Fay's coefficient must be in [0, 1)");
    }
    pkh__ksum s = {0, 0};
    for (int64_t r = 0; r < R; r++) {
        const double dev = est_r[r] - est;
        pkh__ksum_add(&s, (type == PKH_REP_JKN ? scales[r] : 1.0) * dev * dev);
    }
    const double ss = pkh__ksum_value(&s), n = (double)R;
    switch (type) {
    case PKH_REP_JK1:
        *var = (n - 1) / n * ss;
        break;
    case PKH_REP_JKN:
        *var = ss;
        break;
    case PKH_REP_FAY:
        *var = ss / (n * (1 - rho) * (1 - rho));
        break;
    default:
        *var = ss / n;
        break;
    }
    return PKH_OK;
}

pkh_status pkh_design_jkn_scales(const pkh_design *d, const double *repw, int64_t R, double *scales,
                                 pkh_error *err)
{
    if (d == NULL || repw == NULL || scales == NULL || R < 1) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_design_jkn_scales: NULL argument or R < 1");
    }
    for (int64_t r = 0; r < R; r++) {
        const double *w = repw + r * d->nrows;
        int32_t h = -1;
        for (int64_t i = 0; i < d->nrows; i++) {
            if (w[i] != 0) {
                continue;
            }
            const int32_t hi = d->row_stratum != NULL ? d->row_stratum[i] : 0;
            if (h >= 0 && hi != h) {
                return pkh__errorf(err, PKH_EINVAL,
                                   "jkn replicate %lld sets weights of "
                                   "several strata to 0: a jkn replicate deletes one PSU",
                                   (long long)r + 1);
            }
            h = hi;
        }
        if (h < 0) {
            return pkh__errorf(err, PKH_EINVAL,
                               "jkn replicate %lld deletes no row (no weight "
                               "is 0), so its stratum is unknown",
                               (long long)r + 1);
        }
        const double n = (double)d->stratum_npsu[h];
        scales[r] = (n - 1) / n;
    }
    return PKH_OK;
}
