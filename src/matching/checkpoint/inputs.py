"""Validation of the checkpoint tables: current pairs, requests, history, who left and the
waitlist.

Every problem in every table is collected with the same :class:`~matching.files.columns.Problems`
collector as the people tables and raised as one :class:`~matching.errors.InputError`
naming file, row, column and id. Past this point the checkpoint is a frozen
:class:`Checkpoint` of index arrays over the validated :class:`~matching.cohort.model.Cohort`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..files import columns as col
from ..files.ids import shown, suggest
from ..files.export import restore
from ..errors import InputError
from ..files.tables import Table, as_table
from ..cohort.model import Cohort
from .kept import check_capacity, check_history, rule_flags
from .tables import (HISTORY_COLUMNS, add_exclusions, frame_of, parse_history, parse_left,
                             parse_waitlist, raw_pair_ids)
from ..cohort.settings import Settings

__all__ = ["Checkpoint", "load_checkpoint", "pairs_table", "REQUESTED_BY", "MENTOR_LEFT", "BROKEN_RULE",
           "HISTORY_COLUMNS"]

#: Accepted values of ``requested_by``.
REQUESTED_BY = ("mentee", "mentor", "both")
#: The ``requested_by`` of a mentee whose mentor left the program.
MENTOR_LEFT = "mentor left"
#: The ``requested_by`` of a pair that did not ask but breaks a hard rule, re-matched with
#: ``broken_pairs="rematch"``.
BROKEN_RULE = "broken rule"


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The validated checkpoint, in cohort positions.

    Attributes
    ----------
    home : ndarray of int64, shape (n_mentees,)
        Current mentor of each mentee (-1: none, or the pair ended because someone left).
    previous : ndarray of object, shape (n_mentees,)
        Mentor id of the mentee's current pair before the checkpoint (None: unpaired).
    ask : ndarray of object, shape (n_mentees,)
        ``""`` (no request), ``"mentee"``, ``"mentor"``, ``"both"``, ``"mentor left"`` or
        ``"broken rule"``.
    left_mentee : ndarray of bool, shape (n_mentees,)
    left_mentor : ndarray of bool, shape (n_mentors,)
    absent : tuple of (id, role, partner id)
        People who left and are no longer in the mentees / mentors tables.
    waitlist : ndarray of bool, shape (n_mentees,)
    history : pandas.DataFrame
        Past dissolved pairs as given (``mentee_id, mentor_id, requested_by``).
    hist_i, hist_j : ndarray of int64
        Positions of the history pairs whose two people are in the cohort.
    flags : pandas.DataFrame
        Pairs that did not ask but break a hard rule (``mentee_id, mentor_id, rule,
        reason, action``), kept or re-matched.
    broken : ndarray of bool, shape (n_mentees,)
        Mentees of a flagged pair that is kept (never moved).
    digest : str
        SHA-256 of the checkpoint tables' content.
    """

    home: np.ndarray
    previous: np.ndarray
    ask: np.ndarray
    left_mentee: np.ndarray
    left_mentor: np.ndarray
    absent: tuple
    waitlist: np.ndarray
    history: pd.DataFrame
    hist_i: np.ndarray
    hist_j: np.ndarray
    flags: pd.DataFrame
    broken: np.ndarray
    digest: str


def pairs_table(current_pairs) -> Table:
    """A MatchResult / RematchResult (``.pairs``) or a table/path, as a Table."""
    pairs = getattr(current_pairs, "pairs", None)
    if isinstance(pairs, pd.DataFrame):
        return Table(frame=pairs[["mentee_id", "mentor_id"]], source="current_pairs")
    if current_pairs is None:
        raise InputError([{"file": "current_pairs", "problem": "current_pairs is required (a MatchResult or a "
                                                               "table mentee_id, mentor_id)"}])
    return _restored_ids(as_table(current_pairs, "current_pairs"))


def _restored_ids(table: Table | None) -> Table | None:
    """Undo the spreadsheet-safe ``'`` prefix our exports put before ids like ``=X``.

    Pairs and history files written by :mod:`matching.export` come back here; an id
    ``'=X`` in such a file is the id ``=X``.
    """
    if table is None or not table.from_file:
        return table
    from dataclasses import replace

    frame = table.frame.copy()
    for column in frame.columns:
        if str(column).strip().lower() in ("id", "mentee_id", "mentor_id"):
            frame[column] = frame[column].map(restore)
    return replace(table, frame=frame)


