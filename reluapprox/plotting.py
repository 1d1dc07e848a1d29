"""Figures made by the library itself (matplotlib, imported lazily, Agg backend).

Every function writes one PNG and returns the path it wrote; nothing is shown on
screen, so the functions work on machines without a display and in the test suite.

File names: a path ending in ``.png`` (any case) is written as given; a path without
a suffix gets ``.png`` appended (``"fig"`` writes ``fig.png``, as matplotlib itself
would) and the returned path says so; any other suffix, and a path that is an
existing folder, is refused with :class:`~reluapprox.errors.InvalidArgument`. A file
that cannot be written (missing permissions, a parent that is a file, a full disk)
also raises :class:`~reluapprox.errors.InvalidArgument` naming the path, with the
:class:`OSError` as its ``__cause__``.

Examples:
    >>> png_path("figures/error")
    PosixPath('figures/error.png')
    >>> png_path("error.PNG")
    PosixPath('error.PNG')
    >>> png_path("error.svg")
    Traceback (most recent call last):
    ...
    reluapprox.errors.InvalidArgument: path='error.svg' is invalid: expected a file name ending in .png (or without a suffix: .png is then appended)
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reluapprox._validation import fail
from reluapprox.errors import InvalidArgument

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reluapprox.shallow import ShallowNetwork

__all__ = ["new_figure", "plot_interpolation", "png_path", "save_figure"]


def new_figure(*, nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.0)) -> Figure:
    """A matplotlib figure on the non-interactive Agg canvas (no display needed)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'reluapprox[plot]'") from error
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    figure.subplots(nrows, ncols)
    return figure


def png_path(path: str | Path) -> Path:
    """The file that :func:`save_figure` writes for ``path``.

    Raises:
        InvalidArgument: if ``path`` is not a string or path, is an existing folder or
            ends in a suffix other than ``.png``.
    """
    if not isinstance(path, (str, Path)) or not str(path):
        fail("path", path, "a file name ending in .png (a str or pathlib.Path)")
    out = Path(path)
    if out.is_dir():
        fail("path", str(path), "a file name ending in .png, not an existing folder")
    if out.suffix == "":
        return out.with_name(out.name + ".png")
    if out.suffix.lower() != ".png":
        fail(
            "path",
            str(path),
            "a file name ending in .png (or without a suffix: .png is then appended)",
        )
    return out


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as PNG (creating parent folders) and return the path written.

    The path written is :func:`png_path` of ``path``: ``.png`` is appended when
    ``path`` has no suffix.

    Raises:
        InvalidArgument: for a path that :func:`png_path` refuses, or when the file
            cannot be written (the :class:`OSError` is the ``__cause__``).
    """
    out = png_path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=120, format="png")
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidArgument(
            f"path={str(out)!r} is invalid: expected a writable file path "
            f"({type(error).__name__}: {reason})"
        ) from error
    return out


def _plottable(name: str, values: Sequence[int | Fraction | float]) -> list[float]:
    """``values`` as floats; InvalidArgument naming the first beyond the float64 range."""
    out: list[float] = []
    for k, value in enumerate(values):
        try:
            out.append(float(value))
        except OverflowError:
            fail(f"{name}[{k}]", value, "a value within the float64 range to plot (|v| < 1.8e308)")
    return out


def plot_interpolation(
    net: ShallowNetwork,
    xs: Sequence[int | Fraction | float],
    ys: Sequence[int | Fraction | float],
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Plot the data points, the interpolating network and its neurons ``relu(x - x_k)``.

    Raises:
        InvalidArgument: for data or weights beyond the float64 range (they cannot be
            drawn), naming the entry.
    """
    x_float = _plottable("xs", xs)
    y_float = _plottable("ys", ys)
    w_float = _plottable("net.weights", net.weights)
    x_lo, x_hi = x_float[0], x_float[-1]
    pad = 0.15 * (x_hi - x_lo)
    if not np.isfinite(pad) or not np.isfinite(x_hi + pad) or not np.isfinite(x_lo - pad):
        fail("xs", xs, "nodes spanning less than about 1.5e308 (the plot range overflows)")
    figure = new_figure(nrows=1, ncols=2, size=(10.0, 3.8))
    left, right = figure.axes
    grid = np.linspace(x_lo - pad, x_hi + pad, 801)
    left.plot(grid, net(grid), color="C0", label="network f")
    left.plot(x_float, y_float, "o", color="C3", label="data")
    for t in net.knots:
        left.axvline(float(t), color="0.85", lw=0.8, zorder=0)
    left.set_xlabel("x")
    left.set_title(title or f"interpolant with {net.n_neurons} neurons")
    left.legend()
    for k, (t, w) in enumerate(zip(net.knots, w_float, strict=True)):
        if k >= 8:
            break
        right.plot(grid, w * np.maximum(grid - float(t), 0.0), label=f"w{k} relu(x - x{k})")
    right.set_xlabel("x")
    right.set_title("weighted neurons")
    right.legend(fontsize="small")
    return save_figure(figure, path)
