"""``fairness = "maximin"`` as a bottleneck flow: exact, no CP-SAT.

Among the matchings that match the most (by priority), raise the lowest pair score of
any matched mentee (pins included), then the total. A threshold ``t`` is reachable when
the pairs scoring at least ``t`` still match that priority: a max-priority flow, proved
over every allowed pair (:mod:`matching.solvers.layered`). Reachability falls as ``t``
rises, so a binary search over integer scores, between the lowest pair score of a known
best matching and the highest allowed score (or the lowest pinned pair's), finds the
largest reachable ``t*``; the answer is then the plain lexicographic optimum on the
pairs scoring at least ``t*``. A ``max_same_kbu_per_mentor`` limit joins as the flow's
(mentor, KBU) layer in both steps.
"""

from __future__ import annotations

import time

import numpy as np

from ..cohort.goals import describe_goal
from ..errors import InfeasibleError, SolverError
from ..scoring.scores import RESOLUTION
from .layered import certified_flow
from .load_flow import flow_answer, lex_weight, limited_optimum, load_goal, load_network, pins_over
from .problem import Assignment

__all__ = ["solve_maximin", "worst_pair"]


def worst_pair(problem, mentor_of, score_of) -> int | None:
    """The lowest score of a matched mentee's pair (pins included); None when nobody is matched."""
    free = np.zeros(problem.n_mentees, bool)
    free[mentor_of >= 0] = True
    free[problem.fixed_i] = False
    values = [int(v) for v in score_of(np.flatnonzero(free))] + [int(v) for v in problem.fixed_score]
    return min(values, default=None)


def solve_maximin(problem, cohort, settings, goals, *, p_star: int, start: np.ndarray, score_range, scan=None,
                  bound=None, diagnosis=None) -> Assignment:
    """The maximin optimum. ``start`` is a best matching without maximin (the plain optimum).

    Raises :class:`~matching.errors.InfeasibleError` when a hard load limit cannot hold.
    """
    started = time.perf_counter()
    goal = load_goal(goals)
    net = load_network(problem, cohort, goal)
    i, j, score, _ = problem.free_arcs()
    if goal is not None:  # start from the optimum under the limit, on the arcs its certificate grew
        if goal.weight is None and pins_over(net, goal):
            raise InfeasibleError(f"{describe_goal(goal)} cannot hold with the pins", conflicts=[goal.name, "pins"])
        start, i, j, score, _ = limited_optimum(problem, net, goal, p_star=p_star, score_range=score_range,
                                                scan=scan, bound=bound)
    keys = i * problem.n_mentors + j
    order = np.argsort(keys, kind="stable")
    lo = worst_pair(problem, start,
                    lambda rows: score[order[np.searchsorted(keys[order], rows * problem.n_mentors + start[rows])]])
    if lo is None:
        lo = int(score_range[1])
    need = int(net.prio[(start >= 0)].sum())
    top = int(score_range[1]) + 1
    hi = min([int(score_range[1])] + [int(v) for v in problem.fixed_score])
    arcs, steps = (i, j, score), []
    while lo < hi:
        t = (lo + hi + 1) // 2
        ok, arcs = _reaches(net, arcs, t, need, scan, bound, top)
        steps.append({"threshold": t / RESOLUTION, "reached": ok})
        lo, hi = (t, hi) if ok else (lo, t - 1)
    weight = lex_weight(net, score_range)
    mentor_of, ai, aj, ascore, rounds, _ = certified_flow(net, *arcs, "lex", weight=weight, floor=lo, scan=scan,
                                                       bound=bound, top=top)
    mentor_of[problem.fixed_i] = problem.fixed_j
    if int(net.prio[mentor_of >= 0].sum()) != need:
        raise SolverError("the maximin flow lost a matched mentee (internal error)", status="NOT_CERTIFIED")
    out = flow_answer(problem, cohort, settings, goals, mentor_of, ai, aj, ascore, rounds, started, diagnosis,
                      "bottleneck threshold" + (" + KBU load layer" if goal is not None else ""))
    out.extra["maximin"] = {"lowest_pair_score": lo / RESOLUTION, "search_steps": steps}
    return out


def _reaches(net, arcs, t, need, scan, bound, top):
    """Whether pairs scoring ``>= t`` still match priority ``need``; the working arcs, grown."""
    i, j, score = arcs
    keep = (score >= t) & (net.left[j] > 0)
    mentor_of, _ = net.solve(i[keep], j[keep], score[keep], "priority")
    if int(net.prio[mentor_of >= 0].sum()) >= need:
        return True, arcs
    if scan is None:
        return False, arcs
    mentor_of, ai, aj, ascore, _, _ = certified_flow(net, i, j, score, "priority", floor=t, scan=scan, bound=bound,
                                                  top=top)
    known = np.isin(ai * net.m + aj, i * net.m + j)
    if not known.all():
        new_i, new_j, new_s = ai[~known], aj[~known], ascore[~known]
        i, j, score = np.concatenate([i, new_i]), np.concatenate([j, new_j]), np.concatenate([score, new_s])
        order = np.lexsort((j, i))
        arcs = (i[order], j[order], score[order])
    return int(net.prio[mentor_of >= 0].sum()) >= need, arcs
