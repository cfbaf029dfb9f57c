"""``matching template``: blank input files to fill in."""

from __future__ import annotations

from ..files.template import write_template

NAME = "template"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="write blank input files to fill in (mentees, mentors, relatedness, ...)",
                       description="Write blank mentees, mentors, relatedness, exclusions and pins files with the "
                                   "input contract's headers and an example row; workbooks also have a "
                                   "'How to fill this in' sheet. A filled template reads back as it is.")
    p.add_argument("--out", metavar="DIR", default="matching-template",
                   help="output folder (default: matching-template)")
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="file format (default: csv)")


def run(args, out) -> None:
    for path in write_template(args.out, format=args.format):
        out.write(f"wrote {path}\n")
