# SPDX-License-Identifier: GPL-3.0-or-later
"""What pkh.indicators, pkh.simulate, pkh.targeting and pkh.pmt share: option lists as the
``pkh`` command takes them, the survey design, ``define``/``filter``, reading only the columns
needed, and results as DataFrames.

Option values the command checks itself are checked here with its words (``pkh.Error``, as its
exit status 1); a malformed call (a missing or contradictory argument: the command's exit
status 2) raises ``TypeError`` or ``ValueError``.
"""

import math
import numbers
import os
from collections.abc import Mapping

from . import _pkh
from ._data import as_table
from ._errors import Error, Status
from ._table import Table

__all__ = ["Design"]

LONELY = ("fail", "certainty", "adjust", "average", "remove")
QUANTILE_RULES = {"gt": 0, "ge": 1, "ge_avg": 2}


def fail(message, code=Status.EINVAL):
    """Raise pkh.Error with the command's words for a bad option value."""
    raise Error(message, code)


def names(value, what):
    """None, "a", "a,b" (split at commas, as the command does) or a sequence of str -> list or
    None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what}: column names are str (got {item!r})")
    return items


def joined(items):
    """A list as the command's comma-separated text (for the metadata), or None."""
    return None if items is None else ",".join(items)


def text(value):
    """An option value as the command-line text it stands for: numbers in the shortest form
    that reads back as the same double."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a number or a str (got {value!r})")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    raise TypeError(f"expected a number or a str (got {type(value).__name__})")


def number(value, what, flag):
    """A finite float, or pkh.Error worded as the command's ("--quota takes ...")."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"{what} must be a number (got {value!r})")
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        fail(f"{flag} takes a number (got \"{value}\")")
    return x


