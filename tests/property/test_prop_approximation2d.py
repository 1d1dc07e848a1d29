"""Property tests of approximate(g(x, y), eps) (reluapprox.properties.approximation2d)."""

from __future__ import annotations

import dataclasses

import pytest

from reluapprox.approximation2d import approximate_2d
from reluapprox.properties import approximation2d
from reluapprox.strategies import compose, trigonometric_polynomial
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


test_anisotropic_bound_holds = hypothesis_test("approximation2d.anisotropic_bound_holds")
