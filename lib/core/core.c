/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Status strings, error records, the default allocator, bitmaps, hashing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal/core.h"

const char *pkh_status_string(pkh_status status)
{
    switch (status) {
    case PKH_OK:
        return "success";
    case PKH_EINVAL:
        return "invalid argument";
    case PKH_ENOMEM:
        return "out of memory";
    case PKH_EIO:
        return "input/output error";
    case PKH_EPARSE:
        return "malformed input";
    case PKH_ENOTFOUND:
        return "not found";
    case PKH_ETYPE:
        return "wrong type";
    case PKH_EDUPLICATE:
        return "duplicate name";
    case PKH_EEMPTY:
        return "no data";
    case PKH_EOVERFLOW:
        return "too large";
    case PKH_ENUMERIC:
        return "numerical failure";
    case PKH_ECANCELED:
        return "canceled";
    case PKH_EUNSUPPORTED:
        return "unsupported";
    }
    return "unknown status";
}

const char *pkh_version_string(void)
{
    return PKH_VERSION;
}

void pkh_error_clear(pkh_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
    }
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    const size_t n = strlen(src);
    const size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
}

pkh_status pkh__verror(pkh_error *err, pkh_status code, const char *source, int64_t line,
                       int64_t column, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->line = line;
    err->column = column;
    copy_text(err->source, sizeof err->source, source != NULL ? source : "");
    size_t off = 0;
    const size_t cap = sizeof err->message;
    int k = 0;
    if (source != NULL && source[0] != '\0') {
        if (line > 0 && column > 0) {
            k = snprintf(err->message, cap, "%s:%lld:%lld: ", source, (long long)line,
                         (long long)column);
        } else if (line > 0) {
            k = snprintf(err->message, cap, "%s:%lld: ", source, (long long)line);
        } else {
            k = snprintf(err->message, cap, "%s: ", source);
        }
    }
    off = k > 0 ? ((size_t)k < cap ? (size_t)k : cap - 1) : 0;
    vsnprintf(err->message + off, cap - off, fmt, ap);
    return code;
}

pkh_status pkh__error(pkh_error *err, pkh_status code, const char *source, int64_t line,
                      int64_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__verror(err, code, source, line, column, fmt, ap);
    va_end(ap);
    return code;
}

