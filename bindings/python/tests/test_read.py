# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.read_csv: sources (path, gzip, bytes, streams, stdin), options, the Table's shape."""
import csv
import gzip
import io
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import pkh


def inferred_type(texts):
    """The reader's rule for plain numbers: integers without leading zeros, then decimals."""
    if all(re.fullmatch(r"-?(0|[1-9][0-9]*)", v) for v in texts):
        return "int64"
    try:
        [float(v) for v in texts]
        return "float64"
    except ValueError:
        return "string"


def python_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_sample_shape_types_and_info(sample):
    t = pkh.read_csv(sample)
    header, rows = python_csv(sample)
    assert t.columns == header
    assert len(t) == t.num_rows == len(rows)
    assert t.num_columns == len(header) and t.shape == (len(rows), len(header))
    assert t.dtypes == {name: inferred_type([r[j] for r in rows])
                        for j, name in enumerate(header)}
    assert t.dtypes["province"] == "string" and t.dtypes["weight"] == "float64"
    info = t.info
    assert info["delimiter"] == "," and info["gzip"] is False
    assert info["rows"] == len(rows) and info["lines"] == len(rows) + 1
    assert info["bytes"] == os.path.getsize(sample)
    assert info["source"] == sample
    assert f"{len(rows)} rows" in repr(t) and "province: string" in repr(t)
    assert "weight" in t and "nope" not in t and list(t) == header


def test_values_match_the_text_exactly(sample):
    t = pkh.read_csv(sample)
    header, rows = python_csv(sample)
    for j, name in enumerate(header):
        got = t.column(name)
        kind = t.dtypes[name]
        want = [r[j] for r in rows]
        if kind == "int64":
            assert got.dtype == np.int64 and got.tolist() == [int(v) for v in want]
        elif kind == "float64":
            # the reader's parsing is exact: the same doubles as Python's float()
            assert got.dtype == np.float64 and got.tolist() == [float(v) for v in want]
        else:
            assert got.dtype == object and got.tolist() == want


@pytest.fixture(scope="module")
def sample_gz(sample, tmp_path_factory):
    p = tmp_path_factory.mktemp("gz") / "sample.csv.gz"
    p.write_bytes(gzip.compress(pathlib.Path(sample).read_bytes()))
    return p


def same_table(a, b):
    assert a.columns == b.columns and len(a) == len(b)
    for name in a.columns:
        assert np.array_equal(a.column(name), b.column(name)), name


def test_gzip_pathlike_bytes_and_streams_agree(sample, sample_gz):
    ref = pkh.read_csv(sample)
    data = pathlib.Path(sample).read_bytes()
    gz = pkh.read_csv(sample_gz)  # os.PathLike, gzip found from the magic bytes
    assert gz.info["gzip"] is True
    same_table(ref, gz)
    same_table(ref, pkh.read_csv(data))
    same_table(ref, pkh.read_csv(bytearray(data)))
    same_table(ref, pkh.read_csv(memoryview(data)))
    same_table(ref, pkh.read_csv(sample_gz.read_bytes()))
    with open(sample, "rb") as f:
        same_table(ref, pkh.read_csv(f))
    same_table(ref, pkh.read_csv(io.BytesIO(sample_gz.read_bytes())))
    assert pkh.read_csv(data).info["source"] == "<memory>"


def test_stream_with_only_read_and_tiny_chunks(sample):
    data = pathlib.Path(sample).read_bytes()

    class Dribble:  # read() only, at most 7 bytes at a time
        def __init__(self):
            self.pos = 0

        def read(self, n):
            chunk = data[self.pos:self.pos + min(n, 7)]
            self.pos += len(chunk)
            return chunk

    t = pkh.read_csv(Dribble(), threads=2, name="dribble")
    same_table(pkh.read_csv(sample), t)
    assert t.info["source"] == "dribble"


def test_stream_exception_propagates():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        pkh.read_csv(Broken())


def test_text_stream_is_refused(sample):
    with open(sample) as f, pytest.raises(TypeError, match="binary mode"):
        pkh.read_csv(f)


def test_stdin(sample):
    code = "import pkh; t = pkh.read_csv('-'); print(len(t), t.info['source'])"
    with open(sample, "rb") as f:
        r = subprocess.run([sys.executable, "-c", code], stdin=f, capture_output=True,
                           text=True, env=os.environ)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(len(python_csv(sample)[1])), "-"]


