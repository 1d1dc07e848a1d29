"""One-dimensional shallow ReLU networks ``f(x) = b + sum_k w_k relu(x - t_k)``.

The knots ``t_0 < t_1 < ... < t_{n-1}`` are stored sorted and the parameters are
exact Fractions, so :meth:`ShallowNetwork.exact` computes the value of ``f`` at a
rational point with no rounding at all. Float evaluation does not form the
``n x M`` matrix ``relu(x_j - t_k)``: ``f`` is continuous and piecewise linear with
breakpoints at the knots, so its float value is linear interpolation between its
(exact, then rounded) values at the knots, i.e. one call of :func:`numpy.interp`
plus the last slope continued to the right.

Examples:
    >>> from fractions import Fraction
    >>> net = ShallowNetwork(knots=[0, 1], weights=[2, -2], bias=1)  # a hat on [0, 1]
    >>> net.exact(Fraction(1, 2)), net.exact(3)
    (Fraction(2, 1), Fraction(3, 1))
    >>> net([-1.0, 0.5, 4.0]).tolist()
    [1.0, 2.0, 3.0]

References:
    APM 598 Homework 2, Ex 2b (interpolation with neurons ``relu(x - x_i)``).
"""

from __future__ import annotations

import bisect
import math
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_choice, check_rational, fail
from reluapprox.network import ReluNetwork

if TYPE_CHECKING:
    import torch

__all__ = ["ShallowNetwork", "as_rational_vector", "float_or_inf"]

FloatArray = npt.NDArray[np.float64]

_FLOAT_MAX = Fraction(sys.float_info.max)


def float_or_inf(q: Fraction) -> float:
    """``float(q)`` rounded to nearest, or ``±inf`` when ``|q|`` exceeds the float range.

    Examples:
        >>> float_or_inf(Fraction(1, 3)) == 1 / 3, float_or_inf(Fraction(-(2**1100)))
        (True, -inf)
    """
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def as_rational_vector(name: str, values: object) -> tuple[Fraction, ...]:
    """Convert a 1-D sequence or array of finite real numbers to Fractions, exactly.

    Raises:
        InvalidArgument: for strings, scalars, arrays that are not 1-D, booleans,
            non-numeric entries, NaN or infinity; the message names the entry.
    """
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            fail(
                name,
                values,
                f"a 1-D sequence of real numbers, not an array of shape {values.shape}",
            )
        if values.dtype.kind == "b":
            fail(name, values, "real numbers, not booleans")
        if values.dtype.kind in "iu":
            return tuple(Fraction(int(v)) for v in values.tolist())
        if values.dtype.kind == "f":
            floats = values.astype(np.float64)
            if not np.all(np.isfinite(floats)):
                bad = int(np.flatnonzero(~np.isfinite(floats))[0])
                fail(f"{name}[{bad}]", values[bad], "a finite real number (not NaN or infinity)")
            return tuple(Fraction(v) for v in floats.tolist())
        if values.dtype.kind != "O":
            fail(name, values, "a 1-D array of real numbers")
        items: Sequence[object] = values.tolist()
    elif isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail(name, values, "a 1-D sequence (list, tuple or numpy array) of real numbers")
    else:
        items = values
    out = []
    for i, value in enumerate(items):
        if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
            fail(name, values, "a 1-D sequence of real numbers, got a nested sequence")
        out.append(check_rational(f"{name}[{i}]", value))
    return tuple(out)


