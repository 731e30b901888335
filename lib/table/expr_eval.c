/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Expressions: the vector evaluator. Rows are cut into fixed blocks (tasks) of fixed chunks;
 * for each chunk every instruction runs once over whole registers (plain loops the compiler
 * vectorises), and the result is stored straight into the output column. Each worker has its
 * own registers, allocated before the threads start; a row's result depends only on that row,
 * so any number of threads gives the same bits.
 *
 * A register holds CHUNK values and CHUNK validity bytes (1 present, 0 missing). Bools are one
 * byte, always 0 or 1, even where missing. Loads of int64, float64 and string columns point into
 * the column instead of copying.
 */
#include <math.h>
#include <stdatomic.h>

#include "internal/expr.h"

/* The kernels mix 8-byte values with 1-byte validity, which baseline x86-64 (SSE2) cannot
 * vectorise well; on x86-64 GNU/Linux each kernel also gets an AVX2 build, picked at load time. */
#define KERNEL PKH__CLONES("avx2", "default")

#define CHUNK 2048
#define TASK_ROWS ((int64_t)CHUNK * 8)

typedef struct xreg {
    void *val;   /* this chunk's values (own buffer, a constant's buffer or a column) */
    uint8_t *ok; /* this chunk's validity (own buffer or the shared ones) */
    void *buf;
    uint8_t *okbuf;
} xreg;

typedef struct slot {
    xreg *regs;
    uint8_t *mem;
    size_t mem_bytes;
    uint8_t *ones;
    atomic_int busy;
} slot;

/* ---- bits ---- */

/* Bytes 0/1 for bits [row0, row0 + n) of `bits`; row0 is a multiple of 8. */
KERNEL static void expand_bits(const uint8_t *bits, int64_t row0, int n, uint8_t *out)
{
    const uint8_t *b = bits + row0 / 8;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = ((uint64_t)b[i / 8] * 0x0101010101010101ULL) & 0x8040201008040201ULL;
        x = ((x + 0x7F7F7F7F7F7F7F7FULL) >> 7) & 0x0101010101010101ULL;
        memcpy(out + i, &x, 8);
    }
    for (; i < n; i++) {
        out[i] = (b[i / 8] >> (i & 7)) & 1;
    }
}

/* Pack n bytes of 0/1 into bits at byte `dst`; returns how many were 1. */
KERNEL static int64_t pack_bits(const uint8_t *bytes, int n, uint8_t *dst)
{
    int64_t ones = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, bytes + i, 8);
        dst[i / 8] = (uint8_t)((x * 0x0102040810204080ULL) >> 56);
    }
    if (i < n) {
        uint8_t last = 0;
        for (int j = 0; i + j < n; j++) {
            last |= (uint8_t)(bytes[i + j] << j);
        }
        dst[i / 8] = last;
    }
    for (i = 0; i < n; i++) {
        ones += bytes[i];
    }
    return ones;
}

/* ---- kernels ---- */

#define LOOP for (int i = 0; i < n; i++)

/* A float result is present when its operands are and it is a finite number. */
#define FINITE(v) ((v) - (v) == 0)

static void load_validity(const pkh_column *c, int64_t row0, int n, xreg *d, uint8_t *ones)
{
    const uint8_t *bits = pkh_column_validity(c);
    if (bits == NULL) {
        d->ok = ones;
    } else {
        expand_bits(bits, row0, n, d->okbuf);
    }
}

