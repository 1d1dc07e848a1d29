"""Regenerate the figures of docs/convolution.md with the library's plotting code.

Usage: python docs/scripts/convolution_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox import conv_matrix
from reluapprox.convolution import plot_conv_matrix


def main(outdir: Path) -> None:
    plot_conv_matrix(
        conv_matrix([1, -2, 3], 12),
        outdir / "convolution_1d.png",
        title="1-D: kernel (1, -2, 3), d = 12: a 10 x 12 band",
    )
    plot_conv_matrix(
        conv_matrix([[1, 2], [-1, 3]], (4, 5)),
        outdir / "convolution_2d.png",
        title="2-D: 2 x 2 kernel on a 4 x 5 image: 12 x 20, doubly block Toeplitz",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
