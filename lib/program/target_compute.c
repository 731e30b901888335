/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh_targeting_compute: usable rows -> welfare and score cut-offs -> one class per row
 * (benchmark group, receives, welfare quintile/decile) -> weighted totals per (domain, class)
 * in one parallel pass -> every metric as a ratio of class totals -> results.
 *
 * Every metric is offset + s1 R1 (+ s2 R2), R a ratio of class-masked weighted totals, so its
 * influence values are w (a - R b) / sum w b per term (Binder's linearisation), and the AUC
 * has its own (target_auc.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/targeting.h"

/* ---- options ---- */

pkh_status pkh_benchmark_parse(const char *text, pkh_benchmark *out, pkh_error *err)
{
    static const char forms[] =
        "give line:NUMBER (a poverty line), line:COLUMN (a column of "
        "lines) or share:F (the bottom F of persons by welfare, "
        "0 < F < 1)";
    if (text == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "no benchmark: %s", forms);
    }
    pkh_benchmark b = {PKH_BENCHMARK_NONE, 0, NULL};
    char *end = NULL;
    if (strncmp(text, "line:", 5) == 0 && text[5] != '\0') {
        const double v = strtod(text + 5, &end);
        if (*end == '\0' && end != text + 5) {
            if (!(v > 0) || !isfinite(v)) {
                return pkh__errorf(err, PKH_EINVAL,
                                   "the benchmark line must be a positive "
                                   "number (got \"%s\")",
                                   text + 5);
            }
            b.kind = PKH_BENCHMARK_LINE;
            b.value = v;
        } else {
            b.kind = PKH_BENCHMARK_LINE_COLUMN;
            b.column = text + 5;
        }
    } else if (strncmp(text, "share:", 6) == 0) {
        const double v = strtod(text + 6, &end);
        if (end == text + 6 || *end != '\0' || !(v > 0 && v < 1)) {
            return pkh__errorf(err, PKH_EINVAL,
                               "share:F needs 0 < F < 1, e.g. share:0.2 for "
                               "the poorest 20%% of persons (got \"%s\")",
                               text);
        }
        b.kind = PKH_BENCHMARK_SHARE;
        b.value = v;
    } else {
        return pkh__errorf(err, PKH_EINVAL, "unknown benchmark \"%s\": %s", text, forms);
    }
    *out = b;
    return PKH_OK;
}

static pkh_status check_options(const pkh_targeting_options *o, pkh_error *err)
{
    if (o->income == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "which column is the welfare? (--income)");
    }
    if (o->benchmark.kind == PKH_BENCHMARK_NONE) {
        return pkh__errorf(err, PKH_EINVAL,
                           "who should receive? give a benchmark: line:NUMBER, "
                           "line:COLUMN or share:F");
    }
    if ((o->recipient == NULL) == (o->score == NULL)) {
        return pkh__errorf(err, PKH_EINVAL,
                           "who receives? give either a recipient column or "
                           "a score with a quota or a cut-off (not both)");
    }
    const bool q = !isnan(o->quota), c = !isnan(o->cutoff);
    if (o->score != NULL && q == c) {
        return pkh__errorf(err, PKH_EINVAL,
                           "a score needs exactly one of a quota (a share of "
                           "persons) and a cut-off (eligible: score < cut-off)");
    }
    if (o->recipient != NULL && (q || c)) {
        return pkh__errorf(err, PKH_EINVAL,
                           "a quota or cut-off goes with a score, not with a "
                           "recipient column");
    }
    if (q && !(o->quota > 0 && o->quota < 1)) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the quota is a share of persons: it must be "
                           "between 0 and 1, exclusive (got %g)",
                           o->quota);
    }
    if (c && !isfinite(o->cutoff)) {
        return pkh__errorf(err, PKH_EINVAL, "the cut-off must be a finite number");
    }
    if (o->groups != 0 && o->groups != 5 && o->groups != 10) {
        return pkh__errorf(err, PKH_EINVAL, "groups must be 5 (quintiles) or 10 (deciles)");
    }
    if (!(o->level > 0 && o->level < 1) && o->level != 0) {
        return pkh__errorf(err, PKH_EINVAL, "the confidence level must be in (0, 1)");
    }
    return PKH_OK;
}

