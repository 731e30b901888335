/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Exact number parsing and round-trip formatting, independent of the process locale.
 *
 * Parsing takes Clinger's fast path (a mantissa of at most 2^53 scaled by an exactly
 * representable power of ten: one correctly rounded operation gives the correctly rounded
 * result) and falls back to strtod_l in the "C" locale otherwise, so every value is the double
 * strtod gives.
 */
#include <math.h>
#include <stdlib.h>

#include "internal/io.h"

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define TWO53 9007199254740992.0

locale_t pkh__c_locale(void)
{
    return newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10u;
}

static bool equals_nocase(const char *p, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i] != '\0'; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != word[i]) {
            return false;
        }
    }
    return i == n && word[i] == '\0';
}

static pkh__num parse_integer(const char *p, size_t n, bool neg, bool canon, int64_t *iv,
                              bool *canonical)
{
    if (n > 19) {
        return PKH__NUM_BIGINT;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) {
            return PKH__NUM_BIGINT;
        }
        *iv = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        canon = canon && v != 0; /* "-0" */
    } else {
        if (v > (uint64_t)INT64_MAX) {
            return PKH__NUM_BIGINT;
        }
        *iv = (int64_t)v;
    }
    *canonical = canon;
    return PKH__NUM_INT;
}

static double slow_float(const char *p, size_t n, char decimal, locale_t loc, bool *ok)
{
    char buf[256];
    if (n >= sizeof buf || loc == (locale_t)0) {
        *ok = false;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = p[i] == decimal ? '.' : p[i];
    }
    buf[n] = '\0';
    char *end = NULL;
    const double v = strtod_l(buf, &end, loc);
    *ok = end == buf + n;
    return v;
}

pkh__num pkh__parse_number(const char *p, size_t n, char decimal, locale_t loc, int64_t *iv,
                           double *dv, bool *canonical)
{
    size_t i = 0;
    bool neg = false, canon = true;
    if (n == 0) {
        return PKH__NUM_NONE;
    }
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        canon = !(p[0] == '+');
        i = 1;
        if (i == n) {
            return PKH__NUM_NONE;
        }
    }
    if (p[i] == 'i' || p[i] == 'I') {
        if (equals_nocase(p + i, n - i, "inf") || equals_nocase(p + i, n - i, "infinity")) {
            *dv = neg ? -HUGE_VAL : HUGE_VAL;
            *canonical = false;
            return PKH__NUM_FLOAT;
        }
        return PKH__NUM_NONE;
    }
    const size_t int_start = i;
    while (i < n && is_digit(p[i])) {
        i++;
    }
    const size_t int_len = i - int_start;
    size_t frac_start = i, frac_len = 0;
    bool has_point = false, has_exp = false;
    if (i < n && p[i] == decimal) {
        has_point = true;
        frac_start = ++i;
        while (i < n && is_digit(p[i])) {
            i++;
        }
        frac_len = i - frac_start;
    }
    if (int_len + frac_len == 0) {
        return PKH__NUM_NONE;
    }
    int exp = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        has_exp = true;
        i++;
        bool eneg = false;
        if (i < n && (p[i] == '+' || p[i] == '-')) {
            eneg = p[i] == '-';
            i++;
        }
        const size_t es = i;
        while (i < n && is_digit(p[i])) {
            if (exp < 100000) {
                exp = exp * 10 + (p[i] - '0');
            }
            i++;
        }
        if (i == es) {
            return PKH__NUM_NONE;
        }
        exp = eneg ? -exp : exp;
    }
    if (i != n) {
        return PKH__NUM_NONE;
    }
    if (int_len > 1 && p[int_start] == '0') {
        return PKH__NUM_NONE; /* "0107", "00.5": codes, not quantities */
    }
    if (!has_point && !has_exp) {
        return parse_integer(p + int_start, int_len, neg, canon, iv, canonical);
    }
    /* mantissa over the significant digits */
    uint64_t m = 0;
    int sig = 0, lead_frac_zeros = 0;
    bool seen = false;
    for (size_t k = int_start; k < int_start + int_len; k++) {
        const int d = p[k] - '0';
        seen = seen || d != 0;
        if (seen) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)d;
            }
            sig++;
        }
    }
    const int int_extra = sig > 19 ? sig - 19 : 0; /* integer digits beyond the mantissa */
    for (size_t k = frac_start; k < frac_start + frac_len; k++) {
        const int d = p[k] - '0';
        if (!seen && d == 0) {
            lead_frac_zeros++;
        }
        seen = seen || d != 0;
        if (seen) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)d;
            }
            sig++;
        }
    }
    if (has_exp || frac_len == 0 || int_len == 0 || p[frac_start + frac_len - 1] == '0' ||
        sig > 15 || int_len > 15 || (int_len == 1 && p[int_start] == '0' && lead_frac_zeros >= 4)) {
        canon = false;
    }
    *canonical = canon;
    double v;
    const long e10 = (long)exp - (long)frac_len + (long)int_extra;
    if (m == 0) {
        v = 0.0;
    } else if (sig <= 19 && (double)m <= TWO53 && m <= (uint64_t)TWO53 && e10 >= -22 && e10 <= 22) {
        v = e10 < 0 ? (double)m / pow10_exact[-e10] : (double)m * pow10_exact[e10];
    } else {
        bool ok;
        v = slow_float(p, n, decimal, loc, &ok);
        if (!ok) {
            return PKH__NUM_NONE;
        }
        *dv = v;
        return PKH__NUM_FLOAT;
    }
    *dv = neg ? -v : v;
    return PKH__NUM_FLOAT;
}

