"""The ``reluapprox`` command line (also ``python -m reluapprox``).

Subcommands live in :mod:`reluapprox.commands`; see ``reluapprox --help``.
"""

from __future__ import annotations

import argparse
import importlib
import re
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


#: Arguments that look like negative numbers, also with an exponent (``-1e3``):
#: argparse reads them as values, not as options (its own pattern misses exponents).
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _allow_negative_numbers(parser: argparse.ArgumentParser) -> None:
    # argparse decides with this (private, stable since Python 3.2) pattern whether
    # "-1e3" is a value or an option; no option of reluapprox looks like a number.
    parser._negative_number_matcher = NEGATIVE_NUMBER


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
        for parser_of_action in (command, *_subparsers(command)):
            _allow_negative_numbers(parser_of_action)
    _allow_negative_numbers(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The nested subcommand parsers of ``parser`` (``twolayer bound`` etc.)."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += [child, *_subparsers(child)]
    return found


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
