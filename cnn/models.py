"""Small convolutional architectures for Fashion-MNIST under a parameter budget.

Every architecture is built from convolutions (full, depthwise or pointwise), batch
normalisation, ReLU, max pooling, global average pooling and fully connected layers,
some with parameter-free structure on top: skip connections around a block whose
weights are used at two places (:class:`TiedResidual`), the average of the logits of
an image and its mirror image (:class:`MirrorAveraged`), and that average taken over the
image's one-pixel translates too (:class:`ShiftAveraged`).
:func:`build_model` counts *every* trainable parameter (``requires_grad``) of the
built network and raises :class:`~reluapprox.errors.BudgetExceeded` when the count
is above the budget, so that no over-budget model can be trained by accident. The
running statistics of batch normalisation are stored but not trained; they are
outside the budget and counted separately by :func:`count_statistics`.

Examples:
    >>> from cnn.models import build_model, count_parameters
    >>> model = build_model("flat5")
    >>> count_parameters(model) <= 500
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cnn.data import MEAN, STD
from reluapprox._validation import check_choice, check_positive_int, fail
from reluapprox.errors import BudgetExceeded

__all__ = [
    "ARCHITECTURES",
    "BACKGROUND",
    "DEFAULT_ARCH",
    "DEFAULT_BUDGET",
    "PLUS_SHIFTS",
    "SQUARE_SHIFTS",
    "Architecture",
    "LayerRow",
    "MirrorAveraged",
    "ShiftAveraged",
    "TiedResidual",
    "build_model",
    "count_parameters",
    "count_statistics",
    "layer_table",
    "shift_images",
]

DEFAULT_BUDGET = 500
"""The default maximum number of trainable parameters (course exercise 3)."""


def _conv_bn_relu(
    cin: int, cout: int, *, kernel: int = 3, groups: int = 1, bn: bool = True
) -> list[nn.Module]:
    """A convolution ("same" padding), batch norm (or a bias when ``bn=False``) and ReLU."""
    conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, groups=groups, bias=not bn)
    return [conv, nn.BatchNorm2d(cout), nn.ReLU()] if bn else [conv, nn.ReLU()]


def _separable(cin: int, cout: int, *, kernel: int = 3, bn: bool = True) -> list[nn.Module]:
    """Depthwise ``kernel x kernel`` convolution, pointwise convolution, BN (or bias), ReLU."""
    return [
        nn.Conv2d(cin, cin, kernel, padding=kernel // 2, groups=cin, bias=False),
        nn.Conv2d(cin, cout, 1, bias=not bn),
        *([nn.BatchNorm2d(cout)] if bn else []),
        nn.ReLU(),
    ]


def _sep_gap(c1: int, c2: int, *, k3: int = 3) -> nn.Sequential:
    """conv(1->c1)+BN+ReLU, pool, sep(c1->c2), pool, depthwise k3, pointwise(c2->10), GAP."""
    return nn.Sequential(
        *_conv_bn_relu(1, c1),
        nn.MaxPool2d(2),
        *_separable(c1, c2),
        nn.MaxPool2d(2),
        nn.Conv2d(c2, c2, k3, padding=k3 // 2, groups=c2, bias=False),
        nn.BatchNorm2d(c2),
        nn.ReLU(),
        nn.Conv2d(c2, 10, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


def _template_net(
    c1: int, c2: int, *, grid: int, kernel2: int = 3, bn: bool = True
) -> nn.Sequential:
    """conv(1->c1), pool, sep(c1->c2), pool to ``grid x grid``, per-channel spatial template
    (a depthwise ``grid x grid`` convolution without padding), BN, ReLU, linear(c2->10)."""
    return nn.Sequential(
        *_conv_bn_relu(1, c1, bn=bn),
        nn.MaxPool2d(2),
        *_separable(c1, c2, kernel=kernel2, bn=bn),
        nn.MaxPool2d(2),
        nn.AdaptiveMaxPool2d(grid),
        nn.Conv2d(c2, c2, grid, groups=c2, bias=not bn),
        *([nn.BatchNorm2d(c2)] if bn else []),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2, 10),
    )


def _pooled_head_net(c1: int, c2: int, *, grid: int, multiplier: int) -> nn.Sequential:
    """conv(1->c1), pool, sep(c1->c2), pool to ``grid x grid``; then ``multiplier`` learned
    spatial templates per channel (a depthwise ``grid x grid`` convolution without padding),
    ReLU, linear(c2 * multiplier -> 10). No batch norm: every layer has a bias."""
    return nn.Sequential(
        *_conv_bn_relu(1, c1, bn=False),
        nn.MaxPool2d(2),
        *_separable(c1, c2, bn=False),
        nn.MaxPool2d(2),
        nn.AdaptiveMaxPool2d(grid),
        nn.Conv2d(c2, c2 * multiplier, grid, groups=c2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * multiplier, 10),
    )


def _flat_head_net(c1: int, c2: int, *, grid: int) -> nn.Sequential:
    """conv(1->c1), pool, sep(c1->c2), pool to ``grid x grid``, flatten, linear (no BN)."""
    return nn.Sequential(
        *_conv_bn_relu(1, c1, bn=False),
        nn.MaxPool2d(2),
        *_separable(c1, c2, bn=False),
        nn.MaxPool2d(2),
        nn.AdaptiveMaxPool2d(grid),
        nn.Flatten(),
        nn.Linear(c2 * grid * grid, 10),
    )


def _flat8x3() -> nn.Sequential:
    """conv(1->8), pool, sep(8->3), pool, dw3x3, pool to 3x3, linear(27->10) (no BN)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8, bn=False),
        nn.MaxPool2d(2),
        *_separable(8, 3, bn=False),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 3, 3, padding=1, groups=3),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(3),
        nn.Flatten(),
        nn.Linear(3 * 3 * 3, 10),
    )


