/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Radix sorts: the one sort per group that quantiles, Gini and Lorenz curves share.
 */
#include "internal/table.h"

#define DIGIT_BITS 11
#define BUCKETS (1 << DIGIT_BITS)
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

pkh_status pkh__radix_argsort(const uint64_t *keys, int64_t n, int threads, const pkh_allocator *a,
                              int64_t *perm)
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
    uint64_t varying =
        0; /* bits that differ from the first key: the passes above them sort nothing */
    for (int64_t i = 0; i < n; i++) {
        buf0[i].key = keys[i];
        buf0[i].idx = i;
        varying |= keys[i] ^ keys[0];
    }
    const int passes =
        varying == 0 ? 0 : (64 - __builtin_clzll(varying) + DIGIT_BITS - 1) / DIGIT_BITS;
    pair *src = buf0;
    if (n <= 64) {
        insertion_sort(src, n);
    } else {
        sort_job j = {buf0, buf1, n, threads, 0, hist};
        for (int pass = 0; pass < passes; pass++) {
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
        const int32_t g = group[perm != NULL ? perm[i] : i];
        if (g >= 0) {
            pos[g + 1]++;
        }
    }
    for (int64_t g = 0; g < k; g++) {
        pos[g + 1] += pos[g];
    }
    memcpy(offsets_out, pos, ((size_t)k + 1) * sizeof *pos);
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = perm != NULL ? perm[i] : i;
        const int32_t g = group[r];
        if (g >= 0) {
            out[pos[g]++] = r;
        }
    }
    pkh__free(a, pos, ((size_t)k + 1) * sizeof *pos);
    return PKH_OK;
}

/* ---- records with a payload: the same LSD passes, moving whole records ---- */

typedef struct rec16 {
    uint64_t v[2];
} rec16;
typedef struct rec24 {
    uint64_t v[3];
} rec24;
typedef struct rec32 {
    uint64_t v[4];
} rec32;
typedef struct rec48 {
    uint64_t v[6];
} rec48;

typedef struct rec_job {
    const unsigned char *src;
    unsigned char *dst;
    size_t size;
    int64_t n;
    int threads;
    int shift;
    int64_t (*hist)[BUCKETS];
} rec_job;

static pkh_status rec_hist_task(void *ctx, int64_t t)
{
    rec_job *j = ctx;
    int64_t from, to;
    chunk_range(j->n, j->threads, t, &from, &to);
    int64_t *h = j->hist[t];
    memset(h, 0, sizeof(int64_t) * BUCKETS);
    const int shift = j->shift;
    for (int64_t i = from; i < to; i++) {
        uint64_t key;
        memcpy(&key, j->src + (size_t)i * j->size, 8);
        h[(key >> shift) & (BUCKETS - 1)]++;
    }
    return PKH_OK;
}

#define SCATTER(T)                                             \
    do {                                                       \
        const T *src = (const T *)(const void *)j->src;        \
        T *dst = (T *)(void *)j->dst;                          \
        for (int64_t i = from; i < to; i++) {                  \
            const T r = src[i];                                \
            dst[pos[(r.v[0] >> shift) & (BUCKETS - 1)]++] = r; \
        }                                                      \
    } while (0)

static pkh_status rec_scatter_task(void *ctx, int64_t t)
{
    rec_job *j = ctx;
    int64_t from, to;
    chunk_range(j->n, j->threads, t, &from, &to);
    int64_t *pos = j->hist[t];
    const int shift = j->shift;
    if (j->size == 16) {
        SCATTER(rec16);
    } else if (j->size == 24) {
        SCATTER(rec24);
    } else if (j->size == 32) {
        SCATTER(rec32);
    } else {
        SCATTER(rec48);
    }
    return PKH_OK;
}

static bool rec_offsets(rec_job *j)
{
    sort_job tmp = {NULL, NULL, j->n, j->threads, 0, j->hist};
    return offsets(&tmp);
}

/* LSD passes of 11-bit digits over bits [0, bits) of records in a cache-sized run: `src` and
 * `dst` are the run's places in the two buffers; after ceil(bits / 11) passes the records are
 * in `src` (even) or `dst` (odd). */
