"""KBU load limits and maximin as exact flows, checked against independent models.

Oracles: brute force over every matching (tiny cohorts), the CP-SAT model (small and
medium), and the flow on the complete candidate set for the sparse path's certificate.
"""

import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import matching
from matching.cohort.goals import parse_goals
from matching.cohort.settings import Settings
from matching.cohort.validate import load_cohort
from matching.review.solve import make_problem, solve
from matching.scoring.sparse import build_candidates
from matching.solvers.goal_flows import flow_goals

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate  # noqa: E402
from strategies import cohorts, shuffled  # noqa: E402

GOALS = [{"max_same_kbu_per_mentor": 1}, {"max_same_kbu_per_mentor": 2},
         {"max_same_kbu_per_mentor": {"max": 1, "weight": 0.5}}, {"max_same_kbu_per_mentor": {"max": 1, "weight": 4}},
         {"fairness": "maximin"}, {"fairness": "maximin", "max_same_kbu_per_mentor": 1},
         {"fairness": "maximin", "max_same_kbu_per_mentor": {"max": 1, "weight": 1}}]


def _run(e, m, r, targets, **extra):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            return matching.match(e, m, relatedness=r, settings={"targets": targets, **extra})
    except matching.InfeasibleError as err:
        return err


def _key(res):
    """What any optimum must share: matched priority, score, soft penalty, and with maximin the
    lowest pair score."""
    if isinstance(res, matching.InfeasibleError):
        return "infeasible"
    scores = res.pairs["score"]
    maximin = res.info.settings.get("targets", {}).get("fairness") == "maximin"
    worst = round(float(scores.min()), 3) if maximin and len(scores) else None
    return (res.info.matched_priority, round(res.info.score, 3), round(res.info.extra["cpsat"]["penalty"], 3), worst)


def _loads(res, e):
    kbu = dict(zip(e["id"], e["kbu"]))
    pairs = res.pairs.assign(kbu=res.pairs["mentee_id"].map(kbu)).dropna(subset=["kbu"])
    sizes = pairs.groupby(["mentor_id", "kbu"]).size()
    return sizes if len(sizes) else sizes.astype(int)


def test_routing_flow_goals_only():
    assert flow_goals(parse_goals({"max_same_kbu_per_mentor": 1}))
    assert flow_goals(parse_goals({"fairness": "maximin", "max_same_kbu_per_mentor": {"max": 2, "weight": 1}}))
    for other in ({"cross_kbu": 0.5}, {"max_mentor_kbu_share": 0.3}, {"max_rank_lag": 1.0}, {}):
        assert not flow_goals(parse_goals({"max_same_kbu_per_mentor": 1, **other} if other else {}))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 30), seed=st.integers(0, 10_000), targets=st.sampled_from(GOALS))
def test_flow_goals_agree_with_cpsat(n, seed, targets):
    """Same optimum as the CP-SAT model (an independent formulation), and the goal holds."""
    e, m, r = generate.make_cohort(n, seed=seed)
    flow, sat = _run(e, m, r, targets), _run(e, m, r, targets, solver="cpsat")
    assert _key(flow) == _key(sat)
    if isinstance(flow, matching.InfeasibleError):
        assert "max_same_kbu_per_mentor" in flow.conflicts and "KBU" in str(flow)
        return
    assert flow.info.status == "OPTIMAL" and "min_cost_flow" in flow.info.solver
    rows = {row["goal"]: row for row in flow.info.extra["goals"]}
    limit = targets.get("max_same_kbu_per_mentor")
    if isinstance(limit, int):
        assert _loads(flow, e).le(limit).all() and rows["max_same_kbu_per_mentor"]["missed_by"] == 0
    elif limit:
        over = (_loads(flow, e) - limit["max"]).clip(lower=0).sum()
        assert rows["max_same_kbu_per_mentor"]["missed_by"] == over
        assert flow.info.extra["cpsat"]["penalty"] == pytest.approx(limit["weight"] * over)
    base = matching.match(e, m, relatedness=r)
    assert flow.info.matched_priority == base.info.matched_priority  # goals never cost a matched mentee


