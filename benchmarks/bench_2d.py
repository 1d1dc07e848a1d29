"""Benchmark of ``approximate(g(x, y), eps)``: the anisotropic triangulation vs a uniform one.

For each function ``g`` on its rectangle and tolerance ``eps`` it measures

- ``anisotropic``: triangles, time and (where the network is built, up to
  ``--network-cap`` triangles) hidden neurons of the certified anisotropic mesh
  (:func:`reluapprox.approximation2d.certified_triangulation` with
  ``mesh="anisotropic"``: longest-edge bisection in the order of the curvature
  ``|e^T D^2 g e|`` along each edge, certified per triangle by the smallest of the
  edge-form, C^2 and oscillation bounds);
- ``uniform`` (the baseline): the triangles of the coarsest *uniform* newest-vertex
  bisection mesh (all triangles of one level ``L``, ``2**(L + 1)`` of them) certified by
  the *same* per-triangle bound (``edge_bound=True``). Where it has at most
  ``--uniform-cap`` triangles it is measured (``mesh="uniform"``); otherwise the proved
  lower bound ``2**(L + 1)`` is shown as ``>= N``, with ``L`` the first level at which
  the level-``L`` triangles containing a 17 x 17 grid of probe points all pass: at every
  lower level one of them, a triangle of that uniform mesh, misses ``eps``
  (:func:`uniform_lower_bound`);
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
from fractions import Fraction
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit

from reluapprox.approximation2d import EPS_MARGIN, certified_triangulation, parse_target_2d
from reluapprox.certify2d import Node2D, TriangleCertifier
from reluapprox.cpwl import cpwl_network
from reluapprox.expr import SYMBOL, SYMBOL_Y
from reluapprox.triangulation import Point

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


Triangle = tuple[Point, Point, Point]


def _contains(tri: Triangle, p: Point) -> bool:
    (x0, y0), (x1, y1), (x2, y2) = tri
    det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    l1 = ((p[0] - x0) * (y2 - y0) - (x2 - x0) * (p[1] - y0)) / det
    l2 = ((x1 - x0) * (p[1] - y0) - (p[0] - x0) * (y1 - y0)) / det
    return l1 >= 0 and l2 >= 0 and l1 + l2 <= 1


def _children(tri: Triangle) -> tuple[Triangle, Triangle]:
    """The newest-vertex bisection of ``(apex, p, q)`` (refinement edge ``p q``)."""
    apex, p, q = tri
    m = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    return (m, apex, p), (m, q, apex)


def uniform_lower_bound(
    expr: sp.Expr,
    rectangle: tuple[tuple[float, float], tuple[float, float]],
    eps: float,
    *,
    probes: int = 17,
    max_level: int = 60,
) -> int:
    """The first level ``L`` at which the level-``L`` triangles of the uniform newest-vertex
    mesh that contain the probe points all pass the bound; the uniform mesh certified by
    the same bound has at least ``2**(L + 1)`` triangles."""
    (a, b), (c, d) = ((Fraction(lo), Fraction(hi)) for lo, hi in rectangle)
    corners = [(a, c), (b, c), (b, d), (a, d)]
    initial = ((corners[1], corners[2], corners[0]), (corners[3], corners[0], corners[2]))
    certifier = TriangleCertifier(expr)
    tau = eps * (1 - EPS_MARGIN)
    nodes: dict[Point, Node2D] = {}

    def passes(tri: Triangle) -> bool:
        for p in tri:
            if p not in nodes:
                nodes[p] = certifier.node(*p)
        values = [nodes[p] for p in tri]
        value, _ = certifier.triangle_bound(tri, values, target=tau, anisotropic=True)
        return value is not None and value <= tau

    points = [
        (a + (b - a) * i / (probes - 1), c + (d - c) * j / (probes - 1))
        for i in range(probes)
        for j in range(probes)
    ]
    current = {p: next(t for t in initial if _contains(t, p)) for p in points}
    for level in range(max_level + 1):
        if all(passes(t) for t in set(current.values())):
            return level
        current = {p: next(s for s in _children(t) if _contains(s, p)) for p, t in current.items()}
    return max_level


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
        expr, eps, rectangle=rectangle, mesh="anisotropic", max_triangles=10**8
    )
    seconds = time.perf_counter() - start
    n = len(built.triangles)
    neurons = "not built"
    if n <= network_cap:
        net = cpwl_network(built.vertices, built.triangles, built.values)
        neurons = f"{net.n_neurons} (depth {net.depth})"
    lower = 2 ** (uniform_lower_bound(expr, rectangle, eps) + 1)
    if lower <= uniform_cap:
        uniform = certified_triangulation(
            expr,
            eps,
            rectangle=rectangle,
            mesh="uniform",
            max_triangles=4 * uniform_cap,
            edge_bound=True,
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
        "| g | eps | anisotropic triangles | anisotropic neurons | bound | seconds | "
        "uniform triangles (same bound) | uniform / anisotropic | N_opt (anisotropic) |",
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