pkh_status pkh__errorf(pkh_error *err, pkh_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__verror(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

pkh_status pkh__enomem(pkh_error *err)
{
    return pkh__errorf(err, PKH_ENOMEM, "out of memory");
}

const char *pkh__quote(const char *text, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    const size_t limit = 40;
    if (cap < 8) {
        return "";
    }
    buf[o++] = '"';
    for (size_t i = 0; i < len && i < limit && o + 6 < cap; i++) {
        const unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (c == '\r') {
            buf[o++] = '\\';
            buf[o++] = 'r';
        } else if (c == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (len > limit && o + 5 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---- default allocator ----
 * Small blocks come from posix_memalign. Large ones (from 1 MiB: column buffers, sort and
 * group scratch) are anonymous mappings pre-faulted with MADV_POPULATE_WRITE: on these virtual
 * machines first touch page by page costs several times more than populating in one call, and
 * malloc gives blocks of this size back to the system and faults them in again call after call
 * (a 1M-row indicators call took 20 000 page faults; now about a hundred). The threshold
 * depends only on the size, so the same size always takes the same path in allocate,
 * reallocate and deallocate. */

#define LARGE_BLOCK ((size_t)1 << 20)

static size_t page_round(size_t n)
{
    const size_t page = 4096;
    return (n + page - 1) & ~(page - 1);
}

typedef struct populate_job {
    char *p;
    size_t n, slice;
} populate_job;

static pkh_status populate_slice(void *ctx, int64_t i)
{
    const populate_job *j = ctx;
    const size_t from = (size_t)i * j->slice;
    const size_t len = from + j->slice < j->n ? j->slice : j->n - from;
#ifdef MADV_POPULATE_WRITE
    if (madvise(j->p + from, len, MADV_POPULATE_WRITE) == 0) {
        return PKH_OK;
    }
#endif
    (void)len; /* pages fault in on first touch instead */
    return PKH_OK;
}

/* Fault the pages in now, on every core: the kernel zeroes each page, which is most of the
 * cost of fresh memory, and it parallelises well. */
static void populate(void *p, size_t n)
{
    const size_t slice = (size_t)32 << 20;
    populate_job j = {p, n, slice};
    const int64_t slices = (int64_t)((n + slice - 1) / slice);
    pkh__parallel_for(0, slices, populate_slice, &j);
}

static void *map_unfaulted(size_t size)
{
    void *p =
        mmap(NULL, page_round(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *map_large(size_t size)
{
    void *p = map_unfaulted(size);
    if (p != NULL) {
        populate(p, page_round(size));
    }
    return p;
}

/* A large block resized in place or moved by the kernel (no copy); new pages faulted in now
 * when `fault`. */
static void *remap_large(void *ptr, size_t old_size, size_t new_size, bool fault)
{
    const size_t o = page_round(old_size), n = page_round(new_size);
    if (o == n) {
        return ptr;
    }
    void *p = mremap(ptr, o, n, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        return NULL;
    }
    if (fault && n > o) {
        populate((char *)p + o, n - o);
    }
    return p;
}

static void *default_allocate(void *ctx, size_t size, size_t alignment)
{
    (void)ctx;
    if (size >= LARGE_BLOCK && alignment <= 4096) {
        return map_large(size);
    }
    void *p = NULL;
    if (alignment < sizeof(void *)) {
        alignment = sizeof(void *);
    }
    if (posix_memalign(&p, alignment, size) != 0) {
        return NULL;
    }
    return p;
}

static void default_deallocate(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL) {
        return;
    }
    if (size >= LARGE_BLOCK) {
        munmap(ptr, page_round(size));
    } else {
        free(ptr);
    }
}

static void *default_reallocate(void *ctx, void *ptr, size_t old_size, size_t new_size,
                                size_t alignment)
{
    if (old_size >= LARGE_BLOCK && new_size >= LARGE_BLOCK) {
        return remap_large(ptr, old_size, new_size, true);
    }
    void *p = default_allocate(ctx, new_size, alignment);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, ptr, old_size < new_size ? old_size : new_size);
    default_deallocate(ctx, ptr, old_size);
    return p;
}

static const pkh_allocator default_allocator = {default_allocate, default_reallocate,
                                                default_deallocate, NULL};

const pkh_allocator *pkh_allocator_default(void)
{
    return &default_allocator;
}

const pkh_allocator *pkh__allocator(const pkh_allocator *a)
{
    return a != NULL ? a : &default_allocator;
}

void *pkh__alloc(const pkh_allocator *a, size_t size)
{
    a = pkh__allocator(a);
    if (size == 0) {
        size = 1;
    }
    return a->allocate(a->ctx, size, PKH__ALIGN);
}

void *pkh__calloc(const pkh_allocator *a, size_t count, size_t size)
{
    size_t n;
    if (!pkh__mul_size(count, size, &n)) {
        return NULL;
    }
    void *p = pkh__alloc(a, n);
    if (p != NULL && (a == NULL || a == &default_allocator ? n < LARGE_BLOCK : 1)) {
        memset(p, 0, n == 0 ? 1 : n); /* fresh mappings are already zero */
    }
    return p;
}

void *pkh__realloc_unfaulted(const pkh_allocator *a, void *p, size_t old_size, size_t new_size)
{
    if ((a != NULL && a != &default_allocator) || new_size < LARGE_BLOCK) {
        return pkh__realloc(a, p, old_size, new_size);
    }
    if (p == NULL || old_size == 0) {
        return map_unfaulted(new_size);
    }
    if (old_size >= LARGE_BLOCK) {
        return remap_large(p, old_size, new_size, false);
    }
    void *q = map_unfaulted(new_size);
    if (q != NULL) {
        memcpy(q, p, old_size);
        default_deallocate(NULL, p, old_size);
    }
    return q;
}

bool pkh__allocator_lazy(const pkh_allocator *a)
{
    return a == NULL || a == &default_allocator;
}

void pkh__prefault(const pkh_allocator *a, void *block, size_t size, size_t from, size_t len)
{
    if ((a != NULL && a != &default_allocator) || size < LARGE_BLOCK || from >= size) {
        return;
    }
    len = len < size - from ? len : size - from;
    /* whole pages inside the mapping (it starts on a page and spans page_round(size)) */
    const size_t start = from & ~(size_t)4095, end = page_round(from + len);
#ifdef MADV_POPULATE_WRITE
    if (end > start) {
        (void)madvise((char *)block + start, end - start, MADV_POPULATE_WRITE);
    }
#else
    (void)start;
    (void)end;
    (void)block;
#endif
}

void *pkh__realloc(const pkh_allocator *a, void *p, size_t old_size, size_t new_size)
{
    if (p == NULL || old_size == 0) {
        return pkh__alloc(a, new_size);
    }
    a = pkh__allocator(a);
    if (new_size == 0) {
        new_size = 1;
    }
    return a->reallocate(a->ctx, p, old_size, new_size, PKH__ALIGN);
}

void pkh__free(const pkh_allocator *a, void *p, size_t size)
{
    if (p == NULL) {
        return;
    }
    a = pkh__allocator(a);
    a->deallocate(a->ctx, p, size == 0 ? 1 : size);
}

char *pkh__strndup(const pkh_allocator *a, const char *s, size_t len)
{
    char *p = pkh__alloc(a, len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *pkh__strdup(const pkh_allocator *a, const char *s)
{
    return pkh__strndup(a, s, strlen(s));
}

void pkh__free_str(const pkh_allocator *a, char *s)
{
    if (s != NULL) {
        pkh__free(a, s, strlen(s) + 1);
    }
}

/* ---- bitmaps ---- */

int64_t pkh__bitmap_count(const uint8_t *bits, int64_t n)
{
    int64_t count = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t w;
        memcpy(&w, bits + i / 8, 8);
        count += __builtin_popcountll(w);
    }
    for (; i < n; i++) {
        count += pkh__bit_get(bits, i);
    }
    return count;
}

void pkh__bitmap_set_range(uint8_t *bits, int64_t from, int64_t to)
{
    while (from < to && (from & 7) != 0) {
        pkh__bit_set(bits, from++);
    }
    if (to - from >= 8) {
        const int64_t bytes = (to - from) / 8;
        memset(bits + from / 8, 0xff, (size_t)bytes);
        from += bytes * 8;
    }
    while (from < to) {
        pkh__bit_set(bits, from++);
    }
}

void pkh__bitmap_copy_at(uint8_t *dst, int64_t at, const uint8_t *src, int64_t n)
{
    if ((at & 7) == 0) {
        const int64_t bytes = n / 8;
        memcpy(dst + at / 8, src, (size_t)bytes);
        for (int64_t i = bytes * 8; i < n; i++) {
            if (pkh__bit_get(src, i)) {
                pkh__bit_set(dst, at + i);
            } else {
                pkh__bit_clear(dst, at + i);
            }
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        if (pkh__bit_get(src, i)) {
            pkh__bit_set(dst, at + i);
        } else {
            pkh__bit_clear(dst, at + i);
        }
    }
}

/* ---- hashing: a small wyhash-like mix over 8-byte words ---- */

uint64_t pkh__hash_long(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = pkh__hash_u64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    return pkh__hash_u64(h ^ w ^ ((uint64_t)len << 56));
}
