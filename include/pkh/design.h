/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The survey design and the variance engine. An estimator hands over its influence values (one
 * number per table row: its linearisation, zero outside its domain); the design turns them into
 * a variance for a stratified, clustered sample. Replicate weights (the Rao-Wu rescaling
 * bootstrap, or replicate weights published with the data) are the other route. The methods
 * and their conventions (R survey's) are in docs/variance.md.
 *
 * Example: the standard error of a weighted mean of y over a design with strata and PSUs.
 *
 *     pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
 *     spec.strata = "strata";
 *     spec.psu = "psu";
 *     pkh_design *d = NULL;
 *     if (pkh_design_new(table, &spec, &d, &err) != PKH_OK) { ... }
 *     // mean = sum w y / W; its influence value of row i is w_i (y_i - mean) / W
 *     for (i = 0; i < n; i++) z[i] = w[i] * (y[i] - mean) / W;   // 0 for rows left out
 *     double var;
 *     pkh_design_variance(d, z, &var, &err);
 *     double t = pkh_t_quantile(0.975, (double)pkh_design_df(d));
 *     // se = sqrt(var); CI = mean -+ t se
 *     pkh_design_free(d);
 */
#ifndef PKH_DESIGN_H
#define PKH_DESIGN_H

#include <pkh/core.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What to do with a stratum that has a single PSU (its variance cannot be estimated). The
 *  choices of R survey's `options(survey.lonely.psu)`. Values are ABI. */
typedef enum pkh_lonely_psu {
    PKH_LONELY_FAIL = 0,      /**< refuse, naming the stratum (default) */
    PKH_LONELY_CERTAINTY = 1, /**< a certainty PSU: the stratum contributes no variance */
    PKH_LONELY_ADJUST = 2,    /**< centre the PSU at the grand mean (zero for influence values)
                                   rather than its stratum's mean (conservative) */
    PKH_LONELY_AVERAGE = 3,   /**< the stratum gets the average variance of the others: the
                                   total is scaled by strata / strata with two PSUs or more */
    PKH_LONELY_REMOVE = 4     /**< leave the stratum out of the variance (= certainty in R
                                   survey 4.1) */
} pkh_lonely_psu;

/** "fail", "certainty", "adjust", "average", "remove"; static storage. */
PKH_API const char *pkh_lonely_psu_name(pkh_lonely_psu policy);
/** Parse one of those names. \return PKH_OK or PKH_EINVAL. */
PKH_API pkh_status pkh_lonely_psu_parse(const char *name, pkh_lonely_psu *out);

/**
 * Columns that describe the design, with R survey's conventions: no `psu`, each row is its own
 * PSU; no `strata`, one stratum. PSUs are nested in strata (a PSU code is read within its
 * stratum, as Stata does and as R's nest = TRUE). An `fpc` value above 1 is the stratum's
 * population size in PSUs; a value in (0, 1] is the sampling fraction of PSUs. Without `fpc`
 * PSUs are taken as drawn with replacement (the "ultimate cluster" approximation).
 * Initialise with PKH_DESIGN_SPEC_INIT.
 */
typedef struct pkh_design_spec {
    const char *strata;             /**< stratum column (any type), or NULL */
    const char *psu;                /**< PSU column (any type), or NULL */
    const char *fpc;                /**< numeric finite population correction column, or NULL */
    pkh_lonely_psu lonely;          /**< single-PSU strata */
    int threads;                    /**< 0: every core */
    const pkh_allocator *allocator; /**< for the design's arrays; NULL: default */
} pkh_design_spec;

#define PKH_DESIGN_SPEC_INIT                       \
    {                                              \
        NULL, NULL, NULL, PKH_LONELY_FAIL, 0, NULL \
    }

/** A survey design over the rows of one table. Immutable once built; safe to share between
 *  threads. It keeps no reference to the table. */
typedef struct pkh_design pkh_design;

/**
 * Build the design of `table`'s rows.
 * \param spec  NULL or all-NULL columns: simple random sampling of rows with replacement.
 * \param[out] out  Owned by the caller; free with pkh_design_free(). Untouched on failure.
 * \return PKH_OK; PKH_ENOTFOUND naming a missing column; PKH_ETYPE for a text fpc column;
 *         PKH_EINVAL for a missing value in a design column (naming the column and the data
 *         row), an fpc that is not positive, differs within a stratum, or is smaller than the
 *         stratum's number of PSUs, a stratum with a single PSU under PKH_LONELY_FAIL (naming
 *         the stratum); PKH_EEMPTY for a table without rows; PKH_EOVERFLOW beyond 2^31 - 1
 *         PSUs or strata; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_design_new(const pkh_table *table, const pkh_design_spec *spec,
                                  pkh_design **out, pkh_error *err);

/** Free a design. NULL is fine. */
PKH_API void pkh_design_free(pkh_design *design);

/** Rows of the table the design was built on. */
PKH_API int64_t pkh_design_rows(const pkh_design *design);
/** Number of strata (1 without a strata column). */
PKH_API int64_t pkh_design_strata(const pkh_design *design);
/** Number of PSUs (the rows without a PSU column). */
PKH_API int64_t pkh_design_psus(const pkh_design *design);
/** Degrees of freedom for confidence intervals: PSUs - strata (R survey's degf()). */
PKH_API int64_t pkh_design_df(const pkh_design *design);
/** 1 when neither strata nor PSUs were given (simple random sampling of rows). */
PKH_API int pkh_design_is_srs(const pkh_design *design);
/** Strata with a single PSU (allowed by a lonely-PSU policy other than fail). */
PKH_API int64_t pkh_design_lonely_strata(const pkh_design *design);
/** The policy for single-PSU strata. */
PKH_API pkh_lonely_psu pkh_design_lonely(const pkh_design *design);

/**
 * Linearised variance of an estimator from its influence values (Taylor linearisation, the
 * ultimate-cluster variance of R survey's svyrecvar / Stata's svy):
 *   var = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (t_hj - tbar_h)^2,
 * where t_hj = sum of z over the rows of PSU j of stratum h, n_h the PSUs of stratum h, f_h its
 * sampling fraction (0 without fpc). `z` holds, for every row of the table, the row's
 * contribution to the estimator's error: estimate - truth ~ sum_i z_i. For a weighted total of
 * y, z_i = w_i y_i; for a mean, w_i (y_i - mean) / sum w. Rows outside the estimator's domain
 * (a --by group, a filter, a missing value) have z = 0 and their PSUs still count: this is
 * domain estimation over the full design, never a subset of it.
 * \param z  pkh_design_rows() values, finite.
 * \param[out] var  Untouched on failure.
 * \return PKH_OK; PKH_EINVAL for a non-finite z (naming the row); PKH_ENOMEM.
 */
PKH_API pkh_status pkh_design_variance(const pkh_design *design, const double *z, double *var,
                                       pkh_error *err);

/**
 * Variance-covariance matrix of `k` estimators at once, e.g. for a difference or a ratio of two
 * estimates: var(a - b) = V_aa + V_bb - 2 V_ab.
 * \param z    k columns of pkh_design_rows() values each, one after the other (column j at
 *             z + j * rows).
 * \param[out] cov  k x k, row-major (cov[a * k + b]). Untouched on failure.
 * \return as pkh_design_variance(); PKH_EINVAL for k < 1.
 */
PKH_API pkh_status pkh_design_covariance(const pkh_design *design, const double *z, int64_t k,
                                         double *cov, pkh_error *err);

/**
 * The same variances from influence values given only where they are non-zero: `n` entries at
 * table rows `rows[i]` (each row at most once, any order), `k` values per entry (row-major:
 * entry i's values at z[i * k .. i * k + k)). Costs O(n log n) whatever the size of the table:
 * the way to get the variance of many small domains.
 * \param[out] var  k variances. Untouched on failure.
 * \return PKH_OK; PKH_EINVAL for a row out of range, a non-finite value or k < 1; PKH_ENOMEM.
 */
PKH_API pkh_status pkh_design_variance_rows(const pkh_design *design, const int64_t *rows,
                                            const double *z, int64_t n, int64_t k, double *var,
                                            pkh_error *err);

/**
 * Quantile `p` of Student's t with `df` degrees of freedom (the normal's when df is infinite),
 * for confidence intervals: est -+ pkh_t_quantile((1 + level) / 2, df) * se.
 * \return the quantile; NaN when p is not in (0, 1) or df is not positive (or NaN).
 */
PKH_API double pkh_t_quantile(double p, double df);

/* ----- replication ----- */

/**
 * Rao-Wu rescaling bootstrap (Rao & Wu 1988; Rao, Wu & Yue 1992), replicate `replicate`:
 * in each stratum h with n_h >= 2 PSUs, n_h - 1 PSUs are drawn with replacement; PSU j, drawn
 * r_hj times, gets the weight factor 1 - lambda_h + lambda_h n_h / (n_h - 1) r_hj with
 * lambda_h = sqrt(1 - f_h). A single-PSU stratum keeps factor 1. The factors depend only on
 * (seed, replicate), never on threads or on other replicates: replicates 0..R-1 of seed s are
 * the first R of any longer run. A replicate estimate uses weight x factor; the bootstrap
 * variance is sum_r (est_r - est)^2 / R.
 * \param[out] factors  pkh_design_rows() values, one per table row.
 * \return PKH_OK; PKH_EINVAL for a negative replicate; PKH_EOVERFLOW for a stratum with more
 *         than 2^32 PSUs.
 */
PKH_API pkh_status pkh_design_bootstrap_factors(const pkh_design *design, uint64_t seed,
                                                int64_t replicate, double *factors, pkh_error *err);

/** How replicate weights were made, which fixes how their estimates make a variance.
 *  Values are ABI. */
typedef enum pkh_rep_type {
    PKH_REP_BOOTSTRAP = 1, /**< var = sum (est_r - est)^2 / R */
    PKH_REP_JK1 = 2,       /**< delete-one-PSU jackknife, unstratified: (R - 1) / R sum (...)^2 */
    PKH_REP_JKN = 3,       /**< stratified jackknife: sum_r (n_h(r) - 1) / n_h(r) (...)^2 */
    PKH_REP_BRR = 4,       /**< balanced repeated replication: sum (...)^2 / R */
    PKH_REP_FAY = 5        /**< Fay's BRR with coefficient rho: sum (...)^2 / (R (1 - rho)^2) */
} pkh_rep_type;

/** "bootstrap", "jk1", "jkn", "brr", "fay"; static storage. */
PKH_API const char *pkh_rep_type_name(pkh_rep_type type);

/**
 * Parse "bootstrap", "jk1", "jkn", "brr" or "fay:RHO" (0 <= RHO < 1).
 * \param[out] rho  Fay's coefficient (0 for the others).
 * \return PKH_OK or PKH_EINVAL with a message.
 */
PKH_API pkh_status pkh_rep_type_parse(const char *text, pkh_rep_type *type, double *rho,
                                      pkh_error *err);

/**
 * Variance from replicate estimates, centred on the full-sample estimate `est`.
 * \param scales  Per replicate (R values): the factor of each squared deviation, used by
 *                PKH_REP_JKN ((n_h - 1) / n_h of the stratum whose PSU replicate r deletes); NULL
 *                for the other types.
 * \param[out] var  NaN when a replicate estimate is NaN.
 * \return PKH_OK; PKH_EINVAL for R < 1, a missing `scales` for jkn, rho outside [0, 1).
 */
PKH_API pkh_status pkh_replicate_variance(const double *est_r, int64_t R, double est,
                                          pkh_rep_type type, double rho, const double *scales,
                                          double *var, pkh_error *err);

/**
 * The scales of stratified-jackknife replicate weights (PKH_REP_JKN): replicate r deletes a PSU
 * of some stratum h (the rows whose replicate weight is 0); its scale is (n_h - 1) / n_h.
 * \param repw  R columns of pkh_design_rows() replicate weights each (column r at
 *              repw + r * rows).
 * \param[out] scales  R values.
 * \return PKH_OK; PKH_EINVAL when a replicate deletes no row, or rows of several strata (naming
 *         the replicate).
 */
PKH_API pkh_status pkh_design_jkn_scales(const pkh_design *design, const double *repw, int64_t R,
                                         double *scales, pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_DESIGN_H */
