"""The ``reluapprox`` command line (also ``python -m reluapprox``).

Subcommands live in :mod:`reluapprox.commands`; see ``reluapprox --help``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from reluapprox import __version__
from reluapprox.errors import ReluApproxError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: Subcommand modules under ``reluapprox.commands``, in the order ``--help`` lists them.
SUBCOMMANDS: tuple[str, ...] = ("interpolate", "approximate", "verify", "twolayer", "check")


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"reluapprox.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="reluapprox",
        description=(
            "Constructive ReLU network theory: exact constructions with certified "
            "error bounds. Run 'reluapprox COMMAND --help' for a command's options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"reluapprox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module = _load(name)
        command = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its status.

    Errors of the library (:class:`~reluapprox.errors.ReluApproxError`) are printed
    as one line ``reluapprox: error: ...`` and give exit status 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args._run(args)
    except ReluApproxError as error:
        print(f"reluapprox: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reluapprox: interrupted", file=sys.stderr)
        return 130
    return status
