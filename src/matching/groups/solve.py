"""From a validated grouping problem to a grouping: checks, a first feasible grouping (with the
group sizes that hold the most pairs), the exact model on small instances and, beyond, a
long-tenure tabu walk for half the time followed by the iterated tabu search, both compiled
(:mod:`.compiled`; with ``workers > 1``, several such searches in a process pool, the best
kept). The numpy search (:func:`.search.tabu_search`) serves the small instances' quick
first grouping.

``keep_together`` sets become units; conflicts that need no solver (a pair both kept apart
and together, a unit larger than any group, too few hosts) are named at once; any other
infeasibility is found by CP-SAT and named by testing the constraint families one by one.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..errors import InfeasibleError, SolverError
from ..solvers.groups_cpsat import feasible_groups, size_multisets, solve_groups
from .compiled import compiled_search, warm_up
from .search import SearchResult, Units, tabu_search

__all__ = ["Problem", "Solution", "solve"]

log = logging.getLogger("matching")


@dataclass(frozen=True, eq=False)
class Problem:
    """A grouping problem on positions ``0..n-1`` (ids for messages)."""

    ids: np.ndarray
    D: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    apart: dict            # family name -> (k, 2) pairs never together
    together: np.ndarray   # (k, 2) pairs always together
    host_ids: np.ndarray | None = None
    host_links: np.ndarray | None = None   # (H, n): host k mentors person i


@dataclass(frozen=True)
class Solution:
    assign: np.ndarray
    hosts: np.ndarray | None
    objective: float
    status: str
    bound: float | None
    solver: str
    iterations: int


def _all_apart(p: Problem) -> np.ndarray:
    parts = [v for v in p.apart.values() if len(v)]
    return np.unique(np.concatenate(parts), axis=0) if parts else np.zeros((0, 2), dtype=np.int64)


def _units(p: Problem) -> np.ndarray:
    """Unit label of each person (connected components of ``keep_together``), numbered by first member.

    >>> P = Problem(np.array(list("abcde")), np.zeros((5, 5)), np.array([1]), np.array([5]), {},
    ...             np.array([[1, 3], [3, 4]]))
    >>> _units(P).tolist()
    [0, 1, 2, 1, 1]
    """
    n = len(p.ids)
    root = np.arange(n)

    def find(i):
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i, j in p.together:
        a, b = find(i), find(j)
        root[max(a, b)] = min(a, b)
    label = np.array([find(i) for i in range(n)])
    _, first = np.unique(label, return_index=True)
    rank = np.empty(n, dtype=np.int64)
    rank[label[np.sort(first)]] = np.arange(len(first))
    return rank[label]


def _quick_checks(p: Problem, unit: np.ndarray) -> None:
    for family, pairs in p.apart.items():
        clash = pairs[unit[pairs[:, 0]] == unit[pairs[:, 1]]] if len(pairs) else pairs
        if len(clash):
            a, b = p.ids[clash[0]]
            raise InfeasibleError(f"'{a}' and '{b}' must be kept apart ({family}) but keep_together joins them",
                                  conflicts=(family, "keep_together"))
    w = np.bincount(unit)
    if len(w) and w.max() > p.hi.max():
        members = p.ids[unit == np.argmax(w)]
        raise InfeasibleError(f"keep_together joins {w.max()} people ({', '.join(members[:8])}) but no group "
                              f"holds more than {p.hi.max()}", conflicts=("keep_together", "sizes"))
    if p.host_ids is not None and len(p.host_ids) < len(p.lo):
        raise InfeasibleError(f"{len(p.lo)} groups need {len(p.lo)} hosts; only {len(p.host_ids)} given",
                              conflicts=("hosts", "sizes"))


def _unit_problem(p: Problem, unit: np.ndarray, hosts: np.ndarray | None) -> Units:
    n, U, G = len(p.ids), unit.max(initial=-1) + 1, len(p.lo)
    C = np.zeros((n, U))
    C[np.arange(n), unit] = 1.0
    W = C.T @ p.D @ C
    constant = 0.5 * np.trace(W)              # pairs inside a unit: together whatever the grouping
    np.fill_diagonal(W, 0.0)
    A = np.zeros((n, n))
    ap = _all_apart(p)
    A[ap[:, 0], ap[:, 1]] = A[ap[:, 1], ap[:, 0]] = 1
    apart = ((C.T @ A @ C) > 0).astype(np.int8)
    forbid = np.zeros((U, G), dtype=bool)
    if hosts is not None:
        forbid = (C.T @ p.host_links[hosts].T.astype(float)) > 0
    return Units(W=W, w=np.bincount(unit, minlength=U), lo=p.lo, hi=p.hi, apart=apart, forbid=forbid,
                 constant=float(constant))


def _greedy(u: Units) -> np.ndarray | None:
    """Largest, most constrained units first into a group below its minimum, else into the group
    furthest below its target size (:func:`_targets`)."""
    U, G = len(u.w), len(u.lo)
    target = _targets(u.lo, u.hi, int(u.w.sum()))
    order = np.lexsort((np.arange(U), -u.apart.sum(1), -u.w))
    assign = np.full(U, -1)
    size = np.zeros(G, dtype=np.int64)
    for k in order:
        members = assign >= 0
        clash = (u.apart[k, members][:, None] * (assign[members][:, None] == np.arange(G))).any(0)
        ok = ~clash & ~u.forbid[k] & (size + u.w[k] <= u.hi)
        if not ok.any():
            return None
        g = next(x for x in np.lexsort((np.arange(G), size - target, size >= u.lo)) if ok[x])
        assign[k], size[g] = g, size[g] + u.w[k]
    return assign if (size >= u.lo).all() else None


def _targets(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """Group sizes within the intervals, summing to ``n``, with the most pairs inside groups
    (the largest sum of s(s-1)/2), found exactly by dynamic programming over the groups.

    With distances of about the same mean, larger groups hold more distance, so the best
    groupings of MDGPLIB's ``ds`` instances have such sizes; the search shifts sizes only one
    person at a time and hardly ever by many (each step away from these sizes costs about a
    mean distance). Ties go to the first groups.

    >>> _targets(np.array([2, 2, 2]), np.array([3, 5, 4]), 9).tolist()
    [2, 5, 2]
    >>> _targets(np.array([1, 1]), np.array([9, 9]), 10).tolist()
    [9, 1]
    """
    G, worst = len(lo), np.iinfo(np.int64).min // 2
    best = np.full(n + 1, worst, dtype=np.int64)
    best[0] = 0
    choice = np.zeros((G, n + 1), dtype=np.int64)
    for g in range(G):
        new = np.full(n + 1, worst, dtype=np.int64)
        for size in range(int(lo[g]), min(int(hi[g]), n) + 1):
            cand = np.full(n + 1, worst, dtype=np.int64)
            cand[size:] = best[: n + 1 - size] + size * (size - 1) // 2
            take = cand > new
            new[take], choice[g, take] = cand[take], size
        best = new
    if best[n] <= worst // 2:                   # the sizes cannot sum to n: leave it to the callers
        return lo.copy()
    sizes, left = np.zeros(G, dtype=np.int64), n
    for g in range(G - 1, -1, -1):
        sizes[g] = choice[g, left]
        left -= sizes[g]
    return sizes


def _default_hosts(p: Problem) -> np.ndarray | None:
    """The hosts who mentor the fewest people here (ties by id)."""
    if p.host_ids is None:
        return None
    load = p.host_links.sum(1)
    return np.lexsort((np.arange(len(load)), load))[: len(p.lo)]


def _name_conflict(p: Problem, seconds: float, seed: int) -> InfeasibleError:
    families = {k: v for k, v in p.apart.items() if len(v)}
    tests = [(k,) for k in families] + ([("keep_together",)] if len(p.together) else [])
    tests += [("hosts",)] if p.host_ids is not None else []
    names = [t[0] for t in tests]
    tests += [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    for test in tests:
        r = feasible_groups(len(p.ids), p.lo, p.hi, seed=seed, time_limit=seconds,
                            apart=np.concatenate([families[k] for k in test if k in families] or
                                                 [np.zeros((0, 2), np.int64)]),
                            together=p.together if "keep_together" in test else (),
                            host_conflict=p.host_links if "hosts" in test else None)
        if r.status == "INFEASIBLE":
            return InfeasibleError(f"no grouping meets the group sizes together with {' and '.join(test)}",
                                   conflicts=("sizes", *test))
    return InfeasibleError(f"no grouping meets the group sizes together with {', '.join(names)} all at once",
                           conflicts=("sizes", *names))


def _start(p: Problem, unit: np.ndarray, seconds: float, seed: int):
    hosts = _default_hosts(p)
    u = _unit_problem(p, unit, hosts)
    start = _greedy(u)
    if start is not None:
        return u, start, hosts
    r = feasible_groups(len(p.ids), p.lo, p.hi, apart=_all_apart(p), together=p.together,
                        host_conflict=p.host_links, time_limit=seconds, seed=seed)
    if r.status == "INFEASIBLE":
        raise _name_conflict(p, seconds, seed)
    if r.assign is None:
        raise SolverError(f"no grouping meeting every constraint was found in {seconds:.3g} s; raise time_limit",
                          status=r.status)
    u = _unit_problem(p, unit, r.hosts)
    first = np.full(unit.max() + 1, -1)
    first[unit] = r.assign
    return u, first, r.hosts


def solve(p: Problem, *, time_limit: float, seed: int, max_iterations: int | None, exact_max: int,
          workers: int = 1) -> Solution:
    """The best grouping found within ``time_limit`` (proven optimal when the exact model ends)."""
    began = time.perf_counter()
    unit = _units(p)
    _quick_checks(p, unit)
    u, start, hosts = _start(p, unit, time_limit, seed)
    n = len(p.ids)
    if n <= exact_max and size_multisets(n, p.lo, p.hi) is not None:
        ls = tabu_search(u, start, seed=seed, time_limit=time_limit, max_iterations=min(max_iterations or 500, 500))
        left = max(time_limit - (time.perf_counter() - began), 0.1)
        r = solve_groups(p.D, p.lo, p.hi, apart=_all_apart(p), together=p.together, host_conflict=p.host_links,
                         time_limit=left, seed=seed, workers=workers)
        if r.assign is not None and r.objective >= ls.objective - 1e-9:
            return Solution(r.assign, r.hosts, r.objective, r.status, r.bound, "cp-sat", 0)
        log.info("groups: exact model ended %s; keeping the local search's grouping", r.status)
        return Solution(ls.assign[unit], hosts, ls.objective, "FEASIBLE", r.bound, "tabu", ls.iterations)
    ls = _portfolio(u, start, began + time_limit, seed, max_iterations, workers)
    return Solution(ls.assign[unit], hosts, ls.objective, "FEASIBLE", None, "tabu+iterated-tabu", ls.iterations)


WALK_SHARE = 0.5   # of the time (and of max_iterations) for the long-tenure walk of _two_phase


def _two_phase(u: Units, start: np.ndarray, deadline: float, seed: int, max_iterations: int | None):
    """A tabu walk with a long tenure for ``WALK_SHARE`` of the time (and of the steps), then
    the iterated search (short tenure, perturbed restarts) from its best; both compiled
    (:func:`.compiled.compiled_search`).

    The long walk is the stronger one on some instances (MDGPLIB's Geo: it keeps finding small
    improvements after hundreds of thousands of steps), the iterated search on others (RanInt,
    RanReal)."""
    left = max(deadline - time.perf_counter(), 0.0)
    walk = compiled_search(u, start, seed=seed, time_limit=WALK_SHARE * left, perturb=False,
                           max_iterations=None if max_iterations is None else int(WALK_SHARE * max_iterations))
    rest = None if max_iterations is None else max_iterations - walk.iterations
    if rest == 0:
        return walk
    more = compiled_search(u, walk.assign, seed=seed + 1, time_limit=max(deadline - time.perf_counter(), 0.0),
                           max_iterations=rest, restart="round")   # never worse than its start, the walk's best
    log.info("groups: tabu walk %d steps (%.6g), then iterated search %d steps (%.6g)", walk.iterations,
             walk.objective, more.iterations, more.objective)
    return SearchResult(more.assign, more.objective, walk.iterations + more.iterations, walk.seconds + more.seconds)


PORTFOLIO_SEED_STEP = 1_000_003   # run k of a portfolio uses seed + k * this (no shared generator streams)


def _portfolio(u: Units, start: np.ndarray, deadline: float, seed: int, max_iterations: int | None,
               workers: int) -> SearchResult:
    """:func:`_two_phase` once, or with ``workers > 1`` as a portfolio: ``workers`` independent
    runs from the same start with seeds ``seed + k * PORTFOLIO_SEED_STEP``, run ``k = 0`` in this
    process and the others in a process pool, the best kept (ties: the lowest ``k``).

    The choice depends only on the runs' results, so with ``max_iterations`` (each run makes
    that many steps) the grouping is the same on every machine; with a time limit each run
    stops at the deadline. The iterations reported are those of all runs together."""
    if workers <= 1:
        return _two_phase(u, start, deadline, seed, max_iterations)
    warm_up()                         # compiled (or loaded) once, here: the forked workers inherit it
    with ProcessPoolExecutor(workers - 1) as pool:
        left = deadline - time.perf_counter()
        futures = [pool.submit(_run_for, u, start, left, seed + k * PORTFOLIO_SEED_STEP, max_iterations)
                   for k in range(1, workers)]
        runs = [_two_phase(u, start, deadline, seed, max_iterations)] + [f.result() for f in futures]
    best = max(range(len(runs)), key=lambda k: (runs[k].objective, -k))
    log.info("groups: portfolio of %d runs, values %s; kept run %d", workers,
             ", ".join(f"{r.objective:.6g}" for r in runs), best)
    return SearchResult(runs[best].assign, runs[best].objective, sum(r.iterations for r in runs),
                        runs[best].seconds)


def _run_for(u: Units, start: np.ndarray, seconds: float, seed: int, max_iterations: int | None):
    """:func:`_two_phase` with ``seconds`` from now (a deadline that means the same in a worker)."""
    return _two_phase(u, start, time.perf_counter() + seconds, seed, max_iterations)
