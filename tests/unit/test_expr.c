/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Expressions: every operator and function against hand-computed values, precedence,
 * three-valued logic, missing and undefined results, strings, `in`, integer preservation, exact
 * parse and type error messages, thread-count independence, allocation failures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/expr.h"
#include "testutil.h"

#define NA NAN /* marks a missing expected value */

/* Six rows:
 *   i  int64    1    2     3     NA    5    -4
 *   n  int64    3    1     4     1     5     9
 *   f  float64  0.5  -1    NaN   4     0     NA
 *   b  bool     1    0     1     0     1     NA
 *   s  string   SMP  SD    NA    SMA   SMP   SD
 *   t  string   SD   SD    SMP   NA    SMA   SMP
 *   `per capita` float64 10 20 30 40 50 60
 *   hhsize int64 1 2 3 4 5 6 */
static pkh_table *fixture(void)
{
    const int64_t iv[] = {1, 2, 3, 0, 5, -4}, nv[] = {3, 1, 4, 1, 5, 9};
    const int64_t hv[] = {1, 2, 3, 4, 5, 6};
    const double fv[] = {0.5, -1, NAN, 4, 0, 7}, pv[] = {10, 20, 30, 40, 50, 60};
    const uint8_t bv[] = {1, 0, 1, 0, 1, 1};
    const uint8_t i_ok[] = {0x37}, f_ok[] = {0x1F}, b_ok[] = {0x1F};
    const char *sv[] = {"SMP", "SD", NULL, "SMA", "SMP", "SD"};
    const char *tv[] = {"SD", "SD", "SMP", NULL, "SMA", "SMP"};
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "i", iv, i_ok, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "n", nv, NULL, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "f", fv, f_ok, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_bool(b, "b", bv, b_ok, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "s", sv, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "t", tv, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "per capita", pv, NULL, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "hhsize", hv, NULL, 6, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    return t;
}

static int setup(void **state)
{
    *state = fixture();
    return 0;
}

static int teardown(void **state)
{
    pkh_table_free(*state);
    return 0;
}

/* Evaluate and return the result column's table; fails the test on error. */
static pkh_table *eval_on(const pkh_table *t, const char *text, int threads)
{
    pkh_expr *e = NULL;
    pkh_error err;
    pkh_table *r = NULL;
    pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
    if (st != PKH_OK) {
        fail_msg("parse %s: %s", text, err.message);
    }
    st = pkh_expr_eval(e, t, "r", threads, &r, &err);
    pkh_expr_free(e);
    if (st != PKH_OK) {
        fail_msg("eval %s: %s", text, err.message);
    }
    assert_int_equal(pkh_table_num_columns(r), 1);
    assert_int_equal(pkh_table_num_rows(r), pkh_table_num_rows(t));
    return r;
}

static const pkh_column *col0(const pkh_table *r)
{
    return pkh_table_column_at(r, 0);
}

static void check_nulls(const pkh_column *c, int64_t n)
{
    int64_t missing = 0;
    for (int64_t i = 0; i < n; i++) {
        missing += !pkh_column_is_valid(c, i);
    }
    assert_int_equal(pkh_column_null_count(c), missing);
    assert_true(missing > 0 || pkh_column_validity(c) == NULL);
}

/* Float results; NA in `want` means missing. */
static void expect_f(const pkh_table *t, const char *text, const double *want)
{
    pkh_table *r = eval_on(t, text, 1);
    const pkh_column *c = col0(r);
    const int64_t n = pkh_table_num_rows(t);
    if (pkh_column_type(c) != PKH_TYPE_FLOAT64) {
        fail_msg("%s: type %s, expected float64", text, pkh_type_name(pkh_column_type(c)));
    }
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i])) {
            if (pkh_column_is_valid(c, i)) {
                fail_msg("%s: row %lld is %.17g, expected missing", text, (long long)i,
                         pkh_column_float64(c)[i]);
            }
        } else if (!pkh_column_is_valid(c, i) ||
                   fabs(pkh_column_float64(c)[i] - want[i]) > 1e-12 * (1 + fabs(want[i]))) {
            fail_msg("%s: row %lld is %.17g (valid %d), expected %.17g", text, (long long)i,
                     pkh_column_float64(c)[i], pkh_column_is_valid(c, i), want[i]);
        }
    }
    check_nulls(c, n);
    pkh_table_free(r);
}

/* Integer results; missing rows are listed in `missing` ("..x..." marks row 2). */
static void expect_i(const pkh_table *t, const char *text, const int64_t *want, const char *missing)
{
    pkh_table *r = eval_on(t, text, 1);
    const pkh_column *c = col0(r);
    const int64_t n = pkh_table_num_rows(t);
    if (pkh_column_type(c) != PKH_TYPE_INT64) {
        fail_msg("%s: type %s, expected int64", text, pkh_type_name(pkh_column_type(c)));
    }
    for (int64_t i = 0; i < n; i++) {
        const bool na = missing != NULL && missing[i] == 'x';
        if (na != !pkh_column_is_valid(c, i) || (!na && pkh_column_int64(c)[i] != want[i])) {
            fail_msg("%s: row %lld is %lld (valid %d), expected %lld%s", text, (long long)i,
                     (long long)pkh_column_int64(c)[i], pkh_column_is_valid(c, i),
                     (long long)want[i], na ? " missing" : "");
        }
    }
    check_nulls(c, n);
    pkh_table_free(r);
}

/* Bool results as a string: '1' true, '0' false, 'x' missing. */
static void expect_b(const pkh_table *t, const char *text, const char *want)
{
    pkh_table *r = eval_on(t, text, 1);
    const pkh_column *c = col0(r);
    const int64_t n = pkh_table_num_rows(t);
    if (pkh_column_type(c) != PKH_TYPE_BOOL) {
        fail_msg("%s: type %s, expected bool", text, pkh_type_name(pkh_column_type(c)));
    }
    char got[64];
    for (int64_t i = 0; i < n; i++) {
        const int v = (pkh_column_bool_bits(c)[i / 8] >> (i % 8)) & 1;
        got[i] = pkh_column_is_valid(c, i) ? (char)('0' + v) : 'x';
        if (!pkh_column_is_valid(c, i)) {
            assert_int_equal(v, 0); /* missing rows hold false */
        }
    }
    got[n] = '\0';
    if (strcmp(got, want) != 0) {
        fail_msg("%s: got %s, expected %s", text, got, want);
    }
    check_nulls(c, n);
    pkh_table_free(r);
}

