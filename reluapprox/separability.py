"""Perceptrons, exact linear separability with Farkas certificates, threshold functions.

The perceptron with weights ``w`` and bias ``b`` is ``f(x; w, b) = 1`` if
``w·x + b >= 0`` and ``0`` otherwise. Finitely many labelled points are *linearly
separable* when some perceptron reproduces every label. With the signs
``s_i = +1`` for label 1 and ``s_i = -1`` for label 0 this holds if and only if the
linear system ``s_i (w·x_i + b) >= 1`` (one row per point) has a solution, and by
Farkas' lemma it has none if and only if there are multipliers ``λ_i >= 0`` with

``sum_i λ_i s_i x_i = 0``,  ``sum_i λ_i s_i = 0``,  ``sum_i λ_i = 1``.

:func:`linear_separator` decides which case holds with an exact simplex method on
Fractions and returns either a rational separator or such multipliers, whose
:meth:`FarkasCertificate.verify` is a proof of non-separability by exact arithmetic.

:func:`threshold_functions` lists the Boolean functions ``{0,1}^n -> {0,1}`` that a
perceptron computes, either by one exact LP per function (``method="lp"``, all
``2^(2^n)`` functions) or by enumerating bounded integer weights (``method="weights"``,
complete by the determinant bound :func:`weight_bound`), up to ``n = 5``.

Examples:
    >>> result = linear_separator([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0])  # XOR
    >>> result.separable, result.certificate.verify()
    (False, True)
    >>> result.certificate.multipliers
    (Fraction(1, 4), Fraction(1, 4), Fraction(1, 4), Fraction(1, 4))
    >>> w, b = LOGIC_GATES["NAND"]
    >>> [perceptron(x, w, b) for x in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    [1, 1, 1, 0]
    >>> [count_threshold_functions(n) for n in range(5)]
    [2, 4, 14, 104, 1882]

References:
    F. Rosenblatt, The perceptron: a probabilistic model for information storage and
    organization in the brain, Psychological Review 65 (1958) 386-408.

    A. Schrijver, *Theory of Linear and Integer Programming*, Wiley, 1986, Ch. 7
    (Farkas' lemma), Ch. 8 (vertices) and Ch. 11 (the simplex method, Bland's rule).

    S. Muroga, *Threshold Logic and its Applications*, Wiley, 1971, Ch. 9 (integer
    weights of threshold functions and bounds on them).

    OEIS A000609: number of threshold functions of n or fewer variables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from reluapprox._validation import check_choice, check_positive_int, check_rational, fail
from reluapprox.errors import BudgetExceeded, CertificationError

__all__ = [
    "LOGIC_GATES",
    "FarkasCertificate",
    "SeparationResult",
    "boolean_cube",
    "count_threshold_functions",
    "linear_separator",
    "perceptron",
    "plot_separation",
    "threshold_functions",
    "truth_table_labels",
    "weight_bound",
]

#: The perceptrons of the problem sheet on ``{0,1}^2``: name -> ``(w, b)``.
LOGIC_GATES: dict[str, tuple[tuple[Fraction, Fraction], Fraction]] = {
    "AND": ((Fraction(1), Fraction(1)), Fraction(-2)),
    "NAND": ((Fraction(-1), Fraction(-1)), Fraction(3, 2)),
    "OR": ((Fraction(1), Fraction(1)), Fraction(-1)),
}

#: Largest ``n`` for which :func:`threshold_functions` enumerates (``method="weights"``).
MAX_WEIGHTS_N = 5
#: Largest ``n`` for which ``method="lp"`` solves one LP per Boolean function.
MAX_LP_N = 4

Method = Literal["weights", "lp"]
PointsLike = Sequence[Sequence[object]] | npt.NDArray[Any]
LabelsLike = Sequence[object] | npt.NDArray[Any]
Point = tuple[Fraction, ...]


# ---------------------------------------------------------------------- perceptron
def perceptron(x: Sequence[object], w: Sequence[object], b: object) -> int:
    """The perceptron ``f(x; w, b) = 1 if w·x + b >= 0 else 0``, evaluated exactly.

    Args:
        x: the input, a sequence of finite real numbers.
        w: the weights, as many as ``x`` has entries.
        b: the bias.

    Returns:
        ``1`` or ``0``. Floats are converted exactly, so the comparison with 0 is exact.

    Raises:
        InvalidArgument: for unequal lengths, NaN/inf or non-numeric entries.

    Examples:
        >>> perceptron([1, 0], [1, 1], -1)  # OR(1, 0)
        1
        >>> perceptron([0, 0], [1, 1], -1)
        0
    """
    xs = _rational_vector("x", x)
    ws = _rational_vector("w", w)
    if len(ws) != len(xs):
        fail("w", w, f"{len(xs)} weights, one per entry of x")
    value = sum((wi * xi for wi, xi in zip(ws, xs, strict=True)), check_rational("b", b))
    return 1 if value >= 0 else 0


def _rational_vector(name: str, values: object) -> Point:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail(name, values, "a sequence of finite real numbers")
    return tuple(check_rational(f"{name}[{i}]", v) for i, v in enumerate(values))


# --------------------------------------------------------------------- certificates
@dataclass(frozen=True)
class FarkasCertificate:
    """Farkas multipliers proving that labelled points are not linearly separable.

    With ``s_i = 2 * labels[i] - 1`` the multipliers satisfy ``λ_i >= 0``,
    ``sum_i λ_i s_i x_i = 0``, ``sum_i λ_i s_i = 0`` and ``sum_i λ_i > 0``. Then no
    ``(w, b)`` has ``s_i (w·x_i + b) >= 1`` for all ``i``: multiplying row ``i`` by
    ``λ_i`` and adding gives ``0 >= sum_i λ_i > 0``.

    Attributes:
        points: the points ``x_i`` (Fractions).
        labels: their labels in ``{0, 1}``.
        multipliers: the ``λ_i`` (Fractions), one per point.
    """

    points: tuple[Point, ...]
    labels: tuple[int, ...]
    multipliers: tuple[Fraction, ...]

    def verify(self) -> bool:
        """Check the four conditions by exact rational arithmetic; ``True`` is a proof."""
        if not (len(self.points) == len(self.labels) == len(self.multipliers) > 0):
            return False
        if any(not isinstance(v, Fraction) for v in self.multipliers):
            return False
        if any(label not in (0, 1) for label in self.labels):
            return False
        dim = len(self.points[0])
        if any(len(p) != dim for p in self.points):
            return False
        if any(v < 0 for v in self.multipliers) or sum(self.multipliers) <= 0:
            return False
        try:
            return self._sums_vanish(dim)
        except (TypeError, ValueError, OverflowError):  # non-numeric or NaN coordinates
            return False

    def _sums_vanish(self, dim: int) -> bool:
        signed = [
            v if label == 1 else -v for v, label in zip(self.multipliers, self.labels, strict=True)
        ]
        if sum(signed) != 0:
            return False
        return all(
            sum((s * Fraction(p[j]) for s, p in zip(signed, self.points, strict=True)), Fraction(0))
            == 0
            for j in range(dim)
        )

    def common_point(self) -> Point:
        """The point ``sum λ_i x_i / sum λ_i`` over either class: in both convex hulls.

        Examples:
            >>> xor = linear_separator([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0])
            >>> xor.certificate.common_point()
            (Fraction(1, 2), Fraction(1, 2))
        """
        ones = [
            (v, p)
            for v, p, label in zip(self.multipliers, self.points, self.labels, strict=True)
            if label
        ]
        total = sum((v for v, _ in ones), Fraction(0))
        dim = len(self.points[0])
        return tuple(sum((v * p[j] for v, p in ones), Fraction(0)) / total for j in range(dim))


@dataclass(frozen=True)
class SeparationResult:
    """The outcome of :func:`linear_separator`.

    Attributes:
        separable: whether a perceptron reproduces every label.
        w: the weights of a separator (Fractions) when separable, else ``None``.
        b: its bias when separable, else ``None``. It satisfies
            ``s_i (w·x_i + b) >= 1``, so ``perceptron(x_i, w, b) == labels[i]``.
        certificate: the :class:`FarkasCertificate` when not separable, else ``None``.
    """

    separable: bool
    w: Point | None
    b: Fraction | None
    certificate: FarkasCertificate | None

    def verify(self, points: PointsLike, labels: LabelsLike) -> bool:
        """Check the result exactly: the separator labels every point, or the certificate holds.

        Examples:
            >>> pts, labels = [(0,), (1,), (2,)], [0, 0, 1]
            >>> linear_separator(pts, labels).verify(pts, labels)
            True
        """
        pts, labs = _validate_data(points, labels)
        if self.separable:
            if self.w is None or self.b is None:
                return False
            return all(perceptron(p, self.w, self.b) == y for p, y in zip(pts, labs, strict=True))
        return self.certificate is not None and self.certificate.verify()


# ------------------------------------------------------------------- exact simplex
def _phase_one(
    matrix: list[list[Fraction]], rhs: list[Fraction], *, max_pivots: int = 10_000
) -> tuple[list[Fraction] | None, list[Fraction]]:
    """Phase 1 of the simplex method for ``matrix @ v = rhs, v >= 0`` (``rhs >= 0``).

    Minimises the sum of artificial variables with Bland's rule (no cycling). Returns
    ``(v, y)``: ``v`` a feasible point (``None`` when infeasible) and ``y`` the optimal
    dual vector, which satisfies ``matrix.T @ y <= 0`` and ``rhs @ y`` = optimal value.
    Raises :class:`BudgetExceeded` after ``max_pivots`` pivots.
    """
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    total = cols + rows
    tableau = [
        [*row, *(Fraction(1) if k == i else Fraction(0) for k in range(rows)), rhs[i]]
        for i, row in enumerate(matrix)
    ]
    basis = [cols + i for i in range(rows)]
    # reduced costs of the phase-1 objective sum(artificials), and its negated value
    cost = [-sum((tableau[i][j] for i in range(rows)), Fraction(0)) for j in range(cols)]
    cost += [Fraction(0)] * rows + [-sum(rhs, Fraction(0))]
    pivots = 0
    while True:
        entering = next((j for j in range(total) if cost[j] < 0), None)
        if entering is None:
            break
        if pivots >= max_pivots:
            raise BudgetExceeded(
                f"the exact simplex method stopped after max_pivots={max_pivots} pivots "
                f"({rows} equations, {cols} points) without reaching an optimal basis"
            )
        pivots += 1
        leaving: int | None = None
        best: Fraction | None = None
        for i in range(rows):
            a = tableau[i][entering]
            if a > 0:
                ratio = tableau[i][-1] / a
                if (
                    best is None or ratio < best or (ratio == best and basis[i] < basis[leaving])  # type: ignore[index]
                ):
                    best, leaving = ratio, i
        if leaving is None:  # pragma: no cover - phase 1 is bounded below by 0
            raise CertificationError("phase-1 simplex reported an unbounded direction")
        pivot_row = tableau[leaving]
        pivot = pivot_row[entering]
        if pivot != 1:
            pivot_row = [v / pivot for v in pivot_row]
            tableau[leaving] = pivot_row
        for i in range(rows):
            if i != leaving:
                factor = tableau[i][entering]
                if factor:
                    tableau[i] = [
                        a - factor * p for a, p in zip(tableau[i], pivot_row, strict=True)
                    ]
        factor = cost[entering]
        cost = [a - factor * p for a, p in zip(cost, pivot_row, strict=True)]
        basis[leaving] = entering
    value = -cost[-1]
    duals = [1 - cost[cols + i] for i in range(rows)]
    if value > 0:
        return None, duals
    solution = [Fraction(0)] * cols
    for i, j in enumerate(basis):
        if j < cols:
            solution[j] = tableau[i][-1]
    return solution, duals


def _separate(
    points: Sequence[Point], labels: Sequence[int], *, max_pivots: int = 10_000
) -> SeparationResult:
    """Decide separability of validated data; the result is checked before it is returned."""
    dim = len(points[0])
    signs = [1 if y == 1 else -1 for y in labels]
    # columns: lambda_i; rows: sum_i lambda_i s_i x_ij = 0 (j < dim), sum lambda_i s_i = 0,
    # sum lambda_i = 1
    matrix = [[s * p[j] for p, s in zip(points, signs, strict=True)] for j in range(dim)]
    matrix.append([Fraction(s) for s in signs])
    matrix.append([Fraction(1)] * len(points))
    rhs = [Fraction(0)] * (dim + 1) + [Fraction(1)]
    solution, duals = _phase_one(matrix, rhs, max_pivots=max_pivots)
    if solution is not None:
        certificate = FarkasCertificate(tuple(points), tuple(labels), tuple(solution))
        if not certificate.verify():  # pragma: no cover - a bug in the simplex
            raise CertificationError("the simplex method returned invalid Farkas multipliers")
        return SeparationResult(separable=False, w=None, b=None, certificate=certificate)
    # optimal duals y: A z >= 1 for z = -y[:dim+1] / y[dim+1] (see the docs page)
    scale = duals[-1]
    z = [-v / scale for v in duals[:-1]]
    w, b = tuple(z[:dim]), z[dim]
    for p, s in zip(points, signs, strict=True):
        if s * (sum((wi * xi for wi, xi in zip(w, p, strict=True)), b)) < 1:  # pragma: no cover
            raise CertificationError("the simplex method returned an invalid separator")
    return SeparationResult(separable=True, w=w, b=b, certificate=None)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _validate_data(points: object, labels: object) -> tuple[tuple[Point, ...], tuple[int, ...]]:
    if isinstance(points, np.ndarray):
        points = points.tolist()
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or len(points) == 0:
        fail("points", points, "a non-empty sequence of points (sequences of real numbers)")
    pts = tuple(_rational_vector(f"points[{i}]", p) for i, p in enumerate(points))
    dim = len(pts[0])
    for i, p in enumerate(pts):
        if len(p) != dim:
            fail(f"points[{i}]", points[i], f"{dim} coordinates like points[0], got {len(p)}")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        fail("labels", labels, "a sequence of labels in {0, 1}")
    if len(labels) != len(pts):
        fail("labels", labels, f"{len(pts)} labels (one per point), got {len(labels)}")
    labs: list[int] = []
    for i, y in enumerate(labels):
        if isinstance(y, (int, float, Fraction, np.integer, np.floating)) and y in (0, 1):
            labs.append(int(y))
        else:
            fail(f"labels[{i}]", y, "a label in {0, 1}")
    return pts, tuple(labs)


def linear_separator(
    points: PointsLike, labels: LabelsLike, *, max_pivots: int = 10_000
) -> SeparationResult:
    """A perceptron that labels every point correctly, or a proof that none exists.

    Solves the linear feasibility problem ``s_i (w·x_i + b) >= 1`` (``s_i = 2 y_i - 1``)
    exactly: phase 1 of the simplex method with Bland's rule, on Fractions, applied to
    the Farkas alternative ``λ >= 0, sum λ_i s_i (x_i, 1) = 0, sum λ_i = 1``. A feasible
    ``λ`` is returned as a :class:`FarkasCertificate`; otherwise the optimal dual
    variables give the separator. Both outcomes are checked exactly before returning.

    Args:
        points: ``m >= 1`` points of equal dimension ``n >= 0`` (ints, Fractions or
            floats; floats are converted exactly).
        labels: ``m`` labels in ``{0, 1}``.
        max_pivots: the most simplex pivots before giving up (Bland's rule ends after
            finitely many, but possibly many, pivots on large inputs).

    Returns:
        A :class:`SeparationResult` with ``separable``, ``w``, ``b`` and ``certificate``.

    Raises:
        InvalidArgument: for no points, points of unequal dimension, NaN/inf entries,
            a number of labels different from the number of points, or labels not in
            ``{0, 1}``, or ``max_pivots < 1``.
        BudgetExceeded: when ``max_pivots`` pivots do not reach an optimal basis.

    Examples:
        >>> result = linear_separator([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 0, 0, 1])  # AND
        >>> result.separable
        True
        >>> [perceptron(x, result.w, result.b) for x in [(0, 0), (0, 1), (1, 0), (1, 1)]]
        [0, 0, 0, 1]
    """
    pts, labs = _validate_data(points, labels)
    max_pivots = check_positive_int("max_pivots", max_pivots)
    return _separate(pts, labs, max_pivots=max_pivots)


# ------------------------------------------------------------- threshold functions
def boolean_cube(n: int) -> tuple[Point, ...]:
    """The ``2^n`` points of ``{0,1}^n``; point ``i`` has coordinate ``j`` = bit ``j`` of ``i``.

    Examples:
        >>> [tuple(int(v) for v in p) for p in boolean_cube(2)]
        [(0, 0), (1, 0), (0, 1), (1, 1)]
    """
    n = _check_n(n, maximum=MAX_WEIGHTS_N)
    return tuple(tuple(Fraction((i >> j) & 1) for j in range(n)) for i in range(2**n))


def truth_table_labels(table: int, n: int) -> tuple[int, ...]:
    """The labels encoded by ``table``: bit ``i`` is the value at point ``i`` of the cube.

    Examples:
        >>> truth_table_labels(0b0110, 2)  # XOR
        (0, 1, 1, 0)
    """
    n = _check_n(n, maximum=MAX_WEIGHTS_N)
    value: object = table
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        fail("table", table, f"an integer in [0, 2**{2**n})")
    if not 0 <= int(value) < 2 ** (2**n):
        fail("table", table, f"an integer in [0, 2**{2**n})")
    return tuple((int(table) >> i) & 1 for i in range(2**n))


def _check_n(n: object, *, maximum: int) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 0 <= int(n) <= maximum:
        fail("n", n, f"an integer in 0..{maximum}")
    return int(n)


def weight_bound(n: int) -> int:
    """``K(n) = floor((n + 1)^((n + 1)/2) / 2^(n - 1))``: integer weights in ``[-K, K]`` suffice.

    Every threshold function of ``n >= 1`` variables is ``[W·x + B >= 0]`` for integers
    with ``|W_j| <= K(n)`` (proof on the docs page "Perceptrons": a vertex of the
    feasible region, Cramer's rule and Hadamard's inequality). ``K(0) = 0``.

    Examples:
        >>> [weight_bound(n) for n in range(6)]
        [0, 2, 2, 4, 6, 13]
    """
    n = _check_n(n, maximum=64)
    if n == 0:
        return 0
    return int(math.isqrt((n + 1) ** (n + 1)) // 2 ** (n - 1))


def _pack(bits: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Rows of bits (least significant first) as int64 truth tables (at most 32 bits)."""
    powers = np.left_shift(np.int64(1), np.arange(bits.shape[-1], dtype=np.int64))
    packed: npt.NDArray[np.int64] = np.asarray(bits.astype(np.int64) @ powers, dtype=np.int64)
    return packed


