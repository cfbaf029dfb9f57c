"""The objective is optimal, at both lexicographic levels.

* small cohorts: brute force over every feasible assignment of the candidate table;
* larger cohorts: an independent ``scipy.optimize.linear_sum_assignment`` on an
  expanded dense matrix, and an independent two-stage CP-SAT model;
* hand-made cohorts proving each level: more (priority-weighted) mentees matched beats
  a higher score; equal priority is decided by score.

Objectives are compared in integer units: priority x 100, score x ``RESOLUTION``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given, settings
from strategies import cohorts

import matching

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_cohort  # noqa: E402

PRIORITY_UNITS = 100


# --------------------------------------------------------------------------- helpers
def _prepare(data: dict, s=None):
    """Candidate arcs as integer arrays, plus priorities, capacities and pins (by position)."""
    cand = matching.candidates(**data, settings=s)
    e_ids = sorted(data["mentees"]["id"].astype(str))
    m_ids = sorted(data["mentors"]["id"].astype(str))
    e_pos = {v: k for k, v in enumerate(e_ids)}
    m_pos = {v: k for k, v in enumerate(m_ids)}
    prio_raw = dict(zip(data["mentees"]["id"].astype(str),
                        data["mentees"]["priority"] if "priority" in data["mentees"] else [1] * len(e_ids)))
    cap_raw = dict(zip(data["mentors"]["id"].astype(str), data["mentors"]["capacity"]))
    arcs = pd.DataFrame({
        "i": cand["mentee_id"].astype(str).map(e_pos).to_numpy(dtype=np.int64),
        "j": cand["mentor_id"].astype(str).map(m_pos).to_numpy(dtype=np.int64),
        "score": np.rint(cand["score"].to_numpy(dtype=float) * matching.RESOLUTION).astype(np.int64),
    })
    prio = np.array([round(float(prio_raw[e]) * PRIORITY_UNITS) for e in e_ids], dtype=np.int64)
    cap = np.array([int(cap_raw[m]) for m in m_ids], dtype=np.int64)
    pins = {}
    if data.get("pins") is not None:
        pins = {e_pos[str(a)]: m_pos[str(b)] for a, b in zip(data["pins"]["mentee_id"], data["pins"]["mentor_id"])}
    return arcs, prio, cap, pins


def _objective(result) -> tuple[int, int]:
    return (round(result.info.matched_priority * PRIORITY_UNITS), round(result.info.score * matching.RESOLUTION))


def _brute_force(arcs, prio, cap, pins) -> tuple[int, int]:
    """Lexicographic max of (sum priority matched, sum score) over all feasible assignments."""
    n = len(prio)
    options = [[] for _ in range(n)]
    for i, j, sc in arcs.itertuples(index=False):
        options[i].append((j, sc))
    for i, j in pins.items():  # a pinned mentee has exactly one option
        options[i] = [(j, sc) for jj, sc in options[i] if jj == j]
        assert options[i], "a valid pin is always a candidate"
    left = cap.copy()
    best = [(-1, 0)]

    def walk(i, p, s):
        if i == n:
            best[0] = max(best[0], (p, s))
            return
        for j, sc in options[i]:
            if left[j] > 0:
                left[j] -= 1
                walk(i + 1, p + prio[i], s + sc)
                left[j] += 1
        if i not in pins:
            walk(i + 1, p, s)

    walk(0, 0, 0)
    return best[0]


def _lexicographic_weight(arcs, n) -> int:
    hi = np.zeros(n, np.int64)
    lo = np.zeros(n, np.int64)
    np.maximum.at(hi, arcs["i"].to_numpy(), arcs["score"].to_numpy())
    np.minimum.at(lo, arcs["i"].to_numpy(), arcs["score"].to_numpy())
    return int(1 + (hi - lo).sum())


def _scipy_solve(arcs, prio, cap) -> tuple[int, int]:
    """Dense expanded assignment: a column per mentor seat, a private 'unmatched' column per mentee."""
    from scipy.optimize import linear_sum_assignment

    n = len(prio)
    seat_owner = np.repeat(np.arange(len(cap)), cap)
    first_seat = np.concatenate([[0], np.cumsum(cap)[:-1]]).astype(np.int64)
    W = _lexicographic_weight(arcs, n)
    cost = np.full((n, len(seat_owner) + n), np.inf)
    for i, j, sc in arcs.itertuples(index=False):
        cost[i, first_seat[j]:first_seat[j] + cap[j]] = -(W * prio[i] + sc)
    cost[np.arange(n), len(seat_owner) + np.arange(n)] = 0.0
    assert np.abs(cost[np.isfinite(cost)]).max(initial=0) * max(n, 1) < 2**53, "float64 stays exact"
    rows, cols = linear_sum_assignment(cost)
    matched = cols < len(seat_owner)
    lookup = {(i, j): sc for i, j, sc in arcs.itertuples(index=False)}
    score = sum(lookup[(r, seat_owner[c])] for r, c in zip(rows[matched], cols[matched]))
    return int(prio[rows[matched]].sum()), int(score)


def _cpsat_solve(arcs, prio, cap, pins) -> tuple[int, int]:
    """Two-stage lexicographic CP-SAT: max matched priority, then max score at that priority."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(len(arcs))]
    by_mentee = [[] for _ in range(len(prio))]
    by_mentor = [[] for _ in range(len(cap))]
    for k, (i, j, _) in enumerate(arcs.itertuples(index=False)):
        by_mentee[i].append(x[k])
        by_mentor[j].append(x[k])
        if i in pins:
            model.add(x[k] == int(pins[i] == j))
    matched = []
    for i, xs in enumerate(by_mentee):
        model.add(sum(xs) <= 1)
        matched.append(sum(xs))
    for j, xs in enumerate(by_mentor):
        model.add(sum(xs) <= int(cap[j]))
    priority = sum(int(prio[i]) * m for i, m in enumerate(matched))
    score = sum(int(sc) * x[k] for k, sc in enumerate(arcs["score"]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 60
    model.maximize(priority)
    assert solver.solve(model) == cp_model.OPTIMAL
    best = round(solver.objective_value)
    model.add(priority == best)
    model.maximize(score)
    assert solver.solve(model) == cp_model.OPTIMAL
    return best, round(solver.objective_value)


def _frames(n_mentees, n_mentors, prio=None, cap=None):
    """Mentees E1.. and mentors X1.. in one area/KBU (the 'assignment' preset allows every pair)."""
    mentees = pd.DataFrame({"id": [f"E{k}" for k in range(1, n_mentees + 1)], "level": 1, "area": "A", "kbu": "K",
                            "priority": prio or [1] * n_mentees})
    mentors = pd.DataFrame({"id": [f"X{k}" for k in range(1, n_mentors + 1)], "level": 1, "area": "A", "kbu": "K",
                            "capacity": cap or [1] * n_mentors})
    return mentees, mentors


def _solve_table(scores: dict, n_mentees, n_mentors, *, excluded=(), prio=None, cap=None):
    """Solve with a user score table only; pairs in ``excluded`` are forbidden."""
    mentees, mentors = _frames(n_mentees, n_mentors, prio, cap)
    table = pd.DataFrame([(e, m, v) for (e, m), v in scores.items()], columns=["mentee_id", "mentor_id", "score"])
    excl = pd.DataFrame(list(excluded), columns=["mentee_id", "mentor_id"])
    return matching.match(mentees, mentors, settings="assignment", extra_criteria={"table": table},
                          exclusions=excl if len(excl) else None)


# --------------------------------------------------------------------------- (a) brute force
@settings(max_examples=100)
@given(cohorts(max_mentees=6, max_mentors=4, max_capacity=2, with_pins=True))
def test_brute_force_small_cohorts(data):
    result = matching.match(**data)
    arcs, prio, cap, pins = _prepare(data)
    assert _objective(result) == _brute_force(arcs, prio, cap, pins)


# --------------------------------------------------------------------------- (b) scipy
@settings(max_examples=40)
@given(cohorts(max_mentees=10, max_mentors=8))
def test_linear_sum_assignment_generated(data):
    """Equal objective; and priority never costs a match: the count is the unweighted maximum."""
    result = matching.match(**data)
    arcs, prio, cap, _ = _prepare(data)
    assert _objective(result) == _scipy_solve(arcs, prio, cap)
    count, _ = _scipy_solve(arcs.assign(score=0), np.ones_like(prio), cap)
    assert len(result.pairs) == count


@pytest.mark.parametrize("seed,collide", [(0, False), (1, False), (2, True), (3, True)])
def test_linear_sum_assignment_large(seed, collide):
    mentees, mentors, rel = make_cohort(150, seed=seed, collide=collide)
    data = {"mentees": mentees, "mentors": mentors, "relatedness": rel}
    result = matching.match(**data)
    assert result.info.status == "OPTIMAL"
    assert _objective(result) == _scipy_solve(*_prepare(data)[:3])


def test_linear_sum_assignment_user_scores_with_negatives():
    """Scores below zero (user criteria) still never cost a match, and the score level is optimal."""
    rng = np.random.default_rng(5)
    n, m = 30, 12
    mentees, mentors = _frames(n, m, prio=rng.choice([1, 1, 1.5, 2], n).tolist(), cap=rng.integers(0, 4, m).tolist())
    table = pd.DataFrame([(e, x, float(rng.integers(-50, 50)) / 10) for e in mentees["id"] for x in mentors["id"]
                          if rng.random() < 0.8], columns=["mentee_id", "mentor_id", "score"])
    excl = table.sample(frac=0.2, random_state=1)[["mentee_id", "mentor_id"]]
    data = {"mentees": mentees, "mentors": mentors, "exclusions": excl, "extra_criteria": {"u": table}}
    result = matching.match(**data, settings="assignment")
    s = matching.Settings.coerce("assignment")
    assert _objective(result) == _scipy_solve(*_prepare(data, s)[:3])


# --------------------------------------------------------------------------- (c) CP-SAT
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cpsat_medium_generated(seed):
    mentees, mentors, rel = make_cohort(60, seed=seed, collide=seed == 2)
    data = {"mentees": mentees, "mentors": mentors, "relatedness": rel}
    result = matching.match(**data)
    assert _objective(result) == _cpsat_solve(*_prepare(data))


@settings(max_examples=20)
@given(cohorts(min_mentees=5, max_mentees=14, min_mentors=3, max_mentors=10, with_pins=True))
def test_cpsat_with_pins(data):
    result = matching.match(**data)
    assert _objective(result) == _cpsat_solve(*_prepare(data))


# --------------------------------------------------------------------------- (d) both levels, by hand
def test_more_mentees_matched_beats_higher_score():
    """Score alone would pair E1-X1 (10) and leave E2 out; the library matches both."""
    result = _solve_table({("E1", "X1"): 10, ("E1", "X2"): 0, ("E2", "X1"): 1}, 2, 2, excluded=[("E2", "X2")])
    assert result.mentor_of == {"E1": "X2", "E2": "X1"}
    assert result.info.matched_priority == 2 and result.info.score == 1
    assert result.unmatched.empty


def test_negative_score_still_matched():
    """A mentee whose only allowed mentor scores below zero is still matched."""
    result = _solve_table({("E1", "X1"): -5}, 1, 1)
    assert result.mentor_of == {"E1": "X1"} and result.info.score == -5


def test_built_in_criteria_count_first():
    """With the default criteria: E1's first choice is the only mentor E2 may have; E1 yields it."""
    mentees = pd.DataFrame({"id": ["E1", "E2"], "level": [1, 3], "area": ["A", "A"], "kbu": ["K", "K"],
                            "preferences": ["X1", ""]})
    mentors = pd.DataFrame({"id": ["X1", "X2"], "level": [4, 2], "area": ["B", "B"], "kbu": ["K", "K"]})
    alone = matching.candidates(mentees, mentors)
    scores = dict(zip(zip(alone.mentee_id, alone.mentor_id), alone.score))
    assert set(scores) == {("E1", "X1"), ("E1", "X2"), ("E2", "X1")}
    assert scores[("E1", "X1")] > scores[("E1", "X2")] + scores[("E2", "X1")]  # score alone: E1-X1 only
    assert matching.match(mentees, mentors).mentor_of == {"E1": "X2", "E2": "X1"}


def test_higher_priority_wins_contested_seat():
    """E1 (priority 2) takes the only seat although E2 (priority 1) would score far more."""
    result = _solve_table({("E1", "X1"): 0, ("E2", "X1"): 50}, 2, 1, prio=[2, 1])
    assert result.mentor_of == {"E1": "X1"}
    assert result.unmatched["mentee_id"].astype(str).tolist() == ["E2"]
    assert result.unmatched["code"].tolist() == ["capacity_exhausted"]


def test_priority_two_beats_two_priority_one_scores():
    """E1 (priority 2) vs E2 and E3 (priority 1 each).

    Matchable sets form a matroid, so a priority-2 mentee can never be traded for two
    priority-1 mentees outright: every maximal choice matches the same number. Here
    {E2, E3} (priority 2, score 22) and {E1, E3} (priority 3, score 12) both match
    two mentees; priority decides for E1 although the other set scores more.
    """
    scores = {("E1", "X1"): 0, ("E1", "X2"): 0, ("E2", "X1"): 10, ("E3", "X2"): 12}
    result = _solve_table(scores, 3, 2, prio=[2, 1, 1], excluded=[("E2", "X2"), ("E3", "X1")])
    assert result.mentor_of == {"E1": "X1", "E3": "X2"}
    assert result.info.matched_priority == 3 and result.info.score == 12


def test_fractional_priority_level():
    """1.5 + 1 beats 1 + 1 at equal count, and a mentee at 1.5 beats one at 1 for a seat."""
    scores = {("E1", "X1"): 0, ("E1", "X2"): 0, ("E2", "X1"): 10, ("E3", "X2"): 12}
    result = _solve_table(scores, 3, 2, prio=[1.5, 1, 1], excluded=[("E2", "X2"), ("E3", "X1")])
    assert result.mentor_of == {"E1": "X1", "E3": "X2"}
    assert result.info.matched_priority == 2.5


def test_equal_count_broken_by_score_not_greedy():
    """Both assignments match two; the higher total (8 > 5) wins, though greedy would take E1-X1."""
    scores = {("E1", "X1"): 5, ("E1", "X2"): 4, ("E2", "X1"): 4, ("E2", "X2"): 0}
    result = _solve_table(scores, 2, 2)
    assert result.mentor_of == {"E1": "X2", "E2": "X1"}
    assert result.info.score == 8


def test_capacity_two_mentor_shared_by_score():
    """A mentor with two seats takes the two mentees that make the best total."""
    scores = {("E1", "X1"): 3, ("E2", "X1"): 2, ("E3", "X1"): 1, ("E3", "X2"): 0.5}
    result = _solve_table(scores, 3, 2, cap=[2, 1])
    assert result.mentor_of == {"E1": "X1", "E2": "X1", "E3": "X2"}
    assert result.info.score == 5.5

