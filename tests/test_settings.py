"""Settings: building, round trips, presets, error messages, and what each setting does."""

from __future__ import annotations

import json

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from strategies import allowed_pairs, cohorts, settings_dicts

import matching
from matching import Settings, SettingsError
from matching.cohort.settings import BUILTIN_CRITERIA, PRESETS


def _toml(values: dict) -> str:
    """A tiny TOML writer for flat settings plus a [weights] / [targets] table."""

    def lit(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)  # TOML basic strings take JSON's escapes ("\n", "\u2019")
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {lit(v)}" for k, v in values.items() if not isinstance(v, dict) and v is not None]
    for table in ("weights", "targets"):
        if values.get(table):
            lines.append(f"[{table}]")
            lines += [f"{k} = {lit(v)}" for k, v in values[table].items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- building and round trips
def test_defaults_documented():
    s = Settings()
    assert (s.min_level_gap, s.max_level_gap, s.require_more_experience, s.allow_same_area,
            s.require_cross_kbu) == (1, None, True, False, False)
    assert s.weights == {"seniority": 1.0, "relatedness": 2.0, "preference": 3.0, "mentor_preference": 1.0,
                         "competency": 1.0,
                         "cross_kbu": 1.0, "cross_gender": 0.5, "cross_race": 0.5}
    assert s.weight("a_user_criterion") == 1.0


@settings(max_examples=50)
@given(settings_dicts())
def test_dict_round_trip(values):
    s = Settings.from_dict(values)
    assert Settings.from_dict(s.to_dict()) == s
    assert Settings.coerce(s.to_dict()) == s
    for k, v in values.items():
        if k != "weights":
            assert getattr(s, k) == v
    assert all(s.weight(k) == v for k, v in values["weights"].items())


@settings(max_examples=20)
@given(settings_dicts())
def test_toml_round_trip(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("toml") / "settings.toml"
    path.write_text(_toml(values))
    assert Settings.from_toml(path) == Settings.from_dict(values)
    assert Settings.coerce(path) == Settings.coerce(str(path)) == Settings.from_dict(values)
    full = Settings.from_dict(values).to_dict()
    path.write_text(_toml(full))
    assert Settings.from_toml(path) == Settings.from_dict(values)


def test_toml_with_preset_and_weights(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('preset = "strict"\nmin_level_gap = 2\n[weights]\ncross_kbu = 0\nsite = 4.5\n')
    s = Settings.from_toml(path)
    assert s.require_cross_kbu is True and s.min_level_gap == 2
    assert s.weight("cross_kbu") == 0 and s.weight("site") == 4.5 and s.weight("preference") == 3.0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets(name):
    s = Settings.coerce(name)
    assert s == Settings.from_dict({"preset": name})
    for key, value in PRESETS[name].items():
        if key == "weights":
            assert all(s.weight(k) == v for k, v in value.items())
        else:
            assert getattr(s, key) == value
    # a preset is a starting point: explicit values win
    t = Settings.from_dict({"preset": name, "min_level_gap": 3, "weights": {"cross_race": 7}})
    assert t.min_level_gap == 3 and t.weight("cross_race") == 7.0
    assert Settings.from_dict(t.to_dict()) == t


def test_assignment_preset_turns_everything_off():
    s = Settings.coerce("assignment")
    assert all(s.weight(c) == 0 for c in BUILTIN_CRITERIA)
    assert (s.min_level_gap, s.require_more_experience, s.allow_same_area) == (0, False, True)


def test_coerce():
    s = Settings(min_level_gap=2)
    assert Settings.coerce(s) is s
    assert Settings.coerce(None) == Settings()
    assert Settings.coerce({"min_level_gap": 2}) == s
    with pytest.raises(SettingsError, match="Got int instead"):
        Settings.coerce(3)
    with pytest.raises(SettingsError, match="settings file not found"):
        Settings.coerce("no_such_preset_or_file.toml")


def test_replace_is_checked():
    s = Settings()
    assert s.replace(min_level_gap=0).min_level_gap == 0
    with pytest.raises(SettingsError, match="min_level_gap"):
        s.replace(min_level_gap=-1)


def test_frozen():
    with pytest.raises(AttributeError):
        Settings().min_level_gap = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- errors
BAD = [
    ("min_level_gap", -1, "an int >= 0"),
    ("min_level_gap", 1.5, "an int >= 0"),
    ("min_level_gap", True, "an int >= 0"),
    ("max_level_gap", 0, "None or an int >= 1"),
    ("max_level_gap", "2", "None or an int >= 1"),
    ("require_more_experience", "yes", "a bool"),
    ("allow_same_area", 1, "a bool"),
    ("require_cross_kbu", None, "a bool"),
    ("preferred_gap", (3, 1), "a pair of ints (low, high) with 0 <= low <= high"),
    ("preferred_gap", (1, 2, 3), "a pair of ints (low, high) with 0 <= low <= high"),
    ("preferred_gap", "12", "a pair of ints (low, high) with 0 <= low <= high"),
    ("gap_decay", 1.5, "a float in [0, 1]"),
    ("gap_decay", math.nan, "a float in [0, 1]"),
    ("default_relatedness", -0.1, "a float in [0, 1]"),
    ("kbu_relatedness", 2, "None or a float in [0, 1]"),
    ("preference_depth", 0, "an int in [1, 1000]"),
    ("preference_depth", 1001, "an int in [1, 1000]"),
    ("weights", "abc", "a dict of name -> float"),
    ("targets", [1], "a dict"),
    ("solver", "gurobi", "one of 'auto', 'flow', 'cpsat'"),
    ("time_limit", 0, "a float > 0"),
    ("time_limit", math.inf, "a float > 0"),
    ("workers", 0, "an int in [1, 64]"),
    ("workers", 65, "an int in [1, 64]"),
    ("seed", -3, "an int >= 0"),
    ("min_group_size", 0, "an int >= 1"),
]


@pytest.mark.parametrize("name,value,expected", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_every_bad_value_is_named(name, value, expected):
    message = f"The '{name}' setting must be {expected}. Got {value!r} instead."
    for build in (lambda: Settings.from_dict({name: value}), lambda: Settings(**{name: value})):
        with pytest.raises(SettingsError) as info:
            build()
        assert isinstance(info.value, matching.MatchingError) and isinstance(info.value, ValueError)
        assert message in str(info.value)
        cases = info.value.failure_cases
        assert list(cases["column"]) == [name] and list(cases["problem"]) == [message]


def test_sklearn_style_message_exact():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"min_level_gap": -1})
    assert "The 'min_level_gap' setting must be an int >= 0. Got -1 instead." in str(info.value)


@pytest.mark.parametrize("weight", [math.nan, math.inf, 1e9, "2", True, None])
def test_bad_weight_named(weight):
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"weights": {"cross_kbu": 1, "site": weight}})
    assert list(info.value.failure_cases["column"]) == ["weights.site"]
    assert f"Got {weight!r} instead." in str(info.value)


