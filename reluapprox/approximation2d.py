"""Universal approximation in two dimensions: ``approximate(g(x, y), eps)`` on a rectangle.

For an expression ``g`` in ``x`` and ``y`` and a rectangle ``[a, b] x [c, d]``,
:func:`approximate_2d` (reached through :func:`reluapprox.approximate` with
``domain=((a, b), (c, d))``) triangulates the rectangle by newest-vertex bisection
(:mod:`reluapprox.triangulation`), refining where the proved per-triangle bound of
:class:`~reluapprox.certify2d.TriangleCertifier` misses ``eps`` (the C^2 bound
``r**2 / 2 * ||D^2 g||_2`` where ``g`` is proved analytic, the oscillation bound
elsewhere, each plus the enclosure radius of the node values), and returns the
exact ReLU network of the piecewise-linear interpolant
(:func:`~reluapprox.cpwl.cpwl_network`) with a certified ``bound < eps``.
``mesh="anisotropic"`` refines by longest-edge bisection in the order of the
curvature along the edges (:class:`~reluapprox.triangulation.EdgeMesh`) and also uses
the edge-form bound: long thin triangles where ``g`` curves in one direction only.

Examples:
    >>> from reluapprox import approximate
    >>> res = approximate("sin(x)*cos(y)", 1e-2, domain=((0, 1), (0, 1)))
    >>> res.certified, res.bound < 1e-2, res.n_triangles, res.network.depth
    (True, True, 62, 5)
    >>> from fractions import Fraction as F
    >>> res.network.exact([F(1, 3), F(1, 5)]) == res.interpolant(F(1, 3), F(1, 5))
    True

References:
    S. Waldron, "The error in linear interpolation at the vertices of a simplex",
    SIAM J. Numer. Anal. 35 (1998) 1191-1200. J. He, L. Li, J. Xu, C. Zheng, "ReLU
    deep neural networks and linear finite elements", J. Comput. Math. 38 (2020).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sympy as sp

from reluapprox._validation import (
    check_choice,
    check_interval,
    check_positive_finite,
    check_positive_int,
    fail,
)
from reluapprox.certify import PRECISION, _up
from reluapprox.certify2d import Node2D, TriangleCertifier
from reluapprox.cpwl import cpwl_network
from reluapprox.errors import BudgetExceeded, InvalidExpression
from reluapprox.expr import SYMBOL, SYMBOL_Y, _problem, _shown, parse_expression
from reluapprox.sparse_network import SparseReluNetwork
from reluapprox.triangulation import EdgeMesh, Point, Triangulation, refine

__all__ = [
    "Approximation2D",
    "CertifiedMesh",
    "approximate_2d",
    "certified_triangulation",
    "is_rectangle",
    "max_error_mp_2d",
    "parse_target_2d",
    "plot_approximation_2d",
]

FloatArray = npt.NDArray[np.float64]

#: How each kind of mesh is refined.
_BISECTION = {
    "adaptive": "newest-vertex bisection",
    "uniform": "newest-vertex bisection",
    "anisotropic": "longest-edge bisection in the order of the edge curvature",
}

#: Triangles are certified against ``eps * (1 - EPS_MARGIN)`` so that ``bound < eps``.
EPS_MARGIN = 1e-9


def is_rectangle(domain: object) -> bool:
    """Whether ``domain`` has the form ``((a, b), (c, d))`` (a rectangle, not an interval)."""
    return (
        isinstance(domain, Sequence)
        and not isinstance(domain, (str, bytes))
        and len(domain) == 2
        and all(
            isinstance(side, Sequence) and not isinstance(side, (str, bytes)) for side in domain
        )
    )


def parse_target_2d(g: object) -> sp.Expr:
    """``g`` (a string or sympy expression in ``x`` and ``y``) as a sympy expression in
    :data:`~reluapprox.expr.SYMBOL` and :data:`~reluapprox.expr.SYMBOL_Y`.

    Raises:
        InvalidExpression: for strings and expressions that are not built from the
            supported operations, or that contain other symbols.
        InvalidArgument: for anything else (callables have no certificate in 2-D).
    """
    if isinstance(g, str):
        return parse_expression(g, symbols=2)
    if not isinstance(g, sp.Expr):
        fail(
            "g",
            g,
            "a string such as 'sin(x)*cos(y)' or a sympy expression in x and y (in two "
            "dimensions callables are not accepted: they have no certified bound)",
        )
    names = {str(s) for s in g.free_symbols}
    if not names <= {"x", "y"}:
        raise InvalidExpression(
            f"g={_shown(g)} is invalid: expected an expression in x and y, got symbols "
            + ", ".join(sorted(names))
        )
    by_name = {str(s): s for s in g.free_symbols}
    expr = g.subs({by_name[n]: {"x": SYMBOL, "y": SYMBOL_Y}[n] for n in names})
    why = _problem(expr)
    if why is not None:
        raise InvalidExpression(f"g={_shown(g)} is invalid: {why}")
    return expr


@dataclass(frozen=True)
class Approximation2D:
    """The result of :func:`approximate_2d`.

    Attributes:
        network: the ReLU network ``f: R^2 -> R`` (exact rational parameters, sparse
            matrices; ``network.to_network()`` gives the dense
            :class:`~reluapprox.network.ReluNetwork` of small meshes).
        bound: a proved upper bound of ``max |g - f|`` on the rectangle, ``< eps``.
        certified: always ``True`` (expressions only).
        method: how the bound was obtained, in one line.
        eps: the requested tolerance.
        domain: ``((a, b), (c, d))`` (floats).
        mesh: ``"adaptive"``, ``"uniform"`` or ``"anisotropic"``.
        vertices: the vertices of the triangulation (exact).
        triangles: the triangles, as vertex index triples.
        values: the node values ``f(v)`` (exact), one per vertex.
        triangle_bounds: the proved bound of ``sup_T |g - f|`` per triangle.
        expr: ``g`` as a sympy expression in x and y.
        seconds: wall-clock time of the construction.
    """

    network: SparseReluNetwork
    bound: float
    certified: bool
    method: str
    eps: float
    domain: tuple[tuple[float, float], tuple[float, float]]
    mesh: str
    vertices: tuple[Point, ...]
    triangles: tuple[tuple[int, int, int], ...]
    values: tuple[Fraction, ...]
    triangle_bounds: tuple[float, ...]
    expr: sp.Expr
    seconds: float

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons of the network."""
        return self.network.n_neurons

    @property
    def n_triangles(self) -> int:
        """The number of triangles of the mesh."""
        return len(self.triangles)

    def g(self, x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
        """``g`` evaluated in float64 (broadcasting ``x`` and ``y``)."""
        function = sp.lambdify((SYMBOL, SYMBOL_Y), self.expr, modules="numpy")
        xs, ys = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
        with np.errstate(all="ignore"):
            return np.asarray(function(xs, ys) + 0.0 * xs, dtype=np.float64)

    @cached_property
    def _buckets(self) -> tuple[int, dict[tuple[int, int], list[int]]]:
        """A grid of ``k x k`` buckets, each listing the triangles whose bounding box meets it."""
        k = max(1, int(len(self.triangles) ** 0.5))
        buckets: dict[tuple[int, int], list[int]] = {}
        for t, tri in enumerate(self.triangles):
            corners = [self._bucket(self.vertices[i], k) for i in tri]
            for i in range(min(c[0] for c in corners), max(c[0] for c in corners) + 1):
                for j in range(min(c[1] for c in corners), max(c[1] for c in corners) + 1):
                    buckets.setdefault((i, j), []).append(t)
        return k, buckets

    def _bucket(self, point: Point, k: int) -> tuple[int, int]:
        (a, b), (c, d) = self.domain
        i = math.floor((float(point[0]) - a) / (b - a) * k)
        j = math.floor((float(point[1]) - c) / (d - c) * k)
        return min(max(i, 0), k - 1), min(max(j, 0), k - 1)

    def interpolant(self, x: int | Fraction | float, y: int | Fraction | float) -> Fraction:
        """The exact value at ``(x, y)`` (in the rectangle) of the piecewise-linear
        interpolant that the network represents, found by locating a triangle.

        Raises:
            InvalidArgument: for a point outside the rectangle.
        """
        p = (Fraction(x), Fraction(y))
        k, buckets = self._buckets
        for t in buckets.get(self._bucket(p, k), []):
            tri = self.triangles[t]
            (x0, y0), (x1, y1), (x2, y2) = (self.vertices[i] for i in tri)
            det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
            l1 = ((p[0] - x0) * (y2 - y0) - (x2 - x0) * (p[1] - y0)) / det
            l2 = ((x1 - x0) * (p[1] - y0) - (p[0] - x0) * (y1 - y0)) / det
            if l1 >= 0 and l2 >= 0 and l1 + l2 <= 1:
                v0, v1, v2 = (self.values[i] for i in tri)
                return v0 + l1 * (v1 - v0) + l2 * (v2 - v0)
        return fail("(x, y)", (x, y), f"a point of the rectangle {self.domain}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the network's size, not its weights)."""
        return {
            "g": str(self.expr),
            "eps": self.eps,
            "domain": [list(side) for side in self.domain],
            "mesh": self.mesh,
            "n_triangles": self.n_triangles,
            "n_vertices": len(self.vertices),
            "n_neurons": self.n_neurons,
            "widths": list(self.network.widths),
            "depth": self.network.depth,
            "bound": self.bound,
            "certified": self.certified,
            "method": self.method,
            "seconds": self.seconds,
        }

    def __repr__(self) -> str:
        return (
            f"Approximation2D({str(self.expr)!r}, n_triangles={self.n_triangles}, "
            f"n_neurons={self.n_neurons}, bound={self.bound:.3g} (certified), eps={self.eps:g})"
        )


@dataclass(frozen=True)
class CertifiedMesh:
    """A triangulation with node values and a proved error bound per triangle.

    Attributes:
        vertices: the vertices (exact).
        triangles: the triangles, as vertex index triples.
        levels: the number of bisections of each triangle from the initial two.
        values: the node values (exact), one per vertex.
        bounds: the proved bound of ``sup_T |g - f|`` per triangle.
        kinds: how many triangles each kind of bound (``"C2"``, ``"oscillation"``) proved.
        radius: the largest enclosure radius of a node value (included in ``bounds``).
    """

    vertices: tuple[Point, ...]
    triangles: tuple[tuple[int, int, int], ...]
    levels: tuple[int, ...]
    values: tuple[Fraction, ...]
    bounds: tuple[float, ...]
    kinds: dict[str, int]
    radius: float


def certified_triangulation(
    expr: sp.Expr,
    eps: float,
    *,
    rectangle: tuple[tuple[float, float], tuple[float, float]],
    mesh: str,
    max_triangles: int,
    deadline: float | None = None,
    time_limit: float | None = None,
    progress: Callable[[float, int], None] | None = None,
    edge_bound: bool = False,
) -> CertifiedMesh:
    """The certified mesh of :func:`approximate_2d`, without the network.

    Args:
        expr: ``g``, as returned by :func:`parse_target_2d`.
        eps: the tolerance (checked by the caller).
        rectangle: ``((a, b), (c, d))`` (checked by the caller).
        mesh: ``"adaptive"``, ``"uniform"`` or ``"anisotropic"``.
        max_triangles: refuse beyond this many triangles.
        deadline: ``time.monotonic()`` value to stop at.
        time_limit: for messages.
        progress: see :func:`~reluapprox.triangulation.refine`.
        edge_bound: also use the edge-form bound
            (:meth:`~reluapprox.certify2d.TriangleCertifier.anisotropic_bound`) on the
            newest-vertex meshes (always used by ``"anisotropic"``).
    """
    (a, b), (c, d) = rectangle
    certifier = TriangleCertifier(expr)
    xs, ys = (Fraction(a), Fraction(b)), (Fraction(c), Fraction(d))
    ranks: dict[tuple[int, int], Any] = {}
    triangulation: Triangulation | EdgeMesh
    if mesh == "anisotropic":
        edge_mesh = EdgeMesh(
            xs,
            ys,
            lambda p, q: _edge_rank(edge_mesh, certifier, ranks, p, q),
            anti_diagonal=_anti_diagonal(certifier, xs, ys),
        )
        triangulation = edge_mesh
    else:
        triangulation = Triangulation(xs, ys)
    nodes: dict[int, Node2D] = {}

    def node(v: int) -> Node2D:
        if v not in nodes:
            nodes[v] = certifier.node(*triangulation.vertices[v])
        return nodes[v]

    tau = eps * (1 - EPS_MARGIN)

    def bound(t: int) -> tuple[float | None, str]:
        points = triangulation.points(t)
        values = [node(v) for v in triangulation.triangles[t]]
        if mesh != "anisotropic" and not edge_bound:
            return certifier.triangle_bound(points, values, target=tau)
        edge = certifier.anisotropic_bound(points, values)
        if edge is not None and edge[0] <= tau:
            return edge[0], "edge"
        value, how = certifier.triangle_bound(points, values, target=tau)
        if edge is not None and (value is None or edge[0] < value):
            return edge[0], "edge"
        return value, how

    found = refine(
        triangulation,
        bound,
        tau,
        mode="adaptive" if mesh == "anisotropic" else mesh,
        max_triangles=max_triangles,
        deadline=deadline,
        time_limit=time_limit,
        progress=progress,
    )
    ids = sorted(triangulation.triangles)
    vertices = tuple(triangulation.vertices)
    return CertifiedMesh(
        vertices=vertices,
        triangles=tuple(triangulation.triangles[t] for t in ids),
        levels=tuple(triangulation.level[t] for t in ids),
        values=tuple(node(v).fraction for v in range(len(vertices))),
        bounds=tuple(found[t][0] for t in ids),
        kinds=dict(Counter(found[t][1] for t in ids)),
        radius=max(node(v).radius for v in range(len(vertices))),
    )


def _edge_rank(
    mesh: EdgeMesh, certifier: TriangleCertifier, ranks: dict[tuple[int, int], Any], p: int, q: int
) -> Any:
    """The rank of the edge ``p q`` for :class:`~reluapprox.triangulation.EdgeMesh`: a bound
    of ``|e^T D^2 g e|`` on the edge where ``g`` is proved smooth there, after the edges
    where it is not (ranked by length); ties by length, then by the vertex indices."""
    edge = (min(p, q), max(p, q))
    if edge not in ranks:
        (x1, y1), (x2, y2) = mesh.vertices[p], mesh.vertices[q]
        length = (x1 - x2) ** 2 + (y1 - y2) ** 2
        curvature = certifier.edge_curvature(mesh.vertices[p], mesh.vertices[q])
        ranks[edge] = (
            (0, curvature, length, edge) if curvature is not None else (1, length, length, edge)
        )
    return ranks[edge]


def _anti_diagonal(
    certifier: TriangleCertifier, xs: tuple[Fraction, Fraction], ys: tuple[Fraction, Fraction]
) -> bool:
    """Whether ``g`` is proved to curve less along the anti-diagonal of the rectangle."""
    (a, b), (c, d) = xs, ys
    along = certifier.edge_forms([(a, c), (b, d), (a, d)])
    across = certifier.edge_forms([(a, d), (b, c), (a, c)])
    if along is None or across is None:
        return False
    return max(map(abs, across[0])) < max(map(abs, along[0]))


def approximate_2d(
    g: object,
    eps: float,
    *,
    domain: object,
    mesh: str = "adaptive",
    max_neurons: int = 1_000_000,
    time_limit: float | None = 120.0,
    progress: Callable[[float, int], None] | None = None,
) -> Approximation2D:
    """A ReLU network ``f: R^2 -> R`` with ``max |g - f| <= res.bound < eps`` on a rectangle.

    Args:
        g: a string such as ``"sin(pi*x)*cos(pi*y)"`` or a sympy expression in ``x``
            and ``y``.
        eps: the tolerance, a finite number > 0.
        domain: ``((a, b), (c, d))``, the rectangle ``[a, b] x [c, d]``.
        mesh: ``"adaptive"`` (newest-vertex bisection where the bound misses
            ``eps``), ``"uniform"`` (bisect everywhere while it misses anywhere) or
            ``"anisotropic"`` (longest-edge bisection in the order of the curvature
            ``|e^T D^2 g e|`` along each edge, certified by the edge-form bound too:
            long thin triangles where ``g`` curves in one direction).
        max_neurons: the largest number of triangles of the mesh and of hidden
            neurons of the network.
        time_limit: seconds of work before giving up (``None``: no limit).
        progress: called as ``progress(fraction_of_area_done, triangles)``.

    Raises:
        InvalidArgument: for a bad ``g``, ``eps``, ``domain``, ``mesh``,
            ``max_neurons``, ``time_limit`` or ``progress``.
        InvalidExpression: for strings that are not an expression in x and y.
        EvaluationError: ``g`` has no finite value at a vertex.
        CertificationError: ``g`` jumps (no bound below ``eps`` after
            :data:`~reluapprox.triangulation.MAX_LEVEL` bisections).
        BudgetExceeded: ``max_neurons`` or ``time_limit`` was hit.
    """
    start = time.monotonic()
    eps = check_positive_finite("eps", eps)
    if not is_rectangle(domain):
        fail("domain", domain, "a rectangle ((a, b), (c, d)) with a < b and c < d")
    assert isinstance(domain, Sequence)
    (a, b) = check_interval("domain[0]", domain[0])
    (c, d) = check_interval("domain[1]", domain[1])
    mesh = check_choice("mesh", mesh, ("adaptive", "uniform", "anisotropic"))
    max_neurons = check_positive_int("max_neurons", max_neurons)
    if time_limit is not None:
        time_limit = check_positive_finite("time_limit", time_limit)
    if progress is not None and not callable(progress):
        fail("progress", progress, "None or a callable progress(fraction, triangles)")
    deadline = None if time_limit is None else start + time_limit
    expr = parse_target_2d(g)
    built = certified_triangulation(
        expr,
        eps,
        rectangle=((a, b), (c, d)),
        mesh=mesh,
        max_triangles=max_neurons,
        deadline=deadline,
        time_limit=time_limit,
        progress=progress,
    )
    vertices, triangles, values = built.vertices, built.triangles, built.values
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded(
            f"time_limit={time_limit!r} s was hit after the mesh ({len(triangles)} triangles) was "
            "certified, before the network was built; increase time_limit or eps"
        )
    network = cpwl_network(vertices, triangles, values)
    if network.n_neurons > max_neurons:
        raise BudgetExceeded(
            f"max_neurons={max_neurons} was hit: the network of the certified mesh "
            f"({len(triangles)} triangles) has {network.n_neurons} neurons; increase max_neurons "
            "or eps"
        )
    bounds = built.bounds
    names = {
        "C2": "r^2/2 ||D^2 g||_2",
        "edge": "edge forms e^T D^2 g e",
        "oscillation": "oscillation",
    }
    per = ", ".join(f"{names[k]} on {n} triangles" for k, n in sorted(built.kinds.items()))
    radius = built.radius
    method = (
        f"certified: {mesh} triangulation ({_BISECTION[mesh]}), interval arithmetic "
        f"(mpmath, {PRECISION} bits); per triangle {per}; node-value radius <= "
        f"{radius:.2g} included"
    )
    return Approximation2D(
        network=network,
        bound=max(bounds),
        certified=True,
        method=method,
        eps=eps,
        domain=((a, b), (c, d)),
        mesh=mesh,
        vertices=vertices,
        triangles=triangles,
        values=values,
        triangle_bounds=bounds,
        expr=expr,
        seconds=time.monotonic() - start,
    )


def max_error_mp_2d(
    result: Approximation2D,
    *,
    grid: int = 65,
    random_points: int = 200,
    seed: int = 0,
    prec: int = 113,
    mesh_points: bool = True,
) -> float:
    """The observed ``max |g - f|``, with ``g`` in ``prec``-bit mpmath and ``f`` exact.

    The points: a ``grid x grid`` lattice of the rectangle, every vertex and every
    triangle's centroid (unless ``mesh_points=False``, for very large meshes) and
    ``random_points`` random rational points (``seed``). ``f``
    is the exact interpolant (:meth:`Approximation2D.interpolant`), which the
    network represents exactly; the difference is rounded up once.

    Examples:
        >>> res = approximate_2d("x*y", 1e-2, domain=((0, 1), (0, 1)))
        >>> 0 < max_error_mp_2d(res, grid=9, random_points=10) <= res.bound
        True
    """
    import mpmath

    check_positive_int("grid", grid, minimum=2)
    check_positive_int("random_points", random_points, minimum=0)
    (a, b), (c, d) = ((Fraction(u), Fraction(v)) for u, v in result.domain)
    points = {
        (a + (b - a) * i / (grid - 1), c + (d - c) * j / (grid - 1))
        for i in range(grid)
        for j in range(grid)
    }
    points.update(result.vertices if mesh_points else ())
    for tri in result.triangles if mesh_points else ():
        (x0, y0), (x1, y1), (x2, y2) = (result.vertices[i] for i in tri)
        points.add(((x0 + x1 + x2) / 3, (y0 + y1 + y2) / 3))
    rng = np.random.default_rng(seed)
    for u, v in rng.integers(0, 2**20 + 1, size=(random_points, 2)).tolist():
        points.add((a + (b - a) * Fraction(u, 2**20), c + (d - c) * Fraction(v, 2**20)))
    g = sp.lambdify((SYMBOL, SYMBOL_Y), result.expr, modules="mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workprec(prec):
        for x, y in sorted(points):
            f = result.interpolant(x, y)
            value = g(
                mpmath.mpf(x.numerator) / x.denominator, mpmath.mpf(y.numerator) / y.denominator
            )
            worst = max(worst, abs(value - mpmath.mpf(f.numerator) / f.denominator))
        return _up(worst._mpf_)


def plot_approximation_2d(
    result: Approximation2D,
    path: str | Path,
    *,
    title: str | None = None,
    points: int = 301,
) -> Path:
    """Plot the triangulation (left) and the error ``|g - f|`` as a heat map (right).

    ``f`` is evaluated in float64 as the interpolant on the triangulation (which the
    network represents exactly), ``g`` in float64, on a ``points x points`` grid.
    """
    from matplotlib.tri import LinearTriInterpolator
    from matplotlib.tri import Triangulation as MplTriangulation

    from reluapprox.plotting import new_figure, save_figure

    check_positive_int("points", points, minimum=2)
    (a, b), (c, d) = result.domain
    xy = np.array([[float(x), float(y)] for x, y in result.vertices])
    tri = MplTriangulation(xy[:, 0], xy[:, 1], np.array(result.triangles))
    gx, gy = np.meshgrid(np.linspace(a, b, points), np.linspace(c, d, points))
    f = np.asarray(LinearTriInterpolator(tri, np.array([float(v) for v in result.values]))(gx, gy))
    error = np.abs(result.g(gx, gy) - f)
    figure = new_figure(nrows=1, ncols=2, size=(11.0, 4.8))
    left, right = figure.axes
    left.triplot(tri, lw=0.3 if result.n_triangles > 2000 else 0.6, color="C0")
    left.set_aspect("equal")
    left.set_title(f"{result.mesh} mesh: {result.n_triangles} triangles")
    image = right.imshow(error, origin="lower", extent=(a, b, c, d), cmap="viridis", aspect="equal")
    figure.colorbar(image, ax=right, label="|g - f| (float64)")
    right.set_title(
        f"error, max {np.nanmax(error):.3g} <= bound {result.bound:.3g} < eps {result.eps:g}"
    )
    figure.suptitle(title or f"g = {result.expr}, {result.n_neurons} neurons")
    return save_figure(figure, path)
