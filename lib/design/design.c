/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The survey design: strata, PSUs (nested in strata), finite population corrections and the
 * lonely-PSU policy, read from a table once into compact arrays.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/design.h"

static const char *const lonely_names[] = {"fail", "certainty", "adjust", "average", "remove"};

const char *pkh_lonely_psu_name(pkh_lonely_psu policy)
{
    return (unsigned)policy < 5 ? lonely_names[policy] : "?";
}

pkh_status pkh_lonely_psu_parse(const char *name, pkh_lonely_psu *out)
{
    for (int i = 0; name != NULL && i < 5; i++) {
        if (strcmp(name, lonely_names[i]) == 0) {
            *out = (pkh_lonely_psu)i;
            return PKH_OK;
        }
    }
    return PKH_EINVAL;
}

void pkh_design_free(pkh_design *d)
{
    if (d == NULL) {
        return;
    }
    const pkh_allocator *a = d->a;
    const size_t nr = (size_t)(d->nrows > 0 ? d->nrows : 1);
    const size_t np = (size_t)(d->npsu > 0 ? d->npsu : 1);
    const size_t ns = (size_t)(d->nstrata > 0 ? d->nstrata : 1);
    if (d->psu_stratum != d->row_stratum) {
        pkh__free(a, d->psu_stratum, np * sizeof(int32_t));
    }
    pkh__free(a, d->row_stratum, nr * sizeof(int32_t));
    pkh__free(a, d->row_psu, nr * sizeof(int32_t));
    pkh__free(a, d->stratum_npsu, ns * sizeof(int64_t));
    pkh__free(a, d->stratum_fpc, ns * sizeof(double));
    pkh__free(a, d->stratum_scale, ns * sizeof(double));
    pkh__free(a, d->stratum_kind, ns);
    pkh__free(a, d->stratum_start, (ns + 1) * sizeof(int64_t));
    pkh__free(a, d->psu_list, np * sizeof(int64_t));
    pkh__free(a, d, sizeof *d);
}

int64_t pkh_design_rows(const pkh_design *d)
{
    return d->nrows;
}

int64_t pkh_design_strata(const pkh_design *d)
{
    return d->nstrata;
}

int64_t pkh_design_psus(const pkh_design *d)
{
    return d->npsu;
}

int64_t pkh_design_df(const pkh_design *d)
{
    return d->df;
}

int pkh_design_is_srs(const pkh_design *d)
{
    return d->srs;
}

int64_t pkh_design_lonely_strata(const pkh_design *d)
{
    return d->lonely_count;
}

pkh_lonely_psu pkh_design_lonely(const pkh_design *d)
{
    return d->lonely;
}

/* ---- building ---- */

/* The text of key `g` of a groups' first key column, for messages. */
static void key_label(const pkh_groups *g, int64_t h, char *buf, size_t cap)
{
    const pkh_column *c = pkh_table_column_at(pkh_groups_keys(g), 0);
    switch (pkh_column_type(c)) {
    case PKH_TYPE_INT64:
        snprintf(buf, cap, "%lld", (long long)pkh_column_int64(c)[h]);
        break;
    case PKH_TYPE_FLOAT64:
        snprintf(buf, cap, "%.15g", pkh_column_float64(c)[h]);
        break;
    case PKH_TYPE_BOOL:
        snprintf(buf, cap, "%s", pkh__bit_get(pkh_column_bool_bits(c), h) ? "true" : "false");
        break;
    case PKH_TYPE_DICT: {
        const char *s = "";
        size_t n = 0;
        pkh_column_dict_value(c, pkh_column_codes(c)[h], &s, &n);
        char q[64];
        snprintf(buf, cap, "%s", pkh__quote(s, n, q, sizeof q));
        break;
    }
    }
}

static pkh_status missing_key(const pkh_groups *g, int64_t nrows, const char *col, pkh_error *err)
{
    const int32_t *ids = pkh_groups_ids(g);
    int64_t i = 0;
    while (i < nrows && ids[i] >= 0) {
        i++;
    }
    return pkh__errorf(err, PKH_EINVAL,
                       "the design column \"%s\" has a missing value at data "
                       "row %lld: every row needs its stratum and PSU",
                       col, (long long)i + 1);
}

