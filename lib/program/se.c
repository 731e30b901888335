/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Standard errors of the simulation's results: each indicator's influence values (one per
 * household, zero outside its group) handed to the variance engine (lib/design), which
 * computes the linearised variance over the full design (domain estimation). A change (after
 * minus before, or the second programme minus the first) gets the variance of the paired
 * difference of influence values.
 *
 * Influence values (w the household weight, W = w x size its persons):
 *   total sum v_i:          z_i = v_i
 *   ratio A / D:            z_i = (a_i - R d_i) / D
 *   FGT(alpha) = A / POP:   a ratio, a_i = W_i g_i^alpha 1(poor)
 *   Gini (Langel and Tillé 2013, as convey's svygini):
 *     z_i = W_i [2 N_i (y_i - Y_i / N_i) + T - N y_i - G (T + N y_i)] / (N T),
 *     N_i, Y_i the persons and welfare at or below y_i, N, T their totals.
 * The selection (a score cut-off found from a budget or a quota) and relative poverty lines
 * are taken as fixed.
 */
#include <math.h>
#include <stdio.h>

#include "internal/design.h"
#include "internal/program.h"
#include "internal/stats.h"

/* ---- per-household variables ---- */

static double stage_money(const pkh__simctx *c, const pkh__sim *s, int64_t i, int64_t t,
                          int64_t *paid)
{
    const pkh_program *p = s->p;
    const pkh__stage *sg = &p->stage[t];
    double v = 0;
    pkh__paid(p, s->counts, c->n, i, paid);
    for (int64_t r = 0; r < p->n_comp; r++) {
        const int64_t k = p->order[r];
        v += (double)paid[k] * (sg->share * sg->rate[k]);
    }
    for (int64_t f = 0; f < p->n_flat; f++) {
        const pkh__flat *fl = &p->flat[f];
        v += s->flat_ok[f * c->n + i] && fl->in_stage[t] ? fl->amount / (double)fl->n_in : 0;
    }
    return v;
}

static double poverty_value(const pkh__simctx *c, const pkh__sim *s, int64_t i, int v)
{
    const double y = c->y[i];
    if (y != y) {
        return 0;
    }
    const double w = c->w[i], W = w * c->s[i], b = s->benefit[i];
    const double ya = y + b / (c->periods * c->e[i]);
    const double z = c->z != NULL ? c->z[i] : c->line;
    const bool pb = y < z, pa = ya < z;
    const double gb = pb ? 1 - y / z : 0, ga = pa ? 1 - ya / z : 0;
    switch (v) {
    case PKH__V_POPY:
        return W;
    case PKH__V_FB0:
        return pb ? W : 0;
    case PKH__V_FB1:
        return W * gb;
    case PKH__V_FB2:
        return W * gb * gb;
    case PKH__V_FA0:
        return pa ? W : 0;
    case PKH__V_FA1:
        return W * ga;
    case PKH__V_FA2:
        return W * ga * ga;
    case PKH__V_POORB:
        return pb ? W : 0;
    case PKH__V_POORA:
        return pa ? W : 0;
    case PKH__V_LIFT:
        return pb && !pa ? W : 0;
    case PKH__V_GAPB:
        return pb ? c->w[i] * c->e[i] * (z - y) * c->periods : 0;
    case PKH__V_GAPA:
        return pa ? c->w[i] * c->e[i] * (z - ya) * c->periods : 0;
    case PKH__V_GAPRED:
        return (pb ? c->w[i] * c->e[i] * (z - y) * c->periods : 0) -
               (pa ? c->w[i] * c->e[i] * (z - ya) * c->periods : 0);
    case PKH__V_BUDY:
        return w * b;
    case PKH__V_BUDPOOR:
        return pb ? w * b : 0;
    case PKH__V_CONS:
        return s->elig[i] ? w * y * c->e[i] * c->periods : 0;
    default:
        return 0;
    }
}

static double value(const pkh__simctx *c, const pkh__sim *s, int64_t i, int v, int64_t *paid)
{
    const double w = c->w[i];
    const bool e = s->elig[i];
    if (v >= PKH__V_STAGE) {
        return e ? w * stage_money(c, s, i, v - PKH__V_STAGE, paid) : 0;
    }
    if (v >= PKH__V_FLAT) {
        return e && s->flat_ok[(int64_t)(v - PKH__V_FLAT) * c->n + i] ? w : 0;
    }
    if (v >= PKH__V_MEM) {
        if (!e) {
            return 0;
        }
        pkh__paid(s->p, s->counts, c->n, i, paid);
        return w * (double)paid[v - PKH__V_MEM];
    }
    switch (v) {
    case PKH__V_FAM:
        return e ? w : 0;
    case PKH__V_PERS:
        return e ? w * c->s[i] : 0;
    case PKH__V_BUD:
        return w * s->benefit[i];
    default:
        return c->y != NULL ? poverty_value(c, s, i, v) : 0;
    }
}

/* ---- one segment ---- */

typedef struct seg {
    const pkh__simctx *c;
    const int64_t *rows; /* NULL: every row */
    int64_t m;
    double *gz[3]; /* Gini influence: before, after (first), after (second); NULL until made */
    double *tmp;
} seg;

static int64_t row_at(const seg *g, int64_t j)
{
    return g->rows != NULL ? g->rows[j] : j;
}

static double welfare(const pkh__simctx *c, int dist, int64_t i)
{
    return dist == 0 ? c->y[i] : c->y[i] + c->sim[dist - 1].benefit[i] / (c->periods * c->e[i]);
}

/* Gini influence values on the segment's entries for one distribution. */
static pkh_status gini_influence(seg *g, int dist)
{
    const pkh__simctx *c = g->c;
    const pkh_allocator *a = c->a;
    const size_t nm = (size_t)(g->m > 0 ? g->m : 1);
    double *z = pkh__calloc(a, nm, sizeof(double));
    double *x = pkh__alloc(a, nm * sizeof(double)), *w = pkh__alloc(a, nm * sizeof(double));
    int64_t *at = pkh__alloc(a, nm * sizeof(int64_t)), *perm = pkh__alloc(a, nm * 8);
    uint64_t *keys = pkh__alloc(a, nm * sizeof(uint64_t));
    pkh_status st = z && x && w && at && perm && keys ? PKH_OK : PKH_ENOMEM;
    int64_t k = 0;
    for (int64_t j = 0; j < g->m && st == PKH_OK; j++) {
        const int64_t i = row_at(g, j);
        if (c->y[i] == c->y[i]) {
            x[k] = welfare(c, dist, i);
            w[k] = c->w[i] * c->s[i];
            at[k] = j;
            keys[k] = pkh__double_key(x[k]);
            k++;
        }
    }
    st = st == PKH_OK ? pkh__radix_argsort(keys, k, c->threads, a, perm) : st;
    if (st == PKH_OK && k > 0) {
        double *xs = (double *)keys, *ws = g->tmp; /* reuse: keys are no longer needed */
        for (int64_t q = 0; q < k; q++) {
            xs[q] = x[perm[q]];
            ws[q] = w[perm[q]];
        }
        const double G = pkh__gini_sorted(xs, ws, k);
        pkh__ksum N = {0, 0}, T = {0, 0};
        for (int64_t q = 0; q < k; q++) {
            pkh__ksum_add(&N, ws[q]);
            pkh__ksum_add(&T, ws[q] * xs[q]);
        }
        const double Nt = pkh__ksum_value(&N), Tt = pkh__ksum_value(&T);
        pkh__ksum cn = {0, 0}, cy = {0, 0};
        for (int64_t q = 0; q < k;) {
            int64_t e = q;
            for (; e < k && xs[e] == xs[q]; e++) {
                pkh__ksum_add(&cn, ws[e]);
                pkh__ksum_add(&cy, ws[e] * xs[e]);
            }
            const double Nk = pkh__ksum_value(&cn), Yk = pkh__ksum_value(&cy), y = xs[q];
            const double u = (2 * Nk * (y - Yk / Nk) + Tt - Nt * y - G * (Tt + y * Nt)) / (Nt * Tt);
            for (; q < e; q++) {
                z[at[perm[q]]] = ws[q] * u;
            }
        }
        if (!(G == G) || !isfinite(Tt) || Tt == 0) {
            for (int64_t j = 0; j < g->m; j++) {
                z[j] = NAN;
            }
        }
    }
    pkh__free(a, x, nm * sizeof(double));
    pkh__free(a, w, nm * sizeof(double));
    pkh__free(a, at, nm * sizeof(int64_t));
    pkh__free(a, perm, nm * 8);
    pkh__free(a, keys, nm * sizeof(uint64_t));
    if (st != PKH_OK) {
        pkh__free(a, z, nm * sizeof(double));
        return st;
    }
    g->gz[dist] = z;
    return PKH_OK;
}

/* Influence values of one indicator of programme `prog` on the segment's entries. */
#define CHUNK ((int64_t)1 << 15)

/* Values of a total or a ratio's parts on the segment's entries, in fixed chunks of entries
 * on any number of threads; the chunks' sums are merged in order. */
typedef struct fill_job {
    const seg *g;
    const pkh__sim *s;
    const pkh__ispec *sp;
    double *z;
    pkh__ksum *sums; /* 2 per chunk: numerator, denominator */
} fill_job;

static pkh_status fill_task(void *vctx, int64_t chunk)
{
    const fill_job *j = vctx;
    const seg *g = j->g;
    const pkh__ispec *sp = j->sp;
    int64_t paid[PKH__MAX_COMPONENTS];
    const int64_t lo = chunk * CHUNK, hi = lo + CHUNK < g->m ? lo + CHUNK : g->m;
    pkh__ksum A = {0, 0}, D = {0, 0};
    for (int64_t k = lo; k < hi; k++) {
        const int64_t i = row_at(g, k);
        double a = value(g->c, j->s, i, sp->num, paid);
        if (sp->kind == PKH__I_TOTAL) {
            j->z[k] = sp->scale * a;
            continue;
        }
        a -= sp->kind == PKH__I_RATIO_DIFF ? value(g->c, j->s, i, sp->num2, paid) : 0;
        const double d = value(g->c, j->s, i, sp->den, paid);
        j->z[k] = a;
        g->tmp[k] = d;
        pkh__ksum_add(&A, a);
        pkh__ksum_add(&D, d);
    }
    j->sums[chunk * 2] = A;
    j->sums[chunk * 2 + 1] = D;
    return PKH_OK;
}

typedef struct ratio_job {
    const seg *g;
    double *z;
    double R, D;
} ratio_job;

static pkh_status ratio_task(void *vctx, int64_t chunk)
{
    const ratio_job *j = vctx;
    const int64_t lo = chunk * CHUNK, hi = lo + CHUNK < j->g->m ? lo + CHUNK : j->g->m;
    for (int64_t k = lo; k < hi; k++) {
        j->z[k] = j->D != 0 ? (j->z[k] - j->R * j->g->tmp[k]) / j->D : NAN;
    }
    return PKH_OK;
}

static pkh_status fill_gini(seg *g, int prog, const pkh__ispec *sp, double *z)
{
    const int after = 1 + prog;
    for (int d = 0; d < 2; d++) {
        const int dist = d == 0 ? 0 : after;
        if (g->gz[dist] == NULL) {
            pkh_status st = gini_influence(g, dist);
            if (st != PKH_OK) {
                return st;
            }
        }
    }
    const double *b = g->gz[0], *af = g->gz[after];
    for (int64_t j = 0; j < g->m; j++) {
        z[j] = sp->kind == PKH__I_GINI_DIFF ? af[j] - b[j] : sp->num == 0 ? b[j] : af[j];
    }
    return PKH_OK;
}

/* Influence values of one indicator of programme `prog` on the segment's entries. */
static pkh_status fill(seg *g, int prog, const pkh__ispec *sp, double *z)
{
    const pkh__simctx *c = g->c;
    if (sp->kind == PKH__I_GINI || sp->kind == PKH__I_GINI_DIFF) {
        return fill_gini(g, prog, sp, z);
    }
    const int64_t nchunks = (g->m + CHUNK - 1) / CHUNK;
    const size_t ns = (size_t)(nchunks > 0 ? nchunks : 1) * 2;
    pkh__ksum *sums = pkh__calloc(c->a, ns, sizeof *sums);
    if (sums == NULL) {
        return PKH_ENOMEM;
    }
    fill_job j = {g, &c->sim[prog], sp, z, sums};
    pkh_status st = pkh__parallel_for(c->threads, nchunks, fill_task, &j);
    if (st == PKH_OK && sp->kind != PKH__I_TOTAL) {
        pkh__ksum A = {0, 0}, D = {0, 0};
        for (int64_t k = 0; k < nchunks; k++) {
            pkh__ksum_merge(&A, &sums[k * 2]);
            pkh__ksum_merge(&D, &sums[k * 2 + 1]);
        }
        ratio_job r = {g, z, pkh__ksum_value(&A) / pkh__ksum_value(&D), pkh__ksum_value(&D)};
        st = pkh__parallel_for(c->threads, nchunks, ratio_task, &r);
    }
    pkh__free(c->a, sums, ns * sizeof *sums);
    return st;
}

static const pkh__row *find(const pkh__rows *r, int64_t lo, int64_t hi, int prog, const char *name)
{
    for (int64_t i = lo; i < hi; i++) {
        if (r->v[i].prog == prog && strcmp(r->v[i].name, name) == 0) {
            return &r->v[i];
        }
    }
    return NULL;
}

static bool finite_all(const double *z, int64_t m)
{
    for (int64_t j = 0; j < m; j++) {
        if (!isfinite(z[j])) {
            return false;
        }
    }
    return true;
}

/* Standard errors of the rows [lo, hi) of one segment. */
static pkh_status segment_se(seg *g, pkh__rows *r, int64_t lo, int64_t hi, double *z, double *za)
{
    const pkh__simctx *c = g->c;
    const pkh_design *d = c->o->design;
    pkh__dom dom;
    pkh_status st = pkh__dom_init(d, g->rows, NULL, g->m, c->threads, c->a, &dom);
    if (st != PKH_OK) {
        return st;
    }
    for (int64_t i = lo; i < hi && st == PKH_OK; i++) {
        pkh__row *x = &r->v[i];
        if (x->est != x->est) {
            continue;
        }
        if (x->prog < 2) {
            st = fill(g, x->prog, &x->spec, z);
        } else {
            const pkh__row *ra = find(r, lo, hi, 0, x->name), *rb = find(r, lo, hi, 1, x->name);
            st = fill(g, 0, &ra->spec, z);
            st = st == PKH_OK ? fill(g, 1, &rb->spec, za) : st;
            for (int64_t j = 0; j < g->m && st == PKH_OK; j++) {
                z[j] = za[j] - z[j];
            }
        }
        double var = NAN;
        if (st == PKH_OK && finite_all(z, g->m)) {
            st = pkh__dom_cov(d, &dom, z, z, 1, &var);
        }
        x->se = var >= 0 ? sqrt(var) : NAN;
    }
    pkh__dom_free(&dom);
    return st;
}

/* Rows of each group, in row order: rows[off[g] .. off[g + 1]). */
static pkh_status group_rows(const pkh__simctx *c, int64_t **rows, int64_t **off)
{
    *rows = pkh__alloc(c->a, (size_t)(c->n > 0 ? c->n : 1) * sizeof(int64_t));
    *off = pkh__calloc(c->a, (size_t)c->k + 2, sizeof(int64_t));
    if (*rows == NULL || *off == NULL) {
        return PKH_ENOMEM;
    }
    for (int64_t i = 0; i < c->n; i++) {
        if (c->gid[i] >= 0) {
            (*off)[c->gid[i] + 1]++;
        }
    }
    for (int64_t g = 0; g < c->k; g++) {
        (*off)[g + 1] += (*off)[g];
    }
    int64_t *cur = pkh__alloc(c->a, (size_t)(c->k > 0 ? c->k : 1) * sizeof(int64_t));
    if (cur == NULL) {
        return PKH_ENOMEM;
    }
    memcpy(cur, *off, (size_t)c->k * sizeof(int64_t));
    for (int64_t i = 0; i < c->n; i++) {
        if (c->gid[i] >= 0) {
            (*rows)[cur[c->gid[i]]++] = i;
        }
    }
    pkh__free(c->a, cur, (size_t)(c->k > 0 ? c->k : 1) * sizeof(int64_t));
    return PKH_OK;
}

pkh_status pkh__sim_se(pkh__simctx *c, pkh__rows *r)
{
    const pkh_design *d = c->o->design;
    if (pkh_design_rows(d) != c->n) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "the survey design describes %lld rows but there "
                           "are %lld households: build it on the same table",
                           (long long)pkh_design_rows(d), (long long)c->n);
    }
    const size_t nn = (size_t)(c->n > 0 ? c->n : 1);
    int64_t *rows = NULL, *off = NULL;
    double *z = pkh__alloc(c->a, nn * sizeof(double)), *za = pkh__alloc(c->a, nn * 8);
    double *tmp = pkh__alloc(c->a, nn * sizeof(double));
    pkh_status st = z && za && tmp ? PKH_OK : PKH_ENOMEM;
    st = st == PKH_OK && c->k > 0 ? group_rows(c, &rows, &off) : st;
    for (int64_t lo = 0; lo < r->n && st == PKH_OK;) {
        const int64_t sg = r->v[lo].seg;
        int64_t hi = lo;
        while (hi < r->n && r->v[hi].seg == sg) {
            hi++;
        }
        seg g = {c,
                 sg == 0 ? NULL : rows + off[sg - 1],
                 sg == 0 ? c->n : off[sg] - off[sg - 1],
                 {NULL, NULL, NULL},
                 tmp};
        st = segment_se(&g, r, lo, hi, z, za);
        for (int k = 0; k < 3; k++) {
            pkh__free(c->a, g.gz[k], (size_t)(g.m > 0 ? g.m : 1) * sizeof(double));
        }
        lo = hi;
    }
    pkh__free(c->a, z, nn * sizeof(double));
    pkh__free(c->a, za, nn * 8);
    pkh__free(c->a, tmp, nn * sizeof(double));
    pkh__free(c->a, rows, nn * sizeof(int64_t));
    pkh__free(c->a, off, ((size_t)c->k + 2) * sizeof(int64_t));
    if (st == PKH_OK) {
        c->info.se = 1;
    }
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}
