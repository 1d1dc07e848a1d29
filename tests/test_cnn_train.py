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
from cnn.data import FashionMNIST, load_fashion_mnist, validation_split  # noqa: E402
from cnn.evaluate import (  # noqa: E402
    confusion_matrix,
    evaluate_checkpoint,
    evaluate_model,
    export_weights,
    load_model,
)
from cnn.fold import FOLD_TOLERANCE, count_stored, log_probability_difference  # noqa: E402
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
VAL = 200  # validation images held out of the LIMIT training images
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fmnist-cache")


@pytest.fixture(scope="module")
def small_data(fashion_mnist_dir: Path, cache_dir: Path) -> FashionMNIST:
    return load_fashion_mnist(fashion_mnist_dir, cache_dir=cache_dir).limited(LIMIT)


def _config(**kw: object) -> TrainConfig:
    base: dict[str, object] = {"epochs": 3, "seed": 1, "threads": 1, "lr": 0.02}
    base |= {"val_size": VAL, "eval_test": True}
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
    assert list(rows[0]) == [
        "epoch",
        "train_loss",
        "test_loss",
        "train_accuracy",
        "test_accuracy",
        "val_loss",
        "val_accuracy",
    ]
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < losses[0]
    assert losses[-1] < math.log(10)  # better than the uniform guess
    # validation after every epoch, the test set only once, after the last
    assert all(float(r["val_accuracy"]) > 0 for r in rows)
    assert float(rows[-1]["val_accuracy"]) > 0.2  # twice the chance level
    assert [r["test_accuracy"] for r in rows[:-1]] == ["nan", "nan"]
    assert float(rows[-1]["test_accuracy"]) > 0.2
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    assert saved["architecture"] == DEFAULT_ARCH
    assert saved["n_parameters"] <= 500
    assert saved["seed"] == 1
    assert saved["epochs"] == 3
    assert saved["wall_time_s"] > 0
    assert saved["test_accuracy"] == pytest.approx(float(rows[-1]["test_accuracy"]), abs=1e-6)
    assert saved["val_accuracy"] == pytest.approx(float(rows[-1]["val_accuracy"]), abs=1e-6)
    assert (saved["n_train"], saved["n_fit"], saved["n_val"]) == (LIMIT, LIMIT - VAL, VAL)
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
    config = _config(epochs=2)
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
    fit, _ = validation_split(LIMIT, VAL)  # the images trained on, not the held-out ones
    recalibrate_batch_norm(model, normalise(small_data.train_images[fit]), batch_size=128)
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
        "--val-size", str(VAL), "--eval-test",
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
    result = evaluate_checkpoint(tmp_path / "model.pt", small_data, split="both")
    assert result["test_accuracy"] == summary["test_accuracy"]
    assert result["n_train"] == result["n_test"] == LIMIT
    assert 0.1 < result["train_accuracy"] < 1
    assert result["confusion_split"] == "test"
    assert sum(map(sum, result["confusion_matrix"])) == LIMIT
    only_train = evaluate_checkpoint(tmp_path / "model.pt", small_data, split="train")
    assert "test_accuracy" not in only_train
    assert only_train["train_accuracy"] == result["train_accuracy"]
    with pytest.raises(InvalidArgument, match="split='val' is invalid"):
        evaluate_checkpoint(tmp_path / "model.pt", small_data, split="val")
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
    assert "train_accuracy" not in printed  # --split test by default


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
    assert main([*argv, "--dest", str(tmp_path / "plain")]) == 0
    assert f"wrote {tmp_path / 'plain'}.pt" in capsys.readouterr().out
    saved = json.loads((tmp_path / "plain.json").read_text())
    assert (saved["precise_bn"], saved["folded"]) == (False, False)
    assert saved["n_stored"] == saved["n_stored_unfolded"] == 494 + 80
    again = evaluate_checkpoint(tmp_path / "plain.pt", small_data, split="both")
    assert again["test_accuracy"] == saved["test_accuracy"]
    assert again["train_loss"] == saved["train_loss"]
    weights = load_checkpoint(tmp_path / "plain.pt")["model"]
    assert "optimizer" not in load_checkpoint(tmp_path / "plain.pt")
    assert all(torch.equal(weights[k], original[k]) for k in original)
    with pytest.raises(InvalidArgument, match="model_state="):
        export_weights(tmp_path / "run" / "model.pt", tmp_path / "x", summary={}, model_state={})
    # --protocol records the seeds' figures in the JSON; a file that is not an object is refused
    (tmp_path / "seeds.json").write_text('{"seeds": [10, 11], "median_test_accuracy": 0.5}')
    protocol = ["--protocol", str(tmp_path / "seeds.json"), "--dest", str(tmp_path / "p")]
    assert main([*argv, *protocol]) == 0
    assert json.loads((tmp_path / "p.json").read_text())["protocol"]["seeds"] == [10, 11]
    (tmp_path / "bad.json").write_text("[1, 2]")
    capsys.readouterr()
    bad = ["--protocol", str(tmp_path / "bad.json"), "--dest", str(tmp_path / "q")]
    assert main([*argv, *bad]) == 2
    assert "--protocol=" in capsys.readouterr().err
    assert not list(tmp_path.glob("q.*"))


