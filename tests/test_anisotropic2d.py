"""Tests of the anisotropic mesh and the edge-form bound (mesh="anisotropic")."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from reluapprox.approximation2d import approximate_2d, max_error_mp_2d
from reluapprox.certify2d import TriangleCertifier, simplex_max
from reluapprox.expr import SYMBOL as X
from reluapprox.expr import SYMBOL_Y as Y
from reluapprox.triangulation import EdgeMesh

F = Fraction


def _grid_max(c: list[Fraction], n: int = 60) -> Fraction:
    best = Fraction(0)
    for i in range(n + 1):
        for j in range(n + 1 - i):
            l0, l1 = Fraction(i, n), Fraction(j, n)
            l2 = 1 - l0 - l1
            best = max(best, c[0] * l0 * l1 + c[1] * l0 * l2 + c[2] * l1 * l2)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_simplex_max_is_the_maximum(seed: int) -> None:
    rng = random.Random(seed)
    c = [Fraction(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(3)]
    exact = simplex_max(c)
    sampled = _grid_max(c)
    assert sampled <= exact  # an upper bound of every value ...
    assert exact - sampled <= Fraction(max(map(abs, c))) / 400  # ... and attained


def test_edge_bound_is_sharp_for_constant_hessians() -> None:
    """For a quadratic the Hessian is constant: the bound is max |g - Ig| exactly."""
    cert = TriangleCertifier(X * Y)
    tri = ((F(0), F(0)), (F(1, 8), F(0)), (F(0), F(1, 8)))
    bound = cert.anisotropic_bound(tri, [cert.node(*p) for p in tri])
    assert bound is not None
    assert bound[0] == pytest.approx(1 / 256, rel=1e-12)  # attained at (1/16, 1/16)
    # a triangle long along the null direction (1, -1) of (x + y)**2
    cert = TriangleCertifier((X + Y) ** 2)
    thin = ((F(0), F(0)), (F(1), F(-1)), (F(1, 100), F(1, 100)))
    edge = cert.anisotropic_bound(thin, [cert.node(*p) for p in thin])
    c2 = cert.c2_bound(thin, [cert.node(*p) for p in thin])
    assert edge is not None
    assert c2 is not None
    assert edge[0] < c2 / 100


def _area(mesh: EdgeMesh, t: int) -> Fraction:
    (x0, y0), (x1, y1), (x2, y2) = mesh.points(t)
    return abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)) / 2


def test_edge_mesh_stays_conforming() -> None:
    rng = random.Random(3)
    weights: dict[tuple[int, int], float] = {}

    def key(p: int, q: int) -> tuple[float, int, int]:
        edge = (min(p, q), max(p, q))
        return weights.setdefault(edge, rng.random()), *edge

    mesh = EdgeMesh((F(0), F(2)), (F(-1), F(1)), key, anti_diagonal=True)
    for _ in range(150):
        mesh.bisect(rng.choice(sorted(mesh.triangles)))
    assert sum(_area(mesh, t) for t in mesh.triangles) == 4
    assert all(_area(mesh, t) > 0 for t in mesh.triangles)
    count: dict[tuple[int, int], int] = {}
    for tri in mesh.triangles.values():
        for p, q in itertools.combinations(sorted(tri), 2):
            count[(p, q)] = count.get((p, q), 0) + 1
    boundary = [e for e, n in count.items() if n == 1]
    assert all(n in (1, 2) for n in count.values())
    # a conforming mesh of a rectangle: the boundary edges add up to the perimeter exactly
    total_x = sum(abs(mesh.vertices[p][0] - mesh.vertices[q][0]) for p, q in boundary)
    total_y = sum(abs(mesh.vertices[p][1] - mesh.vertices[q][1]) for p, q in boundary)
    assert (total_x, total_y) == (4, 4)


def test_anisotropic_mesh_of_exp_x_plus_y() -> None:
    """exp(x + y) curves along (1, 1) only: far fewer, long thin triangles."""
    square = ((0, 1), (0, 1))
    res = approximate_2d("exp(x + y)", 1e-3, domain=square, mesh="anisotropic")
    adaptive = approximate_2d("exp(x + y)", 1e-3, domain=square)
    assert res.n_triangles * 5 < adaptive.n_triangles
    assert "edge forms" in res.method
    observed = max_error_mp_2d(res, grid=17, random_points=100)
    assert 0 < observed <= res.bound < 1e-3
    p = [F(1, 3), F(2, 7)]
    assert res.network.exact(p) == res.interpolant(*p)


def test_anisotropic_mesh_of_a_kink() -> None:
    """Where g is not smooth the oscillation bound and longest edges take over."""
    res = approximate_2d("abs(x - y/2 - 1/4)", 5e-2, domain=((0, 1), (0, 1)), mesh="anisotropic")
    assert "oscillation on" in res.method
    assert 0 < max_error_mp_2d(res, grid=17, random_points=50) <= res.bound < 5e-2
