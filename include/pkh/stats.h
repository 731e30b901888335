/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Poverty and inequality indicators: weighted kernels and the grouped computation behind
 * `pkh indicators`. Definitions, with their names in DASP, laeken and convey, are in
 * docs/indicators.md.
 */
#ifndef PKH_STATS_H
#define PKH_STATS_H

#include <pkh/core.h>
#include <pkh/design.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * How a weighted quantile is taken from the sorted values x(1) <= ... <= x(n) with cumulative
 * weight shares c(k) = (w(1) + ... + w(k)) / W. Values are ABI.
 */
typedef enum pkh_quantile_rule {
    PKH_QUANTILE_GT = 0,    /**< "gt": first x(k) with c(k) > p (laeken, Eurostat): default */
    PKH_QUANTILE_GE = 1,    /**< "ge": first x(k) with c(k) >= p (inverse ECDF; R survey "math") */
    PKH_QUANTILE_GE_AVG = 2 /**< "ge_avg": as ge, the mean of x(k) and x(k+1) when c(k) = p
                                 exactly (R survey "school") */
} pkh_quantile_rule;

/** "gt", "ge" or "ge_avg"; static storage. */
PKH_API const char *pkh_quantile_rule_name(pkh_quantile_rule rule);
/** Parse a rule name. \return PKH_OK or PKH_EINVAL. */
PKH_API pkh_status pkh_quantile_rule_parse(const char *name, pkh_quantile_rule *out);

/* ----- kernels on arrays ----- */

/**
 * Weighted quantile of `n` values (any order; rows with zero weight are ignored).
 * \param w  Weights (NULL: all 1), non-negative.
 * \return PKH_OK; PKH_EINVAL for p outside [0, 1], a negative or non-finite weight, or a NaN
 *         value; PKH_EEMPTY when the total weight is 0; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_weighted_quantile(const double *x, const double *w, int64_t n, double p,
                                         pkh_quantile_rule rule, double *out, pkh_error *err);

/**
 * Weighted Gini coefficient of `n` values (any order), by the formula laeken and DASP use:
 * G = sum_i w_i x_i (2 C_(i-1) + w_i - W) / (W sum w x), ranks by ascending x, which equals
 * the mean absolute difference over twice the mean.
 * \return PKH_OK; PKH_EINVAL for bad weights or NaN values; PKH_EEMPTY when the total weight
 *         or the total income is 0; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_gini(const double *x, const double *w, int64_t n, double *out,
                            pkh_error *err);

/**
 * FGT(alpha) = sum w (1 - x/z)^alpha 1(x < z) / sum w, with z = lines[i] when `lines` is given,
 * else `line`.
 * \return PKH_OK; PKH_EINVAL for alpha < 0, a non-positive line, bad weights; PKH_EEMPTY when
 *         the total weight is 0.
 */
PKH_API pkh_status pkh_fgt(const double *x, const double *w, const double *lines, double line,
                           int64_t n, double alpha, double *out, pkh_error *err);

/* ----- indicators ----- */

