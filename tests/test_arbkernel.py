"""Tests of reluapprox.arbkernel: Arb balls and jets contain the true values."""

from __future__ import annotations

import sys
from fractions import Fraction

import flint
import mpmath
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from reluapprox import arbkernel
from reluapprox.arbkernel import (
    ArbKernel,
    _ball,
    arb_down,
    arb_up,
    compile_ball,
    compile_jet,
)
from reluapprox.certify import CellCertifier
from reluapprox.expr import SYMBOL, parse_expression

x = SYMBOL

#: ``(expression, domain)``: every node kind the parser accepts, kinks and cusps
#: included (where a jet is refused there, only the value is checked).
CASES = [
    ("exp(3*x)", (0.0, 1.0)),
    ("sin(2*pi*x) + cos(x)", (-1.0, 1.0)),
    ("1/(1 + 25*x**2)", (-1.0, 1.0)),
    ("x**2 - x**5/3", (-2.0, 2.0)),
    ("sqrt(x)", (0.001, 1.0)),
    ("abs(x - 1/3)**0.7", (0.0, 1.0)),
    ("tanh(20*sin(12*x))", (0.0, 1.0)),
    ("x*sin(1/x)", (0.01, 1.0)),
    ("atan(5*x)*cosh(x) - sinh(x)", (-1.0, 1.0)),
    ("log(1 + x) + tan(x)", (0.0, 1.5)),
    ("x**(7/3) + x**(-2)", (0.1, 2.0)),
    ("max(x, 1 - x) + min(x**2, 0.3)", (0.0, 1.0)),
    ("sign(x - 0.5)*x**2 + 2**x", (0.0, 1.0)),
]


def _exact(value: mpmath.mpf) -> flint.arb:
    """The mpmath number as an exact ball (call with a high ``flint.ctx.prec``)."""
    sign, man, exp, _ = value._mpf_
    exact = flint.arb(flint.fmpz(int(man))) * flint.arb(2) ** int(exp)
    return -exact if sign else exact


def _contains(ball: flint.arb, value: mpmath.mpf) -> bool:
    """Whether ``value`` (accurate to about 2**-280 relative) lies in ``ball``."""
    saved = flint.ctx.prec
    flint.ctx.prec = 600
    try:
        v = _exact(value)
        slack = abs(v) * flint.arb(2) ** -270 + flint.arb(2) ** -600
        return bool(ball.lower() <= v + slack) and bool(v - slack <= ball.upper())
    finally:
        flint.ctx.prec = saved


@given(
    case=st.sampled_from(CASES),
    start=st.floats(0.0, 1.0),
    width=st.floats(1e-9, 0.1),
    where=st.floats(0.0, 1.0),
)
def test_balls_and_jets_contain_the_high_precision_values(
    case: tuple[str, tuple[float, float]], start: float, width: float, where: float
) -> None:
    text, (lo, hi) = case
    expr = parse_expression(text)
    kernel = ArbKernel(expr)
    a = lo + (hi - lo) * start
    b = min(hi, a + width * (hi - lo))
    t = a + (b - a) * where
    g = sp.lambdify(x, expr, modules="mpmath")
    with mpmath.workprec(300):
        tt = mpmath.mpf(t)
        exact = g(tt)
        value = kernel.value(t)
        assert value is not None
        assert _contains(value, exact)
        ball = kernel.ball(a, b)
        if ball is not None:
            assert _contains(ball, exact)
        jet = kernel.jet(a, b)
        if jet is not None:
            d1 = mpmath.diff(g, tt, 1)
            d2 = mpmath.diff(g, tt, 2)
            assert _contains(jet[0], exact)
            assert _contains(jet[1], d1)
            assert _contains(2 * jet[2], d2)


def test_jets_refuse_where_g_is_not_twice_differentiable() -> None:
    assert ArbKernel(sp.sqrt(x)).jet(0.0, 0.25) is None  # sqrt'' unbounded at 0
    assert ArbKernel(abs(x - 0.5)).jet(0.25, 0.75) is None  # a kink
    assert ArbKernel(sp.Max(x, 1 - x)).jet(0.4, 0.6) is None
    assert ArbKernel(1 / (x - 0.5)).jet(0.0, 1.0) is None  # a pole
    assert ArbKernel(sp.tan(x)).jet(1.0, 2.0) is None  # the pole at pi/2
    assert ArbKernel(sp.log(x)).jet(-1.0, 1.0) is None
    # ... and accept the same nodes where they are smooth
    assert ArbKernel(abs(x - 0.5)).jet(0.6, 0.75) is not None
    assert ArbKernel(sp.Max(x, 1 - x)).jet(0.7, 0.8) is not None


