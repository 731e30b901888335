/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * pkh_indicators_compute: columns -> usable rows -> one radix sort -> per-group segments ->
 * kernels -> a tidy results table.
 *
 * The rows used are gathered once into compact arrays (income, person weight, line, group).
 * Sort-based measures need the rows in income order: one radix sort of all rows gives the
 * whole population's order, and a stable counting sort of that order by group gives every
 * group's order, so the groups cost one pass, not one sort each.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal/io.h"
#include "internal/stats.h"

/* ---- the usable rows ---- */

typedef struct rows {
    int64_t n;
    double *x, *w, *z; /* z: per-row lines, NULL for a scalar or relative line */
    int32_t *g;        /* group of each row (0 without groups) */
    int64_t k;         /* groups */
} rows;

typedef struct ctx {
    const pkh_table *t;
    const pkh_indicators_options *o;
    const pkh_allocator *a;
    pkh_error *err;
    pkh_indicators_info info;
    pkh_groups *groups;
    rows r;
    bool need_sort;
    /* per segment (0: whole population, 1 + g: group g) */
    int64_t nseg;
    double *seg_line;
} ctx;

static const pkh_column *numeric_column(ctx *c, const char *name, const char *role,
                                        pkh_status *st)
{
    const pkh_column *col = NULL;
    *st = pkh_table_column(c->t, name, &col, c->err);
    if (*st != PKH_OK) {
        return NULL;
    }
    if (pkh_column_type(col) == PKH_TYPE_DICT) {
        *st = pkh__errorf(c->err, PKH_ETYPE, "the %s column \"%s\" holds text, not numbers",
                          role, name);
        return NULL;
    }
    return col;
}

static double num_at(const pkh_column *col, int64_t i)
{
    switch (col->type) {
    case PKH_TYPE_INT64:
        return (double)((const int64_t *)col->values)[i];
    case PKH_TYPE_FLOAT64:
        return ((const double *)col->values)[i];
    case PKH_TYPE_BOOL:
        return pkh__bit_get(col->values, i);
    case PKH_TYPE_DICT:
        break;
    }
    return NAN;
}

static bool valid_at(const pkh_column *col, int64_t i)
{
    return col->validity == NULL || pkh__bit_get(col->validity, i);
}

/* Text of a key cell, for matching rows of the lines table. */
static size_t key_text(const pkh_column *col, int64_t i, char *buf, size_t cap, locale_t loc)
{
    if (col->type == PKH_TYPE_DICT) {
        const int32_t code = ((const int32_t *)col->values)[i];
        size_t n = (size_t)(col->dict_offsets[code + 1] - col->dict_offsets[code]);
        n = n < cap - 1 ? n : cap - 1;
        memcpy(buf, col->dict_data + col->dict_offsets[code], n);
        return n;
    }
    if (col->type == PKH_TYPE_INT64) {
        return pkh__int_text(((const int64_t *)col->values)[i], buf);
    }
    return pkh__format_double(num_at(col, i), buf, loc);
}

/* Lines by key: the lines table's rows are matched on the text of the key values. */
static pkh_status lookup_lines(ctx *c, double **out)
{
    const pkh_line *l = &c->o->line;
    const pkh_table *lt = l->lookup;
    const pkh_allocator *a = c->a;
    pkh_status st = PKH_OK;
    const pkh_column *value = NULL;
    if (l->lookup_value != NULL) {
        value = numeric_column(&(ctx){.t = lt, .err = c->err}, l->lookup_value, "line", &st);
    } else {
        for (int64_t j = 0; j < lt->num_columns && value == NULL; j++) {
            bool is_key = false;
            for (int64_t k = 0; k < l->n_keys; k++) {
                is_key = is_key || strcmp(lt->columns[j].name, l->keys[k]) == 0;
            }
            if (!is_key) {
                value = &lt->columns[j];
            }
        }
        if (value == NULL || value->type == PKH_TYPE_DICT) {
            return pkh__errorf(c->err, PKH_EINVAL, "the lines table needs a numeric column "
                               "besides the keys");
        }
    }
    if (st != PKH_OK) {
        return st;
    }
    pkh_groups *dg = NULL, *lg = NULL;
    st = pkh_groups_new(c->t, l->keys, l->n_keys, c->o->filter, c->o->threads, &dg, c->err);
    if (st == PKH_OK) {
        st = pkh_groups_new(lt, l->keys, l->n_keys, NULL, 1, &lg, c->err);
    }
    double *gline = NULL;
    const int64_t k = st == PKH_OK ? pkh_groups_count(dg) : 0;
    if (st == PKH_OK) {
        gline = pkh__alloc(a, (size_t)(k > 0 ? k : 1) * sizeof *gline);
        *out = pkh__alloc(a, (size_t)(c->t->num_rows > 0 ? c->t->num_rows : 1) * sizeof **out);
        st = gline == NULL || *out == NULL ? pkh__enomem(c->err) : PKH_OK;
    }
    locale_t loc = pkh__c_locale();
    const pkh_table *dk = st == PKH_OK ? pkh_groups_keys(dg) : NULL;
    const pkh_table *lk = st == PKH_OK ? pkh_groups_keys(lg) : NULL;
    /* match each data key combination against the lines table's combinations */
    for (int64_t g = 0; g < k && st == PKH_OK; g++) {
        int64_t found = -1;
        for (int64_t h = 0; h < pkh_groups_count(lg) && found < 0; h++) {
            bool same = true;
            for (int64_t j = 0; j < l->n_keys && same; j++) {
                char b1[256], b2[256];
                const size_t n1 = key_text(&dk->columns[j], g, b1, sizeof b1, loc);
                const size_t n2 = key_text(&lk->columns[j], h, b2, sizeof b2, loc);
                same = n1 == n2 && memcmp(b1, b2, n1) == 0;
            }
            found = same ? h : -1;
        }
        if (found < 0) {
            char desc[300];
            size_t o = 0;
            for (int64_t j = 0; j < l->n_keys && o < sizeof desc - 40; j++) {
                char b1[128];
                const size_t n1 = key_text(&dk->columns[j], g, b1, sizeof b1, loc);
                o += (size_t)snprintf(desc + o, sizeof desc - o, "%s%s=%.*s", j ? ", " : "",
                                      l->keys[j], (int)n1, b1);
            }
            st = pkh__errorf(c->err, PKH_EINVAL, "the lines table has no line for %s", desc);
            break;
        }
        /* the first row of the lines table with that key */
        const int32_t *lid = pkh_groups_ids(lg);
        int64_t row = 0;
        while (lid[row] != found) {
            row++;
        }
        gline[g] = valid_at(value, row) ? num_at(value, row) : NAN;
    }
    if (st == PKH_OK) {
        const int32_t *ids = pkh_groups_ids(dg);
        for (int64_t i = 0; i < c->t->num_rows; i++) {
            (*out)[i] = ids[i] >= 0 ? gline[ids[i]] : NAN;
        }
    }
    if (loc != (locale_t)0) {
        freelocale(loc);
    }
    pkh__free(a, gline, (size_t)(k > 0 ? k : 1) * sizeof *gline);
    pkh_groups_free(dg);
    pkh_groups_free(lg);
    return st;
}

