"""Properties of parameter counts, widening and deepening of ReLU networks."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from reluapprox.architecture import deepen, parameter_count, widen
from reluapprox.network import ReluNetwork
from reluapprox.strategies import relu_networks
from reluapprox.verify import register


def _rationals(bound: int, denominator: int) -> st.SearchStrategy[Fraction]:
    """Fractions p/q with |p/q| <= bound, q <= denominator (faster to draw than st.fractions)."""
    return st.integers(1, denominator).flatmap(
        lambda q: st.integers(-bound * q, bound * q).map(lambda p: Fraction(p, q))
    )


def _inputs(draw: st.DrawFn, net: ReluNetwork) -> list[list[Fraction]]:
    point = st.lists(_rationals(10, 12), min_size=net.input_dim, max_size=net.input_dim)
    return draw(st.lists(point, min_size=1, max_size=4))


@st.composite
def _widen_case(draw: st.DrawFn) -> tuple[ReluNetwork, int, int, list[list[Fraction]]]:
    net = draw(relu_networks(exact=True, min_depth=2, max_depth=4))
    layer = draw(st.integers(1, net.depth - 1))
    width = net.widths[layer] + draw(st.integers(0, 3))
    return net, layer, width, _inputs(draw, net)


@register(
    "architecture.widen_same_function",
    "widen(net, layer, width) has the new width, (width - d) * (d_prev + d_next + 1) more "
    "parameters, and the same outputs as net, exactly",
    _widen_case,
)
def widen_same_function(data: tuple[ReluNetwork, int, int, list[list[Fraction]]]) -> None:
    net, layer, width, inputs = data
    wide = widen(net, layer, width)
    expected = list(net.widths)
    expected[layer] = width
    assert wide.widths == tuple(expected)
    assert wide.is_exact
    extra = (width - net.widths[layer]) * (net.widths[layer - 1] + 1 + net.widths[layer + 1])
    assert wide.n_parameters == parameter_count(wide.widths) == net.n_parameters + extra
    for x in inputs:
        assert wide.exact(x) == net.exact(x)


@st.composite
def _deepen_case(draw: st.DrawFn) -> tuple[ReluNetwork, int, list[list[Fraction]]]:
    net = draw(relu_networks(exact=True, min_depth=1, max_depth=4))
    position = draw(st.integers(-1, net.depth))  # -1: the default
    return net, position, _inputs(draw, net)


@register(
    "architecture.deepen_same_function",
    "deepen(net, position=p) has one more hidden layer of width 2 d (d = width at p; "
    "default p = depth - 1, after the last hidden layer) and the same outputs as net, exactly",
    _deepen_case,
)
def deepen_same_function(data: tuple[ReluNetwork, int, list[list[Fraction]]]) -> None:
    net, position, inputs = data
    if position == -1:
        deep, position = deepen(net), net.depth - 1
    else:
        deep = deepen(net, position=position)
    w = net.widths
    assert deep.depth == net.depth + 1
    if position < net.depth:
        assert deep.widths == (*w[: position + 1], 2 * w[position], *w[position + 1 :])
    else:  # the new layer reads the old output: (..., d_{r-1}, 2 O, O)
        assert deep.widths == (*w[:-1], 2 * w[-1], w[-1])
    assert deep.is_exact
    for x in inputs:
        assert deep.exact(x) == net.exact(x)


@register(
    "architecture.parameter_count_formula",
    "parameter_count(net.widths) == sum (d_{i-1} + 1) d_i == the number of stored parameters",
    lambda: relu_networks(exact=False, max_depth=5, max_width=6),
)
def parameter_count_formula(net: ReluNetwork) -> None:
    stored = sum(w.size + b.size for w, b in zip(net.weights, net.biases, strict=True))
    assert parameter_count(net.widths) == net.n_parameters == stored
