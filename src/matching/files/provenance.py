"""Where each row of a table read from a file came from: its line number, kept with
the frame (in ``DataFrame.attrs``) through sorting, filtering and re-indexing.

Messages name the line a person sees in the file. The index of a frame from
:func:`~matching.files.tables.read_table` points at the rows read unless the frame
was re-indexed (``sort_values(ignore_index=True)``, ``reset_index(drop=True)``); each
row's cells check it, and a row the index does not match is found by its content
instead. A row that was both edited and moved names no line (-1) rather than another
row's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Lines", "lines_of"]


class Lines:
    """Line numbers kept in ``DataFrame.attrs``: shared (pandas deep-copies attrs on
    every operation), read-only, and comparable (``pd.concat`` compares attrs).

    The cells as read are kept too (a copy of each column's object pointers, not of the
    text), so that a frame re-sorted and re-indexed
    (``sort_values(ignore_index=True)``, ``reset_index(drop=True)``) still finds each
    row's line by its content (:func:`lines_of`)."""

    __slots__ = ("array", "cells")

    def __init__(self, array, frame=None):
        self.array = np.array(array, dtype=np.int64)
        self.array.flags.writeable = False
        self.cells = {} if frame is None else {c: frame[c].to_numpy(dtype=object, copy=True) for c in frame.columns}

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __eq__(self, other) -> bool:
        return isinstance(other, Lines) and np.array_equal(self.array, other.array)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<line numbers of {len(self.array)} rows>"


def _cell_hashes(cells: np.ndarray) -> np.ndarray | None:
    try:
        return pd.util.hash_array(np.where(pd.isna(cells), None, cells).astype(object))
    except (TypeError, ValueError):
        return None


def _common(frame: pd.DataFrame, kept: Lines) -> list:
    """Columns both the frame and the table as read have (by name, each once)."""
    if frame.columns.duplicated().any():
        return []
    return [c for c in frame.columns if c in kept.cells]


def _same_rows(frame: pd.DataFrame, kept: Lines, cand: np.ndarray, common: list) -> np.ndarray:
    """Whether each row holds the cells read at position ``cand`` (missing equals missing)."""
    ok = np.ones(len(frame), bool)
    for c in common:
        now, then = frame[c].to_numpy(dtype=object), kept.cells[c][cand]
        with np.errstate(invalid="ignore"):
            ok &= (now == then) | (pd.isna(now) & pd.isna(then))
    return ok


def _row_hashes(frame: pd.DataFrame, kept: Lines, common: list):
    """Row hashes of the common columns (current, as read), or None."""
    now, then = np.zeros(len(frame), np.uint64), np.zeros(len(kept.array), np.uint64)
    with np.errstate(over="ignore"):
        for k, c in enumerate(common):
            a, b = _cell_hashes(frame[c].to_numpy(dtype=object)), _cell_hashes(kept.cells[c])
            if a is None or b is None:
                return None
            factor = np.uint64(1_000_003 + 2 * k)
            now, then = now * factor + a, then * factor + b
    return now, then


def _by_content(now: np.ndarray, then: np.ndarray) -> np.ndarray:
    """For each current row, the position read with the same content (-1: none); repeats in order."""
    read = pd.DataFrame({"h": then, "pos": np.arange(len(then))})
    read["k"] = read.groupby("h").cumcount()
    cur = pd.DataFrame({"h": now})
    cur["k"] = cur.groupby("h").cumcount()
    return cur.merge(read, on=["h", "k"], how="left")["pos"].fillna(-1).to_numpy(np.int64)


def lines_of(frame: pd.DataFrame, kept: Lines) -> np.ndarray | None:
    """The file line of each row of a frame from :func:`read_table`, -1 where it cannot be told.

    The index points at the rows read unless the frame was re-indexed; each row's content
    checks it, and a row whose index does not match is found by its content instead.
    """
    lines, index = kept.array, frame.index
    cand = None
    if (pd.api.types.is_integer_dtype(index.dtype) and index.is_unique and len(index)
            and index.min() >= 0 and index.max() < len(lines)):
        cand = index.to_numpy(np.int64)
    common = _common(frame, kept)
    if not common:
        return lines[cand] if cand is not None else None
    ok = _same_rows(frame, kept, cand, common) if cand is not None else np.zeros(len(frame), bool)
    if ok.all():
        return lines[cand]
    hashes = _row_hashes(frame, kept, common)
    if hashes is None:
        return lines[cand] if cand is not None else None
    found = _by_content(*hashes)
    trust = cand is not None and bool(ok[found >= 0].all())
    pos = np.where(ok, cand if cand is not None else -1, np.where(found >= 0, found, cand if trust else -1))
    return np.where(pos >= 0, lines[np.maximum(pos, 0)], -1)
