/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pkh table -> Arrow C data interface and C stream interface, without copying column data.
 * Every node of an exported tree owns its private data and (for columns and dictionaries) a
 * one-column table sharing the column's storage, so nodes may be moved and released in any
 * order, from any thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_export.h"

/* A non-NULL stand-in for an empty buffer; all zeroes, so it is also the offsets {0} of an
 * empty dictionary. */
static const int64_t empty_buffer[8];

static pkh_status fail_enomem(pkh_error *err)
{
    if (err != NULL) {
        pkh_error_clear(err);
        err->code = PKH_ENOMEM;
        snprintf(err->message, sizeof err->message, "%s", pkh_status_string(PKH_ENOMEM));
    }
    return PKH_ENOMEM;
}

static char *copy_string(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c != NULL) {
        memcpy(c, s, n);
    }
    return c;
}

static const void *nonnull(const void *p)
{
    return p != NULL ? p : (const void *)empty_buffer;
}

/* ---- schemas ---- */

typedef struct schema_private {
    char *name;                    /* owned copy; NULL for a dictionary's value field */
    struct ArrowSchema **children; /* n_children pointers into `storage` */
    struct ArrowSchema *storage;
    struct ArrowSchema dictionary; /* the value type of a dictionary-encoded field */
} schema_private;

static void release_schema(struct ArrowSchema *s)
{
    if (s == NULL || s->release == NULL) {
        return;
    }
    schema_private *p = s->private_data;
    for (int64_t i = 0; i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c->release != NULL) { /* NULL when never filled, or moved out by the consumer */
            c->release(c);
        }
    }
    if (s->dictionary != NULL && s->dictionary->release != NULL) {
        s->dictionary->release(s->dictionary);
    }
    free(p->children);
    free(p->storage);
    free(p->name);
    free(p);
    s->release = NULL;
    s->private_data = NULL;
}

/* A node with `n_children` empty (released) children for the caller to fill. */
static int schema_init(struct ArrowSchema *s, const char *format, const char *name, int64_t flags,
                       int64_t n_children)
{
    schema_private *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return -1;
    }
    const size_t slots = n_children > 0 ? (size_t)n_children : 1;
    p->name = name != NULL ? copy_string(name) : NULL;
    p->children = calloc(slots, sizeof *p->children);
    p->storage = calloc(slots, sizeof *p->storage);
    if ((name != NULL && p->name == NULL) || p->children == NULL || p->storage == NULL) {
        free(p->name);
        free(p->children);
        free(p->storage);
        free(p);
        return -1;
    }
    for (int64_t i = 0; i < n_children; i++) {
        p->children[i] = &p->storage[i];
    }
    *s = (struct ArrowSchema){.format = format,
                              .name = p->name,
                              .metadata = NULL,
                              .flags = flags,
                              .n_children = n_children,
                              .children = p->children,
                              .dictionary = NULL,
                              .release = release_schema,
                              .private_data = p};
    return 0;
}

static const char *format_of(pkh_type type)
{
    switch (type) {
    case PKH_TYPE_INT64:
        return "l";
    case PKH_TYPE_FLOAT64:
        return "g";
    case PKH_TYPE_BOOL:
        return "b";
    case PKH_TYPE_DICT:
        return "i";
    }
    return "n"; /* unreachable for tables the library makes: the null type */
}

static int column_schema(const pkh_column *col, struct ArrowSchema *out)
{
    const pkh_type type = pkh_column_type(col);
    if (schema_init(out, format_of(type), pkh_column_name(col), ARROW_FLAG_NULLABLE, 0) != 0) {
        return -1;
    }
    if (type == PKH_TYPE_DICT) {
        schema_private *p = out->private_data;
        if (schema_init(&p->dictionary, "U", NULL, 0, 0) != 0) {
            release_schema(out);
            return -1;
        }
        out->dictionary = &p->dictionary;
    }
    return 0;
}

