/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input and output: byte sources, the CSV reader, the CSV and JSON writers.
 */
#ifndef PKH_IO_H
#define PKH_IO_H

#include <pkh/core.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A pluggable byte source (files, memory, standard input, or anything a caller supplies).
 *
 * `read` copies up to `capacity` bytes into `buffer` and returns how many (0 at the end), or -1
 * after filling `err` (which may be NULL). `size` is the total number of bytes when known, else -1
 * (used only for progress and for sizing buffers). `name` appears in error messages.
 * gzip compression is recognised by the reader from the first bytes, whatever the source.
 */
typedef struct pkh_source {
    int64_t (*read)(void *ctx, void *buffer, size_t capacity, pkh_error *err);
    void *ctx;
    const char *name;
    int64_t size;
} pkh_source;

/**
 * Progress callback: `done` bytes of `total` (-1 when unknown) consumed from the source so far.
 * Return non-zero to stop the read with PKH_ECANCELED. Called from the reading thread only.
 */
typedef int (*pkh_progress_fn)(void *ctx, int64_t done, int64_t total);

/** A per-column type override for the CSV reader. */
typedef struct pkh_csv_type {
    const char *column; /**< header name */
    pkh_type type;      /**< forced type; a value that does not parse as it is an error */
} pkh_csv_type;

/**
 * Options of the CSV reader. Initialise with PKH_CSV_OPTIONS_INIT and set what differs.
 * Pointers are borrowed for the duration of the call only.
 */
typedef struct pkh_csv_options {
    char delimiter; /**< 0: detect among ',', ';', '\t', '|' from the first lines */
    char decimal;   /**< '.' (default) or ','; with ',' the comma is never the delimiter */
    /** Texts read as missing (besides the empty field, always missing); NULL for the
     *  default set "NA", "N/A", ".", "NaN". Matched exactly, after trimming spaces. */
    const char *const *na_values;
    size_t n_na_values;
    /** Columns to read, by header name, in the order of the output table; NULL for all. */
    const char *const *columns;
    size_t n_columns;
    /** Per-column type overrides (columns not read are ignored). */
    const pkh_csv_type *types;
    size_t n_types;
    int threads;                    /**< worker threads; 0 for every online core */
    const pkh_allocator *allocator; /**< NULL for the default; must outlive the table */
    pkh_progress_fn progress;       /**< optional */
    void *progress_ctx;             /**< passed to `progress` */
    int64_t max_field_bytes;        /**< longest field or record accepted; 0: 256 MiB */
    int64_t first_line;             /**< number of the first line in messages; 0 means 1 */
    int64_t first_byte;             /**< offset of the first byte in counters; normally 0 */
    /** 1: summarise each int64 and float64 column while its values are in cache, so that
     *  pkh_column_summarize() on it answers at once (the same bits as computing afterwards). */
    int summaries;
} pkh_csv_options;

/** Default options: detect the delimiter, '.' decimal, default missing-value texts. */
#define PKH_CSV_OPTIONS_INIT                                               \
    {                                                                      \
        0, '.', NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0, 0, 0, 0 \
    }

/**
 * What a read found, besides the table. Filled on success by the reader functions that take it.
 */
typedef struct pkh_csv_info {
    char delimiter;      /**< the delimiter used */
    int gzip;            /**< 1 if the input was gzip-compressed */
    int64_t rows;        /**< data records read (header excluded) */
    int64_t lines;       /**< physical lines read, header included */
    int64_t bytes;       /**< bytes of CSV text (after decompression) */
    int64_t blank_lines; /**< empty lines skipped */
} pkh_csv_info;

/**
 * Read a CSV file (plain or gzip-compressed) with a header row into a table.
 *
 * Types are inferred over the whole column as values arrive: bool (true/false) or int64, then
 * float64, then string; integers with leading zeros, a '+' sign, or beyond the int64 range are
 * strings. Missing values leave a column's type alone.
 *
 * \param path  A file path, or "-" for standard input.
 * \param opts  NULL for defaults.
 * \param[out] out   Owned by the caller; free with pkh_table_free(). Untouched on failure.
 * \param[out] info  Optional.
 * \param[out] err   Optional; on failure names the file, line, field and offending text.
 * \return PKH_OK; PKH_EIO (cannot open or read); PKH_EPARSE (malformed CSV or gzip);
 *         PKH_EEMPTY (no header); PKH_EDUPLICATE (repeated header name); PKH_ENOTFOUND (a
 *         requested column is absent); PKH_ETYPE (a value does not parse as a forced type);
 *         PKH_EINVAL (bad options); PKH_EOVERFLOW; PKH_ECANCELED; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_csv_read_path(const char *path, const pkh_csv_options *opts, pkh_table **out,
                                     pkh_csv_info *info, pkh_error *err);

/**
 * As pkh_csv_read_path(), from `size` bytes at `data` (borrowed for the call). Messages name the
 * source `name` (NULL: "<memory>").
 */
PKH_API pkh_status pkh_csv_read_memory(const void *data, size_t size, const char *name,
                                       const pkh_csv_options *opts, pkh_table **out,
                                       pkh_csv_info *info, pkh_error *err);

/** As pkh_csv_read_path(), from any source (borrowed for the call). */
PKH_API pkh_status pkh_csv_read_source(const pkh_source *source, const pkh_csv_options *opts,
                                       pkh_table **out, pkh_csv_info *info, pkh_error *err);

/* ----- writing ----- */

/** Options of the CSV writer. Initialise with PKH_CSV_WRITE_OPTIONS_INIT. */
typedef struct pkh_csv_write_options {
    char delimiter; /**< ',' by default */
    int gzip;       /**< -1: by the file name (".gz"); 0: plain; 1: gzip */
    int level;      /**< gzip level 1..9; 0 for 6 */
    const char *na; /**< text written for missing values; NULL for "" */
} pkh_csv_write_options;

#define PKH_CSV_WRITE_OPTIONS_INIT \
    {                              \
        ',', -1, 0, NULL           \
    }

/**
 * Write a table as CSV with a header. Doubles are written in the shortest form that reads back
 * as the same double; strings are quoted when they hold the delimiter, a quote or a line break.
 * The file is written under a temporary name beside `path` and renamed at the end, so a failure
 * never leaves a partial file. `path` "-" writes to standard output.
 * \return PKH_OK, PKH_EIO or PKH_ENOMEM.
 */
PKH_API pkh_status pkh_csv_write_path(const pkh_table *table, const char *path,
                                      const pkh_csv_write_options *opts, pkh_error *err);

/**
 * Write a table as JSON: `{"meta": META, "results": [ {column: value, ...}, ... ]}`, one object
 * per row in column order, with `null` for missing values and for NaN. `meta_json` is a complete
 * JSON value written as given (NULL writes `{}`). Doubles round-trip exactly. Written to a
 * temporary name and renamed, like pkh_csv_write_path(); "-" writes to standard output.
 * \return PKH_OK, PKH_EIO or PKH_ENOMEM.
 */
PKH_API pkh_status pkh_json_write_path(const pkh_table *table, const char *meta_json,
                                       const char *path, pkh_error *err);

/**
 * Format a double in the shortest decimal form that reads back (strtod) as the same value:
 * "0.0941", "268000000", "1e-300", "nan", "inf", "-inf". `buf` must hold 32 bytes.
 * \return the length written (excluding the NUL).
 */
PKH_API size_t pkh_format_double(double value, char *buf);

#ifdef __cplusplus
}
#endif
#endif /* PKH_IO_H */
