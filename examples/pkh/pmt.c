/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh pmt: fit a proxy-means test, score every household, and say how well it targets.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: pkh pmt FILE --target COL --covariates a,b,c [--categorical x,y] [options]\n"
    "\n"
    "A proxy-means test: weighted least squares of welfare (or its log) on household traits\n"
    "that are hard to hide, as PKH's registry ranks families. Output rows: one per coefficient\n"
    "(term, estimate, se, t, p, ci_low, ci_high, se_model, df, n), then r2, r2_adj, sigma and\n"
    "n; with --folds, the cross-validated cv_rmse and cv_r2; with --quota, the targeting errors\n"
    "of the score (coverage_poor, exclusion_error, leakage, inclusion_error_nonpoor, auc), in\n"
    "sample and, with --folds, out of sample (cv_...). Definitions: docs/pmt.md.\n"
    "\n"
    "Model:\n"
    "  --target COL        the welfare to predict, e.g. per-capita expenditure (required)\n"
    "  --log               model ln(target); rows with target <= 0 are left out and counted\n"
    "  --covariates LIST   numeric covariates, comma-separated, e.g. hhsize,assets,n_working\n"
    "  --categorical LIST  categorical covariates: one dummy 'col=level' per level but the\n"
    "                      first in sorted order (the reference), e.g. roof,floor,water\n"
    "  --weight COL        sampling weight (default: 1); rows with a missing target,\n"
    "                      covariate or weight are left out and counted\n"
    "  --model-by COL      a separate model for each value, e.g. province\n"
    "  --filter EXPR       fit on the rows where EXPR is true (every row is still scored)\n"
    "  --define NAME=EXPR  derive a column (repeatable)\n"
    "Standard errors (without a design: model-based, sigma^2 (X'WX)^-1, df n - p):\n"
    "  --strata COL --psu COL [--fpc COL]\n"
    "                      design-based (linearised, Binder's sandwich as R's svyglm), df\n"
    "                      PSUs - strata of the fit's rows + 1 - p\n"
    "  --lonely-psu P      fail (default), certainty, adjust, average or remove\n"
    "  --level L           confidence level (default 0.95)\n"
    "Honest accuracy:\n"
    "  --folds K           K-fold cross-validation: folds of PSUs with a design, else of rows\n"
    "  --seed S            the fold assignment (default 1): the same seed, the same folds\n"
    "Targeting of the score (a low score means poorer):\n"
    "  --quota SHARE       cover the SHARE of persons with the lowest scores (0 < SHARE < 1)\n"
    "  --benchmark SPEC    who should be covered: line:NUMBER, line:COL or share:F\n"
    "  --income COL        welfare for the benchmark (default: the target)\n"
    "  --size COL          persons per household for the targeting (default: 1)\n"
    "Output:\n"
    "  --out FILE          per-row scores (CSV; .gz compresses): the --id columns (default:\n"
    "                      'row', the data row number), score (on the model's scale: ln with\n"
    "                      --log), cv_score with --folds, eligible with --quota\n"
    "  --id COLS           columns to copy into --out, e.g. hhid\n"
    "  --format F          table (default on a terminal), csv or json\n"
    "  --output FILE       write the results to FILE\n"
    "Reading: --delim C  --decimal ,  --na LIST  --types col:type,...  --threads N\n"
    "\n"
    "Example:\n"
    "  pkh pmt survey.csv.gz --target pcexp --log --covariates hhsize,assets,n_working \\\n"
    "      --categorical roof,floor,wall,toilet,water,head_educ --weight weight \\\n"
    "      --strata strata --psu psu --folds 5 --seed 1 --quota 0.15 \\\n"
    "      --benchmark line:povline --size hhsize --out scores.csv.gz\n";

typedef struct pmt_args {
    cli_read rd;
    cli_exprs ex;
    cli_design ds;
    const char *defines[64], *filter;
    int n_defines, log;
    const char *target, *covariates, *categorical, *weight, *model_by, *folds, *seed;
    const char *quota, *benchmark, *income, *size, *out, *id, *format, *output;
} pmt_args;

static const char **slot_of(pmt_args *a, const char *n)
{
    static const char *const names[] = {"target",    "covariates", "categorical", "weight",
                                        "model-by",  "folds",      "seed",        "quota",
                                        "benchmark", "income",     "size",        "out",
                                        "id",        "format",     "output",      "filter"};
    const char **slots[] = {&a->target,    &a->covariates, &a->categorical, &a->weight,
                            &a->model_by,  &a->folds,      &a->seed,        &a->quota,
                            &a->benchmark, &a->income,     &a->size,        &a->out,
                            &a->id,        &a->format,     &a->output,      &a->filter};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(n, names[i]) == 0) {
            return slots[i];
        }
    }
    return NULL;
}

