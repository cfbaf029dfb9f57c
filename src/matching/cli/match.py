"""``matching match``: pair mentees with mentors and export the result."""

from __future__ import annotations

from ..api import match
from .common import add_inputs, add_outputs, done, export, match_args

NAME = "match"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="pair mentees with mentors and export the result",
                       description="Pair mentees with mentors; write pairs, unmatched, mentors and summary.")
    add_inputs(p, one_table=True)
    add_outputs(p, "matching-output")


def run(args, out) -> None:
    result = match(args.mentees, args.mentors, **match_args(args))
    done(result, export(result, args), out)
