/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Test helpers: a counting allocator that can fail on demand, file helpers.
 */
#ifndef PKH_TESTUTIL_H
#define PKH_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pkh/pkh.h>

/** Counts live bytes and calls; fails every allocation after `budget` successful ones. */
typedef struct test_alloc {
    pkh_allocator base;
    long budget;    /* < 0: never fail */
    long calls;
    long failures;
    int64_t live_bytes;
    int64_t live_blocks;
} test_alloc;

void test_alloc_init(test_alloc *a, long budget);

/** Read a whole file (NUL-terminated); NULL if it cannot be read. Free with free(). */
char *test_read_file(const char *path, size_t *len);

/** Path under tests/data (static buffer, valid until the next call). */
const char *test_data(const char *rel);

#endif
