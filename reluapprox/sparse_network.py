"""Feed-forward ReLU networks with sparse exact weight matrices.

A :class:`SparseReluNetwork` is the same mathematical object as a
:class:`~reluapprox.network.ReluNetwork` (affine layers with ReLU between them),
but each weight matrix is stored by its non-zero entries only. The networks that
represent a piecewise-linear function on a triangulation of ``n`` triangles have
hidden layers of width proportional to ``n`` but only a few non-zeros per row, so a
dense matrix of ``n**2`` Fractions is out of the question for large ``n``;
:meth:`SparseReluNetwork.to_network` gives the dense form where it is small enough.

Evaluation is exact (:meth:`SparseReluNetwork.exact`, rational arithmetic only) or
in float64 on a batch (the weights rounded to floats).

Examples:
    >>> from fractions import Fraction as F
    >>> rows = [[((0, F(1)),), ((0, F(-1)),)], [((0, F(1)), (1, F(1)))]]
    >>> net = SparseReluNetwork(1, rows, [[F(0), F(0)], [F(0)]])  # |x|
    >>> net.exact([F(-3, 4)]), net.widths, net([[-2.0], [0.5]]).tolist()
    (Fraction(3, 4), (1, 2, 1), [2.0, 0.5])
    >>> net.to_network().exact([F(-3, 4)])
    (Fraction(3, 4),)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_positive_int, check_rational, fail
from reluapprox.network import ReluNetwork

__all__ = ["DENSE_LIMIT", "Row", "SparseReluNetwork"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: A row of a weight matrix: ``(column, weight)`` pairs.
Row = tuple[tuple[int, Fraction], ...]

#: :meth:`SparseReluNetwork.to_network` refuses matrices with more entries than this.
DENSE_LIMIT = 4_000_000

#: Float evaluation works on chunks of at most this many (point, non-zero) products.
_CHUNK = 4_000_000


class SparseReluNetwork:
    """A ReLU network ``R^n -> R`` with sparse exact (Fraction) weights.

    Args:
        input_dim: ``n``.
        rows: one list per layer, of one :data:`Row` per output unit; the last
            layer has one row (the output).
        biases: one list per layer, of one Fraction per row.

    Raises:
        InvalidArgument: on empty layers, a column out of range or a bias count
            that differs from the row count.
    """

    __slots__ = ("_biases", "_float", "_rows", "input_dim")

    def __init__(
        self,
        input_dim: int,
        rows: Sequence[Sequence[Row]],
        biases: Sequence[Sequence[Fraction]],
    ) -> None:
        self.input_dim = check_positive_int("input_dim", input_dim)
        if len(rows) == 0 or len(rows) != len(biases):
            fail("rows", rows, "one list of rows per layer, as many as bias lists")
        width = self.input_dim
        for i, (layer, bias) in enumerate(zip(rows, biases, strict=True)):
            if len(layer) == 0 or len(layer) != len(bias):
                fail(f"rows[{i}]", layer, f"a non-empty list of rows, one per bias ({len(bias)})")
            for row in layer:
                for column, _ in row:
                    if not 0 <= column < width:
                        fail(f"rows[{i}]", row, f"columns in [0, {width})")
            width = len(layer)
        if width != 1:
            fail("rows", rows, "a last layer with one row (a scalar output)")
        self._rows = tuple(
            tuple(tuple((c, check_rational("weight", w)) for c, w in row) for row in layer)
            for layer in rows
        )
        self._biases = tuple(tuple(check_rational("bias", b) for b in layer) for layer in biases)
        self._float: list[tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]]
        self._float = []
        for layer, bias in zip(self._rows, self._biases, strict=True):
            counts = np.array([len(row) for row in layer], dtype=np.intp)
            filled = np.flatnonzero(counts)
            starts = (np.cumsum(counts) - counts)[filled]
            cols = np.array([c for row in layer for c, _ in row], dtype=np.intp)
            vals = np.array([float(w) for row in layer for _, w in row], dtype=np.float64)
            self._float.append((filled, starts, cols, vals, np.array([float(b) for b in bias])))

    @property
    def widths(self) -> tuple[int, ...]:
        """``(input_dim, d_1, ..., d_{L-1}, 1)``."""
        return (self.input_dim, *(len(layer) for layer in self._rows))

    @property
    def depth(self) -> int:
        """The number of affine layers (hidden layers + 1)."""
        return len(self._rows)

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons."""
        return sum(self.widths[1:-1])

    @property
    def n_nonzero(self) -> int:
        """The number of non-zero weights."""
        return sum(len(row) for layer in self._rows for row in layer)

    @property
    def n_parameters(self) -> int:
        """Non-zero weights plus biases."""
        return self.n_nonzero + sum(len(b) for b in self._biases)

    @property
    def rows(self) -> tuple[tuple[Row, ...], ...]:
        """The weight rows, layer by layer."""
        return self._rows

    @property
    def biases(self) -> tuple[tuple[Fraction, ...], ...]:
        """The biases, layer by layer."""
        return self._biases

    def exact(self, x: Sequence[int | Fraction | float]) -> Fraction:
        """The output at one point, in exact rational arithmetic."""
        if isinstance(x, (str, bytes)) or len(x) != self.input_dim:
            fail("x", x, f"a sequence of {self.input_dim} rational numbers")
        h = [check_rational(f"x[{i}]", v) for i, v in enumerate(x)]
        last = self.depth - 1
        for i, (layer, bias) in enumerate(zip(self._rows, self._biases, strict=True)):
            out = [sum((w * h[c] for c, w in row), b) for row, b in zip(layer, bias, strict=True)]
            h = out if i == last else [v if v > 0 else Fraction(0) for v in out]
        return h[0]

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        """Evaluate in float64 on a batch of shape ``(batch, input_dim)``; returns ``(batch,)``."""
        points = np.asarray(x, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != self.input_dim:
            fail("x", x, f"a real array of shape (batch, {self.input_dim})")
        largest = max(len(cols) for _, _, cols, _, _ in self._float)
        step = max(1, _CHUNK // max(1, largest))
        parts = [self._float_batch(points[k : k + step]) for k in range(0, len(points), step)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _float_batch(self, h: FloatArray) -> FloatArray:
        last = self.depth - 1
        for i, (filled, starts, cols, vals, bias) in enumerate(self._float):
            out = np.tile(bias, (h.shape[0], 1))
            if len(cols):
                out[:, filled] += np.add.reduceat(h[:, cols] * vals, starts, axis=1)
            h = out if i == last else np.maximum(out, 0.0)
        return h[:, 0]

    def to_network(self) -> ReluNetwork:
        """The same network with dense exact matrices.

        Raises:
            InvalidArgument: when a matrix would have more than :data:`DENSE_LIMIT`
                entries.
        """
        widths = self.widths
        size = max(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
        if size > DENSE_LIMIT:
            fail("self", self, f"at most {DENSE_LIMIT} entries per dense matrix, got {size}")
        weights = []
        for i, layer in enumerate(self._rows):
            dense = [[Fraction(0)] * widths[i] for _ in layer]
            for r, row in enumerate(layer):
                for c, w in row:
                    dense[r][c] += w
            weights.append(dense)
        return ReluNetwork(weights, [list(b) for b in self._biases], exact=True)

    def __repr__(self) -> str:
        return (
            f"SparseReluNetwork(widths={self.widths}, n_neurons={self.n_neurons}, "
            f"n_nonzero={self.n_nonzero})"
        )