pkh_status pkhpy_arrow_export_schema(const pkh_table *table, struct ArrowSchema *out,
                                     pkh_error *err)
{
    const int64_t n = pkh_table_num_columns(table);
    struct ArrowSchema root;
    if (schema_init(&root, "+s", "", 0, n) != 0) {
        return fail_enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        if (column_schema(pkh_table_column_at(table, i), root.children[i]) != 0) {
            release_schema(&root);
            return fail_enomem(err);
        }
    }
    *out = root;
    return PKH_OK;
}

/* ---- arrays ---- */

typedef struct array_private {
    pkh_table *owner; /* one column sharing the storage; NULL for the struct */
    const void *buffers[3];
    struct ArrowArray **children;
    struct ArrowArray *storage;
    struct ArrowArray dictionary;
} array_private;

static void release_array(struct ArrowArray *a)
{
    if (a == NULL || a->release == NULL) {
        return;
    }
    array_private *p = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c->release != NULL) {
            c->release(c);
        }
    }
    if (a->dictionary != NULL && a->dictionary->release != NULL) {
        a->dictionary->release(a->dictionary);
    }
    pkh_table_free(p->owner);
    free(p->children);
    free(p->storage);
    free(p);
    a->release = NULL;
    a->private_data = NULL;
}

/* A node owning `owner` (also on failure) with empty children for the caller to fill. */
static int array_init(struct ArrowArray *a, pkh_table *owner, int64_t length, int64_t null_count,
                      int64_t n_buffers, int64_t n_children)
{
    array_private *p = calloc(1, sizeof *p);
    const size_t slots = n_children > 0 ? (size_t)n_children : 1;
    if (p != NULL) {
        p->children = calloc(slots, sizeof *p->children);
        p->storage = calloc(slots, sizeof *p->storage);
    }
    if (p == NULL || p->children == NULL || p->storage == NULL) {
        if (p != NULL) {
            free(p->children);
            free(p->storage);
            free(p);
        }
        pkh_table_free(owner);
        return -1;
    }
    p->owner = owner;
    for (int64_t i = 0; i < n_children; i++) {
        p->children[i] = &p->storage[i];
    }
    *a = (struct ArrowArray){.length = length,
                             .null_count = null_count,
                             .offset = 0,
                             .n_buffers = n_buffers,
                             .n_children = n_children,
                             .buffers = p->buffers,
                             .children = p->children,
                             .dictionary = NULL,
                             .release = release_array,
                             .private_data = p};
    return 0;
}

/* A table of the one column `name` of `table`, sharing its storage. */
static pkh_table *own_column(const pkh_table *table, const char *name)
{
    pkh_table *owner = NULL;
    if (pkh_table_select(table, &name, 1, &owner, NULL) != PKH_OK) {
        return NULL;
    }
    return owner;
}

/* The dictionary of a string column: large UTF-8 strings, no nulls. */
static int dictionary_array(const pkh_table *table, const char *name, struct ArrowArray *out)
{
    pkh_table *owner = own_column(table, name);
    if (owner == NULL) {
        return -1;
    }
    const pkh_column *col = pkh_table_column_at(owner, 0);
    const int64_t *offsets = NULL;
    const char *data = NULL;
    pkh_column_dict_buffers(col, &offsets, &data);
    if (array_init(out, owner, pkh_column_dict_size(col), 0, 3, 0) != 0) {
        return -1;
    }
    array_private *p = out->private_data;
    p->buffers[0] = NULL;
    p->buffers[1] = nonnull(offsets);
    p->buffers[2] = nonnull(data);
    return 0;
}

static int column_array(const pkh_table *table, const pkh_column *source, struct ArrowArray *out)
{
    const char *name = pkh_column_name(source);
    pkh_table *owner = own_column(table, name);
    if (owner == NULL) {
        return -1;
    }
    const pkh_column *col = pkh_table_column_at(owner, 0);
    const pkh_type type = pkh_column_type(col);
    const void *values = type == PKH_TYPE_INT64     ? (const void *)pkh_column_int64(col)
                         : type == PKH_TYPE_FLOAT64 ? (const void *)pkh_column_float64(col)
                         : type == PKH_TYPE_BOOL    ? (const void *)pkh_column_bool_bits(col)
                                                    : (const void *)pkh_column_codes(col);
    if (array_init(out, owner, pkh_column_length(col), pkh_column_null_count(col), 2, 0) != 0) {
        return -1;
    }
    array_private *p = out->private_data;
    p->buffers[0] = pkh_column_validity(col); /* NULL exactly when nothing is missing */
    p->buffers[1] = nonnull(values);
    if (type == PKH_TYPE_DICT) {
        if (dictionary_array(table, name, &p->dictionary) != 0) {
            release_array(out);
            return -1;
        }
        out->dictionary = &p->dictionary;
    }
    return 0;
}

