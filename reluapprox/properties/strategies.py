"""Properties of the public strategies themselves (:mod:`reluapprox.strategies`).

The moduli of continuity that :func:`~reluapprox.strategies.continuous_functions`
attaches are proved on the docs page; these properties test the proofs (and their
implementation) against values computed in high precision with mpmath: sampled
differences ``|f(x) - f(y)|`` never exceed ``modulus(|x - y|)``, the Lipschitz constant
and the range enclosure hold, and the float, mpmath and sympy forms agree.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import mpmath
import sympy
from hypothesis import strategies as st

from reluapprox.strategies import (
    ContinuousFunction,
    continuous_functions,
    interpolation_data,
    relu_networks,
)
from reluapprox.verify import register

#: mpmath working precision (decimal digits) of the "true" values.
CHECK_DPS = 40

#: Float evaluation ``.f`` must agree with the true value to this multiple of
#: ``float_error_scale`` (a few hundred roundings of relative size 2**-53 at most).
FLOAT_AGREEMENT = 2.0**-40

#: The sympy form and the mpmath evaluator must agree to this multiple of
#: ``1 + float_error_scale`` at :data:`CHECK_DPS` digits.
EXPR_AGREEMENT = 1e-30

#: Domains the properties draw from, simplest first.
DOMAINS: tuple[tuple[Fraction, Fraction], ...] = (
    (Fraction(0), Fraction(1)),
    (Fraction(-1), Fraction(2)),
    (Fraction(1, 3), Fraction(1, 2)),
    (Fraction(-20), Fraction(-4)),
)

_FUNCTIONS = st.one_of([continuous_functions(domain=d) for d in DOMAINS])
_UNIT = st.floats(min_value=0, max_value=1)
_LOG_GAPS = st.floats(min_value=-14, max_value=0.5)

Sample = tuple[ContinuousFunction, list[tuple[float, float]]]


def _point(g: ContinuousFunction, u: float) -> float:
    a, b = g.domain
    return min(max(a + (b - a) * u, a), b)


@st.composite
def _functions_and_pairs(draw: st.DrawFn) -> Sample:
    """A function and pairs ``(x, y)`` of its domain, far apart and very close."""
    g = draw(_FUNCTIONS)
    a, b = g.domain
    pairs: list[tuple[float, float]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        x = _point(g, draw(_UNIT))
        gap = (b - a) * 10.0 ** draw(_LOG_GAPS)
        pairs.append((x, min(max(x + gap, a), b)))
        pairs.append((x, _point(g, draw(_UNIT))))
    # a fixed grid of neighbours catches kinks, Hölder points and steep slopes
    grid = [a + (b - a) * k / 16 for k in range(17)]
    pairs += [(grid[k], grid[k + 1]) for k in range(16)]
    return g, pairs


def _ratio(observed: float, bound: float) -> float:
    """``observed / bound``, with ``0 / 0 = 0``."""
    return observed / bound if bound > 0 else (0.0 if observed == 0 else math.inf)


def _distance_upper(x: float, y: float) -> float:
    """A float >= the exact ``|x - y|`` (rounded up if the subtraction rounded down)."""
    exact = abs(Fraction(x) - Fraction(y))
    h = float(exact)
    return h if Fraction(h) >= exact else math.nextafter(h, math.inf)


@register(
    "strategies.modulus_is_valid",
    "for f from continuous_functions(), |f(x) - f(y)| <= f.modulus(|x - y|) and "
    "<= f.lipschitz |x - y| in 40-digit arithmetic, f stays within f.bounds, "
    "and the modulus is 0 at 0 and nondecreasing",
    _functions_and_pairs,
)
def modulus_is_valid(sample: Sample) -> float:
    g, pairs = sample
    assert g.modulus(0.0) == 0.0
    lo, hi = g.bounds
    worst = 0.0
    steps = sorted({_distance_upper(x, y) for x, y in pairs} | {0.0, math.inf})
    moduli = [g.modulus(h) for h in steps]
    assert moduli == sorted(moduli), f"modulus not nondecreasing at {steps}: {moduli}"
    assert math.isfinite(moduli[-1]), "modulus(inf) must be finite on a bounded domain"
    with mpmath.workdps(CHECK_DPS):
        for x, y in pairs:
            fx, fy = g.evaluate_mp(x), g.evaluate_mp(y)
            assert lo <= fx <= hi, f"f({x!r}) = {fx} outside bounds {g.bounds}"
            difference = float(abs(fx - fy))
            h = _distance_upper(x, y)
            bound = g.modulus(h)
            assert difference <= bound, f"|f({x!r}) - f({y!r})| = {difference} > modulus = {bound}"
            if bound > 0:
                worst = max(worst, difference / bound)
            if g.lipschitz is not None:
                slope_bound = g.lipschitz * h
                assert difference <= slope_bound, f"Lipschitz bound fails at {x!r}, {y!r}"
                if slope_bound > 0:
                    worst = max(worst, difference / slope_bound)
    return worst


@st.composite
def _functions_and_points(draw: st.DrawFn) -> tuple[ContinuousFunction, list[float]]:
    g = draw(_FUNCTIONS)
    points = [_point(g, draw(_UNIT)) for _ in range(draw(st.integers(1, 8)))]
    return g, [*g.domain, *points]


@register(
    "strategies.forms_agree",
    "the float evaluation .f, the mpmath evaluation and the sympy form .expr of a "
    "function from continuous_functions() agree (floats to 2**-40 relative to the "
    "function's error scale, mpmath and sympy to 1e-30)",
    _functions_and_points,
)
def forms_agree(sample: tuple[ContinuousFunction, list[float]]) -> float:
    g, points = sample
    x = sympy.Symbol("x")
    assert g.expr.free_symbols <= {x}, f"expr must be in the symbol x: {g.expr}"
    exact = sympy.lambdify(x, g.expr, "mpmath")
    values = g.f(points)
    worst = 0.0
    with mpmath.workdps(CHECK_DPS):
        for p, value in zip(points, values.tolist(), strict=True):
            truth = g.evaluate_mp(p)
            float_error = float(abs(mpmath.mpf(value) - truth))
            float_tolerance = FLOAT_AGREEMENT * g.float_error_scale
            assert float_error <= float_tolerance, f"f({p!r}) = {value!r}, true value {truth}"
            expr_error = float(abs(exact(mpmath.mpf(p)) - truth))
            expr_tolerance = EXPR_AGREEMENT * (1.0 + g.float_error_scale)
            assert expr_error <= expr_tolerance, f"expr and evaluate_mp differ at {p!r}"
            worst = max(worst, _ratio(float_error, float_tolerance), expr_error / expr_tolerance)
    return worst


@register(
    "strategies.interpolation_data_contract",
    "interpolation_data() gives strictly increasing nodes in range, one value per node",
    lambda: interpolation_data(min_size=3, max_size=12, min_value=-5, max_value=5),
)
def interpolation_data_contract(data: tuple[list[Fraction], list[Fraction]]) -> None:
    xs, ys = data
    assert 3 <= len(xs) == len(ys) <= 12
    assert all(a < b for a, b in itertools.pairwise(xs))
    assert all(-5 <= v <= 5 for v in (*xs, *ys))


@register(
    "strategies.relu_networks_contract",
    "relu_networks() respects the requested depth, widths and input/output dimension",
    lambda: relu_networks(input_dim=2, output_dim=1, min_depth=2, max_depth=3, max_width=3),
)
def relu_networks_contract(net: Any) -> None:
    assert 2 <= net.depth <= 3
    assert net.widths[0] == 2
    assert net.widths[-1] == 1
    assert all(1 <= w <= 3 for w in net.widths[1:-1])
