/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Expressions against a table: resolve column names (suggesting close matches) and check
 * types, with messages that name the operand and point at it. Also the program's memory.
 */
#include <stdio.h>
#include <strings.h>

#include "internal/expr.h"

/* ---- the program's memory ---- */

void pkh__xprog_init(pkh__xprog *p, const pkh_expr *e, const pkh_table *table, pkh_error *err)
{
    memset(p, 0, sizeof *p);
    p->alloc = e->alloc;
    p->e = e;
    p->table = table;
    p->err = err;
}

void pkh__xprog_free(pkh__xprog *p)
{
    const pkh_allocator *a = p->alloc;
    for (size_t i = 0; i < p->ndicts; i++) {
        pkh__dict_free(p->dicts[i]);
    }
    pkh__free(a, p->dicts, p->dicts_cap * sizeof *p->dicts);
    for (size_t i = 0; i < p->nblocks; i++) {
        pkh__free(a, p->blocks[i].p, p->blocks[i].n);
    }
    pkh__free(a, p->blocks, p->blocks_cap * sizeof *p->blocks);
    const size_t nn = (size_t)p->e->nnodes;
    pkh__free(a, p->types, nn);
    pkh__free(a, (void *)p->bind, nn * sizeof *p->bind);
    pkh__free(a, p->code, p->code_cap * sizeof *p->code);
    pkh__free(a, p->consts, p->consts_cap * sizeof *p->consts);
    pkh__free(a, p->free_regs, p->free_cap * sizeof *p->free_regs);
    memset(p, 0, sizeof *p);
}

void *pkh__xprog_alloc(pkh__xprog *p, size_t bytes)
{
    if (p->nblocks == p->blocks_cap) {
        const size_t cap = p->blocks_cap ? p->blocks_cap * 2 : 8;
        pkh__xblock *b =
            pkh__realloc(p->alloc, p->blocks, p->blocks_cap * sizeof *b, cap * sizeof *b);
        if (b == NULL) {
            return NULL;
        }
        p->blocks = b;
        p->blocks_cap = cap;
    }
    bytes = bytes > 0 ? bytes : 1;
    void *m = pkh__alloc(p->alloc, bytes);
    if (m != NULL) {
        p->blocks[p->nblocks].p = m;
        p->blocks[p->nblocks].n = bytes;
        p->nblocks++;
    }
    return m;
}

/* ---- messages ---- */

static const pkh__xnode *node(const pkh__xprog *p, int32_t n)
{
    return &p->e->nodes[n];
}

/* The source text of node `n` for a message, at most 40 bytes (then "..."). */
static const char *node_text(const pkh__xprog *p, int32_t n, char *buf, size_t cap)
{
    const pkh__xnode *x = node(p, n);
    size_t len = x->end - x->start, o = 0;
    const bool cut = len > 40;
    len = cut ? 40 : len;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        const char c = p->e->text[x->start + i];
        buf[o++] = (c == '\n' || c == '\t' || c == '\r') ? ' ' : c;
    }
    if (cut && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static const char *type_noun(int t)
{
    switch (t) {
    case PKH__VT_BOOL:
        return "a true/false value";
    case PKH__VT_INT:
    case PKH__VT_FLT:
        return "a number";
    default:
        return "a string";
    }
}

static pkh_status type_error(const pkh__xprog *p, int32_t at_node, const char *fmt, ...)
    PKH__PRINTF(3, 4);

static pkh_status type_error(const pkh__xprog *p, int32_t at_node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__expr_verror(p->e->text, p->e->text_len, p->err, PKH_ETYPE, node(p, at_node)->at, NULL, fmt,
                     ap);
    va_end(ap);
    return PKH_ETYPE;
}

/* Type error at the start of operand `n` (rather than at its operator). */
static pkh_status operand_error(const pkh__xprog *p, int32_t n, const char *what, const char *needs)
{
    char t[64];
    pkh__expr_error(p->e, p->err, PKH_ETYPE, node(p, n)->start, NULL, "%s needs %s, but %s is %s",
                    what, needs, node_text(p, n, t, sizeof t), type_noun(p->types[n]));
    return PKH_ETYPE;
}

/* ---- unknown columns ---- */

static size_t edit_distance(const char *a, const char *b)
{
    const size_t n = strlen(a), m = strlen(b);
    size_t row[65];
    if (n > 64 || m > 64) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= m; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            const size_t up = row[j];
            const size_t sub = diag + (a[i - 1] != b[j - 1]);
            const size_t del = (up < row[j - 1] ? up : row[j - 1]) + 1;
            row[j] = sub < del ? sub : del;
            diag = up;
        }
    }
    return row[m];
}

static bool is_close(const char *name, const char *col)
{
    const size_t n = strlen(name), m = strlen(col);
    if (strcasecmp(name, col) == 0) {
        return true;
    }
    if (n >= 3 && m >= 3 && (strncmp(name, col, n < m ? n : m) == 0)) {
        return true; /* one is a prefix of the other */
    }
    if (n < 3) {
        return false; /* every short name is one edit from every other */
    }
    return edit_distance(name, col) <= (n <= 4 ? 1u : 2u);
}

