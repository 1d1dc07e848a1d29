"""The deployable model: batch normalisation folded away, redundant numbers removed.

In evaluation a parameter-free batch norm (``affine=False``) is the fixed per-channel
affine map ``x -> s * x + t`` with ``s = 1 / sqrt(var + eps) > 0`` and ``t = -s * mean``
given by its running statistics. :func:`fold_batch_norm` removes such a layer, or half
of it, where that does not change the function:

* **Into the following linear layer.** A batch norm directly in front of an
  :class:`torch.nn.Linear` ``W x + b`` is absorbed by it: ``W' = W diag(s)``,
  ``b' = b + W t``. The ``2 c`` statistics disappear.
* **Scale into the preceding convolution.** After ``conv -> max-pool -> ReLU`` the scale
  ``s > 0`` commutes with both (``relu(s x) = s relu(x)``, ``max(s a, s b) =
  s max(a, b)``), so it moves into the convolution's weights and bias; what remains is
  the shift ``t``, one number per channel (:class:`ChannelBias`).
* **Through shared templates into the head.** The norm of a :class:`~cnn.models.TiedResidual`
  followed by (max pooling and) :class:`~cnn.models.SharedTemplates`, ReLU and a linear
  layer: a valid convolution with template ``T_k`` and bias ``b_k`` maps ``s_c x + t_c``
  to ``s_c (T_k * x) + t_c sum(T_k) + b_k``, and
  ``relu(s_c a + beta) = s_c relu(a + beta / s_c)``. So the templates lose their bias
  and get one per channel and template (:class:`ChannelTemplates`,
  ``(t_c sum(T_k) + b_k) / s_c``), and ``s_c`` goes into the linear layer's columns.
  Applied only where it saves numbers (``c k < 2 c + k``).

A rewrite is applied only to a module used at one place (a shared module would be changed
at its other uses too). Every other batch norm is kept: in front of a zero-padded
convolution a shift is not exact at the border, and in front of modules shared by several
places a per-channel scale cannot be absorbed.

:func:`remove_redundancy` then removes numbers that the function does not determine:

* **Unit diagonal of a separable convolution.** A depthwise convolution (kernels ``K_c``,
  no bias) followed by a ``c -> c`` pointwise convolution ``W`` computes the same for
  ``(beta_c K_c, W[:, c] / beta_c)`` and any ``beta_c != 0``; with ``beta_c = W[c, c]``
  the diagonal of ``W`` is 1 and is not stored (:class:`UnitDiagonalPointwise`). This
  holds at every place the convolution is used, so shared ones are rewritten too.
* **Reference class.** Softmax is unchanged when one number is added to every logit, so
  the last linear layer's row of class 0 is subtracted from every row and then not stored
  (:class:`ReferenceLinear`, whose logit 0 is always 0). Probabilities and predictions are
  those of the trained model; the logits differ from its logits by one number per image.
  Applied to the last layer of a :class:`torch.nn.Sequential` model, or of the network
  inside a :class:`~cnn.models.ShiftAveraged` one (which averages logits, a linear map).

:func:`deployable` does both. The results compute the same function up to floating-point
rounding (``tests/test_cnn_fold.py`` checks logits and log-probabilities to
:data:`FOLD_TOLERANCE`).

Examples:
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.BatchNorm1d(3, affine=False), nn.Linear(3, 2)).eval()
    >>> _ = net[0].running_mean.fill_(0.5), net[0].running_var.fill_(4.0)
    >>> folded = fold_batch_norm(net)
    >>> count_stored(net), count_stored(folded), count_stored(deployable(net))
    (14, 8, 4)
    >>> x = torch.randn(5, 3)
    >>> bool((net(x) - folded(x)).abs().max() < FOLD_TOLERANCE)
    True
    >>> bool(log_probability_difference(net(x), deployable(net)(x)) < FOLD_TOLERANCE)
    True
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from cnn.models import SharedTemplates, ShiftAveraged, TiedResidual
from reluapprox.errors import DataError

__all__ = [
    "FOLD_TOLERANCE",
    "ChannelBias",
    "ChannelTemplates",
    "ReferenceLinear",
    "UnitDiagonalPointwise",
    "count_stored",
    "deployable",
    "fold_batch_norm",
    "log_probability_difference",
    "remove_redundancy",
]

FOLD_TOLERANCE = 1e-4
"""Largest accepted ``|logit difference|`` between a model and its folded form (float32),
and ``|log-probability difference|`` between a model and its deployable form."""


class ChannelBias(nn.Module):
    """Add one trained-then-frozen number per channel: ``x[:, c] + bias[c]``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the bias along dimension 1."""
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x + self.bias.reshape(shape)


class ChannelTemplates(nn.Module):
    """:class:`~cnn.models.SharedTemplates` with a bias per channel and template.

    ``k`` valid ``h x w`` templates (no bias) applied to each of ``c`` channels, then
    ``bias[c, k]`` added: output ``(n, c * k * positions)``; ``k h w + c k`` numbers.
    """

    def __init__(self, k: int, size: int, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, k, size, bias=False)
        self.bias = nn.Parameter(torch.zeros(channels, k), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the templates to each channel of ``x`` and add the biases."""
        n, c, h, w = x.shape
        out: torch.Tensor = self.conv(x.reshape(n * c, 1, h, w))
        out = out.reshape(n, c, *out.shape[1:]) + self.bias[None, :, :, None, None]
        return out.reshape(n, -1)


