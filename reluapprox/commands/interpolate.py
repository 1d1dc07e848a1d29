"""``reluapprox interpolate``: exact interpolation of points by a shallow ReLU network."""

from __future__ import annotations

import argparse
import re
from fractions import Fraction
from pathlib import Path

from reluapprox._validation import fail
from reluapprox.commands._output import check_file_path, check_plot_path, write_json, write_plot
from reluapprox.interpolation import interpolate

NAME = "interpolate"
HELP = "interpolate points (x_i, y_i) exactly with neurons relu(x - x_i)"
DESCRIPTION = """\
Build f(x) = b + sum_k w_k relu(x - x_k) with f(x_i) = y_i for every i, in exact
rational arithmetic, and print the weights as fractions. Numbers may be written as
integers, decimals (read exactly: 0.1 means 1/10) or fractions such as 1/3.

example:
  reluapprox interpolate --xs 0 1/2 1 --ys 1 3 2 --plot interp.png
"""


#: Longest number accepted on the command line, and largest decimal exponent: the
#: exact value of ``1e100000000`` is never computed.
MAX_NUMBER_CHARACTERS = 400
MAX_DECIMAL_EXPONENT = 400


def parse_rational(name: str, text: str) -> Fraction:
    """Parse ``"3"``, ``"-0.25"`` or ``"1/3"`` exactly; raise InvalidArgument otherwise.

    Examples:
        >>> parse_rational("--xs[0]", "1e-3"), parse_rational("--xs[1]", "-1/3")
        (Fraction(1, 1000), Fraction(-1, 3))
    """
    expected = "an integer, a decimal such as 0.25 or a fraction such as 1/3"
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARACTERS:
        fail(name, text, f"{expected}, at most {MAX_NUMBER_CHARACTERS} characters")
    exponent = re.search(r"[eE]([+-]?\d+)$", text)
    if exponent is not None and abs(int(exponent.group(1))) > MAX_DECIMAL_EXPONENT:
        fail(name, text, f"{expected}, with a decimal exponent of at most {MAX_DECIMAL_EXPONENT}")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        fail(name, text, expected)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument(
        "--xs", nargs="+", required=True, metavar="X", help="strictly increasing nodes"
    )
    parser.add_argument("--ys", nargs="+", required=True, metavar="Y", help="values at the nodes")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="write a plot of f and its neurons (.png is appended if no suffix)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the network as JSON")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status."""
    if args.json is not None:
        check_file_path("--json", args.json)
    if args.plot is not None:
        check_plot_path("--plot", args.plot)
    xs = [parse_rational(f"--xs[{i}]", t) for i, t in enumerate(args.xs)]
    ys = [parse_rational(f"--ys[{i}]", t) for i, t in enumerate(args.ys)]
    net = interpolate(xs, ys)
    print(f"neurons: {net.n_neurons}")
    print(f"bias:    {net.bias}")
    for k, (t, w) in enumerate(zip(net.knots, net.weights, strict=True)):
        print(f"w{k} = {w}  (knot x{k} = {t})")
    exact = all(net.exact(x) == y for x, y in zip(xs, ys, strict=True))
    print(f"f(x_i) == y_i exactly at all {len(xs)} points: {exact}")
    if args.json is not None:
        payload = {
            "bias": str(net.bias),
            "knots": [str(t) for t in net.knots],
            "weights": [str(w) for w in net.weights],
        }
        print(f"wrote {write_json('--json', args.json, payload)}")
    if args.plot is not None:
        from reluapprox.plotting import plot_interpolation

        path = write_plot("--plot", args.plot, lambda out: plot_interpolation(net, xs, ys, out))
        print(f"wrote {path}")
    return 0 if exact else 1
