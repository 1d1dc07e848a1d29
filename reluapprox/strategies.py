"""Public Hypothesis strategies for testing ReLU constructions.

Named by what they generate, with arguments validated like Hypothesis' own
(``min_value``, ``max_size``, ...). Needs the optional dependency ``hypothesis``
(``pip install 'reluapprox[verify]'``).

The centre piece is :func:`continuous_functions`: random continuous functions on an
interval, each carried by a :class:`ContinuousFunction` together with a *provably
correct* modulus of continuity, a Lipschitz constant where one is finite, an enclosure
of its range, a sympy form and a high-precision (mpmath) evaluator. The functions are
built from four families and three combinators, each of which can also be called
directly (the ``repr`` of every example is such a call, so a shrunk counterexample can
be pasted into Python):

- :func:`piecewise_linear`, :func:`trigonometric_polynomial`, :func:`holder_function`;
- :func:`compose` (``exp``, ``sin`` or ``1/(1 + u**2)`` after a function), ``f + g``
  and ``f * g``.

The modulus rule of every family and combinator, with its proof, is on the docs page
*Verifying the theorems* (``docs/verify.md``).

Examples:
    >>> from hypothesis import given, settings
    >>> from reluapprox import interpolate
    >>> @settings(max_examples=20)
    ... @given(interpolation_data(max_size=8))
    ... def test_exact(data):
    ...     xs, ys = data
    ...     net = interpolate(xs, ys)
    ...     assert all(net.exact(x) == y for x, y in zip(xs, ys))
    >>> test_exact()
    >>> g = holder_function(c=2, x0=Fraction(1, 2), alpha=Fraction(1, 2))
    >>> g
    holder_function(c=2, x0=Fraction(1, 2), alpha=Fraction(1, 2))
    >>> g.expr, g.lipschitz, g.modulus(0.25)
    (2*sqrt(Abs(x - 1/2)), None, 1.000000000001819)

References:
    Hypothesis documentation, "What you can generate and how"
    (https://hypothesis.readthedocs.io/en/latest/data.html).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import mpmath
import numpy as np
import numpy.typing as npt
import sympy
from hypothesis import strategies as st

from reluapprox._validation import (
    check_choice,
    check_interval,
    check_positive_int,
    check_rational,
    fail,
)
from reluapprox.network import ReluNetwork

__all__ = [
    "FAMILIES",
    "MAX_ENUMERATED_RATIONALS",
    "MAX_EXP_ARGUMENT",
    "OUTER_FUNCTIONS",
    "RATIONAL_LIPSCHITZ",
    "ROUNDING_MARGIN",
    "ContinuousFunction",
    "compose",
    "continuous_functions",
    "holder_function",
    "interpolation_data",
    "piecewise_linear",
    "plot_modulus",
    "relu_networks",
    "small_rationals",
    "trigonometric_polynomial",
]

DataKind = Literal["rational", "float", "mixed"]
Outer = Literal["exp", "sin", "rational"]
FloatArray = npt.NDArray[np.float64]
Number = int | Fraction | float

#: Everything :func:`continuous_functions` can mix: three leaf families, then combinators.
FAMILIES: tuple[str, ...] = (
    "piecewise_linear",
    "trigonometric",
    "holder",
    "composition",
    "sum",
    "product",
)
_LEAVES = ("piecewise_linear", "trigonometric", "holder")

#: Outer functions of :func:`compose`: ``exp(u)``, ``sin(u)`` and ``1 / (1 + u**2)``.
OUTER_FUNCTIONS: tuple[str, ...] = ("exp", "sin", "rational")

#: Relative margin added to every float bound (moduli, Lipschitz constants, range
#: enclosures). A bound is computed with at most a few hundred float operations, each
#: with relative error <= 2**-53, so their accumulated error is far below 2**-40.
ROUNDING_MARGIN = 2.0**-40

#: Largest range bound of ``u`` for which ``compose("exp", u)`` is accepted (keeps
#: ``exp(u)`` and its Lipschitz constant far from overflow).
MAX_EXP_ARGUMENT = 50.0

#: Lipschitz constant of ``u -> 1/(1 + u**2)`` on the whole real line: the derivative
#: ``-2u/(1+u^2)^2`` has extreme values ``-+3*sqrt(3)/8`` at ``u = +-1/sqrt(3)``.
RATIONAL_LIPSCHITZ = 3.0 * math.sqrt(3.0) / 8.0

_X = sympy.Symbol("x")


def _up(value: float) -> float:
    """``value`` moved away from zero upward by the rounding margin (an upper bound)."""
    return value + abs(value) * ROUNDING_MARGIN


def _down(value: float) -> float:
    """``value`` moved downward by the rounding margin (a lower bound)."""
    return value - abs(value) * ROUNDING_MARGIN


def _fmt(q: Fraction) -> str:
    """``q`` as Python source: ``3`` or ``Fraction(1, 3)``."""
    return str(q.numerator) if q.denominator == 1 else f"Fraction({q.numerator}, {q.denominator})"


def _fmt_tuple(values: Sequence[Fraction]) -> str:
    inner = ", ".join(_fmt(v) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


def _mp(q: Fraction) -> Any:
    """``q`` as an mpmath number at the working precision."""
    return _mp_at(q.numerator, q.denominator, mpmath.mp.prec)


@functools.lru_cache(maxsize=4096)
def _mp_at(numerator: int, denominator: int, prec: int) -> Any:
    with mpmath.workprec(prec):
        return mpmath.mpf(numerator) / denominator


def _rational_domain(domain: object) -> tuple[Fraction, Fraction]:
    check_interval("domain", domain)
    pair: Sequence[object] = domain  # type: ignore[assignment]
    return check_rational("domain[0]", pair[0]), check_rational("domain[1]", pair[1])


def _domain_source(domain: tuple[Fraction, Fraction]) -> str:
    if domain == (Fraction(0), Fraction(1)):
        return ""
    return f", domain=({_fmt(domain[0])}, {_fmt(domain[1])})"


class ContinuousFunction:
    """A continuous function on ``[a, b]`` with a proved modulus of continuity.

    Built by :func:`piecewise_linear`, :func:`trigonometric_polynomial`,
    :func:`holder_function`, :func:`compose`, ``+`` and ``*`` (never directly), and drawn
    by :func:`continuous_functions`. Its ``repr`` is the Python expression that builds it.

    Attributes:
        domain: ``(a, b)`` as floats (rounded inward).
        lipschitz: an upper bound on the Lipschitz constant on ``[a, b]`` (float), or
            ``None`` when the function is not Lipschitz (Hölder families).
        bounds: ``(lo, hi)`` with ``lo <= f(x) <= hi`` for every ``x`` in ``[a, b]``.
        family: the outermost family or combinator, one of :data:`FAMILIES`.

    Examples:
        >>> g = trigonometric_polynomial(cos=(1,)) + piecewise_linear(knots=(0, 1), values=(0, 2))
        >>> g
        (trigonometric_polynomial(cos=(1,)) + piecewise_linear(knots=(0, 1), values=(0, 2)))
        >>> g.expr
        2*x + cos(pi*x)
        >>> g.f([0.0, 1.0]).tolist()
        [1.0, 1.0]
        >>> round(g.lipschitz, 6)  # pi + 2
        5.141593
    """

    def __init__(
        self,
        *,
        family: str,
        source: str,
        domain: tuple[Fraction, Fraction],
        f: Callable[[FloatArray], FloatArray],
        mp: Callable[[Any], Any],
        expr: Callable[[], Any],
        omega: Callable[[float], float],
        lipschitz: float | None,
        bounds: tuple[float, float],
        scale: float,
    ) -> None:
        self.family = family
        self._source = source
        self._domain = domain
        self._f = f
        self._mp = mp
        self._expr_builder = expr
        self._lo, self._hi = bounds
        # every modulus is also bounded by the oscillation hi - lo
        oscillation = _up(self._hi - self._lo)
        self._omega: Callable[[float], float] = lambda h: min(omega(h), oscillation)
        self._lipschitz = lipschitz
        self._scale = scale

    def __repr__(self) -> str:
        return self._source

    @property
    def domain(self) -> tuple[float, float]:
        """The interval ``(a, b)`` as floats, rounded inward if ``a`` or ``b`` is not a float.

        So every float of ``[domain[0], domain[1]]`` lies in the exact domain.
        """
        a, b = self._domain
        lo, hi = float(a), float(b)
        if Fraction(lo) < a:
            lo = math.nextafter(lo, math.inf)
        if Fraction(hi) > b:
            hi = math.nextafter(hi, -math.inf)
        return lo, hi

    @property
    def exact_domain(self) -> tuple[Fraction, Fraction]:
        """The interval ``(a, b)`` as exact Fractions."""
        return self._domain

    @property
    def lipschitz(self) -> float | None:
        """An upper bound on the Lipschitz constant, or ``None`` when none is finite."""
        return None if self._lipschitz is None else _up(self._lipschitz)

    @property
    def bounds(self) -> tuple[float, float]:
        """``(lo, hi)`` enclosing the range of the function on its domain."""
        return self._lo, self._hi

    @property
    def sup_norm(self) -> float:
        """An upper bound on ``max |f(x)|`` over the domain."""
        return max(abs(self._lo), abs(self._hi))

    @property
    def float_error_scale(self) -> float:
        """Magnitude ``S`` with ``|f(x) - .f(x)| <= S * 2**-40`` for float ``x`` (estimate).

        Propagated like the modulus: values and derivatives of intermediate results.
        """
        return self._scale

    def f(self, x: npt.ArrayLike) -> FloatArray:
        """Evaluate in float64 at every point of ``x`` (vectorised)."""
        return np.asarray(self._f(np.asarray(x, dtype=np.float64)), dtype=np.float64)

    __call__ = f

    def evaluate_mp(self, x: object) -> Any:
        """The value at ``x`` as an ``mpmath.mpf`` at the current mpmath precision.

        ``x`` may be a float, an int, a Fraction or an mpf; set the precision with
        ``mpmath.workdps(50)`` or similar.

        Examples:
            >>> import mpmath
            >>> with mpmath.workdps(30):
            ...     print(
            ...         compose("exp", piecewise_linear(knots=(0, 1), values=(0, 1))).evaluate_mp(1)
            ...     )
            2.71828182845904523536028747135
        """
        if isinstance(x, Fraction):
            point = _mp(x)
        elif isinstance(x, (int, float, np.floating, np.integer)):
            point = mpmath.mpf(float(x)) if not isinstance(x, int) else mpmath.mpf(x)
        else:
            point = mpmath.mpf(x)
        return self._mp(point)

    @cached_property
    def expr(self) -> Any:
        """The function as a sympy expression in the symbol ``x`` (exact parameters)."""
        return self._expr_builder()

    def modulus(self, h: float) -> float:
        """An upper bound on ``|f(x) - f(y)|`` over ``x, y`` in the domain with ``|x - y| <= h``.

        Valid for every ``h >= 0`` (including ``inf``), nondecreasing in ``h``, and 0 at
        ``h = 0``. The rule behind it is documented family by family in the docs.

        Raises:
            InvalidArgument: if ``h`` is not a real number >= 0.
        """
        if isinstance(h, bool) or not isinstance(h, (int, float, Fraction, np.number)):
            fail("h", h, "a real number >= 0")
        value = float(h)
        if not value >= 0:
            fail("h", h, "a real number >= 0")
        return _up(self._omega(value))

    def _check_same_domain(self, other: ContinuousFunction) -> None:
        if other._domain != self._domain:
            fail("other", other, f"a function on the same domain {self.domain}")

    def __add__(self, other: ContinuousFunction) -> ContinuousFunction:
        if not isinstance(other, ContinuousFunction):
            return NotImplemented
        self._check_same_domain(other)
        a, b = self, other
        lipschitz = None
        if a._lipschitz is not None and b._lipschitz is not None:
            lipschitz = _up(a._lipschitz + b._lipschitz)
        return ContinuousFunction(
            family="sum",
            source=f"({a!r} + {b!r})",
            domain=a._domain,
            f=lambda x: a._f(x) + b._f(x),
            mp=lambda x: a._mp(x) + b._mp(x),
            expr=lambda: a.expr + b.expr,
            omega=lambda h: _up(a._omega(h) + b._omega(h)),
            lipschitz=lipschitz,
            bounds=(_down(a._lo + b._lo), _up(a._hi + b._hi)),
            scale=a._scale + b._scale,
        )

    def __mul__(self, other: ContinuousFunction) -> ContinuousFunction:
        if not isinstance(other, ContinuousFunction):
            return NotImplemented
        self._check_same_domain(other)
        a, b = self, other
        na, nb = a.sup_norm, b.sup_norm
        lipschitz = None
        if a._lipschitz is not None and b._lipschitz is not None:
            lipschitz = _up(na * b._lipschitz + nb * a._lipschitz)
        corners = [a._lo * b._lo, a._lo * b._hi, a._hi * b._lo, a._hi * b._hi]
        return ContinuousFunction(
            family="product",
            source=f"({a!r} * {b!r})",
            domain=a._domain,
            f=lambda x: a._f(x) * b._f(x),
            mp=lambda x: a._mp(x) * b._mp(x),
            expr=lambda: a.expr * b.expr,
            omega=lambda h: _up(na * b._omega(h) + nb * a._omega(h)),
            lipschitz=lipschitz,
            bounds=(_down(min(corners)), _up(max(corners))),
            scale=na * b._scale + nb * a._scale + na * nb,
        )


def piecewise_linear(
    *, knots: Sequence[Number], values: Sequence[Number], domain: Sequence[Number] = (0, 1)
) -> ContinuousFunction:
    """The continuous piecewise-linear function through ``(knots[i], values[i])``.

    Constant (``values[0]``, ``values[-1]``) to the left of the first and right of the
    last knot. Modulus ``min(L h, max(values) - min(values))`` with ``L`` the largest
    absolute slope.

    Args:
        knots: strictly increasing points of the domain (at least one).
        values: one value per knot.
        domain: the interval ``(a, b)``.

    Examples:
        >>> hat = piecewise_linear(knots=(0, Fraction(1, 2), 1), values=(0, 1, 0))
        >>> hat.expr  # on the domain [0, 1]
        2*x - 4*Max(0, x - 1/2)
        >>> [round(v, 9) for v in (hat.lipschitz, hat.modulus(0.1), hat.modulus(3.0))]
        [2.0, 0.2, 1.0]
    """
    dom = _rational_domain(domain)
    if isinstance(knots, (str, bytes)) or not isinstance(knots, Sequence) or not knots:
        fail("knots", knots, "a non-empty sequence of strictly increasing real numbers")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail("values", values, "a sequence of real numbers, one per knot")
    ts = [check_rational(f"knots[{i}]", t) for i, t in enumerate(knots)]
    ys = [check_rational(f"values[{i}]", y) for i, y in enumerate(values)]
    if len(ys) != len(ts):
        fail("values", values, f"one value per knot ({len(ts)} values)")
    for i in range(1, len(ts)):
        if not ts[i - 1] < ts[i]:
            fail("knots", knots, f"strictly increasing knots; knots[{i - 1}] >= knots[{i}]")
    if not (dom[0] <= ts[0] and ts[-1] <= dom[1]):
        fail("knots", knots, f"knots inside domain={domain!r}")
    slopes = [(ys[i + 1] - ys[i]) / (ts[i + 1] - ts[i]) for i in range(len(ts) - 1)]
    lip = float(max((abs(s) for s in slopes), default=Fraction(0)))
    lo, hi = float(min(ys)), float(max(ys))
    t_float = np.array([float(t) for t in ts])
    y_float = np.array([float(y) for y in ys])

    def evaluate(x: FloatArray) -> FloatArray:
        return np.asarray(np.interp(x, t_float, y_float), dtype=np.float64)

    def evaluate_mp(x: Any) -> Any:
        if x <= _mp(ts[0]):
            return _mp(ys[0])
        if x >= _mp(ts[-1]):
            return _mp(ys[-1])
        k = max(0, bisect.bisect_right([_mp(t) for t in ts], x) - 1)
        return _mp(ys[k]) + _mp(slopes[k]) * (x - _mp(ts[k]))

    def expr() -> Any:
        change = [*slopes, Fraction(0)]
        terms = sympy.Rational(ys[0].numerator, ys[0].denominator)
        previous = Fraction(0)
        for t, s in zip(ts, change, strict=True):
            jump = s - previous
            previous = s
            if not jump or t == dom[1]:  # max(0, x - b) vanishes on the domain
                continue
            shift = _X - sympy.Rational(t.numerator, t.denominator)
            ramp = shift if t == dom[0] else sympy.Max(0, shift)  # x - a >= 0 on the domain
            terms += sympy.Rational(jump.numerator, jump.denominator) * ramp
        return terms

    span = max(abs(float(dom[0])), abs(float(dom[1])))
    return ContinuousFunction(
        family="piecewise_linear",
        source=(
            f"piecewise_linear(knots={_fmt_tuple(ts)}, values={_fmt_tuple(ys)}"
            f"{_domain_source(dom)})"
        ),
        domain=dom,
        f=evaluate,
        mp=evaluate_mp,
        expr=expr,
        omega=lambda h: _up(lip * h) if lip else 0.0,
        lipschitz=_up(lip),
        bounds=(_down(lo), _up(hi)),
        scale=max(abs(lo), abs(hi)) + lip * span + 1.0,
    )


def trigonometric_polynomial(
    *,
    constant: Number = 0,
    cos: Sequence[Number] = (),
    sin: Sequence[Number] = (),
    domain: Sequence[Number] = (0, 1),
) -> ContinuousFunction:
    """``constant + sum_k cos[k-1] cos(k pi t) + sin[k-1] sin(k pi t)``, ``t = (x - a)/(b - a)``.

    With ``R_k = sqrt(cos[k-1]**2 + sin[k-1]**2)`` the modulus is
    ``sum_k R_k min(k pi h / (b - a), 2)`` and the Lipschitz constant
    ``sum_k k pi R_k / (b - a)``.

    Args:
        constant: the constant term.
        cos: coefficients of ``cos(pi t), cos(2 pi t), ...``.
        sin: coefficients of ``sin(pi t), sin(2 pi t), ...``.
        domain: the interval ``(a, b)``.

    Examples:
        >>> g = trigonometric_polynomial(constant=1, sin=(0, Fraction(1, 2)))
        >>> g.expr
        sin(2*pi*x)/2 + 1
        >>> [round(v, 9) for v in g.bounds]
        [0.5, 1.5]
    """
    dom = _rational_domain(domain)
    c0 = check_rational("constant", constant)
    for name, seq in (("cos", cos), ("sin", sin)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            fail(name, seq, "a sequence of real numbers")
    alphas = [check_rational(f"cos[{i}]", v) for i, v in enumerate(cos)]
    betas = [check_rational(f"sin[{i}]", v) for i, v in enumerate(sin)]
    degree = max(len(alphas), len(betas))
    alphas += [Fraction(0)] * (degree - len(alphas))
    betas += [Fraction(0)] * (degree - len(betas))
    radii = [_up(math.hypot(float(p), float(q))) for p, q in zip(alphas, betas, strict=True)]
    a, b = dom
    length = float(b - a)
    total = _up(sum(radii))
    lip = _up(sum((k + 1) * math.pi * r for k, r in enumerate(radii)) / length)
    a_f = float(a)
    al_f = [float(v) for v in alphas]
    be_f = [float(v) for v in betas]

    def evaluate(x: FloatArray) -> FloatArray:
        t = (x - a_f) / length
        out = np.full_like(t, float(c0))
        for k in range(degree):
            angle = (k + 1) * np.pi * t
            out = out + al_f[k] * np.cos(angle) + be_f[k] * np.sin(angle)
        return out

    def evaluate_mp(x: Any) -> Any:
        t = (x - _mp(a)) / _mp(b - a)
        out = _mp(c0)
        for k in range(degree):
            angle = (k + 1) * mpmath.pi * t
            out += _mp(alphas[k]) * mpmath.cos(angle) + _mp(betas[k]) * mpmath.sin(angle)
        return out

    def expr() -> Any:
        if dom == (Fraction(0), Fraction(1)):
            t: Any = _X
        else:
            t = (_X - sympy.Rational(a.numerator, a.denominator)) / sympy.Rational(
                (b - a).numerator, (b - a).denominator
            )
        out = sympy.Rational(c0.numerator, c0.denominator)
        for k in range(degree):
            angle = (k + 1) * sympy.pi * t
            p, q = alphas[k], betas[k]
            out += sympy.Rational(p.numerator, p.denominator) * sympy.cos(angle)
            out += sympy.Rational(q.numerator, q.denominator) * sympy.sin(angle)
        return out

    def omega(h: float) -> float:
        return _up(sum(r * min((k + 1) * math.pi * h / length, 2.0) for k, r in enumerate(radii)))

    parts = []
    if c0:
        parts.append(f"constant={_fmt(c0)}")
    if any(alphas):
        parts.append(f"cos={_fmt_tuple(_trim(alphas))}")
    if any(betas):
        parts.append(f"sin={_fmt_tuple(_trim(betas))}")
    if dom != (Fraction(0), Fraction(1)):
        parts.append(_domain_source(dom).removeprefix(", "))
    source = f"trigonometric_polynomial({', '.join(parts)})"
    span = max(abs(float(a)), abs(float(b))) / length
    return ContinuousFunction(
        family="trigonometric",
        source=source,
        domain=dom,
        f=evaluate,
        mp=evaluate_mp,
        expr=expr,
        omega=omega,
        lipschitz=lip,
        bounds=(_down(float(c0) - total), _up(float(c0) + total)),
        scale=abs(float(c0)) + total + lip * length * (span + 1.0),
    )


def _trim(values: list[Fraction]) -> list[Fraction]:
    out = list(values)
    while out and out[-1] == 0:
        out.pop()
    return out


def holder_function(
    *, c: Number, x0: Number, alpha: Number, domain: Sequence[Number] = (0, 1)
) -> ContinuousFunction:
    """``c * |x - x0| ** alpha`` with ``0 < alpha < 1``: Hölder, not Lipschitz at ``x0``.

    Modulus ``|c| min(h, D) ** alpha`` with ``D = max(x0 - a, b - x0)``, because
    ``t -> t**alpha`` is subadditive. The Lipschitz constant is ``None``.

    Args:
        c: the factor (any real number).
        x0: the singular point, in the domain and exactly representable as a float
            (so that the float evaluation ``.f`` is accurate next to ``x0``).
        alpha: the exponent, a rational number with ``0 < alpha < 1``.
        domain: the interval ``(a, b)``.

    Examples:
        >>> g = holder_function(c=-1, x0=0, alpha=Fraction(1, 3))
        >>> g.expr, g.bounds
        (-Abs(x)**(1/3), (-1.0000000000009095, 0.0))
        >>> holder_function(c=1, x0=Fraction(1, 3), alpha=Fraction(1, 2))
        Traceback (most recent call last):
        ...
        reluapprox.errors.InvalidArgument: x0=Fraction(1, 3) is invalid: expected a point of the ...
    """
    dom = _rational_domain(domain)
    cq = check_rational("c", c)
    xq = check_rational("x0", x0)
    aq = check_rational("alpha", alpha)
    if not 0 < aq < 1:
        fail("alpha", alpha, "a rational number with 0 < alpha < 1")
    if not (dom[0] <= xq <= dom[1]) or Fraction(float(xq)) != xq:
        fail(
            "x0",
            x0,
            "a point of the domain that is exactly a float (a dyadic rational such as 3/8)",
        )
    reach = float(max(xq - dom[0], dom[1] - xq))
    af, cf, xf = float(aq), float(cq), float(xq)
    peak = _up(abs(cf) * reach**af)
    bounds = (0.0, peak) if cq >= 0 else (-peak, 0.0)

    def evaluate(x: FloatArray) -> FloatArray:
        return cf * np.abs(x - xf) ** af

    def evaluate_mp(x: Any) -> Any:
        distance = abs(x - _mp(xq))
        if distance == 0:
            return mpmath.mpf(0)
        return _mp(cq) * distance ** _mp(aq)

    def expr() -> Any:
        return sympy.Rational(cq.numerator, cq.denominator) * sympy.Abs(
            _X - sympy.Rational(xq.numerator, xq.denominator)
        ) ** sympy.Rational(aq.numerator, aq.denominator)

    return ContinuousFunction(
        family="holder",
        source=(
            f"holder_function(c={_fmt(cq)}, x0={_fmt(xq)}, alpha={_fmt(aq)}{_domain_source(dom)})"
        ),
        domain=dom,
        f=evaluate,
        mp=evaluate_mp,
        expr=expr,
        omega=lambda h: _up(abs(cf) * min(h, reach) ** af),
        lipschitz=None,
        bounds=bounds,
        scale=peak + 1.0,
    )


def compose(outer: Outer, inner: ContinuousFunction) -> ContinuousFunction:
    """``outer(inner(x))`` for ``outer`` in :data:`OUTER_FUNCTIONS`.

    With ``[lo, hi]`` the range enclosure of ``inner``, the modulus is
    ``omega_outer(omega_inner(h))`` where ``omega_outer`` is the outer function's modulus
    on ``[lo, hi]``: ``exp(hi) * (1 - exp(-d))`` for ``exp``, ``min(d, 2)`` for ``sin``,
    ``3 sqrt(3)/8 * d`` for ``rational`` (``1 / (1 + u**2)``).

    Args:
        outer: ``"exp"``, ``"sin"`` or ``"rational"``.
        inner: the inner function; for ``"exp"`` its range bound must stay below
            :data:`MAX_EXP_ARGUMENT`.

    Examples:
        >>> u = trigonometric_polynomial(sin=(1,))
        >>> compose("rational", u).expr
        1/(sin(pi*x)**2 + 1)
        >>> compose("exp", u)
        compose("exp", trigonometric_polynomial(sin=(1,)))
    """
    check_choice("outer", outer, OUTER_FUNCTIONS)
    if not isinstance(inner, ContinuousFunction):
        fail("inner", inner, "a ContinuousFunction (from continuous_functions() or a builder)")
    lo, hi = inner.bounds
    lip_in = inner._lipschitz
    big = max(abs(lo), abs(hi))
    small = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    if outer == "exp":
        if big > MAX_EXP_ARGUMENT:
            fail("inner", inner, f"a function with |values| <= {MAX_EXP_ARGUMENT} for exp")
        top = _up(math.exp(hi))
        bounds = (_down(math.exp(lo)), top)
        lip_out = top

        def f_out(u: FloatArray) -> FloatArray:
            return np.exp(u)

        def mp_out(u: Any) -> Any:
            return mpmath.exp(u)

        def omega_out(d: float) -> float:
            return top * -math.expm1(-d) if d < math.inf else top

        def expr_out(u: Any) -> Any:
            return sympy.exp(u)

    elif outer == "sin":
        edge = min(1.0, big)
        bounds, lip_out = (-edge, edge), 1.0

        def f_out(u: FloatArray) -> FloatArray:
            return np.sin(u)

        def mp_out(u: Any) -> Any:
            return mpmath.sin(u)

        def omega_out(d: float) -> float:
            return min(d, 2.0)

        def expr_out(u: Any) -> Any:
            return sympy.sin(u)

    else:
        bounds = (_down(1.0 / (1.0 + big * big)), _up(1.0 / (1.0 + small * small)))
        lip_out = _up(RATIONAL_LIPSCHITZ)

        def f_out(u: FloatArray) -> FloatArray:
            return 1.0 / (1.0 + u * u)

        def mp_out(u: Any) -> Any:
            return 1 / (1 + u * u)

        def omega_out(d: float) -> float:
            return lip_out * d

        def expr_out(u: Any) -> Any:
            return 1 / (1 + u**2)

    lipschitz = None if lip_in is None else _up(lip_out * lip_in)
    return ContinuousFunction(
        family="composition",
        source=f'compose("{outer}", {inner!r})',
        domain=inner._domain,
        f=lambda x: f_out(inner._f(x)),
        mp=lambda x: mp_out(inner._mp(x)),
        expr=lambda: expr_out(inner.expr),
        omega=lambda h: _up(omega_out(inner._omega(h))),
        lipschitz=lipschitz,
        bounds=bounds,
        scale=lip_out * inner._scale + max(abs(bounds[0]), abs(bounds[1])),
    )


#: :func:`small_rationals` enumerates its values (simplest first) when there are at most
#: this many; beyond, it draws a denominator and then a numerator.
MAX_ENUMERATED_RATIONALS = 20_000


def _simplest_first(lo: Fraction, hi: Fraction, max_denominator: int) -> list[Fraction] | None:
    """Every fraction in ``[lo, hi]`` with denominator <= ``max_denominator``, simplest first.

    ``None`` when there are more than :data:`MAX_ENUMERATED_RATIONALS`.
    """
    total = sum(int((hi - lo) * d) + 1 for d in range(1, max_denominator + 1))
    if total > MAX_ENUMERATED_RATIONALS:
        return None
    found: set[Fraction] = set()
    for d in range(1, max_denominator + 1):
        first = math.ceil(lo * d)
        last = math.floor(hi * d)
        found.update(Fraction(n, d) for n in range(first, last + 1))
    return sorted(found, key=lambda q: (q.denominator, abs(q), q < 0))


def _fractions(lo: Fraction, hi: Fraction, max_denominator: int) -> st.SearchStrategy[Fraction]:
    """Like :func:`hypothesis.strategies.fractions`, several times faster (no flatmap)."""
    denominators = st.integers(min_value=1, max_value=max_denominator)
    # the fraction closest to the midpoint lies in [lo, hi] if any fraction does
    fallback = ((lo + hi) / 2).limit_denominator(max_denominator)
    if not lo <= fallback <= hi:
        fail("max_denominator", max_denominator, f"a denominator with a fraction in [{lo}, {hi}]")

    @st.composite
    def build(draw: st.DrawFn) -> Fraction:
        d = draw(denominators)
        first, last = math.ceil(lo * d), math.floor(hi * d)
        if first > last:  # no multiple of 1/d in range
            return fallback
        return Fraction(draw(st.integers(min_value=first, max_value=last)), d)

    return build()


def plot_modulus(
    functions: Sequence[ContinuousFunction],
    path: str | Path,
    *,
    labels: Sequence[str] | None = None,
    pairs: int = 4000,
    seed: int = 0,
) -> Path:
    """Log-log plot of sampled ``|g(x) - g(y)|`` against ``h = |x - y|`` and ``g.modulus(h)``.

    One panel per function. The samples are float evaluations at random pairs
    ``(x, x + h)`` with ``h`` log-uniform between ``1e-8 (b - a)`` and ``b - a``; half of
    them start on the grid ``a + (b - a) k / 64``, where the kinks and Hölder points of
    the strategy's functions lie. An illustration, not a check: the property
    ``strategies.modulus_is_valid`` checks in 40-digit arithmetic.

    Args:
        functions: the functions, one panel each (1 to 6).
        path: the PNG file to write.
        labels: panel titles (default: each function's family).
        pairs: random pairs per panel (>= 10).
        seed: seed of the pairs.

    Returns:
        The path of the PNG.
    """
    from reluapprox.plotting import new_figure, save_figure

    if isinstance(functions, ContinuousFunction) or not isinstance(functions, Sequence):
        fail("functions", functions, "a sequence of 1 to 6 ContinuousFunction objects")
    if not 1 <= len(functions) <= 6 or not all(
        isinstance(g, ContinuousFunction) for g in functions
    ):
        fail("functions", functions, "a sequence of 1 to 6 ContinuousFunction objects")
    titles = [g.family for g in functions] if labels is None else list(labels)
    if len(titles) != len(functions) or not all(isinstance(t, str) for t in titles):
        fail("labels", labels, f"{len(functions)} strings, one per function")
    check_positive_int("pairs", pairs, minimum=10)
    if isinstance(seed, bool) or not isinstance(seed, int):
        fail("seed", seed, "an integer")
    rng = np.random.default_rng(seed)
    figure = new_figure(ncols=len(functions), size=(4.0 * len(functions), 3.4))
    for axis, g, title in zip(figure.axes, functions, titles, strict=True):
        a, b = g.domain
        x = rng.uniform(a, b, pairs)
        x[::2] = a + (b - a) * rng.integers(0, 65, x[::2].size) / 64  # kinks, Hölder points
        y = np.clip(x + (b - a) * 10.0 ** rng.uniform(-8, 0, pairs), a, b)
        h = np.abs(y - x)
        difference = np.abs(g.f(x) - g.f(y))
        shown = (h > 0) & (difference > 0)
        steps = (b - a) * np.logspace(-8, 0, 200)
        axis.loglog(steps, [g.modulus(float(t)) for t in steps], "r-", lw=2.5, label="g.modulus(h)")
        axis.loglog(
            h[shown], difference[shown], ".", ms=2, alpha=0.5, zorder=3, label="|g(x) - g(y)|"
        )
        if g.lipschitz is not None:
            axis.loglog(steps, g.lipschitz * steps, "k:", lw=1, label="g.lipschitz * h")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("h = |x - y|")
        axis.legend(fontsize=7, loc="lower right")
    figure.axes[0].set_ylabel("|g(x) - g(y)|")
    return save_figure(figure, path)


def small_rationals(
    *, min_value: int | Fraction = -10, max_value: int | Fraction = 10, max_denominator: int = 12
) -> st.SearchStrategy[Fraction]:
    """Fractions in ``[min_value, max_value]`` with denominator at most ``max_denominator``.

    Shrinks toward the simplest value: small denominator, then small absolute value.

    Examples:
        >>> from hypothesis import find
        >>> find(small_rationals(min_value=-1, max_value=1, max_denominator=4), lambda q: q < 0)
        Fraction(-1, 1)
    """
    lo = check_rational("min_value", min_value)
    hi = check_rational("max_value", max_value)
    if not lo <= hi:
        fail("max_value", max_value, f"a number >= min_value={min_value!r}")
    check_positive_int("max_denominator", max_denominator)
    values = _simplest_first(lo, hi, max_denominator)
    if values is None:
        return _fractions(lo, hi, max_denominator)
    if not values:
        fail("max_denominator", max_denominator, f"a denominator with a fraction in [{lo}, {hi}]")
    return st.sampled_from(values)


def _piecewise_linear_functions(
    dom: tuple[Fraction, Fraction],
) -> st.SearchStrategy[ContinuousFunction]:
    a, b = dom
    interior = st.lists(
        small_rationals(min_value=Fraction(1, 16), max_value=Fraction(15, 16), max_denominator=16),
        max_size=4,
        unique=True,
    )
    value = small_rationals(min_value=-2, max_value=2, max_denominator=8)

    @st.composite
    def build(draw: st.DrawFn) -> ContinuousFunction:
        inner = sorted(draw(interior))
        knots = [a, *(a + (b - a) * t for t in inner), b]
        values = [draw(value) for _ in knots]
        return piecewise_linear(knots=knots, values=values, domain=dom)

    return build()


def _trigonometric_polynomials(
    dom: tuple[Fraction, Fraction],
) -> st.SearchStrategy[ContinuousFunction]:
    coefficient = small_rationals(min_value=-1, max_value=1, max_denominator=4)

    degrees = st.integers(min_value=1, max_value=3)

    @st.composite
    def build(draw: st.DrawFn) -> ContinuousFunction:
        degree = draw(degrees)
        return trigonometric_polynomial(
            constant=draw(coefficient),
            cos=[draw(coefficient) for _ in range(degree)],
            sin=[draw(coefficient) for _ in range(degree)],
            domain=dom,
        )

    return build()


def _holder_functions(dom: tuple[Fraction, Fraction]) -> st.SearchStrategy[ContinuousFunction]:
    a, b = dom
    lo_float = a if Fraction(float(a)) == a else Fraction(math.nextafter(float(a), math.inf))
    hi_float = b if Fraction(float(b)) == b else Fraction(math.nextafter(float(b), -math.inf))

    position = small_rationals(min_value=0, max_value=1, max_denominator=8)
    factor = small_rationals(min_value=-2, max_value=2, max_denominator=4)
    exponent = st.sampled_from([Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(1, 4)])

    @st.composite
    def build(draw: st.DrawFn) -> ContinuousFunction:
        t = draw(position)
        x0 = min(max(Fraction(float(a + (b - a) * t)), lo_float), hi_float)
        return holder_function(c=draw(factor), x0=x0, alpha=draw(exponent), domain=dom)

    return build()


_OUTERS = st.sampled_from(["sin", "exp", "rational"])


@st.composite
def _compositions(
    draw: st.DrawFn, children: st.SearchStrategy[ContinuousFunction]
) -> ContinuousFunction:
    outer = draw(_OUTERS)
    inner = draw(children)
    if outer == "exp" and inner.sup_norm > 4:
        outer = "sin"  # keep exp(u) moderate: its modulus grows like exp(max u)
    return compose(outer, inner)  # type: ignore[arg-type]


def continuous_functions(
    *,
    domain: Sequence[Number] = (0, 1),
    families: Sequence[str] = FAMILIES,
    max_leaves: int = 3,
) -> st.SearchStrategy[ContinuousFunction]:
    """Random continuous functions on ``domain`` with proved moduli of continuity.

    Leaves are drawn from the families piecewise-linear (listed first, so failures
    shrink to them, and to the zero function), trigonometric polynomial and Hölder
    ``c |x - x0|^alpha``; combinators build compositions (``exp``, ``sin``,
    ``1/(1 + u^2)``), sums and products of up to ``max_leaves`` leaves.

    Every example is a :class:`ContinuousFunction` with ``.f`` (float64, vectorised),
    ``.domain``, ``.modulus(h)``, ``.lipschitz`` (None for Hölder leaves), ``.expr``
    (sympy) and ``.evaluate_mp(x)`` (mpmath).

    Args:
        domain: the interval ``(a, b)``, finite with ``a < b``.
        families: which of :data:`FAMILIES` to use; at least one leaf family.
        max_leaves: most leaf functions in one example (1 gives leaves only).

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=20)
        ... @given(continuous_functions(domain=(-1, 2)))
        ... def test_modulus_at_the_ends(g):
        ...     a, b = g.domain
        ...     assert abs(g.f(b) - g.f(a)) <= g.modulus(b - a)
        >>> test_modulus_at_the_ends()
    """
    dom = _rational_domain(domain)
    if isinstance(families, (str, bytes)) or not isinstance(families, Sequence) or not families:
        fail("families", families, "a non-empty sequence of names from " + ", ".join(FAMILIES))
    for i, name in enumerate(families):
        check_choice(f"families[{i}]", name, FAMILIES)
    leaves = [name for name in _LEAVES if name in families]
    if not leaves:
        fail("families", families, "at least one leaf family of " + ", ".join(_LEAVES))
    check_positive_int("max_leaves", max_leaves)
    builders = {
        "piecewise_linear": _piecewise_linear_functions,
        "trigonometric": _trigonometric_polynomials,
        "holder": _holder_functions,
    }
    base = st.one_of([builders[name](dom) for name in leaves])
    combinators = [name for name in FAMILIES[3:] if name in families]
    if max_leaves == 1 or not combinators:
        return base

    def extend(
        children: st.SearchStrategy[ContinuousFunction],
    ) -> st.SearchStrategy[ContinuousFunction]:
        options: list[st.SearchStrategy[ContinuousFunction]] = []
        if "composition" in combinators:
            options.append(_compositions(children))
        if "sum" in combinators:
            options.append(st.builds(lambda f, g: f + g, children, children))
        if "product" in combinators:
            options.append(st.builds(lambda f, g: f * g, children, children))
        return st.one_of(options)

    return st.recursive(base, extend, max_leaves=max_leaves)


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
    rational = _fractions(Fraction(min_value), Fraction(max_value), 64)
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
