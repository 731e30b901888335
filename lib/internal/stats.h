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
    const double *x;   /* incomes, ascending */
    const double *w;   /* person weights (weight x size), >= 0 */
    const double *z;   /* per-row lines, or NULL for the scalar `line` */
    double line;
    int64_t n;
    const double *cw;  /* cw[k] = sum of w[0..k], compensated */
    const double *cwx; /* cwx[k] = sum of w x over [0..k] */
    double W, SX;      /* totals */
} pkh__seg;

/** An estimate with the rows and the person weight it used. */
typedef struct pkh__est {
    double value;
    int64_t n;
    double pop;
} pkh__est;

/** Fill cw and cwx (n entries each) and W, SX. */
void pkh__seg_prefix(pkh__seg *s, double *cw, double *cwx);

double pkh__seg_quantile(const pkh__seg *s, double p, pkh_quantile_rule rule);
/** Income share of rows with lo < x <= hi (either may be +-inf). */
double pkh__seg_share(const pkh__seg *s, double lo, double hi);
double pkh__seg_lorenz(const pkh__seg *s, double p);
/** Gini of a sorted (x, w) sample by laeken's formula; NaN when the total income is 0. */
double pkh__gini_sorted(const double *x, const double *w, int64_t n);

pkh__est pkh__seg_fgt(const pkh__seg *s, double alpha);
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

#endif /* PKH_INTERNAL_STATS_H */