def test_max_gap_below_min_gap():
    with pytest.raises(SettingsError, match=r"The 'max_level_gap' setting must be None or >= min_level_gap \(2\)"):
        Settings.from_dict({"min_level_gap": 2, "max_level_gap": 1})


def test_all_problems_listed_together():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"min_level_gap": -1, "workers": 0, "solver": "x", "weights": {"a": math.nan, "b": 1e7}})
    columns = set(info.value.failure_cases["column"])
    assert columns == {"min_level_gap", "workers", "solver", "weights.a", "weights.b"}
    assert str(info.value).startswith("5 problems in the input:")


def test_unknown_keys_named():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"min_gap": 1, "wieghts": {}})
    cases = info.value.failure_cases
    assert set(cases["column"]) == {"min_gap", "wieghts"}
    assert "Unknown setting 'min_gap'" in str(info.value) and "Unknown setting 'wieghts'" in str(info.value)
    assert "min_level_gap" in str(info.value)  # the known settings are listed


def test_bad_preset_named():
    with pytest.raises(SettingsError, match="The 'preset' setting must be one of"):
        Settings.from_dict({"preset": "fastest"})


def test_unknown_keys_and_bad_values_listed_together():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"foo": 1, "min_level_gap": -1})
    assert set(info.value.failure_cases["column"]) == {"foo", "min_level_gap"}


def test_bad_preset_and_unknown_key_listed_together():
    with pytest.raises(SettingsError) as info:
        Settings.from_dict({"preset": "nope", "foo": 1})
    assert set(info.value.failure_cases["column"]) == {"preset", "foo"}


