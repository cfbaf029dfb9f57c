"""Explanations: parts that add up, alternatives priced by real re-solves, reasons that
name rules, and never a person's gender or race."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import allowed_pairs, cohorts

import matching
from matching.examples import example_paths
from matching.scoring.rules import RULES

KEY = ["mentee_id", "mentor_id"]


@pytest.fixture(scope="module")
def explanations(base):
    return {mid: base.explain(mid) for mid in base.pairs["mentee_id"]}


def _solve(data, pins=None, **kw):
    return matching.match(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                          exclusions=data.get("exclusions"), pins=pins, **kw)


def _pins(*pairs) -> pd.DataFrame:
    return pd.DataFrame(list(pairs), columns=KEY)


def _assert_cost(cost, base, independent):
    """A reported cost equals the objective difference of an independent re-solve."""
    assert cost.possible
    assert cost.points == pytest.approx(independent.info.score - base.info.score, abs=1e-9)
    assert cost.matched == pytest.approx(independent.info.matched_priority - base.info.matched_priority, abs=1e-9)
    assert cost.mentees == independent.summary["pairs"] - base.summary["pairs"]


def test_parts_add_up_to_the_score(base, explanations):
    scores = base.pairs.set_index("mentee_id")["score"]
    for mid, why in explanations.items():
        units = [round(p.points * matching.RESOLUTION) for p in why.parts]
        assert sum(units) == round(why.score * matching.RESOLUTION) == round(scores[mid] * matching.RESOLUTION)
        assert why.mentor_id == base.mentor_of[mid]
        assert list(why.table.columns) == ["criterion", "value", "weight", "points"]
        for p in why.parts:  # points = weight * value, to the score unit
            assert p.points == pytest.approx(round(p.weight * p.value * matching.RESOLUTION) / matching.RESOLUTION)
        assert str(why).startswith(f"{mid} -> {why.mentor_id} (score ")


def test_plain_words(base, explanations):
    e001 = explanations["E001"]
    pair = base.pairs.set_index("mentee_id").loc["E001"]
    words = e001.headline
    assert f"mentor {pair['level_gap']} levels up" in words
    assert f"adjacent area: {pair['mentee_area']} -> {pair['mentor_area']} (" in words
    assert f"mentee's {['1st', '2nd', '3rd'][pair['preference_rank'] - 1]} choice" in words
    assert re.search(r"competencies: \d+ of \d+ goals met", words)
    for label in ("cross-KBU", "cross-gender", "cross-race"):
        assert re.search(label + r": (yes|no)(;|$)", words)
    assert ("cross-KBU: yes" in words) == bool(pair["is_cross_kbu"])


def test_alternatives_are_the_best_other_candidates(base, explanations):
    cands = matching.candidates(*(pd.read_csv(example_paths()[k], dtype=str) for k in ("mentees", "mentors")),
                                relatedness=pd.read_csv(example_paths()["relatedness"]))
    for mid, why in list(explanations.items())[:10]:
        mine = cands[(cands["mentee_id"] == mid) & (cands["mentor_id"] != why.mentor_id)]
        expect = mine.sort_values(["score", "mentor_id"], ascending=[False, True]).head(3)
        assert [a.mentor_id for a in why.alternatives] == list(expect["mentor_id"])
        assert [a.score for a in why.alternatives] == pytest.approx(list(expect["score"]))


@pytest.mark.parametrize("mentee", ["E001", "E002", "E012", "E030", "E045"])
def test_costs_equal_an_independent_resolve_with_the_pair_pinned(data, base, explanations, mentee):
    why = explanations[mentee]
    priced = [(a.mentor_id, a.cost) for a in why.alternatives] + \
             [(n.mentor_id, n.cost) for n in why.not_chosen if n.cost is not None]
    assert priced
    for mentor, cost in priced:
        independent = _solve(data, pins=_pins((mentee, mentor)))
        assert independent.mentor_of[mentee] == mentor
        _assert_cost(cost, base, independent)
        assert cost.points <= 0 and cost.matched <= 0  # the base result is optimal
        assert str(cost).endswith("points") or "moves" in str(cost)


def test_ranked_mentors_not_given_are_all_explained(data, base, explanations):
    prefs = pd.read_csv(example_paths()["mentees"], dtype=str, keep_default_na=False).set_index("id")["preferences"]
    for mid, why in explanations.items():
        ranked = [m for m in prefs[mid].split(";") if m]
        assert [n.mentor_id for n in why.not_chosen] == [m for m in ranked if m != why.mentor_id]
        assert [n.rank for n in why.not_chosen] == sorted(n.rank for n in why.not_chosen)
        for n in why.not_chosen:
            assert bool(n.broken) == (n.cost is None)
            for rule in n.broken:
                assert rule in RULES and f"'{rule}'" in n.reason
    blocked = [(mid, n) for mid, why in explanations.items() for n in why.not_chosen if n.broken][:3]
    assert blocked
    for mid, n in blocked:  # the same pin given to match() fails naming the same rule
        with pytest.raises(matching.PinError, match=re.escape(f"'{n.broken[0]}'")):
            _solve(data, pins=_pins((mid, n.mentor_id)))


def test_a_full_mentor_is_priced_by_displacement(explanations):
    full = [n for why in explanations.values() for n in why.not_chosen if n.cost and "is full" in n.reason]
    assert full and all(n.cost.possible and n.cost.moved >= 1 for n in full)


def test_impossible_pins_are_reported_not_raised(data, base):
    # E001's 1st choice M018 (capacity 1) goes to someone else; pin that pair so M018 is full of pins.
    holder = next(e for e, m in base.mentor_of.items() if m == "M018" and e != "E001")
    pinned = _solve(data, pins=_pins((holder, "M018"), ("E002", base.mentor_of["E002"])))
    why = pinned.explain("E001")
    m018 = next(n for n in why.not_chosen if n.mentor_id == "M018")
    assert not m018.cost.possible and "capacity 1" in m018.cost.problem and "impossible" in m018.reason
    own = pinned.explain("E002")
    assert own.pinned and "pinned by the committee" in str(own)
    assert own.alternatives and all(not a.cost.possible and "pinned" in a.cost.problem for a in own.alternatives)


def test_unknown_and_unmatched_mentees(base):
    with pytest.raises(matching.InputError, match="'NOPE'"):
        base.explain("NOPE")
    with pytest.raises(matching.InputError, match="'NOPE'"):
        base.explain_unmatched("NOPE")
    lonely = base.unmatched["mentee_id"].iloc[0]
    with pytest.raises(matching.MatchingError, match=re.escape(f"explain_unmatched('{lonely}')")):
        base.explain(lonely)
    with pytest.raises(matching.MatchingError, match=re.escape("explain('E001')")):
        base.explain_unmatched("E001")


STRICT = {"require_cross_kbu": True, "min_level_gap": 2, "max_level_gap": 4}


@pytest.fixture(scope="module")
def strict(data):
    return _solve(data, settings=STRICT)


def test_unmatched_funnel_and_relaxations_match_relaxed_settings(data, strict):
    """Mentors said to be allowed if one rule were relaxed are exactly those the relaxed
    settings add for that mentee."""
    s = matching.Settings.from_dict(STRICT)
    raw = {k: pd.read_csv(example_paths()[k]) for k in ("mentees", "mentors")}  # typed cells for the oracle
    allowed = allowed_pairs(raw, s)
    relaxed = {"same_area": s.replace(allow_same_area=True), "experience": s.replace(require_more_experience=False),
               "cross_kbu": s.replace(require_cross_kbu=False)}
    extra = {rule: allowed_pairs(raw, r) - allowed for rule, r in relaxed.items()}
    n_mentors = len(data["mentors"])
    assert len(strict.unmatched) >= 5
    for mid, code in zip(strict.unmatched["mentee_id"], strict.unmatched["code"]):
        why = strict.explain_unmatched(mid)
        assert why.code == code and str(why).startswith(f"{mid} is unmatched: ")
        allowed_here = {m for e, m in allowed if e == mid}
        assert sum(c for _, c in why.funnel) == n_mentors - len(allowed_here)
        assert set(why.full_mentors) == allowed_here
        got = {r.rule: set(r.mentor_ids) for r in why.relaxations}
        for rule in relaxed:
            assert got.get(rule, set()) == {m for e, m in extra[rule] if e == mid}, (mid, rule)
        for rule, ids in why.blocked:
            assert rule in RULES and ids


def test_capacity_option_costs_equal_an_independent_resolve(data, base):
    mid = base.unmatched.loc[base.unmatched["code"] == "capacity_exhausted", "mentee_id"].iloc[0]
    why = base.explain_unmatched(mid)
    assert why.capacity_options and f"{why.capacity_options[0].mentor_id}'s capacity by 1" in str(why)
    option = why.capacity_options[0]
    mentors = data["mentors"].copy()
    row = mentors["id"] == option.mentor_id
    mentors.loc[row, "capacity"] = str(int(mentors.loc[row, "capacity"].iloc[0]) + 1)
    independent = _solve({**data, "mentors": mentors}, pins=_pins((mid, option.mentor_id)))
    _assert_cost(option.cost, base, independent)
    assert option.cost.mentees == 1


def _gender_race_values():
    genders, races = set(), set()
    for key in ("mentees", "mentors"):
        raw = pd.read_csv(example_paths()[key], dtype=str, keep_default_na=False)
        genders |= {v.strip() for v in raw["gender"] if v.strip()}
        races |= {v.strip() for v in raw["race"] if v.strip()}
    return genders, races


def test_explanations_never_name_a_gender_or_race(base, strict, explanations):
    genders, races = _gender_race_values()
    assert {"F", "M"} <= genders and "White" in races
    texts = [str(why) for why in explanations.values()]
    texts += [str(r.explain_unmatched(mid)) for r in (base, strict) for mid in r.unmatched["mentee_id"]]
    texts += [str(strict.explain(mid)) for mid in strict.pairs["mentee_id"][:10]]
    for text in texts:
        for race in races:
            assert not re.search(rf"\b{re.escape(race)}\b", text, flags=re.IGNORECASE), race
        tokens = set(re.split(r"[^\w]+", text))
        assert not tokens & genders
        rest = re.sub(r"cross-(gender|race): (yes|no)", "", text)
        assert not re.search(r"\b(gender|race|sex|ethnicity)\b", rest, flags=re.IGNORECASE)


@settings(max_examples=15)
@given(data=cohorts(min_mentees=2, max_mentees=7, min_mentors=2, max_mentors=5), pick=st.integers(0, 100))
def test_property_parts_and_costs_on_generated_cohorts(data, pick):
    base = _solve(data)
    if not len(base.pairs):
        return
    mid = base.pairs["mentee_id"].iloc[pick % len(base.pairs)]
    why = base.explain(mid)
    assert sum(round(p.points * matching.RESOLUTION) for p in why.parts) == round(
        base.pairs.set_index("mentee_id").loc[mid, "score"] * matching.RESOLUTION)
    for alt in why.alternatives[:2]:
        independent = _solve(data, pins=_pins((mid, alt.mentor_id)))
        _assert_cost(alt.cost, base, independent)
    for mid in base.unmatched["mentee_id"][:2]:
        assert str(base.explain_unmatched(mid)).startswith(f"{mid} is unmatched")


def test_unpriced_explanations_skip_the_resolves(base, explanations):
    for mid in ("E001", "E012"):
        quick, full = base.explain(mid, price=False), explanations[mid]
        assert quick.parts == full.parts and quick.headline == full.headline
        assert [a.mentor_id for a in quick.alternatives] == [a.mentor_id for a in full.alternatives]
        assert all(a.cost is None for a in quick.alternatives)
        assert all(n.cost is None and (n.broken or "not priced" in n.reason) for n in quick.not_chosen)
