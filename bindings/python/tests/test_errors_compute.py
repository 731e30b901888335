# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input to pkh.indicators, pkh.targeting, pkh.simulate and pkh.pmt raises pkh.Error with
the message the CLI prints after "pkh: " (and the CLI exits with status 1), never a crash."""
import pytest

import pkh

from conftest import SAMPLE

W = ["--income", "pcexp", "--weight", "weight", "--size", "hhsize"]
KW = dict(income="pcexp", weight="weight", size="hhsize")

CASES = {
    "missing_column": (["indicators", "--income", "nope"],
                       lambda d: pkh.indicators(d, income="nope")),
    "bad_indicator": (["indicators", *W, "--indicators", "fgt0,fgt9x"],
                      lambda d: pkh.indicators(d, **KW, indicators="fgt0,fgt9x")),
    "filter_syntax": (["indicators", *W, "--filter", "urban == = 1"],
                      lambda d: pkh.indicators(d, **KW, filter="urban == = 1")),
    "define_syntax": (["indicators", *W, "--define", "pc=pcexp/"],
                      lambda d: pkh.indicators(d, **KW, define={"pc": "pcexp/"})),
    "define_type": (["indicators", *W, "--define", "x=province + 1", "--by", "x"],
                    lambda d: pkh.indicators(d, **KW, define=["x=province + 1"], by="x")),
    "filter_not_a_condition": (["indicators", *W, "--filter", "pcexp + 1"],
                               lambda d: pkh.indicators(d, **KW, filter="pcexp + 1")),
    "lonely_psu": (["indicators", *W, "--strata", "psu", "--psu", "psu"],
                   lambda d: pkh.indicators(d, **KW, strata="psu", psu="psu")),
    "bad_line": (["indicators", *W, "--line", "rel:x:median"],
                 lambda d: pkh.indicators(d, **KW, line="rel:x:median")),
    "bad_se": (["indicators", *W, "--se", "jackknife"],
               lambda d: pkh.indicators(d, **KW, se="jackknife")),
    "bad_quantile_rule": (["indicators", *W, "--quantile-rule", "lt"],
                          lambda d: pkh.indicators(d, **KW, quantile_rule="lt")),
    "contrast_no_group": (["indicators", *W, "--by", "urban", "--contrast", "urban=1-5"],
                          lambda d: pkh.indicators(d, **KW, by="urban", contrast="urban=1-5")),
    "poverty_without_line": (["indicators", *W, "--indicators", "fgt0"],
                             lambda d: pkh.indicators(d, **KW, indicators=["fgt0"])),
    "quota_out_of_range": (
        ["targeting", *W, "--score", "pcexp", "--quota", "1.5", "--benchmark", "share:0.2"],
        lambda d: pkh.targeting(d, **KW, score="pcexp", quota=1.5, benchmark="share:0.2")),
    "bad_benchmark": (["targeting", *W, "--recipient", "pkh", "--benchmark", "share:2"],
                      lambda d: pkh.targeting(d, **KW, recipient="pkh", benchmark="share:2")),
    "text_recipient": (["targeting", *W, "--recipient", "province", "--benchmark",
                        "share:0.2"],
                       lambda d: pkh.targeting(d, **KW, recipient="province",
                                               benchmark="share:0.2")),
    "unknown_program": (["simulate", "--program", "pkh-1999", "--all"],
                        lambda d: pkh.simulate(d, program="pkh-1999", all=True)),
    "unknown_component": (["simulate", "--program", "pkh-2019", "--all", "--amount", "foo=1"],
                          lambda d: pkh.simulate(d, program="pkh-2019", all=True,
                                                 amount={"foo": 1})),
    "negative_cap": (["simulate", "--program", "pkh-2019", "--all", "--cap", "-1"],
                     lambda d: pkh.simulate(d, program="pkh-2019", all=True, cap=-1)),
    "collinear": (["pmt", "--target", "pcexp", "--define", "h2=hhsize*2", "--covariates",
                   "hhsize,h2"],
                  lambda d: pkh.pmt(d, target="pcexp", define={"h2": "hhsize*2"},
                                    covariates="hhsize,h2")),
    "one_fold": (["pmt", "--target", "pcexp", "--covariates", "hhsize", "--folds", "1"],
                 lambda d: pkh.pmt(d, target="pcexp", covariates="hhsize", folds=1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_is_the_cli_one(name, cli):
    args, call = CASES[name]
    r = cli.run(args[0], SAMPLE, *args[1:], "--format", "json")
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("pkh: ") and r.stderr.count("\n") == 1, r.stderr
    for data in (str(SAMPLE), pkh.read_csv(SAMPLE).to_pandas()):
        with pytest.raises(pkh.Error) as e:
            call(data)
        if name == "missing_column" and not isinstance(data, str):
            # a DataFrame has no header: the table's own words
            assert str(e.value).startswith('no column named "nope" (the columns are: hhid,')
            continue
        assert f"pkh: {e.value}\n" == r.stderr
        assert isinstance(e.value.code, int) and e.value.code != 0


def test_bad_data_rows(tmp_path, cli):
    """A missing weight in row 5: the same message (naming the column and the data row)."""
    lines = SAMPLE.read_text().splitlines()
    head = lines[0].split(",")
    f = lines[5].split(",")
    f[head.index("weight")] = ""
    lines[5] = ",".join(f)
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    r = cli.run("indicators", p, *W, "--format", "json")
    assert r.returncode == 1
    t = pkh.read_csv(p)
    arrays = {n: t.column(n, na="nan") for n in ("pcexp", "weight", "hhsize")}
    # a Table made from the arrays reads NaN as missing, as the CSV reader does
    for data in (str(p), t, t.to_pandas().pipe(pkh.Table.from_pandas),
                 pkh.Table.from_arrays(arrays)):
        with pytest.raises(pkh.Error) as e:
            pkh.indicators(data, **KW)
        assert f"pkh: {e.value}\n" == r.stderr
        assert "weight" in str(e.value)
    # NaN in a DataFrame or array stays a value in the analysis functions' tables (no extra
    # read of the column): a NaN weight is refused as an invalid one, not named missing
    for data in (arrays, t.to_pandas()):
        with pytest.raises(pkh.Error) as e:
            pkh.indicators(data, **KW)
        assert str(e.value) == 'negative or invalid weight in column "weight" at data row 5'


def test_wrong_types_raise_python_errors():
    with pytest.raises(TypeError):
        pkh.indicators(42, income="pcexp")
    with pytest.raises(TypeError):
        pkh.indicators(SAMPLE, income="pcexp", by=[1, 2])
    with pytest.raises(TypeError):
        pkh.indicators(SAMPLE, income="pcexp", define=[3])
    with pytest.raises(ValueError):
        pkh.indicators(SAMPLE, income="pcexp", threads=-1)
