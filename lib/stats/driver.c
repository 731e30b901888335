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
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal/design.h"
#include "internal/io.h"
#include "internal/stats.h"
#include "internal/variance.h"

/* ---- the usable rows ---- */

typedef struct rows {
    int64_t n;
    double *x, *w, *z; /* z: per-row lines, NULL for a scalar or relative line */
    int32_t *g;        /* group of each row (0 without groups) */
    int64_t k;         /* groups */
    int64_t *row;      /* table row of each usable row */
    double *size;      /* persons per row (replicate weights), else NULL */
    bool per_row;      /* lines per row (point estimates' records) */
} rows;

/* One resolved contrast: groups g1 - g2 of by column `col`. */
typedef struct pair {
    int64_t g1, g2, col, spec;
} pair;

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
    /* standard errors */
    pkh_design *own_design; /* made here when none was given */
    const pkh_design *design;
    pkh__se_shared sh;
    bool lin;       /* linearised pass (the SEs, or the SRS variances of deff) */
    bool replicate; /* bootstrap or replicate weights */
    double level;
    const pkh_column **repcols;      /* replicate weight columns */
    int64_t *perm, *order, *offsets; /* kept for replicates */
    uint8_t *keep;                   /* per segment: keep influence values (contrasts) */
    /* linearised SEs of the decompositions (decomp_se): the groups keep fgt_decomp's influence
     * values and the population ge_decomp's; dse[(segment * indicators + k) * 3 + part] */
    bool lin_decomp;
    double *dse;
    pair *pairs;
    int64_t n_pairs;
    char (*pair_label)[160];
    /* point estimates: the usable rows as records {key, weight, [line], group} */
    unsigned char *pt_recs;
    size_t pt_size, pt_bytes;
    bool additive; /* every indicator a ratio of sums, no SEs: one pass (run_additive) */
    bool split;    /* the additive ones so, the others from 16-byte records (run_split) */
    /* linearised SEs without replicates: the usable rows gathered straight into run_all's
     * records (LIN_REC bytes each), not into r's arrays */
    unsigned char *lin_recs;
    size_t lin_bytes;
    /* ... dealt out by the top bits of their keys: each bucket's first record (GK_BUCKETS + 1;
     * NULL when not), and the largest bucket's records */
    int64_t *lin_bounds;
    int64_t lin_largest;
} ctx;

