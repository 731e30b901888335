/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Programme rules: JSON (jansson) -> pkh_program, with every problem reported at its line and
 * column in the text. jansson gives positions for syntax errors only, so the place of a bad
 * value is found again by walking the text along the value's path (only when reporting).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/program.h"

/* ---- where a value is in the text ---- */

typedef struct pel {
    const char *key; /* object member, or NULL for an array element */
    int64_t index;
} pel;

#define MAX_DEPTH 8

static size_t skip_ws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) {
        i++;
    }
    return i;
}

/* t[i] is '"': the index just after the closing quote. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n && t[i] != '"'; i++) {
        i += t[i] == '\\';
    }
    return i < n ? i + 1 : n;
}

static size_t skip_value(const char *t, size_t n, size_t i)
{
    i = skip_ws(t, n, i);
    if (i >= n) {
        return n;
    }
    if (t[i] == '"') {
        return skip_string(t, n, i);
    }
    if (t[i] == '{' || t[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            if (t[i] == '"') {
                i = skip_string(t, n, i) - 1;
            } else if (t[i] == '{' || t[i] == '[') {
                depth++;
            } else if ((t[i] == '}' || t[i] == ']') && --depth == 0) {
                return i + 1;
            }
        }
        return n;
    }
    while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
           t[i] != '\r' && t[i] != '\t') {
        i++;
    }
    return i;
}

/* Does the JSON string at t[i] ('"') equal `key`? Simple escapes are decoded. */
static bool string_equals(const char *t, size_t n, size_t i, const char *key)
{
    size_t k = 0;
    for (i++; i < n && t[i] != '"'; i++) {
        char ch = t[i];
        if (ch == '\\' && i + 1 < n) {
            i++;
            ch = t[i] == 'n' ? '\n' : t[i] == 't' ? '\t' : t[i];
        }
        if (key[k] != ch) {
            return false;
        }
        k++;
    }
    return key[k] == '\0';
}

/* Offset of the value (or of its key) at `path`, or n when it cannot be found. */
static size_t find_path(const char *t, size_t n, const pel *path, int depth, bool at_key)
{
    size_t i = skip_ws(t, n, 0);
    for (int d = 0; d < depth; d++) {
        if (i >= n) {
            return n;
        }
        if (path[d].key != NULL && t[i] == '{') {
            size_t found = n, key_at = n;
            for (i = skip_ws(t, n, i + 1); i < n && t[i] == '"';) {
                const bool match = string_equals(t, n, i, path[d].key);
                key_at = i;
                i = skip_ws(t, n, skip_string(t, n, i));
                i = skip_ws(t, n, i + 1); /* ':' */
                if (match) {
                    found = i;
                    break;
                }
                i = skip_ws(t, n, skip_value(t, n, i));
                i = i < n && t[i] == ',' ? skip_ws(t, n, i + 1) : i;
            }
            if (found == n) {
                return n;
            }
            if (at_key && d == depth - 1) {
                return key_at;
            }
            i = found;
        } else if (path[d].key == NULL && t[i] == '[') {
            i = skip_ws(t, n, i + 1);
            for (int64_t k = 0; k < path[d].index && i < n; k++) {
                i = skip_ws(t, n, skip_value(t, n, i));
                i = i < n && t[i] == ',' ? skip_ws(t, n, i + 1) : i;
            }
        } else {
            return n;
        }
    }
    return i;
}

static pkh__pos pos_at(const char *t, size_t n, size_t off)
{
    pkh__pos p = {0, 0};
    if (off >= n) {
        return p;
    }
    p.line = 1;
    p.column = 1;
    for (size_t i = 0; i < off; i++) {
        if (t[i] == '\n') {
            p.line++;
            p.column = 1;
        } else if (((unsigned char)t[i] & 0xC0) != 0x80) {
            p.column++;
        }
    }
    return p;
}

/* ---- the parser's context ---- */

typedef struct pctx {
    pkh_program *p;
    pkh_error *err;
    pel path[MAX_DEPTH];
    int depth;
} pctx;

static void push_key(pctx *c, const char *key)
{
    if (c->depth < MAX_DEPTH) {
        c->path[c->depth].key = key;
        c->path[c->depth].index = 0;
    }
    c->depth++;
}

static void push_index(pctx *c, int64_t i)
{
    if (c->depth < MAX_DEPTH) {
        c->path[c->depth].key = NULL;
        c->path[c->depth].index = i;
    }
    c->depth++;
}

static void pop(pctx *c)
{
    c->depth--;
}

static void path_text(const pctx *c, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int d = 0; d < c->depth && d < MAX_DEPTH && o < cap; d++) {
        if (c->path[d].key != NULL) {
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", d ? "." : "", c->path[d].key);
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "[%lld]", (long long)c->path[d].index);
        }
    }
}

static pkh__pos here(const pctx *c, bool at_key)
{
    const int d = c->depth < MAX_DEPTH ? c->depth : MAX_DEPTH;
    return pos_at(c->p->text, c->p->text_len,
                  find_path(c->p->text, c->p->text_len, c->path, d, at_key));
}

static pkh_status fail_at(pctx *c, bool at_key, pkh_status code, const char *fmt, ...)
    PKH__PRINTF(4, 5);

