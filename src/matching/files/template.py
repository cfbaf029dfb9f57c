"""Blank input files to fill in: the contract's headers, an example row, and how to fill them.

:func:`write_template` writes ``mentees``, ``mentors``, ``relatedness``, ``exclusions`` and
``pins`` as CSV or Excel files. The example rows form a tiny valid cohort (one mentee, two
mentors, one pin, one exclusion): replace them with the program's people. Each workbook
has a second sheet, "How to fill this in", with one line per column.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import MatchingError
from .export import atomic_write

__all__ = ["write_template", "TEMPLATES", "HELP_SHEET", "EXAMPLE_NAMES"]

#: The help sheet of each workbook.
HELP_SHEET = "How to fill this in"

_PEOPLE = [
    ("id", "required", "a unique id per person (text; 007 stays 007)"),
    ("name", "optional", "full name; mentees may rank mentors by name instead of id"),
    ("level", "required", "seniority as a whole number, higher = more senior"),
    ("area", "required", "work area or department (case and spaces do not matter)"),
    ("kbu", "required", "key business unit"),
    ("gender", "optional", "used only to favour cross-gender pairs; 'Prefer not to say' counts as blank"),
    ("race", "optional", "used only to favour cross-race pairs; 'Prefer not to say' counts as blank"),
    ("years_experience", "optional", "years of experience (a number)"),
]
_LIST = "a list separated by ';', ',' or line breaks"

#: Each template: columns as ``(header, required/optional, meaning)`` and the example rows.
TEMPLATES = {
    "mentees": (_PEOPLE + [
        ("preferences", "optional", f"mentors in rank order, by id or name ({_LIST})"),
        ("competencies", "optional", f"development goals ({_LIST})"),
        ("eligible", "optional", "true or false (default true)"),
        ("priority", "optional", "weight in 'most mentees matched' (default 1)"),
    ], [["E001", "Jane Example", "2", "Police", "Public Safety", "Woman", "Prefer not to say", "3",
         "M001; Sam Sample", "Thinks Strategically; Builds Trust", "true", "1"]]),
    "mentors": (_PEOPLE + [
        ("capacity", "optional", "how many mentees this mentor takes (default 1)"),
        ("competencies", "optional", f"strengths ({_LIST})"),
        ("preferences", "optional", f"mentees in rank order, by id or name ({_LIST})"),
    ], [["M001", "Ana Sample", "4", "Finance", "Administration", "Woman", "", "12", "2",
         "Thinks Strategically; Manages Change", "Jane Example"],
        ["M002", "Sam Sample", "3", "Fire", "Public Safety", "Man", "", "9", "1", "Builds Trust", ""]]),
    "relatedness": ([
        ("area_a", "required", "an area of a mentee or mentor"),
        ("area_b", "required", "another area"),
        ("relatedness", "required", "how related the two areas are, from 0 to 1"),
    ], [["Police", "Finance", "0.3"], ["Police", "Fire", "0.8"]]),
    "exclusions": ([
        ("mentee_id", "required", "a mentee's id"),
        ("mentor_id", "required", "a mentor's id: this pair is never formed"),
        ("reason", "optional", "why (shown in the review)"),
        ("decided_by", "optional", "who decided"),
    ], [["E001", "M002", "conflict of interest", "committee"]]),
    "pins": ([
        ("mentee_id", "required", "a mentee's id"),
        ("mentor_id", "required", "a mentor's id: this pair is always formed"),
        ("reason", "optional", "why (shown in the review)"),
        ("decided_by", "optional", "who decided"),
    ], [["E001", "M001", "the mentee's first choice", "committee"]]),
}


#: Names of the example people (reading them back is a warning: an example row left in).
EXAMPLE_NAMES = frozenset({"Jane Example", "Ana Sample", "Sam Sample"})


def write_template(out, *, format: str = "csv") -> list[Path]:
    """Write blank input files to fill in, one per table, into the folder ``out``.

    Parameters
    ----------
    out : str or os.PathLike
        Folder (created if needed).
    format : {"csv", "xlsx"}
        CSV files (UTF-8 with a byte-order mark, so spreadsheets read accents) or workbooks
        with a "How to fill this in" sheet.

    Returns
    -------
    list of Path
        ``mentees``, ``mentors``, ``relatedness``, ``exclusions``, ``pins``, in that order.

    Examples
    --------
    >>> import tempfile, matching
    >>> folder = tempfile.mkdtemp()
    >>> paths = write_template(folder)
    >>> [p.name for p in paths][:2]
    ['mentees.csv', 'mentors.csv']
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:  # the example rows are still in: a warning
    ...     warnings.simplefilter("always")
    ...     result = matching.match(paths[0], paths[1], relatedness=paths[2], exclusions=paths[3], pins=paths[4])
    >>> "example row" in str(said[0].message)
    True
    >>> result.mentor_of["E001"]
    'M001'
    """
    if format not in ("csv", "xlsx"):
        raise MatchingError(f"format must be 'csv' or 'xlsx'; got {format!r}")
    folder = Path(out)
    writer = _write_csv if format == "csv" else _write_xlsx
    targets = {folder / f"{name}.{format}": (lambda temp, name=name: writer(temp, name)) for name in TEMPLATES}
    return atomic_write(targets)


def _write_csv(path: Path, name: str) -> None:
    columns, rows = TEMPLATES[name]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([c[0] for c in columns])
        out.writerows(rows)


def _write_xlsx(path: Path, name: str) -> None:
    import openpyxl
    from openpyxl.styles import Font

    columns, rows = TEMPLATES[name]
    book = openpyxl.Workbook()
    data = book.active
    data.title = name
    data.append([c[0] for c in columns])
    for row in rows:
        data.append([v if v != "" else None for v in row])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for k, (header, _, _) in enumerate(columns):
        data.column_dimensions[openpyxl.utils.get_column_letter(k + 1)].width = max(12, len(header) + 2)
    data.freeze_panes = "A2"
    help_sheet = book.create_sheet(HELP_SHEET)
    help_sheet.append(["column", "required?", "what to write"])
    for column in columns:
        help_sheet.append(list(column))
    help_sheet.append([])
    help_sheet.append([("Replace the example rows with your own; keep the header row as it is. "
                        "Only the first sheet is read.")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.column_dimensions["A"].width, help_sheet.column_dimensions["C"].width = 18, 90
    book.save(path)
