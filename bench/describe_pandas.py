#!/usr/bin/python3
"""The `describe` benchmark's pandas peer: what a user would write without pkh.

Usage: /usr/bin/python3 bench/describe_pandas.py FILE

Reads FILE with pandas.read_csv (defaults: the C parser, types inferred) and prints, as CSV,
the same per-column summary as `pkh describe --format csv`:
column,type,count,missing,min,mean,max,distinct (min/mean/max for numbers, distinct for text).
Run it with Debian's /usr/bin/python3 and python3-pandas.
"""
import sys

import pandas as pd


def kind(series):
    """pkh's name for a pandas dtype."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int64"
    if pd.api.types.is_float_dtype(series):
        return "float64"
    return "string"


def number(value):
    """Shortest text that reads back as the same number; integers without a decimal point."""
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return str(int(value))
    return repr(float(value))


def main(path):
    frame = pd.read_csv(path)
    print("column,type,count,missing,min,mean,max,distinct")
    for name in frame.columns:
        col = frame[name]
        count = int(col.count())
        missing = len(col) - count
        typ = kind(col)
        if typ == "string":
            row = [name, typ, count, missing, "", "", "", col.nunique()]
        else:
            values = col.astype("int64") if typ == "bool" else col
            row = [name, typ, count, missing, number(values.min()), number(values.mean()),
                   number(values.max()), ""]
        print(",".join(str(v) for v in row))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: describe_pandas.py FILE")
    main(sys.argv[1])
