"""Time of the CP-SAT path (two hard share targets) against the flow path, same process.

For each size: the flow path (no goals) is run first; the targets are then set a bit
above what flow reached (``cross_kbu`` and ``top3`` + ``--lift``), so CP-SAT has to
work. Prints medians of ``--repeats`` runs, the ratio to flow, status and gap.

    python benchmarks/bench_cpsat.py --sizes 100 500 2000 --repeats 3 --time-limit 60

Issue-6 goal: 2,000 mentees with two share targets proven optimal, or a gap under
0.1%, in under 20 s on 2 workers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching  # noqa: E402
from generate import make_cohort  # noqa: E402


def _timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def bench(n: int, repeats: int, time_limit: float, lift: float, workers: int) -> dict:
    e, m, r = make_cohort(n, seed=1)
    flows = [_timed(lambda: matching.match(e, m, relatedness=r)) for _ in range(repeats)]
    base = flows[-1][1]
    targets = {"cross_kbu": min(1.0, round(base.summary["cross_kbu_share"] + lift, 2)),
               "top3": min(1.0, round(base.summary["preferences"]["top3_share"] + lift, 2))}
    settings = {"targets": targets, "time_limit": time_limit, "workers": workers}
    runs, status, gap, note = [], "-", None, ""
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            try:
                seconds, res = _timed(lambda: matching.match(e, m, relatedness=r, settings=settings))
            except matching.MatchingError as err:
                note = f"{type(err).__name__}: {str(err)[:70]}"
                break
        runs.append(seconds)
        status, gap = res.info.status, res.info.gap
    flow_s = statistics.median(t for t, _ in flows)
    sat_s = statistics.median(runs) if runs else float("nan")
    return {"n": n, "arcs": len(base.candidates), "targets": targets, "flow_s": flow_s, "cpsat_s": sat_s,
            "ratio": sat_s / flow_s, "status": status, "gap": gap, "note": note}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--lift", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"{'mentees':>7} {'arcs':>9} {'targets':>28} {'flow s':>8} {'cpsat s':>8} {'ratio':>7} "
          f"{'status':>8} {'gap':>8}  note")
    for n in args.sizes:
        row = bench(n, args.repeats if n <= 500 else 1, args.time_limit, args.lift, args.workers)
        gap = "-" if row["gap"] is None else f"{row['gap']:.3%}"
        targets = ", ".join(f"{k}={v:g}" for k, v in row["targets"].items())
        print(f"{row['n']:>7} {row['arcs']:>9} {targets:>28} {row['flow_s']:>8.3f} {row['cpsat_s']:>8.3f} "
              f"{row['ratio']:>7.1f} {row['status']:>8} {gap:>8}  {row['note']}", flush=True)


if __name__ == "__main__":
    main()