static pkh_status row_error(ctx *c, const char *what, const char *col, int64_t i)
{
    return pkh__errorf(c->err, PKH_EINVAL, "%s in column \"%s\" at data row %lld", what, col,
                       (long long)i + 1);
}

/* Gather the usable rows into compact arrays. */
static pkh_status gather(ctx *c)
{
    const pkh_indicators_options *o = c->o;
    const int64_t nrows = c->t->num_rows;
    pkh_status st = PKH_OK;
    const pkh_column *xc = numeric_column(c, o->income, "income", &st);
    const pkh_column *wc = st == PKH_OK && o->weight ? numeric_column(c, o->weight, "weight", &st)
                                                     : NULL;
    const pkh_column *sc = st == PKH_OK && o->size ? numeric_column(c, o->size, "size", &st)
                                                   : NULL;
    const pkh_column *zc = st == PKH_OK && o->line.kind == PKH_LINE_COLUMN
                               ? numeric_column(c, o->line.column, "line", &st)
                               : NULL;
    if (st != PKH_OK) {
        return st;
    }
    double *zl = NULL;
    if (o->line.kind == PKH_LINE_LOOKUP) {
        st = lookup_lines(c, &zl);
        if (st != PKH_OK) {
            pkh__free(c->a, zl, (size_t)(nrows > 0 ? nrows : 1) * sizeof *zl);
            return st;
        }
    }
    const bool per_row = zc != NULL || zl != NULL;
    const size_t nn = (size_t)(nrows > 0 ? nrows : 1);
    c->r.x = pkh__alloc(c->a, nn * sizeof(double));
    c->r.w = pkh__alloc(c->a, nn * sizeof(double));
    c->r.z = per_row ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    c->r.g = pkh__alloc(c->a, nn * sizeof(int32_t));
    if (c->r.x == NULL || c->r.w == NULL || (per_row && c->r.z == NULL) || c->r.g == NULL) {
        pkh__free(c->a, zl, nn * sizeof *zl);
        return pkh__enomem(c->err);
    }
    const int32_t *gid = c->groups != NULL ? pkh_groups_ids(c->groups) : NULL;
    int64_t m = 0;
    for (int64_t i = 0; i < nrows && st == PKH_OK; i++) {
        if (o->filter != NULL && !o->filter[i]) {
            c->info.filtered_out++;
            continue;
        }
        if (!valid_at(xc, i) || num_at(xc, i) != num_at(xc, i)) {
            c->info.missing_income++;
            continue;
        }
        if (gid != NULL && gid[i] < 0) {
            c->info.missing_key++;
            continue;
        }
        double w = 1;
        if (wc != NULL) {
            if (!valid_at(wc, i)) {
                st = row_error(c, "missing weight", o->weight, i);
                break;
            }
            w = num_at(wc, i);
            if (!(w >= 0) || !isfinite(w)) {
                st = row_error(c, "negative or invalid weight", o->weight, i);
                break;
            }
        }
        if (sc != NULL) {
            if (!valid_at(sc, i)) {
                st = row_error(c, "missing household size", o->size, i);
                break;
            }
            const double s = num_at(sc, i);
            if (!(s >= 0) || !isfinite(s)) {
                st = row_error(c, "negative or invalid household size", o->size, i);
                break;
            }
            w *= s;
        }
        if (per_row) {
            const double z = zc != NULL ? (valid_at(zc, i) ? num_at(zc, i) : NAN) : zl[i];
            if (!(z > 0) || !isfinite(z)) {
                st = row_error(c, z != z ? "missing poverty line" : "non-positive poverty line",
                               zc != NULL ? o->line.column : "(lines table)", i);
                break;
            }
            c->r.z[m] = z;
        }
        c->r.x[m] = num_at(xc, i);
        c->r.w[m] = w;
        c->r.g[m] = gid != NULL ? gid[i] : 0;
        c->info.nonpositive += c->r.x[m] <= 0;
        c->info.negative += c->r.x[m] < 0;
        m++;
    }
    pkh__free(c->a, zl, nn * sizeof *zl);
    c->r.n = m;
    c->info.used = m;
    return st;
}

