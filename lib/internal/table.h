/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal table representation, shared by the table, io and higher layers. Never installed.
 */
#ifndef PKH_INTERNAL_TABLE_H
#define PKH_INTERNAL_TABLE_H

#include <pkh/table.h>

#include "internal/core.h"

/* Shared owner of a column's buffers: tables that share a column (select, concat) and views
 * handed to other languages hold references; the last one frees the buffers. */
typedef struct pkh__store pkh__store;

struct pkh_column {
    char *name; /* owned by the column (its table), allocated with the table's allocator */
    pkh_type type;
    int64_t length;
    int64_t null_count;
    void *values; /* int64/double: 8 bytes a row; bool: bitmap; dict: int32 codes */
    size_t values_bytes;
    uint8_t *validity; /* NULL when null_count == 0 */
    size_t validity_bytes;
    int64_t dict_size;
    int64_t *dict_offsets; /* dict_size + 1 entries */
    size_t dict_offsets_bytes;
    char *dict_data;
    size_t dict_data_bytes;
    pkh__store *store; /* NULL while a builder owns the buffers directly */
    /* the summary, when the reader computed it on the way (pkh_csv_options.summaries) */
    bool has_summary;
    pkh_column_summary summary;
};

struct pkh_table {
    const pkh_allocator *alloc;
    int64_t num_rows;
    int64_t num_columns;
    pkh_column *columns;
    size_t columns_cap;
};

/** Release a column (its name, and its buffers or its store reference) and zero it. */
void pkh__column_release(const pkh_allocator *a, pkh_column *c);

/** Take one more reference to a column's shared buffers (the column must be in a table). */
pkh__store *pkh__store_ref(const pkh_column *c);
/** Drop a reference; the last one frees the buffers. NULL is fine. */
void pkh__store_unref(pkh__store *s);

/**
 * Make a table that takes ownership of `columns[0..n)` (the structs are copied, their buffers
 * moved). On failure the columns are released. Checks equal lengths and unique, non-empty names.
 */
pkh_status pkh__table_take(const pkh_allocator *a, pkh_column *columns, int64_t n, int64_t num_rows,
                           pkh_table **out, pkh_error *err);

/* ---- growable string dictionary with hashing ---- */

typedef struct pkh__dict {
    const pkh_allocator *alloc;
    int64_t size;
    int64_t *offsets;   /* size + 1 used */
    size_t offsets_cap; /* entries */
    char *data;
    size_t data_len, data_cap;
    int32_t *slots;    /* open addressing: code + 1, 0 empty */
    uint64_t *hashes;  /* per code */
    size_t hashes_cap; /* entries */
    size_t slot_mask;
} pkh__dict;

pkh_status pkh__dict_init(pkh__dict *d, const pkh_allocator *a);
void pkh__dict_free(pkh__dict *d);
/** Code of the string, inserting it if new. PKH_EOVERFLOW past INT32_MAX entries. */
pkh_status pkh__dict_intern(pkh__dict *d, const char *s, size_t len, int32_t *code);
/** Code of the string if present, else -1. */
int32_t pkh__dict_find(const pkh__dict *d, const char *s, size_t len);
/** Move the dictionary's buffers into column `c` (type DICT); `d` is left empty but valid. */
pkh_status pkh__dict_move_to_column(pkh__dict *d, pkh_column *c);
/** Entry `code` (no NUL). */
static inline const char *pkh__dict_get(const pkh__dict *d, int32_t code, size_t *len)
{
    *len = (size_t)(d->offsets[code + 1] - d->offsets[code]);
    return d->data + d->offsets[code];
}

/* ---- radix sort ---- */

/** An order-preserving map of doubles to unsigned integers (-0 sorts with +0; no NaN). */
static inline uint64_t pkh__double_key(double x)
{
    uint64_t bits;
    if (x == 0) {
        x = 0; /* -0 and +0 are equal */
    }
    memcpy(&bits, &x, 8);
    return (bits >> 63) ? ~bits : bits | ((uint64_t)1 << 63);
}

/** The double that pkh__double_key() mapped to `key` (-0 comes back as +0). */
static inline double pkh__key_double(uint64_t key)
{
    const uint64_t bits = (key >> 63) ? key & ~((uint64_t)1 << 63) : ~key;
    double x;
    memcpy(&x, &bits, 8);
    return x;
}

/**
 * Stable ascending sort of `n` records of `size` bytes (16, 24, 32 or 48; a uint64_t key first,
 * the payload after it), ping-ponging between `a` and `b` (each n records). Returns the buffer
 * that holds the sorted records; the other one is free scratch. Passes whose digit is the same
 * for every key are skipped; the result does not depend on `threads`.
 */
void *pkh__radix_sort_records(void *a, void *b, size_t size, int64_t n, int threads);

/**
 * As pkh__radix_sort_records() on one thread, in place, for a run that fits in cache (a bucket
 * of an MSD pass made by the caller): `scratch` holds n records.
 */
void pkh__sort_records_small(void *recs, void *scratch, size_t size, int64_t n);

