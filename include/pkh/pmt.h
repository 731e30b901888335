/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy-means test (PMT): weighted least squares of a welfare target (or its log) on
 * hard-to-hide household traits, with model-based and design-based standard errors, per-row
 * predicted scores, separate models by region, k-fold cross-validation and the targeting
 * errors of the score at a quota. Formulas and conventions are in docs/pmt.md.
 */
#ifndef PKH_PMT_H
#define PKH_PMT_H

#include <math.h>

#include <pkh/core.h>
#include <pkh/table.h>
#include <pkh/targeting.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Options of pkh_pmt_fit(). Initialise with PKH_PMT_OPTIONS_INIT. */
typedef struct pkh_pmt_options {
    const char *target;            /**< required: the welfare column to predict */
    int log_target;                /**< 1: model ln(target); rows with target <= 0 are
                                        left out (a domain) and counted */
    const char *const *covariates; /**< numeric regressors, in order */
    int64_t n_covariates;
    const char *const *categorical; /**< expanded to dummies "col=level", the first level
                                         (sorted: numbers numerically, text by bytes) the
                                         reference */
    int64_t n_categorical;
    const char *weight; /**< NULL: every row weighs 1 */
    /** The survey design of `table`'s rows (NULL: none): design-based SEs of the
     *  coefficients and of the targeting rows, and cross-validation folds made of PSUs.
     *  Borrowed for the call. */
    const pkh_design *design;
    const char *model_by; /**< one model per value of this column (NULL: one) */
    int folds;            /**< k-fold cross-validation when >= 2 */
    uint64_t seed;        /**< fold assignment */
    /* targeting of the score (needs quota and benchmark) */
    double quota;       /**< share of persons in (0, 1); NaN: no targeting */
    const char *income; /**< welfare for the benchmark; NULL: the target */
    const char *size;   /**< persons per row for the targeting (NULL: 1) */
    pkh_benchmark benchmark;
    const uint8_t *filter;          /**< optional: one byte per row, 0 leaves it out */
    double level;                   /**< confidence level; 0 means 0.95 */
    int threads;                    /**< 0: every core */
    const pkh_allocator *allocator; /**< for the results; NULL: default */
} pkh_pmt_options;

#define PKH_PMT_OPTIONS_INIT                                                        \
    {                                                                               \
        NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, 0, (double)NAN, NULL, NULL, \
            {PKH_BENCHMARK_NONE, 0, NULL}, NULL, 0.95, 0, NULL                      \
    }

/** Counts for the metadata of the results (summed over the models). */
typedef struct pkh_pmt_info {
    int64_t rows;         /**< rows of the table */
    int64_t used;         /**< rows in the fit(s) */
    int64_t filtered_out; /**< rows outside the filter */
    int64_t missing;      /**< rows dropped for a missing target, covariate or weight */
    int64_t nonpositive;  /**< rows left out because ln(target) is undefined (with log) */
    int64_t missing_key;  /**< rows with a missing model_by value */
    int64_t models;       /**< models fitted */
    int64_t terms;        /**< coefficients per model (intercept included) */
    int64_t scored;       /**< rows with a predicted score (every covariate present) */
    double cutoff;        /**< the quota's score cut-off (in-sample scores); NaN if none */
    int with_se;          /**< 1 when design-based SEs were computed */
    int64_t df;           /**< design df (#PSU - #strata); -1 without */
} pkh_pmt_info;

/**
 * Fit the PMT and evaluate it.
 *
 * `results` rows (model_by column first when given; missing on whole-population rows):
 * `indicator`, `term`, `estimate`, `se`, `t`, `p`, `ci_low`, `ci_high`, `se_model`, `df`, `n`.
 * Coefficient rows have `indicator` missing and `term` "(Intercept)", a covariate, or
 * "col=level"; `se` is design-based (linearised, Binder) when a design is given and the build
 * has a variance engine, else model-based; `se_model` is always model-based. Then one row each
 * for `r2`, `r2_adj`, `sigma` and `n` per model; with folds, `cv_rmse` and `cv_r2`; with a
 * quota and benchmark (whole population, pooled scores): coverage_poor, exclusion_error,
 * leakage, inclusion_error_nonpoor and auc, in-sample and, with folds, with a `cv_` prefix.
 *
 * `scores` (optional): one row per table row: `score` (the prediction; missing when a
 * covariate is missing, or the row's model was not fitted), `cv_score` (with folds: the
 * out-of-fold prediction of rows in the fit), `eligible` (with a quota: score < cut-off).
 *
 * \return PKH_OK; PKH_ENOTFOUND naming a column; PKH_ETYPE for a text covariate (make it
 *         categorical) or target; PKH_EINVAL for a categorical with one level, a quota outside
 *         (0, 1), fewer observations than parameters, a negative weight; PKH_ENUMERIC naming
 *         the later of perfectly collinear columns; PKH_EEMPTY when no row is usable;
 *         PKH_ENOMEM.
 */
PKH_API pkh_status pkh_pmt_fit(const pkh_table *table, const pkh_pmt_options *opts,
                               pkh_table **results, pkh_table **scores, pkh_pmt_info *info,
                               pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_PMT_H */
