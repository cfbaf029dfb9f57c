"""The committee's decision log: in every output, and re-applied it gives the committee's result."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cohorts

import matching
from matching.files.export import read_back
from matching.review.decisions import DECISION_COLUMNS


def _match(data, **kw):
    return matching.match(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                          exclusions=data.get("exclusions"), pins=data.get("pins"), **kw)


@settings(max_examples=30)
@given(cohorts(min_mentees=2, max_mentees=8, min_mentors=1, max_mentors=5, with_pins=True), st.data())
def test_replaying_the_log_gives_the_committee_result(data, draw):
    result = _match(data)
    allowed = list(zip(result.candidates.i.tolist(), result.candidates.j.tolist()))
    e, m = result.cohort.mentees.ids, result.cohort.mentors.ids
    for step in range(draw.draw(st.integers(1, 3))):
        if not allowed:
            break
        a, b = draw.draw(st.sampled_from(allowed))
        pair = [(str(e[a]), str(m[b]))]
        try:
            if draw.draw(st.booleans()):
                result = result.with_pins(pair, reason=f"step {step}", decided_by="chair")
            else:
                result = result.with_exclusions(pair, reason=f"step {step}", decided_by="chair")
        except matching.MatchingError:
            continue  # a pin that breaks a rule or a ban of a pinned pair: refused, nothing logged
    log = result.decisions
    assert list(log.columns) == list(DECISION_COLUMNS)
    again = _match({**data, "pins": None, "exclusions": None}, decisions=log)
    assert again.mentor_of == result.mentor_of
    assert again.decisions.drop(columns="decided_at").equals(log.drop(columns="decided_at")) or \
        sorted(map(tuple, again.decisions.astype(str).values)) == sorted(map(tuple, log.astype(str).values))


def test_decisions_reach_every_output_and_replay_from_csv(tmp_path, data, base):
    pinned = base.with_pins([("E001", "M018")], reason="first choice", decided_by="chair")
    revised = pinned.with_exclusions([("E002", pinned.mentor_of["E002"])], reason="conflict", decided_by="HR")
    revised.to_csv(tmp_path / "out")
    revised.to_excel(tmp_path / "out.xlsx")
    csv = read_back(tmp_path / "out" / "decisions.csv")
    assert list(csv["kind"]) == ["pin", "exclusion"] and list(csv["decided_by"]) == ["chair", "HR"]
    assert "decisions" in read_back(tmp_path / "out.xlsx")
    assert all(csv["decided_at"].str.endswith("+00:00"))
    again = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                           decisions=tmp_path / "out" / "decisions.csv")
    assert again.mentor_of == revised.mentor_of


def test_a_bad_log_is_one_input_error(data):
    log = pd.DataFrame({"kind": ["pin", "promote"], "mentee_id": ["E001", "E002"], "mentor_id": ["M018", "M001"]})
    with pytest.raises(matching.InputError) as err:
        matching.match(data["mentees"], data["mentors"], decisions=log)
    assert "promote" in str(err.value)
    with pytest.raises(matching.InputError, match="kind"):
        matching.match(data["mentees"], data["mentors"], decisions=log.drop(columns="kind"))


def test_xlsx_summary_numbers_are_numbers(tmp_path, base):
    from openpyxl import load_workbook

    base.to_excel(tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["summary"]
    values = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert isinstance(values["pairs"], int) and isinstance(values["mean_score"], float)
