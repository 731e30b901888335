# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.Error and pkh.Status: how the library's failures reach Python."""

import enum

__all__ = ["Error", "Status"]


class Status(enum.IntEnum):
    """The library's status codes (``pkh_status``). The numbers are ABI and never change.

    ``Status.EPARSE == 4`` and ``Status.EPARSE.name == "EPARSE"`` (the C name is ``PKH_EPARSE``).
    """

    OK = 0
    EINVAL = 1  #: an argument or option value is invalid
    ENOMEM = 2  #: an allocation failed
    EIO = 3  #: a file could not be opened, read or written
    EPARSE = 4  #: malformed input (CSV syntax, gzip stream, expression, JSON)
    ENOTFOUND = 5  #: a named column, file, group or key does not exist
    ETYPE = 6  #: a value or column has the wrong type
    EDUPLICATE = 7  #: a name that must be unique is repeated
    EEMPTY = 8  #: no data where some is needed (empty file, empty group)
    EOVERFLOW = 9  #: a count or size exceeds what the format can hold
    ENUMERIC = 10  #: a numerical procedure failed (singular matrix, no convergence)
    ECANCELED = 11  #: stopped by a caller's callback
    EUNSUPPORTED = 12  #: a valid request this build or format cannot serve


class Error(Exception):
    """A failure reported by the pkh library.

    ``str(error)`` is the library's message, exactly as the ``pkh`` command prints it after
    ``"pkh: "``; it names the file, line and column where they apply
    (``"survey.csv:12:3: cannot read ..."``).

    Attributes:
        code: a :class:`Status` (an ``int``; ``code.name`` is e.g. ``"EPARSE"``).
        line: 1-based line of the input, or ``None`` when not known.
        column: 1-based field number, or ``None`` when not known.
        source: the file name (``"<stdin>"``, ``"<memory>"``, ...), or ``None``.
    """

    def __init__(self, message, code=Status.EINVAL, line=0, column=0, source=""):
        super().__init__(message)
        try:
            code = Status(code)
        except ValueError:  # a code from a newer library
            code = int(code)
        self.code = code
        self.line = int(line) if line else None
        self.column = int(column) if column else None
        self.source = source or None

    @property
    def message(self):
        """The library's message (same as ``str(error)``)."""
        return self.args[0]

    def __reduce__(self):  # picklable, e.g. across multiprocessing
        return (type(self), (self.args[0], int(self.code), self.line or 0, self.column or 0,
                             self.source or ""))
