/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Arrow export of the Python module, consumed as any Arrow consumer would, through the
 * struct definitions of the spec: formats, names, flags, lengths, null counts, buffers (the
 * table's own memory), children, dictionaries, the stream protocol, and release semantics
 * (released structs are marked, children and dictionaries can be moved out and outlive their
 * parent, everything outlives the table). An allocation-failure sweep fails each allocation in
 * turn (malloc and friends are wrapped at link time) and checks for ENOMEM without leaks.
 * Borrowed columns (pkh_table_builder_add_external, how the Python module takes numpy and
 * pandas memory) are exported in place and released once, by the last export, on any thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arrow_export.h"

/* ---- counting, failing allocation: the test links with --wrap for malloc, calloc, realloc,
 * posix_memalign (the library's default allocator) and free ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t alignment, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **p, size_t alignment, size_t size);

static int armed;        /* count and fail only while armed */
static long budget = -1; /* allocations left before failing; -1: never fail */
static long live;        /* allocations minus frees while armed */

static int take(void)
{
    if (!armed) {
        return 1;
    }
    if (budget == 0) {
        return 0;
    }
    if (budget > 0) {
        budget--;
    }
    return 1;
}

void *__wrap_malloc(size_t size)
{
    void *p = take() ? __real_malloc(size) : NULL;
    live += armed && p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = take() ? __real_calloc(n, size) : NULL;
    live += armed && p != NULL;
    return p;
}

void *__wrap_realloc(void *old, size_t size)
{
    void *p = take() ? __real_realloc(old, size) : NULL;
    live += armed && p != NULL && old == NULL;
    return p;
}

int __wrap_posix_memalign(void **p, size_t alignment, size_t size)
{
    if (!take()) {
        return ENOMEM;
    }
    const int rc = __real_posix_memalign(p, alignment, size);
    live += armed && rc == 0;
    return rc;
}

void __wrap_free(void *p)
{
    live -= armed && p != NULL;
    __real_free(p);
}

/* ---- a table with every type, nulls in three columns ---- */

#define ROWS 10

static pkh_table *make_table(void)
{
    int64_t ints[ROWS];
    double dbls[ROWS];
    uint8_t bools[ROWS];
    int32_t codes[ROWS];
    for (int i = 0; i < ROWS; i++) {
        ints[i] = i * 100 - 7;
        dbls[i] = i * 0.25;
        bools[i] = (uint8_t)(i % 3 == 0);
        codes[i] = i % 3;
    }
    const uint8_t some_missing[2] = {0xF6, 0x03}; /* rows 0 and 3 missing */
    const char *const dict[] = {"Aceh", "Bali", "Jawa Barat"};
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "hhid", ints, some_missing, ROWS, NULL),
                     PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "pcexp", dbls, NULL, ROWS, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_bool(b, "urban", bools, some_missing, ROWS, NULL),
                     PKH_OK);
    assert_int_equal(
        pkh_table_builder_add_dict(b, "province", codes, some_missing, ROWS, dict, 3, NULL),
        PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    return t;
}

static int bit(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i / 8] >> (i % 8)) & 1;
}

/* ---- schema ---- */

static void schema_has_every_type(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    struct ArrowSchema s;
    assert_int_equal(pkhpy_arrow_export_schema(t, &s, NULL), PKH_OK);
    pkh_table_free(t); /* the schema owns its strings */
    assert_string_equal(s.format, "+s");
    assert_int_equal(s.n_children, 4);
    assert_null(s.dictionary);
    assert_null(s.metadata);
    static const char *const names[] = {"hhid", "pcexp", "urban", "province"};
    static const char *const formats[] = {"l", "g", "b", "i"};
    for (int i = 0; i < 4; i++) {
        const struct ArrowSchema *c = s.children[i];
        assert_string_equal(c->name, names[i]);
        assert_string_equal(c->format, formats[i]);
        assert_int_equal(c->flags, ARROW_FLAG_NULLABLE);
        assert_int_equal(c->n_children, 0);
        assert_non_null(c->release);
        assert_true(i == 3 ? c->dictionary != NULL : c->dictionary == NULL);
    }
    const struct ArrowSchema *d = s.children[3]->dictionary;
    assert_string_equal(d->format, "U");
    assert_int_equal(d->flags & ARROW_FLAG_DICTIONARY_ORDERED, 0);
    assert_non_null(d->release);
    s.release(&s);
    assert_null(s.release); /* marked released */
}

