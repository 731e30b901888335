/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Tables: the builder for every type, lookups, errors, summaries, allocation failures.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal/table.h"
#include "testutil.h"

static pkh_table *build_all_types(const pkh_allocator *a, pkh_status *rc)
{
    const int64_t iv[] = {3, -1, 7, 0};
    const double fv[] = {0.5, 2.0, NAN, -1.25};
    const uint8_t bv[] = {1, 0, 1, 1};
    const char *sv[] = {"Aceh", NULL, "Bali", "Aceh"};
    const int32_t codes[] = {1, 0, 1, 2};
    const char *dict[] = {"rural", "urban", "mixed"};
    const uint8_t valid[] = {0x0B}; /* rows 0, 1, 3 present; row 2 missing */
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    pkh_status st = pkh_table_builder_new(a, &b, NULL);
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "i", iv, valid, 4, NULL);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "f", fv, NULL, 4, NULL);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_bool(b, "b", bv, NULL, 4, NULL);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "s", sv, 4, NULL);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_dict(b, "d", codes, NULL, 4, dict, 3, NULL);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, &t, NULL);
    }
    pkh_table_builder_free(b);
    *rc = st;
    return t;
}

static void builds_every_type(void **state)
{
    (void)state;
    pkh_status rc;
    pkh_table *t = build_all_types(NULL, &rc);
    assert_int_equal(rc, PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 4);
    assert_int_equal(pkh_table_num_columns(t), 5);
    const pkh_column *c = NULL;
    assert_int_equal(pkh_table_column(t, "i", &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_type(c), PKH_TYPE_INT64);
    assert_int_equal(pkh_column_null_count(c), 1);
    assert_false(pkh_column_is_valid(c, 2));
    assert_true(pkh_column_is_valid(c, 3));
    assert_false(pkh_column_is_valid(c, 4)); /* out of range */
    assert_int_equal(pkh_column_int64(c)[1], -1);
    assert_null(pkh_column_float64(c));
    assert_int_equal((uintptr_t)pkh_column_int64(c) % 64, 0);
    assert_int_equal((uintptr_t)pkh_column_validity(c) % 64, 0);
    double d;
    assert_int_equal(pkh_column_get_double(c, 0, &d), PKH_OK);
    assert_true(d == 3.0);
    assert_int_equal(pkh_column_get_double(c, 2, &d), PKH_EEMPTY);
    assert_int_equal(pkh_column_get_double(c, 9, &d), PKH_EINVAL);

    assert_int_equal(pkh_table_column(t, "f", &c, NULL), PKH_OK);
    assert_null(pkh_column_validity(c)); /* NaN is a value, not missing */
    assert_true(isnan(pkh_column_float64(c)[2]));

    assert_int_equal(pkh_table_column(t, "b", &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_bool_bits(c)[0] & 0x0F, 0x0D);
    assert_int_equal(pkh_column_get_double(c, 1, &d), PKH_OK);
    assert_true(d == 0.0);

    assert_int_equal(pkh_table_column(t, "s", &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_type(c), PKH_TYPE_DICT);
    assert_int_equal(pkh_column_dict_size(c), 2); /* Aceh, Bali in order of appearance */
    assert_int_equal(pkh_column_codes(c)[3], 0);
    assert_int_equal(pkh_column_null_count(c), 1);
    const char *str;
    size_t len;
    assert_int_equal(pkh_column_dict_value(c, 1, &str, &len), PKH_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(str, "Bali", 4);
    assert_int_equal(pkh_column_dict_value(c, 2, &str, &len), PKH_EINVAL);
    assert_int_equal(pkh_column_get_double(c, 0, &d), PKH_ETYPE);
    const int64_t *off;
    const char *data;
    pkh_column_dict_buffers(c, &off, &data);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[2], 8);
    assert_memory_equal(data, "AcehBali", 8);

    assert_int_equal(pkh_table_column(t, "d", &c, NULL), PKH_OK);
    assert_int_equal(pkh_column_dict_value(c, pkh_column_codes(c)[3], &str, &len), PKH_OK);
    assert_memory_equal(str, "mixed", 5);

    pkh_error err;
    assert_int_equal(pkh_table_column(t, "zz", &c, &err), PKH_ENOTFOUND);
    assert_string_equal(err.message, "no column named \"zz\" (the columns are: i, f, b, s, d)");
    assert_null(pkh_table_column_at(t, 5));
    assert_string_equal(pkh_column_name(pkh_table_column_at(t, 4)), "d");
    pkh_table_free(t);
    pkh_table_free(NULL);
}

static void builder_rejects_bad_columns(void **state)
{
    (void)state;
    const int64_t v[] = {1, 2, 3};
    pkh_table_builder *b = NULL;
    pkh_error err;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "x", v, NULL, 3, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "x", v, NULL, 3, &err), PKH_EDUPLICATE);
    assert_string_equal(err.message, "a column named \"x\" already exists");
    assert_int_equal(pkh_table_builder_add_int64(b, "y", v, NULL, 2, &err), PKH_EINVAL);
    assert_string_equal(err.message, "column \"y\" has 2 rows, the others 3");
    assert_int_equal(pkh_table_builder_add_int64(b, "", v, NULL, 3, &err), PKH_EINVAL);
    const int32_t codes[] = {0, 5, 1};
    const char *dict[] = {"a", "b"};
    assert_int_equal(pkh_table_builder_add_dict(b, "d", codes, NULL, 3, dict, 2, &err), PKH_EINVAL);
    const char *dup[] = {"a", "a"};
    const int32_t ok_codes[] = {0, 1, 0};
    assert_int_equal(pkh_table_builder_add_dict(b, "d", ok_codes, NULL, 3, dup, 2, &err),
                     PKH_EDUPLICATE);
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_columns(t), 1);
    pkh_table_free(t);
    /* an empty builder makes an empty table; the builder can be reused */
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 0);
    assert_int_equal(pkh_table_num_columns(t), 0);
    pkh_table_free(t);
    pkh_table_builder_free(b);
    pkh_table_builder_free(NULL);
}