/* ---- segments ---- */

typedef struct seg_buf {
    double *x, *w, *z, *cw, *cwx;
    int64_t n;
} seg_buf;

static void seg_buf_free(const pkh_allocator *a, seg_buf *b)
{
    const size_t nn = (size_t)(b->n > 0 ? b->n : 1) * sizeof(double);
    pkh__free(a, b->x, nn);
    pkh__free(a, b->w, nn);
    pkh__free(a, b->z, nn);
    pkh__free(a, b->cw, nn);
    pkh__free(a, b->cwx, nn);
    memset(b, 0, sizeof *b);
}

/* Gather rows `order[0..n)` into the buffers (sorted order when sorting was done). */
static pkh_status seg_buf_fill(ctx *c, seg_buf *b, const int64_t *order, int64_t n)
{
    const size_t nn = (size_t)(n > 0 ? n : 1) * sizeof(double);
    b->n = n;
    b->x = pkh__alloc(c->a, nn);
    b->w = pkh__alloc(c->a, nn);
    b->z = c->r.z != NULL ? pkh__alloc(c->a, nn) : NULL;
    b->cw = pkh__alloc(c->a, nn);
    b->cwx = pkh__alloc(c->a, nn);
    if (b->x == NULL || b->w == NULL || (c->r.z != NULL && b->z == NULL) || b->cw == NULL ||
        b->cwx == NULL) {
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = order != NULL ? order[i] : i;
        b->x[i] = c->r.x[r];
        b->w[i] = c->r.w[r];
        if (b->z != NULL) {
            b->z[i] = c->r.z[r];
        }
    }
    return PKH_OK;
}

/* One output row before assembly. */
typedef struct out_row {
    int64_t seg; /* 0: whole population; 1 + g: group g */
    char name[64];
    pkh__est est;
} out_row;

typedef struct out_rows {
    out_row *v;
    int64_t n, cap;
} out_rows;

static pkh_status add_row(const pkh_allocator *a, out_rows *o, int64_t seg, const char *name,
                          pkh__est e)
{
    if (o->n == o->cap) {
        const int64_t cap = o->cap ? o->cap * 2 : 64;
        out_row *v = pkh__realloc(a, o->v, (size_t)o->cap * sizeof *v, (size_t)cap * sizeof *v);
        if (v == NULL) {
            return PKH_ENOMEM;
        }
        o->v = v;
        o->cap = cap;
    }
    out_row *r = &o->v[o->n++];
    r->seg = seg;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->est = e;
    return PKH_OK;
}

/* Per segment results of every (non-decomposition) indicator, for the decompositions. */
typedef struct seg_result {
    pkh__est *est; /* one per requested indicator */
    double line;
    double W, SX;
    /* GE decomposition inputs over the GE population of each alpha: weight and income */
    double *ge_w, *ge_sx;
} seg_result;

static double share_q(const pkh__seg *s, double lo, double hi, pkh_quantile_rule rule)
{
    const double ql = lo <= 0 ? -HUGE_VAL : pkh__seg_quantile(s, lo, rule);
    const double qh = hi >= 1 ? HUGE_VAL : pkh__seg_quantile(s, hi, rule);
    return pkh__seg_share(s, ql, qh);
}

