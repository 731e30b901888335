/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Programme rules and simulation: presets, the cap, flat benefits and stages, the 2020 top-up,
 * member rosters, poverty impact against hand computations, the budget search, bad rules.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- helpers ---- */

/* A table from named int64 columns (rows given column by column). */
static pkh_table *int_table(const char *const *names, int ncols, const int64_t *cols, int nrows)
{
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    for (int j = 0; j < ncols; j++) {
        assert_int_equal(
            pkh_table_builder_add_int64(b, names[j], cols + j * nrows, NULL, nrows, NULL), PKH_OK);
    }
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    return t;
}

static pkh_table *with_doubles(pkh_table *t, const char *const *names, int ncols,
                               const double *cols)
{
    const int64_t n = pkh_table_num_rows(t);
    pkh_table_builder *b = NULL;
    pkh_table *d = NULL, *out = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    for (int j = 0; j < ncols; j++) {
        assert_int_equal(pkh_table_builder_add_float64(b, names[j], cols + j * n, NULL, n, NULL),
                         PKH_OK);
    }
    assert_int_equal(pkh_table_builder_finish(b, &d, NULL), PKH_OK);
    pkh_table_builder_free(b);
    assert_int_equal(pkh_table_concat_columns(t, d, &out, NULL), PKH_OK);
    pkh_table_free(t);
    pkh_table_free(d);
    return out;
}

static pkh_program *parse(const char *json)
{
    pkh_program *p = NULL;
    pkh_error err;
    const pkh_status st = pkh_program_parse(json, strlen(json), "test.json", NULL, &p, &err);
    if (st != PKH_OK) {
        fail_msg("%s", err.message);
    }
    return p;
}

static pkh_program *preset(const char *name)
{
    pkh_program *p = NULL;
    assert_int_equal(pkh_program_preset(name, NULL, &p, NULL), PKH_OK);
    return p;
}

static bool string_at(const pkh_column *c, int64_t row, const char *want)
{
    const char *s;
    size_t n;
    if (!pkh_column_is_valid(c, row)) {
        return want == NULL;
    }
    pkh_column_dict_value(c, pkh_column_codes(c)[row], &s, &n);
    return want != NULL && strlen(want) == n && memcmp(s, want, n) == 0;
}

/* Estimate of `indicator` for the group whose first key column holds `group` (an int), or
 * for everyone when `group` < 0; `prog` selects the program column when there is one. */
static double estimate(const pkh_table *res, int64_t group, const char *prog, const char *indicator)
{
    const pkh_column *ind = NULL, *est = NULL, *pc = NULL;
    assert_int_equal(pkh_table_column(res, "indicator", &ind, NULL), PKH_OK);
    assert_int_equal(pkh_table_column(res, "estimate", &est, NULL), PKH_OK);
    pkh_table_column(res, "program", &pc, NULL);
    const pkh_column *key = pkh_table_column_at(res, 0);
    const bool has_key = key != ind && key != pc;
    for (int64_t i = 0; i < pkh_table_num_rows(res); i++) {
        if (!string_at(ind, i, indicator)) {
            continue;
        }
        if (pc != NULL && prog != NULL && !string_at(pc, i, prog)) {
            continue;
        }
        if (has_key) {
            const bool whole = !pkh_column_is_valid(key, i);
            if (group < 0 ? !whole : (whole || pkh_column_int64(key)[i] != group)) {
                continue;
            }
        }
        return pkh_column_is_valid(est, i) ? pkh_column_float64(est)[i] : NAN;
    }
    fail_msg("no row for %s (group %lld)", indicator, (long long)group);
    return NAN;
}

static double cell(const pkh_table *t, const char *col, int64_t row)
{
    const pkh_column *c = NULL;
    double v = NAN;
    assert_int_equal(pkh_table_column(t, col, &c, NULL), PKH_OK);
    if (pkh_column_type(c) == PKH_TYPE_BOOL) {
        return pkh_column_bool_bits(c)[row / 8] >> (row % 8) & 1;
    }
    if (pkh_column_get_double(c, row, &v) != PKH_OK) {
        return NAN;
    }
    return v;
}

/* ---- presets ---- */

static void presets_load_with_their_amounts(void **state)
{
    (void)state;
    assert_int_equal(pkh_program_preset_count(), 4);
    for (int64_t i = 0; i < pkh_program_preset_count(); i++) {
        pkh_program *p = preset(pkh_program_preset_name(i));
        assert_string_equal(pkh_program_name(p), pkh_program_preset_name(i));
        assert_true(pkh_program_num_notes(p) >= 3); /* sources and caveats */
        pkh_program_free(p);
    }
    pkh_program *p = preset("pkh-2019");
    assert_int_equal(pkh_program_num_components(p), 7);
    assert_int_equal(pkh_program_cap(p), 4);
    assert_int_equal(pkh_program_num_stages(p), 4);
    pkh_program_component c;
    assert_int_equal(pkh_program_component_at(p, 3, &c), PKH_OK);
    assert_string_equal(c.name, "smp");
    assert_near(c.annual, 1500000, 0);
    assert_string_equal(c.count_column, "n_smp");
    pkh_program_flat f;
    assert_int_equal(pkh_program_flat_at(p, 0, &f), PKH_OK);
    assert_near(f.annual, 550000, 0);
    assert_int_equal(pkh_program_flat_at(p, 2, &f), PKH_EINVAL);
    pkh_program_free(p);

    /* 2020: 3 months at 3,000,000 a year plus 9 at 3,750,000 = 3,562,500 */
    p = preset("pkh-2020");
    assert_int_equal(pkh_program_component_at(p, 0, &c), PKH_OK);
    assert_near(c.annual, 3562500, 1e-6);
    assert_int_equal(pkh_program_num_stages(p), 10);
    assert_int_equal(pkh_program_num_flats(p), 0);
    assert_near(pkh_program_stage_amount(p, 0, 0), 750000, 1e-6);
    assert_near(pkh_program_stage_amount(p, 1, 0), 312500, 1e-6);
    pkh_program_free(p);

    /* ŞNT amounts are monthly: primary girl 40 TL a month = 480 a year, six stages of 80 */
    p = preset("snt-tr");
    assert_string_equal(pkh_program_currency(p), "TRY");
    assert_int_equal(pkh_program_component_at(p, 0, &c), PKH_OK);
    assert_string_equal(c.name, "primary_girl");
    assert_near(c.annual, 480, 1e-9);
    assert_near(pkh_program_stage_amount(p, 2, 0), 80, 1e-9);
    assert_int_equal(pkh_program_cap(p), 0);
    pkh_program_free(p);

    pkh_error err;
    assert_int_equal(pkh_program_preset("pkh-2018", NULL, &p, &err), PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "pkh-2019, pkh-2020, pkh-2021, snt-tr"));
    assert_int_equal(pkh_program_load("pkh-2022", NULL, &p, &err), PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "neither a preset"));
}