/* String results; NULL means missing. */
static void expect_s(const pkh_table *t, const char *text, const char *const *want)
{
    pkh_table *r = eval_on(t, text, 1);
    const pkh_column *c = col0(r);
    const int64_t n = pkh_table_num_rows(t);
    if (pkh_column_type(c) != PKH_TYPE_DICT) {
        fail_msg("%s: type %s, expected string", text, pkh_type_name(pkh_column_type(c)));
    }
    for (int64_t i = 0; i < n; i++) {
        if (want[i] == NULL) {
            assert_false(pkh_column_is_valid(c, i));
            continue;
        }
        const char *d;
        size_t len;
        assert_true(pkh_column_is_valid(c, i));
        assert_int_equal(pkh_column_dict_value(c, pkh_column_codes(c)[i], &d, &len), PKH_OK);
        if (len != strlen(want[i]) || memcmp(d, want[i], len) != 0) {
            fail_msg("%s: row %lld is \"%.*s\", expected \"%s\"", text, (long long)i, (int)len, d,
                     want[i]);
        }
    }
    check_nulls(c, n);
    pkh_table_free(r);
}

/* The status and exact message of a failing parse or evaluation. */
static void expect_error(const pkh_table *t, const char *text, pkh_status code, const char *message)
{
    pkh_expr *e = NULL;
    pkh_error err;
    pkh_table *r = NULL;
    pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
    if (st == PKH_OK) {
        st = pkh_expr_eval(e, t, "r", 1, &r, &err);
        pkh_type type;
        pkh_error err2;
        assert_int_equal(pkh_expr_result_type(e, t, &type, &err2), st);
        pkh_expr_free(e);
    } else {
        assert_null(e);
    }
    assert_null(r);
    if (st != code || strcmp(err.message, message) != 0) {
        fail_msg("%s: status %d, message\n  %s\nexpected %d\n  %s", text, st, err.message, code,
                 message);
    }
    assert_int_equal(err.code, code);
}

/* ---- arithmetic ---- */

