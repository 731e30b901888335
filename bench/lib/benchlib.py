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


def measure(argv, stdout_path, cwd=None):
    """Run argv to completion with its standard output in stdout_path.

    Returns (wall seconds, peak resident set size in bytes). The peak is ru_maxrss from
    wait4(): the largest resident set of the process and of any descendant it waited for.
    Raises ToolFailed (with the tail of standard error) if the command fails.
    """
    with open(stdout_path, "wb") as out, open(stdout_path + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(stdout_path + ".err", "rb") as err:
            tail = err.read()[-2000:].decode(errors="replace")
        raise ToolFailed(f"{' '.join(argv)} exited with {proc.returncode}:\n{tail}")
    return seconds, usage.ru_maxrss * 1024  # Linux reports kilobytes


def run_interleaved(tools, runs, out_dir, log=print):
    """Run every tool `runs` times, round by round, rotating the order each round so that no
    tool always goes first. tools: list of (name, argv). Returns a list of run records:
    {"tool", "round", "seconds", "peak_bytes", "output"} (output: path of its stdout)."""
    records = []
    for rnd in range(1, runs + 1):
        shift = (rnd - 1) % len(tools)
        for name, argv in tools[shift:] + tools[:shift]:
            output = os.path.join(out_dir, f"{name}-run{rnd}.csv")
            seconds, peak = measure(argv, output)
            log(f"  round {rnd}/{runs}  {name:<8} {seconds:8.2f} s  {peak / MB:8.0f} MB")
            records.append({"tool": name, "round": rnd, "seconds": seconds,
                            "peak_bytes": peak, "output": output})
    return records


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