def test_a_ball_that_loses_its_sign_information_falls_back_to_mpmath() -> None:
    # the example of the issue: Arb's ball of this g on [0.2, 0.25] is NaN
    expr = parse_expression("1/(1 + exp(40*sin(12*x)))")
    assert ArbKernel(expr).ball(0.2, 0.25) is None
    cert = CellCertifier(expr)
    bound = cert.oscillation_bound(cert.node(0.2), cert.node(0.25))
    assert bound is not None
    assert bound < 1.0
    assert cert.mpmath_enclosures == 1
    assert cert.arb_enclosures == 2  # the node values
    assert cert.kernel() == "Arb 80 bits; mpmath fallback on 1 of 3 enclosures"


def test_a_jet_whose_second_derivative_ball_contains_zero_is_left_to_mpmath() -> None:
    kernel = ArbKernel(sp.sin(2 * sp.pi * x))
    assert kernel.jet(0.49, 0.51) is None  # g'' changes sign at 0.5
    found = kernel.jet(0.2, 0.21)
    assert found is not None
    assert found[2] < 0


def test_nodes_outside_the_kernel_are_refused_at_compile_time() -> None:
    assert compile_ball(sp.asin(x)) is None
    assert compile_jet(sp.asin(x)) is None
    assert compile_ball(sp.Symbol("y")) is None


@pytest.mark.parametrize(
    ("numerator", "up", "down"),
    [
        (1, 0.33333333333333337, 0.3333333333333333),
        (6, 2.0, 2.0),
        (-1, -0.3333333333333333, -0.33333333333333337),
    ],
)
def test_rounding_of_ball_ends_to_floats(numerator: int, up: float, down: float) -> None:
    saved = flint.ctx.prec
    flint.ctx.prec = 80
    try:
        ball = flint.arb(numerator) / 3
    finally:
        flint.ctx.prec = saved
    assert arb_up(ball) == up
    assert arb_down(ball) == down


def test_unbounded_balls_round_to_infinities() -> None:
    assert arb_up(flint.arb("inf")) == float("inf")
    assert arb_up(flint.arb.nan()) == float("inf")
    assert arb_down(flint.arb.nan()) == float("-inf")
    huge = flint.arb(10) ** 400
    assert arb_down(huge) == sys.float_info.max
    assert arb_up(-huge) == -sys.float_info.max
    assert arb_up(huge) == float("inf")


def test_the_working_precision_is_restored() -> None:
    flint.ctx.prec = 53
    kernel = ArbKernel(sp.exp(x))
    assert kernel.value(0.5) is not None
    assert flint.ctx.prec == 53
    assert kernel.value(0.5).rad() < flint.arb(2) ** -70  # computed at 80 bits


@pytest.mark.parametrize(
    ("a", "b", "scale", "split"),
    [
        (0.25, 0.75, 1, True),  # g'' varies by a factor 3: enclosed on pieces too
        (1.0, 1.0 + 2.0**-40, 1, False),
        (2.0**-420, 2.0**-419, 2**600, False),
        (0.25, 0.75, Fraction(1, 10**318), False),  # tiny g'': ball arithmetic
    ],
)
def test_c2_bound_in_floats_and_in_balls(
    a: float, b: float, scale: int | Fraction, split: bool
) -> None:
    # g = scale x**3: sup |g''| = 6 scale b on [a, b] (b > 0); where g'' is enclosed
    # on the halves as well, the Peano bound h**2 (3 P + p)**2 / (128 P) with
    # P = 6 scale b and p = 6 scale (a + b)/2; the float path (the first two) and the
    # ball path (a cell shorter than 2**-400, tiny g'') round up, by little more than
    # the 30-bit radii of Arb's balls
    kernel = ArbKernel(sp.Rational(scale.numerator, scale.denominator) * x**3)
    bound = kernel.c2_bound(a, b, 0.0)
    assert bound is not None
    h, big, small = Fraction(b - a), 6 * scale * Fraction(b), 3 * scale * Fraction(a + b)
    if split:
        # g - chord = -scale (x - a)(b - x)(x + a + b): at least its largest value on a
        # grid, at most the bound on the halves (the 8 pieces are tighter still)
        fa, fb = Fraction(a), Fraction(b)
        grid = (fa + h * k / 1000 for k in range(1001))
        largest = max(scale * (t - fa) * (fb - t) * (t + fa + fb) for t in grid)
        halves = h**2 * (3 * big + small) ** 2 / (128 * big)
        assert largest <= Fraction(bound) < halves
        return
    exact = h**2 / 8 * big
    assert exact <= Fraction(bound) <= exact * (1 + Fraction(1, 2**26)) + Fraction(1e-322)


