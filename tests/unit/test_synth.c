/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The synthetic survey generator: determinism, households against members, the sample
 * design, and every calibration target, each measured here by a direct weighted computation
 * (not by the library) against the published figures copied from DOMAIN.md.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- published figures (DOMAIN.md 3.4 and 3.5), typed in independently of the library ---- */

static const struct {
    int code;
    double p0; /* percent, March 2019 */
} published[] = {
    {11, 15.32}, {12, 8.83},  {13, 6.42},  {14, 7.08},  {15, 7.60},  {16, 12.71}, {17, 15.23},
    {18, 12.62}, {19, 4.62},  {21, 5.90},  {31, 3.47},  {32, 6.91},  {33, 10.80}, {34, 11.70},
    {35, 10.37}, {36, 5.09},  {51, 3.79},  {52, 14.56}, {53, 21.09}, {61, 7.49},  {62, 4.98},
    {63, 4.55},  {64, 5.94},  {65, 6.63},  {71, 7.66},  {72, 13.48}, {73, 8.69},  {74, 11.24},
    {75, 15.52}, {76, 11.02}, {81, 17.69}, {82, 6.77},  {91, 22.17}, {94, 27.53},
};
#define N_PROV ((int)(sizeof published / sizeof published[0]))
#define POPULATION_2019 268074600.0

/* ---- helpers ---- */

