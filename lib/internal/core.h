/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal core helpers: allocation, errors, bitmaps, hashing, threads. Never installed.
 */
#ifndef PKH_INTERNAL_CORE_H
#define PKH_INTERNAL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pkh/core.h>

#define PKH__ALIGN 64

#if defined(__GNUC__)
#define PKH__LIKELY(x) __builtin_expect(!!(x), 1)
#define PKH__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PKH__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PKH__LIKELY(x) (x)
#define PKH__UNLIKELY(x) (x)
#define PKH__PRINTF(a, b)
#endif

/* ---- allocation ---- */

/** The allocator to use: `a` or the default when NULL. */
const pkh_allocator *pkh__allocator(const pkh_allocator *a);
/** size bytes, 64-byte aligned; NULL on failure or size 0 overflow. */
void *pkh__alloc(const pkh_allocator *a, size_t size);
/** Like pkh__alloc, zero-filled. */
void *pkh__calloc(const pkh_allocator *a, size_t count, size_t size);
void *pkh__realloc(const pkh_allocator *a, void *p, size_t old_size, size_t new_size);
void pkh__free(const pkh_allocator *a, void *p, size_t size);
/* As pkh__realloc, but the default allocator leaves the new pages of a large block unfaulted
 * (not pre-faulted as usual): for buffers filled in order, faulted in steps with
 * pkh__prefault just ahead of the writes. Freed and reallocated as any other block. */
void *pkh__realloc_unfaulted(const pkh_allocator *a, void *p, size_t old_size, size_t new_size);
/* Whether `a` reserves large blocks without faulting them in (the default allocator): a
 * generous pkh__realloc_unfaulted then costs address space only. */
bool pkh__allocator_lazy(const pkh_allocator *a);
/* Fault in bytes [from, from + len) of a block of `size` bytes from `a`, now, on this thread
 * (the default allocator's large blocks; a no-op otherwise). */
void pkh__prefault(const pkh_allocator *a, void *block, size_t size, size_t from, size_t len);
/** Copy of a NUL-terminated string (size strlen + 1). */
char *pkh__strdup(const pkh_allocator *a, const char *s);
/** Copy of `len` bytes with a NUL added. */
char *pkh__strndup(const pkh_allocator *a, const char *s, size_t len);
void pkh__free_str(const pkh_allocator *a, char *s);

/** a * b into *out unless it overflows size_t. */
static inline bool pkh__mul_size(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b) {
        return false;
    }
    *out = a * b;
    return true;
}

/* ---- errors ---- */

/**
 * Fill `err` (may be NULL) and return `code`. The message is prefixed with
 * "source:line:column: " as far as they are known (source NULL or "", line/column 0 unknown).
 */
pkh_status pkh__error(pkh_error *err, pkh_status code, const char *source, int64_t line,
                      int64_t column, const char *fmt, ...) PKH__PRINTF(6, 7);
pkh_status pkh__verror(pkh_error *err, pkh_status code, const char *source, int64_t line,
                       int64_t column, const char *fmt, va_list ap) PKH__PRINTF(6, 0);
/** Shorthand for an error without location. */
pkh_status pkh__errorf(pkh_error *err, pkh_status code, const char *fmt, ...) PKH__PRINTF(3, 4);
/** PKH_ENOMEM with a standard message. */
pkh_status pkh__enomem(pkh_error *err);
/** Quote `text` (len bytes) for a message into buf: printable, at most 40 chars, with "...". */
const char *pkh__quote(const char *text, size_t len, char *buf, size_t cap);

/* ---- bitmaps (Arrow order: LSB first) ---- */

