"""``reluapprox verify``: run the library's theorems as Hypothesis properties."""

from __future__ import annotations

import argparse
import sys
import time

from reluapprox.verify import (
    PROFILES,
    Property,
    format_failure,
    format_table,
    run_properties,
    select,
)

NAME = "verify"
HELP = "check every registered theorem on random instances (Hypothesis)"
DESCRIPTION = """\
Run every registered property of the library (a theorem of the course stated for
random instances) with Hypothesis, show progress on stderr and print a table:
theorem, examples run, failures, worst observed ratio (observed error / proved
bound, must stay <= 1) and time. A failure is shrunk to a small counterexample,
printed as Python source that replays it; the exit status is 1 if any property
failed, 0 otherwise.

profiles: dev (25 examples, random seed), ci (60 examples, seed 0: reproducible),
thorough (2000 examples, random seed). The seed is printed; pass it back with --seed
to replay a run.

examples:
  reluapprox verify --list
  reluapprox verify --profile dev --only interpolation
  reluapprox verify --only 'strategies.*' --examples 500 --seed 1234
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument(
        "--profile",
        choices=tuple(PROFILES),
        default="ci",
        help="examples per property and seeding (default: ci)",
    )
    parser.add_argument(
        "--examples",
        type=int,
        metavar="N",
        help="examples per property (overrides the profile)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="S", help="seed of the random instances (replays a run)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="run the properties whose name matches (glob such as 'strategies.*', "
        "or a substring); repeatable",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the properties and their statements, then exit"
    )


def _count(n: int) -> str:
    return f"{n} property" if n == 1 else f"{n} properties"


def _progress(line: str) -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)  # clear the live counter
    print(line, file=sys.stderr, flush=True)


class _Counter:
    """A live ``name: n examples`` line on a terminal, redrawn at most 4 times a second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, prop: Property, count: int) -> None:
        now = time.monotonic()
        if now - self.last >= 0.25:
            self.last = now
            print(f"\r\033[K  {prop.name}: {count} examples", end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status (1 if any property failed)."""
    chosen = select(args.only)
    if args.list:
        for prop in chosen:
            print(f"{prop.name}\n    {prop.statement}")
        return 0
    reports = run_properties(
        chosen,
        profile=args.profile,
        max_examples=args.examples,
        seed=args.seed,
        progress=_progress,
        on_example=_Counter() if sys.stderr.isatty() else None,
    )
    seed = reports[0].seed if reports else args.seed
    print(f"profile {args.profile}, seed {seed}, {_count(len(reports))}")
    print(format_table(reports))
    failed = [r for r in reports if not r.ok]
    for report in failed:
        print()
        examples = args.examples or PROFILES[args.profile]["max_examples"]
        print(format_failure(report, max_examples=examples))
    print()
    if failed:
        print(f"FAILED: {len(failed)} of {_count(len(reports))}")
        return 1
    print(f"ok: {_count(len(reports))} checked, no failures")
    return 0
