"""Property tests of approximate(g(x, y), eps) (reluapprox.properties.approximation2d)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import pytest

from reluapprox.approximation2d import approximate_2d, max_error_mp_2d
from reluapprox.properties import approximation2d
from reluapprox.strategies import compose, piecewise_linear, trigonometric_polynomial
from reluapprox.verify import hypothesis_test

test_bound_holds = hypothesis_test("approximation2d.bound_holds")


def test_check_fails_when_the_bound_is_too_small() -> None:
    """The property can fail: an understated bound or a wrong network is caught."""
    u = compose("sin", trigonometric_polynomial(sin=(1,)))
    v = trigonometric_polynomial(cos=(0, 1))
    res = approximate_2d(approximation2d.target(u, v, "product"), 5e-2, domain=((0, 1), (0, 1)))
    assert 0 < approximation2d.check(res, 5e-2) <= 1
    understated = dataclasses.replace(res, bound=res.bound / 100)
    with pytest.raises(AssertionError, match=r"observed .* > bound"):
        approximation2d.check(understated, 5e-2)
    shifted = dataclasses.replace(res, values=tuple(y + 1 for y in res.values))
    with pytest.raises(AssertionError, match=r"network != node value"):
        approximation2d.check(shifted, 5e-2)


def test_an_affine_target_has_bound_zero_up_to_the_rounding_of_mpmath() -> None:
    """Found by the property: g = 2 y - 1/2 is interpolated exactly (bound 0.0), and g in
    113-bit mpmath at the centroids (thirds) is off by about 1e-34."""
    u = piecewise_linear(knots=(0, F(1, 2)), values=(0, 0), domain=(0, F(1, 2)))
    v = piecewise_linear(knots=(F(1, 4), F(3, 4)), values=(0, 1), domain=(F(1, 4), F(3, 4)))
    instance = (u, v, "sum", (F(0), F(1, 2), F(1, 4), F(3, 4)), -1.0)
    res = approximate_2d(approximation2d.target(u, v, "sum"), 0.1, domain=((0, 0.5), (0.25, 0.75)))
    assert res.bound == 0.0
    assert 0 < max_error_mp_2d(res, grid=9, random_points=20) < 2.0**-100
    assert approximation2d.anisotropic_bound_holds(instance) == 0.0


test_anisotropic_bound_holds = hypothesis_test("approximation2d.anisotropic_bound_holds")
