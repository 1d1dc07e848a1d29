"""``reluapprox approximate``: a shallow ReLU network within eps of g, with its bound."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reluapprox._validation import fail
from reluapprox.approximation import (
    DEFAULT_MAX_NEURONS,
    DEFAULT_TIME_LIMIT,
    approximate,
    plot_approximation,
)
from reluapprox.approximation2d import Approximation2D, plot_approximation_2d
from reluapprox.commands._output import (
    check_file_path,
    check_plot_path,
    format_up,
    write_json,
    write_plot,
)
from reluapprox.commands._progress import PROGRESS_DELAY, ProgressBar

NAME = "approximate"
HELP = "approximate g(x) within eps by a shallow ReLU network, with a certified bound"
DESCRIPTION = """\
Build f(x) = b + sum_k w_k relu(x - x_k), the piecewise-linear interpolant of g on
a mesh, with max |g - f| <= bound < eps over the domain, and print the number of
neurons, the bound, whether it is certified (a proof) and how it was obtained.
EXPR is parsed safely (no eval): numbers, x, pi, e, + - * / ** and the functions
abs atan cos cosh exp log max min relu sign sin sinh sqrt tan tanh.
With --architecture deep (or auto, when it has fewer neurons) f is a deep network
for g analytic on the domain: squares from sawtooth compositions, Horner products
and a Chebyshev polynomial with a proved remainder (see docs/depth.md).

examples:
  reluapprox approximate "sin(2*pi*x)" --eps 1e-4 --plot approximation.png
  reluapprox approximate "sqrt(abs(x - 1/3))" --eps 1e-3 --domain -1 1
  reluapprox approximate "x**2" --eps 1e-3 --domain -2 2 --lipschitz 4
  reluapprox approximate "exp(3*x)" --eps 1e-6 --shifted
  reluapprox approximate "exp(3*x)" --eps 1e-7 --certificate exp.json
  reluapprox approximate "exp(x)" --eps 1e-10 --architecture auto
  reluapprox approximate "sin(x)*cos(y)" --eps 1e-3 --domain 0 1 0 1 --plot f.png

