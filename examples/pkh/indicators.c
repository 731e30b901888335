/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh indicators: poverty and inequality by group.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: pkh indicators FILE --income COL [options]\n"
    "\n"
    "Poverty and inequality indicators for the whole population and by group, person-weighted:\n"
    "a household row counts for weight x size persons. One output row per (group, indicator)\n"
    "with: the --by columns, indicator, estimate, se, ci_low, ci_high, n (rows used) and\n"
    "population (their person weight). The whole population comes first, then the groups in\n"
    "sorted order. Shares are fractions (0.0941, not 9.41).\n"
    "\n"
    "Data:\n"
    "  --income COL        welfare: per-capita expenditure or equivalised income (required)\n"
    "  --weight COL        sampling weight of the row (default: 1)\n"
    "  --size COL          persons in the household row (default: 1)\n"
    "  --by COL[,COL...]   groups, e.g. province or province,urban (one row per combination)\n"
    "  --no-total          leave out the whole-population rows\n"
    "  --filter EXPR       keep rows where EXPR is true, e.g. 'urban == 1 && hhsize >= 3'\n"
    "  --define NAME=EXPR  derive a column, e.g. pc=hhexp/hhsize (repeatable)\n"
    "Poverty line (poor means income < line, strictly):\n"
    "  --line X            a number (Rupiah per person per month, like the income),\n"
    "                      a column of per-row lines (BPS province x urban lines),\n"
    "                      rel:F:median or rel:F:mean (e.g. rel:0.6:median, the EU threshold)\n"
    "  --lines FILE --line-keys COLS\n"
    "                      look the line up in a CSV of lines by key columns, e.g.\n"
    "                      --lines lines.csv --line-keys province,urban\n"
    "  --line-by-group     relative lines from each group's own distribution (default: the\n"
    "                      whole population's line applies in every group)\n"
    "Indicators:\n"
    "  --indicators LIST   comma-separated; default fgt0,fgt1,fgt2,poor,gini,mean,median,\n"
    "                      population (the poverty ones only with a line). Poverty: fgt0 fgt1\n"
    "                      fgt2 fgt:A watts sen sst poor gap_total income_gap_ratio line.\n"
    "                      Inequality: gini mld theil ge2 ge:A atkinson:E palma s80s20\n"
    "                      s80s20_means p90p10 ratio:P:Q share_b40 share_d1..share_d10\n"
    "                      share_q1..share_q5 cv. Distribution: mean median quantile:P lorenz:P\n"
    "                      glorenz:P population. Decompositions (with --by): fgt_decomp:A\n"
    "                      ge_decomp:A. Definitions: docs/indicators.md\n"
    "  --quantile-rule R   gt (default: laeken, Eurostat), ge (R survey), ge_avg\n"
    "Reading: --delim C  --decimal ,  --na LIST  --types col:type,...  --threads N\n"
    "Output:\n"
    "  --format F          table (default on a terminal: one line per group), csv or json\n"
    "  --output FILE       write to FILE\n"
    "\n"
    "Examples:\n"
    "  pkh indicators survey.csv.gz --income pcexp --weight weight --size hhsize \\\n"
    "      --line povline --by province --indicators fgt0,fgt1,fgt2,gini\n"
    "  pkh indicators silc.csv --income eqinc --weight rb050 --line rel:0.6:median --by region\n";

typedef struct ind_args {
    cli_read rd;
    const char *income, *weight, *size, *line, *by, *lines, *line_keys, *indicators;
    const char *filter, *format, *output, *qrule;
    const char *defines[64];
    int n_defines;
    int no_total, line_by_group;
} ind_args;

