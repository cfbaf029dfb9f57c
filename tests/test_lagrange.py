"""The Lagrangian path for share targets: its bound never cuts off the optimum, its
matchings meet the targets, reduced-cost fixing keeps the optimum, and the status,
bound and gap it reports are honest. The exact reference is the full CP-SAT model."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import matching
from matching.api import make_problem
from matching.cohort.goals import evaluate_goals, parse_goals
from matching.scoring.scores import RESOLUTION
from matching.scoring.sparse import build_candidates
from matching.cohort.settings import Settings
from matching.solvers import cpsat, hints
from matching.solvers.lagrange import Lagrangian, best_points, minimize, repair
from matching.cohort.validate import load_cohort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate  # noqa: E402

GOALS = st.sampled_from(["hard", "soft", "mixed"])


def _case(n, seed, lift, kind, pin):
    """A cohort, its problem, and share targets a little above what plain min-cost flow reaches."""
    e, m, r = generate.make_cohort(n, seed=seed)
    base = matching.match(e, m, relatedness=r)
    pins = None
    if pin:  # pin the lowest-scoring allowed pair: the pin then costs score (or makes targets infeasible)
        cands = matching.candidates(e, m, relatedness=r)
        if len(cands):
            row = cands.sort_values(["score", "mentee_id", "mentor_id"]).iloc[0]
            pins = pd.DataFrame({"mentee_id": [row["mentee_id"]], "mentor_id": [row["mentor_id"]]})
    kbu = min(1.0, round(base.summary["cross_kbu_share"] + lift, 2))
    top3 = min(1.0, round((base.summary["preferences"]["top3_share"] or 0) + lift, 2))
    soft = {"hard": (None, None), "soft": (2.0, 0.5), "mixed": (None, 1.0)}[kind]
    targets = {name: (v if w is None else {"min": v, "weight": w})
               for (name, v), w in zip({"cross_kbu": kbu, "top3": top3}.items(), soft)}
    s = Settings.coerce({"targets": targets, "time_limit": 20, "workers": 1})
    cohort = load_cohort(e, m, relatedness=r, pins=pins)
    cands = build_candidates(cohort, s)
    return make_problem(cohort, s, cands), cohort, s, cands


def _objective(problem, a) -> int:
    """The goal objective of an answer in units: free score minus soft penalties."""
    return a.score - int(problem.fixed_score.sum()) - round(a.extra["cpsat"]["penalty"] * RESOLUTION)


def _exact(problem, cohort, s, cands):
    """The full CP-SAT model's proven optimum, or None when the hard targets are infeasible."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matching.MatchingWarning)
            a = cpsat.solve_cpsat(problem, cohort, s.replace(solver="cpsat"), cands, lagrangian=False)
    except matching.InfeasibleError:
        return None
    assert a.status == "OPTIMAL"
    return a


def _relax(problem, cohort, s):
    arcs = cpsat.Arcs(problem, cohort)
    lag = Lagrangian(problem, arcs, cohort, parse_goals(s.targets))
    points = [lag.evaluate(np.zeros(len(lag.den), np.int64))]
    minimize(lag, points, float("inf"))
    repair(lag, points, float("inf"))
    return arcs, lag, points


@settings(max_examples=20)
@given(n=st.integers(6, 26), seed=st.integers(0, 10_000), lift=st.sampled_from([0.02, 0.05, 0.1, 0.2]),
       kind=GOALS, pin=st.booleans())
def test_bound_never_below_the_optimum_and_matchings_meet_the_targets(n, seed, lift, kind, pin):
    problem, cohort, s, cands = _case(n, seed, lift, kind, pin)
    goals = parse_goals(s.targets)
    arcs, lag, points = _relax(problem, cohort, s)
    exact = _exact(problem, cohort, s, cands)
    for p in points:
        report = evaluate_goals(cohort, s, goals, p.mentor_of)
        hard_ok = all(row["missed_by"] == 0 for row in report if row["hard"])
        assert p.feasible == hard_ok
        assert (p.mentor_of[problem.fixed_i] == problem.fixed_j).all()
        assert int(problem.priority[p.mentor_of >= 0].sum()) == int(problem.priority[
            (exact.mentor_of if exact else p.mentor_of) >= 0].sum())
        penalty = sum(round(row["weight"] * RESOLUTION) * row["missed_by"] for row in report if not row["hard"])
        free = np.flatnonzero((p.mentor_of >= 0) & ~np.isin(np.arange(problem.n_mentees), problem.fixed_i))
        score = cands.total[np.searchsorted(cands.i * (1 << 32) + cands.j, free * (1 << 32) + p.mentor_of[free])]
        assert p.value == int(score.sum()) - penalty
        if exact is not None:
            assert p.bound >= _objective(problem, exact)  # a valid upper bound, for every multiplier
            if p.feasible:
                assert p.value <= _objective(problem, exact)
        else:
            assert not p.feasible  # no matching meets targets that cannot hold