/* The value of one indicator on a segment. */
static pkh__est compute_one(ctx *c, const pkh__seg *s, const pkh_indicator *ind, double *scratch,
                            pkh_status *st)
{
    const pkh_quantile_rule rule = c->o->quantile_rule;
    const pkh__est all = {NAN, s->n, s->W};
    pkh__est e = all;
    switch (ind->kind) {
    case PKH_IND_FGT:
        return pkh__seg_fgt(s, ind->a);
    case PKH_IND_WATTS:
        return pkh__seg_watts(s);
    case PKH_IND_SEN:
        return pkh__seg_sen(s, scratch);
    case PKH_IND_SST:
        return pkh__seg_sst(s, scratch, c->a, st);
    case PKH_IND_POOR:
        return pkh__seg_poor(s);
    case PKH_IND_GAP_TOTAL:
        return pkh__seg_gap_total(s);
    case PKH_IND_INCOME_GAP_RATIO: {
        const double p0 = pkh__seg_fgt(s, 0).value, p1 = pkh__seg_fgt(s, 1).value;
        e.value = p0 > 0 ? p1 / p0 : NAN;
        return e;
    }
    case PKH_IND_LINE:
        return pkh__seg_line(s);
    case PKH_IND_GINI:
        e.value = pkh__gini_sorted(s->x, s->w, s->n);
        return e;
    case PKH_IND_GE:
        return pkh__seg_ge(s, ind->a);
    case PKH_IND_ATKINSON:
        return pkh__seg_atkinson(s, ind->a);
    case PKH_IND_PALMA:
        e.value = share_q(s, 0.9, 1, rule) / share_q(s, 0, 0.4, rule);
        return e;
    case PKH_IND_S80S20:
        e.value = share_q(s, 0.8, 1, rule) / share_q(s, 0, 0.2, rule);
        return e;
    case PKH_IND_S80S20_MEANS: {
        const double q80 = pkh__seg_quantile(s, 0.8, rule), q20 = pkh__seg_quantile(s, 0.2, rule);
        const int64_t k20 = 0;
        (void)k20;
        pkh__ksum top = {0, 0}, topw = {0, 0}, bot = {0, 0}, botw = {0, 0};
        for (int64_t i = 0; i < s->n; i++) {
            if (s->x[i] > q80) {
                pkh__ksum_add(&top, s->w[i] * s->x[i]);
                pkh__ksum_add(&topw, s->w[i]);
            } else if (s->x[i] <= q20) {
                pkh__ksum_add(&bot, s->w[i] * s->x[i]);
                pkh__ksum_add(&botw, s->w[i]);
            }
        }
        e.value = (pkh__ksum_value(&top) / pkh__ksum_value(&topw)) /
                  (pkh__ksum_value(&bot) / pkh__ksum_value(&botw));
        return e;
    }
    case PKH_IND_RATIO:
        e.value = pkh__seg_quantile(s, ind->a, rule) / pkh__seg_quantile(s, ind->b, rule);
        return e;
    case PKH_IND_SHARE_B40:
        e.value = share_q(s, 0, 0.4, rule);
        return e;
    case PKH_IND_DECILE_SHARE:
        e.value = share_q(s, (ind->b - 1) / 10, ind->b / 10, rule);
        return e;
    case PKH_IND_QUINTILE_SHARE:
        e.value = share_q(s, (ind->b - 1) / 5, ind->b / 5, rule);
        return e;
    case PKH_IND_CV:
        return pkh__seg_cv(s);
    case PKH_IND_MEAN:
        return pkh__seg_mean(s);
    case PKH_IND_MEDIAN:
    case PKH_IND_QUANTILE:
        e.value = pkh__seg_quantile(s, ind->a, rule);
        return e;
    case PKH_IND_LORENZ:
        e.value = pkh__seg_lorenz(s, ind->a);
        return e;
    case PKH_IND_GLORENZ:
        e.value = pkh__seg_lorenz(s, ind->a) * s->SX / s->W;
        return e;
    case PKH_IND_POPULATION:
        e.value = s->W;
        return e;
    case PKH_IND_FGT_DECOMP:
        return pkh__seg_fgt(s, ind->a); /* the group's FGT; shares are added after */
    case PKH_IND_GE_DECOMP:
        return pkh__seg_ge(s, ind->a);
    }
    return all;
}

typedef struct seg_job {
    ctx *c;
    seg_buf *bufs;      /* per segment */
    seg_result *res;    /* per segment */
    int64_t first_seg;  /* segments [first_seg, first_seg + count) */
    double *scratch[16]; /* per task: no sharing */
} seg_job;

/* Compute every indicator on segment `si`. */
static pkh_status run_segment(ctx *c, seg_buf *b, seg_result *res, int64_t si, double *scratch)
{
    const pkh_indicators_options *o = c->o;
    pkh__seg s;
    memset(&s, 0, sizeof s);
    s.x = b->x;
    s.w = b->w;
    s.z = b->z;
    s.n = b->n;
    pkh__seg_prefix(&s, b->cw, b->cwx);
    res->W = s.W;
    res->SX = s.SX;
    /* the line: per row, a value, or relative to this segment's (or the nation's) distribution */
    double line = NAN;
    switch (o->line.kind) {
    case PKH_LINE_VALUE:
        line = o->line.value;
        break;
    case PKH_LINE_REL_MEDIAN:
    case PKH_LINE_REL_MEAN:
        if (si == 0 || o->line_by_group) {
            line = o->line.value * (o->line.kind == PKH_LINE_REL_MEDIAN
                                        ? pkh__seg_quantile(&s, 0.5, o->quantile_rule)
                                        : s.SX / s.W);
        } else {
            line = c->seg_line[0];
        }
        break;
    default:
        break;
    }
    s.line = line;
    c->seg_line[si] = s.z != NULL ? pkh__seg_line(&s).value : line;
    res->line = c->seg_line[si];
    pkh_status st = PKH_OK;
    for (int64_t k = 0; k < o->n_indicators && st == PKH_OK; k++) {
        res->est[k] = compute_one(c, &s, &o->indicators[k], scratch, &st);
        if (o->indicators[k].kind == PKH_IND_GE_DECOMP) {
            /* the GE population's weight and income, for the between-group term */
            const bool strict = o->indicators[k].a <= 0;
            pkh__ksum tw = {0, 0}, tx = {0, 0};
            for (int64_t i = 0; i < s.n; i++) {
                if (strict ? s.x[i] > 0 : s.x[i] >= 0) {
                    pkh__ksum_add(&tw, s.w[i]);
                    pkh__ksum_add(&tx, s.w[i] * s.x[i]);
                }
            }
            res->ge_w[k] = pkh__ksum_value(&tw);
            res->ge_sx[k] = pkh__ksum_value(&tx);
        }
    }
    return st;
}

