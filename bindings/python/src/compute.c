/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The computations behind pkh.indicators, pkh.targeting and pkh.pmt, and the --define and
 * --filter expressions (the _Exprs type). Each call takes its options as keywords already
 * checked by the pure-Python layer, builds the survey design on the table when one is asked
 * for, and runs with the GIL released. Results come back as new _Table handles and a dict of
 * what the library counted (the CLI's JSON metadata is made from it in Python).
 */
#include "module.h"

#include <math.h>
#include <string.h>

/* ---- shared pieces ---- */

/* (strata, psu, fpc, lonely) or None: a design to build on the table. Returns 1 when given,
 * 0 for None, -1 with an exception. The strings stay the tuple's. */
static int design_arg(PyObject *obj, pkh_design_spec *spec, int threads)
{
    const pkh_design_spec init = PKH_DESIGN_SPEC_INIT;
    *spec = init;
    if (obj == Py_None) {
        return 0;
    }
    int lonely = 0;
    if (!PyArg_ParseTuple(obj, "zzzi", &spec->strata, &spec->psu, &spec->fpc, &lonely)) {
        return -1;
    }
    spec->lonely = (pkh_lonely_psu)lonely;
    spec->threads = threads;
    return 1;
}

/* The design's numbers for the metadata, or None. */
static PyObject *design_info(const pkh_design *d)
{
    if (d == NULL) {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("{s:L, s:L, s:L, s:s, s:O}", "strata", (long long)pkh_design_strata(d),
                         "psus", (long long)pkh_design_psus(d), "df", (long long)pkh_design_df(d),
                         "lonely_psu", pkh_lonely_psu_name(pkh_design_lonely(d)), "srs",
                         pkh_design_is_srs(d) ? Py_True : Py_False);
}

/* A row mask (bytes-like, one byte per row) or None. `view->obj` is NULL for None. */
static int mask_arg(PyObject *obj, Py_buffer *view, const pkh_table *t)
{
    view->obj = NULL;
    if (obj == Py_None) {
        return 0;
    }
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) != 0) {
        view->obj = NULL;
        return -1;
    }
    if (view->len != (Py_ssize_t)pkh_table_num_rows(t)) {
        PyErr_Format(PyExc_ValueError, "the row mask has %zd bytes for %lld rows", view->len,
                     (long long)pkh_table_num_rows(t));
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    return 0;
}

static void release_view(Py_buffer *view)
{
    if (view->obj != NULL) {
        PyBuffer_Release(view);
    }
}

static PyObject *wrap_or_none(pkh_table *t)
{
    if (t == NULL) {
        Py_RETURN_NONE;
    }
    return pkhpy_table_wrap(t);
}

/* (results, second table or None, info): takes the tables (freed on failure). */
static PyObject *three(pkh_table *res, pkh_table *second, PyObject *info)
{
    PyObject *a = pkhpy_table_wrap(res);
    PyObject *b = a != NULL ? wrap_or_none(second) : NULL;
    if (a == NULL) {
        pkh_table_free(second);
    }
    PyObject *out = a != NULL && b != NULL && info != NULL ? PyTuple_Pack(3, a, b, info) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(info);
    return out;
}

/* ---- pkh.indicators ---- */

typedef struct ind_call {
    pkh_indicators_options o;
    const char *line, *reptype;
    PyObject *table, *lines, *line_keys, *by, *indicators, *filter, *design, *repweights;
    PyObject *contrasts;
    const char **by_names, **keys, **reps;
    size_t n_by, n_keys, n_reps;
    pkh_indicator *inds;
    pkh_contrast *contr;
    Py_buffer mask;
    pkh_design_spec spec;
    int with_design;
} ind_call;

static void ind_call_free(ind_call *c)
{
    PyMem_Free(c->by_names);
    PyMem_Free(c->keys);
    PyMem_Free(c->reps);
    PyMem_Free(c->inds);
    PyMem_Free(c->contr);
    release_view(&c->mask);
}

static int ind_parse(ind_call *c, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"table",         "income",
                         "weight",        "size",
                         "line",          "lines",
                         "line_keys",     "by",
                         "no_total",      "line_by_group",
                         "indicators",    "filter",
                         "quantile_rule", "threads",
                         "design",        "se",
                         "replicates",    "seed",
                         "level",         "ci",
                         "quantile_se",   "deff",
                         "repweights",    "reptype",
                         "contrasts",     NULL};
    pkh_indicators_options *o = &c->o;
    int qrule = 0, se = 1, ci = 0, qse = 0;
    long long replicates = 0;
    unsigned long long seed = 1;
    c->lines = c->line_keys = c->by = c->indicators = c->filter = c->design = Py_None;
    c->repweights = c->contrasts = Py_None;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "Os|zzzOOOppOOiiOiLKdiipOzO", kw, &c->table, &o->income, &o->weight,
            &o->size, &c->line, &c->lines, &c->line_keys, &c->by, &o->no_total, &o->line_by_group,
            &c->indicators, &c->filter, &qrule, &o->threads, &c->design, &se, &replicates, &seed,
            &o->se.level, &ci, &qse, &o->se.deff, &c->repweights, &c->reptype, &c->contrasts)) {
        return -1;
    }
    o->quantile_rule = (pkh_quantile_rule)qrule;
    o->se.method = (pkh_se_method)se;
    o->se.replicates = (int64_t)replicates;
    o->se.seed = (uint64_t)seed;
    o->se.ci = (pkh_ci_method)ci;
    o->se.quantile_se = (pkh_quantile_se)qse;
    return 0;
}