def _unpack(tables: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.bool_]:
    shifts = np.arange(size, dtype=np.int64)
    return np.asarray((tables[:, None] >> shifts) & 1, dtype=bool)


def _threshold_tables_by_weights(n: int) -> npt.NDArray[np.int64]:
    size = 2**n
    cube = np.array([[(i >> j) & 1 for j in range(n)] for i in range(size)], dtype=np.int64)
    cube = cube.reshape(size, n)
    # 1. positive functions [v·x >= θ] for nondecreasing v in [0, K]^n, every distinct θ
    vectors = list(itertools.combinations_with_replacement(range(weight_bound(n) + 1), n))
    grid = np.array(vectors, dtype=np.int64).reshape(len(vectors), n)
    sums = grid @ cube.T  # (vectors, points)
    bits = sums[:, None, :] >= sums[:, :, None]  # [v·x >= v·x_c] for each point c
    tables = np.unique(np.append(_pack(bits).ravel(), 0))  # 0: θ = +infinity
    # 2. close under permutations of the variables (undoes the sorting of v)
    index = np.arange(size)
    columns = [
        sum((((index >> perm[j]) & 1) << j for j in range(n)), np.zeros_like(index))
        for perm in itertools.permutations(range(n))
    ]
    unpacked = _unpack(tables, size)
    tables = np.unique(np.concatenate([_pack(unpacked[:, c]) for c in columns]))
    # 3. close under complementing inputs x_j -> 1 - x_j (undoes the signs of the weights)
    unpacked = _unpack(tables, size)
    return np.unique(np.concatenate([_pack(unpacked[:, index ^ mask]) for mask in range(size)]))


