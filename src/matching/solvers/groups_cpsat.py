"""Exact CP-SAT model of the maximally diverse grouping problem with hard constraints.

``x[i, r]`` places person ``i`` in block ``r``; the pair products ``y = x[i, r] * x[j, r]`` are
linearised by ``y <= x`` and, block sizes being fixed, ``sum_j y[i, j, r] == (s_r - 1) x[i, r]``.

The exact path fixes the block sizes: every multiset of sizes the intervals allow is solved in
turn (each must beat the best value so far), so blocks of one size are interchangeable and
person ``i`` may only go to the ``k``-th block of a size when ``k <= i`` (blocks of a size are
ordered by first member). The answer is OPTIMAL when every multiset was solved to optimality
or shown unable to beat the incumbent. The feasibility path (``objective=False``, any size)
labels groups directly. Hosts are variables ``h[m, r]``: one per block, one block per host,
never a block holding one of their mentees.

Distances are scaled to integers by the smallest power of ten (up to ``10**6``) that makes
them exact; when none does, they are rounded and the answer is never called proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from ortools.sat.python import cp_model

__all__ = ["GroupModelResult", "solve_groups", "integer_scale", "size_multisets", "feasible_groups",
           "MAX_MULTISETS"]

#: The exact path gives up (status UNKNOWN) when the intervals allow more size multisets.
MAX_MULTISETS = 200


@dataclass(frozen=True)
class GroupModelResult:
    """What CP-SAT found: ``status`` is OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN."""

    status: str
    assign: np.ndarray | None
    hosts: np.ndarray | None      # host position per group, or None
    objective: float | None       # in the input's units (exact distances)
    bound: float | None
    exact: bool                   # whether the distances were scaled without rounding


def integer_scale(D: np.ndarray) -> tuple[int, bool]:
    """Smallest ``10**k`` (k <= 6) making every distance an integer, and whether it is exact.

    >>> integer_scale(np.array([[0, 1.25], [1.25, 0]]))
    (100, True)
    """
    for k in range(7):
        s = 10 ** k
        if np.all(np.abs(D * s - np.round(D * s)) <= 1e-9 * np.maximum(1.0, np.abs(D * s))):
            return s, True
    return 10 ** 6, False


def _fit(sizes, lo, hi) -> np.ndarray | None:
    """Group index for each block size (a perfect matching into the intervals), or None.

    Sizes in increasing order each take the free interval holding them that closes first
    (the greedy that is optimal for matching points to intervals).

    >>> _fit((5, 2), np.array([3, 1]), np.array([6, 4])).tolist()
    [0, 1]
    """
    sizes = np.asarray(sizes)
    out = np.full(len(sizes), -1)
    free = np.ones(len(lo), dtype=bool)
    for k in np.argsort(sizes, kind="stable"):
        fits = np.flatnonzero(free & (lo <= sizes[k]) & (sizes[k] <= hi))
        if not len(fits):
            return None
        g = fits[np.argmin(hi[fits])]
        out[k], free[g] = g, False
    return out


def size_multisets(n: int, lo, hi, limit: int = MAX_MULTISETS) -> list[tuple] | None:
    """Every sorted size tuple (one per group) adding to ``n`` that fits the intervals.

    >>> size_multisets(12, np.array([3, 3, 2, 3]), np.array([4, 4, 5, 4]))
    [(2, 3, 3, 4), (3, 3, 3, 3)]
    """
    lo, hi = np.asarray(lo), np.asarray(hi)
    out = []
    for combo in combinations_with_replacement(range(int(lo.min()), int(hi.max()) + 1), len(lo)):
        if sum(combo) == n and _fit(combo, lo, hi) is not None:
            out.append(combo)
            if len(out) > limit:
                return None
    return out


def _pairs(m, xs, Dint, ok, sizes):
    """Pair variables ``y[i, j, r] = x[i, r] x[j, r]`` and the objective terms.

    With the block sizes fixed, ``y <= x`` and ``sum_j y[i, j, r] == (s_r - 1) x[i, r]`` make
    every ``y`` exactly the product (so any sign of distance is handled) and give a strong bound.
    """
    n, G = ok.shape
    terms, rows = [], {}
    for i in range(n):
        for j in range(i + 1, n):
            for r in range(G):
                if not (ok[i, r] and ok[j, r]) or sizes[r] < 2:
                    continue
                y = m.new_bool_var("")
                m.add_implication(y, xs[i, r])
                m.add_implication(y, xs[j, r])
                rows.setdefault((i, r), []).append(y)
                rows.setdefault((j, r), []).append(y)
                if Dint[i, j]:
                    terms.append(int(Dint[i, j]) * y)
    for (i, r), ys in rows.items():
        m.add(sum(ys) == (int(sizes[r]) - 1) * xs[i, r])
    return terms


def _hosts(m, x, ok, host_conflict):
    n, G = ok.shape
    H = host_conflict.shape[0]
    h = {(k, g): m.new_bool_var("") for k in range(H) for g in range(G)}
    for g in range(G):
        m.add_exactly_one(h[k, g] for k in range(H))
    for k in range(H):
        m.add_at_most_one(h[k, g] for g in range(G))
        for i in np.flatnonzero(host_conflict[k]):
            for g in range(G):
                if ok[i, g]:
                    m.add_bool_or([h[k, g].negated(), x[i, g].negated()])
    return h


def _base(n, G, ok, apart, together, host_conflict):
    """Model with placement, apart/together and hosts (no sizes, no objective)."""
    m = cp_model.CpModel()
    x = {(i, r): m.new_bool_var("") for i in range(n) for r in range(G) if ok[i, r]}
    xs = {(i, r): x.get((i, r), 0) for i in range(n) for r in range(G)}
    for i in range(n):
        m.add_exactly_one(x[i, r] for r in range(G) if ok[i, r])
    for i, j in np.asarray(apart, dtype=np.int64).reshape(-1, 2):
        for r in range(G):
            if ok[i, r] and ok[j, r]:
                m.add_at_most_one([x[i, r], x[j, r]])
    for i, j in np.asarray(together, dtype=np.int64).reshape(-1, 2):
        for r in range(G):
            if ok[i, r] or ok[j, r]:
                m.add(xs[i, r] == xs[j, r])
    h = _hosts(m, xs, ok, host_conflict) if host_conflict is not None else None
    return m, x, xs, h


def _solve(m, seconds, seed, workers):
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(float(seconds), 0.01)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    return solver, solver.solve(m)


def _read(solver, x, h, ok, host_conflict):
    n, G = ok.shape
    block = np.array([next(r for r in range(G) if ok[i, r] and solver.boolean_value(x[i, r])) for i in range(n)])
    hosts = None if h is None else np.array(
        [next(k for k in range(host_conflict.shape[0]) if solver.boolean_value(h[k, r])) for r in range(G)])
    return block, hosts


def feasible_groups(n: int, lo, hi, *, apart=(), together=(), host_conflict=None, time_limit: float = 10.0,
                    seed: int = 0, workers: int = 1) -> GroupModelResult:
    """Any grouping of ``n`` people that holds the sizes and the
    constraints (labelled groups, no objective); status FEASIBLE, INFEASIBLE or UNKNOWN."""
    G = len(lo)
    ok = np.ones((n, G), dtype=bool)
    m, x, xs, h = _base(n, G, ok, apart, together, host_conflict)
    for g in range(G):
        m.add_linear_constraint(sum(x[i, g] for i in range(n)), int(lo[g]), int(hi[g]))
    solver, status = _solve(m, time_limit, seed, workers)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return GroupModelResult(solver.status_name(status), None, None, None, None, True)
    assign, hosts = _read(solver, x, h, ok, host_conflict)
    return GroupModelResult("FEASIBLE", assign, hosts, None, None, True)


def _ranked_ok(n: int, sizes) -> np.ndarray:
    """Block ``r`` is the ``k``-th of its size: person ``i`` may enter only if ``k <= i``."""
    ok = np.ones((n, len(sizes)), dtype=bool)
    for r, s in enumerate(sizes):
        ok[:sizes[:r].count(s), r] = False
    return ok


def _fixed(D, Dint, sizes, cutoff, deadline, kw):
    """Best grouping with these block sizes beating ``cutoff`` (scaled), or a status."""
    n, G = len(D), len(sizes)
    ok = _ranked_ok(n, list(sizes))
    m, x, xs, h = _base(n, G, ok, kw["apart"], kw["together"], kw["host_conflict"])
    for r, s in enumerate(sizes):
        m.add(sum(xs[i, r] for i in range(n)) == int(s))
    obj = sum(_pairs(m, xs, Dint, ok, sizes))
    m.maximize(obj)
    if cutoff is not None:
        m.add(obj >= cutoff + 1)
    solver, status = _solve(m, deadline - time.perf_counter(), kw["seed"], kw["workers"])
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        block, hosts = _read(solver, x, h, ok, kw["host_conflict"])
        return solver.status_name(status), block, hosts, round(solver.objective_value), solver.best_objective_bound
    return solver.status_name(status), None, None, None, None


def solve_groups(D, lo, hi, *, apart=(), together=(), host_conflict=None, time_limit: float = 10.0,
                 seed: int = 0, workers: int = 1, incumbent=None) -> GroupModelResult:
    """Maximise the within-group distance exactly (size multiset by size multiset).

    Parameters
    ----------
    D : ndarray (n, n)
        Symmetric distances.
    lo, hi : array of int
        Size interval of each group.
    apart, together : array (k, 2) of int
        Person pairs never / always in the same group.
    host_conflict : ndarray (H, n) of bool, optional
        ``host_conflict[k, i]``: candidate host ``k`` mentors person ``i``.
    incumbent : float, optional
        A value known to be reachable (e.g. from a local search): only better answers are sought.

    Returns
    -------
    GroupModelResult
        ``assign`` is None when no grouping beats ``incumbent`` (status OPTIMAL: the incumbent is
        optimal), or none was found in time (UNKNOWN), or none exists (INFEASIBLE).
    """
    lo, hi = np.asarray(lo), np.asarray(hi)
    deadline = time.perf_counter() + float(time_limit)
    scale, exact = integer_scale(D)
    Dint = np.round(np.asarray(D, float) * scale).astype(np.int64)
    multisets = size_multisets(len(D), lo, hi)
    if multisets is None:
        return GroupModelResult("UNKNOWN", None, None, None, None, exact)
    kw = dict(apart=apart, together=together, host_conflict=host_conflict, seed=seed, workers=workers)
    cutoff = None if incumbent is None else int(np.floor(incumbent * scale + 1e-6)) - (0 if exact else 1)
    best, proven, bound = None, True, cutoff if cutoff is not None else -np.inf
    for sizes in sorted(multisets, key=lambda s: -sum(v * (v - 1) for v in s)):
        status, block, hosts, value, sub_bound = _fixed(D, Dint, sizes, cutoff, deadline, kw)
        if block is not None:
            best, cutoff = (sizes, block, hosts), value
        proven &= status in ("OPTIMAL", "INFEASIBLE")
        bound = max(bound, sub_bound if sub_bound is not None else (-np.inf if status == "INFEASIBLE" else np.inf))
    if best is None:
        status = "OPTIMAL" if (proven and incumbent is not None) else ("INFEASIBLE" if proven else "UNKNOWN")
        return GroupModelResult(status, None, None, None, None, exact)
    sizes, block, hosts = best
    group_of = _fit(sizes, lo, hi)
    assign = group_of[block]
    if hosts is not None:
        hosts = hosts[np.argsort(group_of)]
    value = float(np.triu(D * (assign[:, None] == assign[None, :]), 1).sum())
    status = "OPTIMAL" if proven and exact else "FEASIBLE"
    bound = max(bound / scale, value) if np.isfinite(bound) else None
    return GroupModelResult(status, assign, hosts, value, bound, exact)
