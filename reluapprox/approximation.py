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
  (2)), node values accounted for, after a sampling check that raises
  :class:`~reluapprox.errors.CertificationError` if the samples contradict ``L``
  or ``omega``. For expressions every cell's bound is then proved by interval
  arithmetic where it can be (and ``L`` compared with enclosures of ``g'``,
  ``omega`` with enclosed node values on subdivided cells: a contradiction raises):
  **certified** when the proof covers every cell; otherwise, and always for
  callables, the bound is **conditional**: ``certified=False`` and
  ``res.conditional`` names the unproved assumption (the user's ``L`` or ``omega``,
  for callables also the accuracy ``value_rtol``);
- callables without a modulus: bisection until twice the sampled error is below
  ``eps``: **estimated**, never certified.

With ``interpolating=False`` (expressions only) the node values are shifted off
``g`` on convex and concave runs, a certified near-best approximation with about
``sqrt 2`` fewer neurons (:func:`~reluapprox.mesh.shifted_mesh`).

With ``architecture="deep"`` (or ``"auto"``, when it has fewer neurons) the network is
a deep :class:`~reluapprox.network.ReluNetwork` with a proved bound
(:func:`reluapprox.analytic.approximate_deep`, docs page "Depth").

Examples:
    >>> res = approximate("exp(3*x)", 1e-3)
    >>> res.certified, res.n_neurons, res.bound < 1e-3
    (True, 79, True)
    >>> res.method.split(";")[0]
    'certified: adaptive mesh, interval arithmetic (Arb 80 bits'
    >>> import math
    >>> approximate(math.sin, 1e-3, lipschitz=1.0).n_neurons  # h just below 2 eps / L
    501
    >>> approximate(math.sin, 1e-3).certified
    False

References:
    APM 598 Homework 2, Ex 2 "Extra" (interpolation on a mesh fine enough for the
    uniform continuity of g). C. de Boor, *A Practical Guide to Splines*, rev. ed.,
    Springer 2001, ch. III (the bound h^2/8 max|g''|, equidistribution).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from reluapprox import analytic
from reluapprox._validation import (
    check_choice,
    check_finite_real,
    check_interval,
    check_positive_finite,
    check_positive_int,
    fail,
)
from reluapprox.approximation2d import Approximation2D, approximate_2d, is_rectangle
from reluapprox.certify import PRECISION, CellCertifier, Node, up_fraction
from reluapprox.deep import DeepNetwork
from reluapprox.deep2d import DeepApproximation2D, approximate_deep_2d
from reluapprox.depthchoice import choose_depth
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.expr import Target, as_target
from reluapprox.floaterror import float_error_bound, float_format, shallow_float_errors
from reluapprox.interpolation import interpolate_floats
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
from reluapprox.network import ReluNetwork
from reluapprox.pieces import max_error_polynomial
from reluapprox.shallow import FloatArray, ShallowNetwork, float_or_inf

