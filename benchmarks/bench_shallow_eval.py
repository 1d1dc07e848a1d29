"""Benchmark: float evaluation of a shallow ReLU network against ``numpy.interp``.

Baseline (named ``numpy.interp``): one call of ``numpy.interp`` on the same knots and
points, measured in the same run. The goal of the foundation issue is a ratio <= 1.5
for N = 10^4 neurons at M = 10^6 points. For scale, the naive matrix product
``relu(x[:, None] - t[None, :]) @ w`` is timed on a slice of the points and its time
extrapolated linearly to M points (it is O(N M) in time and memory).

Usage::

    python benchmarks/bench_shallow_eval.py [--neurons 10000] [--points 1000000]
        [--repeats 7] [--seed 0] [--write docs/benchmarks/shallow_eval.md]
"""

from __future__ import annotations

import argparse
import platform
from fractions import Fraction
from pathlib import Path

import numpy as np
from _common import emit, median_time

from reluapprox import interpolate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    xs = np.sort(rng.uniform(0.0, 1.0, size=args.neurons + 1))
    ys = np.sin(8 * xs) + 0.1 * rng.standard_normal(xs.size)
    net = interpolate(xs, ys)
    points = rng.uniform(-0.1, 1.1, size=args.points)
    knots = np.array([float(t) for t in net.knots] + [float(xs[-1])])
    values = np.array([float(v) for v in net.knot_values] + [float(ys[-1])])

    t_interp = median_time(lambda: np.interp(points, knots, values), args.repeats)[0]
    t_net = median_time(lambda: net(points), args.repeats)[0]
    weights = np.array([float(w) for w in net.weights])
    t_knots = knots[:-1]
    chunk = points[:2_000]
    t_naive_chunk, _ = median_time(
        lambda: np.maximum(chunk[:, None] - t_knots[None, :], 0.0) @ weights + float(net.bias),
        max(1, args.repeats // 3),
    )
    t_naive = t_naive_chunk * args.points / chunk.size

    sample = points[:: max(1, args.points // 2_000)]
    computed = net(sample)
    worst_ulps = 0.0
    for p, value in zip(sample.tolist(), computed.tolist(), strict=True):
        exact = net.exact(p)
        k = max(0, int(np.searchsorted(t_knots, p, side="right")) - 1)
        scale = abs(float(exact)) + abs(float(net.slopes[k]) * (p - float(net.knots[k])))
        scale += abs(float(net.knot_values[k]))
        worst_ulps = max(worst_ulps, abs(float(Fraction(value) - exact)) / (2.0**-52 * scale))

    ratio = t_net / t_interp
    rows = [
        ("numpy.interp (baseline)", t_interp, 1.0),
        ("ShallowNetwork.__call__", t_net, ratio),
        ("naive relu matrix product (extrapolated)", t_naive, t_naive / t_interp),
    ]
    lines = [
        f"Measured with `python benchmarks/bench_shallow_eval.py` (N = {args.neurons:,} neurons, "
        f"M = {args.points:,} points, median of {args.repeats} runs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}).",
        "",
        "| method | time (s) | ratio to numpy.interp |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {t:.4f} | {r:.2f} |" for name, t, r in rows),
        "",
        f"Largest deviation from exact evaluation on {sample.size:,} sampled points: "
        f"{worst_ulps:.2f} ulps of \\(|f(t_k)| + |f(x)| + |\\sigma_k (x - t_k)|\\).",
    ]
    emit("\n".join(lines), args.write)
    print(f"\nratio ShallowNetwork / numpy.interp = {ratio:.3f} (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
