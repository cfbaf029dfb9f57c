"""Scale benchmark: ``matching.match`` from 1,000 to 50,000 mentees, with same-run baselines.

Each size runs in its own subprocess (so peak memory is that size's alone). For each
size it prints the median time of every stage of ``match()`` (validate, score, solve,
result; the solve split into min-cost flow and certificate scans, summed over rounds), the
peak resident memory (``ru_maxrss`` of the size's process after ``match()``), the
objective and the certificate of optimality (rounds, of which repaired warm; arcs in
the first and last flow graph; pairs scored),
and, in the same process and on the same cohort:

* ``score-pass``: one pass scoring every pair with numpy, no solving (the floor, median of
  at least 3 passes; ``x floor`` is the median ``match()`` over it). A pass builds the numpy
  kernel's merged look-up tables first, then scores every block; the JSON records the
  seconds of the first part of each pass (``score_pass_tables``): on this VM fresh memory
  costs page faults, so that part varies most between runs. ``match()`` on a large cohort
  does not build them (its compiled pass reads the small tables as they are);
* ``scipy``: ``scipy.optimize.linear_sum_assignment`` on the dense matrix of the same
  candidates (mentors expanded into seats, same lexicographic objective), solve time
  only; its optimum must equal ours;
* ``greedy``: best pairs first over each mentee's best mentors, and its gap.

Usage::

    python benchmarks/bench_scale.py                      # 1000 5000 20000 50000
    python benchmarks/bench_scale.py --sizes 1000 5000 --repeats 5
    python benchmarks/bench_scale.py --scipy-max 5000     # skip scipy above 5,000
    python benchmarks/bench_scale.py --sizes 50000 100000 --scipy-max 0

Results are also written to ``benchmarks/results/scale-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("validate", "score", "solve", "result")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dense_scipy(cohort, settings, result, budget_bytes: float):
    """Solve time of scipy's dense Hungarian method on the same candidates, and its objective."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from matching.scoring import kernel
    from matching.review.result import PRIORITY_RESOLUTION

    n, cap = len(cohort.mentees), cohort.mentors.capacity
    seat_of = np.repeat(np.arange(len(cap)), cap)
    if n * len(seat_of) * 8 * 2 > budget_bytes:
        return None
    prio = np.rint(cohort.mentees.priority * PRIORITY_RESOLUTION).astype(np.int64)
    lo, hi = result.candidates.score_range
    weight = 1 + n * (max(hi, 0) - min(lo, 0))
    kern = kernel.kernel_for(cohort, settings)
    profit = np.zeros((n, len(seat_of)))
    for rows in kernel.blocks(np.arange(n), len(cap)):
        total, mask = kern.score(rows)
        mask &= total > kern.cut
        block = np.where(mask, weight * prio[rows, None] + total.astype(np.int64), 0).astype(np.float64)
        profit[rows] = block[:, seat_of]
    started = time.perf_counter()
    rows, cols = linear_sum_assignment(profit, maximize=True)
    seconds = time.perf_counter() - started
    value = profit[rows, cols]
    got = value > 0
    return seconds, int(prio[rows[got]].sum()), int(round((value[got] - weight * prio[rows[got]]).sum()))


def _score_pass(cohort, settings) -> tuple:
    """Seconds to score every pair once (allowed mask and integer totals), no solving: the
    numpy kernel's tables built, then every block scored. Returns ``(total, tables)``."""
    import numpy as np

    from matching.scoring import kernel

    kernel._CACHE[:] = [None, None]  # every pass builds its tables afresh
    started = time.perf_counter()
    kern = kernel.kernel_for(cohort, settings)
    built = time.perf_counter() - started
    blocks = kernel.blocks(np.arange(len(cohort.mentees)), len(cohort.mentors))
    kernel.map_blocks(kern, lambda rows: int(np.count_nonzero(kern.score(rows)[1])), blocks)
    return time.perf_counter() - started, built


def _greedy(result):
    """Best pairs first over the candidate set kept by ``match`` (each mentee's best mentors)."""
    import numpy as np

    c, cohort = result.candidates, result.cohort
    started = time.perf_counter()
    prio = cohort.mentees.priority
    order = np.lexsort((c.j, c.i, -c.total, -prio[c.i]))
    left = cohort.mentors.capacity.copy()
    taken = np.zeros(len(cohort.mentees), bool)
    score = 0
    for k in order.tolist():
        i, j = c.i[k], c.j[k]
        if not taken[i] and left[j] > 0:
            taken[i], left[j], score = True, left[j] - 1, score + int(c.total[k])
    return time.perf_counter() - started, int(taken.sum()), score


