# SPDX-License-Identifier: GPL-3.0-or-later
"""The Arrow PyCapsule interface, walked with ctypes through the C data interface structs (as
pyarrow, polars or DuckDB would, none of which is installed here): capsule names, formats,
buffers that are the table's own memory, dictionaries, validity, the stream protocol, release
semantics and lifetimes."""
import ctypes as C
import gc

import numpy as np
import pytest

import pkh


class ArrowSchema(C.Structure):
    pass


ArrowSchema._fields_ = [
    ("format", C.c_char_p), ("name", C.c_char_p), ("metadata", C.c_char_p),
    ("flags", C.c_int64), ("n_children", C.c_int64),
    ("children", C.POINTER(C.POINTER(ArrowSchema))), ("dictionary", C.POINTER(ArrowSchema)),
    ("release", C.c_void_p), ("private_data", C.c_void_p)]


class ArrowArray(C.Structure):
    pass


ArrowArray._fields_ = [
    ("length", C.c_int64), ("null_count", C.c_int64), ("offset", C.c_int64),
    ("n_buffers", C.c_int64), ("n_children", C.c_int64), ("buffers", C.POINTER(C.c_void_p)),
    ("children", C.POINTER(C.POINTER(ArrowArray))), ("dictionary", C.POINTER(ArrowArray)),
    ("release", C.c_void_p), ("private_data", C.c_void_p)]


class ArrowArrayStream(C.Structure):
    _fields_ = [("get_schema", C.c_void_p), ("get_next", C.c_void_p),
                ("get_last_error", C.c_void_p), ("release", C.c_void_p),
                ("private_data", C.c_void_p)]


GET_SCHEMA = C.CFUNCTYPE(C.c_int, C.POINTER(ArrowArrayStream), C.POINTER(ArrowSchema))
GET_NEXT = C.CFUNCTYPE(C.c_int, C.POINTER(ArrowArrayStream), C.POINTER(ArrowArray))
GET_LAST_ERROR = C.CFUNCTYPE(C.c_char_p, C.POINTER(ArrowArrayStream))
RELEASE_STREAM = C.CFUNCTYPE(None, C.POINTER(ArrowArrayStream))
RELEASE_SCHEMA = C.CFUNCTYPE(None, C.POINTER(ArrowSchema))
RELEASE_ARRAY = C.CFUNCTYPE(None, C.POINTER(ArrowArray))

_get_pointer = C.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = C.c_void_p
_get_pointer.argtypes = [C.py_object, C.c_char_p]
_is_valid = C.pythonapi.PyCapsule_IsValid
_is_valid.restype = C.c_int
_is_valid.argtypes = [C.py_object, C.c_char_p]


def struct_in(capsule, name, cls):
    assert _is_valid(capsule, name.encode()) == 1
    return cls.from_address(_get_pointer(capsule, name.encode()))


def release(struct):
    kind = {ArrowSchema: RELEASE_SCHEMA, ArrowArray: RELEASE_ARRAY,
            ArrowArrayStream: RELEASE_STREAM}[type(struct)]
    kind(struct.release)(C.byref(struct))


def values(addr, ctype, n):
    return np.ctypeslib.as_array((ctype * n).from_address(addr)).copy()


