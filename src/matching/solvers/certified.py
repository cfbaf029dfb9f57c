"""Exact assignment over a sparse candidate graph, proved optimal for the full problem.

Every allowed pair forms the full problem, a capacitated assignment whose linear
relaxation has integral optima. Its dual gives each mentee a price ``u[i] >= 0`` and each
mentor a price ``v[j] >= 0`` with ``u[i] + v[j] >= c[i, j]`` for every allowed pair, where
``c = W * priority + score`` is the lexicographic value (``W`` exceeds any difference in
total score). An assignment is optimal for the full problem if, and only if, some such
prices are also tight on its pairs, zero for unmatched mentees and zero for mentors with
a spare seat (complementary slackness).

:func:`solve_certified` solves a sparse graph (each mentee's best mentors and each
mentor's best mentees) with min-cost flow, recovers prices from its optimum (shortest
paths over its residual graph, a vectorized Bellman-Ford), and asks the caller to
``scan`` the allowed pairs left out for one with ``c[i, j] > u[i] + v[j]``. A mentee is
scanned only if its bound from its last scan, plus the largest price drop since then
among the mentors it could still gain from, leaves room for one. Every pair a scan
returns joins the graph (those close to breaking a price break one soon after), and the
graph is re-solved: from scratch, or, when only a few pairs broke a price, from the last
optimum by successive shortest paths (:func:`~matching.solvers.augment.repair`), an answer
kept only if the prices prove it optimal on the whole graph. When no pair breaks a price, the prices
prove the answer optimal for every allowed pair: the dual objective equals the primal
one, as recorded in ``Assignment.extra["certificate"]``.
"""

from __future__ import annotations

import logging
import math
import time
import warnings

import numpy as np

from .._numeric import member
from ..errors import MatchingWarning, SolverError
from ..files import progress
from .flow import check_weight_range, ortools_version
from .problem import Assignment, Problem
from .augment import repair
from .prefixes import prefixes, suspects
from .warm import optimum

__all__ = ["solve_certified", "certificate_weight", "optimum", "prices", "relax", "NO_BOUND"]

log = logging.getLogger(__name__)

#: A mentee whose every allowed pair is in the graph (``bound``).
NO_BOUND = np.iinfo(np.int64).min
#: Price of a mentor with no seat left (no pair to it can be chosen).
_NO_SEAT = np.int64(1) << np.int64(61)
#: Prices passed to ``scan`` are capped here first (keeps its arithmetic in small integers).
PRICE_CAP = 1 << 26
#: Rounds of "scan, add, re-solve" before giving up (each round adds at least one pair).
MAX_ROUNDS = 60
#: A round is re-solved warm (from the last optimum) when at most this share of the mentees,
#: or ``WARM_MIN`` pairs, break a price (beyond, a cold solve is about as fast).
LOCAL = 0.002
WARM_MIN = 64
#: Search steps a warm re-solve may take per arc of the flow graph before it gives up (about
#: half a cold solve's time: 100-odd broken pairs among 100,000 mentees take a third of it).
WARM_STEPS = 16
#: Pairs the scan finds join the flow graph when they break a price or come within
#: ``(score spread) / JOIN`` of it; the others wait aside and are checked every round.
JOIN = 20
#: Arcs of the flow graph that fall more than ``(score spread) / KEEP`` below tight (and are
#: not chosen) leave it for the pairs aside, checked every round like them.
KEEP = 40
#: A cold solve first weighs priority by this many score spreads (see :func:`_solve`).
QUICK = 2
#: Bellman-Ford passes allowed to prove a warm re-solve optimal before solving from scratch.
PROOF_STEPS = 200
#: A scan (with ``scan_within``) scores a mentee's pairs with the mentors where its last
#: bound leaves room to come within ``(score spread) / NEAR`` of breaking its price.
NEAR = 80


def certificate_weight(n_mentees: int, score_range) -> int:
    """A lexicographic weight valid for every allowed pair (see :func:`lexicographic_weight`).

    >>> certificate_weight(3, (-5, 100))
    316
    """
    lo, hi = score_range
    return int(1 + n_mentees * (max(int(hi), 0) - min(int(lo), 0)))


