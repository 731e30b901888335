/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh_pmt_fit: the rows of the fit -> categorical levels and dummies per model -> weighted
 * means, cross-products, solve (pmt_wls.c) -> residuals, model-based and design-based SEs ->
 * scores for every row that has its covariates -> cross-validation and targeting (pmt_eval.c)
 * -> results.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "internal/io.h"
#include "internal/targeting.h"

/* ---- options and columns ---- */

static pkh_status check_options(const pkh_pmt_options *o, pkh_error *err)
{
    if (o->target == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "which column is the target? (--target)");
    }
    if (o->n_covariates + o->n_categorical == 0) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the model needs covariates (--covariates) or "
                           "categorical covariates (--categorical)");
    }
    if (!isnan(o->quota) && !(o->quota > 0 && o->quota < 1)) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the quota is a share of persons: it must be "
                           "between 0 and 1, exclusive (got %g)",
                           o->quota);
    }
    if (!isnan(o->quota) && o->benchmark.kind == PKH_BENCHMARK_NONE) {
        return pkh__errorf(err, PKH_EINVAL,
                           "targeting at a quota needs a benchmark "
                           "(line:NUMBER, line:COL or share:F)");
    }
    if (o->folds < 0 || o->folds == 1) {
        return pkh__errorf(err, PKH_EINVAL, "cross-validation needs at least 2 folds (got %d)",
                           o->folds);
    }
    if (!(o->level > 0 && o->level < 1) && o->level != 0) {
        return pkh__errorf(err, PKH_EINVAL, "the confidence level must be in (0, 1)");
    }
    return PKH_OK;
}

static pkh_status resolve(pkh__pmt *p)
{
    const pkh_pmt_options *o = p->o;
    pkh_status st = pkh__tg_numeric(p->t, o->target, "target", &p->yc, p->err);
    if (st == PKH_OK) {
        st = pkh__tg_numeric(p->t, o->weight, "weight", &p->wc, p->err);
    }
    if (st == PKH_OK && o->model_by != NULL) {
        st = pkh_table_column(p->t, o->model_by, &p->mc, p->err);
    }
    p->nnum = (int)o->n_covariates;
    p->ncat = (int)o->n_categorical;
    p->numc = pkh__calloc(p->a, (size_t)p->nnum + 1, sizeof *p->numc);
    p->catc = pkh__calloc(p->a, (size_t)p->ncat + 1, sizeof *p->catc);
    if (st == PKH_OK && (p->numc == NULL || p->catc == NULL)) {
        return pkh__enomem(p->err);
    }
    for (int j = 0; j < p->nnum && st == PKH_OK; j++) {
        st = pkh_table_column(p->t, o->covariates[j], &p->numc[j], p->err);
        if (st == PKH_OK && p->numc[j]->type == PKH_TYPE_DICT) {
            st = pkh__errorf(p->err, PKH_ETYPE,
                             "the covariate \"%s\" holds text, not numbers: "
                             "give it as a categorical covariate (--categorical %s)",
                             o->covariates[j], o->covariates[j]);
        }
    }
    for (int j = 0; j < p->ncat && st == PKH_OK; j++) {
        st = pkh_table_column(p->t, o->categorical[j], &p->catc[j], p->err);
    }
    return st;
}

/* ---- which rows: scoreable (every covariate present) and in the fit ---- */

static bool covariates_present(const pkh__pmt *p, int64_t r)
{
    for (int j = 0; j < p->nnum; j++) {
        if (!pkh__tg_present(p->numc[j], r)) {
            return false;
        }
    }
    for (int j = 0; j < p->ncat; j++) {
        if (!pkh__tg_present(p->catc[j], r)) {
            return false;
        }
    }
    return p->mc == NULL || pkh__tg_present(p->mc, r);
}

/* 1 in the fit; 0 left out (counted); an error for a negative weight. */
static pkh_status fit_row(pkh__pmt *p, int64_t r, bool *use)
{
    *use = false;
    if (p->o->filter != NULL && !p->o->filter[r]) {
        p->info.filtered_out++;
        return PKH_OK;
    }
    if (p->mc != NULL && !pkh__tg_present(p->mc, r)) {
        p->info.missing_key++;
        return PKH_OK;
    }
    if (!p->scoreable[r] || !pkh__tg_present(p->yc, r) ||
        (p->wc != NULL && !pkh__tg_present(p->wc, r))) {
        p->info.missing++;
        return PKH_OK;
    }
    if (p->wc != NULL && !(pkh__tg_num(p->wc, r) >= 0 && isfinite(pkh__tg_num(p->wc, r)))) {
        return pkh__errorf(p->err, PKH_EINVAL,
                           "negative or invalid weight in column \"%s\" at "
                           "data row %lld",
                           p->o->weight, (long long)r + 1);
    }
    if (p->o->log_target && !(pkh__tg_num(p->yc, r) > 0)) {
        p->info.nonpositive++;
        return PKH_OK;
    }
    *use = true;
    return PKH_OK;
}