static const pkh_column *numeric_column(ctx *c, const char *name, const char *role, pkh_status *st)
{
    const pkh_column *col = NULL;
    *st = pkh_table_column(c->t, name, &col, c->err);
    if (*st != PKH_OK) {
        return NULL;
    }
    if (pkh_column_type(col) == PKH_TYPE_DICT) {
        *st = pkh__errorf(c->err, PKH_ETYPE, "the %s column \"%s\" holds text, not numbers", role,
                          name);
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
            return pkh__errorf(c->err, PKH_EINVAL,
                               "the lines table needs a numeric column "
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

/* ---- the usable rows as records, for point estimates ----
 * Two parallel passes over fixed chunks of rows: count (and check) each chunk's usable rows,
 * then write each chunk's records at its offset. The first invalid row in table order is the
 * one reported, whatever the number of threads. */

enum gp_error {
    GP_OK = 0,
    GP_WEIGHT_MISSING,
    GP_WEIGHT_BAD,
    GP_SIZE_MISSING,
    GP_SIZE_BAD,
    GP_REP_MISSING, /* a replicate weight (the linearisation's and replicates' rows) */
    GP_REP_BAD,
    GP_LINE_MISSING,
    GP_LINE_BAD
};

#define GP_CHUNK ((int64_t)1 << 16)
#define GK_BITS 11 /* the buckets of a sort's first pass, made by the pass that writes */
#define GK_BUCKETS ((int64_t)1 << GK_BITS)

typedef struct gp_chunk {
    int64_t count, filtered, missing_income, missing_key, nonpositive, negative;
    int64_t err_row;
    int err;
} gp_chunk;

typedef struct gp_job {
    ctx *c;
    const pkh_column *xc, *wc, *sc, *zc;
    const double *zl;
    const int32_t *gid;
    gp_chunk *chunks;
    int64_t nrows;
    bool write;
    /* when not NULL: [chunk][bucket] counts of the usable rows by (key(x) >> shift) &
     * (GK_BUCKETS - 1) (gp_task), then where the chunk's next record goes (ga_write) */
    int64_t *hist;
    int shift;
    /* set by gp_setup when every row is read the plain way: no filter or replicate weights,
     * and the income, weight, size and line columns (those given) hold int64s or doubles with
     * no validity bitmap; each as doubles (.d) or int64s (.i) */
    bool plain;
    struct gp_num {
        const double *d;
        const int64_t *i;
    } px, pw, ps, pz;
} gp_job;

enum { ROW_OK = 0, ROW_FILTERED = 1, ROW_NO_INCOME = 2, ROW_NO_KEY = 3, ROW_ERROR = 10 };

static inline double gp_num_at(struct gp_num n, int64_t i)
{
    return n.d != NULL ? n.d[i] : (double)n.i[i];
}

/* gp_row for the rows that are not plain (gp_job.plain): every check. */
static int gp_row_checked(const gp_job *j, int64_t i, double *x, double *w, double *z, int32_t *g)
{
    const pkh_indicators_options *o = j->c->o;
    if (o->filter != NULL && !o->filter[i]) {
        return ROW_FILTERED;
    }
    *x = valid_at(j->xc, i) ? num_at(j->xc, i) : NAN;
    if (*x != *x) {
        return ROW_NO_INCOME;
    }
    *g = j->gid != NULL ? j->gid[i] : 0;
    if (*g < 0) {
        return ROW_NO_KEY;
    }
    /* a weight or size that is missing is named so; a NaN value is an invalid one (README) */
    *w = 1;
    if (j->wc != NULL) {
        if (!valid_at(j->wc, i)) {
            return ROW_ERROR + GP_WEIGHT_MISSING;
        }
        *w = num_at(j->wc, i);
        if (!(*w >= 0) || !isfinite(*w)) {
            return ROW_ERROR + GP_WEIGHT_BAD;
        }
    }
    if (j->sc != NULL) {
        if (!valid_at(j->sc, i)) {
            return ROW_ERROR + GP_SIZE_MISSING;
        }
        const double sz = num_at(j->sc, i);
        if (!(sz >= 0) || !isfinite(sz)) {
            return ROW_ERROR + GP_SIZE_BAD;
        }
        *w *= sz;
    }
    const pkh_indicators_options *so = j->c->o;
    for (int64_t r = 0; j->c->repcols != NULL && r < so->se.n_repweights; r++) {
        const double v = valid_at(j->c->repcols[r], i) ? num_at(j->c->repcols[r], i) : NAN;
        if (!(v >= 0) || !isfinite(v)) {
            return ROW_ERROR + (v != v ? GP_REP_MISSING : GP_REP_BAD);
        }
    }
    *z = 0;
    if (j->zc != NULL || j->zl != NULL) {
        *z = j->zc != NULL ? (valid_at(j->zc, i) ? num_at(j->zc, i) : NAN) : j->zl[i];
        if (*z != *z) {
            return ROW_ERROR + GP_LINE_MISSING;
        }
        if (!(*z > 0) || !isfinite(*z)) {
            return ROW_ERROR + GP_LINE_BAD;
        }
    }
    return ROW_OK;
}

/* Classify row i; for a usable row fill its income, person weight, line and group. An invalid
 * row returns ROW_ERROR + its gp_error. */
static inline int gp_row(const gp_job *j, int64_t i, double *x, double *w, double *z, int32_t *g)
{
    if (j->plain) { /* the usable rows of a plain job without a branch per column kind */
        const double xv = gp_num_at(j->px, i);
        const int32_t gv = j->gid != NULL ? j->gid[i] : 0;
        const double wv = j->pw.d != NULL || j->pw.i != NULL ? gp_num_at(j->pw, i) : 1;
        const double sv = j->ps.d != NULL || j->ps.i != NULL ? gp_num_at(j->ps, i) : 1;
        const double zv = j->pz.d != NULL || j->pz.i != NULL ? gp_num_at(j->pz, i)
                          : j->zl != NULL                    ? j->zl[i]
                                                             : 1;
        if (xv == xv && gv >= 0 && wv >= 0 && wv <= DBL_MAX && sv >= 0 && sv <= DBL_MAX && zv > 0 &&
            zv <= DBL_MAX) {
            *x = xv;
            *g = gv;
            *w = wv * sv;
            *z = j->pz.d != NULL || j->pz.i != NULL || j->zl != NULL ? zv : 0;
            return ROW_OK;
        }
    }
    return gp_row_checked(j, i, x, w, z, g);
}

/* Count a skipped row, or record the chunk's first error; true when the row is usable. */
static inline bool gp_tally(gp_chunk *local, gp_chunk *ch, int kind, int64_t i)
{
    switch (kind) {
    case ROW_OK:
        return true;
    case ROW_FILTERED:
        local->filtered++;
        return false;
    case ROW_NO_INCOME:
        local->missing_income++;
        return false;
    case ROW_NO_KEY:
        local->missing_key++;
        return false;
    default:
        if (ch->err == GP_OK) {
            ch->err = kind - ROW_ERROR;
            ch->err_row = i;
        }
        return false;
    }
}

static pkh_status gp_task(void *vctx, int64_t k)
{
    gp_job *j = vctx;
    ctx *c = j->c;
    gp_chunk *ch = &j->chunks[k];
    const int64_t from = k * GP_CHUNK, to = from + GP_CHUNK < j->nrows ? from + GP_CHUNK : j->nrows;
    const bool per_row = j->zc != NULL || j->zl != NULL;
    int64_t m = j->write ? ch->count : 0; /* the chunk's first record (offset) when writing */
    gp_chunk local;
    memset(&local, 0, sizeof local);
    for (int64_t i = from; i < to && ch->err == GP_OK; i++) {
        double x, w, z;
        int32_t g;
        if (!gp_tally(&local, ch, gp_row(j, i, &x, &w, &z, &g), i)) {
            continue;
        }
        if (j->write) {
            uint64_t *r = (uint64_t *)(void *)(c->pt_recs + (size_t)m * c->pt_size);
            r[0] = pkh__double_key(x);
            memcpy(&r[1], &w, 8);
            if (per_row) {
                memcpy(&r[2], &z, 8);
            }
            r[c->pt_size / 8 - 1] = (uint64_t)(int64_t)g;
        }
        if (j->hist != NULL) {
            j->hist[k * GK_BUCKETS +
                    (int64_t)((pkh__double_key(x) >> j->shift) & (GK_BUCKETS - 1))]++;
        }
        m++;
        local.nonpositive += x <= 0;
        local.negative += x < 0;
    }
    if (!j->write && ch->err == GP_OK) {
        local.count = m;
        *ch = local;
    }
    return PKH_OK;
}

/* A column's values for a plain job (gp_job.plain), or false; no column is plain. */
static bool gp_plain(const pkh_column *col, struct gp_num *n)
{
    n->d = NULL;
    n->i = NULL;
    if (col == NULL) {
        return true;
    }
    if (col->validity != NULL) {
        return false;
    }
    if (col->type == PKH_TYPE_FLOAT64) {
        n->d = col->values;
    } else if (col->type == PKH_TYPE_INT64) {
        n->i = col->values;
    }
    return n->d != NULL || n->i != NULL;
}

/* Resolve the columns (and the looked-up lines into *zl) of a row pass. */
static pkh_status gp_setup(ctx *c, gp_job *j, double **zl)
{
    const pkh_indicators_options *o = c->o;
    pkh_status st = PKH_OK;
    memset(j, 0, sizeof *j);
    j->c = c;
    j->nrows = c->t->num_rows;
    j->xc = numeric_column(c, o->income, "income", &st);
    j->wc = st == PKH_OK && o->weight ? numeric_column(c, o->weight, "weight", &st) : NULL;
    j->sc = st == PKH_OK && o->size ? numeric_column(c, o->size, "size", &st) : NULL;
    j->zc = st == PKH_OK && o->line.kind == PKH_LINE_COLUMN
                ? numeric_column(c, o->line.column, "line", &st)
                : NULL;
    *zl = NULL;
    if (st == PKH_OK && o->line.kind == PKH_LINE_LOOKUP) {
        st = lookup_lines(c, zl);
    }
    j->zl = *zl;
    j->gid = c->groups != NULL ? pkh_groups_ids(c->groups) : NULL;
    c->r.per_row = j->zc != NULL || *zl != NULL;
    if (st == PKH_OK) {
        j->plain = o->filter == NULL && (c->repcols == NULL || o->se.n_repweights == 0) &&
                   gp_plain(j->xc, &j->px) && gp_plain(j->wc, &j->pw) && gp_plain(j->sc, &j->ps) &&
                   gp_plain(j->zc, &j->pz);
    }
    const int64_t chunks = (j->nrows + GP_CHUNK - 1) / GP_CHUNK;
    if (st == PKH_OK) {
        j->chunks = pkh__calloc(c->a, (size_t)(chunks > 0 ? chunks : 1), sizeof *j->chunks);
        st = j->chunks == NULL ? pkh__enomem(c->err) : PKH_OK;
    }
    return st;
}

/* After the counting pass: the first error in table order, the counts, the chunks' offsets. */
/* The first replicate weight column that gp_row finds bad at row i (the error path only). */
static const char *bad_repweight(const ctx *c, int64_t i)
{
    for (int64_t r = 0; r < c->o->se.n_repweights; r++) {
        const double v = valid_at(c->repcols[r], i) ? num_at(c->repcols[r], i) : NAN;
        if (!(v >= 0) || !isfinite(v)) {
            return c->o->se.repweights[r];
        }
    }
    return "";
}

static pkh_status gp_counts(ctx *c, gp_job *j)
{
    const pkh_indicators_options *o = c->o;
    const int64_t chunks = (j->nrows + GP_CHUNK - 1) / GP_CHUNK;
    int64_t total = 0;
    for (int64_t k = 0; k < chunks; k++) {
        gp_chunk *ch = &j->chunks[k];
        if (ch->err != GP_OK) {
            static const char *const what[] = {"",
                                               "missing weight",
                                               "negative or invalid weight",
                                               "missing household size",
                                               "negative or invalid household size",
                                               "missing replicate weight",
                                               "negative or invalid replicate weight",
                                               "missing poverty line",
                                               "non-positive poverty line"};
            const char *col = ch->err <= GP_WEIGHT_BAD ? o->weight
                              : ch->err <= GP_SIZE_BAD ? o->size
                              : ch->err <= GP_REP_BAD  ? bad_repweight(c, ch->err_row)
                              : j->zc != NULL          ? o->line.column
                                                       : "(lines table)";
            return row_error(c, what[ch->err], col, ch->err_row);
        }
        c->info.filtered_out += ch->filtered;
        c->info.missing_income += ch->missing_income;
        c->info.missing_key += ch->missing_key;
        c->info.nonpositive += ch->nonpositive;
        c->info.negative += ch->negative;
        const int64_t count = ch->count;
        ch->count = total; /* now the offset */
        total += count;
    }
    c->r.n = total;
    c->info.used = total;
    return PKH_OK;
}

static void gp_free(ctx *c, gp_job *j, double *zl)
{
    const int64_t chunks = (j->nrows + GP_CHUNK - 1) / GP_CHUNK;
    pkh__free(c->a, j->chunks, (size_t)(chunks > 0 ? chunks : 1) * sizeof *j->chunks);
    pkh__free(c->a, zl, (size_t)(j->nrows > 0 ? j->nrows : 1) * sizeof *zl);
}

/* ---- the incomes' range, for sort keys ----
 * The greatest key (pkh__double_key) and the complement of the least (0: none), of every
 * income and of the positive ones, and whether a zero or a negative income occurs, over every
 * row with a valid income (a superset of the used ones: filtered rows count). */

typedef struct xrange {
    uint64_t r[4]; /* max, ~min, max positive, ~min positive */
    bool zero, negative;
} xrange;

typedef struct xr_job {
    const pkh_column *xc;
    int64_t nrows;
    xrange *parts; /* per chunk of rows */
} xr_job;

static pkh_status xr_task(void *vctx, int64_t k)
{
    xr_job *j = vctx;
    const int64_t from = k * GP_CHUNK, to = from + GP_CHUNK < j->nrows ? from + GP_CHUNK : j->nrows;
    uint64_t r[4] = {0, 0, 0, 0};
    bool zero = false, negative = false;
    if (j->xc->type == PKH_TYPE_FLOAT64 && j->xc->validity == NULL) {
        /* doubles with nothing missing: branch-free (a NaN fails every comparison) */
        const double *v = (const double *)j->xc->values;
        double lo = HUGE_VAL, hi = -HUGE_VAL, plo = HUGE_VAL, phi = 0;
        int64_t zeros = 0, i = from;
#ifdef __SSE2__
        /* two at a time: minpd and maxpd keep their second operand when the first is NaN */
        __m128d vlo = _mm_set1_pd(HUGE_VAL), vhi = _mm_set1_pd(-HUGE_VAL);
        __m128d vplo = vlo, vphi = _mm_setzero_pd();
        __m128i vzeros = _mm_setzero_si128();
        const __m128d vzero = _mm_setzero_pd(), inf = _mm_set1_pd(HUGE_VAL);
        for (; i + 2 <= to; i += 2) {
            const __m128d x = _mm_loadu_pd(v + i);
            vlo = _mm_min_pd(x, vlo);
            vhi = _mm_max_pd(x, vhi);
            const __m128d pos = _mm_cmpgt_pd(x, vzero);
            vplo = _mm_min_pd(_mm_or_pd(_mm_and_pd(pos, x), _mm_andnot_pd(pos, inf)), vplo);
            vphi = _mm_max_pd(x, vphi);
            vzeros = _mm_sub_epi64(vzeros, _mm_castpd_si128(_mm_cmpeq_pd(x, vzero)));
        }
        double a[2];
        _mm_storeu_pd(a, vlo);
        lo = a[0] < a[1] ? a[0] : a[1];
        _mm_storeu_pd(a, vhi);
        hi = a[0] > a[1] ? a[0] : a[1];
        _mm_storeu_pd(a, vplo);
        plo = a[0] < a[1] ? a[0] : a[1];
        _mm_storeu_pd(a, vphi);
        phi = a[0] > a[1] ? a[0] : a[1];
        int64_t zc[2];
        _mm_storeu_si128((__m128i *)(void *)zc, vzeros);
        zeros = zc[0] + zc[1];
#endif
        for (; i < to; i++) {
            const double x = v[i];
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            plo = x > 0 && x < plo ? x : plo;
            phi = x > phi ? x : phi;
            zeros += x == 0;
        }
        if (lo <= hi) {
            r[0] = pkh__double_key(hi);
            r[1] = ~pkh__double_key(lo);
        }
        if (phi > 0) {
            r[2] = pkh__double_key(phi);
            r[3] = ~pkh__double_key(plo);
        }
        memcpy(j->parts[k].r, r, sizeof r);
        j->parts[k].zero = zeros > 0;
        j->parts[k].negative = lo < 0;
        return PKH_OK;
    }
    for (int64_t i = from; i < to; i++) {
        if (!valid_at(j->xc, i)) {
            continue;
        }
        const double x = num_at(j->xc, i);
        if (x != x) {
            continue; /* a NaN is a missing income */
        }
        const uint64_t key = pkh__double_key(x);
        r[0] = key > r[0] ? key : r[0];
        r[1] = ~key > r[1] ? ~key : r[1];
        if (x > 0) {
            r[2] = key > r[2] ? key : r[2];
            r[3] = ~key > r[3] ? ~key : r[3];
        } else {
            zero = zero || x == 0;
            negative = negative || x < 0;
        }
    }
    memcpy(j->parts[k].r, r, sizeof r);
    j->parts[k].zero = zero;
    j->parts[k].negative = negative;
    return PKH_OK;
}

static pkh_status income_range(ctx *c, const pkh_column *xc, int64_t nrows, xrange *out)
{
    const int64_t chunks = (nrows + GP_CHUNK - 1) / GP_CHUNK;
    const size_t nc = (size_t)(chunks > 0 ? chunks : 1);
    xr_job j = {xc, nrows, pkh__alloc(c->a, nc * sizeof(xrange))};
    if (j.parts == NULL) {
        return pkh__enomem(c->err);
    }
    pkh__parallel_for(c->o->threads, chunks, xr_task, &j);
    memset(out, 0, sizeof *out);
    for (int64_t ch = 0; ch < chunks; ch++) {
        for (int m = 0; m < 4; m++) {
            out->r[m] = j.parts[ch].r[m] > out->r[m] ? j.parts[ch].r[m] : out->r[m];
        }
        out->zero = out->zero || j.parts[ch].zero;
        out->negative = out->negative || j.parts[ch].negative;
    }
    pkh__free(c->a, j.parts, nc * sizeof(xrange));
    return PKH_OK;
}

/* The shift that takes a key in [lo, hi] to its bucket: (key >> shift) & (GK_BUCKETS - 1),
 * the top GK_BITS bits that vary. */
static int bucket_shift(uint64_t lo, uint64_t hi)
{
    const int top = lo >= hi ? 0 : 64 - __builtin_clzll(lo ^ hi);
    return top > GK_BITS ? top - GK_BITS : 0;
}

/* From each chunk's counts by bucket (hist[chunk][bucket]), where each chunk's first record of
 * each bucket goes (into hist: buckets in order, chunks in order within each), each bucket's
 * first record (bounds, GK_BUCKETS + 1) and the largest bucket's records (returned). */
static int64_t bucket_offsets(int64_t *hist, int64_t chunks, int64_t *bounds)
{
    int64_t total = 0, largest = 0;
    for (int64_t d = 0; d < GK_BUCKETS; d++) {
        bounds[d] = total;
        for (int64_t ch = 0; ch < chunks; ch++) {
            const int64_t m = hist[ch * GK_BUCKETS + d];
            hist[ch * GK_BUCKETS + d] = total;
            total += m;
        }
        largest = total - bounds[d] > largest ? total - bounds[d] : largest;
    }
    bounds[GK_BUCKETS] = total;
    return largest;
}

/* run_all's records: {key(income), weight, line, table row, compact row, group | unit << 32} */
#define LIN_REC 48

/* The linearisation's and the replicates' rows: gp_task's counting pass, then this writing
 * pass into r's arrays, or, for the linearisation alone, straight into run_all's records. */
typedef struct ga_job {
    const gp_job *gp;
    unsigned char *recs;
} ga_job;

static pkh_status ga_write(void *vctx, int64_t k)
{
    const ga_job *ja = vctx;
    const gp_job *j = ja->gp;
    ctx *c = j->c;
    const int64_t from = k * GP_CHUNK, to = from + GP_CHUNK < j->nrows ? from + GP_CHUNK : j->nrows;
    int64_t m = j->chunks[k].count; /* the chunk's first compact row */
    for (int64_t i = from; i < to; i++) {
        double x, w, z;
        int32_t g;
        if (gp_row(j, i, &x, &w, &z, &g) != ROW_OK) {
            continue; /* counted by the counting pass */
        }
        if (ja->recs != NULL) {
            const uint64_t key = pkh__double_key(x);
            const int64_t at =
                j->hist != NULL
                    ? j->hist[k * GK_BUCKETS + (int64_t)((key >> j->shift) & (GK_BUCKETS - 1))]++
                    : m;
            uint64_t *r = (uint64_t *)(void *)(ja->recs + (size_t)at * LIN_REC);
            r[0] = key;
            memcpy(&r[1], &w, 8);
            memcpy(&r[2], &z, 8);
            r[3] = (uint64_t)i;
            r[4] = (uint64_t)m;
            const uint32_t unit = c->design != NULL ? (uint32_t)pkh__design_unit(c->design, i) : 0;
            r[5] = (uint64_t)(uint32_t)g | ((uint64_t)unit << 32);
        } else {
            if (c->r.z != NULL) {
                c->r.z[m] = z;
            }
            c->r.x[m] = x;
            c->r.w[m] = w;
            c->r.g[m] = g;
            c->r.row[m] = i;
            if (c->r.size != NULL) {
                c->r.size[m] = j->sc != NULL ? num_at(j->sc, i) : 1; /* valid: checked */
            }
        }
        m++;
    }
    return PKH_OK;
}

static pkh_status gather(ctx *c)
{
    gp_job j;
    double *zl = NULL;
    pkh_status st = gp_setup(c, &j, &zl);
    const size_t nn = (size_t)(j.nrows > 0 ? j.nrows : 1);
    const int64_t chunks = (j.nrows + GP_CHUNK - 1) / GP_CHUNK;
    /* only the replicates read r's arrays; the linearisation takes the rows as records */
    const bool arrays = !c->lin || c->replicate;
    if (st == PKH_OK && arrays) {
        c->r.x = pkh__alloc(c->a, nn * sizeof(double));
        c->r.w = pkh__alloc(c->a, nn * sizeof(double));
        c->r.z = c->r.per_row ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
        c->r.g = pkh__alloc(c->a, nn * sizeof(int32_t));
        c->r.row = pkh__alloc(c->a, nn * sizeof(int64_t));
        c->r.size = c->repcols != NULL ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
        if (c->r.x == NULL || c->r.w == NULL || (c->r.per_row && c->r.z == NULL) ||
            c->r.g == NULL || c->r.row == NULL || (c->repcols != NULL && c->r.size == NULL)) {
            st = pkh__enomem(c->err);
        }
    }
    const size_t hbytes = (size_t)(chunks > 0 ? chunks : 1) * GK_BUCKETS * sizeof(int64_t);
    if (st == PKH_OK && !arrays && c->need_sort) {
        /* the records go straight to the buckets of the sort's first pass */
        xrange x;
        memset(&x, 0, sizeof x);
        st = income_range(c, j.xc, j.nrows, &x);
        j.shift = bucket_shift(~x.r[1], x.r[0]);
        j.hist = st == PKH_OK ? pkh__calloc(c->a, hbytes / sizeof(int64_t), sizeof(int64_t)) : NULL;
        c->lin_bounds = st == PKH_OK ? pkh__alloc(c->a, (GK_BUCKETS + 1) * sizeof(int64_t)) : NULL;
        st = st == PKH_OK && (j.hist == NULL || c->lin_bounds == NULL) ? pkh__enomem(c->err) : st;
    }
    if (st == PKH_OK) {
        pkh__parallel_for(c->o->threads, chunks, gp_task, &j);
        st = gp_counts(c, &j);
    }
    if (st == PKH_OK && j.hist != NULL) {
        c->lin_largest = bucket_offsets(j.hist, chunks, c->lin_bounds);
    }
    if (st == PKH_OK && !arrays) {
        c->lin_bytes = (size_t)(c->r.n > 0 ? c->r.n : 1) * LIN_REC;
        c->lin_recs = pkh__alloc(c->a, c->lin_bytes);
        st = c->lin_recs == NULL ? pkh__enomem(c->err) : PKH_OK;
    }
    if (st == PKH_OK) {
        ga_job ja = {&j, c->lin_recs};
        pkh__parallel_for(c->o->threads, chunks, ga_write, &ja);
    }
    pkh__free(c->a, j.hist, hbytes);
    gp_free(c, &j, zl);
    return st;
}

static pkh_status gather_points(ctx *c)
{
    gp_job j;
    double *zl = NULL;
    pkh_status st = gp_setup(c, &j, &zl);
    const size_t nn = (size_t)(j.nrows > 0 ? j.nrows : 1);
    const int64_t chunks = (j.nrows + GP_CHUNK - 1) / GP_CHUNK;
    if (st == PKH_OK) {
        c->pt_size = c->r.per_row ? 32 : 24;
        c->pt_bytes = nn * c->pt_size;
        c->pt_recs = pkh__alloc(c->a, c->pt_bytes);
        st = c->pt_recs == NULL ? pkh__enomem(c->err) : PKH_OK;
    }
    if (st == PKH_OK) {
        pkh__parallel_for(c->o->threads, chunks, gp_task, &j);
        st = gp_counts(c, &j);
    }
    if (st == PKH_OK) {
        j.write = true;
        pkh__parallel_for(c->o->threads, chunks, gp_task, &j);
    }
    gp_free(c, &j, zl);
    return st;
}

/* ---- segments ---- */

typedef struct seg_buf {
    double *x, *w, *z, *cw, *cwx;
    int64_t *row, *cid; /* table row and compact row of each position */
    int32_t *unit;      /* design unit of each position (for the variance), or NULL */
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
    pkh__free(a, b->row, nn);
    pkh__free(a, b->cid, nn);
    pkh__free(a, b->unit, nn / 2);
    memset(b, 0, sizeof *b);
}

/* Which arrays a segment's buffers hold, beside x and w. */
typedef struct seg_shape {
    bool z;      /* per-row lines */
    bool prefix; /* cumulative sums: for the measures on the income order */
    bool rows;   /* table and compact rows: for the linearisation (variance, estimated line) */
    bool unit;   /* design units */
} seg_shape;

static seg_shape seg_shape_of(const ctx *c)
{
    return (seg_shape){c->r.per_row, c->need_sort || c->lin || c->replicate, c->lin,
                       c->lin && c->design != NULL};
}

static pkh_status seg_buf_alloc(ctx *c, seg_buf *b, int64_t n)
{
    const seg_shape sh = seg_shape_of(c);
    const size_t nn = (size_t)(n > 0 ? n : 1) * sizeof(double);
    b->n = n;
    b->x = pkh__alloc(c->a, nn);
    b->w = pkh__alloc(c->a, nn);
    b->z = sh.z ? pkh__alloc(c->a, nn) : NULL;
    b->cw = sh.prefix ? pkh__alloc(c->a, nn) : NULL;
    b->cwx = sh.prefix ? pkh__alloc(c->a, nn) : NULL;
    b->row = sh.rows ? pkh__alloc(c->a, nn) : NULL;
    b->cid = sh.rows ? pkh__alloc(c->a, nn) : NULL;
    b->unit = sh.unit ? pkh__alloc(c->a, nn / 2) : NULL;
    if (b->x == NULL || b->w == NULL || (sh.z && b->z == NULL) ||
        (sh.prefix && (b->cw == NULL || b->cwx == NULL)) ||
        (sh.rows && (b->row == NULL || b->cid == NULL)) || (sh.unit && b->unit == NULL)) {
        return pkh__enomem(c->err);
    }
    return PKH_OK;
}

/* One output row before assembly. */
typedef struct out_row {
    int64_t seg; /* 0: whole population; 1 + g: group g */
    char name[64];
    pkh__est est;
    int64_t k;    /* indicator, or -1 (decomposition parts) */
    int64_t pair; /* a contrast (index into ctx.pairs), or -1 */
    double se, lo, hi, deff;
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
    r->k = -1;
    r->pair = -1;
    r->se = r->lo = r->hi = r->deff = NAN;
    return PKH_OK;
}

/* Per segment results of every (non-decomposition) indicator, for the decompositions. */
typedef struct seg_result {
    pkh__est *est;   /* one per requested indicator */
    pkh__se_row *se; /* linearised SEs, one per indicator */
    double **infl;   /* kept influence values (contrasts), one per indicator, or NULL */
    int64_t *rows;   /* kept table rows (contrasts) */
    int64_t n;
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

/* Bytes of the scratch space a segment of n rows needs: Sen and SST copy out the poor (two
 * doubles a row); nothing else uses it, so no fresh memory is faulted in for it. */
static size_t scratch_bytes(const ctx *c, int64_t n)
{
    for (int64_t k = 0; k < c->o->n_indicators; k++) {
        const pkh_indicator_kind kind = c->o->indicators[k].kind;
        if (kind == PKH_IND_SEN || kind == PKH_IND_SST) {
            return (size_t)(n > 0 ? n : 1) * 2 * sizeof(double);
        }
    }
    return sizeof(double);
}

/* The value of one indicator on a segment. */
static pkh__est compute_one(ctx *c, const pkh__seg *s, const pkh_indicator *ind, double *scratch,
                            const double *fgt3, pkh_status *st)
{
    const pkh_quantile_rule rule = c->o->quantile_rule;
    const pkh__est all = {NAN, s->n, s->W};
    pkh__est e = all;
    switch (ind->kind) {
    case PKH_IND_FGT:
        if (fgt3 != NULL && (ind->a == 0 || ind->a == 1 || ind->a == 2)) {
            return (pkh__est){fgt3[(int)ind->a] / s->W, s->n, s->W};
        }
        return pkh__seg_fgt(s, ind->a);
    case PKH_IND_WATTS:
        return pkh__seg_watts(s);
    case PKH_IND_SEN:
        return pkh__seg_sen(s, scratch);
    case PKH_IND_SST:
        return pkh__seg_sst(s, scratch, c->a, st);
    case PKH_IND_POOR:
        return fgt3 != NULL ? (pkh__est){fgt3[0], s->n, s->W} : pkh__seg_poor(s);
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
        e.value = s->cw != NULL ? pkh__seg_gini(s) : pkh__gini_sorted(s->x, s->w, s->n);
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

static bool additive(const pkh_indicator *ind);

/* Indicator k on a segment, into res. */
static pkh_status estimate_one(ctx *c, const pkh__seg *s, seg_result *res, int64_t k,
                               double *scratch, const double *fgt3)
{
    const pkh_indicator *ind = &c->o->indicators[k];
    pkh_status st = PKH_OK;
    res->est[k] = compute_one(c, s, ind, scratch, fgt3, &st);
    if (ind->kind == PKH_IND_GE_DECOMP) {
        /* the GE population's weight and income, for the between-group term */
        const int64_t from = pkh__seg_first_nonneg(s, ind->a <= 0);
        pkh__weighted_totals(s->x, s->w, from, s->n, &res->ge_w[k], &res->ge_sx[k]);
    }
    return st;
}

/* How many of the indicators FGT 0, 1, 2 and the poor give (more than one: one pass for all). */
static int fgt012_uses(const pkh_indicators_options *o)
{
    int uses = 0;
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator *ind = &o->indicators[k];
        uses += ind->kind == PKH_IND_POOR ||
                (ind->kind == PKH_IND_FGT && (ind->a == 0 || ind->a == 1 || ind->a == 2));
    }
    return uses;
}

/* Every indicator on segment `si` (prefix sums done), its line from seg_line[0] when the whole
 * population's line applies; writes seg_line[si]. */
static pkh_status estimate_segment(ctx *c, pkh__seg *s, seg_result *res, int64_t si,
                                   double *seg_line, double *scratch, bool replicate)
{
    const pkh_indicators_options *o = c->o;
    res->W = s->W;
    res->SX = s->SX;
    if (c->split) { /* the line and the additive indicators came from the additive pass */
        pkh_status st = PKH_OK;
        for (int64_t k = 0; k < o->n_indicators && st == PKH_OK; k++) {
            if (!additive(&o->indicators[k])) {
                st = estimate_one(c, s, res, k, scratch, NULL);
            }
        }
        return st;
    }
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
                                        ? pkh__seg_quantile(s, 0.5, o->quantile_rule)
                                        : s->SX / s->W);
        } else {
            line = seg_line[0];
        }
        break;
    default:
        break;
    }
    s->line = line;
    /* the mean of per-row lines is for the metadata (not needed in replicates) */
    seg_line[si] = s->z == NULL ? line
                   : replicate  ? NAN
                   : s->pre     ? s->pre_line / s->W
                                : pkh__seg_line(s).value;
    res->line = seg_line[si];
    /* FGT 0, 1, 2 and the poor in one pass (or from the prefix pass) */
    const int fgt_uses = fgt012_uses(o);
    double fgt3[3];
    if (fgt_uses > 1 && s->pre) {
        memcpy(fgt3, s->pre_fgt, sizeof fgt3);
    } else if (fgt_uses > 1) {
        pkh__seg_fgt012(s, fgt3);
    }
    pkh_status st = PKH_OK;
    for (int64_t k = 0; k < o->n_indicators && st == PKH_OK; k++) {
        st = estimate_one(c, s, res, k, scratch, fgt_uses > 1 ? fgt3 : NULL);
    }
    return st;
}

/* Compute every indicator on segment `si`, and their linearised SEs. */
/* Every indicator's estimate on segment `si`; the segment (prefix sums done) into *s. */
static pkh_status run_segment(ctx *c, seg_buf *b, seg_result *res, int64_t si, double *scratch,
                              pkh__seg *s)
{
    memset(s, 0, sizeof *s);
    s->x = b->x;
    s->w = b->w;
    s->z = b->z;
    s->n = b->n;
    /* a line known before the segment's distribution: FGT 0, 1, 2 in the prefix pass */
    const bool fixed_line = s->z != NULL || c->o->line.kind == PKH_LINE_VALUE;
    if (b->cw != NULL && fixed_line && !c->split && fgt012_uses(c->o) > 1) {
        s->line = c->o->line.kind == PKH_LINE_VALUE ? c->o->line.value : NAN;
        pkh__seg_prefix_poverty(s, b->cw, b->cwx);
    } else if (b->cw != NULL) {
        pkh__seg_prefix(s, b->cw, b->cwx);
    } else {
        pkh__seg_totals(s);
    }
    return estimate_segment(c, s, res, si, c->seg_line, scratch, false);
}

/* Linearised SEs of segment `si` (estimated by run_segment). `prepare`: only the whole
 * population's line, for the groups' cross terms. */
/* The SE computation's inputs for segment si. */
static pkh__seg_se_in se_input(const ctx *c, const seg_buf *b, const pkh__seg *s,
                               const seg_result *res, int64_t si, bool prepare, int threads)
{
    const pkh_indicators_options *o = c->o;
    const bool rel = o->line.kind == PKH_LINE_REL_MEDIAN || o->line.kind == PKH_LINE_REL_MEAN;
    return (pkh__seg_se_in){s,
                            b->row,
                            b->cid,
                            o->indicators,
                            prepare ? 0 : o->n_indicators,
                            res->est,
                            &o->line,
                            rel,
                            rel && (si == 0 || o->line_by_group),
                            prepare,
                            threads,
                            b->unit};
}

/* Whether segment si keeps indicator k's influence values: for a contrast (every indicator but
 * the decompositions, in the groups of a pair), or for a decomposition's linearised SEs
 * (fgt_decomp's in every group, ge_decomp's in the whole population: decomp_se). */
static bool keeps(const ctx *c, int64_t si, int64_t k)
{
    const pkh_indicator_kind kind = c->o->indicators[k].kind;
    if (kind == PKH_IND_FGT_DECOMP || kind == PKH_IND_GE_DECOMP) {
        return c->lin_decomp && (kind == PKH_IND_FGT_DECOMP ? si > 0 : si == 0);
    }
    return c->keep != NULL && c->keep[si];
}

static bool keeps_any(const ctx *c, int64_t si)
{
    bool any = false;
    for (int64_t k = 0; k < c->o->n_indicators && !any; k++) {
        any = keeps(c, si, k);
    }
    return any;
}

static pkh_status se_segment(ctx *c, const seg_buf *b, const pkh__seg *s, seg_result *res,
                             int64_t si, bool prepare, int threads)
{
    const pkh_indicators_options *o = c->o;
    const pkh__seg_se_in in = se_input(c, b, s, res, si, prepare, threads);
    pkh_status st = PKH_OK;
    if (!prepare && keeps_any(c, si)) {
        const size_t nn = (size_t)(b->n > 0 ? b->n : 1);
        res->n = b->n;
        res->rows = pkh__alloc(c->a, nn * sizeof(int64_t));
        st = res->rows == NULL ? PKH_ENOMEM : PKH_OK;
        for (int64_t k = 0; k < o->n_indicators && st == PKH_OK; k++) {
            if (keeps(c, si, k)) {
                res->infl[k] = pkh__alloc(c->a, nn * sizeof(double));
                st = res->infl[k] == NULL ? PKH_ENOMEM : PKH_OK;
            }
        }
        if (st == PKH_OK) {
            memcpy(res->rows, b->row, (size_t)b->n * sizeof(int64_t));
        }
    }
    if (st == PKH_OK) {
        st = pkh__seg_se(&c->sh, &in, res->se, res->rows != NULL ? res->infl : NULL);
    }
    return st;
}

typedef struct group_job {
    ctx *c;
    const int64_t *offsets; /* k + 1 */
    seg_result *res;        /* per segment; groups start at 1 */
    seg_buf *b0;            /* the whole population's buffers */
    seg_buf *grouped;       /* b0's rows group by group (group g from offsets[g]) */
    pkh__seg *s0;           /* its segment: estimated first by thread 0 when `late` */
    bool late;
    /* The whole population's SEs, beside the groups: thread 0 takes its indicators one by one
     * (split) or all at once (not splittable), the other threads the groups; each thread then
     * helps with what is left of the other kind. */
    pkh__seg_se_in tin;
    pkh__seg_se_split split;
    bool split_ok;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool ready; /* thread 0 has made tin and split (or failed: tstatus) */
    pkh_status tstatus;
    atomic_llong next_t; /* the whole population's next indicator */
    atomic_llong next_g; /* the next group */
    atomic_bool failed;
} group_job;

/* A group's stretch of the grouped buffers (borrowed: not freed). */
static seg_buf group_slice(const seg_buf *all, int64_t from, int64_t n)
{
    seg_buf b;
    memset(&b, 0, sizeof b);
    b.n = n;
    b.x = all->x + from;
    b.w = all->w + from;
    b.z = all->z != NULL ? all->z + from : NULL;
    b.cw = all->cw != NULL ? all->cw + from : NULL;
    b.cwx = all->cwx != NULL ? all->cwx + from : NULL;
    b.row = all->row != NULL ? all->row + from : NULL;
    b.cid = all->cid != NULL ? all->cid + from : NULL;
    b.unit = all->unit != NULL ? all->unit + from : NULL;
    return b;
}

/* The whole population's buffers dealt out to the groups, keeping their order (a stable
 * counting sort on every core: each thread's rows follow the previous thread's within every
 * group): sequential reads, one write stream per group, instead of each group gathering its
 * rows from all over the population's buffers. */
typedef struct gs_job {
    const seg_buf *src;
    seg_buf *dst;
    const int32_t *group; /* group of each position of src */
    int64_t n, k;
    int threads;
    int64_t *pos; /* [thread][k] */
} gs_job;

static pkh_status gs_count(void *vctx, int64_t t)
{
    gs_job *j = vctx;
    const int64_t from = j->n * t / j->threads, to = j->n * (t + 1) / j->threads;
    int64_t *pos = j->pos + t * j->k;
    memset(pos, 0, (size_t)j->k * sizeof *pos);
    for (int64_t i = from; i < to; i++) {
        pos[j->group[i]]++;
    }
    return PKH_OK;
}

static pkh_status gs_scatter(void *vctx, int64_t t)
{
    gs_job *j = vctx;
    const int64_t from = j->n * t / j->threads, to = j->n * (t + 1) / j->threads;
    int64_t *pos = j->pos + t * j->k;
    const seg_buf *s = j->src;
    seg_buf *d = j->dst;
    for (int64_t i = from; i < to; i++) {
        const int64_t p = pos[j->group[i]]++;
        d->x[p] = s->x[i];
        d->w[p] = s->w[i];
        if (d->z != NULL) {
            d->z[p] = s->z[i];
        }
        if (d->row != NULL) {
            d->row[p] = s->row[i];
            d->cid[p] = s->cid[i];
        }
        if (d->unit != NULL) {
            d->unit[p] = s->unit[i];
        }
    }
    return PKH_OK;
}

static pkh_status group_scatter(ctx *c, const seg_buf *src, seg_buf *dst, const int32_t *group,
                                const int64_t *offsets)
{
    const int64_t n = src->n, k = c->r.k;
    int threads = pkh__threads(c->o->threads);
    threads = n < ((int64_t)1 << 16) ? 1 : threads > 16 ? 16 : threads;
    gs_job j = {src, dst, group, n, k, threads, NULL};
    j.pos = pkh__alloc(c->a, (size_t)threads * (size_t)k * sizeof *j.pos);
    if (j.pos == NULL) {
        return PKH_ENOMEM;
    }
    pkh__parallel_for(threads, threads, gs_count, &j);
    for (int64_t g = 0; g < k; g++) {
        int64_t at = offsets[g];
        for (int t = 0; t < threads; t++) {
            const int64_t cnt = j.pos[t * k + g];
            j.pos[t * k + g] = at;
            at += cnt;
        }
    }
    pkh__parallel_for(threads, threads, gs_scatter, &j);
    pkh__free(c->a, j.pos, (size_t)threads * (size_t)k * sizeof *j.pos);
    return PKH_OK;
}

/* Task 0: segment 0's SEs (when asked); task 1 + g: group g's estimates and SEs. */
/* Group g's estimates and SEs. */
static pkh_status one_group(group_job *j, int64_t g)
{
    ctx *c = j->c;
    const int64_t n = j->offsets[g + 1] - j->offsets[g];
    seg_buf b = group_slice(j->grouped, j->offsets[g], n);
    double *scratch = pkh__alloc(c->a, scratch_bytes(c, n));
    pkh_status st = scratch == NULL ? PKH_ENOMEM : PKH_OK;
    pkh__seg s;
    if (st == PKH_OK) {
        st = run_segment(c, &b, &j->res[1 + g], 1 + g, scratch, &s);
    }
    if (st == PKH_OK && c->lin) {
        st = se_segment(c, &b, &s, &j->res[1 + g], 1 + g, false, 1);
    }
    pkh__free(c->a, scratch, scratch_bytes(c, n));
    return st;
}

/* Thread 0: the whole population's estimates (when late), then its SE inputs, shared. */
static pkh_status population_first(group_job *j)
{
    ctx *c = j->c;
    pkh_status st = PKH_OK;
    if (j->late) {
        double *scratch = pkh__alloc(c->a, scratch_bytes(c, j->b0->n));
        st = scratch == NULL ? PKH_ENOMEM : run_segment(c, j->b0, &j->res[0], 0, scratch, j->s0);
        pkh__free(c->a, scratch, scratch_bytes(c, j->b0->n));
    }
    if (st == PKH_OK && c->lin) {
        j->tin = se_input(c, j->b0, j->s0, &j->res[0], 0, false, 1);
        const bool keep = keeps_any(c, 0); /* its influence values, kept */
        if (!keep && pkh__seg_se_splittable(&j->tin, NULL)) {
            for (int64_t k = 0; k < c->o->n_indicators; k++) {
                j->res[0].se[k] = (pkh__se_row){NAN, NAN, NAN, NAN, NAN, NAN, 0};
            }
            st = pkh__seg_se_open(&c->sh, &j->tin, &j->split);
            j->split_ok = st == PKH_OK;
            if (st != PKH_OK) {
                pkh__seg_se_close(&j->split);
            }
        } else {
            st = se_segment(c, j->b0, j->s0, &j->res[0], 0, false, 1); /* all at once */
        }
    }
    return st;
}

static pkh_status group_task(void *vctx, int64_t t)
{
    group_job *j = vctx;
    ctx *c = j->c;
    pkh_status st = PKH_OK;
    void *work = NULL; /* this thread's buffer for the population's indicators */
    const int64_t nt = c->lin ? c->o->n_indicators : 0;
    if (t == 0) {
        st = population_first(j);
        pthread_mutex_lock(&j->lock);
        j->ready = true;
        j->tstatus = st;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
    }
    /* thread 0: the population's indicators, then groups; the others the other way round */
    for (int pass = 0; pass < 2 && st == PKH_OK; pass++) {
        const bool population = (t == 0) == (pass == 0);
        if (population) {
            pthread_mutex_lock(&j->lock);
            while (!j->ready) {
                pthread_cond_wait(&j->cond, &j->lock);
            }
            const bool go = j->tstatus == PKH_OK && j->split_ok;
            pthread_mutex_unlock(&j->lock);
            for (int64_t k = go ? atomic_fetch_add(&j->next_t, 1) : nt;
                 k < nt && st == PKH_OK && !atomic_load(&j->failed);
                 k = atomic_fetch_add(&j->next_t, 1)) {
                st = pkh__seg_se_take(&c->sh, &j->split, k, &work, &j->res[0].se[k]);
            }
        } else {
            for (int64_t g = atomic_fetch_add(&j->next_g, 1);
                 g < c->r.k && st == PKH_OK && !atomic_load(&j->failed);
                 g = atomic_fetch_add(&j->next_g, 1)) {
                st = one_group(j, g);
            }
        }
    }
    pkh__seg_se_work_free(&c->sh, work);
    if (st != PKH_OK) {
        atomic_store(&j->failed, true);
    }
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

/* The linearised SE of the row just added (part `part` of decomposition k in segment si),
 * when decomp_se made it. */
static void decomp_row_se(const ctx *c, out_rows *o, pkh_status st, int64_t si, int64_t k, int part)
{
    if (st != PKH_OK || c->dse == NULL) {
        return;
    }
    out_row *r = &o->v[o->n - 1];
    const double se = c->dse[(si * c->o->n_indicators + k) * 3 + part];
    if (se == se) {
        r->se = se;
        r->lo = r->est.value - c->sh.tq * se;
        r->hi = r->est.value + c->sh.tq * se;
    }
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
    decomp_row_se(c, o, st, 1 + g, k, 0);
    e.value = r->W / wtot * r->est[k].value;
    snprintf(name, sizeof name, "contrib_%s", fname);
    st = st == PKH_OK ? add_row(c->a, o, 1 + g, name, e) : st;
    decomp_row_se(c, o, st, 1 + g, k, 1);
    e.value = ftot > 0 ? r->W / wtot * r->est[k].value / ftot : NAN;
    snprintf(name, sizeof name, "contrib_rel_%s", fname);
    st = st == PKH_OK ? add_row(c->a, o, 1 + g, name, e) : st;
    decomp_row_se(c, o, st, 1 + g, k, 2);
    return st;
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
    decomp_row_se(c, o, st, 0, k, 0);
    snprintf(name, sizeof name, "%s_between", gn);
    st = st == PKH_OK ? add_row(c->a, o, 0, name, (pkh__est){b, tot.n, tot.pop}) : st;
    decomp_row_se(c, o, st, 0, k, 1);
    return st;
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
                if (st == PKH_OK) {
                    o->v[o->n - 1].k = k;
                }
            }
        }
    }
    return st;
}

