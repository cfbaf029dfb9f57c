"""``matching rematch``: the three-month checkpoint from the current pairs and the requests
(or the survey export, with ``--survey``).

Besides the result's tables it writes into ``--out``: ``carry_over.csv`` (the withdrawn
mentees' rows for the next session, priority raised; always written, perhaps empty),
``flags.csv`` (pairs that did not ask but break a hard rule) and ``survey_flagged.csv``
(pairs rated low in the survey), the last two only when not empty. They are CSV whatever
``--format`` (inputs of the next step); a stale one from an earlier run in the same
folder is removed. Like every export, gender and race columns are left out of
``carry_over.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..checkpoint.carry import CARRY_OVER_STEP
from ..checkpoint.kept import BROKEN_PAIRS
from ..checkpoint.survey import read_survey
from ..files.export import write_csv
from .common import add_inputs, add_outputs, add_session, done, engine, export

NAME = "rematch"
#: Recorded in a program ledger with ``--program`` (takes ``--session``; current pairs from the ledger).
LEDGER = True
#: Extra CSV files written only when their table is not empty.
OPTIONAL = ("flags", "survey_flagged")


class _Intermixed(argparse.ArgumentParser):
    """Options may sit between the positionals (``pairs mentees mentors --relatedness R requests``).

    Python 3.11's argparse fills an optional positional (``requests``, ``nargs="?"``) with
    nothing at the first option it meets; intermixed parsing reads all positionals first.
    """

    _mixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._mixing:
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def add_parser(sub, *, ledger: bool = False) -> None:
    p = sub.add_parser(NAME, help="re-match at the checkpoint from the current pairs and requests (or the survey)",
                       description="Re-match at the checkpoint: keep pairs that work, re-pair those who asked. "
                                   "Give either a requests file or --survey.")
    if not ledger:
        p.add_argument("current_pairs", help="current pairs table: mentee_id, mentor_id")
    add_inputs(p)
    p.add_argument("requests", nargs="?", default=None,
                   help="re-match requests table: mentee_id, mentor_id, requested_by (or use --survey)")
    p.add_argument("--survey", metavar="FILE",
                   help="the three-month survey export instead of a requests file: mentee_id, mentor_id, "
                        "respondent, compatibility, change (yes/no)")
    p.add_argument("--low-rating", metavar="N", type=float,
                   help="with --survey: list pairs that did not ask but rated compatibility <= N "
                        "(survey_flagged.csv)")
    p.add_argument("--history", metavar="FILE", help="pairs dissolved before (history.csv of an earlier rematch)")
    p.add_argument("--left", metavar="FILE", help="people who left the program: id[, role]")
    p.add_argument("--waitlist", metavar="FILE|all", help="unpaired mentees to place in free seats ('all': every one)")
    p.add_argument("--broken-pairs", choices=BROKEN_PAIRS, default="keep",
                   help="pairs that did not ask but now break a hard rule: keep them (flagged, the default) or "
                        "re-match them")
    p.add_argument("--carry-over-step", metavar="X", type=float, default=CARRY_OVER_STEP,
                   help=f"priority added to withdrawn mentees in carry_over.csv (default {CARRY_OVER_STEP:g})")
    add_outputs(p, "rematch-output")
    add_session(p, ledger)
    p.set_defaults(usage_error=p.error)
    p.__class__ = _Intermixed


def _requests(args, current):
    """The requests file, or the survey read into requests (and its flagged pairs)."""
    if (args.requests is None) == (args.survey is None):
        args.usage_error("give either a requests file or --survey SURVEY (not both)" if args.requests
                         else "give a requests file or --survey SURVEY")
    if args.low_rating is not None and args.survey is None:
        args.usage_error("--low-rating needs --survey")
    if args.survey is None:
        return args.requests, None
    survey = read_survey(args.survey, current, low_rating=args.low_rating)
    return survey.requests, survey.flagged


def run(args, out) -> None:
    with engine(args) as step:
        current = step.current_pairs(args)
        requests, flagged = _requests(args, current)
        result = step.rematch(current, args.mentees, args.mentors, requests, settings=args.settings,
                              relatedness=args.relatedness, exclusions=args.exclusions, pins=args.pins,
                              history=args.history, left=args.left, waitlist=args.waitlist,
                              broken_pairs=args.broken_pairs)
    extras = {"carry_over": result.carry_over(step=args.carry_over_step), "flags": result.flags}
    if flagged is not None:
        extras["survey_flagged"] = flagged
    stale = [name for name in OPTIONAL if name not in extras or extras[name].empty]
    folder = Path(args.out)
    paths = export(result, args) + write_csv({k: v for k, v in extras.items() if k not in stale}, folder)
    for name in stale:
        (folder / f"{name}.csv").unlink(missing_ok=True)
    done(result, paths, out)
