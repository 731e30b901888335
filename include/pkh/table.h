/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The columnar table: typed, immutable columns in Arrow-compatible layout.
 */
#ifndef PKH_TABLE_H
#define PKH_TABLE_H

#include <pkh/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Physical column type. Values are ABI: append, never renumber. */
typedef enum pkh_type {
    PKH_TYPE_INT64 = 1,   /**< int64_t values */
    PKH_TYPE_FLOAT64 = 2, /**< double values */
    PKH_TYPE_BOOL = 3,    /**< bit-packed, least significant bit first (Arrow) */
    PKH_TYPE_DICT = 4     /**< int32 codes into a dictionary of UTF-8 strings */
} pkh_type;

/** "int64", "float64", "bool" or "string"; static storage; "?" for an unknown value. */
PKH_API const char *pkh_type_name(pkh_type type);

/**
 * Parse a type name: "int64" (or "int"), "float64" (or "float", "double"), "bool", "string"
 * (or "str", "dict"). Case-sensitive.
 * \return PKH_OK, or PKH_EINVAL for any other text (`*out` untouched).
 */
PKH_API pkh_status pkh_type_parse(const char *name, pkh_type *out);

typedef struct pkh_table pkh_table;   /**< Immutable once built; safe to read from any thread. */
typedef struct pkh_column pkh_column; /**< Always borrowed from its table. */

/** Free a table and every column. NULL is fine. */
PKH_API void pkh_table_free(pkh_table *table);

/** Number of rows (every column has this length). */
PKH_API int64_t pkh_table_num_rows(const pkh_table *table);

/** Number of columns. */
PKH_API int64_t pkh_table_num_columns(const pkh_table *table);

/** Column `i` (0-based), or NULL when out of range. Borrowed; valid until the table is freed. */
PKH_API const pkh_column *pkh_table_column_at(const pkh_table *table, int64_t i);

/**
 * Find a column by name.
 * \param[out] out  Borrowed; valid until `table` is freed. Untouched on failure.
 * \param[out] err  Optional (may be NULL); filled on failure.
 * \return PKH_OK, or PKH_ENOTFOUND if no column has that name (the message lists the columns).
 */
PKH_API pkh_status pkh_table_column(const pkh_table *table, const char *name,
                                    const pkh_column **out, pkh_error *err);

/** The column's name (NUL-terminated UTF-8). Borrowed. */
PKH_API const char *pkh_column_name(const pkh_column *column);
/** The column's type. */
PKH_API pkh_type pkh_column_type(const pkh_column *column);
/** Number of values (the table's row count). */
PKH_API int64_t pkh_column_length(const pkh_column *column);
/** Number of missing values. */
PKH_API int64_t pkh_column_null_count(const pkh_column *column);

/**
 * Validity bitmap: bit `i` (byte i/8, bit i%8, least significant first) is 1 when row `i` holds
 * a value. NULL when nothing is missing. Borrowed; 64-byte aligned.
 */
PKH_API const uint8_t *pkh_column_validity(const pkh_column *column);

/** 1 if row `row` holds a value, 0 if it is missing or out of range. */
PKH_API int pkh_column_is_valid(const pkh_column *column, int64_t row);

/** Values of an int64 column, or NULL for other types. Borrowed; 64-byte aligned. */
PKH_API const int64_t *pkh_column_int64(const pkh_column *column);
/** Values of a float64 column, or NULL for other types. Borrowed; 64-byte aligned. */
PKH_API const double *pkh_column_float64(const pkh_column *column);
/** Bit-packed values of a bool column, or NULL for other types. Borrowed; 64-byte aligned. */
PKH_API const uint8_t *pkh_column_bool_bits(const pkh_column *column);
/** Codes of a dictionary column, or NULL for other types. Borrowed; 64-byte aligned. */
PKH_API const int32_t *pkh_column_codes(const pkh_column *column);

/** Number of dictionary entries (distinct strings) of a dictionary column; 0 otherwise. */
PKH_API int64_t pkh_column_dict_size(const pkh_column *column);

/**
 * Dictionary entry `code`: its bytes (not NUL-terminated) and length.
 * \return PKH_OK, or PKH_EINVAL if the column is not a dictionary or `code` is out of range.
 */
PKH_API pkh_status pkh_column_dict_value(const pkh_column *column, int64_t code, const char **data,
                                         size_t *length);