/* ---- PKH 2019 by hand ---- */

static const char *const pkh_cols[] = {"hhid",        "weight",    "hhsize",
                                       "n_pregnant",  "n_child06", "n_sd",
                                       "n_smp",       "n_sma",     "n_disabled_severe",
                                       "n_elderly60", "remote"};

/*
 * Family 1: a pregnant mother, two SD children, one SMP child and a grandparent of 65 (and a
 * father). Five counted members, cap four: kept are the highest-paid: pregnant 2,400,000,
 * elderly 2,400,000, SMP 1,500,000 and one SD child 900,000 = 7,200,000; plus the reguler flat
 * benefit 550,000 = 7,750,000 a year. Stages: 7,200,000 / 4 = 1,800,000 each, plus 550,000 in
 * January: 2,350,000 then 1,800,000 three times.
 * Family 2: no component: nothing, and not counted among the families paid.
 * Family 3: an SMA pupil in a PKH Akses family: 2,000,000 + 1,000,000 = 3,000,000.
 */
static pkh_table *pkh_households(void)
{
    const int64_t v[] = {1, 2, 3,  /* hhid */
                         1, 5, 2,  /* weight */
                         6, 2, 3,  /* hhsize */
                         1, 0, 0,  /* pregnant */
                         0, 0, 0,  /* child06 */
                         2, 0, 0,  /* sd */
                         1, 0, 0,  /* smp */
                         0, 0, 1,  /* sma */
                         0, 0, 0,  /* disabled */
                         1, 0, 0,  /* elderly */
                         0, 0, 1}; /* remote */
    return int_table(pkh_cols, 11, v, 3);
}

static void check_family_one(const pkh_table *ph)
{
    assert_true(cell(ph, "eligible", 0));
    assert_near(cell(ph, "count_sd", 0), 2, 0);
    assert_near(cell(ph, "paid_sd", 0), 1, 0);
    assert_near(cell(ph, "paid_pregnant", 0), 1, 0);
    assert_near(cell(ph, "paid_smp", 0), 1, 0);
    assert_near(cell(ph, "paid_elderly", 0), 1, 0);
    assert_near(cell(ph, "amount_sd", 0), 900000, 0);
    assert_near(cell(ph, "amount_elderly", 0), 2400000, 0);
    assert_near(cell(ph, "flat", 0), 550000, 0);
    assert_near(cell(ph, "benefit", 0), 7750000, 0);
    assert_near(cell(ph, "benefit_stage1", 0), 2350000, 0);
    assert_near(cell(ph, "benefit_stage2", 0), 1800000, 0);
    assert_near(cell(ph, "benefit_stage4", 0), 1800000, 0);
}

static void pkh2019_cap_flat_and_stages_by_hand(void **state)
{
    (void)state;
    pkh_table *t = pkh_households(), *res = NULL, *ph = NULL;
    pkh_program *p = preset("pkh-2019");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    const pkh_flag_binding akses = {"akses", "remote"};
    o.weight = "weight";
    o.size = "hhsize";
    o.flags = &akses;
    o.n_flags = 1;
    o.household_key = "hhid";
    pkh_simulate_info info;
    pkh_error err;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, &info, &err), PKH_OK);
    check_family_one(ph);
    assert_near(cell(ph, "hhid", 0), 1, 0);
    assert_false(cell(ph, "eligible", 1));
    assert_near(cell(ph, "benefit", 1), 0, 0);
    assert_near(cell(ph, "flat", 1), 0, 0);
    assert_near(cell(ph, "benefit", 2), 3000000, 0);
    assert_near(cell(ph, "benefit_stage1", 2), 1500000, 0);
    assert_near(cell(ph, "benefit_stage3", 2), 500000, 0);
    /* families: 1 (weight 1) + 2 (family 3's weight); the family with no component is not */
    assert_near(estimate(res, -1, NULL, "families"), 3, 0);
    assert_near(estimate(res, -1, NULL, "persons"), 6 + 2 * 3, 0);
    assert_near(estimate(res, -1, NULL, "budget"), 7750000 + 2 * 3000000.0, 0);
    assert_near(estimate(res, -1, NULL, "budget:reguler"), 550000, 0);
    assert_near(estimate(res, -1, NULL, "budget:akses"), 2000000, 0);
    assert_near(estimate(res, -1, NULL, "members:sd"), 1, 0);
    assert_near(estimate(res, -1, NULL, "budget_stage:1"), 2350000 + 2 * 1500000.0, 1e-6);
    assert_near(estimate(res, -1, NULL, "budget_stage:2"), 1800000 + 2 * 500000.0, 1e-6);
    assert_near(estimate(res, -1, NULL, "average_benefit"), 13750000.0 / 3, 1e-6);
    assert_near(info.families[0], 3, 0);
    assert_near(info.budget[0], 13750000, 0);
    pkh_table_free(res);
    pkh_table_free(ph);

    /* without the flag every family is reguler */
    o.n_flags = 0;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, NULL, &err), PKH_OK);
    assert_near(cell(ph, "benefit", 2), 2550000, 0);
    pkh_table_free(res);
    pkh_table_free(ph);

    /* lifting the cap pays the fifth member: 8,650,000 */
    assert_int_equal(pkh_program_set_cap(p, 0, NULL), PKH_OK);
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, NULL, &err), PKH_OK);
    assert_near(cell(ph, "benefit", 0), 8650000, 0);
    pkh_table_free(res);
    pkh_table_free(ph);

    /* raising SMP to 2,600,000 makes it the highest-paid: SD then drops out of the four */
    assert_int_equal(pkh_program_set_cap(p, 4, NULL), PKH_OK);
    assert_int_equal(pkh_program_set_amount(p, "smp", 2600000, NULL), PKH_OK);
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, NULL, &err), PKH_OK);
    assert_near(cell(ph, "paid_sd", 0), 1, 0);
    assert_near(cell(ph, "benefit", 0), 2600000 + 2400000 + 2400000 + 900000 + 550000.0, 0);
    pkh_table_free(res);
    pkh_table_free(ph);
    assert_int_equal(pkh_program_set_amount(p, "nope", 1, &err), PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "smp"));
    assert_int_equal(pkh_program_set_amount(p, "smp", -1, &err), PKH_EINVAL);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* The same families from a member roster: each person a row. */
