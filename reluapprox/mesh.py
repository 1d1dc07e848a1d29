"""Meshes for piecewise-linear interpolation: uniform, adaptive (certified) and sampled.

Every mesh here is a strictly increasing list of *floats* ``a = x_0 < ... < x_N = b``;
floats are exact binary rationals, so the knots of the network are exactly the
points where ``g`` was evaluated (no rounding of the nodes to account for).

- :func:`uniform_nodes`: the floats nearest to ``a + i (b - a) / N``.
- :func:`adaptive_mesh`: marches from ``a`` to ``b`` and takes each cell as long as
  its proved bound (:class:`~reluapprox.certify.CellCertifier`) stays below the
  target; for smooth ``g`` this approaches the equidistribution optimum
  ``N* = int sqrt|g''| / sqrt(8 eps)`` (see the docs page "Approximation").
- :func:`certified_uniform_mesh`: the uniform mesh, refined until every cell
  certifies.
- :func:`shifted_mesh`: the adaptive march with node values shifted off ``g``
  (a non-interpolating near-best approximation, about ``sqrt 2`` fewer cells).
- :func:`sampled_mesh`: bisection driven by sampled errors (for callables
  without a modulus; the result is an estimate, not a proof).

All loops are bounded by ``max_neurons`` and a deadline and raise
:class:`~reluapprox.errors.BudgetExceeded` saying which limit was hit and how far
they got.

Examples:
    >>> uniform_nodes(0.0, 1.0, 4)
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> import sympy as sp
    >>> from reluapprox.certify import CellCertifier
    >>> from reluapprox.expr import SYMBOL
    >>> mesh = adaptive_mesh(CellCertifier(SYMBOL**2), 0.0, 1.0, 1e-4)
    >>> mesh.n_cells, max(mesh.bounds) <= 1e-4  # h^2/8 * 2 <= 1e-4: h <= 0.02, N* = 50
    (51, True)
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

import numpy as np
import sympy as sp

from reluapprox._validation import check_positive_int
from reluapprox.certify import (
    CellCertifier,
    Node,
    bounded_derivatives,
    up_fraction,
)
from reluapprox.errors import BudgetExceeded, CertificationError
from reluapprox.expr import SYMBOL, Target

__all__ = [
    "ACCEPT_FRACTION",
    "ESTIMATE_NOISE_RTOL",
    "ESTIMATE_SAFETY",
    "Mesh",
    "Progress",
    "adaptive_mesh",
    "certified_uniform_mesh",
    "sampled_mesh",
    "shifted_mesh",
    "uniform_nodes",
    "uniform_start",
]

#: Node values of the adaptive march are floats where that widens their radius by at
#: most this fraction of the target (see :meth:`CellCertifier.node`, ``slack``): a
#: bound at most ``2**-20`` of the target larger, and no exact midpoint to carry.
NODE_SLACK = 2.0**-20

#: The adaptive march accepts a cell once its bound is at least this fraction of the
#: target (or after a few trials): cells within ~1% of the longest admissible one.
ACCEPT_FRACTION = 0.98

#: The predicted next cell is shortened by this factor so that it usually passes at
#: once (a bound ``E ~ h**2`` then lands in ``[ACCEPT_FRACTION, 1] * target``).
PREDICTION_SHRINK = 0.995

#: Trials per cell of the adaptive march before it settles for the best passing one.
MAX_TRIALS = 8

#: Estimated (sampled) bounds are the sampled maximum times this factor.
ESTIMATE_SAFETY = 2.0

#: Sampled estimates are at least this times ``max(1, |g|)`` at the cell's ends.
ESTIMATE_NOISE_RTOL = 8 * 2.0**-52

#: Interior sample points per cell (as fractions of the cell) of :func:`sampled_mesh`.
SAMPLE_POINTS = (0.25, 0.5, 0.75)

#: After each cell the adaptive march tries a cell ``JUMP_START`` times longer
#: over which ``g`` varies by less than the target (see ``_jump``): one cheap range
#: evaluation per cell, and the way past singular points such as ``x sin(1/x)`` at 0.
JUMP_START = 64

#: The jump probe runs after every cell until it failed this many times in a row;
#: then only after every ``2**k``-th cell (``k`` growing with the failures, the
#: interval capped at :data:`JUMP_MAX_INTERVAL`), and again after every cell where
#: the cells shrink (a singular point ahead) or once a probe succeeds.
JUMP_PATIENCE = 8

#: Bisections between the longest passing and the shortest failing jump length.
JUMP_BISECTIONS = 4

#: Longest run of cells between two jump probes.
JUMP_MAX_INTERVAL = 16

#: Largest step ratio ``allowed / width`` of :func:`shifted_mesh` (converted to float).
RATIO_CAP = 10**6

#: The adaptive march checks the deadline (and reports progress) every this many cells.
BUDGET_INTERVAL = 8

#: Seconds between two calls of a progress callback.
PROGRESS_INTERVAL = 0.5

#: ``progress(fraction_of_domain_done, cells_so_far)``.
Progress = Callable[[float, int], None]


@dataclass
class Mesh:
    """A mesh with its node values and per-cell bounds.

    Attributes:
        nodes: the floats ``x_0 < ... < x_N``.
        values: exact node values ``y_i`` (Fractions).
        radii: ``|g(x_i) - y_i| <= radii[i]`` (certified meshes) or 0.
        bounds: per cell, an upper bound (proved or estimated) of ``sup |g - f|``.
        methods: how many cells used each kind of bound.
        floats: the values as floats where every value is a float (exactly), else
            ``None``.
    """

    nodes: list[float]
    values: list[Fraction]
    radii: list[float]
    bounds: list[float]
    methods: dict[str, int] = field(default_factory=dict)
    floats: list[float] | None = None

    @property
    def n_cells(self) -> int:
        """The number of cells ``N`` (= neurons of the interpolating network)."""
        return len(self.nodes) - 1


class _Budget:
    def __init__(
        self,
        a: float,
        b: float,
        max_neurons: int,
        deadline: float | None,
        time_limit: float | None,
        progress: Progress | None,
    ) -> None:
        self.a, self.b = a, b
        self.max_neurons = max_neurons
        self.deadline = deadline
        self.time_limit = time_limit
        self.progress = progress
        self.next_report = time.monotonic() + PROGRESS_INTERVAL

    def where(self, x: float) -> str:
        return f"[{self.a!r}, {x!r}] ({100 * (x - self.a) / (self.b - self.a):.1f}% of the domain)"

    def check(self, x: float, cells: int) -> None:
        if cells > self.max_neurons:
            raise BudgetExceeded(
                f"max_neurons={self.max_neurons} was hit: {cells} cells were needed to "
                f"cover {self.where(x)}; increase max_neurons or eps"
            )
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            raise BudgetExceeded(
                f"time_limit={self.time_limit!r} s was hit after covering {self.where(x)} "
                f"with {cells} cells; increase time_limit or eps"
            )
        if self.progress is not None and now >= self.next_report:
            self.progress((x - self.a) / (self.b - self.a), cells)
            self.next_report = now + PROGRESS_INTERVAL


def uniform_nodes(a: float, b: float, n: int) -> list[float]:
    """The floats nearest to ``a + i (b - a) / n`` for ``i = 0..n`` (exact endpoints).

    Raises:
        InvalidArgument: if ``n < 1``; CertificationError if the floats between
            ``a`` and ``b`` are too few for ``n`` distinct nodes.
    """
    check_positive_int("n", n)
    fa, fb = Fraction(a), Fraction(b)
    nodes = [float(fa + (fb - fa) * i / n) for i in range(n + 1)]
    if any(not nodes[i] < nodes[i + 1] for i in range(n)):
        raise CertificationError(f"[{a!r}, {b!r}] has too few floats for {n} distinct cells")
    return nodes


def _march_failure(x: float, bound: float | None, reason: str, eps_target: float) -> None:
    shown = "unbounded" if bound is None else f"{bound:.3g}"
    raise CertificationError(
        f"cannot certify |g - f| < eps near x={x!r}: even the shortest float cell "
        f"[{x!r}, {math.nextafter(x, math.inf)!r}] has bound {shown} > {eps_target:.3g} "
        f"({reason}); g may be discontinuous or unbounded there, or the interval "
        "enclosures overestimate too much (rounding, cancellation) to prove a bound"
    )


class _JumpSchedule:
    """When to run the jump probe: after every cell at first, backing off after failures."""

    def __init__(self) -> None:
        self.failures = 0
        self.wait = 0
        self.last_width = math.inf

    def due(self, width: float) -> bool:
        """Whether to probe after a cell of this width."""
        shrinking = width < 0.5 * self.last_width
        self.last_width = width
        if shrinking or self.failures < JUMP_PATIENCE:
            return True
        self.wait -= 1
        return self.wait <= 0

    def record(self, success: bool) -> None:
        """Note the probe's outcome."""
        if success:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= JUMP_PATIENCE:
            self.wait = min(JUMP_MAX_INTERVAL, 2 ** (self.failures - JUMP_PATIENCE + 1))


