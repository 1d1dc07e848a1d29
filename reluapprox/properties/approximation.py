"""Properties of ``approximate(g, eps)`` over a fixed family of reference functions.

The observed error is computed by :func:`reluapprox.certify.max_error_mp`: ``g`` in
113-bit mpmath arithmetic, ``f`` exactly, on a dense grid (equally spaced points
plus the quarter points of every cell). Results are cached per instance, so that
Hypothesis drawing the same instance twice costs nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st

from reluapprox.approximation import Approximation, approximate
from reluapprox.certify import max_error_mp
from reluapprox.errors import BudgetExceeded, CertificationError, EvaluationError
from reluapprox.expr import SYMBOL, as_target, parse_expression
from reluapprox.shallow import ShallowNetwork
from reluapprox.verify import register

#: ``(expression, domain, Lipschitz constant on the domain or None)``: smooth,
#: kinked, Hoelder and oscillating functions.
REFERENCE_FUNCTIONS: tuple[tuple[str, tuple[float, float], float | None], ...] = (
    ("exp(3*x)", (0.0, 1.0), 3 * math.exp(3)),
    ("sin(2*pi*x)", (0.0, 1.0), 2 * math.pi),
    ("1/(1 + 25*x**2)", (-1.0, 1.0), 3.25),
    ("x**2", (-2.0, 2.0), 4.0),
    ("sqrt(x)", (0.0, 1.0), None),
    ("abs(x - 1/3)**0.7", (0.0, 1.0), None),
    ("x*sin(1/x)", (0.0, 1.0), None),
    ("tanh(10*(x - 0.3)) + relu(x - 0.5)", (0.0, 1.0), 11.0),
    ("log(1 + x)*cos(3*x)", (0.0, 2.0), None),
    ("atan(x) - sinh(x)/4 + cosh(x)/8", (-1.0, 1.0), None),
)

#: Discontinuous functions: approximate must refuse them (never certify).
DISCONTINUOUS = ("sign(x - 0.5)", "sign(x - 1/3) + x", "sign(sin(7*x))")

#: Tolerances drawn by the properties (kept >= 1e-3 for speed).
EPS_VALUES = (1e-2, 2e-3)

#: Dense-grid size of the observed error.
GRID = 501

#: Lipschitz instances with a larger constant are skipped (too many cells for a test).
MAX_LIPSCHITZ = 20.0

#: Node values are the midpoints of 80-bit enclosures, rounded to floats where that
#: widens the bound by at most ``2**-20`` of the target (``mesh.NODE_SLACK``):
#: ``|y_i - g(x_i)| <= NODE_RTOL * max(1, |g|)`` (one ulp, and the enclosure's radius).
NODE_RTOL = 2.0**-51


def reference_mp(text: str) -> Callable[[Any], Any]:
    """``g`` on mpmath numbers (the continuous extension ``x sin(1/x) = 0`` at 0)."""
    expr = parse_expression(text)
    function = sp.lambdify(SYMBOL, expr, modules="mpmath")

    def g(x: Any) -> Any:
        if text == "x*sin(1/x)" and x == 0:
            return mpmath.mpf(0)
        return function(x)

    return g


@functools.lru_cache(maxsize=256)
def _approximate(index: int, eps: float, mesh: str) -> Approximation | str:
    text, domain, _ = REFERENCE_FUNCTIONS[index]
    if mesh == "shifted":
        return approximate(text, eps, domain=domain, interpolating=False)
    try:
        return approximate(text, eps, domain=domain, mesh=mesh, max_neurons=20_000)
    except BudgetExceeded as error:  # an honest refusal (uniform meshes of sqrt, ...)
        return str(error)


@functools.lru_cache(maxsize=256)
def _observed(index: int, eps: float, mesh: str) -> float | None:
    res = _approximate(index, eps, mesh)
    if isinstance(res, str):
        return None
    text, domain, _ = REFERENCE_FUNCTIONS[index]
    return max_error_mp(reference_mp(text), res.network, domain, GRID)


#: Indices of REFERENCE_FUNCTIONS also drawn with ``mesh="uniform"``: a uniform
#: mesh of a Hoelder function needs far more cells (``sqrt(x)`` at 1e-3: 65536).
UNIFORM_OK = (0, 1, 2, 3, 7, 8, 9)


def reference_instances() -> st.SearchStrategy[tuple[int, float, str]]:
    """``(index into REFERENCE_FUNCTIONS, eps, mesh)``; mesh ``"shifted"`` means
    ``interpolating=False`` (not drawn for ``x sin(1/x)``, which gains little)."""
    pairs = [(i, "adaptive") for i in range(len(REFERENCE_FUNCTIONS))]
    pairs += [(i, "uniform") for i in UNIFORM_OK]
    pairs += [(i, "shifted") for i in range(len(REFERENCE_FUNCTIONS)) if i != 6]
    return st.tuples(st.sampled_from(pairs), st.sampled_from(EPS_VALUES)).map(
        lambda t: (t[0][0], t[1], t[0][1])
    )


@register(
    "approximation.bound_holds",
    "for expressions, max |g - f| on a dense grid (113-bit arithmetic) <= res.bound < eps, "
    "and res.certified",
    reference_instances,
)
def bound_holds(instance: tuple[int, float, str]) -> float | None:
    index, eps, mesh = instance
    res = _approximate(index, eps, mesh)
    if isinstance(res, str):
        assert "max_neurons=20000 was hit" in res, res
        return None
    assert res.certified, res.method
    assert res.method.startswith("certified"), res.method
    assert 0 <= res.bound < eps
    observed = _observed(index, eps, mesh)
    assert observed is not None
    assert observed <= res.bound, (observed, res.bound)
    return observed / res.bound


@register(
    "approximation.exact_at_knots",
    "f(x_i) == y_i exactly at every node and |y_i - g(x_i)| <= 2**-51 max(1, |g(x_i)|) "
    "(<= res.bound for interpolating=False)",
    reference_instances,
)
def exact_at_knots(instance: tuple[int, float, str]) -> None:
    index, eps, mesh = instance
    res = _approximate(index, eps, mesh)
    if isinstance(res, str):
        return
    text, domain, _ = REFERENCE_FUNCTIONS[index]
    g = reference_mp(text)
    assert isinstance(res.network, ShallowNetwork)
    assert res.nodes[0] == domain[0]
    assert res.nodes[-1] == domain[1]
    step = max(1, len(res.nodes) // 200)
    with mpmath.workprec(113):
        for x, y in list(zip(res.nodes, res.values, strict=True))[::step]:
            assert res.network.exact(x) == y
            gx = g(mpmath.mpf(x))
            allowed = NODE_RTOL * max(1, abs(gx))
            if mesh == "shifted":
                allowed = mpmath.mpf(res.bound)
            assert abs(gx - mpmath.mpf(y.numerator) / y.denominator) <= allowed


def _honesty_instances() -> st.SearchStrategy[tuple[str, int, float]]:
    return st.tuples(
        st.sampled_from(("lipschitz", "false_lipschitz", "callable", "discontinuous")),
        st.integers(0, len(REFERENCE_FUNCTIONS) - 1),
        st.sampled_from(EPS_VALUES),
    )


@register(
    "approximation.certified_is_honest",
    "a conditional bound (a callable with its true Lipschitz constant) holds; callables "
    "are never certified; false Lipschitz constants and discontinuous g raise "
    "CertificationError",
    _honesty_instances,
)
def certified_is_honest(instance: tuple[str, int, float]) -> float | None:
    return _honesty(*instance)


@functools.lru_cache(maxsize=256)
def _honesty(kind: str, index: int, eps: float) -> float | None:
    text, domain, lipschitz = REFERENCE_FUNCTIONS[index]
    if kind == "discontinuous":
        _refuses(DISCONTINUOUS[index % len(DISCONTINUOUS)])
        return None
    target = _as_callable(text)
    if text == "x*sin(1/x)":  # undefined at 0 in floats: the callable must be refused
        try:
            approximate(target, eps, domain=domain)
        except EvaluationError as error:
            if "g(0.0)" not in str(error):
                raise AssertionError(f"unexpected message: {error}") from error
            return None
        raise AssertionError("a callable returning NaN at 0 was accepted")
    if kind == "callable":
        res = approximate(target, eps, domain=domain)
        assert not res.certified
        assert res.method.startswith("estimated")
        assert res.bound < eps
        return None
    if lipschitz is None or lipschitz > MAX_LIPSCHITZ:
        return None
    if kind == "false_lipschitz":
        try:
            approximate(target, eps, domain=domain, lipschitz=lipschitz / 10)
        except CertificationError as error:
            if "contradicted" not in str(error):
                raise AssertionError(f"unexpected message: {error}") from error
            return None
        raise AssertionError(f"lipschitz={lipschitz / 10} accepted for {text}")
    res = approximate(target, eps, domain=domain, lipschitz=lipschitz)
    assert not res.certified  # a callable: the bound is conditional on the true L
    assert res.conditional is not None
    assert res.bound < eps
    observed = max_error_mp(reference_mp(text), res.network, domain, GRID, per_cell=False)
    assert observed <= res.bound, (observed, res.bound)
    return observed / res.bound


@functools.lru_cache(maxsize=16)
def _refuses(bad: str) -> None:
    for g in (bad, _as_callable(bad)):
        try:
            approximate(g, 1e-2, max_neurons=20_000)
        except CertificationError:
            continue
        raise AssertionError(f"{bad} was approximated (certified or not)")


def _as_callable(text: str) -> Callable[[Any], Any]:
    target = as_target(text)

    def g(x: Any) -> Any:
        return target(x)

    return g


#: Expressions of the enclosure-soundness property: products, quotients, powers,
#: exponentials and logarithms whose values underflow or overflow float64 at huge
#: or tiny arguments.
ENCLOSURE_EXPRESSIONS = (
    "x**-3",
    "-x**-3",
    "exp(x)",
    "-exp(-x)",
    "x**7",
    "sqrt(abs(x))*1e-300",
    "exp(-x**2)*1e300",
    "log(abs(x) + 1e-300)",
    "sin(x)/x",
    "x*atan(x)",
)


def _enclosure_instances() -> st.SearchStrategy[tuple[str, float, float]]:
    """``(expression, a, b)`` with ``a <= b`` anywhere from 1e-320 to 1e300 in magnitude."""
    magnitude = st.floats(min_value=-320, max_value=300)
    number = st.tuples(st.sampled_from((-1.0, 1.0)), magnitude).map(lambda t: t[0] * 10 ** t[1])
    ends = st.tuples(number, number, st.booleans()).map(
        lambda t: (min(t[0], t[1]), min(t[0], t[1]) if t[2] else max(t[0], t[1]))
    )
    return st.tuples(st.sampled_from(ENCLOSURE_EXPRESSIONS), ends).map(
        lambda t: (t[0], t[1][0], t[1][1])
    )


@register(
    "approximation.enclosure_is_sound",
    "enclose(g, a, b) contains g at a, b and the midpoint, computed by mpmath at 300 bits, "
    "for arguments from 1e-320 to 1e300 (no rounding to 0 or inf on the wrong side)",
    _enclosure_instances,
)
def enclosure_is_sound(instance: tuple[str, float, float]) -> None:
    from reluapprox.certify import enclose

    text, a, b = instance
    expr = parse_expression(text)
    lo, hi = enclose(expr, a, b)
    function = sp.lambdify(SYMBOL, expr, modules="mpmath")
    with mpmath.workprec(300):
        for point in {a, b, (a + b) / 2}:
            try:
                value = function(mpmath.mpf(point))
            except ZeroDivisionError:
                continue  # a pole (x**-3 at 0): nothing to contain
            assert mpmath.mpf(lo) <= value <= mpmath.mpf(hi), (text, point, lo, hi, value)
