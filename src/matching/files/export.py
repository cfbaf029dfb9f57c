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

Writing is atomic: each file is written to a temporary file in the same folder,
then renamed over the target; if anything fails, earlier outputs are left intact.

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
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MatchingError

__all__ = ["DANGEROUS", "neutralise", "restore", "result_tables", "write_csv", "write_excel", "write_json",
           "write", "read_back", "atomic_write", "FORMATS"]

#: Leading characters a spreadsheet may treat as the start of a formula.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = DANGEROUS + ("'",)
#: Column names (and ``mentee_``/``mentor_`` + name) left out unless ``include=`` names them.
PROTECTED = frozenset({"gender", "race", "sex", "ethnicity"})
#: Tables taken from a result, in order, when present (a re-match result has them all).
TABLES = ("pairs", "changes", "withdrawn", "waitlisted", "unmatched", "mentees", "mentors",
          "available_mentors", "history")
FORMATS = ("csv", "xlsx", "json")


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
        values = dict(zip(people.ids.astype(str), people.extra[name]))
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
    include = tuple(include)
    if isinstance(result, Mapping):
        tables = {str(k): v for k, v in result.items()}
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


def atomic_write(targets: Mapping[Path, Callable[[Path], None]]) -> list[Path]:
    """Write every target to a temporary sibling, then rename them all into place.

    Every file is fully written before the first rename, so a failure while writing
    leaves all previous outputs intact. An unwritable destination is a
    :class:`~matching.MatchingError` naming it.
    """
    temps: dict[Path, Path] = {}
    try:
        for path, writer in targets.items():
            if path.is_dir():
                raise MatchingError(f"cannot write '{path}': it is a folder, not a file")
            path.parent.mkdir(parents=True, exist_ok=True)
            temps[path] = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
            writer(temps[path])
        for path, temp in temps.items():
            os.replace(temp, path)
    except OSError as exc:
        where = exc.filename or next(iter(targets), "")
        raise MatchingError(f"cannot write '{where}': {exc.strerror or exc}") from exc
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(targets)


def write_csv(tables, folder, *, include: Iterable[str] = ()) -> list[Path]:
    """Write each table to ``folder/<name>.csv`` (UTF-8 with BOM, CRLF), neutralised.

    Returns the paths written. Read back with :func:`read_back`, or with
    ``pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).map(restore)``.
    """
    folder = Path(folder)
    frames = {name: _safe_frame(t) for name, t in result_tables(tables, include=include).items()}
    return atomic_write({folder / f"{name}.csv": (lambda p, f=f: f.to_csv(p, index=False, encoding="utf-8-sig",
                                                                     lineterminator="\r\n"))
                    for name, f in frames.items()})


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _sheet(book, name: str, frame: pd.DataFrame) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    sheet = book.create_sheet(name[:31])
    sheet.append([str(c) for c in frame.columns])
    for row_no, row in enumerate(frame.astype(object).itertuples(index=False), start=2):
        cells = [_cell(v) for v in row]
        for col_no, v in enumerate(cells):
            if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v):
                raise MatchingError(f"cannot write Excel: table '{name}', row {row_no}, column "
                                    f"'{frame.columns[col_no]}' holds a control character Excel cannot store; "
                                    "export to CSV or JSON instead")
        sheet.append(cells)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for k, col in enumerate(frame.columns):
        width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:50, k]])
        sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(max(width + 2, 8), 60)


def write_excel(tables, path, *, include: Iterable[str] = ()) -> Path:
    """Write each table to a sheet of one ``.xlsx`` workbook, neutralised."""
    from openpyxl import Workbook

    frames = {name: _safe_frame(t) for name, t in result_tables(tables, include=include).items()}

    def writer(temp: Path) -> None:
        book = Workbook()
        book.remove(book.active)
        for name, frame in frames.items():
            _sheet(book, name, frame)
        with open(temp, "wb") as fh:
            book.save(fh)

    return atomic_write({Path(path): writer})[0]


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


def write_json(tables, path, *, include: Iterable[str] = ()) -> Path:
    """Write ``{"summary", "info", "tables": {name: {"columns", "records"}}}`` (text as-is)."""
    data = {"format": "mentor-matching", "version": 1}
    if not isinstance(tables, Mapping):
        data["summary"] = getattr(tables, "summary", None)
        info = getattr(tables, "info", None)
        data["info"] = info.to_dict() if info is not None else None
    frames = result_tables(tables, include=include)
    if data.get("summary") is not None:
        frames.pop("summary", None)  # kept as a dict above, with its types
    data["tables"] = {name: _records(f) for name, f in frames.items()}
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False, default=_json_default)

    def writer(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    return atomic_write({Path(path): writer})[0]


def write(result, dest, *, format: str = "csv", include: Iterable[str] = ()) -> list[Path]:
    """Write in one of :data:`FORMATS`: ``csv`` into folder ``dest``, else file ``dest``."""
    if format not in FORMATS:
        raise MatchingError(f"The 'format' option must be one of {list(FORMATS)}. Got {format!r} instead.")
    if format == "csv":
        return write_csv(result, dest, include=include)
    return [(write_excel if format == "xlsx" else write_json)(result, dest, include=include)]


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
    path = Path(path)
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