/* Rows for the contrasts: estimate(g1) - estimate(g2) for every indicator with a linearisation
 * or replicates (not decomposition parts), after the other rows. */
static pkh_status contrast_rows(ctx *c, seg_result *res, out_rows *o)
{
    pkh_status st = PKH_OK;
    for (int64_t p = 0; p < c->n_pairs && st == PKH_OK; p++) {
        const seg_result *r1 = &res[1 + c->pairs[p].g1], *r2 = &res[1 + c->pairs[p].g2];
        for (int64_t k = 0; k < c->o->n_indicators && st == PKH_OK; k++) {
            const pkh_indicator_kind kind = c->o->indicators[k].kind;
            if (kind == PKH_IND_FGT_DECOMP || kind == PKH_IND_GE_DECOMP) {
                continue;
            }
            const pkh__est e = {r1->est[k].value - r2->est[k].value, r1->est[k].n + r2->est[k].n,
                                r1->est[k].pop + r2->est[k].pop};
            st = add_row(c->a, o, 1 + c->pairs[p].g1, c->o->indicators[k].name, e);
            if (st == PKH_OK) {
                o->v[o->n - 1].k = k;
                o->v[o->n - 1].pair = p;
            }
        }
    }
    return st;
}

/* A results column holding each row's group key (missing for the whole population). */
static pkh_status key_column(ctx *c, pkh_table_builder *b, const pkh_column *kc, int64_t col,
                             const out_rows *o)
{
    const int64_t n = o->n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    uint8_t *valid = pkh__calloc(c->a, pkh__bitmap_bytes(n), 1);
    void *vals = pkh__alloc(c->a, nn * 8);
    pkh_status st = valid == NULL || vals == NULL ? pkh__enomem(c->err) : PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        const int64_t g = o->v[i].seg - 1;
        if (g >= 0 && (o->v[i].pair < 0 || c->pairs[o->v[i].pair].col != col)) {
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
            const char **dict =
                pkh__alloc(c->a, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1) * sizeof *dict);
            char **own =
                pkh__calloc(c->a, (size_t)(kc->dict_size > 0 ? kc->dict_size : 1), sizeof *own);
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

/* A float64 column of one out_row field, missing where NaN. */
static pkh_status number_column(ctx *c, pkh_table_builder *b, const char *name, const out_rows *o,
                                size_t offset)
{
    const int64_t n = o->n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    double *v = pkh__alloc(c->a, nn * sizeof *v);
    uint8_t *valid = pkh__calloc(c->a, pkh__bitmap_bytes(n), 1);
    pkh_status st = v == NULL || valid == NULL ? pkh__enomem(c->err) : PKH_OK;
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        memcpy(&v[i], (const char *)&o->v[i] + offset, sizeof v[i]);
        if (v[i] == v[i]) {
            pkh__bit_set(valid, i); /* undefined values (0/0) are missing */
        }
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_float64(b, name, v, valid, n, c->err);
    }
    pkh__free(c->a, v, nn * sizeof *v);
    pkh__free(c->a, valid, pkh__bitmap_bytes(n));
    return st;
}

/* The `contrast` column: "COL=A-B" on contrast rows, missing elsewhere. */
static pkh_status contrast_column(ctx *c, pkh_table_builder *b, const out_rows *o)
{
    const size_t nn = (size_t)(o->n > 0 ? o->n : 1);
    const char **v = pkh__alloc(c->a, nn * sizeof *v);
    if (v == NULL) {
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < o->n; i++) {
        v[i] = o->v[i].pair >= 0 ? c->pair_label[c->pairs[o->v[i].pair].spec] : NULL;
    }
    const pkh_status st = pkh_table_builder_add_strings(b, "contrast", v, o->n, c->err);
    pkh__free(c->a, v, nn * sizeof *v);
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
        st = key_column(c, b, &keys->columns[j], j, o);
    }
    if (st == PKH_OK && c->o->se.n_contrasts > 0) {
        st = contrast_column(c, b, o);
    }
    const char **names = pkh__alloc(c->a, nn * sizeof *names);
    double *pop = pkh__alloc(c->a, nn * 8);
    int64_t *cnt = pkh__alloc(c->a, nn * 8);
    if (st == PKH_OK && (names == NULL || pop == NULL || cnt == NULL)) {
        st = pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < n && st == PKH_OK; i++) {
        names[i] = o->v[i].name;
        cnt[i] = o->v[i].est.n;
        pop[i] = o->v[i].est.pop;
    }
    if (st == PKH_OK) {
        st = pkh_table_builder_add_strings(b, "indicator", names, n, c->err);
    }
    const struct {
        const char *name;
        size_t offset;
    } nums[] = {{"estimate", offsetof(out_row, est) + offsetof(pkh__est, value)},
                {"se", offsetof(out_row, se)},
                {"ci_low", offsetof(out_row, lo)},
                {"ci_high", offsetof(out_row, hi)},
                {"deff", offsetof(out_row, deff)}};
    for (size_t j = 0; j < 5 && st == PKH_OK; j++) {
        if (j < 4 || c->o->se.deff) {
            st = number_column(c, b, nums[j].name, o, nums[j].offset);
        }
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
    pkh__free(c->a, pop, nn * 8);
    pkh__free(c->a, cnt, nn * 8);
    return st;
}

/* ---- the entry point ---- */

static const char *const default_names[] = {"fgt0", "fgt1", "fgt2",   "poor",
                                            "gini", "mean", "median", "population"};

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

/* Whether run_split serves the request: point estimates, a line known before the distribution,
 * few enough groups for the additive pass, a sort-based indicator, and none that needs the line
 * in income order (Sen, SST). */
static bool split_applies(const ctx *c)
{
    const pkh_indicators_options *o = c->o;
    const pkh_line_kind lk = o->line.kind;
    if (c->lin || c->replicate ||
        !(lk == PKH_LINE_NONE || lk == PKH_LINE_VALUE || lk == PKH_LINE_COLUMN ||
          lk == PKH_LINE_LOOKUP) ||
        (c->groups != NULL && pkh_groups_count(c->groups) >= 4096)) {
        return false;
    }
    bool sorted = false;
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator_kind kind = o->indicators[k].kind;
        if (kind == PKH_IND_SEN || kind == PKH_IND_SST) {
            return false;
        }
        sorted = sorted || sort_based(&o->indicators[k]);
    }
    return sorted;
}

static pkh_status check_options(const pkh_indicators_options *o, pkh_error *err)
{
    if (o->income == NULL) {
        return pkh__errorf(err, PKH_EINVAL, "which column is the income? (--income)");
    }
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator *ind = &o->indicators[k];
        if (pkh_indicator_needs_line(ind) && o->line.kind == PKH_LINE_NONE) {
            return pkh__errorf(err, PKH_EINVAL,
                               "%s needs a poverty line: give one with --line "
                               "(a number, a column, rel:0.6:median or rel:0.5:mean)",
                               ind->name);
        }
        if ((ind->kind == PKH_IND_FGT_DECOMP || ind->kind == PKH_IND_GE_DECOMP) && o->n_by == 0) {
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
    const size_t ns = (size_t)(c->nseg > 0 ? c->nseg : 1);
    const size_t ni = (size_t)(c->o->n_indicators > 0 ? c->o->n_indicators : 1);
    pkh__free(c->a, c->pt_recs, c->pt_bytes);
    pkh__free(c->a, c->r.x, nn * sizeof(double));
    pkh__free(c->a, c->r.w, nn * sizeof(double));
    pkh__free(c->a, c->r.z, nn * sizeof(double));
    pkh__free(c->a, c->r.g, nn * sizeof(int32_t));
    pkh__free(c->a, c->r.row, nn * sizeof(int64_t));
    pkh__free(c->a, c->r.size, nn * sizeof(double));
    pkh__free(c->a, c->lin_recs, c->lin_bytes);
    pkh__free(c->a, c->lin_bounds, (GK_BUCKETS + 1) * sizeof(int64_t));
    pkh__free(c->a, c->seg_line, ns * sizeof(double));
    /* run_all's orders have one entry per usable row (the allocator needs the same size) */
    const size_t nu = (size_t)(c->r.n > 0 ? c->r.n : 1);
    pkh__free(c->a, c->perm, nu * sizeof(int64_t));
    pkh__free(c->a, c->order, nu * sizeof(int64_t));
    pkh__free(c->a, c->offsets, (size_t)(c->r.k + 1) * sizeof(int64_t));
    pkh__free(c->a, c->keep, ns);
    pkh__free(c->a, c->dse, ns * ni * 3 * sizeof(double));
    pkh__free(c->a, c->pairs, (size_t)(c->n_pairs > 0 ? c->n_pairs : 1) * sizeof *c->pairs);
    pkh__free(
        c->a, c->pair_label,
        (size_t)(c->o->se.n_contrasts > 0 ? c->o->se.n_contrasts : 1) * sizeof *c->pair_label);
    pkh__free(c->a, c->repcols,
              (size_t)(c->o->se.n_repweights > 0 ? c->o->se.n_repweights : 1) * sizeof *c->repcols);
    for (int64_t s = 0; res != NULL && s < c->nseg; s++) {
        const size_t nr = (size_t)(res[s].n > 0 ? res[s].n : 1);
        for (int64_t k = 0; res[s].infl != NULL && k < c->o->n_indicators; k++) {
            pkh__free(c->a, res[s].infl[k], nr * sizeof(double));
        }
        pkh__free(c->a, res[s].rows, nr * sizeof(int64_t));
        pkh__free(c->a, res[s].infl, ni * sizeof(double *));
        pkh__free(c->a, res[s].se, ni * sizeof *res[s].se);
        pkh__free(c->a, res[s].est, ni * sizeof *res[s].est);
        pkh__free(c->a, res[s].ge_w, ni * sizeof(double));
        pkh__free(c->a, res[s].ge_sx, ni * sizeof(double));
    }
    pkh__free(c->a, res, ns * sizeof *res);
    if (c->sh.d != NULL) {
        pkh__se_shared_free(&c->sh);
    }
    pkh_design_free(c->own_design);
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
        res[s].se = pkh__calloc(c->a, ni, sizeof *res[s].se);
        res[s].infl = pkh__calloc(c->a, ni, sizeof(double *));
        if (res[s].est == NULL || res[s].ge_w == NULL || res[s].ge_sx == NULL ||
            res[s].se == NULL || res[s].infl == NULL) {
            return pkh__enomem(c->err);
        }
    }
    return PKH_OK;
}

/* The whole population's segment, then every group's, in income order when sorting. The
 * orders are kept in the context for the replicates. */
/* ---- point estimates: records sorted with their payload ----
 * Without standard errors nothing needs to know which table row sits where, so the rows travel
 * through the radix sort as records {key(income), weight, [line], group} and come out in income
 * order with no gather; a stable counting sort of the sorted records by group then gives every
 * group its rows, still in income order. */

typedef struct pt_job {
    ctx *c;
    unsigned char *recs; /* source or destination records */
    size_t size;         /* 24: key, w, g; 32: key, w, z, g */
    seg_buf *b;
    int64_t n;
} pt_job;

#define PT_CHUNK ((int64_t)1 << 16)

static void pt_unpack_range(const unsigned char *recs, size_t size, seg_buf *b, int64_t from,
                            int64_t to, int64_t at)
{
    for (int64_t i = from; i < to; i++) {
        const uint64_t *r = (const uint64_t *)(const void *)(recs + (size_t)i * size);
        b->x[at + i - from] = pkh__key_double(r[0]);
        memcpy(&b->w[at + i - from], &r[1], 8);
        if (size == 32) {
            memcpy(&b->z[at + i - from], &r[2], 8);
        }
    }
}

static pkh_status pt_unpack(void *vctx, int64_t k)
{
    const pt_job *j = vctx;
    const int64_t from = k * PT_CHUNK, to = from + PT_CHUNK < j->n ? from + PT_CHUNK : j->n;
    pt_unpack_range(j->recs, j->size, j->b, from, to, from);
    return PKH_OK;
}

typedef struct pt_group_job {
    ctx *c;
    const unsigned char *recs; /* grouped */
    size_t size;
    const int64_t *offsets;
    seg_result *res;
} pt_group_job;

