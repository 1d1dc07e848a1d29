"""Tests of reluapprox.certify: interval enclosures and per-cell bounds."""

from __future__ import annotations

import math
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from reluapprox.certify import (
    EXTENSION_RADIUS,
    CellCertifier,
    NotSmooth,
    compile_enclosure,
    enclose,
    max_error_mp,
)
from reluapprox.errors import EvaluationError, InvalidArgument, InvalidExpression
from reluapprox.expr import SYMBOL, parse_expression
from reluapprox.interpolation import interpolate

x = SYMBOL

EXPRESSIONS = [
    "exp(3*x)",
    "sin(2*pi*x) + cos(x)",
    "1/(1 + 25*x**2)",
    "tanh(4*x) + atan(x) - sinh(x) + cosh(x)",
    "sqrt(abs(x - 1/3))",
    "abs(x - 1/3)**0.7 + x**-2",
    "log(2 + x)*tan(x/2)",
    "relu(x - 0.2) - max(x, 0.5) + min(x, 0.1)",
    "sign(x - 0.3) + e**x + x**x",
    "x**(-1/3) + 2**x",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_enclosures_contain_the_values(text: str) -> None:
    expr = parse_expression(text)
    g = sp.lambdify(x, expr, modules="mpmath")
    rng = np.random.default_rng(0)
    for a in (0.05, 0.31, 0.7):
        b = a + 0.07
        lo, hi = enclose(expr, a, b)
        for t in [*rng.uniform(a, b, 20).tolist(), a, b]:
            with mpmath.workprec(200):  # the true value, up to 2**-200
                value = g(mpmath.mpf(t))
                assert lo <= value <= hi, (text, t, lo, hi)


def test_enclosure_is_tight_for_monotone_functions() -> None:
    lo, hi = enclose(sp.exp(x), 0.0, 1.0)
    assert lo == 1.0
    assert hi == pytest.approx(math.e, rel=1e-15)
    assert hi >= math.e


@pytest.mark.parametrize(
    ("text", "a", "b", "expected"),
    [
        ("sqrt(x)", -1.0, 4.0, (0.0, 2.0)),
        ("1/x", 0.0, 1.0, (1.0, math.inf)),
        ("1/x", -1.0, 0.0, (-math.inf, -1.0)),
        ("1/x", -1.0, 1.0, (-math.inf, math.inf)),
        ("log(x)", 0.0, 1.0, (-math.inf, 0.0)),
        ("sign(x)", -1.0, 1.0, (-1.0, 1.0)),
        ("sign(x)", 0.0, 1.0, (0.0, 1.0)),
        ("x*sin(1/x)", 0.0, 0.5, (-0.5, 0.5)),
        ("max(x, 1 - x)", 0.0, 1.0, (0.0, 1.0)),
        ("x**(-1/2)", 0.0, 4.0, (0.5, math.inf)),
    ],
)
def test_range_mode_encloses_the_defined_part(
    text: str, a: float, b: float, expected: tuple[float, float]
) -> None:
    assert enclose(parse_expression(text), a, b) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abs(x - 0.5)",
        "sqrt(x)",
        "log(x)",
        "1/(x - 0.5)",
        "sign(x - 0.5)",
        "max(x, 0.5)",
        "min(x, 0.5)",
        "tan(4*x)",
        "x**0.5",
        "x**x",
    ],
)
def test_smooth_mode_refuses_non_analytic_points(text: str) -> None:
    with pytest.raises(NotSmooth):
        enclose(parse_expression(text), 0.0, 1.0, smooth=True)


def test_smooth_mode_accepts_analytic_cells() -> None:
    assert enclose(parse_expression("abs(x - 0.5)"), 0.6, 1.0, smooth=True) == pytest.approx(
        (0.1, 0.5)
    )


def test_undefined_everywhere_raises() -> None:
    with pytest.raises(EvaluationError, match="undefined"):
        enclose(parse_expression("sqrt(x)"), -2.0, -1.0)
    with pytest.raises(EvaluationError, match="undefined"):
        enclose(parse_expression("log(x)"), -2.0, 0.0)


def test_unsupported_node_is_refused() -> None:
    with pytest.raises(InvalidExpression):
        compile_enclosure(sp.gamma(x), smooth=False)
    with pytest.raises(InvalidExpression):
        compile_enclosure(sp.Symbol("y"), smooth=False)


