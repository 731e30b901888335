# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.read_csv: the library's CSV reader."""

import io
import os
from collections.abc import Mapping

from . import _pkh
from ._table import Table

__all__ = ["read_csv"]

_PATH, _MEMORY, _STREAM = 0, 1, 2
_PY_TYPES = {int: "int64", float: "float64", bool: "bool", str: "string"}


def _char(value, what):
    if not isinstance(value, str) or len(value) != 1 or ord(value) > 127:
        raise ValueError(f"{what} must be one ASCII character (got {value!r})")
    return ord(value)


def _delimiter(value):
    if value is None:
        return 0  # detect among , ; tab |
    if value in ("tab", "\\t"):
        return ord("\t")
    return _char(value, "delimiter")


def _strings(value, what):
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be str (got {type(item).__name__})")
    return items


def _type_code(value):
    if isinstance(value, type) and value in _PY_TYPES:
        return _pkh.type_parse(_PY_TYPES[value])
    if isinstance(value, str):
        return _pkh.type_parse(value)
    try:  # numpy dtypes and their names
        import numpy as np

        kind = np.dtype(value).kind
    except TypeError:
        kind = None
    names = {"i": "int64", "u": "int64", "f": "float64", "b": "bool", "U": "string", "O": "string"}
    if kind in names:
        return _pkh.type_parse(names[kind])
    raise TypeError(f"unknown column type {value!r} (int64, float64, bool or string)")


def _types(dtypes):
    if dtypes is None:
        return None
    pairs = dtypes.items() if isinstance(dtypes, Mapping) else dtypes
    out = []
    for name, value in pairs:
        if not isinstance(name, str):
            raise TypeError(f"dtypes keys are column names (got {name!r})")
        out.append((name, _type_code(value)))
    return tuple(out)


class _ReadInto:
    """readinto() over an object that has only read()."""

    def __init__(self, stream):
        self._stream = stream

    def readinto(self, buffer):
        data = self._stream.read(len(buffer))
        if isinstance(data, str):
            raise TypeError("the stream gives str: open the file in binary mode ('rb')")
        buffer[: len(data)] = data
        return len(data)


def _source(source, name):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _MEMORY, source, name or "<memory>"
    if isinstance(source, (str, os.PathLike)):
        return _PATH, os.fsencode(source), None
    if hasattr(source, "readinto") or hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError("read_csv needs a binary stream: open the file in binary mode "
                            "('rb'), or pass sys.stdin.buffer for standard input")
        if name is None:
            stream_name = getattr(source, "name", None)
            name = stream_name if isinstance(stream_name, str) else "<stream>"
        if not hasattr(source, "readinto"):
            source = _ReadInto(source)
        return _STREAM, source, name
    raise TypeError("read_csv takes a path (str or os.PathLike; '-' for standard input), the "
                    f"CSV text as bytes, or a binary file object (got {type(source).__name__})")


def read_csv(source, *, delimiter=None, decimal=".", na_values=None, columns=None, dtypes=None,
             threads=0, name=None, summaries=False):
    """Read a CSV file (plain or gzip-compressed, recognised by its first bytes) with a header.

    This is the library's reader (the ``pkh`` command's), run with the GIL released: other
    Python threads keep running while it reads on ``threads`` threads.

    Types are inferred from every value: bool (true/false), int64, float64, else string; codes
    with leading zeros ("0107") stay strings. Empty fields and the ``na_values`` are missing.

    Args:
        source: a path (``str`` or ``os.PathLike``; ``"-"`` reads standard input); the CSV
            text itself as ``bytes``, ``bytearray`` or ``memoryview`` (read in place, not
            copied); or a binary file object (``readinto`` or ``read``), e.g.
            ``open(p, "rb")``, ``io.BytesIO``, ``sys.stdin.buffer``. A path given as bytes is a
            text to read, not a path: pass ``os.fsdecode(path)``.
        delimiter: one character (``","``, ``";"``, ``"\\t"`` or ``"tab"``, ``"|"``, ...);
            ``None`` detects it among , ; tab | from the first lines.
        decimal: ``"."`` or ``","`` (with ``","`` the comma is never the delimiter).
        na_values: texts read as missing besides the empty field (default: NA, N/A, ., NaN).
        columns: read only these columns, in this order (default: all).
        dtypes: force column types: ``{name: type}`` with ``"int64"``, ``"float64"``,
            ``"bool"``, ``"string"`` (or ``int``, ``float``, ``bool``, ``str``, numpy dtypes).
            A value that does not parse as its forced type is an error.
        threads: worker threads (0: every core). The result never depends on it.
        name: the name used in messages for bytes and streams (default ``"<memory>"``, the
            stream's ``name``, or ``"<stream>"``).
        summaries: summarise every int64 and float64 column while its values are in cache, so
            that :func:`pkh.describe` on the table answers without another pass (the same
            numbers); :func:`pkh.describe` on a path sets it.

    Returns:
        a :class:`Table`; ``table.info`` tells the delimiter used, gzip, rows, lines and bytes.

    Raises:
        pkh.Error: with the library's message (the one ``pkh`` prints), e.g.
            ``"survey.csv:12:3: expected 7 fields as in the header, found 8 ..."``, and its
            ``code``, ``line``, ``column`` and ``source``.
        TypeError, ValueError: for arguments of the wrong type or form.
    """
    kind, src, src_name = _source(source, name)
    if not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be an int >= 0 (got {threads!r})")
    handle, info = _pkh.read_csv(kind, src, src_name, _delimiter(delimiter),
                                 _char(decimal, "decimal"), _strings(na_values, "na_values"),
                                 _strings(columns, "columns"), _types(dtypes), threads,
                                 bool(summaries))
    info["source"] = os.fsdecode(src) if kind == _PATH else src_name
    return Table._wrap(handle, info)