class UnitDiagonalPointwise(nn.Module):
    """A ``c -> c`` pointwise (1x1) convolution whose weight has a unit diagonal.

    Stores the ``c (c - 1)`` off-diagonal weights and ``c`` biases.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.off_diagonal = nn.Parameter(torch.zeros(channels, channels - 1), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(channels), requires_grad=False)

    def weight(self) -> torch.Tensor:
        """The ``(c, c)`` weight matrix: 1 on the diagonal, the stored numbers elsewhere."""
        c = self.channels
        w = torch.ones(c, c, dtype=self.off_diagonal.dtype, device=self.off_diagonal.device)
        mask = ~torch.eye(c, dtype=torch.bool, device=w.device)
        return w.masked_scatter(mask, self.off_diagonal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mix the channels of ``x``."""
        w = self.weight()[:, :, None, None]
        return nn.functional.conv2d(x, w, self.bias)


class ReferenceLinear(nn.Module):
    """A linear layer whose output 0 is always 0: ``cat(0, W x + b)``.

    Stores ``(out - 1) (in + 1)`` numbers; as logits, it stands for any linear layer
    whose rows differ from these by one common row (softmax does not see the difference).
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features - 1)
        for p in self.linear.parameters():
            p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the logits, class 0 first (always 0)."""
        rest: torch.Tensor = self.linear(x)
        return torch.cat([rest.new_zeros((*rest.shape[:-1], 1)), rest], dim=-1)


def count_stored(model: nn.Module) -> int:
    """Every floating-point number ``model`` stores: parameters (trainable or not) and
    buffers such as batch-norm statistics, a tensor shared by several layers counted once."""
    tensors = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return sum(t.numel() for t in tensors.values() if t.is_floating_point())


