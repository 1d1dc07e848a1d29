"""The Fashion-MNIST architectures of the documented results, under a parameter budget.

The documented model ``stshift`` is built from convolutions (full, depthwise and
pointwise), parameter-free batch normalisation, ReLU, max pooling, shared spatial
templates and a linear layer, with parameter-free structure on top: a skip connection
around a block whose weights are used at two places (:class:`TiedResidual`), the average
of the logits of an image and its mirror image (:class:`MirrorAveraged`), and that
average taken over the image's one-pixel translates too (:class:`ShiftAveraged`). Its
recipe trains ``stmirror`` first (the same weights, two views instead of ten);
``logreg`` is the course's baseline. The other architectures that were tried are in the
experiment log (docs/cnn-log.md), with the commit where their code can still be read.

:func:`build_model` counts *every* trainable parameter (``requires_grad``) of the
built network and raises :class:`~reluapprox.errors.BudgetExceeded` when the count
is above the budget, so that no over-budget model can be trained by accident. The
running statistics of batch normalisation are stored but not trained; they are
outside the budget and counted separately by :func:`count_statistics` (and every stored
number by :func:`cnn.fold.count_stored`).

Examples:
    >>> from cnn.models import build_model, count_parameters
    >>> model = build_model("stshift")
    >>> count_parameters(model)
    494
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
    "DOCUMENTED_ARCH",
    "PLUS_SHIFTS",
    "Architecture",
    "LayerRow",
    "MirrorAveraged",
    "SharedTemplates",
    "ShiftAveraged",
    "TiedResidual",
    "build_model",
    "check_budget",
    "count_parameters",
    "count_statistics",
    "layer_table",
    "shift_images",
]

DEFAULT_BUDGET = 500
"""The default maximum number of trainable parameters (course exercise 3)."""


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


def _st_tied(*, shifts: tuple[tuple[int, int], ...] = ((0, 0),), channels: int = 8) -> nn.Module:
    """The tied network averaged over mirroring and the translations ``shifts``.

    conv(1->c), pool, ReLU, norm; S = dw3x3 + pw(c->c); pool, ReLU, norm;
    norm(x + ReLU(S(x))) with the same S (:class:`TiedResidual`); 2 shared 7x7
    templates, ReLU, norm; linear(2c->10); all of it averaged over the mirror images of
    the translates ``shifts`` (:class:`ShiftAveraged`). With ``c = channels = 8``: 494
    trainable parameters; with ``c = 7``: 439.
    """
    c = channels
    # Layers are created in the order of the documented runs (the shared separable
    # convolution first), so a seed draws the same initial weights as there.
    shared = nn.Sequential(
        nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
        nn.Conv2d(c, c, 1),
    )
    net = nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(c),
        shared,
        nn.MaxPool2d(2),
        nn.ReLU(),
        _norm(c),
        TiedResidual(shared, c),
        SharedTemplates(2, 7),
        nn.ReLU(),
        nn.BatchNorm1d(2 * c, affine=False),
        nn.Linear(2 * c, 10),
    )
    if shifts == ((0, 0),):
        return MirrorAveraged(net)
    return ShiftAveraged(net, shifts=shifts)


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
            "stshift",
            lambda: _st_tied(shifts=PLUS_SHIFTS),
            "the documented model: stmirror averaged over the image and its 4 one-pixel "
            "translates (10 views)",
        ),
        Architecture(
            "stmirror",
            _st_tied,
            "conv, separable conv applied twice (tied residual), 2 shared templates, "
            "averaged over mirroring (phase 1 of the documented recipe)",
        ),
        Architecture(
            "stshift7",
            lambda: _st_tied(shifts=PLUS_SHIFTS, channels=7),
            "the strict variant: stshift with 7 channels (439 trainable parameters, "
            "450 stored numbers deployed)",
        ),
        Architecture(
            "stmirror7",
            lambda: _st_tied(channels=7),
            "stmirror with 7 channels (phase 1 of the strict variant's recipe)",
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
documented recipe (run 31); the second phase trains ``stshift`` starting from its
weights (``--init-from``), which gave ``cnn/weights/best.pt``."""

DOCUMENTED_ARCH = "stshift"
"""The documented model (``python -m cnn summary``'s default)."""


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
    return check_budget(ARCHITECTURES[name].builder(), budget, f"architecture {name!r}")


def check_budget(model: nn.Module, budget: int | None, what: str) -> nn.Module:
    """Return ``model`` if it has at most ``budget`` trainable parameters (``None``: any).

    Raises:
        BudgetExceeded: Naming ``what`` (``"architecture 'x'"``), the count and the budget.
    """
    n = count_parameters(model)
    if budget is not None and n > budget:
        kind = what.split()[0]
        raise BudgetExceeded(
            f"{what} has {n} trainable parameters, more than the budget of "
            f"{budget}: choose a smaller {kind} or raise the budget"
        )
    return model


def forward_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Run ``model`` on a float batch of shape ``(n, 1, 28, 28)`` and return ``(n, 10)`` logits."""
    out: torch.Tensor = model(images)
    return out
