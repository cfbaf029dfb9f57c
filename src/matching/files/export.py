"""Writing results to CSV, Excel and JSON, safely and atomically.

Any named set of tables can be written: a :class:`~matching.review.result.MatchResult`
gives ``pairs``, ``unmatched``, ``mentors`` and ``summary``; a re-match result also
``changes``, ``withdrawn``, ``waitlisted``, ``mentees`` and ``history`` (the input of
the next re-match); a plain ``{name: DataFrame}`` dict works too.

Spreadsheet safety (formula injection, OWASP): in CSV and Excel a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
single quote ``'``, so a spreadsheet shows it as text and never runs it. A text
cell that already starts with ``'`` gets one more, so the change is exactly
reversible: :func:`restore` (or :func:`read_back`) gives the original text back.
JSON is written as-is (spreadsheets do not open it). Known limit of the xlsx format:
its XML stores a carriage return as a newline, so ``"\\r\\n"`` inside a cell reads back as
``"\\n"`` (a lone leading carriage return is restored); CSV and JSON keep it exactly.

Privacy: gender and race never appear in exports. Result tables do not hold them;
a column named ``gender``, ``race``, ``sex`` or ``ethnicity`` (or ``mentee_``/
``mentor_`` + one of those) in a table passed in is dropped unless named in
``include=``.

Writing is atomic for the whole set of files (:func:`atomic_write`): every file is
written into a staging folder beside the target first, then swapped in; if anything
fails, the previous run's files are left exactly as they were. Table names become
file and sheet names and are checked (:func:`check_names`).

Examples
--------
>>> neutralise('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> restore(neutralise("-1 day")), restore(neutralise("'quoted")), neutralise("plain")
('-1 day', "'quoted", 'plain')
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MatchingError
from .atomic import as_path, atomic_write, check_names

__all__ = ["DANGEROUS", "neutralise", "restore", "result_tables", "write_csv", "write_excel", "write_json",
           "write", "read_back", "atomic_write", "check_names", "csv_files", "excel_file", "json_file",
           "export_files", "FORMATS",
           "MAX_CELL"]

#: Leading characters a spreadsheet may treat as the start of a formula.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = DANGEROUS + ("'",)
#: Column names (and ``mentee_``/``mentor_`` + name) left out unless ``include=`` names them.
PROTECTED = frozenset({"gender", "race", "sex", "ethnicity"})
#: Tables taken from a result, in order, when present (a re-match result has them all).
TABLES = ("pairs", "changes", "withdrawn", "waitlisted", "unmatched", "mentees", "mentors",
          "available_mentors", "history")
FORMATS = ("csv", "xlsx", "json")
#: Most characters an Excel cell holds; longer text is refused (the xlsx writer would cut it).
MAX_CELL = 32_767


def neutralise(value):
    """Prefix ``'`` to text starting with a formula character (or with ``'``)."""
    if isinstance(value, str) and value.startswith(_ESCAPED):
        return "'" + value
    return value


def restore(value):
    """Undo :func:`neutralise` (Excel turns a stored carriage return into a newline)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in _ESCAPED + ("\n",):
        return "\r" + value[2:] if value[1] == "\n" else value[1:]
    return value


def _is_protected(name) -> bool:
    key = str(name).strip().lower()
    for prefix in ("mentee_", "mentor_"):
        key = key.removeprefix(prefix)
    return key in PROTECTED


def _input_columns(frame: pd.DataFrame, cohort, name: str) -> pd.DataFrame:
    """Add ``mentee_<name>`` / ``mentor_<name>`` from the input's extra columns."""
    frame = frame.copy()
    for role, people in (("mentee", cohort.mentees), ("mentor", cohort.mentors)):
        key = f"{role}_id"
        if key not in frame.columns:
            continue
        if name not in people.extra:
            raise MatchingError(
                f"cannot include '{name}': the {role}s table has no such column (gender and race are kept only "
                f"as anonymous codes and cannot be exported); columns available: {sorted(people.extra)}")
        values = dict(zip(people.ids.tolist(), people.extra[name]))
        frame[f"{role}_{name}"] = pd.Series([values.get(str(v)) for v in frame[key]], index=frame.index,
                                            dtype=object)
    return frame


def _flatten(prefix: str, value, out: list) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, "" if value is None else (json.dumps(value) if isinstance(value, list) else str(value))))


