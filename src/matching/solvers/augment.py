"""Warm re-solve: the previous round's optimum repaired by successive shortest paths.

The certified solve (:mod:`matching.solvers.certified`) adds arcs to its flow graph
round after round. Its last optimum stays feasible and its prices stay valid on every
old arc; only the new arcs that break a price need work, and in the last rounds they
are a handful. :func:`repair` saturates each of them (flow 1), which leaves one unit
of excess at the mentor and of deficit at the mentee, and then sends each excess to a
deficit along a shortest path of the residual graph, reduced costs as lengths
(successive shortest paths with potentials). Each path is one Dijkstra search that
stops at the first deficit it reaches, and only the nodes it settled get new
potentials, so a repair near the change costs a few thousand steps, not a solve.
When no excess is left, the flow is a minimum-cost flow of the new graph and the
potentials prove it; the caller still proves it with its own prices.

The network is :func:`matching.solvers.flow.assign`'s: source -> mentee (``-W * priority``),
mentee -> mentor (``-score``), mentor -> sink (free seats), source -> sink (bypass). With
mentee prices ``u``, mentor prices ``v`` and ``slack = u - W * priority``, the node
potentials ``slack`` (mentees), ``-v`` (mentors) and 0 (source, sink) give every residual
arc a reduced cost ``cost + p[tail] - p[head] >= 0`` exactly when ``(u, v)`` prove the
flow optimal.
"""

from __future__ import annotations

import heapq
import logging

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .flow import network

__all__ = ["repair"]

log = logging.getLogger(__name__)

#: Nodes a search settles in Python before it restarts in scipy's Dijkstra over the whole graph.
SMALL = 1000
#: Searches over the whole graph a repair may make before it gives up (a cold solve is cheaper).
FULL = 20


def _network(n, m, i, j, score, entry, left, mentor_of):
    """:func:`~matching.solvers.flow.network`'s arcs holding ``mentor_of``: ``(tail, head,
    cost, cap, flow)`` and the slice of the pair arcs."""
    tail, head, cap, cost, active = network(n, m, i, j, score, entry, left)
    matched = mentor_of >= 0
    load = np.bincount(mentor_of[matched], minlength=m)
    flow = np.concatenate([matched[active], mentor_of[i] == j, load[left > 0],
                           [len(active) - int(matched[active].sum())]]).astype(np.int64)
    return tail, head, cost, cap, flow, slice(len(active), len(active) + len(i))


class _Repair:
    """Successive shortest paths on a network whose potentials are valid but whose
    excesses are not zero."""

    def __init__(self, tail, head, cost, cap, flow, p, excess, saturated):
        self.tail, self.head, self.cost, self.cap, self.flow = tail, head, cost, cap, flow
        self.p, self.excess, self.saturated = p, excess, saturated
        # every arc at each node, both ways: (arc, +1 leaving by it / -1 leaving against it)
        ends = np.concatenate([tail, head])
        order = np.argsort(ends, kind="stable")
        self.ptr = np.searchsorted(ends[order], np.arange(len(p) + 1))
        self.arc = np.concatenate([np.arange(len(tail)), np.arange(len(tail))])[order]
        self.sign = np.concatenate([np.ones(len(tail), np.int64), -np.ones(len(tail), np.int64)])[order]
        self.other = np.concatenate([head, tail])[order]
        self.order_ends = ends[order]
        self.graph = self.entry = None  # scipy's view of the same arcs, built on first use

    def _residual(self, arc, sign):
        """Whether each arc direction is residual (has room), and its reduced cost."""
        f = self.flow[arc]
        room = np.where(sign > 0, f < self.cap[arc], f > 0)
        return room, sign * (self.cost[arc] + self.p[self.tail[arc]] - self.p[self.head[arc]])

    def _moves(self, x: int):
        """Residual arcs leaving ``x``: ``(arc, +1 forward / -1 backward, other end, reduced cost)``."""
        lo, hi = self.ptr[x], self.ptr[x + 1]
        arc, sign, other = self.arc[lo:hi], self.sign[lo:hi], self.other[lo:hi]
        room, rc = self._residual(arc, sign)
        return arc[room], sign[room], other[room], rc[room]

    def search(self, steps: int):
        """Dijkstra from every excess, stopped at the first deficit it settles.

        Returns ``(target, distance, parent, settled)`` with ``settled`` a dict node ->
        distance, or None after ``steps`` nodes settled without reaching a deficit.
        """
        dist = np.full(len(self.p), np.inf)
        sources = np.flatnonzero(self.excess > 0)
        dist[sources] = 0
        heap = [(0, int(s)) for s in sources]
        parent, done = {}, {}
        while heap and len(done) < steps:
            d, x = heapq.heappop(heap)
            if x in done:
                continue
            done[x] = d
            if self.excess[x] < 0:
                return x, d, parent, done
            arcs, signs, ends, rc = self._moves(x)
            nd = d + rc
            for k in np.flatnonzero(nd < dist[ends]).tolist():
                y = int(ends[k])
                if y not in done:
                    dist[y] = nd[k]
                    parent[y] = (int(arcs[k]), int(signs[k]), x)
                    heapq.heappush(heap, (int(nd[k]), y))
        return None

    def search_all(self):
        """The same search over the whole residual graph at once (scipy's Dijkstra, in C)."""
        if self.graph is None:  # both directions of every arc; a direction not residual is infinite
            size = len(self.p)
            self.graph = csr_matrix((np.ones(len(self.arc)), (self.order_ends, self.other)), shape=(size, size))
            self.graph.has_sorted_indices = False
            self.graph.sort_indices()
            key = self.order_ends * size + self.other
            self.entry = np.argsort(key, kind="stable")  # CSR position -> position in the node lists
        arc, sign = self.arc[self.entry], self.sign[self.entry]
        room, rc = self._residual(arc, sign)
        self.graph.data = np.where(room, rc, np.inf).astype(np.float64)
        dist, pred, _ = dijkstra(self.graph, indices=np.flatnonzero(self.excess > 0), min_only=True,
                                 return_predecessors=True, limit=self._reach())
        sinks = np.flatnonzero((self.excess < 0) & np.isfinite(dist))
        if not len(sinks):
            return None
        target = int(sinks[np.argmin(dist[sinks])])
        far = int(round(dist[target]))
        parent, x = {}, target
        indptr, indices = self.graph.indptr, self.graph.indices
        while pred[x] >= 0:
            y = int(pred[x])
            at = indptr[y] + int(np.searchsorted(indices[indptr[y]:indptr[y + 1]], x))
            parent[x] = (int(arc[at]), int(sign[at]), y)
            x = y
        near = np.flatnonzero(dist < far)
        return target, far, parent, dict(zip(near.tolist(), np.rint(dist[near]).astype(np.int64).tolist()))

    def _reach(self) -> float:
        """A path length some deficit is reached within: a saturated arc's way back from an
        excess mentor to a deficit mentee (the search need not look further)."""
        back = self.saturated[(self.flow[self.saturated] > 0) & (self.excess[self.head[self.saturated]] > 0)
                              & (self.excess[self.tail[self.saturated]] < 0)]
        if not len(back):
            return np.inf
        return float((self.p[self.head[back]] - self.p[self.tail[back]] - self.cost[back]).min())

    def push(self, found) -> int:
        """Move one unit along the path found; potentials of the settled nodes follow."""
        target, far, parent, done = found
        nodes = np.fromiter(done.keys(), np.int64, len(done))
        self.p[nodes] += np.fromiter(done.values(), np.int64, len(done)) - far
        x = target
        while x in parent:
            arc, sign, x = parent[x]
            self.flow[arc] += sign
        self.excess[x] -= 1
        self.excess[target] += 1
        return len(done)


