# SPDX-License-Identifier: GPL-3.0-or-later
"""Run pytest on the given files; exit 77 (ctest: skipped) when numpy, pandas or pytest is
missing (`make test` installs Debian's python3-numpy, python3-pandas and python3-pytest)."""
import sys

try:
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pytest
except ImportError as e:
    print(f"skipped: {e} (apt-get install python3-numpy python3-pandas python3-pytest)")
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnraisableExceptionWarning", *sys.argv[1:]]))