static pkh_table *pkh_members(void)
{
    static const char *const names[] = {
        "hhid", "age", "sex", "school", "attending", "pregnant", "disabled_severe"};
    /* family 1: father 35, mother 30 (pregnant), SD 8, SD 10, SMP 13, grandmother 65;
     * family 2: a couple of 40; family 3: an SMA pupil of 16 and her mother;
     * family 9 does not exist: its row matches no household */
    const int64_t v[] = {1,  1,  1, 1,  1,  1,  2,  2,  3,  3,  9,  /* hhid */
                         35, 30, 8, 10, 13, 65, 40, 40, 16, 45, 5,  /* age */
                         1,  2,  1, 2,  1,  2,  1,  2,  2,  2,  1,  /* sex */
                         3,  3,  1, 1,  2,  0,  2,  2,  3,  1,  0,  /* school */
                         0,  0,  1, 1,  1,  0,  0,  0,  1,  0,  0,  /* attending */
                         0,  1,  0, 0,  0,  0,  0,  0,  0,  0,  0,  /* pregnant */
                         0,  0,  0, 0,  0,  0,  0,  0,  0,  0,  0}; /* disabled */
    return int_table(names, 7, v, 11);
}

static void pkh2019_from_a_member_roster(void **state)
{
    (void)state;
    pkh_table *t = pkh_households(), *m = pkh_members(), *res = NULL, *ph = NULL;
    pkh_program *p = preset("pkh-2019");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.weight = "weight";
    o.size = "hhsize";
    o.members = m;
    o.member_key = "hhid";
    pkh_simulate_info info;
    pkh_error err;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, &info, &err), PKH_OK);
    check_family_one(ph);
    assert_near(cell(ph, "count_smp", 0), 1, 0);
    assert_near(cell(ph, "count_child06", 0), 0, 0);
    assert_near(cell(ph, "benefit", 1), 0, 0);
    assert_near(cell(ph, "benefit", 2), 2550000, 0);
    assert_int_equal(info.members, 11);
    assert_int_equal(info.members_unmatched, 1);
    pkh_table_free(res);
    pkh_table_free(ph);
    /* --strict: the unmatched member row is an error naming its row */
    o.strict = 1;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "1 member rows (0 without a key) match no household"));
    assert_non_null(strstr(err.message, "data row 11"));
    pkh_program_free(p);
    pkh_table_free(t);
    pkh_table_free(m);
}

/* A member in two components counts once, for the higher-paid (ties: the one listed first). */
static void roster_counts_each_member_once(void **state)
{
    (void)state;
    static const char *const hn[] = {"id"};
    static const char *const mn[] = {"id", "age", "disabled"};
    const int64_t hv[] = {7};
    const int64_t mv[] = {7, 7, 7, 70, 70, 9, 1, 0, 1};
    pkh_table *t = int_table(hn, 1, hv, 1), *m = int_table(mn, 3, mv, 3), *res = NULL;
    pkh_table *ph = NULL;
    pkh_program *p = parse(
        "{\"currency\": \"X\", \"components\": ["
        " {\"name\": \"old\", \"amount\": 100, \"member\": \"age >= 60\"},"
        " {\"name\": \"dis\", \"amount\": 150, \"member\": \"disabled == 1\"}]}");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.members = m;
    o.member_key = "id";
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, NULL, NULL), PKH_OK);
    /* 70 and disabled -> dis (150); 70 -> old; 9 and disabled -> dis */
    assert_near(cell(ph, "count_old", 0), 1, 0);
    assert_near(cell(ph, "count_dis", 0), 2, 0);
    assert_near(cell(ph, "benefit", 0), 400, 0);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_program_free(p);
    pkh_table_free(m);
    pkh_table_free(t);
}

/* A member condition may name a household column (joined onto the members by the key);
 * string keys work; "keep": "listed" keeps the components listed first when the cap binds. */
static void roster_joins_household_columns(void **state)
{
    (void)state;
    pkh_table_builder *b = NULL;
    pkh_table *h = NULL, *m = NULL, *res = NULL, *ph = NULL;
    const char *hid[] = {"a", "b"}, *mid[] = {"b", "a", "a", "zz", NULL};
    const int64_t rural[] = {1, 0}, age[] = {70, 65, 8, 9, 10};
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "id", hid, 2, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "rural", rural, NULL, 2, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &h, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_strings(b, "id", mid, 5, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "age", age, NULL, 5, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &m, NULL), PKH_OK);
    pkh_table_builder_free(b);
    pkh_program *p = parse(
        "{\"currency\": \"X\", \"cap\": {\"members\": 1, \"keep\": \"listed\"}, "
        "\"components\": ["
        " {\"name\": \"kid\", \"amount\": 10, \"member\": \"age < 18\"},"
        " {\"name\": \"rural_old\", \"amount\": 100, \"member\": \"age >= 60 && rural == 1\"}]}");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    pkh_simulate_info info;
    o.members = m;
    o.member_key = "id";
    assert_int_equal(pkh_program_simulate(p, NULL, h, &o, &res, &ph, &info, NULL), PKH_OK);
    /* a: rural, a member of 65 and a child of 8: cap 1, listed first: the child (10) */
    assert_near(cell(ph, "count_rural_old", 0), 1, 0);
    assert_near(cell(ph, "count_kid", 0), 1, 0);
    assert_near(cell(ph, "benefit", 0), 10, 0);
    /* b: urban, 70: no component */
    assert_near(cell(ph, "benefit", 1), 0, 0);
    assert_int_equal(info.members_unmatched, 2); /* "zz" and the missing key */
    assert_int_equal(info.members_missing_key, 1);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_program_free(p);
    pkh_table_free(h);
    pkh_table_free(m);
}

/* ---- 2020 ---- */

/* A pregnant mother and an SD pupil under pkh-2020: pregnant 3,000,000 x 3/12 + 3,750,000 x
 * 9/12 = 750,000 + 2,812,500; SD 900,000 x 3/12 + 1,125,000 x 9/12 = 225,000 + 843,750.
 * Total 4,631,250; January (Jan-Mar) 975,000; April (and every month after) 406,250. */
static void pkh2020_topup_by_hand(void **state)
{
    (void)state;
    const int64_t v[] = {1, 1, 2, 1, 0, 1, 0, 0, 0, 0, 0};
    pkh_table *t = int_table(pkh_cols, 11, v, 1), *res = NULL, *ph = NULL;
    pkh_program *p = preset("pkh-2020");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, NULL, NULL), PKH_OK);
    assert_near(cell(ph, "benefit", 0), 4631250, 1e-6);
    assert_near(cell(ph, "flat", 0), 0, 0);
    assert_near(cell(ph, "benefit_stage1", 0), 975000, 1e-6);
    assert_near(cell(ph, "benefit_stage2", 0), 406250, 1e-6);
    assert_near(cell(ph, "benefit_stage10", 0), 406250, 1e-6);
    assert_near(estimate(res, -1, NULL, "budget_stage:10"), 406250, 1e-6);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* ---- poverty impact by hand ---- */