typedef struct build {
    pkh_design *d;
    const pkh_table *t;
    const pkh_design_spec *s;
    pkh_groups *strata; /* NULL without a strata column */
    pkh_error *err;
} build;

static int32_t *copy_ids(const pkh_allocator *a, const pkh_groups *g, int64_t n)
{
    int32_t *v = pkh__alloc(a, (size_t)n * sizeof *v);
    if (v != NULL) {
        memcpy(v, pkh_groups_ids(g), (size_t)n * sizeof *v);
    }
    return v;
}

static pkh_status read_strata(build *b)
{
    pkh_design *d = b->d;
    if (b->s->strata == NULL) {
        d->nstrata = 1;
        return PKH_OK;
    }
    pkh_status st = pkh_groups_new(b->t, &b->s->strata, 1, NULL, b->s->threads, &b->strata, b->err);
    if (st != PKH_OK) {
        return st;
    }
    if (pkh_groups_missing(b->strata) > 0) {
        return missing_key(b->strata, d->nrows, b->s->strata, b->err);
    }
    d->nstrata = pkh_groups_count(b->strata);
    d->row_stratum = copy_ids(d->a, b->strata, d->nrows);
    return d->row_stratum == NULL ? pkh__enomem(b->err) : PKH_OK;
}

/* Rank of each dictionary entry in byte order, so that PSU numbers do not depend on the order of
 * the rows (the dictionary's codes are in order of first appearance). */
typedef struct dict_entry {
    const char *s;
    size_t n;
    int64_t code;
} dict_entry;

static int cmp_entry(const void *pa, const void *pb)
{
    const dict_entry *a = pa, *b = pb;
    const int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c != 0 ? c : (a->n > b->n) - (a->n < b->n);
}

/* A sortable 64-bit key of each row's PSU code; PKH_EINVAL naming a missing value. */
static pkh_status psu_keys(build *b, const pkh_column *c, uint64_t *keys)
{
    pkh_design *d = b->d;
    uint64_t *rank = NULL;
    const size_t nd = (size_t)(c->type == PKH_TYPE_DICT && c->dict_size > 0 ? c->dict_size : 1);
    if (c->type == PKH_TYPE_DICT) {
        dict_entry *e = pkh__alloc(d->a, nd * sizeof *e);
        rank = pkh__alloc(d->a, nd * sizeof *rank);
        if (e == NULL || rank == NULL) {
            pkh__free(d->a, e, nd * sizeof *e);
            pkh__free(d->a, rank, nd * sizeof *rank);
            return pkh__enomem(b->err);
        }
        for (int64_t k = 0; k < c->dict_size; k++) {
            e[k] = (dict_entry){c->dict_data + c->dict_offsets[k],
                                (size_t)(c->dict_offsets[k + 1] - c->dict_offsets[k]), k};
        }
        qsort(e, (size_t)c->dict_size, sizeof *e, cmp_entry);
        for (int64_t k = 0; k < c->dict_size; k++) {
            rank[e[k].code] = (uint64_t)k;
        }
        pkh__free(d->a, e, nd * sizeof *e);
    }
    pkh_status st = PKH_OK;
    for (int64_t i = 0; i < d->nrows && st == PKH_OK; i++) {
        bool ok = c->validity == NULL || pkh__bit_get(c->validity, i);
        switch (c->type) {
        case PKH_TYPE_INT64:
            keys[i] = (uint64_t)((const int64_t *)c->values)[i] ^ ((uint64_t)1 << 63);
            break;
        case PKH_TYPE_FLOAT64: {
            const double v = ((const double *)c->values)[i];
            ok = ok && v == v;
            keys[i] = ok ? pkh__double_key(v) : 0;
            break;
        }
        case PKH_TYPE_BOOL:
            keys[i] = pkh__bit_get(c->values, i);
            break;
        case PKH_TYPE_DICT:
            keys[i] = ok ? rank[((const int32_t *)c->values)[i]] : 0;
            break;
        }
        if (!ok) {
            st = pkh__errorf(b->err, PKH_EINVAL,
                             "the design column \"%s\" has a missing value "
                             "at data row %lld: every row needs its stratum and PSU",
                             b->s->psu, (long long)i + 1);
        }
    }
    pkh__free(d->a, rank, nd * sizeof *rank);
    return st;
}

