/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ta_allocate(void *ctx, size_t size, size_t alignment)
{
    test_alloc *a = ctx;
    a->calls++;
    if (a->budget >= 0 && a->calls > a->budget) {
        a->failures++;
        return NULL;
    }
    void *p = NULL;
    if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0) {
        return NULL;
    }
    a->live_bytes += (int64_t)size;
    a->live_blocks++;
    return p;
}

static void ta_deallocate(void *ctx, void *ptr, size_t size)
{
    test_alloc *a = ctx;
    if (ptr == NULL) {
        return;
    }
    a->live_bytes -= (int64_t)size;
    a->live_blocks--;
    free(ptr);
}

static void *ta_reallocate(void *ctx, void *ptr, size_t old_size, size_t new_size,
                           size_t alignment)
{
    void *p = ta_allocate(ctx, new_size, alignment);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, ptr, old_size < new_size ? old_size : new_size);
    ta_deallocate(ctx, ptr, old_size);
    return p;
}

void test_alloc_init(test_alloc *a, long budget)
{
    memset(a, 0, sizeof *a);
    a->base.allocate = ta_allocate;
    a->base.reallocate = ta_reallocate;
    a->base.deallocate = ta_deallocate;
    a->base.ctx = a;
    a->budget = budget;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

const char *test_data(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", PKH_TEST_DATA, rel);
    return path;
}