def test_export_precise_bn_on_a_subset_is_refused(
    small_data: FashionMNIST,
    fashion_mnist_dir: Path,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # statistics re-estimated on N images would be written as the deployable weights
    train(_config(epochs=1), small_data, tmp_path / "run", progress=False, plots=False)
    argv = ["export", "--checkpoint", str(tmp_path / "run" / "model.pt"), "--precise-bn"]
    argv += ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache_dir)]
    assert main([*argv, "--limit", "300", "--dest", str(tmp_path / "pbn")]) == 2
    assert "--limit=300 with --precise-bn is refused" in capsys.readouterr().err
    assert not list(tmp_path.glob("pbn*"))


def test_export_fold_keeps_the_logits_and_counts_every_number(
    small_data: FashionMNIST,
    fashion_mnist_dir: Path,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    train(_config(epochs=1), small_data, tmp_path / "run", progress=False, plots=False)
    argv = ["export", "--checkpoint", str(tmp_path / "run" / "model.pt"), "--fold"]
    argv += ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache_dir)]
    assert main([*argv, "--limit", str(LIMIT), "--dest", str(tmp_path / "folded")]) == 0
    capsys.readouterr()
    saved = json.loads((tmp_path / "folded.json").read_text())
    assert saved["folded"] is True
    assert (saved["n_stored_unfolded"], saved["n_stored"]) == (574, 507)
    assert saved["n_stored_batch_norm_folded"] == 532
    assert saved["n_parameters"] == 494  # the trained network's count
    assert saved["fold_max_abs_logit_difference"] <= FOLD_TOLERANCE
    assert saved["deployable_max_abs_log_probability_difference"] <= FOLD_TOLERANCE
    assert saved["deployable_changed_test_predictions"] == 0
    folded, ckpt = load_model(tmp_path / "folded.pt")
    assert ckpt["folded"] is True
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules())
    plain, _ = load_model(tmp_path / "run" / "model.pt")
    x = normalise(small_data.test_images[:300])
    with torch.no_grad():
        a, b = plain(x), folded(x)
    assert log_probability_difference(a, b) <= FOLD_TOLERANCE
    assert torch.equal(a.argmax(1), b.argmax(1))
    again = evaluate_checkpoint(tmp_path / "folded.pt", small_data)
    assert again["test_accuracy"] == saved["test_accuracy"]
    assert (again["n_parameters"], again["n_stored"]) == (494, 507)
    # a folded file is not folded again
    twice = [*argv, "--limit", "50", "--dest", str(tmp_path / "twice")]
    assert main([*twice, "--checkpoint", str(tmp_path / "folded.pt")]) == 2
    assert "already folded" in capsys.readouterr().err


def test_confusion_matrix_counts() -> None:
    labels = torch.tensor([0, 0, 1, 9])
    preds = torch.tensor([0, 1, 1, 0])
    m = confusion_matrix(labels, preds)
    assert m[0][0] == 1
    assert m[0][1] == 1
    assert m[1][1] == 1
    assert m[9][0] == 1
    assert sum(map(sum, m)) == 4