/* Indicator names and contrasts (COLUMN, "A-B") into the options. */
static int ind_lists(ind_call *c)
{
    pkh_error err;
    if (c->indicators != Py_None) {
        const char **names = NULL;
        size_t n = 0;
        if (pkhpy_utf8_array(c->indicators, &names, &n) != 0) {
            return -1;
        }
        c->inds = PyMem_Calloc(n > 0 ? n : 1, sizeof *c->inds);
        for (size_t i = 0; c->inds != NULL && i < n; i++) {
            if (pkh_indicator_parse(names[i], &c->inds[i], &err) != PKH_OK) {
                PyMem_Free(names);
                pkhpy_raise(err.code, &err);
                return -1;
            }
        }
        PyMem_Free(names);
        if (c->inds == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->o.indicators = c->inds;
        c->o.n_indicators = (int64_t)n;
    }
    if (c->contrasts != Py_None) {
        const Py_ssize_t n = PyTuple_Check(c->contrasts) ? PyTuple_GET_SIZE(c->contrasts) : -1;
        if (n < 0) {
            PyErr_SetString(PyExc_TypeError, "contrasts: expected a tuple of pairs");
            return -1;
        }
        c->contr = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *c->contr);
        if (c->contr == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(c->contrasts, i), "ss", &c->contr[i].column,
                                  &c->contr[i].a)) {
                return -1;
            }
        }
        c->o.se.contrasts = c->contr;
        c->o.se.n_contrasts = (int64_t)n;
    }
    return 0;
}

static int ind_setup(ind_call *c)
{
    pkh_indicators_options *o = &c->o;
    pkh_error err;
    const pkh_table *t = pkhpy_table_arg(c->table, "table");
    if (t == NULL || pkhpy_utf8_array(c->by, &c->by_names, &c->n_by) != 0 ||
        pkhpy_utf8_array(c->line_keys, &c->keys, &c->n_keys) != 0 ||
        pkhpy_utf8_array(c->repweights, &c->reps, &c->n_reps) != 0 ||
        mask_arg(c->filter, &c->mask, t) != 0 || ind_lists(c) != 0 ||
        (c->with_design = design_arg(c->design, &c->spec, o->threads)) < 0) {
        return -1;
    }
    if (c->line != NULL && pkh_line_parse(c->line, &o->line, &err) != PKH_OK) {
        pkhpy_raise(err.code, &err);
        return -1;
    }
    if (c->lines != Py_None) {
        if ((o->line.lookup = pkhpy_table_arg(c->lines, "lines")) == NULL) {
            return -1;
        }
        o->line.kind = PKH_LINE_LOOKUP;
        o->line.keys = c->keys;
        o->line.n_keys = (int64_t)c->n_keys;
    }
    if (c->reptype != NULL &&
        pkh_rep_type_parse(c->reptype, &o->se.reptype, &o->se.fay_rho, &err) != PKH_OK) {
        pkhpy_raise(err.code, &err);
        return -1;
    }
    o->by = c->by_names;
    o->n_by = (int64_t)c->n_by;
    o->filter = c->mask.obj != NULL ? c->mask.buf : NULL;
    o->se.repweights = c->reps;
    o->se.n_repweights = (int64_t)c->n_reps;
    return 0;
}

