/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Tables and columns: accessors, the builder.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "internal/table.h"

struct pkh__store {
    atomic_long refs;
    const pkh_allocator *alloc;
    pkh_release_fn release; /* borrowed buffers: called instead of freeing them */
    void *release_ctx;
    void *values;
    size_t values_bytes;
    uint8_t *validity;
    size_t validity_bytes;
    int64_t *dict_offsets;
    size_t dict_offsets_bytes;
    char *dict_data;
    size_t dict_data_bytes;
};

pkh__store *pkh__store_ref(const pkh_column *c)
{
    if (c->store != NULL) {
        atomic_fetch_add(&c->store->refs, 1);
    }
    return c->store;
}

void pkh__store_unref(pkh__store *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1) {
        return;
    }
    const pkh_allocator *a = s->alloc;
    if (s->release != NULL) {
        s->release(s->release_ctx);
    } else {
        pkh__free(a, s->values, s->values_bytes);
        pkh__free(a, s->validity, s->validity_bytes);
        pkh__free(a, s->dict_offsets, s->dict_offsets_bytes);
        pkh__free(a, s->dict_data, s->dict_data_bytes);
    }
    pkh__free(a, s, sizeof *s);
}

/* Move a builder-owned column's buffers into a new store. */
static pkh_status make_store(const pkh_allocator *a, pkh_column *c)
{
    pkh__store *s = pkh__alloc(a, sizeof *s);
    if (s == NULL) {
        return PKH_ENOMEM;
    }
    atomic_init(&s->refs, 1);
    s->alloc = a;
    s->release = NULL;
    s->release_ctx = NULL;
    s->values = c->values;
    s->values_bytes = c->values_bytes;
    s->validity = c->validity;
    s->validity_bytes = c->validity_bytes;
    s->dict_offsets = c->dict_offsets;
    s->dict_offsets_bytes = c->dict_offsets_bytes;
    s->dict_data = c->dict_data;
    s->dict_data_bytes = c->dict_data_bytes;
    c->store = s;
    return PKH_OK;
}

const char *pkh_type_name(pkh_type type)
{
    switch (type) {
    case PKH_TYPE_INT64:
        return "int64";
    case PKH_TYPE_FLOAT64:
        return "float64";
    case PKH_TYPE_BOOL:
        return "bool";
    case PKH_TYPE_DICT:
        return "string";
    }
    return "?";
}

pkh_status pkh_type_parse(const char *name, pkh_type *out)
{
    static const struct {
        const char *name;
        pkh_type type;
    } names[] = {
        {"int64", PKH_TYPE_INT64},   {"int", PKH_TYPE_INT64},      {"float64", PKH_TYPE_FLOAT64},
        {"float", PKH_TYPE_FLOAT64}, {"double", PKH_TYPE_FLOAT64}, {"bool", PKH_TYPE_BOOL},
        {"string", PKH_TYPE_DICT},   {"str", PKH_TYPE_DICT},       {"dict", PKH_TYPE_DICT}};
    if (name == NULL) {
        return PKH_EINVAL;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].type;
            return PKH_OK;
        }
    }
    return PKH_EINVAL;
}

void pkh__column_release(const pkh_allocator *a, pkh_column *c)
{
    pkh__free_str(a, c->name);
    if (c->store != NULL) {
        pkh__store_unref(c->store);
    } else {
        pkh__free(a, c->values, c->values_bytes);
        pkh__free(a, c->validity, c->validity_bytes);
        pkh__free(a, c->dict_offsets, c->dict_offsets_bytes);
        pkh__free(a, c->dict_data, c->dict_data_bytes);
    }
    memset(c, 0, sizeof *c);
}

void pkh_table_free(pkh_table *table)
{
    if (table == NULL) {
        return;
    }
    const pkh_allocator *a = table->alloc;
    for (int64_t i = 0; i < table->num_columns; i++) {
        pkh__column_release(a, &table->columns[i]);
    }
    pkh__free(a, table->columns, table->columns_cap * sizeof *table->columns);
    pkh__free(a, table, sizeof *table);
}

int64_t pkh_table_num_rows(const pkh_table *table)
{
    return table->num_rows;
}

int64_t pkh_table_num_columns(const pkh_table *table)
{
    return table->num_columns;
}

const pkh_column *pkh_table_column_at(const pkh_table *table, int64_t i)
{
    if (i < 0 || i >= table->num_columns) {
        return NULL;
    }
    return &table->columns[i];
}

