/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh synth: generate a synthetic SUSENAS-like survey (households and members).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
    "Usage: pkh synth --households N --out PREFIX [options]\n"
    "\n"
    "Generate a synthetic household survey that behaves like Indonesia's SUSENAS (March\n"
    "2019): households with province, urban/rural, strata, PSU (census blocks of about ten\n"
    "households), weights, per-capita expenditure, poverty lines, proxy-means covariates,\n"
    "PKH receipt and PKH component counts, and one row per household member. It is\n"
    "synthetic: use it to learn, test and benchmark, never as a source of facts about\n"
    "Indonesia (see docs/synthetic-data.md).\n"
    "\n"
    "Writes PREFIX-households.csv.gz and PREFIX-members.csv.gz (both or neither).\n"
    "\n"
    "Options:\n"
    "  --households N   number of households to generate (at least 1). The weights always\n"
    "                   add up to Indonesia's population, whatever N is\n"
    "  --out PREFIX     where to write, e.g. build/demo (the directory must exist)\n"
    "  --seed S         random seed, a whole number (default 1). The same seed and options\n"
    "                   give the same data on any machine and any number of threads\n"
    "  --year Y         calibration year (default 2019, the only one so far)\n"
    "  --no-gzip        write plain .csv files instead of .csv.gz\n"
    "  --threads N      threads to use (default: every core); never changes the data\n"
    "  --quiet          print nothing on success\n"
    "\n"
    "Examples:\n"
    "  pkh synth --households 50000 --out build/demo\n"
    "  pkh synth --households 1000000 --seed 7 --no-gzip --out /tmp/big\n"
    "  pkh describe build/demo-households.csv.gz\n";

/* Parse a whole number into *out; -1 when the text is not one. */
static int parse_int64(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (s[0] == '-') {
        return -1;
    }
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

typedef struct synth_args {
    const char *households, *out, *seed, *year, *threads;
    int no_gzip, quiet;
} synth_args;

/* Parse the command line; returns 0, or the exit status after printing the problem. */
static int parse_args(int argc, char **argv, synth_args *a, int *help_shown)
{
    static const struct option opts[] = {{"households", required_argument, 0, 'n'},
                                         {"out", required_argument, 0, 'o'},
                                         {"seed", required_argument, 0, 's'},
                                         {"year", required_argument, 0, 'y'},
                                         {"threads", required_argument, 0, 't'},
                                         {"no-gzip", no_argument, 0, 'z'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help, stdout);
            *help_shown = 1;
            return 0;
        case 'n':
            a->households = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 's':
            a->seed = optarg;
            break;
        case 'y':
            a->year = optarg;
            break;
        case 't':
            a->threads = optarg;
            break;
        case 'z':
            a->no_gzip = 1;
            break;
        case 'q':
            a->quiet = 1;
            break;
        default:
            return cli_usage("synth", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return cli_usage("synth", "unexpected argument \"%s\" (options only)", argv[optind]);
    }
    if (a->households == NULL) {
        return cli_usage("synth", "how many households? (--households N)");
    }
    if (a->out == NULL) {
        return cli_usage("synth", "where to write? (--out PREFIX, e.g. --out build/demo)");
    }
    return 0;
}

/* Check the option values; fills `o`. Returns 0 or EXIT_DATA after printing the problem. */
static int check_values(const synth_args *a, pkh_synth_options *o)
{
    int64_t v;
    if (parse_int64(a->households, &v) != 0 || v < 1) {
        return cli_failf(
            "--households takes a whole number of households, at least 1 "
            "(got \"%s\")",
            a->households);
    }
    o->households = v;
    if (a->seed != NULL && parse_seed(a->seed, &o->seed) != 0) {
        return cli_failf(
            "--seed takes a whole number from 0 to 18446744073709551615 (got "
            "\"%s\")",
            a->seed);
    }
    if (a->year != NULL) {
        if (parse_int64(a->year, &v) != 0 || v < 1 || v > 9999 ||
            !pkh_synth_year_supported((int)v)) {
            return cli_failf("--year: no calibration for \"%s\" (known years: %d)", a->year,
                             PKH_SYNTH_DEFAULT_YEAR);
        }
        o->year = (int)v;
    }
    if (a->threads != NULL) {
        if (parse_int64(a->threads, &v) != 0 || v < 0 || v > 256) {
            return cli_failf("--threads takes a number from 0 (every core) to 256 (got \"%s\")",
                             a->threads);
        }
        o->threads = (int)v;
    }
    if (a->out[0] == '\0') {
        return cli_failf("--out needs a path prefix, e.g. --out build/demo");
    }
    return 0;
}

/* Fail early, before minutes of work, when PREFIX cannot be written: create and remove a
 * probe file beside the outputs. */
static int probe_prefix(const char *prefix)
{
    const size_t n = strlen(prefix) + 64;
    char *path = malloc(n);
    if (path == NULL) {
        return cli_failf("out of memory");
    }
    snprintf(path, n, "%s-households.probe-%ld", prefix, (long)getpid());
    FILE *f = fopen(path, "wb");
    const int e = errno;
    if (f != NULL) {
        fclose(f);
        remove(path);
    }
    free(path);
    if (f == NULL) {
        return cli_failf(
            "%s-households.csv: cannot write: %s (does the directory exist, and "
            "may you write there?)",
            prefix, strerror(e));
    }
    return 0;
}

int cmd_synth(int argc, char **argv)
{
    synth_args a;
    memset(&a, 0, sizeof a);
    int shown = 0;
    int rc = parse_args(argc, argv, &a, &shown);
    if (rc != 0 || shown) {
        return rc;
    }
    pkh_synth_options o = PKH_SYNTH_OPTIONS_INIT;
    rc = check_values(&a, &o);
    if (rc == 0) {
        rc = probe_prefix(a.out);
    }
    if (rc != 0) {
        return rc;
    }
    const double t0 = cli_now();
    pkh_table *hh = NULL, *mem = NULL;
    pkh_error err;
    if (pkh_synth_generate(&o, &hh, &mem, &err) != PKH_OK) {
        return cli_fail(&err);
    }
    const double t1 = cli_now();
    if (pkh_synth_write(hh, mem, a.out, !a.no_gzip, o.threads, &err) != PKH_OK) {
        rc = cli_fail(&err);
    } else if (!a.quiet) {
        const char *gz = a.no_gzip ? "" : ".gz";
        printf("pkh synth: %" PRId64 " households and %" PRId64 " persons (seed %" PRIu64
               ", year %d): generated in %.2f s, written in %.2f s\n  %s-households.csv%s\n"
               "  %s-members.csv%s\n",
               pkh_table_num_rows(hh), pkh_table_num_rows(mem), o.seed,
               o.year ? o.year : PKH_SYNTH_DEFAULT_YEAR, t1 - t0, cli_now() - t1, a.out, gz, a.out,
               gz);
    }
    pkh_table_free(hh);
    pkh_table_free(mem);
    return rc;
}