static const char kid_rules[] =
    "{\"name\": \"kid\", \"currency\": \"X\",\n"
    " \"components\": [{\"name\": \"kid\", \"amount\": 1200, \"count\": \"n_kid\"}]}\n";

/*
 * Four households, line 100 a person a month, 1,200 a year per child (100 a month):
 *   h  w  size  y(month)  kids  benefit  added (b / 12 / size)  after
 *   1  1  2     40        1     1200     50                     90
 *   2  2  1     80        1     1200     100                    180
 *   3  1  4     150       2     2400     50                     200
 *   4  3  2     60        0     0        0                      60
 * Persons (w x size) 2, 2, 4, 6: 14.
 * Before: poor 1, 2, 4: P0 = 10/14, P1 = (2(.6) + 2(.2) + 6(.4))/14 = 4/14,
 *         P2 = (2(.36) + 2(.04) + 6(.16))/14 = 1.76/14.
 * After:  poor 1, 4: P0 = 8/14, P1 = (2(.1) + 6(.4))/14 = 2.6/14, P2 = (2(.01) + 6(.16))/14.
 * Lifted: household 2, 2 persons. Families paid 1 + 2 + 1 = 4, persons 8, budget 6,000.
 * Gap a year: before 12 (2(60) + 2(20) + 6(40)) = 4,800; after 12 (2(10) + 6(40)) = 3,120;
 * closed 1,680 per 6,000 spent = 0.28. Budget to the poor: 1,200 + 2,400 = 0.6 of it.
 * Share of the families' consumption: 6,000 / (12 (1(40)(2) + 2(80)(1) + 1(150)(4))) = 6000/10080.
 * Gini = sum_ij W_i W_j |y_i - y_j| / (2 W^2 mean), over persons:
 *   before: pairs 40-80 (4 x 40), 40-150 (8 x 110), 40-60 (12 x 20), 80-150 (8 x 70),
 *   80-60 (12 x 20), 150-60 (24 x 90): 4240; G = 2 (4240) / (2 (14)(1200)) = 8480/33600.
 *   after: 90-180 (4 x 90), 90-200 (8 x 110), 90-60 (12 x 30), 180-200 (8 x 20),
 *   180-60 (12 x 120), 200-60 (24 x 140): 6560; G = 13120 / (2 (14)(1700)) = 13120/47600.
 */
static pkh_table *kid_households(void)
{
    static const char *const in[] = {"id", "w", "size", "n_kid", "score"};
    static const char *const dn[] = {"y", "line"};
    const int64_t iv[] = {1, 2, 3, 4, 1, 2, 1, 3, 2, 1, 4, 2, 1, 1, 2, 0, 1, 2, 3, 0};
    const double dv[] = {40, 80, 150, 60, 100, 100, 100, 100};
    return with_doubles(int_table(in, 5, iv, 4), dn, 2, dv);
}

static void poverty_change_matches_hand_computation(void **state)
{
    (void)state;
    pkh_table *t = kid_households(), *res = NULL, *ph = NULL;
    pkh_program *p = parse(kid_rules);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.income = "y";
    o.weight = "w";
    o.size = "size";
    o.line.kind = PKH_LINE_VALUE;
    o.line.value = 100;
    pkh_simulate_info info;
    pkh_error err;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, &info, &err), PKH_OK);
    const double e = 1e-14;
    assert_near(estimate(res, -1, NULL, "families"), 4, 0);
    assert_near(estimate(res, -1, NULL, "persons"), 8, 0);
    assert_near(estimate(res, -1, NULL, "budget"), 6000, 0);
    assert_near(estimate(res, -1, NULL, "fgt0_before"), 10.0 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt1_before"), 4.0 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt2_before"), 1.76 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt0_after"), 8.0 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt1_after"), 2.6 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt2_after"), 0.98 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt0_change"), -2.0 / 14, e);
    assert_near(estimate(res, -1, NULL, "fgt1_change"), -1.4 / 14, e);
    assert_near(estimate(res, -1, NULL, "poor_before"), 10, e);
    assert_near(estimate(res, -1, NULL, "poor_after"), 8, e);
    assert_near(estimate(res, -1, NULL, "lifted"), 2, e);
    assert_near(estimate(res, -1, NULL, "gap_before"), 4800, 1e-9);
    assert_near(estimate(res, -1, NULL, "gap_after"), 3120, 1e-9);
    assert_near(estimate(res, -1, NULL, "perfect_targeting_budget"), 4800, 1e-9);
    assert_near(estimate(res, -1, NULL, "gap_reduction_per_unit"), 0.28, e);
    assert_near(estimate(res, -1, NULL, "budget_share_poor"), 0.6, e);
    assert_near(estimate(res, -1, NULL, "benefit_share"), 6000.0 / 10080, e);
    assert_near(estimate(res, -1, NULL, "gini_before"), 8480.0 / 33600, e);
    assert_near(estimate(res, -1, NULL, "gini_after"), 13120.0 / 47600, e);
    assert_near(cell(ph, "welfare_after", 0), 90, e);
    assert_near(cell(ph, "welfare_after", 1), 180, e);
    assert_int_equal(info.used, 4);
    pkh_table_free(res);
    pkh_table_free(ph);

    /* annual welfare: the same money adds 12 times as much per period */
    o.period = PKH_PERIOD_YEAR;
    o.line.value = 1200;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_OK);
    /* y/line: 40/1200 ...: everyone poor; household 2 gets 1200 -> 1280 >= 1200: lifted */
    assert_near(estimate(res, -1, NULL, "fgt0_before"), 1, e);
    assert_near(estimate(res, -1, NULL, "lifted"), 2, e);
    pkh_table_free(res);

    /* the observed benefit is taken out first: with observed = simulated, "before" is y - add */
    static const char *const on[] = {"obs"};
    const double ov[] = {1200, 1200, 2400, 0};
    pkh_table *t2 = with_doubles(kid_households(), on, 1, ov);
    o.period = PKH_PERIOD_MONTH;
    o.line.value = 100;
    o.observed_benefit = "obs";
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, &ph, NULL, &err), PKH_OK);
    assert_near(cell(ph, "welfare_before", 1), -20, e);
    assert_near(cell(ph, "welfare_after", 1), 80, e);
    assert_near(estimate(res, -1, NULL, "fgt0_after"), 10.0 / 14, e);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_table_free(t2);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* Equivalised annual welfare (TURKSTAT, Eurostat): money changes welfare per equivalent adult.
 * One household of 4 persons, 2.1 equivalent adults (OECD-modified: 2 adults, 2 children),
 * income 500 a year per equivalent adult, line 600; two children at 105 a year: 210 / 2.1 =
 * 100 more per equivalent adult: 600, not poor (poor is strictly below). The gap was
 * 2.1 x 100 = 210 a year: every unit spent closed the gap. */