def worker(n: int, repeats: int, seed: int, scipy_max: int, budget_gb: float) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import make_cohort

    import matching

    started = time.perf_counter()
    mentees, mentors, relatedness = make_cohort(n, seed=seed)
    out = {"mentees": n, "mentors": len(mentors), "generate": time.perf_counter() - started, "runs": []}
    for _ in range(repeats):
        started = time.perf_counter()
        result = matching.match(mentees, mentors, relatedness=relatedness)
        wall = time.perf_counter() - started
        out["runs"].append({"wall": wall, **{k: result.info.seconds.get(k, 0.0) for k in STAGES}})
    out["peak_mb"] = _maxrss_mb()  # generate + match only: the baselines below come after
    cert = result.info.extra.get("certificate", {})
    out.update(matched_priority=result.assignment.matched_priority, score=result.assignment.score,
               pairs=int(result.summary["pairs"]), status=result.info.status,
               allowed_pairs=int(result.candidates.n_allowed), candidates=len(result.candidates),
               complete=bool(result.candidates.complete), certificate={k: v for k, v in cert.items() if k != "detail"},
               rounds=cert.get("detail", []))
    # the floor, a median of at least 3 passes (one pass varies by up to 1.5x on a shared machine)
    passes, tables = zip(*[_score_pass(result.cohort, result.settings) for _ in range(max(3, repeats))])
    out["score_pass"], out["score_passes"] = statistics.median(passes), list(passes)
    out["score_pass_tables"] = list(tables)  # of each pass, the seconds spent building the numpy tables
    out["greedy_seconds"], out["greedy_matched"], out["greedy_score"] = _greedy(result)
    if n <= scipy_max:
        dense = _dense_scipy(result.cohort, result.settings, result, budget_gb * 2**30)
        if dense is not None:
            out["scipy_seconds"], out["scipy_priority"], out["scipy_score"] = dense
    return out


def _fmt(x, digits=2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(results: list) -> str:
    head = ("mentees", "mentors", "allowed", "gen", "validate", "score", "solve", "flow", "scan", "result", "match",
            "peak MB", "score-pass", "x floor", "scipy", "ratio", "greedy gap", "rounds (warm)", "arcs first/last",
            "pairs scored", "same optimum")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in results:
        med = {k: statistics.median(run[k] for run in r["runs"]) for k in ("wall",) + STAGES}
        scipy_s = r.get("scipy_seconds")
        same = "-" if scipy_s is None else str((r["scipy_priority"], r["scipy_score"]) == (r["matched_priority"], r["score"]))
        gap = 100 * (r["score"] - r["greedy_score"]) / max(abs(r["score"]), 1)
        cert, rounds = r["certificate"], r["rounds"]
        flow, scan = (sum(x[k] for x in rounds) if rounds else None for k in ("flow_seconds", "scan_seconds"))
        local = sum(x.get("solve") in ("warm", "local") for x in rounds)
        arcs = f"{rounds[0]['arcs']:,} / {rounds[-1]['arcs']:,}" if rounds else f"{r['candidates']:,}"
        lines.append(" | ".join([
            f"{r['mentees']:,}", f"{r['mentors']:,}", f"{r['allowed_pairs']:,}", _fmt(r["generate"]),
            *(_fmt(med[k]) for k in STAGES[:3]), _fmt(flow), _fmt(scan), _fmt(med["result"]), _fmt(med["wall"]),
            f"{r['peak_mb']:,.0f}", _fmt(r["score_pass"]), _fmt(med["wall"] / r["score_pass"], 1),
            _fmt(scipy_s), _fmt(None if scipy_s is None else med["wall"] / scipy_s, 3),
            f"{gap:.2f}% ({r['mentees'] - r['greedy_matched']} unmatched)",
            f"{cert['rounds']} ({local})" if rounds else "-", arcs, f"{cert.get('pairs_scored', r['candidates']):,}",
            same]))
    return "\n".join(lines)


def exponent(results: list):
    """Slope of log(match time) against log(allowed pairs)."""
    pts = [(math.log(r["allowed_pairs"]), math.log(statistics.median(x["wall"] for x in r["runs"])))
           for r in results if r["allowed_pairs"] > 0]
    if len(pts) < 2:
        return None
    mx, my = (sum(p[k] for p in pts) / len(pts) for k in (0, 1))
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 50000])
    p.add_argument("--repeats", type=int, default=None, help="runs per size (default 5 up to 5,000, else 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scipy-max", type=int, default=20000, help="largest size scipy's dense solve is run at")
    p.add_argument("--scipy-gb", type=float, default=12.0, help="memory budget of the dense matrix (GB)")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=HERE / "results")
    a = p.parse_args(argv)
    if a.worker is not None:
        print(json.dumps(worker(a.worker, a.repeats or 1, a.seed, a.scipy_max, a.scipy_gb)))
        return
    results = []
    for n in a.sizes:
        repeats = a.repeats or (5 if n <= 5000 else 1)
        cmd = [sys.executable, __file__, "--worker", str(n), "--repeats", str(repeats), "--seed", str(a.seed),
               "--scipy-max", str(a.scipy_max), "--scipy-gb", str(a.scipy_gb)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:  # show what the worker said, not just its exit status
            sys.stderr.write(done.stderr)
            raise SystemExit(f"the worker for {n:,} mentees failed (exit status {done.returncode})")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"done {n:,} mentees", file=sys.stderr, flush=True)
    print(table(results))
    slope = exponent(results)
    if slope is not None:
        print(f"\nmatch() time ~ allowed_pairs ** {slope:.2f} (least squares over {len(results)} sizes)")
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / time.strftime("scale-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps({"sizes": results, "exponent": slope, "python": sys.version}, indent=1))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
