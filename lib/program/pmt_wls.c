/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Weighted least squares for the PMT: the cross-products X'WX and X'Wy of the shifted
 * regressors in one columnar pass (blocks of rows, dot products that vectorise, compensated
 * across blocks, chunks merged in a fixed order), then the centred normal equations solved by
 * GSL's Cholesky on the correlation matrix after our own rank check in list order (GSL's error
 * handler is never reached: the matrix handed to it is positive definite by construction).
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_linalg.h>

#include "internal/targeting.h"

#define BLK 128

void pkh__pmt_row(const pkh__pmt_rows *r, int64_t i, double *x)
{
    for (int j = 0; j < r->nnum; j++) {
        x[j] = r->num[j][i];
    }
    for (int j = r->nnum; j < r->k; j++) {
        x[j] = 0;
    }
    for (int c = 0; c < r->ncat; c++) {
        const int32_t d = r->dummy[c][r->cat[c][i]];
        if (d >= 0) {
            x[d] = 1;
        }
    }
}

pkh_status pkh__xp_init(pkh__xp *xp, int k, const pkh_allocator *a)
{
    xp->q = k + 2;
    xp->n = 0;
    xp->s = pkh__calloc(a, (size_t)(xp->q * xp->q), sizeof *xp->s);
    return xp->s != NULL ? PKH_OK : PKH_ENOMEM;
}

void pkh__xp_free(pkh__xp *xp, const pkh_allocator *a)
{
    if (xp->s != NULL) {
        pkh__free(a, xp->s, (size_t)(xp->q * xp->q) * sizeof *xp->s);
    }
    xp->s = NULL;
}

void pkh__xp_merge(pkh__xp *to, const pkh__xp *from)
{
    for (int j = 0; j < to->q * to->q; j++) {
        pkh__ksum_merge(&to->s[j], &from->s[j]);
    }
    to->n += from->n;
}

/* ---- accumulation ---- */

typedef struct acc_job {
    const pkh__pmt_rows *r;
    const int64_t *rows;
    int64_t m, chunk;
    pkh__xp *part;
    const pkh_allocator *a;
} acc_job;

/* Add the local sums of a block to S (compensated) and clear them. */
static void flush(pkh__xp *xp, double *local)
{
    const int q = xp->q;
    for (int j = 0; j < q; j++) {
        for (int l = j; l < q; l++) {
            pkh__ksum_add(&xp->s[j * q + l], local[j * q + l]);
            local[j * q + l] = 0;
        }
    }
}

/* One row's w v v' into the local upper triangle: AXPYs along rows, which vectorise. */
static inline void add_row(double *restrict local, const double *restrict v, double w, int q)
{
    for (int j = 0; j < q; j++) {
        const double a = w * v[j];
        double *restrict row = local + (size_t)j * q;
        for (int l = j; l < q; l++) {
            row[l] += a * v[l];
        }
    }
}

static pkh_status acc_task(void *ctx, int64_t c)
{
    const acc_job *j = ctx;
    const pkh__pmt_rows *r = j->r;
    pkh__xp *xp = &j->part[c];
    const int q = r->k + 2;
    const size_t bytes = ((size_t)q * q + (size_t)q + (size_t)r->k + 1) * sizeof(double);
    double *mem = pkh__calloc(j->a, bytes, 1);
    if (mem == NULL) {
        return PKH_ENOMEM;
    }
    double *local = mem, *v = local + (size_t)q * q, *x = v + q;
    const int64_t lo = c * j->chunk, hi = lo + j->chunk < j->m ? lo + j->chunk : j->m;
    int nb = 0;
    for (int64_t p = lo; p < hi; p++) {
        const int64_t i = j->rows != NULL ? j->rows[p] : p;
        pkh__pmt_row(r, i, x);
        v[0] = 1;
        for (int t = 0; t < r->k; t++) {
            v[t + 1] = x[t] - (r->shift ? r->shift[t] : 0);
        }
        v[r->k + 1] = r->y[i] - (r->shift ? r->shift[r->k] : 0);
        add_row(local, v, r->w[i], q);
        xp->n += r->w[i] > 0;
        if (++nb == BLK || p + 1 == hi) { /* plain sums over a block, compensated across */
            flush(xp, local);
            nb = 0;
        }
    }
    pkh__free(j->a, mem, bytes);
    return PKH_OK;
}

