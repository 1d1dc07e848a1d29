"""Tests of the argument validation helpers: every failure names argument and value."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from reluapprox._validation import (
    check_choice,
    check_finite_real,
    check_interval,
    check_positive_finite,
    check_positive_int,
    check_rational,
    check_type,
)
from reluapprox.errors import InvalidArgument


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (float("nan"), "not NaN"),
        (float("inf"), "not NaN"),
        (10**400, "float64 range"),
        (Fraction(10**400, 3), "float64 range"),
        ("1", "finite real number"),
        (True, "finite real number"),
        (None, "finite real number"),
        (1j, "finite real number"),
    ],
)
def test_check_finite_real_rejects(value: object, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match) as info:
        check_finite_real("eps", value)
    assert str(info.value).startswith(f"eps={value!r}"[:40])


def test_check_finite_real_accepts_numbers() -> None:
    assert check_finite_real("x", Fraction(1, 4)) == 0.25
    assert check_finite_real("x", np.float32(0.5)) == 0.5
    assert check_finite_real("x", 3) == 3.0


def test_positive_and_int_checks() -> None:
    assert check_positive_finite("eps", 1e-9) == 1e-9
    for bad in (0, -1.0, 10**400):
        with pytest.raises(InvalidArgument, match="eps="):
            check_positive_finite("eps", bad)
    assert check_positive_int("n", 3) == 3
    assert check_positive_int("n", 0, minimum=0) == 0
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(InvalidArgument, match="an integer >= 1"):
            check_positive_int("n", bad)


def test_check_rational_is_exact() -> None:
    assert check_rational("q", 0.1) == Fraction(0.1)
    assert check_rational("q", np.int64(7)) == 7
    assert check_rational("q", 10**400) == 10**400
    with pytest.raises(InvalidArgument, match="not NaN"):
        check_rational("q", float("nan"))
    with pytest.raises(InvalidArgument, match="q=True"):
        check_rational("q", True)


def test_interval_choice_and_type() -> None:
    assert check_interval("domain", (0, 1)) == (0.0, 1.0)
    for bad in ((1, 0), (0,), "01", (0, float("inf")), [0, 1, 2]):
        with pytest.raises(InvalidArgument, match="domain"):
            check_interval("domain", bad)
    assert check_choice("mesh", "uniform", ("uniform", "adaptive")) == "uniform"
    with pytest.raises(InvalidArgument, match="one of 'uniform', 'adaptive'"):
        check_choice("mesh", "fine", ("uniform", "adaptive"))
    check_type("n", 3, int, "an int")
    with pytest.raises(InvalidArgument, match="expected an int"):
        check_type("n", "3", int, "an int")