def bits(addr, n):
    raw = np.frombuffer((C.c_uint8 * ((n + 7) // 8)).from_address(addr), dtype=np.uint8)
    return np.unpackbits(raw, count=n, bitorder="little").astype(bool)


def get_next(stream):
    out = ArrowArray()
    assert GET_NEXT(stream.get_next)(C.byref(stream), C.byref(out)) == 0
    return out


def get_schema(stream):
    out = ArrowSchema()
    assert GET_SCHEMA(stream.get_schema)(C.byref(stream), C.byref(out)) == 0
    return out


MESSY = (b"hhid,province,urban,pcexp\n"
         b"1,Aceh,true,100.5\n"
         b"2,,false,\n"
         b"3,Bali,,250\n"
         b",Aceh,true,-1e300\n")
FORMATS = {"int64": b"l", "float64": b"g", "bool": b"b", "string": b"i"}


@pytest.fixture(params=["sample", "messy"])
def table(request, sample):
    return pkh.read_csv(sample if request.param == "sample" else MESSY)


def expected(table):
    """Per column: (values or None, validity) as plain numpy, taken through the Table API."""
    out = {}
    for name, kind in table.dtypes.items():
        valid = table.validity(name)
        if kind == "string":
            data = (table.codes(name).copy(), table.categories(name))
        else:
            data = table.column(name, na="raw").copy()
        out[name] = (kind, data, valid, table.null_count(name))
    return out


def check_schema(schema, table):
    assert schema.format == b"+s" and schema.n_children == table.num_columns
    assert not schema.dictionary
    for i, (name, kind) in enumerate(table.dtypes.items()):
        child = schema.children[i].contents
        assert child.name.decode() == name
        assert child.format == FORMATS[kind]
        assert child.flags == 2  # ARROW_FLAG_NULLABLE
        if kind == "string":
            assert child.dictionary.contents.format == b"U"
        else:
            assert not child.dictionary


def check_batch(batch, want, n, addresses=None):
    assert batch.length == n and batch.null_count == 0 and batch.offset == 0
    assert batch.n_buffers == 1 and batch.buffers[0] is None
    assert batch.n_children == len(want)
    for i, (name, (kind, data, valid, nulls)) in enumerate(want.items()):
        col = batch.children[i].contents
        assert (col.length, col.null_count, col.offset, col.n_buffers) == (n, nulls, 0, 2)
        if nulls:
            assert np.array_equal(bits(col.buffers[0], n), valid)
        else:
            assert col.buffers[0] is None
        if addresses is not None:
            assert col.buffers[1] == addresses[name], name  # the table's memory: no copy
        if kind == "int64":
            got = values(col.buffers[1], C.c_int64, n)
        elif kind == "float64":
            got = values(col.buffers[1], C.c_double, n)
        elif kind == "bool":
            got = bits(col.buffers[1], n)
        else:
            got = values(col.buffers[1], C.c_int32, n)
            codes, cats = data
            d = col.dictionary.contents
            assert (d.length, d.null_count, d.n_buffers) == (len(cats), 0, 3)
            offsets = values(d.buffers[1], C.c_int64, len(cats) + 1)
            chars = C.string_at(d.buffers[2], int(offsets[-1])) if offsets[-1] else b""
            strings = [chars[offsets[k]:offsets[k + 1]].decode() for k in range(len(cats))]
            assert strings == cats
            data = codes
        assert np.array_equal(got[valid], np.asarray(data)[valid]), name


def addresses_of(table):
    out = {}
    for name, kind in table.dtypes.items():
        if kind in ("int64", "float64"):
            out[name] = table.column(name, na="raw").ctypes.data
        elif kind == "string":
            out[name] = table.codes(name).ctypes.data
        else:  # bools: the bit-packed values numpy cannot view; the module's buffer can
            out[name] = table._t.buffer(table.columns.index(name), 1).address
    return out


def test_capsule_names(table):
    assert _is_valid(table.__arrow_c_stream__(), b"arrow_array_stream") == 1
    assert _is_valid(table.__arrow_c_schema__(), b"arrow_schema") == 1
    schema, array = table.__arrow_c_array__()
    assert _is_valid(schema, b"arrow_schema") == 1 and _is_valid(array, b"arrow_array") == 1
    # requested_schema is accepted (and ignored: casting is best-effort in the protocol)
    assert _is_valid(table.__arrow_c_stream__(table.__arrow_c_schema__()),
                     b"arrow_array_stream") == 1


def test_stream_walk(table):
    want, n = expected(table), len(table)
    capsule = table.__arrow_c_stream__()
    stream = struct_in(capsule, "arrow_array_stream", ArrowArrayStream)
    schema = get_schema(stream)
    check_schema(schema, table)
    release(schema)
    assert schema.release is None
    batch = get_next(stream)
    addresses = addresses_of(table)
    check_batch(batch, want, n, addresses)
    end = get_next(stream)
    assert end.release is None  # end of stream
    assert GET_LAST_ERROR(stream.get_last_error)(C.byref(stream)) is None
    release(batch)
    assert batch.release is None and batch.private_data is None


def test_stream_and_batch_outlive_the_table(table):
    want, n = expected(table), len(table)
    capsule = table.__arrow_c_stream__()
    del table
    gc.collect()
    stream = struct_in(capsule, "arrow_array_stream", ArrowArrayStream)
    batch = get_next(stream)
    del capsule  # releases the stream; the batch is independent
    gc.collect()
    junk = [np.full(10000, -1.0) for _ in range(50)]
    check_batch(batch, want, n)
    release(batch)
    del junk


def test_release_marks_released_and_the_capsule_does_not_release_twice(table):
    capsule = table.__arrow_c_stream__()
    stream = struct_in(capsule, "arrow_array_stream", ArrowArrayStream)
    release(stream)
    assert stream.release is None and stream.private_data is None
    del capsule  # the destructor sees a released stream and only frees the struct
    gc.collect()


def test_moving_out_of_capsules(table):
    want, n = expected(table), len(table)
    schema_capsule, array_capsule = table.__arrow_c_array__()
    mine = ArrowArray()
    inside = struct_in(array_capsule, "arrow_array", ArrowArray)
    C.memmove(C.byref(mine), C.byref(inside), C.sizeof(ArrowArray))
    inside.release = None  # the spec's move: the capsule's struct is now released
    del array_capsule, inside, table
    gc.collect()
    check_batch(mine, want, n)
    # move one child out too, release the parent first, then the child
    col = ArrowArray()
    C.memmove(C.byref(col), mine.children[0], C.sizeof(ArrowArray))
    mine.children[0].contents.release = None
    release(mine)
    assert col.length == n and col.release is not None
    release(col)
    assert col.release is None
    schema = struct_in(schema_capsule, "arrow_schema", ArrowSchema)
    assert schema.format == b"+s"


def test_empty_table():
    t = pkh.read_csv(b"a,b\n")
    capsule = t.__arrow_c_stream__()  # the capsule owns the struct: keep it
    stream = struct_in(capsule, "arrow_array_stream", ArrowArrayStream)
    batch = get_next(stream)
    assert batch.length == 0 and batch.n_children == 2
    assert batch.children[0].contents.buffers[1] is not None
    release(batch)
