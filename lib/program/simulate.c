/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh_program_simulate: columns -> weights, sizes, welfare and lines -> per programme:
 * components, what each family would get, who is selected, what each gets -> results
 * (impact.c) and the per-household table.
 */
#include <math.h>
#include <stdio.h>

#include "internal/program.h"
#include "internal/stats.h"

#define CHUNK ((int64_t)1 << 16)

/* ---- columns ---- */

static pkh_status numeric(pkh__simctx *c, const char *name, const char *role,
                          const pkh_column **out)
{
    pkh_status st = pkh_table_column(c->t, name, out, c->err);
    if (st == PKH_OK && (*out)->type == PKH_TYPE_DICT) {
        st = pkh__errorf(c->err, PKH_ETYPE, "the %s column \"%s\" holds text, not numbers", role,
                         name);
    }
    return st;
}

static double num_at(const pkh_column *col, int64_t i)
{
    if (!(col->validity == NULL || pkh__bit_get(col->validity, i))) {
        return NAN;
    }
    switch (col->type) {
    case PKH_TYPE_INT64:
        return (double)((const int64_t *)col->values)[i];
    case PKH_TYPE_FLOAT64:
        return ((const double *)col->values)[i];
    case PKH_TYPE_BOOL:
        return pkh__bit_get(col->values, i);
    case PKH_TYPE_DICT:
        break;
    }
    return NAN;
}

static pkh_status row_error(pkh__simctx *c, const char *what, const char *col, int64_t i)
{
    return pkh__errorf(c->err, PKH_EINVAL, "%s in column \"%s\" at data row %lld", what, col,
                       (long long)i + 1);
}

/* Weights and sizes: every household needs them (families and budgets count them all). */
static pkh_status weights_sizes(pkh__simctx *c)
{
    const pkh_simulate_options *o = c->o;
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    const pkh_column *wc = NULL, *sc = NULL;
    pkh_status st = o->weight != NULL ? numeric(c, o->weight, "weight", &wc) : PKH_OK;
    st = st == PKH_OK && o->size != NULL ? numeric(c, o->size, "size", &sc) : st;
    const pkh_column *ec = NULL;
    st = st == PKH_OK && o->scale != NULL ? numeric(c, o->scale, "equivalence scale", &ec) : st;
    c->w = st == PKH_OK ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    c->s = st == PKH_OK ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    c->e = st == PKH_OK && ec != NULL ? pkh__alloc(c->a, nn * sizeof(double)) : c->s;
    if (st == PKH_OK && (c->w == NULL || c->s == NULL || c->e == NULL)) {
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; ec != NULL && i < c->n && st == PKH_OK; i++) {
        c->e[i] = num_at(ec, i);
        if (!(c->e[i] > 0) || !isfinite(c->e[i])) {
            st = row_error(c,
                           c->e[i] != c->e[i] ? "missing equivalence scale"
                                              : "a non-positive equivalence scale",
                           o->scale, i);
        }
    }
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        const double w = wc != NULL ? num_at(wc, i) : 1, s = sc != NULL ? num_at(sc, i) : 1;
        if (w != w || s != s) {
            st = row_error(c, w != w ? "missing weight" : "missing household size",
                           w != w ? o->weight : o->size, i);
        } else if (!(w >= 0) || !isfinite(w)) {
            st = row_error(c, "negative or invalid weight", o->weight, i);
        } else if (!(s > 0) || !isfinite(s)) {
            st =
                row_error(c, "a household size below 1 (every household has a person)", o->size, i);
        }
        c->w[i] = w;
        c->s[i] = s;
    }
    return st;
}

