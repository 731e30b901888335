/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Linearised standard errors of the indicators of one segment: influence values (influence.c)
 * through the design's variance engine (lib/design), with the poverty line's own uncertainty
 * when it is estimated, Woodruff intervals for quantiles, design effects, and the differences
 * between two groups (contrasts).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "internal/design.h"
#include "internal/stats.h"
#include "internal/variance.h"

/* R survey's deff = TRUE: the variance under simple random sampling without replacement of the
 * n rows (with weight > 0) of the domain: N^2 s2(l) / n (N - n) / N, s2 the weighted variance
 * (with n / (n - 1)) of l = v / w. NaN when N <= n (weights not scaled to a population). */
static double srs_variance(const double *w, const double *v, int64_t n)
{
    pkh__ksum sw = {0, 0}, sl = {0, 0};
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (w[i] > 0) {
            pkh__ksum_add(&sw, w[i]);
            pkh__ksum_add(&sl, v[i]);
            m++;
        }
    }
    const double N = pkh__ksum_value(&sw), lbar = pkh__ksum_value(&sl) / N;
    pkh__ksum ss = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        if (w[i] > 0) {
            const double d = v[i] / w[i] - lbar;
            pkh__ksum_add(&ss, w[i] * d * d);
        }
    }
    const double mm = (double)m;
    if (!(N > mm) || m < 2) {
        return NAN;
    }
    const double s2 = pkh__ksum_value(&ss) / N * mm / (mm - 1);
    return N * N * s2 / mm * (N - mm) / N;
}

static bool is_quantile(const pkh_indicator *ind)
{
    return ind->kind == PKH_IND_MEDIAN || ind->kind == PKH_IND_QUANTILE;
}

/* Woodruff's interval: the CI of F(q) at the estimate, F -+ t se(F), read back through the
 * quantile function; se = width / (2 t) (R survey's svyquantile, interval.type = "mean"). */
static pkh_status woodruff(const pkh__se_shared *sh, const pkh__seg *s, const pkh__dom *dom,
                           double q, double *u, pkh__se_row *out)
{
    const double F = pkh__seg_cdf_influence(s, q, u);
    double var;
    pkh_status st = pkh__dom_cov(sh->d, dom, u, u, 1, &var);
    if (st != PKH_OK) {
        return st;
    }
    const double se = sqrt(var > 0 ? var : 0);
    if (!(sh->tq > 0)) { /* no degrees of freedom: no interval */
        return PKH_OK;
    }
    const double plo = F - sh->tq * se, phi = F + sh->tq * se;
    out->lo = plo < 0 ? NAN : pkh__seg_quantile(s, plo, sh->rule);
    out->hi = phi > 1 ? NAN : pkh__seg_quantile(s, phi, sh->rule);
    out->se = (out->hi - out->lo) / (2 * sh->tq);
    out->var = out->se * out->se;
    if (sh->deff) {
        out->srs = srs_variance(s->w, u, s->n);
        out->deff = out->srs > 0 ? var / out->srs : NAN;
    }
    return PKH_OK;
}

/* The national line: its influence on segment 0's rows becomes the cross-term vector every
 * group's variance uses, its variance, and its values by row (for design effects). */
static pkh_status prepare_line(pkh__se_shared *sh, const pkh__dom *dom, const double *lu,
                               const int64_t *cid, int64_t n)
{
    const pkh_design *d = sh->d;
    sh->cross = pkh__calloc(sh->a, (size_t)d->npsu, sizeof(double));
    sh->line_u = pkh__calloc(sh->a, (size_t)(sh->rows > 0 ? sh->rows : 1), sizeof(double));
    if (sh->cross == NULL || sh->line_u == NULL) {
        return PKH_ENOMEM;
    }
    pkh_status st = pkh__design_cross_prepare(d, dom, lu, sh->cross);
    if (st == PKH_OK) {
        st = pkh__dom_cov(d, dom, lu, lu, 1, &sh->var_line);
    }
    for (int64_t i = 0; i < n; i++) {
        sh->line_u[cid[i]] = lu[i];
    }
    sh->national = true;
    return st;
}