KERNEL static void load(const pkh__xinstr *in, xreg *d, uint8_t *ones, int64_t row0, int n)
{
    const pkh_column *c = in->aux;
    switch (in->op) {
    case PKH__K_LOAD_I64:
        d->val = (void *)(pkh_column_int64(c) + row0);
        load_validity(c, row0, n, d, ones);
        break;
    case PKH__K_LOAD_DICT:
        d->val = (void *)(pkh_column_codes(c) + row0);
        load_validity(c, row0, n, d, ones);
        break;
    case PKH__K_LOAD_BOOL:
        expand_bits(pkh_column_bool_bits(c), row0, n, d->buf);
        load_validity(c, row0, n, d, ones);
        break;
    default: { /* float64: NaN and infinities read as missing */
        const double *x = pkh_column_float64(c) + row0;
        const uint8_t *bits = pkh_column_validity(c);
        uint8_t *o = d->okbuf;
        d->val = (void *)x;
        if (bits == NULL) {
            LOOP o[i] = FINITE(x[i]);
        } else {
            expand_bits(bits, row0, n, o);
            LOOP o[i] = (uint8_t)(o[i] & FINITE(x[i]));
        }
        break;
    }
    }
}

KERNEL static void casts(int op, const xreg *a, xreg *d, int n)
{
    const uint8_t *oa = a->ok;
    uint8_t *od = d->ok;
    LOOP od[i] = oa[i];
    switch (op) {
    case PKH__K_I2F: { /* halves convert exactly and the sum rounds once: same as (double)x, but
                          vectorisable without AVX-512 */
        const int64_t *x = a->val;
        double *z = d->val;
        LOOP
        {
            const int64_t v = x[i];
            const double lo = (double)(int32_t)((uint32_t)v ^ 0x80000000u) + 2147483648.0;
            z[i] = (double)(int32_t)(v >> 32) * 4294967296.0 + lo;
        }
        break;
    }
    case PKH__K_B2I: {
        const uint8_t *x = a->val;
        int64_t *z = d->val;
        LOOP z[i] = x[i];
        break;
    }
    case PKH__K_B2F: {
        const uint8_t *x = a->val;
        double *z = d->val;
        LOOP z[i] = x[i];
        break;
    }
    case PKH__K_I2B: {
        const int64_t *x = a->val;
        uint8_t *z = d->val;
        LOOP z[i] = x[i] != 0;
        break;
    }
    default: {
        const double *x = a->val;
        uint8_t *z = d->val;
        LOOP z[i] = x[i] != 0;
        break;
    }
    }
}

/* Floored modulo (the result has the sign of the divisor), as in R, Python and Stata. */
static double mod_f(double x, double y)
{
    double r = fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) {
        r += y;
    }
    return r;
}

#define FLOAT2(EXPR)                                  \
    LOOP                                              \
    {                                                 \
        const double x = fx[i], y = fy[i];            \
        const double v = (EXPR);                      \
        z[i] = v;                                     \
        od[i] = (uint8_t)(oa[i] & ob[i] & FINITE(v)); \
    }

KERNEL static void float_binary(int op, const xreg *a, const xreg *b, xreg *d, int n)
{
    const double *fx = a->val, *fy = b->val;
    const uint8_t *oa = a->ok, *ob = b->ok;
    double *z = d->val;
    uint8_t *od = d->ok;
    switch (op) {
    case PKH__K_ADD_F:
        FLOAT2(x + y);
        break;
    case PKH__K_SUB_F:
        FLOAT2(x - y);
        break;
    case PKH__K_MUL_F:
        FLOAT2(x * y);
        break;
    case PKH__K_DIV_F:
        FLOAT2(x / y);
        break;
    case PKH__K_MOD_F:
        FLOAT2(mod_f(x, y));
        break;
    case PKH__K_POW_F:
        FLOAT2(pow(x, y));
        break;
    case PKH__K_MIN_F:
        FLOAT2(y < x ? y : x);
        break;
    default:
        FLOAT2(y > x ? y : x);
        break;
    }
}

#define FLOAT1(EXPR)                          \
    LOOP                                      \
    {                                         \
        const double x = fx[i];               \
        const double v = (EXPR);              \
        z[i] = v;                             \
        od[i] = (uint8_t)(oa[i] & FINITE(v)); \
    }

