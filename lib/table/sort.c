/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Radix sorts: the one sort per group that quantiles, Gini and Lorenz curves share.
 */
#include "internal/table.h"

#define DIGIT_BITS 11
#define BUCKETS (1 << DIGIT_BITS)
#define PASSES 6 /* 66 bits cover a 64-bit key */
#define MAX_THREADS 16

typedef struct pair {
    uint64_t key;
    int64_t idx;
} pair;

typedef struct sort_job {
    pair *src, *dst;
    int64_t n;
    int threads;
    int shift;
    int64_t (*hist)[BUCKETS]; /* per thread */
} sort_job;

static void chunk_range(int64_t n, int threads, int64_t t, int64_t *from, int64_t *to)
{
    *from = n * t / threads;
    *to = n * (t + 1) / threads;
}

static pkh_status hist_task(void *ctx, int64_t t)
{
    sort_job *j = ctx;
    int64_t from, to;
    chunk_range(j->n, j->threads, t, &from, &to);
    int64_t *h = j->hist[t];
    memset(h, 0, sizeof(int64_t) * BUCKETS);
    const int shift = j->shift;
    for (int64_t i = from; i < to; i++) {
        h[(j->src[i].key >> shift) & (BUCKETS - 1)]++;
    }
    return PKH_OK;
}

static pkh_status scatter_task(void *ctx, int64_t t)
{
    sort_job *j = ctx;
    int64_t from, to;
    chunk_range(j->n, j->threads, t, &from, &to);
    int64_t *pos = j->hist[t]; /* turned into start offsets by the caller */
    const int shift = j->shift;
    for (int64_t i = from; i < to; i++) {
        const pair p = j->src[i];
        j->dst[pos[(p.key >> shift) & (BUCKETS - 1)]++] = p;
    }
    return PKH_OK;
}

/* Turn per-thread histograms into per-thread start offsets; true if one bucket holds all. */
static bool offsets(sort_job *j)
{
    int64_t total = 0;
    for (int b = 0; b < BUCKETS; b++) {
        int64_t count = 0;
        for (int t = 0; t < j->threads; t++) {
            count += j->hist[t][b];
        }
        if (count == j->n) {
            return true;
        }
        for (int t = 0; t < j->threads; t++) {
            const int64_t c = j->hist[t][b];
            j->hist[t][b] = total;
            total += c;
        }
    }
    return false;
}

static void insertion_sort(pair *p, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        const pair v = p[i];
        int64_t k = i;
        while (k > 0 && p[k - 1].key > v.key) {
            p[k] = p[k - 1];
            k--;
        }
        p[k] = v;
    }
}

pkh_status pkh__radix_argsort(const uint64_t *keys, int64_t n, int threads,
                              const pkh_allocator *a, int64_t *perm)
{
    if (n <= 0) {
        return PKH_OK;
    }
    size_t bytes;
    if (!pkh__mul_size((size_t)n, sizeof(pair), &bytes)) {
        return PKH_ENOMEM;
    }
    pair *buf0 = pkh__alloc(a, bytes);
    pair *buf1 = n > 64 ? pkh__alloc(a, bytes) : NULL;
    threads = pkh__threads(threads);
    threads = threads > MAX_THREADS ? MAX_THREADS : threads;
    if (n < ((int64_t)1 << 16)) {
        threads = 1;
    }
    int64_t(*hist)[BUCKETS] = pkh__alloc(a, sizeof(int64_t) * BUCKETS * (size_t)threads);
    if (buf0 == NULL || (n > 64 && buf1 == NULL) || hist == NULL) {
        pkh__free(a, buf0, bytes);
        pkh__free(a, buf1, bytes);
        pkh__free(a, hist, sizeof(int64_t) * BUCKETS * (size_t)threads);
        return PKH_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        buf0[i].key = keys[i];
        buf0[i].idx = i;
    }
    pair *src = buf0;
    if (n <= 64) {
        insertion_sort(src, n);
    } else {
        sort_job j = {buf0, buf1, n, threads, 0, hist};
        for (int pass = 0; pass < PASSES; pass++) {
            j.shift = pass * DIGIT_BITS;
            pkh__parallel_for(threads, threads, hist_task, &j);
            if (offsets(&j)) {
                continue; /* every key has the same digit here */
            }
            pkh__parallel_for(threads, threads, scatter_task, &j);
            pair *t = j.src;
            j.src = j.dst;
            j.dst = t;
        }
        src = j.src;
    }
    for (int64_t i = 0; i < n; i++) {
        perm[i] = src[i].idx;
    }
    pkh__free(a, buf0, bytes);
    pkh__free(a, buf1, bytes);
    pkh__free(a, hist, sizeof(int64_t) * BUCKETS * (size_t)threads);
    return PKH_OK;
}

pkh_status pkh__group_sort(const int64_t *perm, int64_t n, const int32_t *group, int64_t k,
                           const pkh_allocator *a, int64_t *out, int64_t *offsets_out)
{
    int64_t *pos = pkh__calloc(a, (size_t)k + 1, sizeof *pos);
    if (pos == NULL) {
        return PKH_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        const int32_t g = group[perm[i]];
        if (g >= 0) {
            pos[g + 1]++;
        }
    }
    for (int64_t g = 0; g < k; g++) {
        pos[g + 1] += pos[g];
    }
    memcpy(offsets_out, pos, ((size_t)k + 1) * sizeof *pos);
    for (int64_t i = 0; i < n; i++) {
        const int32_t g = group[perm[i]];
        if (g >= 0) {
            out[pos[g]++] = perm[i];
        }
    }
    pkh__free(a, pos, ((size_t)k + 1) * sizeof *pos);
    return PKH_OK;
}