static inline bool pkh__bit_get(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void pkh__bit_set(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void pkh__bit_clear(uint8_t *bits, int64_t i)
{
    bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}
/** Bytes for n bits, rounded up to 64 bytes (Arrow padding). */
static inline size_t pkh__bitmap_bytes(int64_t n)
{
    return (size_t)(((n + 511) / 512) * 64);
}
/** Number of set bits among the first n. */
int64_t pkh__bitmap_count(const uint8_t *bits, int64_t n);
/** Set bits [from, to) to 1. */
void pkh__bitmap_set_range(uint8_t *bits, int64_t from, int64_t to);
/** Copy n bits from src (starting at bit 0) to dst starting at bit `at`. */
void pkh__bitmap_copy_at(uint8_t *dst, int64_t at, const uint8_t *src, int64_t n);

/* ---- hashing ---- */

static inline uint64_t pkh__hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/** Hash of byte strings longer than 32 bytes (see pkh__hash_bytes). */
uint64_t pkh__hash_long(const void *data, size_t len);

/** A fast hash of a byte string: up to 32 bytes (names, codes, places) take at most four
 *  overlapping 8-byte loads and two mixing rounds. */
static inline uint64_t pkh__hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t a = 0, b = 0;
    if (len > 16) {
        if (len > 32) {
            return pkh__hash_long(data, len);
        }
        uint64_t c, d;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&c, p + len - 16, 8);
        memcpy(&d, p + len - 8, 8);
        a ^= pkh__hash_u64(c ^ 0x9e3779b97f4a7c15ULL);
        b ^= (d << 29) | (d >> 35);
    } else if (len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8); /* overlapping tail */
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + len - 4, 4);
        a = x;
        b = y;
    } else if (len > 0) {
        a = (uint64_t)p[0] | ((uint64_t)p[len / 2] << 8) | ((uint64_t)p[len - 1] << 16);
    }
    return pkh__hash_u64(a ^ pkh__hash_u64(b ^ (len * 0x9e3779b97f4a7c15ULL)));
}

/** Whether a[0, n) and b[0, n) are the same bytes; up to 32 bytes without a call. */
static inline bool pkh__bytes_equal(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    uint64_t x[4], y[4];
    if (n >= 8 && n <= 16) {
        memcpy(&x[0], p, 8);
        memcpy(&y[0], q, 8);
        memcpy(&x[1], p + n - 8, 8);
        memcpy(&y[1], q + n - 8, 8);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
    if (n > 16 && n <= 32) {
        memcpy(x, p, 16);
        memcpy(y, q, 16);
        memcpy(&x[2], p + n - 16, 16);
        memcpy(&y[2], q + n - 16, 16);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
    }
    return n == 0 || memcmp(a, b, n) == 0;
}

/* ---- per-CPU builds of a hot kernel, picked at load time ----
 * GCC on x86-64 GNU/Linux only: clang's resolvers run before its thread sanitizer starts. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define PKH__CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#else
#define PKH__CLONES(...)
#endif

/* ---- 128-bit integers (GCC and clang), for exact integer sums ---- */
__extension__ typedef __int128 pkh__int128;

/* ---- compensated summation (Neumaier) ---- */

typedef struct pkh__ksum {
    double sum;
    double c;
} pkh__ksum;

static inline void pkh__ksum_add(pkh__ksum *k, double x)
{
    const double t = k->sum + x;
    if ((k->sum >= 0 ? k->sum : -k->sum) >= (x >= 0 ? x : -x)) {
        k->c += (k->sum - t) + x;
    } else {
        k->c += (x - t) + k->sum;
    }
    k->sum = t;
}
static inline double pkh__ksum_value(const pkh__ksum *k)
{
    return k->sum + k->c;
}
static inline void pkh__ksum_merge(pkh__ksum *k, const pkh__ksum *o)
{
    pkh__ksum_add(k, o->sum);
    pkh__ksum_add(k, o->c);
}

/* ---- threads ---- */

/** Number of online cores (at least 1). */
int pkh__cpu_count(void);
/** Threads to use for `requested` (0: every core), capped at 256. */
int pkh__threads(int requested);

/**
 * Run fn(ctx, i) for i in [0, n) on up to `threads` threads (the caller's thread is one of them).
 * Returns PKH_OK, or the status of the lowest-numbered failing task (deterministic).
 * If a thread cannot be started, the work runs on fewer threads.
 */
typedef pkh_status (*pkh__task_fn)(void *ctx, int64_t i);
pkh_status pkh__parallel_for(int threads, int64_t n, pkh__task_fn fn, void *ctx);

#endif /* PKH_INTERNAL_CORE_H */
