"""``matching match``: pair mentees with mentors and export the result."""

from __future__ import annotations

from .common import add_inputs, add_outputs, add_session, done, engine, export, match_args

NAME = "match"
#: Recorded in a program ledger with ``--program`` (takes ``--session``).
LEDGER = True


def add_parser(sub, *, ledger: bool = False) -> None:
    p = sub.add_parser(NAME, help="pair mentees with mentors and export the result",
                       description="Pair mentees with mentors; write pairs, unmatched, mentors and summary.")
    add_inputs(p, one_table=True)
    add_outputs(p, "matching-output")
    add_session(p, ledger)


def run(args, out) -> None:
    with engine(args) as step:
        result = step.match(args.mentees, args.mentors, **match_args(args))
    done(result, export(result, args), out)