@pytest.mark.parametrize(
    ("expr", "a", "b"),
    [
        (x**4, 0.5, 1.0),
        (sp.sqrt(x), 0.1, 0.2),
        (sp.sqrt(x), 0.04, 0.1),  # g'' varies by a factor 4: on 8 pieces
        (sp.Abs(x - sp.Rational(1, 3)) ** sp.Rational(7, 10), 0.34, 0.4),
        (1 / (1 + 25 * x**2), 0.5, 0.52),
        (sp.sin(12 * x), 0.1, 0.2),
        (-sp.exp(3 * x), 0.0, 0.5),
    ],
)
def test_chord_error_encloses_the_interpolation_error(expr: sp.Expr, a: float, b: float) -> None:
    # -down h**2 <= g - chord <= up h**2 at 2001 points (exact chord, 50-digit g)
    found = ArbKernel(expr).chord_error(a, b)
    assert found is not None
    down, up, sign = found
    low, high = sampled_chord_error(expr, a, b, 2000)
    h = mpmath.mpf(b) - mpmath.mpf(a)
    assert -down * h**2 <= low
    assert high <= up * h**2
    # g'' has one sign on these cells: one side of the range is 0
    assert sign == (1 if low < 0 else -1)
    assert (up if sign == 1 else down) == 0.0


def sampled_chord_error(
    expr: sp.Expr, a: float, b: float, steps: int
) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The least and largest ``g - chord`` at ``steps + 1`` equally spaced points of
    ``[a, b]`` (exact chord, ``g`` in 50-digit mpmath)."""
    g = sp.lambdify(x, expr, "mpmath")
    with mpmath.workdps(50):
        ga, gb, h = g(mpmath.mpf(a)), g(mpmath.mpf(b)), mpmath.mpf(b) - mpmath.mpf(a)
        errors = []
        for k in range(steps + 1):
            t = mpmath.mpf(a) + h * k / steps
            errors.append(g(t) - (ga + (gb - ga) * (t - a) / h))
    return min(errors), max(errors)


@given(
    a=st.floats(-1e300, 1e300) | st.floats(-1e-300, 1e-300),
    width=st.floats(0.0, 1e300) | st.floats(0.0, 1e-300),
)
def test_the_ball_of_a_cell_contains_both_ends(a: float, width: float) -> None:
    b = a + width
    if not b < float("inf"):
        return
    ball = _ball(a, b)
    assert ball.contains(flint.arb(a))
    assert ball.contains(flint.arb(b))
    # Arb stores radii with 30-bit mantissas, rounded up
    assert ball.rad() <= (b - a) * (1 + 2.0**-28) / 2 + abs(a) * 2.0**-48 + 2.0**-1000


def test_peano_weights_on_pieces() -> None:
    # one piece: P/8; equal values on any number of pieces: P/8; two pieces [P, 0]:
    # (3P)**2/(128 P) = 9P/128, as the closed form of the halves
    for uppers, expected in (([4.0], 0.5), ([4.0] * 8, 0.5), ([4.0, 0.0], 9 * 4 / 128)):
        found = arbkernel._peano_pieces(uppers)
        assert expected <= found <= expected * (1 + 2.0**-26)  # 30-bit radii
    # more pieces, smaller bound for g'' concentrated at one end; never above max/8
    ramp = [float(2**j) for j in range(8)]
    assert arbkernel._peano_pieces(ramp) < arbkernel._peano(128.0, 8.0) < 128 / 8