#define LSD_SMALL(T)                                                                         \
    static void lsd_small_##T(unsigned char *src_, unsigned char *dst_, int64_t n, int bits) \
    {                                                                                        \
        T *src = (T *)(void *)src_, *dst = (T *)(void *)dst_;                                \
        int64_t count[BUCKETS];                                                              \
        for (int shift = 0; shift < bits; shift += DIGIT_BITS) {                             \
            memset(count, 0, sizeof count);                                                  \
            for (int64_t i = 0; i < n; i++) {                                                \
                count[(src[i].v[0] >> shift) & (BUCKETS - 1)]++;                             \
            }                                                                                \
            int64_t total = 0;                                                               \
            for (int d = 0; d < BUCKETS; d++) {                                              \
                const int64_t k = count[d];                                                  \
                count[d] = total;                                                            \
                total += k;                                                                  \
            }                                                                                \
            for (int64_t i = 0; i < n; i++) {                                                \
                const T r = src[i];                                                          \
                dst[count[(r.v[0] >> shift) & (BUCKETS - 1)]++] = r;                         \
            }                                                                                \
            T *t = src;                                                                      \
            src = dst;                                                                       \
            dst = t;                                                                         \
        }                                                                                    \
    }

LSD_SMALL(rec16)
LSD_SMALL(rec24)
LSD_SMALL(rec32)
LSD_SMALL(rec48)

/* A bucket of the MSD pass, sorted while it sits in cache: records `a` (n of them) into `b`
 * when `in_b`, else in place, with `b` as scratch. At most SMALL_SORT records go by insertion;
 * larger ones take an MSD pass on the top varying bits of their own key range (a digit sized to
 * the bucket, so its counters stay few) and recurse; below MAX_DEPTH levels of that, the
 * remaining bits go by LSD passes. Every step is stable, so the order is that of an LSD sort
 * of the whole array. */
#define SMALL_SORT 24
#define MAX_DEPTH 3

#define MSD_SMALL(T)                                                                     \
    static void insertion_##T(T *p, int64_t n)                                           \
    {                                                                                    \
        for (int64_t i = 1; i < n; i++) {                                                \
            const T v = p[i];                                                            \
            int64_t k = i;                                                               \
            while (k > 0 && p[k - 1].v[0] > v.v[0]) {                                    \
                p[k] = p[k - 1];                                                         \
                k--;                                                                     \
            }                                                                            \
            p[k] = v;                                                                    \
        }                                                                                \
    }                                                                                    \
    static void msd_small_##T(T *a, T *b, int64_t n, bool in_b, int depth)               \
    {                                                                                    \
        if (n <= SMALL_SORT) {                                                           \
            insertion_##T(a, n);                                                         \
            if (in_b) {                                                                  \
                memcpy(b, a, (size_t)n * sizeof(T));                                     \
            }                                                                            \
            return;                                                                      \
        }                                                                                \
        uint64_t lo = a[0].v[0], hi = lo;                                                \
        for (int64_t i = 1; i < n; i++) {                                                \
            lo = a[i].v[0] < lo ? a[i].v[0] : lo;                                        \
            hi = a[i].v[0] > hi ? a[i].v[0] : hi;                                        \
        }                                                                                \
        if (lo == hi) { /* every key equal: in order already */                          \
            if (in_b) {                                                                  \
                memcpy(b, a, (size_t)n * sizeof(T));                                     \
            }                                                                            \
            return;                                                                      \
        }                                                                                \
        const int top = 64 - __builtin_clzll(lo ^ hi); /* bits at or above never vary */ \
        if (depth >= MAX_DEPTH) {                                                        \
            const int passes = (top + DIGIT_BITS - 1) / DIGIT_BITS;                      \
            lsd_small_##T((unsigned char *)a, (unsigned char *)b, n, top);               \
            if ((passes % 2 == 1) != in_b) {                                             \
                memcpy(in_b ? b : a, in_b ? a : b, (size_t)n * sizeof(T));               \
            }                                                                            \
            return;                                                                      \
        }                                                                                \
        int bits = n >= 4096 ? DIGIT_BITS : n >= 512 ? 8 : 5;                            \
        bits = bits < top ? bits : top;                                                  \
        const int shift = top - bits;                                                    \
        const uint64_t mask = ((uint64_t)1 << bits) - 1;                                 \
        int64_t pos[BUCKETS];                                                            \
        memset(pos, 0, sizeof(int64_t) << bits);                                         \
        for (int64_t i = 0; i < n; i++) {                                                \
            pos[(a[i].v[0] >> shift) & mask]++;                                          \
        }                                                                                \
        int64_t total = 0;                                                               \
        for (uint64_t d = 0; d <= mask; d++) {                                           \
            const int64_t k = pos[d];                                                    \
            pos[d] = total;                                                              \
            total += k;                                                                  \
        }                                                                                \
        for (int64_t i = 0; i < n; i++) {                                                \
            const T r = a[i];                                                            \
            b[pos[(r.v[0] >> shift) & mask]++] = r;                                      \
        }                                                                                \
        /* now pos[d] is the end of bucket d; the buckets are in b */                    \
        int64_t from = 0;                                                                \
        for (uint64_t d = 0; d <= mask; d++) {                                           \
            const int64_t m = pos[d] - from;                                             \
            if (m == 1) {                                                                \
                if (!in_b) {                                                             \
                    a[from] = b[from];                                                   \
                }                                                                        \
            } else if (m > 1) {                                                          \
                msd_small_##T(b + from, a + from, m, !in_b, depth + 1);                  \
            }                                                                            \
            from = pos[d];                                                               \
        }                                                                                \
    }

