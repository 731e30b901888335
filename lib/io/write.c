/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Table writers: CSV (plain or gzip) and JSON, written atomically.
 */
#include <math.h>

#include "internal/io.h"

typedef struct out_buf {
    pkh__outfile *f;
    char *p;
    size_t len, cap;
    pkh_status st;
    pkh_error *err;
} out_buf;

static void ob_flush(out_buf *o)
{
    if (o->st == PKH_OK && o->len > 0) {
        o->st = pkh__outfile_write(o->f, o->p, o->len, o->err);
    }
    o->len = 0;
}

static void ob_put(out_buf *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        ob_flush(o);
    }
    if (n > o->cap) {
        if (o->st == PKH_OK) {
            o->st = pkh__outfile_write(o->f, s, n, o->err);
        }
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void ob_str(out_buf *o, const char *s)
{
    ob_put(o, s, strlen(s));
}

static void ob_char(out_buf *o, char c)
{
    if (o->len == o->cap) {
        ob_flush(o);
    }
    o->p[o->len++] = c;
}

static void csv_field(out_buf *o, const char *s, size_t n, char delim)
{
    bool quote = n == 0 ? false : (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++) {
        quote = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    }
    if (!quote) {
        ob_put(o, s, n);
        return;
    }
    ob_char(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            ob_char(o, '"');
        }
        ob_char(o, s[i]);
    }
    ob_char(o, '"');
}

/* Text of a present cell (numbers formatted into buf). */
static const char *cell_text(const pkh_column *c, int64_t row, char *buf, size_t *len, locale_t loc)
{
    switch (c->type) {
    case PKH_TYPE_INT64:
        *len = pkh__int_text(((const int64_t *)c->values)[row], buf);
        return buf;
    case PKH_TYPE_FLOAT64:
        *len = pkh__format_double(((const double *)c->values)[row], buf, loc);
        return buf;
    case PKH_TYPE_BOOL: {
        const bool v = pkh__bit_get(c->values, row);
        *len = v ? 4 : 5;
        return v ? "true" : "false";
    }
    case PKH_TYPE_DICT: {
        const int32_t code = ((const int32_t *)c->values)[row];
        *len = (size_t)(c->dict_offsets[code + 1] - c->dict_offsets[code]);
        return c->dict_data + c->dict_offsets[code];
    }
    }
    *len = 0;
    return "";
}

static pkh_status open_out(out_buf *o, const char *path, int gzip, int level, const pkh_table *t,
                           pkh_error *err)
{
    memset(o, 0, sizeof *o);
    o->err = err;
    o->cap = (size_t)1 << 18;
    o->p = pkh__alloc(t->alloc, o->cap);
    if (o->p == NULL) {
        return pkh__enomem(err);
    }
    const pkh_status st = pkh__outfile_open(path, gzip, level, t->alloc, &o->f, err);
    if (st != PKH_OK) {
        pkh__free(t->alloc, o->p, o->cap);
    }
    return st;
}

static pkh_status close_out(out_buf *o, const pkh_table *t, locale_t loc)
{
    ob_flush(o);
    pkh_status st = o->st;
    if (st == PKH_OK) {
        st = pkh__outfile_commit(o->f, o->err);
    } else {
        pkh__outfile_abort(o->f);
    }
    pkh__free(t->alloc, o->p, o->cap);
    if (loc != (locale_t)0) {
        freelocale(loc);
    }
    return st;
}

pkh_status pkh_csv_write_path(const pkh_table *table, const char *path,
                              const pkh_csv_write_options *opts, pkh_error *err)
{
    static const pkh_csv_write_options defaults = PKH_CSV_WRITE_OPTIONS_INIT;
    const pkh_csv_write_options *w = opts != NULL ? opts : &defaults;
    const int gzip = w->gzip < 0 ? pkh__path_is_gz(path) : w->gzip;
    const char delim = w->delimiter != 0 ? w->delimiter : ',';
    const char *na = w->na != NULL ? w->na : "";
    locale_t loc = pkh__c_locale();
    if (loc == (locale_t)0) {
        return pkh__enomem(err);
    }
    out_buf o;
    pkh_status st = open_out(&o, path, gzip, w->level, table, err);
    if (st != PKH_OK) {
        freelocale(loc);
        return st;
    }
    for (int64_t c = 0; c < table->num_columns; c++) {
        if (c > 0) {
            ob_char(&o, delim);
        }
        csv_field(&o, table->columns[c].name, strlen(table->columns[c].name), delim);
    }
    ob_char(&o, '\n');
    char buf[40];
    for (int64_t r = 0; r < table->num_rows && o.st == PKH_OK; r++) {
        for (int64_t c = 0; c < table->num_columns; c++) {
            const pkh_column *col = &table->columns[c];
            if (c > 0) {
                ob_char(&o, delim);
            }
            if (col->validity != NULL && !pkh__bit_get(col->validity, r)) {
                ob_str(&o, na);
                continue;
            }
            size_t len;
            const char *s = cell_text(col, r, buf, &len, loc);
            if (col->type == PKH_TYPE_DICT) {
                csv_field(&o, s, len, delim);
            } else if (col->type == PKH_TYPE_FLOAT64 && isnan(((const double *)col->values)[r])) {
                ob_str(&o, na);
            } else {
                ob_put(&o, s, len);
            }
        }
        ob_char(&o, '\n');
    }
    return close_out(&o, table, loc);
}

static void json_string(out_buf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ob_char(o, '"');
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            ob_char(o, '\\');
            ob_char(o, (char)c);
        } else if (c == '\n') {
            ob_str(o, "\\n");
        } else if (c == '\t') {
            ob_str(o, "\\t");
        } else if (c == '\r') {
            ob_str(o, "\\r");
        } else if (c < 0x20) {
            const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ob_put(o, u, sizeof u);
        } else {
            ob_char(o, (char)c);
        }
    }
    ob_char(o, '"');
}

pkh_status pkh_json_write_path(const pkh_table *table, const char *meta_json, const char *path,
                               pkh_error *err)
{
    locale_t loc = pkh__c_locale();
    if (loc == (locale_t)0) {
        return pkh__enomem(err);
    }
    out_buf o;
    pkh_status st = open_out(&o, path, 0, 0, table, err);
    if (st != PKH_OK) {
        freelocale(loc);
        return st;
    }
    ob_str(&o, "{\"meta\": ");
    ob_str(&o, meta_json != NULL ? meta_json : "{}");
    ob_str(&o, ",\n\"results\": [");
    char buf[40];
    for (int64_t r = 0; r < table->num_rows && o.st == PKH_OK; r++) {
        ob_str(&o, r > 0 ? ",\n  {" : "\n  {");
        for (int64_t c = 0; c < table->num_columns; c++) {
            const pkh_column *col = &table->columns[c];
            if (c > 0) {
                ob_str(&o, ", ");
            }
            json_string(&o, col->name, strlen(col->name));
            ob_str(&o, ": ");
            if (col->validity != NULL && !pkh__bit_get(col->validity, r)) {
                ob_str(&o, "null");
                continue;
            }
            size_t len;
            const char *s = cell_text(col, r, buf, &len, loc);
            if (col->type == PKH_TYPE_DICT) {
                json_string(&o, s, len);
            } else if (col->type == PKH_TYPE_FLOAT64 &&
                       !isfinite(((const double *)col->values)[r])) {
                ob_str(&o, "null");
            } else {
                ob_put(&o, s, len);
            }
        }
        ob_char(&o, '}');
    }
    ob_str(&o, "\n]}\n");
    return close_out(&o, table, loc);
}
