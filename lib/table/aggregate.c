/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Member -> household links: match the rows of a member table to the rows of a household
 * table by a key column, and gather household columns onto members.
 *
 * Integer keys that are dense (the usual 1..N household ids) use a direct index; sparse ones
 * an open-addressing hash table. String keys are matched once per distinct string (through
 * the dictionaries), then per row by code.
 */
#include <stdio.h>

#include "internal/table.h"

static const pkh_column *key_column(const pkh_table *t, const char *name, const char *which,
                                    pkh_status *st, pkh_error *err)
{
    const pkh_column *c = NULL;
    *st = pkh_table_column(t, name, &c, err);
    if (*st == PKH_OK && c->type == PKH_TYPE_FLOAT64) {
        *st = pkh__errorf(err, PKH_ETYPE,
                          "the key column \"%s\" of the %s holds decimal "
                          "numbers: household ids should be whole numbers or text",
                          name, which);
    }
    return *st == PKH_OK ? c : NULL;
}

static bool valid_row(const pkh_column *c, int64_t i)
{
    return c->validity == NULL || pkh__bit_get(c->validity, i);
}

static int64_t int_key(const pkh_column *c, int64_t i)
{
    return c->type == PKH_TYPE_BOOL ? (int64_t)pkh__bit_get(c->values, i)
                                    : ((const int64_t *)c->values)[i];
}

static pkh_status duplicate(pkh_error *err, const char *name, const char *text, int64_t first,
                            int64_t second)
{
    return pkh__errorf(err, PKH_EDUPLICATE,
                       "the household key \"%s\" repeats %s at data rows "
                       "%lld and %lld: each household needs its own id",
                       name, text, (long long)first + 1, (long long)second + 1);
}

/* ---- integer keys ---- */

typedef struct ihash {
    int64_t *keys;
    int64_t *rows; /* -1: empty slot */
    size_t mask;
} ihash;

static size_t slot_of(const ihash *h, int64_t key)
{
    return (size_t)pkh__hash_u64((uint64_t)key) & h->mask;
}

static pkh_status match_int(const pkh_column *lc, const char *lname, const pkh_column *rc,
                            const pkh_allocator *a, int64_t *row_of, pkh_error *err)
{
    const int64_t nl = lc->length, nr = rc->length;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t i = 0; i < nl; i++) {
        if (valid_row(lc, i)) {
            const int64_t k = int_key(lc, i);
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
        }
    }
    const bool dense = lo <= hi && (uint64_t)hi - (uint64_t)lo < (uint64_t)nl * 4 + 1024;
    size_t cap = 1;
    while (!dense && cap < (size_t)nl * 2 + 2) {
        cap <<= 1;
    }
    const size_t slots = dense ? (size_t)((uint64_t)hi - (uint64_t)lo) + 1 : cap;
    ihash h = {dense ? NULL : pkh__alloc(a, slots * sizeof(int64_t)),
               pkh__alloc(a, slots * sizeof(int64_t)), slots - 1};
    if ((!dense && h.keys == NULL) || h.rows == NULL) {
        pkh__free(a, h.keys, slots * sizeof(int64_t));
        pkh__free(a, h.rows, slots * sizeof(int64_t));
        return pkh__enomem(err);
    }
    memset(h.rows, 0xff, slots * sizeof(int64_t));
    pkh_status st = PKH_OK;
    for (int64_t i = 0; i < nl && st == PKH_OK && lo <= hi; i++) {
        if (!valid_row(lc, i)) {
            continue;
        }
        const int64_t k = int_key(lc, i);
        size_t s = dense ? (size_t)((uint64_t)k - (uint64_t)lo) : slot_of(&h, k);
        while (!dense && h.rows[s] >= 0 && h.keys[s] != k) {
            s = (s + 1) & h.mask;
        }
        if (h.rows[s] >= 0) {
            char text[32];
            snprintf(text, sizeof text, "%lld", (long long)k);
            st = duplicate(err, lname, text, h.rows[s], i);
        }
        h.rows[s] = i;
        if (!dense) {
            h.keys[s] = k;
        }
    }
    for (int64_t j = 0; j < nr && st == PKH_OK; j++) {
        row_of[j] = PKH__NO_MATCH;
        if (!valid_row(rc, j) || lo > hi) {
            continue;
        }
        const int64_t k = int_key(rc, j);
        if (dense) {
            if (k >= lo && k <= hi) {
                row_of[j] = h.rows[(uint64_t)k - (uint64_t)lo];
            }
            continue;
        }
        for (size_t s = slot_of(&h, k); h.rows[s] >= 0; s = (s + 1) & h.mask) {
            if (h.keys[s] == k) {
                row_of[j] = h.rows[s];
                break;
            }
        }
    }
    pkh__free(a, h.keys, slots * sizeof(int64_t));
    pkh__free(a, h.rows, slots * sizeof(int64_t));
    return st;
}