def threshold_functions(n: int, *, method: Method = "weights") -> frozenset[int]:
    """The truth tables of all threshold functions ``{0,1}^n -> {0,1}``.

    A truth table is an int whose bit ``i`` is the value at point ``i`` of
    :func:`boolean_cube` (coordinate ``j`` of point ``i`` is bit ``j`` of ``i``).

    Args:
        n: the number of variables.
        method: ``"weights"`` (default; ``n <= 5``) enumerates nonnegative sorted
            integer weights up to :func:`weight_bound` with every distinct threshold,
            then closes the set under permuting and complementing inputs; complete by
            the theorem on the docs page. ``"lp"`` (``n <= 4``) solves one exact LP
            per Boolean function (``2^(2^n)`` of them; ``n = 4`` takes minutes).

    Raises:
        InvalidArgument: for ``n`` outside ``0..5`` (``0..4`` for ``"lp"``) or an
            unknown method.

    Examples:
        >>> sorted(threshold_functions(1))  # 0, NOT x, x, 1
        [0, 1, 2, 3]
        >>> 0b0110 in threshold_functions(2)  # XOR
        False
    """
    method = check_choice("method", method, ("weights", "lp"))  # type: ignore[assignment]
    if method == "lp":
        n = _check_n(n, maximum=MAX_LP_N)
        cube = boolean_cube(n)
        return frozenset(
            table
            for table in range(2 ** (2**n))
            if _separate(cube, tuple((table >> i) & 1 for i in range(2**n))).separable
        )
    n = _check_n(n, maximum=MAX_WEIGHTS_N)
    return frozenset(int(t) for t in _threshold_tables_by_weights(n).tolist())


