# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.synth makes the same survey as `pkh synth`: the same values in memory and the same
bytes on disk; the tables go straight into the other functions."""
import numpy as np
import pytest

import pkh


def read_pair(prefix, gz):
    ext = ".csv.gz" if gz else ".csv"
    return (pkh.read_csv(f"{prefix}-households{ext}"), pkh.read_csv(f"{prefix}-members{ext}"))


@pytest.mark.parametrize("gz", [False, True])
def test_same_as_cli(cli, tmp_path, gz):
    r = cli.run("synth", "--households", "700", "--seed", "3", "--out", tmp_path / "cli",
                *([] if gz else ["--no-gzip"]), "--quiet")
    assert r.returncode == 0, r.stderr
    hh, mem = pkh.synth(700, seed=3, out=tmp_path / "py", gzip=gz)
    ext = ".csv.gz" if gz else ".csv"
    for part in ("households", "members"):
        a = (tmp_path / f"cli-{part}{ext}").read_bytes()
        b = (tmp_path / f"py-{part}{ext}").read_bytes()
        assert a == b, part
    want_hh, want_mem = read_pair(tmp_path / "cli", gz)
    for got, want in ((hh, want_hh), (mem, want_mem)):
        # (whole-number doubles such as pcexp read back from CSV as int64)
        assert got.columns == want.columns and len(got) == len(want)
        for name in got.columns:
            if got.dtypes[name] == "string":
                assert got.column(name).tolist() == want.column(name).tolist(), name
            else:
                assert np.array_equal(got.column(name), want.column(name)), name


def test_seed_threads_and_use(cli):
    a, _ = pkh.synth(2000, seed=11, threads=1)
    b, _ = pkh.synth(2000, seed=11, threads=3)
    c, _ = pkh.synth(2000, seed=12)
    assert np.array_equal(a.column("pcexp"), b.column("pcexp"))
    assert not np.array_equal(a.column("pcexp"), c.column("pcexp"))
    df = pkh.indicators(a, income="pcexp", weight="weight", size="hhsize", line="povline",
                        by="province", strata="strata", psu="psu", lonely_psu="adjust",
                        indicators=["fgt0"])
    assert len(df) == 1 + len(set(a.column("province")))
    assert df.attrs["meta"]["file"] is None


def test_bad_values():
    with pytest.raises(pkh.Error) as e:
        pkh.synth(0)
    assert str(e.value) == '--households takes a whole number of households, at least 1 ' \
                           '(got "0")'
    with pytest.raises(pkh.Error) as e:
        pkh.synth(10, year=1990)
    assert str(e.value) == '--year: no calibration for "1990" (known years: 2019)'
    with pytest.raises(pkh.Error):
        pkh.synth(10, seed=-1)
    with pytest.raises(TypeError):
        pkh.synth("10")
