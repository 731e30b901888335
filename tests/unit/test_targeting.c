/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Targeting metrics against independent values: hand computations on a small file
 * (tests/data/targeting/small.csv, derivations in the comments), the weighted AUC by all pairs,
 * finite differences of the influence values, and R (survey's svyratio, svytotal, svycontrast,
 * svyby; tests/data/r/ref_targeting.csv made by scripts/r/ref_targeting.R) for the estimates
 * and their linearised standard errors; the curves; errors; thread independence.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/targeting.h"
#include "testutil.h"

/* ---- helpers ---- */

/* synth2k.csv with R's score, score_tied and benefit columns beside it. */
static pkh_table *load_synth(void)
{
    pkh_table *d = test_load("targeting/synth2k.csv"), *s = test_load("r/ref_targeting_scores.csv");
    pkh_table *sel = NULL, *out = NULL;
    const char *cols[] = {"score", "score_tied", "benefit"};
    assert_int_equal(pkh_table_select(s, cols, 3, &sel, NULL), PKH_OK);
    assert_int_equal(pkh_table_concat_columns(d, sel, &out, NULL), PKH_OK);
    pkh_table_free(d);
    pkh_table_free(s);
    pkh_table_free(sel);
    return out;
}

/* The value in column `col` of the results row (group text, indicator); group "" = total. */
static double get(const pkh_table *res, const char *group, const char *ind, const char *col)
{
    const pkh_column *ic = NULL, *vc = NULL;
    assert_int_equal(pkh_table_column(res, "indicator", &ic, NULL), PKH_OK);
    assert_int_equal(pkh_table_column(res, col, &vc, NULL), PKH_OK);
    const bool by = strcmp(pkh_column_name(pkh_table_column_at(res, 0)), "indicator") != 0;
    for (int64_t i = 0; i < pkh_table_num_rows(res); i++) {
        char name[64], g[64] = "";
        test_cell_text(ic, i, name, sizeof name);
        if (by) {
            test_cell_text(pkh_table_column_at(res, 0), i, g, sizeof g);
        }
        if (strcmp(name, ind) == 0 && strcmp(g, group) == 0) {
            double v = NAN;
            pkh_column_get_double(vc, i, &v);
            return v;
        }
    }
    fail_msg("no result %s / %s", group, ind);
    return NAN;
}

static double est(const pkh_table *res, const char *ind)
{
    return get(res, "", ind, "estimate");
}

static pkh_targeting_options small_options(void)
{
    pkh_targeting_options o = PKH_TARGETING_OPTIONS_INIT;
    o.income = "y";
    o.weight = "w";
    o.size = "size";
    o.recipient = "rec";
    o.benchmark.kind = PKH_BENCHMARK_LINE;
    o.benchmark.value = 100;
    return o;
}