/**
 * The dictionary in Arrow large-string layout: `offsets` has dict_size + 1 entries into `data`.
 * Either output may be NULL. Borrowed. Both NULL for a non-dictionary column.
 */
PKH_API void pkh_column_dict_buffers(const pkh_column *column, const int64_t **offsets,
                                     const char **data);

/**
 * Value of row `row` as a double: int64 and bool converted, float64 as is.
 * \return PKH_OK; PKH_EEMPTY if the row is missing; PKH_ETYPE for a dictionary column;
 *         PKH_EINVAL if `row` is out of range.
 */
PKH_API pkh_status pkh_column_get_double(const pkh_column *column, int64_t row, double *out);

/** Summary statistics of one column (see pkh_column_summarize()). */
typedef struct pkh_column_summary {
    int64_t count;    /**< present values */
    int64_t missing;  /**< missing values */
    double min;       /**< numbers and bools; NaN for strings or when count is 0 */
    double max;       /**< as min */
    double mean;      /**< as min; bool: the share of true values; compensated sum */
    double sum;       /**< as min */
    int64_t distinct; /**< strings: distinct present values; -1 for other types */
} pkh_column_summary;

/**
 * Count, missing values, min, mean and max (numbers and bools) or the number of distinct values
 * (strings) of a column, in one pass on `threads` threads (0: every core). The result does not
 * depend on the number of threads. NaN values of a float64 column count as present and make
 * min, max and mean NaN.
 * \return PKH_OK or PKH_ENOMEM.
 */
PKH_API pkh_status pkh_column_summarize(const pkh_column *column, int threads,
                                        pkh_column_summary *out, pkh_error *err);

/**
 * A table of the named columns of `table`, in the order given, sharing their data (no copy).
 * \param[out] out  Owned by the caller; free with pkh_table_free(). Independent of `table`,
 *                  which may be freed first.
 * \return PKH_OK; PKH_ENOTFOUND naming a missing column; PKH_EDUPLICATE for a name given
 *         twice; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_table_select(const pkh_table *table, const char *const *names, int64_t n,
                                    pkh_table **out, pkh_error *err);

/**
 * The columns of `a` followed by those of `b`, sharing their data (no copy). Both must have the
 * same number of rows (a table without columns fits any) and no name in common.
 * \param[out] out  Owned by the caller; free with pkh_table_free(). Independent of `a` and `b`.
 * \return PKH_OK; PKH_EINVAL for different row counts; PKH_EDUPLICATE; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_table_concat_columns(const pkh_table *a, const pkh_table *b, pkh_table **out,
                                            pkh_error *err);

/* ----- groups ----- */

typedef struct pkh_groups pkh_groups; /**< Rows grouped by key columns; immutable. */

/**
 * Group the rows of `table` by the values of one or more key columns. Groups are numbered in
 * sorted key order: numbers numerically, strings by bytes, bool false before true, several
 * columns lexicographically (the first column first). Only combinations that occur form
 * groups. A row with a missing key (or a NaN float key) belongs to no group (id -1), as does a
 * row outside `mask`.
 * \param columns  `n_columns` key column names (at least one).
 * \param mask     Optional: one byte per row, nonzero for rows to group; NULL for all rows.
 * \param threads  0 for every core.
 * \param[out] out Owned by the caller; free with pkh_groups_free(). Independent of `table`.
 * \return PKH_OK; PKH_ENOTFOUND naming a missing column; PKH_EINVAL for no columns;
 *         PKH_EOVERFLOW beyond 2^31 - 1 groups; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_groups_new(const pkh_table *table, const char *const *columns,
                                  int64_t n_columns, const uint8_t *mask, int threads,
                                  pkh_groups **out, pkh_error *err);

/** Free groups. NULL is fine. */
PKH_API void pkh_groups_free(pkh_groups *groups);
/** Number of groups. */
PKH_API int64_t pkh_groups_count(const pkh_groups *groups);
/** Group of each row of the table (-1: no group). Borrowed; valid until the groups are freed. */
PKH_API const int32_t *pkh_groups_ids(const pkh_groups *groups);
/** The keys: a table with one row per group (in group order) and one column per key column,
 *  named and typed as the key columns. Borrowed; valid until the groups are freed. */
PKH_API const pkh_table *pkh_groups_keys(const pkh_groups *groups);
/** Rows inside the mask left out because a key was missing. */
PKH_API int64_t pkh_groups_missing(const pkh_groups *groups);

/* ----- building tables ----- */

typedef struct pkh_table_builder pkh_table_builder; /**< Collects columns; single-threaded. */