@pytest.mark.parametrize("weights", [0, [], ""])
def test_falsy_non_dict_weights_rejected(weights):
    with pytest.raises(SettingsError, match="The 'weights' setting must be a dict"):
        Settings.from_dict({"weights": weights})


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("min_level_gap = = 1\n")
    with pytest.raises(SettingsError, match="not valid TOML") as info:
        Settings.from_toml(bad)
    assert info.value.failure_cases["file"].tolist() == [str(bad)]
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("min_level_gap = -1\nworkers = 0\n")
    with pytest.raises(SettingsError) as info:
        Settings.from_toml(wrong)
    assert info.value.failure_cases["file"].tolist() == [str(wrong)] * 2
    with pytest.raises(SettingsError, match="settings file not found"):
        Settings.from_toml(tmp_path / "absent.toml")


def test_match_reports_settings_error_before_reading_data():
    with pytest.raises(SettingsError):
        matching.match(pd.DataFrame(), pd.DataFrame(), settings={"min_level_gap": -1})


# --------------------------------------------------------------------------- what settings do
def _people():
    """Mentees E1 (level 1, area A, KBU K1, 3 years) and E2 (level 3, area B, KBU K1).

    Mentors across levels, areas and KBUs, so every hard rule matters.
    """
    mentees = pd.DataFrame({"id": ["E1", "E2"], "level": [1, 3], "area": ["A", "B"], "kbu": ["K1", "K1"],
                            "years_experience": [3, 10], "gender": ["F", "M"], "race": ["R1", None],
                            "preferences": ["M2;M3", "M5"], "competencies": ["Builds Trust", "Drives Results"]})
    mentors = pd.DataFrame({"id": ["M1", "M2", "M3", "M4", "M5", "M6"],
                            "level": [1, 2, 3, 5, 5, 6],
                            "area": ["C", "A", "C", "C", "B", "A"],
                            "kbu": ["K2", "K1", "K1", "K2", "K1", "K1"],
                            "years_experience": [9, 2, 5, None, 12, 20],
                            "gender": ["M", "F", None, "F", "M", "M"], "race": ["R2", "R1", "R2", None, "R1", "R3"],
                            "capacity": [1, 1, 1, 1, 1, 1],
                            "competencies": ["Builds Trust", "", "Builds Trust;Drives Results", "Drives Results", "",
                                             "Drives Results"],
                            "preferences": ["", "", "E1;E2", "E2", "", ""]})
    return {"mentees": mentees, "mentors": mentors}


def _allowed(values: dict) -> set:
    return set(zip(*[matching.candidates(**_people(), settings=values)[c].astype(str) for c in ("mentee_id",
                                                                                                 "mentor_id")]))


def test_defaults_hard_rules_by_hand():
    # E1 (level 1, area A, 3 yrs): M1 gap 0; M2 same area; M3 ok (5 > 3 yrs); M4 ok (years unknown);
    # M5 ok; M6 same area.  E2 (level 3, area B, 10 yrs): M4 ok (gap 2, years unknown); M5 same area;
    # M6 gap 3 ok, 20 > 10 yrs, area A ok.
    assert _allowed({}) == {("E1", "M3"), ("E1", "M4"), ("E1", "M5"), ("E2", "M4"), ("E2", "M6")}


def test_min_level_gap():
    assert ("E1", "M1") in _allowed({"min_level_gap": 0})
    assert _allowed({"min_level_gap": 3}) == {("E1", "M4"), ("E1", "M5"), ("E2", "M6")}
    assert _allowed({"min_level_gap": 5}) == set()


def test_max_level_gap():
    assert _allowed({"max_level_gap": 2}) == {("E1", "M3"), ("E2", "M4")}


def test_allow_same_area():
    lifted = _allowed({"allow_same_area": True})
    assert lifted - _allowed({}) == {("E1", "M6"), ("E2", "M5")}  # E1-M2 still fails experience


def test_require_cross_kbu():
    assert _allowed({"require_cross_kbu": True}) == {("E1", "M4"), ("E2", "M4")}