static void copies_columns_between_tables(void **state)
{
    (void)state;
    pkh_status rc;
    pkh_table *t = build_all_types(NULL, &rc);
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    for (int64_t c = 0; c < pkh_table_num_columns(t); c++) {
        assert_int_equal(pkh_table_builder_add_column(b, NULL, pkh_table_column_at(t, c), NULL),
                         PKH_OK);
    }
    pkh_table *u = NULL;
    assert_int_equal(pkh_table_builder_finish(b, &u, NULL), PKH_OK);
    pkh_table_builder_free(b);
    const pkh_column *s = NULL;
    assert_int_equal(pkh_table_column(u, "s", &s, NULL), PKH_OK);
    const char *str;
    size_t len;
    assert_int_equal(pkh_column_dict_value(s, pkh_column_codes(s)[2], &str, &len), PKH_OK);
    assert_memory_equal(str, "Bali", 4);
    assert_int_equal(pkh_column_null_count(s), 1);
    const pkh_column *bc = NULL;
    pkh_table_column(u, "b", &bc, NULL);
    assert_int_equal(pkh_column_bool_bits(bc)[0] & 0x0F, 0x0D);
    pkh_table_free(t);
    pkh_table_free(u);
}

static void summaries_match_hand_values(void **state)
{
    (void)state;
    pkh_status rc;
    pkh_table *t = build_all_types(NULL, &rc);
    pkh_column_summary s;
    /* i: 3, -1, (missing), 0 */
    assert_int_equal(pkh_column_summarize(pkh_table_column_at(t, 0), 0, &s, NULL), PKH_OK);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.missing, 1);
    assert_true(s.min == -1 && s.max == 3);
    assert_true(s.mean == 2.0 / 3.0);
    /* f holds a NaN: min, max and mean are NaN */
    assert_int_equal(pkh_column_summarize(pkh_table_column_at(t, 1), 0, &s, NULL), PKH_OK);
    assert_true(isnan(s.mean) && isnan(s.min));
    /* b: three of four true */
    assert_int_equal(pkh_column_summarize(pkh_table_column_at(t, 2), 0, &s, NULL), PKH_OK);
    assert_true(s.mean == 0.75);
    /* strings: distinct present values */
    assert_int_equal(pkh_column_summarize(pkh_table_column_at(t, 3), 0, &s, NULL), PKH_OK);
    assert_int_equal(s.distinct, 2);
    assert_int_equal(s.missing, 1);
    pkh_table_free(t);
}

