/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Expressions: the tokenizer and recursive-descent parser into a syntax tree, messages that
 * point at a character of the text, and `--define NAME=EXPR` splitting.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/expr.h"

/* ---- names and messages ---- */

static const char *const op_texts[] = {"",   "||", "&&", "==", "!=", "<", "<=", ">",
                                       ">=", "+",  "-",  "*",  "/",  "%", "^"};

const char *pkh__expr_op_text(int op)
{
    return op >= PKH__OP_OR && op <= PKH__OP_POW ? op_texts[op] : "?";
}

typedef struct fn_info {
    const char *name;
    int min_args, max_args;
} fn_info;

static const fn_info fns[] = {{"", 0, 0},          {"log", 1, 1},        {"log10", 1, 1},
                              {"exp", 1, 1},       {"sqrt", 1, 1},       {"abs", 1, 1},
                              {"floor", 1, 1},     {"ceil", 1, 1},       {"round", 1, 1},
                              {"min", 1, INT_MAX}, {"max", 1, INT_MAX},  {"pow", 2, 2},
                              {"if", 3, 3},        {"is_missing", 1, 1}, {"coalesce", 1, INT_MAX}};
#define NUM_FNS ((int)(sizeof fns / sizeof fns[0]))

const char *pkh__expr_fn_name(int fn)
{
    return fn >= 1 && fn < NUM_FNS ? fns[fn].name : "?";
}

/* 1-based position of byte `at`, counting UTF-8 characters (continuation bytes do not count). */
static int64_t char_position(const char *s, size_t len, size_t at)
{
    int64_t pos = 1;
    for (size_t i = 0; i < at && i < len; i++) {
        pos += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return pos;
}

/* The expression for a message: `"` and `\` escaped as in the language, control bytes as \xNN,
 * cut (at a character boundary) with "..." past about 200 bytes. */
static void quote_expr(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (o + 8 >= cap || (o >= 200 && (c & 0xC0) != 0x80)) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
}

pkh_status pkh__expr_verror(const char *text, size_t len, pkh_error *err, pkh_status code,
                            size_t at, const char *hint, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return code;
    }
    char quoted[256], what[320];
    quote_expr(text, len, quoted, sizeof quoted);
    vsnprintf(what, sizeof what, fmt, ap);
    const int64_t pos = char_position(text, len, at);
    const bool h = hint != NULL;
    return pkh__error(err, code, NULL, 0, pos, "in expression \"%s\": %s at character %lld%s%s%s",
                      quoted, what, (long long)pos, h ? " (" : "", h ? hint : "", h ? ")" : "");
}