/* Group g's segment in buffers `b` and `scratch` sized for the largest group (reused by the
 * thread from group to group: no fresh memory per group). */
static pkh_status pt_group(const pt_group_job *j, int64_t g, seg_buf *b, double *scratch)
{
    ctx *c = j->c;
    b->n = j->offsets[g + 1] - j->offsets[g];
    pt_unpack_range(j->recs, j->size, b, j->offsets[g], j->offsets[g + 1], 0);
    pkh__seg s;
    return run_segment(c, b, &j->res[1 + g], 1 + g, scratch, &s);
}

/* Deal the records out to their groups, keeping their order (a stable counting sort on every
 * core: each thread's rows follow the previous thread's within every group). */
typedef struct bg_job {
    const unsigned char *src;
    unsigned char *dst;
    size_t size;
    int64_t n, k;
    int threads;
    int64_t *pos; /* [thread][k + 1] */
} bg_job;

static pkh_status bg_count(void *vctx, int64_t t)
{
    bg_job *j = vctx;
    const int64_t from = j->n * t / j->threads, to = j->n * (t + 1) / j->threads;
    int64_t *pos = j->pos + t * (j->k + 1);
    const size_t gi = j->size / 8 - 1;
    memset(pos, 0, (size_t)(j->k + 1) * sizeof *pos);
    for (int64_t i = from; i < to; i++) {
        pos[((const uint64_t *)(const void *)(j->src + (size_t)i * j->size))[gi]]++;
    }
    return PKH_OK;
}

static pkh_status bg_scatter(void *vctx, int64_t t)
{
    bg_job *j = vctx;
    const int64_t from = j->n * t / j->threads, to = j->n * (t + 1) / j->threads;
    int64_t *pos = j->pos + t * (j->k + 1);
    const size_t gi = j->size / 8 - 1;
    for (int64_t i = from; i < to; i++) {
        const unsigned char *r = j->src + (size_t)i * j->size;
        const uint64_t g = ((const uint64_t *)(const void *)r)[gi];
        memcpy(j->dst + (size_t)(pos[g]++) * j->size, r, j->size);
    }
    return PKH_OK;
}

static pkh_status pt_by_group(ctx *c, const unsigned char *src, unsigned char *dst, size_t size,
                              int64_t n, int64_t *offsets)
{
    const int64_t k = c->r.k;
    int threads = pkh__threads(c->o->threads);
    if (n < ((int64_t)1 << 16) || threads > 16) {
        threads = n < ((int64_t)1 << 16) ? 1 : 16;
    }
    bg_job j = {src, dst, size, n, k, threads, NULL};
    j.pos = pkh__alloc(c->a, (size_t)threads * (size_t)(k + 1) * sizeof *j.pos);
    if (j.pos == NULL) {
        return PKH_ENOMEM;
    }
    pkh__parallel_for(threads, threads, bg_count, &j);
    int64_t total = 0;
    for (int64_t g = 0; g < k; g++) {
        offsets[g] = total;
        for (int t = 0; t < threads; t++) {
            const int64_t cnt = j.pos[t * (k + 1) + g];
            j.pos[t * (k + 1) + g] = total;
            total += cnt;
        }
    }
    offsets[k] = total;
    pkh__parallel_for(threads, threads, bg_scatter, &j);
    pkh__free(c->a, j.pos, (size_t)threads * (size_t)(k + 1) * sizeof *j.pos);
    return PKH_OK;
}

/* The whole population's segment from the sorted records (unpacked on every core). */
static pkh_status pt_total(ctx *c, const unsigned char *sorted, seg_result *res, int threads)
{
    const int64_t n = c->r.n;
    seg_buf b;
    memset(&b, 0, sizeof b);
    pkh_status st = seg_buf_alloc(c, &b, n);
    double *scratch = NULL;
    if (st == PKH_OK) {
        pt_job j = {c, (unsigned char *)(uintptr_t)sorted, c->pt_size, &b, n};
        pkh__parallel_for(threads, (n + PT_CHUNK - 1) / PT_CHUNK, pt_unpack, &j);
        scratch = pkh__alloc(c->a, scratch_bytes(c, n));
        st = scratch == NULL ? PKH_ENOMEM : PKH_OK;
    }
    pkh__seg s0;
    if (st == PKH_OK) {
        st = run_segment(c, &b, &res[0], 0, scratch, &s0);
    }
    pkh__free(c->a, scratch, scratch_bytes(c, n));
    seg_buf_free(c->a, &b);
    return st;
}

typedef struct pt_all_job {
    pt_group_job g;
    const unsigned char *sorted;
    bool with_total; /* item 0 is the whole population */
    int threads;
    int64_t largest;   /* rows of the largest group */
    atomic_llong next; /* the next item to take */
} pt_all_job;

/* Each thread takes the next item (the whole population first, then the groups) until none is
 * left: each result depends only on its item, so the thread count changes nothing. */
static pkh_status pt_all_task(void *vctx, int64_t t)
{
    pt_all_job *j = vctx;
    ctx *c = j->g.c;
    const int64_t items = j->g.c->r.k + j->with_total;
    seg_buf b;
    memset(&b, 0, sizeof b);
    pkh_status st = seg_buf_alloc(c, &b, j->largest);
    const size_t sbytes = scratch_bytes(c, j->largest);
    double *scratch = st == PKH_OK ? pkh__alloc(c->a, sbytes) : NULL;
    st = st == PKH_OK && scratch == NULL ? PKH_ENOMEM : st;
    const int64_t cap = b.n;
    (void)t;
    for (int64_t i = atomic_fetch_add(&j->next, 1); i < items && st == PKH_OK;
         i = atomic_fetch_add(&j->next, 1)) {
        if (j->with_total && i == 0) {
            st = pt_total(c, j->sorted, j->g.res, 1);
        } else {
            st = pt_group(&j->g, i - j->with_total, &b, scratch);
            b.n = cap; /* the buffers' size, for freeing */
        }
    }
    pkh__free(c->a, scratch, sbytes);
    b.n = cap;
    seg_buf_free(c->a, &b);
    return st;
}

static pkh_status run_points(ctx *c, seg_result *res)
{
    const int64_t n = c->r.n;
    const size_t size = c->pt_size;
    const size_t bytes = (size_t)(n > 0 ? n : 1) * size;
    unsigned char *a = c->pt_recs, *b2 = pkh__alloc(c->a, bytes);
    if (b2 == NULL) {
        return pkh__enomem(c->err);
    }
    unsigned char *sorted =
        c->need_sort ? pkh__radix_sort_records(a, b2, size, n, c->o->threads) : a;
    unsigned char *spare = sorted == a ? b2 : a;
    const bool groups = c->r.k > 0 && c->groups != NULL;
    /* the groups need the whole population's line first when it is relative and national */
    const bool total_first =
        !groups ||
        ((c->o->line.kind == PKH_LINE_REL_MEDIAN || c->o->line.kind == PKH_LINE_REL_MEAN) &&
         !c->o->line_by_group);
    pkh_status st = total_first ? pt_total(c, sorted, res, c->o->threads) : PKH_OK;
    if (st == PKH_OK && groups) {
        int64_t *offsets = pkh__alloc(c->a, (size_t)(c->r.k + 1) * sizeof *offsets);
        st = offsets == NULL ? pkh__enomem(c->err) : PKH_OK;
        if (st == PKH_OK) {
            st = pt_by_group(c, sorted, spare, size, n, offsets);
        }
        for (int64_t g = 0; g < c->r.k && st == PKH_OK; g++) {
            if (offsets[g + 1] == offsets[g]) {
                st = pkh__errorf(c->err, PKH_EEMPTY,
                                 "a group has no usable rows (every income "
                                 "missing?): group %lld of --by",
                                 (long long)g + 1);
            }
        }
        if (st == PKH_OK) {
            /* otherwise the whole population is one more task beside the groups */
            const int threads = pkh__threads(c->o->threads);
            pt_all_job aj = {{c, spare, size, offsets, res}, sorted, !total_first, threads, 0, 0};
            atomic_init(&aj.next, 0);
            for (int64_t g = 0; g < c->r.k; g++) {
                const int64_t m = offsets[g + 1] - offsets[g];
                aj.largest = m > aj.largest ? m : aj.largest;
            }
            st = pkh__parallel_for(threads, threads, pt_all_task, &aj);
        }
        pkh__free(c->a, offsets, (size_t)(c->r.k + 1) * sizeof *offsets);
    }
    pkh__free(c->a, b2, bytes);
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

/* ---- the Gini of every group and of the population from one sort ----
 * With groups and the Gini the only sort-based indicator, each row becomes a record {key, w}
 * whose key carries the row's group in its low bits, below its income's rank among the doubles
 * (counted from the least positive income, after 0 for a zero income), when both fit in 64 bits
 * (no negative income, and few enough octaves for the groups: 2^(12 - group bits)); else a
 * record {key(income), w, group} of 24 bytes. One stable sort of all the records then puts the
 * population in income order, and so every group in its own income order (ties in table order,
 * as its own sort would; across groups in group order, or table order). The sort's first pass is
 * the records' write: the additive pass counts each chunk's rows by the key's top GK_BITS varying
 * bits, and each chunk deals its records out to those buckets (in table order within each), which
 * are then sorted one by one in cache. One pass over GINI_PARTS fixed stretches of the sorted
 * records sums, for every group and the population, w, w x and w x (2 c + w), c the weight before
 * the row within the stretch; the Gini's numerator is sum_t G_t + (2 C_t - W) SX_t, C_t the weight
 * before stretch t (docs/indicators.md). No per-group buffer, sort or merge. */

#define SPLIT_REC 16
#define GINI_PARTS 16 /* fixed stretches of the Gini's sums: the same bits on any thread count */
typedef struct gk_job {
    int64_t k;        /* groups */
    size_t size;      /* a record's bytes: 16 {rank and group, w}, or 24 {key, w, group} */
    uint64_t kmin;    /* 16: key of the least positive income */
    int gbits;        /* 16: low bits of a key that hold the group */
    int shift;        /* a key's bucket: (key >> shift) & (GK_BUCKETS - 1) */
    int64_t *hist;    /* [chunk][bucket]: counts, then where the chunk's next record goes */
    int64_t *bounds;  /* GK_BUCKETS + 1: each bucket's first record */
    int64_t *stretch; /* GINI_PARTS + 1: the buckets of each stretch of the sums */
    int64_t largest;  /* records of the largest bucket */
    const gp_job *gp;
    unsigned char *recs; /* n records, by bucket, then sorted */
    int64_t n;
    pkh__ksum *sums;   /* [part][k + 1][3]: w, w x, w x (2 c + w); k is the population */
    atomic_llong next; /* the next stretch to sort and sum */
} gk_job;

static inline uint64_t gk_key(const gk_job *j, double x, int32_t g)
{
    if (j->size != SPLIT_REC) {
        return pkh__double_key(x);
    }
    const uint64_t rank = x > 0 ? pkh__double_key(x) - j->kmin + 1 : 0;
    return (rank << j->gbits) | (uint64_t)g;
}

static inline double gk_income(const gk_job *j, uint64_t key)
{
    if (j->size != SPLIT_REC) {
        return pkh__key_double(key);
    }
    const uint64_t rank = key >> j->gbits;
    return rank == 0 ? 0.0 : pkh__key_double(rank - 1 + j->kmin);
}

/* Work out the records' layout from the incomes' range and make the buckets' counters. */
static pkh_status gk_layout(ctx *c, gk_job *j, int64_t chunks)
{
    xrange x;
    memset(&x, 0, sizeof x);
    pkh_status st = income_range(c, j->gp->xc, j->gp->nrows, &x);
    if (st != PKH_OK) {
        return st;
    }
    /* 16 bytes: ranks of the positive incomes from 1, 0 for zero, the group below */
    j->kmin = ~x.r[3];
    const uint64_t top_rank = x.r[2] >= j->kmin && x.r[2] > 0 ? x.r[2] - j->kmin + 1 : 0;
    int rbits = 0, gbits = 0;
    while (rbits < 64 && (top_rank >> rbits) != 0) {
        rbits++;
    }
    while (((uint64_t)(j->k - 1) >> gbits) != 0) {
        gbits++;
    }
    uint64_t lo = ~x.r[1], hi = x.r[0]; /* the least and greatest key */
    if (!x.negative && rbits + gbits <= 64) {
        j->size = SPLIT_REC;
        j->gbits = gbits;
        lo = (uint64_t)(x.zero ? 0 : 1) << gbits;
        hi = (top_rank << gbits) | (uint64_t)(j->k - 1);
    } else {
        j->size = 24;
    }
    j->shift = bucket_shift(lo, hi);
    const size_t nc = (size_t)(chunks > 0 ? chunks : 1);
    j->hist = pkh__calloc(c->a, nc * (size_t)GK_BUCKETS, sizeof *j->hist);
    return j->hist == NULL ? pkh__enomem(c->err) : PKH_OK;
}

static pkh_status gk_write(void *vctx, int64_t k)
{
    gk_job *j = vctx;
    const gp_job *gp = j->gp;
    const int64_t from = k * GP_CHUNK,
                  to = from + GP_CHUNK < gp->nrows ? from + GP_CHUNK : gp->nrows;
    int64_t *pos = j->hist + k * GK_BUCKETS;
    for (int64_t i = from; i < to; i++) {
        double x, w, z;
        int32_t g;
        if (gp_row(gp, i, &x, &w, &z, &g) != ROW_OK) {
            continue; /* skipped (the additive pass counted it) */
        }
        const uint64_t key = gk_key(j, x, g);
        unsigned char *out =
            j->recs + (size_t)(pos[(key >> j->shift) & (GK_BUCKETS - 1)]++) * j->size;
        memcpy(out, &key, 8);
        memcpy(out + 8, &w, 8);
        if (j->size != SPLIT_REC) {
            const uint64_t gw = (uint64_t)g;
            memcpy(out + 16, &gw, 8);
        }
    }
    return PKH_OK;
}

/* Add records [from, to) of recs (sorted) to stretch t's sums. */
static void gk_sum(gk_job *j, int64_t t, const unsigned char *recs, int64_t from, int64_t to)
{
    pkh__ksum *acc = j->sums + (size_t)t * (size_t)(j->k + 1) * 3;
    /* the population's sums in registers (they cannot alias a group's), stored at the end */
    pkh__ksum all[3] = {acc[j->k * 3], acc[j->k * 3 + 1], acc[j->k * 3 + 2]};
    const uint64_t gmask = ((uint64_t)1 << j->gbits) - 1;
    const bool wide = j->size != SPLIT_REC;
    for (int64_t i = from; i < to; i++) {
        const unsigned char *rec = recs + (size_t)i * j->size;
        uint64_t key, g;
        double w;
        memcpy(&key, rec, 8);
        memcpy(&w, rec + 8, 8);
        if (wide) {
            memcpy(&g, rec + 16, 8);
        } else {
            g = key & gmask;
        }
        const double x = gk_income(j, key);
        pkh__ksum *a = acc + g * 3;
        const double wx = w * x;
        pkh__ksum_add(&a[2], wx * (2 * pkh__ksum_value(&a[0]) + w));
        pkh__ksum_add(&a[1], wx);
        pkh__ksum_add(&a[0], w);
        pkh__ksum_add(&all[2], wx * (2 * pkh__ksum_value(&all[0]) + w));
        pkh__ksum_add(&all[1], wx);
        pkh__ksum_add(&all[0], w);
    }
    memcpy(acc + j->k * 3, all, sizeof all);
}

/* Each thread takes the next stretch of buckets: sorts each bucket in its own scratch, and
 * adds it to the stretch's sums while it is in cache. */
static pkh_status gk_sort(void *vctx, int64_t t)
{
    gk_job *j = vctx;
    (void)t;
    const pkh_allocator *a = j->gp->c->a;
    const size_t bytes = (size_t)(j->largest > 0 ? j->largest : 1) * j->size;
    unsigned char *scratch = pkh__alloc(a, bytes);
    int64_t *pos = pkh__alloc(a, PKH__BUCKET_SORT_POS * sizeof *pos);
    if (scratch == NULL || pos == NULL) {
        pkh__free(a, scratch, bytes);
        pkh__free(a, pos, PKH__BUCKET_SORT_POS * sizeof *pos);
        return PKH_ENOMEM;
    }
    for (int64_t p = atomic_fetch_add(&j->next, 1); p < GINI_PARTS;
         p = atomic_fetch_add(&j->next, 1)) {
        for (int64_t d = j->stretch[p]; d < j->stretch[p + 1]; d++) {
            const int64_t from = j->bounds[d], m = j->bounds[d + 1] - from;
            unsigned char *bucket = j->recs + (size_t)from * j->size;
            if (j->size == SPLIT_REC) {
                pkh__sort_bucket16(bucket, scratch, m, j->shift, pos);
                gk_sum(j, p, scratch, 0, m);
            } else {
                pkh__sort_records_small(bucket, scratch, j->size, m);
                gk_sum(j, p, bucket, 0, m);
            }
        }
    }
    pkh__free(a, scratch, bytes);
    pkh__free(a, pos, PKH__BUCKET_SORT_POS * sizeof *pos);
    return PKH_OK;
}

/* Every Gini (groups and population) into res, after the additive pass has counted the
 * buckets (gk->hist) and the rows ([chunk][segment][2] counts). */
static pkh_status gini_by_sort(ctx *c, gk_job *j, seg_result *res, const int64_t *counts,
                               int64_t chunks)
{
    const int threads = pkh__threads(c->o->threads);
    int64_t bounds[GK_BUCKETS + 1];
    j->largest = bucket_offsets(j->hist, chunks, bounds);
    const int64_t total = bounds[GK_BUCKETS];
    j->bounds = bounds;
    /* GINI_PARTS stretches of whole buckets, of about n / GINI_PARTS records each */
    int64_t stretch[GINI_PARTS + 1];
    stretch[0] = 0;
    for (int64_t p = 1, d = 0; p <= GINI_PARTS; p++) {
        while (d < GK_BUCKETS && (p == GINI_PARTS || bounds[d] < total * p / GINI_PARTS)) {
            d++;
        }
        stretch[p] = d;
    }
    j->stretch = stretch;
    const size_t rbytes = (size_t)(j->n > 0 ? j->n : 1) * j->size;
    const size_t nsums = (size_t)GINI_PARTS * (size_t)(j->k + 1) * 3;
    j->recs = pkh__alloc(c->a, rbytes);
    j->sums = pkh__calloc(c->a, nsums, sizeof *j->sums);
    pkh_status st = j->recs == NULL || j->sums == NULL ? PKH_ENOMEM : PKH_OK;
    if (st == PKH_OK) {
        pkh__parallel_for(threads, chunks, gk_write, j);
        atomic_init(&j->next, 0);
        st = pkh__parallel_for(threads, threads, gk_sort, j);
    }
    for (int64_t g = 0; g <= j->k && st == PKH_OK; g++) {
        pkh__ksum W = {0, 0}, SX = {0, 0};
        for (int t = 0; t < GINI_PARTS; t++) {
            const pkh__ksum *a = j->sums + ((size_t)t * (size_t)(j->k + 1) + (size_t)g) * 3;
            pkh__ksum_merge(&W, &a[0]);
            pkh__ksum_merge(&SX, &a[1]);
        }
        const double Wv = pkh__ksum_value(&W), SXv = pkh__ksum_value(&SX);
        pkh__ksum num = {0, 0}, before = {0, 0};
        for (int t = 0; t < GINI_PARTS; t++) {
            const pkh__ksum *a = j->sums + ((size_t)t * (size_t)(j->k + 1) + (size_t)g) * 3;
            pkh__ksum_merge(&num, &a[2]);
            pkh__ksum_add(&num, (2 * pkh__ksum_value(&before) - Wv) * pkh__ksum_value(&a[1]));
            pkh__ksum_merge(&before, &a[0]);
        }
        /* the segment: the population (0) or group g (1 + g), and its rows */
        const int64_t si = g == j->k ? 0 : 1 + g;
        int64_t used = 0;
        for (int64_t ch = 0; ch < chunks; ch++) {
            for (int64_t s0 = si == 0 ? 1 : si; s0 <= (si == 0 ? j->k : si); s0++) {
                used += counts[(ch * c->nseg + s0) * 2];
            }
        }
        const double gini = !(Wv > 0) || SXv == 0 ? NAN : pkh__ksum_value(&num) / (Wv * SXv);
        for (int64_t i = 0; i < c->o->n_indicators; i++) {
            if (c->o->indicators[i].kind == PKH_IND_GINI) {
                res[si].est[i] = (pkh__est){gini, used, Wv};
            }
        }
    }
    pkh__free(c->a, j->recs, rbytes);
    pkh__free(c->a, j->sums, nsums * sizeof *j->sums);
    j->recs = NULL;
    j->sums = NULL;
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

/* ---- additive measures in one pass ----
 * When every indicator is a ratio of weighted sums (FGT, the poor, gaps, Watts, mean,
 * population, a fixed or per-row line) and no standard error is asked for, one parallel pass
 * over fixed chunks of rows accumulates each group's sums, merged in chunk order: no copy, no
 * sort. */

enum { AS_W, AS_SX, AS_POOR, AS_GAP1, AS_GAPTOT, AS_LINEW, AS_WPOS, AS_WATTS, AS_FIXED };

typedef struct add_job {
    gp_job *gp;
    int64_t nseg, nsum, nf;
    const double *alphas; /* FGT alphas, nf of them */
    double line;          /* the scalar line, when not per row */
    pkh__ksum *sums;      /* [chunk][seg][nsum] */
    int64_t *counts;      /* [chunk][seg][2]: rows, rows with income > 0 */
    /* the sums some indicator asked for (W, SX and the lines' always) */
    bool poor, gap1, gaptot, watts;
    gk_job *gk; /* when not NULL: count each chunk's records by bucket (gini_by_sort) */
} add_job;

static bool additive(const pkh_indicator *ind)
{
    switch (ind->kind) {
    case PKH_IND_FGT:
    case PKH_IND_POOR:
    case PKH_IND_GAP_TOTAL:
    case PKH_IND_INCOME_GAP_RATIO:
    case PKH_IND_LINE:
    case PKH_IND_MEAN:
    case PKH_IND_POPULATION:
    case PKH_IND_WATTS:
    case PKH_IND_FGT_DECOMP:
        return true;
    default:
        return false;
    }
}

static void add_row_sums(const add_job *j, pkh__ksum *acc, int64_t *cnt, double x, double w,
                         double z)
{
    pkh__ksum_add(&acc[AS_W], w);
    pkh__ksum_add(&acc[AS_SX], w * x);
    if (j->gp->zc != NULL || j->gp->zl != NULL) {
        pkh__ksum_add(&acc[AS_LINEW], w * z);
    }
    cnt[0]++;
    if (x > 0) {
        cnt[1]++;
        if (j->watts) {
            pkh__ksum_add(&acc[AS_WPOS], w);
        }
    }
    if (x < z) {
        const double gap = 1 - x / z;
        if (j->poor) {
            pkh__ksum_add(&acc[AS_POOR], w);
        }
        if (j->gap1) {
            pkh__ksum_add(&acc[AS_GAP1], w * gap);
        }
        if (j->gaptot) {
            pkh__ksum_add(&acc[AS_GAPTOT], w * (z - x));
        }
        if (j->watts && x > 0) {
            pkh__ksum_add(&acc[AS_WATTS], w * log(z / x));
        }
        for (int64_t f = 0; f < j->nf; f++) {
            const double a = j->alphas[f];
            const double t = a == 0 ? 1.0 : a == 1 ? gap : a == 2 ? gap * gap : pow(gap, a);
            pkh__ksum_add(&acc[AS_FIXED + f], w * t);
        }
    }
}

static pkh_status add_task(void *vctx, int64_t k)
{
    const add_job *j = vctx;
    gp_chunk *ch = &j->gp->chunks[k];
    const int64_t n = j->gp->nrows;
    const int64_t from = k * GP_CHUNK, to = from + GP_CHUNK < n ? from + GP_CHUNK : n;
    pkh__ksum *base = j->sums + k * j->nseg * j->nsum;
    int64_t *cbase = j->counts + k * j->nseg * 2;
    const bool per_row = j->gp->zc != NULL || j->gp->zl != NULL;
    gp_chunk local;
    memset(&local, 0, sizeof local);
    for (int64_t i = from; i < to && ch->err == GP_OK; i++) {
        double x, w, z;
        int32_t g;
        if (!gp_tally(&local, ch, gp_row(j->gp, i, &x, &w, &z, &g), i)) {
            continue;
        }
        if (!per_row) {
            z = j->line;
        }
        local.count++;
        local.nonpositive += x <= 0;
        local.negative += x < 0;
        if (j->gk != NULL) {
            j->gk->hist[k * GK_BUCKETS +
                        (int64_t)((gk_key(j->gk, x, g) >> j->gk->shift) & (GK_BUCKETS - 1))]++;
        }
        /* with groups, the whole population's sums are their groups' (merged after) */
        const int64_t seg = j->nseg > 1 ? 1 + g : 0;
        add_row_sums(j, base + seg * j->nsum, cbase + seg * 2, x, w, z);
    }
    if (ch->err == GP_OK) {
        *ch = local;
    }
    return PKH_OK;
}

/* Estimates of segment si from its merged sums. */
static void add_estimates(ctx *c, const add_job *j, const pkh__ksum *acc, const int64_t *cnt,
                          seg_result *res, int64_t si)
{
    const pkh_indicators_options *o = c->o;
    const double W = pkh__ksum_value(&acc[AS_W]), SX = pkh__ksum_value(&acc[AS_SX]);
    const double line = c->r.per_row ? pkh__ksum_value(&acc[AS_LINEW]) / W : j->line;
    res->W = W;
    res->SX = SX;
    res->line = line;
    c->seg_line[si] = line;
    const double p0 = pkh__ksum_value(&acc[AS_POOR]) / W;
    const double p1 = pkh__ksum_value(&acc[AS_GAP1]) / W;
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator *ind = &o->indicators[k];
        pkh__est e = {NAN, cnt[0], W};
        switch (ind->kind) {
        case PKH_IND_FGT:
        case PKH_IND_FGT_DECOMP:
            for (int64_t f = 0; f < j->nf; f++) {
                if (j->alphas[f] == ind->a) {
                    e.value = pkh__ksum_value(&acc[AS_FIXED + f]) / W;
                }
            }
            break;
        case PKH_IND_POOR:
            e.value = pkh__ksum_value(&acc[AS_POOR]);
            break;
        case PKH_IND_GAP_TOTAL:
            e.value = pkh__ksum_value(&acc[AS_GAPTOT]);
            break;
        case PKH_IND_INCOME_GAP_RATIO:
            e.value = p0 > 0 ? p1 / p0 : NAN;
            break;
        case PKH_IND_LINE:
            e.value = line;
            break;
        case PKH_IND_MEAN:
            e.value = W > 0 ? SX / W : NAN;
            break;
        case PKH_IND_POPULATION:
            e.value = W;
            break;
        case PKH_IND_WATTS: {
            const double wp = pkh__ksum_value(&acc[AS_WPOS]);
            e = (pkh__est){wp > 0 ? pkh__ksum_value(&acc[AS_WATTS]) / wp : NAN, cnt[1], wp};
            break;
        }
        default:
            break;
        }
        res->est[k] = e;
    }
}

/* The additive pass: every segment's sums in one pass over the rows, the additive indicators'
 * estimates into res, and the rows' counts. Leaves *gp (its chunks' offsets), *zl and the
 * counts per chunk and segment ([chunk][segment][2]: rows, rows with income > 0; *ncounts
 * entries) to the caller, who frees them with additive_free. */
static pkh_status additive_pass(ctx *c, seg_result *res, gp_job *gp, double **zl_out,
                                int64_t **counts_out, size_t *ncounts_out, gk_job *gk)
{
    const pkh_indicators_options *o = c->o;
    double *zl = NULL;
    pkh_status st = gp_setup(c, gp, &zl);
    *zl_out = zl;
    const int64_t chunks = (gp->nrows + GP_CHUNK - 1) / GP_CHUNK;
    add_job j;
    memset(&j, 0, sizeof j);
    j.gp = gp;
    j.nseg = c->nseg;
    j.line = o->line.kind == PKH_LINE_VALUE ? o->line.value : NAN;
    double alphas[64];
    for (int64_t k = 0; k < o->n_indicators && j.nf < 64; k++) {
        const pkh_indicator *ind = &o->indicators[k];
        bool seen = ind->kind != PKH_IND_FGT && ind->kind != PKH_IND_FGT_DECOMP;
        for (int64_t f = 0; f < j.nf && !seen; f++) {
            seen = alphas[f] == ind->a;
        }
        if (!seen) {
            alphas[j.nf++] = ind->a;
        }
    }
    j.alphas = alphas;
    j.nsum = AS_FIXED + j.nf;
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator_kind kind = o->indicators[k].kind;
        j.poor = j.poor || kind == PKH_IND_POOR || kind == PKH_IND_INCOME_GAP_RATIO;
        j.gap1 = j.gap1 || kind == PKH_IND_INCOME_GAP_RATIO;
        j.gaptot = j.gaptot || kind == PKH_IND_GAP_TOTAL;
        j.watts = j.watts || kind == PKH_IND_WATTS;
    }
    const size_t nsums = (size_t)(chunks > 0 ? chunks : 1) * (size_t)j.nseg * (size_t)j.nsum;
    const size_t ncounts = (size_t)(chunks > 0 ? chunks : 1) * (size_t)j.nseg * 2;
    if (st == PKH_OK) {
        j.sums = pkh__calloc(c->a, nsums, sizeof *j.sums);
        j.counts = pkh__calloc(c->a, ncounts, sizeof *j.counts);
        st = j.sums == NULL || j.counts == NULL ? pkh__enomem(c->err) : PKH_OK;
    }
    if (st == PKH_OK && gk != NULL) {
        gk->gp = gp;
        st = gk_layout(c, gk, chunks);
        j.gk = gk->hist != NULL ? gk : NULL;
    }
    if (st == PKH_OK) {
        pkh__parallel_for(o->threads, chunks, add_task, &j);
        st = gp_counts(c, gp);
    }
    pkh__ksum acc[AS_FIXED + 64];
    for (int64_t si = 0; si < j.nseg && st == PKH_OK; si++) {
        int64_t cnt[2] = {0, 0};
        memset(acc, 0, sizeof acc);
        /* the whole population's: every group's, chunk by chunk, when there are groups */
        const int64_t s0 = si == 0 && j.nseg > 1 ? 1 : si, s1 = si == 0 ? j.nseg : si + 1;
        for (int64_t k = 0; k < chunks; k++) {
            for (int64_t sj = s0; sj < s1; sj++) {
                const pkh__ksum *part = j.sums + (k * j.nseg + sj) * j.nsum;
                for (int64_t m = 0; m < j.nsum; m++) {
                    pkh__ksum_merge(&acc[m], &part[m]);
                }
                cnt[0] += j.counts[(k * j.nseg + sj) * 2];
                cnt[1] += j.counts[(k * j.nseg + sj) * 2 + 1];
            }
        }
        if (si > 0 && cnt[0] == 0) {
            st = pkh__errorf(c->err, PKH_EEMPTY,
                             "a group has no usable rows (every income "
                             "missing?): group %lld of --by",
                             (long long)si);
            break;
        }
        add_estimates(c, &j, acc, cnt, &res[si], si);
    }
    pkh__free(c->a, j.sums, nsums * sizeof *j.sums);
    *counts_out = j.counts;
    *ncounts_out = ncounts;
    return st;
}

