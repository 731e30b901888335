/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh_synth_generate: the synthetic survey, generated in fixed blocks of PSUs, each block with
 * its own random stream seeded from (seed, block), so the data never depend on the number of
 * threads. Phase 1 draws welfare and household sizes, phase 2 (after the member rows are
 * placed) the members, dwellings and programme registration; then the weights are calibrated
 * to the population of each stratum and PKH goes to the lowest perceived welfare among
 * registered families with a component, up to the year's number of PKH families.
 */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "internal/synth.h"
#include "internal/table.h"

#define PSU_PER_BLOCK 100
#define CLUSTER_SHARE 0.12 /* share of welfare variance common to a census block */
#define PSU_WEIGHT_SD 0.25 /* spread (log scale) of the census-block part of the weights */
#define PMT_CORR 0.65      /* correlation of perceived with actual welfare */
#define MAX_HOUSEHOLDS ((int64_t)1000000000)
#define RNG_STATE_BYTES 8192

enum {
    HC_HHID,
    HC_PROVINCE,
    HC_PROV_CODE,
    HC_URBAN,
    HC_STRATA,
    HC_PSU,
    HC_WEIGHT,
    HC_HHSIZE,
    HC_PCEXP,
    HC_POVLINE,
    HC_ROOF,
    HC_FLOOR,
    HC_WALL,
    HC_TOILET,
    HC_WATER,
    HC_FUEL,
    HC_ELEC,
    HC_ASSETS,
    HC_HEAD_EDUC,
    HC_HEAD_SEX,
    HC_N_WORKING,
    HC_PKH,
    HC_N_PREGNANT,
    HC_N_CHILD06,
    HC_N_SD,
    HC_N_SMP,
    HC_N_SMA,
    HC_N_DISABLED,
    HC_N_ELDERLY,
    HC_COUNT
};

static const struct {
    const char *name;
    pkh_type type;
} hh_spec[HC_COUNT] = {
    {"hhid", PKH_TYPE_INT64},        {"province", PKH_TYPE_DICT},
    {"prov_code", PKH_TYPE_INT64},   {"urban", PKH_TYPE_INT64},
    {"strata", PKH_TYPE_INT64},      {"psu", PKH_TYPE_INT64},
    {"weight", PKH_TYPE_FLOAT64},    {"hhsize", PKH_TYPE_INT64},
    {"pcexp", PKH_TYPE_FLOAT64},     {"povline", PKH_TYPE_FLOAT64},
    {"roof", PKH_TYPE_INT64},        {"floor", PKH_TYPE_INT64},
    {"wall", PKH_TYPE_INT64},        {"toilet", PKH_TYPE_INT64},
    {"water", PKH_TYPE_INT64},       {"cooking_fuel", PKH_TYPE_INT64},
    {"electricity", PKH_TYPE_INT64}, {"assets", PKH_TYPE_INT64},
    {"head_educ", PKH_TYPE_INT64},   {"head_sex", PKH_TYPE_INT64},
    {"n_working", PKH_TYPE_INT64},   {"pkh", PKH_TYPE_INT64},
    {"n_pregnant", PKH_TYPE_INT64},  {"n_child06", PKH_TYPE_INT64},
    {"n_sd", PKH_TYPE_INT64},        {"n_smp", PKH_TYPE_INT64},
    {"n_sma", PKH_TYPE_INT64},       {"n_disabled_severe", PKH_TYPE_INT64},
    {"n_elderly60", PKH_TYPE_INT64},
};

enum {
    MC_HHID,
    MC_LINE,
    MC_RELATION,
    MC_SEX,
    MC_AGE,
    MC_SCHOOL,
    MC_ATTENDING,
    MC_PREGNANT,
    MC_DISABLED,
    MC_WORKING,
    MC_COUNT
};

static const char *const mem_names[MC_COUNT] = {
    "hhid",      "line",     "relation",        "sex",     "age", "school",
    "attending", "pregnant", "disabled_severe", "working",
};

