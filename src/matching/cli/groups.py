"""``matching groups``: small, mixed networking groups from a people table."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..files.export import FORMATS
from .common import add_session, engine

NAME = "groups"
#: Recorded in a program ledger with ``--program`` (takes ``--session``; earlier groups from the ledger).
LEDGER = True


def _interval(text: str) -> tuple[int, int]:
    """``"5-6"`` -> (5, 6); ``"5"`` -> (5, 5)."""
    lo, _, hi = text.strip().partition("-")
    try:
        return int(lo), int(hi or lo)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is LO-HI or N (e.g. 5-6); got {text!r}") from None


def _intervals(text: str) -> list[tuple[int, int]]:
    return [_interval(part) for part in text.split(",") if part.strip()]


def add_parser(sub, *, ledger: bool = False) -> None:
    p = sub.add_parser(NAME, help="form small, mixed networking groups (one host mentor each, optional)",
                       description="Split people into groups whose sizes lie in the given interval, mixing KBUs, "
                                   "areas, levels and competencies; write groups, hosts, group_mix and summary.")
    p.add_argument("people", help="people table (CSV or Excel): id, level, area, kbu, ...")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--size", type=_interval, metavar="LO-HI", help="every group's size, e.g. 5-6")
    size.add_argument("--sizes", type=_intervals, metavar="LO-HI,...", help="one size interval per group")
    p.add_argument("--n-groups", type=int, metavar="N", help="number of groups (with --size)")
    for name, what in (("distance", "person_a, person_b, distance (replaces the default distance)"),
                       ("keep-apart", "pairs never in one group: person_a, person_b"),
                       ("keep-together", "pairs always in one group: person_a, person_b"),
                       ("history", "an earlier session's groups: id, group (nobody meets again)"),
                       ("hosts", "mentors who may host a group: id"),
                       ("mentor-pairs", "the match's pairs: mentee_id, mentor_id (a host never hosts a mentee)")):
        p.add_argument(f"--{name}", metavar="FILE", help=what)
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-iterations", type=int, metavar="N",
                   help="stop the local search after N steps (the same result on any machine)")
    p.add_argument("--encoding", metavar="NAME", help="text encoding of the CSV inputs (default UTF-8)")
    p.add_argument("--sheet", metavar="NAME", help="sheet of the Excel inputs (default: the first sheet)")
    p.add_argument("--out", metavar="DIR", default="groups-output", help="output folder (default: groups-output)")
    p.add_argument("--format", choices=FORMATS, default="csv", help="export format (default: csv)")
    add_session(p, ledger)


def run(args, out) -> None:
    settings = {"max_iterations": args.max_iterations} if args.max_iterations else None
    with engine(args) as step:
        result = step.groups(args.people, size=args.size, sizes=args.sizes, n_groups=args.n_groups,
                             distance=args.distance,
                             keep_apart=args.keep_apart, keep_together=args.keep_together,
                             history=args.history, hosts=args.hosts, mentor_pairs=args.mentor_pairs,
                             time_limit=args.time_limit, seed=args.seed, settings=settings)
    folder = Path(args.out)
    if args.format == "csv":
        paths = result.to_csv(folder)
    elif args.format == "xlsx":
        paths = [result.to_excel(folder / "groups.xlsx")]
    else:
        paths = [result.to_json(folder / "groups.json")]
    out.write(f"{result!r}\n")
    for path in paths:
        out.write(f"wrote {path}\n")
