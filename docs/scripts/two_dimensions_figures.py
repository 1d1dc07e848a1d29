"""Regenerate the figures of docs/two-dimensions.md with the library's plotting code.

Usage: python docs/scripts/two_dimensions_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox import approximate
from reluapprox.approximation2d import plot_approximation_2d


def main(outdir: Path) -> None:
    wave = approximate("sin(pi*x)*cos(pi*y)", 1e-2, domain=((0, 1), (0, 1)))
    plot_approximation_2d(wave, outdir / "two_dimensions_wave.png")
    cone = approximate("sqrt(x**2 + y**2)", 1e-2, domain=((-1, 1), (-1, 1)))
    plot_approximation_2d(cone, outdir / "two_dimensions_cone.png")
    kink = approximate("abs(x - y/2 - 1/4)", 1e-2, domain=((0, 1), (0, 1)))
    plot_approximation_2d(kink, outdir / "two_dimensions_kink.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
