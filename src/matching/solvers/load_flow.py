"""``max_same_kbu_per_mentor`` as an exact min-cost flow (hard or soft), certified at scale.

Each mentee's arcs enter a (mentor, mentee's KBU) node whose arc to the mentor carries
``k`` units free (pins of that KBU at that mentor use some); a soft limit adds a
parallel arc on which every further unit costs the goal's weight (a convex cost). The
lexicographic weight keeps matched priority first; with a hard limit, an optimum
matching fewer (by priority) than the plain optimum means the limit cannot hold while
matching as many mentees as possible (:class:`~matching.errors.InfeasibleError`).
The answer is proven optimal over every allowed pair (:mod:`matching.solvers.layered`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..cohort.goals import describe_goal, evaluate_goals
from ..errors import InfeasibleError
from ..scoring.scores import RESOLUTION
from .flow import check_weight_range, ortools_version
from .layered import Network, certified_flow
from .problem import Assignment

__all__ = ["flow_answer", "lex_weight", "limited_optimum", "load_goal", "load_network", "solve_load_limit"]


def load_goal(goals):
    """The ``max_same_kbu_per_mentor`` goal of ``goals``, or None."""
    return next((g for g in goals.limits if g.name == "max_same_kbu_per_mentor"), None)


def _prio(problem) -> np.ndarray:
    """Priority per mentee, divided by the gcd of the free mentees' (0 for pinned mentees)."""
    raw = problem.priority.astype(np.int64).copy()
    raw[problem.fixed_i] = 0
    free = raw > 0
    return raw // max(math.gcd(*raw[free].tolist()), 1) if free.any() else raw


def load_network(problem, cohort, goal) -> Network:
    """The layered network of ``problem`` under ``goal`` (None: no layer)."""
    left = problem.capacity - np.bincount(problem.fixed_j, minlength=problem.n_mentors)
    kbu = np.asarray(cohort.mentees.kbu, np.int64)
    if goal is None:
        return Network(problem.n_mentees, problem.n_mentors, kbu, _prio(problem), left)
    width = int(kbu.max(initial=0)) + 1
    known = kbu[problem.fixed_i] >= 0
    pinned = np.sort(problem.fixed_j[known] * width + kbu[problem.fixed_i][known])
    penalty = None if goal.weight is None else max(1, int(round(goal.weight * RESOLUTION)))
    return Network(problem.n_mentees, problem.n_mentors, kbu, _prio(problem), left, int(goal.value), penalty,
                   pinned)


def lex_weight(net: Network, score_range) -> int:
    """A weight putting matched priority first, above any score and penalty difference."""
    lo, hi = score_range
    per = max(int(hi), 0) - min(int(lo), 0) + (net.penalty or 0) * 2
    weight = 1 + int((net.prio > 0).sum()) * per
    check_weight_range(weight, net.prio, np.asarray([lo, hi, net.penalty or 0]), net.n + 2 * net.m + 3)
    return weight


def pins_over(net: Network, goal) -> list:
    """(mentor, KBU) nodes whose pins alone pass a hard limit."""
    if net.pinned is None or not len(net.pinned):
        return []
    keys, counts = np.unique(net.pinned, return_counts=True)
    return keys[counts > int(goal.value)].tolist()


def solve_load_limit(problem, cohort, settings, goals, *, p_star: int, score_range, scan=None, bound=None,
                     diagnosis=None) -> Assignment:
    """The optimum under the KBU load limit of ``goals`` (hard or soft), proven over every allowed pair.

    ``p_star`` is the plain optimum's matched priority (raw units); ``scan``/``bound``
    as in :func:`~matching.solvers.layered.certified_flow` (None: ``problem`` holds
    every allowed pair).
    """
    started = time.perf_counter()
    goal = load_goal(goals)
    net = load_network(problem, cohort, goal)
    if goal.weight is None and pins_over(net, goal):
        raise InfeasibleError(f"{describe_goal(goal)} cannot hold with the pins: pinned pairs alone give a "
                              f"mentor more than {int(goal.value)} mentees of one KBU",
                              conflicts=[goal.name, "pins"])
    mentor_of, ai, aj, ascore, rounds = limited_optimum(problem, net, goal, p_star=p_star, score_range=score_range,
                                                        scan=scan, bound=bound)
    return flow_answer(problem, cohort, settings, goals, mentor_of, ai, aj, ascore, rounds, started, diagnosis,
                       "KBU load layer")


def limited_optimum(problem, net, goal, *, p_star, score_range, scan, bound):
    """``(mentor_of, i, j, score, rounds)``: the certified optimum under the limit (pins placed)
    and the arcs it solved; InfeasibleError when it matches less priority than ``p_star``."""
    i, j, score, _ = problem.free_arcs()
    mentor_of, ai, aj, ascore, rounds, _ = certified_flow(net, i, j, score, "lex", weight=lex_weight(net, score_range),
                                                       scan=scan, bound=bound, top=int(score_range[1]) + 1)
    mentor_of[problem.fixed_i] = problem.fixed_j
    got = int(problem.priority[mentor_of >= 0].sum())
    if got < p_star:
        raise InfeasibleError(f"{describe_goal(goal)} cannot hold while matching as many mentees as possible "
                              f"(priority matched {got / 100:g} with it, {p_star / 100:g} without)",
                              conflicts=[goal.name, "most_matched"])
    return mentor_of, ai, aj, ascore, rounds


def flow_answer(problem, cohort, settings, goals, mentor_of, ai, aj, ascore, rounds, started, diagnosis,
                what: str) -> Assignment:
    """The proven optimum as an :class:`Assignment` with its goal report and certificate."""
    chosen = mentor_of[ai] == aj
    score = int(ascore[chosen].sum() + problem.fixed_score.sum())
    matched = mentor_of >= 0
    report = evaluate_goals(cohort, settings, goals, mentor_of)
    penalty = sum((r["weight"] or 0) * r["missed_by"] for r in report if not r["hard"])
    extra = {"goals": report, "diagnosis": diagnosis or {},
             "certificate": {"certified": True, "method": "residual-graph potentials of the "
                             + what + " flow; every allowed pair left out has a non-negative reduced cost",
                             "rounds": len(rounds), "arcs": int(len(ai)), "detail": rounds},
             "cpsat": {"stages": [], "penalty": float(penalty), "proof": f"exact min-cost flow ({what})"}}
    return Assignment(mentor_of=mentor_of, solver=f"ortools.min_cost_flow {ortools_version()} ({what}, certified)",
                      status="OPTIMAL", matched_priority=int(problem.priority[matched].sum()), score=score,
                      bound=None, gap=0.0, wall_time=time.perf_counter() - started, extra=extra)
