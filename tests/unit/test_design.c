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

static bool close_rel(double got, double want, double rel)
{
    if (isnan(want)) {
        return isnan(got);
    }
    return fabs(got - want) <= rel * fabs(want) + 1e-12;
}

/* ---- the reference file ---- */

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
        l[i] = kind == 'm'   ? (num[i] - e.value) / sw
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

static void check_row(checker *ck, const test_ref *r, int64_t i, const pkh_table *t,
                      const pkh_design *d, const double *w)
{
    char ind[32], param[64], by[32], group[64], line[32];
    test_cell_text(r->c[TR_IND], i, ind, sizeof ind);
    test_cell_text(r->c[TR_PARAM], i, param, sizeof param);
    test_cell_text(r->c[TR_BY], i, by, sizeof by);
    test_cell_text(r->c[TR_GROUP], i, group, sizeof group);
    test_cell_text(r->c[TR_LINE], i, line, sizeof line);
    const int64_t n = pkh_table_num_rows(t);
    if (strcmp(ind, "df") == 0) {
        expect(ck, "df", i, (double)pkh_design_df(d), test_ref_num(r, TR_EST, i), 0);
        return;
    }
    if (strcmp(ind, "n") == 0 || isnan(test_ref_num(r, TR_EST, i))) {
        return; /* R's NA (a missing value in the variable) */
    }
    uint8_t *dom = malloc((size_t)n);
    const pkh_column *bc = NULL;
    if (by[0] != '\0') {
        assert_int_equal(pkh_table_column(t, by, &bc, NULL), PKH_OK);
    }
    for (int64_t k = 0; k < n; k++) {
        char g[64];
        test_cell_text(bc, k, g, sizeof g);
        dom[k] = bc == NULL || strcmp(g, group) == 0;
    }
    double *num = NULL, *den = NULL;
    char kind = 'm';
    const char *income =
        pkh_table_column(t, "api00", &(const pkh_column *){NULL}, NULL) == PKH_OK      ? "api00"
        : pkh_table_column(t, "eqIncome", &(const pkh_column *){NULL}, NULL) == PKH_OK ? "eqIncome"
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
    expect(ck, what, i, e.value, test_ref_num(r, TR_EST, i), 1e-10);
    snprintf(what, sizeof what, "%s %s by=%s group=%s se", ind, param, by, group);
    expect(ck, what, i, se, test_ref_num(r, TR_SE, i), 1e-7);
    snprintf(what, sizeof what, "%s %s by=%s group=%s ci", ind, param, by, group);
    expect(ck, what, i, e.value - tq * se, test_ref_num(r, TR_LO, i), 1e-7);
    expect(ck, what, i, e.value + tq * se, test_ref_num(r, TR_HI, i), 1e-7);
    expect(ck, "df", i, df, test_ref_num(r, TR_DF, i), 0);
    if (pkh_column_is_valid(r->c[TR_DEFF], i)) {
        snprintf(what, sizeof what, "%s %s by=%s group=%s deff", ind, param, by, group);
        expect(ck, what, i, e.var / e.srs, test_ref_num(r, TR_DEFF, i), 1e-7);
    }
    free(num);
    free(den);
    free(dom);
}

