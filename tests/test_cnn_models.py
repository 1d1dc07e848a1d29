"""Parameter counting, the budget check and the ``summary`` command of the cnn package."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cnn.cli import main  # noqa: E402
from cnn.models import (  # noqa: E402
    ARCHITECTURES,
    BACKGROUND,
    DEFAULT_ARCH,
    DEFAULT_BUDGET,
    PLUS_SHIFTS,
    MirrorAveraged,
    ShiftAveraged,
    TiedResidual,
    build_model,
    count_parameters,
    count_statistics,
    layer_table,
    shift_images,
)
from reluapprox.errors import BudgetExceeded, InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch


def _with_statistics(name: str, seed: int, *, batches: int = 1) -> nn.Module:
    """Build ``name`` with ``seed``, update its running statistics on random batches of
    32 images (so that evaluation does not see the fresh mean 0, variance 1) and return
    it in evaluation mode."""
    torch.manual_seed(seed)
    model = build_model(name)
    model.train()
    for _ in range(batches):
        model(torch.randn(32, 1, 28, 28))
    return model.eval()


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
    with pytest.raises(InvalidArgument, match=r"name='nope' is invalid.*'stshift'"):
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


def test_archs_lists_every_architecture_with_its_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["archs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(ARCHITECTURES) <= 1 + 8  # a header, at most 8 architectures
    assert lines[0].split()[:4] == ["name", "trainable", "stored", "deployable"]
    rows = {line.split()[0]: line.split()[1:4] for line in lines[1:]}
    # no normalisation to fold; the reference class removes one row of 784 + 1 numbers
    assert rows["logreg"] == ["7850", "7850", "7065"]
    assert rows["stshift"] == ["494", "574", "507"]
    assert rows["stmirror"] == rows["stshift"]  # the same weights, fewer views


def test_parameter_free_batch_norm_counts_statistics_not_parameters() -> None:
    model = build_model("stmirror")
    assert count_parameters(model) == 80 + 72 + 72 + 100 + 170
    # running mean and variance of 8 + 8 + 8 channels and of the 16 template features
    assert count_statistics(model) == 2 * (8 + 8 + 8 + 16)
    assert count_statistics(torch.nn.Linear(3, 2)) == 0
    assert count_statistics(torch.nn.BatchNorm2d(3)) == 6  # the batch counter is not counted


def test_pooling_before_relu_is_the_same_function() -> None:
    # relu(maxpool(x)) == maxpool(relu(x)): the network with the usual order (ReLU, then
    # pooling) and the same layers gives the same logits, bit for bit
    model = _with_statistics("stmirror", 1).inner
    layers = list(model)
    pools = [i for i, m in enumerate(layers) if isinstance(m, torch.nn.MaxPool2d)]
    assert len(pools) == 2
    for i in pools:
        assert isinstance(layers[i + 1], torch.nn.ReLU)
        layers[i], layers[i + 1] = layers[i + 1], layers[i]
    usual = torch.nn.Sequential(*layers)
    x = torch.randn(16, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x), usual(x))


def test_evaluation_uses_running_statistics() -> None:
    torch.manual_seed(0)
    model = build_model("stmirror")
    x = torch.randn(64, 1, 28, 28)
    model.train()
    model(x)  # one update of the running statistics
    model.eval()
    with torch.no_grad():
        single = model(x[:1])
        batch = model(x)[:1]
    # in evaluation an image's logits do not depend on the rest of the batch
    torch.testing.assert_close(single, batch)


def test_summary_reports_statistics_outside_the_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["summary"]) == 0  # the documented model by default
    out = capsys.readouterr().out
    assert out.startswith("architecture stshift:")
    assert re.search(r"^total\s+494\s+trainable", out, re.MULTILINE)
    assert re.search(r"^\s+80\s+batch-norm running statistics", out, re.MULTILINE)
    assert re.search(r"^\s+574\s+stored numbers \(trainable", out, re.MULTILINE)
    assert re.search(r"^\s+532\s+stored numbers with batch norm folded", out, re.MULTILINE)
    assert re.search(r"^\s+507\s+stored numbers of the deployable", out, re.MULTILINE)
    assert main(["summary", "--arch", "logreg", "--budget", "8000"]) == 0
    assert "running statistics" not in capsys.readouterr().out


def test_head_normalisation_folds_into_the_linear_layer() -> None:
    # the claim of docs/cnn.md: in evaluation the parameter-free batch norm in front of the
    # linear layer is an affine map that the linear layer's weights and bias absorb
    model = _with_statistics("stmirror", 3, batches=3).inner
    norm, linear = model[-2], model[-1]
    assert isinstance(norm, torch.nn.BatchNorm1d)
    assert isinstance(linear, torch.nn.Linear)
    assert norm.running_mean is not None
    assert norm.running_var is not None
    scale = 1 / torch.sqrt(norm.running_var + norm.eps)
    folded = torch.nn.Linear(16, 10)
    with torch.no_grad():
        folded.weight.copy_(linear.weight * scale)
        folded.bias.copy_(linear.bias - folded.weight @ norm.running_mean)
        features = torch.relu(torch.randn(50, 16))
        torch.testing.assert_close(folded(features), linear(norm(features)))


def test_tied_residual_shares_the_separable_convolution() -> None:
    model = build_model("stmirror").inner
    assert isinstance(model, torch.nn.Sequential)
    block = model[8]
    assert isinstance(block, TiedResidual)
    assert block.f is model[4]  # the same module, not a copy
    # the second application adds no parameter: 494 counted once
    assert count_parameters(model) == 494
    assert count_statistics(model) == 80
    rows = layer_table(model)
    assert sum(r.n_parameters for r in rows) == 494
    shared = [r for r in rows if "shared with" in r.layer]
    assert [(r.name, r.n_parameters) for r in shared] == [("8.f.0", 0), ("8.f.1", 0)]
    assert shared[0].layer.endswith("(shared with 4.0)")


def test_tied_residual_is_x_plus_relu_f_then_norm() -> None:
    torch.manual_seed(0)
    f = torch.nn.Conv2d(3, 3, 1)
    block = TiedResidual(f, 3).eval()
    x = torch.randn(5, 3, 4, 4)
    with torch.no_grad():
        expected = block.norm(x + torch.relu(f(x)))
        assert torch.equal(block(x), expected)
        # norm is the identity with fresh running statistics (mean 0, variance 1), so
        # without the skip connection the output would differ wherever f(x) < 0
        assert not torch.allclose(block(x), torch.relu(f(x)), atol=1e-3)


def test_shared_weights_survive_a_state_dict_round_trip(tmp_path: Path) -> None:
    model = _with_statistics("stmirror", 2)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    fresh = build_model("stmirror")
    fresh.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    inner = fresh.inner
    assert isinstance(inner, torch.nn.Sequential)
    assert inner[8].f is inner[4]  # still one module after loading
    fresh.eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x), fresh(x))


def test_mirror_averaged_is_exactly_mirror_invariant_and_averages() -> None:
    model = _with_statistics("stmirror", 4)
    assert isinstance(model, MirrorAveraged)
    x = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        out = model(x)
        assert torch.equal(out, model(torch.flip(x, dims=[-1])))
        inner = model.inner
        assert torch.equal(out, 0.5 * (inner(x) + inner(torch.flip(x, dims=[-1]))))
        # the inner network itself is not invariant, so the average is not a no-op
        assert not torch.allclose(inner(x), inner(torch.flip(x, dims=[-1])), atol=1e-3)
    assert count_parameters(model) == count_parameters(inner) == 494


def test_mirrored_input_equals_mirrored_kernels() -> None:
    # docs/cnn-log.md: g(mirror(x)) = g_R(x), where g_R is g with every convolution kernel and
    # template mirrored (zero padding is symmetric and 28 and 14 are even, so pooling
    # commutes with mirroring); mirror averaging therefore uses each filter both ways
    model = _with_statistics("stmirror", 5)
    g = model.inner
    g_r = copy.deepcopy(g)
    with torch.no_grad():
        for m in g_r.modules():  # each module once, so the shared one is mirrored once
            if isinstance(m, torch.nn.Conv2d):
                m.weight.copy_(torch.flip(m.weight, dims=[-1]))
        x = torch.randn(8, 1, 28, 28)
        torch.testing.assert_close(g_r(x), g(torch.flip(x, dims=[-1])))
        assert not torch.allclose(g_r(x), g(x), atol=1e-3)


def test_shift_images_moves_content_and_fills() -> None:
    x = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    down_right = shift_images(x, 1, 1, fill=0.0)
    assert down_right.tolist() == [[[[0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 4.0, 5.0]]]]
    up_left = shift_images(x, -1, -2, fill=-7.0)
    assert up_left.tolist() == [[[[6.0, -7.0, -7.0], [9.0, -7.0, -7.0], [-7.0, -7.0, -7.0]]]]
    assert shift_images(x, 0, 0, fill=0.0) is x
    with pytest.raises(InvalidArgument, match=r"\(dy, dx\)=\(3, 0\) is invalid.*3 x 3"):
        shift_images(x, 3, 0, fill=0.0)


def test_shift_averaged_is_the_mean_over_its_views() -> None:
    shifts = PLUS_SHIFTS
    assert len(shifts) == 5
    model = _with_statistics("stshift", 6)
    assert isinstance(model, ShiftAveraged)
    assert model.shifts == shifts
    g = model.inner
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        views = [shift_images(x, dy, dx, fill=BACKGROUND) for dy, dx in shifts]
        views += [torch.flip(v, dims=[-1]) for v in views]
        expected = torch.stack([g(v) for v in views]).mean(0)
        out = model(x)
        torch.testing.assert_close(out, expected)
        # exactly mirror-invariant (mirror-symmetric summation order)
        assert torch.equal(out, model(torch.flip(x, dims=[-1])))
        # and not the mirror average alone: the translates change the result
        mirror_only = 0.5 * (g(x) + g(torch.flip(x, dims=[-1])))
        assert not torch.allclose(out, mirror_only, atol=1e-3)
    assert count_parameters(model) == count_parameters(build_model("stmirror")) == 494


def test_shift_averaged_with_no_shift_is_the_mirror_average() -> None:
    base = _with_statistics("stmirror", 7)
    assert isinstance(base, MirrorAveraged)
    assert isinstance(base, ShiftAveraged)
    assert base.shifts == ((0, 0),)
    g = base.inner
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        # bit for bit the formula of the documented stmirror runs
        assert torch.equal(base(x), 0.5 * (g(x) + g(torch.flip(x, dims=[-1]))))


def test_stmirror_weights_load_into_stshift() -> None:
    source = _with_statistics("stmirror", 8)
    target = build_model("stshift")
    target.load_state_dict(source.state_dict())  # the same keys: strict loading works
    target.eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(target.inner(x), source.inner(x))


@pytest.mark.parametrize(
    "shifts",
    [(), ((0, 1),), ((0, 0), (0, 0)), ((0, 1.0), (0, -1.0)), ((True, 0),), (0, 0), ((0, 0, 0),)],
)
def test_shift_averaged_rejects_bad_shift_sets(shifts: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(InvalidArgument, match=r"shifts=.* is invalid: expected .*\(dy, -dx\)"):
        ShiftAveraged(nn.Identity(), shifts=shifts)
