"""Benchmark of ``approximate``: neurons vs N* and the uniform mesh, and time vs the kernel.

For each test function and tolerance ``eps`` it measures, in one run,

- ``adaptive``: neurons, certified bound and time (the median CPU time of 5 calls) of
  ``approximate(g, eps)``;
- ``N*``: the equidistribution optimum ``int sqrt|g''| dx / sqrt(8 eps)`` (mpmath
  quadrature; infinite for ``x sin(1/x)``);
- ``shifted``: neurons of ``approximate(g, eps, interpolating=False)`` (node values
  shifted off ``g``, the non-interpolating near-best variant), also certified, their
  ratio to ``N*/sqrt 2`` (its optimum), and its time per neuron (median) over
  the adaptive mode's;
- ``uniform`` (the neuron baseline): neurons of ``approximate(g, eps,
  mesh="uniform")``, the fewest uniform cells that certify, capped at
  ``--uniform-cap`` neurons (shown as ``> cap`` when the cap is hit);
- ``kernel`` (the time baseline): the time of enclosing ``g`` at the right node and
  ``g, g', g''`` on every final cell once with the Arb kernel
  (:class:`~reluapprox.arbkernel.ArbKernel` ``value`` and ``jet``, median): the
  arithmetic any certificate of this mesh needs; ``time / kernel`` is the cost of
  everything else (the search, the fallbacks, the network);

and prints a markdown table. Rows whose adaptive mesh would take more than a few
minutes are skipped and listed (``x sin(1/x)`` needs about ``1/eps`` neurons).

Usage::

    python benchmarks/bench_approximate.py [--eps 1e-2 1e-3 ...] [--out table.md]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flint
import mpmath
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reluapprox.approximation import Approximation, approximate
from reluapprox.arbkernel import ArbKernel
from reluapprox.errors import BudgetExceeded
from reluapprox.expr import SYMBOL, parse_expression

#: ``(name, expression, domain, breakpoints for the quadrature, smallest eps run)``
FUNCTIONS = (
    ("exp(3x)", "exp(3*x)", (0.0, 1.0), (), 1e-7),
    ("sin(2πx)", "sin(2*pi*x)", (0.0, 1.0), (0.5,), 1e-7),
    ("Runge 1/(1+25x²)", "1/(1 + 25*x**2)", (-1.0, 1.0), (0.0,), 1e-7),
    ("x² on [-2, 2]", "x**2", (-2.0, 2.0), (), 1e-7),
    ("sqrt(x)", "sqrt(x)", (0.0, 1.0), (), 1e-7),
    ("abs(x - 1/3)^0.7", "abs(x - 1/3)**0.7", (0.0, 1.0), (1 / 3,), 1e-7),
    ("tanh(20 sin 12x)", "tanh(20*sin(12*x))", (0.0, 1.0), (), 1e-7),
    ("x sin(1/x)", "x*sin(1/x)", (0.0, 1.0), (), 1e-4),
)

EPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)


def n_star(text: str, domain: tuple[float, float], breaks: tuple[float, ...], eps: float) -> float:
    """``int sqrt|g''| / sqrt(8 eps)`` by mpmath quadrature (``inf`` if it diverges)."""
    if text == "x*sin(1/x)":
        return math.inf  # sqrt|g''| ~ x^(-3/2) near 0
    # Away from the isolated kinks the delta terms of g'' vanish.
    d2 = sp.diff(parse_expression(text), SYMBOL, 2).replace(sp.DiracDelta, lambda *args: 0)
    second = sp.lambdify(SYMBOL, d2, modules="mpmath")
    a, b = domain
    points = sorted({a, b, *breaks, *(a + (b - a) * k / 64 for k in range(1, 64))})
    with mpmath.workdps(20):
        integral = mpmath.quad(lambda t: mpmath.sqrt(abs(second(t))), points)
    return float(integral) / math.sqrt(8 * eps)


#: Calls per timing; the median is reported.
REPEATS = 5


def _median(run: Callable[[], Any]) -> tuple[float, Any]:
    """Median CPU time of :data:`REPEATS` calls and the last result.

    CPU time of this process (``time.process_time``), not wall time: on a shared
    machine the wall time of a call also counts the time other processes held the
    cores, which varies from call to call.
    """
    times, result = [], None
    for _ in range(REPEATS):
        start = time.process_time()
        result = run()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def kernel_seconds(res: Approximation) -> float:
    """Median time of one Arb ``value`` (right node) and ``jet`` (cell) per final cell."""
    assert res.target.expr is not None
    kernel = ArbKernel(res.target.expr)
    nodes = res.nodes

    def run() -> None:
        with kernel.precision():
            for i in range(len(nodes) - 1):
                kernel.value(nodes[i + 1])
                kernel.jet(nodes[i], nodes[i + 1])

    return _median(run)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eps", type=float, nargs="+", default=list(EPS))
    parser.add_argument("--uniform-cap", type=int, default=20_000)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    lines = [
        f"Measured with `python benchmarks/bench_approximate.py` (Python "
        f"{platform.python_version()}, mpmath {mpmath.__version__}, python-flint "
        f"{flint.__version__}, {platform.machine()}; uniform meshes capped at "
        f"{args.uniform_cap:,} neurons; times are CPU times of the process, medians of "
        f"{REPEATS} in one run).",
        "",
        "| g | eps | adaptive neurons | N* | adaptive / N* | uniform neurons (baseline) "
        "| uniform / adaptive | shifted neurons | shifted / (N*/√2) | certified "
        "| adaptive time (s) | µs per neuron | time / kernel "
        "| shifted / adaptive time per neuron |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    skipped = []
    print("\n".join(lines), flush=True)
    for name, text, domain, breaks, smallest in FUNCTIONS:
        for eps in args.eps:
            if eps < smallest:
                skipped.append(f"{name} at eps = {eps:g}")
                continue
            approximate(text, eps, domain=domain, time_limit=600)  # warm-up (sympy caches)
            seconds, res = _median(lambda: approximate(text, eps, domain=domain, time_limit=600))  # noqa: B023
            kernel = kernel_seconds(res)
            star = n_star(text, domain, breaks, eps)
            shifted_seconds, shifted = _median(
                lambda: approximate(text, eps, domain=domain, interpolating=False, time_limit=600)  # noqa: B023
            )
            assert shifted.certified
            assert res.certified
            try:
                uniform = approximate(
                    text, eps, domain=domain, mesh="uniform", max_neurons=args.uniform_cap
                )
                n_uniform = f"{uniform.n_neurons:,}"
                ratio_uniform = f"{uniform.n_neurons / res.n_neurons:.2f}"
            except BudgetExceeded:
                n_uniform = f"> {args.uniform_cap:,}"
                ratio_uniform = f"> {args.uniform_cap / res.n_neurons:.1f}"
            star_text = "∞" if math.isinf(star) else f"{star:,.0f}"
            ratio_star = "-" if math.isinf(star) else f"{res.n_neurons / star:.3f}"
            ratio_shifted = (
                "-" if math.isinf(star) else f"{shifted.n_neurons / (star / math.sqrt(2)):.3f}"
            )
            per_neuron = seconds / res.n_neurons
            shifted_per_neuron = shifted_seconds / shifted.n_neurons
            line = (
                f"| {name} | {eps:g} | {res.n_neurons:,} | {star_text} | {ratio_star} | "
                f"{n_uniform} | {ratio_uniform} | {shifted.n_neurons:,} | {ratio_shifted} | "
                f"{'yes' if res.certified else 'no'} | {seconds:.3f} | {1e6 * per_neuron:.0f} | "
                f"{seconds / kernel:.2f} | {shifted_per_neuron / per_neuron:.2f} |"
            )
            lines.append(line)
            print(line, flush=True)
    if skipped:
        note = (
            "\nNot run (the adaptive mesh would need about 1/eps neurons and minutes): "
            + ", ".join(skipped)
            + "."
        )
        lines.append(note)
        print(note)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    status = main()
    print(f"\ntotal {time.perf_counter() - start:.0f} s", file=sys.stderr)
    raise SystemExit(status)
