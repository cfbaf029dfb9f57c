"""Exact re-matching at the checkpoint by OR-Tools min-cost flow.

Network: source -> each *optional* mentee (capacity 1, cost ``-W * priority``);
each *movable* mentee has a supply of 1 of its own (it must stay matched);
mentee -> mentor (capacity 1, cost ``-score``, plus ``W * move_cost`` when a movable
mentee leaves its current mentor); mentor -> sink (capacity = free seats); a
source -> sink bypass so that no optional mentee has to be matched.

With ``W`` from :func:`~matching.solvers.problem.lexicographic_weight` (larger than any
difference in total score), the minimum-cost flow maximises
``sum(priority of matched optional mentees) - move_cost * disturbed pairs`` first and
the total score second, exactly. The caller encodes further tiers (re-matched before
waitlisted) in the integer priorities.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from ..errors import SolverError
from .flow import STATUS_TEXT, check_cost_range, check_weight_range, ortools_version
from .problem import Assignment, lexicographic_weight

__all__ = ["RematchProblem", "solve_rematch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class RematchProblem:
    """Who may be (re)placed where, in integers only.

    Attributes
    ----------
    n_mentees, n_mentors : int
    i, j : ndarray of int64
        Allowed arcs; only mentees that are optional or movable have arcs.
    score : ndarray of int64
        Score units of each arc.
    priority : ndarray of int64, shape (n_mentees,)
        Objective units of matching each optional mentee (> 0); 0 for movable ones.
    movable : ndarray of bool, shape (n_mentees,)
        Mentees that must stay matched, preferably with ``home``.
    home : ndarray of int64, shape (n_mentees,)
        Current mentor of each movable mentee (-1 otherwise).
    seats : ndarray of int64, shape (n_mentors,)
        Free seats (capacity minus fixed pairs; movable mentees' seats included).
    move_cost : int
        Objective units lost per movable mentee placed away from ``home`` (>= 1).
    """

    n_mentees: int
    n_mentors: int
    i: np.ndarray
    j: np.ndarray
    score: np.ndarray
    priority: np.ndarray
    movable: np.ndarray
    home: np.ndarray
    seats: np.ndarray
    move_cost: int = 1


def _network(p: RematchProblem):
    """Arc arrays (tails, heads, capacities, costs), supplies, and the mentee-arc slice."""
    n, m = p.n_mentees, p.n_mentors
    weight = lexicographic_weight(p.i, p.score, n)
    optional = np.flatnonzero((p.priority > 0) & ~p.movable & (np.bincount(p.i, minlength=n) > 0))
    movers = np.flatnonzero(p.movable)
    source, sink = n + m, n + m + 1
    seats = np.flatnonzero(p.seats > 0)
    check_weight_range(weight, np.append(p.priority, p.move_cost), p.score, n + m + 2)
    away = p.movable[p.i] & (p.j != p.home[p.i])
    tails = np.concatenate([np.full(len(optional), source), p.i, n + seats, [source]])
    heads = np.concatenate([optional, n + p.j, np.full(len(seats), sink), [sink]])
    caps = np.concatenate([np.ones(len(optional) + len(p.i), np.int64), p.seats[seats], [len(optional)]])
    costs = np.concatenate([-weight * p.priority[optional], -p.score + away * (weight * p.move_cost),
                            np.zeros(len(seats) + 1, np.int64)]).astype(np.int64)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[movers] = 1
    supplies[source], supplies[sink] = len(optional), -(len(optional) + len(movers))
    return (tails, heads, caps, costs), supplies, slice(len(optional), len(optional) + len(p.i))


def solve_rematch(problem: RematchProblem) -> Assignment:
    """Solve ``problem`` to proven optimality.

    Returns
    -------
    Assignment
        ``mentor_of`` for mentees with arcs (-1 elsewhere); ``extra["disturbed"]`` counts
        movable mentees placed away from home.

    Raises
    ------
    SolverError
        For any solver status other than OPTIMAL (each is named). INFEASIBLE means the
        movable mentees cannot all stay matched (their current pairs must fit the seats).
    """
    p = problem
    n, m = p.n_mentees, p.n_mentors
    (tails, heads, caps, costs), supplies, arcs = _network(p)
    check_cost_range(costs, n + m + 2)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int32), supplies)
    started = time.perf_counter()
    status = flow.solve()
    elapsed = time.perf_counter() - started
    name = status.name if hasattr(status, "name") else str(status)
    if status == flow.INFEASIBLE and p.movable.any():
        raise SolverError("the pairs that may move cannot all stay matched (internal error: their current "
                          "pairs fit the free seats)", status=name)
    if status != flow.OPTIMAL:
        raise SolverError(STATUS_TEXT.get(name, f"unexpected min-cost flow status {name}"), status=name)
    ids = np.arange(arcs.start, arcs.stop, dtype=np.int32)
    chosen = flow.flows(ids) > 0 if len(ids) else np.zeros(0, bool)
    mentor_of = np.full(n, -1, dtype=np.int64)
    mentor_of[p.i[chosen]] = p.j[chosen]
    matched = mentor_of >= 0
    disturbed = int((p.movable & (mentor_of != p.home)).sum())
    log.debug("rematch flow: %d arcs, %d placed, %d disturbed, %.3fs", len(p.i), int(matched.sum()),
              disturbed, elapsed)
    return Assignment(mentor_of=mentor_of, solver=f"ortools.min_cost_flow {ortools_version()}",
                      status="OPTIMAL", matched_priority=int(p.priority[matched & ~p.movable].sum()),
                      score=int(p.score[chosen].sum()), bound=None, gap=0.0, wall_time=elapsed,
                      extra={"disturbed": disturbed})