KERNEL static void float_unary(int op, const xreg *a, xreg *d, int n)
{
    const double *fx = a->val;
    const uint8_t *oa = a->ok;
    double *z = d->val;
    uint8_t *od = d->ok;
    switch (op) {
    case PKH__K_NEG_F:
        FLOAT1(-x);
        break;
    case PKH__K_LOG:
        FLOAT1(log(x));
        break;
    case PKH__K_LOG10:
        FLOAT1(log10(x));
        break;
    case PKH__K_EXP:
        FLOAT1(exp(x));
        break;
    case PKH__K_SQRT:
        FLOAT1(x >= 0 ? sqrt(x) : NAN);
        break;
    case PKH__K_ABS_F:
        FLOAT1(fabs(x));
        break;
    case PKH__K_FLOOR:
        FLOAT1(floor(x));
        break;
    case PKH__K_CEIL:
        FLOAT1(ceil(x));
        break;
    default:
        FLOAT1(round(x));
        break;
    }
}

#define INT2(EXPR)                               \
    LOOP                                         \
    {                                            \
        const int64_t x = ix[i], y = iy[i];      \
        int64_t v;                               \
        const bool bad = (EXPR);                 \
        z[i] = v;                                \
        od[i] = (uint8_t)(oa[i] & ob[i] & !bad); \
    }

/* Floored modulo of integers; y == 0 is undefined. */
static bool mod_i(int64_t x, int64_t y, int64_t *v)
{
    if (y == 0) {
        *v = 0;
        return true;
    }
    int64_t r = y == -1 ? 0 : x % y;
    if (r != 0 && ((r < 0) != (y < 0))) {
        r += y;
    }
    *v = r;
    return false;
}

KERNEL static void int_binary(int op, const xreg *a, const xreg *b, xreg *d, int n)
{
    const int64_t *ix = a->val, *iy = b->val;
    const uint8_t *oa = a->ok, *ob = b->ok;
    int64_t *z = d->val;
    uint8_t *od = d->ok;
    switch (op) {
    case PKH__K_ADD_I: /* wrap, then overflow iff the result's sign differs from both */
        INT2((v = (int64_t)((uint64_t)x + (uint64_t)y), ((x ^ v) & (y ^ v)) < 0));
        break;
    case PKH__K_SUB_I:
        INT2((v = (int64_t)((uint64_t)x - (uint64_t)y), ((x ^ y) & (x ^ v)) < 0));
        break;
    case PKH__K_MUL_I:
        INT2(__builtin_mul_overflow(x, y, &v));
        break;
    case PKH__K_MOD_I:
        INT2(mod_i(x, y, &v));
        break;
    case PKH__K_MIN_I:
        INT2((v = y < x ? y : x, false));
        break;
    default:
        INT2((v = y > x ? y : x, false));
        break;
    }
}

KERNEL static void int_unary(int op, const xreg *a, xreg *d, int n)
{
    const int64_t *x = a->val;
    const uint8_t *oa = a->ok;
    int64_t *z = d->val;
    uint8_t *od = d->ok;
    /* -INT64_MIN and |INT64_MIN| overflow */
    if (op == PKH__K_NEG_I) {
        LOOP
        {
            z[i] = x[i] == INT64_MIN ? 0 : -x[i];
            od[i] = (uint8_t)(oa[i] & (x[i] != INT64_MIN));
        }
    } else {
        LOOP
        {
            z[i] = x[i] == INT64_MIN ? 0 : (x[i] < 0 ? -x[i] : x[i]);
            od[i] = (uint8_t)(oa[i] & (x[i] != INT64_MIN));
        }
    }
}

#define COMPARE(T)                        \
    do {                                  \
        const T *x = a->val, *y = b->val; \
        switch (sub) {                    \
        case PKH__OP_EQ:                  \
            LOOP z[i] = x[i] == y[i];     \
            break;                        \
        case PKH__OP_NE:                  \
            LOOP z[i] = x[i] != y[i];     \
            break;                        \
        case PKH__OP_LT:                  \
            LOOP z[i] = x[i] < y[i];      \
            break;                        \
        case PKH__OP_LE:                  \
            LOOP z[i] = x[i] <= y[i];     \
            break;                        \
        case PKH__OP_GT:                  \
            LOOP z[i] = x[i] > y[i];      \
            break;                        \
        default:                          \
            LOOP z[i] = x[i] >= y[i];     \
            break;                        \
        }                                 \
    } while (0)

