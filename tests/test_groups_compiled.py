"""The compiled tabu search (``matching.groups.compiled``): every size and constraint holds after
any number of steps, its kept sums and value equal those recomputed from scratch with numpy
(``kernel.State``, ``kernel.objective``), a step makes the best admissible move or swap (oracle:
``kernel.move_gains`` / ``kernel.swap_gains`` with the tabu and aspiration rule of
``kernel.full_step``, by brute force), and a run is a function of (input, seed, steps) whatever
the blocks it runs in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_groups_gains import _holds, unit_problems

from matching.groups import _tabu_loops as L
from matching.groups.compiled import compiled_search, walk
from matching.groups.kernel import State, Units, move_gains, objective, swap_gains

SEARCHES = st.fixed_dictionaries({"perturb": st.booleans(), "restart": st.sampled_from(["best", "round"]),
                                  "stall": st.integers(1, 30), "give_up": st.booleans(),
                                  "tenure": st.sampled_from([None, (0, 0), (1, 3)])})


def _state_is_exact(p: Units, s) -> None:
    ref = State(p, s.a)
    np.testing.assert_allclose(s.St, ref.S.T, atol=1e-8)
    np.testing.assert_array_equal(s.Kt, ref.K.T)
    np.testing.assert_array_equal(s.size, ref.size)
    assert s.fl[0] == pytest.approx(objective(p.W, s.a), abs=1e-7)
    assert s.fl[1] == pytest.approx(objective(p.W, s.best_a), abs=1e-7)


@settings(max_examples=80, deadline=None)
@given(unit_problems(), st.integers(1, 300), SEARCHES)
def test_every_constraint_holds_and_the_kept_sums_and_values_are_exact(case, steps, kw):
    p, start, seed = case
    s = walk(p, start, seed=seed, max_iterations=steps, time_limit=60, **kw)
    assert _holds(p, s.a) and _holds(p, s.best_a)
    _state_is_exact(p, s)
    assert s.fl[1] >= objective(p.W, start) - 1e-9 and s.ints[0] <= steps
    assert s.status in (L.RAN, L.STUCK, L.GAVE_UP) and (s.status != L.RAN or s.ints[0] == steps)


@settings(max_examples=40, deadline=None)
@given(unit_problems(), st.integers(1, 200), SEARCHES, st.integers(1, 9))
def test_the_same_steps_whatever_the_blocks_and_run_to_run(case, steps, kw, block):
    p, start, seed = case
    runs = [walk(p, start, seed=seed, max_iterations=steps, time_limit=60, block=b, **kw) for b in (block, None, None)]
    for r in runs[1:]:
        for name in ("a", "best_a", "tabu", "ints", "fl", "rs"):
            np.testing.assert_array_equal(getattr(r, name), getattr(runs[0], name))


def _oracle_gain(p: Units, a: np.ndarray, tabu: np.ndarray, it: int, best_v: float) -> float:
    """The best admissible gain by brute force, with the rule of :func:`kernel.full_step`."""
    st_ = State(p, a)
    cur = st_.S[np.arange(len(a)), a]
    mg, sg = move_gains(p, st_, cur), swap_gains(p, st_, cur, bool((p.w == 1).all()))
    aspire = best_v - st_.value + 1e-9
    banned = tabu > it
    mg[banned & (mg <= aspire)] = -np.inf
    t_swap = banned[:, a] | banned[:, a].T
    sg[t_swap & (sg <= aspire)] = -np.inf
    return max(mg.max(initial=-np.inf), sg.max(initial=-np.inf))


@settings(max_examples=80, deadline=None)
@given(unit_problems(), st.integers(0, 40), st.integers(0, 4), st.floats(-3, 3))
def test_a_step_makes_the_best_admissible_move_or_swap_oracle_brute_force(case, walked, tabu_max, above):
    p, start, seed = case
    s = walk(p, start, seed=seed, max_iterations=walked, perturb=False, time_limit=60)    # somewhere on a walk
    rng = np.random.default_rng(seed)
    tabu = rng.integers(0, tabu_max + 1, s.tabu.shape).astype(np.int64)   # tabu where > 1 (it = 1)
    value = objective(p.W, s.a)
    best_v = value + max(above, 0.0)                # aspiration: a tabu step must beat best_v
    expected = _oracle_gain(p, s.a, tabu, 1, best_v)
    a, St, Kt, size = s.a.copy(), s.St.copy(), s.Kt.copy(), s.size.copy()
    W, W2, w, lo, hi, apart, _ = s.prob
    gain = L._step(W, W2, w, lo, hi, apart, s.cfg, a, St, Kt, size, tabu.copy(), 1, value, best_v,
                   np.empty(len(a)), np.empty(St.shape), s.rs)
    if expected == -np.inf:
        assert np.isnan(gain)
        return
    assert gain == pytest.approx(expected, abs=1e-7)
    assert objective(p.W, a) == pytest.approx(value + gain, abs=1e-7) and _holds(p, a)
    moved = np.flatnonzero(a != s.a)
    assert 1 <= len(moved) <= 2 and not (tabu[moved, a[moved]] > 1).any() or gain > best_v - value


def test_no_tabu_and_no_ties_a_walk_is_steepest_ascent():
    rng = np.random.default_rng(2)
    U, G = 30, 3
    W = np.triu(rng.random((U, U)), 1)
    p = Units(W=W + W.T, w=np.ones(U, int), lo=np.full(G, 8), hi=np.full(G, 12),
              apart=np.zeros((U, U), np.int8), forbid=np.zeros((U, G), bool))
    a = np.repeat(np.arange(G), U // G)
    for k in range(1, 15):
        s = walk(p, a, max_iterations=k, perturb=False, tenure=(0, 0), time_limit=60)
        before = walk(p, a, max_iterations=k - 1, perturb=False, tenure=(0, 0), time_limit=60)
        expected = _oracle_gain(p, before.a, np.zeros((U, G), np.int64), k, -np.inf)
        assert s.fl[0] - before.fl[0] == pytest.approx(expected, abs=1e-9)


def test_target_constant_and_give_up():
    W = np.ones((6, 6)) - np.eye(6)                      # every grouping is as good: nothing improves
    p = Units(W, np.ones(6, int), np.array([3, 3]), np.array([3, 3]), np.zeros((6, 6), np.int8),
              np.zeros((6, 2), bool), constant=5.0)
    start = np.array([0, 0, 0, 1, 1, 1])
    assert compiled_search(p, start, max_iterations=1000, perturb=False, give_up=True, stall=7).iterations == 7
    assert compiled_search(p, start, max_iterations=1000, perturb=False).iterations == 1000
    r = compiled_search(p, start, max_iterations=1000, target=11.0)
    assert r.iterations == 0 and r.objective == 11.0               # 6 pairs + the constant: reached at once
    with pytest.raises(ValueError, match="restart"):
        compiled_search(p, start, restart="nowhere")