class SharedTemplates(nn.Module):
    """``k`` spatial templates of size ``h x w`` shared by all channels.

    A valid ``h x w`` convolution with one input channel applied to every channel of an
    ``(n, c, h, w)`` map separately: output ``(n, c * k)``; ``k * (h * w + 1)`` parameters.
    """

    def __init__(self, k: int, size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, k, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the templates to each channel of ``x``."""
        n, c, h, w = x.shape
        out: torch.Tensor = self.conv(x.reshape(n * c, 1, h, w))
        return out.reshape(n, -1)


def _stmpl() -> nn.Sequential:
    """conv(1->8), pool, sep(8->8), pool, 2 shared 7x7 templates, ReLU, linear(16->10)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8, bn=False),
        nn.MaxPool2d(2),
        *_separable(8, 8, bn=False),
        nn.MaxPool2d(2),
        SharedTemplates(2, 7),
        nn.ReLU(),
        nn.Linear(16, 10),
    )


def _norm(channels: int) -> nn.BatchNorm2d:
    """Batch normalisation *without* trainable parameters (``affine=False``).

    It standardises each channel with the batch statistics while training and with their
    running averages (buffers, not trainable) in evaluation. The scale and shift that an
    affine batch norm would learn are left out: the next layer's weights and bias absorb
    them exactly in front of a linear layer and up to the zero-padded border in front of
    a separable convolution; in front of templates shared by all channels they would add
    a per-channel scale of the shared response, which costs 2 parameters per channel.
    """
    return nn.BatchNorm2d(channels, affine=False)


def _st_norm(
    c1: int,
    c2: int,
    *,
    templates: int,
    mid: bool = False,
    head: bool = True,
    hidden: int = 0,
) -> nn.Sequential:
    """stmpl with parameter-free batch normalisation (:func:`_norm`).

    conv(1->c1), pool, ReLU, norm; dw3x3 [, norm if ``mid``], pw(c1->c2), pool, ReLU,
    norm; ``templates`` shared 7x7 templates, ReLU [, norm if ``head``]
    [, linear(-> ``hidden``), ReLU, norm if ``hidden``]; linear(-> 10).
    Pooling comes before the ReLU (``relu(max(a, b)) = max(relu(a), relu(b))``, so the
    function is the same, on a quarter of the values). Each normalisation sits in front of
    a linear map (a convolution or the linear layer) and adds no trainable parameter. In
    evaluation it is a fixed per-channel affine map given by its running statistics (64
    numbers for ``c1 = c2 = 8``, ``templates=2``; see :func:`count_statistics`). The one in
    front of the linear layer could be folded into its weights and bias exactly; the
    others could not be folded without giving up the zero padding of the depthwise
    convolution or the sharing of the templates across channels, so the model keeps them.
    """
    # The separable convolution is created before the first convolution: the order in
    # which layers are created fixes the initial weights drawn for a seed, and the
    # documented runs (docs/cnn.md, runs 18 and 19) were made with this order.
    separable: list[nn.Module] = [
        nn.Conv2d(c1, c1, 3, padding=1, groups=c1, bias=False),
        *([_norm(c1)] if mid else []),
        nn.Conv2d(c1, c2, 1),
    ]
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(c1),
        *separable,
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(c2),
        SharedTemplates(templates, 7),
        nn.ReLU(),
        *([nn.BatchNorm1d(c2 * templates, affine=False)] if head else []),
        *(
            [
                nn.Linear(c2 * templates, hidden),
                nn.ReLU(),
                nn.BatchNorm1d(hidden, affine=False),
            ]
            if hidden
            else []
        ),
        nn.Linear(hidden or c2 * templates, 10),
    )


