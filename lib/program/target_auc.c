/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Score diagnostics: the weighted AUC (ties count one half) by one walk over the rows in score
 * order, its influence values, and the ROC and quota curves.
 *
 * AUC = U / (P N), U = sum_{i in B} sum_{j not in B} p_i p_j [1(s_i < s_j) + 1/2 1(s_i = s_j)].
 * Walking blocks of tied scores upwards, a benchmark row of block b pairs with the others'
 * weight above the block plus half of the block's: U = sum_b P_b (N_above(b) + N_b / 2).
 */
#include <math.h>
#include <stdlib.h>

#include "internal/targeting.h"

/* Persons of the benchmark group and of the others in the block starting at position k. */
static inline int64_t block(const double *s, const uint8_t *flag, uint8_t mask, const double *p,
                            const int64_t *order, int64_t m, int64_t k, double *pb, double *nb)
{
    const double v = s[order[k]];
    pkh__ksum P = {0, 0}, N = {0, 0};
    int64_t e = k;
    for (; e < m && s[order[e]] == v; e++) {
        const int64_t i = order[e];
        pkh__ksum_add((flag[i] & mask) ? &P : &N, p[i]);
    }
    *pb = pkh__ksum_value(&P);
    *nb = pkh__ksum_value(&N);
    return e;
}

tg_auc pkh__tg_auc_sorted(const double *s, const uint8_t *flag, uint8_t mask, const double *p,
                          const int64_t *order, int64_t m)
{
    pkh__ksum P = {0, 0}, N = {0, 0};
    for (int64_t k = 0; k < m; k++) {
        const int64_t i = order[k];
        pkh__ksum_add((flag[i] & mask) ? &P : &N, p[i]);
    }
    tg_auc r = {NAN, pkh__ksum_value(&P), pkh__ksum_value(&N)};
    pkh__ksum U = {0, 0}, below = {0, 0};
    for (int64_t k = 0; k < m;) {
        double pb, nb;
        const int64_t e = block(s, flag, mask, p, order, m, k, &pb, &nb);
        pkh__ksum_add(&below, nb);
        const double above = r.N - pkh__ksum_value(&below);
        pkh__ksum_add(&U, pb * above);
        pkh__ksum_add(&U, 0.5 * pb * nb);
        k = e;
    }
    if (r.P > 0 && r.N > 0) {
        r.auc = pkh__ksum_value(&U) / (r.P * r.N);
    }
    return r;
}

tg_auc pkh__tg_seg_auc(pkh__tg *t, int64_t seg)
{
    if (!t->auc_done[seg]) {
        int64_t m;
        const int64_t *ord = pkh__tg_seg_order(t, seg, &m);
        t->auc[seg] = pkh__tg_auc_sorted(t->s, t->cls, 1, t->p, ord, m);
        t->auc_done[seg] = 1;
    }
    return t->auc[seg];
}

/*
 * z_k = w_k dAUC/dw_k with p_k = w_k size_k:
 * z_k = p_k (U_k - AUC (B_k N + (1 - B_k) P)) / (P N), where U_k is the others' weight above
 * plus half the tied (k in B), or the benchmark weight below plus half the tied (k not in B).
 */
void pkh__tg_auc_influence(const double *s, const uint8_t *flag, uint8_t mask, const double *p,
                           const int64_t *order, int64_t m, tg_auc a, const int64_t *row, double *z)
{
    if (a.auc != a.auc) {
        return;
    }
    const double PN = a.P * a.N;
    pkh__ksum nbelow = {0, 0}, pbelow = {0, 0};
    for (int64_t k = 0; k < m;) {
        double pb, nb;
        const int64_t e = block(s, flag, mask, p, order, m, k, &pb, &nb);
        const double nlow = pkh__ksum_value(&nbelow), plow = pkh__ksum_value(&pbelow);
        const double u_b = a.N - nlow - nb + 0.5 * nb; /* for benchmark rows */
        const double u_n = plow + 0.5 * pb;            /* for the others */
        for (int64_t j = k; j < e; j++) {
            const int64_t i = order[j];
            const bool in = (flag[i] & mask) != 0;
            const double v = in ? u_b - a.auc * a.N : u_n - a.auc * a.P;
            z[row != NULL ? row[i] : i] += p[i] * v / PN;
        }
        pkh__ksum_add(&nbelow, nb);
        pkh__ksum_add(&pbelow, pb);
        k = e;
    }
}

