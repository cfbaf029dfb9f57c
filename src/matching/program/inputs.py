"""What the ledger applies by itself before a step: earlier pairs kept apart, carried-over
mentees' priority raised, the current pairs and history of a session.

Each function takes plain tables (a DataFrame or a path) and the ledger's rows, and
returns the tables to pass to :func:`matching.match`, :func:`matching.rematch` or
:func:`matching.groups`.
"""

from __future__ import annotations

import warnings

import pandas as pd

from ..cohort.validate import ALIASES
from ..errors import MatchingWarning
from ..files.tables import as_table, normalize_header

__all__ = ["frame_of", "column_of", "known_pairs", "raise_priorities", "merged_pairs"]


def frame_of(data, role: str) -> pd.DataFrame | None:
    """A table given as a DataFrame or a path, as a DataFrame (read as text); None stays None."""
    table = as_table(data, role)
    return None if table is None else table.frame.copy()


def column_of(frame: pd.DataFrame, field: str) -> str | None:
    """The header of ``frame`` that means ``field`` (headers compared loosely, aliases understood)."""
    for name in frame.columns:
        key = normalize_header(name)
        if key == field or ALIASES.get(key) == field:
            return name
    return None


def known_pairs(frame: pd.DataFrame | None, ids: dict[str, set]) -> pd.DataFrame:
    """Rows of a ``mentee_id, mentor_id, reason`` table whose mentee and mentor both take part."""
    if frame is None or not len(frame):
        return pd.DataFrame(columns=["mentee_id", "mentor_id", "reason"], dtype=object)
    keep = frame["mentee_id"].astype(str).isin(ids["mentees"]) & frame["mentor_id"].astype(str).isin(ids["mentors"])
    return frame[keep].reset_index(drop=True)


def merged_pairs(given, ledger: pd.DataFrame, role: str) -> pd.DataFrame:
    """The user's own ``mentee_id, mentor_id[, reason]`` table (if any) followed by the ledger's rows."""
    own = frame_of(given, role)
    if own is None or not len(own.columns):
        return ledger.reset_index(drop=True)
    own = own.rename(columns={c: normalize_header(c) for c in own.columns})
    if "reason" not in own.columns:
        own["reason"] = ""
    keep = own[["mentee_id", "mentor_id", "reason"]] if {"mentee_id", "mentor_id"} <= set(own.columns) else own
    seen = set(zip(keep.get("mentee_id", []), keep.get("mentor_id", [])))
    extra = ledger[[(a, b) not in seen for a, b in zip(ledger["mentee_id"], ledger["mentor_id"])]]
    return pd.concat([keep, extra], ignore_index=True)


def ids_of(frame: pd.DataFrame) -> set:
    """The ids of a people table (stripped, as the validator compares them)."""
    column = column_of(frame, "id")
    return set() if column is None else {str(v).strip() for v in frame[column] if not pd.isna(v)}


def raise_priorities(mentees: pd.DataFrame, carried: dict[str, tuple[float, str]]) -> pd.DataFrame:
    """Raise the priority of mentees carried over from an earlier session (a warning lists them).

    ``carried`` maps a mentee id to ``(priority, session withdrawn in)``; a mentee's
    priority becomes the larger of the one given (default 1) and the carried one.
    """
    column = column_of(mentees, "id")
    if column is None or not carried:
        return mentees
    ids = mentees[column].astype(str).str.strip()
    hit = ids.isin(carried)
    if not hit.any():
        return mentees
    out = mentees.copy()
    prio = column_of(out, "priority")
    if prio is None:
        prio, out["priority"] = "priority", ""  # empty: the default priority 1
    cells = out[prio]
    blank = cells.isna() | (cells.astype(str).str.strip() == "")
    number = pd.to_numeric(cells.where(~blank), errors="coerce")
    # a priority the validator cannot read is left for it to report, never overwritten
    hit &= blank | number.notna()
    if not hit.any():
        return mentees
    given = number.fillna(1.0)
    out.loc[hit, prio] = [str(max(float(g), carried[i][0])) for g, i in zip(given[hit], ids[hit])]
    names = ", ".join(f"{i} (withdrawn in {carried[i][1]})" for i in sorted(ids[hit]))
    warnings.warn(MatchingWarning(f"the ledger raised the priority of {int(hit.sum())} mentee(s) carried over "
                                  f"from an earlier session: {names}"), stacklevel=4)
    return out
