"""Weight sensitivity: a process pool against the serial sweep, on the same grid and data.

Prints the median wall time of ``matching.sensitivity`` over a grid of weights, serially
(the baseline, run in the same process) and on a ``ProcessPoolExecutor`` of ``--workers``
processes (the pool is started once, before timing, as a program would keep it), the
speed-up ratio (serial / pool), and checks that both tables are equal.

Usage::

    python benchmarks/bench_sensitivity.py [--mentees 1000] [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching  # noqa: E402
from generate import make_cohort  # noqa: E402

VARY = {"cross_kbu": [0.5, 1, 2], "preference": [1, 3], "relatedness": [1, 2]}


def _times(fn, repeats: int) -> tuple[list[float], pd.DataFrame]:
    out, table = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        table = fn()
        out.append(time.perf_counter() - started)
    return out, table


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mentees", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    mentees, mentors, relatedness = make_cohort(args.mentees, seed=1)
    runs = 1
    for values in VARY.values():
        runs *= len(values)

    def sweep(executor=None):
        return matching.sensitivity(mentees, mentors, relatedness=relatedness, vary=VARY, executor=executor)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.mentees} mentees, {len(mentors)} mentors; grid of {runs} runs {VARY}; {cores} cores visible")
    serial, base = _times(sweep, args.repeats)
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(abs, range(args.workers)))  # start the workers before timing
        pooled, table = _times(lambda: sweep(pool), args.repeats)
    pd.testing.assert_frame_equal(table, base)
    s, q = statistics.median(serial), statistics.median(pooled)
    print(f"serial            median {s:7.2f} s  (min {min(serial):.2f}, max {max(serial):.2f})")
    print(f"process pool ({args.workers})  median {q:7.2f} s  (min {min(pooled):.2f}, max {max(pooled):.2f})")
    print(f"speed-up (serial / pool): {s / q:.2f}x; same table: yes")


if __name__ == "__main__":
    main()
