"""Validation of the pair-shaped inputs: preferences, relatedness, exclusions, pins and
user criteria given as tables."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..files import columns as col
from ..files import ids as idrules
from ..errors import InputError
from ..files.tables import Table, as_table
from .model import PairTable, People, _index_of
from .settings import BUILTIN_CRITERIA


def _canonical(ids) -> pd.Series:
    """Ids as a spreadsheet might have changed them: case, leading zeros of numbers, a ``.0`` tail."""
    text = pd.Series(np.asarray(ids, dtype=object), dtype=object).astype(str).str.casefold()
    return text.str.replace(r"\.0+$", "", regex=True).str.replace(r"(?<!\d)0+(?=\d)", "", regex=True)


def id_hint(unknown, known: np.ndarray):
    """``unknown id -> "; did you mean 'X'?"`` where a known id differs only as a
    spreadsheet would change it (leading zeros dropped, ``1.0`` for ``1``, case)."""
    unknown = sorted({str(u) for u in unknown if u is not None})
    if not unknown or not len(known):
        return lambda u: ""
    lookup = dict(zip(_canonical(known), known.tolist()))
    hints = {u: lookup.get(c) for u, c in zip(unknown, _canonical(unknown))}
    near = idrules.closest([u for u in unknown if hints[u] in (None, u)], known.tolist())
    hints.update(near)
    return lambda u: (f"; did you mean '{idrules.shown(hints[str(u)])}'? (ids are compared as text)"
                      if hints.get(str(u)) not in (None, str(u)) else "")


def resolve_preferences(side, order, mentees: People, mentors: People, problems) -> PairTable:
    """Preference lists -> PairTable of ranks; unknown, repeated or self choices are errors.

    ``side`` ranks people of ``mentors`` (the other side): the mentees' lists name
    mentors; for the mentors' own lists pass the mentors first and the mentees second
    (rows of the table are then mentors; messages name the roles of the People given).
    """
    prefs = side.preferences
    if not len(prefs):
        return PairTable.build([], [], np.zeros(0, np.int64), len(mentees))
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    pos = prefs["pos"].to_numpy(dtype=np.int64)
    mid = idrules.nfc(prefs["item"].to_numpy(dtype=object))
    rank = prefs["rank"].to_numpy(dtype=np.int64)
    me = side.ids[pos]
    j = _index_of(mentors.ids, mid)
    own = mid == me
    unknown = (j < 0) & ~own
    twice = pd.DataFrame({"pos": pos, "mid": mid}).duplicated().to_numpy() & ~own & ~unknown
    bad = own | unknown | twice
    hint = id_hint(mid[unknown], mentors.ids) if unknown.any() else None
    for k in np.flatnonzero(bad):
        if own[k]:
            problem = f"preferences name the {mentees.role} themself ('{idrules.shown(mid[k])}') at rank {rank[k]}"
        elif unknown[k]:
            problem = (f"preferences name unknown {mentors.role} '{idrules.shown(mid[k])}' at rank {rank[k]}"
                       f"{hint(mid[k])}")
        else:
            problem = f"preferences name {mentors.role} '{idrules.shown(mid[k])}' twice"
        problems.add(side.table, problem, column="preferences", position=pos[k], id=me[k])
    ok = ~bad
    return PairTable.build(inverse[pos[ok]], j[ok], rank[ok], len(mentees))


def _frame(table: Table, required, problems) -> pd.DataFrame | None:
    frame = col.normalized_frame(table, problems, {}, known=required)
    if frame is None or not col.check_required(table, frame, required, problems, known=required):
        return None
    return frame


def parse_relatedness(table: Table | None, areas: dict, problems, *, check_known: bool = True) -> np.ndarray:
    """The relatedness table as a symmetric (n_areas, n_areas) array, NaN where unlisted.

    An area no mentee or mentor works in is an error (a typo, most often), except when
    ``check_known`` is false (one side is empty): then such rows are ignored.
    """
    n = len(areas)
    rel = np.full((n, n), np.nan)
    np.fill_diagonal(rel, 1.0)
    if table is None:
        return rel
    frame = _frame(table, ("area_a", "area_b", "relatedness"), problems)
    if frame is None:
        return rel
    raw = col.text_values(frame["relatedness"])
    val = col.to_float(raw)
    bad = ~(np.isfinite(val) & (val >= 0.0) & (val <= 1.0))
    for pos in np.flatnonzero(bad):
        problems.add(table, f"relatedness must be a number in [0, 1]; got {raw[pos]!r}",
                     column="relatedness", position=pos)
    idx = {}
    for column in ("area_a", "area_b"):
        names = col.text_values(frame[column])
        idx[column] = col.codes(names, areas).astype(np.int64)
        missing = pd.isna(names)
        unknown = (idx[column] < 0) & ~missing
        for pos in np.flatnonzero(missing | (unknown & check_known)):
            what = "is missing" if missing[pos] else (f"'{names[pos]}' is not the area of any mentee or mentor"
                                                      + _area_hint(names[pos], areas))
            problems.add(table, f"{column} {what}", column=column, position=pos)
        bad |= missing | unknown
    x, y, v = idx["area_a"][~bad], idx["area_b"][~bad], val[~bad]
    _conflicts(table, frame, np.flatnonzero(~bad), x, y, v, problems)
    rel[x, y] = v
    rel[y, x] = v
    return rel


def _area_hint(name: str, areas: dict) -> str:
    close = difflib.get_close_matches(name, list(areas), n=1, cutoff=0.75)
    return f"; did you mean '{close[0]}'?" if close else ""


def _conflicts(table, frame, positions, x, y, v, problems) -> None:
    """Report a pair of areas listed twice with different values."""
    key = pd.DataFrame({"lo": np.minimum(x, y), "hi": np.maximum(x, y), "v": v})
    first = key.drop_duplicates(["lo", "hi"])
    merged = key.merge(first, on=["lo", "hi"], how="left", suffixes=("", "_first"))
    clash = (merged["v"] != merged["v_first"]).to_numpy()  # (A, A) given twice too
    a = col.text_values(frame["area_a"])
    b = col.text_values(frame["area_b"])
    for k in np.flatnonzero(clash):
        pos = positions[k]
        problems.add(table, f"relatedness of '{a[pos]}' and '{b[pos]}' is given twice with different values "
                            f"({merged['v_first'].iloc[k]:g} and {v[k]:g})", column="relatedness", position=pos)


def _pair_ids(table: Table, frame, mentees: People, mentors: People, problems, kind: str):
    """Resolve ``mentee_id``/``mentor_id``; unknown or missing ids are problems."""
    out = []
    for column, people, who in (("mentee_id", mentees, "mentee"), ("mentor_id", mentors, "mentor")):
        ids = col.id_values(frame[column])
        index = _index_of(people.ids, [x if x is not None else "" for x in ids])
        missing = pd.isna(ids)
        unknown = (index < 0) & ~missing
        hint = id_hint(ids[unknown], people.ids) if unknown.any() else None
        for pos in np.flatnonzero(missing | unknown):
            problem = (f"{column} is missing" if missing[pos]
                       else f"{kind}: unknown {who} '{idrules.shown(ids[pos])}'{hint(ids[pos])}")
            problems.add(table, problem, column=column, position=pos,
                         id=None if missing[pos] else idrules.shown(ids[pos]))
        out.append((ids, np.where(missing, -1, index)))
    return out


def parse_pairs(table: Table | None, mentees: People, mentors: People, problems, *,
                unique_mentee: bool = False) -> PairTable | None:
    """Exclusions or pins: ``mentee_id, mentor_id`` (+ optional ``reason``, ``decided_by``)."""
    if table is None:
        return None
    frame = _frame(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return None
    (me, i), (mo, j) = _pair_ids(table, frame, mentees, mentors, problems, table.source)
    reason = col.text_values(frame["reason"]) if "reason" in frame else np.full(len(frame), None, object)
    ok = (i >= 0) & (j >= 0)
    if unique_mentee and ok.any():
        pinned = pd.DataFrame({"i": i[ok], "j": j[ok], "pos": np.flatnonzero(ok)})
        first = pinned.groupby("i").transform("first")
        for k in np.flatnonzero((pinned["j"] != first["j"]).to_numpy()):
            pos, pos0 = pinned["pos"].iloc[k], first["pos"].iloc[k]
            problems.add(table, f"mentee '{me[pos]}' is pinned twice (also to '{mo[pos0]}' "
                                f"on row {table.row_label(pos0)})", column="mentee_id", position=pos, id=me[pos])
    # A pair listed twice keeps every distinct reason, sorted, so row order never matters.
    listed = pd.DataFrame({"key": i[ok] * (1 << 32) + j[ok], "reason": [r or "" for r in reason[ok]]})
    joined = listed.groupby("key", sort=True)["reason"].agg(lambda rs: "; ".join(sorted({r for r in rs if r})))
    keys = joined.index.to_numpy(dtype=np.int64)
    values = np.array(joined.tolist(), dtype=object)
    return PairTable.build(keys >> 32, keys & ((1 << 32) - 1), values, len(mentees))


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
        try:
            table = as_table(spec, f"extra_criteria['{name}']")
        except InputError as err:
            problems.cases.extend({k: (None if pd.isna(v) else v) for k, v in case.items()}
                                  for case in err.failure_cases.to_dict("records"))
            continue
        pt = _score_table(table, mentees, mentors, problems)
        if pt is not None:
            tables[name] = pt
    return tables, functions


def _score_table(table: Table, mentees: People, mentors: People, problems) -> PairTable | None:
    frame = _frame(table, ("mentee_id", "mentor_id", "score"), problems)
    if frame is None:
        return None
    (me, i), (mo, j) = _pair_ids(table, frame, mentees, mentors, problems, table.source)
    raw = col.text_values(frame["score"])
    val = col.to_float(raw)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(val) <= 1e6)
    for pos in np.flatnonzero(bad):
        problems.add(table, f"score must be a finite number within +/-1e6; got {raw[pos]!r}",
                     column="score", position=pos, id=me[pos])
    ok = (i >= 0) & (j >= 0) & ~bad
    dup = ok & pd.Series(i * (1 << 32) + j).duplicated(keep="first").to_numpy()
    for pos in np.flatnonzero(dup):
        problems.add(table, f"pair ({me[pos]}, {mo[pos]}) is scored twice", column="score",
                     position=pos, id=me[pos])
    ok &= ~dup
    return PairTable.build(i[ok], j[ok], val[ok], len(mentees))
