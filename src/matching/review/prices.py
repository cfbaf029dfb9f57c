"""Exact what-if prices from the optimum itself, without re-solving.

Forcing a pair ``(i, j)`` into an optimal min-cost flow costs the cheapest cycle through
the arc ``i -> j`` in the residual network of the optimum: the arc's cost plus the
shortest path back from ``j`` to ``i``. Under the potentials of the optimum every
residual arc has a reduced cost >= 0 (the potentials come from one vectorized
Bellman-Ford pass over the residual arcs). A path back to a matched mentee ``i`` must end
``j0 -> i`` (``j0`` their mentor), so the distances back to the current mentors (and to
the source, for unmatched mentees) price every pair of a report: for committee sizes all
at once by Floyd-Warshall on the mentor graph (:mod:`matching.review.paths`), for larger
cohorts by :func:`scipy.sparse.csgraph.dijkstra` (in C, many targets per call) on the
network pruned to arcs no heavier than a growing limit.

Both objective levels come from the path's arcs (matched priority on the source arcs,
points on the mentee arcs). Among cheapest paths the one that dissolves the fewest
current pairs is taken, as the re-solve of :func:`~matching.review.overrides.pin_cost`
keeps the most current pairs; so ``moved`` equals that re-solve's count. Where two such
paths differ in ``moved`` (a tie through the source), or numbers would not be exact in
floating point, the pair is re-solved instead (``Cost.method == "re-solve"``).

On a sparse candidate set (large cohorts) the network holds only the listed pairs: a
price is then a bound (the loss is at most this; ``Cost.exact`` False) unless it is 0.
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .._numeric import unique
from ..scoring.scores import RESOLUTION, score_pairs
from ..solvers.problem import lexicographic_weight
from .outcome import PRIORITY_RESOLUTION, Outcome
from .overrides import Cost, pin_cost
from .bounds import short_cycles
from .paths import contract
from .solve import _wants_cpsat, make_problem

__all__ = ["Residual", "residual", "price_pairs", "capacity_price"]

_EXACT = 2.0**52
#: First pruning limit (a quantile of the arc weights) and its growth per round.
_START, _GROWTH = 0.01, 4
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class Residual:
    """The residual network of an optimum, reduced by its potentials.

    Nodes: mentees ``0..n-1``, mentors ``n..n+m-1``, source ``s = n+m``, sink ``t``.
    ``rev`` holds every residual arc reversed (head -> tail) with weight
    ``reduced * K + 2 * [dissolves a pair] + [matches another unmatched mentee]``.
    """

    n: int
    m: int
    rev: sparse.csr_matrix
    pot: np.ndarray
    k: int
    weight: int
    key: np.ndarray
    score: np.ndarray
    priority: np.ndarray
    mentor_of: np.ndarray
    fixed: np.ndarray
    unmatched: np.ndarray
    complete: bool
    free: np.ndarray = None

    @property
    def s(self) -> int:
        return self.n + self.m

    def arc_score(self, a, b) -> np.ndarray:
        """Score units of mentee -> mentor arcs (0 where not an arc)."""
        probe = np.asarray(a, np.int64) * self.m + np.asarray(b, np.int64)
        pos = np.minimum(np.searchsorted(self.key, probe), max(len(self.key) - 1, 0))
        hit = self.key[pos] == probe if len(self.key) else np.zeros(len(probe), bool)
        return np.where(hit, self.score[pos] if len(self.key) else 0, 0)


def _arcs(n, m, i, j, score, left, mentor_of, priority, w):
    """Residual arcs ``(tail, head, cost, dissolves, adds)`` of the optimal flow."""
    s, t = n + m, n + m + 1
    active = unique(i)
    matched = mentor_of[active] >= 0
    on = mentor_of[i] == j
    used = np.bincount(j[on], minlength=m)
    free = left - used
    seats_free, seats_used = np.flatnonzero(free > 0), np.flatnonzero(used > 0)
    unmatched = active[~matched]
    n_active, n_unmatched = len(active), len(unmatched)
    tail = [np.full(n_unmatched, s), active[matched], np.where(on, n + j, i), n + seats_free,
            np.full(len(seats_used), t), [s] * (n_unmatched < n_active), [t] * (n_unmatched > 0)]
    head = [unmatched, np.full(int(matched.sum()), s), np.where(on, i, n + j), np.full(len(seats_free), t),
            n + seats_used, [t] * (n_unmatched < n_active), [s] * (n_unmatched > 0)]
    cost = [-w * priority[unmatched], w * priority[active[matched]], np.where(on, score, -score),
            np.zeros(len(seats_free), np.int64), np.zeros(len(seats_used), np.int64),
            [0] * (n_unmatched < n_active), [0] * (n_unmatched > 0)]
    sizes = [len(np.atleast_1d(x)) for x in tail]
    dissolves = np.zeros(sum(sizes), np.int64)
    dissolves[sizes[0] + sizes[1]: sizes[0] + sizes[1] + sizes[2]] = on
    adds = np.zeros(sum(sizes), np.int64)
    adds[:sizes[0]] = 1
    cat = lambda parts: np.concatenate([np.asarray(p, np.int64) for p in parts])  # noqa: E731
    return cat(tail), cat(head), cat(cost), dissolves, adds


def _potentials(v: int, tail, head, cost) -> np.ndarray | None:
    """Shortest distances from a virtual root to every node (Bellman-Ford, vectorized,
    stopping when a pass changes nothing): with them every reduced cost is >= 0.
    None if the numbers would not be exact or the passes do not settle."""
    if len(cost) and float(np.abs(cost).max()) * (v + 1) >= _EXACT:
        return None
    order = np.argsort(head, kind="stable")
    tail, cost = tail[order], cost[order]
    heads, starts = np.unique(head[order], return_index=True)
    dist = np.zeros(v, np.int64)
    for _ in range(v + 1):
        if not len(cost):
            return dist
        best = np.minimum.reduceat(dist[tail] + cost, starts)
        better = best < dist[heads]
        if not better.any():
            return dist
        dist[heads[better]] = best[better]
    return None


def _build(result: Outcome) -> Residual | None:
    if _wants_cpsat(result.settings) or result.assignment.status != "OPTIMAL":
        return None
    cohort, cands = result.cohort, result.candidates
    problem = make_problem(cohort, result.settings, cands)
    i, j, score, left = problem.free_arcs()
    n, m = problem.n_mentees, problem.n_mentors
    fixed = np.zeros(n, bool)
    fixed[problem.fixed_i] = True
    mentor_of = np.where(fixed, -1, result.assignment.mentor_of)
    w = lexicographic_weight(i, score, n)
    tail, head, cost, dissolves, adds = _arcs(n, m, i, j, score, left, mentor_of, problem.priority, w)
    v = n + m + 2
    pot = _potentials(v, tail, head, cost)
    if pot is None:
        return None
    reduced = cost + pot[tail] - pot[head]
    k = 2 * n + 4
    if (reduced < 0).any() or (len(reduced) and float(reduced.max()) * k >= _EXACT):  # paths: checked per price
        return None
    weights = (reduced * k + 2 * dissolves + adds).astype(float)
    rev = sparse.csr_matrix((weights, (head, tail)), shape=(v, v))
    order = np.argsort(i * m + j, kind="stable")
    on = mentor_of[i] == j
    free = left - np.bincount(j[on], minlength=m)
    return Residual(free=free, n=n, m=m, rev=rev, pot=pot, k=k, weight=w, key=(i * m + j)[order], score=score[order],
                    priority=problem.priority, mentor_of=mentor_of, fixed=fixed,
                    unmatched=np.flatnonzero((mentor_of < 0) & np.isin(np.arange(n), i)), complete=cands.complete)


def residual(result: Outcome) -> Residual | None:
    """The (cached) residual network of ``result``; None when prices need re-solves
    (cohort goals solved by CP-SAT, an answer not proven optimal, numbers too large)."""
    key = result.assignment
    if key not in _CACHE:
        _CACHE[key] = _build(result)
    return _CACHE[key]


def capacity_price(result: Outcome, i: int, j: int) -> Cost:
    """The cost of raising mentor ``j``'s capacity by one and pinning unmatched mentee ``i`` there.

    The pin takes the new seat, so everyone else keeps the same problem and the same
    optimum: the cohort gains exactly mentee ``i`` and the pair's score, moving no one.
    """
    points = int(score_pairs(result.cohort, result.settings, [i], [j]).sum())
    priority = round(float(result.cohort.mentees.priority[i]) * PRIORITY_RESOLUTION)
    return Cost(matched=priority / PRIORITY_RESOLUTION, mentees=1, points=points / RESOLUTION, moved=0,
                status="OPTIMAL", method="residual")


def _walk(net: Residual, pred: np.ndarray, rows: np.ndarray, start: np.ndarray, target: np.ndarray):
    """Follow the shortest paths ``start -> target`` (vectorized; ``pred[rows[k]]`` is the
    next-hop row of path ``k``):
    priority and score units gained, pairs dissolved, mentees matched / unmatched via the source."""
    n, s = net.n, net.s
    q = len(start)
    prio, score, gone, added, lost = (np.zeros(q, np.int64) for _ in range(5))
    cur = start.astype(np.int64).copy()
    live = cur != target
    while live.any():
        k = np.flatnonzero(live)
        a = cur[k]
        b = pred[rows[k], a].astype(np.int64)
        back = (a >= n) & (a < s) & (b < n)
        fwd = (a < n) & (b >= n) & (b < s)
        score[k] += np.where(fwd, net.arc_score(np.where(fwd, a, 0), np.where(fwd, b - n, 0)), 0)
        score[k] -= np.where(back, net.arc_score(np.where(back, b, 0), np.where(back, a - n, 0)), 0)
        out, into = (a < n) & (b == s), (a == s) & (b < n)
        prio[k] += np.where(into, net.priority[np.where(into, b, 0)], 0)
        prio[k] -= np.where(out, net.priority[np.where(out, a, 0)], 0)
        gone[k] += back
        added[k] += into
        lost[k] += out
        cur[k] = b
        live[k] = b != target[k]
    return prio, score, gone, added, lost


def _dijkstra(graph, targets: np.ndarray, limit: float = np.inf):
    """Reverse Dijkstra from each target: distances and next hops toward it (up to ``limit``)."""
    return dijkstra(graph, directed=True, indices=targets, return_predecessors=True, limit=limit)


def _pruned(net: Residual, limit: float):
    """The reversed network without arcs heavier than ``limit``: a path no longer than
    ``limit`` uses none of them (weights are >= 0), so distances up to it stay exact."""
    keep = net.rev.data <= limit
    if keep.all():
        return net.rev
    rows = np.repeat(np.arange(net.rev.shape[0]), np.diff(net.rev.indptr))
    return sparse.csr_matrix((net.rev.data[keep], (rows[keep], net.rev.indices[keep])), shape=net.rev.shape)


def price_pairs(result: Outcome, i, j, *, progress=None, budget: float | None = None) -> list[Cost | None]:
    """The cost of forcing each pair ``(i[k], j[k])`` (positions; allowed by every rule).

    ``budget`` (seconds) caps the search on large cohorts' sparse networks: pairs not
    priced when it is spent get the bound of the best short cycle (a move into a free
    seat, a swap, or a bump; :func:`matching.review.bounds.short_cycles`), or None when
    there is none (a committee-size cohort is always priced in full).

    Examples
    --------
    >>> import matching
    >>> from matching.review.overrides import pin_cost
    >>> data = matching.load_example()
    >>> r = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> i, j = r.candidates.i[:20], r.candidates.j[:20]
    >>> prices = price_pairs(r, i, j)
    >>> all((p.points, p.mentees, p.moved) == ((q := pin_cost(r, a, b)).points, q.mentees, q.moved)
    ...     for p, a, b in zip(prices, i.tolist(), j.tolist()))
    True

    Equal to :func:`~matching.review.overrides.pin_cost` on every level and in ``moved``
    (see the module docstring); ``progress(n)`` is called with the pairs done so far.
    """
    i, j = np.asarray(i, np.int64).reshape(-1), np.asarray(j, np.int64).reshape(-1)
    net = residual(result)
    if net is None:
        out = []
        for a, b in zip(i.tolist(), j.tolist()):
            out.append(dataclasses.replace(pin_cost(result, a, b), method="re-solve"))
            if progress is not None:
                progress(1)
        return out
    out: list[Cost | None] = [None] * len(i)
    todo = []
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist())):
        if net.fixed[a]:
            out[k] = dataclasses.replace(pin_cost(result, a, b), method="re-solve")
        elif net.mentor_of[a] == b:
            out[k] = Cost(status="OPTIMAL", method="residual")
        else:
            todo.append(k)
    if progress is not None and len(i) > len(todo):
        progress(len(i) - len(todo))
    if todo:
        _price(result, net, np.array(todo, np.int64), i, j, out, progress, budget)
    return out


def _price(result, net: Residual, slots, i_all, j_all, out, progress, budget=None) -> None:
    """Price the pairs ``slots``: Floyd-Warshall on the contracted network for committee
    sizes (:mod:`matching.review.paths`), else Dijkstra on networks pruned at growing
    limits (:func:`_pruned`: most paths back are light, so early rounds settle them)."""
    n, s = net.n, net.s
    i, j = i_all[slots], j_all[slots]
    j0 = net.mentor_of[i]
    target = np.where(j0 >= 0, n + j0, s)
    first = net.arc_score(i, j)
    unlisted = ~_listed(net, i, j)
    if unlisted.any():
        first[unlisted] = score_pairs(result.cohort, result.settings, i[unlisted], j[unlisted]).sum(axis=1)
    ctx = (result, net, slots, i, j, j0, target, first, out, progress)
    small = contract(net)
    if small is not None:
        to_s = np.full(n + net.m + 2, np.inf)
        to_s[small.nodes] = small.dist[net.m]
        targets = unique(target)
        dist, pred = small.rows(net, targets)
        c = np.where(targets == s, net.m, targets - n)
        add_best = (small.adds[None, :] + small.dist[c]).min(axis=1)
        row = np.searchsorted(targets, target)
        _finish(ctx, np.arange(len(i)), dist[row, n + j], pred, row, add_best[row], to_s)
        return
    _price_pruned(ctx, budget)


def _price_pruned(ctx, budget: float | None) -> None:
    """Rounds of Dijkstra at limits x4; with a ``budget`` (seconds) the rounds stop when it
    is spent and the pairs left are not priced (None)."""
    result, net, slots, i, j, j0, target, first, out, progress = ctx
    n, s = net.n, net.s
    to_s = _dijkstra(net.rev, np.array([s]))[0][0]
    w_s = np.asarray(net.rev[net.unmatched, s].todense()).ravel() - 1  # s -> i'' without its flag
    v = n + net.m + 2
    batch = max(1, min(512, int(3e7 // (v * 12))))
    top = float(net.rev.data.max(initial=0))
    limit = max(float(np.quantile(net.rev.data, _START)) if net.rev.nnz else 0.0, 64.0 * net.k)
    left = np.ones(len(i), bool)
    started = time.perf_counter()
    while left.any() and (budget is None or time.perf_counter() - started < budget):
        final = limit >= top * v
        graph = net.rev if final else _pruned(net, limit)
        targets = unique(target[left])
        for lo in range(0, len(targets), batch):
            some = targets[lo:lo + batch]
            dist, pred = _dijkstra(graph, some, limit=np.inf if final else limit)
            q = np.flatnonzero(left & np.isin(target, some))
            row = np.searchsorted(some, target[q])
            d = dist[row, n + j[q]]
            done = (d <= limit) | final
            q, row, d = q[done], row[done], d[done]
            add_best = (dist[row[:, None], net.unmatched[None, :]] + w_s[None, :]).min(axis=1, initial=np.inf)
            _finish(ctx, q, d, pred, row, add_best, to_s)
            left[q] = False
        limit = max(limit * _GROWTH, 1.0)
    for k, cost in zip(np.flatnonzero(left).tolist(), short_cycles(net, i[left], j[left], first[left])):
        out[int(slots[k])] = cost


def _finish(ctx, q, d, pred, row, add_best, to_s) -> None:
    """Costs of the queries ``q``: ``d`` their distances, ``pred[row]`` their next-hop rows,
    ``add_best`` the cheapest way on from the source that matches another mentee."""
    result, net, slots, i, j, j0, target, first, out, progress = ctx
    n = net.n
    start = n + j[q]
    reach = np.isfinite(d)
    prio, score, gone, added, lost = _walk(net, pred, row, np.where(reach, start, target[q]), target[q])
    matched = j0[q] >= 0
    score = score + first[q] - np.where(matched, net.arc_score(i[q], np.maximum(j0[q], 0)), 0)
    prio = prio + np.where(matched, 0, net.priority[i[q]])
    mentees = added - lost + (~matched)
    # a cheapest path matching another mentee ties with one that does not: moved is the re-solve's choice
    ambiguous = matched & (added == 0) & (to_s[start] + add_best <= d)
    for k in range(len(q)):
        a, b, slot = int(i[q[k]]), int(j[q[k]]), int(slots[q[k]])
        if not reach[k] or ambiguous[k] or d[k] >= _EXACT:
            out[slot] = dataclasses.replace(pin_cost(result, a, b), method="re-solve")
            continue
        exact = net.complete or (prio[k] == 0 and score[k] == 0)
        out[slot] = Cost(matched=int(prio[k]) / PRIORITY_RESOLUTION, mentees=int(mentees[k]),
                         points=int(score[k]) / RESOLUTION, moved=int(gone[k] + added[k]), status="OPTIMAL",
                         exact=bool(exact), method="residual")
    if progress is not None:
        progress(len(q))


def _listed(net: Residual, i, j) -> np.ndarray:
    """Whether each pair is an arc of the network."""
    probe = np.asarray(i, np.int64) * net.m + np.asarray(j, np.int64)
    if not len(net.key):
        return np.zeros(len(probe), bool)
    pos = np.minimum(np.searchsorted(net.key, probe), len(net.key) - 1)
    return net.key[pos] == probe
