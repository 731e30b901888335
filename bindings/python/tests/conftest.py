# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: where the sample data, the bad-input corpus and the pkh CLI are."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = pathlib.Path(os.environ.get("PKH_SOURCE_DIR", HERE.parents[2]))
SAMPLE = SOURCE_DIR / "examples" / "data" / "sample-households.csv"
BAD_DIR = SOURCE_DIR / "tests" / "data" / "csv" / "bad"


def _find_cli():
    if os.environ.get("PKH"):
        return os.environ["PKH"]
    for build in ("build", "build-asan"):
        p = SOURCE_DIR / build / "bin" / "pkh"
        if p.exists():
            return str(p)
    return shutil.which("pkh")


@pytest.fixture(scope="session")
def sample():
    return str(SAMPLE)


@pytest.fixture(scope="session")
def bad_dir():
    return BAD_DIR


class Cli:
    """Runs the pkh command; `json()` parses --format json output."""

    def __init__(self, exe):
        self.exe = exe

    def run(self, *args, cwd=None, stdin=None):
        return subprocess.run([self.exe, *map(str, args)], cwd=cwd, stdin=stdin,
                              capture_output=True, text=True)

    def json(self, *args, cwd=None):
        r = self.run(*args, "--format", "json", cwd=cwd)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


@pytest.fixture(scope="session")
def cli():
    exe = _find_cli()
    if exe is None:
        pytest.skip("the pkh command is not built (set PKH=path/to/pkh)")
    return Cli(exe)
