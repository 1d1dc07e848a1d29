"""Figures made by the library itself (matplotlib, imported lazily, Agg backend).

Every function writes one PNG and returns its path; nothing is shown on screen, so
the functions work on machines without a display and in the test suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reluapprox.shallow import ShallowNetwork

__all__ = ["new_figure", "plot_interpolation", "save_figure"]


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


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as PNG to ``path`` (creating parent folders) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=120)
    return out


def plot_interpolation(
    net: ShallowNetwork,
    xs: Sequence[int | Fraction | float],
    ys: Sequence[int | Fraction | float],
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Plot the data points, the interpolating network and its neurons ``relu(x - x_k)``."""
    figure = new_figure(nrows=1, ncols=2, size=(10.0, 3.8))
    left, right = figure.axes
    x_lo, x_hi = float(xs[0]), float(xs[-1])
    pad = 0.15 * (x_hi - x_lo)
    grid = np.linspace(x_lo - pad, x_hi + pad, 801)
    left.plot(grid, net(grid), color="C0", label="network f")
    left.plot([float(v) for v in xs], [float(v) for v in ys], "o", color="C3", label="data")
    for t in net.knots:
        left.axvline(float(t), color="0.85", lw=0.8, zorder=0)
    left.set_xlabel("x")
    left.set_title(title or f"interpolant with {net.n_neurons} neurons")
    left.legend()
    for k, (t, w) in enumerate(zip(net.knots, net.weights, strict=True)):
        if k >= 8:
            break
        right.plot(grid, float(w) * np.maximum(grid - float(t), 0.0), label=f"w{k} relu(x - x{k})")
    right.set_xlabel("x")
    right.set_title("weighted neurons")
    right.legend(fontsize="small")
    return save_figure(figure, path)