pkh_status pkh__expr_error(const pkh_expr *e, pkh_error *err, pkh_status code, size_t at,
                           const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__expr_verror(e->text, e->text_len, err, code, at, hint, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- tokens ---- */

typedef enum tkind {
    T_END,
    T_INT,
    T_FLT,
    T_STR,
    T_IDENT,
    T_QIDENT,
    T_LP,
    T_RP,
    T_COMMA,
    T_OR,
    T_AND,
    T_NOT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PCT,
    T_CARET
} tkind;

typedef struct tok {
    tkind kind;
    size_t start, end; /* bytes of the token in the text */
    int64_t ival;
    double fval;
} tok;

typedef struct parser {
    pkh_expr *e;
    const char *s;
    size_t n;
    size_t p; /* next byte to read */
    tok t;    /* current token */
    int nest;
    pkh_error *err;
} parser;

static PKH__PRINTF(4, 5) pkh_status
    fail(parser *ps, size_t at, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__expr_verror(ps->s, ps->n, ps->err, PKH_EPARSE, at, hint, fmt, ap);
    va_end(ap);
    return PKH_EPARSE;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c) || c == '.';
}

/* Bytes of the UTF-8 character starting at s[i] (at least 1, within n). */
static size_t char_len(const char *s, size_t n, size_t i)
{
    size_t k = 1;
    while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80 && k < 4) {
        k++;
    }
    return k;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal text (digits, optional '.', optional exponent; already validated) to the correctly
 * rounded double, whatever the process locale: Clinger's fast path when the digits fit in 2^53
 * and the power of ten is exact, else strtod_l in the "C" locale. */
static pkh_status decimal_to_double(const char *p, size_t n, double *out)
{
    uint64_t m = 0;
    int64_t exp10 = 0;
    bool fast = true, frac = false;
    size_t i = 0;
    for (; i < n && (is_digit(p[i]) || p[i] == '.'); i++) {
        if (p[i] == '.') {
            frac = true;
        } else if (m > (((uint64_t)1 << 53) - 9) / 10) {
            fast = false;
        } else {
            m = m * 10 + (uint64_t)(p[i] - '0');
            exp10 -= frac;
        }
    }
    if (i < n) { /* exponent */
        const long e = strtol(p + i + 1, NULL, 10);
        exp10 += e > 400 ? 400 : (e < -400 ? -400 : e);
    }
    if (fast && exp10 >= -22 && exp10 <= 22) {
        *out = exp10 < 0 ? (double)m / pow10_exact[-exp10] : (double)m * pow10_exact[exp10];
        return PKH_OK;
    }
    char buf[512];
    if (n >= sizeof buf) {
        return PKH_EOVERFLOW;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    const locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) {
        return PKH_ENOMEM;
    }
    *out = strtod_l(buf, NULL, c_locale);
    freelocale(c_locale);
    return PKH_OK;
}

static pkh_status lex_number(parser *ps)
{
    const char *s = ps->s;
    size_t i = ps->p;
    bool integer = true;
    while (is_digit(s[i])) {
        i++;
    }
    if (s[i] == '.') {
        integer = false;
        for (i++; is_digit(s[i]); i++) {
        }
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        j += s[j] == '+' || s[j] == '-';
        if (is_digit(s[j])) {
            integer = false;
            for (i = j; is_digit(s[i]); i++) {
            }
        }
    }
    size_t bad = i;
    while (is_ident_char(s[bad])) {
        bad++;
    }
    if (bad > i) {
        char q[64];
        return fail(ps, ps->p, NULL, "malformed number %s",
                    pkh__quote(s + ps->p, bad - ps->p, q, sizeof q));
    }
    ps->t.end = i;
    ps->p = i;
    uint64_t v = 0;
    for (size_t k = ps->t.start; integer && k < i; k++) {
        const uint64_t d = (uint64_t)(s[k] - '0');
        integer = v <= ((uint64_t)INT64_MAX - d) / 10;
        v = v * 10 + d;
    }
    if (integer) {
        ps->t.kind = T_INT;
        ps->t.ival = (int64_t)v;
        return PKH_OK;
    }
    ps->t.kind = T_FLT;
    const pkh_status st = decimal_to_double(s + ps->t.start, i - ps->t.start, &ps->t.fval);
    if (st == PKH_ENOMEM) {
        return pkh__enomem(ps->err);
    }
    if (st != PKH_OK || !isfinite(ps->t.fval)) {
        char q[64];
        return fail(ps, ps->t.start, NULL, "number %s is out of range",
                    pkh__quote(s + ps->t.start, i - ps->t.start, q, sizeof q));
    }
    return PKH_OK;
}

static pkh_status lex_string(parser *ps)
{
    const char *s = ps->s;
    size_t i = ps->p + 1;
    for (; i < ps->n && s[i] != '"'; i++) {
        if (s[i] == '\\') {
            if (s[i + 1] != '"' && s[i + 1] != '\\') {
                char q[32];
                const size_t k = i + 1 < ps->n ? 1 + char_len(s, ps->n, i + 1) : 1;
                return fail(ps, i, "write \\\" for a quote and \\\\ for a backslash",
                            "unknown escape %s in a string", pkh__quote(s + i, k, q, sizeof q));
            }
            i++;
        }
    }
    if (i >= ps->n) {
        return fail(ps, ps->p, NULL, "unterminated string");
    }
    ps->t.kind = T_STR;
    ps->p = ps->t.end = i + 1;
    return PKH_OK;
}

static pkh_status lex_quoted_name(parser *ps)
{
    const char *close = memchr(ps->s + ps->p + 1, '`', ps->n - ps->p - 1);
    if (close == NULL) {
        return fail(ps, ps->p, NULL, "unterminated `name`");
    }
    if (close == ps->s + ps->p + 1) {
        return fail(ps, ps->p, NULL, "empty column name ``");
    }
    ps->t.kind = T_QIDENT;
    ps->p = ps->t.end = (size_t)(close - ps->s) + 1;
    return PKH_OK;
}

/* Operators of one or two characters. Returns false for a character that starts no token. */
static bool lex_operator(parser *ps, pkh_status *st)
{
    const char c = ps->s[ps->p], d = ps->s[ps->p + 1];
    static const struct {
        char c, d;
        tkind kind;
    } ops[] = {{'|', '|', T_OR}, {'&', '&', T_AND}, {'=', '=', T_EQ}, {'!', '=', T_NE},
               {'<', '=', T_LE}, {'>', '=', T_GE},  {'<', 0, T_LT},   {'>', 0, T_GT},
               {'!', 0, T_NOT},  {'(', 0, T_LP},    {')', 0, T_RP},   {',', 0, T_COMMA},
               {'+', 0, T_PLUS}, {'-', 0, T_MINUS}, {'*', 0, T_STAR}, {'/', 0, T_SLASH},
               {'%', 0, T_PCT},  {'^', 0, T_CARET}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (ops[k].c == c && (ops[k].d == 0 || ops[k].d == d)) {
            ps->t.kind = ops[k].kind;
            ps->p += ops[k].d == 0 ? 1 : 2;
            ps->t.end = ps->p;
            *st = PKH_OK;
            return true;
        }
    }
    /* a hint for one '=', '&' or '|' on its own, not for a third one after a pair */
    const char prev = ps->p > 0 ? ps->s[ps->p - 1] : 0;
    const char *hint = c == prev   ? NULL
                       : c == '='  ? "use == to compare"
                       : c == '&'  ? "use && for \"and\""
                       : c == '|'  ? "use || for \"or\""
                       : c == '\'' ? "strings are written in double quotes, names with spaces "
                                     "in `backquotes`"
                                   : NULL;
    char q[32];
    *st = fail(ps, ps->p, hint, "unexpected %s",
               pkh__quote(ps->s + ps->p, char_len(ps->s, ps->n, ps->p), q, sizeof q));
    return false;
}

static pkh_status lex(parser *ps)
{
    const char *s = ps->s;
    while (s[ps->p] == ' ' || s[ps->p] == '\t' || s[ps->p] == '\n' || s[ps->p] == '\r') {
        ps->p++;
    }
    ps->t.start = ps->t.end = ps->p;
    const char c = s[ps->p];
    if (ps->p >= ps->n) {
        ps->t.kind = T_END;
        return PKH_OK;
    }
    if (is_digit(c) || (c == '.' && is_digit(s[ps->p + 1]))) {
        return lex_number(ps);
    }
    if (c == '"') {
        return lex_string(ps);
    }
    if (c == '`') {
        return lex_quoted_name(ps);
    }
    if (is_ident_start(c)) {
        while (is_ident_char(s[ps->p])) {
            ps->p++;
        }
        ps->t.kind = T_IDENT;
        ps->t.end = ps->p;
        return PKH_OK;
    }
    pkh_status st = PKH_OK;
    lex_operator(ps, &st);
    return st;
}

static bool tok_is(const parser *ps, const char *word)
{
    const size_t n = strlen(word);
    return ps->t.kind == T_IDENT && ps->t.end - ps->t.start == n &&
           memcmp(ps->s + ps->t.start, word, n) == 0;
}

static pkh_status unexpected(parser *ps, const char *hint)
{
    if (ps->t.kind == T_END) {
        return fail(ps, ps->t.start, hint, "unexpected end of expression");
    }
    char q[64];
    return fail(ps, ps->t.start, hint, "unexpected %s",
                pkh__quote(ps->s + ps->t.start, ps->t.end - ps->t.start, q, sizeof q));
}

/* ---- the tree ---- */

static pkh_status new_node(parser *ps, pkh__xkind kind, int op, size_t start, size_t end, size_t at,
                           int32_t *out)
{
    pkh_expr *e = ps->e;
    if ((size_t)e->nnodes == e->nodes_cap) {
        if (e->nnodes >= INT32_MAX / 2) {
            return fail(ps, start, NULL, "expression too long");
        }
        const size_t cap = e->nodes_cap ? e->nodes_cap * 2 : 16;
        pkh__xnode *nodes =
            pkh__realloc(e->alloc, e->nodes, e->nodes_cap * sizeof *nodes, cap * sizeof *nodes);
        if (nodes == NULL) {
            return pkh__enomem(ps->err);
        }
        e->nodes = nodes;
        e->nodes_cap = cap;
    }
    pkh__xnode *x = &e->nodes[e->nnodes];
    memset(x, 0, sizeof *x);
    x->kind = (uint8_t)kind;
    x->op = (uint8_t)op;
    x->first = x->next = -1;
    x->depth = 1;
    x->start = start;
    x->end = end;
    x->at = at;
    *out = e->nnodes++;
    return PKH_OK;
}

/* Make `kid` the last child of `parent`, after `prev` (-1 for the first child). */
static pkh_status add_kid(parser *ps, int32_t parent, int32_t prev, int32_t kid)
{
    pkh__xnode *nodes = ps->e->nodes;
    if (prev < 0) {
        nodes[parent].first = kid;
    } else {
        nodes[prev].next = kid;
    }
    nodes[parent].nkids++;
    if (nodes[kid].depth + 1 > nodes[parent].depth) {
        nodes[parent].depth = nodes[kid].depth + 1;
        if (nodes[parent].depth > PKH__EXPR_MAX_DEPTH) {
            return fail(ps, nodes[parent].at, NULL, "expression too deep (more than %d levels)",
                        PKH__EXPR_MAX_DEPTH);
        }
    }
    return PKH_OK;
}

static pkh_status binary(parser *ps, int op, size_t at, int32_t a, int32_t b, int32_t *out)
{
    const pkh__xnode *nodes = ps->e->nodes;
    pkh_status st = new_node(ps, PKH__X_BIN, op, nodes[a].start, nodes[b].end, at, out);
    if (st == PKH_OK) {
        st = add_kid(ps, *out, -1, a);
    }
    return st == PKH_OK ? add_kid(ps, *out, a, b) : st;
}

/* Append `len` bytes (unescaping \" and \\ when `unescape`) and a NUL to the string store. */
static pkh_status add_str(parser *ps, const char *src, size_t len, bool unescape, int32_t node)
{
    pkh_expr *e = ps->e;
    if (e->strs_len + len + 1 > e->strs_cap) {
        size_t cap = e->strs_cap ? e->strs_cap * 2 : 64;
        while (cap < e->strs_len + len + 1) {
            cap *= 2;
        }
        char *p = pkh__realloc(e->alloc, e->strs, e->strs_cap, cap);
        if (p == NULL) {
            return pkh__enomem(ps->err);
        }
        e->strs = p;
        e->strs_cap = cap;
    }
    char *dst = e->strs + e->strs_len;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (unescape && src[i] == '\\') {
            i++;
        }
        dst[o++] = src[i];
    }
    dst[o] = '\0';
    e->nodes[node].str = e->strs_len;
    e->nodes[node].str_len = o;
    e->strs_len += o + 1;
    return PKH_OK;
}

