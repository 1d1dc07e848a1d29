"""Example tests of ShallowNetwork: exact and fast float evaluation, conversions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from reluapprox import InvalidArgument, ShallowNetwork
from reluapprox.shallow import as_rational_vector


def hat() -> ShallowNetwork:
    return ShallowNetwork(knots=[0, 1, 2], weights=[1, -2, 1], bias=0)


def test_exact_values_and_slopes() -> None:
    net = hat()
    assert net.slopes == (1, -1, 0)
    assert net.knot_values == (0, 1, 0)
    assert [net.exact(q) for q in (-5, 0, Fraction(1, 2), 1, Fraction(3, 2), 2, 9)] == [
        0,
        0,
        Fraction(1, 2),
        1,
        Fraction(1, 2),
        0,
        0,
    ]


def test_float_matches_naive_sum() -> None:
    rng = np.random.default_rng(3)
    knots = np.sort(rng.uniform(-1, 1, 40))
    weights = rng.standard_normal(40)
    net = ShallowNetwork(knots, weights, bias=0.25)
    x = rng.uniform(-2, 2, size=(5, 100))
    naive = 0.25 + np.maximum(x[..., None] - knots, 0.0) @ weights
    assert net(x).shape == (5, 100)
    assert np.allclose(net(x), naive, rtol=1e-12, atol=1e-12)


def test_right_extrapolation_continues_last_slope() -> None:
    net = ShallowNetwork([0], [2], bias=1)
    assert net([-1.0, 0.0, 10.0]).tolist() == [1.0, 1.0, 21.0]
    assert net(3.0).shape == ()
    assert net(np.array([])).shape == (0,)


def test_nan_input_gives_nan() -> None:
    out = hat()([np.nan, 1.0, 5.0])
    assert np.isnan(out[0])
    assert out[1:].tolist() == [1.0, 0.0]


def test_to_network_computes_same_function() -> None:
    net = hat()
    general = net.to_network()
    assert general.widths == (1, 3, 1)
    for q in (Fraction(-1), Fraction(1, 3), Fraction(7, 4), Fraction(5)):
        assert general.exact([q]) == (net.exact(q),)
    assert net.n_parameters == general.n_parameters == 10


def test_equality_and_repr() -> None:
    assert hat() == hat()
    assert hat() != ShallowNetwork([0, 1, 2], [1, -2, 1], bias=1)
    assert "n_neurons=3" in repr(hat())


@pytest.mark.parametrize(
    ("knots", "weights", "match"),
    [
        ([], [], "at least one knot"),
        ([0, 1], [1], "one weight per knot"),
        ([1, 0], [1, 1], "strictly increasing"),
        ([0, 0], [1, 1], "strictly increasing"),
        ([0, float("nan")], [1, 1], "knots\\[1\\]"),
        ("01", [1, 1], "1-D sequence"),
        (np.zeros((2, 2)), [1, 1], "shape"),
        ([True, False], [1, 1], "knots\\[0\\]"),
    ],
)
def test_invalid(knots: object, weights: object, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        ShallowNetwork(knots, weights)  # type: ignore[arg-type]


def test_as_rational_vector_is_exact() -> None:
    assert as_rational_vector("v", np.array([0.1, 2.0])) == (Fraction(0.1), Fraction(2))
    assert as_rational_vector("v", np.array([1, 2], dtype=np.int8)) == (Fraction(1), Fraction(2))
    with pytest.raises(InvalidArgument, match="booleans"):
        as_rational_vector("v", np.array([True]))
    with pytest.raises(InvalidArgument, match="nested"):
        as_rational_vector("v", [[1, 2]])


def test_to_torch_computes_same_function() -> None:
    torch = pytest.importorskip("torch")
    net = hat()
    module = net.to_torch()
    x = np.linspace(-1, 3, 17)
    with torch.no_grad():
        out = module(torch.from_numpy(x.reshape(-1, 1))).numpy()[:, 0]
    assert np.array_equal(out, net(x))


def test_slopes_beyond_float_range_stay_exact() -> None:
    tiny = Fraction(1, 2**1074)  # the smallest subnormal float
    net = ShallowNetwork([0], [1 / tiny])
    assert net.exact(tiny) == 1
    assert net.exact(float(tiny)) == 1
    assert net([-1.0, 0.0]).tolist() == [0.0, 0.0]
    assert net([1.0]).tolist() == [float("inf")]
