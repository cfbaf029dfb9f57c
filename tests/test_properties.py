"""Property-based tests of the core engine on generated valid cohorts.

Every expectation is computed independently from the raw DataFrames (see
``strategies.allowed_pairs``), never through ``matching.scoring.rules``.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import allowed_pairs, cohorts, parse_list, records, settings_dicts, shuffled, valid_pins

import matching
from conftest import ROOT
from matching.cohort.settings import BUILTIN_CRITERIA

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_cohort  # noqa: E402

KEY = ["mentee_id", "mentor_id"]


@st.composite
def cohort_and_settings(draw, **kw):
    """A cohort, settings varying every hard rule, and pins valid for those settings."""
    data = draw(cohorts(**kw))
    s = matching.Settings.from_dict(draw(settings_dicts()))
    data["pins"] = draw(valid_pins(data, s))
    return data, s


def _pairs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["mentee_id"].astype(str), frame["mentor_id"].astype(str)))


def _criteria(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in BUILTIN_CRITERIA]


def _units(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * matching.RESOLUTION).astype(np.int64)


@settings(max_examples=100)
@given(cohort_and_settings())
def test_result_properties(case):
    """One solve per example, every property checked on it (keeps the suite fast)."""
    data, s = case
    result = matching.match(**data, settings=s)
    cand = matching.candidates(**data, settings=s)
    _check_rules_capacities_pins(data, s, result)
    _check_accounting(data, result)
    _check_scores(data, s, result, cand)
    _check_unmatched_codes(data, result, cand)


def _check_rules_capacities_pins(data, s, result):
    """No hard rule broken (exclusions and pins included); capacities hold; pins honoured."""
    mentors = records(data["mentors"])
    pairs = _pairs(result.pairs)
    assert set(pairs) <= allowed_pairs(data, s)
    load = Counter(m for _, m in pairs)
    assert all(load[m] <= int(mentors[m]["capacity"]) for m in load)
    if data["pins"] is not None:
        assert set(_pairs(data["pins"])) <= set(pairs)
        pinned = set(_pairs(data["pins"]))
        assert [p in pinned for p in pairs] == result.pairs["pinned"].tolist()


def _check_accounting(data, result):
    """Every mentee exactly once in pairs + unmatched (with a reason); every mentor once."""
    mentees, mentors = records(data["mentees"]), records(data["mentors"])
    pairs = _pairs(result.pairs)
    load = Counter(m for _, m in pairs)
    seen = [e for e, _ in pairs] + list(result.unmatched["mentee_id"].astype(str))
    assert sorted(seen) == sorted(mentees)
    assert sorted(result.mentors["mentor_id"].astype(str)) == sorted(mentors)
    assert all(isinstance(r, str) and r.strip() for r in result.unmatched["reason"])
    table = result.mentors.set_index(result.mentors["mentor_id"].astype(str))
    for m, rec in mentors.items():
        assert table.loc[m, "capacity"] == int(rec["capacity"])
        assert table.loc[m, "assigned"] == load[m]
        assert table.loc[m, "spare"] == int(rec["capacity"]) - load[m]
    assert result.summary["pairs"] + result.summary["unmatched"] == result.summary["mentees"] == len(mentees)


def _check_scores(data, s, result, cand):
    """Parts add up to the score in integer units; pairs' scores equal the candidate table's."""
    for frame in (result.pairs, cand):
        names = _criteria(frame)
        assert names == list(BUILTIN_CRITERIA)
        parts = sum((_units(frame[c]) for c in names), np.zeros(len(frame), np.int64))
        assert (parts == _units(frame["score"])).all()
    # the candidate table is exactly the allowed pairs (pins do not narrow it)
    assert set(_pairs(cand)) == allowed_pairs(data, s)
    assert not cand.duplicated(KEY).any()
    merged = result.pairs.merge(cand, on=KEY, how="left", suffixes=("", "_cand"), validate="one_to_one")
    assert merged["score_cand"].notna().all()
    assert (_units(merged["score"]) == _units(merged["score_cand"])).all()
    for c in BUILTIN_CRITERIA:
        assert (_units(merged[c]) == _units(merged[c + "_cand"])).all()
    # the objective is the sum of the pairs' scores
    assert _units(result.pairs["score"]).sum() == _units(result.info.score)


def _check_unmatched_codes(data, result, cand):
    """capacity_exhausted: every candidate mentor is full; no_eligible_mentor: no candidate."""
    mentees, mentors = records(data["mentees"]), records(data["mentors"])
    load = Counter(result.pairs["mentor_id"].astype(str))
    options: dict[str, list[str]] = {}
    for e, m in _pairs(cand):
        options.setdefault(e, []).append(m)
    for e, code in zip(result.unmatched["mentee_id"].astype(str), result.unmatched["code"]):
        if code == "ineligible":
            assert mentees[e]["eligible"] is False
        elif code == "no_eligible_mentor":
            assert e not in options
        else:
            assert code == "capacity_exhausted"
            assert options[e]
            assert all(load[m] == int(mentors[m]["capacity"]) for m in options[e])


@settings(max_examples=40)
@given(cohort_and_settings(), st.integers(0, 2**32 - 1))
def test_row_and_column_order_change_nothing(case, seed):
    """Shuffling every input table's rows and columns yields the identical result."""
    data, s = case
    a = matching.match(**data, settings=s)
    moved = {k: shuffled(v, seed + n) for n, (k, v) in enumerate(data.items())}
    b = matching.match(**moved, settings=s)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    pd.testing.assert_frame_equal(a.unmatched, b.unmatched)
    pd.testing.assert_frame_equal(a.mentors, b.mentors)
    assert a.info.input_hash == b.info.input_hash
    assert (a.info.matched_priority, a.info.score) == (b.info.matched_priority, b.info.score)
    pd.testing.assert_frame_equal(matching.candidates(**data, settings=s),
                                  matching.candidates(**moved, settings=s))