static pkh_status enter(parser *ps)
{
    if (++ps->nest > PKH__EXPR_MAX_NEST) {
        return fail(ps, ps->t.start, NULL, "expression nested too deeply (more than %d levels)",
                    PKH__EXPR_MAX_NEST);
    }
    return PKH_OK;
}

static pkh_status parse_or(parser *ps, int32_t *out);
static pkh_status parse_unary(parser *ps, int32_t *out);

static int find_function(const char *name, size_t len)
{
    for (int f = 1; f < NUM_FNS; f++) {
        if (strlen(fns[f].name) == len && memcmp(fns[f].name, name, len) == 0) {
            return f;
        }
    }
    return 0;
}

static pkh_status check_arity(parser *ps, int fn, int32_t call)
{
    const int n = ps->e->nodes[call].nkids;
    const fn_info *f = &fns[fn];
    if (n >= f->min_args && n <= f->max_args) {
        return PKH_OK;
    }
    const size_t at = ps->e->nodes[call].at;
    if (f->max_args == INT_MAX) {
        return fail(ps, at, NULL, "%s() takes at least %d argument%s, not %d", f->name, f->min_args,
                    f->min_args == 1 ? "" : "s", n);
    }
    return fail(ps, at, NULL, "%s() takes %d argument%s, not %d", f->name, f->min_args,
                f->min_args == 1 ? "" : "s", n);
}