pkh_status pkh__xp_accumulate(const pkh__pmt_rows *r, const int64_t *rows, int64_t m, int threads,
                              const pkh_allocator *a, pkh__xp *out)
{
    /* chunks depend only on m, so the sums are the same on any number of threads */
    int64_t nchunks = (m + 16383) / 16384;
    nchunks = nchunks < 1 ? 1 : nchunks > 64 ? 64 : nchunks;
    acc_job j = {r, rows, m, (m + nchunks - 1) / nchunks, NULL, a};
    j.part = pkh__calloc(a, (size_t)nchunks, sizeof *j.part);
    pkh_status st = j.part == NULL ? PKH_ENOMEM : PKH_OK;
    for (int64_t c = 0; c < nchunks && st == PKH_OK; c++) {
        st = pkh__xp_init(&j.part[c], r->k, a);
    }
    if (st == PKH_OK && m > 0) {
        st = pkh__parallel_for(threads, nchunks, acc_task, &j);
    }
    for (int64_t c = 0; c < nchunks && st == PKH_OK; c++) {
        pkh__xp_merge(out, &j.part[c]);
    }
    for (int64_t c = 0; j.part != NULL && c < nchunks; c++) {
        pkh__xp_free(&j.part[c], a);
    }
    pkh__free(a, j.part, (size_t)nchunks * sizeof *j.part);
    return st;
}

/* ---- solving ---- */

void pkh__wls_free(const pkh_allocator *a, pkh__wls *m)
{
    const size_t k = (size_t)(m->k > 0 ? m->k : 1);
    pkh__free(a, m->mean, k * 8);
    pkh__free(a, m->beta, (k + 1) * 8);
    pkh__free(a, m->minv, k * k * 8);
    pkh__free(a, m->dropped, k);
    memset(m, 0, sizeof *m);
}

static double sv(const pkh__xp *xp, int i, int j)
{
    return i <= j ? pkh__ksum_value(&xp->s[i * xp->q + j]) : pkh__ksum_value(&xp->s[j * xp->q + i]);
}

/*
 * Cholesky of the correlation matrix C (k x k, row-major) in list order, leaving out columns
 * that are constant (flagged in `dropped` already) or whose pivot falls below 1e-10. Returns
 * the first such index when `drop` is 0 (-1 if none), marking them otherwise.
 */
static int rank_check(const double *C, int k, int drop, uint8_t *dropped, double *L)
{
    for (int j = 0; j < k; j++) {
        if (dropped[j]) {
            if (!drop) {
                return j;
            }
            continue;
        }
        for (int i = 0; i < j; i++) {
            if (dropped[i]) {
                continue;
            }
            double s = C[j * k + i];
            for (int t = 0; t < i; t++) {
                s -= dropped[t] ? 0 : L[j * k + t] * L[i * k + t];
            }
            L[j * k + i] = s / L[i * k + i];
        }
        double piv = C[j * k + j];
        for (int t = 0; t < j; t++) {
            piv -= dropped[t] ? 0 : L[j * k + t] * L[j * k + t];
        }
        if (!(piv >= 1e-10)) {
            if (!drop) {
                return j;
            }
            dropped[j] = 1;
            continue;
        }
        L[j * k + j] = sqrt(piv);
    }
    return -1;
}

/* Solve C g = b on the kept columns with GSL and fill minv = D^-1 C^-1 D^-1. GSL works on
 * views of our own buffers: its allocators would call the aborting handler on failure. */
static pkh_status gsl_solve(const double *C, const double *b, const double *D, pkh__wls *m,
                            double *g, const pkh_allocator *al)
{
    const int k = m->k;
    int kk = 0;
    for (int j = 0; j < k; j++) {
        g[j] = 0;
        kk += !m->dropped[j];
    }
    if (kk == 0) {
        return PKH_OK;
    }
    const size_t bytes =
        ((size_t)kk * kk + 2 * (size_t)kk) * sizeof(double) + (size_t)kk * sizeof(int);
    double *mem = pkh__alloc(al, bytes);
    if (mem == NULL) {
        return PKH_ENOMEM;
    }
    double *A = mem, *rhs = A + (size_t)kk * kk, *sol = rhs + kk;
    int *idx = (int *)(sol + kk);
    for (int j = 0, t = 0; j < k; j++) {
        if (!m->dropped[j]) {
            idx[t++] = j;
        }
    }
    for (int a = 0; a < kk; a++) {
        for (int c = 0; c < kk; c++) {
            A[a * kk + c] = C[idx[a] * k + idx[c]];
        }
        rhs[a] = b[idx[a]];
    }
    gsl_matrix_view Av = gsl_matrix_view_array(A, (size_t)kk, (size_t)kk);
    gsl_vector_view bv = gsl_vector_view_array(rhs, (size_t)kk);
    gsl_vector_view xv = gsl_vector_view_array(sol, (size_t)kk);
    /* positive definite: every pivot of our own factorisation was >= 1e-10; the sizes match */
    gsl_linalg_cholesky_decomp1(&Av.matrix);
    gsl_linalg_cholesky_solve(&Av.matrix, &bv.vector, &xv.vector);
    gsl_linalg_cholesky_invert(&Av.matrix);
    for (int a = 0; a < kk; a++) {
        g[idx[a]] = sol[a] / D[idx[a]];
        for (int c = 0; c < kk; c++) {
            m->minv[idx[a] * k + idx[c]] = A[a * kk + c] / (D[idx[a]] * D[idx[c]]);
        }
    }
    pkh__free(al, mem, bytes);
    return PKH_OK;
}

