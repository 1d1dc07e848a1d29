"""Properties of ``approximate(g(x, y), eps)`` over random functions of two variables.

Each instance is ``g(x, y) = u(x) + v(y)`` or ``u(x) * v(y)`` for ``u`` and ``v`` drawn
from :func:`~reluapprox.strategies.continuous_functions` (piecewise-linear,
trigonometric and Hölder leaves and their compositions), on a random rectangle with
corners on the grid of quarters, and a tolerance ``eps`` in ``[10**-2.5, 1e-1]`` times
``max(1, sup |g|)`` (from the moduli's sup norms). The result must be certified with
``bound < eps``, the network must equal the node values exactly at the vertices, and
no point of a grid, the vertices, the centroids and random points may show an error
above the bound, ``g`` evaluated in 113-bit mpmath
(:func:`~reluapprox.approximation2d.max_error_mp_2d`). Hitting the budget
(:data:`MAX_NEURONS`, :data:`TIME_LIMIT`) is an honest refusal: the instance is tried
again at a hundred times the tolerance, up to :data:`LAST_RUNG` times the sup norms, where a
refusal (of the wider :data:`LAST_MAX_NEURONS`) is a failure, since ``|g - Ig| <=
max g - min g <= 2 sup |g|`` on every triangle. So every instance checks a certified
result (most drawn tolerances are out of the budget's reach: Hölder leaves need fine
meshes along a whole line).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from reluapprox.approximation2d import approximate_2d, max_error_mp_2d
from reluapprox.errors import BudgetExceeded
from reluapprox.strategies import ContinuousFunction, continuous_functions
from reluapprox.verify import register

#: Budget of one construction; exceeding it is an honest refusal.
MAX_NEURONS = 2500
TIME_LIMIT = 1.5

#: The last tolerance tried, in units of ``max(1, sup |u|) max(1, sup |v|)`` (at least
#: twice ``sup |g|``), and its budget (wider: interval enclosures of long expressions on
#: large triangles are loose).
LAST_RUNG = 4.0
LAST_MAX_NEURONS = 25_000
LAST_TIME_LIMIT = 60.0

#: Vertices at which the network is evaluated exactly (it is slow in Fractions).
EXACT_VERTICES = 6

Instance = tuple[ContinuousFunction, ContinuousFunction, str, tuple[Fraction, ...], float]


@st.composite
def _instances(draw: st.DrawFn) -> Instance:
    a = Fraction(draw(st.integers(-8, 4)), 4)
    b = a + Fraction(draw(st.integers(2, 6)), 4)
    c = Fraction(draw(st.integers(-8, 4)), 4)
    d = c + Fraction(draw(st.integers(2, 6)), 4)
    u = draw(continuous_functions(domain=(a, b), max_leaves=2))
    v = draw(continuous_functions(domain=(c, d), max_leaves=2))
    how = draw(st.sampled_from(["sum", "product"]))
    exponent = draw(st.floats(-2.5, -1.0))
    return u, v, how, (a, b, c, d), exponent


def target(u: ContinuousFunction, v: ContinuousFunction, how: str) -> sp.Expr:
    """``u(x) + v(y)`` or ``u(x) v(y)`` as a sympy expression in x and y."""
    x = sp.Symbol("x")
    ux = u.expr
    vy = v.expr.subs(x, sp.Symbol("y"))
    result: sp.Expr = ux + vy if how == "sum" else ux * vy
    return result


@register(
    "approximation2d.bound_holds",
    "for g(x, y) = u(x) + v(y) or u(x) v(y) (u, v from continuous_functions()) on random "
    "rectangles, approximate(g, eps, domain=((a, b), (c, d))) is certified, the network "
    "equals the node values exactly, and max |g - f| <= res.bound < eps (113-bit mpmath at "
    "a grid, the vertices, the centroids and random points); after a budget refusal eps is "
    "raised a hundredfold, up to 4 max(1, sup |u|) max(1, sup |v|)",
    _instances,
)
def bound_holds(instance: Instance) -> float:
    return _certified_below_eps(instance, mesh="adaptive")


@register(
    "approximation2d.anisotropic_bound_holds",
    "as approximation2d.bound_holds, with mesh='anisotropic' (longest-edge bisection in the "
    "order of the edge curvature, certified by the edge-form bound too)",
    _instances,
)
def anisotropic_bound_holds(instance: Instance) -> float:
    return _certified_below_eps(instance, mesh="anisotropic")


def _certified_below_eps(instance: Instance, *, mesh: str) -> float:
    """Approximate the instance's ``g`` with ``mesh`` and :func:`check` the result."""
    u, v, how, (a, b, c, d), exponent = instance
    su, sv = max(u.sup_norm, 1.0), max(v.sup_norm, 1.0)
    last = LAST_RUNG * su * sv
    eps = 10.0**exponent * su * (sv if how == "product" else 1.0)
    domain = ((float(a), float(b)), (float(c), float(d)))
    g = target(u, v, how)
    while eps < last:
        try:
            res = approximate_2d(
                g, eps, domain=domain, mesh=mesh, max_neurons=MAX_NEURONS, time_limit=TIME_LIMIT
            )
        except BudgetExceeded:
            eps *= 100  # an honest refusal within the budget: a coarser tolerance
            continue
        return check(res, eps)
    res = approximate_2d(
        g, last, domain=domain, mesh=mesh, max_neurons=LAST_MAX_NEURONS, time_limit=LAST_TIME_LIMIT
    )
    return check(res, last)