pkh_status pkhpy_arrow_export_array(const pkh_table *table, struct ArrowArray *out, pkh_error *err)
{
    const int64_t n = pkh_table_num_columns(table);
    struct ArrowArray root;
    if (array_init(&root, NULL, pkh_table_num_rows(table), 0, 1, n) != 0) {
        return fail_enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        if (column_array(table, pkh_table_column_at(table, i), root.children[i]) != 0) {
            release_array(&root);
            return fail_enomem(err);
        }
    }
    *out = root;
    return PKH_OK;
}

/* ---- the stream: one batch, then the end ---- */

typedef struct stream_private {
    pkh_table *table; /* every column of the exported table, sharing its storage */
    bool done;
    char error[PKH_ERROR_MESSAGE_SIZE];
} stream_private;

static int stream_status(stream_private *p, pkh_status st, const pkh_error *e)
{
    if (st == PKH_OK) {
        p->error[0] = '\0';
        return 0;
    }
    snprintf(p->error, sizeof p->error, "%s", e->message);
    return st == PKH_ENOMEM ? ENOMEM : EINVAL;
}

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
    stream_private *p = s != NULL ? s->private_data : NULL;
    if (p == NULL) {
        return EINVAL; /* released */
    }
    pkh_error e;
    return stream_status(p, pkhpy_arrow_export_schema(p->table, out, &e), &e);
}

static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
    stream_private *p = s != NULL ? s->private_data : NULL;
    if (p == NULL) {
        return EINVAL;
    }
    if (p->done) {
        memset(out, 0, sizeof *out); /* release == NULL: the end of the stream */
        return 0;
    }
    pkh_error e;
    const pkh_status st = pkhpy_arrow_export_array(p->table, out, &e);
    p->done = st == PKH_OK;
    return stream_status(p, st, &e);
}

static const char *stream_get_last_error(struct ArrowArrayStream *s)
{
    const stream_private *p = s != NULL ? s->private_data : NULL;
    return p != NULL && p->error[0] != '\0' ? p->error : NULL;
}

static void stream_release(struct ArrowArrayStream *s)
{
    if (s == NULL || s->release == NULL) {
        return;
    }
    stream_private *p = s->private_data;
    pkh_table_free(p->table);
    free(p);
    s->release = NULL;
    s->private_data = NULL;
}

/* A table of all the columns of `table`, sharing their storage. */
static pkh_status share_table(const pkh_table *table, pkh_table **out, pkh_error *err)
{
    const int64_t n = pkh_table_num_columns(table);
    const char **names = malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
    if (names == NULL) {
        return fail_enomem(err);
    }
    for (int64_t i = 0; i < n; i++) {
        names[i] = pkh_column_name(pkh_table_column_at(table, i));
    }
    const pkh_status st = pkh_table_select(table, names, n, out, err);
    free(names);
    return st;
}

pkh_status pkhpy_arrow_export_stream(const pkh_table *table, struct ArrowArrayStream *out,
                                     pkh_error *err)
{
    stream_private *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return fail_enomem(err);
    }
    const pkh_status st = share_table(table, &p->table, err);
    if (st != PKH_OK) {
        free(p);
        return st;
    }
    *out = (struct ArrowArrayStream){.get_schema = stream_get_schema,
                                     .get_next = stream_get_next,
                                     .get_last_error = stream_get_last_error,
                                     .release = stream_release,
                                     .private_data = p};
    return PKH_OK;
}
