"""General feed-forward ReLU networks ``R^n -> R^m`` with exact or float64 weights.

A network of depth ``L`` is a composition of ``L`` affine maps with ReLU between
them and an affine output:

``N(x) = A_L(relu(A_{L-1}(... relu(A_1 x + b_1) ...) + b_{L-1})) + b_L``.

Weights are either all exact (:class:`fractions.Fraction`, stored in numpy object
arrays) or all float64. Float evaluation is vectorised over a batch; exact
evaluation uses rational arithmetic only, so comparisons with ``==`` are proofs.

Examples:
    >>> from fractions import Fraction
    >>> net = ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])  # |x| = relu(x) + relu(-x)
    >>> net.widths
    (1, 2, 1)
    >>> net.exact([Fraction(-3, 4)])
    (Fraction(3, 4),)
    >>> float(net([[-2.0]])[0, 0])
    2.0

References:
    P. Petersen and J. Zech, *Mathematical theory of deep learning*, 2024, Sec. 2.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_rational, fail

if TYPE_CHECKING:
    import torch

__all__ = ["ReluNetwork", "relu"]

FloatArray = npt.NDArray[np.float64]


def relu(x: npt.ArrayLike) -> FloatArray:
    """The rectified linear unit ``max(x, 0)``, elementwise, in float64."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def _exact_matrix(name: str, rows: Any) -> npt.NDArray[np.object_]:
    array = np.asarray(rows, dtype=object)
    out = np.empty(array.shape, dtype=object)
    for index, value in np.ndenumerate(array):
        out[index] = check_rational(f"{name}{list(index)}", value)
    out.flags.writeable = False
    return out


def _float_matrix(name: str, rows: Any) -> FloatArray:
    try:
        array = np.array(rows, dtype=np.float64)
    except OverflowError:
        fail(name, rows, "real numbers within the float64 range (|x| < 1.8e308)")
    except (TypeError, ValueError):
        fail(name, rows, "a numeric array (nested lists of real numbers)")
    if not np.all(np.isfinite(array)):
        fail(name, rows, "finite entries (no NaN or infinity)")
    array.flags.writeable = False
    return array


def _all_rational(items: Iterable[Any]) -> bool:
    for layer in items:
        for value in np.asarray(layer, dtype=object).ravel():
            if isinstance(value, bool) or not isinstance(value, numbers.Rational):
                return False
    return True


