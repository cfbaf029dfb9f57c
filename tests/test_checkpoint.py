"""The checkpoint as it really happens: seats freed by those who leave, promotions since the
match, kept pairs that now break a rule, new capacities, carry-over to the next session.

Property tests check every run against oracles computed from the raw frames only
(``strategies.allowed_pairs`` and a brute-force maximum), never the library's own rules.
"""

from __future__ import annotations

import warnings
from collections import Counter
from functools import cache

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import allowed_pairs, cohorts, records

import matching
from matching import InputError, MatchingWarning, SettingsError

PERMISSIVE = matching.Settings(min_level_gap=0, require_more_experience=False, allow_same_area=True)
PAIRED = ("kept", "re-matched", "moved", "placed")


def _ids(frame) -> list[str]:
    return [str(x) for x in frame["id"]]


@st.composite
def drifted_checkpoints(draw):
    """A cohort, any feasible set of current pairs, requests, then the drift of three months:
    some mentees promoted (their kept pair may now break a rule) and new mentor capacities
    (below the old one where a mentor asked, never below the pairs a mentor keeps)."""
    data = draw(cohorts(min_mentees=1, max_mentees=7, min_mentors=1, max_mentors=6, with_pins=False))
    data["settings"] = draw(st.sampled_from([matching.Settings(), PERMISSIVE]))
    seats = {k: int(v["capacity"]) for k, v in records(data["mentors"]).items()}
    taken: dict = {}
    for e, m in draw(st.permutations(sorted(allowed_pairs(data, data["settings"])))):
        if e not in taken and seats[m] > 0 and draw(st.integers(0, 3)):
            taken[e], seats[m] = m, seats[m] - 1
    pairs = sorted(taken.items())
    asked = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    requests = pd.DataFrame({"mentee_id": [p[0] for p in asked], "mentor_id": [p[1] for p in asked],
                             "requested_by": [draw(st.sampled_from(["mentee", "mentor", "both"])) for _ in asked]},
                            columns=["mentee_id", "mentor_id", "requested_by"])
    mentees = data["mentees"].copy()
    promoted = draw(st.lists(st.sampled_from(_ids(mentees)), unique=True, max_size=3))
    step = draw(st.integers(1, 3))
    mentees["level"] = [int(v) + step * (str(i) in promoted) for i, v in zip(mentees["id"], mentees["level"])]
    keeps = Counter(m for e, m in pairs if (e, m) not in set(asked))
    mentors = data["mentors"].copy()
    mentors["capacity"] = [draw(st.integers(keeps[str(m)], max(keeps[str(m)], int(c)) + 1))
                           for m, c in zip(mentors["id"], mentors["capacity"])]
    current = pd.DataFrame({"mentee_id": [p[0] for p in pairs], "mentor_id": [p[1] for p in pairs]},
                           columns=["mentee_id", "mentor_id"], dtype=object)
    new = dict(data, mentees=mentees, mentors=mentors)
    return new, current, requests, draw(st.sampled_from(["keep", "rematch"])), draw(st.sampled_from([None, "all"]))


