"""Privacy: gender and race never reach logs, exception messages, reprs, per-person
outputs or explanations; aggregate tables suppress small groups (complementary).

Two checks of the same full flow:

* canaries: every gender and race value is replaced by an unmistakable token
  (``zzgender...``, ``zzrace...``); no captured text may contain one;
* the bundled values: no race label may appear as a substring, and no single-letter
  gender code may appear in a field-like position (a quoted token ``'F'``, a value after
  ``=`` or ``:``, or a whole cell of an output table).
"""

from __future__ import annotations

import io
import json
import logging
import re
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cohorts

import matching
from matching.privacy import SUPPRESSED, diversity_table, suppress

BASE = matching.load_example()
GENDERS = sorted({v for k in ("mentees", "mentors") for v in BASE[k]["gender"].dropna()})
RACES = sorted({v for k in ("mentees", "mentors") for v in BASE[k]["race"].dropna()})
FIELD = re.compile(r"""(?:['"]({codes})['"])|(?:[=:]\s*({codes})\b)""".format(codes="|".join(GENDERS)))


def _canaries() -> tuple[dict, list[str]]:
    data = {k: v.copy() for k, v in BASE.items()}
    gender = {g: f"zzgender{k}" for k, g in enumerate(GENDERS)}
    race = {r: f"zzrace{k}" for k, r in enumerate(RACES)}
    for side in ("mentees", "mentors"):
        data[side]["gender"] = data[side]["gender"].map(gender)
        data[side]["race"] = data[side]["race"].map(race)
    return data, list(gender.values()) + list(race.values())


def _texts_of_result(result, tmp_path) -> list[str]:
    """Every repr, table, explanation, export and report of a result (diversity section aside)."""
    texts = [repr(result), repr(result.cohort), repr(result.cohort.mentees), repr(result.cohort.mentors),
             repr(result.settings), repr(result.info), json.dumps(result.info.to_dict(), default=str),
             str(result.summary), repr(result.candidates), repr(result.assignment)]
    for name in ("pairs", "unmatched", "mentors", "mentees", "changes", "withdrawn", "history"):
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame):
            texts.append(frame.to_csv(index=False))
    if hasattr(result, "explain"):
        for mentee in result.pairs["mentee_id"].head(8):
            texts.append(str(result.explain(mentee, price=False)))
        for mentee in result.unmatched["mentee_id"].head(8):
            texts.append(str(result.explain_unmatched(mentee)))
    export = pytest.importorskip("matching.export")
    for path in export.write(result, tmp_path / "csv") + export.write(result, tmp_path / "r.json", format="json"):
        texts.append(path.read_text(encoding="utf-8"))
    report = pytest.importorskip("matching.report.html")
    html = report.report_html(result, explanations=True)
    texts.append(re.sub(r'<section id="diversity">.*?</section>', "", html, flags=re.S))
    return texts


def _bad_inputs(data: dict) -> list[dict]:
    """Broken copies of a cohort whose errors must not echo gender or race."""
    out = []
    mentees = data["mentees"].copy()
    mentees.loc[0, "level"] = "x"
    mentees.loc[3, "id"] = mentees.loc[2, "id"]
    out.append(dict(data, mentees=mentees))
    out.append(dict(data, mentors=data["mentors"].assign(sex=data["mentors"]["gender"])))  # duplicate header
    out.append(dict(data, mentees=data["mentees"].drop(columns="level").rename(columns={"race": "levl"})))
    out.append(dict(data, pins=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M004"]})))  # PinError
    out.append(dict(data, pins=pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["nobody"],
                                             "gender": [data["mentees"]["gender"].iloc[0]]})))
    return out


