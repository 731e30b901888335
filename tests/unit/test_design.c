/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The design and its variance engine against R survey (tests/data/r/ref_survey_se.csv, made by
 * scripts/r/ref_survey_se.R): means, totals, ratios, FGT at a fixed line, population sizes,
 * overall and in domains, on apistrat and apiclus1 with and without fpc, apiclus2 as an
 * ultimate-cluster design, eusilc (ids=db030, strata=db040), and lonely-PSU policies; SE at
 * 1e-7 relative, CIs, df and deff. Also: the sparse and dense entry points agree, the bootstrap
 * factors (determinism, unbiasedness), replicate variances, and the error messages.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pkh/design.h>

#include "testutil.h"

/* ---- small helpers ---- */

static pkh_table *load(const char *dataset)
{
    char path[256];
    snprintf(path, sizeof path, "r/%s.csv", dataset);
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_csv_read_path(test_data(path), NULL, &t, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return t;
}

static double *numbers(const pkh_table *t, const char *name)
{
    const pkh_column *c = NULL;
    if (pkh_table_column(t, name, &c, NULL) != PKH_OK) {
        fail_msg("no column %s", name);
    }
    const int64_t n = pkh_table_num_rows(t);
    double *v = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        if (pkh_column_get_double(c, i, &v[i]) != PKH_OK) {
            v[i] = NAN;
        }
    }
    return v;
}