static void summary_is_exact_and_thread_independent(void **state)
{
    (void)state;
    const int64_t n = 1000003;
    int64_t *iv = malloc((size_t)n * 8);
    double *fv = malloc((size_t)n * 8);
    for (int64_t i = 0; i < n; i++) {
        iv[i] = (i % 2 ? 1 : -1) * (INT64_MAX / 4) + i; /* int64 sums that overflow int64 */
        fv[i] = (i % 3 == 0 ? 1e10 : 1e-3) * (double)(i % 7);
    }
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    pkh_table_builder_add_int64(b, "i", iv, NULL, n, NULL);
    pkh_table_builder_add_float64(b, "f", fv, NULL, n, NULL);
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    /* independent exact value of the int sum: pairs cancel the large parts */
    pkh__int128 exact = 0;
    for (int64_t i = 0; i < n; i++) {
        exact += iv[i];
    }
    pkh_column_summary s1, s2;
    pkh_column_summarize(pkh_table_column_at(t, 0), 1, &s1, NULL);
    pkh_column_summarize(pkh_table_column_at(t, 0), 3, &s2, NULL);
    assert_true(s1.sum == (double)exact);
    assert_memory_equal(&s1, &s2, sizeof s1);
    pkh_column_summarize(pkh_table_column_at(t, 1), 1, &s1, NULL);
    pkh_column_summarize(pkh_table_column_at(t, 1), 2, &s2, NULL);
    assert_memory_equal(&s1, &s2, sizeof s1);
    /* an independent near-exact float sum: values are k*1e10 (exact integers, summed in
     * 128-bit) or the doubles fl(k*1e-3) (7 distinct values: count each, multiply once) */
    pkh__int128 big = 0;
    int64_t small_count[7] = {0};
    for (int64_t i = 0; i < n; i++) {
        if (i % 3 == 0) {
            big += (pkh__int128)(i % 7) * 10000000000LL;
        } else {
            small_count[i % 7]++;
        }
    }
    long double want = (long double)big;
    for (int k = 0; k < 7; k++) {
        want += (long double)small_count[k] * (long double)(1e-3 * (double)k);
    }
    assert_true(fabs(s1.sum - (double)want) <= 2 * 1.2e-16 * fabs((double)want));
    pkh_table_free(t);
    free(iv);
    free(fv);
}

