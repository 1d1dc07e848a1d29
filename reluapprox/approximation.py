"""Constructive universal approximation: ``approximate(g, eps)`` with an honest bound.

For a continuous ``g`` on ``[a, b]`` and ``eps > 0``, :func:`approximate` returns a
shallow ReLU network ``f`` (the piecewise-linear interpolant of ``g`` on a mesh,
built exactly by :func:`~reluapprox.interpolation.interpolate`) together with a
bound ``res.bound < eps`` on ``max |g - f|`` and a flag saying whether that bound
is a proof (``res.certified``) or an estimate. How the bound was obtained is
spelled out in ``res.method``:

- strings and sympy expressions: interval arithmetic per cell
  (:mod:`reluapprox.certify`), adaptive or uniform mesh (:mod:`reluapprox.mesh`):
  **certified**;
- any ``g`` with ``lipschitz=L`` or ``modulus=omega``: uniform mesh with
  ``L h / 2 < eps`` resp. ``omega(h) < eps`` (the proof of the course's statement
  (2)), node values accounted for: **certified conditionally on the user's**
  ``L`` or ``omega`` (for callables also under the stated accuracy assumption
  ``value_rtol``), after a sampling check that raises
  :class:`~reluapprox.errors.CertificationError` if the samples contradict ``L``
  or ``omega`` (for expressions ``L`` is also compared with interval enclosures of
  ``g'``, which may prove it);
- callables without a modulus: bisection until twice the sampled error is below
  ``eps``: **estimated**, never certified.

With ``interpolating=False`` (expressions only) the node values are shifted off
``g`` on convex and concave runs, a certified near-best approximation with about
``sqrt 2`` fewer neurons (:func:`~reluapprox.mesh.shifted_mesh`).

Examples:
    >>> res = approximate("exp(3*x)", 1e-3)
    >>> res.certified, res.n_neurons, res.bound < 1e-3
    (True, 80, True)
    >>> res.method.split(";")[0]
    'certified: adaptive mesh, interval arithmetic (mpmath, 80 bits)'
    >>> import math
    >>> approximate(math.sin, 1e-3, lipschitz=1.0).n_neurons  # h just below 2 eps / L
    501
    >>> approximate(math.sin, 1e-3).certified
    False

References:
    Course sheet 2, Ex 2 "Extra" (interpolation on a mesh fine enough for the
    uniform continuity of g). C. de Boor, *A Practical Guide to Splines*, rev. ed.,
    Springer 2001, ch. III (the bound h^2/8 max|g''|, equidistribution).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, overload

import numpy as np

from reluapprox._validation import (
    check_choice,
    check_finite_real,
    check_interval,
    check_positive_finite,
    check_positive_int,
    fail,
)
from reluapprox.approximation2d import Approximation2D, approximate_2d, is_rectangle
from reluapprox.certify import PRECISION, CellCertifier, up_fraction
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.expr import Target, as_target
from reluapprox.interpolation import interpolate
from reluapprox.mesh import (
    ESTIMATE_SAFETY,
    Mesh,
    Progress,
    adaptive_mesh,
    certified_uniform_mesh,
    sampled_mesh,
    shifted_mesh,
    uniform_nodes,
    uniform_start,
)
from reluapprox.shallow import ShallowNetwork

__all__ = [
    "DEFAULT_MAX_NEURONS",
    "DEFAULT_TIME_LIMIT",
    "EPS_MARGIN",
    "VALUE_RTOL",
    "Approximation",
    "approximate",
    "plot_approximation",
    "plot_cell_widths",
]

#: Default bound on the number of neurons.
DEFAULT_MAX_NEURONS = 1_000_000

#: Default time budget in seconds.
DEFAULT_TIME_LIMIT = 120.0

#: Cells are certified against ``eps * (1 - EPS_MARGIN)`` so that ``bound < eps``.
EPS_MARGIN = 1e-9

#: Assumed accuracy of a user callable: ``|returned - g(x)| <= VALUE_RTOL * max(1, |g(x)|)``.
VALUE_RTOL = 1e-12

#: Interval evaluations spent on bisecting cells where ``|g'|`` may exceed ``lipschitz``.
LIPSCHITZ_REFINEMENTS = 2000

#: Midpoints failing the float self-check that are re-checked with interval arithmetic.
FLOAT_CHECK_RECHECKS = 4096

#: Relative tolerance of the float sampling checks (contradiction of ``L``/``omega``).
SAMPLE_CHECK_RTOL = 1e-9


@dataclass(frozen=True)
class Approximation:
    """The result of :func:`approximate`.

    Attributes:
        network: the shallow ReLU network ``f`` (exact rational parameters).
        bound: an upper bound of ``max |g - f|`` over the domain, ``< eps``; proved
            when ``certified``, estimated otherwise.
        certified: whether ``bound`` is a proof (see ``method``).
        method: how the bound was obtained, in one line.
        eps: the requested tolerance.
        domain: the domain ``(a, b)`` (floats).
        mesh: ``"adaptive"`` or ``"uniform"``.
        nodes: the mesh ``x_0 < ... < x_N`` (floats, exact binary rationals).
        values: the node values ``y_i = f(x_i)`` (exact).
        target: ``g`` as a :class:`~reluapprox.expr.Target` (for plots and checks).
        seconds: wall-clock time of the construction.
        interpolating: ``False`` when the node values were shifted off ``g``
            (``approximate(..., interpolating=False)``).
    """

    network: ShallowNetwork
    bound: float
    certified: bool
    method: str
    eps: float
    domain: tuple[float, float]
    mesh: str
    nodes: tuple[float, ...]
    values: tuple[Fraction, ...]
    target: Target
    seconds: float
    interpolating: bool = True

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons (= number of cells of the mesh)."""
        return self.network.n_neurons

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the network as exact fractions in strings)."""
        net = self.network
        return {
            "g": self.target.description,
            "eps": self.eps,
            "domain": list(self.domain),
            "mesh": self.mesh,
            "interpolating": self.interpolating,
            "n_neurons": self.n_neurons,
            "bound": self.bound,
            "certified": self.certified,
            "method": self.method,
            "seconds": self.seconds,
            "network": {
                "bias": str(net.bias),
                "knots": [str(t) for t in net.knots],
                "weights": [str(w) for w in net.weights],
            },
        }

    def __repr__(self) -> str:
        kind = "certified" if self.certified else "estimated"
        return (
            f"Approximation({self.target.description!r}, n_neurons={self.n_neurons}, "
            f"bound={self.bound:.3g} ({kind}), eps={self.eps:g})"
        )


def _up(q: Fraction) -> float:
    """The smallest float >= ``q`` (``inf`` above the largest float)."""
    return up_fraction(q)


def _check_modulus(modulus: Callable[[float], float], h: float) -> float:
    try:
        value = modulus(h)
    except Exception as error:
        raise InvalidArgument(
            f"modulus={modulus!r} is invalid: expected a function h -> omega(h); "
            f"modulus({h!r}) raised {type(error).__name__}: {error}"
        ) from error
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, Fraction)):
        fail("modulus", modulus, f"a function returning real numbers; got {value!r} at h={h!r}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not (math.isfinite(result) and result >= 0):
        fail("modulus", modulus, f"omega(h) finite and >= 0; got omega({h!r}) = {result!r}")
    return result


def _check_lipschitz(
    certifier: CellCertifier,
    nodes: list[float],
    lipschitz: float,
    deadline: float | None,
    time_limit: float | None,
) -> bool:
    """Compare ``L`` with interval enclosures of ``g'`` on the cells.

    Returns whether ``sup |g'| <= L`` was proved on every cell (then ``L`` is a
    Lipschitz constant). A cell whose enclosure exceeds ``L`` is bisected (at most
    :data:`LIPSCHITZ_REFINEMENTS` evaluations in all); a subinterval on which
    ``|g'| > L`` everywhere contradicts ``L`` and raises CertificationError.
    """
    proved = True
    budget = LIPSCHITZ_REFINEMENTS
    for i in range(len(nodes) - 1):
        if deadline is not None and i % 256 == 0 and time.monotonic() > deadline:
            raise BudgetExceeded(
                f"time_limit={time_limit!r} s was hit while checking lipschitz={lipschitz!r}"
            )
        pending = [(nodes[i], nodes[i + 1])]
        while pending:
            u, v = pending.pop()
            found = certifier.derivative_range(u, v)
            if found is None:
                proved = False
                continue
            lo, hi = found
            if lo > lipschitz or hi < -lipschitz:
                raise CertificationError(
                    f"lipschitz={lipschitz!r} is contradicted by g: |g'| >= "
                    f"{min(abs(lo), abs(hi))!r} > L on [{u!r}, {v!r}] (interval enclosure "
                    "of g'); no certificate is given"
                )
            if max(-lo, hi) <= lipschitz:
                continue
            proved = False
            mid = (u + v) / 2
            if budget > 0 and u < mid < v:
                budget -= 2
                pending += [(u, mid), (mid, v)]
    return proved


def _check_nondecreasing(modulus: Callable[[float], float], seen: dict[float, float]) -> None:
    """Raise InvalidArgument unless ``omega`` is nondecreasing on the ``h`` it was called at."""
    pairs = sorted(seen.items())
    for (h1, w1), (h2, w2) in itertools.pairwise(pairs):
        if w2 < w1:
            fail(
                "modulus",
                modulus,
                f"a nondecreasing omega(h); got omega({h1!r}) = {w1!r} > omega({h2!r}) = {w2!r}",
            )


def _largest_step(cell_bound: Callable[[float], float], width: float, target: float) -> float:
    """The largest ``h`` in ``(0, width]`` with ``cell_bound(h) <= target`` (bisection)."""
    if cell_bound(width) <= target:
        return width
    lo, hi = 0.0, width
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if cell_bound(mid) <= target:
            lo = mid
        else:
            hi = mid
    return lo


def _approximate_modulus(
    target: Target,
    eps: float,
    a: float,
    b: float,
    *,
    modulus: Callable[[float], float] | None,
    lipschitz: float | None,
    value_rtol: float,
    max_neurons: int,
    deadline: float | None,
    time_limit: float | None,
) -> tuple[Mesh, float, str]:
    """Uniform mesh from a Lipschitz constant or modulus (statement (2)); certified."""
    if lipschitz is not None:
        lip = lipschitz

        def cell_exact(h: float) -> Fraction:
            return Fraction(lip) * Fraction(h) / 2

        def cell(h: float) -> float:
            return _up(cell_exact(h))

        def pair(h: float) -> float:
            return _up(2 * cell_exact(h))

        claim = f"lipschitz={lipschitz!r}"
        rule = "L*h/2"
    else:
        assert modulus is not None
        omega = modulus
        seen: dict[float, float] = {}

        def cell(h: float) -> float:
            if h not in seen:
                seen[h] = _check_modulus(omega, h)
            return seen[h]

        def cell_exact(h: float) -> Fraction:
            return Fraction(cell(h))

        pair = cell
        claim = f"modulus={modulus!r}"
        rule = "omega(h)"
    certifier = CellCertifier(target.expr) if target.expr is not None else None
    probe = np.abs(target(np.linspace(a, b, 33)))
    allowance_guess = 0.0 if certifier else 2 * value_rtol * max(1.0, float(probe.max()))
    width = b - a
    for attempt in range(8):
        tau = eps * (1 - EPS_MARGIN) * (1 - 0.01 * attempt) - allowance_guess
        if not tau > 0:
            fail("eps", eps, f"eps > the node-value allowance {allowance_guess:.3g} (value_rtol)")
        h = _largest_step(cell, width, tau)
        if not h > 0:
            raise BudgetExceeded(f"{claim}: no step h > 0 with {rule} <= {tau:.3g} was found")
        n = math.ceil(width / h)
        if n > max_neurons:
            raise BudgetExceeded(
                f"max_neurons={max_neurons} was hit: {claim} needs h <= {h:.3g}, i.e. {n} "
                f"uniform cells on [{a!r}, {b!r}]; increase max_neurons or eps"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded(f"time_limit={time_limit!r} s was hit before the mesh was built")
        nodes = uniform_nodes(a, b, n)
        exact = [Fraction(x) for x in nodes]
        h_max = _up(max(exact[i + 1] - exact[i] for i in range(n)))
        floats = target(np.array(nodes))
        if certifier is not None:
            found = []
            for i, x in enumerate(nodes):
                if deadline is not None and i % 256 == 0 and time.monotonic() > deadline:
                    raise BudgetExceeded(
                        f"time_limit={time_limit!r} s was hit after {i} of {n + 1} node values"
                    )
                found.append(certifier.node(x))
            values = [node.fraction for node in found]
            radii = [node.radius for node in found]
            allowance = max(radii)
            accuracy = f"node values enclosed in {PRECISION}-bit intervals"
        else:
            values = [Fraction(float(v)) for v in floats]
            radii = [value_rtol * max(1.0, abs(float(v))) for v in floats]
            allowance = _up(Fraction(value_rtol) * Fraction(max(1.0, float(np.abs(floats).max()))))
            accuracy = (
                f"assumes the callable is accurate to value_rtol={value_rtol:g} "
                "relative (absolute below 1)"
            )
        bound = _up(cell_exact(h_max) + Fraction(allowance))
        if bound < eps:
            break
    else:  # pragma: no cover - eight rescalings always suffice for a sane modulus
        raise CertificationError(f"{claim}: could not reach a bound < eps={eps!r}")
    _sampling_check(target, nodes, floats, pair, allowance, bound, claim)
    if modulus is not None:
        _check_nondecreasing(modulus, seen)
    proved = False
    if lipschitz is not None and certifier is not None:
        proved = _check_lipschitz(certifier, nodes, lipschitz, deadline, time_limit)
    mesh = Mesh(nodes, values, radii, [bound] * n, {rule: n})
    kind = "Lipschitz constant" if lipschitz is not None else "modulus of continuity"
    if proved:
        condition = f"certified ({claim} proved by an interval enclosure of |g'| on every cell)"
    else:
        check = "sampling and interval enclosures of g'" if certifier else "sampling"
        condition = (
            f"certified conditionally on the user's {claim} being a true {kind} of g "
            f"(not proved, only checked by {check})"
        )
    method = (
        f"{condition}: uniform mesh from {claim}, bound {rule} + node allowance "
        f"with h = {h_max:.6g}; {accuracy}"
    )
    return mesh, bound, method


def _sampling_check(
    target: Target,
    nodes: list[float],
    floats: np.ndarray[Any, np.dtype[np.float64]],
    pair: Callable[[float], float],
    allowance: float,
    bound: float,
    claim: str,
) -> None:
    """Raise CertificationError where samples of ``g`` contradict the claimed modulus."""
    x = np.array(nodes)
    mids = (x[:-1] + x[1:]) / 2
    gm = target(mids)
    scale = max(1.0, float(np.abs(floats).max()))
    slack = 2 * allowance + SAMPLE_CHECK_RTOL * scale
    checks = [
        (x[:-1], x[1:], floats[:-1], floats[1:]),
        (x[:-1], mids, floats[:-1], gm),
        (mids, x[1:], gm, floats[1:]),
    ]
    for left, right, gl, gr in checks:
        jumps = np.abs(gr - gl)
        # a uniform float mesh has few distinct distances: one modulus call for each
        distances, inverse = np.unique(right - left, return_inverse=True)
        allowed = np.array([pair(float(d)) for d in distances])[inverse] + slack
        bad = np.flatnonzero(jumps > allowed)
        if bad.size:
            k = int(bad[0])
            raise CertificationError(
                f"{claim} is contradicted by g: |g({float(right[k])!r}) - g({float(left[k])!r})| = "
                f"{jumps[k]:.6g} > {allowed[k]:.6g} (the claimed bound for this distance "
                "plus the value allowance); no certificate is given"
            )
    chord = (floats[:-1] + floats[1:]) / 2
    errors = np.abs(gm - chord)
    bad = np.flatnonzero(errors > bound + slack)
    if bad.size:  # pragma: no cover - implied by the pair checks for a true modulus
        k = int(bad[0])
        raise CertificationError(
            f"{claim} is contradicted by g: |g - f| = {errors[k]:.6g} at x={float(mids[k])!r} "
            f"exceeds the bound {bound:.6g}"
        )


@overload
def approximate(
    g: object,
    eps: float,
    *,
    domain: Sequence[float] = (0, 1),
    modulus: Callable[[float], float] | None = None,
    lipschitz: float | None = None,
    mesh: str = "adaptive",
    interpolating: bool = True,
    max_neurons: int = DEFAULT_MAX_NEURONS,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    value_rtol: float = VALUE_RTOL,
    progress: Progress | None = None,
) -> Approximation: ...


@overload
def approximate(
    g: object,
    eps: float,
    *,
    domain: tuple[tuple[float, float], tuple[float, float]],
    mesh: str = "adaptive",
    max_neurons: int = DEFAULT_MAX_NEURONS,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
) -> Approximation2D: ...


def approximate(
    g: object,
    eps: float,
    *,
    domain: Sequence[float] | tuple[tuple[float, float], tuple[float, float]] = (0, 1),
    modulus: Callable[[float], float] | None = None,
    lipschitz: float | None = None,
    mesh: str = "adaptive",
    interpolating: bool = True,
    max_neurons: int = DEFAULT_MAX_NEURONS,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    value_rtol: float = VALUE_RTOL,
    progress: Progress | None = None,
) -> Approximation | Approximation2D:
    """A shallow ReLU network ``f`` with ``max |g - f| <= res.bound < eps`` on ``domain``.

    Args:
        g: a string such as ``"sin(2*pi*x)"`` (parsed safely, see
            :func:`~reluapprox.expr.parse_expression`), a sympy expression in one
            symbol, or a Python callable (scalar or vectorised).
        eps: the tolerance, a finite number > 0.
        domain: ``(a, b)`` with ``a < b`` finite; read as floats (exact binary
            rationals), which are also the end knots. A rectangle
            ``((a, b), (c, d))`` approximates an expression in ``x`` and ``y`` by a
            network ``R^2 -> R`` instead: see
            :func:`~reluapprox.approximation2d.approximate_2d` (options ``mesh``,
            ``max_neurons``, ``time_limit``, ``progress``).
        modulus: a modulus of continuity ``omega`` of ``g`` (nondecreasing,
            ``|g(x) - g(y)| <= omega(|x - y|)``); gives a certified uniform mesh.
        lipschitz: a Lipschitz constant ``L >= 0`` of ``g``; certified uniform mesh
            with ``L h / 2 < eps``. At most one of ``modulus`` and ``lipschitz``.
        mesh: ``"adaptive"`` (default) or ``"uniform"``. With ``modulus`` or
            ``lipschitz`` the mesh is uniform either way (a modulus carries no local
            information).
        interpolating: ``False`` shifts the node values off ``g`` (by about ``eps``
            towards the chord's side) on convex and concave runs: a certified
            near-best approximation with about ``sqrt(2)`` fewer neurons there
            (expressions and ``mesh="adaptive"`` only; see
            :func:`~reluapprox.mesh.shifted_mesh`).
        max_neurons: the largest number of neurons to build.
        time_limit: seconds of work before giving up (``None``: no limit).
        value_rtol: the assumed accuracy of a callable's returned values,
            ``|returned - g(x)| <= value_rtol * max(1, |g(x)|)``; enters the
            certified bound of callables with ``lipschitz``/``modulus``.
        progress: called as ``progress(fraction_done, cells_so_far)`` about every
            0.5 s during long constructions.

    Returns:
        An :class:`Approximation`.

    Raises:
        InvalidArgument: for a bad ``eps``, ``domain``, ``mesh``, ``max_neurons``,
            ``time_limit``, ``lipschitz``, ``modulus`` or ``value_rtol``.
        InvalidExpression: for strings that are not a one-variable expression.
        EvaluationError: ``g`` raises or returns NaN, inf, complex values or the
            wrong shape at some point of the domain.
        CertificationError: ``lipschitz``/``modulus`` are contradicted by samples of
            ``g``, or ``g`` jumps (no continuous network can reach ``eps`` there).
        BudgetExceeded: ``max_neurons`` or ``time_limit`` was hit; the message says
            which and how far the construction got.

    Examples:
        >>> res = approximate("sqrt(abs(x - 1/3))", 1e-2, domain=(-1, 1))
        >>> res.certified, res.bound < 1e-2, res.network.knots[0]
        (True, True, Fraction(-1, 1))
    """
    if is_rectangle(domain):
        if modulus is not None or lipschitz is not None or not interpolating:
            fail("domain", domain, "an interval (a, b) with modulus, lipschitz or interpolating")
        return approximate_2d(
            g,
            eps,
            domain=domain,
            mesh=mesh,
            max_neurons=max_neurons,
            time_limit=time_limit,
            progress=progress,
        )
    start_time = time.monotonic()
    eps = check_positive_finite("eps", eps)
    a, b = check_interval("domain", domain)
    mesh = check_choice("mesh", mesh, ("adaptive", "uniform"))
    max_neurons = check_positive_int("max_neurons", max_neurons)
    if time_limit is not None:
        time_limit = check_positive_finite("time_limit", time_limit)
    deadline = None if time_limit is None else start_time + time_limit
    value_rtol = check_finite_real("value_rtol", value_rtol)
    if not 0 <= value_rtol < 1:
        fail("value_rtol", value_rtol, "a number in [0, 1)")
    if modulus is not None and lipschitz is not None:
        fail("modulus", modulus, "None when lipschitz is given (pass one of them)")
    if lipschitz is not None:
        lipschitz = check_finite_real("lipschitz", lipschitz)
        if lipschitz < 0:
            fail("lipschitz", lipschitz, "a finite number >= 0")
    if modulus is not None and not callable(modulus):
        fail("modulus", modulus, "a callable h -> omega(h)")
    if progress is not None and not callable(progress):
        fail("progress", progress, "None or a callable progress(fraction, cells)")
    if not isinstance(interpolating, bool):
        fail("interpolating", interpolating, "True or False")
    target = as_target(g)
    if not interpolating and (
        target.expr is None or mesh != "adaptive" or modulus is not None or lipschitz is not None
    ):
        fail(
            "interpolating",
            interpolating,
            "True unless g is a string or sympy expression with mesh='adaptive' and no "
            "modulus or lipschitz",
        )
    certified = True
    if modulus is not None or lipschitz is not None:
        built, bound, method = _approximate_modulus(
            target,
            eps,
            a,
            b,
            modulus=modulus,
            lipschitz=lipschitz,
            value_rtol=value_rtol,
            max_neurons=max_neurons,
            deadline=deadline,
            time_limit=time_limit,
        )
        mesh = "uniform"
    elif target.expr is not None:
        certifier = CellCertifier(target.expr)
        tau = eps * (1 - EPS_MARGIN)
        budget: dict[str, Any] = {
            "max_neurons": max_neurons,
            "deadline": deadline,
            "time_limit": time_limit,
            "progress": progress,
        }
        if not interpolating:
            built = shifted_mesh(certifier, a, b, tau, **budget)
        elif mesh == "adaptive":
            built = adaptive_mesh(certifier, a, b, tau, **budget)
        else:
            start = uniform_start(target.expr, a, b, tau)
            built = certified_uniform_mesh(certifier, a, b, tau, start=start, **budget)
        bound = max(built.bounds)
        names = {
            "C2": "h^2/8 sup|g''|",
            "oscillation": "oscillation",
            "shifted": "shifted chord with h^2/8 g'' range",
            "unshifted": "chord range",
        }
        kinds = ", ".join(f"{names[k]} on {v} cells" for k, v in sorted(built.methods.items()))
        kind = mesh if interpolating else "adaptive non-interpolating (shifted)"
        method = (
            f"certified: {kind} mesh, interval arithmetic (mpmath, {PRECISION} bits); "
            f"per cell {kinds}; node-value radius <= {max(built.radii):.2g} included"
        )
        _float_check(target, built, bound, certifier)
    else:
        built = sampled_mesh(
            target,
            a,
            b,
            eps,
            max_neurons=max_neurons,
            deadline=deadline,
            time_limit=time_limit,
            progress=progress,
        )
        bound = max(built.bounds)
        certified = False
        method = (
            "estimated (not certified): g is a callable without modulus or lipschitz; "
            f"bound = {ESTIMATE_SAFETY:g} x the largest sampled error at 3 points per cell "
            "(at least the float noise of g); features of g narrower than the sampling "
            "can be missed (pass lipschitz=L or modulus=omega for a certificate)"
        )
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded(
            f"time_limit={time_limit!r} s was hit after the mesh ({built.n_cells} cells) was "
            "certified, before the network was built; increase time_limit or eps"
        )
    network = interpolate(built.nodes, built.values)
    return Approximation(
        network=network,
        bound=bound,
        certified=certified,
        method=method,
        eps=eps,
        domain=(a, b),
        mesh=mesh,
        nodes=tuple(built.nodes),
        values=tuple(built.values),
        target=target,
        seconds=time.monotonic() - start_time,
        interpolating=interpolating,
    )


def _float_check(target: Target, built: Mesh, bound: float, certifier: CellCertifier) -> None:
    """Evaluate ``g`` in floats at the cell midpoints: it must be defined there, and the
    observed error must respect the proved bound (a consistency check of the proof).

    Float evaluation can suffer cancellation (``(1 - cos x)/x**2`` near 0), so a
    midpoint that misses the bound in floats is checked again rigorously: the
    interval enclosure of ``g`` there, minus the exact value of ``f``.
    """
    x = np.array(built.nodes)
    mids = (x[:-1] + x[1:]) / 2
    gm = target(mids)
    y = np.array([float(v) for v in built.values])
    observed = np.abs(gm - (y[:-1] + y[1:]) / 2)
    tolerance = bound + SAMPLE_CHECK_RTOL * max(1.0, float(np.abs(y).max()))
    suspects = np.flatnonzero(~(observed <= tolerance))
    bad = []
    for k in suspects[:FLOAT_CHECK_RECHECKS].tolist():
        mid = float(mids[k])
        if not built.nodes[k] < mid < built.nodes[k + 1]:
            continue  # the float midpoint rounded onto a node
        node = certifier.node(mid)
        t = (Fraction(mid) - Fraction(built.nodes[k])) / (
            Fraction(built.nodes[k + 1]) - Fraction(built.nodes[k])
        )
        f_mid = built.values[k] + (built.values[k + 1] - built.values[k]) * t
        if abs(node.fraction - f_mid) - Fraction(node.radius) > Fraction(bound):
            bad.append(k)
    if len(suspects) > FLOAT_CHECK_RECHECKS or bad:  # pragma: no cover - a wrong proof
        k = int(bad[0]) if bad else int(suspects[0])
        raise CertificationError(
            f"internal check failed: |g - f| = {observed[k]:.6g} at x={float(mids[k])!r} exceeds "
            f"the proved bound {bound:.6g}; please report this"
        )


def plot_approximation(
    result: Approximation,
    path: str | Path,
    *,
    title: str | None = None,
    points: int = 4001,
) -> Path:
    """Plot ``g`` and ``f`` (top) and ``g - f`` with ``± bound`` and ``± eps`` (bottom).

    The error is sampled in float64 on ``points`` equally spaced points plus the
    cell midpoints; the figure is written as PNG and its path returned.
    """
    from reluapprox.plotting import new_figure, save_figure

    check_positive_int("points", points, minimum=2)
    a, b = result.domain
    grid = np.union1d(np.linspace(a, b, points), np.array(result.nodes))
    mids = (np.array(result.nodes[:-1]) + np.array(result.nodes[1:])) / 2
    if mids.size <= 20 * points:
        grid = np.union1d(grid, mids)
    g = result.target(grid)
    f = result.network(grid)
    figure = new_figure(nrows=2, ncols=1, size=(7.0, 6.0))
    top, bottom = figure.axes
    top.plot(grid, g, color="C0", lw=2.2, label=f"g = {result.target.description}")
    top.plot(grid, f, color="C3", lw=1.0, ls="--", label=f"network f ({result.n_neurons} neurons)")
    if result.n_neurons <= 60:
        top.plot(result.nodes, [float(v) for v in result.values], "o", ms=3, color="C3")
    top.set_xlabel("x")
    top.legend(fontsize="small")
    kind = "certified" if result.certified else "estimated"
    top.set_title(title or f"{result.mesh} mesh, eps = {result.eps:g}")
    err = g - f
    bottom.plot(grid, err, color="C0", lw=0.6, label="g - f (float64)")
    for sign in (1, -1):
        bottom.axhline(
            sign * result.bound,
            color="C3",
            lw=1.2,
            label=f"± {kind} bound {result.bound:.3g}" if sign > 0 else None,
        )
        bottom.axhline(
            sign * result.eps,
            color="0.4",
            lw=1.0,
            ls=":",
            label=f"± eps = {result.eps:g}" if sign > 0 else None,
        )
    bottom.set_ylim(-2.4 * result.eps, 1.4 * result.eps)  # room for the legend below
    bottom.set_xlabel("x")
    bottom.legend(fontsize="small", loc="lower right", ncols=2)
    return save_figure(figure, path)


def plot_cell_widths(
    results: Sequence[Approximation],
    path: str | Path,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Plot the cell widths ``x_{i+1} - x_i`` against the cell midpoints (log scale).

    Shows how the adaptive mesh grades towards singularities and where ``|g''|``
    is large; one curve per result.
    """
    from reluapprox.plotting import new_figure, save_figure

    if labels is not None and len(labels) != len(results):
        fail("labels", labels, f"one label per result ({len(results)})")
    figure = new_figure(size=(7.0, 4.0))
    (axes,) = figure.axes
    for k, res in enumerate(results):
        x = np.array(res.nodes)
        label = labels[k] if labels is not None else f"{res.target.description}, {res.mesh}"
        axes.semilogy((x[:-1] + x[1:]) / 2, np.diff(x), lw=1.2, label=f"{label} ({res.n_neurons})")
    axes.set_xlabel("x (cell midpoint)")
    axes.set_ylabel("cell width h")
    axes.set_title(title or "cell widths of the meshes (neurons in parentheses)")
    axes.legend(fontsize="small")
    return save_figure(figure, path)