typedef struct group_job {
    ctx *c;
    const int64_t *order;   /* rows in group-then-income order */
    const int64_t *offsets; /* k + 1 */
    seg_result *res;        /* per segment; groups start at 1 */
    int threads;
} group_job;

static pkh_status group_task(void *vctx, int64_t g)
{
    group_job *j = vctx;
    ctx *c = j->c;
    const int64_t n = j->offsets[g + 1] - j->offsets[g];
    seg_buf b;
    memset(&b, 0, sizeof b);
    pkh_error local;
    pkh_error *saved = NULL;
    (void)saved;
    (void)local;
    pkh_status st = seg_buf_fill(c, &b, j->order + j->offsets[g], n);
    double *scratch = NULL;
    if (st == PKH_OK) {
        scratch = pkh__alloc(c->a, (size_t)(n > 0 ? n : 1) * 2 * sizeof(double));
        st = scratch == NULL ? PKH_ENOMEM : PKH_OK;
    }
    if (st == PKH_OK) {
        st = run_segment(c, &b, &j->res[1 + g], 1 + g, scratch);
    }
    pkh__free(c->a, scratch, (size_t)(n > 0 ? n : 1) * 2 * sizeof(double));
    seg_buf_free(c->a, &b);
    return st;
}

/* ---- assembling the results ---- */

static const char *ge_name(double alpha, char *buf, size_t cap)
{
    if (alpha == 0) {
        return "mld";
    }
    if (alpha == 1) {
        return "theil";
    }
    if (alpha == 2) {
        return "ge2";
    }
    snprintf(buf, cap, "ge:%.15g", alpha);
    return buf;
}

static pkh_status decompose_fgt(ctx *c, seg_result *res, int64_t k, out_rows *o, int64_t g)
{
    const pkh_indicator *ind = &c->o->indicators[k];
    double wtot = 0, ftot = 0;
    for (int64_t h = 0; h < c->r.k; h++) {
        wtot += res[1 + h].W;
    }
    for (int64_t h = 0; h < c->r.k; h++) {
        ftot += res[1 + h].W / wtot * res[1 + h].est[k].value;
    }
    char fname[48], name[64];
    if (ind->a == 0 || ind->a == 1 || ind->a == 2) {
        snprintf(fname, sizeof fname, "fgt%d", (int)ind->a);
    } else {
        snprintf(fname, sizeof fname, "fgt:%.15g", ind->a);
    }
    const seg_result *r = &res[1 + g];
    const pkh__est base = {NAN, r->est[k].n, r->W};
    pkh__est e = base;
    e.value = r->W / wtot;
    pkh_status st = add_row(c->a, o, 1 + g, "pop_share", e);
    e.value = r->W / wtot * r->est[k].value;
    snprintf(name, sizeof name, "contrib_%s", fname);
    st = st == PKH_OK ? add_row(c->a, o, 1 + g, name, e) : st;
    e.value = ftot > 0 ? r->W / wtot * r->est[k].value / ftot : NAN;
    snprintf(name, sizeof name, "contrib_rel_%s", fname);
    return st == PKH_OK ? add_row(c->a, o, 1 + g, name, e) : st;
}

static pkh_status decompose_ge(ctx *c, seg_result *res, int64_t k, out_rows *o)
{
    const double alpha = c->o->indicators[k].a;
    double W = 0, SX = 0;
    for (int64_t h = 0; h < c->r.k; h++) {
        W += res[1 + h].ge_w[k];
        SX += res[1 + h].ge_sx[k];
    }
    const double mu = SX / W;
    pkh__ksum within = {0, 0}, between = {0, 0};
    for (int64_t h = 0; h < c->r.k; h++) {
        const double f = res[1 + h].ge_w[k] / W, s = res[1 + h].ge_sx[k] / SX;
        if (!(f > 0)) {
            continue;
        }
        const double mug = res[1 + h].ge_sx[k] / res[1 + h].ge_w[k];
        const double v = alpha == 0 ? f : alpha == 1 ? s : pow(s, alpha) * pow(f, 1 - alpha);
        pkh__ksum_add(&within, v * res[1 + h].est[k].value);
        if (alpha == 0) {
            pkh__ksum_add(&between, f * log(mu / mug));
        } else if (alpha == 1) {
            pkh__ksum_add(&between, s > 0 ? s * log(mug / mu) : 0);
        } else {
            pkh__ksum_add(&between, f * pow(mug / mu, alpha));
        }
    }
    double b = pkh__ksum_value(&between);
    if (alpha != 0 && alpha != 1) {
        b = (b - 1) / (alpha * (alpha - 1));
    }
    char gbuf[40], name[64];
    const char *gn = ge_name(alpha, gbuf, sizeof gbuf);
    const pkh__est tot = res[0].est[k];
    snprintf(name, sizeof name, "%s_within", gn);
    pkh_status st = add_row(c->a, o, 0, name, (pkh__est){pkh__ksum_value(&within), tot.n, tot.pop});
    snprintf(name, sizeof name, "%s_between", gn);
    return st == PKH_OK ? add_row(c->a, o, 0, name, (pkh__est){b, tot.n, tot.pop}) : st;
}

