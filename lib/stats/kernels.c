/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Estimator kernels over one group's rows sorted by income. Every sum is compensated.
 * Formulas and populations (which rows each measure uses) are in docs/indicators.md.
 */
#include <math.h>
#include <stdlib.h>

#include "internal/stats.h"

void pkh__seg_prefix(pkh__seg *s, double *cw, double *cwx)
{
    pkh__ksum a = {0, 0}, b = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        pkh__ksum_add(&a, s->w[i]);
        pkh__ksum_add(&b, s->w[i] * s->x[i]);
        cw[i] = pkh__ksum_value(&a);
        cwx[i] = pkh__ksum_value(&b);
    }
    s->cw = cw;
    s->cwx = cwx;
    s->W = pkh__ksum_value(&a);
    s->SX = pkh__ksum_value(&b);
}

/* One pass for the prefix sums, the lines' total and FGT 0, 1, 2: the same sums, in the same
 * order, as pkh__seg_prefix, pkh__seg_line and pkh__seg_fgt012 make in three. */
#define PREFIX_POVERTY_LOOP(LINE)                          \
    for (int64_t i = 0; i < s->n; i++) {                   \
        const double x = s->x[i], w = s->w[i], z = (LINE); \
        pkh__ksum_add(&a, w);                              \
        pkh__ksum_add(&b, w *x);                           \
        cw[i] = pkh__ksum_value(&a);                       \
        cwx[i] = pkh__ksum_value(&b);                      \
        if (s->z != NULL) {                                \
            pkh__ksum_add(&l, w *z);                       \
        }                                                  \
        if (x < z) {                                       \
            const double gap = 1 - x / z;                  \
            pkh__ksum_add(&n0, w);                         \
            pkh__ksum_add(&n1, w *gap);                    \
            pkh__ksum_add(&n2, w *(gap * gap));            \
        }                                                  \
    }

void pkh__seg_prefix_poverty(pkh__seg *s, double *cw, double *cwx)
{
    pkh__ksum a = {0, 0}, b = {0, 0}, l = {0, 0}, n0 = {0, 0}, n1 = {0, 0}, n2 = {0, 0};
    if (s->z != NULL) {
        PREFIX_POVERTY_LOOP(s->z[i])
    } else {
        PREFIX_POVERTY_LOOP(s->line)
    }
    s->cw = cw;
    s->cwx = cwx;
    s->W = pkh__ksum_value(&a);
    s->SX = pkh__ksum_value(&b);
    s->pre = true;
    s->pre_line = pkh__ksum_value(&l);
    s->pre_fgt[0] = pkh__ksum_value(&n0);
    s->pre_fgt[1] = pkh__ksum_value(&n1);
    s->pre_fgt[2] = pkh__ksum_value(&n2);
}

void pkh__weighted_totals(const double *x, const double *w, int64_t from, int64_t to, double *W,
                          double *SX)
{
    pkh__ksum a = {0, 0}, b = {0, 0};
    for (int64_t i = from; i < to; i++) {
        pkh__ksum_add(&a, w[i]);
        pkh__ksum_add(&b, w[i] * x[i]);
    }
    *W = pkh__ksum_value(&a);
    *SX = pkh__ksum_value(&b);
}

void pkh__seg_totals(pkh__seg *s)
{
    s->cw = NULL;
    s->cwx = NULL;
    pkh__weighted_totals(s->x, s->w, 0, s->n, &s->W, &s->SX);
}

static double line_at(const pkh__seg *s, int64_t i)
{
    return s->z != NULL ? s->z[i] : s->line;
}

/* ---- quantiles, shares, Lorenz ---- */

/* First index whose cumulative share passes p (strictly when `strict`), or n. */
static int64_t first_passing(const pkh__seg *s, double p, bool strict)
{
    int64_t lo = 0, hi = s->n; /* answer in [lo, hi] */
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const double c = s->cw[mid] / s->W;
        if (strict ? c > p : c >= p) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    /* a zero-weight row never decides a quantile (as if it were absent) */
    while (lo < s->n && s->w[lo] == 0) {
        lo++;
    }
    return lo;
}

static int64_t last_weighted(const pkh__seg *s)
{
    int64_t k = s->n - 1;
    while (k > 0 && s->w[k] == 0) {
        k--;
    }
    return k;
}