static pkh_status alloc_rows(pkh__pmt *p)
{
    const size_t nn = (size_t)(p->t->num_rows > 0 ? p->t->num_rows : 1);
    p->row = pkh__alloc(p->a, nn * 8);
    p->y = pkh__alloc(p->a, nn * 8);
    p->w = pkh__alloc(p->a, nn * 8);
    p->g = pkh__alloc(p->a, nn * 4);
    p->num = pkh__calloc(p->a, (size_t)p->nnum + 1, sizeof *p->num);
    p->cat = pkh__calloc(p->a, (size_t)p->ncat + 1, sizeof *p->cat);
    bool ok = p->row && p->y && p->w && p->g && p->num && p->cat;
    for (int j = 0; ok && j < p->nnum; j++) {
        ok = (p->num[j] = pkh__alloc(p->a, nn * 8)) != NULL;
    }
    for (int j = 0; ok && j < p->ncat; j++) {
        ok = (p->cat[j] = pkh__alloc(p->a, nn * 4)) != NULL;
    }
    return ok ? PKH_OK : pkh__enomem(p->err);
}

static pkh_status gather(pkh__pmt *p)
{
    const int64_t nr = p->t->num_rows;
    p->scoreable = pkh__alloc(p->a, (size_t)(nr > 0 ? nr : 1));
    if (p->scoreable == NULL) {
        return pkh__enomem(p->err);
    }
    for (int64_t r = 0; r < nr; r++) {
        p->scoreable[r] = covariates_present(p, r);
    }
    pkh_status st = alloc_rows(p);
    for (int j = 0; j < p->ncat && st == PKH_OK; j++) {
        st = pkh_groups_new(p->t, &p->o->categorical[j], 1, p->scoreable, p->o->threads,
                            &p->levels[j], p->err);
    }
    if (st == PKH_OK && p->mc != NULL) {
        st = pkh_groups_new(p->t, &p->o->model_by, 1, p->scoreable, p->o->threads, &p->mg, p->err);
    }
    p->nmodels = p->mg != NULL ? pkh_groups_count(p->mg) : 1;
    int64_t m = 0;
    for (int64_t r = 0; r < nr && st == PKH_OK; r++) {
        bool use;
        st = fit_row(p, r, &use);
        if (st != PKH_OK || !use) {
            continue;
        }
        const double y = pkh__tg_num(p->yc, r);
        p->row[m] = r;
        p->y[m] = p->o->log_target ? log(y) : y;
        p->w[m] = p->wc != NULL ? pkh__tg_num(p->wc, r) : 1;
        p->g[m] = p->mg != NULL ? pkh_groups_ids(p->mg)[r] : 0;
        for (int j = 0; j < p->nnum; j++) {
            p->num[j][m] = pkh__tg_num(p->numc[j], r);
        }
        for (int j = 0; j < p->ncat; j++) {
            p->cat[j][m] = pkh_groups_ids(p->levels[j])[r];
        }
        m++;
    }
    p->n = p->info.used = m;
    if (st == PKH_OK && m == 0) {
        st = pkh__errorf(p->err, PKH_EEMPTY,
                         "no rows for the fit: every row is filtered out "
                         "or misses the target, a covariate or the weight");
    }
    return st;
}

/* Used rows by model (a stable counting sort). */
static pkh_status model_rows(pkh__pmt *p)
{
    const int64_t K = p->nmodels;
    p->morder = pkh__alloc(p->a, (size_t)p->n * 8);
    p->moff = pkh__calloc(p->a, (size_t)K + 2, 8);
    p->models = pkh__calloc(p->a, (size_t)K, sizeof *p->models);
    if (p->morder == NULL || p->moff == NULL || p->models == NULL) {
        return pkh__enomem(p->err);
    }
    for (int64_t i = 0; i < p->n; i++) {
        p->moff[p->g[i] + 2]++;
    }
    for (int64_t g = 0; g < K; g++) {
        p->moff[g + 2] += p->moff[g + 1];
    }
    for (int64_t i = 0; i < p->n; i++) {
        p->morder[p->moff[p->g[i] + 1]++] = i;
    }
    for (int64_t g = 0; g < K; g++) {
        p->models[g].rows = p->morder + p->moff[g];
        p->models[g].m = p->moff[g + 1] - p->moff[g];
    }
    return PKH_OK;
}

/* ---- terms ---- */

/* Text of level `l` of categorical j ("" for missing). */
static void level_text(const pkh__pmt *p, int j, int64_t l, char *buf, size_t cap)
{
    const pkh_column *kc = pkh_table_column_at(pkh_groups_keys(p->levels[j]), 0);
    if (kc->type == PKH_TYPE_DICT) {
        const int32_t code = ((const int32_t *)kc->values)[l];
        const size_t len = (size_t)(kc->dict_offsets[code + 1] - kc->dict_offsets[code]);
        snprintf(buf, cap, "%.*s", (int)len, kc->dict_data + kc->dict_offsets[code]);
    } else if (kc->type == PKH_TYPE_INT64) {
        snprintf(buf, cap, "%lld", (long long)((const int64_t *)kc->values)[l]);
    } else if (kc->type == PKH_TYPE_BOOL) {
        snprintf(buf, cap, "%s", pkh__bit_get(kc->values, l) ? "true" : "false");
    } else {
        char num[32];
        pkh_format_double(((const double *)kc->values)[l], num);
        snprintf(buf, cap, "%s", num);
    }
}