static pkh_status check_design(const pkh_table *t, const pkh_design *d, pkh_error *err)
{
    if (d != NULL && pkh_design_rows(d) != t->num_rows) {
        return pkh__errorf(err, PKH_EINVAL,
                           "the design was made on %lld rows, the data has "
                           "%lld",
                           (long long)pkh_design_rows(d), (long long)t->num_rows);
    }
    return PKH_OK;
}

/* ---- the usable rows ---- */

typedef struct cols {
    const pkh_column *x, *w, *sz, *line, *rec, *score, *ben;
} cols;

static pkh_status resolve(pkh__tg *t, cols *c)
{
    const pkh_targeting_options *o = t->o;
    memset(c, 0, sizeof *c);
    const char *names[] = {
        o->income,    o->weight,
        o->size,      o->benchmark.kind == PKH_BENCHMARK_LINE_COLUMN ? o->benchmark.column : NULL,
        o->recipient, o->score,
        o->benefit};
    const char *roles[] = {"welfare", "weight", "size", "line", "recipient", "score", "benefit"};
    const pkh_column **slots[] = {&c->x, &c->w, &c->sz, &c->line, &c->rec, &c->score, &c->ben};
    for (int i = 0; i < 7; i++) {
        const pkh_status st = pkh__tg_numeric(t->t, names[i], roles[i], slots[i], t->err);
        if (st != PKH_OK) {
            return st;
        }
    }
    return PKH_OK;
}

static pkh_status row_error(pkh__tg *t, const char *what, const char *col, int64_t i,
                            const char *hint)
{
    return pkh__errorf(t->err, PKH_EINVAL, "%s in column \"%s\" at data row %lld%s", what, col,
                       (long long)i + 1, hint);
}

/* A non-negative finite number from a column that must have one in every used row. */
static pkh_status need_value(pkh__tg *t, const pkh_column *c, int64_t i, bool nonneg,
                             const char *what, double *out)
{
    if (!pkh__tg_present(c, i)) {
        char m[80];
        snprintf(m, sizeof m, "missing %s", what);
        return row_error(t, m, c->name, i,
                         ": every row used needs one (leave the row out "
                         "with a filter, or fill it)");
    }
    const double v = pkh__tg_num(c, i);
    if ((nonneg && !(v >= 0)) || !isfinite(v)) {
        char m[80];
        snprintf(m, sizeof m, "%s %s", nonneg ? "negative or invalid" : "invalid", what);
        return row_error(t, m, c->name, i, "");
    }
    *out = v;
    return PKH_OK;
}

static pkh_status alloc_rows(pkh__tg *t, const cols *c)
{
    const size_t nn = (size_t)(t->t->num_rows > 0 ? t->t->num_rows : 1);
    t->row = pkh__alloc(t->a, nn * sizeof *t->row);
    t->x = pkh__alloc(t->a, nn * sizeof(double));
    t->w = pkh__alloc(t->a, nn * sizeof(double));
    t->p = pkh__alloc(t->a, nn * sizeof(double));
    t->g = pkh__alloc(t->a, nn * sizeof *t->g);
    t->cls = pkh__alloc(t->a, nn);
    t->b = c->ben != NULL ? pkh__alloc(t->a, nn * sizeof(double)) : NULL;
    t->s = c->score != NULL ? pkh__alloc(t->a, nn * sizeof(double)) : NULL;
    t->zl = c->line != NULL ? pkh__alloc(t->a, nn * sizeof(double)) : NULL;
    if (t->row == NULL || t->x == NULL || t->w == NULL || t->p == NULL || t->g == NULL ||
        t->cls == NULL || (c->ben != NULL && t->b == NULL) || (c->score != NULL && t->s == NULL) ||
        (c->line != NULL && t->zl == NULL)) {
        return pkh__enomem(t->err);
    }
    return PKH_OK;
}

