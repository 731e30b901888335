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
    "  --quantile-rule R   gt (default: laeken, Eurostat), ge (R survey), ge_avg\n";

/* (two strings: C11 compilers need only take 4095 characters in one) */
static const char help_se[] =
    "Standard errors and confidence intervals (methods: docs/variance.md):\n"
    "  --strata COL        stratum of each row (default: one stratum)\n"
    "  --psu COL           primary sampling unit (cluster) of each row, read within its\n"
    "                      stratum (default: each row is its own PSU)\n"
    "  --fpc COL           finite population correction: a value above 1 is the stratum's\n"
    "                      number of PSUs in the population, at most 1 its sampling fraction\n"
    "                      (default: PSUs drawn with replacement)\n"
    "  --lonely-psu P      a stratum with one PSU: fail (default), certainty (no variance),\n"
    "                      adjust (centred at the grand mean), average (the other strata's\n"
    "                      average), remove (as certainty), as R survey's survey.lonely.psu\n"
    "  --se METHOD         linearized (default: Taylor linearisation of every indicator over\n"
    "                      the design; without --strata/--psu, simple random sampling of rows),\n"
    "                      bootstrap:R (Rao-Wu rescaling bootstrap, R replicates), replicate\n"
    "                      (with --repweights), or none (point estimates only, faster)\n"
    "  --seed S            bootstrap seed (default 1): the same seed gives the same numbers\n"
    "                      whatever --threads\n"
    "  --repweights PREFIX replicate weight columns PREFIX1, PREFIX2, ... published with the\n"
    "                      data (they replace --weight in the replicates)\n"
    "  --reptype T         how they were made: bootstrap (default), jk1, jkn, brr, fay:RHO\n"
    "  --level L           confidence level (default 0.95); intervals: estimate -+ t(df) se,\n"
    "                      df = PSUs - strata (also in --by groups, as R survey)\n"
    "  --ci normal|percentile\n"
    "                      bootstrap intervals: estimate -+ z se (default) or percentiles of\n"
    "                      the replicates\n"
    "  --quantile-se M     woodruff (default: the CI of the CDF inverted, R survey's\n"
    "                      svyquantile) or kernel (influence function with a Gaussian kernel\n"
    "                      density, convey's)\n"
    "  --deff              add the design effect (variance over the variance under simple\n"
    "                      random sampling without replacement, R survey's deff = TRUE)\n"
    "  --contrast COL=A-B  add rows for group A minus group B of the --by column COL, with the\n"
    "                      SE of the difference (e.g. urban=1-0, year=2020-2019); repeatable\n";

static const char help_end[] =
    "Reading: --delim C  --decimal ,  --na LIST  --types col:type,...  --threads N\n"
    "Output:\n"
    "  --format F          table (default on a terminal: one line per group), csv or json\n"
    "  --output FILE       write to FILE\n"
    "\n"
    "Examples:\n"
    "  pkh indicators survey.csv.gz --income pcexp --weight weight --size hhsize \\\n"
    "      --line povline --by province --indicators fgt0,fgt1,fgt2,gini\n"
    "  pkh indicators silc.csv --income eqinc --weight rb050 --line rel:0.6:median --by region\n"
    "  pkh indicators susenas.csv --income pcexp --weight weight --size hhsize --line povline \\\n"
    "      --strata strata --psu psu --by urban --contrast urban=1-0 --deff\n";

typedef struct ind_args {
    cli_read rd;
    const char *income, *weight, *size, *line, *by, *lines, *line_keys, *indicators;
    const char *filter, *format, *output, *qrule;
    const char *strata, *psu, *fpc, *lonely, *se, *seed, *level, *ci, *repweights, *reptype;
    const char *qse;
    const char *defines[64];
    int n_defines;
    const char *contrasts[16];
    int n_contrasts;
    int no_total, line_by_group, deff;
} ind_args;