static const int64_t *icol(const pkh_table *t, const char *name)
{
    const pkh_column *c = NULL;
    assert_int_equal(pkh_table_column(t, name, &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_type(c), PKH_TYPE_INT64);
    assert_int_equal(pkh_column_null_count(c), 0);
    return pkh_column_int64(c);
}

static const double *fcol(const pkh_table *t, const char *name)
{
    const pkh_column *c = NULL;
    assert_int_equal(pkh_table_column(t, name, &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_type(c), PKH_TYPE_FLOAT64);
    assert_int_equal(pkh_column_null_count(c), 0);
    return pkh_column_float64(c);
}

static void generate(int64_t n, uint64_t seed, int threads, pkh_table **hh, pkh_table **mem)
{
    pkh_synth_options o = PKH_SYNTH_OPTIONS_INIT;
    o.households = n;
    o.seed = seed;
    o.threads = threads;
    pkh_error err;
    const pkh_status st = pkh_synth_generate(&o, hh, mem, &err);
    if (st != PKH_OK) {
        fail_msg("pkh_synth_generate: %s", err.message);
    }
}

/* Every column of two tables holds the same bits (and dictionaries the same strings). */
static void assert_tables_equal(const pkh_table *a, const pkh_table *b)
{
    assert_int_equal(pkh_table_num_rows(a), pkh_table_num_rows(b));
    assert_int_equal(pkh_table_num_columns(a), pkh_table_num_columns(b));
    const int64_t n = pkh_table_num_rows(a);
    for (int64_t c = 0; c < pkh_table_num_columns(a); c++) {
        const pkh_column *x = pkh_table_column_at(a, c), *y = pkh_table_column_at(b, c);
        assert_string_equal(pkh_column_name(x), pkh_column_name(y));
        assert_int_equal(pkh_column_type(x), pkh_column_type(y));
        if (pkh_column_type(x) == PKH_TYPE_DICT) {
            assert_memory_equal(pkh_column_codes(x), pkh_column_codes(y), (size_t)n * 4);
            assert_int_equal(pkh_column_dict_size(x), pkh_column_dict_size(y));
        } else {
            const void *vx = pkh_column_type(x) == PKH_TYPE_INT64
                                 ? (const void *)pkh_column_int64(x)
                                 : (const void *)pkh_column_float64(x);
            const void *vy = pkh_column_type(y) == PKH_TYPE_INT64
                                 ? (const void *)pkh_column_int64(y)
                                 : (const void *)pkh_column_float64(y);
            assert_memory_equal(vx, vy, (size_t)n * 8);
        }
    }
}

/* ---- determinism ---- */

static void same_seed_same_data_for_any_thread_count(void **state)
{
    (void)state;
    pkh_table *h1, *m1, *h2, *m2, *h3, *m3;
    generate(20000, 42, 1, &h1, &m1);
    generate(20000, 42, 2, &h2, &m2);
    generate(20000, 42, 3, &h3, &m3);
    assert_tables_equal(h1, h2);
    assert_tables_equal(m1, m2);
    assert_tables_equal(h1, h3);
    assert_tables_equal(m1, m3);
    pkh_table_free(h1);
    pkh_table_free(m1);
    pkh_table_free(h2);
    pkh_table_free(m2);
    pkh_table_free(h3);
    pkh_table_free(m3);
}

static void different_seed_different_data(void **state)
{
    (void)state;
    pkh_table *h1, *m1, *h2, *m2;
    generate(5000, 1, 0, &h1, &m1);
    generate(5000, 2, 0, &h2, &m2);
    const double *x = fcol(h1, "pcexp"), *y = fcol(h2, "pcexp");
    int64_t same = 0;
    for (int64_t i = 0; i < 5000; i++) {
        same += x[i] == y[i];
    }
    assert_true(same < 50); /* continuous values: practically all differ */
    assert_true(pkh_table_num_rows(m1) != pkh_table_num_rows(m2) ||
                memcmp(icol(m1, "age"), icol(m2, "age"), 8 * (size_t)pkh_table_num_rows(m1)));
    /* the design (strata, PSUs) depends only on N, the draws on the seed */
    assert_memory_equal(icol(h1, "psu"), icol(h2, "psu"), 5000 * 8);
    pkh_table_free(h1);
    pkh_table_free(m1);
    pkh_table_free(h2);
    pkh_table_free(m2);
}

static char *temp_dir(void)
{
    char *d = strdup("/tmp/pkh-synth-test-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void same_seed_same_bytes_on_disk(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char *pa = path_in(dir, "a"), *pb = path_in(dir, "b");
    pkh_table *h1, *m1, *h2, *m2;
    generate(3000, 9, 1, &h1, &m1);
    generate(3000, 9, 2, &h2, &m2);
    assert_int_equal(pkh_synth_write(h1, m1, pa, 0, 1, NULL), PKH_OK);
    assert_int_equal(pkh_synth_write(h2, m2, pb, 0, 2, NULL), PKH_OK);
    const char *files[] = {"households.csv", "members.csv"};
    for (int i = 0; i < 2; i++) {
        char fa[512], fb[512];
        snprintf(fa, sizeof fa, "%s-%s", pa, files[i]);
        snprintf(fb, sizeof fb, "%s-%s", pb, files[i]);
        size_t na, nb;
        char *a = test_read_file(fa, &na), *b = test_read_file(fb, &nb);
        assert_non_null(a);
        assert_non_null(b);
        assert_true(na > 1000);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        free(a);
        free(b);
        remove(fa);
        remove(fb);
    }
    /* the table read back from the CSV is the generated one */
    assert_int_equal(pkh_synth_write(h1, m1, pa, 1, 0, NULL), PKH_OK);
    char gz[512];
    snprintf(gz, sizeof gz, "%s-households.csv.gz", pa);
    pkh_table *back = NULL;
    assert_int_equal(pkh_csv_read_path(gz, NULL, &back, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(back), 3000);
    const double *w = fcol(h1, "weight");
    const pkh_column *wc = NULL;
    assert_int_equal(pkh_table_column(back, "weight", &wc, NULL), PKH_OK);
    for (int64_t i = 0; i < 3000; i++) {
        double v;
        assert_int_equal(pkh_column_get_double(wc, i, &v), PKH_OK);
        assert_true(v == w[i]);
    }
    remove(gz);
    snprintf(gz, sizeof gz, "%s-members.csv.gz", pa);
    remove(gz);
    pkh_table_free(back);
    pkh_table_free(h1);
    pkh_table_free(m1);
    pkh_table_free(h2);
    pkh_table_free(m2);
    assert_int_equal(rmdir(dir), 0); /* nothing else left behind */
    free(pa);
    free(pb);
    free(dir);
}

/* ---- households against members ---- */

typedef struct counts {
    int64_t size, pregnant, child06, sd, smp, sma, disabled, elderly, working, heads;
} counts;

/* Count a household's components from its member rows, by the documented definitions. */
static void count_member(counts *c, const pkh_table *m, int64_t r)
{
    const int64_t age = icol(m, "age")[r], att = icol(m, "attending")[r];
    const int64_t school = icol(m, "school")[r];
    c->size++;
    c->pregnant += icol(m, "pregnant")[r];
    c->child06 += age <= 6 && att == 0;
    c->sd += att == 1 && school == 1;
    c->smp += att == 1 && school == 2;
    c->sma += att == 1 && school == 3;
    c->disabled += icol(m, "disabled_severe")[r];
    c->elderly += age >= 60;
    c->working += icol(m, "working")[r];
    c->heads += icol(m, "relation")[r] == 1;
}

static void check_member_codes(const pkh_table *m, int64_t r)
{
    const int64_t age = icol(m, "age")[r], sex = icol(m, "sex")[r];
    assert_in_range(icol(m, "relation")[r], 1, 7);
    assert_in_range(sex, 1, 2);
    assert_in_range(age, 0, 110);
    assert_in_range(icol(m, "school")[r], 0, 4);
    assert_in_range(icol(m, "attending")[r], 0, 1);
    assert_in_range(icol(m, "disabled_severe")[r], 0, 1);
    assert_in_range(icol(m, "working")[r], 0, 1);
    if (icol(m, "attending")[r]) {
        assert_true(icol(m, "school")[r] >= 1);
    }
    if (icol(m, "pregnant")[r]) {
        assert_int_equal(sex, 2);
        assert_in_range(age, 15, 49);
    }
}

static void check_household(const pkh_table *h, const pkh_table *m, int64_t i, int64_t first,
                            const counts *c)
{
    assert_int_equal(icol(h, "hhsize")[i], c->size);
    assert_int_equal(c->heads, 1);
    assert_int_equal(icol(m, "relation")[first], 1); /* line 1 is the head */
    assert_int_equal(icol(h, "head_sex")[i], icol(m, "sex")[first]);
    assert_int_equal(icol(h, "head_educ")[i], icol(m, "school")[first]);
    assert_int_equal(icol(h, "n_pregnant")[i], c->pregnant);
    assert_int_equal(icol(h, "n_child06")[i], c->child06);
    assert_int_equal(icol(h, "n_sd")[i], c->sd);
    assert_int_equal(icol(h, "n_smp")[i], c->smp);
    assert_int_equal(icol(h, "n_sma")[i], c->sma);
    assert_int_equal(icol(h, "n_disabled_severe")[i], c->disabled);
    assert_int_equal(icol(h, "n_elderly60")[i], c->elderly);
    assert_int_equal(icol(h, "n_working")[i], c->working);
}

static void members_match_households(void **state)
{
    (void)state;
    pkh_table *h, *m;
    generate(20000, 5, 0, &h, &m);
    const int64_t nh = pkh_table_num_rows(h), nm = pkh_table_num_rows(m);
    const int64_t *hhid = icol(h, "hhid"), *mid = icol(m, "hhid"), *line = icol(m, "line");
    int64_t r = 0;
    for (int64_t i = 0; i < nh; i++) {
        assert_int_equal(hhid[i], i + 1);
        counts c;
        memset(&c, 0, sizeof c);
        const int64_t first = r;
        for (; r < nm && mid[r] == hhid[i]; r++) {
            assert_int_equal(line[r], r - first + 1);
            check_member_codes(m, r);
            count_member(&c, m, r);
        }
        check_household(h, m, i, first, &c);
    }
    assert_int_equal(r, nm); /* no member without a household */
    pkh_table_free(h);
    pkh_table_free(m);
}

static void household_codes_are_documented(void **state)
{
    (void)state;
    pkh_table *h, *m;
    generate(20000, 6, 0, &h, &m);
    static const struct {
        const char *name;
        int64_t lo, hi;
    } ranges[] = {{"urban", 0, 1},        {"roof", 1, 4},        {"floor", 1, 5},
                  {"wall", 1, 4},         {"toilet", 1, 4},      {"water", 1, 5},
                  {"cooking_fuel", 1, 3}, {"electricity", 1, 4}, {"assets", 0, 10},
                  {"head_educ", 0, 4},    {"head_sex", 1, 2},    {"pkh", 0, 1},
                  {"hhsize", 1, 12}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        const int64_t *v = icol(h, ranges[k].name);
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (int64_t i = 0; i < 20000; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        assert_true(lo >= ranges[k].lo && hi <= ranges[k].hi);
        assert_true(hi > lo); /* every column varies */
    }
    const int64_t *prov = icol(h, "prov_code"), *urban = icol(h, "urban");
    const int64_t *strata = icol(h, "strata");
    const double *pcexp = fcol(h, "pcexp"), *line = fcol(h, "povline");
    for (int64_t i = 0; i < 20000; i++) {
        assert_int_equal(strata[i], prov[i] * 10 + (urban[i] ? 1 : 2));
        assert_true(pcexp[i] > 0 && pcexp[i] == floor(pcexp[i]));
        assert_true(line[i] > 250000 && line[i] < 800000);
    }
    pkh_table_free(h);
    pkh_table_free(m);
}

/* ---- the design ---- */

static void design_has_strata_psus_and_varying_weights(void **state)
{
    (void)state;
    pkh_table *h, *m;
    generate(100000, 1, 0, &h, &m);
    const int64_t *strata = icol(h, "strata"), *psu = icol(h, "psu"), *size = icol(h, "hhsize");
    const double *w = fcol(h, "weight");
    int64_t n_strata = 0, n_psu = 0;
    double total = 0.0, comp = 0.0, wmin = INFINITY, wmax = 0.0;
    for (int64_t i = 0; i < 100000; i++) {
        if (i == 0 || strata[i] != strata[i - 1]) {
            n_strata++;
            assert_true(i == 0 || strata[i] > strata[i - 1]); /* sorted, each in one block */
        }
        if (i == 0 || psu[i] != psu[i - 1]) {
            n_psu++;
            assert_int_equal(psu[i], n_psu);
        } else {
            assert_int_equal(strata[i], strata[i - 1]); /* a PSU never crosses strata */
        }
        const double y = w[i] * (double)size[i] - comp, t = total + y; /* Kahan */
        comp = (t - total) - y;
        total = t;
        wmin = w[i] < wmin ? w[i] : wmin;
        wmax = w[i] > wmax ? w[i] : wmax;
    }
    assert_int_equal(n_strata, 2 * 34 - 1); /* DKI Jakarta has no rural stratum */
    assert_true(100000.0 / (double)n_psu > 9.5 && 100000.0 / (double)n_psu < 10.5);
    assert_true(fabs(total - POPULATION_2019) < 1e-6 * POPULATION_2019);
    assert_true(wmax / wmin > 5.0); /* over-sampled small provinces, PSU effects */
    pkh_table_free(h);
    pkh_table_free(m);
}

static void weights_add_up_to_the_population_for_any_n(void **state)
{
    (void)state;
    const int64_t ns[] = {1, 2, 7, 66, 67, 68, 999};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        pkh_table *h, *m;
        generate(ns[k], 3, 0, &h, &m);
        assert_int_equal(pkh_table_num_rows(h), ns[k]);
        const double *w = fcol(h, "weight");
        const int64_t *size = icol(h, "hhsize");
        double total = 0.0;
        for (int64_t i = 0; i < ns[k]; i++) {
            assert_true(w[i] > 0);
            total += w[i] * (double)size[i];
        }
        assert_true(fabs(total - POPULATION_2019) < 1e-6 * POPULATION_2019);
        pkh_table_free(h);
        pkh_table_free(m);
    }
}

/* ---- calibration, at N = 100 000 (the threshold) ---- */

typedef struct survey {
    pkh_table *h, *m;
    int64_t n;
    const double *w, *pcexp, *line;
    const int64_t *size, *urban, *prov, *pkh;
} survey;

static int survey_setup(void **state)
{
    survey *s = calloc(1, sizeof *s);
    generate(100000, 1, 0, &s->h, &s->m);
    s->n = pkh_table_num_rows(s->h);
    s->w = fcol(s->h, "weight");
    s->pcexp = fcol(s->h, "pcexp");
    s->line = fcol(s->h, "povline");
    s->size = icol(s->h, "hhsize");
    s->urban = icol(s->h, "urban");
    s->prov = icol(s->h, "prov_code");
    s->pkh = icol(s->h, "pkh");
    *state = s;
    return 0;
}

static int survey_teardown(void **state)
{
    survey *s = *state;
    pkh_table_free(s->h);
    pkh_table_free(s->m);
    free(s);
    return 0;
}

/* Person-weighted headcount ratio over households with keep(i) (NULL: all). */
static double headcount(const survey *s, int urban)
{
    double poor = 0.0, all = 0.0;
    for (int64_t i = 0; i < s->n; i++) {
        if (urban >= 0 && s->urban[i] != urban) {
            continue;
        }
        const double pw = s->w[i] * (double)s->size[i];
        all += pw;
        poor += s->pcexp[i] < s->line[i] ? pw : 0.0;
    }
    return poor / all;
}

static void headcount_matches_march_2019(void **state)
{
    const survey *s = *state;
    const double p0 = headcount(s, -1), u = headcount(s, 1), r = headcount(s, 0);
    print_message("P0 %.4f (9.41%%), urban %.4f (6.69%%), rural %.4f (12.85%%)\n", p0, u, r);
    assert_true(fabs(p0 - 0.0941) <= 0.005);
    assert_true(u < r);
    assert_true(fabs(u - 0.0669) <= 0.01 && fabs(r - 0.1285) <= 0.01);
}

typedef struct xw {
    double x, w;
} xw;

static int cmp_xw(const void *a, const void *b)
{
    const double x = ((const xw *)a)->x, y = ((const xw *)b)->x;
    return (x > y) - (x < y);
}

/* Gini of x with weights w: sum_i w_i x_i (2 W_{<i} + w_i) / (W sum w x) - 1, sorted by x. */
static double gini(xw *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_xw);
    double W = 0.0, WX = 0.0, below = 0.0, acc = 0.0;
    for (int64_t i = 0; i < n; i++) {
        W += v[i].w;
        WX += v[i].w * v[i].x;
    }
    for (int64_t i = 0; i < n; i++) {
        acc += v[i].w * v[i].x * (2.0 * below + v[i].w);
        below += v[i].w;
    }
    return acc / (W * WX) - 1.0;
}

static void gini_is_0_38(void **state)
{
    const survey *s = *state;
    xw *v = malloc((size_t)s->n * sizeof *v);
    for (int64_t i = 0; i < s->n; i++) {
        v[i].x = s->pcexp[i];
        v[i].w = s->w[i] * (double)s->size[i];
    }
    const double g = gini(v, s->n);
    free(v);
    print_message("Gini %.4f (0.382)\n", g);
    assert_true(fabs(g - 0.38) <= 0.02);
}

/* Ranks 1..n with ties averaged. */
static void ranks(const double *x, int n, double *out)
{
    for (int i = 0; i < n; i++) {
        double less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            less += x[j] < x[i];
            equal += x[j] == x[i];
        }
        out[i] = less + (equal + 1.0) / 2.0;
    }
}

static double spearman(const double *x, const double *y, int n)
{
    double rx[64], ry[64], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (int i = 0; i < n; i++) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* Rank of element k of x from the top (1 = largest). */
static int rank_from_top(const double *x, int n, int k)
{
    int r = 1;
    for (int j = 0; j < n; j++) {
        r += x[j] > x[k];
    }
    return r;
}

static int province_index(int code)
{
    for (int i = 0; i < N_PROV; i++) {
        if (published[i].code == code) {
            return i;
        }
    }
    return -1;
}

/* The calibration targets measured again by the library's own indicators: the same numbers as
 * the direct computations above, and the same targets met. */
static void library_indicators_measure_the_same_targets(void **state)
{
    const survey *s = *state;
    pkh_indicators_options o = PKH_INDICATORS_OPTIONS_INIT;
    o.income = "pcexp";
    o.weight = "weight";
    o.size = "hhsize";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "povline";
    const char *by[] = {"urban"};
    o.by = by;
    o.n_by = 1;
    pkh_indicator ind[2];
    assert_int_equal(pkh_indicator_parse("fgt0", &ind[0], NULL), PKH_OK);
    assert_int_equal(pkh_indicator_parse("gini", &ind[1], NULL), PKH_OK);
    o.indicators = ind;
    o.n_indicators = 2;
    pkh_table *res = NULL;
    pkh_error err;
    if (pkh_indicators_compute(s->h, &o, &res, NULL, &err) != PKH_OK) {
        fail_msg("%s", err.message);
    }
    /* rows: total fgt0, gini; urban 0 fgt0, gini; urban 1 fgt0, gini */
    const pkh_column *e = NULL;
    assert_int_equal(pkh_table_column(res, "estimate", &e, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(res), 6);
    const double *v = pkh_column_float64(e);
    assert_true(fabs(v[0] - headcount(s, -1)) <= 1e-9 * headcount(s, -1));
    assert_true(fabs(v[2] - headcount(s, 0)) <= 1e-9 * headcount(s, 0));
    assert_true(fabs(v[4] - headcount(s, 1)) <= 1e-9 * headcount(s, 1));
    xw *pairs = malloc((size_t)s->n * sizeof *pairs);
    for (int64_t i = 0; i < s->n; i++) {
        pairs[i].x = s->pcexp[i];
        pairs[i].w = s->w[i] * (double)s->size[i];
    }
    const double g = gini(pairs, s->n);
    free(pairs);
    assert_true(fabs(v[1] - g) <= 1e-9 * g);
    assert_true(fabs(v[0] - 0.0941) <= 0.005);
    assert_true(v[4] < v[2]);
    assert_true(fabs(v[1] - 0.38) <= 0.02);
    pkh_table_free(res);
}

static void provinces_are_ordered_like_the_published_table(void **state)
{
    const survey *s = *state;
    double poor[N_PROV] = {0}, all[N_PROV] = {0}, est[N_PROV], pub[N_PROV];
    for (int64_t i = 0; i < s->n; i++) {
        const int k = province_index((int)s->prov[i]);
        assert_true(k >= 0);
        const double pw = s->w[i] * (double)s->size[i];
        all[k] += pw;
        poor[k] += s->pcexp[i] < s->line[i] ? pw : 0.0;
    }
    for (int k = 0; k < N_PROV; k++) {
        assert_true(all[k] > 0);
        est[k] = 100.0 * poor[k] / all[k];
        pub[k] = published[k].p0;
    }
    const double rho = spearman(est, pub, N_PROV);
    print_message("Spearman %.3f; Papua %.2f NTT %.2f DKI %.2f Bali %.2f\n", rho,
                  est[province_index(94)], est[province_index(53)], est[province_index(31)],
                  est[province_index(51)]);
    assert_true(rho >= 0.8);
    assert_int_equal(rank_from_top(est, N_PROV, province_index(94)), 1);
    assert_true(rank_from_top(est, N_PROV, province_index(53)) <= 4);
    assert_true(rank_from_top(est, N_PROV, province_index(31)) >= N_PROV - 3);
    assert_true(rank_from_top(est, N_PROV, province_index(51)) >= N_PROV - 3);
}

static void household_size_is_about_3_9(void **state)
{
    const survey *s = *state;
    double wk = 0.0, w = 0.0, pwk = 0.0, pw = 0.0;
    for (int64_t i = 0; i < s->n; i++) {
        wk += s->w[i] * (double)s->size[i];
        w += s->w[i];
        if (s->pcexp[i] < s->line[i]) {
            pwk += s->w[i] * (double)s->size[i];
            pw += s->w[i];
        }
    }
    print_message("mean household size %.3f, of poor households %.3f (Sep 2019: 4.58)\n", wk / w,
                  pwk / pw);
    assert_true(fabs(wk / w - 3.9) <= 0.1);
    assert_true(pwk / pw > wk / w + 0.3); /* poor households are larger */
}

static void pkh_reaches_ten_million_families_with_mistargeting(void **state)
{
    const survey *s = *state;
    double fam = 0.0, fam_nonpoor = 0.0, poor = 0.0, poor_without = 0.0, nonpoor = 0.0;
    double nonpoor_with = 0.0;
    for (int64_t i = 0; i < s->n; i++) {
        const int is_poor = s->pcexp[i] < s->line[i];
        fam += s->pkh[i] ? s->w[i] : 0.0;
        fam_nonpoor += s->pkh[i] && !is_poor ? s->w[i] : 0.0;
        poor += is_poor ? s->w[i] : 0.0;
        poor_without += is_poor && !s->pkh[i] ? s->w[i] : 0.0;
        nonpoor += is_poor ? 0.0 : s->w[i];
        nonpoor_with += !is_poor && s->pkh[i] ? s->w[i] : 0.0;
    }
    print_message(
        "PKH families %.0f; recipients above the line %.3f; poor families without "
        "PKH %.3f\n",
        fam, fam_nonpoor / fam, poor_without / poor);
    assert_true(fabs(fam - 10e6) <= 0.01 * 10e6);
    assert_true(fam_nonpoor / fam >= 0.3);    /* inclusion error: sizeable */
    assert_true(poor_without / poor >= 0.25); /* exclusion error: many poor without */
    /* ... and still targeted: the poor are far more often covered than the others */
    assert_true((1.0 - poor_without / poor) > 3.0 * (nonpoor_with / nonpoor));
}

/* ---- the proxy-means test: OLS of log pcexp on the PMT covariates ---- */

#define PMT_P 30

/* Row i of the PMT design: dummies of the categorical covariates (first category left out),
 * assets, household size, a female head and the number of working members. */
static void pmt_row(const pkh_table *h, int64_t i, double *x)
{
    static const struct {
        const char *name;
        int first, last;
    } cats[] = {{"roof", 2, 4},        {"floor", 2, 5},    {"wall", 2, 4},
                {"toilet", 2, 4},      {"water", 2, 5},    {"cooking_fuel", 2, 3},
                {"electricity", 2, 4}, {"head_educ", 1, 4}};
    int k = 0;
    for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
        const int64_t v = icol(h, cats[c].name)[i];
        for (int level = cats[c].first; level <= cats[c].last; level++) {
            x[k++] = v == level;
        }
    }
    x[k++] = (double)icol(h, "assets")[i];
    x[k++] = (double)icol(h, "hhsize")[i];
    x[k++] = icol(h, "head_sex")[i] == 2;
    x[k++] = (double)icol(h, "n_working")[i];
    assert_int_equal(k, PMT_P);
}

/* Solve A b = c for symmetric positive definite A (p x p) by Cholesky, in place. */
static void cholesky_solve(double *A, double *c, int p)
{
    for (int j = 0; j < p; j++) {
        double d = A[j * p + j];
        for (int k = 0; k < j; k++) {
            d -= A[j * p + k] * A[j * p + k];
        }
        assert_true(d > 0);
        A[j * p + j] = sqrt(d);
        for (int i = j + 1; i < p; i++) {
            double v = A[i * p + j];
            for (int k = 0; k < j; k++) {
                v -= A[i * p + k] * A[j * p + k];
            }
            A[i * p + j] = v / A[j * p + j];
        }
    }
    for (int i = 0; i < p; i++) { /* L y = c */
        for (int k = 0; k < i; k++) {
            c[i] -= A[i * p + k] * c[k];
        }
        c[i] /= A[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) { /* L' b = y */
        for (int k = i + 1; k < p; k++) {
            c[i] -= A[k * p + i] * c[k];
        }
        c[i] /= A[i * p + i];
    }
}

/* R^2 of OLS of log pcexp on the PMT covariates, with an intercept per stratum (fixed
 * effects, by demeaning within strata) or one overall intercept. */
static double pmt_r2(const survey *s, int strata_effects)
{
    const int64_t n = s->n, *strata = icol(s->h, "strata");
    double *X = malloc((size_t)n * PMT_P * sizeof *X), *y = malloc((size_t)n * sizeof *y);
    double ybar = 0.0, tss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        pmt_row(s->h, i, X + i * PMT_P);
        y[i] = log(s->pcexp[i]);
        ybar += y[i] / (double)n;
    }
    for (int64_t i = 0; i < n; i++) {
        tss += (y[i] - ybar) * (y[i] - ybar);
    }
    for (int64_t a = 0, b; a < n; a = b) { /* strata are contiguous */
        for (b = a; b < n && (!strata_effects || strata[b] == strata[a]); b++) {
        }
        for (int j = 0; j <= PMT_P; j++) {
            double mean = 0.0;
            for (int64_t i = a; i < b; i++) {
                mean += (j < PMT_P ? X[i * PMT_P + j] : y[i]) / (double)(b - a);
            }
            for (int64_t i = a; i < b; i++) {
                *(j < PMT_P ? &X[i * PMT_P + j] : &y[i]) -= mean;
            }
        }
    }
    double A[PMT_P * PMT_P] = {0}, c[PMT_P] = {0}, rss = 0.0;
    for (int64_t i = 0; i < n; i++) {
        for (int j = 0; j < PMT_P; j++) {
            c[j] += X[i * PMT_P + j] * y[i];
            for (int k = 0; k < PMT_P; k++) {
                A[j * PMT_P + k] += X[i * PMT_P + j] * X[i * PMT_P + k];
            }
        }
    }
    cholesky_solve(A, c, PMT_P);
    for (int64_t i = 0; i < n; i++) {
        double e = y[i];
        for (int j = 0; j < PMT_P; j++) {
            e -= X[i * PMT_P + j] * c[j];
        }
        rss += e * e;
    }
    free(X);
    free(y);
    return 1.0 - rss / tss;
}

static void pmt_r2_is_like_published_models(void **state)
{
    const survey *s = *state;
    const double with = pmt_r2(s, 1), without = pmt_r2(s, 0);
    print_message("PMT R2 %.3f with stratum effects, %.3f without\n", with, without);
    assert_true(with >= 0.4 && with <= 0.6);
    assert_true(without >= 0.35 && without < with);
}

/* ---- the calibration table ---- */

static void targets_table_holds_the_published_figures(void **state)
{
    (void)state;
    pkh_table *t = NULL;
    assert_int_equal(pkh_synth_targets(0, NULL, &t, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), N_PROV);
    const int64_t *code = icol(t, "prov_code");
    const double *p0 = fcol(t, "p0"), *pu = fcol(t, "p0_urban"), *pr = fcol(t, "p0_rural");
    const double *u = fcol(t, "urban_share"), *pop = fcol(t, "population");
    const double *lu = fcol(t, "povline_urban"), *lr = fcol(t, "povline_rural");
    double total = 0.0;
    for (int i = 0; i < N_PROV; i++) {
        assert_int_equal(code[i], published[i].code);
        assert_true(fabs(p0[i] - published[i].p0 / 100.0) < 1e-12);
        assert_true(fabs(u[i] * pu[i] + (1.0 - u[i]) * pr[i] - p0[i]) < 1e-12);
        assert_true(u[i] == 1.0 || pu[i] < pr[i]);
        total += pop[i];
    }
    assert_true(fabs(total - POPULATION_2019) < 1e-3);
    const int dki = province_index(31), sultra = province_index(74);
    assert_true(lu[dki] == 637260.0 && lr[dki] == 0.0); /* DKI: urban only */
    /* Sulawesi Tenggara's published line is the population mean of its two lines */
    assert_true(fabs(u[sultra] * lu[sultra] + (1.0 - u[sultra]) * lr[sultra] - 327402.0) < 1.0);
    pkh_table_free(t);
}

/* ---- bad input ---- */

static void bad_options_are_refused_with_a_message(void **state)
{
    (void)state;
    pkh_synth_options o = PKH_SYNTH_OPTIONS_INIT;
    pkh_table *h = NULL, *m = NULL;
    pkh_error err;
    o.households = 0;
    assert_int_equal(pkh_synth_generate(&o, &h, &m, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "at least 1"));
    o.households = -3;
    assert_int_equal(pkh_synth_generate(&o, &h, &m, &err), PKH_EINVAL);
    o.households = 10;
    o.year = 2018;
    assert_int_equal(pkh_synth_generate(&o, &h, &m, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "2018"));
    assert_null(h);
    assert_null(m);
    o.year = 2019;
    assert_int_equal(pkh_synth_generate(NULL, &h, &m, NULL), PKH_EINVAL);
    assert_int_equal(pkh_synth_generate(&o, NULL, &m, NULL), PKH_EINVAL);
    assert_int_equal(pkh_synth_targets(1999, NULL, &h, &err), PKH_EINVAL);
    assert_false(pkh_synth_year_supported(2018));
    assert_true(pkh_synth_year_supported(2019) && pkh_synth_year_supported(0));
}

static void unwritable_prefix_leaves_no_file(void **state)
{
    (void)state;
    pkh_table *h, *m;
    generate(50, 1, 0, &h, &m);
    pkh_error err;
    assert_int_equal(pkh_synth_write(h, m, "/nonexistent-dir/x", 1, 0, &err), PKH_EIO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/x-"));
    /* the members file cannot be written (a directory has its name): neither file remains */
    char *dir = temp_dir();
    char *prefix = path_in(dir, "s"), *blocker = path_in(dir, "s-members.csv.partial");
    assert_int_equal(mkdir(blocker, 0700), 0);
    assert_int_equal(pkh_synth_write(h, m, prefix, 0, 0, &err), PKH_EIO);
    assert_int_equal(rmdir(blocker), 0);
    assert_int_equal(rmdir(dir), 0); /* empty: no households file, no temporary file */
    free(prefix);
    free(blocker);
    free(dir);
    pkh_table_free(h);
    pkh_table_free(m);
}

static void survives_every_allocation_failure(void **state)
{
    (void)state;
    for (long budget = 0;; budget++) {
        test_alloc a;
        test_alloc_init(&a, budget);
        pkh_synth_options o = PKH_SYNTH_OPTIONS_INIT;
        o.households = 40;
        o.threads = 1;
        o.allocator = &a.base;
        pkh_table *h = NULL, *m = NULL;
        const pkh_status st = pkh_synth_generate(&o, &h, &m, NULL);
        pkh_table_free(h);
        pkh_table_free(m);
        assert_int_equal(a.live_bytes, 0);
        if (st == PKH_OK) {
            assert_true(budget > 10);
            break;
        }
        assert_int_equal(st, PKH_ENOMEM);
        assert_null(h);
        assert_null(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_data_for_any_thread_count),
        cmocka_unit_test(different_seed_different_data),
        cmocka_unit_test(same_seed_same_bytes_on_disk),
        cmocka_unit_test(members_match_households),
        cmocka_unit_test(household_codes_are_documented),
        cmocka_unit_test(design_has_strata_psus_and_varying_weights),
        cmocka_unit_test(weights_add_up_to_the_population_for_any_n),
        cmocka_unit_test_setup_teardown(headcount_matches_march_2019, survey_setup,
                                        survey_teardown),
        cmocka_unit_test_setup_teardown(gini_is_0_38, survey_setup, survey_teardown),
        cmocka_unit_test_setup_teardown(library_indicators_measure_the_same_targets, survey_setup,
                                        survey_teardown),
        cmocka_unit_test_setup_teardown(provinces_are_ordered_like_the_published_table,
                                        survey_setup, survey_teardown),
        cmocka_unit_test_setup_teardown(household_size_is_about_3_9, survey_setup, survey_teardown),
        cmocka_unit_test_setup_teardown(pkh_reaches_ten_million_families_with_mistargeting,
                                        survey_setup, survey_teardown),
        cmocka_unit_test_setup_teardown(pmt_r2_is_like_published_models, survey_setup,
                                        survey_teardown),
        cmocka_unit_test(targets_table_holds_the_published_figures),
        cmocka_unit_test(bad_options_are_refused_with_a_message),
        cmocka_unit_test(unwritable_prefix_leaves_no_file),
        cmocka_unit_test(survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