static void equivalised_welfare(void **state)
{
    (void)state;
    static const char *const in[] = {"id", "w", "size", "n_kid"};
    static const char *const dn[] = {"y", "eq"};
    const int64_t iv[] = {1, 1, 4, 2};
    const double dv[] = {500, 2.1};
    pkh_table *t = with_doubles(int_table(in, 4, iv, 1), dn, 2, dv), *res = NULL;
    pkh_program *p = parse(
        "{\"currency\": \"TRY\", \"components\": [{\"name\": \"kid\", "
        "\"amount\": 105, \"count\": \"n_kid\"}]}");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.income = "y";
    o.weight = "w";
    o.size = "size";
    o.scale = "eq";
    o.period = PKH_PERIOD_YEAR;
    o.line.kind = PKH_LINE_VALUE;
    o.line.value = 600;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, NULL), PKH_OK);
    assert_near(estimate(res, -1, NULL, "fgt0_before"), 1, 0);
    assert_near(estimate(res, -1, NULL, "fgt0_after"), 0, 0);
    assert_near(estimate(res, -1, NULL, "lifted"), 4, 0);
    assert_near(estimate(res, -1, NULL, "gap_before"), 210, 1e-9);
    assert_near(estimate(res, -1, NULL, "gap_reduction_per_unit"), 1, 1e-12);
    assert_near(estimate(res, -1, NULL, "benefit_share"), 210.0 / 1050, 1e-15);
    pkh_table_free(res);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* Groups add up to the whole, and the lines of every group are the same fixed line. */
static void groups_add_up(void **state)
{
    (void)state;
    pkh_table *t = kid_households(), *res = NULL;
    pkh_program *p = parse(kid_rules);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    const char *by[] = {"size"};
    o.income = "y";
    o.weight = "w";
    o.size = "size";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "line";
    o.by = by;
    o.n_by = 1;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, NULL), PKH_OK);
    /* sizes 1 (household 2), 2 (1 and 4), 4 (3) */
    assert_near(estimate(res, 1, NULL, "budget"), 2400, 0);
    assert_near(estimate(res, 2, NULL, "budget"), 1200, 0);
    assert_near(estimate(res, 4, NULL, "budget"), 2400, 0);
    assert_near(estimate(res, 2, NULL, "fgt0_before"), 1, 0);
    assert_near(estimate(res, 2, NULL, "fgt0_after"), 1, 0);
    assert_near(estimate(res, 2, NULL, "fgt1_after"), (2 * 0.1 + 6 * 0.4) / 8, 1e-15);
    assert_near(estimate(res, 1, NULL, "lifted"), 2, 0);
    assert_near(estimate(res, 4, NULL, "gini_before"), 0, 0);
    assert_near(estimate(res, -1, NULL, "lifted"), 2, 0);
    pkh_table_free(res);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* ---- the budget search ---- */

/*
 * Scores 1, 2, 3, 0 (household 4 has no child, so it is never a candidate). Costs (w x
 * benefit): household 1 1,200; 2 2,400; 3 2,400.
 */
static void budget_search_spends_no_more_than_the_budget(void **state)
{
    (void)state;
    pkh_table *t = kid_households(), *res = NULL, *ph = NULL;
    pkh_program *p = parse(kid_rules);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.weight = "w";
    o.size = "size";
    o.eligibility.kind = PKH_SELECT_BUDGET;
    o.eligibility.column = "score";
    pkh_simulate_info info;
    pkh_error err;
    const double budgets[] = {1200, 3599, 3600, 3700, 5999, 6000, 1e9};
    const double spent[] = {1200, 1200, 3600, 3600, 3600, 6000, 6000};
    const double cut[] = {2, 2, 3, 3, 3, NAN, NAN};
    for (size_t k = 0; k < sizeof budgets / sizeof budgets[0]; k++) {
        o.eligibility.value = budgets[k];
        assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, &ph, &info, &err), PKH_OK);
        assert_true(info.budget[0] <= budgets[k]);
        assert_near(info.budget[0], spent[k], 0);
        assert_near(estimate(res, -1, NULL, "budget"), spent[k], 0);
        if (isnan(cut[k])) {
            assert_true(isnan(info.cutoff[0]));
        } else {
            assert_near(info.cutoff[0], cut[k], 0);
        }
        pkh_table_free(res);
        pkh_table_free(ph);
    }
    /* a budget smaller than one benefit */
    o.eligibility.value = 1199;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "a budget of 1199 X pays for no family"));
    /* at most N families, and a quota of all families (7 in all) */
    o.eligibility.kind = PKH_SELECT_FAMILIES;
    o.eligibility.value = 3;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, &info, &err), PKH_OK);
    assert_near(info.families[0], 3, 0);
    assert_near(info.cutoff[0], 3, 0);
    pkh_table_free(res);
    o.eligibility.kind = PKH_SELECT_QUOTA;
    o.eligibility.value = 0.5; /* 3.5 families */
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, &info, &err), PKH_OK);
    assert_near(info.families[0], 3, 0);
    pkh_table_free(res);
    o.eligibility.value = 1.5;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, &info, &err), PKH_EINVAL);
    o.eligibility.kind = PKH_SELECT_CUTOFF;
    o.eligibility.value = 2; /* strictly below: household 1 only */
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, &info, &err), PKH_OK);
    assert_near(info.families[0], 1, 0);
    pkh_table_free(res);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* Tied scores are taken or left together. */
static void budget_search_keeps_ties_together(void **state)
{
    (void)state;
    static const char *const in[] = {"id", "w", "size", "n_kid", "score"};
    const int64_t iv[] = {1, 2, 3, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 2, 2};
    pkh_table *t = int_table(in, 5, iv, 3), *res = NULL;
    pkh_program *p = parse(kid_rules);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.weight = "w";
    o.eligibility.kind = PKH_SELECT_BUDGET;
    o.eligibility.column = "score";
    o.eligibility.value = 5000; /* 1,200 + (2,400 + 2,400 tied) = 6,000 > 5,000 */
    pkh_simulate_info info;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, &info, NULL), PKH_OK);
    assert_near(info.budget[0], 1200, 0);
    assert_near(info.cutoff[0], 2, 0);
    pkh_table_free(res);
    pkh_program_free(p);
    pkh_table_free(t);
}

