/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cash-transfer programmes: rules read from JSON (components, flat benefits, a cap, payment
 * stages, eligibility), presets for Indonesia's PKH and Turkey's ŞNT, and the simulation of
 * who is paid what and what it does to poverty. The rules file is described in
 * docs/programs.md.
 */
#ifndef PKH_PROGRAM_H
#define PKH_PROGRAM_H

#include <pkh/core.h>
#include <pkh/design.h>
#include <pkh/stats.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Programme rules. Immutable once read, except through pkh_program_set_amount() and
 * pkh_program_set_cap(); any number of threads may simulate with one programme at once while
 * nobody changes it.
 */
typedef struct pkh_program pkh_program;

/* ----- reading rules ----- */

/**
 * Read programme rules from JSON text (the schema is in docs/programs.md).
 *
 * Every problem is reported with its place in the text: a JSON syntax error with jansson's line
 * and column, an unknown field (with the closest known name), an unknown component, a
 * negative amount, stage months that do not add up to a year, a malformed condition.
 * \param text    `length` bytes of UTF-8 JSON; copied.
 * \param source  Name used in messages (a file name); NULL for "<memory>".
 * \param allocator  NULL for the default; must outlive the programme.
 * \param[out] out   Untouched on failure.
 * \param[out] err   Optional; on failure "SOURCE:LINE:COLUMN: FIELD: message".
 * \return PKH_OK; PKH_EPARSE for a syntax error or a malformed condition; PKH_EINVAL for a
 *         value out of range, an unknown field or name, a missing required field;
 *         PKH_EDUPLICATE for a name given twice; PKH_ENOMEM.
 *
 * **Ownership:** `*out` is owned by the caller; free it with pkh_program_free().
 */
PKH_API pkh_status pkh_program_parse(const char *text, size_t length, const char *source,
                                     const pkh_allocator *allocator, pkh_program **out,
                                     pkh_error *err);

/**
 * As pkh_program_parse(), from a file.
 * \return as pkh_program_parse(), and PKH_EIO when the file cannot be read.
 * **Ownership:** as pkh_program_parse().
 */
PKH_API pkh_status pkh_program_read_path(const char *path, const pkh_allocator *allocator,
                                         pkh_program **out, pkh_error *err);

/**
 * A preset by name: "pkh-2019", "pkh-2020", "pkh-2021" or "snt-tr". Each preset's notes give
 * its sources and mark uncertain amounts (see pkh_program_notes()).
 * \return PKH_OK; PKH_ENOTFOUND with the list of presets; PKH_ENOMEM.
 * **Ownership:** as pkh_program_parse().
 */
PKH_API pkh_status pkh_program_preset(const char *name, const pkh_allocator *allocator,
                                      pkh_program **out, pkh_error *err);

/**
 * A preset when `name_or_path` is a preset's name, otherwise the rules file at that path.
 * \return as pkh_program_preset() and pkh_program_read_path(); PKH_ENOTFOUND names both the
 *         missing file and the presets.
 * **Ownership:** as pkh_program_parse().
 */
PKH_API pkh_status pkh_program_load(const char *name_or_path, const pkh_allocator *allocator,
                                    pkh_program **out, pkh_error *err);

/** Number of presets. */
PKH_API int64_t pkh_program_preset_count(void);

/** Name of preset `i` (0-based), or NULL out of range. **Ownership:** static storage. */
PKH_API const char *pkh_program_preset_name(int64_t i);

/** Free a programme. NULL is fine. **Ownership:** takes `program`. */
PKH_API void pkh_program_free(pkh_program *program);

/* ----- what a programme holds ----- */

/** How families are chosen. Values are ABI. */
typedef enum pkh_selection {
    PKH_SELECT_PROGRAM = 0,   /**< as the rules file's "eligibility" says */
    PKH_SELECT_ALL = 1,       /**< every family (that has a component, when required) */
    PKH_SELECT_RECIPIENT = 2, /**< families whose `column` is non-zero (missing: not) */
    PKH_SELECT_CUTOFF = 3,    /**< score `column` < `value` (strictly) */
    PKH_SELECT_QUOTA = 4,     /**< lowest scores first, at most `value` x all families */
    PKH_SELECT_FAMILIES = 5,  /**< lowest scores first, at most `value` families */
    PKH_SELECT_BUDGET = 6     /**< lowest scores first, at most `value` spent a year */
} pkh_selection;