/** Indicator kinds. Values are ABI. */
typedef enum pkh_indicator_kind {
    PKH_IND_FGT = 1,              /**< fgt0, fgt1, fgt2, fgt:A */
    PKH_IND_WATTS = 2,            /**< watts */
    PKH_IND_SEN = 3,              /**< sen */
    PKH_IND_SST = 4,              /**< sst (Sen-Shorrocks-Thon) */
    PKH_IND_POOR = 5,             /**< poor: number of poor persons */
    PKH_IND_GAP_TOTAL = 6,        /**< gap_total: money to close every gap */
    PKH_IND_INCOME_GAP_RATIO = 7, /**< income_gap_ratio = P1 / P0 */
    PKH_IND_LINE = 8,             /**< line used (person-weighted mean of per-row lines) */
    PKH_IND_GINI = 9,             /**< gini */
    PKH_IND_GE = 10,              /**< mld = ge:0, theil = ge:1, ge2, ge:A */
    PKH_IND_ATKINSON = 11,        /**< atkinson:E */
    PKH_IND_PALMA = 12,           /**< palma: share above q90 / share at or below q40 */
    PKH_IND_S80S20 = 13,          /**< s80s20: income above q80 / income at or below q20 */
    PKH_IND_RATIO = 14,           /**< ratio:P:Q = quantile P / quantile Q; p90p10 */
    PKH_IND_SHARE_B40 = 15,       /**< share_b40: income share at or below q40 */
    PKH_IND_DECILE_SHARE = 16,    /**< share_d1 ... share_d10 */
    PKH_IND_QUINTILE_SHARE = 17,  /**< share_q1 ... share_q5 */
    PKH_IND_CV = 18,              /**< cv: coefficient of variation */
    PKH_IND_MEAN = 19,            /**< mean */
    PKH_IND_MEDIAN = 20,          /**< median */
    PKH_IND_QUANTILE = 21,        /**< quantile:P */
    PKH_IND_LORENZ = 22,          /**< lorenz:P */
    PKH_IND_GLORENZ = 23,         /**< glorenz:P = lorenz:P x mean */
    PKH_IND_POPULATION = 24,      /**< population: sum of person weights */
    PKH_IND_FGT_DECOMP = 25,  /**< fgt_decomp:A: per group pop_share, fgtA_contrib, fgtA_share */
    PKH_IND_GE_DECOMP = 26,   /**< ge_decomp:A: geA_within and geA_between (needs by) */
    PKH_IND_S80S20_MEANS = 27 /**< s80s20_means: the ratio of mean incomes variant */
} pkh_indicator_kind;

/** A parsed indicator request. */
typedef struct pkh_indicator {
    pkh_indicator_kind kind;
    double a;      /**< alpha, epsilon, p, or the numerator quantile */
    double b;      /**< the denominator quantile of ratio:P:Q; the decile or quintile number */
    char name[64]; /**< canonical name as written in results: "fgt0", "ge:-1", "ratio:0.9:0.1" */
} pkh_indicator;

/**
 * Parse an indicator name: fgt0 fgt1 fgt2 fgt:A watts sen sst poor gap_total income_gap_ratio
 * line gini mld theil ge2 ge:A atkinson:E palma s80s20 s80s20_means p90p10 ratio:P:Q share_b40
 * share_d1..share_d10 share_q1..share_q5 cv mean median quantile:P lorenz:P glorenz:P population
 * fgt_decomp:A ge_decomp:A.
 * \return PKH_OK, or PKH_EINVAL with a message listing the names.
 */
PKH_API pkh_status pkh_indicator_parse(const char *text, pkh_indicator *out, pkh_error *err);

/** 1 if the indicator needs a poverty line. */
PKH_API int pkh_indicator_needs_line(const pkh_indicator *ind);

/** Kinds of poverty line. Values are ABI. */
typedef enum pkh_line_kind {
    PKH_LINE_NONE = 0,       /**< no line: poverty measures are refused */
    PKH_LINE_VALUE = 1,      /**< one number for everyone */
    PKH_LINE_COLUMN = 2,     /**< a column of per-row lines (e.g. BPS province x urban lines) */
    PKH_LINE_REL_MEDIAN = 3, /**< fraction x the weighted median of the income */
    PKH_LINE_REL_MEAN = 4,   /**< fraction x the weighted mean of the income */
    PKH_LINE_LOOKUP = 5      /**< looked up by key columns in a table of lines */
} pkh_line_kind;

/** A poverty line. */
typedef struct pkh_line {
    pkh_line_kind kind;
    double value;       /**< PKH_LINE_VALUE: the line; PKH_LINE_REL_*: the fraction */
    const char *column; /**< PKH_LINE_COLUMN: the column of lines */
    /** PKH_LINE_LOOKUP: a table with the key columns and one column of lines; rows of the data
     *  are matched on `keys` (the same names in both tables). */
    const pkh_table *lookup;
    const char *const *keys;
    int64_t n_keys;
    const char *lookup_value; /**< the lookup table's line column; NULL: its only other column */
} pkh_line;

