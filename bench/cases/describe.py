#!/usr/bin/python3
"""Benchmark case `describe` (issue 2): `pkh describe` against pandas and DuckDB.

Each tool reads the household CSV and prints the same per-column summary
(column,type,count,missing,min,mean,max,distinct). The tools run interleaved, BENCH_RUNS
rounds; the case prints each tool's median wall time and peak memory, checks that the tools
agree, and says whether pkh meets the issue's two targets:
  speed   pkh's median time at least 5x shorter than the fastest peer's;
  memory  pkh's peak resident memory at most 1.5x the bytes of the loaded columns
          (rows x 8 per numeric column + 4 per string column).
Run by bench/run.sh, which sets BENCH_DATA, BENCH_RUNS, BENCH_OUT (the run's results prefix),
PKH, and optionally BENCH_TOOLS (default "pkh pandas duckdb"; pkh is always run) and
BENCH_QUIET_WAIT (seconds to wait for an idle machine before each run, default 30).
"""
import filecmp
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib as bl  # noqa: E402

SPEED_TARGET = 5.0    # pkh at least this many times faster than the fastest peer
MEMORY_TARGET = 1.5   # pkh's peak at most this many times the loaded column bytes
REL_TOL = 1e-9        # min, mean and max agree within this relative difference
COLUMN_BYTES = {"int64": 8, "float64": 8, "string": 4, "bool": 1}

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def peers(data):
    """The tools a user would otherwise pick, as (name, argv)."""
    return {
        "pandas": ["/usr/bin/python3", os.path.join(BENCH, "describe_pandas.py"), data],
        "duckdb": ["node", os.path.join(BENCH, "describe_duckdb.mjs"), data],
    }


def versions(pkh):
    """One line naming each tool's version."""
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    pandas = run(["/usr/bin/python3", "-c", "import pandas; print(pandas.__version__)"])
    try:
        with open(os.path.join(BENCH, "node_modules", "@duckdb", "node-api", "package.json")) as f:
            duckdb = json.load(f)["version"]
    except OSError:
        duckdb = "?"
    return f"{run([pkh, '--version'])}; pandas {pandas}; @duckdb/node-api {duckdb}"


def compare(reference, other):
    """Differences between two describe outputs (lists of row dicts), as messages; and the
    largest relative difference seen in a mean."""
    problems, worst = [], 0.0
    if [r["column"] for r in reference] != [r["column"] for r in other]:
        return ["different columns"], worst
    for ref, row in zip(reference, other):
        col = ref["column"]
        for key in ("type", "count", "missing", "distinct"):
            if ref[key] != row[key]:
                problems.append(f"{col}: {key} {row[key]!r}, pkh {ref[key]!r}")
        for key in ("min", "mean", "max"):
            if not bl.close_enough(ref[key], row[key], REL_TOL):
                problems.append(f"{col}: {key} {row[key]}, pkh {ref[key]}")
        if ref["mean"] and row["mean"]:
            x, y = float(ref["mean"]), float(row["mean"])
            worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-300))
    return problems, worst


def check_agreement(records, tool_names):
    """Every run of every tool against pkh's first run; pkh's runs byte for byte. Prints what
    it finds and returns True when all agree."""
    first = {n: next(r for r in records if r["tool"] == n)["output"] for n in tool_names}
    reference = bl.read_csv_rows(first["pkh"])
    ok = True
    for rec in records:
        if rec["tool"] == "pkh" and not filecmp.cmp(rec["output"], first["pkh"], shallow=False):
            print(f"DISAGREE: pkh round {rec['round']} printed other numbers than round 1")
            ok = False
    notes = []
    for name in tool_names[1:]:
        worst = 0.0
        for rec in (r for r in records if r["tool"] == name):
            problems, w = compare(reference, bl.read_csv_rows(rec["output"]))
            worst = max(worst, w)
            for p in problems:
                print(f"DISAGREE: {name} round {rec['round']}: {p}")
            ok = ok and not problems
        notes.append(f"{name} {worst:.1e}")
    if ok and len(tool_names) > 1:
        print(f"agreement: {', '.join(tool_names)} agree on all {len(reference)} columns in every "
              f"run (type, count, missing, distinct exactly; min, mean, max within "
              f"{REL_TOL:g} relative; largest relative difference of a mean from pkh: "
              f"{', '.join(notes)})")
    return ok


def loaded_bytes(pkh_rows):
    """rows x (8 per numeric column + 4 per string column), from pkh's own output."""
    rows = int(pkh_rows[0]["count"]) + int(pkh_rows[0]["missing"])
    per_row = sum(COLUMN_BYTES.get(r["type"], 8) for r in pkh_rows)
    numeric = sum(1 for r in pkh_rows if r["type"] != "string")
    return rows, rows * per_row, f"{rows:,} rows x ({numeric} numeric x 8 + " \
        f"{len(pkh_rows) - numeric} string x 4 bytes)"