/* ---- string keys ---- */

static const char *dict_at(const pkh_column *c, int64_t code, size_t *len)
{
    *len = (size_t)(c->dict_offsets[code + 1] - c->dict_offsets[code]);
    return c->dict_data + c->dict_offsets[code];
}

static pkh_status match_str(const pkh_column *lc, const char *lname, const pkh_column *rc,
                            const pkh_allocator *a, int64_t *row_of, pkh_error *err)
{
    const int64_t nl = lc->length, nr = rc->length;
    const size_t nld = (size_t)(lc->dict_size > 0 ? lc->dict_size : 1);
    const size_t nrd = (size_t)(rc->dict_size > 0 ? rc->dict_size : 1);
    size_t cap = 2;
    while (cap < nld * 2) {
        cap <<= 1;
    }
    int64_t *row_of_code = pkh__alloc(a, nld * sizeof(int64_t));
    int64_t *slot_code = pkh__alloc(a, cap * sizeof(int64_t));
    int64_t *left_row = pkh__alloc(a, nrd * sizeof(int64_t));
    pkh_status st =
        row_of_code == NULL || slot_code == NULL || left_row == NULL ? pkh__enomem(err) : PKH_OK;
    if (st == PKH_OK) {
        memset(row_of_code, 0xff, nld * sizeof(int64_t));
        memset(slot_code, 0xff, cap * sizeof(int64_t));
    }
    const int32_t *lcodes = lc->values, *rcodes = rc->values;
    for (int64_t i = 0; i < nl && st == PKH_OK; i++) {
        if (!valid_row(lc, i)) {
            continue;
        }
        const int32_t code = lcodes[i];
        if (row_of_code[code] >= 0) {
            size_t len;
            const char *s = dict_at(lc, code, &len);
            char q[64], text[80];
            snprintf(text, sizeof text, "\"%s\"", pkh__quote(s, len, q, sizeof q));
            st = duplicate(err, lname, text, row_of_code[code], i);
        }
        row_of_code[code] = i;
    }
    /* the left dictionary in a hash table, to find each right string's left code */
    for (int64_t d = 0; d < lc->dict_size && st == PKH_OK; d++) {
        size_t len;
        const char *s = dict_at(lc, d, &len);
        size_t slot = (size_t)pkh__hash_bytes(s, len) & (cap - 1);
        while (slot_code[slot] >= 0) {
            slot = (slot + 1) & (cap - 1);
        }
        slot_code[slot] = d;
    }
    for (int64_t d = 0; d < rc->dict_size && st == PKH_OK; d++) {
        size_t len, llen;
        const char *s = dict_at(rc, d, &len);
        left_row[d] = PKH__NO_MATCH;
        for (size_t slot = (size_t)pkh__hash_bytes(s, len) & (cap - 1); slot_code[slot] >= 0;
             slot = (slot + 1) & (cap - 1)) {
            const char *ls = dict_at(lc, slot_code[slot], &llen);
            if (llen == len && memcmp(ls, s, len) == 0) {
                left_row[d] = row_of_code[slot_code[slot]];
                break;
            }
        }
    }
    for (int64_t j = 0; j < nr && st == PKH_OK; j++) {
        row_of[j] = valid_row(rc, j) ? left_row[rcodes[j]] : PKH__NO_MATCH;
    }
    pkh__free(a, row_of_code, nld * sizeof(int64_t));
    pkh__free(a, slot_code, cap * sizeof(int64_t));
    pkh__free(a, left_row, nrd * sizeof(int64_t));
    return st;
}

