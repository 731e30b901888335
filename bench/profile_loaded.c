/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The `profile-loaded` benchmark: pkh's poverty profile on data already in memory.
 *
 * Usage: profile_loaded FILE REPS RESULTS.csv
 *
 * Reads the five columns the profile uses (province, weight, hhsize, pcexp, povline) from FILE
 * once, then times, REPS times each and interleaved, pkh_indicators_compute() for
 *   full  fgt0,fgt1,fgt2,gini by province (the request of `pkh indicators ... --by province`)
 *   fgt   fgt0,fgt1,fgt2 by province (single passes)
 *   gini  gini by province (a sort per group)
 * after one untimed warm-up of `full`, and a plain read of the five columns' bytes on every
 * core ("pass"; the memory speed this machine reaches). Writes the `full` results to
 * RESULTS.csv (for the agreement check against the CLI) and prints the timings as JSON on
 * standard output: wall seconds per repetition, and for `full` the process CPU seconds too.
 *
 * Built by bench/run.sh against build/lib/libpkh.a (public API only).
 */
#define _POSIX_C_SOURCE 200809L
#include <pkh/pkh.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_REPS = 1000, MAX_THREADS = 256, N_COLUMNS = 5 };

static const char *const COLUMNS[N_COLUMNS] = {"province", "weight", "hhsize", "pcexp", "povline"};

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(const char *what, const pkh_error *err)
{
    fprintf(stderr, "profile_loaded: %s: %s\n", what, err->message);
    exit(1);
}

/* ----- one read of the columns' bytes on every core: the memory-speed reference ----- */

typedef struct span {
    const unsigned char *data;
    size_t bytes;
} span;

typedef struct pass_job {
    const span *spans;
    int n_spans;
    int part, parts;
    uint64_t sum;
} pass_job;

static void *pass_worker(void *arg)
{
    pass_job *job = arg;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int c = 0; c < job->n_spans; c++) {
        size_t words = job->spans[c].bytes / 8;
        size_t lo = words * (size_t)job->part / (size_t)job->parts;
        size_t hi = words * (size_t)(job->part + 1) / (size_t)job->parts;
        const unsigned char *base = job->spans[c].data;
        size_t i = lo;
        for (; i + 4 <= hi; i += 4) {
            uint64_t w[4];
            memcpy(w, base + i * 8, sizeof w);
            s0 += w[0];
            s1 += w[1];
            s2 += w[2];
            s3 += w[3];
        }
        for (; i < hi; i++) {
            uint64_t w;
            memcpy(&w, base + i * 8, sizeof w);
            s0 += w;
        }
    }
    job->sum = s0 + s1 + s2 + s3;
    return NULL;
}

static double timed_pass(const span *spans, int n_spans, int threads, uint64_t *sink)
{
    pthread_t tid[MAX_THREADS];
    pass_job jobs[MAX_THREADS];
    double t0 = now(CLOCK_MONOTONIC);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (pass_job){spans, n_spans, t, threads, 0};
        if (pthread_create(&tid[t], NULL, pass_worker, &jobs[t]) != 0) {
            fprintf(stderr, "profile_loaded: pthread_create failed\n");
            exit(1);
        }
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        *sink += jobs[t].sum;
    }
    return now(CLOCK_MONOTONIC) - t0;
}

static size_t column_bytes(const pkh_column *col, const unsigned char **data)
{
    size_t n = (size_t)pkh_column_length(col);
    switch (pkh_column_type(col)) {
    case PKH_TYPE_INT64:
        *data = (const unsigned char *)pkh_column_int64(col);
        return n * 8;
    case PKH_TYPE_FLOAT64:
        *data = (const unsigned char *)pkh_column_float64(col);
        return n * 8;
    case PKH_TYPE_DICT:
        *data = (const unsigned char *)pkh_column_codes(col);
        return n * 4;
    default:
        *data = pkh_column_bool_bits(col);
        return (n + 7) / 8;
    }
}

/* ----- the profile ----- */

