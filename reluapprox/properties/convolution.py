"""Properties of convolution matrices: the matrix equals the layer's definition, exactly."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from reluapprox.convolution import conv_matrix, correlate
from reluapprox.verify import register


def _rationals(bound: int, denominator: int) -> st.SearchStrategy[Fraction]:
    """Fractions p/q with |p/q| <= bound, q <= denominator (faster to draw than st.fractions)."""
    return st.integers(1, denominator).flatmap(
        lambda q: st.integers(-bound * q, bound * q).map(lambda p: Fraction(p, q))
    )


Case = tuple[Any, Any, Any, int | tuple[int, int], int | tuple[int, int]]


def _array(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
    entries = _rationals(3, 6)
    flat = draw(st.lists(entries, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(shape)


@st.composite
def _case(draw: st.DrawFn) -> Case:
    dims = draw(st.sampled_from([1, 2]))
    channels = draw(st.booleans())
    c_out, c_in = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if channels else (1, 1)
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    lengths = tuple(
        draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 6))
        for k, p in zip(sizes, pads, strict=True)
    )
    kernel = _array(draw, (c_out, c_in, *sizes) if channels else sizes)
    x = _array(draw, (c_in, *lengths) if channels else lengths)
    if dims == 1:
        return kernel, x, lengths[0], strides[0], pads[0]
    return kernel, x, lengths, strides, pads  # type: ignore[return-value]


@register(
    "convolution.matrix_equals_definition",
    "conv_matrix(k, d, stride=s, padding=p) @ x == the cross-correlation sum, exactly "
    "(1-D and 2-D, channels, stride, zero padding)",
    _case,
)
def matrix_equals_definition(case: Case) -> None:
    kernel, x, length, stride, padding = case
    matrix = conv_matrix(kernel, length, stride=stride, padding=padding)
    assert matrix.dtype == object
    expected = correlate(kernel, x, stride=stride, padding=padding)
    assert matrix.shape == (expected.size, x.size)
    assert list(matrix.dot(x.reshape(-1))) == list(expected.reshape(-1))


@st.composite
def _toeplitz_case(draw: st.DrawFn) -> tuple[list[Fraction], int]:
    kernel = draw(st.lists(_rationals(10, 12), min_size=1, max_size=6))
    return kernel, draw(st.integers(len(kernel), len(kernel) + 10))


@register(
    "convolution.banded_toeplitz",
    "the valid 1-D matrix is (d - K + 1) x d with A[i, j] = k[j - i] for 0 <= j - i < K, else 0",
    _toeplitz_case,
)
def banded_toeplitz(case: tuple[list[Fraction], int]) -> None:
    kernel, d = case
    matrix = conv_matrix(kernel, d)
    size = len(kernel)
    assert matrix.shape == (d - size + 1, d)
    for i in range(d - size + 1):
        for j in range(d):
            assert matrix[i, j] == (kernel[j - i] if 0 <= j - i < size else 0)
