"""Example tests of convolution matrices, against the definition and against torch."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluapprox import InvalidArgument, conv_matrix
from reluapprox.convolution import conv_output_shape, correlate, plot_conv_matrix


def test_sheet_shape_and_band() -> None:
    # k = (k_{-l'}, ..., k_l) with l' = 1, l = 2: a (d - l - l') x d matrix
    kernel = [Fraction(1), Fraction(-2), Fraction(1, 3), Fraction(5)]
    d = 9
    matrix = conv_matrix(kernel, d)
    assert matrix.shape == (d - 2 - 1, d)
    assert matrix.dtype == object
    for i in range(matrix.shape[0]):
        for j in range(d):
            assert matrix[i, j] == (kernel[j - i] if 0 <= j - i < 4 else 0)
    x = [Fraction(j * j, 7) for j in range(d)]
    assert list(matrix.dot(np.array(x, dtype=object))) == list(correlate(kernel, x))


def test_float_kernels_give_float_matrices() -> None:
    matrix = conv_matrix([0.5, 1.0], 3)
    assert matrix.dtype == np.float64
    assert matrix.tolist() == [[0.5, 1.0, 0.0], [0.0, 0.5, 1.0]]
    exact = conv_matrix([0.5, 1.0], 3, exact=True)
    assert exact.tolist() == [[Fraction(1, 2), 1, 0], [0, Fraction(1, 2), 1]]
    assert conv_matrix([1, 2], 3, exact=False).dtype == np.float64


def test_cross_correlation_not_convolution() -> None:
    x = [0, 0, 1, 0, 0]
    assert list(correlate([1, 2, 3], x)) == [3, 2, 1]
    assert list(conv_matrix([1, 2, 3], 5).dot(np.array(x, dtype=object))) == [3, 2, 1]


def test_stride_and_padding() -> None:
    assert conv_output_shape(7, 3, stride=2, padding=1) == (4,)
    matrix = conv_matrix([1, 2, 3], 7, stride=2, padding=1)
    assert matrix.shape == (4, 7)
    assert [int(v) for v in matrix[0]] == [2, 3, 0, 0, 0, 0, 0]
    assert [int(v) for v in matrix[3]] == [0, 0, 0, 0, 0, 1, 2]


def test_two_d_is_doubly_block_toeplitz() -> None:
    kernel = [[1, 2], [3, 4]]
    h, w = 3, 4
    matrix = conv_matrix(kernel, (h, w))
    assert matrix.shape == (2 * 3, h * w)
    blocks = [[matrix[3 * i : 3 * i + 3, 4 * j : 4 * j + 4] for j in range(h)] for i in range(2)]
    zero = np.zeros((3, 4), dtype=int)
    for i in range(2):
        for j in range(h):
            if j - i in (0, 1):  # block (i, j) is the Toeplitz matrix of kernel row j - i
                assert np.array_equal(blocks[i][j], conv_matrix(kernel[j - i], w))
            else:
                assert np.array_equal(blocks[i][j], zero)


def test_channels_exact() -> None:
    rng = np.random.default_rng(3)
    kernel = np.array(
        [
            [[Fraction(int(v), 3) for v in rng.integers(-5, 5, 3)] for _ in range(2)]
            for _ in range(3)
        ],
        dtype=object,
    )
    x = np.array([[Fraction(int(v), 2) for v in rng.integers(-5, 5, 6)] for _ in range(2)])
    matrix = conv_matrix(kernel, 6, stride=2, padding=2)
    expected = correlate(kernel, x, stride=2, padding=2)
    assert expected.shape == (3, 4)
    assert list(matrix.dot(x.reshape(-1))) == list(expected.reshape(-1))


def test_matches_torch_conv1d() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(30):
        c_out, c_in = (int(v) for v in rng.integers(1, 4, 2))
        k, p, s = int(rng.integers(1, 6)), int(rng.integers(0, 3)), int(rng.integers(1, 4))
        d = int(rng.integers(max(1, k - 2 * p), 20))
        kernel = rng.normal(size=(c_out, c_in, k))
        x = rng.normal(size=(c_in, d))
        expected = torch.nn.functional.conv1d(
            torch.tensor(x)[None], torch.tensor(kernel), stride=s, padding=p
        )[0].numpy()
        matrix = conv_matrix(kernel, d, stride=s, padding=p)
        assert np.allclose(matrix @ x.reshape(-1), expected.reshape(-1), rtol=1e-13, atol=1e-13)
        if c_out == c_in == 1:
            single = conv_matrix(kernel[0, 0], d, stride=s, padding=p)
            assert np.array_equal(single, matrix)


def test_matches_torch_conv2d() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for _ in range(30):
        c_out, c_in = (int(v) for v in rng.integers(1, 4, 2))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        ph, pw = (int(v) for v in rng.integers(0, 2, 2))
        sh, sw = (int(v) for v in rng.integers(1, 3, 2))
        h, w = int(rng.integers(max(1, kh - 2 * ph), 9)), int(rng.integers(max(1, kw - 2 * pw), 9))
        kernel = rng.normal(size=(c_out, c_in, kh, kw))
        x = rng.normal(size=(c_in, h, w))
        expected = torch.nn.functional.conv2d(
            torch.tensor(x)[None], torch.tensor(kernel), stride=(sh, sw), padding=(ph, pw)
        )[0].numpy()
        matrix = conv_matrix(kernel, (h, w), stride=(sh, sw), padding=(ph, pw))
        assert matrix.shape == (expected.size, x.size)
        assert np.allclose(matrix @ x.reshape(-1), expected.reshape(-1), rtol=1e-13, atol=1e-13)


def test_plot(tmp_path: Path) -> None:
    out = plot_conv_matrix(conv_matrix([[1, -1], [2, 0]], (4, 5)), tmp_path / "conv.png")
    assert out.stat().st_size > 1000
    with pytest.raises(InvalidArgument, match=r"matrix=.* is invalid: expected a non-empty 2-D"):
        plot_conv_matrix(np.zeros(3), tmp_path / "bad.png")


@pytest.mark.parametrize(
    ("kernel", "length", "options", "match"),
    [
        (
            [1, 2, 3, 4],
            3,
            {},
            r"kernel=\[1, 2, 3, 4\] is invalid: expected a kernel of size <= d \+ 2 \* padding = 3",
        ),
        ([1, 2], 4, {"stride": 0}, r"stride=0 is invalid: expected an integer >= 1"),
        ([1, 2], 4, {"padding": -1}, r"padding=-1 is invalid: expected an integer >= 0"),
        ([1, 2], 0, {}, r"input_length=0 is invalid: expected an integer d >= 1"),
        ([1, 2], 2.0, {}, r"input_length=2\.0 is invalid"),
        ([], 4, {}, r"kernel=\[\] is invalid: expected a 1-D kernel"),
        ([[1, 2]], 4, {}, r"kernel=\[\[1, 2\]\] is invalid: expected a 1-D kernel or a 3-D"),
        ([1, float("nan")], 4, {}, r"kernel\[0, 0, 1\]=nan is invalid"),
        ([1, 2], (3, 3), {}, r"expected a 2-D kernel or a 4-D array"),
        ([[1, 2]], (3, 3), {"stride": (1, 0)}, r"stride=\(1, 0\) is invalid"),
        ([[1, 2, 3]], (3, 2), {}, r"padding = 2 along axis 1 \(kernel size 3, input size 2"),
        ([[1, 2]], (3, 3), {"padding": (0, 1, 2)}, r"padding=\(0, 1, 2\) is invalid"),
        (
            [[1, 2], [3]],
            (3, 3),
            {},
            r"kernel=\[\[1, 2\], \[3\]\] is invalid: expected a 2-D kernel",
        ),
    ],
)
def test_bad_input(kernel: object, length: object, options: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        conv_matrix(kernel, length, **options)  # type: ignore[arg-type]