static pkh_status collect_rows(ctx *c, seg_result *res, out_rows *o)
{
    const pkh_indicators_options *opt = c->o;
    pkh_status st = PKH_OK;
    const int64_t first = opt->no_total ? 1 : 0;
    for (int64_t si = first; si < c->nseg && st == PKH_OK; si++) {
        for (int64_t k = 0; k < opt->n_indicators && st == PKH_OK; k++) {
            const pkh_indicator *ind = &opt->indicators[k];
            if (ind->kind == PKH_IND_FGT_DECOMP) {
                st = si > 0 ? decompose_fgt(c, res, k, o, si - 1) : PKH_OK;
            } else if (ind->kind == PKH_IND_GE_DECOMP) {
                st = si == 0 ? decompose_ge(c, res, k, o) : PKH_OK;
            } else {
                st = add_row(c->a, o, si, ind->name, res[si].est[k]);
            }
        }
    }
    return st;
}

/* A results column holding each row's group key (missing for the whole population). */
static pkh_status key_column(ctx *c, pkh_table_builder *b, const pkh_column *kc,
                             const out_rows *o)
{
    const int64_t n = o->n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    uint8_t *valid = pkh__calloc(c->a, pkh__bitmap_bytes(n), 1);
    void *vals = pkh__alloc(c->a, nn * 8);
    pkh_status st = valid == NULL || vals == NULL ? pkh__enomem(c->err) : PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        const int64_t g = o->v[i].seg - 1;
        if (g >= 0) {
            pkh__bit_set(valid, i);
        }
        const int64_t src = g >= 0 ? g : 0;
        switch (kc->type) {
        case PKH_TYPE_INT64:
            ((int64_t *)vals)[i] = ((const int64_t *)kc->values)[src];
            break;
        case PKH_TYPE_FLOAT64:
            ((double *)vals)[i] = ((const double *)kc->values)[src];
            break;
        case PKH_TYPE_BOOL:
            ((uint8_t *)vals)[i] = pkh__bit_get(kc->values, src);
            break;
        case PKH_TYPE_DICT:
            ((int32_t *)vals)[i] = ((const int32_t *)kc->values)[src];
            break;
        }
    }
    if (st == PKH_OK) {
        switch (kc->type) {
        case PKH_TYPE_INT64:
            st = pkh_table_builder_add_int64(b, kc->name, vals, valid, n, c->err);
            break;
        case PKH_TYPE_FLOAT64:
            st = pkh_table_builder_add_float64(b, kc->name, vals, valid, n, c->err);
            break;
        case PKH_TYPE_BOOL:
            st = pkh_table_builder_add_bool(b, kc->name, vals, valid, n, c->err);
            break;
        case PKH_TYPE_DICT: {
            const char **dict = pkh__alloc(c->a, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1) *
                                                     sizeof *dict);
            char **own = pkh__calloc(c->a, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1),
                                     sizeof *own);
            st = dict == NULL || own == NULL ? pkh__enomem(c->err) : PKH_OK;
            for (int64_t d = 0; d < kc->dict_size && st == PKH_OK; d++) {
                own[d] = pkh__strndup(c->a, kc->dict_data + kc->dict_offsets[d],
                                      (size_t)(kc->dict_offsets[d + 1] - kc->dict_offsets[d]));
                dict[d] = own[d];
                st = own[d] == NULL ? pkh__enomem(c->err) : PKH_OK;
            }
            if (st == PKH_OK) {
                st = pkh_table_builder_add_dict(b, kc->name, vals, valid, n, dict, kc->dict_size,
                                                c->err);
            }
            for (int64_t d = 0; own != NULL && d < kc->dict_size; d++) {
                pkh__free_str(c->a, own[d]);
            }
            pkh__free(c->a, own, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1) * sizeof *own);
            pkh__free(c->a, dict, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1) * sizeof *dict);
            break;
        }
        }
    }
    pkh__free(c->a, valid, pkh__bitmap_bytes(n));
    pkh__free(c->a, vals, nn * 8);
    return st;
}

static pkh_status build_results(ctx *c, const out_rows *o, pkh_table **out)
{
    const int64_t n = o->n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    pkh_table_builder *b = NULL;
    pkh_status st = pkh_table_builder_new(c->o->allocator, &b, c->err);
    const pkh_table *keys = c->groups != NULL ? pkh_groups_keys(c->groups) : NULL;
    for (int64_t j = 0; keys != NULL && j < keys->num_columns && st == PKH_OK; j++) {
        st = key_column(c, b, &keys->columns[j], o);
    }
    const char **names = pkh__alloc(c->a, nn * sizeof *names);
    double *est = pkh__alloc(c->a, nn * 8), *pop = pkh__alloc(c->a, nn * 8);
    int64_t *cnt = pkh__alloc(c->a, nn * 8);
    uint8_t *none = pkh__calloc(c->a, pkh__bitmap_bytes(n), 1);
    uint8_t *est_valid = pkh__calloc(c->a, pkh__bitmap_bytes(n), 1);
    if (st == PKH_OK && (names == NULL || est == NULL || pop == NULL || cnt == NULL ||
                         none == NULL || est_valid == NULL)) {
        st = pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        names[i] = o->v[i].name;
        est[i] = o->v[i].est.value;
        if (est[i] == est[i]) {
            pkh__bit_set(est_valid, i); /* undefined estimates (0/0) are missing */
        }
        cnt[i] = o->v[i].est.n;
        pop[i] = o->v[i].est.pop;
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "indicator", names, n, c->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "estimate", est, est_valid, n, c->err);
    }
    static const char *const empty_cols[] = {"se", "ci_low", "ci_high"};
    for (size_t j = 0; j < 3 && st == PKH_OK; j++) {
        st = pkh_table_builder_add_float64(b, empty_cols[j], est, none, n, c->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_int64(b, "n", cnt, NULL, n, c->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, "population", pop, NULL, n, c->err);
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_finish(b, out, c->err);
    }
    pkh_table_builder_free(b);
    pkh__free(c->a, names, nn * sizeof *names);
    pkh__free(c->a, est, nn * 8);
    pkh__free(c->a, pop, nn * 8);
    pkh__free(c->a, cnt, nn * 8);
    pkh__free(c->a, none, pkh__bitmap_bytes(n));
    pkh__free(c->a, est_valid, pkh__bitmap_bytes(n));
    return st;
}

