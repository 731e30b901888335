/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Indicator names, line specifications, quantile rules, and the array kernels of the public API.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/stats.h"

const char *pkh_quantile_rule_name(pkh_quantile_rule rule)
{
    switch (rule) {
    case PKH_QUANTILE_GT:
        return "gt";
    case PKH_QUANTILE_GE:
        return "ge";
    case PKH_QUANTILE_GE_AVG:
        return "ge_avg";
    }
    return "?";
}

pkh_status pkh_quantile_rule_parse(const char *name, pkh_quantile_rule *out)
{
    static const pkh_quantile_rule rules[] = {PKH_QUANTILE_GT, PKH_QUANTILE_GE,
                                              PKH_QUANTILE_GE_AVG};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(name, pkh_quantile_rule_name(rules[i])) == 0) {
            *out = rules[i];
            return PKH_OK;
        }
    }
    return PKH_EINVAL;
}

/* ---- indicator names ---- */

/* A number with nothing after it. */
static bool parse_num(const char *s, double *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0') {
        return false;
    }
    *out = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*out);
}

/* The canonical text of a parameter: shortest form ("0.5", "-1", "2"). */
static void fmt_param(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.15g", v);
}

static pkh_status bad_name(const char *text, pkh_error *err)
{
    return pkh__errorf(err, PKH_EINVAL,
                       "unknown indicator \"%s\"; the indicators are: fgt0 fgt1 fgt2 fgt:A watts "
                       "sen sst poor gap_total income_gap_ratio line gini mld theil ge2 ge:A "
                       "atkinson:E palma s80s20 s80s20_means p90p10 ratio:P:Q share_b40 "
                       "share_d1..share_d10 share_q1..share_q5 cv mean median quantile:P "
                       "lorenz:P glorenz:P population fgt_decomp:A ge_decomp:A",
                       text);
}

static pkh_status bad_param(const char *text, const char *what, pkh_error *err)
{
    return pkh__errorf(err, PKH_EINVAL, "indicator \"%s\": %s", text, what);
}

typedef struct simple_name {
    const char *name;
    pkh_indicator_kind kind;
    double a, b;
} simple_name;

static const simple_name simple[] = {
    {"fgt0", PKH_IND_FGT, 0, 0},
    {"fgt1", PKH_IND_FGT, 1, 0},
    {"fgt2", PKH_IND_FGT, 2, 0},
    {"watts", PKH_IND_WATTS, 0, 0},
    {"sen", PKH_IND_SEN, 0, 0},
    {"sst", PKH_IND_SST, 0, 0},
    {"poor", PKH_IND_POOR, 0, 0},
    {"gap_total", PKH_IND_GAP_TOTAL, 0, 0},
    {"income_gap_ratio", PKH_IND_INCOME_GAP_RATIO, 0, 0},
    {"line", PKH_IND_LINE, 0, 0},
    {"gini", PKH_IND_GINI, 0, 0},
    {"mld", PKH_IND_GE, 0, 0},
    {"theil", PKH_IND_GE, 1, 0},
    {"ge2", PKH_IND_GE, 2, 0},
    {"palma", PKH_IND_PALMA, 0, 0},
    {"s80s20", PKH_IND_S80S20, 0, 0},
    {"s80s20_means", PKH_IND_S80S20_MEANS, 0, 0},
    {"p90p10", PKH_IND_RATIO, 0.9, 0.1},
    {"share_b40", PKH_IND_SHARE_B40, 0, 0},
    {"cv", PKH_IND_CV, 0, 0},
    {"mean", PKH_IND_MEAN, 0, 0},
    {"median", PKH_IND_MEDIAN, 0.5, 0},
    {"population", PKH_IND_POPULATION, 0, 0},
};

/* "share_d3" / "share_q2" */
static bool parse_share(const char *text, pkh_indicator *out)
{
    const bool dec = strncmp(text, "share_d", 7) == 0, quin = strncmp(text, "share_q", 7) == 0;
    if (!dec && !quin) {
        return false;
    }
    char *end = NULL;
    const long k = strtol(text + 7, &end, 10);
    if (end == text + 7 || *end != '\0' || k < 1 || k > (dec ? 10 : 5)) {
        return false;
    }
    out->kind = dec ? PKH_IND_DECILE_SHARE : PKH_IND_QUINTILE_SHARE;
    out->b = (double)k;
    snprintf(out->name, sizeof out->name, "%s", text);
    return true;
}

