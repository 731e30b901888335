/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal pieces of targeting evaluation and the proxy-means test, shared by
 * lib/program/target*.c and pmt*.c, and reachable from the unit tests. Never installed.
 */
#ifndef PKH_INTERNAL_TARGETING_H
#define PKH_INTERNAL_TARGETING_H

#include <math.h>

#include <pkh/pmt.h>
#include <pkh/targeting.h>

#include "internal/table.h"

/* ---- column access ---- */

/** Value of row `i` of a numeric or bool column as a double (NaN for a dictionary column). */
static inline double pkh__tg_num(const pkh_column *c, int64_t i)
{
    switch (c->type) {
    case PKH_TYPE_INT64:
        return (double)((const int64_t *)c->values)[i];
    case PKH_TYPE_FLOAT64:
        return ((const double *)c->values)[i];
    case PKH_TYPE_BOOL:
        return pkh__bit_get(c->values, i);
    case PKH_TYPE_DICT:
        break;
    }
    return NAN;
}

/** 1 when row `i` holds a value (NaN counts as missing for numbers). */
static inline bool pkh__tg_present(const pkh_column *c, int64_t i)
{
    if (c->validity != NULL && !pkh__bit_get(c->validity, i)) {
        return false;
    }
    return c->type != PKH_TYPE_FLOAT64 ||
           ((const double *)c->values)[i] == ((const double *)c->values)[i];
}

/**
 * Find a column that must hold numbers (int64, float64 or bool). `role` names it in messages
 * ("the weight column \"w\" holds text, not numbers"). NULL `name` gives *out = NULL and PKH_OK.
 * \return PKH_OK, PKH_ENOTFOUND or PKH_ETYPE.
 */
pkh_status pkh__tg_numeric(const pkh_table *t, const char *name, const char *role,
                           const pkh_column **out, pkh_error *err);

/**
 * Weighted quantiles of v at the `np` shares p (any order), from the rows `perm[0..n)` in
 * ascending order of v, by `rule`, exactly as pkh_weighted_quantile() computes them
 * (compensated cumulative weights, zero weights never decide). `out[j]` for `p[j]`;
 * NaN when the total weight is 0.
 */
void pkh__tg_quantiles(const double *v, const double *w, const int64_t *perm, int64_t n,
                       const double *p, int np, pkh_quantile_rule rule, double *out);

/** Ascending order of `n` doubles (no NaN) into `perm`. */
pkh_status pkh__tg_argsort(const double *v, int64_t n, int threads, const pkh_allocator *a,
                           int64_t *perm, pkh_error *err);

/**
 * A validity bitmap for a results column: bit i set when v[i] is finite (NaN and infinities
 * are missing). Owned by the caller (free pkh__bitmap_bytes(n) bytes with `a`); NULL when out
 * of memory.
 */
uint8_t *pkh__finite_bits(const pkh_allocator *a, const double *v, int64_t n);

/**
 * Append to `b` one column per key column of `keys` (a groups' keys table): output row i takes
 * the key of group seg[i] - 1, or a missing value when seg[i] is 0 (the whole population).
 */
pkh_status pkh__tg_key_columns(pkh_table_builder *b, const pkh_table *keys, const int64_t *seg,
                               int64_t n, const pkh_allocator *a, pkh_error *err);

/* ---- hooks for the tests ---- */

/**
 * The estimate of one targeting indicator (as named in the results) for the whole population
 * (group -1) or `by` group `group` (0-based, in sorted key order), and its influence values,
 * one per table row (weights included; 0 for rows outside the domain or not used): the
 * linearised variable whose design variance is the estimator's variance.
 */
pkh_status pkh__targeting_influence(const pkh_table *t, const pkh_targeting_options *o,
                                    const char *indicator, int64_t group, double *z,
                                    double *estimate, pkh_error *err);

/* ---- weighted least squares (pmt_wls.c) ---- */

/**
 * The regressors of the rows of a model, built row by row from columnar arrays over the used
 * rows: numeric covariates first, then one dummy per non-reference level of each categorical.
 * All values are shifted by `shift` (weighted means from a first pass) so that the
 * cross-products are centred accurately.
 */
typedef struct pkh__pmt_rows {
    int k; /* slopes */
    int nnum, ncat;
    const double *const *num;    /* nnum arrays: numeric regressors */
    const int32_t *const *cat;   /* ncat arrays: level ids */
    const int32_t *const *dummy; /* per categorical: level id -> slope index, or -1 */
    const double *y, *w;
    const double *shift; /* k + 1: regressors, then y; NULL: no shift */
} pkh__pmt_rows;

/** Regressor vector x (k values, unshifted) of used row i. */
void pkh__pmt_row(const pkh__pmt_rows *r, int64_t i, double *x);

