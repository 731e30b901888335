/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The _Table handle (one owned pkh_table) and _Buffer, a read-only buffer-protocol view of one
 * column buffer that keeps its _Table alive. numpy arrays made with numpy.frombuffer() over a
 * _Buffer share the table's memory and outlive the Python Table object.
 */
#include "module.h"

#include <structmember.h>

#include "arrow_export.h"

/* ---- _Buffer ---- */

typedef struct pkhpy_buffer {
    PyObject_HEAD PyObject *owner; /* the _Table whose memory this is */
    const void *data;
    Py_ssize_t size; /* bytes */
} pkhpy_buffer;

static char empty_bytes[1];

static int buffer_get(PyObject *self, Py_buffer *view, int flags)
{
    pkhpy_buffer *b = (pkhpy_buffer *)self;
    /* read-only: PyBuffer_FillInfo refuses PyBUF_WRITABLE requests with a BufferError */
    void *data = b->data != NULL ? (void *)(uintptr_t)b->data : empty_bytes;
    return PyBuffer_FillInfo(view, self, data, b->size, 1, flags);
}

static void buffer_dealloc(PyObject *self)
{
    Py_XDECREF(((pkhpy_buffer *)self)->owner);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *buffer_address(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromVoidPtr((void *)(uintptr_t)((pkhpy_buffer *)self)->data);
}

static PyObject *buffer_len_get(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(((pkhpy_buffer *)self)->size);
}

static PyBufferProcs buffer_procs = {.bf_getbuffer = buffer_get, .bf_releasebuffer = NULL};

static PyMemberDef buffer_members[] = {
    {"owner", T_OBJECT, offsetof(pkhpy_buffer, owner), READONLY, "the _Table that owns the memory"},
    {NULL, 0, 0, 0, NULL}};

static PyGetSetDef buffer_getset[] = {
    {"address", buffer_address, NULL, "address of the first byte", NULL},
    {"nbytes", buffer_len_get, NULL, "size in bytes", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pkhpy_buffer_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pkh._pkh._Buffer",
    .tp_basicsize = sizeof(pkhpy_buffer),
    .tp_dealloc = buffer_dealloc,
    .tp_as_buffer = &buffer_procs,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Read-only view of one buffer of a pkh table; keeps the table alive.",
    .tp_members = buffer_members,
    .tp_getset = buffer_getset,
};

static PyObject *buffer_new(PyObject *owner, const void *data, size_t size)
{
    if (size > (size_t)PY_SSIZE_T_MAX) {
        return PyErr_Format(PyExc_OverflowError, "buffer of %zu bytes", size);
    }
    pkhpy_buffer *b = PyObject_New(pkhpy_buffer, &pkhpy_buffer_type);
    if (b == NULL) {
        return NULL;
    }
    Py_INCREF(owner);
    b->owner = owner;
    b->data = data;
    b->size = (Py_ssize_t)size;
    return (PyObject *)b;
}

/* ---- _Table ---- */

static void table_dealloc(PyObject *self)
{
    pkh_table_free(((pkhpy_table *)self)->table);
    Py_TYPE(self)->tp_free(self);
}

PyObject *pkhpy_table_wrap(pkh_table *table)
{
    pkhpy_table *t = PyObject_New(pkhpy_table, &pkhpy_table_type);
    if (t == NULL) {
        pkh_table_free(table);
        return NULL;
    }
    t->table = table;
    return (PyObject *)t;
}

static const pkh_column *column_arg(PyObject *self, PyObject *arg)
{
    const pkh_table *t = ((pkhpy_table *)self)->table;
    const Py_ssize_t i = PyLong_AsSsize_t(arg);
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const pkh_column *col = pkh_table_column_at(t, (int64_t)i);
    if (col == NULL) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", i);
    }
    return col;
}

static PyObject *table_num_rows(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong((long long)pkh_table_num_rows(((pkhpy_table *)self)->table));
}

static PyObject *table_num_columns(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLongLong((long long)pkh_table_num_columns(((pkhpy_table *)self)->table));
}

static PyObject *table_column_info(PyObject *self, PyObject *arg)
{
    const pkh_column *col = column_arg(self, arg);
    if (col == NULL) {
        return NULL;
    }
    return Py_BuildValue("(siLL)", pkh_column_name(col), (int)pkh_column_type(col),
                         (long long)pkh_column_null_count(col),
                         (long long)pkh_column_dict_size(col));
}

static PyObject *table_index(PyObject *self, PyObject *arg)
{
    const pkh_table *t = ((pkhpy_table *)self)->table;
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL) {
        return NULL;
    }
    const pkh_column *col = NULL;
    pkh_error err;
    const pkh_status st = pkh_table_column(t, name, &col, &err);
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    for (int64_t i = 0; i < pkh_table_num_columns(t); i++) {
        if (pkh_table_column_at(t, i) == col) {
            return PyLong_FromLongLong((long long)i);
        }
    }
    return PyErr_Format(PyExc_SystemError, "column \"%s\" found but not listed", name);
}