static void arithmetic(void **state)
{
    const pkh_table *t = *state;
    expect_i(t, "n + 1", (int64_t[]){4, 2, 5, 2, 6, 10}, NULL);
    expect_i(t, "n - 10", (int64_t[]){-7, -9, -6, -9, -5, -1}, NULL);
    expect_i(t, "n * 3", (int64_t[]){9, 3, 12, 3, 15, 27}, NULL);
    expect_f(t, "n / 2", (double[]){1.5, 0.5, 2, 0.5, 2.5, 4.5});
    expect_i(t, "n % 2", (int64_t[]){1, 1, 0, 1, 1, 1}, NULL);
    expect_i(t, "-n", (int64_t[]){-3, -1, -4, -1, -5, -9}, NULL);
    expect_f(t, "n ^ 2", (double[]){9, 1, 16, 1, 25, 81});
    expect_f(t, "f * 2", (double[]){1, -2, NA, 8, 0, NA});
    expect_f(t, "i + f", (double[]){1.5, 1, NA, NA, 5, NA});
    expect_f(t, "f - i", (double[]){-0.5, -3, NA, NA, -5, NA});
    expect_f(t, "-f", (double[]){-0.5, 1, NA, -4, 0, NA});
    expect_f(t, "`per capita` / hhsize", (double[]){10, 10, 10, 10, 10, 10});
    expect_f(t, "0.1 + 0.2",
             (double[]){0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2});
    expect_f(t, "1e3 + .5 + 2.", (double[]){1002.5, 1002.5, 1002.5, 1002.5, 1002.5, 1002.5});
    expect_i(t, "1 + 2", (int64_t[]){3, 3, 3, 3, 3, 3}, NULL);
    /* bools are 1/0 in arithmetic and keep integers */
    expect_i(t, "b + b", (int64_t[]){2, 0, 2, 0, 2, 0}, ".....x");
    expect_i(t, "(n > 2) + (n > 4)", (int64_t[]){1, 0, 1, 0, 2, 2}, NULL);
    expect_f(t, "true / 2", (double[]){0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
}

/* Literals read as strtod reads them in the "C" locale: the fast path and the fallback. */
static void number_literals(void **state)
{
    const pkh_table *t = *state;
    static const char *const texts[] = {"0.1",
                                        "1e22",
                                        "1e23",
                                        "123456789012345678901234567890",
                                        "0.1000000000000000055511151231257827",
                                        "1e-320",
                                        "9007199254740993.0",
                                        "2.5e-3",
                                        "17976931348623157e292"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        char text[96];
        snprintf(text, sizeof text, "n * 0 + %s", texts[k]);
        pkh_table *r = eval_on(t, text, 1);
        const double want = strtod(texts[k], NULL);
        if (pkh_column_float64(col0(r))[0] != want) {
            fail_msg("%s: %.17g, expected %.17g", texts[k], pkh_column_float64(col0(r))[0], want);
        }
        pkh_table_free(r);
    }
    expect_i(t, "9223372036854775807 + n * 0",
             (int64_t[]){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}, NULL);
    expect_f(t, "9223372036854775808 + n * 0", /* too big for int64: a float */
             (double[]){9223372036854775808.0, 9223372036854775808.0, 9223372036854775808.0,
                        9223372036854775808.0, 9223372036854775808.0, 9223372036854775808.0});
}

static void modulo_is_floored(void **state)
{
    const pkh_table *t = *state;
    expect_i(t, "-7 % 3 + n - n", (int64_t[]){2, 2, 2, 2, 2, 2}, NULL);
    expect_i(t, "7 % -3 + n - n", (int64_t[]){-2, -2, -2, -2, -2, -2}, NULL);
    expect_f(t, "7.5 % 2", (double[]){1.5, 1.5, 1.5, 1.5, 1.5, 1.5});
    expect_f(t, "-7.5 % 2", (double[]){0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
    expect_f(t, "7.5 % -2", (double[]){-0.5, -0.5, -0.5, -0.5, -0.5, -0.5});
    expect_i(t, "i % (n - 1)", (int64_t[]){1, 0, 0, 0, 1, 4}, ".x.x..");
    expect_i(t, "(-9223372036854775807 - 1) % -1", (int64_t[]){0, 0, 0, 0, 0, 0}, NULL);
    expect_f(t, "f % 0", (double[]){NA, NA, NA, NA, NA, NA});
}

static void functions(void **state)
{
    const pkh_table *t = *state;
    expect_f(t, "log(n)", (double[]){log(3), 0, log(4), 0, log(5), log(9)});
    expect_f(t, "log10(n * 10)", (double[]){log10(30), 1, log10(40), 1, log10(50), log10(90)});
    expect_f(t, "exp(n - 1)", (double[]){exp(2), 1, exp(3), 1, exp(4), exp(8)});
    expect_f(t, "sqrt(n)", (double[]){sqrt(3), 1, 2, 1, sqrt(5), 3});
    expect_i(t, "abs(i)", (int64_t[]){1, 2, 3, 0, 5, 4}, "...x..");
    expect_f(t, "abs(f)", (double[]){0.5, 1, NA, 4, 0, NA});
    expect_f(t, "floor(f)", (double[]){0, -1, NA, 4, 0, NA});
    expect_f(t, "ceil(f)", (double[]){1, -1, NA, 4, 0, NA});
    expect_f(t, "round(f * 5)", (double[]){3, -5, NA, 20, 0, NA}); /* 2.5 -> 3 */
    expect_f(t, "round(-2.5) + floor(-0.5) + ceil(-0.5)", (double[]){-4, -4, -4, -4, -4, -4});
    expect_i(t, "floor(n) + ceil(n) + round(n)", (int64_t[]){9, 3, 12, 3, 15, 27}, NULL);
    expect_i(t, "min(n, 3)", (int64_t[]){3, 1, 3, 1, 3, 3}, NULL);
    expect_i(t, "max(n, 3, i)", (int64_t[]){3, 3, 4, 0, 5, 9}, "...x..");
    expect_f(t, "max(n, f)", (double[]){3, 1, NA, 4, 5, NA});
    expect_f(t, "min(f, n, 0.25)", (double[]){0.25, -1, NA, 0.25, 0, NA});
    expect_i(t, "min(n)", (int64_t[]){3, 1, 4, 1, 5, 9}, NULL);
    expect_f(t, "pow(n, 0.5)", (double[]){sqrt(3), 1, 2, 1, sqrt(5), 3});
    expect_f(t, "pow(2, -1) + 2 ^ -2", (double[]){0.75, 0.75, 0.75, 0.75, 0.75, 0.75});
    expect_i(t, "if(n > 3, n, 0)", (int64_t[]){0, 0, 4, 0, 5, 9}, NULL);
    expect_f(t, "if(b, n, 0.5)", (double[]){3, 0.5, 4, 0.5, 5, NA});
    expect_i(t, "if(n, 1, 2)", (int64_t[]){1, 1, 1, 1, 1, 1}, NULL); /* numbers: not 0 */
    expect_b(t, "if(b, n > 2, false)", "10101x");
    expect_b(t, "is_missing(i)", "000100");
    expect_b(t, "is_missing(f)", "001001"); /* NaN reads as missing */
    expect_b(t, "is_missing(s) || is_missing(t)", "001100");
    expect_i(t, "coalesce(i, n)", (int64_t[]){1, 2, 3, 1, 5, -4}, NULL);
    expect_f(t, "coalesce(f, i, 100)", (double[]){0.5, -1, 3, 4, 0, -4});
    expect_b(t, "coalesce(b, false)", "101010");
}

static void precedence(void **state)
{
    const pkh_table *t = *state;
    expect_i(t, "1 + 2 * 3 + n - n", (int64_t[]){7, 7, 7, 7, 7, 7}, NULL);
    expect_i(t, "(1 + 2) * 3", (int64_t[]){9, 9, 9, 9, 9, 9}, NULL);
    expect_f(t, "2 ^ 3 ^ 2", (double[]){512, 512, 512, 512, 512, 512});
    expect_f(t, "-2 ^ 2", (double[]){-4, -4, -4, -4, -4, -4});
    expect_f(t, "-n ^ 2", (double[]){-9, -1, -16, -1, -25, -81});
    expect_f(t, "(-2) ^ 2", (double[]){4, 4, 4, 4, 4, 4});
    expect_i(t, "10 - 4 - 3", (int64_t[]){3, 3, 3, 3, 3, 3}, NULL);
    expect_f(t, "100 / 10 / 5", (double[]){2, 2, 2, 2, 2, 2});
    expect_i(t, "n * 2 % 4", (int64_t[]){2, 2, 0, 2, 2, 2}, NULL);
    expect_i(t, "- - n", (int64_t[]){3, 1, 4, 1, 5, 9}, NULL);
    expect_b(t, "!n > 3", "110100");                 /* ! binds looser than comparisons */
    expect_b(t, "true || false && false", "111111"); /* && binds tighter than || */
    expect_b(t, "(true || false) && false", "000000");
    expect_b(t, "1 + 2 == 3 && 2 * 2 == 4", "111111");
    expect_b(t, "n > 2 && n < 5 || n == 9", "101001");
    expect_b(t, "!!(n == 1)", "010100");
    expect_b(t, "(n >= 4) != (n > 3)", "000000");
}

static void comparisons(void **state)
{
    const pkh_table *t = *state;
    expect_b(t, "n == 1", "010100");
    expect_b(t, "n != 1", "101011");
    expect_b(t, "n < 4", "110100");
    expect_b(t, "n <= 4", "111100");
    expect_b(t, "n > 4", "000011");
    expect_b(t, "n >= 4", "001011");
    expect_b(t, "i < n", "101x01");
    expect_b(t, "f < 1", "11x01x");
    expect_b(t, "f >= n - 1", "00x10x");
    expect_b(t, "b == true", "10101x");
    expect_b(t, "b != (n > 3)", "10000x");
}

/* Every combination of true, false and missing for && || !. */
static void three_valued_logic(void **state)
{
    (void)state;
    const uint8_t p[] = {1, 1, 1, 0, 0, 0, 0, 0, 0}, q[] = {1, 0, 0, 1, 0, 0, 1, 0, 0};
    const uint8_t p_ok[] = {0x3F, 0x00}, q_ok[] = {0xDB, 0x00}; /* p: rows 6-8 missing; q: 2,5,8 */
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_bool(b, "p", p, p_ok, 9, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_bool(b, "q", q, q_ok, 9, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    /* rows: (T,T) (T,F) (T,NA) (F,T) (F,F) (F,NA) (NA,T) (NA,F) (NA,NA) */
    expect_b(t, "p && q", "10x000x0x");
    expect_b(t, "p || q", "11110x1xx");
    expect_b(t, "!p", "000111xxx");
    expect_b(t, "!(p && q) == (!p || !q)", "11x111x1x");
    expect_b(t, "is_missing(p && q)", "001000101");
    expect_b(t, "coalesce(p || q, false)", "111100100");
    pkh_table_free(t);
}

static void missing_and_undefined(void **state)
{
    const pkh_table *t = *state;
    expect_i(t, "i + 1", (int64_t[]){2, 3, 4, 0, 6, -3}, "...x..");
    expect_f(t, "f + 1", (double[]){1.5, 0, NA, 5, 1, NA});
    expect_b(t, "i > 0", "111x10");
    expect_b(t, "if(b, true, false)", "10101x");
    expect_f(t, "log(f)", (double[]){log(0.5), NA, NA, log(4), NA, NA});
    expect_f(t, "log10(n - 1)", (double[]){log10(2), NA, log10(3), NA, log10(4), log10(8)});
    expect_f(t, "sqrt(f)", (double[]){sqrt(0.5), NA, NA, 2, 0, NA});
    expect_f(t, "n / (n - 1)", (double[]){1.5, NA, 4.0 / 3, NA, 1.25, 9.0 / 8});
    expect_f(t, "0 / (n - 1)", (double[]){0, NA, 0, NA, 0, 0});
    expect_f(t, "pow(0, -1) + n", (double[]){NA, NA, NA, NA, NA, NA});
    expect_f(t, "(-8) ^ (1 / 3)", (double[]){NA, NA, NA, NA, NA, NA});
    expect_f(t, "exp(1000 * n)", (double[]){NA, NA, NA, NA, NA, NA});
    expect_f(t, "1e308 * n", (double[]){NA, 1e308, NA, 1e308, NA, NA});
    /* integer overflow */
    expect_i(t, "9223372036854775807 - 2 + n",
             (int64_t[]){0, INT64_MAX - 1, 0, INT64_MAX - 1, 0, 0}, "x.x.xx");
    expect_i(t, "-9223372036854775807 - n", (int64_t[]){0, INT64_MIN, 0, INT64_MIN, 0, 0},
             "x.x.xx");
    expect_i(t, "4611686018427387904 * n",
             (int64_t[]){0, 4611686018427387904, 0, 4611686018427387904, 0, 0}, "x.x.xx");
    expect_i(t, "-(-9223372036854775807 - n + 1)", (int64_t[]){0, INT64_MAX, 0, INT64_MAX, 0, 0},
             "x.x.xx");
    expect_i(t, "-(-9223372036854775807 - 1 + n - n)", (int64_t[]){0, 0, 0, 0, 0, 0}, "xxxxxx");
    expect_i(t, "abs(-9223372036854775807 - n)", (int64_t[]){0, 0, 0, 0, 0, 0}, "xxxxxx");
}

static void infinities_read_as_missing(void **state)
{
    (void)state;
    const double x[] = {INFINITY, -INFINITY, NAN, 1.5};
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "x", x, NULL, 4, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    expect_f(t, "x", (double[]){NA, NA, NA, 1.5});
    expect_b(t, "x > 0", "xxx1");
    expect_b(t, "is_missing(x)", "1110");
    expect_f(t, "coalesce(x, 0)", (double[]){0, 0, 0, 1.5});
    pkh_table_free(t);
}

/* ---- strings ---- */

static void strings(void **state)
{
    const pkh_table *t = *state;
    expect_b(t, "s == \"SMP\"", "10x010");
    expect_b(t, "s != \"SMP\"", "01x101");
    expect_b(t, "s < \"SMA\"", "01x001");
    expect_b(t, "s >= \"SMA\"", "10x110");
    expect_b(t, "\"SMA\" > s", "01x001"); /* literal on the left */
    expect_b(t, "\"SMA\" <= s", "10x110");
    expect_b(t, "s == t", "01xx00"); /* two dictionaries */
    expect_b(t, "s < t", "00xx01");
    expect_b(t, "s > t", "10xx10");
    expect_b(t, "s == s", "11x111");
    expect_b(t, "\"a\" < \"b\" && \"Z\" < \"a\" && \"\" < \"a\" && \"ab\" > \"a\"", "111111");
    expect_b(t, "\"\xc3\xa9\" > \"z\"", "111111"); /* bytes: 0xc3 > 'z' */
    expect_s(t, "s", (const char *[]){"SMP", "SD", NULL, "SMA", "SMP", "SD"});
    expect_s(t, "\"a\\\"b\\\\\"",
             (const char *[]){"a\"b\\", "a\"b\\", "a\"b\\", "a\"b\\", "a\"b\\", "a\"b\\"});
    expect_s(t, "if(n > 3, s, \"small\")",
             (const char *[]){"small", "small", NULL, "small", "SMP", "SD"});
    expect_s(t, "if(b, s, t)", (const char *[]){"SMP", "SD", NULL, NULL, "SMP", NULL});
    expect_s(t, "coalesce(s, t, \"none\")",
             (const char *[]){"SMP", "SD", "SMP", "SMA", "SMP", "SD"});
    expect_s(t, "coalesce(t, \"none\")", (const char *[]){"SD", "SD", "SMP", "none", "SMA", "SMP"});
    expect_b(t, "if(b, s, t) == \"SD\"", "01xx0x");
    expect_b(t, "s == \"SMP\" && n >= 3", "10x010");
}

static void membership(void **state)
{
    const pkh_table *t = *state;
    expect_b(t, "n in (1, 5)", "010110");
    expect_b(t, "n in (1.0, 5)", "010110");
    expect_b(t, "n in (1.5, 3)", "100000");
    expect_b(t, "f in (0.5, 4)", "10x10x");
    expect_b(t, "i in (-4, 3)", "001x01");
    expect_b(t, "n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12)", "111110"); /* binary search */
    expect_b(t, "f in (-1, -2, -3, -4, -5, -6, -7, -8, -9, -10)", "01x00x");
    expect_b(t, "s in (\"SD\", \"SMA\")", "01x101");
    expect_b(t, "s in (\"Papua\")", "00x000");
    expect_b(t, "b in (true)", "10101x");
    expect_b(t, "!(n in (1, 5)) && n in (3, 4, 9)", "101001");
}

static void integer_preservation(void **state)
{
    const pkh_table *t = *state;
    static const struct {
        const char *text;
        pkh_type type;
    } cases[] = {{"n + 1", PKH_TYPE_INT64},
                 {"n * n - 1", PKH_TYPE_INT64},
                 {"-n", PKH_TYPE_INT64},
                 {"abs(n)", PKH_TYPE_INT64},
                 {"min(n, 2)", PKH_TYPE_INT64},
                 {"max(n, b)", PKH_TYPE_INT64},
                 {"if(b, n, 0)", PKH_TYPE_INT64},
                 {"coalesce(i, 0)", PKH_TYPE_INT64},
                 {"n % 2", PKH_TYPE_INT64},
                 {"floor(n)", PKH_TYPE_INT64},
                 {"b + b", PKH_TYPE_INT64},
                 {"n / 1", PKH_TYPE_FLOAT64},
                 {"n + 0.0", PKH_TYPE_FLOAT64},
                 {"n ^ 2", PKH_TYPE_FLOAT64},
                 {"sqrt(n)", PKH_TYPE_FLOAT64},
                 {"if(b, n, 0.5)", PKH_TYPE_FLOAT64},
                 {"n > 1", PKH_TYPE_BOOL},
                 {"b", PKH_TYPE_BOOL},
                 {"coalesce(b, true)", PKH_TYPE_BOOL},
                 {"s", PKH_TYPE_DICT},
                 {"\"x\"", PKH_TYPE_DICT},
                 {"is_missing(s)", PKH_TYPE_BOOL}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pkh_expr *e = NULL;
        pkh_type type = 0;
        assert_int_equal(pkh_expr_parse(cases[k].text, NULL, &e, NULL), PKH_OK);
        assert_int_equal(pkh_expr_result_type(e, t, &type, NULL), PKH_OK);
        if (type != cases[k].type) {
            fail_msg("%s: %s, expected %s", cases[k].text, pkh_type_name(type),
                     pkh_type_name(cases[k].type));
        }
        pkh_expr_free(e);
        pkh_table *r = eval_on(t, cases[k].text, 1);
        assert_int_equal(pkh_column_type(col0(r)), cases[k].type);
        pkh_table_free(r);
    }
    /* large integers stay exact */
    expect_i(t, "9007199254740993 + n - n",
             (int64_t[]){9007199254740993, 9007199254740993, 9007199254740993, 9007199254740993,
                         9007199254740993, 9007199254740993},
             NULL);
    /* int64 -> float64 rounds as C does, beyond 2^53 too */
    expect_f(t, "(9007199254740993 + n - n) / 1",
             (double[]){(double)9007199254740993LL, (double)9007199254740993LL,
                        (double)9007199254740993LL, (double)9007199254740993LL,
                        (double)9007199254740993LL, (double)9007199254740993LL});
    expect_f(t, "(-9223372036854775807 - 1 + n - n) / 1",
             (double[]){-9223372036854775808.0, -9223372036854775808.0, -9223372036854775808.0,
                        -9223372036854775808.0, -9223372036854775808.0, -9223372036854775808.0});
}

/* ---- errors ---- */

static void type_errors(void **state)
{
    const pkh_table *t = *state;
    expect_error(t, "\"SMP\" + 1", PKH_ETYPE,
                 "in expression \"\\\"SMP\\\" + 1\": \"+\" needs numbers, but \"SMP\" is a string "
                 "at character 1");
    expect_error(t, "1 * s", PKH_ETYPE,
                 "in expression \"1 * s\": \"*\" needs numbers, but s is a string at character 5");
    expect_error(t, "s == 1", PKH_ETYPE,
                 "in expression \"s == 1\": cannot compare s (a string) with 1 (a number) at "
                 "character 3");
    expect_error(t, "n < t", PKH_ETYPE,
                 "in expression \"n < t\": cannot compare n (a number) with t (a string) at "
                 "character 3");
    expect_error(t, "b == \"x\"", PKH_ETYPE,
                 "in expression \"b == \\\"x\\\"\": cannot compare b (a true/false value) with "
                 "\"x\" (a string) at character 3");
    expect_error(t, "log(s)", PKH_ETYPE,
                 "in expression \"log(s)\": log() needs a number, but s is a string at "
                 "character 5");
    expect_error(t, "max(n, s)", PKH_ETYPE,
                 "in expression \"max(n, s)\": max() needs numbers, but s is a string at "
                 "character 8");
    expect_error(t, "s && b", PKH_ETYPE,
                 "in expression \"s && b\": \"&&\" needs true/false values, but s is a string at "
                 "character 1");
    expect_error(t, "-s", PKH_ETYPE,
                 "in expression \"-s\": \"-\" needs a number, but s is a string at character 2");
    expect_error(t, "!(s)", PKH_ETYPE,
                 "in expression \"!(s)\": \"!\" needs a true/false value, but s is a string at "
                 "character 3");
    expect_error(t, "if(s, 1, 2)", PKH_ETYPE,
                 "in expression \"if(s, 1, 2)\": if() needs a true/false condition, but s is a "
                 "string at character 4");
    expect_error(t, "if(b, s, n + 1)", PKH_ETYPE,
                 "in expression \"if(b, s, n + 1)\": the values of if() must all be strings or "
                 "all numbers, but s is a string and n + 1 is a number at character 1");
    expect_error(t, "coalesce(s, 0)", PKH_ETYPE,
                 "in expression \"coalesce(s, 0)\": the values of coalesce() must all be strings "
                 "or all numbers, but s is a string and 0 is a number at character 1");
    expect_error(t, "s in (1, 2)", PKH_ETYPE,
                 "in expression \"s in (1, 2)\": cannot look for s (a string) among 1 (a number) "
                 "at character 3");
    expect_error(t, "n in (1, \"a\")", PKH_ETYPE,
                 "in expression \"n in (1, \\\"a\\\")\": cannot look for n (a number) among \"a\" "
                 "(a string) at character 3");
    /* positions count characters, not bytes */
    expect_error(t, "\"\xc3\xa9t\xc3\xa9\" == 1", PKH_ETYPE,
                 "in expression \"\\\"\xc3\xa9t\xc3\xa9\\\" == 1\": cannot compare \"\xc3\xa9t"
                 "\xc3\xa9\" (a string) with 1 (a number) at character 7");
    /* err->column holds the position */
    pkh_expr *e = NULL;
    pkh_error err;
    assert_int_equal(pkh_expr_parse("n + (s)", NULL, &e, NULL), PKH_OK);
    pkh_table *r = NULL;
    assert_int_equal(pkh_expr_eval(e, t, "r", 1, &r, &err), PKH_ETYPE);
    assert_int_equal(err.column, 6);
    assert_int_equal(err.line, 0);
    pkh_expr_free(e);
}

static void unknown_columns(void **state)
{
    const pkh_table *t = *state;
    expect_error(t, "`per capita` / hhsiz", PKH_ENOTFOUND,
                 "in expression \"`per capita` / hhsiz\": no column named \"hhsiz\" at character "
                 "16 (did you mean \"hhsize\"?)");
    expect_error(t, "HHSIZE > 1", PKH_ENOTFOUND,
                 "in expression \"HHSIZE > 1\": no column named \"HHSIZE\" at character 1 (did "
                 "you mean \"hhsize\"?)");
    expect_error(t, "`per capit`", PKH_ENOTFOUND,
                 "in expression \"`per capit`\": no column named \"per capit\" at character 1 "
                 "(did you mean \"per capita\"?)");
    expect_error(t, "urban == 1", PKH_ENOTFOUND,
                 "in expression \"urban == 1\": no column named \"urban\" at character 1 (the "
                 "columns are: i, n, f, b, s, t, per capita, hhsize)");
    expect_error(t, "x", PKH_ENOTFOUND,
                 "in expression \"x\": no column named \"x\" at character 1 (the columns are: i, "
                 "n, f, b, s, t, per capita, hhsize)");
}

static void parse_errors(void **state)
{
    const pkh_table *t = *state;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"urban == 1 &&& x", "unexpected \"&\" at character 14"},
        {"x & y", "unexpected \"&\" at character 3 (use && for \"and\")"},
        {"x | y", "unexpected \"|\" at character 3 (use || for \"or\")"},
        {"x = 1", "unexpected \"=\" at character 3 (use == to compare)"},
        {"x == 'a'",
         "unexpected \"'\" at character 6 (strings are written in double quotes, "
         "names with spaces in `backquotes`)"},
        {"", "unexpected end of expression at character 1 (the expression is empty)"},
        {"   ", "unexpected end of expression at character 4 (the expression is empty)"},
        {"(1 + 2", "unexpected end of expression at character 7 (a \")\" is missing)"},
        {"1 + 2)", "unexpected \")\" at character 6 (this \")\" has no \"(\")"},
        {"1 +", "unexpected end of expression at character 4"},
        {"* 2", "unexpected \"*\" at character 1"},
        {"a b", "unexpected \"b\" at character 3"},
        {"a < b < c",
         "unexpected \"<\" at character 7 (comparisons do not chain: write a < b "
         "&& b < c)"},
        {"a == b in (1)",
         "unexpected \"in\" at character 8 (comparisons do not chain: write a "
         "< b && b < c)"},
        {"\"abc", "unterminated string at character 1"},
        {"x == \"a\\qb\"",
         "unknown escape \"\\q\" in a string at character 8 (write \\\" for a "
         "quote and \\\\ for a backslash)"},
        {"`abc", "unterminated `name` at character 1"},
        {"`` + 1", "empty column name `` at character 1"},
        {"log(1, 2)", "log() takes 1 argument, not 2 at character 1"},
        {"pow(2)", "pow() takes 2 arguments, not 1 at character 1"},
        {"min()", "min() takes at least 1 argument, not 0 at character 1"},
        {"if(a, b)", "if() takes 3 arguments, not 2 at character 1"},
        {"lg(x)",
         "unknown function \"lg\" at character 1 (the functions are log, log10, exp, "
         "sqrt, abs, floor, ceil, round, min, max, pow, if, is_missing, coalesce)"},
        {"log(x y)", "unexpected \"y\" at character 7 (expected \",\" or \")\")"},
        {"log(x", "unexpected end of expression at character 6 (a \")\" is missing)"},
        {"1.2.3", "malformed number \"1.2.3\" at character 1"},
        {"2x", "malformed number \"2x\" at character 1"},
        {"1e400", "number \"1e400\" is out of range at character 1"},
        {"x in 1", "unexpected \"1\" at character 6 (write x in (1, 2, 3))"},
        {"x in (y)",
         "unexpected \"y\" at character 7 (the list after in holds numbers or "
         "strings, e.g. x in (1, 2))"},
        {"x in (-y)",
         "expected a number at character 7 (the list after in holds numbers or "
         "strings, e.g. x in (1, 2))"},
        {"x in (1 2)", "unexpected \"2\" at character 9 (expected \",\" or \")\")"},
        {"x in ()",
         "unexpected \")\" at character 7 (the list after in holds numbers or "
         "strings, e.g. x in (1, 2))"},
        {"in + 1", "unexpected \"in\" at character 1 (a column named in is written `in`)"},
        {"x == \x01", "unexpected \"\\x01\" at character 6"},
        {"\xc3\xa9 == 1", "unexpected \"\xc3\xa9\" at character 1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char quoted[256], want[600];
        size_t o = 0;
        for (const char *c = cases[k].text; *c; c++) {
            if (*c == '"' || *c == '\\') {
                quoted[o++] = '\\';
            }
            if ((unsigned char)*c < 0x20) {
                o += (size_t)snprintf(quoted + o, sizeof quoted - o, "\\x%02x", *c);
                continue;
            }
            quoted[o++] = *c;
        }
        quoted[o] = '\0';
        snprintf(want, sizeof want, "in expression \"%s\": %s", quoted, cases[k].message);
        expect_error(t, cases[k].text, PKH_EPARSE, want);
    }
}

static void nesting_limits(void **state)
{
    const pkh_table *t = *state;
    char text[4096];
    /* 64 levels of parentheses parse; 65 do not */
    for (int depth = 64; depth <= 65; depth++) {
        size_t o = 0;
        for (int k = 0; k < depth; k++) {
            text[o++] = '(';
        }
        text[o++] = 'n';
        for (int k = 0; k < depth; k++) {
            text[o++] = ')';
        }
        text[o] = '\0';
        pkh_expr *e = NULL;
        pkh_error err;
        const pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
        if (depth == 64) {
            assert_int_equal(st, PKH_OK);
            pkh_table *r = NULL;
            assert_int_equal(pkh_expr_eval(e, t, "r", 1, &r, NULL), PKH_OK);
            pkh_table_free(r);
            pkh_expr_free(e);
        } else {
            assert_int_equal(st, PKH_EPARSE);
            assert_non_null(strstr(err.message,
                                   "nested too deeply (more than 64 levels) at "
                                   "character 65"));
        }
    }
    /* a chain of 249 additions is fine, 250 is too deep */
    for (int terms = 250; terms <= 251; terms++) {
        size_t o = 0;
        for (int k = 0; k < terms; k++) {
            o += (size_t)snprintf(text + o, sizeof text - o, "%sn", k ? "+" : "");
        }
        pkh_expr *e = NULL;
        pkh_error err;
        const pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
        if (terms == 250) {
            assert_int_equal(st, PKH_OK);
            pkh_table *r = NULL;
            assert_int_equal(pkh_expr_eval(e, t, "r", 1, &r, NULL), PKH_OK);
            assert_int_equal(pkh_column_int64(col0(r))[0], 750);
            pkh_table_free(r);
            pkh_expr_free(e);
        } else {
            assert_int_equal(st, PKH_EPARSE);
            assert_non_null(strstr(err.message, "expression too deep (more than 250 levels)"));
        }
    }
    /* many siblings are not deep */
    size_t o = (size_t)snprintf(text, sizeof text, "n in (");
    for (int k = 0; k < 500; k++) {
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%d", k ? "," : "", k * 2);
    }
    snprintf(text + o, sizeof text - o, ")");
    expect_b(t, text, "001000");
}

/* ---- API ---- */

static void column_names(void **state)
{
    (void)state;
    pkh_expr *e = NULL;
    assert_int_equal(pkh_expr_parse("a + f(1)", NULL, &e, NULL), PKH_EPARSE);
    assert_null(e);
    assert_int_equal(pkh_expr_parse("a + b * a + `c d` > if(e, 1, a)", NULL, &e, NULL), PKH_OK);
    assert_int_equal(pkh_expr_num_columns(e), 4);
    assert_string_equal(pkh_expr_column(e, 0), "a");
    assert_string_equal(pkh_expr_column(e, 1), "b");
    assert_string_equal(pkh_expr_column(e, 2), "c d");
    assert_string_equal(pkh_expr_column(e, 3), "e");
    assert_null(pkh_expr_column(e, 4));
    assert_null(pkh_expr_column(e, -1));
    assert_string_equal(pkh_expr_text(e), "a + b * a + `c d` > if(e, 1, a)");
    pkh_expr_free(e);
    assert_int_equal(pkh_expr_parse("1 + 2", NULL, &e, NULL), PKH_OK);
    assert_int_equal(pkh_expr_num_columns(e), 0);
    assert_null(pkh_expr_column(e, 0));
    pkh_expr_free(e);
    pkh_expr_free(NULL);
}

static void define_split(void **state)
{
    (void)state;
    char name[16];
    const char *expr = NULL;
    pkh_error err;
    assert_int_equal(pkh_define_split("pc=hhexp/hhsize", name, sizeof name, &expr, &err), PKH_OK);
    assert_string_equal(name, "pc");
    assert_string_equal(expr, "hhexp/hhsize");
    assert_int_equal(pkh_define_split("  eq.scale = 1 + 0.5", name, sizeof name, &expr, &err),
                     PKH_OK);
    assert_string_equal(name, "eq.scale");
    assert_string_equal(expr, " 1 + 0.5");
    assert_int_equal(pkh_define_split("flag=x == 1", name, sizeof name, &expr, &err), PKH_OK);
    assert_string_equal(name, "flag");
    assert_string_equal(expr, "x == 1");
    assert_int_equal(pkh_define_split("x==1", name, sizeof name, &expr, &err), PKH_EPARSE);
    assert_string_equal(err.message,
                        "in definition \"x==1\": write a single = between the name "
                        "and the expression, e.g. pc=hhexp/hhsize");
    assert_int_equal(pkh_define_split("1x=2", name, sizeof name, &expr, &err), PKH_EPARSE);
    assert_string_equal(err.message,
                        "in definition \"1x=2\": a definition is NAME=EXPR, e.g. "
                        "pc=hhexp/hhsize, with NAME made of letters, digits, _ and . "
                        "(not starting with a digit)");
    assert_int_equal(pkh_define_split("=x", name, sizeof name, &expr, NULL), PKH_EPARSE);
    assert_int_equal(pkh_define_split("pc", name, sizeof name, &expr, NULL), PKH_EPARSE);
    assert_int_equal(pkh_define_split("per capita=x", name, sizeof name, &expr, NULL), PKH_EPARSE);
    strcpy(name, "unchanged");
    expr = NULL;
    assert_int_equal(pkh_define_split("averyveryverylongname=1", name, sizeof name, &expr, &err),
                     PKH_EINVAL);
    assert_string_equal(name, "unchanged");
    assert_null(expr);
    assert_int_equal(pkh_define_split("abcdefghijklmno=1", name, sizeof name, &expr, NULL),
                     PKH_OK); /* 15 bytes + NUL fit */
    assert_int_equal(pkh_define_split(NULL, name, sizeof name, &expr, NULL), PKH_EINVAL);
}

static void invalid_arguments(void **state)
{
    const pkh_table *t = *state;
    pkh_expr *e = NULL;
    pkh_table *r = NULL;
    pkh_type type;
    assert_int_equal(pkh_expr_parse(NULL, NULL, &e, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_parse("1", NULL, NULL, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_parse("n + 1", NULL, &e, NULL), PKH_OK);
    assert_int_equal(pkh_expr_eval(e, t, "", 1, &r, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_eval(e, t, NULL, 1, &r, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_eval(e, NULL, "r", 1, &r, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_eval(NULL, t, "r", 1, &r, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_eval(e, t, "r", 1, NULL, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_result_type(e, NULL, &type, NULL), PKH_EINVAL);
    assert_int_equal(pkh_expr_result_type(e, t, NULL, NULL), PKH_EINVAL);
    assert_null(r);
    /* the result column takes the given name; 0 threads means every core */
    assert_int_equal(pkh_expr_eval(e, t, "n plus one", 0, &r, NULL), PKH_OK);
    assert_string_equal(pkh_column_name(col0(r)), "n plus one");
    pkh_table_free(r);
    pkh_expr_free(e);
}

static void empty_table(void **state)
{
    (void)state;
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "x", NULL, NULL, 0, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "s", NULL, 0, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    const char *texts[] = {"x + 1", "x > 1", "s", "x / 2", "if(x > 0, s, \"a\")"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        pkh_table *r = eval_on(t, texts[k], 2);
        assert_int_equal(pkh_table_num_rows(r), 0);
        assert_int_equal(pkh_column_null_count(col0(r)), 0);
        pkh_table_free(r);
    }
    pkh_table_free(t);
}

/* ---- big tables: threads, chunk boundaries ---- */

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

static pkh_table *big_table(int64_t n)
{
    double *x = malloc((size_t)n * 8);
    int64_t *k = malloc((size_t)n * 8);
    uint8_t *flag = malloc((size_t)n), *x_ok = calloc((size_t)(n + 7) / 8, 1);
    uint8_t *k_ok = calloc((size_t)(n + 7) / 8, 1);
    const char **s = malloc((size_t)n * sizeof *s);
    static const char *const words[] = {"Aceh", "Bali", "Papua", "Papua Barat", "Jawa Timur"};
    uint64_t seed = 7;
    for (int64_t i = 0; i < n; i++) {
        x[i] = (double)(rng(&seed) % 100000) / 7.0 - 1000;
        k[i] = (int64_t)(rng(&seed) % 11) - 2;
        flag[i] = rng(&seed) % 2;
        s[i] = rng(&seed) % 13 == 0 ? NULL : words[rng(&seed) % 5];
        if (rng(&seed) % 17 != 0) {
            x_ok[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        if (rng(&seed) % 19 != 0) {
            k_ok[i / 8] |= (uint8_t)(1u << (i % 8));
        }
    }
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "x", x, x_ok, n, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "k", k, k_ok, n, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_bool(b, "flag", flag, NULL, n, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "prov", s, n, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    free(x);
    free(k);
    free(flag);
    free(x_ok);
    free(k_ok);
    free(s);
    return t;
}

static size_t value_bytes(const pkh_column *c)
{
    const int64_t n = pkh_column_length(c);
    switch (pkh_column_type(c)) {
    case PKH_TYPE_BOOL:
        return (size_t)(n + 7) / 8;
    case PKH_TYPE_DICT:
        return (size_t)n * 4;
    default:
        return (size_t)n * 8;
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

static void same_bits_on_any_thread_count(void **state)
{
    (void)state;
    const int64_t n = 100003; /* several tasks, and a partial last chunk and byte */
    pkh_table *t = big_table(n);
    static const char *const texts[] = {
        "x / k",
        "x * 2 + k",
        "k * 3 - 1",
        "log(x) + sqrt(k)",
        "flag && x > 0 || k == 3",
        "prov in (\"Papua\", \"Papua Barat\") && !flag",
        "if(flag, prov, \"none\")",
        "coalesce(x, k, 0)",
        "(k in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) == (x < 100)",
        "is_missing(x) || is_missing(prov)",
        "min(x, k * 100, 500)",
        "prov < \"Jawa\"",
    };
    for (size_t e = 0; e < sizeof texts / sizeof texts[0]; e++) {
        pkh_table *r1 = eval_on(t, texts[e], 1);
        const pkh_column *c1 = col0(r1);
        for (int threads = 2; threads <= 3; threads++) {
            pkh_table *r = eval_on(t, texts[e], threads);
            const pkh_column *c = col0(r);
            assert_int_equal(pkh_column_type(c), pkh_column_type(c1));
            assert_int_equal(pkh_column_null_count(c), pkh_column_null_count(c1));
            assert_memory_equal(values_of(c), values_of(c1), value_bytes(c1));
            if (pkh_column_null_count(c1) > 0) {
                assert_memory_equal(pkh_column_validity(c), pkh_column_validity(c1),
                                    (size_t)(n + 7) / 8);
            }
            pkh_table_free(r);
        }
        pkh_table_free(r1);
    }
    /* spot-check rows against a direct computation */
    pkh_table *r = eval_on(t, "x / k", 2);
    const pkh_column *x = NULL, *k = NULL, *c = col0(r);
    assert_int_equal(pkh_table_column(t, "x", &x, NULL), PKH_OK);
    assert_int_equal(pkh_table_column(t, "k", &k, NULL), PKH_OK);
    for (int64_t i = 0; i < n; i++) {
        const bool ok =
            pkh_column_is_valid(x, i) && pkh_column_is_valid(k, i) && pkh_column_int64(k)[i] != 0;
        assert_int_equal(pkh_column_is_valid(c, i), ok);
        if (ok) {
            assert_true(pkh_column_float64(c)[i] ==
                        pkh_column_float64(x)[i] / (double)pkh_column_int64(k)[i]);
        } else {
            assert_true(pkh_column_float64(c)[i] == 0); /* missing rows hold 0 */
        }
    }
    pkh_table_free(r);
    pkh_table_free(t);
}

/* ---- allocation failures ---- */

static void survives_every_allocation_failure(void **state)
{
    const pkh_table *t = *state;
    static const char *const texts[] = {
        "if(s < t, s, coalesce(t, \"z\")) == \"SD\" || s in (\"a\", \"SMA\") && n in (1, 2, 3, "
        "4, 5, 6, 7, 8, 9, 10)",
        "coalesce(if(b, s, t), \"none\", s)",
        "max(log(f), n / 2, 0.5 * `per capita`) + hhsize % 2",
        "x +",
        "s + 1",
        "nope > 1",
    };
    for (size_t e = 0; e < sizeof texts / sizeof texts[0]; e++) {
        pkh_status last = PKH_ENOMEM;
        for (long budget = 0; last == PKH_ENOMEM; budget++) {
            test_alloc a;
            test_alloc_init(&a, budget);
            pkh_expr *x = NULL;
            pkh_table *r = NULL;
            pkh_error err;
            pkh_status st = pkh_expr_parse(texts[e], &a.base, &x, &err);
            if (st == PKH_OK) {
                pkh_type type;
                st = pkh_expr_result_type(x, t, &type, &err);
            }
            if (st == PKH_OK) {
                st = pkh_expr_eval(x, t, "r", 2, &r, &err);
            }
            if (st == PKH_ENOMEM) {
                assert_string_equal(err.message, "out of memory");
                assert_null(r);
            }
            pkh_table_free(r);
            pkh_expr_free(x);
            if (a.live_bytes != 0) {
                fail_msg("%s: budget %ld, status %d: %lld bytes leak", texts[e], budget, st,
                         (long long)a.live_bytes);
            }
            assert_int_equal(a.live_blocks, 0);
            last = st;
            assert_true(budget < 10000);
        }
        assert_int_equal(last, e < 3 ? PKH_OK
                                     : (e == 3   ? PKH_EPARSE
                                        : e == 4 ? PKH_ETYPE
                                                 : PKH_ENOTFOUND));
    }
}

/* The expression is immutable: many threads may evaluate it at once. */
static void expression_is_shared_by_threads(void **state)
{
    (void)state;
    pkh_table *t = big_table(20000);
    pkh_expr *e = NULL;
    assert_int_equal(pkh_expr_parse("if(flag, prov, \"x\") == \"Bali\" || x > k", NULL, &e, NULL),
                     PKH_OK);
    pkh_table *r1 = NULL, *r2 = NULL;
    assert_int_equal(pkh_expr_eval(e, t, "a", 2, &r1, NULL), PKH_OK);
    assert_int_equal(pkh_expr_eval(e, t, "b", 1, &r2, NULL), PKH_OK);
    assert_memory_equal(pkh_column_bool_bits(col0(r1)), pkh_column_bool_bits(col0(r2)), 20000 / 8);
    pkh_table_free(r1);
    pkh_table_free(r2);
    pkh_expr_free(e);
    pkh_table_free(t);
}

static void equivalised_income_example(void **state)
{
    (void)state;
    /* OECD-modified scale: 1 + 0.5 (adults beyond the first) + 0.3 (children) */
    const double income[] = {1000, 2400, 900};
    const int64_t n14plus[] = {1, 2, 3}, n_under14[] = {0, 2, 1};
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "income", income, NULL, 3, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "n14plus", n14plus, NULL, 3, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "n_under14", n_under14, NULL, 3, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    char name[32];
    const char *text = NULL;
    assert_int_equal(pkh_define_split("eq=income/(1+0.5*(n14plus-1)+0.3*n_under14)", name,
                                      sizeof name, &text, NULL),
                     PKH_OK);
    expect_f(t, text, (double[]){1000, 2400 / 2.1, 900 / 2.3});
    expect_f(t, "log(income / (n14plus + n_under14))", (double[]){log(1000), log(600), log(225)});
    pkh_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arithmetic),
        cmocka_unit_test(number_literals),
        cmocka_unit_test(modulo_is_floored),
        cmocka_unit_test(functions),
        cmocka_unit_test(precedence),
        cmocka_unit_test(comparisons),
        cmocka_unit_test(three_valued_logic),
        cmocka_unit_test(missing_and_undefined),
        cmocka_unit_test(infinities_read_as_missing),
        cmocka_unit_test(strings),
        cmocka_unit_test(membership),
        cmocka_unit_test(integer_preservation),
        cmocka_unit_test(type_errors),
        cmocka_unit_test(unknown_columns),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test(nesting_limits),
        cmocka_unit_test(column_names),
        cmocka_unit_test(define_split),
        cmocka_unit_test(invalid_arguments),
        cmocka_unit_test(empty_table),
        cmocka_unit_test(same_bits_on_any_thread_count),
        cmocka_unit_test(survives_every_allocation_failure),
        cmocka_unit_test(expression_is_shared_by_threads),
        cmocka_unit_test(equivalised_income_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
