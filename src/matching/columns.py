"""Column parsers shared by the validators: each checks a whole column at once and
records every bad cell in a :class:`Problems` collector.

Messages name the file, row, column and id; they never echo a gender or race value.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from .io import Table

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
LIST_SEPARATOR = ";"


class Problems:
    """Collects failure cases across all tables before raising once."""

    def __init__(self):
        self.cases: list[dict] = []

    def __bool__(self) -> bool:
        return bool(self.cases)

    def add(self, table: Table | None, problem: str, *, column=None, position=None, id=None):
        row = table.row_label(position) if (table is not None and position is not None) else None
        self.cases.append({
            "file": table.source if table is not None else None,
            "sheet": table.sheet if table is not None else None,
            "row": row, "column": column, "id": id, "problem": problem,
        })


def normalize_header(name) -> str:
    """``' Years Experience '`` -> ``'years_experience'``."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def normalized_frame(table: Table, problems: Problems, aliases: dict) -> pd.DataFrame | None:
    """The table's frame with normalized, alias-resolved headers; None if headers clash."""
    frame = table.frame
    names = [aliases.get(normalize_header(c), normalize_header(c)) for c in frame.columns]
    seen: dict[str, object] = {}
    clash = False
    for original, name in zip(frame.columns, names):
        if name in seen:
            problems.add(table, f"duplicate column header: '{original}' and '{seen[name]}' both mean '{name}'",
                         column=str(original))
            clash = True
        seen.setdefault(name, original)
    if clash:
        return None
    out = frame.copy()
    out.columns = names
    return out


def check_required(table: Table, frame: pd.DataFrame, required, problems: Problems) -> bool:
    """Record each missing required column with the closest header; True if all present."""
    ok = True
    for col in required:
        if col not in frame.columns:
            ok = False
            close = difflib.get_close_matches(col, [str(c) for c in table.frame.columns], n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.add(table, f"missing required column '{col}' (required: {', '.join(required)}; "
                                f"found: {', '.join(map(str, table.frame.columns)) or 'none'}){hint}",
                         column=col)
    return ok


def text_values(series: pd.Series) -> np.ndarray:
    """Cells as stripped text, ``None`` where missing or blank (object array)."""
    out = np.empty(len(series), dtype=object)
    for k, v in enumerate(series.to_numpy(dtype=object)):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            out[k] = None
            continue
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        s = str(v).strip()
        out[k] = s if s else None
    return out


def parse_ids(table: Table, frame: pd.DataFrame, problems: Problems) -> np.ndarray:
    ids = text_values(frame["id"])
    for pos in np.flatnonzero(pd.isna(ids)):
        problems.add(table, "id is missing", column="id", position=pos)
    first: dict[str, int] = {}
    for pos, v in enumerate(ids):
        if v is None:
            continue
        if v in first:
            problems.add(table, f"duplicate id '{v}' (first on row {table.row_label(first[v])})",
                         column="id", position=pos, id=v)
        else:
            first[v] = pos
    return ids


def parse_number(table, frame, ids, column, problems, *, integer, lo, hi, default=None):
    """A numeric column; missing cells take ``default`` (an error if default is None)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan if default is None else default, dtype=float)
    raw = text_values(frame[column])
    num = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
    missing = pd.isna(raw)
    kind = "an integer" if integer else "a number"
    for pos in np.flatnonzero(~missing):
        v = num[pos]
        bad = (not np.isfinite(v)) or (integer and not float(v).is_integer()) or not (lo <= v <= hi)
        if bad:
            problems.add(table, f"{column} must be {kind} between {lo} and {hi}; got {raw[pos]!r}",
                         column=column, position=pos, id=ids[pos])
    if default is None:
        for pos in np.flatnonzero(missing):
            problems.add(table, f"{column} is missing", column=column, position=pos, id=ids[pos])
    num = np.where(missing, np.nan if default is None else default, num)
    return num


def parse_text(table, frame, ids, column, problems, *, required) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = text_values(frame[column])
    if required:
        for pos in np.flatnonzero(pd.isna(values)):
            problems.add(table, f"{column} is missing", column=column, position=pos, id=ids[pos])
    return values


def parse_bool(table, frame, ids, column, problems, *, default: bool) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=bool)
    out = np.full(len(frame), default, dtype=bool)
    for pos, v in enumerate(frame[column].to_numpy(dtype=object)):
        if isinstance(v, (bool, np.bool_)):
            out[pos] = bool(v)
            continue
        text = text_values(pd.Series([v], dtype=object))[0]
        if text is None:
            continue
        key = text.lower()
        if key in _TRUE or key in _FALSE:
            out[pos] = key in _TRUE
        else:
            problems.add(table, f"{column} must be true or false (yes/no, 1/0); got {text!r}",
                         column=column, position=pos, id=ids[pos])
    return out


def parse_list(frame, column) -> list[list[str]]:
    """A list column: Python lists, or text separated by ``;``. Blank items are dropped."""
    if column not in frame.columns:
        return [[] for _ in range(len(frame))]
    out = []
    for v in frame[column].to_numpy(dtype=object):
        if isinstance(v, (list, tuple, np.ndarray)):
            items = [str(x).strip() for x in v]
        elif v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            items = []
        else:
            items = [x.strip() for x in str(v).split(LIST_SEPARATOR)]
        out.append([x for x in items if x])
    return out


def codes(values: np.ndarray, vocabulary: dict[str, int]) -> np.ndarray:
    """Integer codes of text values (-1 for missing), extending ``vocabulary``."""
    out = np.full(len(values), -1, dtype=np.int32)
    for pos, v in enumerate(values):
        if v is not None:
            out[pos] = vocabulary.setdefault(v, len(vocabulary))
    return out
