#!/usr/bin/python3
"""Benchmark case `python-overhead` (issue 8): pkh.indicators on a pandas DataFrame of float64
columns, read in place (no copy), against the C library on the same columns.

The data: BENCH_PY_ROWS rows (default 1,000,000) of five float64 columns, pcexp (lognormal),
weight, hhsize, povline (by province) and prov (a province code), generated once with numpy's
default_rng(2019) into bench/data/python-overhead-ROWS/*.f64 (native doubles).

The two sides, each a process run BENCH_RUNS times (interleaved, after waiting for a quiet
machine), each timing BENCH_PY_REPS repetitions of every request (interleaved, after one
warm-up):
  c       bench/python_overhead.c (built here against $BUILD/lib/libpkh.a): reads the columns
          into memory, builds a table over them without copying (pkh_table_builder_add_external)
          and times pkh_indicators_compute() alone;
  python  /usr/bin/python3 with $BUILD/python: np.fromfile, one pandas DataFrame of the five
          columns, and times the whole pkh.indicators(df, ...) call: the DataFrame's columns
          borrowed into a table, the computation (GIL released), the results as a DataFrame
          and their metadata.
Requests (every core; poverty line povline, person weights weight x hhsize):
  default  pkh.indicators' defaults: fgt0 fgt1 fgt2 poor gini mean median population, whole
           population, linearised SEs
  profile  fgt0,fgt1,fgt2,gini by prov, linearised SEs (the poverty profile)
  fgt      fgt0,fgt1,fgt2, whole population, --se none (the cheapest call: the worst case
           for the overhead)
Target (the issue): Python's median within 10% of C's (python / c <= 1.10). The case also
reports the Python-side cost alone (the call minus the library call inside it, measured in
the same process). Agreement: the Python results equal the C library's exactly.
Run with `BENCH_CASES=python-overhead bench/run.sh` (or make bench with that BENCH_CASES).
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib as bl  # noqa: E402

COLUMNS = ("pcexp", "weight", "hhsize", "povline", "prov")
DEFAULT = "fgt0,fgt1,fgt2,poor,gini,mean,median,population"
REQUESTS = (("default", DEFAULT, "-", "linearized"),
            ("profile", "fgt0,fgt1,fgt2,gini", "prov", "linearized"),
            ("fgt", "fgt0,fgt1,fgt2", "-", "none"))
TARGET = 1.10

# The Python side, run as its own process: argv = data dir, reps, results prefix, requests
PY_SIDE = r'''
import json, sys, time
import numpy as np, pandas as pd
import pkh
from pkh import _pkh
data, reps, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
requests = [r.split(":") for r in sys.argv[4:]]
cols = {c: np.fromfile(f"{data}/{c}.f64") for c in ("pcexp", "weight", "hhsize", "povline",
                                                      "prov")}
df = pd.DataFrame(cols)
assert all(np.shares_memory(df[c].to_numpy(), df[c].to_numpy()) for c in cols)
inner = []
real = _pkh.indicators
def timed(*a, **k):
    t0 = time.perf_counter()
    r = real(*a, **k)
    inner.append(time.perf_counter() - t0)
    return r
_pkh.indicators = timed
def call(inds, by, se):
    return pkh.indicators(df, income="pcexp", weight="weight", size="hhsize", line="povline",
                          by=None if by == "-" else by, indicators=inds.split(","), se=se)
out = {"pkh": pkh.__version__, "numpy": np.__version__, "pandas": pd.__version__}
agree = {}
for name, inds, by, se in requests:
    got = call(inds, by, se)  # warm-up, and the numbers to compare
    want = pkh.read_csv(f"{prefix}-{name}.csv").to_pandas(strings="object")
    same = list(got.columns) == list(want.columns) and len(got) == len(want)
    for c in want.columns if same else ():
        a, b = got[c], want[c]
        same = same and a.isna().tolist() == b.isna().tolist() and \
            (a[a.notna()].to_numpy() == b[b.notna()].to_numpy()).all()
    agree[name] = bool(same)
    out[name], out[name + "_inner"] = [], []
for i in range(reps):
    for name, inds, by, se in requests:
        inner.clear()
        t0 = time.perf_counter()
        call(inds, by, se)
        out[name].append(time.perf_counter() - t0)
        out[name + "_inner"].append(inner[0])
out["agree"] = agree
print(json.dumps(out))
'''


def ms(seconds):
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def rows_label(n):
    return f"{n // 1000000}m" if n % 1000000 == 0 else f"{n // 1000}k" if n % 1000 == 0 \
        else str(n)


def ensure_data(rows):
    """The five columns as native doubles, made once (numpy's default_rng(2019))."""
    import numpy as np

    d = os.path.join("bench", "data", f"python-overhead-{rows_label(rows)}")
    if all(os.path.exists(os.path.join(d, f"{c}.f64")) for c in COLUMNS):
        return d
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(2019)
    prov = rng.integers(11, 95, rows).astype(np.float64)
    urban = rng.random(rows) < 0.55
    cols = {"pcexp": np.round(rng.lognormal(13.6, 0.55, rows)),
            "weight": np.round(rng.uniform(20, 600, rows), 2),
            "hhsize": rng.integers(1, 9, rows).astype(np.float64),
            "povline": np.round(380000 + 1500 * (prov - 11) + 40000 * urban),
            "prov": prov}
    for c, v in cols.items():
        v.astype("<f8").tofile(os.path.join(d, f"{c}.f64.tmp"))
        os.replace(os.path.join(d, f"{c}.f64.tmp"), os.path.join(d, f"{c}.f64"))
    return d


def ensure_program(build):
    """bench/python_overhead.c against $BUILD's static library (rebuilt when either changes)."""
    prog, src, lib = "bench/data/python_overhead", "bench/python_overhead.c", \
        os.path.join(build, "lib", "libpkh.a")
    if not os.path.exists(lib):
        sys.exit(f"bench: {lib} not found: build pkh first (make build)")
    stamp = prog + ".lib"
    fresh = os.path.exists(prog) and os.path.getmtime(prog) > max(
        os.path.getmtime(src), os.path.getmtime(lib)) and os.path.exists(stamp) and \
        open(stamp).read() == lib
    if not fresh:
        libs = subprocess.run(["pkg-config", "--libs", "gsl", "zlib", "jansson"], check=True,
                              capture_output=True, text=True).stdout.split()
        subprocess.run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Iinclude",
                        f"-I{build}/include", "-o", prog, src, lib, *libs, "-lcsv", "-lpthread",
                        "-lm"], check=True)
        with open(stamp, "w") as f:
            f.write(lib)
    return prog


