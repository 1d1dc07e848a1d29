"""Tests of the fast paths of the certification engine: float node values, the halves-first
Peano bounds, the backing-off mpmath rechecks, exact float slopes and upward float steps.

Each fast path must give what the general path proves: an enclosure that contains the
high-precision value, or a bound above the sampled error.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from reluapprox.arbkernel import ArbKernel
from reluapprox.certify import CellCertifier, coprime_fraction, float_fraction
from reluapprox.expr import SYMBOL, parse_expression
from reluapprox.floaterror import _down, _up
from reluapprox.interpolation import _exact_float_slopes
from tests.test_arbkernel import sampled_chord_error

x = SYMBOL

RUNGE = 1 / (1 + 25 * x**2)


@given(
    text=st.sampled_from(["exp(3*x)", "1/(1 + 25*x**2)", "sin(2*pi*x) + 1e6", "x**2"]),
    point=st.floats(-1.0, 1.0),
    slack=st.floats(1e-20, 1e-6),
)
def test_float_node_values_enclose_g(text: str, point: float, slack: float) -> None:
    expr = parse_expression(text)
    kernel = ArbKernel(expr)
    with kernel.precision():
        found = kernel.float_value(point, slack)
    g = sp.lambdify(x, expr, modules="mpmath")
    with mpmath.workprec(300):
        exact = g(mpmath.mpf(point))
        if found is None:
            # refused only where rounding to a float would cost more than the slack
            assert abs(exact) * 2.0**-52 > slack * (1 - 2.0**-40)
            return
        value, radius = found
        assert isinstance(value, float)
        assert abs(exact - mpmath.mpf(value)) <= radius
        assert radius <= slack + abs(exact) * 2.0**-59 + 1e-300


def test_float_node_values_outside_the_precision_context_are_left_to_value() -> None:
    kernel = ArbKernel(sp.exp(x))
    assert kernel.float_value(0.5, 1e-10) is None  # 53-bit balls: the caller uses value()
    with kernel.precision():
        assert kernel.float_value(0.5, 1e-10) is not None


def test_an_exact_node_value_has_radius_zero() -> None:
    cert = CellCertifier(x**2)
    with cert.precision():
        node = cert.node(0.5, slack=1e-12)
    assert node.float_value == 0.25
    assert node.radius == 0.0
    assert node.fraction == Fraction(1, 4)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_fractions_are_the_fractions_of_floats(value: float) -> None:
    fraction = float_fraction(value)
    assert fraction == Fraction(value)
    assert hash(fraction) == hash(Fraction(value))
    assert (fraction.numerator, fraction.denominator) == value.as_integer_ratio()
    assert coprime_fraction(*value.as_integer_ratio()) + 1 == Fraction(value) + 1


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=30, unique_by=lambda p: p[0]))
def test_exact_float_slopes_are_the_exact_slopes_rounded_once(
    points: list[tuple[float, float]],
) -> None:
    points.sort()
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    slopes, inexact = _exact_float_slopes(xs, ys)
    checked = set(range(len(points) - 1)) - set(inexact.tolist())
    for k in checked:
        exact = (Fraction(ys[k + 1]) - Fraction(ys[k])) / (Fraction(xs[k + 1]) - Fraction(xs[k]))
        try:
            expected = float(exact)  # correctly rounded
        except OverflowError:
            expected = math.inf if exact > 0 else -math.inf
        assert slopes[k] == expected


@given(
    st.lists(
        st.floats(allow_nan=False) | st.sampled_from([5e-324, -5e-324, 0.0, -0.0]),
        min_size=1,
        max_size=20,
    )
)
def test_upward_and_downward_steps_of_arrays_bound_the_next_float(values: list[float]) -> None:
    array = np.array(values)
    up, down = np.asarray(_up(array)), np.asarray(_down(array))
    with np.errstate(over="ignore"):  # numpy warns at the step to infinity
        next_up = np.nextafter(array, np.inf)
        next_down = np.nextafter(array, -np.inf)
        second_up = np.nextafter(next_up, np.inf)
        second_down = np.nextafter(next_down, -np.inf)
    assert np.all(up >= next_up)
    assert np.all(down <= next_down)
    # at most two floats away, or an overflow next to the largest float
    assert np.all((up <= second_up) | (np.abs(array) > 1e308))
    assert np.all((down >= second_down) | (np.abs(array) > 1e308))
    assert _up(1.0) == math.nextafter(1.0, math.inf)  # scalars: the next float exactly
    assert _down(-0.0) == -5e-324


@pytest.mark.parametrize("kind", ["c2_bound", "chord_error"])
def test_halves_first_cells_stay_proved(kind: str) -> None:
    # consecutive cells across the inflection point of Runge's function at 1/sqrt(75),
    # where g'' is small and its ball wide: runs of cells that start with their halves
    kernel = ArbKernel(RUNGE)
    cells = [(0.100 + 0.0005 * k, 0.1005 + 0.0005 * k) for k in range(60)]
    used = 0
    with kernel.precision():
        for a, b in cells:
            halves_first = kernel._halves_first
            used += halves_first
            low, high = sampled_chord_error(RUNGE, a, b, 400)
            h = mpmath.mpf(b) - mpmath.mpf(a)
            if kind == "c2_bound":
                bound = kernel.c2_bound(a, b, 0.0)
                assert bound is not None
                assert max(-low, high) <= bound
            else:
                found = kernel.chord_error(a, b)
                assert found is not None
                down, up, sign = found
                assert -down * h**2 <= low
                assert high <= up * h**2
                if sign == 1:
                    assert high <= 0  # g'' >= 0: the chord lies above g
                elif sign == -1:
                    assert low >= 0
    assert used >= 10  # the runs were met: the test exercised the halves-first path


def test_halves_first_bounds_are_no_larger_than_the_whole_cell_path() -> None:
    # on a run of cells across the inflection point: the whole-cell path takes the
    # smaller of the whole cell's and the halves' Peano bounds (and the pieces where the
    # whole ball is wider than PIECES_RTOL); the halves' bound is the smaller one here,
    # and where the pieces were needed the halves-first path gives way
    stateful, fresh = ArbKernel(RUNGE), ArbKernel(RUNGE)
    compared = 0
    with stateful.precision():
        for k in range(40):
            a, b = 0.100 + 0.0005 * k, 0.1005 + 0.0005 * k
            first = stateful._halves_first
            bound = stateful.c2_bound(a, b, 0.0)
            fresh._halves_first = False
            whole = fresh.c2_bound(a, b, 0.0)
            assert bound is not None
            assert whole is not None
            if first:
                compared += 1
                assert bound <= whole * (1 + 1e-9)
    assert compared >= 10  # the halves-first path was taken and compared


def test_mpmath_rechecks_back_off_after_failures() -> None:
    # a target just below the Arb bound on a cell where mpmath is not tighter: every
    # recheck fails; after RECHECK_PATIENCE of them only every 2nd, 4th, ... is done
    from reluapprox import certify

    cert = CellCertifier(RUNGE)
    with cert.precision():
        left, right = cert.node(0.3), cert.node(0.3001)
        found = cert.c2_bound(left, right)
        assert found is not None
        target = found / 1.1
        before = cert.mpmath_enclosures
        calls = 40
        for _ in range(calls):
            cert.c2_bound(left, right, target=target)
        rechecks = cert.mpmath_enclosures - before
    assert certify.RECHECK_PATIENCE <= rechecks < certify.RECHECK_PATIENCE + 10 < calls