@settings(max_examples=15)
@given(n=st.integers(6, 24), seed=st.integers(0, 10_000), lift=st.sampled_from([0.02, 0.05, 0.1]),
       kind=GOALS, pin=st.booleans())
def test_reduced_cost_fixing_keeps_the_optimum(n, seed, lift, kind, pin):
    """The arcs kept for the pruned model hold an optimal matching; the pruned solve finds the same optimum."""
    problem, cohort, s, cands = _case(n, seed, lift, kind, pin)
    exact = _exact(problem, cohort, s, cands)
    if exact is None:
        return
    arcs, lag, points = _relax(problem, cohort, s)
    best, inc = best_points(points)
    if inc is not None:
        keep = np.union1d(lag.keep(lag.evaluate(np.array(best.q), reduced=True), inc.value), arcs.pins)
        chosen = np.flatnonzero(exact.mentor_of[arcs.i] == arcs.j)
        assert np.isin(chosen, keep).all()  # every arc of a matching at least as good as the incumbent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matching.MatchingWarning)
        pruned = cpsat.solve_cpsat(problem, cohort, s, cands, gap_limit=0.0)
    assert pruned.status == "OPTIMAL" and pruned.gap == 0
    assert (_objective(problem, pruned), pruned.matched_priority) == (_objective(problem, exact),
                                                                       exact.matched_priority)
    assert all(row["missed_by"] == 0 for row in pruned.extra["goals"] if row["hard"])


def test_gap_limit_stop_is_reported_honestly(monkeypatch):
    """Within the gap limit and too big for a proof attempt: FEASIBLE, bound and gap as proven, a warning."""
    problem, cohort, s, cands = _case(120, 4, 0.02, "hard", False)
    monkeypatch.setattr(hints, "PROOF_ARCS", 0)
    with pytest.warns(matching.MatchingWarning, match="within 100.00% of the optimum") as caught:
        a = cpsat.solve_cpsat(problem, cohort, s, cands, gap_limit=1.0)
    lag = a.extra["cpsat"]["lagrangian"]
    objective = _objective(problem, a)
    assert a.solver.startswith("ortools.min_cost_flow") and "lagrangian" in a.solver
    assert lag["incumbent"] * RESOLUTION == pytest.approx(objective)
    if a.status == "OPTIMAL":  # the bound met the matching: nothing to warn about
        assert a.gap == 0 and a.bound * RESOLUTION == pytest.approx(objective) and not caught
        return
    assert a.status == "FEASIBLE" and a.bound == lag["bound"] and a.bound * RESOLUTION > objective
    assert a.gap == pytest.approx((a.bound * RESOLUTION - objective) / (a.bound * RESOLUTION))
    exact = _exact(problem, cohort, s, cands)
    assert objective <= _objective(problem, exact) <= a.bound * RESOLUTION


def test_flow_meeting_every_goal_is_optimal_without_search():
    problem, cohort, s, cands = _case(30, 5, -0.3, "hard", False)
    a = cpsat.solve_cpsat(problem, cohort, s, cands)
    assert a.status == "OPTIMAL" and "goals checked" in a.solver and a.gap == 0


def test_lagrangian_is_deterministic():
    problem, cohort, s, cands = _case(60, 11, 0.05, "mixed", True)
    runs = []
    for _ in range(2):
        arcs, lag, points = _relax(problem, cohort, s)
        best, inc = best_points(points)
        runs.append((best.q, best.scaled, None if inc is None else inc.mentor_of.tolist()))
    assert runs[0] == runs[1]