static pkh_status fail_at(pctx *c, bool at_key, pkh_status code, const char *fmt, ...)
{
    char msg[400], where[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path_text(c, where, sizeof where);
    const pkh__pos pos = here(c, at_key);
    if (where[0] == '\0') {
        return pkh__error(c->err, code, c->p->source, pos.line, pos.column, "%s", msg);
    }
    return pkh__error(c->err, code, c->p->source, pos.line, pos.column, "%s: %s", where, msg);
}

#define fail(c, code, ...) fail_at((c), false, (code), __VA_ARGS__)

static pkh_status nomem(pctx *c)
{
    return pkh__enomem(c->err);
}

/* ---- small helpers ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t row[64];
    const size_t la = strlen(a), lb = strlen(b);
    if (la >= 63 || lb >= 63) {
        return 99;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            const size_t up = row[j];
            const size_t sub = diag + (a[i - 1] != b[j - 1]);
            const size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* Unknown keys of `obj` are errors, naming the closest allowed one. */
static pkh_status check_keys(pctx *c, json_t *obj, const char *const *allowed, const char *what)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        bool ok = false;
        const char *best = NULL;
        size_t best_d = 3;
        char list[300];
        size_t o = 0;
        list[0] = '\0';
        for (const char *const *k = allowed; *k != NULL; k++) {
            ok = ok || strcmp(*k, key) == 0;
            const size_t d = edit_distance(*k, key);
            if (d < best_d) {
                best_d = d;
                best = *k;
            }
            if (o < sizeof list) {
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", *k);
            }
        }
        if (!ok) {
            push_key(c, key);
            pkh_status st;
            if (best != NULL) {
                st = fail_at(c, true, PKH_EINVAL,
                             "unknown field \"%s\" in %s: did you mean "
                             "\"%s\"? (the fields are: %s)",
                             key, what, best, list);
            } else {
                st = fail_at(c, true, PKH_EINVAL,
                             "unknown field \"%s\" in %s (the fields are: "
                             "%s)",
                             key, what, list);
            }
            pop(c);
            return st;
        }
    }
    return PKH_OK;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static bool is_identifier(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) {
        return false;
    }
    for (s++; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_')) {
            return false;
        }
    }
    return true;
}

/* A string member: *out is a copy, or NULL when absent and not required. */
static pkh_status get_string(pctx *c, json_t *obj, const char *key, bool required, char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (!required) {
            return PKH_OK;
        }
        return fail(c, PKH_EINVAL, "\"%s\" is required", key);
    }
    push_key(c, key);
    pkh_status st = PKH_OK;
    if (!json_is_string(v)) {
        st = fail(c, PKH_EINVAL, "should be a string, not %s", json_kind(v));
    } else if (required && json_string_length(v) == 0) {
        st = fail(c, PKH_EINVAL, "should not be empty");
    } else if ((*out = pkh__strndup(c->p->alloc, json_string_value(v), json_string_length(v))) ==
               NULL) {
        st = nomem(c);
    }
    pop(c);
    return st;
}

static pkh_status get_name(pctx *c, json_t *obj, char **out)
{
    pkh_status st = get_string(c, obj, "name", true, out);
    if (st == PKH_OK && strlen(*out) > PKH__MAX_NAME) {
        push_key(c, "name");
        st = fail(c, PKH_EINVAL, "a name of at most %d characters, please", PKH__MAX_NAME);
        pop(c);
    } else if (st == PKH_OK && !is_identifier(*out)) {
        push_key(c, "name");
        st = fail(c, PKH_EINVAL,
                  "\"%s\" is not a name: use letters, digits and _ (not first), "
                  "e.g. \"smp\" or \"elderly60\"",
                  *out);
        pop(c);
    }
    return st;
}

/* A non-negative finite number; `v` is the value at the current path. */
static pkh_status amount_value(pctx *c, json_t *v, double *out)
{
    if (!json_is_number(v)) {
        return fail(c, PKH_EINVAL, "an amount should be a number, not %s", json_kind(v));
    }
    const double x = json_number_value(v);
    if (!isfinite(x)) {
        return fail(c, PKH_EINVAL, "the amount is not a finite number");
    }
    if (x < 0) {
        return fail(c, PKH_EINVAL,
                    "a negative amount (%g): amounts are what a family is paid, "
                    "0 or more",
                    x);
    }
    *out = x;
    return PKH_OK;
}

static pkh_status get_amount(pctx *c, json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        return fail(c, PKH_EINVAL, "\"%s\" is required: the amount, in %s per %s", key,
                    c->p->currency, c->p->monthly ? "month" : "year");
    }
    push_key(c, key);
    const pkh_status st = amount_value(c, v, out);
    pop(c);
    if (st == PKH_OK && c->p->monthly) {
        *out *= 12;
    }
    return st;
}

/* A condition: parsed now, columns checked at simulation time. */
static pkh_status get_expr(pctx *c, json_t *obj, const char *key, pkh_expr **out, pkh__pos *pos)
{
    char *text = NULL;
    *out = NULL;
    pkh_status st = get_string(c, obj, key, false, &text);
    if (st != PKH_OK || text == NULL) {
        return st;
    }
    push_key(c, key);
    *pos = here(c, false);
    pkh_error e;
    st = pkh_expr_parse(text, c->p->alloc, out, &e);
    if (st == PKH_ENOMEM) {
        st = nomem(c);
    } else if (st != PKH_OK) {
        char where[160];
        path_text(c, where, sizeof where);
        /* the character inside the string, when the string has no escapes before it */
        const int64_t col = pos->column > 0 ? pos->column + (e.column > 0 ? e.column : 0) : 0;
        st = pkh__error(c->err, PKH_EPARSE, c->p->source, pos->line, col, "%s: %s", where,
                        e.message);
    }
    pop(c);
    pkh__free_str(c->p->alloc, text);
    return st;
}

/* ---- the parts of a programme ---- */

static int64_t component_index(const pkh_program *p, const char *name)
{
    for (int64_t k = 0; k < p->n_comp; k++) {
        if (strcmp(p->comp[k].name, name) == 0) {
            return k;
        }
    }
    return -1;
}

static int64_t flat_index(const pkh_program *p, const char *name)
{
    for (int64_t f = 0; f < p->n_flat; f++) {
        if (strcmp(p->flat[f].name, name) == 0) {
            return f;
        }
    }
    return -1;
}

static pkh_status parse_component(pctx *c, json_t *o, pkh__comp *k)
{
    static const char *const keys[] = {"name",  "label",  "group", "amount",
                                       "count", "member", "notes", NULL};
    if (!json_is_object(o)) {
        return fail(c, PKH_EINVAL,
                    "a component should be an object like {\"name\": \"sd\", "
                    "\"amount\": 900000, \"count\": \"n_sd\"}, not %s",
                    json_kind(o));
    }
    pkh_status st = check_keys(c, o, keys, "a component");
    st = st == PKH_OK ? get_name(c, o, &k->name) : st;
    st = st == PKH_OK ? get_string(c, o, "label", false, &k->label) : st;
    st = st == PKH_OK ? get_amount(c, o, "amount", &k->annual) : st;
    st = st == PKH_OK ? get_string(c, o, "count", false, &k->count) : st;
    if (st == PKH_OK && k->count != NULL) {
        push_key(c, "count");
        k->count_pos = here(c, false);
        pop(c);
    }
    st = st == PKH_OK ? get_expr(c, o, "member", &k->member, &k->member_pos) : st;
    if (st == PKH_OK && k->count == NULL && k->member == NULL) {
        st = fail(c, PKH_EINVAL,
                  "component \"%s\" says neither which household column holds "
                  "its count (\"count\") nor which members it counts (\"member\")",
                  k->name);
    }
    return st;
}

