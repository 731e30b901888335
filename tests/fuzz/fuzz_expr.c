/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * libFuzzer target for the expression language. The first byte picks the options (bit 0: also
 * evaluate on 2 threads; bit 1: split the text as a --define NAME=EXPR first); the rest is the
 * expression text (up to the first NUL). The seeds start with a whitespace mode byte ('\t': 2
 * threads; '\n': --define), so the replay's variants with other mode bytes still parse. Every
 * expression that parses is checked and evaluated over a fixed table of 2500 rows (two chunks) with
 * every column type and missing values; a second evaluation on 2 threads must give the same bits,
 * and the result type must be the one pkh_expr_result_type() announced. Every failure must explain
 * itself. Built with clang (-DPKH_FUZZ=ON) for fuzzing, and with a plain main() (replay_main.c)
 * that replays the corpus as an ordinary test.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pkh/pkh.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS 2500

static pkh_table *make_table(void)
{
    static const char *const words[] = {"SMP", "SD", "SMA", "", "Papua Barat", "\xc3\xa9t\xc3\xa9"};
    int64_t *iv = malloc(ROWS * sizeof *iv), *hv = malloc(ROWS * sizeof *hv);
    double *fv = malloc(ROWS * sizeof *fv), *pv = malloc(ROWS * sizeof *pv);
    uint8_t *bv = malloc(ROWS), *ok = calloc((ROWS + 7) / 8, 1);
    const char **sv = malloc(ROWS * sizeof *sv), **tv = malloc(ROWS * sizeof *tv);
    if (!iv || !hv || !fv || !pv || !bv || !ok || !sv || !tv) {
        abort();
    }
    for (int64_t r = 0; r < ROWS; r++) {
        iv[r] = r % 7 == 0 ? INT64_MAX - r : (r * 37) % 201 - 100;
        hv[r] = 1 + r % 9;
        fv[r] = r % 11 == 0 ? NAN : (r % 13 == 0 ? INFINITY : (double)(r % 50) / 4.0 - 3);
        pv[r] = (double)r * 1.5;
        bv[r] = (r / 3) % 2;
        sv[r] = r % 5 == 0 ? NULL : words[r % 6];
        tv[r] = words[(r / 2) % 6];
        if (r % 9 != 4) {
            ok[r / 8] |= (uint8_t)(1u << (r % 8));
        }
    }
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    if (pkh_table_builder_new(NULL, &b, NULL) != PKH_OK ||
        pkh_table_builder_add_int64(b, "i", iv, ok, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_int64(b, "hhsize", hv, NULL, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_float64(b, "f", fv, ok, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_float64(b, "per capita", pv, NULL, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_bool(b, "b", bv, ok, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_strings(b, "s", sv, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_add_strings(b, "t", tv, ROWS, NULL) != PKH_OK ||
        pkh_table_builder_finish(b, &t, NULL) != PKH_OK) {
        abort();
    }
    pkh_table_builder_free(b);
    free(iv);
    free(hv);
    free(fv);
    free(pv);
    free(bv);
    free(ok);
    free(sv);
    free(tv);
    return t;
}

static size_t value_bytes(const pkh_column *c)
{
    switch (pkh_column_type(c)) {
    case PKH_TYPE_BOOL:
        return (ROWS + 7) / 8;
    case PKH_TYPE_DICT:
        return ROWS * 4;
    default:
        return ROWS * 8;
    }
}

static const void *values_of(const pkh_column *c)
{
    switch (pkh_column_type(c)) {
    case PKH_TYPE_BOOL:
        return pkh_column_bool_bits(c);
    case PKH_TYPE_DICT:
        return pkh_column_codes(c);
    case PKH_TYPE_INT64:
        return pkh_column_int64(c);
    default:
        return pkh_column_float64(c);
    }
}

/* The same bits on 1 and 2 threads; missing rows hold zeros; codes inside the dictionary. */
static void check_result(const pkh_table *r1, const pkh_table *r2, pkh_type type)
{
    const pkh_column *c1 = pkh_table_column_at(r1, 0), *c2 = pkh_table_column_at(r2, 0);
    if (pkh_table_num_rows(r1) != ROWS || pkh_column_type(c1) != type ||
        pkh_column_type(c2) != type || pkh_column_null_count(c1) != pkh_column_null_count(c2) ||
        memcmp(values_of(c1), values_of(c2), value_bytes(c1)) != 0) {
        abort();
    }
    const uint8_t *v1 = pkh_column_validity(c1), *v2 = pkh_column_validity(c2);
    if ((v1 == NULL) != (pkh_column_null_count(c1) == 0) ||
        (v1 != NULL && memcmp(v1, v2, (ROWS + 7) / 8) != 0)) {
        abort();
    }
    for (int64_t r = 0; r < ROWS; r++) {
        if (type == PKH_TYPE_DICT && pkh_column_is_valid(c1, r) &&
            (pkh_column_codes(c1)[r] < 0 || pkh_column_codes(c1)[r] >= pkh_column_dict_size(c1))) {
            abort();
        }
        if (type == PKH_TYPE_FLOAT64 && pkh_column_is_valid(c1, r) &&
            !isfinite(pkh_column_float64(c1)[r])) {
            abort(); /* undefined results are missing */
        }
    }
}

static void run(const char *text, uint8_t mode)
{
    pkh_expr *e = NULL;
    pkh_error err;
    pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
    if (st != PKH_OK) {
        if (err.message[0] == '\0' || err.code != st || e != NULL) {
            abort(); /* every failure must explain itself */
        }
        return;
    }
    for (int64_t k = 0; k < pkh_expr_num_columns(e); k++) {
        if (pkh_expr_column(e, k) == NULL) {
            abort();
        }
    }
    pkh_table *t = make_table();
    pkh_type type = 0;
    const pkh_status checked = pkh_expr_result_type(e, t, &type, &err);
    pkh_table *r1 = NULL, *r2 = NULL;
    st = pkh_expr_eval(e, t, "r", 1, &r1, &err);
    if (st != checked || (st != PKH_OK && err.message[0] == '\0')) {
        abort();
    }
    if (st == PKH_OK && (mode & 1)) {
        if (pkh_expr_eval(e, t, "r", 2, &r2, &err) != PKH_OK) {
            abort();
        }
        check_result(r1, r2, type);
    }
    pkh_table_free(r1);
    pkh_table_free(r2);
    pkh_table_free(t);
    pkh_expr_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096) {
        return 0;
    }
    const uint8_t mode = data[0];
    char *text = malloc(size);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (mode & 2) { /* the text as a --define */
        char name[32];
        const char *rest = NULL;
        pkh_error err;
        if (pkh_define_split(text, name, sizeof name, &rest, &err) == PKH_OK) {
            run(rest, mode);
        } else if (err.message[0] == '\0') {
            abort();
        }
    } else {
        run(text, mode);
    }
    free(text);
    return 0;
}
