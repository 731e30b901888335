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
    PyObject_HEAD
    pkh_table *table;
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

/** Set the class raised by pkhpy_raise() (pkh._errors.Error); borrowed reference kept alive. */
int pkhpy_errors_init(PyObject *module);

#endif /* PKHPY_MODULE_H */
