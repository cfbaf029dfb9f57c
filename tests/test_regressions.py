"""Regression tests, one per bug found (oldest first)."""

import pandas as pd
import pytest

import matching


@pytest.fixture(scope="module")
def example():
    return matching.load_example()


def test_exclusions_do_not_mark_listed_pairs_excluded(example):
    """Bug: with any exclusion present, every *listed* pair (pin checks, reasons) was
    reported as excluded, because the lookup filled absent pairs with 0, not None."""
    bans = pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M015"]})
    pins = pd.DataFrame({"mentee_id": ["E002"], "mentor_id": ["M001"]})
    result = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"],
                            exclusions=bans, pins=pins)
    assert result.mentor_of["E002"] == "M001"
    assert result.mentor_of.get("E001") != "M015"
    reason = result.unmatched.set_index("mentee_id").loc["E055", "reason"]
    assert "excluded" not in reason


def test_user_criterion_exception_becomes_library_error(example):
    """A user criterion that raises its own error escaped as that error (e.g. ZeroDivisionError)."""

    def broken(mentees, mentors):
        return 1 / 0

    with pytest.raises(matching.MatchingError, match="criterion 'broken' raised ZeroDivisionError"):
        matching.match(example["mentees"], example["mentors"], extra_criteria={"broken": broken})


def test_unmatched_ids_are_plain_str(example):
    """unmatched.mentee_id held numpy str_ values, unlike pairs.mentee_id."""
    result = matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])
    assert {type(x) for x in result.unmatched["mentee_id"]} == {str}
