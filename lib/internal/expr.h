/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal representation of parsed expressions, shared by the parser (expr_parse.c) and the
 * compiler and vector evaluator (expr_eval.c). Never installed.
 */
#ifndef PKH_INTERNAL_EXPR_H
#define PKH_INTERNAL_EXPR_H

#include <pkh/expr.h>

#include "internal/table.h"

/** Deepest nesting of parentheses, unary operators and calls the parser accepts. */
#define PKH__EXPR_MAX_NEST 64
/** Deepest syntax tree (a chain `a + b + c + ...` is as deep as it is long). */
#define PKH__EXPR_MAX_DEPTH 250

typedef enum pkh__xkind {
    PKH__X_INT = 1,  /* integer literal: ival */
    PKH__X_FLT = 2,  /* number literal: fval */
    PKH__X_STR = 3,  /* string literal: str, str_len */
    PKH__X_BOOL = 4, /* true / false: ival */
    PKH__X_COL = 5,  /* column: str (NUL-terminated), str_len */
    PKH__X_NEG = 6,  /* unary minus: one child */
    PKH__X_NOT = 7,  /* !: one child */
    PKH__X_BIN = 8,  /* binary operator `op`: two children */
    PKH__X_CALL = 9, /* function `op`: nkids children */
    PKH__X_IN = 10   /* first child `in` the literal children after it */
} pkh__xkind;

typedef enum pkh__xop {
    PKH__OP_OR = 1,
    PKH__OP_AND,
    PKH__OP_EQ,
    PKH__OP_NE,
    PKH__OP_LT,
    PKH__OP_LE,
    PKH__OP_GT,
    PKH__OP_GE,
    PKH__OP_ADD,
    PKH__OP_SUB,
    PKH__OP_MUL,
    PKH__OP_DIV,
    PKH__OP_MOD,
    PKH__OP_POW
} pkh__xop;

typedef enum pkh__xfn {
    PKH__FN_LOG = 1,
    PKH__FN_LOG10,
    PKH__FN_EXP,
    PKH__FN_SQRT,
    PKH__FN_ABS,
    PKH__FN_FLOOR,
    PKH__FN_CEIL,
    PKH__FN_ROUND,
    PKH__FN_MIN,
    PKH__FN_MAX,
    PKH__FN_POW,
    PKH__FN_IF,
    PKH__FN_IS_MISSING,
    PKH__FN_COALESCE
} pkh__xfn;

typedef struct pkh__xnode {
    uint8_t kind;  /* pkh__xkind */
    uint8_t op;    /* pkh__xop for BIN, pkh__xfn for CALL */
    int32_t nkids; /* children: first, then each child's `next` */
    int32_t first; /* -1 when none */
    int32_t next;  /* next sibling, -1 when last */
    int32_t depth; /* 1 for a leaf */
    int64_t ival;
    double fval;
    size_t str, str_len; /* bytes in pkh_expr.strs (names are NUL-terminated there) */
    size_t start, end;   /* source text of the whole node, bytes [start, end) */
    size_t at;           /* byte offset to report: the operator, function name or token */
} pkh__xnode;

struct pkh_expr {
    const pkh_allocator *alloc;
    char *text;
    size_t text_len;
    pkh__xnode *nodes;
    int32_t nnodes;
    size_t nodes_cap;
    char *strs;
    size_t strs_len, strs_cap;
    int32_t root;
    const char **cols; /* distinct column names, pointers into strs */
    int64_t ncols;
    size_t cols_cap;
};

/** Operator text for messages ("+", "&&", ...). */
const char *pkh__expr_op_text(int op);
/** Function name ("log", ...). */
const char *pkh__expr_fn_name(int fn);

/**
 * Fill `err` with `in expression "TEXT": MESSAGE at character N[ (HINT)]`, where N is the
 * 1-based character (not byte) position of byte `at`, also stored in err->column.
 * `hint` may be NULL.
 */
pkh_status pkh__expr_error(const pkh_expr *e, pkh_error *err, pkh_status code, size_t at,
                           const char *hint, const char *fmt, ...) PKH__PRINTF(6, 7);
/** As pkh__expr_error(), for text that is not (yet) a pkh_expr. */
pkh_status pkh__expr_verror(const char *text, size_t len, pkh_error *err, pkh_status code,
                            size_t at, const char *hint, const char *fmt, va_list ap)
    PKH__PRINTF(7, 0);

/* ---- compiling against a table (expr_check.c, expr_compile.c) and running (expr_eval.c) ---- */

/** Value types during compilation. */
typedef enum pkh__vt {
    PKH__VT_BOOL = 1, /* one byte a row, 0 or 1 */
    PKH__VT_INT = 2,  /* int64 */
    PKH__VT_FLT = 3,  /* double */
    PKH__VT_STR = 4   /* int32 codes into a pkh__xsdict */
} pkh__vt;

