"""The incrementally kept swap gains (``matching.groups.gains``): equal, entry for entry, to the
gains recomputed from scratch after any sequence of steps; the search that uses them makes the
very same steps as the full re-scoring (oracle: ``kernel.full_step``), holds every size and
constraint and reports the recomputed objective. The target group sizes hold the most pairs
(oracle: enumeration); the two-phase search, alone or as a portfolio of processes, is
reproducible for a number of steps."""

from __future__ import annotations

import itertools
import time

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matching.groups.gains import SwapGains, gain_step
from matching.groups.kernel import State, Units, move_gains, objective, swap_gains
from matching.groups.search import default_tenure, tabu_search
from matching.groups.solve import PORTFOLIO_SEED_STEP, _greedy, _portfolio, _targets, _two_phase


@st.composite
def unit_problems(draw):
    """Random units (some weighted), group size intervals, kept-apart pairs and forbidden cells,
    with a feasible first grouping."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    U, G = draw(st.integers(4, 22)), draw(st.integers(2, 5))
    w = np.where(rng.random(U) < draw(st.sampled_from([0.0, 0.2])), 2, 1)
    W = np.triu(rng.integers(0, 9, (U, U)).astype(float) if draw(st.booleans()) else rng.random((U, U)), 1)
    W = W + W.T
    lo = rng.integers(1, 3, G)
    hi = lo + rng.integers(0, 4, G)
    assume(lo.sum() <= w.sum() <= hi.sum())
    apart = np.zeros((U, U), np.int8)
    for a, b in rng.integers(0, U, (draw(st.integers(0, U)), 2)):
        if a != b:
            apart[a, b] = apart[b, a] = 1
    forbid = rng.random((U, G)) < draw(st.sampled_from([0.0, 0.1]))
    p = Units(W=W, w=w, lo=lo, hi=hi, apart=apart, forbid=forbid)
    start = _greedy(p)
    assume(start is not None)
    return p, start, seed


def _holds(p: Units, assign: np.ndarray) -> bool:
    size = np.bincount(assign, weights=p.w, minlength=len(p.lo))
    same = assign[:, None] == assign[None, :]
    return bool((size >= p.lo).all() and (size <= p.hi).all() and not (p.apart.astype(bool) & same).any()
                and not p.forbid[np.arange(len(assign)), assign].any())


@settings(max_examples=60, deadline=None)
@given(unit_problems(), st.integers(1, 80))
def test_kept_gains_equal_recomputed_gains_after_every_step(case, steps):
    p, start, seed = case
    rng = np.random.default_rng(seed)
    s = State(p, start)
    tabu = np.zeros((len(start), len(p.lo)), np.int64)
    sw = SwapGains(p, s, tabu > 0)
    tenure, uniform = default_tenure(len(start), True), bool((p.w == 1).all())
    for it in range(1, steps + 1):
        if not gain_step(p, s, sw, rng, it, tabu, tenure, s.value):
            break
        banned = tabu > it + 1
        sw.refresh(p, s, banned, np.flatnonzero((tabu == it + 1).any(1)))
        fresh = SwapGains(p, s, banned)
        np.testing.assert_array_equal(sw.D, fresh.D)
        np.testing.assert_array_equal(sw.F, fresh.F)
        cur = s.S[np.arange(len(s.a)), s.a]
        np.testing.assert_array_equal(sw.D, swap_gains(p, s, cur, uniform))   # the full re-scoring's gains
        assert np.isclose(s.value, objective(p.W, s.a))                       # gains add up to the objective
        assert _holds(p, s.a)


@settings(max_examples=60, deadline=None)
@given(unit_problems(), st.booleans(), st.integers(1, 120), st.sampled_from(["best", "round"]))
def test_incremental_search_makes_the_same_steps_as_full_rescoring(case, perturb, iterations, restart):
    p, start, seed = case
    kw = {"seed": seed % 1000, "max_iterations": iterations, "time_limit": 60, "perturb": perturb, "stall": 15,
          "restart": restart}
    fast, full = tabu_search(p, start, incremental=True, **kw), tabu_search(p, start, incremental=False, **kw)
    np.testing.assert_array_equal(fast.assign, full.assign)
    assert fast.objective == full.objective and fast.iterations == full.iterations
    assert _holds(p, fast.assign) and fast.objective >= objective(p.W, start) - 1e-9
    assert fast.objective == objective(p.W, fast.assign)


def test_a_swap_inside_a_group_is_never_offered():
    W = np.ones((4, 4)) - np.eye(4)
    p = Units(W, np.ones(4, int), np.array([2, 2]), np.array([2, 2]), np.zeros((4, 4), np.int8),
              np.zeros((4, 2), bool))
    s = State(p, np.array([0, 0, 1, 1]))
    sw = SwapGains(p, s, np.zeros((4, 2), bool))
    assert np.isneginf(sw.D[[0, 1, 2, 3], [1, 0, 3, 2]]).all() and np.isneginf(np.diag(sw.D)).all()
    assert (sw.D[0, 2:] == 0).all()                      # all pairs cost the same: swaps gain 0
    assert np.isneginf(move_gains(p, s, s.S[np.arange(4), s.a])).all()   # sizes are fixed: no move


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 4)), min_size=1, max_size=5), st.integers(0, 40))
def test_target_sizes_hold_the_most_pairs_oracle_enumeration(bounds, extra):
    lo = np.array([b[0] for b in bounds])
    hi = lo + np.array([b[1] for b in bounds])
    n = int(min(lo.sum() + extra, hi.sum()))
    sizes = _targets(lo, hi, n)
    assert sizes.sum() == n and (sizes >= lo).all() and (sizes <= hi).all()
    pairs = (sizes * (sizes - 1) // 2).sum()
    best = max(sum(s * (s - 1) // 2 for s in combo)
               for combo in itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi)]) if sum(combo) == n)
    assert pairs == best


@settings(max_examples=40, deadline=None)
@given(unit_problems(), st.integers(1, 150))
def test_two_phase_search_is_reproducible_keeps_constraints_and_counts_its_steps(case, iterations):
    p, start, seed = case
    a = _two_phase(p, start, time.perf_counter() + 60, seed % 1000, iterations)
    b = _two_phase(p, start, time.perf_counter() + 60, seed % 1000, iterations)
    np.testing.assert_array_equal(a.assign, b.assign)
    assert a.objective == b.objective == objective(p.W, a.assign) >= objective(p.W, start) - 1e-9
    assert a.iterations <= iterations and _holds(p, a.assign)


def test_a_walk_gives_up_once_stalled_as_long_as_it_took():
    W = np.ones((6, 6)) - np.eye(6)                      # every grouping is as good: nothing improves
    p = Units(W, np.ones(6, int), np.array([3, 3]), np.array([3, 3]), np.zeros((6, 6), np.int8),
              np.zeros((6, 2), bool))
    r = tabu_search(p, np.array([0, 0, 0, 1, 1, 1]), max_iterations=1000, perturb=False, give_up=True, stall=7)
    assert r.iterations == 7
    assert tabu_search(p, np.array([0, 0, 0, 1, 1, 1]), max_iterations=1000, perturb=False).iterations == 1000


def test_a_portfolio_keeps_the_best_of_its_runs_and_is_reproducible():
    rng = np.random.default_rng(5)
    U, G = 40, 5
    W = np.triu(rng.random((U, U)), 1)
    p = Units(W=W + W.T, w=np.ones(U, int), lo=np.full(G, 7), hi=np.full(G, 9), apart=np.zeros((U, U), np.int8),
              forbid=np.zeros((U, G), bool))
    start = _greedy(p)
    runs = [_two_phase(p, start, time.perf_counter() + 60, 3 + k * PORTFOLIO_SEED_STEP, 300) for k in range(3)]
    a = _portfolio(p, start, time.perf_counter() + 60, 3, 300, 3)
    b = _portfolio(p, start, time.perf_counter() + 60, 3, 300, 3)
    np.testing.assert_array_equal(a.assign, b.assign)
    best = max(range(3), key=lambda k: (runs[k].objective, -k))
    np.testing.assert_array_equal(a.assign, runs[best].assign)
    assert a.objective == max(r.objective for r in runs) and a.iterations == sum(r.iterations for r in runs)
    single = _portfolio(p, start, time.perf_counter() + 60, 3, 300, 1)
    np.testing.assert_array_equal(single.assign, runs[0].assign)