static void additive_free(ctx *c, gp_job *gp, double *zl, int64_t *counts, size_t ncounts)
{
    pkh__free(c->a, counts, ncounts * sizeof *counts);
    gp_free(c, gp, zl);
}

static pkh_status run_additive(ctx *c, seg_result *res)
{
    gp_job gp;
    double *zl = NULL;
    int64_t *counts = NULL;
    size_t ncounts = 0;
    const pkh_status st = additive_pass(c, res, &gp, &zl, &counts, &ncounts, NULL);
    additive_free(c, &gp, zl, counts, ncounts);
    return st;
}

/* ---- sort-based measures beside the additive pass ----
 * Without standard errors, and with a line known before the distribution, the additive
 * indicators come from the additive pass, and only the sort-based ones need the rows in income
 * order. Those need just income and weight, so the rows travel as 16-byte records
 * {key(income), weight}. With groups, each chunk of rows deals its records out to the groups
 * (at the chunk's own offsets, so in table order within each group), every group is sorted on
 * its own while it sits in cache, and the whole population is merged from the sorted groups on
 * every core. Without groups the records are sorted on every core. The sorts are stable and the
 * merge takes ties in group order, so every order depends on the data only, never on the
 * number of threads. (With groups and the Gini the only sort-based indicator, one sort of all
 * the records does instead: gini_by_sort.) */

typedef struct split_job {
    ctx *c;
    const gp_job *gp;
    int64_t k;              /* groups (0: none) */
    int64_t *goff;          /* [chunk][k]: where the chunk's next row of each group goes */
    unsigned char *all;     /* the whole population's records, table order */
    unsigned char *grouped; /* the records group by group */
    const int64_t *offsets; /* k + 1: each group's first record in `grouped` */
    unsigned char *sorted;  /* without groups: the records in income order */
    unsigned char *other;   /* without groups: the sort's other buffer, free after it */
    double *x, *w;          /* with groups: the merged population's incomes, weights */
    double *cw, *cwx;       /* with groups: room for its prefix sums */
    seg_result *res;
    int64_t largest; /* rows of the largest group */
    bool sort_only;  /* the items sort the groups' records (first round) */
    atomic_llong next;
} split_job;

static pkh_status split_write(void *vctx, int64_t k)
{
    split_job *j = vctx;
    const gp_job *gp = j->gp;
    const int64_t from = k * GP_CHUNK,
                  to = from + GP_CHUNK < gp->nrows ? from + GP_CHUNK : gp->nrows;
    int64_t m = gp->chunks[k].count; /* the chunk's first record */
    int64_t *off = j->k > 0 ? j->goff + k * j->k : NULL;
    for (int64_t i = from; i < to; i++) {
        double x, w, z;
        int32_t g;
        if (gp_row(gp, i, &x, &w, &z, &g) != ROW_OK) {
            continue; /* skipped (the additive pass counted it) */
        }
        uint64_t r[2];
        r[0] = pkh__double_key(x);
        memcpy(&r[1], &w, 8);
        if (off != NULL) {
            memcpy(j->grouped + (size_t)(off[g]++) * SPLIT_REC, r, SPLIT_REC);
        } else {
            memcpy(j->all + (size_t)m++ * SPLIT_REC, r, SPLIT_REC);
        }
    }
    return PKH_OK;
}

static void split_unpack(const unsigned char *recs, seg_buf *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t r[2];
        memcpy(r, recs + (size_t)i * SPLIT_REC, SPLIT_REC);
        b->x[i] = pkh__key_double(r[0]);
        memcpy(&b->w[i], &r[1], 8);
    }
}

/* The whole population's segment (item 0). Without groups, in the sort's two buffers (two
 * doubles a row each: no fresh memory): incomes and weights in the free one, then the prefix
 * sums over the sorted records once they are unpacked. With groups, merged already. */
static pkh_status split_total(split_job *j)
{
    ctx *c = j->c;
    const int64_t n = c->r.n;
    double *scratch = pkh__alloc(c->a, scratch_bytes(c, n));
    if (scratch == NULL) {
        return PKH_ENOMEM;
    }
    seg_buf b;
    memset(&b, 0, sizeof b);
    b.n = n;
    if (j->k > 0) { /* merged from the sorted groups */
        b.x = j->x;
        b.w = j->w;
        b.cw = j->cw;
        b.cwx = j->cwx;
    } else {
        b.x = (double *)(void *)j->other;
        b.w = b.x + n;
        split_unpack(j->sorted, &b, n);
        b.cw = (double *)(void *)j->sorted;
        b.cwx = b.cw + n;
    }
    pkh__seg s;
    const pkh_status st = run_segment(c, &b, &j->res[0], 0, scratch, &s);
    pkh__free(c->a, scratch, scratch_bytes(c, n));
    return st;
}

/* Each thread takes the next item: the whole population first (the longest), then the groups,
 * each sorted in the thread's own scratch. */
static pkh_status split_task(void *vctx, int64_t t)
{
    split_job *j = vctx;
    ctx *c = j->c;
    (void)t;
    /* the sorting round needs room for a group's records, the measures' round a segment */
    const bool sorting = j->sort_only, measures = !j->sort_only && j->k > 0;
    seg_buf b;
    memset(&b, 0, sizeof b);
    pkh_status st = measures ? seg_buf_alloc(c, &b, j->largest) : PKH_OK;
    const int64_t cap = b.n;
    const size_t sbytes = scratch_bytes(c, j->largest);
    const size_t rbytes = (size_t)(j->largest > 0 ? j->largest : 1) * SPLIT_REC;
    double *scratch = st == PKH_OK && measures ? pkh__alloc(c->a, sbytes) : NULL;
    unsigned char *spare = sorting ? pkh__alloc(c->a, rbytes) : NULL;
    st = st == PKH_OK && ((measures && scratch == NULL) || (sorting && spare == NULL)) ? PKH_ENOMEM
                                                                                       : st;
    for (int64_t i = atomic_fetch_add(&j->next, 1); i < 1 + j->k && st == PKH_OK;
         i = atomic_fetch_add(&j->next, 1)) {
        if (i == 0) {
            st = sorting ? PKH_OK : split_total(j);
            continue;
        }
        const int64_t g = i - 1, n = j->offsets[g + 1] - j->offsets[g];
        unsigned char *recs = j->grouped + (size_t)j->offsets[g] * SPLIT_REC;
        if (sorting) {
            const unsigned char *sorted = pkh__radix_sort_records(recs, spare, SPLIT_REC, n, 1);
            if (sorted != recs) {
                memcpy(recs, sorted, (size_t)n * SPLIT_REC);
            }
            continue;
        }
        b.n = n;
        split_unpack(recs, &b, n);
        pkh__seg s;
        st = run_segment(c, &b, &j->res[i], i, scratch, &s);
        b.n = cap; /* the buffers' size, for freeing */
    }
    pkh__free(c->a, scratch, sbytes);
    pkh__free(c->a, spare, rbytes);
    if (measures) {
        b.n = cap;
        seg_buf_free(c->a, &b);
    }
    return st;
}

/* The whole population in income order, merged from the sorted groups: ties in group order,
 * then in the group's order, so the result depends on the data only. Each thread merges the
 * keys between two pivots (found by bisection on the key: every tie on one side) into its own
 * stretch of the output. */
typedef struct merge_job {
    const unsigned char *recs; /* grouped, each group sorted */
    const int64_t *offsets;    /* k + 1 */
    int64_t k;
    int parts;
    const uint64_t *pivots; /* parts + 1: part t takes keys in [pivots[t], pivots[t + 1]) */
    double *x, *w;          /* the merged incomes and weights */
    const pkh_allocator *a;
} merge_job;

static inline uint64_t rec_key(const unsigned char *recs, int64_t i)
{
    uint64_t key;
    memcpy(&key, recs + (size_t)i * SPLIT_REC, 8);
    return key;
}