static void model_name(const pkh__pmt *p, int64_t g, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (p->mg == NULL) {
        return;
    }
    const pkh_column *kc = pkh_table_column_at(pkh_groups_keys(p->mg), 0);
    char v[128];
    if (kc->type == PKH_TYPE_DICT) {
        const int32_t code = ((const int32_t *)kc->values)[g];
        snprintf(v, sizeof v, "%.*s", (int)(kc->dict_offsets[code + 1] - kc->dict_offsets[code]),
                 kc->dict_data + kc->dict_offsets[code]);
    } else {
        double x;
        pkh_column_get_double(kc, g, &x);
        pkh_format_double(x, v);
    }
    snprintf(buf, cap, " in the model for %s=%s", p->o->model_by, v);
}

/* Dummies of each categorical for one model: its levels among the model's rows, the first
 * (sorted) the reference. */
static pkh_status make_terms(pkh__pmt *p, int64_t g, pkh__pmt_model *m)
{
    char where[200];
    model_name(p, g, where, sizeof where);
    m->dummy = pkh__calloc(p->a, (size_t)p->ncat + 1, sizeof *m->dummy);
    if (m->dummy == NULL) {
        return pkh__enomem(p->err);
    }
    int k = p->nnum;
    for (int j = 0; j < p->ncat; j++) {
        const int64_t L = pkh_groups_count(p->levels[j]);
        int32_t *d = pkh__alloc(p->a, (size_t)(L > 0 ? L : 1) * 4);
        if ((m->dummy[j] = d) == NULL) {
            return pkh__enomem(p->err);
        }
        for (int64_t l = 0; l < L; l++) {
            d[l] = -2;
        }
        for (int64_t i = 0; i < m->m; i++) {
            d[p->cat[j][m->rows[i]]] = -1;
        }
        int64_t present = 0;
        for (int64_t l = 0; l < L; l++) {
            if (d[l] == -1) {
                d[l] = present++ == 0 ? -1 : k++;
            }
        }
        if (present < 2) {
            char lv[128] = "";
            for (int64_t l = 0; l < L && present == 1; l++) {
                if (d[l] == -1) {
                    level_text(p, j, l, lv, sizeof lv);
                }
            }
            return pkh__errorf(p->err, PKH_EINVAL,
                               "the categorical covariate \"%s\" has a "
                               "single level (%s) among the rows of the fit%s: it cannot "
                               "explain anything; leave it out",
                               p->o->categorical[j], lv, where);
        }
    }
    m->k = k;
    m->terms = pkh__calloc(p->a, (size_t)k + 1, sizeof *m->terms);
    if (m->terms == NULL) {
        return pkh__enomem(p->err);
    }
    m->terms[0] = pkh__strdup(p->a, "(Intercept)");
    for (int j = 0; j < p->nnum; j++) {
        m->terms[j + 1] = pkh__strdup(p->a, p->o->covariates[j]);
    }
    for (int j = 0; j < p->ncat; j++) {
        for (int64_t l = 0; l < pkh_groups_count(p->levels[j]); l++) {
            if (m->dummy[j][l] >= 0) {
                char lv[200], name[400];
                level_text(p, j, l, lv, sizeof lv);
                snprintf(name, sizeof name, "%s=%s", p->o->categorical[j], lv);
                m->terms[m->dummy[j][l] + 1] = pkh__strdup(p->a, name);
            }
        }
    }
    for (int j = 0; j <= k; j++) {
        if (m->terms[j] == NULL) {
            return pkh__enomem(p->err);
        }
    }
    return PKH_OK;
}

pkh__pmt_rows pkh__pmt_rows_of(const pkh__pmt *p, const pkh__pmt_model *m)
{
    pkh__pmt_rows r;
    r.k = m->k;
    r.nnum = p->nnum;
    r.ncat = p->ncat;
    r.num = (const double *const *)p->num;
    r.cat = (const int32_t *const *)p->cat;
    r.dummy = (const int32_t *const *)m->dummy;
    r.y = p->y;
    r.w = p->w;
    r.shift = m->shift;
    return r;
}

/* ---- fitting one model ---- */

/* Weighted means of the regressors and y (the shift of the cross-products), columnar: a
 * numeric column's sum of w x, a dummy's sum of the weights of its level. */