class ShallowNetwork:
    """``f(x) = bias + sum_k weights[k] * relu(x - knots[k])`` with exact parameters.

    Args:
        knots: strictly increasing breakpoints ``t_k`` (at least one).
        weights: the output weights ``w_k``, one per knot.
        bias: the output bias ``b`` (the value of ``f`` left of the first knot).

    Floats are accepted and converted exactly with ``Fraction(float)``.

    Raises:
        InvalidArgument: for no knots, unequal lengths, unsorted or repeated knots,
            NaN/inf or non-numeric entries.
    """

    __slots__ = (
        "_bias",
        "_float_knots",
        "_float_last_slope",
        "_float_slopes",
        "_float_values",
        "_knots",
        "_pending",
        "_slopes",
        "_values",
        "_weights",
    )

    def __init__(
        self,
        knots: Sequence[int | Fraction | float] | npt.NDArray[np.generic],
        weights: Sequence[int | Fraction | float] | npt.NDArray[np.generic],
        bias: int | Fraction | float = 0,
    ) -> None:
        t = as_rational_vector("knots", knots)
        w = as_rational_vector("weights", weights)
        if len(t) == 0:
            fail("knots", knots, "at least one knot")
        if len(w) != len(t):
            fail("weights", weights, f"one weight per knot ({len(t)} values), got {len(w)}")
        for k in range(1, len(t)):
            if not t[k - 1] < t[k]:
                fail("knots", knots, f"strictly increasing knots; knots[{k - 1}] >= knots[{k}]")
        self._pending: Callable[[], tuple[tuple[Fraction, ...], tuple[Fraction, ...]]] | None
        self._pending = None
        self._float_slopes: Callable[[], FloatArray] | None = None
        self._knots = t
        self._weights = w
        self._bias = check_rational("bias", bias)
        # Exact slope on [t_k, t_{k+1}) and exact value at t_k, by prefix sums.
        slopes: list[Fraction] = []
        values: list[Fraction] = []
        slope = Fraction(0)
        value = self._bias
        for k, (tk, wk) in enumerate(zip(t, w, strict=True)):
            if k > 0:
                value += slope * (tk - t[k - 1])
            slope += wk
            values.append(value)
            slopes.append(slope)
        self._slopes = tuple(slopes)
        self._values = tuple(values)
        if any(abs(v) > _FLOAT_MAX for v in t):
            k = next(i for i, v in enumerate(t) if abs(v) > _FLOAT_MAX)
            fail(f"knots[{k}]", t[k], "a knot within the float64 range (|t| < 1.8e308)")
        self._float_knots = np.array([float(v) for v in t], dtype=np.float64)
        self._float_values = np.array([float_or_inf(v) for v in values], dtype=np.float64)
        self._float_last_slope = float_or_inf(slopes[-1])

    @classmethod
    def _trusted(
        cls,
        values: tuple[Fraction, ...],
        float_knots: FloatArray,
        last_slope: float,
        parameters: Callable[[], tuple[tuple[Fraction, ...], tuple[Fraction, ...]]],
        float_values: FloatArray | None = None,
        float_slopes: Callable[[], FloatArray] | None = None,
    ) -> ShallowNetwork:
        """The network with these knot values, its exact knots and slopes computed later.

        For callers that computed the data exactly themselves (``interpolate`` on a
        certified mesh): no validation, no prefix sums, and the exact knots, slopes
        and weights (Fraction arithmetic that no certificate needs) are computed on
        first access by ``parameters() -> (knots, slopes)``. ``values[k] == f(t_k)``
        for the strictly increasing knots ``t_k`` (``float_knots`` as floats,
        exactly); ``last_slope`` is the float slope after the last knot;
        ``float_values`` the values rounded to nearest floats, if known;
        ``float_slopes()`` every slope rounded to nearest (``±inf`` beyond the float
        range), if it can be computed without the exact slopes.
        """
        net = cls.__new__(cls)
        net._pending = parameters
        net._float_slopes = float_slopes
        net._values = values
        net._bias = values[0]
        net._float_knots = float_knots
        if float_values is None:
            float_values = np.array([float_or_inf(v) for v in values], dtype=np.float64)
        net._float_values = float_values
        net._float_last_slope = last_slope
        return net

    def _materialize(self) -> None:
        """Compute the exact knots, slopes and weights of a ``_trusted`` network."""
        if self._pending is not None:
            knots, slopes = self._pending()
            self._knots = knots
            self._slopes = slopes
            self._weights = (
                slopes[0],
                *(slopes[k] - slopes[k - 1] for k in range(1, len(slopes))),
            )
            self._pending = None
            self._float_slopes = None

    def rounded_parameters(self) -> tuple[FloatArray, bool, FloatArray, FloatArray]:
        """The knots, knot values and slopes rounded to nearest float64 (``±inf`` beyond).

        Returns ``(knots, knots_exact, values, slopes)``; ``knots_exact`` says whether
        every knot is a float64 number. A network interpolating a mesh of floats
        (:func:`~reluapprox.interpolation.interpolate_floats`) answers without
        computing its exact knots and slopes.

        Examples:
            >>> net = ShallowNetwork(knots=[0, 1], weights=[Fraction(1, 3), 1], bias=1)
            >>> knots, exact, values, slopes = net.rounded_parameters()
            >>> knots.tolist(), exact, values.tolist(), slopes.tolist() == [1 / 3, 4 / 3]
            ([0.0, 1.0], True, [1.0, 1.3333333333333333], True)
        """
        if self._float_slopes is not None:
            return self._float_knots, True, self._float_values, self._float_slopes()
        knots = np.array([float_or_inf(t) for t in self.knots], dtype=np.float64)
        exact = bool(np.all(np.isfinite(knots))) and all(
            k.as_integer_ratio() == (t.numerator, t.denominator)
            for k, t in zip(knots.tolist(), self.knots, strict=True)
        )
        slopes = np.array([float_or_inf(v) for v in self.slopes], dtype=np.float64)
        return knots, exact, self._float_values, slopes

    def __getstate__(self) -> tuple[None, dict[str, object]]:
        """The slots, with the exact parameters computed (for pickle and copy)."""
        self._materialize()
        return None, {name: getattr(self, name) for name in self.__slots__}

    # ------------------------------------------------------------------ structure
    @property
    def knots(self) -> tuple[Fraction, ...]:
        """The sorted knots ``t_k`` (exact)."""
        self._materialize()
        return self._knots

    @property
    def weights(self) -> tuple[Fraction, ...]:
        """The output weights ``w_k`` (exact)."""
        self._materialize()
        return self._weights

    @property
    def bias(self) -> Fraction:
        """The output bias ``b`` (exact)."""
        return self._bias

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons (= number of knots)."""
        return len(self._float_knots)

    @property
    def n_parameters(self) -> int:
        """Parameters of the equivalent 1-n-1 network: ``3 n + 1``."""
        return 3 * self.n_neurons + 1

    @property
    def slopes(self) -> tuple[Fraction, ...]:
        """``slopes[k]`` is the exact slope of ``f`` on ``[t_k, t_{k+1})``."""
        self._materialize()
        return self._slopes

    @property
    def knot_values(self) -> tuple[Fraction, ...]:
        """``knot_values[k] == f(t_k)``, exactly."""
        return self._values

    # ----------------------------------------------------------------- evaluation
    def exact(self, q: int | Fraction | float) -> Fraction:
        """The exact value ``f(q)`` for a rational (or float, converted exactly) ``q``."""
        x = check_rational("q", q)
        self._materialize()
        k = bisect.bisect_right(self._knots, x) - 1
        if k < 0:
            return self._bias
        return self._values[k] + self._slopes[k] * (x - self._knots[k])

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        """Evaluate in float64 on an array of any shape (cost of one ``numpy.interp``).

        The value at each knot is the exact value rounded once; between knots the
        interpolation of :func:`numpy.interp` adds a few rounding errors, and right of
        the last knot ``y_{n-1} + s (x - t_{n-1})`` is evaluated per point, so the
        result agrees with :meth:`exact` to a few ulps of the knot values and their
        differences (a rigorous bound is
        :func:`reluapprox.floaterror.shallow_float_error`).
        This needs the slopes and knot values inside the float64 range; beyond it
        they round to ``±inf`` and only :meth:`exact` is meaningful.
        """
        try:
            points = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            fail("x", x, "a real number or an array of real numbers")
        xp = self._float_knots
        fp = self._float_values
        out = np.asarray(np.interp(points, xp, fp), dtype=np.float64)
        if points.size:
            right = float(np.nanmax(points)) if np.isnan(points).any() else float(points.max())
            if right > xp[-1]:
                # Continue the last linear piece: y_{n-1} + s (x - t_{n-1}), per point.
                beyond = points > xp[-1]
                out[beyond] = fp[-1] + self._float_last_slope * (points[beyond] - xp[-1])
        return out

    # ----------------------------------------------------------------- conversion
    def to_network(self) -> ReluNetwork:
        """The same function as an exact 1-n-1 :class:`~reluapprox.network.ReluNetwork`."""
        n = self.n_neurons
        return ReluNetwork(
            [[[Fraction(1)] for _ in range(n)], [list(self.weights)]],
            [[-t for t in self.knots], [self._bias]],
            exact=True,
        )

    def to_torch(self, *, dtype: torch.dtype | None = None, form: str = "nodal") -> torch.nn.Module:
        """A torch module computing ``f`` on inputs of shape ``(batch, 1)``, float64 by default.

        Args:
            dtype: the torch dtype of the parameters (default ``torch.float64``).
            form: ``"nodal"`` (default): the hat-function form of
                :func:`reluapprox.nodal.nodal_torch`, whose float error does not grow
                with the number of neurons; ``"sum"``: the ``torch.nn.Sequential``
                (Linear, ReLU, Linear) of ``b + sum_k w_k relu(x - t_k)``, whose
                terms cancel (its error grows with the weights and the neurons).

        Raises:
            InvalidArgument: for another ``form``.
        """
        form = check_choice("form", form, ("nodal", "sum"))
        if form == "sum":
            return self.to_network().to_torch(dtype=dtype)
        from reluapprox.nodal import nodal_torch

        return nodal_torch(self, dtype=dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ShallowNetwork):
            return NotImplemented
        return (self.knots, self.weights, self._bias) == (
            other.knots,
            other.weights,
            other._bias,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        lo, hi = float(self._float_knots[0]), float(self._float_knots[-1])
        return f"ShallowNetwork(n_neurons={self.n_neurons}, knots in [{lo:g}, {hi:g}])"
