"""Properties of softmax and its limit: the rate bound (high precision) and float stability."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
from hypothesis import strategies as st

from reluapprox.argmax import softmax, softmax_gap, softmax_limit, softmax_rate_bound
from reluapprox.verify import register

#: Relative slack for comparing high-precision values with the bound; the working
#: precision carries 40 more digits than exp(-λΔ) needs, so rounding stays far below it.
MP_RELATIVE_SLACK = Fraction(1, 10**30)
#: Absolute slack per coordinate for the float softmax: each entry of exp(λ(x - M)) is
#: accurate to about 2 * 2^-53 absolutely and the normalisation adds a few roundings.
FLOAT_ABS_SLACK_PER_ENTRY = 8 * 2.0**-53

Case = tuple[list[Fraction], Fraction]


@st.composite
def _vector_and_scale(draw: st.DrawFn) -> Case:
    entries = st.integers(-3, 3).map(Fraction) | st.builds(
        Fraction, st.integers(-40, 40), st.integers(1, 8)
    )
    x = draw(st.lists(entries, min_size=1, max_size=7))
    lam = draw(st.builds(Fraction, st.integers(0, 2000), st.integers(10, 20)))  # [0, 200]
    return x, lam


@register(
    "argmax.rate_bound",
    "||softmax(λx) - u_T||_1 <= 2 (d - k)/k exp(-λΔ) (k maximisers, gap Δ), "
    "evaluated in high precision",
    _vector_and_scale,
)
def rate_bound(case: Case) -> float:
    x, lam = case
    k, gap = softmax_gap(x)
    limit = softmax_limit(x)
    digits = 40 + (0 if gap is None else int(lam * gap / Fraction(2)))  # >= λΔ / ln 10
    with mpmath.workdps(digits):
        lam_mp = mpmath.mpf(lam.numerator) / lam.denominator
        xs = [mpmath.mpf(v.numerator) / v.denominator for v in x]
        top = max(xs)
        weights = [mpmath.exp(lam_mp * (v - top)) for v in xs]
        total = mpmath.fsum(weights)
        error = mpmath.fsum(
            abs(w / total - mpmath.mpf(u.numerator) / u.denominator)
            for w, u in zip(weights, limit, strict=True)
        )
        if gap is None:
            assert error < mpmath.mpf(10) ** (-digits + 5)
            return 0.0
        gap_mp = mpmath.mpf(gap.numerator) / gap.denominator
        bound = 2 * mpmath.mpf(len(x) - k) / k * mpmath.exp(-lam_mp * gap_mp)
        slack = 1 + mpmath.mpf(MP_RELATIVE_SLACK.numerator) / MP_RELATIVE_SLACK.denominator
        return float(error / (bound * slack))


@st.composite
def _float_case(draw: st.DrawFn) -> tuple[list[float], float]:
    magnitude = draw(st.sampled_from([1.0, 1e3, 1e100, 1e300]))
    x = draw(
        st.lists(
            st.floats(-magnitude, magnitude, allow_nan=False) | st.sampled_from([0.0, 1.0]),
            min_size=1,
            max_size=8,
        )
    )
    lam = draw(
        st.floats(0, 10) | st.sampled_from([0.0, 1e-300, 1e10, 1e300, 1.7e308]) | st.floats(0, 1e6)
    )
    return x, lam


@register(
    "argmax.float_softmax_stable",
    "float softmax(λx) is a probability vector for every λ >= 0 and finite x (no overflow), "
    "maximal at the maximisers, within the rate bound plus rounding of the limit",
    _float_case,
)
def float_softmax_stable(case: tuple[list[float], float]) -> float:
    x, lam = case
    p = softmax(x, lam=lam)
    assert p.shape == (len(x),)
    assert np.all(np.isfinite(p))
    assert np.all(p >= 0)
    assert np.all(p <= 1)
    d = len(x)
    assert abs(float(p.sum()) - 1.0) <= d * FLOAT_ABS_SLACK_PER_ENTRY
    top = max(x)
    assert all(p[i] == p.max() for i in range(d) if x[i] == top)
    limit = np.array([float(v) for v in softmax_limit(x)])
    error = float(np.abs(p - limit).sum())
    bound = softmax_rate_bound(x, lam)
    # math.exp(-λΔ) and float(Δ) carry relative errors of a few ulps times λΔ <= 745
    allowance = bound * (1 + 2000 * 2.0**-53) + d * FLOAT_ABS_SLACK_PER_ENTRY
    return error / allowance if math.isfinite(error) else math.inf
