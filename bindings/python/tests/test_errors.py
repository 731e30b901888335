# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input raises pkh.Error with the library's message: the one the CLI prints after "pkh: ".

Every case of tests/data/csv/bad (NAME.csv[.gz], NAME.expected = status and message, NAME.opts =
reader options) is read through pkh.read_csv and through `pkh describe`, and both must give the
expected message.
"""
import pickle

import pytest

import pkh

from conftest import BAD_DIR

CASES = sorted(p.name[: -len(".expected")] for p in BAD_DIR.glob("*.expected"))


def load_case(name):
    status, message = (BAD_DIR / f"{name}.expected").read_text().splitlines()[:2]
    kwargs, flags = {}, []
    opts = BAD_DIR / f"{name}.opts"
    if opts.exists():
        for line in opts.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "types":
                column, _, type_name = value.rpartition(":")
                kwargs["dtypes"] = {column: type_name}
                flags += ["--types", value]
            elif key == "columns":
                kwargs["columns"] = value.split(",")
                flags += ["--columns", value]
            elif key == "delimiter":
                kwargs["delimiter"] = value
                flags += ["--delim", value]
            elif key == "decimal":
                kwargs["decimal"] = value
                flags += ["--decimal", value]
            else:
                raise AssertionError(f"{name}.opts: option {key} has no read_csv equivalent")
    path = f"{name}.csv"
    if not (BAD_DIR / path).exists() and (BAD_DIR / f"{name}.csv.gz").exists():
        path = f"{name}.csv.gz"
    if name == "missing_file":
        path = "missing_file.csv.gz"
    return path, status, message, kwargs, flags


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", CASES)
def test_bad_input_raises_the_cli_message(name, monkeypatch, cli):
    path, status, message, kwargs, flags = load_case(name)
    monkeypatch.chdir(BAD_DIR)  # the expected messages name the file relative to the corpus
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv(path, **kwargs)
    e = info.value
    assert "PKH_" + e.code.name == status
    assert str(e) == message == e.message
    r = cli.run("describe", path, *flags, cwd=BAD_DIR)
    assert r.returncode == 1
    assert r.stderr == f"pkh: {message}\n"


def test_the_same_through_memory_and_streams():
    data = (BAD_DIR / "too_many_fields.csv").read_bytes()
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv(data, name="too_many_fields.csv")
    assert str(info.value).startswith("too_many_fields.csv:3:3: expected 2 fields")
    with open(BAD_DIR / "too_many_fields.csv", "rb") as f, pytest.raises(pkh.Error) as info:
        pkh.read_csv(f)
    assert str(info.value).endswith(":3:3: expected 2 fields as in the header, found 3 "
                                    "(a delimiter inside an unquoted value? quote it)")
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv(data)
    assert str(info.value).startswith("<memory>:3:3:")


def test_error_attributes(monkeypatch):
    monkeypatch.chdir(BAD_DIR)
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv("too_many_fields.csv")
    e = info.value
    assert e.code == pkh.Status.EPARSE == 4 and isinstance(e.code, int)
    assert (e.line, e.column, e.source) == (3, 3, "too_many_fields.csv")
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv("empty.csv")
    assert info.value.line is None and info.value.column is None
    again = pickle.loads(pickle.dumps(e))
    assert (str(again), again.code, again.line, again.column, again.source) == \
        (str(e), e.code, e.line, e.column, e.source)


def test_unknown_column_names_the_columns(sample):
    t = pkh.read_csv(b"hhid,province,weight\n1,Aceh,2.5\n")
    with pytest.raises(pkh.Error) as info:
        t.column("nope")
    assert info.value.code == pkh.Status.ENOTFOUND
    assert str(info.value) == 'no column named "nope" (the columns are: hhid, province, weight)'
    with pytest.raises(pkh.Error) as info:
        pkh.read_csv(sample, columns=["nope"])
    assert str(info.value).startswith(f'{sample}: no column "nope" in the header (the columns '
                                      'are: hhid, province')
    with pytest.raises(TypeError):
        t.column(3)


def test_error_is_an_exception_with_a_readable_status():
    assert issubclass(pkh.Error, Exception)
    e = pkh.Error("x", 99)
    assert e.code == 99  # a code from a newer library stays an int
    assert pkh.Status(6).name == "ETYPE"
