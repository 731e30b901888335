/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh targeting: how well a programme (or a score with a quota) finds its benchmark group.
 * Also the survey design flags, which pkh pmt shares.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: pkh targeting FILE --income COL --benchmark SPEC\n"
    "                      (--recipient COL | --score COL (--quota SHARE | --cutoff X)) [options]\n"
    "\n"
    "Targeting errors of a cash transfer: who should receive (the benchmark group: persons\n"
    "below a poverty line, or the poorest share of persons) against who does (a recipient\n"
    "column) or would (a score below a cut-off). Person-weighted: a household row counts for\n"
    "weight x size persons. One output row per (group, indicator): the --by columns,\n"
    "indicator, estimate, se, ci_low, ci_high, n, population. Shares are fractions.\n"
    "\n"
    "Indicators (definitions and references: docs/targeting.md):\n"
    "  coverage_poor             share of the benchmark group that receives\n"
    "  exclusion_error           1 - coverage_poor (under-coverage)\n"
    "  leakage                   share of recipients outside the benchmark group (inclusion\n"
    "                            error over recipients)\n"
    "  inclusion_error_nonpoor   share of persons outside the benchmark group who receive\n"
    "                            (inclusion error over the non-poor)\n"
    "  targeting_differential    coverage_poor - inclusion_error_nonpoor\n"
    "  coverage                  share of all persons who receive\n"
    "  cgh                       Coady-Grosh-Hoddinott: share of benefits to the bottom 40%\n"
    "                            of persons by welfare, divided by 0.4 (1 = neutral)\n"
    "  coverage_q1..q5           coverage by welfare quintile (Q1: welfare < q20, ..., Q5:\n"
    "                            welfare >= q80; deciles _d1.._d10 with --groups decile)\n"
    "  benefit_share_q1..q5      share of benefits by quintile (benefit incidence)\n"
    "  undercoverage_persons     persons in the benchmark group who do not receive (total)\n"
    "  undercoverage_families    the same in households (sum of weights)\n"
    "  leakage_persons           recipients outside the benchmark group (total)\n"
    "  leakage_families          the same in households\n"
    "  auc                       with --score: weighted area under the ROC curve of the score\n"
    "                            for finding the benchmark group (low score = predicted poor;\n"
    "                            ties count one half)\n"
    "\n";

static const char help_options[] =
    "Data:\n"
    "  --income COL        welfare: per-capita expenditure or income (required)\n"
    "  --weight COL        sampling weight of the row (default: 1)\n"
    "  --size COL          persons in the household row (default: 1)\n"
    "  --by COL[,COL...]   domains, e.g. province or province,urban (quintiles, the share\n"
    "                      benchmark and the quota stay the whole population's)\n"
    "  --filter EXPR       a domain: use rows where EXPR is true, e.g. 'urban == 0'; the\n"
    "                      quintiles, share:F and the quota are then those of these rows\n"
    "                      (under a design every PSU stays in the variance)\n"
    "  --define NAME=EXPR  derive a column, e.g. pc=hhexp/hhsize (repeatable)\n"
    "Who should receive:\n"
    "  --benchmark SPEC    line:NUMBER  welfare < NUMBER (e.g. line:425250)\n"
    "                      line:COL     welfare < the row's line (province x urban lines)\n"
    "                      share:F      the poorest F of persons: welfare < its F quantile\n"
    "Who receives (one of):\n"
    "  --recipient COL     1/true = receives (any nonzero number)\n"
    "  --score COL         a targeting score, low = poorer (a PMT prediction), with\n"
    "  --quota SHARE       the share of persons to cover, 0 < SHARE < 1: eligible means\n"
    "                      score < the SHARE quantile of the score (ties at the cut-off are\n"
    "                      not eligible, so at most SHARE is covered), or\n"
    "  --cutoff X          eligible means score < X\n"
    "  --benefit COL       the benefit amount of the row (money for cgh and benefit_share;\n"
    "                      rows that do not receive count 0); default: recipients' persons\n"
    "  --groups G          quintile (default) or decile\n"
    "  --quantile-rule R   rule for quintiles, share:F and the quota: gt (default), ge, ge_avg\n"
    "Standard errors (linearised, over the full design; t intervals with #PSU - #strata df):\n"
    "  --strata COL        stratum of the row\n"
    "  --psu COL           primary sampling unit (nested in strata)\n"
    "  --fpc COL           finite population correction: PSUs in the stratum, or a fraction\n"
    "  --lonely-psu P      fail (default), certainty, adjust, average or remove\n"
    "  --level L           confidence level (default 0.95)\n"
    "Score diagnostics:\n"
    "  --curve FILE        write the weighted ROC curve (tpr, fpr, precision at every cut-off,\n"
    "                      thinned to one point per 0.1% of persons) and the errors at quotas\n"
    "                      0.05, 0.10, ..., 0.50 to FILE (CSV)\n"
    "Reading: --delim C  --decimal ,  --na LIST  --types col:type,...  --threads N\n"
    "Output:\n"
    "  --format F          table (default on a terminal), csv or json\n"
    "  --output FILE       write the results to FILE\n"
    "\n"
    "Examples:\n"
    "  pkh targeting survey.csv.gz --income pcexp --weight weight --size hhsize \\\n"
    "      --recipient pkh --benchmark line:povline --groups decile\n"
    "  pkh targeting survey.csv.gz --income pcexp --weight weight --size hhsize \\\n"
    "      --score pmt --quota 0.15 --benchmark share:0.1 --strata strata --psu psu \\\n"
    "      --by urban --curve roc.csv\n";

