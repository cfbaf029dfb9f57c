"""Exact capacitated assignment by OR-Tools min-cost flow.

Network: source -> mentee (capacity 1, cost ``-W * priority``), mentee -> mentor
(capacity 1, cost ``-score``), mentor -> sink (capacity = free seats, cost 0), and a
source -> sink bypass (cost 0) so that nobody has to be matched. With ``W`` from
:func:`~matching.solvers.problem.lexicographic_weight`, the minimum-cost flow
maximises matched priority first and total score second, exactly.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from ortools.graph.python import min_cost_flow

from .._numeric import unique
from ..errors import SolverError
from .problem import Assignment, Problem, lexicographic_weight

__all__ = ["solve_flow", "assign", "network", "ortools_version", "check_weight_range", "check_cost_range", "STATUS_TEXT"]

log = logging.getLogger(__name__)

_INT64_MAX = np.iinfo(np.int64).max

STATUS_TEXT = {
    "NOT_SOLVED": "the min-cost flow solver did not run",
    "INFEASIBLE": "the flow network has no feasible flow (internal error: the bypass arc makes it always feasible)",
    "UNBALANCED": "the flow network's supplies do not balance (internal error)",
    "BAD_RESULT": "the min-cost flow solver returned an inconsistent result",
    "BAD_COST_RANGE": "scores are too large for exact integer costs; lower the weights or priorities",
    "BAD_CAPACITY_RANGE": "capacities are too large for the flow solver",
    "FEASIBLE": "the min-cost flow solver stopped before proving optimality",
}


def ortools_version() -> str:
    import ortools

    return getattr(ortools, "__version__", "unknown")


def check_cost_range(costs: np.ndarray, n_nodes: int) -> None:
    largest = int(np.abs(costs).max(initial=0))
    if largest and largest > _INT64_MAX // (4 * (n_nodes + 1)):
        raise SolverError(f"{STATUS_TEXT['BAD_COST_RANGE']} (largest cost {largest}, {n_nodes} nodes)",
                          status="BAD_COST_RANGE")


def check_weight_range(weight: int, priority: np.ndarray, score: np.ndarray, n_nodes: int) -> None:
    """Refuse a lexicographic weight whose costs would not fit exactly in int64.

    Checked with Python integers BEFORE any numpy product, which would wrap silently.
    """
    largest = int(weight) * int(np.abs(priority).max(initial=0)) + int(np.abs(score).max(initial=0))
    if largest > _INT64_MAX // (4 * (n_nodes + 1)):
        raise SolverError(f"{STATUS_TEXT['BAD_COST_RANGE']} (largest cost {largest}, {n_nodes} nodes)",
                          status="BAD_COST_RANGE")


def network(n: int, m: int, i, j, score, entry_cost, left, *, bypass: bool = True):
    """The arcs of :func:`assign`'s network, in this order: source -> each mentee with an arc
    (``active``), the pairs ``(i, j)``, mentor -> sink for each mentor with a seat, the bypass.

    Nodes: mentees ``0..n-1``, mentors ``n..n+m-1``, source ``n+m``, sink ``n+m+1``.
    Returns ``(tails, heads, caps, costs, active)`` (int64).
    """
    active = unique(i)
    source, sink = n + m, n + m + 1
    seats = np.flatnonzero(left > 0)
    tails = np.concatenate([np.full(len(active), source), i, n + seats, [source]]).astype(np.int64)
    heads = np.concatenate([active, n + j, np.full(len(seats), sink), [sink]]).astype(np.int64)
    caps = np.concatenate([np.ones(len(active) + len(i), np.int64), left[seats], [len(active) if bypass else 0]])
    costs = np.concatenate([np.asarray(entry_cost, np.int64)[active], -score,
                            np.zeros(len(seats) + 1, np.int64)]).astype(np.int64)
    return tails, heads, caps.astype(np.int64), costs, active


def assign(n: int, m: int, i, j, score, entry_cost, left, *, bypass: bool = True):
    """Min-cost flow: source -> mentee (``entry_cost[mentee]``), mentee -> mentor (``-score``),
    mentor -> sink (``left`` free seats), and with ``bypass`` a source -> sink arc so that
    nobody has to be matched (without it, every mentee with an arc must be).

    Returns
    -------
    mentor_of : ndarray of int64 or None
        Mentor position per mentee (-1 unmatched) when the status is OPTIMAL, else None.
    status : str
        The solver's status name.
    """
    tails, heads, caps, costs, active = network(n, m, i, j, score, entry_cost, left, bypass=bypass)
    source, sink = n + m, n + m + 1
    check_cost_range(costs, n + m + 2)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                              caps.astype(np.int64), costs)
    supplies = np.zeros(n + m + 2, dtype=np.int64)
    supplies[source], supplies[sink] = len(active), -len(active)
    flow.set_nodes_supplies(np.arange(n + m + 2, dtype=np.int32), supplies)
    status = flow.solve()
    name = status.name if hasattr(status, "name") else str(status)
    if status != flow.OPTIMAL:
        return None, name
    mentor_of = np.full(n, -1, dtype=np.int64)
    if len(i):
        chosen = flow.flows(np.arange(len(active), len(active) + len(i), dtype=np.int32)) > 0
        mentor_of[i[chosen]] = j[chosen]
    return mentor_of, name


def solve_flow(problem: Problem) -> Assignment:
    """Solve ``problem`` to proven optimality with min-cost flow.

    Raises
    ------
    SolverError
        For any solver status other than OPTIMAL (each is named).
    """
    n, m = problem.n_mentees, problem.n_mentors
    i, j, score, left = problem.free_arcs()
    if (left < 0).any():
        raise SolverError("fixed pairs exceed a mentor's capacity (internal error: pins are checked earlier)")
    weight = lexicographic_weight(i, score, n)
    check_weight_range(weight, problem.priority, score, n + m + 2)
    started = time.perf_counter()
    mentor_of, name = assign(n, m, i, j, score, -weight * problem.priority, left)
    elapsed = time.perf_counter() - started
    if mentor_of is None:
        raise SolverError(STATUS_TEXT.get(name, f"unexpected min-cost flow status {name}"), status=name)
    chosen = mentor_of[i] == j
    mentor_of[problem.fixed_i] = problem.fixed_j
    matched = mentor_of >= 0
    total = int(score[chosen].sum() + problem.fixed_score.sum())
    log.debug("min-cost flow: %d arcs, %d matched, %.3fs", len(i), int(matched.sum()), elapsed)
    return Assignment(mentor_of=mentor_of, solver=f"ortools.min_cost_flow {ortools_version()}",
                      status="OPTIMAL", matched_priority=int(problem.priority[matched].sum()),
                      score=total, bound=None, gap=0.0, wall_time=elapsed)
