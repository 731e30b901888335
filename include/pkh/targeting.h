/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Targeting evaluation: who should receive (a benchmark group: below a poverty line, or the
 * bottom share of welfare) against who does or would receive (a recipient column, or a score
 * below a cut-off or quota). Coverage, exclusion and inclusion errors under both
 * denominators, benefit incidence by quintile or decile, the Coady-Grosh-Hoddinott indicator,
 * the weighted AUC of a score and its ROC, quota and precision-recall curves. Formulas and
 * conventions are in docs/targeting.md.
 */
#ifndef PKH_TARGETING_H
#define PKH_TARGETING_H

#include <math.h>

#include <pkh/core.h>
#include <pkh/design.h>
#include <pkh/stats.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How the benchmark group (who "should" receive) is defined. Values are ABI. */
typedef enum pkh_benchmark_kind {
    PKH_BENCHMARK_NONE = 0,        /**< no benchmark */
    PKH_BENCHMARK_LINE = 1,        /**< welfare < a number ("line:NUMBER") */
    PKH_BENCHMARK_LINE_COLUMN = 2, /**< welfare < the row's line ("line:COL") */
    PKH_BENCHMARK_SHARE = 3        /**< welfare < its F quantile of persons ("share:F") */
} pkh_benchmark_kind;

/** A benchmark. */
typedef struct pkh_benchmark {
    pkh_benchmark_kind kind;
    double value;       /**< LINE: the line (> 0); SHARE: F in (0, 1) */
    const char *column; /**< LINE_COLUMN: the column of lines (borrowed) */
} pkh_benchmark;

/**
 * Parse a benchmark: "line:NUMBER" (a positive number), "line:COL" (anything else after
 * "line:" names a column) or "share:F" with 0 < F < 1. `text` must outlive `out` when it names
 * a column.
 * \return PKH_OK, or PKH_EINVAL with a message giving the accepted forms.
 */
PKH_API pkh_status pkh_benchmark_parse(const char *text, pkh_benchmark *out, pkh_error *err);

/**
 * Weighted area under the ROC curve of `score` for finding the rows with `target[i]` nonzero,
 * a low score meaning "predicted in the target group":
 * AUC = sum_{i in T} sum_{j not in T} w_i w_j [1(s_i < s_j) + 1/2 1(s_i = s_j)] / (W_T W_N).
 * Computed in O(n log n) by one sort.
 * \param w  Weights (NULL: all 1), non-negative and finite.
 * \return PKH_OK; PKH_EINVAL for a NaN score or a bad weight; PKH_EEMPTY when either group
 *         has zero weight; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_weighted_auc(const double *score, const uint8_t *target, const double *w,
                                    int64_t n, double *out, pkh_error *err);

/** Options of pkh_targeting_compute(). Initialise with PKH_TARGETING_OPTIONS_INIT. */
typedef struct pkh_targeting_options {
    const char *income;      /**< required: welfare (per-capita expenditure or income) */
    const char *weight;      /**< NULL: every row weighs 1 */
    const char *size;        /**< NULL: 1 person per row; else weight x size persons */
    pkh_benchmark benchmark; /**< required: who should receive */
    /** Who receives: either `recipient` (a numeric or bool column, nonzero = receives) or
     *  `score` with exactly one of `quota` and `cutoff` (eligible: score < cut-off). */
    const char *recipient;
    const char *score;
    double quota;          /**< share of persons in (0, 1); NaN when not used */
    double cutoff;         /**< a score cut-off; NaN when not used */
    const char *benefit;   /**< per-row benefit amount; NULL: recipient persons stand for it */
    const char *const *by; /**< domains (NULL: whole population only) */
    int64_t n_by;
    int groups;                      /**< 5 (quintiles; 0 means 5) or 10 (deciles) */
    const uint8_t *filter;           /**< optional: one byte per row, 0 leaves the row out */
    pkh_quantile_rule quantile_rule; /**< for quintiles, share:F and the quota */
    /** The survey design of `table`'s rows, for linearised standard errors and t intervals
     *  with its df (NULL: point estimates only). Borrowed for the call. */
    const pkh_design *design;
    double level;                   /**< confidence level; 0 means 0.95 */
    int threads;                    /**< 0: every core */
    const pkh_allocator *allocator; /**< for the results; NULL: default */
} pkh_targeting_options;

