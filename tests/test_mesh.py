"""Tests of reluapprox.mesh: uniform, adaptive (certified) and sampled meshes."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from reluapprox.certify import CellCertifier, ErrorRange, Node
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.expr import SYMBOL, as_target, parse_expression
from reluapprox.mesh import (
    ESTIMATE_SAFETY,
    JUMP_PATIENCE,
    RATIO_CAP,
    SHIFT_FRACTION,
    _jump,
    _JumpSchedule,
    _step_ratio,
    adaptive_mesh,
    certified_uniform_mesh,
    sampled_mesh,
    shifted_mesh,
    uniform_nodes,
    uniform_start,
)

x = SYMBOL


def test_uniform_nodes_are_floats_with_exact_ends() -> None:
    nodes = uniform_nodes(-1.0, 1.0, 3)
    assert nodes[0] == -1.0
    assert nodes[-1] == 1.0
    assert nodes == [-1.0, float(Fraction(-1, 3)), float(Fraction(1, 3)), 1.0]


def test_uniform_nodes_validate() -> None:
    with pytest.raises(InvalidArgument, match="n=0 is invalid"):
        uniform_nodes(0.0, 1.0, 0)
    with pytest.raises(CertificationError, match="too few floats"):
        uniform_nodes(1.0, math.nextafter(1.0, 2.0), 2)


def test_adaptive_mesh_of_exp_is_near_the_optimum() -> None:
    eps = 1e-5
    mesh = adaptive_mesh(CellCertifier(sp.exp(3 * x)), 0.0, 1.0, eps)
    n_star = 2 * (math.exp(1.5) - 1) / math.sqrt(8 * eps)  # int sqrt(9 e^{3x}) / sqrt(8 eps)
    assert n_star <= mesh.n_cells <= 1.02 * n_star
    assert max(mesh.bounds) <= eps
    assert mesh.methods == {"C2": mesh.n_cells}
    assert mesh.nodes[0] == 0.0
    assert mesh.nodes[-1] == 1.0
    assert all(a < b for a, b in zip(mesh.nodes, mesh.nodes[1:], strict=False))


def test_adaptive_mesh_of_a_hoelder_function_uses_oscillation() -> None:
    mesh = adaptive_mesh(CellCertifier(sp.sqrt(x)), 0.0, 1.0, 1e-3)
    assert mesh.methods.get("oscillation", 0) >= 1
    assert max(mesh.bounds) <= 1e-3
    # the first cell is tiny (sqrt(h) ~ eps), the last ones long
    assert mesh.nodes[1] < 1e-5 < mesh.nodes[-1] - mesh.nodes[-2]


def test_adaptive_mesh_of_a_jump_raises() -> None:
    with pytest.raises(CertificationError, match=r"near x=0\.4999"):
        adaptive_mesh(CellCertifier(parse_expression("sign(x - 0.5)")), 0.0, 1.0, 1e-3)


def test_adaptive_mesh_budget() -> None:
    cert = CellCertifier(sp.exp(3 * x))
    with pytest.raises(BudgetExceeded, match="max_neurons=10 was hit"):
        adaptive_mesh(cert, 0.0, 1.0, 1e-6, max_neurons=10)
    with pytest.raises(BudgetExceeded, match=r"time_limit=0\.01 s was hit after covering"):
        adaptive_mesh(cert, 0.0, 1.0, 1e-9, deadline=time.monotonic() + 0.01, time_limit=0.01)


def test_adaptive_mesh_reports_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reluapprox.mesh.PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr("reluapprox.mesh.BUDGET_INTERVAL", 1)
    calls: list[tuple[float, int]] = []
    adaptive_mesh(CellCertifier(x**2), 0.0, 1.0, 1e-3, progress=lambda f, n: calls.append((f, n)))
    assert len(calls) >= 5
    assert all(0 <= f < 1 for f, _ in calls)
    assert [n for _, n in calls] == sorted(n for _, n in calls)


def test_certified_uniform_mesh_of_a_parabola_is_minimal() -> None:
    eps = 1e-4
    mesh = certified_uniform_mesh(CellCertifier(x**2), -2.0, 2.0, eps, start=5)
    # h^2/8 * 2 <= eps: h <= sqrt(4 eps), N = ceil(4 / sqrt(4e-4)) = 200
    assert 200 <= mesh.n_cells <= 210
    assert max(mesh.bounds) <= eps


def test_certified_uniform_mesh_budget() -> None:
    with pytest.raises(BudgetExceeded, match="max_neurons=100 was hit"):
        certified_uniform_mesh(CellCertifier(sp.sqrt(x)), 0.0, 1.0, 1e-3, max_neurons=100)


def test_uniform_start() -> None:
    assert uniform_start(x**2, -2.0, 2.0, 1e-4) == 200
    assert uniform_start(sp.sqrt(x), 0.0, 1.0, 1e-4) == 16
    assert uniform_start(parse_expression("relu(x - 0.5)"), 0.0, 1.0, 1e-4) == 16


def test_sampled_mesh_estimates() -> None:
    target = as_target(lambda v: np.exp(3 * v))
    mesh = sampled_mesh(target, 0.0, 1.0, 1e-4)
    assert mesh.methods == {"sampled": mesh.n_cells}
    assert max(mesh.bounds) < 1e-4
    assert len(mesh.values) == mesh.n_cells + 1
    # the sampled error of the true interpolant is below eps / ESTIMATE_SAFETY
    grid = np.linspace(0, 1, 20001)
    f = np.interp(grid, mesh.nodes, [float(v) for v in mesh.values])
    assert np.abs(np.exp(3 * grid) - f).max() < 1e-4
    assert ESTIMATE_SAFETY > 1


def test_sampled_mesh_of_a_jump_raises() -> None:
    with pytest.raises(CertificationError, match="discontinuous"):
        sampled_mesh(as_target(lambda v: np.sign(v - 0.5)), 0.0, 1.0, 1e-3)


def test_sampled_mesh_budget() -> None:
    with pytest.raises(BudgetExceeded, match="max_neurons=50 was hit"):
        sampled_mesh(as_target(np.sqrt), 0.0, 1.0, 1e-6, max_neurons=50)


def test_shifted_mesh_of_a_parabola() -> None:
    mesh = shifted_mesh(CellCertifier(x**2), 0.0, 1.0, 1e-4)
    # E = h^2/8 * 2 <= 2e-4 (instead of 1e-4): h <= 0.0283, N >= 35.4
    assert mesh.n_cells == 36
    assert max(mesh.bounds) <= 1e-4
    shift = Fraction(1e-4) * SHIFT_FRACTION
    # every node, the first included (g is convex on the whole domain), is lowered by
    # the shift (up to the node radius of the 80-bit enclosure of t**2)
    assert mesh.values[0] == -shift
    for t, y, r in zip(mesh.nodes, mesh.values, mesh.radii, strict=True):
        assert abs(y - (Fraction(t) ** 2 - shift)) <= Fraction(r)


def test_shifted_mesh_through_an_inflection() -> None:
    eps = 1e-5
    mesh = shifted_mesh(CellCertifier(parse_expression("sin(2*pi*x)")), 0.0, 1.0, eps)
    assert max(mesh.bounds) <= eps
    assert mesh.methods.get("unshifted", 0) >= 1
    n_star = 2 * math.pi * 0.7627597635018 / math.sqrt(8 * eps)  # int sqrt|g''| / sqrt(8 eps)
    assert n_star / math.sqrt(2) <= mesh.n_cells <= 1.03 * n_star / math.sqrt(2)


def test_shifted_mesh_of_a_jump_raises() -> None:
    with pytest.raises(CertificationError, match=r"near x=0\.4999"):
        shifted_mesh(CellCertifier(parse_expression("sign(x - 0.5)")), 0.0, 1.0, 1e-3)


@pytest.mark.parametrize(
    ("text", "domain", "eps"),
    [("x**2", (0.0, 5e-324), 1e-3), ("sin(x)", (1.0, math.nextafter(1.0, 2.0)), 1e-20)],
)
def test_one_float_wide_domains(text: str, domain: tuple[float, float], eps: float) -> None:
    cert = CellCertifier(parse_expression(text))
    builds = (adaptive_mesh, shifted_mesh) if eps > 1e-12 else (adaptive_mesh,)
    for build in builds:
        mesh = build(cert, domain[0], domain[1], eps)
        assert mesh.nodes == list(domain)
        assert 0 < mesh.bounds[0] <= eps


def test_the_one_ulp_cell_is_tried_and_the_failure_explained() -> None:
    cert = CellCertifier(parse_expression("sin(x-1)/(x-1)"))
    with pytest.raises(CertificationError, match="overestimate") as info:
        adaptive_mesh(cert, 0.0, 2.0, 1e-3, time_limit=20, deadline=time.monotonic() + 20)
    # the march got within a few floats of the singular point x = 1
    assert "shortest float cell" in str(info.value)
    x = float(str(info.value).split("near x=")[1].split(":")[0])
    assert 1 - x < 1e-14


class _CountingCertifier(CellCertifier):
    """Counts the trials (error ranges) of the shifted march."""

    calls = 0

    def error_range(
        self, left: Node, right: Node, *, expect: int | None = None
    ) -> ErrorRange | None:
        self.calls += 1
        return super().error_range(left, right, expect=expect)


def test_shifted_mesh_of_many_inflections_is_near_optimal_in_few_trials() -> None:
    # tanh(20 sin 12x) changes convexity about 14 times; before the fix of the
    # shifted step a backtrack left half the cells unshifted (1.22 N*/sqrt 2) and the
    # unshifted cells took about 34 trials each (18 per cell on average)
    g = parse_expression("tanh(20*sin(12*x))")
    eps = 1e-5
    second = sp.lambdify(SYMBOL, sp.diff(g, SYMBOL, 2), modules="mpmath")
    with mpmath.workdps(20):
        integral = mpmath.quad(lambda t: mpmath.sqrt(abs(second(t))), [k / 64 for k in range(65)])
    n_star = float(integral) / math.sqrt(8 * eps)
    cert = _CountingCertifier(g)
    mesh = shifted_mesh(cert, 0.0, 1.0, eps)
    assert max(mesh.bounds) <= eps
    assert n_star / math.sqrt(2) <= mesh.n_cells <= 1.06 * n_star / math.sqrt(2)
    assert cert.calls <= 2 * mesh.n_cells
    # about two unshifted nodes per change of convexity, all others shifted by ~eps
    plain = CellCertifier(g)
    unshifted = sum(
        1
        for t, y in zip(mesh.nodes, mesh.values, strict=True)
        if abs(y - plain.node(t).fraction) < Fraction(eps) / 2
    )
    assert unshifted <= 40


def test_shifted_step_ratio_meets_the_binding_constraint() -> None:
    # a convex cell with g - chord in [-E, 0] from shift -S to -S: E may grow to t + S
    assert _step_ratio(-1.0, 0.0, -0.5, -0.5, 1.0) == 1.5
    # an unshifted cell (shifts 0): E may grow to t
    assert _step_ratio(-0.5, 0.0, 0.0, 0.0, 1.0) == 2.0
    # a mixed-sign cell from -S to 0: the upper constraint hi + S <= t binds
    assert _step_ratio(-0.1, 0.25, -0.5, 0.0, 1.0) == 2.0
    assert _step_ratio(0.0, 0.0, 0.0, 0.0, 1.0) == float(RATIO_CAP)


def test_the_jump_probe_backs_off_after_failures_and_returns_where_cells_shrink() -> None:
    schedule = _JumpSchedule()
    probes = []
    for _ in range(60):
        due = schedule.due(1.0)
        probes.append(due)
        if due:
            schedule.record(success=False)
    assert all(probes[:JUMP_PATIENCE])
    assert sum(probes) < 20  # then every 2, 4, 8, 16 cells
    assert schedule.due(0.25)  # a cell much shorter than the last: probe again
    schedule.record(success=True)
    assert schedule.due(0.25)


def test_the_jump_past_a_singular_point_is_refined_by_bisection() -> None:
    # |x sin(1/x)| <= x: the range on [0, L] has width ~2L, so the jump from 0 may
    # reach L ~ 0.45 eps; doubling alone lands anywhere in [L/2, L]
    cert = CellCertifier(parse_expression("x*sin(1/x)"))
    found = _jump(cert, cert.node(0.0), 1e-6, 1.0, 1e-3)
    assert found is not None
    assert 0.9 * 0.45e-3 <= found[0].x <= 0.5e-3
