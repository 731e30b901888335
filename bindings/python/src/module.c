/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pkh._pkh: module setup, pkh.Error, reading CSV (from a path, memory or a Python stream) and
 * building tables from Python buffers. The GIL is released around every long library call.
 */
#include "module.h"

#include <stdatomic.h>
#include <string.h>

PyMODINIT_FUNC PyInit__pkh(void);

/* ---- errors ---- */

static PyObject *error_class; /* pkh._errors.Error, set once at import */

int pkhpy_errors_init(PyObject *module)
{
    (void)module;
    PyObject *errors = PyImport_ImportModule("pkh._errors");
    if (errors == NULL) {
        return -1;
    }
    error_class = PyObject_GetAttrString(errors, "Error");
    Py_DECREF(errors);
    return error_class != NULL ? 0 : -1;
}

static PyObject *decode(const char *s)
{
    /* messages quote the data, which need not be UTF-8 */
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "backslashreplace");
}

PyObject *pkhpy_raise(pkh_status status, const pkh_error *err)
{
    if (status == PKH_ENOMEM && (err == NULL || err->message[0] == '\0')) {
        return PyErr_NoMemory();
    }
    const char *text =
        err != NULL && err->message[0] != '\0' ? err->message : pkh_status_string(status);
    PyObject *message = decode(text);
    PyObject *source = decode(err != NULL ? err->source : "");
    PyObject *exc = NULL;
    if (message != NULL && source != NULL) {
        exc = PyObject_CallFunction(error_class, "OiLLO", message, (int)status,
                                    (long long)(err != NULL ? err->line : 0),
                                    (long long)(err != NULL ? err->column : 0), source);
    }
    Py_XDECREF(message);
    Py_XDECREF(source);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *pkhpy_raise_prefixed(pkh_status status, const pkh_error *err, const char *prefix)
{
    pkh_error e;
    pkh_error_clear(&e);
    if (err != NULL) {
        e = *err;
    }
    e.code = status;
    const char *text =
        err != NULL && err->message[0] != '\0' ? err->message : pkh_status_string(status);
    char message[PKH_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "%s%s", prefix, text);
    memcpy(e.message, message, sizeof e.message);
    return pkhpy_raise(status, &e);
}

PyObject *pkhpy_raise_text(pkh_status status, const char *message)
{
    pkh_error e;
    pkh_error_clear(&e);
    e.code = status;
    snprintf(e.message, sizeof e.message, "%s", message);
    return pkhpy_raise(status, &e);
}

const pkh_table *pkhpy_table_arg(PyObject *obj, const char *what)
{
    if (!PyObject_TypeCheck(obj, &pkhpy_table_type)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a pkh._pkh._Table (got %s)", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((pkhpy_table *)obj)->table;
}

static void set_error(pkh_error *err, pkh_status code, const char *source, const char *text)
{
    if (err != NULL) {
        pkh_error_clear(err);
        err->code = code;
        snprintf(err->source, sizeof err->source, "%s", source);
        snprintf(err->message, sizeof err->message, "%s: %s", source, text);
    }
}

/* ---- reading ---- */

/* A Python binary stream as a pkh_source. The reader may call it from any of its threads, with
 * the GIL released; each call takes the GIL. The first Python exception is kept to be raised
 * in the caller's thread. */
typedef struct stream_ctx {
    PyObject *file;
    const char *name;
    PyObject *exc_type, *exc_value, *exc_tb;
} stream_ctx;

static int64_t stream_readinto(stream_ctx *s, void *buffer, size_t capacity)
{
    const Py_ssize_t cap =
        capacity > (size_t)PY_SSIZE_T_MAX ? PY_SSIZE_T_MAX : (Py_ssize_t)capacity;
    PyObject *view = PyMemoryView_FromMemory(buffer, cap, PyBUF_WRITE);
    if (view == NULL) {
        return -1;
    }
    int64_t n = -1;
    PyObject *r = PyObject_CallMethod(s->file, "readinto", "O", view);
    if (r == Py_None) {
        PyErr_SetString(PyExc_BlockingIOError, "the stream has no data ready (non-blocking?)");
    } else if (r != NULL) {
        const long long got = PyLong_AsLongLong(r);
        if (got >= 0 && got <= (long long)cap) {
            n = (int64_t)got;
        } else if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_ValueError, "readinto() returned %lld", got);
        }
    }
    Py_XDECREF(r);
    /* the stream must not keep a view of the reader's buffer; a first error stays first */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *done = PyObject_CallMethod(view, "release", NULL);
    if (done == NULL) {
        n = -1;
    }
    Py_XDECREF(done);
    Py_DECREF(view);
    if (type != NULL) {
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    return n;
}

static int64_t stream_read(void *ctx, void *buffer, size_t capacity, pkh_error *err)
{
    stream_ctx *s = ctx;
    const PyGILState_STATE gil = PyGILState_Ensure();
    const int64_t n = stream_readinto(s, buffer, capacity);
    if (n < 0) {
        if (s->exc_type == NULL) {
            PyErr_Fetch(&s->exc_type, &s->exc_value, &s->exc_tb);
        } else {
            PyErr_Clear();
        }
        set_error(err, PKH_EIO, s->name, "cannot read from the stream");
    }
    PyGILState_Release(gil);
    return n;
}

/* Tuples of str (or None) as a C array of UTF-8 pointers, valid while the tuple lives. */
int pkhpy_utf8_array(PyObject *tuple, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (tuple == Py_None) {
        return 0;
    }
    if (!PyTuple_Check(tuple)) {
        PyErr_SetString(PyExc_TypeError, "expected a tuple of str");
        return -1;
    }
    const Py_ssize_t len = PyTuple_GET_SIZE(tuple);
    const char **a = PyMem_Calloc((size_t)(len > 0 ? len : 1), sizeof *a);
    if (a == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        a[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(tuple, i));
        if (a[i] == NULL) {
            PyMem_Free(a);
            return -1;
        }
    }
    *out = a;
    *n = (size_t)len;
    return 0;
}

static int type_array(PyObject *tuple, pkh_csv_type **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (tuple == Py_None) {
        return 0;
    }
    if (!PyTuple_Check(tuple)) {
        PyErr_SetString(PyExc_TypeError, "expected a tuple of (name, type) pairs");
        return -1;
    }
    const Py_ssize_t len = PyTuple_GET_SIZE(tuple);
    pkh_csv_type *a = PyMem_Calloc((size_t)(len > 0 ? len : 1), sizeof *a);
    if (a == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        int type = 0;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(tuple, i), "si", &a[i].column, &type)) {
            PyMem_Free(a);
            return -1;
        }
        a[i].type = (pkh_type)type;
    }
    *out = a;
    *n = (size_t)len;
    return 0;
}

