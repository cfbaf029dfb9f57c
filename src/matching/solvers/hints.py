"""Warm starts for CP-SAT, and the Lagrangian path for share targets and a hard rank lag.

:func:`lagrangian_path` solves problems whose goals are share targets and/or a hard rank
lag: the Lagrangian relaxation of :mod:`matching.solvers.lagrange` (one multiplier per
target or rank-lag group) gives an exact bound and feasible matchings; when the best is
within ``gap_limit`` of the bound it is returned (OPTIMAL when the gap is 0), otherwise
CP-SAT searches the arcs that reduced-cost fixing keeps, hinted. Without a feasible
flow matching (a rank lag's group constraints are tight), the kept arcs are those within
a radius of the bound (0.01% first): CP-SAT on them either finds a matching, and the
radius grows to the bound minus its value so that the model holds every better matching
(its optimum is then the optimum), or proves none reaches that far, and the radius
grows eightfold. A hard rank lag (with hard share targets or none) goes to HiGHS branch
and bound over descending score thresholds first (:mod:`matching.solvers.goal_mip`); the
CP-SAT route takes over when its models grow too large or it finds no matching in its
time (it leaves :data:`RESERVE` of the time for that). The CP-SAT models are solved by
one CP-SAT worker with the full LP relaxation (``linearization_level = 2``), which finds
and proves them far faster than the default portfolio on two workers. Deterministic up to the CP-SAT stage (same
multipliers, same matchings on every run; a time limit can cut the search short).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.sat.python import cp_model

from .._numeric import unique
from ..errors import SolverError
from ..cohort.goals import evaluate_goals, parse_goals, share_masks
from ..scoring.scores import RESOLUTION
from .cpsat_model import Arcs, GoalModel
from .cpsat_run import answer, run
from .flow import ortools_version, solve_flow
from .goal_mip import highs_version, mip_fits, mip_search
from .lagrange import Lagrangian, best_points, minimize, repair
from .problem import Assignment, Problem

__all__ = ["lagrangian_hint", "lagrangian_path", "PROOF_ARCS", "PROOF_SECONDS"]

#: Within the gap limit, CP-SAT still tries to prove optimality when the pruned model has
#: at most this many arcs, for at most ``PROOF_SECONDS`` (small cohorts get a proof).
PROOF_ARCS = 3_000
PROOF_SECONDS = 5.0
#: What one CP-SAT worker guarantees (recorded in the result).
ONE_WORKER = "one CP-SAT worker: the same pairs every run unless the time limit stops the search"
#: What the HiGHS route guarantees (recorded in the result).
MIP_RUNS = "one HiGHS run per threshold: the same pairs every run unless the time limit stops the search"
#: Share of the time left that the HiGHS search leaves to CP-SAT while it has found no matching.
RESERVE = 0.2
#: Share of the time left that a CP-SAT search over a radius not yet known to hold the optimum may use.
SLICE = 0.3


def lagrangian_hint(problem: Problem, arcs, cohort, settings, goals, start: np.ndarray) -> np.ndarray:
    """A matching meeting the hard share targets, found by min-cost flow on shifted scores.

    Each hard share target ``k`` adds ``mu_k * (qualifies - share * counts)`` points to
    every arc; ``mu`` doubles on targets still missed, then a bisection on the common
    scale keeps the smallest shift that meets them all (best score wins). A heuristic
    for the hint only: CP-SAT proves (or bounds) the optimum.
    """
    shares = [g for g in goals.shares if g.weight is None]
    free = ~arcs.fixed[arcs.i]
    if not shares or not free.any():
        return start
    terms = []
    for g in shares:
        counts, good = share_masks(cohort, g, arcs.i, arcs.j, arcs.rank)
        terms.append((good & counts).astype(float) - float(g.share) * counts)
    terms = np.array(terms)[:, free]
    unit = float(max(np.abs(arcs.score).max(initial=1), 1))

    def attempt(mu):
        shifted = arcs.score[free] + np.rint(unit * (mu @ terms)).astype(np.int64)
        sub = Problem(n_mentees=problem.n_mentees, n_mentors=problem.n_mentors, i=arcs.i[free], j=arcs.j[free],
                      score=shifted, priority=problem.priority, capacity=problem.capacity,
                      fixed_i=problem.fixed_i, fixed_j=problem.fixed_j, fixed_score=problem.fixed_score)
        mentor_of = solve_flow(sub).mentor_of
        missed = [row["missed_by"] for row in evaluate_goals(cohort, settings, parse_goals(
            {g.name: float(g.share) for g in shares}), mentor_of)]
        chosen = mentor_of[arcs.i[free]] == arcs.j[free]
        return mentor_of, np.array(missed) > 0, int(arcs.score[free][chosen].sum())

    mu, best = np.zeros(len(shares)), None
    for _ in range(12):
        mentor_of, bad, score = attempt(mu)
        if not bad.any():
            best = (score, mentor_of)
            break
        mu = np.where(bad, np.maximum(2 * mu, 1 / 64), mu)
    if best is None:
        return start
    for _ in range(2):  # lower each multiplier in turn while every target still holds
        for k in range(len(shares)):
            lo_k, hi_k = 0.0, mu[k]
            for _ in range(6):
                trial = mu.copy()
                trial[k] = (lo_k + hi_k) / 2
                mentor_of, bad, score = attempt(trial)
                if bad.any():
                    lo_k = trial[k]
                else:
                    hi_k, mu = trial[k], trial
                    best = max(best, (score, mentor_of), key=lambda t: t[0])
    return best[1]



def lagrangian_path(problem: Problem, arcs, cohort, settings, goals, diagnosis, started, deadline, gap_limit):
    """Share targets and a hard rank lag by a Lagrangian bound, then (if the gap is too wide)
    CP-SAT on the arcs reduced-cost fixing keeps.

    Returns ``(assignment, ceiling)``: ``assignment`` is None when no matching meeting
    the hard goals was found (CP-SAT then decides, naming a conflict if there is one),
    with ``ceiling`` a proven bound on the goal objective for it.
    """
    lag = Lagrangian(problem, arcs, cohort, goals, settings)
    first = lag.evaluate(np.zeros(len(lag.den), np.int64))  # the min-cost-flow optimum without goals
    if settings.solver == "auto" and all(row["missed_by"] == 0 for row in
                                         evaluate_goals(cohort, settings, goals, first.mentor_of)):
        return _goals_checked(problem, cohort, settings, goals, first, diagnosis, started), None
    points = [first]
    minimize(lag, points, deadline)
    repair(lag, points, deadline)
    best, inc = best_points(points)
    if inc is not None and best.bound < inc.value:
        raise SolverError("the Lagrangian bound is below a matching's value (internal error)", status="NOT_CERTIFIED")
    detail = {"stages": [], "lagrangian": _report(lag, best, inc)}
    flow = f"ortools.min_cost_flow {ortools_version()} + lagrangian bound"
    args = (problem, cohort, settings, goals)
    if inc is not None and best.bound == inc.value:
        detail["deterministic"] = "same pairs every run (no CP-SAT search)"
        return answer(*args, inc.mentor_of, inc.value, best.bound, True, diagnosis, started, flow, detail), None
    left = deadline - time.perf_counter()
    point = lag.evaluate(np.array(best.q), reduced=True) if left > 0.05 else None
    if inc is None:
        if point is None:
            return None, best.bound
        hard = lag.weight < 0
        closest = min(points, key=lambda t: -float((np.minimum(np.array(t.g), 0)[hard] / lag.den[hard]).sum()))
        if mip_fits(goals):
            done = _mip(lag, point, problem, arcs, cohort, settings, goals, best, None, diagnosis, started, deadline,
                        detail)
            if done is not None or time.perf_counter() >= deadline - 0.05:
                return done, detail["mip_bound"]
        done = _pruned_cpsat(lag, point, problem, arcs, cohort, settings, goals, best, None, closest.mentor_of,
                             diagnosis, started, deadline, detail)
        return done, min(best.bound, detail.get("mip_bound", best.bound))
    keep = lag.keep(point, inc.value) if point is not None else None
    within = best.bound - inc.value <= gap_limit * abs(best.bound)
    if keep is None or (within and len(keep) > PROOF_ARCS):
        why = ("the Lagrangian bound proves this matching within {gap_limit:.2%} of the optimum, not optimal: "
               "{{stats}}; no CP-SAT search was run to close the gap").format(gap_limit=gap_limit)
        detail["deterministic"] = "same pairs every run (no CP-SAT search)"
        return answer(*args, inc.mentor_of, inc.value, best.bound, False, diagnosis, started, flow, detail,
                       why=why), None
    end = min(deadline, time.perf_counter() + PROOF_SECONDS) if within else deadline
    if mip_fits(goals):
        done = _mip(lag, point, problem, arcs, cohort, settings, goals, best, inc, diagnosis, started, end, detail)
        if done is not None:
            return done, None
    return _pruned_cpsat(lag, point, problem, arcs, cohort, settings, goals, best, inc, inc.mentor_of, diagnosis,
                         started, end, detail), None


def _pruned_cpsat(lag, point, problem, arcs, cohort, settings, goals, best, inc, hint, diagnosis, started, end,
                  detail):
    """CP-SAT over the arcs whose reduced cost leaves room for a matching within ``radius`` of the
    bound, hinted; the radius grows until the kept arcs hold every matching better than the best
    found (then that model's optimum is the optimum). None: no matching found."""
    bound = min(best.bound, detail.get("mip_bound", best.bound))  # HiGHS may have proved a lower one
    value, mentor_of = (inc.value, inc.mentor_of) if inc is not None else (None, None)
    radius = bound - value if inc is not None else max(abs(bound) // 10_000, 1)
    p_star = int(problem.priority[hint >= 0].sum())
    stages, proven = [], False
    while True:
        left = end - time.perf_counter()
        keep = lag.keep(point, best.bound - radius)
        sel, whole = unique(np.concatenate([keep, arcs.pins])), len(keep) >= len(lag.free)
        exact = value is not None and value >= best.bound - radius  # every better matching is in the model
        if left <= 0.05:
            break
        seconds = left if exact or whole else min(left, max(SLICE * left, 2.0))
        status, found, cp_bound, got = _kept_model(sel, problem, arcs, cohort, settings, goals, p_star, hint, seconds)
        stages.append(("score", status, found, cp_bound, int(len(sel)), int(radius)))
        if got is not None and (value is None or found > value):
            value, mentor_of, hint = found, got, got
        if status == "INFEASIBLE":  # no matching reaches best.bound - radius
            if whole:
                return None
            bound, radius = min(bound, best.bound - radius - 1), radius * 8
            continue
        if exact or (status == "OPTIMAL" and value is not None and value >= best.bound - radius):
            if status in ("OPTIMAL", "FEASIBLE"):
                bound = max(value, min(bound, int(np.floor(cp_bound + 1e-6))))
                proven = status == "OPTIMAL"
            break
        if status == "OPTIMAL":  # the model's optimum is below the radius: better matchings may lie outside
            bound = min(bound, max(value, best.bound - radius - 1))
        if value is not None:
            radius = max(best.bound - value, radius + 1)
        elif status == "UNKNOWN":
            radius *= 4
    if value is None:
        return None
    detail["lagrangian"]["kept_arcs"] = int(stages[-1][4]) if stages else 0
    detail["stages"] = [s[:4] for s in stages]
    detail["fixing"] = [{"radius": s[5], "arcs": s[4], "status": s[1]} for s in stages]
    detail["workers"], detail["deterministic"] = 1, ONE_WORKER
    label = f"ortools.cp_sat {ortools_version()} (lagrangian bound, reduced-cost pruned)"
    why = ("CP-SAT stopped at the time limit ({limit:g} s), or its share of it once the gap was small, before "
           "proving the matching optimal: {stats}; raise 'time_limit' for a proven optimum")
    return answer(problem, cohort, settings, goals, mentor_of, value, bound, proven or value >= bound, diagnosis,
                  started, label, detail, why=why)


def _mip(lag, point, problem, arcs, cohort, settings, goals, best, inc, diagnosis, started, end, detail):
    """A hard rank lag by HiGHS branch and bound over descending thresholds
    (:mod:`matching.solvers.goal_mip`). None: no matching found."""
    found = None if inc is None else (inc.value, inc.mentor_of)
    reserve = RESERVE * max(end - time.perf_counter(), 0.0)  # for CP-SAT to find a matching if HiGHS has none
    value, mentor_of, bound, proven, stages = mip_search(lag, point, best.bound, found, arcs, cohort, goals,
                                                         settings, end, reserve)
    detail["mip"], detail["mip_bound"] = stages, bound
    if value is None or not any(st["status"] != "TOO_LARGE" for st in stages):
        return None
    detail["lagrangian"]["kept_arcs"] = stages[-1]["arcs"] if stages else 0
    detail["workers"], detail["deterministic"] = 1, MIP_RUNS
    label = f"highs {highs_version()} milp (lagrangian bound, reduced-cost pruned)"
    why = ("HiGHS stopped at the time limit ({limit:g} s) before proving the matching optimal: {stats}; "
           "raise 'time_limit' for a proven optimum")
    return answer(problem, cohort, settings, goals, mentor_of, value, bound, proven, diagnosis, started, label,
                  detail, why=why)


def _kept_model(sel, problem, arcs, cohort, settings, goals, p_star, hint, seconds):
    """``(status, objective, bound, matching or None)`` of CP-SAT on arcs ``sel`` (one worker, full LP)."""
    sub = dataclasses.replace(problem, i=arcs.i[sel], j=arcs.j[sel], score=arcs.score[sel])
    model = GoalModel(Arcs(sub, cohort), cohort, settings, goals, sub, p_star)
    model.m.maximize(model.score_expr())  # no "objective <= bound" constraint: it slowed proofs 15x in tests
    model.hint(hint)
    solver, status = run(model.m, settings, seconds, workers=1, linearization=2)
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, int(round(solver.objective_value)), solver.best_objective_bound, model.mentor_of(
            solver, problem.n_mentees)
    if status not in (cp_model.INFEASIBLE, cp_model.UNKNOWN):
        raise SolverError(f"CP-SAT rejected the pruned model ({name}; internal error): {model.m.validate()}",
                          status=name)
    return name, None, None, None


def _goals_checked(problem, cohort, settings, goals, first, diagnosis, started) -> Assignment:
    report = evaluate_goals(cohort, settings, goals, first.mentor_of)
    extra = {"goals": report, "diagnosis": diagnosis,
             "cpsat": {"stages": [], "penalty": 0.0, "proof": "the min-cost-flow optimum meets every goal"}}
    matched = first.mentor_of >= 0
    return Assignment(mentor_of=first.mentor_of, solver=f"ortools.min_cost_flow {ortools_version()} (goals checked)",
                      status="OPTIMAL", matched_priority=int(problem.priority[matched].sum()),
                      score=first.score + int(problem.fixed_score.sum()), bound=None, gap=0.0,
                      wall_time=time.perf_counter() - started, extra=extra)


def _report(lag, best, inc) -> dict:
    """What the relaxation found, in score points (multipliers: points per qualifying pair, or
    per mentee-rank of a rank-lag group)."""
    mu = np.array(best.q, float) * lag.den / lag.scale / RESOLUTION
    return {"bound": best.bound / RESOLUTION, "incumbent": None if inc is None else inc.value / RESOLUTION,
            "multipliers": {name: round(float(x), 6) for name, x in zip(lag.names, mu)},
            "evaluations": lag.evaluations, "arcs": int(len(lag.free)), "working_arcs": int(len(lag.work)),
            "scale": lag.scale}
