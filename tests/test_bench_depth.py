"""The depth benchmark runs, writes its table and figure, and its checks hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from reluapprox.deep import plot_neuron_counts
from reluapprox.errors import InvalidArgument
from tests._benchmarks import load_benchmark

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_bench_depth_writes_table_and_figure(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    table, figure = tmp_path / "depth.md", tmp_path / "depth.png"
    argv = ["--eps", "1e-3", "--out", str(table), "--figure", str(figure)]
    assert load_benchmark("bench_depth").main(argv) == 0
    rows = [
        line for line in table.read_text().splitlines() if line.startswith("| ") and "0.001" in line
    ]
    assert len(rows) == 5
    assert rows[0].startswith("| x² | 0.001 | 16 | 16 | 11 | 7 (3) |")
    assert figure.read_bytes().startswith(PNG_MAGIC)


def test_plot_neuron_counts_refuses_no_panels(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="panels="):
        plot_neuron_counts({}, tmp_path / "x.png")
