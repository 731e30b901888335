/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * What a programme costs and what it does to poverty, by group: additive sums over fixed
 * chunks of households (merged in chunk order, so the result never depends on the number of
 * threads), Gini coefficients from one radix sort per distribution, and the tidy results
 * table.
 */
#include <math.h>
#include <stdio.h>

#include "internal/program.h"
#include "internal/stats.h"

#define CHUNK ((int64_t)1 << 16)

/* Sums kept per segment; then one per component (members paid) and per flat benefit. */
enum {
    S_POP,    /* persons: sum of w s */
    S_FAM,    /* families paid: w */
    S_PERS,   /* persons in families paid: w s */
    S_BUDGET, /* w b */
    S_POPY,   /* persons with a welfare value */
    S_F0B,    /* sum of w s g^a before (a = 0, 1, 2), g the normalised gap */
    S_F1B,
    S_F2B,
    S_F0A, /* after */
    S_F1A,
    S_F2A,
    S_LIFT, /* persons poor before and not after */
    S_GAPB, /* money to close every gap, per year: w s (z - y) periods */
    S_GAPA,
    S_BUDPOOR, /* w b of households poor before */
    S_BUDY,    /* w b of households with a welfare value */
    S_CONS,    /* w x annual household welfare, families paid */
    S_FIXED
};

typedef struct acc {
    pkh__ksum *sum; /* nseg x nslots */
    int64_t *rows;  /* nseg x 2: rows, rows with a welfare value */
} acc;

typedef struct agg_job {
    const pkh__simctx *c;
    const pkh__sim *s;
    int64_t nseg, nslots;
    acc *chunks;
} agg_job;

static void add_poverty(const pkh__simctx *c, const pkh__sim *s, int64_t i, pkh__ksum *a)
{
    const double W = c->w[i] * c->s[i], y = c->y[i], b = s->benefit[i];
    const double ya = y + b / (c->periods * c->e[i]);
    const double z = c->z != NULL ? c->z[i] : c->line;
    pkh__ksum_add(&a[S_POPY], W);
    pkh__ksum_add(&a[S_BUDY], c->w[i] * b);
    if (s->elig[i]) {
        pkh__ksum_add(&a[S_CONS], c->w[i] * y * c->e[i] * c->periods);
    }
    if (z != z) {
        return; /* no line: inequality and shares only */
    }
    if (y < z) {
        const double g = 1 - y / z;
        pkh__ksum_add(&a[S_F0B], W);
        pkh__ksum_add(&a[S_F1B], W * g);
        pkh__ksum_add(&a[S_F2B], W * g * g);
        pkh__ksum_add(&a[S_GAPB], c->w[i] * c->e[i] * (z - y) * c->periods);
        pkh__ksum_add(&a[S_BUDPOOR], c->w[i] * b);
        if (!(ya < z)) {
            pkh__ksum_add(&a[S_LIFT], W);
        }
    }
    if (ya < z) {
        const double g = 1 - ya / z;
        pkh__ksum_add(&a[S_F0A], W);
        pkh__ksum_add(&a[S_F1A], W * g);
        pkh__ksum_add(&a[S_F2A], W * g * g);
        pkh__ksum_add(&a[S_GAPA], c->w[i] * c->e[i] * (z - ya) * c->periods);
    }
}