/* Names with parameters: fgt:A ge:A atkinson:E ratio:P:Q quantile:P lorenz:P glorenz:P
 * fgt_decomp:A ge_decomp:A. */
static pkh_status parse_param(const char *text, pkh_indicator *out, pkh_error *err)
{
    char head[32];
    const char *colon = strchr(text, ':');
    const size_t hl = (size_t)(colon - text);
    if (hl >= sizeof head) {
        return bad_name(text, err);
    }
    memcpy(head, text, hl);
    head[hl] = '\0';
    const char *rest = colon + 1;
    char p1[24];
    if (strcmp(head, "ratio") == 0) {
        const char *c2 = strchr(rest, ':');
        char first[40];
        if (c2 == NULL || (size_t)(c2 - rest) >= sizeof first) {
            return bad_param(text, "write ratio:P:Q with two quantile levels in (0, 1)", err);
        }
        memcpy(first, rest, (size_t)(c2 - rest));
        first[c2 - rest] = '\0';
        if (!parse_num(first, &out->a) || !parse_num(c2 + 1, &out->b) || out->a <= 0 ||
            out->a >= 1 || out->b <= 0 || out->b >= 1) {
            return bad_param(text,
                             "write ratio:P:Q with two quantile levels in (0, 1), e.g. "
                             "ratio:0.9:0.1",
                             err);
        }
        char p2[24];
        fmt_param(p1, sizeof p1, out->a);
        fmt_param(p2, sizeof p2, out->b);
        out->kind = PKH_IND_RATIO;
        snprintf(out->name, sizeof out->name, "ratio:%s:%s", p1, p2);
        return PKH_OK;
    }
    double v;
    if (!parse_num(rest, &v)) {
        return bad_param(text, "the parameter after ':' must be a number", err);
    }
    out->a = v;
    fmt_param(p1, sizeof p1, v);
    if (strcmp(head, "fgt") == 0 || strcmp(head, "fgt_decomp") == 0) {
        if (v < 0) {
            return bad_param(text, "alpha must be >= 0", err);
        }
        out->kind = head[3] == '\0' ? PKH_IND_FGT : PKH_IND_FGT_DECOMP;
        if (out->kind == PKH_IND_FGT && (v == 0 || v == 1 || v == 2)) {
            snprintf(out->name, sizeof out->name, "fgt%d", (int)v);
        } else {
            snprintf(out->name, sizeof out->name, "%s:%s", head, p1);
        }
    } else if (strcmp(head, "ge") == 0 || strcmp(head, "ge_decomp") == 0) {
        out->kind = head[2] == '\0' ? PKH_IND_GE : PKH_IND_GE_DECOMP;
        if (out->kind == PKH_IND_GE && v == 0) {
            snprintf(out->name, sizeof out->name, "mld");
        } else if (out->kind == PKH_IND_GE && v == 1) {
            snprintf(out->name, sizeof out->name, "theil");
        } else if (out->kind == PKH_IND_GE && v == 2) {
            snprintf(out->name, sizeof out->name, "ge2");
        } else {
            snprintf(out->name, sizeof out->name, "%s:%s", head, p1);
        }
    } else if (strcmp(head, "atkinson") == 0) {
        if (v <= 0) {
            return bad_param(text, "epsilon must be > 0", err);
        }
        out->kind = PKH_IND_ATKINSON;
        snprintf(out->name, sizeof out->name, "atkinson:%s", p1);
    } else if (strcmp(head, "quantile") == 0 || strcmp(head, "lorenz") == 0 ||
               strcmp(head, "glorenz") == 0) {
        if (v < 0 || v > 1) {
            return bad_param(text, "p must be in [0, 1] (a fraction: 0.25, not 25)", err);
        }
        out->kind = head[0] == 'q'   ? PKH_IND_QUANTILE
                    : head[0] == 'l' ? PKH_IND_LORENZ
                                     : PKH_IND_GLORENZ;
        snprintf(out->name, sizeof out->name, "%s:%s", head, p1);
    } else {
        return bad_name(text, err);
    }
    return PKH_OK;
}

