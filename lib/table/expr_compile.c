/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Expressions: code generation. The checked tree becomes a straight list of vector
 * instructions over registers (one chunk of rows each); registers are reused as soon as their
 * value is consumed. String operations become per-dictionary-entry tables built here, once,
 * so the rows only look codes up.
 */
#include <stdlib.h>

#include "internal/expr.h"

#define NO_VAL ((pkh__xval){0, false, -1, 0, 0, NULL})

static const pkh__xnode *node(const pkh__xprog *p, int32_t n)
{
    return &p->e->nodes[n];
}

static pkh_status nomem(pkh__xprog *p)
{
    return pkh__enomem(p->err);
}

/* ---- registers and instructions ---- */

/* A fresh register number; the free list always has room for every register. */
static pkh_status grow_regs(pkh__xprog *p, int32_t *out)
{
    if ((size_t)p->nregs == p->free_cap) {
        const size_t cap = p->free_cap ? p->free_cap * 2 : 16;
        int32_t *f = pkh__realloc(p->alloc, p->free_regs, p->free_cap * sizeof *f, cap * sizeof *f);
        if (f == NULL) {
            return nomem(p);
        }
        p->free_regs = f;
        p->free_cap = cap;
    }
    *out = p->nregs++;
    return PKH_OK;
}

static pkh_status new_reg(pkh__xprog *p, int32_t *out)
{
    if (p->nfree > 0) {
        *out = p->free_regs[--p->nfree];
        return PKH_OK;
    }
    return grow_regs(p, out);
}

static void release(pkh__xprog *p, const pkh__xval *v)
{
    if (!v->konst) {
        p->free_regs[p->nfree++] = v->reg;
    }
}

static pkh_status emit(pkh__xprog *p, int op, int sub, int32_t dst, int32_t a, int32_t b, int32_t c,
                       const void *aux, int64_t naux)
{
    if ((size_t)p->ncode == p->code_cap) {
        const size_t cap = p->code_cap ? p->code_cap * 2 : 32;
        pkh__xinstr *code =
            pkh__realloc(p->alloc, p->code, p->code_cap * sizeof *code, cap * sizeof *code);
        if (code == NULL) {
            return nomem(p);
        }
        p->code = code;
        p->code_cap = cap;
    }
    pkh__xinstr *in = &p->code[p->ncode++];
    in->op = (uint8_t)op;
    in->sub = (uint8_t)sub;
    in->dst = dst;
    in->a = a;
    in->b = b;
    in->c = c;
    in->aux = aux;
    in->naux = naux;
    return PKH_OK;
}

static pkh_status konst(pkh__xprog *p, int type, int64_t ival, double fval, const pkh__xsdict *sd,
                        pkh__xval *out)
{
    if ((size_t)p->nconsts == p->consts_cap) {
        const size_t cap = p->consts_cap ? p->consts_cap * 2 : 8;
        pkh__xconst *c =
            pkh__realloc(p->alloc, p->consts, p->consts_cap * sizeof *c, cap * sizeof *c);
        if (c == NULL) {
            return nomem(p);
        }
        p->consts = c;
        p->consts_cap = cap;
    }
    int32_t reg = -1;
    const pkh_status st = grow_regs(p, &reg);
    if (st != PKH_OK) {
        return st;
    }
    p->consts[p->nconsts++] = (pkh__xconst){reg, (uint8_t)type, ival, fval};
    *out = (pkh__xval){(uint8_t)type, true, reg, ival, fval, sd};
    return PKH_OK;
}

/* v becomes op(v), a new register of type `type`. The result never shares the operand's
 * register, so kernels never read and write the same memory. */
static pkh_status unary_op(pkh__xprog *p, int op, pkh__xval *v, int type)
{
    int32_t dst = -1;
    pkh_status st = new_reg(p, &dst);
    if (st == PKH_OK) {
        st = emit(p, op, 0, dst, v->reg, -1, -1, NULL, 0);
    }
    if (st == PKH_OK) {
        release(p, v);
        *v = (pkh__xval){(uint8_t)type, false, dst, 0, 0, v->sd};
    }
    return st;
}

