"""Benchmark: accuracy and time of ways to fit a 2-2-2 ReLU classifier to the course data.

Baseline (named ``Adam restarts``): full-batch Adam from random starts, the method of the
issue's quick search, measured in the same run as

- ``Adam + optimal output layer``: the same restarts, each output layer then replaced by
  the most accurate one for its hidden units (:func:`~reluapprox.twolayer.fit_output_layer`);
- ``search``: :func:`~reluapprox.twolayer.search_max_accuracy` with a fixed number of
  output-layer fits (reproducible), for a few seeds;
- ``convex-region bound``: :func:`~reluapprox.twolayer.convex_region_bound`, the certified
  upper bound on every 2-2-2 network;
- for context, wider two-layer networks ``2-h-2`` trained with Adam.

Accuracies of the 2-2-2 methods are exact counts; times are wall-clock on a shared machine.

Usage::

    python benchmarks/bench_twolayer.py [DATA.csv] [--restarts 100] [--seeds 0 1]
        [--max-candidates 3000] [--write docs/benchmarks/twolayer.md]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from _common import emit

from reluapprox.twolayer import (
    convex_region_bound,
    exact_accuracy,
    fit_output_layer,
    fit_threshold_rule,
    load_classification_csv,
    search_max_accuracy,
    train_two_layer,
)

ROOT = Path(__file__).resolve().parents[1]


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=ROOT / "data" / "data_HW2_ex1.csv")
    parser.add_argument("--restarts", type=int, default=100)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--max-candidates", type=int, default=3000)
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 4, 8, 16])
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)

    data = load_classification_csv(args.data)
    x, y, n = data.points, data.labels, data.n
    rows: list[tuple[str, str, str, str, str]] = []

    trained = train_two_layer(x, y, restarts=args.restarts, steps=args.steps, seed=0)
    per_restart = trained.seconds / args.restarts
    adam = [float(exact_accuracy(net, x, y)) for net in trained.networks]
    rows.append(
        (
            f"Adam restarts (baseline), {args.restarts} x {args.steps} steps, seed 0",
            pct(max(adam)),
            pct(statistics.median(adam)),
            f"{per_restart:.3f}",
            "1.00",
        )
    )
    start = time.perf_counter()
    refit = [float(exact_accuracy(fit_output_layer(net, x, y), x, y)) for net in trained.networks]
    refit_time = per_restart + (time.perf_counter() - start) / args.restarts
    rows.append(
        (
            "Adam + optimal output layer (same restarts)",
            pct(max(refit)),
            pct(statistics.median(refit)),
            f"{refit_time:.3f}",
            f"{refit_time / per_restart:.2f}",
        )
    )
    searches = []
    for seed in args.seeds:
        result = search_max_accuracy(
            x,
            y,
            restarts=args.restarts,
            steps=args.steps,
            seed=seed,
            time_budget=3600.0,
            max_candidates=args.max_candidates,
        )
        searches.append(result)
        reached = next(t for t, a in result.history if a == result.accuracy)
        rows.append(
            (
                f"search, seed {seed}, {result.candidates} output fits "
                f"(best reached after {reached:.0f} s)",
                pct(float(result.accuracy)),
                "-",
                f"{result.seconds:.1f} (whole search)",
                f"{result.seconds / per_restart:.0f}",
            )
        )
    start = time.perf_counter()
    bound = convex_region_bound(x, y)
    bound_time = time.perf_counter() - start
    rows.append(
        (
            "convex-region bound (upper bound, certified)",
            pct(float(bound.accuracy)),
            "-",
            f"{bound_time:.1f}",
            f"{bound_time / per_restart:.0f}",
        )
    )
    _, rule = fit_threshold_rule(x, y)
    rows.append(("Ex 1a rule: class 1 iff abs(x2) < t, best t", pct(float(rule)), "-", "-", "-"))

    wide_rows = []
    for h in args.widths:
        wide = train_two_layer(x, y, hidden=h, restarts=10, steps=args.steps, seed=0)
        wide_rows.append(
            (
                h,
                wide.networks[0].n_parameters,
                pct(wide.best_accuracy),
                pct(wide.median_accuracy),
                wide.seconds / 10,
            )
        )

    best_found = max(float(r.accuracy) for r in searches)
    lines = [
        f"Measured with `python benchmarks/bench_twolayer.py` on `{data.source.name}` "
        f"({n} points), Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}; times in seconds on a shared 2-core machine.",
        "",
        "| method (2-2-2, 12 parameters) | best accuracy | median | time per restart (s) "
        "| time ratio to Adam restart |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows),
        "",
        f"Best 2-2-2 accuracy found: {pct(best_found)}; certified upper bound: "
        f"{pct(float(bound.accuracy))} ({bound.correct} of {n}).",
        "",
        "| wider network 2-h-2 (Adam, 10 restarts, seed 0) | parameters | best | median "
        "| time per restart (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| h = {h} | {p} | {b} | {m} | {t:.3f} |" for h, p, b, m, t in wide_rows),
    ]
    emit("\n".join(lines), args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
