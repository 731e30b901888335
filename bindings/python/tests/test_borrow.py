# SPDX-License-Identifier: GPL-3.0-or-later
"""int64 and float64 columns of numpy arrays and DataFrames go into pkh tables without a copy:
the table reads the array's memory, keeps the array alive while any table, numpy view or Arrow
export uses it, and lets go of it (refcount back) when the last one is gone, from any thread."""
import ctypes
import gc
import sys
import threading
import weakref

import numpy as np
import pandas as pd
import pytest

import pkh
from pkh import _pkh

from conftest import SAMPLE


def address(table, name):
    """Where the table's values of column `name` are (the library's own pointer)."""
    return table._t.buffer(table.columns.index(name), 1).address


@pytest.fixture
def live():
    """Borrowed columns not yet released: back to where it was when the test ends."""
    gc.collect()
    before = _pkh._borrowed_live()
    yield lambda: _pkh._borrowed_live() - before
    gc.collect()
    assert _pkh._borrowed_live() == before


def test_dataframe_columns_are_borrowed(live):
    df = pd.DataFrame({"x": np.linspace(0, 1, 1000), "i": np.arange(1000, dtype=np.int64),
                       "s": ["a", "b"] * 500, "f32": np.ones(1000, dtype=np.float32)})
    t = pkh.Table.from_pandas(df)
    assert address(t, "x") == df["x"].to_numpy().ctypes.data
    assert address(t, "i") == df["i"].to_numpy().ctypes.data
    assert address(t, "f32") != df["f32"].to_numpy().ctypes.data  # converted to float64
    assert live() == 2
    assert np.shares_memory(t.column("x"), df["x"].to_numpy())
    copied = pkh.Table.from_pandas(df, copy=True)
    assert address(copied, "x") != df["x"].to_numpy().ctypes.data
    assert live() == 2
    del t, copied
    assert live() == 0


def test_the_array_lives_as_long_as_a_table_uses_it(live):
    x = np.arange(100, dtype=np.float64) * 1.5
    base = sys.getrefcount(x)
    t = pkh.Table.from_arrays({"x": x})
    assert sys.getrefcount(x) == base + 1  # the table's reference
    sub = t.select(["x"])  # shares the column, not another reference
    view = t.column("x")
    del t
    gc.collect()
    assert sys.getrefcount(x) == base + 1
    del sub
    gc.collect()
    assert sys.getrefcount(x) == base + 1  # the view's table memory is the array
    assert view.ctypes.data == x.ctypes.data and view[3] == 4.5
    del view
    gc.collect()
    assert sys.getrefcount(x) == base and live() == 0


def test_views_outlive_the_dataframe_and_the_table(live):
    df = pd.DataFrame({"x": np.arange(10.0)})
    t = pkh.Table.from_pandas(df)
    view = t.column("x")
    want = view.copy()
    del df, t
    gc.collect()
    junk = [np.full(10, -1.0) for _ in range(100)]  # reuse any freed memory
    assert np.array_equal(view, want) and live() == 1
    del junk, view


def test_nan_is_missing_and_values_stay_borrowed(live):
    x = np.array([1.0, np.nan, 3.0, np.nan])
    t = pkh.Table.from_arrays({"x": x})
    assert address(t, "x") == x.ctypes.data
    assert t.null_count("x") == 2
    assert t.column("x").mask.tolist() == [False, True, False, True]
    d = pkh.describe(t)
    assert d["missing"][0] == 2 and d["mean"][0] == 2.0


def test_pandas_nullable_and_masked_values_are_borrowed(live):
    s = pd.array([1, None, 3], dtype="Int64")
    t = pkh.Table.from_arrays({"n": s})
    assert address(t, "n") == s._data.ctypes.data and t.null_count("n") == 1
    m = np.ma.MaskedArray(np.arange(4, dtype=np.int64), mask=[0, 1, 0, 0])
    t2 = pkh.Table.from_arrays({"m": m})
    assert address(t2, "m") == m.data.ctypes.data and t2.column("m").tolist() == [0, None, 2, 3]