pkh_status pkh_weighted_auc(const double *score, const uint8_t *target, const double *w, int64_t n,
                            double *out, pkh_error *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (score[i] != score[i]) {
            return pkh__errorf(err, PKH_EINVAL, "score %lld is NaN", (long long)i + 1);
        }
        if (w != NULL && !(w[i] >= 0 && isfinite(w[i]))) {
            return pkh__errorf(err, PKH_EINVAL, "weight %lld is negative or not finite",
                               (long long)i + 1);
        }
    }
    const pkh_allocator *a = pkh_allocator_default();
    const size_t nn = (size_t)(n > 0 ? n : 1);
    int64_t *perm = pkh__alloc(a, nn * sizeof *perm);
    double *ones = w == NULL ? pkh__alloc(a, nn * sizeof *ones) : NULL;
    pkh_status st = perm == NULL || (w == NULL && ones == NULL) ? pkh__enomem(err) : PKH_OK;
    for (int64_t i = 0; ones != NULL && i < n; i++) {
        ones[i] = 1;
    }
    if (st == PKH_OK) {
        st = pkh__tg_argsort(score, n, 1, a, perm, err);
    }
    if (st == PKH_OK) {
        const tg_auc r = pkh__tg_auc_sorted(score, target, 0xFF, w != NULL ? w : ones, perm, n);
        if (r.auc != r.auc) {
            st = pkh__errorf(err, PKH_EEMPTY,
                             "the AUC needs weight in both groups (target "
                             "group %g, others %g)",
                             r.P, r.N);
        } else {
            *out = r.auc;
        }
    }
    pkh__free(a, perm, nn * sizeof *perm);
    pkh__free(a, ones, nn * sizeof *ones);
    return st;
}

/* ---- curves ---- */

enum { C_QUOTA, C_CUTOFF, C_ELIG, C_TPR, C_FPR, C_PREC, C_EXCL, C_LEAK, C_NUM };

typedef struct curve_rows {
    const pkh_allocator *a;
    int64_t n, cap;
    int64_t *seg;
    const char **kind;
    double *v[C_NUM];
} curve_rows;

static void curve_free(curve_rows *c)
{
    const size_t cap = (size_t)(c->cap > 0 ? c->cap : 1);
    pkh__free(c->a, c->seg, cap * 8);
    pkh__free(c->a, c->kind, cap * sizeof *c->kind);
    for (int j = 0; j < C_NUM; j++) {
        pkh__free(c->a, c->v[j], cap * 8);
    }
}

/* Double the capacity: new arrays, copied, then the old ones freed (all or nothing). */
static pkh_status curve_grow(curve_rows *c)
{
    const int64_t cap = c->cap ? 2 * c->cap : 1024;
    const size_t old = (size_t)(c->cap > 0 ? c->cap : 1), nw = (size_t)cap;
    curve_rows g = *c;
    g.seg = pkh__alloc(c->a, nw * 8);
    g.kind = pkh__alloc(c->a, nw * sizeof *g.kind);
    bool ok = g.seg != NULL && g.kind != NULL;
    for (int j = 0; j < C_NUM; j++) {
        g.v[j] = pkh__alloc(c->a, nw * 8);
        ok = ok && g.v[j] != NULL;
    }
    if (ok && c->n > 0) {
        memcpy(g.seg, c->seg, (size_t)c->n * 8);
        memcpy(g.kind, c->kind, (size_t)c->n * sizeof *g.kind);
        for (int j = 0; j < C_NUM; j++) {
            memcpy(g.v[j], c->v[j], (size_t)c->n * 8);
        }
    }
    g.cap = cap;
    curve_rows *drop = ok ? c : &g;
    if (!ok) {
        g.cap = (int64_t)nw;
    }
    const size_t dcap = ok ? old : nw;
    pkh__free(c->a, drop->seg, dcap * 8);
    pkh__free(c->a, drop->kind, dcap * sizeof *drop->kind);
    for (int j = 0; j < C_NUM; j++) {
        pkh__free(c->a, drop->v[j], dcap * 8);
    }
    if (!ok) {
        return PKH_ENOMEM;
    }
    *c = g;
    return PKH_OK;
}