/* First position of group g with key >= v. */
static int64_t group_lower_bound(const merge_job *j, int64_t g, uint64_t v)
{
    int64_t lo = j->offsets[g], hi = j->offsets[g + 1];
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (rec_key(j->recs, mid) < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Bounds of part t in group g. */
static void part_bounds(const merge_job *j, int t, int64_t g, int64_t *from, int64_t *to)
{
    *from = t == 0 ? j->offsets[g] : group_lower_bound(j, g, j->pivots[t]);
    *to = t == j->parts - 1 ? j->offsets[g + 1] : group_lower_bound(j, g, j->pivots[t + 1]);
}

/* Keys never reach UINT64_MAX (a NaN income is a missing one), so an exhausted group takes it
 * and loses every match; ties go to the lower group. */
#define RUN_DONE UINT64_MAX

static inline bool key_before(uint64_t ka, int64_t a, uint64_t kb, int64_t b)
{
    return ka < kb || (ka == kb && a < b);
}

static pkh_status merge_task(void *vctx, int64_t t)
{
    const merge_job *j = vctx;
    int64_t leaves = 1;
    while (leaves < j->k) {
        leaves *= 2;
    }
    /* per leaf: position and end; per inner node: the loser's key and group (a loser tree) */
    const size_t nl = (size_t)leaves;
    int64_t *pos = pkh__alloc(j->a, nl * 2 * sizeof *pos);
    uint64_t *tkey = pkh__alloc(j->a, nl * 2 * sizeof *tkey);
    int64_t *tidx = pkh__alloc(j->a, nl * 2 * sizeof *tidx);
    if (pos == NULL || tkey == NULL || tidx == NULL) {
        pkh__free(j->a, pos, nl * 2 * sizeof *pos);
        pkh__free(j->a, tkey, nl * 2 * sizeof *tkey);
        pkh__free(j->a, tidx, nl * 2 * sizeof *tidx);
        return PKH_ENOMEM;
    }
    int64_t *end = pos + leaves;
    int64_t out = 0, count = 0;
    for (int64_t g = 0; g < leaves; g++) {
        int64_t from = 0, to = 0;
        if (g < j->k) {
            part_bounds(j, (int)t, g, &from, &to);
            out += from - j->offsets[g]; /* keys of every group below this part */
            count += to - from;
        }
        pos[g] = from;
        end[g] = to;
        /* the leaves' keys, in the upper half, where the matches start */
        tkey[leaves + g] = from < to ? rec_key(j->recs, from) : RUN_DONE;
        tidx[leaves + g] = g;
    }
    /* build: each inner node keeps its match's loser; the winners go up (through wkey/widx,
     * kept in the node until its parent has played) */
    uint64_t *wkey = pkh__alloc(j->a, nl * 2 * sizeof *wkey);
    int64_t *widx = pkh__alloc(j->a, nl * 2 * sizeof *widx);
    if (wkey == NULL || widx == NULL) {
        pkh__free(j->a, wkey, nl * 2 * sizeof *wkey);
        pkh__free(j->a, widx, nl * 2 * sizeof *widx);
        pkh__free(j->a, pos, nl * 2 * sizeof *pos);
        pkh__free(j->a, tkey, nl * 2 * sizeof *tkey);
        pkh__free(j->a, tidx, nl * 2 * sizeof *tidx);
        return PKH_ENOMEM;
    }
    memcpy(wkey + leaves, tkey + leaves, nl * sizeof *wkey);
    memcpy(widx + leaves, tidx + leaves, nl * sizeof *widx);
    for (int64_t node = leaves - 1; node >= 1; node--) {
        const int64_t l = 2 * node, r = 2 * node + 1;
        const bool lw = key_before(wkey[l], widx[l], wkey[r], widx[r]);
        wkey[node] = lw ? wkey[l] : wkey[r];
        widx[node] = lw ? widx[l] : widx[r];
        tkey[node] = lw ? wkey[r] : wkey[l];
        tidx[node] = lw ? widx[r] : widx[l];
    }
    uint64_t key = leaves > 1 ? wkey[1] : wkey[leaves];
    int64_t top = leaves > 1 ? widx[1] : widx[leaves];
    pkh__free(j->a, wkey, nl * 2 * sizeof *wkey);
    pkh__free(j->a, widx, nl * 2 * sizeof *widx);
    for (int64_t o = out; o < out + count; o++) {
        const unsigned char *rec = j->recs + (size_t)pos[top] * SPLIT_REC;
        j->x[o] = pkh__key_double(key);
        memcpy(&j->w[o], rec + 8, 8);
        key = ++pos[top] < end[top] ? rec_key(j->recs, pos[top]) : RUN_DONE;
        __builtin_prefetch(j->recs + (size_t)(pos[top] + 16) * SPLIT_REC);
        /* replay the leaf's path: masks, not branches (the outcomes are coin flips) */
        for (int64_t node = (top + leaves) / 2; node >= 1; node /= 2) {
            const uint64_t k2 = tkey[node];
            const int64_t i2 = tidx[node];
            const uint64_t swap = (uint64_t)0 - (uint64_t)((k2 < key) | ((k2 == key) & (i2 < top)));
            const uint64_t dk = (key ^ k2) & swap;
            const int64_t di = (int64_t)((uint64_t)(top ^ i2) & swap);
            tkey[node] = k2 ^ dk;
            tidx[node] = i2 ^ di;
            key ^= dk;
            top ^= di;
        }
    }
    pkh__free(j->a, pos, nl * 2 * sizeof *pos);
    pkh__free(j->a, tkey, nl * 2 * sizeof *tkey);
    pkh__free(j->a, tidx, nl * 2 * sizeof *tidx);
    return PKH_OK;
}

/* Rows with a key below v, over every group. */
static int64_t keys_below(const merge_job *j, uint64_t v)
{
    int64_t m = 0;
    for (int64_t g = 0; g < j->k; g++) {
        m += group_lower_bound(j, g, v) - j->offsets[g];
    }
    return m;
}

/* Merge the sorted groups into sj->x, sj->w, a part per thread. */
static pkh_status merge_groups(ctx *c, split_job *sj)
{
    enum { MAX_PARTS = 16 };
    int parts = pkh__threads(c->o->threads);
    parts = parts > MAX_PARTS ? MAX_PARTS : parts;
    const int64_t n = c->r.n;
    uint64_t pivots[MAX_PARTS + 1];
    merge_job j = {sj->grouped, sj->offsets, sj->k, parts, pivots, sj->x, sj->w, c->a};
    pivots[0] = 0;
    for (int t = 1; t < parts; t++) {
        /* the least key with at least t n / parts rows below it */
        const int64_t want = n * t / parts;
        uint64_t lo = pivots[t - 1], hi = UINT64_MAX;
        while (lo < hi) {
            const uint64_t mid = lo + (hi - lo) / 2;
            if (keys_below(&j, mid) >= want) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        pivots[t] = lo;
    }
    pivots[parts] = UINT64_MAX;
    return pkh__parallel_for(c->o->threads, parts, merge_task, &j);
}

static pkh_status run_split(ctx *c, seg_result *res)
{
    gp_job gp;
    double *zl = NULL;
    int64_t *counts = NULL;
    size_t ncounts = 0;
    bool gini_only = c->groups != NULL && c->r.k > 0;
    for (int64_t i = 0; i < c->o->n_indicators; i++) {
        const pkh_indicator *ind = &c->o->indicators[i];
        gini_only = gini_only && (additive(ind) || ind->kind == PKH_IND_GINI);
    }
    gk_job gk;
    memset(&gk, 0, sizeof gk);
    gk.k = gini_only ? c->r.k : 0;
    pkh_status st = additive_pass(c, res, &gp, &zl, &counts, &ncounts, gini_only ? &gk : NULL);
    const int64_t n = c->r.n, k = c->groups != NULL ? c->r.k : 0;
    if (gk.hist != NULL) {
        const int64_t chunks = (gp.nrows + GP_CHUNK - 1) / GP_CHUNK;
        if (st == PKH_OK && n > 0) {
            c->r.per_row = false; /* the Gini needs no line */
            gk.n = n;
            st = gini_by_sort(c, &gk, res, counts, chunks);
        }
        pkh__free(c->a, gk.hist, (size_t)(chunks > 0 ? chunks : 1) * GK_BUCKETS * sizeof *gk.hist);
        additive_free(c, &gp, zl, counts, ncounts);
        return st;
    }
    const int64_t chunks = (gp.nrows + GP_CHUNK - 1) / GP_CHUNK;
    const size_t rbytes = (size_t)(n > 0 ? n : 1) * SPLIT_REC;
    const size_t gbytes = (size_t)(chunks > 0 ? chunks : 1) * (size_t)(k > 0 ? k : 1);
    split_job j;
    memset(&j, 0, sizeof j);
    atomic_init(&j.next, 0);
    unsigned char *spare = NULL;
    int64_t *offsets = NULL;
    if (st == PKH_OK && n > 0) {
        c->r.per_row = false; /* the sort-based measures need no line */
        j.c = c;
        j.gp = &gp;
        j.k = k;
        j.res = res;
        j.all = pkh__alloc(c->a, rbytes);
        spare = pkh__alloc(c->a, rbytes);
        j.grouped = k > 0 ? pkh__alloc(c->a, rbytes) : NULL;
        j.goff = k > 0 ? pkh__alloc(c->a, gbytes * sizeof *j.goff) : NULL;
        offsets = pkh__alloc(c->a, (size_t)(k + 1) * sizeof *offsets);
        st = j.all == NULL || spare == NULL || offsets == NULL ||
                     (k > 0 && (j.grouped == NULL || j.goff == NULL))
                 ? pkh__enomem(c->err)
                 : PKH_OK;
    }
    if (st == PKH_OK && n > 0) {
        /* each group's place, and each chunk's within it (counts[chunk][1 + g][0]) */
        int64_t total = 0;
        for (int64_t g = 0; g < k; g++) {
            offsets[g] = total;
            for (int64_t ch = 0; ch < chunks; ch++) {
                j.goff[ch * k + g] = total;
                total += counts[(ch * c->nseg + 1 + g) * 2];
            }
            const int64_t m = total - offsets[g];
            j.largest = m > j.largest ? m : j.largest;
        }
        offsets[k] = total;
        j.offsets = offsets;
        pkh__parallel_for(c->o->threads, chunks, split_write, &j);
        const int threads = pkh__threads(c->o->threads);
        if (k > 0) {
            /* sort the groups, merge them into the population, then every segment's measures */
            j.x = (double *)(void *)j.all;
            j.w = j.x + n;
            j.cw = (double *)(void *)spare;
            j.cwx = j.cw + n;
            j.sort_only = true;
            st = pkh__parallel_for(threads, threads, split_task, &j);
            st = st == PKH_OK ? merge_groups(c, &j) : st;
            j.sort_only = false;
        } else {
            j.sorted = pkh__radix_sort_records(j.all, spare, SPLIT_REC, n, c->o->threads);
            j.other = j.sorted == j.all ? spare : j.all;
        }
        atomic_store_explicit(&j.next, 0, memory_order_relaxed); /* the measures' round */
        st = st == PKH_OK ? pkh__parallel_for(threads, threads, split_task, &j) : st;
        st = st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
    }
    pkh__free(c->a, j.all, rbytes);
    pkh__free(c->a, spare, rbytes);
    pkh__free(c->a, j.grouped, rbytes);
    pkh__free(c->a, j.goff, gbytes * sizeof *j.goff);
    pkh__free(c->a, offsets, (size_t)(k + 1) * sizeof *offsets);
    additive_free(c, &gp, zl, counts, ncounts);
    return st;
}

/* Records {key, w, z, row, cid, group} of the usable rows, in gather order. */
typedef struct lin_job {
    ctx *c;
    unsigned char *recs;
    seg_buf *b;
    int64_t *perm;
    int32_t *pos_group;
    int64_t n;
} lin_job;

static pkh_status lin_pack(void *vctx, int64_t k)
{
    const lin_job *j = vctx;
    const ctx *c = j->c;
    const int64_t from = k * PT_CHUNK, to = from + PT_CHUNK < j->n ? from + PT_CHUNK : j->n;
    for (int64_t i = from; i < to; i++) {
        uint64_t *r = (uint64_t *)(void *)(j->recs + (size_t)i * LIN_REC);
        r[0] = pkh__double_key(c->r.x[i]);
        memcpy(&r[1], &c->r.w[i], 8);
        if (c->r.z != NULL) {
            memcpy(&r[2], &c->r.z[i], 8);
        }
        r[3] = (uint64_t)c->r.row[i];
        r[4] = (uint64_t)i;
        /* the group, and the row's design unit (looked up here, in row order) */
        const uint32_t unit =
            c->design != NULL ? (uint32_t)pkh__design_unit(c->design, c->r.row[i]) : 0;
        r[5] = (uint64_t)(uint32_t)c->r.g[i] | ((uint64_t)unit << 32);
    }
    return PKH_OK;
}

/* The whole population's buffers, the permutation and each position's group, from the sorted
 * records: sequential reads. The income comes back from its key (-0 as +0, the same in every
 * measure). */
static pkh_status lin_unpack(void *vctx, int64_t k)
{
    const lin_job *j = vctx;
    seg_buf *b = j->b;
    const int64_t from = k * PT_CHUNK, to = from + PT_CHUNK < j->n ? from + PT_CHUNK : j->n;
    for (int64_t i = from; i < to; i++) {
        const uint64_t *r = (const uint64_t *)(const void *)(j->recs + (size_t)i * LIN_REC);
        const int64_t cid = (int64_t)r[4];
        b->x[i] = pkh__key_double(r[0]);
        memcpy(&b->w[i], &r[1], 8);
        if (b->z != NULL) {
            memcpy(&b->z[i], &r[2], 8);
        }
        if (b->row != NULL) {
            b->row[i] = (int64_t)r[3];
            b->cid[i] = cid;
        }
        if (b->unit != NULL) {
            b->unit[i] = (int32_t)(uint32_t)(r[5] >> 32);
        }
        if (j->perm != NULL) {
            j->perm[i] = cid;
        }
        j->pos_group[i] = (int32_t)(uint32_t)r[5];
    }
    return PKH_OK;
}

/* Buckets of records sorted one by one, in place, each thread in its own scratch. */
typedef struct bs_job {
    unsigned char *recs;
    size_t size;
    const int64_t *bounds; /* GK_BUCKETS + 1 */
    int64_t largest;
    const pkh_allocator *a;
    atomic_llong next;
} bs_job;

static pkh_status bs_task(void *vctx, int64_t t)
{
    bs_job *j = vctx;
    (void)t;
    const size_t bytes = (size_t)(j->largest > 0 ? j->largest : 1) * j->size;
    unsigned char *scratch = pkh__alloc(j->a, bytes);
    if (scratch == NULL) {
        return PKH_ENOMEM;
    }
    for (int64_t d = atomic_fetch_add(&j->next, 1); d < GK_BUCKETS;
         d = atomic_fetch_add(&j->next, 1)) {
        const int64_t from = j->bounds[d];
        pkh__sort_records_small(j->recs + (size_t)from * j->size, scratch, j->size,
                                j->bounds[d + 1] - from);
    }
    pkh__free(j->a, scratch, bytes);
    return PKH_OK;
}

static pkh_status sort_buckets(ctx *c, unsigned char *recs, size_t size, const int64_t *bounds,
                               int64_t largest)
{
    bs_job j = {recs, size, bounds, largest, c->a, 0};
    atomic_init(&j.next, 0);
    const int threads = pkh__threads(c->o->threads);
    return pkh__parallel_for(threads, threads, bs_task, &j);
}

/* A segment's buffers for n rows, the arrays seg_buf_alloc would make, carved out of `six`
 * (six doubles a row: a free record buffer of LIN_REC bytes a row), `cid` and `unit` (n each).
 * Borrowed: not freed. */
static seg_buf carve_seg_buf(const ctx *c, unsigned char *six, int64_t *cid, int32_t *unit,
                             int64_t n)
{
    _Static_assert(LIN_REC >= 6 * sizeof(double), "room for six arrays");
    const size_t nn = (size_t)(n > 0 ? n : 1);
    const seg_shape sh = seg_shape_of(c);
    seg_buf g;
    memset(&g, 0, sizeof g);
    g.n = n;
    double *d = (double *)(void *)six;
    g.x = d;
    g.w = d + nn;
    g.z = sh.z ? d + 2 * nn : NULL;
    g.cw = sh.prefix ? d + 3 * nn : NULL;
    g.cwx = sh.prefix ? d + 4 * nn : NULL;
    g.row = sh.rows ? (int64_t *)(void *)(d + 5 * nn) : NULL;
    g.cid = sh.rows ? cid : NULL;
    g.unit = sh.unit ? unit : NULL;
    return g;
}

/* ---- linearised SEs of the decompositions ----
 * Each part of a decomposition is a smooth function of totals over the whole population, so
 * its influence values are taken over the population's rows (docs/variance.md), from what the
 * segments kept:
 * - fgt_decomp, group g, with s_g = W_g / W, F_g the group's FGT and u^g its influence values
 *   (kept by the group, with its own line's term when the line is the group's), P = sum_h s_h
 *   F_h: pop_share u = w (1[g] - s_g) / W; contrib = s_g F_g: u = 1[g] s_g u^g + F_g u(share);
 *   contrib_rel = contrib / P: u = (u(contrib) - rel u(P)) / P. With a national estimated
 *   line, the slopes on its influence are s_g b_g and (s_g b_g - rel sum_h s_h b_h) / P.
 * - ge_decomp(a): between = B(W_g, Y_g) over the GE population's rows (positive incomes for
 *   a <= 0), differentiated in every group total; within = GE - between, u(GE) kept by the
 *   population.
 * One domain (the population's rows) serves every part. */

typedef struct decomp_in {
    const seg_buf *b0;    /* the population: incomes, weights, table rows */
    const int32_t *group; /* each position's group */
    const int64_t *gpos;  /* each position's place in its group's segment */
    pkh__dom dom;         /* the population's rows */
    double *u;            /* n: a part's influence values */
} decomp_in;

/* The SE of the part whose influence values are u (national line slope `slope`), or NaN when
 * the part's estimate is. */
static pkh_status decomp_var(const ctx *c, const decomp_in *in, const double *u, double slope,
                             double est, double *out)
{
    double var;
    const pkh_status st = pkh__dom_cov(c->sh.d, &in->dom, u, u, 1, &var);
    if (st != PKH_OK) {
        return st;
    }
    if (slope != 0 && c->sh.cross != NULL) {
        var += 2 * slope * pkh__design_cross(c->sh.d, in->b0->row, u, in->b0->n, c->sh.cross) +
               slope * slope * c->sh.var_line;
    }
    const double se = sqrt(var > 0 ? var : 0);
    out[0] = est == est ? se : NAN;
    return PKH_OK;
}

/* fgt_decomp's parts, written with three values a row (h its group): a = w / W, b = s_h u^h +
 * F_h a (the row's term in its own group's contribution) and c = b - P a (its term in P), so
 * that group g's parts are share = 1[g] a - s_g a, contrib = 1[g] b - contrib_g a and
 * contrib_rel = (1[g] b - contrib_g a - rel_g c) / P. Each thread takes every threads-th part,
 * in its own buffer (each part's SE on its own: the same on any thread count). */
typedef struct dfgt_job {
    const ctx *c;
    const decomp_in *in;
    const seg_result *res;
    int64_t k, parts;
    int threads;
    const double *a, *b, *cc;
    double W, P, slopeP;
} dfgt_job;

static pkh_status dfgt_task(void *vctx, int64_t t)
{
    const dfgt_job *j = vctx;
    const ctx *c = j->c;
    const int64_t n = j->in->b0->n;
    double *u = pkh__alloc(c->a, (size_t)(n > 0 ? n : 1) * sizeof *u);
    if (u == NULL) {
        return PKH_ENOMEM;
    }
    pkh_status st = PKH_OK;
    for (int64_t q = t; q < j->parts && st == PKH_OK; q += j->threads) {
        const int64_t g = q / 3, k = j->k;
        const int part = (int)(q % 3);
        const seg_result *r = &j->res[1 + g];
        const double sg = r->W / j->W, contrib = sg * r->est[k].value;
        const double rel = j->P > 0 ? contrib / j->P : NAN;
        const int32_t *grp = j->in->group;
        for (int64_t i = 0; i < n; i++) {
            const bool in_g = grp[i] == g;
            const double v =
                part == 0   ? (in_g ? j->a[i] : 0) - sg * j->a[i]
                : part == 1 ? (in_g ? j->b[i] : 0) - contrib * j->a[i]
                            : ((in_g ? j->b[i] : 0) - contrib * j->a[i] - rel * j->cc[i]) / j->P;
            u[i] = v;
        }
        const double slope = part == 0   ? 0
                             : part == 1 ? sg * r->se[k].slope
                                         : (sg * r->se[k].slope - rel * j->slopeP) / j->P;
        const double est = part == 0 ? sg : part == 1 ? contrib : rel;
        double *out = c->dse + ((1 + g) * c->o->n_indicators + k) * 3;
        st = decomp_var(c, j->in, u, slope, est, &out[part]);
    }
    pkh__free(c->a, u, (size_t)(n > 0 ? n : 1) * sizeof *u);
    return st;
}

static pkh_status decomp_fgt_se(ctx *c, seg_result *res, decomp_in *in, int64_t k)
{
    const int64_t n = in->b0->n, ng = c->r.k;
    const double *w = in->b0->w;
    dfgt_job j = {c, in, res, k, 3 * ng, pkh__threads(c->o->threads), NULL, NULL, NULL, 0, 0, 0};
    for (int64_t h = 0; h < ng; h++) {
        if (res[1 + h].infl[k] == NULL) {
            return PKH_OK; /* not kept: no SEs */
        }
        j.W += res[1 + h].W;
    }
    for (int64_t h = 0; h < ng; h++) {
        const double sh = res[1 + h].W / j.W;
        j.P += sh * res[1 + h].est[k].value;
        j.slopeP += sh * res[1 + h].se[k].slope;
    }
    const size_t nn = (size_t)(n > 0 ? n : 1);
    double *abc = pkh__alloc(c->a, 3 * nn * sizeof *abc);
    if (abc == NULL) {
        return PKH_ENOMEM;
    }
    double *a = abc, *b = abc + nn, *cc = abc + 2 * nn;
    for (int64_t i = 0; i < n; i++) {
        const int32_t h = in->group[i];
        if (h < 0) {
            a[i] = b[i] = cc[i] = 0;
            continue;
        }
        const double sh = res[1 + h].W / j.W;
        a[i] = w[i] / j.W;
        b[i] = sh * res[1 + h].infl[k][in->gpos[i]] + res[1 + h].est[k].value * a[i];
        cc[i] = b[i] - j.P * a[i];
    }
    j.a = a;
    j.b = b;
    j.cc = cc;
    j.threads = j.threads < 1 ? 1 : j.threads;
    const pkh_status st = pkh__parallel_for(j.threads, j.threads, dfgt_task, &j);
    pkh__free(c->a, abc, 3 * nn * sizeof *abc);
    return st;
}

static pkh_status decomp_ge_se(ctx *c, seg_result *res, decomp_in *in, int64_t k)
{
    const int64_t n = in->b0->n, ng = c->r.k;
    const double a = c->o->indicators[k].a;
    const double *x = in->b0->x, *w = in->b0->w;
    if (res[0].infl[k] == NULL) {
        return PKH_OK;
    }
    double W = 0, Y = 0, S = 0, Bbar = 0, B1 = 0;
    for (int64_t h = 0; h < ng; h++) {
        W += res[1 + h].ge_w[k];
        Y += res[1 + h].ge_sx[k];
    }
    const double mu = Y / W;
    for (int64_t h = 0; h < ng; h++) {
        const double Wh = res[1 + h].ge_w[k], Yh = res[1 + h].ge_sx[k];
        if (!(Wh > 0)) {
            continue;
        }
        Bbar += Wh / W * log(Yh / Wh);
        B1 += Yh > 0 ? Yh / Y * log(Yh / Wh / mu) : 0;
        S += pow(Wh, 1 - a) * pow(Yh, a);
    }
    const double Q = S * pow(W, a - 1) * pow(Y, -a);
    /* the between part's influence, w (cw_h + x cy_h) over the GE population (0 off it): the
     * coefficients of each group, once */
    const size_t nc = (size_t)(ng > 0 ? ng : 1) * 2;
    double *coef = pkh__alloc(c->a, nc * sizeof *coef);
    if (coef == NULL) {
        return PKH_ENOMEM;
    }
    for (int64_t h = 0; h < ng; h++) {
        const double Wh = res[1 + h].ge_w[k], Yh = res[1 + h].ge_sx[k], muh = Yh / Wh;
        double *cw = &coef[2 * h], *cy = &coef[2 * h + 1];
        if (!(Wh > 0)) {
            *cw = *cy = 0;
        } else if (a == 0) {
            *cw = (Bbar - log(muh)) / W;
            *cy = (1 / mu - 1 / muh) / W;
        } else if (a == 1) {
            *cw = (1 - muh / mu) / W;
            *cy = ((Yh > 0 ? log(muh / mu) : 0) - B1) / Y;
        } else {
            const double dW = (1 - a) * pow(Wh, -a) * pow(Yh, a) / S + (a - 1) / W;
            const double dY = a * pow(Wh, 1 - a) * pow(Yh, a - 1) / S - a / Y;
            *cw = Q * dW / (a * (a - 1));
            *cy = Q * dY / (a * (a - 1));
        }
    }
    for (int64_t i = 0; i < n; i++) {
        const int32_t h = in->group[i];
        const bool in_ge = h >= 0 && (a <= 0 ? x[i] > 0 : x[i] >= 0);
        in->u[i] = in_ge ? w[i] * (coef[2 * h] + x[i] * coef[2 * h + 1]) : 0;
    }
    pkh__free(c->a, coef, nc * sizeof *coef);
    double *out = c->dse + k * 3; /* the population's: within, between */
    const double between = a == 0 ? log(mu) - Bbar : a == 1 ? B1 : (Q - 1) / (a * (a - 1));
    pkh_status st = decomp_var(c, in, in->u, 0, between, &out[1]);
    if (st == PKH_OK) {
        const double *uge = res[0].infl[k];
        for (int64_t i = 0; i < n; i++) {
            in->u[i] = uge[i] - in->u[i];
        }
        st = decomp_var(c, in, in->u, 0, res[0].est[k].value, &out[0]);
    }
    return st;
}

/* Every decomposition's SEs into c->dse (owned by c), after the segments' (run_all). b0: the
 * population's buffers; group: each position's group (borrowed). */
static pkh_status decomp_se(ctx *c, seg_result *res, const seg_buf *b0, const int32_t *group)
{
    const int64_t n = b0->n, ni = c->o->n_indicators;
    const size_t nn = (size_t)(n > 0 ? n : 1), nd = (size_t)c->nseg * (size_t)ni * 3;
    decomp_in in;
    memset(&in, 0, sizeof in);
    in.b0 = b0;
    in.group = group;
    int64_t *gpos = pkh__alloc(c->a, nn * sizeof *gpos);
    int64_t *next = pkh__alloc(c->a, (size_t)(c->r.k > 0 ? c->r.k : 1) * sizeof *next);
    in.u = pkh__alloc(c->a, nn * sizeof *in.u);
    c->dse = pkh__alloc(c->a, nd * sizeof *c->dse);
    pkh_status st =
        gpos == NULL || next == NULL || in.u == NULL || c->dse == NULL ? PKH_ENOMEM : PKH_OK;
    if (st == PKH_OK) {
        for (size_t i = 0; i < nd; i++) {
            c->dse[i] = NAN;
        }
        /* the groups' segments hold the population's positions in order (group_scatter) */
        memset(next, 0, (size_t)c->r.k * sizeof *next);
        for (int64_t i = 0; i < n; i++) {
            gpos[i] = group[i] >= 0 ? next[group[i]]++ : 0;
        }
        in.gpos = gpos;
        st = pkh__dom_init(c->sh.d, b0->row, NULL, n, c->o->threads, c->a, &in.dom);
    }
    for (int64_t k = 0; k < ni && st == PKH_OK; k++) {
        const pkh_indicator_kind kind = c->o->indicators[k].kind;
        if (kind == PKH_IND_FGT_DECOMP) {
            st = decomp_fgt_se(c, res, &in, k);
        } else if (kind == PKH_IND_GE_DECOMP) {
            st = decomp_ge_se(c, res, &in, k);
        }
    }
    pkh__dom_free(&in.dom);
    pkh__free(c->a, gpos, nn * sizeof *gpos);
    pkh__free(c->a, next, (size_t)(c->r.k > 0 ? c->r.k : 1) * sizeof *next);
    pkh__free(c->a, in.u, nn * sizeof *in.u);
    return st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
}

static pkh_status run_all(ctx *c, seg_result *res)
{
    const int64_t n = c->r.n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    /* the sort's permutation and the groups' orders are for the replicates only */
    int64_t *perm = c->perm = c->replicate ? pkh__alloc(c->a, nn * sizeof *perm) : NULL;
    if (c->replicate && perm == NULL) {
        return pkh__enomem(c->err);
    }
    pkh_status st = PKH_OK;
    seg_buf b;
    memset(&b, 0, sizeof b);
    double *scratch = NULL;
    pkh__seg s0;
    int32_t *pos_group = pkh__alloc(c->a, nn * sizeof *pos_group);
    /* the records, gathered already (linearisation alone) or packed here from r's arrays */
    const bool packed = c->lin_recs != NULL;
    unsigned char *ra = packed ? c->lin_recs : pkh__alloc(c->a, nn * LIN_REC);
    unsigned char *rb = pkh__alloc(c->a, nn * LIN_REC);
    c->lin_recs = NULL; /* owned here now */
    /* the compact rows and units of the population's and the groups' buffers; their other
     * arrays live in the record buffers once the records are read */
    int64_t *cids = pkh__alloc(c->a, nn * 2 * sizeof *cids);
    int32_t *units = pkh__alloc(c->a, nn * 2 * sizeof *units);
    st = pos_group == NULL || ra == NULL || rb == NULL || cids == NULL || units == NULL ? PKH_ENOMEM
                                                                                        : PKH_OK;
    unsigned char *sorted = ra;
    if (st == PKH_OK) {
        /* the rows travel through the sort as records: no gather in random order after it */
        const int64_t chunks = (n + PT_CHUNK - 1) / PT_CHUNK;
        lin_job lj = {c, ra, &b, perm, pos_group, n};
        if (!packed) {
            pkh__parallel_for(c->o->threads, chunks, lin_pack, &lj);
        }
        if (c->lin_bounds != NULL) { /* gathered by bucket: each sorted in cache */
            st = sort_buckets(c, ra, LIN_REC, c->lin_bounds, c->lin_largest);
        } else if (c->need_sort) {
            sorted = pkh__radix_sort_records(ra, rb, LIN_REC, n, c->o->threads);
        }
        /* the population's buffers in the other record buffer (free now) */
        b = carve_seg_buf(c, sorted == ra ? rb : ra, cids, units, n);
        lj.recs = sorted;
        pkh__parallel_for(c->o->threads, chunks, lin_unpack, &lj);
    }
    const bool groups = c->r.k > 0 && c->groups != NULL;
    const bool rel = c->o->line.kind == PKH_LINE_REL_MEDIAN || c->o->line.kind == PKH_LINE_REL_MEAN;
    /* with groups that need nothing of it, the whole population is one more task beside them */
    const bool late = groups && !(rel && !c->o->line_by_group);
    if (st == PKH_OK && !late) {
        scratch = pkh__alloc(c->a, scratch_bytes(c, n));
        st = st == PKH_OK && scratch == NULL ? PKH_ENOMEM : st;
    }
    if (st == PKH_OK && !late) {
        st = run_segment(c, &b, &res[0], 0, scratch, &s0);
    }
    pkh__free(c->a, scratch, scratch_bytes(c, n));
    if (st == PKH_OK && c->lin && groups && rel && !c->o->line_by_group) {
        /* the groups' variances need the whole population's line first */
        st = se_segment(c, &b, &s0, &res[0], 0, true, c->o->threads);
    }
    if (st == PKH_OK && c->lin && !groups) {
        st = se_segment(c, &b, &s0, &res[0], 0, false, c->o->threads);
    }
    if (st == PKH_OK && groups) {
        const bool orders = c->replicate;
        int64_t *order = c->order = orders ? pkh__alloc(c->a, nn * sizeof *order) : NULL;
        int64_t *offsets = c->offsets = pkh__alloc(c->a, (size_t)(c->r.k + 1) * sizeof *offsets);
        int64_t *pos = orders ? pkh__alloc(c->a, nn * sizeof *pos) : NULL;
        st = (orders && (order == NULL || pos == NULL)) || offsets == NULL ? PKH_ENOMEM : PKH_OK;
        if (st == PKH_OK && orders) {
            /* positions of the sorted population, dealt out to their groups in order (a stable
             * counting sort): each group's rows stay in income order */
            st = pkh__group_sort(NULL, n, pos_group, c->r.k, c->a, pos, offsets);
            for (int64_t i = 0; i < n && st == PKH_OK; i++) {
                order[i] = perm[pos[i]];
            }
        } else if (st == PKH_OK) {
            memset(offsets, 0, (size_t)(c->r.k + 1) * sizeof *offsets);
            for (int64_t i = 0; i < n; i++) {
                offsets[pos_group[i] + 1] += pos_group[i] >= 0;
            }
            for (int64_t g = 0; g < c->r.k; g++) {
                offsets[g + 1] += offsets[g];
            }
        }
        for (int64_t g = 0; g < c->r.k && st == PKH_OK; g++) {
            if (offsets[g + 1] == offsets[g]) {
                st = PKH_EEMPTY;
                pkh__errorf(c->err, PKH_EEMPTY,
                            "a group has no usable rows (every income "
                            "missing?): group %lld of --by",
                            (long long)g + 1);
            }
        }
        if (st == PKH_OK) {
            /* the groups' buffers in the sorted records' (read already); segment 0's estimates
             * and SEs run beside the groups, as one more task */
            seg_buf gb = carve_seg_buf(c, sorted, cids + nn, units + nn, n);
            st = group_scatter(c, &b, &gb, pos_group, offsets);
            if (st == PKH_OK) {
                group_job j;
                memset(&j, 0, sizeof j);
                j.c = c;
                j.offsets = offsets;
                j.res = res;
                j.b0 = &b;
                j.grouped = &gb;
                j.s0 = &s0;
                j.late = late;
                pthread_mutex_init(&j.lock, NULL);
                pthread_cond_init(&j.cond, NULL);
                atomic_init(&j.next_t, 0);
                atomic_init(&j.next_g, 0);
                atomic_init(&j.failed, false);
                const int threads = pkh__threads(c->o->threads);
                st = pkh__parallel_for(threads, threads, group_task, &j);
                if (j.split_ok) {
                    pkh__seg_se_close(&j.split);
                }
                if (st == PKH_OK && c->lin_decomp) {
                    st = decomp_se(c, res, &b, pos_group);
                }
                pthread_cond_destroy(&j.cond);
                pthread_mutex_destroy(&j.lock);
            }
        }
        pkh__free(c->a, pos, nn * sizeof *pos);
    }
    pkh__free(c->a, pos_group, nn * sizeof *pos_group);
    pkh__free(c->a, ra, nn * LIN_REC);
    pkh__free(c->a, rb, nn * LIN_REC);
    pkh__free(c->a, cids, nn * 2 * sizeof *cids);
    pkh__free(c->a, units, nn * 2 * sizeof *units);
    if (st == PKH_ENOMEM) {
        return pkh__enomem(c->err);
    }
    return st;
}

/* ---- standard errors ---- */

/* The design (the caller's, or simple random sampling of the rows), the replicate weight
 * columns, the t quantile. */
static pkh_status setup_se(ctx *c)
{
    const pkh_se_options *se = &c->o->se;
    const pkh_indicators_options *o = c->o;
    if (se->method == PKH_SE_NONE) {
        return PKH_OK;
    }
    if ((unsigned)se->method > PKH_SE_REPLICATE) {
        return pkh__errorf(c->err, PKH_EINVAL, "unknown standard-error method %d", (int)se->method);
    }
    c->level = se->level == 0 ? 0.95 : se->level;
    if (!(c->level > 0 && c->level < 1)) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "the confidence level must be in (0, 1), e.g. "
                           "0.95 (got %g)",
                           se->level);
    }
    if (se->method == PKH_SE_BOOTSTRAP && se->replicates < 2) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "the bootstrap needs at least 2 replicates (got "
                           "%lld), e.g. bootstrap:1000",
                           (long long)se->replicates);
    }
    if (se->method == PKH_SE_REPLICATE) {
        if (se->n_repweights < 2 || se->repweights == NULL) {
            return pkh__errorf(c->err, PKH_EINVAL,
                               "replicate weights: give at least 2 "
                               "replicate weight columns");
        }
        c->repcols = pkh__calloc(c->a, (size_t)se->n_repweights, sizeof *c->repcols);
        if (c->repcols == NULL) {
            return pkh__enomem(c->err);
        }
        for (int64_t r = 0; r < se->n_repweights; r++) {
            pkh_status st = PKH_OK;
            c->repcols[r] = numeric_column(c, se->repweights[r], "replicate weight", &st);
            if (st != PKH_OK) {
                return st;
            }
        }
    }
    if (se->method == PKH_SE_REPLICATE && se->reptype == PKH_REP_JKN && se->design == NULL) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "jkn replicate weights are scaled by the number "
                           "of PSUs of the stratum each one deletes: give the design's strata "
                           "(--strata, and --psu)");
    }
    if (se->ci == PKH_CI_PERCENTILE && se->method == PKH_SE_LINEARIZED) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "percentile intervals come from replicates: use "
                           "them with the bootstrap (--se bootstrap:R --ci percentile)");
    }
    const pkh_design *d = se->design;
    if (d == NULL) {
        pkh_design_spec spec = PKH_DESIGN_SPEC_INIT;
        spec.threads = o->threads;
        pkh_status st = pkh_design_new(c->t, &spec, &c->own_design, c->err);
        if (st != PKH_OK) {
            return st;
        }
        d = c->own_design;
    }
    if (pkh_design_rows(d) != c->t->num_rows) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "the design was built on a table of %lld rows, "
                           "the data have %lld",
                           (long long)pkh_design_rows(d), (long long)c->t->num_rows);
    }
    c->design = d;
    c->replicate = se->method == PKH_SE_BOOTSTRAP || se->method == PKH_SE_REPLICATE;
    /* with replicates, the linearisation still gives deff's SRS variance */
    c->lin = se->method == PKH_SE_LINEARIZED || (c->replicate && se->deff);
    for (int64_t k = 0; k < o->n_indicators; k++) {
        const pkh_indicator_kind kind = o->indicators[k].kind;
        c->lin_decomp =
            c->lin_decomp || (se->method == PKH_SE_LINEARIZED &&
                              (kind == PKH_IND_FGT_DECOMP || kind == PKH_IND_GE_DECOMP));
    }
    c->sh.d = d;
    c->sh.a = c->a;
    if (se->df < 0 || se->df != se->df) {
        return pkh__errorf(c->err, PKH_EINVAL, "degrees of freedom must be positive");
    }
    const double df = se->df > 0 ? se->df : (double)pkh_design_df(d);
    c->sh.tq = pkh_t_quantile((1 + c->level) / 2, df);
    c->sh.deff = se->deff;
    c->sh.qse = se->quantile_se;
    c->sh.rule = o->quantile_rule;
    c->info.se = se->method;
    c->info.df = se->df > 0 ? (int64_t)se->df : pkh_design_df(d);
    c->info.level = c->level;
    c->info.strata = pkh_design_strata(d);
    c->info.psus = pkh_design_psus(d);
    c->info.srs = se->design == NULL || pkh_design_is_srs(d);
    return PKH_OK;
}