static int parse_args(int argc, char **argv, ind_args *a)
{
    static const struct option opts[] = {{"income", required_argument, 0, 0},
                                         {"weight", required_argument, 0, 0},
                                         {"size", required_argument, 0, 0},
                                         {"line", required_argument, 0, 0},
                                         {"by", required_argument, 0, 0},
                                         {"no-total", no_argument, 0, 0},
                                         {"lines", required_argument, 0, 0},
                                         {"line-keys", required_argument, 0, 0},
                                         {"line-by-group", no_argument, 0, 0},
                                         {"indicators", required_argument, 0, 0},
                                         {"filter", required_argument, 0, 0},
                                         {"define", required_argument, 0, 0},
                                         {"format", required_argument, 0, 0},
                                         {"output", required_argument, 0, 0},
                                         {"quantile-rule", required_argument, 0, 0},
                                         {"delim", required_argument, 0, 0},
                                         {"decimal", required_argument, 0, 0},
                                         {"na", required_argument, 0, 0},
                                         {"types", required_argument, 0, 0},
                                         {"threads", required_argument, 0, 0},
                                         {"help", no_argument, 0, 'h'},
                                         {"strata", required_argument, 0, 0},
                                         {"psu", required_argument, 0, 0},
                                         {"fpc", required_argument, 0, 0},
                                         {"lonely-psu", required_argument, 0, 0},
                                         {"se", required_argument, 0, 0},
                                         {"seed", required_argument, 0, 0},
                                         {"level", required_argument, 0, 0},
                                         {"ci", required_argument, 0, 0},
                                         {"repweights", required_argument, 0, 0},
                                         {"reptype", required_argument, 0, 0},
                                         {"quantile-se", required_argument, 0, 0},
                                         {"deff", no_argument, 0, 0},
                                         {"contrast", required_argument, 0, 0},
                                         {0, 0, 0, 0}};
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            fputs(help_se, stdout);
            fputs(help_end, stdout);
            return -1;
        }
        if (c == '?') {
            return cli_usage("indicators", "unknown option or missing value: %s", argv[optind - 1]);
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
        if (strcmp(n, "contrast") == 0) {
            if (a->n_contrasts == 16) {
                return cli_usage("indicators", "at most 16 --contrast");
            }
            a->contrasts[a->n_contrasts++] = optarg;
            continue;
        }
        const char **slot = strcmp(n, "income") == 0          ? &a->income
                            : strcmp(n, "weight") == 0        ? &a->weight
                            : strcmp(n, "size") == 0          ? &a->size
                            : strcmp(n, "line") == 0          ? &a->line
                            : strcmp(n, "by") == 0            ? &a->by
                            : strcmp(n, "lines") == 0         ? &a->lines
                            : strcmp(n, "line-keys") == 0     ? &a->line_keys
                            : strcmp(n, "indicators") == 0    ? &a->indicators
                            : strcmp(n, "filter") == 0        ? &a->filter
                            : strcmp(n, "format") == 0        ? &a->format
                            : strcmp(n, "output") == 0        ? &a->output
                            : strcmp(n, "quantile-rule") == 0 ? &a->qrule
                            : strcmp(n, "strata") == 0        ? &a->strata
                            : strcmp(n, "psu") == 0           ? &a->psu
                            : strcmp(n, "fpc") == 0           ? &a->fpc
                            : strcmp(n, "lonely-psu") == 0    ? &a->lonely
                            : strcmp(n, "se") == 0            ? &a->se
                            : strcmp(n, "seed") == 0          ? &a->seed
                            : strcmp(n, "level") == 0         ? &a->level
                            : strcmp(n, "ci") == 0            ? &a->ci
                            : strcmp(n, "repweights") == 0    ? &a->repweights
                            : strcmp(n, "reptype") == 0       ? &a->reptype
                            : strcmp(n, "quantile-se") == 0   ? &a->qse
                                                              : NULL;
        if (slot != NULL) {
            *slot = optarg;
        } else if (strcmp(n, "no-total") == 0) {
            a->no_total = 1;
        } else if (strcmp(n, "line-by-group") == 0) {
            a->line_by_group = 1;
        } else if (strcmp(n, "deff") == 0) {
            a->deff = 1;
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
        return cli_usage("indicators",
                         "--income COL is required: the welfare column, e.g. "
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
    const char *single[] = {a->income, a->weight, a->size, a->strata, a->psu, a->fpc};
    for (int i = 0; i < 6; i++) {
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

/* Everything the standard errors need that outlives the options. */
typedef struct se_state {
    pkh_design *design;
    const char **repcols;
    int64_t n_rep;
    pkh_contrast contrasts[16];
    char *columns[16];
} se_state;

static void se_state_free(se_state *s)
{
    pkh_design_free(s->design);
    free(s->repcols);
    for (int i = 0; i < 16; i++) {
        free(s->columns[i]);
    }
}

static const char *const srs_note =
    "no --strata or --psu: standard errors assume simple random sampling of the rows; a "
    "survey such as SUSENAS is stratified and clustered, so give its design";

static json_t *se_meta(const ind_args *a, const pkh_indicators_options *o,
                       const pkh_indicators_info *info)
{
    const pkh_se_options *se = &o->se;
    static const char *const methods[] = {"none", "linearized", "bootstrap", "replicate"};
    json_t *m = json_object();
    json_object_set_new(m, "method", json_string(methods[se->method]));
    if (se->method == PKH_SE_NONE) {
        json_object_set_new(m, "note", json_string("point estimates only (--se none)"));
        return m;
    }
    json_t *d =
        json_pack("{s:o, s:o, s:o, s:s, s:I, s:I, s:I}", "strata",
                  a->strata ? json_string(a->strata) : json_null(), "psu",
                  a->psu ? json_string(a->psu) : json_null(), "fpc",
                  a->fpc ? json_string(a->fpc) : json_null(), "lonely_psu",
                  pkh_lonely_psu_name(se->design ? pkh_design_lonely(se->design) : PKH_LONELY_FAIL),
                  "n_strata", (json_int_t)info->strata, "n_psu", (json_int_t)info->psus, "df",
                  (json_int_t)info->df);
    json_object_set_new(m, "design", d);
    json_object_set_new(m, "level", json_real(info->level));
    json_object_set_new(
        m, "intervals",
        json_string(se->method == PKH_SE_LINEARIZED
                        ? "estimate -+ t(df) se; quantiles: see quantile_se"
                    : se->ci == PKH_CI_PERCENTILE ? "percentiles of the replicate estimates"
                                                  : "estimate -+ z se"));
    json_object_set_new(m, "quantile_se",
                        json_string(se->quantile_se == PKH_QSE_WOODRUFF ? "woodruff" : "kernel"));
    if (se->method == PKH_SE_BOOTSTRAP) {
        json_object_set_new(m, "replicates", json_integer((json_int_t)se->replicates));
        json_object_set_new(m, "seed", json_integer((json_int_t)se->seed));
        json_object_set_new(m, "bootstrap",
                            json_string("Rao-Wu rescaling, n_h - 1 PSUs drawn "
                                        "per stratum"));
    }
    if (se->method == PKH_SE_REPLICATE) {
        json_object_set_new(m, "replicates", json_integer((json_int_t)se->n_repweights));
        json_object_set_new(
            m, "reptype",
            json_string(pkh_rep_type_name(se->reptype ? se->reptype : PKH_REP_BOOTSTRAP)));
    }
    if (info->failed_replicates > 0) {
        json_object_set_new(m, "failed_replicates",
                            json_integer((json_int_t)info->failed_replicates));
    }
    if (info->srs) {
        json_object_set_new(m, "note", json_string(srs_note));
    }
    return m;
}

static json_t *make_meta(const char *path, const ind_args *a, const pkh_indicators_info *info,
                         pkh_quantile_rule rule)
{
    json_t *opts = json_object();
    const char *keys[] = {"income", "weight",    "size",       "line",  "by",
                          "lines",  "line_keys", "indicators", "filter"};
    const char *vals[] = {a->income, a->weight,    a->size,       a->line,  a->by,
                          a->lines,  a->line_keys, a->indicators, a->filter};
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
    json_t *excl =
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "filtered_out", (json_int_t)info->filtered_out,
                  "missing_income", (json_int_t)info->missing_income, "missing_key",
                  (json_int_t)info->missing_key, "nonpositive_income",
                  (json_int_t)info->nonpositive, "negative_income", (json_int_t)info->negative);
    json_t *m = json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:s, s:s, s:s}", "command", "indicators",
                          "file", path, "options", opts, "rows", (json_int_t)info->rows,
                          "rows_used", (json_int_t)info->used, "excluded", excl, "quantile_rule",
                          pkh_quantile_rule_name(rule), "unit", "persons (weight x size)",
                          "version", pkh_version_string());
    if (a->line != NULL || a->lines != NULL) {
        json_object_set_new(m, "line", isfinite(info->line) ? json_real(info->line) : json_null());
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

static int load_lines(const ind_args *a, pkh_indicators_options *o, pkh_table **lt, char ***keys)
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

/* --se, --seed, --level, --ci, --quantile-se, --reptype, --lonely-psu: option values. */
static int parse_se_values(const ind_args *a, pkh_se_options *se, pkh_lonely_psu *lonely)
{
    /* without a design: simple random sampling of rows, said in the output */
    se->method = a->repweights != NULL ? PKH_SE_REPLICATE : PKH_SE_LINEARIZED;
    if (a->se != NULL) {
        char *end = NULL;
        if (strcmp(a->se, "none") == 0) {
            se->method = PKH_SE_NONE;
        } else if (strcmp(a->se, "linearized") == 0 || strcmp(a->se, "linearised") == 0) {
            se->method = PKH_SE_LINEARIZED;
        } else if (strcmp(a->se, "replicate") == 0) {
            se->method = PKH_SE_REPLICATE;
        } else if (strncmp(a->se, "bootstrap", 9) == 0) {
            se->method = PKH_SE_BOOTSTRAP;
            se->replicates = a->se[9] == '\0'  ? 1000
                             : a->se[9] == ':' ? strtoll(a->se + 10, &end, 10)
                                               : -1;
            if (se->replicates < 2 || (end != NULL && *end != '\0')) {
                return cli_failf(
                    "--se bootstrap:R takes a number of replicates R >= 2, e.g. "
                    "bootstrap:1000 (got \"%s\")",
                    a->se);
            }
        } else {
            return cli_failf(
                "--se takes linearized, bootstrap:R, replicate or none (got "
                "\"%s\")",
                a->se);
        }
    }
    if ((se->method == PKH_SE_REPLICATE) != (a->repweights != NULL)) {
        return cli_failf(a->repweights != NULL ? "--repweights go with --se replicate (the "
                                                 "default when they are given)"
                                               : "--se replicate needs --repweights PREFIX");
    }
    if (a->seed != NULL) {
        char *end = NULL;
        se->seed = strtoull(a->seed, &end, 10);
        if (end == a->seed || *end != '\0' || a->seed[0] == '-') {
            return cli_failf("--seed takes a whole number >= 0 (got \"%s\")", a->seed);
        }
    }
    if (a->level != NULL) {
        char *end = NULL;
        se->level = strtod(a->level, &end);
        if (end == a->level || *end != '\0' || !(se->level > 0 && se->level < 1)) {
            return cli_failf(
                "--level takes a fraction in (0, 1), e.g. 0.95 or 0.9 (got "
                "\"%s\")",
                a->level);
        }
    }
    if (a->ci != NULL && strcmp(a->ci, "normal") != 0 && strcmp(a->ci, "percentile") != 0) {
        return cli_failf("--ci takes normal or percentile (got \"%s\")", a->ci);
    }
    se->ci = a->ci != NULL && strcmp(a->ci, "percentile") == 0 ? PKH_CI_PERCENTILE : PKH_CI_NORMAL;
    if (a->qse != NULL && strcmp(a->qse, "woodruff") != 0 && strcmp(a->qse, "kernel") != 0) {
        return cli_failf("--quantile-se takes woodruff or kernel (got \"%s\")", a->qse);
    }
    se->quantile_se =
        a->qse != NULL && strcmp(a->qse, "kernel") == 0 ? PKH_QSE_KERNEL : PKH_QSE_WOODRUFF;
    pkh_error err;
    if (a->reptype != NULL &&
        pkh_rep_type_parse(a->reptype, &se->reptype, &se->fay_rho, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    if (a->lonely != NULL && pkh_lonely_psu_parse(a->lonely, lonely) != PKH_OK) {
        return cli_failf(
            "--lonely-psu takes fail, certainty, adjust, average or remove (got "
            "\"%s\")",
            a->lonely);
    }
    se->deff = a->deff;
    return 0;
}

static int cmp_rep(const void *pa, const void *pb)
{
    const char *const *a = pa, *const *b = pb;
    const size_t la = strlen(*a), lb = strlen(*b);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(*a, *b);
}

/* Columns PREFIX followed by digits, in numeric order. */
static int find_repweights(const char *prefix, const pkh_table *t, se_state *s)
{
    const size_t pl = strlen(prefix);
    s->repcols = calloc((size_t)pkh_table_num_columns(t) + 1, sizeof *s->repcols);
    for (int64_t j = 0; j < pkh_table_num_columns(t); j++) {
        const char *name = pkh_column_name(pkh_table_column_at(t, j));
        bool digits = strncmp(name, prefix, pl) == 0 && name[pl] != '\0';
        for (const char *p = name + pl; digits && *p; p++) {
            digits = *p >= '0' && *p <= '9';
        }
        if (digits) {
            s->repcols[s->n_rep++] = name;
        }
    }
    qsort(s->repcols, (size_t)s->n_rep, sizeof *s->repcols, cmp_rep);
    if (s->n_rep < 2) {
        return cli_failf(
            "--repweights %s: found %lld columns named %s1, %s2, ...; replicate "
            "weights need at least 2",
            prefix, (long long)s->n_rep, prefix, prefix);
    }
    return 0;
}

/* The design, replicate weights and contrasts, once the table is read. */
static int setup_se(const ind_args *a, const pkh_table *t, pkh_indicators_options *o, se_state *s)
{
    pkh_se_options *se = &o->se;
    pkh_lonely_psu lonely = PKH_LONELY_FAIL;
    int rc = parse_se_values(a, se, &lonely);
    if (rc != 0 || se->method == PKH_SE_NONE) {
        return rc;
    }
    if (a->strata != NULL || a->psu != NULL || a->fpc != NULL) {
        pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
        spec.strata = a->strata;
        spec.psu = a->psu;
        spec.fpc = a->fpc;
        spec.lonely = lonely;
        spec.threads = a->rd.threads;
        pkh_error err;
        if (pkh_design_new(t, &spec, &s->design, &err) != PKH_OK) {
            return cli_fail(&err);
        }
        se->design = s->design;
    }
    if (a->repweights != NULL && (rc = find_repweights(a->repweights, t, s)) != 0) {
        return rc;
    }
    se->repweights = s->repcols;
    se->n_repweights = s->n_rep;
    for (int i = 0; i < a->n_contrasts; i++) {
        const char *eq = strchr(a->contrasts[i], '=');
        if (eq == NULL || eq == a->contrasts[i] || eq[1] == '\0') {
            return cli_failf("--contrast takes COL=A-B, e.g. urban=1-0 (got \"%s\")",
                             a->contrasts[i]);
        }
        s->columns[i] = strndup(a->contrasts[i], (size_t)(eq - a->contrasts[i]));
        s->contrasts[i] = (pkh_contrast){s->columns[i], eq + 1, NULL};
    }
    se->contrasts = s->contrasts;
    se->n_contrasts = a->n_contrasts;
    return 0;
}

static int run(const char *path, ind_args *a)
{
    cli_format fmt = cli_default_format(a->output);
    if (a->format != NULL && cli_parse_format(a->format, &fmt) != 0) {
        return cli_usage("indicators", "--format takes table, csv or json (got \"%s\")", a->format);
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
    if (rc == 0) { /* replicate weights are found by name: read every column */
        rc = cli_read_table("indicators", path, &a->rd, a->repweights != NULL ? NULL : cols, &t,
                            &info);
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
    se_state ss;
    memset(&ss, 0, sizeof ss);
    if (rc == 0) {
        rc = setup_se(a, t, &o, &ss);
    }
    pkh_table *res = NULL;
    pkh_indicators_info iinfo;
    if (rc == 0 && pkh_indicators_compute(t, &o, &res, &iinfo, &err) != PKH_OK) {
        rc = cli_fail(&err);
    }
    if (rc == 0) {
        json_t *meta = make_meta(path, a, &iinfo, o.quantile_rule);
        json_object_set_new(meta, "standard_errors", se_meta(a, &o, &iinfo));
        char title[1024], note[512] = "";
        if (o.se.method != PKH_SE_NONE) {
            snprintf(note, sizeof note, "\n%s", iinfo.srs ? srs_note : "");
        }
        snprintf(title, sizeof title, "%s: %lld of %lld rows used, person-weighted%s%s", path,
                 (long long)iinfo.used, (long long)iinfo.rows,
                 a->line != NULL || a->lines != NULL ? "" : " (no poverty line given)",
                 iinfo.srs ? note : "");
        rc = cli_emit_results(res, meta, fmt, a->output, title, nby + (a->n_contrasts > 0 ? 1 : 0));
        json_decref(meta);
    }
    pkh_table_free(res);
    se_state_free(&ss);
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
