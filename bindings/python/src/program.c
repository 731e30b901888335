/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Programmes (the _Program handle over one pkh_program), the simulation behind pkh.simulate,
 * and the synthetic survey behind pkh.synth. Long calls run with the GIL released.
 *
 * A _Program is changed (set_amount, set_cap) only by the pure-Python layer, on a programme it
 * has just loaded for one call and shares with no one, so no simulation runs with it meanwhile.
 */
#include "module.h"

#include <math.h>
#include <string.h>

/* ---- _Program ---- */

typedef struct pkhpy_program {
    PyObject_HEAD pkh_program *program;
} pkhpy_program;

static void program_dealloc(PyObject *self)
{
    pkh_program_free(((pkhpy_program *)self)->program);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *program_wrap(pkh_program *p)
{
    pkhpy_program *o = PyObject_New(pkhpy_program, &pkhpy_program_type);
    if (o == NULL) {
        pkh_program_free(p);
        return NULL;
    }
    o->program = p;
    return (PyObject *)o;
}

/* program_load(kind, text, source) -> _Program. kind 0: a preset's name or a rules file's path
 * (pkh_program_load, as --program); 1: JSON text (pkh_program_parse; source names it). */
PyObject *pkhpy_program_load(PyObject *self, PyObject *args)
{
    (void)self;
    int kind = 0;
    const char *text, *source = NULL;
    Py_ssize_t len = 0;
    if (!PyArg_ParseTuple(args, "is#z", &kind, &text, &len, &source)) {
        return NULL;
    }
    pkh_program *p = NULL;
    pkh_error err;
    pkh_status st;
    Py_BEGIN_ALLOW_THREADS
    st = kind == 0 ? pkh_program_load(text, NULL, &p, &err)
                   : pkh_program_parse(text, (size_t)len, source, NULL, &p, &err);
    Py_END_ALLOW_THREADS
    return st == PKH_OK ? program_wrap(p) : pkhpy_raise(st, &err);
}

PyObject *pkhpy_program_presets(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    const int64_t n = pkh_program_preset_count();
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (int64_t i = 0; t != NULL && i < n; i++) {
        PyObject *s = PyUnicode_FromString(pkh_program_preset_name(i));
        if (s == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, (Py_ssize_t)i, s);
    }
    return t;
}

static const pkh_program *prog(PyObject *self)
{
    return ((pkhpy_program *)self)->program;
}

static PyObject *str_or_none(const char *s)
{
    if (s == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(s);
}

static PyObject *program_components(PyObject *self, void *closure)
{
    (void)closure;
    const int64_t n = pkh_program_num_components(prog(self));
    PyObject *list = PyList_New(0);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        pkh_program_component c;
        pkh_program_component_at(prog(self), i, &c);
        PyObject *d = Py_BuildValue("{s:s, s:s, s:d, s:N, s:N}", "name", c.name, "label", c.label,
                                    "annual", c.annual, "count", str_or_none(c.count_column),
                                    "member", str_or_none(c.member_condition));
        if (d == NULL || PyList_Append(list, d) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *program_flats(PyObject *self, void *closure)
{
    (void)closure;
    const int64_t n = pkh_program_num_flats(prog(self));
    PyObject *list = PyList_New(0);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        pkh_program_flat f;
        pkh_program_flat_at(prog(self), i, &f);
        PyObject *d = Py_BuildValue("{s:s, s:s, s:d, s:N}", "name", f.name, "label", f.label,
                                    "annual", f.annual, "condition", str_or_none(f.condition));
        if (d == NULL || PyList_Append(list, d) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *program_stages(PyObject *self, void *closure)
{
    (void)closure;
    const int64_t n = pkh_program_num_stages(prog(self));
    PyObject *list = PyList_New(0);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        pkh_program_stage s;
        pkh_program_stage_at(prog(self), i, &s);
        PyObject *d = Py_BuildValue("{s:L, s:s, s:d}", "stage", (long long)i + 1, "name", s.name,
                                    "share", s.share);
        if (d == NULL || PyList_Append(list, d) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *program_notes(PyObject *self, void *closure)
{
    (void)closure;
    const int64_t n = pkh_program_num_notes(prog(self));
    PyObject *list = PyList_New(0);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        PyObject *s = PyUnicode_FromString(pkh_program_note(prog(self), i));
        if (s == NULL || PyList_Append(list, s) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(s);
    }
    return list;
}

static PyObject *program_flags(PyObject *self, void *closure)
{
    (void)closure;
    const int64_t n = pkh_program_num_flags(prog(self));
    PyObject *list = PyList_New(0);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        pkh_program_flag f;
        pkh_program_flag_at(prog(self), i, &f);
        PyObject *d = Py_BuildValue("{s:s, s:s, s:O}", "name", f.name, "description", f.description,
                                    "default", f.default_value ? Py_True : Py_False);
        if (d == NULL || PyList_Append(list, d) != 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}

static PyObject *program_selection(PyObject *self, void *closure)
{
    (void)closure;
    const pkh_program_eligibility e = pkh_program_selection(prog(self));
    return Py_BuildValue("(iNd)", (int)e.kind, str_or_none(e.column), e.value);
}

static PyObject *program_scalar(PyObject *self, void *closure)
{
    const pkh_program *p = prog(self);
    const char *which = closure;
    if (strcmp(which, "name") == 0) {
        return PyUnicode_FromString(pkh_program_name(p));
    } else if (strcmp(which, "title") == 0) {
        return PyUnicode_FromString(pkh_program_title(p));
    } else if (strcmp(which, "currency") == 0) {
        return PyUnicode_FromString(pkh_program_currency(p));
    } else if (strcmp(which, "text") == 0) {
        return PyUnicode_FromString(pkh_program_text(p));
    } else if (strcmp(which, "cap") == 0) {
        return PyLong_FromLongLong((long long)pkh_program_cap(p));
    } else if (strcmp(which, "condition") == 0) {
        return str_or_none(pkh_program_condition(p));
    }
    return PyBool_FromLong(pkh_program_requires_component(p));
}

/* household_columns(roster) -> the household columns the rules read (a list). */
static PyObject *program_household_columns(PyObject *self, PyObject *arg)
{
    const int roster = PyObject_IsTrue(arg);
    if (roster < 0) {
        return NULL;
    }
    const int64_t n = pkh_program_household_columns(prog(self), roster, NULL, 0);
    const char **names = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    if (names == NULL) {
        return PyErr_NoMemory();
    }
    pkh_program_household_columns(prog(self), roster, names, n);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (int64_t i = 0; list != NULL && i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (s == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    PyMem_Free(names);
    return list;
}

static PyObject *program_set_amount(PyObject *self, PyObject *args)
{
    const char *name;
    double annual;
    if (!PyArg_ParseTuple(args, "sd", &name, &annual)) {
        return NULL;
    }
    pkh_error err;
    const pkh_status st =
        pkh_program_set_amount(((pkhpy_program *)self)->program, name, annual, &err);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}

static PyObject *program_set_cap(PyObject *self, PyObject *arg)
{
    const long long cap = PyLong_AsLongLong(arg);
    if (cap == -1 && PyErr_Occurred()) {
        return NULL;
    }
    pkh_error err;
    const pkh_status st = pkh_program_set_cap(((pkhpy_program *)self)->program, (int64_t)cap, &err);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}

static PyMethodDef program_methods[] = {
    {"household_columns", program_household_columns, METH_O,
     "household_columns(roster) -> the household columns the rules read"},
    {"set_amount", program_set_amount, METH_VARARGS,
     "set_amount(name, annual): change a component's or flat benefit's annual amount"},
    {"set_cap", program_set_cap, METH_O, "set_cap(n): members counted per family at most"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef program_getset[] = {
    {"name", program_scalar, NULL, "name", "name"},
    {"title", program_scalar, NULL, "title", "title"},
    {"currency", program_scalar, NULL, "currency", "currency"},
    {"text", program_scalar, NULL, "the JSON rules", "text"},
    {"cap", program_scalar, NULL, "members counted per family at most (0: none)", "cap"},
    {"condition", program_scalar, NULL, "eligibility condition or None", "condition"},
    {"requires_component", program_scalar, NULL, "a family needs a component", "requires"},
    {"components", program_components, NULL, "components, as dicts", NULL},
    {"flats", program_flats, NULL, "flat benefits, as dicts", NULL},
    {"stages", program_stages, NULL, "payment stages, as dicts", NULL},
    {"notes", program_notes, NULL, "notes (sources and caveats)", NULL},
    {"flags", program_flags, NULL, "flags, as dicts", NULL},
    {"selection", program_selection, NULL, "(kind, column, value) of the rules' selection", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pkhpy_program_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pkh._pkh._Program",
    .tp_basicsize = sizeof(pkhpy_program),
    .tp_dealloc = program_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Handle of one pkh programme (use pkh.Program).",
    .tp_methods = program_methods,
    .tp_getset = program_getset,
};

static pkh_program *program_arg(PyObject *obj, const char *what)
{
    if (!PyObject_TypeCheck(obj, &pkhpy_program_type)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a _Program (got %s)", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((pkhpy_program *)obj)->program;
}

/* ---- pkh.simulate ---- */

typedef struct sim_call {
    pkh_simulate_options o;
    PyObject *program, *compare, *table, *members, *by, *flags, *design;
    const char *line;
    const char **by_names;
    size_t n_by;
    pkh_flag_binding *bindings;
    pkh_design_spec spec;
    int with_design, per_household;
} sim_call;

static int sim_flags(sim_call *c)
{
    if (c->flags == Py_None) {
        return 0;
    }
    if (!PyTuple_Check(c->flags)) {
        PyErr_SetString(PyExc_TypeError, "flags: expected a tuple of (flag, column) pairs");
        return -1;
    }
    const Py_ssize_t n = PyTuple_GET_SIZE(c->flags);
    c->bindings = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *c->bindings);
    if (c->bindings == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(c->flags, i), "ss", &c->bindings[i].flag,
                              &c->bindings[i].column)) {
            return -1;
        }
    }
    c->o.flags = c->bindings;
    c->o.n_flags = (int64_t)n;
    return 0;
}

static int sim_setup(sim_call *c, PyObject *args, PyObject *kwargs)
{
    static char *kw[] = {"program",
                         "table",
                         "compare",
                         "members",
                         "income",
                         "weight",
                         "size",
                         "scale",
                         "line",
                         "period",
                         "observed_benefit",
                         "by",
                         "selection",
                         "selection_column",
                         "selection_value",
                         "flags",
                         "member_key",
                         "household_key",
                         "strict",
                         "id",
                         "design",
                         "level",
                         "threads",
                         "per_household",
                         NULL};
    pkh_simulate_options *o = &c->o;
    int kind = 0, period = 0;
    c->compare = c->members = c->by = c->flags = c->design = Py_None;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "OO|OOzzzzzizOizdOzzpzOdip", kw, &c->program, &c->table, &c->compare,
            &c->members, &o->income, &o->weight, &o->size, &o->scale, &c->line, &period,
            &o->observed_benefit, &c->by, &kind, &o->eligibility.column, &o->eligibility.value,
            &c->flags, &o->member_key, &o->household_key, &o->strict, &o->id, &c->design, &o->level,
            &o->threads, &c->per_household)) {
        return -1;
    }
    o->period = (pkh_period)period;
    o->eligibility.kind = (pkh_selection)kind;
    pkh_error err;
    if (program_arg(c->program, "program") == NULL ||
        (c->compare != Py_None && program_arg(c->compare, "compare") == NULL) ||
        pkhpy_table_arg(c->table, "table") == NULL ||
        (c->members != Py_None && (o->members = pkhpy_table_arg(c->members, "members")) == NULL) ||
        pkhpy_utf8_array(c->by, &c->by_names, &c->n_by) != 0 || sim_flags(c) != 0) {
        return -1;
    }
    if (c->design != Py_None) {
        int lonely = 0;
        const pkh_design_spec init = PKH_DESIGN_SPEC_INIT;
        c->spec = init;
        if (!PyArg_ParseTuple(c->design, "zzzi", &c->spec.strata, &c->spec.psu, &c->spec.fpc,
                              &lonely)) {
            return -1;
        }
        c->spec.lonely = (pkh_lonely_psu)lonely;
        c->spec.threads = o->threads;
        c->with_design = 1;
    }
    if (c->line != NULL && pkh_line_parse(c->line, &o->line, &err) != PKH_OK) {
        pkhpy_raise(err.code, &err);
        return -1;
    }
    o->by = c->by_names;
    o->n_by = (int64_t)c->n_by;
    return 0;
}

static PyObject *sim_info(const pkh_simulate_info *i)
{
    return Py_BuildValue(
        "{s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:L, s:(LL), s:d, s:(dd), "
        "s:(dd), s:(dd), s:O}",
        "rows", (long long)i->rows, "used", (long long)i->used, "missing_income",
        (long long)i->missing_income, "missing_key", (long long)i->missing_key, "missing_counts",
        (long long)i->missing_counts, "members", (long long)i->members, "members_unmatched",
        (long long)i->members_unmatched, "members_missing_key", (long long)i->members_missing_key,
        "missing_score", (long long)i->missing_score[0], (long long)i->missing_score[1], "line",
        i->line, "cutoff", i->cutoff[0], i->cutoff[1], "families", i->families[0], i->families[1],
        "budget", i->budget[0], i->budget[1], "se", i->se ? Py_True : Py_False);
}

PyObject *pkhpy_simulate(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    sim_call c;
    memset(&c, 0, sizeof c);
    const pkh_simulate_options init = PKH_SIMULATE_OPTIONS_INIT;
    c.o = init;
    PyObject *out = NULL;
    if (sim_setup(&c, args, kwargs) == 0) {
        const pkh_program *p = ((pkhpy_program *)c.program)->program;
        const pkh_program *q = c.compare != Py_None ? ((pkhpy_program *)c.compare)->program : NULL;
        const pkh_table *t = ((pkhpy_table *)c.table)->table;
        pkh_design *d = NULL;
        pkh_table *res = NULL, *ph = NULL;
        pkh_simulate_info info;
        pkh_error err;
        pkh_status st = PKH_OK;
        Py_BEGIN_ALLOW_THREADS
        if (c.with_design) {
            st = pkh_design_new(t, &c.spec, &d, &err);
        }
        if (st == PKH_OK) {
            c.o.design = d;
            st = pkh_program_simulate(p, q, t, &c.o, &res, c.per_household ? &ph : NULL, &info,
                                      &err);
        }
        pkh_design_free(d);
        Py_END_ALLOW_THREADS
        if (st != PKH_OK) {
            pkhpy_raise(st, &err);
        } else {
            PyObject *a = pkhpy_table_wrap(res);
            PyObject *b = NULL;
            if (a != NULL && ph != NULL) {
                b = pkhpy_table_wrap(ph);
            } else if (a != NULL) {
                b = Py_None;
                Py_INCREF(b);
            }
            if (a == NULL) {
                pkh_table_free(ph);
            }
            PyObject *meta = b != NULL ? sim_info(&info) : NULL;
            out = meta != NULL ? PyTuple_Pack(3, a, b, meta) : NULL;
            Py_XDECREF(a);
            Py_XDECREF(b);
            Py_XDECREF(meta);
        }
    }
    PyMem_Free(c.by_names);
    PyMem_Free(c.bindings);
    return out;
}

/* ---- pkh.synth ---- */

PyObject *pkhpy_synth(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kw[] = {"households", "seed", "year", "threads", NULL};
    pkh_synth_options o = PKH_SYNTH_OPTIONS_INIT;
    long long households = 0;
    unsigned long long seed = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L|Kii", kw, &households, &seed, &o.year,
                                     &o.threads)) {
        return NULL;
    }
    o.households = (int64_t)households;
    o.seed = (uint64_t)seed;
    pkh_table *hh = NULL, *mem = NULL;
    pkh_error err;
    pkh_status st;
    Py_BEGIN_ALLOW_THREADS
    st = pkh_synth_generate(&o, &hh, &mem, &err);
    Py_END_ALLOW_THREADS
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    PyObject *a = pkhpy_table_wrap(hh);
    PyObject *b = a != NULL ? pkhpy_table_wrap(mem) : NULL;
    if (a == NULL) {
        pkh_table_free(mem);
    }
    PyObject *pair = b != NULL ? PyTuple_Pack(2, a, b) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return pair;
}

PyObject *pkhpy_synth_year_supported(PyObject *self, PyObject *arg)
{
    (void)self;
    const long year = PyLong_AsLong(arg);
    if (year == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyBool_FromLong(year >= 0 && year <= 9999 && pkh_synth_year_supported((int)year));
}

/* synth_write(households, members, prefix, gzip, threads) */
PyObject *pkhpy_synth_write(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hh, *mem, *prefix;
    int gzip = 1, threads = 0;
    if (!PyArg_ParseTuple(args, "OOO&pi", &hh, &mem, PyUnicode_FSConverter, &prefix, &gzip,
                          &threads)) {
        return NULL;
    }
    const pkh_table *h = pkhpy_table_arg(hh, "households");
    const pkh_table *m = h != NULL ? pkhpy_table_arg(mem, "members") : NULL;
    if (m == NULL) {
        Py_DECREF(prefix);
        return NULL;
    }
    const char *path = PyBytes_AS_STRING(prefix);
    pkh_error err;
    pkh_status st;
    Py_BEGIN_ALLOW_THREADS
    st = pkh_synth_write(h, m, path, gzip, threads, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(prefix);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}
