/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Core: fixed status numbers, error records, allocators, bitmaps, sums, threads.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/core.h"
#include "testutil.h"

static void status_numbers_never_change(void **state)
{
    (void)state;
    /* the values are ABI */
    assert_int_equal(PKH_OK, 0);
    assert_int_equal(PKH_EINVAL, 1);
    assert_int_equal(PKH_ENOMEM, 2);
    assert_int_equal(PKH_EIO, 3);
    assert_int_equal(PKH_EPARSE, 4);
    assert_int_equal(PKH_ENOTFOUND, 5);
    assert_int_equal(PKH_ETYPE, 6);
    assert_int_equal(PKH_EDUPLICATE, 7);
    assert_int_equal(PKH_EEMPTY, 8);
    assert_int_equal(PKH_EOVERFLOW, 9);
    assert_int_equal(PKH_ENUMERIC, 10);
    assert_int_equal(PKH_ECANCELED, 11);
    assert_int_equal(PKH_EUNSUPPORTED, 12);
    assert_string_equal(pkh_status_string(PKH_ENOMEM), "out of memory");
    assert_string_equal(pkh_status_string((pkh_status)999), "unknown status");
    for (int s = 0; s <= 12; s++) {
        assert_string_not_equal(pkh_status_string((pkh_status)s), "unknown status");
    }
}

static void errors_carry_location(void **state)
{
    (void)state;
    pkh_error err;
    assert_int_equal(pkh__error(&err, PKH_EPARSE, "f.csv", 12, 3, "bad %s", "thing"), PKH_EPARSE);
    assert_int_equal(err.code, PKH_EPARSE);
    assert_int_equal(err.line, 12);
    assert_int_equal(err.column, 3);
    assert_string_equal(err.source, "f.csv");
    assert_string_equal(err.message, "f.csv:12:3: bad thing");
    pkh__error(&err, PKH_EIO, "f.csv", 0, 0, "cannot open");
    assert_string_equal(err.message, "f.csv: cannot open");
    pkh__error(&err, PKH_EIO, NULL, 5, 0, "x");
    assert_string_equal(err.message, "x");
    /* NULL is accepted everywhere */
    assert_int_equal(pkh__errorf(NULL, PKH_EINVAL, "ignored"), PKH_EINVAL);
    pkh_error_clear(NULL);
    pkh_error_clear(&err);
    assert_int_equal(err.code, PKH_OK);
    assert_string_equal(err.message, "");
    /* long messages are truncated, never overflow */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pkh__errorf(&err, PKH_EINVAL, "%s", big);
    assert_int_equal(strlen(err.message), PKH_ERROR_MESSAGE_SIZE - 1);
    char q[64];
    assert_string_equal(pkh__quote("a\nb\t\x01", 5, q, sizeof q), "\"a\\nb\\t\\x01\"");
}

static void default_allocator_aligns_small_and_large_blocks(void **state)
{
    (void)state;
    const pkh_allocator *a = pkh_allocator_default();
    const size_t sizes[] = {2, 100, 4096, (size_t)8 << 20, (size_t)40 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = pkh__alloc(a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        p[0] = 1;
        p[sizes[i] - 1] = 2;
        /* grow and shrink across the large-block threshold keep the contents */
        unsigned char *q = pkh__realloc(a, p, sizes[i], sizes[i] * 3);
        assert_non_null(q);
        assert_int_equal(q[0], 1);
        assert_int_equal(q[sizes[i] - 1], 2);
        assert_int_equal((uintptr_t)q % 64, 0);
        q = pkh__realloc(a, q, sizes[i] * 3, sizes[i]);
        assert_int_equal(q[0], 1);
        pkh__free(a, q, sizes[i]);
    }
    unsigned char *z = pkh__calloc(a, (size_t)16 << 20, 1);
    for (size_t i = 0; i < ((size_t)16 << 20); i += 4096) {
        assert_int_equal(z[i], 0);
    }
    pkh__free(a, z, (size_t)16 << 20);
    assert_null(pkh__calloc(a, SIZE_MAX, 2)); /* overflow is refused, not wrapped */
}

static void bitmaps(void **state)
{
    (void)state;
    uint8_t bits[64] = {0};
    pkh__bitmap_set_range(bits, 3, 200);
    assert_int_equal(pkh__bitmap_count(bits, 512), 197);
    assert_false(pkh__bit_get(bits, 2));
    assert_true(pkh__bit_get(bits, 3));
    assert_true(pkh__bit_get(bits, 199));
    assert_false(pkh__bit_get(bits, 200));
    uint8_t src[4] = {0xA5, 0x0F, 0xFF, 0x01};
    uint8_t dst[8] = {0};
    pkh__bitmap_copy_at(dst, 5, src, 25);
    for (int i = 0; i < 25; i++) {
        assert_int_equal(pkh__bit_get(dst, 5 + i), pkh__bit_get(src, i));
    }
    assert_int_equal(pkh__bitmap_count(dst, 64), pkh__bitmap_count(src, 25));
    assert_int_equal(pkh__bitmap_bytes(1), 64);
    assert_int_equal(pkh__bitmap_bytes(513), 128);
}

static void compensated_sum_is_exact_where_naive_fails(void **state)
{
    (void)state;
    /* 1e16 + 1 + 1 + ... - 1e16: a naive double sum loses every 1 */
    pkh__ksum k = {0, 0};
    double naive = 0;
    pkh__ksum_add(&k, 1e16);
    naive += 1e16;
    for (int i = 0; i < 1000; i++) {
        pkh__ksum_add(&k, 1.0);
        naive += 1.0;
    }
    pkh__ksum_add(&k, -1e16);
    naive += -1e16;
    assert_true(pkh__ksum_value(&k) == 1000.0);
    assert_true(naive != 1000.0);
}

static pkh_status record_task(void *ctx, int64_t i)
{
    int *seen = ctx;
    __atomic_fetch_add(&seen[i], 1, __ATOMIC_RELAXED);
    return i == 70 ? PKH_EIO : (i == 90 ? PKH_EINVAL : PKH_OK);
}

static void parallel_for_runs_each_task_once(void **state)
{
    (void)state;
    int seen[100] = {0};
    assert_int_equal(pkh__parallel_for(4, 60, record_task, seen), PKH_OK);
    for (int i = 0; i < 60; i++) {
        assert_int_equal(seen[i], 1);
    }
    /* the lowest failing task's status wins, whatever the thread count */
    for (int threads = 1; threads <= 4; threads++) {
        int s2[100] = {0};
        assert_int_equal(pkh__parallel_for(threads, 100, record_task, s2), PKH_EIO);
    }
    assert_true(pkh__cpu_count() >= 1);
    assert_int_equal(pkh__threads(3), 3);
    assert_int_equal(pkh__threads(0), pkh__cpu_count());
}

static void version(void **state)
{
    (void)state;
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", PKH_VERSION_MAJOR, PKH_VERSION_MINOR, PKH_VERSION_PATCH);
    assert_string_equal(pkh_version_string(), v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_numbers_never_change),
        cmocka_unit_test(errors_carry_location),
        cmocka_unit_test(default_allocator_aligns_small_and_large_blocks),
        cmocka_unit_test(bitmaps),
        cmocka_unit_test(compensated_sum_is_exact_where_naive_fails),
        cmocka_unit_test(parallel_for_runs_each_task_once),
        cmocka_unit_test(version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
