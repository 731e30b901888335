/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The proxy-means test against independent values: R's lm (coefficients, model-based SEs, R²,
 * adjusted R², sigma) at 1e-8 and survey's svyglm (design-based SEs, df) at 1e-6 on apistrat,
 * eusilc and synth2k (tests/data/r/ref_regression.csv and ref_targeting.csv); leave-one-out
 * cross-validation against R's hat values; k-fold predictions against GSL's SVD least squares
 * on the training rows; in-sample targeting at a quota against R; errors; determinism.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multifit.h>

#include "internal/targeting.h"
#include "testutil.h"

/* Value in column `col` of the results row (group, indicator or term). */
static double res_get(const pkh_table *res, const char *group, const char *name, const char *col)
{
    const pkh_column *ic, *tc, *vc;
    assert_int_equal(pkh_table_column(res, "indicator", &ic, NULL), PKH_OK);
    assert_int_equal(pkh_table_column(res, "term", &tc, NULL), PKH_OK);
    assert_int_equal(pkh_table_column(res, col, &vc, NULL), PKH_OK);
    const bool by = strcmp(pkh_column_name(pkh_table_column_at(res, 0)), "indicator") != 0;
    for (int64_t i = 0; i < pkh_table_num_rows(res); i++) {
        char a[128], b[128], g[64] = "";
        test_cell_text(ic, i, a, sizeof a);
        test_cell_text(tc, i, b, sizeof b);
        if (by) {
            test_cell_text(pkh_table_column_at(res, 0), i, g, sizeof g);
        }
        if ((strcmp(a, name) == 0 || strcmp(b, name) == 0) && strcmp(g, group) == 0) {
            double v = NAN;
            pkh_column_get_double(vc, i, &v);
            return v;
        }
    }
    fail_msg("no result %s / %s", group, name);
    return NAN;
}

/* R's term name -> ours: factor(x)L -> x=L. */
static void our_term(const char *r, char *out, size_t cap)
{
    if (strncmp(r, "factor(", 7) == 0) {
        const char *close = strchr(r, ')');
        snprintf(out, cap, "%.*s=%s", (int)(close - r - 7), r + 7, close + 1);
    } else {
        snprintf(out, cap, "%s", r);
    }
}

/* Compare every reference row of (file, dataset, design label, by group, source). */
static int compare(const pkh_table *res, const char *file, const char *dataset, const char *design,
                   const char *group, const char *source, bool design_se)
{
    pkh_table *ref = test_load(file);
    const pkh_column *c[10];
    const char *names[] = {"dataset",  "design", "group",  "indicator", "param",
                           "estimate", "se",     "ci_low", "df",        "source"};
    for (int j = 0; j < 10; j++) {
        assert_int_equal(pkh_table_column(ref, names[j], &c[j], NULL), PKH_OK);
    }
    int n = 0;
    for (int64_t r = 0; r < pkh_table_num_rows(ref); r++) {
        char ds[64], des[128], grp[32], ind[32], param[128], src[32];
        test_cell_text(c[0], r, ds, sizeof ds);
        test_cell_text(c[1], r, des, sizeof des);
        test_cell_text(c[2], r, grp, sizeof grp);
        test_cell_text(c[3], r, ind, sizeof ind);
        test_cell_text(c[4], r, param, sizeof param);
        test_cell_text(c[9], r, src, sizeof src);
        if (strcmp(ds, dataset) != 0 || strcmp(des, design) != 0 || strcmp(grp, group) != 0 ||
            strcmp(src, source) != 0) {
            continue;
        }
        double want, want_se = NAN, want_lo = NAN, want_df = NAN;
        pkh_column_get_double(c[5], r, &want);
        pkh_column_get_double(c[6], r, &want_se);
        pkh_column_get_double(c[7], r, &want_lo);
        pkh_column_get_double(c[8], r, &want_df);
        char term[128];
        if (strcmp(ind, "coef") == 0) {
            our_term(param, term, sizeof term);
            const double est = res_get(res, group, term, "estimate");
            const double se = res_get(res, group, term, design_se ? "se" : "se_model");
            assert_near(est, want, 1e-8 * (1 + fabs(want)));
            assert_near(se, want_se, (design_se ? 1e-6 : 1e-8) * want_se);
            assert_near(res_get(res, group, term, "df"), want_df, 0);
            assert_near(res_get(res, group, term, "ci_low"), want_lo,
                        (design_se ? 1e-6 : 1e-8) * (1 + fabs(want_lo)));
        } else if (strcmp(ind, "r2") == 0 || strcmp(ind, "sigma") == 0 ||
                   strcmp(ind, "adj_r2") == 0) {
            const char *ours = ind[0] == 'a' ? "r2_adj" : ind;
            assert_near(res_get(res, group, ours, "estimate"), want, 1e-8 * (1 + fabs(want)));
        } else if (strcmp(ind, "n") == 0) {
            assert_near(res_get(res, group, "n", "estimate"), want, 0);
        } else {
            continue;
        }
        n++;
    }
    pkh_table_free(ref);
    return n;
}