/* name( args ) with the current token at '('. */
static pkh_status parse_call(parser *ps, size_t name_at, size_t name_end, int32_t *out)
{
    const int fn = find_function(ps->s + name_at, name_end - name_at);
    if (fn == 0) {
        char q[64];
        return fail(ps, name_at,
                    "the functions are log, log10, exp, sqrt, abs, floor, ceil, round, min, max, "
                    "pow, if, is_missing, coalesce",
                    "unknown function %s",
                    pkh__quote(ps->s + name_at, name_end - name_at, q, sizeof q));
    }
    pkh_status st = new_node(ps, PKH__X_CALL, fn, name_at, name_end, name_at, out);
    if (st == PKH_OK) {
        st = enter(ps);
    }
    if (st == PKH_OK) {
        st = lex(ps);
    }
    int32_t prev = -1;
    if (st == PKH_OK && ps->t.kind != T_RP) {
        for (;;) {
            int32_t arg;
            st = parse_or(ps, &arg);
            if (st == PKH_OK) {
                st = add_kid(ps, *out, prev, arg);
                prev = arg;
            }
            if (st != PKH_OK || ps->t.kind != T_COMMA) {
                break;
            }
            st = lex(ps);
        }
    }
    if (st == PKH_OK && ps->t.kind != T_RP) {
        st = unexpected(ps, ps->t.kind == T_END ? "a \")\" is missing" : "expected \",\" or \")\"");
    }
    if (st == PKH_OK) {
        ps->e->nodes[*out].end = ps->t.end;
        ps->nest--;
        st = check_arity(ps, fn, *out);
    }
    return st == PKH_OK ? lex(ps) : st;
}