/* The text of key column `col` of group g. */
static void group_text(ctx *c, int64_t col, int64_t g, char *buf, size_t cap, locale_t loc)
{
    const pkh_column *kc = &pkh_groups_keys(c->groups)->columns[col];
    const size_t n = key_text(kc, g, buf, cap, loc);
    buf[n] = '\0';
}

static int64_t groups_with(ctx *c, int64_t col, const char *v, locale_t loc)
{
    int64_t found = 0;
    for (int64_t g = 0; g < c->r.k; g++) {
        char t[256];
        group_text(c, col, g, t, sizeof t, loc);
        found += strcmp(t, v) == 0;
    }
    return found;
}

/* Split "A-B" at the one '-' that names two groups. */
static pkh_status split_values(ctx *c, const pkh_contrast *ct, int64_t col, char *a, char *b,
                               locale_t loc)
{
    const char *text = ct->a;
    int matches = 0;
    for (const char *p = strchr(text, '-'); p != NULL; p = strchr(p + 1, '-')) {
        char l[256], r[256];
        snprintf(l, sizeof l, "%.*s", (int)(p - text), text);
        snprintf(r, sizeof r, "%s", p + 1);
        if (l[0] != '\0' && r[0] != '\0' && groups_with(c, col, l, loc) > 0 &&
            groups_with(c, col, r, loc) > 0) {
            matches++;
            strcpy(a, l);
            strcpy(b, r);
        }
    }
    if (matches == 1) {
        return PKH_OK;
    }
    return pkh__errorf(c->err, PKH_EINVAL, "--contrast %s=%s: %s", ct->column, text,
                       matches == 0 ? "write COL=A-B with two values of the column that occur in "
                                      "the data"
                                    : "ambiguous: several '-' split it into two values that "
                                      "occur");
}

/* Pairs of groups for each contrast; marks the groups whose influence values are kept. */
static pkh_status resolve_contrasts(ctx *c)
{
    const pkh_se_options *se = &c->o->se;
    if (se->n_contrasts == 0) {
        return PKH_OK;
    }
    if (se->method == PKH_SE_NONE || c->groups == NULL) {
        return pkh__errorf(c->err, PKH_EINVAL,
                           "a contrast is a difference between two groups "
                           "of a --by column, with standard errors (not --se none)");
    }
    const size_t np = (size_t)(se->n_contrasts * c->r.k);
    c->pairs = pkh__alloc(c->a, (np > 0 ? np : 1) * sizeof *c->pairs);
    c->pair_label = pkh__alloc(c->a, (size_t)se->n_contrasts * sizeof *c->pair_label);
    c->keep = pkh__calloc(c->a, (size_t)c->nseg, 1);
    if (c->pairs == NULL || c->pair_label == NULL || c->keep == NULL) {
        return pkh__enomem(c->err);
    }
    locale_t loc = pkh__c_locale();
    pkh_status st = PKH_OK;
    for (int64_t q = 0; q < se->n_contrasts && st == PKH_OK; q++) {
        const pkh_contrast *ct = &se->contrasts[q];
        int64_t col = -1;
        for (int64_t j = 0; j < c->o->n_by; j++) {
            col = col < 0 && strcmp(c->o->by[j], ct->column) == 0 ? j : col;
        }
        if (col < 0) {
            st = pkh__errorf(c->err, PKH_EINVAL,
                             "--contrast: \"%s\" is not one of the --by "
                             "columns",
                             ct->column);
            break;
        }
        char a[256], b[256];
        if (ct->b != NULL) {
            snprintf(a, sizeof a, "%s", ct->a);
            snprintf(b, sizeof b, "%s", ct->b);
        } else if ((st = split_values(c, ct, col, a, b, loc)) != PKH_OK) {
            break;
        }
        snprintf(c->pair_label[q], sizeof c->pair_label[q], "%.40s=%.55s-%.55s", ct->column, a, b);
        const int64_t before = c->n_pairs;
        for (int64_t g1 = 0; g1 < c->r.k; g1++) {
            char t[256];
            group_text(c, col, g1, t, sizeof t, loc);
            if (strcmp(t, a) != 0) {
                continue;
            }
            for (int64_t g2 = 0; g2 < c->r.k; g2++) {
                bool same = true;
                for (int64_t j = 0; j < c->o->n_by && same; j++) {
                    char t1[256], t2[256];
                    group_text(c, j, g1, t1, sizeof t1, loc);
                    group_text(c, j, g2, t2, sizeof t2, loc);
                    same = j == col ? strcmp(t2, b) == 0 : strcmp(t1, t2) == 0;
                }
                if (same) {
                    c->pairs[c->n_pairs++] = (pair){g1, g2, col, q};
                    c->keep[1 + g1] = c->keep[1 + g2] = 1;
                }
            }
        }
        if (c->n_pairs == before) {
            st = pkh__errorf(c->err, PKH_EINVAL,
                             "--contrast %s: no groups with %s = %s and "
                             "%s = %s (the other --by values equal)",
                             c->pair_label[q], ct->column, a, ct->column, b);
        }
    }
    if (loc != (locale_t)0) {
        freelocale(loc);
    }
    return st;
}

