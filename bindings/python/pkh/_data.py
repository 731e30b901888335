# SPDX-License-Identifier: GPL-3.0-or-later
"""Python data -> pkh.Table: what every function taking ``data`` goes through.

``as_table(data, columns)`` accepts a :class:`pkh.Table` (used as is, no copy), a pandas
DataFrame, a mapping of column name to 1-d array, or a path to a CSV file (read with
:func:`pkh.read_csv`, only the columns needed).

No copy: int64 and float64 arrays (numpy, pandas columns, the values of pandas' nullable
``Int64``/``Float64`` and of masked arrays) that are contiguous, native-endian and 8-byte
aligned are *borrowed*: the table reads their memory in place (the library's
``pkh_table_builder_add_external``) and keeps a reference to them until the last table using
them is freed. Other dtypes, strided and non-native arrays are copied (converted), as are
string and bool columns (the table stores dictionary codes and bits).

Missing values: masked entries and pandas' NA are missing. NaN in a float column is a missing
value of the table (as the CSV reader reads "NaN"), so a DataFrame that came from
:meth:`Table.to_pandas` gives back the same table: for a borrowed column the missing rows are
found with one read of the values (a bitmap is made only when there is a NaN; the values stay
borrowed). With ``nan_missing=False`` (what pkh.indicators, pkh.targeting, pkh.simulate and
pkh.pmt use) that read is skipped and NaN stays a value in the table: the library reads a NaN
as a missing value wherever a number may be missing (incomes, lines, group keys, strata and
PSUs, scores, covariates, counts, expressions), and refuses it, as an invalid number, where
one is required (a weight, a household size, an fpc). The numbers are the same either way.
"""

import os
from collections.abc import Mapping

import numpy as np

from . import _pkh
from ._table import Table

__all__ = ["as_table", "from_arrays", "from_pandas"]


def _pack(valid):
    """bool per row -> Arrow validity bitmap, or None when every row is valid."""
    if valid is None or valid.all():
        return None
    return np.packbits(valid, bitorder="little")


def _strings_spec(name, values, missing):
    """Object or str values -> (codes int32, dictionary) in order of first appearance."""
    try:
        import pandas as pd

        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = codes.astype(np.int32)
        cats = [str(u) for u in uniques]
    except ImportError:
        present = [v is not None and v == v for v in values]
        keys = np.array([str(v) if p else "" for v, p in zip(values, present)], dtype=object)
        uniques, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes = rank[codes].astype(np.int32)
        cats = [str(u) for u in uniques[order]]
        codes[~np.asarray(present, dtype=bool)] = -1
    if len(set(cats)) != len(cats):
        raise ValueError(f"column \"{name}\": distinct values with the same text")
    valid = codes >= 0
    if missing is not None:
        valid &= ~missing
    codes = np.where(valid, codes, np.int32(0)).astype(np.int32)
    return (name, _pkh.TYPE_DICT, codes, _pack(valid), tuple(cats))


def _categorical_spec(name, cat):
    codes = np.asarray(cat.codes).astype(np.int32)
    cats = [str(c) for c in cat.categories]
    valid = codes >= 0
    codes = np.where(valid, codes, np.int32(0)).astype(np.int32)
    if len(set(cats)) != len(cats):
        raise ValueError(f"column \"{name}\": categories with the same text")
    return (name, _pkh.TYPE_DICT, codes, _pack(valid), tuple(cats))


def _borrowable(values, dtype):
    """Can the table read `values` in place: 1-d, this dtype, native order, contiguous and
    8-byte aligned?"""
    return (values.dtype == dtype and values.dtype.isnative and values.flags.c_contiguous
            and values.ctypes.data % 8 == 0)


def _numpy_spec(name, values, missing=None, copy=False, nan_missing=True):
    if isinstance(values, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(values)
        missing = mask if missing is None else missing | mask
        values = values.data
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"column \"{name}\": arrays must be 1-d (got {values.ndim}-d)")
    kind = values.dtype.kind
    if kind in "fiu" and not copy:
        target = np.float64 if kind == "f" else np.int64
        if _borrowable(values, target):
            # borrowed (no copy); 1: NaN rows made missing (a bitmap made in C), 2: kept
            return (name, _pkh.TYPE_FLOAT64 if kind == "f" else _pkh.TYPE_INT64, values,
                    _pack(None if missing is None else ~missing), None, 1 if nan_missing else 2)
    if kind == "f":
        values = np.ascontiguousarray(values, dtype=np.float64)
        if nan_missing:
            nan = np.isnan(values)
            missing = nan if missing is None else missing | nan
        return (name, _pkh.TYPE_FLOAT64, values, _pack(None if missing is None else ~missing),
                None)
    if kind in "iu":
        if kind == "u" and values.dtype.itemsize == 8 and values.size and \
                values.max() > np.uint64(np.iinfo(np.int64).max):  # not a float comparison
            raise OverflowError(f"column \"{name}\": values beyond the int64 range")
        values = np.ascontiguousarray(values, dtype=np.int64)
        return (name, _pkh.TYPE_INT64, values, _pack(None if missing is None else ~missing),
                None)
    if kind == "b":
        values = np.ascontiguousarray(values, dtype=np.bool_).view(np.uint8)
        return (name, _pkh.TYPE_BOOL, values, _pack(None if missing is None else ~missing), None)
    if kind in "OUS":
        if kind == "S":
            values = np.char.decode(values, "utf-8")
        return _strings_spec(name, values.astype(object), missing)
    raise TypeError(f"column \"{name}\": unsupported dtype {values.dtype} (numbers, bools "
                    "and strings are)")