typedef struct gen {
    const pkh__synth_year *year;
    const pkh_allocator *a;
    uint64_t seed;
    pkh__synth_stratum strata[PKH__SYNTH_MAX_STRATA];
    int n_strata;
    int64_t n_hh, n_psu, n_mem, n_blocks;
    int32_t *psu_stratum; /* n_psu */
    double *psu_f;        /* n_psu: census-block factor of the weights */
    double *z;            /* n_hh: welfare */
    double *score;        /* n_hh: perceived welfare; NaN when not a PKH candidate */
    int64_t *offsets;     /* n_hh + 1: first member row of each household */
    pkh_column hh[HC_COUNT];
    pkh_column mem[MC_COUNT];
} gen;

static int64_t *icol(pkh_column *c)
{
    return c->values;
}

static double *fcol(pkh_column *c)
{
    return c->values;
}

size_t pkh__synth_rng_state_size(void)
{
    return gsl_rng_mt19937->size;
}

void pkh__synth_rng_init(gsl_rng *r, void *state, uint64_t seed, int64_t block, int stream)
{
    /* GSL seeds are 32-bit: streams of one data set take consecutive seeds after a hash of the
     * user's seed, so two blocks never share a stream (mt19937 decorrelates nearby seeds). */
    const uint64_t base = pkh__hash_u64(seed ^ 0x706b682d73796e74ULL);
    r->type = gsl_rng_mt19937;
    r->state = state;
    gsl_rng_set(r, (unsigned long)((base + 2 * (uint64_t)block + (uint64_t)stream) & 0xffffffffu));
}

static pkh_status alloc_column(const pkh_allocator *a, pkh_column *c, const char *name,
                               pkh_type type, int64_t n, pkh_error *err)
{
    memset(c, 0, sizeof *c);
    c->name = pkh__strdup(a, name);
    c->type = type;
    c->length = n;
    c->values_bytes = (size_t)n * (type == PKH_TYPE_DICT ? sizeof(int32_t) : sizeof(int64_t));
    c->values = c->name != NULL ? pkh__alloc(a, c->values_bytes) : NULL;
    return c->values == NULL ? pkh__enomem(err) : PKH_OK;
}

static void release_all(gen *g)
{
    for (int i = 0; i < HC_COUNT; i++) {
        pkh__column_release(g->a, &g->hh[i]);
    }
    for (int i = 0; i < MC_COUNT; i++) {
        pkh__column_release(g->a, &g->mem[i]);
    }
    pkh__free(g->a, g->psu_stratum, (size_t)g->n_psu * sizeof *g->psu_stratum);
    pkh__free(g->a, g->psu_f, (size_t)g->n_psu * sizeof *g->psu_f);
    pkh__free(g->a, g->z, (size_t)g->n_hh * sizeof *g->z);
    pkh__free(g->a, g->score, (size_t)g->n_hh * sizeof *g->score);
    pkh__free(g->a, g->offsets, (size_t)(g->n_hh + 1) * sizeof *g->offsets);
}

/* The province dictionary: every province of the year, codes = province index. */
static pkh_status province_dict(gen *g, pkh_error *err)
{
    pkh__dict d;
    pkh_status st = pkh__dict_init(&d, g->a);
    for (int i = 0; i < g->year->n_provinces && st == PKH_OK; i++) {
        const char *name = g->year->provinces[i].name;
        int32_t code;
        st = pkh__dict_intern(&d, name, strlen(name), &code);
    }
    if (st == PKH_OK) {
        return pkh__dict_move_to_column(&d, &g->hh[HC_PROVINCE]);
    }
    pkh__dict_free(&d);
    return st == PKH_ENOMEM ? pkh__enomem(err) : pkh__errorf(err, st, "province dictionary");
}

