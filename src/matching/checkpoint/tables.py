"""Parsers of the checkpoint's side tables: who left, past dissolved pairs, the waitlist.

Each records every problem in a :class:`~matching.files.columns.Problems` collector (file,
row, column, id) and never raises on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..files import columns as col
from ..files.ids import shown, suggest
from ..files.tables import Table, as_table
from ..cohort.model import Cohort, PairTable

__all__ = ["HISTORY_COLUMNS", "add_exclusions", "parse_left", "parse_history", "parse_waitlist", "frame_of",
           "raw_pair_ids"]

#: Columns of the history table (input and output).
HISTORY_COLUMNS = ("mentee_id", "mentor_id", "requested_by")


def frame_of(table: Table, required, problems, aliases=None) -> pd.DataFrame | None:
    frame = col.normalized_frame(table, problems, aliases or {})
    if frame is None or not col.check_required(table, frame, required, problems):
        return None
    return frame


def parse_left(table: Table | None, cohort: Cohort, pair_ids: tuple[set, set], problems) -> dict:
    """``{(id, role)}`` of people who left; unknown ids and ambiguous roles are problems."""
    out: dict[tuple[str, str], int] = {}
    if table is None:
        return out
    frame = frame_of(table, ("id",), problems, {"person_id": "id", "mentee_id": "id", "mentor_id": "id"})
    if frame is None:
        return out
    ids = col.id_values(frame["id"])
    roles = col.text_values(frame["role"]) if "role" in frame else np.full(len(frame), None, object)
    known = {"mentee": set(cohort.mentees.ids.tolist()) | pair_ids[0],
             "mentor": set(cohort.mentors.ids.tolist()) | pair_ids[1]}
    for pos, (pid, role) in enumerate(zip(ids, roles)):
        if pid is None:
            problems.add(table, "id is missing", column="id", position=pos)
            continue
        role = role.lower() if role else None
        if role is not None and role not in known:
            problems.add(table, f"role must be 'mentee' or 'mentor'; got {role!r}", column="role",
                         position=pos, id=pid)
            continue
        found = [r for r in known if pid in known[r]] if role is None else [role] * (pid in known[role])
        if not found:
            what = f"{role} " if role else ""
            hint = suggest(sorted(known[role] if role else known["mentee"] | known["mentor"]))(pid)
            problems.add(table, f"unknown {what}id '{shown(pid)}' (not in the people tables nor in "
                                f"current_pairs){hint}", column="id", position=pos, id=shown(pid))
        elif len(found) > 1:
            problems.add(table, f"'{pid}' is both a mentee and a mentor: give the role (mentee or mentor)",
                         column="role", position=pos, id=pid)
        else:
            out.setdefault((pid, found[0]), pos)
    return out


def parse_history(table: Table | None, problems) -> pd.DataFrame:
    """Past dissolved pairs; people from earlier sessions need not be in this cohort."""
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in HISTORY_COLUMNS})
    if table is None:
        return empty
    frame = frame_of(table, ("mentee_id", "mentor_id"), problems)
    if frame is None:
        return empty
    me, mo = col.id_values(frame["mentee_id"]), col.id_values(frame["mentor_id"])
    by = (col.text_values(frame["requested_by"]) if "requested_by" in frame
          else np.full(len(frame), None, dtype=object))
    for pos in range(len(frame)):
        for column, value in (("mentee_id", me[pos]), ("mentor_id", mo[pos])):
            if value is None:
                problems.add(table, f"{column} is missing", column=column, position=pos, id=me[pos])
    ok = np.array([a is not None and b is not None for a, b in zip(me, mo)], dtype=bool)
    out = pd.DataFrame({"mentee_id": me[ok], "mentor_id": mo[ok],
                        "requested_by": [b or "" for b in by[ok]]}, dtype=object)
    return out.drop_duplicates(["mentee_id", "mentor_id"]).reset_index(drop=True)


def parse_waitlist(waitlist, cohort: Cohort, paired: set, problems) -> np.ndarray:
    """Mentees to place in free seats: ``"all"`` unpaired ones, ids, or a table ``mentee_id``."""
    n = len(cohort.mentees)
    if waitlist is None:
        return np.zeros(n, dtype=bool)
    if isinstance(waitlist, str) and waitlist == "all":
        return np.array([e not in paired for e in cohort.mentees.ids.tolist()], dtype=bool)
    if isinstance(waitlist, (list, tuple, set, np.ndarray, pd.Series, pd.Index)):
        waitlist = pd.DataFrame({"mentee_id": pd.Series(list(waitlist), dtype=object)})
    table = as_table(waitlist, "waitlist")
    frame = frame_of(table, ("mentee_id",), problems, {"id": "mentee_id"})
    out = np.zeros(n, dtype=bool)
    if frame is None:
        return out
    ids = col.id_values(frame["mentee_id"])
    pos_of = cohort.mentee_index([x or "" for x in ids])
    hint = suggest(cohort.mentees.ids.tolist())
    for pos, (e, i) in enumerate(zip(ids, pos_of)):
        if e is None or i < 0:
            problems.add(table, "mentee_id is missing" if e is None else f"unknown mentee '{shown(e)}'{hint(e)}",
                         column="mentee_id", position=pos, id=None if e is None else shown(e))
        elif e in paired:
            problems.add(table, f"mentee '{e}' is on the waitlist but has a current pair", column="mentee_id",
                         position=pos, id=e)
        else:
            out[i] = True
    return out


def add_exclusions(cohort: Cohort, i, j, text: str) -> Cohort:
    """The cohort with pairs ``(i, j)`` added to its exclusions (value ``text``)."""
    from dataclasses import replace

    old = cohort.exclusions
    fresh = ~old.contains(i, j) if len(old) else np.ones(len(i), dtype=bool)
    i, j = np.asarray(i, dtype=np.int64)[fresh], np.asarray(j, dtype=np.int64)[fresh]
    if not len(i):
        return cohort
    values = np.concatenate([old.value.astype(object), np.full(len(i), text, dtype=object)])
    table = PairTable.build(np.concatenate([old.i, i]), np.concatenate([old.j, j]), values, len(cohort.mentees))
    return replace(cohort, exclusions=table)


def raw_pair_ids(table: Table) -> tuple[set, set]:
    frame = col.normalized_frame(table, col.Problems(), {})
    if frame is None:
        return set(), set()
    get = lambda c: set(col.text_values(frame[c]).tolist()) - {None} if c in frame else set()  # noqa: E731
    return get("mentee_id"), get("mentor_id")
