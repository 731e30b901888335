/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The linearised variance of influence values over a design (R survey's svyrecvar for the
 * ultimate-cluster, one-stage case): PSU totals, centred within strata, squared and scaled.
 * Every sum is compensated and taken in a fixed order, so results never depend on threads.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "internal/design.h"

/* ---- domains: a set of rows grouped by PSU ---- */

void pkh__dom_free(pkh__dom *dom)
{
    if (dom == NULL || dom->a == NULL) {
        return;
    }
    const size_t nn = (size_t)(dom->n > 0 ? dom->n : 1);
    const size_t mm = (size_t)(dom->m > 0 ? dom->m : 1);
    pkh__free(dom->a, dom->run, nn * sizeof(int32_t));
    pkh__free(dom->a, dom->psu, mm * sizeof(int32_t));
    if (!dom->borrowed) {
        pkh__free(dom->a, dom->stratum, (dom->run != NULL ? mm : nn) * sizeof(int32_t));
    }
    memset(dom, 0, sizeof *dom);
}

static int64_t entry_row(const pkh__dom *dom, int64_t i)
{
    return dom->rows != NULL ? dom->rows[i] : i;
}

pkh_status pkh__dom_init(const pkh_design *d, const int64_t *rows, const int32_t *unit, int64_t n,
                         int threads, const pkh_allocator *a, pkh__dom *dom)
{
    memset(dom, 0, sizeof *dom);
    dom->a = a;
    dom->rows = rows;
    dom->n = n;
    dom->m = n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    if (d->row_psu == NULL) { /* each entry is its own PSU */
        if (d->row_stratum != NULL) {
            dom->stratum = pkh__alloc(a, nn * sizeof(int32_t));
            if (dom->stratum == NULL) {
                return PKH_ENOMEM;
            }
            for (int64_t i = 0; i < n; i++) {
                dom->stratum[i] = unit != NULL ? unit[i] : d->row_stratum[entry_row(dom, i)];
            }
        }
        return PKH_OK;
    }
    if (n >= d->npsu / 2) {
        /* a large domain (the whole sample): the design's own PSU numbers, no sort; PSUs
         * without entries get total 0, which is what domain estimation gives them */
        dom->m = d->npsu;
        dom->run = pkh__alloc(a, nn * sizeof(int32_t));
        dom->psu = pkh__alloc(a, (size_t)d->npsu * sizeof(int32_t));
        if (dom->run == NULL || dom->psu == NULL) {
            pkh__dom_free(dom);
            return PKH_ENOMEM;
        }
        for (int64_t i = 0; i < n; i++) {
            dom->run[i] = unit != NULL ? unit[i] : d->row_psu[entry_row(dom, i)];
        }
        for (int64_t j = 0; j < d->npsu; j++) {
            dom->psu[j] = (int32_t)j;
        }
        dom->stratum = d->psu_stratum;
        dom->borrowed = true;
        return PKH_OK;
    }
    /* the entries' PSUs in the design's order (a radix sort), numbered 0..m-1 */
    uint64_t *keys = pkh__alloc(a, nn * sizeof *keys);
    int64_t *perm = pkh__alloc(a, nn * sizeof *perm);
    dom->run = pkh__alloc(a, nn * sizeof(int32_t));
    pkh_status st = keys == NULL || perm == NULL || dom->run == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t i = 0; st == PKH_OK && i < n; i++) {
        keys[i] = (uint64_t)(unit != NULL ? unit[i] : d->row_psu[entry_row(dom, i)]);
    }
    if (st == PKH_OK) {
        st = pkh__radix_argsort(keys, n, threads, a, perm);
    }
    int64_t m = 0;
    for (int64_t p = 0; st == PKH_OK && p < n; p++) {
        m += p == 0 || keys[perm[p]] != keys[perm[p - 1]];
        dom->run[perm[p]] = (int32_t)(m - 1);
    }
    dom->m = m;
    const size_t mm = (size_t)(m > 0 ? m : 1);
    if (st == PKH_OK) {
        dom->psu = pkh__alloc(a, mm * sizeof(int32_t));
        dom->stratum = d->psu_stratum != NULL ? pkh__alloc(a, mm * sizeof(int32_t)) : NULL;
        st = dom->psu == NULL || (d->psu_stratum != NULL && dom->stratum == NULL) ? PKH_ENOMEM
                                                                                  : PKH_OK;
    }
    for (int64_t p = 0; st == PKH_OK && p < n; p++) {
        const int32_t r = dom->run[perm[p]];
        dom->psu[r] = (int32_t)keys[perm[p]];
        if (dom->stratum != NULL) {
            dom->stratum[r] = d->psu_stratum[keys[perm[p]]];
        }
    }
    pkh__free(a, keys, nn * sizeof *keys);
    pkh__free(a, perm, nn * sizeof *perm);
    if (st != PKH_OK) {
        pkh__dom_free(dom);
    }
    return st;
}