def _full_flow(data: dict, tmp_path, caplog) -> list[str]:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="matching")
    texts = []
    kw = dict(relatedness=data["relatedness"])
    result = matching.match(data["mentees"], data["mentors"], **kw)
    texts += _texts_of_result(result, tmp_path / "match")
    texts.append(matching.candidates(data["mentees"], data["mentors"], **kw).to_csv(index=False))
    ask = result.pairs.head(4)[["mentee_id", "mentor_id"]].assign(requested_by="mentee")
    again = matching.rematch(result, data["mentees"], data["mentors"], ask, waitlist="all", **kw)
    texts += _texts_of_result(again, tmp_path / "rematch")
    cli = pytest.importorskip("matching.cli")
    paths = {k: tmp_path / f"{k}.csv" for k in ("mentees", "mentors", "relatedness")}
    for k, p in paths.items():
        data[k].to_csv(p, index=False)
    for mentee in (result.pairs["mentee_id"].iloc[0], result.unmatched["mentee_id"].iloc[0]):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            cli.main(["explain", str(paths["mentees"]), str(paths["mentors"]), "--relatedness",
                      str(paths["relatedness"]), str(mentee)])
        texts.append(buffer.getvalue())
    for bad in _bad_inputs(data):
        with pytest.raises(matching.MatchingError) as info:
            matching.match(bad["mentees"], bad["mentors"], pins=bad.get("pins"), **kw)
        err = info.value
        texts += [str(err), repr(err), getattr(err, "failure_cases", pd.DataFrame()).to_csv(index=False)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    texts.append(caplog.text)
    assert any("matched" in r.getMessage() for r in caplog.records)  # logging was captured
    return texts


def test_canary_values_never_leak(tmp_path, caplog):
    data, canaries = _canaries()
    texts = _full_flow(data, tmp_path, caplog)
    joined = "\n".join(texts).casefold()
    for token in canaries:
        assert token not in joined, token
    # and the aggregate report may name only groups large enough
    result = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    table = diversity_table(result)
    shown = set(table.loc[~table["suppressed"], "group"])
    sizes = data["mentees"]["gender"].value_counts().to_dict() | data["mentees"]["race"].value_counts().to_dict()
    assert all(sizes[g] >= 5 for g in shown if g in sizes)
    assert any(g in shown for g in canaries)  # the large groups are reported by label


def test_bundled_values_never_leak(tmp_path, caplog):
    data = {k: v.copy() for k, v in BASE.items()}
    texts = _full_flow(data, tmp_path, caplog)
    joined = "\n".join(texts)
    for label in RACES:
        assert label not in joined, label
    hits = [m.group(0) for m in FIELD.finditer(joined)]
    assert not hits, hits[:10]
    for text in texts:
        if "," in text and "\n" in text:  # a CSV table: no whole cell may be a gender or race value
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError):
                continue
            cells = set(frame.to_numpy().ravel().tolist()) | set(map(str, frame.columns))
            assert not cells & (set(GENDERS) | set(RACES))


def test_field_pattern_catches_a_leak():
    assert FIELD.search("gender='F'") and FIELD.search("sex: M, level 4")
    assert not FIELD.search("M031 and F&B at level 4; cross-gender: yes")


def test_protected_values_are_not_kept_per_person_beyond_codes():
    result = matching.match(BASE["mentees"], BASE["mentors"])
    people = result.cohort.mentees
    assert "gender" not in people.extra and "race" not in people.extra
    assert people.gender.dtype.kind == "i" and people.race.dtype.kind == "i"
    flags = [c for c in result.pairs.columns if c.endswith("cross_gender") or c.endswith("cross_race")]
    for column in flags:  # per pair only yes/no (as a flag) or the criterion's points
        assert result.pairs[column].nunique() <= 2


# --------------------------------------------------------------------------- suppression
def test_suppress_examples():
    assert suppress([27, 25, 5, 4], 5).tolist() == [False, False, True, True]      # 4 + complementary 5
    assert suppress([27, 25, 3, 4], 5).tolist() == [False, False, True, True]      # two small: enough
    assert suppress([27, 25, 30], 5).tolist() == [False, False, False]
    assert suppress([3], 5).tolist() == [True]                                      # nothing to pair it with
    assert suppress([0, 9, 9, 2], 5).tolist() == [False, True, False, True]        # empty groups don't count


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.integers(1, 12))
def test_suppression_is_primary_and_complementary(sizes, k):
    hidden = suppress(sizes, k)
    sizes = np.asarray(sizes)
    small = (sizes > 0) & (sizes < k)
    assert (hidden[small]).all()                                   # primary
    assert (sizes[~hidden & (sizes > 0)] >= k).all()              # everything shown is large enough
    others = (sizes > 0) & ~small
    if small.sum() == 1 and others.any():                         # complementary: one more, the smallest
        assert hidden.sum() == 2 and sizes[hidden & others][0] == sizes[others].min()
    else:
        assert (hidden == small).all()