static pkh_status weighted_means(pkh__pmt *p, pkh__pmt_model *m)
{
    const int k = m->k;
    int64_t L = 1;
    for (int j = 0; j < p->ncat; j++) {
        L = pkh_groups_count(p->levels[j]) > L ? pkh_groups_count(p->levels[j]) : L;
    }
    m->shift = pkh__calloc(p->a, (size_t)k + 1, 8);
    pkh__ksum *s = pkh__calloc(p->a, (size_t)(k + 2 + L), sizeof *s);
    if (m->shift == NULL || s == NULL) {
        pkh__free(p->a, s, (size_t)(k + 2 + L) * sizeof *s);
        return pkh__enomem(p->err);
    }
    pkh__ksum *lev = s + k + 2;
    for (int64_t t = 0; t < m->m; t++) {
        const int64_t i = m->rows[t];
        pkh__ksum_add(&s[k], p->w[i] * p->y[i]);
        pkh__ksum_add(&s[k + 1], p->w[i]);
    }
    const double W = pkh__ksum_value(&s[k + 1]);
    for (int j = 0; j < p->nnum; j++) {
        for (int64_t t = 0; t < m->m; t++) {
            const int64_t i = m->rows[t];
            pkh__ksum_add(&s[j], p->w[i] * p->num[j][i]);
        }
    }
    for (int c = 0; c < p->ncat; c++) {
        memset(lev, 0, (size_t)L * sizeof *lev);
        for (int64_t t = 0; t < m->m; t++) {
            const int64_t i = m->rows[t];
            pkh__ksum_add(&lev[p->cat[c][i]], p->w[i]);
        }
        for (int64_t l = 0; l < pkh_groups_count(p->levels[c]); l++) {
            if (m->dummy[c][l] >= 0) {
                s[m->dummy[c][l]] = lev[l];
            }
        }
    }
    for (int j = 0; j <= k && W > 0; j++) {
        m->shift[j] = pkh__ksum_value(&s[j]) / W;
    }
    pkh__free(p->a, s, (size_t)(k + 2 + L) * sizeof *s);
    return PKH_OK;
}

/* Per categorical, each level's coefficient (0 for the reference and absent levels). */
static pkh_status level_coefs(pkh__pmt *p, pkh__pmt_model *m)
{
    m->lcoef = pkh__calloc(p->a, (size_t)p->ncat + 1, sizeof *m->lcoef);
    if (m->lcoef == NULL) {
        return pkh__enomem(p->err);
    }
    for (int c = 0; c < p->ncat; c++) {
        const int64_t L = pkh_groups_count(p->levels[c]);
        if ((m->lcoef[c] = pkh__calloc(p->a, (size_t)(L > 0 ? L : 1), 8)) == NULL) {
            return pkh__enomem(p->err);
        }
        for (int64_t l = 0; l < L; l++) {
            const int32_t d = m->dummy[c][l];
            m->lcoef[c][l] = d >= 0 ? m->fit.beta[d + 1] : 0;
        }
    }
    return PKH_OK;
}

/* The prediction of used row i, without building its regressors. */
static double predict_used(const pkh__pmt *p, const pkh__pmt_model *m, int64_t i)
{
    double s = m->fit.beta[0];
    for (int j = 0; j < p->nnum; j++) {
        s += m->fit.beta[j + 1] * p->num[j][i];
    }
    for (int c = 0; c < p->ncat; c++) {
        s += m->lcoef[c][p->cat[c][i]];
    }
    return s;
}

static pkh_status residuals(pkh__pmt *p, pkh__pmt_model *m)
{
    pkh_status st = level_coefs(p, m);
    pkh__ksum s = {0, 0};
    for (int64_t t = 0; t < m->m && st == PKH_OK; t++) {
        const int64_t i = m->rows[t];
        const double e = p->y[i] - predict_used(p, m, i);
        pkh__ksum_add(&s, p->w[i] * e * e);
    }
    m->sse = pkh__ksum_value(&s);
    return st;
}

static pkh_status collinear(pkh__pmt *p, pkh__pmt_model *m, int64_t g, int bad)
{
    char where[200];
    model_name(p, g, where, sizeof where);
    const char *name = m->terms[bad + 1];
    if (m->fit.k == 0 && bad < 0) {
        return pkh__errorf(p->err, PKH_ENUMERIC, "the model cannot be solved%s", where);
    }
    return pkh__errorf(p->err, PKH_ENUMERIC,
                       "perfectly collinear covariates%s: \"%s\" is "
                       "constant or a linear combination of the terms before it (the "
                       "intercept, then the covariates in the order given); leave it out",
                       where, name);
}

