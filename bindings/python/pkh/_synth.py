# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.synth: the ``pkh synth`` command's synthetic survey, in memory."""

import numbers
import os

from . import _pkh
from ._errors import Error, Status
from ._table import Table

__all__ = ["synth"]

DEFAULT_YEAR = 2019


def _whole(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int (got {value!r})")
    return int(value)


def synth(households, *, seed=1, year=None, threads=0, out=None, gzip=True):
    """Generate a synthetic SUSENAS-like survey, as ``pkh synth`` does: the same seed gives
    the same data (and the same bytes on disk), whatever ``threads``. It is NOT real survey
    data: see docs/synthetic-data.md.

    Args:
        households: how many households (at least 1).
        seed: any whole number from 0 to 2**64 - 1 (default 1).
        year: the calibration year (default 2019, the only one so far).
        threads: 0 for every core.
        out: also write ``OUT-households.csv[.gz]`` and ``OUT-members.csv[.gz]`` (a path
            prefix, as ``--out``); gzip: compress them (default True, as the command).

    Returns:
        ``(households, members)``, two :class:`pkh.Table` objects (in memory, columnar; use
        ``.to_pandas()`` for DataFrames, which shares their number columns). Household
        columns: hhid, province, prov_code, urban, strata, psu, weight, hhsize, pcexp, povline,
        roof, floor, wall, toilet, water, cooking_fuel, electricity, assets, head_educ,
        head_sex, n_working, pkh, n_pregnant, n_child06, n_sd, n_smp, n_sma,
        n_disabled_severe, n_elderly60. Member columns: hhid, line, relation, sex, age, school,
        attending, pregnant, disabled_severe, working. Every function of this package takes
        the tables as they are.
    """
    n = _whole(households, "households")
    if n < 1:
        raise Error(f"--households takes a whole number of households, at least 1 (got "
                    f"\"{n}\")", Status.EINVAL)
    seed = _whole(seed, "seed")
    if not 0 <= seed < 2 ** 64:
        raise Error(f"--seed takes a whole number from 0 to 18446744073709551615 (got "
                    f"\"{seed}\")", Status.EINVAL)
    y = 0 if year is None else _whole(year, "year")
    if year is not None and (y < 1 or y > 9999 or not _pkh.synth_year_supported(y)):
        raise Error(f"--year: no calibration for \"{y}\" (known years: {DEFAULT_YEAR})",
                    Status.EINVAL)
    threads = _whole(threads, "threads")
    if not 0 <= threads <= 256:
        raise Error(f"--threads takes a number from 0 (every core) to 256 (got \"{threads}\")",
                    Status.EINVAL)
    hh, mem = _pkh.synth(n, seed=seed, year=y, threads=threads)
    hh, mem = Table._wrap(hh), Table._wrap(mem)
    if out is not None:
        _pkh.synth_write(hh._t, mem._t, os.fspath(out), bool(gzip), threads)
    return hh, mem