static pkh_status setup(gen *g, pkh_error *err)
{
    const pkh_allocator *a = g->a;
    g->n_strata = pkh__synth_strata_init(g->year, g->strata);
    pkh__synth_allocate(g->strata, g->n_strata, g->n_hh);
    const pkh__synth_stratum *last = &g->strata[g->n_strata - 1];
    g->n_psu = last->first_psu + last->n_psu;
    g->n_blocks = (g->n_psu + PSU_PER_BLOCK - 1) / PSU_PER_BLOCK;
    g->psu_stratum = pkh__alloc(a, (size_t)g->n_psu * sizeof *g->psu_stratum);
    g->psu_f = pkh__alloc(a, (size_t)g->n_psu * sizeof *g->psu_f);
    g->z = pkh__alloc(a, (size_t)g->n_hh * sizeof *g->z);
    g->score = pkh__alloc(a, (size_t)g->n_hh * sizeof *g->score);
    g->offsets = pkh__alloc(a, (size_t)(g->n_hh + 1) * sizeof *g->offsets);
    if (!g->psu_stratum || !g->psu_f || !g->z || !g->score || !g->offsets) {
        return pkh__enomem(err);
    }
    for (int i = 0; i < g->n_strata; i++) {
        for (int64_t p = 0; p < g->strata[i].n_psu; p++) {
            g->psu_stratum[g->strata[i].first_psu + p] = i;
        }
    }
    pkh_status st = PKH_OK;
    for (int c = 0; c < HC_COUNT && st == PKH_OK; c++) {
        st = alloc_column(a, &g->hh[c], hh_spec[c].name, hh_spec[c].type, g->n_hh, err);
    }
    return st == PKH_OK ? province_dict(g, err) : st;
}

typedef void (*psu_fn)(gen *g, int64_t psu, const pkh__synth_stratum *s, int64_t first,
                       int64_t size, gsl_rng *r);

/* Run fn on every PSU of block b, in order, with the block's random stream. */
static void for_each_psu(gen *g, int64_t b, int stream, psu_fn fn)
{
    gsl_rng r;
    _Alignas(16) unsigned char state[RNG_STATE_BYTES];
    pkh__synth_rng_init(&r, state, g->seed, b, stream);
    const int64_t end = (b + 1) * PSU_PER_BLOCK < g->n_psu ? (b + 1) * PSU_PER_BLOCK : g->n_psu;
    for (int64_t psu = b * PSU_PER_BLOCK; psu < end; psu++) {
        const pkh__synth_stratum *s = &g->strata[g->psu_stratum[psu]];
        int64_t first, size;
        pkh__synth_psu_range(s, psu - s->first_psu, &first, &size);
        fn(g, psu, s, first, size, &r);
    }
}

/* Phase 1, one PSU: its census-block effect and weight factor, household welfare and size,
 * and the columns that follow from the stratum. */
static void psu_sizes(gen *g, int64_t psu, const pkh__synth_stratum *s, int64_t first, int64_t size,
                      gsl_rng *r)
{
    const pkh__synth_province *prov = &g->year->provinces[s->prov];
    const double share = sqrt(CLUSTER_SHARE), own = sqrt(1.0 - CLUSTER_SHARE);
    const double c = gsl_ran_gaussian_ziggurat(r, 1.0);
    /* rounded so that the weights are the same on every libm */
    g->psu_f[psu] = floor(exp(PSU_WEIGHT_SD * gsl_ran_gaussian_ziggurat(r, 1.0)) * 1e6 + 0.5) / 1e6;
    for (int64_t h = first; h < first + size; h++) {
        const double z = share * c + own * gsl_ran_gaussian_ziggurat(r, 1.0);
        g->z[h] = z;
        icol(&g->hh[HC_HHSIZE])[h] = pkh__synth_draw_size(s, z, r);
        icol(&g->hh[HC_HHID])[h] = h + 1;
        ((int32_t *)g->hh[HC_PROVINCE].values)[h] = s->prov;
        icol(&g->hh[HC_PROV_CODE])[h] = prov->code;
        icol(&g->hh[HC_URBAN])[h] = s->urban;
        icol(&g->hh[HC_STRATA])[h] = s->code;
        icol(&g->hh[HC_PSU])[h] = psu + 1;
        fcol(&g->hh[HC_PCEXP])[h] = pkh__synth_pcexp(s, z);
        fcol(&g->hh[HC_POVLINE])[h] = s->line;
    }
}