/* Everything but the welfare of one used row i (table row r) into slot m. */
static pkh_status gather_row(pkh__tg *t, const cols *c, int64_t r, int64_t m)
{
    double w = 1, sz = 1, v;
    pkh_status st = PKH_OK;
    if (c->w != NULL) {
        st = need_value(t, c->w, r, true, "weight", &w);
    }
    if (st == PKH_OK && c->sz != NULL) {
        st = need_value(t, c->sz, r, true, "household size", &sz);
    }
    uint8_t rec = 0;
    if (st == PKH_OK && c->rec != NULL &&
        (st = need_value(t, c->rec, r, false,
                         "recipient "
                         "flag",
                         &v)) == PKH_OK) {
        rec = v != 0;
    }
    if (st == PKH_OK && c->score != NULL) {
        st = need_value(t, c->score, r, false, "score", &t->s[m]);
    }
    if (st == PKH_OK && c->ben != NULL) {
        st = need_value(t, c->ben, r, true, "benefit", &t->b[m]);
    }
    if (st == PKH_OK && c->line != NULL) {
        st = need_value(t, c->line, r, false, "poverty line", &t->zl[m]);
        if (st == PKH_OK && !(t->zl[m] > 0)) {
            st = row_error(t, "non-positive poverty line", c->line->name, r, "");
        }
    }
    t->w[m] = w;
    t->p[m] = w * sz;
    t->cls[m] = (uint8_t)(rec << 1);
    t->row[m] = r;
    return st;
}

static pkh_status gather(pkh__tg *t)
{
    cols c;
    pkh_status st = resolve(t, &c);
    st = st == PKH_OK ? alloc_rows(t, &c) : st;
    const int32_t *gid = t->groups != NULL ? pkh_groups_ids(t->groups) : NULL;
    const uint8_t *filter = t->o->filter;
    int64_t m = 0;
    for (int64_t r = 0; r < t->t->num_rows && st == PKH_OK; r++) {
        if (filter != NULL && !filter[r]) {
            t->info.filtered_out++;
        } else if (!pkh__tg_present(c.x, r)) {
            t->info.missing_income++;
        } else if (gid != NULL && gid[r] < 0) {
            t->info.missing_key++;
        } else {
            t->x[m] = pkh__tg_num(c.x, r);
            t->g[m] = gid != NULL ? gid[r] : 0;
            st = gather_row(t, &c, r, m);
            m++;
        }
    }
    t->n = m;
    t->info.used = m;
    if (st == PKH_OK && m == 0) {
        st = pkh__errorf(t->err, PKH_EEMPTY,
                         "no usable rows: every row is filtered out or has "
                         "a missing welfare");
    }
    return st;
}

/* Rows that can be used, for grouping: inside the filter with a welfare value. */
static pkh_status usable_mask(pkh__tg *t, uint8_t **mask, size_t *bytes)
{
    const pkh_column *x = NULL;
    pkh_status st = pkh__tg_numeric(t->t, t->o->income, "welfare", &x, t->err);
    if (st != PKH_OK) {
        return st;
    }
    *bytes = (size_t)(t->t->num_rows > 0 ? t->t->num_rows : 1);
    *mask = pkh__alloc(t->a, *bytes);
    if (*mask == NULL) {
        return pkh__enomem(t->err);
    }
    for (int64_t r = 0; r < t->t->num_rows; r++) {
        (*mask)[r] = (t->o->filter == NULL || t->o->filter[r]) && pkh__tg_present(x, r);
    }
    return PKH_OK;
}

/* ---- cut-offs and classes ---- */