static void select_and_concat_share_data(void **state)
{
    (void)state;
    pkh_status rc;
    pkh_table *t = build_all_types(NULL, &rc);
    const char *names[] = {"s", "i"};
    pkh_table *sel = NULL;
    assert_int_equal(pkh_table_select(t, names, 2, &sel, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_columns(sel), 2);
    assert_string_equal(pkh_column_name(pkh_table_column_at(sel, 0)), "s");
    /* shared, not copied */
    const pkh_column *ci = NULL;
    pkh_table_column(t, "i", &ci, NULL);
    assert_ptr_equal(pkh_column_int64(pkh_table_column_at(sel, 1)), pkh_column_int64(ci));
    pkh_error err;
    const char *bad[] = {"i", "nope"};
    assert_int_equal(pkh_table_select(t, bad, 2, &sel, &err), PKH_ENOTFOUND);
    const char *twice[] = {"i", "i"};
    pkh_table *dummy = NULL;
    assert_int_equal(pkh_table_select(t, twice, 2, &dummy, &err), PKH_EDUPLICATE);
    /* the source may go first: the data lives while any table uses it */
    pkh_table_free(t);
    assert_int_equal(pkh_column_int64(pkh_table_column_at(sel, 1))[2 - 1], -1);
    const char *str;
    size_t len;
    const pkh_column *s = pkh_table_column_at(sel, 0);
    assert_int_equal(pkh_column_dict_value(s, pkh_column_codes(s)[2], &str, &len), PKH_OK);
    assert_memory_equal(str, "Bali", 4);
    /* side by side with another table of the same rows */
    const double x[] = {1, 2, 3, 4};
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    pkh_table_builder_add_float64(b, "x", x, NULL, 4, NULL);
    pkh_table *xt = NULL;
    pkh_table_builder_finish(b, &xt, NULL);
    pkh_table_builder_free(b);
    pkh_table *both = NULL;
    assert_int_equal(pkh_table_concat_columns(sel, xt, &both, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_columns(both), 3);
    assert_string_equal(pkh_column_name(pkh_table_column_at(both, 2)), "x");
    assert_int_equal(pkh_table_concat_columns(both, xt, &dummy, &err), PKH_EDUPLICATE);
    pkh_table_free(sel);
    pkh_table_free(xt);
    assert_true(pkh_column_float64(pkh_table_column_at(both, 2))[3] == 4.0);
    pkh_table_free(both);
}

static void release_count(void *ctx)
{
    (*(int *)ctx)++;
}

static void borrowed_columns_are_released_once(void **state)
{
    (void)state;
    double x[] = {1.5, 2.5, 3.5};
    const uint8_t valid[] = {0x05}; /* row 1 missing */
    int released = 0;
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    assert_int_equal(pkh_table_builder_add_external(b, "x", PKH_TYPE_FLOAT64, x, valid, 3,
                                                    release_count, &released, NULL),
                     PKH_OK);
    pkh_error err;
    assert_int_equal(pkh_table_builder_add_external(b, "s", PKH_TYPE_DICT, x, NULL, 3,
                                                    release_count, &released, &err),
                     PKH_EINVAL);
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    const pkh_column *c = pkh_table_column_at(t, 0);
    assert_ptr_equal(pkh_column_float64(c), x); /* no copy */
    assert_int_equal(pkh_column_null_count(c), 1);
    assert_false(pkh_column_is_valid(c, 1));
    /* shared by a second table: released only when both are gone */
    const char *names[] = {"x"};
    pkh_table *sel = NULL;
    assert_int_equal(pkh_table_select(t, names, 1, &sel, NULL), PKH_OK);
    pkh_table_free(t);
    assert_int_equal(released, 0);
    assert_true(pkh_column_float64(pkh_table_column_at(sel, 0))[2] == 3.5);
    pkh_table_free(sel);
    assert_int_equal(released, 1);
}

static void builder_survives_allocation_failures(void **state)
{
    (void)state;
    for (long budget = 0;; budget++) {
        test_alloc a;
        test_alloc_init(&a, budget);
        pkh_status rc;
        pkh_table *t = build_all_types(&a.base, &rc);
        pkh_table_free(t);
        assert_int_equal(a.live_bytes, 0);
        if (rc == PKH_OK) {
            break;
        }
        assert_int_equal(rc, PKH_ENOMEM);
    }
}

static void type_names(void **state)
{
    (void)state;
    pkh_type t;
    assert_int_equal(pkh_type_parse("float", &t), PKH_OK);
    assert_int_equal(t, PKH_TYPE_FLOAT64);
    assert_int_equal(pkh_type_parse("string", &t), PKH_OK);
    assert_int_equal(t, PKH_TYPE_DICT);
    assert_int_equal(pkh_type_parse("decimal", &t), PKH_EINVAL);
    assert_string_equal(pkh_type_name(PKH_TYPE_DICT), "string");
    assert_string_equal(pkh_type_name((pkh_type)77), "?");
}

/* ---- the record sort ---- */

static uint64_t sort_rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    sort_rng ^= sort_rng << 13;
    sort_rng ^= sort_rng >> 7;
    sort_rng ^= sort_rng << 17;
    return sort_rng;
}

/* A key of distribution `kind`: uniform over 64 bits; a narrow cluster (2^20 wide at 2^40) with
 * rare far outliers, so nearly all records share the MSD pass's bucket and the bucket sort
 * recurses; a few distinct values (ties); one value; keys of every scale (the lowest bucket
 * stays large to the LSD fallback); doubles' keys. */
static uint64_t sort_key(int kind)
{
    switch (kind) {
    case 0:
        return next_rand();
    case 1:
        return next_rand() % 1000 == 0 ? next_rand()
                                       : ((uint64_t)1 << 40) + next_rand() % (1u << 20);
    case 2:
        return next_rand() % 7;
    case 3:
        return 42;
    case 4: /* every scale from 1 to 2^40: the lowest bucket stays large level after level */
        return ((uint64_t)1 << (next_rand() % 40)) + next_rand() % 64;
    default: {
        const double x = exp((double)(next_rand() % 100000) / 10000.0);
        uint64_t b;
        memcpy(&b, &x, 8);
        return b;
    }
    }
}

static int cmp_key_index(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb;
    if (a[0] != b[0]) {
        return a[0] < b[0] ? -1 : 1;
    }
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* The records come out in key order, ties in their first order (stable), payload intact: as a
 * comparison sort on (key, original position) gives, for every record size and thread count. */
static void record_sort_is_stable_and_ordered(void **state)
{
    (void)state;
    static const size_t sizes[] = {16, 24, 32, 48};
    static const int64_t counts[] = {0, 1, 2, 23, 25, 700, 5000, 100000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t size = sizes[si], words = size / 8;
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            const int64_t n = counts[ci];
            for (int kind = 0; kind < 6; kind++) {
                for (int threads = 1; threads <= 3; threads += 2) {
                    uint64_t *a = malloc((size_t)(n + 1) * size),
                             *b = malloc((size_t)(n + 1) * size);
                    uint64_t *ref = malloc((size_t)(n + 1) * 2 * sizeof(uint64_t));
                    for (int64_t i = 0; i < n; i++) {
                        const uint64_t k = sort_key(kind);
                        a[i * words] = k;
                        for (size_t w = 1; w < words; w++) {
                            a[i * words + w] = (uint64_t)i * 31 + w;
                        }
                        ref[2 * i] = k;
                        ref[2 * i + 1] = (uint64_t)i;
                    }
                    qsort(ref, (size_t)n, 2 * sizeof(uint64_t), cmp_key_index);
                    const uint64_t *out = pkh__radix_sort_records(a, b, size, n, threads);
                    for (int64_t i = 0; i < n; i++) {
                        const uint64_t *r = out + i * words;
                        if (r[0] != ref[2 * i] || r[1] != ref[2 * i + 1] * 31 + 1 ||
                            r[words - 1] != ref[2 * i + 1] * 31 + words - 1) {
                            fail_msg("size %zu, n %lld, keys %d, threads %d: record %lld wrong",
                                     size, (long long)n, kind, threads, (long long)i);
                        }
                    }
                    free(a);
                    free(b);
                    free(ref);
                }
            }
        }
    }
}

/* A bucket's sort (pkh__sort_bucket16): keys that agree above bit `below`, as an MSD pass
 * leaves them, come out in key order, ties in their first order, payload intact: as a
 * comparison sort on (key, original position) gives. The shapes: below 0 (every key equal),
 * 3 (fewer sub-buckets than records), 20 and 52; keys spread over the bits below, gathered on
 * a few values (sub-buckets larger than the insertion's 24 records), and bunched low. */
static void bucket_sort_is_stable_and_ordered(void **state)
{
    (void)state;
    static const int below[] = {0, 3, 20, 52};
    static const int64_t counts[] = {0, 1, 2, 24, 25, 300, 5000, 40000};
    int64_t *pos = malloc(PKH__BUCKET_SORT_POS * sizeof *pos);
    for (size_t bi = 0; bi < sizeof below / sizeof below[0]; bi++) {
        const uint64_t top = (uint64_t)0xABC << below[bi];
        const uint64_t span = below[bi] == 0 ? 1 : (uint64_t)1 << below[bi];
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            const int64_t n = counts[ci];
            for (int kind = 0; kind < 3; kind++) {
                uint64_t *a = malloc((size_t)(n + 1) * 16), *o = malloc((size_t)(n + 1) * 16);
                uint64_t *ref = malloc((size_t)(n + 1) * 16);
                for (int64_t i = 0; i < n; i++) {
                    const uint64_t r = next_rand();
                    const uint64_t low = kind == 0   ? r % span
                                         : kind == 1 ? (r % 5) * (span / 5)
                                                     : r % (span < 64 ? span : 64);
                    a[2 * i] = ref[2 * i] = top | low;
                    a[2 * i + 1] = ref[2 * i + 1] = (uint64_t)i;
                }
                qsort(ref, (size_t)n, 2 * sizeof(uint64_t), cmp_key_index);
                pkh__sort_bucket16(a, o, n, below[bi], pos);
                if (n > 0 && memcmp(o, ref, (size_t)n * 16) != 0) {
                    fail_msg("below %d, n %lld, keys %d: out of order", below[bi], (long long)n,
                             kind);
                }
                free(a);
                free(o);
                free(ref);
            }
        }
    }
    free(pos);
}