def report(summary, tool_names, pkh_rows):
    """Print the side-by-side table and the targets; return the summary rows to save."""
    pkh = summary["pkh"]
    rows, loaded, loaded_how = loaded_bytes(pkh_rows)
    table, saved = [], []
    for name in tool_names:
        s = summary[name]
        ratio = s["median_s"] / pkh["median_s"]
        table.append([name, f"{s['median_s']:.3f}", f"{s['min_s']:.3f}", f"{s['max_s']:.3f}",
                      f"{s['peak_bytes'] / bl.MB:.0f}", f"{ratio:.2f}x",
                      f"{s['peak_bytes'] / loaded:.2f}"])
        saved.append(dict(s, case="describe", rows=rows, loaded_bytes=loaded,
                          time_ratio_vs_pkh=round(ratio, 4),
                          peak_over_loaded=round(s["peak_bytes"] / loaded, 4)))
    print(bl.format_table(["tool", "median s", "min s", "max s", "peak MB", "time / pkh",
                           "peak / loaded"], table))
    print(f"\nloaded column bytes: {loaded / bl.MB:.0f} MB = {loaded_how}")

    speed_ok = memory_ok = None
    if len(tool_names) > 1:
        fastest = min(tool_names[1:], key=lambda n: summary[n]["median_s"])
        speedup = summary[fastest]["median_s"] / pkh["median_s"]
        speed_ok = speedup >= SPEED_TARGET
        need = summary[fastest]["median_s"] / SPEED_TARGET
        print(f"target speed  (>= {SPEED_TARGET:g}x faster than the fastest peer): "
              f"{'MET' if speed_ok else 'MISSED'}: pkh is {speedup:.2f}x faster than {fastest}"
              + ("" if speed_ok else f"; pkh needs <= {need:.2f} s, takes {pkh['median_s']:.2f}"
                 f" s ({pkh['median_s'] / need:.2f}x too slow)"))
        best_peer = min(summary[n]["min_s"] for n in tool_names[1:])
        print(f"  (on each tool's fastest run, the least disturbed: {best_peer / pkh['min_s']:.2f}x)")
    allowed = MEMORY_TARGET * loaded
    memory_ok = pkh["peak_bytes"] <= allowed
    print(f"target memory (peak <= {MEMORY_TARGET:g}x loaded = {allowed / bl.MB:.0f} MB): "
          f"{'MET' if memory_ok else 'MISSED'}: pkh peak {pkh['peak_bytes'] / bl.MB:.0f} MB = "
          f"{pkh['peak_bytes'] / loaded:.2f}x loaded"
          + ("" if memory_ok else f" ({pkh['peak_bytes'] / allowed - 1:.0%} over)"))
    for s in saved:
        s["target_speed_met"] = "" if speed_ok is None else int(speed_ok)
        s["target_memory_met"] = int(memory_ok)
    return saved


def main():
    data, pkh, out = os.environ["BENCH_DATA"], os.environ["PKH"], os.environ["BENCH_OUT"]
    runs = bl.env_int("BENCH_RUNS", 3)
    candidates = dict({"pkh": [pkh, "describe", data, "--format", "csv"]}, **peers(data))
    tools = bl.choose_tools(candidates, "pkh pandas duckdb")
    tool_names = [n for n, _ in tools]

    print(f"== describe: {os.path.basename(data)} ({os.path.getsize(data) / bl.MB:.0f} MB), "
          f"{runs} run(s) of {', '.join(tool_names)}, interleaved; {os.cpu_count()} cores")
    print(f"   {versions(pkh)}")
    records = bl.run_timed(tools, runs, out, warm=data)
    print()
    agree = check_agreement(records, tool_names)
    summary = bl.summarise(records, tool_names)
    print()
    pkh_output = next(r["output"] for r in records if r["tool"] == "pkh")
    saved = report(summary, tool_names, bl.read_csv_rows(pkh_output))
    for s in saved:
        s["agree"] = int(agree)
    bl.write_csv(out + "-runs.csv", ["tool", "round", "seconds", "cpu_seconds", "peak_bytes",
                                       "others_load", "waited_s"], records)
    bl.write_csv(out + "-summary.csv",
                 ["case", "tool", "rows", "runs", "median_s", "min_s", "max_s", "peak_bytes",
                  "time_ratio_vs_pkh", "loaded_bytes", "peak_over_loaded", "target_speed_met",
                  "target_memory_met", "agree"], saved)
    print(f"\nresults: {out}-summary.csv, {out}-runs.csv, outputs in {out}-outputs/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
