"""Regenerate the figures of docs/twolayer.md with the library's plotting code.

Usage: python docs/scripts/twolayer_figures.py [DATA.csv] [OUTDIR]
(defaults: data/data_HW2_ex1.csv, the course data shipped in the repository, and
docs/figures). The figures of the course data are skipped, with a message, when the data
file is absent.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

from reluapprox.twolayer import (
    EX1A_LABELS,
    EX1A_POINTS,
    convex_region_bound,
    ex1a_network,
    load_classification_csv,
    network_from_lines,
    plot_decision_regions,
    plot_training_loss,
    train_two_layer,
)

ROOT = Path(__file__).resolve().parents[2]
#: The optimal 2-2-2 network of docs/twolayer.md (190 of 200 points, exact count).
WITNESS_LINES = [["-0.49", "2.3", "0.8"], ["0.21", "-0.99", "-0.19"]]
WITNESS_OUTPUT = ["0.56", "-0.28", "-0.98"]


def main(data: Path, outdir: Path) -> None:
    plot_decision_regions(
        ex1a_network(),
        EX1A_POINTS,
        EX1A_LABELS,
        outdir / "twolayer_ex1a.png",
        title="Ex 1a: s1 - s2 = 1 - 2|x2|",
    )
    if not data.is_file():
        print(f"course data not found at {data}: skipping the Ex 1b figures")
        return
    course = load_classification_csv(data)
    result = train_two_layer(course.points, course.labels, restarts=20, seed=0)
    plot_training_loss(result, outdir / "twolayer_loss.png")
    plot_decision_regions(
        result.best_network,
        course.points,
        course.labels,
        outdir / "twolayer_adam.png",
        title="Adam, best of 20 restarts (seed 0): 92.0%",
    )
    witness = network_from_lines(
        [[Fraction(v) for v in row] for row in WITNESS_LINES],
        [Fraction(v) for v in WITNESS_OUTPUT],
        exact=True,
    )
    bound = convex_region_bound(course.points, course.labels)
    plot_decision_regions(
        witness,
        course.points,
        course.labels,
        outdir / "twolayer_optimum.png",
        title="an optimal 2-2-2 network: 190/200 = 95%",
        polygon=bound.polygons[1],
    )
    wide = train_two_layer(course.points, course.labels, hidden=8, restarts=10, seed=0)
    plot_decision_regions(
        wide.best_network,
        course.points,
        course.labels,
        outdir / "twolayer_wide.png",
        title=f"2-8-2, best of 10 restarts: {100 * wide.best_accuracy:.1f}%",
    )


if __name__ == "__main__":
    default_data = ROOT / "data" / "data_HW2_ex1.csv"
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else default_data,
        Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "figures",
    )
