"""Convolutional layers as matrices: banded Toeplitz (1-D) and doubly block Toeplitz (2-D).

A 1-D kernel ``k = (k_{-l'}, ..., k_l)`` of length ``K = l + l' + 1`` acts on
``x in R^d`` by the *valid cross-correlation*

``(C_k x)_i = sum_{j=-l'}^{l} k_j x_{i+j}``,   ``i = l' + 1, ..., d - l``  (1-based),

which is linear in ``x``: ``C_k x = A x`` for the ``(d - l - l') x d`` matrix ``A`` whose
row ``i`` holds the kernel in columns ``i, ..., i + K - 1`` (0-based rows). ``A`` is
constant along its diagonals (Toeplitz) and zero outside a band of width ``K``. This
is the convention of ``torch.nn.functional.conv1d``: no flip of the kernel (a true
convolution would use ``k_{-j}``).

Stride ``s`` keeps every ``s``-th row, zero padding ``p`` appends ``p`` zeros on both
sides (the matrix then acts on the unpadded input: the columns of the zeros are
dropped). In 2-D with row-major flattening of an ``H x W`` image the matrix is
block Toeplitz with Toeplitz blocks; with channels the blocks are indexed by
(output channel, input channel), matching ``conv2d`` on ``x.reshape(-1)``.

Examples:
    >>> A = conv_matrix([1, 2, 3], 5)  # d = 5, K = 3: a 3 x 5 matrix of Fractions
    >>> [[int(v) for v in row] for row in A]
    [[1, 2, 3, 0, 0], [0, 1, 2, 3, 0], [0, 0, 1, 2, 3]]
    >>> conv_matrix([1.0, -1.0], 4, stride=2, padding=1).tolist()
    [[-1.0, 0.0, 0.0, 0.0], [0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]

References:
    V. Dumoulin and F. Visin, A guide to convolution arithmetic for deep learning,
    arXiv:1603.07285, 2016.

    PyTorch documentation, ``torch.nn.Conv1d`` / ``torch.nn.Conv2d`` (output sizes,
    cross-correlation).

    Course problem sheet, P4 (convolutional layers are linear maps).
"""

from __future__ import annotations

import itertools
import numbers
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_rational, fail

__all__ = ["conv_matrix", "conv_output_shape", "correlate", "plot_conv_matrix"]

#: Largest matrix (rows x columns) that :func:`conv_matrix` builds.
MAX_MATRIX_ENTRIES = 50_000_000

#: Largest accepted stride, padding, kernel size or input length (a larger value
#: cannot give a matrix of at most MAX_MATRIX_ENTRIES entries, or is equivalent).
MAX_SIZE = 2**31


def _spatial(name: str, value: object, dims: int, *, minimum: int) -> tuple[int, ...]:
    expected = f"an integer >= {minimum} and <= {MAX_SIZE}" + (
        f" or a pair of integers >= {minimum} and <= {MAX_SIZE}" * (dims == 2)
    )
    items: tuple[object, ...]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items = (value,) * dims
    elif isinstance(value, (tuple, list)) and len(value) == dims:
        items = tuple(value)
    else:
        fail(name, value, expected)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            fail(name, value, expected)
        if not minimum <= int(item) <= MAX_SIZE:
            fail(name, value, expected)
    return tuple(int(v) for v in items)  # type: ignore[call-overload]


def _input_shape(input_length: object) -> tuple[int, ...]:
    expected = "an integer d >= 1 (1-D) or a pair (H, W) of integers >= 1 (2-D)"
    if isinstance(input_length, (int, np.integer)) and not isinstance(input_length, bool):
        shape: tuple[object, ...] = (input_length,)
    elif isinstance(input_length, (tuple, list)) and len(input_length) == 2:
        shape = tuple(input_length)
    else:
        fail("input_length", input_length, expected)
    for v in shape:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            fail("input_length", input_length, expected)
    return tuple(int(v) for v in shape)  # type: ignore[call-overload]


def _kernel_array(kernel: object, dims: int, exact: object) -> npt.NDArray[Any]:
    """The kernel as ``(C_out, C_in, *K)``, Fraction objects when exact, float64 otherwise."""
    if exact is not None and not isinstance(exact, bool):
        fail("exact", exact, "True, False or None")
    expected = (
        f"a {dims}-D kernel or a {dims + 2}-D array (out_channels, in_channels, "
        f"{'K' if dims == 1 else 'KH, KW'}) of finite real numbers"
    )
    try:
        raw = np.array(kernel, dtype=object)
    except ValueError:
        fail("kernel", kernel, expected + " (a ragged array was given)")
    if raw.ndim not in (dims, dims + 2) or raw.size == 0:
        fail("kernel", kernel, expected)
    if raw.ndim == dims:
        raw = raw.reshape(1, 1, *raw.shape)
    if exact is None:
        exact = all(
            isinstance(v, numbers.Rational) and not isinstance(v, bool) for v in raw.ravel()
        )
    out = np.empty(raw.shape, dtype=object)
    for index, value in np.ndenumerate(raw):
        out[index] = check_rational(f"kernel{list(index)}", value)
    if exact:
        return out
    return out.astype(np.float64)


