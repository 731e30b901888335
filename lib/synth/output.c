/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Writing a synthetic survey as a pair of CSV files, and the table of calibration targets.
 */
#include <stdio.h>

#include <pkh/io.h>

#include "internal/synth.h"

typedef struct write_job {
    const pkh_table *table[2];
    char *name[4]; /* final and partial name of each file */
    size_t name_bytes[4];
    int gzip;
    pkh_status st[2];
    pkh_error errs[2];
} write_job;

static pkh_status write_one(void *ctx, int64_t i)
{
    write_job *j = ctx;
    pkh_csv_write_options o = PKH_CSV_WRITE_OPTIONS_INIT;
    o.gzip = j->gzip;
    j->st[i] = pkh_csv_write_path(j->table[i], j->name[2 * i + 1], &o, &j->errs[i]);
    return j->st[i];
}

/* Name k: file k / 2 ("households", "members"), final (even k) or partial (odd k):
 * "PREFIX-households.csv[.gz][.partial]". */
static pkh_status make_names(const pkh_allocator *a, write_job *j, const char *prefix,
                             pkh_error *err)
{
    static const char *const what[2] = {"households", "members"};
    for (int k = 0; k < 4; k++) {
        j->name_bytes[k] = strlen(prefix) + 40;
        j->name[k] = pkh__alloc(a, j->name_bytes[k]);
        if (j->name[k] == NULL) {
            return pkh__enomem(err);
        }
        snprintf(j->name[k], j->name_bytes[k], "%s-%s.csv%s%s", prefix, what[k / 2],
                 j->gzip ? ".gz" : "", k % 2 ? ".partial" : "");
    }
    return PKH_OK;
}

/* Both files are complete under their partial names: move them into place together. */
static pkh_status rename_both(write_job *j, pkh_error *err)
{
    for (int i = 0; i < 2; i++) {
        if (rename(j->name[2 * i + 1], j->name[2 * i]) != 0) {
            const pkh_status st = pkh__error(err, PKH_EIO, j->name[2 * i], 0, 0,
                                             "cannot rename the finished file into place");
            for (int k = i; k < 2; k++) {
                remove(j->name[2 * k + 1]);
            }
            if (i == 1) {
                remove(j->name[0]); /* never leave half a pair behind */
            }
            return st;
        }
    }
    return PKH_OK;
}

pkh_status pkh_synth_write(const pkh_table *households, const pkh_table *members,
                           const char *prefix, int gzip, int threads, pkh_error *err)
{
    if (households == NULL || members == NULL || prefix == NULL || prefix[0] == '\0') {
        return pkh__errorf(err, PKH_EINVAL, "pkh_synth_write: NULL argument or empty prefix");
    }
    const pkh_allocator *a = pkh__allocator(NULL);
    write_job j;
    memset(&j, 0, sizeof j);
    j.table[0] = households;
    j.table[1] = members;
    j.gzip = gzip != 0;
    j.st[0] = j.st[1] = PKH_ECANCELED; /* until written: a failure may skip the other task */
    pkh_status st = make_names(a, &j, prefix, err);
    if (st == PKH_OK) {
        st = pkh__parallel_for(threads, 2, write_one, &j);
        if (st != PKH_OK) {
            if (err != NULL) {
                *err = j.errs[j.st[0] != PKH_OK ? 0 : 1];
            }
            for (int i = 0; i < 2; i++) { /* a failed write leaves nothing; undo the other */
                if (j.st[i] == PKH_OK) {
                    remove(j.name[2 * i + 1]);
                }
            }
        }
    }
    if (st == PKH_OK) {
        st = rename_both(&j, err);
    }
    for (int k = 0; k < 4; k++) {
        pkh__free(a, j.name[k], j.name_bytes[k]);
    }
    return st;
}

/* One row per province from the year's strata (urban and rural values side by side). */
typedef struct target_rows {
    int64_t code[64];
    const char *name[64];
    double pop[64], urban[64], p0[64], p0_u[64], p0_r[64], line_u[64], line_r[64];
} target_rows;

static void fill_targets(const pkh__synth_year *y, target_rows *t)
{
    pkh__synth_stratum s[PKH__SYNTH_MAX_STRATA];
    const int n = pkh__synth_strata_init(y, s);
    memset(t, 0, sizeof *t);
    for (int i = 0; i < y->n_provinces; i++) {
        t->code[i] = y->provinces[i].code;
        t->name[i] = y->provinces[i].name;
        t->urban[i] = y->provinces[i].urban_share;
        t->p0[i] = y->provinces[i].p0 / 100.0;
    }
    for (int k = 0; k < n; k++) {
        const int i = s[k].prov;
        t->pop[i] += s[k].population;
        *(s[k].urban ? &t->p0_u[i] : &t->p0_r[i]) = s[k].p0;
        *(s[k].urban ? &t->line_u[i] : &t->line_r[i]) = s[k].line;
    }
}

pkh_status pkh_synth_targets(int year, const pkh_allocator *allocator, pkh_table **out,
                             pkh_error *err)
{
    const pkh__synth_year *y = pkh__synth_year_find(year);
    if (out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_synth_targets: NULL argument");
    }
    if (y == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "no calibration for the year %d (known years: %d)",
                           year, PKH_SYNTH_DEFAULT_YEAR);
    }
    target_rows *t = pkh__alloc(pkh__allocator(allocator), sizeof *t);
    if (t == NULL) {
        return pkh__enomem(err);
    }
    fill_targets(y, t);
    const int64_t n = y->n_provinces;
    const struct {
        const char *name;
        const double *v;
    } num[] = {{"population", t->pop},      {"urban_share", t->urban}, {"p0", t->p0},
               {"p0_urban", t->p0_u},       {"p0_rural", t->p0_r},     {"povline_urban", t->line_u},
               {"povline_rural", t->line_r}};
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(allocator, &b, err);
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "prov_code", t->code, NULL, n, err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "province", t->name, n, err);
    }
    for (size_t k = 0; k < sizeof num / sizeof num[0] && st == PKH_OK; k++) {
        st = pkh_table_builder_add_float64(b, num[k].name, num[k].v, NULL, n, err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, err);
    }
    pkh_table_builder_free(b);
    pkh__free(pkh__allocator(allocator), t, sizeof *t);
    return st;
}
