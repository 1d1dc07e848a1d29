"""``reluapprox check``: re-prove certificate files with the independent checker."""

from __future__ import annotations

import argparse

from reluapprox.check import DEFAULT_TIME_LIMIT, check_file

NAME = "check"
HELP = "re-prove certificate files independently of the code that wrote them"
DESCRIPTION = """\
Check each certificate FILE (written by 'reluapprox approximate --certificate' or
reluapprox.certificate) with reluapprox.check, which shares no code with the
constructors: exact rationals for the network, Arb ball arithmetic for g. Prints
'FILE: VALID: what was proved' or 'FILE: INVALID: reason' per file; the exit status
is 0 only if every file is valid.

examples:
  reluapprox approximate "exp(3*x)" --eps 1e-7 --certificate exp.json
  reluapprox check exp.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("files", metavar="FILE", nargs="+", help="certificate files (JSON)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"give up on a file after this many seconds (default {DEFAULT_TIME_LIMIT:g})",
    )


def run(args: argparse.Namespace) -> int:
    """Check every file; returns 0 if all are valid, else 1."""
    valid = True
    for path in args.files:
        result = check_file(path, time_limit=args.time_limit)
        print(f"{path}: {'VALID' if result.valid else 'INVALID'}: {result.reason}")
        valid &= result.valid
    return 0 if valid else 1
