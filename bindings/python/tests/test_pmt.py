# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.pmt gives exactly the results, metadata and scores of `pkh pmt`, from a path, a Table,
a DataFrame and a dict of numpy arrays."""
import numpy as np
import pytest

import pkh

from conftest import SAMPLE, assert_same_meta, assert_same_results, data_forms

CASES = {
    "design_folds_quota": (
        ["--target", "pcexp", "--log", "--covariates", "hhsize,assets,n_working",
         "--categorical", "roof,floor", "--weight", "weight", "--strata", "strata", "--psu",
         "psu", "--folds", "5", "--quota", "0.15", "--benchmark", "line:povline", "--size",
         "hhsize", "--id", "hhid"],
        dict(target="pcexp", log=True, covariates="hhsize,assets,n_working",
             categorical=["roof", "floor"], weight="weight", strata="strata", psu="psu",
             folds=5, quota=0.15, benchmark="line:povline", size="hhsize", id="hhid")),
    "model_by_filter_define_seed": (
        ["--define", "pc=pcexp/1000", "--target", "pc", "--covariates", "hhsize,assets",
         "--categorical", "water", "--model-by", "urban", "--filter", "hhsize <= 8",
         "--folds", "4", "--seed", "9", "--level", "0.9"],
        dict(define={"pc": "pcexp/1000"}, target="pc", covariates=["hhsize", "assets"],
             categorical="water", model_by="urban", filter="hhsize <= 8", folds=4, seed=9,
             level=0.9)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_cli(case, cli, tmp_path):
    args, kwargs = CASES[case]
    out = tmp_path / "scores.csv"
    want = cli.json("pmt", SAMPLE, *args, "--out", out)
    want_scores = pkh.read_csv(out).to_pandas()
    for form, data in data_forms(SAMPLE).items():
        df, scores = pkh.pmt(data, **kwargs, scores=True)
        assert_same_results(df, want)
        assert_same_meta(df.attrs["meta"], want["meta"],
                         ignore=() if form == "path" else ("file",))
        assert list(scores.columns) == list(want_scores.columns)
        for name in scores.columns:
            a, b = scores[name], want_scores[name]
            assert a.isna().tolist() == b.isna().tolist(), name
            assert (a[a.notna()].to_numpy() == b[b.notna()].to_numpy()).all(), name


def test_without_scores_and_arguments():
    df = pkh.pmt(SAMPLE, target="pcexp", covariates="hhsize")
    assert set(df["term"].dropna()) == {"(Intercept)", "hhsize"}
    assert np.isfinite(df["estimate"][0])
    with pytest.raises(TypeError):
        pkh.pmt(SAMPLE, target="pcexp")
    with pytest.raises(TypeError):
        pkh.pmt(SAMPLE, target="pcexp", covariates="hhsize", quota=0.1)
    with pytest.raises(TypeError):
        pkh.pmt(SAMPLE, target="pcexp", covariates="hhsize", seed=3)
