/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Influence values (linearised variables) of every indicator on one segment sorted by income:
 * u_i = w_i l_i with estimate - truth ~ sum_i u_i, and the derivative of the estimate in the
 * poverty line, for lines estimated from the data. The formulas and their sources are in
 * docs/variance.md; the kernel density is convey's (Gaussian, h = weighted sd / N^0.2).
 */
#include <math.h>
#include <stdlib.h>

#include "internal/stats.h"

static double line_at(const pkh__seg *s, int64_t i)
{
    return s->z != NULL ? s->z[i] : s->line;
}

/* ---- kernel density ---- */

double pkh__seg_bandwidth(const pkh__seg *s)
{
    pkh__ksum q = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        pkh__ksum_add(&q, s->w[i] * s->x[i] * s->x[i]);
    }
    const double N = s->W, m = s->SX / N;
    const double var = pkh__ksum_value(&q) / N - m * m;
    return sqrt(var > 0 ? var : 0) / exp(0.2 * log(N));
}

/* First index with x >= v (x ascending). */
static int64_t lower_bound(const pkh__seg *s, double v)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (s->x[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * sum_i w_i x_i^k K((x0 - x_i) / h) / h, K the standard normal density, k = 0 or 1. Rows more
 * than 40 h away contribute exactly 0 in double precision (exp(-800) underflows), so only the
 * window around x0 is visited.
 */
static double kernel_sum(const pkh__seg *s, double x0, double h, int k)
{
    if (!(h > 0)) {
        return NAN;
    }
    const int64_t from = lower_bound(s, x0 - 40 * h), to = lower_bound(s, x0 + 40 * h);
    pkh__ksum acc = {0, 0};
    for (int64_t i = from; i < to; i++) {
        const double u = (x0 - s->x[i]) / h;
        const double kv = exp(-u * u / 2) * 0.39894228040143267794;
        pkh__ksum_add(&acc, s->w[i] * (k == 1 ? s->x[i] : 1.0) * kv);
    }
    return pkh__ksum_value(&acc) / h;
}

/* ---- building blocks ---- */

/* u += c x influence of the p-quantile q: -w (1(x <= q) - p) / (N f(q)). */
static void add_quantile(const pkh__seg *s, double p, double q, double h, double c, double *u)
{
    const double nf = kernel_sum(s, q, h, 0); /* N f(q) */
    const int64_t k = pkh__seg_count_le(s, q);
    const double a = -c / nf;
    for (int64_t i = 0; i < s->n; i++) {
        u[i] += a * s->w[i] * ((i < k ? 1.0 : 0.0) - p);
    }
}

/* S(q) = sum w x 1(x <= q) of the p-quantile: its value, and u += c x its influence
 * w x 1(x <= q) + S'(q) lin(q), S'(q) = sum w x K((q - x)/h)/h (convey's svyisq). p >= 1: the
 * total income; p <= 0: nothing. */
static double add_partial_total(const pkh__seg *s, double p, pkh_quantile_rule rule, double h,
                                double c, double *u)
{
    if (p <= 0) {
        return 0;
    }
    if (p >= 1) {
        for (int64_t i = 0; i < s->n; i++) {
            u[i] += c * s->w[i] * s->x[i];
        }
        return s->SX;
    }
    const double q = pkh__seg_quantile(s, p, rule);
    const int64_t k = pkh__seg_count_le(s, q);
    for (int64_t i = 0; i < k; i++) {
        u[i] += c * s->w[i] * s->x[i];
    }
    add_quantile(s, p, q, h, c * kernel_sum(s, q, h, 1), u);
    return k > 0 ? s->cwx[k - 1] : 0;
}

static void zero(double *u, int64_t n)
{
    memset(u, 0, (size_t)n * sizeof *u);
}

/* Gini of sorted (x, w) (laeken's formula) and its influence u_i = w_i dG/dw_i:
 * l_k = 2 (r_k x_k + T - G_k) / (N T) - (G + 1) (1 / N + x_k / T), r and G cumulative weight
 * and income up to k inclusive (the exact derivative, ranks included). Returns G. */
/* The Gini's influence values from the totals N = sum w, T = sum w x, the Gini G and the
 * running sums of w and w x (the prefix sums cw, cwx when the caller has them, else made here). */
static void gini_u(const double *x, const double *w, int64_t n, double N, double T, double G,
                   const double *cw, const double *cwx, double *u)
{
    pkh__ksum r = {0, 0}, g = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        double rw, rwx;
        if (cw != NULL) {
            rw = cw[i];
            rwx = cwx[i];
        } else {
            pkh__ksum_add(&r, w[i]);
            pkh__ksum_add(&g, w[i] * x[i]);
            rw = pkh__ksum_value(&r);
            rwx = pkh__ksum_value(&g);
        }
        const double l = 2 * (rw * x[i] + (T - rwx)) / (N * T) - (G + 1) * (1 / N + x[i] / T);
        u[i] = w[i] * l;
    }
}

static double gini_influence(const double *x, const double *w, int64_t n, double *u)
{
    double N, T;
    pkh__weighted_totals(x, w, 0, n, &N, &T);
    const double G = pkh__gini_sorted(x, w, n);
    gini_u(x, w, n, N, T, G, NULL, NULL, u);
    return G;
}

/* gini_influence over a segment whose prefix sums are made: the same numbers (the prefix sums
 * are the running sums gini_influence keeps, pkh__seg_gini gives pkh__gini_sorted's value, W
 * and SX are pkh__weighted_totals'), in one pass instead of four. */
static void gini_influence_seg(const pkh__seg *s, double *u)
{
    gini_u(s->x, s->w, s->n, s->W, s->SX, pkh__seg_gini(s), s->cw, s->cwx, u);
}

/* ---- poverty ---- */

static double fgt_term(double gap, double alpha)
{
    return alpha == 0 ? 1.0 : alpha == 1 ? gap : alpha == 2 ? gap * gap : pow(gap, alpha);
}

/* FGT(alpha): u = w (g - P) / N; the slope dP/dz at a scalar line: f(z) for alpha = 0 (kernel
 * density of the segment), else sum w alpha (1 - x/z)^(alpha-1) x / z^2 1(x < z) / N. */
static pkh__lin fgt(const pkh__seg *s, double alpha, double h, bool want, double *u, double est)
{
    /* the estimate when the caller has it (the same number: one pass fewer) */
    const double P = est == est ? est : pkh__seg_fgt(s, alpha).value, N = s->W;
    pkh__ksum sl = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        double g = 0;
        if (s->x[i] < z) {
            g = fgt_term(1 - s->x[i] / z, alpha);
            if (alpha > 0) {
                pkh__ksum_add(&sl, s->w[i] * alpha * fgt_term(1 - s->x[i] / z, alpha - 1) *
                                       s->x[i] / (z * z));
            }
        }
        u[i] = s->w[i] * (g - P) / N;
    }
    pkh__lin r = {0, true};
    if (s->z == NULL && want) {
        r.slope = alpha == 0 ? kernel_sum(s, s->line, h, 0) / N : pkh__ksum_value(&sl) / N;
    }
    return r;
}

