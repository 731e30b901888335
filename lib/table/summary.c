/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Column summaries: fixed chunks of rows merged in chunk order, so any thread count gives the
 * same bits.
 */
#include <math.h>
#include <stdatomic.h>

#include "internal/table.h"

#define CHUNK PKH__SUMMARY_CHUNK

typedef pkh__summary_part part;

typedef struct job {
    const pkh_column *col;
    part *parts;
    /* dictionary codes used: one byte each (no shared bits), relaxed atomic stores (chunks may
     * mark the same code at once) */
    atomic_uchar *seen;
} job;

static bool valid_at(const pkh_column *c, int64_t i)
{
    return c->validity == NULL || pkh__bit_get(c->validity, i);
}

/* Exact int64 sums that vectorise: each value split into a signed high and an unsigned low
 * 32-bit half; over a chunk (far fewer than 2^31 values) neither partial sum can overflow. */
PKH__CLONES("avx512f", "avx2", "default")
static void chunk_int(const int64_t *v, const uint8_t *validity, int64_t from, int64_t to, part *p)
{
    int64_t mn = INT64_MAX, mx = INT64_MIN, count = 0, hi = 0;
    uint64_t lo = 0;
    if (validity == NULL) {
        for (int64_t i = from; i < to; i++) {
            const int64_t x = v[i];
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
            hi += x >> 32;
            lo += (uint64_t)x & 0xffffffffu;
        }
        count = to - from;
    } else {
        for (int64_t i = from; i < to; i++) {
            if (pkh__bit_get(validity, i)) {
                const int64_t x = v[i];
                mn = x < mn ? x : mn;
                mx = x > mx ? x : mx;
                hi += x >> 32;
                lo += (uint64_t)x & 0xffffffffu;
                count++;
            }
        }
    }
    p->count = count;
    p->isum = (pkh__int128)hi * ((pkh__int128)1 << 32) + (pkh__int128)lo;
    p->min = count > 0 ? (double)mn : HUGE_VAL;
    p->max = count > 0 ? (double)mx : -HUGE_VAL;
}

/* Four Neumaier accumulators (fixed lanes: the result does not depend on threads). */
PKH__CLONES("avx512f", "avx2", "default")
static void chunk_float(const double *v, const uint8_t *validity, int64_t from, int64_t to, part *p)
{
    double mn = HUGE_VAL, mx = -HUGE_VAL, s[4] = {0, 0, 0, 0}, comp[4] = {0, 0, 0, 0};
    int64_t count = 0;
    bool nan = false;
    if (validity == NULL) {
        int64_t i = from;
        for (; i + 4 <= to; i += 4) {
            for (int l = 0; l < 4; l++) {
                const double x = v[i + l];
                nan |= x != x;
                mn = x < mn ? x : mn;
                mx = x > mx ? x : mx;
                const double t = s[l] + x;
                comp[l] += fabs(s[l]) >= fabs(x) ? (s[l] - t) + x : (x - t) + s[l];
                s[l] = t;
            }
        }
        for (; i < to; i++) {
            const double x = v[i];
            nan |= x != x;
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
            const double t = s[0] + x;
            comp[0] += fabs(s[0]) >= fabs(x) ? (s[0] - t) + x : (x - t) + s[0];
            s[0] = t;
        }
        count = to - from;
    } else {
        for (int64_t i = from; i < to; i++) {
            if (!pkh__bit_get(validity, i)) {
                continue;
            }
            const double x = v[i];
            count++;
            nan |= x != x;
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
            const double t = s[0] + x;
            comp[0] += fabs(s[0]) >= fabs(x) ? (s[0] - t) + x : (x - t) + s[0];
            s[0] = t;
        }
    }
    pkh__ksum k = {0, 0};
    for (int l = 0; l < 4; l++) {
        pkh__ksum_add(&k, s[l]);
        pkh__ksum_add(&k, comp[l]);
    }
    p->count = count;
    p->min = mn;
    p->max = mx;
    p->sum = k;
    p->any_nan = nan;
}

void pkh__summary_chunk(bool float64, const void *values, const uint8_t *validity, int64_t from,
                        int64_t to, pkh__summary_part *p)
{
    memset(p, 0, sizeof *p);
    if (float64) {
        chunk_float(values, validity, from, to, p);
    } else {
        chunk_int(values, validity, from, to, p);
    }
    p->done = true;
}

/* The merge of parts[0 .. nchunks) in order, without the type-specific finish. */
static void merge_parts(const part *parts, int64_t nchunks, pkh_column_summary *s, pkh__ksum *sum,
                        pkh__int128 *isum, bool *any_nan)
{
    for (int64_t k = 0; k < nchunks; k++) {
        const part *p = &parts[k];
        s->count += p->count;
        s->min = p->min < s->min ? p->min : s->min;
        s->max = p->max > s->max ? p->max : s->max;
        pkh__ksum_merge(sum, &p->sum);
        *isum += p->isum;
        *any_nan = *any_nan || p->any_nan;
    }
}

