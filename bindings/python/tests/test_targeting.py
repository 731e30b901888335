# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.targeting gives exactly the results, metadata and curve of `pkh targeting`, from a path,
a Table, a DataFrame and a dict of numpy arrays."""
import numpy as np
import pytest

import pkh

from conftest import SAMPLE, assert_same_meta, assert_same_results, data_forms

BASE = (["--income", "pcexp", "--weight", "weight", "--size", "hhsize"],
        dict(income="pcexp", weight="weight", size="hhsize"))

CASES = {
    "recipients_by_decile_design": (
        ["--recipient", "pkh", "--benchmark", "line:povline", "--groups", "decile", "--strata",
         "strata", "--psu", "psu"],
        dict(recipient="pkh", benchmark="line:povline", groups="decile",
             design=pkh.Design(strata="strata", psu="psu"))),
    "score_quota_domains": (
        ["--score", "pcexp", "--quota", "0.15", "--benchmark", "share:0.1", "--by", "urban"],
        dict(score="pcexp", quota=0.15, benchmark="share:0.1", by="urban")),
    "cutoff_benefit_filter_define": (
        ["--define", "score=pcexp/hhsize", "--define", "amount=pkh*3000000", "--score", "score",
         "--cutoff", "200000", "--benefit", "amount", "--benchmark", "line:450000",
         "--filter", "urban == 0", "--strata", "strata", "--psu", "psu", "--level", "0.9",
         "--quantile-rule", "ge"],
        dict(define=["score=pcexp/hhsize", "amount=pkh*3000000"], score="score",
             cutoff=200000, benefit="amount", benchmark="line:450000", filter="urban == 0",
             strata="strata", psu="psu", level=0.9, quantile_rule="ge")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_cli(case, cli, tmp_path):
    args, kwargs = CASES[case]
    scored = "score" in kwargs
    curve = tmp_path / "curve.csv"
    want = cli.json("targeting", SAMPLE, *BASE[0], *args, *(["--curve", curve] if scored else []))
    for form, data in data_forms(SAMPLE).items():
        got = pkh.targeting(data, **BASE[1], **kwargs, curve=scored)
        df = got[0] if scored else got
        assert_same_results(df, want)
        assert_same_meta(df.attrs["meta"], want["meta"],
                         ignore=() if form == "path" else ("file",))
        if scored:
            want_curve = pkh.read_csv(curve).to_pandas(strings="object")
            assert list(got[1].columns) == list(want_curve.columns)
            for name in want_curve.columns:
                a, b = got[1][name], want_curve[name]
                assert a.isna().tolist() == b.isna().tolist(), name
                assert (a[a.notna()] == b[b.notna()]).all(), name


def test_arguments():
    with pytest.raises(TypeError):
        pkh.targeting(SAMPLE, income="pcexp", benchmark="share:0.2")
    with pytest.raises(TypeError):
        pkh.targeting(SAMPLE, income="pcexp", benchmark="share:0.2", score="pcexp")
    with pytest.raises(TypeError):
        pkh.targeting(SAMPLE, income="pcexp", benchmark="share:0.2", recipient="pkh",
                      curve=True)
    df = pkh.targeting(SAMPLE, income="pcexp", benchmark="share:0.2", recipient="pkh")
    assert df["se"].isna().all() and np.isfinite(df["estimate"][0])