void pkh__se_shared_free(pkh__se_shared *sh)
{
    if (sh->cross != NULL) {
        pkh__free(sh->a, sh->cross, (size_t)sh->d->npsu * sizeof(double));
    }
    pkh__free(sh->a, sh->line_u, (size_t)(sh->rows > 0 ? sh->rows : 1) * sizeof(double));
    sh->cross = NULL;
    sh->line_u = NULL;
}

typedef struct work {
    double *u, *lu, *v, *scratch; /* only what the indicators need is allocated */
    size_t bytes;
} work;

/* Indicators whose influence values need scratch space (pkh__seg_influence). */
static bool needs_scratch(const pkh_indicator *ind)
{
    switch (ind->kind) {
    case PKH_IND_SEN:
    case PKH_IND_SST:
    case PKH_IND_INCOME_GAP_RATIO:
    case PKH_IND_PALMA:
    case PKH_IND_S80S20:
    case PKH_IND_S80S20_MEANS:
        return true;
    default:
        return false;
    }
}

static pkh_status work_alloc(const pkh_allocator *a, const pkh__se_shared *sh,
                             const pkh__seg_se_in *in, work *w)
{
    const size_t nn = (size_t)(in->seg->n > 0 ? in->seg->n : 1);
    bool scratch = false;
    for (int64_t k = 0; k < in->n_indicators; k++) {
        scratch = scratch || needs_scratch(&in->indicators[k]);
    }
    const bool line = in->line_estimated && (in->own_line || in->prepare_line);
    const size_t count = 1 + (line ? 1 : 0) + (sh->deff ? 1 : 0) + (scratch ? 5 : 0);
    w->bytes = nn * count * sizeof(double);
    double *b = pkh__alloc(a, w->bytes);
    if (b == NULL) {
        return PKH_ENOMEM;
    }
    w->u = b;
    b += nn;
    w->lu = line ? b : NULL;
    b += line ? nn : 0;
    w->v = sh->deff ? b : NULL;
    b += sh->deff ? nn : 0;
    w->scratch = scratch ? b : NULL;
    return PKH_OK;
}

/* One indicator: variance, CI, deff into out; u holds its influence values after the call. */
static pkh_status one(const pkh__se_shared *sh, const pkh__seg_se_in *in, const pkh__dom *dom,
                      const pkh_indicator *ind, double value, double h, work *wk, pkh__se_row *out)
{
    const pkh__seg *s = in->seg;
    const int64_t n = s->n;
    pkh__lin lin =
        pkh__seg_influence(s, ind, sh->rule, h, value, in->line_estimated, wk->u, wk->scratch);
    if (!lin.ok || value != value) {
        return PKH_OK;
    }
    const double slope = in->line_estimated ? lin.slope : 0;
    if (in->own_line && slope != 0) {
        for (int64_t i = 0; i < n; i++) {
            wk->u[i] += slope * wk->lu[i];
        }
    }
    double var;
    pkh_status st = pkh__dom_cov(sh->d, dom, wk->u, wk->u, 1, &var);
    const bool national = in->line_estimated && !in->own_line && slope != 0;
    if (national) {
        var += 2 * slope * pkh__design_cross(sh->d, in->rows, wk->u, n, sh->cross) +
               slope * slope * sh->var_line;
    }
    out->slope = national ? slope : 0;
    out->var = var;
    out->se = sqrt(var > 0 ? var : 0);
    out->lo = value - sh->tq * out->se;
    out->hi = value + sh->tq * out->se;
    if (sh->deff) {
        for (int64_t i = 0; i < n; i++) {
            wk->v[i] = wk->u[i] + (national ? slope * sh->line_u[in->cid[i]] : 0);
        }
        out->srs = srs_variance(s->w, wk->v, n);
        out->deff = out->srs > 0 ? var / out->srs : NAN;
    }
    return st;
}