/* "did you mean "a" or "b"?" or "the columns are: a, b, c". */
static void suggest(const pkh_table *t, const char *name, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "did you mean");
    int found = 0;
    const int64_t nc = pkh_table_num_columns(t);
    for (int64_t i = 0; i < nc && found < 5; i++) {
        const char *col = pkh_column_name(pkh_table_column_at(t, i));
        if (is_close(name, col) && o + strlen(col) + 16 < cap) {
            o += (size_t)snprintf(buf + o, cap - o, "%s\"%s\"", found ? " or " : " ", col);
            found++;
        }
    }
    if (found > 0) {
        snprintf(buf + o, cap - o, "?");
        return;
    }
    o = (size_t)snprintf(buf, cap, nc > 0 ? "the columns are: " : "the table has no columns");
    for (int64_t i = 0; i < nc; i++) {
        const char *col = pkh_column_name(pkh_table_column_at(t, i));
        if (o + strlen(col) + 8 >= cap) {
            snprintf(buf + o, cap - o, ", ...");
            return;
        }
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", col);
    }
}

static pkh_status bind_column(pkh__xprog *p, int32_t n)
{
    const pkh__xnode *x = node(p, n);
    const char *name = p->e->strs + x->str;
    const int64_t nc = pkh_table_num_columns(p->table);
    for (int64_t i = 0; i < nc; i++) {
        const pkh_column *c = pkh_table_column_at(p->table, i);
        if (strcmp(pkh_column_name(c), name) == 0) {
            p->bind[n] = c;
            switch (pkh_column_type(c)) {
            case PKH_TYPE_INT64:
                p->types[n] = PKH__VT_INT;
                break;
            case PKH_TYPE_FLOAT64:
                p->types[n] = PKH__VT_FLT;
                break;
            case PKH_TYPE_BOOL:
                p->types[n] = PKH__VT_BOOL;
                break;
            default:
                p->types[n] = PKH__VT_STR;
                break;
            }
            return PKH_OK;
        }
    }
    char hint[200];
    suggest(p->table, name, hint, sizeof hint);
    char q[80];
    return pkh__expr_error(p->e, p->err, PKH_ENOTFOUND, x->at, hint, "no column named %s",
                           pkh__quote(name, x->str_len, q, sizeof q));
}

/* ---- types ---- */

static bool numeric(int t)
{
    return t == PKH__VT_BOOL || t == PKH__VT_INT || t == PKH__VT_FLT;
}

/* Arithmetic type of numbers: int64 unless a float is involved (bools count as integers). */
static int arith(int a, int b)
{
    return a == PKH__VT_FLT || b == PKH__VT_FLT ? PKH__VT_FLT : PKH__VT_INT;
}

static pkh_status check_binary(pkh__xprog *p, int32_t n)
{
    const pkh__xnode *x = node(p, n);
    const int32_t a = x->first, b = node(p, a)->next;
    const int ta = p->types[a], tb = p->types[b];
    const char *op = pkh__expr_op_text(x->op);
    char what[16];
    snprintf(what, sizeof what, "\"%s\"", op);
    switch (x->op) {
    case PKH__OP_AND:
    case PKH__OP_OR:
        if (ta == PKH__VT_STR || tb == PKH__VT_STR) {
            return operand_error(p, ta == PKH__VT_STR ? a : b, what, "true/false values");
        }
        p->types[n] = PKH__VT_BOOL;
        return PKH_OK;
    case PKH__OP_EQ:
    case PKH__OP_NE:
    case PKH__OP_LT:
    case PKH__OP_LE:
    case PKH__OP_GT:
    case PKH__OP_GE:
        if ((ta == PKH__VT_STR) != (tb == PKH__VT_STR)) {
            char sa[64], sb[64];
            return type_error(p, n, "cannot compare %s (%s) with %s (%s)",
                              node_text(p, a, sa, sizeof sa), type_noun(ta),
                              node_text(p, b, sb, sizeof sb), type_noun(tb));
        }
        p->types[n] = PKH__VT_BOOL;
        return PKH_OK;
    default:
        if (!numeric(ta) || !numeric(tb)) {
            return operand_error(p, numeric(ta) ? b : a, what, "numbers");
        }
        p->types[n] = x->op == PKH__OP_DIV || x->op == PKH__OP_POW ? PKH__VT_FLT : arith(ta, tb);
        return PKH_OK;
    }
}