static void matches_r_survey(void **state)
{
    (void)state;
    test_ref r;
    test_ref_open(&r, "ref_survey_se.csv");
    checker ck = {0, 0};
    char last[256] = "";
    pkh_table *t = NULL;
    pkh_design *d = NULL;
    double *w = NULL;
    int64_t skipped = 0;
    for (int64_t i = 0; i < pkh_table_num_rows(r.t); i++) {
        char dataset[32], label[128], key[256], src[32], wname[32], buf[128];
        test_cell_text(r.c[TR_DATASET], i, dataset, sizeof dataset);
        test_cell_text(r.c[TR_DESIGN], i, label, sizeof label);
        test_cell_text(r.c[TR_SOURCE], i, src, sizeof src);
        pkh_design_spec spec;
        if (strcmp(src, "survey") != 0 || !test_design_spec(label, &spec, wname, buf)) {
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

/* ---- the engine's entry points agree ---- */

static void dense_sparse_and_covariance_agree(void **state)
{
    (void)state;
    pkh_table *t = load("apiclus1");
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    spec.psu = "dnum";
    spec.fpc = "fpc";
    pkh_design *d = NULL;
    assert_int_equal(pkh_design_new(t, &spec, &d, NULL), PKH_OK);
    const int64_t n = pkh_table_num_rows(t);
    double *y = numbers(t, "api00"), *e = numbers(t, "enroll");
    double *z = malloc(sizeof(double) * (size_t)n * 2);
    /* two "influence" columns with zeros on every third row (a domain) */
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)n);
    double *zs = malloc(sizeof(double) * (size_t)n * 2);
    int64_t m = 0;
    for (int64_t i = n - 1; i >= 0; i--) { /* listed in reverse: order must not matter */
        const bool in = i % 3 != 0;
        z[i] = in ? y[i] - 650 : 0;
        z[n + i] = in ? e[i] - 500 : 0;
        if (in) {
            rows[m++] = i;
        }
    }
    for (int64_t k = 0; k < m; k++) {
        zs[2 * k] = z[rows[k]];
        zs[2 * k + 1] = z[n + rows[k]];
    }
    double v1, v2, cov[4], vs[2];
    assert_int_equal(pkh_design_variance(d, z, &v1, NULL), PKH_OK);
    assert_int_equal(pkh_design_variance(d, z + n, &v2, NULL), PKH_OK);
    assert_int_equal(pkh_design_covariance(d, z, 2, cov, NULL), PKH_OK);
    assert_int_equal(pkh_design_variance_rows(d, rows, zs, m, 2, vs, NULL), PKH_OK);
    assert_true(close_rel(cov[0], v1, 1e-14) && close_rel(cov[3], v2, 1e-14));
    assert_true(close_rel(vs[0], v1, 1e-13) && close_rel(vs[1], v2, 1e-13));
    assert_true(cov[1] == cov[2]);
    /* var(a - b) = var a + var b - 2 cov(a, b), through the sparse entry point */
    double *diff = malloc(sizeof(double) * (size_t)m), vd;
    for (int64_t k = 0; k < m; k++) {
        diff[k] = zs[2 * k] - zs[2 * k + 1];
    }
    assert_int_equal(pkh_design_variance_rows(d, rows, diff, m, 1, &vd, NULL), PKH_OK);
    assert_true(close_rel(vd, v1 + v2 - 2 * cov[1], 1e-12));
    /* a hand computation: one stratum, PSU totals t_j over 15 PSUs, f = 1 - 15 / 757 */
    const pkh_column *psu = NULL;
    pkh_table_column(t, "dnum", &psu, NULL);
    double tot[1000] = {0}, sum = 0, ss = 0;
    int seen[1000] = {0}, npsu = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t j = pkh_column_int64(psu)[i];
        npsu += !seen[j];
        seen[j] = 1;
        tot[j] += z[i];
    }
    for (int j = 0; j < 1000; j++) {
        sum += seen[j] ? tot[j] : 0;
    }
    for (int j = 0; j < 1000; j++) {
        ss += seen[j] ? (tot[j] - sum / npsu) * (tot[j] - sum / npsu) : 0;
    }
    assert_int_equal(npsu, 15);
    assert_true(close_rel(v1, (1 - 15.0 / 757) * 15.0 / 14 * ss, 1e-12));
    assert_int_equal(pkh_design_df(d), 14);
    assert_int_equal(pkh_design_psus(d), 15);
    assert_int_equal(pkh_design_strata(d), 1);
    free(y);
    free(e);
    free(z);
    free(zs);
    free(rows);
    free(diff);
    pkh_design_free(d);
    pkh_table_free(t);
}

/* ---- errors ---- */

