"""``matching explain``: why a mentee has their mentor, or why none."""

from __future__ import annotations

from ..api import match
from ..report.html import explanation_text
from .common import add_inputs, match_args

NAME = "explain"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="explain one mentee's pair (or why they are unmatched)",
                       description="Match, then explain why a mentee has their mentor, or why none.")
    add_inputs(p)  # mentors stays required: an optional positional before mentee_id confuses argparse
    p.add_argument("mentee_id", help="the mentee to explain")


def run(args, out) -> None:
    result = match(args.mentees, args.mentors, **match_args(args))
    out.write(explanation_text(result, args.mentee_id) + "\n")