static pkh_status binary_op(pkh__xprog *p, int op, int sub, pkh__xval *a, const pkh__xval *b,
                            int type)
{
    int32_t dst = -1;
    pkh_status st = new_reg(p, &dst);
    if (st == PKH_OK) {
        st = emit(p, op, sub, dst, a->reg, b->reg, -1, NULL, 0);
    }
    if (st == PKH_OK) {
        release(p, a);
        release(p, b);
        *a = (pkh__xval){(uint8_t)type, false, dst, 0, 0, a->sd};
    }
    return st;
}

/* Convert a value to another type: bools are 1/0 as numbers, numbers are true when not 0. */
static pkh_status coerce(pkh__xprog *p, pkh__xval *v, int to)
{
    const int from = v->type;
    if (from == to) {
        return PKH_OK;
    }
    if (v->konst) {
        const double f = from == PKH__VT_FLT ? v->fval : (double)v->ival;
        const int64_t i =
            to == PKH__VT_BOOL ? (from == PKH__VT_FLT ? v->fval != 0 : v->ival != 0) : v->ival;
        return konst(p, to, i, f, NULL, v);
    }
    int op;
    if (to == PKH__VT_FLT) {
        op = from == PKH__VT_INT ? PKH__K_I2F : PKH__K_B2F;
    } else if (to == PKH__VT_INT) {
        op = PKH__K_B2I;
    } else {
        op = from == PKH__VT_INT ? PKH__K_I2B : PKH__K_F2B;
    }
    return unary_op(p, op, v, to);
}

/* ---- strings ---- */

static int compare_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    const size_t n = na < nb ? na : nb;
    const int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return na < nb ? -1 : (na > nb ? 1 : 0);
}