class TiedResidual(nn.Module):
    """``norm(x + relu(f(x)))`` where ``f`` is a module used elsewhere in the network too.

    The module ``f`` (here a separable convolution) is *shared*: its weights are counted
    once by :func:`count_parameters` and appear in :func:`layer_table` as a reuse with 0
    new parameters. The skip connection and the normalisation (``affine=False``) add no
    trainable parameter, so a second application of ``f`` adds depth (one more nonlinear
    stage) and compute, not parameters.
    """

    def __init__(self, f: nn.Module, channels: int) -> None:
        super().__init__()
        self.f = f
        self.norm = _norm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``norm(x + relu(f(x)))``."""
        out: torch.Tensor = self.norm(x + torch.relu(self.f(x)))
        return out


PLUS_SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
"""The image and its four translates by one pixel (up, down, left, right)."""

SQUARE_SHIFTS: tuple[tuple[int, int], ...] = tuple(
    (dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
)
"""The image and its eight translates by at most one pixel in each direction (a 3 x 3
square of positions, the diagonal ones included)."""

BACKGROUND = -MEAN / STD
"""The value of a background (black) pixel after :func:`cnn.train.normalise`."""


def shift_images(x: torch.Tensor, dy: int, dx: int, *, fill: float) -> torch.Tensor:
    """Translate ``(..., h, w)`` images by ``dy`` rows down and ``dx`` columns right.

    ``out[..., i, j] = x[..., i - dy, j - dx]`` where that index is inside the image and
    ``fill`` elsewhere; the result is a new contiguous tensor of the same shape.

    Examples:
        >>> x = torch.arange(4.0).reshape(1, 1, 2, 2)
        >>> shift_images(x, 0, 1, fill=-1.0).tolist()
        [[[[-1.0, 0.0], [-1.0, 2.0]]]]
    """
    h, w = x.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        fail("(dy, dx)", (dy, dx), f"a shift smaller than the image ({h} x {w})")
    p = max(abs(dy), abs(dx))
    if p == 0:
        return x
    padded = nn.functional.pad(x, (p, p, p, p), value=fill)
    return padded[..., p - dy : p - dy + h, p - dx : p - dx + w].contiguous()


class ShiftAveraged(nn.Module):
    """The logits of ``g`` averaged over mirroring *and* over translations of the image.

    ``f(x) = (1 / 2|S|) sum over (dy, dx) in S of [g(T x) + g(flip(T x))]`` with ``T``
    the translation by ``(dy, dx)`` (:func:`shift_images`, vacated pixels set to
    ``fill``). With ``S = {(0, 0)}`` this is :class:`MirrorAveraged`; both hold ``g``
    as ``inner``, so they have the same state-dict keys and weights trained for one load
    into the other. ``S`` must be closed under
    ``(dy, dx) -> (dy, -dx)``: then ``f`` is exactly invariant under mirroring (the
    terms are summed in mirror-symmetric pairs, so even the rounding is the same). No
    parameter is added; the compute is ``|S|`` times that of :class:`MirrorAveraged`.
    """

    def __init__(
        self,
        inner: nn.Module,
        *,
        shifts: tuple[tuple[int, int], ...] = PLUS_SHIFTS,
        fill: float = BACKGROUND,
    ) -> None:
        super().__init__()
        pairs = all(
            isinstance(s, tuple)
            and len(s) == 2
            and all(isinstance(d, int) and not isinstance(d, bool) for d in s)
            for s in shifts
        )
        shift_set = set(shifts) if pairs else set()
        if (
            not pairs
            or not shifts
            or len(shift_set) != len(shifts)
            or any((dy, -dx) not in shift_set for dy, dx in shifts)
        ):
            fail(
                "shifts",
                shifts,
                "a non-empty tuple of distinct integer pairs (dy, dx) that holds (dy, -dx) "
                "with every (dy, dx)",
            )
        self.inner = inner
        self.shifts = tuple(shifts)
        self.fill = float(fill)
        # One group per (dy, |dx|): the pair (dy, dx), (dy, -dx), or (dy, 0) alone.
        self._groups = sorted({(dy, abs(dx)) for dy, dx in shifts})

    def _mirrored(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.inner(x) + self.inner(torch.flip(x, dims=[-1]))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average the logits over the mirror images of the translates of ``x``."""
        total: torch.Tensor | None = None
        for dy, adx in self._groups:
            term = self._mirrored(shift_images(x, dy, adx, fill=self.fill))
            if adx:
                term = term + self._mirrored(shift_images(x, dy, -adx, fill=self.fill))
            total = term if total is None else total + term
        assert total is not None  # shifts is not empty
        return total / (2 * len(self.shifts))