static pkh_status parse_components(pctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "components");
    if (arr == NULL) {
        return PKH_OK;
    }
    push_key(c, "components");
    pkh_status st = PKH_OK;
    if (!json_is_array(arr)) {
        st = fail(c, PKH_EINVAL, "should be an array of components, not %s", json_kind(arr));
    } else if (json_array_size(arr) > PKH__MAX_COMPONENTS) {
        st = fail(c, PKH_EINVAL, "at most %d components, please", PKH__MAX_COMPONENTS);
    }
    const size_t n = st == PKH_OK ? json_array_size(arr) : 0;
    if (st == PKH_OK && n > 0) {
        c->p->comp = pkh__calloc(c->p->alloc, n, sizeof *c->p->comp);
        c->p->comp_cap = n;
        st = c->p->comp == NULL ? nomem(c) : PKH_OK;
    }
    for (size_t i = 0; i < n && st == PKH_OK; i++) {
        push_index(c, (int64_t)i);
        c->p->n_comp = (int64_t)i + 1;
        st = parse_component(c, json_array_get(arr, i), &c->p->comp[i]);
        if (st == PKH_OK && component_index(c->p, c->p->comp[i].name) < (int64_t)i) {
            push_key(c, "name");
            st = fail(c, PKH_EDUPLICATE, "a second component named \"%s\"", c->p->comp[i].name);
            pop(c);
        }
        pop(c);
    }
    pop(c);
    return st;
}

/* One stage's amounts: an object {component: amount} or the name of a schedule. */
static pkh_status stage_amounts(pctx *c, json_t *root, json_t *v, pkh__stage *s)
{
    if (json_is_string(v)) {
        json_t *sch = json_object_get(json_object_get(root, "schedules"), json_string_value(v));
        if (sch == NULL) {
            return fail(c, PKH_EINVAL, "no schedule named \"%s\" under \"schedules\"",
                        json_string_value(v));
        }
        v = sch; /* checked with the schedules */
    } else if (!json_is_object(v)) {
        return fail(c, PKH_EINVAL,
                    "should be an object of amounts by component, or the name of "
                    "a schedule, not %s",
                    json_kind(v));
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        const int64_t k = component_index(c->p, key);
        if (k >= 0 && json_is_number(val) && json_number_value(val) >= 0) {
            s->rate[k] = json_number_value(val) * (c->p->monthly ? 12 : 1);
        } else {
            push_key(c, key);
            const pkh_status st = k < 0 ? fail_at(c, true, PKH_EINVAL,
                                                  "unknown component "
                                                  "\"%s\"",
                                                  key)
                                        : amount_value(c, val, &(double){0});
            pop(c);
            return st;
        }
    }
    return PKH_OK;
}

static pkh_status parse_schedules(pctx *c, json_t *root)
{
    json_t *sch = json_object_get(root, "schedules");
    if (sch == NULL) {
        return PKH_OK;
    }
    push_key(c, "schedules");
    pkh_status st = PKH_OK;
    if (!json_is_object(sch)) {
        st = fail(c, PKH_EINVAL,
                  "should be an object of named schedules, e.g. {\"topup\": "
                  "{\"sd\": 1125000}}, not %s",
                  json_kind(sch));
    }
    const size_t nn = (size_t)(c->p->n_comp > 0 ? c->p->n_comp : 1);
    pkh__stage tmp = {NULL, 0, pkh__calloc(c->p->alloc, nn, sizeof(double))};
    st = st == PKH_OK && tmp.rate == NULL ? nomem(c) : st;
    const char *key;
    json_t *val;
    if (st == PKH_OK) {
        json_object_foreach(sch, key, val)
        {
            push_key(c, key);
            st = stage_amounts(c, root, val, &tmp);
            pop(c);
            if (st != PKH_OK) {
                break;
            }
        }
    }
    pkh__free(c->p->alloc, tmp.rate, nn * sizeof(double));
    pop(c);
    return st;
}

static pkh_status parse_stage(pctx *c, json_t *root, json_t *o, pkh__stage *s, int *has_len)
{
    static const char *const keys[] = {"name", "months", "share", "amounts", "notes", NULL};
    if (!json_is_object(o)) {
        return fail(c, PKH_EINVAL,
                    "a stage should be an object like {\"name\": \"January\", "
                    "\"months\": 3}, not %s",
                    json_kind(o));
    }
    pkh_status st = check_keys(c, o, keys, "a stage");
    st = st == PKH_OK ? get_string(c, o, "name", true, &s->name) : st;
    json_t *months = json_object_get(o, "months"), *share = json_object_get(o, "share");
    *has_len = months != NULL || share != NULL;
    if (st == PKH_OK && months != NULL && share != NULL) {
        st = fail(c, PKH_EINVAL, "give either \"months\" or \"share\", not both");
    }
    if (st == PKH_OK && *has_len) {
        push_key(c, months != NULL ? "months" : "share");
        json_t *v = months != NULL ? months : share;
        const double x = json_is_number(v) ? json_number_value(v) : NAN;
        const double lim = months != NULL ? 12 : 1;
        if (!(x > 0 && x <= lim)) {
            st = fail(c, PKH_EINVAL, "should be a number above 0 and at most %g", lim);
        }
        s->share = months != NULL ? x / 12 : x;
        pop(c);
    }
    for (int64_t k = 0; k < c->p->n_comp; k++) {
        s->rate[k] = c->p->comp[k].annual;
    }
    json_t *amounts = json_object_get(o, "amounts");
    if (st == PKH_OK && amounts != NULL) {
        push_key(c, "amounts");
        st = stage_amounts(c, root, amounts, s);
        pop(c);
    }
    return st;
}

