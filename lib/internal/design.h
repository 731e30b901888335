/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal design representation and the variance engine over sets of rows. Never installed.
 */
#ifndef PKH_INTERNAL_DESIGN_H
#define PKH_INTERNAL_DESIGN_H

#include <pkh/design.h>

#include "internal/table.h"

/* How a stratum enters the variance. */
enum {
    PKH__STRATUM_NORMAL = 0,  /* scale x centred sum of squares of PSU totals */
    PKH__STRATUM_ZERO = 1,    /* contributes nothing (census stratum, certainty, remove) */
    PKH__STRATUM_ADJUST = 2,  /* lonely PSU, uncentred (R's "adjust") */
    PKH__STRATUM_EXCLUDED = 3 /* lonely PSU under "average": left out, the total rescaled */
};

struct pkh_design {
    const pkh_allocator *a;
    int64_t nrows, nstrata, npsu, df;
    int srs;
    pkh_lonely_psu lonely;
    int64_t lonely_count;
    int32_t *row_stratum;  /* nrows; NULL with one stratum */
    int32_t *row_psu;      /* nrows; NULL when row i is PSU i */
    int32_t *psu_stratum;  /* npsu (aliases row_stratum when row_psu is NULL); NULL: 1 stratum */
    int64_t *stratum_npsu; /* nstrata */
    double *stratum_fpc;   /* nstrata: 1 - sampling fraction of PSUs (1 without fpc) */
    double *stratum_scale; /* nstrata: factor of the stratum's sum of squares */
    uint8_t *stratum_kind; /* nstrata: PKH__STRATUM_* */
    double factor;         /* strata / strata not excluded ("average"), else 1 */
    /* the PSUs of stratum h: psu_list[stratum_start[h] .. stratum_start[h + 1]), or the PSU
     * numbers themselves when psu_list is NULL (PSUs numbered stratum by stratum) */
    int64_t *stratum_start; /* nstrata + 1 */
    int64_t *psu_list;
};

static inline int64_t pkh__design_psu(const pkh_design *d, int64_t row)
{
    return d->row_psu != NULL ? d->row_psu[row] : row;
}

static inline int32_t pkh__design_psu_stratum(const pkh_design *d, int64_t psu)
{
    return d->psu_stratum != NULL ? d->psu_stratum[psu] : 0;
}

/**
 * A set of table rows (a domain: a group, a filter) prepared for variance computations: each
 * entry's PSU found once, so that the variance of any influence vector on these rows costs one
 * pass. `rows` is borrowed and must outlive the domain.
 */
typedef struct pkh__dom {
    const pkh_allocator *a;
    const int64_t *rows; /* n table rows (NULL: entry i is row i) */
    int64_t n;
    int32_t *run;     /* entry -> index of its PSU among the domain's (NULL: each entry is its
                         own PSU) */
    int64_t m;        /* the domain's PSUs, numbered in the design's PSU order, so that their
                         strata come in contiguous blocks */
    int32_t *psu;     /* design PSU of each (NULL without run) */
    int32_t *stratum; /* stratum of each PSU (or of each entry without run); NULL: one */
    bool borrowed;    /* stratum is the design's */
} pkh__dom;

/**
 * The domain of the entries `rows` (n table rows; NULL: entry i is row i). `unit`, optional:
 * each entry's design unit already looked up (its PSU when the design has PSUs, else its
 * stratum), which spares a lookup by row per entry.
 */
pkh_status pkh__dom_init(const pkh_design *d, const int64_t *rows, const int32_t *unit, int64_t n,
                         int threads, const pkh_allocator *a, pkh__dom *dom);

/** Each row's design unit (PSU when the design has PSUs, else stratum, else 0). */
static inline int32_t pkh__design_unit(const pkh_design *d, int64_t row)
{
    return d->row_psu != NULL ? d->row_psu[row] : d->row_stratum != NULL ? d->row_stratum[row] : 0;
}
void pkh__dom_free(pkh__dom *dom);

/**
 * Covariance of the estimators whose influence values on the domain's entries are
 * ua[i * stride] and ub[i * stride] (zero on every other row). ub == ua gives the variance.
 * Returns PKH_ENOMEM or PKH_OK.
 */
pkh_status pkh__dom_cov(const pkh_design *d, const pkh__dom *dom, const double *ua,
                        const double *ub, int64_t stride, double *out);

/**
 * Cross terms with one fixed influence vector b (e.g. an estimated poverty line's, shared by
 * every domain): c has one value per PSU, so that cov(a, b) = sum_i ua_i c[psu(row_i)] for any
 * a. Fills c (npsu values, zeroed by the caller) from b's entries on `dom`.
 */
pkh_status pkh__design_cross_prepare(const pkh_design *d, const pkh__dom *dom, const double *ub,
                                     double *c);
/** cov(a, b) from the prepared c: n entries at `rows` (NULL: entry i is row i). */
double pkh__design_cross(const pkh_design *d, const int64_t *rows, const double *ua, int64_t n,
                         const double *c);

/** Size of the GSL mt19937 state (for pkh__design_boot_psu's scratch). */
size_t pkh__design_rng_state_size(void);
/** Rao-Wu factors of replicate r, one per PSU, into psu_factor (npsu); `state` is scratch of
 *  pkh__design_rng_state_size() bytes and `count` of npsu int32. */
pkh_status pkh__design_boot_psu(const pkh_design *d, uint64_t seed, int64_t r, void *state,
                                int32_t *count, double *psu_factor, pkh_error *err);

#endif /* PKH_INTERNAL_DESIGN_H */
