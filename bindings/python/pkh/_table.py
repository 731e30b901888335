# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.Table: a read-only view of a pkh table, as numpy arrays, pandas DataFrames and Arrow."""

import numpy as np

from . import _pkh

__all__ = ["Table"]

_TYPE_NAMES = {
    _pkh.TYPE_INT64: "int64",
    _pkh.TYPE_FLOAT64: "float64",
    _pkh.TYPE_BOOL: "bool",
    _pkh.TYPE_DICT: "string",
}
_NUMPY_TYPES = {_pkh.TYPE_INT64: np.int64, _pkh.TYPE_FLOAT64: np.float64}
_NA_MODES = ("mask", "nan", "raw")


def _unpack_bits(buffer, n):
    """Bit-packed (least significant bit first) -> one numpy bool per row (a copy)."""
    bits = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(bits, count=n, bitorder="little").view(np.bool_)


def _read_only(array):
    array.flags.writeable = False
    return array


class Table:
    """A table of typed columns read by the pkh library: int64, float64, bool or string.

    Tables are immutable and own their memory. Numeric columns come out without copying:
    :meth:`column` and :meth:`to_pandas` give read-only numpy arrays over the table's own
    buffers, and those arrays keep the memory alive after the ``Table`` object is gone. Tables
    also export through the Arrow PyCapsule interface (``__arrow_c_stream__``), so pyarrow,
    polars or DuckDB take them without a copy: ``pyarrow.table(t)``, ``polars.from_arrow(t)``.

    Make one with :func:`pkh.read_csv`, :meth:`Table.from_pandas` or :meth:`Table.from_arrays`.
    """

    __slots__ = ("_t", "_names", "_index", "_info", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError("make a Table with pkh.read_csv(), Table.from_pandas() or "
                        "Table.from_arrays()")

    @classmethod
    def _wrap(cls, handle, info=None):
        self = object.__new__(cls)
        self._t = handle
        self._names = [handle.column_info(i)[0] for i in range(handle.num_columns)]
        self._index = {name: i for i, name in enumerate(self._names)}
        self._info = info
        return self

    # ---- shape and schema ----

    @property
    def columns(self):
        """Column names, in order (a new list)."""
        return list(self._names)

    @property
    def num_rows(self):
        """Number of rows."""
        return self._t.num_rows

    @property
    def num_columns(self):
        """Number of columns."""
        return self._t.num_columns

    @property
    def shape(self):
        """``(num_rows, num_columns)``."""
        return (self._t.num_rows, self._t.num_columns)

    def __len__(self):
        return self._t.num_rows

    @property
    def dtypes(self):
        """``{name: type}`` with types ``"int64"``, ``"float64"``, ``"bool"``, ``"string"``."""
        return {name: _TYPE_NAMES[self._t.column_info(i)[1]] for i, name in enumerate(self._names)}

    @property
    def info(self):
        """What :func:`pkh.read_csv` found (delimiter, gzip, rows, lines, bytes, blank_lines,
        source) as a dict, or ``None`` for a table not read from CSV."""
        return None if self._info is None else dict(self._info)

    def null_count(self, name):
        """Number of missing values in column ``name``."""
        return self._t.column_info(self._position(name))[2]

    def __contains__(self, name):
        return name in self._index

    def __iter__(self):
        return iter(list(self._names))

    def __getitem__(self, name):
        return self.column(name)

    def __repr__(self):
        cols = ", ".join(f"{n}: {t}" for n, t in self.dtypes.items())
        return f"<pkh.Table {self.num_rows} rows x {self.num_columns} columns ({cols})>"

    def _position(self, name):
        i = self._index.get(name)
        if i is None:
            if not isinstance(name, str):
                raise TypeError(f"column names are str, not {type(name).__name__}")
            return self._t.index(name)  # raises pkh.Error listing the columns, as the CLI does
        return i

    # ---- columns as numpy ----

    def validity(self, name):
        """A new bool array, True where column ``name`` holds a value (False where missing)."""
        i = self._position(name)
        bits = self._t.buffer(i, 0)
        if bits is None:
            return _read_only(np.ones(self.num_rows, dtype=np.bool_))
        return _read_only(_unpack_bits(bits, self.num_rows))

    def codes(self, name):
        """The int32 codes of string column ``name`` into :meth:`categories`, without copying
        (read-only; the code under a missing value is unspecified: see :meth:`validity`)."""
        i = self._position(name)
        if self._t.column_info(i)[1] != _pkh.TYPE_DICT:
            raise TypeError(f"column \"{name}\" is {self.dtypes[name]}, not string")
        return np.frombuffer(self._t.buffer(i, 1), dtype=np.int32, count=self.num_rows)

    def categories(self, name):
        """The distinct strings of string column ``name``, in order of first appearance: code
        ``k`` of :meth:`codes` stands for ``categories(name)[k]``. Bytes that are not valid
        UTF-8 are kept as surrogate escapes (as ``os.fsdecode`` does)."""
        i = self._position(name)
        if self._t.column_info(i)[1] != _pkh.TYPE_DICT:
            raise TypeError(f"column \"{name}\" is {self.dtypes[name]}, not string")
        return self._t.dictionary(i)

    def column(self, name, *, na="mask"):
        """Column ``name`` as a numpy array.

        * int64 and float64: a read-only view of the table's memory (no copy). The array's
          ``base`` keeps the table's memory alive, so it stays valid after the ``Table`` is gone.
        * bool: a new read-only ``bool`` array (a copy: the table stores bits, numpy bytes).
        * string: a new ``object`` array of ``str``, ``None`` where missing (each distinct string
          is one Python object shared by its rows). For the codes without a copy use
          :meth:`codes` and :meth:`categories`.

        Missing values of a number or bool column, by ``na``:

        * ``"mask"`` (default): a ``numpy.ma.MaskedArray`` over the same view, masked where
          missing; a plain array when nothing is missing.
        * ``"nan"``: float64 with NaN where missing: a copy when something is missing (int64
          and bool columns with missing values become float64), else the view as with "mask".
        * ``"raw"``: the stored values as they are, whatever lies under a missing value
          (unspecified: the CSV reader stores 0). Never a copy for numbers.
        """
        if na not in _NA_MODES:
            raise ValueError(f"na must be one of {', '.join(_NA_MODES)} (got {na!r})")
        i = self._position(name)
        _, type_code, nulls, _ = self._t.column_info(i)
        n = self.num_rows
        if type_code == _pkh.TYPE_DICT:
            return self._strings(i, nulls)
        if type_code == _pkh.TYPE_BOOL:
            values = _read_only(_unpack_bits(self._t.buffer(i, 1), n))
        else:
            values = np.frombuffer(self._t.buffer(i, 1), dtype=_NUMPY_TYPES[type_code], count=n)
        if nulls == 0 or na == "raw":
            return values
        valid = _unpack_bits(self._t.buffer(i, 0), n)
        if na == "mask":
            return np.ma.MaskedArray(values, mask=~valid, copy=False)
        out = values.astype(np.float64)  # always a copy, writable
        out[~valid] = np.nan
        return _read_only(out)

    def _strings(self, i, nulls):
        n = self.num_rows
        cats = self._t.dictionary(i)
        lookup = np.empty(len(cats) + 1, dtype=object)
        lookup[: len(cats)] = cats
        lookup[len(cats)] = None
        codes = np.frombuffer(self._t.buffer(i, 1), dtype=np.int32, count=n)
        if nulls:
            codes = np.where(_unpack_bits(self._t.buffer(i, 0), n), codes, len(cats))
        return _read_only(lookup[codes])

    # ---- pandas ----

    def to_pandas(self, columns=None, *, copy=False, strings="category"):
        """The table as a pandas DataFrame (a RangeIndex, the columns in order).

        Types: int64 -> ``int64``; float64 -> ``float64``; bool -> ``bool``; string ->
        ``category`` (categories in order of first appearance). Missing values: float64 -> NaN;
        int64 -> pandas' nullable ``Int64`` (values stay exact); bool -> nullable ``boolean``;
        string -> a missing category code (NaN).

        With ``copy=False`` (the default) number columns without missing values are the table's
        memory, not copies: they are read-only (``df.copy()`` or ``copy=True`` gives writable
        columns), and they keep that memory alive as long as the DataFrame lives. int64 columns
        with missing values share their values too (only the mask is new). Bool columns are
        unpacked from bits (a copy), and pandas stores category codes in its own small integer
        type (a copy of 1 to 4 bytes per row).

        Args:
            columns: names of the columns to convert (default: all).
            copy: give every column its own writable memory.
            strings: ``"category"`` (default) or ``"object"`` (Python ``str``, ``None`` where
                missing, as :meth:`column` gives them).
        """
        import pandas as pd

        if strings not in ("category", "object"):
            raise ValueError(f"strings must be 'category' or 'object' (got {strings!r})")

        names = self.columns if columns is None else [columns] if isinstance(columns, str) \
            else list(columns)
        if len(set(names)) != len(names):
            raise ValueError("a column is named twice")
        data = {name: self._pandas_column(name, pd, copy, strings) for name in names}
        # no columns= argument: with it pandas 1.5 routes the arrays through an object Series,
        # which costs 10 ms per million rows of a category column
        return pd.DataFrame(data, index=pd.RangeIndex(self.num_rows), copy=False)

    def _pandas_column(self, name, pd, copy, strings):
        i = self._position(name)
        _, type_code, nulls, _ = self._t.column_info(i)
        n = self.num_rows
        if type_code == _pkh.TYPE_DICT and strings == "object":
            return self._strings(i, nulls).copy()  # writable, as pandas expects
        if type_code == _pkh.TYPE_DICT:
            codes = np.frombuffer(self._t.buffer(i, 1), dtype=np.int32, count=n)
            if nulls:
                codes = np.where(_unpack_bits(self._t.buffer(i, 0), n), codes, np.int32(-1))
            categories = pd.Index(self._t.dictionary(i), dtype=object)
            return pd.Categorical.from_codes(codes, categories=categories)
        if type_code == _pkh.TYPE_BOOL:
            values = _unpack_bits(self._t.buffer(i, 1), n)
            if nulls:
                return pd.arrays.BooleanArray(values, ~_unpack_bits(self._t.buffer(i, 0), n))
            return values
        values = np.frombuffer(self._t.buffer(i, 1), dtype=_NUMPY_TYPES[type_code], count=n)
        if nulls == 0:
            return values.copy() if copy else values
        missing = ~_unpack_bits(self._t.buffer(i, 0), n)
        if type_code == _pkh.TYPE_INT64:
            return pd.arrays.IntegerArray(values.copy() if copy else values, missing)
        out = values.copy()
        out[missing] = np.nan
        return out

    # ---- selection ----

    def select(self, columns):
        """A table of the named columns, in the order given, sharing their memory (no copy)."""
        names = [columns] if isinstance(columns, str) else list(columns)
        for name in names:
            self._position(name)  # the library's message for a missing name
        return Table._wrap(self._t.select(tuple(names)), self._info)

    # ---- Arrow PyCapsule interface ----

    def __arrow_c_schema__(self):
        """The table's Arrow type: a struct with one field per column (an "arrow_schema"
        PyCapsule). int64 -> int64, float64 -> float64 (double), bool -> bool, string ->
        dictionary<int32, large_utf8>; every field nullable."""
        return self._t.__arrow_c_schema__()

    def __arrow_c_array__(self, requested_schema=None):
        """The table as one Arrow struct array: a pair of PyCapsules ("arrow_schema",
        "arrow_array"), sharing the table's memory. ``requested_schema`` is ignored."""
        return self._t.__arrow_c_array__(requested_schema)

    def __arrow_c_stream__(self, requested_schema=None):
        """The table as an Arrow C stream of one record batch (an "arrow_array_stream"
        PyCapsule), sharing the table's memory, which the stream and its arrays keep alive.
        ``requested_schema`` is ignored (the protocol makes casting best-effort)."""
        return self._t.__arrow_c_stream__(requested_schema)

    # ---- from Python data ----

    @classmethod
    def from_pandas(cls, df, *, copy=False):
        """A Table from a pandas DataFrame (see :meth:`from_arrays` for the conversions and
        for what is borrowed rather than copied)."""
        from ._data import from_pandas

        return from_pandas(df, copy)

    @classmethod
    def from_arrays(cls, arrays, *, copy=False):
        """A Table from a mapping of column name to 1-d array (numpy, masked, pandas Series).

        Numbers become int64 or float64, bools bool, strings, objects and categoricals string
        columns. Missing values: NaN in a float array, masked entries, ``None``, and pandas'
        NA.

        No copy: int64 and float64 arrays that are contiguous, native-endian and 8-byte
        aligned (numpy arrays, the columns of most DataFrames, the values of pandas' nullable
        ``Int64`` and ``Float64``) are borrowed: the table reads their memory in place and
        holds a reference to them until the last table (or numpy view, or Arrow export) using
        them is gone. Do not change such an array while a table uses it (the table would see
        the change; its missing values, found from NaN when the table was made, would not
        follow). ``copy=True`` copies everything. Other dtypes (int32, float32, uint64, ...),
        strided arrays, bools and strings are always converted (copied).
        """
        from ._data import from_arrays

        return from_arrays(arrays, copy)
