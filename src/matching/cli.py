"""The ``matching`` command: match, rematch, explain, report and a demo.

Exit codes: 0 done; 1 bad input (the library's message on stderr, no traceback);
2 usage error (from argparse). Run ``matching <command> --help`` for each command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import MatchingError
from .export import FORMATS, write, write_csv, write_excel, write_json
from .report import explanation_text, write_report

__all__ = ["main", "build_parser", "run_demo"]

OUT_NAMES = {"xlsx": "matching.xlsx", "json": "matching.json"}


def _inputs(parser: argparse.ArgumentParser, *, people: bool = True) -> None:
    if people:
        parser.add_argument("mentees", help="mentees table (CSV or Excel)")
        parser.add_argument("mentors", help="mentors table (CSV or Excel)")
    parser.add_argument("--relatedness", metavar="FILE", help="area relatedness table: area_a, area_b, relatedness")
    parser.add_argument("--exclusions", metavar="FILE", help="pairs never to form: mentee_id, mentor_id")
    parser.add_argument("--pins", metavar="FILE", help="pairs always to form: mentee_id, mentor_id")
    parser.add_argument("--settings", metavar="TOML|PRESET",
                        help="settings TOML file or preset name (balanced, preferences_first, diversity_first, "
                             "strict, assignment)")
    parser.add_argument("--encoding", metavar="NAME",
                        help="text encoding of the CSV inputs (default UTF-8, with or without BOM; e.g. cp1252)")
    parser.add_argument("--sheet", metavar="NAME", help="sheet of the Excel inputs (default: the first sheet)")


def _outputs(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--out", metavar="DIR", default=default, help=f"output folder (default: {default})")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="export format (default: csv)")
    parser.add_argument("--report", action="store_true", help="also write report.html into the output folder")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``matching`` command."""
    parser = argparse.ArgumentParser(prog="matching", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"mentor-matching {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("match", help="pair mentees with mentors and export the result",
                       description="Pair mentees with mentors; write pairs, unmatched, mentors and summary.")
    _inputs(p)
    _outputs(p, "matching-output")
    p = sub.add_parser("rematch", help="re-match at the checkpoint from the current pairs and requests",
                       description="Re-match at the checkpoint: keep pairs that work, re-pair those who asked.")
    p.add_argument("current_pairs", help="current pairs table: mentee_id, mentor_id")
    _inputs(p)
    p.add_argument("requests", help="re-match requests table: mentee_id, mentor_id, requested_by")
    p.add_argument("--history", metavar="FILE", help="pairs dissolved before (history.csv of an earlier rematch)")
    p.add_argument("--left", metavar="FILE", help="people who left the program: id[, role]")
    p.add_argument("--waitlist", metavar="FILE|all", help="unpaired mentees to place in free seats ('all': every one)")
    _outputs(p, "rematch-output")
    p = sub.add_parser("explain", help="explain one mentee's pair (or why they are unmatched)",
                       description="Match, then explain why a mentee has their mentor, or why none.")
    _inputs(p)
    p.add_argument("mentee_id", help="the mentee to explain")
    p = sub.add_parser("report", help="write a self-contained HTML report",
                       description="Match, then write one self-contained HTML report (no scripts, no links).")
    _inputs(p)
    p.add_argument("--out", metavar="FILE", default="matching-report.html",
                   help="report file (default: matching-report.html)")
    p.add_argument("--no-explanations", action="store_true", help="leave out per-pair explanations (faster)")
    p = sub.add_parser("demo", help="run the whole flow on the bundled example cohort",
                       description="Match the bundled example cohort, explain, pin and ban, re-solve, report "
                                   "and export; write everything into the output folder.")
    p.add_argument("--out", metavar="DIR", default="matching-demo", help="output folder (default: matching-demo)")
    return parser


#: Arguments naming input tables, read with --encoding / --sheet when given.
TABLE_ARGS = ("mentees", "mentors", "relatedness", "exclusions", "pins", "current_pairs", "requests", "history",
              "left", "waitlist")


def _read_inputs(args) -> None:
    """Read every input file with the ``--encoding`` / ``--sheet`` given (in place on ``args``)."""
    if not (getattr(args, "encoding", None) or getattr(args, "sheet", None)):
        return
    from .io import EXCEL_SUFFIXES, read_table

    for name in TABLE_ARGS:
        value = getattr(args, name, None)
        if value is None or value == "all":
            continue
        excel = Path(value).suffix.lower() in EXCEL_SUFFIXES
        setattr(args, name, read_table(value, encoding=None if excel else args.encoding,
                                       sheet=args.sheet if excel else None))


def _match(args):
    from .api import match

    return match(args.mentees, args.mentors, settings=args.settings, relatedness=args.relatedness,
                 exclusions=args.exclusions, pins=args.pins)


def _export(result, args) -> list[Path]:
    out = Path(args.out)
    dest = out if args.format == "csv" else out / OUT_NAMES[args.format]
    paths = write(result, dest, format=args.format)
    if args.report:
        paths.append(write_report(result, out / "report.html"))
    return paths


def _done(result, paths, out) -> None:
    out.write(f"{result!r}\n")
    for path in paths:
        out.write(f"wrote {path}\n")


def cmd_match(args, out) -> None:
    result = _match(args)
    _done(result, _export(result, args), out)


