"""Hard rank lag through the Lagrangian bound and reduced-cost fixing (issue 19), checked
against independent models: brute force over every matching (tiny cohorts) and the full
CP-SAT model without the relaxation (small cohorts)."""

import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings, strategies as st

import matching
from matching.cohort.goals import evaluate_goals, parse_goals
from matching.cohort.settings import Settings
from matching.cohort.validate import load_cohort
from matching.review.solve import make_problem
from matching.scoring.scores import RESOLUTION
from matching.scoring.sparse import build_candidates
from matching.solvers import cpsat
from matching.solvers.flow import solve_flow
from matching.solvers.lagrange import Lagrangian, goal_terms, lagrangian_fits, minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate  # noqa: E402

LAGS = st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0])
BY = st.sampled_from([["kbu"], ["gender"], ["kbu", "race"]])


def _setup(n, seed, lag, by, extra=None):
    e, m, r = generate.make_cohort(n, seed=seed, capacity=(1, 2))
    raw = {"targets": {"max_rank_lag": {"max": lag, "by": by}, **(extra or {})}, "min_group_size": 2,
           "time_limit": 20, "workers": 1}
    s = Settings.coerce(raw)
    cohort = load_cohort(e, m, relatedness=r)
    cands = build_candidates(cohort, s)
    return (e, m, r, raw), s, cohort, cands, make_problem(cohort, s, cands)


def _brute(problem, cohort, s, goals):
    """The best (matched priority, score) over every matching meeting the hard goals, or None."""
    arcs = [[(-1, 0)] + [(int(j), int(sc)) for a, j, sc in zip(problem.i, problem.j, problem.score) if a == i]
            for i in range(problem.n_mentees)]
    best = None
    for choice in itertools.product(*arcs):
        mentor_of = np.array([j for j, _ in choice], np.int64)
        if (np.bincount(mentor_of[mentor_of >= 0], minlength=problem.n_mentors) > problem.capacity).any():
            continue
        key = (int(problem.priority[mentor_of >= 0].sum()), sum(sc for _, sc in choice))
        if best is not None and key <= best[0]:
            continue
        if all(row["missed_by"] == 0 for row in evaluate_goals(cohort, s, goals, mentor_of)):
            best = (key, mentor_of)
    return best


def _match(data):
    e, m, r, raw = data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            return matching.match(e, m, relatedness=r, settings=raw)
    except matching.InfeasibleError as err:
        return err


def test_routing():
    assert lagrangian_fits(parse_goals({"max_rank_lag": 0.5}))
    assert lagrangian_fits(parse_goals({"max_rank_lag": 0.5, "cross_kbu": 0.4}))
    assert not lagrangian_fits(parse_goals({"max_rank_lag": {"max": 0.5, "weight": 1}}))
    assert not lagrangian_fits(parse_goals({"max_rank_lag": 0.5, "max_same_kbu_per_mentor": 1}))
    assert not lagrangian_fits(parse_goals({"max_mentor_kbu_share": 0.5}))


@example(n=3, seed=7076, lag=0.0, by=["kbu"])  # regression: thresholds stepped past float range
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(3, 5), seed=st.integers(0, 10_000), lag=LAGS, by=BY)
def test_terms_bound_and_answer_agree_with_brute_force(n, seed, lag, by):
    """The relaxed constraints hold exactly when the goal does; every Lagrangian bound is at
    least the brute-force optimum; the answer is that optimum (or InfeasibleError when none)."""
    data, s, cohort, _, problem = _setup(n, seed, lag, by)
    goals = parse_goals(s.targets)
    brute = _brute(problem, cohort, s, goals)
    arcs = cpsat.Arcs(problem, cohort)
    _, coef, const, _, _, _ = goal_terms(arcs, cohort, goals, s)
    rng = np.random.default_rng(seed)
    for _ in range(5):  # random matchings: g(x) >= 0 for every group iff the goal's report has no miss
        mentor_of = np.full(n, -1, np.int64)
        load = np.zeros(problem.n_mentors, np.int64)
        for i in rng.permutation(n):
            js = [j for a, j in zip(arcs.i, arcs.j) if a == i and load[j] < problem.capacity[j]]
            if js and rng.random() < 0.8:
                mentor_of[i] = js[rng.integers(len(js))]
                load[mentor_of[i]] += 1
        x = (mentor_of[arcs.i] == arcs.j).astype(np.int64)
        met = evaluate_goals(cohort, s, goals, mentor_of)[0]["missed_by"] == 0
        assert bool(((coef @ x + const) >= 0).all()) == met
    lag_ = Lagrangian(problem, arcs, cohort, goals, s)
    points = [lag_.evaluate(np.zeros(len(lag_.den), np.int64))]
    minimize(lag_, points, float("inf"), max_rounds=15)
    if brute is None or brute[0][0] < solve_flow(problem).matched_priority:
        assert isinstance(_match(data), matching.InfeasibleError)
        return
    for p in points:
        assert p.bound >= brute[0][1]
        assert p.feasible == (evaluate_goals(cohort, s, goals, p.mentor_of)[0]["missed_by"] == 0)
    got = _match(data)
    assert got.info.status == "OPTIMAL"
    assert (round(got.info.matched_priority * 100), round(got.info.score * RESOLUTION)) == brute[0]
    assert all(row["missed_by"] == 0 for row in got.info.extra["goals"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(12, 40), seed=st.integers(0, 10_000), lag=LAGS, by=BY, share=st.booleans())
def test_agrees_with_the_full_cpsat_model(n, seed, lag, by, share):
    """Medium cohorts: the same optimum as the full CP-SAT model without the relaxation, goal met."""
    data, s, cohort, cands, problem = _setup(n, seed, lag, by, {"cross_kbu": 0.5} if share else None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            full = cpsat.solve_cpsat(problem, cohort, s.replace(solver="cpsat"), cands, lagrangian=False)
    except matching.InfeasibleError:
        full = None
    got = _match(data)
    if full is None:
        assert isinstance(got, matching.InfeasibleError)
        return
    assert full.status == "OPTIMAL" and got.info.status == "OPTIMAL"
    assert (round(got.info.matched_priority * 100), round(got.info.score * RESOLUTION)) == (
        full.matched_priority, full.score)
    assert all(row["missed_by"] == 0 for row in got.info.extra["goals"] if row["hard"])
