# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.simulate gives exactly the results, metadata and per-household table of
`pkh simulate`, from a path, a Table, a DataFrame and a dict of numpy arrays."""
import warnings

import numpy as np
import pandas as pd
import pytest

import pkh

from conftest import MEMBERS, SAMPLE, assert_same_meta, assert_same_results, data_forms

WELFARE = (["--income", "pcexp", "--weight", "weight", "--size", "hhsize", "--line", "povline"],
           dict(income="pcexp", weight="weight", size="hhsize", line="povline"))

CASES = {
    "recipients_by_province": (
        ["--program", "pkh-2019", "--recipient", "pkh", "--by", "province"],
        dict(program="pkh-2019", recipient="pkh", by="province")),
    "roster_compare_design": (
        ["--program", "pkh-2019", "--members", MEMBERS, "--key", "hhid", "--all", "--compare",
         "pkh-2021", "--compare-amount", "smp=2000000", "--compare-cap", "3", "--strata",
         "strata", "--psu", "psu"],
        dict(program="pkh-2019", members=str(MEMBERS), key="hhid", all=True,
             compare="pkh-2021", compare_amount={"smp": 2000000}, compare_cap=3,
             strata="strata", psu="psu")),
    "score_quota_define_by": (
        ["--program", "pkh-2019", "--define", "remote=prov_code>=91", "--akses", "remote",
         "--score", "pcexp", "--quota", "0.12", "--by", "urban", "--amount", "sd=1000000",
         "--indicators", "budget*,families,fgt0_change,lifted"],
        dict(program=pkh.Program("pkh-2019"), define={"remote": "prov_code>=91"},
             akses="remote", score="pcexp", quota=0.12, by="urban", amount=["sd=1000000"],
             indicators=["budget*", "families", "fgt0_change", "lifted"])),
    "budget_relative_line_year": (
        ["--program", "pkh-2021", "--score", "pcexp", "--budget", "2.5e12", "--income",
         "pcexp", "--weight", "weight", "--size", "hhsize", "--line", "rel:0.5:median",
         "--period", "year", "--cap", "2"],
        dict(program="pkh-2021", score="pcexp", budget=2.5e12, income="pcexp",
             weight="weight", size="hhsize", line="rel:0.5:median", period="year", cap=2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_cli(case, cli, tmp_path):
    args, kwargs = CASES[case]
    welfare = WELFARE if "--income" not in args else ([], {})
    out = tmp_path / "per-household.csv"
    want = cli.json("simulate", SAMPLE, *args, *welfare[0], "--out", out)
    want_ph = pkh.read_csv(out).to_pandas(strings="object")
    for form, data in data_forms(SAMPLE).items():
        df, ph = pkh.simulate(data, **kwargs, **welfare[1], per_household=True)
        assert_same_results(df, want)
        assert_same_meta(df.attrs["meta"], want["meta"],
                         ignore=() if form == "path" else ("file",))
        # per household: the numbers of --out (the CSV writer's shortest doubles)
        assert list(ph.columns) == list(want_ph.columns)
        for name in ph.columns:
            got, exp = ph[name].to_numpy(), want_ph[name].to_numpy()
            if got.dtype == bool:
                exp = exp.astype(bool)
            assert np.array_equal(got, exp), name


def test_members_from_a_dataframe(cli):
    want = cli.json("simulate", SAMPLE, "--program", "pkh-2019", "--members", MEMBERS, "--key",
                    "hhid", "--all", *WELFARE[0])
    members = pkh.read_csv(MEMBERS).to_pandas()
    df = pkh.simulate(pkh.read_csv(SAMPLE).to_pandas(), program="pkh-2019", members=members,
                      key="hhid", all=True, **WELFARE[1])
    assert_same_results(df, want)
    assert df.attrs["meta"]["members"] is None


def test_unmatched_members_warn(cli, tmp_path):
    members = pkh.read_csv(MEMBERS).to_pandas(copy=True)
    members.loc[:4, "hhid"] = 999999
    with pytest.warns(UserWarning, match="5 member rows .0 without a key. match no household"):
        pkh.simulate(SAMPLE, program="pkh-2019", members=members, key="hhid", all=True,
                     **WELFARE[1])
    with pytest.raises(pkh.Error):
        pkh.simulate(SAMPLE, program="pkh-2019", members=members, key="hhid", all=True,
                     strict=True, **WELFARE[1])


def test_program():
    p = pkh.Program("pkh-2019")
    assert p.name == "pkh-2019" and p.currency == "IDR"
    assert "pkh-2019" in pkh.Program.presets()
    names = [c["name"] for c in p.components]
    assert "smp" in names and p.cap > 0 and p.stages and p.notes
    same = pkh.Program.from_json(p.text, "copy.json")
    assert same.components == p.components
    with pytest.raises(pkh.Error) as e:
        pkh.Program.from_json('{"name": "x", "componentz": []}', "bad.json")
    assert str(e.value).startswith("bad.json:")
    with pytest.raises(pkh.Error) as e:
        pkh.Program("pkh-1999")
    assert e.value.code == pkh.Status.ENOTFOUND
    # amounts change a copy for one call, never the Program
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pkh.simulate(SAMPLE, program=p, amount={"smp": 1}, all=True, **WELFARE[1])
    assert p.components == pkh.Program("pkh-2019").components


def test_arguments():
    with pytest.raises(TypeError):
        pkh.simulate(SAMPLE, program="pkh-2019", recipient="pkh", all=True)
    with pytest.raises(TypeError):
        pkh.simulate(SAMPLE, program="pkh-2019", quota=0.1)
    with pytest.raises(TypeError):
        pkh.simulate(SAMPLE, program="pkh-2019", members=str(MEMBERS))
    with pytest.raises(TypeError):
        pkh.simulate(SAMPLE, program="pkh-2019", level=0.9)
    df = pkh.simulate(SAMPLE, program="pkh-2019", recipient="pkh")  # no welfare: no poverty
    assert "fgt0_before" not in set(df["indicator"]) and "budget" in set(df["indicator"])
    assert isinstance(df, pd.DataFrame)
