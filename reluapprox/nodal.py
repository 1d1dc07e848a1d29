"""The nodal (hat-function) form of a shallow ReLU network: a well-conditioned export.

A shallow network ``f(x) = b + sum_k w_k relu(x - t_k)`` with knots
``t_0 < ... < t_{n-1}`` is, exactly, ``f = sum_k y_k phi_k + s relu(x - t_{n-1})``
with ``y_k = f(t_k)``, ``s`` the slope right of the last knot and ``phi_k`` the hat
functions of the knots (``phi_0 = 1`` left of ``t_0``, ``phi_{n-1} = 1`` right of
``t_{n-1}``). Each hat is built from *ramps that saturate*: with
``h_k = t_{k+1} - t_k``,

``r1_k = relu(1 - relu(x - t_{k-1}) / h_{k-1})``, ``r2_k = relu(1 - relu(t_{k+1} - x) / h_k)``,
``phi_k = relu(1 - r1_k - r2_k)``,

a ReLU network with three hidden layers. In floating point, ``phi_k`` is exactly
``0.0`` outside ``(t_{k-1}, t_{k+1})`` (to the right ``r2_k`` is exactly ``1``, to
the left ``r1_k`` is), so at most two hats enter the output sum, and every
intermediate value lies in ``[0, 1]``: the rounding error does not grow with the
number of neurons or with the ratio of neighbouring cell widths (the analysis is in
:mod:`reluapprox.floaterror` and on the docs page "Float error"). The sum form
``b + sum_k w_k relu(x - t_k)`` instead adds ``n`` terms of size up to
``|w_k| (x - t_k)`` that cancel.

:func:`nodal_network` builds the exact network (dense Fraction matrices, for
checks on small networks); :func:`nodal_torch` builds the torch module that
:meth:`~reluapprox.shallow.ShallowNetwork.to_torch` returns by default, which stores
the hats' parameters as vectors (a dense layer would need ``n^2`` weights), with the
knots rounded to its dtype and the inverse widths of the rounded knots.

Examples:
    >>> from fractions import Fraction
    >>> net = ShallowNetwork(knots=[0, 1, 3], weights=[2, -3, 4], bias=1)
    >>> exact = nodal_network(net)
    >>> exact.widths
    (1, 5, 5, 4, 1)
    >>> all(exact.exact([q]) == (net.exact(q),) for q in (-1, 0, Fraction(1, 2), 2, 3, 5))
    True

References:
    C. de Boor, *A Practical Guide to Splines*, rev. ed., Springer 2001, ch. II
    (the hat-function basis). N. J. Higham, *Accuracy and Stability of Numerical
    Algorithms*, 2nd ed., SIAM 2002, ch. 2-3 (rounding-error analysis).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_positive_int
from reluapprox.errors import BudgetExceeded
from reluapprox.network import ReluNetwork
from reluapprox.shallow import ShallowNetwork

if TYPE_CHECKING:
    import torch

__all__ = ["NodalParameters", "nodal_network", "nodal_parameters", "nodal_torch"]

FloatArray = npt.NDArray[np.float64]

#: Default largest number of neurons for :func:`nodal_network` (dense exact matrices).
NODAL_DENSE_MAX = 256


@dataclass(frozen=True)
class NodalParameters:
    """The parameters of the nodal torch module in one float format (as float64 numbers).

    The module uses the knots rounded to its format, ``T_k``, and the inverse widths
    of *those* knots, so that its hats still sum to 1: it evaluates the interpolant
    of the values ``y_k`` at the nodes ``T_k`` (the exact network when the knots are
    floats of the format), which differs from ``f`` by at most the slopes times the
    knot shifts ``|T_k - t_k|``.

    Attributes:
        dtype: ``"float64"`` or ``"float32"``.
        knots: the knots ``T_k`` rounded (to nearest, via float64) to ``dtype``.
        inv_widths: ``fl(1 / fl(T_{k+1} - T_k))`` in float64 for the ``n - 1`` cells
            (the largest finite number of ``dtype`` where two knots coincide).
        values: ``y_k = f(t_k)`` rounded to float64.
        slope: the slope right of the last knot, rounded to float64.
        slopes: every slope of ``f`` (on ``[t_k, t_{k+1})``), rounded to float64.
        knots64: the knots rounded once to float64.
        knots_exact: whether every knot is a float64 number (``knots64`` is exact).
    """

    dtype: str
    knots: FloatArray
    inv_widths: FloatArray
    values: FloatArray
    slope: float
    slopes: FloatArray
    knots64: FloatArray
    knots_exact: bool

    def rounded(self, dtype: str) -> NodalParameters:
        """The same parameters for the module in ``dtype`` (``"float64"`` or ``"float32"``)."""
        kind = np.float32 if dtype == "float32" else np.float64
        with np.errstate(over="ignore"):
            knots = self.knots64.astype(kind).astype(np.float64)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            inv = 1.0 / np.diff(knots)
        inv[~np.isfinite(inv)] = float(np.finfo(kind).max)
        return NodalParameters(
            dtype,
            knots,
            inv,
            self.values,
            self.slope,
            self.slopes,
            self.knots64,
            self.knots_exact,
        )


def nodal_parameters(net: ShallowNetwork, dtype: str = "float64") -> NodalParameters:
    """The parameters of the nodal module of ``net`` in ``dtype`` (see :class:`NodalParameters`)."""
    knots, exact, values, slopes = net.rounded_parameters()
    base = NodalParameters(
        "float64", knots, np.zeros(0), values, float(slopes[-1]), slopes, knots, exact
    )
    return base.rounded(dtype)


def nodal_network(net: ShallowNetwork, *, max_neurons: int = NODAL_DENSE_MAX) -> ReluNetwork:
    """The nodal form of ``net`` as an exact :class:`~reluapprox.network.ReluNetwork`.

    Widths ``(1, 2n - 1, 2n - 1, n + 1, 1)``: the neurons ``relu(x - t_i)`` and
    ``relu(t_i - x)``; the saturating ramps ``r1_k``, ``r2_k`` and a copy of
    ``relu(x - t_{n-1})``; the hats ``phi_k`` and that copy again; the output
    ``sum_k y_k phi_k + s relu(x - t_{n-1})``. All parameters are exact Fractions and
    the network computes exactly the function of ``net``.

    Args:
        net: the shallow network.
        max_neurons: the largest ``n`` accepted; the matrices are dense, with about
            ``6 n^2`` entries (the torch export of :func:`nodal_torch` is not).

    Raises:
        BudgetExceeded: when ``net`` has more than ``max_neurons`` neurons.
    """
    max_neurons = check_positive_int("max_neurons", max_neurons)
    n = net.n_neurons
    if n > max_neurons:
        raise BudgetExceeded(
            f"max_neurons={max_neurons} was hit: the dense nodal network of {n} neurons has "
            f"about {6 * n * n} weights; use nodal_torch() or raise max_neurons"
        )
    t = net.knots
    zero, one = Fraction(0), Fraction(1)
    inv = [one / (t[k + 1] - t[k]) for k in range(n - 1)]
    # Layer 1: p_i = relu(x - t_i) (i < n), q_i = relu(t_i - x) (1 <= i < n, row n - 1 + i).
    w1 = [[one] for _ in range(n)] + [[-one] for _ in range(n - 1)]
    b1 = [-ti for ti in t] + [t[i] for i in range(1, n)]
    # Layer 2: r1_k (k = 1..n-1, row k - 1), r2_k (k = 0..n-2, row n - 1 + k), copy of p_{n-1}.
    width1 = 2 * n - 1
    w2 = [[zero] * width1 for _ in range(2 * n - 1)]
    b2 = [one] * (2 * (n - 1)) + [zero]
    for k in range(1, n):
        w2[k - 1][k - 1] = -inv[k - 1]
    for k in range(n - 1):
        w2[n - 1 + k][n + k] = -inv[k]
    w2[2 * n - 2][n - 1] = one
    # Layer 3: phi_k = relu(1 - r1_k - r2_k) (k = 0..n-1), copy of the copy.
    w3 = [[zero] * (2 * n - 1) for _ in range(n + 1)]
    b3 = [one] * n + [zero]
    for k in range(n):
        if k >= 1:
            w3[k][k - 1] = -one
        if k <= n - 2:
            w3[k][n - 1 + k] = -one
    w3[n][2 * n - 2] = one
    w4 = [[*net.knot_values, net.slopes[-1]]]
    return ReluNetwork([w1, w2, w3, w4], [b1, b2, b3, [zero]], exact=True)


@functools.cache
def _module_class() -> type[Any]:
    import torch

    class NodalModule(torch.nn.Module):
        """The nodal form of a shallow network as a torch module (input shape ``(..., 1)``).

        Buffers: ``knots`` (n), ``inv_widths`` (n - 1), ``values`` (n), ``slope`` (1).
        ``forward`` evaluates, in this order (each operation one rounding):
        ``p = relu(x - knots)``, ``q = relu(knots[1:] - x)``,
        ``r1 = relu(1 - inv_widths * p[..., :-1])``, ``r2 = relu(1 - inv_widths * q)``,
        ``phi = relu([1, 1 - r1] - [r2, 0])``,
        ``(phi * values).sum(-1) + slope * p[..., -1]``.
        """

        knots: torch.Tensor
        inv_widths: torch.Tensor
        values: torch.Tensor
        slope: torch.Tensor

        def __init__(self, params: NodalParameters, dtype: torch.dtype) -> None:
            super().__init__()
            self.register_buffer("knots", torch.tensor(params.knots, dtype=dtype))
            self.register_buffer("inv_widths", torch.tensor(params.inv_widths, dtype=dtype))
            self.register_buffer("values", torch.tensor(params.values, dtype=dtype))
            self.register_buffer("slope", torch.tensor([params.slope], dtype=dtype))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            p = torch.relu(x - self.knots)
            q = torch.relu(self.knots[1:] - x)
            r1 = torch.relu(1 - self.inv_widths * p[..., :-1])
            r2 = torch.relu(1 - self.inv_widths * q)
            ones = torch.ones_like(x)
            left = torch.cat([ones, 1 - r1], dim=-1)
            right = torch.cat([r2, torch.zeros_like(x)], dim=-1)
            phi = torch.relu(left - right)
            total = (phi * self.values).sum(dim=-1, keepdim=True)
            return total + self.slope * p[..., -1:]

        def extra_repr(self) -> str:
            return f"n_neurons={self.knots.numel()}, dtype={self.knots.dtype}"

    NodalModule.__module__ = __name__
    NodalModule.__qualname__ = "NodalModule"
    return NodalModule


def __getattr__(name: str) -> Any:
    """``reluapprox.nodal.NodalModule``: the torch module class, created on first use."""
    if name == "NodalModule":
        return _module_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def nodal_torch(net: ShallowNetwork, *, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The nodal form of ``net`` as a torch module (default ``torch.float64``).

    The module takes inputs of shape ``(batch, 1)`` like ``torch.nn.Linear(1, ...)``
    and returns shape ``(batch, 1)``. Its float error is bounded by
    :func:`reluapprox.floaterror.nodal_float_error`, independently of the number of
    neurons.

    Raises:
        ImportError: when torch is not installed.

    Examples:
        >>> import torch
        >>> net = ShallowNetwork(knots=[0, 1], weights=[2, -2], bias=1)
        >>> module = nodal_torch(net)
        >>> module(torch.tensor([[-1.0], [0.5], [4.0]], dtype=torch.float64)).ravel().tolist()
        [1.0, 2.0, 3.0]
    """
    import torch

    dtype = torch.float64 if dtype is None else dtype
    name = "float32" if dtype == torch.float32 else "float64"
    module: torch.nn.Module = _module_class()(nodal_parameters(net, name), dtype)
    return module
