"""The choice of ``approximate(..., architecture="deep" | "auto")``: deep or shallow.

One rule serves the interval and the rectangle. ``"deep"`` returns the deep construction
or raises: its own refusal, or :class:`~reluapprox.errors.BudgetExceeded` above
``max_neurons``. ``"auto"`` returns the deep network when it applies, fits
``max_neurons`` and the shallow construction cannot do with fewer neurons (it is asked
for at most one neuron less); otherwise the shallow one. The result's ``method`` ends
with what was compared, so the choice can be read off every result.

Examples:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Result:
    ...     n_neurons: int
    ...     method: str
    >>> def shallow(limit):
    ...     if limit < 10:
    ...         raise BudgetExceeded(f"max_neurons={limit} was hit")
    ...     return Result(10, "mesh")
    >>> res = choose_depth(
    ...     "auto",
    ...     lambda: Result(7, "zigzag"),
    ...     shallow,
    ...     finish=lambda r: r,
    ...     max_neurons=100,
    ...     refused=(InvalidArgument,),
    ...     shallow_name="shallow",
    ... )
    >>> res.n_neurons, res.method.startswith("zigzag; auto: deep (7 neurons) chosen")
    (7, True)
    >>> print(res.method.split("; ")[1])
    auto: deep (7 neurons) chosen, the shallow construction needs more (max_neurons=6 was hit)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from reluapprox.errors import BudgetExceeded, InvalidArgument

__all__ = ["choose_depth"]


class _Result(Protocol):
    @property
    def n_neurons(self) -> int: ...

    @property
    def method(self) -> str: ...


B = TypeVar("B", bound=_Result)
D = TypeVar("D", bound=_Result)
S = TypeVar("S", bound=_Result)
T = TypeVar("T", bound=_Result)


def _noted(result: T, note: str) -> T:
    """``result`` (a frozen dataclass) with ``; note`` appended to its ``method``."""
    replaced: Any = dataclasses.replace(cast(Any, result), method=f"{result.method}; {note}")
    return cast(T, replaced)


def choose_depth(
    architecture: str,
    deep: Callable[[], B],
    shallow: Callable[[int], S],
    *,
    finish: Callable[[B], D],
    max_neurons: int,
    refused: tuple[type[Exception], ...],
    shallow_name: str,
) -> D | S:
    """Build the deep network or the shallow one, as ``architecture`` asks.

    Args:
        architecture: ``"deep"`` or ``"auto"``.
        deep: Builds the deep network (with ``n_neurons``); raises one of ``refused``
            where the construction does not apply.
        shallow: Builds the shallow result with at most the given number of neurons;
            raises :class:`~reluapprox.errors.BudgetExceeded` when it needs more.
        finish: Turns the deep network, once it fits ``max_neurons``, into the result
            (a frozen dataclass with ``n_neurons`` and ``method``).
        max_neurons: The caller's neuron limit.
        refused: The exceptions of ``deep`` after which ``"auto"`` turns to ``shallow``.
        shallow_name: What the messages call the shallow construction (``"shallow"``,
            ``"triangulation"``).

    Raises:
        InvalidArgument: ``architecture`` is neither ``"deep"`` nor ``"auto"``.
        BudgetExceeded: ``"deep"`` and the deep network has more than ``max_neurons``
            neurons, or the shallow construction raised it.
    """
    if architecture not in ("deep", "auto"):
        raise InvalidArgument(
            f"architecture={architecture!r} is invalid: expected 'deep' or 'auto' here"
        )
    try:
        built = deep()
    except refused as error:
        if architecture == "deep":
            raise
        why = f"auto: {shallow_name}, the deep construction does not apply ({error})"
        return _noted(shallow(max_neurons), why)
    n = built.n_neurons
    if n > max_neurons:
        message = f"max_neurons={max_neurons} was hit: the deep network has {n} neurons"
        if architecture == "deep":
            raise BudgetExceeded(message + "; increase max_neurons or eps")
        return _noted(shallow(max_neurons), f"auto: {shallow_name} ({message})")
    result = finish(built)
    if architecture == "deep" or n == 0:
        return result
    try:
        res = shallow(n - 1)
    except BudgetExceeded as error:
        why = (
            f"auto: deep ({n} neurons) chosen, the {shallow_name} construction needs more ({error})"
        )
        return _noted(result, why)
    why = f"auto: {shallow_name} ({res.n_neurons} neurons) chosen over deep ({n})"
    return _noted(res, why)