class MirrorAveraged(ShiftAveraged):
    """``(g(x) + g(flip(x))) / 2``: the logits of ``g`` averaged over left-right mirroring.

    :class:`ShiftAveraged` with the single view ``(0, 0)``. The result is exactly
    invariant under mirroring the image (a test checks it), in training and in evaluation
    alike. It adds no parameter: every filter and template of ``g`` is used in both
    orientations, at twice the compute. Fashion-MNIST's classes do not depend on the
    orientation (shoes all point the same way, but a mirrored shoe is still a shoe), so
    the invariance loses no information about the label.
    """

    def __init__(self, inner: nn.Module) -> None:
        super().__init__(inner, shifts=((0, 0),))


def _st_tied(
    *,
    repeats: int = 1,
    at14: int = 0,
    residual: bool = True,
    mirror: bool = False,
    shifts: tuple[tuple[int, int], ...] | None = None,
) -> nn.Module:
    """stnorm whose separable convolution is applied again at 7x7, ``repeats`` times, as a
    residual block sharing its weights (:class:`TiedResidual`); with ``mirror``, the whole
    network averaged over left-right mirroring (:class:`MirrorAveraged`); with ``shifts``
    also over those translations (:class:`ShiftAveraged`, :data:`PLUS_SHIFTS`,
    :data:`SQUARE_SHIFTS`).

    conv(1->8), pool, ReLU, norm; [``at14`` x residual S at 14x14]; S = dw3x3 + pw(8->8);
    pool, ReLU, norm; ``repeats`` x norm(x + ReLU(S(x))) (without ``residual``:
    norm(ReLU(S(x)))); 2 shared 7x7 templates, ReLU, norm; linear(16->10). 494 trainable
    parameters whatever the options, the same as stnorm.
    """
    # The layer list repeats _st_norm's instead of reusing it: here the separable
    # convolution must be one module (it is applied at two places), which changes the
    # state-dict keys, and _st_norm's keys are those of the committed stnorm.pt.
    # Layers are created in the order of the screening runs (docs/cnn.md, round 4), so a
    # seed draws the same initial weights as there: the shared separable convolution first.
    shared = nn.Sequential(
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.Conv2d(8, 8, 1),
    )
    layers: list[nn.Module] = [
        nn.Conv2d(1, 8, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        *[TiedResidual(shared, 8) for _ in range(at14)],
        shared,
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
    ]
    for _ in range(repeats):
        layers += [TiedResidual(shared, 8)] if residual else [shared, nn.ReLU(), _norm(8)]
    layers += [
        SharedTemplates(2, 7),
        nn.ReLU(),
        nn.BatchNorm1d(16, affine=False),
        nn.Linear(16, 10),
    ]
    net = nn.Sequential(*layers)
    if shifts is not None:
        return ShiftAveraged(net, shifts=shifts)
    return MirrorAveraged(net) if mirror else net


def _st_norm_dw3() -> nn.Sequential:
    """stnorm with a third stage: dw3x3 (with bias), pool to 3x3, ReLU, norm, and two
    shared 3x3 templates instead of 7x7 ones."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.Conv2d(8, 8, 1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        nn.Conv2d(8, 8, 3, padding=1, groups=8),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        SharedTemplates(2, 3),
        nn.ReLU(),
        nn.BatchNorm1d(16, affine=False),
        nn.Linear(16, 10),
    )


def _st_norm_deep() -> nn.Sequential:
    """stnorm with a second separable block at 7x7 (8 -> 7 channels) and one template."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.Conv2d(8, 8, 1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(8),
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
        nn.Conv2d(8, 7, 1),
        nn.ReLU(),
        _norm(7),
        SharedTemplates(1, 7),
        nn.ReLU(),
        nn.BatchNorm1d(7, affine=False),
        nn.Linear(7, 10),
    )


