"""Rigorous bounds on the rounding error of the float networks that the library ships.

The exact network ``f`` has rational parameters; what runs is its float version:
``ShallowNetwork.__call__`` (float64, :func:`numpy.interp`), ``ReluNetwork.__call__``
(float64 matrix products) and the torch modules of ``to_torch()`` (float64 or
float32). Each function here returns an upper bound of ``|fl(f)(x) - f(x)|`` over
every ``x`` of a box that is representable in the format (the input is not rounded).

Rounding model (IEEE 754 binary64 / binary32, round to nearest): every operation
satisfies ``fl(a op b) = (a op b)(1 + delta) + eta`` with ``|delta| <= u``
(``u = 2^-53`` resp. ``2^-24``) and ``|eta| <=`` the smallest subnormal (``eta = 0``
for additions); a sum of ``k`` products and a bias is accurate to
``gamma_k = k u / (1 - k u)`` times the sum of the magnitudes, **in any order of
summation and with or without fused multiply-adds**. That is all that is assumed of
numpy's BLAS and of torch's matrix products and reductions (no Strassen-type
algorithms, no reduced-precision internal formats such as TF32 or bfloat16, which
are off by default for float32 matrix products); torch's elementwise operations are
assumed correctly rounded. Parameters are rounded once to float64 (to nearest), and
for float32 once more. The bounds themselves are computed in float64 with every
operation rounded upward (``numpy.nextafter``), so they are upper bounds of the
exact expressions of the analysis (derivations: docs page "Float error").

Examples:
    >>> from reluapprox import interpolate
    >>> net = interpolate([0, 0.25, 0.5, 1], [0, 1, -1, 2])
    >>> shallow_float_error(net, (0, 1)) < 1e-14
    True
    >>> nodal_float_error(net, (0, 1), "float64") < 1e-14
    True
    >>> float_error_bound(net.to_network(), (0, 1), "float32") < 1e-5
    True

References:
    N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM
    2002, ch. 2-3 (the standard model, ``gamma_n``, inner products in any order).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec

import numpy as np
import numpy.typing as npt

from reluapprox._validation import fail
from reluapprox.network import ReluNetwork
from reluapprox.nodal import NodalParameters, nodal_parameters
from reluapprox.shallow import ShallowNetwork

__all__ = [
    "FLOAT32",
    "FLOAT64",
    "FloatFormat",
    "float_error_bound",
    "float_format",
    "nodal_float_error",
    "shallow_float_error",
    "shallow_float_errors",
]

FloatArray = npt.NDArray[np.float64]
P = ParamSpec("P")


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE 754 binary format: unit roundoff, smallest subnormal, largest float."""

    name: str
    u: float
    tiny: float
    max: float
    numpy_type: type[np.floating[Any]]


#: IEEE binary64 (``u = 2^-53``).
FLOAT64 = FloatFormat("float64", 2.0**-53, 2.0**-1074, float(np.finfo(np.float64).max), np.float64)
#: IEEE binary32 (``u = 2^-24``).
FLOAT32 = FloatFormat("float32", 2.0**-24, 2.0**-149, float(np.finfo(np.float32).max), np.float32)

_U64 = FLOAT64.u


def float_format(dtype: object) -> FloatFormat:
    """The format of ``dtype``: ``"float64"``/``"float32"``, a numpy or a torch dtype.

    Raises:
        InvalidArgument: for any other dtype.
    """
    name = str(dtype).removeprefix("torch.").removeprefix("<class 'numpy.").rstrip("'>")
    formats = {"float64": FLOAT64, "double": FLOAT64, "float32": FLOAT32, "float": FLOAT32}
    if name not in formats:
        fail("dtype", dtype, "float64 or float32 (a string, numpy or torch dtype)")
    return formats[name]


# ------------------------------------------------------------ upward arithmetic
#: ``ulp(x) <= |x| * _ULP`` for normal floats; subnormals are spaced by ``_SUBNORMAL``.
_ULP = 2.0**-52
_SUBNORMAL = 5e-324