static PyObject *ind_info(const pkh_indicators_info *i, const pkh_design *d)
{
    PyObject *design = design_info(d);
    if (design == NULL) {
        return NULL;
    }
    return Py_BuildValue(
        "{s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:d, s:i, s:L, s:d, s:L, s:L, s:O, s:L, s:L, s:N}",
        "rows", (long long)i->rows, "used", (long long)i->used, "filtered_out",
        (long long)i->filtered_out, "missing_income", (long long)i->missing_income, "missing_key",
        (long long)i->missing_key, "nonpositive", (long long)i->nonpositive, "negative",
        (long long)i->negative, "line", i->line, "se", (int)i->se, "df", (long long)i->df, "level",
        i->level, "strata", (long long)i->strata, "psus", (long long)i->psus, "srs",
        i->srs ? Py_True : Py_False, "replicates", (long long)i->replicates, "failed_replicates",
        (long long)i->failed_replicates, "design", design);
}

PyObject *pkhpy_indicators(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    ind_call c;
    memset(&c, 0, sizeof c);
    const pkh_indicators_options init = PKH_INDICATORS_OPTIONS_INIT;
    c.o = init;
    if (ind_parse(&c, args, kwargs) != 0 || ind_setup(&c) != 0) {
        ind_call_free(&c);
        return NULL;
    }
    const pkh_table *t = ((pkhpy_table *)c.table)->table;
    pkh_design *d = NULL;
    pkh_table *res = NULL;
    pkh_indicators_info info;
    pkh_error err;
    pkh_status st = PKH_OK;
    Py_BEGIN_ALLOW_THREADS
    if (c.with_design) {
        st = pkh_design_new(t, &c.spec, &d, &err);
    }
    if (st == PKH_OK) {
        c.o.se.design = d;
        st = pkh_indicators_compute(t, &c.o, &res, &info, &err);
    }
    Py_END_ALLOW_THREADS
    PyObject *out = NULL;
    if (st != PKH_OK) {
        pkhpy_raise(st, &err);
    } else {
        PyObject *result = pkhpy_table_wrap(res);
        PyObject *meta = result != NULL ? ind_info(&info, d) : NULL;
        out = meta != NULL ? PyTuple_Pack(2, result, meta) : NULL;
        Py_XDECREF(result);
        Py_XDECREF(meta);
    }
    Py_BEGIN_ALLOW_THREADS
    pkh_design_free(d);
    Py_END_ALLOW_THREADS
    ind_call_free(&c);
    return out;
}

/* ---- pkh.targeting ---- */

typedef struct tg_call {
    pkh_targeting_options o;
    const char *benchmark;
    PyObject *table, *by, *filter, *design;
    const char **by_names;
    size_t n_by;
    Py_buffer mask;
    pkh_design_spec spec;
    int with_design, curve;
} tg_call;

static int tg_setup(tg_call *c, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"table",  "income",        "benchmark", "weight",  "size",  "recipient",
                         "score",  "quota",         "cutoff",    "benefit", "by",    "groups",
                         "filter", "quantile_rule", "design",    "level",   "curve", "threads",
                         NULL};
    pkh_targeting_options *o = &c->o;
    int qrule = 0;
    c->by = c->filter = c->design = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oss|zzzzddzOiOiOdpi", kw, &c->table, &o->income,
                                     &c->benchmark, &o->weight, &o->size, &o->recipient, &o->score,
                                     &o->quota, &o->cutoff, &o->benefit, &c->by, &o->groups,
                                     &c->filter, &qrule, &c->design, &o->level, &c->curve,
                                     &o->threads)) {
        return -1;
    }
    o->quantile_rule = (pkh_quantile_rule)qrule;
    pkh_error err;
    const pkh_table *t = pkhpy_table_arg(c->table, "table");
    if (t == NULL || pkhpy_utf8_array(c->by, &c->by_names, &c->n_by) != 0 ||
        mask_arg(c->filter, &c->mask, t) != 0 ||
        (c->with_design = design_arg(c->design, &c->spec, o->threads)) < 0) {
        return -1;
    }
    if (pkh_benchmark_parse(c->benchmark, &o->benchmark, &err) != PKH_OK) {
        pkhpy_raise(err.code, &err);
        return -1;
    }
    o->by = c->by_names;
    o->n_by = (int64_t)c->n_by;
    o->filter = c->mask.obj != NULL ? c->mask.buf : NULL;
    return 0;
}

