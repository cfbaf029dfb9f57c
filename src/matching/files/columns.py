"""Column parsers shared by the validators: each checks a whole column at once
(vectorized: no Python loop over good cells) and records every bad cell in a
:class:`Problems` collector.

Messages name the file, row, column and id; they never echo a gender or race value.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from . import ids as idrules
from .tables import Table, normalize_header

_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")
LIST_SEPARATOR = ";"
#: What splits a list cell unless told otherwise: semicolon, comma, line break.
LIST_SEPARATORS = (";", ",", "\n")
_LISTLIKE = (list, tuple, np.ndarray, set, frozenset)
_PANDAS_DUPLICATE = re.compile(r"^(.*)\.(\d+)$")


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


def normalized_frame(table: Table, problems: Problems, aliases: dict, known=()) -> pd.DataFrame | None:
    """The table's frame with normalized, alias-resolved headers; None if headers clash.

    Two headers meaning the same column are an error, and so is ``id.1`` next to
    ``id`` (pandas' silent renaming of a repeated header) for a ``known`` column.
    """
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
    for original, name in zip(frame.columns, names):
        m = _PANDAS_DUPLICATE.match(name)
        if m and m.group(1) in known and m.group(1) in seen:
            problems.add(table, f"duplicate column header: '{original}' looks like a second '{m.group(1)}' "
                                "column renamed by pandas; keep one", column=str(original))
            clash = True
    if clash:
        return None
    out = frame.copy(deep=False)
    out.columns = names
    return out


def check_required(table: Table, frame: pd.DataFrame, required, problems: Problems, known=()) -> bool:
    """Record each missing required column with the closest unused header; True if all present."""
    ok = True
    spare = {normalize_header(c): str(c) for c, n in zip(table.frame.columns, frame.columns)
             if n not in known and n not in required}
    missing = [c for c in required if c not in frame.columns]
    questions = [str(c) for c in spare.values() if _is_question(c)]
    if missing and questions:
        problems.add(table, f"the headers look like form questions ('{questions[0]}', ...): map each question to a "
                            f"field with read_table(path, columns={{'{questions[0]}': '{missing[0]}', ...}}) or on "
                            f"the command line --columns map.toml, a file of lines such as "
                            f"\"{questions[0]}\" = \"{missing[0]}\"", column=missing[0])
    for col in required:
        if col not in frame.columns:
            ok = False
            close = difflib.get_close_matches(col, list(spare), n=1, cutoff=0.6)
            hint = f"; did you mean '{spare[close[0]]}'?" if close else ""
            problems.add(table, f"missing required column '{col}' (required: {', '.join(required)}; "
                                f"found: {', '.join(map(str, table.frame.columns)) or 'none'}){hint}",
                         column=col)
    return ok


def _is_question(header: str) -> bool:
    """A form question rather than a field name: long, several words, or a question mark."""
    return len(header) > 30 or "?" in header or len(header.split()) >= 4


def _cell_text(v):
    """One cell as stripped text or None (the slow path for mixed object columns)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return None
        if float(v).is_integer() and abs(v) < 2**53:
            return str(int(v))
    s = str(v).strip()
    return s or None


def text_values(series: pd.Series) -> np.ndarray:
    """Cells as stripped text, ``None`` where missing or blank (object array).

    Integral floats lose their ``.0`` (a DataFrame column of ids ``1.0`` reads ``'1'``).
    """
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    missing = s.isna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        out = s.astype(object).astype(str).to_numpy(dtype=object)
    elif pd.api.types.is_float_dtype(s.dtype):
        f = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(f) & (f == np.rint(f)) & (np.abs(f) < 2**53)
        out = f.astype(str).astype(object)
        out[whole] = f[whole].astype(np.int64).astype(str)
    elif isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        stripped = s.astype(object).where(~missing, "").astype(str).str.strip()
        out = stripped.to_numpy(dtype=object)
        missing = missing | (out == "")
    else:
        return np.array([_cell_text(v) for v in s.to_numpy(dtype=object)] + [None], dtype=object)[:-1]
    out[missing] = None
    return out


def id_values(series: pd.Series, text: np.ndarray | None = None) -> np.ndarray:
    """Cells of an id column as stripped text in Unicode NFC, ``None`` where missing.

    A cell holding a control character that stripping would remove is kept whole, so
    that it is refused (or unknown) rather than read as another id."""
    out = idrules.nfc(text_values(series) if text is None else text)
    cells = series.to_numpy(dtype=object)
    hidden = idrules.hidden_controls(cells)
    out[hidden] = cells[hidden]
    return out


def check_controls(table: Table, frame: pd.DataFrame, column: str, ids, problems: Problems) -> None:
    """A list-of-ids column (preferences) must not hide a control character."""
    if column not in frame.columns:
        return
    for pos in idrules.hidden_controls(frame[column].to_numpy(dtype=object)):
        problems.add(table, f"{column} hold a control character (such as NUL), which is not allowed in ids",
                     column=column, position=pos, id=_id(ids[pos]))


def parse_ids(table: Table, frame: pd.DataFrame, problems: Problems) -> np.ndarray:
    """Ids as exact text (NFC); missing, repeated, too long or control-character ids are
    problems (each repeat names the first row). Bad ids come back as ``None``."""
    raw = text_values(frame["id"])
    ids = id_values(frame["id"], raw)
    s = pd.Series(ids, dtype=object)
    for pos in np.flatnonzero(s.isna().to_numpy()):
        problems.add(table, "id is missing", column="id", position=pos)
    for pos, problem in idrules.bad_text(ids, idrules.MAX_ID_LENGTH):
        problems.add(table, f"id {problem}", column="id", position=pos, id=idrules.shown(ids[pos]))
        ids[pos] = None
    s = pd.Series(ids, dtype=object)
    dup = (s.duplicated(keep="first") & s.notna()).to_numpy()
    if dup.any():
        first = {v: p for p, v in zip(np.flatnonzero(~dup), ids[~dup]) if v is not None}
        for pos in np.flatnonzero(dup):
            problems.add(table, f"duplicate id '{idrules.shown(ids[pos])}' (first on row "
                                f"{table.row_label(first[ids[pos]])})", column="id", position=pos,
                         id=idrules.shown(ids[pos]))
    if not problems:
        idrules.warn_ids(ids, raw, table.source)
    return ids


def to_float(raw: np.ndarray) -> np.ndarray:
    """Text cells -> floats (NaN where missing or not a number)."""
    num = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
    try:
        return num.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError, OverflowError):
        return np.array([_float(v) for v in num.tolist()], dtype=float)


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return np.nan