def conv_output_shape(
    input_length: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[int, ...]:
    """``floor((d + 2p - K) / s) + 1`` per spatial dimension (as ``torch.nn.Conv1d/2d``).

    Raises:
        InvalidArgument: when the kernel is longer than the padded input, or for
            non-positive sizes, a stride ``< 1`` or a padding ``< 0``.

    Examples:
        >>> conv_output_shape(10, 3), conv_output_shape((28, 28), 5, stride=2, padding=2)
        ((8,), (14, 14))
    """
    shape = _input_shape(input_length)
    sizes = _spatial("kernel_size", kernel_size, len(shape), minimum=1)
    strides = _spatial("stride", stride, len(shape), minimum=1)
    pads = _spatial("padding", padding, len(shape), minimum=0)
    return _output_shape(shape, sizes, strides, pads, ("kernel_size", kernel_size))


def _output_shape(
    shape: tuple[int, ...],
    sizes: tuple[int, ...],
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    argument: tuple[str, object],
) -> tuple[int, ...]:
    out = []
    for axis, (d, k, s, p) in enumerate(zip(shape, sizes, strides, pads, strict=True)):
        if k > d + 2 * p:
            where = f" along axis {axis}" if len(shape) > 1 else ""
            fail(
                *argument,
                f"a kernel of size <= d + 2 * padding = {d + 2 * p}{where} "
                f"(kernel size {k}, input size {d}, padding {p})",
            )
        out.append((d + 2 * p - k) // s + 1)
    return tuple(out)


def conv_matrix(
    kernel: Any,
    input_length: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    exact: bool | None = None,
) -> npt.NDArray[Any]:
    """The matrix of the (valid, cross-correlation) convolutional layer with ``kernel``.

    Args:
        kernel: 1-D ``(k_{-l'}, ..., k_l)`` with an integer ``input_length``; 2-D
            ``(KH, KW)`` with ``input_length = (H, W)``; or with channels
            ``(C_out, C_in, K)`` / ``(C_out, C_in, KH, KW)`` as in torch.
        input_length: ``d`` (1-D) or ``(H, W)`` (2-D).
        stride: ``s >= 1`` (or a pair in 2-D).
        padding: zeros added on each side, ``p >= 0`` (or a pair in 2-D).
        exact: ``True`` for Fraction entries (dtype object), ``False`` for float64;
            ``None`` (default) is exact when every kernel entry is an int or Fraction.

    Returns:
        ``A`` of shape ``(C_out * prod(out_shape), C_in * prod(input shape))`` with
        ``A @ x.reshape(-1) == correlate(kernel, x, stride=..., padding=...).reshape(-1)``
        for ``x`` of shape ``(C_in, *input shape)`` (row-major flattening); without
        stride and padding the 1-D matrix is ``(d - K + 1) x d = (d - l - l') x d``.

    Raises:
        InvalidArgument: for a kernel of the wrong dimension, empty or with NaN/inf
            entries, a kernel longer than the padded input, a stride ``< 1``, a
            negative padding, or a matrix with more than 5e7 entries.

    Examples:
        >>> A = conv_matrix([[1, 0], [0, -1]], (3, 3))  # 2-D: 4 x 9
        >>> A.shape, [int(v) for v in A[0]]
        ((4, 9), [1, 0, 0, 0, -1, 0, 0, 0, 0])
    """
    shape = _input_shape(input_length)
    dims = len(shape)
    weights = _kernel_array(kernel, dims, exact)
    out_channels, in_channels, *sizes = weights.shape
    strides = _spatial("stride", stride, dims, minimum=1)
    pads = _spatial("padding", padding, dims, minimum=0)
    out_shape = _output_shape(shape, tuple(sizes), strides, pads, ("kernel", kernel))
    n_out, n_in = int(np.prod(out_shape)), int(np.prod(shape))
    rows, cols = out_channels * n_out, in_channels * n_in
    if rows * cols > MAX_MATRIX_ENTRIES:
        fail("input_length", input_length, f"a matrix of at most {MAX_MATRIX_ENTRIES} entries")
    is_exact = weights.dtype == object
    matrix: npt.NDArray[Any]
    if is_exact:
        matrix = np.full((rows, cols), Fraction(0), dtype=object)
    else:
        matrix = np.zeros((rows, cols), dtype=np.float64)
    # output positions (flattened row-major) and, for each kernel offset, input positions
    grids = np.meshgrid(*(np.arange(o) for o in out_shape), indexing="ij")
    out_flat = np.ravel_multi_index(tuple(g.ravel() for g in grids), out_shape)
    for offset in itertools.product(*(range(k) for k in sizes)):
        positions = [
            g.ravel() * s - p + m for g, s, p, m in zip(grids, strides, pads, offset, strict=True)
        ]
        inside = np.logical_and.reduce(
            [(q >= 0) & (q < d) for q, d in zip(positions, shape, strict=True)]
        )
        in_flat = np.ravel_multi_index(tuple(q[inside] for q in positions), shape)
        targets = out_flat[inside]
        for co in range(out_channels):
            for ci in range(in_channels):
                matrix[co * n_out + targets, ci * n_in + in_flat] = weights[(co, ci, *offset)]
    return matrix


def correlate(
    kernel: Any,
    x: Any,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> npt.NDArray[Any]:
    """The layer by its definition ``y[o, i] = sum_{c, m} k[o, c, m] x_pad[c, s i + m]``.

    The reference that :func:`conv_matrix` is tested against: plain loops, exact when
    kernel and input are (ints and) Fractions, float64 otherwise.

    Args:
        kernel: as for :func:`conv_matrix`.
        x: shape ``(d,)`` / ``(H, W)`` for a single-channel kernel, otherwise
            ``(C_in, d)`` / ``(C_in, H, W)``.
        stride: as for :func:`conv_matrix`.
        padding: as for :func:`conv_matrix`.

    Returns:
        shape ``out_shape`` for a single-channel kernel, else ``(C_out, *out_shape)``.

    Examples:
        >>> correlate([1, 2, 3], [1, 0, 0, 1]).tolist()
        [Fraction(1, 1), Fraction(3, 1)]
    """
    values = np.array(x, dtype=object)
    single = np.ndim(np.array(kernel, dtype=object)) in (1, 2)
    dims = values.ndim if single else values.ndim - 1
    if dims not in (1, 2):
        fail("x", x, "an array of shape (d,), (H, W), (C_in, d) or (C_in, H, W)")
    weights = _kernel_array(kernel, dims, None)
    is_exact = weights.dtype == object and all(
        isinstance(v, numbers.Rational) and not isinstance(v, bool) for v in values.ravel()
    )
    if single:
        values = values.reshape(1, *values.shape)
    if values.shape[0] != weights.shape[1]:
        fail("x", x, f"{weights.shape[1]} input channels, got {values.shape[0]}")
    spatial = tuple(int(v) for v in values.shape[1:])
    if 0 in spatial:
        fail("x", x, "a non-empty input")
    strides = _spatial("stride", stride, dims, minimum=1)
    pads = _spatial("padding", padding, dims, minimum=0)
    sizes = tuple(int(k) for k in weights.shape[2:])
    out_shape = _output_shape(spatial, sizes, strides, pads, ("kernel", kernel))
    converted = np.empty(values.shape, dtype=object)
    for index, value in np.ndenumerate(values):
        converted[index] = check_rational(f"x{list(index)}", value)
    if not is_exact:
        converted = converted.astype(np.float64)
        weights = weights.astype(np.float64)
    zero: Any = Fraction(0) if is_exact else 0.0
    out = np.empty((weights.shape[0], *out_shape), dtype=object if is_exact else np.float64)
    for o in range(weights.shape[0]):
        for position in itertools.product(*(range(n) for n in out_shape)):
            total = zero
            for c in range(weights.shape[1]):
                for offset in itertools.product(*(range(k) for k in weights.shape[2:])):
                    q = tuple(
                        i * s - p + m
                        for i, s, p, m in zip(position, strides, pads, offset, strict=True)
                    )
                    if all(0 <= qi < d for qi, d in zip(q, spatial, strict=True)):
                        total = total + weights[(o, c, *offset)] * converted[(c, *q)]
            out[(o, *position)] = total
    return out[0] if single else out


def plot_conv_matrix(matrix: npt.ArrayLike, path: str | Path, *, title: str | None = None) -> Path:
    """Show the entries of a convolution matrix, zeros left white (its band structure).

    Examples:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "conv.png"
        >>> plot_conv_matrix(conv_matrix([1, 2, 1], 8), out).exists()
        True
    """
    from reluapprox.plotting import new_figure, save_figure

    values = np.array(np.asarray(matrix, dtype=object), dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        fail("matrix", matrix, "a non-empty 2-D array")
    masked = np.ma.masked_equal(values, 0.0)
    figure = new_figure(size=(6.4, max(2.0, 6.4 * values.shape[0] / values.shape[1] + 0.8)))
    (axes,) = figure.axes
    image = axes.imshow(masked, cmap="viridis", interpolation="nearest", aspect="equal")
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.colorbar(image, ax=axes, shrink=0.8)
    axes.set_xlabel("input index")
    axes.set_ylabel("output index")
    axes.set_title(title or f"{values.shape[0]} x {values.shape[1]} convolution matrix")
    return save_figure(figure, path)