/* ---- the design flags, shared with pkh pmt ---- */

int cli_cols_add(const char **cols, int n, int cap, const char *name)
{
    if (name == NULL) {
        return n;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(cols[i], name) == 0) {
            return n;
        }
    }
    if (n < cap) {
        cols[n++] = name;
    }
    return n;
}

int cli_design_option(cli_design *d, const char *name, const char *value)
{
    const char **slot = strcmp(name, "strata") == 0       ? &d->strata
                        : strcmp(name, "psu") == 0        ? &d->psu
                        : strcmp(name, "fpc") == 0        ? &d->fpc
                        : strcmp(name, "lonely-psu") == 0 ? &d->lonely
                        : strcmp(name, "level") == 0      ? &d->level
                                                          : NULL;
    if (slot == NULL) {
        return 0;
    }
    *slot = value;
    return 1;
}

int cli_design_build(const cli_design *a, const pkh_table *t, int threads, double *level,
                     pkh_design **out)
{
    *out = NULL;
    *level = 0.95;
    if (a->level != NULL) {
        char *end;
        *level = strtod(a->level, &end);
        if (*end != '\0' || !(*level > 0 && *level < 1)) {
            return cli_failf(
                "--level takes a confidence level between 0 and 1, e.g. 0.95 "
                "(got \"%s\")",
                a->level);
        }
    }
    if (a->strata == NULL && a->psu == NULL && a->fpc == NULL) {
        return 0;
    }
    pkh_design_spec s = PKH_DESIGN_SPEC_INIT;
    s.strata = a->strata;
    s.psu = a->psu;
    s.fpc = a->fpc;
    s.threads = threads;
    if (a->lonely != NULL && pkh_lonely_psu_parse(a->lonely, &s.lonely) != PKH_OK) {
        return cli_failf(
            "--lonely-psu takes fail, certainty, adjust, average or remove (got "
            "\"%s\")",
            a->lonely);
    }
    pkh_error err;
    if (pkh_design_new(t, &s, out, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    return 0;
}

json_t *cli_design_meta(const cli_design *a, const pkh_design *d, double level)
{
    if (d == NULL) {
        return json_pack("{s:s}", "method",
                         "none: give --strata and/or --psu for standard "
                         "errors");
    }
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:I, s:I, s:I, s:f}", "method",
                     "Taylor linearisation (influence values, ultimate-cluster variance over "
                     "the full design)",
                     "strata", a->strata, "psu", a->psu, "fpc", a->fpc, "lonely_psu",
                     pkh_lonely_psu_name(pkh_design_lonely(d)), "strata_count",
                     (json_int_t)pkh_design_strata(d), "psus", (json_int_t)pkh_design_psus(d), "df",
                     (json_int_t)pkh_design_df(d), "level", level);
}