def _guarded(fn: Callable[P, float]) -> Callable[P, float]:
    """Run a bound computation with float warnings off; a NaN bound becomes ``inf``.

    Overflow gives ``inf`` and ``inf - inf`` gives NaN in the upward arithmetic; both
    mean that no finite bound was proved.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> float:
        with np.errstate(all="ignore"):
            result = fn(*args, **kwargs)
        return result if math.isfinite(result) else math.inf

    return wrapper


def _worst(*values: Any) -> float:
    """The largest of the values, NaN if any is NaN (unlike ``max``)."""
    return float(np.max(np.array(values, dtype=np.float64)))


def _up(x: Any) -> Any:
    """A float above ``x``: an upper bound of the exact result of the RN operation.

    A Python (or numpy) float gives the next float; an array gives
    ``x + (|x| 2**-52 + 2**-1074)``, at least the next float and at most two above it
    (four times faster than :func:`numpy.nextafter`), where that sum is not NaN.
    """
    if isinstance(x, float):
        return math.nextafter(x, math.inf)
    with np.errstate(over="ignore", invalid="ignore"):  # inf next to the largest float
        up = x + (np.abs(x) * _ULP + _SUBNORMAL)
    if np.isnan(up).any():  # -inf (or NaN) in x
        return np.nextafter(x, np.inf)
    return up


def _down(x: Any) -> Any:
    """A float below ``x`` (see :func:`_up`)."""
    if isinstance(x, float):
        return math.nextafter(x, -math.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        down = x - (np.abs(x) * _ULP + _SUBNORMAL)
    if np.isnan(down).any():
        return np.nextafter(x, -np.inf)
    return down


def _add(*terms: Any) -> Any:
    """Upper bound of the exact sum of nonnegative float terms."""
    total = terms[0]
    for term in terms[1:]:
        total = _up(total + term)
    return total


def _mul(*factors: Any) -> Any:
    """Upper bound of the exact product of nonnegative float factors."""
    total = factors[0]
    for factor in factors[1:]:
        total = _up(total * factor)
    return total


def _gamma(k: int, fmt: FloatFormat) -> float:
    """Upper bound of ``gamma_k = k u / (1 - k u)`` (``inf`` once ``k u >= 1/2``)."""
    ku = k * fmt.u  # exact: k < 2^53 and u is a power of two
    if ku >= 0.5:
        return math.inf
    return float(_up(ku / _down(1.0 - ku)))


def _sum_up(a: FloatArray, axis: int) -> FloatArray:
    """Upper bound of the exact sums of the nonnegative entries of ``a`` along ``axis``.

    numpy's sum of ``n`` nonnegative terms (any order) is at least ``(1 - (n-1) u)``
    times the exact sum, and ``1 / (1 - x) <= 1 + 2x`` for ``x <= 1/2``.
    """
    n = a.shape[axis]
    factor = _up(1.0 + _up(2.0 * n * _U64))
    return np.asarray(_up(a.sum(axis=axis) * factor), dtype=np.float64)


def _matvec_up(a: FloatArray, v: FloatArray) -> FloatArray:
    """Upper bound of ``a @ v`` for nonnegative ``a`` (m, n) and ``v`` (n,)."""
    return _sum_up(np.asarray(_up(a * v[None, :]), dtype=np.float64), axis=1)


def _signed_row_sums(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of the exact row sums of ``a`` (signed entries)."""
    n = a.shape[1]
    slack = _up(_sum_up(np.abs(a), axis=1) * _up(2.0 * n * _U64))
    s = a.sum(axis=1)
    return np.asarray(_down(s - slack)), np.asarray(_up(s + slack))


# ------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class _Param:
    """A parameter array: float64 rounding, bounds of its exact value, its error in fmt."""

    value: FloatArray  # the float64 rounding
    low: FloatArray  # lower bound of the exact value
    high: FloatArray  # upper bound of the exact value
    mag: FloatArray  # bound of |exact| and of |rounded to fmt|
    err: FloatArray  # bound of |rounded to fmt - exact|


