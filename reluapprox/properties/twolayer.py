"""Properties of two-layer ReLU classifiers (course Ex 1): exact margins and invariances."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from reluapprox.network import ReluNetwork
from reluapprox.strategies import small_rationals
from reluapprox.twolayer import (
    _best_linear_cell,
    convex_region_bound,
    ex1a_network,
    exact_accuracy,
    exact_margins,
    fit_output_layer,
)
from reluapprox.verify import register

Point = tuple[Fraction, Fraction]


def _points(count: int) -> st.SearchStrategy[list[Point]]:
    coordinate = small_rationals(min_value=-5, max_value=5, max_denominator=8)
    return st.lists(st.tuples(coordinate, coordinate), min_size=count, max_size=count)


@st.composite
def _network_222(draw: st.DrawFn) -> ReluNetwork:
    value = small_rationals(min_value=-4, max_value=4, max_denominator=6)
    w1 = draw(st.lists(st.lists(value, min_size=2, max_size=2), min_size=2, max_size=2))
    b1 = draw(st.lists(value, min_size=2, max_size=2))
    w2 = draw(st.lists(st.lists(value, min_size=2, max_size=2), min_size=2, max_size=2))
    b2 = draw(st.lists(value, min_size=2, max_size=2))
    return ReluNetwork([w1, w2], [b1, b2], exact=True)


@register(
    "twolayer.ex1a_margin",
    "the Ex 1a network 1 - 2|x2| separates (+-a, 0) from (0, +-b) for every a and every "
    "b > 1/2, with exact margin min(1, 2b - 1)",
    lambda: st.tuples(
        small_rationals(min_value=-100, max_value=100, max_denominator=30),
        small_rationals(min_value=Fraction(1, 2), max_value=100, max_denominator=30).filter(
            lambda b: b > Fraction(1, 2)
        ),
    ),
)
def ex1a_margin(data: tuple[Fraction, Fraction]) -> None:
    a, b = data
    zero = Fraction(0)
    points = [(a, zero), (-a, zero), (zero, b), (zero, -b)]
    margins = exact_margins(ex1a_network(), points, [1, 1, 2, 2])
    assert list(margins) == [Fraction(1), Fraction(1), 2 * b - 1, 2 * b - 1]
    assert min(margins) == min(Fraction(1), 2 * b - 1) > 0


@register(
    "twolayer.permute_hidden_units",
    "swapping the two hidden units of a 2-2-2 network (rows of W1 and b1, columns of W2) "
    "leaves its scores unchanged, exactly",
    lambda: st.tuples(_network_222(), _points(3)),
)
def permute_hidden_units(data: tuple[ReluNetwork, list[Point]]) -> None:
    net, points = data
    order = [1, 0]
    w1, w2 = net.weights
    b1, b2 = net.biases
    swapped = ReluNetwork([w1[order], w2[:, order]], [b1[order], b2], exact=True)
    assert swapped != net or w1[0].tolist() == w1[1].tolist()
    for point in points:
        assert swapped.exact(list(point)) == net.exact(list(point))


@register(
    "twolayer.rescale_hidden_unit",
    "multiplying hidden unit k's row of W1 and entry of b1 by c > 0 and column k of W2 by "
    "1/c leaves the scores of a 2-2-2 network unchanged, exactly",
    lambda: st.tuples(
        _network_222(),
        st.integers(0, 1),
        small_rationals(min_value=Fraction(1, 20), max_value=20, max_denominator=9),
        _points(3),
    ),
)
def rescale_hidden_unit(data: tuple[ReluNetwork, int, Fraction, list[Point]]) -> None:
    net, k, c, points = data
    w1 = np.array(net.weights[0], dtype=object)
    b1 = np.array(net.biases[0], dtype=object)
    w2 = np.array(net.weights[1], dtype=object)
    w1[k] = w1[k] * c
    b1[k] = b1[k] * c
    w2[:, k] = w2[:, k] / c
    rescaled = ReluNetwork([w1, w2], [b1, net.biases[1]], exact=True)
    for point in points:
        assert rescaled.exact(list(point)) == net.exact(list(point))


@register(
    "twolayer.negative_rescale_changes_unit",
    "relu is only positively homogeneous: negating hidden unit k's line z and its output "
    "column c turns c relu(z) into -c relu(-z) = c relu(z) - c |z|, exactly",
    lambda: st.tuples(_network_222(), st.integers(0, 1), _points(2)),
)
def negative_rescale_changes_unit(data: tuple[ReluNetwork, int, list[Point]]) -> None:
    net, k, points = data
    w1 = np.array(net.weights[0], dtype=object)
    b1 = np.array(net.biases[0], dtype=object)
    w2 = np.array(net.weights[1], dtype=object)
    flipped_w1, flipped_b1, flipped_w2 = w1.copy(), b1.copy(), w2.copy()
    flipped_w1[k] = -w1[k]
    flipped_b1[k] = -b1[k]
    flipped_w2[:, k] = -w2[:, k]
    flipped = ReluNetwork([flipped_w1, flipped_w2], [flipped_b1, net.biases[1]], exact=True)
    for point in points:
        z = Fraction(w1[k][0]) * point[0] + Fraction(w1[k][1]) * point[1] + Fraction(b1[k])
        expected = tuple(
            s - Fraction(w2[j][k]) * abs(z) for j, s in enumerate(net.exact(list(point)))
        )
        assert flipped.exact(list(point)) == expected


@register(
    "twolayer.output_fit_optimal",
    "the output layer chosen by fit_output_layer classifies at least as many points "
    "(counted exactly) as the network's own output layer and as any output layer sampled",
    lambda: st.tuples(
        _network_222(),
        _points(7),
        st.lists(st.sampled_from([1, 2]), min_size=7, max_size=7),
        st.integers(0, 2**32 - 1),
    ),
)
def output_fit_optimal(data: tuple[ReluNetwork, list[Point], list[int], int]) -> None:
    net, points, labels, seed = data
    xs = np.array([[float(p) for p in point] for point in points])
    fitted = fit_output_layer(net, xs, labels)
    fitted_accuracy = exact_accuracy(fitted, xs, labels)
    assert fitted.weights[0].tolist() == np.asarray(net.weights[0], dtype=float).tolist()
    assert fitted_accuracy >= exact_accuracy(net, xs, labels)
    hidden = np.maximum(xs @ fitted.weights[0].T + fitted.biases[0], 0.0)
    features = np.column_stack([np.ones(len(points)), hidden])
    y = np.where(np.array(labels) == 1, 1.0, -1.0)
    _, best = _best_linear_cell(y[:, None] * features)
    samples = np.random.default_rng(seed).standard_normal((500, 3))
    sampled = int(np.max(np.sum((samples @ (y[:, None] * features).T) > 0, axis=1)))
    assert best >= sampled


@st.composite
def _labelled_points(
    draw: st.DrawFn, grid: int = 4, max_size: int = 7
) -> tuple[list[Point], list[int]]:
    """Few points on a small integer grid (many ties and collinear triples) with labels."""
    coordinate = st.integers(0, grid).map(Fraction)
    points = draw(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=max_size))
    labels = draw(st.lists(st.sampled_from([1, 2]), min_size=len(points), max_size=len(points)))
    return points, labels


def _cross(o: Point, a: Point, b: Point) -> Fraction:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _in_hull(corners: list[Point], q: Point) -> bool:
    """Is ``q`` in the closed convex hull of ``corners``? Exact, by brute force."""
    if not corners:
        return False
    if all(c == corners[0] for c in corners):
        return q == corners[0]
    for a, b in itertools.combinations(corners, 2):
        if a == b:
            continue
        signs = {(_cross(a, b, c) > 0) - (_cross(a, b, c) < 0) for c in corners}
        if 1 in signs and -1 in signs:
            continue  # not a supporting line
        side = 1 if 1 in signs else -1 if -1 in signs else 0
        value = _cross(a, b, q)
        if side == 0:  # all corners collinear: q must lie on the segment they span
            if value != 0:
                return False
            lo = min(corners, key=lambda c: (c[0], c[1]))
            hi = max(corners, key=lambda c: (c[0], c[1]))
            return lo <= q <= hi
        if value * side < 0:
            return False
    return True


def _brute_force_bound(points: list[Point], labels: list[int], cls: int) -> int:
    members = [p for p, label in zip(points, labels, strict=True) if label == cls]
    best = 0
    for size in range(len(members) + 1):
        for subset in itertools.combinations(members, size):
            hull = list(subset)
            best = max(
                best,
                sum(
                    (label == cls) == _in_hull(hull, p)
                    for p, label in zip(points, labels, strict=True)
                ),
            )
    return best


@register(
    "twolayer.convex_bound_brute_force",
    "convex_region_bound equals, for each class A, the brute-force maximum over subsets S of "
    "class A of the points classified right by the region conv(S)",
    lambda: _labelled_points(),
)
def convex_bound_brute_force(data: tuple[list[Point], list[int]]) -> None:
    points, labels = data
    bound = convex_region_bound([[float(c) for c in p] for p in points], labels)
    for cls in (1, 2):
        assert bound.per_class[cls] == _brute_force_bound(points, labels, cls)
    assert bound.correct == max(bound.per_class.values())


@register(
    "twolayer.convex_bound_dominates_networks",
    "no 2-2-2 network classifies more points correctly (counted exactly) than "
    "convex_region_bound allows",
    lambda: st.tuples(_labelled_points(grid=6, max_size=10), _network_222()),
)
def convex_bound_dominates_networks(
    data: tuple[tuple[list[Point], list[int]], ReluNetwork],
) -> float:
    (points, labels), net = data
    bound = convex_region_bound([[float(c) for c in p] for p in points], labels)
    correct = exact_accuracy(net, points, labels) * len(points)
    return float(correct / bound.correct) if bound.correct else float(correct)


def _dot(u: tuple[Fraction, ...], v: tuple[Fraction, ...]) -> Fraction:
    return sum((a * b for a, b in zip(u, v, strict=True)), Fraction(0))


def _cross3(u: tuple[Fraction, ...], v: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _best_cell_exhaustive(u: list[tuple[Fraction, ...]]) -> int:
    """``max_c #{j : c . u_j > 0}`` by enumerating every open cell, in exact arithmetic.

    For normals spanning R^3 every open cell of the arrangement of the planes
    ``c . u_j = 0`` is a pointed cone whose extreme rays are lines ``d = +-(u_i x u_j)``.
    Near ``d`` the cell is a sector of the plane ``d^perp`` between rays ``d x u_k`` of
    the planes through ``d``, so it contains ``d + eps (r + r')`` for two of those rays and
    every small ``eps > 0``; the candidates are all such points.
    """
    zero = Fraction(0)
    best = 0
    for ui, uj in itertools.combinations(u, 2):
        line = _cross3(ui, uj)
        if all(v == zero for v in line):
            continue
        for d in (line, tuple(-v for v in line)):
            through = [uk for uk in u if _dot(d, uk) == zero]
            rays = [tuple(s * v for v in _cross3(d, uk)) for uk in through for s in (1, -1)]
            for r, q in itertools.combinations(rays, 2):
                w = tuple(a + b for a, b in zip(r, q, strict=True))
                steps = [
                    abs(_dot(d, uk)) / (2 * abs(_dot(w, uk)))
                    for uk in u
                    if _dot(d, uk) != zero and _dot(w, uk) != zero
                ]
                eps = min(steps, default=Fraction(1))
                c = tuple(a + eps * b for a, b in zip(d, w, strict=True))
                best = max(best, sum(1 for uk in u if _dot(c, uk) > zero))
    return best


@register(
    "twolayer.output_fit_every_cell",
    "the sweep behind fit_output_layer finds the best cell of the arrangement of planes "
    "c . u_j = 0: its count equals an exact enumeration of every open cell",
    lambda: st.lists(
        st.tuples(*[st.integers(-3, 3).map(Fraction)] * 3).filter(any), min_size=3, max_size=6
    ),
)
def output_fit_every_cell(u: list[tuple[Fraction, ...]]) -> None:
    if np.linalg.matrix_rank(np.array(u, dtype=float)) < 3:
        return  # the enumeration needs normals that span R^3
    _, count = _best_linear_cell(np.array(u, dtype=float))
    assert count == _best_cell_exhaustive(u)


@register(
    "twolayer.convex_region_half_planes",
    "g = c0 + c1 relu(z1) + c2 relu(z2): for c1, c2 <= 0, g is the minimum of the four "
    "affine pieces c0, c0 + c1 z1, c0 + c2 z2, c0 + c1 z1 + c2 z2 and {g > 0} is empty "
    "for c0 <= 0, else the intersection of three half-planes; for c1 = a > 0 > c2 = -b "
    "the convex region is the intersection of two half-planes (exactly)",
    lambda: st.tuples(_network_222(), _points(4)),
)
def convex_region_half_planes(data: tuple[ReluNetwork, list[Point]]) -> None:
    net, points = data
    w1 = [[Fraction(v) for v in row] for row in net.weights[0].tolist()]
    b1 = [Fraction(v) for v in net.biases[0].tolist()]
    w2 = [[Fraction(v) for v in row] for row in net.weights[1].tolist()]
    b2 = [Fraction(v) for v in net.biases[1].tolist()]
    c0 = b2[0] - b2[1]
    c1, c2 = (-abs(w2[0][k] - w2[1][k]) for k in (0, 1))  # force case 1: c1, c2 <= 0
    for x in points:
        z1, z2 = (w1[k][0] * x[0] + w1[k][1] * x[1] + b1[k] for k in (0, 1))
        g = c0 + c1 * max(z1, Fraction(0)) + c2 * max(z2, Fraction(0))
        assert g == min(c0, c0 + c1 * z1, c0 + c2 * z2, c0 + c1 * z1 + c2 * z2)
        in_three = c0 + c1 * z1 > 0 and c0 + c2 * z2 > 0 and c0 + c1 * z1 + c2 * z2 > 0
        assert (g > 0) == (c0 > 0 and in_three)
        a, b = -c1 + 1, -c2  # case 3: c1 = a > 0 >= c2 = -b
        g3 = c0 + a * max(z1, Fraction(0)) - b * max(z2, Fraction(0))
        if c0 >= 0:
            assert (g3 < 0) == (b * z2 - c0 > 0 and b * z2 - a * z1 - c0 > 0)
        else:
            assert (g3 > 0) == (a * z1 + c0 > 0 and a * z1 - b * z2 + c0 > 0)
