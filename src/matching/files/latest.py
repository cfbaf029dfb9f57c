"""Duplicate form submissions: keep each person's latest row by a timestamp column.

People submit a form twice. ``read_table(path, keep_latest="Timestamp")`` keeps, for each
id repeated on several rows, the row with the latest timestamp (the later line of the file
when two rows share a timestamp) and warns, listing every row dropped. Rows whose id
appears once are kept whatever their timestamp.

Timestamps are read as dates and times in the usual spreadsheet and form-export formats
(``2024-03-05 13:23:45``, ``2024/03/05 1:23:45 PM GMT``, ``3/5/24 13:23``); an ambiguous
day/month order is read month first, the same way for every row of the file.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import InputError, MatchingWarning

__all__ = ["keep_latest", "ID_HEADERS"]

#: Headers read as the id column (compared after header normalization).
ID_HEADERS = ("id", "employee_id", "person_id", "mentee_id", "mentor_id")
_SHOWN = 20


def _column(frame: pd.DataFrame, wanted: str, source: str, sheet, what: str, normalize_header):
    names = {normalize_header(c): c for c in reversed(list(frame.columns))}
    for key in ((normalize_header(wanted),) if what == "timestamp" else ID_HEADERS):
        if key in names:
            return names[key]
    need = f"keep_latest='{wanted}' names no column" if what == "timestamp" else "keep_latest needs an id column"
    raise InputError([{"file": source, "sheet": sheet, "column": wanted if what == "timestamp" else "id",
                       "problem": f"{need}; columns: {', '.join(map(str, frame.columns))}"}])


def keep_latest(frame: pd.DataFrame, column: str, *, source: str, sheet=None, lines=None, normalize=str.casefold):
    """``(frame, lines)`` with only the latest row of each repeated id; warns about the rows dropped.

    ``lines`` are the rows' line numbers in the file (for messages); the same rows are kept.
    ``normalize`` turns a header into the form compared with ``column`` and :data:`ID_HEADERS`
    (:func:`matching.files.tables.normalize_header` when called by ``read_table``).

    Examples
    --------
    >>> import warnings
    >>> f = pd.DataFrame({"id": ["E1", "E2", "E1"], "Timestamp": ["2024-03-01", "2024-03-01", "2024-03-02"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept, lines = keep_latest(f, "Timestamp", source="form.csv", lines=np.array([2, 3, 4]))
    >>> kept["id"].tolist(), lines.tolist()
    (['E2', 'E1'], [3, 4])
    >>> print(caught[0].message)
    form.csv: 1 earlier submission dropped (keep_latest='Timestamp'): id 'E1' row 2 (kept row 4)
    """
    lines = np.arange(len(frame)) + 2 if lines is None else np.asarray(lines)
    ids = frame[_column(frame, column, source, sheet, "id", normalize)]
    stamp_col = _column(frame, column, source, sheet, "timestamp", normalize)
    text = ids.astype(object).where(ids.notna(), None).map(lambda v: None if v is None else str(v).strip() or None)
    repeated = (text.duplicated(keep=False) & text.notna()).to_numpy()
    if not repeated.any():
        return frame, lines
    stamps = _parse(frame[stamp_col], repeated, lines, source, sheet, stamp_col)
    order = pd.DataFrame({"id": text.to_numpy(dtype=object), "t": stamps, "pos": np.arange(len(frame))})
    latest = order[repeated].sort_values(["id", "t", "pos"], kind="stable").groupby("id").tail(1)
    drop = repeated.copy()
    drop[latest["pos"].to_numpy()] = False
    kept_line = dict(zip(latest["id"], lines[latest["pos"].to_numpy()]))
    shown = [f"id '{text.iloc[p]}' row {lines[p]} (kept row {kept_line[text.iloc[p]]})" for p in np.flatnonzero(drop)]
    more = len(shown) - _SHOWN
    n = int(drop.sum())
    warnings.warn(MatchingWarning(
        f"{source}: {n} earlier submission{'s' if n > 1 else ''} dropped (keep_latest='{column}'): "
        + "; ".join(shown[:_SHOWN]) + (f"; and {more} more" if more > 0 else "")), stacklevel=4)
    keep = np.flatnonzero(~drop)
    return frame.iloc[keep].reset_index(drop=True), lines[keep]


def _parse(raw: pd.Series, repeated, lines, source, sheet, column) -> np.ndarray:
    """Timestamps as UTC nanoseconds; a missing or unreadable one on a repeated id is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil's "could not infer format" chatter
        parsed = pd.to_datetime(raw.astype(object), format="mixed", errors="coerce", utc=True)
    bad = parsed.isna().to_numpy() & repeated
    if bad.any():
        raise InputError([{"file": source, "sheet": sheet, "row": int(lines[p]), "column": str(column),
                           "problem": "keep_latest: " + (f"the timestamp {raw.iloc[p]!r} is not a date and time"
                                                         if pd.notna(raw.iloc[p]) else "the timestamp is missing")
                           + " (the id is on several rows)"} for p in np.flatnonzero(bad)])
    return parsed.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")).astype(np.int64)