/* Totals: poor = sum w 1(x < z) (slope N f(z)); gap_total = sum w (z - x) 1(x < z) (slope: the
 * number of poor). */
static pkh__lin poor_total(const pkh__seg *s, bool gap, double h, bool want, double *u)
{
    pkh__ksum npoor = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        const double z = line_at(s, i);
        const bool poor = s->x[i] < z;
        u[i] = poor ? s->w[i] * (gap ? z - s->x[i] : 1.0) : 0.0;
        if (poor) {
            pkh__ksum_add(&npoor, s->w[i]);
        }
    }
    pkh__lin r = {0, true};
    if (s->z == NULL && want) {
        r.slope = gap ? pkh__ksum_value(&npoor) : kernel_sum(s, s->line, h, 0);
    }
    return r;
}

/* Watts over x > 0: u = w (log(z/x) 1(x<z) - W) / N+, slope sum_{x>0} w 1(x<z) / z / N+. */
static pkh__lin watts(const pkh__seg *s, double *u)
{
    const pkh__est e = pkh__seg_watts(s);
    const double N = e.pop;
    pkh__ksum sl = {0, 0};
    for (int64_t i = 0; i < s->n; i++) {
        u[i] = 0;
        if (s->x[i] > 0) {
            const double z = line_at(s, i);
            const double hv = s->x[i] < z ? log(z / s->x[i]) : 0;
            u[i] = s->w[i] * (hv - e.value) / N;
            if (s->x[i] < z) {
                pkh__ksum_add(&sl, s->w[i] / z);
            }
        }
    }
    return (pkh__lin){s->z == NULL ? pkh__ksum_value(&sl) / N : 0, true};
}

