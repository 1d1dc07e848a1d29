"""Softmax and its limit, the (tie-averaged) argmax indicator, with an explicit rate.

For ``x in R^d`` and ``λ >= 0`` let ``softmax(λx)_i = exp(λ x_i) / sum_j exp(λ x_j)``.
Let ``M = max_i x_i``, ``T = {i : x_i = M}`` with ``k = |T|`` elements and, when
``k < d``, ``Δ = M - max_{j not in T} x_j > 0`` the gap to the next value. Then, with
``u_T`` the uniform distribution on ``T``,

``||softmax(λx) - u_T||_1 = 2R / (k + R) <= 2 (d - k) / k * exp(-λΔ)``,
``R = sum_{j not in T} exp(-λ (M - x_j))``,

so ``softmax(λx) -> u_T`` as ``λ -> ∞``; for a unique maximiser (``k = 1``) the bound is
``2 (d - 1) exp(-λΔ)`` and the limit is the indicator ``e_argmax``. The derivation is
on the docs page "Softmax and argmax".

Examples:
    >>> softmax([1.0, 2.0, 3.0], lam=0.0).tolist()
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> softmax([0.0, 1000.0], lam=1e300).tolist()  # no overflow
    [0.0, 1.0]
    >>> softmax_limit([1, 3, 3])
    (Fraction(0, 1), Fraction(1, 2), Fraction(1, 2))
    >>> softmax_rate_bound([0, 1], lam=2)  # 2 (d - 1) exp(-2)
    0.2706705664732254

References:
    J. S. Bridle, Probabilistic interpretation of feedforward classification network
    outputs, with relationships to statistical pattern recognition, in
    *Neurocomputing*, NATO ASI Series F68, Springer, 1990, 227-236.

    Course problem sheet, P3 (softmax tends to argmax).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_finite_real, fail
from reluapprox.shallow import as_rational_vector

__all__ = [
    "plot_softmax_convergence",
    "softmax",
    "softmax_gap",
    "softmax_limit",
    "softmax_limit_sympy",
    "softmax_rate_bound",
]

FloatArray = npt.NDArray[np.float64]

#: Largest ``d`` for which :func:`softmax_limit_sympy` computes symbolic limits.
MAX_SYMPY_DIM = 6


def _check_lam(lam: object) -> float:
    value = check_finite_real("lam", lam)
    if not value >= 0:
        fail("lam", lam, "a finite real number >= 0")
    return value


def softmax(x: npt.ArrayLike, *, lam: float = 1.0) -> FloatArray:
    """``softmax(λx)`` along the last axis, in float64, without overflow for any ``λ >= 0``.

    Computes ``exp(λ (x_i - M)) / sum_j exp(λ (x_j - M))`` with ``M = max x``: every
    exponent is ``<= 0`` and the denominator is ``>= 1``, so nothing overflows and the
    result is a probability vector (exponents below ``-745`` give exact zeros).

    Args:
        x: finite real numbers, shape ``(d,)`` or ``(..., d)`` with ``d >= 1``.
        lam: the scale (inverse temperature) ``λ``, a finite real number ``>= 0``.

    Returns:
        An array of the shape of ``x`` whose rows are probability vectors.

    Raises:
        InvalidArgument: for empty input, NaN/inf or non-numeric entries, or ``λ < 0``,
            NaN or infinite ``λ`` (use :func:`softmax_limit` for ``λ = ∞``).

    Examples:
        >>> p = softmax([[0.0, 1.0], [5.0, 5.0]], lam=math.log(3))
        >>> np.round(p, 12).tolist()
        [[0.25, 0.75], [0.5, 0.5]]
    """
    scale = _check_lam(lam)
    try:
        if np.asarray(x).dtype.kind in "USVb":  # strings, bytes, void, booleans
            raise TypeError
        values = np.array(x, dtype=np.float64)
    except OverflowError:
        fail("x", x, "real numbers within the float64 range (|x| < 1.8e308)")
    except (TypeError, ValueError):
        fail("x", x, "an array of finite real numbers")
    if values.ndim == 0 or values.shape[-1] == 0 or values.size == 0:
        fail("x", x, "a non-empty array of shape (d,) or (..., d) with d >= 1")
    if not np.all(np.isfinite(values)):
        fail("x", x, "finite entries (no NaN or infinity)")
    if scale == 0.0:
        return np.full(values.shape, 1.0 / values.shape[-1])
    top = values.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        # x - M is rounded with relative error <= 2^-53, so exp(λ (x - M)) has absolute
        # error <= 2^-52. x - M overflows to -inf only when x - M < -1.7e308; then
        # λ x - λ M is accurate if λ < 1, and the exact exponent is below -1.7e308 if not.
        exponent = scale * (values - top)
        if scale < 1.0:
            exponent = np.where(np.isfinite(exponent), exponent, scale * values - scale * top)
    weights = np.exp(exponent)
    result: FloatArray = weights / weights.sum(axis=-1, keepdims=True)
    return result


def softmax_gap(x: Sequence[object]) -> tuple[int, Fraction | None]:
    """``(k, Δ)``: the number of maximisers and the gap to the next value (``None`` if ``k = d``).

    Examples:
        >>> softmax_gap([1, 4, 4, Fraction(7, 2)])
        (2, Fraction(1, 2))
    """
    values = _rational_input(x)
    top = max(values)
    k = sum(1 for v in values if v == top)
    rest = [v for v in values if v != top]
    return k, (top - max(rest)) if rest else None


def _rational_input(x: object) -> tuple[Fraction, ...]:
    values = as_rational_vector("x", x)
    if not values:
        fail("x", x, "a non-empty sequence of finite real numbers")
    return values


def softmax_limit(x: Sequence[object]) -> tuple[Fraction, ...]:
    """The limit of ``softmax(λx)`` as ``λ -> ∞``: uniform on the maximisers of ``x``, exactly.

    Args:
        x: a non-empty 1-D sequence of finite real numbers (floats converted exactly).

    Returns:
        ``1/k`` at each of the ``k`` indices where ``x`` is maximal, ``0`` elsewhere.

    Examples:
        >>> softmax_limit([2, -1, 0.5])
        (Fraction(1, 1), Fraction(0, 1), Fraction(0, 1))
    """
    values = _rational_input(x)
    top = max(values)
    k = sum(1 for v in values if v == top)
    return tuple(Fraction(1, k) if v == top else Fraction(0) for v in values)


def softmax_rate_bound(x: Sequence[object], lam: float) -> float:
    """The bound ``2 (d - k) / k * exp(-λΔ)`` on ``||softmax(λx) - softmax_limit(x)||_1``.

    ``k`` is the number of maximisers and ``Δ`` the gap to the next value; the bound is
    ``0`` when all entries are equal (then ``softmax(λx)`` is uniform for every ``λ``).
    For a unique maximiser it is ``2 (d - 1) exp(-λΔ)``.

    Examples:
        >>> softmax_rate_bound([3, 3, 1], lam=0)  # 2 * 1 / 2 * exp(0)
        1.0
        >>> softmax_rate_bound([1, 1], lam=5)
        0.0
    """
    scale = _check_lam(lam)
    values = _rational_input(x)
    k, gap = softmax_gap(values)
    if gap is None:
        return 0.0
    return 2.0 * (len(values) - k) / k * math.exp(-scale * float(gap))


def softmax_limit_sympy(x: Sequence[object]) -> tuple[Fraction, ...]:
    """``lim_{λ -> ∞} softmax(λx)`` computed symbolically by :func:`sympy.limit`.

    An independent check of :func:`softmax_limit` for small ``d``: entry ``i`` is the
    limit of ``1 / sum_j exp(λ (x_j - x_i))`` with ``λ`` a positive symbol.

    Args:
        x: ``1 <= d <= 6`` finite real numbers (converted exactly to rationals).

    Raises:
        InvalidArgument: for empty input, NaN/inf entries or ``d > 6``.

    Examples:
        >>> softmax_limit_sympy([0, Fraction(1, 3), Fraction(1, 3)])
        (Fraction(0, 1), Fraction(1, 2), Fraction(1, 2))
    """
    import sympy

    values = _rational_input(x)
    if len(values) > MAX_SYMPY_DIM:
        fail("x", x, f"at most {MAX_SYMPY_DIM} entries for a symbolic limit")
    lam = sympy.Symbol("lam", positive=True)
    rationals = [sympy.Rational(v.numerator, v.denominator) for v in values]
    limits = []
    for xi in rationals:
        expression = 1 / sum(sympy.exp(lam * (xj - xi)) for xj in rationals)
        limit = sympy.limit(expression, lam, sympy.oo)
        if not limit.is_Rational:  # pragma: no cover - sympy returned something unexpected
            fail("x", x, f"input for which sympy finds a rational limit, got {limit}")
        limits.append(Fraction(int(limit.p), int(limit.q)))
    return tuple(limits)


def plot_softmax_convergence(
    x: Sequence[object], path: str | Path, *, lam_max: float = 20.0, title: str | None = None
) -> Path:
    """Plot ``||softmax(λx) - limit||_1`` against ``λ`` (log scale) with the proved bound.

    Examples:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "softmax.png"
        >>> plot_softmax_convergence([0.0, 0.5, 1.0], out).exists()
        True
    """
    from reluapprox.plotting import new_figure, save_figure

    values = _rational_input(x)
    top = check_finite_real("lam_max", lam_max)
    if not top > 0:
        fail("lam_max", lam_max, "a finite real number > 0")
    limit = np.array([float(v) for v in softmax_limit(values)])
    floats = np.array([float(v) for v in values])
    lams = np.linspace(0.0, top, 400)
    errors = np.array([np.abs(softmax(floats, lam=lam) - limit).sum() for lam in lams])
    bounds = np.array([softmax_rate_bound(values, lam) for lam in lams])
    figure = new_figure(size=(6.0, 3.8))
    (axes,) = figure.axes
    axes.semilogy(lams, np.maximum(errors, 1e-300), color="C0", label="‖softmax(λx) − limit‖₁")
    axes.semilogy(lams, np.maximum(bounds, 1e-300), "--", color="C3", label="2(d−k)/k·exp(−λΔ)")
    axes.set_ylim(max(1e-17, float(np.min(errors[errors > 0], initial=1.0)) / 10), 10)
    axes.set_xlabel("λ")
    axes.set_title(title or f"x = {[float(v) for v in values]}")
    axes.legend()
    return save_figure(figure, path)