static int check_args(const pmt_args *a, int argc, char **argv)
{
    if (optind >= argc) {
        return cli_usage("pmt", "which file? (pkh pmt FILE --target COL --covariates ...)");
    }
    if (optind + 1 < argc) {
        return cli_usage("pmt", "one file at a time (extra argument \"%s\")", argv[optind + 1]);
    }
    if (a->target == NULL) {
        return cli_usage("pmt",
                         "--target COL is required: the welfare to predict, e.g. "
                         "--target pcexp");
    }
    if (a->covariates == NULL && a->categorical == NULL) {
        return cli_usage("pmt",
                         "give the covariates: --covariates a,b,c and/or --categorical "
                         "x,y");
    }
    if ((a->quota == NULL) != (a->benchmark == NULL)) {
        return cli_usage("pmt",
                         "--quota and --benchmark go together: the share to cover, and "
                         "who should be covered");
    }
    if (a->seed != NULL && a->folds == NULL) {
        return cli_usage("pmt", "--seed assigns cross-validation folds: it needs --folds K");
    }
    return 0;
}

static int parse_args(int argc, char **argv, pmt_args *a)
{
    static const struct option opts[] = {
        {"target", required_argument, 0, 0},     {"log", no_argument, 0, 0},
        {"covariates", required_argument, 0, 0}, {"categorical", required_argument, 0, 0},
        {"weight", required_argument, 0, 0},     {"model-by", required_argument, 0, 0},
        {"folds", required_argument, 0, 0},      {"seed", required_argument, 0, 0},
        {"quota", required_argument, 0, 0},      {"benchmark", required_argument, 0, 0},
        {"income", required_argument, 0, 0},     {"size", required_argument, 0, 0},
        {"out", required_argument, 0, 0},        {"id", required_argument, 0, 0},
        {"format", required_argument, 0, 0},     {"output", required_argument, 0, 0},
        {"strata", required_argument, 0, 0},     {"psu", required_argument, 0, 0},
        {"fpc", required_argument, 0, 0},        {"lonely-psu", required_argument, 0, 0},
        {"level", required_argument, 0, 0},      {"filter", required_argument, 0, 0},
        {"define", required_argument, 0, 0},     {"delim", required_argument, 0, 0},
        {"decimal", required_argument, 0, 0},    {"na", required_argument, 0, 0},
        {"types", required_argument, 0, 0},      {"threads", required_argument, 0, 0},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    int idx = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (c == '?') {
            return cli_usage("pmt", "unknown option or missing value: %s", argv[optind - 1]);
        }
        const char *n = opts[idx].name;
        const char **slot = slot_of(a, n);
        if (slot != NULL) {
            *slot = optarg;
        } else if (strcmp(n, "log") == 0) {
            a->log = 1;
        } else if (strcmp(n, "define") == 0) {
            if (a->n_defines == 64) {
                return cli_usage("pmt", "at most 64 --define");
            }
            a->defines[a->n_defines++] = optarg;
        } else if (!cli_read_option(&a->rd, n, optarg)) {
            cli_design_option(&a->ds, n, optarg);
        }
    }
    return check_args(a, argc, argv);
}

static int int_arg(const char *flag, const char *text, long lo, long *out)
{
    char *end;
    *out = strtol(text, &end, 10);
    if (end == text || *end != '\0' || *out < lo) {
        return cli_failf("%s takes a whole number >= %ld (got \"%s\")", flag, lo, text);
    }
    return 0;
}

typedef struct pmt_lists {
    char **cov, **cat, **id;
    size_t ncov, ncat, nid;
} pmt_lists;

static int options_from_args(const pmt_args *a, pmt_lists *l, pkh_pmt_options *o)
{
    l->cov = a->covariates ? cli_split(a->covariates, ',', &l->ncov) : NULL;
    l->cat = a->categorical ? cli_split(a->categorical, ',', &l->ncat) : NULL;
    l->id = a->id ? cli_split(a->id, ',', &l->nid) : NULL;
    o->target = a->target;
    o->log_target = a->log;
    o->covariates = (const char *const *)l->cov;
    o->n_covariates = (int64_t)l->ncov;
    o->categorical = (const char *const *)l->cat;
    o->n_categorical = (int64_t)l->ncat;
    o->weight = a->weight;
    o->model_by = a->model_by;
    o->income = a->income;
    o->size = a->size;
    o->threads = a->rd.threads;
    long v;
    if (a->folds != NULL) {
        if (int_arg("--folds", a->folds, 2, &v) != 0) {
            return EXIT_DATA;
        }
        o->folds = (int)(v < 1000000000 ? v : 1000000000);
        o->seed = 1;
    }
    if (a->seed != NULL) {
        if (int_arg("--seed", a->seed, 0, &v) != 0) {
            return EXIT_DATA;
        }
        o->seed = (uint64_t)v;
    }
    if (a->quota != NULL) {
        char *end;
        o->quota = strtod(a->quota, &end);
        if (end == a->quota || *end != '\0' || !(o->quota > 0 && o->quota < 1)) {
            return cli_failf(
                "--quota takes a share of persons between 0 and 1, exclusive, "
                "e.g. 0.15 (got %s)",
                a->quota);
        }
        pkh_error err;
        if (pkh_benchmark_parse(a->benchmark, &o->benchmark, &err) != PKH_OK) {
            return cli_fail(&err);
        }
    }
    return 0;
}