#define PKH_TARGETING_OPTIONS_INIT                                                             \
    {                                                                                          \
        NULL, NULL, NULL, {PKH_BENCHMARK_NONE, 0, NULL}, NULL, NULL, (double)NAN, (double)NAN, \
            NULL, NULL, 0, 5, NULL, PKH_QUANTILE_GT, NULL, 0.95, 0, NULL                       \
    }

/** What the computation used and left out, for the metadata of the results. */
typedef struct pkh_targeting_info {
    int64_t rows;           /**< rows of the table */
    int64_t used;           /**< rows used */
    int64_t filtered_out;   /**< rows outside the filter */
    int64_t missing_income; /**< rows with a missing (or NaN) welfare, left out */
    int64_t missing_key;    /**< rows with a missing --by key, left out */
    double population;      /**< persons of the rows used */
    double line;            /**< LINE: the line; SHARE: the welfare quantile (benchmark is
                                 welfare < line); LINE_COLUMN: the person-weighted mean line */
    double cutoff;          /**< the score cut-off (given, or the quota's quantile); NaN with a
                                 recipient column */
    double receiving;       /**< share of persons who receive (or are eligible) */
    double benchmark_share; /**< share of persons in the benchmark group */
    double bounds[9];       /**< welfare quantiles bounding the quintiles (4) or deciles (9) */
    int with_se;            /**< 1 when standard errors were computed */
    int64_t df;             /**< design degrees of freedom (#PSU - #strata); -1 without SEs */
} pkh_targeting_info;

/**
 * Targeting metrics for the whole population and each `by` domain.
 *
 * Every metric is person-weighted (a row counts weight x size persons) and is a ratio of
 * weighted totals (or a total, or the AUC); domains use the whole population's quintiles,
 * benchmark quantile and quota cut-off. Rows of `results`: the by columns (missing for the
 * whole population), `indicator`, `estimate`, `se`, `ci_low`, `ci_high`, `n` (rows of the
 * domain) and `population` (their persons). Indicators, in this order: coverage_poor,
 * exclusion_error, leakage, inclusion_error_nonpoor, targeting_differential, coverage, cgh,
 * coverage_q1.. (or _d1..), benefit_share_q1.. (or _d1..), undercoverage_persons,
 * undercoverage_families, leakage_persons, leakage_families, and auc with a score.
 * Undefined ratios (0/0, e.g. no benchmark persons in a domain) are missing. With a design,
 * `se` is the linearised standard error (influence values over the full design: domains are
 * domain estimates, never subsets) and the interval est -+ t(df) se with the design's df; the
 * quantile cut-offs (quintiles, share:F, the quota) are taken as fixed, as a ratio estimator
 * of the classified rows (R survey's svyratio) does.
 *
 * `curve` (optional, only with a score): rows of the by columns, `curve` ("roc" at every
 * distinct cut-off, thinned to one point per 0.1% of persons; "quota" at quotas 0.05, 0.10,
 * ..., 0.50), `quota` (the nominal quota; missing for roc), `cutoff` (eligible: score <
 * cutoff), `eligible` (share of the domain's persons eligible), `tpr` (coverage of the
 * benchmark group = recall), `fpr` (inclusion_error_nonpoor), `precision` (1 - leakage),
 * `exclusion_error` and `leakage`.
 *
 * \param[out] results  Owned by the caller; free with pkh_table_free().
 * \param[out] curve    Optional (NULL: not computed); NULL is written without a score.
 * \param[out] info     Optional.
 * \return PKH_OK; PKH_ENOTFOUND naming a missing column; PKH_ETYPE for a text column where a
 *         number is needed; PKH_EINVAL for a bad option (no benchmark, both or neither of
 *         recipient and score, a quota outside (0, 1), groups other than 5 or 10), a
 *         negative or missing weight, size or benefit, a missing recipient, score or line
 *         (naming the data row), a design made on another number of rows; PKH_EEMPTY when
 *         no row is usable; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_targeting_compute(const pkh_table *table, const pkh_targeting_options *opts,
                                         pkh_table **results, pkh_table **curve,
                                         pkh_targeting_info *info, pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_TARGETING_H */