def test_diversity_table_of_the_bundled_cohort():
    result = matching.match(BASE["mentees"], BASE["mentors"], relatedness=BASE["relatedness"])
    table = diversity_table(result, by=("gender", "race"))
    gender = table[table["attribute"] == "gender"].set_index("group")
    # F 27, M 25, X 5, unknown 4: unknown is suppressed, X too (complementary)
    assert list(gender.index) == ["F", "M", SUPPRESSED, "all"]
    assert gender.loc[SUPPRESSED, "mentees"] is pd.NA and gender.loc[SUPPRESSED, "suppressed"]
    assert gender.loc["all", "mentees"] == 61
    assert gender.loc["F", "mentees"] + gender.loc["M", "mentees"] == 52
    e = BASE["mentees"].set_index("id")["gender"]
    m = BASE["mentors"].set_index("id")["gender"]
    eg = e.reindex(result.pairs["mentee_id"]).to_numpy()
    mg = m.reindex(result.pairs["mentor_id"]).to_numpy()
    assert gender.loc["F", "matched"] == (eg == "F").sum()
    assert gender.loc["F", "cross_pairs"] == ((eg == "F") & pd.notna(mg) & (mg != "F")).sum()
    race = table[table["attribute"] == "race"]
    assert "Asian" not in set(race["group"]) and "Two or More Races" not in set(race["group"])
    everything = diversity_table(result, min_group_size=1000)
    assert set(everything["group"]) <= {SUPPRESSED, "all"} | set(result.cohort.kbus)
    assert diversity_table(result, by="kbu").shape[0] >= 2


def test_diversity_table_threshold_comes_from_settings():
    result = matching.match(BASE["mentees"], BASE["mentors"], settings={"min_group_size": 26})
    gender = diversity_table(result, by="gender")
    assert list(gender["group"]) == ["F", SUPPRESSED, "all"]  # M (25) and smaller are hidden


@pytest.mark.parametrize("kw, text", [
    (dict(by="age"), "cannot group by 'age'"),
    (dict(min_group_size=0), "The 'min_group_size' setting must be an int >= 1. Got 0 instead."),
    (dict(min_group_size=2.5), "Got 2.5 instead."),
])
def test_diversity_table_bad_options(kw, text):
    result = matching.match(BASE["mentees"], BASE["mentors"])
    with pytest.raises(matching.InputError, match=re.escape(text)):
        diversity_table(result, **kw)


@settings(max_examples=40, deadline=None)
@given(cohorts(min_mentees=1, max_mentees=12, max_mentors=6, optional_columns=False), st.integers(1, 6))
def test_diversity_table_never_shows_a_small_group(cohort, k):
    result = matching.match(**cohort)
    table = diversity_table(result, min_group_size=k)
    for attribute in ("kbu", "gender", "race"):
        part = table[table["attribute"] == attribute]
        groups = part[part["group"] != "all"]
        assert part.loc[part["group"] == "all", "mentees"].iloc[0] == len(cohort["mentees"])
        shown = groups[~groups["suppressed"]]
        assert (shown["mentees"] >= k).all()
        hidden = groups["suppressed"].sum()
        if attribute == "kbu":
            assert hidden != 1 or len(groups) == 1
        raw = cohort["mentees"][attribute].fillna("unknown").value_counts()
        for label, row in shown.set_index("group").iterrows():
            assert row["mentees"] == raw[label]
        if attribute != "kbu":
            small = {g for g, n in raw.items() if n < k}
            assert not small & set(groups["group"])
