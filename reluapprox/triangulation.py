"""Conforming triangulations of a rectangle refined by newest-vertex bisection.

The rectangle ``[a, b] x [c, d]`` starts as two right triangles split along the
diagonal from ``(a, c)`` to ``(b, d)``; each triangle stores its *refinement edge*
(initially the diagonal, then the edge opposite the newest vertex). Bisecting a
triangle joins the midpoint of its refinement edge to the opposite vertex; the
neighbour across that edge is bisected with it, after its own refinement edge has
been made the same by bisecting it first (recursively). The mesh therefore stays
*conforming* (no hanging vertices), which the continuous piecewise-linear
interpolant needs, and every triangle is one of at most four similarity classes of
the two initial ones (Mitchell 1991; Sewell 1972).

Vertices are exact rationals (:class:`fractions.Fraction`): midpoints of dyadic
corners are dyadic, and their float values are exact as long as they fit 53 bits.

:class:`EdgeMesh` is the anisotropic alternative: longest-edge bisection (Rivara
1984) in an order of the edges given by the caller (the curvature along them).

:func:`refine` drives the refinement with a bound per triangle: every leaf whose
bound misses the tolerance is bisected (``mode="adaptive"``), or every leaf is
bisected while any misses it (``mode="uniform"``), until all pass or a budget is
hit.

Examples:
    >>> from fractions import Fraction as F
    >>> mesh = Triangulation((F(0), F(1)), (F(0), F(1)))
    >>> len(mesh.triangles), len(mesh.vertices)
    (2, 4)
    >>> new = mesh.bisect(0)  # both triangles share the diagonal: both are bisected
    >>> len(mesh.triangles), mesh.vertices[-1]
    (4, (Fraction(1, 2), Fraction(1, 2)))

References:
    M.-C. Rivara, "Algorithms for refining triangular grids suitable for adaptive
    and multigrid techniques", Int. J. Numer. Methods Eng. 20 (1984) 745-756.
    W. F. Mitchell, "Adaptive refinement for arbitrary finite-element spaces with
    hierarchical bases", J. Comput. Appl. Math. 36 (1991) 65-78. R. Stevenson, "The
    completion of locally refined simplicial partitions created by bisection",
    Math. Comp. 77 (2008) 227-241.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from reluapprox.errors import BudgetExceeded, CertificationError

__all__ = ["MAX_LEVEL", "EdgeMesh", "Point", "Triangulation", "refine"]

Point = tuple[Fraction, Fraction]

#: Deepest bisection level (about 2**-40 times the rectangle's side): a triangle that
#: still misses the tolerance there is refused (``g`` jumps, or is not certifiable).
MAX_LEVEL = 80


#: Most propagation splits of one :meth:`EdgeMesh.bisect` (then the edge is split as is).
MAX_PROPAGATION = 64


def _key(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


class Triangulation:
    """A conforming triangulation of ``[a, b] x [c, d]`` by newest-vertex bisection.

    Attributes:
        vertices: the vertices, exact rational points (the four corners first).
        triangles: the current triangles by id, as vertex indices ``(apex, p, q)``
            with refinement edge ``p q`` (``apex`` is the newest vertex).
        level: the number of bisections from an initial triangle, by id.
    """

    def __init__(self, xs: tuple[Fraction, Fraction], ys: tuple[Fraction, Fraction]) -> None:
        (a, b), (c, d) = xs, ys
        self.vertices: list[Point] = [(a, c), (b, c), (b, d), (a, d)]
        self.triangles: dict[int, tuple[int, int, int]] = {}
        self.level: dict[int, int] = {}
        self._edges: dict[tuple[int, int], set[int]] = {}
        self._midpoints: dict[tuple[int, int], int] = {}
        self._next = 0
        self._add((1, 2, 0), 0)
        self._add((3, 0, 2), 0)

    def _add(self, triangle: tuple[int, int, int], level: int) -> int:
        t = self._next
        self._next += 1
        self.triangles[t] = triangle
        self.level[t] = level
        apex, p, q = triangle
        for edge in (_key(p, q), _key(apex, p), _key(apex, q)):
            self._edges.setdefault(edge, set()).add(t)
        return t

    def _remove(self, t: int) -> None:
        apex, p, q = self.triangles.pop(t)
        del self.level[t]
        for edge in (_key(p, q), _key(apex, p), _key(apex, q)):
            self._edges[edge].discard(t)
            if not self._edges[edge]:
                del self._edges[edge]

    def points(self, t: int) -> tuple[Point, Point, Point]:
        """The three vertices of triangle ``t``."""
        apex, p, q = self.triangles[t]
        return self.vertices[apex], self.vertices[p], self.vertices[q]

    def _midpoint(self, p: int, q: int) -> int:
        edge = _key(p, q)
        if edge not in self._midpoints:
            (x1, y1), (x2, y2) = self.vertices[p], self.vertices[q]
            self.vertices.append(((x1 + x2) / 2, (y1 + y2) / 2))
            self._midpoints[edge] = len(self.vertices) - 1
        return self._midpoints[edge]

    def bisect(self, t: int) -> list[int]:
        """Bisect triangle ``t`` and whatever keeps the mesh conforming.

        Returns:
            The ids of the new triangles still in the mesh.
        """
        created: list[int] = []
        self._bisect(t, created)
        return [s for s in created if s in self.triangles]

    def _bisect(self, t: int, created: list[int]) -> None:
        _, p, q = self.triangles[t]
        edge = _key(p, q)
        pair = [t]
        neighbours = self._edges[edge] - {t}
        if neighbours:
            n = neighbours.pop()
            if _key(*self.triangles[n][1:]) != edge:
                self._bisect(n, created)
                n = (self._edges[edge] - {t}).pop()
            pair.append(n)
        m = self._midpoint(p, q)
        for s in pair:
            apex, p_s, q_s = self.triangles[s]
            level = self.level[s] + 1
            self._remove(s)
            created.append(self._add((m, apex, p_s), level))
            created.append(self._add((m, q_s, apex), level))


class EdgeMesh:
    """A conforming triangulation of ``[a, b] x [c, d]`` refined by longest-edge bisection
    in a given order of the edges (Rivara's algorithm).

    ``edge_key(p, q)`` ranks the edges (a larger key is "longer"; the anisotropic
    refinement ranks an edge ``e`` by a bound of ``|e^T D^2 g e|`` on it, so that
    edges across the curvature are split first and triangles grow long and thin
    where ``g`` curves in one direction only); each triangle's *refinement edge* is
    its largest. Bisecting a triangle joins the midpoint of that edge to the
    opposite vertex in *both* triangles that share it, after the neighbour has
    been refined until the edge is its refinement edge too (the longest-edge
    propagation path: the edges along it increase strictly, so it ends). The mesh
    stays conforming (the propagation, which only serves the shapes, stops after
    :data:`MAX_PROPAGATION` splits). The attributes and :meth:`bisect` are those of
    :class:`Triangulation` (``level`` counts the bisections of a triangle's ancestors).

    Args:
        xs: ``(a, b)``.
        ys: ``(c, d)``.
        edge_key: the rank of the edge between two vertex indices (symmetric,
            comparable, distinct edges of a triangle ranked differently).
        anti_diagonal: start from the diagonal ``(a, d) - (b, c)`` instead of
            ``(a, c) - (b, d)``.

    Examples:
        >>> from fractions import Fraction as F
        >>> def length(p, q):
        ...     (x1, y1), (x2, y2) = mesh.vertices[p], mesh.vertices[q]
        ...     return ((x1 - x2) ** 2 + (y1 - y2) ** 2, min(p, q), max(p, q))
        >>> mesh = EdgeMesh((F(0), F(2)), (F(0), F(1)), length)
        >>> mesh.bisect(0), mesh.vertices[-1]  # the diagonal, in both triangles
        ([2, 3, 4, 5], (Fraction(1, 1), Fraction(1, 2)))
    """

    def __init__(
        self,
        xs: tuple[Fraction, Fraction],
        ys: tuple[Fraction, Fraction],
        edge_key: Callable[[int, int], Any],
        *,
        anti_diagonal: bool = False,
    ) -> None:
        (a, b), (c, d) = xs, ys
        self.vertices: list[Point] = [(a, c), (b, c), (b, d), (a, d)]
        self.triangles: dict[int, tuple[int, int, int]] = {}
        self.level: dict[int, int] = {}
        self._edges: dict[tuple[int, int], set[int]] = {}
        self._next = 0
        self._edge_key = edge_key
        for tri in ((0, 1, 3), (1, 2, 3)) if anti_diagonal else ((0, 1, 2), (0, 2, 3)):
            self._add(tri, 0)

    def _add(self, triangle: tuple[int, int, int], level: int) -> int:
        t = self._next
        self._next += 1
        self.triangles[t] = triangle
        self.level[t] = level
        i, j, k = triangle
        for edge in (_key(i, j), _key(i, k), _key(j, k)):
            self._edges.setdefault(edge, set()).add(t)
        return t

    def points(self, t: int) -> tuple[Point, Point, Point]:
        """The three vertices of triangle ``t``."""
        i, j, k = self.triangles[t]
        return self.vertices[i], self.vertices[j], self.vertices[k]

    def refinement_edge(self, t: int) -> tuple[int, int]:
        """The largest edge of triangle ``t`` by ``edge_key``."""
        i, j, k = self.triangles[t]
        return max((_key(i, j), _key(i, k), _key(j, k)), key=lambda e: self._edge_key(*e))

    def bisect(self, t: int) -> list[int]:
        """Bisect triangle ``t`` at its refinement edge, and what keeps the mesh conforming.

        Returns:
            The ids of the new triangles still in the mesh.
        """
        created: list[int] = []
        self._split(self.refinement_edge(t), created, [MAX_PROPAGATION])
        return [s for s in created if s in self.triangles]

    def _split(self, edge: tuple[int, int], created: list[int], budget: list[int]) -> None:
        # The propagation keeps the shapes; conformity needs none of it (both triangles
        # of the edge are split), so it stops after MAX_PROPAGATION splits: ranks from
        # enclosures need not decrease from an edge to its halves, unlike lengths.
        while budget[0] > 0:
            other = next(
                (e for s in sorted(self._edges[edge]) if (e := self.refinement_edge(s)) != edge),
                None,
            )
            if other is None:
                break
            budget[0] -= 1
            self._split(other, created, budget)
        p, q = edge
        (x1, y1), (x2, y2) = self.vertices[p], self.vertices[q]
        self.vertices.append(((x1 + x2) / 2, (y1 + y2) / 2))
        m = len(self.vertices) - 1
        for s in sorted(self._edges.pop(edge)):
            tri = self.triangles.pop(s)
            level = self.level.pop(s) + 1
            (r,) = set(tri) - {p, q}
            for side in (_key(p, r), _key(q, r)):
                self._edges[side].discard(s)
            created.append(self._add((p, m, r), level))
            created.append(self._add((m, q, r), level))


Bound = Callable[[int], tuple[float | None, str]]
Progress = Callable[[float, int], None]


def refine(
    mesh: Triangulation | EdgeMesh,
    bound: Bound,
    tau: float,
    *,
    mode: str,
    max_triangles: int,
    deadline: float | None,
    time_limit: float | None,
    progress: Progress | None = None,
) -> dict[int, tuple[float, str]]:
    """Refine ``mesh`` until ``bound(t) <= tau`` on every triangle.

    Args:
        mesh: the triangulation, refined in place.
        bound: ``bound(t)`` is ``(proved bound or None, how)`` for triangle ``t``.
        tau: the tolerance per triangle.
        mode: ``"adaptive"`` (bisect the triangles that miss ``tau``) or
            ``"uniform"`` (bisect every triangle while any misses ``tau``).
        max_triangles: refuse beyond this many triangles.
        deadline: ``time.monotonic()`` value to stop at (``None``: none).
        time_limit: for the message.
        progress: called as ``progress(fraction_of_area_done, triangles)`` about
            every 0.5 s.

    Returns:
        The bound and its kind of every triangle of the final mesh, by id.

    Raises:
        BudgetExceeded: beyond ``max_triangles`` or ``deadline``.
        CertificationError: a triangle of level :data:`MAX_LEVEL` misses ``tau``.
    """
    found: dict[int, tuple[float | None, str]] = {}
    pending = sorted(mesh.triangles)
    last_report = time.monotonic()
    while pending:
        for count, t in enumerate(pending):
            if t in mesh.triangles and t not in found:
                found[t] = bound(t)
            if count % 64 == 0 and deadline is not None and time.monotonic() > deadline:
                raise BudgetExceeded(
                    f"time_limit={time_limit!r} s was hit with {len(mesh.triangles)} triangles "
                    "in the mesh; increase time_limit or eps"
                )
        failing = [t for t in pending if t in mesh.triangles and not _passes(found[t][0], tau)]
        if mode == "uniform" and failing:
            failing = sorted(mesh.triangles)
        pending = []
        for t in failing:
            if t not in mesh.triangles:
                continue  # bisected already, by the closure of another bisection
            if mesh.level[t] >= MAX_LEVEL:
                value, how = found[t]
                x, y = mesh.points(t)[0]
                raise CertificationError(
                    f"the bound {value!r} ({how}) misses eps after {MAX_LEVEL} bisections near "
                    f"({float(x)!r}, {float(y)!r}): g jumps there or is not certifiable"
                )
            pending += mesh.bisect(t)
            if len(mesh.triangles) > max_triangles:
                raise BudgetExceeded(
                    f"max_neurons={max_triangles} was hit: the mesh has {len(mesh.triangles)} "
                    "triangles (max_neurons also bounds the number of triangles; the network "
                    "has about 6 neurons per triangle); increase max_neurons or eps"
                )
        for t in [t for t in found if t not in mesh.triangles]:
            del found[t]
        if progress is not None and time.monotonic() - last_report > 0.5:
            last_report = time.monotonic()
            done = sum(2.0 ** -mesh.level[t] for t in found if _passes(found[t][0], tau))
            progress(done / 2, len(mesh.triangles))
    return {t: (value, how) for t, (value, how) in found.items() if value is not None}


def _passes(value: float | None, tau: float) -> bool:
    return value is not None and value <= tau
