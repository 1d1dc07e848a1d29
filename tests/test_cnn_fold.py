"""The deployable model: batch norm folded, redundant numbers removed, the same function."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cnn.fold import (  # noqa: E402
    FOLD_TOLERANCE,
    ChannelBias,
    ChannelTemplates,
    ReferenceLinear,
    UnitDiagonalPointwise,
    count_stored,
    deployable,
    fold_batch_norm,
    log_probability_difference,
    remove_redundancy,
)
from cnn.models import (  # noqa: E402
    ARCHITECTURES,
    SharedTemplates,
    TiedResidual,
    build_model,
    count_parameters,
)
from cnn.space import KERNELS, NORMS, POOLS, RESIDUALS, VIEWS, Design  # noqa: E402
from reluapprox.errors import DataError  # noqa: E402

pytestmark = pytest.mark.torch


def _with_statistics(model: nn.Module, seed: int) -> nn.Module:
    """``model`` with running statistics far from the fresh (0, 1), in evaluation mode."""
    torch.manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(3 * torch.randn(32, 1, 28, 28) + 1)
    return model.eval()


def _trained_statistics(name: str, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return _with_statistics(build_model(name, budget=None), seed)


def _assert_same_function(model: nn.Module, x: torch.Tensor) -> None:
    """Folding keeps the logits; the deployable model keeps the log-probabilities."""
    folded, deployed = fold_batch_norm(model), deployable(model)
    with torch.no_grad():
        a, b, d = model(x), folded(x), deployed(x)
    assert float((a - b).abs().max()) <= FOLD_TOLERANCE
    assert log_probability_difference(a, d) <= FOLD_TOLERANCE
    assert torch.equal(a.argmax(1), d.argmax(1))
    assert count_stored(deployed) <= count_stored(folded) <= count_stored(model)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_deployable_model_keeps_the_function(name: str) -> None:
    _assert_same_function(_trained_statistics(name, 1), torch.randn(64, 1, 28, 28))


def test_documented_model_stores_507_numbers_once_deployable() -> None:
    model = _trained_statistics("stshift", 2)
    assert count_stored(model) == 494 + 80
    folded = fold_batch_norm(model)
    # 494 weights - 2 template biases + 16 biases per (channel, template) + 8 shifts of
    # the first norm + 16 statistics of the norm in front of the tied block
    assert count_stored(folded) == 494 - 2 + 16 + 8 + 16 == 532
    inner = folded.inner
    assert isinstance(inner[11], nn.Identity)  # the head's norm is in the linear layer
    assert isinstance(inner[3], ChannelBias)  # the first norm's scale is in conv 1
    assert isinstance(inner[7], nn.BatchNorm2d)  # kept: S is shared
    assert isinstance(inner[8].norm, nn.Identity)  # went through the templates
    assert isinstance(inner[9], ChannelTemplates)
    assert inner[8].f is inner[4]  # still shared
    assert torch.equal(inner[4][1].weight, model.inner[4][1].weight)  # not rescaled
    deployed = deployable(model)
    # the pointwise diagonal (8) and the reference row of the linear layer (16 + 1)
    assert count_stored(deployed) == 532 - 8 - 17 == 507
    assert isinstance(deployed.inner[4][1], UnitDiagonalPointwise)
    assert deployed.inner[8].f is deployed.inner[4]
    assert isinstance(deployed.inner[12], ReferenceLinear)
    # the originals are left as they were
    assert isinstance(model.inner[11], nn.BatchNorm1d)
    assert isinstance(folded.inner[12], nn.Linear)


@pytest.mark.parametrize("name", ["stshift7", "stmirror7"])
def test_strict_variant_stores_at_most_500_numbers(name: str) -> None:
    model = _trained_statistics(name, 3)
    assert (count_parameters(model), count_stored(model)) == (439, 439 + 70)
    assert count_stored(fold_batch_norm(model)) == 439 - 2 + 14 + 7 + 14 == 472
    assert count_stored(deployable(model)) == 472 - 7 - 15 == 450 <= 500


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


def _templates_net(c: int, k: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    block = TiedResidual(nn.Conv2d(c, c, 3, padding=1), c)
    net = nn.Sequential(block, SharedTemplates(k, 5), nn.ReLU(), nn.Linear(c * k, 4))
    with torch.no_grad():
        block.norm.running_mean.uniform_(-2, 2)
        block.norm.running_var.uniform_(0.1, 5)
    return net.eval()


def test_templates_absorb_the_norm_in_front_of_them() -> None:
    net = _templates_net(3, 2, 0)
    norm = net[0].norm
    folded = fold_batch_norm(net)
    assert isinstance(folded[0].norm, nn.Identity)
    assert isinstance(folded[1], ChannelTemplates)
    s = 1 / torch.sqrt(norm.running_var + norm.eps)
    t = -s * norm.running_mean
    conv = net[1].conv
    want = (t[:, None] * conv.weight.sum(dim=(1, 2, 3))[None, :] + conv.bias) / s[:, None]
    torch.testing.assert_close(folded[1].bias, want)
    torch.testing.assert_close(folded[3].weight, net[3].weight * s.repeat_interleave(2))
    x = torch.randn(20, 3, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x), atol=FOLD_TOLERANCE, rtol=0)
    assert count_stored(net) - count_stored(folded) == 2  # 6 + 2 numbers became 6


def test_templates_keep_the_norm_where_that_would_store_more() -> None:
    # 4 channels and 3 templates: 12 biases would replace 8 statistics and 3 biases
    net = _templates_net(4, 3, 1)
    folded = fold_batch_norm(net)
    assert isinstance(folded[0].norm, nn.BatchNorm2d)
    assert isinstance(folded[1], SharedTemplates)
    assert count_stored(folded) == count_stored(net)


def test_batch_norm_before_a_shared_layer_is_kept() -> None:
    shared = nn.Linear(3, 3)
    bn = nn.BatchNorm1d(3, affine=False)
    net = nn.Sequential(shared, nn.ReLU(), bn, shared).eval()
    folded = fold_batch_norm(net)
    assert isinstance(folded[2], nn.BatchNorm1d)  # folding would change the first use
    assert count_stored(folded) == count_stored(net) == 12 + 6


def test_unit_diagonal_keeps_the_separable_convolution() -> None:
    torch.manual_seed(4)
    sep = nn.Sequential(nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False), nn.Conv2d(3, 3, 1))
    reduced = remove_redundancy(sep)
    pw = reduced[1]
    assert isinstance(pw, UnitDiagonalPointwise)
    assert torch.equal(pw.weight().diagonal(), torch.ones(3))  # exactly 1, not stored
    off = ~torch.eye(3, dtype=torch.bool)
    # every column of W is divided by its diagonal weight, every kernel multiplied by it
    beta = sep[1].weight[:, :, 0, 0].diagonal()
    torch.testing.assert_close(pw.weight()[off], (sep[1].weight[:, :, 0, 0] / beta)[off])
    torch.testing.assert_close(reduced[0].weight, sep[0].weight * beta.reshape(-1, 1, 1, 1))
    x = torch.randn(5, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(reduced(x), sep(x), atol=FOLD_TOLERANCE, rtol=0)
    assert count_stored(sep) - count_stored(reduced) == 3


def test_unit_diagonal_refuses_a_zero_diagonal_weight() -> None:
    sep = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, groups=2, bias=False), nn.Conv2d(2, 2, 1))
    with torch.no_grad():
        sep[1].weight[1, 1] = 0.0
    with pytest.raises(DataError, match=r"diagonal .* has a zero"):
        remove_redundancy(sep)


def test_reference_class_keeps_the_probabilities() -> None:
    torch.manual_seed(5)
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 4)).eval()
    reduced = remove_redundancy(net)
    assert isinstance(reduced[1], ReferenceLinear)
    x = torch.randn(7, 2, 3)
    with torch.no_grad():
        a, b = net(x), reduced(x)
    assert torch.equal(b[:, 0], torch.zeros(7))  # class 0's logit is always 0
    torch.testing.assert_close(b, a - a[:, :1])  # the logits relative to class 0
    assert log_probability_difference(a, b) <= FOLD_TOLERANCE
    assert count_stored(net) - count_stored(reduced) == 6 + 1


def test_log_probability_difference_sees_a_changed_logit() -> None:
    a = torch.tensor([[0.0, 1.0, 2.0]])
    assert log_probability_difference(a, a + 5.0) <= 1e-6  # one number added to all
    assert log_probability_difference(a, a * 2) > 0.5
    assert log_probability_difference(a[:0], a[:0]) == 0.0


def _designs() -> st.SearchStrategy[Design]:
    return st.builds(
        Design,
        channels=st.integers(1, 5),
        kernel=st.sampled_from(KERNELS),
        block_kernel=st.sampled_from(KERNELS),
        separable=st.booleans(),
        pools=st.sampled_from(POOLS),
        templates=st.integers(1, 3),
        norm=st.sampled_from(NORMS),
        residual=st.sampled_from(RESIDUALS),
        views=st.sampled_from(VIEWS),
    )


@given(design=_designs(), seed=st.integers(0, 2**16))
def test_every_searched_design_deploys_to_the_same_function(design: Design, seed: int) -> None:
    torch.manual_seed(seed)
    model = _with_statistics(design.build(), seed)
    _assert_same_function(model, 2 * torch.randn(8, 1, 28, 28))
