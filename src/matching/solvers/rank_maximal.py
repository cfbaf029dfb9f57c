"""Rank-maximal assignment: the most 1st choices, then the most 2nd choices, and so on.

The best *rank profile* a cohort can reach, the yardstick beside which
:func:`matching.review.audit.audit_summary` shows what the committee's weights trade away.

Two exact methods:

* ``"flow"``: one min-cost flow whose arc of (compressed) rank ``r`` of ``R`` earns
  ``B ** (R - r)`` with ``B`` one more than the number of mentees: one more arc of rank
  ``r`` outweighs every arc of a worse rank together, so the optimum is lexicographic.
  Used while those weights fit the flow solver's integers exactly.
* ``"phases"``: the combinatorial algorithm of Irving et al. (one rank at a time, pruning
  with the Gallai-Edmonds decomposition), each phase a min-cost flow with small
  weights (any size).

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

from .._numeric import unique
from .flow import assign

_INT64_MAX = np.iinfo(np.int64).max

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


def rank_maximal(n: int, m: int, i, j, rank, capacity, *, method: str = "auto") -> RankMaximal:
    """A rank-maximal assignment of mentees to mentors over the arcs ``(i, j)`` of rank ``rank``.

    Parameters
    ----------
    n, m : int
        Mentees and mentors.
    i, j, rank : array of int
        Allowed ranked pairs (rank 1 = first choice); each mentee at most once per mentor.
    capacity : array of int, shape (m,)
        Free seats of each mentor.
    method : {"auto", "flow", "phases"}
        ``auto``: the flow when its weights fit, the phases otherwise.
    """
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    code, levels = _compressed(np.asarray(rank, np.int64))
    capacity = np.asarray(capacity, np.int64)
    started = time.perf_counter()
    n_active = len(unique(i))
    if method == "flow" or (method == "auto" and fits_flow(n_active, levels, n + m + 2)):
        if not fits_flow(n_active, levels, n + m + 2):
            raise ValueError("rank weights too large for the flow solver; use method='phases'")
        base = n_active + 1
        weight = np.array([base ** (levels - 1 - c) for c in range(levels)], dtype=np.int64)
        mentor_of, status = assign(n, m, i, j, weight[code] if len(i) else np.zeros(0, np.int64),
                                   np.zeros(n, np.int64), np.maximum(capacity, 0))
        if mentor_of is None:  # pragma: no cover - the bypass arc makes the network always feasible
            raise RuntimeError(f"min-cost flow status {status}")
        return RankMaximal(mentor_of, "flow", "OPTIMAL", time.perf_counter() - started)
    return RankMaximal(_phases(n, m, i, j, code, levels, capacity), "phases", "OPTIMAL",
                       time.perf_counter() - started)


def _csr(keys: np.ndarray, size: int):
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(size + 1))


def _reach(start, ptr, order, far, partner, n_far):
    """Alternating search from ``start`` (free vertices of one side): returns the even
    vertices of that side and the odd vertices of the other (``far``: each edge's other end)."""
    even = np.zeros(len(ptr) - 1, bool)
    odd = np.zeros(n_far, bool)
    even[start] = True
    frontier = np.flatnonzero(even)
    while len(frontier):
        lens = ptr[frontier + 1] - ptr[frontier]
        pos = np.repeat(ptr[frontier] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        hit = unique(far[order[pos]])
        hit = hit[~odd[hit]]
        odd[hit] = True
        back = partner[hit]
        back = unique(back[back >= 0])
        frontier = back[~even[back]]
        even[frontier] = True
    return even, odd


def _phases(n, m, i, j, code, levels, capacity):
    """Irving, Kavitha, Mehlhorn, Michail and Paluch's algorithm (rank-maximal matchings,
    2006) on mentors split into seats: add one rank at a time; after each, the
    Gallai-Edmonds decomposition (even, odd, unreachable vertices) of the maximum matching
    marks the vertices every rank-maximal matching covers with the ranks so far; their
    worse-ranked edges and the odd-odd, odd-unreachable edges are deleted. Each phase needs
    a maximum matching that covers every vertex so marked (augmenting the last phase's
    matching gives one): one min-cost flow earning 1 per pair and 1 per marked vertex
    covered, since a matching both maximum and covering them all beats any other."""
    deg = np.bincount(j, minlength=m)
    seats = np.minimum(np.maximum(capacity, 0), deg)
    first = np.concatenate([[0], np.cumsum(seats)])
    copies = seats[j]
    arc = np.repeat(np.arange(len(i)), copies)
    ei, level = i[arc], code[arc]
    es = first[j[arc]] + np.arange(len(arc)) - np.repeat(np.cumsum(copies) - copies, copies)
    n_seats = int(first[-1])
    alive = np.ones(len(arc), bool)
    must_l, must_r = np.zeros(n, bool), np.zeros(n_seats, bool)
    mate_l = np.full(n, -1, np.int64)
    weight = 1  # any positive bonus works (see the docstring)
    for k in range(levels):
        use = np.flatnonzero(alive & (level <= k))
        score = 1 + weight * must_r[es[use]].astype(np.int64)
        mate_l, _ = assign(n, n_seats, ei[use], es[use], score, -weight * must_l.astype(np.int64),
                           np.ones(n_seats, np.int64))
        mate_r = np.full(n_seats, -1, np.int64)
        mate_r[mate_l[mate_l >= 0]] = np.flatnonzero(mate_l >= 0)
        ol, ptr_l = _csr(ei[use], n)
        orr, ptr_r = _csr(es[use], n_seats)
        even_l, odd_r = _reach(np.flatnonzero(mate_l < 0), ptr_l, ol, es[use], mate_r, n_seats)
        even_r, odd_l = _reach(np.flatnonzero(mate_r < 0), ptr_r, orr, ei[use], mate_l, n)
        hard_l, hard_r = ~even_l, ~even_r  # odd or unreachable: covered by every maximum matching
        alive &= ~((level > k) & (hard_l[ei] | hard_r[es]))
        alive &= ~((odd_l[ei] & hard_r[es]) | (hard_l[ei] & odd_r[es]))
        must_l |= hard_l
        must_r |= hard_r
    mentor_of = np.full(n, -1, np.int64)
    matched = mate_l >= 0
    owner = np.repeat(np.arange(m), seats)
    mentor_of[matched] = owner[mate_l[matched]]
    return mentor_of


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