/*
 * Sen = P1 + Gp (P0 - P1), Gp the Gini of the poor's incomes: u = u(P1) + Gp (u(P0) - u(P1)) +
 * (P0 - P1) u(Gp), u(Gp) the Gini influence on the poor (a domain, zero elsewhere). At an
 * estimated line, dGp/dz = N f(z) [(1 - Gp) z / Tp - (1 + Gp) / Np]: the weight the line takes in
 * per unit, times the Gini's derivative in a new richest poor person's weight.
 * scratch: 5 n doubles.
 */
static pkh__lin sen(const pkh__seg *s, double h, bool want, double *u, double *scratch)
{
    const int64_t n = s->n;
    double *u0 = scratch, *xs = scratch + n, *ws = scratch + 2 * n, *ug = scratch + 3 * n;
    double *pos = scratch + 4 * n;
    const double P0 = pkh__seg_fgt(s, 0).value;
    if (P0 == 0) {
        zero(u, n);
        return (pkh__lin){0, true};
    }
    const double P1 = pkh__seg_fgt(s, 1).value;
    const pkh__lin l1 = fgt(s, 1, h, want, u, P1);
    const pkh__lin l0 = fgt(s, 0, h, want, u0, P0);
    int64_t m = 0;
    pkh__ksum tp = {0, 0}, np = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        if (s->x[i] < line_at(s, i)) {
            xs[m] = s->x[i];
            ws[m] = s->w[i];
            pos[m] = (double)i;
            pkh__ksum_add(&tp, s->w[i] * s->x[i]);
            pkh__ksum_add(&np, s->w[i]);
            m++;
        }
    }
    const double G = gini_influence(xs, ws, m, ug);
    for (int64_t i = 0; i < n; i++) {
        u[i] += G * (u0[i] - u[i]);
    }
    for (int64_t j = 0; j < m; j++) {
        u[(int64_t)pos[j]] += (P0 - P1) * ug[j];
    }
    pkh__lin r = {0, true};
    if (s->z == NULL && want) {
        const double Tp = pkh__ksum_value(&tp), Np = pkh__ksum_value(&np);
        const double dG = kernel_sum(s, s->line, h, 0) * ((1 - G) * s->line / Tp - (1 + G) / Np);
        r.slope = l1.slope + G * (l0.slope - l1.slope) + (P0 - P1) * dG;
    }
    return r;
}

typedef struct gap_pos {
    double gap, w, pos;
} gap_pos;

static int cmp_gap(const void *pa, const void *pb)
{
    const gap_pos *a = pa, *b = pb;
    return a->gap < b->gap ? -1 : a->gap > b->gap ? 1 : (a->pos > b->pos) - (a->pos < b->pos);
}

/*
 * SST = P1 (1 + G(gaps)) = mu + MD/2 of the gaps g = (1 - x/z) 1(x < z) over everyone:
 * u = u(P1) (1 + G) + P1 u(G), u(G) the Gini influence of the gaps sorted ascending. At an
 * estimated line, dSST/dz = sum_poor [w/N + w (C_before + C_incl - N) / N^2] x / z^2, the gaps
 * moving with z (no jump: a person who becomes poor enters with gap 0).
 * scratch: 5 n doubles.
 */
static pkh__lin sst(const pkh__seg *s, double h, double *u, double *scratch)
{
    const int64_t n = s->n;
    const double P1 = pkh__seg_fgt(s, 1).value;
    if (P1 == 0) {
        zero(u, n);
        return (pkh__lin){0, true};
    }
    gap_pos *g = (gap_pos *)scratch; /* 3 n doubles */
    double *xs = scratch + 3 * n, *ug = scratch + 4 * n;
    for (int64_t i = 0; i < n; i++) {
        const double z = line_at(s, i);
        g[i] = (gap_pos){s->x[i] < z ? 1 - s->x[i] / z : 0, s->w[i], (double)i};
    }
    qsort(g, (size_t)n, sizeof *g, cmp_gap);
    double *ws = u; /* borrowed until the end */
    for (int64_t i = 0; i < n; i++) {
        xs[i] = g[i].gap;
        ws[i] = g[i].w;
    }
    const double G = gini_influence(xs, ws, n, ug);
    pkh__ksum sl = {0, 0}, c = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        const double before = pkh__ksum_value(&c);
        pkh__ksum_add(&c, g[i].w);
        if (g[i].gap > 0 && s->z == NULL) {
            const int64_t p = (int64_t)g[i].pos;
            const double N = s->W;
            pkh__ksum_add(&sl,
                          (g[i].w / N + g[i].w * (before + pkh__ksum_value(&c) - N) / (N * N)) *
                              s->x[p] / (s->line * s->line));
        }
    }
    fgt(s, 1, h, false, u, P1);
    for (int64_t i = 0; i < n; i++) {
        u[i] *= 1 + G;
    }
    for (int64_t i = 0; i < n; i++) {
        u[(int64_t)g[i].pos] += P1 * ug[i];
    }
    return (pkh__lin){s->z == NULL ? pkh__ksum_value(&sl) : 0, true};
}

