"""Validation of the pair-shaped inputs: preferences, relatedness, exclusions, pins and
user criteria given as tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ..files import columns as col
from ..files import ids as idrules
from ..errors import InputError
from ..files.tables import Table, as_table
from . import values as vals
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
    """Preference lists -> PairTable of ranks over (chooser, target) positions.

    ``side`` ranks people of ``mentors`` (the other side): the mentees' lists name
    mentors; for the mentors' own lists pass the mentors first and the mentees second
    (rows of the table are then mentors; messages name the roles of the People given).
    Each choice is an id or a name (see :func:`resolve_choices`); unknown, ambiguous,
    repeated or self choices are problems.
    """
    prefs = side.preferences
    if not len(prefs):
        return PairTable.build([], [], np.zeros(0, np.int64), len(mentees))
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    pos = prefs["pos"].to_numpy(dtype=np.int64)
    rank = prefs["rank"].to_numpy(dtype=np.int64)
    items = idrules.nfc(prefs["item"].to_numpy(dtype=object))
    j = resolve_choices(side.table, side.ids, pos, items, rank, mentors, problems, chooser=mentees.role)
    ok = j >= 0
    return PairTable.build(inverse[pos[ok]], j[ok], rank[ok], len(mentees))


def resolve_choices(table: Table, chooser_ids, pos, items, rank, targets: People, problems, *,
                    chooser: str = "mentee", column: str = "preferences") -> np.ndarray:
    """Positions in ``targets`` of ranked choices given by id or by name; -1 where bad.

    Works for either side: mentees choosing mentors, or mentors choosing mentees. An item
    that is a target's id is that target; otherwise it is compared with the targets'
    ``name`` column ignoring case, spaces and Unicode forms. A name two targets share is
    ambiguous (a problem listing their ids); an unknown item gets the closest id or name as
    a hint; a choice of oneself or the same person twice is a problem. ``pos`` is each item's
    row position in ``table``, ``chooser_ids`` the ids by row position.
    """
    target = targets.role
    j = _index_of(targets.ids, items)
    by_name = j < 0
    names = _names(targets)
    if by_name.any() and names is not None:
        j[by_name], ambiguous = _by_name(items[by_name], names)
    else:
        ambiguous = {}
    me = np.asarray(chooser_ids, dtype=object)[pos]
    chosen = np.array(items, dtype=object)
    chosen[j >= 0] = targets.ids[j[j >= 0]]
    own = chosen.astype(str) == me.astype(str)
    unknown = (j < 0) & ~own
    keyed = pd.DataFrame({"pos": pos, "j": np.where(j >= 0, j, -1 - np.arange(len(j)))})
    twice = keyed.duplicated().to_numpy() & ~own & ~unknown
    hint = _hint(items[unknown], targets, names) if unknown.any() else None
    shown = {k: idrules.shown(items[k]) for k in np.flatnonzero(own | unknown)}
    for k in np.flatnonzero(own | unknown | twice):
        if own[k]:
            problem = f"{column} name the {chooser} themself ('{shown[k]}') at rank {rank[k]}"
        elif unknown[k] and vals.key_of(items[k]) in ambiguous:
            problem = (f"{column} name '{shown[k]}' at rank {rank[k]}, the name of several {target}s "
                       f"({', '.join(targets.ids[ambiguous[vals.key_of(items[k])]])}); give the id instead")
        elif unknown[k]:
            problem = f"{column} name unknown {target} '{shown[k]}' at rank {rank[k]}{hint(items[k])}"
        else:
            problem = f"{column} name {target} '{idrules.shown(chosen[k])}' twice"
        problems.add(table, problem, column=column, position=pos[k], id=me[k])
    return np.where(own | unknown | twice, -1, j)


def _names(people: People) -> np.ndarray | None:
    """Canonical keys of the ``name`` column, or None when there is none."""
    names = people.extra.get("name")
    return None if names is None else vals.keys(col.text_values(pd.Series(names, dtype=object)))


def _by_name(items, name_keys) -> tuple[np.ndarray, dict]:
    """(position of the one target with each item's name or -1, {ambiguous key: ids})."""
    frame = pd.DataFrame({"key": name_keys, "j": np.arange(len(name_keys))}).dropna()
    groups = frame.groupby("key")["j"].agg(list)
    unique = {k: v[0] for k, v in groups.items() if len(v) == 1}
    ambiguous = {k: v for k, v in groups.items() if len(v) > 1}
    item_keys = vals.keys(items)
    j = np.array([unique.get(k, -1) for k in item_keys], dtype=np.int64)
    return j, {k: ambiguous[k] for k in set(item_keys) & set(ambiguous)}


def _hint(unknown, targets: People, name_keys):
    """``item -> "; did you mean ..."``: the closest name, else the id a spreadsheet change or a
    look-alike suggests (:func:`id_hint`)."""
    by_id = id_hint(unknown, targets.ids)
    names = col.text_values(pd.Series(targets.extra.get("name", []), dtype=object)) if name_keys is not None \
        else np.zeros(0, object)
    options = sorted({str(v) for v in names if v is not None})

    def hint(item) -> str:
        near = vals.closest(str(item), options, cutoff=0.75) if options else None
        return f"; did you mean '{idrules.shown(near)}'?" if near else by_id(item)
    return hint


def _frame(table: Table, required, problems) -> pd.DataFrame | None:
    frame = col.normalized_frame(table, problems, {}, known=required)
    if frame is None or not col.check_required(table, frame, required, problems, known=required):
        return None
    return frame


def parse_relatedness(table: Table | None, areas: dict, problems, *, check_known: bool = True,
                      names=None) -> np.ndarray:
    """The relatedness table as a symmetric (n_areas, n_areas) array, NaN where unlisted.

    ``areas`` maps each area's canonical key (:func:`matching.cohort.values.keys`) to its
    code, so the table's areas match the cohort's in any case or spacing; ``names`` are the
    display spellings (for hints). An area no mentee or mentor works in is an error (a typo,
    most often), except when ``check_known`` is false (one side is empty): then such rows
    are ignored.
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
    shown = list(names) if names is not None else list(areas)
    for column in ("area_a", "area_b"):
        names = col.text_values(frame[column])
        idx[column] = col.codes(vals.keys(names), areas).astype(np.int64)
        missing = pd.isna(names)
        unknown = (idx[column] < 0) & ~missing
        for pos in np.flatnonzero(missing | (unknown & check_known)):
            what = "is missing" if missing[pos] else (f"'{names[pos]}' is not the area of any mentee or mentor"
                                                      + _area_hint(names[pos], shown))
            problems.add(table, f"{column} {what}", column=column, position=pos)
        bad |= missing | unknown
    x, y, v = idx["area_a"][~bad], idx["area_b"][~bad], val[~bad]
    _conflicts(table, frame, np.flatnonzero(~bad), x, y, v, problems)
    rel[x, y] = v
    rel[y, x] = v
    return rel


def _area_hint(name: str, areas) -> str:
    close = vals.closest(name, areas, cutoff=0.75)
    return f"; did you mean '{close}'?" if close else ""


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