static PyObject *info_dict(const pkh_csv_info *info)
{
    const char delim[2] = {info->delimiter, '\0'};
    return Py_BuildValue("{s:s, s:O, s:L, s:L, s:L, s:L}", "delimiter", delim, "gzip",
                         info->gzip ? Py_True : Py_False, "rows", (long long)info->rows, "lines",
                         (long long)info->lines, "bytes", (long long)info->bytes, "blank_lines",
                         (long long)info->blank_lines);
}

enum { SOURCE_PATH = 0, SOURCE_MEMORY = 1, SOURCE_STREAM = 2 };

/* Read from the source of `kind` with the GIL released. */
static pkh_status read_any(int kind, PyObject *source, const char *name, const pkh_csv_options *o,
                           stream_ctx *sctx, pkh_table **t, pkh_csv_info *info, pkh_error *err)
{
    pkh_status st = PKH_EINVAL;
    if (kind == SOURCE_PATH) {
        const char *path = PyBytes_AsString(source);
        if (path == NULL) {
            return PKH_EINVAL;
        }
        Py_BEGIN_ALLOW_THREADS
        st = pkh_csv_read_path(path, o, t, info, err);
        Py_END_ALLOW_THREADS
    } else if (kind == SOURCE_MEMORY) {
        Py_buffer view;
        if (PyObject_GetBuffer(source, &view, PyBUF_SIMPLE) != 0) {
            return PKH_EINVAL;
        }
        Py_BEGIN_ALLOW_THREADS
        st = pkh_csv_read_memory(view.buf, (size_t)view.len, name, o, t, info, err);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&view);
    } else {
        sctx->file = source;
        sctx->name = name != NULL ? name : "<stream>";
        const pkh_source src = {stream_read, sctx, sctx->name, -1};
        Py_BEGIN_ALLOW_THREADS
        st = pkh_csv_read_source(&src, o, t, info, err);
        Py_END_ALLOW_THREADS
    }
    return st;
}

