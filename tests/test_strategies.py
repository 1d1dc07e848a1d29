"""Example tests of reluapprox.strategies: the function families, their moduli and reprs."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from reluapprox import strategies
from reluapprox.errors import InvalidArgument
from reluapprox.properties import strategies as strategy_properties
from reluapprox.strategies import (
    ContinuousFunction,
    compose,
    continuous_functions,
    holder_function,
    interpolation_data,
    piecewise_linear,
    plot_modulus,
    relu_networks,
    small_rationals,
    trigonometric_polynomial,
)

X = sympy.Symbol("x")
NAMESPACE = {
    "Fraction": Fraction,
    "compose": compose,
    "holder_function": holder_function,
    "piecewise_linear": piecewise_linear,
    "trigonometric_polynomial": trigonometric_polynomial,
}


def true_difference(g: ContinuousFunction, x: float, y: float) -> float:
    with mpmath.workdps(40):
        return float(abs(g.evaluate_mp(x) - g.evaluate_mp(y)))


def test_piecewise_linear_hat() -> None:
    hat = piecewise_linear(knots=(0, Fraction(1, 2), 1), values=(0, 1, 0))
    assert hat.f([0.0, 0.25, 0.5, 1.0]).tolist() == [0.0, 0.5, 1.0, 0.0]
    assert hat.expr == 2 * X - 4 * sympy.Max(0, X - sympy.Rational(1, 2))
    assert hat.lipschitz == pytest.approx(2.0, rel=1e-11)
    assert hat.lipschitz >= 2.0
    # tight: |hat(1/2) - hat(1/4)| = 1/2 = 2 * 1/4
    assert hat.modulus(0.25) >= 0.5
    assert hat.modulus(0.25) == pytest.approx(0.5, rel=1e-11)
    assert hat.modulus(10.0) == pytest.approx(1.0, rel=1e-11)  # capped by the oscillation


def test_holder_is_not_lipschitz_and_its_modulus_is_tight_at_x0() -> None:
    g = holder_function(c=3, x0=Fraction(1, 4), alpha=Fraction(1, 3))
    assert g.lipschitz is None
    for h in (1e-12, 1e-6, 0.1, 0.75):
        ratio = true_difference(g, 0.25, 0.25 + h) / g.modulus(h)
        assert 0.999 < ratio <= 1.0
    assert g.bounds[0] == 0.0
    assert g.bounds[1] >= 3 * 0.75 ** (1 / 3)


def test_trigonometric_polynomial_on_another_domain() -> None:
    g = trigonometric_polynomial(constant=1, cos=(0, Fraction(1, 2)), domain=(-1, 3))
    assert g.domain == (-1.0, 3.0)
    assert g.f([-1.0, 1.0, 3.0]).tolist() == pytest.approx([1.5, 0.5, 1.5])
    assert sympy.simplify(g.expr - (1 + sympy.cos(2 * sympy.pi * (X + 1) / 4) / 2)) == 0
    assert g.lipschitz == pytest.approx(2 * math.pi * 0.5 / 4)


def test_compositions_follow_the_rules() -> None:
    u = piecewise_linear(knots=(0, 1), values=(-1, 2))
    e = compose("exp", u)
    assert e.lipschitz == pytest.approx(3 * math.exp(2))
    assert e.bounds == pytest.approx((math.exp(-1), math.exp(2)))
    s = compose("sin", u)
    assert s.modulus(100.0) <= 2.0 + 1e-9
    r = compose("rational", u)
    assert r.lipschitz == pytest.approx(3 * 3 * math.sqrt(3) / 8)
    assert r.bounds == pytest.approx((1 / 5, 1))
    assert r.expr == 1 / (1 + (3 * X - 1) ** 2)


def test_sum_and_product_moduli() -> None:
    f = piecewise_linear(knots=(0, 1), values=(0, 1))
    g = trigonometric_polynomial(sin=(1,))
    total = f + g
    assert total.lipschitz == pytest.approx(1 + math.pi)
    assert total.modulus(0.01) == pytest.approx(0.01 + math.pi * 0.01)
    product = f * g
    # sup|f| L_g + sup|g| L_f = pi + 1
    assert product.lipschitz == pytest.approx(math.pi + 1)
    assert product.f([0.5]).tolist() == pytest.approx([0.5])


def test_repr_is_python_source() -> None:
    g = compose(
        "sin",
        holder_function(c=Fraction(-1, 2), x0=0, alpha=Fraction(2, 3), domain=(0, 2))
        + trigonometric_polynomial(cos=(1,), domain=(0, 2)),
    ) * piecewise_linear(knots=(0, 2), values=(1, Fraction(3, 2)), domain=(0, 2))
    text = repr(g)
    rebuilt = eval(text, NAMESPACE)
    assert repr(rebuilt) == text
    assert rebuilt.expr == g.expr
    assert rebuilt.modulus(0.1) == g.modulus(0.1)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(continuous_functions(domain=(Fraction(-3, 2), 5)))
def test_examples_round_trip_through_repr(g: ContinuousFunction) -> None:
    rebuilt = eval(repr(g), NAMESPACE)
    assert repr(rebuilt) == repr(g)
    points = np.linspace(*g.domain, 7)
    assert rebuilt.f(points).tolist() == g.f(points).tolist()


def test_domain_is_rounded_inward() -> None:
    with pytest.raises(InvalidArgument, match="knots inside domain"):
        piecewise_linear(knots=(0, 1), values=(0, 1), domain=(Fraction(1, 3), Fraction(2, 3)))
    a, b = trigonometric_polynomial(domain=(Fraction(1, 3), Fraction(2, 3))).domain
    assert Fraction(a) >= Fraction(1, 3)
    assert Fraction(b) <= Fraction(2, 3)


def test_shrinking_gives_simple_functions() -> None:
    nonzero = find(
        continuous_functions(),
        lambda g: float(np.max(np.abs(g.f(np.linspace(0, 1, 5))))) > 0,
        settings=settings(database=None, max_examples=200),
    )
    assert repr(nonzero) in {
        "piecewise_linear(knots=(0, 1), values=(1, 0))",
        "piecewise_linear(knots=(0, 1), values=(0, 1))",
    }
    holder = find(
        continuous_functions(),
        lambda g: g.lipschitz is None,
        settings=settings(database=None, max_examples=500),
    )
    assert repr(holder) == "holder_function(c=0, x0=0, alpha=Fraction(1, 2))"


@settings(max_examples=20, deadline=None)
@given(continuous_functions(families=("trigonometric",), max_leaves=1))
def test_families_filter(g: ContinuousFunction) -> None:
    assert g.family == "trigonometric"
    assert g.lipschitz is not None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: continuous_functions(domain=(1, 0)), "domain=(1, 0) is invalid"),
        (lambda: continuous_functions(families=("fourier",)), "families[0]='fourier'"),
        (lambda: continuous_functions(families=("sum",)), "at least one leaf family"),
        (lambda: continuous_functions(max_leaves=0), "max_leaves=0 is invalid"),
        (lambda: holder_function(c=1, x0=0, alpha=1), "alpha=1 is invalid"),
        (lambda: holder_function(c=1, x0=2, alpha=Fraction(1, 2)), "x0=2 is invalid"),
        (lambda: piecewise_linear(knots=(1, 0), values=(0, 0)), "strictly increasing"),
        (lambda: piecewise_linear(knots=(0, 1), values=(0,)), "one value per knot"),
        (lambda: compose("tan", piecewise_linear(knots=(0,), values=(0,))), "outer='tan'"),
        (lambda: compose("exp", piecewise_linear(knots=(0,), values=(99,))), "inner="),
        (lambda: trigonometric_polynomial(cos="12"), "cos='12' is invalid"),
        (lambda: small_rationals(min_value=1, max_value=0), "max_value=0 is invalid"),
        (
            lambda: small_rationals(min_value=Fraction(34, 100), max_value=Fraction(3401, 10000)),
            "max_denominator=12 is invalid",
        ),
        (lambda: interpolation_data(kind="complex"), "kind='complex' is invalid"),
        (lambda: relu_networks(min_depth=3, max_depth=2), "max_depth=2 is invalid"),
    ],
)
def test_invalid_arguments(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_modulus_rejects_negative_steps() -> None:
    g = piecewise_linear(knots=(0, 1), values=(0, 1))
    with pytest.raises(InvalidArgument, match=re.escape("h=-1.0 is invalid")):
        g.modulus(-1.0)
    with pytest.raises(InvalidArgument, match=re.escape("h='0.1' is invalid")):
        g.modulus("0.1")  # type: ignore[arg-type]
    assert g.modulus(math.inf) == pytest.approx(1.0)


def test_small_rationals_range_and_simplest_first() -> None:
    values = st.lists(small_rationals(min_value=-2, max_value=3, max_denominator=5))
    drawn = find(values, lambda v: len(v) >= 3, settings=settings(database=None))
    assert drawn == [0, 0, 0]
    big = small_rationals(min_value=-1000, max_value=1000, max_denominator=64)
    assert find(big, lambda q: q > 10, settings=settings(database=None)) == 11


def test_a_wrong_modulus_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The modulus property can fail: shrink the Lipschitz constant of 1/(1 + u**2)."""
    pairs = [(0.0, 0.05), (0.2, 0.3)]
    u = piecewise_linear(knots=(0, 1), values=(0, 2))
    assert strategy_properties.modulus_is_valid((compose("rational", u), pairs)) <= 1.0
    monkeypatch.setattr(strategies, "RATIONAL_LIPSCHITZ", 0.1)
    with pytest.raises(AssertionError, match="> modulus"):
        strategy_properties.modulus_is_valid((compose("rational", u), pairs))


def test_a_wrong_float_form_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agreement property can fail: perturb the float evaluation of sin."""
    original = np.sin
    g = compose("sin", trigonometric_polynomial(cos=(1,)))
    assert strategy_properties.forms_agree((g, [0.3])) <= 1.0
    monkeypatch.setattr(strategies.np, "sin", lambda u: original(u) * (1 + 1e-9))
    with pytest.raises(AssertionError, match="true value"):
        strategy_properties.forms_agree((g, [0.3]))


def test_plot_modulus(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    functions = [
        holder_function(c=1, x0=Fraction(1, 2), alpha=Fraction(1, 3)),
        piecewise_linear(knots=(0, 1), values=(0, 1)),
    ]
    out = plot_modulus(functions, tmp_path / "m.png", pairs=50, labels=["a", "b"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidArgument, match="labels="):
        plot_modulus(functions, tmp_path / "x.png", labels=["only one"])
    with pytest.raises(InvalidArgument, match="functions="):
        plot_modulus(functions[0], tmp_path / "x.png")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="pairs=5 is invalid"):
        plot_modulus(functions, tmp_path / "x.png", pairs=5)
