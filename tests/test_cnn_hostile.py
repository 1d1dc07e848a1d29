"""Hostile input to cnn (issue 17): gzip bombs, crafted and damaged checkpoints, odd batches.

Each test is a reproducer of the issue: before the fix it raised a raw exception, grew
the memory or accepted a changed weight; now it gets one line naming the file and the
field (exit code 1 or 2 on the command line).
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import struct
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from cnn.checkpoint import CHECKPOINT_FORMAT, content_digest, read_checkpoint, seal  # noqa: E402
from cnn.cli import main  # noqa: E402
from cnn.data import MAX_COUNT, FashionMNIST, load_fashion_mnist, read_idx  # noqa: E402
from cnn.evaluate import DEFAULT_CHECKPOINT, export_weights, load_model  # noqa: E402
from cnn.models import build_model, count_parameters  # noqa: E402
from cnn.train import (  # noqa: E402
    TrainConfig,
    batch_bounds,
    load_checkpoint,
    train,
)
from reluapprox.errors import DataError, InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch

REPO = Path(__file__).resolve().parent.parent
ARCH = "stmirror"  # with a BatchNorm1d (which fails on one image)


def _bomb(path: Path, *, count: int, megabytes: int) -> Path:
    """An images file: a valid header for ``count`` images, then ``megabytes`` MB of zeros.

    One gzip member of 1 MB of zeros, repeated (gzip reads concatenated members as one
    stream): a file of about 1 KB per decompressed MB.
    """
    header = gzip.compress(struct.pack(">IIII", 0x803, count, 28, 28))
    path.write_bytes(header + gzip.compress(bytes(1 << 20), compresslevel=9) * megabytes)
    return path


def _data(n_train: int, n_test: int = 20, seed: int = 0) -> FashionMNIST:
    gen = torch.Generator().manual_seed(seed)
    return FashionMNIST(
        train_images=torch.randint(0, 256, (n_train, 28, 28), generator=gen, dtype=torch.uint8),
        train_labels=torch.randint(0, 10, (n_train,), generator=gen),
        test_images=torch.randint(0, 256, (n_test, 28, 28), generator=gen, dtype=torch.uint8),
        test_labels=torch.randint(0, 10, (n_test,), generator=gen),
        source=Path("synthetic"),
    )


def _config(**kw: Any) -> TrainConfig:
    base: dict[str, Any] = {"arch": ARCH, "epochs": 2, "threads": 1, "batch_size": 16}
    return TrainConfig(**(base | kw))


def _weights(path: Path, **changes: Any) -> Path:
    """A sealed weights file of an untrained ``ARCH``, with ``changes`` to its entries."""
    model = build_model(ARCH)
    ckpt: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "arch": ARCH,
        "n_parameters": count_parameters(model),
        "config": asdict(_config()),
        "model": model.state_dict(),
        "epoch": 0,
        "metrics": [],
    }
    for key, value in changes.items():
        if value is None:
            del ckpt[key]
        else:
            ckpt[key] = value
    torch.save(seal(ckpt), path)
    return path


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return code, err


# --- item 10: a gzip bomb as a Fashion-MNIST file ---------------------------------------


def test_gzip_bomb_is_refused_at_the_declared_size(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "train-images-idx3-ubyte.gz", count=60000, megabytes=300)
    assert bomb.stat().st_size < 1_000_000  # 300 MB of zeros in under 1 MB
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz is too long.*47040016"):
            read_idx(bomb, kind="images", expected_count=60000)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seconds < 10  # about 0.3 s: 47 MB decompressed, not 300 MB
    assert peak < 150 * 2**20  # the declared 47 MB (and a copy), not the 300 MB


def test_header_counts_are_checked_before_reading(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "x.gz", count=2**32 - 1, megabytes=50)
    start = time.perf_counter()
    with pytest.raises(DataError, match=rf"x.gz declares 4294967295 images, more than {MAX_COUNT}"):
        read_idx(bomb, kind="images")
    with pytest.raises(DataError, match=r"x.gz declares 4294967295 images, expected 10000"):
        read_idx(bomb, kind="images", expected_count=10000)
    assert time.perf_counter() - start < 1
    small = _bomb(tmp_path / "y.gz", count=3, megabytes=50)
    with pytest.raises(DataError, match=r"y.gz is too long: more than the 2368 bytes"):
        read_idx(small, kind="images")


def test_gzip_bomb_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    bomb = _bomb(data_dir / "train-images-idx3-ubyte.gz", count=60000, megabytes=200)
    with pytest.raises(DataError, match="too long"):
        load_fashion_mnist(data_dir, cache_dir=tmp_path / "cache")
    argv = ["train", "--data-dir", str(data_dir), "--out", str(tmp_path / "o"), "--dry-run"]
    code, err = _one_line_error([*argv, "--cache-dir", str(tmp_path / "cache")], capsys)
    assert code == 1
    assert f"{bomb} is too long" in err


# --- item 16: crafted checkpoints that weights_only accepts -------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arch": None}, r"arch=None is invalid: expected one of \["),
        ({"arch": "huge"}, r"arch='huge' is invalid"),
        ({"model": [1, 2]}, r"model=\[1, 2\] is invalid: expected a state dict"),
        ({"model": {"w": 1.0}}, r"model=\{'w': 1.0\} is invalid"),
        ({"config": [1]}, r"config=\[1\] is invalid: expected a dict"),
        ({"config": asdict(_config()) | {"batch_size": 1.5}}, r"config: batch_size=1.5 is invalid"),
        ({"config": asdict(_config()) | {"arch": "stshift"}}, r"config=.* is invalid"),
        ({"epoch": "3"}, r"epoch='3' is invalid: expected an integer >= 0"),
        ({"metrics": None}, r"metrics=None is invalid"),
        ({"metrics": [{"epoch": 1}]}, r"metrics=\[\{'epoch': 1\}\] is invalid"),
    ],
)
def test_crafted_checkpoint_names_file_and_field(
    changes: dict[str, Any], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _weights(tmp_path / "crafted.pt", **changes)
    with pytest.raises(DataError, match=rf"checkpoint {path}: {message}"):
        load_model(path)
    code, err = _one_line_error(["evaluate", "--checkpoint", str(path)], capsys)
    assert code == 1
    assert str(path) in err


def test_weights_that_do_not_fit_are_named_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = build_model(ARCH).state_dict()
    state = {k: v[:1] if v.ndim else v for k, v in state.items()}
    path = _weights(tmp_path / "shapes.pt", model=state)
    code, err = _one_line_error(["evaluate", "--checkpoint", str(path)], capsys)
    assert code == 1
    assert f"checkpoint {path} does not fit 'stmirror': Error(s) in loading" in err


def test_code_bearing_pickle_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path.touch, (marker,))

    zipped = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "payload": Payload()}, zipped)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(Payload(), protocol=4))  # an old-style pickle file
    for path in (zipped, raw):
        code, err = _one_line_error(["evaluate", "--checkpoint", str(path)], capsys)
        assert code == 1
        assert f"checkpoint {path} was refused: it is not plain data" in err
        assert "nothing in it was run" in err
    assert not marker.exists()


def test_unsealed_and_foreign_checkpoints_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.pt"
    torch.save({"format": "cnn-checkpoint-v1", "model": {}}, path)
    with pytest.raises(DataError, match=r"old.pt has format 'cnn-checkpoint-v1'.*digest"):
        read_checkpoint(path)
    torch.save({"format": CHECKPOINT_FORMAT, "model": {}}, path)
    with pytest.raises(DataError, match=r"old.pt has no valid 'digest' entry"):
        read_checkpoint(path)
    with pytest.raises(ValueError, match="an object of type device"):
        seal({"format": CHECKPOINT_FORMAT, "odd": torch.device("cpu")})
    torch.save({"format": CHECKPOINT_FORMAT, "odd": torch.device("cpu"), "digest": "x"}, path)
    with pytest.raises(DataError, match=r"holds an object of type device"):
        read_checkpoint(path)
    nested: list[object] = []
    for _ in range(40):
        nested = [nested]
    torch.save({"format": CHECKPOINT_FORMAT, "odd": nested, "digest": "x"}, path)
    with pytest.raises(DataError, match=r"nested more than 32 levels"):
        read_checkpoint(path)


def test_resume_from_a_weights_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    _weights(out / "model.pt")
    with pytest.raises(DataError, match=r"model.pt has no optimizer state: it is a weights file"):
        train(_config(), _data(64), out, resume=True, progress=False, plots=False)


def test_resume_with_a_state_that_does_not_fit_is_named(tmp_path: Path) -> None:
    config = _config(epochs=2)
    train(config, _data(64), tmp_path, progress=False, plots=False, stop_after=1)
    ckpt = read_checkpoint(tmp_path / "model.pt")
    for field, value in (
        ("optimizer", {"state": {}, "param_groups": []}),
        ("optimizer", ckpt["optimizer"] | {"param_groups": [{"lr": "fast"}, {}]}),
        ("scheduler", ckpt["scheduler"] | {"total_steps": "many"}),
        ("generator", torch.zeros(3, dtype=torch.uint8)),
        ("scheduler", [0]),
        ("wall_time_s", float("nan")),
        ("n_train", None),
    ):
        torch.save(seal(ckpt | {field: value}), tmp_path / "model.pt")
        with pytest.raises(DataError, match=rf"model.pt: {field}=[^\n]* is invalid"):
            train(config, _data(64), tmp_path, resume=True, progress=False, plots=False)


def test_resume_with_other_data_lists_the_differences(tmp_path: Path) -> None:
    train(_config(), _data(70), tmp_path, progress=False, plots=False, stop_after=1)
    with pytest.raises(InvalidArgument, match=r"had n_train 70 \(now 69\)$"):
        train(_config(), _data(70).limited(69), tmp_path, resume=True, progress=False)
    with pytest.raises(InvalidArgument, match=r"had lr 0.02 \(now 0.05\), n_test 20 \(now 10\)$"):
        train(_config(lr=0.05), _data(70, 10), tmp_path, resume=True, progress=False)
    done = train(_config(), _data(70), tmp_path, resume=True, progress=False, plots=False)
    assert done["epochs_done"] == 2


@pytest.mark.data
def test_resume_with_another_limit_on_the_command_line(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path / "c")]
    argv += ["--arch", ARCH, "--epochs", "2", "--threads", "1", "--out", str(tmp_path / "o")]
    argv += ["--quiet", "--batch-size", "64", "--val-size", "0"]
    assert main([*argv, "--limit", "130", "--stop-after", "1"]) == 0
    capsys.readouterr()
    code, err = _one_line_error([*argv, "--limit", "129", "--resume"], capsys)
    assert code == 2
    assert "n_train 130 (now 129), n_test 130 (now 129)" in err


# --- item 16: batches of one image ----------------------------------------------------


def test_last_batch_of_one_image_joins_the_one_before(tmp_path: Path) -> None:
    assert batch_bounds(129, 128) == [0, 129]
    assert batch_bounds(130, 128) == [0, 128, 130]
    assert batch_bounds(3, 1) == [0, 1, 2, 3]
    # 65 = 4 * 16 + 1: the last batch of one image used to crash in BatchNorm1d
    summary = train(_config(epochs=1), _data(65), tmp_path, progress=False, plots=False)
    assert summary["epochs_done"] == 1
    assert summary["n_train"] == 65
    # 4 optimiser steps in all: torch's OneCycleLR divided by zero (a one-step warm-up)
    summary = train(_config(epochs=1), _data(64), tmp_path, overwrite=True, progress=False)
    assert summary["epochs_done"] == 1


def test_batch_size_one_with_batch_norm_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"batch_size=1 is invalid: .*batch normalisation"):
        train(_config(batch_size=1), _data(10), tmp_path, progress=False, plots=False)
    with pytest.raises(DataError, match=r"training set holds 1 image"):
        train(_config(), _data(1), tmp_path, progress=False, plots=False)
    with pytest.raises(InvalidArgument, match=r"batch_size=1 is invalid: .*precise_bn"):
        _config(batch_size=1, precise_bn=True)
    assert not (tmp_path / "model.pt").exists()
    # without batch normalisation, batches of one image train as asked
    summary = train(
        _config(arch="logreg", budget=8000, batch_size=1, epochs=1),
        _data(5),
        tmp_path,
        progress=False,
    )
    assert summary["epochs_done"] == 1


@pytest.mark.data
def test_limit_129_trains_on_the_command_line(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path / "c")]
    argv += ["--arch", ARCH, "--epochs", "1", "--limit", "129", "--quiet", "--val-size", "0"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "after 1 epochs" in capsys.readouterr().out
    for extra in ([], ["--dry-run"]):
        out = ["--out", str(tmp_path / "b"), "--batch-size", "1"]
        code, err = _one_line_error([*argv, *out, *extra], capsys)
        assert code == 2
        assert "batch_size=1 is invalid" in err
    assert not (tmp_path / "b").exists()


# --- item 16: --out under an existing file --------------------------------------------


@pytest.mark.parametrize("command", ["train", "reproduce"])
def test_out_under_a_file_is_named(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out, why in ((blocker, "it is a file"), (blocker / "sub", f"{blocker} is a file")):
        argv = [command, "--out", str(out), "--data-dir", str(tmp_path), "--dry-run"]
        code, err = _one_line_error(argv, capsys)
        assert code == 2
        assert f"--out={str(out)!r} is invalid" in err
        assert why in err


def test_output_under_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match=r"Not a directory|File exists"):
        export_weights(DEFAULT_CHECKPOINT, blocker / "best", summary={})
    metrics = tmp_path / "metrics.csv"
    metrics.write_text(
        "epoch,train_loss,test_loss,train_accuracy,test_accuracy\n1,0.5,0.6,0.8,0.7\n"
    )
    argv = ["plot", "--metrics", str(metrics), "--out", str(blocker / "figs")]
    code, err = _one_line_error(argv, capsys)
    assert code == 1
    assert str(blocker / "figs") in err


# --- item 17: a digest over the content ----------------------------------------------


def test_committed_weights_carry_a_valid_digest() -> None:
    for path in sorted((REPO / "cnn" / "weights").glob("*.pt")):
        ckpt = read_checkpoint(path)
        assert ckpt["format"] == CHECKPOINT_FORMAT
        assert ckpt["digest"] == content_digest(ckpt)
        assert ckpt["digest"].startswith("sha256:")
        load_checkpoint(path)  # every entry checked


def _flip(path: Path, offset: int) -> bytes:
    content = bytearray(path.read_bytes())
    content[offset] ^= 0x01
    return bytes(content)


def test_flipped_weight_byte_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = DEFAULT_CHECKPOINT.read_bytes()
    weight = read_checkpoint(DEFAULT_CHECKPOINT)["model"]["inner.0.weight"]
    at = original.find(weight.numpy().tobytes())
    assert at > 0
    copy = tmp_path / "best.pt"
    copy.write_bytes(_flip(DEFAULT_CHECKPOINT, at + 5))
    changed = torch.load(copy, weights_only=True)["model"]["inner.0.weight"]
    assert not torch.equal(changed, weight)  # torch itself loads the changed weight
    with pytest.raises(DataError, match=r"best.pt is damaged: its content does not match"):
        load_model(copy)
    code, err = _one_line_error(["evaluate", "--checkpoint", str(copy)], capsys)
    assert code == 1
    assert "is damaged" in err
    shutil.copy(DEFAULT_CHECKPOINT, copy)
    assert load_checkpoint(copy)["digest"] == read_checkpoint(DEFAULT_CHECKPOINT)["digest"]


def test_flipped_byte_anywhere_is_refused_or_harmless(tmp_path: Path) -> None:
    expected = read_checkpoint(DEFAULT_CHECKPOINT)["digest"]
    copy = tmp_path / "best.pt"
    size = DEFAULT_CHECKPOINT.stat().st_size
    refusals = []
    for offset in range(0, size, 53):
        copy.write_bytes(_flip(DEFAULT_CHECKPOINT, offset))
        try:
            ckpt = load_checkpoint(copy)
        except DataError as exc:  # nothing outside the family
            refusals.append(str(exc))
        else:  # a byte torch never reads (zip padding, a time stamp): the same content
            assert ckpt["digest"] == expected == content_digest(ckpt)
    assert len(refusals) > size // 53 // 3
    assert not any("\n" in message for message in refusals)


def test_python_m_cnn_evaluate_exits_1_on_a_damaged_copy(tmp_path: Path) -> None:
    weight = read_checkpoint(DEFAULT_CHECKPOINT)["model"]["inner.0.weight"]
    at = DEFAULT_CHECKPOINT.read_bytes().find(weight.numpy().tobytes())
    copy = tmp_path / "best.pt"
    copy.write_bytes(_flip(DEFAULT_CHECKPOINT, at))
    proc = subprocess.run(
        [sys.executable, "-m", "cnn", "evaluate", "--checkpoint", str(copy)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"python -m cnn evaluate: error: checkpoint {copy} is damaged")