/**
 * Parse a --line argument: a number, "rel:F:median", "rel:F:mean", or otherwise a column name.
 * `text` must outlive `out` when it names a column. \return PKH_OK or PKH_EINVAL.
 */
PKH_API pkh_status pkh_line_parse(const char *text, pkh_line *out, pkh_error *err);

/** How standard errors are computed. Values are ABI. */
typedef enum pkh_se_method {
    PKH_SE_NONE = 0,       /**< point estimates only: se, ci_low, ci_high missing (default) */
    PKH_SE_LINEARIZED = 1, /**< Taylor linearisation: influence values over the design */
    PKH_SE_BOOTSTRAP = 2,  /**< Rao-Wu rescaling bootstrap of the design (`replicates`, `seed`) */
    PKH_SE_REPLICATE = 3   /**< replicate weights given with the data (`repweights`, `reptype`) */
} pkh_se_method;

/** Confidence intervals from replicates. Values are ABI. */
typedef enum pkh_ci_method {
    PKH_CI_NORMAL = 0,    /**< estimate -+ z se (linearised: -+ t(df) se) */
    PKH_CI_PERCENTILE = 1 /**< quantiles of the replicate estimates (bootstrap only) */
} pkh_ci_method;

/** Linearised SEs of quantiles (median, quantile:P). Values are ABI. */
typedef enum pkh_quantile_se {
    PKH_QSE_WOODRUFF = 0, /**< Woodruff (1952): the CI of the CDF at the estimate, inverted
                               through the quantile function (R survey's svyquantile); default */
    PKH_QSE_KERNEL = 1    /**< influence function -(1(y <= q) - p) / (N f(q)), f a Gaussian
                               kernel density (convey's) */
} pkh_quantile_se;

/** A difference between two groups of a --by column: estimate(column = a) - estimate(column =
 *  b), the other --by columns equal. */
typedef struct pkh_contrast {
    const char *column; /**< one of the --by columns */
    const char *a; /**< first group's value as text ("1", "urban", "2020"); with b NULL, "A-B" */
    const char *b; /**< second group's value; NULL: split `a` at the '-' that names two
                        groups that exist */
} pkh_contrast;

/** Standard errors and confidence intervals of pkh_indicators_compute(). */
typedef struct pkh_se_options {
    pkh_se_method method;
    const pkh_design *design; /**< built on the same table; NULL: simple random sampling of
                                   rows with replacement (each row a PSU, one stratum) */
    double level;             /**< confidence level; 0: 0.95 */
    int deff;                 /**< 1: add a `deff` column (vs SRS without replacement, as R
                                   survey's deff = TRUE) */
    pkh_quantile_se quantile_se;
    int64_t replicates; /**< PKH_SE_BOOTSTRAP: number of replicates (e.g. 1000) */
    uint64_t seed;      /**< PKH_SE_BOOTSTRAP: the same seed gives the same replicates */
    pkh_ci_method ci;
    const char *const *repweights; /**< PKH_SE_REPLICATE: replicate weight columns (they replace
                                        `weight`; `size` still multiplies them) */
    int64_t n_repweights;
    pkh_rep_type reptype;          /**< PKH_SE_REPLICATE: 0 means PKH_REP_BOOTSTRAP */
    double fay_rho;                /**< PKH_REP_FAY's coefficient */
    const pkh_contrast *contrasts; /**< rows for differences between groups */
    int64_t n_contrasts;
    double df; /**< degrees of freedom of the t intervals; 0: the design's
                    (PSUs - strata) */
} pkh_se_options;

#define PKH_SE_OPTIONS_INIT                                                                       \
    {                                                                                             \
        PKH_SE_NONE, NULL, 0, 0, PKH_QSE_WOODRUFF, 0, 1, PKH_CI_NORMAL, NULL, 0, (pkh_rep_type)0, \
            0, NULL, 0, 0                                                                         \
    }