def relax(d: np.ndarray, tail, head, w, limit: int | None = None) -> int:
    """Shortest distances in place: ``d[h] <= d[t] + w`` for every edge (Bellman-Ford, compiled:
    :func:`matching.solvers._ssp.relax_passes`). Returns the passes it took.

    Raises ``SolverError`` on a negative cycle, or after ``limit`` passes if given.

    >>> d = np.array([0, 10, 10])
    >>> relax(d, np.array([0, 1]), np.array([1, 2]), np.array([3, 4])), d.tolist()
    (1, [0, 3, 7])
    """
    from ._ssp import relax_passes

    order = np.argsort(tail, kind="stable")
    ptr = np.searchsorted(tail[order], np.arange(len(d) + 1))
    active = np.zeros(len(d), bool)
    active[tail] = True
    passes = len(d) + 2 if limit is None else min(limit, len(d) + 2)
    steps = relax_passes(d, ptr.astype(np.int64), np.asarray(head, np.int64)[order],
                         np.asarray(w, np.int64)[order], active, passes)
    if steps < 0:
        raise SolverError("the sparse solution is not optimal (a negative cycle in its residual graph); "
                          "internal error", status="NOT_CERTIFIED")
    return steps


def prices(m, i, j, c, left, mentor_of, limit: int | None = None, near=None):
    """Prices ``(u, v)`` proving ``mentor_of`` optimal on arcs ``(i, j)``.

    Mentor prices ``v`` must satisfy ``v >= 0``, ``v[j] >= c[i, j]`` for unmatched ``i``,
    ``v[j] >= v[m] - (c[i, m] - c[i, j])`` for ``i`` matched to ``m``, and ``v = 0`` at a
    spare seat. Feasible prices form a lattice: the lowest (longest paths) is the default.
    With ``near`` (say the prices the pairs left out were last scanned at), the highest
    feasible prices up to ``max(lowest, near)`` (shortest paths down from there): prices
    that stay close to ``near`` keep the bounds of that scan valid, so fewer mentees need
    a new scan. A pair ``(i, j)`` is covered when ``c[i, j] - v[j] <= u[i]``.
    """
    chosen = mentor_of[i] == j
    value = np.zeros(len(mentor_of), np.int64)
    value[i[chosen]] = c[chosen]
    matched = mentor_of >= 0
    low = np.zeros(m, np.int64)
    alone = ~matched[i]
    np.maximum.at(low, j[alone], c[alone])
    neg = -low
    alt = matched[i] & ~chosen
    tail, head, w = mentor_of[i[alt]], j[alt], value[i[alt]] - c[alt]
    steps = relax(neg, tail, head, w, limit)
    v = -neg
    seats = left > 0
    spare = seats & (np.bincount(j[chosen], minlength=m) < left)
    if near is not None:
        most = np.full(m, np.iinfo(np.int64).max)  # u >= 0: no mentor priced over a pair it holds
        np.minimum.at(most, j[chosen], c[chosen])
        v = np.where(seats & ~spare, np.maximum(v, np.minimum(near, most)), v)  # spare seats stay 0
        steps += relax(v, head, tail, w, limit)
    v[~seats] = _NO_SEAT
    u = np.where(matched, value - v[np.maximum(mentor_of, 0)], 0)
    if (u < 0).any() or (v[spare] != 0).any() or (u[i] + v[j] < c).any():
        raise SolverError("could not build a certificate of optimality (internal error)", status="NOT_CERTIFIED")
    return u, v, steps


