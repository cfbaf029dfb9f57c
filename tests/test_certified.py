"""The sparse candidate set with its certificate of optimality finds the full problem's optimum.

Large cohorts are solved on each mentee's best mentors only, and the solver proves
(LP duality, every allowed pair checked) that no pair left out could do better. Here the
sparse path is forced on small cohorts with very few candidates per mentee, so the
certificate has to find and add real violations, and its answer is compared with the
complete candidate set and with an independent dense solve (scipy's Hungarian method).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import matching
from matching.scoring import fused, kernel
from matching.scoring import scores as scoring
from matching.api import solve_cohort
from matching.errors import SolverError
from matching.review.result import PRIORITY_RESOLUTION
from matching.scoring.rules import Pairs, allowed
from matching.scoring.scores import NO_BOUND
from matching.scoring.sparse import build_candidates
from matching.cohort.settings import Settings
from matching.solvers import certified
from matching.cohort.validate import load_cohort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import make_cohort  # noqa: E402

scipy_optimize = pytest.importorskip("scipy.optimize")

SETTINGS = [{}, {"require_more_experience": False}, {"allow_same_area": True}, {"require_cross_kbu": True},
            {"max_level_gap": 3, "kbu_relatedness": 0.7},
            {"weights": {"preference": 0, "competency": 2.5, "cross_race": -0.5}}]


@contextlib.contextmanager
def forced_sparse(k: int, mentor_k: int = 1, *, local: float | None = None, keep: int | None = None,
                  join: int | None = None):
    """Solve every cohort on a sparse candidate set of about ``k`` mentors per mentee (the
    certificate's scan also returns ``k``), optionally re-solving rounds warm more often
    (``local``: 0.0 never, 1.0 always) and pruning the flow graph harder (``keep``)."""
    names = ("LOCAL", "WARM_MIN", "KEEP", "JOIN")
    saved = (scoring.FULL_LIMIT, scoring.TOP_K, scoring.MENTOR_K, scoring.SCAN_K), \
        {name: getattr(certified, name) for name in names}
    scoring.FULL_LIMIT, scoring.TOP_K, scoring.MENTOR_K, scoring.SCAN_K = 0, k, mentor_k, k
    if local is not None:
        certified.LOCAL, certified.WARM_MIN = local, (0 if local == 0.0 else certified.WARM_MIN)
    certified.KEEP = certified.KEEP if keep is None else keep
    certified.JOIN = certified.JOIN if join is None else join
    try:
        yield
    finally:
        scoring.FULL_LIMIT, scoring.TOP_K, scoring.MENTOR_K, scoring.SCAN_K = saved[0]
        for name, value in saved[1].items():
            setattr(certified, name, value)


def cohort_of(n, seed, *, ratio=0.67, capacity=(1, 2), collide=False, n_preferences=5, **kw):
    e, m, r = make_cohort(n, max(1, round(n * ratio)), seed=seed, capacity=capacity, collide=collide,
                          n_preferences=n_preferences)
    return load_cohort(e, m, relatedness=r, **kw)


def dense_optimum(cohort, settings) -> tuple[int, int]:
    """(matched priority, score) in units by scipy's dense Hungarian method over seats (pins honoured)."""
    cands = build_candidates(cohort, settings)
    pins = cohort.pins
    fixed = np.zeros(len(cohort.mentees), bool)
    fixed[pins.i] = True
    left = cohort.mentors.capacity - np.bincount(pins.j, minlength=len(cohort.mentors))
    prio = np.rint(cohort.mentees.priority * PRIORITY_RESOLUTION).astype(np.int64)
    pin_score = int(scoring.score_pairs(cohort, settings, pins.i, pins.j).sum())
    keep = ~fixed[cands.i] & (left[cands.j] > 0)
    i, j, total = cands.i[keep], cands.j[keep], cands.total[keep]
    seat_of = np.repeat(np.arange(len(left)), np.maximum(left, 0))
    if not len(i) or not len(seat_of):
        return int(prio[pins.i].sum()), pin_score
    weight = 1 + len(cohort.mentees) * (max(0, int(total.max())) - min(0, int(total.min())))
    profit = np.zeros((len(cohort.mentees), len(cohort.mentors)))
    profit[i, j] = weight * prio[i] + total
    rows, cols = scipy_optimize.linear_sum_assignment(profit[:, seat_of], maximize=True)
    value = profit[rows, seat_of[cols]]
    got = value > 0
    return (int(prio[rows[got]].sum() + prio[pins.i].sum()),
            int(round((value[got] - weight * prio[rows[got]]).sum())) + pin_score)


def check_valid(result, cohort, settings) -> None:
    """Every pair allowed, no mentor over capacity, pins kept."""
    full = build_candidates(cohort, settings)
    keys = set(zip(full.i.tolist(), full.j.tolist()))
    mentor_of = result.assignment.mentor_of
    i = np.flatnonzero(mentor_of >= 0)
    pinned = set(zip(cohort.pins.i.tolist(), cohort.pins.j.tolist()))
    assert all((a, b) in keys or (a, b) in pinned for a, b in zip(i.tolist(), mentor_of[i].tolist()))
    assert (np.bincount(mentor_of[i], minlength=len(cohort.mentors)) <= cohort.mentors.capacity).all()
    assert all(mentor_of[a] == b for a, b in pinned)


def objective(result) -> tuple[int, int]:
    return result.assignment.matched_priority, result.assignment.score


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 60), seed=st.integers(0, 2**16), ratio=st.sampled_from([0.3, 0.67, 1.2]),
       capacity=st.sampled_from([(1, 2), (0, 2), (1, 1), (2, 3)]), collide=st.booleans(),
       k=st.integers(1, 3), mentor_k=st.integers(1, 2), which=st.integers(0, len(SETTINGS) - 1),
       local=st.sampled_from([0.0, 0.05, 1.0]), keep=st.sampled_from([1, 10, 10**6]),
       join=st.sampled_from([1, 20, 10**6]))
