"""Tests of architecture="deep" / "auto" on a rectangle (reluapprox.deep2d)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from reluapprox import approximate
from reluapprox.approximation2d import Approximation2D
from reluapprox.deep2d import DeepApproximation2D, approximate_deep_2d, polynomial_coefficients_2d
from reluapprox.errors import BudgetExceeded, InvalidArgument
from reluapprox.expr import SYMBOL as X
from reluapprox.expr import SYMBOL_Y as Y
from reluapprox.properties.approximation2d import check_deep

SQUARE = ((0, 1), (0, 1))


def test_xy_matches_deep_multiply() -> None:
    """x*y on the unit square at 1e-10: the 67 neurons of deep.multiply."""
    res = approximate("x*y", 1e-10, domain=SQUARE, architecture="deep")
    assert isinstance(res, DeepApproximation2D)
    assert res.n_neurons == 67
    assert res.certified
    assert res.bound < 1e-10
    assert 0 < check_deep(res, {(1, 1): Fraction(1)}, 1e-10) <= 1


def test_polynomial_on_a_rectangle() -> None:
    monomials = {
        (0, 0): Fraction(1),
        (2, 1): Fraction(1),
        (0, 3): Fraction(-3),
        (3, 2): Fraction(1, 2),
    }
    res = approximate_deep_2d(
        "1 + x**2*y - 3*y**3 + x**3*y**2/2", 1e-5, domain=((-1, 2), (-0.5, 1))
    )
    assert res.bound < 1e-5
    assert res.network.widths[0] == 2
    assert 0 < check_deep(res, monomials, 1e-5) <= 1
    assert res.to_dict()["mesh"] == "deep"
    assert "product blocks" in res.method


def test_check_fails_on_a_wrong_bound() -> None:
    res = approximate_deep_2d("x*y - y**2", 1e-3, domain=SQUARE)
    understated = dataclasses.replace(res, exact_bound=res.exact_bound / 100)
    with pytest.raises(AssertionError, match="observed"):
        check_deep(understated, {(1, 1): Fraction(1), (0, 2): Fraction(-1)}, 1e-3)


def test_affine_is_exact() -> None:
    res = approximate_deep_2d("3*x - y/2 + 1", 1e-3, domain=SQUARE)
    assert res.n_neurons == 0
    assert res.exact_bound == 0
    assert res.network.exact([Fraction(1, 3), Fraction(1, 5)]) == (Fraction(19, 10),)


def test_coefficients() -> None:
    assert polynomial_coefficients_2d((X + Y) ** 2) == {
        (2, 0): Fraction(1),
        (1, 1): Fraction(2),
        (0, 2): Fraction(1),
    }
    assert polynomial_coefficients_2d(X / Y) is None


def test_deep_refuses_non_polynomials() -> None:
    with pytest.raises(InvalidArgument, match=r"architecture='deep' .*polynomial in x and y"):
        approximate("sin(x)*y", 1e-2, domain=SQUARE, architecture="deep")
    with pytest.raises(InvalidArgument, match=r"architecture='wide' .*'shallow', 'deep', 'auto'"):
        approximate("x*y", 1e-2, domain=SQUARE, architecture="wide")
    with pytest.raises(BudgetExceeded, match="max_neurons=10"):
        approximate("x*y", 1e-10, domain=SQUARE, architecture="deep", max_neurons=10)


def test_auto_picks_the_smaller_network() -> None:
    deep = approximate("x*y", 1e-4, domain=SQUARE, architecture="auto")
    assert isinstance(deep, DeepApproximation2D)
    assert "auto: deep" in deep.method
    half = ((0, 0.5), (0, 0.5))
    mesh = approximate("x**3*y**3", 0.02, domain=half, architecture="auto")
    assert isinstance(mesh, Approximation2D)
    assert "auto: triangulation" in mesh.method
    assert mesh.n_neurons < approximate_deep_2d("x**3*y**3", 0.02, domain=half).n_neurons
    other = approximate("exp(x)*y", 1e-1, domain=SQUARE, architecture="auto")
    assert isinstance(other, Approximation2D)
    assert "does not apply" in other.method