def check(res: Any, eps: float) -> float:
    """Raise AssertionError unless ``res`` is certified below ``eps`` and no sample exceeds it."""
    assert res.certified, f"not certified: {res.method}"
    assert res.bound < eps, f"bound {res.bound!r} >= eps {eps!r}"
    step = max(1, len(res.vertices) // EXACT_VERTICES)
    for vertex, value in list(zip(res.vertices, res.values, strict=True))[::step]:
        assert res.network.exact(list(vertex)) == value, f"network != node value at {vertex}"
    observed = max_error_mp_2d(res, grid=9, random_points=20)
    # g is evaluated in 113-bit mpmath at points such as centroids that are not binary
    # fractions: its rounding shows where the bound is 0 (g affine, the mesh exact)
    slack = 2.0**-100 * (1.0 + float(max(abs(y) for y in res.values)))
    assert observed <= res.bound + slack, (
        f"observed {observed!r} > bound {res.bound!r} ({res.method})"
    )
    return observed / res.bound if res.bound > 0 else 0.0


Polynomial2D = tuple[dict[tuple[int, int], Fraction], tuple[Fraction, ...], float]


@st.composite
def _polynomials(draw: st.DrawFn) -> Polynomial2D:
    monomials = draw(
        st.dictionaries(
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.builds(Fraction, st.integers(-6, 6).filter(bool), st.sampled_from([1, 2, 3, 4])),
            min_size=1,
            max_size=4,
        )
    )
    a = Fraction(draw(st.integers(-8, 4)), 4)
    b = a + Fraction(draw(st.integers(1, 8)), 4)
    c = Fraction(draw(st.integers(-8, 4)), 4)
    d = c + Fraction(draw(st.integers(1, 8)), 4)
    return monomials, (a, b, c, d), draw(st.floats(-7.0, -2.0))


def polynomial_value(
    monomials: dict[tuple[int, int], Fraction], x: Fraction, y: Fraction
) -> Fraction:
    """``sum c x**i y**j``, exactly."""
    return sum((c * x**i * y**j for (i, j), c in monomials.items()), Fraction(0))


@register(
    "approximation2d.deep_polynomial_bound_holds",
    "for random polynomials sum c x**i y**j (up to 4 monomials, i, j <= 3, rational c) on "
    "random rectangles, approximate(p, eps, domain, architecture='deep') is certified with "
    "bound < eps, and |p - f| <= the exact bound at a 9 x 9 grid and 20 random rational "
    "points (p and the network evaluated exactly)",
    _polynomials,
)
def deep_polynomial_bound_holds(instance: Polynomial2D) -> float:
    from reluapprox.deep2d import approximate_deep_2d

    monomials, (a, b, c, d), exponent = instance
    x, y = sp.Symbol("x"), sp.Symbol("y")
    expr = sum(
        (sp.Rational(q.numerator, q.denominator) * x**i * y**j for (i, j), q in monomials.items()),
        sp.Integer(0),
    )
    scale = sum(
        abs(q) * max(abs(a), abs(b)) ** i * max(abs(c), abs(d)) ** j
        for (i, j), q in monomials.items()
    )
    eps = 10.0**exponent * max(1.0, float(scale))
    try:
        res = approximate_deep_2d(expr, eps, domain=((float(a), float(b)), (float(c), float(d))))
    except BudgetExceeded:
        return 0.0  # eps too small for the schedules: an honest refusal
    return check_deep(res, monomials, eps)


def check_deep(
    res: Any, monomials: dict[tuple[int, int], Fraction], eps: float, *, seed: int = 0
) -> float:
    """Raise AssertionError unless the deep result is certified below ``eps`` and no
    sample (exact arithmetic) exceeds its exact bound; returns the observed ratio."""
    import random

    assert res.certified, f"not certified: {res.method}"
    assert res.exact_bound <= Fraction(res.bound) < Fraction(eps), (
        f"bound {res.bound!r} vs eps {eps!r}"
    )
    (a, b), (c, d) = ((Fraction(lo), Fraction(hi)) for lo, hi in res.domain)
    points = [(a + (b - a) * i / 8, c + (d - c) * j / 8) for i in range(9) for j in range(9)]
    rng = random.Random(seed)
    points += [
        (
            a + (b - a) * Fraction(rng.randrange(2**20 + 1), 2**20),
            c + (d - c) * Fraction(rng.randrange(2**20 + 1), 2**20),
        )
        for _ in range(20)
    ]
    worst = max(
        abs(res.network.exact([px, py])[0] - polynomial_value(monomials, px, py))
        for px, py in points
    )
    assert worst <= res.exact_bound, (
        f"observed {float(worst)!r} > bound {float(res.exact_bound)!r} ({res.method})"
    )
    return float(worst / res.exact_bound) if res.exact_bound > 0 else 0.0
