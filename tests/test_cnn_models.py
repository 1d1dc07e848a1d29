"""Parameter counting, the budget check and the ``summary`` command of the cnn package."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

from cnn.cli import main  # noqa: E402
from cnn.models import (  # noqa: E402
    ARCHITECTURES,
    DEFAULT_ARCH,
    DEFAULT_BUDGET,
    build_model,
    count_parameters,
    layer_table,
)
from reluapprox.errors import BudgetExceeded, InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch


def test_count_parameters_by_hand() -> None:
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, bias=False),  # 36
        torch.nn.BatchNorm2d(4),  # 8 (running stats are buffers, not parameters)
        torch.nn.Linear(5, 3),  # 18
    )
    assert count_parameters(model) == 36 + 8 + 18


def test_count_parameters_ignores_frozen() -> None:
    model = torch.nn.Linear(4, 2)
    model.bias.requires_grad_(False)
    assert count_parameters(model) == 8


def test_default_arch_within_budget_and_table_adds_up() -> None:
    model = build_model(DEFAULT_ARCH)
    n = count_parameters(model)
    assert 0 < n <= DEFAULT_BUDGET
    rows = layer_table(model)
    assert sum(r.n_parameters for r in rows) == n
    assert all(r.n_parameters >= 0 for r in rows)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_architecture_maps_images_to_ten_logits(name: str) -> None:
    model = build_model(name, budget=None)
    out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)


def test_over_budget_raises_with_count_and_budget() -> None:
    with pytest.raises(BudgetExceeded, match=r"7850 trainable parameters.*budget of 500"):
        build_model("logreg")
    n = count_parameters(build_model(DEFAULT_ARCH))
    with pytest.raises(BudgetExceeded, match=f"{n} trainable parameters"):
        build_model(DEFAULT_ARCH, budget=n - 1)
    assert count_parameters(build_model(DEFAULT_ARCH, budget=n)) == n


def test_unknown_architecture_and_bad_budget() -> None:
    with pytest.raises(InvalidArgument, match=r"name='nope' is invalid.*'sep6'"):
        build_model("nope")
    with pytest.raises(InvalidArgument, match="budget=0 is invalid"):
        build_model(DEFAULT_ARCH, budget=0)


def test_summary_command_prints_layers_and_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--arch", DEFAULT_ARCH]) == 0
    out = capsys.readouterr().out
    n = count_parameters(build_model(DEFAULT_ARCH))
    assert re.search(rf"^total\s+{n}\s+trainable", out, re.MULTILINE)
    assert "Conv2d" in out
    assert "Linear" in out


def test_summary_over_budget_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--arch", "logreg"]) == 1
    captured = capsys.readouterr()
    assert "7850" in captured.out
    assert "budget of 500" in captured.err


def test_summary_all_marks_over_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(ARCHITECTURES)
    logreg = next(line for line in lines if line.startswith("logreg"))
    assert "over budget" in logreg
    default = next(line for line in lines if line.startswith(DEFAULT_ARCH + " "))
    assert "over budget" not in default
