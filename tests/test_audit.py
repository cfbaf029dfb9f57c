"""The blocking-pair audit and the rank-maximal profile, against independent computations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching.cohort.validate import load_cohort
from matching.scoring.sparse import build_candidates
from matching.solvers.rank_maximal import profile, rank_maximal
from strategies import allowed_pairs, cohorts, parse_list

RELAXED = {"min_level_gap": 0, "allow_same_area": True, "require_more_experience": False}


@st.composite
def with_mentor_rankings(draw, **kw):
    """A generated cohort whose mentors sometimes rank mentees (a ``preferences`` column)."""
    data = draw(cohorts(**kw))
    if draw(st.booleans()) and len(data["mentors"]):
        mentees = data["mentees"]["id"].astype(str).tolist()
        cells = []
        for mid in data["mentors"]["id"].astype(str):
            options = [e for e in mentees if e != mid]
            ranked = draw(st.lists(st.sampled_from(options), max_size=len(options), unique=True)) if options else []
            cells.append(";".join(ranked) if ranked or draw(st.booleans()) else None)
        data["mentors"] = data["mentors"].assign(preferences=pd.Series(cells, dtype=object))
    return data


def _oracle(data: dict, s: matching.Settings, result) -> set:
    """The definition, from the raw frames, the result's pairs and the public scores only."""
    ok = allowed_pairs(data, s)
    prefs = {str(r["id"]): parse_list(r["preferences"]) for r in data["mentees"].to_dict("records")}
    mentors = {str(r["id"]): r for r in data["mentors"].to_dict("records")}
    mranks = {m: parse_list(r.get("preferences")) for m, r in mentors.items()}
    table = matching.candidates(**data, settings=s)
    score = {(a, b): round(v * 1000) for a, b, v in zip(table["mentee_id"], table["mentor_id"], table["score"])}
    mentor_of = dict(zip(result.pairs["mentee_id"], result.pairs["mentor_id"]))
    pins = set()
    if data.get("pins") is not None and len(data["pins"]):
        pins = set(zip(data["pins"]["mentee_id"].astype(str), data["pins"]["mentor_id"].astype(str)))
    pinned = {a for a, _ in pins}
    held = {}
    for a, b in mentor_of.items():
        held.setdefault(b, []).append(a)

    def want(b, x):  # lower is better
        if mranks[b]:
            return mranks[b].index(x) + 1 if x in mranks[b] else 10**9
        return -score[(x, b)]

    out = set()
    for a, ranked in prefs.items():
        cur = mentor_of.get(a)
        cur_rank = ranked.index(cur) + 1 if cur in ranked else None
        for r, b in enumerate(ranked, start=1):
            if (a, b) not in ok or a in pinned or (cur_rank is not None and r >= cur_rank):
                continue
            cap = int(mentors[b]["capacity"])
            mine = held.get(b, [])
            if len(mine) < cap:
                out.add((a, b, r, cur or "", cur_rank, ""))
                continue
            movable = sorted((x for x in mine if (x, b) not in pins), key=lambda x: (-want(b, x), x))
            if movable and want(b, a) < want(b, movable[0]):
                out.add((a, b, r, cur or "", cur_rank, movable[0]))
    return out


def _rows(table: pd.DataFrame) -> set:
    return {(a, b, int(r), c, None if pd.isna(cr) else int(cr), d)
            for a, b, r, c, cr, d in zip(*(table[k] for k in ["mentee_id", "mentor_id", "mentee_rank",
                                                            "current_mentor", "current_rank", "displaced"]))}


@settings(max_examples=60)
@given(with_mentor_rankings(max_mentees=7, max_mentors=5, with_pins=True), st.sampled_from([None, RELAXED]))
def test_audit_equals_the_definition(data, values):
    s = matching.Settings.coerce(values)
    try:
        result = matching.match(**data, settings=s)
    except matching.PinError:
        return  # pins drawn for the default settings may break relaxed ones' rules: nothing to audit
    table = result.audit()
    assert _rows(table) == _oracle(data, s, result)
    assert result.summary["audit"]["blocking_pairs"] == len(table)
    assert table["sentence"].map(lambda t: isinstance(t, str) and len(t) > 10).all()


