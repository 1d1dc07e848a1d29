"""Tests of benchmarks/bench_2d.py (the anisotropic vs uniform triangulation benchmark)."""

from __future__ import annotations

import math

from reluapprox.approximation2d import certified_triangulation, parse_target_2d
from tests._benchmarks import load_benchmark

bench = load_benchmark("bench_2d")


def test_optimal_count_of_xy() -> None:
    """|det D^2(xy)| = 1, so N_opt = C / eps * area."""
    count = bench.optimal_count(parse_target_2d("x*y"), ((0.0, 1.0), (0.0, 2.0)), 1e-2)
    assert math.isclose(count, 2 / (3 * math.sqrt(3)) * 2 / 1e-2, rel_tol=1e-9)
    assert bench.optimal_count(parse_target_2d("exp(x + y)"), ((0.0, 1.0), (0.0, 1.0)), 1e-2) == 0


def test_uniform_lower_bound_is_the_uniform_level_for_xy() -> None:
    """x*y has a constant Hessian: every triangle of a level has the same bound, so the
    probes find the level of the certified uniform mesh itself."""
    square = ((0.0, 1.0), (0.0, 1.0))
    expr = parse_target_2d("x*y")
    level = bench.uniform_lower_bound(expr, square, 1e-2)
    uniform = certified_triangulation(
        expr, 1e-2, rectangle=square, mesh="uniform", max_triangles=10**4, edge_bound=True
    )
    assert 2 ** (level + 1) == len(uniform.triangles)


def test_rows() -> None:
    row = bench.run_case(
        "exp", "exp(x + y)", ((0.0, 1.0), (0.0, 1.0)), 1e-2, network_cap=10**4, uniform_cap=10**4
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert int(cells[6]) > int(cells[2])  # measured: the uniform mesh is larger
    assert float(cells[7]) == round(int(cells[6]) / int(cells[2]), 1)
    # the cone: the uniform count is the proved lower bound, far above the anisotropic one
    row = bench.run_case(
        "cone", "sqrt(x**2 + y**2)", ((-1.0, 1.0), (-1.0, 1.0)), 1e-1, network_cap=0, uniform_cap=10
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[3] == "not built"
    assert cells[6].startswith(">= ")
    assert int(cells[6][3:]) > 5 * int(cells[2])
