"""Properties of general ReLU networks: float evaluation against exact evaluation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from reluapprox.network import ReluNetwork
from reluapprox.strategies import relu_networks, small_rationals
from reluapprox.verify import register

#: Rounding allowance per accumulated operation, in units of 2**-53 times the
#: magnitude obtained by propagating |W| |h| + |b| through the layers.
FLOAT_EVAL_SAFETY = 2.0


@st.composite
def _network_and_input(draw: st.DrawFn) -> tuple[ReluNetwork, list[Fraction]]:
    net = draw(relu_networks(exact=True, max_depth=4))
    x = draw(st.lists(small_rationals(), min_size=net.input_dim, max_size=net.input_dim))
    return net, x


def _float_error_bound(net: ReluNetwork, x: list[Fraction]) -> float:
    magnitude = np.abs(np.array([float(v) for v in x]))
    operations = 0
    for w, b in zip(net.weights, net.biases, strict=True):
        magnitude = np.abs(w.astype(np.float64)) @ magnitude + np.abs(b.astype(np.float64))
        operations += w.shape[1] + 2
    return FLOAT_EVAL_SAFETY * operations * 2.0**-53 * float(magnitude.max()) + 1e-300


@register(
    "networks.float_matches_exact",
    "float64 evaluation of a ReluNetwork is within the a-priori rounding bound of exact evaluation",
    _network_and_input,
)
def float_matches_exact(data: tuple[ReluNetwork, list[Fraction]]) -> float:
    net, x = data
    exact = net.exact(x)
    approx = net([float(v) for v in x])
    bound = _float_error_bound(net, x)
    error = max(abs(float(Fraction(a) - e)) for a, e in zip(approx.tolist(), exact, strict=True))
    return error / bound


@register(
    "networks.exact_conversion",
    "to_float() of an exact network with dyadic weights, then to_exact(), is the same network",
    lambda: relu_networks(exact=True),
)
def exact_conversion(net: ReluNetwork) -> None:
    dyadic = all(
        (Fraction(v).denominator & (Fraction(v).denominator - 1)) == 0
        for layer in (*net.weights, *net.biases)
        for v in layer.ravel()
    )
    round_trip = net.to_float().to_exact()
    assert (round_trip == net) == dyadic
