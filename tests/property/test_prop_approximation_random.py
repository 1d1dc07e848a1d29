"""Property tests of approximate() on random functions (properties.approximation_random)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reluapprox.properties import approximation_random
from reluapprox.strategies import compose, trigonometric_polynomial
from reluapprox.verify import hypothesis_test

test_bound_holds = hypothesis_test("approximation_random.bound_holds")


def test_check_fails_when_the_bound_is_too_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property can fail: an approximate() that understates its bound is caught."""
    monkeypatch.setattr(approximation_random, "ADAPTIVE_TIME_LIMIT", 60.0)  # no refusal
    g = compose("sin", trigonometric_polynomial(sin=(1,)))
    assert 0 < approximation_random.bound_holds((g, -2.0, "uniform")) <= 1
    assert 0 < approximation_random.bound_holds((g, -2.0, "adaptive")) <= 1
    honest = approximation_random.approximate

    def understated(*args: Any, **kwargs: Any) -> Any:
        res = honest(*args, **kwargs)
        return dataclasses.replace(res, bound=res.bound / 100)

    monkeypatch.setattr(approximation_random, "approximate", understated)
    for mesh in ("uniform", "adaptive"):
        with pytest.raises(AssertionError, match=r"observed .* > bound"):
            approximation_random.bound_holds((g, -2.0, mesh))


def test_affordable_tolerances() -> None:
    g = trigonometric_polynomial(sin=(1,))
    assert approximation_random.affordable_eps(g, 1e-6) >= g.modulus(1 / 32)
    assert approximation_random.affordable_eps(g, 0.5) == 0.5
    assert approximation_random.adaptive_eps(g, 1e-6) >= 1e-6
