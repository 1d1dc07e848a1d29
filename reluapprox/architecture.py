"""The calculus of fully connected architectures: parameter counts, widening, deepening.

A fully connected ReLU architecture ``N_r(I, d_1, ..., d_{r-1}, O)`` has ``r`` affine
layers; layer ``i`` has a ``d_i x d_{i-1}`` weight matrix and ``d_i`` biases
(``d_0 = I``, ``d_r = O``), so it has ``sum_i (d_{i-1} + 1) d_i`` parameters.

Every function of the architecture is also a function of a wider one (pad the
hidden layer with neurons whose weights are zero) and of a deeper one (insert a
layer computing ``relu(v), relu(-v)`` and recombine with ``relu(v) - relu(-v) = v``;
by default after the last hidden layer, as in the problem sheet's P2(b)).
:func:`widen` and :func:`deepen` build these networks; on exact networks the new
network computes the same function exactly (compare ``net.exact(x)`` with ``==``).

Examples:
    >>> from fractions import Fraction
    >>> parameter_count([2, 3, 1])
    13
    >>> net = ReluNetwork([[[1, -1]], [[2]]], [[0], [Fraction(1, 2)]])
    >>> wide, deep = widen(net, 1, 3), deepen(net)  # deep: after hidden layer 1
    >>> wide.widths, deep.widths
    ((2, 3, 1), (2, 1, 2, 1))
    >>> x = [Fraction(3), Fraction(1, 3)]
    >>> net.exact(x) == wide.exact(x) == deep.exact(x)
    True

References:
    Course problem sheet, P2 (architectures of fully connected networks).

    P. Petersen and J. Zech, *Mathematical theory of deep learning*, 2024, Sec. 2
    (operations on networks: composition, parallelisation, identity).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_positive_int, check_type, fail
from reluapprox.network import ReluNetwork

__all__ = ["MAX_PARAMETERS", "deepen", "parameter_count", "widen"]

#: Most parameters :func:`widen` and :func:`deepen` build (exact Fractions take about
#: 100 bytes each: 10**6 of them stay well below 1 GB).
MAX_PARAMETERS = 10**6


def parameter_count(widths: Sequence[int] | npt.NDArray[np.integer[Any]]) -> int:
    """The number of weights and biases of ``N_r(I, d_1, ..., d_{r-1}, O)``.

    Args:
        widths: the layer widths ``[I, d_1, ..., d_{r-1}, O]``, at least two
            positive integers.

    Returns:
        ``sum_{i=1}^r (d_{i-1} + 1) d_i``.

    Raises:
        InvalidArgument: for fewer than two widths or a width that is not an
            integer >= 1.

    Examples:
        >>> parameter_count([1, 1])  # y = w x + b
        2
        >>> parameter_count([784, 128, 10])
        101770
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence | np.ndarray):
        fail("widths", widths, "a sequence [I, d_1, ..., O] of at least two integers >= 1")
    if len(widths) < 2:
        fail("widths", widths, "a sequence [I, d_1, ..., O] of at least two integers >= 1")
    dims = [check_positive_int(f"widths[{i}]", d) for i, d in enumerate(widths)]
    return sum((dims[i - 1] + 1) * dims[i] for i in range(1, len(dims)))


