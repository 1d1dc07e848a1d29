"""Regenerate the figures of docs/perceptrons.md with the library's plotting code.

Usage: python docs/scripts/perceptrons_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox.separability import plot_separation

SQUARE = [(0, 0), (0, 1), (1, 0), (1, 1)]


def main(outdir: Path) -> None:
    plot_separation(SQUARE, [0, 0, 0, 1], outdir / "perceptrons_and.png", title="AND: separable")
    plot_separation(
        SQUARE, [0, 1, 1, 0], outdir / "perceptrons_xor.png", title="XOR: Farkas certificate"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
