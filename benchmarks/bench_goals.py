"""Cohort goals at scale against plain ``match()``, same process, with independent oracles.

For each size the plain ``matching.match`` is timed first (median of ``--repeats``),
then each goal end to end (validate, score, solve, result). The ratio is goal time over
plain time. Load limits and maximin are checked against an independent model: a
straightforward OR-Tools min-cost flow on EVERY allowed pair (one layer node per
(mentor, KBU); maximin by a binary search over the distinct pair scores), written here
without the library's solvers (only its scoring). Rank lag and mentor KBU share report
status, gap and whether the goal holds.

    python benchmarks/bench_goals.py --sizes 500 2000 --time-limit 60
    python benchmarks/bench_goals.py --sizes 20000 --cases load maximin --no-oracle

Issue-19 goals: load limit and maximin OPTIMAL, equal to the oracle, within 10x plain
``match()`` at 2,000 and 20,000 mentees; rank lag by KBU and mentor KBU share answer
within their time limit (60 s) with the gap reported, OPTIMAL at 500.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching  # noqa: E402
from generate import make_cohort  # noqa: E402
from matching.cohort.settings import Settings  # noqa: E402
from matching.cohort.validate import load_cohort  # noqa: E402
from matching.review.solve import make_problem  # noqa: E402
from matching.scoring.sparse import build_candidates  # noqa: E402

CASES = {
    "load": {"max_same_kbu_per_mentor": 1},
    "load_soft": {"max_same_kbu_per_mentor": {"max": 1, "weight": 1.0}},
    "maximin": {"fairness": "maximin"},
    "rank_lag_kbu": {"max_rank_lag": {"max": 0.1, "by": ["kbu"]}},
    "mentor_share": None,  # set from the plain optimum: just below its largest KBU share
}


def _oracle_flow(problem, kbu, limit, floor=None, prio_only=False):
    """(matched priority, score) of the optimum on every allowed pair (score >= floor), plain OR-Tools."""
    from ortools.graph.python import min_cost_flow

    keep = np.ones(len(problem.i), bool) if floor is None else problem.score >= floor
    i, j, s = problem.i[keep], problem.j[keep], problem.score[keep]
    n, m, g = problem.n_mentees, problem.n_mentors, int(kbu.max()) + 1
    big = 1 + n * (int(problem.score.max()) - min(int(problem.score.min()), 0) + 1)
    src, snk = n + m + m * g, n + m + m * g + 1
    layer = (kbu[i] >= 0) & (limit is not None)
    mid = np.where(layer, n + m + j * g + np.maximum(kbu[i], 0), n + j)
    nodes = np.arange(m * g)
    tails = [np.full(n, src), i, n + m + nodes, n + np.arange(m), [src]]
    heads = [np.arange(n), mid, n + nodes // g, np.full(m, snk), [snk]]
    caps = [np.ones(n), np.ones(len(i)), np.full(m * g, limit or 0), problem.capacity, [n]]
    costs = [-problem.priority * (1 if prio_only else big), np.zeros(len(i)) if prio_only else -s,
             np.zeros(m * g), np.zeros(m), [0]]
    f = min_cost_flow.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(*(np.concatenate(x).astype(t) for x, t in
                                             ((tails, np.int32), (heads, np.int32), (caps, np.int64), (costs, np.int64))))
    supply = np.zeros(snk + 1, np.int64)
    supply[src], supply[snk] = n, -n
    f.set_nodes_supplies(np.arange(snk + 1, dtype=np.int32), supply)
    assert f.solve() == f.OPTIMAL
    chosen = f.flows(np.arange(n, n + len(i), dtype=np.int32)) > 0
    return int(problem.priority[i[chosen]].sum()), int(s[chosen].sum())


def oracle(e, m, r, case):
    cohort = load_cohort(e, m, relatedness=r)
    s = Settings()
    problem = make_problem(cohort, s, build_candidates(cohort, s))
    kbu = cohort.mentees.kbu
    if case == "load":
        return _oracle_flow(problem, kbu, 1)
    p_star = _oracle_flow(problem, kbu, None, prio_only=True)[0]
    values = np.unique(problem.score)
    lo, hi = 0, len(values) - 1  # largest index whose threshold keeps p_star
    while lo < hi:
        mid = (lo + hi + 1) // 2
        ok = _oracle_flow(problem, kbu, None, floor=values[mid], prio_only=True)[0] == p_star
        lo, hi = (mid, hi) if ok else (lo, mid - 1)
    return _oracle_flow(problem, kbu, None, floor=values[lo])


def _timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def bench(n, cases, repeats, time_limit, use_oracle):
    e, m, r = make_cohort(n, seed=1)
    plain = [_timed(lambda: matching.match(e, m, relatedness=r)) for _ in range(repeats)]
    base_t, base = statistics.median(t for t, _ in plain), plain[-1][1]
    rows = []
    for case in cases:
        targets = CASES[case]
        ce, cm, cr, c_base_t, c_base = e, m, r, base_t, base
        if case == "mentor_share":  # mentors with 2-3 seats (spare seats), just below the plain largest share
            ce, cm, cr = make_cohort(n, seed=1, capacity=(2, 3))
            c_base_t, c_base = _timed(lambda ce=ce, cm=cm, cr=cr: matching.match(ce, cm, relatedness=cr))
            kbus = c_base.pairs.drop_duplicates("mentor_id")["mentor_id"].map(dict(zip(cm["id"], cm["kbu"])))
            targets = {"max_mentor_kbu_share": round(float(kbus.value_counts(normalize=True).iloc[0]) - 0.02, 3)}
        settings = {"targets": targets, "time_limit": time_limit}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            try:
                t, res = _timed(lambda ce=ce, cm=cm, cr=cr, s=settings: matching.match(ce, cm, relatedness=cr, settings=s))
            except matching.MatchingError as err:
                rows.append({"n": n, "case": case, "targets": targets, "error": str(err)[:200]})
                continue
        row = {"n": n, "case": case, "targets": targets, "plain_s": round(c_base_t, 3), "goal_s": round(t, 3),
               "ratio": round(t / c_base_t, 2), "status": res.info.status, "solver": res.info.solver,
               "score": res.info.score, "plain_score": c_base.info.score, "gap": res.info.gap,
               "goals": res.info.extra.get("goals"),
               "same_priority": res.info.matched_priority == c_base.info.matched_priority}
        if use_oracle and case in ("load", "maximin"):
            prio, score = oracle(e, m, r, case)
            row["oracle_equal"] = (prio, score) == (round(res.info.matched_priority * 100), round(res.info.score * 1000))
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--no-oracle", action="store_true")
    args = ap.parse_args(argv)
    out = []
    for n in args.sizes:
        out += bench(n, args.cases, args.repeats if n <= 5000 else 1, args.time_limit, not args.no_oracle)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    path = results / f"goals-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1, default=str))
    print(f"{'n':>6} {'case':<14} {'plain s':>8} {'goal s':>8} {'ratio':>6} {'status':<9} {'gap':>8} oracle")
    for row in out:
        if "error" in row:
            print(f"{row['n']:>6} {row['case']:<14} ERROR {row['error']}")
            continue
        print(f"{row['n']:>6} {row['case']:<14} {row['plain_s']:>8.2f} {row['goal_s']:>8.2f} {row['ratio']:>6.1f} "
              f"{row['status']:<9} {row['gap'] or 0:>8.4%} {row.get('oracle_equal', '-')}")


if __name__ == "__main__":
    main()
