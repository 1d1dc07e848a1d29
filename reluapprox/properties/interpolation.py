"""Properties of exact interpolation (course Ex 2a/2b) and of shallow networks."""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

from hypothesis import strategies as st

from reluapprox.interpolation import interpolate
from reluapprox.shallow import float_or_inf
from reluapprox.strategies import interpolation_data
from reluapprox.verify import register

#: Float evaluation may differ from the exact value by this many units of
#: 2**-53 * (|f(x)| + |slope * x| + |f(knot)|) (a few roundings in numpy.interp).
FLOAT_EVAL_ULPS = 8.0


@register(
    "interpolation.exact_at_nodes",
    "interpolate(xs, ys) has len(xs) - 1 neurons and f(x_i) == y_i exactly for every i",
    lambda: interpolation_data(),
)
def exact_at_nodes(data: tuple[list[Fraction], list[Fraction]]) -> None:
    xs, ys = data
    net = interpolate(xs, ys)
    assert net.n_neurons == len(xs) - 1
    assert [net.exact(x) for x in xs] == ys


@register(
    "interpolation.network_form",
    "the 1-n-1 ReluNetwork of an interpolant computes the same function exactly",
    lambda: st.tuples(interpolation_data(max_size=8), st.fractions(-2000, 2000)),
)
def network_form(data: tuple[tuple[list[Fraction], list[Fraction]], Fraction]) -> None:
    (xs, ys), q = data
    net = interpolate(xs, ys)
    general = net.to_network()
    for x in [*xs, q]:
        assert general.exact([x]) == (net.exact(x),)


@register(
    "interpolation.float_matches_exact",
    "float evaluation of an interpolant whose slopes lie in the float64 range agrees with"
    " exact evaluation to a few ulps of |f(x)| + |slope * x| + |f(t_k)| + |slope * t_k|",
    lambda: st.tuples(
        interpolation_data(kind="float"),
        st.lists(st.floats(-2000, 2000, allow_nan=False), min_size=1, max_size=20),
    ),
)
def float_matches_exact(data: tuple[tuple[list[Fraction], list[Fraction]], list[float]]) -> float:
    (xs, ys), points = data
    net = interpolate(xs, ys)
    if not all(math.isfinite(float_or_inf(slope)) for slope in net.slopes):
        return 0.0  # outside the claim: a float64 network cannot carry such slopes
    probes = [float(x) for x in xs] + points
    values = net([*probes])
    worst = 0.0
    for p, value in zip(probes, values.tolist(), strict=True):
        q = Fraction(p)
        exact = net.exact(q)
        k = max(0, bisect.bisect_right(net.knots, q) - 1)
        slope, knot = net.slopes[k], net.knots[k]
        terms = (exact, slope * q, net.knot_values[k], slope * knot)
        scale = sum(abs(float_or_inf(t)) for t in terms)
        if not math.isfinite(scale):
            continue  # the claim is relative to a scale beyond the float range: vacuous
        assert math.isfinite(value), f"f({p!r}) = {value!r} but the exact value is {exact}"
        tolerance = FLOAT_EVAL_ULPS * 2.0**-53 * scale + 1e-300
        worst = max(worst, abs(float(Fraction(value) - exact)) / tolerance)
    return worst
