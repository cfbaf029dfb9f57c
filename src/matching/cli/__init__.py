"""The ``matching`` command: match, rematch, explain, report, sensitivity, groups, template and a demo.

Exit codes: 0 done; 1 bad input (the library's message on stderr, no traceback);
2 usage error (from argparse). Run ``matching <command> --help`` for each command.

Each subcommand is one module of this package with ``NAME``, ``add_parser(sub)`` and
``run(args, out)``; a new command is a new module and one entry in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from .._version import __version__
from ..errors import MatchingError
from . import demo, explain, groups, match, program, rematch, report, sensitivity, template
from .common import read_inputs
from .demo import run_demo

__all__ = ["main", "build_parser", "run_demo", "SUBCOMMANDS", "COMMANDS"]

#: The subcommand modules, in the order ``matching --help`` lists them.
SUBCOMMANDS = (match, rematch, explain, report, sensitivity, groups, template, demo, program)
#: Each subcommand's name and the function that runs it.
COMMANDS = {command.NAME: command.run for command in SUBCOMMANDS}


def build_parser(*, ledger: bool = False) -> argparse.ArgumentParser:
    """The argument parser of the ``matching`` command.

    With ``ledger`` (``--program LEDGER`` given), the steps a ledger records (subcommand
    modules with ``LEDGER = True``) take ``--session`` and read what they can from the ledger.
    """
    parser = argparse.ArgumentParser(prog="matching", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"mentor-matching {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--program", metavar="LEDGER",
                        help="record the step in this program ledger (SQLite; created on first use) and apply "
                             "what it remembers; needs --session")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        if getattr(command, "LEDGER", False):
            command.add_parser(sub, ledger=ledger)
        else:
            command.add_parser(sub)
    return parser


def _ledger_given(argv) -> bool:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--program")
    known, _ = pre.parse_known_args(argv)
    return known.program is not None


def _warning_for(command: str):
    """Warnings as the command's own lines (``matching match: warning: ...``), not Python source lines."""
    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(f"matching {command}: warning: {message}\n")
    return show


def main(argv=None) -> int:
    """Run the command line; returns the exit code (argparse exits with 2 on usage errors)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(ledger=_ledger_given(argv))
    args = parser.parse_args(argv)
    if getattr(args, "mentors", "") is None and not getattr(args, "role_column", None):
        parser.error("the mentors file is required (or --role-column COLUMN when one file holds everyone)")
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    run = COMMANDS[args.command]
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_for(args.command)
            read_inputs(args)
            run(args, sys.stdout)
    except MatchingError as err:
        sys.stderr.write(f"matching {args.command}: error: {err}\n")
        return 1
    except OSError as err:
        sys.stderr.write(f"matching {args.command}: error: {err.strerror or err}: {err.filename or ''}\n")
        return 1
    return 0