static pkh_status classify(pkh__tg *t)
{
    const pkh_targeting_options *o = t->o;
    const size_t nn = (size_t)t->n;
    int64_t *perm = pkh__alloc(t->a, nn * sizeof *perm);
    if (perm == NULL) {
        return pkh__enomem(t->err);
    }
    pkh_status st = pkh__tg_argsort(t->x, t->n, o->threads, t->a, perm, t->err);
    double p[10], q[10];
    int np = 0;
    for (int j = 1; j < t->G; j++) {
        p[np++] = (double)j / t->G;
    }
    if (o->benchmark.kind == PKH_BENCHMARK_SHARE) {
        p[np++] = o->benchmark.value;
    }
    if (st == PKH_OK) {
        pkh__tg_quantiles(t->x, t->p, perm, t->n, p, np, o->quantile_rule, q);
        for (int j = 0; j < t->G - 1; j++) {
            t->info.bounds[j] = q[j];
        }
        t->info.line = o->benchmark.kind == PKH_BENCHMARK_SHARE  ? q[np - 1]
                       : o->benchmark.kind == PKH_BENCHMARK_LINE ? o->benchmark.value
                                                                 : NAN;
    }
    if (st == PKH_OK && t->s != NULL) {
        st = pkh__tg_argsort(t->s, t->n, o->threads, t->a, perm, t->err);
        if (st == PKH_OK) {
            t->order_all = perm;
            perm = NULL;
            double qp[11];
            for (int j = 0; j < 10; j++) {
                qp[j] = 0.05 * (j + 1);
            }
            qp[10] = isnan(o->quota) ? 0.5 : o->quota;
            double qv[11];
            pkh__tg_quantiles(t->s, t->p, t->order_all, t->n, qp, 11, o->quantile_rule, qv);
            memcpy(t->quota_cut, qv, sizeof t->quota_cut);
            t->info.cutoff = isnan(o->quota) ? o->cutoff : qv[10];
        }
    }
    pkh__free(t->a, perm, nn * sizeof *perm);
    if (st != PKH_OK) {
        return st;
    }
    const double line = t->info.line, cut = t->info.cutoff;
    for (int64_t i = 0; i < t->n; i++) {
        const double x = t->x[i];
        int qi = 0;
        for (int j = 0; j < t->G - 1; j++) {
            qi += x >= t->info.bounds[j];
        }
        const bool poor = x < (t->zl != NULL ? t->zl[i] : line);
        const uint8_t rec = t->s != NULL ? (uint8_t)(t->s[i] < cut) : TG_R(t->cls[i]);
        t->cls[i] = (uint8_t)(poor | rec << 1 | qi << 2);
    }
    return PKH_OK;
}

/* ---- totals per (segment, class), in fixed chunks merged in order ---- */

typedef struct acc_job {
    pkh__tg *t;
    int64_t nchunks, chunk;
    tg_cell *part; /* nchunks x nseg x TG_NCLASS */
} acc_job;

static pkh_status acc_task(void *ctx, int64_t c)
{
    acc_job *j = ctx;
    const pkh__tg *t = j->t;
    tg_cell *cells = j->part + c * t->nseg * TG_NCLASS;
    const int64_t lo = c * j->chunk, hi = lo + j->chunk < t->n ? lo + j->chunk : t->n;
    for (int64_t i = lo; i < hi; i++) {
        const uint8_t k = t->cls[i];
        const double ben = t->b != NULL ? t->w[i] * t->b[i] : t->p[i];
        const double b = TG_R(k) ? ben : 0;
        for (int s = 0; s < 2; s++) {
            if (s == 1 && t->k == 0) {
                break;
            }
            tg_cell *cell = &cells[(s == 0 ? 0 : 1 + t->g[i]) * TG_NCLASS + k];
            pkh__ksum_add(&cell->pers, t->p[i]);
            pkh__ksum_add(&cell->fam, t->w[i]);
            pkh__ksum_add(&cell->ben, b);
            cell->n++;
        }
    }
    return PKH_OK;
}

static pkh_status accumulate(pkh__tg *t)
{
    const int64_t ncell = t->nseg * TG_NCLASS;
    int64_t nchunks = (t->n + 4095) / 4096;
    nchunks = nchunks < 16 ? nchunks : 16; /* a function of n only: same sums on any threads */
    acc_job j = {t, nchunks, (t->n + nchunks - 1) / nchunks, NULL};
    j.part = pkh__calloc(t->a, (size_t)(nchunks * ncell), sizeof *j.part);
    t->cells = pkh__calloc(t->a, (size_t)ncell, sizeof *t->cells);
    if (j.part == NULL || t->cells == NULL) {
        pkh__free(t->a, j.part, (size_t)(nchunks * ncell) * sizeof *j.part);
        return pkh__enomem(t->err);
    }
    pkh_status st = pkh__parallel_for(t->o->threads, nchunks, acc_task, &j);
    for (int64_t c = 0; c < nchunks && st == PKH_OK; c++) {
        for (int64_t e = 0; e < ncell; e++) {
            const tg_cell *from = &j.part[c * ncell + e];
            pkh__ksum_merge(&t->cells[e].pers, &from->pers);
            pkh__ksum_merge(&t->cells[e].fam, &from->fam);
            pkh__ksum_merge(&t->cells[e].ben, &from->ben);
            t->cells[e].n += from->n;
        }
    }
    pkh__free(t->a, j.part, (size_t)(nchunks * ncell) * sizeof *j.part);
    return st;
}

