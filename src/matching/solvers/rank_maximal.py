"""Rank-maximal assignment: the most 1st choices, then the most 2nd choices, and so on.

The best *rank profile* a cohort can reach, the yardstick beside which
:func:`matching.review.audit.audit_summary` shows what the committee's weights trade away.

Two exact methods:

* ``"flow"``: one min-cost flow whose arc of (compressed) rank ``r`` of ``R`` earns
  ``B ** (R - r)`` with ``B`` one more than the number of mentees: one more arc of rank
  ``r`` outweighs every arc of a worse rank together, so the optimum is lexicographic.
  Used while those weights fit the flow solver's integers exactly.
* ``"cpsat"``: CP-SAT, one solve per rank, each maximising that rank's count with the
  better ranks' counts held at their optimum (any size; slower).

Examples
--------
>>> import numpy as np
>>> i, j, rank = np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 2, 1])
>>> profile(rank_maximal(2, 2, i, j, rank, np.array([1, 1])).mentor_of, i, j, rank)
[1, 1]
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .flow import _INT64_MAX, assign

__all__ = ["RankMaximal", "rank_maximal", "profile", "fits_flow"]


@dataclass(frozen=True)
class RankMaximal:
    """A rank-maximal assignment: ``mentor_of`` (-1 unmatched), how it was found and whether proven."""

    mentor_of: np.ndarray
    method: str
    status: str
    seconds: float


def _compressed(rank: np.ndarray) -> tuple[np.ndarray, int]:
    levels, code = np.unique(rank, return_inverse=True)
    return code.reshape(-1).astype(np.int64), len(levels)


def fits_flow(n_active: int, n_levels: int, n_nodes: int) -> bool:
    """Whether weights ``(n_active + 1) ** (n_levels - 1)`` fit the flow solver exactly."""
    return (n_active + 1) ** max(n_levels - 1, 0) <= _INT64_MAX // (4 * (n_nodes + 1))


def rank_maximal(n: int, m: int, i, j, rank, capacity, *, method: str = "auto",
                 time_limit: float = 60.0) -> RankMaximal:
    """A rank-maximal assignment of mentees to mentors over the arcs ``(i, j)`` of rank ``rank``.

    Parameters
    ----------
    n, m : int
        Mentees and mentors.
    i, j, rank : array of int
        Allowed ranked pairs (rank 1 = first choice); each mentee at most once per mentor.
    capacity : array of int, shape (m,)
        Free seats of each mentor.
    method : {"auto", "flow", "cpsat"}
        ``auto``: the flow when its weights fit, CP-SAT otherwise.
    time_limit : float
        Seconds CP-SAT may use in all (status ``FEASIBLE`` when it stops early).
    """
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    code, levels = _compressed(np.asarray(rank, np.int64))
    capacity = np.asarray(capacity, np.int64)
    started = time.perf_counter()
    n_active = len(np.unique(i))
    if method == "flow" or (method == "auto" and fits_flow(n_active, levels, n + m + 2)):
        if not fits_flow(n_active, levels, n + m + 2):
            raise ValueError("rank weights too large for the flow solver; use method='cpsat'")
        base = n_active + 1
        weight = np.array([base ** (levels - 1 - c) for c in range(levels)], dtype=np.int64)
        mentor_of, status = assign(n, m, i, j, weight[code] if len(i) else np.zeros(0, np.int64),
                                   np.zeros(n, np.int64), np.maximum(capacity, 0))
        if mentor_of is None:  # pragma: no cover - the bypass arc makes the network always feasible
            raise RuntimeError(f"min-cost flow status {status}")
        return RankMaximal(mentor_of, "flow", "OPTIMAL", time.perf_counter() - started)
    mentor_of, status = _cpsat(n, m, i, j, code, levels, capacity, time_limit)
    return RankMaximal(mentor_of, "cpsat", status, time.perf_counter() - started)


def _cpsat(n, m, i, j, code, levels, capacity, time_limit):
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(len(i))]
    for rows in _groups(i)[1]:
        model.add_at_most_one(x[k] for k in rows)
    for b, rows in zip(*_groups(j)):
        model.add(sum(x[k] for k in rows) <= int(capacity[b]))
    status_all, deadline = "OPTIMAL", time.perf_counter() + time_limit
    chosen = np.zeros(len(i), bool)
    for level in range(levels):
        arcs = np.flatnonzero(code == level)
        model.maximize(sum(x[k] for k in arcs))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(deadline - time.perf_counter(), 0.1)
        solver.parameters.num_workers = 1
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        if status != cp_model.OPTIMAL:
            status_all = "FEASIBLE"
        model.add(sum(x[k] for k in arcs) >= int(chosen[arcs].sum()))
        model.clear_hints()
        for k, v in enumerate(x):
            model.add_hint(v, bool(chosen[k]))
    mentor_of = np.full(n, -1, np.int64)
    mentor_of[i[chosen]] = j[chosen]
    return mentor_of, status_all


def _groups(keys: np.ndarray):
    """The distinct values of ``keys`` and the positions holding each."""
    order = np.argsort(keys, kind="stable")
    values, start = np.unique(keys[order], return_index=True)
    return values, [order[a:b].tolist() for a, b in zip(start, list(start[1:]) + [len(order)])]


def profile(mentor_of: np.ndarray, i, j, rank, levels: int | None = None) -> list[int]:
    """How many mentees have their 1st, 2nd, ... choice (list up to the worst rank listed).

    ``levels`` fixes the length (ranks beyond it are not counted).
    """
    i, j, rank = (np.asarray(a, np.int64) for a in (i, j, rank))
    got = rank[mentor_of[i] == j] if len(i) else np.zeros(0, np.int64)
    size = int(levels if levels is not None else rank.max(initial=0))
    counts = np.bincount(got[(got >= 1) & (got <= size)], minlength=size + 1)
    return counts[1:size + 1].astype(int).tolist()