def log_probability_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max |log_softmax(a) - log_softmax(b)|`` over a batch of logits (0.0 if empty)."""
    if a.numel() == 0:
        return 0.0
    diff = torch.log_softmax(a.detach(), dim=-1) - torch.log_softmax(b.detach(), dim=-1)
    return float(diff.abs().max())


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


def _sequentials(model: nn.Module) -> list[nn.Sequential]:
    return [m for m in model.modules() if isinstance(m, nn.Sequential)]


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """Return a copy of ``model`` (in evaluation mode) with batch norm folded where exact.

    See the module documentation for the three rewrites; ``model`` itself is not changed.
    Only :class:`torch.nn.Sequential` containers are rewritten (anywhere in the model).
    """
    folded = copy.deepcopy(model).eval()
    uses = _uses(folded)
    with torch.no_grad():
        for seq in _sequentials(folded):
            _fold_into_neighbours(seq, uses)
        for seq in _sequentials(folded):
            _fold_through_templates(seq, uses)
    return folded


def _fold_into_neighbours(seq: nn.Sequential, uses: dict[int, int]) -> None:
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


def _fold_through_templates(seq: nn.Sequential, uses: dict[int, int]) -> None:
    layers = list(seq)
    for i, block in enumerate(layers):
        if not (isinstance(block, TiedResidual) and _foldable(block.norm)):
            continue
        j = i + 1
        if j < len(layers) and isinstance(layers[j], nn.MaxPool2d):
            j += 1  # s > 0 and t commute with max pooling, channel by channel
        rest = layers[j:]
        head = [m for m in rest[2:] if not isinstance(m, nn.Identity)][:1]
        if not (
            len(rest) >= 3
            and isinstance(rest[0], SharedTemplates)
            and isinstance(rest[1], nn.ReLU)
            and head  # the first layer after the ReLU that is not a folded-away norm
            and isinstance(head[0], nn.Linear)
            and uses[id(block)] == uses[id(rest[0])] == uses[id(head[0])] == 1
        ):
            continue
        templates, linear = rest[0], head[0]
        assert isinstance(templates, SharedTemplates)
        assert isinstance(linear, nn.Linear)
        assert isinstance(block.norm, nn.modules.batchnorm._BatchNorm)
        conv = templates.conv
        k, c = conv.out_channels, int(block.norm.num_features)
        if (
            c * k >= 2 * c + k  # it would store more numbers
            or conv.bias is None
            or conv.padding != (0, 0)  # not a valid convolution: a shift is not exact
            or linear.in_features % (c * k)
        ):
            continue
        s, t = _scale_shift(block.norm)
        total = conv.weight.sum(dim=(1, 2, 3))  # sum(T_k)
        new = ChannelTemplates(k, conv.kernel_size[0], c)
        new.conv.weight.copy_(conv.weight)
        new.bias.copy_((t[:, None] * total[None, :] + conv.bias[None, :]) / s[:, None])
        per_feature = linear.in_features // c  # features are (channel, template, position)
        linear.weight.mul_(s.repeat_interleave(per_feature)[None, :])
        block.norm = nn.Identity()  # type: ignore[assignment]
        seq[j] = new


def remove_redundancy(model: nn.Module) -> nn.Module:
    """Return a copy of ``model`` without the numbers its function does not determine.

    See the module documentation: unit diagonals of separable convolutions and the
    reference class of the logits. The outputs of ``model`` must be the logits of a
    softmax classifier (as every model of :mod:`cnn.models` and :mod:`cnn.space`): the
    reference class changes them by one number per input, which only softmax ignores.
    ``model`` itself is not changed.

    Raises:
        DataError: A diagonal weight of a pointwise convolution is 0 or not finite (the
            scale of its channel cannot be fixed by it).
    """
    reduced = copy.deepcopy(model).eval()
    with torch.no_grad():
        for seq in _sequentials(reduced):
            _unit_diagonal(seq)
        net = reduced.inner if isinstance(reduced, ShiftAveraged) else reduced
        if isinstance(net, nn.Sequential) and isinstance(net[-1], nn.Linear):
            old = net[-1]
            ref = ReferenceLinear(old.in_features, old.out_features)
            ref.linear.weight.copy_(old.weight[1:] - old.weight[:1])
            bias = old.bias if old.bias is not None else torch.zeros(old.out_features)
            ref.linear.bias.copy_(bias[1:] - bias[:1])
            net[-1] = ref
    return reduced


def _unit_diagonal(seq: nn.Sequential) -> None:
    if len(seq) != 2:
        return
    dw, pw = seq[0], seq[1]
    if not (isinstance(dw, nn.Conv2d) and isinstance(pw, nn.Conv2d)):
        return
    c = dw.in_channels
    if not (
        dw.groups == c == dw.out_channels == pw.in_channels == pw.out_channels
        and dw.bias is None
        and pw.kernel_size == (1, 1)
        and pw.groups == 1
        and pw.bias is not None
        and c > 1
    ):
        return
    w = pw.weight[:, :, 0, 0]
    beta = w.diagonal().clone()
    if not bool(torch.isfinite(1 / beta).all() and (beta != 0).all()):
        raise DataError(
            f"the pointwise weights' diagonal {beta.tolist()} has a zero: the scale of that "
            "channel cannot be fixed by it"
        )
    dw.weight.mul_(beta.reshape(-1, 1, 1, 1))
    w = w / beta[None, :]
    new = UnitDiagonalPointwise(c)
    new.off_diagonal.copy_(w[~torch.eye(c, dtype=torch.bool)].reshape(c, c - 1))
    new.bias.copy_(pw.bias)
    seq[1] = new


def deployable(model: nn.Module) -> nn.Module:
    """Return the deployable form of ``model``: :func:`fold_batch_norm`, then
    :func:`remove_redundancy`. It computes the same probabilities; ``model`` is not changed.
    """
    return remove_redundancy(fold_batch_norm(model))
