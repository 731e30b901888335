/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "testutil.h"

#include <math.h>
#include <pkh/design.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ta_allocate(void *ctx, size_t size, size_t alignment)
{
    test_alloc *a = ctx;
    a->calls++;
    if (a->budget >= 0 && a->calls > a->budget) {
        a->failures++;
        return NULL;
    }
    void *p = NULL;
    if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0) {
        return NULL;
    }
    a->live_bytes += (int64_t)size;
    a->live_blocks++;
    return p;
}

static void ta_deallocate(void *ctx, void *ptr, size_t size)
{
    test_alloc *a = ctx;
    if (ptr == NULL) {
        return;
    }
    a->live_bytes -= (int64_t)size;
    a->live_blocks--;
    free(ptr);
}

static void *ta_reallocate(void *ctx, void *ptr, size_t old_size, size_t new_size, size_t alignment)
{
    void *p = ta_allocate(ctx, new_size, alignment);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, ptr, old_size < new_size ? old_size : new_size);
    ta_deallocate(ctx, ptr, old_size);
    return p;
}

void test_alloc_init(test_alloc *a, long budget)
{
    memset(a, 0, sizeof *a);
    a->base.allocate = ta_allocate;
    a->base.reallocate = ta_reallocate;
    a->base.deallocate = ta_deallocate;
    a->base.ctx = a;
    a->budget = budget;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

const char *test_data(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", PKH_TEST_DATA, rel);
    return path;
}

pkh_table *test_load(const char *rel)
{
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_csv_read_path(test_data(rel), NULL, &t, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return t;
}

void test_cell_text(const pkh_column *c, int64_t row, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (c == NULL || !pkh_column_is_valid(c, row)) {
        return;
    }
    if (pkh_column_type(c) == PKH_TYPE_DICT) {
        const char *s;
        size_t n;
        pkh_column_dict_value(c, pkh_column_codes(c)[row], &s, &n);
        n = n < cap - 1 ? n : cap - 1;
        memcpy(buf, s, n);
        buf[n] = '\0';
    } else {
        double v;
        pkh_column_get_double(c, row, &v);
        snprintf(buf, cap, "%.17g", v);
    }
}

void test_ref_open(test_ref *r, const char *file)
{
    static const char *names[TR_COLUMNS] = {"dataset",   "design", "line",     "by",     "group",
                                            "indicator", "param",  "estimate", "se",     "ci_low",
                                            "ci_high",   "df",     "deff",     "source", "note"};
    pkh_csv_type types[TR_COLUMNS];
    for (int i = 0; i < TR_COLUMNS; i++) {
        types[i].column = names[i];
        types[i].type = i >= TR_EST && i <= TR_DEFF ? PKH_TYPE_FLOAT64 : PKH_TYPE_DICT;
    }
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.types = types;
    o.n_types = TR_COLUMNS;
    o.na_values = (const char *const[]){"NA"};
    o.n_na_values = 1;
    pkh_error err;
    char path[256];
    snprintf(path, sizeof path, "r/%s", file);
    if (pkh_csv_read_path(test_data(path), &o, &r->t, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    for (int i = 0; i < TR_COLUMNS; i++) {
        assert_int_equal(pkh_table_column(r->t, names[i], &r->c[i], NULL), PKH_OK);
    }
}

void test_ref_close(test_ref *r)
{
    pkh_table_free(r->t);
    r->t = NULL;
}

double test_ref_num(const test_ref *r, int col, int64_t row)
{
    return pkh_column_is_valid(r->c[col], row) ? pkh_column_float64(r->c[col])[row] : NAN;
}

bool test_design_spec(const char *label, struct pkh_design_spec *spec, char *weight, char *buf)
{
    *spec = (pkh_design_spec)PKH_DESIGN_SPEC_INIT;
    weight[0] = '\0';
    strcpy(buf, label);
    for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv != NULL;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        *eq = '\0';
        const char *v = eq + 1;
        if (strchr(v, '+') != NULL) {
            return false;
        }
        if (strcmp(kv, "ids") == 0) {
            spec->psu = strcmp(v, "1") == 0 ? NULL : v;
        } else if (strcmp(kv, "strata") == 0) {
            spec->strata = v;
        } else if (strcmp(kv, "weights") == 0) {
            strcpy(weight, v);
        } else if (strcmp(kv, "fpc") == 0) {
            spec->fpc = v;
        } else if (strcmp(kv, "lonely") == 0) {
            assert_int_equal(pkh_lonely_psu_parse(v, &spec->lonely), PKH_OK);
        }
    }
    return weight[0] != '\0';
}

void test_assert_near(double a, double b, double eps, const char *expr, const char *file, int line)
{
    if (!(fabs(a - b) <= eps) && !(a != a && b != b)) {
        print_error("%s is %.17g, expected %.17g within %g\n", expr, a, b, eps);
        _fail(file, line);
    }
}