static json_t *string_list(char **l)
{
    json_t *a = json_array();
    for (char **p = l; p != NULL && *p != NULL; p++) {
        json_array_append_new(a, json_string(*p));
    }
    return a;
}

static json_t *make_meta(const char *path, const pmt_args *a, const pmt_lists *l,
                         const pkh_pmt_info *info, const pkh_design *d, double level)
{
    json_t *model =
        json_pack("{s:s, s:b, s:o, s:o, s:s?, s:s?, s:I, s:I, s:s}", "target", a->target, "log",
                  a->log, "covariates", string_list(l->cov), "categorical", string_list(l->cat),
                  "weight", a->weight, "model_by", a->model_by, "models", (json_int_t)info->models,
                  "terms", (json_int_t)info->terms, "reference_level",
                  "the first level of each categorical in sorted order (numbers "
                  "numerically, text by bytes) among the model's rows");
    json_t *excl =
        json_pack("{s:I, s:I, s:I, s:I}", "filtered_out", (json_int_t)info->filtered_out,
                  "missing_values", (json_int_t)info->missing, "nonpositive_target",
                  (json_int_t)info->nonpositive, "missing_model_by", (json_int_t)info->missing_key);
    json_t *se = cli_design_meta(&a->ds, d, level);
    json_object_set_new(se, "model_based",
                        json_string("sigma^2 (X'WX)^-1 with sigma^2 = sum "
                                    "w e^2 / (n - p); column se_model"));
    json_t *m = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "command", "pmt", "file",
                          path, "rows", (json_int_t)info->rows, "rows_used", (json_int_t)info->used,
                          "rows_scored", (json_int_t)info->scored, "excluded", excl, "model", model,
                          "standard_errors", se);
    if (a->folds != NULL) {
        json_object_set_new(
            m, "cross_validation",
            json_pack("{s:s, s:s, s:s}", "folds", a->folds, "seed", a->seed ? a->seed : "1",
                      "units", d != NULL ? "PSUs (all rows of a PSU in one fold)" : "rows"));
    }
    if (a->quota != NULL) {
        json_object_set_new(
            m, "targeting",
            json_pack("{s:s, s:s, s:s, s:s?, s:f, s:s}", "quota", a->quota, "benchmark",
                      a->benchmark, "income", a->income ? a->income : a->target, "size", a->size,
                      "cutoff", info->cutoff, "definition",
                      "eligible: score < the quota's quantile of the scores "
                      "of the fit's rows (persons); see pkh targeting"));
    }
    json_object_set_new(m, "version", json_string(pkh_version_string()));
    return m;
}

/* --out: the id columns (or the data row number), then the scores. */
static int write_scores(const pmt_args *a, const pmt_lists *l, const pkh_table *t,
                        const pkh_table *scores)
{
    pkh_table *ids = NULL, *both = NULL;
    pkh_error err;
    pkh_status st;
    if (l->nid > 0) {
        st = pkh_table_select(t, (const char *const *)l->id, (int64_t)l->nid, &ids, &err);
    } else {
        const int64_t n = pkh_table_num_rows(t);
        int64_t *row = malloc((size_t)(n > 0 ? n : 1) * sizeof *row);
        for (int64_t i = 0; i < n; i++) {
            row[i] = i + 1;
        }
        pkh_table_builder *b = NULL;
        st = pkh_table_builder_new(NULL, &b, &err);
        st = st == PKH_OK ? pkh_table_builder_add_int64(b, "row", row, NULL, n, &err) : st;
        st = st == PKH_OK ? pkh_table_builder_finish(b, &ids, &err) : st;
        pkh_table_builder_free(b);
        free(row);
    }
    st = st == PKH_OK ? pkh_table_concat_columns(ids, scores, &both, &err) : st;
    st = st == PKH_OK ? pkh_csv_write_path(both, a->out, NULL, &err) : st;
    pkh_table_free(ids);
    pkh_table_free(both);
    return st == PKH_OK ? 0 : cli_fail(&err);
}

