"""Exact interpolation of points ``(x_i, y_i)`` by a shallow ReLU network (Ex 2a, 2b).

For nodes ``x_0 < x_1 < ... < x_N`` and values ``y_0, ..., y_N`` the network

``f(x) = y_0 + sum_{k=0}^{N-1} w_k relu(x - x_k)``

with ``w_0 = s_0`` and ``w_k = s_k - s_{k-1}``, where ``s_k = (y_{k+1} - y_k) /
(x_{k+1} - x_k)`` is the slope of the data on ``[x_k, x_{k+1}]``, satisfies
``f(x_i) = y_i`` for every ``i``: it uses ``m = N`` neurons. The weights solve a
lower-triangular system (see the docs page "Interpolation"); in rational arithmetic
the solution and the check ``f(x_i) == y_i`` are exact.

Examples:
    >>> from fractions import Fraction
    >>> net = interpolate([0, Fraction(1, 2), 1], [1, 3, 2])  # Ex 2a: m = 2 neurons
    >>> net.n_neurons, net.weights, net.bias
    (2, (Fraction(4, 1), Fraction(-6, 1)), Fraction(1, 1))
    >>> [net.exact(x) for x in (0, Fraction(1, 2), 1)]
    [Fraction(1, 1), Fraction(3, 1), Fraction(2, 1)]

References:
    APM 598 Homework 2, Ex 2a and 2b.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from reluapprox._validation import fail
from reluapprox.shallow import ShallowNetwork, as_rational_vector

__all__ = ["interpolate", "interpolate_floats", "interpolation_weights"]

Points = Sequence[int | Fraction | float] | npt.NDArray[np.generic]

_FLOAT_MAX = Fraction(sys.float_info.max)


def interpolation_weights(
    xs: Sequence[Fraction], ys: Sequence[Fraction]
) -> tuple[tuple[Fraction, ...], Fraction]:
    """Solve the triangular system for the weights; returns ``(weights, bias)``.

    ``xs`` must be strictly increasing Fractions of the same length as ``ys``
    (at least two); :func:`interpolate` validates and converts its input first.
    """
    slopes = [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(len(xs) - 1)]
    weights = [slopes[0]] + [slopes[k] - slopes[k - 1] for k in range(1, len(slopes))]
    return tuple(weights), ys[0]


def interpolate_floats(
    nodes: Sequence[float],
    values: Sequence[Fraction],
    *,
    floats: npt.NDArray[np.float64] | None = None,
    floats_exact: bool = False,
) -> ShallowNetwork:
    """:func:`interpolate` for trusted data: strictly increasing floats and Fractions.

    The fast path for meshes built by this library (:mod:`reluapprox.mesh`): the
    input is not validated. The network is built without re-deriving its knot
    values, which are the given ``values``; its exact knots, slopes and weights are
    computed on first access (the slopes in integer arithmetic over common
    denominators, one ``gcd`` each), since no certificate needs them. ``floats``,
    if given, are the values rounded to the nearest floats (computed otherwise);
    ``floats_exact`` says that they are the values exactly, so that the float slopes
    are one float division wherever both differences are exact in floats.

    Examples:
        >>> net = interpolate_floats([0.0, 0.5, 1.0], [Fraction(1), Fraction(3), Fraction(2)])
        >>> net == interpolate([0, Fraction(1, 2), 1], [1, 3, 2])
        True
    """
    n = len(nodes) - 1
    xs = [x.as_integer_ratio() for x in nodes]
    x_den = max(q for _, q in xs)  # powers of two: the largest is a common multiple
    y_den = math.lcm(*{v.denominator for v in values})
    dy = values[n] - values[n - 1]
    dx = xs[n][0] * (x_den // xs[n][1]) - xs[n - 1][0] * (x_den // xs[n - 1][1])
    try:
        last = (dy.numerator * x_den) / (dx * dy.denominator)  # correctly rounded
    except OverflowError:
        last = math.inf if dy > 0 else -math.inf

    def rises() -> tuple[list[int], list[int]]:
        """Per cell ``dY, dX`` with slope ``dY x_den / (dX y_den)``, in integers."""
        big_x = [p * (x_den // q) for p, q in xs]
        big_y = [v.numerator * (y_den // v.denominator) for v in values]
        return (
            [big_y[k + 1] - big_y[k] for k in range(n)],
            [big_x[k + 1] - big_x[k] for k in range(n)],
        )

    def parameters() -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
        dy, dx = rises()
        slopes = tuple(Fraction(dy[k] * x_den, dx[k] * y_den) for k in range(n))
        return tuple(Fraction(x) for x in nodes[:-1]), slopes

    def float_slopes() -> npt.NDArray[np.float64]:
        if floats_exact and floats is not None:
            slopes, inexact = _exact_float_slopes(np.asarray(nodes, dtype=np.float64), floats)
            for k in inexact.tolist():  # the exact slope of cell k, rounded once
                dy = values[k + 1] - values[k]
                (p0, q0), (p1, q1) = xs[k], xs[k + 1]
                dx_num = p1 * q0 - p0 * q1  # dx = dx_num / (q0 q1)
                slopes[k] = _divide(dy.numerator * q0 * q1, dy.denominator * dx_num)
            return slopes
        dy, dx = rises()
        return np.array([_divide(dy[k] * x_den, dx[k] * y_den) for k in range(n)])

    return ShallowNetwork._trusted(
        tuple(values[:-1]),
        np.array(nodes[:-1], dtype=np.float64),
        last,
        parameters,
        None if floats is None else floats[:-1],
        float_slopes,
    )


def _exact_float_slopes(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Slopes ``(y[k+1] - y[k]) / (x[k+1] - x[k])`` rounded to nearest, in floats, and
    the cells where that is not proved: a difference that is not exact in floats
    (its error, by Knuth's TwoSum, is not 0) or not finite.

    Where both differences are exact floats, the float quotient is the exact slope
    rounded once (IEEE division is correctly rounded, overflow and underflow included).
    """
    with np.errstate(all="ignore"):
        dx, dy = np.diff(x), np.diff(y)
        exact = np.isfinite(dx) & np.isfinite(dy)
        for d, v in ((dx, x), (dy, y)):
            a, b = -v[:-1], v[1:]
            back_b = d - a
            back_a = d - back_b
            exact &= (b - back_b) + (a - back_a) == 0
        slopes = dy / dx
    return slopes, np.flatnonzero(~exact)