KERNEL static void compare(int op, int sub, const xreg *a, const xreg *b, xreg *d, int n)
{
    uint8_t *z = d->val, *od = d->ok;
    const uint8_t *oa = a->ok, *ob = b->ok;
    if (op == PKH__K_CMP_F) {
        COMPARE(double);
    } else {
        COMPARE(int64_t);
    }
    LOOP od[i] = (uint8_t)(oa[i] & ob[i]);
}

KERNEL static void string_compare(int sub, const pkh__xranks *r, const xreg *a, const xreg *b,
                                  xreg *d, int n)
{
    const int32_t *x = a->val, *y = b->val;
    const uint8_t *oa = a->ok, *ob = b->ok;
    uint8_t *z = d->val, *od = d->ok;
    LOOP
    {
        const uint8_t ok = (uint8_t)(oa[i] & ob[i]);
        const int32_t rx = ok ? r->a[x[i]] : 0, ry = ok ? r->b[y[i]] : 0;
        switch (sub) {
        case PKH__OP_EQ:
            z[i] = rx == ry;
            break;
        case PKH__OP_NE:
            z[i] = rx != ry;
            break;
        case PKH__OP_LT:
            z[i] = rx < ry;
            break;
        case PKH__OP_LE:
            z[i] = rx <= ry;
            break;
        case PKH__OP_GT:
            z[i] = rx > ry;
            break;
        default:
            z[i] = rx >= ry;
            break;
        }
        od[i] = ok;
    }
}

KERNEL static void lookup(const pkh__xinstr *in, const xreg *a, xreg *d, int n)
{
    const int32_t *x = a->val;
    const uint8_t *oa = a->ok;
    uint8_t *od = d->ok;
    if (in->op == PKH__K_STR_TEST) {
        const uint8_t *t = in->aux;
        uint8_t *z = d->val;
        LOOP z[i] = oa[i] ? t[x[i]] : 0;
    } else {
        const int32_t *t = in->aux;
        int32_t *z = d->val;
        LOOP z[i] = oa[i] ? t[x[i]] : 0;
    }
    LOOP od[i] = oa[i];
}

#define MEMBER(T)                                           \
    do {                                                    \
        const T *x = a->val, *v = in->aux;                  \
        const int64_t m = in->naux;                         \
        if (m <= 8) {                                       \
            LOOP                                            \
            {                                               \
                uint8_t hit = 0;                            \
                for (int64_t k = 0; k < m; k++) {           \
                    hit |= x[i] == v[k];                    \
                }                                           \
                z[i] = hit;                                 \
            }                                               \
        } else {                                            \
            LOOP                                            \
            {                                               \
                int64_t lo = 0, hi = m;                     \
                while (lo < hi) {                           \
                    const int64_t mid = lo + (hi - lo) / 2; \
                    if (v[mid] < x[i]) {                    \
                        lo = mid + 1;                       \
                    } else {                                \
                        hi = mid;                           \
                    }                                       \
                }                                           \
                z[i] = lo < m && v[lo] == x[i];             \
            }                                               \
        }                                                   \
    } while (0)

KERNEL static void member(const pkh__xinstr *in, const xreg *a, xreg *d, int n)
{
    uint8_t *z = d->val, *od = d->ok;
    const uint8_t *oa = a->ok;
    if (in->op == PKH__K_IN_F) {
        MEMBER(double);
    } else {
        MEMBER(int64_t);
    }
    LOOP od[i] = oa[i];
}

