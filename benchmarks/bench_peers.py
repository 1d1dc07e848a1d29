"""Peer comparison: ``approximate`` against chebfun (Python package ``chebfun``, module ``chebpy``).

For each benchmark function and ``eps`` in 1e-3, 1e-5, 1e-7 it measures, in one run,

- ours: the time of ``approximate(g, eps)`` (median of 3), its neurons and its
  certified bound;
- chebfun (the baseline): the construction time of ``chebfun(g, domain)`` with its
  tolerance preference ``eps`` set to the same ``eps`` (median of 3), its degree (the
  sum of the degrees of its pieces) and its *actual* max error, measured densely in
  high precision: ``g`` in mpmath at 50 digits against the chebfun's float values at
  20,001 equally spaced points plus points clustered (``10**-k`` away) at the kinks
  and cusps, where such errors hide;

and prints a markdown table with the time ratio ours / chebfun and whether
chebfun's error stays below ``eps`` (chebfun's tolerance is relative to the size of
``g``, so ``max|g|`` is shown too). Rows where ``approximate`` needs about ``1/eps``
neurons (``x sin(1/x)`` below 1e-4) are listed but not run for ours.

Requires the benchmark extra: ``pip install -e .[bench]``.

Usage::

    python benchmarks/bench_peers.py [--eps 1e-3 1e-5 1e-7] [--out table.md]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reluapprox.approximation import approximate
from reluapprox.expr import SYMBOL, parse_expression

#: ``(name, expression, domain, kinks and cusps, smallest eps run for ours)``
FUNCTIONS = (
    ("exp(3x)", "exp(3*x)", (0.0, 1.0), (), 1e-7),
    ("sin(2πx)", "sin(2*pi*x)", (0.0, 1.0), (), 1e-7),
    ("Runge 1/(1+25x²)", "1/(1 + 25*x**2)", (-1.0, 1.0), (), 1e-7),
    ("x² on [-2, 2]", "x**2", (-2.0, 2.0), (), 1e-7),
    ("tanh(20 sin 12x)", "tanh(20*sin(12*x))", (0.0, 1.0), (), 1e-7),
    ("sqrt(x) (cusp at 0)", "sqrt(x)", (0.0, 1.0), (0.0,), 1e-7),
    ("abs(x - 1/3)^0.7 (cusp)", "abs(x - 1/3)**0.7", (0.0, 1.0), (1 / 3,), 1e-7),
    ("abs(x - 1/3) (kink)", "abs(x - 1/3)", (0.0, 1.0), (1 / 3,), 1e-7),
    ("x sin(1/x)", "x*sin(1/x)", (0.0, 1.0), (0.0,), 1e-4),
)

EPS = (1e-3, 1e-5, 1e-7)


def _median_time(build: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """Median CPU time of the process (``time.process_time``) over ``repeats`` calls:
    on a shared machine wall time also counts other processes."""
    times, result = [], None
    for _ in range(repeats):
        start = time.process_time()
        result = build()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def _grid(
    domain: tuple[float, float], kinks: tuple[float, ...], breaks: list[float]
) -> list[float]:
    """20,001 equally spaced floats plus points clustered at the kinks and breakpoints."""
    a, b = domain
    points = set(np.linspace(a, b, 20001).tolist())
    for c in (*kinks, *breaks):
        for k in range(1, 16):
            for m in (1, 2, 5):
                for t in (c - m * 10.0**-k, c + m * 10.0**-k):
                    if a <= t <= b:
                        points.add(t)
    return sorted(points)


def _chebfun_row(
    text: str, domain: tuple[float, float], kinks: tuple[float, ...], eps: float
) -> dict[str, Any]:
    from chebpy import UserPreferences, chebfun

    expr = parse_expression(text)
    f_np = sp.lambdify(SYMBOL, expr, modules="numpy")
    f_mp = sp.lambdify(SYMBOL, expr, modules="mpmath")

    def g(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            values = np.asarray(f_np(x), dtype=np.float64) * np.ones_like(x)
        return np.where(np.isfinite(values), values, 0.0)  # x sin(1/x) at 0: its limit

    def build() -> Any:
        with warnings.catch_warnings(), UserPreferences() as prefs:
            warnings.simplefilter("ignore")
            prefs.eps = eps
            return chebfun(g, list(domain))

    seconds, cheb = _median_time(build)
    pieces = list(cheb.funs)
    degree = sum(fun.size - 1 for fun in pieces)
    breaks = [float(fun.support[0]) for fun in pieces[1:]]
    xs = _grid(domain, kinks, breaks)
    approx = cheb(np.array(xs))
    worst = mpmath.mpf(0)
    scale = mpmath.mpf(0)
    with mpmath.workdps(50):
        for x, y in zip(xs, approx.tolist(), strict=True):
            try:
                exact = f_mp(mpmath.mpf(x))
            except ZeroDivisionError:
                exact = mpmath.mpf(0)
            worst = max(worst, abs(exact - mpmath.mpf(y)))
            scale = max(scale, abs(exact))
    return {
        "seconds": seconds,
        "degree": degree,
        "pieces": len(pieces),
        "error": float(worst),
        "scale": float(scale),
        "points": len(xs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eps", type=float, nargs="+", default=list(EPS))
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    try:
        from importlib.metadata import version

        import chebpy
    except ImportError:
        print("chebfun is not installed (pip install -e .[bench]); no peer table", file=sys.stderr)
        return 1
    lines = [
        f"Measured with `python benchmarks/bench_peers.py` (Python {platform.python_version()}, "
        f"chebfun {version('chebfun')} as `{chebpy.__name__}`, numpy {np.__version__}, "
        f"{platform.machine()}); times are CPU times of the process, medians of 3 in one run.",
        "",
        "| g | eps | ours: neurons | ours: certified bound | ours: time (s) | chebfun: degree "
        "(pieces) | chebfun: time (s) | time ours / chebfun | chebfun: actual max error "
        "| error / eps | error < eps? | max \\|g\\| |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    for name, text, domain, kinks, smallest in FUNCTIONS:
        for eps in args.eps:
            peer = _chebfun_row(text, domain, kinks, eps)
            if eps >= smallest:
                approximate(text, eps, domain=domain, time_limit=600)  # warm-up
                ours_s, res = _median_time(
                    lambda: approximate(text, eps, domain=domain, time_limit=600)  # noqa: B023
                )
                assert res.certified
                ours = (
                    f"{res.n_neurons:,} | {res.bound:.3g} | {ours_s:.3f} | "
                    f"{peer['degree']:,} ({peer['pieces']}) | {peer['seconds']:.4f} | "
                    f"{ours_s / peer['seconds']:.0f}"
                )
            else:
                ours = (
                    f"not run | - | - | {peer['degree']:,} ({peer['pieces']}) | "
                    f"{peer['seconds']:.4f} | -"
                )
            ratio = peer["error"] / eps
            holds = "yes" if peer["error"] < eps else "**no**"
            line = (
                f"| {name} | {eps:g} | {ours} | {peer['error']:.2g} | {ratio:.3g} | {holds} | "
                f"{peer['scale']:.3g} |"
            )
            lines.append(line)
            print(line, flush=True)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    status = main()
    print(f"\ntotal {time.perf_counter() - start:.0f} s", file=sys.stderr)
    raise SystemExit(status)