def defines(value):
    """define= as "NAME=EXPR" texts: a mapping {name: expr}, one "NAME=EXPR" str, or a sequence
    of them (applied in order: a later one may use an earlier one)."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    elif isinstance(value, str):
        items = [value]
    else:
        items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"define: expected NAME=EXPR texts or a dict (got {item!r})")
    return tuple(items)


class Design:
    """A survey design, by column names: strata, PSUs (clusters, read within their stratum)
    and a finite population correction, as R survey's
    ``svydesign(ids=~psu, strata=~strata, fpc=~fpc, nest=TRUE)``.

    Args:
        strata: stratum column (default: one stratum).
        psu: primary sampling unit column (default: each row is its own PSU).
        fpc: finite population correction column: a value above 1 is the stratum's number of
            PSUs in the population, at most 1 its sampling fraction (default: PSUs drawn with
            replacement).
        lonely_psu: a stratum with one PSU: ``"fail"`` (default), ``"certainty"``,
            ``"adjust"``, ``"average"`` or ``"remove"`` (R survey's ``survey.lonely.psu``).

    The design is built by each call on the rows it is given (the same as ``--strata --psu
    --fpc --lonely-psu``); with ``filter=`` every PSU stays in the variance (domain
    estimation).
    """

    __slots__ = ("strata", "psu", "fpc", "lonely_psu")

    def __init__(self, strata=None, psu=None, fpc=None, *, lonely_psu="fail"):
        for what, v in (("strata", strata), ("psu", psu), ("fpc", fpc)):
            if v is not None and not isinstance(v, str):
                raise TypeError(f"Design({what}=...) takes a column name (got {v!r})")
        if lonely_psu not in LONELY:
            fail("--lonely-psu takes fail, certainty, adjust, average or remove (got "
                 f"\"{lonely_psu}\")")
        self.strata, self.psu, self.fpc, self.lonely_psu = strata, psu, fpc, lonely_psu

    @property
    def columns(self):
        """The design's columns that are given."""
        return [c for c in (self.strata, self.psu, self.fpc) if c is not None]

    def _tuple(self):
        return (self.strata, self.psu, self.fpc, LONELY.index(self.lonely_psu))

    def __eq__(self, other):
        return isinstance(other, Design) and self._tuple() == other._tuple()

    def __hash__(self):
        return hash(self._tuple())

    def __repr__(self):
        args = [f"{k}={getattr(self, k)!r}" for k in ("strata", "psu", "fpc")
                if getattr(self, k) is not None]
        if self.lonely_psu != "fail":
            args.append(f"lonely_psu={self.lonely_psu!r}")
        return f"pkh.Design({', '.join(args)})"


def design_of(design, strata, psu, fpc, lonely_psu):
    """design= or strata=/psu=/fpc=/lonely_psu= as a Design; None when no column is given
    (lonely_psu alone is kept for the metadata)."""
    loose = (strata, psu, fpc, lonely_psu)
    if design is not None:
        if any(v is not None for v in loose):
            raise TypeError("give the design either as design=pkh.Design(...) or as strata=, "
                            "psu=, fpc=, lonely_psu=, not both")
        if not isinstance(design, Design):
            raise TypeError(f"design= takes a pkh.Design (got {type(design).__name__})")
        return design
    if all(v is None for v in loose):
        return None
    return Design(strata, psu, fpc, lonely_psu=lonely_psu or "fail")


def has_columns(design):
    return design is not None and bool(design.columns)


def add(cols, *items):
    """Append names (skipping None and repeats), in order."""
    for item in items:
        if item is not None and item not in cols:
            cols.append(item)
    return cols


def is_path(data):
    return isinstance(data, (str, os.PathLike))


def file_name(data):
    """The file the data came from, for the metadata (as the command's "file"), or None."""
    if is_path(data):
        return os.fspath(data)
    if isinstance(data, Table) and data.info is not None:
        return data.info.get("source")
    return None


def prepare(data, base, define, filter, threads, read_options, all_columns=False):
    """The command's reading steps: parse the expressions (their errors first), read or select
    only the columns needed (``base`` and those the expressions use; all with
    ``all_columns``), add the defined columns and evaluate the filter.

    Returns (Table, mask bytes or None, expressions)."""
    exprs = _pkh._Exprs(defines(define), filter)
    cols = None if all_columns else exprs.columns(base)
    options = dict(read_options or {})
    if is_path(data):
        options.setdefault("threads", threads)
    elif read_options:
        raise TypeError(f"read_options ({', '.join(read_options)}) apply to CSV paths only")
    # NaN stays a value in borrowed columns: the library reads it as missing where a number
    # may be missing, and refuses it where one is required (no extra read of every column)
    table = as_table(data, cols, nan_missing=False, **options)
    mask = None
    if exprs.names or filter is not None:
        handle, mask = exprs.apply(table._t, threads)
        if handle is not None:
            table = Table._wrap(handle, table._info)
    return table, mask, exprs


def load_other(data, threads, read_options, what):
    """A second input (members, lines) as a Table, every column."""
    if data is None:
        return None
    options = dict(read_options or {})
    if is_path(data):
        options.setdefault("threads", threads)
        return as_table(data, **options)
    return as_table(data)


def frame(handle):
    """A result table as a pandas DataFrame of its own (writable), strings as str and None."""
    return Table._wrap(handle).to_pandas(copy=True, strings="object")


def real_or_none(x):
    """A float for the metadata, None where the command writes null (NaN, infinite)."""
    return x if x is not None and math.isfinite(x) else None


def check_threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be an int >= 0 (got {threads!r})")
    return threads


def level_value(level, flag_text):
    """A confidence level in (0, 1), worded as the command's message on failure."""
    if level is None:
        return None
    try:
        x = float(level)
    except (TypeError, ValueError):
        x = math.nan
    if not (0 < x < 1):
        fail(flag_text.format(level))
    return x


def design_meta(design, d, level):
    """The "standard_errors" object of pkh targeting's and pkh pmt's JSON metadata."""
    if d is None:
        return {"method": "none: give --strata and/or --psu for standard errors"}
    return {"method": "Taylor linearisation (influence values, ultimate-cluster variance over "
                      "the full design)",
            "strata": design.strata, "psu": design.psu, "fpc": design.fpc,
            "lonely_psu": d["lonely_psu"], "strata_count": d["strata"], "psus": d["psus"],
            "df": d["df"], "level": level}