/* Three-valued logic: false && missing is false, true || missing is true. */
KERNEL static void logic(int op, const xreg *a, const xreg *b, xreg *d, int n)
{
    const uint8_t *x = a->val, *oa = a->ok;
    uint8_t *z = d->val, *od = d->ok;
    if (op == PKH__K_NOT) {
        LOOP
        {
            z[i] = x[i] ^ 1;
            od[i] = oa[i];
        }
        return;
    }
    const uint8_t *y = b->val, *ob = b->ok;
    if (op == PKH__K_AND) {
        LOOP
        {
            const uint8_t at = oa[i] & x[i], af = oa[i] & (x[i] ^ 1);
            const uint8_t bt = ob[i] & y[i], bf = ob[i] & (y[i] ^ 1);
            z[i] = at & bt;
            od[i] = (uint8_t)(af | bf | (at & bt));
        }
    } else {
        LOOP
        {
            const uint8_t at = oa[i] & x[i], af = oa[i] & (x[i] ^ 1);
            const uint8_t bt = ob[i] & y[i], bf = ob[i] & (y[i] ^ 1);
            z[i] = at | bt;
            od[i] = (uint8_t)(at | bt | (af & bf));
        }
    }
}

#define SELECT(T)                                              \
    do {                                                       \
        const T *x = a->val, *y = b->val;                      \
        T *z = d->val;                                         \
        LOOP                                                   \
        {                                                      \
            z[i] = c[i] ? x[i] : y[i];                         \
            od[i] = (uint8_t)(oc[i] & (c[i] ? oa[i] : ob[i])); \
        }                                                      \
    } while (0)

#define COALESCE(T)                           \
    do {                                      \
        const T *x = a->val, *y = b->val;     \
        T *z = d->val;                        \
        LOOP                                  \
        {                                     \
            z[i] = oa[i] ? x[i] : y[i];       \
            od[i] = (uint8_t)(oa[i] | ob[i]); \
        }                                     \
    } while (0)

KERNEL static void choose(int op, const xreg *a, const xreg *b, const xreg *cr, xreg *d, int n)
{
    const uint8_t *oa = a->ok, *ob = b->ok;
    const uint8_t *c = cr != NULL ? cr->val : NULL, *oc = cr != NULL ? cr->ok : NULL;
    uint8_t *od = d->ok;
    switch (op) {
    case PKH__K_SEL_I:
        SELECT(int64_t);
        break;
    case PKH__K_SEL_F:
        SELECT(double);
        break;
    case PKH__K_SEL_S:
        SELECT(int32_t);
        break;
    case PKH__K_SEL_B:
        SELECT(uint8_t);
        break;
    case PKH__K_COAL_I:
        COALESCE(int64_t);
        break;
    case PKH__K_COAL_F:
        COALESCE(double);
        break;
    case PKH__K_COAL_S:
        COALESCE(int32_t);
        break;
    default:
        COALESCE(uint8_t);
        break;
    }
}

static void exec(const pkh__xinstr *in, xreg *r, uint8_t *ones, int64_t row0, int n)
{
    const xreg none = {NULL, NULL, NULL, NULL};
    const xreg a = in->a >= 0 ? r[in->a] : none, b = in->b >= 0 ? r[in->b] : none;
    const xreg c = in->c >= 0 ? r[in->c] : none;
    xreg *d = &r[in->dst];
    d->val = d->buf;
    d->ok = d->okbuf;
    const int op = in->op;
    if (op <= PKH__K_LOAD_DICT) {
        load(in, d, ones, row0, n);
    } else if (op <= PKH__K_F2B) {
        casts(op, &a, d, n);
    } else if (op <= PKH__K_MAX_F) {
        float_binary(op, &a, &b, d, n);
    } else if (op <= PKH__K_ROUND) {
        float_unary(op, &a, d, n);
    } else if (op <= PKH__K_MAX_I) {
        int_binary(op, &a, &b, d, n);
    } else if (op <= PKH__K_ABS_I) {
        int_unary(op, &a, d, n);
    } else if (op <= PKH__K_CMP_I) {
        compare(op, in->sub, &a, &b, d, n);
    } else if (op == PKH__K_STR_TEST || op == PKH__K_REMAP) {
        lookup(in, &a, d, n);
    } else if (op == PKH__K_STR_CMP) {
        string_compare(in->sub, in->aux, &a, &b, d, n);
    } else if (op <= PKH__K_IN_F) {
        member(in, &a, d, n);
    } else if (op <= PKH__K_NOT) {
        logic(op, &a, &b, d, n);
    } else if (op <= PKH__K_COAL_B) {
        choose(op, &a, &b, op <= PKH__K_SEL_B ? &c : NULL, d, n);
    } else { /* is_missing: always present */
        const uint8_t *oa = a.ok;
        uint8_t *z = d->val;
        LOOP z[i] = oa[i] ^ 1;
        d->ok = ones;
    }
}

