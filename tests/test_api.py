"""The public API surface: entry points, inputs as frames or files, the result's
tables and its solve record, user criteria, empty sides."""

from __future__ import annotations

import datetime as dt
import inspect
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from strategies import shuffled

import matching
from matching.cohort.settings import BUILTIN_CRITERIA

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_cohort  # noqa: E402


@pytest.fixture(scope="module")
def example_result(example):
    return matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])


def _pairs(result):
    return list(zip(result.pairs["mentee_id"].astype(str), result.pairs["mentor_id"].astype(str)))


def _tiny():
    mentees = pd.DataFrame({"id": ["E1", "E2", "E3"], "level": [1, 2, 2], "area": ["A", "B", "C"],
                            "kbu": ["K1", "K1", "K2"], "site": ["north", "south", "north"]})
    mentors = pd.DataFrame({"id": ["M1", "M2"], "level": [4, 5], "area": ["C", "A"], "kbu": ["K2", "K1"],
                            "capacity": [2, 1], "site": ["north", "south"]})
    return mentees, mentors


# --------------------------------------------------------------------------- surface
def test_all_names_exist():
    for name in matching.__all__:
        assert hasattr(matching, name), name
    assert {"match", "candidates", "MatchingError", "InputError", "MatchResult", "Settings"} <= set(matching.__all__)
    assert issubclass(matching.MatchingError, ValueError)
    for err in ("InputError", "SettingsError", "PinError", "InfeasibleError", "SolverError"):
        assert issubclass(getattr(matching, err), matching.MatchingError)