/* Indicator k's SE into *out, with work buffers wk (and its influence values into keep[k]). */
static pkh_status se_one(const pkh__se_shared *sh, const pkh__seg_se_in *in, const pkh__dom *dom,
                         double h, work *wk, int64_t k, pkh__se_row *out, double **keep)
{
    const pkh_indicator *ind = &in->indicators[k];
    const double value = in->est[k].value;
    pkh_status st;
    if (is_quantile(ind) && sh->qse == PKH_QSE_WOODRUFF && value == value) {
        st = woodruff(sh, in->seg, dom, value, wk->u, out);
        if (st == PKH_OK && keep != NULL && keep[k] != NULL) {
            pkh__se_row tmp = {NAN, NAN, NAN, NAN, NAN, NAN, 0};
            st = one(sh, in, dom, ind, value, h, wk, &tmp); /* kernel, for contrasts */
            out->slope = tmp.slope;
        }
    } else {
        st = one(sh, in, dom, ind, value, h, wk, out);
    }
    if (st == PKH_OK && keep != NULL && keep[k] != NULL) {
        memcpy(keep[k], wk->u, (size_t)in->seg->n * sizeof(double));
    }
    return st;
}

bool pkh__seg_se_splittable(const pkh__seg_se_in *in, double **keep)
{
    return keep == NULL && !(in->line_estimated && (in->own_line || in->prepare_line));
}

pkh_status pkh__seg_se_open(const pkh__se_shared *sh, const pkh__seg_se_in *in,
                            pkh__seg_se_split *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->in = in;
    const pkh_status st =
        pkh__dom_init(sh->d, in->rows, in->unit, in->seg->n, in->threads, sh->a, &sp->dom);
    sp->h = st == PKH_OK ? pkh__seg_bandwidth(in->seg) : NAN;
    return st;
}

pkh_status pkh__seg_se_take(const pkh__se_shared *sh, const pkh__seg_se_split *sp, int64_t k,
                            void **buf, pkh__se_row *out)
{
    *out = (pkh__se_row){NAN, NAN, NAN, NAN, NAN, NAN, 0};
    if (*buf == NULL) {
        work *w = pkh__alloc(sh->a, sizeof *w);
        if (w == NULL) {
            return PKH_ENOMEM;
        }
        memset(w, 0, sizeof *w);
        if (work_alloc(sh->a, sh, sp->in, w) != PKH_OK) {
            pkh__free(sh->a, w, sizeof *w);
            return PKH_ENOMEM;
        }
        *buf = w;
    }
    return se_one(sh, sp->in, &sp->dom, sp->h, *buf, k, out, NULL);
}

void pkh__seg_se_work_free(const pkh__se_shared *sh, void *buf)
{
    work *w = buf;
    if (w != NULL) {
        pkh__free(sh->a, w->u, w->bytes);
        pkh__free(sh->a, w, sizeof *w);
    }
}

void pkh__seg_se_close(pkh__seg_se_split *sp)
{
    pkh__dom_free(&sp->dom);
}

typedef struct se_par {
    const pkh__se_shared *sh;
    const pkh__seg_se_split *sp;
    pkh__se_row *out;
    atomic_llong next; /* the next indicator */
} se_par;

static pkh_status se_par_task(void *vctx, int64_t t)
{
    se_par *j = vctx;
    (void)t;
    void *w = NULL;
    pkh_status st = PKH_OK;
    for (int64_t k = atomic_fetch_add(&j->next, 1); k < j->sp->in->n_indicators && st == PKH_OK;
         k = atomic_fetch_add(&j->next, 1)) {
        st = pkh__seg_se_take(j->sh, j->sp, k, &w, &j->out[k]);
    }
    pkh__seg_se_work_free(j->sh, w);
    return st;
}