pkh_status pkh_indicator_parse(const char *text, pkh_indicator *out, pkh_error *err)
{
    pkh_indicator r;
    memset(&r, 0, sizeof r);
    if (text == NULL || strlen(text) >= sizeof r.name) {
        return bad_name(text != NULL ? text : "", err);
    }
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (strcmp(text, simple[i].name) == 0) {
            r.kind = simple[i].kind;
            r.a = simple[i].a;
            r.b = simple[i].b;
            snprintf(r.name, sizeof r.name, "%s", text);
            *out = r;
            return PKH_OK;
        }
    }
    if (parse_share(text, &r)) {
        *out = r;
        return PKH_OK;
    }
    if (strchr(text, ':') == NULL) {
        return bad_name(text, err);
    }
    const pkh_status st = parse_param(text, &r, err);
    if (st == PKH_OK) {
        *out = r;
    }
    return st;
}

int pkh_indicator_needs_line(const pkh_indicator *ind)
{
    switch (ind->kind) {
    case PKH_IND_FGT:
    case PKH_IND_WATTS:
    case PKH_IND_SEN:
    case PKH_IND_SST:
    case PKH_IND_POOR:
    case PKH_IND_GAP_TOTAL:
    case PKH_IND_INCOME_GAP_RATIO:
    case PKH_IND_LINE:
    case PKH_IND_FGT_DECOMP:
        return 1;
    default:
        return 0;
    }
}

pkh_status pkh_line_parse(const char *text, pkh_line *out, pkh_error *err)
{
    pkh_line l;
    memset(&l, 0, sizeof l);
    double v;
    if (parse_num(text, &v)) {
        if (!(v > 0)) {
            return pkh__errorf(err, PKH_EINVAL, "the poverty line must be positive (got %s)", text);
        }
        l.kind = PKH_LINE_VALUE;
        l.value = v;
    } else if (strncmp(text, "rel:", 4) == 0) {
        char frac[40];
        const char *c = strchr(text + 4, ':');
        if (c == NULL || (size_t)(c - text - 4) >= sizeof frac) {
            return pkh__errorf(err, PKH_EINVAL,
                               "a relative line is written rel:F:median or "
                               "rel:F:mean, e.g. rel:0.6:median (got \"%s\")",
                               text);
        }
        memcpy(frac, text + 4, (size_t)(c - text - 4));
        frac[c - text - 4] = '\0';
        if (!parse_num(frac, &v) || !(v > 0) ||
            (strcmp(c + 1, "median") != 0 && strcmp(c + 1, "mean") != 0)) {
            return pkh__errorf(err, PKH_EINVAL,
                               "a relative line is written rel:F:median or "
                               "rel:F:mean with F > 0, e.g. rel:0.6:median (got \"%s\")",
                               text);
        }
        l.kind = strcmp(c + 1, "median") == 0 ? PKH_LINE_REL_MEDIAN : PKH_LINE_REL_MEAN;
        l.value = v;
    } else if (text[0] != '\0') {
        l.kind = PKH_LINE_COLUMN;
        l.column = text;
    } else {
        return pkh__errorf(err, PKH_EINVAL, "empty poverty line");
    }
    *out = l;
    return PKH_OK;
}

/* ---- array kernels of the public API ---- */

static pkh_status check_weights(const double *x, const double *w, int64_t n, pkh_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (x[i] != x[i]) {
            return pkh__errorf(err, PKH_EINVAL, "value %lld is NaN", (long long)i + 1);
        }
        if (w != NULL && !(w[i] >= 0 && isfinite(w[i]))) {
            return pkh__errorf(err, PKH_EINVAL, "weight %lld is negative or not finite",
                               (long long)i + 1);
        }
    }
    return PKH_OK;
}