/** A selection rule. */
typedef struct pkh_program_eligibility {
    pkh_selection kind;
    const char *column; /**< the recipient or score column */
    double value;       /**< the cut-off, quota, number of families or budget */
} pkh_program_eligibility;

/** The programme's `name` (a preset's name; the file's "name" field, or "" when absent).
 *  **Ownership:** borrowed; valid until the programme is freed. */
PKH_API const char *pkh_program_name(const pkh_program *program);
/** The `title`, or "". **Ownership:** borrowed, as pkh_program_name(). */
PKH_API const char *pkh_program_title(const pkh_program *program);
/** The `currency`, e.g. "IDR". **Ownership:** borrowed, as pkh_program_name(). */
PKH_API const char *pkh_program_currency(const pkh_program *program);
/** The JSON text the programme was read from. **Ownership:** borrowed, as pkh_program_name(). */
PKH_API const char *pkh_program_text(const pkh_program *program);
/** Number of `notes` (sources and caveats). */
PKH_API int64_t pkh_program_num_notes(const pkh_program *program);
/** Note `i`, or NULL out of range. **Ownership:** borrowed, as pkh_program_name(). */
PKH_API const char *pkh_program_note(const pkh_program *program, int64_t i);

/** One component: a kind of family member the programme pays for. */
typedef struct pkh_program_component {
    const char *name;             /**< identifier, e.g. "smp" */
    const char *label;            /**< free text, or "" */
    const char *count_column;     /**< household column of counts, or NULL */
    const char *member_condition; /**< condition on member rows, or NULL */
    double annual;                /**< paid per counted member per year (all stages) */
} pkh_program_component;

/** One flat benefit: paid once per eligible family (when its condition holds). */
typedef struct pkh_program_flat {
    const char *name;      /**< identifier, e.g. "reguler" */
    const char *label;     /**< free text, or "" */
    const char *condition; /**< condition on households, or NULL (always paid) */
    double annual;         /**< per family per year */
} pkh_program_flat;

/** One payment stage. */
typedef struct pkh_program_stage {
    const char *name; /**< e.g. "January" */
    double share;     /**< share of the year it covers (months / 12) */
} pkh_program_stage;

PKH_API int64_t pkh_program_num_components(const pkh_program *program);
PKH_API int64_t pkh_program_num_flats(const pkh_program *program);
PKH_API int64_t pkh_program_num_stages(const pkh_program *program);

/**
 * Component `i`, flat benefit `i`, or stage `i` (0-based, in the order of the rules file).
 * \return PKH_OK, or PKH_EINVAL when `i` is out of range (`*out` untouched).
 * **Ownership:** the strings in `*out` are borrowed; valid until the programme is freed or
 * changed.
 */
PKH_API pkh_status pkh_program_component_at(const pkh_program *program, int64_t i,
                                            pkh_program_component *out);
PKH_API pkh_status pkh_program_flat_at(const pkh_program *program, int64_t i,
                                       pkh_program_flat *out);
PKH_API pkh_status pkh_program_stage_at(const pkh_program *program, int64_t i,
                                        pkh_program_stage *out);

/**
 * Amount paid in stage `stage` for one member counted in component `component`: the share of
 * the year the stage covers times the annual rate in force during it. NaN out of range.
 */
PKH_API double pkh_program_stage_amount(const pkh_program *program, int64_t stage,
                                        int64_t component);

/** Members counted per family at most (0: no cap). */
PKH_API int64_t pkh_program_cap(const pkh_program *program);

/** A flag: a yes/no household input of the rules (e.g. "akses"), bound to a column when
 *  simulating (pkh_flag_binding); unbound, a column of the same name, else the default. */
typedef struct pkh_program_flag {
    const char *name;
    const char *description; /**< or "" */
    int default_value;       /**< 0 or 1 */
} pkh_program_flag;

PKH_API int64_t pkh_program_num_flags(const pkh_program *program);
/** Flag `i`. \return PKH_OK, or PKH_EINVAL out of range. **Ownership:** as
 *  pkh_program_component_at(). */
PKH_API pkh_status pkh_program_flag_at(const pkh_program *program, int64_t i,
                                       pkh_program_flag *out);

