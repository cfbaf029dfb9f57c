"""Column maps: which form question holds which field, read from a TOML or CSV file.

A form export's headers are its questions ("What is your department?"). A column map
names the field each one holds. In TOML, top-level keys apply to both the mentees and
the mentors tables; ``[mentees]`` and ``[mentors]`` tables apply to one::

    "Email address" = "id"
    "What is your department?" = "area"

    [mentees]
    "Rank the mentors you would like to work with" = "preferences"

    [mentors]
    "How many mentees can you take?" = "capacity"

A CSV map has two columns, ``header,field`` (a first row ``header,field`` is skipped) and
applies to both tables. A top-level header missing from one table is fine (it is applied
where it exists); one missing from every table is an error, and so is a header of a
``[mentees]`` / ``[mentors]`` table missing from that table.
"""

from __future__ import annotations

import csv
from pathlib import Path

import tomllib

from ..errors import InputError

__all__ = ["read_column_map", "ROLES"]

#: The tables a map may address; ``"both"`` holds the top-level entries.
ROLES = ("mentees", "mentors")


def read_column_map(path) -> dict[str, dict[str, str]]:
    """``{"both": {...}, "mentees": {...}, "mentors": {...}}`` from a TOML or CSV map file.

    Raises
    ------
    InputError
        Missing or unreadable file, or an entry that is not ``"header" = "field"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.toml"
    >>> _ = path.write_text('"Your department?" = "area"\\n[mentors]\\n"Seats?" = "capacity"\\n')
    >>> read_column_map(path)
    {'both': {'Your department?': 'area'}, 'mentees': {}, 'mentors': {'Seats?': 'capacity'}}
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([{"file": path.name, "problem": "column map file not found"}])
    if path.suffix.lower() == ".csv":
        return {"both": _csv_map(path), "mentees": {}, "mentors": {}}
    try:
        with path.open("rb") as fh:
            values = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([{"file": path.name, "problem": (
            f"not a valid TOML column map ({exc}); write one line per question: \"Question?\" = \"field\" "
            "(or use a CSV file with header,field rows)")}]) from None
    out = {"both": {}, "mentees": {}, "mentors": {}}
    cases = []
    for key, value in values.items():
        if key in ROLES and isinstance(value, dict):
            target, entries = key, value.items()
        else:
            target, entries = "both", [(key, value)]
        for header, field in entries:
            if isinstance(field, str) and field.strip():
                out[target][str(header)] = field.strip()
            else:
                cases.append({"file": path.name, "column": str(header), "problem": (
                    f"the column map must give a field name (text) for each header; got {field!r}")})
    if cases:
        raise InputError(cases)
    return out


def _csv_map(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise InputError([{"file": path.name, "problem": "the column map is not UTF-8 text"}]) from None
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["header", "field"]:
        rows = rows[1:]
    bad = [{"file": path.name, "row": k + 1, "problem": "each row of a CSV column map is: header,field"}
           for k, r in enumerate(rows) if len(r) != 2 or not r[0].strip() or not r[1].strip()]
    if bad:
        raise InputError(bad)
    return {r[0].strip(): r[1].strip() for r in rows}