def test_options():
    data = b"a;b;c\n1,5;x;01\n2,25;NA;02\n;-;03\n"
    t = pkh.read_csv(data, decimal=",", na_values=["NA", "-"], dtypes={"c": int})
    assert t.info["delimiter"] == ";"
    assert t.dtypes == {"a": "float64", "b": "string", "c": "int64"}
    assert t.column("a", na="nan").tolist()[:2] == [1.5, 2.25]
    assert t.column("b").tolist() == ["x", None, None]
    assert t.column("c").tolist() == [1, 2, 3]
    t = pkh.read_csv(data, delimiter=";", decimal=",", columns=["c", "a"], dtypes={"c": "string"})
    assert t.columns == ["c", "a"] and t.column("c").tolist() == ["01", "02", "03"]
    tab = pkh.read_csv(b"x\ty\n1\t2\n", delimiter="tab")
    assert tab.columns == ["x", "y"] and tab.info["delimiter"] == "\t"
    assert pkh.read_csv(b"x\ty\n1\t2\n", delimiter="\t").columns == ["x", "y"]
    forced = pkh.read_csv(b"a,b\n1,true\n", dtypes=[("a", np.float64), ("b", "bool")])
    assert forced.dtypes == {"a": "float64", "b": "bool"}


def test_threads_do_not_change_the_result(sample):
    same_table(pkh.read_csv(sample, threads=1), pkh.read_csv(sample, threads=2))


def test_bad_arguments_raise_python_errors(sample):
    with pytest.raises(TypeError):
        pkh.read_csv(42)
    with pytest.raises(ValueError):
        pkh.read_csv(sample, delimiter=";;")
    with pytest.raises(ValueError):
        pkh.read_csv(sample, decimal="")
    with pytest.raises(ValueError):
        pkh.read_csv(sample, dtypes={"hhid": "complex"})
    with pytest.raises(TypeError):
        pkh.read_csv(sample, columns=[1, 2])
    with pytest.raises(ValueError):
        pkh.read_csv(sample, threads=-1)
    with pytest.raises(TypeError):
        pkh.Table()


def test_select_shares_and_orders(sample):
    t = pkh.read_csv(sample)
    s = t.select(["pcexp", "hhid"])
    assert s.columns == ["pcexp", "hhid"]
    assert np.shares_memory(s.column("pcexp"), t.column("pcexp"))
    with pytest.raises(pkh.Error) as e:
        t.select(["pcexp", "nope"])
    assert e.value.code == pkh.Status.ENOTFOUND


def test_missing_values_and_null_counts():
    t = pkh.read_csv(b"i,f,b,s\n1,1.5,true,x\n,,,\n3,NA,false,y\n")
    assert [t.null_count(c) for c in t.columns] == [1, 2, 1, 1]
    assert t.validity("i").tolist() == [True, False, True]
    assert t.validity("f").tolist() == [True, False, False]
    assert t.column("i", na="nan").tolist()[0::2] == [1.0, 3.0]
    assert np.isnan(t.column("i", na="nan")[1])
    masked = t.column("f")
    assert isinstance(masked, np.ma.MaskedArray) and masked.mask.tolist() == [False, True, True]
    assert t.column("b").tolist() == [True, None, False]  # masked array -> None
    assert t.column("s").tolist() == ["x", None, "y"]
    assert t.column("b", na="nan")[0::2].tolist() == [1.0, 0.0]
    raw = t.column("i", na="raw")
    assert not isinstance(raw, np.ma.MaskedArray) and raw[0] == 1 and raw[2] == 3
    with pytest.raises(ValueError):
        t.column("i", na="zero")


def test_strings_codes_and_categories():
    t = pkh.read_csv(b"p\nBali\nAceh\nBali\n\n")
    assert t.categories("p") == ["Bali", "Aceh"]
    assert t.codes("p")[:3].tolist() == [0, 1, 0]
    assert t.column("p").tolist() == ["Bali", "Aceh", "Bali"]
    with pytest.raises(TypeError):
        pkh.read_csv(b"x\n1\n").codes("x")


def test_non_utf8_text_is_kept():
    t = pkh.read_csv(b"name\nJos\xe9\n")  # Latin-1, not UTF-8
    assert t.column("name")[0] == os.fsdecode(b"Jos\xe9")
    assert os.fsencode(t.column("name")[0]) == b"Jos\xe9"


def test_empty_columns_and_rows():
    t = pkh.read_csv(b"a,b\n")
    assert len(t) == 0 and t.columns == ["a", "b"]
    assert t.column("a").shape == (0,)
    assert len(t.to_pandas()) == 0