/**
 * The rules file's own selection (PKH_SELECT_PROGRAM when it gives none: every family).
 * **Ownership:** `column` is borrowed, as pkh_program_name().
 */
PKH_API pkh_program_eligibility pkh_program_selection(const pkh_program *program);

/** 1 if a family needs at least one component to be paid. */
PKH_API int pkh_program_requires_component(const pkh_program *program);

/** The eligibility condition on households, or NULL. **Ownership:** borrowed. */
PKH_API const char *pkh_program_condition(const pkh_program *program);

/**
 * The household columns the rules themselves read, so a reader can load only those: the
 * count columns (all of them without a roster; with one (`roster` 1), those of components
 * without a member condition) and the columns named by the household conditions (eligibility,
 * flat benefits), flags excepted. Each name once.
 * \param names  Receives up to `cap` names (may be NULL with cap 0).
 * \return the number of names (which may exceed `cap`).
 * **Ownership:** the names are borrowed; valid until the programme is freed.
 */
PKH_API int64_t pkh_program_household_columns(const pkh_program *program, int roster,
                                              const char **names, int64_t cap);

/**
 * Change the amount of a component (the annual rate, in every stage) or of a flat benefit
 * (per family per year), e.g. "raise the benefit for SMP children". Not thread-safe: no
 * simulation may run with the programme meanwhile.
 * \return PKH_OK; PKH_ENOTFOUND (listing the names); PKH_EINVAL for a negative or non-finite
 *         amount.
 */
PKH_API pkh_status pkh_program_set_amount(pkh_program *program, const char *name, double annual,
                                          pkh_error *err);

/**
 * Change the cap on counted members per family (0 lifts it). Not thread-safe, as
 * pkh_program_set_amount().
 * \return PKH_OK, or PKH_EINVAL for a negative cap.
 */
PKH_API pkh_status pkh_program_set_cap(pkh_program *program, int64_t cap, pkh_error *err);

/* ----- simulation ----- */

/** Units of the welfare column. Values are ABI. */
typedef enum pkh_period {
    PKH_PERIOD_MONTH = 0, /**< per person per month (SUSENAS `kapita`): benefit / 12 / size */
    PKH_PERIOD_YEAR = 1   /**< per person per year (SILC): benefit / size */
} pkh_period;

/** A programme flag bound to a household column, e.g. {"akses", "remote"}. */
typedef struct pkh_flag_binding {
    const char *flag;
    const char *column;
} pkh_flag_binding;

/** Options of pkh_program_simulate(). Initialise with PKH_SIMULATE_OPTIONS_INIT. */
typedef struct pkh_simulate_options {
    const char *income;           /**< welfare per person (see `period`); NULL: no poverty
                                       results */
    const char *weight;           /**< household weight; NULL: every household weighs 1 */
    const char *size;             /**< persons in the household; NULL: 1 */
    const char *scale;            /**< welfare per equivalent adult: the household's number of
                                       equivalent adults (e.g. OECD-modified), by which money
                                       is divided to change welfare; NULL: `size` (welfare per
                                       person) */
    pkh_line line;                /**< PKH_LINE_VALUE, _COLUMN, _REL_MEDIAN or _REL_MEAN
                                       (relative lines from the welfare before the transfer) */
    pkh_period period;            /**< unit of `income` and of the line */
    const char *observed_benefit; /**< annual household benefit already inside `income`,
                                       taken out first; NULL: none */
    const char *const *by;        /**< group columns; NULL: whole population only */
    int64_t n_by;
    pkh_program_eligibility eligibility; /**< PKH_SELECT_PROGRAM: the rules file's own */
    const pkh_flag_binding *flags;       /**< flags bound to columns (e.g. akses) */
    int64_t n_flags;
    const pkh_table *members;       /**< member roster; NULL: counts from household columns */
    const char *member_key;         /**< household id column of `members` */
    const char *household_key;      /**< household id column of the households (NULL: as
                                         member_key) */
    int strict;                     /**< 1: a member row whose key matches no household is an
                                         error (else counted in the info) */
    const char *id;                 /**< copied into the per-household table; NULL: household_key,
                                         or member_key, or none */
    const pkh_design *design;       /**< the survey design of the households (pkh_design_new() on
                                         the same table): linearised standard errors and confidence
                                         intervals; NULL: point estimates only */
    double level;                   /**< confidence level of the intervals; 0: 0.95 */
    int threads;                    /**< 0: every core; results never depend on it */
    const pkh_allocator *allocator; /**< for the result tables; NULL: default */
} pkh_simulate_options;

