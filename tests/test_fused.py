"""The compiled one-pass selection (``scoring.fused``) against brute force over every pair.

For each row: the ``k`` best ``total - price`` (the values, and every kept pair allowed
with its exact total), the bound on the rest (exactly the best value left out), and
each mentor's best rows by total; whatever the split of rows into parts or slices.
Also the certificate's prices kept near a reference (``certified.prices(near=...)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from matching.cohort.settings import Settings
from matching.cohort.validate import load_cohort
from matching.scoring import fused, kernel
from matching.scoring.scores import NO_BOUND
from matching.solvers import certified
from matching.solvers.warm import optimum

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import make_cohort  # noqa: E402

pytest.importorskip("numba")

from matching.scoring._fused_loops import BLOCK  # noqa: E402

BLOCK_ROWS = BLOCK * 3 // 2  # mentees per block of mentors (the cohorts have 2 mentors per 3 mentees)

SETTINGS = [{}, {"require_more_experience": False}, {"allow_same_area": True},
            {"weights": {"preference": 0, "competency": 2.5, "cross_race": -0.5}},
            {"weights": {"competency": 0}}]  # no competency bit sets


def _brute(kern, cohort):
    """Every pair's total (``NO_BOUND`` where not allowed)."""
    n, m = len(cohort.mentees), len(cohort.mentors)
    full = np.full((n, m), NO_BOUND, np.int64)
    for rows in kernel.blocks(np.arange(n), m):
        total, mask = kern.score(rows)
        full[rows] = np.where(mask & (total > kern.cut), total.astype(np.int64), NO_BOUND)
    return full


@hsettings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**16), which=st.integers(0, len(SETTINGS) - 1),
       k=st.integers(1, 6), mk=st.integers(1, 4), parts=st.integers(1, 3), cut=st.integers(0, 60),
       priced=st.booleans(), merge=st.booleans(), pair=st.booleans())
def test_top_pairs_equal_brute_force(n, seed, which, k, mk, parts, cut, priced, merge, pair):
    _check_top_pairs(n, seed, which, k, mk, parts, cut, priced, merge, pair)


@hsettings(max_examples=12, deadline=None)
@given(n=st.integers(4 * BLOCK_ROWS, 6 * BLOCK_ROWS), seed=st.integers(0, 2**16),
       which=st.integers(0, len(SETTINGS) - 1), k=st.integers(1, 6), mk=st.integers(1, 4),
       priced=st.booleans(), pair=st.booleans())
def test_walks_over_many_blocks_equal_brute_force(n, seed, which, k, mk, priced, pair):
    """Enough mentors for several blocks of a walk (``_fused_loops.BLOCK``) on both sides of
    its wrap-around, so that whole blocks are passed over by their maximum."""
    _check_top_pairs(n, seed, which, k, mk, 2, n // 3, priced, False, pair)


def _tables(kern, pair: bool):
    """The compiled layout, with the first two look-ups read as one (``pair``) or not."""
    kept = fused.PAIR_TABLE
    fused.PAIR_TABLE = kept if pair else 0
    try:
        tables = fused.FusedTables(kern)
    finally:
        fused.PAIR_TABLE = kept
    assert (tables.pair[0].size > 0) == (pair and tables.n_looks >= 2)
    return tables


def _check_top_pairs(n, seed, which, k, mk, parts, cut, priced, merge, pair=True):
    e, m, r = make_cohort(n, seed=seed, capacity=(0, 2), n_preferences=3)
    cohort = load_cohort(e, m, relatedness=r)
    kern = kernel.Kernel(cohort, Settings.from_dict(SETTINGS[which]), merge=merge)
    assert fused.supports(kern)  # the built-in criteria and rules run compiled (merged tables or not)
    tables = _tables(kern, pair)
    rng = np.random.default_rng(seed)
    price = rng.integers(0, 3000, len(cohort.mentors)) if priced else None
    heaps = fused.mentor_heaps(tables.m, mk, parts)
    rows = np.arange(len(cohort.mentees))
    got = [fused.top_pairs(tables, part, price, k, heaps=heaps) for part in (rows[:cut], rows[cut:])]
    i, j, total, bound = (np.concatenate([g[f] for g in got]) for f in range(4))
    full = _brute(kern, cohort)
    p = np.zeros(len(cohort.mentors), np.int64) if price is None else price
    assert (full[i, j] == total).all() and (total > NO_BOUND).all()
    for row in rows:
        ok = np.flatnonzero(full[row] > NO_BOUND)
        values = np.sort(full[row, ok] - p[ok])[::-1]
        mine = np.sort(total[i == row] - p[j[i == row]])[::-1]
        assert np.array_equal(mine, values[:k])
        assert bound[row] == (values[k] if len(values) > k else NO_BOUND)
    assert max(g[4] for g in got) == int(full.max(initial=NO_BOUND))
    # each mentor's best rows by total; equal totals: any, but as many as there are
    who, jj, value = fused.mentor_best(heaps)
    assert (full[who, jj] == value).all()
    for mentor in range(len(cohort.mentors)):
        col = np.sort(full[:, mentor][full[:, mentor] > NO_BOUND])[::-1]
        assert np.array_equal(np.sort(value[jj == mentor])[::-1], col[:mk])
        # no pair left out of a mentor's best scores more than its bound
        assert fused.mentor_bound(heaps)[mentor] == (col[mk - 1] if len(col) >= mk else NO_BOUND)


def test_equal_values_are_kept_by_lot_not_by_position():
    """Many mentors equally good for everyone: the kept ones spread over them (by position,
    every mentee would keep the same lowest-numbered mentors and fight over their seats)."""
    e, m, r = make_cohort(200, 150, seed=3, n_preferences=0)
    for column in ("level", "area", "kbu", "gender", "race", "years_experience", "competencies"):
        m[column] = m[column].iloc[0]
    e = e[e["area"] != m["area"].iloc[0]]
    areas = set(e["area"]) | {m["area"].iloc[0]}
    r = r[r["area_a"].isin(areas) & r["area_b"].isin(areas)]
    cohort = load_cohort(e, m, relatedness=r)
    kern = kernel.Kernel(cohort, Settings())
    assert fused.supports(kern)
    i, j, *_ = fused.top_pairs(fused.tables_for(kern), np.arange(len(cohort.mentees)), None, 3)
    assert len(np.unique(j)) > 100


def _graph(seed, n, m):
    rng = np.random.default_rng(seed)
    i, j = np.nonzero(rng.random((n, m)) < 0.5)
    score = rng.integers(0, 20, len(i)).astype(np.int64)
    left = rng.integers(0, 3, m).astype(np.int64)
    prio = rng.integers(1, 3, n).astype(np.int64)
    usable = left[j] > 0
    return i[usable].astype(np.int64), j[usable].astype(np.int64), score[usable], left, prio


@hsettings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), m=st.integers(1, 8), spread=st.integers(0, 40),
       huge=st.booleans())