static PyObject *py_read_csv(PyObject *self, PyObject *args)
{
    (void)self;
    int kind = 0, delimiter = 0, decimal = '.', threads = 0, summaries = 0;
    PyObject *source, *na, *columns, *types;
    const char *name = NULL;
    if (!PyArg_ParseTuple(args, "iOziiOOOi|p", &kind, &source, &name, &delimiter, &decimal, &na,
                          &columns, &types, &threads, &summaries)) {
        return NULL;
    }
    if (kind < SOURCE_PATH || kind > SOURCE_STREAM || delimiter < 0 || delimiter > 255 ||
        decimal < 0 || decimal > 255) {
        return PyErr_Format(PyExc_ValueError, "bad read_csv arguments");
    }
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.delimiter = (char)delimiter;
    o.decimal = (char)decimal;
    o.threads = threads;
    o.summaries = summaries;
    const char **na_values = NULL, **names = NULL;
    pkh_csv_type *forced = NULL;
    PyObject *result = NULL;
    if (pkhpy_utf8_array(na, &na_values, &o.n_na_values) == 0 &&
        pkhpy_utf8_array(columns, &names, &o.n_columns) == 0 &&
        type_array(types, &forced, &o.n_types) == 0) {
        o.na_values = na_values;
        o.columns = names;
        o.types = forced;
        stream_ctx sctx = {0};
        pkh_table *t = NULL;
        pkh_csv_info info;
        pkh_error err;
        const pkh_status st = read_any(kind, source, name, &o, &sctx, &t, &info, &err);
        if (sctx.exc_type != NULL) { /* the stream's own exception comes first */
            pkh_table_free(t);
            PyErr_Restore(sctx.exc_type, sctx.exc_value, sctx.exc_tb);
        } else if (st != PKH_OK) {
            if (!PyErr_Occurred()) {
                pkhpy_raise(st, &err);
            }
        } else {
            PyObject *handle = pkhpy_table_wrap(t);
            PyObject *meta = handle != NULL ? info_dict(&info) : NULL;
            result = meta != NULL ? PyTuple_Pack(2, handle, meta) : NULL;
            Py_XDECREF(handle);
            Py_XDECREF(meta);
        }
    }
    PyMem_Free(na_values);
    PyMem_Free(names);
    PyMem_Free(forced);
    return result;
}

/* ---- building tables from Python buffers ---- */

static Py_ssize_t item_size(pkh_type type)
{
    switch (type) {
    case PKH_TYPE_INT64:
    case PKH_TYPE_FLOAT64:
        return 8;
    case PKH_TYPE_BOOL:
        return 1; /* one byte per row, 0 false */
    case PKH_TYPE_DICT:
        return 4; /* int32 codes */
    }
    return 0;
}

static pkh_status add_typed(pkh_table_builder *b, const char *name, pkh_type type,
                            const void *values, const uint8_t *validity, int64_t n,
                            const char *const *dict, int64_t dict_size, pkh_error *err)
{
    pkh_status st = PKH_EINVAL;
    Py_BEGIN_ALLOW_THREADS
    switch (type) {
    case PKH_TYPE_INT64:
        st = pkh_table_builder_add_int64(b, name, values, validity, n, err);
        break;
    case PKH_TYPE_FLOAT64:
        st = pkh_table_builder_add_float64(b, name, values, validity, n, err);
        break;
    case PKH_TYPE_BOOL:
        st = pkh_table_builder_add_bool(b, name, values, validity, n, err);
        break;
    case PKH_TYPE_DICT:
        st = pkh_table_builder_add_dict(b, name, values, validity, n, dict, dict_size, err);
        break;
    }
    Py_END_ALLOW_THREADS
    return st;
}