def _brute(problem, kbu, limit, maximin):
    """Every matching of a tiny problem: the best (priority, lowest score, total) key."""
    arcs = [[(-1, 0)] + [(int(j), int(s)) for a, j, s in zip(problem.i, problem.j, problem.score) if a == i]
            for i in range(problem.n_mentees)]
    best = None
    for choice in itertools.product(*arcs):
        load = np.bincount([j for j, _ in choice if j >= 0], minlength=problem.n_mentors)
        if (load > problem.capacity).any():
            continue
        per = {}
        for i, (j, _) in enumerate(choice):
            if j >= 0 and kbu[i] >= 0:
                per[j, kbu[i]] = per.get((j, kbu[i]), 0) + 1
        if limit is not None and max(per.values(), default=0) > limit:
            continue
        prio = sum(int(problem.priority[i]) for i, (j, _) in enumerate(choice) if j >= 0)
        scores = [s for j, s in choice if j >= 0]
        key = (prio, min(scores, default=0) if maximin else 0, sum(scores))
        best = key if best is None or key > best else best
    return best


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 6), seed=st.integers(0, 10_000), limit=st.sampled_from([None, 1]), maximin=st.booleans())
def test_tiny_cohorts_against_brute_force(n, seed, limit, maximin):
    e, m, r = generate.make_cohort(n, seed=seed, n_mentors=3)
    targets = {**({"max_same_kbu_per_mentor": limit} if limit else {}), **({"fairness": "maximin"} if maximin else {})}
    if not targets:
        return
    cohort = load_cohort(e, m, relatedness=r)
    s = Settings()
    problem = make_problem(cohort, s, build_candidates(cohort, s))
    best = _brute(problem, cohort.mentees.kbu, limit, maximin)
    plain = _brute(problem, cohort.mentees.kbu, None, False)
    res = _run(e, m, r, targets)
    if best is None or best[0] < plain[0]:
        assert isinstance(res, matching.InfeasibleError)
        return
    assert not isinstance(res, matching.InfeasibleError)
    mentor_of = np.full(problem.n_mentees, -1)
    mentor_of[cohort.mentee_index(res.pairs["mentee_id"])] = cohort.mentor_index(res.pairs["mentor_id"])
    keys = dict(zip(zip(problem.i.tolist(), problem.j.tolist()), problem.score.tolist()))
    scores = [keys[i, int(mentor_of[i])] for i in np.flatnonzero(mentor_of >= 0)]
    got = (int(problem.priority[mentor_of >= 0].sum()), min(scores, default=0) if maximin else 0, sum(scores))
    assert got == best


@pytest.mark.parametrize("targets", [GOALS[0], GOALS[2], GOALS[4], GOALS[5]])
def test_sparse_certificate_reaches_the_complete_optimum(targets):
    """On a sparse candidate set (3 mentors per mentee) the certificate finds every pair it needs."""
    e, m, r = generate.make_cohort(300, seed=3)
    cohort = load_cohort(e, m, relatedness=r)
    s = Settings.coerce({"targets": targets})
    sparse = build_candidates(cohort, s, limit=0, k=3)
    assert not sparse.complete
    full = solve(cohort, s, cands=build_candidates(cohort, s))
    got = solve(cohort, s, cands=sparse)
    assert got.info.status == full.info.status == "OPTIMAL"
    assert (got.info.matched_priority, got.info.score) == (full.info.matched_priority, full.info.score)
    assert got.info.extra["certificate"]["certified"]


def test_hard_limit_that_costs_a_mentee_is_infeasible():
    """Two mentees of one KBU and a single mentor with two seats: a limit of 1 cannot match both."""
    e = pd.DataFrame({"id": ["E1", "E2"], "level": [3, 3], "area": ["A", "A"], "kbu": ["K", "K"]})
    m = pd.DataFrame({"id": ["M1"], "level": [5], "area": ["B"], "kbu": ["K"], "capacity": [2]})
    assert len(matching.match(e, m).pairs) == 2
    err = _run(e, m, None, {"max_same_kbu_per_mentor": 1})
    assert isinstance(err, matching.InfeasibleError) and "most_matched" in err.conflicts
    assert isinstance(_run(e, m, None, {"max_same_kbu_per_mentor": 1}, solver="cpsat"), matching.InfeasibleError)
    soft = _run(e, m, None, {"max_same_kbu_per_mentor": {"max": 1, "weight": 1}})
    assert len(soft.pairs) == 2 and soft.info.extra["goals"][0]["missed_by"] == 1
    assert len(_run(e, m, None, {"max_same_kbu_per_mentor": 2}).pairs) == 2