def parse_number(table, frame, ids, column, problems, *, integer, lo, hi, default=None):
    """A numeric column; missing cells take ``default`` (an error if default is None)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan if default is None else default, dtype=float)
    s = frame[column]
    raw = None
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.to_numpy(dtype=float, na_value=np.nan)
        missing = s.isna().to_numpy()
    else:
        raw = text_values(s)
        missing = pd.isna(raw)
        num = to_float(raw)
    with np.errstate(invalid="ignore"):
        bad = ~missing & (~np.isfinite(num) | (num < lo) | (num > hi) | (integer & (num != np.rint(num))))
    if bad.any():
        raw = text_values(s) if raw is None else raw
        kind = "an integer" if integer else "a number"
        for pos in np.flatnonzero(bad):
            problems.add(table, f"{column} must be {kind} between {lo} and {hi}; got {raw[pos]!r}",
                         column=column, position=pos, id=ids[pos])
    if default is None:
        for pos in np.flatnonzero(missing):
            problems.add(table, f"{column} is missing", column=column, position=pos, id=ids[pos])
    return np.where(missing | bad, np.nan if default is None else default, num)


def parse_text(table, frame, ids, column, problems, *, required) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = text_values(frame[column])
    missing = pd.isna(values)
    for pos, problem in idrules.bad_text(values, idrules.MAX_NAME_LENGTH, control=False):
        problems.add(table, f"{column} {problem}", column=column, position=pos, id=_id(ids[pos]))
        values[pos] = None
    if required:
        for pos in np.flatnonzero(missing):
            problems.add(table, f"{column} is missing", column=column, position=pos, id=ids[pos])
    return values


def _id(value):
    return idrules.shown(value) if isinstance(value, str) else value


def parse_bool(table, frame, ids, column, problems, *, default: bool) -> np.ndarray:
    """true/false, yes/no, y/n, 1/0, t/f (any case); blank takes ``default``."""
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=bool)
    s = frame[column]
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=object, na_value=default).astype(bool)
    text = text_values(s)
    key = pd.Series(text, dtype=object).str.lower()
    yes, no = key.isin(_TRUE).to_numpy(), key.isin(_FALSE).to_numpy()
    for pos in np.flatnonzero(~(yes | no | pd.isna(text))):
        problems.add(table, f"{column} must be true or false (yes/no, 1/0); got {text[pos]!r}",
                     column=column, position=pos, id=ids[pos])
    return np.where(yes, True, np.where(no, False, default))


def separator_pattern(separators) -> str:
    """A regular expression splitting on any of ``separators`` (``"\\n"`` also matches
    ``"\\r\\n"`` and ``"\\r"``)."""
    parts = [re.escape(s) for s in sorted(set(separators) - {"\n"}, key=lambda s: (-len(s), s))]
    if "\n" in separators:
        parts = [r"\r\n", r"\r", r"\n"] + parts
    return "|".join(parts)


def _split(s: pd.Series, separators) -> pd.Series:
    """Text cells split on any separator (single characters: one fast translate, then split)."""
    if all(len(sep) == 1 for sep in separators):
        chars = set(separators) | ({"\r"} if "\n" in separators else set())
        table = str.maketrans({c: "\x1f" for c in chars})
        cells = [v.translate(table).split("\x1f") if isinstance(v, str) else None for v in s.to_numpy(dtype=object)]
        return pd.Series(cells, index=s.index, dtype=object)
    return s.str.split(separator_pattern(separators), regex=True)


def parse_list(frame, column, separators=LIST_SEPARATORS) -> pd.DataFrame:
    """A list column, exploded: one row per item with ``pos`` (row position), ``item``
    (stripped text) and ``rank`` (1-based place in the row's list).

    Cells are Python lists or text split on any of ``separators`` (default ``;``, ``,``
    and line breaks). Blank items are dropped.
    """
    empty = pd.DataFrame({"pos": np.zeros(0, np.int64), "item": np.zeros(0, object), "rank": np.zeros(0, np.int64)})
    if column not in frame.columns or len(frame) == 0:
        return empty
    s = frame[column]
    values = s.to_numpy(dtype=object)
    listy = np.zeros(len(values), dtype=bool)
    if not isinstance(s.dtype, pd.StringDtype):
        listy = np.fromiter((isinstance(v, _LISTLIKE) for v in values), dtype=bool, count=len(values))
        s = pd.Series(text_values(s), dtype=object)
    scalar = _split(s.reset_index(drop=True)[~listy], separators).explode()
    if listy.any():
        nested = pd.Series(list(values[listy]), index=np.flatnonzero(listy), dtype=object).explode()
        nested = nested.map(_cell_text)
        scalar = pd.concat([scalar, nested]).sort_index(kind="stable")
    items = scalar.where(scalar.notna(), "").astype(str).str.strip()
    items = items[items != ""]
    pos = items.index.to_numpy(dtype=np.int64)
    rank = pd.Series(pos).groupby(pos).cumcount().to_numpy() + 1
    return pd.DataFrame({"pos": pos, "item": items.to_numpy(dtype=object), "rank": rank.astype(np.int64)})


def codes(values: np.ndarray, vocabulary: dict[str, int]) -> np.ndarray:
    """Integer codes of text values in ``vocabulary`` (-1 for missing or absent)."""
    mapped = pd.Series(values, dtype=object).map(vocabulary)
    return mapped.fillna(-1).to_numpy(dtype=np.int64).astype(np.int32)
