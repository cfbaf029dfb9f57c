"""``matching rematch``: the three-month checkpoint from the current pairs and requests."""

from __future__ import annotations

from ..checkpoint.rematch import rematch
from .common import add_inputs, add_outputs, done, export

NAME = "rematch"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="re-match at the checkpoint from the current pairs and requests",
                       description="Re-match at the checkpoint: keep pairs that work, re-pair those who asked.")
    p.add_argument("current_pairs", help="current pairs table: mentee_id, mentor_id")
    add_inputs(p)
    p.add_argument("requests", help="re-match requests table: mentee_id, mentor_id, requested_by")
    p.add_argument("--history", metavar="FILE", help="pairs dissolved before (history.csv of an earlier rematch)")
    p.add_argument("--left", metavar="FILE", help="people who left the program: id[, role]")
    p.add_argument("--waitlist", metavar="FILE|all", help="unpaired mentees to place in free seats ('all': every one)")
    add_outputs(p, "rematch-output")


def run(args, out) -> None:
    result = rematch(args.current_pairs, args.mentees, args.mentors, args.requests, settings=args.settings,
                     relatedness=args.relatedness, exclusions=args.exclusions, pins=args.pins,
                     history=args.history, left=args.left, waitlist=args.waitlist)
    done(result, export(result, args), out)