static void schema_child_moved_out_outlives_parent(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    struct ArrowSchema s, moved;
    assert_int_equal(pkhpy_arrow_export_schema(t, &s, NULL), PKH_OK);
    pkh_table_free(t);
    moved = *s.children[3];
    s.children[3]->release = NULL; /* the spec's move */
    s.release(&s);
    assert_string_equal(moved.name, "province");
    assert_string_equal(moved.dictionary->format, "U");
    moved.release(&moved);
    assert_null(moved.release);
}

/* ---- arrays ---- */

static void check_column_values(const struct ArrowArray *a)
{
    assert_int_equal(a->length, ROWS);
    assert_int_equal(a->n_children, 4);
    assert_int_equal(a->n_buffers, 1);
    assert_null(a->buffers[0]);
    assert_int_equal(a->null_count, 0);
    const struct ArrowArray *ids = a->children[0], *x = a->children[1], *u = a->children[2];
    const struct ArrowArray *p = a->children[3];
    for (int c = 0; c < 4; c++) {
        assert_int_equal(a->children[c]->length, ROWS);
        assert_int_equal(a->children[c]->offset, 0);
        assert_int_equal(a->children[c]->n_buffers, 2);
        assert_int_equal(a->children[c]->n_children, 0);
        assert_int_equal(a->children[c]->null_count, c == 1 ? 0 : 2);
    }
    assert_null(x->buffers[0]); /* nothing missing: no bitmap */
    const int64_t *iv = ids->buffers[1];
    const double *xv = x->buffers[1];
    const int32_t *cv = p->buffers[1];
    for (int i = 0; i < ROWS; i++) {
        const int valid = i != 0 && i != 3;
        assert_int_equal(bit(ids->buffers[0], i), valid);
        assert_int_equal(bit(u->buffers[0], i), valid);
        assert_int_equal(bit(p->buffers[0], i), valid);
        if (valid) {
            assert_int_equal(iv[i], i * 100 - 7);
            assert_int_equal(bit(u->buffers[1], i), i % 3 == 0);
            assert_int_equal(cv[i], i % 3);
        }
        assert_true(xv[i] == i * 0.25);
    }
    assert_null(ids->dictionary);
    const struct ArrowArray *d = p->dictionary;
    assert_non_null(d);
    assert_int_equal(d->length, 3);
    assert_int_equal(d->null_count, 0);
    assert_int_equal(d->n_buffers, 3);
    assert_null(d->buffers[0]);
    const int64_t *off = d->buffers[1];
    const char *chars = d->buffers[2];
    assert_int_equal(off[0], 0);
    assert_int_equal(off[3], (int64_t)strlen("AcehBaliJawa Barat"));
    assert_memory_equal(chars + off[2], "Jawa Barat", 10);
}

static void array_shares_the_table_memory(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    struct ArrowArray a;
    assert_int_equal(pkhpy_arrow_export_array(t, &a, NULL), PKH_OK);
    for (int c = 0; c < 4; c++) {
        const pkh_column *col = pkh_table_column_at(t, c);
        const void *values = c == 0   ? (const void *)pkh_column_int64(col)
                             : c == 1 ? (const void *)pkh_column_float64(col)
                             : c == 2 ? (const void *)pkh_column_bool_bits(col)
                                      : (const void *)pkh_column_codes(col);
        assert_ptr_equal(a.children[c]->buffers[1], values); /* no copy */
        assert_ptr_equal(a.children[c]->buffers[0], pkh_column_validity(col));
    }
    const int64_t *offsets = NULL;
    const char *data = NULL;
    pkh_column_dict_buffers(pkh_table_column_at(t, 3), &offsets, &data);
    assert_ptr_equal(a.children[3]->dictionary->buffers[1], offsets);
    assert_ptr_equal(a.children[3]->dictionary->buffers[2], data);
    pkh_table_free(t); /* the array keeps the storage alive */
    check_column_values(&a);
    a.release(&a);
    assert_null(a.release);
}

static void array_children_and_dictionary_move_out(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    struct ArrowArray a, col, dict;
    assert_int_equal(pkhpy_arrow_export_array(t, &a, NULL), PKH_OK);
    pkh_table_free(t);
    col = *a.children[1];
    a.children[1]->release = NULL;
    dict = *a.children[3]->dictionary;
    a.children[3]->dictionary->release = NULL;
    a.release(&a); /* the parent goes first; the moved parts stay valid */
    assert_null(a.release);
    const double *xv = col.buffers[1];
    assert_true(xv[ROWS - 1] == (ROWS - 1) * 0.25);
    const int64_t *off = dict.buffers[1];
    assert_memory_equal((const char *)dict.buffers[2] + off[1], "Bali", 4);
    dict.release(&dict);
    col.release(&col);
    assert_null(dict.release);
    assert_null(col.release);
}

