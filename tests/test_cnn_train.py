"""Training smoke run, outputs, atomic checkpoints, resume and evaluation on real images."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn.cli import main  # noqa: E402
from cnn.data import FashionMNIST, load_fashion_mnist  # noqa: E402
from cnn.evaluate import confusion_matrix, evaluate_checkpoint, export_weights  # noqa: E402
from cnn.models import DEFAULT_ARCH, build_model  # noqa: E402
from cnn.train import (  # noqa: E402
    TrainConfig,
    evaluate_tensors,
    load_checkpoint,
    load_initial_weights,
    normalise,
    recalibrate_batch_norm,
    train,
)
from reluapprox.errors import DataError, InvalidArgument  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.data]

LIMIT = 1000
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fmnist-cache")


@pytest.fixture(scope="module")
def small_data(fashion_mnist_dir: Path, cache_dir: Path) -> FashionMNIST:
    return load_fashion_mnist(fashion_mnist_dir, cache_dir=cache_dir).limited(LIMIT)


def _config(**kw: object) -> TrainConfig:
    base: dict[str, object] = {"epochs": 3, "seed": 1, "threads": 1, "lr": 0.02}
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_smoke_run_loss_decreases_and_writes_outputs(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    summary = train(_config(), small_data, tmp_path, progress=False)
    for name in ("metrics.csv", "loss.png", "accuracy.png", "model.pt", "summary.json"):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = _rows(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert list(rows[0]) == ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < losses[0]
    assert losses[-1] < math.log(10)  # better than the uniform guess
    assert float(rows[-1]["test_accuracy"]) > 0.2  # twice the chance level
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    assert saved["architecture"] == DEFAULT_ARCH
    assert saved["n_parameters"] <= 500
    assert saved["seed"] == 1
    assert saved["epochs"] == 3
    assert saved["wall_time_s"] > 0
    assert saved["test_accuracy"] == pytest.approx(float(rows[-1]["test_accuracy"]), abs=1e-6)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_same_seed_same_result_other_seed_differs(small_data: FashionMNIST, tmp_path: Path) -> None:
    a = train(_config(epochs=1), small_data, tmp_path / "a", progress=False, plots=False)
    b = train(_config(epochs=1), small_data, tmp_path / "b", progress=False, plots=False)
    c = train(_config(epochs=1, seed=2), small_data, tmp_path / "c", progress=False, plots=False)
    assert a["train_loss"] == b["train_loss"]
    assert (tmp_path / "a" / "metrics.csv").read_bytes() == (
        tmp_path / "b" / "metrics.csv"
    ).read_bytes()
    assert a["train_loss"] != c["train_loss"]


def _state_equal(p: Path, q: Path) -> bool:
    a = load_checkpoint(p)["model"]
    b = load_checkpoint(q)["model"]
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_resume_matches_uninterrupted_run(small_data: FashionMNIST, tmp_path: Path) -> None:
    config = _config(epochs=2, augment="flip+shift")
    train(config, small_data, tmp_path / "full", progress=False, plots=False)
    part = train(config, small_data, tmp_path / "part", progress=False, stop_after=1)
    assert part["epochs_done"] == 1
    assert len(_rows(tmp_path / "part" / "metrics.csv")) == 1
    assert load_checkpoint(tmp_path / "part" / "model.pt")["epoch"] == 1
    assert not _state_equal(tmp_path / "full" / "model.pt", tmp_path / "part" / "model.pt")
    train(config, small_data, tmp_path / "part", resume=True, progress=False, plots=False)
    assert (tmp_path / "part" / "metrics.csv").read_bytes() == (
        tmp_path / "full" / "metrics.csv"
    ).read_bytes()
    assert _state_equal(tmp_path / "full" / "model.pt", tmp_path / "part" / "model.pt")


def test_precise_bn_changes_statistics_not_the_weights(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    plain = train(_config(epochs=2), small_data, tmp_path / "plain", progress=False, plots=False)
    config = _config(epochs=2, precise_bn=True)
    precise = train(config, small_data, tmp_path / "pbn", progress=False, plots=False)
    assert precise["config"]["precise_bn"] is True
    a = load_checkpoint(tmp_path / "plain" / "model.pt")["model"]
    b = load_checkpoint(tmp_path / "pbn" / "model.pt")["model"]
    model = build_model(DEFAULT_ARCH)
    params = {name for name, _ in model.named_parameters()}
    assert all(torch.equal(a[k], b[k]) for k in params)  # the same training path
    assert not all(torch.equal(a[k], b[k]) for k in a if k.endswith("running_mean"))
    # the statistics are those that recalibrate_batch_norm computes on the plain weights
    model.load_state_dict(a)
    recalibrate_batch_norm(model, normalise(small_data.train_images), batch_size=128)
    for k, v in model.state_dict().items():  # other thread counts may round differently
        torch.testing.assert_close(v, b[k], rtol=1e-5, atol=1e-6)
    evaluated = evaluate_tensors(model, normalise(small_data.test_images), small_data.test_labels)
    assert precise["test_loss"] == pytest.approx(evaluated[0], rel=1e-5)
    assert abs(precise["test_loss"] - plain["test_loss"]) > 1e-4
    # an interrupted run with precise_bn resumes bit for bit
    train(config, small_data, tmp_path / "part", progress=False, plots=False, stop_after=1)
    train(config, small_data, tmp_path / "part", resume=True, progress=False, plots=False)
    assert _state_equal(tmp_path / "part" / "model.pt", tmp_path / "pbn" / "model.pt")
    with pytest.raises(InvalidArgument, match="precise_bn=1 is invalid"):
        _config(precise_bn=1)


def test_resume_refuses_other_configuration(small_data: FashionMNIST, tmp_path: Path) -> None:
    train(_config(epochs=2), small_data, tmp_path, progress=False, plots=False, stop_after=1)
    with pytest.raises(InvalidArgument, match="same configuration"):
        train(_config(epochs=2, lr=0.05), small_data, tmp_path, resume=True, progress=False)
    with pytest.raises(InvalidArgument, match="epochs=3 is invalid"):
        train(_config(epochs=3), small_data, tmp_path, resume=True, progress=False)


def test_new_run_over_an_earlier_one_needs_overwrite(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    train(_config(epochs=1), small_data, tmp_path, progress=False, plots=False)
    before = (tmp_path / "model.pt").read_bytes()
    with pytest.raises(InvalidArgument, match=r"out_dir=.* is invalid: .*resume.*overwrite"):
        train(_config(epochs=1, seed=5), small_data, tmp_path, progress=False)
    assert (tmp_path / "model.pt").read_bytes() == before
    fresh = train(_config(epochs=1, seed=5), small_data, tmp_path / "b", progress=False)
    again = train(_config(epochs=1, seed=5), small_data, tmp_path, overwrite=True, progress=False)
    assert again["test_accuracy"] == fresh["test_accuracy"]
    assert (tmp_path / "model.pt").read_bytes() != before


def test_corrupt_checkpoint_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="was refused: it is not plain data"):
        load_checkpoint(path)
    torch.save({"hello": torch.zeros(1)}, path)
    with pytest.raises(DataError, match="is not a cnn checkpoint"):
        load_checkpoint(path)
    with pytest.raises(DataError, match="does not exist"):
        load_checkpoint(tmp_path / "absent.pt")


def test_kill_9_during_training_keeps_a_valid_checkpoint(
    fashion_mnist_dir: Path, cache_dir: Path, small_data: FashionMNIST, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = [
        sys.executable, "-m", "cnn", "train", "--data-dir", str(fashion_mnist_dir),
        "--cache-dir", str(cache_dir), "--limit", str(LIMIT), "--epochs", "10", "--seed", "1",
        "--lr", "0.02", "--threads", "1", "--out", str(out), "--quiet",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            metrics = out / "metrics.csv"
            if metrics.is_file() and len(metrics.read_text().splitlines()) >= 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "training finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    done = load_checkpoint(out / "model.pt")["epoch"]
    assert 2 <= done < 10
    config = _config(epochs=10)
    train(config, small_data, out, resume=True, progress=False, plots=False)
    assert len(_rows(out / "metrics.csv")) == 10
    train(config, small_data, tmp_path / "full", progress=False, plots=False)
    assert (out / "metrics.csv").read_bytes() == (tmp_path / "full" / "metrics.csv").read_bytes()


def test_evaluate_saved_checkpoint(
    small_data: FashionMNIST,
    fashion_mnist_dir: Path,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = train(_config(epochs=1), small_data, tmp_path, progress=False, plots=False)
    result = evaluate_checkpoint(tmp_path / "model.pt", small_data)
    assert result["test_accuracy"] == summary["test_accuracy"]
    assert result["train_accuracy"] == summary["train_accuracy"]
    assert sum(map(sum, result["confusion_matrix"])) == LIMIT
    code = main(
        [
            "evaluate",
            "--checkpoint",
            str(tmp_path / "model.pt"),
            "--json",
            "--data-dir",
            str(fashion_mnist_dir),
            "--cache-dir",
            str(cache_dir),
            "--limit",
            str(LIMIT),
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["n_parameters"] == summary["n_parameters"]
    assert printed["test_accuracy"] == summary["test_accuracy"]
    assert printed["train_accuracy"] == summary["train_accuracy"]


def test_export_writes_weights_that_reproduce_their_summary(
    small_data: FashionMNIST,
    fashion_mnist_dir: Path,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    train(_config(epochs=1), small_data, tmp_path / "run", progress=False, plots=False)
    argv = ["export", "--checkpoint", str(tmp_path / "run" / "model.pt")]
    argv += ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache_dir)]
    argv += ["--limit", str(LIMIT)]
    original = load_checkpoint(tmp_path / "run" / "model.pt")["model"]
    for name, extra in (("plain", []), ("pbn", ["--precise-bn"])):
        assert main([*argv, "--dest", str(tmp_path / name), *extra]) == 0
        assert f"wrote {tmp_path / name}.pt" in capsys.readouterr().out
        saved = json.loads((tmp_path / f"{name}.json").read_text())
        assert saved["precise_bn"] is bool(extra)
        again = evaluate_checkpoint(tmp_path / f"{name}.pt", small_data)
        assert again["test_accuracy"] == saved["test_accuracy"]
        assert again["train_loss"] == saved["train_loss"]
        weights = load_checkpoint(tmp_path / f"{name}.pt")["model"]
        assert "optimizer" not in load_checkpoint(tmp_path / f"{name}.pt")
        same = {k: torch.equal(weights[k], original[k]) for k in original}
        statistics = [k for k in original if "running" in k]
        assert all(v for k, v in same.items() if k not in statistics)
        assert all(same[k] for k in statistics) is not bool(extra)
    with pytest.raises(InvalidArgument, match="model_state="):
        export_weights(tmp_path / "run" / "model.pt", tmp_path / "x", summary={}, model_state={})


def test_confusion_matrix_counts() -> None:
    labels = torch.tensor([0, 0, 1, 9])
    preds = torch.tensor([0, 1, 1, 0])
    m = confusion_matrix(labels, preds)
    assert m[0][0] == 1
    assert m[0][1] == 1
    assert m[1][1] == 1
    assert m[9][0] == 1
    assert sum(map(sum, m)) == 4


@pytest.mark.parametrize("name", ["best", "run24", "stmirror", "stnorm", "stmpl"])
def test_committed_weights_reproduce_reported_accuracy(
    name: str, fashion_mnist_dir: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # best: the documented model (the default of `evaluate`); run24: the documented run
    # before it; stmirror, stnorm and stmpl: the best runs of the earlier models
    weights = REPO / "cnn" / "weights"
    reported = json.loads((weights / f"{name}.json").read_text())
    args = ["evaluate", "--json", "--data-dir", str(fashion_mnist_dir)]
    args += ["--cache-dir", str(cache_dir)]
    if name != "best":
        args += ["--checkpoint", str(weights / f"{name}.pt")]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["architecture"] == reported["architecture"]
    assert result["n_parameters"] == reported["n_parameters"] <= 500
    assert result["test_accuracy"] == pytest.approx(reported["test_accuracy"], abs=1e-6)
    assert result["train_accuracy"] == pytest.approx(reported["train_accuracy"], abs=1e-6)
    assert result["n_test"] == 10000


def _teacher_logits(data: FashionMNIST, path: Path) -> Path:
    """Logits of a 'teacher' that is right with margin 3 on every training image."""
    logits = torch.nn.functional.one_hot(data.train_labels, 10).to(torch.float32) * 3.0
    torch.save(logits, path)
    return path


def test_distillation_trains_and_is_recorded(small_data: FashionMNIST, tmp_path: Path) -> None:
    logits = _teacher_logits(small_data, tmp_path / "teacher.pt")
    config = _config(epochs=2, distil_from=str(logits), temperature=2.0, alpha=0.3)
    summary = train(config, small_data, tmp_path / "kd", progress=False, plots=False)
    rows = _rows(tmp_path / "kd" / "metrics.csv")
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert summary["config"]["distil_from"] == str(logits)
    assert summary["config"]["alpha"] == 0.3
    plain = train(_config(epochs=2), small_data, tmp_path / "plain", progress=False, plots=False)
    assert summary["train_loss"] != plain["train_loss"]  # the teacher changed the training


def test_distillation_with_alpha_one_is_plain_training(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    # alpha = 1 gives the soft term weight 0: the same loss and gradients, bit for bit
    logits = _teacher_logits(small_data, tmp_path / "teacher.pt")
    kd = _config(epochs=1, distil_from=str(logits), alpha=1.0)
    train(kd, small_data, tmp_path / "kd", progress=False, plots=False)
    train(_config(epochs=1), small_data, tmp_path / "plain", progress=False, plots=False)
    assert (tmp_path / "kd" / "metrics.csv").read_bytes() == (
        tmp_path / "plain" / "metrics.csv"
    ).read_bytes()


def test_bad_teacher_logits_are_named(small_data: FashionMNIST, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"distil_from=.*no such file"):
        train(_config(distil_from=str(tmp_path / "absent.pt")), small_data, tmp_path / "a")
    wrong = tmp_path / "wrong.pt"
    torch.save(torch.zeros(7, 10), wrong)
    with pytest.raises(DataError, match=r"holds \(7, 10\): expected .* shape \(1000, 10\)"):
        train(_config(distil_from=str(wrong)), small_data, tmp_path / "b", progress=False)
    torch.save(torch.full((LIMIT, 10), math.nan), wrong)
    with pytest.raises(DataError, match="non-finite"):
        train(_config(distil_from=str(wrong)), small_data, tmp_path / "c", progress=False)
    # refused before any training, and before the output directory is made
    assert not any((tmp_path / d).exists() for d in "abc")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alpha", 1.5, r"alpha=1\.5 is invalid.*\[0, 1\]"),
        ("temperature", 0.0, "temperature=0.0 is invalid"),
    ],
)
def test_distillation_options_are_checked(field: str, value: float, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        TrainConfig(**{field: value})  # type: ignore[arg-type]


def test_init_from_starts_from_another_runs_weights(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    # stmirror for 2 epochs, then stshift started from its weights (the same state-dict keys)
    train(
        _config(epochs=2, arch="stmirror"), small_data, tmp_path / "a", progress=False, plots=False
    )
    first = tmp_path / "a" / "model.pt"
    model = build_model("stshift")
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    ckpt = load_initial_weights(model, first)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in ckpt["model"].items())
    assert not all(torch.equal(loaded[k], v) for k, v in fresh.items())
    config = _config(epochs=1, arch="stshift", lr=0.001, init_from=str(first))
    summary = train(config, small_data, tmp_path / "b", progress=False, plots=False)
    assert summary["config"]["init_from"] == str(first)
    # one epoch at a small rate moves the accuracy little from the starting point, far less
    # than one epoch from a fresh start does: the weights were taken over
    start = load_checkpoint(first)["metrics"][-1]["train_accuracy"]
    cold = train(
        _config(epochs=1, arch="stshift", lr=0.001),
        small_data,
        tmp_path / "c",
        progress=False,
        plots=False,
    )
    assert abs(summary["train_accuracy"] - start) < abs(cold["train_accuracy"] - start)


def test_init_from_with_weights_that_do_not_fit_is_named(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    train(_config(epochs=1, arch="stmpl"), small_data, tmp_path / "a", progress=False, plots=False)
    config = _config(epochs=1, init_from=str(tmp_path / "a" / "model.pt"))
    with pytest.raises(InvalidArgument, match=r"init_from=.* is invalid: .*holds 'stmpl'"):
        train(config, small_data, tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()
    with pytest.raises(DataError, match="does not exist"):
        train(_config(init_from=str(tmp_path / "absent.pt")), small_data, tmp_path / "c")
    with pytest.raises(InvalidArgument, match="init_from=3 is invalid"):
        TrainConfig(init_from=3)  # type: ignore[arg-type]