def _parse_requests(table: Table | None, problems) -> list[tuple[int, str, str, str]]:
    """``(position, mentee id, mentor id, requested_by)`` of well-formed request rows."""
    if table is None:
        return []
    frame = frame_of(table, ("mentee_id", "mentor_id", "requested_by"), problems)
    if frame is None:
        return []
    me, mo = col.id_values(frame["mentee_id"]), col.id_values(frame["mentor_id"])
    by = col.text_values(frame["requested_by"])
    rows = []
    for pos in range(len(frame)):
        bad = False
        for column, value in (("mentee_id", me[pos]), ("mentor_id", mo[pos])):
            if value is None:
                problems.add(table, f"{column} is missing", column=column, position=pos, id=me[pos])
                bad = True
        who = by[pos].lower() if by[pos] else None
        if who not in REQUESTED_BY:
            problems.add(table, f"requested_by must be one of {', '.join(REQUESTED_BY)}; got {by[pos]!r}",
                         column="requested_by", position=pos, id=me[pos])
            bad = True
        if not bad:
            rows.append((pos, me[pos], mo[pos], who))
    return rows


def _combine(a: str, b: str) -> str:
    """Two requests for the same pair: the mentee's and the mentor's make ``both``."""
    return b if not a else (a if a == b else "both")


def _parse_current(table: Table, cohort: Cohort, left: dict, problems) -> list[tuple[int, str, str]]:
    """``(position, mentee id, mentor id)`` of current pair rows with known ids, one per mentee."""
    frame = frame_of(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return []
    me, mo = col.id_values(frame["mentee_id"]), col.id_values(frame["mentor_id"])
    mentees, mentors = set(cohort.mentees.ids.tolist()), set(cohort.mentors.ids.tolist())
    hints = {"mentee": suggest(mentees), "mentor": suggest(mentors)}
    rows, first = [], {}
    for pos in range(len(frame)):
        e, m = me[pos], mo[pos]
        bad = False
        for column, value, ids, role in (("mentee_id", e, mentees, "mentee"), ("mentor_id", m, mentors, "mentor")):
            if value is None:
                problems.add(table, f"{column} is missing", column=column, position=pos, id=e)
                bad = True
            elif value not in ids and (value, role) not in left:
                problems.add(table, f"unknown {role} '{shown(value)}'{hints[role](value)}", column=column,
                             position=pos, id=shown(value))
                bad = True
        if e is not None and e in first:
            problems.add(table, f"mentee '{e}' is in two current pairs (also with '{first[e][1]}' on row "
                                f"{table.row_label(first[e][0])})", column="mentee_id", position=pos, id=e)
            bad = True
        elif e is not None:
            first[e] = (pos, m)
        if not bad:
            rows.append((pos, e, m))
    return rows


def _request_map(table, rows, cohort: Cohort, current: dict, problems) -> dict[str, str]:
    """``{mentee id: requested_by}`` for requests naming a current pair."""
    known_e = set(cohort.mentees.ids.tolist()) | set(current)
    known_m = set(cohort.mentors.ids.tolist()) | set(current.values())
    asks: dict[str, str] = {}
    hints = {"mentee": suggest(sorted(known_e)), "mentor": suggest(sorted(known_m))}
    for pos, e, m, who in rows:
        if e not in known_e or m not in known_m:
            for column, value, ok, role in (("mentee_id", e, e in known_e, "mentee"),
                                            ("mentor_id", m, m in known_m, "mentor")):
                if not ok:
                    problems.add(table, f"unknown {role} '{shown(value)}'{hints[role](value)}", column=column,
                                 position=pos, id=shown(value))
        elif current.get(e) != m:
            now = f"'{e}' is paired with '{current[e]}'" if e in current else f"'{e}' has no current pair"
            problems.add(table, f"pair ({e}, {m}) is not a current pair ({now})", column="mentor_id",
                         position=pos, id=e)
        else:
            asks[e] = _combine(asks.get(e, ""), who)
    return asks


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part.tolist() if isinstance(part, np.ndarray) else part).encode())
    return h.hexdigest()


