"""Cohort goals solved with CP-SAT: hard goals hold, soft misses are reported, the
objective agrees with min-cost flow, conflicts are named, statuses are handled."""

import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import matching
from matching.api import make_problem
from matching.scoring.sparse import build_candidates
from matching.cohort.settings import Settings
from matching.solvers import cpsat
from matching.solvers.flow import solve_flow
from matching.cohort.validate import load_cohort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate  # noqa: E402


def _cohort(n, seed):
    return generate.make_cohort(n, seed=seed)


def _share(pairs, e, m, attr):
    """Share of pairs whose two people have known, different ``attr`` (from the raw frames)."""
    a = pairs["mentee_id"].map(dict(zip(e["id"], e[attr])))
    b = pairs["mentor_id"].map(dict(zip(m["id"], m[attr])))
    cross = a.notna() & b.notna() & (a.astype(str) != b.astype(str))
    return Fraction(int(cross.sum()), len(pairs)) if len(pairs) else None


def _top3(pairs, e):
    prefs = {i: [x for x in str(p).split(";") if x and x != "nan"] for i, p in zip(e["id"], e["preferences"])}
    has = [bool(prefs[i]) for i in pairs["mentee_id"]]
    got = [bool(prefs[i]) and j in prefs[i][:3] for i, j in zip(pairs["mentee_id"], pairs["mentor_id"])]
    return Fraction(sum(got), sum(has)) if sum(has) else None


def _solve_both(e, m, r, settings=None):
    s = Settings.coerce(settings)
    cohort = load_cohort(e, m, relatedness=r)
    cands = build_candidates(cohort, s)
    problem = make_problem(cohort, s, cands)
    return problem, cohort, s, cands


@settings(max_examples=8)
@given(n=st.integers(4, 24), seed=st.integers(0, 10_000))
def test_cold_cpsat_agrees_with_flow(n, seed):
    """Without goals, CP-SAT on its own (no hint, its own first level) reaches the flow optimum."""
    problem, cohort, s, cands = _solve_both(*_cohort(n, seed))
    flow = solve_flow(problem)
    sat = cpsat.solve_cpsat(problem, cohort, s.replace(solver="cpsat"), cands, warm_start=False)
    assert sat.status == "OPTIMAL"
    assert (sat.matched_priority, sat.score) == (flow.matched_priority, flow.score)


def test_bundled_cohort_cpsat_matches_default():
    data = matching.load_example()
    flow = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    sat = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                         settings={"solver": "cpsat"})
    assert sat.info.solver.startswith("ortools.cp_sat") and sat.info.status == "OPTIMAL"
    assert (sat.info.matched_priority, sat.info.score) == (flow.info.matched_priority, flow.info.score)
    diag = sat.info.extra["diagnosis"]
    assert diag["no_eligible_mentor"] == ["E055"] and "E055" in diag["text"]


@settings(max_examples=6)
@given(n=st.integers(6, 18), seed=st.integers(0, 10_000), kbu=st.sampled_from([0.5, 0.7, 0.8, 0.9]),
       top3=st.sampled_from([0.5, 0.7, 0.9]))
def test_hard_targets_hold_or_conflict_is_named(n, seed, kbu, top3):
    e, m, r = _cohort(n, seed)
    base = matching.match(e, m, relatedness=r)
    targets = {"cross_kbu": kbu, "top3": top3}
    try:
        res = matching.match(e, m, relatedness=r, settings={"targets": targets})
    except matching.InfeasibleError as err:
        named = set(err.conflicts) & set(targets)
        assert named and all(name.replace("_", "-")[:5] in str(err).replace("_", "-") or name == "top3"
                             for name in named)
        if len(named) == 1:  # a target alone in conflict: its best reachable value is below it
            (name,) = named
            assert err.best[name] < targets[name]
        return
    assert len(res.pairs) == len(base.pairs)  # goals never cost a matched mentee
    assert res.info.matched_priority == base.info.matched_priority
    assert res.info.score <= base.info.score
    assert _share(res.pairs, e, m, "kbu") is None or _share(res.pairs, e, m, "kbu") >= Fraction(str(kbu))
    got = _top3(res.pairs, e)
    assert got is None or got >= Fraction(str(top3))


@settings(max_examples=6)
@given(n=st.integers(8, 24), seed=st.integers(0, 10_000), weight=st.sampled_from([0.5, 2.0]))
def test_soft_misses_are_reported_and_priced(n, seed, weight):
    e, m, r = _cohort(n, seed)
    res = matching.match(e, m, relatedness=r, settings={
        "solver": "cpsat", "targets": {"cross_kbu": {"min": 1.0, "weight": weight},
                                       "top1": {"min": 1.0, "weight": weight}}})
    rows = {row["goal"]: row for row in res.info.extra["goals"]}
    pairs = len(res.pairs)
    kbu = _share(res.pairs, e, m, "kbu")
    assert rows["cross_kbu"]["missed_by"] == (pairs - kbu * pairs if pairs else 0)
    assert not rows["cross_kbu"]["hard"]
    prefs = {i: [x for x in str(p).split(";") if x and x != "nan"] for i, p in zip(e["id"], e["preferences"])}
    with_prefs = [i for i in res.pairs["mentee_id"] if prefs[i]]
    firsts = sum(prefs[i][0] == j for i, j in zip(res.pairs["mentee_id"], res.pairs["mentor_id"]) if prefs[i])
    assert rows["top1"]["missed_by"] == len(with_prefs) - firsts
    penalty = weight * (rows["cross_kbu"]["missed_by"] + rows["top1"]["missed_by"])
    assert res.info.extra["cpsat"]["penalty"] == pytest.approx(penalty)