static pkh_status default_stage(pctx *c)
{
    const pkh_allocator *a = c->p->alloc;
    const size_t nn = (size_t)(c->p->n_comp > 0 ? c->p->n_comp : 1);
    c->p->stage = pkh__calloc(a, 1, sizeof *c->p->stage);
    c->p->stage_cap = 1;
    if (c->p->stage == NULL) {
        return nomem(c);
    }
    c->p->n_stage = 1;
    c->p->stage[0].name = pkh__strdup(a, "year");
    c->p->stage[0].share = 1;
    c->p->stage[0].rate = pkh__calloc(a, nn, sizeof(double));
    if (c->p->stage[0].name == NULL || c->p->stage[0].rate == NULL) {
        return nomem(c);
    }
    for (int64_t k = 0; k < c->p->n_comp; k++) {
        c->p->stage[0].rate[k] = c->p->comp[k].annual;
    }
    return PKH_OK;
}

static pkh_status check_shares(pctx *c, int with_len, int64_t n)
{
    pkh_program *p = c->p;
    if (with_len != 0 && with_len != n) {
        return fail(c, PKH_EINVAL,
                    "give \"months\" (or \"share\") for every stage or for none "
                    "(none: equal parts of the year)");
    }
    double total = 0;
    for (int64_t s = 0; s < n; s++) {
        p->stage[s].share = with_len ? p->stage[s].share : 1.0 / (double)n;
        total += p->stage[s].share;
    }
    if (fabs(total - 1) > 1e-9) {
        return fail(c, PKH_EINVAL,
                    "the stages cover %g months, not 12: amounts are annual "
                    "rates and the stages must split the whole year",
                    total * 12);
    }
    return PKH_OK;
}

static pkh_status parse_stages(pctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "stages");
    if (arr == NULL) {
        return default_stage(c);
    }
    push_key(c, "stages");
    pkh_status st = PKH_OK;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        st = fail(c, PKH_EINVAL, "should be a non-empty array of stages, not %s",
                  json_is_array(arr) ? "an empty array" : json_kind(arr));
    }
    const size_t n = st == PKH_OK ? json_array_size(arr) : 0;
    const size_t nn = (size_t)(c->p->n_comp > 0 ? c->p->n_comp : 1);
    if (st == PKH_OK) {
        c->p->stage = pkh__calloc(c->p->alloc, n, sizeof *c->p->stage);
        c->p->stage_cap = n;
        st = c->p->stage == NULL ? nomem(c) : PKH_OK;
    }
    int with_len = 0;
    for (size_t i = 0; i < n && st == PKH_OK; i++) {
        push_index(c, (int64_t)i);
        c->p->n_stage = (int64_t)i + 1;
        c->p->stage[i].rate = pkh__calloc(c->p->alloc, nn, sizeof(double));
        int has_len = 0;
        st = c->p->stage[i].rate == NULL
                 ? nomem(c)
                 : parse_stage(c, root, json_array_get(arr, i), &c->p->stage[i], &has_len);
        with_len += has_len;
        pop(c);
    }
    st = st == PKH_OK ? check_shares(c, with_len, (int64_t)n) : st;
    pop(c);
    return st;
}