/* ---- two programmes ---- */

static void compare_gives_differences(void **state)
{
    (void)state;
    pkh_table *t = kid_households(), *res = NULL;
    pkh_program *p = parse(kid_rules), *q = parse(kid_rules);
    assert_int_equal(pkh_program_set_amount(q, "kid", 2400, NULL), PKH_OK);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.income = "y";
    o.weight = "w";
    o.size = "size";
    o.line.kind = PKH_LINE_VALUE;
    o.line.value = 100;
    assert_int_equal(pkh_program_simulate(p, q, t, &o, &res, NULL, NULL, NULL), PKH_OK);
    assert_near(estimate(res, -1, "kid", "budget"), 6000, 0);
    assert_near(estimate(res, -1, "kid (compare)", "budget"), 12000, 0);
    assert_near(estimate(res, -1, "difference", "budget"), 6000, 0);
    /* doubled: household 1 gets 100 a person a month -> 140: lifted too */
    assert_near(estimate(res, -1, "difference", "lifted"), 2, 0);
    pkh_table_free(res);
    pkh_program_free(p);
    pkh_program_free(q);
    pkh_table_free(t);
}

/* ---- bad rules ---- */

static void bad_rules_are_reported_where_they_are(void **state)
{
    (void)state;
    pkh_program *p = NULL;
    pkh_error err;
    const char *syntax =
        "{\n  \"currency\": \"IDR\",\n  \"components\": [\n    {\"name\": \"sd\" "
        "\"amount\": 1}\n  ]\n}\n";
    assert_int_equal(pkh_program_parse(syntax, strlen(syntax), "r.json", NULL, &p, &err),
                     PKH_EPARSE);
    assert_non_null(strstr(err.message, "r.json:4:26:"));
    assert_int_equal(err.line, 4);

    const char *unknown = "{\"currency\": \"IDR\",\n \"componets\": []}";
    assert_int_equal(pkh_program_parse(unknown, strlen(unknown), "r.json", NULL, &p, &err),
                     PKH_EINVAL);
    assert_non_null(strstr(err.message,
                           "r.json:2:2: componets: unknown field \"componets\" in "
                           "the programme: did you mean \"components\"?"));

    const char *negative =
        "{\"currency\": \"IDR\", \"components\": [\n"
        "  {\"name\": \"sd\", \"amount\": 900000, \"count\": \"n_sd\"},\n"
        "  {\"name\": \"smp\", \"amount\": -5, \"count\": \"n_smp\"}]}";
    assert_int_equal(pkh_program_parse(negative, strlen(negative), "r.json", NULL, &p, &err),
                     PKH_EINVAL);
    assert_non_null(strstr(err.message, "r.json:3:29: components[1].amount: a negative amount"));

    const char *unknown_comp =
        "{\"currency\": \"IDR\", \"components\": [{\"name\": \"sd\", \"amount\": 1, \"count\": "
        "\"n\"}],\n \"stages\": [{\"name\": \"a\", \"amounts\": {\"smp\": 2}}]}";
    assert_int_equal(
        pkh_program_parse(unknown_comp, strlen(unknown_comp), "r.json", NULL, &p, &err),
        PKH_EINVAL);
    assert_non_null(strstr(err.message,
                           "r.json:2:39: stages[0].amounts.smp: unknown component "
                           "\"smp\""));

    const char *bad_expr =
        "{\"currency\": \"IDR\", \"components\": [\n"
        "  {\"name\": \"sd\", \"amount\": 1, \"member\": \"age <= = 6\"}]}";
    assert_int_equal(pkh_program_parse(bad_expr, strlen(bad_expr), "r.json", NULL, &p, &err),
                     PKH_EPARSE);
    assert_non_null(strstr(err.message, "r.json:2:"));
    assert_non_null(strstr(err.message, "components[0].member: in expression"));

    const char *months =
        "{\"currency\": \"IDR\", \"components\": [{\"name\": \"a\", \"amount\": "
        "1, \"count\": \"n\"}], \"stages\": [{\"name\": \"x\", \"months\": 3}, "
        "{\"name\": \"y\", \"months\": 3}]}";
    assert_int_equal(pkh_program_parse(months, strlen(months), "r.json", NULL, &p, &err),
                     PKH_EINVAL);
    assert_non_null(strstr(err.message, "the stages cover 6 months, not 12"));

    const char *nothing = "{\"currency\": \"IDR\"}";
    assert_int_equal(pkh_program_parse(nothing, strlen(nothing), "r.json", NULL, &p, &err),
                     PKH_EINVAL);
    const char *dup = "{\"currency\": \"IDR\", \"currency\": \"TRY\"}";
    assert_int_equal(pkh_program_parse(dup, strlen(dup), "r.json", NULL, &p, &err), PKH_EPARSE);
    assert_non_null(strstr(err.message, "duplicate object key"));
    const char *twice =
        "{\"currency\": \"IDR\", \"components\": [{\"name\": \"a\", \"amount\": "
        "1, \"count\": \"n\"}, {\"name\": \"a\", \"amount\": 2, \"count\": \"m\"}]}";
    assert_int_equal(pkh_program_parse(twice, strlen(twice), "r.json", NULL, &p, &err),
                     PKH_EDUPLICATE);
    assert_int_equal(pkh_program_read_path("/nonexistent/rules.json", NULL, &p, &err),
                     PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "/nonexistent/rules.json: cannot open"));
}