static pkh_status agg_task(void *vctx, int64_t chunk)
{
    agg_job *j = vctx;
    const pkh__simctx *c = j->c;
    const pkh__sim *s = j->s;
    const pkh_program *p = s->p;
    const int64_t n = c->n, lo = chunk * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
    acc *a = &j->chunks[chunk];
    int64_t paid[PKH__MAX_COMPONENTS];
    for (int64_t i = lo; i < hi; i++) {
        const int64_t seg = c->gid != NULL && c->gid[i] >= 0 ? 1 + c->gid[i] : 0;
        pkh__ksum *sum = a->sum + seg * j->nslots;
        const double w = c->w[i];
        a->rows[seg * 2]++;
        pkh__ksum_add(&sum[S_POP], w * c->s[i]);
        if (s->elig[i]) {
            pkh__ksum_add(&sum[S_FAM], w);
            pkh__ksum_add(&sum[S_PERS], w * c->s[i]);
            pkh__ksum_add(&sum[S_BUDGET], w * s->benefit[i]);
            pkh__paid(p, s->counts, n, i, paid);
            for (int64_t k = 0; k < p->n_comp; k++) {
                if (paid[k] != 0) {
                    pkh__ksum_add(&sum[S_FIXED + k], w * (double)paid[k]);
                }
            }
            for (int64_t f = 0; f < p->n_flat; f++) {
                if (s->flat_ok[f * n + i]) {
                    pkh__ksum_add(&sum[S_FIXED + p->n_comp + f], w);
                }
            }
        }
        if (c->y != NULL && c->y[i] == c->y[i]) {
            a->rows[seg * 2 + 1]++;
            add_poverty(c, s, i, sum);
        }
    }
    return PKH_OK;
}

/* Sums per output segment (0: everyone, 1 + g: group g), into `tot` (nout x nslots). */
static pkh_status aggregate(const pkh__simctx *c, const pkh__sim *s, pkh__ksum *tot, int64_t *rows)
{
    const int64_t nseg = 1 + c->k, nslots = S_FIXED + s->p->n_comp + s->p->n_flat;
    const int64_t nchunks = (c->n + CHUNK - 1) / CHUNK;
    const pkh_allocator *a = c->a;
    const size_t nc = (size_t)(nchunks > 0 ? nchunks : 1);
    acc *chunks = pkh__calloc(a, nc, sizeof *chunks);
    pkh_status st = chunks == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t ch = 0; ch < nchunks && st == PKH_OK; ch++) {
        chunks[ch].sum = pkh__calloc(a, (size_t)(nseg * nslots), sizeof(pkh__ksum));
        chunks[ch].rows = pkh__calloc(a, (size_t)(nseg * 2), sizeof(int64_t));
        st = chunks[ch].sum == NULL || chunks[ch].rows == NULL ? PKH_ENOMEM : PKH_OK;
    }
    if (st == PKH_OK) {
        agg_job j = {c, s, nseg, nslots, chunks};
        st = pkh__parallel_for(c->threads, nchunks, agg_task, &j);
    }
    /* merge in chunk order; everyone = segment 0 (no group) then the groups, in order */
    for (int64_t ch = 0; ch < nchunks && st == PKH_OK; ch++) {
        for (int64_t g = 0; g < nseg; g++) {
            for (int64_t k = 0; k < nslots; k++) {
                const pkh__ksum *v = &chunks[ch].sum[g * nslots + k];
                pkh__ksum_merge(&tot[g * nslots + k], v);
            }
            rows[g * 2] += chunks[ch].rows[g * 2];
            rows[g * 2 + 1] += chunks[ch].rows[g * 2 + 1];
        }
    }
    for (int64_t g = 1; g < nseg && st == PKH_OK; g++) {
        for (int64_t k = 0; k < nslots; k++) {
            pkh__ksum_merge(&tot[k], &tot[g * nslots + k]);
        }
        rows[0] += rows[g * 2];
        rows[1] += rows[g * 2 + 1];
    }
    for (int64_t ch = 0; chunks != NULL && ch < nchunks; ch++) {
        pkh__free(a, chunks[ch].sum, (size_t)(nseg * nslots) * sizeof(pkh__ksum));
        pkh__free(a, chunks[ch].rows, (size_t)(nseg * 2) * sizeof(int64_t));
    }
    pkh__free(a, chunks, nc * sizeof *chunks);
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

/* ---- Gini ---- */

static double welfare_of(const pkh__simctx *c, const pkh__sim *s, int64_t i)
{
    return s == NULL ? c->y[i] : c->y[i] + s->benefit[i] / (c->periods * c->e[i]);
}

