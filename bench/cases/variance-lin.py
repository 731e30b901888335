#!/usr/bin/python3
"""Benchmark case `variance-lin` (issue 5): what linearised standard errors cost.

`pkh indicators` with the default indicators (fgt0 fgt1 fgt2 poor gini mean median population)
at the per-row line, by province, on the household file (10 million rows by default), run
interleaved in these configurations:

  point      --se none: the point estimates alone (the reference)
  srs        --se linearized without a design: simple random sampling of rows
  strata     --strata province: rows as PSUs within 34 strata
  design     --strata s --psu psu with s = floor(hhid / 3000), psu = floor(hhid / 10) defined
             on the fly (--define): 10 households a PSU, 30 PSUs a stratum, 1 million PSUs in
             3,334 strata, as a SUSENAS scaled up (the generated file has no design columns;
             the --define cost is counted against the SEs)
  point+def  --se none with the same --define, to show what the two derived columns cost

Target (from the issue): linearised SEs cost at most 2x the point estimates alone, i.e. the
median time of `strata` and `design` at most 2x `point`'s. Agreement: every configuration prints
the same estimates as `point` within 1e-12 relative (point estimates alone take a shorter road,
whose sums run in other orders: docs/indicators.md), and the SE columns are filled (SEs are
checked against R in the unit tests, not here). Environment as bench/cases/describe.py.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib as bl  # noqa: E402

TARGET = 2.0
REL_TOL = 1e-12  # estimates of the linearised pass against the point estimates' shorter road
DEFINES = ["--define", "s=floor(hhid / 3000)", "--define", "psu=floor(hhid / 10)"]


def configurations(pkh, data):
    base = [pkh, "indicators", data, "--income", "pcexp", "--weight", "weight", "--size",
            "hhsize", "--line", "povline", "--by", "province", "--format", "csv"]
    return [
        ("point", base + ["--se", "none"]),
        ("srs", base + ["--se", "linearized"]),
        ("strata", base + ["--strata", "province"]),
        ("design", base + DEFINES + ["--strata", "s", "--psu", "psu"]),
        ("point+def", base + DEFINES + ["--se", "none"]),
    ]


def check(records, names):
    """Estimates equal to point's (to rounding); SEs filled where the method gives them."""
    first = {n: next(r for r in records if r["tool"] == n)["output"] for n in names}
    ref = bl.read_csv_rows(first["point"])
    ok = True
    for name in names:
        rows = bl.read_csv_rows(first[name])
        same = len(rows) == len(ref) and all(
            a["estimate"] == b["estimate"] or
            abs(float(a["estimate"]) - float(b["estimate"])) <=
            REL_TOL * abs(float(b["estimate"]))
            for a, b in zip(rows, ref))
        filled = all(r["se"] != "" for r in rows if r["indicator"] != "population") \
            if name not in ("point", "point+def") else all(r["se"] == "" for r in rows)
        if not same or not filled:
            print(f"DISAGREE: {name}: estimates {'equal' if same else 'DIFFER'}, "
                  f"se {'as expected' if filled else 'NOT as expected'}")
            ok = False
    if ok:
        print(f"agreement: all {len(names)} configurations print the same {len(ref)} estimates; "
              f"the linearised ones fill every se")
    return ok


def main():
    data, pkh, out = os.environ["BENCH_DATA"], os.environ["PKH"], os.environ["BENCH_OUT"]
    runs = bl.env_int("BENCH_RUNS", 3)
    tools = configurations(pkh, data)
    names = [n for n, _ in tools]
    print(f"== variance-lin: {os.path.basename(data)} ({os.path.getsize(data) / bl.MB:.0f} MB), "
          f"{runs} run(s) of {', '.join(names)}, interleaved; {os.cpu_count()} cores")
    records = bl.run_timed(tools, runs, out, warm=data)
    print()
    agree = check(records, names)
    summary = bl.summarise(records, names)
    point = summary["point"]
    table, saved = [], []
    for n in names:
        s = summary[n]
        cpu = sorted(r["cpu_seconds"] for r in records if r["tool"] == n)[len(
            [r for r in records if r["tool"] == n]) // 2]
        ratio = s["median_s"] / point["median_s"]
        table.append([n, f"{s['median_s']:.2f}", f"{s['min_s']:.2f}", f"{s['max_s']:.2f}",
                      f"{cpu:.2f}", f"{s['peak_bytes'] / bl.MB:.0f}", f"{ratio:.2f}x"])
        saved.append(dict(s, case="variance-lin", time_ratio_vs_point=round(ratio, 4),
                          median_cpu_s=round(cpu, 3), agree=int(agree)))
    print()
    print(bl.format_table(["config", "median s", "min s", "max s", "cpu s", "peak MB",
                           "time / point"], table))
    met = True
    for n in ("strata", "design"):
        r = summary[n]["median_s"] / point["median_s"]
        met = met and r <= TARGET
        print(f"target (linearised SEs <= {TARGET:g}x the point estimates), {n}: "
              f"{'MET' if r <= TARGET else 'MISSED'} ({r:.2f}x)")
    for s in saved:
        s["target_met"] = int(met)
    bl.write_csv(out + "-runs.csv", ["tool", "round", "seconds", "cpu_seconds", "peak_bytes",
                                       "others_load", "waited_s"], records)
    bl.write_csv(out + "-summary.csv", ["case", "tool", "runs", "median_s", "min_s", "max_s",
                                          "median_cpu_s", "peak_bytes", "time_ratio_vs_point",
                                          "target_met", "agree"], saved)
    print(f"\nresults: {out}-summary.csv, {out}-runs.csv, outputs in {out}-outputs/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