static pkh_table *table_of(const char *csv)
{
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_csv_read_memory(csv, strlen(csv), NULL, NULL, &t, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return t;
}

static void errors_name_the_stratum_and_the_column(void **state)
{
    (void)state;
    pkh_design *d = NULL;
    pkh_error err;
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    pkh_table *t = load("small_lonely");
    spec.strata = "stratum";
    spec.psu = "psu";
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_EINVAL);
    assert_string_equal(err.message,
                        "stratum stratum = 3 has a single PSU, so its variance "
                        "cannot be estimated: merge it with a similar stratum, or "
                        "choose --lonely-psu certainty, adjust, average or remove");
    assert_null(d);
    spec.lonely = PKH_LONELY_CERTAINTY;
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_OK);
    assert_int_equal(pkh_design_lonely_strata(d), 1);
    pkh_design_free(d);
    d = NULL;
    spec.psu = "nope";
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_ENOTFOUND);
    pkh_table_free(t);

    t = table_of("s,p,f,y\na,1,10,1\na,2,10,2\nb,1,5,3\nb,,5,4\n");
    spec = (pkh_design_spec)PKH_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.psu = "p";
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_EINVAL);
    assert_string_equal(err.message,
                        "the design column \"p\" has a missing value at data row 4: "
                        "every row needs its stratum and PSU");
    pkh_table_free(t);

    t = table_of("s,p,f\na,1,10\na,2,10\nb,1,5\nb,2,6\n");
    spec.fpc = "f";
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_EINVAL);
    assert_string_equal(err.message,
                        "the fpc column \"f\" differs within stratum s = \"b\" (5 "
                        "and 6, data row 4): it must be one value per stratum");
    pkh_table_free(t);

    t = table_of("s,p,f\na,1,10\na,2,10\nb,1,1.5\nb,2,1.5\nb,3,1.5\n");
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_EINVAL);
    assert_string_equal(err.message,
                        "the fpc of stratum s = \"b\" is 1.5 PSUs, fewer than the 3 "
                        "PSUs sampled in it");
    pkh_table_free(t);

    t = table_of("s,p,f\na,1,0\na,2,0\n");
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "the fpc column \"f\" must be positive"));
    pkh_table_free(t);

    t = table_of("s,p,f\na,1,x\na,2,y\n");
    assert_int_equal(pkh_design_new(t, &spec, &d, &err), PKH_ETYPE);
    pkh_table_free(t);

    /* no design columns: SRS of rows, df = n - 1 */
    t = table_of("y\n1\n2\n3\n");
    assert_int_equal(pkh_design_new(t, NULL, &d, &err), PKH_OK);
    assert_true(pkh_design_is_srs(d));
    assert_int_equal(pkh_design_df(d), 2);
    const double z[] = {1, 2, 4};
    double v;
    assert_int_equal(pkh_design_variance(d, z, &v, NULL), PKH_OK);
    /* n / (n - 1) sum (z - mean)^2 = 3/2 ((-4/3)^2 + (-1/3)^2 + (5/3)^2) = 7 */
    assert_true(close_rel(v, 7, 1e-15));
    const double bad[] = {1, NAN, 4};
    assert_int_equal(pkh_design_variance(d, bad, &v, &err), PKH_EINVAL);
    assert_string_equal(err.message, "influence value of row 2 is not finite");
    pkh_design_free(d);
    pkh_table_free(t);
}

/* ---- t quantiles ---- */

static void t_quantiles(void **state)
{
    (void)state;
    /* R: qt(0.975, c(1, 14, 197, 5991)); qnorm(0.975) */
    assert_true(close_rel(pkh_t_quantile(0.975, 1), 12.7062047361746941, 1e-12));
    assert_true(close_rel(pkh_t_quantile(0.975, 14), 2.1447866879178039, 1e-12));
    assert_true(close_rel(pkh_t_quantile(0.975, 197), 1.9720790337785010, 1e-12));
    assert_true(close_rel(pkh_t_quantile(0.975, 5991), 1.9603600356875475, 1e-12));
    assert_true(close_rel(pkh_t_quantile(0.975, INFINITY), 1.9599639845400536, 1e-14));
    assert_true(close_rel(pkh_t_quantile(0.975, 1e9), 1.9599639845400536, 1e-8));
    assert_true(isnan(pkh_t_quantile(0.975, 0)));
    assert_true(isnan(pkh_t_quantile(1, 10)));
    assert_true(isnan(pkh_t_quantile(0.5, NAN)));
}

/* ---- replication ---- */