static void empty_table_and_empty_dictionary(void **state)
{
    (void)state;
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_dict(b, "s", NULL, NULL, 0, NULL, 0, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_float64(b, "x", NULL, NULL, 0, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    struct ArrowArray a;
    assert_int_equal(pkhpy_arrow_export_array(t, &a, NULL), PKH_OK);
    pkh_table_free(t);
    assert_int_equal(a.length, 0);
    for (int c = 0; c < 2; c++) {
        assert_non_null(a.children[c]->buffers[1]); /* a pointer even when empty */
    }
    const struct ArrowArray *d = a.children[0]->dictionary;
    assert_int_equal(d->length, 0);
    assert_non_null(d->buffers[1]);
    assert_non_null(d->buffers[2]);
    assert_int_equal(((const int64_t *)d->buffers[1])[0], 0);
    a.release(&a);
}

/* ---- the stream ---- */

static void stream_yields_one_batch_then_ends(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    struct ArrowArrayStream s;
    assert_int_equal(pkhpy_arrow_export_stream(t, &s, NULL), PKH_OK);
    pkh_table_free(t); /* the stream keeps the data */
    struct ArrowSchema schema;
    assert_int_equal(s.get_schema(&s, &schema), 0);
    assert_string_equal(schema.format, "+s");
    assert_int_equal(schema.n_children, 4);
    schema.release(&schema);
    struct ArrowArray batch, end;
    assert_int_equal(s.get_next(&s, &batch), 0);
    assert_non_null(batch.release);
    assert_int_equal(s.get_next(&s, &end), 0);
    assert_null(end.release); /* the end of the stream */
    assert_int_equal(s.get_next(&s, &end), 0);
    assert_null(end.release);
    assert_null(s.get_last_error(&s));
    s.release(&s);
    assert_null(s.release);
    assert_null(s.private_data);
    check_column_values(&batch); /* the batch outlives the stream */
    batch.release(&batch);
    assert_null(batch.release);
}

static void stream_from_csv(void **state)
{
    (void)state;
    static const char csv[] =
        "hhid,province,urban,pcexp\n"
        "1,Aceh,true,100.5\n"
        "2,,false,\n"
        "3,Bali,,250\n";
    pkh_table *t = NULL;
    assert_int_equal(pkh_csv_read_memory(csv, sizeof csv - 1, NULL, NULL, &t, NULL, NULL), PKH_OK);
    struct ArrowArrayStream s;
    assert_int_equal(pkhpy_arrow_export_stream(t, &s, NULL), PKH_OK);
    pkh_table_free(t);
    struct ArrowSchema schema;
    struct ArrowArray a;
    assert_int_equal(s.get_schema(&s, &schema), 0);
    assert_int_equal(s.get_next(&s, &a), 0);
    s.release(&s);
    static const char *const formats[] = {"l", "i", "b", "g"};
    for (int c = 0; c < 4; c++) {
        assert_string_equal(schema.children[c]->format, formats[c]);
        assert_int_equal(a.children[c]->null_count, c == 0 ? 0 : 1);
    }
    const struct ArrowArray *p = a.children[1];
    assert_int_equal(bit(p->buffers[0], 1), 0);
    const int64_t *off = p->dictionary->buffers[1];
    const int32_t *codes = p->buffers[1];
    const char *chars = p->dictionary->buffers[2];
    assert_int_equal(off[codes[2] + 1] - off[codes[2]], 4);
    assert_memory_equal(chars + off[codes[2]], "Bali", 4);
    const double *x = a.children[3]->buffers[1];
    assert_true(x[0] == 100.5 && x[2] == 250.0);
    assert_int_equal(bit(a.children[3]->buffers[0], 1), 0);
    schema.release(&schema);
    a.release(&a);
}

/* ---- every allocation failing in turn ---- */

typedef enum { EXPORT_SCHEMA, EXPORT_ARRAY, EXPORT_STREAM } export_kind;

static pkh_status export_and_release(const pkh_table *t, export_kind kind)
{
    pkh_error err;
    pkh_status st;
    if (kind == EXPORT_SCHEMA) {
        struct ArrowSchema s;
        st = pkhpy_arrow_export_schema(t, &s, &err);
        if (st == PKH_OK) {
            s.release(&s);
        }
    } else if (kind == EXPORT_ARRAY) {
        struct ArrowArray a;
        st = pkhpy_arrow_export_array(t, &a, &err);
        if (st == PKH_OK) {
            a.release(&a);
        }
    } else {
        struct ArrowArrayStream s;
        st = pkhpy_arrow_export_stream(t, &s, &err);
        if (st == PKH_OK) {
            struct ArrowArray a;
            const int rc = s.get_next(&s, &a);
            if (rc == 0) {
                a.release(&a);
            } else {
                assert_int_equal(rc, ENOMEM);
                assert_non_null(s.get_last_error(&s));
                st = PKH_ENOMEM;
            }
            s.release(&s);
        }
    }
    if (st != PKH_OK) {
        assert_int_equal(err.code, st);
    }
    return st;
}

static void survives_every_allocation_failure(void **state)
{
    (void)state;
    pkh_table *t = make_table();
    for (int kind = EXPORT_SCHEMA; kind <= EXPORT_STREAM; kind++) {
        for (long n = 0;; n++) {
            live = 0;
            budget = n;
            armed = 1;
            const pkh_status st = export_and_release(t, (export_kind)kind);
            armed = 0;
            assert_int_equal(live, 0); /* nothing leaks on any path */
            if (st == PKH_OK) {
                assert_true(n > 0);
                break;
            }
            assert_int_equal(st, PKH_ENOMEM);
        }
    }
    budget = -1;
    pkh_table_free(t);
}

/* ---- borrowed memory (the Python module's numpy and pandas columns) ---- */

static double borrowed_values[5] = {1.5, 2.5, -3.0, 4.0, 1e300};
static int released;
static pthread_t released_on;

static void count_release(void *ctx)
{
    assert_ptr_equal(ctx, borrowed_values);
    released++;
    released_on = pthread_self();
}

static void *release_array(void *p)
{
    struct ArrowArray *a = p;
    a->release(a);
    return NULL;
}

static void borrowed_column_released_by_the_last_export(void **state)
{
    (void)state;
    const int64_t ids[5] = {1, 2, 3, 4, 5};
    const uint8_t valid = 0x1B; /* row 2 missing */
    pkh_table_builder *b = NULL;
    pkh_table *t = NULL;
    released = 0;
    assert_int_equal(pkh_table_builder_new(NULL, &b, NULL), PKH_OK);
    assert_int_equal(pkh_table_builder_add_int64(b, "id", ids, NULL, 5, NULL), PKH_OK);
    assert_int_equal(
        pkh_table_builder_add_external(b, "x", PKH_TYPE_FLOAT64, borrowed_values, &valid, 5,
                                       count_release, borrowed_values, NULL),
        PKH_OK);
    assert_int_equal(pkh_table_builder_finish(b, &t, NULL), PKH_OK);
    pkh_table_builder_free(b);
    struct ArrowArrayStream s;
    assert_int_equal(pkhpy_arrow_export_stream(t, &s, NULL), PKH_OK);
    pkh_table_free(t);
    assert_int_equal(released, 0); /* the stream holds the column */
    struct ArrowArray batch;
    assert_int_equal(s.get_next(&s, &batch), 0);
    s.release(&s);
    assert_int_equal(released, 0); /* the batch holds it */
    const struct ArrowArray *x = batch.children[1];
    assert_ptr_equal(x->buffers[1], borrowed_values); /* in place: no copy */
    assert_ptr_equal(x->buffers[0], &valid);
    assert_int_equal(x->null_count, 1);
    assert_int_equal(x->length, 5);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, release_array, &batch), 0);
    assert_int_equal(pthread_join(other, NULL), 0);
    assert_int_equal(released, 1); /* once, on the thread that released the last export */
    assert_true(pthread_equal(released_on, other));
    assert_null(batch.release);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_has_every_type),
        cmocka_unit_test(schema_child_moved_out_outlives_parent),
        cmocka_unit_test(array_shares_the_table_memory),
        cmocka_unit_test(array_children_and_dictionary_move_out),
        cmocka_unit_test(empty_table_and_empty_dictionary),
        cmocka_unit_test(stream_yields_one_batch_then_ends),
        cmocka_unit_test(stream_from_csv),
        cmocka_unit_test(borrowed_column_released_by_the_last_export),
        cmocka_unit_test(survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
