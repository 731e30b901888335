/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pkh._pkh, the CPython extension: shared declarations of its source files. Bindings-private.
 * The extension is a thin layer over the public API; the friendly Python API (argument
 * checking, numpy and pandas conversions) is the pure-Python package around it.
 */
#ifndef PKHPY_MODULE_H
#define PKHPY_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pkh/pkh.h>

/** The handle of one pkh_table, owned: `pkh._pkh._Table`. Immutable, so thread-safe. */
typedef struct pkhpy_table {
    PyObject_HEAD pkh_table *table;
} pkhpy_table;

extern PyTypeObject pkhpy_table_type;
extern PyTypeObject pkhpy_buffer_type;

/** Wrap `table` (taking ownership, also on failure) in a new _Table, or NULL with an exception. */
PyObject *pkhpy_table_wrap(pkh_table *table);

/**
 * Raise pkh.Error for a failed call: the library's message, code, line, column and source.
 * Returns NULL, for `return pkhpy_raise(st, &err);`.
 */
PyObject *pkhpy_raise(pkh_status status, const pkh_error *err);

/** As pkhpy_raise(), the message prefixed (e.g. "--define pc=x/y: "), as the CLI words it. */
PyObject *pkhpy_raise_prefixed(pkh_status status, const pkh_error *err, const char *prefix);

/** Raise pkh.Error with `message` and no location. Returns NULL. */
PyObject *pkhpy_raise_text(pkh_status status, const char *message);

/** The pkh_table of a _Table, or NULL with a TypeError naming `what`. Borrowed. */
const pkh_table *pkhpy_table_arg(PyObject *obj, const char *what);

/**
 * A tuple of str (or None) as a PyMem array of UTF-8 pointers (NULL and 0 for None), valid
 * while the tuple lives; free the array with PyMem_Free(). Returns 0, or -1 with an exception.
 */
int pkhpy_utf8_array(PyObject *tuple, const char ***out, size_t *n);

/* ---- compute.c: pkh_indicators_compute, pkh_targeting_compute, pkh_pmt_fit, expressions ---- */

extern PyTypeObject pkhpy_exprs_type;
PyObject *pkhpy_indicators(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *pkhpy_targeting(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *pkhpy_pmt(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *pkhpy_check(PyObject *self, PyObject *args);
PyObject *pkhpy_line_kind(PyObject *self, PyObject *arg);
PyObject *pkhpy_benchmark_parse(PyObject *self, PyObject *arg);
PyObject *pkhpy_expr_columns(PyObject *self, PyObject *arg);

/* ---- program.c: programmes, pkh_program_simulate, the synthetic survey ---- */

extern PyTypeObject pkhpy_program_type;
PyObject *pkhpy_program_load(PyObject *self, PyObject *args);
PyObject *pkhpy_program_presets(PyObject *self, PyObject *unused);
PyObject *pkhpy_simulate(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *pkhpy_synth(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *pkhpy_synth_write(PyObject *self, PyObject *args);
PyObject *pkhpy_synth_year_supported(PyObject *self, PyObject *arg);

/** Set the class raised by pkhpy_raise() (pkh._errors.Error); borrowed reference kept alive. */
int pkhpy_errors_init(PyObject *module);

#endif /* PKHPY_MODULE_H */