static PyObject *tg_info(const pkh_targeting_info *i, const pkh_design *d)
{
    PyObject *bounds =
        Py_BuildValue("[ddddddddd]", i->bounds[0], i->bounds[1], i->bounds[2], i->bounds[3],
                      i->bounds[4], i->bounds[5], i->bounds[6], i->bounds[7], i->bounds[8]);
    PyObject *design = bounds != NULL ? design_info(d) : NULL;
    if (design == NULL) {
        Py_XDECREF(bounds);
        return NULL;
    }
    return Py_BuildValue(
        "{s:L, s:L, s:L, s:L, s:L, s:d, s:d, s:d, s:d, s:d, s:N, s:O, s:L, "
        "s:N}",
        "rows", (long long)i->rows, "used", (long long)i->used, "filtered_out",
        (long long)i->filtered_out, "missing_income", (long long)i->missing_income, "missing_key",
        (long long)i->missing_key, "population", i->population, "line", i->line, "cutoff",
        i->cutoff, "receiving", i->receiving, "benchmark_share", i->benchmark_share, "bounds",
        bounds, "with_se", i->with_se ? Py_True : Py_False, "df", (long long)i->df, "design",
        design);
}

PyObject *pkhpy_targeting(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    tg_call c;
    memset(&c, 0, sizeof c);
    const pkh_targeting_options init = PKH_TARGETING_OPTIONS_INIT;
    c.o = init;
    if (tg_setup(&c, args, kwargs) != 0) {
        PyMem_Free(c.by_names);
        release_view(&c.mask);
        return NULL;
    }
    const pkh_table *t = ((pkhpy_table *)c.table)->table;
    pkh_design *d = NULL;
    pkh_table *res = NULL, *curve = NULL;
    pkh_targeting_info info;
    pkh_error err;
    pkh_status st = PKH_OK;
    Py_BEGIN_ALLOW_THREADS
    if (c.with_design) {
        st = pkh_design_new(t, &c.spec, &d, &err);
    }
    if (st == PKH_OK) {
        c.o.design = d;
        st = pkh_targeting_compute(t, &c.o, &res, c.curve ? &curve : NULL, &info, &err);
    }
    Py_END_ALLOW_THREADS
    PyObject *out = st == PKH_OK ? three(res, curve, tg_info(&info, d)) : pkhpy_raise(st, &err);
    Py_BEGIN_ALLOW_THREADS
    pkh_design_free(d);
    Py_END_ALLOW_THREADS
    PyMem_Free(c.by_names);
    release_view(&c.mask);
    return out;
}

/* ---- pkh.pmt ---- */

typedef struct pmt_call {
    pkh_pmt_options o;
    const char *benchmark;
    PyObject *table, *covariates, *categorical, *filter, *design;
    const char **cov, **cat;
    size_t n_cov, n_cat;
    Py_buffer mask;
    pkh_design_spec spec;
    int with_design, scores;
} pmt_call;