class ReluNetwork:
    """A feed-forward ReLU network with exact (Fraction) or float64 parameters.

    Args:
        weights: ``L`` matrices; ``weights[i]`` has shape ``(d_{i+1}, d_i)``.
        biases: ``L`` vectors; ``biases[i]`` has length ``d_{i+1}``.
        exact: ``True`` stores Fractions (floats converted exactly with
            ``Fraction(float)``), ``False`` stores float64; ``None`` (default) is
            exact when every entry is an ``int`` or ``Fraction``.

    Raises:
        InvalidArgument: on empty layer lists, shape mismatches, NaN/inf or
            non-numeric entries.
    """

    __slots__ = ("_biases", "_exact", "_weights")

    def __init__(
        self,
        weights: Sequence[Any],
        biases: Sequence[Any],
        *,
        exact: bool | None = None,
    ) -> None:
        if (
            isinstance(weights, (str, bytes))
            or not isinstance(weights, Sequence | np.ndarray)
            or len(weights) == 0
        ):
            fail("weights", weights, "a non-empty sequence of 2-D matrices")
        if (
            isinstance(biases, (str, bytes))
            or not isinstance(biases, Sequence | np.ndarray)
            or len(biases) != len(weights)
        ):
            fail("biases", biases, f"a sequence of {len(weights)} vectors, one per layer")
        if exact is None:
            exact = _all_rational(weights) and _all_rational(biases)
        elif not isinstance(exact, bool):
            fail("exact", exact, "True, False or None")
        self._exact = bool(exact)
        convert = _exact_matrix if self._exact else _float_matrix
        ws = tuple(convert(f"weights[{i}]", w) for i, w in enumerate(weights))
        bs = tuple(convert(f"biases[{i}]", b) for i, b in enumerate(biases))
        previous_out: int | None = None
        for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
            if w.ndim != 2 or w.shape[0] == 0 or w.shape[1] == 0:
                fail(f"weights[{i}]", weights[i], "a non-empty 2-D matrix of shape (out, in)")
            if b.ndim != 1 or b.shape[0] != w.shape[0]:
                fail(f"biases[{i}]", biases[i], f"a vector of length {w.shape[0]}")
            if previous_out is not None and w.shape[1] != previous_out:
                fail(
                    f"weights[{i}]",
                    weights[i],
                    f"{previous_out} columns (the width of layer {i}), got {w.shape[1]}",
                )
            previous_out = w.shape[0]
        self._weights = ws
        self._biases = bs

    # ------------------------------------------------------------------ structure
    @property
    def is_exact(self) -> bool:
        """Whether the parameters are Fractions (exact) rather than float64."""
        return self._exact

    @property
    def weights(self) -> tuple[npt.NDArray[Any], ...]:
        """The weight matrices (read-only arrays; dtype object when exact)."""
        return self._weights

    @property
    def biases(self) -> tuple[npt.NDArray[Any], ...]:
        """The bias vectors (read-only arrays; dtype object when exact)."""
        return self._biases

    @property
    def widths(self) -> tuple[int, ...]:
        """``(input_dim, d_1, ..., d_{L-1}, output_dim)``."""
        return (int(self._weights[0].shape[1]), *(int(w.shape[0]) for w in self._weights))

    @property
    def input_dim(self) -> int:
        """The input dimension ``n``."""
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        """The output dimension ``m``."""
        return self.widths[-1]

    @property
    def depth(self) -> int:
        """The number of affine layers ``L`` (hidden layers + 1)."""
        return len(self._weights)

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases, ``sum_i (d_{i-1} + 1) d_i``."""
        return sum(
            int(w.size) + int(b.size) for w, b in zip(self._weights, self._biases, strict=True)
        )

    # ----------------------------------------------------------------- evaluation
    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        """Evaluate in float64 on a batch.

        Args:
            x: shape ``(n,)`` for one input or ``(batch, n)`` for a batch.

        Returns:
            shape ``(m,)`` or ``(batch, m)`` accordingly.
        """
        try:
            h = np.asarray(x, dtype=np.float64)
        except OverflowError:
            fail("x", x, "real numbers within the float64 range (|x| < 1.8e308)")
        except (TypeError, ValueError):
            fail("x", x, f"a real array of shape ({self.input_dim},) or (batch, {self.input_dim})")
        if h.ndim not in (1, 2) or h.shape[-1] != self.input_dim:
            fail("x", x, f"a real array of shape ({self.input_dim},) or (batch, {self.input_dim})")
        single = h.ndim == 1
        h = np.atleast_2d(h)
        last = self.depth - 1
        for i, (w, b) in enumerate(zip(self._float_weights(), self._float_biases(), strict=True)):
            h = h @ w.T + b
            if i < last:
                np.maximum(h, 0.0, out=h)
        return h[0] if single else h

    def exact(self, x: Sequence[int | Fraction | float]) -> tuple[Fraction, ...]:
        """Evaluate exactly in rational arithmetic at one input point.

        Float parameters and inputs are converted exactly with ``Fraction(float)``,
        so the result is the exact value of the function the network represents.
        """
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence | np.ndarray):
            fail("x", x, f"a sequence of {self.input_dim} rational numbers")
        if len(x) != self.input_dim:
            fail("x", x, f"a sequence of {self.input_dim} rational numbers")
        h = [check_rational(f"x[{i}]", v) for i, v in enumerate(x)]
        last = self.depth - 1
        for i, (w, b) in enumerate(zip(self._weights, self._biases, strict=True)):
            rows = w.tolist()
            bias = b.tolist()
            h = [
                sum((Fraction(wij) * hj for wij, hj in zip(row, h, strict=True)), Fraction(bi))
                for row, bi in zip(rows, bias, strict=True)
            ]
            if i < last:
                h = [v if v > 0 else Fraction(0) for v in h]
        return tuple(h)

    def _float_weights(self) -> tuple[FloatArray, ...]:
        return tuple(np.asarray(w, dtype=np.float64) for w in self._weights)

    def _float_biases(self) -> tuple[FloatArray, ...]:
        return tuple(np.asarray(b, dtype=np.float64) for b in self._biases)

    # ----------------------------------------------------------------- conversion
    def to_exact(self) -> ReluNetwork:
        """The same function with Fraction parameters (exact conversion of floats)."""
        return ReluNetwork(self._weights, self._biases, exact=True)

    def to_float(self) -> ReluNetwork:
        """The network with parameters rounded to float64."""
        return ReluNetwork(self._float_weights(), self._float_biases(), exact=False)

    def to_torch(self, *, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
        """A ``torch.nn.Sequential`` of ``Linear`` and ``ReLU`` computing this network.

        Args:
            dtype: torch dtype of the parameters; default ``torch.float64``, for which
                ``ReluNetwork.from_torch(net.to_torch())`` reproduces float
                parameters bit for bit.

        Raises:
            ImportError: when torch is not installed (``pip install reluapprox[torch]``).
        """
        import torch

        dtype = torch.float64 if dtype is None else dtype
        modules: list[torch.nn.Module] = []
        last = self.depth - 1
        for i, (w, b) in enumerate(zip(self._float_weights(), self._float_biases(), strict=True)):
            linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(w, dtype=dtype))
                linear.bias.copy_(torch.tensor(b, dtype=dtype))
            modules.append(linear)
            if i < last:
                modules.append(torch.nn.ReLU())
        return torch.nn.Sequential(*modules)

    @classmethod
    def from_torch(cls, module: torch.nn.Module) -> ReluNetwork:
        """Read a ``Sequential`` of ``Linear`` layers separated by single ``ReLU``s.

        Raises:
            InvalidArgument: for any other layout (two Linears in a row, a trailing
                ReLU, other layer types, a Linear without bias).
        """
        import torch

        layers = list(module.children()) if isinstance(module, torch.nn.Sequential) else [module]
        expected = "a torch.nn.Sequential alternating Linear (with bias) and ReLU, ending in Linear"
        if not layers or len(layers) % 2 == 0:
            fail("module", module, expected)
        weights: list[FloatArray] = []
        biases: list[FloatArray] = []
        for position, layer in enumerate(layers):
            if position % 2 == 1:
                if not isinstance(layer, torch.nn.ReLU):
                    fail("module", module, expected)
                continue
            if not isinstance(layer, torch.nn.Linear) or layer.bias is None:
                fail("module", module, expected)
            weights.append(layer.weight.detach().to(torch.float64).cpu().numpy().copy())
            biases.append(layer.bias.detach().to(torch.float64).cpu().numpy().copy())
        return cls(weights, biases, exact=False)

    # -------------------------------------------------------------------- dunders
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReluNetwork):
            return NotImplemented
        return (
            self._exact == other._exact
            and self.widths == other.widths
            and all(map(np.array_equal, self._weights, other._weights))
            and all(map(np.array_equal, self._biases, other._biases))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kind = "exact" if self._exact else "float64"
        return f"ReluNetwork(widths={self.widths}, {kind}, n_parameters={self.n_parameters})"