static int parse_args(int argc, char **argv, ind_args *a)
{
    static const struct option opts[] = {
        {"income", required_argument, 0, 0},     {"weight", required_argument, 0, 0},
        {"size", required_argument, 0, 0},       {"line", required_argument, 0, 0},
        {"by", required_argument, 0, 0},         {"no-total", no_argument, 0, 0},
        {"lines", required_argument, 0, 0},      {"line-keys", required_argument, 0, 0},
        {"line-by-group", no_argument, 0, 0},    {"indicators", required_argument, 0, 0},
        {"filter", required_argument, 0, 0},     {"define", required_argument, 0, 0},
        {"format", required_argument, 0, 0},     {"output", required_argument, 0, 0},
        {"quantile-rule", required_argument, 0, 0},
        {"delim", required_argument, 0, 0},      {"decimal", required_argument, 0, 0},
        {"na", required_argument, 0, 0},         {"types", required_argument, 0, 0},
        {"threads", required_argument, 0, 0},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (c == '?') {
            return cli_usage("indicators", "unknown option or missing value: %s",
                             argv[optind - 1]);
        }
        const char *n = opts[idx].name;
        if (cli_read_option(&a->rd, n, optarg)) {
            continue;
        }
        if (strcmp(n, "define") == 0) {
            if (a->n_defines == 64) {
                return cli_usage("indicators", "at most 64 --define");
            }
            a->defines[a->n_defines++] = optarg;
            continue;
        }
        const char **slot = strcmp(n, "income") == 0       ? &a->income
                            : strcmp(n, "weight") == 0     ? &a->weight
                            : strcmp(n, "size") == 0       ? &a->size
                            : strcmp(n, "line") == 0       ? &a->line
                            : strcmp(n, "by") == 0         ? &a->by
                            : strcmp(n, "lines") == 0      ? &a->lines
                            : strcmp(n, "line-keys") == 0  ? &a->line_keys
                            : strcmp(n, "indicators") == 0 ? &a->indicators
                            : strcmp(n, "filter") == 0     ? &a->filter
                            : strcmp(n, "format") == 0     ? &a->format
                            : strcmp(n, "output") == 0     ? &a->output
                            : strcmp(n, "quantile-rule") == 0 ? &a->qrule
                                                              : NULL;
        if (slot != NULL) {
            *slot = optarg;
        } else if (strcmp(n, "no-total") == 0) {
            a->no_total = 1;
        } else if (strcmp(n, "line-by-group") == 0) {
            a->line_by_group = 1;
        }
    }
    if (optind >= argc) {
        return cli_usage("indicators", "which file? (pkh indicators FILE --income COL ...)");
    }
    if (optind + 1 < argc) {
        return cli_usage("indicators", "one file at a time (extra argument \"%s\")",
                         argv[optind + 1]);
    }
    if (a->income == NULL) {
        return cli_usage("indicators", "--income COL is required: the welfare column, e.g. "
                         "--income pcexp");
    }
    if ((a->lines == NULL) != (a->line_keys == NULL)) {
        return cli_usage("indicators", "--lines FILE and --line-keys COLS go together");
    }
    if (a->lines != NULL && a->line != NULL) {
        return cli_usage("indicators", "give the line either with --line or with --lines");
    }
    return 0;
}

/* Columns to read: those named by the options (the reader skips the rest). */
static const char **needed_columns(const ind_args *a, char ***lists, int *nlists, int *count)
{
    const char **cols = calloc(256, sizeof *cols);
    int n = 0;
    const char *single[] = {a->income, a->weight, a->size};
    for (int i = 0; i < 3; i++) {
        if (single[i] != NULL) {
            cols[n++] = single[i];
        }
    }
    const char *multi[] = {a->by, a->line_keys};
    for (int i = 0; i < 2; i++) {
        if (multi[i] != NULL) {
            char **l = cli_split(multi[i], ',', NULL);
            lists[(*nlists)++] = l;
            for (char **p = l; *p && n < 250; p++) {
                cols[n++] = *p;
            }
        }
    }
    pkh_line line;
    if (a->line != NULL && pkh_line_parse(a->line, &line, NULL) == PKH_OK &&
        line.kind == PKH_LINE_COLUMN) {
        cols[n++] = a->line;
    }
    *count = n;
    return cols;
}

static json_t *make_meta(const char *path, const ind_args *a, const pkh_indicators_info *info,
                         pkh_quantile_rule rule)
{
    json_t *opts = json_object();
    const char *keys[] = {"income", "weight", "size", "line", "by", "lines", "line_keys",
                          "indicators", "filter"};
    const char *vals[] = {a->income, a->weight, a->size, a->line, a->by, a->lines, a->line_keys,
                          a->indicators, a->filter};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_object_set_new(opts, keys[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    json_t *defs = json_array();
    for (int i = 0; i < a->n_defines; i++) {
        json_array_append_new(defs, json_string(a->defines[i]));
    }
    json_object_set_new(opts, "define", defs);
    json_object_set_new(opts, "no_total", json_boolean(a->no_total));
    json_object_set_new(opts, "line_by_group", json_boolean(a->line_by_group));
    json_t *excl = json_pack("{s:I, s:I, s:I, s:I, s:I}", "filtered_out",
                             (json_int_t)info->filtered_out, "missing_income",
                             (json_int_t)info->missing_income, "missing_key",
                             (json_int_t)info->missing_key, "nonpositive_income",
                             (json_int_t)info->nonpositive, "negative_income",
                             (json_int_t)info->negative);
    json_t *m = json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:s, s:s, s:s, s:s}", "command",
                          "indicators", "file", path, "options", opts, "rows",
                          (json_int_t)info->rows, "rows_used", (json_int_t)info->used,
                          "excluded", excl, "quantile_rule", pkh_quantile_rule_name(rule),
                          "unit", "persons (weight x size)", "standard_errors",
                          "not computed (point estimates)", "version", pkh_version_string());
    if (a->line != NULL || a->lines != NULL) {
        json_object_set_new(m, "line", isfinite(info->line) ? json_real(info->line)
                                                            : json_null());
    }
    return m;
}