/* Welfare before the transfer (observed benefit taken out) and the poverty line. */
static pkh_status welfare(pkh__simctx *c)
{
    const pkh_simulate_options *o = c->o;
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    const pkh_column *yc = NULL, *bc = NULL, *zc = NULL;
    pkh_status st = numeric(c, o->income, "income", &yc);
    st = st == PKH_OK && o->observed_benefit != NULL
             ? numeric(c, o->observed_benefit, "observed benefit", &bc)
             : st;
    st = st == PKH_OK && o->line.kind == PKH_LINE_COLUMN ? numeric(c, o->line.column, "line", &zc)
                                                         : st;
    if (st != PKH_OK) {
        return st;
    }
    c->y = pkh__alloc(c->a, nn * sizeof(double));
    c->z = zc != NULL ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    if (c->y == NULL || (zc != NULL && c->z == NULL)) {
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        double y = num_at(yc, i);
        if (y == y && bc != NULL) {
            const double b = num_at(bc, i);
            y -= b == b ? b / (c->periods * c->e[i]) : 0;
        }
        c->y[i] = y;
        if (y != y) {
            c->info.missing_income++;
            continue;
        }
        c->info.used++;
        if (zc != NULL) {
            const double z = num_at(zc, i);
            if (!(z > 0) || !isfinite(z)) {
                st = row_error(c, z != z ? "missing poverty line" : "non-positive poverty line",
                               o->line.column, i);
            }
            c->z[i] = z;
        }
    }
    return st;
}

static pkh_status relative_line(pkh__simctx *c)
{
    const int64_t m = c->info.used;
    const size_t nm = (size_t)(m > 0 ? m : 1);
    double *x = pkh__alloc(c->a, nm * sizeof(double)), *w = pkh__alloc(c->a, nm * sizeof(double));
    pkh_status st = x == NULL || w == NULL ? pkh__enomem(c->err) : PKH_OK;
    int64_t k = 0;
    pkh__ksum sw = {0, 0}, swx = {0, 0};
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        if (c->y[i] == c->y[i]) {
            x[k] = c->y[i];
            w[k] = c->w[i] * c->s[i];
            pkh__ksum_add(&sw, w[k]);
            pkh__ksum_add(&swx, w[k] * x[k]);
            k++;
        }
    }
    double base = NAN;
    if (st == PKH_OK && c->o->line.kind == PKH_LINE_REL_MEDIAN) {
        st = pkh_weighted_quantile(x, w, m, 0.5, PKH_QUANTILE_GT, &base, c->err);
    } else if (st == PKH_OK) {
        base = pkh__ksum_value(&swx) / pkh__ksum_value(&sw);
    }
    pkh__free(c->a, x, nm * sizeof(double));
    pkh__free(c->a, w, nm * sizeof(double));
    c->line = c->o->line.value * base;
    if (st == PKH_OK && !(c->line > 0)) {
        st = pkh__errorf(c->err, PKH_EINVAL,
                         "the relative poverty line is %g: the %s welfare "
                         "is not positive",
                         c->line, c->o->line.kind == PKH_LINE_REL_MEDIAN ? "median" : "mean");
    }
    return st;
}

static pkh_status poverty_line(pkh__simctx *c)
{
    const pkh_line *l = &c->o->line;
    switch (l->kind) {
    case PKH_LINE_NONE:
        return PKH_OK;
    case PKH_LINE_VALUE:
        if (!(l->value > 0) || !isfinite(l->value)) {
            return pkh__errorf(c->err, PKH_EINVAL,
                               "the poverty line should be a positive "
                               "number (got %g)",
                               l->value);
        }
        c->line = l->value;
        return PKH_OK;
    case PKH_LINE_COLUMN: {
        pkh__ksum sw = {0, 0}, swz = {0, 0};
        for (int64_t i = 0; i < c->n; i++) {
            if (c->y[i] == c->y[i]) {
                pkh__ksum_add(&sw, c->w[i] * c->s[i]);
                pkh__ksum_add(&swz, c->w[i] * c->s[i] * c->z[i]);
            }
        }
        c->line = pkh__ksum_value(&swz) / pkh__ksum_value(&sw);
        return PKH_OK;
    }
    case PKH_LINE_REL_MEDIAN:
    case PKH_LINE_REL_MEAN:
        if (!(l->value > 0)) {
            return pkh__errorf(c->err, PKH_EINVAL, "a relative line needs a positive fraction");
        }
        return relative_line(c);
    case PKH_LINE_LOOKUP:
        break;
    }
    return pkh__errorf(c->err, PKH_EUNSUPPORTED,
                       "pkh_program_simulate takes a line as a "
                       "number, a column, or relative to the median or mean; add looked-up "
                       "lines to the households as a column first");
}

