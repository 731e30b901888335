/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Linearised standard errors of the indicators of a segment (lib/stats/variance.c). Never
 * installed.
 */
#ifndef PKH_INTERNAL_VARIANCE_H
#define PKH_INTERNAL_VARIANCE_H

#include "internal/design.h"
#include "internal/stats.h"

/** What every segment's computation shares; read-only once segment 0 is done. */
typedef struct pkh__se_shared {
    const pkh_design *d;
    const pkh_allocator *a;
    int64_t rows; /* compact rows (for line_u) */
    double tq;    /* t quantile of the intervals */
    int deff;
    pkh_quantile_se qse;
    pkh_quantile_rule rule;
    /* an estimated line of the whole population used in every group */
    bool national;
    double *cross; /* npsu: cross terms with the line's influence (pkh__design_cross) */
    double var_line;
    double *line_u; /* per compact row: the line's influence value */
} pkh__se_shared;

/** One segment's inputs. */
typedef struct pkh__seg_se_in {
    const pkh__seg *seg;
    const int64_t *rows; /* table row of each position */
    const int64_t *cid;  /* compact row of each position */
    const pkh_indicator *indicators;
    int64_t n_indicators;
    const pkh__est *est; /* point estimates */
    const pkh_line *line;
    bool line_estimated; /* a relative line with one value for the segment */
    bool own_line;       /* estimated from this segment (segment 0, or by group) */
    bool prepare_line;   /* segment 0 of a national line used in groups */
    int threads;
    const int32_t *unit; /* design unit of each position (pkh__design_unit), or NULL */
} pkh__seg_se_in;

/** One indicator's result; NaN where not available. */
typedef struct pkh__se_row {
    double se, lo, hi, deff, var;
    double srs;   /* variance under simple random sampling (for deff) */
    double slope; /* coefficient on the national line's influence (contrasts) */
} pkh__se_row;

/**
 * SEs of every indicator of a segment into out[k]. `keep` (optional, per indicator; NULL entries
 * skipped) receives the influence values, for contrasts.
 */
pkh_status pkh__seg_se(pkh__se_shared *sh, const pkh__seg_se_in *in, pkh__se_row *out,
                       double **keep);

/**
 * A segment's SEs taken indicator by indicator, on any threads: the domain and the bandwidth,
 * made once and shared read-only. For segments whose indicators share nothing else
 * (pkh__seg_se_splittable: no line estimated from the segment, no influence values kept).
 */
typedef struct pkh__seg_se_split {
    const pkh__seg_se_in *in; /* borrowed */
    pkh__dom dom;
    double h;
} pkh__seg_se_split;

bool pkh__seg_se_splittable(const pkh__seg_se_in *in, double **keep);

/** Make the domain (pkh__dom_init on in->threads) and bandwidth; close with pkh__seg_se_close. */
pkh_status pkh__seg_se_open(const pkh__se_shared *sh, const pkh__seg_se_in *in,
                            pkh__seg_se_split *sp);

/**
 * Indicator k's SE into *out. `*buf` is the calling thread's work buffer: NULL at first (made
 * here), freed by the caller with pkh__seg_se_work_free.
 */
pkh_status pkh__seg_se_take(const pkh__se_shared *sh, const pkh__seg_se_split *sp, int64_t k,
                            void **buf, pkh__se_row *out);
void pkh__seg_se_work_free(const pkh__se_shared *sh, void *buf);
void pkh__seg_se_close(pkh__seg_se_split *sp);

/** Variance of (estimate 1 - estimate 2) from the two groups' kept influence values. */
pkh_status pkh__contrast_se(const pkh__se_shared *sh, const int64_t *rows1, const double *u1,
                            int64_t n1, double slope1, const int64_t *rows2, const double *u2,
                            int64_t n2, double slope2, double *var);

void pkh__se_shared_free(pkh__se_shared *sh);

#endif /* PKH_INTERNAL_VARIANCE_H */