/** S = sum w v v' over rows[0..m), v = (1, x - shift, y - shift_y): q = k + 2, row-major,
 *  upper triangle filled (the lower mirrored). Compensated across blocks of rows; the same
 *  result on any number of threads. */
typedef struct pkh__xp {
    int q;
    pkh__ksum *s; /* q x q */
    int64_t n;    /* rows with weight > 0 */
} pkh__xp;

pkh_status pkh__xp_init(pkh__xp *xp, int k, const pkh_allocator *a);
void pkh__xp_free(pkh__xp *xp, const pkh_allocator *a);
/** Add `from` to `to` (compensated). */
void pkh__xp_merge(pkh__xp *to, const pkh__xp *from);
pkh_status pkh__xp_accumulate(const pkh__pmt_rows *r, const int64_t *rows, int64_t m, int threads,
                              const pkh_allocator *a, pkh__xp *out);

/** A fitted WLS model. */
typedef struct pkh__wls {
    int k;            /* slopes (terms without the intercept) */
    double W;         /* sum of weights */
    int64_t n;        /* rows with weight > 0 */
    double *mean;     /* k weighted means of the regressors (original units) */
    double ybar;      /* weighted mean of y */
    double *beta;     /* k + 1: intercept, then slopes (0 for dropped ones) */
    double *minv;     /* k x k: inverse of the centred cross-products (0 rows for dropped) */
    double syy;       /* sum w (y - ybar)^2 */
    uint8_t *dropped; /* k: 1 for a slope left out as collinear (drop mode only) */
    int kept;         /* slopes kept */
} pkh__wls;

void pkh__wls_free(const pkh_allocator *a, pkh__wls *m);

/**
 * Solve the WLS problem from its cross-products. Collinearity is checked in list order on the
 * correlation matrix of the centred regressors: a regressor that is (numerically) constant, or
 * whose variance left unexplained by the earlier ones is below 1e-10 of its own, is collinear.
 * With `drop` 0 its index goes to *bad and PKH_ENUMERIC is returned (nothing to free); with
 * `drop` 1 it is left out (coefficient 0).
 *
eturn PKH_OK, PKH_ENUMERIC, PKH_EEMPTY (no weight), PKH_ENOMEM.
 */
pkh_status pkh__wls_solve(const pkh__xp *xp, const double *shift, int drop, const pkh_allocator *a,
                          pkh__wls *out, int *bad);

/** Covariance entry (i, j) of the coefficients (0 = intercept) per unit sigma^2:
 *  (X'WX)^-1. */
double pkh__wls_cov(const pkh__wls *m, int i, int j);

/** u = (X'WX)^-1 x for a row's regressors x (k values, original units): k + 1 entries. */
void pkh__wls_apply_inverse(const pkh__wls *m, const double *x, double *u);

/** The prediction b0 + sum b_j x_j. */
double pkh__wls_predict(const pkh__wls *m, const double *x);

/* ---- the state of one PMT fit (lib/program/pmt*.c) ---- */

typedef struct pkh__pmt_model {
    int k;           /* slopes */
    int32_t **dummy; /* per categorical: level id -> slope index; -1 reference; -2 absent */
    double **lcoef;  /* per categorical: level id -> its coefficient (0 for the reference) */
    char **terms;    /* k + 1 names: "(Intercept)", covariates, "col=level" */
    double *shift;   /* k + 1 */
    pkh__wls fit;
    bool fitted;
    int64_t m; /* used rows of the model */
    const int64_t *rows;
    double sse;
    double *se_model, *se_design; /* k + 1 */
    int64_t df_design;
    double cv_sse;
    bool cv;
} pkh__pmt_model;

typedef struct pkh__pmt {
    const pkh_table *t;
    const pkh_pmt_options *o;
    const pkh_allocator *a;
    pkh_error *err;
    pkh_pmt_info info;
    const pkh_column *yc, *wc, *mc;
    const pkh_column **numc, **catc;
    int nnum, ncat;
    pkh_groups **levels; /* per categorical, over the rows that can be scored */
    pkh_groups *mg;      /* model_by groups */
    int64_t nmodels;
    uint8_t *scoreable; /* per table row */
    /* the rows of the fit, compact */
    int64_t n;
    int64_t *row;
    double *y, *w;
    double **num;
    int32_t **cat;
    int32_t *g;
    int64_t *morder, *moff; /* used rows by model */
    pkh__pmt_model *models;
    double *score, *cvs; /* per table row; NaN when none */
} pkh__pmt;

/** The regressor builder of a model over the used rows. */
pkh__pmt_rows pkh__pmt_rows_of(const pkh__pmt *p, const pkh__pmt_model *m);
/** Cross-validation (pmt_eval.c): out-of-fold predictions into p->cvs, cv_sse per model. */
pkh_status pkh__pmt_cross_validate(pkh__pmt *p);
/** Design-based SEs of each fitted model's coefficients (needs the residuals' pass). */
pkh_status pkh__pmt_design_se(pkh__pmt *p, pkh__pmt_model *m);
/** Targeting rows of the in-sample (and cross-validated) scores. */
pkh_status pkh__pmt_targeting(pkh__pmt *p, pkh_table **in_sample, pkh_table **cv);

