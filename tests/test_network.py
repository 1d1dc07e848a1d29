"""Example tests of ReluNetwork: structure, exact and float evaluation, conversions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from reluapprox import InvalidArgument, ReluApproxError, ReluNetwork
from reluapprox.network import relu

#: Relative difference allowed between two float64 matrix products that sum in
#: different orders (torch and numpy) for the small shapes used here.
MATMUL_RTOL = 1e-12


def abs_network() -> ReluNetwork:
    """|x| = relu(x) + relu(-x)."""
    return ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])


def test_structure() -> None:
    net = ReluNetwork(
        [np.ones((3, 2)), np.ones((4, 3)), np.ones((1, 4))], [np.zeros(3), np.zeros(4), [0.5]]
    )
    assert net.widths == (2, 3, 4, 1)
    assert net.depth == 3
    assert (net.input_dim, net.output_dim) == (2, 1)
    assert net.n_parameters == (2 + 1) * 3 + (3 + 1) * 4 + (4 + 1) * 1
    assert not net.is_exact
    assert "widths=(2, 3, 4, 1)" in repr(net)


def test_exactness_is_inferred_from_entries() -> None:
    assert abs_network().is_exact
    assert not ReluNetwork([[[0.5]]], [[0]]).is_exact
    assert ReluNetwork([[[0.5]]], [[0]], exact=True).weights[0][0, 0] == Fraction(1, 2)


def test_exact_evaluation() -> None:
    net = abs_network()
    assert net.exact([Fraction(-7, 3)]) == (Fraction(7, 3),)
    assert net.exact([0]) == (Fraction(0),)
    assert net.exact([0.1]) == (Fraction(0.1),)  # exact value of the float 0.1


def test_float_evaluation_batches() -> None:
    net = abs_network()
    assert net([-2.5]).tolist() == [2.5]
    batch = np.linspace(-3, 3, 7).reshape(-1, 1)
    assert net(batch).shape == (7, 1)
    assert np.array_equal(net(batch)[:, 0], np.abs(batch[:, 0]))


def test_relu() -> None:
    assert relu([-1.0, 0.0, 2.0]).tolist() == [0.0, 0.0, 2.0]


def test_parameters_are_read_only() -> None:
    net = abs_network()
    with pytest.raises(ValueError, match="read-only"):
        net.weights[0][0, 0] = Fraction(5)


def test_equality() -> None:
    assert abs_network() == abs_network()
    assert abs_network() != abs_network().to_float()
    assert abs_network().to_float().to_exact() == abs_network()
    assert abs_network() != "not a network"


@pytest.mark.parametrize(
    ("weights", "biases", "match"),
    [
        ([], [], "non-empty sequence"),
        ([[[1, 2]]], [[0], [0]], "one per layer"),
        ([[[1, 2]]], [[0, 0]], "vector of length 1"),
        ([[[1], [2]], [[1, 2, 3]]], [[0, 0], [0]], "2 columns"),
        ([[[float("nan")]]], [[0]], "NaN"),
        ([[["a"]]], [[0]], "weights"),
        ([[1, 2]], [[0]], "2-D matrix"),
    ],
)
def test_invalid_networks(weights: list[object], biases: list[object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        ReluNetwork(weights, biases)


def test_invalid_inputs() -> None:
    net = abs_network()
    with pytest.raises(InvalidArgument, match="shape"):
        net(np.zeros((2, 3)))
    with pytest.raises(InvalidArgument, match="1 rational"):
        net.exact([1, 2])
    with pytest.raises(InvalidArgument, match="x\\[0\\]"):
        net.exact([float("inf")])
    with pytest.raises(ReluApproxError):
        net.exact("1")  # type: ignore[arg-type]


class TestTorch:
    torch = pytest.importorskip("torch")

    def test_round_trip_float64_is_exact(self) -> None:
        rng = np.random.default_rng(1)
        net = ReluNetwork(
            [rng.standard_normal((5, 3)), rng.standard_normal((2, 5))],
            [rng.standard_normal(5), rng.standard_normal(2)],
        )
        module = net.to_torch()
        assert ReluNetwork.from_torch(module) == net
        x = rng.standard_normal((10, 3))
        with self.torch.no_grad():
            out = module(self.torch.from_numpy(x)).numpy()
        # Parameters round-trip bit for bit; outputs differ only by summation order.
        assert np.allclose(out, net(x), rtol=MATMUL_RTOL, atol=MATMUL_RTOL)

    def test_from_torch_rejects_other_layouts(self) -> None:
        nn = self.torch.nn
        for module in (
            nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)),
            nn.Sequential(nn.Linear(2, 2), nn.ReLU()),
            nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)),
            nn.Sequential(nn.Linear(2, 2, bias=False)),
        ):
            with pytest.raises(InvalidArgument, match="Sequential alternating Linear"):
                ReluNetwork.from_torch(module)

    def test_single_linear_module(self) -> None:
        linear = self.torch.nn.Linear(3, 2, dtype=self.torch.float64)
        net = ReluNetwork.from_torch(linear)
        assert net.widths == (3, 2)