/* Sort (x, w) by x into freshly allocated arrays and make a segment over them. */
static pkh_status sorted_seg(const double *x, const double *w, int64_t n, pkh__seg *s, double **buf,
                             size_t *bytes, pkh_error *err)
{
    const pkh_allocator *a = pkh_allocator_default();
    const size_t nn = (size_t)(n > 0 ? n : 1);
    *bytes = nn * 4 * sizeof(double);
    double *b = pkh__alloc(a, *bytes);
    uint64_t *keys = pkh__alloc(a, nn * sizeof *keys);
    int64_t *perm = pkh__alloc(a, nn * sizeof *perm);
    pkh_status st = b == NULL || keys == NULL || perm == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        keys[i] = pkh__double_key(x[i]);
    }
    if (st == PKH_OK) {
        st = pkh__radix_argsort(keys, n, 1, a, perm);
    }
    if (st == PKH_OK) {
        for (int64_t i = 0; i < n; i++) {
            b[i] = x[perm[i]];
            b[nn + (size_t)i] = w != NULL ? w[perm[i]] : 1.0;
        }
        memset(s, 0, sizeof *s);
        s->x = b;
        s->w = b + nn;
        s->n = n;
        pkh__seg_prefix(s, b + 2 * nn, b + 3 * nn);
        *buf = b;
    } else {
        pkh__free(a, b, *bytes);
    }
    pkh__free(a, keys, nn * sizeof *keys);
    pkh__free(a, perm, nn * sizeof *perm);
    return st == PKH_OK ? PKH_OK : pkh__enomem(err);
}

pkh_status pkh_weighted_quantile(const double *x, const double *w, int64_t n, double p,
                                 pkh_quantile_rule rule, double *out, pkh_error *err)
{
    if (!(p >= 0 && p <= 1)) {
        return pkh__errorf(err, PKH_EINVAL, "p must be in [0, 1]");
    }
    pkh_status st = check_weights(x, w, n, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__seg s;
    double *buf = NULL;
    size_t bytes = 0;
    st = sorted_seg(x, w, n, &s, &buf, &bytes, err);
    if (st != PKH_OK) {
        return st;
    }
    if (!(s.W > 0)) {
        st = pkh__errorf(err, PKH_EEMPTY, "the total weight is 0");
    } else {
        *out = pkh__seg_quantile(&s, p, rule);
    }
    pkh__free(pkh_allocator_default(), buf, bytes);
    return st;
}

pkh_status pkh_gini(const double *x, const double *w, int64_t n, double *out, pkh_error *err)
{
    pkh_status st = check_weights(x, w, n, err);
    if (st != PKH_OK) {
        return st;
    }
    pkh__seg s;
    double *buf = NULL;
    size_t bytes = 0;
    st = sorted_seg(x, w, n, &s, &buf, &bytes, err);
    if (st != PKH_OK) {
        return st;
    }
    const double g = pkh__gini_sorted(s.x, s.w, n);
    if (g != g) {
        st = pkh__errorf(err, PKH_EEMPTY, "the total weight or the total income is 0");
    } else {
        *out = g;
    }
    pkh__free(pkh_allocator_default(), buf, bytes);
    return st;
}

pkh_status pkh_fgt(const double *x, const double *w, const double *lines, double line, int64_t n,
                   double alpha, double *out, pkh_error *err)
{
    if (!(alpha >= 0)) {
        return pkh__errorf(err, PKH_EINVAL, "alpha must be >= 0");
    }
    pkh_status st = check_weights(x, w, n, err);
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        const double z = lines != NULL ? lines[i] : line;
        if (!(z > 0) || !isfinite(z)) {
            st = pkh__errorf(err, PKH_EINVAL, "the poverty line of row %lld is not positive",
                             (long long)i + 1);
        }
    }
    if (st != PKH_OK) {
        return st;
    }
    pkh__ksum num = {0, 0}, den = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        const double z = lines != NULL ? lines[i] : line, wi = w != NULL ? w[i] : 1.0;
        pkh__ksum_add(&den, wi);
        if (x[i] < z) {
            const double gap = 1 - x[i] / z;
            pkh__ksum_add(&num, wi * (alpha == 0 ? 1.0 : alpha == 1 ? gap : pow(gap, alpha)));
        }
    }
    if (!(pkh__ksum_value(&den) > 0)) {
        return pkh__errorf(err, PKH_EEMPTY, "the total weight is 0");
    }
    *out = pkh__ksum_value(&num) / pkh__ksum_value(&den);
    return PKH_OK;
}