def test_node_values_are_tight() -> None:
    cert = CellCertifier(sp.exp(x))
    node = cert.node(1.0)
    with mpmath.workprec(200):
        y = mpmath.mpf(node.fraction.numerator) / node.fraction.denominator
        assert abs(y - mpmath.e) <= node.radius
    assert node.radius < 1e-22
    assert "Node(x=1.0" in repr(node)


def test_node_of_a_continuous_extension() -> None:
    node = CellCertifier(parse_expression("x*sin(1/x)")).node(0.0)
    assert node.fraction == 0
    assert node.radius <= EXTENSION_RADIUS


@pytest.mark.parametrize("text", ["log(x)", "1/x", "sin(1/x)/x"])
def test_node_without_finite_limit_raises(text: str) -> None:
    with pytest.raises(EvaluationError, match="not finite"):
        CellCertifier(parse_expression(text)).node(0.0)


def test_node_undefined_near_the_point_raises() -> None:
    with pytest.raises(EvaluationError, match="undefined"):
        CellCertifier(parse_expression("sqrt(-1 - x**2)")).node(0.0)


def test_c2_bound_of_a_parabola() -> None:
    cert = CellCertifier(x**2)
    bound, how = cert.cell_bound(cert.node(0.0), cert.node(0.5))
    assert how == "C2"
    # h^2/8 * 2 = 1/16 for x^2 (node radius 0: the values are exact), rounded up by
    # the relative margin 2**-50 of the float arithmetic after the Arb jet
    assert 1 / 16 <= bound <= 1 / 16 * (1 + 2.0**-48)


def test_oscillation_bound_of_sqrt_at_zero() -> None:
    cert = CellCertifier(sp.sqrt(x))
    left, right = cert.node(0.0), cert.node(0.25)
    assert cert.c2_bound(left, right) is None
    plain = cert.oscillation_bound(left, right)
    sub = cert.subdivided_oscillation_bound(left, right, 16)
    true_error = math.sqrt(0.25) / 4  # max of sqrt(x) - 2x on [0, 1/4]
    assert plain is not None
    assert sub is not None
    assert true_error <= sub < plain == 0.5
    bound, how = cert.cell_bound(left, right)
    assert (bound, how) == (sub, "oscillation")


def test_jump_never_gets_a_small_bound() -> None:
    cert = CellCertifier(parse_expression("sign(x - 0.5)"))
    left = cert.node(0.5 - 1e-12)
    right = cert.node(0.5 + 1e-12)
    bound, how = cert.cell_bound(left, right)
    assert how == "oscillation"
    assert bound is not None
    assert bound >= 1.0


def test_unbounded_cell_has_no_bound() -> None:
    cert = CellCertifier(parse_expression("1/(x - 0.5)"))
    bound, reason = cert.cell_bound(cert.node(0.25), cert.node(1.0))
    assert bound is None
    assert "unbounded" in reason


def test_max_error_mp_of_a_chord() -> None:
    net = interpolate([0, 1], [0, 1])
    observed = max_error_mp(lambda t: t * t, net, (0, 1), 101)
    assert observed == 0.25
    assert max_error_mp(lambda t: t * t, net, (0, 1), 3, per_cell=False) == 0.25


def test_max_error_mp_validates() -> None:
    net = interpolate([0, 1], [0, 1])
    with pytest.raises(InvalidArgument, match="n=1 is invalid"):
        max_error_mp(lambda t: t, net, (0, 1), 1)
    with pytest.raises(InvalidArgument, match="domain"):
        max_error_mp(lambda t: t, net, (1, 0), 10)
    with pytest.raises(EvaluationError, match="not finite"):
        max_error_mp(lambda t: mpmath.inf, net, (0, 1), 10)


def test_error_range_of_convex_and_concave_cells() -> None:
    # x**2 on [0, 1/2]: g - chord in [-h**2/8 * 2, 0] = [-1/16, 0], rounded outward
    convex = CellCertifier(x**2)
    lo, hi, sign, smooth = convex.error_range(convex.node(0.0), convex.node(0.5))
    assert (hi, sign, smooth) == (0.0, 1, True)
    assert -1 / 16 * (1 + 2.0**-45) <= lo <= -1 / 16
    concave = CellCertifier(-(x**2))
    lo, hi, sign, smooth = concave.error_range(concave.node(0.0), concave.node(0.5))
    assert (lo, sign, smooth) == (0.0, -1, True)
    assert 1 / 16 <= hi <= 1 / 16 * (1 + 2.0**-45)


