"""Bad input: one library error listing every problem with file, row, column and id.

Each case below corrupts the bundled example cohort in one way and states where the
problem must be reported. The frames come from ``read_table`` (via ``load_example``),
so rows are line numbers in the CSV file (header = line 1; E001 and M001 are line 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import matching
from matching import InputError, MatchingError, PinError, SettingsError
from matching.cohort.validate import MAX_CAPACITY, MAX_LEVEL

BASE = matching.load_example()


def _data():
    return {k: v.copy() for k, v in BASE.items()}


def _set(frame: pd.DataFrame, row: int, column: str, value) -> None:
    """Put any Python value in a cell (text columns become object columns)."""
    frame[column] = frame[column].astype(object)
    frame.at[row, column] = value


def _row_of(frame: pd.DataFrame, ident: str) -> int:
    return int(np.flatnonzero(frame["id"].to_numpy(dtype=str) == ident)[0])


def _run(data: dict, **kw):
    return matching.match(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                          exclusions=data.get("exclusions"), pins=data.get("pins"), **kw)


def _failures(data: dict, error=InputError, **kw) -> pd.DataFrame:
    with pytest.raises(error) as info:
        _run(data, **kw)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, MatchingError)
    assert len(err.failure_cases) >= 1
    assert list(err.failure_cases.columns) == ["file", "sheet", "row", "column", "id", "problem"]
    return err.failure_cases


def _expect(cases: pd.DataFrame, problem: str, **where) -> pd.Series:
    """The single failure whose problem contains ``problem`` and whose fields equal ``where``."""
    hit = cases["problem"].str.contains(problem, regex=False)
    for key, value in where.items():
        hit &= cases[key].astype(object).map(lambda v, value=value: v == value)
    assert hit.sum() >= 1, f"no failure {problem!r} {where} in\n{cases.to_string()}"
    return cases[hit].iloc[0]


# --------------------------------------------------------------------------- people tables
def _mut(fn):
    def build():
        data = _data()
        fn(data)
        return data
    return build


PEOPLE_CASES = {
    # name: (mutation, expected problem text, expected fields)
    "duplicate mentee id": (
        lambda d: _set(d["mentees"], 1, "id", "E001"),
        "duplicate id 'E001' (first on row 2)", dict(file="mentees.csv", row=3, column="id", id="E001")),
    "duplicate mentor id": (
        lambda d: _set(d["mentors"], 4, "id", "M002"),
        "duplicate id 'M002'", dict(file="mentors.csv", row=6, column="id", id="M002")),
    "missing id": (
        lambda d: _set(d["mentees"], 2, "id", "  "),
        "id is missing", dict(file="mentees.csv", row=4, column="id")),
    "level missing": (
        lambda d: _set(d["mentees"], 0, "level", None),
        "level is missing", dict(file="mentees.csv", row=2, column="level", id="E001")),
    "level fractional": (
        lambda d: _set(d["mentees"], 0, "level", "3.5"),
        "level must be an integer between 0 and", dict(row=2, column="level", id="E001")),
    "level text": (
        lambda d: _set(d["mentors"], 0, "level", "senior"),
        "got 'senior'", dict(file="mentors.csv", row=2, column="level", id="M001")),
    "level negative": (
        lambda d: _set(d["mentees"], 0, "level", -1),
        "got '-1'", dict(row=2, column="level", id="E001")),
    "level too large": (
        lambda d: _set(d["mentees"], 0, "level", MAX_LEVEL + 1),
        f"between 0 and {MAX_LEVEL}", dict(row=2, column="level", id="E001")),
    "level infinite": (
        lambda d: _set(d["mentors"], 1, "level", float("inf")),
        "got 'inf'", dict(row=3, column="level", id="M002")),
    "capacity negative": (
        lambda d: _set(d["mentors"], 0, "capacity", "-1"),
        "capacity must be an integer between 0 and", dict(file="mentors.csv", row=2, column="capacity", id="M001")),
    "capacity fractional": (
        lambda d: _set(d["mentors"], 0, "capacity", 1.5),
        "got '1.5'", dict(row=2, column="capacity", id="M001")),
    "capacity absurd": (
        lambda d: _set(d["mentors"], 0, "capacity", "1e12"),
        f"between 0 and {MAX_CAPACITY}", dict(row=2, column="capacity", id="M001")),
    "capacity NaN text": (
        lambda d: _set(d["mentors"], 0, "capacity", "NaN"),
        "got 'NaN'", dict(row=2, column="capacity", id="M001")),
    "priority NaN": (
        lambda d: _set(d["mentees"], 0, "priority", "nan"),
        "priority must be a number", dict(row=2, column="priority", id="E001")),
    "priority infinite": (
        lambda d: _set(d["mentees"], 0, "priority", "-inf"),
        "got '-inf'", dict(row=2, column="priority", id="E001")),
    "priority zero": (
        lambda d: _set(d["mentees"], 0, "priority", 0),
        "priority must be a number between 0.01", dict(row=2, column="priority", id="E001")),
    "years infinite": (
        lambda d: _set(d["mentees"], 0, "years_experience", "inf"),
        "years_experience must be a number", dict(row=2, column="years_experience", id="E001")),
    "years negative": (
        lambda d: _set(d["mentors"], 0, "years_experience", -3),
        "years_experience must be a number", dict(file="mentors.csv", row=2, id="M001")),
    "eligible not a bool": (
        lambda d: _set(d["mentees"], 0, "eligible", "maybe"),
        "eligible must be true or false", dict(row=2, column="eligible", id="E001")),
    "area missing": (
        lambda d: _set(d["mentees"], 0, "area", ""),
        "area is missing", dict(row=2, column="area", id="E001")),
    "kbu missing": (
        lambda d: _set(d["mentors"], 0, "kbu", None),
        "kbu is missing", dict(file="mentors.csv", row=2, column="kbu", id="M001")),
    "preference unknown mentor": (
        lambda d: _set(d["mentees"], 0, "preferences", "M018;M999"),
        "preferences name unknown mentor 'M999' at rank 2", dict(row=2, column="preferences", id="E001")),
    "preference unknown mentor, leading zeros lost": (
        lambda d: _set(d["mentees"], 0, "preferences", "m18"),
        "did you mean 'M018'", dict(row=2, column="preferences", id="E001")),
    "preference twice": (
        lambda d: _set(d["mentees"], 0, "preferences", ["M018", "M014", "M018"]),
        "preferences name mentor 'M018' twice", dict(row=2, column="preferences", id="E001")),
    "preference themself": (
        lambda d: _set(d["mentees"], _row_of(d["mentees"], "M031"), "preferences", "M001;M031"),
        "preferences name the mentee themself ('M031') at rank 2", dict(column="preferences", id="M031")),
    "duplicate header": (
        lambda d: d.update(mentees=d["mentees"].assign(Level=d["mentees"]["level"])),
        "duplicate column header: 'Level' and 'level' both mean 'level'", dict(file="mentees.csv", column="Level")),
    "duplicate header renamed by pandas": (
        lambda d: d.update(mentors=d["mentors"].assign(**{"id.1": d["mentors"]["id"]})),
        "looks like a second 'id' column renamed by pandas", dict(file="mentors.csv", column="id.1")),
    "duplicate header via alias": (
        lambda d: d.update(mentees=d["mentees"].assign(grade=d["mentees"]["level"])),
        "both mean 'level'", dict(column="grade")),
    "missing column, typo": (
        lambda d: d.update(mentees=d["mentees"].rename(columns={"level": "levle"})),
        "missing required column 'level' (required: id, level, area, kbu; found:",
        dict(file="mentees.csv", column="level")),
    "missing column, no look-alike": (
        lambda d: d.update(mentors=d["mentors"].drop(columns="kbu")),
        "missing required column 'kbu'", dict(file="mentors.csv", column="kbu")),
}


@pytest.mark.parametrize("name", sorted(PEOPLE_CASES))
def test_people_table_problem(name):
    mutate, problem, where = PEOPLE_CASES[name]
    cases = _failures(_mut(mutate)())
    _expect(cases, problem, **where)


def test_typo_suggests_the_closest_header():
    data = _data()
    data["mentees"] = data["mentees"].rename(columns={"level": "levle", "kbu": "KBU "})  # KBU  is fine
    cases = _failures(data)
    assert len(cases) == 1
    assert cases["problem"].iloc[0].endswith("did you mean 'levle'?")


def test_every_problem_in_every_table_is_listed_at_once():
    data = _data()
    _set(data["mentees"], 0, "level", "x")
    _set(data["mentees"], 5, "id", "E001")
    _set(data["mentors"], 0, "capacity", -2)
    data["relatedness"] = data["relatedness"].copy()
    _set(data["relatedness"], 0, "relatedness", 1.5)
    data["pins"] = pd.DataFrame({"mentee_id": ["NOBODY"], "mentor_id": ["M001"]})
    cases = _failures(data)
    assert set(cases["file"]) == {"mentees.csv", "mentors.csv", "relatedness.csv", "pins"}
    assert len(cases) == 5
    message = str(InputError(cases.to_dict("records")))
    assert message.startswith("5 problems in the input:")
    assert "mentees.csv, row 2, column 'level', id 'E001'" in message


def test_unreadable_file_is_listed_with_the_other_tables_problems(tmp_path):
    data = _data()
    _set(data["mentors"], 0, "capacity", -2)
    data["mentees"] = tmp_path / "nope.csv"
    cases = _failures(data)
    _expect(cases, "file not found", file="nope.csv")
    # the mentors table still got checked
    _expect(cases, "capacity must be", file="mentors.csv", id="M001")


# --------------------------------------------------------------------------- pair tables
PAIR_CASES = {
    "relatedness unknown area": (
        lambda d: d.update(relatedness=pd.concat([d["relatedness"], pd.DataFrame(
            {"area_a": ["Police"], "area_b": ["Atlantis"], "relatedness": ["0.5"]})], ignore_index=True)),
        "area_b 'Atlantis' is not the area of any mentee or mentor", dict(column="area_b")),
    "relatedness area typo": (
        lambda d: d.update(relatedness=pd.concat([d["relatedness"], pd.DataFrame(
            {"area_a": ["Polce"], "area_b": ["Fire"], "relatedness": ["0.5"]})], ignore_index=True)),
        "did you mean 'Police'?", dict(column="area_a")),
    "relatedness above 1": (
        lambda d: _set(d["relatedness"], 0, "relatedness", "1.2"),
        "relatedness must be a number in [0, 1]; got '1.2'", dict(file="relatedness.csv", row=2)),
    "relatedness negative": (
        lambda d: _set(d["relatedness"], 1, "relatedness", -0.1),
        "relatedness must be a number in [0, 1]", dict(file="relatedness.csv", row=3)),
    "relatedness NaN": (
        lambda d: _set(d["relatedness"], 2, "relatedness", float("nan")),
        "relatedness must be a number in [0, 1]; got None", dict(row=4, column="relatedness")),
    "relatedness text": (
        lambda d: _set(d["relatedness"], 2, "relatedness", "high"),
        "got 'high'", dict(row=4, column="relatedness")),
    "relatedness given twice, differently": (
        lambda d: d.update(relatedness=pd.concat([d["relatedness"], pd.DataFrame(
            {"area_a": ["Fire"], "area_b": ["Police"], "relatedness": ["0.1"]})], ignore_index=True)),
        "relatedness of 'Fire' and 'Police' is given twice with different values (0.86 and 0.1)",
        dict(column="relatedness")),
    "relatedness column missing": (
        lambda d: d.update(relatedness=d["relatedness"].rename(columns={"relatedness": "score"})),
        "missing required column 'relatedness'", dict(file="relatedness.csv")),
    "exclusion unknown mentee": (
        lambda d: d.update(exclusions=pd.DataFrame({"mentee_id": ["E999"], "mentor_id": ["M001"]})),
        "exclusions: unknown mentee 'E999'", dict(file="exclusions", row=0, column="mentee_id", id="E999")),
    "exclusion unknown mentor": (
        lambda d: d.update(exclusions=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["X1"]})),
        "exclusions: unknown mentor 'X1'", dict(file="exclusions", row=0, column="mentor_id", id="X1")),
    "exclusion id missing": (
        lambda d: d.update(exclusions=pd.DataFrame({"mentee_id": [None], "mentor_id": ["M001"]})),
        "mentee_id is missing", dict(file="exclusions", row=0, column="mentee_id")),
    "pin unknown mentor": (
        lambda d: d.update(pins=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M404"]})),
        "pins: unknown mentor 'M404'", dict(file="pins", row=0, id="M404")),
    "mentee pinned twice": (
        lambda d: d.update(pins=pd.DataFrame({"mentee_id": ["E001", "E001"], "mentor_id": ["M018", "M014"]})),
        "mentee 'E001' is pinned twice (also to 'M018' on row 0)", dict(file="pins", row=1, id="E001")),
    "pinned and excluded": (
        lambda d: d.update(pins=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M018"]}),
                           exclusions=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M018"]})),
        "pair (E001, M018) is both pinned and excluded", dict(file="pins", id="E001")),
}


@pytest.mark.parametrize("name", sorted(PAIR_CASES))
def test_pair_table_problem(name):
    mutate, problem, where = PAIR_CASES[name]
    data = _data()
    data["relatedness"] = data["relatedness"].copy()
    cases = _failures(_mut(lambda d: (d.update(relatedness=data["relatedness"]), mutate(d)))())
    _expect(cases, problem, **where)


def test_pin_breaking_a_hard_rule_is_a_pin_error():
    data = _data()
    data["pins"] = pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M004"]})  # M004 works in Police, E001's own area
    cases = _failures(data, PinError)
    row = _expect(cases, "pin (E001, M004) breaks the hard rule 'same_area': both work in Police", id="E001")
    assert row["file"] == "pins"


def test_pin_exceeding_capacity_is_a_pin_error():
    data = _data()
    cap = data["mentors"].set_index("id")["capacity"].astype(int)
    mentor = cap[cap == 1].index[0]
    allowed = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    two = allowed.loc[allowed["mentor_id"] == mentor, "mentee_id"].head(2).tolist()
    assert len(two) == 2
    data["pins"] = pd.DataFrame({"mentee_id": two, "mentor_id": [mentor, mentor]})
    cases = _failures(data, PinError)
    _expect(cases, f"mentor '{mentor}' is pinned to 2 mentees but has capacity 1", id=mentor)


def test_check_pins_names_every_broken_pin():
    from matching.api import check_pins
    from matching.cohort.settings import Settings
    from matching.cohort.validate import load_cohort

    data = _data()
    pins = pd.DataFrame({"mentee_id": ["E001", "E002"], "mentor_id": ["M004", "M001"]})
    cohort = load_cohort(data["mentees"], data["mentors"], pins=pins)
    settings = Settings(require_cross_kbu=True, min_level_gap=9)
    with pytest.raises(PinError) as info:
        check_pins(cohort, settings)
    problems = info.value.failure_cases["problem"].tolist()
    assert len(problems) == 2
    assert "'seniority'" in problems[1] and "E002" in problems[1]
    assert "rules" in problems[0] and "'cross_kbu'" in problems[0]


# --------------------------------------------------------------------------- user criteria
def _extra_table(**cols):
    base = {"mentee_id": ["E001", "E002"], "mentor_id": ["M018", "M032"], "score": [1.0, 2.0]}
    base.update(cols)
    return pd.DataFrame(base)


EXTRA_CASES = {
    "score NaN": (_extra_table(score=[1.0, float("nan")]), "score must be a finite number", dict(row=1, id="E002")),
    "score infinite": (_extra_table(score=["inf", 1]), "got 'inf'", dict(row=0, column="score")),
    "score huge": (_extra_table(score=[1e9, 1]), "within +/-1e6", dict(row=0, column="score")),
    "score text": (_extra_table(score=["good", 1]), "got 'good'", dict(row=0)),
    "unknown mentee": (_extra_table(mentee_id=["E001", "Z9"]), "unknown mentee 'Z9'", dict(row=1, column="mentee_id")),
    "unknown mentor": (_extra_table(mentor_id=["Q", "M032"]), "unknown mentor 'Q'", dict(row=0, column="mentor_id")),
    "pair twice": (_extra_table(mentor_id=["M018", "M018"], mentee_id=["E001", "E001"]),
                   "pair (E001, M018) is scored twice", dict(row=1)),
    "column missing": (_extra_table().drop(columns="score"), "missing required column 'score'", {}),
}


@pytest.mark.parametrize("name", sorted(EXTRA_CASES))
def test_user_criterion_table_problem(name):
    table, problem, where = EXTRA_CASES[name]
    cases = _failures(_data(), extra_criteria={"site": table})
    _expect(cases, problem, file="extra_criteria['site']", **where)


@pytest.mark.parametrize("extra, text", [
    ({"seniority": _extra_table()}, "must be an identifier and not a built-in criterion"),
    ({"not valid": _extra_table()}, "must be an identifier"),
    ([("x", _extra_table())], "extra_criteria must map a name"),
    ({"x": 42}, "must be a pandas DataFrame or a path"),
])
def test_user_criteria_spec_problem(extra, text):
    cases = _failures(_data(), extra_criteria=extra)
    _expect(cases, text)


@pytest.mark.parametrize("func, text", [
    (lambda e, m: np.full((len(e), len(m)), np.nan), "returned NaN or infinite values"),
    (lambda e, m: np.full((len(e), len(m)), np.inf), "returned NaN or infinite values"),
    (lambda e, m: np.full((len(e), len(m)), 1e9), "beyond +/-1e6"),
    (lambda e, m: np.zeros((len(e), 3)), "must return an array of shape"),
    (lambda e, m: np.full((len(e), len(m)), "x", dtype=object), "must return numbers"),
    (lambda e, m: e.column("no_such_column"), "has no column 'no_such_column'"),
])
def test_user_criterion_function_problem(func, text):
    with pytest.raises(MatchingError, match=text.replace("(", r"\(").replace("+", r"\+")):
        _run(_data(), extra_criteria={"mine": func})


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("settings, text", [
    ({"min_level_gap": -1}, "The 'min_level_gap' setting must be an int >= 0. Got -1 instead."),
    ({"min_level_gap": 1.5}, "Got 1.5 instead."),
    ({"min_level_gap": True}, "must be an int >= 0. Got True instead."),
    ({"allow_same_area": "yes"}, "The 'allow_same_area' setting must be a bool. Got 'yes' instead."),
    ({"gap_decay": float("nan")}, "The 'gap_decay' setting must be a float in [0, 1]. Got nan instead."),
    ({"default_relatedness": 2}, "must be a float in [0, 1]. Got 2 instead."),
    ({"time_limit": float("inf")}, "The 'time_limit' setting must be a float > 0. Got inf instead."),
    ({"weights": {"preference": float("nan")}}, "The 'weights.preference' setting must be a finite float"),
    ({"weights": {"cross_kbu": float("inf")}}, "The 'weights.cross_kbu' setting must be a finite float"),
    ({"weights": {"competency": "high"}}, "Got 'high' instead."),
    ({"weights": {"competency": 1e9}}, "Got 1000000000.0 instead."),
    ({"weights": [1, 2]}, "The 'weights' setting must be a dict"),
    ({"solver": "fast"}, "The 'solver' setting must be one of 'auto', 'flow', 'cpsat'. Got 'fast' instead."),
    ({"min_group_size": 0}, "The 'min_group_size' setting must be an int >= 1. Got 0 instead."),
    ({"preset": "nope"}, "The 'preset' setting must be one of"),
    ({"min_levl_gap": 1}, "Unknown setting 'min_levl_gap'"),
    (3.5, "settings must be a Settings, a dict, a preset name or a TOML path. Got float instead."),
])
def test_settings_problem(settings, text):
    with pytest.raises(SettingsError) as info:
        _run(_data(), settings=settings)
    assert text in str(info.value)
    assert isinstance(info.value, InputError)


def test_settings_file_problems(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("min_level_gap = -2\n[weights]\npreference = 'a lot'\n")
    with pytest.raises(SettingsError) as info:
        _run(_data(), settings=bad)
    assert set(info.value.failure_cases["file"]) == {str(bad)}
    assert len(info.value.failure_cases) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("min_level_gap = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        _run(_data(), settings=broken)
    with pytest.raises(SettingsError, match="settings file not found"):
        _run(_data(), settings=tmp_path / "absent.toml")


# --------------------------------------------------------------------------- types and ids
def test_wrong_table_type():
    with pytest.raises(InputError, match="mentees must be a pandas DataFrame or a path"):
        matching.match(42, BASE["mentors"])
    with pytest.raises(InputError, match="pins must be a pandas DataFrame or a path"):
        matching.match(BASE["mentees"], BASE["mentors"], pins=[("E001", "M001")])


def test_int_and_float_ids_in_dataframes_are_text_without_a_trailing_zero():
    mentees = pd.DataFrame({"id": [1, 2], "level": [1, 2], "area": ["A", "A"], "kbu": ["K", "K"],
                            "preferences": [[10.0, 11.0], "11"]})
    mentors = pd.DataFrame({"id": [10.0, 11.0], "level": [3.0, 4.0], "area": ["B", "C"], "kbu": ["L", "L"],
                            "capacity": [1, 1]})
    result = matching.match(mentees, mentors)
    assert sorted(result.pairs["mentee_id"]) == ["1", "2"]
    assert set(result.pairs["mentor_id"]) == {"10", "11"}
    assert result.pairs.set_index("mentee_id").loc["1", "preference_rank"] in (1, 2)


def test_text_ids_keep_their_leading_zeros(tmp_path):
    (tmp_path / "e.csv").write_text("id,level,area,kbu,preferences\n001,1,A,K,010\n002,1,A,K,\n")
    (tmp_path / "m.csv").write_text("id,level,area,kbu,capacity\n010,3,B,L,2\n10,3,B,L,0\n")
    result = matching.match(tmp_path / "e.csv", tmp_path / "m.csv")
    assert result.mentor_of == {"001": "010", "002": "010"}
    assert set(result.mentors["mentor_id"]) == {"010", "10"}


def test_unknown_id_that_lost_its_leading_zeros_gets_a_hint():
    mentees = pd.DataFrame({"id": ["1"], "level": [1], "area": ["A"], "kbu": ["K"], "preferences": ["10"]})
    mentors = pd.DataFrame({"id": ["0010"], "level": [3], "area": ["B"], "kbu": ["L"]})
    with pytest.raises(InputError, match=r"unknown mentor '10' at rank 1; did you mean '0010'\?"):
        matching.match(mentees, mentors)


def test_semicolon_lists_with_blanks_and_spaces_are_read():
    data = _data()
    _set(data["mentees"], 0, "preferences", " M018 ;; M014;")
    _set(data["mentees"], 1, "competencies", ["Builds Trust", " ", None])
    result = _run(data)
    ranks = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    got = ranks[ranks["mentee_id"] == "E001"].set_index("mentor_id")["preference_rank"]
    assert got.get("M014") == 2 or "M014" not in got.index  # rank 2 when allowed
    assert len(result.pairs) + len(result.unmatched) == len(data["mentees"])


# --------------------------------------------------------------------------- empty sides
def test_no_mentors_is_a_clear_result(caplog):
    data = _data()
    mentees = data["mentees"].drop(columns="preferences")
    with caplog.at_level("WARNING", logger="matching"):
        result = matching.match(mentees, data["mentors"].iloc[:0])
    assert result.pairs.empty and len(result.unmatched) == len(mentees)
    assert set(result.unmatched["reason"]) == {"no eligible mentor: the cohort has no mentors"} | (
        {"not eligible this session (eligible = false in the application)"})
    assert "the mentors table has no rows" in caplog.text


def test_no_mentees_is_a_clear_result():
    data = _data()
    result = matching.match(data["mentees"].iloc[:0], data["mentors"], relatedness=data["relatedness"])
    assert result.pairs.empty and result.unmatched.empty
    assert sorted(result.mentors["mentor_id"]) == sorted(data["mentors"]["id"])
    assert (result.mentors["assigned"] == 0).all()
    assert matching.candidates(data["mentees"].iloc[:0], data["mentors"]).empty


def test_both_sides_empty():
    data = _data()
    result = matching.match(data["mentees"].iloc[:0], data["mentors"].iloc[:0])
    assert result.summary["pairs"] == 0 and result.summary["mentees"] == 0


def test_a_table_without_columns_is_missing_every_required_column():
    cases = _failures({"mentees": pd.DataFrame(), "mentors": BASE["mentors"]})
    assert sorted(cases["column"]) == ["area", "id", "kbu", "level"]
