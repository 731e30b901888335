# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.describe: the ``pkh describe`` command as a DataFrame."""

import math

from . import _pkh
from ._common import is_path
from ._data import as_table

__all__ = ["describe"]


def describe(data, *, columns=None, threads=0, **read_options):
    """Per column: its type, the number of present and missing values, and min / mean / max
    (numbers and bools; the mean of a bool column is the share of true values) or the number
    of distinct values (strings). The same numbers as ``pkh describe FILE --format json``.

    Args:
        data: a CSV path (read with ``read_options``, see :func:`pkh.read_csv`), a
            :class:`pkh.Table`, a pandas DataFrame or a mapping of name to array.
        columns: describe only these columns (and read only these from a file).
        threads: threads to use (0: every core); the result never depends on it.

    Returns:
        a pandas DataFrame with the columns ``column``, ``type``, ``count``, ``missing``,
        ``min``, ``mean``, ``max`` (float64; NaN where the CLI writes null: strings, and
        numbers without any value) and ``distinct`` (nullable Int64; NA except for strings),
        one row per column. ``df.attrs["meta"]`` holds what the CLI puts in its JSON ``meta``
        (command, file, rows, columns, delimiter, gzip, bytes, version) as far as known.
    """
    import pandas as pd

    if is_path(data):
        read_options.setdefault("summaries", True)  # the summaries come from the read itself
    table = as_table(data, columns, **read_options)
    rows = []
    for i, (name, kind) in enumerate(table.dtypes.items()):
        count, missing, lo, hi, mean, _, distinct = table._t.summarize(i, threads)
        numeric = kind != "string" and count > 0
        nan = math.nan
        rows.append((name, kind, count, missing, lo if numeric else nan,
                     mean if numeric else nan, hi if numeric else nan,
                     distinct if kind == "string" else None))
    df = pd.DataFrame.from_records(
        rows, columns=["column", "type", "count", "missing", "min", "mean", "max", "distinct"])
    df = df.astype({"count": "int64", "missing": "int64", "min": "float64", "mean": "float64",
                    "max": "float64", "distinct": "Int64"})
    meta = {"command": "describe", "rows": table.num_rows, "columns": table.num_columns,
            "version": _pkh.version}
    info = table.info
    if info is not None:
        meta.update(file=info["source"], delimiter=info["delimiter"], gzip=info["gzip"],
                    bytes=info["bytes"])
    df.attrs["meta"] = meta
    return df