/* ---- running ---- */

typedef struct run_ctx {
    const pkh__xprog *p;
    int64_t rows;
    slot *slots;
    int nslots;
    void *values;   /* the output column's values */
    uint8_t *valid; /* its validity bitmap */
    int64_t *nulls; /* per task */
} run_ctx;

/* Copy a chunk of the result into the output column; returns the number of missing rows. */
KERNEL static int64_t store(const run_ctx *rc, const xreg *res, int64_t row0, int n)
{
    const uint8_t *ok = res->ok;
    switch (rc->p->root.type) {
    case PKH__VT_FLT: {
        const double *v = res->val;
        double *out = (double *)rc->values + row0;
        LOOP out[i] = ok[i] ? v[i] : 0.0;
        break;
    }
    case PKH__VT_INT: {
        const int64_t *v = res->val;
        int64_t *out = (int64_t *)rc->values + row0;
        LOOP out[i] = ok[i] ? v[i] : 0;
        break;
    }
    case PKH__VT_STR: {
        const int32_t *v = res->val;
        int32_t *out = (int32_t *)rc->values + row0;
        LOOP out[i] = ok[i] ? v[i] : 0;
        break;
    }
    default: {
        const uint8_t *v = res->val;
        uint8_t tmp[CHUNK];
        LOOP tmp[i] = (uint8_t)(v[i] & ok[i]);
        pack_bits(tmp, n, (uint8_t *)rc->values + row0 / 8);
        break;
    }
    }
    return n - pack_bits(ok, n, rc->valid + row0 / 8);
}

static slot *acquire(const run_ctx *rc)
{
    for (;;) { /* at most nslots tasks run at once, so one is always free */
        for (int s = 0; s < rc->nslots; s++) {
            if (atomic_exchange(&rc->slots[s].busy, 1) == 0) {
                return &rc->slots[s];
            }
        }
    }
}

static pkh_status run_task(void *ctx, int64_t t)
{
    run_ctx *rc = ctx;
    const pkh__xprog *p = rc->p;
    slot *s = acquire(rc);
    const int64_t from = t * TASK_ROWS;
    const int64_t to = from + TASK_ROWS < rc->rows ? from + TASK_ROWS : rc->rows;
    int64_t nulls = 0;
    for (int64_t row0 = from; row0 < to; row0 += CHUNK) {
        const int n = (int)(to - row0 < CHUNK ? to - row0 : CHUNK);
        for (int32_t k = 0; k < p->ncode; k++) {
            exec(&p->code[k], s->regs, s->ones, row0, n);
        }
        nulls += store(rc, &s->regs[p->root.reg], row0, n);
    }
    rc->nulls[t] = nulls;
    atomic_store(&s->busy, 0);
    return PKH_OK;
}

static void fill_constant(const pkh__xconst *c, xreg *r, uint8_t *ones)
{
    for (int i = 0; i < CHUNK; i++) {
        switch (c->type) {
        case PKH__VT_BOOL:
            ((uint8_t *)r->buf)[i] = (uint8_t)c->ival;
            break;
        case PKH__VT_INT:
            ((int64_t *)r->buf)[i] = c->ival;
            break;
        case PKH__VT_FLT:
            ((double *)r->buf)[i] = c->fval;
            break;
        default:
            ((int32_t *)r->buf)[i] = (int32_t)c->ival;
            break;
        }
    }
    r->val = r->buf;
    r->ok = ones;
}

