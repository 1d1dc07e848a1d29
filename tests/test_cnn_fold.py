"""Folding batch normalisation: the deployable model computes the same logits."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cnn.fold import FOLD_TOLERANCE, ChannelBias, count_stored, fold_batch_norm  # noqa: E402
from cnn.models import ARCHITECTURES, build_model, count_parameters  # noqa: E402

pytestmark = pytest.mark.torch


def _trained_statistics(name: str, seed: int) -> nn.Module:
    """``name`` with running statistics far from the fresh (0, 1), in evaluation mode."""
    torch.manual_seed(seed)
    model = build_model(name, budget=None)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(3 * torch.randn(32, 1, 28, 28) + 1)
    return model.eval()


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_folded_logits_match(name: str) -> None:
    model = _trained_statistics(name, 1)
    folded = fold_batch_norm(model)
    x = torch.randn(64, 1, 28, 28)
    with torch.no_grad():
        a, b = model(x), folded(x)
    assert float((a - b).abs().max()) <= FOLD_TOLERANCE
    assert torch.equal(a.argmax(1), b.argmax(1))
    assert count_parameters(folded) == count_parameters(model)  # the same trained weights


def test_documented_model_stores_534_numbers_once_folded() -> None:
    model = _trained_statistics("stshift", 2)
    assert count_stored(model) == 494 + 80
    folded = fold_batch_norm(model)
    assert count_stored(folded) == 534
    # the head's batch norm went into the linear layer; the first one's scale into the
    # first convolution, leaving 8 shifts; the other two are kept (16 numbers each)
    inner = folded.inner
    assert isinstance(inner[11], nn.Identity)
    assert isinstance(inner[3], ChannelBias)
    assert isinstance(inner[7], nn.BatchNorm2d)
    assert isinstance(inner[8].norm, nn.BatchNorm2d)
    # the shared separable convolution is not rescaled (it is used at two places)
    assert torch.equal(inner[4][1].weight, model.inner[4][1].weight)
    assert inner[8].f is inner[4]
    # the original is left as it was
    assert isinstance(model.inner[11], nn.BatchNorm1d)


@pytest.mark.parametrize("name", ["stshift7", "stmirror7"])
def test_strict_variant_stores_at_most_500_numbers_once_folded(name: str) -> None:
    model = _trained_statistics(name, 3)
    assert (count_parameters(model), count_stored(model)) == (439, 439 + 70)
    folded = fold_batch_norm(model)
    # 439 weights, 7 shifts of the first norm, 14 statistics of each kept norm
    assert count_stored(folded) == 439 + 7 + 14 + 14 == 474 <= 500


def test_fold_is_exact_on_a_small_network() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 3, 3, padding=1)
    bn = nn.BatchNorm2d(3, affine=False)
    net = nn.Sequential(conv, nn.MaxPool2d(2), nn.ReLU(), bn, nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
        bn.running_var.copy_(torch.tensor([4.0, 0.25, 9.0]))
    net.eval()
    folded = fold_batch_norm(net)
    assert isinstance(folded[3], ChannelBias)
    s = 1 / torch.sqrt(bn.running_var + bn.eps)
    torch.testing.assert_close(folded[0].weight, conv.weight * s.reshape(-1, 1, 1, 1))
    torch.testing.assert_close(folded[3].bias, -s * bn.running_mean)
    x = torch.randn(10, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x))
    assert count_stored(net) - count_stored(folded) == 3  # 6 statistics became 3 shifts


def test_batch_norm_before_a_shared_layer_is_kept() -> None:
    shared = nn.Linear(3, 3)
    bn = nn.BatchNorm1d(3, affine=False)
    net = nn.Sequential(shared, nn.ReLU(), bn, shared).eval()
    folded = fold_batch_norm(net)
    assert isinstance(folded[2], nn.BatchNorm1d)  # folding would change the first use
    assert count_stored(folded) == count_stored(net) == 12 + 6