pkh_status pkh__key_match(const pkh_table *left, const char *left_key, const pkh_table *right,
                          const char *right_key, const pkh_allocator *a, int64_t *row_of,
                          pkh__match_info *info, pkh_error *err)
{
    pkh_status st;
    const pkh_column *lc = key_column(left, left_key, "households", &st, err);
    const pkh_column *rc = st == PKH_OK ? key_column(right, right_key, "members", &st, err) : NULL;
    if (st != PKH_OK) {
        return st;
    }
    const bool lstr = lc->type == PKH_TYPE_DICT, rstr = rc->type == PKH_TYPE_DICT;
    if (lstr != rstr) {
        return pkh__errorf(err, PKH_ETYPE,
                           "the household key \"%s\" is %s in the households "
                           "but \"%s\" is %s in the members: both should be numbers or both "
                           "text",
                           left_key, lstr ? "text" : "a number", right_key,
                           rstr ? "text" : "a number");
    }
    a = pkh__allocator(a);
    st = lstr ? match_str(lc, left_key, rc, a, row_of, err)
              : match_int(lc, left_key, rc, a, row_of, err);
    if (st == PKH_OK && info != NULL) {
        memset(info, 0, sizeof *info);
        info->first_unmatched = -1;
        for (int64_t j = 0; j < rc->length; j++) {
            if (row_of[j] < 0) {
                info->unmatched++;
                info->missing_key += !valid_row(rc, j);
                info->first_unmatched = info->first_unmatched < 0 ? j : info->first_unmatched;
            }
        }
    }
    return st;
}

pkh_status pkh__builder_add_gathered(pkh_table_builder *b, const char *name, const pkh_column *c,
                                     const int64_t *index, int64_t n, const pkh_allocator *a,
                                     pkh_error *err)
{
    a = pkh__allocator(a);
    const size_t nn = (size_t)(n > 0 ? n : 1);
    uint8_t *valid = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
    void *vals = pkh__alloc(a, nn * 8);
    if (valid == NULL || vals == NULL) {
        pkh__free(a, valid, pkh__bitmap_bytes(n));
        pkh__free(a, vals, nn * 8);
        return pkh__enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = index[i];
        const bool ok = r >= 0 && valid_row(c, r);
        if (ok) {
            pkh__bit_set(valid, i);
        }
        switch (c->type) {
        case PKH_TYPE_INT64:
            ((int64_t *)vals)[i] = ok ? ((const int64_t *)c->values)[r] : 0;
            break;
        case PKH_TYPE_FLOAT64:
            ((double *)vals)[i] = ok ? ((const double *)c->values)[r] : 0;
            break;
        case PKH_TYPE_BOOL:
            ((uint8_t *)vals)[i] = ok ? pkh__bit_get(c->values, r) : 0;
            break;
        case PKH_TYPE_DICT:
            ((int32_t *)vals)[i] = ok ? ((const int32_t *)c->values)[r] : 0;
            break;
        }
    }
    pkh_status st = PKH_OK;
    switch (c->type) {
    case PKH_TYPE_INT64:
        st = pkh_table_builder_add_int64(b, name, vals, valid, n, err);
        break;
    case PKH_TYPE_FLOAT64:
        st = pkh_table_builder_add_float64(b, name, vals, valid, n, err);
        break;
    case PKH_TYPE_BOOL:
        st = pkh_table_builder_add_bool(b, name, vals, valid, n, err);
        break;
    case PKH_TYPE_DICT: {
        const size_t nd = (size_t)(c->dict_size > 0 ? c->dict_size : 1);
        char **dict = pkh__calloc(a, nd, sizeof *dict);
        st = dict == NULL ? pkh__enomem(err) : PKH_OK;
        for (int64_t d = 0; d < c->dict_size && st == PKH_OK; d++) {
            size_t len;
            const char *s = dict_at(c, d, &len);
            dict[d] = pkh__strndup(a, s, len);
            st = dict[d] == NULL ? pkh__enomem(err) : PKH_OK;
        }
        if (st == PKH_OK) {
            st = pkh_table_builder_add_dict(b, name, vals, valid, n, (const char *const *)dict,
                                            c->dict_size, err);
        }
        for (int64_t d = 0; dict != NULL && d < c->dict_size; d++) {
            pkh__free_str(a, dict[d]);
        }
        pkh__free(a, dict, nd * sizeof *dict);
        break;
    }
    }
    pkh__free(a, valid, pkh__bitmap_bytes(n));
    pkh__free(a, vals, nn * 8);
    return st;
}