/** Sub-buckets of pkh__sort_bucket16(): at most 2^PKH__BUCKET_SORT_BITS. */
#define PKH__BUCKET_SORT_BITS 14
/** Entries of pkh__sort_bucket16()'s `pos`. */
#define PKH__BUCKET_SORT_POS ((size_t)1 << PKH__BUCKET_SORT_BITS)

/**
 * A bucket of `m` 16-byte records {key, payload} from an MSD pass of the caller, whose keys
 * agree above bit `below`, sorted (stable, by key) into `out` (m records, not overlapping). The
 * next bits of the keys below `below` deal the records to sub-buckets (about one record each),
 * and each sub-bucket is sorted where it lies: so no pass looks for the keys' range and no
 * record goes back to `recs`, whose records are left in an unspecified order (it is the scratch
 * of the large sub-buckets). `pos` is the caller's room for PKH__BUCKET_SORT_POS counts.
 */
void pkh__sort_bucket16(void *recs, void *out, int64_t m, int below, int64_t *pos);

/**
 * Stable ascending sort of `n` keys: writes the permutation (original indices) to `perm`.
 * LSD radix sort, 11-bit digits, passes whose digit is the same for every key skipped; the
 * scatter runs on `threads` threads and the result does not depend on them.
 */
pkh_status pkh__radix_argsort(const uint64_t *keys, int64_t n, int threads, const pkh_allocator *a,
                              int64_t *perm);

/**
 * Stable counting sort of `perm` (n row indices; NULL: 0..n-1) by `group[perm[i]]` in [0, k):
 * writes the
 * reordered indices to `out` and the k + 1 group offsets to `offsets`. Rows with group < 0 are
 * dropped (offsets[k] counts the kept rows).
 */
pkh_status pkh__group_sort(const int64_t *perm, int64_t n, const int32_t *group, int64_t k,
                           const pkh_allocator *a, int64_t *out, int64_t *offsets);

/* ---- column summaries in fixed chunks (lib/table/summary.c) ----
 * A summary is the ordered merge of one part per chunk of PKH__SUMMARY_CHUNK rows (rows
 * [k * CHUNK, (k + 1) * CHUNK)), so whoever computes a part (pkh_column_summarize, or the CSV
 * reader while it copies values) gets the same bits. */

#define PKH__SUMMARY_CHUNK ((int64_t)1 << 10)

typedef struct pkh__summary_part {
    int64_t count;
    double min, max;
    pkh__ksum sum;
    pkh__int128 isum; /* int64 and bool columns: exact */
    bool any_nan;
    bool done; /* for callers that fill parts piecemeal */
} pkh__summary_part;

/** The part of rows [from, to) of int64 (`float64` false) or float64 values; `validity` may be
 *  NULL (all present) and is indexed like `values`. */
void pkh__summary_chunk(bool float64, const void *values, const uint8_t *validity, int64_t from,
                        int64_t to, pkh__summary_part *p);

/** Merge the parts of every chunk of an int64 or float64 column of `length` rows, in order. */
void pkh__summary_merge(bool float64, int64_t length, const pkh__summary_part *parts,
                        pkh_column_summary *out);

/* ---- joining members to households (lib/table/aggregate.c) ---- */

/** Row of `right` with no household: its key is missing, or matches no row of `left`. */
#define PKH__NO_MATCH (-1)

/** What pkh__key_match() found. */
typedef struct pkh__match_info {
    int64_t unmatched;       /**< right rows whose key matches no left row */
    int64_t missing_key;     /**< right rows with a missing key */
    int64_t first_unmatched; /**< first such row (0-based), -1 when none; for messages */
} pkh__match_info;

/**
 * For every row of `right`, the row of `left` whose `left_key` equals its `right_key`
 * (PKH__NO_MATCH when none): the member -> household link. Keys are int64 (or bool) in both
 * tables, or strings in both. Left keys must be unique; rows with a missing left key match
 * nothing.
 * \param[out] row_of  `right` rows entries, caller-allocated.
 * \return PKH_OK; PKH_ENOTFOUND for a missing key column; PKH_ETYPE for float or mixed key
 *         types; PKH_EDUPLICATE naming a repeated left key and its two rows; PKH_ENOMEM.
 */
pkh_status pkh__key_match(const pkh_table *left, const char *left_key, const pkh_table *right,
                          const char *right_key, const pkh_allocator *a, int64_t *row_of,
                          pkh__match_info *info, pkh_error *err);

/**
 * Add to `b` a column named `name` with `n` rows: row i holds `column`'s value at row
 * `index[i]`, or is missing when index[i] < 0 (a join of a household column onto members).
 * \return as pkh_table_builder_add_int64().
 */
pkh_status pkh__builder_add_gathered(pkh_table_builder *b, const char *name,
                                     const pkh_column *column, const int64_t *index, int64_t n,
                                     const pkh_allocator *a, pkh_error *err);

#endif /* PKH_INTERNAL_TABLE_H */