/* -- borrowed columns: the table reads the Python object's memory (no copy) -- */

/* What one borrowed column holds on to until the library's release callback: the exports of
 * the values and of the validity bitmap (which keep their Python objects alive), and the
 * bitmap made here when float values hold NaN. */
typedef struct borrowed {
    Py_buffer values;
    Py_buffer validity; /* .obj NULL: none given */
    uint8_t *nan_bitmap;
} borrowed;

static atomic_long borrowed_live; /* borrowed columns not yet released (a test's accessor) */

#if PY_VERSION_HEX >= 0x030D0000
#define PKHPY_FINALIZING() Py_IsFinalizing()
#else
#define PKHPY_FINALIZING() _Py_IsFinalizing()
#endif

/* The library calls this exactly once, when the last table sharing the column is freed, from
 * whatever thread frees it, with or without the GIL. */
static void borrowed_release(void *ctx)
{
    borrowed *b = ctx;
    if (!PyGILState_Check() && PKHPY_FINALIZING()) {
        return; /* too late to touch Python objects: leave them to the dying interpreter */
    }
    const PyGILState_STATE gil = PyGILState_Ensure();
    PyBuffer_Release(&b->values);
    if (b->validity.obj != NULL) {
        PyBuffer_Release(&b->validity);
    }
    PyGILState_Release(gil);
    PyMem_RawFree(b->nan_bitmap);
    PyMem_RawFree(b);
    atomic_fetch_sub(&borrowed_live, 1);
}

/* Rows with a NaN value read as missing, as the CSV reader reads "NaN": a bitmap of `given`
 * (or all valid) with the NaN rows cleared, or NULL when there is no NaN (the common case,
 * one read of the values). Returns -1 when the bitmap cannot be allocated. */
static int nan_validity(const double *x, int64_t n, const uint8_t *given, uint8_t **out)
{
    enum { BLOCK = 1024 };
    *out = NULL;
    int64_t start = 0;
    for (; start < n; start += BLOCK) {
        const int64_t end = n - start < BLOCK ? n : start + BLOCK;
        int nan = 0;
        for (int64_t i = start; i < end; i++) {
            nan |= x[i] != x[i];
        }
        if (nan) {
            break;
        }
    }
    if (start >= n) {
        return 0;
    }
    const size_t bytes = (size_t)(n + 7) / 8;
    uint8_t *bits = PyMem_RawMalloc(bytes);
    if (bits == NULL) {
        return -1;
    }
    if (given != NULL) {
        memcpy(bits, given, bytes);
    } else {
        memset(bits, 0xFF, bytes);
    }
    for (int64_t i = start; i < n; i++) {
        if (x[i] != x[i]) {
            bits[i / 8] &= (uint8_t) ~(1u << (i % 8));
        }
    }
    *out = bits;
    return 0;
}

/* Export `values` (and `validity`, or None) into `b`. Returns the rows, or -1 with an
 * exception. */
static int64_t borrowed_export(borrowed *b, const char *name, PyObject *values, PyObject *validity)
{
    if (PyObject_GetBuffer(values, &b->values, PyBUF_C_CONTIGUOUS) != 0) {
        return -1;
    }
    const int64_t n = (int64_t)(b->values.len / 8);
    const char *why = b->values.itemsize != 8 || b->values.len % 8 != 0 ? "8-byte items are needed"
                      : ((uintptr_t)b->values.buf) % 8 != 0 ? "the data is not 8-byte aligned"
                                                            : NULL;
    if (why == NULL && validity != Py_None) {
        if (PyObject_GetBuffer(validity, &b->validity, PyBUF_SIMPLE) != 0) {
            b->validity.obj = NULL;
            PyBuffer_Release(&b->values);
            return -1;
        }
        why =
            b->validity.len < (Py_ssize_t)((n + 7) / 8) ? "the validity bitmap is too short" : NULL;
    }
    if (why != NULL) {
        PyErr_Format(PyExc_ValueError, "column \"%s\" cannot be borrowed: %s", name, why);
        if (b->validity.obj != NULL) {
            PyBuffer_Release(&b->validity);
        }
        PyBuffer_Release(&b->values);
        return -1;
    }
    return n;
}