def test_raising_a_target_until_infeasible_names_it_and_the_best_is_reachable():
    e, m, r = _cohort(30, 7)
    base = matching.match(e, m, relatedness=r)
    same = base.pairs[[_share(base.pairs.iloc[[k]], e, m, "kbu") == 0 for k in range(len(base.pairs))]]
    pins = same[["mentee_id", "mentor_id"]].head(2)
    start = float(_share(base.pairs, e, m, "kbu"))
    error = None
    for target in np.arange(round(start, 2), 1.0001, 0.05):
        try:
            matching.match(e, m, relatedness=r, pins=pins, settings={"targets": {"cross_kbu": float(target)}})
        except matching.InfeasibleError as err:
            error = err
            break
    assert error is not None, "pinned same-KBU pairs must make a 100% cross-KBU target infeasible"
    assert "cross_kbu" in error.conflicts and "cross-KBU" in str(error)
    assert "reachable" in str(error) and "gender" not in str(error) and "race" not in str(error)
    best = error.best["cross_kbu"]
    assert best < float(target)
    res = matching.match(e, m, relatedness=r, pins=pins, settings={"targets": {"cross_kbu": best}})
    assert _share(res.pairs, e, m, "kbu") >= Fraction(str(best))


def test_time_limit_returns_feasible_with_warning(monkeypatch):
    """A solve cut short (here: after its first solution, standing in for the clock) is FEASIBLE and warns."""
    from ortools.sat.python import cp_model

    def stop_at_first_solution(model, settings, seconds, **kw):
        solver = cp_model.CpSolver()
        solver.parameters.stop_after_first_solution = True
        solver.parameters.num_workers = 1
        return solver, solver.solve(model)

    e, m, r = _cohort(60, 1)
    monkeypatch.setattr(cpsat, "run", stop_at_first_solution)
    monkeypatch.setattr(cpsat, "USE_LAGRANGIAN", False)  # the full CP-SAT path (tests/test_lagrange.py: the other)
    with pytest.warns(matching.MatchingWarning, match="before proving"):
        res = matching.match(e, m, relatedness=r, settings={
            "solver": "cpsat", "time_limit": 5, "targets": {"top3": {"min": 1.0, "weight": 1}}})
    assert res.info.status == "FEASIBLE"
    assert res.info.gap > 0 and res.info.bound >= res.info.score - res.info.extra["cpsat"]["penalty"]


def test_tiny_time_limit_on_a_larger_cohort_is_handled():
    """A real clock limit: either FEASIBLE with a warning or a SolverError that says to raise it."""
    e, m, r = _cohort(300, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = matching.match(e, m, relatedness=r, settings={
                "time_limit": 0.5, "targets": {"top3": {"min": 1.0, "weight": 1}, "cross_kbu": 0.5}})
        except matching.SolverError as err:
            assert err.status == "UNKNOWN" and "time_limit" in str(err)
            return
    if res.info.status == "FEASIBLE":
        assert any(issubclass(w.category, matching.MatchingWarning) for w in caught)
    else:
        assert res.info.status == "OPTIMAL" and res.info.gap == 0


@pytest.mark.parametrize("status, words", [("UNKNOWN", "time_limit"), ("MODEL_INVALID", "rejected the model")])
def test_statuses_without_a_matching_raise_solver_error(monkeypatch, status, words):
    from ortools.sat.python import cp_model

    class Fake:
        objective_value = best_objective_bound = 0.0

        def status_name(self, s=None):
            return status

    monkeypatch.setattr(cpsat, "run", lambda *a, **k: (Fake(), getattr(cp_model, status)))
    data = matching.load_example()
    with pytest.raises(matching.SolverError, match=words) as info:
        matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                       settings={"solver": "cpsat"})
    assert info.value.status == status


def test_load_limit_and_fairness_goals_hold():
    e, m, r = _cohort(16, 3)
    base = matching.match(e, m, relatedness=r)
    res = matching.match(e, m, relatedness=r, settings={"targets": {
        "max_same_kbu_per_mentor": 1, "fairness": "maximin", "max_rank_lag": {"max": 2.0, "by": ["kbu"]}}})
    kbu_e = res.pairs["mentee_id"].map(dict(zip(e["id"], e["kbu"])))
    assert pd.crosstab(res.pairs["mentor_id"], kbu_e).to_numpy().max() <= 1
    assert len(res.pairs) == len(base.pairs)
    assert res.pairs["score"].min() >= base.pairs["score"].min() - 1e-9
    lag = {row["goal"]: row for row in res.info.extra["goals"]}["max_rank_lag"]
    assert lag["missed_by"] == 0 and set(lag["value"]) == {"kbu"}


def test_bad_targets_are_settings_errors():
    with pytest.raises(matching.SettingsError) as info:
        Settings.from_dict({"targets": {"cross_kbu": 1.5, "bogus": 1, "top3": {"min": 0.5, "weight": -1}}})
    text = str(info.value)
    assert "targets.cross_kbu" in text and "targets.bogus" in text and "weight" in text