pkh_status pkh_table_column(const pkh_table *table, const char *name, const pkh_column **out,
                            pkh_error *err)
{
    for (int64_t i = 0; i < table->num_columns; i++) {
        if (strcmp(table->columns[i].name, name) == 0) {
            *out = &table->columns[i];
            return PKH_OK;
        }
    }
    char list[256];
    size_t o = 0;
    list[0] = '\0';
    for (int64_t i = 0; i < table->num_columns && o < sizeof list - 8; i++) {
        const int k =
            snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", table->columns[i].name);
        if (k < 0 || (size_t)k >= sizeof list - o) {
            memcpy(list + sizeof list - 5, "...", 4);
            break;
        }
        o += (size_t)k;
    }
    return pkh__errorf(err, PKH_ENOTFOUND, "no column named \"%s\" (the columns are: %s)", name,
                       list);
}

const char *pkh_column_name(const pkh_column *column)
{
    return column->name;
}

pkh_type pkh_column_type(const pkh_column *column)
{
    return column->type;
}

int64_t pkh_column_length(const pkh_column *column)
{
    return column->length;
}

int64_t pkh_column_null_count(const pkh_column *column)
{
    return column->null_count;
}

const uint8_t *pkh_column_validity(const pkh_column *column)
{
    return column->null_count > 0 ? column->validity : NULL;
}

int pkh_column_is_valid(const pkh_column *column, int64_t row)
{
    if (row < 0 || row >= column->length) {
        return 0;
    }
    return column->validity == NULL || pkh__bit_get(column->validity, row);
}

const int64_t *pkh_column_int64(const pkh_column *column)
{
    return column->type == PKH_TYPE_INT64 ? column->values : NULL;
}

const double *pkh_column_float64(const pkh_column *column)
{
    return column->type == PKH_TYPE_FLOAT64 ? column->values : NULL;
}

const uint8_t *pkh_column_bool_bits(const pkh_column *column)
{
    return column->type == PKH_TYPE_BOOL ? column->values : NULL;
}

const int32_t *pkh_column_codes(const pkh_column *column)
{
    return column->type == PKH_TYPE_DICT ? column->values : NULL;
}

int64_t pkh_column_dict_size(const pkh_column *column)
{
    return column->type == PKH_TYPE_DICT ? column->dict_size : 0;
}

pkh_status pkh_column_dict_value(const pkh_column *column, int64_t code, const char **data,
                                 size_t *length)
{
    if (column->type != PKH_TYPE_DICT || code < 0 || code >= column->dict_size) {
        return PKH_EINVAL;
    }
    *data = column->dict_data + column->dict_offsets[code];
    *length = (size_t)(column->dict_offsets[code + 1] - column->dict_offsets[code]);
    return PKH_OK;
}

void pkh_column_dict_buffers(const pkh_column *column, const int64_t **offsets, const char **data)
{
    const bool dict = column->type == PKH_TYPE_DICT;
    if (offsets != NULL) {
        *offsets = dict ? column->dict_offsets : NULL;
    }
    if (data != NULL) {
        *data = dict ? column->dict_data : NULL;
    }
}

pkh_status pkh_column_get_double(const pkh_column *column, int64_t row, double *out)
{
    if (row < 0 || row >= column->length) {
        return PKH_EINVAL;
    }
    if (column->validity != NULL && !pkh__bit_get(column->validity, row)) {
        return PKH_EEMPTY;
    }
    switch (column->type) {
    case PKH_TYPE_INT64:
        *out = (double)((const int64_t *)column->values)[row];
        return PKH_OK;
    case PKH_TYPE_FLOAT64:
        *out = ((const double *)column->values)[row];
        return PKH_OK;
    case PKH_TYPE_BOOL:
        *out = pkh__bit_get(column->values, row) ? 1.0 : 0.0;
        return PKH_OK;
    case PKH_TYPE_DICT:
        break;
    }
    return PKH_ETYPE;
}

/* ---- taking ownership ---- */

