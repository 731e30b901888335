#!/usr/bin/python3
"""Benchmark case `profile` (issue 4): the poverty profile by province, end to end from the CSV,
`pkh indicators` against DuckDB, pandas and R data.table.

Each tool reads the household CSV (only the five columns the profile uses: province, weight,
hhsize, pcexp, povline) and computes, for the whole population and each of the 34 provinces,
FGT0, FGT1, FGT2 and the Gini coefficient, person-weighted (weight x hhsize), poor when
pcexp < povline (a per-row line). Definitions: docs/indicators.md and the peers' headers.
The tools run interleaved, BENCH_RUNS rounds; the case prints each tool's median wall time,
CPU time and peak memory, checks that every tool computed the same numbers, and says whether
pkh meets the issue's target:
  speed   pkh's median time at least 10x shorter than the fastest peer's (point estimates).
Run by bench/run.sh, which sets BENCH_DATA, BENCH_RUNS, BENCH_OUT (the run's results prefix),
PKH, and optionally BENCH_TOOLS (default "pkh pandas duckdb datatable"; pkh is always run) and
BENCH_QUIET_WAIT (seconds to wait for an idle machine before each run, default 30).
"""
import filecmp
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib as bl  # noqa: E402

SPEED_TARGET = 10.0  # pkh at least this many times faster than the fastest peer
INDICATORS = ("fgt0", "fgt1", "fgt2", "gini")
# Estimates and populations agree within this relative difference. Every peer sums naively
# (pkh uses compensated sums), but on the 10-million-row file the largest differences seen
# are below 1e-12 (DuckDB's Gini: 2e-13), so no tool needs a looser tolerance.
REL_TOL = {"pandas": 1e-9, "duckdb": 1e-9, "datatable": 1e-9}
# Bytes per row of the loaded columns: province (dictionary codes, 4), weight, hhsize, pcexp,
# povline (8 each).
LOADED_BYTES_PER_ROW = 4 + 4 * 8

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def pkh_argv(pkh, data):
    """The pkh command; `--se none` (point estimates only) once pkh has the option."""
    argv = [pkh, "indicators", data, "--income", "pcexp", "--weight", "weight",
            "--size", "hhsize", "--line", "povline", "--by", "province",
            "--indicators", ",".join(INDICATORS), "--format", "csv"]
    helptext = subprocess.run([pkh, "indicators", "--help"], capture_output=True,
                              text=True).stdout
    if re.search(r"--se\b", helptext):
        argv += ["--se", "none"]
    return argv


def peers(data):
    """The tools a user would otherwise pick, as (name, argv)."""
    return {
        "pandas": ["/usr/bin/python3", os.path.join(BENCH, "profile_pandas.py"), data],
        "duckdb": ["node", os.path.join(BENCH, "profile_duckdb.mjs"), data],
        "datatable": ["Rscript", os.path.join(BENCH, "profile_datatable.R"), data],
    }


def versions(pkh):
    """One line naming each tool's version."""
    def run(argv, cwd=None):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=True,
                                  cwd=cwd).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    pandas = run(["/usr/bin/python3", "-c", "import pandas, numpy; "
                  "print(pandas.__version__, '(numpy', numpy.__version__ + ')')"])
    try:
        with open(os.path.join(BENCH, "node_modules", "@duckdb", "node-api", "package.json")) as f:
            duckdb = json.load(f)["version"]
    except OSError:
        duckdb = "?"
    engine = run(["node", "--input-type=module", "-e",
                  "import { DuckDBInstance } from '@duckdb/node-api';"
                  "const db = await (await DuckDBInstance.create(':memory:')).connect();"
                  "console.log((await db.runAndReadAll('SELECT version()')).getRows()[0][0]);"],
                 cwd=BENCH)  # node finds @duckdb/node-api in bench/node_modules
    datatable = run(["Rscript", "-e", "cat(as.character(packageVersion('data.table')), "
                     "'(R', paste0(R.version$major, '.', R.version$minor, ')'))"])
    return (f"{run([pkh, '--version'])}; pandas {pandas}; @duckdb/node-api {duckdb} "
            f"(DuckDB {engine}, node {run(['node', '--version'])}); data.table {datatable}")