static pkh_status parse_literal(parser *ps, int32_t *out)
{
    const tok t = ps->t;
    pkh_status st = PKH_OK;
    switch (t.kind) {
    case T_INT:
        st = new_node(ps, PKH__X_INT, 0, t.start, t.end, t.start, out);
        if (st == PKH_OK) {
            ps->e->nodes[*out].ival = t.ival;
        }
        break;
    case T_FLT:
        st = new_node(ps, PKH__X_FLT, 0, t.start, t.end, t.start, out);
        if (st == PKH_OK) {
            ps->e->nodes[*out].fval = t.fval;
        }
        break;
    case T_STR:
        st = new_node(ps, PKH__X_STR, 0, t.start, t.end, t.start, out);
        if (st == PKH_OK) {
            st = add_str(ps, ps->s + t.start + 1, t.end - t.start - 2, true, *out);
        }
        break;
    default:
        st = new_node(ps, PKH__X_BOOL, 0, t.start, t.end, t.start, out);
        if (st == PKH_OK) {
            ps->e->nodes[*out].ival = tok_is(ps, "true");
        }
        break;
    }
    return st == PKH_OK ? lex(ps) : st;
}

static pkh_status parse_primary(parser *ps, int32_t *out)
{
    const tok t = ps->t;
    pkh_status st;
    switch (t.kind) {
    case T_INT:
    case T_FLT:
    case T_STR:
        return parse_literal(ps, out);
    case T_LP:
        st = enter(ps);
        if (st == PKH_OK) {
            st = lex(ps);
        }
        if (st == PKH_OK) {
            st = parse_or(ps, out);
        }
        if (st == PKH_OK && ps->t.kind != T_RP) {
            st = unexpected(ps, ps->t.kind == T_END ? "a \")\" is missing" : NULL);
        }
        if (st == PKH_OK) {
            ps->nest--;
            st = lex(ps);
        }
        return st;
    case T_QIDENT:
    case T_IDENT:
        break;
    default:
        return unexpected(ps, NULL);
    }
    if (tok_is(ps, "true") || tok_is(ps, "false")) {
        return parse_literal(ps, out);
    }
    if (tok_is(ps, "in")) {
        return unexpected(ps, "a column named in is written `in`");
    }
    st = lex(ps);
    if (st == PKH_OK && t.kind == T_IDENT && ps->t.kind == T_LP) {
        return parse_call(ps, t.start, t.end, out);
    }
    if (st == PKH_OK) {
        st = new_node(ps, PKH__X_COL, 0, t.start, t.end, t.start, out);
    }
    if (st == PKH_OK) {
        const bool q = t.kind == T_QIDENT;
        st = add_str(ps, ps->s + t.start + q, t.end - t.start - 2 * q, false, *out);
    }
    return st;
}

static pkh_status parse_power(parser *ps, int32_t *out)
{
    pkh_status st = parse_primary(ps, out);
    if (st != PKH_OK || ps->t.kind != T_CARET) {
        return st;
    }
    const size_t at = ps->t.start;
    int32_t exponent;
    st = enter(ps);
    if (st == PKH_OK) {
        st = lex(ps);
    }
    if (st == PKH_OK) {
        st = parse_unary(ps, &exponent); /* right-associative; 2^-1 allowed */
    }
    if (st == PKH_OK) {
        ps->nest--;
        st = binary(ps, PKH__OP_POW, at, *out, exponent, out);
    }
    return st;
}