/* ---- metrics ---- */

/* Classes with the benchmark flag b, the receipt flag r (-1: either) and group in [lo, hi). */
static uint64_t mask_of(int G, int b, int r, int lo, int hi)
{
    uint64_t m = 0;
    for (int c = 0; c < 4 * G; c++) {
        if ((b < 0 || TG_B(c) == b) && (r < 0 || TG_R(c) == r) && TG_Q(c) >= lo && TG_Q(c) < hi) {
            m |= (uint64_t)1 << c;
        }
    }
    return m;
}

static tg_metric ratio_metric(const char *name, double offset, double s1, tg_ratio r1, double s2,
                              tg_ratio r2)
{
    tg_metric m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.offset = offset;
    m.s1 = s1;
    m.r1 = r1;
    m.s2 = s2;
    m.r2 = r2;
    return m;
}

static pkh_status make_metrics(pkh__tg *t)
{
    const int G = t->G;
    const char sfx = G == 5 ? 'q' : 'd';
    const uint64_t all = mask_of(G, -1, -1, 0, G), none = 0;
    const tg_ratio cov_poor = {mask_of(G, 1, 1, 0, G), mask_of(G, 1, -1, 0, G), TG_PERS};
    const tg_ratio incl = {mask_of(G, 0, 1, 0, G), mask_of(G, 0, -1, 0, G), TG_PERS};
    const tg_ratio leak = {mask_of(G, 0, 1, 0, G), mask_of(G, -1, 1, 0, G), TG_PERS};
    const tg_ratio zero = {none, none, TG_PERS};
    t->metrics = pkh__calloc(t->a, 64, sizeof *t->metrics);
    if (t->metrics == NULL) {
        return pkh__enomem(t->err);
    }
    tg_metric *m = t->metrics;
    int n = 0;
    m[n++] = ratio_metric("coverage_poor", 0, 1, cov_poor, 0, zero);
    m[n++] = ratio_metric("exclusion_error", 1, -1, cov_poor, 0, zero);
    m[n++] = ratio_metric("leakage", 0, 1, leak, 0, zero);
    m[n++] = ratio_metric("inclusion_error_nonpoor", 0, 1, incl, 0, zero);
    m[n++] = ratio_metric("targeting_differential", 0, 1, cov_poor, -1, incl);
    m[n++] =
        ratio_metric("coverage", 0, 1, (tg_ratio){mask_of(G, -1, 1, 0, G), all, TG_PERS}, 0, zero);
    m[n++] =
        ratio_metric("cgh", 0, 1 / 0.4,
                     (tg_ratio){mask_of(G, -1, -1, 0, (int)(0.4 * G + 0.5)), all, TG_BEN}, 0, zero);
    char name[32];
    for (int q = 0; q < G; q++) {
        snprintf(name, sizeof name, "coverage_%c%d", sfx, q + 1);
        m[n++] = ratio_metric(
            name, 0, 1,
            (tg_ratio){mask_of(G, -1, 1, q, q + 1), mask_of(G, -1, -1, q, q + 1), TG_PERS}, 0,
            zero);
    }
    for (int q = 0; q < G; q++) {
        snprintf(name, sizeof name, "benefit_share_%c%d", sfx, q + 1);
        m[n++] = ratio_metric(name, 0, 1, (tg_ratio){mask_of(G, -1, -1, q, q + 1), all, TG_BEN}, 0,
                              zero);
    }
    const uint64_t under = mask_of(G, 1, 0, 0, G), leaked = mask_of(G, 0, 1, 0, G);
    m[n++] = ratio_metric("undercoverage_persons", 0, 1, (tg_ratio){under, none, TG_PERS}, 0, zero);
    m[n++] = ratio_metric("undercoverage_families", 0, 1, (tg_ratio){under, none, TG_FAM}, 0, zero);
    m[n++] = ratio_metric("leakage_persons", 0, 1, (tg_ratio){leaked, none, TG_PERS}, 0, zero);
    m[n++] = ratio_metric("leakage_families", 0, 1, (tg_ratio){leaked, none, TG_FAM}, 0, zero);
    if (t->s != NULL) {
        m[n] = ratio_metric("auc", 0, 1, zero, 0, zero);
        m[n++].auc = true;
        t->auc = pkh__calloc(t->a, (size_t)t->nseg, sizeof *t->auc);
        t->auc_done = pkh__calloc(t->a, (size_t)t->nseg, 1);
        if (t->auc == NULL || t->auc_done == NULL) {
            return pkh__enomem(t->err);
        }
    }
    t->nmetrics = n;
    return PKH_OK;
}