def test_prices_near_a_reference_prove_the_optimum_and_stay_between_bounds(seed, n, m, spread, huge):
    """Prices near ``near`` are valid (``prices`` checks every arc and complementary
    slackness), at least the lowest prices, at most ``max(lowest, near)`` at full mentors;
    and prices that already prove the optimum come back unchanged."""
    i, j, score, left, prio = _graph(seed, n, m)
    weight = certified.certificate_weight(n, (0, 20))
    mentor_of = optimum(n, m, i, j, score, prio, left, weight)
    c = weight * prio[i] + score
    u0, low, _ = certified.prices(m, i, j, c, left, mentor_of)
    near = np.random.default_rng(seed).integers(0, spread + 1, m) * (10**9 if huge else 1)  # huge: over any pair
    u, v, _ = certified.prices(m, i, j, c, left, mentor_of, near=near)
    seats = left > 0
    assert (v[seats] >= low[seats]).all()
    assert (v[seats] <= np.maximum(low, near)[seats]).all()
    assert u.sum() + (left[seats] * v[seats]).sum() == u0.sum() + (left[seats] * low[seats]).sum()
    _, again, _ = certified.prices(m, i, j, c, left, mentor_of, near=np.where(seats, v, 0))
    assert np.array_equal(again[seats], v[seats])


def _top_in_child(args):
    tables, rows = args
    return fused.top_pairs(tables, rows, None, 3)[1].tolist()


def test_compiled_pass_is_safe_in_threads_and_forked_processes():
    """No numba threading layer: concurrent calls from threads agree with one call, and a
    process forked after a call can call it again (a threading layer such as GNU OpenMP
    is not fork-safe)."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    e, m, r = make_cohort(120, seed=5)
    cohort = load_cohort(e, m, relatedness=r)
    tables = fused.tables_for(kernel.Kernel(cohort, Settings()))
    rows = np.arange(len(cohort.mentees))
    want = fused.top_pairs(tables, rows, None, 3)[1].tolist()
    with ThreadPoolExecutor(4) as pool:
        assert all(got == want for got in pool.map(lambda _: fused.top_pairs(tables, rows, None, 3)[1].tolist(),
                                                   range(8)))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_top_in_child, ((tables, rows),)).get(timeout=120) == want


@hsettings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6 * BLOCK_ROWS), seed=st.integers(0, 2**16), which=st.integers(0, len(SETTINGS) - 1),
       k=st.integers(1, 6), priced=st.booleans(), pair=st.booleans())
def test_scans_within_the_first_mentors_of_an_order_equal_brute_force(n, seed, which, k, priced, pair):
    """``top_pairs(within=...)``: each row scanned over the first ``lens[r]`` mentors of an
    order only (the certificate's scans, see ``certified._prefixes``); pairs and bound cover
    exactly those mentors, whatever the order and lengths."""
    e, m, r = make_cohort(n, seed=seed, capacity=(0, 2), n_preferences=3, collide=True)
    rng = np.random.default_rng(seed)
    bans = pd.DataFrame({"mentee_id": rng.choice(e["id"], 3 * n), "mentor_id": rng.choice(m["id"], 3 * n)})
    cohort = load_cohort(e, m, relatedness=r, exclusions=bans.drop_duplicates())  # and people in both tables
    assert len(cohort.exclusions.j)
    kern = kernel.Kernel(cohort, Settings.from_dict(SETTINGS[which]), merge=False)
    tables = _tables(kern, pair)
    n_m = len(cohort.mentors)
    price = rng.integers(0, 3000, n_m) if priced else np.zeros(n_m, np.int64)
    order = rng.permutation(n_m)
    rows = rng.permutation(len(cohort.mentees))[: max(1, len(cohort.mentees) // 2)]
    lens = rng.integers(0, n_m + 1, len(rows))
    i, j, total, bound, _ = fused.top_pairs(tables, rows, price, k, within=(fused.Ordered(tables, order), lens))
    full = _brute(kern, cohort)
    assert (full[i, j] == total).all() and (total > NO_BOUND).all()
    for at, row in enumerate(rows):
        subset = order[: lens[at]]
        ok = subset[full[row, subset] > NO_BOUND]
        values = np.sort(full[row, ok] - price[ok])[::-1]
        mine = j[i == row]
        assert np.isin(mine, subset).all()
        assert np.array_equal(np.sort(total[i == row] - price[mine])[::-1], values[:k])
        assert bound[at] == (values[k] if len(values) > k else NO_BOUND)