/* ---- pkh targeting ---- */

typedef struct tg_args {
    cli_read rd;
    cli_exprs ex;
    cli_design ds;
    const char *defines[64], *filter;
    int n_defines;
    const char *income, *weight, *size, *recipient, *score, *quota, *cutoff, *benchmark;
    const char *by, *benefit, *groups, *curve, *format, *output, *qrule;
} tg_args;

static int parse_args(int argc, char **argv, tg_args *a)
{
    static const struct option opts[] = {{"income", required_argument, 0, 0},
                                         {"weight", required_argument, 0, 0},
                                         {"size", required_argument, 0, 0},
                                         {"recipient", required_argument, 0, 0},
                                         {"score", required_argument, 0, 0},
                                         {"quota", required_argument, 0, 0},
                                         {"cutoff", required_argument, 0, 0},
                                         {"benchmark", required_argument, 0, 0},
                                         {"by", required_argument, 0, 0},
                                         {"benefit", required_argument, 0, 0},
                                         {"groups", required_argument, 0, 0},
                                         {"curve", required_argument, 0, 0},
                                         {"format", required_argument, 0, 0},
                                         {"output", required_argument, 0, 0},
                                         {"quantile-rule", required_argument, 0, 0},
                                         {"strata", required_argument, 0, 0},
                                         {"psu", required_argument, 0, 0},
                                         {"fpc", required_argument, 0, 0},
                                         {"lonely-psu", required_argument, 0, 0},
                                         {"level", required_argument, 0, 0},
                                         {"filter", required_argument, 0, 0},
                                         {"define", required_argument, 0, 0},
                                         {"delim", required_argument, 0, 0},
                                         {"decimal", required_argument, 0, 0},
                                         {"na", required_argument, 0, 0},
                                         {"types", required_argument, 0, 0},
                                         {"threads", required_argument, 0, 0},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            fputs(help_options, stdout);
            return -1;
        }
        if (c == '?') {
            return cli_usage("targeting", "unknown option or missing value: %s", argv[optind - 1]);
        }
        const char *n = opts[idx].name;
        if (strcmp(n, "define") == 0) {
            if (a->n_defines == 64) {
                return cli_usage("targeting", "at most 64 --define");
            }
            a->defines[a->n_defines++] = optarg;
            continue;
        }
        if (strcmp(n, "filter") == 0) {
            a->filter = optarg;
            continue;
        }
        if (cli_read_option(&a->rd, n, optarg) || cli_design_option(&a->ds, n, optarg)) {
            continue;
        }
        const char **slot = strcmp(n, "income") == 0      ? &a->income
                            : strcmp(n, "weight") == 0    ? &a->weight
                            : strcmp(n, "size") == 0      ? &a->size
                            : strcmp(n, "recipient") == 0 ? &a->recipient
                            : strcmp(n, "score") == 0     ? &a->score
                            : strcmp(n, "quota") == 0     ? &a->quota
                            : strcmp(n, "cutoff") == 0    ? &a->cutoff
                            : strcmp(n, "benchmark") == 0 ? &a->benchmark
                            : strcmp(n, "by") == 0        ? &a->by
                            : strcmp(n, "benefit") == 0   ? &a->benefit
                            : strcmp(n, "groups") == 0    ? &a->groups
                            : strcmp(n, "curve") == 0     ? &a->curve
                            : strcmp(n, "format") == 0    ? &a->format
                            : strcmp(n, "output") == 0    ? &a->output
                                                          : &a->qrule;
        *slot = optarg;
    }
    if (optind >= argc) {
        return cli_usage("targeting", "which file? (pkh targeting FILE --income COL ...)");
    }
    if (optind + 1 < argc) {
        return cli_usage("targeting", "one file at a time (extra argument \"%s\")",
                         argv[optind + 1]);
    }
    if (a->income == NULL) {
        return cli_usage("targeting",
                         "--income COL is required: the welfare column, e.g. "
                         "--income pcexp");
    }
    if (a->benchmark == NULL) {
        return cli_usage("targeting",
                         "--benchmark is required: line:NUMBER, line:COL or "
                         "share:F (who should receive)");
    }
    if ((a->recipient == NULL) == (a->score == NULL)) {
        return cli_usage("targeting",
                         "give either --recipient COL or --score COL with "
                         "--quota or --cutoff");
    }
    if (a->score != NULL && (a->quota == NULL) == (a->cutoff == NULL)) {
        return cli_usage("targeting", "--score needs one of --quota SHARE and --cutoff X");
    }
    if (a->recipient != NULL && (a->quota != NULL || a->cutoff != NULL)) {
        return cli_usage("targeting", "--quota and --cutoff go with --score, not --recipient");
    }
    if (a->curve != NULL && a->score == NULL) {
        return cli_usage("targeting", "--curve describes a score: it needs --score");
    }
    return 0;
}

