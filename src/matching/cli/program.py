"""``matching program show LEDGER``: what a program's ledger holds."""

from __future__ import annotations

from ..program import Program

NAME = "program"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="show what a program's ledger holds (sessions, counts, latest decisions)",
                       description="Read a program's ledger (an SQLite file written with --program).")
    p.add_argument("action", choices=("show",), help="show: sessions, their counts and the latest decisions")
    p.add_argument("ledger", help="the ledger file (e.g. mentoring.db)")
    p.add_argument("--decisions", type=int, default=10, metavar="N", help="latest decisions to list (default 10)")


def run(args, out) -> None:
    with Program(args.ledger) as prog:
        sessions = prog.sessions()
        out.write(f"ledger {args.ledger}: {len(sessions)} session(s)\n")
        if len(sessions):
            out.write(sessions.to_string(index=False) + "\n")
        decisions = prog.decisions().tail(max(int(args.decisions), 0))
        if len(decisions):
            out.write(f"\nlatest decisions ({len(decisions)}):\n{decisions.to_string(index=False)}\n")
