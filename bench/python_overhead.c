/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The C side of the `python-overhead` benchmark: pkh_indicators_compute() on float64 columns
 * already in memory, the reference for pkh.indicators on a pandas DataFrame of the same columns.
 *
 * Usage: python_overhead DIR ROWS REPS OUT_PREFIX REQUEST...
 *
 * Reads DIR/NAME.f64 (ROWS native doubles each) for pcexp, weight, hhsize, povline and prov,
 * builds a table over that memory without copying (pkh_table_builder_add_external, as the
 * Python module does with a DataFrame's columns), then times REPS repetitions of each REQUEST,
 * interleaved, after one untimed warm-up. A REQUEST is NAME:INDICATORS:BY:SE, e.g.
 * "profile:fgt0,fgt1,fgt2,gini:prov:linearized" (BY "-" for none; SE linearized or none).
 * Writes each request's results to OUT_PREFIX-NAME.csv (for the agreement check) and prints
 * the wall seconds of every repetition as JSON on standard output.
 *
 * Built by bench/cases/python-overhead.py against $BUILD/lib/libpkh.a (public API only).
 */
#define _POSIX_C_SOURCE 200809L
#include <pkh/pkh.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_REQUESTS = 16, MAX_REPS = 10000, MAX_INDICATORS = 64, N_COLUMNS = 5 };

static const char *const COLUMNS[N_COLUMNS] = {"pcexp", "weight", "hhsize", "povline", "prov"};

typedef struct request {
    char name[64];
    char by[64];
    pkh_indicator inds[MAX_INDICATORS];
    int64_t n_inds;
    pkh_se_method se;
    double *seconds;
} request;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "python_overhead: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void no_release(void *ctx)
{
    (void)ctx;
}

static double *read_column(const char *dir, const char *name, int64_t rows)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f64", dir, name);
    FILE *f = fopen(path, "rb");
    double *v = malloc((size_t)rows * sizeof *v);
    if (f == NULL || v == NULL || fread(v, sizeof *v, (size_t)rows, f) != (size_t)rows) {
        die("cannot read", path);
    }
    fclose(f);
    return v;
}

static void parse_request(const char *text, request *r, int reps)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    const char *name = strtok_r(buf, ":", &save);
    char *list = strtok_r(NULL, ":", &save);
    const char *by = strtok_r(NULL, ":", &save);
    const char *se = strtok_r(NULL, ":", &save);
    if (name == NULL || list == NULL || by == NULL || se == NULL) {
        die("a request is NAME:INDICATORS:BY:SE", text);
    }
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->by, sizeof r->by, "%s", strcmp(by, "-") == 0 ? "" : by);
    r->se = strcmp(se, "none") == 0 ? PKH_SE_NONE : PKH_SE_LINEARIZED;
    char *save2 = NULL;
    for (char *ind = strtok_r(list, ",", &save2); ind != NULL; ind = strtok_r(NULL, ",", &save2)) {
        pkh_error err;
        if (r->n_inds == MAX_INDICATORS || pkh_indicator_parse(ind, &r->inds[r->n_inds++], &err)) {
            die("bad indicator", ind);
        }
    }
    r->seconds = calloc((size_t)reps, sizeof *r->seconds);
}

static pkh_table *run(const pkh_table *t, const request *r)
{
    pkh_indicators_options o = PKH_INDICATORS_OPTIONS_INIT;
    const char *by[1] = {r->by};
    o.income = "pcexp";
    o.weight = "weight";
    o.size = "hhsize";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "povline";
    o.by = r->by[0] ? by : NULL;
    o.n_by = r->by[0] ? 1 : 0;
    o.indicators = r->inds;
    o.n_indicators = r->n_inds;
    o.se.method = r->se;
    pkh_table *res = NULL;
    pkh_error err;
    if (pkh_indicators_compute(t, &o, &res, NULL, &err) != PKH_OK) {
        die("pkh_indicators_compute", err.message);
    }
    return res;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        die("usage: python_overhead DIR ROWS REPS OUT_PREFIX REQUEST...", NULL);
    }
    const int64_t rows = strtoll(argv[2], NULL, 10);
    const int reps = atoi(argv[3]);
    const int n_req = argc - 5;
    if (rows < 1 || reps < 1 || reps > MAX_REPS || n_req > MAX_REQUESTS) {
        die("bad ROWS, REPS or too many requests", NULL);
    }
    double *cols[N_COLUMNS];
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_table_builder_new(NULL, &b, &err) != PKH_OK) {
        die("builder", err.message);
    }
    for (int j = 0; j < N_COLUMNS; j++) {
        cols[j] = read_column(argv[1], COLUMNS[j], rows);
        if (pkh_table_builder_add_external(b, COLUMNS[j], PKH_TYPE_FLOAT64, cols[j], NULL, rows,
                                           no_release, NULL, &err) != PKH_OK) {
            die("add_external", err.message);
        }
    }
    if (pkh_table_builder_finish(b, &t, &err) != PKH_OK) {
        die("finish", err.message);
    }
    pkh_table_builder_free(b);
    request req[MAX_REQUESTS];
    memset(req, 0, sizeof req);
    for (int k = 0; k < n_req; k++) {
        parse_request(argv[5 + k], &req[k], reps);
        pkh_table *res = run(t, &req[k]); /* warm-up, and the results to compare */
        char path[4096];
        snprintf(path, sizeof path, "%s-%s.csv", argv[4], req[k].name);
        if (pkh_csv_write_path(res, path, NULL, &err) != PKH_OK) {
            die("write", err.message);
        }
        pkh_table_free(res);
    }
    for (int i = 0; i < reps; i++) {
        for (int k = 0; k < n_req; k++) {
            const double t0 = now();
            pkh_table *res = run(t, &req[k]);
            req[k].seconds[i] = now() - t0;
            pkh_table_free(res);
        }
    }
    printf("{\"pkh\": \"%s\", \"rows\": %lld", pkh_version_string(), (long long)rows);
    for (int k = 0; k < n_req; k++) {
        printf(", \"%s\": [", req[k].name);
        for (int i = 0; i < reps; i++) {
            printf("%s%.9f", i ? ", " : "", req[k].seconds[i]);
        }
        printf("]");
        free(req[k].seconds);
    }
    printf("}\n");
    pkh_table_free(t);
    for (int j = 0; j < N_COLUMNS; j++) {
        free(cols[j]);
    }
    return 0;
}