static int pmt_setup(pmt_call *c, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"table",  "target", "log",      "covariates", "categorical",
                         "weight", "design", "model_by", "folds",      "seed",
                         "quota",  "income", "size",     "benchmark",  "filter",
                         "level",  "scores", "threads",  NULL};
    pkh_pmt_options *o = &c->o;
    unsigned long long seed = 0;
    c->covariates = c->categorical = c->filter = c->design = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Os|pOOzOziKdzzzOdpi", kw, &c->table, &o->target,
                                     &o->log_target, &c->covariates, &c->categorical, &o->weight,
                                     &c->design, &o->model_by, &o->folds, &seed, &o->quota,
                                     &o->income, &o->size, &c->benchmark, &c->filter, &o->level,
                                     &c->scores, &o->threads)) {
        return -1;
    }
    o->seed = (uint64_t)seed;
    pkh_error err;
    const pkh_table *t = pkhpy_table_arg(c->table, "table");
    if (t == NULL || pkhpy_utf8_array(c->covariates, &c->cov, &c->n_cov) != 0 ||
        pkhpy_utf8_array(c->categorical, &c->cat, &c->n_cat) != 0 ||
        mask_arg(c->filter, &c->mask, t) != 0 ||
        (c->with_design = design_arg(c->design, &c->spec, o->threads)) < 0) {
        return -1;
    }
    if (c->benchmark != NULL && pkh_benchmark_parse(c->benchmark, &o->benchmark, &err) != PKH_OK) {
        pkhpy_raise(err.code, &err);
        return -1;
    }
    o->covariates = c->cov;
    o->n_covariates = (int64_t)c->n_cov;
    o->categorical = c->cat;
    o->n_categorical = (int64_t)c->n_cat;
    o->filter = c->mask.obj != NULL ? c->mask.buf : NULL;
    return 0;
}

static PyObject *pmt_info(const pkh_pmt_info *i, const pkh_design *d)
{
    PyObject *design = design_info(d);
    if (design == NULL) {
        return NULL;
    }
    return Py_BuildValue(
        "{s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:d, s:O, s:L, s:N}", "rows",
        (long long)i->rows, "used", (long long)i->used, "filtered_out", (long long)i->filtered_out,
        "missing", (long long)i->missing, "nonpositive", (long long)i->nonpositive, "missing_key",
        (long long)i->missing_key, "models", (long long)i->models, "terms", (long long)i->terms,
        "scored", (long long)i->scored, "cutoff", i->cutoff, "with_se",
        i->with_se ? Py_True : Py_False, "df", (long long)i->df, "design", design);
}

PyObject *pkhpy_pmt(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    pmt_call c;
    memset(&c, 0, sizeof c);
    const pkh_pmt_options init = PKH_PMT_OPTIONS_INIT;
    c.o = init;
    PyObject *out = NULL;
    if (pmt_setup(&c, args, kwargs) == 0) {
        const pkh_table *t = ((pkhpy_table *)c.table)->table;
        pkh_design *d = NULL;
        pkh_table *res = NULL, *scores = NULL;
        pkh_pmt_info info;
        pkh_error err;
        pkh_status st = PKH_OK;
        Py_BEGIN_ALLOW_THREADS
        if (c.with_design) {
            st = pkh_design_new(t, &c.spec, &d, &err);
        }
        if (st == PKH_OK) {
            c.o.design = d;
            st = pkh_pmt_fit(t, &c.o, &res, c.scores ? &scores : NULL, &info, &err);
        }
        Py_END_ALLOW_THREADS
        out = st == PKH_OK ? three(res, scores, pmt_info(&info, d)) : pkhpy_raise(st, &err);
        Py_BEGIN_ALLOW_THREADS
        pkh_design_free(d);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(c.cov);
    PyMem_Free(c.cat);
    release_view(&c.mask);
    return out;
}

/* ---- --define and --filter: the _Exprs type ---- */

enum { MAX_DEFINES = 64, NAME_CAP = 64 };

typedef struct pkhpy_exprs {
    PyObject_HEAD pkh_expr *defs[MAX_DEFINES];
    char names[MAX_DEFINES][NAME_CAP];
    int n;
    pkh_expr *filter;
} pkhpy_exprs;

static void exprs_dealloc(PyObject *self)
{
    pkhpy_exprs *e = (pkhpy_exprs *)self;
    for (int i = 0; i < e->n; i++) {
        pkh_expr_free(e->defs[i]);
    }
    pkh_expr_free(e->filter);
    Py_TYPE(self)->tp_free(self);
}

/* _Exprs(defines: tuple of "NAME=EXPR", filter: str or None): parsed as the CLI parses
 * --define and --filter, with its messages. */
static PyObject *exprs_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"defines", "filter", NULL};
    PyObject *defines;
    const char *filter = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!z", kw, &PyTuple_Type, &defines, &filter)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(defines) > MAX_DEFINES) {
        return pkhpy_raise_text(PKH_EINVAL, "at most 64 --define");
    }
    pkhpy_exprs *e = (pkhpy_exprs *)type->tp_alloc(type, 0);
    if (e == NULL) {
        return NULL;
    }
    pkh_error err;
    char prefix[PKH_ERROR_MESSAGE_SIZE];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(defines); i++) {
        const char *text = PyUnicode_AsUTF8(PyTuple_GET_ITEM(defines, i)), *body = NULL;
        if (text == NULL) {
            Py_DECREF(e);
            return NULL;
        }
        if (pkh_define_split(text, e->names[i], NAME_CAP, &body, &err) != PKH_OK ||
            pkh_expr_parse(body, NULL, &e->defs[i], &err) != PKH_OK) {
            snprintf(prefix, sizeof prefix, "--define %s: ", text);
            Py_DECREF(e);
            return pkhpy_raise_prefixed(err.code, &err, prefix);
        }
        e->n = (int)i + 1;
    }
    if (filter != NULL && pkh_expr_parse(filter, NULL, &e->filter, &err) != PKH_OK) {
        Py_DECREF(e);
        return pkhpy_raise_prefixed(err.code, &err, "--filter: ");
    }
    return (PyObject *)e;
}

