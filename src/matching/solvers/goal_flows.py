"""Which cohort goals are exact flows, and solving them without CP-SAT.

``max_same_kbu_per_mentor`` (hard or soft) and ``fairness = "maximin"``, alone or
together, are min-cost flows (:mod:`matching.solvers.load_flow`,
:mod:`matching.solvers.maximin`): polynomial, proven optimal over every allowed pair,
on the same sparse candidate set and certificate as the plain match. Every other goal
(share targets, rank lag, mentor KBU shares, and any mix with them) goes to CP-SAT
(:mod:`matching.solvers.cpsat`).

Examples
--------
>>> from matching.cohort.goals import parse_goals
>>> flow_goals(parse_goals({"max_same_kbu_per_mentor": 2, "fairness": "maximin"}))
True
>>> flow_goals(parse_goals({"max_same_kbu_per_mentor": 2, "cross_kbu": 0.5}))
False
"""

from __future__ import annotations

import time

from ..cohort.goals import evaluate_goals
from .load_flow import load_goal, solve_load_limit
from .maximin import solve_maximin
from .problem import Assignment

__all__ = ["flow_goals", "solve_goal_flows"]


def flow_goals(goals) -> bool:
    """Whether every goal of ``goals`` is solved as an exact flow (and there is one)."""
    others = goals.shares or goals.rank_lag or any(g.name != "max_same_kbu_per_mentor" for g in goals.limits)
    return bool(goals) and not others


def solve_goal_flows(problem, cohort, settings, goals, plain: Assignment, *, score_range, scan=None, bound=None,
                     diagnosis=None) -> Assignment:
    """The proven optimum with the flow goals, from ``plain``, the proven optimum without them.

    ``scan``/``bound``: see :func:`matching.solvers.layered.certified_flow` (None when
    ``problem`` holds every allowed pair).
    """
    started = time.perf_counter()
    kw = dict(p_star=plain.matched_priority, score_range=score_range, scan=scan, bound=bound, diagnosis=diagnosis)
    if goals.maximin:
        return solve_maximin(problem, cohort, settings, goals, start=plain.mentor_of, **kw)
    report = evaluate_goals(cohort, settings, goals, plain.mentor_of)
    if settings.solver == "auto" and all(row["missed_by"] == 0 for row in report):
        extra = dict(plain.extra, goals=report, diagnosis=diagnosis or {},
                     cpsat={"stages": [], "penalty": 0.0, "proof": "the min-cost-flow optimum meets every goal"})
        return Assignment(mentor_of=plain.mentor_of, solver=plain.solver + " (goals checked)", status="OPTIMAL",
                          matched_priority=plain.matched_priority, score=plain.score, bound=None, gap=0.0,
                          wall_time=time.perf_counter() - started, extra=extra)
    assert load_goal(goals) is not None
    return solve_load_limit(problem, cohort, settings, goals, **kw)
