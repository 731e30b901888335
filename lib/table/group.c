/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Group-by: dense group ids in sorted key order, and a table of the keys.
 */
#include <stdlib.h>

#include "internal/table.h"

struct pkh_groups {
    const pkh_allocator *alloc;
    int64_t rows, count, missing;
    int32_t *ids;
    pkh_table *keys;
};

/* The distinct present values of one key column, sorted, and each row's rank among them. */
typedef struct keycol {
    const pkh_column *col;
    int64_t k;         /* distinct values */
    int32_t *rank;     /* per row, -1 missing */
    bool own_rank;     /* rank allocated here (not the group ids) */
    uint64_t *sorted;  /* numbers: sorted distinct raw bits (int64 or double); dict: sorted codes */
    size_t sorted_cap; /* entries allocated */
} keycol;

static bool row_in(const pkh_column *c, const uint8_t *mask, int64_t i)
{
    return (mask == NULL || mask[i]) && (c->validity == NULL || pkh__bit_get(c->validity, i));
}

/* ---- a small open-addressing set of 64-bit values mapping to ranks ---- */

typedef struct vset {
    uint64_t *keys;
    int32_t *vals; /* -1 empty */
    size_t mask;
    int64_t n;
} vset;

static pkh_status vset_init(const pkh_allocator *a, vset *s, size_t cap)
{
    size_t n = 16;
    while (n < cap * 2) {
        n *= 2;
    }
    s->keys = pkh__alloc(a, n * sizeof *s->keys);
    s->vals = pkh__alloc(a, n * sizeof *s->vals);
    s->mask = n - 1;
    s->n = 0;
    if (s->keys == NULL || s->vals == NULL) {
        return PKH_ENOMEM;
    }
    memset(s->vals, 0xff, n * sizeof *s->vals);
    return PKH_OK;
}

static void vset_free(const pkh_allocator *a, vset *s)
{
    pkh__free(a, s->keys, (s->mask + 1) * sizeof *s->keys);
    pkh__free(a, s->vals, (s->mask + 1) * sizeof *s->vals);
    memset(s, 0, sizeof *s);
}

static int32_t *vset_slot(const vset *s, uint64_t key)
{
    for (size_t i = pkh__hash_u64(key) & s->mask;; i = (i + 1) & s->mask) {
        if (s->vals[i] < 0 || s->keys[i] == key) {
            s->keys[i] = key;
            return &s->vals[i];
        }
    }
}

static pkh_status vset_add(const pkh_allocator *a, vset *s, uint64_t key)
{
    int32_t *v = vset_slot(s, key);
    if (*v >= 0) {
        return PKH_OK;
    }
    *v = 0;
    s->n++;
    if ((size_t)s->n * 2 <= s->mask + 1) {
        return PKH_OK;
    }
    vset bigger;
    if (vset_init(a, &bigger, (size_t)s->n * 2) != PKH_OK) {
        vset_free(a, &bigger);
        return PKH_ENOMEM;
    }
    for (size_t i = 0; i <= s->mask; i++) {
        if (s->vals[i] >= 0) {
            *vset_slot(&bigger, s->keys[i]) = s->vals[i];
            bigger.n++;
        }
    }
    vset_free(a, s);
    *s = bigger;
    return PKH_OK;
}

static uint64_t raw_key(const pkh_column *c, int64_t i)
{
    switch (c->type) {
    case PKH_TYPE_INT64:
        return (uint64_t)((const int64_t *)c->values)[i];
    case PKH_TYPE_FLOAT64:
        return pkh__double_key(((const double *)c->values)[i]);
    case PKH_TYPE_BOOL:
        return pkh__bit_get(c->values, i);
    case PKH_TYPE_DICT:
        return (uint64_t)((const int32_t *)c->values)[i];
    }
    return 0;
}

static bool present(const pkh_column *c, const uint8_t *mask, int64_t i)
{
    if (!row_in(c, mask, i)) {
        return false;
    }
    if (c->type == PKH_TYPE_FLOAT64) {
        const double v = ((const double *)c->values)[i];
        return v == v;
    }
    return true;
}

/* Sort order of the distinct values: numbers by value, dictionary codes by their strings
 * (qsort_r carries the column: no global state). */