SEARCH_GOALS = [{"max_rank_lag": {"max": 1.0, "by": ["kbu"]}}, {"max_rank_lag": {"max": 0.5, "weight": 1}},
                {"max_mentor_kbu_share": 0.5}, {"max_mentor_kbu_share": 0.4, "max_same_kbu_per_mentor": 1},
                {"max_rank_lag": 1.0, "cross_kbu": 0.5}, {"cross_kbu": 0.7, "max_same_kbu_per_mentor": 1},
                {"top3": {"min": 0.9, "weight": 1}, "max_same_kbu_per_mentor": {"max": 1, "weight": 1}}]


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 24), seed=st.integers(0, 10_000), targets=st.sampled_from(SEARCH_GOALS))
def test_search_goals_agree_with_cpsat(n, seed, targets):
    """Rank lag and mentor shares from a flow incumbent: the full CP-SAT model's optimum, goals met."""
    e, m, r = generate.make_cohort(n, seed=seed, capacity=(1, 3))
    got, sat = _run(e, m, r, {**targets}), _run(e, m, r, targets, solver="cpsat")
    if isinstance(got, matching.InfeasibleError) or isinstance(sat, matching.InfeasibleError):
        assert isinstance(got, matching.InfeasibleError) and isinstance(sat, matching.InfeasibleError)
        return
    assert got.info.status == sat.info.status == "OPTIMAL"
    assert (got.info.matched_priority, round(got.info.score - got.info.extra["cpsat"]["penalty"], 3)) == \
        (sat.info.matched_priority, round(sat.info.score - sat.info.extra["cpsat"]["penalty"], 3))
    assert all(row["missed_by"] == 0 for row in got.info.extra["goals"] if row["hard"])


def test_a_mentor_share_that_leaves_too_few_seats_is_infeasible_at_once():
    """Every mentor needed to match the most: any cap on one KBU's share of active mentors is refuted
    by counting seats, with no search (the full CP-SAT model agrees)."""
    e, m, r = generate.make_cohort(12, seed=2, n_mentors=8)
    base = matching.match(e, m, relatedness=r)
    kbus = base.pairs.drop_duplicates("mentor_id")["mentor_id"].map(dict(zip(m["id"], m["kbu"])))
    share = float(kbus.value_counts(normalize=True).iloc[0])
    m = m.assign(capacity=1)
    target = {"max_mentor_kbu_share": round(share / 3, 3)}
    err = _run(e, m, r, target)
    assert isinstance(err, matching.InfeasibleError) and "max_mentor_kbu_share" in err.conflicts
    assert "seats" in str(err)
    assert isinstance(_run(e, m, r, target, solver="cpsat"), matching.InfeasibleError)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=cohorts(max_mentees=8, max_mentors=5, with_pins=True), targets=st.sampled_from(GOALS),
       order=st.integers(0, 1000))
def test_flow_goals_on_any_valid_cohort_with_pins(data, targets, order):
    """Pins, empty sides, ineligible mentees, unknown attributes: the flows agree with CP-SAT,
    every pin holds, and the answer does not depend on row order."""
    flow = _run_data(data, targets)
    sat = _run_data(data, {**targets}, solver="cpsat")
    assert _key(flow) == _key(sat)
    if isinstance(flow, matching.InfeasibleError):
        return
    if data["pins"] is not None and len(data["pins"]):
        got = set(zip(flow.pairs["mentee_id"], flow.pairs["mentor_id"]))
        assert set(zip(data["pins"]["mentee_id"], data["pins"]["mentor_id"])) <= got
    again = _run_data({k: shuffled(v, order, columns=False) for k, v in data.items()}, targets)
    assert _key(again) == _key(flow)


def _run_data(data, targets, **extra):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            return matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                                  exclusions=data["exclusions"], pins=data["pins"],
                                  settings={"targets": targets, **extra})
    except matching.InfeasibleError as err:
        return err
