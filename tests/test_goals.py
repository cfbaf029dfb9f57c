"""Goal parsing, plain-words descriptions, evaluation, and the pre-solve diagnosis."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

import matching
from matching.cohort.goals import describe_goal, evaluate_goals, parse_goals, percent, target_problems
from matching.cohort.settings import Settings
from matching.cohort.validate import load_cohort


@given(st.just(0.0) | st.floats(1e-4, 1, allow_nan=False))  # below 1e-4 (but 0) is refused: test_robustness
def test_share_targets_parse_exactly_and_never_round_up(x):
    goal = parse_goals({"cross_kbu": x}).shares[0]
    assert goal.share == Fraction(repr(x)) and goal.weight is None
    shown = float(percent(x).rstrip("%")) / 100
    assert shown <= x + 1e-12


def test_rich_form_parses():
    g = parse_goals({"top3": {"min": 0.7, "weight": 2}, "max_same_kbu_per_mentor": 1,
                     "max_mentor_kbu_share": {"max": 0.3, "weight": 1}, "fairness": "maximin",
                     "max_rank_lag": {"max": 0.5, "by": ["kbu"]}})
    assert g.maximin and g.rank_lag.by == ("kbu",) and g.rank_lag.lag == Fraction(1, 2)
    assert [x.name for x in g.hard] == ["max_same_kbu_per_mentor", "max_rank_lag"]
    assert describe_goal(g.shares[0]) == "the soft 70% top-3-choice target"
    assert bool(parse_goals({})) is False


@pytest.mark.parametrize("targets, key", [
    ({"cross_kbu": 2}, "cross_kbu"), ({"top3": "high"}, "top3"), ({"top0": 0.5}, "top0"),
    ({"max_same_kbu_per_mentor": 0}, "max_same_kbu_per_mentor"), ({"fairness": "rawls"}, "fairness"),
    ({"max_rank_lag": {"max": 1, "by": ["age"]}}, "max_rank_lag"), ({"cross_race": {"weight": 1}}, "cross_race"),
])
def test_every_bad_goal_is_named(targets, key):
    problems = target_problems(targets)
    assert problems and all(p["column"] == f"targets.{key}" for p in problems)
    with pytest.raises(matching.SettingsError):
        Settings(targets=targets)


def test_targets_from_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[targets]\ncross_kbu = 0.6\n[targets.top3]\nmin = 0.7\nweight = 2.0\n')
    s = Settings.from_toml(path)
    assert parse_goals(s.targets).shares[1].weight == 2.0
    assert Settings.from_dict(s.to_dict()).targets == s.targets


def test_evaluate_counts_shares_like_the_summary():
    data = matching.load_example()
    res = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    cohort = load_cohort(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    goals = parse_goals({"cross_kbu": 0.1, "top3": 0.99, "cross_gender": 0.2})
    mentor_of = np.full(len(cohort.mentees), -1)
    mentor_of[cohort.mentee_index(res.pairs["mentee_id"])] = cohort.mentor_index(res.pairs["mentor_id"])
    rows = {r["goal"]: r for r in evaluate_goals(cohort, Settings(), goals, mentor_of)}
    assert rows["cross_kbu"]["value"] == res.summary["cross_kbu_share"]
    assert rows["top3"]["value"] == res.summary["preferences"]["top3_share"]
    assert rows["cross_kbu"]["missed_by"] == 0 and rows["top3"]["missed_by"] > 0


def test_diagnose_names_mentees_without_a_mentor_and_no_protected_words():
    data = matching.load_example()
    d = matching.diagnose(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    assert d.no_mentor == ("E055",)
    row = d.mentees.set_index("mentee_id").loc["E055"]
    assert row["eligible_mentors"] == 0 and row["top_rule"] in set(d.rules["rule"])
    assert len(d.mentees) == len(data["mentees"])
    assert d.top_rule == d.rules.sort_values("pairs_removed").iloc[-1]["rule"]
    text = d.text.lower()
    assert "gender" not in text and "race" not in text and "E055" in d.text
    table = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    counts = table.groupby("mentee_id").size()
    got = d.mentees.set_index("mentee_id")["eligible_mentors"]
    assert (got[got > 0] == counts.reindex(got[got > 0].index)).all()


def test_goal_time_limit_counts_from_the_start_of_the_solve():
    """Validation and scoring time come off a goal's time limit (end to end within it);
    plain matches keep their settings untouched."""
    import time

    from matching.cohort.settings import Settings
    from matching.review.solve import RESULT_SECONDS, _budget

    plain = Settings(time_limit=30)
    assert _budget(plain, {"validate": 5.0}, time.perf_counter()) is plain
    goal = Settings(time_limit=30, targets={"max_rank_lag": 0.2})
    left = _budget(goal, {"validate": 5.0}, time.perf_counter() - 2.0).time_limit
    assert left <= 30 - 7 - RESULT_SECONDS + 0.01 and left >= 30 - 7.5 - RESULT_SECONDS
    assert _budget(goal, {"validate": 100.0}, time.perf_counter()).time_limit == 1.0