static double cell_sum(const pkh__tg *t, int64_t seg, uint64_t mask, tg_qty q)
{
    pkh__ksum s = {0, 0};
    for (int c = 0; c < TG_NCLASS; c++) {
        if (mask >> c & 1) {
            const tg_cell *cell = &t->cells[seg * TG_NCLASS + c];
            pkh__ksum_merge(&s, q == TG_PERS ? &cell->pers : q == TG_FAM ? &cell->fam : &cell->ben);
        }
    }
    return pkh__ksum_value(&s);
}

/* A ratio's numerator total, denominator total (1 for a total) and value. */
void pkh__tg_ratio_parts(const pkh__tg *t, int64_t seg, tg_ratio r, double *num, double *den)
{
    *num = cell_sum(t, seg, r.num, r.qty);
    *den = r.den != 0 ? cell_sum(t, seg, r.den, r.qty) : 1;
}

double pkh__tg_metric_value(pkh__tg *t, int64_t seg, const tg_metric *m, tg_auc *auc)
{
    if (m->auc) {
        *auc = pkh__tg_seg_auc(t, seg);
        return auc->auc;
    }
    double a, b, v = m->offset;
    pkh__tg_ratio_parts(t, seg, m->r1, &a, &b);
    v += m->s1 * (a / b);
    if (m->s2 != 0) {
        pkh__tg_ratio_parts(t, seg, m->r2, &a, &b);
        v += m->s2 * (a / b);
    }
    return v;
}

/* ---- results ---- */

typedef struct out_rows {
    int64_t n;
    int64_t *seg;
    const char **name;
    double *est, *se, *lo, *hi, *pop;
    int64_t *cnt;
} out_rows;

static void out_free(const pkh_allocator *a, out_rows *o, int64_t cap)
{
    const size_t c = (size_t)(cap > 0 ? cap : 1);
    pkh__free(a, o->seg, c * 8);
    pkh__free(a, o->name, c * sizeof *o->name);
    pkh__free(a, o->est, c * 8);
    pkh__free(a, o->se, c * 8);
    pkh__free(a, o->lo, c * 8);
    pkh__free(a, o->hi, c * 8);
    pkh__free(a, o->pop, c * 8);
    pkh__free(a, o->cnt, c * 8);
}

static pkh_status out_alloc(const pkh_allocator *a, out_rows *o, int64_t cap)
{
    const size_t c = (size_t)(cap > 0 ? cap : 1);
    memset(o, 0, sizeof *o);
    o->seg = pkh__alloc(a, c * 8);
    o->name = pkh__alloc(a, c * sizeof *o->name);
    o->est = pkh__alloc(a, c * 8);
    o->se = pkh__alloc(a, c * 8);
    o->lo = pkh__alloc(a, c * 8);
    o->hi = pkh__alloc(a, c * 8);
    o->pop = pkh__alloc(a, c * 8);
    o->cnt = pkh__alloc(a, c * 8);
    return o->seg && o->name && o->est && o->se && o->lo && o->hi && o->pop && o->cnt ? PKH_OK
                                                                                      : PKH_ENOMEM;
}

static pkh_status build_results(pkh__tg *t, const out_rows *o, pkh_table **out)
{
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(t->o->allocator, &b, t->err);
    if (st == PKH_OK && t->groups != NULL) {
        st = pkh__tg_key_columns(b, pkh_groups_keys(t->groups), o->seg, o->n, t->a, t->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "indicator", o->name, o->n, t->err);
    }
    const char *names[] = {"estimate", "se", "ci_low", "ci_high"};
    const double *vals[] = {o->est, o->se, o->lo, o->hi};
    for (int j = 0; j < 4 && st == PKH_OK; j++) {
        uint8_t *v = pkh__finite_bits(t->a, vals[j], o->n);
        st = v == NULL ? pkh__enomem(t->err)
                       : pkh_table_builder_add_float64(b, names[j], vals[j], v, o->n, t->err);
        pkh__free(t->a, v, pkh__bitmap_bytes(o->n));
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "n", o->cnt, NULL, o->n, t->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "population", o->pop, NULL, o->n, t->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, t->err);
    }
    pkh_table_builder_free(b);
    return st;
}