static int defined_before(const pkhpy_exprs *e, const char *name, int before)
{
    for (int i = 0; i < before; i++) {
        if (strcmp(e->names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* columns(base) -> the columns to read: `base` and the data columns the expressions use, each
 * once, without the defined names (as the CLI's cli_exprs_columns and
 * cli_exprs_remove_defined). */
static PyObject *exprs_columns(PyObject *self, PyObject *base)
{
    pkhpy_exprs *e = (pkhpy_exprs *)self;
    PyObject *list = PySequence_List(base);
    if (list == NULL) {
        return NULL;
    }
    for (int i = 0; i <= e->n; i++) {
        const pkh_expr *x = i < e->n ? e->defs[i] : e->filter;
        for (int64_t k = 0; x != NULL && k < pkh_expr_num_columns(x); k++) {
            const char *c = pkh_expr_column(x, k);
            if (defined_before(e, c, i < e->n ? i : e->n)) {
                continue;
            }
            PyObject *name = PyUnicode_FromString(c);
            const int have = name != NULL ? PySequence_Contains(list, name) : -1;
            if (have < 0 || (have == 0 && PyList_Append(list, name) != 0)) {
                Py_XDECREF(name);
                Py_DECREF(list);
                return NULL;
            }
            Py_DECREF(name);
        }
    }
    PyObject *out = PyList_New(0);
    for (Py_ssize_t j = 0; out != NULL && j < PyList_GET_SIZE(list); j++) {
        PyObject *name = PyList_GET_ITEM(list, j);
        const char *s = PyUnicode_AsUTF8(name);
        if (s == NULL || (!defined_before(e, s, e->n) && PyList_Append(out, name) != 0)) {
            Py_CLEAR(out);
        }
    }
    Py_DECREF(list);
    return out;
}

/* The filter's bool column as one byte per row: 1 where it is present and true. */
static uint8_t *filter_mask(const pkh_column *c)
{
    const int64_t n = pkh_column_length(c);
    uint8_t *mask = PyMem_RawMalloc((size_t)(n > 0 ? n : 1));
    if (mask == NULL) {
        return NULL;
    }
    const uint8_t *bits = pkh_column_bool_bits(c), *valid = pkh_column_validity(c);
    for (int64_t i = 0; i < n; i++) {
        const int present = valid == NULL || (valid[i / 8] >> (i % 8) & 1);
        mask[i] = (uint8_t)(present && (bits[i / 8] >> (i % 8) & 1));
    }
    return mask;
}

typedef struct apply_out {
    pkh_table *table;
    uint8_t *mask;
    pkh_type filter_type;
    int failed; /* -1 ok; i: define i failed; e->n: the filter failed; -2: out of memory */
} apply_out;

/* The defined columns added to `t` (a new table sharing its columns; NULL without defines),
 * then the filter's mask. Runs without the GIL. */
static pkh_status exprs_run(const pkhpy_exprs *e, const pkh_table *t, int threads, apply_out *out,
                            pkh_error *err)
{
    pkh_table *cur = NULL, *col = NULL;
    pkh_status st = PKH_OK;
    for (int i = 0; i < e->n; i++) {
        pkh_table *both = NULL;
        st = pkh_expr_eval(e->defs[i], cur != NULL ? cur : t, e->names[i], threads, &col, err);
        st = st == PKH_OK ? pkh_table_concat_columns(cur != NULL ? cur : t, col, &both, err) : st;
        pkh_table_free(col);
        col = NULL;
        if (st != PKH_OK) {
            out->failed = i;
            break;
        }
        pkh_table_free(cur);
        cur = both;
    }
    if (st == PKH_OK && e->filter != NULL) {
        st = pkh_expr_eval(e->filter, cur != NULL ? cur : t, "filter", threads, &col, err);
        const pkh_column *c = st == PKH_OK ? pkh_table_column_at(col, 0) : NULL;
        out->failed = st == PKH_OK ? -1 : e->n;
        out->filter_type = c != NULL ? pkh_column_type(c) : PKH_TYPE_BOOL;
        if (c != NULL && out->filter_type == PKH_TYPE_BOOL &&
            (out->mask = filter_mask(c)) == NULL) {
            out->failed = -2;
            st = PKH_ENOMEM;
        }
        pkh_table_free(col);
    }
    if (st != PKH_OK) {
        pkh_table_free(cur);
        return st;
    }
    out->table = cur;
    return PKH_OK;
}

static PyObject *apply_error(const pkhpy_exprs *e, pkh_status st, const apply_out *r,
                             const pkh_error *err)
{
    char prefix[PKH_ERROR_MESSAGE_SIZE];
    if (r->failed == -2) {
        return PyErr_NoMemory();
    }
    if (r->failed >= 0 && r->failed < e->n) {
        snprintf(prefix, sizeof prefix, "--define %s=%s: ", e->names[r->failed],
                 pkh_expr_text(e->defs[r->failed]));
        return pkhpy_raise_prefixed(st, err, prefix);
    }
    return pkhpy_raise_prefixed(st, err, r->failed == e->n ? "--filter: " : "");
}

/* apply(table, threads) -> (_Table with the defined columns, mask bytes or None). */
static PyObject *exprs_apply(PyObject *self, PyObject *args)
{
    const pkhpy_exprs *e = (pkhpy_exprs *)self;
    PyObject *table;
    int threads = 0;
    if (!PyArg_ParseTuple(args, "Oi", &table, &threads)) {
        return NULL;
    }
    const pkh_table *t = pkhpy_table_arg(table, "table");
    if (t == NULL) {
        return NULL;
    }
    apply_out r = {NULL, NULL, PKH_TYPE_BOOL, -1};
    pkh_error err;
    pkh_status st;
    Py_BEGIN_ALLOW_THREADS
    st = exprs_run(e, t, threads, &r, &err);
    Py_END_ALLOW_THREADS
    if (st != PKH_OK) {
        return apply_error(e, st, &r, &err);
    }
    if (e->filter != NULL && r.filter_type != PKH_TYPE_BOOL) {
        pkh_table_free(r.table);
        char message[PKH_ERROR_MESSAGE_SIZE];
        snprintf(message, sizeof message,
                 "--filter: \"%s\" is not a condition (it gives %s "
                 "values); write a comparison such as 'urban == 1'",
                 pkh_expr_text(e->filter), pkh_type_name(r.filter_type));
        return pkhpy_raise_text(PKH_ETYPE, message);
    }
    PyObject *mask = Py_None, *handle = Py_None;
    Py_INCREF(mask);
    Py_INCREF(handle);
    if (r.mask != NULL) {
        Py_DECREF(mask);
        mask = PyBytes_FromStringAndSize((const char *)r.mask, (Py_ssize_t)pkh_table_num_rows(t));
        PyMem_RawFree(r.mask);
    }
    if (r.table != NULL) {
        Py_DECREF(handle);
        handle = mask != NULL ? pkhpy_table_wrap(r.table) : NULL;
        if (mask == NULL) {
            pkh_table_free(r.table);
        }
    }
    PyObject *pair = handle != NULL && mask != NULL ? PyTuple_Pack(2, handle, mask) : NULL;
    Py_XDECREF(handle);
    Py_XDECREF(mask);
    return pair;
}

static PyObject *exprs_names(PyObject *self, void *closure)
{
    (void)closure;
    const pkhpy_exprs *e = (pkhpy_exprs *)self;
    PyObject *t = PyTuple_New(e->n);
    for (int i = 0; t != NULL && i < e->n; i++) {
        PyObject *s = PyUnicode_FromString(e->names[i]);
        if (s == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyMethodDef exprs_methods[] = {
    {"columns", exprs_columns, METH_O,
     "columns(base) -> base and the data columns the expressions use, without defined names"},
    {"apply", exprs_apply, METH_VARARGS,
     "apply(table, threads) -> (_Table with the defined columns or None without defines, "
     "mask bytes or None)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef exprs_getset[] = {
    {"names", exprs_names, NULL, "the defined names, in order", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pkhpy_exprs_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pkh._pkh._Exprs",
    .tp_basicsize = sizeof(pkhpy_exprs),
    .tp_dealloc = exprs_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "_Exprs(defines, filter): parsed --define NAME=EXPR texts and a --filter.",
    .tp_methods = exprs_methods,
    .tp_getset = exprs_getset,
    .tp_new = exprs_new,
};

/* ---- checking option texts before any data is read, as the CLI does ---- */

/* check(kind, text): kind "indicator", "line", "benchmark" or "reptype"; raises pkh.Error with
 * the library's message, else returns None. */
PyObject *pkhpy_check(PyObject *self, PyObject *args)
{
    (void)self;
    const char *kind, *text;
    if (!PyArg_ParseTuple(args, "ss", &kind, &text)) {
        return NULL;
    }
    pkh_error err;
    pkh_status st = PKH_OK;
    if (strcmp(kind, "indicator") == 0) {
        pkh_indicator ind;
        st = pkh_indicator_parse(text, &ind, &err);
    } else if (strcmp(kind, "line") == 0) {
        pkh_line line;
        st = pkh_line_parse(text, &line, &err);
    } else if (strcmp(kind, "benchmark") == 0) {
        pkh_benchmark b;
        st = pkh_benchmark_parse(text, &b, &err);
    } else if (strcmp(kind, "reptype") == 0) {
        pkh_rep_type type;
        double rho;
        st = pkh_rep_type_parse(text, &type, &rho, &err);
    } else {
        return PyErr_Format(PyExc_ValueError, "check: unknown kind \"%s\"", kind);
    }
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}

/* line_kind(text) -> the pkh_line_kind of a --line text (2: a column), or raises. */
PyObject *pkhpy_line_kind(PyObject *self, PyObject *arg)
{
    (void)self;
    const char *text = PyUnicode_AsUTF8(arg);
    if (text == NULL) {
        return NULL;
    }
    pkh_line line;
    pkh_error err;
    const pkh_status st = pkh_line_parse(text, &line, &err);
    return st == PKH_OK ? PyLong_FromLong((long)line.kind) : pkhpy_raise(st, &err);
}

/* benchmark_parse(text) -> (kind, value, column or None); raises for a malformed text. */
PyObject *pkhpy_benchmark_parse(PyObject *self, PyObject *arg)
{
    (void)self;
    const char *text = PyUnicode_AsUTF8(arg);
    if (text == NULL) {
        return NULL;
    }
    pkh_benchmark b;
    pkh_error err;
    const pkh_status st = pkh_benchmark_parse(text, &b, &err);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    if (b.kind != PKH_BENCHMARK_LINE_COLUMN) {
        return Py_BuildValue("(idO)", (int)b.kind, b.value, Py_None);
    }
    return Py_BuildValue("(ids)", (int)b.kind, b.value, b.column);
}

/* expr_columns(text) -> the column names an expression uses, in order of first use. */
PyObject *pkhpy_expr_columns(PyObject *self, PyObject *arg)
{
    (void)self;
    const char *text = PyUnicode_AsUTF8(arg);
    if (text == NULL) {
        return NULL;
    }
    pkh_expr *e = NULL;
    pkh_error err;
    const pkh_status st = pkh_expr_parse(text, NULL, &e, &err);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    PyObject *list = PyList_New(0);
    for (int64_t k = 0; list != NULL && k < pkh_expr_num_columns(e); k++) {
        PyObject *s = PyUnicode_FromString(pkh_expr_column(e, k));
        if (s == NULL || PyList_Append(list, s) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(s);
    }
    pkh_expr_free(e);
    return list;
}