/* ---- inequality ---- */

/* Totals over [from, n): U0 = sum w, U1 = sum w x, Ua = sum w x^a (a != 0, 1), T0 = sum w ln x,
 * T1 = sum w x ln x. */
typedef struct totals {
    double U0, U1, Ua, T0, T1;
} totals;

static totals sums(const pkh__seg *s, int64_t from, double a)
{
    pkh__ksum u0 = {0, 0}, u1 = {0, 0}, ua = {0, 0}, t0 = {0, 0}, t1 = {0, 0};
    for (int64_t i = from; i < s->n; i++) {
        const double x = s->x[i], w = s->w[i];
        pkh__ksum_add(&u0, w);
        pkh__ksum_add(&u1, w * x);
        if (a != 0 && a != 1) {
            pkh__ksum_add(&ua, w * pow(x, a));
        }
        if (x > 0) {
            pkh__ksum_add(&t0, w * log(x));
            pkh__ksum_add(&t1, w * x * log(x));
        }
    }
    return (totals){pkh__ksum_value(&u0), pkh__ksum_value(&u1), pkh__ksum_value(&ua),
                    pkh__ksum_value(&t0), pkh__ksum_value(&t1)};
}

/* u_i = w_i (g0 + g1 x + ga x^a + gt0 ln x + gt1 x ln x) on [from, n), 0 before. */
static void gradient(const pkh__seg *s, int64_t from, double a, double g0, double g1, double ga,
                     double gt0, double gt1, double *u)
{
    for (int64_t i = 0; i < s->n; i++) {
        const double x = s->x[i];
        if (i < from) {
            u[i] = 0;
            continue;
        }
        double l = g0 + g1 * x;
        if (ga != 0) {
            l += ga * pow(x, a);
        }
        if (x > 0 && (gt0 != 0 || gt1 != 0)) {
            l += gt0 * log(x) + gt1 * x * log(x);
        }
        u[i] = s->w[i] * l;
    }
}

/* GE(alpha) as a function of totals (MLD = -T0/U0 + ln(U1/U0), Theil = T1/U1 - ln(U1/U0),
 * else (U0^(a-1) U1^-a Ua - 1) / (a (a - 1))), differentiated. */
static pkh__lin ge(const pkh__seg *s, double a, double *u)
{
    const int64_t from = pkh__seg_first_nonneg(s, a <= 0);
    const totals t = sums(s, from, a);
    if (a == 0) {
        gradient(s, from, a, t.T0 / (t.U0 * t.U0) - 1 / t.U0, 1 / t.U1, 0, -1 / t.U0, 0, u);
    } else if (a == 1) {
        gradient(s, from, a, 1 / t.U0, -t.T1 / (t.U1 * t.U1) - 1 / t.U1, 0, 0, 1 / t.U1, u);
    } else {
        const double R = pow(t.U0, a - 1) * pow(t.U1, -a) * t.Ua;
        gradient(s, from, a, R / (a * t.U0), -R / ((a - 1) * t.U1), R / (t.Ua * a * (a - 1)), 0, 0,
                 u);
    }
    return (pkh__lin){0, true};
}

/* Atkinson(e): 1 - (U0/U1) exp(T0/U0) for e = 1, else 1 - U0^(-e/(1-e)) Ua^(1/(1-e)) / U1 with
 * Ua = sum w x^(1-e). */
static pkh__lin atkinson(const pkh__seg *s, double e, double *u)
{
    const int64_t from = pkh__seg_first_nonneg(s, e >= 1);
    if (e == 1) {
        const totals t = sums(s, from, 0);
        const double E = exp(t.T0 / t.U0);
        gradient(s, from, 0, -E / t.U1 + E * t.T0 / (t.U0 * t.U1), t.U0 * E / (t.U1 * t.U1), 0,
                 -E / t.U1, 0, u);
    } else {
        const totals t = sums(s, from, 1 - e);
        const double M = pow(t.U0, -e / (1 - e)) * pow(t.Ua, 1 / (1 - e)) / t.U1;
        gradient(s, from, 1 - e, M * e / ((1 - e) * t.U0), M / t.U1, -M / ((1 - e) * t.Ua), 0, 0,
                 u);
    }
    return (pkh__lin){0, true};
}

