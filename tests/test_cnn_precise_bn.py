"""The precise-batch-norm probe of docs/cnn-log.md (benchmarks/cnn_precise_bn.py) on real images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn.data import load_fashion_mnist  # noqa: E402
from cnn.evaluate import load_model  # noqa: E402
from cnn.train import evaluate_tensors, normalise, recalibrate_batch_norm  # noqa: E402
from tests._benchmarks import load_benchmark  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.data]

REPO = Path(__file__).resolve().parent.parent


def test_probe_reports_stored_and_recalibrated_accuracy(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    weights = REPO / "cnn" / "weights" / "stmirror.pt"
    threads = torch.get_num_threads()
    argv = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache), "--limit", "300"]
    assert load_benchmark("cnn_precise_bn").main([*argv, "--batch-size", "64", str(weights)]) == 0
    assert torch.get_num_threads() == threads
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"{weights} (stmirror, 4 batch norms): test accuracy ")
    result = json.loads(lines[-1])
    assert (result["n_train"], result["n_test"]) == (300, 300)
    (row,) = result["runs"]

    # the same numbers by hand: the stored statistics, then those of the 300 images
    data = load_fashion_mnist(fashion_mnist_dir, cache_dir=cache).limited(300)
    tx, vx = normalise(data.train_images), normalise(data.test_images)
    model, _ = load_model(weights)
    stored = evaluate_tensors(model, vx, data.test_labels)[1]
    recalibrate_batch_norm(model, tx, batch_size=64)
    fresh = evaluate_tensors(model, vx, data.test_labels)[1]
    assert row["test_accuracy"] == [stored, fresh]
    assert row["test_loss"][0] != row["test_loss"][1]  # other statistics, other logits
    assert row["batch_norm_layers"] == 4
