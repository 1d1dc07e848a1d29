"""Regenerate the figures of docs/approximation*.md with the library's plotting code.

Usage: python docs/scripts/approximation_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox import approximate
from reluapprox.approximation import plot_approximation, plot_cell_widths


def main(outdir: Path) -> None:
    sine = approximate("sin(2*pi*x)", 1e-4)
    plot_approximation(sine, outdir / "approximation_sin.png")
    cusp = approximate("sqrt(abs(x - 1/3))", 1e-3, domain=(-1, 1))
    plot_approximation(cusp, outdir / "approximation_cusp.png")
    shifted = approximate("exp(3*x)", 1e-3, interpolating=False)
    plot_approximation(
        shifted,
        outdir / "approximation_shifted.png",
        title="exp(3x), eps = 1e-3, node values shifted (non-interpolating)",
    )
    runge = approximate("1/(1 + 25*x**2)", 1e-5, domain=(-1, 1))
    runge_uniform = approximate("1/(1 + 25*x**2)", 1e-5, domain=(-1, 1), mesh="uniform")
    plot_cell_widths(
        [runge, runge_uniform],
        outdir / "approximation_widths.png",
        labels=["Runge, adaptive", "Runge, uniform"],
        title="1/(1 + 25x²) on [-1, 1] at eps = 1e-5: cell widths (neurons)",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