def summary_table(result) -> pd.DataFrame:
    """``key, value`` rows: the summary, then how it was solved (for the record)."""
    rows: list = []
    _flatten("", dict(getattr(result, "summary", {}) or {}), rows)
    info = getattr(result, "info", None)
    if info is not None:
        for key in ("library_version", "created", "input_hash", "gap"):
            rows.append((f"info.{key}", str(getattr(info, key, ""))))
        rows.append(("info.settings", json.dumps(info.settings, sort_keys=True, default=str)))
    return pd.DataFrame(rows, columns=["key", "value"], dtype=object)


def result_tables(result, *, include: Iterable[str] = ()) -> dict[str, pd.DataFrame]:
    """The tables to export from a result (or a ``{name: DataFrame}`` mapping).

    Parameters
    ----------
    result : MatchResult, re-match result or mapping of str to DataFrame
    include : iterable of str, optional
        Input columns to add next to the ids (e.g. ``("name", "title")``) from a
        result; protected column names to keep in a mapping passed in.

    Examples
    --------
    >>> import matching
    >>> data = matching.load_example()
    >>> r = matching.match(data["mentees"], data["mentors"], relatedness=data["relatedness"])
    >>> list(result_tables(r))
    ['pairs', 'unmatched', 'mentors', 'summary']
    >>> "mentor_name" in result_tables(r, include=["name"])["pairs"]
    True
    """
    if isinstance(include, str):
        include = (include,)
    if not isinstance(include, Iterable) or not all(isinstance(c, str) for c in include):
        raise MatchingError(f"include must be column names (a list of str); got {include!r}")
    include = tuple(include)
    if isinstance(result, Mapping):
        tables = dict(result.items())
        check_names(tables)
        wrong = [k for k, v in tables.items() if not isinstance(v, pd.DataFrame)]
        if wrong:
            raise MatchingError(f"table '{wrong[0]}' must be a pandas DataFrame; got {type(tables[wrong[0]]).__name__}")
    elif not any(isinstance(getattr(result, k, None), pd.DataFrame) for k in TABLES):
        raise MatchingError("nothing to write: expected a match or re-match result or a {name: DataFrame} "
                            f"mapping; got {type(result).__name__}")
    else:
        tables = {k: getattr(result, k) for k in TABLES if isinstance(getattr(result, k, None), pd.DataFrame)}
        cohort = getattr(result, "cohort", None)
        for name in include:
            if cohort is not None:
                tables = {k: _input_columns(v, cohort, name) for k, v in tables.items()}
        if getattr(result, "summary", None) is not None:
            tables["summary"] = summary_table(result)
    keep = {c.lower() for c in include}
    return {k: v[[c for c in v.columns if not _is_protected(c) or str(c).lower() in keep
                  or str(c).lower().removeprefix("mentee_").removeprefix("mentor_") in keep]]
            for k, v in tables.items()}


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers neutralised; other columns untouched."""
    out = pd.DataFrame(index=frame.index)
    for k, name in enumerate(frame.columns):
        col = frame.iloc[:, k]
        if pd.api.types.is_string_dtype(col) or col.dtype == object:
            col = col.astype(object).map(neutralise)
        out[neutralise(str(name))] = col
    return out


def csv_files(tables, folder, *, include: Iterable[str] = ()) -> dict[Path, Callable[[Path], None]]:
    """The files :func:`write_csv` writes, as ``{path: writer}`` for :func:`atomic_write`."""
    folder = as_path(folder, "folder to write")
    frames = {name: _safe_frame(t) for name, t in result_tables(tables, include=include).items()}
    check_names(frames)
    return {folder / f"{name}.csv": (lambda p, f=f: f.to_csv(p, index=False, encoding="utf-8-sig",
                                                             lineterminator="\r\n"))
            for name, f in frames.items()}


def write_csv(tables, folder, *, include: Iterable[str] = ()) -> list[Path]:
    """Write each table to ``folder/<name>.csv`` (UTF-8 with BOM, CRLF), neutralised, all or none.

    Returns the paths written. Read back with :func:`read_back`, or with
    ``pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).map(restore)``.
    """
    return atomic_write(csv_files(tables, folder, include=include))


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _sheet(book, name: str, frame: pd.DataFrame) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    sheet = book.create_sheet(name)
    header = [str(c) for c in frame.columns]
    for row_no, row in enumerate([header] + list(frame.astype(object).itertuples(index=False)), start=1):
        cells = [_cell(v) for v in row]
        for col_no, v in enumerate(cells):
            if not isinstance(v, str):
                continue
            where = f"cannot write Excel: table '{name}', row {row_no}, column '{header[col_no][:60]}'"
            if ILLEGAL_CHARACTERS_RE.search(v):
                raise MatchingError(f"{where} holds a control character Excel cannot store; "
                                    "export to CSV or JSON instead")
            if len(v) > MAX_CELL:
                raise MatchingError(f"{where} holds {len(v):,} characters, more than the {MAX_CELL:,} an Excel "
                                    "cell holds; export to CSV or JSON instead")
        sheet.append(cells)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for k, col in enumerate(frame.columns):
        width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:50, k]])
        sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(max(width + 2, 8), 60)


def excel_file(tables, path, *, include: Iterable[str] = ()) -> dict[Path, Callable[[Path], None]]:
    """The workbook :func:`write_excel` writes, as ``{path: writer}`` for :func:`atomic_write`."""
    from openpyxl import Workbook

    path = as_path(path, "workbook to write")
    frames = {name: _safe_frame(t) for name, t in result_tables(tables, include=include).items()}
    check_names(frames, sheets=True)

    def writer(temp: Path) -> None:
        book = Workbook()
        book.remove(book.active)
        for name, frame in frames.items():
            _sheet(book, name, frame)
        with open(temp, "wb") as fh:
            book.save(fh)

    return {path: writer}


def write_excel(tables, path, *, include: Iterable[str] = ()) -> Path:
    """Write each table to a sheet of one ``.xlsx`` workbook, neutralised."""
    return atomic_write(excel_file(tables, path, include=include))[0]


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _records(frame: pd.DataFrame) -> dict:
    rows = [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False)]
    return {"columns": [str(c) for c in frame.columns], "records": [dict(zip(map(str, frame.columns), r))
                                                                     for r in rows]}


def json_file(tables, path, *, include: Iterable[str] = ()) -> dict[Path, Callable[[Path], None]]:
    """The file :func:`write_json` writes, as ``{path: writer}`` for :func:`atomic_write`."""
    path = as_path(path, "file to write")
    data = {"format": "mentor-matching", "version": 1}
    if not isinstance(tables, Mapping):
        data["summary"] = getattr(tables, "summary", None)
        info = getattr(tables, "info", None)
        data["info"] = info.to_dict() if info is not None else None
    frames = result_tables(tables, include=include)
    check_names(frames)
    if data.get("summary") is not None:
        frames.pop("summary", None)  # kept as a dict above, with its types
    data["tables"] = {name: _records(f) for name, f in frames.items()}
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False, default=_json_default)
    return {path: lambda temp: temp.write_text(text, encoding="utf-8")}


def write_json(tables, path, *, include: Iterable[str] = ()) -> Path:
    """Write ``{"summary", "info", "tables": {name: {"columns", "records"}}}`` (text as-is)."""
    return atomic_write(json_file(tables, path, include=include))[0]


def export_files(result, dest, *, format: str = "csv", include: Iterable[str] = ()) -> dict:
    """``{path: writer}`` of :func:`write` (to add more files, e.g. a report, to one atomic set)."""
    if format not in FORMATS:
        raise MatchingError(f"The 'format' option must be one of {list(FORMATS)}. Got {format!r} instead.")
    make = {"csv": csv_files, "xlsx": excel_file, "json": json_file}[format]
    return make(result, dest, include=include)


def write(result, dest, *, format: str = "csv", include: Iterable[str] = ()) -> list[Path]:
    """Write in one of :data:`FORMATS`: ``csv`` into folder ``dest``, else file ``dest``; all files or none."""
    return atomic_write(export_files(result, dest, format=format, include=include))


def _restored(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: restore(str(c)))
    return frame.astype(object).map(restore).astype(object).where(frame.notna(), None)


def read_back(path) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Read exported files back as text, with the neutralisation undone.

    A ``.csv`` file gives a DataFrame; a folder of CSV files, an ``.xlsx`` workbook
    or a ``.json`` export give ``{table name: DataFrame}``. CSV and Excel cells come
    back as text, ``None`` where empty (an empty text and a missing value are the
    same cell in a spreadsheet); JSON values keep their JSON types.
    """
    path = as_path(path, "export to read")
    try:
        return _read_back(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # missing, unreadable or not our export
        if isinstance(exc, MatchingError):
            raise
        raise MatchingError(f"cannot read '{path}' back as an export: {getattr(exc, 'strerror', None) or exc}") \
            from exc


def _read_back(path: Path):
    read_csv = lambda p: _restored(pd.read_csv(p, dtype=str, keep_default_na=False,  # noqa: E731
                                               na_values=[""], encoding="utf-8-sig"))
    if path.is_dir():
        return {p.stem: read_csv(p) for p in sorted(path.glob("*.csv"))}
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, na_values=[""],
                               engine="openpyxl")
        return {name: _restored(frame) for name, frame in sheets.items()}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: pd.DataFrame(t["records"], columns=t["columns"], dtype=object)
            for name, t in data["tables"].items()}
