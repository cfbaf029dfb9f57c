"""Exports: round trips, formula-injection safety, atomic writes, protected columns."""

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from matching import export
from matching.export import DANGEROUS, neutralise, read_back, restore

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def result(example):
    return matching.match(example["mentees"], example["mentors"], relatedness=example["relatedness"])


@pytest.fixture(scope="module")
def injected(example):
    """A cohort whose ids and areas start with formula characters."""
    mentees, mentors = example["mentees"].copy(), example["mentors"].copy()
    rename = dict(zip(mentees["id"][:len(INJECTIONS)], INJECTIONS))
    mentees["id"] = mentees["id"].replace(rename)
    mentees["area"] = mentees["area"].replace({"Police": "=Police", "Fire": "-Fire"})
    mentors["area"] = mentors["area"].replace({"Police": "=Police", "Fire": "-Fire"})
    mentors["name"] = "@" + mentors["name"]
    related = example["relatedness"].replace({"Police": "=Police", "Fire": "-Fire"})
    return matching.match(mentees, mentors, relatedness=related), rename


def assert_same(original: pd.DataFrame, back: pd.DataFrame, spreadsheet: bool = True) -> None:
    """``back`` (text, as read back) holds the same data as ``original``."""
    assert list(back.columns) == [str(c) for c in original.columns]
    assert len(back) == len(original)
    for name in original.columns:
        col, got = original[name], back[name]
        if spreadsheet and not (pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)):
            col = col.astype(object).where(col.astype(object) != "", None)  # spreadsheets: "" is empty
        missing = col.isna().to_numpy()
        assert got.isna().to_numpy().tolist() == missing.tolist(), name
        if pd.api.types.is_bool_dtype(col):
            assert [str(v).lower() for v in got] == [str(v).lower() for v in col], name
        elif pd.api.types.is_numeric_dtype(col):
            want = col.to_numpy(dtype=float, na_value=np.nan)
            have = pd.to_numeric(pd.Series(got, dtype=object)).to_numpy(dtype=float)
            np.testing.assert_allclose(have[~missing], want[~missing], rtol=1e-12, err_msg=name)
        else:
            assert got[~missing].tolist() == col[~missing].tolist(), name


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_round_trip_of_a_result(result, tmp_path, fmt):
    dest = tmp_path / ("out" if fmt == "csv" else f"out.{fmt}")
    paths = export.write(result, dest, format=fmt)
    assert all(Path(p).exists() for p in paths)
    back = read_back(dest)
    assert {"pairs", "unmatched", "mentors"} <= set(back)
    for name in ("pairs", "unmatched", "mentors"):
        assert_same(getattr(result, name), back[name], spreadsheet=fmt != "json")


def test_result_methods_write_the_same_files(result, tmp_path):
    result.to_csv(tmp_path / "csv")
    result.to_excel(tmp_path / "r.xlsx")
    result.to_json(tmp_path / "r.json")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "decisions.csv", "mentors.csv", "pairs.csv", "summary.csv", "unmatched.csv"]
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["summary"]["pairs"] == len(result.pairs)
    assert data["info"]["status"] == result.info.status
    assert_same(result.pairs, read_back(tmp_path / "csv" / "pairs.csv"))


def test_hyperlink_id_round_trips_through_match(injected, tmp_path):
    res, rename = injected
    res.to_csv(tmp_path / "csv")
    res.to_excel(tmp_path / "r.xlsx")
    res.to_json(tmp_path / "r.json")
    ids = set(res.pairs["mentee_id"]) | set(res.unmatched["mentee_id"])
    assert set(INJECTIONS) <= ids
    for dest in (tmp_path / "csv", tmp_path / "r.xlsx", tmp_path / "r.json"):
        back = read_back(dest)
        for name in ("pairs", "unmatched", "mentors"):
            assert_same(getattr(res, name), back[name], spreadsheet=dest.suffix != ".json")
        got = set(back["pairs"]["mentee_id"]) | set(back["unmatched"]["mentee_id"])
        assert set(INJECTIONS) <= got


def _raw_csv_cells(folder: Path):
    for path in folder.glob("*.csv"):
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.reader(fh):
                yield from row


def test_no_exported_spreadsheet_cell_starts_a_formula(injected, tmp_path):
    res, _ = injected
    res.to_csv(tmp_path / "csv")
    res.to_excel(tmp_path / "r.xlsx", include=["name"])
    cells = list(_raw_csv_cells(tmp_path / "csv"))
    assert any(c.startswith("'=HYPERLINK") for c in cells) and any(c == "'=Police" for c in cells)
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "r.xlsx")
    values = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert "'@" + str(res.cohort.mentors.extra["name"][0])[1:] in texts
    assert not [t for t in texts if t.startswith(DANGEROUS)]


def _frame_strategy(texts):
    return st.lists(st.tuples(texts, texts), min_size=1, max_size=6).map(
        lambda rows: pd.DataFrame(rows, columns=["=a", "b"], dtype=object))