__all__ = [
    "DEFAULT_MAX_NEURONS",
    "DEFAULT_TIME_LIMIT",
    "EPS_MARGIN",
    "MIN_EPS",
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

#: Smallest accepted ``eps``: above it ``eps * (1 - EPS_MARGIN) < eps`` in floats, so
#: ``bound < eps`` holds strictly (at subnormal ``eps`` the margin would round away).
MIN_EPS = 1e-300

#: Node values at subdivision points of unproved cells compared with ``omega``/``L``
#: for a contradiction (expressions with ``modulus``/``lipschitz``), in all.
CONTRADICTION_PROBES = 2000

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
        network: the ReLU network ``f`` (exact rational parameters): a
            :class:`~reluapprox.shallow.ShallowNetwork`, or a deep
            :class:`~reluapprox.network.ReluNetwork` when ``mesh == "deep"``.
        bound: an upper bound of ``max |g - f|`` over the domain, ``< eps``; proved
            when ``certified``, proved under ``conditional`` when that is set,
            estimated otherwise.
        certified: whether ``bound`` is a proof (see ``method``); code that trusts
            only this flag is never misled by a user's claim.
        method: how the bound was obtained, in one line.
        eps: the requested tolerance.
        domain: the domain ``(a, b)`` (floats).
        mesh: ``"adaptive"``, ``"uniform"``, or ``"deep"`` (no mesh: a deep network
            from :func:`reluapprox.analytic.approximate_deep`).
        nodes: the mesh ``x_0 < ... < x_N`` (floats, exact binary rationals); for a
            deep network the ends of the domain.
        values: the node values ``y_i = f(x_i)`` (exact).
        target: ``g`` as a :class:`~reluapprox.expr.Target` (for plots and checks).
        seconds: wall-clock time of the construction.
        interpolating: ``False`` when the node values were shifted off ``g``
            (``approximate(..., interpolating=False)``).
        conditional: ``None``, or (with ``certified=False``) the assumption the bound
            is proved under, e.g. ``"the user's lipschitz=1.0 is a Lipschitz constant
            of g ..."`` (``lipschitz``/``modulus`` that the library could not prove).
        float_error: a proved bound of ``|network(x) - f(x)|`` over the domain for
            the float64 evaluation ``network(x)`` (:mod:`reluapprox.floaterror`).
        torch_float_error: the same for the default export ``to_torch()``, by
            dtype: ``{"float64": ..., "float32": ...}``.
    """

    network: ShallowNetwork | ReluNetwork
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
    conditional: str | None = None
    float_error: float = math.inf
    torch_float_error: dict[str, float] = field(default_factory=dict)

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons (for a shallow network: the cells of the mesh)."""
        if isinstance(self.network, ReluNetwork):
            return sum(self.network.widths[1:-1])
        return self.network.n_neurons

    @property
    def total_bound(self) -> float:
        """``bound + float_error`` (rounded up): the bound of ``|g(x) - network(x)|``
        for the float64 values that ``network(x)`` returns."""
        return float(np.nextafter(self.bound + self.float_error, math.inf))

    def to_torch(
        self, *, dtype: Any = None, form: str = "nodal", allow_inexact: bool = False
    ) -> Any:
        """The network as a torch module, refused when its float error spoils ``eps``.

        Args:
            dtype: ``torch.float64`` (default) or ``torch.float32``.
            form: ``"nodal"`` (default, well conditioned) or ``"sum"``; see
                :meth:`~reluapprox.shallow.ShallowNetwork.to_torch` (a deep network is
                exported layer by layer either way).
            allow_inexact: return the module even when ``bound + float error >= eps``.

        Raises:
            CertificationError: when ``bound`` plus the proved float error of the
                export in ``dtype`` is not below ``eps`` and ``allow_inexact`` is false.
        """
        import torch

        dtype = torch.float64 if dtype is None else dtype
        name = float_format(dtype).name
        if isinstance(self.network, ReluNetwork):  # deep: exported layer by layer
            check_choice("form", form, ("nodal", "sum"))
            error = float_error_bound(self.network, self.domain, dtype)
            module: Any = self.network.to_torch(dtype=dtype)
        else:
            module = self.network.to_torch(dtype=dtype, form=form)
            if form == "sum":
                error = float_error_bound(self.network.to_network(), self.domain, dtype)
            elif name in self.torch_float_error:
                error = self.torch_float_error[name]
            else:
                error = shallow_float_errors(self.network, self.domain)[f"torch_{name}"]
        if not self.bound + error < self.eps and not allow_inexact:
            raise CertificationError(
                f"to_torch(dtype={dtype}, form={form!r}) cannot meet eps={self.eps!r}: bound "
                f"{self.bound:.3g} + proved float error {error:.3g} of the {name} export >= eps; "
                "use float64 or a larger eps, or pass allow_inexact=True to get it anyway"
            )
        return module

    @property
    def depth(self) -> int:
        """The number of affine layers (2 for a shallow network)."""
        return self.network.depth if isinstance(self.network, ReluNetwork) else 2

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases."""
        return self.network.n_parameters

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
            "depth": self.depth,
            "n_parameters": self.n_parameters,
            "bound": self.bound,
            "float_error": self.float_error,
            "torch_float_error": dict(self.torch_float_error),
            "total_bound": self.total_bound,
            "certified": self.certified,
            "conditional": self.conditional,
            "method": self.method,
            "seconds": self.seconds,
            "network": (
                {
                    "widths": list(net.widths),
                    "weights": [[[str(v) for v in row] for row in w.tolist()] for w in net.weights],
                    "biases": [[str(v) for v in b.tolist()] for b in net.biases],
                }
                if isinstance(net, ReluNetwork)
                else {
                    "bias": str(net.bias),
                    "knots": [str(t) for t in net.knots],
                    "weights": [str(w) for w in net.weights],
                }
            ),
        }

    def to_certificate(self) -> dict[str, Any]:
        """The certificate file's content (:mod:`reluapprox.certificate`), for expressions.

        Raises:
            InvalidArgument: for a callable target or an estimated bound.
        """
        from reluapprox.certificate import approximation_certificate

        return approximation_certificate(self)

    def save_certificate(self, path: str | Path) -> Path:
        """Write :meth:`to_certificate` as JSON to ``path`` (``reluapprox check`` reads it)."""
        from reluapprox.certificate import write_certificate

        return write_certificate(self.to_certificate(), path)

    def __repr__(self) -> str:
        kind = "certified" if self.certified else "conditional" if self.conditional else "estimated"
        return (
            f"Approximation({self.target.description!r}, n_neurons={self.n_neurons}, "
            f"bound={self.bound:.3g} ({kind}), float_error={self.float_error:.2g}, "
            f"eps={self.eps:g})"
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
) -> tuple[Mesh, float, str, str | None]:
    """Uniform mesh from a Lipschitz constant or modulus (statement (2)).

    Returns the mesh, the bound, the method and the condition the bound rests on
    (``None`` when it is proved).
    """
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
    certifier = (
        CellCertifier(target.expr, guards=target.guards) if target.expr is not None else None
    )
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
    kind = "Lipschitz constant" if lipschitz is not None else "modulus of continuity"
    mesh = Mesh(nodes, values, radii, [bound] * n, {rule: n})
    rule_text = f"uniform mesh from {claim}, bound {rule} + node allowance with h = {h_max:.6g}"
    if certifier is None:
        conditional = (
            f"the user's {claim} is a true {kind} of g and the callable is accurate to "
            f"value_rtol={value_rtol:g}"
        )
        method = (
            f"conditional (not certified): {rule_text}; it holds if {conditional} "
            "(not proved, only checked by sampling)"
        )
        return mesh, bound, method, conditional
    if lipschitz is not None and _check_lipschitz(
        certifier, nodes, lipschitz, deadline, time_limit
    ):
        method = (
            f"certified ({claim} proved by an interval enclosure of |g'| on every cell): "
            f"{rule_text}; {accuracy}"
        )
        return mesh, bound, method, None
    cell_bounds, methods = _prove_cells(certifier, found, bound, deadline)
    unproved = [i for i, c in enumerate(cell_bounds) if c is None]
    if not unproved:
        proved = [c for c in cell_bounds if c is not None]
        kinds = ", ".join(f"{k} on {v} cells" for k, v in sorted(methods.items()))
        method = (
            f"certified: uniform mesh from {claim} (h = {h_max:.6g}); every cell's bound "
            f"proved by interval arithmetic (mpmath, {PRECISION} bits), per cell {kinds} "
            f"({claim} only chose the mesh); {accuracy}"
        )
        return Mesh(nodes, values, radii, proved, methods), max(proved), method, None
    _refute(certifier, found, unproved, pair, claim, deadline)
    conditional = f"the user's {claim} is a true {kind} of g"
    method = (
        f"conditional (not certified): {rule_text}; it holds if {conditional} (not proved: "
        f"{len(unproved)} of {n} cells have no interval proof; {claim} checked by sampling "
        f"and interval enclosures); {accuracy}"
    )
    return mesh, bound, method, conditional


def _prove_cells(
    certifier: CellCertifier, found: list[Node], bound: float, deadline: float | None
) -> tuple[list[float | None], dict[str, int]]:
    """Per cell, a bound ``<= bound`` proved by interval arithmetic, or ``None``.

    At the deadline the remaining cells stay unproved (the result is then conditional).
    """
    proved: list[float | None] = []
    methods: dict[str, int] = {}
    for i in range(len(found) - 1):
        if deadline is not None and i % 64 == 0 and time.monotonic() > deadline:
            return proved + [None] * (len(found) - 1 - i), methods
        value, how = certifier.cell_bound(found[i], found[i + 1], target=bound)
        if value is not None and value <= bound:
            proved.append(value)
            name = "h^2/8 sup|g''|" if how == "C2" else how
            methods[name] = methods.get(name, 0) + 1
        else:
            proved.append(None)
    return proved, methods


def _refute(
    certifier: CellCertifier,
    found: list[Node],
    unproved: list[int],
    pair: Callable[[float], float],
    claim: str,
    deadline: float | None,
) -> None:
    """Raise CertificationError where enclosed node values contradict the claim.

    Each unproved cell is cut into 8 pieces (at most :data:`CONTRADICTION_PROBES`
    node values in all); for two points ``u < v`` the enclosures prove
    ``|g(v) - g(u)| >= |y_v - y_u| - r_u - r_v``, and the claim allows at most
    ``pair(d)`` for ``d >= v - u`` (``omega`` is nondecreasing): a larger lower
    bound refutes it.
    """
    probes = CONTRADICTION_PROBES
    for i in unproved:
        if probes <= 0 or (deadline is not None and time.monotonic() > deadline):
            return
        left, right = Fraction(found[i].x), Fraction(found[i + 1].x)
        inner = sorted({float(left + (right - left) * k / 8) for k in range(1, 8)})
        points = [
            found[i],
            *(certifier.node(x) for x in inner if found[i].x < x < found[i + 1].x),
            found[i + 1],
        ]
        probes -= len(points) - 2
        for u, v in itertools.combinations(points, 2):
            low = abs(v.fraction - u.fraction) - Fraction(u.radius) - Fraction(v.radius)
            allowed = pair(up_fraction(Fraction(v.x) - Fraction(u.x)))
            if low > Fraction(allowed):
                raise CertificationError(
                    f"{claim} is contradicted by g: |g({v.x!r}) - g({u.x!r})| >= "
                    f"{float(low):.6g} > {allowed:.6g} (interval enclosures of both values); "
                    "no certificate is given"
                )


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
    architecture: str = "shallow",
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
    architecture: Literal["shallow"] = "shallow",
) -> Approximation2D: ...


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
    architecture: str,
) -> Approximation2D | DeepApproximation2D: ...


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
    architecture: str = "shallow",
) -> Approximation | Approximation2D | DeepApproximation2D:
    """A shallow ReLU network ``f`` with ``max |g - f| <= res.bound < eps`` on ``domain``.

    Args:
        g: a string such as ``"sin(2*pi*x)"`` (parsed safely, see
            :func:`~reluapprox.expr.parse_expression`), a sympy expression in one
            symbol, or a Python callable (scalar or vectorised).
        eps: the tolerance, a finite number >= :data:`MIN_EPS` (1e-300).
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
        architecture: ``"shallow"`` (default), ``"deep"`` (a deep network from
            :func:`reluapprox.analytic.approximate_deep`, for expressions analytic on
            the domain) or ``"auto"`` (the deep network when it has fewer neurons than
            the shallow one, which is then built with ``max_neurons`` below the deep
            count; ``method`` says what was compared). The deep construction is
            bounded by its own limits (degree, subintervals of the remainder proof);
            ``time_limit`` applies to the shallow one. On a rectangle ``"deep"``
            takes polynomials in x and y (:func:`reluapprox.deep2d.approximate_deep_2d`).

    Returns:
        An :class:`Approximation`; on a rectangle an
        :class:`~reluapprox.approximation2d.Approximation2D` or, deep, a
        :class:`~reluapprox.deep2d.DeepApproximation2D`.

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
        architecture = check_choice("architecture", architecture, ("shallow", "deep", "auto"))

        def shallow_2d(limit: int) -> Approximation2D:
            return approximate_2d(
                g,
                eps,
                domain=domain,
                mesh=mesh,
                max_neurons=limit,
                time_limit=time_limit,
                progress=progress,
            )

        if architecture != "shallow":
            return choose_depth(
                architecture,
                lambda: approximate_deep_2d(g, eps, domain=domain),
                shallow_2d,
                finish=lambda deep: deep,
                max_neurons=max_neurons,
                refused=(InvalidArgument, BudgetExceeded),
                shallow_name="triangulation",
            )
        return shallow_2d(max_neurons)
    start_time = time.monotonic()
    eps = check_positive_finite("eps", eps)
    if eps < MIN_EPS:
        fail(
            "eps",
            eps,
            f"a finite number >= MIN_EPS = {MIN_EPS:g} (below it the margin that "
            "keeps bound < eps cannot be represented in floats)",
        )
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
    architecture = check_choice("architecture", architecture, ("shallow", "deep", "auto"))
    if architecture != "shallow":
        if architecture == "deep" and (
            modulus is not None or lipschitz is not None or not interpolating
        ):
            fail(
                "architecture",
                architecture,
                "'shallow' or 'auto' with modulus, lipschitz or interpolating=False",
            )

        def shallow(limit: int) -> Approximation:
            return approximate(
                g,
                eps,
                domain=(a, b),
                modulus=modulus,
                lipschitz=lipschitz,
                mesh=mesh,
                interpolating=interpolating,
                max_neurons=limit,
                time_limit=time_limit,
                value_rtol=value_rtol,
                progress=progress,
            )

        start = time.monotonic()
        return choose_depth(
            architecture,
            lambda: analytic.approximate_deep(g, eps, domain=(a, b)),
            shallow,
            finish=lambda deep: _deep_result(g, eps, (a, b), deep, start),
            max_neurons=max_neurons,
            refused=(CertificationError, BudgetExceeded, InvalidArgument),
            shallow_name="shallow",
        )
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
    conditional: str | None = None
    floats = None
    if modulus is not None or lipschitz is not None:
        built, bound, method, conditional = _approximate_modulus(
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
        certified = conditional is None
    elif target.expr is not None:
        certifier = CellCertifier(target.expr, guards=target.guards)
        tau = eps * (1 - EPS_MARGIN)
        budget: dict[str, Any] = {
            "max_neurons": max_neurons,
            "deadline": deadline,
            "time_limit": time_limit,
            "progress": progress,
        }
        with certifier.precision():
            if not interpolating:
                built = shifted_mesh(certifier, a, b, tau, **budget)
            elif mesh == "adaptive":
                built = adaptive_mesh(certifier, a, b, tau, **budget)
            else:
                start = uniform_start(target.expr, a, b, tau)
                built = certified_uniform_mesh(certifier, a, b, tau, start=start, **budget)
        bound = max(built.bounds)
        names = {
            "C2": "Peano kernel bound <= h^2/8 sup|g''|",
            "oscillation": "oscillation",
            "shifted": "shifted chord with Peano kernel g'' range",
            "unshifted": "chord range",
        }
        kinds = ", ".join(f"{names[k]} on {v} cells" for k, v in sorted(built.methods.items()))
        kind = mesh if interpolating else "adaptive non-interpolating (shifted)"
        method = (
            f"certified: {kind} mesh, interval arithmetic ({certifier.kernel()}); "
            f"per cell {kinds}; node-value radius <= {max(built.radii):.2g} included"
        )
        floats = (
            _floats(built.values)
            if built.floats is None
            else np.array(built.floats, dtype=np.float64)
        )
        _float_check(target, built, bound, certifier, floats)
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
    if not bound < eps:  # pragma: no cover - every path keeps a margin below eps
        raise CertificationError(f"internal check failed: bound {bound!r} >= eps={eps!r}")
    network = interpolate_floats(
        built.nodes, built.values, floats=floats, floats_exact=built.floats is not None
    )
    errors = shallow_float_errors(network, (a, b))
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
        conditional=conditional,
        float_error=errors["call"],
        torch_float_error={
            "float64": errors["torch_float64"],
            "float32": errors["torch_float32"],
        },
    )


#: Deep networks for quadratics are checked by exact piece enumeration up to this many pieces.
DEEP_MAX_PIECES = 50_000


def _deep_result(
    g: object, eps: float, domain: tuple[float, float], deep: DeepNetwork, start_time: float
) -> Approximation:
    """The deep network of ``approximate(..., architecture="deep")`` as an
    :class:`Approximation`: its bound (the exact maximum over its linear pieces where
    they are few) and its float error bounds."""
    a, b = domain
    bound, how = deep.bound, "the proved composition bound"
    coeffs = deep.coefficients
    pieces = math.prod(deep.schedules[0] if deep.schedules else ())
    if 0 < len(coeffs) <= 3 and pieces <= DEEP_MAX_PIECES:
        exact_max, _ = max_error_polynomial(deep.network, coeffs, (Fraction(a), Fraction(b)))
        bound = deep.remainder + exact_max
        how = f"the exact maximum over its {pieces} linear pieces (exact piece enumeration)"
    f = deep.network
    error64 = float_error_bound(f, (a, b), "float64")  # net(x) and the torch export alike
    return Approximation(
        network=f,
        bound=_up(bound),
        certified=True,
        method=(
            f"certified by {how}: deep network of depth {f.depth}, "
            f"{deep.n_neurons} neurons in widths <= {max(f.widths[1:-1], default=0)}; "
            f"{deep.method}"
        ),
        eps=eps,
        domain=domain,
        mesh="deep",
        nodes=domain,
        values=(f.exact([Fraction(a)])[0], f.exact([Fraction(b)])[0]),
        target=as_target(g),
        seconds=time.monotonic() - start_time,
        float_error=error64,
        torch_float_error={
            "float64": error64,
            "float32": float_error_bound(f, (a, b), "float32"),
        },
    )


def _floats(values: Sequence[Fraction]) -> FloatArray:
    """The values rounded to the nearest floats (``±inf`` beyond the float range)."""
    return np.array([float_or_inf(v) for v in values], dtype=np.float64)


def _float_check(
    target: Target, built: Mesh, bound: float, certifier: CellCertifier, y: FloatArray
) -> None:
    """Evaluate ``g`` in floats at the cell midpoints: it must be defined there, and the
    observed error must respect the proved bound (a consistency check of the proof).

    Float evaluation can suffer cancellation (``(1 - cos x)/x**2`` near 0), so a
    midpoint that misses the bound in floats is checked again rigorously: the
    interval enclosure of ``g`` there, minus the exact value of ``f``.
    """
    x = np.array(built.nodes)
    mids = (x[:-1] + x[1:]) / 2
    gm = target(mids)
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
    net = result.network
    f = net(grid[:, None])[:, 0] if isinstance(net, ReluNetwork) else net(grid)
    figure = new_figure(nrows=2, ncols=1, size=(7.0, 6.0))
    top, bottom = figure.axes
    top.plot(grid, g, color="C0", lw=2.2, label=f"g = {result.target.description}")
    top.plot(grid, f, color="C3", lw=1.0, ls="--", label=f"network f ({result.n_neurons} neurons)")
    if result.n_neurons <= 60:
        top.plot(result.nodes, [float(v) for v in result.values], "o", ms=3, color="C3")
    top.set_xlabel("x")
    top.legend(fontsize="small")
    kind = "certified" if result.certified else "estimated"
    width = max(net.widths[1:-1], default=0) if isinstance(net, ReluNetwork) else result.n_neurons
    kind_of_net = "deep network" if result.mesh == "deep" else f"{result.mesh} mesh"
    top.set_title(
        title or f"{kind_of_net}, depth {result.depth}, width {width}, eps = {result.eps:g}"
    )
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
