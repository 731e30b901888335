# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.describe gives exactly the numbers of `pkh describe FILE --format json`."""
import math

import numpy as np
import pandas as pd
import pytest

import pkh

FIELDS = ["column", "type", "count", "missing", "min", "mean", "max", "distinct"]


def same_as_cli(df, cli_json):
    rows = cli_json["results"]
    assert list(df.columns) == FIELDS
    assert len(df) == len(rows)
    for got, want in zip(df.to_dict("records"), rows):
        for field in FIELDS:
            g, w = got[field], want[field]
            if w is None:
                assert g is pd.NA or (isinstance(g, float) and math.isnan(g)), (field, got)
            else:
                assert g == w, (got["column"], field, g, w)  # exactly: JSON round-trips doubles
                assert type(g) is not str or type(w) is str


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Missing values in every type, bools, negative numbers, an all-missing column."""
    p = tmp_path_factory.mktemp("messy") / "messy.csv"
    rng = np.random.default_rng(8)
    lines = ["id,income,flag,region,code,empty"]
    for i in range(2500):
        income = "" if i % 17 == 0 else f"{rng.normal(1e6, 4e5):.2f}"
        flag = "" if i % 13 == 0 else ("true" if rng.random() < 0.3 else "false")
        region = "NA" if i % 11 == 0 else f"R{rng.integers(0, 40):02d}"
        code = "" if i % 7 == 0 else str(int(rng.integers(-500, 500)))
        lines.append(f"{i},{income},{flag},{region},{code},")
    p.write_text("\n".join(lines) + "\n")
    return p


def test_sample(sample, cli):
    df = pkh.describe(sample)
    same_as_cli(df, cli.json("describe", sample))
    meta = df.attrs["meta"]
    want = cli.json("describe", sample)["meta"]
    for key in ("command", "file", "rows", "columns", "delimiter", "gzip", "bytes", "version"):
        assert meta[key] == want[key], key


def test_missing_values_bools_and_options(messy, cli):
    same_as_cli(pkh.describe(messy), cli.json("describe", messy))
    same_as_cli(pkh.describe(messy, columns=["code", "income"]),
                cli.json("describe", messy, "--columns", "code,income"))
    same_as_cli(pkh.describe(messy, dtypes={"id": "string", "code": "float64"}),
                cli.json("describe", messy, "--types", "id:string,code:float64"))
    same_as_cli(pkh.describe(messy, na_values=["R05"], threads=1),
                cli.json("describe", messy, "--na", "R05", "--threads", "1"))


def test_decimal_comma(tmp_path, cli):
    p = tmp_path / "dc.csv"
    p.write_text("a;b\n1,5;2\n-3,25;\n")
    same_as_cli(pkh.describe(p, decimal=","), cli.json("describe", p, "--decimal", ","))


def test_every_kind_of_data_gives_the_same_numbers(messy, cli):
    want = cli.json("describe", messy)
    t = pkh.read_csv(messy)
    same_as_cli(pkh.describe(t), want)
    # summarised while reading (as describe on a path does) or after: the same numbers
    same_as_cli(pkh.describe(pkh.read_csv(messy, summaries=True)), want)
    same_as_cli(pkh.describe(messy, summaries=False), want)
    # back and forth through pandas and numpy: the same values, so the same numbers
    same_as_cli(pkh.describe(t.to_pandas()), want)
    arrays = {name: t.column(name) for name in t.columns}
    described = pkh.describe(arrays)
    same_as_cli(described, want)