/* PSU totals of u over the domain's PSUs (m values into t). A PSU holds a few rows (about 10 in
 * SUSENAS), so plain sums in a fixed order lose nothing that matters; the sums over PSUs and
 * strata, where thousands of terms meet, are compensated. */
static void run_totals(const pkh__dom *dom, const double *u, int64_t stride, double *t)
{
    memset(t, 0, (size_t)dom->m * sizeof *t);
    const int32_t *run = dom->run;
    for (int64_t i = 0; i < dom->n; i++) {
        t[run[i]] += u[i * stride];
    }
}

/* ---- the variance of PSU totals ---- */

/* Per-stratum accumulators. */
typedef struct sacc {
    pkh__ksum sa, sb, q;
    int64_t m;
} sacc;

/* A stratum's contribution to the covariance, from its sums. */
static double stratum_term(const pkh_design *d, int32_t h, const sacc *s)
{
    const double n = (double)d->stratum_npsu[h];
    const double A = pkh__ksum_value(&s->sa), B = pkh__ksum_value(&s->sb);
    switch (d->stratum_kind[h]) {
    case PKH__STRATUM_NORMAL: {
        pkh__ksum q = s->q;
        if (s->m < d->stratum_npsu[h]) { /* PSUs without entries: totals 0 */
            pkh__ksum_add(&q, (double)(d->stratum_npsu[h] - s->m) * (A / n) * (B / n));
        }
        return d->stratum_scale[h] * pkh__ksum_value(&q);
    }
    case PKH__STRATUM_ADJUST:
        return d->stratum_scale[h] * A * B;
    default:
        return 0;
    }
}

/* One pass, for PSUs in any order: per stratum, sums of the totals shifted by the stratum's
 * first totals (ka, kb), so that sum (a - abar)(b - bbar) = sum (a - ka)(b - kb) - Sa Sb / n
 * stays accurate (the shift is a value of the sample, within a few SDs of the mean) and is
 * exactly 0 when a stratum's totals are all equal. PSUs without entries have totals 0. */
typedef struct shifted {
    double ka, kb;
    pkh__ksum sa, sb, q;
    int64_t m;
    double pa, pb, pq; /* plain partial sums of the current block, folded in every BLOCK */
    int fill;
} shifted;

/* Rows as PSUs give millions of terms: plain sums over blocks of BLOCK terms (an error of
 * about BLOCK ulps of a block's magnitude), folded into the compensated sums, cost a fraction
 * of a compensated add per term. */
#define BLOCK 128

static void fold(shifted *s)
{
    pkh__ksum_add(&s->sa, s->pa);
    pkh__ksum_add(&s->sb, s->pb);
    pkh__ksum_add(&s->q, s->pq);
    s->pa = s->pb = s->pq = 0;
    s->fill = 0;
}

static double shifted_term(const pkh_design *d, int32_t h, shifted *s)
{
    const int64_t n = d->stratum_npsu[h];
    if (d->stratum_kind[h] == PKH__STRATUM_ADJUST) { /* uncentred: the one PSU's total */
        return d->stratum_scale[h] * (s->m > 0 ? s->ka * s->kb : 0);
    }
    if (d->stratum_kind[h] != PKH__STRATUM_NORMAL || s->m == 0) {
        return 0;
    }
    const double zeros = (double)(n - s->m); /* PSUs with total 0: 0 - k */
    pkh__ksum_add(&s->sa, -zeros * s->ka);
    pkh__ksum_add(&s->sb, -zeros * s->kb);
    pkh__ksum_add(&s->q, zeros * s->ka * s->kb);
    const double A = pkh__ksum_value(&s->sa), B = pkh__ksum_value(&s->sb);
    pkh__ksum q = s->q;
    pkh__ksum_add(&q, -A * B / (double)n);
    return d->stratum_scale[h] * pkh__ksum_value(&q);
}

