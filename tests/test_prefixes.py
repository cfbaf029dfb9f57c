"""``solvers.prefixes``: which mentors a certificate scan scores for each mentee.

Against brute force over every mentor: each mentor where the mentee's last bound leaves
room to come within ``margin`` of breaking its price is among the first ``lens`` of its
group's order, and ``outside`` bounds every pair with the mentors after them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings as hsettings, strategies as st

from matching.solvers.prefixes import NO_BOUND, prefixes


@hsettings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 30), m=st.integers(1, 40), n_refs=st.integers(1, 4),
       margin=st.integers(0, 50), spare=st.floats(0, 1))
def test_prefixes_cover_every_mentor_that_could_break_a_price(seed, n, m, n_refs, margin, spare):
    rng = np.random.default_rng(seed)
    seats = rng.random(m) < max(spare, 0.05)
    v = rng.integers(0, 200, m)
    refs = [rng.integers(0, 200, m) for _ in range(n_refs)]
    ref_of = rng.integers(0, n_refs, n)
    bound = rng.integers(-100, 100, n)
    slack = rng.integers(-100, 100, n)
    rows = np.flatnonzero(rng.random(n) < 0.7)
    group, orders, lens, outside = prefixes(rows, v, seats, bound, ref_of, refs, slack, margin, -999)
    for at, x in enumerate(rows):
        order = orders[group[at]]
        assert sorted(order.tolist()) == list(range(m))
        room = bound[x] + refs[ref_of[x]] - v  # what a pair left out can score above its price
        first = order[: lens[at]]
        assert seats[first].all()
        must = np.flatnonzero(seats & (room > slack[x] - margin))
        assert np.isin(must, first).all()
        rest = np.setdiff1d(np.flatnonzero(seats), first)
        if len(rest):
            assert outside[at] >= room[rest].max()
            assert outside[at] <= slack[x] - margin  # nothing left out can come near breaking
        if not seats.all():
            assert outside[at] >= -999
        if not len(rest) and seats.all():
            assert outside[at] == NO_BOUND
