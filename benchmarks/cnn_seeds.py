"""Accuracy of a recipe over seeds, from the ``summary.json`` of finished ``reproduce`` runs.

Each argument is the output directory of one ``python -m cnn reproduce`` run (one seed).
The script reads the runs' own summaries (nothing is trained or evaluated again) and
prints a Markdown table: one row per seed (validation accuracy after the last epoch, test
accuracy, scored once, and wall time), then the median, minimum and maximum over seeds,
the standard error of the mean over seeds (sample standard deviation / sqrt(seeds)) and
the binomial standard error of one test accuracy, sqrt(p (1 - p) / n) at the median p::

    python benchmarks/cnn_seeds.py runs/final/s10 runs/final/s11 ... --write docs/cnn-seeds.md

With ``--json FILE`` the same figures are also written as JSON (for
``cnn/weights/best.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit


def read_runs(dirs: list[Path]) -> list[dict[str, Any]]:
    """The ``summary.json`` of each run directory; every run must have scored the test set."""
    runs = []
    for d in dirs:
        summary = json.loads((d / "summary.json").read_text())
        if summary.get("test_accuracy") is None:
            raise SystemExit(f"{d}: the test set was not scored (train with --eval-test)")
        runs.append(summary | {"dir": str(d)})
    recipes = {r["recipe"] for r in runs}
    if len(recipes) != 1:
        raise SystemExit(f"runs of different recipes: {sorted(recipes)}")
    return runs


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, minimum, maximum and standard errors of the runs' test accuracies."""
    test = [float(r["test_accuracy"]) for r in runs]
    val = [float(r["val_accuracy"]) for r in runs]
    median = statistics.median(test)
    n_test = int(runs[0]["phase_summaries"][-1]["n_test"])
    return {
        "recipe": runs[0]["recipe"],
        "architecture": runs[0]["architecture"],
        "seeds": [int(r["seed"]) for r in runs],
        "val_size": int(runs[0]["val_size"]),
        "val_seed": int(runs[0]["val_seed"]),
        "test_accuracies": test,
        "val_accuracies": val,
        "median_test_accuracy": median,
        "min_test_accuracy": min(test),
        "max_test_accuracy": max(test),
        "median_val_accuracy": statistics.median(val),
        "se_mean_over_seeds": statistics.stdev(test) / math.sqrt(len(test))
        if len(test) > 1
        else None,
        "se_one_accuracy": math.sqrt(median * (1 - median) / n_test),
        "n_test": n_test,
        "wall_time_s": [float(r["wall_time_s"]) for r in runs],
    }


def table(runs: list[dict[str, Any]], agg: dict[str, Any]) -> str:
    """The Markdown table of the runs and of the aggregate."""
    lines = [
        "| seed | validation accuracy | test accuracy | training time (min) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['seed']} | {100 * r['val_accuracy']:.2f} % | {100 * r['test_accuracy']:.2f} % "
            f"| {r['wall_time_s'] / 60:.1f} |"
        )
    se = agg["se_mean_over_seeds"]
    lines.append(
        f"| median (min-max) | {100 * agg['median_val_accuracy']:.2f} % | "
        f"**{100 * agg['median_test_accuracy']:.2f} %** "
        f"({100 * agg['min_test_accuracy']:.2f}-{100 * agg['max_test_accuracy']:.2f}) | "
        f"{statistics.median(agg['wall_time_s']) / 60:.1f} |"
    )
    lines.append("")
    lines.append(
        f"Recipe `{agg['recipe']}` ({agg['architecture']}), {len(runs)} seeds, validation split "
        f"of {agg['val_size']:,} training images (seed {agg['val_seed']}). Standard error of the "
        + (f"mean over seeds: {100 * se:.2f} points; " if se is not None else "")
        + f"binomial standard error of one test accuracy on {agg['n_test']:,} images: "
        f"{100 * agg['se_one_accuracy']:.2f} points."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", type=Path, nargs="+", help="output directories of reproduce runs")
    p.add_argument("--write", type=Path, default=None, help="also write the table here")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = p.parse_args(argv)
    runs = read_runs(args.runs)
    agg = aggregate(runs)
    emit(table(runs, agg), args.write)
    if args.json is not None:
        args.json.write_text(json.dumps(agg, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