/* Buffer `which` of column `i`: 0 validity, 1 values (bits, codes), 2 dictionary offsets,
 * 3 dictionary bytes. None when the column has no such buffer. */
static PyObject *table_buffer(PyObject *self, PyObject *args)
{
    PyObject *index;
    int which;
    if (!PyArg_ParseTuple(args, "Oi", &index, &which)) {
        return NULL;
    }
    const pkh_column *col = column_arg(self, index);
    if (col == NULL) {
        return NULL;
    }
    const size_t n = (size_t)pkh_column_length(col);
    const pkh_type type = pkh_column_type(col);
    const int64_t *offsets = NULL;
    const char *chars = NULL;
    pkh_column_dict_buffers(col, &offsets, &chars);
    const int64_t dict_size = pkh_column_dict_size(col);
    switch (which) {
    case 0:
        if (pkh_column_validity(col) == NULL) {
            Py_RETURN_NONE;
        }
        return buffer_new(self, pkh_column_validity(col), (n + 7) / 8);
    case 1:
        if (type == PKH_TYPE_INT64) {
            return buffer_new(self, pkh_column_int64(col), n * 8);
        } else if (type == PKH_TYPE_FLOAT64) {
            return buffer_new(self, pkh_column_float64(col), n * 8);
        } else if (type == PKH_TYPE_BOOL) {
            return buffer_new(self, pkh_column_bool_bits(col), (n + 7) / 8);
        }
        return buffer_new(self, pkh_column_codes(col), n * 4);
    case 2:
        if (type != PKH_TYPE_DICT || offsets == NULL) {
            Py_RETURN_NONE;
        }
        return buffer_new(self, offsets, (size_t)(dict_size + 1) * 8);
    case 3:
        if (type != PKH_TYPE_DICT || offsets == NULL) {
            Py_RETURN_NONE;
        }
        return buffer_new(self, chars, (size_t)offsets[dict_size]);
    default:
        return PyErr_Format(PyExc_ValueError, "no buffer %d", which);
    }
}

/* The dictionary of a string column as a list of str (invalid UTF-8 bytes kept as surrogate
 * escapes, as os.fsdecode does, so that no text is lost). */
static PyObject *table_dictionary(PyObject *self, PyObject *arg)
{
    const pkh_column *col = column_arg(self, arg);
    if (col == NULL) {
        return NULL;
    }
    const int64_t n = pkh_column_dict_size(col);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) {
        return NULL;
    }
    for (int64_t k = 0; k < n; k++) {
        const char *s = NULL;
        size_t len = 0;
        pkh_column_dict_value(col, k, &s, &len);
        PyObject *str = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "surrogateescape");
        if (str == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)k, str);
    }
    return list;
}

