"""Tests of benchmarks/bench_2d.py (the adaptive vs uniform triangulation benchmark)."""

from __future__ import annotations

import math

from reluapprox.approximation2d import parse_target_2d
from tests._benchmarks import load_benchmark

bench = load_benchmark("bench_2d")


def test_optimal_count_of_xy() -> None:
    """|det D^2(xy)| = 1, so N_opt = C / eps * area."""
    count = bench.optimal_count(parse_target_2d("x*y"), ((0.0, 1.0), (0.0, 2.0)), 1e-2)
    assert math.isclose(count, 2 / (3 * math.sqrt(3)) * 2 / 1e-2, rel_tol=1e-9)
    assert bench.optimal_count(parse_target_2d("exp(x + y)"), ((0.0, 1.0), (0.0, 1.0)), 1e-2) == 0


def test_rows() -> None:
    # x*y has a constant Hessian: the adaptive mesh is the uniform one
    row = bench.run_case(
        "xy", "x*y", ((0.0, 1.0), (0.0, 1.0)), 1e-2, network_cap=10**4, uniform_cap=10**4
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == cells[6] == "64"
    assert cells[7] == "1.0"
    # the cone: the uniform count is the proved lower bound, far above the adaptive one
    row = bench.run_case(
        "cone", "sqrt(x**2 + y**2)", ((-1.0, 1.0), (-1.0, 1.0)), 1e-1, network_cap=0, uniform_cap=10
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[3] == "not built"
    assert cells[6].startswith(">= ")
    assert int(cells[6][3:]) > 5 * int(cells[2])