static pkh_status fit_model(pkh__pmt *p, int64_t g)
{
    pkh__pmt_model *m = &p->models[g];
    pkh_status st = make_terms(p, g, m);
    st = st == PKH_OK ? weighted_means(p, m) : st;
    pkh__xp xp = {0, NULL, 0};
    if (st == PKH_OK) {
        st = pkh__xp_init(&xp, m->k, p->a) == PKH_OK ? PKH_OK : pkh__enomem(p->err);
    }
    if (st == PKH_OK) {
        pkh__pmt_rows r = pkh__pmt_rows_of(p, m);
        st = pkh__xp_accumulate(&r, m->rows, m->m, p->o->threads, p->a, &xp);
        st = st == PKH_ENOMEM ? pkh__enomem(p->err) : st;
    }
    if (st == PKH_OK && xp.n <= m->k + 1) {
        char where[200];
        model_name(p, g, where, sizeof where);
        st = pkh__errorf(p->err, PKH_EINVAL,
                         "%lld observations for %d parameters%s: the fit "
                         "needs more observations than parameters",
                         (long long)xp.n, m->k + 1, where);
    }
    int bad = -1;
    if (st == PKH_OK) {
        st = pkh__wls_solve(&xp, m->shift, 0, p->a, &m->fit, &bad);
        st = st == PKH_ENUMERIC ? collinear(p, m, g, bad)
             : st == PKH_ENOMEM ? pkh__enomem(p->err)
             : st == PKH_EEMPTY ? pkh__errorf(p->err, PKH_EEMPTY,
                                              "the weights of the fit "
                                              "add up to 0")
                                : st;
    }
    pkh__xp_free(&xp, p->a);
    m->fitted = st == PKH_OK;
    st = st == PKH_OK ? residuals(p, m) : st;
    if (st == PKH_OK) {
        m->se_model = pkh__calloc(p->a, (size_t)m->k + 1, 8);
        m->se_design = pkh__calloc(p->a, (size_t)m->k + 1, 8);
        st = m->se_model == NULL || m->se_design == NULL ? pkh__enomem(p->err) : PKH_OK;
    }
    if (st == PKH_OK) {
        const double s2 = m->sse / (double)(m->fit.n - m->k - 1);
        for (int j = 0; j <= m->k; j++) {
            m->se_model[j] = sqrt(s2 * pkh__wls_cov(&m->fit, j, j));
            m->se_design[j] = NAN;
        }
        st = p->o->design != NULL ? pkh__pmt_design_se(p, m) : PKH_OK;
    }
    return st;
}

/* ---- scores of every row with its covariates ---- */

static pkh_status score_rows(pkh__pmt *p)
{
    for (int64_t r = 0; r < p->t->num_rows; r++) {
        p->score[r] = NAN;
        if (!p->scoreable[r]) {
            continue;
        }
        const int64_t g = p->mg != NULL ? pkh_groups_ids(p->mg)[r] : 0;
        const pkh__pmt_model *m = g >= 0 ? &p->models[g] : NULL;
        if (m == NULL || !m->fitted) {
            continue;
        }
        double s = m->fit.beta[0];
        bool known = true;
        for (int j = 0; j < p->nnum; j++) {
            s += m->fit.beta[j + 1] * pkh__tg_num(p->numc[j], r);
        }
        for (int c = 0; c < p->ncat && known; c++) {
            const int32_t l = pkh_groups_ids(p->levels[c])[r];
            known = m->dummy[c][l] != -2; /* a level the model never saw has no coefficient */
            s += m->lcoef[c][l];
        }
        if (known) {
            p->score[r] = s;
            p->info.scored++;
        }
    }
    return PKH_OK;
}

/* ---- results ---- */

typedef struct res_rows {
    int64_t n, cap;
    int64_t *seg, *cnt;
    const char **ind, **term;
    double *v[8]; /* estimate se t p ci_low ci_high se_model df */
} res_rows;

enum { R_EST, R_SE, R_T, R_P, R_LO, R_HI, R_SEM, R_DF };

static pkh_status res_add(const pkh_allocator *a, res_rows *r, int64_t seg, const char *ind,
                          const char *term, int64_t cnt)
{
    if (r->n == r->cap) {
        const int64_t cap = r->cap ? 2 * r->cap : 256;
        const size_t o = (size_t)(r->cap > 0 ? r->cap : 1), nw = (size_t)cap;
        res_rows g = *r;
        g.seg = pkh__alloc(a, nw * 8);
        g.cnt = pkh__alloc(a, nw * 8);
        g.ind = pkh__alloc(a, nw * sizeof *g.ind);
        g.term = pkh__alloc(a, nw * sizeof *g.term);
        bool ok = g.seg && g.cnt && g.ind && g.term;
        for (int j = 0; j < 8; j++) {
            g.v[j] = pkh__alloc(a, nw * 8);
            ok = ok && g.v[j] != NULL;
        }
        if (ok && r->n > 0) {
            memcpy(g.seg, r->seg, (size_t)r->n * 8);
            memcpy(g.cnt, r->cnt, (size_t)r->n * 8);
            memcpy(g.ind, r->ind, (size_t)r->n * sizeof *g.ind);
            memcpy(g.term, r->term, (size_t)r->n * sizeof *g.term);
            for (int j = 0; j < 8; j++) {
                memcpy(g.v[j], r->v[j], (size_t)r->n * 8);
            }
        }
        res_rows *drop = ok ? r : &g;
        const size_t dn = ok ? o : nw;
        pkh__free(a, drop->seg, dn * 8);
        pkh__free(a, drop->cnt, dn * 8);
        pkh__free(a, drop->ind, dn * sizeof *g.ind);
        pkh__free(a, drop->term, dn * sizeof *g.term);
        for (int j = 0; j < 8; j++) {
            pkh__free(a, drop->v[j], dn * 8);
        }
        if (!ok) {
            return PKH_ENOMEM;
        }
        g.cap = cap;
        *r = g;
    }
    const int64_t i = r->n++;
    r->seg[i] = seg;
    r->cnt[i] = cnt;
    r->ind[i] = ind;
    r->term[i] = term;
    for (int j = 0; j < 8; j++) {
        r->v[j][i] = NAN;
    }
    return PKH_OK;
}