/* The argsort: a stable order of the keys, with passes only over the bits that vary (keys below
 * 2^20, keys of every bit, all equal), on 1 and 3 threads. */
static void argsort_is_stable_and_ordered(void **state)
{
    (void)state;
    static const int64_t counts[] = {0, 1, 50, 65, 70000};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        const int64_t n = counts[ci];
        for (int kind = 0; kind < 4; kind++) {
            for (int threads = 1; threads <= 3; threads += 2) {
                uint64_t *keys = malloc((size_t)(n + 1) * sizeof *keys);
                uint64_t *ref = malloc((size_t)(n + 1) * 2 * sizeof *ref);
                int64_t *perm = malloc((size_t)(n + 1) * sizeof *perm);
                for (int64_t i = 0; i < n; i++) {
                    keys[i] = kind == 0   ? next_rand() % (1u << 20)
                              : kind == 1 ? next_rand()
                              : kind == 2 ? 7
                                          : ((uint64_t)1 << 63) + next_rand() % 5;
                    ref[2 * i] = keys[i];
                    ref[2 * i + 1] = (uint64_t)i;
                }
                qsort(ref, (size_t)n, 2 * sizeof(uint64_t), cmp_key_index);
                assert_int_equal(pkh__radix_argsort(keys, n, threads, NULL, perm), PKH_OK);
                for (int64_t i = 0; i < n; i++) {
                    if ((uint64_t)perm[i] != ref[2 * i + 1]) {
                        fail_msg("n %lld, keys %d, threads %d: position %lld holds %lld",
                                 (long long)n, kind, threads, (long long)i, (long long)perm[i]);
                    }
                }
                free(keys);
                free(ref);
                free(perm);
            }
        }
    }
}