def cmd_rematch(args, out) -> None:
    from .rematch import rematch

    result = rematch(args.current_pairs, args.mentees, args.mentors, args.requests, settings=args.settings,
                     relatedness=args.relatedness, exclusions=args.exclusions, pins=args.pins,
                     history=args.history, left=args.left, waitlist=args.waitlist)
    _done(result, _export(result, args), out)


def cmd_explain(args, out) -> None:
    out.write(explanation_text(_match(args), args.mentee_id) + "\n")


def cmd_report(args, out) -> None:
    result = _match(args)
    _done(result, [write_report(result, args.out, explanations=not args.no_explanations)], out)


def _pin_and_ban(result):
    """A pin (a mentee's unmet first choice that the rules allow) and a ban (another pair), or None."""
    cohort, cands = result.cohort, result.candidates
    first = cohort.preferences.value == 1
    allowed = set(zip(cands.i.tolist(), cands.j.tolist()))
    given = result.mentor_of
    for i, j in zip(cohort.preferences.i[first].tolist(), cohort.preferences.j[first].tolist()):
        e, m = str(cohort.mentees.ids[i]), str(cohort.mentors.ids[j])
        if (i, j) in allowed and e in given and given[e] != m:
            ban = next((a, b) for a, b in given.items() if a != e and b != m)
            return (e, m), ban
    return None


def run_demo(out_dir, out=None) -> list[Path]:
    """The whole committee flow on the bundled cohort; returns the files written.

    1. match: ``match/*.csv``, ``match.xlsx``, ``match.json``, ``report.html``, ``explanations.txt``;
    2. pin one pair, ban another, re-solve: ``revised/*.csv`` (with ``changes.csv``),
       ``revised.xlsx``, ``revised/report.html``;
    3. checkpoint re-match of two pairs that asked: ``checkpoint/*.csv``, ``checkpoint/report.html``.
    """
    from .api import match
    from .examples import example_paths

    out = out or _Null()
    out_dir = Path(out_dir)
    paths = example_paths()
    result = match(paths["mentees"], paths["mentors"], relatedness=paths["relatedness"])
    out.write(f"matched the example cohort: {result!r}\n")
    ids = list(result.pairs["mentee_id"]) + list(result.unmatched["mentee_id"])
    why = {mid: explanation_text(result, mid) for mid in ids}
    out.write(f"\nwhy {ids[0]}:\n{why[ids[0]]}\n")
    written = write_csv(result, out_dir / "match") + [
        write_excel(result, out_dir / "match.xlsx"), write_json(result, out_dir / "match.json"),
        write_report(result, out_dir / "report.html", explanations=why)]
    written += _atomic_text(out_dir / "explanations.txt", "\n\n".join(why.values()) + "\n")
    revised, more = _override_step(result, out_dir, out)
    written += more + _checkpoint_step(revised, paths, out_dir, out)
    for path in written:
        out.write(f"wrote {path}\n")
    return written


def _override_step(result, out_dir: Path, out):
    """Pin a mentee's unmet first choice, ban another pair, re-solve and write the diff."""
    choice = _pin_and_ban(result)
    if choice is None:
        return result, []
    pin, ban = choice
    revised = result.with_pins([pin], reason="the mentee's first choice", decided_by="demo committee")
    revised = revised.with_exclusions([ban], reason="conflict of interest", decided_by="demo committee")
    changes = revised.diff(result)
    out.write(f"\npinned {pin}, banned {ban}: {revised!r}\n{changes.to_string(index=False)}\n")
    tables = {**_tables(revised), "changes": changes}
    written = write_csv(tables, out_dir / "revised") + [write_excel(tables, out_dir / "revised.xlsx"),
                                                        write_report(revised, out_dir / "revised" / "report.html")]
    return revised, written


def _checkpoint_step(result, paths, out_dir: Path, out) -> list[Path]:
    """At the three-month checkpoint two pairs ask for a change; re-match them."""
    from .rematch import rematch

    asks = result.pairs.loc[~result.pairs["pinned"], ["mentee_id", "mentor_id"]].head(2)
    asks = asks.assign(requested_by=["mentee", "mentor"][:len(asks)])
    new = rematch(result, paths["mentees"], paths["mentors"], asks, relatedness=paths["relatedness"])
    out.write(f"\ncheckpoint: {new!r}\n{new.changes.to_string(index=False)}\n")
    return write_csv(new, out_dir / "checkpoint") + [write_report(new, out_dir / "checkpoint" / "report.html",
                                                                  title="Checkpoint re-match report")]


def _tables(result) -> dict:
    from .export import result_tables

    return result_tables(result)


def _atomic_text(path: Path, text: str) -> list[Path]:
    from .export import _atomic

    return _atomic({path: lambda temp: temp.write_text(text, encoding="utf-8")})


class _Null:
    def write(self, _text) -> None:
        pass


def cmd_demo(args, out) -> None:
    run_demo(args.out, out)


COMMANDS = {"match": cmd_match, "rematch": cmd_rematch, "explain": cmd_explain, "report": cmd_report,
            "demo": cmd_demo}


def main(argv=None) -> int:
    """Run the command line; returns the exit code (argparse exits with 2 on usage errors)."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        _read_inputs(args)
        COMMANDS[args.command](args, sys.stdout)
    except MatchingError as err:
        sys.stderr.write(f"matching {args.command}: error: {err}\n")
        return 1
    except OSError as err:
        sys.stderr.write(f"matching {args.command}: error: {err.strerror or err}: {err.filename or ''}\n")
        return 1
    return 0
