/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Helpers shared by targeting and the PMT: numeric columns, sorting, quantiles on a sorted
 * order, result key columns.
 */
#include <math.h>
#include <stdlib.h>

#include "internal/targeting.h"

pkh_status pkh__tg_numeric(const pkh_table *t, const char *name, const char *role,
                           const pkh_column **out, pkh_error *err)
{
    *out = NULL;
    if (name == NULL) {
        return PKH_OK;
    }
    const pkh_column *c = NULL;
    pkh_status st = pkh_table_column(t, name, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    if (c->type == PKH_TYPE_DICT) {
        return pkh__errorf(err, PKH_ETYPE, "the %s column \"%s\" holds text, not numbers", role,
                           name);
    }
    *out = c;
    return PKH_OK;
}

pkh_status pkh__tg_argsort(const double *v, int64_t n, int threads, const pkh_allocator *a,
                           int64_t *perm, pkh_error *err)
{
    const size_t nn = (size_t)(n > 0 ? n : 1);
    uint64_t *keys = pkh__alloc(a, nn * sizeof *keys);
    if (keys == NULL) {
        return pkh__enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        keys[i] = pkh__double_key(v[i]);
    }
    const pkh_status st = pkh__radix_argsort(keys, n, threads, a, perm);
    pkh__free(a, keys, nn * sizeof *keys);
    return st == PKH_OK ? PKH_OK : pkh__enomem(err);
}

/* The value at sorted position k under the rule, as pkh__seg_quantile() finishes it. */
static double finish_quantile(const double *v, const double *w, const int64_t *perm, int64_t n,
                              int64_t k, double c, double p, pkh_quantile_rule rule)
{
    while (k < n && w[perm[k]] == 0) {
        k++; /* a zero-weight row never decides a quantile */
    }
    if (k >= n) {
        int64_t last = n - 1;
        while (last > 0 && w[perm[last]] == 0) {
            last--;
        }
        return v[perm[last]];
    }
    if (rule == PKH_QUANTILE_GE_AVG && c == p) {
        int64_t k2 = k + 1;
        while (k2 < n && w[perm[k2]] == 0) {
            k2++;
        }
        if (k2 < n) {
            return (v[perm[k]] + v[perm[k2]]) / 2;
        }
    }
    return v[perm[k]];
}

void pkh__tg_quantiles(const double *v, const double *w, const int64_t *perm, int64_t n,
                       const double *p, int np, pkh_quantile_rule rule, double *out)
{
    pkh__ksum tot = {0, 0};
    for (int64_t k = 0; k < n; k++) {
        pkh__ksum_add(&tot, w[perm[k]]);
    }
    const double W = pkh__ksum_value(&tot);
    int order[16];
    int m = 0;
    for (int j = 0; j < np && m < 16; j++) {
        out[j] = NAN;
        int at = m++;
        while (at > 0 && p[order[at - 1]] > p[j]) { /* insertion sort by p */
            order[at] = order[at - 1];
            at--;
        }
        order[at] = j;
    }
    if (!(W > 0) || n == 0) {
        return;
    }
    const bool strict = rule == PKH_QUANTILE_GT;
    pkh__ksum cum = {0, 0};
    int next = 0;
    for (int64_t k = 0; k < n && next < m; k++) {
        pkh__ksum_add(&cum, w[perm[k]]);
        const double c = pkh__ksum_value(&cum) / W;
        while (next < m && (strict ? c > p[order[next]] : c >= p[order[next]])) {
            const int j = order[next++];
            out[j] = finish_quantile(v, w, perm, n, k, c, p[j], rule);
        }
    }
    while (next < m) {
        const int j = order[next++];
        out[j] = finish_quantile(v, w, perm, n, n, 1, p[j], rule);
    }
}

static pkh_status add_key(pkh_table_builder *b, const pkh_column *kc, const void *vals,
                          const uint8_t *valid, int64_t n, const pkh_allocator *a, pkh_error *err)
{
    switch (kc->type) {
    case PKH_TYPE_INT64:
        return pkh_table_builder_add_int64(b, kc->name, vals, valid, n, err);
    case PKH_TYPE_FLOAT64:
        return pkh_table_builder_add_float64(b, kc->name, vals, valid, n, err);
    case PKH_TYPE_BOOL:
        return pkh_table_builder_add_bool(b, kc->name, vals, valid, n, err);
    case PKH_TYPE_DICT:
        break;
    }
    const size_t nd = (size_t)(kc->dict_size > 0 ? kc->dict_size : 1);
    const char **dict = pkh__calloc(a, nd, sizeof *dict);
    pkh_status st = dict == NULL ? pkh__enomem(err) : PKH_OK;
    for (int64_t d = 0; d < kc->dict_size && st == PKH_OK; d++) {
        dict[d] = pkh__strndup(a, kc->dict_data + kc->dict_offsets[d],
                               (size_t)(kc->dict_offsets[d + 1] - kc->dict_offsets[d]));
        st = dict[d] == NULL ? pkh__enomem(err) : PKH_OK;
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_dict(b, kc->name, vals, valid, n, dict, kc->dict_size, err);
    }
    for (int64_t d = 0; dict != NULL && d < kc->dict_size; d++) {
        pkh__free_str(a, (char *)dict[d]);
    }
    pkh__free(a, dict, nd * sizeof *dict);
    return st;
}

uint8_t *pkh__finite_bits(const pkh_allocator *a, const double *v, int64_t n)
{
    uint8_t *bits = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
    for (int64_t i = 0; bits != NULL && i < n; i++) {
        if (isfinite(v[i])) {
            pkh__bit_set(bits, i);
        }
    }
    return bits;
}

pkh_status pkh__tg_key_columns(pkh_table_builder *b, const pkh_table *keys, const int64_t *seg,
                               int64_t n, const pkh_allocator *a, pkh_error *err)
{
    const size_t nn = (size_t)(n > 0 ? n : 1);
    pkh_status st = PKH_OK;
    for (int64_t j = 0; keys != NULL && j < keys->num_columns && st == PKH_OK; j++) {
        const pkh_column *kc = &keys->columns[j];
        uint8_t *valid = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
        uint8_t *vals = pkh__calloc(a, nn, 8);
        st = valid == NULL || vals == NULL ? pkh__enomem(err) : PKH_OK;
        for (int64_t i = 0; i < n && st == PKH_OK; i++) {
            const int64_t g = seg[i] - 1;
            if (g < 0) {
                continue;
            }
            pkh__bit_set(valid, i);
            if (kc->type == PKH_TYPE_INT64 || kc->type == PKH_TYPE_FLOAT64) {
                memcpy(vals + 8 * i, (const uint8_t *)kc->values + 8 * g, 8);
            } else if (kc->type == PKH_TYPE_BOOL) {
                vals[i] = pkh__bit_get(kc->values, g);
            } else {
                memcpy(vals + 4 * i, (const uint8_t *)kc->values + 4 * g, 4);
            }
        }
        if (st == PKH_OK) {
            st = add_key(b, kc, vals, valid, n, a, err);
        }
        pkh__free(a, valid, pkh__bitmap_bytes(n));
        pkh__free(a, vals, nn * 8);
    }
    return st;
}
