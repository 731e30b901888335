/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh describe: what a file holds.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: pkh describe FILE [options]\n"
    "\n"
    "Read a CSV file (plain or gzip; '-' for standard input) and print its number of rows\n"
    "and, for each column, its type, the number of missing values, and min / mean / max for\n"
    "numbers (the share of true values as the mean of a bool column) or the number of\n"
    "distinct values for strings.\n"
    "\n"
    "Reading:\n"
    "  --delim C          field delimiter: , ; | or tab (default: detected)\n"
    "  --decimal ,        decimal comma (1234,56); the comma is then never the delimiter\n"
    "  --na LIST          comma-separated texts read as missing (default NA,N/A,.,NaN;\n"
    "                     an empty field is always missing)\n"
    "  --columns a,b      read only these columns\n"
    "  --types col:type,...  force types: int64, float64, bool or string\n"
    "  --threads N        threads to use (default: every core)\n"
    "Output:\n"
    "  --format F         table (default on a terminal), csv or json\n"
    "  --output FILE      write the results to FILE instead of standard output\n"
    "\n"
    "Types are inferred from every value: integers, then decimals, then text. Codes with\n"
    "leading zeros (\"0107\") stay strings; bool only from true/false.\n"
    "\n"
    "Example:\n"
    "  pkh describe examples/data/sample-households.csv\n";

static int build_results(const pkh_table *t, int threads, pkh_table **out)
{
    const int64_t n = pkh_table_num_columns(t);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    const char **types = calloc((size_t)n + 1, sizeof *types);
    int64_t *count = calloc((size_t)n + 1, 8), *missing = calloc((size_t)n + 1, 8);
    int64_t *distinct = calloc((size_t)n + 1, 8);
    double *mn = calloc((size_t)n + 1, 8), *mean = calloc((size_t)n + 1, 8);
    double *mx = calloc((size_t)n + 1, 8);
    uint8_t *num_valid = calloc((size_t)n / 8 + 1, 1), *str_valid = calloc((size_t)n / 8 + 1, 1);
    pkh_error err;
    pkh_status st = PKH_OK;
    for (int64_t c = 0; c < n && st == PKH_OK; c++) {
        const pkh_column *col = pkh_table_column_at(t, c);
        pkh_column_summary s;
        st = pkh_column_summarize(col, threads, &s, &err);
        names[c] = pkh_column_name(col);
        types[c] = pkh_type_name(pkh_column_type(col));
        count[c] = s.count;
        missing[c] = s.missing;
        mn[c] = s.min;
        mean[c] = s.mean;
        mx[c] = s.max;
        distinct[c] = s.distinct;
        if (pkh_column_type(col) == PKH_TYPE_DICT) {
            str_valid[c / 8] |= (uint8_t)(1u << (c % 8));
        } else if (s.count > 0) {
            num_valid[c / 8] |= (uint8_t)(1u << (c % 8));
        }
    }
    pkh_table_builder *b = NULL;
    if (st == PKH_OK) {
        st = pkh_table_builder_new(NULL, &b, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "column", names, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "type", types, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "count", count, NULL, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "missing", missing, NULL, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "min", mn, num_valid, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "mean", mean, num_valid, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "max", mx, num_valid, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "distinct", distinct, str_valid, n, &err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, &err);
    }
    pkh_table_builder_free(b);
    free(names);
    free(types);
    free(count);
    free(missing);
    free(distinct);
    free(mn);
    free(mean);
    free(mx);
    free(num_valid);
    free(str_valid);
    return st == PKH_OK ? 0 : cli_fail(&err);
}

static json_t *make_meta(const char *path, const pkh_table *t, const pkh_csv_info *info,
                         double seconds)
{
    char delim[2] = {info->delimiter, 0};
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:b, s:I, s:f, s:s}", "command", "describe", "file",
                     path, "rows", (json_int_t)pkh_table_num_rows(t), "columns",
                     (json_int_t)pkh_table_num_columns(t), "delimiter", delim, "gzip", info->gzip,
                     "bytes", (json_int_t)info->bytes, "seconds", seconds, "version",
                     pkh_version_string());
}

int cmd_describe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"delim", required_argument, 0, 0},  {"decimal", required_argument, 0, 0},
        {"na", required_argument, 0, 0},     {"columns", required_argument, 0, 0},
        {"types", required_argument, 0, 0},  {"threads", required_argument, 0, 0},
        {"format", required_argument, 0, 0}, {"output", required_argument, 0, 0},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    cli_read rd = {0};
    rd.summaries = 1; /* the numeric summaries come from the read itself */
    const char *format = NULL, *output = NULL;
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return 0;
        }
        if (c == '?') {
            return cli_usage("describe", "unknown option or missing value: %s", argv[optind - 1]);
        }
        const char *name = opts[idx].name;
        if (cli_read_option(&rd, name, optarg)) {
            continue;
        }
        if (strcmp(name, "format") == 0) {
            format = optarg;
        } else if (strcmp(name, "output") == 0) {
            output = optarg;
        }
    }
    if (optind >= argc) {
        return cli_usage("describe", "which file? (pkh describe FILE)");
    }
    if (optind + 1 < argc) {
        return cli_usage("describe", "one file at a time (extra argument \"%s\")",
                         argv[optind + 1]);
    }
    cli_format fmt = cli_default_format(output);
    if (format != NULL && cli_parse_format(format, &fmt) != 0) {
        return cli_usage("describe", "--format takes table, csv or json (got \"%s\")", format);
    }
    const char *path = argv[optind];
    pkh_table *t = NULL;
    pkh_csv_info info;
    const double t0 = cli_now();
    int rc = cli_read_table("describe", path, &rd, NULL, &t, &info);
    if (rc != 0) {
        return rc;
    }
    const double seconds = cli_now() - t0;
    pkh_table *res = NULL;
    rc = build_results(t, rd.threads, &res);
    if (rc == 0) {
        char title[512];
        snprintf(title, sizeof title,
                 "%s: %lld rows, %lld columns (delimiter '%s'%s), read in "
                 "%.2f s\n",
                 path, (long long)pkh_table_num_rows(t), (long long)pkh_table_num_columns(t),
                 info.delimiter == '\t' ? "\\t" : (char[2]){info.delimiter, 0},
                 info.gzip ? ", gzip" : "", seconds);
        json_t *meta = make_meta(path, t, &info, seconds);
        rc = cli_emit(res, meta, fmt, output, title);
        json_decref(meta);
    }
    pkh_table_free(res);
    pkh_table_free(t);
    return rc;
}