With four numbers A B C D, --domain is the rectangle [A, B] x [C, D] and EXPR an
expression in x and y: the network R^2 -> R represents the piecewise-linear
interpolant on an adaptive triangulation (the plot shows the mesh and |g - f|).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("expr", metavar="EXPR", help="the function g, e.g. 'sin(2*pi*x)'")
    parser.add_argument("--eps", type=float, required=True, help="tolerance, > 0")
    parser.add_argument(
        "--domain",
        nargs="+",
        type=float,
        default=(0.0, 1.0),
        metavar="BOUND",
        help="A B: the interval [A, B] (default 0 1); A B C D: the rectangle [A, B] x [C, D]",
    )
    parser.add_argument(
        "--lipschitz", type=float, metavar="L", help="a Lipschitz constant of g (uniform mesh)"
    )
    parser.add_argument(
        "--mesh",
        choices=("adaptive", "uniform", "anisotropic"),
        default="adaptive",
        help="default: adaptive; anisotropic: rectangles only (long thin triangles)",
    )
    parser.add_argument(
        "--shifted",
        action="store_true",
        help="shift the node values off g: a non-interpolating near-best approximation "
        "with about sqrt(2) fewer neurons on convex/concave pieces (adaptive mesh only)",
    )
    parser.add_argument(
        "--architecture",
        choices=("shallow", "deep", "auto"),
        default="shallow",
        help="shallow (default); deep: a deep network for g analytic on the domain "
        "(Chebyshev polynomial, sawtooth squares); auto: the one with fewer neurons",
    )
    parser.add_argument(
        "--max-neurons",
        type=int,
        default=DEFAULT_MAX_NEURONS,
        metavar="N",
        help=f"give up beyond N neurons (default {DEFAULT_MAX_NEURONS})",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"give up after this many seconds (default {DEFAULT_TIME_LIMIT:g})",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="plot g, f and the error into this PNG file (.png is appended if no suffix)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the result as JSON")
    parser.add_argument(
        "--progress",
        action="store_true",
        help=f"show a progress bar on stderr after {PROGRESS_DELAY:g} s even when stderr "
        "is not a terminal (on a terminal it is shown anyway)",
    )
    parser.add_argument(
        "--certificate",
        type=Path,
        metavar="FILE",
        help="write a certificate file for 'reluapprox check' (expressions only)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status."""
    # Check the output paths first: refuse a bad --plot/--json before a long computation.
    if args.json is not None:
        check_file_path("--json", args.json)
    if args.plot is not None:
        check_plot_path("--plot", args.plot)
    if len(args.domain) not in (2, 4):
        fail("--domain", args.domain, "two numbers A B (an interval) or four A B C D (a rectangle)")
    if args.certificate is not None:
        check_file_path("--certificate", args.certificate)
    progress = ProgressBar(sys.stderr) if args.progress or sys.stderr.isatty() else None
    if len(args.domain) == 4:
        return _run_2d(args, progress)
    try:
        res = approximate(
            args.expr,
            args.eps,
            domain=tuple(args.domain),
            lipschitz=args.lipschitz,
            mesh=args.mesh,
            interpolating=not args.shifted,
            max_neurons=args.max_neurons,
            time_limit=args.time_limit,
            progress=progress,
            architecture=args.architecture,
        )
    finally:
        if progress is not None:
            progress.close()
    print(f"g:         {res.target.description} on [{res.domain[0]:g}, {res.domain[1]:g}]")
    print(f"neurons:   {res.n_neurons}  (depth {res.depth}, {res.n_parameters} parameters)")
    print(f"bound:     {format_up(res.bound)}  (max |g - f| <= bound < eps = {res.eps!r})")
    print(f"certified: {res.certified}")
    torch_errors = ", ".join(f"{k} {format_up(v, 2)}" for k, v in res.torch_float_error.items())
    print(f"float err: net(x) float64 {format_up(res.float_error, 2)}; to_torch() {torch_errors}")
    if res.conditional is not None:
        print(f"condition: {res.conditional}")
    print(f"method:    {res.method}")
    print(f"time:      {res.seconds:.2f} s")
    if args.json is not None:
        print(f"wrote {write_json('--json', args.json, res.to_dict())}")
    if args.certificate is not None:
        print(f"wrote {write_json('--certificate', args.certificate, res.to_certificate())}")
    if args.plot is not None:
        path = write_plot("--plot", args.plot, lambda out: plot_approximation(res, out))
        print(f"wrote {path}")
    return 0


def _run_2d(args: argparse.Namespace, progress: ProgressBar | None) -> int:
    if args.lipschitz is not None or args.shifted:
        fail("--domain", args.domain, "an interval A B with --lipschitz or --shifted")
    if args.architecture == "deep" and args.plot is not None:
        fail("--plot", args.plot, "no --plot with --architecture deep on a rectangle (no mesh)")
    a, b, c, d = args.domain
    try:
        res = approximate(
            args.expr,
            args.eps,
            domain=((a, b), (c, d)),
            mesh=args.mesh,
            max_neurons=args.max_neurons,
            time_limit=args.time_limit,
            progress=progress,
            architecture=args.architecture,
        )
    finally:
        if progress is not None:
            sys.stderr.write("\r" + " " * 50 + "\r")
    print(f"g:         {res.expr} on [{a:g}, {b:g}] x [{c:g}, {d:g}]")
    if isinstance(res, Approximation2D):
        print(f"triangles: {res.n_triangles} ({len(res.vertices)} vertices)")
    elif args.plot is not None:  # a deep network for a polynomial: there is no mesh
        fail("--plot", args.plot, "no --plot with a deep 2-D network (there is no mesh)")
    print(f"neurons:   {res.n_neurons} (widths {'-'.join(map(str, res.network.widths))})")
    print(f"bound:     {res.bound:.6g}  (max |g - f| <= bound < eps = {res.eps:g})")
    print(f"certified: {res.certified}")
    print(f"method:    {res.method}")
    print(f"time:      {res.seconds:.2f} s")
    if args.json is not None:
        print(f"wrote {write_json('--json', args.json, res.to_dict())}")
    if args.plot is not None and isinstance(res, Approximation2D):
        path = write_plot("--plot", args.plot, lambda out: plot_approximation_2d(res, out))
        print(f"wrote {path}")
    return 0