/* ---- members ---- */

static pkh_status link_members(pkh__simctx *c)
{
    const pkh_simulate_options *o = c->o;
    if (o->member_key == NULL) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "a member roster needs its household key column "
                           "(--key COL)");
    }
    const char *hkey = o->household_key != NULL ? o->household_key : o->member_key;
    c->nm = o->members->num_rows;
    c->mrow = pkh__alloc(c->a, (size_t)(c->nm > 0 ? c->nm : 1) * sizeof(int64_t));
    if (c->mrow == NULL) {
        return pkh__enomem(c->err);
    }
    pkh__match_info mi;
    pkh_status st =
        pkh__key_match(c->t, hkey, o->members, o->member_key, c->a, c->mrow, &mi, c->err);
    if (st != PKH_OK) {
        return st;
    }
    c->info.members = c->nm;
    c->info.members_unmatched = mi.unmatched;
    c->info.members_missing_key = mi.missing_key;
    if (o->strict && mi.unmatched > 0) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "%lld member rows (%lld without a key) match no "
                           "household on \"%s\"; the first is data row %lld of the members",
                           (long long)mi.unmatched, (long long)mi.missing_key, hkey,
                           (long long)mi.first_unmatched + 1);
    }
    return PKH_OK;
}

/* ---- what each family would get ---- */

typedef struct pot_job {
    pkh__simctx *c;
    pkh__sim *s;
    uint8_t *cand;
} pot_job;

static pkh_status potential_task(void *vctx, int64_t chunk)
{
    pot_job *j = vctx;
    const pkh__simctx *c = j->c;
    pkh__sim *s = j->s;
    const pkh_program *p = s->p;
    const int64_t n = c->n, lo = chunk * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
    int64_t paid[PKH__MAX_COMPONENTS];
    for (int64_t i = lo; i < hi; i++) {
        double b = pkh__paid(p, s->counts, n, i, paid);
        int64_t members = 0;
        for (int64_t k = 0; k < p->n_comp; k++) {
            members += s->counts[k * n + i];
        }
        for (int64_t f = 0; f < p->n_flat; f++) {
            b += s->flat_ok[f * n + i] ? p->flat[f].amount : 0;
        }
        s->benefit[i] = b;
        j->cand[i] = (s->cond == NULL || s->cond[i]) && (!p->require_component || members > 0);
    }
    return PKH_OK;
}

static pkh_status column_values(pkh__simctx *c, const char *name, const char *role, double *v)
{
    const pkh_column *col = NULL;
    pkh_status st = numeric(c, name, role, &col);
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        v[i] = num_at(col, i);
    }
    return st;
}

