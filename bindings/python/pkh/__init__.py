# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh: poverty, inequality and cash-transfer (PKH) analysis of household survey microdata.

The Python face of the pkh C library: the same reader and the same numbers as the library and
the ``pkh`` command, as numpy arrays and pandas DataFrames, without copying the data.

    >>> import pkh
    >>> t = pkh.read_csv("survey.csv.gz")          # the library's reader, GIL released
    >>> w = t.column("weight")                      # numpy view of the table's memory
    >>> df = t.to_pandas()                          # no copy of number columns
    >>> pkh.describe(t)                             # as `pkh describe survey.csv.gz`
    >>> pkh.indicators(df, income="pcexp", weight="weight", size="hhsize", line="povline",
    ...                by="province", design=pkh.Design(strata="strata", psu="psu"))

Every analysis takes a :class:`pkh.Table`, a pandas DataFrame, a dict of numpy arrays (int64
and float64 columns are read in place, not copied) or a CSV path, and returns a DataFrame in
the command's tidy schema with the command's JSON metadata in ``df.attrs["meta"]``:
:func:`indicators`, :func:`targeting`, :func:`simulate` (with :class:`Program`), :func:`pmt`,
:func:`describe`; :func:`synth` makes a synthetic survey.

Failures raise :class:`pkh.Error` with the library's message (the one the CLI prints).
Tables export through the Arrow PyCapsule interface (``__arrow_c_stream__``).
"""

from ._errors import Error, Status  # first: the extension raises pkh._errors.Error
from . import _pkh
from ._table import Table
from ._io import read_csv
from ._data import as_table
from ._describe import describe
from ._common import Design
from ._indicators import indicators
from ._targeting import targeting
from ._pmt import pmt
from ._simulate import Program, simulate
from ._synth import synth

__version__ = _pkh.version

__all__ = ["Error", "Status", "Table", "read_csv", "describe", "as_table", "Design",
           "indicators", "targeting", "pmt", "Program", "simulate", "synth", "__version__"]