static pkh_status check_in(pkh__xprog *p, int32_t n)
{
    const int32_t x = node(p, n)->first;
    const bool str = p->types[x] == PKH__VT_STR;
    for (int32_t k = node(p, x)->next; k >= 0; k = node(p, k)->next) {
        if ((p->types[k] == PKH__VT_STR) != str) {
            char sx[64], sk[64];
            return type_error(p, n, "cannot look for %s (%s) among %s (%s)",
                              node_text(p, x, sx, sizeof sx), type_noun(p->types[x]),
                              node_text(p, k, sk, sizeof sk), type_noun(p->types[k]));
        }
    }
    p->types[n] = PKH__VT_BOOL;
    return PKH_OK;
}

/* Common type of if() branches and coalesce() arguments: all strings, or all numbers (bool if
 * all are bools). */
static pkh_status unify(pkh__xprog *p, int32_t n, int32_t first, int *out)
{
    int t = p->types[first];
    for (int32_t k = node(p, first)->next; k >= 0; k = node(p, k)->next) {
        const int tk = p->types[k];
        if ((tk == PKH__VT_STR) != (t == PKH__VT_STR)) {
            char s1[64], s2[64];
            return type_error(p, n,
                              "the values of %s() must all be strings or all numbers, but %s is "
                              "%s and %s is %s",
                              pkh__expr_fn_name(node(p, n)->op), node_text(p, first, s1, sizeof s1),
                              type_noun(p->types[first]), node_text(p, k, s2, sizeof s2),
                              type_noun(tk));
        }
        if (t != tk) {
            t = arith(t, tk);
        }
    }
    *out = t;
    return PKH_OK;
}

static pkh_status check_call(pkh__xprog *p, int32_t n)
{
    const pkh__xnode *x = node(p, n);
    const int32_t a = x->first;
    const int ta = p->types[a];
    char what[24];
    snprintf(what, sizeof what, "%s()", pkh__expr_fn_name(x->op));
    int t = 0;
    switch (x->op) {
    case PKH__FN_IS_MISSING:
        t = PKH__VT_BOOL;
        break;
    case PKH__FN_IF:
        if (ta == PKH__VT_STR) {
            return operand_error(p, a, what, "a true/false condition");
        }
        if (unify(p, n, node(p, a)->next, &t) != PKH_OK) {
            return PKH_ETYPE;
        }
        break;
    case PKH__FN_COALESCE:
        if (unify(p, n, a, &t) != PKH_OK) {
            return PKH_ETYPE;
        }
        break;
    default:
        for (int32_t k = a; k >= 0; k = node(p, k)->next) {
            if (p->types[k] == PKH__VT_STR) {
                return operand_error(p, k, what, x->nkids == 1 ? "a number" : "numbers");
            }
            t = k == a ? arith(p->types[k], p->types[k]) : arith(t, p->types[k]);
        }
        if (x->op != PKH__FN_ABS && x->op != PKH__FN_FLOOR && x->op != PKH__FN_CEIL &&
            x->op != PKH__FN_ROUND && x->op != PKH__FN_MIN && x->op != PKH__FN_MAX) {
            t = PKH__VT_FLT; /* log, log10, exp, sqrt, pow */
        }
        break;
    }
    p->types[n] = (uint8_t)t;
    return PKH_OK;
}

static pkh_status check_node(pkh__xprog *p, int32_t n)
{
    const pkh__xnode *x = node(p, n);
    for (int32_t k = x->first; k >= 0; k = node(p, k)->next) {
        const pkh_status st = check_node(p, k);
        if (st != PKH_OK) {
            return st;
        }
    }
    switch (x->kind) {
    case PKH__X_INT:
        p->types[n] = PKH__VT_INT;
        return PKH_OK;
    case PKH__X_FLT:
        p->types[n] = PKH__VT_FLT;
        return PKH_OK;
    case PKH__X_STR:
        p->types[n] = PKH__VT_STR;
        return PKH_OK;
    case PKH__X_BOOL:
        p->types[n] = PKH__VT_BOOL;
        return PKH_OK;
    case PKH__X_COL:
        return bind_column(p, n);
    case PKH__X_NEG:
        if (p->types[x->first] == PKH__VT_STR) {
            return operand_error(p, x->first, "\"-\"", "a number");
        }
        p->types[n] = (uint8_t)arith(p->types[x->first], p->types[x->first]);
        return PKH_OK;
    case PKH__X_NOT:
        if (p->types[x->first] == PKH__VT_STR) {
            return operand_error(p, x->first, "\"!\"", "a true/false value");
        }
        p->types[n] = PKH__VT_BOOL;
        return PKH_OK;
    case PKH__X_BIN:
        return check_binary(p, n);
    case PKH__X_IN:
        return check_in(p, n);
    default:
        return check_call(p, n);
    }
}

pkh_status pkh__xprog_check(pkh__xprog *p)
{
    const size_t nn = (size_t)p->e->nnodes;
    p->types = pkh__calloc(p->alloc, nn, 1);
    p->bind = pkh__calloc(p->alloc, nn, sizeof *p->bind);
    if (p->types == NULL || p->bind == NULL) {
        return pkh__enomem(p->err);
    }
    return check_node(p, p->e->root);
}
