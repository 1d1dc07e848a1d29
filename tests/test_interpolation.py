"""Example tests of interpolate (course Ex 2a and 2b)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reluapprox import InvalidArgument, interpolate
from reluapprox.interpolation import interpolate_floats, interpolation_weights


def test_ex2a_closed_form() -> None:
    y0, y1, y2 = Fraction(2), Fraction(-1, 3), Fraction(5)
    net = interpolate([0, Fraction(1, 2), 1], [y0, y1, y2])
    assert net.n_neurons == 2
    assert net.knots == (0, Fraction(1, 2))
    assert net.bias == y0
    assert net.weights == (2 * (y1 - y0), 2 * (y2 - 2 * y1 + y0))
    assert [net.exact(x) for x in (0, Fraction(1, 2), 1)] == [y0, y1, y2]


def test_weights_solve_the_triangular_system() -> None:
    xs = [Fraction(v) for v in (-2, -1, Fraction(1, 3), 4)]
    ys = [Fraction(v) for v in (1, 0, 7, Fraction(-1, 2))]
    weights, bias = interpolation_weights(xs, ys)
    for i, x in enumerate(xs):
        row = bias + sum(w * max(x - t, Fraction(0)) for w, t in zip(weights, xs[:-1], strict=True))
        assert row == ys[i]


def test_float_input_is_converted_exactly() -> None:
    xs = np.array([0.1, 0.2, 0.3, 0.7])
    ys = np.array([1.0, 1e-300, -3.5, 2.25])
    net = interpolate(xs, ys)
    assert [net.exact(float(x)) for x in xs] == [Fraction(float(y)) for y in ys]
    assert np.array_equal(net(xs), ys)


def test_two_points_is_a_single_neuron() -> None:
    net = interpolate([1, 3], [0, 4])
    assert net.n_neurons == 1
    assert net.weights == (2,)
    assert net.exact(2) == 2


@pytest.mark.parametrize(
    ("xs", "ys", "match"),
    [
        ([0], [1], "at least 2 points"),
        ([0, 1], [1], "as many values"),
        ([0, 1, 1], [1, 2, 3], "strictly increasing"),
        ([1, 0], [1, 2], "strictly increasing"),
        ([0, float("nan")], [1, 2], "xs\\[1\\]"),
        ([0, 1], [1, float("inf")], "ys\\[1\\]"),
        ([0, "1"], [1, 2], "xs\\[1\\]"),
        (np.zeros((2, 2)), [1, 2], "shape"),
        ("01", [1, 2], "1-D sequence"),
        ([0, None], [1, 2], "xs\\[1\\]=None"),
    ],
)
def test_bad_input(xs: object, ys: object, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        interpolate(xs, ys)  # type: ignore[arg-type]


@given(
    nodes=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=20, unique=True),
    values=st.lists(
        st.fractions(max_denominator=10**6) | st.floats(-1e300, 1e300).map(Fraction),
        min_size=20,
        max_size=20,
    ),
)
def test_the_trusted_path_builds_the_same_network(
    nodes: list[float], values: list[Fraction]
) -> None:
    nodes = sorted(nodes)
    ys = values[: len(nodes)]
    fast = interpolate_floats(nodes, ys)
    slow = interpolate(nodes, ys)
    # rounded before the exact parameters exist (by integer division)
    for got, expected in zip(fast.rounded_parameters(), slow.rounded_parameters(), strict=True):
        assert np.array_equal(got, expected)
    assert fast == slow
    assert fast.slopes == slow.slopes
    assert fast.knot_values == slow.knot_values
    assert [fast.exact(x) for x in nodes] == ys
    assert np.array_equal(fast(np.array(nodes)), slow(np.array(nodes)))


def test_a_trusted_network_pickles_with_its_exact_parameters() -> None:
    import pickle

    net = interpolate_floats([0.0, 0.5, 1.0], [Fraction(1), Fraction(3), Fraction(2)])
    copy = pickle.loads(pickle.dumps(net))
    assert copy == interpolate([0, Fraction(1, 2), 1], [1, 3, 2])
    assert copy.weights == (Fraction(4), Fraction(-6))
    assert copy.exact(Fraction(1, 4)) == 2