static pkh_table *compute(const pkh_table *table, const pkh_indicator *inds, int n_inds,
                          double *cpu)
{
    static const char *const by[] = {"province"};
    pkh_indicators_options o = PKH_INDICATORS_OPTIONS_INIT;
    pkh_error err;
    pkh_table *out = NULL;
    o.income = "pcexp";
    o.weight = "weight";
    o.size = "hhsize";
    o.line.kind = PKH_LINE_COLUMN;
    o.line.column = "povline";
    o.by = by;
    o.n_by = 1;
    o.indicators = inds;
    o.n_indicators = n_inds;
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    if (pkh_indicators_compute(table, &o, &out, NULL, &err) != PKH_OK)
        fail("pkh_indicators_compute", &err);
    if (cpu)
        *cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    return out;
}

static void print_list(const char *name, const double *v, int n, int last)
{
    printf("  \"%s\": [", name);
    for (int i = 0; i < n; i++)
        printf("%s%.9f", i ? ", " : "", v[i]);
    printf("]%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: profile_loaded FILE REPS RESULTS.csv\n");
        return 2;
    }
    int reps = atoi(argv[2]);
    if (reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "profile_loaded: REPS must be 1..%d\n", MAX_REPS);
        return 2;
    }
    pkh_error err;

    pkh_csv_options copts = PKH_CSV_OPTIONS_INIT;
    copts.columns = COLUMNS;
    copts.n_columns = N_COLUMNS;
    pkh_table *table = NULL;
    double t0 = now(CLOCK_MONOTONIC);
    if (pkh_csv_read_path(argv[1], &copts, &table, NULL, &err) != PKH_OK)
        fail("pkh_csv_read_path", &err);
    double load_s = now(CLOCK_MONOTONIC) - t0;

    static const char *const names[] = {"fgt0", "fgt1", "fgt2", "gini"};
    pkh_indicator inds[4];
    for (int i = 0; i < 4; i++)
        if (pkh_indicator_parse(names[i], &inds[i], &err) != PKH_OK)
            fail("pkh_indicator_parse", &err);

    span spans[N_COLUMNS];
    size_t total_bytes = 0;
    for (int c = 0; c < N_COLUMNS; c++) {
        const pkh_column *col = pkh_table_column_at(table, c);
        spans[c].bytes = column_bytes(col, &spans[c].data);
        total_bytes += spans[c].bytes;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;

    /* warm-up: first touches, allocator pools, thread start-up */
    pkh_table *result = compute(table, inds, 4, NULL);
    if (pkh_csv_write_path(result, argv[3], NULL, &err) != PKH_OK)
        fail("pkh_csv_write_path", &err);
    pkh_table_free(result);

    static double full[MAX_REPS], full_cpu[MAX_REPS], fgt[MAX_REPS], gini[MAX_REPS], pass[MAX_REPS];
    uint64_t sink = 0;
    for (int r = 0; r < reps; r++) {
        double s = now(CLOCK_MONOTONIC);
        pkh_table_free(compute(table, inds, 4, &full_cpu[r]));
        full[r] = now(CLOCK_MONOTONIC) - s;
        s = now(CLOCK_MONOTONIC);
        pkh_table_free(compute(table, inds, 3, NULL));
        fgt[r] = now(CLOCK_MONOTONIC) - s;
        s = now(CLOCK_MONOTONIC);
        pkh_table_free(compute(table, inds + 3, 1, NULL));
        gini[r] = now(CLOCK_MONOTONIC) - s;
        pass[r] = timed_pass(spans, N_COLUMNS, threads, &sink);
    }

    printf(
        "{\n  \"pkh\": \"%s\",\n  \"rows\": %lld,\n  \"column_bytes\": %zu,\n"
        "  \"threads\": %d,\n  \"load_s\": %.9f,\n  \"sink\": %llu,\n",
        pkh_version_string(), (long long)pkh_table_num_rows(table), total_bytes, threads, load_s,
        (unsigned long long)sink);
    print_list("full_s", full, reps, 0);
    print_list("full_cpu_s", full_cpu, reps, 0);
    print_list("fgt_s", fgt, reps, 0);
    print_list("gini_s", gini, reps, 0);
    print_list("pass_s", pass, reps, 1);
    printf("}\n");
    pkh_table_free(table);
    return 0;
}