def load_checkpoint(cohort: Cohort, settings: Settings, current_pairs, requests, *, history=None, left=None,
                    waitlist=None, broken_pairs: str = "keep") -> tuple[Checkpoint, Cohort]:
    """Validate the checkpoint tables against a validated cohort.

    Only the pairs that stay (no request, nobody left) are checked against the hard
    rules and the new capacities: a rule they break is flagged (see
    :mod:`matching.checkpoint.kept`); with ``broken_pairs="rematch"`` such a pair
    frees its seat and its mentee is re-matched (``requested_by = "broken rule"``).

    Returns
    -------
    Checkpoint
    Cohort
        The cohort with every known history pair added to its exclusions.

    Raises
    ------
    InputError
        With every problem found in any checkpoint table.
    """
    problems = col.Problems()
    current_table = pairs_table(current_pairs)
    tables = {name: _restored_ids(as_table(data, name)) for name, data in (("requests", requests), ("history", history),
                                                             ("left", left))}
    gone = parse_left(tables["left"], cohort, raw_pair_ids(current_table), problems)
    rows = _parse_current(current_table, cohort, gone, problems)
    hist = parse_history(tables["history"], problems)
    hi, hj = cohort.mentee_index(hist["mentee_id"].tolist()), cohort.mentor_index(hist["mentor_id"].tolist())
    known = (hi >= 0) & (hj >= 0)
    cohort = add_exclusions(cohort, hi[known], hj[known], "dissolved pair (history)")
    staying = [r for r in rows if (r[1], "mentee") not in gone and (r[2], "mentor") not in gone]
    current = {e: m for _, e, m in rows}
    asks = _request_map(tables["requests"], _parse_requests(tables["requests"], problems), cohort, current, problems)
    past = set(zip(hist["mentee_id"], hist["mentor_id"]))
    check_history(current_table, staying, past, problems)
    kept = [r for r in staying if r[1] not in asks]
    flags = rule_flags(kept, cohort, settings, past, "re-match" if broken_pairs == "rematch" else "kept")
    flagged = set(zip(flags["mentee_id"], flags["mentor_id"]))
    holding = [r for r in kept if broken_pairs == "keep" or (r[1], r[2]) not in flagged]
    check_capacity(current_table, holding, cohort, flagged, problems)
    paired = {e for e, m in current.items() if (m, "mentor") not in gone}
    wait = parse_waitlist(waitlist, cohort, paired, problems)
    if problems:
        raise InputError(problems.cases)
    if broken_pairs == "rematch":
        asks.update({e: BROKEN_RULE for e, _ in flagged})
    checkpoint = _assemble(cohort, rows, asks, gone, wait, hist, hi[known], hj[known], flags)
    return checkpoint, cohort


def _assemble(cohort: Cohort, rows, asks, gone, wait, hist, hist_i, hist_j, flags) -> Checkpoint:
    n = len(cohort.mentees)
    current = {e: m for _, e, m in rows}
    home = np.full(n, -1, dtype=np.int64)
    previous = np.full(n, None, dtype=object)
    ask = np.full(n, "", dtype=object)
    for _, e, m in rows:
        i, j = int(cohort.mentee_index([e])[0]), int(cohort.mentor_index([m])[0])
        if i >= 0:
            previous[i] = m
        if i < 0 or (e, "mentee") in gone:
            continue
        if (m, "mentor") in gone:
            ask[i] = MENTOR_LEFT
        else:
            home[i], ask[i] = j, asks.get(e, "")
    left_mentee = np.zeros(n, dtype=bool)
    left_mentor = np.zeros(len(cohort.mentors), dtype=bool)
    absent = []
    for pid, role in sorted(gone):
        pos = int((cohort.mentee_index if role == "mentee" else cohort.mentor_index)([pid])[0])
        if pos < 0:
            absent.append((pid, role, current.get(pid) if role == "mentee" else None))
        else:
            (left_mentee if role == "mentee" else left_mentor)[pos] = True
    wait &= ~left_mentee
    broken = np.zeros(n, dtype=bool)
    broken[cohort.mentee_index(flags["mentee_id"].tolist())] = True
    broken &= ask == ""
    digest = _digest(home, ask, previous, left_mentee, left_mentor, absent, wait, hist.to_numpy())
    return Checkpoint(home=home, previous=previous, ask=ask, left_mentee=left_mentee, left_mentor=left_mentor,
                      absent=tuple(absent), waitlist=wait, history=hist, hist_i=hist_i, hist_j=hist_j,
                      flags=flags, broken=broken, digest=digest)