static void res_free(const pkh_allocator *a, res_rows *r)
{
    const size_t c = (size_t)(r->cap > 0 ? r->cap : 1);
    pkh__free(a, r->seg, c * 8);
    pkh__free(a, r->cnt, c * 8);
    pkh__free(a, r->ind, c * sizeof *r->ind);
    pkh__free(a, r->term, c * sizeof *r->term);
    for (int j = 0; j < 8; j++) {
        pkh__free(a, r->v[j], c * 8);
    }
}

/* Estimate, SE, t, two-sided p and t interval of a row. */
static void inference(res_rows *r, int64_t i, double est, double se, double df, double level)
{
    r->v[R_EST][i] = est;
    r->v[R_SE][i] = se;
    r->v[R_DF][i] = df;
    if (!(se > 0) || !(df >= 1)) {
        return;
    }
    const double t = est / se;
    r->v[R_T][i] = t;
    r->v[R_P][i] = isfinite(t) ? 2 * gsl_cdf_tdist_Q(fabs(t), df) : NAN;
    const double q = pkh_t_quantile((1 + level) / 2, df);
    r->v[R_LO][i] = est - q * se;
    r->v[R_HI][i] = est + q * se;
}

static pkh_status model_results(pkh__pmt *p, int64_t g, res_rows *r)
{
    const pkh__pmt_model *m = &p->models[g];
    const int64_t seg = p->mg != NULL ? g + 1 : 0, n = m->fit.n;
    const double level = p->o->level > 0 ? p->o->level : 0.95;
    const bool design = p->o->design != NULL;
    const double df = design ? (double)m->df_design : (double)(n - m->k - 1);
    pkh_status st = PKH_OK;
    for (int j = 0; j <= m->k && st == PKH_OK; j++) {
        st = res_add(p->a, r, seg, NULL, m->terms[j], n);
        if (st == PKH_OK) {
            inference(r, r->n - 1, m->fit.beta[j], design ? m->se_design[j] : m->se_model[j], df,
                      level);
            r->v[R_SEM][r->n - 1] = m->se_model[j];
        }
    }
    const double r2 = 1 - m->sse / m->fit.syy;
    const double stats[] = {r2,
                            1 - (1 - r2) * (double)(n - 1) / (double)(n - m->k - 1),
                            sqrt(m->sse / (double)(n - m->k - 1)),
                            (double)n,
                            sqrt(m->cv_sse / m->fit.W),
                            1 - m->cv_sse / m->fit.syy};
    static const char *const names[] = {"r2", "r2_adj", "sigma", "n", "cv_rmse", "cv_r2"};
    for (int j = 0; j < (m->cv ? 6 : 4) && st == PKH_OK; j++) {
        st = res_add(p->a, r, seg, names[j], NULL, n);
        if (st == PKH_OK) {
            r->v[R_EST][r->n - 1] = stats[j];
        }
    }
    return st;
}

/* Copy the targeting rows we report from a pkh_targeting_compute result. */
static pkh_status targeting_results(pkh__pmt *p, const pkh_table *tg, bool cv, res_rows *r)
{
    static const char *const keep[] = {"coverage_poor", "exclusion_error", "leakage",
                                       "inclusion_error_nonpoor", "auc"};
    static const char *const cv_names[] = {"cv_coverage_poor", "cv_exclusion_error", "cv_leakage",
                                           "cv_inclusion_error_nonpoor", "cv_auc"};
    const pkh_column *ic = NULL, *c[5];
    const char *cols[] = {"estimate", "se", "ci_low", "ci_high", "n"};
    pkh_status st = pkh_table_column(tg, "indicator", &ic, p->err);
    for (int j = 0; j < 5 && st == PKH_OK; j++) {
        st = pkh_table_column(tg, cols[j], &c[j], p->err);
    }
    const double df = p->o->design != NULL ? (double)pkh_design_df(p->o->design) : NAN;
    for (int64_t i = 0; i < pkh_table_num_rows(tg) && st == PKH_OK; i++) {
        const char *s;
        size_t len;
        pkh_column_dict_value(ic, pkh_column_codes(ic)[i], &s, &len);
        for (int k = 0; k < 5 && st == PKH_OK; k++) {
            if (strlen(keep[k]) != len || memcmp(keep[k], s, len) != 0) {
                continue;
            }
            st = res_add(p->a, r, 0, cv ? cv_names[k] : keep[k], NULL, pkh_column_int64(c[4])[i]);
            const int64_t o = r->n - 1;
            const int slots[] = {R_EST, R_SE, R_LO, R_HI};
            for (int j = 0; j < 4 && st == PKH_OK; j++) {
                r->v[slots[j]][o] =
                    pkh_column_is_valid(c[j], i) ? pkh_column_float64(c[j])[i] : NAN;
            }
            if (st == PKH_OK && p->o->design != NULL) {
                r->v[R_DF][o] = df;
            }
        }
    }
    return st;
}