/** Vector instructions: each turns whole registers (one chunk of rows) into a register. */
typedef enum pkh__kop {
    PKH__K_LOAD_I64 = 1, /* aux: the column */
    PKH__K_LOAD_F64,
    PKH__K_LOAD_BOOL,
    PKH__K_LOAD_DICT,
    PKH__K_I2F, /* casts */
    PKH__K_B2I,
    PKH__K_B2F,
    PKH__K_I2B,
    PKH__K_F2B,
    PKH__K_ADD_F, /* float arithmetic; a result that is not finite is missing */
    PKH__K_SUB_F,
    PKH__K_MUL_F,
    PKH__K_DIV_F,
    PKH__K_MOD_F,
    PKH__K_POW_F,
    PKH__K_MIN_F,
    PKH__K_MAX_F,
    PKH__K_NEG_F,
    PKH__K_LOG,
    PKH__K_LOG10,
    PKH__K_EXP,
    PKH__K_SQRT,
    PKH__K_ABS_F,
    PKH__K_FLOOR,
    PKH__K_CEIL,
    PKH__K_ROUND,
    PKH__K_ADD_I, /* integer arithmetic; overflow is missing */
    PKH__K_SUB_I,
    PKH__K_MUL_I,
    PKH__K_MOD_I,
    PKH__K_MIN_I,
    PKH__K_MAX_I,
    PKH__K_NEG_I,
    PKH__K_ABS_I,
    PKH__K_CMP_F, /* sub: PKH__OP_EQ .. PKH__OP_GE */
    PKH__K_CMP_I,
    PKH__K_STR_TEST, /* aux: uint8_t per dictionary entry */
    PKH__K_STR_CMP,  /* sub: comparison; aux: pkh__xranks */
    PKH__K_IN_I,     /* aux: sorted int64_t[naux] */
    PKH__K_IN_F,     /* aux: sorted double[naux] */
    PKH__K_AND,
    PKH__K_OR,
    PKH__K_NOT,
    PKH__K_SEL_I, /* dst = c ? a : b */
    PKH__K_SEL_F,
    PKH__K_SEL_S,
    PKH__K_SEL_B,
    PKH__K_COAL_I, /* dst = a if present, else b */
    PKH__K_COAL_F,
    PKH__K_COAL_S,
    PKH__K_COAL_B,
    PKH__K_ISMISS,
    PKH__K_REMAP /* aux: int32_t new code per old code */
} pkh__kop;

typedef struct pkh__xinstr {
    uint8_t op;  /* pkh__kop */
    uint8_t sub; /* comparison operator */
    int32_t dst, a, b, c;
    const void *aux;
    int64_t naux;
} pkh__xinstr;

/** Ranks of two dictionaries' entries in one byte order, for string-to-string comparisons. */
typedef struct pkh__xranks {
    const int32_t *a, *b;
} pkh__xranks;

/** A register that holds the same value in every row, filled once per worker. */
typedef struct pkh__xconst {
    int32_t reg;
    uint8_t type; /* pkh__vt; strings hold code ival */
    int64_t ival;
    double fval;
} pkh__xconst;

/** Strings behind the codes of a string value (borrowed from a column or owned by the program). */
typedef struct pkh__xsdict {
    int64_t n;
    const int64_t *off; /* n + 1 */
    const char *data;
} pkh__xsdict;

/** A compiled value: the register that will hold it. */
typedef struct pkh__xval {
    uint8_t type; /* pkh__vt */
    bool konst;   /* a constant register: never released */
    int32_t reg;
    int64_t ival; /* constants */
    double fval;
    const pkh__xsdict *sd; /* strings */
} pkh__xval;

typedef struct pkh__xblock {
    void *p;
    size_t n;
} pkh__xblock;

/** One compilation of an expression against a table; lives for one evaluation. */
typedef struct pkh__xprog {
    const pkh_allocator *alloc;
    const pkh_expr *e;
    const pkh_table *table;
    pkh_error *err;
    uint8_t *types;          /* per node: pkh__vt */
    const pkh_column **bind; /* per node: the column of a name */
    pkh__xinstr *code;
    int32_t ncode;
    size_t code_cap;
    pkh__xconst *consts;
    int32_t nconsts;
    size_t consts_cap;
    int32_t nregs;
    int32_t *free_regs;
    int32_t nfree;
    size_t free_cap;
    pkh__xblock *blocks; /* memory for tables and dictionaries, freed with the program */
    size_t nblocks, blocks_cap;
    pkh__dict **dicts;
    size_t ndicts, dicts_cap;
    pkh__xval root;
} pkh__xprog;

void pkh__xprog_init(pkh__xprog *p, const pkh_expr *e, const pkh_table *table, pkh_error *err);
void pkh__xprog_free(pkh__xprog *p);
/** Memory that lives as long as the program (NULL on failure; err not filled). */
void *pkh__xprog_alloc(pkh__xprog *p, size_t bytes);
/** Resolve names and check types; fills p->types and p->bind. */
pkh_status pkh__xprog_check(pkh__xprog *p);
/** Generate the instructions (after pkh__xprog_check); sets p->root. */
pkh_status pkh__xprog_compile(pkh__xprog *p);

#endif /* PKH_INTERNAL_EXPR_H */
