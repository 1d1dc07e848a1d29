"""Rigorous per-triangle bounds of the linear interpolation error of ``g(x, y)``.

The interval kernel of :mod:`reluapprox.certify` compiled for two variables
(:func:`~reluapprox.certify.compile_enclosure` with ``symbol=(x, y)``) encloses
``g`` and its second partial derivatives on the bounding box of a triangle ``T``.
For the linear interpolant ``Ig`` of ``g`` at the vertices of ``T``,
:class:`TriangleCertifier` proves ``sup_T |g - f| <= bound`` for the affine ``f``
through rational node values ``y_i`` with ``|g(v_i) - y_i| <= rho_i``, by the
smaller of

- the **C^2 bound** ``r**2 / 2 * M + max rho_i`` where ``g`` is proved analytic on
  the box: ``r`` is the radius of the smallest disc containing ``T`` (exact,
  :func:`enclosing_radius_squared`) and ``M`` bounds the spectral norm of the
  Hessian on the box, ``|(g_xx + g_yy) / 2| + sqrt(((g_xx - g_yy) / 2)**2 + g_xy**2)``
  (the largest absolute eigenvalue of a symmetric 2x2 matrix) evaluated in interval
  arithmetic;
- the **edge-form bound** (:meth:`TriangleCertifier.anisotropic_bound`, asked for with
  ``anisotropic=True``) from enclosures of the curvature ``d^T D^2 g d`` along the
  three edges ``d``: it sees the triangle's extent along the curvature directions,
  not only its size (proof on the docs page "Two dimensions");
- the **oscillation bound** ``max(G_hi - min y_i, max y_i - G_lo)`` for the enclosure
  ``[G_lo, G_hi]`` of ``g`` on the box, valid for every ``g``: ``f`` takes its values
  in ``[min y_i, max y_i]`` on ``T`` and ``g`` in ``[G_lo, G_hi]``.

Proof of the C^2 bound (the argument of Waldron 1998): for ``p`` in ``T`` with
barycentric coordinates ``lambda_i``, Taylor's formula at ``p`` gives
``g(v_i) = g(p) + grad g(p).(v_i - p) + 1/2 (v_i - p)^T H(xi_i) (v_i - p)`` with
``xi_i`` on the segment ``[p, v_i]`` in ``T``; since ``sum lambda_i (v_i - p) = 0``,
``Ig(p) - g(p) = 1/2 sum lambda_i (v_i - p)^T H(xi_i) (v_i - p)``, so
``|Ig(p) - g(p)| <= M/2 sum lambda_i |v_i - p|**2``. For the centre ``c`` of any disc
of radius ``r`` containing ``T``,
``sum lambda_i |v_i - p|**2 = sum lambda_i |v_i - c|**2 - |p - c|**2 <= r**2``.

Examples:
    >>> from fractions import Fraction as F
    >>> import sympy as sp
    >>> from reluapprox.expr import SYMBOL as x, SYMBOL_Y as y
    >>> cert = TriangleCertifier(x * y)
    >>> corners = ((F(0), F(0)), (F(1, 8), F(0)), (F(0), F(1, 8)))
    >>> nodes = [cert.node(*p) for p in corners]
    >>> cert.triangle_bound(corners, nodes)  # r**2 = 1/128, M = 1: 1/256
    (0.00390625, 'C2')

References:
    S. Waldron, "The error in linear interpolation at the vertices of a simplex",
    SIAM J. Numer. Anal. 35 (1998) 1191-1200. R. E. Moore, R. B. Kearfott,
    M. J. Cloud, *Introduction to Interval Analysis*, SIAM 2009.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction

import sympy as sp
from mpmath.libmp import libmpf as lm
from mpmath.libmp import libmpi

from reluapprox.certify import (
    EXTENSION_RADIUS,
    PRECISION,
    Enclosure,
    Interval,
    NotSmooth,
    _abs_upper,
    _bounded_fraction,
    _is_finite,
    _point,
    _to_fraction,
    _Undefined,
    compile_enclosure,
    node_value,
    up_fraction,
)
from reluapprox.errors import EvaluationError, InvalidExpression
from reluapprox.expr import SYMBOL, SYMBOL_Y

__all__ = [
    "PAIRS",
    "Node2D",
    "TriangleCertifier",
    "enclosing_radius_squared",
    "simplex_max",
]

Point = tuple[Fraction, Fraction]
Box = tuple[Interval, Interval]


def enclosing_radius_squared(triangle: Sequence[Point]) -> Fraction:
    """The squared radius of the smallest disc containing a triangle, exactly.

    It is a quarter of the longest side squared when the triangle is right or
    obtuse (the disc on the longest side), else the squared circumradius
    ``a**2 b**2 c**2 / (4 * cross**2)`` (``cross``: twice the signed area).

    Examples:
        >>> from fractions import Fraction as F
        >>> enclosing_radius_squared([(F(0), F(0)), (F(1), F(0)), (F(0), F(1))])
        Fraction(1, 2)
    """
    (x0, y0), (x1, y1), (x2, y2) = triangle
    sides = sorted(
        [
            (x1 - x2) ** 2 + (y1 - y2) ** 2,
            (x0 - x2) ** 2 + (y0 - y2) ** 2,
            (x0 - x1) ** 2 + (y0 - y1) ** 2,
        ]
    )
    if sides[0] + sides[1] <= sides[2]:
        return sides[2] / 4
    cross = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    return sides[0] * sides[1] * sides[2] / (4 * cross * cross)


#: The vertex pairs of a triangle, in the order of :meth:`TriangleCertifier.edge_forms`.
PAIRS = ((0, 1), (0, 2), (1, 2))

#: Symbols of the edge vector in the compiled edge form ``e^T D^2 g e``.
_EX, _EY = sp.Symbol("ex", real=True), sp.Symbol("ey", real=True)


#: The largest edge form (in sympy operations) that is factored before it is compiled.
FACTOR_MAX_OPS = 30


def _compile_edge_form(expr: sp.Expr) -> Enclosure | None:
    """``(x, y, ex, ey) -> e^T D^2 g(x, y) e``, factored by sympy so that interval
    arithmetic keeps cancellations such as ``(ex + ey)**2 exp(x + y)``."""
    x, y = SYMBOL, SYMBOL_Y
    form = (
        _EX**2 * sp.diff(expr, x, x)
        + 2 * _EX * _EY * sp.diff(expr, x, y)
        + _EY**2 * sp.diff(expr, y, y)
    )
    if sp.count_ops(form) <= FACTOR_MAX_OPS:
        try:
            form = sp.factor(form)
        except (sp.PolynomialError, sp.CoercionFailed, NotImplementedError):
            form = sp.factor_terms(form)
    else:  # sympy's factor can take minutes on large expressions; factor_terms is linear
        form = sp.factor_terms(form)
    try:
        return compile_enclosure(form, smooth=True, symbol=(x, y, _EX, _EY))
    except InvalidExpression:
        return None


def simplex_max(c: Sequence[Fraction]) -> Fraction:
    """``max F`` over the simplex ``lambda >= 0, sum lambda = 1`` for
    ``F = c01 l0 l1 + c02 l0 l2 + c12 l1 l2`` (``c`` in the order of :data:`PAIRS`), exactly.

    Candidates: the vertices (0), the middle of each edge (``c_ij / 4``) and the
    interior critical point ``C lambda = mu 1`` (where ``F = mu / 2``).

    Examples:
        >>> simplex_max([Fraction(1), Fraction(1), Fraction(1)])  # at the centroid
        Fraction(1, 3)
        >>> simplex_max([Fraction(0), Fraction(0), Fraction(-2)])
        Fraction(0, 1)
    """
    c01, c02, c12 = c
    best = max(Fraction(0), c01 / 4, c02 / 4, c12 / 4)
    # unknowns l0, l1, l2, mu: rows of C lambda - mu 1 = 0 and sum lambda = 1
    rows = [
        [Fraction(0), c01, c02, Fraction(-1), Fraction(0)],
        [c01, Fraction(0), c12, Fraction(-1), Fraction(0)],
        [c02, c12, Fraction(0), Fraction(-1), Fraction(0)],
        [Fraction(1), Fraction(1), Fraction(1), Fraction(0), Fraction(1)],
    ]
    for col in range(4):
        pivot = next((r for r in range(col, 4) if rows[r][col] != 0), None)
        if pivot is None:
            return best  # singular: the critical points reach the boundary
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(4):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    solution = [rows[k][4] / rows[k][k] for k in range(4)]
    if all(v >= 0 for v in solution[:3]):
        best = max(best, solution[3] / 2)
    return best


def _box(points: Sequence[Point]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (
        (_point(min(xs))[0], _point(max(xs))[1]),
        (_point(min(ys))[0], _point(max(ys))[1]),
    )


class Node2D:
    """A node value: ``|g(x, y) - value| <= radius`` with ``value`` a binary rational."""

    __slots__ = ("fraction", "radius", "value")

    def __init__(self, value: tuple[int, int, int, int], radius: float) -> None:
        self.value = value
        self.radius = radius
        self.fraction = _to_fraction(value)

    def __repr__(self) -> str:
        return f"Node2D(value={self.fraction}, radius={self.radius!r})"


class TriangleCertifier:
    """Per-triangle proofs of ``sup_T |g - f| <= bound`` for an expression in x and y.

    Args:
        expr: a sympy expression in :data:`~reluapprox.expr.SYMBOL` and
            :data:`~reluapprox.expr.SYMBOL_Y`.
    """

    def __init__(self, expr: sp.Expr) -> None:
        symbols = (SYMBOL, SYMBOL_Y)
        self.expr = expr
        self._range = compile_enclosure(expr, smooth=False, total=True, symbol=symbols)
        self._smooth = compile_enclosure(expr, smooth=True, symbol=symbols)
        try:
            self._hessian = [
                compile_enclosure(sp.diff(expr, *pair), smooth=True, symbol=symbols)
                for pair in ((SYMBOL, SYMBOL), (SYMBOL, SYMBOL_Y), (SYMBOL_Y, SYMBOL_Y))
            ]
        except InvalidExpression:
            self._hessian = []
        self._edge_form_compiled = False
        self._edge_form_enclosure: Enclosure | None = None

    @property
    def _edge_form(self) -> Enclosure | None:
        """The compiled edge form, built on first use (only the anisotropic bound needs it)."""
        if not self._edge_form_compiled:
            self._edge_form_compiled = True
            if self._hessian:
                self._edge_form_enclosure = _compile_edge_form(self.expr)
        return self._edge_form_enclosure

    def node(self, x: Fraction, y: Fraction) -> Node2D:
        """A node value at ``(x, y)``; where ``g`` is undefined there, the value of its
        continuous extension, enclosed on boxes of half-width
        :data:`~reluapprox.certify.EXTENSION_RADIUS` around the point.

        Raises:
            EvaluationError: when ``g`` has no finite value (or limit) at ``(x, y)``.
        """
        for box in self._near(x, y):
            try:
                enclosure = self._range(box)  # type: ignore[arg-type]
            except _Undefined:
                continue
            if _is_finite(enclosure):
                return Node2D(*node_value(enclosure))
        raise EvaluationError(
            f"g({float(x)!r}, {float(y)!r}) is undefined or not finite: {self.expr} has no "
            "finite value or limit there; expected g defined and finite on the whole domain"
        )

    @staticmethod
    def _near(x: Fraction, y: Fraction) -> Iterator[Box]:
        """The point, then boxes around it and quarter boxes at it (one at a time)."""
        yield _point(x), _point(y)
        r = EXTENSION_RADIUS * max(1.0, abs(float(x)), abs(float(y)))
        for dx in ((-r, r), (0.0, r), (-r, 0.0)):
            for dy in ((-r, r), (0.0, r), (-r, 0.0)):
                yield _box([(x + Fraction(dx[k]), y + Fraction(dy[k])) for k in (0, 1)])

    def hessian_norm_bound(self, triangle: Sequence[Point]) -> Fraction | None:
        """An upper bound of the spectral norm of the Hessian of ``g`` on the bounding
        box of ``triangle``, or ``None`` where ``g`` is not proved analytic there."""
        if not self._hessian:
            return None
        box = _box(triangle)
        try:
            self._smooth(box)  # type: ignore[arg-type]
            a, b, c = (h(box) for h in self._hessian)  # type: ignore[arg-type]
        except (NotSmooth, _Undefined):
            return None
        if not (_is_finite(a) and _is_finite(b) and _is_finite(c)):
            return None
        half = (lm.mpf_shift(lm.fone, -1), lm.mpf_shift(lm.fone, -1))
        mean = libmpi.mpi_mul(libmpi.mpi_add(a, c, PRECISION), half, PRECISION)
        diff = libmpi.mpi_mul(libmpi.mpi_sub(a, c, PRECISION), half, PRECISION)
        radical = libmpi.mpi_add(
            libmpi.mpi_square(diff, PRECISION), libmpi.mpi_square(b, PRECISION), PRECISION
        )
        root = libmpi.mpi_sqrt(radical, PRECISION)
        first, second = _abs_upper(mean), _abs_upper(root)
        if first is None or second is None:
            return None
        return _bounded_fraction(lm.mpf_add(first, second, PRECISION, lm.round_ceiling), up=True)

    def c2_bound(self, triangle: Sequence[Point], nodes: Sequence[Node2D]) -> float | None:
        """``r**2 / 2 * M + max rho_i`` (rounded up), or ``None`` where not proved smooth."""
        m = self.hessian_norm_bound(triangle)
        if m is None:
            return None
        r2 = enclosing_radius_squared(triangle)
        return up_fraction(r2 * m / 2 + Fraction(max(n.radius for n in nodes)))

    def oscillation_bound(self, triangle: Sequence[Point], nodes: Sequence[Node2D]) -> float | None:
        """``max(G_hi - min y_i, max y_i - G_lo)`` for the enclosure ``G`` of ``g`` on the box."""
        try:
            g = self._range(_box(triangle))  # type: ignore[arg-type]
        except _Undefined:
            return None
        lo = _bounded_fraction(g[0], up=False)
        hi = _bounded_fraction(g[1], up=True)
        if lo is None or hi is None:
            return None
        values = [n.fraction for n in nodes]
        return up_fraction(max(hi - min(values), max(values) - lo, Fraction(0)))

    def edge_forms(self, triangle: Sequence[Point]) -> list[tuple[Fraction, Fraction]] | None:
        """Enclosures ``[lo, hi]`` of ``Q_ij(xi) = (v_i - v_j)^T D^2 g(xi) (v_i - v_j)`` over
        the bounding box, for the pairs ``(0, 1), (0, 2), (1, 2)``; ``None`` where ``g`` is
        not proved analytic there."""
        if self._edge_form is None:
            return None
        box = _box(triangle)
        out: list[tuple[Fraction, Fraction]] = []
        try:
            self._smooth(box)  # type: ignore[arg-type]
            for i, j in PAIRS:
                ex, ey = (triangle[i][k] - triangle[j][k] for k in (0, 1))
                q = self._edge_form((*box, _point(ex), _point(ey)))  # type: ignore[arg-type]
                lo, hi = _bounded_fraction(q[0], up=False), _bounded_fraction(q[1], up=True)
                if lo is None or hi is None:
                    return None
                out.append((lo, hi))
        except (NotSmooth, _Undefined):
            return None
        return out

    def edge_curvature(self, p: Point, q: Point) -> Fraction | None:
        """An upper bound of ``|e^T D^2 g e|`` on the segment ``[p, q]`` (``e = q - p``),
        or ``None`` where ``g`` is not proved analytic on its bounding box."""
        if self._edge_form is None:
            return None
        box = _box([p, q])
        try:
            self._smooth(box)  # type: ignore[arg-type]
            form = self._edge_form((*box, _point(q[0] - p[0]), _point(q[1] - p[1])))  # type: ignore[arg-type]
        except (NotSmooth, _Undefined):
            return None
        upper = _abs_upper(form)
        return None if upper is None else _bounded_fraction(upper, up=True)

    def anisotropic_bound(
        self, triangle: Sequence[Point], nodes: Sequence[Node2D]
    ) -> tuple[float, list[tuple[Fraction, Fraction]]] | None:
        """``max(sup F_u, sup F_w) + max rho_i`` with ``u = (q + 3 r) / 2``,
        ``w = (-q + 3 r) / 2`` for the midpoints ``q`` and radii ``r`` of
        :meth:`edge_forms` (rounded up), and the edge forms; ``None`` where not smooth."""
        forms = self.edge_forms(triangle)
        if forms is None:
            return None
        mids = [(lo + hi) / 2 for lo, hi in forms]
        rads = [(hi - lo) / 2 for lo, hi in forms]
        worst = max(
            simplex_max([(q + 3 * r) / 2 for q, r in zip(mids, rads, strict=True)]),
            simplex_max([(-q + 3 * r) / 2 for q, r in zip(mids, rads, strict=True)]),
        )
        return up_fraction(worst + Fraction(max(n.radius for n in nodes))), forms

    def triangle_bound(
        self,
        triangle: Sequence[Point],
        nodes: Sequence[Node2D],
        *,
        target: float | None = None,
        anisotropic: bool = False,
    ) -> tuple[float | None, str]:
        """A proved upper bound of ``sup_T |g - f|`` and how it was found.

        With ``anisotropic``, the edge-form bound (:meth:`anisotropic_bound`) is tried
        first; then the C^2 bound, then the oscillation bound, each returned at once
        when at most ``target``; else the smallest is returned, or ``(None, reason)``.
        """
        found: list[tuple[float, str]] = []
        if anisotropic:
            aniso = self.anisotropic_bound(triangle, nodes)
            if aniso is not None:
                if target is not None and aniso[0] <= target:
                    return aniso[0], "edge"
                found.append((aniso[0], "edge"))
        c2 = self.c2_bound(triangle, nodes)
        if c2 is not None:
            if target is not None and c2 <= target:
                return c2, "C2"
            found.append((c2, "C2"))
        osc = self.oscillation_bound(triangle, nodes)
        if osc is not None:
            found.append((osc, "oscillation"))
        if not found:
            return None, "g is not proved defined and bounded on the triangle's bounding box"
        return min(found, key=lambda item: item[0])