MSD_SMALL(rec16)
MSD_SMALL(rec24)
MSD_SMALL(rec32)
MSD_SMALL(rec48)

/* Sort the bucket at b into a (where the MSD pass's caller wants it). */
static void msd_small(unsigned char *b, unsigned char *a, size_t size, int64_t n)
{
    if (size == 16) {
        msd_small_rec16((rec16 *)(void *)b, (rec16 *)(void *)a, n, true, 0);
    } else if (size == 24) {
        msd_small_rec24((rec24 *)(void *)b, (rec24 *)(void *)a, n, true, 0);
    } else if (size == 32) {
        msd_small_rec32((rec32 *)(void *)b, (rec32 *)(void *)a, n, true, 0);
    } else {
        msd_small_rec48((rec48 *)(void *)b, (rec48 *)(void *)a, n, true, 0);
    }
}

void pkh__sort_records_small(void *recs, void *scratch, size_t size, int64_t n)
{
    if (n < 2) {
        return;
    }
    if (size == 16) {
        msd_small_rec16((rec16 *)recs, (rec16 *)scratch, n, false, 0);
    } else if (size == 24) {
        msd_small_rec24((rec24 *)recs, (rec24 *)scratch, n, false, 0);
    } else if (size == 32) {
        msd_small_rec32((rec32 *)recs, (rec32 *)scratch, n, false, 0);
    } else {
        msd_small_rec48((rec48 *)recs, (rec48 *)scratch, n, false, 0);
    }
}

#define FEW 24 /* a sub-bucket sorted by insertion up to this many records */

void pkh__sort_bucket16(void *recs, void *out, int64_t m, int below, int64_t *pos)
{
    rec16 *in = recs, *o = out;
    if (m <= FEW) {
        memcpy(o, in, (size_t)m * sizeof *o);
        insertion_rec16(o, m);
        return;
    }
    int bits = 64 - __builtin_clzll((uint64_t)m); /* a record or less a sub-bucket */
    bits = bits < PKH__BUCKET_SORT_BITS ? bits : PKH__BUCKET_SORT_BITS;
    bits = bits < below ? bits : below;
    const int shift = below - bits;
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    memset(pos, 0, sizeof(int64_t) << bits);
    for (int64_t i = 0; i < m; i++) {
        pos[(in[i].v[0] >> shift) & mask]++;
    }
    int64_t total = 0;
    for (uint64_t d = 0; d <= mask; d++) {
        const int64_t k = pos[d];
        pos[d] = total;
        total += k;
    }
    for (int64_t i = 0; i < m; i++) {
        o[pos[(in[i].v[0] >> shift) & mask]++] = in[i];
    }
    /* now pos[d] is the end of sub-bucket d, each sorted where it lies */
    int64_t from = 0;
    for (uint64_t d = 0; d <= mask; d++) {
        const int64_t k = pos[d] - from;
        if (k > FEW) {
            msd_small_rec16(o + from, in + from, k, false, 0);
        } else if (k > 1) {
            insertion_rec16(o + from, k);
        }
        from = pos[d];
    }
}