def test_what_cannot_be_borrowed_is_converted(live):
    raw = bytearray(8 * 11)
    unaligned = np.ndarray((10,), dtype=np.float64, buffer=memoryview(raw)[1:81])
    assert not unaligned.flags.aligned
    arrays = {"strided": np.arange(20, dtype=np.int64)[::2],
              "big_endian": np.arange(5, dtype=">f8"),
              "unaligned": unaligned,
              "two_d_column": np.arange(20.0).reshape(10, 2)[:, 1]}
    t = pkh.Table.from_arrays({k: v for k, v in arrays.items() if k != "big_endian"})
    assert live() == 0
    assert t.column("strided").tolist() == list(range(0, 20, 2))
    assert t.column("two_d_column").tolist() == list(np.arange(1.0, 20.0, 2))
    assert pkh.Table.from_arrays({"b": arrays["big_endian"]}).column("b").tolist() == \
        [0.0, 1.0, 2.0, 3.0, 4.0]


def test_failure_releases_what_was_borrowed(live):
    x = np.arange(3.0)
    base = sys.getrefcount(x)
    with pytest.raises(pkh.Error):
        pkh.Table.from_arrays({"x": x, "y": np.arange(4.0)})  # different lengths
    assert sys.getrefcount(x) == base and live() == 0


def test_indicators_reads_the_dataframe_in_place(live, monkeypatch):
    df = pkh.read_csv(SAMPLE).to_pandas(copy=True)  # the DataFrame's own memory
    seen = {}
    real = _pkh.indicators

    def spy(handle, *args, **kwargs):
        t = pkh.Table._wrap(handle)
        seen.update({n: address(t, n) for n in ("pcexp", "weight", "hhsize", "povline")})
        seen["live"] = live()
        return real(handle, *args, **kwargs)

    monkeypatch.setattr(_pkh, "indicators", spy)
    refs = {n: sys.getrefcount(df[n].to_numpy().base) for n in ("pcexp", "weight")}
    pkh.indicators(df, income="pcexp", weight="weight", size="hhsize", line="povline",
                   by="province")
    for name in ("pcexp", "weight", "hhsize", "povline"):
        assert seen[name] == df[name].to_numpy().ctypes.data, name
    assert seen["live"] == 4  # the four number columns borrowed, province converted
    gc.collect()
    assert live() == 0  # all let go after the call
    assert {n: sys.getrefcount(df[n].to_numpy().base) for n in refs} == refs


# ---- the Arrow export of borrowed columns, released without the GIL ----

def _stream_release(capsule):
    """The address of the stream struct and its release callback, through the C API."""
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    ptr = get(capsule, b"arrow_array_stream")
    # struct ArrowArrayStream { get_schema, get_next, get_last_error, release, private_data }
    fn = ctypes.c_void_p.from_address(ptr + 3 * ctypes.sizeof(ctypes.c_void_p)).value
    return ptr, fn


def test_arrow_stream_keeps_the_array_and_releases_it_without_the_gil(live):
    x = np.arange(50, dtype=np.float64)
    alive = weakref.ref(x)
    t = pkh.Table.from_arrays({"x": x})
    capsule = t.__arrow_c_stream__()
    del t, x
    gc.collect()
    assert alive() is not None and live() == 1  # the stream holds the column
    ptr, fn = _stream_release(capsule)
    release = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(fn)  # ctypes drops the GIL for the call
    worker = threading.Thread(target=release, args=(ptr,))
    worker.start()
    worker.join()
    gc.collect()
    assert alive() is None and live() == 0  # released once, on that thread
    assert ctypes.c_void_p.from_address(ptr + 3 * ctypes.sizeof(ctypes.c_void_p)).value is None
    del capsule  # the capsule sees a released stream: nothing more to do


def test_released_from_a_thread_python_does_not_know(live):
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "pthread_create"):
        pytest.skip("no pthread_create")
    x = np.arange(8, dtype=np.int64)
    alive = weakref.ref(x)
    t = pkh.Table.from_arrays({"x": x})
    capsule = t.__arrow_c_stream__()
    del t, x
    ptr, fn = _stream_release(capsule)
    tid = ctypes.c_ulong()
    # release(stream) as the thread's start routine: the callback takes the GIL with
    # PyGILState_Ensure on a thread that has no Python state yet
    assert libc.pthread_create(ctypes.byref(tid), None, ctypes.c_void_p(fn),
                               ctypes.c_void_p(ptr)) == 0
    assert libc.pthread_join(tid, None) == 0  # ctypes released the GIL meanwhile
    gc.collect()
    assert alive() is None and live() == 0
    del capsule