def _param(values: Any, fmt: FloatFormat, *, exact_floats: bool) -> _Param | None:
    """Bounds for exact parameters rounded to float64 and then to ``fmt``.

    ``exact_floats``: the parameters are float64 numbers (no first rounding). Returns
    ``None`` when a parameter is outside the range of ``fmt``.
    """
    try:
        v64 = np.asarray(values, dtype=np.float64)
    except OverflowError:
        return None
    with np.errstate(over="ignore"):
        vd = v64.astype(fmt.numpy_type).astype(np.float64)
    if not (np.all(np.isfinite(v64)) and np.all(np.isfinite(vd))):
        return None
    first = np.zeros_like(v64) if exact_floats else np.spacing(np.abs(v64))
    second = np.abs(vd - v64)  # exact: the low bits that the second rounding drops
    return _Param(
        value=v64,
        low=np.asarray(_down(v64 - first)),
        high=np.asarray(_up(v64 + first)),
        mag=np.asarray(_up(np.abs(v64) + np.maximum(first, second))),
        err=np.asarray(_up(second + first)),
    )


def _box(domain: Any, dim: int) -> tuple[FloatArray, FloatArray]:
    expected = f"a pair (lo, hi) or {dim} pairs of finite numbers with lo <= hi"
    try:
        array = np.array(domain, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        fail("domain", domain, expected)
    if array.shape == (2,):
        array = np.tile(array, (dim, 1))
    if array.shape != (dim, 2) or not np.all(np.isfinite(array)):
        fail("domain", domain, expected)
    lo, hi = array[:, 0].copy(), array[:, 1].copy()
    if not np.all(lo <= hi):
        fail("domain", domain, expected)
    return lo, hi


# -------------------------------------------------------- general ReluNetwork
@_guarded
def float_error_bound(network: ReluNetwork, domain: Any, dtype: object = "float64") -> float:
    """Upper bound of ``|fl(N)(x) - N(x)|`` over a box, for any depth.

    ``N`` is the exact network (Fraction parameters, or its float64 parameters taken
    exactly); ``fl(N)`` is ``network(x)`` (float64) or ``network.to_torch(dtype=...)``
    (float64 or float32), whose layers compute ``W h + b`` as sums in any order.

    Layer by layer, interval arithmetic gives an enclosure ``[lo, hi]`` of every
    exact pre-activation ``z`` over the box, and the absolute error bound of a layer
    with fan-in ``n`` is

    ``e_z = |W| e + |W^ - W| (|h| + e) + |b^ - b| + gamma_{n+1} (|W^| (|h| + e) + |b^|)``

    (``W^``, ``b^`` the rounded parameters, ``e`` the error bound of the layer's
    input, ``|h| <= max(|lo|, |hi|)`` of the layer below). ReLU is 1-Lipschitz, and a
    neuron with ``hi + e_z <= 0`` is exactly ``0`` in floats too (error 0).

    Args:
        network: the network (exact or float64 parameters).
        domain: the box: a pair ``(lo, hi)`` (every input coordinate) or one pair per
            input coordinate.
        dtype: ``"float64"`` (default) or ``"float32"``, or a numpy / torch dtype.

    Returns:
        The bound (a float, rounded up), the largest over the outputs; ``inf`` when a
        parameter or an intermediate value may leave the range of the format.

    Raises:
        InvalidArgument: for a bad ``domain`` or ``dtype``.
    """
    fmt = float_format(dtype)
    lo, hi = _box(domain, network.input_dim)
    err = np.zeros_like(lo)
    exact_floats = not network.is_exact
    last = network.depth - 1
    bound = 0.0
    for i, (w, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        wp = _param(w, fmt, exact_floats=exact_floats)
        bp = _param(b, fmt, exact_floats=exact_floats)
        if wp is None or bp is None:
            return math.inf
        n = w.shape[1]
        # Enclosure of the exact pre-activation over the box.
        corners = [wp.low * lo[None, :], wp.low * hi[None, :]]
        corners += [wp.high * lo[None, :], wp.high * hi[None, :]]
        low_sums = _signed_row_sums(np.asarray(_down(np.minimum.reduce(corners))))[0]
        high_sums = _signed_row_sums(np.asarray(_up(np.maximum.reduce(corners))))[1]
        z_lo = np.asarray(_down(low_sums + bp.low))
        z_hi = np.asarray(_up(high_sums + bp.high))
        size = np.asarray(_up(np.maximum(np.abs(lo), np.abs(hi)) + err))  # bounds |h^|
        propagated = _matvec_up(wp.mag, err)
        parameters = _add(_matvec_up(wp.err, size), bp.err)
        magnitude = _add(_matvec_up(wp.mag, size), bp.mag)
        rounding = _add(_mul(_gamma(n + 1, fmt), magnitude), _mul(float(n + 1), fmt.tiny))
        e_z = np.asarray(_add(propagated, parameters, rounding))
        reach = _add(np.maximum(np.abs(z_lo), np.abs(z_hi)), e_z, _mul(magnitude, 2.0))
        if not (np.all(np.isfinite(e_z)) and np.all(reach < fmt.max)):
            return math.inf
        if i == last:
            bound = float(e_z.max())
            break
        dead = _up(z_hi + e_z) <= 0
        err = np.where(dead, 0.0, e_z)
        lo = np.where(dead, 0.0, np.maximum(z_lo, 0.0))
        hi = np.where(dead, 0.0, np.maximum(z_hi, 0.0))
    return bound


# ------------------------------------------------------------ shallow networks
def _interval(domain: Any) -> tuple[float, float]:
    lo, hi = _box(domain, 1)
    return float(lo[0]), float(hi[0])


def shallow_float_error(net: ShallowNetwork, domain: Any) -> float:
    """Upper bound of ``|net(x) - f(x)|`` over ``domain`` for ``ShallowNetwork.__call__``.

    On a cell ``[t_j, t_{j+1}]`` :func:`numpy.interp` computes
    ``fl(fl(S fl(x - t_j)) + V_j)`` with ``V_j = fl(f(t_j))`` and
    ``S = fl(fl(V_{j+1} - V_j) / fl(t_{j+1} - t_j))``; right of the last knot the
    network computes ``fl(V + fl(s^ fl(x - t_{n-1})))``. With ``E_j >= |V_j - f(t_j)|``
    the error on a cell is at most

    ``u (|V_j| + (1 + gamma_5) |dV_j|) + gamma_5 |dV_j| + max(E_j, E_{j+1})``

    (``dV_j = V_{j+1} - V_j``), independent of the number of knots.

    Returns:
        The bound, or ``inf`` when a knot is not a float64 number or a value or slope
        leaves the float64 range (then only ``net.exact`` is meaningful).
    """
    return _shallow_error(nodal_parameters(net), domain)


@_guarded
def _shallow_error(params: NodalParameters, domain: Any) -> float:
    a, b = _interval(domain)
    u = _U64
    tiny = FLOAT64.tiny
    knots, values, slope = params.knots64, params.values, params.slope
    if not (params.knots_exact and np.all(np.isfinite(values)) and math.isfinite(slope)):
        return math.inf
    value_err = np.spacing(np.abs(values))
    bound = float(value_err[0]) if a < knots[0] else 0.0
    if knots.size > 1:
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.all(np.isfinite(np.diff(values) / np.diff(knots))):
                return math.inf
        d_v = np.asarray(_up(np.abs(np.diff(values))))
        widths = np.asarray(_up(np.diff(knots)))
        g5 = _gamma(5, FLOAT64)
        product = _mul(d_v, _up(1.0 + g5))
        cells = _add(
            _mul(u, _add(np.abs(values[:-1]), product)),
            _mul(g5, d_v),
            np.maximum(value_err[:-1], value_err[1:]),
            _mul(4.0 * tiny, _up(1.0 + widths)),
        )
        relevant = (knots[1:] >= a) & (knots[:-1] <= b)
        if relevant.any():
            bound = _worst(bound, np.max(cells[relevant]))
    if b > knots[-1]:
        reach = float(_up(b - knots[-1]))
        slope_err = float(np.spacing(abs(slope)))
        g2 = _gamma(2, FLOAT64)
        slope_mag = _add(abs(slope), slope_err)
        product = _mul(slope_mag, _up(1.0 + g2), reach)
        tail = _add(
            _mul(u, _add(abs(float(values[-1])), product)),
            _mul(_add(_mul(slope_err, _up(1.0 + g2)), _mul(g2, slope_mag)), reach),
            float(value_err[-1]),
            2.0 * tiny,
        )
        bound = _worst(bound, tail)
    return float(bound)


def _ramp_errors(c_rel: FloatArray, fmt: FloatFormat) -> FloatArray:
    """Error bounds of the saturating ramps ``relu(1 - c^ relu(fl(x - T)))``.

    With ``w = c p`` exact and ``w^`` computed, ``|w^ - w| <= alpha w + beta`` where
    ``alpha = u + (1 + u)(rho_c (1 + u) + u)`` and ``beta = tiny`` (an underflowing
    product); the ramp errs only where ``min(w, w^) < 1``, i.e.
    ``w <= w* = (1 + beta) / (1 - alpha)``, and then by at most ``alpha w* + beta + u``.
    """
    u = fmt.u
    one_u = _up(1.0 + u)
    alpha = _add(u, _mul(one_u, _add(_mul(c_rel, one_u), u)))
    beta = fmt.tiny
    if not np.all(alpha < 0.5):
        return np.full_like(c_rel, np.inf)
    w_star = _up(_add(1.0, beta) / _down(1.0 - alpha))
    return np.asarray(_add(_mul(alpha, w_star), beta, u), dtype=np.float64)


def nodal_float_error(net: ShallowNetwork, domain: Any, dtype: object = "float64") -> float:
    """Upper bound of ``|module(x) - f(x)|`` over ``domain`` for the nodal torch export.

    ``module = net.to_torch(dtype=dtype)`` (:func:`reluapprox.nodal.nodal_torch`) uses
    the knots ``T_k`` rounded to the format and the inverse widths of those knots, so
    it evaluates the interpolant ``f_T`` of the values ``y_k`` at the nodes ``T_k``.
    Two terms:

    - ``|f_T - f| <= max_k |T_k - t_k| * (largest slope of f or f_T next to knot k)``
      (zero when the knots are floats of the format);
    - the rounding error of the module against ``f_T``: every hat is exactly ``0.0``
      in floats outside ``(T_{k-1}, T_{k+1})``, so at most two hats and the term
      ``s relu(x - T_{n-1})`` enter the output sum; each ramp and hat lies in
      ``[0, 1]`` and errs by a few ``u``. On a cell the bound is
      ``sum_k (E_{y_k} + |y_k| e_{phi_k}) + (tail term) + gamma_4 (sum_k |y_k| + ...)``.

    Neither grows with the number of neurons.

    Returns:
        The bound, or ``inf`` when two knots round to the same number of the format
        or a parameter leaves its range.
    """
    name = float_format(dtype).name
    return _nodal_error(nodal_parameters(net, name), domain)


def _knot_shift(params: NodalParameters) -> float:
    """Upper bound of ``sup |f_T - f|``: knot shifts times the neighbouring slopes."""
    first = np.zeros_like(params.knots64) if params.knots_exact else np.spacing(params.knots64)
    tau = np.asarray(_add(np.abs(params.knots - params.knots64), np.abs(first)))
    if not np.any(tau > 0):
        return 0.0
    exact_slopes = _param(params.slopes, FLOAT64, exact_floats=False)
    values = _param(params.values, FLOAT64, exact_floats=False)
    if exact_slopes is None or values is None:
        return math.inf
    rises = _add(_up(np.abs(np.diff(params.values))), values.err[1:], values.err[:-1])
    rounded_slopes = np.asarray(_up(rises / _down(np.diff(params.knots))))
    # Slopes left and right of knot k: s_{k-1} (0 for k = 0) and s_k (the tail for k = n-1).
    steep = np.concatenate([[0.0], exact_slopes.mag])
    steep = np.maximum(steep[:-1], steep[1:])
    model = np.concatenate([[0.0], rounded_slopes, [exact_slopes.mag[-1]]])
    steep = np.maximum(steep, np.maximum(model[:-1], model[1:]))
    return float(np.max(_mul(tau, steep)))


@_guarded
def _nodal_error(params: NodalParameters, domain: Any) -> float:
    fmt = float_format(params.dtype)
    a, b = _interval(domain)
    u = fmt.u
    knots = params.knots
    n = knots.size
    values = _param(params.values, fmt, exact_floats=False)
    slope = _param(np.array([params.slope]), fmt, exact_floats=False)
    if values is None or slope is None or not np.all(np.diff(knots) > 0):
        return math.inf
    # Inverse widths of the module's knots: |C64 - c| <= gamma_2 c, then rounded to fmt.
    inv = params.inv_widths
    inv_d = _param(inv, fmt, exact_floats=True)
    if inv_d is None:
        return math.inf
    g2 = _gamma(2, FLOAT64)
    c_mag = np.asarray(_up(inv / _down(1.0 - g2)))
    first = np.asarray(_mul(g2, c_mag))
    c_err = np.asarray(_add(inv_d.err, first))
    c_low = np.asarray(_down(_down(inv - first) - inv_d.err))
    if n > 1 and not np.all(c_low > 0):
        return math.inf
    c_rel = np.asarray(_up(c_err / c_low)) if n > 1 else np.zeros(0)
    ramps = _ramp_errors(c_rel, fmt)
    hat = np.full(n, 3.0 * u)
    hat[1:] = _add(hat[1:], ramps)  # r1_k of cell k - 1
    hat[:-1] = _add(hat[:-1], ramps)  # r2_k of cell k
    term_err = np.asarray(_add(values.err, _mul(values.mag, hat)))
    # Cell j = [T_j, T_{j+1}] (j = -1 .. n-1, T_{-1} = -inf, T_n = inf) holds hats j, j+1.
    pad_err = np.concatenate([[0.0], term_err, [0.0]])
    pad_mag = np.concatenate([[0.0], values.mag, [0.0]])
    cell_err = np.asarray(_add(pad_err[:-1], pad_err[1:]))
    cell_mag = np.asarray(_add(pad_mag[:-1], pad_mag[1:]))
    # The tail s relu(x - T_{n-1}) on the last cell.
    reach = float(_up(max(0.0, float(_up(b - knots[-1])))))
    tail_err = float(_add(_mul(slope.err[0], _up(1.0 + u), reach), _mul(slope.mag[0], u, reach)))
    tail_mag = float(_mul(slope.mag[0], _up(1.0 + u), reach))
    cell_err[-1] = _add(cell_err[-1], tail_err)
    cell_mag[-1] = _add(cell_mag[-1], tail_mag)
    m = 4  # two hats, the tail and (in float) one more addition
    bounds = _add(cell_err, _mul(_gamma(m, fmt), cell_mag), _mul(float(m), fmt.tiny))
    left = np.concatenate([[-np.inf], knots])
    right = np.concatenate([knots, [np.inf]])
    relevant = (right >= a) & (left <= b)
    rounding = float(np.max(np.asarray(bounds)[relevant]))
    return float(_add(rounding, _knot_shift(params)))


def shallow_float_errors(net: ShallowNetwork, domain: Any) -> dict[str, float]:
    """The three bounds a result reports: ``net(x)`` in float64 and the default torch
    export in float64 and float32.

    Returns:
        ``{"call": ..., "torch_float64": ..., "torch_float32": ...}``.
    """
    params = nodal_parameters(net)
    return {
        "call": _shallow_error(params, domain),
        "torch_float64": _nodal_error(params, domain),
        "torch_float32": _nodal_error(params.rounded("float32"), domain),
    }