typedef struct msd_job {
    unsigned char *a, *b; /* after the MSD pass the buckets are in b */
    size_t size;
    const int64_t *bounds; /* BUCKETS + 1 */
} msd_job;

static pkh_status msd_bucket_task(void *ctx, int64_t k)
{
    const msd_job *j = ctx;
    const int64_t from = j->bounds[k], n = j->bounds[k + 1] - from;
    if (n > 0) {
        msd_small(j->b + (size_t)from * j->size, j->a + (size_t)from * j->size, j->size, n);
    }
    return PKH_OK;
}

typedef struct range_job {
    const unsigned char *recs;
    size_t size;
    int64_t n;
    int threads;
    uint64_t lo[MAX_THREADS], hi[MAX_THREADS];
} range_job;

static pkh_status range_task(void *ctx, int64_t t)
{
    range_job *j = ctx;
    int64_t from, to;
    chunk_range(j->n, j->threads, t, &from, &to);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int64_t i = from; i < to; i++) {
        uint64_t key;
        memcpy(&key, j->recs + (size_t)i * j->size, 8);
        lo = key < lo ? key : lo;
        hi = key > hi ? key : hi;
    }
    j->lo[t] = lo;
    j->hi[t] = hi;
    return PKH_OK;
}

/* MSD on the highest 11 varying bits (one pass through memory), then each of the 2048 buckets
 * sorted while it sits in cache (msd_small). Stable, so the result is the same as an LSD sort
 * of the whole array, whatever the number of threads. */
void *pkh__radix_sort_records(void *a, void *b, size_t size, int64_t n, int threads)
{
    if (n < 2) {
        return a;
    }
    int64_t hist[MAX_THREADS][BUCKETS];
    int64_t bounds[BUCKETS + 1];
    threads = pkh__threads(threads);
    threads = threads > MAX_THREADS ? MAX_THREADS : threads;
    if (n < ((int64_t)1 << 16)) {
        threads = 1;
    }
    range_job rj;
    rj.recs = a;
    rj.size = size;
    rj.n = n;
    rj.threads = threads;
    pkh__parallel_for(threads, threads, range_task, &rj);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int t = 0; t < threads; t++) {
        lo = rj.lo[t] < lo ? rj.lo[t] : lo;
        hi = rj.hi[t] > hi ? rj.hi[t] : hi;
    }
    const uint64_t diff = lo ^ hi;
    if (diff == 0) {
        return a; /* every key equal: already sorted (stable) */
    }
    const int top = 64 - __builtin_clzll(diff); /* bits at or above `top` never vary */
    const int shift = top > DIGIT_BITS ? top - DIGIT_BITS : 0;
    rec_job j = {a, b, size, n, threads, shift, hist};
    pkh__parallel_for(threads, threads, rec_hist_task, &j);
    /* bucket bounds before the per-thread offsets overwrite the histograms */
    bounds[0] = 0;
    for (int d = 0; d < BUCKETS; d++) {
        int64_t c = 0;
        for (int t = 0; t < threads; t++) {
            c += hist[t][d];
        }
        bounds[d + 1] = bounds[d] + c;
    }
    rec_offsets(&j);
    pkh__parallel_for(threads, threads, rec_scatter_task, &j);
    if (shift == 0) {
        return b;
    }
    msd_job mj = {a, b, size, bounds};
    pkh__parallel_for(threads, BUCKETS, msd_bucket_task, &mj);
    return a;
}
