"""What the subcommands share: input and output options, reading the inputs, writing the outputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..files import progress
from ..api import match
from ..checkpoint.rematch import rematch
from ..cohort.roles import split_roles
from ..errors import InputError
from ..files.column_map import read_column_map
from ..files.export import FORMATS, atomic_write, export_files
from ..files.tables import EXCEL_SUFFIXES, normalize_header, read_table
from ..groups import groups
from ..program import Program
from ..report.html import report_file

__all__ = ["add_session", "engine", "add_inputs", "add_outputs", "add_view", "add_progress", "read_inputs",
           "match_args", "export", "done", "TABLE_ARGS", "OUT_NAMES"]

OUT_NAMES = {"xlsx": "matching.xlsx", "json": "matching.json"}

#: Arguments naming input tables, read with --encoding / --sheet when given.
TABLE_ARGS = ("mentees", "mentors", "relatedness", "exclusions", "pins", "current_pairs", "requests", "history",
              "left", "waitlist", "survey", "people", "distance", "keep_apart", "keep_together", "hosts",
              "mentor_pairs", "decisions")


def add_inputs(parser: argparse.ArgumentParser, *, people: bool = True, decisions: bool = True,
               one_table: bool = False) -> None:
    """The input-table options every matching subcommand takes.

    ``one_table``: the mentors file may be left out when ``--role-column`` splits the mentees
    file (a one-form program). ``decisions``: ``--decisions`` replays a committee's log.
    """
    if people:
        parser.add_argument("mentees", help="mentees table (CSV or Excel)")
        parser.add_argument("mentors", nargs="?" if one_table else None,
                            help="mentors table (CSV or Excel)" + ("; leave out with --role-column" if one_table
                                                                  else ""))
    parser.add_argument("--relatedness", metavar="FILE", help="area relatedness table: area_a, area_b, relatedness")
    parser.add_argument("--exclusions", metavar="FILE", help="pairs never to form: mentee_id, mentor_id")
    parser.add_argument("--pins", metavar="FILE", help="pairs always to form: mentee_id, mentor_id")
    parser.add_argument("--settings", metavar="TOML|PRESET",
                        help="settings TOML file or preset name (balanced, preferences_first, diversity_first, "
                             "strict, assignment)")
    parser.add_argument("--encoding", metavar="NAME",
                        help="text encoding of the CSV inputs (default UTF-8, with or without BOM; e.g. cp1252)")
    parser.add_argument("--sheet", metavar="NAME", help="sheet of the Excel inputs (default: the first sheet)")
    if decisions:
        parser.add_argument("--decisions", metavar="FILE",
                            help="a committee's decision log to re-apply (decisions.csv of an earlier run: kind, "
                                 "mentee_id, mentor_id, reason, decided_by, decided_at)")
    forms = parser.add_argument_group("form exports")
    forms.add_argument("--columns", metavar="MAP",
                       help="TOML (or header,field CSV) file mapping form question headers to fields, e.g. "
                            "'\"What is your department?\" = \"area\"'; [mentees] / [mentors] tables for one side")
    forms.add_argument("--mentees-sheet", metavar="NAME", help="sheet of the mentees workbook (overrides --sheet)")
    forms.add_argument("--mentors-sheet", metavar="NAME", help="sheet of the mentors workbook (overrides --sheet)")
    forms.add_argument("--keep-latest", metavar="COLUMN",
                       help="of the rows sharing an id (a form submitted twice) keep the one with the latest "
                            "timestamp in COLUMN, e.g. Timestamp")
    if people:
        forms.add_argument("--role-column", metavar="COLUMN",
                           help="the mentees file is one table of everyone; COLUMN says mentee, mentor or both")
    add_view(parser)


def add_view(parser: argparse.ArgumentParser) -> None:
    """How people are shown and whether progress bars appear."""
    parser.add_argument("--display", metavar="COLS", type=_columns, default=None,
                        help="input columns shown with each id in the report, e.g. name,title (headers as in "
                             "your files; default: name and title when present; '' for ids only)")
    add_progress(parser)


def add_progress(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``: progress bars show on a terminal for steps longer than a second."""
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bars (shown by default on a terminal for long steps)")


def _columns(text: str) -> tuple:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def add_outputs(parser: argparse.ArgumentParser, default: str) -> None:
    """The output options of the subcommands that export a result."""
    parser.add_argument("--out", metavar="DIR", default=default, help=f"output folder (default: {default})")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="export format (default: csv)")
    parser.add_argument("--report", action="store_true", help="also write report.html into the output folder")
    parser.add_argument("--include", metavar="COLS", type=_columns, default=(),
                        help="input columns added next to the ids in the exported tables, e.g. name,title "
                             "(headers as your files spell them)")


