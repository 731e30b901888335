/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Expressions over the columns of a table: `--filter EXPR`, `--define NAME=EXPR` and the
 * member conditions of programme rules. The language is described in docs/expressions.md.
 */
#ifndef PKH_EXPR_H
#define PKH_EXPR_H

#include <pkh/core.h>
#include <pkh/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A parsed expression. Immutable once parsed: any number of threads may evaluate it at once
 * (each call allocates its own working memory; the allocator given at parse time must then be
 * safe to call from those threads).
 */
typedef struct pkh_expr pkh_expr;

/**
 * Parse an expression such as `urban == 1 && hhsize >= 3` or `hhexp / hhsize`.
 *
 * Names are resolved and types checked later, against a table (pkh_expr_eval(),
 * pkh_expr_result_type()), so one parsed expression serves many tables.
 * On failure the message shows the expression and where it went wrong, e.g.
 * `in expression "urban == 1 &&& x": unexpected "&" at character 14`, and `err->column` holds
 * that 1-based character position (so a front end can draw a caret under it).
 *
 * \param text       NUL-terminated UTF-8 text; copied.
 * \param allocator  Used for the expression and for everything its evaluation allocates,
 *                   including result tables; NULL for the default. Must outlive them.
 * \param[out] out   Untouched on failure.
 * \param[out] err   Optional (may be NULL); filled on failure.
 * \return PKH_OK; PKH_EPARSE for malformed text (unexpected character or token, unterminated
 *         string, unknown function or wrong number of arguments, a number out of range,
 *         nesting deeper than 64 levels or a syntax tree deeper than 250); PKH_EINVAL if `text`
 *         or `out` is NULL; PKH_ENOMEM.
 *
 * **Ownership:** `*out` is owned by the caller; free it with pkh_expr_free().
 */
PKH_API pkh_status pkh_expr_parse(const char *text, const pkh_allocator *allocator, pkh_expr **out,
                                  pkh_error *err);

/** Free an expression. NULL is fine. **Ownership:** takes `expr`. */
PKH_API void pkh_expr_free(pkh_expr *expr);

/** The text the expression was parsed from. **Ownership:** borrowed; valid until freed. */
PKH_API const char *pkh_expr_text(const pkh_expr *expr);

/**
 * Number of distinct column names the expression uses (so a reader can load only those).
 * Functions, literals and the keywords `in`, `true`, `false` are not columns.
 */
PKH_API int64_t pkh_expr_num_columns(const pkh_expr *expr);

/**
 * Column name `i` (0-based, in order of first use), or NULL when `i` is out of range.
 * **Ownership:** borrowed; valid until the expression is freed.
 */
PKH_API const char *pkh_expr_column(const pkh_expr *expr, int64_t i);

/**
 * Resolve the columns and check the types of `expr` against `table` without evaluating it,
 * e.g. to check that a filter is a condition before reading any row.
 *
 * \param[out] out  The type pkh_expr_eval() would give (PKH_TYPE_DICT for strings); untouched
 *                  on failure.
 * \param[out] err  Optional (may be NULL); filled on failure.
 * \return PKH_OK; PKH_ENOTFOUND for an unknown column (the message names it and lists close
 *         matches, or the columns); PKH_ETYPE for a type mismatch (the message names the
 *         operator or function and the operand, with its position in `err->column`);
 *         PKH_EINVAL for a NULL argument; PKH_ENOMEM.
 *
 * **Ownership:** nothing is retained; `expr` and `table` are only read.
 */
PKH_API pkh_status pkh_expr_result_type(const pkh_expr *expr, const pkh_table *table, pkh_type *out,
                                        pkh_error *err);

/**
 * Evaluate `expr` for every row of `table`. The result is a new one-column table named `name`:
 *
 * - bool for comparisons, `&&`, `||`, `!`, `in` and is_missing();
 * - string for a string column or literal (and if()/coalesce() of strings);
 * - int64 when every operand is an integer (int64 or bool) and the operators keep integers:
 *   `+ - * %`, unary `-`, abs, floor, ceil, round, min, max, if, coalesce;
 * - float64 otherwise (`/`, `^`, log, exp, sqrt, pow, any float64 operand).
 *
 * **Missing values.** A missing operand gives a missing result (`&&` and `||` use
 * three-valued logic: `false && missing` is false, `true || missing` is true; is_missing() and
 * coalesce() look at missingness itself). A result that is undefined is missing too: any
 * float64 result that is not a finite number (log or log10 of a number <= 0, sqrt of a
 * negative number, division by zero, pow(0, -1), overflow to infinity), integer overflow, and
 * `%` by zero. NaN and infinite values in a float64 column are read as missing, so every
 * present float64 result is a finite number.
 *
 * The work is split across `threads` threads (0: every core) in fixed blocks of rows; the
 * result does not depend on the number of threads.
 *
 * \param name      Name of the result column; non-empty.
 * \param[out] out  Untouched on failure.
 * \param[out] err  Optional (may be NULL); filled on failure.
 * \return PKH_OK; PKH_ENOTFOUND for an unknown column; PKH_ETYPE for a type mismatch (both as
 *         pkh_expr_result_type()); PKH_EINVAL for a NULL argument or an empty `name`;
 *         PKH_ENOMEM.
 *
 * **Ownership:** `*out` is owned by the caller (free with pkh_table_free()) and uses the
 * expression's allocator; it does not borrow from `table` or `expr`.
 */
PKH_API pkh_status pkh_expr_eval(const pkh_expr *expr, const pkh_table *table, const char *name,
                                 int threads, pkh_table **out, pkh_error *err);

/**
 * Split a definition "NAME=EXPR" (as the CLI's `--define` gives it). Spaces around NAME are
 * allowed; NAME must be an identifier: `[A-Za-z_][A-Za-z0-9_.]*`.
 *
 * \param name       Receives NAME, NUL-terminated.
 * \param name_cap   Capacity of `name` in bytes, including the NUL.
 * \param[out] expr_text  Points into `text`, just after the `=`.
 * \param[out] err   Optional (may be NULL); filled on failure.
 * \return PKH_OK; PKH_EPARSE if the text is not NAME=EXPR (no `=`, `==` in place of `=`, or
 *         NAME not an identifier); PKH_EINVAL for a NULL argument or a NAME that does not fit
 *         in `name_cap`. `name` and `*expr_text` are untouched on failure.
 *
 * **Ownership:** `*expr_text` is borrowed from `text`.
 */
PKH_API pkh_status pkh_define_split(const char *text, char *name, size_t name_cap,
                                    const char **expr_text, pkh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PKH_EXPR_H */