static pkh_status parse_unary(parser *ps, int32_t *out)
{
    if (ps->t.kind != T_MINUS && ps->t.kind != T_PLUS) {
        return parse_power(ps, out);
    }
    const size_t at = ps->t.start;
    const bool minus = ps->t.kind == T_MINUS;
    int32_t operand;
    pkh_status st = enter(ps);
    if (st == PKH_OK) {
        st = lex(ps);
    }
    if (st == PKH_OK) {
        st = parse_unary(ps, &operand);
    }
    if (st != PKH_OK) {
        return st;
    }
    ps->nest--;
    pkh__xnode *x = &ps->e->nodes[operand];
    if (!minus || x->kind == PKH__X_INT || x->kind == PKH__X_FLT) {
        if (minus) { /* fold the sign into the literal */
            x->ival = -x->ival;
            x->fval = -x->fval;
        }
        x->start = at;
        *out = operand;
        return PKH_OK;
    }
    st = new_node(ps, PKH__X_NEG, 0, at, x->end, at, out);
    return st == PKH_OK ? add_kid(ps, *out, -1, operand) : st;
}

static pkh_status parse_mul(parser *ps, int32_t *out)
{
    pkh_status st = parse_unary(ps, out);
    while (st == PKH_OK && (ps->t.kind == T_STAR || ps->t.kind == T_SLASH || ps->t.kind == T_PCT)) {
        const int op = ps->t.kind == T_STAR    ? PKH__OP_MUL
                       : ps->t.kind == T_SLASH ? PKH__OP_DIV
                                               : PKH__OP_MOD;
        const size_t at = ps->t.start;
        int32_t b;
        st = lex(ps);
        if (st == PKH_OK) {
            st = parse_unary(ps, &b);
        }
        if (st == PKH_OK) {
            st = binary(ps, op, at, *out, b, out);
        }
    }
    return st;
}

static pkh_status parse_add(parser *ps, int32_t *out)
{
    pkh_status st = parse_mul(ps, out);
    while (st == PKH_OK && (ps->t.kind == T_PLUS || ps->t.kind == T_MINUS)) {
        const int op = ps->t.kind == T_PLUS ? PKH__OP_ADD : PKH__OP_SUB;
        const size_t at = ps->t.start;
        int32_t b;
        st = lex(ps);
        if (st == PKH_OK) {
            st = parse_mul(ps, &b);
        }
        if (st == PKH_OK) {
            st = binary(ps, op, at, *out, b, out);
        }
    }
    return st;
}

static int comparison_op(tkind k)
{
    switch (k) {
    case T_EQ:
        return PKH__OP_EQ;
    case T_NE:
        return PKH__OP_NE;
    case T_LT:
        return PKH__OP_LT;
    case T_LE:
        return PKH__OP_LE;
    case T_GT:
        return PKH__OP_GT;
    case T_GE:
        return PKH__OP_GE;
    default:
        return 0;
    }
}

/* One element of an `in` list: a number (with an optional sign), a string, true or false. */
static pkh_status parse_in_element(parser *ps, int32_t *out)
{
    static const char hint[] = "the list after in holds numbers or strings, e.g. x in (1, 2)";
    const tkind k = ps->t.kind;
    if (k == T_MINUS || k == T_PLUS) {
        pkh_status st = parse_unary(ps, out);
        const int kind = st == PKH_OK ? ps->e->nodes[*out].kind : 0;
        if (st == PKH_OK && kind != PKH__X_INT && kind != PKH__X_FLT) {
            st = fail(ps, ps->e->nodes[*out].start, hint, "expected a number");
        }
        return st;
    }
    if (k == T_INT || k == T_FLT || k == T_STR || tok_is(ps, "true") || tok_is(ps, "false")) {
        return parse_literal(ps, out);
    }
    return unexpected(ps, hint);
}