/* SEs, CIs and deff of the rows from the linearisation. */
static pkh_status fill_linearised(ctx *c, seg_result *res, out_rows *o)
{
    const bool replicate = c->replicate;
    for (int64_t i = 0; i < o->n; i++) {
        out_row *r = &o->v[i];
        if (r->k < 0) {
            continue;
        }
        if (r->pair < 0) {
            const pkh__se_row *e = &res[r->seg].se[r->k];
            if (!replicate) {
                r->se = e->se;
                r->lo = e->lo;
                r->hi = e->hi;
                r->deff = e->deff;
            } else {
                r->deff = e->srs; /* the SRS variance, divided by the replicate one later */
            }
            continue;
        }
        if (replicate) {
            continue;
        }
        const pair *p = &c->pairs[r->pair];
        const seg_result *r1 = &res[1 + p->g1], *r2 = &res[1 + p->g2];
        if (r1->infl[r->k] == NULL || r1->se[r->k].var != r1->se[r->k].var ||
            r2->se[r->k].var != r2->se[r->k].var) {
            continue;
        }
        double var;
        const pkh_status st =
            pkh__contrast_se(&c->sh, r1->rows, r1->infl[r->k], r1->n, r1->se[r->k].slope, r2->rows,
                             r2->infl[r->k], r2->n, r2->se[r->k].slope, &var);
        if (st != PKH_OK) {
            return pkh__enomem(c->err);
        }
        r->se = sqrt(var > 0 ? var : 0);
        r->lo = r->est.value - c->sh.tq * r->se;
        r->hi = r->est.value + c->sh.tq * r->se;
    }
    return PKH_OK;
}

/* ---- replicates: the bootstrap and replicate weights ---- */

typedef struct rep_job {
    ctx *c;
    int64_t R, blocks, n_out;
    const out_rows *main;
    double *x0, *z0, *xg, *zg; /* incomes and lines in segment 0's order and in group order */
    double *w0, *wg;           /* bootstrap: the weights in the same orders */
    int32_t *p0, *pg;          /* bootstrap: the PSU of each position */
    double *vals;              /* n_out x R */
    double *scales;            /* jkn: per replicate */
} rep_job;

typedef struct rep_buf {
    double *wr, *ws, *cw, *cwx, *scratch, *pf, *seg_line;
    int32_t *count;
    void *state;
    seg_result *res;
} rep_buf;

static void rep_buf_free(ctx *c, rep_buf *b)
{
    const size_t nn = (size_t)(c->r.n > 0 ? c->r.n : 1), ns = (size_t)c->nseg;
    const size_t ni = (size_t)(c->o->n_indicators > 0 ? c->o->n_indicators : 1);
    const size_t np = c->design != NULL ? (size_t)pkh_design_psus(c->design) : 1;
    pkh__free(c->a, b->wr, nn * sizeof(double));
    pkh__free(c->a, b->ws, nn * sizeof(double));
    pkh__free(c->a, b->cw, nn * sizeof(double));
    pkh__free(c->a, b->cwx, nn * sizeof(double));
    pkh__free(c->a, b->scratch, scratch_bytes(c, c->r.n));
    pkh__free(c->a, b->pf, np * sizeof(double));
    pkh__free(c->a, b->count, np * sizeof(int32_t));
    pkh__free(c->a, b->state, pkh__design_rng_state_size());
    pkh__free(c->a, b->seg_line, ns * sizeof(double));
    for (size_t s = 0; b->res != NULL && s < ns; s++) {
        pkh__free(c->a, b->res[s].est, ni * sizeof *b->res[s].est);
        pkh__free(c->a, b->res[s].ge_w, ni * sizeof(double));
        pkh__free(c->a, b->res[s].ge_sx, ni * sizeof(double));
    }
    pkh__free(c->a, b->res, ns * sizeof *b->res);
}

static pkh_status rep_buf_alloc(ctx *c, rep_buf *b)
{
    const size_t nn = (size_t)(c->r.n > 0 ? c->r.n : 1), ns = (size_t)c->nseg;
    const size_t ni = (size_t)(c->o->n_indicators > 0 ? c->o->n_indicators : 1);
    const size_t np = (size_t)pkh_design_psus(c->design);
    memset(b, 0, sizeof *b);
    b->wr = pkh__alloc(c->a, nn * sizeof(double));
    b->ws = pkh__alloc(c->a, nn * sizeof(double));
    b->cw = pkh__alloc(c->a, nn * sizeof(double));
    b->cwx = pkh__alloc(c->a, nn * sizeof(double));
    b->scratch = pkh__alloc(c->a, scratch_bytes(c, c->r.n));
    b->pf = pkh__alloc(c->a, np * sizeof(double));
    b->count = pkh__alloc(c->a, np * sizeof(int32_t));
    b->state = pkh__alloc(c->a, pkh__design_rng_state_size());
    b->seg_line = pkh__calloc(c->a, ns, sizeof(double));
    b->res = pkh__calloc(c->a, ns, sizeof *b->res);
    if (b->wr == NULL || b->ws == NULL || b->cw == NULL || b->cwx == NULL || b->scratch == NULL ||
        b->pf == NULL || b->count == NULL || b->state == NULL || b->seg_line == NULL ||
        b->res == NULL) {
        return PKH_ENOMEM;
    }
    for (size_t s = 0; s < ns; s++) {
        b->res[s].est = pkh__calloc(c->a, ni, sizeof *b->res[s].est);
        b->res[s].ge_w = pkh__calloc(c->a, ni, sizeof(double));
        b->res[s].ge_sx = pkh__calloc(c->a, ni, sizeof(double));
        if (b->res[s].est == NULL || b->res[s].ge_w == NULL || b->res[s].ge_sx == NULL) {
            return PKH_ENOMEM;
        }
    }
    return PKH_OK;
}

/* Replicate r: the bootstrap's PSU factors into b->pf, or the replicate weights of every usable
 * row into b->wr. */
static pkh_status replicate_weights(ctx *c, int64_t r, rep_buf *b)
{
    if (c->o->se.method == PKH_SE_REPLICATE) {
        const pkh_column *col = c->repcols[r];
        for (int64_t i = 0; i < c->r.n; i++) {
            b->wr[i] = num_at(col, c->r.row[i]) * c->r.size[i];
        }
        return PKH_OK;
    }
    return pkh__design_boot_psu(c->design, c->o->se.seed, r, b->state, b->count, b->pf, NULL);
}

/* The estimates of one segment under replicate weights (x, z in the segment's sorted order):
 * weight x the PSU's factor (the bootstrap), or the replicate weights of the rows `ids`. */
static pkh_status rep_segment(ctx *c, rep_buf *b, const double *x, const double *z,
                              const int64_t *ids, const double *w, const int32_t *psu, int64_t n,
                              int64_t si)
{
    if (w != NULL) {
        for (int64_t i = 0; i < n; i++) {
            b->ws[i] = w[i] * b->pf[psu[i]];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            b->ws[i] = b->wr[ids[i]];
        }
    }
    pkh__seg s;
    memset(&s, 0, sizeof s);
    s.x = x;
    s.w = b->ws;
    s.z = z;
    s.n = n;
    pkh__seg_prefix(&s, b->cw, b->cwx);
    return estimate_segment(c, &s, &b->res[si], si, b->seg_line, b->scratch, true);
}

static pkh_status rep_block(void *vctx, int64_t blk)
{
    rep_job *j = vctx;
    ctx *c = j->c;
    const int64_t r0 = blk * j->R / j->blocks, r1 = (blk + 1) * j->R / j->blocks;
    rep_buf b;
    pkh_status st = rep_buf_alloc(c, &b);
    for (int64_t r = r0; r < r1 && st == PKH_OK; r++) {
        st = replicate_weights(c, r, &b);
        if (st == PKH_OK) {
            st = rep_segment(c, &b, j->x0, j->z0, c->perm, j->w0, j->p0, c->r.n, 0);
        }
        for (int64_t g = 0; g < c->r.k && st == PKH_OK; g++) {
            const int64_t off = c->offsets[g];
            st = rep_segment(c, &b, j->xg + off, j->zg != NULL ? j->zg + off : NULL, c->order + off,
                             j->wg != NULL ? j->wg + off : NULL, j->pg != NULL ? j->pg + off : NULL,
                             c->offsets[g + 1] - off, 1 + g);
        }
        out_rows tmp = {NULL, 0, 0};
        if (st == PKH_OK) {
            st = collect_rows(c, b.res, &tmp);
        }
        for (int64_t i = 0; i < j->n_out && st == PKH_OK; i++) {
            const out_row *m = &j->main->v[i];
            double v;
            if (m->pair >= 0) {
                const pair *p = &c->pairs[m->pair];
                v = b.res[1 + p->g1].est[m->k].value - b.res[1 + p->g2].est[m->k].value;
            } else {
                v = tmp.v[i].est.value;
            }
            j->vals[i * j->R + r] = v;
        }
        pkh__free(c->a, tmp.v, (size_t)tmp.cap * sizeof *tmp.v);
    }
    rep_buf_free(c, &b);
    return st;
}

/* jkn: (n_h - 1) / n_h of the stratum whose PSU each replicate deletes. */
static pkh_status jkn_scales(ctx *c, double *scales)
{
    const pkh_design *d = c->design;
    for (int64_t r = 0; r < c->o->se.n_repweights; r++) {
        int64_t h = -1;
        for (int64_t i = 0; i < c->t->num_rows; i++) {
            const pkh_column *col = c->repcols[r];
            if (valid_at(col, i) && num_at(col, i) == 0) {
                const int64_t hi = d->row_stratum != NULL ? d->row_stratum[i] : 0;
                if (h >= 0 && hi != h) {
                    return pkh__errorf(c->err, PKH_EINVAL,
                                       "jkn replicate weight \"%s\" is 0 "
                                       "in several strata: a jkn replicate deletes one PSU of "
                                       "one stratum (is the design's --strata right?)",
                                       c->o->se.repweights[r]);
                }
                h = hi;
            }
        }
        if (h < 0) {
            return pkh__errorf(c->err, PKH_EINVAL,
                               "jkn replicate weight \"%s\" is never 0, so "
                               "the stratum it deletes from is unknown",
                               c->o->se.repweights[r]);
        }
        const double nh = (double)d->stratum_npsu[h];
        scales[r] = (nh - 1) / nh;
    }
    return PKH_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* Quantile p of sorted v (R's type 7: linear interpolation). */
static double type7(const double *v, int64_t n, double p)
{
    const double hpos = (double)(n - 1) * p;
    const int64_t lo = (int64_t)floor(hpos);
    const int64_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (hpos - (double)lo) * (v[hi] - v[lo]);
}

/* Variance, CI (and deff) of every row from its replicate estimates. */
static pkh_status replicate_results(ctx *c, rep_job *j, out_rows *o)
{
    const pkh_se_options *se = &c->o->se;
    const pkh_rep_type type = se->method == PKH_SE_BOOTSTRAP ? PKH_REP_BOOTSTRAP
                              : se->reptype == 0             ? PKH_REP_BOOTSTRAP
                                                             : se->reptype;
    const double zq = pkh_t_quantile((1 + c->level) / 2, INFINITY);
    const size_t rr = (size_t)j->R;
    double *sorted = pkh__alloc(c->a, rr * sizeof(double));
    if (sorted == NULL) {
        return pkh__enomem(c->err);
    }
    for (int64_t i = 0; i < o->n; i++) {
        out_row *r = &o->v[i];
        const double *v = j->vals + i * j->R;
        const double srs = r->deff;
        r->deff = NAN;
        bool finite = true;
        for (int64_t k = 0; k < j->R; k++) {
            finite = finite && isfinite(v[k]);
        }
        if (!finite || r->est.value != r->est.value) {
            continue;
        }
        double var;
        pkh_status st = pkh_replicate_variance(v, j->R, r->est.value, type, se->fay_rho, j->scales,
                                               &var, c->err);
        if (st != PKH_OK) {
            pkh__free(c->a, sorted, rr * sizeof(double));
            return st;
        }
        r->se = sqrt(var);
        if (se->ci == PKH_CI_PERCENTILE) {
            memcpy(sorted, v, rr * sizeof(double));
            qsort(sorted, rr, sizeof(double), cmp_double);
            r->lo = type7(sorted, j->R, (1 - c->level) / 2);
            r->hi = type7(sorted, j->R, (1 + c->level) / 2);
        } else {
            r->lo = r->est.value - zq * r->se;
            r->hi = r->est.value + zq * r->se;
        }
        if (se->deff && r->pair < 0 && srs > 0) {
            r->deff = var / srs;
        }
    }
    pkh__free(c->a, sorted, rr * sizeof(double));
    return PKH_OK;
}

static pkh_status run_replicates(ctx *c, out_rows *o)
{
    const pkh_se_options *se = &c->o->se;
    rep_job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.R = se->method == PKH_SE_BOOTSTRAP ? se->replicates : se->n_repweights;
    j.n_out = o->n;
    j.main = o;
    const int64_t n = c->r.n;
    const size_t nn = (size_t)(n > 0 ? n : 1);
    const size_t nv = (size_t)(o->n > 0 ? o->n : 1) * (size_t)j.R;
    /* incomes and lines sorted once: every replicate reuses the order (rescaled weights do not
     * move anyone) */
    j.x0 = pkh__alloc(c->a, nn * sizeof(double));
    j.xg = pkh__alloc(c->a, nn * sizeof(double));
    j.z0 = c->r.z != NULL ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    j.zg = c->r.z != NULL ? pkh__alloc(c->a, nn * sizeof(double)) : NULL;
    j.vals = pkh__alloc(c->a, nv * sizeof(double));
    j.scales = se->method == PKH_SE_REPLICATE && se->reptype == PKH_REP_JKN
                   ? pkh__alloc(c->a, (size_t)j.R * sizeof(double))
                   : NULL;
    pkh_status st =
        j.x0 == NULL || j.xg == NULL || j.vals == NULL ||
                (c->r.z != NULL && (j.z0 == NULL || j.zg == NULL)) ||
                (se->reptype == PKH_REP_JKN && se->method == PKH_SE_REPLICATE && j.scales == NULL)
            ? pkh__enomem(c->err)
            : PKH_OK;
    if (st == PKH_OK && j.scales != NULL) {
        st = jkn_scales(c, j.scales);
    }
    const bool boot = se->method == PKH_SE_BOOTSTRAP;
    if (st == PKH_OK && boot) {
        j.w0 = pkh__alloc(c->a, nn * sizeof(double));
        j.wg = pkh__alloc(c->a, nn * sizeof(double));
        j.p0 = pkh__alloc(c->a, nn * sizeof(int32_t));
        j.pg = pkh__alloc(c->a, nn * sizeof(int32_t));
        st = j.w0 == NULL || j.wg == NULL || j.p0 == NULL || j.pg == NULL ? pkh__enomem(c->err)
                                                                          : PKH_OK;
    }
    for (int64_t i = 0; st == PKH_OK && i < n; i++) {
        const int64_t a = c->perm[i], g = c->order != NULL ? c->order[i] : 0;
        j.x0[i] = c->r.x[a];
        j.xg[i] = c->r.x[g];
        if (j.z0 != NULL) {
            j.z0[i] = c->r.z[a];
            j.zg[i] = c->r.z[g];
        }
        if (boot) {
            j.w0[i] = c->r.w[a];
            j.wg[i] = c->r.w[g];
            j.p0[i] = (int32_t)pkh__design_psu(c->design, c->r.row[a]);
            j.pg[i] = (int32_t)pkh__design_psu(c->design, c->r.row[g]);
        }
    }
    if (st == PKH_OK) {
        const int threads = pkh__threads(c->o->threads);
        j.blocks = j.R < threads ? j.R : threads;
        st = pkh__parallel_for(threads, j.blocks, rep_block, &j);
        st = st == PKH_ENOMEM ? pkh__enomem(c->err) : st;
    }
    if (st == PKH_OK) {
        for (int64_t r = 0; r < j.R; r++) {
            bool bad = false;
            for (int64_t i = 0; i < o->n && !bad; i++) {
                bad = o->v[i].est.value == o->v[i].est.value && !isfinite(j.vals[i * j.R + r]);
            }
            c->info.failed_replicates += bad;
        }
        c->info.replicates = j.R;
        st = replicate_results(c, &j, o);
    }
    pkh__free(c->a, j.x0, nn * sizeof(double));
    pkh__free(c->a, j.xg, nn * sizeof(double));
    pkh__free(c->a, j.w0, nn * sizeof(double));
    pkh__free(c->a, j.wg, nn * sizeof(double));
    pkh__free(c->a, j.p0, nn * sizeof(int32_t));
    pkh__free(c->a, j.pg, nn * sizeof(int32_t));
    pkh__free(c->a, j.z0, nn * sizeof(double));
    pkh__free(c->a, j.zg, nn * sizeof(double));
    pkh__free(c->a, j.vals, nv * sizeof(double));
    pkh__free(c->a, j.scales, (size_t)j.R * sizeof(double));
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
    st = setup_se(&c);
    if (st == PKH_OK && o.n_by > 0) {
        st = pkh_groups_new(table, o.by, o.n_by, o.filter, o.threads, &c.groups, err);
    }
    for (int64_t k = 0; k < o.n_indicators; k++) {
        c.need_sort = c.need_sort || sort_based(&o.indicators[k]);
    }
    /* the kernel density at an estimated line (linearisation) needs the sorted incomes */
    c.need_sort = c.need_sort || o.line.kind == PKH_LINE_REL_MEDIAN ||
                  (c.lin && o.line.kind == PKH_LINE_REL_MEAN);
    if (st == PKH_OK) {
        c.additive = !c.lin && !c.replicate &&
                     (o.line.kind == PKH_LINE_NONE || o.line.kind == PKH_LINE_VALUE ||
                      o.line.kind == PKH_LINE_COLUMN || o.line.kind == PKH_LINE_LOOKUP) &&
                     (c.groups == NULL || pkh_groups_count(c.groups) < 4096);
        for (int64_t k = 0; k < o.n_indicators && c.additive; k++) {
            c.additive = additive(&o.indicators[k]);
        }
        c.split = !c.additive && split_applies(&c);
        if (!c.additive && !c.split) {
            st = c.lin || c.replicate ? gather(&c) : gather_points(&c);
        }
    }
    c.r.k = c.groups != NULL ? pkh_groups_count(c.groups) : 0;
    c.nseg = 1 + c.r.k;
    c.sh.rows = c.r.n;
    if (st == PKH_OK && c.r.n == 0 && !c.additive && !c.split) {
        st = pkh__errorf(err, PKH_EEMPTY,
                         "no usable rows: every row is filtered out or has a "
                         "missing income");
    }
    if (st == PKH_OK) {
        st = resolve_contrasts(&c);
    }
    seg_result *res = NULL;
    if (st == PKH_OK) {
        st = alloc_results(&c, &res);
    }
    if (st == PKH_OK) {
        if (c.additive || c.split) {
            st = c.additive ? run_additive(&c, res) : run_split(&c, res);
            if (st == PKH_OK && c.r.n == 0) {
                st = pkh__errorf(err, PKH_EEMPTY,
                                 "no usable rows: every row is filtered out or "
                                 "has a missing income");
            }
        } else {
            st = c.lin || c.replicate ? run_all(&c, res) : run_points(&c, res);
        }
    }
    out_rows rows_out = {NULL, 0, 0};
    if (st == PKH_OK) {
        st = collect_rows(&c, res, &rows_out);
        if (st == PKH_OK) {
            st = contrast_rows(&c, res, &rows_out);
        }
        st = st == PKH_ENOMEM ? pkh__enomem(err) : st;
    }
    if (st == PKH_OK && c.lin) {
        st = fill_linearised(&c, res, &rows_out);
    }
    if (st == PKH_OK && c.replicate) {
        st = run_replicates(&c, &rows_out);
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
