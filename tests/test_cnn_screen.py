"""The screening script of docs/cnn.md (benchmarks/cnn_screen.py) on a few real images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tests._benchmarks import load_benchmark  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.data]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert load_benchmark("cnn_screen").main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("epoch 1: test ")
    result: dict[str, object] = json.loads(lines[-1])
    return result


def test_teacher_logits_then_distilled_student(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path / "cache")]
    common += ["--limit", "300", "--epochs", "2"]
    logits = tmp_path / "teacher.pt"
    threads = torch.get_num_threads()
    teacher = _run(
        [*common, "--arch", "bighead", "--no-budget", "--flip", "--decay-all",
         "--save-train-logits", str(logits)],
        capsys,
    )  # fmt: skip
    assert teacher["n_parameters"] == 754
    saved = torch.load(logits, weights_only=True)
    assert tuple(saved.shape) == (300, 10)
    assert torch.get_num_threads() == threads
    student = _run(
        [*common, "--arch", "stmpl6x3", "--distil-from", str(logits), "--alpha", "0.3"], capsys
    )
    assert student["n_parameters"] == 496
    assert student["alpha"] == 0.3
    assert student["distil_from"] == str(logits)
    accuracy = student["test_accuracy"]
    assert isinstance(accuracy, float)
    assert 0.0 <= accuracy <= 1.0


def test_budget_is_enforced_and_bad_logits_refused(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reluapprox.errors import BudgetExceeded

    common = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path / "cache")]
    common += ["--limit", "100", "--epochs", "1"]
    with pytest.raises(BudgetExceeded, match="754 trainable parameters"):
        load_benchmark("cnn_screen").main([*common, "--arch", "bighead"])
    wrong = tmp_path / "wrong.pt"
    torch.save(torch.zeros(7, 10), wrong)
    with pytest.raises(SystemExit, match=r"expected logits of shape \(100, 10\)"):
        load_benchmark("cnn_screen").main([*common, "--arch", "stmpl", "--distil-from", str(wrong)])