/*
 * Covariance of two vectors of PSU totals ta[k * sa], tb[k * sb] (k < m), PSU k in stratum
 * st[k] (st NULL: one stratum); PSUs that do not appear have zero totals. When the strata come
 * in contiguous blocks (`sorted`, the domains of PSU designs), each block is summed and then
 * centred while it is in cache (two passes, exact zeros stay zero, as in R); otherwise (rows as
 * PSUs, in income order) one pass with shifted sums.
 */
static pkh_status cov_totals(const pkh_design *d, int64_t m, const int32_t *st, bool sorted,
                             const double *ta, int64_t sa, const double *tb, int64_t sb,
                             const pkh_allocator *a, double *out)
{
    pkh__ksum total = {0, 0};
    if (sorted) {
        for (int64_t lo = 0; lo < m;) {
            const int32_t h = st != NULL ? st[lo] : 0;
            int64_t hi = lo;
            sacc s = {{0, 0}, {0, 0}, {0, 0}, 0};
            /* plain sums over blocks of BLOCK PSUs, folded into the compensated ones */
            double pa = 0, pb = 0;
            int fill = 0;
            while (hi < m && (st == NULL || st[hi] == h)) {
                pa += ta[hi * sa];
                pb += tb[hi * sb];
                if (++fill == BLOCK) {
                    pkh__ksum_add(&s.sa, pa);
                    pkh__ksum_add(&s.sb, pb);
                    pa = pb = 0;
                    fill = 0;
                }
                hi++;
            }
            pkh__ksum_add(&s.sa, pa);
            pkh__ksum_add(&s.sb, pb);
            s.m = hi - lo;
            if (d->stratum_kind[h] == PKH__STRATUM_NORMAL) {
                const double n = (double)d->stratum_npsu[h];
                const double ma = pkh__ksum_value(&s.sa) / n, mb = pkh__ksum_value(&s.sb) / n;
                double pq = 0;
                fill = 0;
                for (int64_t k = lo; k < hi; k++) {
                    pq += (ta[k * sa] - ma) * (tb[k * sb] - mb);
                    if (++fill == BLOCK) {
                        pkh__ksum_add(&s.q, pq);
                        pq = 0;
                        fill = 0;
                    }
                }
                pkh__ksum_add(&s.q, pq);
            }
            pkh__ksum_add(&total, stratum_term(d, h, &s));
            lo = hi;
        }
        *out = d->factor * pkh__ksum_value(&total);
        return PKH_OK;
    }
    const size_t ns = (size_t)(st != NULL ? d->nstrata : 1);
    shifted *acc = pkh__calloc(a, ns, sizeof *acc);
    if (acc == NULL) {
        return PKH_ENOMEM;
    }
    /* a run of PSUs of one stratum (a domain inside a stratum: all of it) is summed in
     * registers, the same terms in the same order as one by one */
    for (int64_t k = 0; k < m;) {
        const int32_t h = st != NULL ? st[k] : 0;
        shifted *s = &acc[h];
        if (s->m == 0) {
            s->ka = ta[k * sa];
            s->kb = tb[k * sb];
        }
        const double ka = s->ka, kb = s->kb;
        double pa = s->pa, pb = s->pb, pq = s->pq;
        int fill = s->fill;
        const int64_t from = k;
        do {
            const double dx = ta[k * sa] - ka, dy = tb[k * sb] - kb;
            pa += dx;
            pb += dy;
            pq += dx * dy;
            if (++fill == BLOCK) {
                s->pa = pa;
                s->pb = pb;
                s->pq = pq;
                fold(s);
                pa = pb = pq = 0;
                fill = 0;
            }
            k++;
        } while (k < m && (st == NULL || st[k] == h));
        s->m += k - from;
        s->pa = pa;
        s->pb = pb;
        s->pq = pq;
        s->fill = fill;
    }
    for (size_t h = 0; h < ns; h++) {
        fold(&acc[h]);
        pkh__ksum_add(&total, shifted_term(d, (int32_t)h, &acc[h]));
    }
    pkh__free(a, acc, ns * sizeof *acc);
    *out = d->factor * pkh__ksum_value(&total);
    return PKH_OK;
}