def count_threshold_functions(n: int, *, method: Method = "weights") -> int:
    """The number of threshold functions of ``n`` variables (OEIS A000609).

    Args:
        n: the number of variables, ``0..5`` (``0..4`` for ``method="lp"``).
        method: as for :func:`threshold_functions`.

    Examples:
        >>> count_threshold_functions(3, method="lp")
        104
    """
    return len(threshold_functions(n, method=method))


# ---------------------------------------------------------------------- plotting
def plot_separation(
    points: PointsLike,
    labels: LabelsLike,
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Plot 2-D labelled points with the separating line or the certificate's common point.

    Examples:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "xor.png"
        >>> plot_separation([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0], out).exists()
        True
    """
    from reluapprox.plotting import new_figure, save_figure

    pts, labs = _validate_data(points, labels)
    if len(pts[0]) != 2:
        fail("points", points, "points in the plane (2 coordinates) for plotting")
    result = _separate(pts, labs)
    figure = new_figure(size=(4.2, 4.0))
    (axes,) = figure.axes
    xs = np.array([[float(v) for v in p] for p in pts])
    lo, hi = xs.min(axis=0) - 0.5, xs.max(axis=0) + 0.5
    for label, marker, color in ((0, "o", "C0"), (1, "s", "C3")):
        chosen = np.array([y == label for y in labs])
        if chosen.any():
            axes.plot(*xs[chosen].T, marker, color=color, ms=9, label=f"label {label}")
    if result.separable and result.w is not None and result.b is not None:
        w0, w1 = (float(v) for v in result.w)
        b = float(result.b)
        grid = np.linspace(lo[0], hi[0], 200)
        if w1 != 0.0:
            axes.plot(grid, -(w0 * grid + b) / w1, "k-", label="w·x + b = 0")
        else:
            axes.axvline(-b / w0, color="k", label="w·x + b = 0")
        subtitle = "separable"
    elif result.certificate is not None:
        point = [float(v) for v in result.certificate.common_point()]
        axes.plot(*point, "k*", ms=14, label="common point of the hulls")
        for label, style in ((0, "C0--"), (1, "C3--")):
            members = [p for p, y in zip(xs, labs, strict=True) if y == label]
            for a, c in itertools.combinations(members, 2):
                axes.plot([a[0], c[0]], [a[1], c[1]], style, lw=1)
        subtitle = "not separable (Farkas certificate)"
    axes.set_xlim(lo[0], hi[0])
    axes.set_ylim(lo[1], hi[1])
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    axes.set_title(title or subtitle)
    axes.legend(fontsize="small", loc="upper right")
    return save_figure(figure, path)