/* cv = sqrt(U2 U0 / U1^2 - 1). */
static pkh__lin cv(const pkh__seg *s, double value, double *u)
{
    const totals t = sums(s, 0, 2);
    const double U2 = t.Ua, c = 1 / (2 * value);
    gradient(s, 0, 2, c * U2 / (t.U1 * t.U1), c * -2 * U2 * t.U0 / (t.U1 * t.U1 * t.U1),
             c * t.U0 / (t.U1 * t.U1), 0, 0, u);
    return (pkh__lin){0, true};
}

/* (S(hi) - S(lo)) / T for the quantile levels lo < hi (shares, Lorenz). */
static void share(const pkh__seg *s, double lo, double hi, pkh_quantile_rule rule, double h,
                  double value, double *u)
{
    zero(u, s->n);
    add_partial_total(s, hi, rule, h, 1 / s->SX, u);
    add_partial_total(s, lo, rule, h, -1 / s->SX, u);
    for (int64_t i = 0; i < s->n; i++) {
        u[i] -= value * s->w[i] * s->x[i] / s->SX;
    }
}

/* (T - S(top)) / S(bottom): palma, s80s20. */
static void top_bottom(const pkh__seg *s, double top, double bottom, pkh_quantile_rule rule,
                       double h, double value, double *u, double *scratch)
{
    zero(u, s->n);
    zero(scratch, s->n);
    const double Sb = add_partial_total(s, bottom, rule, h, 1, scratch);
    add_partial_total(s, top, rule, h, -1, u);
    for (int64_t i = 0; i < s->n; i++) {
        u[i] = (u[i] + s->w[i] * s->x[i] - value * scratch[i]) / Sb;
    }
}

/* Ratio of means: top 20% (x > q80) over bottom 20% (x <= q20). The weight counts C(q) have
 * influence w p (1(x<=q) + N f(q) lin q = p). */
static void s80s20_means(const pkh__seg *s, pkh_quantile_rule rule, double h, double value,
                         double *u, double *scratch)
{
    zero(u, s->n);
    zero(scratch, s->n);
    const double S80 = add_partial_total(s, 0.8, rule, h, -1, u); /* u = u(-S80) */
    const double S20 = add_partial_total(s, 0.2, rule, h, 1, scratch);
    const double q80 = pkh__seg_quantile(s, 0.8, rule), q20 = pkh__seg_quantile(s, 0.2, rule);
    const int64_t k80 = pkh__seg_count_le(s, q80), k20 = pkh__seg_count_le(s, q20);
    const double A = s->SX - S80, B = s->W - (k80 > 0 ? s->cw[k80 - 1] : 0);
    const double C = S20, D = k20 > 0 ? s->cw[k20 - 1] : 0;
    for (int64_t i = 0; i < s->n; i++) {
        const double uA = u[i] + s->w[i] * s->x[i], uB = s->w[i] * 0.2, uC = scratch[i];
        const double uD = s->w[i] * 0.2;
        u[i] = value * (uA / A - uB / B - uC / C + uD / D);
    }
}

