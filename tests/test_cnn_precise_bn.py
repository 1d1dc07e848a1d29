"""The precise-batch-norm probe of docs/cnn-log.md (benchmarks/cnn_precise_bn.py) on real images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn.data import load_fashion_mnist, validation_split  # noqa: E402
from cnn.evaluate import load_model  # noqa: E402
from cnn.train import (  # noqa: E402
    TrainConfig,
    evaluate_tensors,
    normalise,
    recalibrate_batch_norm,
    train,
)
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
    argv += ["--split", "test", "--batch-size", "64", str(weights)]
    assert load_benchmark("cnn_precise_bn").main(argv) == 0
    assert torch.get_num_threads() == threads
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"{weights} (stmirror, 4 batch norms): test accuracy ")
    result = json.loads(lines[-1])
    (row,) = result["runs"]
    assert (row["n_train"], row["n_held_out"]) == (300, 300)

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


def test_probe_uses_the_runs_own_validation_split_and_not_the_test_set(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    data = load_fashion_mnist(fashion_mnist_dir, cache_dir=cache).limited(240)
    config = TrainConfig(epochs=1, batch_size=32, val_size=60, val_seed=7, seed=3)
    train(config, data, tmp_path / "run", progress=False, plots=False)
    weights = tmp_path / "run" / "model.pt"
    argv = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache), "--limit", "240"]
    assert load_benchmark("cnn_precise_bn").main([*argv, "--batch-size", "32", str(weights)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert " validation accuracy " in lines[0]
    result = json.loads(lines[-1])
    assert result["split"] == "validation"
    (row,) = result["runs"]
    assert (row["n_train"], row["n_held_out"]) == (180, 60)
    assert "test_accuracy" not in row

    # the same by hand: statistics of the 180 training images, scored on the 60 held out
    fit, val = validation_split(240, 60, seed=7)
    x = normalise(data.train_images)
    model, _ = load_model(weights)
    stored = evaluate_tensors(model, x[val], data.train_labels[val])[1]
    recalibrate_batch_norm(model, x[fit], batch_size=32)
    fresh = evaluate_tensors(model, x[val], data.train_labels[val])[1]
    assert row["validation_accuracy"] == [stored, fresh]
    # the stored statistics are the run's own: its last epoch scored the same accuracy
    assert stored == pytest.approx(
        json.loads((tmp_path / "run" / "summary.json").read_text())["val_accuracy"]
    )


def test_probe_refuses_a_run_without_validation_split(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = REPO / "cnn" / "weights" / "stmirror.pt"
    argv = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path), "--limit", "50"]
    with pytest.raises(SystemExit) as refused:
        load_benchmark("cnn_precise_bn").main([*argv, str(weights)])
    # argparse's error exit, for this reason (not any other SystemExit, e.g. a usage error)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert f"{weights} was trained without a validation split (val_size=0)" in err
