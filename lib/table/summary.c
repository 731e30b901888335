/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Column summaries: fixed chunks of rows merged in chunk order, so any thread count gives the
 * same bits.
 */
#include <math.h>

#include "internal/table.h"

#define CHUNK ((int64_t)1 << 16)

typedef struct part {
    int64_t count;
    double min, max;
    pkh__ksum sum;
    bool any_nan;
} part;

typedef struct job {
    const pkh_column *col;
    part *parts;
    uint8_t *seen; /* dictionary codes used (one byte each: no races between chunks on bits) */
} job;

static double value_at(const pkh_column *c, int64_t i)
{
    switch (c->type) {
    case PKH_TYPE_INT64:
        return (double)((const int64_t *)c->values)[i];
    case PKH_TYPE_FLOAT64:
        return ((const double *)c->values)[i];
    case PKH_TYPE_BOOL:
        return pkh__bit_get(c->values, i) ? 1.0 : 0.0;
    case PKH_TYPE_DICT:
        break;
    }
    return 0;
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
    for (int64_t i = from; i < to; i++) {
        if (c->validity != NULL && !pkh__bit_get(c->validity, i)) {
            continue;
        }
        p->count++;
        if (c->type == PKH_TYPE_DICT) {
            j->seen[((const int32_t *)c->values)[i]] = 1;
            continue;
        }
        const double v = value_at(c, i);
        if (isnan(v)) {
            p->any_nan = true;
            continue;
        }
        p->min = v < p->min ? v : p->min;
        p->max = v > p->max ? v : p->max;
        pkh__ksum_add(&p->sum, v);
    }
    return PKH_OK;
}

pkh_status pkh_column_summarize(const pkh_column *column, int threads, pkh_column_summary *out,
                                pkh_error *err)
{
    const pkh_allocator *a = pkh_allocator_default();
    const int64_t nchunks = (column->length + CHUNK - 1) / CHUNK;
    job j = {column, NULL, NULL};
    j.parts = pkh__calloc(a, (size_t)(nchunks > 0 ? nchunks : 1), sizeof *j.parts);
    if (column->type == PKH_TYPE_DICT) {
        j.seen = pkh__calloc(a, (size_t)(column->dict_size > 0 ? column->dict_size : 1), 1);
    }
    if (j.parts == NULL || (column->type == PKH_TYPE_DICT && j.seen == NULL)) {
        pkh__free(a, j.parts, (size_t)(nchunks > 0 ? nchunks : 1) * sizeof *j.parts);
        pkh__free(a, j.seen, (size_t)(column->dict_size > 0 ? column->dict_size : 1));
        return pkh__enomem(err);
    }
    pkh__parallel_for(threads, nchunks, chunk_task, &j);
    pkh_column_summary s = {0, 0, HUGE_VAL, -HUGE_VAL, NAN, NAN, -1};
    pkh__ksum sum = {0, 0};
    bool any_nan = false;
    for (int64_t k = 0; k < nchunks; k++) {
        const part *p = &j.parts[k];
        s.count += p->count;
        s.min = p->min < s.min ? p->min : s.min;
        s.max = p->max > s.max ? p->max : s.max;
        pkh__ksum_merge(&sum, &p->sum);
        any_nan = any_nan || p->any_nan;
    }
    s.missing = column->length - s.count;
    if (column->type == PKH_TYPE_DICT) {
        s.distinct = 0;
        for (int64_t d = 0; d < column->dict_size; d++) {
            s.distinct += j.seen[d];
        }
        s.min = s.max = NAN;
    } else if (s.count == 0 || any_nan) {
        s.min = s.max = NAN;
    } else {
        s.sum = pkh__ksum_value(&sum);
        s.mean = s.sum / (double)s.count;
    }
    pkh__free(a, j.parts, (size_t)(nchunks > 0 ? nchunks : 1) * sizeof *j.parts);
    pkh__free(a, j.seen, (size_t)(column->dict_size > 0 ? column->dict_size : 1));
    *out = s;
    return PKH_OK;
}