def test_sparse_certified_equals_dense(n, seed, ratio, capacity, collide, k, mentor_k, which, local, keep, join):
    """However often rounds re-solve warm (1.0: always), however hard the flow graph is pruned
    (``keep`` 10**6: every arc not tight and not chosen leaves it), and whichever found pairs
    join the graph at once (``join`` 1: all; 10**6: those breaking a price), the certified
    optimum is the dense one."""
    cohort = cohort_of(n, seed, ratio=ratio, capacity=capacity, collide=collide)
    s = Settings.from_dict(SETTINGS[which])
    full = solve_cohort(cohort, s)
    assert full.candidates.complete
    with forced_sparse(k, mentor_k, local=local, keep=keep, join=join):
        sparse = solve_cohort(cohort, s)
    assert objective(sparse) == objective(full) == dense_optimum(cohort, s)
    if sparse.candidates.complete:  # nothing allowed at all: the complete table is empty
        assert len(full.candidates) == 0
        return
    cert = sparse.info.extra["certificate"]
    assert cert["certified"] and sparse.info.status == "OPTIMAL"
    assert cert["primal_objective"] == cert["dual_objective"]
    assert cert["arcs"] <= cert["allowed_pairs"] == len(full.candidates)
    check_valid(sparse, cohort, s)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_colliding_choices_need_certificate_rounds(seed):
    """Everyone's favourites are the same three mentors: one mentor per mentee cannot be enough."""
    cohort = cohort_of(80, seed, collide=True)
    s = Settings()
    with forced_sparse(1, 1):
        sparse = solve_cohort(cohort, s)
    cert = sparse.info.extra["certificate"]
    assert cert["rounds"] >= 2 and sum(r["violations"] for r in cert["detail"]) > 0
    assert len(sparse.candidates) > 0 and objective(sparse) == dense_optimum(cohort, s)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_path_with_a_user_criterion_keeps_the_numpy_selection(seed):
    """A user criterion (a function) is not compiled: the numpy selection runs, and the
    certified optimum is still the dense one."""
    from matching.scoring import fused

    e, m, r = make_cohort(50, 30, seed=seed, collide=True)
    senior = {"senior": lambda a, b: (b.level[None, :] - a.level[:, None]) / 7.0}
    cohort = load_cohort(e, m, relatedness=r, extra_criteria=senior)
    s = Settings()
    assert not fused.supports(kernel.kernel_for(cohort, s))
    with forced_sparse(2, 1):
        sparse = solve_cohort(cohort, s)
    assert sparse.info.extra["certificate"]["certified"]
    assert objective(sparse) == objective(solve_cohort(cohort, s)) == dense_optimum(cohort, s)
    check_valid(sparse, cohort, s)