static pkh_status slot_init(slot *s, const pkh__xprog *p)
{
    const size_t per_reg = (size_t)CHUNK * 9, nregs = (size_t)p->nregs;
    atomic_init(&s->busy, 0);
    s->regs = pkh__calloc(p->alloc, nregs, sizeof *s->regs);
    s->mem_bytes = nregs * per_reg + CHUNK;
    s->mem = pkh__alloc(p->alloc, s->mem_bytes);
    if (s->regs == NULL || s->mem == NULL) {
        return PKH_ENOMEM;
    }
    for (size_t r = 0; r < nregs; r++) {
        s->regs[r].buf = s->mem + r * per_reg;
        s->regs[r].okbuf = s->mem + r * per_reg + (size_t)CHUNK * 8;
    }
    s->ones = s->mem + nregs * per_reg;
    memset(s->ones, 1, CHUNK);
    for (int32_t k = 0; k < p->nconsts; k++) {
        fill_constant(&p->consts[k], &s->regs[p->consts[k].reg], s->ones);
    }
    return PKH_OK;
}

static void slots_free(const pkh__xprog *p, slot *slots, int n)
{
    for (int s = 0; s < n && slots != NULL; s++) {
        pkh__free(p->alloc, slots[s].regs, (size_t)p->nregs * sizeof *slots[s].regs);
        pkh__free(p->alloc, slots[s].mem, slots[s].mem_bytes);
    }
    pkh__free(p->alloc, slots, (size_t)n * sizeof *slots);
}

/* ---- the result ---- */

static pkh_type result_type(int vt)
{
    switch (vt) {
    case PKH__VT_BOOL:
        return PKH_TYPE_BOOL;
    case PKH__VT_INT:
        return PKH_TYPE_INT64;
    case PKH__VT_FLT:
        return PKH_TYPE_FLOAT64;
    default:
        return PKH_TYPE_DICT;
    }
}

static size_t values_bytes(int vt, int64_t rows)
{
    switch (vt) {
    case PKH__VT_BOOL:
        return rows > 0 ? pkh__bitmap_bytes(rows) : 64;
    case PKH__VT_STR:
        return rows > 0 ? (size_t)rows * 4 : 4;
    default:
        return rows > 0 ? (size_t)rows * 8 : 8;
    }
}

/* The one place that knows how a column is laid out: wrap the buffers into a table.
 * Takes `values` and `valid` whatever happens. */
static pkh_status make_table(const pkh__xprog *p, const char *name, int64_t rows, void *values,
                             uint8_t *valid, int64_t nulls, pkh_table **out, pkh_error *err)
{
    const pkh_allocator *a = p->alloc;
    const size_t valid_bytes = rows > 0 ? pkh__bitmap_bytes(rows) : 64;
    pkh_column col;
    memset(&col, 0, sizeof col);
    col.type = result_type(p->root.type);
    col.length = rows;
    col.values = values;
    col.values_bytes = values_bytes(p->root.type, rows);
    if (nulls > 0) {
        col.null_count = nulls;
        col.validity = valid;
        col.validity_bytes = valid_bytes;
    } else {
        pkh__free(a, valid, valid_bytes);
    }
    col.name = pkh__strdup(a, name);
    bool ok = col.name != NULL;
    if (ok && col.type == PKH_TYPE_DICT) {
        const pkh__xsdict *sd = p->root.sd;
        const size_t data_bytes = (size_t)sd->off[sd->n];
        col.dict_size = sd->n;
        col.dict_offsets_bytes = (size_t)(sd->n + 1) * sizeof *col.dict_offsets;
        col.dict_offsets = pkh__alloc(a, col.dict_offsets_bytes);
        col.dict_data_bytes = data_bytes + 1;
        col.dict_data = pkh__alloc(a, col.dict_data_bytes);
        ok = col.dict_offsets != NULL && col.dict_data != NULL;
        if (ok) {
            memcpy(col.dict_offsets, sd->off, col.dict_offsets_bytes);
            memcpy(col.dict_data, sd->data, data_bytes);
            col.dict_data[data_bytes] = '\0';
        }
    }
    if (!ok) {
        pkh__column_release(a, &col);
        return pkh__enomem(err);
    }
    return pkh__table_take(a, &col, 1, rows, out, err);
}