_leading = st.sampled_from(DANGEROUS + ("'", "''", "'=", "x", " ", "0"))
_body = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list("=+-@'\t\n,;\"")),
                max_size=12)
_texts = st.builds(lambda a, b: a + b, _leading, _body)


@settings(max_examples=30)
@given(frame=_frame_strategy(_texts))
def test_any_text_round_trips_and_no_cell_starts_a_formula(tmp_path_factory, frame):
    folder = tmp_path_factory.mktemp("rt")
    export.write_csv({"t": frame}, folder)
    export.write_excel({"t": frame}, folder / "t.xlsx")
    assert not [c for c in _raw_csv_cells(folder) if c.startswith(DANGEROUS)]
    back = read_back(folder / "t.csv")
    assert back.columns.tolist() == ["=a", "b"]
    assert back.to_numpy().tolist() == frame.to_numpy().tolist()
    # xlsx: XML turns a carriage return before a newline into nothing ("\r\n" -> "\n"), a
    # known limit of the format (documented in matching.export); every other text round-trips.
    back = read_back(folder / "t.xlsx")["t"]
    assert back.columns.tolist() == ["=a", "b"]
    exact = ~frame.map(lambda v: "\r\n" in v).to_numpy()
    assert back.to_numpy()[exact].tolist() == frame.to_numpy()[exact].tolist()


@given(st.text(max_size=8), st.sampled_from(DANGEROUS + ("'", "")))
def test_neutralise_is_exactly_undone(text, lead):
    value = lead + text
    safe = neutralise(value)
    assert restore(safe) == value
    assert not safe.startswith(DANGEROUS)


def test_a_failed_csv_write_leaves_previous_outputs_intact(result, example, tmp_path, monkeypatch):
    result.to_csv(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    other = matching.match(example["mentees"], example["mentors"], settings="diversity_first")
    calls = []
    real = pd.DataFrame.to_csv

    def failing(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(matching.MatchingError, match="disk full"):
        other.to_csv(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_failed_excel_or_json_write_leaves_the_previous_file(result, tmp_path, monkeypatch):
    from openpyxl import Workbook

    result.to_excel(tmp_path / "r.xlsx")
    result.to_json(tmp_path / "r.json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def half_then_fail(self, fh):
        fh.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", half_then_fail)
    with pytest.raises(matching.MatchingError, match="disk full"):
        result.to_excel(tmp_path / "r.xlsx")
    real = Path.write_text

    def partial(self, text, *args, **kwargs):
        real(self, text[:10], *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", partial)
    with pytest.raises(matching.MatchingError, match="disk full"):
        result.to_json(tmp_path / "r.json")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_excel_refuses_control_characters_and_writes_nothing(tmp_path):
    frame = pd.DataFrame({"id": ["ok", "bad\x01"]})
    with pytest.raises(matching.MatchingError, match="control character"):
        export.write_excel({"t": frame}, tmp_path / "t.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_protected_columns_left_out_unless_included(result, tmp_path):
    tables = export.result_tables(result)
    columns = {str(c).lower() for t in tables.values() for c in t.columns}
    assert not columns & {"gender", "race", "mentee_gender", "mentor_race"}
    frame = pd.DataFrame({"mentee_id": ["E1"], "gender": ["F"], "mentor_race": ["x"], "is_cross_gender": [True]})
    assert list(export.result_tables({"t": frame})["t"].columns) == ["mentee_id", "is_cross_gender"]
    assert list(export.result_tables({"t": frame}, include=["gender"])["t"].columns) == [
        "mentee_id", "gender", "is_cross_gender"]
    named = export.result_tables(result, include=["name"])["pairs"]
    assert {"mentee_name", "mentor_name"} <= set(named.columns)
    with pytest.raises(matching.MatchingError, match="anonymous codes"):
        result.to_csv(tmp_path, include=["gender"])
    assert list(tmp_path.iterdir()) == []


def test_protected_values_never_reach_an_export(example, tmp_path):
    mentees, mentors = example["mentees"].copy(), example["mentors"].copy()
    for frame in (mentees, mentors):
        frame["gender"] = "Gzq" + frame["gender"].astype(str)
        frame["race"] = "Rzq" + frame["race"].astype(str)
    res = matching.match(mentees, mentors, relatedness=example["relatedness"])
    res.to_csv(tmp_path / "csv", include=["name", "title"])
    res.to_excel(tmp_path / "r.xlsx")
    res.to_json(tmp_path / "r.json")
    for path in [*(tmp_path / "csv").iterdir(), tmp_path / "r.json"]:
        assert "zq" not in path.read_text(encoding="utf-8-sig")
    for sheet in read_back(tmp_path / "r.xlsx").values():
        assert "zq" not in sheet.to_csv()


def test_unknown_format_is_a_library_error(result, tmp_path):
    with pytest.raises(matching.MatchingError, match="'format'"):
        export.write(result, tmp_path / "x", format="ods")