double pkh__seg_quantile(const pkh__seg *s, double p, pkh_quantile_rule rule)
{
    if (s->n == 0 || !(s->W > 0)) {
        return NAN;
    }
    const int64_t k = first_passing(s, p, rule == PKH_QUANTILE_GT);
    if (k >= s->n) {
        return s->x[last_weighted(s)];
    }
    if (rule == PKH_QUANTILE_GE_AVG && s->cw[k] / s->W == p) {
        int64_t k2 = k + 1;
        while (k2 < s->n && s->w[k2] == 0) {
            k2++;
        }
        if (k2 < s->n) {
            return (s->x[k] + s->x[k2]) / 2;
        }
    }
    return s->x[k];
}

/* Number of rows with x <= q (x ascending). */
int64_t pkh__seg_count_le(const pkh__seg *s, double q)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (s->x[mid] <= q) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static double income_le(const pkh__seg *s, double q)
{
    if (q == HUGE_VAL) {
        return s->SX;
    }
    const int64_t k = pkh__seg_count_le(s, q);
    return k == 0 ? 0.0 : s->cwx[k - 1];
}

double pkh__seg_share(const pkh__seg *s, double lo, double hi)
{
    const double top = income_le(s, hi);
    const double bottom = lo == -HUGE_VAL ? 0.0 : income_le(s, lo);
    return (top - bottom) / s->SX;
}

double pkh__seg_lorenz(const pkh__seg *s, double p)
{
    if (s->n == 0 || !(s->W > 0)) {
        return NAN;
    }
    if (p <= 0) {
        return 0;
    }
    /* points (cw/W, cwx/SX) from (0, 0); the first with population share >= p */
    const int64_t k = first_passing(s, p, false);
    if (k >= s->n) {
        return 1;
    }
    double p0 = 0, l0 = 0;
    for (int64_t j = k - 1; j >= 0; j--) { /* the previous point with weight */
        if (s->w[j] > 0 || j == 0) {
            p0 = s->w[j] > 0 ? s->cw[j] / s->W : 0;
            l0 = s->w[j] > 0 ? s->cwx[j] / s->SX : 0;
            break;
        }
    }
    const double p1 = s->cw[k] / s->W, l1 = s->cwx[k] / s->SX;
    if (p1 == p) {
        return l1;
    }
    return l0 + (p - p0) * (l1 - l0) / (p1 - p0);
}

double pkh__gini_sorted(const double *x, const double *w, int64_t n)
{
    double W, SX;
    pkh__weighted_totals(x, w, 0, n, &W, &SX);
    if (!(W > 0) || SX == 0) {
        return NAN;
    }
    /* centred ranks 2 C_(i-1) + w_i - W keep the sum away from cancellation */
    pkh__ksum c = {0, 0}, num = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        const double before = pkh__ksum_value(&c);
        pkh__ksum_add(&num, w[i] * x[i] * ((2 * before + w[i]) - W));
        pkh__ksum_add(&c, w[i]);
    }
    return pkh__ksum_value(&num) / (W * SX);
}

/* The Gini of a segment from its prefix sums: one pass (the same numbers as
 * pkh__gini_sorted, whose sums these prefix sums are). */
double pkh__seg_gini(const pkh__seg *s)
{
    if (!(s->W > 0) || s->SX == 0) {
        return NAN;
    }
    pkh__ksum num = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double before = i > 0 ? s->cw[i - 1] : 0;
        pkh__ksum_add(&num, s->w[i] * s->x[i] * ((2 * before + s->w[i]) - s->W));
    }
    return pkh__ksum_value(&num) / (s->W * s->SX);
}

/* ---- poverty ---- */

void pkh__seg_fgt012(const pkh__seg *s, double num[3])
{
    pkh__ksum n0 = {0, 0}, n1 = {0, 0}, n2 = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        if (s->x[i] < z) {
            const double gap = 1 - s->x[i] / z;
            pkh__ksum_add(&n0, s->w[i]);
            pkh__ksum_add(&n1, s->w[i] * gap);
            pkh__ksum_add(&n2, s->w[i] * (gap * gap));
        }
    }
    num[0] = pkh__ksum_value(&n0);
    num[1] = pkh__ksum_value(&n1);
    num[2] = pkh__ksum_value(&n2);
}