static int emit(const pkh_table *res, json_t *meta, cli_format fmt, const pmt_args *a,
                const pkh_pmt_info *info, const char *path)
{
    if (fmt != FMT_TABLE) {
        return cli_emit(res, meta, fmt, a->output, NULL);
    }
    const char *names[16];
    int64_t n = 0;
    for (int64_t j = 0; j < pkh_table_num_columns(res) && n < 16; j++) {
        const char *c = pkh_column_name(pkh_table_column_at(res, j));
        if (info->with_se || strcmp(c, "se_model") != 0) {
            names[n++] = c;
        }
    }
    pkh_table *view = NULL;
    pkh_table_select(res, names, n, &view, NULL);
    char title[1280], by[160] = "";
    if (a->model_by != NULL) {
        snprintf(by, sizeof by, "; one model per value of %s", a->model_by);
    }
    snprintf(title, sizeof title,
             "%s: %lld rows in the fit (left out: %lld with missing values, %lld with the "
             "target <= 0), %lld rows scored\nmodel: %s%s%s ~ %s%s%s, weights %s%s\nse: %s",
             path, (long long)info->used, (long long)info->missing, (long long)info->nonpositive,
             (long long)info->scored, a->log ? "ln(" : "", a->target, a->log ? ")" : "",
             a->covariates ? a->covariates : "", a->covariates && a->categorical ? "," : "",
             a->categorical ? a->categorical : "", a->weight ? a->weight : "1", by,
             info->with_se ? "design-based (linearised; se_model: model-based)" : "model-based");
    const int rc = cli_emit(view, NULL, FMT_TABLE, a->output, title);
    pkh_table_free(view);
    return rc;
}

static int read_data(const char *path, pmt_args *a, const pmt_lists *l, pkh_table **t)
{
    const char *cols[512];
    int nc = 0;
    const char *single[] = {a->target, a->weight,    a->model_by, a->income,
                            a->size,   a->ds.strata, a->ds.psu,   a->ds.fpc};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        nc = cli_cols_add(cols, nc, 500, single[i]);
    }
    char **lists[] = {l->cov, l->cat, l->id};
    for (int j = 0; j < 3; j++) {
        for (char **p = lists[j]; p != NULL && *p != NULL; p++) {
            nc = cli_cols_add(cols, nc, 500, *p);
        }
    }
    pkh_benchmark b;
    if (a->benchmark != NULL && pkh_benchmark_parse(a->benchmark, &b, NULL) == PKH_OK &&
        b.kind == PKH_BENCHMARK_LINE_COLUMN) {
        nc = cli_cols_add(cols, nc, 500, b.column);
    }
    int rc = cli_exprs_parse("pmt", a->defines, a->n_defines, a->filter, &a->ex);
    if (rc == 0) {
        nc = cli_exprs_columns(&a->ex, cols, nc, 500);
        nc = cli_exprs_remove_defined(&a->ex, cols, nc);
        cols[nc] = NULL;
        pkh_csv_info info;
        rc = cli_read_table("pmt", path, &a->rd, cols, t, &info);
    }
    return rc == 0 ? cli_exprs_apply(&a->ex, t, a->rd.threads) : rc;
}

static int run(const char *path, pmt_args *a)
{
    cli_format fmt = cli_default_format(a->output);
    if (a->format != NULL && cli_parse_format(a->format, &fmt) != 0) {
        return cli_usage("pmt", "--format takes table, csv or json (got \"%s\")", a->format);
    }
    pkh_pmt_options o = PKH_PMT_OPTIONS_INIT;
    pmt_lists l;
    memset(&l, 0, sizeof l);
    int rc = options_from_args(a, &l, &o);
    pkh_table *t = NULL, *res = NULL, *scores = NULL;
    pkh_design *d = NULL;
    double level = 0.95;
    rc = rc == 0 ? read_data(path, a, &l, &t) : rc;
    rc = rc == 0 ? cli_design_build(&a->ds, t, a->rd.threads, &level, &d) : rc;
    pkh_pmt_info info;
    if (rc == 0) {
        o.filter = a->ex.mask;
        o.design = d;
        o.level = level;
        pkh_error err;
        if (pkh_pmt_fit(t, &o, &res, a->out ? &scores : NULL, &info, &err) != PKH_OK) {
            rc = cli_fail(&err);
        }
    }
    rc = rc == 0 && a->out != NULL ? write_scores(a, &l, t, scores) : rc;
    if (rc == 0) {
        json_t *meta = make_meta(path, a, &l, &info, d, level);
        rc = emit(res, meta, fmt, a, &info, path);
        json_decref(meta);
    }
    pkh_table_free(res);
    pkh_table_free(scores);
    pkh_table_free(t);
    pkh_design_free(d);
    cli_exprs_free(&a->ex);
    cli_free_list(l.cov);
    cli_free_list(l.cat);
    cli_free_list(l.id);
    return rc;
}

int cmd_pmt(int argc, char **argv)
{
    pmt_args a;
    memset(&a, 0, sizeof a);
    const int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    return run(argv[optind], &a);
}