/* Candidates in score order, taken while the limit holds (whole groups of tied scores). */
static pkh_status rank_select(pkh__simctx *c, pkh__sim *s, const uint8_t *cand, const double *score)
{
    const pkh_program_eligibility *r = &s->rule;
    int64_t m = 0;
    for (int64_t i = 0; i < c->n; i++) {
        m += cand[i] && score[i] == score[i];
    }
    const size_t nm = (size_t)(m > 0 ? m : 1);
    int64_t *rows = pkh__alloc(c->a, nm * sizeof(int64_t));
    int64_t *perm = pkh__alloc(c->a, nm * sizeof(int64_t));
    uint64_t *keys = pkh__alloc(c->a, nm * sizeof(uint64_t));
    pkh_status st = rows == NULL || perm == NULL || keys == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t i = 0, k = 0; i < c->n && st == PKH_OK; i++) {
        if (cand[i] && score[i] == score[i]) {
            rows[k] = i;
            keys[k++] = pkh__double_key(score[i]);
        }
    }
    st = st == PKH_OK ? pkh__radix_argsort(keys, m, c->threads, c->a, perm) : st;
    double limit = r->value;
    if (r->kind == PKH_SELECT_QUOTA) {
        pkh__ksum all = {0, 0};
        for (int64_t i = 0; i < c->n; i++) {
            pkh__ksum_add(&all, c->w[i]);
        }
        limit = r->value * pkh__ksum_value(&all);
    }
    pkh__ksum used = {0, 0};
    int64_t j = 0;
    double first_cost = NAN;
    while (st == PKH_OK && j < m) {
        const double sc = score[rows[perm[j]]];
        int64_t e = j;
        pkh__ksum cost = {0, 0};
        for (; e < m && score[rows[perm[e]]] == sc; e++) {
            const int64_t i = rows[perm[e]];
            pkh__ksum_add(&cost, r->kind == PKH_SELECT_BUDGET ? c->w[i] * s->benefit[i] : c->w[i]);
        }
        first_cost = j == 0 ? pkh__ksum_value(&cost) : first_cost;
        pkh__ksum next = used;
        pkh__ksum_merge(&next, &cost);
        if (pkh__ksum_value(&next) > limit) {
            break;
        }
        used = next;
        j = e;
    }
    for (int64_t k = 0; k < j && st == PKH_OK; k++) {
        s->elig[rows[perm[k]]] = 1;
    }
    s->cutoff = j < m && st == PKH_OK ? score[rows[perm[j]]] : NAN;
    if (st == PKH_OK && j == 0 && m > 0) {
        const int64_t i = rows[perm[0]];
        if (r->kind == PKH_SELECT_BUDGET) {
            st = pkh__errorf(c->err, PKH_EINVAL,
                             "a budget of %.17g %s pays for no family: the "
                             "lowest-scoring household alone costs %.17g (a benefit of %.17g a "
                             "year for the %.17g families its weight stands for)",
                             r->value, s->p->currency, first_cost, s->benefit[i], c->w[i]);
        } else {
            st = pkh__errorf(c->err, PKH_EINVAL,
                             "%s selects no family: the lowest-scoring "
                             "household alone stands for %.17g families (its weight), more "
                             "than %.17g",
                             r->kind == PKH_SELECT_QUOTA ? "the quota" : "the number of families",
                             first_cost, limit);
        }
    }
    pkh__free(c->a, rows, nm * sizeof(int64_t));
    pkh__free(c->a, perm, nm * sizeof(int64_t));
    pkh__free(c->a, keys, nm * sizeof(uint64_t));
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

static pkh_status check_rule(pkh__simctx *c, const pkh_program_eligibility *r)
{
    const double x = r->value;
    if (r->kind > PKH_SELECT_BUDGET) {
        return pkh__errorf(c->err, PKH_EINVAL, "unknown selection rule %d", (int)r->kind);
    }
    if (r->kind >= PKH_SELECT_RECIPIENT && r->column == NULL) {
        return pkh__errorf(c->err, PKH_EINVAL, "this selection needs a %s column",
                           r->kind == PKH_SELECT_RECIPIENT ? "recipient" : "score");
    }
    if (r->kind == PKH_SELECT_QUOTA && !(x > 0 && x <= 1)) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "the quota is a share of all families, above 0 "
                           "and at most 1, e.g. 0.15 (got %g)",
                           x);
    }
    if ((r->kind == PKH_SELECT_FAMILIES || r->kind == PKH_SELECT_BUDGET) &&
        (!(x > 0) || !isfinite(x))) {
        return pkh__errorf(c->err, PKH_EINVAL, "the %s should be a positive number (got %g)",
                           r->kind == PKH_SELECT_BUDGET ? "budget" : "number of families", x);
    }
    if (r->kind == PKH_SELECT_CUTOFF && !isfinite(x)) {
        return pkh__errorf(c->err, PKH_EINVAL, "the cut-off should be a number");
    }
    return PKH_OK;
}

