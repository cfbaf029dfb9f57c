"""rematch(): the three-month checkpoint.

Property tests check every run against oracles computed from the raw frames only
(``strategies.allowed_pairs``), never against the library's own rules.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import allowed_pairs, cohorts, records, shuffled

import matching
from matching import InputError, PinError, SettingsError

#: Few hard rules, so that many pairs are allowed and moves can help.
PERMISSIVE = matching.Settings(min_level_gap=0, require_more_experience=False, allow_same_area=True)
STATUSES = {"kept", "re-matched", "moved", "placed", "withdrawn", "waitlisted", "unmatched", "left"}


def _ids(frame) -> list[str]:
    return [str(x) for x in frame["id"]]


@st.composite
def checkpoints(draw, *, with_left=True):
    """A cohort, its first match, requests from some pairs, maybe people who left and a waitlist."""
    data = draw(cohorts(min_mentees=1, max_mentees=8, min_mentors=1, max_mentors=8, with_pins=False))
    data["settings"] = draw(st.sampled_from([matching.Settings(), PERMISSIVE]))
    if draw(st.booleans()):
        first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"],
                               exclusions=data["exclusions"], settings=data["settings"])
    else:  # any feasible assignment: allowed pairs taken greedily in a drawn order
        seats = {k: int(v["capacity"]) for k, v in records(data["mentors"]).items()}
        order = draw(st.permutations(sorted(allowed_pairs(data, data["settings"]))))
        taken = {}
        for e, m in order:
            if e not in taken and seats[m] > 0 and draw(st.integers(0, 3)):
                taken[e], seats[m] = m, seats[m] - 1
        first = SimpleNamespace(pairs=pd.DataFrame({"mentee_id": list(taken), "mentor_id": list(taken.values())},
                                                   columns=["mentee_id", "mentor_id"], dtype=object))
    pairs = list(zip(first.pairs["mentee_id"], first.pairs["mentor_id"]))
    asked = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    requests = pd.DataFrame({"mentee_id": [p[0] for p in asked], "mentor_id": [p[1] for p in asked],
                             "requested_by": [draw(st.sampled_from(["mentee", "mentor", "both", " Mentor "]))
                                              for _ in asked]}, columns=["mentee_id", "mentor_id", "requested_by"])
    left = None
    if with_left and draw(st.booleans()):
        people = [(i, "mentee") for i in _ids(data["mentees"])] + [(i, "mentor") for i in _ids(data["mentors"])]
        gone = draw(st.lists(st.sampled_from(people), unique=True, max_size=2))
        left = pd.DataFrame({"id": [g[0] for g in gone], "role": [g[1] for g in gone]}, columns=["id", "role"])
    waitlist = draw(st.sampled_from([None, "all"]))
    return data, first, requests, left, waitlist


def _run(data, current, requests, **kw):
    return matching.rematch(current, data["mentees"], data["mentors"], requests, relatedness=data["relatedness"],
                            exclusions=data["exclusions"], settings=data["settings"], **kw)


def _left_ids(left, role):
    return set() if left is None else {i for i, r in zip(left["id"], left["role"]) if r == role}


def _check_result(data, first, requests, left, new, history=frozenset()):
    """Every rule of the checkpoint, from the raw frames."""
    ok_pairs = allowed_pairs(data, data["settings"])
    capacity = {k: int(v["capacity"]) for k, v in records(data["mentors"]).items()}
    gone_e, gone_m = _left_ids(left, "mentee"), _left_ids(left, "mentor")
    asked = set(zip(requests["mentee_id"], requests["mentor_id"]))
    dissolved = asked | set(history)
    after = set(zip(new.pairs["mentee_id"], new.pairs["mentor_id"]))
    # hard rules, no dissolved pair, nobody who left, capacities
    assert after <= ok_pairs
    assert not after & dissolved
    assert not {e for e, _ in after} & gone_e and not {m for _, m in after} & gone_m
    load = new.pairs["mentor_id"].value_counts().to_dict()
    assert all(load[m] <= capacity[m] for m in load)
    assert new.pairs["mentee_id"].is_unique
    # conservation: every mentee of the program has exactly one status; every mentor appears
    assert set(new.mentees["mentee_id"]) == set(_ids(data["mentees"])) and new.mentees["mentee_id"].is_unique
    assert set(new.mentees["status"]) <= STATUSES
    assert set(new.mentors["mentor_id"]) == set(_ids(data["mentors"]))
    status = dict(zip(new.mentees["mentee_id"], new.mentees["status"]))
    assert {e for e, _ in after} == {e for e, s in status.items() if s in ("kept", "re-matched", "moved", "placed")}
    s = new.summary
    assert sum(s[k] for k in ("kept", "re_matched", "moved", "placed", "withdrawn", "waitlisted", "not_paired",
                              "left")) == s["program_mentees"] == len(data["mentees"])
    # requesting mentees (or whose mentor left) are re-matched or withdrawn; pairs that did not ask stay
    for e, m in zip(first.pairs["mentee_id"], first.pairs["mentor_id"]):
        if e in gone_e:
            assert status[e] == "left"
        elif (e, m) in asked or m in gone_m:
            assert status[e] in ("re-matched", "withdrawn")
        else:
            assert status[e] in ("kept", "moved")
            assert status[e] == "kept" or new.info.extra["allow_moves"]
    # each withdrawn or waitlisted mentee truly has no feasible mentor with a free seat
    for e in new.mentees.loc[new.mentees["status"].isin(["withdrawn", "waitlisted"]), "mentee_id"]:
        for m in capacity:
            fits = (e, m) in ok_pairs and (e, m) not in dissolved and m not in gone_m
            assert not fits or load.get(m, 0) >= capacity[m], (e, m)
        assert new.mentees.loc[new.mentees["mentee_id"] == e, "reason"].iloc[0].startswith(
            "no mentor with free capacity fits")
    # available mentors are exactly those still in the program with a free seat
    spare = {m for m in capacity if m not in gone_m and load.get(m, 0) < capacity[m]}
    assert set(new.available_mentors["mentor_id"]) == spare
    assert dissolved - {p for p in dissolved if p[0] in gone_e or p[1] in gone_m} <= set(
        zip(new.history["mentee_id"], new.history["mentor_id"])) | {
        p for p in asked if p[0] in gone_e or p[1] in gone_m}


@settings(max_examples=50)
@given(checkpoints())
def test_default_mode_keeps_everyone_else_and_withdraws_only_when_nothing_fits(case):
    data, first, requests, left, waitlist = case
    new = _run(data, first, requests, left=left, waitlist=waitlist)
    _check_result(data, first, requests, left, new)
    kept = new.pairs[new.pairs["status"] == "kept"]
    assert new.summary["kept"] == len(kept) and new.summary["moved"] == 0


@settings(max_examples=25)
@given(checkpoints(with_left=False), st.data())
def test_two_successive_checkpoints_never_reform_a_dissolved_pair(case, draw):
    data, first, requests, _, waitlist = case
    one = _run(data, first, requests, waitlist=waitlist)
    pairs = list(zip(one.pairs["mentee_id"], one.pairs["mentor_id"]))
    again = draw.draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    requests2 = pd.DataFrame({"mentee_id": [p[0] for p in again], "mentor_id": [p[1] for p in again],
                              "requested_by": "mentee"}, columns=["mentee_id", "mentor_id", "requested_by"])
    two = _run(data, one.pairs[["mentee_id", "mentor_id"]], requests2, history=one.history, waitlist=waitlist)
    before = set(zip(one.history["mentee_id"], one.history["mentor_id"]))
    assert set(zip(requests["mentee_id"], requests["mentor_id"])) == before
    _check_result(data, one, requests2, None, two, history=before)
    assert before <= set(zip(two.history["mentee_id"], two.history["mentor_id"]))
    # a RematchResult as current_pairs carries its history by default
    three = _run(data, one, requests2, waitlist=waitlist)
    assert three.mentor_of == two.mentor_of


@settings(max_examples=40)
@given(checkpoints())
def test_allow_moves_rematches_at_least_as_many_and_disturbs_only_when_it_helps(case):
    data, first, requests, left, waitlist = case
    fixed = _run(data, first, requests, left=left, waitlist=waitlist)
    moving = _run(data, first, requests, left=left, waitlist=waitlist, allow_moves=True)
    _check_result(data, first, requests, left, moving)
    assert moving.summary["re_matched"] >= fixed.summary["re_matched"]
    if moving.summary["moved"]:
        assert moving.summary["re_matched"] > fixed.summary["re_matched"]
    else:
        assert moving.summary["re_matched"] == fixed.summary["re_matched"]
    moved = moving.mentees.loc[moving.mentees["status"] == "moved", ["mentee_id", "previous_mentor_id"]]
    assert set(map(tuple, moved.to_numpy())) <= set(zip(moving.history["mentee_id"], moving.history["mentor_id"]))


@settings(max_examples=25)
@given(checkpoints(), st.integers(0, 2**16))
def test_row_order_does_not_matter(case, seed):
    data, first, requests, left, waitlist = case
    a = _run(data, first, requests, left=left, waitlist=waitlist)
    mixed = {k: shuffled(v, seed) if isinstance(v, pd.DataFrame) else v for k, v in data.items()}
    b = matching.rematch(shuffled(first.pairs[["mentee_id", "mentor_id"]], seed), mixed["mentees"],
                         mixed["mentors"], shuffled(requests, seed), relatedness=mixed["relatedness"],
                         exclusions=mixed["exclusions"], left=shuffled(left, seed), waitlist=waitlist,
                         settings=data["settings"])
    assert a.mentor_of == b.mentor_of
    pd.testing.assert_frame_equal(a.mentees, b.mentees)


# --- a small case where moving one pair helps -----------------------------------------------

def _small():
    mentees = pd.DataFrame({"id": ["A", "B"], "level": [1, 1], "area": ["a", "b"], "kbu": ["k1", "k2"]})
    mentors = pd.DataFrame({"id": ["X", "Y"], "level": [3, 3], "area": ["x", "y"], "kbu": ["k3", "k4"],
                            "capacity": [1, 1]})
    current = pd.DataFrame({"mentee_id": ["A", "B"], "mentor_id": ["X", "Y"]})
    return mentees, mentors, current


def test_a_move_is_made_only_when_it_is_worth_the_penalty():
    mentees, mentors, current = _small()
    ask = pd.DataFrame({"mentee_id": ["A"], "mentor_id": ["X"], "requested_by": ["mentee"]})
    fixed = matching.rematch(current, mentees, mentors, ask)
    assert fixed.mentor_of == {"B": "Y"} and list(fixed.withdrawn["mentee_id"]) == ["A"]
    assert fixed.withdrawn["reason"].iloc[0] == ("no mentor with free capacity fits: of 2 mentors, 1 was paired "
                                                 "with the mentee before (a dissolved pair), and the 1 other has no "
                                                 "free capacity")
    assert list(fixed.available_mentors["mentor_id"]) == ["X"]
    moved = matching.rematch(current, mentees, mentors, ask, allow_moves=True)
    assert moved.mentor_of == {"A": "Y", "B": "X"}
    assert moved.summary["moved"] == 1 and moved.info.extra["disturbed"] == 1
    assert set(moved.pairs["status"]) == {"new"}
    assert ("B", "Y", "moved") in set(map(tuple, moved.history.to_numpy()))
    costly = matching.rematch(current, mentees, mentors, ask, allow_moves=True, move_penalty=1.5)
    assert costly.mentor_of == {"B": "Y"}


def test_left_mentor_and_late_joiners(tmp_path):
    mentees, mentors, current = _small()
    mentees = pd.concat([mentees, pd.DataFrame({"id": ["C"], "level": [1], "area": ["c"], "kbu": ["k1"]})])
    mentors = pd.concat([mentors, pd.DataFrame({"id": ["Z"], "level": [4], "area": ["z"], "kbu": ["k2"],
                                                "capacity": [1]})])
    left = pd.DataFrame({"id": ["Y"], "role": ["mentor"]})
    new = matching.rematch(current, mentees, mentors, None, left=left, waitlist=["C"])
    status = dict(zip(new.mentees["mentee_id"], new.mentees["status"]))
    assert status == {"A": "kept", "B": "re-matched", "C": "waitlisted"}
    assert new.mentor_of == {"A": "X", "B": "Z"}
    assert new.changes.set_index("mentee_id").loc["B", "requested_by"] == "mentor left"
    assert "1 has left the program" in new.waitlisted["reason"].iloc[0]
    assert new.history.empty  # a pair ended because someone left is not a dissolved pair
    # files in: every input also accepts a CSV path
    paths = {}
    for name, frame in {"current": current, "mentees": mentees, "mentors": mentors, "left": left}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    again = matching.rematch(paths["current"], paths["mentees"], paths["mentors"], None, left=paths["left"],
                             waitlist=["C"])
    assert again.mentor_of == new.mentor_of


# --- bad input -------------------------------------------------------------------------------

def _problems(excinfo) -> list[tuple]:
    cases = excinfo.value.failure_cases
    return list(zip(cases["file"], cases["row"], cases["column"], cases["problem"]))


def test_bad_requests_name_the_row(tmp_path):
    mentees, mentors, current = _small()
    ask = pd.DataFrame({"mentee_id": ["A", "A", "Q", "B"], "mentor_id": ["Y", "X", "X", "Y"],
                        "requested_by": ["mentee", "nobody", "mentee", "both"]})
    path = tmp_path / "requests.csv"
    ask.to_csv(path, index=False)
    with pytest.raises(InputError) as excinfo:
        matching.rematch(current, mentees, mentors, path)
    problems = _problems(excinfo)
    assert ("requests.csv", 2, "mentor_id", "pair (A, Y) is not a current pair ('A' is paired with 'X')") in problems
    assert ("requests.csv", 3, "requested_by",
            "requested_by must be one of mentee, mentor, both; got 'nobody'") in problems
    assert ("requests.csv", 4, "mentee_id", "unknown mentee 'Q'") in problems
    assert len(problems) == 3


def test_bad_current_pairs_name_the_row():
    mentees, mentors, current = _small()
    mentors.loc[1, "level"] = 1  # Y is no longer above B: flagged, not an error (tests/test_checkpoint.py)
    current = pd.concat([current, pd.DataFrame({"mentee_id": ["A", "Q"], "mentor_id": ["Y", "X"]})],
                        ignore_index=True)
    with pytest.raises(InputError) as excinfo:
        matching.rematch(current, mentees, mentors, None)
    text = str(excinfo.value)
    assert "seniority" not in text and len(excinfo.value.failure_cases) == 2
    assert "row 2, column 'mentee_id', id 'A': mentee 'A' is in two current pairs (also with 'X' on row 0)" in text
    assert "row 3, column 'mentee_id', id 'Q': unknown mentee 'Q'" in text


def test_mentor_over_capacity_and_bad_left_and_waitlist():
    mentees, mentors, current = _small()
    current.loc[1, "mentor_id"] = "X"
    with pytest.raises(InputError, match="mentor 'X' has capacity 1 but keeps 2 pair\\(s\\) that did not ask"):
        matching.rematch(current, mentees, mentors, None)
    mentees, mentors, current = _small()
    left = pd.DataFrame({"id": ["nobody", "A"], "role": ["mentee", "boss"]})
    with pytest.raises(InputError) as excinfo:
        matching.rematch(current, mentees, mentors, None, left=left, waitlist=["B"])
    problems = [p[3] for p in _problems(excinfo)]
    assert problems == ["unknown mentee id 'nobody' (not in the people tables nor in current_pairs)",
                        "role must be 'mentee' or 'mentor'; got 'boss'",
                        "mentee 'B' is on the waitlist but has a current pair"]


def test_a_history_pair_cannot_be_current_and_a_pin_cannot_reform_a_dissolved_pair():
    mentees, mentors, current = _small()
    history = pd.DataFrame({"mentee_id": ["B"], "mentor_id": ["Y"]})
    with pytest.raises(InputError, match="current pair \\(B, Y\\) breaks the hard rule 'excluded': it was dissolved"):
        matching.rematch(current, mentees, mentors, None, history=history)
    ask = pd.DataFrame({"mentee_id": ["A"], "mentor_id": ["X"], "requested_by": ["mentee"]})
    with pytest.raises(PinError, match="'excluded'"):
        matching.rematch(current, mentees, mentors, ask, pins=pd.DataFrame({"mentee_id": ["A"], "mentor_id": ["X"]}))
    with pytest.raises(PinError, match="pins and kept pairs give 2 mentees"):
        matching.rematch(current, mentees, mentors, ask, pins=pd.DataFrame({"mentee_id": ["A"], "mentor_id": ["Y"]}))


@pytest.mark.parametrize("options", [{"move_penalty": 0}, {"move_penalty": "high"}, {"allow_moves": "yes"}])
def test_bad_options(options):
    mentees, mentors, current = _small()
    with pytest.raises(SettingsError):
        matching.rematch(current, mentees, mentors, None, **options)


# --- the worked example of docs/rematch.md ---------------------------------------------------

def worked_example():
    """Match the bundled cohort; the mentee with the fewest eligible mentors and the first
    four pairs (by mentee id) whose mentor does not fit that mentee ask for a change."""
    data = matching.load_example()
    first = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    table = matching.candidates(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    pairs = first.pairs[["mentee_id", "mentor_id"]].sort_values("mentee_id")
    n_fit = table.groupby("mentee_id").size()
    hard = pairs.assign(n=pairs["mentee_id"].map(n_fit)).sort_values(["n", "mentee_id"])["mentee_id"].iloc[0]
    fits_hard = set(table.loc[table["mentee_id"] == hard, "mentor_id"])
    others = pairs[~pairs["mentor_id"].isin(fits_hard) & (pairs["mentee_id"] != hard)].head(4)
    requests = pd.concat([pairs[pairs["mentee_id"] == hard], others]).sort_values("mentee_id")
    requests["requested_by"] = ["mentee", "mentor", "mentee", "both", "mentee"]
    new = matching.rematch(first, data["mentees"], data["mentors"], requests, relatedness=data["relatedness"])
    return first, requests.reset_index(drop=True), new


def test_worked_example_matches_the_docs():
    first, requests, new = worked_example()
    assert len(first.pairs) == 53
    assert list(requests["mentee_id"]) == ["E001", "E002", "E003", "E006", "E007"]
    s = new.summary
    assert (s["requests"], s["re_matched"], s["withdrawn"], s["kept"]) == (5, 4, 1, 48)
    assert list(new.withdrawn["mentee_id"]) == ["E007"]
    assert new.withdrawn["reason"].iloc[0] == (
        "no mentor with free capacity fits: of 40 mentors, 28 are not at least 1 level above the mentee's level 6, "
        "1 was paired with the mentee before (a dissolved pair), 1 has no capacity (capacity 0), "
        "and all 10 others have no free capacity")
    changes = new.changes.set_index("mentee_id")
    assert changes.loc[["E001", "E002", "E003", "E006"], "new_mentor_id"].tolist() == ["M039", "M002", "M015", "M028"]
    assert list(new.available_mentors["mentor_id"]) == ["M015"]
    assert len(new.history) == 5


def test_worked_example_variations_in_the_docs():
    first, requests, _ = worked_example()
    data = matching.load_example()
    run = lambda **kw: matching.rematch(first, data["mentees"], data["mentors"], requests,  # noqa: E731
                                        relatedness=data["relatedness"], **kw)
    moving = run(allow_moves=True)
    assert (moving.summary["re_matched"], moving.summary["moved"], moving.summary["withdrawn"]) == (5, 1, 0)
    assert moving.changes.set_index("mentee_id").loc["E024", ["previous_mentor_id", "new_mentor_id"]].tolist() == [
        "M008", "M015"]
    assert moving.mentor_of["E007"] == "M008"
    waiting = run(waitlist="all")
    assert (waiting.summary["re_matched"], waiting.summary["placed"], waiting.summary["withdrawn"]) == (4, 1, 1)
    assert waiting.mentor_of["E046"] == "M015" and waiting.available_mentors.empty
