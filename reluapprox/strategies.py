"""Public Hypothesis strategies for testing ReLU constructions.

Named by what they generate, with arguments validated like Hypothesis' own
(``min_value``, ``max_size``, ...). Needs the optional dependency ``hypothesis``
(``pip install 'reluapprox[verify]'``).

Examples:
    >>> from hypothesis import given
    >>> from reluapprox import interpolate
    >>> @given(interpolation_data())
    ... def test_exact(data):
    ...     xs, ys = data
    ...     net = interpolate(xs, ys)
    ...     assert all(net.exact(x) == y for x, y in zip(xs, ys))
    >>> test_exact()
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from hypothesis import strategies as st

from reluapprox._validation import check_choice, check_positive_int, check_rational, fail
from reluapprox.network import ReluNetwork

__all__ = ["interpolation_data", "relu_networks", "small_rationals"]

DataKind = Literal["rational", "float", "mixed"]


def small_rationals(
    *, min_value: int | Fraction = -10, max_value: int | Fraction = 10, max_denominator: int = 12
) -> st.SearchStrategy[Fraction]:
    """Fractions in ``[min_value, max_value]`` with denominator at most ``max_denominator``."""
    lo = check_rational("min_value", min_value)
    hi = check_rational("max_value", max_value)
    if not lo <= hi:
        fail("max_value", max_value, f"a number >= min_value={min_value!r}")
    check_positive_int("max_denominator", max_denominator)
    return st.fractions(min_value=lo, max_value=hi, max_denominator=max_denominator)


def interpolation_data(
    *,
    min_size: int = 2,
    max_size: int = 20,
    kind: DataKind = "mixed",
    min_value: int = -1000,
    max_value: int = 1000,
) -> st.SearchStrategy[tuple[list[Fraction], list[Fraction]]]:
    """Pairs ``(xs, ys)`` with strictly increasing nodes ``xs``, as Fractions.

    Args:
        min_size: fewest points (>= 2).
        max_size: most points (>= min_size).
        kind: ``"rational"`` (small denominators), ``"float"`` (binary floats,
            returned as their exact Fractions) or ``"mixed"`` (either).
        min_value: lower bound of nodes and values.
        max_value: upper bound of nodes and values.
    """
    check_positive_int("min_size", min_size, minimum=2)
    check_positive_int("max_size", max_size, minimum=min_size)
    check_choice("kind", kind, ("rational", "float", "mixed"))
    if not min_value < max_value:
        fail("max_value", max_value, f"a number > min_value={min_value!r}")
    rational = st.fractions(min_value=min_value, max_value=max_value, max_denominator=64)
    floating = st.floats(
        min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False
    ).map(Fraction)
    numbers = {"rational": rational, "float": floating, "mixed": rational | floating}[kind]

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[Fraction], list[Fraction]]:
        xs = sorted(draw(st.lists(numbers, min_size=min_size, max_size=max_size, unique=True)))
        ys = draw(st.lists(numbers, min_size=len(xs), max_size=len(xs)))
        return xs, ys

    return build()


def relu_networks(
    *,
    input_dim: int | None = None,
    output_dim: int | None = None,
    min_depth: int = 1,
    max_depth: int = 3,
    max_width: int = 4,
    exact: bool = True,
) -> st.SearchStrategy[ReluNetwork]:
    """Random :class:`~reluapprox.network.ReluNetwork` instances.

    Args:
        input_dim: fixed input dimension, or ``None`` to draw one in 1..max_width.
        output_dim: fixed output dimension, or ``None`` to draw one.
        min_depth: fewest affine layers (>= 1).
        max_depth: most affine layers.
        max_width: largest hidden width (and drawn input/output dimension).
        exact: Fraction parameters with small denominators, or float64 parameters.
    """
    check_positive_int("min_depth", min_depth)
    check_positive_int("max_depth", max_depth, minimum=min_depth)
    check_positive_int("max_width", max_width)
    if input_dim is not None:
        check_positive_int("input_dim", input_dim)
    if output_dim is not None:
        check_positive_int("output_dim", output_dim)
    entries: st.SearchStrategy[Fraction] | st.SearchStrategy[float]
    if exact:
        entries = small_rationals(min_value=-4, max_value=4, max_denominator=8)
    else:
        entries = st.floats(min_value=-4, max_value=4, allow_nan=False, allow_infinity=False)
    dims = st.integers(min_value=1, max_value=max_width)

    @st.composite
    def build(draw: st.DrawFn) -> ReluNetwork:
        depth = draw(st.integers(min_value=min_depth, max_value=max_depth))
        first = input_dim if input_dim is not None else draw(dims)
        last = output_dim if output_dim is not None else draw(dims)
        widths = [first, *(draw(dims) for _ in range(depth - 1)), last]
        weights = [
            [[draw(entries) for _ in range(widths[i])] for _ in range(widths[i + 1])]
            for i in range(depth)
        ]
        biases = [[draw(entries) for _ in range(widths[i + 1])] for i in range(depth)]
        return ReluNetwork(weights, biases, exact=exact)

    return build()