static pkh_status select_families(pkh__simctx *c, pkh__sim *s, const uint8_t *cand)
{
    const pkh_program_eligibility *r = &s->rule;
    pkh_status st = check_rule(c, r);
    if (st != PKH_OK || r->kind == PKH_SELECT_PROGRAM || r->kind == PKH_SELECT_ALL) {
        memcpy(s->elig, cand, (size_t)c->n);
        return st;
    }
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    double *v = pkh__alloc(c->a, nn * sizeof(double));
    if (v == NULL) {
        return pkh__enomem(c->err);
    }
    st = column_values(c, r->column, r->kind == PKH_SELECT_RECIPIENT ? "recipient" : "score", v);
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        s->missing_score += r->kind != PKH_SELECT_RECIPIENT && v[i] != v[i];
        if (r->kind == PKH_SELECT_RECIPIENT) {
            s->elig[i] = cand[i] && v[i] == v[i] && v[i] != 0;
        } else if (r->kind == PKH_SELECT_CUTOFF) {
            s->elig[i] = cand[i] && v[i] < r->value;
        }
    }
    if (st == PKH_OK && r->kind >= PKH_SELECT_QUOTA) {
        st = rank_select(c, s, cand, v);
    }
    if (st == PKH_OK && r->kind == PKH_SELECT_CUTOFF) {
        s->cutoff = r->value;
    }
    pkh__free(c->a, v, nn * sizeof(double));
    return st;
}

static pkh_status run_programme(pkh__simctx *c, pkh__sim *s)
{
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    const pkh_program_eligibility *own = &s->p->elig;
    s->rule = c->o->eligibility.kind != PKH_SELECT_PROGRAM ? c->o->eligibility : *own;
    s->cutoff = NAN;
    pkh_status st = pkh__sim_components(c, s);
    s->benefit = st == PKH_OK ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    s->elig = st == PKH_OK ? pkh__calloc(c->a, nn, 1) : NULL;
    uint8_t *cand = st == PKH_OK ? pkh__alloc(c->a, nn) : NULL;
    if (st == PKH_OK && (s->benefit == NULL || s->elig == NULL || cand == NULL)) {
        st = pkh__enomem(c->err);
    }
    if (st == PKH_OK) {
        pot_job j = {c, s, cand};
        st = pkh__parallel_for(c->threads, (c->n + CHUNK - 1) / CHUNK, potential_task, &j);
    }
    st = st == PKH_OK ? select_families(c, s, cand) : st;
    pkh__ksum fam = {0, 0}, bud = {0, 0};
    for (int64_t i = 0; i < c->n && st == PKH_OK; i++) {
        s->benefit[i] = s->elig[i] ? s->benefit[i] : 0;
        pkh__ksum_add(&fam, s->elig[i] ? c->w[i] : 0);
        pkh__ksum_add(&bud, c->w[i] * s->benefit[i]);
    }
    s->families = pkh__ksum_value(&fam);
    s->budget = pkh__ksum_value(&bud);
    pkh__free(c->a, cand, nn);
    return st;
}

/* ---- the per-household table ---- */

static pkh_status add_f64(pkh__simctx *c, pkh_table_builder *b, const char *name, const double *v,
                          const uint8_t *valid)
{
    return pkh_table_builder_add_float64(b, name, v, valid, c->n, c->err);
}

/* Members paid per component after the cap (0 for families not paid), component-major. */
static int32_t *paid_matrix(const pkh__simctx *c, const pkh__sim *s)
{
    const pkh_program *p = s->p;
    const int64_t n = c->n;
    const size_t cells = (size_t)(p->n_comp > 0 ? p->n_comp : 1) * (size_t)(n > 0 ? n : 1);
    int32_t *m = pkh__calloc(c->a, cells, sizeof *m);
    int64_t paid[PKH__MAX_COMPONENTS];
    for (int64_t i = 0; m != NULL && i < n; i++) {
        if (s->elig[i]) {
            pkh__paid(p, s->counts, n, i, paid);
            for (int64_t k = 0; k < p->n_comp; k++) {
                m[k * n + i] = (int32_t)paid[k];
            }
        }
    }
    return m;
}

