"""``python -m cnn``: help, argument errors, data errors, dry run and a small training run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn.cli import main  # noqa: E402

pytestmark = pytest.mark.torch

REPO = Path(__file__).resolve().parent.parent


def test_module_help_lists_commands() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "cnn", "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0
    for command in ("archs", "summary", "train", "reproduce", "evaluate", "plot", "export"):
        assert command in result.stdout
    assert len(result.stdout.splitlines()) < 40


@pytest.mark.parametrize(
    "command", ["archs", "summary", "train", "reproduce", "plot", "evaluate", "export"]
)
def test_subcommand_help_fits_a_screen_and_shows_defaults(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 40
    assert "logreg" not in out  # a metavar, not the list of architectures
    # every option that takes a value and has a default shows it
    from cnn.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    for action in sub._actions:
        if action.option_strings and action.nargs != 0 and action.default not in (None, ""):
            assert f"(default: {action.default})" in " ".join(out.split()), action.dest


def test_help_shows_the_documented_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for default in (
        "--arch NAME see `archs` (default: stmirror)",
        "(default: 40)",
        "(default: 0.02)",
    ):
        assert default in out
    assert "--val-size N training images held out for validation (0: none) (default: 10000)" in out


def test_closed_pipe_ends_quietly() -> None:
    # `python -m cnn archs | head -1`: the reader goes away, no traceback follows
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnn", "archs"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # before the command writes anything
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err
    assert "BrokenPipe" not in err


def test_train_help_documents_required_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for option in ("--data-dir", "--epochs", "--seed", "--out", "--resume", "--dry-run", "--limit"):
        assert option in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required"),
        (["train"], "--out"),
        (["train", "--out", "x", "--epochs", "two"], "invalid int value: 'two'"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_argparse_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "0"], "epochs=0 is invalid: expected an integer >= 1"),
        (["--lr", "-1"], "lr=-1.0 is invalid"),
        (["--arch", "huge"], "--arch='huge' is invalid: expected one of 'stshift'"),
        (["--val-size", "-1"], "val_size=-1 is invalid"),
        (["--limit", "0"], "--limit=0 is invalid"),
        (["--stop-after", "0"], "--stop-after=0 is invalid"),
        (["--budget", "100"], "more than the budget of 100"),
    ],
)
def test_invalid_values_are_named(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path), *extra])
    assert code in (1, 2)
    err = capsys.readouterr().err
    assert message in err
    assert not (tmp_path / "o").exists()


def test_missing_data_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--out", str(tmp_path / "o"), "--data-dir", str(tmp_path), "--dry-run"])
    assert code == 1
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err
    assert "--download" in err


def test_evaluate_missing_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--checkpoint", str(tmp_path / "none.pt"), "--data-dir", "."])
    assert code == 1
    assert "none.pt does not exist" in capsys.readouterr().err


@pytest.mark.data
def test_dry_run_writes_nothing(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    argv = ["train", "--data-dir", str(fashion_mnist_dir), "--out", str(out), "--dry-run"]
    argv += ["--cache-dir", str(tmp_path / "c"), "--limit", "300"]
    assert main(argv) == 2  # the default validation split (10000) is larger than 300 images
    assert "val_size=10000 is invalid: expected an integer in [0, 299]" in capsys.readouterr().err
    code = main([*argv, "--val-size", "50"])
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["config"]["val_size"] == 50
    assert plan["n_train"] == 300
    assert plan["n_test"] == 300
    assert plan["n_parameters"] <= 500
    assert not out.exists()


@pytest.mark.data
def test_cli_train_then_resume(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    base = [
        "train", "--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path / "c"),
        "--limit", "500", "--epochs", "2", "--seed", "3", "--threads", "1", "--out", str(out),
        "--quiet", "--val-size", "100",
    ]  # fmt: skip
    assert main([*base, "--stop-after", "1"]) == 0
    assert "after 1 epochs" in capsys.readouterr().out
    assert main([*base, "--resume"]) == 0
    assert "after 2 epochs" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs_done"] == 2
    assert summary["seed"] == 3
    assert len((out / "metrics.csv").read_text().splitlines()) == 3
    # the same command again, without --resume, would discard the run: refused
    before = (out / "model.pt").read_bytes()
    assert main(base) == 2
    assert f"--out={str(out)!r} is invalid" in capsys.readouterr().err
    assert (out / "model.pt").read_bytes() == before
    assert main([*base, "--stop-after", "1", "--overwrite"]) == 0
    assert "after 1 epochs" in capsys.readouterr().out
    assert len((out / "metrics.csv").read_text().splitlines()) == 2


def _write_metrics(path: Path, rows: list[tuple[float, ...]]) -> Path:
    lines = ["epoch,train_loss,test_loss,train_accuracy,test_accuracy"]
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plot_chains_consecutive_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cnn.plots import chain_histories, read_metrics

    first = _write_metrics(
        tmp_path / "a.csv", [(1, 0.9, 0.95, 0.7, 0.69), (2, 0.5, 0.6, 0.8, 0.78)]
    )
    second = _write_metrics(tmp_path / "b.csv", [(1, 0.4, 0.5, 0.85, 0.83)])
    chained, bounds = chain_histories([read_metrics(first), read_metrics(second)])
    assert [m.epoch for m in chained] == [1, 2, 3]
    assert [m.test_accuracy for m in chained] == [0.69, 0.78, 0.83]
    assert bounds == [2.5]
    out = tmp_path / "fig"
    assert main(["plot", "--metrics", str(first), str(second), "--out", str(out)]) == 0
    assert "(3 epochs)" in capsys.readouterr().out
    for name in ("loss.png", "accuracy.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_reports_bad_metrics_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("epoch,train_loss\n1,0.5\n")
    assert main(["plot", "--metrics", str(bad), "--out", str(tmp_path)]) == 1
    assert "lacks the columns ['test_loss'" in capsys.readouterr().err
    text = _write_metrics(tmp_path / "text.csv", [(1, 0.5, "x", 0.1, 0.1)])
    assert main(["plot", "--metrics", str(text), "--out", str(tmp_path)]) == 1
    assert "text.csv, line 2" in capsys.readouterr().err
    empty = _write_metrics(tmp_path / "empty.csv", [])
    assert main(["plot", "--metrics", str(empty), "--out", str(tmp_path)]) == 1
    assert "holds no epoch" in capsys.readouterr().err
    assert main(["plot", "--metrics", str(tmp_path / "absent.csv"), "--out", str(tmp_path)]) == 1
    assert "cannot be read" in capsys.readouterr().err
    assert not (tmp_path / "loss.png").exists()
