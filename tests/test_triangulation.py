"""Tests of newest-vertex bisection (reluapprox.triangulation) and of the triangle bounds
(reluapprox.certify2d)."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction as F

import pytest
import sympy as sp

from reluapprox.certify2d import TriangleCertifier, enclosing_radius_squared
from reluapprox.expr import SYMBOL as X
from reluapprox.expr import SYMBOL_Y as Y
from reluapprox.triangulation import Triangulation


def _area(mesh: Triangulation, t: int) -> F:
    (x0, y0), (x1, y1), (x2, y2) = mesh.points(t)
    return abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)) / 2


def _assert_conforming(mesh: Triangulation, width: F, height: F) -> None:
    edges: Counter[tuple[int, int]] = Counter()
    for tri in mesh.triangles.values():
        for i, j in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[0], tri[2])):
            edges[(min(i, j), max(i, j))] += 1
    assert set(edges.values()) <= {1, 2}
    perimeter = F(0)
    for (i, j), count in edges.items():
        (x1, y1), (x2, y2) = mesh.vertices[i], mesh.vertices[j]
        boundary = (x1 == x2 and x1 in (0, width)) or (y1 == y2 and y1 in (0, height))
        assert count == (1 if boundary else 2), ((x1, y1), (x2, y2), count)
        perimeter += abs(x2 - x1) + abs(y2 - y1) if boundary else 0
    # the boundary is covered once, without gaps or overlaps, and the area exactly
    assert perimeter == 2 * (width + height)
    assert sum(_area(mesh, t) for t in mesh.triangles) == width * height
    # no hanging nodes: no vertex lies inside an edge (brute force, exact)
    for i, j in edges:
        (x1, y1), (x2, y2) = mesh.vertices[i], mesh.vertices[j]
        for k, (x, y) in enumerate(mesh.vertices):
            if k not in (i, j) and (x - x1) * (y2 - y1) == (y - y1) * (x2 - x1):
                assert not (min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bisections_stay_conforming(seed: int) -> None:
    rng = random.Random(seed)
    mesh = Triangulation((F(0), F(3)), (F(0), F(2)))
    for _ in range(150):
        mesh.bisect(rng.choice(sorted(mesh.triangles)))
    _assert_conforming(mesh, F(3), F(2))
    levels = set(mesh.level.values())
    assert max(levels) - min(levels) >= 2  # really local refinement


def test_bisecting_every_triangle_gives_one_level() -> None:
    mesh = Triangulation((F(0), F(1)), (F(0), F(1)))
    for _ in range(6):
        for t in sorted(mesh.triangles):
            if t in mesh.triangles:
                mesh.bisect(t)
    assert set(mesh.level.values()) == {6}
    assert len(mesh.triangles) == 2**7
    _assert_conforming(mesh, F(1), F(1))


def test_enclosing_radius() -> None:
    assert enclosing_radius_squared([(F(0), F(0)), (F(2), F(0)), (F(1), F(2))]) == F(25, 16)
    assert enclosing_radius_squared([(F(0), F(0)), (F(4), F(0)), (F(2), F(1))]) == 4
    assert enclosing_radius_squared([(F(0), F(0)), (F(2), F(0)), (F(0), F(2))]) == 2


def test_hessian_norm_bound_is_the_spectral_norm() -> None:
    # x^2 - 3y^2 + xy: Hessian [[2, 1], [1, -6]], eigenvalues -2 +- sqrt(17): norm 2 + sqrt 17
    cert = TriangleCertifier(X**2 - 3 * Y**2 + X * Y)
    m = cert.hessian_norm_bound([(F(0), F(0)), (F(1), F(0)), (F(0), F(1))])
    assert m is not None
    assert 2 + 17**0.5 <= float(m) < 2 + 17**0.5 + 1e-15
    assert (
        TriangleCertifier(sp.Abs(X - Y)).hessian_norm_bound(
            [(F(0), F(0)), (F(1), F(0)), (F(0), F(1))]
        )
        is None
    )  # not smooth on the box


def test_triangle_bound_holds_at_sampled_points() -> None:
    g = sp.sin(3 * X) * sp.exp(Y)
    cert = TriangleCertifier(g)
    tri = [(F(1, 4), F(0)), (F(1, 2), F(1, 4)), (F(1, 4), F(1, 2))]
    nodes = [cert.node(*p) for p in tri]
    bound, how = cert.triangle_bound(tri, nodes)
    assert how == "C2"
    assert bound is not None
    values = [n.fraction for n in nodes]
    worst = 0.0
    for i in range(21):
        for j in range(21 - i):
            l1, l2 = F(i, 20), F(j, 20)
            px = tri[0][0] + l1 * (tri[1][0] - tri[0][0]) + l2 * (tri[2][0] - tri[0][0])
            py = tri[0][1] + l1 * (tri[1][1] - tri[0][1]) + l2 * (tri[2][1] - tri[0][1])
            f = values[0] + l1 * (values[1] - values[0]) + l2 * (values[2] - values[0])
            worst = max(worst, abs(float(g.subs({X: px, Y: py}).evalf(30) - f)))
    assert 0 < worst <= bound
    assert bound < 6 * worst  # and not wildly pessimistic (measured: 4.5 times)