static pkh_status stage_columns(pkh__simctx *c, pkh_table_builder *b, const pkh__sim *s,
                                const int32_t *pm, double *d)
{
    const pkh_program *p = s->p;
    const int64_t n = c->n;
    char name[64];
    pkh_status st = PKH_OK;
    for (int64_t t = 0; t < p->n_stage && st == PKH_OK; t++) {
        const pkh__stage *sg = &p->stage[t];
        for (int64_t i = 0; i < n; i++) {
            double v = 0;
            for (int64_t r = 0; r < p->n_comp && s->elig[i]; r++) {
                const int64_t k = p->order[r];
                v += (double)pm[k * n + i] * (sg->share * sg->rate[k]);
            }
            for (int64_t f = 0; f < p->n_flat && s->elig[i]; f++) {
                const pkh__flat *fl = &p->flat[f];
                v += s->flat_ok[f * n + i] && fl->in_stage[t] ? fl->amount / (double)fl->n_in : 0;
            }
            d[i] = v;
        }
        snprintf(name, sizeof name, "benefit_stage%lld", (long long)t + 1);
        st = add_f64(c, b, name, d, NULL);
    }
    return st;
}

static pkh_status household_programme(pkh__simctx *c, pkh_table_builder *b, const pkh__sim *s,
                                      double *d, int64_t *iv)
{
    const pkh_program *p = s->p;
    const int64_t n = c->n;
    const size_t cells = (size_t)(p->n_comp > 0 ? p->n_comp : 1) * (size_t)(n > 0 ? n : 1);
    char name[300];
    int32_t *pm = paid_matrix(c, s);
    pkh_status st = pm == NULL ? pkh__enomem(c->err) : PKH_OK;
    st = st == PKH_OK ? pkh_table_builder_add_bool(b, "eligible", s->elig, NULL, n, c->err) : st;
    for (int64_t k = 0; k < p->n_comp && st == PKH_OK; k++) {
        for (int64_t i = 0; i < n; i++) {
            iv[i] = s->counts[k * n + i];
        }
        snprintf(name, sizeof name, "count_%s", p->comp[k].name);
        st = pkh_table_builder_add_int64(b, name, iv, NULL, n, c->err);
        for (int64_t i = 0; i < n && st == PKH_OK; i++) {
            iv[i] = pm[k * n + i];
            d[i] = (double)iv[i] * p->comp[k].annual;
        }
        snprintf(name, sizeof name, "paid_%s", p->comp[k].name);
        st = st == PKH_OK ? pkh_table_builder_add_int64(b, name, iv, NULL, n, c->err) : st;
        snprintf(name, sizeof name, "amount_%s", p->comp[k].name);
        st = st == PKH_OK ? add_f64(c, b, name, d, NULL) : st;
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        d[i] = 0;
        for (int64_t f = 0; f < p->n_flat && s->elig[i]; f++) {
            d[i] += s->flat_ok[f * n + i] ? p->flat[f].amount : 0;
        }
    }
    st = st == PKH_OK ? add_f64(c, b, "flat", d, NULL) : st;
    st = st == PKH_OK ? add_f64(c, b, "benefit", s->benefit, NULL) : st;
    st = st == PKH_OK ? stage_columns(c, b, s, pm, d) : st;
    pkh__free(c->a, pm, cells * sizeof *pm);
    return st;
}

static pkh_status welfare_columns(pkh__simctx *c, pkh_table_builder *b, const pkh__sim *s,
                                  const char *name, double *d, uint8_t *valid)
{
    memset(valid, 0, pkh__bitmap_bytes(c->n));
    for (int64_t i = 0; i < c->n; i++) {
        const double y = c->y[i];
        d[i] = y == y ? (s != NULL ? y + s->benefit[i] / (c->periods * c->e[i]) : y) : 0;
        if (y == y) {
            pkh__bit_set(valid, i);
        }
    }
    return add_f64(c, b, name, d, valid);
}