/* PSUs numbered by (stratum, PSU code): a radix sort of the codes, then a stable counting sort by
 * stratum, so PSUs come stratum by stratum and every stratum's in code order. */
static pkh_status read_psus(build *b)
{
    pkh_design *d = b->d;
    if (b->s->psu == NULL) {
        d->npsu = d->nrows;
        d->psu_stratum = d->row_stratum;
        return PKH_OK;
    }
    const pkh_column *c = NULL;
    pkh_status st = pkh_table_column(b->t, b->s->psu, &c, b->err);
    if (st != PKH_OK) {
        return st;
    }
    const int64_t n = d->nrows;
    const size_t nn = (size_t)n;
    uint64_t *keys = pkh__alloc(d->a, nn * sizeof *keys);
    int64_t *perm = pkh__alloc(d->a, nn * sizeof *perm);
    int64_t *order = d->row_stratum != NULL ? pkh__alloc(d->a, nn * sizeof *order) : perm;
    int64_t *offsets = pkh__alloc(d->a, (size_t)(d->nstrata + 1) * sizeof *offsets);
    d->row_psu = pkh__alloc(d->a, nn * sizeof(int32_t));
    st = keys == NULL || perm == NULL || order == NULL || offsets == NULL || d->row_psu == NULL
             ? pkh__enomem(b->err)
             : PKH_OK;
    if (st == PKH_OK) {
        st = psu_keys(b, c, keys);
    }
    if (st == PKH_OK) {
        st = pkh__radix_argsort(keys, n, b->s->threads, d->a, perm);
        st = st == PKH_OK && order != perm
                 ? pkh__group_sort(perm, n, d->row_stratum, d->nstrata, d->a, order, offsets)
                 : st;
        st = st == PKH_ENOMEM ? pkh__enomem(b->err) : st;
    }
    int64_t m = 0;
    for (int64_t p = 0; st == PKH_OK && p < n; p++) {
        const int64_t i = order[p], prev = p > 0 ? order[p - 1] : -1;
        m += p == 0 || keys[i] != keys[prev] ||
             (d->row_stratum != NULL && d->row_stratum[i] != d->row_stratum[prev]);
        if (m > INT32_MAX) {
            st = pkh__errorf(b->err, PKH_EOVERFLOW, "at most 2^31 - 1 PSUs");
            break;
        }
        d->row_psu[i] = (int32_t)(m - 1);
    }
    d->npsu = m;
    if (st == PKH_OK && d->row_stratum != NULL) {
        d->psu_stratum = pkh__alloc(d->a, (size_t)d->npsu * sizeof(int32_t));
        st = d->psu_stratum == NULL ? pkh__enomem(b->err) : PKH_OK;
        for (int64_t i = 0; st == PKH_OK && i < n; i++) {
            d->psu_stratum[d->row_psu[i]] = d->row_stratum[i];
        }
    }
    if (order != perm) {
        pkh__free(d->a, order, nn * sizeof *order);
    }
    pkh__free(d->a, perm, nn * sizeof *perm);
    pkh__free(d->a, keys, nn * sizeof *keys);
    pkh__free(d->a, offsets, (size_t)(d->nstrata + 1) * sizeof *offsets);
    return st;
}