@pytest.mark.parametrize("name", ["best", "stmirror"])
def test_committed_weights_reproduce_reported_accuracy(
    name: str, fashion_mnist_dir: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # best: the documented model (the default of `evaluate`); stmirror: phase-1 weights of
    # the earlier recipe run31 (seed 0), kept for the log and the precise-BN probe
    weights = REPO / "cnn" / "weights"
    reported = json.loads((weights / f"{name}.json").read_text())
    args = ["evaluate", "--json", "--split", "both", "--data-dir", str(fashion_mnist_dir)]
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


@pytest.mark.parametrize(("name", "stored"), [("best-folded", 507), ("strict-folded", 450)])
def test_committed_deployable_models_count_every_number_and_reproduce_their_accuracy(
    name: str, stored: int, fashion_mnist_dir: Path, cache_dir: Path
) -> None:
    weights = REPO / "cnn" / "weights"
    reported = json.loads((weights / f"{name}.json").read_text())
    model, ckpt = load_model(weights / f"{name}.pt")
    assert ckpt["folded"] is True
    assert count_stored(model) == reported["n_stored"] == stored
    assert reported["deployable_changed_test_predictions"] == 0
    assert reported["protocol"]["seeds"] == [10, 11, 12, 13, 14]
    data = load_fashion_mnist(fashion_mnist_dir, cache_dir=cache_dir)
    result = evaluate_model(model, data, split="test")
    assert result["test_accuracy"] == pytest.approx(reported["test_accuracy"], abs=1e-6)
    assert reported["test_accuracy"] in reported["protocol"]["test_accuracies"]


def test_validation_split_is_held_out_of_training(small_data: FashionMNIST, tmp_path: Path) -> None:
    # training with a validation split is training on the other images only: bit for bit
    # the run on the data set without the held-out images
    fit, val = validation_split(LIMIT, VAL)
    held = train(_config(epochs=1), small_data, tmp_path / "held", progress=False, plots=False)
    subset = FashionMNIST(
        small_data.train_images[fit],
        small_data.train_labels[fit],
        small_data.test_images,
        small_data.test_labels,
        small_data.source,
    )
    config = _config(epochs=1, val_size=0)
    alone = train(config, subset, tmp_path / "alone", progress=False, plots=False)
    assert _state_equal(tmp_path / "held" / "model.pt", tmp_path / "alone" / "model.pt")
    assert held["train_loss"] == alone["train_loss"]
    assert held["test_accuracy"] == alone["test_accuracy"]
    assert alone["val_accuracy"] is None  # no validation split: nothing to report
    # the validation accuracy is that of the held-out images
    model, _ = load_model(tmp_path / "held" / "model.pt")
    x = normalise(small_data.train_images[val])
    assert evaluate_tensors(model, x, small_data.train_labels[val])[1] == held["val_accuracy"]
    # a split as large as the training set is refused before any work
    with pytest.raises(InvalidArgument, match="val_size=1000 is invalid"):
        train(_config(val_size=LIMIT), small_data, tmp_path / "big", progress=False)
    assert not (tmp_path / "big").exists()


def test_run_without_eval_test_never_scores_the_test_set(
    small_data: FashionMNIST, tmp_path: Path
) -> None:
    summary = train(
        _config(epochs=1, eval_test=False), small_data, tmp_path, progress=False, plots=False
    )
    assert summary["test_accuracy"] is None
    assert summary["val_accuracy"] is not None
    assert _rows(tmp_path / "metrics.csv")[0]["test_accuracy"] == "nan"


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
    logreg = _config(epochs=1, arch="logreg", budget=8000)
    train(logreg, small_data, tmp_path / "a", progress=False, plots=False)
    config = _config(epochs=1, init_from=str(tmp_path / "a" / "model.pt"))
    with pytest.raises(InvalidArgument, match=r"init_from=.* is invalid: .*holds 'logreg'"):
        train(config, small_data, tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()
    with pytest.raises(DataError, match="does not exist"):
        train(_config(init_from=str(tmp_path / "absent.pt")), small_data, tmp_path / "c")
    with pytest.raises(InvalidArgument, match="init_from=3 is invalid"):
        TrainConfig(init_from=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value"),
    [("optimizer", "sgd"), ("augment", "flip"), ("label_smoothing", 0.1), ("distil_from", "t.pt")],
)
def test_saved_config_with_a_removed_option_is_refused(key: str, value: object) -> None:
    # a run that used an option of an earlier version cannot be continued as if it had not
    saved = {"arch": "stmirror", "epochs": 2, key: value}
    with pytest.raises(InvalidArgument, match=rf"{key}=.* is invalid: .*removed.*5402619"):
        TrainConfig.from_dict(saved)
    plain = TrainConfig.from_dict({"arch": "stmirror", "optimizer": "adamw", "augment": "none"})
    assert (plain.val_size, plain.eval_test) == (0, True)  # a run from before the split