/* ---- group-by ---- */

/* A dictionary key over several chunks of rows (codes in an order unlike the strings'), with
 * missing values and a mask, alone and beside a second key: ids are the ranks of the strings
 * in byte order, -1 for a missing key or a masked row; a dictionary entry no row uses makes
 * no group; the missing count covers masked-in rows only; any thread count gives the same. */
static void groups_of_a_dictionary_key(void **state)
{
    (void)state;
    static const char *const dict[] = {"Papua", "Aceh", "Bali", "Unused", "Jambi"};
    static const int rank_of[] = {3, 0, 1, -1, 2}; /* Aceh, Bali, Jambi, Papua */
    const int64_t n = 700000;
    int32_t *codes = malloc((size_t)n * sizeof *codes);
    int64_t *second = malloc((size_t)n * sizeof *second);
    uint8_t *valid = malloc((size_t)n), *mask = malloc((size_t)n);
    uint8_t *bits = calloc((size_t)(n + 7) / 8, 1); /* validity as a bitmap */
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = (i * 7919) % 4;
        codes[i] = r == 3 ? 0 : r == 0 ? 1 : r == 1 ? 2 : 4;
        valid[i] = i % 11 != 5;
        mask[i] = i % 13 != 7;
        second[i] = (i / 3) % 2;
        bits[i / 8] |= (uint8_t)(valid[i] << (i % 8));
    }
    pkh_table_builder *b = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_dict(b, "prov", codes, bits, n, dict, 5, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "two", second, NULL, n, NULL), PKH_OK);
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    for (int keys = 1; keys <= 2; keys++) {
        for (int masked = 0; masked <= 1; masked++) {
            for (int threads = 1; threads <= 3; threads += 2) {
                static const char *const cols[] = {"prov", "two"};
                pkh_groups *g = NULL;
                assert_int_equal(
                    pkh_groups_new(t, cols, keys, masked ? mask : NULL, threads, &g, NULL), PKH_OK);
                assert_int_equal(pkh_groups_count(g), keys == 1 ? 4 : 8);
                const int32_t *ids = pkh_groups_ids(g);
                int64_t missing = 0;
                for (int64_t i = 0; i < n; i++) {
                    const bool in = !masked || mask[i];
                    int32_t want = -1;
                    if (in && valid[i]) {
                        want = rank_of[codes[i]] * (keys == 2 ? 2 : 1) +
                               (keys == 2 ? (int32_t)second[i] : 0);
                    }
                    missing += in && !valid[i];
                    if (ids[i] != want) {
                        fail_msg("keys %d, mask %d, threads %d: row %lld in group %d, not %d", keys,
                                 masked, threads, (long long)i, ids[i], want);
                    }
                }
                assert_int_equal(pkh_groups_missing(g), missing);
                pkh_groups_free(g);
            }
        }
    }
    pkh_table_free(t);
    free(codes);
    free(second);
    free(valid);
    free(bits);
    free(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_every_type),
        cmocka_unit_test(builder_rejects_bad_columns),
        cmocka_unit_test(copies_columns_between_tables),
        cmocka_unit_test(summaries_match_hand_values),
        cmocka_unit_test(summary_is_exact_and_thread_independent),
        cmocka_unit_test(select_and_concat_share_data),
        cmocka_unit_test(borrowed_columns_are_released_once),
        cmocka_unit_test(builder_survives_allocation_failures),
        cmocka_unit_test(type_names),
        cmocka_unit_test(record_sort_is_stable_and_ordered),
        cmocka_unit_test(bucket_sort_is_stable_and_ordered),
        cmocka_unit_test(argsort_is_stable_and_ordered),
        cmocka_unit_test(groups_of_a_dictionary_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