/* PSUs per stratum, and where each stratum's PSUs are listed. */
static pkh_status count_psus(build *b)
{
    pkh_design *d = b->d;
    const size_t ns = (size_t)d->nstrata;
    d->stratum_npsu = pkh__calloc(d->a, ns, sizeof(int64_t));
    d->stratum_start = pkh__calloc(d->a, ns + 1, sizeof(int64_t));
    if (d->stratum_npsu == NULL || d->stratum_start == NULL) {
        return pkh__enomem(b->err);
    }
    for (int64_t j = 0; j < d->npsu; j++) {
        d->stratum_npsu[pkh__design_psu_stratum(d, j)]++;
    }
    for (size_t h = 0; h < ns; h++) {
        d->stratum_start[h + 1] = d->stratum_start[h] + d->stratum_npsu[h];
    }
    if (d->row_psu != NULL || d->row_stratum == NULL) {
        return PKH_OK; /* PSUs are numbered stratum by stratum (groups sort by stratum first) */
    }
    d->psu_list = pkh__alloc(d->a, (size_t)d->npsu * sizeof(int64_t));
    int64_t *next = pkh__alloc(d->a, ns * sizeof(int64_t));
    if (d->psu_list == NULL || next == NULL) {
        pkh__free(d->a, next, ns * sizeof(int64_t));
        return pkh__enomem(b->err);
    }
    memcpy(next, d->stratum_start, ns * sizeof(int64_t));
    for (int64_t j = 0; j < d->npsu; j++) {
        d->psu_list[next[d->psu_stratum[j]]++] = j;
    }
    pkh__free(d->a, next, ns * sizeof(int64_t));
    return PKH_OK;
}

static void stratum_label(const build *b, int64_t h, char *buf, size_t cap)
{
    if (b->strata == NULL) {
        snprintf(buf, cap, "(the whole sample, one stratum)");
        return;
    }
    char v[96];
    key_label(b->strata, h, v, sizeof v);
    snprintf(buf, cap, "%s = %s", b->s->strata, v);
}

/* 1 - sampling fraction of each stratum from the fpc column. */
static pkh_status read_fpc(build *b)
{
    pkh_design *d = b->d;
    const size_t ns = (size_t)d->nstrata;
    d->stratum_fpc = pkh__alloc(d->a, ns * sizeof(double));
    if (d->stratum_fpc == NULL) {
        return pkh__enomem(b->err);
    }
    for (size_t h = 0; h < ns; h++) {
        d->stratum_fpc[h] = 1;
    }
    if (b->s->fpc == NULL) {
        return PKH_OK;
    }
    const pkh_column *c = NULL;
    pkh_status st = pkh_table_column(b->t, b->s->fpc, &c, b->err);
    if (st != PKH_OK) {
        return st;
    }
    if (pkh_column_type(c) == PKH_TYPE_DICT) {
        return pkh__errorf(b->err, PKH_ETYPE, "the fpc column \"%s\" holds text, not numbers",
                           b->s->fpc);
    }
    double *seen = pkh__alloc(d->a, ns * sizeof(double));
    if (seen == NULL) {
        return pkh__enomem(b->err);
    }
    for (size_t h = 0; h < ns; h++) {
        seen[h] = NAN;
    }
    for (int64_t i = 0; i < d->nrows && st == PKH_OK; i++) {
        double v = NAN;
        const int32_t h = d->row_stratum != NULL ? d->row_stratum[i] : 0;
        char lab[160];
        if (pkh_column_get_double(c, i, &v) != PKH_OK) {
            st = pkh__errorf(b->err, PKH_EINVAL,
                             "the design column \"%s\" has a missing value "
                             "at data row %lld",
                             b->s->fpc, (long long)i + 1);
        } else if (!(v > 0)) {
            st = pkh__errorf(b->err, PKH_EINVAL,
                             "the fpc column \"%s\" must be positive (a "
                             "population size in PSUs, or a sampling fraction in (0, 1]): %g "
                             "at data row %lld",
                             b->s->fpc, v, (long long)i + 1);
        } else if (seen[h] == seen[h] && seen[h] != v) {
            stratum_label(b, h, lab, sizeof lab);
            st = pkh__errorf(b->err, PKH_EINVAL,
                             "the fpc column \"%s\" differs within stratum "
                             "%s (%.15g and %.15g, data row %lld): it must be one value per "
                             "stratum",
                             b->s->fpc, lab, seen[h], v, (long long)i + 1);
        }
        seen[h] = v;
    }
    for (size_t h = 0; h < ns && st == PKH_OK; h++) {
        const double n = (double)d->stratum_npsu[h], v = seen[h];
        if (v > 1 && v < n) {
            char lab[160];
            stratum_label(b, (int64_t)h, lab, sizeof lab);
            st = pkh__errorf(b->err, PKH_EINVAL,
                             "the fpc of stratum %s is %.15g PSUs, fewer "
                             "than the %lld PSUs sampled in it",
                             lab, v, (long long)n);
        }
        /* R survey: popsize = fpc (> 1) or PSUs / fpc (a fraction); f = (popsize - n) / popsize */
        d->stratum_fpc[h] = v > 1 ? (isinf(v) ? 1.0 : (v - n) / v) : 1 - v;
    }
    pkh__free(d->a, seen, ns * sizeof(double));
    return st;
}