def _divide(p: int, q: int) -> float:
    """``p / q`` (``q > 0``) rounded to the nearest float (int division is correctly
    rounded), or ``±inf`` beyond the float range."""
    try:
        return p / q
    except OverflowError:
        return math.inf if p > 0 else -math.inf


def interpolate(xs: Points, ys: Points) -> ShallowNetwork:
    """The shallow ReLU network with neurons ``relu(x - x_i)`` through the points.

    Args:
        xs: strictly increasing nodes ``x_0 < ... < x_N`` (``N >= 1``); ints,
            Fractions, floats or a 1-D numpy array. Floats are converted exactly.
        ys: the values ``y_0, ..., y_N``.

    Returns:
        A :class:`~reluapprox.shallow.ShallowNetwork` with ``N`` neurons (knots
        ``x_0, ..., x_{N-1}``) and exact weights such that ``net.exact(x_i) == y_i``.

    Raises:
        InvalidArgument: for fewer than 2 points, unequal lengths, nodes that are
            not strictly increasing, NaN/inf, non-numeric entries or 2-D input.
    """
    x = as_rational_vector("xs", xs)
    y = as_rational_vector("ys", ys)
    if len(x) < 2:
        fail("xs", xs, "at least 2 points")
    if len(y) != len(x):
        fail("ys", ys, f"as many values as xs has points ({len(x)}), got {len(y)}")
    for k in range(1, len(x)):
        if not x[k - 1] < x[k]:
            fail("xs", xs, f"strictly increasing nodes; xs[{k - 1}] >= xs[{k}]")
    for k, value in enumerate(x):
        if abs(value) > _FLOAT_MAX:
            fail(f"xs[{k}]", value, "a node within the float64 range (|x| < 1.8e308)")
    weights, bias = interpolation_weights(x, y)
    return ShallowNetwork(x[:-1], weights, bias)
