"""Pieces of the certified solve's rounds, each against a plain oracle.

The mentors' best mentees are merged in batches (equal to one sort of every offer); a
round may re-solve warm from the last optimum and its prices (successive shortest paths),
and that answer is proved optimal and equal to the cold solve's; a suboptimal answer is
refused by the proof.
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
from matching.solvers import augment
from matching.solvers.warm import optimum


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


@hsettings(max_examples=160, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), m=st.integers(1, 8), share=st.floats(0.0, 1.0))
def test_warm_repair_equals_cold_solve_and_is_proved(seed, n, m, share):
    """From the optimum without some arcs and its prices, the repair is optimal on them all
    (the cold OR-Tools solve is the oracle; the prices re-derived from scratch prove it)."""
    i, j, score, left, prio = _graph(seed, n, m)
    usable = left[j] > 0
    i, j, score = i[usable], j[usable], score[usable]
    weight = certified.certificate_weight(n, (0, 20))
    old = np.random.default_rng(seed + 1).random(len(i)) < share
    before = optimum(n, m, i[old], j[old], score[old], prio, left, weight)
    c = weight * prio[i] + score
    u, v, _ = certified.prices(m, i[old], j[old], c[old], left, before)
    warm = augment.repair(n, m, i, j, score, prio, left, weight, before, u - weight * prio, v)
    cold = optimum(n, m, i, j, score, prio, left, weight)
    certified.prices(m, i, j, c, left, warm)  # raises unless proved optimal
    assert _objective(warm, i, j, score, prio) == _objective(cold, i, j, score, prio)
    chosen = warm >= 0
    assert (np.bincount(warm[chosen], minlength=m) <= left).all()
    assert set(zip(np.flatnonzero(chosen).tolist(), warm[chosen].tolist())) <= set(zip(i.tolist(), j.tolist()))


def test_warm_repair_gives_up_past_its_budget():
    i, j, score, left, prio = _graph(3, 10, 6)
    usable = left[j] > 0
    i, j, score = i[usable], j[usable], score[usable]
    n, m, weight = 10, 6, certified.certificate_weight(10, (0, 20))
    none = np.full(n, -1, np.int64)
    slack, v = -weight * prio, np.zeros(m, np.int64)  # the empty graph's optimum and prices
    assert augment.repair(n, m, i, j, score, prio, left, weight, none, slack, v, budget=0) is None
    assert augment.repair(n, m, i, j, score, prio, left, weight, none, slack, v, budget=-1) is None
    got = augment.repair(n, m, i, j, score, prio, left, weight, none, slack, v)
    cold = optimum(n, m, i, j, score, prio, left, weight)
    assert _objective(got, i, j, score, prio) == _objective(cold, i, j, score, prio)


def test_proof_step_limit_refuses_rather_than_loops():
    """A negative cycle (a better assignment exists) is refused within the step limit."""
    i, j = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    c = np.array([10, 1, 1, 10], np.int64)
    with pytest.raises(SolverError):
        certified.prices(2, i, j, c, np.array([1, 1]), np.array([1, 0]), limit=3)


@hsettings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-2**62, 2**62), max_size=40), narrow=st.booleans())
def test_sorted_unique_equals_numpy_unique(values, narrow):
    """``matching._numeric.unique`` (sorting; counting for a small range) is ``np.unique``."""
    from matching._numeric import unique

    a = np.array(values, np.int64) % 50 if narrow else np.array(values, np.int64)
    assert unique(a).tolist() == np.unique(a).tolist()
    assert unique(a).dtype == a.dtype


@hsettings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), share=st.floats(0.0, 1.0))
def test_candidates_grown_by_pairs_equal_a_fresh_scoring(seed, share):
    """Regression: growing a sparse candidate set (binary search, score only what is new,
    merge in place) gives the pairs sorted, each once, scored as ``score_pairs`` does."""
    from matching import Settings
    from matching.cohort.validate import load_cohort
    from matching.review.solve import _with_pairs
    from matching.scoring.scores import score_pairs
    from matching.scoring.sparse import build_candidates

    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import make_cohort

    e, m, r = make_cohort(30, 20, seed=seed)
    cohort, s = load_cohort(e, m, relatedness=r), Settings()
    full = build_candidates(cohort, s)
    sparse = build_candidates(cohort, s, limit=0, k=2)
    pick = np.random.default_rng(seed).random(len(full)) < share
    grown = _with_pairs(cohort, s, sparse, np.concatenate([full.i[pick], full.i[pick]]),
                        np.concatenate([full.j[pick], full.j[pick]]))
    keys = grown.i * 20 + grown.j
    assert (np.diff(keys) > 0).all()
    want = set(zip(sparse.i.tolist(), sparse.j.tolist())) | set(zip(full.i[pick].tolist(), full.j[pick].tolist()))
    assert set(zip(grown.i.tolist(), grown.j.tolist())) == want
    assert grown.parts is None  # a sparse set keeps totals only
    assert np.array_equal(grown.total, score_pairs(cohort, s, grown.i, grown.j).sum(axis=1))
    dense = _with_pairs(cohort, s, full.subset(~pick), full.i[pick], full.j[pick])  # a set with parts keeps them
    assert np.array_equal(dense.i, full.i) and np.array_equal(dense.j, full.j)
    assert np.array_equal(dense.parts, full.parts) and np.array_equal(dense.total, full.total)


@hsettings(max_examples=30, deadline=None)
@given(size=st.integers(1, 12), data=st.data())
def test_compiled_adjacency_equals_a_stable_sort(size, data):
    """The warm repair's adjacency (a counting sort) lists each node's arcs as a stable sort
    of the arcs' ends does: leaving arcs first, each group in arc order."""
    from matching.solvers._ssp import adjacency

    n_arcs = data.draw(st.integers(0, 40))
    tail = np.array(data.draw(st.lists(st.integers(0, size - 1), min_size=n_arcs, max_size=n_arcs)), np.int64)
    head = np.array(data.draw(st.lists(st.integers(0, size - 1), min_size=n_arcs, max_size=n_arcs)), np.int64)
    ends = np.concatenate([tail, head])
    order = np.argsort(ends, kind="stable")
    want = (np.searchsorted(ends[order], np.arange(size + 1)), np.concatenate([np.arange(n_arcs)] * 2)[order],
            np.concatenate([np.ones(n_arcs, np.int64), -np.ones(n_arcs, np.int64)])[order],
            np.concatenate([head, tail])[order])
    for got, expected in zip(adjacency(tail, head, size), want):
        assert np.array_equal(got, expected)
