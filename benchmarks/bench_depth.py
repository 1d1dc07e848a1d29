"""Benchmark: depth beats width. Hidden neurons against eps, shallow and deep.

For x^2 and x*y on the unit interval/square, exp(x) and sin(2 pi x) on [0, 1] and
the degree-10 Chebyshev polynomial T_10 on [-1, 1], and eps = 1e-3 .. 1e-10:

- ``N*``: the shallow optimum of interpolating piecewise-linear approximation,
  ``int sqrt|g''| dx / sqrt(8 eps)`` (formula, mpmath quadrature); for x*y the
  ridge sum ``((x+y)^2 - (x-y)^2)/4`` of two optimal shallow squares (whose
  one-signed errors cancel), ``2 / (2 sqrt(eps))``;
- ``shallow`` (the baseline, measured in the same run): neurons of
  ``approximate(g, eps)`` (for x*y twice the shallow x^2), run only where ``N*`` is
  at most ``--shallow-cap`` (larger entries are the formula ``N*``, marked ``≈``);
- ``Yarotsky``: his sawtooth network, ``3 m - 1`` neurons for x^2 with
  ``2^(-2m-2) < eps`` and ``2 * 3 m`` for x*y (formula; his bounds for the other
  functions have no explicit constants: ``-``);
- ``deep``: our certified deep network (``approximate(g, eps,
  architecture="deep")``, :func:`reluapprox.deep.multiply` for x*y), with its depth;
- ``lower``: the piece-counting lower bound ``ceil(log2 P)``: a network
  ``R -> R`` with hidden widths ``n_i`` has at most ``prod(n_i + 1) <= 2^(sum n_i)``
  linear pieces, and about ``P = int sqrt|g''| / (4 sqrt(eps))`` pieces are needed
  (the asymptotic free-knot optimum, an estimate); x*y restricted to the diagonal is
  x^2, so the bound of x^2 applies;
- ``auto``: ``approximate(g, eps, architecture="auto")``, with ``shallow / auto``.

Usage::

    python benchmarks/bench_depth.py [--out table.md] [--figure depth.png]
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import mpmath
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reluapprox.approximation import approximate
from reluapprox.deep import multiply, plot_neuron_counts
from reluapprox.expr import SYMBOL, parse_expression

T10 = "512*x**10 - 1280*x**8 + 1120*x**6 - 400*x**4 + 50*x**2 - 1"

#: ``(name, expression or None for x*y, domain)``
FUNCTIONS: tuple[tuple[str, str | None, tuple[float, float]], ...] = (
    ("x²", "x**2", (0.0, 1.0)),
    ("x·y", None, (0.0, 1.0)),
    ("exp(x)", "exp(x)", (0.0, 1.0)),
    ("T₁₀ (degree 10)", T10, (-1.0, 1.0)),
    ("sin(2πx)", "sin(2*pi*x)", (0.0, 1.0)),
)

EPS = tuple(10.0**-k for k in range(3, 11))


def curvature_integral(text: str, domain: tuple[float, float]) -> float:
    """``int sqrt|g''| dx`` by mpmath quadrature on 64 subintervals."""
    second = sp.lambdify(SYMBOL, sp.diff(parse_expression(text), SYMBOL, 2), modules="mpmath")
    a, b = domain
    points = [a + (b - a) * k / 64 for k in range(65)]
    with mpmath.workdps(20):
        return float(mpmath.quad(lambda t: mpmath.sqrt(abs(second(t))), points))


def yarotsky_m(eps: float) -> int:
    m = 1
    while 2.0 ** (-2 * m - 2) >= eps:
        m += 1
    return m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eps", type=float, nargs="+", default=list(EPS))
    parser.add_argument("--shallow-cap", type=int, default=20_000)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--figure", type=Path, help="write the log-log figure to this PNG")
    args = parser.parse_args(argv)
    lines = [
        f"Measured with `python benchmarks/bench_depth.py` (Python "
        f"{platform.python_version()}, mpmath {mpmath.__version__}, {platform.machine()}; "
        f"shallow networks built up to N* = {args.shallow_cap:,}, beyond that ≈ is the "
        "formula N*). Every deep network is certified (bound < eps proved).",
        "",
        "| g | eps | N* (shallow optimum) | shallow (baseline) | Yarotsky | deep (depth) "
        "| lower bound | auto | shallow / auto | deep bound | deep time (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    panels: dict[str, dict[str, list[tuple[float, float]]]] = {}
    square_integral = curvature_integral("x**2", (0.0, 1.0))
    for name, text, domain in FUNCTIONS:
        curves: dict[str, list[tuple[float, float]]] = {
            "N* (shallow optimum)": [],
            "shallow (approximate)": [],
            "Yarotsky": [],
            "deep (ours)": [],
            "piece-counting lower bound": [],
        }
        integral = square_integral if text is None else curvature_integral(text, domain)
        for eps in args.eps:
            star = (2 if text is None else 1) * integral / math.sqrt(8 * eps)
            lower = math.ceil(math.log2(max(2.0, square_integral / (4 * math.sqrt(eps)))))
            if text is not None:
                lower = math.ceil(math.log2(max(2.0, integral / (4 * math.sqrt(eps)))))
            start = time.perf_counter()
            if text is None:
                net = multiply(eps)
                deep_n, depth, bound = net.n_neurons, net.depth, float(net.bound)
            else:
                res = approximate(text, eps, domain=domain, architecture="deep")
                assert res.certified
                deep_n, depth, bound = res.n_neurons, res.depth, res.bound
            seconds = time.perf_counter() - start
            assert bound < eps
            if star <= args.shallow_cap:
                if text is None:
                    shallow_n = 2 * approximate("x**2", eps).n_neurons
                else:
                    shallow_n = approximate(text, eps, domain=domain, time_limit=600).n_neurons
                shallow_text = f"{shallow_n:,}"
                curves["shallow (approximate)"].append((eps, shallow_n))
            else:
                shallow_n = math.ceil(star)
                shallow_text = f"≈ {shallow_n:,}"
            if text is None:
                auto_text, ratio = "-", "-"
            else:
                auto = approximate(text, eps, domain=domain, architecture="auto")
                assert auto.n_neurons <= shallow_n
                auto_text, ratio = f"{auto.n_neurons:,}", f"{shallow_n / auto.n_neurons:,.1f}"
            m = yarotsky_m(eps)
            yarotsky = {"x**2": 3 * m - 1, None: 6 * m}.get(text)
            if yarotsky is not None:
                curves["Yarotsky"].append((eps, yarotsky))
            curves["N* (shallow optimum)"].append((eps, star))
            curves["deep (ours)"].append((eps, deep_n))
            curves["piece-counting lower bound"].append((eps, lower))
            line = (
                f"| {name} | {eps:g} | {star:,.0f} | {shallow_text} | "
                f"{'-' if yarotsky is None else yarotsky} | {deep_n:,} ({depth}) | {lower} | "
                f"{auto_text} | {ratio} | {bound:.3g} | {seconds:.2f} |"
            )
            lines.append(line)
            print(line, flush=True)
        panels[name] = curves
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.figure is not None:
        plot_neuron_counts(
            panels, args.figure, title="hidden neurons against eps: shallow vs deep (log-log)"
        )
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    status = main()
    print(f"\ntotal {time.perf_counter() - start:.0f} s", file=sys.stderr)
    raise SystemExit(status)