static pkh_status phase_sizes(void *ctx, int64_t b)
{
    for_each_psu(ctx, b, 0, psu_sizes);
    return PKH_OK;
}

static void store_household(gen *g, int64_t h, const pkh__synth_dwelling *d,
                            const pkh__synth_roster *ro)
{
    const int64_t v[] = {d->roof,       d->floor,     d->wall,        d->toilet,
                         d->water,      d->fuel,      d->electricity, d->assets,
                         ro->head_educ, ro->head_sex, ro->n_working};
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++) {
        icol(&g->hh[HC_ROOF + i])[h] = v[i];
    }
    const int64_t n[] = {ro->n_pregnant, ro->n_child06,  ro->n_sd,     ro->n_smp,
                         ro->n_sma,      ro->n_disabled, ro->n_elderly};
    for (int i = 0; i < (int)(sizeof n / sizeof n[0]); i++) {
        icol(&g->hh[HC_N_PREGNANT + i])[h] = n[i];
    }
}

/* Registration in the social registry and the welfare the programme perceives (a proxy-means
 * score with error): NaN unless the family is registered and has a PKH component. */
static double programme_score(const pkh__synth_stratum *s, double z, const pkh__synth_roster *ro,
                              gsl_rng *r)
{
    const double rel = z - s->cut; /* log distance to the line, in units of sigma */
    const int registered = gsl_rng_uniform(r) < gsl_cdf_ugaussian_P(0.3 - 0.6 * rel);
    const double noise = gsl_ran_gaussian_ziggurat(r, 1.0);
    const int64_t components = ro->n_pregnant + ro->n_child06 + ro->n_sd + ro->n_smp + ro->n_sma +
                               ro->n_disabled + ro->n_elderly;
    if (!registered || components == 0) {
        return NAN;
    }
    return PMT_CORR * rel + sqrt(1.0 - PMT_CORR * PMT_CORR) * noise;
}

/* Phase 2, one PSU: members, dwellings, registration. */
static void psu_people(gen *g, int64_t psu, const pkh__synth_stratum *s, int64_t first,
                       int64_t size, gsl_rng *r)
{
    (void)psu;
    for (int64_t h = first; h < first + size; h++) {
        const int64_t o = g->offsets[h], k = g->offsets[h + 1] - o;
        pkh__synth_people p = {icol(&g->mem[MC_RELATION]) + o,  icol(&g->mem[MC_SEX]) + o,
                               icol(&g->mem[MC_AGE]) + o,       icol(&g->mem[MC_SCHOOL]) + o,
                               icol(&g->mem[MC_ATTENDING]) + o, icol(&g->mem[MC_PREGNANT]) + o,
                               icol(&g->mem[MC_DISABLED]) + o,  icol(&g->mem[MC_WORKING]) + o};
        pkh__synth_roster ro;
        pkh__synth_people_draw(s, g->z[h], (int)k, r, &p, &ro);
        for (int64_t i = 0; i < k; i++) {
            icol(&g->mem[MC_HHID])[o + i] = h + 1;
            icol(&g->mem[MC_LINE])[o + i] = i + 1;
        }
        pkh__synth_dwelling d;
        pkh__synth_dwelling_draw(s, g->z[h], r, &d);
        store_household(g, h, &d, &ro);
        g->score[h] = programme_score(s, g->z[h], &ro, r);
    }
}

static pkh_status phase_people(void *ctx, int64_t b)
{
    for_each_psu(ctx, b, 1, psu_people);
    return PKH_OK;
}

