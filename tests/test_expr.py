"""Tests of reluapprox.expr: safe parsing and normalisation of target functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from reluapprox.errors import EvaluationError, InvalidArgument, InvalidExpression
from reluapprox.expr import FUNCTIONS, MAX_LENGTH, SYMBOL, as_target, parse_expression

x = SYMBOL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sin(2*pi*x)", sp.sin(2 * sp.pi * x)),
        ("sqrt(abs(x - 1/3))", sp.sqrt(sp.Abs(x - sp.Rational(1, 3)))),
        ("abs(x - 1/3)**0.7", sp.Abs(x - sp.Rational(1, 3)) ** sp.Rational(7, 10)),
        ("1/(1 + 25*x**2)", 1 / (1 + 25 * x**2)),
        ("-x + +2.5e-1", -x + sp.Rational(1, 4)),
        ("relu(x - 1)", sp.Max(x - 1, 0)),
        ("exp(e*x)", sp.exp(sp.E * x)),
        ("max(x, min(x**2, 1))", sp.Max(x, sp.Min(x**2, 1))),
        ("3", sp.Integer(3)),
    ],
)
def test_parse_accepts_whitelisted_expressions(text: str, expected: sp.Expr) -> None:
    assert parse_expression(text) == expected


def test_decimals_are_read_exactly() -> None:
    assert parse_expression("0.1*x") == sp.Rational(1, 10) * x


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "().__class__.__bases__[0].__subclasses__()",
        "x.real",
        "(lambda: 1)()",
        "x[0]",
        "y + 1",
        "open('f')",
        "eval('1')",
        "sin(x, 2)",
        "sin(x=1)",
        "'abc'",
        "True",
        "1j*x",
        "x if x else 1",
        "x < 1",
        "[x]",
        "x // 2",
        "9**9**9",
        "1e400",
        "1/0",
        "0**-1",
        "sin(",
        "x" + "+x" * MAX_LENGTH,
    ],
)
def test_parse_refuses_everything_else(text: str) -> None:
    with pytest.raises(InvalidExpression, match="is invalid: expected"):
        parse_expression(text)


def test_parse_never_executes_code(tmp_path: object, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidExpression):
        parse_expression("__import__('os').system('echo hi')")
    assert "hi" not in capfd.readouterr().out


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(InvalidExpression):
        parse_expression(3)  # type: ignore[arg-type]


def test_functions_whitelist_is_what_the_message_lists() -> None:
    with pytest.raises(InvalidExpression) as info:
        parse_expression("foo(x)")
    for name in FUNCTIONS:
        assert name in str(info.value)


def test_sympy_input_in_any_symbol() -> None:
    t = sp.Symbol("t")
    target = as_target(sp.sin(t) + t**2)
    assert target.kind == "expression"
    assert target.expr == sp.sin(x) + x**2
    assert target([0.0]).tolist() == [0.0]


@pytest.mark.parametrize(
    "expr",
    [sp.Symbol("a") + sp.Symbol("b"), sp.Function("f")(x), sp.gamma(x), sp.I * x, sp.Eq(x, 1)],
)
def test_sympy_input_is_checked(expr: sp.Basic) -> None:
    with pytest.raises(InvalidExpression):
        as_target(expr)


def test_scalar_and_vectorised_callables() -> None:
    scalar = as_target(math.sin)
    vectorised = as_target(np.sin)
    points = np.linspace(0, 1, 5)
    assert np.array_equal(scalar(points), vectorised(points))
    assert scalar(points.reshape(5, 1)).shape == (5, 1)


def test_constant_callable_and_constant_expression() -> None:
    assert as_target(lambda v: 2.0)([0.0, 1.0]).tolist() == [2.0, 2.0]
    assert as_target("2")([0.0, 1.0]).tolist() == [2.0, 2.0]


def _raises(v: float) -> float:
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize(
    ("g", "message"),
    [
        (_raises, "raised ZeroDivisionError"),
        (lambda v: float("nan"), "expected a finite real value"),
        (lambda v: complex(v, 1), "not complex"),
        (lambda v: np.array([v, v]), "expected one real number per point"),
        (lambda v: "1", "expected one real number per point"),
        (lambda v: np.sqrt(v - 2), "expected a finite real value"),
        (np.emath.sqrt, "complex"),
    ],
)
def test_bad_callables_raise_evaluation_error(g: object, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        as_target(g)(np.array([-1.0, 1.0]))


def test_expression_outside_its_domain_raises() -> None:
    with pytest.raises(EvaluationError, match=r"g\(-1\.0\)"):
        as_target("sqrt(x)")([-1.0, 1.0])


def test_not_callable_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="g=3 is invalid"):
        as_target(3)


def test_target_repr_and_idempotence() -> None:
    target = as_target("x**2")
    assert as_target(target) is target
    assert repr(target) == "Target(expression: x**2)"