/* ---- the state of one targeting computation (lib/program/target*.c) ---- */

#define TG_MAXG 10
#define TG_NCLASS (4 * TG_MAXG)

/* A row's class: bit 0 in the benchmark group, bit 1 receives, bits 2.. welfare group. */
#define TG_B(c) ((c)&1)
#define TG_R(c) (((c) >> 1) & 1)
#define TG_Q(c) ((c) >> 2)

/* Weighted totals of one (segment, class) cell. */
typedef struct tg_cell {
    pkh__ksum pers; /* sum w x size */
    pkh__ksum fam;  /* sum w */
    pkh__ksum ben;  /* sum w x benefit (recipients only), or persons of recipients */
    int64_t n;
} tg_cell;

typedef enum tg_qty { TG_PERS = 0, TG_FAM = 1, TG_BEN = 2 } tg_qty;

/* A ratio of class-masked totals; den == 0 makes it a total. */
typedef struct tg_ratio {
    uint64_t num, den;
    tg_qty qty;
} tg_ratio;

/* estimate = offset + s1 R1 + s2 R2 (s2 = 0: one term); or the AUC. */
typedef struct tg_metric {
    char name[32];
    double offset, s1, s2;
    tg_ratio r1, r2;
    bool auc;
} tg_metric;

typedef struct pkh__tg {
    const pkh_table *t;
    const pkh_targeting_options *o;
    const pkh_allocator *a;
    pkh_error *err;
    pkh_targeting_info info;
    pkh_groups *groups;
    int64_t k, nseg;
    int G;
    /* the used rows, compact */
    int64_t n;
    int64_t *row; /* table row */
    double *x, *w, *p, *b, *s, *zl;
    int32_t *g;
    uint8_t *cls;
    /* per segment: cells, and rows in score order */
    tg_cell *cells; /* nseg x TG_NCLASS */
    int64_t *order_all, *order_grp, *offsets;
    double quota_cut[10]; /* cut-offs at quotas 0.05 .. 0.50 */
    tg_metric *metrics;
    int nmetrics;
    struct tg_auc *auc; /* per segment, once computed (auc_done) */
    uint8_t *auc_done;
} pkh__tg;

/* The rows of segment `seg` in score order (segment 0: every row). */
static inline const int64_t *pkh__tg_seg_order(const pkh__tg *t, int64_t seg, int64_t *m)
{
    if (seg == 0) {
        *m = t->n;
        return t->order_all;
    }
    *m = t->offsets[seg] - t->offsets[seg - 1];
    return t->order_grp + t->offsets[seg - 1];
}

/* target_auc.c */
typedef struct tg_auc {
    double auc, P, N; /* P, N: person weight of the benchmark group and of the others */
} tg_auc;
/** The AUC of a segment, computed once. */
tg_auc pkh__tg_seg_auc(pkh__tg *t, int64_t seg);

/** AUC of rows order[0..m) (ascending score); benchmark membership: (flag[i] & mask) != 0. */
tg_auc pkh__tg_auc_sorted(const double *s, const uint8_t *flag, uint8_t mask, const double *p,
                          const int64_t *order, int64_t m);
/** Influence values of that AUC, added to z[row[i]] (row NULL: z[i]). */
void pkh__tg_auc_influence(const double *s, const uint8_t *flag, uint8_t mask, const double *p,
                           const int64_t *order, int64_t m, tg_auc a, const int64_t *row,
                           double *z);
/* target_compute.c */
/** A ratio's numerator total and denominator total (1 for a total) in a segment. */
void pkh__tg_ratio_parts(const pkh__tg *t, int64_t seg, tg_ratio r, double *num, double *den);
/** A metric's estimate in a segment (the AUC's parts in *auc). */
double pkh__tg_metric_value(pkh__tg *t, int64_t seg, const tg_metric *m, tg_auc *auc);

/* target_se.c */
/** Influence values of a metric in a segment, added to z (one per table row). */
void pkh__tg_metric_influence(pkh__tg *t, int64_t seg, const tg_metric *m, double *z);
/** SEs and t intervals of every (segment, metric) estimate (segment-major), NaN without a
 *  design or for undefined estimates. */
pkh_status pkh__tg_standard_errors(pkh__tg *t, const double *est, double *se, double *lo,
                                   double *hi);

/** The curve rows of every segment into a table (by columns first). */
pkh_status pkh__tg_curves(pkh__tg *t, pkh_table **out);

#endif /* PKH_INTERNAL_TARGETING_H */
