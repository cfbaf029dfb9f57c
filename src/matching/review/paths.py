"""All shortest paths back to the current mentors at once, for committee-size cohorts.

Every mentee node of the residual network (:mod:`matching.review.prices`) has exactly one
arc in (from their mentor, or from the source when unmatched), so a path through a mentee
is a path between the nodes around it. Contracting the mentees leaves a dense graph of
mentors, source and sink, small enough for Floyd-Warshall
(:func:`scipy.sparse.csgraph.floyd_warshall`, in C) when there are at most
:data:`MAX_NODES` mentors; one call then gives the path back from every mentor to every
other. The paths are expanded to the network's nodes so that the prices read them as
they read Dijkstra's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import csgraph_from_dense, floyd_warshall

__all__ = ["Contracted", "contract", "MAX_NODES"]

#: Largest contracted graph (mentors + 2) solved by Floyd-Warshall; larger ones use Dijkstra.
MAX_NODES = 900


@dataclass(frozen=True, eq=False)
class Contracted:
    """Distances ``dist[T, x]`` from contracted node ``x`` to ``T`` and next hops
    ``step[T, x]`` in the network's own nodes, for every pair of mentors, source and sink."""

    dist: np.ndarray
    step: np.ndarray
    via: np.ndarray
    nodes: np.ndarray
    adds: np.ndarray

    def rows(self, net, targets: np.ndarray):
        """Distances to ``targets`` (network nodes) from every network node that is a
        mentor, source or sink, and next-hop rows over every network node."""
        n = net.n
        c = np.where(targets == net.s, net.m, targets - n)
        v = n + net.m + 2
        step = np.full((len(c), v), -9999, np.int64)
        nxt = self.step[c]                                   # contracted next hop, -9999 if none
        ok = nxt >= 0
        y = np.where(ok, nxt, 0)
        k = self.via[np.arange(self.via.shape[0])[None, :], y]  # mentee on the contracted arc
        k = np.where(ok, k, -1)
        target_node = np.where(ok, self.nodes[y], -9999)
        step[:, self.nodes] = np.where(k >= 0, k, target_node)
        b, x = np.nonzero(k >= 0)
        step[b, k[b, x]] = target_node[b, x]
        dist = np.full((len(c), v), np.inf)
        dist[:, self.nodes] = self.dist[c]
        return dist, step


def contract(net) -> Contracted | None:
    """The contracted graph of ``net`` solved by Floyd-Warshall; None when too large."""
    n, m, s = net.n, net.m, net.s
    size = m + 2
    if size > MAX_NODES:
        return None
    rev = net.rev
    head = np.repeat(np.arange(rev.shape[0]), np.diff(rev.indptr))
    tail, w = rev.indices.astype(np.int64), rev.data
    cnode = np.full(n + m + 2, -1, np.int64)
    cnode[n:n + m] = np.arange(m)
    cnode[s], cnode[s + 1] = m, m + 1
    # the one arc into each mentee: from their mentor or from the source
    into = np.zeros(n, bool)
    into[head[head < n]] = True
    entry_w = np.full(n, np.inf)
    entry_from = np.full(n, -1, np.int64)
    entry_w[head[head < n]] = w[head < n]
    entry_from[head[head < n]] = cnode[tail[head < n]]
    via_mentee = tail < n
    direct = (tail >= n) & (head >= n)
    a = np.concatenate([entry_from[tail[via_mentee]], cnode[tail[direct]]])
    b = np.concatenate([cnode[head[via_mentee]], cnode[head[direct]]])
    val = np.concatenate([entry_w[tail[via_mentee]] + w[via_mentee], w[direct]])
    who = np.concatenate([tail[via_mentee], np.full(int(direct.sum()), -1)])
    keep = np.isfinite(val) & (a >= 0)
    a, b, val, who = a[keep], b[keep], val[keep], who[keep]
    order = np.lexsort((val, a * size + b))
    a, b, val, who = a[order], b[order], val[order], who[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    a, b, val, who = a[first], b[first], val[first], who[first]
    dense = np.full((size, size), np.inf)
    dense[b, a] = val                                      # reversed: rows are heads
    via = np.full((size, size), -1, np.int64)
    via[a, b] = who
    graph = csgraph_from_dense(dense, null_value=np.inf)
    dist, pred = floyd_warshall(graph, directed=True, return_predecessors=True)
    nodes = np.concatenate([n + np.arange(m), [s, s + 1]])
    adds = np.full(size, np.inf)
    from_s = a == m
    adds[b[from_s]] = val[from_s] - 1                      # s -> mentee -> y, without the flag
    return Contracted(dist=dist, step=pred.astype(np.int64), via=via, nodes=nodes, adds=adds)