/* income, weight, size, scale, line, period, observed_benefit, by, n_by, eligibility, flags,
 * n_flags, members, member_key, household_key, strict, id, design, level, threads, allocator */
#define PKH_SIMULATE_OPTIONS_INIT                                                                \
    {                                                                                            \
        NULL, NULL, NULL, NULL, {PKH_LINE_NONE, 0, NULL, NULL, NULL, 0, NULL}, PKH_PERIOD_MONTH, \
            NULL, NULL, 0, {PKH_SELECT_PROGRAM, NULL, 0}, NULL, 0, NULL, NULL, NULL, 0, NULL,    \
            NULL, 0, 0, NULL                                                                     \
    }

/** What a simulation found besides the results; [0] the programme, [1] the comparison. */
typedef struct pkh_simulate_info {
    int64_t rows;                /**< households */
    int64_t used;                /**< households in the poverty estimates */
    int64_t missing_income;      /**< households left out of the poverty estimates */
    int64_t missing_key;         /**< households with a missing --by key (in the totals only) */
    int64_t missing_counts;      /**< missing component counts, read as 0 */
    int64_t members;             /**< member rows */
    int64_t members_unmatched;   /**< member rows whose key matches no household */
    int64_t members_missing_key; /**< member rows without a key (among the unmatched) */
    int64_t missing_score[2];    /**< households without a score (never selected by score) */
    double line;                 /**< the line (person-weighted mean of per-row lines) */
    double cutoff[2];            /**< score cut-off: eligible = score < cutoff; NaN if unused */
    double families[2];          /**< families paid (weighted) */
    double budget[2];            /**< annual budget */
    int se;                      /**< 1 when standard errors were computed */
} pkh_simulate_info;

/**
 * Simulate a programme (and optionally a second one side by side) on household data.
 *
 * Per household: the members counted in each component (from the count columns, or from the
 * member roster: each member once, for the highest-paid component they qualify for), the cap
 * (keeping the highest-paid members), eligibility, the benefit per year and per stage, and the
 * welfare before and after (benefit / 12 / size added to a monthly per-person welfare;
 * benefit / size to an annual one). A family with no component is paid nothing when the
 * programme requires a component.
 *
 * Results (one row per group and indicator, the whole population first; with `compare`, a
 * `program` column after the group columns holds each programme's name and "difference" for
 * the second minus the first): families, persons, members:NAME, budget, budget:NAME,
 * budget_stage:S, average_benefit, benefit_share, and with a welfare column fgt0/1/2 and gini
 * _before, _after and _change, poor_before, poor_after, lifted, gap_before, gap_after,
 * gap_reduction_per_unit, budget_share_poor, perfect_targeting_budget. Definitions are in
 * docs/programs.md. Columns: the by columns, [program], indicator, estimate, se, ci_low,
 * ci_high, n, population.
 *
 * \param compare   Optional second programme (NULL: none); the same options apply.
 * \param[out] results       Owned by the caller; free with pkh_table_free().
 * \param[out] per_household Optional (NULL: not built): one row per household with the id,
 *                           eligible, count_NAME, paid_NAME, amount_NAME, flat, benefit,
 *                           benefit_stage1.., welfare_before, welfare_after.
 * \param[out] info  Optional.
 * \return PKH_OK; PKH_ENOTFOUND for a missing column (a condition naming one says which
 *         component, and where in the rules file); PKH_ETYPE for a text column where numbers
 *         are needed; PKH_EINVAL for a negative weight, size or count, a missing line, a
 *         component with no count column and no roster, a quota outside (0, 1], a budget or
 *         number of families that pays for no family, unmatched members under `strict`;
 *         PKH_EDUPLICATE for a repeated household key; PKH_EEMPTY; PKH_ENOMEM.
 *
 * **Ownership:** the tables are new and owned by the caller; everything else is borrowed for
 * the call.
 */
PKH_API pkh_status pkh_program_simulate(const pkh_program *program, const pkh_program *compare,
                                        const pkh_table *households,
                                        const pkh_simulate_options *opts, pkh_table **results,
                                        pkh_table **per_household, pkh_simulate_info *info,
                                        pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_PROGRAM_H */