/* ---- public API ---- */

static pkh_status prepare(pkh__xprog *p, const pkh_expr *expr, const pkh_table *table,
                          pkh_error *err)
{
    if (expr == NULL || table == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "expression and table must not be NULL");
    }
    pkh__xprog_init(p, expr, table, err);
    return pkh__xprog_check(p);
}

pkh_status pkh_expr_result_type(const pkh_expr *expr, const pkh_table *table, pkh_type *out,
                                pkh_error *err)
{
    if (out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_expr_result_type: out must not be NULL");
    }
    pkh__xprog p;
    const pkh_status st = prepare(&p, expr, table, err);
    if (st == PKH_OK) {
        *out = result_type(p.types[expr->root]);
    }
    if (expr != NULL && table != NULL) {
        pkh__xprog_free(&p);
    }
    return st;
}

static pkh_status run(pkh__xprog *p, const char *name, int threads, pkh_table **out)
{
    const int64_t rows = pkh_table_num_rows(p->table);
    const int64_t ntasks = (rows + TASK_ROWS - 1) / TASK_ROWS;
    int nslots = pkh__threads(threads);
    nslots = ntasks < nslots ? (int)(ntasks > 0 ? ntasks : 1) : nslots;
    const pkh_allocator *a = p->alloc;
    const size_t vbytes = values_bytes(p->root.type, rows);
    const size_t bbytes = rows > 0 ? pkh__bitmap_bytes(rows) : 64;
    run_ctx rc = {p, rows, NULL, nslots, NULL, NULL, NULL};
    rc.values = pkh__alloc(a, vbytes);
    rc.valid = pkh__alloc(a, bbytes);
    rc.nulls = pkh__alloc(a, (size_t)(ntasks > 0 ? ntasks : 1) * sizeof *rc.nulls);
    rc.slots = pkh__calloc(a, (size_t)nslots, sizeof *rc.slots);
    pkh_status st = rc.values && rc.valid && rc.nulls && rc.slots ? PKH_OK : PKH_ENOMEM;
    for (int s = 0; s < nslots && st == PKH_OK; s++) {
        st = slot_init(&rc.slots[s], p);
    }
    int64_t nulls = 0;
    if (st == PKH_OK) {
        /* bytes past the last row stay clean (Arrow padding) */
        const size_t used = (size_t)((rows + 7) / 8);
        memset(rc.valid + used, 0, bbytes - used);
        if (p->root.type == PKH__VT_BOOL) {
            memset((uint8_t *)rc.values + used, 0, vbytes - used);
        }
        pkh__parallel_for(nslots, ntasks, run_task, &rc);
        for (int64_t t = 0; t < ntasks; t++) {
            nulls += rc.nulls[t];
        }
    }
    slots_free(p, rc.slots, nslots);
    pkh__free(a, rc.nulls, (size_t)(ntasks > 0 ? ntasks : 1) * sizeof *rc.nulls);
    if (st != PKH_OK) {
        pkh__free(a, rc.values, vbytes);
        pkh__free(a, rc.valid, bbytes);
        return pkh__enomem(p->err);
    }
    return make_table(p, name, rows, rc.values, rc.valid, nulls, out, p->err);
}

pkh_status pkh_expr_eval(const pkh_expr *expr, const pkh_table *table, const char *name,
                         int threads, pkh_table **out, pkh_error *err)
{
    if (name == NULL || name[0] == '\0' || out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_expr_eval: a result name and out are needed");
    }
    pkh__xprog p;
    pkh_status st = prepare(&p, expr, table, err);
    if (expr == NULL || table == NULL) {
        return st;
    }
    if (st == PKH_OK) {
        st = pkh__xprog_compile(&p);
    }
    if (st == PKH_OK) {
        st = run(&p, name, threads, out);
    }
    pkh__xprog_free(&p);
    return st;
}