static void bootstrap_factors(void **state)
{
    (void)state;
    pkh_table *t = load("apistrat");
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    spec.strata = "stype";
    pkh_design *d = NULL;
    assert_int_equal(pkh_design_new(t, &spec, &d, NULL), PKH_OK);
    const int64_t n = pkh_table_num_rows(t);
    double *f = malloc(sizeof(double) * (size_t)n), *g = malloc(sizeof(double) * (size_t)n);
    double *mean = calloc((size_t)n, sizeof(double));
    const pkh_column *st = NULL;
    pkh_table_column(t, "stype", &st, NULL);
    const int R = 2000;
    for (int r = 0; r < R; r++) {
        assert_int_equal(pkh_design_bootstrap_factors(d, 42, r, f, NULL), PKH_OK);
        /* Rao-Wu without fpc: factor n_h / (n_h - 1) x times drawn; n_h - 1 draws a stratum */
        double per[3] = {0, 0, 0};
        for (int64_t i = 0; i < n; i++) {
            const int h = pkh_column_codes(st)[i];
            per[h] += f[i];
            mean[i] += f[i] / R;
            assert_true(f[i] >= 0);
        }
        /* each stratum's factors add up to its number of PSUs */
        for (int h = 0; h < 3; h++) {
            assert_true(fabs(per[h] - 100) < 1e-9 || fabs(per[h] - 50) < 1e-9);
        }
    }
    /* E[factor] = 1: over 2000 replicates the mean factor is 1 within ~4 sd (sd of one factor
     * ~ 1 (Poisson-like counts x n/(n-1)), so sd of the mean ~ 1/sqrt(2000) = 0.022) */
    for (int64_t i = 0; i < n; i++) {
        assert_true(fabs(mean[i] - 1) < 0.1);
    }
    /* the same (seed, replicate) gives the same factors; another seed others */
    assert_int_equal(pkh_design_bootstrap_factors(d, 42, 7, f, NULL), PKH_OK);
    assert_int_equal(pkh_design_bootstrap_factors(d, 42, 7, g, NULL), PKH_OK);
    assert_memory_equal(f, g, sizeof(double) * (size_t)n);
    assert_int_equal(pkh_design_bootstrap_factors(d, 43, 7, g, NULL), PKH_OK);
    assert_memory_not_equal(f, g, sizeof(double) * (size_t)n);
    /* with fpc: lambda = sqrt(1 - f); an undrawn PSU gets 1 - lambda */
    pkh_design_free(d);
    spec.fpc = "fpc";
    assert_int_equal(pkh_design_new(t, &spec, &d, NULL), PKH_OK);
    assert_int_equal(pkh_design_bootstrap_factors(d, 1, 0, f, NULL), PKH_OK);
    const double *fpc = numbers(t, "fpc");
    for (int64_t i = 0; i < n; i++) {
        const int h = pkh_column_codes(st)[i];
        const double nh = h == 0 ? 100 : 50, lam = sqrt(1 - nh / fpc[i]);
        const double draws = (f[i] - (1 - lam)) / (lam * nh / (nh - 1));
        assert_true(fabs(draws - round(draws)) < 1e-9 && draws >= -1e-9);
    }
    free((void *)fpc);
    free(f);
    free(g);
    free(mean);
    pkh_design_free(d);
    pkh_table_free(t);
}

