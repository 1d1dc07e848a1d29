"""Regenerate the figures of docs/softmax.md with the library's plotting code.

Usage: python docs/scripts/softmax_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox.argmax import plot_softmax_convergence


def main(outdir: Path) -> None:
    plot_softmax_convergence(
        [0.0, 0.5, 1.0, 0.2],
        outdir / "softmax_convergence.png",
        lam_max=40.0,
        title="unique maximiser: x = (0, 0.5, 1, 0.2), Δ = 0.5",
    )
    plot_softmax_convergence(
        [1.0, 0.25, 1.0],
        outdir / "softmax_ties.png",
        lam_max=80.0,
        title="tie: x = (1, 0.25, 1), limit (1/2, 0, 1/2), Δ = 0.75",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