def test_require_more_experience():
    # E1 (3 yrs) vs M2 (2 yrs, same area): only the area keeps it out once experience is off
    assert ("E1", "M2") not in _allowed({"allow_same_area": True})
    assert ("E1", "M2") in _allowed({"allow_same_area": True, "require_more_experience": False})
    # E2 (10 yrs, level 3) vs M3 (5 yrs, level 3): gap 0 needs min_level_gap 0; then experience decides
    assert ("E2", "M3") not in _allowed({"min_level_gap": 0})
    assert ("E2", "M3") in _allowed({"min_level_gap": 0, "require_more_experience": False})


@settings(max_examples=30)
@given(cohorts(max_mentees=6, max_mentors=5), settings_dicts())
def test_hard_rule_settings_match_oracle(data, values):
    """Whatever the hard-rule settings, the candidate pairs are exactly the independently allowed ones."""
    s = Settings.from_dict(values)
    cand = matching.candidates(**data, settings=s)
    assert set(zip(cand["mentee_id"].astype(str), cand["mentor_id"].astype(str))) == allowed_pairs(data, s)


@pytest.mark.parametrize("name", BUILTIN_CRITERIA)
def test_weight_zero_turns_a_criterion_off(name):
    data = _people()
    base = matching.candidates(**data, settings={"min_level_gap": 0, "allow_same_area": True})
    assert base[name].abs().sum() > 0, "the cohort must exercise every criterion"
    off = matching.candidates(**data, settings={"min_level_gap": 0, "allow_same_area": True, "weights": {name: 0}})
    assert (off[name] == 0).all()
    others = [c for c in BUILTIN_CRITERIA if c != name]
    pd.testing.assert_frame_equal(off[others], base[others])
    assert ((off["score"] - (base["score"] - base[name])).abs() < 1e-9).all()
    doubled = matching.candidates(**data, settings={"min_level_gap": 0, "allow_same_area": True,
                                                    "weights": {name: 2 * Settings().weight(name)}})
    assert ((doubled[name] - 2 * base[name]).abs() <= 1e-3).all()


def test_user_criterion_weight_zero_and_default():
    data = _people()
    table = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M4", "M6"], "score": [0.5, 2.0]})
    one = matching.candidates(**data, extra_criteria={"fit": table})
    assert one.set_index(["mentee_id", "mentor_id"])["fit"].to_dict() == {
        ("E1", "M3"): 0.0, ("E1", "M4"): 0.5, ("E1", "M5"): 0.0, ("E2", "M4"): 0.0, ("E2", "M6"): 2.0}
    off = matching.candidates(**data, extra_criteria={"fit": table}, settings={"weights": {"fit": 0}})
    assert (off["fit"] == 0).all()
    three = matching.candidates(**data, extra_criteria={"fit": table}, settings={"weights": {"fit": 3}})
    assert (three["fit"] == 3 * one["fit"]).all()


def test_soft_settings():
    data = _people()
    table = lambda values: matching.candidates(**data, settings=values).set_index(["mentee_id", "mentor_id"])  # noqa: E731
    # default_relatedness (no table): every different-area pair gets it, times weight 2
    assert (table({"default_relatedness": 0.3})["relatedness"] == 0.6).all()
    # kbu_relatedness: areas A and B are in K1; area C's KBU is that of its first person by id (M1: K2)
    k = table({"kbu_relatedness": 0.9, "default_relatedness": 0.1})["relatedness"]
    assert k[("E1", "M5")] == pytest.approx(1.8) and k[("E1", "M4")] == pytest.approx(0.2)
    # preference_depth: E1 ranks M3 second -> (depth - 1) / depth
    assert table({"preference_depth": 2})["preference"][("E1", "M3")] == pytest.approx(3 * 0.5)
    assert table({"preference_depth": 1})["preference"][("E1", "M3")] == 0
    # preferred_gap and gap_decay: E1 - M5 has gap 4
    assert table({"preferred_gap": [1, 2], "gap_decay": 0.25})["seniority"][("E1", "M5")] == pytest.approx(0.5)
    assert table({"preferred_gap": [3, 4]})["seniority"][("E1", "M5")] == 1.0
    assert table({"gap_decay": 1.0})["seniority"][("E1", "M5")] == 0.0


def test_settings_path_in_match(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text("require_cross_kbu = true\n")
    data = _people()
    result = matching.match(**data, settings=path)
    assert result.settings.require_cross_kbu is True
    assert set(result.pairs["mentor_id"]) <= {"M4"}