/* x in (literal, ...), with the current token at `in`. */
static pkh_status parse_in(parser *ps, int32_t *out)
{
    const size_t at = ps->t.start;
    const int32_t x = *out;
    int32_t node, prev = x;
    pkh_status st = new_node(ps, PKH__X_IN, 0, ps->e->nodes[x].start, ps->t.end, at, &node);
    if (st == PKH_OK) {
        st = add_kid(ps, node, -1, x);
    }
    if (st == PKH_OK) {
        st = lex(ps);
    }
    if (st == PKH_OK && ps->t.kind != T_LP) {
        st = unexpected(ps, "write x in (1, 2, 3)");
    }
    if (st == PKH_OK) {
        st = lex(ps);
    }
    while (st == PKH_OK) {
        int32_t element;
        st = parse_in_element(ps, &element);
        if (st == PKH_OK) {
            st = add_kid(ps, node, prev, element);
            prev = element;
        }
        if (st != PKH_OK || ps->t.kind == T_RP) {
            break;
        }
        st = ps->t.kind == T_COMMA ? lex(ps) : unexpected(ps, "expected \",\" or \")\"");
    }
    if (st == PKH_OK) {
        ps->e->nodes[node].end = ps->t.end;
        *out = node;
        st = lex(ps);
    }
    return st;
}

static pkh_status parse_cmp(parser *ps, int32_t *out)
{
    pkh_status st = parse_add(ps, out);
    if (st != PKH_OK) {
        return st;
    }
    const int op = comparison_op(ps->t.kind);
    if (op != 0) {
        const size_t at = ps->t.start;
        int32_t b;
        st = lex(ps);
        if (st == PKH_OK) {
            st = parse_add(ps, &b);
        }
        if (st == PKH_OK) {
            st = binary(ps, op, at, *out, b, out);
        }
    } else if (tok_is(ps, "in")) {
        st = parse_in(ps, out);
    } else {
        return PKH_OK;
    }
    if (st == PKH_OK && (comparison_op(ps->t.kind) != 0 || tok_is(ps, "in"))) {
        st = unexpected(ps, "comparisons do not chain: write a < b && b < c");
    }
    return st;
}

static pkh_status parse_not(parser *ps, int32_t *out)
{
    if (ps->t.kind != T_NOT) {
        return parse_cmp(ps, out);
    }
    const size_t at = ps->t.start;
    int32_t operand;
    pkh_status st = enter(ps);
    if (st == PKH_OK) {
        st = lex(ps);
    }
    if (st == PKH_OK) {
        st = parse_not(ps, &operand);
    }
    if (st != PKH_OK) {
        return st;
    }
    ps->nest--;
    st = new_node(ps, PKH__X_NOT, 0, at, ps->e->nodes[operand].end, at, out);
    return st == PKH_OK ? add_kid(ps, *out, -1, operand) : st;
}

static pkh_status parse_and(parser *ps, int32_t *out)
{
    pkh_status st = parse_not(ps, out);
    while (st == PKH_OK && ps->t.kind == T_AND) {
        const size_t at = ps->t.start;
        int32_t b;
        st = lex(ps);
        if (st == PKH_OK) {
            st = parse_not(ps, &b);
        }
        if (st == PKH_OK) {
            st = binary(ps, PKH__OP_AND, at, *out, b, out);
        }
    }
    return st;
}

static pkh_status parse_or(parser *ps, int32_t *out)
{
    pkh_status st = parse_and(ps, out);
    while (st == PKH_OK && ps->t.kind == T_OR) {
        const size_t at = ps->t.start;
        int32_t b;
        st = lex(ps);
        if (st == PKH_OK) {
            st = parse_and(ps, &b);
        }
        if (st == PKH_OK) {
            st = binary(ps, PKH__OP_OR, at, *out, b, out);
        }
    }
    return st;
}

/* The distinct column names, in order of first use (leaves are made in text order). */
static pkh_status list_columns(pkh_expr *e, pkh_error *err)
{
    int64_t n = 0;
    for (int32_t i = 0; i < e->nnodes; i++) {
        n += e->nodes[i].kind == PKH__X_COL;
    }
    if (n == 0) {
        return PKH_OK;
    }
    e->cols = pkh__alloc(e->alloc, (size_t)n * sizeof *e->cols);
    if (e->cols == NULL) {
        return pkh__enomem(err);
    }
    e->cols_cap = (size_t)n;
    for (int32_t i = 0; i < e->nnodes; i++) {
        if (e->nodes[i].kind != PKH__X_COL) {
            continue;
        }
        const char *name = e->strs + e->nodes[i].str;
        bool seen = false;
        for (int64_t k = 0; k < e->ncols && !seen; k++) {
            seen = strcmp(e->cols[k], name) == 0;
        }
        if (!seen) {
            e->cols[e->ncols++] = name;
        }
    }
    return PKH_OK;
}