def _check_index(name: str, value: object, lo: int, hi: int, what: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value <= hi:
        fail(name, value, f"{what} in {lo}..{hi}")
    return int(value)


def _zero(net: ReluNetwork) -> Any:
    return Fraction(0) if net.is_exact else 0.0


def _check_net(net: object) -> ReluNetwork:
    check_type("net", net, ReluNetwork, "a reluapprox.ReluNetwork")
    assert isinstance(net, ReluNetwork)
    return net


def _as_lists(net: ReluNetwork) -> tuple[list[list[list[Any]]], list[list[Any]]]:
    weights = [w.tolist() for w in net.weights]
    biases = [b.tolist() for b in net.biases]
    return weights, biases


def widen(net: ReluNetwork, layer: int, width: int) -> ReluNetwork:
    """The same function with hidden layer ``layer`` widened to ``width`` neurons.

    The new neurons have zero incoming weights and zero bias (so they output
    ``relu(0) = 0``) and zero outgoing weights, so every output is unchanged, exactly
    for exact networks.

    Args:
        net: a :class:`~reluapprox.network.ReluNetwork` with at least one hidden layer.
        layer: the hidden layer, ``1 <= layer <= net.depth - 1`` (``net.widths[layer]``
            is its width).
        width: the new width, at least ``net.widths[layer]``.

    Returns:
        A network with ``widths[layer] == width``, exact if ``net`` is exact.

    Raises:
        InvalidArgument: for a network without hidden layers, a layer index out of
            range or a width smaller than the current one.

    Examples:
        >>> net = ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])  # |x|
        >>> widen(net, 1, 4).widths
        (1, 4, 1)
    """
    net = _check_net(net)
    if net.depth < 2:
        fail("net", net, "a network with at least one hidden layer (depth >= 2)")
    layer = _check_index("layer", layer, 1, net.depth - 1, "a hidden layer index")
    current = net.widths[layer]
    width = check_positive_int("width", width, minimum=current)
    widths = list(net.widths)
    widths[layer] = width
    if parameter_count(widths) > MAX_PARAMETERS:
        fail(
            "width",
            width,
            f"an integer >= {current} such that the network has at most "
            f"MAX_PARAMETERS={MAX_PARAMETERS} parameters ({parameter_count(widths)} with it)",
        )
    zero = _zero(net)
    extra = width - current
    weights, biases = _as_lists(net)
    # incoming map of the hidden layer: weights[layer - 1] (rows = neurons)
    weights[layer - 1] += [[zero] * net.widths[layer - 1] for _ in range(extra)]
    biases[layer - 1] += [zero] * extra
    # outgoing map: weights[layer] gets zero columns
    weights[layer] = [row + [zero] * extra for row in weights[layer]]
    return ReluNetwork(weights, biases, exact=net.is_exact)


def _identity_pair(size: int, zero: Any, one: Any) -> list[list[Any]]:
    """The ``2 size x size`` matrix ``[I; -I]``."""
    eye = [[one if i == j else zero for j in range(size)] for i in range(size)]
    return eye + [[-v for v in row] for row in eye]


def deepen(net: ReluNetwork, *, position: int | None = None) -> ReluNetwork:
    """The same function with one more hidden layer of width ``2 d``.

    Let ``v`` be the ``d``-dimensional vector at ``position``: the input
    (``position = 0``), the output of hidden layer ``position`` (``0 < position <
    depth``) or the network's output (``position = depth``). The default is
    ``depth - 1``, after the last hidden layer (the input for a network without hidden
    layers), the problem sheet's construction: the output layer, and an output
    activation applied after it, stay last. The new layer computes ``relu(v)`` and
    ``relu(-v)`` and the next affine map reads them through ``relu(v) - relu(-v) = v``:

    - ``position < depth``: insert the layer ``h -> relu([I; -I] h)`` and replace the
      next weight matrix ``W`` by ``[W, -W]``;
    - ``position = depth``: replace the last affine map ``(W, b)`` by
      ``([W; -W], [b; -b])`` and append the output layer ``[I, -I]`` with zero bias.

    Args:
        net: a :class:`~reluapprox.network.ReluNetwork`.
        position: where to insert, ``0..net.depth``; default ``net.depth - 1``.

    Returns:
        A network of depth ``net.depth + 1``, exact if ``net`` is exact.

    Raises:
        InvalidArgument: for a position outside ``0..net.depth``.

    Examples:
        >>> net = ReluNetwork([[[1], [-1]], [[1, 3]]], [[0, 0], [-1]])  # relu(x) + 3 relu(-x) - 1
        >>> deepen(net).widths, deepen(net, position=2).widths
        ((1, 2, 4, 1), (1, 2, 2, 1))
        >>> deepen(net).exact([-3]) == net.exact([-3]) == (Fraction(8),)
        True
    """
    net = _check_net(net)
    if position is None:
        position = net.depth - 1
    position = _check_index("position", position, 0, net.depth, "an integer")
    zero = _zero(net)
    one: Any = Fraction(1) if net.is_exact else 1.0
    weights, biases = _as_lists(net)
    if position == net.depth:
        last_w, last_b = weights[-1], biases[-1]
        weights[-1] = last_w + [[-v for v in row] for row in last_w]
        biases[-1] = last_b + [-v for v in last_b]
        size = net.output_dim
        pair = _identity_pair(size, zero, one)
        weights.append([list(col) for col in zip(*pair, strict=True)])  # [I, -I], the transpose
        biases.append([zero] * size)
    else:
        size = net.widths[position]
        following = weights[position]
        weights[position] = [row + [-v for v in row] for row in following]
        weights.insert(position, _identity_pair(size, zero, one))
        biases.insert(position, [zero] * (2 * size))
    return ReluNetwork(weights, biases, exact=net.is_exact)
