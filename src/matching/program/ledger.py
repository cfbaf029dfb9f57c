"""A mentoring program's memory: :class:`Program`, a ledger in one SQLite file.

>>> import tempfile, warnings, matching
>>> from pathlib import Path
>>> data = matching.load_example()
>>> with tempfile.TemporaryDirectory() as tmp:
...     with matching.Program(Path(tmp) / "mentoring.db") as prog:
...         r = prog.match(data["mentees"], data["mentors"], session="2027", relatedness=data["relatedness"])
...         list(prog.sessions()["session"]), len(prog.pairs("2027")) == len(r.pairs)
(['2027'], True)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd

from ..api import match as _match
from ..checkpoint.rematch import rematch as _rematch
from ..checkpoint.survey import SURVEY_ALIASES, read_survey
from ..files.tables import normalize_header
from ..errors import MatchingError
from ..groups import groups as _groups
from . import store
from .backup import restore
from .inputs import column_of, frame_of, ids_of, known_pairs, merged_pairs, raise_priorities
from .schema import TABLES, connect

__all__ = ["Program"]

_PAIRING = ("match", "revision", "rematch")


class Program:
    """A program's ledger: sessions, pairs, decisions, checkpoints, carry-over and groups.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created on first use. See :mod:`matching.program.schema`.
    allow_completed : bool, default False
        Let pairs that completed an earlier session form again (dissolved pairs never do).

    Every step (``match``, ``save``, ``rematch``, ``groups``) is one transaction: a step
    that fails records nothing. Reads return DataFrames.
    """

    def __init__(self, path, *, allow_completed: bool = False):
        self.path = Path(path)
        self.allow_completed = bool(allow_completed)
        self._con = connect(self.path)

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        """Close the file (the ledger stays as recorded)."""
        self._con.close()

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Program('{self.path}', {len(self.sessions())} sessions)"

    def _frame(self, sql: str, params=(), columns=None) -> pd.DataFrame:
        try:
            cur = self._con.execute(sql, params)
        except sqlite3.Error as exc:
            raise MatchingError(f"cannot read the ledger '{self.path}': {exc}") from None
        names = columns or [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names, dtype=object)

    # ------------------------------------------------------------------ reads
    def sessions(self) -> pd.DataFrame:
        """One row per session: ``session, created, steps, pairs, dissolved, withdrawn, decisions, groups``."""
        frame = self._frame(
            "SELECT s.name AS session, s.created, "
            "(SELECT COUNT(*) FROM steps t WHERE t.session = s.name) AS steps, "
            "(SELECT COUNT(*) FROM dissolved d WHERE d.session = s.name) AS dissolved, "
            "(SELECT COUNT(*) FROM withdrawn w WHERE w.session = s.name AND w.step_id = "
            " (SELECT MAX(id) FROM steps t WHERE t.session = s.name AND t.kind = 'rematch')) AS withdrawn, "
            "(SELECT COUNT(*) FROM decisions c WHERE c.session = s.name) AS decisions "
            "FROM sessions s ORDER BY s.created, s.name")
        frame.insert(3, "pairs", [len(self.pairs(s)) for s in frame["session"]])
        frame["groups"] = [self.groups_of(s)["group"].nunique() for s in frame["session"]]
        return frame

    def steps(self, session: str | None = None) -> pd.DataFrame:
        """Every recorded step: ``id, session, kind, created, library_version, input_hash, status``."""
        where, params = ("WHERE session = ?", (session,)) if session is not None else ("", ())
        return self._frame("SELECT id, session, kind, created, library_version, input_hash, status, settings "
                           f"FROM steps {where} ORDER BY id", params)

    def _latest(self, session: str, kinds) -> int | None:
        marks = ",".join("?" * len(kinds))
        row = self._con.execute(f"SELECT MAX(id) FROM steps WHERE session = ? AND kind IN ({marks})",
                                (session, *kinds)).fetchone()
        return row[0]

    def pairs(self, session: str) -> pd.DataFrame:
        """The session's current pairs (its latest match, revision or re-match): ``mentee_id, mentor_id, score, status``."""
        step = self._latest(session, _PAIRING)
        return self._frame("SELECT mentee_id, mentor_id, score, status FROM pairs WHERE step_id = ? ORDER BY mentee_id",
                           (step,), ["mentee_id", "mentor_id", "score", "status"])

    def decisions(self, session: str | None = None) -> pd.DataFrame:
        """The committee's pins and bans: ``session, kind, mentee_id, mentor_id, reason, decided_by, decided_at``."""
        where, params = ("WHERE session = ?", (session,)) if session is not None else ("", ())
        return self._frame("SELECT session, kind, mentee_id, mentor_id, reason, decided_by, decided_at FROM decisions "
                           f"{where} ORDER BY step_id, rowid", params)

    def history(self) -> pd.DataFrame:
        """Every pair ever dissolved at a checkpoint: ``mentee_id, mentor_id, requested_by, session``."""
        return self._frame("SELECT mentee_id, mentor_id, requested_by, session FROM dissolved ORDER BY step_id, rowid")

    def carry_over(self, session: str) -> pd.DataFrame:
        """Mentees withdrawn at the session's latest checkpoint: ``mentee_id, reason, priority``
        (the priority they get when they appear in a later session's mentees)."""
        step = self._latest(session, ("rematch",))
        return self._frame("SELECT mentee_id, reason, priority FROM withdrawn WHERE step_id = ? ORDER BY mentee_id",
                           (step,), ["mentee_id", "reason", "priority"])

    def groups_of(self, session: str) -> pd.DataFrame:
        """The session's latest networking groups: ``id, group``."""
        step = self._latest(session, ("groups",))
        return self._frame("SELECT person_id, grp FROM groups WHERE step_id = ? ORDER BY grp, person_id",
                           (step,), ["id", "group"])

    # ------------------------------------------------------------------ what the ledger applies
    def _earlier_pairs(self, session: str) -> pd.DataFrame:
        """Pairs never to form again: every dissolved pair, and (unless allowed) the pairs of other sessions."""
        rows = [(a, b, f"dissolved at the checkpoint of session {s}") for a, b, _, s in
                self.history().itertuples(index=False)]
        if not self.allow_completed:
            for other in self._frame("SELECT name FROM sessions WHERE name <> ?", (session,))["name"]:
                rows += [(a, b, f"paired in session {other}") for a, b in
                         self.pairs(other)[["mentee_id", "mentor_id"]].itertuples(index=False)]
        frame = pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "reason"], dtype=object)
        return frame.drop_duplicates(["mentee_id", "mentor_id"]).reset_index(drop=True)

    def _carried(self, session: str) -> dict:
        """Mentee id -> (priority, session) for mentees withdrawn at another session's latest checkpoint."""
        out = {}
        for other in self._frame("SELECT name FROM sessions WHERE name <> ? ORDER BY created, name", (session,))["name"]:
            for m, _, p in self.carry_over(other).itertuples(index=False):
                if m not in out or float(p) > out[m][0]:
                    out[m] = (float(p), other)
        return out

    # ------------------------------------------------------------------ steps
    def save(self, result, *, session: str | None = None):
        """Record any result (match, revision, re-match, groups) as the session's current state.

        ``session`` defaults to the session of the step the result revises (a result of
        ``with_pins`` / ``with_exclusions``) or, failing that, the latest session.
        Returns ``result``.
        """
        session = session or self._session_of(result)
        rows = store.step_rows(result, carry_over_priority=_carry_priorities)
        try:
            store.record(self._con, str(session), rows)
        except sqlite3.OperationalError as exc:
            raise MatchingError(f"cannot record the step in the ledger '{self.path}': {exc} "
                                "(another process may hold it; try again)") from None
        return result

    def _session_of(self, result) -> str:
        revised = getattr(getattr(result, "info", None), "extra", {}).get("previous_input_hash")
        for key in (revised, getattr(getattr(result, "info", None), "input_hash", None)):
            if key:
                row = self._con.execute("SELECT session FROM steps WHERE input_hash = ? ORDER BY id DESC LIMIT 1",
                                        (key,)).fetchone()
                if row:
                    return row[0]
        row = self._con.execute("SELECT session FROM steps ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise MatchingError("save() needs session=... for the ledger's first step")
        return row[0]

    def match(self, mentees, mentors, *, session: str, exclusions=None, **options):
        """:func:`matching.match` with the ledger's memory applied, recorded as the session's match.

        Pairs of earlier sessions and every dissolved pair are added to ``exclusions``;
        mentees withdrawn at an earlier checkpoint get their carried-over priority (a
        :class:`~matching.MatchingWarning` lists them). Other options as for ``match``.
        """
        mentees, mentors = frame_of(mentees, "mentees"), frame_of(mentors, "mentors")
        ids = {"mentees": ids_of(mentees), "mentors": ids_of(mentors)}
        bans = merged_pairs(exclusions, known_pairs(self._earlier_pairs(session), ids), "exclusions")
        mentees = raise_priorities(mentees, self._carried(session))
        result = _match(mentees, mentors, exclusions=bans if len(bans) else None, **options)
        return self.save(result, session=session)

    def rematch(self, survey_or_requests, mentees, mentors, *, session: str, low_rating=None, history=None,
                **options):
        """:func:`matching.rematch` from the session's current pairs and the ledger's history.

        ``survey_or_requests``: a survey export (read with :func:`matching.read_survey`
        when it names a respondent) or a requests table. ``history`` (optional) adds
        dissolved pairs the ledger does not know. Recorded as the session's checkpoint;
        its withdrawn mentees are carried over to later sessions.
        """
        if self._latest(session, _PAIRING) is None:
            raise MatchingError(f"the ledger has no pairs for session '{session}' to re-match; match it first")
        current = self.pairs(session)[["mentee_id", "mentor_id"]]
        requests = _requests(survey_or_requests, current, low_rating)
        known = self.history()[["mentee_id", "mentor_id", "requested_by"]]
        given = frame_of(history, "history")
        if given is not None and len(given):
            given = given.rename(columns={c: normalize_header(c) for c in given.columns})
            known = pd.concat([given.reindex(columns=known.columns), known], ignore_index=True)
            known = known.drop_duplicates(["mentee_id", "mentor_id"]).reset_index(drop=True)
        result = _rematch(current, mentees, mentors, requests, history=known if len(known) else None, **options)
        return self.save(result, session=session)

    def groups(self, people, *, session: str, history=None, **options):
        """:func:`matching.groups` with every earlier group of the ledger in ``history``, so that no
        two people share a group twice; ``history`` (optional) adds groups the ledger does not know."""
        people = frame_of(people, "people")
        here = ids_of(people)
        earlier = self._frame("SELECT person_id, session || '/' || step_id || '/' || grp FROM groups "
                              "ORDER BY step_id, person_id", columns=["id", "group"])
        given = frame_of(history, "history")
        if given is not None and len(given):
            given = given.rename(columns={c: normalize_header(c) for c in given.columns})
            earlier = pd.concat([given[["id", "group"]].astype(str).assign(group=lambda f: "given/" + f["group"]),
                                 earlier], ignore_index=True)
        earlier = earlier[earlier["id"].astype(str).str.strip().isin(here)].reset_index(drop=True)
        result = _groups(people, history=earlier if len(earlier) else None, **options)
        return self.save(result, session=session)

    # ------------------------------------------------------------------ backup
    def export(self, json_path) -> Path:
        """Write the whole ledger as JSON (every table, every row) for backup; returns the path."""
        data = {name: [list(r) for r in self._con.execute(f"SELECT * FROM {name} ORDER BY rowid")] for name in TABLES}
        path = Path(json_path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(json.dumps({"format": "mentor-matching ledger", "tables": data}, indent=1), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise MatchingError(f"cannot write '{path}': {exc.strerror or exc}") from None
        return path

    @classmethod
    def restore(cls, json_path, db_path, **kwargs) -> Program:
        """A new ledger at ``db_path`` (which must not exist yet) from an :meth:`export` file."""
        restore(json_path, db_path)
        return cls(db_path, **kwargs)


def _carry_priorities(result) -> dict:
    """The raised priority of each withdrawn mentee, as ``RematchResult.carry_over()`` gives it."""
    rows = result.carry_over()
    ids, prio = rows[column_of(rows, "id")], rows[column_of(rows, "priority")]
    return {str(i).strip(): float(p) for i, p in zip(ids, prio)}


def _requests(table, current: pd.DataFrame, low_rating):
    """A survey export becomes the requests it holds; a requests table passes as it is."""
    frame = frame_of(table, "requests")
    if frame is not None and _is_survey(frame):
        return read_survey(frame, current[["mentee_id", "mentor_id"]], low_rating=low_rating).requests
    return table


def _is_survey(frame: pd.DataFrame) -> bool:
    """A survey export names who answered (a requests table names who asked)."""
    keys = {normalize_header(c) for c in frame.columns}
    return any(k == "respondent" or SURVEY_ALIASES.get(k) == "respondent" for k in keys)