static pkh_status build_results(pkh__pmt *p, const res_rows *r, pkh_table **out)
{
    static const char *const names[] = {"estimate", "se",      "t",        "p",
                                        "ci_low",   "ci_high", "se_model", "df"};
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(p->o->allocator, &b, p->err);
    if (st == PKH_OK && p->mg != NULL) {
        st = pkh__tg_key_columns(b, pkh_groups_keys(p->mg), r->seg, r->n, p->a, p->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "indicator", r->ind, r->n, p->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "term", r->term, r->n, p->err);
    }
    for (int j = 0; j < 8 && st == PKH_OK; j++) {
        uint8_t *v = pkh__finite_bits(p->a, r->v[j], r->n);
        st = v == NULL ? pkh__enomem(p->err)
                       : pkh_table_builder_add_float64(b, names[j], r->v[j], v, r->n, p->err);
        pkh__free(p->a, v, pkh__bitmap_bytes(r->n));
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "n", r->cnt, NULL, r->n, p->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, p->err);
    }
    pkh_table_builder_free(b);
    return st;
}

static pkh_status results(pkh__pmt *p, pkh_table **out)
{
    res_rows r;
    memset(&r, 0, sizeof r);
    pkh_table *tg = NULL, *tgcv = NULL;
    pkh_status st = PKH_OK;
    if (!isnan(p->o->quota)) {
        st = pkh__pmt_targeting(p, &tg, p->o->folds >= 2 ? &tgcv : NULL);
    }
    /* the whole population's rows first: with model_by, the targeting rows */
    const bool tg_first = p->mg != NULL;
    if (st == PKH_OK && tg_first && tg != NULL) {
        st = targeting_results(p, tg, false, &r);
        st = st == PKH_OK && tgcv != NULL ? targeting_results(p, tgcv, true, &r) : st;
    }
    for (int64_t g = 0; g < p->nmodels && st == PKH_OK; g++) {
        st = model_results(p, g, &r);
    }
    if (st == PKH_OK && !tg_first && tg != NULL) {
        st = targeting_results(p, tg, false, &r);
        st = st == PKH_OK && tgcv != NULL ? targeting_results(p, tgcv, true, &r) : st;
    }
    st = st == PKH_ENOMEM ? pkh__enomem(p->err) : st;
    if (st == PKH_OK) {
        st = build_results(p, &r, out);
    }
    pkh_table_free(tg);
    pkh_table_free(tgcv);
    res_free(p->a, &r);
    return st;
}

static pkh_status score_table(pkh__pmt *p, pkh_table **out)
{
    const int64_t nr = p->t->num_rows;
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(p->o->allocator, &b, p->err);
    uint8_t *v = st == PKH_OK ? pkh__finite_bits(p->a, p->score, nr) : NULL;
    if (st == PKH_OK) {
        st = v == NULL ? pkh__enomem(p->err)
                       : pkh_table_builder_add_float64(b, "score", p->score, v, nr, p->err);
    }
    pkh__free(p->a, v, pkh__bitmap_bytes(nr));
    if (st == PKH_OK && p->o->folds >= 2) {
        v = pkh__finite_bits(p->a, p->cvs, nr);
        st = v == NULL ? pkh__enomem(p->err)
                       : pkh_table_builder_add_float64(b, "cv_score", p->cvs, v, nr, p->err);
        pkh__free(p->a, v, pkh__bitmap_bytes(nr));
    }
    if (st == PKH_OK && !isnan(p->info.cutoff)) {
        uint8_t *e = pkh__alloc(p->a, (size_t)(nr > 0 ? nr : 1));
        v = pkh__finite_bits(p->a, p->score, nr);
        st = e == NULL || v == NULL ? pkh__enomem(p->err) : PKH_OK;
        for (int64_t r = 0; r < nr && st == PKH_OK; r++) {
            e[r] = p->score[r] < p->info.cutoff;
        }
        if (st == PKH_OK) {
            st = pkh_table_builder_add_bool(b, "eligible", e, v, nr, p->err);
        }
        pkh__free(p->a, e, (size_t)(nr > 0 ? nr : 1));
        pkh__free(p->a, v, pkh__bitmap_bytes(nr));
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, p->err);
    }
    pkh_table_builder_free(b);
    return st;
}

/* ---- the entry point ---- */