def keyed(rows):
    """A profile's rows by (province, indicator)."""
    return {(r["province"], r["indicator"]): r for r in rows}


def compare(reference, other, rel):
    """Differences between pkh's profile and another tool's (lists of row dicts), as messages;
    and the largest relative difference of an estimate, per indicator, and of a population."""
    problems, worst = [], dict.fromkeys(INDICATORS + ("population",), 0.0)
    ref, mine = keyed(reference), keyed(other)
    if set(ref) != set(mine) or len(mine) != len(other):
        missing = sorted(set(ref) - set(mine))[:5]
        extra = sorted(set(mine) - set(ref))[:5]
        return [f"different rows (missing {missing}, extra {extra})"], worst
    for key, r in ref.items():
        o = mine[key]
        where = f"{key[0] or '(total)'} {key[1]}"
        if r["n"] != o["n"]:
            problems.append(f"{where}: n {o['n']}, pkh {r['n']}")
        for field, slot in (("estimate", key[1]), ("population", "population")):
            if not bl.close_enough(r[field], o[field], rel):
                problems.append(f"{where}: {field} {o[field]}, pkh {r[field]}")
            x, y = float(r[field]), float(o[field])
            worst[slot] = max(worst[slot], abs(x - y) / max(abs(x), abs(y), 1e-300))
    return problems, worst


def check_agreement(records, tool_names):
    """Every run of every tool against pkh's first run; pkh's runs byte for byte. Prints what
    it finds and returns True when all agree."""
    first = next(r for r in records if r["tool"] == "pkh")["output"]
    reference = bl.read_csv_rows(first)
    ok = True
    for rec in records:
        if rec["tool"] == "pkh" and not filecmp.cmp(rec["output"], first, shallow=False):
            print(f"DISAGREE: pkh round {rec['round']} printed other numbers than round 1")
            ok = False
    table = []
    for name in tool_names[1:]:
        worst = dict.fromkeys(INDICATORS + ("population",), 0.0)
        for rec in (r for r in records if r["tool"] == name):
            problems, w = compare(reference, bl.read_csv_rows(rec["output"]), REL_TOL[name])
            worst = {k: max(worst[k], w[k]) for k in worst}
            for p in problems[:20]:
                print(f"DISAGREE: {name} round {rec['round']}: {p}")
            if len(problems) > 20:
                print(f"DISAGREE: {name} round {rec['round']}: ... {len(problems) - 20} more")
            ok = ok and not problems
        table.append([name, f"{REL_TOL[name]:g}"] + [f"{worst[k]:.1e}" for k in worst])
    if len(tool_names) > 1:
        groups = len({r["province"] for r in reference})
        print(f"agreement: {'all tools agree' if ok else 'the tools DISAGREE'}: {groups} rows "
              f"(total + provinces) x {len(INDICATORS)} indicators, every run; n exactly, "
              f"estimates and populations within the tolerance; largest relative difference "
              f"from pkh:")
        print(bl.format_table(["tool", "tolerance"] + list(INDICATORS) + ["population"], table))
    return ok


def print_profile(rows):
    """pkh's profile, one line per group."""
    by = {}
    for r in rows:
        g = by.setdefault(r["province"], {"n": r["n"], "population": r["population"]})
        g[r["indicator"]] = float(r["estimate"])
    table = [[name or "(total)", f"{int(g['n']):,}", f"{float(g['population']):,.0f}"]
             + [f"{g[i]:.6f}" for i in INDICATORS] for name, g in by.items()]
    print(bl.format_table(["province", "n", "population"] + list(INDICATORS), table))


