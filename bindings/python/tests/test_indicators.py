# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.indicators gives exactly the results and metadata of `pkh indicators --format json`,
from a path, a Table, a DataFrame and a dict of numpy arrays."""
import numpy as np
import pandas as pd
import pytest

import pkh

from conftest import SAMPLE, assert_same_meta, assert_same_results, data_forms

BASE = (["--income", "pcexp", "--weight", "weight", "--size", "hhsize"],
        dict(income="pcexp", weight="weight", size="hhsize"))

CASES = {
    "profile_by_province_with_design": (
        ["--line", "povline", "--by", "province", "--indicators", "fgt0,fgt1,fgt2,gini",
         "--strata", "strata", "--psu", "psu"],
        dict(line="povline", by="province", indicators=["fgt0", "fgt1", "fgt2", "gini"],
             design=pkh.Design(strata="strata", psu="psu"))),
    "defaults_srs": (["--line", "povline"], dict(line="povline")),
    "define_and_filter": (
        ["--define", "pc2=pcexp/1000", "--define", "big=hhsize>=5", "--line", "rel:0.6:median",
         "--by", "big", "--filter", "urban == 1", "--strata", "strata", "--psu", "psu",
         "--indicators", "fgt0,fgt1,mean,median,lorenz:0.5"],
        dict(define={"pc2": "pcexp/1000", "big": "hhsize>=5"}, line="rel:0.6:median",
             by="big", filter="urban == 1", strata="strata", psu="psu",
             indicators="fgt0,fgt1,mean,median,lorenz:0.5")),
    "bootstrap": (
        ["--line", "povline", "--by", "urban", "--se", "bootstrap:40", "--seed", "7", "--ci",
         "percentile", "--strata", "strata", "--psu", "psu", "--indicators",
         "fgt0,gini,median"],
        dict(line="povline", by="urban", se="bootstrap:40", seed=7, ci="percentile",
             strata="strata", psu="psu", indicators=["fgt0", "gini", "median"])),
    "no_se_no_total_two_keys": (
        ["--line", "450000", "--se", "none", "--no-total", "--quantile-rule", "ge", "--by",
         "urban,head_sex", "--indicators", "fgt0,median,quantile:0.25,share_d10,palma"],
        dict(line=450000, se="none", no_total=True, quantile_rule="ge",
             by=["urban", "head_sex"],
             indicators=["fgt0", "median", "quantile:0.25", "share_d10", "palma"])),
    "deff_contrast_fpc_lonely": (
        ["--define", "f=2000", "--line", "povline", "--by", "urban", "--contrast", "urban=1-0",
         "--deff", "--strata", "strata", "--psu", "psu", "--fpc", "f", "--lonely-psu",
         "adjust", "--level", "0.9", "--quantile-se", "kernel", "--indicators",
         "fgt0,gini,median"],
        dict(define=["f=2000"], line="povline", by="urban", contrast="urban=1-0", deff=True,
             design=pkh.Design("strata", "psu", "f", lonely_psu="adjust"), level=0.9,
             quantile_se="kernel", indicators="fgt0,gini,median")),
    "replicate_weights": (
        ["--define", "rw1=weight*0.9", "--define", "rw2=weight*1.1", "--define",
         "rw3=weight*(1+urban/10)", "--repweights", "rw", "--reptype", "fay:0.5", "--line",
         "povline", "--by", "urban", "--indicators", "fgt0,gini"],
        dict(define=["rw1=weight*0.9", "rw2=weight*1.1", "rw3=weight*(1+urban/10)"],
             repweights="rw", reptype="fay:0.5", line="povline", by="urban",
             indicators="fgt0,gini")),
    "lorenz_curve": (
        ["--indicators", ",".join(f"lorenz:{p / 20:g}" for p in range(1, 20)),
         "--strata", "strata", "--psu", "psu"],
        dict(indicators=[f"lorenz:{p / 20:g}" for p in range(1, 20)], strata="strata",
             psu="psu")),
}


def cli_args(path, args):
    return ["indicators", path, *BASE[0], *args]


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_cli(case, cli):
    args, kwargs = CASES[case]
    want = cli.json(*cli_args(str(SAMPLE), args))
    for form, data in data_forms(SAMPLE).items():
        df = pkh.indicators(data, **BASE[1], **kwargs)
        assert_same_results(df, want)
        assert_same_meta(df.attrs["meta"], want["meta"],
                         ignore=() if form == "path" else ("file",))
        if form != "path":
            assert df.attrs["meta"]["file"] == (str(SAMPLE) if form == "table" else None)


def test_lines_looked_up(tmp_path, cli):
    t = pkh.read_csv(SAMPLE)
    df = t.to_pandas()
    lines = (df.groupby(["province", "urban"], observed=True)["povline"].first()
             .reset_index())
    path = tmp_path / "lines.csv"
    lines.to_csv(path, index=False)
    want = cli.json("indicators", SAMPLE, *BASE[0], "--lines", path, "--line-keys",
                    "province,urban", "--by", "urban", "--indicators", "fgt0,fgt2,line")
    for lines_data in (str(path), pkh.read_csv(path), lines):
        got = pkh.indicators(df, **BASE[1], lines=lines_data, line_keys="province,urban",
                             by="urban", indicators=["fgt0", "fgt2", "line"])
        assert_same_results(got, want)
    # and the same numbers as the per-row line column
    direct = pkh.indicators(t, **BASE[1], line="povline", by="urban",
                            indicators=["fgt0", "fgt2", "line"])
    assert np.array_equal(direct["estimate"], got["estimate"])


@pytest.fixture(scope="module")
def with_missing(tmp_path_factory):
    """The sample with empty incomes and provinces in some rows (NaN and None in pandas)."""
    lines = SAMPLE.read_text().splitlines()
    head = lines[0].split(",")
    inc, prov = head.index("pcexp"), head.index("province")
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        f = line.split(",")
        if i % 37 == 0:
            f[inc] = ""
        if i % 53 == 0:
            f[prov] = ""
        out.append(",".join(f))
    p = tmp_path_factory.mktemp("missing") / "missing.csv"
    p.write_text("\n".join(out) + "\n")
    return p


def test_missing_values_and_nan(with_missing, cli):
    want = cli.json("indicators", with_missing, *BASE[0], "--line", "povline", "--by",
                    "province", "--strata", "strata", "--psu", "psu")
    assert want["meta"]["excluded"]["missing_income"] > 0
    assert want["meta"]["excluded"]["missing_key"] > 0
    for form, data in data_forms(with_missing).items():
        df = pkh.indicators(data, **BASE[1], line="povline", by="province", strata="strata",
                            psu="psu")
        assert_same_results(df, want)
        assert df.attrs["meta"]["excluded"] == want["meta"]["excluded"], form
    # a plain float array with NaN: NaN is a missing income, as "NaN" in a CSV file
    t = pkh.read_csv(with_missing)
    arrays = {n: t.column(n, na="nan") if n == "pcexp" else t.column(n) for n in t.columns}
    assert np.isnan(arrays["pcexp"]).any() and not np.ma.isMaskedArray(arrays["pcexp"])
    df = pkh.indicators(arrays, **BASE[1], line="povline", by="province", strata="strata",
                        psu="psu")
    assert_same_results(df, want)


def test_result_types():
    df = pkh.indicators(SAMPLE, **BASE[1], line="povline", by=["province", "urban"],
                        indicators=["fgt0"], se="none")
    assert list(df.columns) == ["province", "urban", "indicator", "estimate", "se", "ci_low",
                                "ci_high", "n", "population"]
    assert df["province"].dtype == object and df["province"][0] is None
    assert str(df["urban"].dtype) == "Int64" and df["urban"][0] is pd.NA
    assert df["n"].dtype == np.int64 and df["estimate"].dtype == np.float64
    assert df["se"].isna().all()
    df.loc[0, "estimate"] = 1.0  # the results are the DataFrame's own memory
    assert df.attrs["meta"]["standard_errors"] == {"method": "none",
                                                   "note": "point estimates only (--se none)"}


def test_threads_do_not_change_the_numbers():
    kwargs = dict(**BASE[1], line="povline", by="province", strata="strata", psu="psu")
    one = pkh.indicators(SAMPLE, threads=1, **kwargs)
    many = pkh.indicators(SAMPLE, threads=4, **kwargs)
    pd.testing.assert_frame_equal(one, many)


def test_arguments():
    with pytest.raises(TypeError):
        pkh.indicators(SAMPLE, weight="weight")  # income is required
    with pytest.raises(TypeError):
        pkh.indicators(SAMPLE, income="pcexp", design=pkh.Design(psu="psu"), strata="strata")
    with pytest.raises(TypeError):
        pkh.indicators(SAMPLE, income="pcexp", lines="x.csv")
    with pytest.raises(TypeError):
        pkh.indicators(pkh.read_csv(SAMPLE), income="pcexp", read_options={"delimiter": ";"})
    assert repr(pkh.Design("s", "p", lonely_psu="adjust")) == \
        "pkh.Design(strata='s', psu='p', lonely_psu='adjust')"
    # reading options go to the reader for paths
    df = pkh.indicators(SAMPLE, income="pcexp", read_options={"delimiter": ","})
    assert len(df) == 4
