# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh: poverty, inequality and cash-transfer (PKH) analysis of household survey microdata.

The Python face of the pkh C library: the same reader and the same numbers as the library and
the ``pkh`` command, as numpy arrays and pandas DataFrames, without copying the data.

    >>> import pkh
    >>> t = pkh.read_csv("survey.csv.gz")          # the library's reader, GIL released
    >>> w = t.column("weight")                      # numpy view of the table's memory
    >>> df = t.to_pandas()                          # no copy of number columns
    >>> pkh.describe(t)                             # as `pkh describe survey.csv.gz`

Failures raise :class:`pkh.Error` with the library's message (the one the CLI prints).
Tables export through the Arrow PyCapsule interface (``__arrow_c_stream__``).
"""

from ._errors import Error, Status  # first: the extension raises pkh._errors.Error
from . import _pkh
from ._table import Table
from ._io import read_csv
from ._data import as_table
from ._describe import describe

__version__ = _pkh.version

__all__ = ["Error", "Status", "Table", "read_csv", "describe", "as_table", "__version__"]
