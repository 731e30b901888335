#!/usr/bin/python3
"""The `profile` benchmark's pandas peer: what a user would write without pkh.

Usage: /usr/bin/python3 bench/profile_pandas.py FILE

Reads the five columns it needs from FILE with pandas.read_csv (usecols; otherwise the
defaults: the C parser, types inferred), as pkh and the other peers do, and prints, as CSV,
the poverty profile by province that `pkh indicators FILE --income pcexp --weight weight
--size hhsize --line povline --by province --indicators fgt0,fgt1,fgt2,gini` computes:
province,indicator,estimate,n,population; the whole population first (empty province),
then each province. Definitions (pkh's, docs/indicators.md), with person weight
pw = weight x hhsize, y = pcexp, z = povline (per row), poor when y < z:
  FGT(a) = sum pw (1 - y/z)^a 1(y < z) / sum pw                          a = 0, 1, 2
  Gini   = sum_i pw_i y_i (2 C_i - pw_i - W) / (W sum pw y), ascending y, C_i = cumulative
           pw up to and including i, W = sum pw (laeken/DASP; tied incomes give the same
           value in any order).
Run it with Debian's /usr/bin/python3 and python3-pandas.
"""
import sys

import numpy as np
import pandas as pd


def gini(y, pw):
    """Weighted Gini of incomes y (sorted ascending) with person weights pw."""
    cum = np.cumsum(pw)
    total = cum[-1]
    return float(np.sum(pw * y * (2.0 * cum - pw - total)) / (total * np.sum(pw * y)))


def main(path):
    frame = pd.read_csv(path, usecols=["province", "weight", "hhsize", "pcexp", "povline"])
    y = frame["pcexp"].to_numpy(dtype=np.float64)
    z = frame["povline"].to_numpy(dtype=np.float64)
    pw = frame["weight"].to_numpy(dtype=np.float64) * frame["hhsize"].to_numpy(dtype=np.float64)
    gap = np.where(y < z, 1.0 - y / z, 0.0)
    parts = pd.DataFrame({
        "province": frame["province"],
        "pw": pw,
        "p0": pw * (y < z),
        "p1": pw * gap,
        "p2": pw * gap * gap,
    })
    by = parts.groupby("province", sort=True).agg(
        n=("pw", "size"), pw=("pw", "sum"), p0=("p0", "sum"), p1=("p1", "sum"),
        p2=("p2", "sum"))

    # Gini: one sort by (province, pcexp) for the provinces, one by pcexp for the total.
    ordered = pd.DataFrame({"province": frame["province"], "y": y, "pw": pw}).sort_values(
        ["province", "y"], kind="stable")
    ginis = {name: gini(g["y"].to_numpy(), g["pw"].to_numpy())
             for name, g in ordered.groupby("province", sort=True)}
    order = np.argsort(y, kind="stable")
    ginis[""] = gini(y[order], pw[order])

    rows = [("", len(frame), pw.sum(), parts["p0"].sum(), parts["p1"].sum(),
             parts["p2"].sum())]
    rows += [(name, r.n, r.pw, r.p0, r.p1, r.p2) for name, r in by.iterrows()]
    out = ["province,indicator,estimate,n,population"]
    for name, n, total, p0, p1, p2 in rows:
        for indicator, value in (("fgt0", p0 / total), ("fgt1", p1 / total),
                                 ("fgt2", p2 / total), ("gini", ginis[name])):
            out.append(f"{name},{indicator},{float(value)!r},{int(n)},{float(total)!r}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: profile_pandas.py FILE")
    main(sys.argv[1])