static void text_at(const pkh_column *c, int64_t row, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (c == NULL || !pkh_column_is_valid(c, row)) {
        return;
    }
    if (pkh_column_type(c) != PKH_TYPE_DICT) {
        double v;
        pkh_column_get_double(c, row, &v);
        snprintf(buf, cap, "%.17g", v);
        return;
    }
    const char *s;
    size_t n;
    pkh_column_dict_value(c, pkh_column_codes(c)[row], &s, &n);
    n = n < cap - 1 ? n : cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

static bool close_rel(double got, double want, double rel)
{
    if (isnan(want)) {
        return isnan(got);
    }
    return fabs(got - want) <= rel * fabs(want) + 1e-12;
}

/* ---- the reference file ---- */

typedef struct ref {
    pkh_table *t;
    const pkh_column *c[15];
} ref;

enum { R_DATASET, R_DESIGN, R_LINE, R_BY, R_GROUP, R_IND, R_PARAM, R_EST, R_SE, R_LO, R_HI,
       R_DF, R_DEFF, R_SOURCE, R_NOTE };

static void ref_open(ref *r, const char *file)
{
    static const char *names[] = {"dataset", "design", "line", "by", "group", "indicator",
                                  "param", "estimate", "se", "ci_low", "ci_high", "df", "deff",
                                  "source", "note"};
    pkh_csv_type types[15];
    for (int i = 0; i < 15; i++) {
        types[i].column = names[i];
        types[i].type = i >= R_EST && i <= R_DEFF ? PKH_TYPE_FLOAT64 : PKH_TYPE_DICT;
    }
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.types = types;
    o.n_types = 15;
    pkh_error err;
    char path[256];
    snprintf(path, sizeof path, "r/%s", file);
    if (pkh_csv_read_path(test_data(path), &o, &r->t, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    for (int i = 0; i < 15; i++) {
        assert_int_equal(pkh_table_column(r->t, names[i], &r->c[i], NULL), PKH_OK);
    }
}

static double ref_num(const ref *r, int col, int64_t row)
{
    return pkh_column_is_valid(r->c[col], row) ? pkh_column_float64(r->c[col])[row] : NAN;
}

/* "ids=1;strata=stype;weights=pw;fpc=fpc" -> a spec and the weight column; false to skip
 * (two-stage designs are outside pkh's ultimate-cluster variance). */
static bool parse_design(const char *label, pkh_design_spec *spec, char *weight, char *buf)
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

/* One domain estimate with its influence values z (full length). */
typedef struct est {
    double value, var, srs, N;
    int64_t n;
} est;

/*
 * The estimators of set 3 written out: value and influence values over a domain mask. `num`
 * and `den` are per-row variables; kind: 'm' mean of num, 't' total of num, 'r' ratio of totals
 * num / den.
 */
static est estimate(const pkh_design *d, const double *w, const uint8_t *dom, const double *num,
                    const double *den, char kind, int64_t n)
{
    double sw = 0, sn = 0, sd = 0;
    for (int64_t i = 0; i < n; i++) {
        if (dom[i]) {
            sw += w[i];
            sn += w[i] * num[i];
            sd += w[i] * (den != NULL ? den[i] : 0);
        }
    }
    est e = {kind == 'm' ? sn / sw : kind == 't' ? sn : sn / sd, 0, 0, sw, 0};
    double *z = calloc((size_t)n, sizeof *z), *l = calloc((size_t)n, sizeof *l);
    for (int64_t i = 0; i < n; i++) {
        if (!dom[i]) {
            continue;
        }
        l[i] = kind == 'm' ? (num[i] - e.value) / sw
               : kind == 't' ? num[i]
                             : (num[i] - e.value * den[i]) / sd;
        z[i] = w[i] * l[i];
        e.n += w[i] != 0;
    }
    pkh_error err;
    if (pkh_design_variance(d, z, &e.var, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    /* R survey's deff = TRUE: SRS without replacement of n rows: N^2 s2(l) / n (N - n) / N,
     * s2 the weighted variance of the linearised variable with n / (n - 1) */
    double lbar = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) {
        lbar += dom[i] ? w[i] * l[i] / sw : 0;
    }
    for (int64_t i = 0; i < n; i++) {
        ss += dom[i] ? w[i] * (l[i] - lbar) * (l[i] - lbar) : 0;
    }
    const double nn = (double)e.n, s2 = ss / sw * nn / (nn - 1);
    e.srs = sw * sw * s2 / nn * (sw - nn) / sw;
    free(z);
    free(l);
    return e;
}

typedef struct checker {
    int64_t checked, failed;
} checker;

static void expect(checker *ck, const char *what, int64_t row, double got, double want, double rel)
{
    ck->checked++;
    if (!close_rel(got, want, rel)) {
        print_error("ref_survey_se.csv row %lld: %s: pkh %.17g, R %.17g\n", (long long)row + 2,
                    what, got, want);
        ck->failed++;
    }
}

static void check_row(checker *ck, const ref *r, int64_t i, const pkh_table *t,
                      const pkh_design *d, const double *w)
{
    char ind[32], param[64], by[32], group[64], line[32];
    text_at(r->c[R_IND], i, ind, sizeof ind);
    text_at(r->c[R_PARAM], i, param, sizeof param);
    text_at(r->c[R_BY], i, by, sizeof by);
    text_at(r->c[R_GROUP], i, group, sizeof group);
    text_at(r->c[R_LINE], i, line, sizeof line);
    const int64_t n = pkh_table_num_rows(t);
    if (strcmp(ind, "df") == 0) {
        expect(ck, "df", i, (double)pkh_design_df(d), ref_num(r, R_EST, i), 0);
        return;
    }
    if (strcmp(ind, "n") == 0 || isnan(ref_num(r, R_EST, i))) {
        return; /* R's NA (a missing value in the variable) */
    }
    uint8_t *dom = malloc((size_t)n);
    const pkh_column *bc = NULL;
    if (by[0] != '\0') {
        assert_int_equal(pkh_table_column(t, by, &bc, NULL), PKH_OK);
    }
    for (int64_t k = 0; k < n; k++) {
        char g[64];
        text_at(bc, k, g, sizeof g);
        dom[k] = bc == NULL || strcmp(g, group) == 0;
    }
    double *num = NULL, *den = NULL;
    char kind = 'm';
    const char *income = pkh_table_column(t, "api00", &(const pkh_column *){NULL}, NULL) == PKH_OK
                             ? "api00"
                             : pkh_table_column(t, "eqIncome", &(const pkh_column *){NULL}, NULL)
                                       == PKH_OK
                                   ? "eqIncome"
                                   : "y";
    if (strcmp(ind, "mean") == 0 || strcmp(ind, "total") == 0) {
        num = numbers(t, param);
        kind = ind[0];
    } else if (strcmp(ind, "ratio_est") == 0) {
        char a[32], b[32];
        assert_int_equal(sscanf(param, "%31[^/]/%31s", a, b), 2);
        num = numbers(t, a);
        den = numbers(t, b);
        kind = 'r';
    } else if (strcmp(ind, "population") == 0) {
        num = malloc(sizeof(double) * (size_t)n);
        for (int64_t k = 0; k < n; k++) {
            num[k] = 1;
        }
        kind = 't';
    } else if (strncmp(ind, "fgt", 3) == 0 || strcmp(ind, "poor") == 0) {
        const double z = strtod(line, NULL), alpha = ind[0] == 'p' ? 0 : ind[3] - '0';
        num = numbers(t, income);
        for (int64_t k = 0; k < n; k++) {
            num[k] = num[k] < z ? pow(1 - num[k] / z, alpha) : 0;
        }
        kind = ind[0] == 'p' ? 't' : 'm';
    } else {
        fail_msg("unexpected indicator %s", ind);
    }
    const est e = estimate(d, w, dom, num, den, kind, n);
    const double se = sqrt(e.var), df = (double)pkh_design_df(d);
    const double tq = pkh_t_quantile(0.975, df);
    char what[256];
    snprintf(what, sizeof what, "%s %s by=%s group=%s estimate", ind, param, by, group);
    expect(ck, what, i, e.value, ref_num(r, R_EST, i), 1e-10);
    snprintf(what, sizeof what, "%s %s by=%s group=%s se", ind, param, by, group);
    expect(ck, what, i, se, ref_num(r, R_SE, i), 1e-7);
    snprintf(what, sizeof what, "%s %s by=%s group=%s ci", ind, param, by, group);
    expect(ck, what, i, e.value - tq * se, ref_num(r, R_LO, i), 1e-7);
    expect(ck, what, i, e.value + tq * se, ref_num(r, R_HI, i), 1e-7);
    expect(ck, "df", i, df, ref_num(r, R_DF, i), 0);
    if (pkh_column_is_valid(r->c[R_DEFF], i)) {
        snprintf(what, sizeof what, "%s %s by=%s group=%s deff", ind, param, by, group);
        expect(ck, what, i, e.var / e.srs, ref_num(r, R_DEFF, i), 1e-7);
    }
    free(num);
    free(den);
    free(dom);
}

static void matches_r_survey(void **state)
{
    (void)state;
    ref r;
    ref_open(&r, "ref_survey_se.csv");
    checker ck = {0, 0};
    char last[256] = "";
    pkh_table *t = NULL;
    pkh_design *d = NULL;
    double *w = NULL;
    int64_t skipped = 0;
    for (int64_t i = 0; i < pkh_table_num_rows(r.t); i++) {
        char dataset[32], label[128], key[256], src[32], wname[32], buf[128];
        text_at(r.c[R_DATASET], i, dataset, sizeof dataset);
        text_at(r.c[R_DESIGN], i, label, sizeof label);
        text_at(r.c[R_SOURCE], i, src, sizeof src);
        pkh_design_spec spec;
        if (strcmp(src, "survey") != 0 || !parse_design(label, &spec, wname, buf)) {
            skipped++;
            continue;
        }
        snprintf(key, sizeof key, "%s|%s", dataset, label);
        if (strcmp(key, last) != 0) {
            pkh_design_free(d);
            pkh_table_free(t);
            free(w);
            t = load(dataset);
            pkh_error err;
            if (pkh_design_new(t, &spec, &d, &err) != PKH_OK) {
                fail_msg("%s: %s", label, err.message);
            }
            w = numbers(t, wname);
            snprintf(last, sizeof last, "%s", key);
        }
        check_row(&ck, &r, i, t, d, w);
    }
    print_message("ref_survey_se.csv: %lld values checked, %lld rows skipped (two-stage)\n",
                  (long long)ck.checked, (long long)skipped);
    pkh_design_free(d);
    pkh_table_free(t);
    free(w);
    pkh_table_free(r.t);
    assert_int_equal(ck.failed, 0);
    assert_true(ck.checked > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_r_survey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