pkh_status pkh__table_take(const pkh_allocator *a, pkh_column *columns, int64_t n, int64_t num_rows,
                           pkh_table **out, pkh_error *err)
{
    a = pkh__allocator(a);
    pkh_status st = PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        if (columns[i].name == NULL || columns[i].name[0] == '\0') {
            st = pkh__errorf(err, PKH_EINVAL, "column %lld has an empty name", (long long)i + 1);
        } else if (columns[i].length != num_rows) {
            st = pkh__errorf(err, PKH_EINVAL, "column \"%s\" has %lld rows, expected %lld",
                             columns[i].name, (long long)columns[i].length, (long long)num_rows);
        }
        for (int64_t j = 0; j < i && st == PKH_OK; j++) {
            if (strcmp(columns[i].name, columns[j].name) == 0) {
                st = pkh__errorf(err, PKH_EDUPLICATE, "two columns are named \"%s\"",
                                 columns[i].name);
            }
        }
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        if (columns[i].store == NULL && make_store(a, &columns[i]) != PKH_OK) {
            st = pkh__enomem(err);
        }
    }
    pkh_table *t = NULL;
    if (st == PKH_OK) {
        t = pkh__calloc(a, 1, sizeof *t);
        if (t != NULL && n > 0) {
            t->columns = pkh__alloc(a, (size_t)n * sizeof *t->columns);
            if (t->columns == NULL) {
                pkh__free(a, t, sizeof *t);
                t = NULL;
            }
        }
        if (t == NULL) {
            st = pkh__enomem(err);
        }
    }
    if (st != PKH_OK) {
        for (int64_t i = 0; i < n; i++) {
            pkh__column_release(a, &columns[i]);
        }
        return st;
    }
    t->alloc = a;
    t->num_rows = num_rows;
    t->num_columns = n;
    t->columns_cap = (size_t)n;
    if (n > 0) {
        memcpy(t->columns, columns, (size_t)n * sizeof *columns);
    }
    *out = t;
    return PKH_OK;
}

/* ---- the builder ---- */

struct pkh_table_builder {
    const pkh_allocator *alloc;
    pkh_column *columns;
    int64_t n;
    size_t cap;
};

pkh_status pkh_table_builder_new(const pkh_allocator *allocator, pkh_table_builder **out,
                                 pkh_error *err)
{
    const pkh_allocator *a = pkh__allocator(allocator);
    pkh_table_builder *b = pkh__calloc(a, 1, sizeof *b);
    if (b == NULL) {
        return pkh__enomem(err);
    }
    b->alloc = a;
    *out = b;
    return PKH_OK;
}

void pkh_table_builder_free(pkh_table_builder *builder)
{
    if (builder == NULL) {
        return;
    }
    const pkh_allocator *a = builder->alloc;
    for (int64_t i = 0; i < builder->n; i++) {
        pkh__column_release(a, &builder->columns[i]);
    }
    pkh__free(a, builder->columns, builder->cap * sizeof *builder->columns);
    pkh__free(a, builder, sizeof *builder);
}

/* Check the name and length, make room, and return a zeroed slot with its name set. */
static pkh_status begin_column(pkh_table_builder *b, const char *name, int64_t n, pkh_column **slot,
                               pkh_error *err)
{
    if (name == NULL || name[0] == '\0') {
        return pkh__errorf(err, PKH_EINVAL, "a column needs a non-empty name");
    }
    if (n < 0) {
        return pkh__errorf(err, PKH_EINVAL, "column \"%s\": negative length", name);
    }
    if (b->n > 0 && b->columns[0].length != n) {
        return pkh__errorf(err, PKH_EINVAL, "column \"%s\" has %lld rows, the others %lld", name,
                           (long long)n, (long long)b->columns[0].length);
    }
    for (int64_t i = 0; i < b->n; i++) {
        if (strcmp(b->columns[i].name, name) == 0) {
            return pkh__errorf(err, PKH_EDUPLICATE, "a column named \"%s\" already exists", name);
        }
    }
    if ((size_t)b->n == b->cap) {
        const size_t cap = b->cap ? b->cap * 2 : 8;
        pkh_column *c = pkh__realloc(b->alloc, b->columns, b->cap * sizeof *c, cap * sizeof *c);
        if (c == NULL) {
            return pkh__enomem(err);
        }
        b->columns = c;
        b->cap = cap;
    }
    pkh_column *c = &b->columns[b->n];
    memset(c, 0, sizeof *c);
    c->name = pkh__strdup(b->alloc, name);
    if (c->name == NULL) {
        return pkh__enomem(err);
    }
    c->length = n;
    *slot = c;
    return PKH_OK;
}