pkh__est pkh__seg_fgt(const pkh__seg *s, double alpha)
{
    pkh__ksum num = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        if (s->x[i] < z) {
            const double gap = 1 - s->x[i] / z;
            const double term = alpha == 0   ? 1.0
                                : alpha == 1 ? gap
                                : alpha == 2 ? gap * gap
                                             : pow(gap, alpha);
            pkh__ksum_add(&num, s->w[i] * term);
        }
    }
    return (pkh__est){pkh__ksum_value(&num) / s->W, s->n, s->W};
}

pkh__est pkh__seg_poor(const pkh__seg *s)
{
    pkh__ksum num = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        if (s->x[i] < line_at(s, i)) {
            pkh__ksum_add(&num, s->w[i]);
        }
    }
    return (pkh__est){pkh__ksum_value(&num), s->n, s->W};
}

pkh__est pkh__seg_gap_total(const pkh__seg *s)
{
    pkh__ksum num = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        if (s->x[i] < z) {
            pkh__ksum_add(&num, s->w[i] * (z - s->x[i]));
        }
    }
    return (pkh__est){pkh__ksum_value(&num), s->n, s->W};
}

pkh__est pkh__seg_watts(const pkh__seg *s)
{
    pkh__ksum num = {0, 0}, pop = {0, 0};
    int64_t n = 0;
    for (int64_t i = 0; i < s->n; i++) {
        if (s->x[i] > 0) {
            const double z = line_at(s, i);
            n++;
            pkh__ksum_add(&pop, s->w[i]);
            if (s->x[i] < z) {
                pkh__ksum_add(&num, s->w[i] * log(z / s->x[i]));
            }
        }
    }
    const double p = pkh__ksum_value(&pop);
    return (pkh__est){p > 0 ? pkh__ksum_value(&num) / p : NAN, n, p};
}

pkh__est pkh__seg_line(const pkh__seg *s)
{
    if (s->z == NULL) {
        return (pkh__est){s->line, s->n, s->W};
    }
    pkh__ksum num = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        pkh__ksum_add(&num, s->w[i] * s->z[i]);
    }
    return (pkh__est){pkh__ksum_value(&num) / s->W, s->n, s->W};
}

/* The poor's incomes and weights in ascending income order, into xs/ws; returns how many. */
static int64_t poor_sorted(const pkh__seg *s, double *xs, double *ws)
{
    int64_t m = 0;
    for (int64_t i = 0; i < s->n; i++) {
        if (s->x[i] < line_at(s, i)) {
            xs[m] = s->x[i];
            ws[m] = s->w[i];
            m++;
        }
    }
    return m;
}

pkh__est pkh__seg_sen(const pkh__seg *s, double *scratch)
{
    const double p0 = pkh__seg_fgt(s, 0).value;
    if (p0 == 0) {
        return (pkh__est){0, s->n, s->W};
    }
    const double p1 = pkh__seg_fgt(s, 1).value;
    const double I = p1 / p0;
    const int64_t m = poor_sorted(s, scratch, scratch + s->n);
    const double gp = pkh__gini_sorted(scratch, scratch + s->n, m);
    return (pkh__est){p0 * (I + (1 - I) * gp), s->n, s->W};
}

static int cmp_pair(const void *pa, const void *pb)
{
    const double a = ((const double *)pa)[0], b = ((const double *)pb)[0];
    return a < b ? -1 : a > b;
}

