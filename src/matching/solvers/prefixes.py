"""Which mentees a certificate round must scan, and which mentors for each (see :mod:`.certified`).

A mentee's pairs left out of the flow graph are bounded by its last scan: at the prices
``refs[r]`` of that scan none scored more than ``bound`` above its price, so at today's
prices ``v`` the pair with mentor ``j`` scores at most ``bound + refs[r][j] - v[j]`` above
``v[j]``. Only mentors where that leaves room to come within ``margin`` of breaking the
mentee's price need scoring; sorted by ``refs[r][j] - v[j]``, they lead the order.
"""

from __future__ import annotations

import numpy as np

from .._numeric import unique

__all__ = ["suspects", "prefixes"]

NO_BOUND = np.iinfo(np.int64).min
_LOW = np.iinfo(np.int64).min // 4


def _by_drop(ref, v, mentors):
    """How much each of ``mentors`` (a mask) fell in price since ``ref`` (``a = ref - v``; the
    others ``_LOW``), the mentors sorted by it, most first, and ``-a`` in that order
    (ascending: ``searchsorted(fell, t - x)`` counts the mentors with ``a > x - t``)."""
    a = np.where(mentors, ref - v, _LOW)
    order = np.argsort(-a, kind="stable")
    return a, order, -a[order]


def suspects(bound, ref_of, refs, slack, v, seats, free, top: int, col=None) -> np.ndarray:
    """Mentees whose left-out pairs might break a price constraint; the bounds prove the rest.

    A pair ``(i, j)`` left out scores at most ``bound[i] + refs[ref_of[i]][j]`` (the row's
    bound from its last scan), at most ``col[j]`` (the mentor's bound, when known) and at
    most ``top``. It breaks ``score - v[j] <= slack[i]`` only at a mentor with a seat where
    ``refs[r][j] - v[j] > slack[i] - bound[i]`` and ``min(col[j], top) - v[j] > slack[i]``
    both hold: one sort of the mentors by the first, a running maximum of the second.

    Examples
    --------
    Two mentees last scanned at prices 0 with bound 5, prices 7 and 9; mentor 1 costs 3 less:

    >>> suspects(np.array([5, 5]), np.array([0, 0]), [np.zeros(3, np.int64)], np.array([7, 9]),
    ...          np.array([0, -3, 0]), np.ones(3, bool), np.ones(2, bool), 20).tolist()
    [0]
    """
    rows = np.flatnonzero(free & (bound != NO_BOUND))
    mentors = seats if col is None else seats & (col != NO_BOUND)
    if not mentors.any() or not len(rows):
        return np.zeros(0, np.int64)
    b = (np.full(len(v), top, np.int64) if col is None else np.minimum(col, top)) - v
    keep = np.zeros(len(rows), bool)
    for r in unique(ref_of[rows]).tolist():
        mine = np.flatnonzero(ref_of[rows] == r)
        _, order, fell = _by_drop(refs[r], v, mentors)
        most_b = np.maximum.accumulate(b[order])
        x = rows[mine]
        above = np.searchsorted(fell, bound[x] - slack[x], "left")  # mentors with a > slack - bound
        keep[mine] = (above > 0) & (most_b[np.maximum(above - 1, 0)] > slack[x])
    return rows[keep]


def prefixes(rows, v, seats, bound, ref_of, refs, slack, margin: int, beyond: int):
    """Per row, the mentors to score, as the first ``lens`` of its group's order.

    Parameters
    ----------
    rows : ndarray of int64
        Mentees to scan (each with a bound: not ``NO_BOUND``).
    v, seats : ndarray
        Mentor prices now, and which mentors have a seat (only those are ordered first).
    bound, ref_of, refs
        Each mentee's bound from its last scan and the prices that scan used.
    slack : ndarray of int64
        Each mentee's price (``u - W * priority``).
    margin : int
        Mentors are scored where a pair could come within ``margin`` of breaking the price.
    beyond : int
        What any pair with a mentor without a seat can score above its price at most.

    Returns
    -------
    (group, orders, lens, outside)
        Per row its group (rows last scanned at the same prices), per group the mentors in
        order, per row how many lead, and per row a bound on what its pairs with the
        mentors after those score above their price (``NO_BOUND``: none).

    Examples
    --------
    One mentee last scanned at prices 0 with bound 5; today mentor 1 costs 3 less:

    >>> g, orders, lens, out = prefixes(np.array([0]), np.array([0, -3, 0]), np.ones(3, bool),
    ...     np.array([5]), np.array([0]), [np.zeros(3, np.int64)], np.array([7]), 0, -99)
    >>> orders[0].tolist(), lens.tolist(), out.tolist()
    ([1, 0, 2], [1], [5])
    """
    groups = unique(ref_of[rows])
    group = np.searchsorted(groups, ref_of[rows])
    lens = np.zeros(len(rows), np.int64)
    outside = np.full(len(rows), NO_BOUND, np.int64)
    n_seats, orders = int(seats.sum()), []
    for g, r in enumerate(groups.tolist()):
        a, order, fell = _by_drop(refs[r], v, seats)
        mine = np.flatnonzero(group == g)
        x = rows[mine]
        lead = np.minimum(np.searchsorted(fell, bound[x] + margin - slack[x], "left"), n_seats)
        lens[mine] = lead
        nxt = a[order[np.minimum(lead, len(a) - 1)]]
        outside[mine] = np.where(lead < n_seats, bound[x] + nxt, NO_BOUND)
        orders.append(order)
    if n_seats < len(seats):
        outside = np.maximum(outside, beyond)
    return group, orders, lens, outside