def report(summary, records, tool_names, rows):
    """Print the side-by-side table and the target; return the summary rows to save."""
    pkh = summary["pkh"]
    loaded = rows * LOADED_BYTES_PER_ROW
    table, saved = [], []
    for name in tool_names:
        s = summary[name]
        cpu = statistics.median(r["cpu_seconds"] for r in records if r["tool"] == name)
        ratio = s["median_s"] / pkh["median_s"]
        table.append([name, f"{s['median_s']:.3f}", f"{s['min_s']:.3f}", f"{s['max_s']:.3f}",
                      f"{cpu:.2f}", f"{s['peak_bytes'] / bl.MB:.0f}", f"{ratio:.2f}x",
                      f"{s['peak_bytes'] / loaded:.2f}"])
        saved.append(dict(s, case="profile", rows=rows, loaded_bytes=loaded,
                          median_cpu_s=round(cpu, 6), time_ratio_vs_pkh=round(ratio, 4),
                          peak_over_loaded=round(s["peak_bytes"] / loaded, 4)))
    print(bl.format_table(["tool", "median s", "min s", "max s", "cpu s", "peak MB",
                           "time / pkh", "peak / loaded"], table))
    print(f"\nloaded column bytes: {loaded / bl.MB:.0f} MB = {rows:,} rows x (1 string x 4 + "
          f"4 numeric x 8 bytes); cpu s: median user + system time, all threads")

    speed_ok = None
    if len(tool_names) > 1:
        fastest = min(tool_names[1:], key=lambda n: summary[n]["median_s"])
        speedup = summary[fastest]["median_s"] / pkh["median_s"]
        speed_ok = speedup >= SPEED_TARGET
        need = summary[fastest]["median_s"] / SPEED_TARGET
        print(f"fastest peer / pkh: {fastest} {summary[fastest]['median_s']:.2f} s / pkh "
              f"{pkh['median_s']:.2f} s = {speedup:.2f}x (medians)")
        print(f"target speed  (>= {SPEED_TARGET:g}x faster than the fastest peer): "
              f"{'MET' if speed_ok else 'MISSED'}: pkh is {speedup:.2f}x faster than {fastest}"
              + ("" if speed_ok else f"; pkh needs <= {need:.2f} s, takes {pkh['median_s']:.2f}"
                 f" s ({pkh['median_s'] / need:.2f}x too slow)"))
        best_peer = min(summary[n]["min_s"] for n in tool_names[1:])
        print(f"  (on each tool's fastest run, the least disturbed: "
              f"{best_peer / pkh['min_s']:.2f}x)")
    for s in saved:
        s["target_speed_met"] = "" if speed_ok is None else int(speed_ok)
    return saved


def main():
    data, pkh, out = os.environ["BENCH_DATA"], os.environ["PKH"], os.environ["BENCH_OUT"]
    runs = bl.env_int("BENCH_RUNS", 3)
    candidates = dict({"pkh": pkh_argv(pkh, data)}, **peers(data))
    tools = bl.choose_tools(candidates, "pkh pandas duckdb datatable")
    tool_names = [n for n, _ in tools]

    print(f"== profile: {os.path.basename(data)} ({os.path.getsize(data) / bl.MB:.0f} MB), "
          f"{runs} run(s) of {', '.join(tool_names)}, interleaved; {os.cpu_count()} cores")
    print(f"   {versions(pkh)}")
    print(f"   pkh: {' '.join(candidates['pkh'][1:]).replace(data, 'FILE')}")
    records = bl.run_timed(tools, runs, out, warm=data)
    print()
    agree = check_agreement(records, tool_names)
    summary = bl.summarise(records, tool_names)
    pkh_rows = bl.read_csv_rows(next(r["output"] for r in records if r["tool"] == "pkh"))
    print("\npkh's profile (person-weighted; FGT as fractions):")
    print_profile(pkh_rows)
    print()
    saved = report(summary, records, tool_names, int(pkh_rows[0]["n"]))
    for s in saved:
        s["agree"] = int(agree)
    bl.write_csv(out + "-runs.csv", ["tool", "round", "seconds", "cpu_seconds", "peak_bytes",
                                       "others_load", "waited_s"], records)
    bl.write_csv(out + "-summary.csv",
                 ["case", "tool", "rows", "runs", "median_s", "min_s", "max_s", "median_cpu_s",
                  "peak_bytes", "time_ratio_vs_pkh", "loaded_bytes", "peak_over_loaded",
                  "target_speed_met", "agree"], saved)
    print(f"\nresults: {out}-summary.csv, {out}-runs.csv, outputs in {out}-outputs/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
