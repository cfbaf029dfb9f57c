"""Restoring a ledger from its JSON export (:meth:`Program.export`)."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError, MatchingError
from .schema import SCHEMA_VERSION, TABLES, connect

__all__ = ["restore"]


def _load(json_path: Path) -> dict:
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([{"file": json_path.name, "problem": f"cannot read the ledger export: {exc}"}]) from None
    tables = data.get("tables") if isinstance(data, dict) else None
    if data.get("format") != "mentor-matching ledger" or not isinstance(tables, dict):
        raise InputError([{"file": json_path.name, "problem": "not a ledger export (no 'tables' of a ledger)"}])
    meta = dict(map(tuple, tables.get("meta", [])))
    if str(meta.get("schema_version")) != str(SCHEMA_VERSION):
        raise InputError([{"file": json_path.name, "problem": (
            f"the export has schema version {meta.get('schema_version')}; this library restores version "
            f"{SCHEMA_VERSION} (open the old ledger with this library to migrate it, then export again)")}])
    return tables


def restore(json_path, db_path) -> Path:
    """Write a new ledger at ``db_path`` holding exactly the rows of the export, in one transaction."""
    json_path, db_path = Path(json_path), Path(db_path)
    if db_path.exists() and db_path.stat().st_size:
        raise MatchingError(f"restore() writes a new ledger; '{db_path}' exists already")
    tables = _load(json_path)
    con = connect(db_path)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute("DELETE FROM meta")
            for name in TABLES:
                rows = tables.get(name, [])
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    con.executemany(f"INSERT INTO {name} VALUES ({marks})", [tuple(r) for r in rows])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return db_path
