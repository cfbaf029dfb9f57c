"""Recording one step of a program in the ledger, in one transaction.

A step is a match, a committee revision, a checkpoint re-match or a set of networking
groups. :func:`step_rows` turns any of those results into plain rows (ids, scores,
decisions; never gender or race), and :func:`record` writes them in one ``BEGIN
IMMEDIATE`` transaction: a step that fails or is killed records nothing.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import MatchingError

__all__ = ["StepRows", "step_rows", "record", "kind_of", "now"]

#: Called inside a step's transaction just before it commits (tests use it to kill a writer).
BEFORE_COMMIT = None


def now() -> str:
    """UTC time stamp, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StepRows:
    """What one step records: its kind and solve record, and the rows of each table."""

    kind: str
    settings: dict
    input_hash: str
    status: str
    summary: dict
    pairs: list = field(default_factory=list)        # (mentee_id, mentor_id, score, status)
    dissolved: list = field(default_factory=list)    # (mentee_id, mentor_id, requested_by)
    decisions: list = field(default_factory=list)    # (kind, mentee_id, mentor_id, reason, decided_by, decided_at)
    withdrawn: list = field(default_factory=list)    # (mentee_id, reason, priority)
    groups: list = field(default_factory=list)       # (person_id, group)
    revision_of: str | None = None


def kind_of(result) -> str:
    """``match``, ``revision``, ``rematch`` or ``groups``: which kind of result this is."""
    if hasattr(result, "withdrawn") and hasattr(result, "changes"):
        return "rematch"
    if hasattr(result, "groups") and hasattr(result, "hosts") and not hasattr(result, "assignment"):
        return "groups"
    if hasattr(result, "assignment") and hasattr(result, "pairs"):
        return "revision" if "previous_input_hash" in result.info.extra else "match"
    raise MatchingError(f"the ledger records match, re-match and group results; got a {type(result).__name__}")


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _plain(value):
    """JSON-safe copies of numpy scalars and containers (for settings and summaries)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _pairs(frame: pd.DataFrame, default_status: str) -> list:
    status = frame["status"] if "status" in frame.columns else [default_status] * len(frame)
    score = frame["score"] if "score" in frame.columns else [None] * len(frame)
    return [(str(a), str(b), None if s is None or pd.isna(s) else float(s), str(st))
            for a, b, s, st in zip(frame["mentee_id"], frame["mentor_id"], score, status)]


def _decisions(result, when: str) -> list:
    table = getattr(result, "overrides", None)
    if table is None or not len(table):
        return []
    stamp = table["decided_at"] if "decided_at" in table.columns else [None] * len(table)
    return [(str(k), str(a), str(b), _text(r), _text(d), _text(t) or when) for k, a, b, r, d, t in
            zip(table["kind"], table["mentee_id"], table["mentor_id"], table["reason"], table["decided_by"], stamp)]


def _info(result) -> tuple[dict, str, str, dict]:
    info = getattr(result, "info", None)
    if isinstance(info, dict):  # a GroupResult keeps its solve record as a dict
        return (_plain(dict(info.get("settings") or {})), str(info.get("input_hash", "")),
                str(getattr(result, "status", "")), _plain(dict(result.summary)))
    if info is not None:
        return dict(info.settings), str(info.input_hash), str(info.status), _plain(dict(result.summary))
    settings = getattr(result, "settings", None)
    settings = settings.to_dict() if hasattr(settings, "to_dict") else dict(settings or {})
    return (settings, str(getattr(result, "input_hash", "")), str(getattr(result, "status", "")),
            _plain(dict(getattr(result, "summary", {}) or {})))


def step_rows(result, *, carry_over_priority=None) -> StepRows:
    """The rows a result records. ``carry_over_priority(result)`` gives withdrawn rows' priorities."""
    kind = kind_of(result)
    settings, input_hash, status, summary = _info(result)
    base = dict(kind=kind, settings=_plain(settings), input_hash=input_hash, status=status, summary=summary)
    when = now()
    if kind == "groups":
        return StepRows(**base, groups=[(str(p), str(g)) for p, g in zip(result.groups["id"], result.groups["group"])])
    pairs = _pairs(result.pairs, "paired")
    if kind == "rematch":
        hist = result.history
        dissolved = [(str(a), str(b), _text(r)) for a, b, r in
                     zip(hist["mentee_id"], hist["mentor_id"], hist.get("requested_by", [None] * len(hist)))]
        priorities = carry_over_priority(result) if carry_over_priority else {}
        withdrawn = [(str(m), _text(r), float(priorities.get(str(m), 1.0)))
                     for m, r in zip(result.withdrawn["mentee_id"], result.withdrawn["reason"])]
        return StepRows(**base, pairs=pairs, dissolved=dissolved, withdrawn=withdrawn,
                        decisions=_decisions(result, when))
    revision_of = result.info.extra.get("previous_input_hash") if kind == "revision" else None
    return StepRows(**base, pairs=pairs, decisions=_decisions(result, when), revision_of=revision_of)


def record(con: sqlite3.Connection, session: str, rows: StepRows) -> int:
    """Write one step (and its session, if new) in one transaction; returns the step id."""
    when = now()
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute("INSERT OR IGNORE INTO sessions VALUES (?, ?)", (session, when))
        cur = con.execute(
            "INSERT INTO steps (session, kind, created, library_version, settings, input_hash, status, summary, "
            "revision_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session, rows.kind, when, __version__, json.dumps(rows.settings, sort_keys=True), rows.input_hash,
             rows.status, json.dumps(rows.summary, sort_keys=True), rows.revision_of))
        step = cur.lastrowid
        con.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?)", [(step, *p) for p in rows.pairs])
        con.executemany("INSERT INTO dissolved VALUES (?, ?, ?, ?, ?)",
                        [(step, session, *d) for d in _new_dissolved(con, rows.dissolved)])
        con.executemany("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(step, session, *d) for d in _new_decisions(con, session, rows.decisions)])
        con.executemany("INSERT INTO withdrawn VALUES (?, ?, ?, ?, ?)", [(step, session, *w) for w in rows.withdrawn])
        con.executemany("INSERT INTO groups VALUES (?, ?, ?, ?)", [(step, session, *g) for g in rows.groups])
        if BEFORE_COMMIT is not None:
            BEFORE_COMMIT()
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return int(step)


def _new_dissolved(con: sqlite3.Connection, rows: list) -> list:
    """Dissolved pairs not yet in the ledger (a re-match's history repeats earlier ones)."""
    known = set(con.execute("SELECT mentee_id, mentor_id FROM dissolved").fetchall())
    out, seen = [], set()
    for a, b, r in rows:
        if (a, b) not in known and (a, b) not in seen:
            seen.add((a, b))
            out.append((a, b, r))
    return out


def _new_decisions(con: sqlite3.Connection, session: str, rows: list) -> list:
    """Decisions not yet recorded for this session (a revision carries every earlier one)."""
    known = set(con.execute("SELECT kind, mentee_id, mentor_id, reason, decided_by FROM decisions WHERE session = ?",
                            (session,)).fetchall())
    return [d for d in rows if tuple(d[:5]) not in known]