static pkh_status collect(pkh__tg *t, pkh_table **out)
{
    const int64_t cap = t->nseg * t->nmetrics;
    out_rows o;
    pkh_status st = out_alloc(t->a, &o, cap) == PKH_OK ? PKH_OK : pkh__enomem(t->err);
    for (int64_t seg = 0; seg < t->nseg && st == PKH_OK; seg++) {
        int64_t cnt = 0;
        for (int c = 0; c < TG_NCLASS; c++) {
            cnt += t->cells[seg * TG_NCLASS + c].n;
        }
        const double pop = cell_sum(t, seg, ~(uint64_t)0, TG_PERS);
        for (int k = 0; k < t->nmetrics; k++) {
            const int64_t i = o.n++;
            tg_auc auc;
            o.seg[i] = seg;
            o.name[i] = t->metrics[k].name;
            o.est[i] = pkh__tg_metric_value(t, seg, &t->metrics[k], &auc);
            o.cnt[i] = cnt;
            o.pop[i] = pop;
        }
    }
    if (st == PKH_OK) {
        st = pkh__tg_standard_errors(t, o.est, o.se, o.lo, o.hi);
    }
    if (st == PKH_OK) {
        st = build_results(t, &o, out);
    }
    out_free(t->a, &o, cap);
    return st;
}

/* ---- the entry points ---- */

static void tg_free(pkh__tg *t)
{
    const size_t nn = (size_t)(t->t->num_rows > 0 ? t->t->num_rows : 1);
    pkh__free(t->a, t->row, nn * 8);
    pkh__free(t->a, t->x, nn * 8);
    pkh__free(t->a, t->w, nn * 8);
    pkh__free(t->a, t->p, nn * 8);
    pkh__free(t->a, t->b, nn * 8);
    pkh__free(t->a, t->s, nn * 8);
    pkh__free(t->a, t->zl, nn * 8);
    pkh__free(t->a, t->g, nn * sizeof *t->g);
    pkh__free(t->a, t->cls, nn);
    pkh__free(t->a, t->cells, (size_t)(t->nseg * TG_NCLASS) * sizeof *t->cells);
    pkh__free(t->a, t->order_all, (size_t)(t->n > 0 ? t->n : 1) * 8);
    pkh__free(t->a, t->order_grp, (size_t)(t->n > 0 ? t->n : 1) * 8);
    pkh__free(t->a, t->offsets, (size_t)(t->k + 1) * 8);
    pkh__free(t->a, t->metrics, 64 * sizeof *t->metrics);
    pkh__free(t->a, t->auc, (size_t)t->nseg * sizeof *t->auc);
    pkh__free(t->a, t->auc_done, (size_t)t->nseg);
    pkh_groups_free(t->groups);
}

/* Rows of each group in score order (a stable counting sort of the whole order). */
static pkh_status group_orders(pkh__tg *t)
{
    if (t->s == NULL || t->k == 0) {
        return PKH_OK;
    }
    t->order_grp = pkh__alloc(t->a, (size_t)t->n * 8);
    t->offsets = pkh__alloc(t->a, (size_t)(t->k + 1) * 8);
    if (t->order_grp == NULL || t->offsets == NULL) {
        return pkh__enomem(t->err);
    }
    const pkh_status st =
        pkh__group_sort(t->order_all, t->n, t->g, t->k, t->a, t->order_grp, t->offsets);
    return st == PKH_OK ? PKH_OK : pkh__enomem(t->err);
}