def _expected_parts(data, s, e, m) -> dict[str, float]:
    """Each built-in criterion's weighted value for one pair, from the raw frames."""
    E, M = records(data["mentees"])[e], records(data["mentors"])[m]
    lo, hi = s.preferred_gap
    gap = int(M["level"]) - int(E["level"])
    rel = {}
    if data["relatedness"] is not None:
        for a, b, v in data["relatedness"].itertuples(index=False):
            rel[(a, b)] = rel[(b, a)] = float(v)
    related = 1.0 if E["area"] == M["area"] else rel.get((E["area"], M["area"]), s.default_relatedness)
    prefs = parse_list(E["preferences"])
    rank = prefs.index(m) + 1 if m in prefs else 0
    depth = s.preference_depth
    goals = {g.casefold() for g in parse_list(E["competencies"])}
    strengths = {g.casefold() for g in parse_list(M["competencies"])}
    cross = lambda k: float(E.get(k) is not None and M.get(k) is not None and E[k] != M[k])  # noqa: E731
    values = {
        "seniority": min(1.0, max(0.0, 1 - s.gap_decay * max(lo - gap, gap - hi, 0))),
        "relatedness": related,
        "preference": max(0.0, (depth - rank + 1) / depth) if rank else 0.0,
        "competency": len(goals & strengths) / len(goals) if goals else 0.0,
        "cross_kbu": float(E["kbu"] != M["kbu"]),
        "cross_gender": cross("gender"),
        "cross_race": cross("race"),
    }
    return {k: s.weight(k) * v for k, v in values.items()}


@settings(max_examples=30)
@given(cohort_and_settings(max_mentees=6, max_mentors=5))
def test_criteria_parts_follow_their_definitions(case):
    """Each part of each candidate is its documented criterion value times its weight."""
    data, s = case
    cand = matching.candidates(**data, settings=s)
    raw = records(data["mentees"])
    for row in cand.to_dict("records"):
        e, m = str(row["mentee_id"]), str(row["mentor_id"])
        for name, value in _expected_parts(data, s, e, m).items():
            assert abs(row[name] - value) <= 1.0 / matching.RESOLUTION, (name, e, m, row[name], value)
        prefs = parse_list(raw[e]["preferences"])
        rank = row["preference_rank"]
        assert (prefs.index(m) + 1 if m in prefs else None) == (None if pd.isna(rank) else int(rank))


@pytest.mark.parametrize("seed", [0, 1])
def test_generated_cohort_invariants(seed):
    """The same invariants on a realistic generated cohort (benchmarks/generate.py)."""
    mentees, mentors, rel = make_cohort(120, seed=seed, collide=True)
    data = {"mentees": mentees, "mentors": mentors, "relatedness": rel, "exclusions": None, "pins": None}
    result = matching.match(**data)
    assert set(_pairs(result.pairs)) <= allowed_pairs(data)
    load = Counter(result.pairs["mentor_id"])
    cap = dict(zip(mentors["id"], mentors["capacity"]))
    assert all(load[m] <= cap[m] for m in load)
    assert sorted(list(result.pairs["mentee_id"]) + list(result.unmatched["mentee_id"].astype(str))) == \
        sorted(mentees["id"])