pkh_status pkh__dom_cov(const pkh_design *d, const pkh__dom *dom, const double *ua,
                        const double *ub, int64_t stride, double *out)
{
    if (dom->run == NULL) {
        return cov_totals(d, dom->m, dom->stratum, false, ua, stride, ub, stride, dom->a, out);
    }
    const size_t mm = (size_t)(dom->m > 0 ? dom->m : 1);
    double *ta = pkh__alloc(dom->a, mm * sizeof(double));
    double *tb = ub != ua ? pkh__alloc(dom->a, mm * sizeof(double)) : ta;
    pkh_status st = ta == NULL || tb == NULL ? PKH_ENOMEM : PKH_OK;
    if (st == PKH_OK) {
        run_totals(dom, ua, stride, ta);
        if (tb != ta) {
            run_totals(dom, ub, stride, tb);
        }
        st = cov_totals(d, dom->m, dom->stratum, true, ta, 1, tb, 1, dom->a, out);
    }
    if (tb != ta) {
        pkh__free(dom->a, tb, mm * sizeof(double));
    }
    pkh__free(dom->a, ta, mm * sizeof(double));
    return st;
}

/* ---- cross terms with one shared influence vector ---- */

pkh_status pkh__design_cross_prepare(const pkh_design *d, const pkh__dom *dom, const double *ub,
                                     double *c)
{
    const size_t ns = (size_t)d->nstrata, mm = (size_t)(dom->m > 0 ? dom->m : 1);
    pkh__ksum *sum = pkh__calloc(dom->a, ns, sizeof *sum);
    double *t = dom->run != NULL ? pkh__alloc(dom->a, mm * sizeof(double)) : NULL;
    if (sum == NULL || (dom->run != NULL && t == NULL)) {
        pkh__free(dom->a, sum, ns * sizeof *sum);
        pkh__free(dom->a, t, mm * sizeof(double));
        return PKH_ENOMEM;
    }
    const double *tb = ub;
    if (t != NULL) {
        run_totals(dom, ub, 1, t);
        tb = t;
    }
    for (int64_t k = 0; k < dom->m; k++) {
        pkh__ksum_add(&sum[dom->stratum != NULL ? dom->stratum[k] : 0], tb[k]);
    }
    /* every PSU: -mean of its stratum (untouched PSUs have total 0) */
    for (int64_t j = 0; j < d->npsu; j++) {
        const int32_t h = pkh__design_psu_stratum(d, j);
        const double n = (double)d->stratum_npsu[h];
        c[j] = d->stratum_kind[h] == PKH__STRATUM_NORMAL
                   ? -d->factor * d->stratum_scale[h] * (pkh__ksum_value(&sum[h]) / n)
                   : 0.0;
    }
    for (int64_t k = 0; k < dom->m; k++) {
        const int64_t psu = dom->run != NULL ? dom->psu[k] : pkh__design_psu(d, entry_row(dom, k));
        const int32_t h = pkh__design_psu_stratum(d, psu);
        if (d->stratum_kind[h] == PKH__STRATUM_NORMAL ||
            d->stratum_kind[h] == PKH__STRATUM_ADJUST) {
            c[psu] += d->factor * d->stratum_scale[h] * tb[k];
        }
    }
    pkh__free(dom->a, t, mm * sizeof(double));
    pkh__free(dom->a, sum, ns * sizeof *sum);
    return PKH_OK;
}

double pkh__design_cross(const pkh_design *d, const int64_t *rows, const double *ua, int64_t n,
                         const double *c)
{
    pkh__ksum s = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        if (ua[i] != 0) {
            pkh__ksum_add(&s, ua[i] * c[pkh__design_psu(d, rows != NULL ? rows[i] : i)]);
        }
    }
    return pkh__ksum_value(&s);
}

/* ---- the public API ---- */

static pkh_status check_finite(const double *z, int64_t n, int64_t stride, const int64_t *rows,
                               pkh_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(z[i * stride])) {
            return pkh__errorf(err, PKH_EINVAL, "influence value of row %lld is not finite",
                               (long long)(rows != NULL ? rows[i] : i) + 1);
        }
    }
    return PKH_OK;
}

