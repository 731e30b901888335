/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Shared pieces of the pkh command-line tool. The CLI uses only the public API.
 */
#ifndef PKH_CLI_H
#define PKH_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include <pkh/pkh.h>

#define EXIT_DATA 1  /* an error about the data or an option's value */
#define EXIT_USAGE 2 /* a malformed command line */

typedef enum cli_format { FMT_TABLE = 0, FMT_CSV = 1, FMT_JSON = 2 } cli_format;

/** Print "pkh CMD: message" and a pointer to --help on stderr; return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Print "pkh: message" (with the library's location prefix) on stderr; return EXIT_DATA. */
int cli_fail(const pkh_error *err);
/** Print "pkh: message" on stderr; return EXIT_DATA. */
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Options of the CSV reader given on the command line. */
typedef struct cli_read {
    const char *delim;
    const char *decimal;
    const char *na;
    const char *columns;
    const char *types;
    int threads;
    int summaries; /* summarise the numeric columns while reading (describe) */
} cli_read;

/**
 * Handle one reader option (--delim --decimal --na --columns --types --threads) by its name.
 * Returns 1 if `name` is a reader option (value stored), 0 otherwise.
 */
int cli_read_option(cli_read *r, const char *name, const char *value);

/**
 * Read a CSV file with the options, showing progress on a terminal. Returns 0, EXIT_USAGE for a
 * malformed option value, or EXIT_DATA after printing the error.
 * `extra_columns`: when non-NULL (NULL-terminated), only these columns (plus --columns) are read.
 */
int cli_read_table(const char *cmd, const char *path, const cli_read *r,
                   const char *const *extra_columns, pkh_table **out, pkh_csv_info *info);

/** Split "a,b,c" into a NULL-terminated array of strings (free with cli_free_list). */
char **cli_split(const char *s, char sep, size_t *n);
void cli_free_list(char **list);

/** Parse "table", "csv" or "json". Returns 0 or -1. */
int cli_parse_format(const char *s, cli_format *out);
/** The default format: table on a terminal, csv otherwise. */
cli_format cli_default_format(const char *output);

/**
 * Write a results table as an aligned text table, CSV or JSON (`meta` is used for JSON and may
 * be NULL) to `output` (NULL or "-": standard output). `title` is printed above a text table.
 * Returns 0 or EXIT_DATA after printing the error.
 */
int cli_emit(const pkh_table *results, json_t *meta, cli_format fmt, const char *output,
             const char *title);

/**
 * Write tidy results (group columns first, `nby` of them, then indicator, estimate, se, ...):
 * CSV and JSON as they are; a text table pivoted to one line per group and one column per
 * indicator, as a person reads a profile.
 */
int cli_emit_results(const pkh_table *results, json_t *meta, cli_format fmt, const char *output,
                     const char *title, size_t nby);

/** Parsed --define NAME=EXPR (in order) and --filter EXPR. */
typedef struct cli_exprs {
    pkh_expr *defs[64];
    char names[64][64];
    int n;
    pkh_expr *filter;
    uint8_t *mask; /* after cli_exprs_apply with a filter: one byte per row, 1 kept */
} cli_exprs;

/** Parse; prints the error and returns EXIT_DATA on a malformed expression. */
int cli_exprs_parse(const char *cmd, const char *const *defines, int n, const char *filter,
                    cli_exprs *e);
void cli_exprs_free(cli_exprs *e);
/** Append the data columns the expressions use (not the defined names) to cols[n..cap). */
int cli_exprs_columns(const cli_exprs *e, const char **cols, int n, int cap);
/** Drop defined names from a list of columns to read (NULL-terminates it); returns the count. */
int cli_exprs_remove_defined(const cli_exprs *e, const char **cols, int n);
/** Add the defined columns to *t (replacing it) and evaluate the filter into e->mask. */
int cli_exprs_apply(cli_exprs *e, pkh_table **t, int threads);

/** Seconds from a monotonic clock. */
double cli_now(void);

/** Append `name` (unless NULL or present) to cols[0..n); returns the new count (<= cap). */
int cli_cols_add(const char **cols, int n, int cap, const char *name);

/* --strata --psu --fpc --lonely-psu --level, shared by pkh targeting and pkh pmt */
typedef struct cli_design {
    const char *strata, *psu, *fpc, *lonely, *level;
} cli_design;
/** Take a design option by its name: 1 if it is one, else 0. */
int cli_design_option(cli_design *d, const char *name, const char *value);
/** The design of `t` (*out NULL without design columns) and the level. 0 or EXIT_DATA. */
int cli_design_build(const cli_design *a, const pkh_table *t, int threads, double *level,
                     pkh_design **out);
/** The "standard_errors" object of the JSON metadata. */
json_t *cli_design_meta(const cli_design *a, const pkh_design *d, double level);

/* subcommands */
int cmd_describe(int argc, char **argv);
int cmd_indicators(int argc, char **argv);
int cmd_pmt(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_targeting(int argc, char **argv);

#endif
