"""Reading files: encodings, sheets, ragged and empty files, limits, hostile workbooks."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pandas as pd
import pytest

import matching
import matching.files.tables as mio
from matching import InputError, read_table

PEOPLE = "id,level,area,kbu\n001,1,A,K\n002,2,B,K\n"
MENTORS = "id,level,area,kbu,capacity\n010,3,B,L,1\n011,4,C,L,1\n"


def _problem(excinfo) -> str:
    return " | ".join(excinfo.value.failure_cases["problem"])


def _write(path, text: str, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path, rows, *, title="People", extra_sheets=()):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for name in extra_sheets:
        book.create_sheet(name)
    book.save(path)
    return path


# --------------------------------------------------------------------------- text and encodings
def test_ids_stay_text(tmp_path):
    frame = read_table(_write(tmp_path / "p.csv", PEOPLE))
    assert frame["id"].tolist() == ["001", "002"]
    assert frame["level"].tolist() == ["1", "2"]


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + PEOPLE.encode())
    assert list(read_table(path).columns) == ["id", "level", "area", "kbu"]


def test_wrong_encoding_suggests_encoding_option(tmp_path):
    path = _write(tmp_path / "latin.csv", "id,level,area,kbu\nE1,1,Caf\u00e9,K\n", "cp1252")
    with pytest.raises(InputError) as info:
        read_table(path)
    assert "pass encoding=" in _problem(info) and info.value.failure_cases["file"][0] == "latin.csv"
    assert read_table(path, encoding="cp1252")["area"][0] == "Caf\u00e9"


def test_unknown_encoding_name(tmp_path):
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_table(_write(tmp_path / "p.csv", PEOPLE), encoding="klingon")


def test_semicolon_and_tab_separated_files(tmp_path):
    semi = read_table(_write(tmp_path / "semi.csv", "id;level;area;kbu;preferences\nE1;1;A;K;M1,M2\n"))
    assert semi["preferences"][0] == "M1,M2" and semi["kbu"][0] == "K"
    tab = read_table(_write(tmp_path / "tab.csv", "id\tlevel\tarea\tkbu\nE1\t1\tA\tK\n"))
    assert list(tab.columns) == ["id", "level", "area", "kbu"]


# --------------------------------------------------------------------------- shape of the file
def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="the file is empty"):
        read_table(_write(tmp_path / "e.csv", ""))


def test_blank_lines_only(tmp_path):
    with pytest.raises(InputError, match="the file is empty|no header row"):
        read_table(_write(tmp_path / "e.csv", "\n\n\n"))


def test_header_only_is_an_empty_table(tmp_path):
    frame = read_table(_write(tmp_path / "h.csv", "id,level,area,kbu\n"))
    assert frame.empty and list(frame.columns) == ["id", "level", "area", "kbu"]


def test_ragged_rows_are_all_listed_with_their_lines(tmp_path):
    text = "id,level,area,kbu\nE1,1,A,K\nE2,1,Smith, Jo,K\nE3,1,A,K\nE4,1,A,K,extra,more\n"
    with pytest.raises(InputError) as info:
        read_table(_write(tmp_path / "r.csv", text))
    cases = info.value.failure_cases
    assert cases["row"].tolist() == [3, 5]
    assert "this line has 5 cells but the header has 4" in cases["problem"][0]


def test_short_rows_are_padded_with_blanks(tmp_path):
    frame = read_table(_write(tmp_path / "s.csv", "id,level,area,kbu,eligible\nE1,1,A,K\n"))
    assert pd.isna(frame["eligible"][0])


def test_blank_rows_are_dropped_but_line_numbers_kept(tmp_path):
    text = "id,level,area,kbu\nE1,1,A,K\n,,,\n\nE2,x,A,K\n\n\n"
    path = _write(tmp_path / "b.csv", text)
    assert read_table(path)["id"].tolist() == ["E1", "E2"]
    with pytest.raises(InputError) as info:
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))
    case = info.value.failure_cases.iloc[0]
    assert (case["file"], case["row"], case["column"], case["id"]) == ("b.csv", 5, "level", "E2")


def test_header_rows_above_the_table(tmp_path):
    text = "Mentees 2025,,,\nexported by HR,,,\nid,level,area,kbu\nE1,x,A,K\n"
    path = _write(tmp_path / "t.csv", text)
    frame = read_table(path, header=2)
    assert list(frame.columns) == ["id", "level", "area", "kbu"]
    with pytest.raises(InputError) as info:
        matching.match(frame, _write(tmp_path / "m.csv", MENTORS))
    assert info.value.failure_cases["row"][0] == 4 and info.value.failure_cases["file"][0] == "t.csv"
    with pytest.raises(InputError, match="header must be an int >= 0"):
        read_table(path, header=-1)


def test_duplicate_headers_are_read_raw_and_reported(tmp_path):
    path = _write(tmp_path / "d.csv", "id,level,area,kbu,id\nE1,1,A,K,E9\n")
    frame = read_table(path)
    assert list(frame.columns) == ["id", "level", "area", "kbu", "id"]  # not 'id.1'
    with pytest.raises(InputError) as info:
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))
    case = info.value.failure_cases.iloc[0]
    assert case["file"] == "d.csv" and "duplicate column header" in case["problem"]


def test_headers_differing_only_in_case_and_spaces_are_duplicates(tmp_path):
    path = _write(tmp_path / "d.csv", "id, Level ,area,kbu,level\nE1,1,A,K,1\n")
    with pytest.raises(InputError, match="'level' and 'Level' both mean 'level'"):
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))


def test_columns_mapping(tmp_path):
    path = _write(tmp_path / "c.csv", "Employee ID,Grade Level,Dept,Unit\nE1,1,A,K\n")
    frame = read_table(path, columns={"Employee ID": "id", "grade level": "level", "Dept": "area",
                                      "Unit": "kbu"})
    assert list(frame.columns) == ["id", "level", "area", "kbu"]
    with pytest.raises(InputError) as info:
        read_table(path, columns={"Employe ID": "id"})
    assert "'Employe ID', which is not a header of the file; did you mean 'Employee ID'?" in _problem(info)


# --------------------------------------------------------------------------- limits
def test_size_limit(tmp_path, monkeypatch):
    path = _write(tmp_path / "p.csv", PEOPLE)
    with pytest.raises(InputError, match="the file has 38 bytes, more than the limit of 10; pass max_bytes="):
        read_table(path, max_bytes=10)
    monkeypatch.setattr(mio, "MAX_BYTES", 10)  # the module default applies to paths given to match()
    with pytest.raises(InputError, match="more than the limit"):
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))


def test_row_limit(tmp_path, monkeypatch):
    path = _write(tmp_path / "p.csv", PEOPLE)
    with pytest.raises(InputError, match="more than 1 rows; pass max_rows="):
        read_table(path, max_rows=1)
    assert len(read_table(path, max_rows=2)) == 2
    monkeypatch.setattr(mio, "MAX_ROWS", 1)
    with pytest.raises(InputError, match="more than 1 rows"):
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="not a file"):
        read_table(tmp_path)


# --------------------------------------------------------------------------- Excel
def test_excel_cells_become_text(tmp_path):
    rows = [("id", "level", "area", "kbu", "eligible", "start", "priority"),
            ("007", 3, "A", "K", True, dt.datetime(2025, 1, 6), 1.5),
            ("E2", 4.0, "B", "K", False, None, None)]
    frame = read_table(_xlsx(tmp_path / "p.xlsx", rows))
    assert frame.loc[0].tolist() == ["007", "3", "A", "K", "true", "2025-01-06", "1.5"]
    assert frame.loc[1, "level"] == "4" and pd.isna(frame.loc[1, "start"])


def test_excel_sheet_by_name_position_and_wrong_name(tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", [("id", "level", "area", "kbu"), ("E1", 1, "A", "K")],
                 extra_sheets=("Mentors",))
    assert read_table(path, sheet="People")["id"].tolist() == ["E1"]
    with pytest.raises(InputError, match="the sheet is empty"):
        read_table(path, sheet=1)
    with pytest.raises(InputError) as info:
        read_table(path, sheet="Peeple")
    assert "no sheet named 'Peeple'; sheets: People, Mentors; did you mean 'People'?" in _problem(info)
    assert info.value.failure_cases["sheet"][0] == "Peeple"
    with pytest.raises(InputError, match="sheet position 5 is out of range"):
        read_table(path, sheet=5)


def test_excel_problems_name_sheet_and_row(tmp_path):
    rows = [("Mentees",), (), ("id", "level", "area", "kbu"), ("E1", 1, "A", "K"), (None,), ("E2", "x", "A", "K")]
    path = _xlsx(tmp_path / "p.xlsx", rows)
    frame = read_table(path, header=2)
    with pytest.raises(InputError) as info:
        matching.match(frame, _write(tmp_path / "m.csv", MENTORS))
    case = info.value.failure_cases.iloc[0]
    assert (case["file"], case["sheet"], case["row"], case["id"]) == ("p.xlsx", None, 6, "E2")


def test_excel_values_beyond_the_last_header(tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", [("id", "level", "area", "kbu"), ("E1", 1, "A", "K", "stray")])
    with pytest.raises(InputError, match="values beyond the last header"):
        read_table(path)


def test_excel_duplicate_headers(tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", [("id", "level", "area", "kbu", "ID"), ("E1", 1, "A", "K", "x")])
    with pytest.raises(InputError, match="duplicate column header"):
        matching.match(path, _write(tmp_path / "m.csv", MENTORS))


def test_not_a_workbook(tmp_path):
    with pytest.raises(InputError, match="not an Excel workbook"):
        read_table(_write(tmp_path / "fake.xlsx", PEOPLE))
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    with pytest.raises(InputError, match="old-style .xls"):
        read_table(old)
    bad_zip = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(bad_zip, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_table(bad_zip)


def test_workbook_saved_as_csv_is_read_as_a_workbook(tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", [("id", "level", "area", "kbu"), ("E1", 1, "A", "K")])
    renamed = tmp_path / "p.csv"
    renamed.write_bytes(path.read_bytes())
    assert read_table(renamed)["id"].tolist() == ["E1"]


def test_zip_bomb_is_refused(tmp_path):
    path = _xlsx(tmp_path / "p.xlsx", [("id", "level", "area", "kbu"), ("E1", 1, "A", "K")])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/padding.bin", b"\0" * 2_000_000)
    with pytest.raises(InputError, match="unzips to"):
        read_table(path, max_bytes=50_000)


_LAUGHS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">{entities}]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def _billion_laughs(path):
    entities = "".join(f'<!ENTITY lol{k} "{("&lol%s;" % ("" if k == 1 else k - 1)) * 10}">' for k in range(1, 10))
    source = _xlsx(path.with_name("src.xlsx"), [("id",), ("E1",)])
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _LAUGHS.format(entities=entities).encode()
            zout.writestr(item, data)
    return path


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


def test_billion_laughs_workbook_is_refused_without_hanging(tmp_path):
    path = _billion_laughs(tmp_path / "bomb.xlsx")
    code = textwrap.dedent(f"""
        import matching
        try:
            frame = matching.read_table({str(path)!r})
            print("READ", max((len(str(c)) for c in frame.columns), default=0))
        except matching.InputError as err:
            print("REFUSED", err.failure_cases["problem"][0])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("REFUSED not a readable Excel workbook (ValueError: EntitiesForbidden; "
                                  "XML entity declarations are refused for safety)"), done.stdout


# --------------------------------------------------------------------------- provenance
def test_frame_from_read_table_keeps_file_and_lines_after_filtering(tmp_path):
    path = _write(tmp_path / "p.csv", "id,level,area,kbu\nE1,1,A,K\nE2,1,A,K\nE3,z,A,K\n")
    frame = read_table(path)
    subset = frame[frame["id"] != "E2"]
    with pytest.raises(InputError) as info:
        matching.match(subset, _write(tmp_path / "m.csv", MENTORS))
    case = info.value.failure_cases.iloc[0]
    assert (case["file"], case["row"], case["id"]) == ("p.csv", 4, "E3")
    plain = subset.reset_index(drop=True)  # a new index: labels are positions again, no file lines
    plain.attrs.clear()
    with pytest.raises(InputError) as info:
        matching.match(plain, _write(tmp_path / "m.csv", MENTORS))
    assert (info.value.failure_cases["file"][0], info.value.failure_cases["row"][0]) == ("mentees", 1)