static void finish_numbers(bool exact, pkh__ksum sum, pkh__int128 isum, bool any_nan,
                           pkh_column_summary *s)
{
    if (exact) {
        sum.sum = (double)isum; /* one rounding of the exact total */
        sum.c = (double)(isum - (pkh__int128)sum.sum);
    }
    if (s->count == 0 || any_nan) {
        s->min = s->max = NAN;
    } else {
        s->sum = pkh__ksum_value(&sum);
        s->mean = s->sum / (double)s->count;
    }
}

void pkh__summary_merge(bool float64, int64_t length, const pkh__summary_part *parts,
                        pkh_column_summary *out)
{
    pkh_column_summary s = {0, 0, HUGE_VAL, -HUGE_VAL, NAN, NAN, -1};
    pkh__ksum sum = {0, 0};
    pkh__int128 isum = 0;
    bool any_nan = false;
    merge_parts(parts, (length + CHUNK - 1) / CHUNK, &s, &sum, &isum, &any_nan);
    s.missing = length - s.count;
    finish_numbers(!float64, sum, isum, any_nan, &s);
    *out = s;
}

static pkh_status chunk_task(void *ctx, int64_t k)
{
    const job *j = ctx;
    const pkh_column *c = j->col;
    part *p = &j->parts[k];
    const int64_t from = k * CHUNK;
    const int64_t to = from + CHUNK < c->length ? from + CHUNK : c->length;
    p->min = HUGE_VAL;
    p->max = -HUGE_VAL;
    switch (c->type) {
    case PKH_TYPE_INT64:
        chunk_int(c->values, c->validity, from, to, p);
        break;
    case PKH_TYPE_FLOAT64:
        chunk_float(c->values, c->validity, from, to, p);
        break;
    case PKH_TYPE_BOOL:
        for (int64_t i = from; i < to; i++) {
            if (valid_at(c, i)) {
                const int x = pkh__bit_get(c->values, i);
                p->count++;
                p->isum += x;
                p->min = x < p->min ? x : p->min;
                p->max = x > p->max ? x : p->max;
            }
        }
        break;
    case PKH_TYPE_DICT:
        for (int64_t i = from; i < to; i++) {
            if (valid_at(c, i)) {
                p->count++;
                atomic_store_explicit(&j->seen[((const int32_t *)c->values)[i]], 1,
                                      memory_order_relaxed);
            }
        }
        break;
    }
    return PKH_OK;
}

pkh_status pkh_column_summarize(const pkh_column *column, int threads, pkh_column_summary *out,
                                pkh_error *err)
{
    if (column->has_summary) {
        *out = column->summary;
        return PKH_OK;
    }
    const pkh_allocator *a = pkh_allocator_default();
    const int64_t nchunks = (column->length + CHUNK - 1) / CHUNK;
    job j = {column, NULL, NULL};
    j.parts = pkh__calloc(a, (size_t)(nchunks > 0 ? nchunks : 1), sizeof *j.parts);
    if (column->type == PKH_TYPE_DICT) {
        j.seen =
            pkh__calloc(a, (size_t)(column->dict_size > 0 ? column->dict_size : 1), sizeof *j.seen);
    }
    if (j.parts == NULL || (column->type == PKH_TYPE_DICT && j.seen == NULL)) {
        pkh__free(a, j.parts, (size_t)(nchunks > 0 ? nchunks : 1) * sizeof *j.parts);
        pkh__free(a, j.seen,
                  (size_t)(column->dict_size > 0 ? column->dict_size : 1) * sizeof *j.seen);
        return pkh__enomem(err);
    }
    pkh__parallel_for(threads, nchunks, chunk_task, &j);
    pkh_column_summary s = {0, 0, HUGE_VAL, -HUGE_VAL, NAN, NAN, -1};
    pkh__ksum sum = {0, 0};
    pkh__int128 isum = 0;
    bool any_nan = false;
    merge_parts(j.parts, nchunks, &s, &sum, &isum, &any_nan);
    s.missing = column->length - s.count;
    if (column->type == PKH_TYPE_DICT) {
        s.distinct = 0;
        for (int64_t d = 0; d < column->dict_size; d++) {
            s.distinct += atomic_load_explicit(&j.seen[d], memory_order_relaxed);
        }
        s.min = s.max = NAN;
    } else {
        finish_numbers(column->type != PKH_TYPE_FLOAT64, sum, isum, any_nan, &s);
    }
    pkh__free(a, j.parts, (size_t)(nchunks > 0 ? nchunks : 1) * sizeof *j.parts);
    pkh__free(a, j.seen, (size_t)(column->dict_size > 0 ? column->dict_size : 1) * sizeof *j.seen);
    *out = s;
    return PKH_OK;
}