static pkh_status curve_add(curve_rows *c, int64_t seg, const char *kind, double quota,
                            double cutoff, double tp, double fp, double P, double N)
{
    if (c->n == c->cap) {
        const pkh_status st = curve_grow(c);
        if (st != PKH_OK) {
            return st;
        }
    }
    const int64_t i = c->n++;
    c->seg[i] = seg;
    c->kind[i] = kind;
    c->v[C_QUOTA][i] = quota;
    c->v[C_CUTOFF][i] = cutoff;
    c->v[C_ELIG][i] = (tp + fp) / (P + N);
    c->v[C_TPR][i] = tp / P;
    c->v[C_FPR][i] = fp / N;
    c->v[C_PREC][i] = tp / (tp + fp);
    c->v[C_EXCL][i] = 1 - tp / P;
    c->v[C_LEAK][i] = fp / (tp + fp);
    return PKH_OK;
}

/* The curve of one segment in one walk up the scores: a ROC point after each block of tied
 * scores (thinned to one per 0.1% of persons), and the points at the national quota cut-offs
 * 0.05 .. 0.50 (eligible: score < cut-off), appended after the ROC points. */
static pkh_status segment_curve(pkh__tg *t, curve_rows *c, int64_t seg)
{
    int64_t m;
    const int64_t *ord = pkh__tg_seg_order(t, seg, &m);
    const tg_auc tot = pkh__tg_seg_auc(t, seg);
    double qtp[10], qfp[10];
    int nq = 0;
    pkh_status st = curve_add(c, seg, "roc", NAN, t->s[ord[0]], 0, 0, tot.P, tot.N);
    pkh__ksum tp = {0, 0}, fp = {0, 0};
    double last = 0;
    for (int64_t k = 0; k < m && st == PKH_OK;) {
        const double v = t->s[ord[k]];
        while (nq < 10 && !(v < t->quota_cut[nq])) { /* every row so far is below the cut */
            qtp[nq] = pkh__ksum_value(&tp);
            qfp[nq++] = pkh__ksum_value(&fp);
        }
        double pb, nb;
        const int64_t e = block(t->s, t->cls, 1, t->p, ord, m, k, &pb, &nb);
        pkh__ksum_add(&tp, pb);
        pkh__ksum_add(&fp, nb);
        const double TP = pkh__ksum_value(&tp), FP = pkh__ksum_value(&fp);
        const double grid = floor(1000 * (TP + FP) / (tot.P + tot.N));
        if (e == m || grid > last) {
            st = curve_add(c, seg, "roc", NAN, e < m ? t->s[ord[e]] : NAN, TP, FP, tot.P, tot.N);
            last = grid;
        }
        k = e;
    }
    for (; nq < 10; nq++) {
        qtp[nq] = pkh__ksum_value(&tp);
        qfp[nq] = pkh__ksum_value(&fp);
    }
    for (int j = 0; j < 10 && st == PKH_OK; j++) {
        st = curve_add(c, seg, "quota", 0.05 * (j + 1), t->quota_cut[j], qtp[j], qfp[j], tot.P,
                       tot.N);
    }
    return st;
}

static pkh_status curve_table(pkh__tg *t, const curve_rows *c, pkh_table **out)
{
    static const char *const names[C_NUM] = {"quota", "cutoff",    "eligible",        "tpr",
                                             "fpr",   "precision", "exclusion_error", "leakage"};
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(t->o->allocator, &b, t->err);
    if (st == PKH_OK && t->groups != NULL) {
        st = pkh__tg_key_columns(b, pkh_groups_keys(t->groups), c->seg, c->n, t->a, t->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "curve", c->kind, c->n, t->err);
    }
    for (int j = 0; j < C_NUM && st == PKH_OK; j++) {
        uint8_t *v = pkh__finite_bits(t->a, c->v[j], c->n);
        st = v == NULL ? pkh__enomem(t->err)
                       : pkh_table_builder_add_float64(b, names[j], c->v[j], v, c->n, t->err);
        pkh__free(t->a, v, pkh__bitmap_bytes(c->n));
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, t->err);
    }
    pkh_table_builder_free(b);
    return st;
}

pkh_status pkh__tg_curves(pkh__tg *t, pkh_table **out)
{
    curve_rows c;
    memset(&c, 0, sizeof c);
    c.a = t->a;
    pkh_status st = PKH_OK;
    for (int64_t seg = 0; seg < t->nseg && st == PKH_OK; seg++) {
        int64_t m;
        pkh__tg_seg_order(t, seg, &m);
        if (m == 0) {
            continue;
        }
        st = segment_curve(t, &c, seg);
    }
    if (st == PKH_ENOMEM) {
        st = pkh__enomem(t->err);
    }
    if (st == PKH_OK) {
        st = curve_table(t, &c, out);
    }
    curve_free(&c);
    return st;
}
