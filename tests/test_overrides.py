"""Committee overrides: pins and bans added to a result, re-solved, recorded and diffed."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import allowed_pairs, cohorts, valid_pins

import matching
from matching.review.overrides import DIFF_COLUMNS, OVERRIDE_COLUMNS

KEY = ["mentee_id", "mentor_id"]


def _solve(data, *, pins=None, exclusions=None):
    return matching.match(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                          exclusions=exclusions, pins=pins)


def _frame(pairs, **cols) -> pd.DataFrame:
    frame = pd.DataFrame(list(pairs), columns=KEY)
    for k, v in cols.items():
        frame[k] = v
    return frame


def expected_diff(new: dict, old: dict) -> dict:
    """Independent oracle: mentee -> (old mentor, new mentor, change) from two mentor_of dicts."""
    out = {}
    for mentee in set(new) | set(old):
        a, b = old.get(mentee), new.get(mentee)
        if a != b:
            out[mentee] = (a, b, "new" if a is None else "removed" if b is None else "moved")
    return out


def _as_dict(diff: pd.DataFrame) -> dict:
    return {r.mentee_id: (r.old_mentor_id, r.new_mentor_id, r.change) for r in diff.itertuples()}


def _a_move(base, data):
    """A valid pin that moves someone: a mentee's ranked, allowed mentor they did not get."""
    why = base.explain("E001")
    return next(n.mentor_id for n in why.not_chosen if n.cost is not None)


def test_pin_is_in_the_new_result_and_the_old_is_unchanged(data, base):
    before = dict(base.mentor_of)
    mentor = _a_move(base, data)
    new = base.with_pins([("E001", mentor)], reason="asked for a Fire mentor", decided_by="committee 2024-05")
    assert new is not base and new.mentor_of["E001"] == mentor
    assert base.mentor_of == before and base.overrides.empty
    assert new.pairs.set_index("mentee_id").loc["E001", "pinned"]
    log = new.overrides
    assert list(log.columns) == list(OVERRIDE_COLUMNS)
    assert log.to_dict("records") == [{"kind": "pin", "mentee_id": "E001", "mentor_id": mentor,
                                       "reason": "asked for a Fire mentor", "decided_by": "committee 2024-05"}]
    assert new.info.input_hash != base.info.input_hash
    assert new.info.extra["previous_input_hash"] == base.info.input_hash


def test_ban_is_not_in_the_new_result(base):
    pair = ("E001", base.mentor_of["E001"])
    new = base.with_exclusions(_frame([pair], reason="conflict of interest"), decided_by="chair")
    assert new.mentor_of.get("E001") != pair[1]
    assert not ((new.pairs["mentee_id"] == pair[0]) & (new.pairs["mentor_id"] == pair[1])).any()
    assert new.overrides.iloc[0].to_dict() == {"kind": "exclusion", "mentee_id": "E001", "mentor_id": pair[1],
                                               "reason": "conflict of interest", "decided_by": "chair"}


def test_diff_lists_exactly_what_changed(data, base):
    mentor = _a_move(base, data)
    new = base.with_pins([("E001", mentor)])
    diff = new.diff(base)
    assert list(diff.columns) == list(DIFF_COLUMNS)
    assert _as_dict(diff) == expected_diff(new.mentor_of, base.mentor_of) and len(diff)
    old_scores = base.pairs.set_index("mentee_id")["score"]
    new_scores = new.pairs.set_index("mentee_id")["score"]
    for r in diff.itertuples():
        assert r.score_delta == pytest.approx(new_scores.get(r.mentee_id, 0.0) - old_scores.get(r.mentee_id, 0.0))
    assert base.diff(base).empty
    assert _as_dict(base.diff(new)) == expected_diff(base.mentor_of, new.mentor_of)