def _series_spec(name, series, pd, copy=False, nan_missing=True):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_spec(name, series.array)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iuf":
        data = getattr(series.array, "_data", None)  # pandas' masked arrays: values and mask
        mask = getattr(series.array, "_mask", None)
        if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and not copy:
            return _numpy_spec(name, data, np.asarray(mask, dtype=bool),
                               nan_missing=nan_missing)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb":
        missing = np.asarray(series.isna(), dtype=bool)
        target = {"i": np.int64, "u": np.int64, "f": np.float64, "b": np.bool_}[dtype.kind]
        fill = False if dtype.kind == "b" else 0
        return _numpy_spec(name, series.to_numpy(dtype=target, na_value=fill), missing)
    if isinstance(dtype, pd.StringDtype):
        return _strings_spec(name, series.to_numpy(dtype=object, na_value=None), None)
    return _numpy_spec(name, series.to_numpy(), copy=copy, nan_missing=nan_missing)


def _spec(name, values, copy=False, nan_missing=True):
    if not isinstance(name, str):
        raise TypeError(f"column names must be str (got {name!r})")
    module = type(values).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(values, pd.Categorical):
            return _categorical_spec(name, values)
        return _series_spec(name, pd.Series(values, copy=False), pd, copy, nan_missing)
    return _numpy_spec(name, values, copy=copy, nan_missing=nan_missing)


def from_arrays(arrays, copy=False, nan_missing=True):
    """A Table from a mapping of name -> 1-d array (see :meth:`pkh.Table.from_arrays`)."""
    if not isinstance(arrays, Mapping):
        raise TypeError(f"expected a mapping of column name to array (got "
                        f"{type(arrays).__name__})")
    specs = [_spec(name, values, copy, nan_missing) for name, values in arrays.items()]
    return Table._wrap(_pkh.from_columns(specs))


def from_pandas(df, copy=False, columns=None, nan_missing=True):
    """A Table from a pandas DataFrame (see :meth:`pkh.Table.from_arrays`); `columns`: only
    these, in this order (each taken as a Series: ``df[list]`` would copy the data)."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (got {type(df).__name__})")
    names = list(df.columns) if columns is None else columns
    if columns is None and not df.columns.is_unique:
        raise ValueError("the DataFrame has repeated column names")
    specs = []
    for name in names:
        series = df[name]
        if isinstance(series, pd.DataFrame):
            raise ValueError(f"the DataFrame has more than one column named {name!r}")
        specs.append(_series_spec(str(name), series, pd, copy, nan_missing))
    return Table._wrap(_pkh.from_columns(specs))


def _is_dataframe(data):
    return type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame"


def _check_names(names, have):
    """pkh.Error naming the first absent column, with the library's message for a table."""
    from ._errors import Error, Status

    for name in names:
        if name not in have:
            try:  # an empty table of these names: the library words the message
                _pkh.from_columns([(h, _pkh.TYPE_INT64, b"", None, None) for h in have])\
                    .index(name)
            except Error as e:
                if e.code == Status.ENOTFOUND:
                    raise
            raise Error(f"no column named \"{name}\" (the columns are: {', '.join(have)})",
                        Status.ENOTFOUND)


def as_table(data, columns=None, *, copy=False, nan_missing=True, **read_options):
    """``data`` as a Table, with only ``columns`` (in that order) when given.

    ``data``: a pkh.Table (selected without copying), a pandas DataFrame, a mapping of name to
    array, or a CSV path read with ``read_options`` (see :func:`pkh.read_csv`). int64 and
    float64 arrays are borrowed, not copied, unless ``copy``; float NaN is a missing value of
    the table, or with ``nan_missing=False`` stays a value, which saves reading every borrowed
    float column once (the library reads NaN as missing where a number may be missing).
    """
    names = None if columns is None else [columns] if isinstance(columns, str) \
        else list(columns)
    if isinstance(data, Table):
        return data if names is None else data.select(names)
    if isinstance(data, (str, os.PathLike)):
        from ._io import read_csv

        return read_csv(data, columns=names, **read_options)
    if read_options:
        raise TypeError(f"reading options ({', '.join(read_options)}) apply to CSV paths only")
    if names is not None and (_is_dataframe(data) or isinstance(data, Mapping)):
        _check_names(names, [str(k) for k in (data.columns if _is_dataframe(data) else data)])
    if _is_dataframe(data):
        table = from_pandas(data, copy, names, nan_missing)
    elif isinstance(data, Mapping):
        table = from_arrays(data if names is None else {n: data[n] for n in names}, copy,
                            nan_missing)
    else:
        raise TypeError("data must be a pkh.Table, a pandas DataFrame, a mapping of column "
                        f"name to array, or a CSV path (got {type(data).__name__})")
    return table
