"""Prices read off the optimum equal re-solves with the pair pinned (the oracle:
:func:`matching.review.overrides.pin_cost`), on every level and in ``moved``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cohorts

import matching
from matching.review.overrides import pin_cost
from matching.review.prices import capacity_price, price_pairs, residual


def _all_pairs(result):
    c = result.candidates
    return c.i, c.j


def _same(a, b) -> bool:
    return (a.possible == b.possible and abs(a.matched - b.matched) < 1e-9 and a.mentees == b.mentees
            and abs(a.points - b.points) < 1e-9 and a.moved == b.moved)


def _check(result):
    i, j = _all_pairs(result)
    prices = price_pairs(result, i, j)
    for a, b, p in zip(i.tolist(), j.tolist(), prices):
        oracle = pin_cost(result, a, b)
        assert _same(p, oracle), (a, b, p, oracle)


def _solve(data, **kw):
    return matching.match(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                          exclusions=data.get("exclusions"), pins=data.get("pins"), **kw)


@settings(max_examples=60)
@given(cohorts(min_mentees=1, max_mentees=9, min_mentors=1, max_mentors=6, with_pins=True))
def test_prices_equal_resolves(data):
    _check(_solve(data))


@settings(max_examples=40)
@given(cohorts(min_mentees=2, max_mentees=9, min_mentors=1, max_mentors=5, max_capacity=2),
       st.sampled_from([{"weights": {"relatedness": 0, "seniority": 0, "preference": 0, "competency": 0,
                                     "cross_kbu": 0, "cross_gender": 0, "cross_race": 0}},
                        {"weights": {"preference": 0, "competency": 0}}, None]))
def test_prices_equal_resolves_with_ties(data, chosen):
    """Zero or few weights make many optima tie: ``moved`` must still agree."""
    _check(_solve(data, settings=chosen))


def test_example_prices_equal_resolves(base):
    assert residual(base) is not None
    rng = np.random.default_rng(0)
    i, j = _all_pairs(base)
    pick = rng.choice(len(i), size=min(80, len(i)), replace=False)
    for a, b, p in zip(i[pick].tolist(), j[pick].tolist(), price_pairs(base, i[pick], j[pick])):
        assert _same(p, pin_cost(base, a, b)) and p.method == "residual" and p.exact


@settings(max_examples=30)
@given(cohorts(min_mentees=2, max_mentees=8, min_mentors=1, max_mentors=4, max_capacity=1))
def test_capacity_price_equals_resolve(data):
    result = _solve(data)
    cap = result.cohort.mentors.capacity
    for a in np.flatnonzero(result.assignment.mentor_of < 0).tolist():
        for b in result.candidates.j[result.candidates.i == a].tolist():
            raised = cap.copy()
            raised[b] += 1
            assert _same(capacity_price(result, a, b), pin_cost(result, a, b, capacity=raised))


def test_why_not_prices_any_mentor_or_names_the_rule(base):
    from matching.review.overrides import pin_cost

    cohort = base.cohort
    i = int(cohort.mentee_index(["E001"])[0])
    allowed = base.candidates.j[base.candidates.i == i].tolist()
    for j in allowed[:6]:
        answer = base.explain("E001", why_not=str(cohort.mentors.ids[j]))
        if j == base.assignment.mentor_of[i]:
            assert answer.current
            continue
        assert answer.broken == () and _same(answer.cost, pin_cost(base, i, j))
    blocked = base.explain("E001", why_not="M014")
    assert blocked.broken == ("same_area",) and blocked.cost is None and "same_area" in str(blocked)
    with pytest.raises(matching.InputError, match="unknown mentor"):
        base.explain("E001", why_not="nobody")


@settings(max_examples=40)
@given(cohorts(min_mentees=2, max_mentees=9, min_mentors=1, max_mentors=5, with_pins=True, max_capacity=2))
def test_short_cycle_bounds_never_promise_more_than_a_resolve(data):
    """The quick bounds used when the time budget runs out are feasible answers: never
    better for the cohort than the re-solve's optimum (lexicographically)."""
    from matching.review.bounds import short_cycles

    result = _solve(data)
    net = residual(result)
    if net is None:
        return
    c = result.candidates
    keep = ~net.fixed[c.i] & (net.mentor_of[c.i] != c.j)
    i, j = c.i[keep], c.j[keep]
    for a, b, bound in zip(i.tolist(), j.tolist(), short_cycles(net, i, j, net.arc_score(i, j))):
        oracle = pin_cost(result, a, b)
        if bound is None or not oracle.possible:
            continue
        assert not bound.exact and bound.method == "bound"
        assert (round(bound.matched, 6), round(bound.points, 6)) <= (round(oracle.matched, 6), round(oracle.points, 6))