/* A number option's value, or a message and EXIT_DATA. */
static int number_arg(const char *flag, const char *text, const char *what, double *out)
{
    char *end;
    *out = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(*out)) {
        return cli_failf("%s takes %s (got \"%s\")", flag, what, text);
    }
    return 0;
}

static int options_from_args(const tg_args *a, pkh_targeting_options *o)
{
    pkh_error err;
    if (pkh_benchmark_parse(a->benchmark, &o->benchmark, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    if (a->quota != NULL) {
        if (number_arg("--quota", a->quota, "a share of persons", &o->quota) != 0) {
            return EXIT_DATA;
        }
        if (!(o->quota > 0 && o->quota < 1)) {
            return cli_failf(
                "--quota takes a share of persons between 0 and 1, exclusive, "
                "e.g. 0.15 (got %s)",
                a->quota);
        }
    }
    if (a->cutoff != NULL && number_arg("--cutoff", a->cutoff, "a number", &o->cutoff) != 0) {
        return EXIT_DATA;
    }
    if (a->groups != NULL) {
        if (strcmp(a->groups, "quintile") != 0 && strcmp(a->groups, "decile") != 0) {
            return cli_failf("--groups takes quintile or decile (got \"%s\")", a->groups);
        }
        o->groups = a->groups[0] == 'd' ? 10 : 5;
    }
    if (a->qrule != NULL && pkh_quantile_rule_parse(a->qrule, &o->quantile_rule) != PKH_OK) {
        return cli_failf("--quantile-rule takes gt, ge or ge_avg (got \"%s\")", a->qrule);
    }
    o->income = a->income;
    o->weight = a->weight;
    o->size = a->size;
    o->recipient = a->recipient;
    o->score = a->score;
    o->benefit = a->benefit;
    o->threads = a->rd.threads;
    return 0;
}

static const char *benchmark_text(const pkh_targeting_options *o, char *buf, size_t cap)
{
    if (o->benchmark.kind == PKH_BENCHMARK_LINE) {
        snprintf(buf, cap, "welfare < %.17g (a fixed line)", o->benchmark.value);
    } else if (o->benchmark.kind == PKH_BENCHMARK_LINE_COLUMN) {
        snprintf(buf, cap, "welfare < the row's line in column %s", o->benchmark.column);
    } else {
        snprintf(buf, cap, "the poorest %.17g of persons: welfare < its %.17g quantile",
                 o->benchmark.value, o->benchmark.value);
    }
    return buf;
}

static json_t *conventions(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "unit",
        "persons: a row counts weight x size", "coverage_poor",
        "persons in the benchmark group who receive / persons in the benchmark group",
        "exclusion_error", "1 - coverage_poor", "leakage",
        "inclusion error over recipients: recipients outside the benchmark group / recipients",
        "inclusion_error_nonpoor",
        "inclusion error over the non-poor: persons outside the benchmark group who receive / "
        "persons outside the benchmark group",
        "targeting_differential", "coverage_poor - inclusion_error_nonpoor", "cgh",
        "Coady-Grosh-Hoddinott: share of benefits to persons with welfare < q40, / 0.4", "groups",
        "Q1: welfare < q20, Qk: q(k-1) <= welfare < qk, Q5: welfare >= q80 (deciles "
        "alike); whole-population quantiles of persons",
        "benefit", "--benefit amount x weight of recipients; without it, recipient persons",
        "counts", "_persons: sum of weight x size; _families: sum of weights (households)",
        "domains",
        "--by: domain estimates with the whole population's cut-offs; --filter: "
        "the cut-offs of the rows kept (every PSU stays in the variance)");
}

static json_t *make_meta(const char *path, const tg_args *a, const pkh_targeting_options *o,
                         const pkh_targeting_info *info, const pkh_design *d, double level)
{
    char bench[256];
    json_t *opts = json_object();
    const char *keys[] = {"income", "weight", "size",    "benchmark", "recipient", "score",
                          "quota",  "cutoff", "benefit", "by",        "filter",    "groups"};
    const char *vals[] = {a->income, a->weight, a->size,    a->benchmark, a->recipient, a->score,
                          a->quota,  a->cutoff, a->benefit, a->by,        a->filter,    a->groups};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_object_set_new(opts, keys[i], vals[i] ? json_string(vals[i]) : json_null());
    }
    json_t *bounds = json_array();
    for (int j = 0; j < (o->groups == 10 ? 9 : 4); j++) {
        json_array_append_new(bounds, json_real(info->bounds[j]));
    }
    json_t *bm = json_pack("{s:s, s:s, s:o}", "spec", a->benchmark, "definition",
                           benchmark_text(o, bench, sizeof bench), "line",
                           isfinite(info->line) ? json_real(info->line) : json_null());
    json_t *rc;
    if (a->recipient != NULL) {
        rc = json_pack("{s:s, s:s}", "recipient", a->recipient, "definition",
                       "receives when the column is nonzero");
    } else {
        rc = json_pack("{s:s, s:o, s:f, s:s}", "score", a->score, "quota",
                       a->quota ? json_real(o->quota) : json_null(), "cutoff", info->cutoff,
                       "definition",
                       "eligible: score < cutoff (a low score means predicted "
                       "poor; ties at the cut-off are not eligible)");
    }
    json_t *excl = json_pack("{s:I, s:I, s:I}", "filtered_out", (json_int_t)info->filtered_out,
                             "missing_income", (json_int_t)info->missing_income, "missing_key",
                             (json_int_t)info->missing_key);
    return json_pack(
        "{s:s, s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:f, s:f, s:s, s:s, s:o, "
        "s:o, s:s}",
        "command", "targeting", "file", path, "options", opts, "rows", (json_int_t)info->rows,
        "rows_used", (json_int_t)info->used, "excluded", excl, "benchmark", bm, "receipt", rc,
        "group_bounds", bounds, "receiving_share", info->receiving, "benchmark_share",
        info->benchmark_share, "groups", o->groups == 10 ? "decile" : "quintile", "quantile_rule",
        pkh_quantile_rule_name(o->quantile_rule), "conventions", conventions(), "standard_errors",
        cli_design_meta(&a->ds, d, level), "version", pkh_version_string());
}