/** Options of pkh_indicators_compute(). Initialise with PKH_INDICATORS_OPTIONS_INIT. */
typedef struct pkh_indicators_options {
    const char *income;    /**< required: the welfare column */
    const char *weight;    /**< NULL: every row weighs 1 */
    const char *size;      /**< NULL: 1 person per row; else weight x size persons */
    pkh_line line;         /**< the poverty line */
    const char *const *by; /**< group columns (NULL: whole population only) */
    int64_t n_by;
    int no_total;                    /**< 1: leave out the whole-population rows */
    int line_by_group;               /**< 1: relative lines from each group's own distribution */
    const pkh_indicator *indicators; /**< NULL: fgt0 fgt1 fgt2 poor gini mean median population */
    int64_t n_indicators;
    const uint8_t *filter; /**< optional: one byte per row, 0 leaves the row out */
    pkh_quantile_rule quantile_rule;
    int threads;                    /**< 0: every core */
    const pkh_allocator *allocator; /**< for the results; NULL: default */
    pkh_se_options se;              /**< standard errors (default: none) */
} pkh_indicators_options;

#define PKH_INDICATORS_OPTIONS_INIT                                                              \
    {                                                                                            \
        NULL, NULL, NULL, {PKH_LINE_NONE, 0, NULL, NULL, NULL, 0, NULL}, NULL, 0, 0, 0, NULL, 0, \
            NULL, PKH_QUANTILE_GT, 0, NULL, PKH_SE_OPTIONS_INIT                                  \
    }

/** Counts of what was left out, for the metadata of the results. */
typedef struct pkh_indicators_info {
    int64_t rows;           /**< rows of the table */
    int64_t used;           /**< rows used by at least the whole-population estimates */
    int64_t filtered_out;   /**< rows outside the filter */
    int64_t missing_income; /**< rows with a missing income */
    int64_t missing_key;    /**< rows with a missing group key */
    int64_t nonpositive;    /**< used rows with income <= 0 (left out of watts, mld, ...) */
    int64_t negative;       /**< used rows with income < 0 (left out of theil, ge2, ...) */
    double line;            /**< the whole population's line (mean line for per-row lines) */
    /* standard errors */
    pkh_se_method se;          /**< the method used */
    int64_t df;                /**< degrees of freedom of the t intervals (PSUs - strata) */
    double level;              /**< confidence level */
    int64_t strata, psus;      /**< of the design (the rows and 1 stratum without one) */
    int srs;                   /**< 1: no design given: simple random sampling of rows assumed */
    int64_t replicates;        /**< bootstrap or replicate weights: how many */
    int64_t failed_replicates; /**< replicates in which some estimate was undefined */
} pkh_indicators_info;

/**
 * Compute indicators for the whole population and each group of `by`.
 *
 * Results: one row per (group, indicator), the whole population first (its group columns
 * missing), then the groups in sorted key order; columns: the by columns, `contrast` (only when
 * contrasts are asked for), `indicator`, `estimate`, `se`, `ci_low`, `ci_high` (missing with
 * PKH_SE_NONE), `deff` (only with opts->se.deff), `n` (rows used) and `population` (their person
 * weight). Contrast rows come last. Persons, not rows: with `size`, a row counts weight x size
 * persons. Rows with a missing income (or outside the filter, or with a missing key) are left
 * out and counted in `info`; under a design they are outside the domain, and their PSUs still
 * count (docs/variance.md).
 *
 * \param[out] out   Owned by the caller; free with pkh_table_free().
 * \param[out] info  Optional.
 * \return PKH_OK; PKH_ENOTFOUND naming a missing column; PKH_ETYPE for a string income, weight
 *         or line column; PKH_EINVAL for a negative or missing weight or size, a missing or
 *         non-positive line, a poverty indicator without a line, ge_decomp without groups, a
 *         lookup key with no line, a design built on another table, a confidence level outside
 *         (0, 1), a bootstrap of fewer than 2 replicates, fewer than 2 replicate weight columns
 *         or a missing or negative replicate weight, a contrast on a column that is not a --by
 *         column or between values that do not occur; PKH_EEMPTY naming a group with no usable
 *         rows; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_indicators_compute(const pkh_table *table,
                                          const pkh_indicators_options *opts, pkh_table **out,
                                          pkh_indicators_info *info, pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_STATS_H */