def test_error_range_on_tiny_cells_is_computed_exactly() -> None:
    # cells shorter than 2**-400 skip the float arithmetic (h * h would underflow)
    a = 2.0**-420
    cert = CellCertifier(x**2)
    lo, hi, sign, _ = cert.error_range(cert.node(a), cert.node(2 * a))
    assert sign == 1
    assert hi >= 0.0
    assert lo <= -(a**2) / 4 * (1 - 2.0**-40)  # -h**2/8 * 2 = -a**2/4, not flushed to 0
    assert lo < 0.0


def test_error_range_where_the_sign_is_unknown() -> None:
    wave = CellCertifier(parse_expression("sin(2*pi*x)"))
    found = wave.error_range(wave.node(0.4), wave.node(0.6))
    assert found is not None
    lo, hi, sign, smooth = found
    assert sign == 0
    assert smooth  # from the g'' enclosure, which contains 0
    assert lo < 0 < hi
    root = CellCertifier(sp.sqrt(x))
    found = root.error_range(root.node(0.0), root.node(0.25))
    assert found is not None
    lo, hi, sign, smooth = found
    assert sign == 0
    assert not smooth  # sqrt is not smooth at 0: the oscillation range
    assert lo <= 0
    assert hi >= math.sqrt(0.25) / 4  # the true max of sqrt(x) - 2x
    assert (
        CellCertifier(1 / (x - 0.5)).error_range(
            CellCertifier(1 / (x - 0.5)).node(0.0), CellCertifier(1 / (x - 0.5)).node(1.0)
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "a", "b", "expected"),
    [
        ("x**-3", 1e300, 1e300, (0.0, 5e-324)),
        ("-x**-3", 1e300, 1e300, (-5e-324, 0.0)),
        ("exp(x)", 1000.0, 1000.0, (sys.float_info.max, math.inf)),
        ("-exp(x)", 1000.0, 1000.0, (-math.inf, -sys.float_info.max)),
    ],
)
def test_enclose_rounds_outward_at_underflow_and_overflow(
    text: str, a: float, b: float, expected: tuple[float, float]
) -> None:
    assert enclose(parse_expression(text), a, b) == expected


def test_tiny_bounds_are_not_rounded_to_zero() -> None:
    # exp(-1000 x) on [1, 2]: the error is positive but below the smallest float
    cert = CellCertifier(parse_expression("exp(-1000*x)"))
    bound, _ = cert.cell_bound(cert.node(1.0), cert.node(2.0))
    assert bound is not None
    assert bound > 0
    net = interpolate([0, 1], [0, Fraction(1, 10**400)])
    assert max_error_mp(lambda t: 2 * t * mpmath.mpf(10) ** -400, net, (0, 1), 3) > 0


def test_node_values_have_bounded_size() -> None:
    # exp(-1e8) has a 1.4e8-bit denominator: the node value is flushed to 0
    node = CellCertifier(parse_expression("exp(-100000000*x**2)")).node(1.0)
    assert node.fraction == 0
    assert 0 < node.radius <= 1e-300
    node = CellCertifier(parse_expression("exp(x)/3")).node(1.0)
    assert node.fraction.denominator < 2**200
    assert abs(node.fraction - Fraction(math.e / 3)) < 1e-15


def test_partly_undefined_cells_are_not_certified() -> None:
    cert = CellCertifier(parse_expression("sqrt(x**2 - 1/1000000)"))
    left, right = cert.node(-0.5), cert.node(0.5)
    bound, reason = cert.cell_bound(left, right)
    assert bound is None
    assert "undefined" in reason
    assert "-0.5" in reason
    assert cert.error_range(left, right) is None
    with pytest.raises(EvaluationError, match="undefined"):
        cert.node(0.0)


def test_subdivided_bound_does_not_overflow() -> None:
    cert = CellCertifier(parse_expression("10**400*abs(x)"))
    bound = cert.subdivided_oscillation_bound(cert.node(-1.0), cert.node(1.0), 4)
    assert bound is None or bound == math.inf