static PyObject *table_select(PyObject *self, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "select() takes a sequence of column names");
    if (seq == NULL) {
        return NULL;
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **names = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    if (names == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    PyObject *result = NULL;
    Py_ssize_t i = 0;
    for (; i < n; i++) {
        names[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        if (names[i] == NULL) {
            break;
        }
    }
    if (i == n) {
        pkh_table *out = NULL;
        pkh_error err;
        const pkh_status st =
            pkh_table_select(((pkhpy_table *)self)->table, names, (int64_t)n, &out, &err);
        result = st == PKH_OK ? pkhpy_table_wrap(out) : pkhpy_raise(st, &err);
    }
    PyMem_Free(names);
    Py_DECREF(seq);
    return result;
}

static PyObject *table_summarize(PyObject *self, PyObject *args)
{
    PyObject *index;
    int threads = 0;
    if (!PyArg_ParseTuple(args, "Oi", &index, &threads)) {
        return NULL;
    }
    const pkh_column *col = column_arg(self, index);
    if (col == NULL) {
        return NULL;
    }
    pkh_column_summary s;
    pkh_error err;
    pkh_status st;
    Py_BEGIN_ALLOW_THREADS
    st = pkh_column_summarize(col, threads, &s, &err);
    Py_END_ALLOW_THREADS
    if (st != PKH_OK) {
        return pkhpy_raise(st, &err);
    }
    return Py_BuildValue("(LLddddL)", (long long)s.count, (long long)s.missing, s.min, s.max,
                         s.mean, s.sum, (long long)s.distinct);
}

/* ---- the Arrow PyCapsule interface ---- */

/* Release a struct (unless a consumer moved it out, leaving release NULL) and free it. */
static void free_schema(void *p)
{
    struct ArrowSchema *s = p;
    if (s->release != NULL) {
        s->release(s);
    }
    PyMem_RawFree(s);
}

static void free_array(void *p)
{
    struct ArrowArray *a = p;
    if (a->release != NULL) {
        a->release(a);
    }
    PyMem_RawFree(a);
}

static void free_stream(void *p)
{
    struct ArrowArrayStream *s = p;
    if (s->release != NULL) {
        s->release(s);
    }
    PyMem_RawFree(s);
}

static void capsule_free(PyObject *capsule, void (*free_struct)(void *))
{
    /* by the capsule's current name, in case a consumer renamed it */
    void *p = PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
    if (p == NULL) {
        PyErr_WriteUnraisable(capsule);
        return;
    }
    free_struct(p);
}

static void schema_capsule_free(PyObject *capsule)
{
    capsule_free(capsule, free_schema);
}

static void array_capsule_free(PyObject *capsule)
{
    capsule_free(capsule, free_array);
}

static void stream_capsule_free(PyObject *capsule)
{
    capsule_free(capsule, free_stream);
}

/* Hand a filled struct to a new capsule; if that fails, release and free it here. */
static PyObject *capsule_or_free(void *p, const char *name, PyCapsule_Destructor destroy,
                                 void (*free_struct)(void *))
{
    PyObject *capsule = PyCapsule_New(p, name, destroy);
    if (capsule == NULL) {
        free_struct(p);
    }
    return capsule;
}

static PyObject *make_schema_capsule(const pkh_table *t)
{
    struct ArrowSchema *s = PyMem_RawCalloc(1, sizeof *s);
    if (s == NULL) {
        return PyErr_NoMemory();
    }
    pkh_error err;
    const pkh_status st = pkhpy_arrow_export_schema(t, s, &err);
    if (st != PKH_OK) {
        PyMem_RawFree(s);
        return pkhpy_raise(st, &err);
    }
    return capsule_or_free(s, "arrow_schema", schema_capsule_free, free_schema);
}

static PyObject *table_arrow_schema(PyObject *self, PyObject *unused)
{
    (void)unused;
    return make_schema_capsule(((pkhpy_table *)self)->table);
}

/* `requested_schema` is accepted and ignored: the protocol makes a cast best-effort, and the
 * table has one natural Arrow type. */
static PyObject *table_arrow_array(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"requested_schema", NULL};
    PyObject *requested = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O", keywords, &requested)) {
        return NULL;
    }
    const pkh_table *t = ((pkhpy_table *)self)->table;
    PyObject *schema = make_schema_capsule(t);
    if (schema == NULL) {
        return NULL;
    }
    struct ArrowArray *a = PyMem_RawCalloc(1, sizeof *a);
    if (a == NULL) {
        Py_DECREF(schema);
        return PyErr_NoMemory();
    }
    pkh_error err;
    const pkh_status st = pkhpy_arrow_export_array(t, a, &err);
    if (st != PKH_OK) {
        PyMem_RawFree(a);
        Py_DECREF(schema);
        return pkhpy_raise(st, &err);
    }
    PyObject *array = capsule_or_free(a, "arrow_array", array_capsule_free, free_array);
    if (array == NULL) {
        Py_DECREF(schema);
        return NULL;
    }
    PyObject *pair = PyTuple_Pack(2, schema, array);
    Py_DECREF(schema);
    Py_DECREF(array);
    return pair;
}

