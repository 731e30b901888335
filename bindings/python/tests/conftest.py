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


# ---- comparing pkh's Python results with the CLI's JSON ----

MEMBERS = SOURCE_DIR / "examples" / "data" / "sample-members.csv"


def _missing(x):
    import pandas as pd

    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def assert_same_results(df, cli_json):
    """Every row and field of the CLI's "results" equals the DataFrame's, exactly (the JSON
    writes shortest round-trip doubles), in the same column order; JSON null is None, NaN or
    pandas' NA."""
    rows = cli_json["results"]
    assert len(df) == len(rows), (len(df), len(rows))
    if rows:
        assert list(df.columns) == list(rows[0]), (list(df.columns), list(rows[0]))
    for i, (got, want) in enumerate(zip(df.to_dict("records"), rows)):
        for key, w in want.items():
            g = got[key]
            if w is None:
                assert _missing(g), (i, key, g)
            else:
                assert not _missing(g) and g == w, (i, key, g, w, want)
                assert isinstance(g, str) == isinstance(w, str), (i, key, g, w)


def diff_meta(got, want, path="meta"):
    """The paths where two metadata objects differ (numbers compared as numbers)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{path}.{k}: missing" for k in want if k not in got]
        out += [f"{path}.{k}: extra" for k in got if k not in want]
        for k in want:
            if k in got:
                out += diff_meta(got[k], want[k], f"{path}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, (list, tuple)):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items, the CLI {len(want)}"]
        out = []
        for i, (g, w) in enumerate(zip(got, want)):
            out += diff_meta(g, w, f"{path}[{i}]")
        return out
    if isinstance(want, bool) or isinstance(got, bool):
        return [] if got is want or got == want and type(got) is type(want) else \
            [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return [] if got == want else [f"{path}: {got!r} != {want!r}"]
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


def assert_same_meta(meta, cli_meta, ignore=()):
    """df.attrs["meta"] has the CLI's JSON meta: the same keys and values (but `ignore`)."""
    got = {k: v for k, v in meta.items() if k not in ignore}
    want = {k: v for k, v in cli_meta.items() if k not in ignore}
    problems = diff_meta(got, want)
    assert not problems, "\n".join(problems)


def data_forms(path, columns=None):
    """The same data as the CLI reads from `path`: the path, a Table, a DataFrame (numbers
    borrowed, strings as categories) and a dict of numpy arrays (masked where missing)."""
    import pkh

    t = pkh.read_csv(path)
    return {"path": str(path), "table": t, "dataframe": t.to_pandas(),
            "arrays": {name: t.column(name) for name in t.columns}}