def _solve(n, m, fi, fj, fs, prio, left, weight, warm, near=None):
    """The optimum on the flow graph and prices proving it: repaired from ``warm`` (the last
    optimum and its prices) when that is proved optimal, else solved from scratch.

    From scratch, the flow first weighs priority by ``QUICK`` times the score spread only
    (much smaller costs take fewer cost-scaling phases). An answer that trades priority
    for score is not optimal for the lexicographic objective, and the prices, computed
    with the full weight, prove every answer kept; if they cannot, the full weight is used.
    Returns ``(mentor_of, c, u, v, steps, how)``."""
    c = weight * prio[fi] + fs
    quick = 1 + QUICK * (max(int(fs.max(initial=0)), 0) - min(int(fs.min(initial=0)), 0))
    budget = WARM_STEPS * (len(fi) + n + m)
    tries = [] if warm is None else [("warm", lambda: repair(n, m, fi, fj, fs, prio, left, weight, *warm,
                                                             budget=budget),
                                      "the warm re-solve is not proved optimal for the whole graph")]
    if quick < weight:  # smaller costs solve faster; the prices prove it or a full solve follows
        tries.append(("cold", lambda: optimum(n, m, fi, fj, fs, prio, left, quick),
                      "the solve with a small priority weight is not proved optimal"))
    for how, attempt, refused in tries:
        mentor_of = attempt()
        if mentor_of is None:
            continue
        try:
            return mentor_of, c, *prices(m, fi, fj, c, left, mentor_of, limit=PROOF_STEPS, near=near), how
        except SolverError:
            log.debug("%s: trying the next way", refused)
    mentor_of = optimum(n, m, fi, fj, fs, prio, left, weight)
    return mentor_of, c, *prices(m, fi, fj, c, left, mentor_of, near=near), "cold"