def _jump(
    certifier: CellCertifier, left: Node, h: float, b: float, target: float
) -> tuple[Node, float, str] | None:
    """A long cell over a region where ``g`` varies by less than the target, if any.

    Near a singular point where ``int sqrt|g''|`` diverges (``x sin(1/x)`` at 0)
    the C^2 cells shrink without end, while one cell across the point would pass
    the oscillation bound. Cells ``JUMP_START * h * 2**k`` long are tried while the
    enclosure of ``g`` on them is narrower than ``0.9 * target``, then
    :data:`JUMP_BISECTIONS` bisections between the last passing and the first
    failing length; the longest is certified like any other cell.
    """
    x = left.x
    length = JUMP_START * h
    if x + length >= b:
        length = b - x
    width = certifier.range_width(x, x + length)
    if width is None or width > 0.9 * target:
        return None
    failed = math.inf
    for _ in range(64):
        longer = min(2 * length, b - x)
        if longer <= length:
            break
        width = certifier.range_width(x, x + longer)
        if width is None or width > 0.9 * target:
            failed = longer
            break
        length = longer
    for _ in range(JUMP_BISECTIONS if failed < math.inf else 0):
        middle = (length + failed) / 2
        width = certifier.range_width(x, x + middle)
        if width is None or width > 0.9 * target:
            failed = middle
        else:
            length = middle
    right = certifier.node(b if x + length >= b else x + length, slack=NODE_SLACK * target)
    bound, how = certifier.cell_bound(left, right, target=target)
    if bound is None or bound > target:
        return None
    return right, bound, how


