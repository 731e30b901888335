#!/usr/bin/python3
"""Benchmark case `profile-loaded` (issue 4): pkh's poverty profile by province on data already
in memory, against the speed of memory.

bench/profile_loaded.c (built by bench/run.sh against build/lib/libpkh.a) reads the five
columns the profile uses once, then times pkh_indicators_compute() BENCH_LOADED_REPS times
(default 5) for each of three requests, interleaved:
  full  fgt0,fgt1,fgt2,gini by province (what `pkh indicators --by province` computes)
  fgt   fgt0,fgt1,fgt2 by province      (single passes)
  gini  gini by province                (one sort per group)
and a plain read of the five columns' bytes on every core ("pass": the memory speed this
machine reaches). The issue asks for "close to memory speed" on loaded data; the case prints
each request's median beside the bound of one read of the column bytes at 10 GB/s and at the
measured pass speed. The program runs BENCH_RUNS times (each a process, timed like the other
cases: wall, CPU, peak memory), after waiting for a quiet machine; the medians are over all
repetitions of all runs. Its results must equal those of the CLI, run once untimed.
Run by bench/run.sh, which sets BENCH_DATA, BENCH_RUNS, BENCH_OUT, PKH and PROFILE_LOADED.
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib as bl  # noqa: E402

MEMORY_SPEED = 10e9  # bytes per second: the "memory speed"
REQUESTS = (("full", "fgt0,fgt1,fgt2,gini"), ("fgt", "fgt0,fgt1,fgt2"), ("gini", "gini"))


def ms(seconds):
    """Milliseconds: whole ones from 100 up, else three significant digits."""
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def cli_reference(pkh, data, path):
    """The CLI's profile, run once (untimed), for the agreement check: point estimates, as the
    library call makes (the CLI's default adds linearised SEs, whose pass sums the Gini in
    another order: the last digit may differ)."""
    argv = [pkh, "indicators", data, "--income", "pcexp", "--weight", "weight", "--size",
            "hhsize", "--line", "povline", "--by", "province", "--indicators",
            REQUESTS[0][1], "--se", "none", "--format", "csv", "--output", path]
    subprocess.run(argv, check=True)
    return bl.read_csv_rows(path)


def same_results(cli, lib):
    """Messages for every (group, indicator) where the library's numbers differ from the CLI's
    (estimate, n and population, exactly: the same library computes both)."""
    if len(cli) != len(lib):
        return [f"{len(lib)} rows, the CLI {len(cli)}"]
    problems = []
    for c, r in zip(cli, lib):
        for key in ("province", "indicator", "estimate", "n", "population"):
            if c[key] != r[key] and not (key in ("estimate", "population")
                                         and float(c[key]) == float(r[key])):
                problems.append(f"{c['province'] or '(total)'} {c['indicator']}: {key} "
                                f"{r[key]}, CLI {c[key]}")
    return problems


def main():
    data, pkh, out = os.environ["BENCH_DATA"], os.environ["PKH"], os.environ["BENCH_OUT"]
    program = os.environ.get("PROFILE_LOADED", "bench/data/profile_loaded")
    runs = bl.env_int("BENCH_RUNS", 3)
    reps = bl.env_int("BENCH_LOADED_REPS", 5)
    os.makedirs(out + "-outputs", exist_ok=True)
    results = os.path.join(out + "-outputs", "pkh-loaded-results.csv")

    print(f"== profile-loaded: {os.path.basename(data)} ({os.path.getsize(data) / bl.MB:.0f} MB)"
          f", {runs} run(s) x {reps} repetitions of each request; {os.cpu_count()} cores")
    records = bl.run_timed([("pkh-loaded", [program, data, str(reps), results])], runs, out,
                           warm=data)
    timings = []
    for rec in records:
        with open(rec["output"]) as f:
            timings.append(json.load(f))
    t0 = timings[0]
    rows, column_bytes, threads = t0["rows"], t0["column_bytes"], t0["threads"]
    print(f"   pkh {t0['pkh']} (library, {threads} threads); loaded {rows:,} rows in "
          f"{statistics.median(t['load_s'] for t in timings):.2f} s (median); "
          f"column bytes {column_bytes / bl.MB:.0f} MB (province codes 4 + weight, hhsize, "
          f"pcexp, povline 8 each per row)")

    # agreement with the CLI
    cli = cli_reference(pkh, data, os.path.join(out + "-outputs", "pkh-cli.csv"))
    problems = same_results(cli, bl.read_csv_rows(results))
    for p in problems[:20]:
        print(f"DISAGREE: library (pkh_indicators_compute) and CLI: {p}")
    agree = not problems
    if agree:
        print(f"agreement: pkh_indicators_compute on the loaded table gives the CLI's numbers "
              f"exactly ({len(cli)} rows)")

    bound = column_bytes / MEMORY_SPEED
    pass_s = [v for t in timings for v in t["pass_s"]]
    pass_med = statistics.median(pass_s)
    print()
    table, saved = [], []
    for name, what in REQUESTS + (("pass", "read the column bytes"),):
        times = [v for t in timings for v in t[f"{name}_s"]]
        med = statistics.median(times)
        table.append([name, what, ms(med), ms(min(times)), ms(max(times)),
                      f"{column_bytes / med / 1e9:.2f}",
                      f"{med / bound:.1f}x", f"{med / pass_med:.1f}x"])
        saved.append({"case": "profile-loaded", "request": name, "rows": rows,
                      "reps": len(times), "median_s": round(med, 6),
                      "min_s": round(min(times), 6), "max_s": round(max(times), 6),
                      "column_bytes": column_bytes, "bound_10gbs_s": round(bound, 6),
                      "over_bound": round(med / bound, 3),
                      "over_pass": round(med / pass_med, 3), "agree": int(agree)})
    print(bl.format_table(["request", "indicators", "median ms", "min ms", "max ms",
                           "GB/s", "/ 10 GB/s bound", "/ pass"], table))
    cpu = statistics.median(v for t in timings for v in t["full_cpu_s"])
    full = statistics.median(v for t in timings for v in t["full_s"])
    print(f"\nbound: {column_bytes / bl.MB:.0f} MB of columns / 10 GB/s = {ms(bound)} ms; "
          f"measured pass on {threads} threads: {ms(pass_med)} ms "
          f"({column_bytes / pass_med / 1e9:.1f} GB/s). GB/s: column bytes / median time.")
    print(f"full: median {ms(full)} ms wall, {ms(cpu)} ms CPU (all threads: "
          f"{cpu / full:.2f} cores busy on average)")
    for rec in records:
        print(f"  run {rec['round']}: process {rec['seconds']:.2f} s wall, "
              f"{rec['cpu_seconds']:.2f} s CPU, peak {rec['peak_bytes'] / bl.MB:.0f} MB")
    bl.write_csv(out + "-runs.csv", ["tool", "round", "seconds", "cpu_seconds", "peak_bytes",
                                       "others_load", "waited_s"], records)
    bl.write_csv(out + "-summary.csv", list(saved[0]), saved)
    print(f"\nresults: {out}-summary.csv, {out}-runs.csv, outputs in {out}-outputs/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