def solve_certified(problem: Problem, *, bound: np.ndarray, score_range, scan, n_allowed: int = -1,
                    bound_price: np.ndarray | None = None, mentor_bound: np.ndarray | None = None,
                    exact_scan: bool = False, scan_within: bool = False):
    """Solve ``problem`` (a sparse graph) and prove the answer optimal over every allowed pair.

    Parameters
    ----------
    problem : Problem
        Arcs are the sparse candidate set.
    bound : ndarray of int64
        Per mentee, no allowed pair missing from ``problem`` scores more (``NO_BOUND``: none missing).
    score_range : (int, int)
        Lowest and highest score of any allowed pair (sets the lexicographic weight).
    scan : callable
        ``scan(rows, price) -> (i, j, score, bound)``: for mentees ``rows``, allowed pairs with the
        largest ``score - price[j]``, and per row a bound on ``score - price[j]`` of those not returned.
    n_allowed : int
        Allowed pairs in the full problem (recorded only).
    bound_price : ndarray of int64, optional
        Mentor prices ``bound`` was taken at: it caps ``score - bound_price[j]`` (default 0).
    mentor_bound : ndarray of int64, optional
        Per mentor, no allowed pair missing from ``problem`` scores more (``NO_BOUND``: none
        missing); fewer mentees need a scan.
    exact_scan : bool
        ``scan`` is as fast at exact prices as at small ones (the compiled pass): no first
        pass at prices capped at ``PRICE_CAP``.
    scan_within : bool
        ``scan`` takes ``within=(group, orders, lens)`` and then scores each mentee's pairs
        with the first ``lens`` mentors of its group's order only (with ``exact_scan``):
        the mentors where the mentee's last bound leaves room to come within ``spread /
        NEAR`` of breaking a price (:func:`~matching.solvers.prefixes.prefixes`).

    Returns
    -------
    (Assignment, i, j, score)
        The proven optimum and the pairs the certificate added to the graph (those in its
        last version; pairs scanned but kept aside are not returned).
    """
    started = time.perf_counter()
    n, m = problem.n_mentees, problem.n_mentors
    i, j, score, left = problem.free_arcs()
    free = np.ones(n, bool)
    free[problem.fixed_i] = False
    raw = problem.priority.astype(np.int64)
    prio = raw // max(math.gcd(*raw[free].tolist()), 1) if free.any() else raw
    weight = certificate_weight(int(free.sum()), score_range)
    check_weight_range(weight, prio, np.asarray(score_range), n + m + 2)
    seats = left > 0
    usable = seats[j]
    i, j, score = i[usable], j[usable], score[usable]
    spread = int(score_range[1]) - int(score_range[0])
    join, keep = max(1, spread // JOIN), max(1, spread // KEEP)
    first_price = np.zeros(m, np.int64) if bound_price is None else np.asarray(bound_price, np.int64)
    bound, ref_of, refs = np.asarray(bound, np.int64).copy(), np.zeros(n, np.intp), [first_price]
    spare = (np.zeros(0, np.int64),) * 3  # pairs found but kept out of the flow graph, checked every round
    rounds, warm, first, near = [], None, np.sort(i * m + j), first_price
    bar = progress.bar(MAX_ROUNDS, "certificate rounds (until proven)", unit="round")
    try:
        for _ in range(MAX_ROUNDS):
            bar.update(1)
            t0 = time.perf_counter()
            mentor_of, c, u, v, steps, how = _solve(n, m, i, j, score, prio, left, weight, warm, near)
            near = v  # the next round's prices stay near these (see :func:`prices`)
            t1 = time.perf_counter()
            slack = u - weight * prio
            gap = spare[2] - v[spare[1]] - slack[spare[0]]
            rows = suspects(bound, ref_of, refs, slack, v, seats, free, int(score_range[1]), mentor_bound)
            keys = np.concatenate([i * m + j, spare[0] * m + spare[1]])
            near_by = max(1, spread // NEAR) if scan_within and exact_scan else None
            fresh, breaks = _scan(rows, v, seats, score_range, scan, bound, ref_of, refs, slack, keys, m, exact_scan,
                                  near_by)
            rounds.append({"arcs": int(len(i)), "solve": how, "flow_seconds": round(t1 - t0, 4),
                           "bellman_ford_steps": steps, "rows_scanned": int(len(rows)),
                           "pairs_found": int(len(fresh[0])),
                           "violations": int(breaks.sum() + (gap > 0).sum()),
                           "scan_seconds": round(time.perf_counter() - t1, 4)})
            log.debug("certificate round %d: %s", len(rounds), rounds[-1])
            if not rounds[-1]["violations"]:
                break
            # pairs breaking a price, or within ``join`` of it, join the graph; the others wait,
            # and so do the graph's arcs that fell more than ``keep`` below tight (unless chosen)
            own = score - v[j] - slack[i]
            stay = (own >= -keep) | (mentor_of[i] == j)
            found = np.concatenate([own[~stay], gap, fresh[2] - v[fresh[1]] - slack[fresh[0]]])
            pool = tuple(np.concatenate([a[~stay], b, f]) for a, b, f in zip((i, j, score), spare, fresh))
            go = found >= -join
            i, j, score = (np.concatenate([a[stay], p[go]]) for a, p in zip((i, j, score), pool))
            spare = tuple(p[~go] for p in pool)
            broken = int((found > 0).sum())
            warm = (mentor_of, slack, v) if broken <= max(WARM_MIN, LOCAL * n) else None
        else:
            return _uncertified(problem, mentor_of, i, j, score, rounds, started), *_joined(first, i, j, score, m)
        return _assignment(problem, mentor_of, i, j, score, c, u, v, left, rounds, n_allowed, started,
                           (len(i), len(i) + len(spare[0]) + len(fresh[0]))), *_joined(first, i, j, score, m)
    finally:
        bar.close()


def _joined(first, i, j, score, m):
    """The graph's arcs that were not in its first version (``first``: sorted keys)."""
    new = ~member(first, i * m + j)
    return i[new], j[new], score[new]


def _scan(rows, v, seats, score_range, scan, bound, ref_of, refs, slack, keys, m, exact_scan=False,
          near_by=None):
    """Scan ``rows`` at prices ``v``; update their bounds; new pairs and how many break a price.

    Prices are capped at ``PRICE_CAP`` first (cheap small integers); a row whose bound the
    cap left inconclusive is scanned again at its exact prices; with ``exact_scan``, exact
    prices at once. With ``near_by``, each row is scanned over the mentors where its last
    bound leaves room to come within ``near_by`` of breaking its price (the others are
    bounded by it, see :func:`~matching.solvers.prefixes.prefixes`).
    """
    none = (np.zeros(0, np.int64),) * 3
    if not len(rows):
        return none, np.zeros(0, bool)
    top = int(v[seats].max(initial=0)) + int(score_range[1]) - int(score_range[0]) + 1
    exact = np.where(seats, v, top)  # mentors without a seat rank below every other
    found = []
    for price in ((exact,) if exact_scan else (np.minimum(exact, PRICE_CAP), exact)):
        if near_by is not None:
            group, orders, lens, outside = prefixes(rows, v, seats, bound, ref_of, refs, slack, near_by,
                                                    int(score_range[1]) - top)
            ni, nj, ns, nb = scan(rows, price, within=(group, orders, lens))
            nb = np.maximum(nb, outside)
        else:
            ni, nj, ns, nb = scan(rows, price)
        bound[rows], ref_of[rows] = nb, len(refs)
        refs.append(price)
        breaks = ns - v[nj] > slack[ni]
        found.append((ni, nj, ns, breaks))
        rows = rows[(nb > slack[rows]) & (np.bincount(ni[breaks], minlength=len(slack))[rows] == 0)]
        if not len(rows):
            break
    ni, nj, ns, breaks = (np.concatenate(x) for x in zip(*found))
    probe = ni * m + nj
    first = np.zeros(len(probe), bool)
    first[np.unique(probe, return_index=True)[1]] = True
    fresh = first & seats[nj] & ~member(np.sort(keys), probe)
    return (ni[fresh], nj[fresh], ns[fresh]), breaks[fresh]


def _uncertified(problem, mentor_of, i, j, score, rounds, started) -> Assignment:
    """The best answer found when the round limit is reached: feasible, not proven optimal."""
    warnings.warn(f"no certificate of optimality after {MAX_ROUNDS} rounds: the result is feasible but "
                  "not proven optimal (status FEASIBLE)", MatchingWarning, stacklevel=4)
    chosen = mentor_of[i] == j
    mentor_of = mentor_of.copy()
    mentor_of[problem.fixed_i] = problem.fixed_j
    matched = mentor_of >= 0
    extra = {"certificate": {"certified": False, "rounds": len(rounds), "detail": rounds}}
    return Assignment(mentor_of=mentor_of, solver=f"ortools.min_cost_flow {ortools_version()} (sparse, not certified)",
                      status="FEASIBLE", matched_priority=int(problem.priority[matched].sum()),
                      score=int(score[chosen].sum() + problem.fixed_score.sum()), bound=None, gap=None,
                      wall_time=time.perf_counter() - started, extra=extra)


def _assignment(problem, mentor_of, i, j, score, c, u, v, left, rounds, n_allowed, started,
                n_arcs) -> Assignment:
    chosen = mentor_of[i] == j
    seats = left > 0
    primal, dual = int(c[chosen].sum()), int(u.sum() + (left[seats] * v[seats]).sum())
    if primal != dual:
        raise SolverError("the certificate's dual objective differs from the primal (internal error)",
                          status="NOT_CERTIFIED")
    mentor_of = mentor_of.copy()
    mentor_of[problem.fixed_i] = problem.fixed_j
    matched = mentor_of >= 0
    extra = {"certificate": {"certified": True, "method": "LP duality (prices by shortest paths on the residual graph)",
                             "rounds": len(rounds), "arcs": int(n_arcs[0]), "pairs_scored": int(n_arcs[1]),
                             "allowed_pairs": int(n_allowed),
                             "primal_objective": primal, "dual_objective": dual, "detail": rounds}}
    return Assignment(mentor_of=mentor_of, solver=f"ortools.min_cost_flow {ortools_version()} (sparse, certified)",
                      status="OPTIMAL", matched_priority=int(problem.priority[matched].sum()),
                      score=int(score[chosen].sum() + problem.fixed_score.sum()), bound=None, gap=0.0,
                      wall_time=time.perf_counter() - started, extra=extra)