def _rematch(data, current, requests, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = matching.rematch(current, data["mentees"], data["mentors"], requests, settings=data["settings"],
                                  relatedness=data["relatedness"], exclusions=data["exclusions"], **kw)
    return result, [w for w in caught if issubclass(w.category, MatchingWarning)]


def _best_rematched(seekers, arcs, free, priority) -> float:
    """Brute force: the largest total priority of seekers placed in free seats along arcs."""
    seekers = sorted(seekers)
    mentors = sorted(free)

    @cache
    def best(k: int, seats: tuple) -> float:
        if k == len(seekers):
            return 0.0
        out = best(k + 1, seats)
        for n, m in enumerate(mentors):
            if seats[n] > 0 and (seekers[k], m) in arcs:
                rest = seats[:n] + (seats[n] - 1,) + seats[n + 1:]
                out = max(out, priority[seekers[k]] + best(k + 1, rest))
        return out

    return best(0, tuple(max(free[m], 0) for m in mentors))


@settings(max_examples=60)
@given(drifted_checkpoints())
def test_checkpoint_properties(case):
    data, current, requests, broken_pairs, waitlist = case
    new, caught = _rematch(data, current, requests, broken_pairs=broken_pairs, waitlist=waitlist)
    ok = allowed_pairs(data, data["settings"])
    cap = {k: int(v["capacity"]) for k, v in records(data["mentors"]).items()}
    priority = {k: float(v.get("priority") or 1) for k, v in records(data["mentees"]).items()}
    pairs = set(zip(current["mentee_id"], current["mentor_id"]))
    asked = set(zip(requests["mentee_id"], requests["mentor_id"]))
    broken = {p for p in pairs - asked if p not in ok}  # kept pairs that now break a hard rule
    # flagged: exactly the pairs that did not ask and break a rule, with a warning when kept
    assert set(zip(new.flags["mentee_id"], new.flags["mentor_id"])) == broken
    assert bool(caught) == (bool(broken) and broken_pairs == "keep")
    dissolved = asked | (broken if broken_pairs == "rematch" else set())
    staying = pairs - dissolved
    after = set(zip(new.pairs["mentee_id"], new.pairs["mentor_id"]))
    # kept pairs stay (flagged ones included unless asked to re-match); dissolved pairs never re-form
    assert staying <= after and not after & dissolved
    assert set(zip(new.history["mentee_id"], new.history["mentor_id"])) == dissolved
    # every pair formed keeps the hard rules; no mentor exceeds the new capacity
    assert after - staying <= ok
    load = Counter(m for _, m in after)
    assert all(load[m] <= cap[m] for m in load)
    status = dict(zip(new.mentees["mentee_id"], new.mentees["status"]))
    # as many who asked are re-matched as possible (priority-weighted), by brute force
    seekers = {e for e, _ in dissolved}
    free = {m: cap[m] - sum(1 for _, mm in staying if mm == m) for m in cap}
    best = _best_rematched(seekers, ok - dissolved, free, priority)
    got = sum(priority[e] for e in seekers if status[e] == "re-matched")
    assert got == pytest.approx(best)
    assert {e for e in seekers if status[e] not in ("re-matched", "withdrawn")} == set()
    # every withdrawal is justified: no mentor with a free seat who fits and was not dissolved
    for e in (e for e, s in status.items() if s in ("withdrawn", "waitlisted")):
        for m in cap:
            assert (e, m) not in ok - dissolved or load[m] >= cap[m], (e, m)
    # the counts add up
    s = new.summary
    assert s["unmatched"] == s["ineligible"] + s["no_eligible_mentor"] + s["capacity_exhausted"] + s["not_waitlisted"]
    assert s["unmatched"] + s["pairs"] + s["left"] == s["program_mentees"] == len(data["mentees"])
    assert s["withdrawn"] + s["waitlisted"] == s["no_eligible_mentor"] + s["capacity_exhausted"]
    assert new.info.matched_priority == pytest.approx(sum(priority[e] for e, _ in after))


@settings(max_examples=30)
@given(drifted_checkpoints(), st.sampled_from([0.0, 0.5, 1.0, 2.5]))
def test_carry_over_rows_are_the_input_rows_and_match_in_a_fresh_match(case, step):
    data, current, requests, broken_pairs, _ = case
    new, _ = _rematch(data, current, requests, broken_pairs=broken_pairs)
    rows = new.carry_over(step=step)
    withdrawn = sorted(new.withdrawn["mentee_id"])
    assert list(rows.columns) == list(data["mentees"].columns) and list(map(str, rows["id"])) == withdrawn
    source = records(data["mentees"])
    for e, row in records(rows).items():
        before = source[e]
        assert {k: v for k, v in row.items() if k != "priority"} == {k: v for k, v in before.items() if k != "priority"}
        assert row["priority"] == pytest.approx(float(before["priority"] or 1) + step)
    # appended to the next session's mentees (here: the others, as they were), they read back raised
    others = data["mentees"][~data["mentees"]["id"].astype(str).isin(withdrawn)]
    fresh = matching.match(pd.concat([others, rows], ignore_index=True), data["mentors"], settings=data["settings"],
                           relatedness=data["relatedness"])
    got = dict(zip(fresh.cohort.mentees.ids, fresh.cohort.mentees.priority))
    assert got == pytest.approx({e: float(v["priority"] or 1) + step * (e in withdrawn) for e, v in source.items()})


# --- the natural cases of the issue, one by one -------------------------------------------------

def _small():
    mentees = pd.DataFrame({"id": ["A", "B", "C"], "level": [1, 1, 1], "area": ["a", "b", "c"],
                            "kbu": ["k1", "k2", "k1"]})
    mentors = pd.DataFrame({"id": ["X", "Y"], "level": [3, 3], "area": ["x", "y"], "kbu": ["k3", "k4"],
                            "capacity": [2, 1]})
    current = pd.DataFrame({"mentee_id": ["A", "B", "C"], "mentor_id": ["X", "Y", "X"]})
    return mentees, mentors, current


def _ask(*pairs):
    return pd.DataFrame({"mentee_id": [p[0] for p in pairs], "mentor_id": [p[1] for p in pairs],
                         "requested_by": [p[2] for p in pairs]})


def test_a_mentor_who_asks_may_come_with_less_capacity():
    mentees, mentors, current = _small()
    mentors.loc[0, "capacity"] = 1  # X keeps C, has no time for another mentee
    new = matching.rematch(current, mentees, mentors, _ask(("A", "X", "mentor")))
    assert new.mentor_of == {"B": "Y", "C": "X"} and list(new.withdrawn["mentee_id"]) == ["A"]
    mentors.loc[1, "capacity"] = 0  # Y asks too and takes no one: both seats freed
    new = matching.rematch(current, mentees, mentors, _ask(("A", "X", "mentor"), ("B", "Y", "mentor")))
    assert new.mentor_of == {"C": "X"} and new.summary["withdrawn"] == 2


def test_a_promoted_mentee_whose_pair_asked_is_not_refused():
    mentees, mentors, current = _small()
    mentees.loc[0, "level"] = 3  # A now at X's level
    new = matching.rematch(current, mentees, mentors, _ask(("A", "X", "both")))
    assert new.flags.empty and new.mentees.set_index("mentee_id").loc["A", "status"] == "withdrawn"


def test_a_kept_pair_that_breaks_a_rule_is_flagged_kept_or_rematched():
    mentees, mentors, current = _small()
    mentees.loc[1, "level"] = 4  # B promoted past Y
    with pytest.warns(MatchingWarning, match=r"\(B, Y\): the mentor \(level 3\) is not at least 1 level"):
        kept = matching.rematch(current, mentees, mentors, None)
    assert kept.mentor_of == {"A": "X", "B": "Y", "C": "X"}
    assert kept.flags.to_dict("records") == [{
        "mentee_id": "B", "mentor_id": "Y", "rule": "seniority", "action": "kept",
        "reason": "the mentor (level 3) is not at least 1 level(s) above the mentee (level 4)"}]
    with pytest.warns(MatchingWarning):
        moved = matching.rematch(current, mentees, mentors, None, allow_moves=True)
    assert moved.mentor_of["B"] == "Y"  # a flagged pair is never moved
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = matching.rematch(current, mentees, mentors, None, broken_pairs="rematch")
    assert again.flags["action"].tolist() == ["re-match"]
    assert again.changes.to_dict("records") == [{"mentee_id": "B", "previous_mentor_id": "Y", "new_mentor_id": None,
                                                 "requested_by": "broken rule", "change": "withdrawn"}]
    assert again.history.to_dict("records") == [{"mentee_id": "B", "mentor_id": "Y", "requested_by": "broken rule"}]
    assert list(again.carry_over()["id"]) == ["B"]
    with pytest.raises(SettingsError, match="broken_pairs must be one of"):
        matching.rematch(current, mentees, mentors, None, broken_pairs="drop")


def test_capacity_below_the_kept_pairs_names_the_mentor_the_pairs_and_the_fix():
    mentees, mentors, current = _small()
    mentors.loc[0, "capacity"] = 1
    with pytest.raises(InputError) as excinfo:
        matching.rematch(current, mentees, mentors, None)
    (problem,) = excinfo.value.failure_cases["problem"]
    assert problem == ("mentor 'X' has capacity 1 but keeps 2 pair(s) that did not ask for a change: (A, X) on row 0, "
                       "(C, X) on row 2; to resolve it, add a request for 1 of these pairs to the requests "
                       "(requested_by = mentor), or give the mentor capacity 2 in the mentors table")
    mentees.loc[0, "level"] = 3  # (A, X) now breaks seniority: broken_pairs='rematch' is a way out
    with pytest.raises(InputError, match="pass broken_pairs='rematch' to re-match the pair\\(s\\) that break a hard "
                                         "rule \\(\\(A, X\\)\\)"):
        matching.rematch(current, mentees, mentors, None)
    new = matching.rematch(current, mentees, mentors, None, broken_pairs="rematch")
    assert new.mentor_of == {"B": "Y", "C": "X"}


def test_summary_counts_add_up_on_the_bundled_cohort(data, base):
    ask = base.pairs.head(5)[["mentee_id", "mentor_id"]].assign(requested_by="mentee")
    new = matching.rematch(base, data["mentees"], data["mentors"], ask, relatedness=data["relatedness"])
    s = new.summary
    assert s["unmatched"] == 8 + s["withdrawn"] == len(base.unmatched) + s["withdrawn"]
    assert s["unmatched"] == s["ineligible"] + s["no_eligible_mentor"] + s["capacity_exhausted"] + s["not_waitlisted"]
    assert s["not_waitlisted"] + s["ineligible"] == s["not_paired"]
    paired = new.mentees[new.mentees["status"].isin(PAIRED)]["mentee_id"]
    prio = dict(zip(new.cohort.mentees.ids, new.cohort.mentees.priority))
    assert new.info.matched_priority == pytest.approx(sum(prio[e] for e in paired))
    assert new.info.extra["re_matched_priority"] == pytest.approx(
        sum(prio[e] for e in new.mentees.loc[new.mentees["status"] == "re-matched", "mentee_id"]))


def test_carry_over_keeps_the_columns_as_given_and_finds_a_loose_priority_header(tmp_path):
    mentees, mentors, current = _small()
    mentees["PRIORITY"] = ["1.5", "1", "1"]
    mentees["Name"] = ["Ann", "Bo", "Cy"]
    mentees["id"] = [" A", "B", "C"]  # as given: the carry-over keeps the cell, spaces included
    path = tmp_path / "mentees.csv"
    mentees.to_csv(path, index=False)
    mentors.loc[0, "capacity"] = 1
    new = matching.rematch(current, path, mentors, _ask(("A", "X", "mentor")))
    rows = new.carry_over(step=0.5)
    assert rows.to_dict("records") == [{"id": " A", "level": "1", "area": "a", "kbu": "k1", "PRIORITY": 2.0,
                                        "Name": "Ann"}]
    with pytest.raises(SettingsError, match="carry-over step"):
        new.carry_over(step=-1)
    assert new.carry_over(step=999.5)["PRIORITY"].tolist() == [1000.0]


def test_a_requesting_mentee_comes_before_a_waitlisted_one():
    mentees = pd.DataFrame({"id": ["A", "W"], "level": [1, 1], "area": ["a", "x"], "kbu": ["k1", "k2"]})
    mentors = pd.DataFrame({"id": ["X", "Z"], "level": [3, 3], "area": ["x", "z"], "kbu": ["k3", "k4"],
                            "capacity": [1, 1]})
    current = pd.DataFrame({"mentee_id": ["A"], "mentor_id": ["X"]})
    new = matching.rematch(current, mentees, mentors, _ask(("A", "X", "mentee")), waitlist=["W"])
    assert new.mentor_of == {"A": "Z"} and list(new.waitlisted["mentee_id"]) == ["W"]
    assert (new.summary["capacity_exhausted"], new.summary["no_eligible_mentor"]) == (1, 0)