static pkh_status place_members(gen *g, pkh_error *err)
{
    const int64_t *size = icol(&g->hh[HC_HHSIZE]);
    g->offsets[0] = 0;
    for (int64_t h = 0; h < g->n_hh; h++) {
        g->offsets[h + 1] = g->offsets[h] + size[h];
    }
    g->n_mem = g->offsets[g->n_hh];
    pkh_status st = PKH_OK;
    for (int c = 0; c < MC_COUNT && st == PKH_OK; c++) {
        st = alloc_column(g->a, &g->mem[c], mem_names[c], PKH_TYPE_INT64, g->n_mem, err);
    }
    return st;
}

/* x rounded to `decimals` places (negative: to tens, hundreds, ...). */
static double round_to(double x, int decimals)
{
    if (decimals > 15) {
        decimals = 15;
    }
    double p = 1.0;
    for (int i = 0; i < (decimals < 0 ? -decimals : decimals); i++) {
        p *= 10.0;
    }
    return decimals >= 0 ? floor(x * p + 0.5) / p : floor(x / p + 0.5) * p;
}

/* Weights: census-block factor times the stratum's population over its weighted persons, so
 * that the persons of each stratum (and of the country) add up to the published totals.
 * Strata without sample (tiny N) hand their population to the others in proportion. */
static void calibrate_weights(gen *g)
{
    const int64_t *size = icol(&g->hh[HC_HHSIZE]), *psu = icol(&g->hh[HC_PSU]);
    double *w = fcol(&g->hh[HC_WEIGHT]);
    double covered = 0.0;
    for (int i = 0; i < g->n_strata; i++) {
        covered += g->strata[i].n_hh > 0 ? g->strata[i].population : 0.0;
    }
    const double scale = g->year->population / covered;
    /* About seven significant digits: short CSV, the same text on every machine, and totals
     * off by a few persons in 268 million at most. */
    const int digits = 6 - (int)floor(log10(g->year->population / (4.0 * (double)g->n_hh)));
    const int decimals = digits < 2 ? 2 : digits;
    for (int i = 0; i < g->n_strata; i++) {
        const pkh__synth_stratum *s = &g->strata[i];
        pkh__ksum persons = {0.0, 0.0};
        for (int64_t h = s->first_hh; h < s->first_hh + s->n_hh; h++) {
            pkh__ksum_add(&persons, g->psu_f[psu[h] - 1] * (double)size[h]);
        }
        const double factor = s->population * scale / pkh__ksum_value(&persons);
        for (int64_t h = s->first_hh; h < s->first_hh + s->n_hh; h++) {
            w[h] = round_to(g->psu_f[psu[h] - 1] * factor, decimals);
        }
    }
}

typedef struct scored {
    double score, weight;
} scored;

/* The cut-off score that brings the weight of selected families closest to `quota`: families
 * with a score below `*cut` are selected, and those equal to it too when `*inclusive`. A
 * weighted quickselect (three-way partitions around a median-of-three pivot). */
static void weighted_cutoff(scored *v, int64_t n, double quota, double *cut, int *inclusive)
{
    int64_t lo = 0, hi = n;
    *cut = INFINITY;
    *inclusive = 1;
    while (lo < hi) {
        const double a = v[lo].score, b = v[lo + (hi - lo) / 2].score, c = v[hi - 1].score;
        const double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        int64_t lt = lo, i = lo, gt = hi;
        double w_lt = 0.0, w_eq = 0.0;
        while (i < gt) {
            const scored x = v[i];
            if (x.score < pivot) {
                v[i++] = v[lt];
                v[lt++] = x;
                w_lt += x.weight;
            } else if (x.score > pivot) {
                v[i] = v[--gt];
                v[gt] = x;
            } else {
                i++;
                w_eq += x.weight;
            }
        }
        if (quota <= w_lt) {
            hi = lt;
        } else if (quota <= w_lt + w_eq) {
            *cut = pivot;
            *inclusive = w_lt + w_eq - quota <= quota - w_lt; /* the nearer of the two totals */
            return;
        } else {
            quota -= w_lt + w_eq;
            lo = gt;
        }
    }
}

