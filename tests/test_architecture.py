"""Example tests of parameter counts, widening and deepening."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from reluapprox import InvalidArgument, ReluNetwork, deepen, parameter_count, widen


def _abs_net() -> ReluNetwork:
    """|x| - 1/2 = relu(x) + relu(-x) - 1/2 on R."""
    return ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [Fraction(-1, 2)]])


def _deep_net() -> ReluNetwork:
    weights = [
        [[1, 2], [Fraction(-1, 3), 1], [0, -2]],
        [[1, -1, Fraction(1, 2)], [2, 0, 1]],
        [[Fraction(3, 4), -1], [1, 1], [0, 2]],
    ]
    biases = [[1, 0, Fraction(-1, 5)], [0, Fraction(1, 7)], [1, -1, 0]]
    return ReluNetwork(weights, biases)


POINTS = [[Fraction(a, 3), Fraction(b, 5)] for a in (-7, 0, 4) for b in (-3, 1, 11)]


def test_parameter_count_formula() -> None:
    assert parameter_count([1, 1]) == 2
    assert parameter_count([3, 5, 2]) == (3 + 1) * 5 + (5 + 1) * 2
    assert parameter_count((2, 3, 3, 1)) == 9 + 12 + 4
    assert parameter_count(np.array([4, 2])) == 10
    assert parameter_count(_deep_net().widths) == _deep_net().n_parameters


def test_parameter_count_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for _ in range(20):
        widths = [int(v) for v in rng.integers(1, 30, size=int(rng.integers(2, 6)))]
        layers: list[object] = []
        for i in range(len(widths) - 1):
            layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        assert parameter_count(widths) == sum(p.numel() for p in model.parameters())


def test_widen_pads_with_zeros() -> None:
    net = _abs_net()
    wide = widen(net, 1, 5)
    assert wide.widths == (1, 5, 1)
    assert wide.weights[0].tolist() == [[1], [-1], [0], [0], [0]]
    assert wide.biases[0].tolist() == [0, 0, 0, 0, 0]
    assert wide.weights[1].tolist() == [[1, 1, 0, 0, 0]]
    for x in (Fraction(-9, 4), 0, Fraction(1, 3)):
        assert wide.exact([x]) == net.exact([x])


@pytest.mark.parametrize("layer", [1, 2])
def test_widen_every_hidden_layer_of_a_deep_net(layer: int) -> None:
    net = _deep_net()
    wide = widen(net, layer, net.widths[layer] + 3)
    assert wide.widths[layer] == net.widths[layer] + 3
    assert all(wide.exact(x) == net.exact(x) for x in POINTS)
    assert widen(net, layer, net.widths[layer]) == net


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_deepen_at_every_position(position: int) -> None:
    net = _deep_net()
    deep = deepen(net, position=position)
    assert deep.depth == net.depth + 1
    assert all(deep.exact(x) == net.exact(x) for x in POINTS)
    assert deep.is_exact


def test_deepen_default_inserts_after_the_last_hidden_layer() -> None:
    # the problem sheet's construction: N_r(I, d_1, ..., d_{r-1}, O) in
    # N_{r+1}(I, d_1, ..., d_{r-1}, 2 d_{r-1}, O); the output layer stays last
    net = _deep_net()
    assert deepen(net) == deepen(net, position=net.depth - 1)
    assert deepen(net).widths == (*net.widths[:-1], 2 * net.widths[-2], net.widths[-1])
    deep = deepen(_abs_net())
    assert deep.widths == (1, 2, 4, 1)
    assert deep.weights[1].tolist() == [[1, 0], [0, 1], [-1, 0], [0, -1]]
    assert deep.weights[2].tolist() == [[1, 1, -1, -1]]
    assert deep.biases[2].tolist() == [Fraction(-1, 2)]  # the output layer's own bias
    assert deep.exact([Fraction(-3)]) == (Fraction(5, 2),)
    affine = ReluNetwork([[[2]]], [[-1]])  # no hidden layer: the new layer reads the input
    assert deepen(affine).widths == (1, 2, 1)
    assert deepen(affine).weights[0].tolist() == [[1], [-1]]
    assert deepen(affine).exact([-3]) == (Fraction(-7),)


def test_deepen_after_the_output() -> None:
    net = _abs_net()
    deep = deepen(net, position=net.depth)
    assert deep.widths == (1, 2, 2, 1)
    assert deep.weights[1].tolist() == [[1, 1], [-1, -1]]
    assert deep.biases[1].tolist() == [Fraction(-1, 2), Fraction(1, 2)]
    assert deep.weights[2].tolist() == [[1, -1]]
    assert deep.exact([Fraction(-3)]) == (Fraction(5, 2),)
    assert deep.exact([Fraction(1, 4)]) == (Fraction(-1, 4),)  # negative output survives


def test_deepen_twice_and_float_networks() -> None:
    net = _deep_net().to_float()
    deep = deepen(deepen(net, position=1))
    assert not deep.is_exact
    assert deep.depth == net.depth + 2
    x = np.array([[float(a), float(b)] for a, b in POINTS])
    assert np.array_equal(deep(x), net(x))
    wide = widen(net, 2, 6)
    assert np.array_equal(wide(x), net(x))


def test_widen_and_deepen_agree_with_torch() -> None:
    torch = pytest.importorskip("torch")
    net = deepen(widen(_deep_net(), 1, 6), position=2)
    x = torch.tensor([[float(a), float(b)] for a, b in POINTS], dtype=torch.float64)
    expected = np.array([[float(v) for v in net.exact(p)] for p in POINTS])
    assert np.allclose(net.to_torch()(x).detach().numpy(), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize(
    ("widths", "match"),
    [
        ([3], r"widths=\[3\] is invalid: expected a sequence \[I, d_1, \.\.\., O\]"),
        ([3, 0], r"widths\[1\]=0 is invalid: expected an integer >= 1"),
        ([3, 2.0], r"widths\[1\]=2\.0 is invalid: expected an integer >= 1"),
        ("32", r"widths='32' is invalid"),
        (7, r"widths=7 is invalid"),
    ],
)
def test_parameter_count_bad_input(widths: object, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        parameter_count(widths)  # type: ignore[arg-type]


def test_widen_deepen_bad_input() -> None:
    net = _deep_net()
    with pytest.raises(InvalidArgument, match=r"layer=0 is invalid: expected a hidden layer"):
        widen(net, 0, 5)
    with pytest.raises(InvalidArgument, match=r"layer=3 is invalid: .* in 1\.\.2"):
        widen(net, 3, 5)
    with pytest.raises(InvalidArgument, match=r"width=2 is invalid: expected an integer >= 3"):
        widen(net, 1, 2)
    shallow = ReluNetwork([[[1]]], [[0]])
    with pytest.raises(InvalidArgument, match=r"net=.* is invalid: expected a network with"):
        widen(shallow, 1, 2)
    with pytest.raises(InvalidArgument, match=r"position=4 is invalid: expected an integer in"):
        deepen(net, position=4)
    with pytest.raises(InvalidArgument, match=r"position=-1 is invalid"):
        deepen(net, position=-1)
    with pytest.raises(InvalidArgument, match=r"net=\[1\] is invalid: expected a reluapprox"):
        deepen([1])  # type: ignore[arg-type]