@pytest.mark.parametrize("func", [matching.match, matching.candidates])
def test_signature_keyword_only(func):
    params = inspect.signature(func).parameters
    assert list(params)[:2] == ["mentees", "mentors"]
    for name in ("settings", "relatedness", "exclusions", "pins", "extra_criteria"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY and params[name].default is None
    mentees, mentors = _tiny()
    with pytest.raises(TypeError):
        func(mentees, mentors, None)


def test_csv_paths_give_the_same_result(tmp_path, example, example_result):
    paths = matching.example_paths()
    from_files = matching.match(paths["mentees"], paths["mentors"], relatedness=paths["relatedness"])
    assert _pairs(from_files) == _pairs(example_result)
    assert from_files.info.input_hash == example_result.info.input_hash
    # a generated cohort written to CSV by pandas (typed columns in, text out)
    mentees, mentors, rel = make_cohort(40, seed=3)
    for name, frame in (("mentees", mentees), ("mentors", mentors), ("relatedness", rel)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    a = matching.match(mentees, mentors, relatedness=rel)
    b = matching.match(tmp_path / "mentees.csv", str(tmp_path / "mentors.csv"), relatedness=tmp_path / "relatedness.csv")
    assert _pairs(a) == _pairs(b)
    assert a.info.score == b.info.score
    pd.testing.assert_frame_equal(matching.candidates(mentees, mentors, relatedness=rel),
                                  matching.candidates(tmp_path / "mentees.csv", tmp_path / "mentors.csv",
                                                      relatedness=tmp_path / "relatedness.csv"))


def test_exclusions_and_pins_as_csv(tmp_path):
    mentees, mentors = _tiny()
    pd.DataFrame({"mentee_id": ["E1"], "mentor_id": ["M1"]}).to_csv(tmp_path / "ex.csv", index=False)
    pd.DataFrame({"mentee_id": ["E2"], "mentor_id": ["M1"]}).to_csv(tmp_path / "pins.csv", index=False)
    result = matching.match(mentees, mentors, exclusions=tmp_path / "ex.csv", pins=tmp_path / "pins.csv")
    assert ("E1", "M1") not in _pairs(result) and ("E2", "M1") in _pairs(result)
    assert result.pairs.set_index("mentee_id").loc["E2", "pinned"]


def test_settings_forms(example):
    args = (example["mentees"], example["mentors"])
    by_name = matching.match(*args, settings="strict")
    by_dict = matching.match(*args, settings={"preset": "strict"})
    by_obj = matching.match(*args, settings=matching.Settings.coerce("strict"))
    assert _pairs(by_name) == _pairs(by_dict) == _pairs(by_obj)
    assert by_name.settings == by_obj.settings


# --------------------------------------------------------------------------- result tables
def test_pairs_columns(example_result):
    pairs = example_result.pairs
    expected = ["mentee_id", "mentor_id", "score", *BUILTIN_CRITERIA, "preference_rank", "level_gap",
                "mentee_area", "mentor_area", "is_cross_kbu", "is_cross_gender", "is_cross_race", "pinned"]
    assert list(pairs.columns[:len(expected)]) == expected
    assert pairs["mentee_id"].is_unique
    assert pairs["mentee_id"].astype(str).tolist() == sorted(pairs["mentee_id"].astype(str))
    assert str(pairs["preference_rank"].dtype) == "Int64"
    assert pairs["pinned"].dtype == bool and not pairs["pinned"].any()
    assert list(example_result.unmatched.columns[:3]) == ["mentee_id", "reason", "code"]
    assert list(example_result.mentors.columns[:5]) == ["mentor_id", "capacity", "assigned", "spare", "note"]
    assert example_result.mentor_of == dict(zip(pairs["mentee_id"], pairs["mentor_id"]))


def test_pairs_flags_and_ranks_are_true(example, example_result):
    mentees = example["mentees"].set_index("id")
    mentors = example["mentors"].set_index("id")
    for row in example_result.pairs.itertuples(index=False):
        e, m = mentees.loc[row.mentee_id], mentors.loc[row.mentor_id]
        assert row.level_gap == int(m["level"]) - int(e["level"])
        assert (row.mentee_area, row.mentor_area) == (e["area"], m["area"])
        assert row.is_cross_kbu == (e["kbu"] != m["kbu"])
        prefs = [p for p in str(e["preferences"]).split(";") if p and str(e["preferences"]) != "nan"]
        expected = prefs.index(row.mentor_id) + 1 if row.mentor_id in prefs else None
        assert (None if pd.isna(row.preference_rank) else int(row.preference_rank)) == expected


def test_candidates_columns(example):
    table = matching.candidates(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    assert list(table.columns) == ["mentee_id", "mentor_id", "score", *BUILTIN_CRITERIA, "preference_rank"]
    assert not table.duplicated(["mentee_id", "mentor_id"]).any()


def test_summary(example_result):
    s = example_result.summary
    assert s["mentees"] == 61 and s["mentors"] == 40 and s["capacity"] == 53
    assert s["pairs"] + s["unmatched"] == s["mentees"]
    assert s["ineligible"] + s["no_eligible_mentor"] + s["capacity_exhausted"] == s["unmatched"]
    assert s["status"] == "OPTIMAL"
    assert s["objective"] == {"matched_priority": example_result.info.matched_priority,
                              "score": example_result.info.score}
    assert s["cross_kbu_share"] == pytest.approx(example_result.pairs["is_cross_kbu"].mean(), abs=1e-4)


# --------------------------------------------------------------------------- solve record
def test_solve_info(example, example_result):
    import ortools

    info = example_result.info
    assert info.status == "OPTIMAL" and info.gap == 0
    assert "ortools" in info.solver and ortools.__version__ in info.solver
    assert info.library_version == matching.__version__
    assert info.score == pytest.approx(example_result.pairs["score"].sum(), abs=1e-9)
    prio = example["mentees"].set_index("id")["priority"].astype(float)
    assert info.matched_priority == pytest.approx(prio[example_result.pairs["mentee_id"]].sum())
    assert {"validate", "score", "solve", "total"} <= set(info.seconds)
    assert all(isinstance(v, float) and v >= 0 for v in info.seconds.values())
    assert dt.datetime.fromisoformat(info.created).tzinfo is not None
    assert matching.Settings.from_dict(info.settings) == example_result.settings == matching.Settings()
    assert isinstance(info.to_dict(), dict)
    assert len(info.input_hash) == 64


def test_settings_record_rebuilds_custom_settings(example):
    s = matching.Settings.from_dict({"preset": "diversity_first", "min_level_gap": 2, "max_level_gap": 4,
                                     "preferred_gap": [2, 3], "weights": {"site": 2.5}})
    site = lambda e, m: np.zeros((len(e), len(m)))  # noqa: E731  (a weight must name a criterion in force)
    result = matching.match(example["mentees"], example["mentors"], settings=s, extra_criteria={"site": site})
    assert matching.Settings.from_dict(result.info.settings) == s


def test_input_hash(example):
    args = {"relatedness": example["relatedness"]}
    base = matching.match(example["mentees"], example["mentors"], **args).info.input_hash
    moved = matching.match(shuffled(example["mentees"], 1), shuffled(example["mentors"], 2),
                           relatedness=shuffled(example["relatedness"], 3)).info.input_hash
    assert moved == base
    changes = []
    e = example["mentees"].copy()
    e.loc[0, "level"] = str(int(e.loc[0, "level"]) + 1)
    changes.append(matching.match(e, example["mentors"], **args))
    m = example["mentors"].copy()
    m.loc[0, "capacity"] = str(int(m.loc[0, "capacity"]) + 1)
    changes.append(matching.match(example["mentees"], m, **args))
    r = example["relatedness"].copy()
    r.loc[0, "relatedness"] = "0.01"
    changes.append(matching.match(example["mentees"], example["mentors"], relatedness=r))
    changes.append(matching.match(example["mentees"], example["mentors"]))
    e = example["mentees"].copy()
    e["preferences"] = e["preferences"].map(lambda p: ";".join(reversed(str(p).split(";"))) if isinstance(p, str) else p)
    changes.append(matching.match(e, example["mentors"], **args))
    changes.append(matching.match(example["mentees"], example["mentors"], **args,
                                  exclusions=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M001"]})))
    hashes = [c.info.input_hash for c in changes]
    assert base not in hashes and len(set(hashes)) == len(hashes)


def test_deterministic_across_runs(example, example_result):
    again = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    pd.testing.assert_frame_equal(again.pairs, example_result.pairs)
    pd.testing.assert_frame_equal(again.unmatched, example_result.unmatched)


# --------------------------------------------------------------------------- user criteria
def _same_site(mentees, mentors):
    return (mentees.column("site")[:, None] == mentors.column("site")[None, :]).astype(float)


def test_user_criterion_function_and_table_agree():
    mentees, mentors = _tiny()
    by_func = matching.candidates(mentees, mentors, extra_criteria={"site": _same_site})
    site = dict(zip(mentors["id"], mentors["site"]))
    rows = [(e, m, 1.0) for e, s in zip(mentees["id"], mentees["site"]) for m in mentors["id"] if site[m] == s]
    table = pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "score"])
    by_table = matching.candidates(mentees, mentors, extra_criteria={"site": table})
    pd.testing.assert_frame_equal(by_func, by_table)
    assert list(by_func.columns) == ["mentee_id", "mentor_id", "score", *BUILTIN_CRITERIA, "site", "preference_rank"]
    expected = {(e, m): float(site[m] == s) for e, s in zip(mentees["id"], mentees["site"]) for m in mentors["id"]}
    got = dict(zip(zip(by_func["mentee_id"], by_func["mentor_id"]), by_func["site"]))
    assert got and all(got[k] == expected[k] for k in got)


def test_user_table_absent_pairs_score_zero_and_weight():
    mentees, mentors = _tiny()
    table = pd.DataFrame({"mentee_id": ["E1"], "mentor_id": ["M1"], "score": [0.7]})
    plain = matching.candidates(mentees, mentors)
    one = matching.candidates(mentees, mentors, extra_criteria={"bonus": table})
    got = dict(zip(zip(one["mentee_id"], one["mentor_id"]), one["bonus"]))
    assert got.pop(("E1", "M1")) == 0.7 and set(got.values()) == {0.0}
    weighted = matching.candidates(mentees, mentors, extra_criteria={"bonus": table},
                                   settings={"weights": {"bonus": 4}})
    assert dict(zip(zip(weighted["mentee_id"], weighted["mentor_id"]), weighted["bonus"]))[("E1", "M1")] == 2.8
    assert ((weighted["score"] - plain["score"] - weighted["bonus"]).abs() < 1e-9).all()


def test_user_criterion_changes_the_match():
    mentees, mentors = _tiny()
    table = pd.DataFrame({"mentee_id": ["E2"], "mentor_id": ["M1"], "score": [100.0]})
    result = matching.match(mentees, mentors, extra_criteria={"boost": table})
    assert result.mentor_of.get("E2") == "M1"
    assert result.pairs.set_index("mentee_id").loc["E2", "boost"] == 100.0


@pytest.mark.parametrize("bad,words", [
    (lambda e, m: np.full((len(e), len(m)), np.nan), "NaN"),
    (lambda e, m: np.full((len(e), len(m)), np.inf), "infinite"),
    (lambda e, m: np.zeros((len(m), len(e) + 1)), "shape"),
    (lambda e, m: np.zeros(len(e)), "shape"),
    (lambda e, m: [["a"] * len(m)] * len(e), "numbers"),
    (lambda e, m: np.full((len(e), len(m)), 1e9), "1e6"),
], ids=["nan", "inf", "shape", "1d", "text", "huge"])
@pytest.mark.parametrize("entry", [matching.match, matching.candidates])
def test_bad_user_criterion_names_it(entry, bad, words):
    mentees, mentors = _tiny()
    with pytest.raises(matching.MatchingError, match="my_fit") as info:
        entry(mentees, mentors, extra_criteria={"my_fit": bad})
    assert words in str(info.value)


def test_user_criterion_unknown_column_names_it():
    mentees, mentors = _tiny()
    with pytest.raises(matching.MatchingError, match="no column 'floor'"):
        matching.match(mentees, mentors, extra_criteria={"f": lambda e, m: e.column("floor")})


# --------------------------------------------------------------------------- pins
def test_pin_breaking_a_rule_is_an_error_naming_it():
    mentees, mentors = _tiny()
    with pytest.raises(matching.PinError) as info:
        matching.match(mentees, mentors, pins=pd.DataFrame({"mentee_id": ["E3"], "mentor_id": ["M1"]}))
    assert "same_area" in str(info.value) and "E3" in str(info.value)


def test_pin_over_capacity_is_an_error():
    mentees, mentors = _tiny()
    pins = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M1", "M1"]})
    mentors = mentors.assign(capacity=[1, 1])
    with pytest.raises(matching.PinError, match="capacity"):
        matching.match(mentees, mentors, pins=pins)


# --------------------------------------------------------------------------- empty sides
def test_no_mentors_everyone_unmatched_with_reason():
    mentees, mentors = _tiny()
    result = matching.match(mentees, mentors.iloc[:0])
    assert result.pairs.empty and result.mentors.empty
    assert sorted(result.unmatched["mentee_id"].astype(str)) == ["E1", "E2", "E3"]
    assert set(result.unmatched["code"]) == {"no_eligible_mentor"}
    assert all("no mentors" in r for r in result.unmatched["reason"])
    assert result.info.status == "OPTIMAL" and result.info.score == 0
    assert matching.candidates(mentees, mentors.iloc[:0]).empty


def test_no_mentees_every_mentor_listed():
    mentees, mentors = _tiny()
    result = matching.match(mentees.iloc[:0], mentors)
    assert result.pairs.empty and result.unmatched.empty
    assert result.mentors["mentor_id"].tolist() == ["M1", "M2"]
    assert result.mentors["spare"].tolist() == [2, 1]
    assert all(result.mentors["note"].str.len() > 0)
    assert result.summary["pairs"] == result.summary["mentees"] == 0


def test_both_empty():
    mentees, mentors = _tiny()
    result = matching.match(mentees.iloc[:0], mentors.iloc[:0])
    assert result.pairs.empty and result.unmatched.empty and result.mentors.empty
    assert list(result.pairs.columns[:3]) == ["mentee_id", "mentor_id", "score"]
    assert result.info.status == "OPTIMAL"


def test_repr_is_short_and_private(example_result):
    text = repr(example_result)
    assert text.startswith("MatchResult(") and "OPTIMAL" in text
    for word in ("Hispanic", "White", "gender", "race"):
        assert word not in text


def test_cross_parts_are_not_overwritten_by_flags():
    """Regression: result.pairs' cross_* columns were bool flags overwriting the criteria's parts,
    so the parts did not add up to the score (the flags are now is_cross_*)."""
    mentees, mentors = _tiny()
    mentees = mentees.assign(gender=["F", "M", None])
    mentors = mentors.assign(gender=["M", "M"])
    s = {"weights": {"cross_kbu": 0.0, "cross_gender": 2.0}}
    result = matching.match(mentees, mentors, settings=s)
    cand = matching.candidates(mentees, mentors, settings=s).set_index(["mentee_id", "mentor_id"])
    for row in result.pairs.to_dict("records"):
        expected = cand.loc[(row["mentee_id"], row["mentor_id"])]
        for name in BUILTIN_CRITERIA:
            assert row[name] == expected[name]
        assert row["score"] == pytest.approx(sum(row[n] for n in BUILTIN_CRITERIA))
        assert row["cross_kbu"] == 0.0 and row["cross_gender"] == 2.0 * row["is_cross_gender"]
