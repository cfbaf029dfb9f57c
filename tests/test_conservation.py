"""Nothing lost: every mentee and mentor that goes in comes out exactly once, at every
entry point (``match``, ``candidates``, ``rematch``, files, the command line), paired
or listed with a reason a committee member understands."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cohorts, settings_dicts, valid_pins

import matching
from matching.cohort.settings import Settings


def _ids(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["id"]]


def assert_match_conserves(result, mentees: pd.DataFrame, mentors: pd.DataFrame) -> None:
    """Each input mentee once in pairs or unmatched (with a reason); each mentor once."""
    out = [str(v) for v in result.pairs["mentee_id"]] + [str(v) for v in result.unmatched["mentee_id"]]
    assert Counter(out) == Counter(_ids(mentees))
    assert Counter(map(str, result.mentors["mentor_id"])) == Counter(_ids(mentors))
    assert result.unmatched["reason"].map(lambda r: isinstance(r, str) and r.strip() != "").all()
    assigned = result.pairs["mentor_id"].astype(str).value_counts()
    table = result.mentors.assign(mentor_id=result.mentors["mentor_id"].astype(str)).set_index("mentor_id")
    assert (table["assigned"] == assigned.reindex(table.index, fill_value=0)).all()
    assert (table["assigned"] <= table["capacity"]).all()
    spare = table[table["spare"] > 0]
    assert spare["note"].map(lambda r: isinstance(r, str) and r.strip() != "").all()
    summary = result.summary
    assert summary["pairs"] + summary["unmatched"] == summary["mentees"] == len(mentees)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_match_conserves_everyone(data):
    cohort = data.draw(cohorts(max_mentees=10, max_mentors=7))
    chosen = Settings.from_dict(data.draw(settings_dicts()))
    cohort["pins"] = data.draw(valid_pins(cohort, chosen))
    result = matching.match(**cohort, settings=chosen)
    assert_match_conserves(result, cohort["mentees"], cohort["mentors"])


@settings(max_examples=40, deadline=None)
@given(cohorts(max_mentees=10, max_mentors=7))
def test_candidates_name_only_people_given_each_pair_once(cohort):
    table = matching.candidates(**cohort)
    assert set(table["mentee_id"].astype(str)) <= set(_ids(cohort["mentees"]))
    assert set(table["mentor_id"].astype(str)) <= set(_ids(cohort["mentors"]))
    assert not table.duplicated(["mentee_id", "mentor_id"]).any()
    result = matching.match(**cohort)
    # every pair formed is a candidate, and a mentee with no candidate is unmatched
    pairs = set(zip(result.pairs["mentee_id"].astype(str), result.pairs["mentor_id"].astype(str)))
    assert pairs <= set(zip(table["mentee_id"].astype(str), table["mentor_id"].astype(str)))


def test_match_from_files_conserves_everyone(tmp_path):
    paths = matching.example_paths()
    result = matching.match(paths["mentees"], paths["mentors"], relatedness=paths["relatedness"])
    assert_match_conserves(result, matching.read_table(paths["mentees"]), matching.read_table(paths["mentors"]))


# --------------------------------------------------------------------------- rematch
def _rematch():
    return matching.rematch


def assert_rematch_conserves(result, mentees: pd.DataFrame, mentors: pd.DataFrame, left_ids=()) -> None:
    """Each mentee (incl. those who left) once in ``mentees``; paired <=> in ``pairs``; reasons otherwise."""
    table = result.mentees
    expected = Counter(_ids(mentees)) + Counter(left_ids)
    assert Counter(table["mentee_id"].astype(str)) == expected
    paired = table[table["mentor_id"].notna()]
    assert Counter(paired["mentee_id"].astype(str)) == Counter(result.pairs["mentee_id"].astype(str))
    assert set(paired["status"]) <= {"kept", "re-matched", "moved", "placed"}
    unpaired = table[table["mentor_id"].isna()]
    assert set(unpaired["status"]) <= {"withdrawn", "waitlisted", "unmatched", "left"}
    assert unpaired["reason"].map(lambda r: isinstance(r, str) and r.strip() != "").all()
    assert Counter(result.mentors["mentor_id"].astype(str)) >= Counter(_ids(mentors))
    assert set(result.mentors["mentor_id"].astype(str)) - set(_ids(mentors)) <= set(
        result.mentors.loc[result.mentors["status"] == "left", "mentor_id"].astype(str))
    assert result.mentors["mentor_id"].is_unique
    load = result.pairs["mentor_id"].astype(str).value_counts()
    cap = result.mentors.set_index(result.mentors["mentor_id"].astype(str))["capacity"]
    assert all(load[m] <= cap[m] for m in load.index)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_rematch_conserves_everyone(data):
    rematch = _rematch()
    cohort = data.draw(cohorts(min_mentees=1, max_mentees=9, min_mentors=1, max_mentors=6, with_exclusions=False))
    first = matching.match(cohort["mentees"], cohort["mentors"], relatedness=cohort["relatedness"])
    asked = data.draw(st.lists(st.sampled_from(range(len(first.pairs))), unique=True,
                               max_size=len(first.pairs))) if len(first.pairs) else []
    requests = first.pairs.iloc[asked][["mentee_id", "mentor_id"]].assign(
        requested_by=data.draw(st.sampled_from(["mentee", "mentor", "both"])))
    waitlist = data.draw(st.sampled_from([None, "all"]))
    result = rematch(first, cohort["mentees"], cohort["mentors"], requests, relatedness=cohort["relatedness"],
                     waitlist=waitlist, allow_moves=data.draw(st.booleans()))
    assert_rematch_conserves(result, cohort["mentees"], cohort["mentors"])
    dissolved = set(zip(requests["mentee_id"].astype(str), requests["mentor_id"].astype(str)))
    assert not dissolved & set(zip(result.pairs["mentee_id"].astype(str), result.pairs["mentor_id"].astype(str)))


def test_rematch_with_people_who_left_conserves_everyone():
    rematch = _rematch()
    data = matching.load_example()
    first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    gone = first.pairs["mentee_id"].iloc[0]
    mentees = data["mentees"][data["mentees"]["id"] != gone]
    requests = first.pairs.iloc[1:4][["mentee_id", "mentor_id"]].assign(requested_by="mentee")
    left = pd.DataFrame({"id": [gone], "role": ["mentee"]})
    result = rematch(first, mentees, data["mentors"], requests, relatedness=data["relatedness"], left=left)
    assert_rematch_conserves(result, mentees, data["mentors"], left_ids=[gone])


# --------------------------------------------------------------------------- command line
def _cli():
    return pytest.importorskip("matching.cli")


def test_cli_match_files_conserve_everyone(tmp_path, capsys):
    cli = _cli()
    paths = matching.example_paths()
    code = cli.main(["match", str(paths["mentees"]), str(paths["mentors"]), "--relatedness",
                     str(paths["relatedness"]), "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    read = lambda name: pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)  # noqa: E731
    pairs, unmatched, mentors = read("pairs.csv"), read("unmatched.csv"), read("mentors.csv")
    mentees_in = matching.read_table(paths["mentees"])
    assert Counter(list(pairs["mentee_id"]) + list(unmatched["mentee_id"])) == Counter(_ids(mentees_in))
    assert Counter(mentors["mentor_id"]) == Counter(_ids(matching.read_table(paths["mentors"])))
    assert (unmatched["reason"].str.strip() != "").all()


def test_cli_bad_input_is_one_clear_error_and_writes_nothing(tmp_path, capsys):
    cli = _cli()
    bad = tmp_path / "mentees.csv"
    bad.write_text("id,level,area,kbu\nE1,x,A,K\nE1,2,A,K\n")
    out = tmp_path / "out"
    code = cli.main(["match", str(bad), str(matching.example_paths()["mentors"]), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 problems in the input" in err and "Traceback" not in err
    assert "mentees.csv, row 2, column 'level', id 'E1'" in err
    assert not out.exists() or not any(out.iterdir())


def test_cli_rematch_files_conserve_everyone(tmp_path, capsys):
    cli = _cli()
    paths = matching.example_paths()
    data = matching.load_example()
    first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    first.pairs[["mentee_id", "mentor_id"]].to_csv(tmp_path / "current.csv", index=False)
    first.pairs.iloc[:3][["mentee_id", "mentor_id"]].assign(requested_by="both").to_csv(
        tmp_path / "requests.csv", index=False)
    code = cli.main(["rematch", str(tmp_path / "current.csv"), str(paths["mentees"]), str(paths["mentors"]),
                     str(tmp_path / "requests.csv"), "--relatedness", str(paths["relatedness"]),
                     "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    mentees = pd.read_csv(tmp_path / "out" / "mentees.csv", dtype=str, keep_default_na=False)
    assert Counter(mentees["mentee_id"]) == Counter(_ids(data["mentees"]))
    assert ((mentees["mentor_id"] != "") | (mentees["reason"].str.strip() != "")).all()
    mentors = pd.read_csv(tmp_path / "out" / "mentors.csv", dtype=str, keep_default_na=False)
    assert Counter(mentors["mentor_id"]) == Counter(_ids(data["mentors"]))
    assert np.all(mentors["mentor_id"].is_unique)
