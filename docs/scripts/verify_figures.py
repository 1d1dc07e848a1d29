"""Regenerate the figures of docs/verify.md with the library's plotting code.

Usage: python docs/scripts/verify_figures.py [OUTDIR]  (default: docs/figures)
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

from reluapprox.strategies import (
    compose,
    holder_function,
    piecewise_linear,
    plot_modulus,
    trigonometric_polynomial,
)


def main(outdir: Path) -> None:
    hat = piecewise_linear(knots=(0, Fraction(1, 4), 1), values=(0, 1, Fraction(1, 2)))
    holder = holder_function(c=1, x0=Fraction(1, 2), alpha=Fraction(1, 3))
    smooth = compose("exp", trigonometric_polynomial(sin=(1, Fraction(1, 2)))) * hat
    plot_modulus(
        [hat, holder, smooth],
        outdir / "verify_moduli.png",
        labels=["piecewise linear (L = 4)", "|x - 1/2|^(1/3) (Hölder)", "exp(trig) * hat"],
    )
    print(f"wrote {outdir / 'verify_moduli.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "figures")
