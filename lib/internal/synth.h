/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal pieces of the synthetic survey generator (lib/synth). Never installed.
 */
#ifndef PKH_INTERNAL_SYNTH_H
#define PKH_INTERNAL_SYNTH_H

#include <gsl/gsl_rng.h>

#include <pkh/synth.h>

#include "internal/core.h"

/* ---- calibration tables (params.c) ---- */

typedef struct pkh__synth_province {
    int code;           /* BPS province code (r101) */
    const char *name;   /* name as BPS writes it */
    double population;  /* persons, thousands (approximate projection) */
    double urban_share; /* share of persons in urban areas (approximate) */
    double p0;          /* headcount ratio, percent (published) */
    double line;        /* poverty line, Rp/capita/month, province (few published; derived) */
} pkh__synth_province;

typedef struct pkh__synth_year {
    int year;
    double population;     /* persons, national (the weights add up to it) */
    double pkh_families;   /* PKH recipient families (weighted count of pkh = 1) */
    double p0_urban_ratio; /* urban headcount / rural headcount inside every province */
    double line_gap;       /* urban line = line * (1 + gap * rural share), rural below */
    const pkh__synth_province *provinces;
    int n_provinces;
} pkh__synth_year;

/** The tables for `year` (0: the default year), or NULL. */
const pkh__synth_year *pkh__synth_year_find(int year);

/* ---- the model (model.c) ---- */

/** Largest household size generated. */
#define PKH__SYNTH_MAX_SIZE 12

/** One stratum (province x urban): targets and derived model parameters. */
typedef struct pkh__synth_stratum {
    int prov;          /* index into the year's provinces */
    int urban;         /* 1 urban, 0 rural */
    int64_t code;      /* prov_code * 10 + (urban ? 1 : 2) */
    double population; /* persons */
    double p0;         /* target headcount ratio (fraction) */
    double line;       /* Rp/capita/month, whole Rupiah */
    double lambda;     /* Poisson mean of (size - 1) at z = 0 */
    double sigma;      /* sd of log pcexp per unit of welfare z */
    double cut;        /* z below which persons are poor (person-weighted p0) */
    double infra;      /* infrastructure shift of the dwelling covariates */
    int java_bali;     /* 1 on Java and Bali */
    int64_t n_hh;      /* households allocated to the stratum */
    int64_t first_hh;  /* index of its first household */
    int64_t n_psu;     /* its PSUs */
    int64_t first_psu; /* index of its first PSU */
} pkh__synth_stratum;

/** Most strata a year can have (two per province). */
#define PKH__SYNTH_MAX_STRATA 128

/** Fill `out` (PKH__SYNTH_MAX_STRATA entries) with the year's strata; returns their number. */
int pkh__synth_strata_init(const pkh__synth_year *y, pkh__synth_stratum *out);

/** Allocate `n` households to the strata and number their PSUs (sets n_hh, first_*, n_psu). */
void pkh__synth_allocate(pkh__synth_stratum *s, int n_strata, int64_t n);

/** Households [first, first + size) of PSU `p` (0-based within stratum `s`). */
void pkh__synth_psu_range(const pkh__synth_stratum *s, int64_t p, int64_t *first, int64_t *size);

/** Expected household size at welfare z for a Poisson mean `lambda` at z = 0. */
double pkh__synth_expected_size(double lambda, double z);

/** Fill the model parameters of `s` (lambda, sigma, cut, infra) from its targets. */
void pkh__synth_calibrate(pkh__synth_stratum *s, const pkh__synth_year *y);

/** Draw a household size for welfare z (1 .. PKH__SYNTH_MAX_SIZE). */
int pkh__synth_draw_size(const pkh__synth_stratum *s, double z, gsl_rng *r);

/** Monthly per-capita expenditure at welfare z, in whole Rupiah. */
double pkh__synth_pcexp(const pkh__synth_stratum *s, double z);

/* ---- households and members (people.c) ---- */

/** Member columns, one array per column, filled for rows [0, n) of a household. */
typedef struct pkh__synth_people {
    int64_t *relation, *sex, *age, *school, *attending, *pregnant, *disabled, *working;
} pkh__synth_people;

/** Household-level results of generating a household's members. */
typedef struct pkh__synth_roster {
    int64_t head_educ, head_sex, n_working;
    int64_t n_pregnant, n_child06, n_sd, n_smp, n_sma, n_disabled, n_elderly;
} pkh__synth_roster;

/**
 * Generate the `size` members of one household with welfare z into `p` (rows 0..size-1) and
 * summarise them in `out` (counts derived from the rows, never drawn separately).
 */
void pkh__synth_people_draw(const pkh__synth_stratum *s, double z, int size, gsl_rng *r,
                            pkh__synth_people *p, pkh__synth_roster *out);

/** The dwelling and asset covariates of a household (PMT inputs), category codes. */
typedef struct pkh__synth_dwelling {
    int64_t roof, floor, wall, toilet, water, fuel, electricity, assets;
} pkh__synth_dwelling;

/** Draw the dwelling covariates of a household with welfare z. */
void pkh__synth_dwelling_draw(const pkh__synth_stratum *s, double z, gsl_rng *r,
                              pkh__synth_dwelling *out);

/* ---- random streams ---- */

/**
 * A GSL generator whose state lives in caller memory (no GSL allocation, so no GSL error
 * handler on failure). `state` must hold gsl_rng_mt19937->size bytes.
 */
void pkh__synth_rng_init(gsl_rng *r, void *state, uint64_t seed, int64_t block, int stream);

/** Bytes of state pkh__synth_rng_init needs. */
size_t pkh__synth_rng_state_size(void);

#endif /* PKH_INTERNAL_SYNTH_H */