/* ---- public API ---- */

static void expr_release(pkh_expr *e)
{
    const pkh_allocator *a = e->alloc;
    pkh__free(a, e->text, e->text_len + 1);
    pkh__free(a, e->nodes, e->nodes_cap * sizeof *e->nodes);
    pkh__free(a, e->strs, e->strs_cap);
    pkh__free(a, (void *)e->cols, e->cols_cap * sizeof *e->cols);
    pkh__free(a, e, sizeof *e);
}

pkh_status pkh_expr_parse(const char *text, const pkh_allocator *allocator, pkh_expr **out,
                          pkh_error *err)
{
    if (text == NULL || out == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_expr_parse: text and out must not be NULL");
    }
    const pkh_allocator *a = pkh__allocator(allocator);
    pkh_expr *e = pkh__calloc(a, 1, sizeof *e);
    if (e == NULL) {
        return pkh__enomem(err);
    }
    e->alloc = a;
    e->text_len = strlen(text);
    e->text = pkh__strndup(a, text, e->text_len);
    if (e->text == NULL) {
        pkh__free(a, e, sizeof *e);
        return pkh__enomem(err);
    }
    parser ps = {e, e->text, e->text_len, 0, {T_END, 0, 0, 0, 0}, 0, err};
    pkh_status st = lex(&ps);
    if (st == PKH_OK && ps.t.kind == T_END) {
        st = fail(&ps, ps.t.start, "the expression is empty", "unexpected end of expression");
    }
    if (st == PKH_OK) {
        st = parse_or(&ps, &e->root);
    }
    if (st == PKH_OK && ps.t.kind != T_END) {
        st = unexpected(&ps, ps.t.kind == T_RP ? "this \")\" has no \"(\"" : NULL);
    }
    if (st == PKH_OK) {
        st = list_columns(e, err);
    }
    if (st != PKH_OK) {
        expr_release(e);
        return st;
    }
    *out = e;
    return PKH_OK;
}

void pkh_expr_free(pkh_expr *expr)
{
    if (expr != NULL) {
        expr_release(expr);
    }
}

const char *pkh_expr_text(const pkh_expr *expr)
{
    return expr->text;
}

int64_t pkh_expr_num_columns(const pkh_expr *expr)
{
    return expr->ncols;
}

const char *pkh_expr_column(const pkh_expr *expr, int64_t i)
{
    return i >= 0 && i < expr->ncols ? expr->cols[i] : NULL;
}

pkh_status pkh_define_split(const char *text, char *name, size_t name_cap, const char **expr_text,
                            pkh_error *err)
{
    if (text == NULL || name == NULL || expr_text == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "pkh_define_split: NULL argument");
    }
    char q[64];
    size_t i = 0;
    while (text[i] == ' ' || text[i] == '\t') {
        i++;
    }
    const size_t start = i;
    if (is_ident_start(text[i])) {
        while (is_ident_char(text[i])) {
            i++;
        }
    }
    const size_t end = i;
    while (text[i] == ' ' || text[i] == '\t') {
        i++;
    }
    if (end == start || text[i] != '=') {
        return pkh__errorf(err, PKH_EPARSE,
                           "in definition %s: a definition is NAME=EXPR, e.g. pc=hhexp/hhsize, "
                           "with NAME made of letters, digits, _ and . (not starting with a digit)",
                           pkh__quote(text, strlen(text), q, sizeof q));
    }
    if (text[i + 1] == '=') {
        return pkh__errorf(err, PKH_EPARSE,
                           "in definition %s: write a single = between the name and the "
                           "expression, e.g. pc=hhexp/hhsize",
                           pkh__quote(text, strlen(text), q, sizeof q));
    }
    if (end - start + 1 > name_cap) {
        return pkh__errorf(err, PKH_EINVAL, "in definition %s: the name is longer than %zu bytes",
                           pkh__quote(text, strlen(text), q, sizeof q),
                           name_cap > 0 ? name_cap - 1 : 0);
    }
    memcpy(name, text + start, end - start);
    name[end - start] = '\0';
    *expr_text = text + i + 1;
    return PKH_OK;
}
