/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Synthetic survey data: a deterministic generator of a SUSENAS-like household survey
 * (households and their members, with strata, PSUs and weights), calibrated to Indonesia's
 * published figures. It is NOT real survey data: see docs/synthetic-data.md.
 */
#ifndef PKH_SYNTH_H
#define PKH_SYNTH_H

#include <pkh/core.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Options of the generator. Initialise with PKH_SYNTH_OPTIONS_INIT and set `households`.
 * The generated data depend only on `households`, `seed` and `year`: never on `threads`, the
 * allocator or the machine.
 */
typedef struct pkh_synth_options {
    int64_t households;             /**< number of households to generate, at least 1 */
    uint64_t seed;                  /**< any value; the same seed gives the same data */
    int year;                       /**< calibration year; 0 for the default (2019) */
    int threads;                    /**< worker threads; 0 for every online core */
    const pkh_allocator *allocator; /**< NULL for the default; must outlive the tables */
} pkh_synth_options;

/** Default options: no households yet (set them), seed 1, year 2019, every core. */
#define PKH_SYNTH_OPTIONS_INIT \
    {                          \
        0, 1, 0, 0, NULL       \
    }

/** The calibration year used when pkh_synth_options.year is 0. */
#define PKH_SYNTH_DEFAULT_YEAR 2019

/**
 * Generate a synthetic survey: one row per household and one row per household member.
 *
 * Household columns: hhid, province, prov_code, urban, strata, psu, weight, hhsize, pcexp,
 * povline, roof, floor, wall, toilet, water, cooking_fuel, electricity, assets, head_educ,
 * head_sex, n_working, pkh, n_pregnant, n_child06, n_sd, n_smp, n_sma, n_disabled_severe,
 * n_elderly60. Member columns: hhid, line, relation, sex, age, school, attending, pregnant,
 * disabled_severe, working. Codes and definitions are in docs/synthetic-data.md. Households
 * come sorted by strata and psu; members by hhid and line.
 *
 * \param opts  Required; `households` must be at least 1.
 * \param[out] households  Owned by the caller; free with pkh_table_free(). Untouched on failure.
 * \param[out] members     Owned by the caller; free with pkh_table_free(). Untouched on failure.
 * \param[out] err  Optional (may be NULL); filled on failure.
 * \return PKH_OK; PKH_EINVAL for households < 1, an unknown year, or NULL arguments;
 *         PKH_EOVERFLOW for more than 10^9 households; PKH_ENOMEM.
 * **Ownership:** both tables are new and owned by the caller; `opts` is borrowed for the call.
 */
PKH_API pkh_status pkh_synth_generate(const pkh_synth_options *opts, pkh_table **households,
                                      pkh_table **members, pkh_error *err);

/**
 * Write the two tables as `PREFIX-households.csv[.gz]` and `PREFIX-members.csv[.gz]`.
 *
 * Both files are written under temporary names and renamed only when both are complete, so a
 * failure leaves neither a partial file nor a half-written pair behind.
 * \param households  Borrowed; any table (normally from pkh_synth_generate()).
 * \param members     Borrowed; as `households`.
 * \param prefix      Path prefix, e.g. "build/demo" (directories must exist).
 * \param gzip        Non-zero: gzip-compress and add ".gz" to the names.
 * \param threads     Threads for writing (the two files are written side by side); 0: every
 *                    core. The bytes written never depend on it.
 * \param[out] err    Optional; names the file that could not be written.
 * \return PKH_OK; PKH_EINVAL for NULL arguments or an empty prefix; PKH_EIO; PKH_ENOMEM.
 * **Ownership:** nothing is kept; the tables and `prefix` are borrowed for the call.
 */
PKH_API pkh_status pkh_synth_write(const pkh_table *households, const pkh_table *members,
                                   const char *prefix, int gzip, int threads, pkh_error *err);

/**
 * The calibration targets of a year, one row per province (in code order): prov_code,
 * province, population (persons), urban_share, p0 (headcount ratio, a fraction),
 * p0_urban, p0_rural, povline_urban, povline_rural (Rupiah per capita per month; 0 where the
 * province has no such area). Which numbers are published and which are derived is in
 * docs/synthetic-data.md.
 * \param year  0 for the default year.
 * \param allocator  NULL for the default; must outlive the table.
 * \param[out] out  Owned by the caller; free with pkh_table_free(). Untouched on failure.
 * \return PKH_OK; PKH_EINVAL for an unknown year; PKH_ENOMEM.
 * **Ownership:** the table is new and owned by the caller.
 */
PKH_API pkh_status pkh_synth_targets(int year, const pkh_allocator *allocator, pkh_table **out,
                                     pkh_error *err);

/**
 * Is `year` a calibration year the generator knows? 1 if so (0 counts as the default year).
 * **Ownership:** nothing crosses the call.
 */
PKH_API int pkh_synth_year_supported(int year);

#ifdef __cplusplus
}
#endif
#endif /* PKH_SYNTH_H */