pkh__lin pkh__seg_influence(const pkh__seg *s, const pkh_indicator *ind, pkh_quantile_rule rule,
                            double h, double value, bool want, double *u, double *scratch)
{
    const int64_t n = s->n;
    const double N = s->W;
    switch (ind->kind) {
    case PKH_IND_FGT:
    case PKH_IND_FGT_DECOMP: /* the segment's FGT: decomp_se builds the parts from it */
        return fgt(s, ind->a, h, want, u, value);
    case PKH_IND_POOR:
        return poor_total(s, false, h, want, u);
    case PKH_IND_GAP_TOTAL:
        return poor_total(s, true, h, want, u);
    case PKH_IND_INCOME_GAP_RATIO: {
        const double P0 = pkh__seg_fgt(s, 0).value;
        const pkh__lin l1 = fgt(s, 1, h, want, u, NAN), l0 = fgt(s, 0, h, want, scratch, P0);
        for (int64_t i = 0; i < n; i++) {
            u[i] = (u[i] - value * scratch[i]) / P0;
        }
        return (pkh__lin){(l1.slope - value * l0.slope) / P0, P0 > 0};
    }
    case PKH_IND_LINE: {
        if (s->z == NULL) { /* a number (se 0) or an estimated line: its own influence */
            zero(u, n);
            return (pkh__lin){1, true};
        }
        for (int64_t i = 0; i < n; i++) {
            u[i] = s->w[i] * (s->z[i] - value) / N;
        }
        return (pkh__lin){0, true};
    }
    case PKH_IND_WATTS:
        return watts(s, u);
    case PKH_IND_SEN:
        return sen(s, h, want, u, scratch);
    case PKH_IND_SST:
        return sst(s, h, u, scratch);
    case PKH_IND_GINI:
        if (s->cw != NULL) {
            gini_influence_seg(s, u);
        } else {
            gini_influence(s->x, s->w, n, u);
        }
        return (pkh__lin){0, true};
    case PKH_IND_GE:
    case PKH_IND_GE_DECOMP: /* the segment's GE: decomp_se builds the parts from it */
        return ge(s, ind->a, u);
    case PKH_IND_ATKINSON:
        return atkinson(s, ind->a, u);
    case PKH_IND_CV:
        return cv(s, value, u);
    case PKH_IND_MEAN:
        for (int64_t i = 0; i < n; i++) {
            u[i] = s->w[i] * (s->x[i] - value) / N;
        }
        return (pkh__lin){0, true};
    case PKH_IND_POPULATION:
        memcpy(u, s->w, (size_t)n * sizeof *u);
        return (pkh__lin){0, true};
    case PKH_IND_MEDIAN:
    case PKH_IND_QUANTILE:
        zero(u, n);
        add_quantile(s, ind->a, value, h, 1, u);
        return (pkh__lin){0, true};
    case PKH_IND_RATIO: {
        const double qa = pkh__seg_quantile(s, ind->a, rule),
                     qb = pkh__seg_quantile(s, ind->b, rule);
        zero(u, n);
        add_quantile(s, ind->a, qa, h, 1 / qb, u);
        add_quantile(s, ind->b, qb, h, -value / qb, u);
        return (pkh__lin){0, true};
    }
    case PKH_IND_SHARE_B40:
        share(s, 0, 0.4, rule, h, value, u);
        return (pkh__lin){0, true};
    case PKH_IND_DECILE_SHARE:
        share(s, (ind->b - 1) / 10, ind->b / 10, rule, h, value, u);
        return (pkh__lin){0, true};
    case PKH_IND_QUINTILE_SHARE:
        share(s, (ind->b - 1) / 5, ind->b / 5, rule, h, value, u);
        return (pkh__lin){0, true};
    case PKH_IND_LORENZ:
        share(s, 0, ind->a, rule, h, value, u);
        return (pkh__lin){0, true};
    case PKH_IND_GLORENZ: { /* S(q) / N */
        zero(u, n);
        add_partial_total(s, ind->a, rule, h, 1 / N, u);
        for (int64_t i = 0; i < n; i++) {
            u[i] -= value * s->w[i] / N;
        }
        return (pkh__lin){0, true};
    }
    case PKH_IND_PALMA:
        top_bottom(s, 0.9, 0.4, rule, h, value, u, scratch);
        return (pkh__lin){0, true};
    case PKH_IND_S80S20:
        top_bottom(s, 0.8, 0.2, rule, h, value, u, scratch);
        return (pkh__lin){0, true};
    case PKH_IND_S80S20_MEANS:
        s80s20_means(s, rule, h, value, u, scratch);
        return (pkh__lin){0, true};
    }
    zero(u, n);
    return (pkh__lin){0, false};
}

double pkh__seg_cdf_influence(const pkh__seg *s, double q, double *u)
{
    const int64_t k = pkh__seg_count_le(s, q);
    const double F = k > 0 ? s->cw[k - 1] / s->W : 0;
    for (int64_t i = 0; i < s->n; i++) {
        u[i] = s->w[i] * ((i < k ? 1.0 : 0.0) - F) / s->W;
    }
    return F;
}

void pkh__seg_line_influence(const pkh__seg *s, pkh_line_kind kind, double fraction,
                             pkh_quantile_rule rule, double h, double *u)
{
    zero(u, s->n);
    if (kind == PKH_LINE_REL_MEDIAN) {
        add_quantile(s, 0.5, pkh__seg_quantile(s, 0.5, rule), h, fraction, u);
    } else if (kind == PKH_LINE_REL_MEAN) {
        const double mu = s->SX / s->W;
        for (int64_t i = 0; i < s->n; i++) {
            u[i] = fraction * s->w[i] * (s->x[i] - mu) / s->W;
        }
    }
}
