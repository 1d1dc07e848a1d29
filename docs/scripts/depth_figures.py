"""Regenerate the figures of docs/depth.md with the library's plotting code.

The log-log figure ``depth_neurons.png`` is written by ``benchmarks/bench_depth.py
--figure``; this script writes ``depth_exp.png``.

Usage: python docs/scripts/depth_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from pathlib import Path

from reluapprox import approximate
from reluapprox.approximation import plot_approximation


def main(outdir: Path) -> None:
    deep = approximate("exp(x)", 1e-10, architecture="deep")
    plot_approximation(deep, outdir / "depth_exp.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "figures")