def read_inputs(args) -> None:
    """Read every input file with the form-export options given (in place on ``args``)."""
    one_table = getattr(args, "role_column", None)
    if one_table and args.mentors not in (None, args.mentees):
        raise InputError([{"file": str(args.mentors), "problem": (
            "--role-column splits the mentees file into mentees and mentors; leave the mentors file out")}])
    if one_table:
        args.mentors = None
    options = ("encoding", "sheet", "mentees_sheet", "mentors_sheet", "columns", "keep_latest", "role_column")
    if not any(getattr(args, name, None) for name in options):
        return
    maps = read_column_map(args.columns) if getattr(args, "columns", None) else None
    used: set[str] = set()
    for name in TABLE_ARGS:
        value = getattr(args, name, None)
        if value is None or value == "all":
            continue
        setattr(args, name, _read_one(args, name, value, maps, used))
    if maps is not None:
        unused = [h for h in maps["both"] if h not in used]
        if unused:
            raise InputError([{"file": Path(args.columns).name, "column": h, "problem": (
                "--columns maps this header, but it is a header of neither the mentees nor the mentors file")}
                for h in unused])
    if one_table:
        args.mentees, args.mentors = split_roles(args.mentees, args.role_column)


def _read_one(args, name: str, value, maps, used: set):
    """One input table, read with its sheet, encoding, column map and keep-latest option."""
    excel = Path(value).suffix.lower() in EXCEL_SUFFIXES
    sheet = (getattr(args, f"{name}_sheet", None) or args.sheet) if excel else None
    encoding = None if excel else args.encoding
    people = name in ("mentees", "mentors")
    if not people or (maps is None and not args.keep_latest):
        return read_table(value, encoding=encoding, sheet=sheet)
    columns = None
    if maps is not None:
        headers = {normalize_header(h) for h in read_table(value, encoding=encoding, sheet=sheet).columns}
        shared = {h: f for h, f in maps["both"].items() if normalize_header(h) in headers}
        used.update(shared)
        columns = {**shared, **maps[name]}
        if getattr(args, "role_column", None):  # one file holds everyone: both sides' entries apply
            columns = {**shared, **maps["mentees"], **maps["mentors"]}
    return read_table(value, encoding=encoding, sheet=sheet, columns=columns or None, keep_latest=args.keep_latest)


def match_args(args) -> dict:
    """The keyword arguments of :func:`matching.match` given on the command line."""
    return dict(settings=args.settings, relatedness=args.relatedness, exclusions=args.exclusions, pins=args.pins,
                decisions=getattr(args, "decisions", None), progress=getattr(args, "progress", None))


def export(result, args) -> list[Path]:
    """Write ``result`` into ``--out`` in ``--format``, and the report with ``--report``: one
    atomic set, so a failure anywhere leaves the earlier run's files as they were."""
    out = Path(args.out)
    dest = out if args.format == "csv" else out / OUT_NAMES[args.format]
    files = export_files(result, dest, format=args.format, include=getattr(args, "include", ()))
    if args.report:
        files.update(report_file(result, out / "report.html", display=getattr(args, "display", None),
                                 progress=getattr(args, "progress", None)))
    with progress.bar(1, "writing", flag=getattr(args, "progress", None)) as bar:
        paths = atomic_write(files)
        bar.update(1)
    return paths


def done(result, paths, out) -> None:
    """Tell what was matched and written."""
    out.write(f"{result!r}\n")
    for path in paths:
        out.write(f"wrote {path}\n")


def add_session(parser: argparse.ArgumentParser, ledger: bool) -> None:
    """``--session``, required when the step is recorded in a ledger (``--program``)."""
    if ledger:
        parser.add_argument("--session", required=True, metavar="NAME",
                            help="the program session this step belongs to (e.g. 2027)")


class _Library:
    """The library's own entry points (no ledger)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def current_pairs(self, args):
        return args.current_pairs

    def match(self, mentees, mentors, **options):
        return match(mentees, mentors, **options)

    def rematch(self, current, mentees, mentors, requests, **options):
        return rematch(current, mentees, mentors, requests, **options)

    def groups(self, people, **options):
        return groups(people, **options)


class _Ledger(_Library):
    """The same steps through a :class:`~matching.Program`, recorded in its session."""

    def __init__(self, path, session: str):
        self.prog, self.session = Program(path), session

    def __exit__(self, *exc) -> None:
        self.prog.close()

    def current_pairs(self, args):
        return self.prog.pairs(self.session)[["mentee_id", "mentor_id"]]

    def match(self, mentees, mentors, **options):
        return self.prog.match(mentees, mentors, session=self.session, **options)

    def rematch(self, current, mentees, mentors, requests, **options):
        return self.prog.rematch(requests, mentees, mentors, session=self.session, **options)

    def groups(self, people, **options):
        return self.prog.groups(people, session=self.session, **options)


def engine(args):
    """What runs a step: the library, or a program ledger with ``--program`` (use as a context manager)."""
    if getattr(args, "program", None):
        return _Ledger(args.program, args.session)
    return _Library()
