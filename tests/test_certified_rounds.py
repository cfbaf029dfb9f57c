"""Pieces of the certified solve's rounds, each against a plain oracle.

The mentors' best mentees are merged in batches (equal to one sort of every offer), and a
round may re-solve only near the arcs it added: whenever the certificate's prices prove
that answer, its objective is the cold solve's, and a suboptimal answer is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from matching.errors import SolverError
from matching.scoring.sparse import _MentorBest
from matching.solvers import certified
from matching.solvers.warm import local_optimum, optimum


@hsettings(max_examples=60, deadline=None)
@given(k=st.integers(1, 4), m=st.integers(1, 6), seed=st.integers(0, 2**16), blocks=st.integers(0, 12))
def test_batched_mentor_best_equals_one_sort(k, m, seed, blocks):
    rng = np.random.default_rng(seed)
    side, offers = _MentorBest(k, m), []
    for b in range(blocks):
        cols = np.flatnonzero(rng.random(m) < 0.7)
        rows = np.full(len(cols), b)
        values = rng.integers(-3, 4, len(cols)).astype(np.int64)  # many ties: the earlier block wins
        side.merge(cols, rows, values)
        if rng.random() < 0.3:
            side.flush()
        offers += list(zip(cols.tolist(), rows.tolist(), values.tolist()))
    got = sorted(zip(*(a.tolist() for a in side.pairs())))
    want = []
    for j in range(m):
        mine = sorted([(-v, r) for c, r, v in offers if c == j])[:k]
        want += [(r, j, -v) for v, r in mine]
    assert got == sorted(want)


def _graph(seed, n, m):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < 0.5
    i, j = np.nonzero(dense)
    score = rng.integers(0, 20, len(i)).astype(np.int64)
    left = rng.integers(0, 3, m).astype(np.int64)
    prio = rng.integers(1, 3, n).astype(np.int64)
    return i.astype(np.int64), j.astype(np.int64), score, left, prio


def _objective(mentor_of, i, j, score, prio):
    chosen = mentor_of[i] == j
    return int(prio[mentor_of >= 0].sum()), int(score[chosen].sum())


@hsettings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), m=st.integers(1, 8), depth=st.integers(0, 6),
       share=st.floats(0.1, 0.9))
def test_local_re_solve_proved_optimal_equals_cold_solve(seed, n, m, depth, share):
    """A warm start from the optimum without some arcs: refused by the proof, or as good as cold."""
    i, j, score, left, prio = _graph(seed, n, m)
    usable = left[j] > 0
    i, j, score = i[usable], j[usable], score[usable]
    weight = certified.certificate_weight(n, (0, 20))
    old = np.random.default_rng(seed + 1).random(len(i)) < share
    before = optimum(n, m, i[old], j[old], score[old], prio, left, weight)
    c = weight * prio[i] + score
    u, v, _ = certified.prices(m, i[old], j[old], c[old], left, before)
    broken = c - u[i] - v[j] > 0
    cold = optimum(n, m, i, j, score, prio, left, weight)
    warm = local_optimum(n, m, i, j, score, prio, left, weight, before, c - u[i] - v[j] >= -3,
                         np.unique(i[broken]), depth=depth, largest=1.0)
    try:
        certified.prices(m, i, j, c, left, warm)
    except SolverError:
        assert broken.any()  # the old optimum itself is proved whenever no arc breaks a price
    else:
        assert _objective(warm, i, j, score, prio) == _objective(cold, i, j, score, prio)
    # a region grown over every arc holds whole components: always proved, always optimal
    whole = local_optimum(n, m, i, j, score, prio, left, weight, before, np.ones(len(i), bool),
                          np.unique(i[broken]), depth=n + m, largest=1.0)
    certified.prices(m, i, j, c, left, whole)
    assert _objective(whole, i, j, score, prio) == _objective(cold, i, j, score, prio)


def test_proof_step_limit_refuses_rather_than_loops():
    """A negative cycle (a better assignment exists) is refused within the step limit."""
    i, j = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    c = np.array([10, 1, 1, 10], np.int64)
    with pytest.raises(SolverError):
        certified.prices(2, i, j, c, np.array([1, 1]), np.array([1, 0]), limit=3)
