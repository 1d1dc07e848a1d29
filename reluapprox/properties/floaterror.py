"""Properties of the float error bounds: sampled float evaluation never exceeds them."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from reluapprox.floaterror import float_error_bound, shallow_float_error
from reluapprox.interpolation import interpolate
from reluapprox.network import ReluNetwork
from reluapprox.nodal import nodal_network
from reluapprox.strategies import interpolation_data, relu_networks, small_rationals
from reluapprox.verify import register

Data = tuple[list[Fraction], list[Fraction]]


def _ratio(found: Fraction, bound: float) -> float:
    """``found / bound`` (0 when nothing was found); > 1 means the bound failed."""
    if found == 0:
        return 0.0
    return float(found / Fraction(bound)) if bound > 0 else float("inf")


@register(
    "floaterror.shallow_call_within_bound",
    "net(x) in float64 is within shallow_float_error of the exact interpolant on the domain",
    lambda: st.tuples(
        interpolation_data(min_size=2, max_size=15, kind="float", min_value=-100, max_value=100),
        st.integers(min_value=0, max_value=2**32 - 1),
    ),
)
def shallow_call_within_bound(data: tuple[Data, int]) -> float:
    (xs, ys), seed = data
    net = interpolate(xs, ys)
    a, b = float(xs[0]), float(xs[-1])
    bound = shallow_float_error(net, (a, b))
    if math.isinf(bound):  # a slope beyond the float range: no finite bound is claimed
        return 0.0
    rng = np.random.default_rng(seed)
    knots = np.array([float(t) for t in net.knots])
    points = np.concatenate([rng.uniform(a, b, 64), knots, np.nextafter(knots, np.inf), [b]])
    points = points[(points >= a) & (points <= b)]
    found = max(
        abs(Fraction(v) - net.exact(p))
        for p, v in zip(points.tolist(), net(points).tolist(), strict=True)
    )
    return _ratio(found, bound)


@st.composite
def _network_box_points(draw: st.DrawFn) -> tuple[ReluNetwork, np.ndarray, np.ndarray]:
    net = draw(relu_networks(exact=True, max_depth=4, max_width=4))
    corners = st.lists(small_rationals(min_value=-3, max_value=3), min_size=2, max_size=2)
    box = [sorted(draw(corners)) for _ in range(net.input_dim)]
    domain = np.array([[float(lo), float(hi)] for lo, hi in box])
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    points = np.random.default_rng(seed).uniform(domain[:, 0], domain[:, 1], (24, net.input_dim))
    return net, domain, np.concatenate([points, domain[:, 0][None, :], domain[:, 1][None, :]])


@register(
    "floaterror.network_call_within_bound",
    "ReluNetwork.__call__ (float64) is within float_error_bound of exact evaluation on a box",
    _network_box_points,
)
def network_call_within_bound(data: tuple[ReluNetwork, np.ndarray, np.ndarray]) -> float:
    net, domain, points = data
    bound = float_error_bound(net, domain, "float64")
    if math.isinf(bound):
        return 0.0
    found = Fraction(0)
    for p, v in zip(points.tolist(), net(points).tolist(), strict=True):
        exact = net.exact([Fraction(c) for c in p])
        found = max(found, *(abs(Fraction(vi) - e) for vi, e in zip(v, exact, strict=True)))
    return _ratio(found, bound)


@register(
    "floaterror.nodal_is_exact",
    "the nodal (hat-function) network computes exactly the shallow network, at knots and between",
    lambda: st.tuples(
        interpolation_data(min_size=2, max_size=10, kind="mixed", min_value=-50, max_value=50),
        st.lists(small_rationals(min_value=-60, max_value=60, max_denominator=97), max_size=6),
    ),
)
def nodal_is_exact(data: tuple[Data, list[Fraction]]) -> None:
    (xs, ys), extra = data
    net = interpolate(xs, ys)
    exact = nodal_network(net)
    midpoints = [(p + q) / 2 for p, q in itertools.pairwise(xs)]
    for q in [*xs, *midpoints, *extra, xs[0] - 1, xs[-1] + 3]:
        assert exact.exact([q]) == (net.exact(q),), q
