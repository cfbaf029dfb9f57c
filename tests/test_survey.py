"""read_survey(): the three-month survey export into the requests of rematch().

Properties are checked against an oracle computed from the drawn answers themselves.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching import InputError, SettingsError

YES = ("yes", "Yes", " y ", "TRUE", "1")
NO = ("no", "No", "n", "false", "0")
HEADERS = {"mentee_id": ("mentee_id", "Mentee ID", "mentee"), "mentor_id": ("mentor_id", "Mentor-ID", "mentor"),
           "respondent": ("respondent", "Role", "answered by"),
           "compatibility": ("compatibility", "Rating", "Compatibility rating"),
           "change": ("change", "Wishes to change", "wants change", "Wants to change")}


@st.composite
def surveys(draw):
    """Current pairs, answers (some sides silent, some blank), shuffled, headers spelled variously."""
    n = draw(st.integers(0, 6))
    pairs = [(f"E{k}", f"M{draw(st.integers(0, 3))}") for k in range(n)]
    rows = []
    for e, m in pairs:
        for side in ("mentee", "mentor"):
            for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):  # silent, once, or twice the same
                change = draw(st.sampled_from(["yes", "no", "blank"]))
                cell = {"yes": draw(st.sampled_from(YES)), "no": draw(st.sampled_from(NO)), "blank": ""}[change]
                rating = draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
                rows.append({"mentee_id": e, "mentor_id": m, "respondent": draw(st.sampled_from([side, side.title()])),
                             "compatibility": rating, "change": cell, "_said": change})
    if rows:  # a side answering twice gives the same change answer (a conflict is an error, tested below)
        first = {}
        for r in rows:
            key = (r["mentee_id"], r["respondent"].lower())
            r["change"], r["_said"] = first.setdefault(key, (r["change"], r["_said"]))
    rows = draw(st.permutations(rows))
    frame = pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "respondent", "compatibility", "change", "_said"])
    said = frame.pop("_said").tolist()
    frame = frame.rename(columns={c: draw(st.sampled_from(HEADERS[c])) for c in frame.columns})
    current = pd.DataFrame({"mentee_id": [p[0] for p in pairs], "mentor_id": [p[1] for p in pairs]},
                           columns=["mentee_id", "mentor_id"])
    return frame, said, current, draw(st.sampled_from([None, 1, 2, 3.5]))


@settings(max_examples=80)
@given(surveys())
def test_every_answer_is_accounted_for_and_requests_match_the_answers(case):
    frame, said, current, low = case
    survey = matching.read_survey(frame, current, low_rating=low)
    pairs = set(zip(current["mentee_id"], current["mentor_id"]))
    who = [str(r).strip().lower() for r in frame.iloc[:, 2]]
    rating = frame.iloc[:, 3].tolist()
    keys = list(zip(frame.iloc[:, 0], frame.iloc[:, 1]))
    # requests: the pairs where a side said yes, with who
    yes = {}
    for key, side, s in zip(keys, who, said):
        if s == "yes":
            yes.setdefault(key, set()).add(side)
    expected = {k: ("both" if len(v) == 2 else next(iter(v))) for k, v in yes.items()}
    got = dict(zip(zip(survey.requests["mentee_id"], survey.requests["mentor_id"]), survey.requests["requested_by"]))
    assert got == expected
    # flagged: pairs that did not ask where a side rated at or below low_rating
    low_pairs = {k for k, r in zip(keys, rating) if low is not None and r is not None and not pd.isna(r) and r <= low}
    assert set(zip(survey.flagged["mentee_id"], survey.flagged["mentor_id"])) == low_pairs - set(yes)
    # every answer accounted for, once, in order, with an outcome that follows from it
    assert len(survey.answers) == len(frame)
    for k, (key, s, r) in enumerate(zip(keys, said, rating)):
        outcome = survey.answers["outcome"].iloc[k]
        assert tuple(survey.answers[["mentee_id", "mentor_id"]].iloc[k]) == key
        if s == "yes":
            assert outcome == "request"
        elif key in low_pairs - set(yes) and r is not None and not pd.isna(r) and r <= low:
            assert outcome == "low rating"
        else:
            assert outcome == {"no": "no change", "blank": "unanswered"}[s]
    # unanswered: pairs with a side that gave no change answer (silence or blank is not a request)
    answered = {(key, side) for key, side, s in zip(keys, who, said) if s != "blank"}
    missing = {p for p in pairs if (p, "mentee") not in answered or (p, "mentor") not in answered}
    assert set(zip(survey.unanswered["mentee_id"], survey.unanswered["mentor_id"])) == missing


def _current():
    return pd.DataFrame({"mentee_id": ["E1", "E2", "E3"], "mentor_id": ["M1", "M1", "M2"]})


def test_bad_answers_are_one_error_listing_each(tmp_path):
    answers = pd.DataFrame({
        "Mentee ID": ["E1", "E2", "E9", "E3", "E1", "E3", "E2"],
        "Mentor ID": ["M1", "M2", "M1", "M2", "M1", "M2", "M1"],
        "Respondent": ["mentee", "mentor", "mentee", "committee", "mentor", "mentee", "mentee"],
        "Rating": ["4", "", "3", "2", "high", "5", "1"],
        "Wants change": ["yes", "no", "no", "no", "no", "maybe", ""]})
    path = tmp_path / "survey.csv"
    answers.to_csv(path, index=False)
    with pytest.raises(InputError) as excinfo:
        matching.read_survey(path, _current())
    cases = excinfo.value.failure_cases
    assert list(zip(cases["row"], cases["column"], cases["problem"])) == [
        (3, "mentor_id", "pair (E2, M2) is not a current pair"),
        (4, "mentor_id", "pair (E9, M1) is not a current pair"),
        (5, "respondent", "respondent must be mentee or mentor (a side of the pair); got 'committee'"),
        (6, "compatibility", "compatibility must be a number (or empty); got 'high'"),
        (7, "change", "change must be yes or no (empty: unanswered); got 'maybe'")]
    assert set(cases["file"]) == {"survey.csv"}


def test_a_side_answering_twice_differently_is_an_error():
    answers = pd.DataFrame({"mentee_id": ["E1", "E1"], "mentor_id": ["M1", "M1"], "respondent": ["mentee"] * 2,
                            "change": ["yes", "no"]})
    with pytest.raises(InputError, match="answered the change question twice with different answers"):
        matching.read_survey(answers, _current())


def test_form_question_text_is_mapped_with_columns_and_options_are_checked():
    answers = pd.DataFrame({"Your mentee's ID": ["E1", "E3"], "Your mentor's ID": ["M1", "M2"],
                            "I am the": ["Mentor", "mentee"], "How compatible are you (1-5)?": [1, 5],
                            "Would you like to change partner?": ["No", "Yes"]})
    columns = {"your mentee's id": "mentee_id", "YOUR MENTOR'S ID": "mentor_id", "I am the": "respondent",
               "How compatible are you (1-5)?": "compatibility", "Would you like to change partner?": "change"}
    survey = matching.read_survey(answers, _current(), low_rating=2, columns=columns)
    assert survey.requests.to_dict("records") == [{"mentee_id": "E3", "mentor_id": "M2", "requested_by": "mentee"}]
    assert survey.flagged[["mentee_id", "mentor_rating", "rated_low_by"]].to_dict("records") == [
        {"mentee_id": "E1", "mentor_rating": 1.0, "rated_low_by": "mentor"}]
    with pytest.raises(InputError, match="columns= renames 'Nope'"):
        matching.read_survey(answers, _current(), columns={**columns, "Nope": "change"})
    with pytest.raises(InputError, match="missing required column 'compatibility'"):  # ratings never ignored
        matching.read_survey(answers.drop(columns="How compatible are you (1-5)?"), _current(), low_rating=2,
                             columns={k: v for k, v in columns.items() if v != "compatibility"})
    with pytest.raises(InputError, match="survey is required"):
        matching.read_survey(None, _current())
    with pytest.raises(SettingsError, match="low_rating must be a number"):
        matching.read_survey(answers, _current(), low_rating="2", columns=columns)


def test_survey_to_rematch_to_carry_over_on_the_bundled_cohort(data, base, tmp_path, capsys):
    pairs = base.pairs.sort_values("mentee_id").head(6)
    rows = []
    for k, (e, m) in enumerate(zip(pairs["mentee_id"], pairs["mentor_id"])):
        rows.append({"mentee_id": e, "mentor_id": m, "respondent": "mentee", "compatibility": 1 + k % 5,
                     "change": "yes" if k in (0, 2) else "no"})
        rows.append({"mentee_id": e, "mentor_id": m, "respondent": "mentor", "compatibility": 3,
                     "change": "yes" if k == 2 else ""})
    answers = pd.DataFrame(rows)
    survey = matching.read_survey(answers, base, low_rating=2)
    assert survey.requests["requested_by"].tolist() == ["mentee", "both"]
    assert len(survey.flagged) == 2  # mentees k = 1 and k = 5 rated 2 and 1 and did not ask
    new = matching.rematch(base, data["mentees"], data["mentors"], survey.requests, relatedness=data["relatedness"])
    assert new.summary["requests"] == 2
    assert sorted(new.carry_over()["id"]) == sorted(new.withdrawn["mentee_id"])
    # the command line: --survey in place of a requests file; carry_over.csv and survey_flagged.csv
    from matching import cli

    paths = matching.example_paths()
    base.pairs[["mentee_id", "mentor_id"]].to_csv(tmp_path / "current.csv", index=False)
    answers.to_csv(tmp_path / "survey.csv", index=False)
    out = tmp_path / "out"
    (out).mkdir()
    (out / "flags.csv").write_text("stale")
    code = cli.main(["rematch", str(tmp_path / "current.csv"), str(paths["mentees"]), str(paths["mentors"]),
                     "--survey", str(tmp_path / "survey.csv"), "--low-rating", "2", "--relatedness",
                     str(paths["relatedness"]), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    carry = pd.read_csv(out / "carry_over.csv", dtype=str)
    assert sorted(carry["id"]) == sorted(new.withdrawn["mentee_id"])
    assert "gender" not in carry.columns  # exports never hold gender or race
    assert len(pd.read_csv(out / "survey_flagged.csv")) == 2
    assert not (out / "flags.csv").exists()  # no flags this time: a stale file is removed
    with pytest.raises(SystemExit) as usage:
        cli.main(["rematch", str(tmp_path / "current.csv"), str(paths["mentees"]), str(paths["mentors"])])
    assert usage.value.code == 2 and "give a requests file or --survey" in capsys.readouterr().err


def test_the_walkthrough_of_docs_rematch(data, base):
    answers = pd.DataFrame([
        ("E001", "M015", "mentee", 2, "yes"), ("E001", "M015", "mentor", 3, "no"),
        ("E002", "M015", "mentee", 4, "no"), ("E002", "M015", "mentor", 2, "yes"),
        ("E003", "M028", "mentee", 1, "yes"),
        ("E004", "M002", "mentee", 2, "no"), ("E004", "M002", "mentor", 4, "no"),
        ("E006", "M039", "mentee", 1, "yes"), ("E006", "M039", "mentor", 2, "yes"),
        ("E007", "M002", "mentee", 3, "yes"), ("E007", "M002", "mentor", 5, ""),
    ], columns=["Mentee ID", "Mentor ID", "Respondent", "Compatibility", "Wishes to change"])
    survey = matching.read_survey(answers, base, low_rating=2)
    assert survey.requests.values.tolist() == [["E001", "M015", "mentee"], ["E002", "M015", "mentor"],
                                               ["E003", "M028", "mentee"], ["E006", "M039", "both"],
                                               ["E007", "M002", "mentee"]]
    assert survey.flagged[["mentee_id", "mentor_id", "rated_low_by", "note"]].values.tolist() == [
        ["E004", "M002", "mentee", "the mentee rated 2, the mentor rated 4 (at or below 2); no change asked"]]
    assert survey.answers["outcome"].iloc[-1] == "unanswered" and len(survey.unanswered) == 49
    new = matching.rematch(base, data["mentees"], data["mentors"], survey.requests, relatedness=data["relatedness"])
    assert repr(new) == "RematchResult(52 pairs: 48 kept, 4 re-matched, 0 moved, 0 placed; 1 withdrawn; OPTIMAL)"
    assert new.carry_over()[["id", "level", "area", "priority"]].values.tolist() == [["E007", "6", "Fire", 2.0]]
    s = new.summary
    assert (s["pairs"], s["unmatched"], s["ineligible"], s["no_eligible_mentor"], s["capacity_exhausted"],
            s["not_waitlisted"], s["program_mentees"]) == (52, 9, 2, 0, 1, 6, 61)
