"""Min-cost flow optima for the certified solve: cold, or re-solved near what changed.

:func:`optimum` solves a sparse graph from scratch with OR-Tools. :func:`local_optimum`
starts from the previous round's optimum when a few arcs were added: it re-solves only
the region around the mentees whose prices those arcs break (their near-tight arcs,
the mentees holding those mentors' seats, and so on for a few steps), everyone else
keeping their mentor. The answer is a guess until
:func:`matching.solvers.certified.solve_certified` proves it optimal for the whole graph
(prices by shortest paths; a better answer elsewhere shows as a negative cycle), and it
re-solves from scratch when the proof fails, so the optimum is the same as a cold solve's.
"""

from __future__ import annotations

import logging

import numpy as np

from ..errors import SolverError
from .flow import STATUS_TEXT, assign

__all__ = ["local_optimum", "optimum", "region"]

log = logging.getLogger(__name__)

#: Alternating steps from the mentees whose prices broke to the edge of a local re-solve.
DEPTH = 4


def _flow(n, m, i, j, score, prio, left, weight, everyone: bool = False):
    """Optimal ``mentor_of`` (-1 unmatched) on arcs ``(i, j)`` by OR-Tools min-cost flow.

    With ``everyone``, every mentee with an arc must be matched and only scores count
    (small costs solve faster); ``None`` if that is infeasible.
    """
    entry = np.zeros(n, np.int64) if everyone else -weight * prio
    mentor_of, name = assign(n, m, i, j, score, entry, left, bypass=not everyone)
    if everyone and name == "INFEASIBLE":
        return None
    if mentor_of is None:
        raise SolverError(STATUS_TEXT.get(name, f"unexpected min-cost flow status {name}"), status=name)
    return mentor_of


def optimum(n, m, i, j, score, prio, left, weight):
    """The lexicographic optimum on arcs ``(i, j)``: scores only when everyone can be matched."""
    mentor_of = None
    if left[left > 0].sum() >= len(np.unique(i)):
        mentor_of = _flow(n, m, i, j, score, prio, left, weight, everyone=True)
    return mentor_of if mentor_of is not None else _flow(n, m, i, j, score, prio, left, weight)


def region(n, m, i, j, near, mentor_of, start, depth: int):
    """Mentees and mentors within ``depth`` steps of the mentees ``start``.

    A step follows the region's mentees' ``near`` arcs to mentors, then brings in those
    mentors' mentees and every mentee with a ``near`` arc to them (who might move in).

    >>> e, t = region(3, 2, np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1]),
    ...               np.array([True, True, True, False]), np.array([1, 0, -1]), np.array([0]), 1)
    >>> e.tolist(), t.tolist()
    ([True, True, False], [True, True])
    """
    mentees, mentors = np.zeros(n, bool), np.zeros(m, bool)
    mentees[start] = True
    matched = mentor_of >= 0
    for _ in range(depth):
        mentors[j[near & mentees[i]]] = True
        mentees |= matched & mentors[np.maximum(mentor_of, 0)]
        mentees[i[near & mentors[j]]] = True
    mentors[mentor_of[mentees & matched]] = True
    return mentees, mentors


def local_optimum(n, m, i, j, score, prio, left, weight, mentor_of, near, start, *, depth: int | None = None,
                  largest: float = 0.25):
    """Re-solve the region around ``start`` (see :func:`region`), everyone else keeping ``mentor_of``.

    Returns the new ``mentor_of``, or ``None`` when the region holds more than ``largest``
    of the mentees (a cold solve is as cheap).
    """
    mentees, mentors = region(n, m, i, j, near, mentor_of, start, depth or DEPTH)
    log.debug("local re-solve: %d mentees broke a price, region of %d mentees", len(start), mentees.sum())
    if mentees.sum() > largest * n:
        return None
    matched = mentor_of >= 0
    outside = matched & ~mentees
    room = np.where(mentors, left - np.bincount(mentor_of[outside], minlength=m), 0)
    inner = mentees[i] & mentors[j]
    solved = optimum(n, m, i[inner], j[inner], score[inner], prio, room, weight)
    return np.where(mentees, solved, mentor_of)