static int cmp_u64(const void *pa, const void *pb, void *ctx)
{
    (void)ctx;
    const uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static int cmp_i64(const void *pa, const void *pb, void *ctx)
{
    (void)ctx;
    const int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

static int cmp_code(const void *pa, const void *pb, void *ctx)
{
    const pkh_column *c = ctx;
    const uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    const size_t la = (size_t)(c->dict_offsets[a + 1] - c->dict_offsets[a]);
    const size_t lb = (size_t)(c->dict_offsets[b + 1] - c->dict_offsets[b]);
    const int r = memcmp(c->dict_data + c->dict_offsets[a], c->dict_data + c->dict_offsets[b],
                         la < lb ? la : lb);
    return r != 0 ? r : (la < lb ? -1 : la > lb);
}

/* Dictionary columns: codes are small dense integers, so plain arrays replace the hash. The
 * passes over the rows run on every core, in fixed chunks. */
#define DICT_CHUNK ((int64_t)1 << 18)

typedef struct dict_job {
    const pkh_column *c;
    const uint8_t *mask;
    int64_t rows;
    uint8_t *seen;          /* [chunk][code]: the code occurs in the chunk */
    const int32_t *rank_of; /* the code's rank, for the second pass */
    int32_t *rank;
    size_t nd;
} dict_job;

static pkh_status dict_seen_task(void *ctx, int64_t k)
{
    const dict_job *j = ctx;
    const int32_t *codes = j->c->values;
    uint8_t *seen = j->seen + (size_t)k * j->nd;
    const int64_t from = k * DICT_CHUNK,
                  to = from + DICT_CHUNK < j->rows ? from + DICT_CHUNK : j->rows;
    for (int64_t i = from; i < to; i++) {
        if (row_in(j->c, j->mask, i)) {
            seen[codes[i]] = 1;
        }
    }
    return PKH_OK;
}

static pkh_status dict_rank_task(void *ctx, int64_t k)
{
    const dict_job *j = ctx;
    const int32_t *codes = j->c->values;
    const int64_t from = k * DICT_CHUNK,
                  to = from + DICT_CHUNK < j->rows ? from + DICT_CHUNK : j->rows;
    if (j->mask == NULL && j->c->validity == NULL) {
        for (int64_t i = from; i < to; i++) {
            j->rank[i] = j->rank_of[codes[i]];
        }
        return PKH_OK;
    }
    for (int64_t i = from; i < to; i++) {
        j->rank[i] = row_in(j->c, j->mask, i) ? j->rank_of[codes[i]] : -1;
    }
    return PKH_OK;
}

static pkh_status rank_dict(const pkh_allocator *a, keycol *kc, int64_t rows, const uint8_t *mask,
                            int threads)
{
    const pkh_column *c = kc->col;
    const size_t nd = (size_t)(c->dict_size > 0 ? c->dict_size : 1);
    const int64_t chunks = rows > 0 ? (rows + DICT_CHUNK - 1) / DICT_CHUNK : 1;
    /* a flag per code and chunk; past 64 MB of flags, one chunk at a time */
    const bool split = nd * (size_t)chunks <= ((size_t)64 << 20);
    const size_t nseen = nd * (size_t)(split ? chunks : 1);
    int32_t *rank_of = pkh__alloc(a, nd * sizeof *rank_of);
    uint8_t *seen = pkh__calloc(a, nseen, 1);
    if (kc->rank == NULL) { /* else the caller's (the group ids, for a single key) */
        kc->rank = pkh__alloc(a, (size_t)(rows > 0 ? rows : 1) * sizeof *kc->rank);
        kc->own_rank = true;
    }
    kc->sorted = pkh__alloc(a, nd * sizeof *kc->sorted);
    kc->sorted_cap = nd;
    if (rank_of == NULL || seen == NULL || kc->rank == NULL || kc->sorted == NULL) {
        pkh__free(a, rank_of, nd * sizeof *rank_of);
        pkh__free(a, seen, nseen);
        return PKH_ENOMEM;
    }
    dict_job j = {c, mask, rows, seen, rank_of, kc->rank, nd};
    if (split) {
        pkh__parallel_for(threads, chunks, dict_seen_task, &j);
    } else {
        j.nd = 0; /* every chunk marks the same flags, one after the other */
        pkh__parallel_for(1, chunks, dict_seen_task, &j);
        j.nd = nd;
    }
    int64_t m = 0;
    for (size_t d = 0; d < nd && c->dict_size > 0; d++) {
        bool any = false;
        for (size_t k = 0; k < nseen / nd && !any; k++) {
            any = seen[k * nd + d] != 0;
        }
        if (any) {
            kc->sorted[m++] = d;
        }
    }
    qsort_r(kc->sorted, (size_t)m, sizeof *kc->sorted, cmp_code, (void *)c);
    memset(rank_of, 0, nd * sizeof *rank_of);
    for (int64_t r = 0; r < m; r++) {
        rank_of[kc->sorted[r]] = (int32_t)r;
    }
    pkh__parallel_for(threads, chunks, dict_rank_task, &j);
    kc->k = m;
    pkh__free(a, rank_of, nd * sizeof *rank_of);
    pkh__free(a, seen, nseen);
    return PKH_OK;
}

/* Distinct present values of one column, sorted, and every row's rank. */
static pkh_status rank_column(const pkh_allocator *a, keycol *kc, int64_t rows, const uint8_t *mask,
                              int threads)
{
    const pkh_column *c = kc->col;
    if (c->type == PKH_TYPE_DICT) {
        return rank_dict(a, kc, rows, mask, threads);
    }
    vset set;
    pkh_status st = vset_init(a, &set, 64);
    for (int64_t i = 0; i < rows && st == PKH_OK; i++) {
        if (present(c, mask, i)) {
            st = vset_add(a, &set, raw_key(c, i));
        }
    }
    if (st == PKH_OK) {
        kc->k = set.n;
        kc->sorted_cap = (size_t)(set.n > 0 ? set.n : 1);
        kc->sorted = pkh__alloc(a, kc->sorted_cap * sizeof *kc->sorted);
        kc->rank = pkh__alloc(a, (size_t)(rows > 0 ? rows : 1) * sizeof *kc->rank);
        kc->own_rank = true;
        st = kc->sorted == NULL || kc->rank == NULL ? PKH_ENOMEM : PKH_OK;
    }
    if (st == PKH_OK) {
        int64_t m = 0;
        for (size_t i = 0; i <= set.mask; i++) {
            if (set.vals[i] >= 0) {
                kc->sorted[m++] = set.keys[i];
            }
        }
        if (c->type == PKH_TYPE_DICT) {
            qsort_r(kc->sorted, (size_t)m, sizeof *kc->sorted, cmp_code, (void *)c);
        } else if (c->type == PKH_TYPE_INT64) {
            qsort_r(kc->sorted, (size_t)m, sizeof *kc->sorted, cmp_i64, NULL);
        } else {
            qsort_r(kc->sorted, (size_t)m, sizeof *kc->sorted, cmp_u64, NULL);
        }
        for (int64_t r = 0; r < m; r++) {
            *vset_slot(&set, kc->sorted[r]) = (int32_t)r;
        }
        for (int64_t i = 0; i < rows; i++) {
            kc->rank[i] = present(c, mask, i) ? *vset_slot(&set, raw_key(c, i)) : -1;
        }
    }
    vset_free(a, &set);
    return st;
}

/* The key table: for group g, column j holds the value of rank ranks[g * ncols + j]. */
static pkh_status key_table(const pkh_allocator *a, keycol *kcs, int64_t ncols,
                            const int64_t *ranks, int64_t k, pkh_table **out, pkh_error *err)
{
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(a, &b, err);
    void *vals = NULL;
    const size_t vbytes = (size_t)(k > 0 ? k : 1) * 8;
    if (st == PKH_OK) {
        vals = pkh__alloc(a, vbytes);
        st = vals == NULL ? pkh__enomem(err) : PKH_OK;
    }
    for (int64_t j = 0; j < ncols && st == PKH_OK; j++) {
        const pkh_column *c = kcs[j].col;
        for (int64_t g = 0; g < k; g++) {
            const uint64_t v = kcs[j].sorted[ranks[g * ncols + j]];
            if (c->type == PKH_TYPE_FLOAT64) {
                const uint64_t bits = (v >> 63) ? v & ~((uint64_t)1 << 63) : ~v;
                memcpy((double *)vals + g, &bits, 8);
            } else if (c->type == PKH_TYPE_BOOL) {
                ((uint8_t *)vals)[g] = (uint8_t)v;
            } else if (c->type == PKH_TYPE_DICT) {
                ((int32_t *)vals)[g] = (int32_t)v;
            } else {
                ((int64_t *)vals)[g] = (int64_t)v;
            }
        }
        switch (c->type) {
        case PKH_TYPE_INT64:
            st = pkh_table_builder_add_int64(b, c->name, vals, NULL, k, err);
            break;
        case PKH_TYPE_FLOAT64:
            st = pkh_table_builder_add_float64(b, c->name, vals, NULL, k, err);
            break;
        case PKH_TYPE_BOOL:
            st = pkh_table_builder_add_bool(b, c->name, vals, NULL, k, err);
            break;
        case PKH_TYPE_DICT: {
            const char **strs = pkh__alloc(a, (size_t)(k > 0 ? k : 1) * sizeof *strs);
            char **owned = pkh__calloc(a, (size_t)(k > 0 ? k : 1), sizeof *owned);
            st = strs == NULL || owned == NULL ? pkh__enomem(err) : PKH_OK;
            for (int64_t g = 0; g < k && st == PKH_OK; g++) {
                const int32_t code = ((int32_t *)vals)[g];
                owned[g] =
                    pkh__strndup(a, c->dict_data + c->dict_offsets[code],
                                 (size_t)(c->dict_offsets[code + 1] - c->dict_offsets[code]));
                strs[g] = owned[g];
                st = owned[g] == NULL ? pkh__enomem(err) : PKH_OK;
            }
            if (st == PKH_OK) {
                st = pkh_table_builder_add_strings(b, c->name, strs, k, err);
            }
            for (int64_t g = 0; owned != NULL && g < k; g++) {
                pkh__free_str(a, owned[g]);
            }
            pkh__free(a, owned, (size_t)(k > 0 ? k : 1) * sizeof *owned);
            pkh__free(a, strs, (size_t)(k > 0 ? k : 1) * sizeof *strs);
            break;
        }
        }
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, err);
    }
    pkh__free(a, vals, vbytes);
    pkh_table_builder_free(b);
    return st;
}

/* Mixed-radix code of row i's ranks, or UINT64_MAX when a key is missing. */
static uint64_t row_code(const keycol *kcs, int64_t ncols, int64_t i)
{
    uint64_t code = 0;
    for (int64_t j = 0; j < ncols; j++) {
        const int32_t r = kcs[j].rank[i];
        if (r < 0) {
            return UINT64_MAX;
        }
        code = code * (uint64_t)(kcs[j].k > 0 ? kcs[j].k : 1) + (uint64_t)r;
    }
    return code;
}

/* Few enough combinations for a plain array indexed by the code (codes in lexicographic
 * order, so ids in code order are the sorted order). */
static pkh_status combine_dense(const pkh_allocator *a, keycol *kcs, int64_t ncols, int64_t rows,
                                uint64_t span, pkh_groups *g, int64_t **ranks_out, pkh_error *err)
{
    int32_t *id_of = pkh__alloc(a, (size_t)span * sizeof *id_of);
    if (id_of == NULL) {
        return pkh__enomem(err);
    }
    memset(id_of, 0xff, (size_t)span * sizeof *id_of);
    for (int64_t i = 0; i < rows; i++) {
        const uint64_t code = row_code(kcs, ncols, i);
        if (code != UINT64_MAX) {
            id_of[code] = 0;
        }
    }
    int64_t m = 0;
    for (uint64_t code = 0; code < span; code++) {
        if (id_of[code] == 0) {
            id_of[code] = (int32_t)m++;
        }
    }
    int64_t *ranks = pkh__alloc(a, (size_t)(m > 0 ? m : 1) * (size_t)ncols * sizeof *ranks);
    if (ranks == NULL) {
        pkh__free(a, id_of, (size_t)span * sizeof *id_of);
        return pkh__enomem(err);
    }
    for (uint64_t code = 0; code < span; code++) {
        if (id_of[code] < 0) {
            continue;
        }
        uint64_t c = code;
        for (int64_t j = ncols - 1; j >= 0; j--) {
            const uint64_t k = (uint64_t)(kcs[j].k > 0 ? kcs[j].k : 1);
            ranks[(int64_t)id_of[code] * ncols + j] = (int64_t)(c % k);
            c /= k;
        }
    }
    for (int64_t i = 0; i < rows; i++) {
        const uint64_t code = row_code(kcs, ncols, i);
        g->ids[i] = code == UINT64_MAX ? -1 : id_of[code];
    }
    g->count = m;
    *ranks_out = ranks;
    pkh__free(a, id_of, (size_t)span * sizeof *id_of);
    return PKH_OK;
}

/* Combine per-column ranks into dense group ids in lexicographic order. */
static pkh_status combine(const pkh_allocator *a, keycol *kcs, int64_t ncols, int64_t rows,
                          pkh_groups *g, int64_t **ranks_out, pkh_error *err)
{
    uint64_t span = 1;
    for (int64_t j = 0; j < ncols; j++) {
        const uint64_t k = (uint64_t)(kcs[j].k > 0 ? kcs[j].k : 1);
        if (span > UINT64_MAX / k) {
            return pkh__errorf(err, PKH_EOVERFLOW, "too many combinations of group keys");
        }
        span *= k;
    }
    if (ncols == 1) {
        /* one key: the ranks are already the dense group ids in sorted order */
        int64_t *ranks = pkh__alloc(a, (size_t)(kcs[0].k > 0 ? kcs[0].k : 1) * sizeof *ranks);
        if (ranks == NULL) {
            return pkh__enomem(err);
        }
        for (int64_t r = 0; r < kcs[0].k; r++) {
            ranks[r] = r;
        }
        if (kcs[0].rank != g->ids) {
            memcpy(g->ids, kcs[0].rank, (size_t)rows * sizeof *g->ids);
        }
        g->count = kcs[0].k;
        *ranks_out = ranks;
        return PKH_OK;
    }
    if (span <= ((uint64_t)1 << 22)) {
        return combine_dense(a, kcs, ncols, rows, span, g, ranks_out, err);
    }
    vset set;
    pkh_status st = vset_init(a, &set, 64);
    uint64_t *codes = pkh__alloc(a, (size_t)(rows > 0 ? rows : 1) * sizeof *codes);
    st = st == PKH_OK && codes == NULL ? PKH_ENOMEM : st;
    for (int64_t i = 0; i < rows && st == PKH_OK; i++) {
        uint64_t code = 0;
        bool miss = false;
        for (int64_t j = 0; j < ncols; j++) {
            const int32_t r = kcs[j].rank[i];
            miss = miss || r < 0;
            code = code * (uint64_t)(kcs[j].k > 0 ? kcs[j].k : 1) + (uint64_t)(r < 0 ? 0 : r);
        }
        codes[i] = miss ? UINT64_MAX : code;
        if (!miss) {
            st = vset_add(a, &set, code);
        }
    }
    uint64_t *distinct = NULL;
    int64_t *ranks = NULL;
    if (st == PKH_OK && set.n > INT32_MAX) {
        st = PKH_EOVERFLOW;
    }
    if (st == PKH_OK) {
        distinct = pkh__alloc(a, (size_t)(set.n > 0 ? set.n : 1) * sizeof *distinct);
        ranks = pkh__alloc(a, (size_t)(set.n > 0 ? set.n : 1) * (size_t)ncols * sizeof *ranks);
        st = distinct == NULL || ranks == NULL ? PKH_ENOMEM : PKH_OK;
    }
    if (st == PKH_OK) {
        int64_t m = 0;
        for (size_t i = 0; i <= set.mask; i++) {
            if (set.vals[i] >= 0) {
                distinct[m++] = set.keys[i];
            }
        }
        qsort_r(distinct, (size_t)m, sizeof *distinct, cmp_u64, NULL);
        for (int64_t gi = 0; gi < m; gi++) {
            *vset_slot(&set, distinct[gi]) = (int32_t)gi;
            uint64_t code = distinct[gi];
            for (int64_t j = ncols - 1; j >= 0; j--) {
                const uint64_t k = (uint64_t)(kcs[j].k > 0 ? kcs[j].k : 1);
                ranks[gi * ncols + j] = (int64_t)(code % k);
                code /= k;
            }
        }
        for (int64_t i = 0; i < rows; i++) {
            g->ids[i] = codes[i] == UINT64_MAX ? -1 : *vset_slot(&set, codes[i]);
        }
        g->count = m;
    }
    pkh__free(a, codes, (size_t)(rows > 0 ? rows : 1) * sizeof *codes);
    pkh__free(a, distinct, (size_t)(set.n > 0 ? set.n : 1) * sizeof *distinct);
    if (st == PKH_OK) {
        *ranks_out = ranks;
    } else {
        pkh__free(a, ranks, (size_t)(set.n > 0 ? set.n : 1) * (size_t)ncols * sizeof *ranks);
    }
    vset_free(a, &set);
    if (st == PKH_EOVERFLOW) {
        return pkh__errorf(err, st, "too many groups (more than 2^31 - 1)");
    }
    return st == PKH_OK ? PKH_OK : pkh__enomem(err);
}

void pkh_groups_free(pkh_groups *groups)
{
    if (groups == NULL) {
        return;
    }
    const pkh_allocator *a = groups->alloc;
    pkh__free(a, groups->ids, (size_t)(groups->rows > 0 ? groups->rows : 1) * sizeof(int32_t));
    pkh_table_free(groups->keys);
    pkh__free(a, groups, sizeof *groups);
}

pkh_status pkh_groups_new(const pkh_table *table, const char *const *columns, int64_t n_columns,
                          const uint8_t *mask, int threads, pkh_groups **out, pkh_error *err)
{
    const pkh_allocator *a = table->alloc;
    if (n_columns <= 0) {
        return pkh__errorf(err, PKH_EINVAL, "grouping needs at least one column");
    }
    const int64_t rows = table->num_rows;
    keycol *kcs = pkh__calloc(a, (size_t)n_columns, sizeof *kcs);
    pkh_groups *g = pkh__calloc(a, 1, sizeof *g);
    pkh_status st = kcs == NULL || g == NULL ? pkh__enomem(err) : PKH_OK;
    if (st == PKH_OK) {
        g->alloc = a;
        g->rows = rows;
        g->ids = pkh__alloc(a, (size_t)(rows > 0 ? rows : 1) * sizeof *g->ids);
        st = g->ids == NULL ? pkh__enomem(err) : PKH_OK;
    }
    for (int64_t j = 0; j < n_columns && st == PKH_OK; j++) {
        st = pkh_table_column(table, columns[j], &kcs[j].col, err);
        if (st == PKH_OK && n_columns == 1 && kcs[j].col->type == PKH_TYPE_DICT) {
            kcs[j].rank = g->ids; /* one dictionary key: its ranks are the ids */
        }
        if (st == PKH_OK && rank_column(a, &kcs[j], rows, mask, threads) != PKH_OK) {
            st = pkh__enomem(err);
        }
    }
    int64_t *ranks = NULL;
    if (st == PKH_OK) {
        st = combine(a, kcs, n_columns, rows, g, &ranks, err);
    }
    if (st == PKH_OK) {
        st = key_table(a, kcs, n_columns, ranks, g->count, &g->keys, err);
        pkh__free(a, ranks,
                  (size_t)(g->count > 0 ? g->count : 1) * (size_t)n_columns * sizeof *ranks);
    }
    if (st == PKH_OK) {
        for (int64_t i = 0; i < rows; i++) {
            g->missing += g->ids[i] < 0 && (mask == NULL || mask[i]);
        }
    }
    for (int64_t j = 0; kcs != NULL && j < n_columns; j++) {
        if (kcs[j].own_rank) {
            pkh__free(a, kcs[j].rank, (size_t)(rows > 0 ? rows : 1) * sizeof *kcs[j].rank);
        }
        pkh__free(a, kcs[j].sorted, kcs[j].sorted_cap * sizeof *kcs[j].sorted);
    }
    pkh__free(a, kcs, (size_t)n_columns * sizeof *kcs);
    if (st != PKH_OK) {
        pkh_groups_free(g);
        return st;
    }
    *out = g;
    return PKH_OK;
}

int64_t pkh_groups_count(const pkh_groups *groups)
{
    return groups->count;
}

const int32_t *pkh_groups_ids(const pkh_groups *groups)
{
    return groups->ids;
}

const pkh_table *pkh_groups_keys(const pkh_groups *groups)
{
    return groups->keys;
}

int64_t pkh_groups_missing(const pkh_groups *groups)
{
    return groups->missing;
}
