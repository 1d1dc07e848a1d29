"""Exact linear pieces of a one-dimensional ReLU network, and exact error maxima.

A network ``f: R -> R`` of any depth is continuous and piecewise linear. Layer by
layer, :func:`linear_pieces` keeps a sorted list of breakpoints and the exact values
of every unit there; between consecutive breakpoints each unit is affine, so a
pre-activation changes sign at most once per segment, at a rational point, which is
added before the ReLU is applied (rationals of python-flint's ``fmpq`` inside, the
result as Fractions). At the end ``f`` is affine between consecutive
breakpoints and its exact values there describe it completely.

:func:`max_error_polynomial` compares ``f`` with a polynomial piece by piece: for
degree <= 2 the maximum of ``|p - f|`` on a piece is attained at an end or at the
vertex, so the result is the exact maximum; for higher degrees it is a proved
upper bound (Taylor expansion at the midpoint of each piece, in rationals).

Examples:
    >>> from reluapprox.network import ReluNetwork
    >>> net = ReluNetwork([[[1], [1]], [[1, -2]]], [[0, Fraction(-1, 2)], [0]])  # hat
    >>> xs, ys = linear_pieces(net, (0, 1))
    >>> [str(x) for x in xs], [str(y) for y in ys]
    (['0', '1/2', '1'], ['0', '1/2', '0'])
    >>> max_error_polynomial(net, [0, 1, -1], (0, 1))  # x - x**2 against the hat
    (Fraction(1, 4), True)

References:
    G. Montufar, R. Pascanu, K. Cho, Y. Bengio, On the number of linear regions of
    deep neural networks, NeurIPS 2014.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from flint import fmpq

from reluapprox._validation import check_positive_int, check_rational, fail
from reluapprox.errors import BudgetExceeded
from reluapprox.network import ReluNetwork

__all__ = ["DEFAULT_MAX_PIECES", "linear_pieces", "max_error_polynomial"]

#: Default bound on the number of pieces enumerated.
DEFAULT_MAX_PIECES = 200_000


def _domain(domain: object) -> tuple[Fraction, Fraction]:
    if isinstance(domain, (str, bytes)) or not isinstance(domain, Sequence) or len(domain) != 2:
        fail("domain", domain, "a pair (a, b) of rationals with a < b")
    a = check_rational("domain[0]", domain[0])
    b = check_rational("domain[1]", domain[1])
    if not a < b:
        fail("domain", domain, "a pair (a, b) of rationals with a < b")
    return a, b


def _q(x: Fraction) -> fmpq:
    return fmpq(x.numerator, x.denominator)


def _fraction(x: fmpq) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def linear_pieces(
    network: ReluNetwork,
    domain: Sequence[int | float | Fraction],
    *,
    max_pieces: int = DEFAULT_MAX_PIECES,
) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    """The breakpoints ``a = x_0 < ... < x_P = b`` of ``f`` on ``domain`` and ``f(x_i)``.

    ``f`` is affine on every ``[x_i, x_{i+1}]``; every kink of ``f`` in ``(a, b)`` is
    among the ``x_i`` (some ``x_i`` may be removable). Exact for exact networks
    (float parameters are read exactly).

    Args:
        network: a network with one input and one output.
        domain: ``(a, b)``.
        max_pieces: give up beyond this many pieces.

    Raises:
        InvalidArgument: for a network that is not ``R -> R`` or a bad domain.
        BudgetExceeded: when some layer has more than ``max_pieces`` pieces.
    """
    if not isinstance(network, ReluNetwork):
        fail("network", network, "a ReluNetwork")
    if network.input_dim != 1 or network.output_dim != 1:
        fail("network", network, "a network R -> R (one input, one output)")
    check_positive_int("max_pieces", max_pieces)
    a, b = _domain(domain)
    zero = fmpq(0)
    xs = [_q(a), _q(b)]
    units: list[list[fmpq]] = [list(xs)]
    last = network.depth - 1
    for layer, (w, bias) in enumerate(zip(network.weights, network.biases, strict=True)):
        rows = [[_q(Fraction(v)) for v in row] for row in w.tolist()]
        shifts = [_q(Fraction(v)) for v in bias.tolist()]
        pre = [
            [
                sum((c * u[p] for c, u in zip(row, units, strict=True) if c), shift)
                for p in range(len(xs))
            ]
            for row, shift in zip(rows, shifts, strict=True)
        ]
        if layer == last:
            return tuple(map(_fraction, xs)), tuple(map(_fraction, pre[0]))
        cuts: dict[int, set[fmpq]] = {}
        for values in pre:
            for p in range(len(xs) - 1):
                y0, y1 = values[p], values[p + 1]
                if (y0 < 0 < y1) or (y1 < 0 < y0):
                    cuts.setdefault(p, set()).add(y0 / (y0 - y1))
        if cuts:
            new_xs: list[fmpq] = []
            new_pre: list[list[fmpq]] = [[] for _ in pre]
            for p in range(len(xs)):
                new_xs.append(xs[p])
                for i, values in enumerate(pre):
                    new_pre[i].append(values[p])
                for s in sorted(cuts.get(p, ())):
                    new_xs.append(xs[p] + (xs[p + 1] - xs[p]) * s)
                    for i, values in enumerate(pre):
                        new_pre[i].append(values[p] + (values[p + 1] - values[p]) * s)
            xs, pre = new_xs, new_pre
        if len(xs) - 1 > max_pieces:
            raise BudgetExceeded(
                f"max_pieces={max_pieces} was hit: layer {layer + 1} of the network has "
                f"{len(xs) - 1} linear pieces on [{a}, {b}]"
            )
        units = [[v if v > 0 else zero for v in values] for values in pre]
    raise AssertionError("unreachable: the output layer returns")  # pragma: no cover


def _taylor(coeffs: Sequence[Fraction], c: Fraction) -> list[Fraction]:
    """The coefficients of ``q(c + s)`` in ``s`` (Taylor coefficients ``q^(i)(c)/i!``)."""
    n = len(coeffs)
    return [
        sum((coeffs[i] * math.comb(i, j) * c ** (i - j) for i in range(j, n)), Fraction(0))
        for j in range(n)
    ]


def max_error_polynomial(
    network: ReluNetwork,
    coeffs: Sequence[int | float | Fraction],
    domain: Sequence[int | float | Fraction],
    *,
    max_pieces: int = DEFAULT_MAX_PIECES,
) -> tuple[Fraction, bool]:
    """``(bound, exact)``: ``max |p - f|`` on ``domain`` for ``p(x) = sum_i c_i x**i``.

    ``exact`` is ``True`` when ``bound`` is the exact maximum (degree <= 2), else
    ``bound`` is a proved upper bound: on a piece with midpoint ``c`` and half-width
    ``r``, ``|q(c + s)| <= sum_i |q_i| r**i`` for ``q = p - f`` in Taylor form.

    Raises:
        InvalidArgument, BudgetExceeded: as :func:`linear_pieces`.
    """
    if isinstance(coeffs, (str, bytes)) or not isinstance(coeffs, Sequence) or not coeffs:
        fail("coeffs", coeffs, "a non-empty sequence of rational coefficients")
    cs = [check_rational(f"coeffs[{i}]", c) for i, c in enumerate(coeffs)]
    while len(cs) > 3 and cs[-1] == 0:
        cs.pop()
    xs, ys = linear_pieces(network, domain, max_pieces=max_pieces)
    exact = len(cs) <= 3
    cs += [Fraction(0)] * (3 - len(cs))
    worst = Fraction(0)
    for p in range(len(xs) - 1):
        x0, x1 = xs[p], xs[p + 1]
        slope = (ys[p + 1] - ys[p]) / (x1 - x0)
        q = list(cs)  # p - f on the piece, f = ys[p] + slope (x - x0)
        q[0] -= ys[p] - slope * x0
        q[1] -= slope
        if exact:
            points = [x0, x1]
            if q[2] != 0:
                vertex = -q[1] / (2 * q[2])
                if x0 < vertex < x1:
                    points.append(vertex)
            for x in points:
                worst = max(worst, abs(q[0] + q[1] * x + q[2] * x * x))
        else:
            c, r = (x0 + x1) / 2, (x1 - x0) / 2
            t = _taylor(q, c)
            worst = max(worst, sum((abs(ti) * r**i for i, ti in enumerate(t)), Fraction(0)))
    return worst, exact