static pkh_table *run(const pkh_table *t, const pkh_targeting_options *o, pkh_targeting_info *info)
{
    pkh_table *res = NULL;
    pkh_error err;
    if (pkh_targeting_compute(t, o, &res, NULL, info, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return res;
}

/* ---- hand computations on small.csv ----
 *
 *  id   y   w size p=w*size rec  poor(y<100) quintile (gt bounds 80 120 150 300)
 *   1  50   1   2    2      1    yes         Q1
 *   2  80   2   1    2      0    yes         Q2
 *   3  90   1   1    1      1    yes         Q2
 *   4 120   1   3    3      1    no          Q3
 *   5 150   2   1    2      0    no          Q4
 *   6 200   1   2    2      0    no          Q4
 *   7 300   1   1    1      1    no          Q5
 *   8 400   3   1    3      0    no          Q5
 *   9   .                                    (missing welfare: left out)
 * Persons 16; cumulative person shares by y: .125 .25 .3125 .5 .625 .75 .8125 1, so the first
 * share > .2 is at y=80, > .4 at 120, > .6 at 150, > .8 at 300.
 * Poor persons 5, of whom 3 receive; recipients 7, of whom 4 are not poor; non-poor 11.
 */
static void small_by_hand(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    pkh_targeting_info info;
    pkh_table *r = run(t, &o, &info);
    assert_near(est(r, "coverage_poor"), 3.0 / 5, 1e-15);
    assert_near(est(r, "exclusion_error"), 2.0 / 5, 1e-15);
    assert_near(est(r, "leakage"), 4.0 / 7, 1e-15);
    assert_near(est(r, "inclusion_error_nonpoor"), 4.0 / 11, 1e-15);
    assert_near(est(r, "targeting_differential"), 3.0 / 5 - 4.0 / 11, 1e-15);
    assert_near(est(r, "coverage"), 7.0 / 16, 1e-15);
    /* bottom 40% = y < 120: recipients' persons 2 (id 1) + 1 (id 3) of 7 */
    assert_near(est(r, "cgh"), 3.0 / 7 / 0.4, 1e-15);
    const double cov[] = {1, 1.0 / 3, 1, 0, 1.0 / 4}, share[] = {2, 1, 3, 0, 1};
    for (int q = 0; q < 5; q++) {
        char n1[32], n2[32];
        snprintf(n1, sizeof n1, "coverage_q%d", q + 1);
        snprintf(n2, sizeof n2, "benefit_share_q%d", q + 1);
        assert_near(est(r, n1), cov[q], 1e-15);
        assert_near(est(r, n2), share[q] / 7, 1e-15);
    }
    assert_near(est(r, "undercoverage_persons"), 2, 1e-15); /* id 2: w 2 x size 1 */
    assert_near(est(r, "undercoverage_families"), 2, 1e-15);
    assert_near(est(r, "leakage_persons"), 4, 1e-15); /* ids 4 (3) and 7 (1) */
    assert_near(est(r, "leakage_families"), 2, 1e-15);
    assert_int_equal((int)get(r, "", "coverage", "n"), 8);
    assert_near(get(r, "", "coverage", "population"), 16, 0);
    assert_int_equal(info.used, 8);
    assert_int_equal(info.missing_income, 1);
    assert_near(info.bounds[0], 80, 0);
    assert_near(info.bounds[1], 120, 0);
    assert_near(info.bounds[2], 150, 0);
    assert_near(info.bounds[3], 300, 0);
    assert_near(info.receiving, 7.0 / 16, 1e-15);
    assert_near(info.benchmark_share, 5.0 / 16, 1e-15);
    assert_true(isnan(info.cutoff));
    assert_int_equal(info.with_se, 0);
    assert_true(isnan(get(r, "", "coverage", "se"))); /* no design: point estimates */
    pkh_table_free(r);
    pkh_table_free(t);
}

/* Benefits w x benefit of recipients: 100 (id 1), 50 (id 3), 200 (id 4), 100 (id 7) = 450;
 * id 2 has a benefit but does not receive: it counts 0. */
static void small_benefit(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    o.benefit = "benefit";
    pkh_table *r = run(t, &o, NULL);
    const double share[] = {100, 50, 200, 0, 100};
    for (int q = 0; q < 5; q++) {
        char n[32];
        snprintf(n, sizeof n, "benefit_share_q%d", q + 1);
        assert_near(est(r, n), share[q] / 450, 1e-15);
    }
    assert_near(est(r, "cgh"), 150.0 / 450 / 0.4, 1e-15);
    assert_near(est(r, "coverage_poor"), 3.0 / 5, 1e-15); /* persons, not money */
    pkh_table_free(r);
    pkh_table_free(t);
}

/* Scores 1 2 2 2 4 5 5 6. By score the person shares are .125 (id 1), .25 (id 2), .3125 (id 3):
 * the 0.25 quantile (first share > .25) is 2, so only id 1 (score 1 < 2) is eligible: the tied
 * ids 2, 3 and 4 at the cut-off are not. AUC: poor ids 1 (p 2), 2 and 3 (p 3, score 2) against
 * the non-poor (p 11, id 4 tied at 2 with p 3): U = 2 x 11 + 3 x 8 + 1/2 x 3 x 3 = 50.5,
 * AUC = 50.5 / (5 x 11). */
static void small_score(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    o.recipient = NULL;
    o.score = "score";
    o.quota = 0.25;
    pkh_targeting_info info;
    pkh_table *r = run(t, &o, &info);
    assert_near(info.cutoff, 2, 0);
    assert_near(info.receiving, 2.0 / 16, 1e-15);
    assert_near(est(r, "coverage_poor"), 2.0 / 5, 1e-15);
    assert_near(est(r, "leakage"), 0, 1e-15);
    assert_near(est(r, "auc"), 50.5 / 55, 1e-15);
    pkh_table_free(r);
    /* a cut-off of 2.5 takes ids 1-4: the poor 5 of 5, and id 4 (p 3) of 8 leaks */
    o.quota = NAN;
    o.cutoff = 2.5;
    r = run(t, &o, &info);
    assert_near(info.cutoff, 2.5, 0);
    assert_near(est(r, "coverage_poor"), 1, 1e-15);
    assert_near(est(r, "leakage"), 3.0 / 8, 1e-15);
    assert_near(est(r, "auc"), 50.5 / 55, 1e-15);
    pkh_table_free(r);
    pkh_table_free(t);
}

/* Region A: ids 1 (poor, receives, p 2), 2 (poor, p 2), 4 (receives, p 3), 5 (p 2).
 * Region B: ids 3 (poor, receives, p 1), 6 (p 2), 7 (receives, p 1), 8 (p 3).
 * The quintile bounds stay the whole population's. */
static void small_domains(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    const char *by[] = {"region"};
    o.by = by;
    o.n_by = 1;
    pkh_table *r = run(t, &o, NULL);
    assert_near(get(r, "", "coverage_poor", "estimate"), 3.0 / 5, 1e-15);
    assert_near(get(r, "A", "coverage_poor", "estimate"), 2.0 / 4, 1e-15);
    assert_near(get(r, "B", "coverage_poor", "estimate"), 1, 1e-15);
    assert_near(get(r, "A", "leakage", "estimate"), 3.0 / 5, 1e-15);
    assert_near(get(r, "B", "leakage", "estimate"), 1.0 / 2, 1e-15);
    assert_near(get(r, "B", "coverage_q3", "estimate"), NAN, 0); /* none in Q3 */
    assert_near(get(r, "A", "coverage_q3", "estimate"), 1, 1e-15);
    assert_int_equal((int)get(r, "B", "coverage", "n"), 4);
    assert_near(get(r, "A", "coverage", "population"), 9, 0);
    /* the whole population first, then A, B */
    char g[16];
    test_cell_text(pkh_table_column_at(r, 0), 0, g, sizeof g);
    assert_string_equal(g, "");
    pkh_table_free(r);
    pkh_table_free(t);
}

/* share:0.3: the first person share > .3 is at y = 90, so the benchmark is y < 90: ids 1, 2. */
static void small_share_benchmark(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    assert_int_equal(pkh_benchmark_parse("share:0.3", &o.benchmark, NULL), PKH_OK);
    pkh_targeting_info info;
    pkh_table *r = run(t, &o, &info);
    assert_near(info.line, 90, 0);
    assert_near(est(r, "coverage_poor"), 2.0 / 4, 1e-15);
    assert_near(est(r, "leakage"), 5.0 / 7, 1e-15);
    pkh_table_free(r);
    /* a column of lines: the same as line:100 */
    assert_int_equal(pkh_benchmark_parse("line:line", &o.benchmark, NULL), PKH_OK);
    assert_int_equal(o.benchmark.kind, PKH_BENCHMARK_LINE_COLUMN);
    r = run(t, &o, &info);
    assert_near(est(r, "coverage_poor"), 3.0 / 5, 1e-15);
    assert_near(info.line, 100, 1e-12);
    pkh_table_free(r);
    pkh_table_free(t);
}

/* Deciles: Q bounds at shares .1 .. .9; D1 is y < the first bound. */
static void small_deciles(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    o.groups = 10;
    pkh_targeting_info info;
    pkh_table *r = run(t, &o, &info);
    /* shares .125 .25 .3125 .5 .625 .75 .8125 1: > .1 at 50, > .2 at 80, > .3 at 90,
     * > .4 at 120, > .5 at 150, > .6 at 150, > .7 at 200, > .8 at 300, > .9 at 400 */
    const double bounds[] = {50, 80, 90, 120, 150, 150, 200, 300, 400};
    for (int j = 0; j < 9; j++) {
        assert_near(info.bounds[j], bounds[j], 0);
    }
    assert_true(isnan(est(r, "coverage_d1")));               /* nobody below 50 */
    assert_near(est(r, "coverage_d2"), 1, 1e-15);            /* id 1 */
    assert_near(est(r, "benefit_share_d4"), 1.0 / 7, 1e-15); /* id 3 */
    assert_true(isnan(est(r, "coverage_d6")));               /* [150, 150) is empty */
    assert_near(est(r, "coverage_d10"), 0, 1e-15);           /* id 8 */
    assert_near(est(r, "cgh"), 3.0 / 7 / 0.4, 1e-15);        /* D1-D4 = y < 120 */
    pkh_table_free(r);
    pkh_table_free(t);
}

/* ---- the AUC ---- */

static double auc_pairs(const double *s, const uint8_t *b, const double *w, int64_t n)
{
    double u = 0, P = 0, N = 0;
    for (int64_t i = 0; i < n; i++) {
        if (b[i]) {
            P += w[i];
        } else {
            N += w[i];
        }
        for (int64_t j = 0; b[i] && j < n; j++) {
            if (!b[j]) {
                u += w[i] * w[j] * (s[i] < s[j] ? 1 : s[i] == s[j] ? 0.5 : 0);
            }
        }
    }
    return u / (P * N);
}

static void auc_equals_all_pairs(void **state)
{
    (void)state;
    pkh_table *t = test_load("r/auc.csv");
    const int64_t n = pkh_table_num_rows(t);
    double *s = malloc(n * sizeof *s), *se = malloc(n * sizeof *se), *w = malloc(n * 8);
    uint8_t *b = malloc(n);
    const pkh_column *cs, *ce, *cw, *cb;
    pkh_table_column(t, "score", &cs, NULL);
    pkh_table_column(t, "score_exact", &ce, NULL);
    pkh_table_column(t, "weight", &cw, NULL);
    pkh_table_column(t, "poor", &cb, NULL);
    for (int64_t i = 0; i < n; i++) {
        double v;
        pkh_column_get_double(cs, i, &s[i]);
        pkh_column_get_double(ce, i, &se[i]);
        pkh_column_get_double(cw, i, &w[i]);
        pkh_column_get_double(cb, i, &v);
        b[i] = v != 0;
    }
    double a;
    assert_int_equal(pkh_weighted_auc(s, b, w, n, &a, NULL), PKH_OK);
    assert_near(a, auc_pairs(s, b, w, n), 1e-13);
    assert_near(a, 0.60070261701436101, 1e-14); /* R: ref_regression.csv, weighted */
    assert_int_equal(pkh_weighted_auc(se, b, w, n, &a, NULL), PKH_OK);
    assert_near(a, auc_pairs(se, b, w, n), 1e-13);
    assert_near(a, 0.614467487653931, 1e-14);
    assert_int_equal(pkh_weighted_auc(s, b, NULL, n, &a, NULL), PKH_OK);
    assert_near(a, 0.59965140040870302, 1e-14); /* unweighted: Mann-Whitney in R */
    double *ones = calloc(n, 8);
    for (int64_t i = 0; i < n; i++) {
        ones[i] = 1;
    }
    assert_near(a, auc_pairs(s, b, ones, n), 1e-13);
    /* random data with heavy ties */
    for (int64_t i = 0; i < n; i++) {
        s[i] = (double)((i * 7919) % 13);
        b[i] = (i * 104729) % 5 < 2;
        w[i] = 1 + (double)((i * 31) % 17) / 4;
    }
    assert_int_equal(pkh_weighted_auc(s, b, w, n, &a, NULL), PKH_OK);
    assert_near(a, auc_pairs(s, b, w, n), 1e-13);
    /* one group empty: an error, not a NaN */
    memset(b, 0, n);
    pkh_error err;
    assert_int_equal(pkh_weighted_auc(s, b, w, n, &a, &err), PKH_EEMPTY);
    free(s);
    free(se);
    free(w);
    free(b);
    free(ones);
    pkh_table_free(t);
}

/* ---- influence values by finite differences ----
 * z_k = w_k d(estimate)/d(w_k): scale row k's weight by (1 + h) and (1 - h); the central
 * difference of the estimate over 2h is z_k (exact for ratios up to O(h^2)). */
static void influence_by_finite_differences(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    const char *inds[] = {
        "coverage_poor",         "leakage", "targeting_differential", "cgh", "benefit_share_q3",
        "undercoverage_persons", "auc"};
    const int64_t nrow = pkh_table_num_rows(t);
    double *z = calloc(nrow, sizeof *z);
    for (int k = 0; k < 7; k++) {
        for (int64_t g = -1; g < 2; g++) {
            pkh_targeting_options o = small_options();
            o.recipient = NULL;
            o.score = "score";
            o.cutoff = 2.5;
            o.benefit = "benefit";
            const char *by[] = {"region"};
            o.by = by;
            o.n_by = 1;
            double e0;
            assert_int_equal(pkh__targeting_influence(t, &o, inds[k], g, z, &e0, NULL), PKH_OK);
            for (int64_t r = 0; r < 8; r++) {
                /* rebuild the table with row r's weight scaled */
                double ep[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    const double h = sgn == 0 ? 1e-6 : -1e-6;
                    pkh_table_builder *b = NULL;
                    pkh_table_builder_new(NULL, &b, NULL);
                    double w[9];
                    const pkh_column *wc;
                    pkh_table_column(t, "w", &wc, NULL);
                    for (int64_t i = 0; i < nrow; i++) {
                        pkh_column_get_double(wc, i, &w[i]);
                    }
                    w[r] *= 1 + h;
                    for (int64_t c = 0; c < pkh_table_num_columns(t); c++) {
                        const pkh_column *col = pkh_table_column_at(t, c);
                        if (strcmp(pkh_column_name(col), "w") == 0) {
                            pkh_table_builder_add_float64(b, "w", w, NULL, nrow, NULL);
                        } else {
                            pkh_table_builder_add_column(b, NULL, col, NULL);
                        }
                    }
                    pkh_table *t2 = NULL;
                    assert_int_equal(pkh_table_builder_finish(b, &t2, NULL), PKH_OK);
                    pkh_table_builder_free(b);
                    double zz[9];
                    assert_int_equal(
                        pkh__targeting_influence(t2, &o, inds[k], g, zz, &ep[sgn], NULL), PKH_OK);
                    pkh_table_free(t2);
                }
                const double fd = (ep[0] - ep[1]) / 2e-6;
                if (fabs(fd - z[r]) > 1e-6 * (1 + fabs(z[r]))) {
                    fail_msg("%s group %lld row %lld: z %.12g, finite difference %.12g", inds[k],
                             (long long)g, (long long)r, z[r], fd);
                }
            }
            assert_near(z[8], 0, 0); /* the row with a missing welfare */
        }
    }
    free(z);
    pkh_table_free(t);
}

/* ---- R references on synth2k ---- */

/* The ultimate-cluster variance of sum z: PSUs (nested in strata) with replacement. Written
 * here from the textbook formula, independently of the library. */
static double design_var(const pkh_table *t, const double *z)
{
    const pkh_column *sc, *pc;
    pkh_table_column(t, "prov_code", &sc, NULL);
    pkh_table_column(t, "psu", &pc, NULL);
    const int64_t n = pkh_table_num_rows(t);
    double tot[4096] = {0}, strat[4096];
    int64_t npsu = 0;
    double psu_id[4096];
    for (int64_t i = 0; i < n; i++) {
        double s, p;
        pkh_column_get_double(sc, i, &s);
        pkh_column_get_double(pc, i, &p);
        int64_t j = 0;
        while (j < npsu && psu_id[j] != p) {
            j++;
        }
        if (j == npsu) {
            psu_id[npsu] = p;
            strat[npsu++] = s;
        }
        tot[j] += z[i];
    }
    double var = 0;
    for (int64_t a = 0; a < npsu; a++) {
        bool first = true;
        for (int64_t b = 0; b < a; b++) {
            first = first && strat[b] != strat[a];
        }
        if (!first) {
            continue;
        }
        double sum = 0, nh = 0;
        for (int64_t b = 0; b < npsu; b++) {
            if (strat[b] == strat[a]) {
                sum += tot[b];
                nh++;
            }
        }
        double ss = 0;
        for (int64_t b = 0; b < npsu; b++) {
            if (strat[b] == strat[a]) {
                ss += (tot[b] - sum / nh) * (tot[b] - sum / nh);
            }
        }
        var += nh / (nh - 1) * ss;
    }
    return var;
}

typedef struct setting {
    const char *label;
    pkh_targeting_options o;
} setting;

static void settings(setting *s)
{
    static const char *by[] = {"urban"};
    for (int i = 0; i < 3; i++) {
        pkh_targeting_options o = PKH_TARGETING_OPTIONS_INIT;
        o.income = "pcexp";
        o.weight = "weight";
        o.size = "hhsize";
        o.by = by;
        o.n_by = 1;
        s[i].o = o;
    }
    s[0].label = "recipient=pkh;benchmark=line:povline;groups=5";
    s[0].o.recipient = "pkh";
    pkh_benchmark_parse("line:povline", &s[0].o.benchmark, NULL);
    s[1].label = "recipient=pkh;benchmark=line:600000;groups=10";
    s[1].o.recipient = "pkh";
    s[1].o.groups = 10;
    pkh_benchmark_parse("line:600000", &s[1].o.benchmark, NULL);
    s[2].label = "score=score_tied;quota=0.2;benchmark=share:0.25;benefit=benefit;groups=5";
    s[2].o.score = "score_tied";
    s[2].o.quota = 0.2;
    s[2].o.benefit = "benefit";
    pkh_benchmark_parse("share:0.25", &s[2].o.benchmark, NULL);
}

static void synth_matches_r_survey(void **state)
{
    (void)state;
    pkh_table *d = load_synth();
    pkh_table *ref = test_load("r/ref_targeting.csv");
    setting set[3];
    settings(set);
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    spec.strata = "prov_code";
    spec.psu = "psu";
    pkh_design *des = NULL;
    assert_int_equal(pkh_design_new(d, &spec, &des, NULL), PKH_OK);
    pkh_table *res[3];
    pkh_targeting_info info[3];
    for (int i = 0; i < 3; i++) {
        set[i].o.design = des;
        res[i] = run(d, &set[i].o, &info[i]);
        set[i].o.design = NULL;
        assert_int_equal(info[i].with_se, 1);
        assert_int_equal(info[i].df, 172);
    }
    const pkh_column *c[10];
    const char *names[] = {"dataset",  "param", "by",     "group",  "indicator",
                           "estimate", "se",    "source", "ci_low", "ci_high"};
    for (int j = 0; j < 10; j++) {
        assert_int_equal(pkh_table_column(ref, names[j], &c[j], NULL), PKH_OK);
    }
    double *z = malloc(pkh_table_num_rows(d) * sizeof *z);
    int checked = 0, with_se = 0;
    for (int64_t r = 0; r < pkh_table_num_rows(ref); r++) {
        char ds[64], param[128], by[16], group[16], ind[64];
        test_cell_text(c[0], r, ds, sizeof ds);
        test_cell_text(c[1], r, param, sizeof param);
        test_cell_text(c[2], r, by, sizeof by);
        test_cell_text(c[3], r, group, sizeof group);
        test_cell_text(c[4], r, ind, sizeof ind);
        int k = 0;
        while (k < 3 && strcmp(param, set[k].label) != 0) {
            k++;
        }
        if (strcmp(ds, "targeting_synth2k") != 0 || k == 3) {
            continue;
        }
        double want, want_se = NAN;
        pkh_column_get_double(c[5], r, &want);
        pkh_column_get_double(c[6], r, &want_se);
        if (strcmp(ind, "cutoff") == 0 || strcmp(ind, "line") == 0) {
            assert_near(ind[0] == 'c' ? info[k].cutoff : info[k].line, want, 0);
            continue;
        }
        const double got = get(res[k], group, ind, "estimate");
        if (fabs(got - want) > 1e-11 * (1 + fabs(want))) {
            fail_msg("%s %s %s: pkh %.17g, R %.17g", param, group, ind, got, want);
        }
        int64_t g = -1;
        if (group[0] != '\0') {
            g = atoi(group); /* urban 0 and 1 are groups 0 and 1 */
        }
        double e;
        assert_int_equal(pkh__targeting_influence(d, &set[k].o, ind, g, z, &e, NULL), PKH_OK);
        assert_near(e, got, 0);
        const double se = sqrt(design_var(d, z));
        if (fabs(se - want_se) > 1e-9 * want_se) {
            fail_msg("%s %s %s: se (influence) pkh %.17g, R %.17g", param, group, ind, se, want_se);
        }
        /* the library's own SE and t interval, through the design's variance engine */
        const double lse = get(res[k], group, ind, "se");
        if (fabs(lse - want_se) > 1e-9 * want_se) {
            fail_msg("%s %s %s: se pkh %.17g, R %.17g", param, group, ind, lse, want_se);
        }
        double lo, hi;
        pkh_column_get_double(c[8], r, &lo);
        pkh_column_get_double(c[9], r, &hi);
        assert_near(get(res[k], group, ind, "ci_low"), lo, 1e-9 * (1 + fabs(lo)));
        assert_near(get(res[k], group, ind, "ci_high"), hi, 1e-9 * (1 + fabs(hi)));
        checked++;
        with_se++;
    }
    assert_true(checked >= 80);
    print_message("synth2k: %d estimates and linearised SEs equal R survey's\n", with_se);
    pkh_design_free(des);
    free(z);
    for (int i = 0; i < 3; i++) {
        pkh_table_free(res[i]);
    }
    pkh_table_free(ref);
    pkh_table_free(d);
}

/* ---- curves ---- */

static void curves_on_small(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    o.recipient = NULL;
    o.score = "score";
    o.quota = 0.25;
    pkh_table *res = NULL, *cur = NULL;
    assert_int_equal(pkh_targeting_compute(t, &o, &res, &cur, NULL, NULL), PKH_OK);
    /* roc: cut-offs 1 (nobody), 2, 4, 5, 6, then everyone (missing cut-off) */
    const double cut[] = {1, 2, 4, 5, 6, NAN};
    const double tp[] = {0, 2, 5, 5, 5, 5}, fp[] = {0, 0, 3, 5, 8, 11};
    const pkh_column *cc[5];
    const char *names[] = {"curve", "cutoff", "tpr", "fpr", "precision"};
    for (int j = 0; j < 5; j++) {
        assert_int_equal(pkh_table_column(cur, names[j], &cc[j], NULL), PKH_OK);
    }
    assert_int_equal(pkh_table_num_rows(cur), 6 + 10);
    for (int64_t i = 0; i < 6; i++) {
        char kind[8];
        test_cell_text(cc[0], i, kind, sizeof kind);
        assert_string_equal(kind, "roc");
        double v;
        if (isnan(cut[i])) {
            assert_false(pkh_column_is_valid(cc[1], i));
        } else {
            pkh_column_get_double(cc[1], i, &v);
            assert_near(v, cut[i], 0);
        }
        pkh_column_get_double(cc[2], i, &v);
        assert_near(v, tp[i] / 5, 1e-15);
        pkh_column_get_double(cc[3], i, &v);
        assert_near(v, fp[i] / 11, 1e-15);
        if (i > 0) {
            pkh_column_get_double(cc[4], i, &v);
            assert_near(v, tp[i] / (tp[i] + fp[i]), 1e-15);
        } else {
            assert_false(pkh_column_is_valid(cc[4], i)); /* 0 / 0 */
        }
    }
    /* quota 0.25 (row 6 + 4): cut-off 2, eligible id 1 only */
    double v;
    pkh_column_get_double(cc[1], 10, &v);
    assert_near(v, 2, 0);
    pkh_column_get_double(cc[2], 10, &v);
    assert_near(v, 2.0 / 5, 1e-15);
    pkh_table_free(res);
    pkh_table_free(cur);
    /* no curve without a score */
    o = small_options();
    cur = (pkh_table *)1;
    assert_int_equal(pkh_targeting_compute(t, &o, &res, &cur, NULL, NULL), PKH_OK);
    assert_null(cur);
    pkh_table_free(res);
    pkh_table_free(t);
}

/* ---- errors ---- */

static void expect_error(const pkh_table *t, const pkh_targeting_options *o, pkh_status code,
                         const char *text)
{
    pkh_table *r = NULL;
    pkh_error err;
    const pkh_status st = pkh_targeting_compute(t, o, &r, NULL, NULL, &err);
    assert_null(r);
    if (st != code || strstr(err.message, text) == NULL) {
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, text, st, err.message);
    }
}

static void errors(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/small.csv");
    pkh_targeting_options o = small_options();
    o.recipient = NULL;
    o.score = "score";
    o.quota = 1.5;
    expect_error(t, &o, PKH_EINVAL, "between 0 and 1");
    o.quota = 0;
    expect_error(t, &o, PKH_EINVAL, "between 0 and 1");
    o.quota = NAN;
    expect_error(t, &o, PKH_EINVAL, "exactly one of a quota");
    o.recipient = "rec";
    o.quota = 0.2;
    expect_error(t, &o, PKH_EINVAL, "either a recipient column or a score");
    o = small_options();
    o.benchmark.kind = PKH_BENCHMARK_NONE;
    expect_error(t, &o, PKH_EINVAL, "benchmark");
    o = small_options();
    o.recipient = "region";
    expect_error(t, &o, PKH_ETYPE, "the recipient column \"region\" holds text");
    o.recipient = "nope";
    expect_error(t, &o, PKH_ENOTFOUND, "nope");
    o = small_options();
    o.groups = 4;
    expect_error(t, &o, PKH_EINVAL, "quintiles");
    pkh_benchmark b;
    pkh_error err;
    assert_int_equal(pkh_benchmark_parse("share:1", &b, &err), PKH_EINVAL);
    assert_int_equal(pkh_benchmark_parse("line:-3", &b, &err), PKH_EINVAL);
    assert_int_equal(pkh_benchmark_parse("poor", &b, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "line:NUMBER"));
    pkh_table_free(t);
    /* a score with a missing value names the row */
    const char csv[] = "y,s,rec\n1,0.5,1\n2,,0\n3,0.7,1\n";
    assert_int_equal(pkh_csv_read_memory(csv, sizeof csv - 1, "m.csv", NULL, &t, NULL, NULL),
                     PKH_OK);
    o = (pkh_targeting_options)PKH_TARGETING_OPTIONS_INIT;
    o.income = "y";
    o.score = "s";
    o.quota = 0.5;
    assert_int_equal(pkh_benchmark_parse("line:2", &o.benchmark, NULL), PKH_OK);
    expect_error(t, &o, PKH_EINVAL, "missing score in column \"s\" at data row 2");
    o.score = NULL;
    o.quota = NAN;
    o.recipient = "rec";
    pkh_table *r = run(t, &o, NULL);
    assert_near(est(r, "coverage_poor"), 1, 0);
    pkh_table_free(r);
    pkh_table_free(t);
}

/* ---- results do not depend on the number of threads ---- */

static void threads_do_not_change_results(void **state)
{
    (void)state;
    pkh_table *d = load_synth();
    setting set[3];
    settings(set);
    for (int k = 0; k < 3; k++) {
        pkh_table *r[2], *c[2];
        for (int th = 0; th < 2; th++) {
            set[k].o.threads = th + 1;
            assert_int_equal(pkh_targeting_compute(d, &set[k].o, &r[th], &c[th], NULL, NULL),
                             PKH_OK);
        }
        const pkh_column *e0, *e1;
        pkh_table_column(r[0], "estimate", &e0, NULL);
        pkh_table_column(r[1], "estimate", &e1, NULL);
        assert_int_equal(pkh_table_num_rows(r[0]), pkh_table_num_rows(r[1]));
        for (int64_t i = 0; i < pkh_table_num_rows(r[0]); i++) {
            if (pkh_column_is_valid(e0, i)) {
                assert_memory_equal(&pkh_column_float64(e0)[i], &pkh_column_float64(e1)[i], 8);
            }
        }
        for (int th = 0; th < 2; th++) {
            pkh_table_free(r[th]);
            pkh_table_free(c[th]);
        }
    }
    pkh_table_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_by_hand),
        cmocka_unit_test(small_benefit),
        cmocka_unit_test(small_score),
        cmocka_unit_test(small_domains),
        cmocka_unit_test(small_share_benchmark),
        cmocka_unit_test(small_deciles),
        cmocka_unit_test(auc_equals_all_pairs),
        cmocka_unit_test(influence_by_finite_differences),
        cmocka_unit_test(synth_matches_r_survey),
        cmocka_unit_test(curves_on_small),
        cmocka_unit_test(errors),
        cmocka_unit_test(threads_do_not_change_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
