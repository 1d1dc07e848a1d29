"""The architecture family of the search: a design as a dataclass and as a name.

:class:`Design` describes one member of the family of the documented model (see
:mod:`cnn.models`): a first convolution, a block ``S`` (a separable or a plain
convolution), optionally ``S`` again as a residual stage (the same weights, tied, or a
second copy), max pooling after any of the three stages, shared spatial templates over the
whole last map, batch norm before or after each ReLU, a linear layer, and the logits
averaged over no views, the mirror image, or the mirror images of the one-pixel
translates. Every design has a name (``space:c8-k3-b3-sep-p12-t2-post-tied-mirror``)
that :func:`parse_design` reads back, so a searched model travels through
``TrainConfig.arch``, checkpoints and the command line like a registered architecture
(:func:`build_architecture` builds either kind; the registered list is not extended).

The default design is ``stmirror`` layer for layer: the same modules created in the same
order, so one seed gives the same initial weights.

Examples:
    >>> from cnn.models import count_parameters
    >>> design = Design()
    >>> design.name
    'space:c8-k3-b3-sep-p12-t2-post-tied-mirror'
    >>> parse_design(design.name) == design
    True
    >>> count_parameters(design.build())
    494
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch import nn

from cnn.models import (
    ARCHITECTURES,
    PLUS_SHIFTS,
    MirrorAveraged,
    SharedTemplates,
    ShiftAveraged,
    TiedResidual,
    build_model,
    check_budget,
)
from reluapprox._validation import check_positive_int, fail

__all__ = [
    "NORMS",
    "POOLS",
    "PREFIX",
    "RESIDUALS",
    "VIEWS",
    "Design",
    "build_architecture",
    "check_architecture",
    "parse_design",
]

PREFIX = "space:"
"""The start of the name of every design (registered architectures have none)."""

POOLS = ("1", "2", "3", "12", "13", "23", "123")
"""Where a 2x2 max pooling follows: after stage 1 (the first convolution), 2 (``S``), 3
(the residual stage); the templates cover the last map (28, 14, 7 or 3 pixels wide)."""

NORMS = ("post", "pre")
"""Batch norm (``affine=False``) after the ReLU of a stage (``post``) or before it."""

RESIDUALS = ("tied", "untied", "none")
"""The third stage ``norm(x + relu(S(x)))``: ``S`` itself, a second copy, or no stage."""

VIEWS = ("none", "mirror", "shift")
"""Logits of the image alone, averaged with its mirror image, or over the mirror images
of the image and its four one-pixel translates (10 views)."""

KERNELS = (1, 3, 5, 7)
"""The kernel sizes a design accepts (odd, padded to keep the map size)."""

_NAME = re.compile(
    r"space:c(\d+)-k(\d+)-b(\d+)-(sep|plain)-p(\d+)-t(\d+)-(\w+?)-(\w+?)-(\w+)",
    re.ASCII,
)


@dataclass(frozen=True)
class Design:
    """One network of the search's family (all keyword-only; defaults give ``stmirror``).

    Attributes:
        channels: Channels of every feature map.
        kernel: Kernel size of the first convolution (1 -> ``channels``).
        block_kernel: Kernel size of the block ``S``.
        separable: ``S`` is depthwise ``block_kernel`` then pointwise (``True``), or one
            full ``channels -> channels`` convolution.
        pools: The stages followed by 2x2 max pooling (:data:`POOLS`).
        templates: Shared templates, each as large as the last map.
        norm: Batch-norm placement (:data:`NORMS`).
        residual: The third stage (:data:`RESIDUALS`).
        views: View averaging of the logits (:data:`VIEWS`).
    """

    channels: int = 8
    kernel: int = 3
    block_kernel: int = 3
    separable: bool = True
    pools: str = "12"
    templates: int = 2
    norm: str = "post"
    residual: str = "tied"
    views: str = "mirror"

    def __post_init__(self) -> None:
        check_positive_int("channels", self.channels)
        check_positive_int("templates", self.templates)
        for option in ("kernel", "block_kernel"):
            value = getattr(self, option)
            if isinstance(value, bool) or value not in KERNELS:
                fail(option, value, f"one of {KERNELS}")
        if not isinstance(self.separable, bool):
            fail("separable", self.separable, "True or False")
        for option, choices in (
            ("pools", POOLS),
            ("norm", NORMS),
            ("residual", RESIDUALS),
            ("views", VIEWS),
        ):
            value = getattr(self, option)
            if not isinstance(value, str) or value not in choices:
                fail(option, value, "one of " + ", ".join(repr(c) for c in choices))

    @property
    def name(self) -> str:
        """The design as one string, read back by :func:`parse_design`."""
        conv = "sep" if self.separable else "plain"
        return (
            f"{PREFIX}c{self.channels}-k{self.kernel}-b{self.block_kernel}-{conv}-p{self.pools}"
            f"-t{self.templates}-{self.norm}-{self.residual}-{self.views}"
        )

    @property
    def map_size(self) -> int:
        """The width of the last feature map, which the templates cover."""
        return 28 >> len(self.pools)

    def build(self) -> nn.Module:
        """Build the network with fresh weights (torch's global random state).

        Stages 1 and 2 are conv, [pool], ReLU, norm (``post``) or conv, [pool], norm,
        ReLU (``pre``); stage 3 is :class:`~cnn.models.TiedResidual`, [pool]; then
        :class:`~cnn.models.SharedTemplates`, ReLU, batch norm and the linear layer.
        """
        c = self.channels
        # The block first: stmirror creates its shared convolution before the first one.
        block = self._block()
        layers: list[nn.Module] = [nn.Conv2d(1, c, self.kernel, padding=self.kernel // 2)]
        layers += self._finish_stage("1")
        layers.append(block)
        layers += self._finish_stage("2")
        if self.residual != "none":
            layers.append(TiedResidual(block if self.residual == "tied" else self._block(), c))
        if "3" in self.pools:
            layers.append(nn.MaxPool2d(2))
        width = c * self.templates
        layers += [
            SharedTemplates(self.templates, self.map_size),
            nn.ReLU(),
            nn.BatchNorm1d(width, affine=False),
            nn.Linear(width, 10),
        ]
        net = nn.Sequential(*layers)
        if self.views == "none":
            return net
        if self.views == "mirror":
            return MirrorAveraged(net)
        return ShiftAveraged(net, shifts=PLUS_SHIFTS)

    def _block(self) -> nn.Module:
        c, k = self.channels, self.block_kernel
        if self.separable:
            return nn.Sequential(
                nn.Conv2d(c, c, k, padding=k // 2, groups=c, bias=False), nn.Conv2d(c, c, 1)
            )
        return nn.Conv2d(c, c, k, padding=k // 2)

    def _finish_stage(self, stage: str) -> list[nn.Module]:
        pool: list[nn.Module] = [nn.MaxPool2d(2)] if stage in self.pools else []
        norm = nn.BatchNorm2d(self.channels, affine=False)
        if self.norm == "post":
            return [*pool, nn.ReLU(), norm]
        return [*pool, norm, nn.ReLU()]


def parse_design(name: str, *, option: str = "arch") -> Design:
    """Read a design back from its :attr:`Design.name`.

    Args:
        name: The name.
        option: The name of the option or field ``name`` came from, for the error.

    Raises:
        InvalidArgument: ``name`` is not the name of a valid design.

    Examples:
        >>> parse_design("space:c4-k5-b3-plain-p123-t3-pre-none-shift").templates
        3
    """
    match = _NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        fail(
            option,
            name,
            "a registered architecture or a design name such as "
            f"{Design().name!r} (see cnn.space.Design)",
        )
    c, k, b, conv, pools, t, norm, residual, views = match.groups()
    try:
        design = Design(
            channels=int(c),
            kernel=int(k),
            block_kernel=int(b),
            separable=conv == "sep",
            pools=pools,
            templates=int(t),
            norm=norm,
            residual=residual,
            views=views,
        )
    except ValueError as exc:  # a part out of range: its own message says which
        fail(option, name, f"the name of a valid design ({exc})")
    if design.name != name:  # e.g. leading zeros: one design, one name
        fail(option, name, f"the design's own name {design.name!r}")
    return design


def check_architecture(option: str, name: object) -> str:
    """Return ``name`` if it is a registered architecture or a valid design name.

    Raises:
        InvalidArgument: Naming ``option``, the value and what is accepted.
    """
    if not (isinstance(name, str) and (name in ARCHITECTURES or name.startswith(PREFIX))):
        fail(
            option,
            name,
            "one of " + ", ".join(repr(a) for a in ARCHITECTURES) + f", or a design name "
            f"such as {Design().name!r}",
        )
    if name in ARCHITECTURES:
        return name
    return parse_design(name, option=option).name


def build_architecture(name: str, *, budget: int | None) -> nn.Module:
    """Build a registered architecture or a design, and check its parameter budget.

    Args:
        name: A key of :data:`cnn.models.ARCHITECTURES` or a :attr:`Design.name`.
        budget: The maximum number of trainable parameters, or ``None`` for no limit.

    Raises:
        InvalidArgument: ``name`` is neither, or ``budget`` is not a positive integer.
        BudgetExceeded: The model has more than ``budget`` trainable parameters.
    """
    if not (isinstance(name, str) and name.startswith(PREFIX)):
        return build_model(check_architecture("arch", name), budget=budget)
    if budget is not None:
        budget = check_positive_int("budget", budget)
    return check_budget(parse_design(name).build(), budget, f"design {name!r}")
