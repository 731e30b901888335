/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Differential libFuzzer target for the CSV reader: a text without quotes is read twice, as it
 * is (the fast scanner) and with the first field of every data line quoted (so the piece goes
 * through libcsv). Both must succeed or fail alike (status and line), and give the same columns
 * from the second on: types, missing values, values and dictionaries. The first byte picks the
 * delimiter, the threads, forced types, missing-value texts and a choice of columns. Built with
 * clang (-DPKH_FUZZ=ON) for fuzzing, and with replay_main.c as an ordinary test.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pkh/pkh.h>

#include "fuzz_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same column: type, missing values, values (numbers by their bits), dictionary texts. */
static bool same_column(const pkh_column *a, const pkh_column *b)
{
    const int64_t n = pkh_column_length(a);
    if (pkh_column_type(a) != pkh_column_type(b) || pkh_column_length(b) != n ||
        pkh_column_null_count(a) != pkh_column_null_count(b)) {
        return false;
    }
    for (int64_t i = 0; i < n; i++) {
        if (pkh_column_is_valid(a, i) != pkh_column_is_valid(b, i)) {
            return false;
        }
    }
    switch (pkh_column_type(a)) {
    case PKH_TYPE_INT64:
        return n == 0 ||
               memcmp(pkh_column_int64(a), pkh_column_int64(b), (size_t)n * sizeof(int64_t)) == 0;
    case PKH_TYPE_FLOAT64:
        return n == 0 || memcmp(pkh_column_float64(a), pkh_column_float64(b),
                                (size_t)n * sizeof(double)) == 0;
    case PKH_TYPE_BOOL: {
        const uint8_t *x = pkh_column_bool_bits(a), *y = pkh_column_bool_bits(b);
        for (int64_t i = 0; i < n; i++) {
            const bool u = (x[i >> 3] >> (i & 7)) & 1, v = (y[i >> 3] >> (i & 7)) & 1;
            if (pkh_column_is_valid(a, i) && u != v) {
                return false;
            }
        }
        return true;
    }
    case PKH_TYPE_DICT:
        for (int64_t i = 0; i < n; i++) {
            if (!pkh_column_is_valid(a, i)) {
                continue;
            }
            const char *s, *t;
            size_t ls, lt;
            pkh_column_dict_value(a, pkh_column_codes(a)[i], &s, &ls);
            pkh_column_dict_value(b, pkh_column_codes(b)[i], &t, &lt);
            if (ls != lt || memcmp(s, t, ls) != 0) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/* `text` with the first field of every non-empty line after the header in quotes. */
static char *quote_first_fields(const char *text, size_t n, char delim, size_t *out_len)
{
    char *q = malloc(n + 2 * (n + 1) + 1);
    size_t o = 0, i = 0;
    bool header = true;
    while (i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        const size_t end = nl != NULL ? (size_t)(nl - text) + 1 : n; /* past the newline */
        size_t body = end - (nl != NULL ? 1 : 0);
        if (body > i && text[body - 1] == '\r') {
            body--;
        }
        if (header || body == i) {
            memcpy(q + o, text + i, end - i);
            o += end - i;
        } else {
            const char *d = memchr(text + i, delim, body - i);
            const size_t first = d != NULL ? (size_t)(d - text) : body;
            q[o++] = '"';
            memcpy(q + o, text + i, first - i);
            o += first - i;
            q[o++] = '"';
            memcpy(q + o, text + first, end - first);
            o += end - first;
        }
        header = false;
        i = end;
    }
    *out_len = o;
    return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    const uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    const size_t n = size - 1;
    /* quotes would send both reads through libcsv; a carriage return alone ends a record there
     * only, and a NUL is left to the other target */
    if (memchr(text, '"', n) != NULL || memchr(text, '\0', n) != NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\r' && (i + 1 == n || text[i + 1] != '\n')) {
            return 0;
        }
    }
    static const char delims[] = {',', ';', '\t', '|'};
    const char *cols[] = {"x", "b", "a"};
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.delimiter = delims[mode & 3];
    o.decimal = (mode & 4) && o.delimiter != ',' ? ',' : '.';
    fuzz_common_options(mode, &o);
    if (mode & 64) {
        o.columns = cols; /* the first field, if it is x, is compared by neither */
        o.n_columns = 3;
    }
    size_t qn = 0;
    char *quoted = quote_first_fields(text, n, o.delimiter, &qn);
    pkh_table *t = NULL, *u = NULL;
    pkh_error e, f;
    const pkh_status s1 = pkh_csv_read_memory(text, n, "fuzz.csv", &o, &t, NULL, &e);
    const pkh_status s2 = pkh_csv_read_memory(quoted, qn, "fuzz.csv", &o, &u, NULL, &f);
    free(quoted);
    if (s1 != s2 || (s1 != PKH_OK && e.line != f.line)) {
        abort();
    }
    if (s1 == PKH_OK) {
        const int64_t nc = pkh_table_num_columns(t);
        if (pkh_table_num_columns(u) != nc || pkh_table_num_rows(u) != pkh_table_num_rows(t)) {
            abort();
        }
        /* the first field's column may differ by design (a quoted text keeps its spaces, for
         * one): column 0 of the whole file, or, with a choice of columns, every column that
         * may be it (its name among the header's first field, trimmed) */
        const char *nl = memchr(text, '\n', n);
        size_t hl = nl != NULL ? (size_t)(nl - text) : n;
        const char *d = memchr(text, o.delimiter, hl);
        hl = d != NULL ? (size_t)(d - text) : hl;
        for (int64_t c = 0; c < nc; c++) {
            const pkh_column *a = pkh_table_column_at(t, c), *b = pkh_table_column_at(u, c);
            const char *name = pkh_column_name(a);
            const bool maybe_first =
                o.columns == NULL
                    ? c == 0
                    : strlen(name) <= hl && memmem(text, hl, name, strlen(name)) != NULL;
            if (!maybe_first && !same_column(a, b)) {
                abort();
            }
        }
    }
    pkh_table_free(t);
    pkh_table_free(u);
    return 0;
}
