"""Benchmark of ``approximate(g(x, y), eps)``: the adaptive triangulation vs a uniform one.

For each function ``g`` on its rectangle and tolerance ``eps`` it measures

- ``adaptive``: triangles, time and (where the network is built, up to
  ``--network-cap`` triangles) hidden neurons of the certified adaptive mesh
  (:func:`reluapprox.approximation2d.certified_triangulation`, newest-vertex
  bisection driven by the proved per-triangle bound);
- ``uniform`` (the baseline): the triangles of the coarsest *uniform* bisection mesh
  (all triangles of one level ``L``, ``2**(L + 1)`` of them) certified by the same
  per-triangle bound. Where ``2**(L_max + 1)`` is at most ``--uniform-cap`` it is
  measured (``mesh="uniform"``); otherwise the proved lower bound ``2**(L_max + 1)``
  is shown as ``>= N``: the adaptive mesh's deepest triangle (level ``L_max``) was
  bisected from a level ``L_max - 1`` triangle, which was bisected because it, or a
  triangle of level ``>= L_max - 1`` whose bisection forced it, missed the bound,
  and the uniform mesh of level ``L_max - 1`` contains that triangle (the bound of a
  triangle depends only on the triangle);
- ``N_opt``: the asymptotic count of optimally shaped (anisotropic) linear elements,
  ``C / eps * int sqrt|det D^2 g|`` with ``C = 2 / (3 sqrt 3) = 0.385`` (the
  constant of equilateral triangles in the metric of a definite Hessian: for
  ``g = |x|^2`` the error on an equilateral triangle of side ``s`` is ``s^2 / 3``),
  the integral by the midpoint rule on a 400 x 400 grid (an estimate).

Usage::

    python benchmarks/bench_2d.py [--out table.md] [--quick]
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit

from reluapprox.approximation2d import certified_triangulation, parse_target_2d
from reluapprox.cpwl import cpwl_network
from reluapprox.expr import SYMBOL, SYMBOL_Y

#: ``(name, expression, rectangle, eps)``; the last rows are skipped with ``--quick``.
CASES = (
    ("sin(πx) cos(πy)", "sin(pi*x)*cos(pi*y)", ((0.0, 1.0), (0.0, 1.0)), 1e-3),
    ("cone sqrt(x²+y²)", "sqrt(x**2 + y**2)", ((-1.0, 1.0), (-1.0, 1.0)), 1e-3),
    ("abs(x - y)", "abs(x - y)", ((0.0, 1.0), (0.0, 1.0)), 1e-3),
    ("exp(x + y)", "exp(x + y)", ((0.0, 1.0), (0.0, 1.0)), 1e-4),
    ("exp(x + y)", "exp(x + y)", ((0.0, 1.0), (0.0, 1.0)), 1e-5),
)

#: The constant of the asymptotic count of optimal anisotropic elements.
C_OPT = 2 / (3 * math.sqrt(3))


def optimal_count(expr: sp.Expr, rectangle: tuple[tuple[float, float], ...], eps: float) -> float:
    """``C_OPT / eps * int sqrt|det D^2 g|`` (midpoint rule, 400 x 400 cells)."""
    x, y = SYMBOL, SYMBOL_Y
    det = sp.diff(expr, x, 2) * sp.diff(expr, y, 2) - sp.diff(expr, x, y) ** 2
    f = sp.lambdify((x, y), det, modules="numpy")
    (a, b), (c, d) = rectangle
    n = 400
    xs = a + (b - a) * (np.arange(n) + 0.5) / n
    ys = c + (d - c) * (np.arange(n) + 0.5) / n
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        values = np.abs(np.asarray(f(gx, gy) + 0.0 * gx, dtype=np.float64))
    integral = float(np.nansum(np.sqrt(values))) * (b - a) * (d - c) / n**2
    return C_OPT * integral / eps


def run_case(
    name: str,
    text: str,
    rectangle: tuple[tuple[float, float], tuple[float, float]],
    eps: float,
    *,
    network_cap: int,
    uniform_cap: int,
) -> str:
    expr = parse_target_2d(text)
    start = time.perf_counter()
    built = certified_triangulation(
        expr, eps, rectangle=rectangle, mesh="adaptive", max_triangles=10**8
    )
    seconds = time.perf_counter() - start
    n = len(built.triangles)
    neurons = "not built"
    if n <= network_cap:
        net = cpwl_network(built.vertices, built.triangles, built.values)
        neurons = f"{net.n_neurons} (depth {net.depth})"
    deepest = max(built.levels)
    lower = 2 ** (deepest + 1)
    if lower <= uniform_cap:
        uniform = certified_triangulation(
            expr, eps, rectangle=rectangle, mesh="uniform", max_triangles=4 * uniform_cap
        )
        uniform_count = str(len(uniform.triangles))
        ratio = f"{len(uniform.triangles) / n:.1f}"
    else:
        uniform_count = f">= {lower}"
        ratio = f">= {lower / n:.1f}"
    opt = optimal_count(expr, rectangle, eps)
    return (
        f"| {name} | {eps:g} | {n} | {neurons} | {max(built.bounds):.3g} | {seconds:.1f} | "
        f"{uniform_count} | {ratio} | {opt:.3g} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--quick", action="store_true", help="skip the last two rows")
    parser.add_argument("--network-cap", type=int, default=60_000)
    parser.add_argument("--uniform-cap", type=int, default=40_000)
    args = parser.parse_args(argv)
    cases = CASES[:-2] if args.quick else CASES
    lines = [
        "| g | eps | adaptive triangles | adaptive neurons | bound | seconds | "
        "uniform triangles (same bound) | uniform / adaptive | N_opt (anisotropic) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, text, rectangle, eps in cases:
        lines.append(
            run_case(
                name,
                text,
                rectangle,
                eps,
                network_cap=args.network_cap,
                uniform_cap=args.uniform_cap,
            )
        )
        print(lines[-1], flush=True)
    lines.append("")
    lines.append(f"Python {platform.python_version()} on {platform.machine()}.")
    emit("\n".join(lines), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