static pkh_table *fit(const pkh_table *t, const pkh_pmt_options *o, pkh_pmt_info *info)
{
    pkh_table *res = NULL;
    pkh_error err;
    if (pkh_pmt_fit(t, o, &res, NULL, info, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return res;
}

static pkh_design *design_of(const pkh_table *t, const char *strata, const char *psu,
                             const char *fpc)
{
    pkh_design_spec s = PKH_DESIGN_SPEC_INIT;
    s.strata = strata;
    s.psu = psu;
    s.fpc = fpc;
    pkh_design *d = NULL;
    pkh_error err;
    if (pkh_design_new(t, &s, &d, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return d;
}

/* ---- R's lm and svyglm ---- */

static const char *const api_cov[] = {"ell", "meals", "mobility"};
static const char *const api_cat[] = {"stype"};

static pkh_pmt_options api_options(void)
{
    pkh_pmt_options o = PKH_PMT_OPTIONS_INIT;
    o.target = "api00";
    o.covariates = api_cov;
    o.n_covariates = 3;
    o.categorical = api_cat;
    o.n_categorical = 1;
    o.weight = "pw";
    return o;
}

static void apistrat_equals_lm_and_svyglm(void **state)
{
    (void)state;
    pkh_table *t = test_load("r/apistrat.csv");
    pkh_pmt_options o = api_options();
    pkh_pmt_info info;
    pkh_table *r = fit(t, &o, &info);
    assert_int_equal(compare(r, "r/ref_regression.csv", "apistrat", "weights=pw", "", "lm", false),
                     10);
    assert_int_equal(info.used, 200);
    assert_int_equal(info.terms, 6);
    pkh_table_free(r);
    /* svyglm with and without fpc */
    const char *fpcs[] = {"fpc", NULL};
    const char *labels[] = {"ids=1;strata=stype;weights=pw;fpc=fpc",
                            "ids=1;strata=stype;weights=pw"};
    for (int k = 0; k < 2; k++) {
        pkh_design *d = design_of(t, "stype", NULL, fpcs[k]);
        o.design = d;
        r = fit(t, &o, &info);
        assert_int_equal(info.with_se, 1);
        assert_int_equal(
            compare(r, "r/ref_regression.csv", "apistrat", labels[k], "", "svyglm", true), 7);
        /* the model-based SEs are still there */
        assert_near(res_get(r, "", "ell", "se_model"), 0.29623074811086331, 1e-8 * 0.3);
        pkh_table_free(r);
        pkh_design_free(d);
    }
    pkh_table_free(t);
}

static void eusilc_log_target_equals_lm_and_svyglm(void **state)
{
    (void)state;
    pkh_table *t = test_load("r/eusilc.csv");
    static const char *const cov[] = {"age", "hsize"}, *const cat[] = {"db040"};
    pkh_pmt_options o = PKH_PMT_OPTIONS_INIT;
    o.target = "eqIncome";
    o.log_target = 1;
    o.covariates = cov;
    o.n_covariates = 2;
    o.categorical = cat;
    o.n_categorical = 1;
    o.weight = "rb050";
    pkh_pmt_info info;
    pkh_table *r = fit(t, &o, &info);
    assert_int_equal(compare(r, "r/ref_regression.csv", "eusilc", "weights=rb050", "", "lm", false),
                     15);
    assert_true(info.nonpositive > 0); /* eqIncome <= 0: left out, counted */
    assert_int_equal(info.used + info.nonpositive, pkh_table_num_rows(t));
    pkh_table_free(r);
    pkh_design *d = design_of(t, "db040", "db030", NULL);
    o.design = d;
    r = fit(t, &o, &info);
    assert_int_equal(compare(r, "r/ref_regression.csv", "eusilc",
                             "ids=db030;strata=db040;weights=rb050", "", "svyglm", true),
                     12);
    pkh_table_free(r);
    pkh_design_free(d);
    pkh_table_free(t);
}

static const char *const s_cov[] = {"hhsize", "assets", "n_working"};
static const char *const s_cat[] = {"roof", "floor", "head_educ"};

static pkh_pmt_options synth_options(void)
{
    pkh_pmt_options o = PKH_PMT_OPTIONS_INIT;
    o.target = "pcexp";
    o.log_target = 1;
    o.covariates = s_cov;
    o.n_covariates = 3;
    o.categorical = s_cat;
    o.n_categorical = 3;
    o.weight = "weight";
    return o;
}

static void synth_categoricals_and_model_by(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/synth2k.csv");
    pkh_pmt_options o = synth_options();
    pkh_table *r = fit(t, &o, NULL);
    const int n =
        compare(r, "r/ref_targeting.csv", "targeting_synth2k", "weights=weight", "", "lm", false);
    assert_true(n >= 18);
    pkh_table_free(r);
    pkh_design *d = design_of(t, "prov_code", "psu", NULL);
    o.design = d;
    r = fit(t, &o, NULL);
    assert_true(compare(r, "r/ref_targeting.csv", "targeting_synth2k",
                        "ids=psu;strata=prov_code;weights=weight", "", "svyglm", true) >= 15);
    pkh_table_free(r);
    o.design = NULL;
    o.model_by = "urban";
    pkh_pmt_info info;
    r = fit(t, &o, &info);
    assert_int_equal(info.models, 2);
    for (int u = 0; u < 2; u++) {
        char g[4];
        snprintf(g, sizeof g, "%d", u);
        assert_true(compare(r, "r/ref_targeting.csv", "targeting_synth2k", "weights=weight", g,
                            "lm", false) >= 15);
    }
    pkh_table_free(r);
    pkh_design_free(d);
    pkh_table_free(t);
}

/* ---- cross-validation ---- */

static void leave_one_out_equals_hat_values(void **state)
{
    (void)state;
    pkh_table *t = test_load("r/apistrat.csv");
    pkh_pmt_options o = api_options();
    o.folds = (int)pkh_table_num_rows(t); /* every row its own fold, whatever the seed */
    o.seed = 99;
    pkh_table *r = NULL, *sc = NULL;
    assert_int_equal(pkh_pmt_fit(t, &o, &r, &sc, NULL, NULL), PKH_OK);
    pkh_table *ref = test_load("r/ref_targeting.csv");
    const pkh_column *ic, *ec;
    pkh_table_column(ref, "indicator", &ic, NULL);
    pkh_table_column(ref, "estimate", &ec, NULL);
    int seen = 0;
    for (int64_t i = 0; i < pkh_table_num_rows(ref); i++) {
        char ind[32];
        test_cell_text(ic, i, ind, sizeof ind);
        double want;
        pkh_column_get_double(ec, i, &want);
        if (strcmp(ind, "cv_rmse") == 0 || strcmp(ind, "cv_r2") == 0) {
            assert_near(res_get(r, "", ind, "estimate"), want, 1e-9 * fabs(want));
            seen++;
        } else if (strcmp(ind, "loo_pred") == 0) {
            const pkh_column *cv;
            pkh_table_column(sc, "cv_score", &cv, NULL);
            assert_near(pkh_column_float64(cv)[0], want, 1e-9 * fabs(want));
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    pkh_table_free(ref);
    pkh_table_free(r);
    pkh_table_free(sc);
    pkh_table_free(t);
}

/* Independent fit of the rows with keep[i] by GSL's SVD least squares; predictions of the
 * rows with pred[i] into out. Regressors: ell, meals, mobility, stype=H, stype=M. */
static void gsl_refit(const pkh_table *t, const uint8_t *keep, double *out)
{
    const int64_t n = pkh_table_num_rows(t);
    const pkh_column *c[5];
    const char *names[] = {"ell", "meals", "mobility", "api00", "pw"};
    for (int j = 0; j < 5; j++) {
        pkh_table_column(t, names[j], &c[j], NULL);
    }
    const pkh_column *st;
    pkh_table_column(t, "stype", &st, NULL);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        m += keep[i];
    }
    gsl_matrix *X = gsl_matrix_alloc((size_t)m, 6), *cov = gsl_matrix_alloc(6, 6);
    gsl_vector *y = gsl_vector_alloc((size_t)m), *w = gsl_vector_alloc((size_t)m);
    gsl_vector *b = gsl_vector_alloc(6);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)m, 6);
    double x[6];
    for (int64_t i = 0, r = 0; i < n; i++) {
        char s[32];
        test_cell_text(st, i, s, sizeof s);
        x[0] = 1;
        for (int j = 0; j < 3; j++) {
            pkh_column_get_double(c[j], i, &x[j + 1]);
        }
        x[4] = s[0] == 'H';
        x[5] = s[0] == 'M';
        if (keep[i]) {
            double v;
            for (int j = 0; j < 6; j++) {
                gsl_matrix_set(X, (size_t)r, (size_t)j, x[j]);
            }
            pkh_column_get_double(c[3], i, &v);
            gsl_vector_set(y, (size_t)r, v);
            pkh_column_get_double(c[4], i, &v);
            gsl_vector_set(w, (size_t)r++, v);
        }
    }
    double chisq;
    gsl_multifit_wlinear(X, w, y, b, cov, &chisq, ws);
    for (int64_t i = 0; i < n; i++) {
        char s[32];
        test_cell_text(st, i, s, sizeof s);
        x[0] = 1;
        for (int j = 0; j < 3; j++) {
            pkh_column_get_double(c[j], i, &x[j + 1]);
        }
        x[4] = s[0] == 'H';
        x[5] = s[0] == 'M';
        out[i] = 0;
        for (int j = 0; j < 6; j++) {
            out[i] += gsl_vector_get(b, (size_t)j) * x[j];
        }
    }
    gsl_matrix_free(X);
    gsl_matrix_free(cov);
    gsl_vector_free(y);
    gsl_vector_free(w);
    gsl_vector_free(b);
    gsl_multifit_linear_free(ws);
}

/* With a design whose PSUs are districts (dnum in apiclus1), folds are sets of PSUs. With as
 * many folds as PSUs each PSU is a fold whatever the seed: a row's out-of-fold prediction is a
 * refit without its whole district, computed here independently by GSL's SVD least squares. */
static void kfold_by_psu_equals_refits(void **state)
{
    (void)state;
    pkh_table *t = test_load("r/apiclus1.csv");
    pkh_pmt_options o = api_options();
    pkh_design *d = design_of(t, NULL, "dnum", NULL);
    o.design = d;
    o.folds = (int)pkh_design_psus(d); /* each PSU its own fold */
    o.seed = 3;
    pkh_table *r = NULL, *sc = NULL;
    assert_int_equal(pkh_pmt_fit(t, &o, &r, &sc, NULL, NULL), PKH_OK);
    const int64_t n = pkh_table_num_rows(t);
    const pkh_column *cv, *dn;
    pkh_table_column(sc, "cv_score", &cv, NULL);
    pkh_table_column(t, "dnum", &dn, NULL);
    uint8_t *keep = malloc(n);
    double *pred = malloc(n * sizeof *pred);
    for (int64_t i = 0; i < n; i += 17) { /* a few PSUs */
        const int64_t psu = pkh_column_int64(dn)[i];
        for (int64_t j = 0; j < n; j++) {
            keep[j] = pkh_column_int64(dn)[j] != psu;
        }
        gsl_refit(t, keep, pred);
        for (int64_t j = 0; j < n; j++) {
            if (!keep[j]) {
                assert_near(pkh_column_float64(cv)[j], pred[j], 1e-9 * fabs(pred[j]));
            }
        }
    }
    /* k = 5: deterministic for a seed, different for another, the same on one thread */
    o.folds = 5;
    pkh_table *r2 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
    assert_int_equal(pkh_pmt_fit(t, &o, &r2, &s2, NULL, NULL), PKH_OK);
    pkh_table_free(r2);
    o.threads = 1;
    assert_int_equal(pkh_pmt_fit(t, &o, &r2, &s3, NULL, NULL), PKH_OK);
    pkh_table_free(r2);
    o.seed = 4;
    assert_int_equal(pkh_pmt_fit(t, &o, &r2, &s4, NULL, NULL), PKH_OK);
    const pkh_column *a, *b, *c;
    pkh_table_column(s2, "cv_score", &a, NULL);
    pkh_table_column(s3, "cv_score", &b, NULL);
    pkh_table_column(s4, "cv_score", &c, NULL);
    assert_memory_equal(pkh_column_float64(a), pkh_column_float64(b), (size_t)n * 8);
    assert_true(memcmp(pkh_column_float64(a), pkh_column_float64(c), (size_t)n * 8) != 0);
    free(keep);
    free(pred);
    pkh_table_free(r);
    pkh_table_free(r2);
    pkh_table_free(sc);
    pkh_table_free(s2);
    pkh_table_free(s3);
    pkh_table_free(s4);
    pkh_design_free(d);
    pkh_table_free(t);
}

/* ---- the scores' targeting at a quota, against R ---- */

static void in_sample_targeting_equals_r(void **state)
{
    (void)state;
    pkh_table *t = test_load("targeting/synth2k.csv");
    pkh_pmt_options o = synth_options();
    o.quota = 0.15;
    o.size = "hhsize";
    o.folds = 5;
    o.seed = 1;
    assert_int_equal(pkh_benchmark_parse("line:povline", &o.benchmark, NULL), PKH_OK);
    pkh_design *d = design_of(t, "prov_code", "psu", NULL);
    o.design = d;
    pkh_pmt_info info;
    pkh_table *r = NULL, *sc = NULL;
    pkh_error err;
    if (pkh_pmt_fit(t, &o, &r, &sc, &info, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    pkh_table *ref = test_load("r/ref_targeting.csv");
    const pkh_column *pc, *ic, *ec, *sec;
    pkh_table_column(ref, "param", &pc, NULL);
    pkh_table_column(ref, "indicator", &ic, NULL);
    pkh_table_column(ref, "estimate", &ec, NULL);
    pkh_table_column(ref, "se", &sec, NULL);
    int seen = 0;
    for (int64_t i = 0; i < pkh_table_num_rows(ref); i++) {
        char p[128], ind[64];
        test_cell_text(pc, i, p, sizeof p);
        test_cell_text(ic, i, ind, sizeof ind);
        if (strcmp(p, "score=score;quota=0.15;benchmark=line:povline;groups=5") != 0) {
            continue;
        }
        double want, want_se;
        pkh_column_get_double(ec, i, &want);
        if (strcmp(ind, "cutoff") == 0) {
            assert_near(info.cutoff, want, 1e-12 * fabs(want));
            seen++;
            continue;
        }
        if (strcmp(ind, "coverage_poor") != 0 && strcmp(ind, "exclusion_error") != 0 &&
            strcmp(ind, "leakage") != 0 && strcmp(ind, "inclusion_error_nonpoor") != 0 &&
            strcmp(ind, "auc") != 0) {
            continue;
        }
        pkh_column_get_double(sec, i, &want_se);
        assert_near(res_get(r, "", ind, "estimate"), want, 1e-12);
        assert_near(res_get(r, "", ind, "se"), want_se, 1e-8 * want_se);
        seen++;
    }
    assert_int_equal(seen, 6);
    assert_false(isnan(res_get(r, "", "cv_leakage", "estimate"))); /* out of sample too */
    assert_false(isnan(res_get(r, "", "cv_auc", "se")));
    /* the scores table: score, cv_score, eligible = score < cut-off */
    const pkh_column *s, *e;
    pkh_table_column(sc, "score", &s, NULL);
    pkh_table_column(sc, "eligible", &e, NULL);
    for (int64_t i = 0; i < pkh_table_num_rows(sc); i++) {
        const bool el = pkh_column_bool_bits(e)[i / 8] >> (i % 8) & 1;
        assert_int_equal(el, pkh_column_float64(s)[i] < info.cutoff);
    }
    pkh_table_free(ref);
    pkh_table_free(r);
    pkh_table_free(sc);
    pkh_design_free(d);
    pkh_table_free(t);
}

/* ---- errors ---- */

static void expect_error(const pkh_table *t, const pkh_pmt_options *o, pkh_status code,
                         const char *text)
{
    pkh_table *r = NULL;
    pkh_error err;
    const pkh_status st = pkh_pmt_fit(t, o, &r, NULL, NULL, &err);
    assert_null(r);
    if (st != code || strstr(err.message, text) == NULL) {
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, text, st, err.message);
    }
}

static void errors(void **state)
{
    (void)state;
    const char csv[] =
        "y,a,b,c,k,one,txt,w\n"
        "1,1,2,3,5,x,p,1\n"
        "2,2,1,3,5,x,q,1\n"
        "4,3,5,8,5,x,p,2\n"
        "3,4,4,8,5,x,q,1\n"
        "6,5,2,7,5,x,p,1\n"
        "5,6,9,15,5,x,q,3\n";
    pkh_table *t = NULL;
    assert_int_equal(pkh_csv_read_memory(csv, sizeof csv - 1, "m.csv", NULL, &t, NULL, NULL),
                     PKH_OK);
    pkh_pmt_options o = PKH_PMT_OPTIONS_INIT;
    o.target = "y";
    const char *abc[] = {"a", "b", "c"}, *ak[] = {"a", "k"}, *txt[] = {"txt"}, *one[] = {"one"};
    o.covariates = abc;
    o.n_covariates = 3;
    expect_error(t, &o, PKH_ENUMERIC, "\"c\" is constant or a linear combination");
    o.covariates = ak;
    o.n_covariates = 2;
    expect_error(t, &o, PKH_ENUMERIC, "\"k\" is constant");
    o.n_covariates = 1;
    o.categorical = one;
    o.n_categorical = 1;
    expect_error(t, &o, PKH_EINVAL, "\"one\" has a single level (x)");
    o.categorical = NULL;
    o.n_categorical = 0;
    o.covariates = txt;
    expect_error(t, &o, PKH_ETYPE, "--categorical txt");
    o.covariates = abc;
    o.n_covariates = 2;
    o.quota = 1.5;
    expect_error(t, &o, PKH_EINVAL, "between 0 and 1");
    o.quota = NAN;
    o.folds = 1;
    expect_error(t, &o, PKH_EINVAL, "at least 2 folds");
    o.folds = 0;
    o.categorical = txt;
    o.n_categorical = 1;
    o.covariates = abc;
    o.n_covariates = 2;
    pkh_table *r = NULL;
    assert_int_equal(pkh_pmt_fit(t, &o, &r, NULL, NULL, NULL), PKH_OK); /* 4 params, 6 rows */
    pkh_table_free(r);
    const char csv2[] = "y,a,b,c\n1,1,2,1\n2,2,1,0\n4,3,5,1\n";
    pkh_table_free(t);
    assert_int_equal(pkh_csv_read_memory(csv2, sizeof csv2 - 1, "m.csv", NULL, &t, NULL, NULL),
                     PKH_OK);
    o.categorical = NULL;
    o.n_categorical = 0;
    o.n_covariates = 3;
    expect_error(t, &o, PKH_EINVAL, "3 observations for 4 parameters");
    pkh_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apistrat_equals_lm_and_svyglm),
        cmocka_unit_test(eusilc_log_target_equals_lm_and_svyglm),
        cmocka_unit_test(synth_categoricals_and_model_by),
        cmocka_unit_test(leave_one_out_equals_hat_values),
        cmocka_unit_test(kfold_by_psu_equals_refits),
        cmocka_unit_test(in_sample_targeting_equals_r),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
