"""The exact ReLU network of a continuous piecewise-linear function on a triangulation.

A continuous ``f`` that is affine on each triangle of a conforming triangulation of
a convex polygon ``D`` is the sum ``f = sum_v f(v) phi_v`` of the nodal *hat*
functions (``phi_v`` is 1 at ``v``, 0 at every other vertex, affine on each
triangle). For a vertex ``v`` let ``l_T`` be the affine function equal to ``phi_v``
on a triangle ``T`` of the star of ``v``, extended to the plane, and

``S_T = {T' in star(v) : l_T' >= l_T on T}``  (checked exactly at the vertices of ``T``).

The lattice (max-min) representation theorem (Tarela and Martinez 1999;
Ovchinnikov 2002, Theorem 2.1), applied to ``phi_v`` on the convex ``D`` (its pieces
are the ``l_T`` and the zero function, which no ``S_T`` contains since
``l_T(v) = 1 > 0``), gives on ``D``

``phi_v = max(0, max_T min_{T' in S_T} l_T')``;

terms whose set contains another term's set are dropped (they are smaller). Where
the star is convex every ``S_T`` is the whole star and this is He, Li, Xu and
Zheng's ``phi_v = max(0, min_T l_T)``.

The network evaluates all hats side by side, layer by layer, with the exact
identities ``min(a, b) = relu(a) - relu(-a) - relu(a - b)``,
``max(a, b) = relu(a) - relu(-a) + relu(b - a)``, ``a = relu(a) - relu(-a)`` (to carry
a value one layer further) and ``c = relu(c)`` for ``c >= 0``: first the minima
(pairwise, ``ceil(log2 k)`` layers for ``k`` pieces), then the maxima, then the
outer ``relu``; the output layer is ``sum_v f(v) phi_v``. Vertices with ``f(v) = 0``
need no hat. Its depth is ``ceil(log2 k_max) + ceil(log2 m_max) + 2`` affine layers
(``k_max`` the most pieces in one minimum, ``m_max`` the most terms of one hat).

Examples:
    >>> from fractions import Fraction as F
    >>> square = [(F(0), F(0)), (F(1), F(0)), (F(1), F(1)), (F(0), F(1))]
    >>> net = cpwl_network(square, [(1, 2, 0), (3, 0, 2)], [F(0), F(0), F(1), F(0)])
    >>> net.exact([F(1), F(1)]), net.exact([F(1, 2), F(1, 4)]), net.depth
    (Fraction(1, 1), Fraction(1, 4), 3)

References:
    J. He, L. Li, J. Xu, C. Zheng, "ReLU deep neural networks and linear finite
    elements", J. Comput. Math. 38 (2020) 502-527. S. Ovchinnikov, "Max-min
    representation of piecewise linear functions", Beitr. Algebra Geom. 43 (2002)
    297-302. J. M. Tarela, M. V. Martinez, "Region configurations for realizability of
    lattice piecewise-linear models", Math. Comput. Modelling 30 (1999) 17-27.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from reluapprox._validation import fail
from reluapprox.sparse_network import Row, SparseReluNetwork

__all__ = ["cpwl_network", "hat_terms"]

Point = tuple[Fraction, Fraction]
Affine = tuple[Fraction, Fraction, Fraction]  # a x + b y + c
#: A linear form over the units of the previous layer: coefficients and constant.
Form = tuple[dict[int, Fraction], Fraction]


def _piece(v: Point, p: Point, q: Point) -> Affine:
    """The affine function that is 1 at ``v`` and 0 at ``p`` and ``q``."""
    ex, ey = q[0] - p[0], q[1] - p[1]
    det = ex * (v[1] - p[1]) - ey * (v[0] - p[0])
    if det == 0:
        fail("triangles", (v, p, q), "non-degenerate triangles (positive area)")
    return (-ey / det, ex / det, (ey * p[0] - ex * p[1]) / det)


def _at(piece: Affine, point: Point) -> Fraction:
    return piece[0] * point[0] + piece[1] * point[1] + piece[2]


def hat_terms(
    vertices: Sequence[Point], star: Sequence[tuple[int, int, int]], v: int
) -> list[list[Affine]]:
    """The terms of ``phi_v = max(0, max_term min_{l in term} l)`` for the star of ``v``.

    Args:
        vertices: all vertices.
        star: the triangles (vertex index triples) that contain ``v``.
        v: the vertex.

    Returns:
        The minimal sets ``S_T`` (see the module docstring), as lists of pieces.
    """
    pieces_of = {}
    for tri in star:
        p, q = (i for i in tri if i != v)
        pieces_of[tri] = (p, q, _piece(vertices[v], vertices[p], vertices[q]))
    pieces = sorted({piece for _, _, piece in pieces_of.values()})
    ring = {i for tri in star for i in tri if i != v}
    # Every piece is 1 at v, and l_T is 1 at v and 0 at the other corners of T, so
    # "l >= l_T on T" means l >= 0 at the two other corners of T.
    nonnegative = {
        (j, w) for j, piece in enumerate(pieces) for w in ring if _at(piece, vertices[w]) >= 0
    }
    sets = {
        frozenset(j for j in range(len(pieces)) if (j, p) in nonnegative and (j, q) in nonnegative)
        for p, q, _ in pieces_of.values()
    }
    minimal = [s for s in sets if not any(other < s for other in sets)]
    return [[pieces[j] for j in sorted(s)] for s in sorted(minimal, key=sorted)]


class _Layer:
    """A hidden layer under construction: rows over the previous layer's units."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.biases: list[Fraction] = []

    def relu(self, form: Form) -> int:
        coefficients, constant = form
        self.rows.append(tuple(sorted((c, w) for c, w in coefficients.items() if w != 0)))
        self.biases.append(constant)
        return len(self.rows) - 1

    def carry(self, form: Form) -> Form:
        return {self.relu(form): Fraction(1), self.relu(_scale(form, -1)): Fraction(-1)}, Fraction(
            0
        )

    def min_or_max(self, a: Form, b: Form, sign: int) -> Form:
        """``min(a, b)`` (``sign = -1``) or ``max(a, b)`` (``sign = 1``)."""
        difference = _add(b, _scale(a, -1)) if sign > 0 else _add(a, _scale(b, -1))
        i, j, k = self.relu(a), self.relu(_scale(a, -1)), self.relu(difference)
        return {i: Fraction(1), j: Fraction(-1), k: Fraction(sign)}, Fraction(0)