static pkh_status assign_pkh(gen *g, pkh_error *err)
{
    int64_t n = 0;
    for (int64_t h = 0; h < g->n_hh; h++) {
        n += !isnan(g->score[h]);
    }
    const double *w = fcol(&g->hh[HC_WEIGHT]);
    int64_t *pkh = icol(&g->hh[HC_PKH]);
    scored *v = pkh__alloc(g->a, (size_t)(n > 0 ? n : 1) * sizeof *v);
    if (v == NULL) {
        return pkh__enomem(err);
    }
    int64_t k = 0;
    for (int64_t h = 0; h < g->n_hh; h++) {
        if (!isnan(g->score[h])) {
            v[k].score = g->score[h];
            v[k++].weight = w[h];
        }
    }
    double cut;
    int inclusive;
    weighted_cutoff(v, n, g->year->pkh_families, &cut, &inclusive);
    pkh__free(g->a, v, (size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t h = 0; h < g->n_hh; h++) {
        const double x = g->score[h];
        pkh[h] = !isnan(x) && (x < cut || (inclusive && x == cut));
    }
    return PKH_OK;
}

static pkh_status check_options(const pkh_synth_options *opts, pkh_table **households,
                                pkh_table **members, pkh_error *err)
{
    if (opts == NULL || households == NULL || members == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_synth_generate: NULL argument");
    }
    if (opts->households < 1) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the number of households must be at least 1 (got %lld)",
                           (long long)opts->households);
    }
    if (opts->households > MAX_HOUSEHOLDS) {
        return pkh__errorf(err, PKH_EOVERFLOW,
                           "at most %lld households can be generated (got "
                           "%lld)",
                           (long long)MAX_HOUSEHOLDS, (long long)opts->households);
    }
    if (pkh__synth_year_find(opts->year) == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "no calibration for the year %d (known years: %d)",
                           opts->year, PKH_SYNTH_DEFAULT_YEAR);
    }
    if (pkh__synth_rng_state_size() > RNG_STATE_BYTES) {
        return pkh__errorf(err, PKH_EUNSUPPORTED, "GSL's mt19937 state is larger than expected");
    }
    return PKH_OK;
}

pkh_status pkh_synth_generate(const pkh_synth_options *opts, pkh_table **households,
                              pkh_table **members, pkh_error *err)
{
    pkh_status st = check_options(opts, households, members, err);
    if (st != PKH_OK) {
        return st;
    }
    gen *g = pkh__calloc(pkh__allocator(opts->allocator), 1, sizeof *g);
    if (g == NULL) {
        return pkh__enomem(err);
    }
    g->a = pkh__allocator(opts->allocator);
    g->year = pkh__synth_year_find(opts->year);
    g->seed = opts->seed;
    g->n_hh = opts->households;
    st = setup(g, err);
    if (st == PKH_OK) {
        st = pkh__parallel_for(opts->threads, g->n_blocks, phase_sizes, g);
    }
    if (st == PKH_OK) {
        st = place_members(g, err);
    }
    if (st == PKH_OK) {
        st = pkh__parallel_for(opts->threads, g->n_blocks, phase_people, g);
    }
    if (st == PKH_OK) {
        calibrate_weights(g);
        st = assign_pkh(g, err);
    }
    pkh_table *hh = NULL, *mem = NULL;
    if (st == PKH_OK) {
        st = pkh__table_take(g->a, g->hh, HC_COUNT, g->n_hh, &hh, err);
        memset(g->hh, 0, sizeof g->hh); /* moved, or released on failure */
    }
    if (st == PKH_OK) {
        st = pkh__table_take(g->a, g->mem, MC_COUNT, g->n_mem, &mem, err);
        memset(g->mem, 0, sizeof g->mem);
    }
    release_all(g);
    const pkh_allocator *a = g->a;
    pkh__free(a, g, sizeof *g);
    if (st != PKH_OK) {
        pkh_table_free(hh);
        return st;
    }
    *households = hh;
    *members = mem;
    return PKH_OK;
}