/* On a terminal: the long table, without the se and ci columns when there are none. */
static int emit(const pkh_table *res, json_t *meta, cli_format fmt, const tg_args *a,
                const pkh_targeting_info *info, const char *path, size_t nby)
{
    if (fmt != FMT_TABLE) {
        return cli_emit(res, meta, fmt, a->output, NULL);
    }
    const char *names[64];
    int64_t n = 0;
    for (int64_t j = 0; j < pkh_table_num_columns(res) && n < 64; j++) {
        const char *c = pkh_column_name(pkh_table_column_at(res, j));
        const bool se_col =
            strcmp(c, "se") == 0 || strcmp(c, "ci_low") == 0 || strcmp(c, "ci_high") == 0;
        const bool count_col = strcmp(c, "n") == 0 || strcmp(c, "population") == 0;
        if ((info->with_se || !se_col) && (nby > 0 || !count_col)) {
            names[n++] = c; /* without domains, n and persons are in the title */
        }
    }
    pkh_table *view = NULL;
    pkh_table_select(res, names, n, &view, NULL);
    char title[1024], bench[256], recv[256];
    pkh_targeting_options o = PKH_TARGETING_OPTIONS_INIT;
    pkh_benchmark_parse(a->benchmark, &o.benchmark, NULL);
    if (a->recipient != NULL) {
        snprintf(recv, sizeof recv, "%s != 0", a->recipient);
    } else {
        snprintf(recv, sizeof recv, "%s < %.10g%s", a->score, info->cutoff,
                 a->quota != NULL ? " (the quota's cut-off; ties not eligible)" : "");
    }
    snprintf(title, sizeof title,
             "%s: %lld of %lld rows used, %.0f persons (weight x size)%s\n"
             "benchmark: %s (%.4g of persons)\nreceives: %s (%.4g of persons)",
             path, (long long)info->used, (long long)info->rows, info->population,
             nby ? "; by domain" : "", benchmark_text(&o, bench, sizeof bench),
             info->benchmark_share, recv, info->receiving);
    const int rc = cli_emit(view, NULL, FMT_TABLE, a->output, title);
    pkh_table_free(view);
    return rc;
}

