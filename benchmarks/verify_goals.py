"""Independent exact optima for the search goals of ``bench_goals.py`` (rank lag, mentor KBU share).

A mixed-integer program on EVERY allowed pair, solved by HiGHS (``scipy.optimize.milp``),
written here without the library's solvers (only its scoring and goal definitions):
one binary per pair, at most one mentor per mentee, seats, the plain optimum's matched
priority, and

* rank lag by KBU: for each group ``g`` (mentees who listed preferences, at least
  ``min_group_size``), ``mean outcome rank of g - mean of all <= max``, linear in the pairs;
* mentor KBU share: a binary ``y`` per mentor with ``x <= y`` on each of its pairs and
  ``y <= load``; for each KBU ``den * sum y (KBU) - num * sum y <= 0``.

It maximises the total score and prints the proven optimum (or the best found and the
bound at the time limit). Slow on purpose (minutes): it is the reference, not a solver.

    python benchmarks/verify_goals.py --case rank_lag --n 500 --time-limit 1200
    python benchmarks/verify_goals.py --case mentor_share --n 500
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching  # noqa: E402
from bench_goals import _oracle_flow  # noqa: E402
from generate import make_cohort  # noqa: E402
from matching.cohort.goals import evaluate_goals, outcome_ranks, pair_ranks, parse_goals, rank_groups  # noqa: E402
from matching.cohort.settings import Settings  # noqa: E402
from matching.cohort.validate import load_cohort  # noqa: E402
from matching.review.solve import make_problem  # noqa: E402
from matching.scoring.sparse import build_candidates  # noqa: E402


def _rows(i, j, n, m, a):
    one = sp.csr_matrix((np.ones(a), (i, np.arange(a))), shape=(n, a))
    seat = sp.csr_matrix((np.ones(a), (j, np.arange(a))), shape=(m, a))
    return one, seat


def rank_lag_rows(cohort, settings, problem, lag):
    """Rows ``G x <= lag`` (one per KBU group): group mean rank minus cohort mean, as a linear form."""
    rank = pair_ranks(cohort, problem.i, problem.j)
    counted, outcome, worst = outcome_ranks(cohort, problem.i, rank)
    gain = np.where(counted[problem.i], worst - outcome, 0).astype(float)
    n = counted.sum()
    groups = rank_groups(cohort, settings, "kbu", counted)
    return np.array([-(g[problem.i] / g.sum()) * gain + gain / n for g in groups]), np.full(len(groups), lag)


def solve(case, n, time_limit):
    if case == "rank_lag":
        e, m, r = make_cohort(n, seed=1)
        targets = {"max_rank_lag": {"max": 0.1, "by": ["kbu"]}}
    else:
        e, m, r = make_cohort(n, seed=1, capacity=(2, 3))
        base = matching.match(e, m, relatedness=r)
        kbus = base.pairs.drop_duplicates("mentor_id")["mentor_id"].map(dict(zip(m["id"], m["kbu"])))
        targets = {"max_mentor_kbu_share": round(float(kbus.value_counts(normalize=True).iloc[0]) - 0.02, 3)}
    settings = Settings(targets=targets)
    cohort = load_cohort(e, m, relatedness=r)
    problem = make_problem(cohort, settings, build_candidates(cohort, settings))
    p_star = _oracle_flow(problem, cohort.mentees.kbu, None, prio_only=True)[0]
    a, nn, mm = len(problem.i), problem.n_mentees, problem.n_mentors
    one, seat = _rows(problem.i, problem.j, nn, mm, a)
    prio = sp.csr_matrix(problem.priority[problem.i].astype(float)[None, :])
    if case == "rank_lag":
        g, ub = rank_lag_rows(cohort, settings, problem, 0.1)
        mat = sp.vstack([one, seat, prio, sp.csr_matrix(g)])
        lo = np.r_[np.zeros(nn + mm), p_star, np.full(len(ub), -np.inf)]
        hi = np.r_[np.ones(nn), problem.capacity, p_star, ub]
        cost, k = -problem.score.astype(float), a
    else:  # columns: x (a), y (mm)
        share = float(targets["max_mentor_kbu_share"])
        link = sp.hstack([sp.identity(a), -sp.csr_matrix((np.ones(a), (np.arange(a), problem.j)), shape=(a, mm))])
        used = sp.hstack([-seat, sp.identity(mm)])  # y <= load
        kbu = cohort.mentors.kbu
        caps = [sp.csr_matrix(np.r_[np.zeros(a), (kbu == c) - share * np.ones(mm)][None, :]) for c in np.unique(kbu[kbu >= 0])]
        mat = sp.vstack([sp.hstack([one, sp.csr_matrix((nn, mm))]), sp.hstack([seat, sp.csr_matrix((mm, mm))]),
                         sp.hstack([prio, sp.csr_matrix((1, mm))]), link, used] + caps)
        lo = np.r_[np.zeros(nn + mm), p_star, np.full(a + mm + len(caps), -np.inf)]
        hi = np.r_[np.ones(nn), problem.capacity, p_star, np.zeros(a + mm + len(caps))]
        cost, k = np.r_[-problem.score.astype(float), np.zeros(mm)], a + mm
    started = time.perf_counter()
    res = milp(cost, constraints=LinearConstraint(mat.tocsr(), lo, hi), integrality=np.ones(k), bounds=Bounds(0, 1),
               options={"time_limit": time_limit, "mip_rel_gap": 0})
    out = {"case": case, "n": n, "targets": targets, "status": res.message, "seconds": round(time.perf_counter() - started, 1),
           "objective": None if res.fun is None else round(-res.fun), "bound": round(-res.mip_dual_bound)}
    if res.x is not None:
        x = res.x[:a] > 0.5
        mentor_of = np.full(nn, -1, np.int64)
        mentor_of[problem.i[x]] = problem.j[x]
        out["goals"] = evaluate_goals(cohort, settings, parse_goals(targets), mentor_of)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", choices=["rank_lag", "mentor_share"], default="rank_lag")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--time-limit", type=float, default=1200.0)
    args = ap.parse_args(argv)
    out = solve(args.case, args.n, args.time_limit)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    path = results / f"verify-{args.case}-{args.n}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out, default=str))
    print(f"written {path}")


if __name__ == "__main__":
    main()
