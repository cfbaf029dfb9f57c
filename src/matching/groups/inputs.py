"""Validation of the grouping inputs: people, sizes and the constraint tables.

People are validated like mentees (:func:`matching.cohort.validate.load_cohort`, with an
empty mentor side); a ``preferences`` column is not read (it names mentors, not group mates)
and is kept with the other extra columns. With ``distance=`` only ``id`` is required. Every
problem in every table is collected and raised as one :class:`~matching.InputError`.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cohort.model import People
from ..cohort.validate import ALIASES, load_cohort, table_or_problem
from ..errors import InputError, MatchingWarning
from ..files import columns as col
from ..files.tables import Table

__all__ = ["Roster", "load_people", "pair_indices", "history_apart", "host_table", "mentor_links",
           "size_bounds"]

_NOT_READ = ("preferences", "ranked_mentors", "preferred_mentors")
_PROTECTED = ("gender", "race", "sex", "ethnicity")


@dataclass(frozen=True, eq=False)
class Roster:
    """The people to group, sorted by id; ``people`` is None when a distance table is given."""

    ids: np.ndarray
    people: People | None
    extra: pd.DataFrame
    labels: dict
    kbus: tuple = ()
    areas: tuple = ()
    competencies: tuple = ()
    input_hash: str = ""


def positions(sorted_ids: np.ndarray, values) -> np.ndarray:
    """Position of each value in ``sorted_ids`` (-1 where absent).

    >>> positions(np.array(["a", "c"]), ["c", "b"]).tolist()
    [1, -1]
    """
    values = np.asarray([str(v) for v in values], dtype=str) if len(values) else np.zeros(0, dtype=str)
    if not len(sorted_ids):
        return np.full(len(values), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == values, pos, -1).astype(np.int64)


class _Quiet(logging.Filter):
    def filter(self, record) -> bool:
        return "has no rows" not in record.getMessage()


def _extra(frame: pd.DataFrame, order: np.ndarray, skip) -> pd.DataFrame:
    names = [c for c in frame.columns if col.normalize_header(c) not in skip]
    return frame[names].iloc[order].reset_index(drop=True)


def load_people(people, *, need_attributes: bool) -> Roster:
    """Validate the people table; ``need_attributes=False`` checks only the ids."""
    problems = col.Problems()
    table = table_or_problem(people, "people", problems)
    if table is None:
        if not problems:
            problems.add(None, "the people table is required (a DataFrame or a CSV / Excel path); got None",
                         column="people")
        raise InputError(problems.cases)
    if not need_attributes:
        return _ids_only(table, problems)
    keep = [c for c in table.frame.columns if ALIASES.get(col.normalize_header(c), col.normalize_header(c))
            not in _NOT_READ]
    trimmed = dataclasses.replace(table, frame=table.frame[keep])
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("id", "level", "area", "kbu")})
    quiet = _Quiet()
    logging.getLogger("matching").addFilter(quiet)
    try:
        cohort = load_cohort(trimmed, empty)
    finally:
        logging.getLogger("matching").removeFilter(quiet)
    p = cohort.mentees
    order = np.argsort(col.text_values(table.frame[_id_column(table.frame)]).astype(str), kind="stable")
    skip = {"id", "level", "area", "kbu", "competencies", *_PROTECTED}
    return Roster(ids=p.ids, people=p, extra=_extra(table.frame, order, skip), labels=dict(cohort.labels),
                  kbus=cohort.kbus, areas=cohort.areas, competencies=cohort.competencies,
                  input_hash=cohort.input_hash)


def _id_column(frame: pd.DataFrame):
    return next(c for c in frame.columns if ALIASES.get(col.normalize_header(c), col.normalize_header(c)) == "id")


def _ids_only(table: Table, problems: col.Problems) -> Roster:
    frame = col.normalized_frame(table, problems, ALIASES, known=("id",))
    if frame is None or not col.check_required(table, frame, ("id",), problems, known=("id",)):
        raise InputError(problems.cases)
    ids = col.parse_ids(table, frame, problems)
    if problems:
        raise InputError(problems.cases)
    ids = ids.astype(str)
    order = np.argsort(ids, kind="stable")
    return Roster(ids=ids[order], people=None, extra=_extra(table.frame, order, {"id", *_PROTECTED}), labels={})


def _columns(table: Table, names, problems: col.Problems) -> pd.DataFrame | None:
    frame = table.frame.copy(deep=False)
    frame.columns = [col.normalize_header(c) for c in frame.columns]
    missing = [c for c in names if c not in frame.columns]
    for c in missing:
        problems.add(table, f"missing required column '{c}' (required: {', '.join(names)}; found: "
                            f"{', '.join(map(str, table.frame.columns)) or 'none'})", column=c)
    return None if missing else frame


def _known(table, frame, name, ids, problems, what="person") -> np.ndarray:
    values = col.text_values(frame[name])
    idx = positions(ids, np.array([v if v is not None else "" for v in values], dtype=object))
    for pos in np.flatnonzero(idx < 0):
        problems.add(table, f"unknown {what} id '{values[pos]}'" if values[pos] else f"{name} is missing",
                     column=name, position=pos, id=values[pos])
    return idx


def pair_indices(data, name: str, ids: np.ndarray, problems: col.Problems) -> np.ndarray:
    """A ``person_a, person_b`` table as an (k, 2) array of positions (sorted, unique)."""
    table = table_or_problem(data, name, problems)
    if table is None:
        return np.zeros((0, 2), dtype=np.int64)
    frame = _columns(table, ("person_a", "person_b"), problems)
    if frame is None:
        return np.zeros((0, 2), dtype=np.int64)
    a, b = _known(table, frame, "person_a", ids, problems), _known(table, frame, "person_b", ids, problems)
    for pos in np.flatnonzero((a == b) & (a >= 0)):
        problems.add(table, f"a pair of one person with themself ('{ids[a[pos]]}')", column="person_b",
                     position=pos, id=str(ids[a[pos]]))
    ok = (a >= 0) & (b >= 0) & (a != b)
    pairs = np.sort(np.stack([a[ok], b[ok]], axis=1), axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.astype(np.int64)


def history_apart(data, ids: np.ndarray, problems: col.Problems) -> np.ndarray:
    """Pairs who shared a group in an earlier session (``id, group``); ids not in ``ids`` (people
    who have left) are left out with a :class:`~matching.MatchingWarning`; a table without
    those columns is an error."""
    table = table_or_problem(data, "history", problems)
    if table is None:
        return np.zeros((0, 2), dtype=np.int64)
    frame = _columns(table, ("id", "group"), problems)
    if frame is None:
        return np.zeros((0, 2), dtype=np.int64)
    idx = positions(ids, np.array([v or "" for v in col.text_values(frame["id"])], dtype=object))
    if (idx < 0).any():
        warnings.warn(f"history: {int((idx < 0).sum())} row(s) name people not in this session (left out); "
                      "their earlier groups still keep the others apart", MatchingWarning, stacklevel=4)
    group = pd.Series(col.text_values(frame["group"]), dtype=object)
    known = (idx >= 0) & group.notna().to_numpy()
    past = pd.DataFrame({"i": idx[known], "g": group[known].to_numpy()})
    pairs = past.merge(past, on="g")
    pairs = pairs[pairs["i_x"] < pairs["i_y"]][["i_x", "i_y"]].to_numpy(dtype=np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else np.zeros((0, 2), dtype=np.int64)


def host_table(data, problems: col.Problems) -> np.ndarray | None:
    """Host ids (sorted, unique): a list of ids or a table with an ``id`` column."""
    if data is None:
        return None
    if not isinstance(data, (pd.DataFrame, str)) and not hasattr(data, "__fspath__"):
        values = np.array([str(v).strip() for v in data if v is not None and str(v).strip()], dtype=str)
        return np.unique(values)
    table = table_or_problem(data, "hosts", problems)
    if table is None:
        return None
    frame = col.normalized_frame(table, problems, {**ALIASES, "host_id": "id"}, known=("id",))
    if frame is None or not col.check_required(table, frame, ("id",), problems, known=("id",)):
        return None
    return np.unique(np.array([v for v in col.text_values(frame["id"]) if v is not None], dtype=str))


def mentor_links(data, ids: np.ndarray, hosts: np.ndarray, problems: col.Problems) -> np.ndarray:
    """(H, n) bool: host ``k`` mentors person ``i`` (``mentor_pairs``: a match's pairs). Pairs of
    mentees outside this session or mentors who are not hosts cannot conflict and are skipped."""
    links = np.zeros((len(hosts), len(ids)), dtype=bool)
    pairs = getattr(data, "pairs", data)
    table = table_or_problem(pairs, "mentor_pairs", problems)
    if table is None:
        return links
    frame = _columns(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return links
    i = positions(ids, np.array([v or "" for v in col.text_values(frame["mentee_id"])], dtype=object))
    k = positions(hosts, np.array([v or "" for v in col.text_values(frame["mentor_id"])], dtype=object))
    ok = (i >= 0) & (k >= 0)
    links[k[ok], i[ok]] = True
    return links


def size_bounds(n: int, size, sizes, n_groups) -> tuple[np.ndarray, np.ndarray]:
    """Per-group ``(lo, hi)`` from ``size`` (+ ``n_groups``) or ``sizes``; InputError if impossible.

    With ``size`` alone the number of groups is the smallest that fits (the largest groups).

    >>> size_bounds(23, (5, 6), None, None)
    (array([5, 5, 5, 5]), array([6, 6, 6, 6]))
    """
    def fail(problem):
        raise InputError([{"column": "sizes" if sizes is not None else "size", "problem": problem}])

    if (size is None) == (sizes is None):
        fail("give exactly one of size=(lo, hi) or sizes=[(lo, hi), ...]")
    pairs = [size] if sizes is None else list(sizes)
    try:
        lohi = np.array([[int(a), int(b)] for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    except (TypeError, ValueError):
        fail(f"sizes must be (lo, hi) pairs of integers; got {pairs!r}")
    if (lohi[:, 0] < 1).any() or (lohi[:, 0] > lohi[:, 1]).any():
        fail(f"each size interval needs 1 <= lo <= hi; got {[tuple(map(int, r)) for r in lohi]}")
    if sizes is not None:
        if n_groups is not None and int(n_groups) != len(lohi):
            fail(f"n_groups={n_groups} but sizes gives {len(lohi)} intervals")
        lo, hi = lohi[:, 0], lohi[:, 1]
        if not lo.sum() <= n <= hi.sum():
            fail(f"{n} people cannot fill {len(lo)} groups of these sizes (they hold {lo.sum()} to {hi.sum()})")
        return lo, hi
    a, b = map(int, lohi[0])
    if n_groups is not None:
        g = int(n_groups)
        if g < 1 or not g * a <= n <= g * b:
            fail(f"{n} people cannot form {n_groups} groups of {a} to {b} (they hold {g * a} to {g * b})")
    else:
        g = -(-n // b)
        if g * a > n:
            fail(f"{n} people cannot be split into groups of {a} to {b}: {g - 1} groups hold at most "
                 f"{(g - 1) * b}, {g} groups need at least {g * a}")
    return np.full(g, a), np.full(g, b)