static int run(const char *path, tg_args *a)
{
    cli_format fmt = cli_default_format(a->output);
    if (a->format != NULL && cli_parse_format(a->format, &fmt) != 0) {
        return cli_usage("targeting", "--format takes table, csv or json (got \"%s\")", a->format);
    }
    pkh_targeting_options o = PKH_TARGETING_OPTIONS_INIT;
    int rc = options_from_args(a, &o);
    const char *cols[256];
    int nc = 0;
    char **by = a->by != NULL ? cli_split(a->by, ',', NULL) : NULL;
    const char *single[] = {
        a->income,    a->weight,
        a->size,      a->recipient,
        a->score,     a->benefit,
        a->ds.strata, a->ds.psu,
        a->ds.fpc,    o.benchmark.kind == PKH_BENCHMARK_LINE_COLUMN ? o.benchmark.column : NULL};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        nc = cli_cols_add(cols, nc, 250, single[i]);
    }
    for (char **p = by; p != NULL && *p != NULL; p++) {
        nc = cli_cols_add(cols, nc, 250, *p);
    }
    rc = rc == 0 ? cli_exprs_parse("targeting", a->defines, a->n_defines, a->filter, &a->ex) : rc;
    if (rc == 0) {
        nc = cli_exprs_columns(&a->ex, cols, nc, 250);
        nc = cli_exprs_remove_defined(&a->ex, cols, nc);
    }
    cols[nc] = NULL;
    pkh_table *t = NULL, *res = NULL, *cur = NULL;
    pkh_design *d = NULL;
    pkh_csv_info cinfo;
    double level = 0.95;
    rc = rc == 0 ? cli_read_table("targeting", path, &a->rd, cols, &t, &cinfo) : rc;
    rc = rc == 0 ? cli_exprs_apply(&a->ex, &t, a->rd.threads) : rc;
    rc = rc == 0 ? cli_design_build(&a->ds, t, a->rd.threads, &level, &d) : rc;
    size_t nby = 0;
    while (by != NULL && by[nby] != NULL) {
        nby++;
    }
    pkh_targeting_info info;
    if (rc == 0) {
        o.by = (const char *const *)by;
        o.n_by = (int64_t)nby;
        o.filter = a->ex.mask;
        o.design = d;
        o.level = level;
        pkh_error err;
        if (pkh_targeting_compute(t, &o, &res, a->curve ? &cur : NULL, &info, &err) != PKH_OK) {
            rc = cli_fail(&err);
        }
    }
    if (rc == 0 && cur != NULL) {
        pkh_error err;
        if (pkh_csv_write_path(cur, a->curve, NULL, &err) != PKH_OK) {
            rc = cli_fail(&err);
        }
    }
    if (rc == 0) {
        json_t *meta = make_meta(path, a, &o, &info, d, level);
        rc = emit(res, meta, fmt, a, &info, path, nby);
        json_decref(meta);
    }
    pkh_table_free(res);
    pkh_table_free(cur);
    pkh_table_free(t);
    pkh_design_free(d);
    cli_free_list(by);
    cli_exprs_free(&a->ex);
    return rc;
}

int cmd_targeting(int argc, char **argv)
{
    tg_args a;
    memset(&a, 0, sizeof a);
    const int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    return run(argv[optind], &a);
}
