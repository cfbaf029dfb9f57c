"""Which mentors a certificate scan must score for each mentee (see :mod:`.certified`).

A mentee's pairs left out of the flow graph are bounded by its last scan: at the prices
``refs[r]`` of that scan none scored more than ``bound`` above its price, so at today's
prices ``v`` the pair with mentor ``j`` scores at most ``bound + refs[r][j] - v[j]`` above
``v[j]``. Only mentors where that leaves room to come within ``margin`` of breaking the
mentee's price need scoring; sorted by ``refs[r][j] - v[j]``, they lead the order.
"""

from __future__ import annotations

import numpy as np

from .._numeric import unique

__all__ = ["prefixes"]

NO_BOUND = np.iinfo(np.int64).min
_LOW = np.iinfo(np.int64).min // 4


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
        a = np.where(seats, refs[r] - v, _LOW)
        order = np.argsort(-a, kind="stable")
        mine = np.flatnonzero(group == g)
        x = rows[mine]
        lead = np.minimum(np.searchsorted(-a[order], bound[x] + margin - slack[x], "left"), n_seats)
        lens[mine] = lead
        nxt = a[order[np.minimum(lead, len(a) - 1)]]
        outside[mine] = np.where(lead < n_seats, bound[x] + nxt, NO_BOUND)
        orders.append(order)
    if n_seats < len(seats):
        outside = np.maximum(outside, beyond)
    return group, orders, lens, outside