def _stmpl6x3() -> nn.Sequential:
    """conv(1->6), pool, sep(6->6), pool, three 7x7 templates shared by all channels, ReLU,
    linear(18->10)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 6, bn=False),
        nn.MaxPool2d(2),
        *_separable(6, 6, bn=False),
        nn.MaxPool2d(2),
        SharedTemplates(3, 7),
        nn.ReLU(),
        nn.Linear(18, 10),
    )


def _st_net(
    c1: int, c2: int, *, templates: int, full_res_dw: bool = False, extra: int | None = None
) -> nn.Sequential:
    """conv(1->c1) [+ depthwise 3x3 at 28x28], pool, sep(c1->c2), pool [, sep(c2->extra)],
    ``templates`` shared 7x7 templates, ReLU, linear(channels * templates -> 10); no BN."""
    layers: list[nn.Module] = [*_conv_bn_relu(1, c1, bn=False)]
    if full_res_dw:
        layers += [nn.Conv2d(c1, c1, 3, padding=1, groups=c1), nn.ReLU()]
    layers += [nn.MaxPool2d(2), *_separable(c1, c2, bn=False), nn.MaxPool2d(2)]
    channels = c2
    if extra is not None:
        layers += _separable(c2, extra, bn=False)
        channels = extra
    layers += [SharedTemplates(templates, 7), nn.ReLU(), nn.Linear(channels * templates, 10)]
    return nn.Sequential(*layers)


def _st3dw() -> nn.Sequential:
    """conv(1->8), pool, sep(8->8), pool, dw3x3, pool to 3x3, 2 shared 3x3 templates,
    linear(16->10)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8, bn=False),
        nn.MaxPool2d(2),
        *_separable(8, 8, bn=False),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        SharedTemplates(2, 3),
        nn.ReLU(),
        nn.Linear(16, 10),
    )


def _class_maps(c1: int, c2: int) -> nn.Sequential:
    """Fully convolutional: conv(1->c1), pool, sep(c1->c2), pool, sep(c2->10), pool to 3x3,
    one 3x3 template per class channel (a depthwise valid convolution) giving the logits."""
    return nn.Sequential(
        *_conv_bn_relu(1, c1, bn=False),
        nn.MaxPool2d(2),
        *_separable(c1, c2, bn=False),
        nn.MaxPool2d(2),
        *_separable(c2, 10, bn=False),
        nn.MaxPool2d(2),
        nn.Conv2d(10, 10, 3, groups=10),
        nn.Flatten(),
    )


def _bighid() -> nn.Sequential:
    """stmpl with a hidden layer of 16 units before the output (over budget: a probe)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8, bn=False),
        nn.MaxPool2d(2),
        *_separable(8, 8, bn=False),
        nn.MaxPool2d(2),
        SharedTemplates(2, 7),
        nn.ReLU(),
        nn.Linear(16, 16),
        nn.ReLU(),
        nn.Linear(16, 10),
    )


def _teacher() -> nn.Sequential:
    """A conventional CNN (431,146 parameters) used as the teacher for distillation."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(128, 10),
    )


def _sep6() -> nn.Module:
    return _sep_gap(6, 12)


def _gapfc8() -> nn.Module:
    """conv(1->8), pool, sep(8->16), pool, GAP, linear(16->10)."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8),
        nn.MaxPool2d(2),
        *_separable(8, 16),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


def _plain4() -> nn.Module:
    """Plain 3x3 convolutions: conv(1->4), pool, conv(4->8), pool, conv1x1(8->10), GAP."""
    return nn.Sequential(
        *_conv_bn_relu(1, 4),
        nn.MaxPool2d(2),
        *_conv_bn_relu(4, 8),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 10, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


def _flatfc() -> nn.Module:
    """conv(1->8), pool, sep(8->8), pool, pointwise(8->2), pool to 3x3, flatten, linear."""
    return nn.Sequential(
        *_conv_bn_relu(1, 8),
        nn.MaxPool2d(2),
        *_separable(8, 8),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 2, 1, bias=False),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * 3 * 3, 10),
    )


def _logreg() -> nn.Module:
    """Multinomial logistic regression on the 784 pixels (the course baseline, 7,850 params)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


