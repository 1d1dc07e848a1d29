"""Properties of the deep constructions: proved bounds hold exactly, sizes follow the formulas.

Every check is in rational arithmetic: the network is evaluated with
:meth:`~reluapprox.network.ReluNetwork.exact` at random rational points and, for
one-dimensional networks with few enough pieces, at every breakpoint found by
:func:`~reluapprox.pieces.linear_pieces` (where the error of a convex or concave
piece is extreme), and compared with the exact polynomial or product.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from hypothesis import strategies as st

from reluapprox.deep import DeepNetwork, multiply, polynomial, schedule, square
from reluapprox.errors import BudgetExceeded
from reluapprox.pieces import linear_pieces, max_error_polynomial
from reluapprox.verify import register

#: Tolerances drawn by the properties.
EPS_VALUES = (1e-2, 1e-4, 1e-7)

#: Breakpoints are checked when the network has at most this many pieces.
MAX_PIECES = 1_000


def _rationals(bound: int, denominator: int) -> st.SearchStrategy[Fraction]:
    return st.integers(1, denominator).flatmap(
        lambda q: st.integers(-bound * q, bound * q).map(lambda p: Fraction(p, q))
    )


@st.composite
def _interval(draw: st.DrawFn, eighths: int = 32) -> tuple[Fraction, Fraction]:
    a = draw(_rationals(2, 8))
    width = draw(st.integers(1, eighths).map(lambda k: Fraction(k, 8)))
    return a, a + width


def _points(draw: st.DrawFn, lo: Fraction, hi: Fraction, n: int) -> list[Fraction]:
    fractions = st.integers(0, 10**6).map(lambda k: Fraction(k, 10**6))
    return [lo + (hi - lo) * t for t in draw(st.lists(fractions, min_size=n, max_size=n))]


PolynomialCase = tuple[tuple[Fraction, ...], tuple[Fraction, Fraction], float, tuple[Fraction, ...]]


@st.composite
def _polynomial_case(draw: st.DrawFn) -> PolynomialCase:
    degree = draw(st.integers(0, 6))
    coeffs = tuple(draw(st.lists(_rationals(2, 6), min_size=degree + 1, max_size=degree + 1)))
    lo, hi = draw(_interval(16))
    return coeffs, (lo, hi), draw(st.sampled_from(EPS_VALUES)), tuple(_points(draw, lo, hi, 6))


@functools.lru_cache(maxsize=128)
def _polynomial(
    coeffs: tuple[Fraction, ...], domain: tuple[Fraction, Fraction], eps: float
) -> DeepNetwork:
    return polynomial(coeffs, eps, domain=domain)


def _value(coeffs: tuple[Fraction, ...], x: Fraction) -> Fraction:
    return sum((c * x**i for i, c in enumerate(coeffs)), Fraction(0))


def _horner_size(schedules: tuple[tuple[int, ...], ...]) -> tuple[int, int]:
    """Neurons and depth predicted from the schedules: a square block (degree 2) has
    ``sum(k) - 1 + max(m - 1, 1)`` neurons; a Horner product block (its schedule listed
    twice, once per square) ``2 (sum(k) - 1) + max(m - 1, 1)`` plus ``m - 1`` (``m >= 2``)
    or 1 (``m == 1``) carrying ``t``, except the last block; depth ``sum(m) + 1``."""
    if len(schedules) == 1:
        (ks,) = schedules
        return sum(ks) - 1 + max(len(ks) - 1, 1), len(ks) + 1
    blocks = schedules[::2]
    neurons = 0
    for j, ks in enumerate(blocks):
        m = len(ks)
        if m:
            neurons += 2 * (sum(ks) - 1) + max(m - 1, 1)
            neurons += 0 if j == len(blocks) - 1 else max(m - 1, 1)
    return neurons, sum(len(ks) for ks in blocks) + 1


@register(
    "depth.polynomial_bound_holds",
    "for random polynomials of degree <= 6 on random intervals, polynomial(coeffs, eps) has "
    "bound < eps, the size its schedules predict, and |p - f| <= bound exactly at random "
    "rational points and at every breakpoint of f",
    _polynomial_case,
)
def polynomial_bound_holds(case: PolynomialCase) -> float | None:
    coeffs, domain, eps, points = case
    net = _polynomial(coeffs, domain, eps)
    assert net.bound < Fraction(eps)
    checked = [*points, *domain]
    assert (net.n_neurons, net.depth) == _horner_size(net.schedules)
    worst = max(abs(net.network.exact([x])[0] - _value(coeffs, x)) for x in checked)
    try:
        xs, ys = linear_pieces(net.network, domain, max_pieces=MAX_PIECES)
    except BudgetExceeded:
        xs, ys = (), ()
    for x, y in zip(xs, ys, strict=True):  # the exact values of f at its breakpoints
        worst = max(worst, abs(y - _value(coeffs, x)))
    assert worst <= net.bound, (float(worst), float(net.bound))
    return None if net.bound == 0 else float(worst / net.bound)


MultiplyCase = tuple[tuple[tuple[Fraction, Fraction], ...], float, tuple[tuple[Fraction, ...], ...]]


#: Relative float64 tolerance: ``|f_float - p| <= bound + FLOAT64_RTOL * scale`` with
#: ``scale = 1 + sum_i |c_i| max(|a|, |b|)**i`` (a few ulps of the values involved).
FLOAT64_RTOL = 1e-13


@register(
    "depth.float64_within_bound",
    "the float64 evaluation of polynomial(coeffs, eps) on 1001 equally spaced points stays "
    "within bound + 1e-13 * (1 + sum |c_i| max(|a|, |b|)**i) of p",
    _polynomial_case,
)
def float64_within_bound(case: PolynomialCase) -> float:
    coeffs, (a, b), eps, _ = case
    net = _polynomial(coeffs, (a, b), eps)
    grid = [a + (b - a) * Fraction(k, 1000) for k in range(1001)]
    values = net.network([[float(x)] for x in grid])[:, 0]
    top = max(abs(a), abs(b))
    scale = 1 + sum(abs(c) * top**i for i, c in enumerate(coeffs))
    allowed = float(net.bound) + FLOAT64_RTOL * float(scale)
    worst = max(abs(float(v) - float(_value(coeffs, x))) for v, x in zip(values, grid, strict=True))
    assert worst <= allowed, (worst, allowed)
    return worst / allowed


@st.composite
def _multiply_case(draw: st.DrawFn) -> MultiplyCase:
    box = (draw(_interval()), draw(_interval()))
    xs = [*_points(draw, *box[0], 10), box[0][0], box[0][1]]
    ys = [*_points(draw, *box[1], 10), box[1][1], box[1][0]]
    return box, draw(st.sampled_from(EPS_VALUES)), tuple(zip(xs, ys, strict=True))


@register(
    "depth.multiply_bound_holds",
    "for random boxes, multiply(eps, box) has 2 (sum(k) - 1) + max(m - 1, 1) neurons, bound "
    "w1 w2 / (4 N**2) < eps and |x y - f(x, y)| <= bound exactly at random rational points "
    "and corners of the box",
    _multiply_case,
)
def multiply_bound_holds(case: MultiplyCase) -> float:
    box, eps, points = case
    net = multiply(eps, box=box)
    assert net.bound < Fraction(eps)
    ks = net.schedules[0]
    n = math.prod(ks)
    assert net.n_neurons == 2 * (sum(ks) - 1) + max(len(ks) - 1, 1) if ks else net.n_neurons == 0
    widths = (box[0][1] - box[0][0]) * (box[1][1] - box[1][0])
    assert net.bound == widths / (4 * n * n)
    worst = max(abs(net.network.exact([x, y])[0] - x * y) for x, y in points)
    assert worst <= net.bound, (float(worst), float(net.bound))
    return float(worst / net.bound)


@st.composite
def _square_case(draw: st.DrawFn) -> tuple[tuple[Fraction, Fraction], float]:
    return draw(_interval()), draw(st.sampled_from((1e-2, 1e-3, 1e-4, 1e-5)))


@register(
    "depth.square_sizes",
    "square(eps, (a, b)) has sum(k) - 1 + max(m - 1, 1) neurons and depth m + 1 for its "
    "schedule k_1..k_m, N = prod(k) is the least N with (b - a)**2 / (8 N**2) < eps, and "
    "the exact maximum error over all pieces equals the bound (b - a)**2 / (8 N**2)",
    _square_case,
)
def square_sizes(case: tuple[tuple[Fraction, Fraction], float]) -> None:
    (a, b), eps = case
    net = square(eps, domain=(a, b))
    (ks,) = net.schedules
    m, n = len(ks), math.prod(ks)
    assert net.n_neurons == sum(ks) - 1 + max(m - 1, 1)
    assert net.depth == m + 1
    w2 = (b - a) ** 2
    assert net.bound == w2 / (8 * n * n) < Fraction(eps)
    assert n == 1 or w2 / (8 * (n - 1) ** 2) >= Fraction(eps) or ks == schedule(n)
    exact_max, exact = max_error_polynomial(net.network, [0, 0, 1], (a, b))
    assert exact
    assert exact_max == net.bound


@functools.cache
def _least_teeth(required: int, layers: int) -> int:
    """The least ``sum(k)`` over ``layers`` factors ``k >= 2`` with ``prod(k) >= required``."""
    if layers == 0:
        return 0 if required <= 1 else 10**9
    return min(k + _least_teeth(-(-required // k), layers - 1) for k in range(2, 13))


@register(
    "depth.schedule_optimal",
    "schedule(R, squares=s) reaches prod(k) >= R with the least cost s (sum(k) - 1) + "
    "max(m - 1, 1) over all sequences of teeth 2..12 (dynamic programming)",
    lambda: st.tuples(st.integers(2, 10**6), st.sampled_from((1, 2))),
)
def schedule_optimal(case: tuple[int, int]) -> None:
    required, squares = case
    ks = schedule(required, squares=squares)
    assert math.prod(ks) >= required
    cost = squares * (sum(ks) - 1) + max(len(ks) - 1, 1)
    best = min(
        squares * (_least_teeth(required, m) - 1) + max(m - 1, 1)
        for m in range(1, 21)
        if _least_teeth(required, m) < 10**9
    )
    assert cost == best, (ks, cost, best)