typedef struct gini_job {
    const double *x, *w; /* each group's rows, contiguous and sorted */
    const int64_t *off;
    double *out;
} gini_job;

static pkh_status gini_task(void *vctx, int64_t g)
{
    const gini_job *j = vctx;
    const int64_t lo = j->off[g], hi = j->off[g + 1];
    j->out[1 + g] = pkh__gini_sorted(j->x + lo, j->w + lo, hi - lo);
    return PKH_OK;
}

/* Gini of the welfare before (s NULL) or after, for everyone and each group (out[1 + g]): one
 * radix sort of everyone, then the sorted values dealt out to their groups in order (a stable
 * pass), so each group is sorted too. */
static pkh_status gini_segments(const pkh__simctx *c, const pkh__sim *s, double *out)
{
    const pkh_allocator *a = c->a;
    const int64_t m = c->info.used, k = c->k;
    const size_t nm = (size_t)(m > 0 ? m : 1), nk = (size_t)k + 1;
    double *x = pkh__alloc(a, nm * sizeof(double)), *w = pkh__alloc(a, nm * sizeof(double));
    double *xs = pkh__alloc(a, nm * sizeof(double)), *ws = pkh__alloc(a, nm * sizeof(double));
    int32_t *g = k > 0 ? pkh__alloc(a, nm * sizeof(int32_t)) : NULL;
    uint64_t *keys = pkh__alloc(a, nm * sizeof(uint64_t));
    int64_t *perm = pkh__alloc(a, nm * sizeof(int64_t));
    int64_t *off = pkh__calloc(a, nk + 1, sizeof(int64_t));
    pkh_status st =
        x && w && xs && ws && (k == 0 || g) && keys && perm && off ? PKH_OK : PKH_ENOMEM;
    for (int64_t i = 0, q = 0; i < c->n && st == PKH_OK; i++) {
        if (c->y[i] == c->y[i]) {
            x[q] = welfare_of(c, s, i);
            w[q] = c->w[i] * c->s[i];
            if (g != NULL) {
                g[q] = c->gid[i];
            }
            keys[q] = pkh__double_key(x[q]);
            q++;
        }
    }
    st = st == PKH_OK ? pkh__radix_argsort(keys, m, c->threads, a, perm) : st;
    for (int64_t q = 0; q < m && st == PKH_OK; q++) {
        xs[q] = x[perm[q]];
        ws[q] = w[perm[q]];
        if (g != NULL) {
            /* the group of sorted entry q, kept where the keys were (no longer needed) */
            ((int32_t *)keys)[q] = g[perm[q]];
        }
    }
    if (st == PKH_OK) {
        out[0] = pkh__gini_sorted(xs, ws, m);
    }
    if (st == PKH_OK && k > 0) {
        const int32_t *gs = (const int32_t *)keys;
        for (int64_t q = 0; q < m; q++) {
            off[gs[q] + 2] += gs[q] >= 0;
        }
        for (int64_t q = 0; q < k; q++) {
            off[q + 2] += off[q + 1];
        }
        /* off[1 + gg] is group gg's cursor while dealing, its start afterwards */
        for (int64_t q = 0; q < m; q++) {
            if (gs[q] >= 0) {
                const int64_t at = off[gs[q] + 1]++;
                x[at] = xs[q];
                w[at] = ws[q];
            }
        }
        gini_job j = {x, w, off, out};
        st = pkh__parallel_for(c->threads, k, gini_task, &j);
    }
    pkh__free(a, x, nm * sizeof(double));
    pkh__free(a, w, nm * sizeof(double));
    pkh__free(a, xs, nm * sizeof(double));
    pkh__free(a, ws, nm * sizeof(double));
    pkh__free(a, g, nm * sizeof(int32_t));
    pkh__free(a, keys, nm * sizeof(uint64_t));
    pkh__free(a, perm, nm * sizeof(int64_t));
    pkh__free(a, off, (nk + 1) * sizeof(int64_t));
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

/* ---- result rows ---- */

typedef pkh__row row;
typedef pkh__rows rows;

static pkh__ispec total(int v, double scale)
{
    return (pkh__ispec){PKH__I_TOTAL, v, 0, 0, scale};
}

static pkh__ispec ratio_of(int num, int den)
{
    return (pkh__ispec){PKH__I_RATIO, num, den, 0, 1};
}

static pkh_status push(rows *r, int64_t seg, int prog, const char *name, double est, int64_t n,
                       double pop, pkh__ispec spec)
{
    if (r->n == r->cap) {
        const int64_t cap = r->cap ? r->cap * 2 : 256;
        row *v = pkh__realloc(r->a, r->v, (size_t)r->cap * sizeof *v, (size_t)cap * sizeof *v);
        if (v == NULL) {
            return PKH_ENOMEM;
        }
        r->v = v;
        r->cap = cap;
    }
    row *x = &r->v[r->n++];
    x->seg = seg;
    x->prog = prog;
    snprintf(x->name, sizeof x->name, "%s", name);
    x->est = est;
    x->se = NAN;
    x->n = n;
    x->pop = pop;
    x->spec = spec;
    return PKH_OK;
}

static double ratio(double a, double b)
{
    return b != 0 ? a / b : NAN;
}

typedef struct seg_in {
    const pkh__ksum *t; /* this segment's sums */
    int64_t rows, rows_y;
    double gini_b, gini_a;
} seg_in;

static double val(const pkh__ksum *t, int slot)
{
    return pkh__ksum_value(&t[slot]);
}

static pkh_status component_rows(rows *r, const pkh__sim *s, int64_t seg, int prog,
                                 const seg_in *in, double pop)
{
    const pkh_program *p = s->p;
    const pkh__ksum *t = in->t;
    const int64_t n = in->rows;
    char name[PKH__MAX_NAME + 32];
    pkh_status st = PKH_OK;
    for (int64_t k = 0; k < p->n_comp && st == PKH_OK; k++) {
        snprintf(name, sizeof name, "budget:%s", p->comp[k].name);
        st = push(r, seg, prog, name, val(t, S_FIXED + (int)k) * p->comp[k].annual, n, pop,
                  total(PKH__V_MEM + (int)k, p->comp[k].annual));
    }
    for (int64_t f = 0; f < p->n_flat && st == PKH_OK; f++) {
        const int slot = S_FIXED + (int)(p->n_comp + f);
        snprintf(name, sizeof name, "budget:%s", p->flat[f].name);
        st = push(r, seg, prog, name, val(t, slot) * p->flat[f].amount, n, pop,
                  total(PKH__V_FLAT + (int)f, p->flat[f].amount));
    }
    for (int64_t sg = 0; sg < p->n_stage && st == PKH_OK; sg++) {
        pkh__ksum b = {0, 0};
        for (int64_t k = 0; k < p->n_comp; k++) {
            pkh__ksum_add(&b,
                          val(t, S_FIXED + (int)k) * (p->stage[sg].share * p->stage[sg].rate[k]));
        }
        for (int64_t f = 0; f < p->n_flat; f++) {
            const pkh__flat *fl = &p->flat[f];
            if (fl->in_stage[sg]) {
                pkh__ksum_add(
                    &b, val(t, S_FIXED + (int)(p->n_comp + f)) * (fl->amount / (double)fl->n_in));
            }
        }
        snprintf(name, sizeof name, "budget_stage:%lld", (long long)sg + 1);
        st =
            push(r, seg, prog, name, pkh__ksum_value(&b), n, pop, total(PKH__V_STAGE + (int)sg, 1));
    }
    return st;
}

static pkh_status money_rows(rows *r, const pkh__simctx *c, const pkh__sim *s, int64_t seg,
                             int prog, const seg_in *in)
{
    const pkh_program *p = s->p;
    const pkh__ksum *t = in->t;
    const double pop = val(t, S_POP);
    const int64_t n = in->rows;
    char name[PKH__MAX_NAME + 32];
    pkh_status st = push(r, seg, prog, "families", val(t, S_FAM), n, pop, total(PKH__V_FAM, 1));
    st = st == PKH_OK ? push(r, seg, prog, "persons", val(t, S_PERS), n, pop, total(PKH__V_PERS, 1))
                      : st;
    for (int64_t k = 0; k < p->n_comp && st == PKH_OK; k++) {
        snprintf(name, sizeof name, "members:%s", p->comp[k].name);
        st = push(r, seg, prog, name, val(t, S_FIXED + (int)k), n, pop,
                  total(PKH__V_MEM + (int)k, 1));
    }
    st = st == PKH_OK ? push(r, seg, prog, "budget", val(t, S_BUDGET), n, pop, total(PKH__V_BUD, 1))
                      : st;
    st = st == PKH_OK ? component_rows(r, s, seg, prog, in, pop) : st;
    st = st == PKH_OK
             ? push(r, seg, prog, "average_benefit", ratio(val(t, S_BUDGET), val(t, S_FAM)), n, pop,
                    ratio_of(PKH__V_BUD, PKH__V_FAM))
             : st;
    if (st == PKH_OK && c->y != NULL) {
        st = push(r, seg, prog, "benefit_share", ratio(val(t, S_BUDY), val(t, S_CONS)), in->rows_y,
                  val(t, S_POPY), ratio_of(PKH__V_BUDY, PKH__V_CONS));
    }
    return st;
}

static pkh_status fgt_rows(rows *r, int64_t seg, int prog, const seg_in *in)
{
    static const char *const names[] = {"fgt0", "fgt1", "fgt2"};
    const pkh__ksum *t = in->t;
    const double popy = val(t, S_POPY);
    const int64_t n = in->rows_y;
    pkh_status st = PKH_OK;
    for (int a = 0; a < 3 && st == PKH_OK; a++) {
        const double b = ratio(val(t, S_F0B + a), popy), af = ratio(val(t, S_F0A + a), popy);
        char name[32];
        snprintf(name, sizeof name, "%s_before", names[a]);
        st = push(r, seg, prog, name, b, n, popy, ratio_of(PKH__V_FB0 + a, PKH__V_POPY));
        snprintf(name, sizeof name, "%s_after", names[a]);
        st = st == PKH_OK
                 ? push(r, seg, prog, name, af, n, popy, ratio_of(PKH__V_FA0 + a, PKH__V_POPY))
                 : st;
        snprintf(name, sizeof name, "%s_change", names[a]);
        const pkh__ispec d = {PKH__I_RATIO_DIFF, PKH__V_FA0 + a, PKH__V_POPY, PKH__V_FB0 + a, 1};
        st = st == PKH_OK ? push(r, seg, prog, name, af - b, n, popy, d) : st;
    }
    return st;
}

static pkh_status poverty_rows(rows *r, const pkh__simctx *c, int64_t seg, int prog,
                               const seg_in *in)
{
    const pkh__ksum *t = in->t;
    const double popy = val(t, S_POPY);
    const int64_t n = in->rows_y;
    const bool line = c->line == c->line;
    pkh_status st = line ? fgt_rows(r, seg, prog, in) : PKH_OK;
    const pkh__ispec gb = {PKH__I_GINI, 0, 0, 0, 1}, ga = {PKH__I_GINI, 1, 0, 0, 1};
    const pkh__ispec gd = {PKH__I_GINI_DIFF, 0, 0, 0, 1};
    st = st == PKH_OK ? push(r, seg, prog, "gini_before", in->gini_b, n, popy, gb) : st;
    st = st == PKH_OK ? push(r, seg, prog, "gini_after", in->gini_a, n, popy, ga) : st;
    st =
        st == PKH_OK ? push(r, seg, prog, "gini_change", in->gini_a - in->gini_b, n, popy, gd) : st;
    if (st != PKH_OK || !line) {
        return st;
    }
    const double gapb = val(t, S_GAPB), gapa = val(t, S_GAPA), budy = val(t, S_BUDY);
    const struct {
        const char *name;
        double v;
        pkh__ispec spec;
    } more[] = {
        {"poor_before", val(t, S_F0B), total(PKH__V_POORB, 1)},
        {"poor_after", val(t, S_F0A), total(PKH__V_POORA, 1)},
        {"lifted", val(t, S_LIFT), total(PKH__V_LIFT, 1)},
        {"gap_before", gapb, total(PKH__V_GAPB, 1)},
        {"gap_after", gapa, total(PKH__V_GAPA, 1)},
        {"gap_reduction_per_unit", ratio(gapb - gapa, budy), ratio_of(PKH__V_GAPRED, PKH__V_BUDY)},
        {"budget_share_poor", ratio(val(t, S_BUDPOOR), budy),
         ratio_of(PKH__V_BUDPOOR, PKH__V_BUDY)},
        {"perfect_targeting_budget", gapb, total(PKH__V_GAPB, 1)},
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0] && st == PKH_OK; k++) {
        st = push(r, seg, prog, more[k].name, more[k].v, n, popy, more[k].spec);
    }
    return st;
}