static void pmt_free(pkh__pmt *p)
{
    const size_t nn = (size_t)(p->t->num_rows > 0 ? p->t->num_rows : 1);
    for (int64_t g = 0; p->models != NULL && g < p->nmodels; g++) {
        pkh__pmt_model *m = &p->models[g];
        for (int j = 0; m->dummy != NULL && j < p->ncat; j++) {
            const int64_t L = pkh_groups_count(p->levels[j]);
            pkh__free(p->a, m->dummy[j], (size_t)(L > 0 ? L : 1) * 4);
        }
        pkh__free(p->a, m->dummy, ((size_t)p->ncat + 1) * sizeof *m->dummy);
        for (int j = 0; m->lcoef != NULL && j < p->ncat; j++) {
            const int64_t L = pkh_groups_count(p->levels[j]);
            pkh__free(p->a, m->lcoef[j], (size_t)(L > 0 ? L : 1) * 8);
        }
        pkh__free(p->a, m->lcoef, ((size_t)p->ncat + 1) * sizeof *m->lcoef);
        for (int j = 0; m->terms != NULL && j <= m->k; j++) {
            pkh__free_str(p->a, m->terms[j]);
        }
        pkh__free(p->a, m->terms, ((size_t)m->k + 1) * sizeof *m->terms);
        pkh__free(p->a, m->shift, ((size_t)m->k + 1) * 8);
        pkh__free(p->a, m->se_model, ((size_t)m->k + 1) * 8);
        pkh__free(p->a, m->se_design, ((size_t)m->k + 1) * 8);
        pkh__wls_free(p->a, &m->fit);
    }
    pkh__free(p->a, p->models, (size_t)p->nmodels * sizeof *p->models);
    for (int j = 0; p->num != NULL && j < p->nnum; j++) {
        pkh__free(p->a, p->num[j], nn * 8);
    }
    for (int j = 0; p->cat != NULL && j < p->ncat; j++) {
        pkh__free(p->a, p->cat[j], nn * 4);
    }
    for (int j = 0; p->levels != NULL && j < p->ncat; j++) {
        pkh_groups_free(p->levels[j]);
    }
    pkh__free(p->a, p->levels, ((size_t)p->ncat + 1) * sizeof *p->levels);
    pkh__free(p->a, p->num, ((size_t)p->nnum + 1) * sizeof *p->num);
    pkh__free(p->a, p->cat, ((size_t)p->ncat + 1) * sizeof *p->cat);
    pkh__free(p->a, p->numc, ((size_t)p->nnum + 1) * sizeof *p->numc);
    pkh__free(p->a, p->catc, ((size_t)p->ncat + 1) * sizeof *p->catc);
    pkh__free(p->a, p->row, nn * 8);
    pkh__free(p->a, p->y, nn * 8);
    pkh__free(p->a, p->w, nn * 8);
    pkh__free(p->a, p->g, nn * 4);
    pkh__free(p->a, p->scoreable, nn);
    pkh__free(p->a, p->score, nn * 8);
    pkh__free(p->a, p->cvs, nn * 8);
    pkh__free(p->a, p->morder, (size_t)(p->n > 0 ? p->n : 1) * 8);
    pkh__free(p->a, p->moff, ((size_t)p->nmodels + 2) * 8);
    pkh_groups_free(p->mg);
}

static pkh_status setup(pkh__pmt *p, const pkh_table *table, const pkh_pmt_options *o,
                        pkh_error *err)
{
    memset(p, 0, sizeof *p);
    p->t = table;
    p->o = o;
    p->a = pkh_allocator_default();
    p->err = err;
    p->info.rows = table->num_rows;
    p->info.cutoff = NAN;
    p->info.df = -1;
    p->nmodels = 1;
    pkh_status st = check_options(o, err);
    if (st == PKH_OK && o->design != NULL && pkh_design_rows(o->design) != table->num_rows) {
        st = pkh__errorf(err, PKH_EINVAL, "the design was made on %lld rows, the data has %lld",
                         (long long)pkh_design_rows(o->design), (long long)table->num_rows);
    }
    st = st == PKH_OK ? resolve(p) : st;
    if (st == PKH_OK) {
        const size_t nn = (size_t)(table->num_rows > 0 ? table->num_rows : 1);
        p->levels = pkh__calloc(p->a, (size_t)p->ncat + 1, sizeof *p->levels);
        p->score = pkh__alloc(p->a, nn * 8);
        p->cvs = pkh__alloc(p->a, nn * 8);
        st = p->levels == NULL || p->score == NULL || p->cvs == NULL ? pkh__enomem(err) : PKH_OK;
        for (int64_t r = 0; st == PKH_OK && r < table->num_rows; r++) {
            p->cvs[r] = NAN;
        }
    }
    st = st == PKH_OK ? gather(p) : st;
    return st == PKH_OK ? model_rows(p) : st;
}

pkh_status pkh_pmt_fit(const pkh_table *table, const pkh_pmt_options *opts, pkh_table **results_out,
                       pkh_table **scores, pkh_pmt_info *info, pkh_error *err)
{
    pkh__pmt p;
    pkh_status st = setup(&p, table, opts, err);
    for (int64_t g = 0; g < p.nmodels && st == PKH_OK; g++) {
        st = fit_model(&p, g);
    }
    st = st == PKH_OK ? score_rows(&p) : st;
    st = st == PKH_OK && opts->folds >= 2 ? pkh__pmt_cross_validate(&p) : st;
    pkh_table *res = NULL, *sc = NULL;
    st = st == PKH_OK ? results(&p, &res) : st;
    if (st == PKH_OK && scores != NULL) {
        st = score_table(&p, &sc);
    }
    if (st == PKH_OK) {
        p.info.models = p.nmodels;
        p.info.terms = p.models[0].k + 1;
        p.info.with_se = opts->design != NULL;
        p.info.df = opts->design != NULL ? pkh_design_df(opts->design) : -1;
        *results_out = res;
        if (scores != NULL) {
            *scores = sc;
        }
        if (info != NULL) {
            *info = p.info;
        }
    } else {
        pkh_table_free(res);
        pkh_table_free(sc);
    }
    pmt_free(&p);
    return st;
}
