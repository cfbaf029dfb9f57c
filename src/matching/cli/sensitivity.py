"""``matching sensitivity``: solve a grid of weights and report the pairs that change."""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..files.export import atomic_write, csv_files
from ..review.sensitivity import sensitivity, sensitivity_report
from .common import add_inputs

NAME = "sensitivity"


def vary_option(text: str) -> tuple[str, list[float]]:
    """``NAME=V1,V2,...`` -> ``(NAME, [V1, V2, ...])`` (argparse reports a bad one).

    >>> vary_option("cross_kbu=0.5,1,2")
    ('cross_kbu', [0.5, 1.0, 2.0])
    """
    name, sep, values = text.partition("=")
    try:
        numbers = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        numbers = []
    if not sep or not name.strip() or not numbers:
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,... with numbers (e.g. cross_kbu=0.5,1,2); got {text!r}")
    return name.strip(), numbers


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="how the pairs change over a grid of weights",
                       description="Solve every combination of the weights given with --vary; write each pair's "
                                   "share of the runs (sensitivity.csv) and a short report of the pairs that change.")
    add_inputs(p)
    p.add_argument("--vary", metavar="NAME=V1,V2", type=vary_option, action="append", required=True,
                   help="a weight and its values; repeat for a grid (e.g. --vary cross_kbu=0.5,1,2 --vary preference=1,3)")
    p.add_argument("--workers", metavar="N", type=int, default=1, help="processes to solve on (default 1: serial)")
    p.add_argument("--out", metavar="DIR", default="matching-sensitivity",
                   help="output folder (default: matching-sensitivity)")


def run(args, out) -> None:
    vary = dict(args.vary)
    options = dict(settings=args.settings, relatedness=args.relatedness, exclusions=args.exclusions, pins=args.pins)
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            table = sensitivity(args.mentees, args.mentors, vary=vary, executor=pool, **options)
    else:
        table = sensitivity(args.mentees, args.mentors, vary=vary, **options)
    report = sensitivity_report(table)
    folder = Path(args.out)
    files = csv_files({"sensitivity": table}, folder)  # neutralised like every exported table
    files[folder / "sensitivity.txt"] = lambda temp: temp.write_text(report + "\n", encoding="utf-8")
    paths = atomic_write(files)  # one set: both files or neither
    out.write(report + "\n")
    for path in paths:
        out.write(f"wrote {path}\n")