def adaptive_mesh(
    certifier: CellCertifier,
    a: float,
    b: float,
    target: float,
    *,
    max_neurons: int = 10**6,
    deadline: float | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Mesh:
    """March from ``a`` to ``b`` taking the longest cell whose proved bound is <= ``target``.

    At ``x`` the next cell ``[x, x + h]`` is found by a few trials: a trial that
    passes (bound ``E <= target``) is accepted once ``E >= ACCEPT_FRACTION * target``,
    otherwise ``h`` is rescaled by ``sqrt(target / E)`` (the C^2 bound scales like
    ``h**2``) and bracketed between the longest passing and the shortest failing
    trial. Where nothing passes, ``h`` shrinks geometrically; a failing cell of one
    float's width raises :class:`~reluapprox.errors.CertificationError` (a jump).
    After each cell a much longer cell over which ``g`` varies by less than the
    target is tried as well (``_jump``), to get past singular points.

    Args:
        certifier: the per-cell bounds of ``g``.
        a: the left end of the domain.
        b: the right end.
        target: the bound every cell must satisfy (including node radii).
        max_neurons: the largest number of cells.
        deadline: ``time.monotonic()`` value after which to give up (or ``None``).
        time_limit: the time limit the deadline came from (for the message).
        progress: called as ``progress(fraction_done, cells)`` every 0.5 s.

    Raises:
        BudgetExceeded: more than ``max_neurons`` cells, or past ``deadline``.
        CertificationError: no cell starting at some ``x`` can be certified.
        EvaluationError: ``g`` has no finite value at a node.
    """
    budget = _Budget(a, b, max_neurons, deadline, time_limit, progress)
    slack = NODE_SLACK * target
    left = certifier.node(a, slack=slack)
    accepted = [left]  # the nodes; the lists of the mesh are built at the end
    bounds: list[float] = []
    methods: dict[str, int] = {}
    h = (b - a) / 16
    previous = 0.0
    schedule = _JumpSchedule()
    trial = certifier.trial  # the hot loop's call
    accept = ACCEPT_FRACTION * target
    x = a
    while x < b:
        cells = len(bounds) + 1
        if cells > max_neurons or not cells % BUDGET_INTERVAL:
            budget.check(x, cells)
        best: tuple[Node, float, str] | None = None
        lo_h, hi_h = 0.0, math.inf
        trials = 0
        while True:
            trials += 1
            if trials > 1:  # one trial can take long (large expressions): check each
                budget.check(x, len(bounds) + 1)
            right_x = x + h
            if right_x <= x:  # never 0 cells wide
                right_x = math.nextafter(x, math.inf)
            if right_x >= b:
                right_x, h = b, b - x
            if x + h < right_x:  # h below one float step: the 1-ulp cell
                h = right_x - x
            right, bound, how = trial(left, right_x, target=target, slack=slack)
            if bound is not None and bound <= target:
                best, lo_h = (right, bound, how), h
                if right_x == b or bound >= accept or trials >= MAX_TRIALS:
                    break
                factor = min(4.0, math.sqrt(target / bound) * 0.999) if bound > 0 else 4.0
            else:
                hi_h = h
                if best is not None and trials >= MAX_TRIALS:
                    break
                if bound is None or how != "C2":
                    factor = 0.1
                else:
                    factor = min(0.99, max(0.1, math.sqrt(target / bound) * 0.999))
                if right_x == math.nextafter(x, math.inf):  # the shortest cell failed
                    _march_failure(x, bound, how, target)
            new_h = h * factor
            if not lo_h < new_h < hi_h:
                if best is not None and hi_h <= lo_h * 1.01:
                    break
                new_h = (lo_h + hi_h) / 2 if lo_h > 0 else h * factor
            h = new_h
            if best is not None and not lo_h < h < hi_h:
                break
        right, bound, how = best
        if right.x < b and schedule.due(right.x - x):
            jump = _jump(certifier, left, right.x - x, b, target)
            success = jump is not None and jump[0].x > right.x
            schedule.record(success)
            if jump is not None and success:
                right, bound, how = jump
        accepted.append(right)
        bounds.append(bound)
        methods[how] = methods.get(how, 0) + 1
        # Predict the next cell: this cell's optimal length, times the ratio of the
        # optimal lengths of the last two cells, slightly shortened to pass at once.
        optimal = (right.x - x) * (min(2.0, math.sqrt(target / bound)) if bound > 0 else 2.0)
        ratio = min(2.0, max(0.5, optimal / previous)) if previous > 0 else 1.0
        previous = optimal
        h = optimal * ratio * PREDICTION_SHRINK
        x, left = right.x, right
    return _mesh_of(accepted, bounds, methods)


def _mesh_of(
    accepted: list[Node],
    bounds: list[float],
    methods: dict[str, int],
    *,
    values: list[Fraction] | None = None,
) -> Mesh:
    """The mesh of the accepted nodes: their exact values, or ``values`` (then
    ``floats`` is ``None``); ``floats`` where every node value is a float."""
    floats: list[float] | None = None
    if values is None:
        values = [node.fraction for node in accepted]
        given = [node.float_value for node in accepted]
        if None not in given:
            floats = cast("list[float]", given)
    return Mesh(
        [node.x for node in accepted],
        values,
        [node.radius for node in accepted],
        bounds,
        methods,
        floats,
    )


def certified_uniform_mesh(
    certifier: CellCertifier,
    a: float,
    b: float,
    target: float,
    *,
    start: int = 16,
    max_neurons: int = 10**6,
    deadline: float | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Mesh:
    """The uniform mesh with the fewest cells found such that every cell certifies.

    Starting from ``start`` cells, a failing cell with C^2 bound ``E`` rescales the
    number of cells by ``sqrt(E / target)`` (at least 1.02, at most 16; a factor 4
    for oscillation bounds) and the mesh is certified again.

    Raises:
        BudgetExceeded: the number of cells would exceed ``max_neurons``, or the
            deadline passed.
    """
    n = max(1, start)
    while True:
        if n > max_neurons:
            raise BudgetExceeded(
                f"max_neurons={max_neurons} was hit: the certified uniform mesh on "
                f"[{a!r}, {b!r}] needs about {n:.3g} cells or more; increase max_neurons or eps"
            )
        budget = _Budget(a, b, max_neurons, deadline, time_limit, progress)
        budget.check(a, n)
        nodes = uniform_nodes(a, b, n)
        left = certifier.node(a)
        mesh = Mesh([a], [left.fraction], [left.radius], [], {})
        worst: tuple[float | None, str] | None = None
        for i in range(1, n + 1):
            budget.check(nodes[i - 1], n)
            right = certifier.node(nodes[i])
            bound, how = certifier.cell_bound(left, right, target=target)
            if bound is None or bound > target:
                if bound is None or how != "C2":
                    worst = (bound, how)
                    break
                if worst is None or (worst[0] is not None and bound > worst[0]):
                    worst = (bound, how)
            else:
                mesh.nodes.append(right.x)
                mesh.values.append(right.fraction)
                mesh.radii.append(right.radius)
                mesh.bounds.append(bound)
                mesh.methods[how] = mesh.methods.get(how, 0) + 1
            left = right
        if worst is None:
            return mesh
        bound, how = worst
        if bound is None or how != "C2":
            factor = 4.0
        else:
            factor = min(16.0, max(1.02, math.sqrt(bound / target) * 1.001))
        n = max(n + 1, math.ceil(n * factor))


def uniform_start(expr: sp.Expr, a: float, b: float, target: float, *, samples: int = 4097) -> int:
    """A first guess of the uniform cell count, ``(b - a) sqrt(max|g''| / (8 target))``.

    ``max |g''|`` is sampled in float64 (a guess only; the mesh is certified after).
    Returns 16 when ``g''`` is not finite at the samples (a singularity) or too large
    to build (:func:`~reluapprox.certify.bounded_derivatives`).
    """
    derivative = bounded_derivatives(expr)[1]
    if derivative is None:
        return 16
    try:
        second = sp.lambdify(SYMBOL, derivative, modules="numpy")
        with np.errstate(all="ignore"):
            values = np.asarray(second(np.linspace(a, b, samples)), dtype=np.float64)
    except (NameError, TypeError, ValueError):  # DiracDelta etc.: not C^2
        return 16
    if values.ndim == 0:
        values = np.full(samples, float(values))
    if not np.isfinite(values).all():
        return 16
    peak = float(np.abs(values).max())
    with np.errstate(all="ignore"):
        guess = float(np.float64(b - a) * np.sqrt(np.float64(peak) / (8 * np.float64(target))))
    if not math.isfinite(guess) or guess > 2.0**62:
        return 2**62  # more than any max_neurons: the budget check reports it
    return max(1, math.ceil(guess))


def sampled_mesh(
    target_function: Target,
    a: float,
    b: float,
    eps: float,
    *,
    start: int = 32,
    max_neurons: int = 10**6,
    deadline: float | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Mesh:
    """Bisect cells until ``ESTIMATE_SAFETY * (sampled error) < eps`` on every cell.

    The sampled error of a cell is the largest ``|g - f|`` at the points
    :data:`SAMPLE_POINTS` of the cell; the returned bounds are estimates, not proofs.

    Raises:
        BudgetExceeded: the mesh would exceed ``max_neurons`` cells, or the deadline.
        CertificationError: a cell of one float's width still misses the target
            (``g`` jumps there).
        EvaluationError: from ``g``.
    """
    nodes = uniform_nodes(a, b, start)
    values = target_function(np.array(nodes))
    done_x: list[float] = []
    done_bounds: list[float] = []
    # pending cells: (left, right, f(left), f(right))
    pending = [
        (nodes[i], nodes[i + 1], float(values[i]), float(values[i + 1])) for i in range(start)
    ]
    budget = _Budget(a, b, max_neurons, deadline, time_limit, progress)
    fractions = np.array(SAMPLE_POINTS)
    while pending:
        budget.check(max((c[0] for c in pending), default=a), len(done_x) + len(pending))
        lefts = np.array([c[0] for c in pending])
        rights = np.array([c[1] for c in pending])
        ylefts = np.array([c[2] for c in pending])
        yrights = np.array([c[3] for c in pending])
        points = lefts[:, None] + (rights - lefts)[:, None] * fractions[None, :]
        sampled = target_function(points)
        chords = ylefts[:, None] + (yrights - ylefts)[:, None] * fractions[None, :]
        errors = ESTIMATE_SAFETY * np.abs(sampled - chords).max(axis=1)
        # an estimate is never below the float noise of the values (0 would claim
        # an exact fit that float samples cannot show)
        scale = np.maximum(1.0, np.maximum(np.abs(ylefts), np.abs(yrights)))
        errors = np.maximum(errors, ESTIMATE_NOISE_RTOL * scale)
        if not (ESTIMATE_NOISE_RTOL * scale < eps).all():
            raise CertificationError(
                f"eps={eps!r} is below the float64 noise of g's values "
                f"({ESTIMATE_NOISE_RTOL * float(scale.max()):.3g}); a sampled estimate "
                "cannot resolve it (pass lipschitz=L or modulus=omega, or a larger eps)"
            )
        split: list[tuple[float, float, float, float]] = []
        for k, cell in enumerate(pending):
            if errors[k] < eps:
                done_x.append(cell[0])
                done_bounds.append(float(errors[k]))
                continue
            mid = float(points[k, 1])
            if not cell[0] < mid < cell[1]:
                raise CertificationError(
                    f"cannot reach eps={eps!r} near x={cell[0]!r}: the sampled error stays "
                    f"{errors[k] / ESTIMATE_SAFETY:.3g} on a cell one float wide; g appears "
                    "to be discontinuous there"
                )
            ymid = float(sampled[k, 1])
            split += [(cell[0], mid, cell[2], ymid), (mid, cell[1], ymid, cell[3])]
        pending = split
    order = np.argsort(done_x)
    xs = [float(done_x[i]) for i in order] + [b]
    bounds = [done_bounds[i] for i in order]
    ys = target_function(np.array(xs))
    return Mesh(
        xs,
        [Fraction(float(v)) for v in ys],
        [0.0] * len(xs),
        bounds,
        {"sampled": len(bounds)},
    )


#: A run of shifted cells that would end with a cell shorter than this fraction of
#: the previous cell ends one cell earlier instead (the previous cell is redone).
BACKTRACK_FRACTION = 1.0

#: Node shift of :func:`shifted_mesh`, as a fraction of the target (slack for radii).
SHIFT_FRACTION = Fraction(999_999, 1_000_000)

#: ``(right node, its shift in units of the shift S (-1, 0 or 1), cell bound, sign of
#: g'' on the cell, step ratio k)``: the cell could be ``sqrt(k)`` times longer before
#: its binding constraint is reached.
_Step = tuple[Node, int, float, int, float]


def _shifted_value(node: Node, k: int, shift: Fraction) -> Fraction:
    """The exact ``y + k * shift`` for the node value ``y`` (one normalisation)."""
    if k == 0:
        return node.fraction
    p, q = shift.numerator * k, shift.denominator
    value = node.float_value
    if value is not None:
        num, den = value.as_integer_ratio()
        return Fraction(num * q + p * den, den * q)
    sign, man, exp, _ = node.value
    if sign:
        man = -man
    if exp >= 0:
        return Fraction((man << exp) * q + p, q)
    return Fraction(man * q + (p << -exp), q << -exp)


def _shift(target: float) -> Fraction:
    """The node shift ``S`` of :func:`shifted_mesh` for a target (exact)."""
    return Fraction(target) * SHIFT_FRACTION


@functools.lru_cache(maxsize=16)
def _shift_bounds(target: float) -> tuple[tuple[float, float], ...]:
    """Float bounds ``(down, up)`` of the shifts ``-S, 0, S`` (indexed by ``k + 1``)."""
    shift = _shift(target)
    up = up_fraction(shift)
    down = -up_fraction(-shift)
    return ((-up, -down), (0.0, 0.0), (down, up))


def _step_ratio(lo: float, hi: float, s_lo: float, s_hi: float, target: float) -> float:
    """The largest ``k`` with ``k hi - s_lo <= target`` and ``s_hi - k lo <= target``.

    ``g - chord`` lies in ``[lo, hi]``, which scales like ``h**2`` on smooth cells;
    the shifts of the cell's ends span ``[s_lo, s_hi]``. So a cell ``sqrt(k)`` times
    longer just meets the target (node radii, about 1e-24, are ignored here).
    """
    k = float(RATIO_CAP)
    if hi > 0:
        k = min(k, (target + s_lo) / hi)
    if lo < 0:
        k = min(k, (target - s_hi) / -lo)
    return max(k, 0.0)


def _shifted_search(
    certifier: CellCertifier,
    left: Node,
    s_a: int,
    b: float,
    h: float,
    target: float,
    mode: str,
    budget: _Budget,
    cells: int,
) -> tuple[_Step | None, bool]:
    """The longest cell from ``left`` (shift ``s_a``) that certifies in ``mode``.

    Shifts are counted in units of ``S`` (``s = -1, 0, 1``). Modes: ``"free"``
    (``s_a = 0``; the right shift is ``-sign`` where ``g''`` has one sign, else 0),
    ``"keep"`` (the right shift equals ``s_a``, which needs ``g''`` of the same sign
    on the whole cell) and ``"zero"`` (right shift 0).
    Each trial rescales ``h`` by the square root of :func:`_step_ratio` (the bound
    scales like ``h**2``); the trials are bracketed between the longest passing and
    the shortest failing one. Returns the cell (or ``None``) and whether a trial
    failed because ``g''`` changed sign (``"keep"`` only).
    """
    x = left.x
    t = target
    bounds = _shift_bounds(target)
    sign_a = -s_a  # s = -sign
    best: _Step | None = None
    sign_failed = False
    lo_h, hi_h = 0.0, math.inf
    trials = 0
    while True:
        trials += 1
        if trials > 1:
            budget.check(x, cells)
        right_x = max(x + h, math.nextafter(x, math.inf))  # never 0 cells wide
        if right_x >= b:
            right_x, h = b, b - x
        if x + h < right_x:  # h below one float step: the 1-ulp cell
            h = right_x - x
        right = certifier.node(right_x, slack=NODE_SLACK * target)
        # "keep" needs only the sign where it is not sign_a
        found = certifier.error_range(left, right, expect=sign_a if mode == "keep" else None)
        bound: float | None = None
        passed = False
        factor = 0.1
        if found is not None and mode == "keep" and found.sign != sign_a:
            sign_failed = True
            factor = 0.5
        elif found is not None:
            lo, hi, sign, smooth = found
            if mode == "keep":
                s_b = s_a
            elif mode == "zero" or sign == 0:
                s_b = 0
            else:
                s_b = -sign
            # floats rounded outward: the shifts' bounds, one ulp up per difference
            s_lo = min(bounds[s_a + 1][0], bounds[s_b + 1][0])
            s_hi = max(bounds[s_a + 1][1], bounds[s_b + 1][1])
            worst = max(math.nextafter(hi - s_lo, math.inf), math.nextafter(s_hi - lo, math.inf))
            bound = worst
            passed = worst <= t
            if smooth:
                ratio = _step_ratio(lo, hi, s_lo, s_hi, t)
            elif passed:  # an oscillation range scales like h (where g is Lipschitz)
                ratio = (t / bound) ** 2 if bound > 0 else 4.0
            else:
                ratio = 0.01
            if passed:
                best, lo_h = (right, s_b, bound, sign, ratio), h
                full = ratio <= 1 / ACCEPT_FRACTION
                if right_x == b or full or trials >= MAX_TRIALS:
                    break
                factor = min(4.0, math.sqrt(ratio) * 0.999)
            else:
                factor = min(0.99, max(0.1, math.sqrt(ratio) * 0.999))
        if not passed:
            hi_h = h
            if trials >= MAX_TRIALS and (best is not None or mode == "keep"):
                break
            if right_x == math.nextafter(x, math.inf):  # the shortest cell failed
                if mode != "free":
                    break
                _march_failure(x, bound, "no finite bound", t)
        new_h = h * factor
        if not lo_h < new_h < hi_h:
            if best is not None and hi_h <= lo_h * 1.01:
                break
            new_h = (lo_h + hi_h) / 2 if lo_h > 0 else h * factor
        h = new_h
        if best is not None and not lo_h < h < hi_h:
            break
    return best, sign_failed


def _shifted_step(
    certifier: CellCertifier,
    left: Node,
    s_a: int,
    b: float,
    h: float,
    target: float,
    budget: _Budget,
    cells: int,
    previous_width: float,
) -> _Step | None:
    """The next cell of :func:`shifted_mesh` from ``left`` with shift ``s_a``.

    From an unshifted node the cell is found in ``"free"`` mode. From a shifted one
    the run is continued (``"keep"``) unless ``g''`` is found to change sign before
    the cell reaches its full length: then the run ends with an unshifted node
    (``"zero"``), placed before the point where the enclosure of ``g''`` first
    contains 0. Where that cell would be shorter than :data:`BACKTRACK_FRACTION`
    times the previous one (the sign change is close), ``None`` asks the caller to
    redo the previous cell ending with shift 0 instead, so that the next cell,
    from an unshifted node, can cross the sign change.
    """
    if s_a == 0:
        return _shifted_search(certifier, left, s_a, b, h, target, "free", budget, cells)[0]
    kept, sign_failed = _shifted_search(certifier, left, s_a, b, h, target, "keep", budget, cells)
    if kept is not None and (not sign_failed or kept[4] <= 1 / ACCEPT_FRACTION):
        return kept
    zero = _shifted_search(certifier, left, s_a, b, h, target, "zero", budget, cells)[0]
    if zero is None or zero[0].x - left.x < BACKTRACK_FRACTION * previous_width:
        return None
    return zero


def shifted_mesh(
    certifier: CellCertifier,
    a: float,
    b: float,
    target: float,
    *,
    max_neurons: int = 10**6,
    deadline: float | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Mesh:
    """Adaptive mesh whose node values are shifted off ``g``: a near-best approximation.

    Where ``g`` is convex on a cell, ``g - chord`` lies in ``[-E, 0]``; lowering the
    chord by ``S ~ target`` puts ``g - f`` in ``[S - E, S]``, so cells with
    ``E <= 2 target`` (``sqrt 2`` longer) are admissible. The node shifts are
    ``-S`` on convex runs, ``+S`` on concave runs and ``0`` where ``g''`` may change
    sign or ``g`` is not smooth (the first run starts shifted at ``a``). A run ends
    with an unshifted node just before the first cell whose enclosure of ``g''``
    contains 0 (a cell with ``E <= target``);
    where that cell would be short, the march backtracks one cell and redoes it
    ending with shift 0. Every cell is certified by
    :meth:`~reluapprox.certify.CellCertifier.error_range`.

    Raises:
        BudgetExceeded, CertificationError, EvaluationError: as :func:`adaptive_mesh`.
    """
    budget = _Budget(a, b, max_neurons, deadline, time_limit, progress)
    t = target
    nodes = [certifier.node(a, slack=NODE_SLACK * target)]
    shifts = [0]  # in units of the shift S
    bounds: list[float] = []
    signs: list[int] = []
    h = (b - a) / 16
    first = _shifted_search(certifier, nodes[0], 0, b, h, t, "free", budget, 1)[0]
    if first is not None:
        # the value at a is free: a first run where g'' has one sign starts shifted
        shifts[0] = -first[3]
        h = first[0].x - a
    schedule = _JumpSchedule()
    previous = (0.0, False)  # optimal length of the last cell, and whether it was shifted
    while nodes[-1].x < b:
        budget.check(nodes[-1].x, len(bounds) + 1)
        previous_width = nodes[-1].x - nodes[-2].x if len(nodes) > 1 else 0.0
        step = _shifted_step(
            certifier, nodes[-1], shifts[-1], b, h, t, budget, len(bounds) + 1, previous_width
        )
        if step is None:
            # no cell from this node ends the run: redo the previous cell ending with 0
            last = nodes.pop()
            shifts.pop()
            bounds.pop()
            signs.pop()
            h = last.x - nodes[-1].x
            step = _shifted_search(
                certifier, nodes[-1], shifts[-1], b, h, t, "zero", budget, len(bounds) + 1
            )[0]
            if step is None:  # pragma: no cover - a cell of the same sign ramps to 0
                raise CertificationError(f"shifted mesh: no cell found at x={nodes[-1].x!r}")
        right, s_b, bound, sign, ratio = step
        width = right.x - nodes[-1].x
        if shifts[-1] == 0 and right.x < b and schedule.due(width):
            # from an unshifted node, an interpolation cell (ending unshifted) may jump
            # past singular points as in adaptive_mesh
            jump = _jump(certifier, nodes[-1], width, b, target)
            success = jump is not None and jump[0].x > right.x
            schedule.record(success)
            if jump is not None and success:
                right, s_b, bound, sign, ratio = jump[0], 0, jump[1], 0, 1.0
        # Predict the next cell as adaptive_mesh does: this cell's optimal length times
        # the trend of the optimal lengths of the last two cells of the same kind.
        optimal = (right.x - nodes[-1].x) * min(2.0, math.sqrt(ratio))
        kind = shifts[-1] != 0 and s_b != 0
        trend = 1.0
        if previous[0] > 0 and previous[1] == kind:
            trend = min(2.0, max(0.5, optimal / previous[0]))
        previous = (optimal, kind)
        h = optimal * trend * PREDICTION_SHRINK
        nodes.append(right)
        shifts.append(s_b)
        bounds.append(bound)
        signs.append(sign)
    shift = _shift(target)
    values = [_shifted_value(node, k, shift) for node, k in zip(nodes, shifts, strict=True)]
    methods: dict[str, int] = {}
    for sign in signs:
        key = "shifted" if sign != 0 else "unshifted"
        methods[key] = methods.get(key, 0) + 1
    return _mesh_of(nodes, bounds, methods, values=values)
