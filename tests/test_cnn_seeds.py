"""benchmarks/cnn_seeds.py: the figures over seeds come from the runs' own summaries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests._benchmarks import load_benchmark


def _run(root: Path, seed: int, test: float | None, *, recipe: str = "r") -> Path:
    d = root / f"s{seed}"
    d.mkdir()
    summary = {
        "recipe": recipe,
        "architecture": "a",
        "seed": seed,
        "val_accuracy": test - 0.01 if test is not None else 0.5,
        "test_accuracy": test,
        "val_size": 10000,
        "val_seed": 5,
        "wall_time_s": 60.0 * seed,
        "phase_summaries": [{"n_test": 10000}],
    }
    (d / "summary.json").write_text(json.dumps(summary))
    return d


def test_median_min_max_and_standard_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accs = [0.881, 0.879, 0.884, 0.876, 0.880]
    dirs = [_run(tmp_path, s, a) for s, a in zip(range(1, 6), accs, strict=True)]
    out = tmp_path / "figures.json"
    assert load_benchmark("cnn_seeds").main([*map(str, dirs), "--json", str(out)]) == 0
    agg = json.loads(out.read_text())
    assert agg["seeds"] == [1, 2, 3, 4, 5]
    assert (agg["median_test_accuracy"], agg["min_test_accuracy"], agg["max_test_accuracy"]) == (
        0.880,
        0.876,
        0.884,
    )
    mean = sum(accs) / 5
    sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / 4)
    assert agg["se_mean_over_seeds"] == pytest.approx(sd / math.sqrt(5))
    assert agg["se_one_accuracy"] == pytest.approx(math.sqrt(0.88 * 0.12 / 10000))
    text = capsys.readouterr().out
    assert "| median (min-max) | 87.00 % | **88.00 %** (87.60-88.40) | 3.0 |" in text
    assert "| 3 | 87.40 % | 88.40 % | 3.0 |" in text


def test_runs_without_test_figure_or_of_two_recipes_are_refused(tmp_path: Path) -> None:
    bench = load_benchmark("cnn_seeds")
    with pytest.raises(SystemExit, match="not scored"):
        bench.main([str(_run(tmp_path, 1, None))])
    a, b = _run(tmp_path, 2, 0.88, recipe="x"), _run(tmp_path, 3, 0.87, recipe="y")
    with pytest.raises(SystemExit, match="different recipes"):
        bench.main([str(a), str(b)])