@dataclass(frozen=True)
class Architecture:
    """A named architecture: its builder and a one-line description."""

    name: str
    builder: Callable[[], nn.Module]
    description: str


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "sep6",
            _sep6,
            "conv3x3(1->6)+BN, pool, dw3x3+pw(6->12)+BN, pool, dw3x3+BN, pw(12->10), GAP",
        ),
        Architecture(
            "tmpl12",
            lambda: _template_net(6, 12, grid=3),
            "conv3x3(1->6)+BN, pool, dw3x3+pw(6->12)+BN, pool to 3x3, dw3x3 valid+BN, linear",
        ),
        Architecture(
            "tmpl12nb",
            lambda: _template_net(6, 12, grid=3, bn=False),
            "tmpl12 without batch norm (biases instead)",
        ),
        Architecture(
            "tnb8_11g3",
            lambda: _template_net(8, 11, grid=3, bn=False),
            "as tmpl12nb with conv3x3(1->8) and 11 channels after the pointwise convolution",
        ),
        Architecture(
            "tnb6_11g4",
            lambda: _template_net(6, 11, grid=4, bn=False),
            "as tmpl12nb with 11 channels pooled to 4x4 and a 4x4 template",
        ),
        Architecture(
            "hid16",
            lambda: _pooled_head_net(6, 8, grid=3, multiplier=2),
            "conv3x3(1->6), pool, dw3x3+pw(6->8), pool to 3x3, 2 templates per channel "
            "(16 hidden units), linear(16->10); no BN",
        ),
        Architecture(
            "flat5",
            lambda: _flat_head_net(5, 4, grid=3),
            "conv3x3(1->5), pool, dw3x3+pw(5->4), pool to 3x3, linear(36->10); no BN",
        ),
        Architecture(
            "flat8x3",
            _flat8x3,
            "conv3x3(1->8), pool, dw3x3+pw(8->3), pool, dw3x3, pool to 3x3, linear(27->10); no BN",
        ),
        Architecture(
            "stmpl",
            _stmpl,
            "conv3x3(1->8), pool, dw3x3+pw(8->8), pool, two 7x7 templates shared by all "
            "channels, linear(16->10); no BN",
        ),
        Architecture(
            "sttied",
            lambda: _st_tied(),
            "stnorm with its separable convolution applied again at 7x7 as a residual "
            "block (shared weights)",
        ),
        Architecture(
            "sttied2",
            lambda: _st_tied(repeats=2),
            "sttied with the shared residual block applied twice",
        ),
        Architecture(
            "sttied3",
            lambda: _st_tied(repeats=3),
            "sttied with the shared residual block applied three times",
        ),
        Architecture(
            "sttied_plain",
            lambda: _st_tied(residual=False),
            "sttied without the skip connection (the shared block applied again plainly)",
        ),
        Architecture(
            "sttied_14",
            lambda: _st_tied(at14=1),
            "sttied with the shared residual block also applied at 14x14",
        ),
        Architecture(
            "stnorm_mirror",
            lambda: MirrorAveraged(_st_norm(8, 8, templates=2)),
            "stnorm averaged over left-right mirroring of the input (mirror-invariant)",
        ),
        Architecture(
            "stmirror",
            lambda: _st_tied(mirror=True),
            "sttied averaged over left-right mirroring of the input (mirror-invariant)",
        ),
        Architecture(
            "stshift",
            lambda: _st_tied(mirror=True, shifts=PLUS_SHIFTS),
            "stmirror averaged over the image and its 4 one-pixel translates (10 views)",
        ),
        Architecture(
            "stshift9",
            lambda: _st_tied(mirror=True, shifts=SQUARE_SHIFTS),
            "stmirror averaged over the image and its 8 translates by at most one pixel (18 views)",
        ),
        Architecture(
            "stnorm",
            lambda: _st_norm(8, 8, templates=2),
            "stmpl with parameter-free batch norm after both pooling layers and before the "
            "linear layer (pooling before ReLU)",
        ),
        Architecture(
            "stnorm_nh",
            lambda: _st_norm(8, 8, templates=2, head=False),
            "stnorm without the batch norm in front of the linear layer",
        ),
        Architecture(
            "stnorm_mid",
            lambda: _st_norm(8, 8, templates=2, mid=True),
            "stnorm with one more parameter-free batch norm between the depthwise and the "
            "pointwise convolution",
        ),
        Architecture(
            "stnorm6x3",
            lambda: _st_norm(6, 6, templates=3),
            "stnorm with conv3x3(1->6), dw3x3+pw(6->6) and three shared 7x7 templates",
        ),
        Architecture(
            "stnorm6x3_nh",
            lambda: _st_norm(6, 6, templates=3, head=False),
            "stnorm6x3 without the batch norm in front of the linear layer",
        ),
        Architecture(
            "stnorm10x6",
            lambda: _st_norm(10, 6, templates=2),
            "stnorm with conv3x3(1->10) and dw3x3+pw(10->6)",
        ),
        Architecture(
            "stnorm10x6_nh",
            lambda: _st_norm(10, 6, templates=2, head=False),
            "stnorm10x6 without the batch norm in front of the linear layer",
        ),
        Architecture(
            "stnorm12x1",
            lambda: _st_norm(8, 12, templates=1),
            "stnorm with dw3x3+pw(8->12) and a single shared 7x7 template (12 features)",
        ),
        Architecture(
            "stnorm_dw3",
            _st_norm_dw3,
            "stnorm with a third stage (dw3x3, pool to 3x3) and two shared 3x3 templates",
        ),
        Architecture(
            "stnorm_deep",
            _st_norm_deep,
            "stnorm with a second separable block at 7x7 (8->7 channels) and one template",
        ),
        Architecture(
            "probe_c1",
            lambda: _st_norm(16, 8, templates=2),
            "probe, over budget: stnorm with 16 channels in the first convolution",
        ),
        Architecture(
            "probe_c2",
            lambda: _st_norm(8, 16, templates=2),
            "probe, over budget: stnorm with 16 channels after the separable convolution",
        ),
        Architecture(
            "probe_t4",
            lambda: _st_norm(8, 8, templates=4),
            "probe, over budget: stnorm with four shared templates (32 features)",
        ),
        Architecture(
            "probe_hid",
            lambda: _st_norm(8, 8, templates=2, hidden=16),
            "probe, over budget: stnorm with a hidden layer of 16 units before the output",
        ),
        Architecture(
            "stmpl6x3",
            _stmpl6x3,
            "conv3x3(1->6), pool, dw3x3+pw(6->6), pool, three 7x7 templates shared by all "
            "channels, linear(18->10); no BN",
        ),
        Architecture(
            "stdeep",
            lambda: _st_net(8, 8, templates=1, extra=7),
            "conv3x3(1->8), pool, dw3x3+pw(8->8), pool, dw3x3+pw(8->7), one shared 7x7 "
            "template, linear(7->10); no BN",
        ),
        Architecture(
            "st3dw",
            _st3dw,
            "conv3x3(1->8), pool, dw3x3+pw(8->8), pool, dw3x3, pool to 3x3, two shared 3x3 "
            "templates, linear(16->10); no BN",
        ),
        Architecture(
            "st10x6",
            lambda: _st_net(10, 6, templates=2),
            "conv3x3(1->10), pool, dw3x3+pw(10->6), pool, two shared 7x7 templates, "
            "linear(12->10); no BN",
        ),
        Architecture(
            "stfull",
            lambda: _st_net(6, 8, templates=2, full_res_dw=True),
            "conv3x3(1->6), dw3x3 at 28x28, pool, dw3x3+pw(6->8), pool, two shared 7x7 "
            "templates, linear(16->10); no BN",
        ),
        Architecture(
            "fcn3",
            lambda: _class_maps(8, 8),
            "conv3x3(1->8), pool, sep(8->8), pool, sep(8->10), pool to 3x3, one 3x3 template "
            "per class; no linear layer, no BN",
        ),
        Architecture(
            "fcn3c",
            lambda: _class_maps(6, 10),
            "conv3x3(1->6), pool, sep(6->10), pool, sep(10->10), pool to 3x3, one 3x3 template "
            "per class; no linear layer, no BN",
        ),
        Architecture(
            "bigc1",
            lambda: _st_net(16, 8, templates=2),
            "probe, over budget: stmpl with 16 channels in the first convolution",
        ),
        Architecture(
            "bighead",
            lambda: _st_net(8, 8, templates=4),
            "probe, over budget: stmpl with four shared templates (32 features)",
        ),
        Architecture(
            "bighid",
            _bighid,
            "probe, over budget: stmpl with a hidden layer of 16 units before the output",
        ),
        Architecture(
            "teacher",
            _teacher,
            "conventional CNN with BN and dropout, 431,146 parameters (distillation teacher)",
        ),
        Architecture(
            "tmpl10",
            lambda: _template_net(8, 10, grid=3),
            "conv3x3(1->8)+BN, pool, dw3x3+pw(8->10)+BN, pool to 3x3, dw3x3 valid+BN, linear",
        ),
        Architecture(
            "tmpl10g4",
            lambda: _template_net(6, 10, grid=4),
            "conv3x3(1->6)+BN, pool, dw3x3+pw(6->10)+BN, pool to 4x4, dw4x4 valid+BN, linear",
        ),
        Architecture(
            "gapfc8",
            _gapfc8,
            "conv3x3(1->8)+BN, pool, dw3x3+pw(8->16)+BN, pool, GAP, linear(16->10)",
        ),
        Architecture(
            "plain4",
            _plain4,
            "conv3x3(1->4)+BN, pool, conv3x3(4->8)+BN, pool, conv1x1(8->10), GAP",
        ),
        Architecture(
            "flatfc",
            _flatfc,
            "conv3x3(1->8)+BN, pool, dw3x3+pw(8->8)+BN, pool, pw(8->2)+BN, pool, linear(18->10)",
        ),
        Architecture(
            "logreg",
            _logreg,
            "logistic regression on raw pixels (baseline; over the default budget)",
        ),
    )
}
"""All architectures known to :func:`build_model`, by name."""