/* ---- the entry point ---- */

static const char *const default_names[] = {"fgt0", "fgt1",   "fgt2",      "poor",
                                            "gini", "mean",   "median",    "population"};

static bool sort_based(const pkh_indicator *ind)
{
    switch (ind->kind) {
    case PKH_IND_FGT:
    case PKH_IND_WATTS:
    case PKH_IND_POOR:
    case PKH_IND_GAP_TOTAL:
    case PKH_IND_INCOME_GAP_RATIO:
    case PKH_IND_LINE:
    case PKH_IND_MEAN:
    case PKH_IND_CV:
    case PKH_IND_POPULATION:
    case PKH_IND_FGT_DECOMP:
        return false;
    default:
        return true;
    }
}

static pkh_status check_options(const pkh_indicators_options *o, pkh_error *err)
{
    if (o->income == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "which column is the income? (--income)");
    }
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator *ind = &o->indicators[k];
        if (pkh_indicator_needs_line(ind) && o->line.kind == PKH_LINE_NONE) {
            return pkh__errorf(err, PKH_EINVAL, "%s needs a poverty line: give one with --line "
                               "(a number, a column, rel:0.6:median or rel:0.5:mean)",
                               ind->name);
        }
        if ((ind->kind == PKH_IND_FGT_DECOMP || ind->kind == PKH_IND_GE_DECOMP) &&
            o->n_by == 0) {
            return pkh__errorf(err, PKH_EINVAL, "%s decomposes by groups: give them with --by",
                               ind->name);
        }
    }
    if (o->line.kind == PKH_LINE_LOOKUP && (o->line.lookup == NULL || o->line.n_keys <= 0)) {
        return pkh__errorf(err, PKH_EINVAL, "a lines table needs its key columns (--line-keys)");
    }
    return PKH_OK;
}

static void ctx_free(ctx *c, seg_result *res)
{
    const size_t nn = (size_t)(c->t->num_rows > 0 ? c->t->num_rows : 1);
    pkh__free(c->a, c->r.x, nn * sizeof(double));
    pkh__free(c->a, c->r.w, nn * sizeof(double));
    pkh__free(c->a, c->r.z, nn * sizeof(double));
    pkh__free(c->a, c->r.g, nn * sizeof(int32_t));
    pkh__free(c->a, c->seg_line, (size_t)(c->nseg > 0 ? c->nseg : 1) * sizeof(double));
    for (int64_t s = 0; res != NULL && s < c->nseg; s++) {
        const size_t ni = (size_t)(c->o->n_indicators > 0 ? c->o->n_indicators : 1);
        pkh__free(c->a, res[s].est, ni * sizeof *res[s].est);
        pkh__free(c->a, res[s].ge_w, ni * sizeof(double));
        pkh__free(c->a, res[s].ge_sx, ni * sizeof(double));
    }
    pkh__free(c->a, res, (size_t)(c->nseg > 0 ? c->nseg : 1) * sizeof *res);
    pkh_groups_free(c->groups);
}

static pkh_status alloc_results(ctx *c, seg_result **out)
{
    const size_t ni = (size_t)(c->o->n_indicators > 0 ? c->o->n_indicators : 1);
    seg_result *res = pkh__calloc(c->a, (size_t)c->nseg, sizeof *res);
    c->seg_line = pkh__calloc(c->a, (size_t)c->nseg, sizeof(double));
    *out = res;
    if (res == NULL || c->seg_line == NULL) {
        return pkh__enomem(c->err);
    }
    for (int64_t s = 0; s < c->nseg; s++) {
        res[s].est = pkh__calloc(c->a, ni, sizeof *res[s].est);
        res[s].ge_w = pkh__calloc(c->a, ni, sizeof(double));
        res[s].ge_sx = pkh__calloc(c->a, ni, sizeof(double));
        if (res[s].est == NULL || res[s].ge_w == NULL || res[s].ge_sx == NULL) {
            return pkh__enomem(c->err);
        }
    }
    return PKH_OK;
}