/* One programme's rows for every segment. */
static pkh_status programme_rows(const pkh__simctx *c, const pkh__sim *s, int prog,
                                 const double *gini_b, rows *r)
{
    const int64_t nseg = 1 + c->k, nslots = S_FIXED + s->p->n_comp + s->p->n_flat;
    const pkh_allocator *a = c->a;
    pkh__ksum *tot = pkh__calloc(a, (size_t)(nseg * nslots), sizeof *tot);
    int64_t *nrows = pkh__calloc(a, (size_t)(nseg * 2), sizeof *nrows);
    double *gini_a = pkh__calloc(a, (size_t)nseg, sizeof *gini_a);
    pkh_status st = tot == NULL || nrows == NULL || gini_a == NULL ? pkh__enomem(c->err) : PKH_OK;
    st = st == PKH_OK ? aggregate(c, s, tot, nrows) : st;
    st = st == PKH_OK && c->y != NULL ? gini_segments(c, s, gini_a) : st;
    for (int64_t g = 0; g < nseg && st == PKH_OK; g++) {
        const seg_in in = {tot + g * nslots, nrows[g * 2], nrows[g * 2 + 1],
                           c->y != NULL ? gini_b[g] : NAN, gini_a[g]};
        st = money_rows(r, c, s, g, prog, &in);
        st = st == PKH_OK && c->y != NULL ? poverty_rows(r, c, g, prog, &in) : st;
    }
    pkh__free(a, tot, (size_t)(nseg * nslots) * sizeof *tot);
    pkh__free(a, nrows, (size_t)(nseg * 2) * sizeof *nrows);
    pkh__free(a, gini_a, (size_t)nseg * sizeof *gini_a);
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

/* Rows of the second programme minus the first, indicator by indicator (same name). Each
 * programme's rows come in segment order. */
static pkh_status difference_rows(rows *r, int64_t first_b)
{
    const int64_t n = r->n;
    pkh_status st = PKH_OK;
    int64_t j0 = first_b;
    for (int64_t i = 0; i < first_b && st == PKH_OK; i++) {
        const int64_t seg = r->v[i].seg;
        while (j0 < n && r->v[j0].seg < seg) {
            j0++;
        }
        for (int64_t j = j0; j < n && r->v[j].seg == seg; j++) {
            if (strcmp(r->v[j].name, r->v[i].name) == 0) {
                const row xa = r->v[i], yb = r->v[j];
                st = push(r, xa.seg, 2, xa.name, yb.est - xa.est, xa.n, xa.pop, xa.spec);
                break;
            }
        }
    }
    return st;
}

/* Stable counting sort by (segment, programme): first, second, difference. */
static pkh_status sort_rows(const pkh__simctx *c, rows *r)
{
    const int64_t n = r->n, nkey = (1 + c->k) * 3;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    row *tmp = pkh__alloc(c->a, nn * sizeof *tmp);
    int64_t *start = pkh__calloc(c->a, (size_t)nkey + 1, sizeof *start);
    if (tmp == NULL || start == NULL) {
        pkh__free(c->a, tmp, nn * sizeof *tmp);
        pkh__free(c->a, start, ((size_t)nkey + 1) * sizeof *start);
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < n; i++) {
        start[r->v[i].seg * 3 + r->v[i].prog + 1]++;
    }
    for (int64_t k = 0; k < nkey; k++) {
        start[k + 1] += start[k];
    }
    for (int64_t i = 0; i < n; i++) {
        tmp[start[r->v[i].seg * 3 + r->v[i].prog]++] = r->v[i];
    }
    memcpy(r->v, tmp, (size_t)n * sizeof *tmp);
    pkh__free(c->a, tmp, nn * sizeof *tmp);
    pkh__free(c->a, start, ((size_t)nkey + 1) * sizeof *start);
    return PKH_OK;
}

typedef struct cols {
    int64_t *idx;
    const char **names;
    double *est, *pop, *se, *lo, *hi;
    int64_t *cnt;
    uint8_t *none, *valid, *se_valid;
} cols;

static void cols_free(const pkh_allocator *a, cols *k, int64_t n)
{
    const size_t nn = (size_t)(n > 0 ? n : 1);
    pkh__free(a, k->idx, nn * sizeof(int64_t));
    pkh__free(a, k->names, nn * sizeof *k->names);
    pkh__free(a, k->est, nn * 8);
    pkh__free(a, k->pop, nn * 8);
    pkh__free(a, k->se, nn * 8);
    pkh__free(a, k->lo, nn * 8);
    pkh__free(a, k->hi, nn * 8);
    pkh__free(a, k->cnt, nn * 8);
    pkh__free(a, k->none, pkh__bitmap_bytes(n));
    pkh__free(a, k->valid, pkh__bitmap_bytes(n));
    pkh__free(a, k->se_valid, pkh__bitmap_bytes(n));
}

static pkh_status cols_fill(const pkh__simctx *c, const rows *r, cols *k)
{
    const int64_t n = r->n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    const pkh_allocator *a = c->a;
    k->idx = pkh__alloc(a, nn * sizeof(int64_t));
    k->names = pkh__alloc(a, nn * sizeof *k->names);
    k->est = pkh__alloc(a, nn * 8);
    k->pop = pkh__alloc(a, nn * 8);
    k->se = pkh__alloc(a, nn * 8);
    k->lo = pkh__alloc(a, nn * 8);
    k->hi = pkh__alloc(a, nn * 8);
    k->cnt = pkh__alloc(a, nn * 8);
    k->none = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
    k->valid = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
    k->se_valid = pkh__calloc(a, pkh__bitmap_bytes(n), 1);
    if (!k->idx || !k->names || !k->est || !k->pop || !k->se || !k->lo || !k->hi || !k->cnt ||
        !k->none || !k->valid || !k->se_valid) {
        return pkh__enomem(c->err);
    }
    const double level = c->o->level > 0 ? c->o->level : 0.95;
    const double t = c->o->design != NULL
                         ? pkh_t_quantile((1 + level) / 2, (double)pkh_design_df(c->o->design))
                         : NAN;
    for (int64_t i = 0; i < n; i++) {
        const row *x = &r->v[i];
        k->idx[i] = x->seg - 1;
        k->est[i] = x->est;
        if (x->est == x->est) {
            pkh__bit_set(k->valid, i);
        }
        k->se[i] = x->se;
        k->lo[i] = x->est - t * x->se;
        k->hi[i] = x->est + t * x->se;
        if (x->se == x->se && x->est == x->est) {
            pkh__bit_set(k->se_valid, i);
        }
        k->cnt[i] = x->n;
        k->pop[i] = x->pop;
    }
    return PKH_OK;
}

static pkh_status build_table(const pkh__simctx *c, const rows *r, pkh_table **out)
{
    const int64_t n = r->n;
    const pkh_allocator *a = c->a;
    pkh_table_builder *b = NULL;
    cols k;
    memset(&k, 0, sizeof k);
    pkh_status st = pkh_table_builder_new(c->ra, &b, c->err);
    st = st == PKH_OK ? cols_fill(c, r, &k) : st;
    const pkh_table *keys = c->groups != NULL ? pkh_groups_keys(c->groups) : NULL;
    for (int64_t j = 0; keys != NULL && j < keys->num_columns && st == PKH_OK; j++) {
        st = pkh__builder_add_gathered(b, keys->columns[j].name, &keys->columns[j], k.idx, n, a,
                                       c->err);
    }
    char second[PKH__MAX_NAME + 300];
    if (st == PKH_OK && c->nsim > 1) {
        /* the two programmes need two names, even when one is a changed copy of the other */
        const char *a0 = c->sim[0].p->name, *b0 = c->sim[1].p->name;
        snprintf(second, sizeof second, "%s%s", b0[0] ? b0 : "compare",
                 strcmp(a0, b0) == 0 && b0[0] ? " (compare)" : "");
        for (int64_t i = 0; i < n; i++) {
            k.names[i] = r->v[i].prog == 2   ? "difference"
                         : r->v[i].prog == 1 ? second
                         : a0[0]             ? a0
                                             : "program";
        }
        st = pkh_table_builder_add_strings(b, "program", k.names, n, c->err);
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        k.names[i] = r->v[i].name;
    }
    st = st == PKH_OK ? pkh_table_builder_add_strings(b, "indicator", k.names, n, c->err) : st;
    st =
        st == PKH_OK ? pkh_table_builder_add_float64(b, "estimate", k.est, k.valid, n, c->err) : st;
    st = st == PKH_OK ? pkh_table_builder_add_float64(b, "se", k.se, k.se_valid, n, c->err) : st;
    st =
        st == PKH_OK ? pkh_table_builder_add_float64(b, "ci_low", k.lo, k.se_valid, n, c->err) : st;
    st = st == PKH_OK ? pkh_table_builder_add_float64(b, "ci_high", k.hi, k.se_valid, n, c->err)
                      : st;
    st = st == PKH_OK ? pkh_table_builder_add_int64(b, "n", k.cnt, NULL, n, c->err) : st;
    st = st == PKH_OK ? pkh_table_builder_add_float64(b, "population", k.pop, NULL, n, c->err) : st;
    st = st == PKH_OK ? pkh_table_builder_finish(b, out, c->err) : st;
    pkh_table_builder_free(b);
    cols_free(a, &k, n);
    return st;
}

pkh_status pkh__sim_results(pkh__simctx *c, pkh_table **out)
{
    const int64_t nseg = 1 + c->k;
    rows r = {NULL, 0, 0, c->a};
    double *gini_b = pkh__calloc(c->a, (size_t)nseg, sizeof *gini_b);
    pkh_status st = gini_b == NULL ? pkh__enomem(c->err) : PKH_OK;
    st = st == PKH_OK && c->y != NULL ? gini_segments(c, NULL, gini_b) : st;
    int64_t first_b = 0;
    for (int i = 0; i < c->nsim && st == PKH_OK; i++) {
        first_b = r.n;
        st = programme_rows(c, &c->sim[i], i, gini_b, &r);
    }
    if (st == PKH_OK && c->nsim > 1) {
        st = difference_rows(&r, first_b);
        st = st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
    }
    st = st == PKH_OK ? sort_rows(c, &r) : st;
    st = st == PKH_OK && c->o->design != NULL ? pkh__sim_se(c, &r) : st;
    st = st == PKH_OK ? build_table(c, &r, out) : st;
    pkh__free(c->a, r.v, (size_t)r.cap * sizeof *r.v);
    pkh__free(c->a, gini_b, (size_t)nseg * sizeof *gini_b);
    return st;
}