def test_numpy_sparse_path_builds_each_kernel_once(monkeypatch):
    """Regression: with a user criterion the sparse path asks for the unmerged kernel, finds
    the compiled pass cannot read it and takes the merged one; with one cache slot for both
    the two evicted each other and every certificate round rebuilt both."""
    e, m, r = make_cohort(60, 40, seed=3, collide=True)
    senior = {"senior": lambda a, b: (b.level[None, :] - a.level[:, None]) / 7.0}
    cohort = load_cohort(e, m, relatedness=r, extra_criteria=senior)
    built = []
    real = kernel.Kernel.__init__
    monkeypatch.setattr(kernel.Kernel, "__init__", lambda self, *a, **kw: (built.append(kw), real(self, *a, **kw))[1])
    with forced_sparse(2, 1):
        result = solve_cohort(cohort, Settings())
    assert result.info.extra["certificate"]["rounds"] >= 2
    assert sorted(kw.get("merge", True) for kw in built) == [False, True]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_quick_weight_that_trades_priority_for_score_falls_back_to_the_full_weight(seed, monkeypatch, caplog):
    """A cold solve weighs priority lightly first; with no weight at all (``QUICK = 0``) its
    answer trades priority for score, the full-weight prices refuse it, and the full
    weight is used: the answer is still the dense lexicographic optimum."""
    e, m, r = make_cohort(60, 40, seed=seed, collide=True)
    e["priority"] = np.where(np.arange(len(e)) % 3 == 0, 3, 1)
    cohort = load_cohort(e, m, relatedness=r)
    s = Settings()
    monkeypatch.setattr(certified, "QUICK", 0)
    with caplog.at_level("DEBUG", logger="matching.solvers.certified"), forced_sparse(2, 1):
        sparse = solve_cohort(cohort, s)
    assert objective(sparse) == dense_optimum(cohort, s)
    assert "small priority weight is not proved optimal" in caplog.text


@pytest.mark.parametrize("local, keep", [(None, None), (1.0, 10**6), (1.0, 1)])
def test_sparse_path_with_pins_and_exclusions(local, keep):
    """Pins and exclusions hold on the sparse path, with rounds repaired warm (``local`` 1.0)
    and the flow graph pruned hard (``keep`` 10**6) or not at all (1)."""
    e, m, r = make_cohort(50, 30, seed=7, collide=True)
    base = matching.match(e, m, relatedness=r)
    pins = base.pairs[["mentee_id", "mentor_id"]].iloc[[0, 5, 9]]
    bans = base.pairs[["mentee_id", "mentor_id"]].iloc[[1, 2, 3]]
    cohort = load_cohort(e, m, relatedness=r, pins=pins, exclusions=bans)
    s = Settings()
    full = solve_cohort(cohort, s)
    with forced_sparse(1, 1, local=local, keep=keep):
        sparse = solve_cohort(cohort, s)
    assert objective(sparse) == objective(full) == dense_optimum(cohort, s)
    check_valid(sparse, cohort, s)


@hsettings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**16), which=st.integers(0, len(SETTINGS) - 1),
       k=st.integers(1, 4))
def test_sparse_bound_covers_every_pair_left_out(n, seed, which, k):
    cohort = cohort_of(n, seed, capacity=(0, 2))
    s = Settings.from_dict(SETTINGS[which])
    full = build_candidates(cohort, s)
    sparse = build_candidates(cohort, s, limit=0, k=k)
    assert sparse.complete == (len(full) == 0) and sparse.n_allowed == len(full)
    assert np.array_equal(sparse.allowed_per_mentee, np.bincount(full.i, minlength=len(cohort.mentees)))
    assert np.array_equal(sparse.allowed_per_mentor, np.bincount(full.j, minlength=len(cohort.mentors)))
    listed = set(zip(sparse.i.tolist(), sparse.j.tolist()))
    assert listed <= set(zip(full.i.tolist(), full.j.tolist()))
    if not sparse.complete:  # parts are left to the pairs a result shows; totals are the definitions'
        assert sparse.parts is None
        assert np.array_equal(scoring.score_pairs(cohort, s, sparse.i, sparse.j).sum(axis=1), sparse.total)
    for i, j, total in zip(full.i.tolist(), full.j.tolist(), full.total.tolist()):
        if (i, j) not in listed:
            assert sparse.bound[i] != NO_BOUND and total <= sparse.bound[i]
    lo, hi = sparse.score_range
    assert lo <= full.total.min(initial=0) and hi >= full.total.max(initial=0)