static pkh_status copy_validity(pkh_table_builder *b, pkh_column *c, const uint8_t *validity,
                                pkh_error *err)
{
    if (validity == NULL) {
        return PKH_OK;
    }
    const int64_t valid = pkh__bitmap_count(validity, c->length);
    if (valid == c->length) {
        return PKH_OK;
    }
    c->validity_bytes = pkh__bitmap_bytes(c->length);
    c->validity = pkh__calloc(b->alloc, 1, c->validity_bytes);
    if (c->validity == NULL) {
        return pkh__enomem(err);
    }
    memcpy(c->validity, validity, (size_t)((c->length + 7) / 8));
    /* clear bits past the end so the padding is clean */
    for (int64_t i = c->length; i < (int64_t)((c->length + 7) / 8) * 8; i++) {
        pkh__bit_clear(c->validity, i);
    }
    c->null_count = c->length - valid;
    return PKH_OK;
}

/* Finish a slot: on failure release it, on success count it. */
static pkh_status end_column(pkh_table_builder *b, pkh_column *c, pkh_status st)
{
    if (st != PKH_OK) {
        pkh__column_release(b->alloc, c);
        return st;
    }
    b->n++;
    return PKH_OK;
}

/* A column whose values are `bytes` bytes copied from `values`. */
static pkh_status add_fixed(pkh_table_builder *b, const char *name, pkh_type type,
                            const void *values, size_t bytes, const uint8_t *validity, int64_t n,
                            pkh_error *err)
{
    pkh_column *c = NULL;
    pkh_status st = begin_column(b, name, n, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    c->type = type;
    c->values_bytes = bytes > 0 ? bytes : 1;
    c->values = pkh__alloc(b->alloc, c->values_bytes);
    if (c->values == NULL) {
        st = pkh__enomem(err);
    } else {
        if (bytes > 0) {
            memcpy(c->values, values, bytes);
        }
        st = copy_validity(b, c, validity, err);
    }
    return end_column(b, c, st);
}

pkh_status pkh_table_builder_add_int64(pkh_table_builder *builder, const char *name,
                                       const int64_t *values, const uint8_t *validity, int64_t n,
                                       pkh_error *err)
{
    return add_fixed(builder, name, PKH_TYPE_INT64, values, n > 0 ? (size_t)n * 8 : 0, validity, n,
                     err);
}

pkh_status pkh_table_builder_add_float64(pkh_table_builder *builder, const char *name,
                                         const double *values, const uint8_t *validity, int64_t n,
                                         pkh_error *err)
{
    return add_fixed(builder, name, PKH_TYPE_FLOAT64, values, n > 0 ? (size_t)n * 8 : 0, validity,
                     n, err);
}

pkh_status pkh_table_builder_add_bool(pkh_table_builder *builder, const char *name,
                                      const uint8_t *values, const uint8_t *validity, int64_t n,
                                      pkh_error *err)
{
    pkh_column *c = NULL;
    pkh_status st = begin_column(builder, name, n, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    c->type = PKH_TYPE_BOOL;
    c->values_bytes = pkh__bitmap_bytes(n);
    c->values = pkh__calloc(builder->alloc, 1, c->values_bytes);
    if (c->values == NULL) {
        st = pkh__enomem(err);
    } else {
        for (int64_t i = 0; i < n; i++) {
            if (values[i]) {
                pkh__bit_set(c->values, i);
            }
        }
        st = copy_validity(builder, c, validity, err);
    }
    return end_column(builder, c, st);
}

static pkh_status codes_from_strings(pkh_table_builder *b, pkh_column *c, const char *const *values,
                                     pkh__dict *d, pkh_error *err)
{
    int32_t *codes = c->values;
    int64_t missing = 0;
    for (int64_t i = 0; i < c->length; i++) {
        if (values[i] == NULL) {
            codes[i] = 0;
            missing++;
            continue;
        }
        const pkh_status st = pkh__dict_intern(d, values[i], strlen(values[i]), &codes[i]);
        if (st != PKH_OK) {
            return st == PKH_ENOMEM ? pkh__enomem(err)
                                    : pkh__errorf(err, st,
                                                  "column \"%s\": too many distinct "
                                                  "strings",
                                                  c->name);
        }
    }
    if (missing > 0) {
        c->validity_bytes = pkh__bitmap_bytes(c->length);
        c->validity = pkh__calloc(b->alloc, 1, c->validity_bytes);
        if (c->validity == NULL) {
            return pkh__enomem(err);
        }
        for (int64_t i = 0; i < c->length; i++) {
            if (values[i] != NULL) {
                pkh__bit_set(c->validity, i);
            }
        }
        c->null_count = missing;
    }
    return PKH_OK;
}

pkh_status pkh_table_builder_add_strings(pkh_table_builder *builder, const char *name,
                                         const char *const *values, int64_t n, pkh_error *err)
{
    pkh_column *c = NULL;
    pkh_status st = begin_column(builder, name, n, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    c->type = PKH_TYPE_DICT;
    c->values_bytes = n > 0 ? (size_t)n * 4 : 1;
    c->values = pkh__alloc(builder->alloc, c->values_bytes);
    pkh__dict d;
    if (c->values == NULL || pkh__dict_init(&d, builder->alloc) != PKH_OK) {
        return end_column(builder, c, pkh__enomem(err));
    }
    st = codes_from_strings(builder, c, values, &d, err);
    if (st == PKH_OK) {
        pkh__dict_move_to_column(&d, c);
    } else {
        pkh__dict_free(&d);
    }
    return end_column(builder, c, st);
}

pkh_status pkh_table_builder_add_dict(pkh_table_builder *builder, const char *name,
                                      const int32_t *codes, const uint8_t *validity, int64_t n,
                                      const char *const *dict, int64_t dict_size, pkh_error *err)
{
    if (dict_size < 0 || dict_size > INT32_MAX) {
        return pkh__errorf(err, PKH_EINVAL, "column \"%s\": invalid dictionary size",
                           name ? name : "");
    }
    for (int64_t i = 0; i < n; i++) {
        const bool present = validity == NULL || pkh__bit_get(validity, i);
        if (present && (codes[i] < 0 || codes[i] >= dict_size)) {
            return pkh__errorf(err, PKH_EINVAL,
                               "column \"%s\": code %d at row %lld is outside "
                               "the dictionary of %lld entries",
                               name ? name : "", codes[i], (long long)i + 1, (long long)dict_size);
        }
    }
    pkh_column *c = NULL;
    pkh_status st = begin_column(builder, name, n, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__dict d;
    if (pkh__dict_init(&d, builder->alloc) != PKH_OK) {
        return end_column(builder, c, pkh__enomem(err));
    }
    for (int64_t k = 0; k < dict_size && st == PKH_OK; k++) {
        int32_t code;
        st = pkh__dict_intern(&d, dict[k], strlen(dict[k]), &code);
        if (st == PKH_ENOMEM) {
            st = pkh__enomem(err);
        } else if (st == PKH_OK && code != k) {
            st = pkh__errorf(err, PKH_EDUPLICATE,
                             "column \"%s\": dictionary entry \"%s\" is "
                             "repeated",
                             name, dict[k]);
        }
    }
    if (st == PKH_OK) {
        c->values_bytes = n > 0 ? (size_t)n * 4 : 1;
        c->values = pkh__alloc(builder->alloc, c->values_bytes);
        if (c->values == NULL) {
            st = pkh__enomem(err);
        } else {
            for (int64_t i = 0; i < n; i++) {
                const bool present = validity == NULL || pkh__bit_get(validity, i);
                ((int32_t *)c->values)[i] = present ? codes[i] : 0;
            }
            st = copy_validity(builder, c, validity, err);
        }
    }
    if (st == PKH_OK) {
        pkh__dict_move_to_column(&d, c);
    } else {
        pkh__dict_free(&d);
    }
    return end_column(builder, c, st);
}

/* A shallow copy of `src` under `name`: same buffers, one more store reference. */
static pkh_status share_column(const pkh_allocator *a, const pkh_column *src, const char *name,
                               pkh_column *dst)
{
    *dst = *src;
    dst->name = pkh__strdup(a, name);
    if (dst->name == NULL) {
        memset(dst, 0, sizeof *dst);
        return PKH_ENOMEM;
    }
    pkh__store_ref(src);
    return PKH_OK;
}

pkh_status pkh_table_builder_add_column(pkh_table_builder *builder, const char *name,
                                        const pkh_column *column, pkh_error *err)
{
    if (name == NULL) {
        name = column->name;
    }
    pkh_column *c = NULL;
    pkh_status st = begin_column(builder, name, column->length, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__free_str(builder->alloc, c->name);
    if (share_column(builder->alloc, column, name, c) != PKH_OK) {
        return pkh__enomem(err);
    }
    builder->n++;
    return PKH_OK;
}

/* Make a table of shared columns: srcs[i] renamed names[i] (NULL: keep). */
static pkh_status share_table(const pkh_allocator *a, const pkh_column *const *srcs, int64_t n,
                              int64_t rows, pkh_table **out, pkh_error *err)
{
    pkh_column *cols = pkh__calloc(a, (size_t)(n > 0 ? n : 1), sizeof *cols);
    if (cols == NULL) {
        return pkh__enomem(err);
    }
    pkh_status st = PKH_OK;
    int64_t made = 0;
    for (; made < n && st == PKH_OK; made++) {
        if (share_column(a, srcs[made], srcs[made]->name, &cols[made]) != PKH_OK) {
            st = pkh__enomem(err);
            break;
        }
    }
    if (st == PKH_OK) {
        st = pkh__table_take(a, cols, n, rows, out, err);
    } else {
        for (int64_t i = 0; i < made; i++) {
            pkh__column_release(a, &cols[i]);
        }
    }
    pkh__free(a, cols, (size_t)(n > 0 ? n : 1) * sizeof *cols);
    return st;
}

pkh_status pkh_table_select(const pkh_table *table, const char *const *names, int64_t n,
                            pkh_table **out, pkh_error *err)
{
    const pkh_allocator *a = table->alloc;
    const pkh_column **srcs = pkh__alloc(a, (size_t)(n > 0 ? n : 1) * sizeof *srcs);
    if (srcs == NULL) {
        return pkh__enomem(err);
    }
    pkh_status st = PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        st = pkh_table_column(table, names[i], &srcs[i], err);
    }
    if (st == PKH_OK) {
        st = share_table(a, srcs, n, table->num_rows, out, err);
    }
    pkh__free(a, srcs, (size_t)(n > 0 ? n : 1) * sizeof *srcs);
    return st;
}

pkh_status pkh_table_concat_columns(const pkh_table *a, const pkh_table *b, pkh_table **out,
                                    pkh_error *err)
{
    if (a->num_columns > 0 && b->num_columns > 0 && a->num_rows != b->num_rows) {
        return pkh__errorf(err, PKH_EINVAL,
                           "cannot put side by side tables of %lld and %lld "
                           "rows",
                           (long long)a->num_rows, (long long)b->num_rows);
    }
    const int64_t n = a->num_columns + b->num_columns;
    const pkh_allocator *al = a->alloc;
    const pkh_column **srcs = pkh__alloc(al, (size_t)(n > 0 ? n : 1) * sizeof *srcs);
    if (srcs == NULL) {
        return pkh__enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        srcs[i] = i < a->num_columns ? &a->columns[i] : &b->columns[i - a->num_columns];
    }
    const int64_t rows = a->num_columns > 0 ? a->num_rows : b->num_rows;
    const pkh_status st = share_table(al, srcs, n, rows, out, err);
    pkh__free(al, srcs, (size_t)(n > 0 ? n : 1) * sizeof *srcs);
    return st;
}

pkh_status pkh_table_builder_add_external(pkh_table_builder *builder, const char *name,
                                          pkh_type type, const void *values,
                                          const uint8_t *validity, int64_t n,
                                          pkh_release_fn release, void *ctx, pkh_error *err)
{
    if (type != PKH_TYPE_INT64 && type != PKH_TYPE_FLOAT64) {
        return pkh__errorf(err, PKH_EINVAL,
                           "column \"%s\": only int64 and float64 data can be "
                           "borrowed",
                           name != NULL ? name : "");
    }
    if (values == NULL && n > 0) {
        return pkh__errorf(err, PKH_EINVAL, "column \"%s\": no values", name != NULL ? name : "");
    }
    pkh_column *c = NULL;
    pkh_status st = begin_column(builder, name, n, &c, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__store *s = pkh__alloc(builder->alloc, sizeof *s);
    if (s == NULL) {
        pkh__column_release(builder->alloc, c);
        return pkh__enomem(err);
    }
    memset(s, 0, sizeof *s);
    atomic_init(&s->refs, 1);
    s->alloc = builder->alloc;
    s->release = release;
    s->release_ctx = ctx;
    c->type = type;
    c->values = (void *)(uintptr_t)values;
    c->store = s;
    if (validity != NULL) {
        const int64_t valid = pkh__bitmap_count(validity, n);
        c->null_count = n - valid;
        c->validity = valid < n ? (uint8_t *)(uintptr_t)validity : NULL;
    }
    builder->n++;
    return PKH_OK;
}

pkh_status pkh_table_builder_finish(pkh_table_builder *builder, pkh_table **out, pkh_error *err)
{
    const int64_t rows = builder->n > 0 ? builder->columns[0].length : 0;
    pkh_status st = pkh__table_take(builder->alloc, builder->columns, builder->n, rows, out, err);
    builder->n = 0; /* moved or released either way */
    return st;
}