DEFAULT_ARCH = "stmirror"
"""The default of ``python -m cnn train``: the architecture of the first phase of the
documented run (docs/cnn.md, runs 22 and 31); the second phase trains ``stshift``
starting from its weights (``--init-from``), which is ``cnn/weights/best.pt``."""


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable scalars of ``model`` (every ``requires_grad`` tensor)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_statistics(model: nn.Module) -> int:
    """Return the number of stored floating-point statistics of ``model`` (its buffers).

    These are the running means and variances of batch normalisation: numbers that the
    model keeps and uses in evaluation but that are estimated from the data, not trained
    by gradient descent, so :func:`count_parameters` (and the budget) does not include
    them. Integer buffers (the batch counters of batch norm) are not counted.

    Examples:
        >>> from torch import nn
        >>> count_statistics(nn.BatchNorm2d(4, affine=False))
        8
        >>> count_parameters(nn.BatchNorm2d(4, affine=False))
        0
    """
    return sum(b.numel() for b in model.buffers() if b.is_floating_point())


@dataclass(frozen=True)
class LayerRow:
    """One row of :func:`layer_table`: a layer and its number of trainable parameters."""

    name: str
    layer: str
    n_parameters: int


def layer_table(model: nn.Module) -> list[LayerRow]:
    """Return one :class:`LayerRow` per leaf module of ``model``, in forward order."""
    rows = []
    first_name: dict[int, str] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        if any(True for _ in module.children()):
            continue
        if id(module) in first_name:
            # A module applied at a second place (shared weights): listed, counted once.
            rows.append(LayerRow(name, f"{module!r} (shared with {first_name[id(module)]})", 0))
            continue
        first_name[id(module)] = name
        n = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
        rows.append(LayerRow(name, repr(module), n))
    return rows


def build_model(name: str = DEFAULT_ARCH, *, budget: int | None = DEFAULT_BUDGET) -> nn.Module:
    """Build architecture ``name`` and check its trainable parameter count.

    Args:
        name: A key of :data:`ARCHITECTURES`.
        budget: The maximum number of trainable parameters, or ``None`` for no limit.

    Returns:
        The freshly initialised model (weights from torch's global RNG).

    Raises:
        InvalidArgument: ``name`` is unknown or ``budget`` is not a positive integer.
        BudgetExceeded: The model has more than ``budget`` trainable parameters.
    """
    check_choice("name", name, ARCHITECTURES)
    if budget is not None:
        budget = check_positive_int("budget", budget)
    model = ARCHITECTURES[name].builder()
    n = count_parameters(model)
    if budget is not None and n > budget:
        raise BudgetExceeded(
            f"architecture {name!r} has {n} trainable parameters, more than the budget of "
            f"{budget}: choose a smaller architecture or raise the budget"
        )
    return model


def forward_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Run ``model`` on a float batch of shape ``(n, 1, 28, 28)`` and return ``(n, 10)`` logits."""
    out: torch.Tensor = model(images)
    return out