static int parse_indicators(const char *list, pkh_indicator **out, int64_t *n)
{
    *out = NULL;
    *n = 0;
    if (list == NULL) {
        return 0;
    }
    size_t count;
    char **items = cli_split(list, ',', &count);
    *out = calloc(count, sizeof **out);
    for (size_t i = 0; i < count; i++) {
        pkh_error err;
        if (pkh_indicator_parse(items[i], &(*out)[i], &err) != PKH_OK) {
            cli_free_list(items);
            return cli_fail(&err);
        }
    }
    *n = (int64_t)count;
    cli_free_list(items);
    return 0;
}

static int load_lines(const ind_args *a, pkh_indicators_options *o, pkh_table **lt,
                      char ***keys)
{
    size_t nk;
    *keys = cli_split(a->line_keys, ',', &nk);
    pkh_csv_info info;
    const int rc = cli_read_table("indicators", a->lines, &a->rd, NULL, lt, &info);
    if (rc != 0) {
        return rc;
    }
    o->line.kind = PKH_LINE_LOOKUP;
    o->line.lookup = *lt;
    o->line.keys = (const char *const *)*keys;
    o->line.n_keys = (int64_t)nk;
    return 0;
}

static int run(const char *path, ind_args *a)
{
    cli_format fmt = cli_default_format(a->output);
    if (a->format != NULL && cli_parse_format(a->format, &fmt) != 0) {
        return cli_usage("indicators", "--format takes table, csv or json (got \"%s\")",
                         a->format);
    }
    pkh_indicators_options o = PKH_INDICATORS_OPTIONS_INIT;
    pkh_error err;
    if (a->qrule != NULL && pkh_quantile_rule_parse(a->qrule, &o.quantile_rule) != PKH_OK) {
        return cli_failf("--quantile-rule takes gt, ge or ge_avg (got \"%s\")", a->qrule);
    }
    if (a->line != NULL && pkh_line_parse(a->line, &o.line, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    pkh_indicator *inds = NULL;
    int rc = parse_indicators(a->indicators, &inds, &o.n_indicators);
    o.indicators = inds;
    char **lists[4] = {0};
    int nlists = 0, ncols = 0;
    const char **cols = needed_columns(a, lists, &nlists, &ncols);
    cli_exprs ex;
    memset(&ex, 0, sizeof ex);
    if (rc == 0) {
        rc = cli_exprs_parse("indicators", a->defines, a->n_defines, a->filter, &ex);
    }
    ncols = cli_exprs_columns(&ex, cols, ncols, 250);
    cli_exprs_remove_defined(&ex, cols, ncols);
    pkh_table *t = NULL, *lt = NULL;
    char **keys = NULL;
    pkh_csv_info info;
    if (rc == 0) {
        rc = cli_read_table("indicators", path, &a->rd, cols, &t, &info);
    }
    if (rc == 0) {
        rc = cli_exprs_apply(&ex, &t, a->rd.threads);
        o.filter = ex.mask;
    }
    if (rc == 0 && a->lines != NULL) {
        rc = load_lines(a, &o, &lt, &keys);
    }
    char **by = NULL;
    size_t nby = 0;
    if (rc == 0) {
        if (a->by != NULL) {
            by = cli_split(a->by, ',', &nby);
        }
        o.income = a->income;
        o.weight = a->weight;
        o.size = a->size;
        o.by = (const char *const *)by;
        o.n_by = (int64_t)nby;
        o.no_total = a->no_total;
        o.line_by_group = a->line_by_group;
        o.threads = a->rd.threads;
    }
    pkh_table *res = NULL;
    pkh_indicators_info iinfo;
    if (rc == 0 && pkh_indicators_compute(t, &o, &res, &iinfo, &err) != PKH_OK) {
        rc = cli_fail(&err);
    }
    if (rc == 0) {
        json_t *meta = make_meta(path, a, &iinfo, o.quantile_rule);
        char title[512];
        snprintf(title, sizeof title, "%s: %lld of %lld rows used, person-weighted%s", path,
                 (long long)iinfo.used, (long long)iinfo.rows,
                 a->line != NULL || a->lines != NULL ? "" : " (no poverty line given)");
        rc = cli_emit_results(res, meta, fmt, a->output, title, nby);
        json_decref(meta);
    }
    pkh_table_free(res);
    pkh_table_free(t);
    pkh_table_free(lt);
    cli_free_list(by);
    cli_free_list(keys);
    for (int i = 0; i < nlists; i++) {
        cli_free_list(lists[i]);
    }
    free(cols);
    free(inds);
    cli_exprs_free(&ex);
    return rc;
}

int cmd_indicators(int argc, char **argv)
{
    ind_args a;
    memset(&a, 0, sizeof a);
    const int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    return run(argv[optind], &a);
}