pkh__est pkh__seg_sst(const pkh__seg *s, double *scratch, const pkh_allocator *a, pkh_status *st)
{
    (void)a;
    const double p1 = pkh__seg_fgt(s, 1).value;
    if (p1 == 0) {
        return (pkh__est){0, s->n, s->W};
    }
    /* gaps sorted ascending: the non-poor's zeros first (their order does not matter), then
     * the poor's gaps; (gap, weight) pairs sorted together */
    int64_t m = 0;
    pkh__ksum zero_w = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        if (s->x[i] < z) {
            scratch[2 * m] = 1 - s->x[i] / z;
            scratch[2 * m + 1] = s->w[i];
            m++;
        } else {
            pkh__ksum_add(&zero_w, s->w[i]);
        }
    }
    if (s->z == NULL) {
        /* one line: gaps fall as incomes rise, so reversing gives ascending order */
        for (int64_t i = 0, j = m - 1; i < j; i++, j--) {
            const double g = scratch[2 * i], w = scratch[2 * i + 1];
            scratch[2 * i] = scratch[2 * j];
            scratch[2 * i + 1] = scratch[2 * j + 1];
            scratch[2 * j] = g;
            scratch[2 * j + 1] = w;
        }
    } else {
        qsort(scratch, (size_t)m, 2 * sizeof(double), cmp_pair);
    }
    /* Gini of the gaps over everyone: the zeros contribute nothing to the numerator but shift
     * the cumulative weight of the poor by the non-poor's total */
    pkh__ksum c = zero_w, num = {0, 0}, tx = {0, 0};
    for (int64_t i = 0; i < m; i++) {
        const double g = scratch[2 * i], w = scratch[2 * i + 1];
        const double before = pkh__ksum_value(&c);
        pkh__ksum_add(&num, w * g * ((2 * before + w) - s->W));
        pkh__ksum_add(&c, w);
        pkh__ksum_add(&tx, w * g);
    }
    const double gg = pkh__ksum_value(&num) / (s->W * pkh__ksum_value(&tx));
    *st = PKH_OK;
    return (pkh__est){p1 * (1 + gg), s->n, s->W};
}

/* ---- inequality ---- */

/* Rows with x > 0 (strict) or x >= 0: a suffix of the sorted sample. */
int64_t pkh__seg_first_nonneg(const pkh__seg *s, bool strict)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (strict ? s->x[mid] > 0 : s->x[mid] >= 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

pkh__est pkh__seg_ge(const pkh__seg *s, double alpha)
{
    const int64_t from = pkh__seg_first_nonneg(s, alpha <= 0);
    double W, SX;
    pkh__weighted_totals(s->x, s->w, from, s->n, &W, &SX);
    const double mu = SX / W;
    pkh__ksum sum = {0, 0};
    for (int64_t i = from; i < s->n; i++) {
        const double r = s->x[i] / mu;
        double term;
        if (alpha == 0) {
            term = -log(r);
        } else if (alpha == 1) {
            term = r > 0 ? r * log(r) : 0;
        } else if (alpha == 2) {
            term = r * r;
        } else {
            term = pow(r, alpha);
        }
        pkh__ksum_add(&sum, s->w[i] * term);
    }
    double v = pkh__ksum_value(&sum) / W;
    if (alpha != 0 && alpha != 1) {
        v = (v - 1) / (alpha * (alpha - 1));
    }
    return (pkh__est){W > 0 && mu > 0 ? v : NAN, s->n - from, W};
}

pkh__est pkh__seg_atkinson(const pkh__seg *s, double eps)
{
    const int64_t from = pkh__seg_first_nonneg(s, eps >= 1);
    double W, SX;
    pkh__weighted_totals(s->x, s->w, from, s->n, &W, &SX);
    const double mu = SX / W;
    pkh__ksum sum = {0, 0};
    for (int64_t i = from; i < s->n; i++) {
        const double r = s->x[i] / mu;
        pkh__ksum_add(&sum, s->w[i] * (eps == 1 ? log(r) : pow(r, 1 - eps)));
    }
    const double m = pkh__ksum_value(&sum) / W;
    const double v = eps == 1 ? 1 - exp(m) : 1 - pow(m, 1 / (1 - eps));
    return (pkh__est){W > 0 && mu > 0 ? v : NAN, s->n - from, W};
}

pkh__est pkh__seg_mean(const pkh__seg *s)
{
    return (pkh__est){s->W > 0 ? s->SX / s->W : NAN, s->n, s->W};
}

pkh__est pkh__seg_cv(const pkh__seg *s)
{
    const double mu = s->SX / s->W;
    pkh__ksum sum = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double d = s->x[i] - mu;
        pkh__ksum_add(&sum, s->w[i] * d * d);
    }
    return (pkh__est){sqrt(pkh__ksum_value(&sum) / s->W) / mu, s->n, s->W};
}
