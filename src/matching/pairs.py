"""Validation of the pair-shaped inputs: preferences, relatedness, exclusions, pins and
user criteria given as tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from . import columns as col
from .io import Table, as_table
from .model import PairTable, People, _index_of
from .settings import BUILTIN_CRITERIA


def resolve_preferences(side, order, mentees: People, mentors: People, problems) -> PairTable:
    """Preference lists -> PairTable of ranks; unknown, repeated or self choices are errors."""
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    known = set(mentors.ids.tolist())
    i_out, j_out, r_out = [], [], []
    for pos, prefs in enumerate(side.preferences):
        me = side.ids[pos]
        seen = set()
        for rank, mid in enumerate(prefs, start=1):
            problem = None
            if mid == me:
                problem = f"preferences name the mentee themself ('{mid}') at rank {rank}"
            elif mid not in known:
                problem = f"preferences name unknown mentor '{mid}' at rank {rank}"
            elif mid in seen:
                problem = f"preferences name mentor '{mid}' twice"
            if problem:
                problems.add(side.table, problem, column="preferences", position=pos, id=me)
                continue
            seen.add(mid)
            i_out.append(inverse[pos])
            j_out.append(mid)
            r_out.append(rank)
    j_idx = _index_of(mentors.ids, j_out) if j_out else np.zeros(0, np.int64)
    return PairTable.build(i_out, j_idx, np.asarray(r_out, dtype=np.int64), len(mentees))


def _frame(table: Table, required, problems) -> pd.DataFrame | None:
    frame = col.normalized_frame(table, problems, {})
    if frame is None or not col.check_required(table, frame, required, problems):
        return None
    return frame


def parse_relatedness(table: Table | None, areas: dict, problems) -> np.ndarray:
    """The relatedness table as a symmetric (n_areas, n_areas) array, NaN where unlisted."""
    n = len(areas)
    rel = np.full((n, n), np.nan)
    np.fill_diagonal(rel, 1.0)
    if table is None:
        return rel
    frame = _frame(table, ("area_a", "area_b", "relatedness"), problems)
    if frame is None:
        return rel
    a = col.text_values(frame["area_a"])
    b = col.text_values(frame["area_b"])
    raw = col.text_values(frame["relatedness"])
    val = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
    for pos in range(len(frame)):
        bad = False
        for column, area in (("area_a", a[pos]), ("area_b", b[pos])):
            if area is None or area not in areas:
                what = "is missing" if area is None else f"'{area}' is not the area of any mentee or mentor"
                problems.add(table, f"{column} {what}", column=column, position=pos)
                bad = True
        if not (np.isfinite(val[pos]) and 0.0 <= val[pos] <= 1.0):
            problems.add(table, f"relatedness must be a number in [0, 1]; got {raw[pos]!r}",
                         column="relatedness", position=pos)
            bad = True
        if bad:
            continue
        x, y = areas[a[pos]], areas[b[pos]]
        if not np.isnan(rel[x, y]) and x != y and rel[x, y] != val[pos]:
            problems.add(table, f"relatedness of '{a[pos]}' and '{b[pos]}' is given twice with different values "
                                f"({rel[x, y]:g} and {val[pos]:g})", column="relatedness", position=pos)
        rel[x, y] = rel[y, x] = val[pos]
    return rel


def parse_pairs(table: Table | None, mentees: People, mentors: People, problems, *,
                unique_mentee: bool = False) -> PairTable | None:
    """Exclusions or pins: ``mentee_id, mentor_id`` (+ optional ``reason``, ``decided_by``)."""
    if table is None:
        return None
    frame = _frame(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return None
    me = col.text_values(frame["mentee_id"])
    mo = col.text_values(frame["mentor_id"])
    reason = col.text_values(frame["reason"]) if "reason" in frame else np.full(len(frame), None, object)
    i = _index_of(mentees.ids, [x or "" for x in me])
    j = _index_of(mentors.ids, [x or "" for x in mo])
    kind = table.source
    for pos in np.flatnonzero(i < 0):
        problems.add(table, f"{kind}: unknown mentee '{me[pos]}'", column="mentee_id", position=pos, id=me[pos])
    for pos in np.flatnonzero(j < 0):
        problems.add(table, f"{kind}: unknown mentor '{mo[pos]}'", column="mentor_id", position=pos, id=mo[pos])
    ok = (i >= 0) & (j >= 0)
    if unique_mentee:
        first: dict[int, int] = {}
        for pos in np.flatnonzero(ok):
            if i[pos] in first and j[first[i[pos]]] != j[pos]:
                problems.add(table, f"mentee '{me[pos]}' is pinned twice (also to '{mo[first[i[pos]]]}' "
                                    f"on row {table.row_label(first[i[pos]])})",
                             column="mentee_id", position=pos, id=me[pos])
            first.setdefault(i[pos], pos)
    keys = i[ok] * (1 << 32) + j[ok]
    _, keep = np.unique(keys, return_index=True)
    sel = np.flatnonzero(ok)[keep]
    values = np.array([r or "" for r in reason[sel]], dtype=object)
    return PairTable.build(i[sel], j[sel], values, len(mentees))


def parse_extra(extra: Mapping | None, mentees: People, mentors: People, problems):
    """User criteria: name -> function ``f(mentees, mentors)`` or table ``mentee_id, mentor_id, score``."""
    tables: dict[str, PairTable] = {}
    functions: dict[str, Callable] = {}
    if extra is None:
        return tables, functions
    if not isinstance(extra, Mapping):
        problems.add(None, f"extra_criteria must map a name to a function or a table; got {type(extra).__name__}",
                     column="extra_criteria")
        return tables, functions
    for name, spec in extra.items():
        if not isinstance(name, str) or not name.isidentifier() or name in BUILTIN_CRITERIA:
            problems.add(None, f"criterion name {name!r} must be an identifier and not a built-in criterion "
                               f"({', '.join(BUILTIN_CRITERIA)})", column="extra_criteria")
            continue
        if callable(spec) and not isinstance(spec, pd.DataFrame):
            functions[name] = spec
            continue
        table = as_table(spec, f"extra_criteria['{name}']")
        pt = _score_table(table, mentees, mentors, problems)
        if pt is not None:
            tables[name] = pt
    return tables, functions


def _score_table(table: Table, mentees: People, mentors: People, problems) -> PairTable | None:
    frame = _frame(table, ("mentee_id", "mentor_id", "score"), problems)
    if frame is None:
        return None
    me = col.text_values(frame["mentee_id"])
    mo = col.text_values(frame["mentor_id"])
    raw = col.text_values(frame["score"])
    val = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
    i = _index_of(mentees.ids, [x or "" for x in me])
    j = _index_of(mentors.ids, [x or "" for x in mo])
    for pos in np.flatnonzero(i < 0):
        problems.add(table, f"unknown mentee '{me[pos]}'", column="mentee_id", position=pos, id=me[pos])
    for pos in np.flatnonzero(j < 0):
        problems.add(table, f"unknown mentor '{mo[pos]}'", column="mentor_id", position=pos, id=mo[pos])
    for pos in np.flatnonzero(~np.isfinite(val) | (np.abs(np.nan_to_num(val)) > 1e6)):
        problems.add(table, f"score must be a finite number within +/-1e6; got {raw[pos]!r}",
                     column="score", position=pos, id=me[pos])
    ok = (i >= 0) & (j >= 0) & np.isfinite(val)
    keys = i * (1 << 32) + j
    dup = ok & pd.Series(keys).duplicated(keep="first").to_numpy() & ok
    for pos in np.flatnonzero(dup):
        problems.add(table, f"pair ({me[pos]}, {mo[pos]}) is scored twice", column="score",
                     position=pos, id=me[pos])
    ok &= ~dup
    return PairTable.build(i[ok], j[ok], val[ok], len(mentees))
