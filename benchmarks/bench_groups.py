"""Quality of ``matching.groups`` on MDGPLIB (maximally diverse grouping benchmark instances).

Every instance is read from ``../shared/data/mdgplib/`` (or ``$MATCHING_SHARED/data/mdgplib``;
format in its README) and solved through
the public API: ``matching.groups(ids, sizes=[...], distance=<person_a, person_b, distance>)``.

* Small instances (n <= 12, all of them): value, status (OPTIMAL only when proven), time, and
  the published optimum where the shared README lists one.
* Large instances (n >= 120; by default the ``_01`` instance of each family and variant):
  ``matching.groups`` with a 20 s limit (``settings={"workers": 2}`` by default: a portfolio of
  two independent runs, one per core, the better kept; ``--workers 1`` for one run) against a
  plain tabu search (the classical walk: all swaps and moves re-scored at every step,
  vectorised, tenure U/10 to 3U/20, no perturbation,
  ``matching.groups.search.tabu_search(perturb=False, incremental=False)``) given 60 s from
  the same first grouping (``matching.groups.solve._greedy``), in this process. The compiled
  search is compiled (or loaded from numba's disk cache) once before the large runs, untimed
  (``warm_up_seconds`` in the results).

    python benchmarks/bench_groups.py                   # small + n=120/240 _01 (about 18 min)
    python benchmarks/bench_groups.py --small-only
    python benchmarks/bench_groups.py --large 120 --limit 20 --baseline 60 --workers 2 --seed 0

Results go to ``benchmarks/results/groups-<time>.json``; a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import matching
from matching.groups.compiled import warm_up
from matching.groups.search import Units, tabu_search
from matching.groups.solve import _greedy as first_grouping

ROOT = Path(__file__).resolve().parent
DATA = Path(os.environ.get("MATCHING_SHARED", ROOT.parent.parent / "shared")) / "data" / "mdgplib"


def read_instance(path: Path):
    """``(n, lo, hi, pairs DataFrame)`` of one MDGPLIB file."""
    with open(path) as fh:
        head = fh.readline().split()
        body = np.loadtxt(fh, ndmin=2)
    n, G = int(head[0]), int(head[1])
    bounds = np.array(head[3:3 + 2 * G], dtype=int)
    pairs = pd.DataFrame({"person_a": body[:, 0].astype(int), "person_b": body[:, 1].astype(int),
                          "distance": body[:, 2]})
    return n, bounds[0::2], bounds[1::2], pairs


def published() -> dict:
    """Known optima from the shared README's table."""
    text = (DATA / "README.md").read_text()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"\|\s*(\w+_n\d+_\w+_\d+)\s*\|\s*([\d.]+)\s*\|", text)}


def run_groups(path: Path, limit: float, workers: int = 1, seed: int = 0) -> dict:
    n, lo, hi, pairs = read_instance(path)
    people = pd.DataFrame({"id": np.arange(n)})
    began = time.perf_counter()
    r = matching.groups(people, sizes=list(zip(lo, hi)), distance=pairs, time_limit=limit, seed=seed,
                        settings={"workers": workers})
    seconds = time.perf_counter() - began
    sizes = r.groups["group"].value_counts()
    assert len(r.groups) == n and sizes.min() >= lo.min() and sizes.max() <= hi.max()
    return {"instance": path.stem, "n": n, "value": round(r.objective, 3), "status": r.status,
            "bound": None if r.bound is None else round(r.bound, 3), "seconds": round(seconds, 2),
            "solver": r.info["solver"], "iterations": r.info["iterations"]}


def run_plain_tabu(path: Path, limit: float) -> dict:
    """The baseline: plain tabu search (same kernel, no restarts) from the same first grouping."""
    n, lo, hi, pairs = read_instance(path)
    D = np.zeros((n, n))
    D[pairs["person_a"], pairs["person_b"]] = pairs["distance"]
    D += D.T
    units = Units(W=D, w=np.ones(n, int), lo=lo, hi=hi, apart=np.zeros((n, n), np.int8),
                  forbid=np.zeros((n, len(lo)), bool))
    r = tabu_search(units, first_grouping(units), seed=0, time_limit=limit, perturb=False, incremental=False)
    return {"value": round(r.objective, 3), "seconds": round(r.seconds, 2), "iterations": r.iterations}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small-only", action="store_true")
    ap.add_argument("--small-limit", type=float, default=30.0)
    ap.add_argument("--large", type=int, nargs="*", default=[120, 240])
    ap.add_argument("--instances", default="01", help="instance numbers of the large runs, e.g. 01,02")
    ap.add_argument("--limit", type=float, default=20.0)
    ap.add_argument("--baseline", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2, help="processes of matching.groups on the large runs")
    ap.add_argument("--seed", type=int, default=0, help="seed of matching.groups on the large runs")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"MDGPLIB not found at {DATA}", file=sys.stderr)
        return 1
    known = published()
    small = []
    for path in sorted(DATA.glob("*_n01[02]_*.txt")):
        row = run_groups(path, args.small_limit)
        row["published"] = known.get(path.stem)
        small.append(row)
        print(json.dumps(row), flush=True)
    large = []
    warm = None if args.small_only else round(warm_up(), 2)   # first use compiles the search: not timed
    for n in ([] if args.small_only else args.large):
        for k in args.instances.split(","):
            for path in sorted(DATA.glob(f"*_n{n:03d}_*_{k}.txt")):
                row = run_groups(path, args.limit, args.workers, args.seed)
                row["plain_tabu"] = run_plain_tabu(path, args.baseline)
                row["at_least_baseline"] = row["value"] >= row["plain_tabu"]["value"] - 1e-6
                large.append(row)
                print(json.dumps(row), flush=True)
    out = ROOT / "results" / f"groups-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"small": small, "large": large, "warm_up_seconds": warm, "limit": args.limit, "workers": args.workers,
                               "seed": args.seed, "baseline_limit": args.baseline}, indent=1))
    _print_tables(small, large, args.workers)
    print(f"\nwritten: {out}")
    return 0


def _print_tables(small, large, workers: int) -> None:
    print("\n| instance | n | value | status | published | time (s) |\n| --- | ---: | ---: | --- | ---: | ---: |")
    for r in small:
        pub = "" if r["published"] is None else f"{r['published']:.2f}"
        print(f"| {r['instance']} | {r['n']} | {r['value']:.2f} | {r['status']} | {pub} | {r['seconds']} |")
    proven = sum(r["status"] == "OPTIMAL" for r in small)
    print(f"\nproven optimal: {proven} of {len(small)}")
    if large:
        print(f"\n| instance | groups (20 s, {workers} process{'es' if workers > 1 else ''}) | plain tabu (60 s) | "
              "difference | >= baseline |\n"
              "| --- | ---: | ---: | ---: | :---: |")
        for r in large:
            b = r["plain_tabu"]["value"]
            print(f"| {r['instance']} | {r['value']:.2f} | {b:.2f} | {100 * (r['value'] - b) / b:+.3f}% | "
                  f"{'yes' if r['at_least_baseline'] else 'no'} |")
        print(f"\nat least the baseline: {sum(r['at_least_baseline'] for r in large)} of {len(large)}")


if __name__ == "__main__":
    sys.exit(main())