def _scale(form: Form, factor: int) -> Form:
    return {c: factor * w for c, w in form[0].items()}, factor * form[1]


def _add(a: Form, b: Form) -> Form:
    out = dict(a[0])
    for c, w in b[0].items():
        out[c] = out.get(c, Fraction(0)) + w
    return out, a[1] + b[1]


def _pairwise(layer: _Layer, values: list[Form], sign: int) -> list[Form]:
    out = [layer.min_or_max(values[i], values[i + 1], sign) for i in range(0, len(values) - 1, 2)]
    if len(values) % 2:
        out.append(layer.carry(values[-1]))
    return out


class _Hat:
    """The state of one hat while the layers are built."""

    def __init__(self, weight: Fraction, terms: list[list[Affine]]) -> None:
        self.weight = weight
        self.groups: list[list[Form]] = [[({0: a, 1: b}, c) for a, b, c in term] for term in terms]
        self.result: Form | None = None  # after the outer relu (a value >= 0)

    def step(self, layer: _Layer) -> None:
        if self.result is not None:
            self.result = {layer.relu(self.result): Fraction(1)}, Fraction(0)
        elif any(len(group) > 1 for group in self.groups):
            self.groups = [_pairwise(layer, group, -1) for group in self.groups]
        elif len(self.groups) > 1:
            self.groups = [[value] for value in _pairwise(layer, [g[0] for g in self.groups], 1)]
        else:
            self.result = {layer.relu(self.groups[0][0]): Fraction(1)}, Fraction(0)

    @property
    def done(self) -> bool:
        return self.result is not None


def cpwl_network(
    vertices: Sequence[Point],
    triangles: Sequence[tuple[int, int, int]],
    values: Sequence[Fraction],
) -> SparseReluNetwork:
    """The exact ReLU network of the piecewise-linear interpolant of ``values``.

    Args:
        vertices: the vertices (exact rational points).
        triangles: a conforming triangulation of a convex polygon, as vertex index
            triples.
        values: the value at each vertex.

    Returns:
        A :class:`~reluapprox.sparse_network.SparseReluNetwork` ``R^2 -> R`` equal to
        the interpolant on the polygon.
    """
    if len(values) != len(vertices):
        fail("values", values, f"one value per vertex ({len(vertices)})")
    stars: dict[int, list[tuple[int, int, int]]] = {}
    for tri in triangles:
        for i in tri:
            stars.setdefault(i, []).append(tri)
    hats = [
        _Hat(values[v], hat_terms(vertices, stars[v], v)) for v in sorted(stars) if values[v] != 0
    ]
    layers: list[_Layer] = []
    while not all(hat.done for hat in hats):
        layer = _Layer()
        for hat in hats:
            hat.step(layer)
        layers.append(layer)
    output: Form = ({}, Fraction(0))
    for hat in hats:
        assert hat.result is not None
        output = _add(output, ({c: hat.weight * w for c, w in hat.result[0].items()}, Fraction(0)))
    if not layers:  # f = 0: one neuron computing 0
        zero = _Layer()
        zero.relu(({}, Fraction(0)))
        layers.append(zero)
    last: Row = tuple(sorted((c, w) for c, w in output[0].items() if w != 0))
    return SparseReluNetwork(
        2,
        [layer.rows for layer in layers] + [[last]],
        [layer.biases for layer in layers] + [[output[1]]],
    )