/* PSU totals of a full-length z (one value per row) into t (npsu values). */
static void dense_totals(const pkh_design *d, const double *z, double *t, pkh__ksum *acc)
{
    memset(acc, 0, (size_t)d->npsu * sizeof *acc);
    for (int64_t i = 0; i < d->nrows; i++) {
        pkh__ksum_add(&acc[d->row_psu[i]], z[i]);
    }
    for (int64_t j = 0; j < d->npsu; j++) {
        t[j] = pkh__ksum_value(&acc[j]);
    }
}

pkh_status pkh_design_covariance(const pkh_design *d, const double *z, int64_t k, double *cov,
                                 pkh_error *err)
{
    if (d == NULL || z == NULL || cov == NULL || k < 1) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_design_covariance: NULL argument or k < 1");
    }
    pkh_status st = check_finite(z, d->nrows * k, 1, NULL, err);
    if (st != PKH_OK) {
        return st;
    }
    const pkh_allocator *a = d->a;
    const int64_t n = d->nrows;
    double *t = NULL;
    pkh__ksum *acc = NULL;
    const size_t tb = (size_t)d->npsu * (size_t)k * sizeof(double);
    if (d->row_psu != NULL) {
        t = pkh__alloc(a, tb);
        acc = pkh__alloc(a, (size_t)d->npsu * sizeof *acc);
        if (t == NULL || acc == NULL) {
            pkh__free(a, t, tb);
            pkh__free(a, acc, (size_t)d->npsu * sizeof *acc);
            return pkh__enomem(err);
        }
        for (int64_t c = 0; c < k; c++) {
            dense_totals(d, z + c * n, t + c * d->npsu, acc);
        }
    }
    const double *base = t != NULL ? t : z;
    const int64_t len = t != NULL ? d->npsu : n;
    double *res = pkh__alloc(a, (size_t)(k * k) * sizeof(double));
    st = res == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t i = 0; i < k && st == PKH_OK; i++) {
        for (int64_t j = i; j < k && st == PKH_OK; j++) {
            st = cov_totals(d, len, d->psu_stratum, t != NULL, base + i * len, 1, base + j * len, 1,
                            a, &res[i * k + j]);
            res[j * k + i] = res[i * k + j];
        }
    }
    if (st == PKH_OK) {
        memcpy(cov, res, (size_t)(k * k) * sizeof(double));
    }
    pkh__free(a, res, (size_t)(k * k) * sizeof(double));
    pkh__free(a, t, tb);
    pkh__free(a, acc, (size_t)d->npsu * sizeof *acc);
    return st == PKH_OK ? PKH_OK : pkh__enomem(err);
}

pkh_status pkh_design_variance(const pkh_design *d, const double *z, double *var, pkh_error *err)
{
    return pkh_design_covariance(d, z, 1, var, err);
}

pkh_status pkh_design_variance_rows(const pkh_design *d, const int64_t *rows, const double *z,
                                    int64_t n, int64_t k, double *var, pkh_error *err)
{
    if (d == NULL || (n > 0 && (rows == NULL || z == NULL)) || var == NULL || k < 1 || n < 0) {
        return pkh__errorf(err, PKH_EINVAL,
                           "pkh_design_variance_rows: NULL argument, n < 0 or "
                           "k < 1");
    }
    for (int64_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= d->nrows) {
            return pkh__errorf(err, PKH_EINVAL, "row %lld is outside the design's %lld rows",
                               (long long)rows[i], (long long)d->nrows);
        }
    }
    pkh_status st = check_finite(z, n * k, 1, NULL, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__dom dom;
    st = pkh__dom_init(d, rows, NULL, n, 1, d->a, &dom);
    double *res = pkh__alloc(d->a, (size_t)k * sizeof(double));
    st = st == PKH_OK && res == NULL ? PKH_ENOMEM : st;
    for (int64_t c = 0; c < k && st == PKH_OK; c++) {
        st = pkh__dom_cov(d, &dom, z + c, z + c, k, &res[c]);
    }
    if (st == PKH_OK) {
        memcpy(var, res, (size_t)k * sizeof(double));
    }
    pkh__free(d->a, res, (size_t)k * sizeof(double));
    pkh__dom_free(&dom);
    return st == PKH_OK ? PKH_OK : pkh__enomem(err);
}

double pkh_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0)) {
        return NAN;
    }
    if (isinf(df)) {
        return gsl_cdf_ugaussian_Pinv(p);
    }
    return gsl_cdf_tdist_Pinv(p, df);
}