def test_overrides_accumulate_and_match_an_independent_solve(data, base):
    mentor = _a_move(base, data)
    ban = ("E002", base.mentor_of["E002"])
    step1 = base.with_pins(_frame([("E001", mentor)], reason="r1", decided_by="ann"))
    step2 = step1.with_exclusions([ban], reason="r2", decided_by="bob")
    log = step2.overrides
    assert list(zip(log["kind"], log["mentee_id"], log["mentor_id"], log["reason"], log["decided_by"])) == [
        ("pin", "E001", mentor, "r1", "ann"), ("exclusion", *ban, "r2", "bob")]
    independent = _solve(data, pins=_frame([("E001", mentor)], reason="r1"),
                         exclusions=_frame([ban], reason="r2"))
    assert step2.info.score == pytest.approx(independent.info.score)
    assert step2.info.matched_priority == pytest.approx(independent.info.matched_priority)
    assert step2.info.input_hash == independent.info.input_hash
    assert step2.mentor_of["E001"] == mentor and step2.mentor_of.get("E002") != ban[1]


def test_input_forms(base):
    a = base.with_pins([("E001", base.mentor_of["E001"])], reason="keep")
    b = base.with_pins({"E001": base.mentor_of["E001"]}, reason="keep")
    c = base.with_pins(("E001", base.mentor_of["E001"]), reason="keep")
    assert a.mentor_of == b.mentor_of == c.mentor_of
    assert a.overrides.equals(b.overrides) and a.overrides.equals(c.overrides)
    with pytest.raises(matching.InputError, match="list of"):
        base.with_pins(42)
    with pytest.raises(matching.InputError, match="mentor_id"):
        base.with_pins(pd.DataFrame({"mentee_id": ["E001"]}))


def test_validation_errors_list_every_problem(base):
    with pytest.raises(matching.InputError) as err:
        base.with_pins([("NOPE", "M001"), ("E001", "ALSO_NOPE")])
    assert set(err.value.failure_cases["id"]) == {"NOPE", "ALSO_NOPE"}
    with pytest.raises(matching.InputError, match="pinned twice"):
        base.with_pins([("E003", "M002"), ("E003", "M006")])
    pinned = base.with_pins([("E003", base.mentor_of["E003"])])
    other = next(m for m in ("M002", "M006", "M010") if m != base.mentor_of["E003"])
    with pytest.raises(matching.InputError, match="pinned twice"):
        pinned.with_pins([("E003", other)])
    with pytest.raises(matching.InputError, match="both pinned and excluded"):
        pinned.with_exclusions([("E003", base.mentor_of["E003"])])
    banned = base.with_exclusions([("E001", "M018")])
    with pytest.raises(matching.InputError, match="both pinned and excluded"):
        banned.with_pins([("E001", "M018")])


def test_a_pin_breaking_a_rule_is_a_pin_error_naming_it(base):
    with pytest.raises(matching.PinError, match="'same_area'"):
        base.with_pins([("E001", "M014")])  # both work in Police


def test_re_adding_a_pin_is_harmless(base):
    once = base.with_pins([("E001", base.mentor_of["E001"])])
    twice = once.with_pins([("E001", base.mentor_of["E001"])])
    assert twice.mentor_of == once.mentor_of and len(twice.cohort.pins) == 1


@settings(max_examples=20)
@given(data=cohorts(min_mentees=1, max_mentees=7, min_mentors=1, max_mentors=5, with_exclusions=False),
       draw=st.data())
def test_property_overrides_equal_an_independent_solve(data, draw):
    base = _solve(data)
    pins = draw.draw(valid_pins(data))
    allowed = sorted(allowed_pairs(data))
    pinned = set() if pins is None else set(zip(pins["mentee_id"], pins["mentor_id"]))
    bans = draw.draw(st.lists(st.sampled_from(allowed), max_size=3, unique=True)) if allowed else []
    bans = [b for b in bans if b not in pinned]
    new = base
    if pins is not None and len(pins):
        new = new.with_pins(pins)
    if bans:
        new = new.with_exclusions(bans)
    independent = _solve(data, pins=pins if pins is not None and len(pins) else None,
                         exclusions=_frame(bans) if bans else None)
    assert new.info.score == pytest.approx(independent.info.score)
    assert new.info.matched_priority == pytest.approx(independent.info.matched_priority)
    assert all(new.mentor_of.get(e) == m for e, m in pinned)
    assert not any(new.mentor_of.get(e) == m for e, m in bans)
    assert _as_dict(new.diff(base)) == expected_diff(new.mentor_of, base.mentor_of)
    assert len(new.overrides) == len(pinned) + len(bans)