static void fill_info(pkh__tg *t)
{
    t->info.population = cell_sum(t, 0, ~(uint64_t)0, TG_PERS);
    const uint64_t rec = mask_of(t->G, -1, 1, 0, t->G), bench = mask_of(t->G, 1, -1, 0, t->G);
    t->info.receiving = cell_sum(t, 0, rec, TG_PERS) / t->info.population;
    t->info.benchmark_share = cell_sum(t, 0, bench, TG_PERS) / t->info.population;
    if (t->zl != NULL) {
        pkh__ksum s = {0, 0};
        for (int64_t i = 0; i < t->n; i++) {
            pkh__ksum_add(&s, t->p[i] * t->zl[i]);
        }
        t->info.line = pkh__ksum_value(&s) / t->info.population;
    }
}

/* Everything up to the class totals; the caller frees with tg_free(). */
static pkh_status prepare(pkh__tg *t, const pkh_table *table, const pkh_targeting_options *o,
                          pkh_error *err)
{
    memset(t, 0, sizeof *t);
    t->t = table;
    t->o = o;
    t->a = pkh_allocator_default();
    t->err = err;
    t->G = o->groups == 10 ? 10 : 5;
    t->info.rows = table->num_rows;
    t->info.cutoff = NAN;
    t->info.df = -1;
    for (int j = 0; j < 9; j++) {
        t->info.bounds[j] = NAN;
    }
    pkh_status st = check_options(o, err);
    st = st == PKH_OK ? check_design(table, o->design, err) : st;
    if (st == PKH_OK && o->n_by > 0) {
        uint8_t *mask = NULL;
        size_t bytes = 0;
        st = usable_mask(t, &mask, &bytes);
        if (st == PKH_OK) {
            st = pkh_groups_new(table, o->by, o->n_by, mask, o->threads, &t->groups, err);
        }
        pkh__free(t->a, mask, bytes);
    }
    t->k = t->groups != NULL ? pkh_groups_count(t->groups) : 0;
    t->nseg = 1 + t->k;
    st = st == PKH_OK ? gather(t) : st;
    st = st == PKH_OK ? classify(t) : st;
    st = st == PKH_OK ? group_orders(t) : st;
    st = st == PKH_OK ? accumulate(t) : st;
    st = st == PKH_OK ? make_metrics(t) : st;
    if (st == PKH_OK) {
        fill_info(t);
    }
    return st;
}

pkh_status pkh_targeting_compute(const pkh_table *table, const pkh_targeting_options *opts,
                                 pkh_table **results, pkh_table **curve, pkh_targeting_info *info,
                                 pkh_error *err)
{
    pkh__tg t;
    pkh_status st = prepare(&t, table, opts, err);
    pkh_table *res = NULL, *cur = NULL;
    if (st == PKH_OK) {
        st = collect(&t, &res);
    }
    if (st == PKH_OK && curve != NULL && t.s != NULL) {
        st = pkh__tg_curves(&t, &cur);
    }
    if (st == PKH_OK) {
        t.info.with_se = opts->design != NULL;
        t.info.df = opts->design != NULL ? pkh_design_df(opts->design) : -1;
        *results = res;
        if (curve != NULL) {
            *curve = cur;
        }
        if (info != NULL) {
            *info = t.info;
        }
    } else {
        pkh_table_free(res);
        pkh_table_free(cur);
    }
    tg_free(&t);
    return st;
}

pkh_status pkh__targeting_influence(const pkh_table *table, const pkh_targeting_options *o,
                                    const char *indicator, int64_t group, double *z,
                                    double *estimate, pkh_error *err)
{
    pkh__tg t;
    pkh_status st = prepare(&t, table, o, err);
    if (st == PKH_OK && (group < -1 || group >= t.k)) {
        st = pkh__errorf(err, PKH_EINVAL, "no group %lld", (long long)group);
    }
    int k = 0;
    while (st == PKH_OK && k < t.nmetrics && strcmp(t.metrics[k].name, indicator) != 0) {
        k++;
    }
    if (st == PKH_OK && k == t.nmetrics) {
        st = pkh__errorf(err, PKH_ENOTFOUND, "no indicator \"%s\"", indicator);
    }
    if (st == PKH_OK) {
        tg_auc auc;
        *estimate = pkh__tg_metric_value(&t, group + 1, &t.metrics[k], &auc);
        memset(z, 0, (size_t)table->num_rows * sizeof *z);
        pkh__tg_metric_influence(&t, group + 1, &t.metrics[k], z);
    }
    tg_free(&t);
    return st;
}