def _brute_profile(n, m, i, j, rank, capacity) -> list:
    """The lexicographically best rank profile over every assignment (tiny instances)."""
    levels = int(max(rank, default=0))
    options = [[-1] + [k for k in range(len(i)) if i[k] == a] for a in range(n)]
    best = [0] * levels
    for choice in itertools.product(*options):
        load = np.zeros(m, int)
        got = [0] * levels
        for k in choice:
            if k >= 0:
                load[j[k]] += 1
                got[rank[k] - 1] += 1
        if (load <= capacity).all() and got > best:
            best = got
    return best


@settings(max_examples=60)
@given(st.data())
def test_rank_maximal_equals_brute_force(data):
    n = data.draw(st.integers(1, 5))
    m = data.draw(st.integers(1, 4))
    arcs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=10, unique=True))
    i = np.array([a for a, _ in arcs], np.int64)
    j = np.array([b for _, b in arcs], np.int64)
    rank = np.array(data.draw(st.lists(st.integers(1, 4), min_size=len(arcs), max_size=len(arcs))), np.int64)
    capacity = np.array(data.draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)), np.int64)
    expected = _brute_profile(n, m, i.tolist(), j.tolist(), rank.tolist(), capacity)
    levels = int(rank.max(initial=0))
    for method in ("flow", "phases"):
        found = rank_maximal(n, m, i, j, rank, capacity, method=method)
        assert found.status == "OPTIMAL"
        mine = found.mentor_of
        assert all(mine[a] < 0 or (a, mine[a]) in set(arcs) for a in range(n))
        assert (np.bincount(mine[mine >= 0], minlength=m) <= capacity).all()
        assert profile(mine, i, j, rank, levels) == expected


@settings(max_examples=30)
@given(with_mentor_rankings(max_mentees=7, max_mentors=5), st.sampled_from([None, RELAXED]))
def test_best_profile_dominates_the_result(data, values):
    """The rank-maximal profile is at least the one obtained, lexicographically."""
    result = matching.match(**data, settings=values)
    audit = result.summary["audit"]
    assert audit["best_rank_profile"] >= audit["rank_profile"]
    assert sum(audit["rank_profile"]) == result.pairs["preference_rank"].notna().sum()


def _two_by_two(mentor_prefs=None):
    mentees = pd.DataFrame({"id": ["E1", "E2"], "level": [1, 1], "area": ["A", "A"], "kbu": ["K1", "K1"],
                            "preferences": ["M1;M2", "M1"]})
    mentors = pd.DataFrame({"id": ["M1", "M2"], "level": [3, 3], "area": ["B", "C"], "kbu": ["K2", "K2"],
                            "capacity": [1, 1]})
    if mentor_prefs is not None:
        mentors["preferences"] = mentor_prefs
    return mentees, mentors


def test_mentor_ranking_decides_and_is_worded():
    mentees, mentors = _two_by_two(["E1", ""])
    mentees["priority"] = [1, 2]  # the optimum gives M1 to E2, against M1's own ranking
    banned = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M2", "M2"]})
    free = matching.match(mentees, mentors, exclusions=banned)
    assert free.mentor_of["E2"] == "M1"
    row = free.audit()
    assert list(row["mentee_id"]) == ["E1"] and list(row["displaced"]) == ["E2"]
    assert list(row["current_mentor"]) == [""] and row["current_rank"].isna().all()
    assert "M1 ranks E1 1st and E2 not at all" in row["sentence"].iloc[0]
    assert "M1, your 1st choice, would have taken you over E2" in str(free.explain_unmatched("E1"))
    pinned = matching.match(mentees, mentors, exclusions=banned,
                            pins=pd.DataFrame({"mentee_id": ["E2"], "mentor_id": ["M1"]}))
    assert pinned.audit().empty, "E2 is pinned to M1: M1 cannot give E2 up"
    mentees["priority"] = [1, 1]
    matched = matching.match(mentees, mentors, exclusions=banned.iloc[1:])
    assert matched.mentor_of["E1"] in ("M1", "M2")