static PyObject *table_arrow_stream(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"requested_schema", NULL};
    PyObject *requested = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O", keywords, &requested)) {
        return NULL;
    }
    struct ArrowArrayStream *s = PyMem_RawCalloc(1, sizeof *s);
    if (s == NULL) {
        return PyErr_NoMemory();
    }
    pkh_error err;
    const pkh_status st = pkhpy_arrow_export_stream(((pkhpy_table *)self)->table, s, &err);
    if (st != PKH_OK) {
        PyMem_RawFree(s);
        return pkhpy_raise(st, &err);
    }
    return capsule_or_free(s, "arrow_array_stream", stream_capsule_free, free_stream);
}

static PyMethodDef table_methods[] = {
    {"column_info", table_column_info, METH_O,
     "column_info(i) -> (name, type code, null count, dictionary size)"},
    {"index", table_index, METH_O, "index(name) -> position; pkh.Error if there is none"},
    {"buffer", table_buffer, METH_VARARGS,
     "buffer(i, which) -> _Buffer or None; which: 0 validity, 1 values, 2 dictionary offsets, "
     "3 dictionary bytes"},
    {"dictionary", table_dictionary, METH_O, "dictionary(i) -> list of str"},
    {"select", table_select, METH_O, "select(names) -> _Table sharing the columns"},
    {"summarize", table_summarize, METH_VARARGS,
     "summarize(i, threads) -> (count, missing, min, max, mean, sum, distinct)"},
    {"__arrow_c_schema__", table_arrow_schema, METH_NOARGS,
     "Arrow PyCapsule interface: the table's type as an 'arrow_schema' capsule (a struct)."},
    {"__arrow_c_array__", (PyCFunction)(void (*)(void))table_arrow_array,
     METH_VARARGS | METH_KEYWORDS,
     "Arrow PyCapsule interface: ('arrow_schema', 'arrow_array') capsules of one struct array."},
    {"__arrow_c_stream__", (PyCFunction)(void (*)(void))table_arrow_stream,
     METH_VARARGS | METH_KEYWORDS,
     "Arrow PyCapsule interface: an 'arrow_array_stream' capsule yielding one batch."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef table_getset[] = {
    {"num_rows", table_num_rows, NULL, "number of rows", NULL},
    {"num_columns", table_num_columns, NULL, "number of columns", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pkhpy_table_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pkh._pkh._Table",
    .tp_basicsize = sizeof(pkhpy_table),
    .tp_dealloc = table_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Handle of one immutable pkh table (use pkh.Table).",
    .tp_methods = table_methods,
    .tp_getset = table_getset,
};
