"""Two-layer ReLU classifiers ``f(x) = b2 + W2 relu(b1 + W1 x)`` on the plane (course Ex 1).

A network with widths ``(2, h, 2)`` maps a point ``x`` to two scores ``(s1, s2)``; it
predicts class 1 where ``s1 > s2``, class 2 where ``s1 < s2`` and nothing on the tie
``s1 == s2`` (a tie counts as an error). Only the difference ``g = s1 - s2`` matters, and
for the 2-2-2 architecture (12 parameters) it has the form

``g(x) = c0 + c1 relu(a1 . x + beta1) + c2 relu(a2 . x + beta2)``,

an affine function of the two hidden units. This module provides

- the exact Ex 1a network separating ``(+-1, 0)`` (class 1) from ``(0, +-1)`` (class 2),
  checked in rational arithmetic (:func:`ex1a_network`, :func:`exact_margins`);
- a validated CSV reader for the course data (:func:`load_classification_csv`);
- full-batch Adam training of many restarts at once in numpy, with a fixed seed
  (:func:`train_two_layer`);
- the most accurate output layer for fixed hidden units (:func:`fit_output_layer`: a
  sweep over the cells of an arrangement of planes in R^3) and the |x2|-threshold rule
  family of Ex 1a (:func:`fit_threshold_rule`);
- a time-bounded search for the best 2-2-2 accuracy (:func:`search_max_accuracy`) whose
  result is *certified* as a lower bound on the optimum by an exact recount;
- a *certified upper bound* on the accuracy of every 2-2-2 network
  (:func:`convex_region_bound`), from the theorem that one of the two class regions of
  a 2-2-2 network is always convex (proof in docs/twolayer.md).

Examples:
    >>> net = ex1a_network()
    >>> exact_margins(net, EX1A_POINTS, EX1A_LABELS)
    (Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1))
    >>> predict(net, [[2.0, 0.1], [0.0, -3.0]]).tolist()
    [1, 2]

References:
    APM 598 Homework 2, Ex 1a (exact separation) and Ex 1b (training on ``data_HW2_ex1.csv``).
    D. P. Kingma and J. Ba, *Adam: a method for stochastic optimization*, ICLR 2015.
    C. Bautista-Santiago et al., *Computing optimal islands*, Oper. Res. Lett. 39 (2011).
    J. R. Shewchuk, *Adaptive precision floating-point arithmetic and fast robust
    geometric predicates*, Discrete Comput. Geom. 18 (1997).
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reluapprox._validation import (
    check_finite_real,
    check_positive_finite,
    check_positive_int,
    check_rational,
    fail,
)
from reluapprox.errors import BudgetExceeded, DataError
from reluapprox.network import ReluNetwork

__all__ = [
    "EX1A_LABELS",
    "EX1A_POINTS",
    "ClassificationData",
    "ConvexRegionBound",
    "SearchResult",
    "TrainingResult",
    "accuracy",
    "convex_region_bound",
    "decision_values",
    "ex1a_network",
    "exact_accuracy",
    "exact_margins",
    "fit_output_layer",
    "fit_threshold_rule",
    "load_classification_csv",
    "network_from_lines",
    "plot_decision_regions",
    "plot_training_loss",
    "predict",
    "search_max_accuracy",
    "threshold_network",
    "train_two_layer",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The four points of Ex 1a and their classes.
EX1A_POINTS: tuple[tuple[int, int], ...] = ((1, 0), (-1, 0), (0, 1), (0, -1))
EX1A_LABELS: tuple[int, ...] = (1, 1, 2, 2)

#: Adam's moment decay rates and denominator guard (the defaults of the paper).
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8

#: In the arrangement sweep of :func:`fit_output_layer`, a vector ``u_j`` counts as
#: parallel to the sweep normal when its orthogonal part is below this fraction of |u_j|.
PARALLEL_TOLERANCE = 1e-12

#: Arcs of the sweep shorter than this (radians) are skipped: a float midpoint could not
#: be trusted there. Every candidate is recounted exactly afterwards anyway.
MIN_ARC = 1e-9

#: Candidate hidden lines through two data points are shifted by this fraction of the
#: data diameter, to either side, so that the two points fall strictly on one side.
LINE_SHIFT = 1e-6


# --------------------------------------------------------------------------- checks
def _check_points(name: str, points: Any, *, limit: float | None = None) -> FloatArray:
    """``points`` as a float array of shape ``(n, 2)``; with ``limit``, ``|x| <= limit``."""
    try:
        array = np.array(points, dtype=np.float64)
    except OverflowError:
        fail(name, points, "coordinates within the float64 range (|x| < 1.8e308)")
    except (TypeError, ValueError):
        fail(name, points, "an array of shape (n, 2) of finite real numbers")
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        fail(name, points, "an array of shape (n, 2) with n >= 1")
    if not np.all(np.isfinite(array)):
        fail(name, points, "finite coordinates (no NaN or infinity)")
    if limit is not None and not np.all(np.abs(array) <= limit):
        fail(
            name,
            points,
            f"coordinates of magnitude <= {limit:g} (the float arithmetic of training, "
            "fitting and plotting would overflow; convex_region_bound and exact_accuracy "
            "take any finite floats)",
        )
    return array


def _check_labels(name: str, labels: Any, n: int) -> IntArray:
    values = list(np.asarray(labels, dtype=object).ravel()) if not isinstance(labels, str) else []
    if len(values) != n or any(isinstance(v, bool) or v not in (1, 2) for v in values):
        fail(name, labels, f"a sequence of {n} class labels, each 1 or 2")
    return np.array([int(v) for v in values], dtype=np.int64)


def _check_two_layer(net: Any, *, hidden: int | None = None) -> ReluNetwork:
    if not isinstance(net, ReluNetwork) or net.depth != 2:
        fail("net", net, "a two-layer ReluNetwork with widths (2, h, 2)")
    if net.input_dim != 2 or net.output_dim != 2:
        fail("net", net, "a two-layer ReluNetwork with widths (2, h, 2)")
    if hidden is not None and net.widths[1] != hidden:
        fail("net", net, f"a ReluNetwork with widths (2, {hidden}, 2)")
    return net


def _signs(labels: IntArray) -> FloatArray:
    """``+1`` for class 1 and ``-1`` for class 2."""
    return np.where(labels == 1, 1.0, -1.0)


# ------------------------------------------------------------------------ Ex 1a
def ex1a_network() -> ReluNetwork:
    """The exact Ex 1a network: ``s1 - s2 = 1 - 2 |x2|``, with integer parameters.

    Hidden units ``relu(x2)`` and ``relu(-x2)`` sum to ``|x2|``; the scores are
    ``s1 = 1 - |x2|`` and ``s2 = |x2|``. On ``(+-1, 0)`` the difference is ``1`` and on
    ``(0, +-1)`` it is ``-1``, so all four points are classified with margin exactly 1.

    Examples:
        >>> net = ex1a_network()
        >>> [tuple(net.exact(p)) for p in EX1A_POINTS[::2]]
        [(Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(1, 1))]
        >>> net.widths, net.n_parameters
        ((2, 2, 2), 12)
    """
    return ReluNetwork(
        [[[0, 1], [0, -1]], [[-1, -1], [1, 1]]],
        [[0, 0], [1, 0]],
    )


def threshold_network(threshold: int | Fraction | float) -> ReluNetwork:
    """The Ex 1a network with the threshold moved: class 1 exactly where ``|x2| < t``.

    ``s1 - s2 = 2 (t - |x2|)`` with ``s1 = t - |x2|`` and ``s2 = |x2| - t``;
    :func:`ex1a_network` is the case ``t = 1/2`` up to the output bias split.

    Examples:
        >>> net = threshold_network(Fraction(1, 2))
        >>> exact_margins(net, EX1A_POINTS, EX1A_LABELS)
        (Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1))
    """
    t = check_rational("threshold", threshold)
    if not t > 0:
        fail("threshold", threshold, "a finite number > 0")
    return ReluNetwork([[[0, 1], [0, -1]], [[-1, -1], [1, 1]]], [[0, 0], [t, -t]], exact=True)


def exact_margins(
    net: ReluNetwork,
    points: Sequence[Any],
    labels: Sequence[int],
) -> tuple[Fraction, ...]:
    """The signed margins ``y_i (s1 - s2)(x_i)`` in exact rational arithmetic.

    ``y_i = +1`` for class 1 and ``-1`` for class 2, so point ``i`` is classified
    correctly exactly when its margin is ``> 0``; the minimum is the margin of the
    separation. Float parameters and points are converted exactly (``Fraction(float)``).

    Raises:
        InvalidArgument: for a network that is not ``(2, h, 2)``, points that are not
            pairs of finite numbers, labels other than 1 and 2, or mismatched lengths.

    Examples:
        >>> exact_margins(ex1a_network(), [(0, Fraction(1, 4))], [1])
        (Fraction(1, 2),)
    """
    _check_two_layer(net)
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence | np.ndarray):
        fail("points", points, "a sequence of points (x1, x2)")
    ys = _check_labels("labels", labels, len(points))
    exact_net = net if net.is_exact else net.to_exact()
    margins = []
    for i, point in enumerate(points):
        if isinstance(point, (str, bytes)) or len(point) != 2:
            fail(f"points[{i}]", point, "a pair (x1, x2) of finite numbers")
        x = [check_rational(f"points[{i}][{k}]", v) for k, v in enumerate(point)]
        s1, s2 = exact_net.exact(x)
        margins.append((s1 - s2) if ys[i] == 1 else (s2 - s1))
    return tuple(margins)


# -------------------------------------------------------------------- evaluation
def decision_values(net: ReluNetwork, points: npt.ArrayLike) -> FloatArray:
    """``s1 - s2`` at each point, in float64 (shape ``(n,)``)."""
    _check_two_layer(net)
    x = _check_points("points", points)
    scores = net(x)
    return np.asarray(scores[:, 0] - scores[:, 1], dtype=np.float64)


def predict(net: ReluNetwork, points: npt.ArrayLike) -> IntArray:
    """Predicted classes in float64: 1 where ``s1 > s2``, 2 where ``s1 < s2``, 0 on ties."""
    g = decision_values(net, points)
    return np.where(g > 0, 1, np.where(g < 0, 2, 0)).astype(np.int64)


def accuracy(net: ReluNetwork, points: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """The fraction of points classified correctly, evaluated in float64 (estimated).

    Use :func:`exact_accuracy` for a count that is a proof.
    """
    x = _check_points("points", points)
    ys = _check_labels("labels", labels, x.shape[0])
    return float(np.mean(predict(net, x) == ys))


def exact_accuracy(
    net: ReluNetwork, points: Sequence[Any] | npt.NDArray[Any], labels: npt.ArrayLike
) -> Fraction:
    """The fraction of points classified correctly, counted in exact rational arithmetic.

    Coordinates may be ints, Fractions or floats (an array or a sequence of pairs);
    float parameters and coordinates are read as the binary rationals they store, so
    the count is the exact accuracy of the function the network represents on these
    points (ties ``s1 == s2`` count as errors).

    Examples:
        >>> exact_accuracy(ex1a_network(), EX1A_POINTS, EX1A_LABELS)
        Fraction(1, 1)
    """
    rows = points.tolist() if isinstance(points, np.ndarray) else points
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or len(rows) == 0:
        fail("points", points, "a non-empty sequence of points (x1, x2)")
    ys = _check_labels("labels", labels, len(rows))
    margins = exact_margins(net, rows, ys.tolist())
    return Fraction(sum(1 for m in margins if m > 0), len(margins))


# ----------------------------------------------------------------------- the data
@dataclass(frozen=True)
class ClassificationData:
    """Points in the plane with class labels 1 and 2, as read from a CSV file.

    Attributes:
        points: float64 array of shape ``(n, 2)`` (columns ``x1, x2``).
        labels: int64 array of shape ``(n,)`` with values 1 and 2.
        source: the file the data came from.
    """

    points: FloatArray
    labels: IntArray
    source: Path

    @property
    def n(self) -> int:
        """The number of points."""
        return int(self.points.shape[0])


def load_classification_csv(path: str | Path) -> ClassificationData:
    """Read a CSV file with header columns ``x1, x2, class`` (classes 1 and 2).

    Columns are found by name (others are ignored). Every problem raises
    :class:`~reluapprox.errors.DataError` naming the file and the row: a missing or
    unreadable file, missing columns, a short row, a value that is not a number, NaN or
    infinity, a class other than 1 or 2, no data rows, or only one class present.

    Examples:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "d.csv").write_text("x1,x2,class\\n1,0,1\\n0,1,2\\n")
        >>> data = load_classification_csv(folder / "d.csv")
        >>> data.points.tolist(), data.labels.tolist()
        ([[1.0, 0.0], [0.0, 1.0]], [1, 2])
    """
    if not isinstance(path, (str, os.PathLike)):
        fail("path", path, "a file path (str or pathlib.Path)")
    source = Path(path)
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            raise DataError(
                f"{source}: larger than {MAX_CSV_BYTES} bytes (MAX_CSV_BYTES); expected a "
                "small CSV file with columns x1, x2, class"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{source}: cannot read the file ({error})") from None
    reader = csv.reader(text.splitlines())
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as error:  # e.g. a field over csv.field_size_limit() characters
        raise DataError(
            f"{source}, line {reader.line_num}: not readable as CSV ({error})"
        ) from None
    if not rows:
        raise DataError(f"{source}: the file is empty; expected a header x1,x2,class")
    header = [name.strip() for name in rows[0]]
    columns: dict[str, int] = {}
    for name in ("x1", "x2", "class"):
        if name not in header:
            raise DataError(
                f"{source}, line 1 (header): column {name!r} is missing; "
                f"expected columns x1, x2, class, found {', '.join(map(repr, header))}"
            )
        columns[name] = header.index(name)
    points: list[tuple[float, float]] = []
    labels: list[int] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{source}, line {line_number} (data row {len(points) + 1})"
        if len(row) < len(header):
            raise DataError(f"{where}: {len(row)} fields, expected {len(header)}")
        values: dict[str, float] = {}
        for name, index in columns.items():
            cell = row[index].strip()
            try:
                value = float(cell)
            except ValueError:
                raise DataError(f"{where}: {name}={cell!r} is not a number") from None
            if not math.isfinite(value):
                raise DataError(f"{where}: {name}={cell!r} is not finite (NaN or infinity)")
            values[name] = value
        if values["class"] not in (1.0, 2.0):
            raise DataError(f"{where}: class={row[columns['class']].strip()!r}; expected 1 or 2")
        points.append((values["x1"], values["x2"]))
        labels.append(int(values["class"]))
    if not points:
        raise DataError(f"{source}: no data rows after the header")
    present = sorted(set(labels))
    if len(present) < 2:
        raise DataError(
            f"{source}: all {len(labels)} data rows (lines 2-{len(rows)}) have class "
            f"{present[0]}; expected both classes 1 and 2"
        )
    return ClassificationData(
        points=np.array(points, dtype=np.float64),
        labels=np.array(labels, dtype=np.int64),
        source=source,
    )


# ---------------------------------------------------------------------- training
@dataclass(frozen=True)
class TrainingResult:
    """The outcome of :func:`train_two_layer`: one network per restart.

    Attributes:
        networks: the trained float64 networks, one per restart.
        accuracies: their training accuracies (float64 evaluation), one per restart.
        losses: the mean cross-entropy after each step, shape ``(restarts, steps)``.
        seed: the seed of the random initialisations.
        seconds: wall-clock time of the training.
    """

    networks: tuple[ReluNetwork, ...]
    accuracies: tuple[float, ...]
    losses: FloatArray
    seed: int
    seconds: float

    @property
    def best_index(self) -> int:
        """The restart with the highest accuracy (lowest final loss among ties)."""
        final = self.losses[:, -1]
        order = sorted(range(len(self.accuracies)), key=lambda r: (-self.accuracies[r], final[r]))
        return order[0]

    @property
    def best_network(self) -> ReluNetwork:
        """The network of :attr:`best_index`."""
        return self.networks[self.best_index]

    @property
    def best_accuracy(self) -> float:
        """The highest accuracy over the restarts."""
        return max(self.accuracies)

    @property
    def median_accuracy(self) -> float:
        """The median accuracy over the restarts."""
        return float(np.median(self.accuracies))


def _loss_and_gradients(
    params: Sequence[FloatArray], x: FloatArray, y: FloatArray
) -> tuple[FloatArray, list[FloatArray]]:
    """Mean cross-entropy per restart and its gradients (backpropagation by hand).

    ``params = [W1 (R, h, 2), b1 (R, h), W2 (R, 2, h), b2 (R, 2)]``; ``y`` holds +-1.
    """
    w1, b1, w2, b2 = params
    n = x.shape[0]
    pre = w1 @ x.T + b1[:, :, None]  # (R, h, n)
    act = np.maximum(pre, 0.0)
    dw = w2[:, 0, :] - w2[:, 1, :]  # (R, h): the output row of s1 - s2
    g = np.einsum("rh,rhn->rn", dw, act) + (b2[:, 0] - b2[:, 1])[:, None]
    margin = y * g
    loss = np.mean(np.logaddexp(0.0, -margin), axis=1)
    dg = -y * (0.5 * (1.0 - np.tanh(0.5 * margin))) / n  # d loss / d g, (R, n)
    grad_dw = np.einsum("rhn,rn->rh", act, dg)
    grad_w2 = np.stack([grad_dw, -grad_dw], axis=1)
    sum_dg = dg.sum(axis=1)
    grad_b2 = np.stack([sum_dg, -sum_dg], axis=1)
    dpre = dw[:, :, None] * dg[:, None, :] * (pre > 0)  # (R, h, n)
    return loss, [dpre @ x, dpre.sum(axis=2), grad_w2, grad_b2]


def train_two_layer(
    points: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    hidden: int = 2,
    restarts: int = 20,
    steps: int = 2000,
    learning_rate: float = 0.05,
    seed: int = 0,
) -> TrainingResult:
    """Train ``restarts`` networks ``(2, hidden, 2)`` at once with full-batch Adam.

    The loss is the mean cross-entropy of the softmax of ``(s1, s2)``, i.e. the mean
    of ``log(1 + exp(-y (s1 - s2)))`` with ``y = +1`` for class 1 and ``-1`` for class 2.
    The initialisation is PyTorch's default for ``Linear`` layers: every weight and bias
    uniform in ``(-1/sqrt(fan_in), 1/sqrt(fan_in))``, drawn from
    ``numpy.random.default_rng(seed)``, so a seed fixes the whole run.

    Args:
        points: array of shape ``(n, 2)``.
        labels: ``n`` labels, each 1 or 2.
        hidden: the width ``h`` of the hidden layer (2 for the course's 2-2-2 network).
        restarts: the number of independent random starts, trained in one batch.
        steps: Adam steps per restart.
        learning_rate: Adam's step size.
        seed: the seed of the initialisations.

    Returns:
        A :class:`TrainingResult` with every restart's network, accuracy and loss curve.

    Examples:
        >>> result = train_two_layer(EX1A_POINTS, EX1A_LABELS, restarts=8, steps=300, seed=1)
        >>> result.best_accuracy
        1.0
    """
    x = _check_points("points", points, limit=MAX_FLOAT_COORDINATE)
    y = _signs(_check_labels("labels", labels, x.shape[0]))
    check_positive_int("hidden", hidden)
    check_positive_int("restarts", restarts)
    check_positive_int("steps", steps)
    for name, value, size in (
        ("steps", steps, steps),
        ("hidden", hidden, x.shape[0] * hidden),
        ("restarts", restarts, restarts * max(steps, x.shape[0] * hidden)),
    ):
        if size > MAX_TRAINING_FLOATS:
            fail(
                name,
                value,
                "sizes with restarts * steps and restarts * n_points * hidden at most "
                f"MAX_TRAINING_FLOATS={MAX_TRAINING_FLOATS} (memory)",
            )
    learning_rate = check_positive_finite("learning_rate", learning_rate)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        fail("seed", seed, "an integer >= 0")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    bound1, bound2 = 1.0 / math.sqrt(2.0), 1.0 / math.sqrt(hidden)
    params = [
        rng.uniform(-bound1, bound1, size=(restarts, hidden, 2)),  # W1
        rng.uniform(-bound1, bound1, size=(restarts, hidden)),  # b1
        rng.uniform(-bound2, bound2, size=(restarts, 2, hidden)),  # W2
        rng.uniform(-bound2, bound2, size=(restarts, 2)),  # b2
    ]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    beta1, beta2 = ADAM_BETAS
    losses = np.empty((restarts, steps), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for step in range(1, steps + 1):
            losses[:, step - 1], grads = _loss_and_gradients(params, x, y)
            correction1 = 1.0 - beta1**step
            correction2 = 1.0 - beta2**step
            for p, m, v, grad in zip(params, first, second, grads, strict=True):
                m *= beta1
                m += (1.0 - beta1) * grad
                v *= beta2
                v += (1.0 - beta2) * grad * grad
                p -= learning_rate * (m / correction1) / (np.sqrt(v / correction2) + ADAM_EPSILON)
    if not all(np.all(np.isfinite(p)) for p in params):
        fail(
            "learning_rate",
            learning_rate,
            "a smaller step size: training diverged (weights became infinite or NaN)",
        )
    networks = tuple(
        ReluNetwork([params[0][r], params[2][r]], [params[1][r], params[3][r]], exact=False)
        for r in range(restarts)
    )
    labels_array = np.where(y > 0, 1, 2)
    accuracies = tuple(accuracy(net, x, labels_array) for net in networks)
    return TrainingResult(
        networks=networks,
        accuracies=accuracies,
        losses=losses,
        seed=seed,
        seconds=time.perf_counter() - start,
    )


# ------------------------------------------------------------- output-layer fit
def _best_linear_cell(u: FloatArray) -> tuple[FloatArray, int]:
    """A vector ``c`` maximising ``#{j : c . u_j > 0}`` over ``c`` in R^3, and the count.

    The sign vectors of ``c`` are constant on the open cells of the arrangement of the
    planes ``c . u_j = 0``. Every cell has an open arc of some great circle
    ``c . u_i = 0`` on its boundary; on that arc every ``u_j`` not parallel to ``u_i`` has
    a fixed sign, and the ``u_j`` parallel to ``u_i`` take the sign of the side the cell
    lies on. Sweeping each circle through its arcs (sorted events, running counts)
    therefore visits every cell, in ``O(n^2 log n)`` time.
    """
    norms = np.linalg.norm(u, axis=1)
    usable = u[norms > 0]
    lengths = norms[norms > 0]
    if usable.shape[0] == 0:
        return np.array([1.0, 0.0, 0.0]), 0
    normals = np.unique(np.round(usable / lengths[:, None], 12), axis=0)
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    helper = np.eye(3)[np.argmin(np.abs(normals), axis=1)]
    e1 = np.cross(normals, helper)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(normals, e1)
    a, b, along = e1 @ usable.T, e2 @ usable.T, normals @ usable.T  # (m, n)
    parallel = np.hypot(a, b) <= PARALLEL_TOLERANCE * lengths[None, :]
    same = np.sum(parallel & (along > 0), axis=1)
    opposite = np.sum(parallel & (along < 0), axis=1)
    psi = np.arctan2(b, a)
    events = np.concatenate(
        [np.mod(psi - np.pi / 2, 2 * np.pi), np.mod(psi + np.pi / 2, 2 * np.pi)], 1
    )
    live = (~parallel).astype(np.int64)
    delta = np.concatenate([live, -live], axis=1)
    order = np.argsort(events, axis=1)
    events = np.take_along_axis(events, order, axis=1)
    delta = np.take_along_axis(delta, order, axis=1)
    gaps = np.diff(np.concatenate([events, events[:, :1] + 2 * np.pi], axis=1), axis=1)
    middles = events + gaps / 2
    rows = np.arange(normals.shape[0])
    ref = np.argmax(gaps, axis=1)
    theta = middles[rows, ref]
    values = np.cos(theta)[:, None] * a + np.sin(theta)[:, None] * b
    base = np.sum((values > 0) & ~parallel, axis=1)
    running = np.cumsum(delta, axis=1)
    counts = base[:, None] + running - running[rows, ref][:, None]
    counts = np.where(gaps > MIN_ARC, counts, -1) + np.maximum(same, opposite)[:, None]
    i, k = np.unravel_index(int(np.argmax(counts)), counts.shape)
    angle = float(middles[i, k])
    c = math.cos(angle) * e1[i] + math.sin(angle) * e2[i]
    off = ~parallel[i]
    room = np.abs(usable[off] @ c) / (np.abs(along[i, off]) + 1e-300)
    tilt = 0.5 * float(min(1.0, room.min())) if room.size else 1.0
    side = 1.0 if same[i] >= opposite[i] else -1.0
    c = c + side * tilt * normals[i]
    c = c / np.max(np.abs(c))
    return c, int(np.sum(u @ c > 0))


def network_from_lines(
    lines: npt.ArrayLike, output: npt.ArrayLike, *, exact: bool = False
) -> ReluNetwork:
    """The 2-h-2 network with ``s1 - s2 = c0 + sum_k c_k relu(a_k . x + beta_k)``.

    Args:
        lines: shape ``(h, 3)``, row ``k`` is ``(a_k1, a_k2, beta_k)`` (hidden unit k).
        output: ``(c0, c1, ..., c_h)``.
        exact: store Fractions (``True``) or float64.

    Returns:
        ``W1 = lines[:, :2]``, ``b1 = lines[:, 2]``, ``W2 = [[c_1 ... c_h], [0 ... 0]]``,
        ``b2 = [c0, 0]``.

    Examples:
        >>> net = network_from_lines([[0, 1, 0], [0, -1, 0]], [1, -2, -2], exact=True)
        >>> exact_margins(net, EX1A_POINTS, EX1A_LABELS)
        (Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1))
    """
    rows = np.asarray(lines, dtype=object if exact else np.float64)
    c = np.asarray(output, dtype=object if exact else np.float64).ravel()
    if rows.ndim != 2 or rows.shape[1] != 3 or rows.shape[0] == 0:
        fail("lines", lines, "an array of shape (h, 3) with rows (a1, a2, beta)")
    if c.shape[0] != rows.shape[0] + 1:
        fail("output", output, f"{rows.shape[0] + 1} numbers (c0, c1, ..., c_h)")
    zero = 0 if exact else 0.0
    w2 = [list(c[1:]), [zero] * rows.shape[0]]
    return ReluNetwork([rows[:, :2], w2], [rows[:, 2], [c[0], zero]], exact=exact)


def _hidden_lines(net: ReluNetwork) -> FloatArray:
    w1 = np.asarray(net.weights[0], dtype=np.float64)
    b1 = np.asarray(net.biases[0], dtype=np.float64)
    return np.column_stack([w1, b1])


def _fit_lines(lines: FloatArray, x: FloatArray, y: FloatArray) -> tuple[FloatArray, int]:
    hidden = np.maximum(x @ lines[:, :2].T + lines[:, 2], 0.0)
    features = np.column_stack([np.ones(x.shape[0]), hidden])
    return _best_linear_cell(y[:, None] * features)


def fit_output_layer(net: ReluNetwork, points: npt.ArrayLike, labels: npt.ArrayLike) -> ReluNetwork:
    """Keep the hidden layer of a 2-2-2 network and choose the most accurate output layer.

    With the hidden units fixed, ``s1 - s2 = c . (1, h1(x), h2(x))`` is linear in
    ``c = (c0, c1, c2)``; the number of points with ``y_i c . phi_i > 0`` is constant on
    the cells of the arrangement of planes ``c . phi_i = 0`` in R^3, and a sweep along
    each plane visits every cell (``O(n^2)`` candidate cells). The float sweep returns a
    best cell; recount with :func:`exact_accuracy` for a certified figure.

    Returns:
        A float64 network ``network_from_lines(hidden lines, c)``.

    Examples:
        >>> net = ReluNetwork([[[0, 1], [0, -1]], [[0, 0], [0, 0]]], [[0, 0], [0, 0]])
        >>> exact_accuracy(
        ...     fit_output_layer(net, EX1A_POINTS, EX1A_LABELS), EX1A_POINTS, EX1A_LABELS
        ... )
        Fraction(1, 1)
    """
    _check_two_layer(net, hidden=2)
    x = _check_points("points", points, limit=MAX_FLOAT_COORDINATE)
    y = _signs(_check_labels("labels", labels, x.shape[0]))
    lines = _hidden_lines(net)
    c, _ = _fit_lines(lines, x, y)
    return network_from_lines(lines, c)


def fit_threshold_rule(
    points: npt.ArrayLike, labels: npt.ArrayLike
) -> tuple[ReluNetwork, Fraction]:
    """The best member of the Ex 1a family "class 1 iff ``|x2| < t``", with exact accuracy.

    Only the order of the ``|x2_i|`` matters, so the candidate thresholds ``t > 0`` are
    the midpoints between consecutive distinct values, half the smallest value (when it
    is positive) and one beyond the largest; the best is chosen by exact count, and among
    equally good thresholds the one in the widest gap (the largest margin).

    Returns:
        ``(threshold_network(t), exact accuracy)`` for the best ``t``.

    Examples:
        >>> net, acc = fit_threshold_rule(EX1A_POINTS, EX1A_LABELS)
        >>> acc, net.biases[1].tolist()
        (Fraction(1, 1), [Fraction(1, 2), Fraction(-1, 2)])
    """
    x = _check_points("points", points)
    ys = _check_labels("labels", labels, x.shape[0])
    exact_abs = [abs(Fraction(v)) for v in x[:, 1].tolist()]
    values = sorted(set(exact_abs))
    candidates = [((lo + hi) / 2, hi - lo) for lo, hi in itertools.pairwise(values)]
    candidates.append((values[-1] + 1, values[-1] + 1))
    if values[0] > 0:
        candidates.append((values[0] / 2, values[0]))
    best_t, best_key = candidates[0][0], (-1, Fraction(0))
    for t, gap in candidates:
        count = sum(1 for a, c in zip(exact_abs, ys.tolist(), strict=True) if (a < t) == (c == 1))
        if (count, gap) > best_key:
            best_t, best_key = t, (count, gap)
    net = threshold_network(best_t)
    return net, exact_accuracy(net, x, ys)


# ------------------------------------------------------------------------ search
@dataclass(frozen=True)
class SearchResult:
    """The outcome of :func:`search_max_accuracy`.

    Attributes:
        network: the best 2-2-2 network found (float64 parameters).
        accuracy: its accuracy, counted exactly (a certified lower bound on the best
            accuracy of the 2-2-2 architecture on this data).
        trained_best: the best accuracy of the gradient restarts alone.
        trained_median: their median accuracy.
        refit_best: the best accuracy after refitting each restart's output layer.
        candidates: the number of hidden-line pairs whose output layer was fitted.
        seconds: wall-clock time of the search.
        history: ``(seconds, best exact accuracy)`` after each improvement.
    """

    network: ReluNetwork
    accuracy: Fraction
    trained_best: float
    trained_median: float
    refit_best: float
    candidates: int
    seconds: float
    history: tuple[tuple[float, Fraction], ...] = field(default=())


def _candidate_lines(x: FloatArray, rng: np.random.Generator, count: int) -> FloatArray:
    """Oriented lines through two random data points, shifted slightly off them."""
    n = x.shape[0]
    i = rng.integers(0, n, size=count)
    j = (i + rng.integers(1, n, size=count)) % n
    direction = x[j] - x[i]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    length = np.linalg.norm(normal, axis=1)
    keep = length > 0
    normal = normal[keep] / length[keep, None]
    offset = -np.sum(normal * x[i[keep]], axis=1)
    scale = float(np.ptp(x)) or 1.0
    shift = rng.choice([-1.0, 1.0], size=offset.shape[0]) * LINE_SHIFT * scale
    orientation = rng.choice([-1.0, 1.0], size=offset.shape[0])
    lines = orientation[:, None] * np.column_stack([normal, offset + shift])
    return np.asarray(lines, dtype=np.float64)


def search_max_accuracy(
    points: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    restarts: int = 100,
    steps: int = 1500,
    seed: int = 0,
    time_budget: float = 60.0,
    candidates_per_move: int = 64,
    jitter: float = 0.05,
    max_candidates: int | None = None,
) -> SearchResult:
    """Search for the most accurate 2-2-2 network, within a time budget.

    1. Train ``restarts`` networks from random starts (:func:`train_two_layer`).
    2. Refit the output layer of each optimally (:func:`fit_output_layer`).
    3. Local search over the hidden lines from the best network: a hidden unit is, up to
       a positive factor absorbed by the output layer, an *oriented line*
       ``a . x + beta = 0``; propose replacing one unit by a line through two random
       data points (shifted slightly) or by a jittered copy of itself, refit the output
       layer, and keep the proposal when it classifies at least as many points.

    The search stops after ``time_budget`` seconds or after ``max_candidates`` output-layer
    fits, whichever comes first; with ``max_candidates`` set and a generous budget the
    result depends only on ``seed``. The accuracy of the returned network is recounted
    exactly, so it is a certified *lower* bound on the best 2-2-2 accuracy; the search
    alone proves nothing about the optimum (:func:`convex_region_bound` gives an upper
    bound).

    Args:
        points: array of shape ``(n, 2)``.
        labels: ``n`` labels, each 1 or 2.
        restarts: random starts of step 1.
        steps: Adam steps per restart.
        seed: seed of the restarts and of the proposals.
        time_budget: seconds for the whole search (> 0).
        candidates_per_move: random lines through data points per move.
        jitter: standard deviation of the jittered copies, relative to the data range.
        max_candidates: stop after this many output-layer fits (``None``: no limit).

    Examples:
        >>> result = search_max_accuracy(
        ...     EX1A_POINTS, EX1A_LABELS, restarts=4, steps=200, time_budget=0.5
        ... )
        >>> result.accuracy
        Fraction(1, 1)
    """
    x = _check_points("points", points, limit=MAX_FLOAT_COORDINATE)
    ys = _check_labels("labels", labels, x.shape[0])
    y = _signs(ys)
    budget = check_positive_finite("time_budget", time_budget)
    check_positive_int("candidates_per_move", candidates_per_move)
    if max_candidates is not None:
        check_positive_int("max_candidates", max_candidates)
    limit = math.inf if max_candidates is None else max_candidates
    jitter = check_finite_real("jitter", jitter)
    if jitter < 0:
        fail("jitter", jitter, "a finite number >= 0")
    start = time.perf_counter()
    trained = train_two_layer(x, ys, restarts=restarts, steps=steps, seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = x.shape[0]
    best_lines = _hidden_lines(trained.best_network)
    best_c, best_count = _fit_lines(best_lines, x, y)
    evaluated = 0
    for net in trained.networks:
        lines = _hidden_lines(net)
        c, count = _fit_lines(lines, x, y)
        evaluated += 1
        if count > best_count:
            best_lines, best_c, best_count = lines, c, count
    refit_best = best_count / n
    history: list[tuple[float, Fraction]] = [(time.perf_counter() - start, Fraction(best_count, n))]
    scale = float(np.ptp(x)) or 1.0
    while time.perf_counter() - start < budget and evaluated < limit:
        unit = int(rng.integers(0, 2))
        proposals = _candidate_lines(x, rng, candidates_per_move)
        jittered = best_lines[unit] + jitter * scale * rng.standard_normal((8, 3))
        for line in np.vstack([proposals, jittered]):
            lines = best_lines.copy()
            lines[unit] = line
            c, count = _fit_lines(lines, x, y)
            evaluated += 1
            if count >= best_count:
                if count > best_count:
                    history.append((time.perf_counter() - start, Fraction(count, n)))
                best_lines, best_c, best_count = lines, c, count
            if time.perf_counter() - start >= budget or evaluated >= limit:
                break
    network = network_from_lines(best_lines, best_c)
    certified = exact_accuracy(network, x, ys)
    return SearchResult(
        network=network,
        accuracy=certified,
        trained_best=trained.best_accuracy,
        trained_median=trained.median_accuracy,
        refit_best=refit_best,
        candidates=evaluated,
        seconds=time.perf_counter() - start,
        history=tuple(history),
    )


# ---------------------------------------------------------------------- plotting
def plot_decision_regions(
    net: ReluNetwork,
    points: npt.ArrayLike,
    labels: npt.ArrayLike,
    path: str | Path,
    *,
    title: str | None = None,
    resolution: int = 400,
    polygon: Sequence[int] = (),
) -> Path:
    """Plot the class regions of a ``(2, h, 2)`` network, its hidden lines and the data.

    Class 1 region (``s1 > s2``) is shaded blue, class 2 red; the decision boundary
    ``s1 = s2`` is drawn black and each hidden unit's line ``a . x + beta = 0`` dashed.
    Misclassified points are ringed. ``polygon`` (row indices of the data, e.g. from
    :attr:`ConvexRegionBound.polygons`) is drawn as a closed dotted outline.
    """
    from reluapprox.plotting import new_figure, save_figure

    x = _check_points("points", points, limit=MAX_FLOAT_COORDINATE)
    ys = _check_labels("labels", labels, x.shape[0])
    check_positive_int("resolution", resolution, minimum=10)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1.0)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    mesh_x, mesh_y = np.meshgrid(gx, gy)
    g = decision_values(net, np.column_stack([mesh_x.ravel(), mesh_y.ravel()]))
    g = g.reshape(mesh_x.shape)
    figure = new_figure(size=(5.6, 5.0))
    ax = figure.axes[0]
    ax.contourf(mesh_x, mesh_y, np.sign(g), levels=[-1.5, 0.0, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(mesh_x, mesh_y, g, levels=[0.0], colors="k", linewidths=1.2)
    for k, line in enumerate(_hidden_lines(net)):
        ax.contour(
            mesh_x,
            mesh_y,
            line[0] * mesh_x + line[1] * mesh_y + line[2],
            levels=[0.0],
            colors=[f"C{2 + k % 6}"],
            linestyles="dashed",
            linewidths=1.0,
        )
    predicted = predict(net, x)
    for cls, marker, color in ((1, "o", "C0"), (2, "s", "C3")):
        mask = ys == cls
        ax.scatter(x[mask, 0], x[mask, 1], s=16, marker=marker, color=color, label=f"class {cls}")
    wrong = predicted != ys
    if np.any(wrong):
        ax.scatter(
            x[wrong, 0], x[wrong, 1], s=70, facecolors="none", edgecolors="k", label="misclassified"
        )
    if len(polygon):
        corners = x[[*polygon, polygon[0]]]
        ax.plot(corners[:, 0], corners[:, 1], ":", color="k", lw=1.4, label="optimal convex set")
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="upper left", fontsize="small")
    acc = float(np.mean(~wrong))
    ax.set_title(title or f"widths {net.widths}: accuracy {100 * acc:.1f}%")
    return save_figure(figure, path)


def plot_training_loss(
    result: TrainingResult, path: str | Path, *, title: str | None = None
) -> Path:
    """Plot the cross-entropy of every restart (grey) and of the best one (blue), log scale."""
    from reluapprox.plotting import new_figure, save_figure

    figure = new_figure(size=(6.4, 4.0))
    ax = figure.axes[0]
    steps = np.arange(1, result.losses.shape[1] + 1)
    for r in range(result.losses.shape[0]):
        ax.plot(steps, result.losses[r], color="0.75", lw=0.6)
    best = result.best_index
    ax.plot(steps, result.losses[best], color="C0", lw=1.6, label=f"best restart ({best})")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("mean cross-entropy")
    ax.legend()
    ax.set_title(
        title
        or (
            f"{len(result.networks)} restarts (seed {result.seed}): best "
            f"{100 * result.best_accuracy:.1f}%, median {100 * result.median_accuracy:.1f}%"
        )
    )
    return save_figure(figure, path)


# ------------------------------------------------------------------ upper bound
#: Relative error bound of the float orientation determinant: Shewchuk's orient2d filter
#: constant (3 + 16 eps) eps ~ 3.3e-16, taken three times larger. Signs with
#: ``|det| <= ORIENT_FILTER * (|t1| + |t2|)`` are recomputed exactly with Fractions.
ORIENT_FILTER = 1e-15

#: Largest coordinate magnitude accepted by the float-arithmetic functions (training,
#: output-layer fits, the local search, plots).
MAX_FLOAT_COORDINATE = 1e100

#: Most float64 numbers one training array may hold (``restarts * steps`` loss values,
#: ``restarts * n * hidden`` activations): 5e7 numbers are 400 MB.
MAX_TRAINING_FLOATS = 5 * 10**7

#: Largest CSV file :func:`load_classification_csv` reads (bytes): a device such as
#: ``/dev/zero`` or a huge file is refused after reading this much.
MAX_CSV_BYTES = 16 * 2**20

#: Float products below this magnitude may have lost relative accuracy to underflow
#: (``2**-968``: 53 bits above the smallest normal float); their signs are recomputed
#: exactly unless a factor is an exact zero.
SMALL_PRODUCT = 2.0**-968


@dataclass(frozen=True)
class ConvexRegionBound:
    """A certified upper bound on the accuracy of every 2-2-2 network on a data set.

    Attributes:
        correct: no 2-2-2 network classifies more than this many points correctly.
        n: the number of points.
        per_class: ``{A: c_A}``, the most points any classifier whose class-A region is
            convex gets right; ``correct = max(c_1, c_2)``.
        polygons: ``{A: indices}``, the vertices (row indices into the data, counter-
            clockwise) of an optimal convex polygon for class A; empty when the best is
            to predict the other class everywhere.
        exact_fallbacks: orientation signs that the float filter could not decide and
            that were recomputed in rational arithmetic.
    """

    correct: int
    n: int
    per_class: dict[int, int]
    polygons: dict[int, tuple[int, ...]]
    exact_fallbacks: int

    @property
    def accuracy(self) -> Fraction:
        """``correct / n``: the certified upper bound on the 2-2-2 accuracy."""
        return Fraction(self.correct, self.n)


class _Orientation:
    """Signs of ``det(b - a, c - a)`` for float points, exact through a filter.

    The points are first scaled by a power of two (exactly, when no coordinate loses
    bits) so that the largest coordinate is about 1: products can then neither
    overflow nor, for data of one scale, underflow. Every sign the float filter cannot
    vouch for (a relative error bound, products that are not finite or tiny) is
    recomputed in rational arithmetic; no sign is ever read off a NaN.
    """

    def __init__(self, x: FloatArray) -> None:
        self.x = _power_of_two_scaled(x)
        self.fallbacks = 0

    def signs(self, a: IntArray, b: IntArray, c: IntArray) -> npt.NDArray[np.int8]:
        """Orientation signs for index arrays ``a, b, c`` (broadcast together)."""
        x = self.x
        a, b, c = np.broadcast_arrays(np.atleast_1d(a), np.atleast_1d(b), np.atleast_1d(c))
        with np.errstate(all="ignore"):
            dxb, dyb = x[b, 0] - x[a, 0], x[b, 1] - x[a, 1]
            dxc, dyc = x[c, 0] - x[a, 0], x[c, 1] - x[a, 1]
            t1 = dxb * dyc
            t2 = dyb * dxc
            det = t1 - t2
            sure = np.abs(det) > ORIENT_FILTER * (np.abs(t1) + np.abs(t2))  # False for NaN
            for product, u, v in ((t1, dxb, dyc), (t2, dyb, dxc)):
                sure &= (np.abs(product) >= SMALL_PRODUCT) | (u == 0) | (v == 0)
                sure &= np.isfinite(product)
        # a repeated point, or two exact zero products: det is exactly 0
        zero = (
            (a == b) | (b == c) | (a == c) | (((dxb == 0) | (dyc == 0)) & ((dyb == 0) | (dxc == 0)))
        )
        out: npt.NDArray[np.int8] = np.where(sure, np.sign(np.nan_to_num(det)), 0).astype(np.int8)
        for index in zip(*np.nonzero(~sure & ~zero), strict=True):
            self.fallbacks += 1
            pa, pb, pc = (x[int(v[index])].tolist() for v in (a, b, c))
            fa = [Fraction(v) for v in pa]
            exact = (Fraction(pb[0]) - fa[0]) * (Fraction(pc[1]) - fa[1]) - (
                Fraction(pb[1]) - fa[1]
            ) * (Fraction(pc[0]) - fa[0])
            out[index] = (exact > 0) - (exact < 0)
        return out


def _power_of_two_scaled(x: FloatArray) -> FloatArray:
    """``x * 2**k`` with the largest ``|coordinate|`` in ``[0.5, 1)``, if that is exact.

    Orientation signs do not change under scaling by a positive number; when some
    coordinate would lose bits (data spanning more than the float exponent range),
    ``x`` is returned unchanged and the exact fallback decides.
    """
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0:
        return x
    exponent = math.frexp(peak)[1]
    scaled = np.ldexp(x, -exponent)
    if np.array_equal(np.ldexp(scaled, exponent), x):
        return np.asarray(scaled, dtype=np.float64)
    return x


def _on_closed_ray_segment(x: FloatArray, p: int, v: int, q: int) -> bool:
    """For ``q`` collinear with ``p, v`` and above ``p``: is ``q`` in ``(p, v]``? Exact."""
    fp, fv, fq = ([Fraction(c) for c in x[k].tolist()] for k in (p, v, q))
    dot = (fq[0] - fp[0]) * (fv[0] - fp[0]) + (fq[1] - fp[1]) * (fv[1] - fp[1])
    length = (fv[0] - fp[0]) ** 2 + (fv[1] - fp[1]) ** 2
    return 0 < dot <= length


def _best_island(
    x: FloatArray, weights: IntArray, vertices: IntArray, orient: _Orientation
) -> tuple[int, tuple[int, ...]]:
    """Max of the total weight of the points in a closed convex polygon with corners in
    ``vertices`` (0 for no polygon), and the corners of a maximiser.

    For each possible lowest corner ``p`` the polygon is a fan of triangles
    ``(p, v_i, v_j)`` over corners sorted by angle around ``p``; a dynamic programme over
    the last edge ``(v_i, v_j)`` adds the weight of each triangle (open interior, open
    outer edge, half-open ray ``(p, v_j]``), requiring a strict left turn at every corner.
    """
    import functools

    n = x.shape[0]
    key = np.lexsort((x[:, 0], x[:, 1]))
    rank = np.empty(n, dtype=np.int64)
    rank[key] = np.arange(n)
    best = 0
    best_polygon: tuple[int, ...] = ()
    positive = weights > 0
    for p in sorted(vertices.tolist(), key=lambda v: int(rank[v])):
        above = np.nonzero(rank > rank[p])[0]
        same = np.nonzero((x[:, 0] == x[p, 0]) & (x[:, 1] == x[p, 1]))[0]
        if int(np.sum(positive[np.union1d(above, same)])) <= best:
            continue  # a polygon with lowest corner p holds no other points
        above = np.setdiff1d(above, same)
        at_p = int(weights[same].sum())
        if at_p > best:
            best, best_polygon = at_p, (p,)
        corners = np.intersect1d(above, vertices)
        if corners.size == 0:
            continue

        def by_angle(i: int, j: int, p: int = p) -> int:
            return -int(orient.signs(np.array(p), np.array(i), np.array(j))[0])

        corners = np.array(sorted(corners.tolist(), key=functools.cmp_to_key(by_angle)))
        m = corners.size
        q = above
        wq = weights[q]
        side = orient.signs(np.array(p), corners[:, None], q[None, :])  # (m, r)
        ray = np.zeros(m, dtype=np.int64)
        for j, v in enumerate(corners.tolist()):
            for k in np.nonzero(side[j] == 0)[0].tolist():
                if q[k] == v or _on_closed_ray_segment(x, p, v, int(q[k])):
                    ray[j] += int(wq[k])
        base = at_p + ray  # the segment [p, v_j] as a (degenerate) polygon
        j0 = int(np.argmax(base))
        if base[j0] > best:
            best, best_polygon = int(base[j0]), (p, int(corners[j0]))
        column = np.searchsorted(q, corners)  # corners as columns of side
        forward = side[:, column] > 0  # (m, m): v_j strictly counterclockwise of v_i
        f = np.full((m, m), np.iinfo(np.int64).min // 4, dtype=np.int64)
        parent = np.full((m, m), -1, dtype=np.int64)
        for i in range(m):
            targets = np.nonzero(forward[i])[0]
            if targets.size == 0:
                continue
            turn = orient.signs(corners[i], corners[targets][:, None], q[None, :])  # (t, r)
            inside = (side[i] > 0)[None, :] & (side[targets] < 0) & (turn >= 0)
            triangle = inside.astype(np.int64) @ wq + ray[targets]
            incoming = np.nonzero(forward[:, i])[0]
            previous = np.full(targets.size, base[i], dtype=np.int64)
            came_from = np.full(targets.size, -1, dtype=np.int64)
            if incoming.size:
                left = turn[:, np.searchsorted(q, corners[incoming])] > 0  # (t, h)
                values = np.where(left, f[incoming, i][None, :], np.iinfo(np.int64).min // 4)
                h = np.argmax(values, axis=1)
                better = values[np.arange(targets.size), h] > previous
                previous = np.where(better, values[np.arange(targets.size), h], previous)
                came_from = np.where(better, incoming[h], -1)
            f[i, targets] = triangle + previous
            parent[i, targets] = came_from
        last, end = (int(v) for v in np.unravel_index(int(np.argmax(f)), f.shape))
        if f[last, end] > best:
            best = int(f[last, end])
            chain = [end, last]
            while parent[chain[-1], chain[-2]] >= 0:
                chain.append(int(parent[chain[-1], chain[-2]]))
            best_polygon = (p, *(int(corners[k]) for k in reversed(chain)))
    return best, best_polygon


def convex_region_bound(
    points: npt.ArrayLike, labels: npt.ArrayLike, *, max_points: int = 500
) -> ConvexRegionBound:
    """A certified upper bound on the accuracy of every 2-2-2 network on these points.

    Theorem (docs/twolayer.md): for every 2-2-2 network, the region where it predicts
    class 1 or the region where it predicts class 2 is convex. A classifier whose
    class-A region ``K`` is convex is right on at most
    ``#(B outside conv(S)) + |S|`` points, ``S`` the class-A points in ``K``; so the
    bound is ``N_B + max (#A - #B in a closed convex polygon with corners of class A)``,
    maximised over the two choices of A by an ``O(n^4)`` dynamic programme in numpy
    (a few seconds for 200 points). Orientation signs are exact (float filter with a
    rational fallback), so the bound is a proof.

    Args:
        points: array of shape ``(n, 2)``, read as float64 (the bound is exact for the
            float coordinates; Fractions are rounded to the nearest float first).
        labels: ``n`` labels, each 1 or 2.
        max_points: refuse more points than this (the time grows like ``n^4``).

    Raises:
        BudgetExceeded: for more than ``max_points`` points.

    Examples:
        >>> bound = convex_region_bound(EX1A_POINTS, EX1A_LABELS)
        >>> bound.correct, bound.accuracy
        (4, Fraction(1, 1))
        >>> convex_region_bound([(0, 0), (1, 0), (2, 0), (3, 0)], [1, 2, 1, 2]).correct
        3
    """
    x = _check_points("points", points)
    ys = _check_labels("labels", labels, x.shape[0])
    check_positive_int("max_points", max_points)
    if x.shape[0] > max_points:
        raise BudgetExceeded(
            f"convex_region_bound: {x.shape[0]} points exceed max_points={max_points} "
            "(the dynamic programme takes time of order n^4); raise max_points to run it"
        )
    orient = _Orientation(x)
    per_class: dict[int, int] = {}
    polygons: dict[int, tuple[int, ...]] = {}
    for cls in (1, 2):
        weights = np.where(ys == cls, 1, -1).astype(np.int64)
        others = int(np.sum(ys != cls))
        gain, polygon = _best_island(x, weights, np.nonzero(ys == cls)[0], orient)
        per_class[cls] = others + gain
        polygons[cls] = polygon
    return ConvexRegionBound(
        correct=max(per_class.values()),
        n=int(x.shape[0]),
        per_class=per_class,
        polygons=polygons,
        exact_fallbacks=orient.fallbacks,
    )
