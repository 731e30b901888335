# SPDX-License-Identifier: GPL-3.0-or-later
"""to_pandas types and missing values; pandas, numpy and dict data into Tables."""
import numpy as np
import pandas as pd
import pytest

import pkh

MESSY = (b"i,f,b,s,n\n"
         b"1,1.5,true,Aceh,7\n"
         b",,,,8\n"
         b"3,NA,false,Bali,9\n"
         b"-4,-0.25,true,Aceh,10\n")


def test_types_without_missing(sample):
    t = pkh.read_csv(sample)
    df = t.to_pandas()
    want_types = {"int64": "int64", "float64": "float64", "string": "category"}
    assert [str(d) for d in df.dtypes] == [want_types[k] for k in t.dtypes.values()]
    assert isinstance(df.index, pd.RangeIndex) and len(df) == len(t)
    assert df["province"].cat.categories[0] == t.column("province")[0]  # first appearance
    assert not df["province"].cat.ordered
    want = pd.read_csv(sample)  # pandas' own reader agrees on every value
    for name in want.columns:
        if name == "province":
            assert df[name].astype(str).tolist() == want[name].tolist()
        else:
            assert df[name].tolist() == want[name].tolist(), name


def test_types_with_missing():
    df = pkh.read_csv(MESSY).to_pandas()
    assert [str(t) for t in df.dtypes] == ["Int64", "float64", "boolean", "category", "int64"]
    assert df["i"].tolist()[0] == 1 and df["i"].isna().tolist() == [False, True, False, False]
    assert df["i"].sum() == 0  # NA skipped; exact integers
    assert np.isnan(df["f"][1]) and np.isnan(df["f"][2]) and df["f"][3] == -0.25
    assert df["b"].isna().tolist() == [False, True, False, False]
    assert df["b"].tolist()[0] is True or df["b"][0] == True  # noqa: E712
    assert df["s"].isna().tolist() == [False, True, False, False]
    assert df["s"].cat.codes.tolist() == [0, -1, 1, 0]
    assert df["n"].tolist() == [7, 8, 9, 10]


def test_strings_as_objects():
    t = pkh.read_csv(MESSY)
    df = t.to_pandas(strings="object")
    assert df["s"].dtype == object and df["s"].tolist() == ["Aceh", None, "Bali", "Aceh"]
    assert str(df["i"].dtype) == "Int64"
    with pytest.raises(ValueError):
        t.to_pandas(strings="bytes")


def test_columns_argument():
    t = pkh.read_csv(MESSY)
    assert list(t.to_pandas(["n", "i"]).columns) == ["n", "i"]
    assert list(t.to_pandas("s").columns) == ["s"]
    with pytest.raises(pkh.Error):
        t.to_pandas(["zz"])


def test_round_trip_through_pandas():
    t = pkh.read_csv(MESSY)
    df = t.to_pandas()
    back = pkh.Table.from_pandas(df)
    assert back.dtypes == t.dtypes
    assert [back.null_count(c) for c in back.columns] == [t.null_count(c) for c in t.columns]
    pd.testing.assert_frame_equal(back.to_pandas(), df)


def test_from_arrays_conversions():
    arrays = {
        "f32": np.array([1.5, np.nan, 3.0], dtype=np.float32),
        "u8": np.array([1, 2, 255], dtype=np.uint8),
        "masked": np.ma.MaskedArray([1, 2, 3], mask=[False, True, False]),
        "flag": np.array([True, False, True]),
        "obj": np.array(["x", None, "y"], dtype=object),
        "ustr": np.array(["a", "b", "a"]),
        "bytes": np.array([b"p", b"q", b"p"]),
        "cat": pd.Categorical(["u", None, "v"]),
        "nint": pd.array([1, None, 3], dtype="Int64"),
        "nbool": pd.array([True, None, False], dtype="boolean"),
        "series": pd.Series([10.0, 20.0, 30.0]),
        "strided": np.arange(6, dtype=np.int64)[::2],
    }
    t = pkh.Table.from_arrays(arrays)
    assert t.dtypes == {"f32": "float64", "u8": "int64", "masked": "int64", "flag": "bool",
                        "obj": "string", "ustr": "string", "bytes": "string", "cat": "string",
                        "nint": "int64", "nbool": "bool", "series": "float64",
                        "strided": "int64"}
    assert t.column("f32").tolist() == [1.5, None, 3.0]
    assert t.column("u8").tolist() == [1, 2, 255]
    assert t.column("masked").tolist() == [1, None, 3]
    assert t.column("obj").tolist() == ["x", None, "y"]
    assert t.categories("ustr") == ["a", "b"] and t.column("bytes").tolist() == ["p", "q", "p"]
    assert t.column("cat").tolist() == ["u", None, "v"]
    assert t.column("nint").tolist() == [1, None, 3]
    assert t.column("nbool").tolist() == [True, None, False]
    assert t.column("strided").tolist() == [0, 2, 4]
    assert t.info is None


def test_bad_data():
    with pytest.raises(pkh.Error) as e:
        pkh.Table.from_arrays({"a": np.arange(3), "b": np.arange(4)})
    assert e.value.code == pkh.Status.EINVAL
    with pytest.raises(ValueError):
        pkh.Table.from_arrays({"a": np.zeros((2, 2))})
    with pytest.raises(TypeError):
        pkh.Table.from_arrays({"a": np.array(["2020-01-01"], dtype="datetime64[D]")})
    with pytest.raises(OverflowError):
        pkh.Table.from_arrays({"a": np.array([2**63], dtype=np.uint64)})
    with pytest.raises(TypeError):
        pkh.Table.from_arrays([1, 2, 3])
    with pytest.raises(TypeError):
        pkh.as_table(42)


def test_as_table_selects_columns(sample):
    t = pkh.read_csv(sample)
    assert pkh.as_table(t) is t
    assert pkh.as_table(t, ["pcexp"]).columns == ["pcexp"]
    assert pkh.as_table(sample, ["pcexp", "hhid"]).columns == ["pcexp", "hhid"]
    df = t.to_pandas()
    assert pkh.as_table(df, "weight").columns == ["weight"]
    with pytest.raises(pkh.Error) as e:
        pkh.as_table(df, ["weight", "nope"])
    assert str(e.value).startswith('no column named "nope" (the columns are: hhid, province')
    with pytest.raises(pkh.Error):
        pkh.as_table({"a": np.arange(2)}, ["b"])
    with pytest.raises(TypeError):
        pkh.as_table(df, delimiter=";")
