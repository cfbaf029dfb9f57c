"""Quick bounds on what-if prices from short cycles, for pairs the exact search did not reach.

Forcing mentee ``i`` onto mentor ``j`` is always possible by one of a few short moves:
``j`` has a free seat; or one of ``j``'s mentees ``k`` moves to ``i``'s seat, to a mentor
with a free seat, or is left unmatched. Each is a feasible answer of the pinned problem,
so the best of them bounds the cost: the cohort loses at most this (``Cost.exact``
False, ``Cost.method == "bound"``). :mod:`matching.review.prices` uses them on large
cohorts when its time budget is spent.
"""

from __future__ import annotations

import numpy as np

from ..scoring.scores import RESOLUTION
from .outcome import PRIORITY_RESOLUTION
from .overrides import Cost

__all__ = ["short_cycles"]


def _seat_moves(net) -> tuple[np.ndarray, np.ndarray]:
    """For each mentee: the best score at a mentor with a free seat (other than their own), and that mentor."""
    i, j = np.divmod(net.key, net.m)
    ok = (net.free[j] > 0) & (net.mentor_of[i] != j)
    best = np.full(net.n, np.iinfo(np.int64).min)
    where = np.full(net.n, -1)
    if ok.any():
        order = np.lexsort((-net.score[ok], i[ok]))
        ii, jj, sc = i[ok][order], j[ok][order], net.score[ok][order]
        first = np.r_[True, ii[1:] != ii[:-1]]
        best[ii[first]], where[ii[first]] = sc[first], jj[first]
    return best, where


def short_cycles(net, i, j, first) -> list[Cost | None]:
    """Bounds for forcing each pair ``(i[k], j[k])``; ``first`` is each pair's score in units."""
    best, where = _seat_moves(net)
    at = {}
    for k in np.flatnonzero((net.mentor_of >= 0) & ~net.fixed).tolist():
        at.setdefault(int(net.mentor_of[k]), []).append(k)
    out = []
    for a, b, sc in zip(np.asarray(i).tolist(), np.asarray(j).tolist(), np.asarray(first).tolist()):
        j0 = int(net.mentor_of[a])
        gain = (0 if j0 >= 0 else int(net.priority[a]), 0 if j0 >= 0 else 1)
        base = sc - (int(net.arc_score([a], [j0])[0]) if j0 >= 0 else 0)
        options = []
        if net.free[b] > 0:
            options.append((gain[0], base, 0, gain[1]))
        for k in at.get(b, []):
            leave = int(net.arc_score([k], [b])[0])
            if j0 >= 0 and _has(net, k, j0):
                options.append((gain[0], base - leave + int(net.arc_score([k], [j0])[0]), -1, gain[1]))
            if where[k] >= 0 and where[k] != b:
                options.append((gain[0], base - leave + int(best[k]), -1, gain[1]))
            options.append((gain[0] - int(net.priority[k]), base - leave, -1, gain[1] - 1))
        if not options:
            out.append(None)
            continue
        prio, points, moved, mentees = max(options)
        out.append(Cost(matched=prio / PRIORITY_RESOLUTION, mentees=mentees, points=points / RESOLUTION,
                        moved=-moved, status="OPTIMAL", exact=False, method="bound"))
    return out


def _has(net, a: int, b: int) -> bool:
    probe = a * net.m + b
    pos = int(np.searchsorted(net.key, probe))
    return pos < len(net.key) and int(net.key[pos]) == probe