static pkh_status wls_alloc(pkh__wls *m, int k, const pkh_allocator *a)
{
    memset(m, 0, sizeof *m);
    m->k = k;
    const size_t kk = (size_t)(k > 0 ? k : 1);
    m->mean = pkh__calloc(a, kk, 8);
    m->beta = pkh__calloc(a, kk + 1, 8);
    m->minv = pkh__calloc(a, kk * kk, 8);
    m->dropped = pkh__calloc(a, kk, 1);
    if (m->mean == NULL || m->beta == NULL || m->minv == NULL || m->dropped == NULL) {
        pkh__wls_free(a, m);
        return PKH_ENOMEM;
    }
    return PKH_OK;
}

pkh_status pkh__wls_solve(const pkh__xp *xp, const double *shift, int drop, const pkh_allocator *a,
                          pkh__wls *out, int *bad)
{
    const int k = xp->q - 2;
    const double W = sv(xp, 0, 0);
    if (!(W > 0)) {
        return PKH_EEMPTY;
    }
    pkh__wls m;
    if (wls_alloc(&m, k, a) != PKH_OK) {
        return PKH_ENOMEM;
    }
    const size_t kk = (size_t)(k > 0 ? k : 1);
    double *work = pkh__calloc(a, 2 * kk * kk + 4 * kk + 2, 8);
    if (work == NULL) {
        pkh__wls_free(a, &m);
        return PKH_ENOMEM;
    }
    double *C = work, *L = C + kk * kk, *d = L + kk * kk, *D = d + kk + 1, *b = D + kk, *g = b + kk;
    for (int j = 0; j <= k; j++) {
        d[j] = sv(xp, 0, j + 1) / W; /* means of the shifted values */
    }
    for (int j = 0; j < k; j++) {
        const double mjj = sv(xp, j + 1, j + 1) - W * d[j] * d[j];
        const double ref = sv(xp, j + 1, j + 1) + W * (shift ? shift[j] * shift[j] : 0);
        m.dropped[j] = !(mjj > 1e-12 * ref); /* (numerically) constant */
        D[j] = m.dropped[j] ? 1 : sqrt(mjj);
        b[j] = (sv(xp, j + 1, k + 1) - W * d[j] * d[k]) / D[j];
    }
    for (int j = 0; j < k; j++) {
        for (int l = 0; l < k; l++) {
            C[j * k + l] = (sv(xp, j + 1, l + 1) - W * d[j] * d[l]) / (D[j] * D[l]);
        }
    }
    const int first = rank_check(C, k, drop, m.dropped, L);
    pkh_status st = first >= 0 ? PKH_ENUMERIC : gsl_solve(C, b, D, &m, g, a);
    if (st == PKH_OK) {
        m.W = W;
        m.n = xp->n;
        m.ybar = (shift ? shift[k] : 0) + d[k];
        m.syy = sv(xp, k + 1, k + 1) - W * d[k] * d[k];
        m.beta[0] = m.ybar;
        for (int j = 0; j < k; j++) {
            m.mean[j] = (shift ? shift[j] : 0) + d[j];
            m.beta[j + 1] = g[j];
            m.beta[0] -= m.mean[j] * g[j];
            m.kept += !m.dropped[j];
        }
        *out = m;
    } else {
        *bad = first;
        pkh__wls_free(a, &m);
    }
    pkh__free(a, work, (2 * kk * kk + 4 * kk + 2) * 8);
    return st;
}

double pkh__wls_cov(const pkh__wls *m, int i, int j)
{
    const int k = m->k;
    if (i > 0 && j > 0) {
        return m->minv[(i - 1) * k + (j - 1)];
    }
    if (i == 0 && j == 0) {
        double s = 1 / m->W;
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                s += m->mean[a] * m->minv[a * k + b] * m->mean[b];
            }
        }
        return s;
    }
    const int l = (i > 0 ? i : j) - 1;
    double s = 0;
    for (int a = 0; a < k; a++) {
        s -= m->minv[l * k + a] * m->mean[a];
    }
    return s;
}

void pkh__wls_apply_inverse(const pkh__wls *m, const double *x, double *u)
{
    const int k = m->k;
    u[0] = 1 / m->W;
    for (int a = 0; a < k; a++) {
        double s = 0;
        for (int b = 0; b < k; b++) {
            s += m->minv[a * k + b] * (x[b] - m->mean[b]);
        }
        u[a + 1] = s;
        u[0] -= m->mean[a] * s;
    }
}

double pkh__wls_predict(const pkh__wls *m, const double *x)
{
    double s = m->beta[0];
    for (int j = 0; j < m->k; j++) {
        s += m->beta[j + 1] * x[j];
    }
    return s;
}
