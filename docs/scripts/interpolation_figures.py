"""Regenerate the figures of docs/interpolation.md with the library's plotting code.

Usage: python docs/scripts/interpolation_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

from reluapprox import interpolate
from reluapprox.plotting import plot_interpolation


def main(outdir: Path) -> None:
    xs = [Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(1)]
    ys = [Fraction(0), Fraction(3, 4), Fraction(1, 4), Fraction(1), Fraction(1, 2)]
    net = interpolate(xs, ys)
    plot_interpolation(
        net, xs, ys, outdir / "interpolation_example.png", title="5 points, 4 neurons"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