static void replicate_variances(void **state)
{
    (void)state;
    const double est_r[] = {1, 2, 3, 6};
    double v;
    /* deviations from 2: -1, 0, 1, 4; squares 1 0 1 16 = 18 */
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_BOOTSTRAP, 0, NULL, &v, NULL),
                     PKH_OK);
    assert_true(v == 18.0 / 4);
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_JK1, 0, NULL, &v, NULL), PKH_OK);
    assert_true(v == 18.0 * 3 / 4);
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_BRR, 0, NULL, &v, NULL), PKH_OK);
    assert_true(v == 18.0 / 4);
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_FAY, 0.5, NULL, &v, NULL), PKH_OK);
    assert_true(v == 18.0 / (4 * 0.25));
    const double scales[] = {0.5, 0.5, 2.0 / 3, 2.0 / 3};
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_JKN, 0, scales, &v, NULL), PKH_OK);
    assert_true(close_rel(v, 0.5 * 1 + 0.5 * 0 + 2.0 / 3 * 1 + 2.0 / 3 * 16, 1e-15));
    pkh_error err;
    assert_int_equal(pkh_replicate_variance(est_r, 4, 2, PKH_REP_JKN, 0, NULL, &v, &err),
                     PKH_EINVAL);
    pkh_rep_type type;
    double rho;
    assert_int_equal(pkh_rep_type_parse("fay:0.3", &type, &rho, NULL), PKH_OK);
    assert_true(type == PKH_REP_FAY && rho == 0.3);
    assert_int_equal(pkh_rep_type_parse("fay:1", &type, &rho, &err), PKH_EINVAL);
    assert_int_equal(pkh_rep_type_parse("jk2", &type, &rho, &err), PKH_EINVAL);
    /* jkn scales from which stratum each replicate zeroes */
    pkh_table *t = table_of("s,p\na,1\na,2\nb,1\nb,2\nb,3\n");
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    spec.strata = "s";
    spec.psu = "p";
    pkh_design *d = NULL;
    assert_int_equal(pkh_design_new(t, &spec, &d, NULL), PKH_OK);
    const double repw[] = {0, 2, 1,   1, 1,    /* deletes a PSU of a */
                           1, 1, 1.5, 0, 1.5}; /* of b */
    double sc[2];
    assert_int_equal(pkh_design_jkn_scales(d, repw, 2, sc, NULL), PKH_OK);
    assert_true(sc[0] == 0.5 && close_rel(sc[1], 2.0 / 3, 1e-15));
    const double bad[] = {0, 2, 0, 1, 1};
    assert_int_equal(pkh_design_jkn_scales(d, bad, 1, sc, &err), PKH_EINVAL);
    assert_string_equal(err.message,
                        "jkn replicate 1 sets weights of several strata to 0: a jkn "
                        "replicate deletes one PSU");
    pkh_design_free(d);
    pkh_table_free(t);
}

/* Every allocation of the design and of its variance entry points can fail: a clean PKH_ENOMEM,
 * nothing leaked, and the same numbers once enough memory is there. */
static void survives_every_allocation_failure(void **state)
{
    (void)state;
    pkh_table *t = load("apistrat");
    const int64_t n = pkh_table_num_rows(t);
    double *z = numbers(t, "api00");
    double *f = malloc(sizeof(double) * (size_t)n);
    int64_t rows[50];
    for (int i = 0; i < 50; i++) {
        rows[i] = 3 * i;
    }
    double want[4] = {0};
    for (long budget = 0;; budget++) {
        test_alloc a;
        test_alloc_init(&a, budget);
        pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
        spec.strata = "stype";
        spec.psu = "snum";
        spec.fpc = "fpc";
        spec.allocator = &a.base;
        pkh_design *d = NULL;
        double got[4] = {0};
        pkh_status st = pkh_design_new(t, &spec, &d, NULL);
        if (st == PKH_OK) {
            st = pkh_design_variance(d, z, &got[0], NULL);
        }
        if (st == PKH_OK) {
            st = pkh_design_variance_rows(d, rows, z, 50, 1, &got[1], NULL);
        }
        if (st == PKH_OK) {
            st = pkh_design_bootstrap_factors(d, 1, 0, f, NULL);
            got[2] = f[0] + f[n - 1];
        }
        pkh_design_free(d);
        assert_int_equal(a.live_bytes, 0);
        if (st == PKH_OK) {
            assert_true(budget > 0);
            if (want[0] == 0) {
                memcpy(want, got, sizeof want);
            }
            assert_memory_equal(got, want, sizeof want);
            break;
        }
        assert_int_equal(st, PKH_ENOMEM);
    }
    free(z);
    free(f);
    pkh_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_r_survey),
        cmocka_unit_test(dense_sparse_and_covariance_agree),
        cmocka_unit_test(errors_name_the_stratum_and_the_column),
        cmocka_unit_test(t_quantiles),
        cmocka_unit_test(bootstrap_factors),
        cmocka_unit_test(replicate_variances),
        cmocka_unit_test(survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
