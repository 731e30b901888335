/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Evaluating a PMT: design-based standard errors of the coefficients (Binder's linearisation),
 * k-fold cross-validation with folds of PSUs, and the targeting errors of the scores at a
 * quota (through pkh_targeting_compute).
 */
#include <math.h>
#include <stdlib.h>

#include "internal/design.h"
#include "internal/targeting.h"

/* svyglm's residual df: PSUs minus strata among the model's rows (R survey's degf of the
 * subset design), + 1 - parameters. */
static pkh_status domain_df(pkh__pmt *p, pkh__pmt_model *m, const int64_t *rep, int64_t ne)
{
    const pkh_design *d = p->o->design;
    const int64_t H = pkh_design_strata(d);
    uint8_t *seen = pkh__calloc(p->a, (size_t)(H > 0 ? H : 1), 1);
    if (seen == NULL) {
        return pkh__enomem(p->err);
    }
    int64_t strata = 0;
    for (int64_t e = 0; e < ne; e++) {
        const int32_t h = pkh__design_psu_stratum(d, pkh__design_psu(d, rep[e]));
        strata += !seen[h];
        seen[h] = 1;
    }
    m->df_design = ne - strata + 1 - (m->k + 1);
    pkh__free(p->a, seen, (size_t)(H > 0 ? H : 1));
    return PKH_OK;
}

/*
 * Design-based SEs. The coefficients solve sum_i w_i x_i (y_i - x_i'b) = 0, so their
 * linearised variables are z_i = w_i e_i (X'WX)^-1 x_i (Binder 1983), svyglm's sandwich
 * A^-1 V A^-1. Rows outside the model (another region, a filter, a left-out row) have z = 0:
 * the model is a domain of the full design. z is linear in x, so each PSU's total is
 * (X'WX)^-1 applied to the PSU's sums of w e (1, x - mean): one pass over the rows adds k + 1
 * numbers each, and the k^2 work is per PSU.
 */
pkh_status pkh__pmt_design_se(pkh__pmt *p, pkh__pmt_model *m)
{
    const pkh_design *d = p->o->design;
    const int q = m->k + 1;
    const int64_t np = d->npsu, ub = m->m < np ? m->m : np;
    const size_t zsz = (size_t)(ub > 0 ? ub : 1) * (size_t)q;
    int64_t *slot = pkh__alloc(p->a, (size_t)np * 8), *rep = pkh__alloc(p->a, (size_t)np * 8);
    double *g = pkh__alloc(p->a, zsz * 8), *z = pkh__alloc(p->a, zsz * 8);
    double *x = pkh__alloc(p->a, (size_t)q * 16), *var = pkh__alloc(p->a, (size_t)q * 8);
    pkh_status st = slot && rep && g && z && x && var ? PKH_OK : pkh__enomem(p->err);
    for (int64_t j = 0; st == PKH_OK && j < np; j++) {
        slot[j] = -1;
    }
    pkh__pmt_rows r = pkh__pmt_rows_of(p, m);
    int64_t ne = 0;
    for (int64_t t = 0; t < m->m && st == PKH_OK; t++) {
        const int64_t i = m->rows[t];
        const int64_t psu = pkh__design_psu(d, p->row[i]);
        int64_t e = slot[psu];
        if (e < 0) {
            e = slot[psu] = ne++;
            rep[e] = p->row[i];
            memset(g + e * q, 0, (size_t)q * 8);
        }
        pkh__pmt_row(&r, i, x);
        const double we = p->w[i] * (p->y[i] - pkh__wls_predict(&m->fit, x));
        double *ge = g + e * q;
        ge[0] += we;
        for (int j = 0; j < m->k; j++) {
            ge[j + 1] += we * (x[j] - m->fit.mean[j]);
        }
    }
    double *u = x + q;
    for (int64_t e = 0; e < ne && st == PKH_OK; e++) {
        const double *ge = g + e * q;
        double *ze = z + e * q;
        ze[0] = ge[0] / m->fit.W;
        for (int a = 0; a < m->k; a++) {
            double s = 0;
            for (int b = 0; b < m->k; b++) {
                s += m->fit.minv[a * m->k + b] * ge[b + 1];
            }
            u[a] = ze[a + 1] = s;
            ze[0] -= m->fit.mean[a] * s;
        }
    }
    st = st == PKH_OK ? domain_df(p, m, rep, ne) : st;
    st = st == PKH_OK ? pkh_design_variance_rows(d, rep, z, ne, q, var, p->err) : st;
    for (int j = 0; j < q && st == PKH_OK; j++) {
        m->se_design[j] = sqrt(var[j]);
    }
    pkh__free(p->a, slot, (size_t)np * 8);
    pkh__free(p->a, rep, (size_t)np * 8);
    pkh__free(p->a, g, zsz * 8);
    pkh__free(p->a, z, zsz * 8);
    pkh__free(p->a, x, (size_t)q * 16);
    pkh__free(p->a, var, (size_t)q * 8);
    return st;
}

/* ---- cross-validation ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), unbiased (Lemire's multiply-shift with rejection). */
static uint64_t bounded(uint64_t *s, uint64_t n)
{
    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)splitmix64(s) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        const uint64_t floor = (0 - n) % n;
        while (low < floor) {
            m = (u128)splitmix64(s) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Fold of each used row: units (PSUs with a design, else table rows) shuffled by the seed,
 * then dealt round-robin, so folds have equal numbers of units. */
static pkh_status assign_folds(pkh__pmt *p, int32_t *fold)
{
    const pkh_design *d = p->o->design;
    const int64_t U = d != NULL ? d->npsu : p->t->num_rows, K = p->o->folds;
    int64_t *perm = pkh__alloc(p->a, (size_t)(U > 0 ? U : 1) * 8);
    int32_t *uf = pkh__alloc(p->a, (size_t)(U > 0 ? U : 1) * 4);
    if (perm == NULL || uf == NULL) {
        pkh__free(p->a, perm, (size_t)(U > 0 ? U : 1) * 8);
        pkh__free(p->a, uf, (size_t)(U > 0 ? U : 1) * 4);
        return pkh__enomem(p->err);
    }
    uint64_t s = p->o->seed;
    for (int64_t i = 0; i < U; i++) {
        perm[i] = i;
    }
    for (int64_t i = U - 1; i > 0; i--) {
        const int64_t j = (int64_t)bounded(&s, (uint64_t)i + 1);
        const int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int64_t i = 0; i < U; i++) {
        uf[perm[i]] = (int32_t)(i % K);
    }
    for (int64_t i = 0; i < p->n; i++) {
        fold[i] = uf[d != NULL ? pkh__design_psu(d, p->row[i]) : p->row[i]];
    }
    pkh__free(p->a, perm, (size_t)(U > 0 ? U : 1) * 8);
    pkh__free(p->a, uf, (size_t)(U > 0 ? U : 1) * 4);
    return PKH_OK;
}

typedef struct cv_work {
    pkh__xp *fold;   /* K: cross-products of each fold */
    pkh__xp *suffix; /* K + 1: folds f.. merged */
    int64_t *order, *off;
    double *x;
    size_t xbytes;
} cv_work;

static void cv_free(pkh__pmt *p, cv_work *w, int64_t K, int64_t m)
{
    for (int64_t f = 0; f <= K; f++) {
        if (f < K && w->fold != NULL) {
            pkh__xp_free(&w->fold[f], p->a);
        }
        if (w->suffix != NULL) {
            pkh__xp_free(&w->suffix[f], p->a);
        }
    }
    pkh__free(p->a, w->fold, (size_t)K * sizeof *w->fold);
    pkh__free(p->a, w->suffix, (size_t)(K + 1) * sizeof *w->suffix);
    pkh__free(p->a, w->order, (size_t)(m > 0 ? m : 1) * 8);
    pkh__free(p->a, w->off, (size_t)(K + 2) * 8);
    pkh__free(p->a, w->x, w->xbytes);
}

/* Rows of the model by fold, and each fold's cross-products (shifted like the model's). */
static pkh_status cv_prepare(pkh__pmt *p, pkh__pmt_model *m, const int32_t *fold, cv_work *w)
{
    const int64_t K = p->o->folds;
    memset(w, 0, sizeof *w);
    w->fold = pkh__calloc(p->a, (size_t)K, sizeof *w->fold);
    w->suffix = pkh__calloc(p->a, (size_t)K + 1, sizeof *w->suffix);
    w->order = pkh__alloc(p->a, (size_t)(m->m > 0 ? m->m : 1) * 8);
    w->off = pkh__calloc(p->a, (size_t)K + 2, 8);
    w->xbytes = (size_t)(m->k + 1) * 8;
    w->x = pkh__alloc(p->a, w->xbytes);
    if (!w->fold || !w->suffix || !w->order || !w->off || !w->x) {
        return pkh__enomem(p->err);
    }
    for (int64_t t = 0; t < m->m; t++) {
        w->off[fold[m->rows[t]] + 2]++;
    }
    for (int64_t f = 0; f < K; f++) {
        w->off[f + 2] += w->off[f + 1];
    }
    for (int64_t t = 0; t < m->m; t++) {
        w->order[w->off[fold[m->rows[t]] + 1]++] = m->rows[t];
    }
    pkh__pmt_rows r = pkh__pmt_rows_of(p, m);
    pkh_status st = PKH_OK;
    for (int64_t f = 0; f <= K && st == PKH_OK; f++) {
        st = pkh__xp_init(&w->suffix[f], m->k, p->a);
        if (st == PKH_OK && f < K) {
            st = pkh__xp_init(&w->fold[f], m->k, p->a);
        }
        if (st == PKH_OK && f < K) {
            st = pkh__xp_accumulate(&r, w->order + w->off[f], w->off[f + 1] - w->off[f],
                                    p->o->threads, p->a, &w->fold[f]);
        }
    }
    for (int64_t f = K - 1; f >= 0 && st == PKH_OK; f--) {
        pkh__xp_merge(&w->suffix[f], &w->suffix[f + 1]);
        pkh__xp_merge(&w->suffix[f], &w->fold[f]);
    }
    return st == PKH_ENOMEM ? pkh__enomem(p->err) : st;
}

/* Fit without fold f (prefix + suffix) and predict its rows. */
static pkh_status cv_fold(pkh__pmt *p, pkh__pmt_model *m, cv_work *w, const pkh__xp *prefix,
                          int64_t f)
{
    if (w->off[f + 1] == w->off[f]) {
        return PKH_OK;
    }
    pkh__xp train;
    if (pkh__xp_init(&train, m->k, p->a) != PKH_OK) {
        return pkh__enomem(p->err);
    }
    pkh__xp_merge(&train, prefix);
    pkh__xp_merge(&train, &w->suffix[f + 1]);
    pkh__wls fit;
    int bad = -1;
    pkh_status st = pkh__wls_solve(&train, m->shift, 1, p->a, &fit, &bad);
    if (st == PKH_OK && train.n <= fit.kept + 1) {
        pkh__wls_free(p->a, &fit);
        st = PKH_EEMPTY;
    }
    pkh__xp_free(&train, p->a);
    if (st != PKH_OK) {
        return st == PKH_ENOMEM ? pkh__enomem(p->err)
                                : pkh__errorf(p->err, PKH_EINVAL,
                                              "cross-validation: without "
                                              "fold %lld too few observations are left to fit "
                                              "the model; use fewer folds",
                                              (long long)f + 1);
    }
    pkh__pmt_rows r = pkh__pmt_rows_of(p, m);
    for (int64_t t = w->off[f]; t < w->off[f + 1]; t++) {
        pkh__pmt_row(&r, w->order[t], w->x);
        p->cvs[p->row[w->order[t]]] = pkh__wls_predict(&fit, w->x);
    }
    pkh__wls_free(p->a, &fit);
    return PKH_OK;
}

static pkh_status cv_model(pkh__pmt *p, pkh__pmt_model *m, const int32_t *fold)
{
    const int64_t K = p->o->folds;
    cv_work w;
    pkh_status st = cv_prepare(p, m, fold, &w);
    pkh__xp prefix = {0, NULL, 0};
    if (st == PKH_OK && pkh__xp_init(&prefix, m->k, p->a) != PKH_OK) {
        st = pkh__enomem(p->err);
    }
    for (int64_t f = 0; f < K && st == PKH_OK; f++) {
        st = cv_fold(p, m, &w, &prefix, f);
        pkh__xp_merge(&prefix, &w.fold[f]);
    }
    pkh__xp_free(&prefix, p->a);
    if (st == PKH_OK) {
        pkh__ksum s = {0, 0};
        for (int64_t t = 0; t < m->m; t++) {
            const int64_t i = m->rows[t];
            const double e = p->y[i] - p->cvs[p->row[i]];
            pkh__ksum_add(&s, p->w[i] * e * e);
        }
        m->cv_sse = pkh__ksum_value(&s);
        m->cv = true;
    }
    cv_free(p, &w, K, m->m);
    return st;
}

pkh_status pkh__pmt_cross_validate(pkh__pmt *p)
{
    int32_t *fold = pkh__alloc(p->a, (size_t)p->n * 4);
    if (fold == NULL) {
        return pkh__enomem(p->err);
    }
    pkh_status st = assign_folds(p, fold);
    for (int64_t g = 0; g < p->nmodels && st == PKH_OK; g++) {
        st = cv_model(p, &p->models[g], fold);
    }
    pkh__free(p->a, fold, (size_t)p->n * 4);
    return st;
}

/* ---- targeting of the scores ---- */

static pkh_status add_score(pkh__pmt *p, pkh_table_builder *b, const char *name, const double *v)
{
    const int64_t n = p->t->num_rows;
    uint8_t *valid = pkh__calloc(p->a, pkh__bitmap_bytes(n), 1);
    if (valid == NULL) {
        return pkh__enomem(p->err);
    }
    for (int64_t r = 0; r < n; r++) {
        if (v[r] == v[r]) {
            pkh__bit_set(valid, r);
        }
    }
    const pkh_status st = pkh_table_builder_add_float64(b, name, v, valid, n, p->err);
    pkh__free(p->a, valid, pkh__bitmap_bytes(n));
    return st;
}

/* A table of the scores and the columns the targeting needs (shared, not copied). */
static pkh_status targeting_table(pkh__pmt *p, pkh_table **out)
{
    const pkh_pmt_options *o = p->o;
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(NULL, &b, p->err);
    st = st == PKH_OK ? add_score(p, b, ".score", p->score) : st;
    st = st == PKH_OK && o->folds >= 2 ? add_score(p, b, ".cv_score", p->cvs) : st;
    const char *names[] = {
        o->income != NULL ? o->income : o->target, o->weight, o->size,
        o->benchmark.kind == PKH_BENCHMARK_LINE_COLUMN ? o->benchmark.column : NULL};
    for (int j = 0; j < 4 && st == PKH_OK; j++) {
        bool dup = names[j] == NULL;
        for (int i = 0; i < j && !dup; i++) {
            dup = names[i] != NULL && strcmp(names[i], names[j]) == 0;
        }
        const pkh_column *c = NULL;
        if (!dup && (st = pkh_table_column(p->t, names[j], &c, p->err)) == PKH_OK) {
            st = pkh_table_builder_add_column(b, NULL, c, p->err);
        }
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, p->err);
    }
    pkh_table_builder_free(b);
    return st;
}

pkh_status pkh__pmt_targeting(pkh__pmt *p, pkh_table **in_sample, pkh_table **cv)
{
    const pkh_pmt_options *o = p->o;
    const int64_t nr = p->t->num_rows;
    pkh_table *t = NULL;
    uint8_t *mask = pkh__calloc(p->a, (size_t)(nr > 0 ? nr : 1), 1);
    pkh_status st = mask == NULL ? pkh__enomem(p->err) : targeting_table(p, &t);
    for (int64_t i = 0; st == PKH_OK && i < p->n; i++) {
        mask[p->row[i]] = 1; /* the rows of the fit */
    }
    pkh_targeting_options to = PKH_TARGETING_OPTIONS_INIT;
    to.income = o->income != NULL ? o->income : o->target;
    to.weight = o->weight;
    to.size = o->size;
    to.benchmark = o->benchmark;
    to.score = ".score";
    to.quota = o->quota;
    to.filter = mask;
    to.design = o->design;
    to.level = o->level;
    to.threads = o->threads;
    pkh_targeting_info info;
    if (st == PKH_OK) {
        st = pkh_targeting_compute(t, &to, in_sample, NULL, &info, p->err);
    }
    if (st == PKH_OK) {
        p->info.cutoff = info.cutoff;
    }
    if (st == PKH_OK && cv != NULL) {
        to.score = ".cv_score";
        st = pkh_targeting_compute(t, &to, cv, NULL, NULL, p->err);
        if (st != PKH_OK) {
            pkh_table_free(*in_sample);
            *in_sample = NULL;
        }
    }
    pkh_table_free(t);
    pkh__free(p->a, mask, (size_t)(nr > 0 ? nr : 1));
    return st;
}