/* Each stratum's kind and scale, the lonely-PSU policy, df. */
static pkh_status classify(build *b)
{
    pkh_design *d = b->d;
    const size_t ns = (size_t)d->nstrata;
    d->stratum_scale = pkh__calloc(d->a, ns, sizeof(double));
    d->stratum_kind = pkh__calloc(d->a, ns, 1);
    if (d->stratum_scale == NULL || d->stratum_kind == NULL) {
        return pkh__enomem(b->err);
    }
    int64_t excluded = 0;
    for (size_t h = 0; h < ns; h++) {
        const int64_t n = d->stratum_npsu[h];
        const double f = d->stratum_fpc[h];
        if (f < 1e-7) { /* every PSU of the stratum was taken (R survey's threshold) */
            d->stratum_kind[h] = PKH__STRATUM_ZERO;
        } else if (n >= 2) {
            d->stratum_scale[h] = f * (double)n / (double)(n - 1);
        } else {
            d->lonely_count++;
            switch (b->s->lonely) {
            case PKH_LONELY_FAIL: {
                char lab[160];
                stratum_label(b, (int64_t)h, lab, sizeof lab);
                return pkh__errorf(b->err, PKH_EINVAL,
                                   "stratum %s has a single PSU, so its variance cannot be "
                                   "estimated: merge it with a similar stratum, or choose "
                                   "--lonely-psu certainty, adjust, average or remove",
                                   lab);
            }
            case PKH_LONELY_ADJUST:
                d->stratum_kind[h] = PKH__STRATUM_ADJUST;
                d->stratum_scale[h] = f;
                break;
            case PKH_LONELY_AVERAGE:
                d->stratum_kind[h] = PKH__STRATUM_EXCLUDED;
                excluded++;
                break;
            default:
                d->stratum_kind[h] = PKH__STRATUM_ZERO;
                break;
            }
        }
    }
    d->factor = excluded == 0            ? 1.0
                : excluded == d->nstrata ? NAN
                                         : (double)d->nstrata / (double)(d->nstrata - excluded);
    d->df = d->npsu - d->nstrata;
    return PKH_OK;
}

pkh_status pkh_design_new(const pkh_table *table, const pkh_design_spec *spec, pkh_design **out,
                          pkh_error *err)
{
    const pkh_design_spec none = PKH_DESIGN_SPEC_INIT;
    spec = spec != NULL ? spec : &none;
    if (table == NULL || out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_design_new: NULL table or output");
    }
    if ((unsigned)spec->lonely > PKH_LONELY_REMOVE) {
        return pkh__errorf(err, PKH_EINVAL, "unknown lonely-PSU policy %d", (int)spec->lonely);
    }
    if (pkh_table_num_rows(table) == 0) {
        return pkh__errorf(err, PKH_EEMPTY, "a design needs rows: the table is empty");
    }
    const pkh_allocator *a = pkh__allocator(spec->allocator);
    pkh_design *d = pkh__calloc(a, 1, sizeof *d);
    if (d == NULL) {
        return pkh__enomem(err);
    }
    d->a = a;
    d->nrows = pkh_table_num_rows(table);
    d->lonely = spec->lonely;
    d->srs = spec->strata == NULL && spec->psu == NULL;
    build b = {d, table, spec, NULL, err};
    pkh_status st = read_strata(&b);
    if (st == PKH_OK) {
        st = read_psus(&b);
    }
    if (st == PKH_OK) {
        st = count_psus(&b);
    }
    if (st == PKH_OK) {
        st = read_fpc(&b);
    }
    if (st == PKH_OK) {
        st = classify(&b);
    }
    pkh_groups_free(b.strata);
    if (st != PKH_OK) {
        pkh_design_free(d);
        return st;
    }
    *out = d;
    return PKH_OK;
}
