"""Warm re-solve: the previous round's optimum repaired by successive shortest paths.

The certified solve (:mod:`matching.solvers.certified`) adds arcs to its flow graph
round after round. Its last optimum stays feasible and its prices stay valid on every
old arc; only the new arcs that break a price need work, and in the last rounds they
are a handful. :func:`repair` saturates each of them (flow 1), which leaves one unit
of excess at the mentor and of deficit at the mentee, and then sends each excess to a
deficit along a shortest path of the residual graph, reduced costs as lengths
(successive shortest paths with potentials, compiled: :mod:`matching.solvers._ssp`).
Each path is one Dijkstra search that stops at the first deficit it reaches, and only
the nodes it settled get new potentials, so a repair near the change costs a few
thousand steps, not a solve.
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

import logging

import numpy as np

from .flow import network

__all__ = ["repair"]

log = logging.getLogger(__name__)


def _network(n, m, i, j, score, entry, left, mentor_of):
    """:func:`~matching.solvers.flow.network`'s arcs holding ``mentor_of``: ``(tail, head,
    cost, cap, flow)`` and the slice of the pair arcs."""
    tail, head, cap, cost, active = network(n, m, i, j, score, entry, left)
    matched = mentor_of >= 0
    load = np.bincount(mentor_of[matched], minlength=m)
    flow = np.concatenate([matched[active], mentor_of[i] == j, load[left > 0],
                           [len(active) - int(matched[active].sum())]]).astype(np.int64)
    return tail, head, cost, cap, flow, slice(len(active), len(active) + len(i))


def repair(n, m, i, j, score, prio, left, weight, mentor_of, slack, v, *, budget: int = 20_000_000):
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
        Nodes the searches may reach in all; past them the repair gives up (a cold
        solve is then cheaper).

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
    from . import _ssp

    adjacency = _ssp.adjacency(np.asarray(tail, np.int64), np.asarray(head, np.int64), len(p))
    if not _ssp.repair_flow(*adjacency, tail, head, cost, cap, flow, p, excess, budget):
        log.debug("warm re-solve: gave up (no path, or its budget of search steps spent)")
        return None
    log.debug("warm re-solve: %d broken arcs repaired by shortest paths", len(broken))
    on = flow[pairs] > 0
    out = np.full(n, -1, np.int64)
    out[i[on]] = j[on]
    return out