/* The whole population's segment, then every group's, in income order when sorting. */
static pkh_status run_all(ctx *c, seg_result *res)
{
    const int64_t n = c->r.n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    int64_t *perm = pkh__alloc(c->a, nn * sizeof *perm);
    if (perm == NULL) {
        return pkh__enomem(c->err);
    }
    pkh_status st = PKH_OK;
    if (c->need_sort) {
        uint64_t *keys = pkh__alloc(c->a, nn * sizeof *keys);
        st = keys == NULL ? PKH_ENOMEM : PKH_OK;
        for (int64_t i = 0; i < n && st == PKH_OK; i++) {
            keys[i] = pkh__double_key(c->r.x[i]);
        }
        if (st == PKH_OK) {
            st = pkh__radix_argsort(keys, n, c->o->threads, c->a, perm);
        }
        pkh__free(c->a, keys, nn * sizeof *keys);
    } else {
        for (int64_t i = 0; i < n; i++) {
            perm[i] = i;
        }
    }
    seg_buf b;
    memset(&b, 0, sizeof b);
    double *scratch = NULL;
    if (st == PKH_OK) {
        st = seg_buf_fill(c, &b, perm, n);
        scratch = pkh__alloc(c->a, nn * 2 * sizeof(double));
        st = st == PKH_OK && scratch == NULL ? PKH_ENOMEM : st;
    }
    if (st == PKH_OK) {
        st = run_segment(c, &b, &res[0], 0, scratch);
    }
    pkh__free(c->a, scratch, nn * 2 * sizeof(double));
    seg_buf_free(c->a, &b);
    if (st == PKH_OK && c->r.k > 0 && c->groups != NULL) {
        int64_t *order = pkh__alloc(c->a, nn * sizeof *order);
        int64_t *offsets = pkh__alloc(c->a, (size_t)(c->r.k + 1) * sizeof *offsets);
        st = order == NULL || offsets == NULL ? PKH_ENOMEM : PKH_OK;
        if (st == PKH_OK) {
            st = pkh__group_sort(perm, n, c->r.g, c->r.k, c->a, order, offsets);
        }
        for (int64_t g = 0; g < c->r.k && st == PKH_OK; g++) {
            if (offsets[g + 1] == offsets[g]) {
                st = PKH_EEMPTY;
                pkh__errorf(c->err, PKH_EEMPTY, "a group has no usable rows (every income "
                            "missing?): group %lld of --by", (long long)g + 1);
            }
        }
        if (st == PKH_OK) {
            group_job j = {c, order, offsets, res, c->o->threads};
            st = pkh__parallel_for(c->o->threads, c->r.k, group_task, &j);
        }
        pkh__free(c->a, order, nn * sizeof *order);
        pkh__free(c->a, offsets, (size_t)(c->r.k + 1) * sizeof *offsets);
    }
    pkh__free(c->a, perm, nn * sizeof *perm);
    if (st == PKH_ENOMEM) {
        return pkh__enomem(c->err);
    }
    return st;
}

pkh_status pkh_indicators_compute(const pkh_table *table, const pkh_indicators_options *opts,
                                  pkh_table **out, pkh_indicators_info *info, pkh_error *err)
{
    pkh_indicators_options o = *opts;
    pkh_indicator defaults[sizeof default_names / sizeof default_names[0]];
    if (o.indicators == NULL) {
        for (size_t k = 0; k < sizeof default_names / sizeof default_names[0]; k++) {
            pkh_indicator_parse(default_names[k], &defaults[k], NULL);
        }
        /* without a line the default set leaves out the poverty measures */
        int64_t m = 0;
        for (size_t k = 0; k < sizeof default_names / sizeof default_names[0]; k++) {
            if (o.line.kind != PKH_LINE_NONE || !pkh_indicator_needs_line(&defaults[k])) {
                defaults[m++] = defaults[k];
            }
        }
        o.indicators = defaults;
        o.n_indicators = m;
    }
    pkh_status st = check_options(&o, err);
    if (st != PKH_OK) {
        return st;
    }
    ctx c;
    memset(&c, 0, sizeof c);
    c.t = table;
    c.o = &o;
    c.a = pkh_allocator_default();
    c.err = err;
    c.info.rows = table->num_rows;
    if (o.n_by > 0) {
        st = pkh_groups_new(table, o.by, o.n_by, o.filter, o.threads, &c.groups, err);
    }
    if (st == PKH_OK) {
        st = gather(&c);
    }
    c.r.k = c.groups != NULL ? pkh_groups_count(c.groups) : 0;
    c.nseg = 1 + c.r.k;
    if (st == PKH_OK && c.r.n == 0) {
        st = pkh__errorf(err, PKH_EEMPTY, "no usable rows: every row is filtered out or has a "
                         "missing income");
    }
    for (int64_t k = 0; k < o.n_indicators; k++) {
        c.need_sort = c.need_sort || sort_based(&o.indicators[k]);
    }
    c.need_sort = c.need_sort || o.line.kind == PKH_LINE_REL_MEDIAN;
    seg_result *res = NULL;
    if (st == PKH_OK) {
        st = alloc_results(&c, &res);
    }
    if (st == PKH_OK) {
        st = run_all(&c, res);
    }
    out_rows rows_out = {NULL, 0, 0};
    if (st == PKH_OK) {
        st = collect_rows(&c, res, &rows_out);
        st = st == PKH_ENOMEM ? pkh__enomem(err) : st;
    }
    if (st == PKH_OK) {
        st = build_results(&c, &rows_out, out);
    }
    if (st == PKH_OK && info != NULL) {
        c.info.line = c.seg_line[0];
        *info = c.info;
    }
    pkh__free(c.a, rows_out.v, (size_t)rows_out.cap * sizeof *rows_out.v);
    ctx_free(&c, res);
    return st;
}
