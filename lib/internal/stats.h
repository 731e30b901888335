/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal estimator kernels over one group's rows, sorted by income.
 */
#ifndef PKH_INTERNAL_STATS_H
#define PKH_INTERNAL_STATS_H

#include <pkh/stats.h>

#include "internal/table.h"

/** One group's sample, sorted ascending by x, with prefix sums. Arrays borrowed. */
typedef struct pkh__seg {
    const double *x; /* incomes, ascending */
    const double *w; /* person weights (weight x size), >= 0 */
    const double *z; /* per-row lines, or NULL for the scalar `line` */
    double line;
    int64_t n;
    const double *cw;  /* cw[k] = sum of w[0..k], compensated */
    const double *cwx; /* cwx[k] = sum of w x over [0..k] */
    double W, SX;      /* totals */
    /* from pkh__seg_prefix_poverty, when `pre`: sum of w z (per-row lines) and the sums of w,
     * w gap and w gap^2 over the poor (FGT 0, 1, 2 times W) */
    bool pre;
    double pre_line, pre_fgt[3];
} pkh__seg;

/** An estimate with the rows and the person weight it used. */
typedef struct pkh__est {
    double value;
    int64_t n;
    double pop;
} pkh__est;

/** Compensated totals W = sum w[i] and SX = sum w[i] x[i] over rows [from, to). */
void pkh__weighted_totals(const double *x, const double *w, int64_t from, int64_t to, double *W,
                          double *SX);
/** First row of the sorted sample with x > 0 (strict) or x >= 0 (GE and Atkinson use the rows
 * from there on). */
int64_t pkh__seg_first_nonneg(const pkh__seg *s, bool strict);
/** Fill cw and cwx (n entries each) and W, SX. */
void pkh__seg_prefix(pkh__seg *s, double *cw, double *cwx);
/** pkh__seg_prefix, and in the same pass the sums of the per-row lines and of FGT 0, 1, 2 (the
 * line: s->z, else s->line, which must be set); sets s->pre. */
void pkh__seg_prefix_poverty(pkh__seg *s, double *cw, double *cwx);
/** Only the totals W and SX (cw, cwx left NULL), for measures that need no income order. */
void pkh__seg_totals(pkh__seg *s);

/** Number of rows with x <= q (binary search on the ascending x). */
int64_t pkh__seg_count_le(const pkh__seg *s, double q);
double pkh__seg_quantile(const pkh__seg *s, double p, pkh_quantile_rule rule);
/** Income share of rows with lo < x <= hi (either may be +-inf). */
double pkh__seg_share(const pkh__seg *s, double lo, double hi);
double pkh__seg_lorenz(const pkh__seg *s, double p);
/** Gini of a sorted (x, w) sample by laeken's formula; NaN when the total income is 0. */
double pkh__gini_sorted(const double *x, const double *w, int64_t n);

pkh__est pkh__seg_fgt(const pkh__seg *s, double alpha);
/** Sums of w, w gap and w gap^2 over the poor in one pass: num / W are FGT0, 1, 2 (the same
 *  numbers as pkh__seg_fgt), num[0] the number of poor. */
void pkh__seg_fgt012(const pkh__seg *s, double num[3]);
/** Gini from the segment's prefix sums (= pkh__gini_sorted of its arrays). */
double pkh__seg_gini(const pkh__seg *s);
pkh__est pkh__seg_poor(const pkh__seg *s);
pkh__est pkh__seg_gap_total(const pkh__seg *s);
pkh__est pkh__seg_watts(const pkh__seg *s);
pkh__est pkh__seg_line(const pkh__seg *s);
/** Sen and SST need scratch space of 2 n doubles (and sort work for per-row lines). */
pkh__est pkh__seg_sen(const pkh__seg *s, double *scratch);
pkh__est pkh__seg_sst(const pkh__seg *s, double *scratch, const pkh_allocator *a, pkh_status *st);
pkh__est pkh__seg_ge(const pkh__seg *s, double alpha);
pkh__est pkh__seg_atkinson(const pkh__seg *s, double eps);
pkh__est pkh__seg_cv(const pkh__seg *s);
pkh__est pkh__seg_mean(const pkh__seg *s);

/* ---- linearisation (influence.c) ---- */

/** One indicator's linearisation on a segment. */
typedef struct pkh__lin {
    double slope; /* d estimate / d line, for lines estimated from the data (0: not used) */
    bool ok;      /* false: no linearisation (decompositions, an undefined estimate) */
} pkh__lin;

/** Bandwidth of the Gaussian kernel: weighted sd / N^0.2, N the sum of weights (convey). */
double pkh__seg_bandwidth(const pkh__seg *s);

/**
 * Influence values of `ind` on segment `s`: u[i] = w_i l_i in the segment's order, so that
 * estimate - truth ~ sum u_i (zero on every row outside the segment). `value` is the point
 * estimate; h the kernel bandwidth; `want_slope`: the line is estimated, compute the slope;
 * scratch 5 n doubles.
 */
pkh__lin pkh__seg_influence(const pkh__seg *s, const pkh_indicator *ind, pkh_quantile_rule rule,
                            double h, double value, bool want_slope, double *u, double *scratch);

/** Influence values of the estimated CDF at q, F = sum w 1(x <= q) / N; returns F. */
double pkh__seg_cdf_influence(const pkh__seg *s, double q, double *u);

/** Influence values of a relative line (fraction x median or mean of the segment). */
void pkh__seg_line_influence(const pkh__seg *s, pkh_line_kind kind, double fraction,
                             pkh_quantile_rule rule, double h, double *u);

#endif /* PKH_INTERNAL_STATS_H */
