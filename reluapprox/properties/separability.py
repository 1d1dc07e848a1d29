"""Properties of perceptrons, exact linear separability and threshold functions."""

from __future__ import annotations

from fractions import Fraction
from functools import cache

from hypothesis import strategies as st

from reluapprox.separability import (
    boolean_cube,
    linear_separator,
    perceptron,
    threshold_functions,
)
from reluapprox.verify import register


def _rationals(bound: int, denominator: int) -> st.SearchStrategy[Fraction]:
    """Fractions p/q with |p/q| <= bound, q <= denominator (faster to draw than st.fractions)."""
    return st.integers(1, denominator).flatmap(
        lambda q: st.integers(-bound * q, bound * q).map(lambda p: Fraction(p, q))
    )


Data = tuple[list[list[Fraction]], list[int]]


@st.composite
def _labelled_points(draw: st.DrawFn) -> Data:
    dim = draw(st.integers(min_value=1, max_value=3))
    coordinate = st.integers(-3, 3).map(Fraction) | _rationals(3, 4)
    points = draw(
        st.lists(st.lists(coordinate, min_size=dim, max_size=dim), min_size=1, max_size=8)
    )
    labels = draw(st.lists(st.integers(0, 1), min_size=len(points), max_size=len(points)))
    return points, labels


@register(
    "separability.separator_or_certificate",
    "linear_separator returns a separator with s_i (w·x_i + b) >= 1 for every point, "
    "or Farkas multipliers that verify exactly",
    _labelled_points,
)
def separator_or_certificate(data: Data) -> None:
    points, labels = data
    result = linear_separator(points, labels)
    if result.separable:
        assert result.w is not None
        assert result.b is not None
        assert result.certificate is None
        for x, y in zip(points, labels, strict=True):
            value = sum((w * v for w, v in zip(result.w, x, strict=True)), result.b)
            assert (value if y == 1 else -value) >= 1
            assert perceptron(x, result.w, result.b) == y
    else:
        assert result.w is None
        assert result.b is None
        assert result.certificate is not None
        assert result.certificate.verify()
        common = result.certificate.common_point()
        assert len(common) == len(points[0])


@st.composite
def _planted(draw: st.DrawFn) -> tuple[list[list[Fraction]], list[Fraction], Fraction]:
    points, _ = draw(_labelled_points())
    dim = len(points[0])
    w = draw(st.lists(_rationals(10, 12), min_size=dim, max_size=dim))
    b = draw(_rationals(10, 12))
    return points, w, b


@register(
    "separability.planted_separator",
    "labels produced by any perceptron f(x; w, b) (with >= 0) are found separable",
    _planted,
)
def planted_separator(data: tuple[list[list[Fraction]], list[Fraction], Fraction]) -> None:
    points, w, b = data
    labels = [perceptron(x, w, b) for x in points]
    result = linear_separator(points, labels)
    assert result.separable
    assert result.w is not None
    assert result.b is not None
    assert [perceptron(x, result.w, result.b) for x in points] == labels


@cache
def _tables(n: int) -> frozenset[int]:
    return threshold_functions(n)


@register(
    "separability.enumeration_matches_lp",
    "a Boolean function of n <= 4 variables is in threshold_functions(n) (integer-weight "
    "enumeration) exactly when the exact LP finds it separable",
    lambda: st.integers(0, 4).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, 2 ** (2**n) - 1))
    ),
)
def enumeration_matches_lp(data: tuple[int, int]) -> None:
    n, table = data
    labels = [(table >> i) & 1 for i in range(2**n)]
    result = linear_separator(boolean_cube(n), labels)
    assert result.separable == (table in _tables(n))
    if not result.separable:
        assert result.certificate is not None
        assert result.certificate.verify()