static void bad_data_is_reported(void **state)
{
    (void)state;
    pkh_table *t = kid_households(), *res = NULL;
    pkh_error err;
    /* a member condition naming a column the members do not have: where in the rules file */
    pkh_program *p = parse(
        "{\"currency\": \"X\", \"components\": [\n"
        "  {\"name\": \"kid\", \"amount\": 1, \"member\": \"agee < 6\"}]}");
    static const char *const mn[] = {"id", "age"};
    const int64_t mv[] = {1, 5};
    pkh_table *m = int_table(mn, 2, mv, 1);
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.members = m;
    o.member_key = "id";
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "test.json:2:"));
    assert_non_null(strstr(err.message, "component \"kid\": member condition, on the members"));
    assert_non_null(strstr(err.message, "agee"));
    /* without a roster, a component with no count column */
    o.members = NULL;
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "give the member roster"));
    pkh_program_free(p);
    pkh_table_free(m);

    /* a condition that is not true/false */
    p = parse(
        "{\"currency\": \"X\", \"components\": [{\"name\": \"kid\", \"amount\": 1, "
        "\"count\": \"n_kid\"}], \"eligibility\": {\"condition\": \"size + 1\"}}");
    assert_int_equal(pkh_program_simulate(p, NULL, t, &o, &res, NULL, NULL, &err), PKH_ETYPE);
    assert_non_null(strstr(err.message, "gives int64 values, not true or false"));
    pkh_program_free(p);

    /* a negative count, a missing count column, a negative weight */
    p = parse(kid_rules);
    o.weight = "score";
    static const char *const dn[] = {"neg"};
    const double dv[] = {1, -2, 1, 1};
    pkh_table *t2 = with_doubles(kid_households(), dn, 1, dv);
    o.weight = "neg";
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message,
                           "negative or invalid weight in column \"neg\" at data "
                           "row 2"));
    o.weight = NULL;
    o.income = "y";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "nope";
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, NULL, NULL, &err), PKH_ENOTFOUND);
    pkh_program_free(p);
    p = parse(
        "{\"currency\": \"X\", \"components\": [{\"name\": \"kid\", \"amount\": 1, "
        "\"count\": \"neg\"}]}");
    o.line.kind = PKH_LINE_NONE;
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "a negative count in column \"neg\" at data row 2"));
    pkh_program_free(p);
    p = parse(
        "{\"currency\": \"X\", \"components\": [{\"name\": \"kid\", \"amount\": 1, "
        "\"count\": \"n_kids\"}]}");
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, NULL, NULL, &err), PKH_ENOTFOUND);
    assert_non_null(strstr(err.message, "test.json:1:"));
    assert_non_null(strstr(err.message,
                           "component \"kid\" counts the household column "
                           "\"n_kids\""));
    /* a flag the programme does not have */
    const pkh_flag_binding f = {"akses", "neg"};
    o.flags = &f;
    o.n_flags = 1;
    assert_int_equal(pkh_program_simulate(p, NULL, t2, &o, &res, NULL, NULL, &err), PKH_EINVAL);
    assert_non_null(strstr(err.message, "has no flag \"akses\""));
    pkh_program_free(p);
    pkh_table_free(t2);
    pkh_table_free(t);
}

/* ---- synthetic data: roster vs counts, threads ---- */

static bool is_true(const pkh_table *t, const char *col, int64_t i)
{
    const pkh_column *c = NULL;
    pkh_table_column(t, col, &c, NULL);
    return pkh_column_int64(c)[i] != 0;
}

static int64_t ival(const pkh_table *t, const char *col, int64_t i)
{
    const pkh_column *c = NULL;
    assert_int_equal(pkh_table_column(t, col, &c, NULL), PKH_OK);
    return pkh_column_int64(c)[i];
}

/* Members counted from the roster equal, household by household and component by component,
 * a direct assignment of each member to the first component that holds in PKH 2019's order
 * of amounts (2,400,000: pregnant, child06, disabled, elderly; then SMA, SMP, SD). */
static void roster_agrees_with_direct_counts(void **state)
{
    (void)state;
    pkh_synth_options so = PKH_SYNTH_OPTIONS_INIT;
    so.households = 3000;
    pkh_table *h = NULL, *m = NULL, *res = NULL, *ph = NULL, *res1 = NULL, *ph1 = NULL;
    assert_int_equal(pkh_synth_generate(&so, &h, &m, NULL), PKH_OK);
    const int64_t nh = pkh_table_num_rows(h), nm = pkh_table_num_rows(m);
    int64_t *want = calloc((size_t)nh * 7 + 1, sizeof *want);
    for (int64_t j = 0; j < nm; j++) {
        const int64_t hh = ival(m, "hhid", j) - 1, age = ival(m, "age", j);
        const bool att = is_true(m, "attending", j);
        const int64_t sch = ival(m, "school", j);
        /* component index in the file's order: 0 pregnant 1 child06 2 sd 3 smp 4 sma
         * 5 disabled 6 elderly */
        const bool holds[7] = {is_true(m, "pregnant", j),
                               age <= 6 && !att,
                               att && sch == 1,
                               att && sch == 2,
                               att && sch == 3,
                               is_true(m, "disabled_severe", j),
                               age >= 60};
        static const int order[7] = {0, 1, 5, 6, 4, 3, 2};
        for (int r = 0; r < 7; r++) {
            if (holds[order[r]]) {
                want[hh * 7 + order[r]]++;
                break;
            }
        }
    }
    pkh_program *p = preset("pkh-2019");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    o.members = m;
    o.member_key = "hhid";
    o.weight = "weight";
    o.size = "hhsize";
    o.income = "pcexp";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "povline";
    const char *by[] = {"prov_code"};
    o.by = by;
    o.n_by = 1;
    o.threads = 2;
    assert_int_equal(pkh_program_simulate(p, NULL, h, &o, &res, &ph, NULL, NULL), PKH_OK);
    static const char *const comps[] = {"pregnant", "child06",  "sd",     "smp",
                                        "sma",      "disabled", "elderly"};
    for (int64_t i = 0; i < nh; i++) {
        for (int k = 0; k < 7; k++) {
            char name[32];
            snprintf(name, sizeof name, "count_%s", comps[k]);
            assert_int_equal((int64_t)cell(ph, name, i), want[i * 7 + k]);
        }
        /* pkh synth's count columns agree where no higher component can come first */
        assert_int_equal((int64_t)cell(ph, "count_child06", i), ival(h, "n_child06", i));
        assert_int_equal((int64_t)cell(ph, "count_pregnant", i), ival(h, "n_pregnant", i));
    }
    /* one thread gives the same bytes */
    o.threads = 1;
    assert_int_equal(pkh_program_simulate(p, NULL, h, &o, &res1, &ph1, NULL, NULL), PKH_OK);
    const pkh_column *e0 = NULL, *e1 = NULL;
    pkh_table_column(res, "estimate", &e0, NULL);
    pkh_table_column(res1, "estimate", &e1, NULL);
    assert_int_equal(pkh_table_num_rows(res), pkh_table_num_rows(res1));
    assert_memory_equal(pkh_column_float64(e0), pkh_column_float64(e1),
                        (size_t)pkh_table_num_rows(res) * sizeof(double));
    /* the provinces' budgets add up to the whole */
    double sum = 0;
    const pkh_column *ind = NULL, *key = pkh_table_column_at(res, 0);
    pkh_table_column(res, "indicator", &ind, NULL);
    for (int64_t i = 0; i < pkh_table_num_rows(res); i++) {
        if (string_at(ind, i, "budget") && pkh_column_is_valid(key, i)) {
            sum += pkh_column_float64(e0)[i];
        }
    }
    assert_near(sum, estimate(res, -1, NULL, "budget"), 1e-6);
    free(want);
    pkh_table_free(res);
    pkh_table_free(ph);
    pkh_table_free(res1);
    pkh_table_free(ph1);
    pkh_program_free(p);
    pkh_table_free(h);
    pkh_table_free(m);
}

