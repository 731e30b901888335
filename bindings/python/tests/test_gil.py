# SPDX-License-Identifier: GPL-3.0-or-later
"""The GIL is released while the library reads: another Python thread keeps running."""
import io
import threading
import time

import numpy as np
import pytest

import pkh


@pytest.fixture(scope="module")
def big_csv():
    block = "".join(f"{i},{i * 0.37:.2f},R{i % 40}\n" for i in range(10000)).encode()
    return b"id,x,region\n" + block * 150  # 1.5 million rows, about 30 MB


class Spinner:
    """A Python thread counting as fast as it can."""

    def __init__(self):
        self.count = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop:
            self.count += 1

    def __enter__(self):
        self._thread.start()
        time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join()


def counted_during(call):
    """(increments by the spinner during call(), seconds taken, increments per second
    when the spinner runs alone)."""
    with Spinner() as s:
        c0, t0 = s.count, time.perf_counter()
        time.sleep(0.2)  # the spinner alone: its free-running rate
        rate = (s.count - c0) / (time.perf_counter() - t0)
        c0, t0 = s.count, time.perf_counter()
        result = call()
        seconds = time.perf_counter() - t0
        during = s.count - c0
    return result, during, seconds, rate


def test_read_csv_releases_the_gil(big_csv):
    # one reader thread, so the spinner has a core of its own on a 2-core machine
    t, during, seconds, rate = counted_during(lambda: pkh.read_csv(big_csv, threads=1))
    assert len(t) == 1_500_000
    assert seconds > 0.02, "the file is too small for the measurement"
    # holding the GIL, the spinner would not count at all until the call returned
    assert during > 0.2 * rate * seconds, (during, rate, seconds)


def test_summaries_release_the_gil(big_csv):
    t = pkh.read_csv(big_csv)
    _, during, seconds, rate = counted_during(
        lambda: [pkh.describe(t, threads=1) for _ in range(20)])
    assert during > 0, (during, rate, seconds)


def test_streams_are_read_from_the_reader_threads(big_csv):
    # the reader calls the stream from its worker threads, each call taking the GIL
    t = pkh.read_csv(io.BytesIO(big_csv), threads=2)
    ref = pkh.read_csv(big_csv)
    assert np.array_equal(t.column("x"), ref.column("x"))
    assert np.array_equal(t.codes("region"), ref.codes("region"))


def test_reads_in_parallel_threads(big_csv):
    results = [None] * 4

    def work(k):
        results[k] = pkh.read_csv(big_csv, threads=1).column("x").sum()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(results)) == 1 and results[0] > 0


# ---- the computations release the GIL too ----

@pytest.fixture(scope="module")
def survey():
    households, _ = pkh.synth(400_000, seed=5, threads=1)
    return households.to_pandas()


WELFARE = dict(income="pcexp", weight="weight", size="hhsize", threads=1)
CALLS = {
    "indicators": lambda df: pkh.indicators(df, **WELFARE, line="povline", by="province",
                                            strata="strata", psu="psu", lonely_psu="adjust"),
    "targeting": lambda df: pkh.targeting(df, **WELFARE, recipient="pkh",
                                          benchmark="line:povline", strata="strata", psu="psu",
                                          lonely_psu="adjust"),
    "pmt": lambda df: pkh.pmt(df, target="pcexp", covariates="hhsize,assets",
                              categorical="roof", folds=3, threads=1),
    "simulate": lambda df: pkh.simulate(df, program="pkh-2019", all=True, **WELFARE,
                                        line="povline"),
    "synth": lambda df: pkh.synth(400_000, threads=1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_computations_release_the_gil(name, survey):
    call = CALLS[name]
    call(survey)  # warm up
    _, during, seconds, rate = counted_during(lambda: [call(survey) for _ in range(3)])
    assert seconds > 0.02, "too little work for the measurement"
    # the GIL is taken back only between the calls and to build the results
    assert during > 0.2 * rate * seconds, (during, rate, seconds)


def test_computations_in_parallel_threads(survey):
    want = CALLS["indicators"](survey)
    results = [None] * 3

    def work(k):
        results[k] = CALLS["indicators"](survey)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        assert r.equals(want)
