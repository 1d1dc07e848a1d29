"""Folding batch normalisation into neighbouring weights: the deployable model.

In evaluation a parameter-free batch norm (``affine=False``) is the fixed per-channel
affine map ``x -> (x - mean) / sqrt(var + eps)`` given by its running statistics. Two
rewrites remove such a layer, or half of it, without changing the function:

* **Into the following linear layer.** A batch norm directly in front of an
  :class:`torch.nn.Linear` ``W x + b`` is absorbed by it: ``W' = W diag(s)``,
  ``b' = b - W (s * mean)`` with ``s = 1 / sqrt(var + eps)``. The 2 ``c`` statistics
  disappear.
* **Scale into the preceding convolution.** After ``conv -> max-pool -> ReLU`` the scale
  ``s > 0`` commutes with both (``relu(s x) = s relu(x)``, ``max(s a, s b) =
  s max(a, b)``), so it moves into the convolution's weights and bias; what remains is
  the shift ``-s * mean``, one number per channel (:class:`ChannelBias`). Applied only
  when the convolution is used at one place (a shared module would be scaled at its
  other uses too).

Every other batch norm is kept as it is: in front of a zero-padded depthwise convolution
a shift is not exact at the border, and in front of modules shared by several channels or
places a per-channel scale cannot be absorbed. The folded model computes the same
function up to floating-point rounding (``tests/test_cnn_fold.py`` checks the logits to
:data:`FOLD_TOLERANCE`).

Examples:
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.BatchNorm1d(3, affine=False), nn.Linear(3, 2)).eval()
    >>> _ = net[0].running_mean.fill_(0.5), net[0].running_var.fill_(4.0)
    >>> folded = fold_batch_norm(net)
    >>> count_stored(net), count_stored(folded)
    (14, 8)
    >>> x = torch.randn(5, 3)
    >>> bool((net(x) - folded(x)).abs().max() < FOLD_TOLERANCE)
    True
"""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["FOLD_TOLERANCE", "ChannelBias", "count_stored", "fold_batch_norm"]

FOLD_TOLERANCE = 1e-4
"""Largest accepted ``|logit difference|`` between a model and its folded form (float32)."""


class ChannelBias(nn.Module):
    """Add one trained-then-frozen number per channel: ``x[:, c] + bias[c]``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the bias along dimension 1."""
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x + self.bias.reshape(shape)


def count_stored(model: nn.Module) -> int:
    """Every floating-point number ``model`` stores: parameters (trainable or not) and
    buffers such as batch-norm statistics, a tensor shared by several layers counted once."""
    tensors = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return sum(t.numel() for t in tensors.values() if t.is_floating_point())


def _scale_shift(bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s, t)`` with ``bn(x) = s * x + t`` in evaluation (``affine=False``)."""
    assert bn.running_mean is not None
    assert bn.running_var is not None
    s = 1.0 / torch.sqrt(bn.running_var + bn.eps)
    return s, -s * bn.running_mean


def _uses(model: nn.Module) -> dict[int, int]:
    counts: dict[int, int] = {}
    for _, m in model.named_modules(remove_duplicate=False):
        counts[id(m)] = counts.get(id(m), 0) + 1
    return counts


def _foldable(m: nn.Module) -> bool:
    return (
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        and not m.affine
        and m.track_running_stats
        and m.running_mean is not None
    )


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """Return a copy of ``model`` (in evaluation mode) with batch norm folded where exact.

    See the module documentation for the two rewrites; ``model`` itself is not changed.
    Only :class:`torch.nn.Sequential` containers are rewritten (anywhere in the model).
    """
    folded = copy.deepcopy(model).eval()
    uses = _uses(folded)
    with torch.no_grad():
        for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
            layers = list(seq)
            for i, bn in enumerate(layers):
                if not _foldable(bn):
                    continue
                assert isinstance(bn, nn.modules.batchnorm._BatchNorm)
                s, t = _scale_shift(bn)
                after = layers[i + 1] if i + 1 < len(layers) else None
                before = layers[i - 3 : i] if i >= 3 else []
                if isinstance(after, nn.Linear) and uses[id(after)] == 1:
                    assert after.bias is not None
                    after.bias.add_(after.weight @ t)
                    after.weight.mul_(s)
                    seq[i] = nn.Identity()
                elif (
                    len(before) == 3
                    and isinstance(before[0], nn.Conv2d)
                    and uses[id(before[0])] == 1
                    and before[0].bias is not None
                    and isinstance(before[1], nn.MaxPool2d)
                    and isinstance(before[2], nn.ReLU)
                ):
                    conv = before[0]
                    assert conv.bias is not None
                    conv.weight.mul_(s.reshape(-1, 1, 1, 1))
                    conv.bias.mul_(s)
                    shift = ChannelBias(int(s.shape[0]))
                    shift.bias.copy_(t)
                    seq[i] = shift
    return folded