/* ---- standard errors against R survey ---- */

/* 51 estimates and linearised SEs (everyone, urban, rural) computed by
 * tests/data/program/ref_program.R with R's survey package and its own benefit code. */
static void standard_errors_match_r_survey(void **state)
{
    (void)state;
    pkh_table *h = NULL, *ref = NULL, *res = NULL;
    pkh_error err;
    assert_int_equal(
        pkh_csv_read_path(test_data("program/design_households.csv"), NULL, &h, NULL, &err),
        PKH_OK);
    pkh_csv_options ro = PKH_CSV_OPTIONS_INIT;
    const pkh_csv_type types[] = {{"group", PKH_TYPE_DICT}};
    ro.types = types;
    ro.n_types = 1;
    assert_int_equal(
        pkh_csv_read_path(test_data("program/ref_simulate_se.csv"), &ro, &ref, NULL, &err), PKH_OK);
    pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
    spec.strata = "strata";
    spec.psu = "psu";
    pkh_design *d = NULL;
    assert_int_equal(pkh_design_new(h, &spec, &d, &err), PKH_OK);
    pkh_program *p = preset("pkh-2019");
    pkh_simulate_options o = PKH_SIMULATE_OPTIONS_INIT;
    const char *by[] = {"urban"};
    o.income = "pcexp";
    o.weight = "weight";
    o.size = "hhsize";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "povline";
    o.eligibility.kind = PKH_SELECT_RECIPIENT;
    o.eligibility.column = "pkh";
    o.by = by;
    o.n_by = 1;
    o.design = d;
    pkh_simulate_info info;
    assert_int_equal(pkh_program_simulate(p, NULL, h, &o, &res, NULL, &info, &err), PKH_OK);
    assert_int_equal(info.se, 1);
    const pkh_column *g = NULL, *ind = NULL, *est = NULL, *se = NULL;
    pkh_table_column(ref, "group", &g, NULL);
    pkh_table_column(ref, "indicator", &ind, NULL);
    pkh_table_column(ref, "estimate", &est, NULL);
    pkh_table_column(ref, "se", &se, NULL);
    const pkh_column *rse = NULL, *rind = NULL, *rkey = pkh_table_column_at(res, 0);
    pkh_table_column(res, "se", &rse, NULL);
    pkh_table_column(res, "indicator", &rind, NULL);
    int64_t checked = 0;
    for (int64_t i = 0; i < pkh_table_num_rows(ref); i++) {
        const char *s;
        size_t n;
        char name[64];
        pkh_column_dict_value(ind, pkh_column_codes(ind)[i], &s, &n);
        snprintf(name, sizeof name, "%.*s", (int)n, s);
        int64_t group = -1;
        if (pkh_column_is_valid(g, i)) {
            pkh_column_dict_value(g, pkh_column_codes(g)[i], &s, &n);
            group = s[0] - '0';
        }
        const double want = pkh_column_float64(est)[i], want_se = pkh_column_float64(se)[i];
        assert_near(estimate(res, group, NULL, name), want, 1e-9 * fabs(want));
        for (int64_t r = 0; r < pkh_table_num_rows(res); r++) {
            const bool whole = !pkh_column_is_valid(rkey, r);
            if (string_at(rind, r, name) &&
                (group < 0 ? whole : !whole && pkh_column_int64(rkey)[r] == group)) {
                assert_near(pkh_column_float64(rse)[r], want_se, 1e-9 * want_se);
                checked++;
            }
        }
    }
    assert_int_equal(checked, 51);
    /* intervals: estimate -+ t(0.975, df) se */
    const pkh_column *lo = NULL;
    pkh_table_column(res, "ci_low", &lo, NULL);
    const double t = pkh_t_quantile(0.975, (double)pkh_design_df(d));
    assert_near(pkh_column_float64(lo)[0],
                pkh_column_float64(est)[0] - t * pkh_column_float64(se)[0], 1e-6);
    pkh_table_free(res);
    /* a design of another table is refused */
    pkh_table *small = kid_households();
    pkh_program *kid = parse(kid_rules);
    pkh_simulate_options o2 = PKH_SIMULATE_OPTIONS_INIT;
    o2.design = d;
    assert_int_equal(pkh_program_simulate(kid, NULL, small, &o2, &res, NULL, NULL, &err),
                     PKH_EINVAL);
    assert_non_null(strstr(err.message,
                           "the survey design describes 3000 rows but there are 4 "
                           "households"));
    pkh_program_free(kid);
    pkh_table_free(small);
    pkh_design_free(d);
    pkh_program_free(p);
    pkh_table_free(h);
    pkh_table_free(ref);
}

/* ---- allocation failures ---- */

static void parse_survives_every_allocation_failure(void **state)
{
    (void)state;
    size_t len = 0;
    pkh_program *ref = preset("pkh-2020");
    const char *text = pkh_program_text(ref);
    len = strlen(text);
    for (long budget = 0;; budget++) {
        test_alloc a;
        test_alloc_init(&a, budget);
        pkh_program *p = NULL;
        const pkh_status rc = pkh_program_parse(text, len, "x", &a.base, &p, NULL);
        pkh_program_free(p);
        assert_int_equal(a.live_bytes, 0);
        if (rc == PKH_OK) {
            break;
        }
        assert_int_equal(rc, PKH_ENOMEM);
    }
    pkh_program_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(presets_load_with_their_amounts),
        cmocka_unit_test(pkh2019_cap_flat_and_stages_by_hand),
        cmocka_unit_test(pkh2019_from_a_member_roster),
        cmocka_unit_test(roster_counts_each_member_once),
        cmocka_unit_test(roster_joins_household_columns),
        cmocka_unit_test(pkh2020_topup_by_hand),
        cmocka_unit_test(poverty_change_matches_hand_computation),
        cmocka_unit_test(equivalised_welfare),
        cmocka_unit_test(groups_add_up),
        cmocka_unit_test(budget_search_spends_no_more_than_the_budget),
        cmocka_unit_test(budget_search_keeps_ties_together),
        cmocka_unit_test(compare_gives_differences),
        cmocka_unit_test(bad_rules_are_reported_where_they_are),
        cmocka_unit_test(bad_data_is_reported),
        cmocka_unit_test(roster_agrees_with_direct_counts),
        cmocka_unit_test(standard_errors_match_r_survey),
        cmocka_unit_test(parse_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