def ensure_module(build):
    """$BUILD/python with the compiled module (make python builds it when missing)."""
    pkg = os.path.join(build, "python", "pkh")
    if not (os.path.isdir(pkg) and any(n.startswith("_pkh") for n in os.listdir(pkg))):
        subprocess.run(["make", "--no-print-directory", "python", f"BUILD={build}"], check=True)
    return os.path.join(build, "python")


def main():
    build = os.environ.get("BUILD", "build")
    out = os.environ.get("BENCH_OUT", "bench/results/python-overhead")
    runs = bl.env_int("BENCH_RUNS", 3)
    reps = bl.env_int("BENCH_PY_REPS", 15)
    rows = bl.env_int("BENCH_PY_ROWS", 1000000)
    quiet = float(os.environ.get("BENCH_QUIET_WAIT", "30"))
    os.makedirs(out + "-outputs", exist_ok=True)
    data = ensure_data(rows)
    prog, pydir = ensure_program(build), ensure_module(build)
    prefix = os.path.join(out + "-outputs", "c-results")
    reqs = [":".join(r) for r in REQUESTS]
    env = dict(os.environ, PYTHONPATH=os.path.abspath(pydir))
    script = os.path.join(out + "-outputs", "python_side.py")
    with open(script, "w") as f:
        f.write(PY_SIDE)
    print(f"== python-overhead: {rows:,} rows x {len(COLUMNS)} float64 columns "
          f"({rows * 8 * len(COLUMNS) / bl.MB:.0f} MB), {runs} run(s) x {reps} repetitions of "
          f"each request; {os.cpu_count()} cores")
    c_runs, py_runs, records = [], [], []
    for rnd in range(1, runs + 1):
        sides = [("c", [prog, data, str(rows), str(reps), prefix, *reqs]),
                 ("python", ["/usr/bin/python3", script, data, str(reps), prefix, *reqs])]
        for name, argv in sides if rnd % 2 else sides[::-1]:
            waited = bl.wait_for_quiet(max_wait=quiet)
            path = os.path.join(out + "-outputs", f"{name}-{rnd}.json")
            proc = subprocess.run(argv, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                sys.exit(f"bench: {name} failed:\n{proc.stderr[-2000:]}")
            with open(path, "w") as f:
                f.write(proc.stdout)
            (c_runs if name == "c" else py_runs).append(json.loads(proc.stdout))
            records.append({"tool": name, "round": rnd, "waited_s": round(waited, 2)})
            print(f"  round {rnd}: {name} done" + (f" (waited {waited:.0f} s for a quiet "
                                                   "machine)" if waited > 1 else ""))
    agree = all(all(r["agree"].values()) for r in py_runs)
    print(f"   pkh {py_runs[0]['pkh']}, numpy {py_runs[0]['numpy']}, pandas "
          f"{py_runs[0]['pandas']}; Python results equal the C library's exactly: "
          f"{'yes' if agree else 'NO ' + json.dumps([r['agree'] for r in py_runs])}")
    table, saved, met = [], [], True
    for name, inds, by, se in REQUESTS:
        c = statistics.median(v for r in c_runs for v in r[name])
        p = statistics.median(v for r in py_runs for v in r[name])
        inner = statistics.median(v for r in py_runs for v in r[name + "_inner"])
        own = statistics.median(a - b for r in py_runs
                                for a, b in zip(r[name], r[name + "_inner"]))
        ratio = p / c
        met = met and ratio <= TARGET
        table.append([name, ms(c), ms(p), f"{ratio:.3f}", ms(inner), f"{own * 1e3:.2f}",
                      f"{own / c * 100:.1f}%", "yes" if ratio <= TARGET else "NO"])
        saved.append({"case": "python-overhead", "request": name, "rows": rows,
                      "c_median_s": round(c, 6), "python_median_s": round(p, 6),
                      "ratio": round(ratio, 4), "python_inner_median_s": round(inner, 6),
                      "python_own_median_s": round(own, 6), "target": TARGET,
                      "met": int(ratio <= TARGET), "agree": int(agree)})
    print()
    print(bl.format_table(["request", "C ms", "Python ms", "Python / C", "library call in "
                           "Python ms", "Python's own ms", "own / C", "<= 1.10"], table))
    print("\nC: pkh_indicators_compute() alone on a table over the columns; Python: the whole "
          "pkh.indicators(df, ...) call; 'library call in Python': the same library call "
          "timed inside that process; 'Python's own': the call minus it (the DataFrame's "
          "columns borrowed into a table, the results as a DataFrame, the metadata).")
    print(f"target (Python within 10% of C): {'met' if met else 'NOT met'} for every request"
          if met else "target (Python within 10% of C): NOT met for some request (see above)")
    bl.write_csv(out + "-runs.csv", ["tool", "round", "waited_s"], records)
    bl.write_csv(out + "-summary.csv", list(saved[0]), saved)
    print(f"\nresults: {out}-summary.csv, {out}-runs.csv, outputs in {out}-outputs/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