static pkh_status build_per_household(pkh__simctx *c, pkh_table **out)
{
    const pkh_simulate_options *o = c->o;
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(c->ra, &b, c->err);
    const char *id = o->id != NULL              ? o->id
                     : o->household_key != NULL ? o->household_key
                                                : o->member_key;
    const pkh_column *idc = NULL;
    if (st == PKH_OK && id != NULL) {
        st = o->id != NULL ? pkh_table_column(c->t, id, &idc, c->err)
                           : (pkh_table_column(c->t, id, &idc, NULL), PKH_OK);
    }
    st = st == PKH_OK && idc != NULL ? pkh_table_builder_add_column(b, NULL, idc, c->err) : st;
    double *d = pkh__alloc(c->a, nn * sizeof(double));
    int64_t *iv = pkh__alloc(c->a, nn * sizeof(int64_t));
    uint8_t *valid = pkh__alloc(c->a, pkh__bitmap_bytes(c->n));
    st = st == PKH_OK && (d == NULL || iv == NULL || valid == NULL) ? pkh__enomem(c->err) : st;
    st = st == PKH_OK ? household_programme(c, b, &c->sim[0], d, iv) : st;
    if (st == PKH_OK && o->income != NULL) {
        st = welfare_columns(c, b, NULL, "welfare_before", d, valid);
        st = st == PKH_OK ? welfare_columns(c, b, &c->sim[0], "welfare_after", d, valid) : st;
    }
    if (st == PKH_OK && c->nsim > 1) {
        st = pkh_table_builder_add_bool(b, "compare_eligible", c->sim[1].elig, NULL, c->n, c->err);
        st = st == PKH_OK ? add_f64(c, b, "compare_benefit", c->sim[1].benefit, NULL) : st;
        if (st == PKH_OK && o->income != NULL) {
            st = welfare_columns(c, b, &c->sim[1], "compare_welfare_after", d, valid);
        }
    }
    st = st == PKH_OK ? pkh_table_builder_finish(b, out, c->err) : st;
    pkh_table_builder_free(b);
    pkh__free(c->a, d, nn * sizeof(double));
    pkh__free(c->a, iv, nn * sizeof(int64_t));
    pkh__free(c->a, valid, pkh__bitmap_bytes(c->n));
    return st;
}

/* ---- the entry point ---- */

static void sim_free(pkh__simctx *c, pkh__sim *s)
{
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    if (s->p == NULL) {
        return;
    }
    pkh__free(c->a, s->counts,
              (size_t)(s->p->n_comp > 0 ? s->p->n_comp : 1) * nn * sizeof *s->counts);
    pkh__free(c->a, s->cond, nn);
    pkh__free(c->a, s->flat_ok, (size_t)(s->p->n_flat > 0 ? s->p->n_flat : 1) * nn);
    pkh__free(c->a, s->elig, nn);
    pkh__free(c->a, s->benefit, nn * sizeof(double));
}

static void ctx_free(pkh__simctx *c)
{
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    for (int i = 0; i < c->nsim; i++) {
        sim_free(c, &c->sim[i]);
    }
    pkh__free(c->a, c->w, nn * sizeof(double));
    if (c->e != c->s) {
        pkh__free(c->a, c->e, nn * sizeof(double));
    }
    pkh__free(c->a, c->s, nn * sizeof(double));
    pkh__free(c->a, c->y, nn * sizeof(double));
    pkh__free(c->a, c->z, nn * sizeof(double));
    pkh__free(c->a, c->mrow, (size_t)(c->nm > 0 ? c->nm : 1) * sizeof(int64_t));
    pkh_groups_free(c->groups);
    pkh_table_free(c->view);
    pkh_table_free(c->mview);
}