def _definition(cohort, s):
    """Allowed pairs and parts straight from the rules' and criteria's definitions."""
    p = Pairs.block(cohort, s, 0, len(cohort.mentees))
    rr, cc = np.nonzero(allowed(p))
    return rr, cc, scoring._weighted_parts(p, scoring.criterion_names(cohort))[:, rr, cc].T


@hsettings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**16), which=st.integers(0, len(SETTINGS) - 1),
       extra=st.booleans())
def test_table_kernel_matches_definitions(n, seed, which, extra):
    e, m, r = make_cohort(n, seed=seed, capacity=(0, 2))
    kw = {}
    if extra:  # user criteria take the generic path: a table and a function
        table = e[["id"]].rename(columns={"id": "mentee_id"}).assign(mentor_id=m["id"].iloc[0], score=0.25)
        kw["extra_criteria"] = {"listed": table, "senior": lambda a, b: (b.level[None, :] - a.level[:, None]) / 7.0}
    cohort = load_cohort(e, m, relatedness=r, **kw)
    s = Settings.from_dict(SETTINGS[which])
    rr, cc, parts = _definition(cohort, s)
    full = build_candidates(cohort, s)
    assert np.array_equal(full.i, rr) and np.array_equal(full.j, cc)
    assert np.array_equal(full.total, parts.sum(axis=1))
    for merge in (True, False):  # merged tables (numpy path) or as built (compiled path's layout)
        kern = kernel.kernel_for(cohort, s, merge=merge)
        total, mask = kern.score(np.arange(len(cohort.mentees)))
        ok = mask & (total > kern.cut)
        assert np.array_equal(np.argwhere(ok), np.stack([rr, cc], axis=1).reshape(-1, 2))
        assert np.array_equal(total[rr, cc], parts.sum(axis=1))
    lean = kernel.kernel_for(cohort, s, merge=False)
    if fused.supports(lean):  # the compiled pass on the unmerged tables: every allowed pair, exactly
        got = fused.top_pairs(fused.tables_for(lean), np.arange(len(cohort.mentees)), None, len(cohort.mentors))
        assert np.array_equal(got[0], rr) and np.array_equal(got[1], cc)
        assert np.array_equal(got[2], parts.sum(axis=1))


def test_strategy_cohorts_sparse_equals_full():
    """Cohorts with people in both tables, exclusions, pins and missing values (tests/strategies.py)."""
    strategies = pytest.importorskip("strategies")

    @hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=strategies.cohorts(min_mentees=1, max_mentees=10, min_mentors=1, max_mentors=8, with_pins=True))
    def check(data):
        cohort = load_cohort(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                             exclusions=data["exclusions"], pins=data["pins"])
        s = Settings()
        try:
            full = solve_cohort(cohort, s)
        except matching.PinError:
            return
        with forced_sparse(1, 1):
            sparse = solve_cohort(cohort, s)
        assert objective(sparse) == objective(full) == dense_optimum(cohort, s)

    check()


def test_candidates_function_stays_complete():
    data = matching.load_example()
    with forced_sparse(1, 1):
        table = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
        result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    assert len(table) == result.candidates.n_allowed > len(result.candidates)
    assert not result.candidates.complete
    assert result.summary["pairs"] == matching.match(data["mentees"], data["mentors"],
                                                      relatedness=data["relatedness"]).summary["pairs"]


def test_prices_reject_a_suboptimal_assignment():
    """The certificate is a proof: prices for a non-optimal assignment cannot be built."""
    # two mentees, two mentors: the optimum is the diagonal (10 + 10), not the cross (1 + 1)
    i, j = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    c = np.array([10, 1, 1, 10], np.int64)
    left = np.array([1, 1])
    u, v, _ = certified.prices(2, i, j, c, left, np.array([0, 1]))
    assert (u[i] + v[j] >= c).all()
    with pytest.raises(SolverError):
        certified.prices(2, i, j, c, left, np.array([1, 0]))