size_t pkh__int_text(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, o = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        buf[o++] = '-';
    }
    while (n > 0) {
        buf[o++] = tmp[--n];
    }
    buf[o] = '\0';
    return o;
}

/* snprintf follows LC_NUMERIC: whatever the decimal point came out as, make it `decimal`. */
static size_t fix_point(char *buf, size_t len, char decimal)
{
    size_t i = 0;
    while (i < len && (is_digit(buf[i]) || buf[i] == '-' || buf[i] == '+')) {
        i++;
    }
    if (i == len || buf[i] == 'e' || buf[i] == 'E' || buf[i] == 'i' || buf[i] == 'n') {
        return len;
    }
    size_t j = i;
    while (j < len && !is_digit(buf[j])) {
        j++;
    }
    buf[i] = decimal;
    memmove(buf + i + 1, buf + j, len - j + 1);
    return len - (j - i - 1);
}

size_t pkh__float_text(double v, char decimal, char *buf)
{
    const int k = snprintf(buf, 32, "%.15g", v);
    return fix_point(buf, (size_t)k, decimal);
}

/* The shortest k / 10^d with k < 2^53 that is exactly v, printed in plain notation. */
static size_t format_decimal(double v, char *buf)
{
    const double av = fabs(v);
    for (int d = 0; d <= 22; d++) {
        const double t = av * pow10_exact[d];
        if (t >= TWO53) {
            break;
        }
        const double k = nearbyint(t);
        if (k / pow10_exact[d] != av || k == 0) {
            continue;
        }
        char digits[24];
        const size_t len = pkh__int_text((int64_t)k, digits);
        size_t o = 0;
        if (signbit(v)) {
            buf[o++] = '-';
        }
        if (d == 0) {
            memcpy(buf + o, digits, len);
            o += len;
        } else if ((int)len > d) {
            memcpy(buf + o, digits, len - (size_t)d);
            o += len - (size_t)d;
            buf[o++] = '.';
            memcpy(buf + o, digits + len - (size_t)d, (size_t)d);
            o += (size_t)d;
        } else {
            buf[o++] = '0';
            buf[o++] = '.';
            for (int z = 0; z < d - (int)len; z++) {
                buf[o++] = '0';
            }
            memcpy(buf + o, digits, len);
            o += len;
        }
        buf[o] = '\0';
        return o;
    }
    return 0;
}

size_t pkh__format_double(double v, char *buf, locale_t loc)
{
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        memcpy(buf, v > 0 ? "Inf" : "-Inf", v > 0 ? 4 : 5);
        return v > 0 ? 3 : 4;
    }
    if (v == 0) {
        memcpy(buf, signbit(v) ? "-0" : "0", signbit(v) ? 3 : 2);
        return signbit(v) ? 2 : 1;
    }
    size_t n = format_decimal(v, buf);
    if (n > 0) {
        return n;
    }
    for (int prec = 15; prec <= 17; prec++) {
        const int k = snprintf(buf, 32, "%.*g", prec, v);
        n = fix_point(buf, (size_t)k, '.');
        if (prec == 17 || loc == (locale_t)0 || strtod_l(buf, NULL, loc) == v) {
            break;
        }
    }
    return n;
}

size_t pkh_format_double(double value, char *buf)
{
    locale_t loc = pkh__c_locale();
    const size_t n = pkh__format_double(value, buf, loc);
    if (loc != (locale_t)0) {
        freelocale(loc);
    }
    return n;
}
