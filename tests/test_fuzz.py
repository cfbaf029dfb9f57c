"""Fuzz: corrupted versions of valid cohorts thrown at ``match()``.

Property: the only exceptions are the library's own (``MatchingError`` subclasses),
never ``KeyError``/``TypeError``/``IndexError``/a solver error; and when no error is
raised the result is valid and accounts for every mentee and mentor exactly once.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from strategies import cohorts

import matching
from matching import MatchingError

EXAMPLE = matching.load_example()
TABLES = ("mentees", "mentors", "relatedness", "exclusions", "pins", "extra")

#: Values injected into cells: NaN, infinities, text, huge and fractional numbers,
#: blanks, wrong types, lists where scalars belong, ids that do not exist.
NASTY = [np.nan, None, pd.NA, float("inf"), -float("inf"), "", "   ", "abc", "nan", "inf", "1e309", 1e300,
         -1, -5.5, 2.5, 0, 10**20, 2**63, True, False, "yes", "M001", "E001", "ZZZ-unknown", "M001;M001",
         "E001;M001", ["M001", "M001"], [1, None], {"a": 1}, b"\xff\xfe", dt.datetime(2024, 1, 1),
         np.int64(3), np.float32(1.5), "\u0663", "\x00", "=1+1", "x" * 500, ";;;", 1.0, "001", object()]
HEADER_NAMES = ["id", "ID ", "id.1", "level", "Levle", "", "area", "kbu", "capacity", "preferences",
                "mentee_id", "mentor_id", "relatedness", "score", "gender", "sex", "race", "eligible", 0, None]


def _example() -> dict:
    data = {k: v.copy() for k, v in EXAMPLE.items()}
    data["exclusions"] = pd.DataFrame({"mentee_id": ["E002", "E005"], "mentor_id": ["M001", "M003"]})
    data["pins"] = pd.DataFrame({"mentee_id": ["E001"], "mentor_id": ["M018"]})
    data["extra"] = pd.DataFrame({"mentee_id": ["E001", "E003"], "mentor_id": ["M018", "M010"], "score": [1, 0.5]})
    return data


def _pick(draw, data: dict):
    name = draw(st.sampled_from([t for t in TABLES if isinstance(data.get(t), pd.DataFrame)]))
    return name, data[name]


def _set_cell(draw, data):
    name, frame = _pick(draw, data)
    if frame.empty or not len(frame.columns):
        return
    row = draw(st.integers(0, len(frame) - 1))
    col = draw(st.integers(0, len(frame.columns) - 1))
    value = draw(st.sampled_from(NASTY))
    frame.isetitem(col, frame.iloc[:, col].astype(object))
    frame.iat[row, col] = value


def _drop_column(draw, data):
    name, frame = _pick(draw, data)
    if len(frame.columns):
        data[name] = frame.drop(columns=frame.columns[draw(st.integers(0, len(frame.columns) - 1))])


def _rename_column(draw, data):
    name, frame = _pick(draw, data)
    if len(frame.columns):
        names = list(frame.columns)
        names[draw(st.integers(0, len(names) - 1))] = draw(st.sampled_from(HEADER_NAMES))
        frame.columns = names


def _duplicate_rows(draw, data):
    name, frame = _pick(draw, data)
    if len(frame):
        rows = draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=3))
        data[name] = pd.concat([frame, frame.iloc[rows]], ignore_index=draw(st.booleans()))


def _drop_rows(draw, data):
    name, frame = _pick(draw, data)
    if len(frame):
        keep = draw(st.integers(0, len(frame)))
        data[name] = frame.iloc[:keep]


def _reorder(draw, data):
    name, frame = _pick(draw, data)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    frame = frame.iloc[rng.permutation(len(frame))]
    data[name] = frame[list(np.array(frame.columns, dtype=object)[rng.permutation(len(frame.columns))])]


def _retype_column(draw, data):
    name, frame = _pick(draw, data)
    if not len(frame.columns):
        return
    col = draw(st.integers(0, len(frame.columns) - 1))
    kind = draw(st.sampled_from(["float", "int", "bool", "category", "object", "str"]))
    try:
        frame.isetitem(col, frame.iloc[:, col].astype(kind))
    except (TypeError, ValueError, OverflowError):
        pass  # the cast itself failed: nothing to feed the library


def _replace_table(draw, data):
    name = draw(st.sampled_from(TABLES))
    data[name] = draw(st.sampled_from([
        pd.DataFrame(), None, pd.DataFrame({"x": [1]}),
        pd.DataFrame({"mentee_id": ["E001", "nobody"], "mentor_id": ["M999", None]}),
        pd.DataFrame({"area_a": ["Police"], "area_b": ["Fire"], "relatedness": [7]}),
    ]))
    if name in ("mentees", "mentors") and data[name] is None:
        data[name] = pd.DataFrame()


def _odd_index(draw, data):
    name, frame = _pick(draw, data)
    kind = draw(st.sampled_from(["duplicates", "text", "multi"]))
    if kind == "duplicates":
        frame.index = [0] * len(frame)
    elif kind == "text":
        frame.index = [f"r{k}" for k in range(len(frame))]
    else:
        frame.index = pd.MultiIndex.from_arrays([range(len(frame)), range(len(frame))])


OPERATIONS = [_set_cell, _set_cell, _set_cell, _drop_column, _rename_column, _duplicate_rows, _drop_rows,
              _reorder, _retype_column, _replace_table, _odd_index]


def _match(data, function=matching.match):
    extra = data.get("extra")
    return function(data["mentees"], data["mentors"], relatedness=data.get("relatedness"),
                    exclusions=data.get("exclusions"), pins=data.get("pins"),
                    extra_criteria=None if extra is None else {"site": extra})


@st.composite
def corrupted(draw):
    if draw(st.booleans()):
        data = _example()
    else:
        data = draw(cohorts(min_mentees=1, max_mentees=8, min_mentors=1, max_mentors=6))
        data = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in data.items()}
    ops = draw(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=4))
    for op in ops:
        op(draw, data)
        note(op.__name__)
    return data


def _check_result(result, data) -> None:
    mentees, mentors = result.cohort.mentees, result.cohort.mentors
    assert len(mentees) == len(data["mentees"]) and len(mentors) == len(data["mentors"])
    out = list(result.pairs["mentee_id"]) + list(result.unmatched["mentee_id"])
    assert sorted(map(str, out)) == sorted(mentees.ids.tolist())
    assert sorted(map(str, result.mentors["mentor_id"])) == sorted(mentors.ids.tolist())
    assert result.unmatched["reason"].map(lambda r: isinstance(r, str) and len(r) > 10).all()
    load = result.pairs["mentor_id"].value_counts()
    cap = dict(zip(result.mentors["mentor_id"], result.mentors["capacity"]))
    assert all(load[m] <= cap[m] for m in load.index)
    assert np.isfinite(result.pairs["score"].to_numpy(dtype=float)).all()


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          deadline=None)
@given(corrupted())
def test_only_library_errors_come_out(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = _match(data)
        except MatchingError as err:
            event(f"raised {type(err).__name__}")
            assert str(err)
            if isinstance(err, matching.InputError):
                assert len(err.failure_cases) >= 1
            return
    event("valid result")
    _check_result(result, data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_candidates_only_raise_library_errors(data):
    try:
        table = _match(data, matching.candidates)
    except MatchingError:
        return
    assert not table.duplicated(["mentee_id", "mentor_id"]).any()
    assert np.isfinite(table["score"].to_numpy(dtype=float)).all()