/* Add a column over the Python object's memory: int64 or float64, contiguous, 8-byte aligned.
 * With `nan_missing`, float NaN rows are made missing (one read of the values); without, NaN
 * stays a value (the library's readers take it as missing where a value may be missing).
 * Returns 0, or -1 with an exception (and nothing held). */
static int add_borrowed(pkh_table_builder *tb, const char *name, int type, PyObject *values,
                        PyObject *validity, int nan_missing)
{
    if (type != PKH_TYPE_INT64 && type != PKH_TYPE_FLOAT64) {
        PyErr_Format(PyExc_ValueError, "column \"%s\": only int64 and float64 are borrowed", name);
        return -1;
    }
    borrowed *b = PyMem_RawCalloc(1, sizeof *b);
    if (b == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const int64_t n = borrowed_export(b, name, values, validity);
    if (n < 0) {
        PyMem_RawFree(b);
        return -1;
    }
    const uint8_t *given = b->validity.obj != NULL ? b->validity.buf : NULL;
    pkh_error err;
    pkh_status st = PKH_ENOMEM;
    int nan_rc = 0;
    Py_BEGIN_ALLOW_THREADS
    if (type == PKH_TYPE_FLOAT64 && nan_missing) {
        nan_rc = nan_validity(b->values.buf, n, given, &b->nan_bitmap);
    }
    if (nan_rc == 0) {
        st = pkh_table_builder_add_external(tb, name, (pkh_type)type, b->values.buf,
                                            b->nan_bitmap != NULL ? b->nan_bitmap : given, n,
                                            borrowed_release, b, &err);
    }
    Py_END_ALLOW_THREADS
    if (st == PKH_OK) {
        atomic_fetch_add(&borrowed_live, 1);
        return 0;
    }
    /* not added: the release callback will never run, so let go here */
    if (b->validity.obj != NULL) {
        PyBuffer_Release(&b->validity);
    }
    PyBuffer_Release(&b->values);
    PyMem_RawFree(b->nan_bitmap);
    PyMem_RawFree(b);
    if (nan_rc != 0) {
        PyErr_NoMemory();
    } else {
        pkhpy_raise(st, &err);
    }
    return -1;
}

/* Add one column described by (name, type, values, validity or None, dictionary or None,
 * borrow): borrow 0 copies; 1 borrows, NaN rows missing; 2 borrows, NaN kept as a value.
 * Returns 0, or -1 with a Python exception set. */
static int add_column(pkh_table_builder *b, PyObject *spec)
{
    const char *name;
    int type, borrow = 0;
    PyObject *values, *validity, *dictionary;
    if (!PyArg_ParseTuple(spec, "siOOO|i", &name, &type, &values, &validity, &dictionary,
                          &borrow)) {
        return -1;
    }
    if (borrow != 0) {
        return add_borrowed(b, name, type, values, validity, borrow == 1);
    }
    const Py_ssize_t size = item_size((pkh_type)type);
    if (size == 0) {
        PyErr_Format(PyExc_ValueError, "unknown column type %d", type);
        return -1;
    }
    Py_buffer v, m = {0};
    if (PyObject_GetBuffer(values, &v, PyBUF_SIMPLE) != 0) {
        return -1;
    }
    const int64_t n = (int64_t)(v.len / size);
    const char **dict = NULL;
    size_t dict_size = 0;
    int rc = -1;
    if (v.len % size != 0) {
        PyErr_Format(PyExc_ValueError, "column \"%s\": %zd bytes is not a whole number of rows",
                     name, v.len);
    } else if (validity != Py_None && PyObject_GetBuffer(validity, &m, PyBUF_SIMPLE) != 0) {
        m.obj = NULL;
    } else if (m.obj != NULL && m.len < (Py_ssize_t)((n + 7) / 8)) {
        PyErr_Format(PyExc_ValueError, "column \"%s\": the validity bitmap is too short", name);
    } else if (type == PKH_TYPE_DICT && pkhpy_utf8_array(dictionary, &dict, &dict_size) != 0) {
        dict = NULL;
    } else {
        pkh_error err;
        const pkh_status st =
            add_typed(b, name, (pkh_type)type, v.buf, m.obj != NULL ? m.buf : NULL, n, dict,
                      (int64_t)dict_size, &err);
        rc = st == PKH_OK ? 0 : -1;
        if (st != PKH_OK) {
            pkhpy_raise(st, &err);
        }
    }
    PyMem_Free(dict);
    if (m.obj != NULL) {
        PyBuffer_Release(&m);
    }
    PyBuffer_Release(&v);
    return rc;
}

static PyObject *py_from_columns(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *seq = PySequence_Fast(arg, "from_columns() takes a sequence of column specs");
    if (seq == NULL) {
        return NULL;
    }
    pkh_table_builder *b = NULL;
    pkh_error err;
    pkh_status st = pkh_table_builder_new(NULL, &b, &err);
    if (st != PKH_OK) {
        Py_DECREF(seq);
        return pkhpy_raise(st, &err);
    }
    PyObject *result = NULL;
    Py_ssize_t i = 0;
    for (; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (add_column(b, PySequence_Fast_GET_ITEM(seq, i)) != 0) {
            break;
        }
    }
    if (i == PySequence_Fast_GET_SIZE(seq)) {
        pkh_table *t = NULL;
        st = pkh_table_builder_finish(b, &t, &err);
        result = st == PKH_OK ? pkhpy_table_wrap(t) : pkhpy_raise(st, &err);
    }
    pkh_table_builder_free(b); /* releases what a failure left borrowed */
    Py_DECREF(seq);
    return result;
}

static PyObject *py_borrowed_live(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLong(atomic_load(&borrowed_live));
}

static PyObject *py_status_string(PyObject *self, PyObject *arg)
{
    (void)self;
    const long code = PyLong_AsLong(arg);
    if (code == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyUnicode_FromString(pkh_status_string((pkh_status)code));
}

static PyObject *py_type_parse(PyObject *self, PyObject *arg)
{
    (void)self;
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL) {
        return NULL;
    }
    pkh_type t;
    if (pkh_type_parse(name, &t) != PKH_OK) {
        return PyErr_Format(PyExc_ValueError,
                            "unknown type \"%s\" (int64, float64, bool or string)", name);
    }
    return PyLong_FromLong((long)t);
}

static PyMethodDef module_methods[] = {
    {"read_csv", py_read_csv, METH_VARARGS,
     "read_csv(kind, source, name, delimiter, decimal, na_values, columns, types, threads"
     "[, summaries]) -> (_Table, info); kind 0: bytes path, 1: buffer, 2: binary stream. Use "
     "pkh.read_csv."},
    {"from_columns", py_from_columns, METH_O,
     "from_columns([(name, type, values, validity, dictionary[, borrow]), ...]) -> _Table; "
     "borrow 1 or 2: an int64 or float64 buffer used in place (no copy), kept until the table "
     "is freed; 1 makes float NaN rows missing, 2 keeps NaN as a value"},
    {"_borrowed_live", py_borrowed_live, METH_NOARGS,
     "number of borrowed columns not yet released (for tests)"},
    {"indicators", (PyCFunction)(void (*)(void))pkhpy_indicators, METH_VARARGS | METH_KEYWORDS,
     "indicators(table, income, ...) -> (_Table, info): pkh_indicators_compute (use "
     "pkh.indicators)"},
    {"targeting", (PyCFunction)(void (*)(void))pkhpy_targeting, METH_VARARGS | METH_KEYWORDS,
     "targeting(table, income, benchmark, ...) -> (_Table, curve or None, info) (use "
     "pkh.targeting)"},
    {"pmt", (PyCFunction)(void (*)(void))pkhpy_pmt, METH_VARARGS | METH_KEYWORDS,
     "pmt(table, target, ...) -> (_Table, scores or None, info) (use pkh.pmt)"},
    {"simulate", (PyCFunction)(void (*)(void))pkhpy_simulate, METH_VARARGS | METH_KEYWORDS,
     "simulate(program, table, ...) -> (_Table, per-household or None, info) (use "
     "pkh.simulate)"},
    {"synth", (PyCFunction)(void (*)(void))pkhpy_synth, METH_VARARGS | METH_KEYWORDS,
     "synth(households, seed, year, threads) -> (households, members) (use pkh.synth)"},
    {"synth_write", pkhpy_synth_write, METH_VARARGS,
     "synth_write(households, members, prefix, gzip, threads): pkh_synth_write"},
    {"synth_year_supported", pkhpy_synth_year_supported, METH_O,
     "synth_year_supported(year) -> bool (pkh_synth_year_supported)"},
    {"program_load", pkhpy_program_load, METH_VARARGS,
     "program_load(kind, text, source) -> _Program; kind 0: preset or path, 1: JSON text"},
    {"program_presets", pkhpy_program_presets, METH_NOARGS, "the presets' names"},
    {"check", pkhpy_check, METH_VARARGS,
     "check(kind, text): parse an indicator, line, benchmark or reptype text; pkh.Error if bad"},
    {"line_kind", pkhpy_line_kind, METH_O, "line_kind(text) -> pkh_line_kind of a --line text"},
    {"benchmark_parse", pkhpy_benchmark_parse, METH_O,
     "benchmark_parse(text) -> (kind, value, column or None)"},
    {"expr_columns", pkhpy_expr_columns, METH_O,
     "expr_columns(text) -> the columns an expression uses"},
    {"status_string", py_status_string, METH_O, "status_string(code) -> the library's text"},
    {"type_parse", py_type_parse, METH_O, "type_parse(name) -> type code (as pkh_type_parse)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pkh._pkh",
    .m_doc = "The C core of the pkh Python package (use the pkh package).",
    .m_size = -1,
    .m_methods = module_methods,
};

static int add_constants(PyObject *m)
{
    return PyModule_AddIntConstant(m, "TYPE_INT64", PKH_TYPE_INT64) != 0 ||
                   PyModule_AddIntConstant(m, "TYPE_FLOAT64", PKH_TYPE_FLOAT64) != 0 ||
                   PyModule_AddIntConstant(m, "TYPE_BOOL", PKH_TYPE_BOOL) != 0 ||
                   PyModule_AddIntConstant(m, "TYPE_DICT", PKH_TYPE_DICT) != 0 ||
                   PyModule_AddStringConstant(m, "version", pkh_version_string()) != 0
               ? -1
               : 0;
}

PyMODINIT_FUNC PyInit__pkh(void)
{
    if (PyType_Ready(&pkhpy_table_type) != 0 || PyType_Ready(&pkhpy_buffer_type) != 0 ||
        PyType_Ready(&pkhpy_exprs_type) != 0 || PyType_Ready(&pkhpy_program_type) != 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) {
        return NULL;
    }
    if (add_constants(m) != 0 ||
        PyModule_AddObjectRef(m, "_Table", (PyObject *)&pkhpy_table_type) != 0 ||
        PyModule_AddObjectRef(m, "_Buffer", (PyObject *)&pkhpy_buffer_type) != 0 ||
        PyModule_AddObjectRef(m, "_Exprs", (PyObject *)&pkhpy_exprs_type) != 0 ||
        PyModule_AddObjectRef(m, "_Program", (PyObject *)&pkhpy_program_type) != 0 ||
        pkhpy_errors_init(m) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
