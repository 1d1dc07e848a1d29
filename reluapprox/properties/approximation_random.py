"""Properties of ``approximate(g, eps)`` over random functions from ``continuous_functions()``.

For each drawn ``g`` (with its proved modulus, sympy form and mpmath evaluator) and a
tolerance ``eps`` drawn log-uniformly in ``[1e-6, 1e-1]``, one of two constructions
(drawn too) is checked: the uniform mesh from the attached modulus (``g.f`` as a
callable with ``modulus=g.modulus``) or the adaptive mesh from the sympy form
``g.expr``. Both must
give ``max |g - f| <= res.bound < eps`` on a dense grid evaluated in high precision
(:func:`reluapprox.certify.max_error_mp`, ``g`` through ``g.evaluate_mp``); the
adaptive one must be certified, the uniform one (a callable) conditional on the
modulus, which the strategy proved.

To keep the property affordable, ``eps`` is raised to what a uniform mesh of
:data:`MAX_UNIFORM_CELLS` cells reaches according to the modulus, ``omega((b - a) /
MAX_UNIFORM_CELLS)``: for smooth and piecewise-linear ``g`` the drawn ``eps`` (down to
``1e-6``) is kept, for Hölder ``g`` it is raised. The adaptive construction has a
tolerance raised by a curvature heuristic (:func:`adaptive_eps`) and a budget
(:data:`ADAPTIVE_MAX_NEURONS`, :data:`ADAPTIVE_TIME_LIMIT`); hitting the budget is an
honest refusal (:class:`~reluapprox.errors.BudgetExceeded`), not a failure, and only
the uniform construction is then checked.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reluapprox.approximation import Approximation, approximate
from reluapprox.certify import max_error_mp
from reluapprox.errors import BudgetExceeded
from reluapprox.strategies import ContinuousFunction, continuous_functions
from reluapprox.verify import register

#: The drawn tolerance is ``10**e`` with ``e`` in this range.
EPS_EXPONENTS = (-6.0, -1.0)

#: ``eps`` is raised to ``omega((b - a) / MAX_UNIFORM_CELLS)`` (times a small factor).
MAX_UNIFORM_CELLS = 32

#: The uniform construction must then succeed within this many neurons (the mesh
#: step ``h`` with ``omega(h) < eps`` is at least ``(b - a) / MAX_UNIFORM_CELLS``).
UNIFORM_MAX_NEURONS = 4 * MAX_UNIFORM_CELLS

#: The adaptive construction aims at about this many cells (see :func:`adaptive_eps`).
ADAPTIVE_CELLS = 32

#: Points of the grid that estimates ``|g''|`` for :func:`adaptive_eps`.
CURVATURE_GRID = 1025

#: Budget of the adaptive construction; exceeding it is an honest refusal
#: (:class:`~reluapprox.errors.BudgetExceeded`), not a failure of the property.
ADAPTIVE_MAX_NEURONS = 128
ADAPTIVE_TIME_LIMIT = 1.0

#: Equally spaced points of the dense grid (plus the quarter points of every cell).
GRID = 65

#: ``g.f`` agrees with ``g`` to ``2**-40 * g.float_error_scale`` (tested by the property
#: ``strategies.forms_agree``); ``approximate`` needs it relative to ``max(1, |g|)``.
FLOAT_ACCURACY = 2.0**-40

_FUNCTIONS = st.one_of(
    continuous_functions(),
    continuous_functions(domain=(-2, 3)),
)


def affordable_eps(g: ContinuousFunction, eps: float) -> float:
    """``eps``, raised so that a uniform mesh of MAX_UNIFORM_CELLS cells reaches it."""
    a, b = g.domain
    floor = g.modulus((b - a) / MAX_UNIFORM_CELLS) * (1 + 1e-6)
    return max(eps, floor, 1e-12)


def adaptive_eps(g: ContinuousFunction, eps: float) -> float:
    """``eps``, raised so that an adaptive mesh needs about ADAPTIVE_CELLS cells at most.

    Uses the interpolation error ``h**2 / 8 * |g''|`` with ``|g''|`` estimated by the
    90th percentile of second differences of ``g.f`` on a grid (isolated kinks and
    Hölder points, which an adaptive mesh resolves with few cells, are ignored). A
    heuristic that only chooses the instance; nothing is certified with it.
    """
    a, b = g.domain
    x = np.linspace(a, b, CURVATURE_GRID)
    step = float(x[1] - x[0])
    curvature = float(np.quantile(np.abs(np.diff(g.f(x), 2)), 0.9)) / step**2
    floor = curvature * (b - a) ** 2 / (8 * ADAPTIVE_CELLS**2)
    return max(eps, floor, 1e-12)


def _check(g: ContinuousFunction, res: Approximation, eps: float) -> float:
    if res.target.kind == "callable":  # the bound rests on g's (proved) modulus
        assert not res.certified, res.method
        assert res.conditional is not None, res.method
    else:
        assert res.certified, f"not certified: {res.method}"
    assert res.bound < eps, f"bound {res.bound!r} >= eps {eps!r}"
    observed = max_error_mp(g.evaluate_mp, res.network, res.domain, GRID)
    assert observed <= res.bound, f"observed {observed!r} > bound {res.bound!r} ({res.method})"
    return float(observed / res.bound) if res.bound > 0 else 0.0


@register(
    "approximation_random.bound_holds",
    "for g from continuous_functions() and eps down to 1e-6, approximate(g, eps) with the "
    "uniform mesh from g's modulus (conditional on it) and with the adaptive mesh from "
    "g's sympy form (certified) satisfies max |g - f| <= res.bound < eps (observed in "
    "113-bit mpmath)",
    lambda: st.tuples(
        _FUNCTIONS, st.floats(*EPS_EXPONENTS), st.sampled_from(["uniform", "adaptive"])
    ),
)
def bound_holds(instance: tuple[ContinuousFunction, float, str]) -> float:
    g, exponent, mesh = instance
    if mesh == "adaptive":
        return _adaptive(g, exponent)
    eps = affordable_eps(g, 10.0**exponent)
    rtol = min(0.5, FLOAT_ACCURACY * g.float_error_scale)
    uniform = approximate(
        g.f,
        eps,
        domain=g.domain,
        modulus=g.modulus,
        mesh="uniform",
        max_neurons=UNIFORM_MAX_NEURONS,
        value_rtol=rtol,
    )
    return _check(g, uniform, eps)


def _adaptive(g: ContinuousFunction, exponent: float) -> float:
    eps_adaptive = adaptive_eps(g, 10.0**exponent)
    try:
        adaptive = approximate(
            g.expr,
            eps_adaptive,
            domain=g.domain,
            mesh="adaptive",
            max_neurons=ADAPTIVE_MAX_NEURONS,
            time_limit=ADAPTIVE_TIME_LIMIT,
        )
    except BudgetExceeded:
        return 0.0  # an honest refusal within the budget is allowed
    return _check(g, adaptive, eps_adaptive)
