"""Helpers shared by pkh's benchmark cases (bench/cases/*.py). Standard library only.

A case runs each tool several times, interleaved, with `measure`; summarises the runs with
`summarise`; checks that the tools computed the same numbers; prints `format_table`; and
writes its runs and summary with `write_csv`.
"""
import csv
import os
import statistics
import subprocess
import sys
import time

MB = 1e6  # figures are printed in decimal megabytes


class ToolFailed(Exception):
    """A measured command exited with a non-zero status."""


def env_int(name, default):
    """A positive whole number from the environment."""
    text = os.environ.get(name, "")
    if text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        sys.exit(f"bench: {name} must be a whole number >= 1, not {text!r}")
    return int(text)


def warm_page_cache(path):
    """Read a file once so that every tool, the first included, reads it from memory."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy since boot (all cores, from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(limit=0.10, max_wait=30.0):
    """Wait (at most max_wait seconds) until the machine is idle but for `limit` of its
    cores over half a second, so that a run does not start in the middle of someone's build.
    Returns the seconds waited."""
    start = time.perf_counter()
    while True:
        busy, t0 = busy_cpu_seconds(), time.perf_counter()
        time.sleep(0.5)
        load = (busy_cpu_seconds() - busy) / ((time.perf_counter() - t0) * (os.cpu_count() or 1))
        waited = time.perf_counter() - start
        if load <= limit or waited >= max_wait:
            return waited


def measure(argv, stdout_path, cwd=None):
    """Run argv to completion with its standard output in stdout_path.

    Returns a dict: wall "seconds"; "cpu_seconds" (user + system, all its threads);
    "peak_bytes", ru_maxrss from wait4(): the largest resident set of the process or of any
    descendant it waited for; and "others_load": the CPU time that other processes used
    meanwhile, as a share of the machine (0.25 = a quarter of all cores), to spot a noisy run.
    Raises ToolFailed (with the tail of standard error) if the command fails.
    """
    with open(stdout_path, "wb") as out, open(stdout_path + ".err", "wb") as err:
        busy = busy_cpu_seconds()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        busy = busy_cpu_seconds() - busy
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(stdout_path + ".err", "rb") as err:
            tail = err.read()[-2000:].decode(errors="replace")
        raise ToolFailed(f"{' '.join(argv)} exited with {proc.returncode}:\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, busy - cpu) / (seconds * (os.cpu_count() or 1))
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": usage.ru_maxrss * 1024,
            "others_load": min(1.0, others)}  # ru_maxrss is in kilobytes on Linux


def run_interleaved(tools, runs, out_dir, quiet_wait=30.0, log=print):
    """Run every tool `runs` times, round by round, rotating the order each round so that no
    tool always goes first, each run after waiting up to quiet_wait seconds for the machine to
    be idle. tools: list of (name, argv). Returns a list of run records: the fields of
    `measure`, "waited_s", "tool", "round" and "output" (the path of its standard output)."""
    records = []
    for rnd in range(1, runs + 1):
        shift = (rnd - 1) % len(tools)
        for name, argv in tools[shift:] + tools[:shift]:
            output = os.path.join(out_dir, f"{name}-run{rnd}.csv")
            waited = wait_for_quiet(max_wait=quiet_wait)
            m = measure(argv, output)
            m["waited_s"] = waited
            log(f"  round {rnd}/{runs}  {name:<8} {m['seconds']:8.2f} s  "
                f"{m['peak_bytes'] / MB:8.0f} MB  (cpu {m['cpu_seconds']:.2f} s; "
                f"other processes {m['others_load']:.0%} of the machine)"
                + (f" after waiting {waited:.0f} s for quiet" if waited >= 1 else ""))
            saved = {k: round(v, 6) for k, v in m.items() if k != "peak_bytes"}
            records.append(dict(saved, peak_bytes=m["peak_bytes"], tool=name, round=rnd,
                                output=output))
    return records


def choose_tools(candidates, default):
    """The tools BENCH_TOOLS names (default: the words of `default`), pkh always first, as a
    list of (name, argv) taken from the dict `candidates`; exits on an unknown name."""
    wanted = os.environ.get("BENCH_TOOLS", default).split()
    unknown = [t for t in wanted if t not in candidates]
    if unknown:
        sys.exit(f"bench: unknown tool(s) in BENCH_TOOLS: {' '.join(unknown)} "
                 f"(known: {' '.join(candidates)})")
    names = ["pkh"] + [t for t in candidates if t != "pkh" and t in wanted]
    return [(n, candidates[n]) for n in names]


def run_timed(tools, runs, out, warm=None):
    """`run_interleaved` with the case's conventions: the page cache warmed with the file
    `warm` (if given), outputs under out + "-outputs", BENCH_QUIET_WAIT seconds at most of
    waiting for quiet, a warning when the machine was noisy, and an exit when a tool fails."""
    if warm is not None:
        warm_page_cache(warm)
    os.makedirs(out + "-outputs", exist_ok=True)
    try:
        records = run_interleaved(tools, runs, out + "-outputs",
                                  quiet_wait=float(os.environ.get("BENCH_QUIET_WAIT", "30")))
    except ToolFailed as e:
        sys.exit(f"bench: {e}")
    warn_if_noisy(records)
    return records


def warn_if_noisy(records, limit=0.10, log=print):
    """Say so when other processes took more than `limit` of the machine during a run."""
    noisy = [r for r in records if r["others_load"] > limit]
    if noisy:
        log(f"warning: other processes used more than {limit:.0%} of the machine during "
            f"{len(noisy)} of {len(records)} runs; times may be inflated (see others_load)")


def summarise(records, tool_names):
    """Per tool: median, min and max seconds and the peak memory over all its runs."""
    summary = {}
    for name in tool_names:
        mine = [r for r in records if r["tool"] == name]
        times = [r["seconds"] for r in mine]
        summary[name] = {
            "tool": name,
            "runs": len(mine),
            "median_s": statistics.median(times),
            "min_s": min(times),
            "max_s": max(times),
            "peak_bytes": max(r["peak_bytes"] for r in mine),
        }
    return summary


def read_csv_rows(path):
    """A CSV file with a header as a list of dicts."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def close_enough(a, b, rel):
    """Numbers given as text agree within a relative tolerance (both empty also agrees)."""
    if a == "" or b == "":
        return a == b
    x, y = float(a), float(b)
    return x == y or abs(x - y) <= rel * max(abs(x), abs(y))


def format_table(header, rows):
    """Plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def write_csv(path, fieldnames, rows):
    """Write dicts as CSV (keys outside fieldnames are left out)."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
