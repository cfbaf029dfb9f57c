"""The ledger's SQLite schema: its versions, migrations, and opening a file safely.

A ledger is one SQLite file (Python's :mod:`sqlite3`; no server). The file is opened in
WAL mode with a busy timeout, so two processes writing at once wait for each other.
The schema carries its version in ``PRAGMA user_version`` and in the ``meta`` table;
older ledgers are migrated on open, one version at a time, each migration in one
transaction. A file that is not a ledger (not SQLite, or SQLite without the ledger's
tables) is an :class:`~matching.InputError`; a ledger written by a newer library is a
:class:`~matching.MatchingError`.

The ledger never holds gender or race values: only ids, display names, pairs, groups,
decisions, scores, settings and input hashes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .._version import __version__
from ..errors import InputError, MatchingError

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "connect", "TABLES", "BUSY_TIMEOUT"]

#: Seconds a writer waits for another process's step before giving up with a clear error.
BUSY_TIMEOUT = 30.0

#: Version 1: sessions, steps, the pairs of each step, dissolved pairs, decisions.
_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (name TEXT PRIMARY KEY, created TEXT NOT NULL);
CREATE TABLE steps (
    id INTEGER PRIMARY KEY, session TEXT NOT NULL REFERENCES sessions(name), kind TEXT NOT NULL,
    created TEXT NOT NULL, library_version TEXT NOT NULL, settings TEXT NOT NULL,
    input_hash TEXT NOT NULL, status TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE pairs (
    step_id INTEGER NOT NULL REFERENCES steps(id), mentee_id TEXT NOT NULL, mentor_id TEXT NOT NULL,
    score REAL, status TEXT NOT NULL, PRIMARY KEY (step_id, mentee_id));
CREATE TABLE dissolved (
    step_id INTEGER NOT NULL REFERENCES steps(id), session TEXT NOT NULL, mentee_id TEXT NOT NULL,
    mentor_id TEXT NOT NULL, requested_by TEXT);
CREATE TABLE decisions (
    step_id INTEGER NOT NULL REFERENCES steps(id), session TEXT NOT NULL, kind TEXT NOT NULL,
    mentee_id TEXT NOT NULL, mentor_id TEXT NOT NULL, reason TEXT, decided_by TEXT, decided_at TEXT NOT NULL);
"""

#: Version 2: withdrawn mentees carried over, networking groups, display names, indexes.
_V2 = """
CREATE TABLE withdrawn (
    step_id INTEGER NOT NULL REFERENCES steps(id), session TEXT NOT NULL, mentee_id TEXT NOT NULL,
    reason TEXT, priority REAL NOT NULL);
CREATE TABLE groups (
    step_id INTEGER NOT NULL REFERENCES steps(id), session TEXT NOT NULL, person_id TEXT NOT NULL,
    grp TEXT NOT NULL, PRIMARY KEY (step_id, person_id));
CREATE TABLE names (id TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (id, role));
ALTER TABLE steps ADD COLUMN revision_of TEXT;
CREATE INDEX steps_session ON steps(session, id);
CREATE INDEX dissolved_pair ON dissolved(mentee_id, mentor_id);
"""

#: ``MIGRATIONS[k]`` takes a ledger from version ``k`` to ``k + 1`` (version 0: a new file).
MIGRATIONS = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)

#: Every table of the current schema, in the order exports list them.
TABLES = ("meta", "sessions", "steps", "pairs", "dissolved", "decisions", "withdrawn", "groups", "names")


def _not_a_ledger(path: Path, why: str) -> InputError:
    return InputError([{"file": path.name, "problem": (
        f"'{path}' is not a mentoring-program ledger ({why}); give a new file name to start one, "
        "or the path of an existing ledger")}])


def _user_tables(con: sqlite3.Connection) -> set[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows if not r[0].startswith("sqlite_")}


def _version(con: sqlite3.Connection, path: Path) -> int:
    """The schema version of an open file: 0 for an empty one; raise for a file that is no ledger."""
    try:
        tables = _user_tables(con)
    except sqlite3.DatabaseError as exc:
        raise _not_a_ledger(path, f"not an SQLite database: {exc}") from None
    if not tables:
        return 0
    if "meta" not in tables or "steps" not in tables:
        raise _not_a_ledger(path, "an SQLite database without the ledger's tables")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise _not_a_ledger(path, "its meta table has no schema version")
    return int(row[0])


def migrate(con: sqlite3.Connection, version: int, *, target: int = SCHEMA_VERSION) -> None:
    """Apply the migrations from ``version`` up to ``target``, each in one transaction."""
    for k in range(version, target):
        con.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, MIGRATIONS[k].split(";")):
                con.execute(statement)
            if k == 0:
                con.execute("INSERT INTO meta VALUES ('created_by', ?)", (__version__,))
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(k + 1),))
            con.execute(f"PRAGMA user_version = {k + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def connect(path, *, target: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (or create) the ledger at ``path``, migrated to ``target``.

    The connection is in autocommit mode: every step opens its own transaction.
    """
    path = Path(path)
    if path.is_dir():
        raise _not_a_ledger(path, "it is a folder")
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise MatchingError(f"cannot open the ledger '{path}': {exc}") from None
    try:
        version = _version(con, path)
        if version > target:
            raise MatchingError(f"the ledger '{path}' has schema version {version}, newer than this library "
                                f"(mentor-matching {__version__}) knows ({target}); upgrade the library")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA foreign_keys = ON")
        if version < target:
            migrate(con, version, target=target)
    except sqlite3.OperationalError as exc:
        con.close()
        raise MatchingError(f"cannot use the ledger '{path}': {exc}") from None
    except BaseException:
        con.close()
        raise
    return con