/**
 * Start a table.
 * \param allocator  Used for the builder and the table it makes; NULL for the default.
 *                   Must outlive the table.
 * \param[out] out   Owned by the caller; free with pkh_table_builder_free().
 * \return PKH_OK or PKH_ENOMEM.
 */
PKH_API pkh_status pkh_table_builder_new(const pkh_allocator *allocator, pkh_table_builder **out,
                                         pkh_error *err);

/** Free a builder and any columns it still holds. NULL is fine. */
PKH_API void pkh_table_builder_free(pkh_table_builder *builder);

/**
 * Append a column, copying `values` (and `validity`, a bitmap as pkh_column_validity(), or NULL
 * when every value is present). Every column of a table must have the same length `n`.
 * \return PKH_OK; PKH_EDUPLICATE if the name exists; PKH_EINVAL for an empty name, n < 0, or a
 *         length different from earlier columns; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_table_builder_add_int64(pkh_table_builder *builder, const char *name,
                                               const int64_t *values, const uint8_t *validity,
                                               int64_t n, pkh_error *err);
/** As pkh_table_builder_add_int64(), for doubles. NaN values are kept as values, not missing. */
PKH_API pkh_status pkh_table_builder_add_float64(pkh_table_builder *builder, const char *name,
                                                 const double *values, const uint8_t *validity,
                                                 int64_t n, pkh_error *err);
/** As pkh_table_builder_add_int64(), for booleans given one byte per row (0 false, else true). */
PKH_API pkh_status pkh_table_builder_add_bool(pkh_table_builder *builder, const char *name,
                                              const uint8_t *values, const uint8_t *validity,
                                              int64_t n, pkh_error *err);
/**
 * Append a string column from NUL-terminated strings, dictionary-encoding them (codes in order
 * of first appearance). A NULL entry is a missing value.
 */
PKH_API pkh_status pkh_table_builder_add_strings(pkh_table_builder *builder, const char *name,
                                                 const char *const *values, int64_t n,
                                                 pkh_error *err);
/**
 * Append a dictionary column from codes and a dictionary of `dict_size` NUL-terminated strings.
 * Codes of present rows must be in [0, dict_size); dictionary entries must be distinct.
 * \return as pkh_table_builder_add_int64(), and PKH_EINVAL for a code out of range,
 *         PKH_EDUPLICATE for a repeated dictionary entry.
 */
PKH_API pkh_status pkh_table_builder_add_dict(pkh_table_builder *builder, const char *name,
                                              const int32_t *codes, const uint8_t *validity,
                                              int64_t n, const char *const *dict, int64_t dict_size,
                                              pkh_error *err);

/** Called once when the last table using borrowed data is freed; from any thread. */
typedef void (*pkh_release_fn)(void *ctx);

/**
 * Append an int64 or float64 column over the caller's memory, without copying: `values` (and
 * `validity`, a bitmap as pkh_column_validity(), or NULL) must stay valid and unchanged until
 * `release(ctx)` is called, which happens exactly once, when the last table sharing the column
 * is freed (possibly on another thread). On failure `release` is not called and the memory
 * stays the caller's. Borrowed values need only the alignment of their type (8 bytes), not the
 * 64 bytes of the library's own buffers.
 * \return PKH_OK; PKH_EINVAL for another type or NULL values; otherwise as
 *         pkh_table_builder_add_int64().
 */
PKH_API pkh_status pkh_table_builder_add_external(pkh_table_builder *builder, const char *name,
                                                  pkh_type type, const void *values,
                                                  const uint8_t *validity, int64_t n,
                                                  pkh_release_fn release, void *ctx,
                                                  pkh_error *err);

/**
 * Append `column` (from any table) under `name` (NULL keeps its name). The data is shared, not
 * copied: the column's table may be freed before or after the new one.
 * \return as pkh_table_builder_add_int64().
 */
PKH_API pkh_status pkh_table_builder_add_column(pkh_table_builder *builder, const char *name,
                                                const pkh_column *column, pkh_error *err);

/**
 * Make the table. The builder is emptied and may be freed (or reused for a new table).
 * A builder with no columns makes a table of 0 rows and 0 columns.
 * \param[out] out  Owned by the caller; free with pkh_table_free().
 * \return PKH_OK or PKH_ENOMEM.
 */
PKH_API pkh_status pkh_table_builder_finish(pkh_table_builder *builder, pkh_table **out,
                                            pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_TABLE_H */
