"""``matching report``: match, then write one self-contained HTML report."""

from __future__ import annotations

from ..api import match
from ..report.html import write_report
from .common import add_inputs, done, match_args

NAME = "report"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="write a self-contained HTML report",
                       description="Match, then write one self-contained HTML report (no scripts, no links).")
    add_inputs(p, one_table=True)
    p.add_argument("--out", metavar="FILE", default="matching-report.html",
                   help="report file (default: matching-report.html)")
    p.add_argument("--no-explanations", action="store_true", help="leave out per-pair explanations (faster)")


def run(args, out) -> None:
    result = match(args.mentees, args.mentors, **match_args(args))
    done(result, [write_report(result, args.out, explanations=not args.no_explanations, display=args.display,
                               progress=args.progress)], out)