static bool holds(int op, int c)
{
    switch (op) {
    case PKH__OP_EQ:
        return c == 0;
    case PKH__OP_NE:
        return c != 0;
    case PKH__OP_LT:
        return c < 0;
    case PKH__OP_LE:
        return c <= 0;
    case PKH__OP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

static int flip(int op)
{
    switch (op) {
    case PKH__OP_LT:
        return PKH__OP_GT;
    case PKH__OP_LE:
        return PKH__OP_GE;
    case PKH__OP_GT:
        return PKH__OP_LT;
    case PKH__OP_GE:
        return PKH__OP_LE;
    default:
        return op;
    }
}

static const char *entry(const pkh__xsdict *sd, int64_t k, size_t *len)
{
    *len = (size_t)(sd->off[k + 1] - sd->off[k]);
    return sd->data + sd->off[k];
}

static pkh_status make_sdict(pkh__xprog *p, int64_t n, const int64_t *off, const char *data,
                             const pkh__xsdict **out)
{
    pkh__xsdict *sd = pkh__xprog_alloc(p, sizeof *sd);
    if (sd == NULL) {
        return nomem(p);
    }
    static const int64_t zero[1] = {0};
    sd->n = off != NULL ? n : 0;
    sd->off = off != NULL ? off : zero;
    sd->data = data != NULL ? data : "";
    *out = sd;
    return PKH_OK;
}

static pkh_status literal_string(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh__xnode *x = node(p, n);
    int64_t *off = pkh__xprog_alloc(p, 2 * sizeof *off);
    if (off == NULL) {
        return nomem(p);
    }
    off[0] = 0;
    off[1] = (int64_t)x->str_len;
    const pkh__xsdict *sd = NULL;
    const pkh_status st = make_sdict(p, 1, off, p->e->strs + x->str, &sd);
    return st == PKH_OK ? konst(p, PKH__VT_STR, 0, 0, sd, out) : st;
}

/* v `op` the literal string of node `lit`: one test per dictionary entry. */
static pkh_status string_test_literal(pkh__xprog *p, pkh__xval *v, int op, int32_t lit)
{
    const pkh__xnode *x = node(p, lit);
    const pkh__xsdict *sd = v->sd;
    uint8_t *table = pkh__xprog_alloc(p, (size_t)sd->n);
    if (table == NULL) {
        return nomem(p);
    }
    for (int64_t k = 0; k < sd->n; k++) {
        size_t len;
        const char *s = entry(sd, k, &len);
        table[k] = holds(op, compare_bytes(s, len, p->e->strs + x->str, x->str_len));
    }
    int32_t dst = -1;
    pkh_status st = new_reg(p, &dst);
    if (st == PKH_OK) {
        st = emit(p, PKH__K_STR_TEST, 0, dst, v->reg, -1, -1, table, sd->n);
    }
    if (st == PKH_OK) {
        release(p, v);
        *v = (pkh__xval){PKH__VT_BOOL, false, dst, 0, 0, NULL};
    }
    return st;
}

typedef struct str_ent {
    const char *s;
    size_t len;
    int32_t side;
    int32_t idx;
} str_ent;

static int cmp_ent(const void *x, const void *y)
{
    const str_ent *a = x, *b = y;
    return compare_bytes(a->s, a->len, b->s, b->len);
}

/* Ranks of both dictionaries' entries in one byte order: equal strings get equal ranks. */
static pkh_status rank_strings(pkh__xprog *p, const pkh__xsdict *da, const pkh__xsdict *db,
                               const pkh__xranks **out)
{
    const size_t n = (size_t)(da->n + db->n);
    pkh__xranks *r = pkh__xprog_alloc(p, sizeof *r);
    int32_t *ra = pkh__xprog_alloc(p, (size_t)da->n * sizeof *ra);
    int32_t *rb = pkh__xprog_alloc(p, (size_t)db->n * sizeof *rb);
    str_ent *ents = pkh__alloc(p->alloc, (n > 0 ? n : 1) * sizeof *ents);
    if (r == NULL || ra == NULL || rb == NULL || ents == NULL) {
        pkh__free(p->alloc, ents, (n > 0 ? n : 1) * sizeof *ents);
        return nomem(p);
    }
    size_t o = 0;
    for (int side = 0; side < 2; side++) {
        const pkh__xsdict *sd = side == 0 ? da : db;
        for (int64_t k = 0; k < sd->n; k++, o++) {
            ents[o].s = entry(sd, k, &ents[o].len);
            ents[o].side = side;
            ents[o].idx = (int32_t)k;
        }
    }
    qsort(ents, n, sizeof *ents, cmp_ent);
    int32_t rank = 0;
    for (size_t i = 0; i < n; i++) {
        rank += i > 0 && cmp_ent(&ents[i - 1], &ents[i]) != 0;
        (ents[i].side == 0 ? ra : rb)[ents[i].idx] = rank;
    }
    pkh__free(p->alloc, ents, (n > 0 ? n : 1) * sizeof *ents);
    r->a = ra;
    r->b = rb;
    *out = r;
    return PKH_OK;
}

static pkh_status new_dict(pkh__xprog *p, pkh__dict **out)
{
    if (p->ndicts == p->dicts_cap) {
        const size_t cap = p->dicts_cap ? p->dicts_cap * 2 : 4;
        pkh__dict **d = pkh__realloc(p->alloc, p->dicts, p->dicts_cap * sizeof *d, cap * sizeof *d);
        if (d == NULL) {
            return nomem(p);
        }
        p->dicts = d;
        p->dicts_cap = cap;
    }
    pkh__dict *d = pkh__xprog_alloc(p, sizeof *d);
    if (d == NULL || pkh__dict_init(d, p->alloc) != PKH_OK) {
        return nomem(p);
    }
    p->dicts[p->ndicts++] = d;
    *out = d;
    return PKH_OK;
}

static pkh_status intern(pkh__xprog *p, pkh__dict *d, const char *s, size_t len, int32_t *code)
{
    const pkh_status st = pkh__dict_intern(d, s, len, code);
    if (st == PKH_ENOMEM) {
        return nomem(p);
    }
    return st == PKH_OK ? st : pkh__errorf(p->err, st, "too many distinct strings");
}

/* Give string values one dictionary (for if() and coalesce()), remapping codes as needed. */
static pkh_status merge_strings(pkh__xprog *p, pkh__xval *vals, int64_t nv)
{
    bool same = true;
    for (int64_t i = 1; i < nv; i++) {
        same = same && vals[i].sd->off == vals[0].sd->off && vals[i].sd->n == vals[0].sd->n;
    }
    if (same) {
        return PKH_OK;
    }
    pkh__dict *d = NULL;
    pkh_status st = new_dict(p, &d);
    for (int64_t i = 0; i < nv && st == PKH_OK; i++) {
        const pkh__xsdict *sd = vals[i].sd;
        int32_t *map = pkh__xprog_alloc(p, (size_t)sd->n * sizeof *map);
        if (map == NULL) {
            return nomem(p);
        }
        for (int64_t k = 0; k < sd->n && st == PKH_OK; k++) {
            size_t len;
            const char *s = entry(sd, k, &len);
            st = intern(p, d, s, len, &map[k]);
        }
        if (st == PKH_OK && vals[i].konst) {
            st = konst(p, PKH__VT_STR, map[vals[i].ival], 0, NULL, &vals[i]);
        } else if (st == PKH_OK) {
            int32_t dst = -1;
            st = new_reg(p, &dst);
            if (st == PKH_OK) {
                st = emit(p, PKH__K_REMAP, 0, dst, vals[i].reg, -1, -1, map, sd->n);
            }
            if (st == PKH_OK) {
                release(p, &vals[i]);
                vals[i].reg = dst;
            }
        }
    }
    const pkh__xsdict *merged = NULL;
    if (st == PKH_OK) {
        st = make_sdict(p, d->size, d->offsets, d->data, &merged);
    }
    for (int64_t i = 0; i < nv && st == PKH_OK; i++) {
        vals[i].sd = merged;
    }
    return st;
}

/* ---- nodes ---- */

static pkh_status gen(pkh__xprog *p, int32_t n, pkh__xval *out);

static pkh_status gen_column(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh_column *c = p->bind[n];
    const int type = p->types[n];
    static const int loads[] = {0, PKH__K_LOAD_BOOL, PKH__K_LOAD_I64, PKH__K_LOAD_F64,
                                PKH__K_LOAD_DICT};
    const pkh__xsdict *sd = NULL;
    pkh_status st = PKH_OK;
    if (type == PKH__VT_STR) {
        const int64_t *off;
        const char *data;
        pkh_column_dict_buffers(c, &off, &data);
        st = make_sdict(p, pkh_column_dict_size(c), off, data, &sd);
    }
    int32_t dst = -1;
    if (st == PKH_OK) {
        st = new_reg(p, &dst);
    }
    if (st == PKH_OK) {
        st = emit(p, loads[type], 0, dst, -1, -1, -1, c, 0);
    }
    *out = (pkh__xval){(uint8_t)type, false, dst, 0, 0, sd};
    return st;
}

static pkh_status gen_compare(pkh__xprog *p, int32_t n, int op, pkh__xval *out)
{
    const int32_t a = node(p, n)->first, b = node(p, a)->next;
    pkh__xval va = NO_VAL, vb = NO_VAL;
    pkh_status st;
    if (p->types[a] == PKH__VT_STR) {
        if (node(p, b)->kind == PKH__X_STR || node(p, a)->kind == PKH__X_STR) {
            const bool lit_right = node(p, b)->kind == PKH__X_STR;
            st = gen(p, lit_right ? a : b, out);
            return st == PKH_OK
                       ? string_test_literal(p, out, lit_right ? op : flip(op), lit_right ? b : a)
                       : st;
        }
        const pkh__xranks *ranks = NULL;
        st = gen(p, a, &va);
        if (st == PKH_OK) {
            st = gen(p, b, &vb);
        }
        if (st == PKH_OK) {
            st = rank_strings(p, va.sd, vb.sd, &ranks);
        }
        if (st == PKH_OK) {
            st = binary_op(p, PKH__K_STR_CMP, op, &va, &vb, PKH__VT_BOOL);
            p->code[p->ncode - 1].aux = ranks;
        }
        *out = va;
        return st;
    }
    const int t =
        p->types[a] == PKH__VT_FLT || p->types[b] == PKH__VT_FLT ? PKH__VT_FLT : PKH__VT_INT;
    st = gen(p, a, &va);
    if (st == PKH_OK) {
        st = gen(p, b, &vb);
    }
    if (st == PKH_OK) {
        st = coerce(p, &va, t);
    }
    if (st == PKH_OK) {
        st = coerce(p, &vb, t);
    }
    if (st == PKH_OK) {
        st = binary_op(p, t == PKH__VT_FLT ? PKH__K_CMP_F : PKH__K_CMP_I, op, &va, &vb,
                       PKH__VT_BOOL);
    }
    *out = va;
    return st;
}

static pkh_status gen_binary(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh__xnode *x = node(p, n);
    const int op = x->op;
    if (op >= PKH__OP_EQ && op <= PKH__OP_GE) {
        return gen_compare(p, n, op, out);
    }
    const int t = p->types[n];
    const int operand = op == PKH__OP_AND || op == PKH__OP_OR ? PKH__VT_BOOL : t;
    pkh__xval vb = NO_VAL;
    pkh_status st = gen(p, x->first, out);
    if (st == PKH_OK) {
        st = gen(p, node(p, x->first)->next, &vb);
    }
    if (st == PKH_OK) {
        st = coerce(p, out, operand);
    }
    if (st == PKH_OK) {
        st = coerce(p, &vb, operand);
    }
    if (st != PKH_OK) {
        return st;
    }
    const bool f = t == PKH__VT_FLT;
    int k;
    switch (op) {
    case PKH__OP_AND:
        k = PKH__K_AND;
        break;
    case PKH__OP_OR:
        k = PKH__K_OR;
        break;
    case PKH__OP_ADD:
        k = f ? PKH__K_ADD_F : PKH__K_ADD_I;
        break;
    case PKH__OP_SUB:
        k = f ? PKH__K_SUB_F : PKH__K_SUB_I;
        break;
    case PKH__OP_MUL:
        k = f ? PKH__K_MUL_F : PKH__K_MUL_I;
        break;
    case PKH__OP_MOD:
        k = f ? PKH__K_MOD_F : PKH__K_MOD_I;
        break;
    case PKH__OP_DIV:
        k = PKH__K_DIV_F;
        break;
    default:
        k = PKH__K_POW_F;
        break;
    }
    return binary_op(p, k, 0, out, &vb, t);
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int cmp_f64(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static pkh_status gen_in_strings(pkh__xprog *p, int32_t n, pkh__xval *v)
{
    pkh__dict set;
    if (pkh__dict_init(&set, p->alloc) != PKH_OK) {
        return nomem(p);
    }
    pkh_status st = PKH_OK;
    for (int32_t k = node(p, node(p, n)->first)->next; k >= 0 && st == PKH_OK;
         k = node(p, k)->next) {
        int32_t code;
        st = intern(p, &set, p->e->strs + node(p, k)->str, node(p, k)->str_len, &code);
    }
    const pkh__xsdict *sd = v->sd;
    uint8_t *table = st == PKH_OK ? pkh__xprog_alloc(p, (size_t)sd->n) : NULL;
    if (st == PKH_OK && table == NULL) {
        st = nomem(p);
    }
    for (int64_t k = 0; k < sd->n && st == PKH_OK; k++) {
        size_t len;
        const char *s = entry(sd, k, &len);
        table[k] = pkh__dict_find(&set, s, len) >= 0;
    }
    pkh__dict_free(&set);
    int32_t dst = -1;
    if (st == PKH_OK) {
        st = new_reg(p, &dst);
    }
    if (st == PKH_OK) {
        st = emit(p, PKH__K_STR_TEST, 0, dst, v->reg, -1, -1, table, sd->n);
    }
    if (st == PKH_OK) {
        release(p, v);
        *v = (pkh__xval){PKH__VT_BOOL, false, dst, 0, 0, NULL};
    }
    return st;
}

static pkh_status gen_in(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const int32_t x = node(p, n)->first;
    pkh_status st = gen(p, x, out);
    if (st != PKH_OK || out->type == PKH__VT_STR) {
        return st == PKH_OK ? gen_in_strings(p, n, out) : st;
    }
    const int64_t count = node(p, n)->nkids - 1;
    bool flt = out->type == PKH__VT_FLT;
    for (int32_t k = node(p, x)->next; k >= 0; k = node(p, k)->next) {
        flt = flt || p->types[k] == PKH__VT_FLT;
    }
    void *list = pkh__xprog_alloc(p, (size_t)count * 8);
    if (list == NULL) {
        return nomem(p);
    }
    int64_t i = 0;
    for (int32_t k = node(p, x)->next; k >= 0; k = node(p, k)->next, i++) {
        const pkh__xnode *lit = node(p, k);
        if (flt) {
            ((double *)list)[i] = lit->kind == PKH__X_FLT ? lit->fval : (double)lit->ival;
        } else {
            ((int64_t *)list)[i] = lit->ival;
        }
    }
    qsort(list, (size_t)count, 8, flt ? cmp_f64 : cmp_i64);
    st = coerce(p, out, flt ? PKH__VT_FLT : PKH__VT_INT);
    if (st == PKH_OK) {
        st = unary_op(p, flt ? PKH__K_IN_F : PKH__K_IN_I, out, PKH__VT_BOOL);
    }
    if (st == PKH_OK) {
        p->code[p->ncode - 1].aux = list;
        p->code[p->ncode - 1].naux = count;
    }
    return st;
}

static int unary_kernel(int fn, bool flt)
{
    switch (fn) {
    case PKH__FN_LOG:
        return PKH__K_LOG;
    case PKH__FN_LOG10:
        return PKH__K_LOG10;
    case PKH__FN_EXP:
        return PKH__K_EXP;
    case PKH__FN_SQRT:
        return PKH__K_SQRT;
    case PKH__FN_ABS:
        return flt ? PKH__K_ABS_F : PKH__K_ABS_I;
    case PKH__FN_FLOOR:
        return flt ? PKH__K_FLOOR : 0;
    case PKH__FN_CEIL:
        return flt ? PKH__K_CEIL : 0;
    default:
        return flt ? PKH__K_ROUND : 0;
    }
}

/* min(), max(), coalesce(), if(): fold the values (after the condition of if()) pairwise. */
static pkh_status gen_fold(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh__xnode *x = node(p, n);
    const int t = p->types[n];
    const bool is_if = x->op == PKH__FN_IF;
    pkh__xval vals[2] = {NO_VAL, NO_VAL}, cond = NO_VAL;
    pkh_status st = PKH_OK;
    int32_t k = x->first;
    if (is_if) {
        st = gen(p, k, &cond);
        if (st == PKH_OK) {
            st = coerce(p, &cond, PKH__VT_BOOL);
        }
        k = node(p, k)->next;
    }
    static const int ops[][4] = {{0, PKH__K_COAL_B, PKH__K_COAL_I, PKH__K_COAL_F},
                                 {0, PKH__K_SEL_B, PKH__K_SEL_I, PKH__K_SEL_F},
                                 {0, 0, PKH__K_MIN_I, PKH__K_MIN_F},
                                 {0, 0, PKH__K_MAX_I, PKH__K_MAX_F}};
    const int row = x->op == PKH__FN_COALESCE ? 0 : is_if ? 1 : x->op == PKH__FN_MIN ? 2 : 3;
    for (int i = 0; k >= 0 && st == PKH_OK; k = node(p, k)->next, i = 1) {
        st = gen(p, k, &vals[i]);
        if (st == PKH_OK && t != PKH__VT_STR) {
            st = coerce(p, &vals[i], t);
        }
        if (st == PKH_OK && t == PKH__VT_STR) {
            st = merge_strings(p, vals, i + 1);
        }
        if (st != PKH_OK || i == 0) {
            continue;
        }
        const int op = t == PKH__VT_STR ? (is_if ? PKH__K_SEL_S : PKH__K_COAL_S) : ops[row][t];
        int32_t dst = -1;
        st = new_reg(p, &dst);
        if (st == PKH_OK) {
            st = emit(p, op, 0, dst, vals[0].reg, vals[1].reg, is_if ? cond.reg : -1, NULL, 0);
        }
        if (st == PKH_OK) {
            release(p, &vals[0]);
            release(p, &vals[1]);
            if (is_if) {
                release(p, &cond);
            }
            vals[0] = (pkh__xval){(uint8_t)t, false, dst, 0, 0, vals[0].sd};
        }
    }
    *out = vals[0];
    return st;
}

static pkh_status gen_call(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh__xnode *x = node(p, n);
    switch (x->op) {
    case PKH__FN_MIN:
    case PKH__FN_MAX:
    case PKH__FN_COALESCE:
    case PKH__FN_IF:
        return gen_fold(p, n, out);
    case PKH__FN_POW: {
        pkh__xval vb = NO_VAL;
        pkh_status st = gen(p, x->first, out);
        if (st == PKH_OK) {
            st = gen(p, node(p, x->first)->next, &vb);
        }
        if (st == PKH_OK) {
            st = coerce(p, out, PKH__VT_FLT);
        }
        if (st == PKH_OK) {
            st = coerce(p, &vb, PKH__VT_FLT);
        }
        return st == PKH_OK ? binary_op(p, PKH__K_POW_F, 0, out, &vb, PKH__VT_FLT) : st;
    }
    case PKH__FN_IS_MISSING: {
        const pkh_status st = gen(p, x->first, out);
        return st == PKH_OK ? unary_op(p, PKH__K_ISMISS, out, PKH__VT_BOOL) : st;
    }
    default:
        break;
    }
    const int t = p->types[n];
    pkh_status st = gen(p, x->first, out);
    if (st == PKH_OK) {
        st = coerce(p, out, t);
    }
    const int k = unary_kernel(x->op, t == PKH__VT_FLT);
    if (st == PKH_OK && k != 0) { /* floor, ceil, round of an integer: itself */
        st = unary_op(p, k, out, t);
    }
    return st;
}

static pkh_status gen(pkh__xprog *p, int32_t n, pkh__xval *out)
{
    const pkh__xnode *x = node(p, n);
    pkh_status st;
    switch (x->kind) {
    case PKH__X_INT:
    case PKH__X_BOOL:
        return konst(p, p->types[n], x->ival, (double)x->ival, NULL, out);
    case PKH__X_FLT:
        return konst(p, PKH__VT_FLT, 0, x->fval, NULL, out);
    case PKH__X_STR:
        return literal_string(p, n, out);
    case PKH__X_COL:
        return gen_column(p, n, out);
    case PKH__X_NEG:
        st = gen(p, x->first, out);
        if (st == PKH_OK) {
            st = coerce(p, out, p->types[n]);
        }
        return st == PKH_OK ? unary_op(p, p->types[n] == PKH__VT_FLT ? PKH__K_NEG_F : PKH__K_NEG_I,
                                       out, p->types[n])
                            : st;
    case PKH__X_NOT:
        st = gen(p, x->first, out);
        if (st == PKH_OK) {
            st = coerce(p, out, PKH__VT_BOOL);
        }
        return st == PKH_OK ? unary_op(p, PKH__K_NOT, out, PKH__VT_BOOL) : st;
    case PKH__X_BIN:
        return gen_binary(p, n, out);
    case PKH__X_IN:
        return gen_in(p, n, out);
    default:
        return gen_call(p, n, out);
    }
}

pkh_status pkh__xprog_compile(pkh__xprog *p)
{
    return gen(p, p->e->root, &p->root);
}