static pkh_status flat_stages(pctx *c, json_t *o, pkh__flat *f)
{
    const size_t ns = (size_t)c->p->n_stage;
    f->in_stage = pkh__calloc(c->p->alloc, ns, 1);
    if (f->in_stage == NULL) {
        return nomem(c);
    }
    json_t *arr = json_object_get(o, "stages");
    if (arr == NULL) {
        memset(f->in_stage, 1, ns);
        f->n_in = (int64_t)ns;
        return PKH_OK;
    }
    push_key(c, "stages");
    pkh_status st = PKH_OK;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        st = fail(c, PKH_EINVAL,
                  "should list the stages it is paid in, e.g. [1] for the first "
                  "only");
    }
    for (size_t i = 0; st == PKH_OK && i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        const json_int_t s = json_is_integer(v) ? json_integer_value(v) : 0;
        push_index(c, (int64_t)i);
        if (s < 1 || s > (json_int_t)ns) {
            st = fail(c, PKH_EINVAL, "not a stage number: stages are numbered 1 to %lld",
                      (long long)ns);
        } else if (f->in_stage[s - 1]) {
            st = fail(c, PKH_EDUPLICATE, "stage %lld is listed twice", (long long)s);
        } else {
            f->in_stage[s - 1] = 1;
            f->n_in++;
        }
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status parse_flat(pctx *c, json_t *o, pkh__flat *f)
{
    static const char *const keys[] = {"name",      "label", "amount", "stages",
                                       "condition", "notes", NULL};
    if (!json_is_object(o)) {
        return fail(c, PKH_EINVAL,
                    "a flat benefit should be an object like {\"name\": "
                    "\"reguler\", \"amount\": 550000, \"stages\": [1]}, not %s",
                    json_kind(o));
    }
    pkh_status st = check_keys(c, o, keys, "a flat benefit");
    st = st == PKH_OK ? get_name(c, o, &f->name) : st;
    st = st == PKH_OK ? get_string(c, o, "label", false, &f->label) : st;
    st = st == PKH_OK ? get_amount(c, o, "amount", &f->amount) : st;
    st = st == PKH_OK ? flat_stages(c, o, f) : st;
    st = st == PKH_OK ? get_expr(c, o, "condition", &f->cond, &f->cond_pos) : st;
    return st;
}

static pkh_status parse_flats(pctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "flat");
    if (arr == NULL) {
        return PKH_OK;
    }
    push_key(c, "flat");
    pkh_status st = PKH_OK;
    if (!json_is_array(arr)) {
        st = fail(c, PKH_EINVAL, "should be an array of flat benefits, not %s", json_kind(arr));
    }
    const size_t n = st == PKH_OK ? json_array_size(arr) : 0;
    if (n > 0) {
        c->p->flat = pkh__calloc(c->p->alloc, n, sizeof *c->p->flat);
        c->p->flat_cap = n;
        st = c->p->flat == NULL ? nomem(c) : PKH_OK;
    }
    for (size_t i = 0; i < n && st == PKH_OK; i++) {
        push_index(c, (int64_t)i);
        c->p->n_flat = (int64_t)i + 1;
        pkh__flat *f = &c->p->flat[i];
        st = parse_flat(c, json_array_get(arr, i), f);
        if (st == PKH_OK &&
            (flat_index(c->p, f->name) < (int64_t)i || component_index(c->p, f->name) >= 0)) {
            push_key(c, "name");
            st = fail(c, PKH_EDUPLICATE, "the name \"%s\" is already used by a %s", f->name,
                      component_index(c->p, f->name) >= 0 ? "component" : "flat benefit");
            pop(c);
        }
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status parse_flag(pctx *c, json_t *o, pkh__flag *f)
{
    static const char *const keys[] = {"name", "description", "default", NULL};
    if (!json_is_object(o)) {
        return fail(c, PKH_EINVAL,
                    "a flag should be an object like {\"name\": \"akses\", "
                    "\"default\": false}, not %s",
                    json_kind(o));
    }
    pkh_status st = check_keys(c, o, keys, "a flag");
    st = st == PKH_OK ? get_name(c, o, &f->name) : st;
    st = st == PKH_OK ? get_string(c, o, "description", false, &f->description) : st;
    json_t *d = json_object_get(o, "default");
    if (st == PKH_OK && d != NULL) {
        push_key(c, "default");
        if (json_is_boolean(d) ||
            (json_is_integer(d) && (json_integer_value(d) == 0 || json_integer_value(d) == 1))) {
            f->dflt = json_is_true(d) || (json_is_integer(d) && json_integer_value(d) == 1);
        } else {
            st = fail(c, PKH_EINVAL, "should be true or false (or 1 or 0)");
        }
        pop(c);
    }
    return st;
}

static pkh_status parse_flags(pctx *c, json_t *root)
{
    json_t *arr = json_object_get(root, "flags");
    if (arr == NULL) {
        return PKH_OK;
    }
    push_key(c, "flags");
    pkh_status st = PKH_OK;
    if (!json_is_array(arr)) {
        st = fail(c, PKH_EINVAL, "should be an array of flags, not %s", json_kind(arr));
    }
    const size_t n = st == PKH_OK ? json_array_size(arr) : 0;
    if (n > 0) {
        c->p->flag = pkh__calloc(c->p->alloc, n, sizeof *c->p->flag);
        c->p->flag_cap = n;
        st = c->p->flag == NULL ? nomem(c) : PKH_OK;
    }
    for (size_t i = 0; i < n && st == PKH_OK; i++) {
        push_index(c, (int64_t)i);
        c->p->n_flag = (int64_t)i + 1;
        st = parse_flag(c, json_array_get(arr, i), &c->p->flag[i]);
        for (size_t j = 0; j < i && st == PKH_OK; j++) {
            if (strcmp(c->p->flag[j].name, c->p->flag[i].name) == 0) {
                st = fail(c, PKH_EDUPLICATE, "a second flag named \"%s\"", c->p->flag[i].name);
            }
        }
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status parse_cap(pctx *c, json_t *root)
{
    json_t *v = json_object_get(root, "cap");
    if (v == NULL || json_is_null(v)) {
        return PKH_OK;
    }
    push_key(c, "cap");
    pkh_status st = PKH_OK;
    json_t *members = v, *keep = NULL;
    if (json_is_object(v)) {
        static const char *const keys[] = {"members", "keep", NULL};
        st = check_keys(c, v, keys, "the cap");
        members = json_object_get(v, "members");
        keep = json_object_get(v, "keep");
        push_key(c, "members");
    }
    if (st == PKH_OK && !(json_is_integer(members) && json_integer_value(members) >= 0)) {
        st = fail(c, PKH_EINVAL,
                  "the cap is a whole number of members counted per family, "
                  "e.g. 4 (0: no cap)");
    }
    c->p->cap = st == PKH_OK ? (int64_t)json_integer_value(members) : 0;
    if (json_is_object(v)) {
        pop(c);
    }
    if (st == PKH_OK && keep != NULL) {
        push_key(c, "keep");
        const char *k = json_is_string(keep) ? json_string_value(keep) : "";
        if (strcmp(k, "highest") == 0 || strcmp(k, "listed") == 0) {
            c->p->keep_listed = strcmp(k, "listed") == 0;
        } else {
            st = fail(c, PKH_EINVAL,
                      "should be \"highest\" (the highest-paid members are kept) "
                      "or \"listed\" (members of the components listed first)");
        }
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status elig_number(pctx *c, json_t *o, const char *key, pkh_selection kind, int *seen)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return PKH_OK;
    }
    push_key(c, key);
    pkh_status st = PKH_OK;
    const double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (++*seen > 1) {
        st = fail(c, PKH_EINVAL,
                  "give one of \"cutoff\", \"quota\", \"families\" or "
                  "\"budget\"");
    } else if (!isfinite(x)) {
        st = fail(c, PKH_EINVAL, "should be a number");
    } else if (kind == PKH_SELECT_QUOTA && !(x > 0 && x <= 1)) {
        st = fail(c, PKH_EINVAL,
                  "the quota is a share of all families, above 0 and at most 1 "
                  "(0.1 for 10%%)");
    } else if ((kind == PKH_SELECT_FAMILIES || kind == PKH_SELECT_BUDGET) && !(x > 0)) {
        st = fail(c, PKH_EINVAL, "should be above 0");
    }
    c->p->elig.kind = kind;
    c->p->elig.value = x;
    pop(c);
    return st;
}

static pkh_status parse_eligibility(pctx *c, json_t *root)
{
    static const char *const keys[] = {"recipient", "score",  "cutoff",    "quota",
                                       "families",  "budget", "condition", "require_component",
                                       "notes",     NULL};
    pkh_program *p = c->p;
    p->require_component = p->n_comp > 0;
    json_t *o = json_object_get(root, "eligibility");
    if (o == NULL) {
        return PKH_OK;
    }
    push_key(c, "eligibility");
    pkh_status st = json_is_object(o)
                        ? check_keys(c, o, keys, "the eligibility")
                        : fail(c, PKH_EINVAL, "should be an object, not %s", json_kind(o));
    char *recipient = NULL, *score = NULL;
    st = st == PKH_OK ? get_string(c, o, "recipient", false, &recipient) : st;
    st = st == PKH_OK ? get_string(c, o, "score", false, &score) : st;
    int seen = 0;
    st = st == PKH_OK ? elig_number(c, o, "cutoff", PKH_SELECT_CUTOFF, &seen) : st;
    st = st == PKH_OK ? elig_number(c, o, "quota", PKH_SELECT_QUOTA, &seen) : st;
    st = st == PKH_OK ? elig_number(c, o, "families", PKH_SELECT_FAMILIES, &seen) : st;
    st = st == PKH_OK ? elig_number(c, o, "budget", PKH_SELECT_BUDGET, &seen) : st;
    if (st == PKH_OK && recipient != NULL && (score != NULL || seen)) {
        st = fail(c, PKH_EINVAL, "give either a recipient column or a score, not both");
    } else if (st == PKH_OK && score != NULL && !seen) {
        st = fail(c, PKH_EINVAL,
                  "a score needs a \"cutoff\", \"quota\", \"families\" or "
                  "\"budget\"");
    } else if (st == PKH_OK && score == NULL && seen) {
        st = fail(c, PKH_EINVAL,
                  "a cut-off, quota, number of families or budget needs the "
                  "\"score\" column that ranks the families");
    }
    if (st == PKH_OK && recipient != NULL) {
        p->elig.kind = PKH_SELECT_RECIPIENT;
    }
    p->elig_column = recipient != NULL ? recipient : score;
    p->elig.column = p->elig_column;
    if (st == PKH_OK && p->elig_column != NULL) {
        push_key(c, recipient != NULL ? "recipient" : "score");
        p->elig_pos = here(c, false);
        pop(c);
    }
    if (recipient != NULL && score != NULL) {
        pkh__free_str(p->alloc, score);
    }
    st = st == PKH_OK ? get_expr(c, o, "condition", &p->condition, &p->condition_pos) : st;
    json_t *rc = json_object_get(o, "require_component");
    if (st == PKH_OK && rc != NULL) {
        push_key(c, "require_component");
        st = json_is_boolean(rc) ? PKH_OK : fail(c, PKH_EINVAL, "should be true or false");
        p->require_component = json_is_true(rc);
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status parse_notes(pctx *c, json_t *root)
{
    json_t *v = json_object_get(root, "notes");
    if (v == NULL) {
        return PKH_OK;
    }
    push_key(c, "notes");
    pkh_status st = PKH_OK;
    const size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_array(v) && !json_is_string(v)) {
        st = fail(c, PKH_EINVAL, "should be a string or an array of strings");
    }
    if (st == PKH_OK && n > 0) {
        c->p->notes = pkh__calloc(c->p->alloc, n, sizeof *c->p->notes);
        c->p->notes_cap = n;
        st = c->p->notes == NULL ? nomem(c) : PKH_OK;
    }
    for (size_t i = 0; i < n && st == PKH_OK; i++) {
        json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
        push_index(c, (int64_t)i);
        if (!json_is_string(s)) {
            st = fail(c, PKH_EINVAL, "a note should be a string, not %s", json_kind(s));
        } else {
            c->p->notes[i] = pkh__strdup(c->p->alloc, json_string_value(s));
            st = c->p->notes[i] == NULL ? nomem(c) : PKH_OK;
            c->p->n_notes = (int64_t)i + 1;
        }
        pop(c);
    }
    pop(c);
    return st;
}

static pkh_status parse_header(pctx *c, json_t *root)
{
    static const char *const keys[] = {"name",          "title",  "country",    "year",  "currency",
                                       "amount_period", "notes",  "components", "flat",  "cap",
                                       "eligibility",   "stages", "schedules",  "flags", NULL};
    pkh_program *p = c->p;
    if (!json_is_object(root)) {
        return fail(c, PKH_EINVAL, "programme rules are a JSON object, not %s", json_kind(root));
    }
    pkh_status st = check_keys(c, root, keys, "the programme");
    st = st == PKH_OK ? get_string(c, root, "name", false, &p->name) : st;
    st = st == PKH_OK ? get_string(c, root, "title", false, &p->title) : st;
    st = st == PKH_OK ? get_string(c, root, "country", false, &p->country) : st;
    st = st == PKH_OK ? get_string(c, root, "currency", true, &p->currency) : st;
    json_t *y = json_object_get(root, "year");
    if (st == PKH_OK && y != NULL) {
        push_key(c, "year");
        st = json_is_integer(y) ? PKH_OK : fail(c, PKH_EINVAL, "should be a year, e.g. 2019");
        p->year = json_is_integer(y) ? (int64_t)json_integer_value(y) : 0;
        pop(c);
    }
    char *period = NULL;
    st = st == PKH_OK ? get_string(c, root, "amount_period", false, &period) : st;
    if (st == PKH_OK && period != NULL) {
        push_key(c, "amount_period");
        if (strcmp(period, "month") == 0 || strcmp(period, "year") == 0) {
            p->monthly = strcmp(period, "month") == 0;
        } else {
            st = fail(c, PKH_EINVAL, "should be \"year\" (amounts per year) or \"month\"");
        }
        pop(c);
    }
    pkh__free_str(p->alloc, period);
    return st == PKH_OK ? parse_notes(c, root) : st;
}

static pkh_status parse_all(pctx *c, json_t *root)
{
    pkh_status st = parse_header(c, root);
    st = st == PKH_OK ? parse_components(c, root) : st;
    st = st == PKH_OK ? parse_schedules(c, root) : st;
    st = st == PKH_OK ? parse_stages(c, root) : st;
    st = st == PKH_OK ? parse_flats(c, root) : st;
    st = st == PKH_OK ? parse_flags(c, root) : st;
    st = st == PKH_OK ? parse_cap(c, root) : st;
    st = st == PKH_OK ? parse_eligibility(c, root) : st;
    if (st == PKH_OK && c->p->n_comp == 0 && c->p->n_flat == 0) {
        st = fail(c, PKH_EINVAL,
                  "the programme pays nothing: give \"components\" or \"flat\" "
                  "benefits");
    }
    if (st == PKH_OK) {
        c->p->order = pkh__calloc(c->p->alloc, (size_t)(c->p->n_comp > 0 ? c->p->n_comp : 1),
                                  sizeof *c->p->order);
        st = c->p->order == NULL ? nomem(c) : PKH_OK;
    }
    if (st == PKH_OK) {
        pkh__program_refresh(c->p);
    }
    return st;
}

void pkh__program_refresh(pkh_program *p)
{
    for (int64_t k = 0; k < p->n_comp; k++) {
        pkh__ksum a = {0, 0};
        for (int64_t s = 0; s < p->n_stage; s++) {
            pkh__ksum_add(&a, p->stage[s].share * p->stage[s].rate[k]);
        }
        p->comp[k].annual = pkh__ksum_value(&a);
        p->order[k] = k;
    }
    /* keep order: highest annual amount first, ties in listed order (insertion sort: few) */
    for (int64_t i = 1; i < p->n_comp && !p->keep_listed; i++) {
        const int64_t k = p->order[i];
        int64_t j = i;
        while (j > 0 && p->comp[p->order[j - 1]].annual < p->comp[k].annual) {
            p->order[j] = p->order[j - 1];
            j--;
        }
        p->order[j] = k;
    }
    for (int64_t i = 0; i < p->n_comp; i++) {
        p->comp[p->order[i]].rank = i;
    }
}

/* ---- public ---- */

void pkh_program_free(pkh_program *p)
{
    if (p == NULL) {
        return;
    }
    const pkh_allocator *a = p->alloc;
    for (int64_t k = 0; k < p->n_comp; k++) {
        pkh__free_str(a, p->comp[k].name);
        pkh__free_str(a, p->comp[k].label);
        pkh__free_str(a, p->comp[k].count);
        pkh_expr_free(p->comp[k].member);
    }
    for (int64_t f = 0; f < p->n_flat; f++) {
        pkh__free_str(a, p->flat[f].name);
        pkh__free_str(a, p->flat[f].label);
        pkh__free(a, p->flat[f].in_stage, (size_t)(p->n_stage > 0 ? p->n_stage : 1));
        pkh_expr_free(p->flat[f].cond);
    }
    for (int64_t s = 0; s < p->n_stage; s++) {
        pkh__free_str(a, p->stage[s].name);
        pkh__free(a, p->stage[s].rate, (size_t)(p->n_comp > 0 ? p->n_comp : 1) * sizeof(double));
    }
    for (int64_t f = 0; f < p->n_flag; f++) {
        pkh__free_str(a, p->flag[f].name);
        pkh__free_str(a, p->flag[f].description);
    }
    for (int64_t i = 0; i < p->n_notes; i++) {
        pkh__free_str(a, p->notes[i]);
    }
    pkh__free(a, p->notes, p->notes_cap * sizeof *p->notes);
    pkh__free(a, p->comp, p->comp_cap * sizeof *p->comp);
    pkh__free(a, p->flat, p->flat_cap * sizeof *p->flat);
    pkh__free(a, p->stage, p->stage_cap * sizeof *p->stage);
    pkh__free(a, p->flag, p->flag_cap * sizeof *p->flag);
    pkh__free(a, p->order, (size_t)(p->n_comp > 0 ? p->n_comp : 1) * sizeof *p->order);
    pkh_expr_free(p->condition);
    pkh__free_str(a, p->elig_column);
    pkh__free_str(a, p->name);
    pkh__free_str(a, p->title);
    pkh__free_str(a, p->country);
    pkh__free_str(a, p->currency);
    pkh__free_str(a, p->source);
    pkh__free(a, p->text, p->text_len + 1);
    pkh__free(a, p, sizeof *p);
}

pkh_status pkh_program_parse(const char *text, size_t length, const char *source,
                             const pkh_allocator *allocator, pkh_program **out, pkh_error *err)
{
    if (text == NULL || out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_program_parse: text and out are needed");
    }
    const pkh_allocator *a = pkh__allocator(allocator);
    const char *src = source != NULL ? source : "<memory>";
    pkh_program *p = pkh__calloc(a, 1, sizeof *p);
    if (p == NULL) {
        return pkh__enomem(err);
    }
    p->alloc = a;
    p->text = pkh__strndup(a, text, length);
    p->text_len = length;
    p->source = pkh__strdup(a, src);
    if (p->text == NULL || p->source == NULL) {
        pkh_program_free(p);
        return pkh__enomem(err);
    }
    json_error_t je;
    json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &je);
    pkh_status st = PKH_OK;
    if (root == NULL) {
        st = pkh__error(err, PKH_EPARSE, src, je.line > 0 ? je.line : 0,
                        je.column > 0 ? je.column : 0, "%s", je.text);
    } else {
        pctx c = {p, err, {{NULL, 0}}, 0};
        st = parse_all(&c, root);
        json_decref(root);
    }
    if (st == PKH_OK && p->name == NULL) {
        p->name = pkh__strdup(a, "");
        st = p->name == NULL ? pkh__enomem(err) : PKH_OK;
    }
    if (st != PKH_OK) {
        pkh_program_free(p);
        return st;
    }
    *out = p;
    return PKH_OK;
}

pkh_status pkh_program_read_path(const char *path, const pkh_allocator *allocator,
                                 pkh_program **out, pkh_error *err)
{
    if (path == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_program_read_path: no path");
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pkh__error(err, errno == ENOENT ? PKH_ENOTFOUND : PKH_EIO, path, 0, 0,
                          "cannot open the programme rules: %s", strerror(errno));
    }
    const pkh_allocator *a = pkh__allocator(allocator);
    size_t cap = 1 << 16, len = 0;
    char *buf = pkh__alloc(a, cap);
    pkh_status st = buf == NULL ? pkh__enomem(err) : PKH_OK;
    while (st == PKH_OK) {
        if (len == cap) {
            if (cap >= ((size_t)64 << 20)) {
                st = pkh__error(err, PKH_EINVAL, path, 0, 0,
                                "programme rules larger than 64 "
                                "MiB: is this the right file?");
                break;
            }
            char *nb = pkh__realloc(a, buf, cap, cap * 2);
            if (nb == NULL) {
                st = pkh__enomem(err);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        const size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                st = pkh__error(err, PKH_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
            }
            break;
        }
    }
    fclose(f);
    if (st == PKH_OK) {
        st = pkh_program_parse(buf, len, path, allocator, out, err);
    }
    pkh__free(a, buf, cap);
    return st;
}

const char *pkh_program_name(const pkh_program *p)
{
    return p->name;
}

const char *pkh_program_title(const pkh_program *p)
{
    return p->title != NULL ? p->title : "";
}

const char *pkh_program_currency(const pkh_program *p)
{
    return p->currency;
}

const char *pkh_program_text(const pkh_program *p)
{
    return p->text;
}

int64_t pkh_program_num_notes(const pkh_program *p)
{
    return p->n_notes;
}

const char *pkh_program_note(const pkh_program *p, int64_t i)
{
    return i >= 0 && i < p->n_notes ? p->notes[i] : NULL;
}

int64_t pkh_program_num_components(const pkh_program *p)
{
    return p->n_comp;
}

int64_t pkh_program_num_flats(const pkh_program *p)
{
    return p->n_flat;
}

int64_t pkh_program_num_stages(const pkh_program *p)
{
    return p->n_stage;
}

pkh_status pkh_program_component_at(const pkh_program *p, int64_t i, pkh_program_component *out)
{
    if (i < 0 || i >= p->n_comp) {
        return PKH_EINVAL;
    }
    const pkh__comp *k = &p->comp[i];
    out->name = k->name;
    out->label = k->label != NULL ? k->label : "";
    out->count_column = k->count;
    out->member_condition = k->member != NULL ? pkh_expr_text(k->member) : NULL;
    out->annual = k->annual;
    return PKH_OK;
}

pkh_status pkh_program_flat_at(const pkh_program *p, int64_t i, pkh_program_flat *out)
{
    if (i < 0 || i >= p->n_flat) {
        return PKH_EINVAL;
    }
    const pkh__flat *f = &p->flat[i];
    out->name = f->name;
    out->label = f->label != NULL ? f->label : "";
    out->condition = f->cond != NULL ? pkh_expr_text(f->cond) : NULL;
    out->annual = f->amount;
    return PKH_OK;
}

pkh_status pkh_program_stage_at(const pkh_program *p, int64_t i, pkh_program_stage *out)
{
    if (i < 0 || i >= p->n_stage) {
        return PKH_EINVAL;
    }
    out->name = p->stage[i].name;
    out->share = p->stage[i].share;
    return PKH_OK;
}

double pkh_program_stage_amount(const pkh_program *p, int64_t stage, int64_t component)
{
    if (stage < 0 || stage >= p->n_stage || component < 0 || component >= p->n_comp) {
        return NAN;
    }
    return p->stage[stage].share * p->stage[stage].rate[component];
}

int64_t pkh_program_cap(const pkh_program *p)
{
    return p->cap;
}

pkh_status pkh_program_set_amount(pkh_program *p, const char *name, double annual, pkh_error *err)
{
    if (!(annual >= 0) || !isfinite(annual)) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the amount for \"%s\" should be a number, 0 or "
                           "more (got %g)",
                           name, annual);
    }
    const int64_t k = component_index(p, name), f = flat_index(p, name);
    if (k >= 0) {
        for (int64_t s = 0; s < p->n_stage; s++) {
            p->stage[s].rate[k] = annual;
        }
        pkh__program_refresh(p);
        return PKH_OK;
    }
    if (f >= 0) {
        p->flat[f].amount = annual;
        return PKH_OK;
    }
    char list[400];
    size_t o = 0;
    list[0] = '\0';
    for (int64_t i = 0; i < p->n_comp && o < sizeof list; i++) {
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", p->comp[i].name);
    }
    for (int64_t i = 0; i < p->n_flat && o < sizeof list; i++) {
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", p->flat[i].name);
    }
    return pkh__errorf(err, PKH_ENOTFOUND,
                       "programme %s has no component or flat benefit "
                       "named \"%s\" (it has: %s)",
                       p->name[0] ? p->name : p->source, name, list);
}

pkh_status pkh_program_set_cap(pkh_program *p, int64_t cap, pkh_error *err)
{
    if (cap < 0) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the cap is a number of members, 0 (no cap) or "
                           "more (got %lld)",
                           (long long)cap);
    }
    p->cap = cap;
    return PKH_OK;
}

int64_t pkh_program_num_flags(const pkh_program *p)
{
    return p->n_flag;
}

pkh_status pkh_program_flag_at(const pkh_program *p, int64_t i, pkh_program_flag *out)
{
    if (i < 0 || i >= p->n_flag) {
        return PKH_EINVAL;
    }
    out->name = p->flag[i].name;
    out->description = p->flag[i].description != NULL ? p->flag[i].description : "";
    out->default_value = p->flag[i].dflt;
    return PKH_OK;
}

pkh_program_eligibility pkh_program_selection(const pkh_program *p)
{
    return p->elig;
}

int pkh_program_requires_component(const pkh_program *p)
{
    return p->require_component;
}

const char *pkh_program_condition(const pkh_program *p)
{
    return p->condition != NULL ? pkh_expr_text(p->condition) : NULL;
}

static bool is_flag(const pkh_program *p, const char *name)
{
    for (int64_t f = 0; f < p->n_flag; f++) {
        if (strcmp(p->flag[f].name, name) == 0) {
            return true;
        }
    }
    return false;
}

static void add_name(const pkh_program *p, const char *name, const char **names, int64_t cap,
                     int64_t *n)
{
    if (is_flag(p, name)) {
        return;
    }
    for (int64_t i = 0; i < *n && i < cap; i++) {
        if (strcmp(names[i], name) == 0) {
            return;
        }
    }
    if (*n < cap) {
        names[*n] = name;
    }
    (*n)++;
}

static void add_expr_names(const pkh_program *p, const pkh_expr *e, const char **names, int64_t cap,
                           int64_t *n)
{
    for (int64_t j = 0; e != NULL && j < pkh_expr_num_columns(e); j++) {
        add_name(p, pkh_expr_column(e, j), names, cap, n);
    }
}

int64_t pkh_program_household_columns(const pkh_program *p, int roster, const char **names,
                                      int64_t cap)
{
    int64_t n = 0;
    for (int64_t k = 0; k < p->n_comp; k++) {
        if (p->comp[k].count != NULL && (!roster || p->comp[k].member == NULL)) {
            add_name(p, p->comp[k].count, names, cap, &n);
        }
    }
    for (int64_t f = 0; f < p->n_flat; f++) {
        add_expr_names(p, p->flat[f].cond, names, cap, &n);
    }
    add_expr_names(p, p->condition, names, cap, &n);
    return n;
}
