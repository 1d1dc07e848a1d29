"""Example tests of softmax, its argmax limit, the rate bound and the symbolic check."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluapprox import InvalidArgument, softmax
from reluapprox.argmax import (
    plot_softmax_convergence,
    softmax_gap,
    softmax_limit,
    softmax_limit_sympy,
    softmax_rate_bound,
)


def test_softmax_values() -> None:
    p = softmax([0.0, math.log(2.0), math.log(5.0)])
    assert np.allclose(p, [1 / 8, 2 / 8, 5 / 8], rtol=1e-15, atol=0)
    assert softmax([3.0]).tolist() == [1.0]
    assert np.array_equal(softmax([1.0, 2.0], lam=0), [0.5, 0.5])


def test_softmax_is_shift_invariant_and_batched() -> None:
    x = np.array([[1.0, -2.0, 0.5], [1e6, 1e6 + 1, 1e6 - 3]])
    p = softmax(x, lam=1.5)
    assert p.shape == (2, 3)
    assert np.allclose(p[1], softmax(x[1] - 1e6, lam=1.5), rtol=1e-9, atol=0)
    assert np.allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-15)


def test_no_overflow_for_huge_inputs() -> None:
    assert softmax([1e308, -1e308], lam=1e308).tolist() == [1.0, 0.0]
    assert softmax([1e308, -1e308], lam=1e-308).tolist() == pytest.approx(
        [1 / (1 + math.exp(-2)), math.exp(-2) / (1 + math.exp(-2))], rel=1e-12
    )
    assert softmax([-1e308, -1e308, -1e308], lam=1e300).tolist() == [1 / 3] * 3


def test_softmax_agrees_with_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for lam in (0.0, 0.3, 1.0, 17.0, 1e4):
        x = rng.normal(size=(5, 7)) * 10
        expected = torch.softmax(torch.tensor(lam * x, dtype=torch.float64), dim=-1).numpy()
        assert np.allclose(softmax(x, lam=lam), expected, rtol=1e-12, atol=1e-300)


def test_limit_unique_and_ties() -> None:
    assert softmax_limit([1, 5, 2]) == (0, 1, 0)
    assert softmax_limit([4, 0, 4, 4]) == (Fraction(1, 3), 0, Fraction(1, 3), Fraction(1, 3))
    assert softmax_limit([7, 7]) == (Fraction(1, 2), Fraction(1, 2))
    assert softmax_gap([4, 0, 4, 3]) == (2, Fraction(1))
    assert softmax_gap([2, 2]) == (2, None)


def test_softmax_approaches_the_limit_with_ties() -> None:
    x = [1.0, 3.0, 3.0, 2.0]
    for lam in (1.0, 5.0, 40.0, 800.0):
        error = float(np.abs(softmax(x, lam=lam) - [0, 0.5, 0.5, 0]).sum())
        assert error <= softmax_rate_bound(x, lam) + 1e-15
    assert np.array_equal(softmax(x, lam=800.0), [0.0, 0.5, 0.5, 0.0])


def test_rate_bound_formula_and_tightness() -> None:
    assert softmax_rate_bound([0, 1], lam=0) == 2.0
    assert softmax_rate_bound([0, 0, 1], lam=3) == pytest.approx(4 * math.exp(-3), rel=1e-15)
    assert softmax_rate_bound([2, 2, 1], lam=3) == pytest.approx(math.exp(-3), rel=1e-15)
    # tight up to the factor k/(k + R): all losers at the second value
    x, lam = [0.0, 0.0, 0.0, 1.0], 30.0
    error = float(np.abs(softmax(x, lam=lam) - [0, 0, 0, 1]).sum())
    assert error == pytest.approx(softmax_rate_bound(x, lam), rel=1e-10)


@pytest.mark.parametrize(
    "x",
    [[0], [1, 2], [2, 2], [Fraction(1, 2), 0, Fraction(1, 2)], [3, -1, 2, 3], [-1, 0, 0, 1]],
)
def test_sympy_limit_agrees(x: list[object]) -> None:
    assert softmax_limit_sympy(x) == softmax_limit(x)


def test_plot(tmp_path: Path) -> None:
    out = plot_softmax_convergence([0.0, 0.25, 1.0], tmp_path / "soft.png", lam_max=10)
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("x", "lam", "match"),
    [
        ([1.0, 2.0], -1.0, r"lam=-1\.0 is invalid: expected a finite real number >= 0"),
        ([1.0, 2.0], float("nan"), r"lam=nan is invalid"),
        ([1.0, 2.0], float("inf"), r"lam=inf is invalid"),
        ([1.0, float("nan")], 1.0, r"x=\[1\.0, nan\] is invalid: expected finite entries"),
        ([], 1.0, r"x=\[\] is invalid: expected a non-empty array"),
        (3.0, 1.0, r"x=3\.0 is invalid: expected a non-empty array"),
        (["a"], 1.0, r"x=\['a'\] is invalid: expected an array of finite real numbers"),
        (["1.0"], 1.0, r"x=\['1\.0'\] is invalid: expected an array of finite real numbers"),
        ([True, False], 1.0, r"x=\[True, False\] is invalid"),
        ([[1.0], [2.0, 3.0]], 1.0, r"x=.* is invalid: expected an array of finite real numbers"),
    ],
)
def test_softmax_bad_input(x: object, lam: float, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        softmax(x, lam=lam)  # type: ignore[arg-type]


def test_limit_bad_input() -> None:
    with pytest.raises(InvalidArgument, match=r"x=\[\] is invalid"):
        softmax_limit([])
    with pytest.raises(InvalidArgument, match=r"x\[1\]=nan is invalid"):
        softmax_limit([1.0, float("nan")])
    with pytest.raises(InvalidArgument, match=r"lam=-2 is invalid"):
        softmax_rate_bound([1, 2], lam=-2)
    with pytest.raises(InvalidArgument, match=r"at most 6 entries"):
        softmax_limit_sympy(list(range(7)))