def repair(n, m, i, j, score, prio, left, weight, mentor_of, slack, v, *, budget: int = 200_000):
    """The optimum of the arcs ``(i, j)`` from an optimum of a subset and its prices.

    Parameters
    ----------
    n, m : int
        Mentees and mentors.
    i, j, score : ndarray of int64
        The graph's arcs (mentors with no seat left excluded).
    prio, left, weight
        Mentee priorities, free seats per mentor and the lexicographic weight.
    mentor_of : ndarray of int64
        An optimum of a subset of the arcs holding every chosen arc.
    slack, v : ndarray of int64
        Prices proving it: ``slack = u - weight * prio`` per mentee, ``v`` per mentor.
    budget : int
        Dijkstra steps allowed in all; past them the repair gives up.

    Returns
    -------
    ndarray of int64 or None
        ``mentor_of`` of an optimum (``-1`` unmatched), or None when the budget ran out.

    Examples
    --------
    One mentor with one seat held by mentee 0; a better arc for mentee 1 appears:

    >>> args = (2, 1, np.array([0, 1]), np.array([0, 0]), np.array([5, 9]), np.array([1, 1]),
    ...         np.array([1]), 100)
    >>> repair(*args, np.array([0, -1]), np.array([5, -100]), np.array([0])).tolist()
    [-1, 0]
    """
    tail, head, cost, cap, flow, pairs = _network(n, m, i, j, score, -weight * np.asarray(prio, np.int64), left,
                                                  mentor_of)
    p = np.concatenate([slack, -np.where(left > 0, v, 0), [0, 0]]).astype(np.int64)
    rc = cost + p[tail] - p[head]
    new_pair = np.zeros(len(rc), bool)
    new_pair[pairs] = True
    broken = np.flatnonzero(new_pair & (flow == 0) & (rc < 0))
    if ((flow < cap) & (rc < 0) & ~new_pair).any() or ((flow > 0) & (rc > 0)).any():
        log.debug("warm re-solve: the prices do not prove the last optimum; solving from scratch")
        return None  # Dijkstra needs every other residual arc non-negative
    flow[broken] = 1
    excess = np.zeros(len(p), np.int64)
    np.add.at(excess, head[broken], 1)
    np.add.at(excess, tail[broken], -1)
    work = _Repair(tail, head, cost, cap, flow, p, excess, broken)
    full = 0
    for _ in range(len(broken)):
        found = work.search(SMALL)
        if found is None and full < FULL:
            found, full = work.search_all(), full + 1
        if found is None or budget <= 0:
            log.debug("warm re-solve: gave up (no path, or its budget of Dijkstra steps spent)")
            return None
        budget -= work.push(found)
    if (excess != 0).any():
        return None
    log.debug("warm re-solve: %d broken arcs repaired by shortest paths", len(broken))
    on = flow[pairs] > 0
    out = np.full(n, -1, np.int64)
    out[i[on]] = j[on]
    return out