static pkh_status check_args(const pkh_program *program, const pkh_program *compare,
                             const pkh_table *households, const pkh_simulate_options *o,
                             pkh_table **results, pkh_error *err)
{
    if (program == NULL || households == NULL || o == NULL || results == NULL) {
        return pkh__errorf(err, PKH_EINVAL,
                           "pkh_program_simulate: a programme, the households, "
                           "options and a place for the results are needed");
    }
    if (o->period != PKH_PERIOD_MONTH && o->period != PKH_PERIOD_YEAR) {
        return pkh__errorf(err, PKH_EINVAL, "unknown welfare period %d", (int)o->period);
    }
    if (o->income == NULL && o->line.kind != PKH_LINE_NONE) {
        return pkh__errorf(err, PKH_EINVAL, "a poverty line needs the welfare column (--income)");
    }
    if (o->observed_benefit != NULL && o->income == NULL) {
        return pkh__errorf(err, PKH_EINVAL,
                           "an observed benefit is taken out of the welfare "
                           "column: give it (--income)");
    }
    if (compare != NULL && strcmp(compare->currency, program->currency) != 0) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the programmes pay in different currencies (%s and "
                           "%s): they cannot be compared",
                           program->currency, compare->currency);
    }
    return PKH_OK;
}

static pkh_status prepare(pkh__simctx *c)
{
    const pkh_simulate_options *o = c->o;
    pkh_status st = weights_sizes(c);
    if (st == PKH_OK && o->income != NULL) {
        st = welfare(c);
        st = st == PKH_OK ? poverty_line(c) : st;
    }
    if (st == PKH_OK && o->n_by > 0) {
        st = pkh_groups_new(c->t, o->by, o->n_by, NULL, c->threads, &c->groups, c->err);
        if (st == PKH_OK) {
            c->gid = pkh_groups_ids(c->groups);
            c->k = pkh_groups_count(c->groups);
            c->info.missing_key = pkh_groups_missing(c->groups);
        }
    }
    st = st == PKH_OK ? pkh__sim_view(c) : st;
    if (st == PKH_OK && o->members != NULL) {
        st = link_members(c);
    }
    return st;
}

pkh_status pkh_program_simulate(const pkh_program *program, const pkh_program *compare,
                                const pkh_table *households, const pkh_simulate_options *opts,
                                pkh_table **results, pkh_table **per_household,
                                pkh_simulate_info *info, pkh_error *err)
{
    pkh_status st = check_args(program, compare, households, opts, results, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__simctx c;
    memset(&c, 0, sizeof c);
    c.t = households;
    c.o = opts;
    c.a = pkh_allocator_default();
    c.ra = pkh__allocator(opts->allocator);
    c.err = err;
    c.threads = opts->threads;
    c.n = households->num_rows;
    c.periods = opts->period == PKH_PERIOD_YEAR ? 1 : 12;
    c.line = NAN;
    c.info.rows = c.n;
    c.sim[0].p = program;
    c.sim[1].p = compare;
    c.nsim = compare != NULL ? 2 : 1;
    st = prepare(&c);
    for (int i = 0; i < c.nsim && st == PKH_OK; i++) {
        st = run_programme(&c, &c.sim[i]);
    }
    pkh_table *res = NULL, *ph = NULL;
    st = st == PKH_OK ? pkh__sim_results(&c, &res) : st;
    st = st == PKH_OK && per_household != NULL ? build_per_household(&c, &ph) : st;
    if (st == PKH_OK) {
        *results = res;
        if (per_household != NULL) {
            *per_household = ph;
        }
        if (info != NULL) {
            c.info.line = c.line;
            for (int i = 0; i < 2; i++) {
                c.info.cutoff[i] = i < c.nsim ? c.sim[i].cutoff : NAN;
                c.info.families[i] = i < c.nsim ? c.sim[i].families : NAN;
                c.info.budget[i] = i < c.nsim ? c.sim[i].budget : NAN;
                c.info.missing_score[i] = i < c.nsim ? c.sim[i].missing_score : 0;
            }
            *info = c.info;
        }
    } else {
        pkh_table_free(res);
        pkh_table_free(ph);
    }
    ctx_free(&c);
    return st;
}
