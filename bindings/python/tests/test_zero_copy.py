# SPDX-License-Identifier: GPL-3.0-or-later
"""Numeric columns are the table's memory (no copy), read-only, and outlive the Table object."""
import gc
import weakref

import numpy as np
import pytest

import pkh


@pytest.fixture
def table(sample):
    return pkh.read_csv(sample)


def test_two_views_share_memory(table):
    a, b = table.column("weight"), table.column("weight")
    assert a is not b
    assert np.shares_memory(a, b)
    assert a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    assert a.ctypes.data % 64 == 0  # the library's 64-byte alignment
    assert np.shares_memory(table.column("hhid"), table.column("hhid"))
    assert np.shares_memory(table.codes("province"), table.codes("province"))
    assert not np.shares_memory(table.column("weight"), table.column("pcexp"))


def test_views_are_read_only(table):
    a = table.column("pcexp")
    assert not a.flags.writeable and not a.flags.owndata
    with pytest.raises(ValueError):
        a[0] = 1.0
    with pytest.raises(ValueError):
        a.flags.writeable = True


def test_base_chain_reaches_the_table(table):
    a = table.column("hhid")
    buf = a.base
    assert type(buf).__name__ == "_Buffer"
    assert buf.owner is table._t
    assert buf.address == a.ctypes.data and buf.nbytes == a.nbytes
    with memoryview(buf) as m:
        assert m.readonly and m.nbytes == a.nbytes


def test_view_outlives_the_table(sample):
    t = pkh.read_csv(sample)
    alive = weakref.ref(t)
    x, ids, codes = t.column("pcexp"), t.column("hhid"), t.codes("province")
    df = t.to_pandas()
    want_x, want_ids, want_codes = x.copy(), ids.copy(), codes.copy()
    address = x.ctypes.data
    del t
    gc.collect()
    assert alive() is None  # the Table object is gone ...
    junk = [np.full(len(want_x), -1.0) for _ in range(50)]  # reuse freed memory, if any
    assert x.ctypes.data == address  # ... its memory is not
    assert np.array_equal(x, want_x) and np.array_equal(ids, want_ids)
    assert np.array_equal(codes, want_codes)
    assert np.array_equal(df["pcexp"].to_numpy(), want_x)
    del junk


def test_to_pandas_does_not_copy_numbers(table):
    df = table.to_pandas()
    numbers = [n for n, kind in table.dtypes.items() if kind in ("int64", "float64")]
    assert len(numbers) >= 2
    for name in numbers:
        assert np.shares_memory(df[name].to_numpy(), table.column(name)), name
    assert not df["weight"].to_numpy().flags.writeable
    copied = table.to_pandas(copy=True)
    for name in ("hhid", "weight"):
        assert not np.shares_memory(copied[name].to_numpy(), table.column(name))
    copied.loc[0, "weight"] = -1.0  # writable
    assert table.column("weight")[0] != -1.0


def test_int_with_missing_shares_values():
    t = pkh.read_csv(b"i,f\n1,1.5\n,\n3,2.5\n")
    df = t.to_pandas()
    assert str(df["i"].dtype) == "Int64"
    assert np.shares_memory(df["i"].array._data, t.column("i", na="raw"))
    # float64 with missing values becomes a copy with NaN
    assert not np.shares_memory(df["f"].to_numpy(), t.column("f", na="raw"))


def test_masked_arrays_share_data():
    t = pkh.read_csv(b"x,y\n1,a\n,b\n3,c\n")
    m = t.column("x")
    assert isinstance(m, np.ma.MaskedArray)
    assert np.shares_memory(m.data, t.column("x", na="raw"))
    assert m.sum() == 4