def test_explain_words_each_blocking_pair(base):
    table = base.audit()
    assert len(table), "the bundled cohort has blocking pairs under the default weights"
    for mid, group in table.groupby("mentee_id"):
        if mid not in set(base.pairs["mentee_id"]):
            continue
        words = base.explain(mid, price=False).blocking
        assert len(words) == len(group)
        assert all(w.startswith(f"{m}, your ") for w, m in zip(words, group["mentor_id"]))
    first = table.iloc[0]
    if first["displaced"]:
        text = str(base.explain(first["mentee_id"]))
        assert f"would have taken you over {first['displaced']}" in text and "forcing you to" in text


def test_stable_result_has_an_empty_audit():
    mentees, mentors = _two_by_two(["E2", "E1"])
    result = matching.match(mentees, mentors)
    assert result.mentor_of["E2"] == "M1" or result.mentor_of["E1"] == "M1"
    audit = result.audit()
    if result.mentor_of["E1"] == "M1":
        assert audit.empty


def test_mentor_preferences_validated_like_mentees():
    mentees, mentors = _two_by_two(["E1;E9;E1", "M2"])
    with pytest.raises(matching.InputError) as err:
        matching.match(mentees, mentors)
    text = str(err.value)
    assert "unknown mentee 'E9'" in text and "mentee 'E1' twice" in text
    assert "mentor themself ('M2')" in text


def test_mentor_preference_criterion_on_the_sparse_path():
    """The kernel's table scores equal the criteria's definitions with mentor rankings too
    (the sparse candidate set checks every listed pair against ``score_pairs``)."""
    data = matching.load_example()
    mentors = data["mentors"].copy()
    ids = data["mentees"]["id"].astype(str).tolist()
    mentors["preferences"] = [";".join(ids[k % 50:k % 50 + 3]) for k in range(len(mentors))]
    cohort = load_cohort(data["mentees"], mentors, relatedness=data["relatedness"])
    assert len(cohort.mentor_preferences) == 3 * len(mentors)
    sparse = build_candidates(cohort, matching.Settings(), limit=0, k=3)
    full = build_candidates(cohort, matching.Settings())
    assert not sparse.complete
    column = full.names.index("mentor_preference")
    assert (full.parts[:, column] > 0).any()
    pos = {(a, b): k for k, (a, b) in enumerate(zip(full.i.tolist(), full.j.tolist()))}
    assert all(full.total[pos[(a, b)]] == t for a, b, t in zip(sparse.i.tolist(), sparse.j.tolist(),
                                                                 sparse.total.tolist()))


def test_input_hash_unchanged_without_mentor_rankings(base, example):
    mentors = example["mentors"].assign(preferences="")
    again = matching.match(example["mentees"], mentors, relatedness=example["relatedness"])
    assert again.info.input_hash == base.info.input_hash


def test_best_profile_by_phases_when_one_flow_does_not_fit(base, monkeypatch):
    from matching.review import audit as audit_module
    from matching.solvers import rank_maximal as rm

    by_flow = audit_module.best_profile(base.cohort, base.settings)
    assert by_flow[1:] == ("flow", "OPTIMAL")
    monkeypatch.setattr(audit_module, "fits_flow", lambda *a: False)
    monkeypatch.setattr(rm, "fits_flow", lambda *a: False)
    skipped = audit_module.best_profile(base.cohort, base.settings, limit=0)
    assert skipped[0] is None and "not computed" in skipped[1]
    assert audit_module.best_profile(base.cohort, base.settings, limit=None) == (by_flow[0], "phases", "OPTIMAL")


def test_report_has_the_stability_section(base):
    from matching.report.html import report_html

    html = report_html(base, explanations=False)
    n = base.summary["audit"]["blocking_pairs"]
    assert f"<h2>Stability ({n} blocking pairs)</h2>" in html
    assert all(s.replace("'", "&#x27;") in html for s in base.audit()["sentence"])