pkh_status pkh__seg_se(pkh__se_shared *sh, const pkh__seg_se_in *in, pkh__se_row *out,
                       double **keep)
{
    const pkh__seg *s = in->seg;
    const int64_t n = s->n;
    for (int64_t k = 0; k < in->n_indicators; k++) {
        out[k] = (pkh__se_row){NAN, NAN, NAN, NAN, NAN, NAN, 0};
    }
    /* the indicators on every core when nothing is shared between them but the domain: each
     * thread with its own work buffers (an indicator's result does not depend on which thread
     * computes it) */
    const int threads = pkh__threads(in->threads);
    if (threads > 1 && in->n_indicators > 1 && pkh__seg_se_splittable(in, keep)) {
        pkh__seg_se_split sp;
        pkh_status st = pkh__seg_se_open(sh, in, &sp);
        if (st == PKH_OK) {
            se_par j = {sh, &sp, out, 0};
            atomic_init(&j.next, 0);
            const int64_t t = threads < in->n_indicators ? threads : in->n_indicators;
            st = pkh__parallel_for(threads, t, se_par_task, &j);
        }
        pkh__seg_se_close(&sp);
        return st;
    }
    work wk;
    memset(&wk, 0, sizeof wk);
    pkh__dom dom;
    memset(&dom, 0, sizeof dom);
    pkh_status st = work_alloc(sh->a, sh, in, &wk);
    if (st == PKH_OK) {
        st = pkh__dom_init(sh->d, in->rows, in->unit, n, in->threads, sh->a, &dom);
    }
    const double h = st == PKH_OK ? pkh__seg_bandwidth(s) : NAN;
    if (st == PKH_OK && in->line_estimated && (in->own_line || in->prepare_line)) {
        pkh__seg_line_influence(s, in->line->kind, in->line->value, sh->rule, h, wk.lu);
        if (in->prepare_line) {
            st = prepare_line(sh, &dom, wk.lu, in->cid, n);
        }
    }
    /* (with prepare_line, n_indicators is 0: the line only) */
    for (int64_t k = 0; k < in->n_indicators && st == PKH_OK; k++) {
        st = se_one(sh, in, &dom, h, &wk, k, &out[k], keep);
    }
    pkh__dom_free(&dom);
    if (wk.u != NULL) {
        pkh__free(sh->a, wk.u, wk.bytes);
    }
    return st;
}

pkh_status pkh__contrast_se(const pkh__se_shared *sh, const int64_t *rows1, const double *u1,
                            int64_t n1, double slope1, const int64_t *rows2, const double *u2,
                            int64_t n2, double slope2, double *var)
{
    const int64_t n = n1 + n2;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    int64_t *rows = pkh__alloc(sh->a, nn * sizeof *rows);
    double *u = pkh__alloc(sh->a, nn * sizeof *u);
    pkh_status st = rows == NULL || u == NULL ? PKH_ENOMEM : PKH_OK;
    pkh__dom dom;
    memset(&dom, 0, sizeof dom);
    if (st == PKH_OK) {
        memcpy(rows, rows1, (size_t)n1 * sizeof *rows);
        memcpy(rows + n1, rows2, (size_t)n2 * sizeof *rows);
        memcpy(u, u1, (size_t)n1 * sizeof *u);
        for (int64_t i = 0; i < n2; i++) {
            u[n1 + i] = -u2[i];
        }
        st = pkh__dom_init(sh->d, rows, NULL, n, 1, sh->a, &dom);
    }
    if (st == PKH_OK) {
        st = pkh__dom_cov(sh->d, &dom, u, u, 1, var);
    }
    const double s = slope1 - slope2;
    if (st == PKH_OK && s != 0 && sh->cross != NULL) {
        *var += 2 * s * pkh__design_cross(sh->d, rows, u, n, sh->cross) + s * s * sh->var_line;
    }
    pkh__dom_free(&dom);
    pkh__free(sh->a, rows, nn * sizeof *rows);
    pkh__free(sh->a, u, nn * sizeof *u);
    return st;
}
