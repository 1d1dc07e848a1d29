"""Ball-arithmetic (Arb) enclosures of expressions and of their first two derivatives.

The fast kernel of :class:`~reluapprox.certify.CellCertifier`. An expression is
compiled once into Python closures over python-flint's ``arb`` balls (midpoint and
radius, every operation rounded outward, at :data:`ARB_PRECISION` bits) in two forms:

- *ball* form: ``g(X)`` for a ball ``X``, an enclosure of the values of ``g`` on
  ``X`` (node values, oscillation bounds, the jump probe);
- *jet* form: ``(c_0, c_1, c_2)``, balls containing ``g``, ``g'`` and ``g''/2`` at
  every point of ``X`` at once (Taylor-mode automatic differentiation to order 2:
  each node applies the chain rule with its own first and second derivatives,
  enclosed on the ball of its argument; ``tanh'' = -2 tanh (1 - tanh^2)``, etc.).

A node of the jet form is applied only where it is proved twice differentiable on
the ball of its argument: ``sqrt``, ``log`` and non-integer powers need an argument
proved > 0, negative powers one proved nonzero, ``abs`` and ``sign`` one of proved
sign, ``max`` and ``min`` arguments of proved order; otherwise the node refuses,
and a pole of ``tan`` gives a non-finite ball. So a *finite* jet proves that ``g``
is twice continuously differentiable on ``X`` (the hypothesis of the C^2 bound) and
encloses ``g''`` there; no separate smoothness check is needed.

Every method returns ``None`` instead of a ball that is undefined (NaN), infinite,
or too wide to be useful (see the methods); :class:`~reluapprox.certify.CellCertifier`
then falls back to the mpmath interval kernel of :mod:`reluapprox.certify`, which
keeps endpoint information that balls lose on wide cells (``1/(1 + exp(40 sin 12x))``
on ``[0.2, 0.25]`` is NaN in Arb) and implements the semantics of undefined points.

Examples:
    >>> import sympy as sp
    >>> from reluapprox.expr import SYMBOL as x
    >>> kernel = ArbKernel(sp.exp(3 * x))
    >>> g, d1, half_d2 = kernel.jet(0.0, 0.001)
    >>> bool(half_d2.lower() >= 4.49), bool(half_d2.upper() <= 4.5 * 1.0031)  # 9/2 e^(3x)
    (True, True)
    >>> kernel.ball(0.0, 1.0) is not None, ArbKernel(sp.sqrt(x)).jet(0.0, 1.0)
    (True, None)

References:
    F. Johansson, *Arb: efficient arbitrary-precision midpoint-radius interval
    arithmetic*, IEEE Transactions on Computers 66 (2017) 1281-1292.
    L. B. Rall, G. F. Corliss, *An introduction to automatic differentiation*, in
    Computational Differentiation, SIAM 1996 (Taylor-mode differentiation).
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import flint
import sympy as sp

from reluapprox.expr import SYMBOL

__all__ = [
    "ARB_PRECISION",
    "ARB_VALUE_RTOL",
    "PIECES",
    "PIECES_RTOL",
    "SPLIT_RTOL",
    "ArbKernel",
    "arb_down",
    "arb_up",
    "compile_ball",
    "compile_jet",
]

#: Working precision (bits) of the balls, as the mpmath kernel's.
ARB_PRECISION = 80

#: A node value whose ball radius exceeds this times ``max(1, |midpoint|)`` is
#: recomputed by the mpmath kernel (endpoint arithmetic may be tighter there).
ARB_VALUE_RTOL = 2.0**-60

_VALUE_BITS = -math.log2(ARB_VALUE_RTOL)

#: ``1 + 2**-50`` bounds the accumulated relative rounding error of five float
#: operations rounded to nearest (each at most ``2**-53``), away from underflow.
_FLOAT_MARGIN = 1 + 2.0**-50

#: Cells shorter than this (or ``g''`` larger than its inverse) use ball arithmetic
#: for the C^2 bound: there ``h * h`` may underflow and the margin would not hold.
_FLOAT_SAFE = 2.0**-400

_FLOAT_BIG = 2.0**1000

#: ``g''`` of at least this size goes through ball arithmetic (no float overflow).
_FLOAT_HUGE = 2.0**400

#: ``g''`` below this size goes through ball arithmetic as well (no underflow).
_FLOAT_TINY = 2.0**-400

#: :meth:`ArbKernel.chord_error` also encloses ``g''`` on the two halves of a cell
#: where its ball's radius exceeds this fraction of its midpoint.
SPLIT_RTOL = 2.0**-7

#: Where the radius exceeds this fraction, ``g''`` is also enclosed on
#: :data:`PIECES` equal pieces (near singular points such as ``|x - 1/3|**0.7``).
PIECES_RTOL = 2.0**-3

#: Pieces of a cell for the Peano bound of strongly varying ``g''``.
PIECES = 8

#: ``ulp(v) <= |v| * _ULP`` for normal floats ``v``.
_ULP = 2.0**-52

#: Added to float bounds whose products may have underflowed (two subnormal steps).
_UNDERFLOW = 1e-323

#: A function from a ball to a ball.
BallFunction = Callable[[Any], Any]


class _Refused(ArithmeticError):
    """A node cannot be evaluated on this ball (not smooth, or undefined)."""


def arb_up(value: Any) -> float:
    """The smallest float >= the upper end of the ball ``value`` (``inf`` if unbounded).

    Examples:
        >>> arb_up(flint.arb(1) / 3) > 1 / 3
        True
    """
    upper = value.upper()
    if not upper.is_finite():
        return math.inf
    result = float(upper)
    if result == -math.inf:
        return -sys.float_info.max
    if math.isfinite(result) and flint.arb(result) < upper:
        result = math.nextafter(result, math.inf)
    return result


def arb_down(value: Any) -> float:
    """The largest float <= the lower end of the ball ``value`` (``-inf`` if unbounded)."""
    lower = value.lower()
    if not lower.is_finite():
        return -math.inf
    result = float(lower)
    if result == math.inf:
        return sys.float_info.max
    if math.isfinite(result) and flint.arb(result) > lower:
        result = math.nextafter(result, -math.inf)
    return result + 0.0  # + 0.0: no -0.0


def _constant(value: Fraction) -> Any:
    if value.denominator == 1:
        return flint.arb(value.numerator)
    return flint.arb(value.numerator) / value.denominator


def _number(expr: sp.Expr) -> Any:
    """A ball containing the value of a constant subexpression (``None`` if refused)."""
    function = _compile_ball(expr)
    return function(flint.arb(0))


# ---------------------------------------------------------------- ball form


def _extremum_ball(us: list[Any], largest: bool) -> Any:
    result = us[0]
    for other in us[1:]:
        result = result.max(other) if largest else result.min(other)
    return result


_UNARY_BALL: dict[type, Callable[[Any], Any]] = {
    sp.exp: lambda u: u.exp(),
    sp.sin: lambda u: u.sin(),
    sp.cos: lambda u: u.cos(),
    sp.tan: lambda u: u.tan(),
    sp.atan: lambda u: u.atan(),
    sp.log: lambda u: u.log(),
    sp.tanh: lambda u: u.tanh(),
    sp.sinh: lambda u: u.sinh(),
    sp.cosh: lambda u: u.cosh(),
    sp.Abs: abs,
    sp.sign: lambda u: u.sgn(),
}


def compile_ball(expr: sp.Expr) -> BallFunction | None:
    """Compile ``expr`` into a function from a ball ``X`` to a ball containing ``g(X)``.

    ``None`` when ``expr`` has a node this module does not evaluate (the caller
    then uses the mpmath kernel for everything).

    Examples:
        >>> import sympy as sp
        >>> from reluapprox.expr import SYMBOL as x
        >>> f = compile_ball(sp.sin(x) ** 2 + sp.cos(x) ** 2)
        >>> f(flint.arb(2)).contains(1)
        True
    """
    try:
        return _compile_ball(expr)
    except _Refused:
        return None


def _leaf(expr: sp.Expr) -> Any:
    """The ball of a number or constant leaf (``None`` for other nodes)."""
    if isinstance(expr, sp.Rational):
        return _constant(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sp.Float):
        exact = sp.Rational(expr)
        return _constant(Fraction(int(exact.p), int(exact.q)))
    if expr is sp.pi:
        return flint.arb.pi()
    if expr is sp.E:
        return flint.arb(1).exp()
    if isinstance(expr, (sp.Symbol, sp.NumberSymbol)) and expr != SYMBOL:
        raise _Refused
    return None


def _compile_ball(expr: sp.Expr) -> BallFunction:
    if expr == SYMBOL:
        return lambda x: x
    leaf = _leaf(expr)
    if leaf is not None:
        return lambda x: leaf
    args = [_compile_ball(a) for a in expr.args]
    if isinstance(expr, sp.Add):

        def add(x: Any) -> Any:
            total = args[0](x)
            for term in args[1:]:
                total = total + term(x)
            return total

        return add
    if isinstance(expr, sp.Mul):

        def mul(x: Any) -> Any:
            total = args[0](x)
            for factor in args[1:]:
                total = total * factor(x)
            return total

        return mul
    if isinstance(expr, sp.Pow):
        base, exponent_f = args
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            if n >= 0:
                return lambda x: base(x) ** n
            return lambda x: 1 / base(x) ** (-n)
        if exponent == sp.Rational(1, 2):
            return lambda x: base(x).sqrt()
        if exponent.is_Rational:
            p = _constant(Fraction(int(exponent.p), int(exponent.q)))
            return lambda x: base(x) ** p
        return lambda x: (exponent_f(x) * base(x).log()).exp()
    for kind, op in _UNARY_BALL.items():
        if isinstance(expr, kind) and len(args) == 1:
            inner = args[0]
            return lambda x: op(inner(x))
    if isinstance(expr, (sp.Max, sp.Min)):
        largest = isinstance(expr, sp.Max)
        return lambda x: _extremum_ball([f(x) for f in args], largest)
    raise _Refused


# ---------------------------------------------------------------- jet form

#: ``(c0, c1, c2)``: balls containing ``u, u', u''/2`` of a subexpression ``u``.
Jet = tuple[Any, Any, Any]
JetFunction = Callable[[Jet], Jet]


def _chain(u: Jet, f0: Any, f1: Any, f2: Any) -> Jet:
    """``f(u)`` from ``f, f', f''`` at (the ball of) ``u``: Faa di Bruno to order 2."""
    return f0, f1 * u[1], f1 * u[2] + f2 * u[1] * u[1] / 2


def _positive(u: Jet) -> Any:
    """The ball of ``u``, which must be proved > 0 (sqrt, log, real powers)."""
    if not u[0] > 0:
        raise _Refused
    return u[0]


def _nonzero(u: Jet) -> Any:
    if not (u[0] > 0 or u[0] < 0):
        raise _Refused
    return u[0]


def _jet_exp(u: Jet) -> Jet:
    e = u[0].exp()
    return _chain(u, e, e, e)


def _jet_sin(u: Jet) -> Jet:
    s, c = u[0].sin_cos()
    return _chain(u, s, c, -s)


def _jet_cos(u: Jet) -> Jet:
    s, c = u[0].sin_cos()
    return _chain(u, c, -s, -c)


def _jet_tan(u: Jet) -> Jet:
    t = u[0].tan()
    d = 1 + t * t
    return _chain(u, t, d, 2 * t * d)


def _jet_atan(u: Jet) -> Jet:
    d = 1 / (1 + u[0] * u[0])
    return _chain(u, u[0].atan(), d, -2 * u[0] * d * d)


def _jet_tanh(u: Jet) -> Jet:
    t = u[0].tanh()
    d = 1 - t * t
    return _chain(u, t, d, -2 * t * d)


def _jet_sinh(u: Jet) -> Jet:
    s, c = u[0].sinh_cosh()
    return _chain(u, s, c, s)


def _jet_cosh(u: Jet) -> Jet:
    s, c = u[0].sinh_cosh()
    return _chain(u, c, s, c)


def _jet_log(u: Jet) -> Jet:
    v = _positive(u)
    r = 1 / v
    return _chain(u, v.log(), r, -r * r)


def _jet_abs(u: Jet) -> Jet:
    if u[0] > 0:
        return u
    if u[0] < 0:
        return -u[0], -u[1], -u[2]
    raise _Refused  # |u| is not smooth where u may vanish


def _jet_sign(u: Jet) -> Jet:
    zero = flint.arb(0)
    if u[0] > 0:
        return flint.arb(1), zero, zero
    if u[0] < 0:
        return flint.arb(-1), zero, zero
    raise _Refused


def _jet_power(u: Jet, p: Any) -> Jet:
    """``u**p`` for a non-integer exponent ``p``, where ``u > 0``.

    Each derivative is one power of the ball (``p (p - 1) u**(p - 2)``), not a
    product such as ``u**p * (1/u)**2`` whose factors vary in opposite directions
    on the ball (that product would overestimate).
    """
    v = _positive(u)
    return _chain(u, v**p, p * v ** (p - 1), p * (p - 1) * v ** (p - 2))


def _jet_pow_int(u: Jet, n: int) -> Jet:
    if n == 0:
        zero = flint.arb(0)
        return flint.arb(1), zero, zero
    if n == 1:
        return u
    if n == 2:
        return u[0] * u[0], 2 * u[0] * u[1], 2 * u[0] * u[2] + u[1] * u[1]
    if n < 0:
        _nonzero(u)
    v = u[0]
    return _chain(u, v**n, n * v ** (n - 1), n * (n - 1) * v ** (n - 2))


def _jet_mul(u: Jet, v: Jet) -> Jet:
    return (
        u[0] * v[0],
        u[0] * v[1] + u[1] * v[0],
        u[0] * v[2] + u[1] * v[1] + u[2] * v[0],
    )


def _jet_extremum(us: list[Jet], largest: bool) -> Jet:
    result = us[0]
    for other in us[1:]:
        if result[0] > other[0]:
            result = result if largest else other
        elif result[0] < other[0]:
            result = other if largest else result
        else:
            raise _Refused  # the arguments may cross: max/min is not smooth there
    return result


_UNARY_JET: dict[type, JetFunction] = {
    sp.exp: _jet_exp,
    sp.sin: _jet_sin,
    sp.cos: _jet_cos,
    sp.tan: _jet_tan,
    sp.atan: _jet_atan,
    sp.log: _jet_log,
    sp.tanh: _jet_tanh,
    sp.sinh: _jet_sinh,
    sp.cosh: _jet_cosh,
    sp.Abs: _jet_abs,
    sp.sign: _jet_sign,
}


def compile_jet(expr: sp.Expr) -> JetFunction | None:
    """Compile ``expr`` into a map of jets: ``(X, 1, 0)`` to balls of ``g, g', g''/2`` on ``X``.

    Each node applies the chain rule to order 2 with its own first and second
    derivatives, enclosed on the ball of its argument (Taylor-mode automatic
    differentiation). Nodes that are not twice differentiable on that ball refuse
    (an internal exception) or give a non-finite ball. ``None`` when ``expr`` has a
    node this module does not evaluate.

    Examples:
        >>> import sympy as sp
        >>> from reluapprox.expr import SYMBOL as x
        >>> f = compile_jet(x**3)
        >>> g, d1, half_d2 = f((flint.arb(2), flint.arb(1), flint.arb(0)))
        >>> g, d1, half_d2  # 8, 3 x^2 = 12, 6 x / 2 = 6
        (8.00000000000000, 12.0000000000000, 6.00000000000000)
    """
    try:
        return _compile_jet(expr)
    except _Refused:
        return None


def _compile_jet(expr: sp.Expr) -> JetFunction:
    if expr == SYMBOL:
        return lambda x: x
    if expr.is_number:
        value = _number(expr)
        zero = flint.arb(0)
        constant = (value, zero, zero)
        return lambda x: constant
    if isinstance(expr, sp.Add):
        constants = [a for a in expr.args if a.is_number]
        offset = _number(sp.Add(*constants)) if constants else None
        terms = [_compile_jet(a) for a in expr.args if not a.is_number]

        def add(x: Jet) -> Jet:
            c0, c1, c2 = terms[0](x)
            for term in terms[1:]:
                t0, t1, t2 = term(x)
                c0, c1, c2 = c0 + t0, c1 + t1, c2 + t2
            return (c0 if offset is None else c0 + offset), c1, c2

        return add
    if isinstance(expr, sp.Mul):
        constants = [a for a in expr.args if a.is_number]
        scale = _number(sp.Mul(*constants)) if constants else None
        factors = [_compile_jet(a) for a in expr.args if not a.is_number]

        def mul(x: Jet) -> Jet:
            total = factors[0](x)
            for factor in factors[1:]:
                total = _jet_mul(total, factor(x))
            if scale is None:
                return total
            return scale * total[0], scale * total[1], scale * total[2]

        return mul
    if isinstance(expr, sp.Pow):
        base = _compile_jet(expr.base)
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            return lambda x: _jet_pow_int(base(x), n)
        if exponent.is_number:
            p = _number(exponent)
            return lambda x: _jet_power(base(x), p)
        # u**v = exp(v log u)
        return _compile_jet(sp.exp(exponent * sp.log(expr.base)))
    args = [_compile_jet(a) for a in expr.args]
    for kind, op in _UNARY_JET.items():
        if isinstance(expr, kind) and len(args) == 1:
            inner = args[0]
            return lambda x: op(inner(x))
    if isinstance(expr, (sp.Max, sp.Min)):
        largest = isinstance(expr, sp.Max)
        return lambda x: _jet_extremum([f(x) for f in args], largest)
    raise _Refused


def _peano(first: float, second: float) -> float:
    """``(3 P + p)**2 / (128 P)``, rounded up, for ``P >= p`` the values ``max(P_j, 0)``.

    See :meth:`ArbKernel.chord_error`.
    """
    big, small = max(first, second, 0.0), max(min(first, second), 0.0)
    if big == 0:
        return 0.0
    if small == big:
        return big / 8 * _FLOAT_MARGIN
    total = (3 * big + small) * _FLOAT_MARGIN
    # at most big / 8 (small <= big): the margin covers the four roundings
    return min(big / 8, total * total / (128 * big)) * _FLOAT_MARGIN + 1e-323


def _peano_pieces(uppers: list[float]) -> float:
    """``max_x sum_j W_j(x) P_j / h**2`` for ``P_j = max(uppers[j], 0)`` on equal pieces.

    On ``k`` equal pieces of a cell scaled to ``[0, 1]`` the Peano weights are
    ``A_j = (2j + 1)/(2k**2)`` (pieces left of ``u``, times ``1 - u``) and
    ``B_j = (2k - 2j - 1)/(2k**2)`` (right of ``u``, times ``u``); on piece ``i`` the
    sum is the concave quadratic ``-P_i u**2/2 + (P_i/2 + R - L) u + L`` with
    ``L = sum_{j<i} P_j A_j - P_i (i/k)**2/2`` and
    ``R = sum_{j>i} P_j B_j - P_i ((k - 1 - i)/k)**2/2``. Its maximum on the piece is
    bounded by the vertex value where the vertex may lie on the piece, else by the
    larger end value. Evaluated in Arb at :data:`ARB_PRECISION` bits, rounded up.
    """
    k = len(uppers)
    if max(uppers) <= 0:
        return 0.0  # every P_j is 0: so is the sum (the common side of a convex cell)
    saved = flint.ctx.prec
    flint.ctx.prec = ARB_PRECISION
    try:
        p = [flint.arb(max(u, 0.0)) for u in uppers]
        worst = flint.arb(0)
        left_sum = flint.arb(0)  # sum_{j<i} P_j (2j + 1), accumulated in the order of j
        for i in range(k):
            if i:
                left_sum += p[i - 1] * (2 * i - 1)
            left = left_sum / (2 * k * k)
            right = sum((p[j] * (2 * k - 2 * j - 1) for j in range(i + 1, k)), flint.arb(0))
            big_l = left - p[i] * (i * i) / (2 * k * k)
            big_r = right / (2 * k * k) - p[i] * ((k - 1 - i) ** 2) / (2 * k * k)
            slope = p[i] / 2 + big_r - big_l
            start, end = flint.arb(i) / k, flint.arb(i + 1) / k

            def value(u: Any, i: int = i, slope: Any = slope, big_l: Any = big_l) -> Any:
                return -p[i] * u * u / 2 + slope * u + big_l

            best = value(start).union(value(end))
            if max(uppers[i], 0.0) > 0:
                vertex = slope / p[i]
                if not (vertex < start or vertex > end):  # the vertex may lie on the piece
                    best = best.union(big_l + slope * slope / (2 * p[i]))
            worst = worst.union(best)
        return arb_up(worst)
    finally:
        flint.ctx.prec = saved


def _second_bounds(lower: float, upper: float) -> tuple[float, float] | None:
    """Floats ``m <= g'' <= M`` from the float ends of the ball of ``g''/2``, or ``None``.

    ``None`` where ``g''`` is huge or tiny: there the caller uses ball arithmetic.
    """
    # float() of an exact ball end errs by less than 1 ulp: widen by 2 ulps
    m = 2 * (lower - abs(lower) * 2.0**-51 - 5e-324)
    big_m = 2 * (upper + abs(upper) * 2.0**-51 + 5e-324)
    if not -_FLOAT_HUGE < m <= big_m < _FLOAT_HUGE:
        return None
    # near underflow the float operations lose their relative accuracy: tiny g''
    # goes through ball arithmetic, and a tiny end is moved outward to +-_FLOAT_TINY
    if max(-m, big_m) < _FLOAT_TINY:
        return None
    if -_FLOAT_TINY < m < _FLOAT_TINY:
        m = -_FLOAT_TINY if m < 0 else 0.0
    if -_FLOAT_TINY < big_m < _FLOAT_TINY:
        big_m = _FLOAT_TINY if big_m > 0 else 0.0
    return m, big_m


_ONE = flint.arb(1)
_ZERO = flint.arb(0)


def _halves(a: float, b: float) -> list[tuple[float, float]]:
    """The two halves of ``[a, b]``, each widened by one float at the float midpoint
    (within 1 ulp of the exact one), so that they cover both exact halves."""
    middle = 0.5 * a + 0.5 * b
    return [(a, math.nextafter(middle, math.inf)), (math.nextafter(middle, -math.inf), b)]


def _ball(a: float, b: float) -> Any:
    """A ball containing ``[a, b]``: the float midpoint, the half-width rounded up."""
    if a == b:
        return flint.arb(a)
    if a > -_FLOAT_BIG and b < _FLOAT_BIG:
        mid = 0.5 * a + 0.5 * b
        # the half-width, the midpoint's rounding error (<= 1 ulp) and 1 ulp per
        # operation (any rounding mode), plus 2 subnormal steps
        rad = (0.5 * (b - a) + abs(mid) * 2.0**-51) * _FLOAT_MARGIN + 1e-323
        return flint.arb(mid, rad)
    return flint.arb(a).union(flint.arb(b))


class ArbKernel:
    """Arb enclosures of ``g`` (values on balls) and of ``g, g', g''/2`` (jets).

    Args:
        expr: a sympy expression in :data:`~reluapprox.expr.SYMBOL`.

    Attributes:
        supported: whether ``expr`` compiled and ``active`` is true (otherwise every
            method returns ``None``).
    """

    def __init__(self, expr: sp.Expr, *, active: bool = True) -> None:
        self._ball: BallFunction | None = None
        self._jet: JetFunction | None = None
        self.supported = False
        self._halves_first = False  # c2_bound: the last cell needed its halves
        if not active:
            return
        saved = flint.ctx.prec
        flint.ctx.prec = ARB_PRECISION  # constants are computed once, here
        try:
            self._ball = compile_ball(expr)
            self._jet = compile_jet(expr)
        finally:
            flint.ctx.prec = saved
        self.supported = self._ball is not None

    def _run(self, function: BallFunction | None, argument: Any) -> Any:
        if function is None:
            return None
        if flint.ctx.prec == ARB_PRECISION:  # inside precision()
            try:
                return function(argument)
            except (_Refused, ValueError, ZeroDivisionError):
                return None
        saved = flint.ctx.prec
        flint.ctx.prec = ARB_PRECISION
        try:
            return function(argument)
        except (_Refused, ValueError, ZeroDivisionError):
            return None
        finally:
            flint.ctx.prec = saved

    @contextlib.contextmanager
    def precision(self) -> Iterator[None]:
        """Work at :data:`ARB_PRECISION` bits for a while (saves a switch per call).

        Examples:
            >>> import sympy as sp
            >>> from reluapprox.expr import SYMBOL as x
            >>> kernel = ArbKernel(sp.exp(x))
            >>> with kernel.precision():
            ...     flint.ctx.prec
            80
            >>> flint.ctx.prec
            53
        """
        saved = flint.ctx.prec
        flint.ctx.prec = ARB_PRECISION
        try:
            yield
        finally:
            flint.ctx.prec = saved

    def ball(self, a: float, b: float) -> Any:
        """A finite ball containing ``g`` on ``[a, b]``, or ``None``."""
        value = self._run(self._ball, _ball(a, b))
        if value is None or not value.is_finite():
            return None
        return value

    def value(self, x: float) -> Any:
        """A finite ball containing ``g(x)`` with a radius of at most
        :data:`ARB_VALUE_RTOL` times ``max(1, |g(x)|)``, or ``None``."""
        value = self._run(self._ball, flint.arb(x))  # the ball of [x, x]
        if value is None or not value.is_finite():
            return None
        if value.rel_accuracy_bits() < _VALUE_BITS and value.rad() > ARB_VALUE_RTOL:
            return None
        return value

    def float_value(self, x: float, slack: float) -> tuple[float, float] | None:
        """A float ``v`` and radius ``r`` with ``|g(x) - v| <= r``, where the rounding of
        the midpoint to ``v`` costs at most ``slack``, or ``None``.

        ``v`` is the ball's midpoint rounded to a float (within one ulp,
        ``|v| 2**-52``, or ``2**-1074`` for subnormals), which must be at most
        ``slack``; ``r`` is the radius plus that, rounded up. ``None`` also where
        :meth:`value` would give ``None`` (no finite ball of the required accuracy)
        or outside :meth:`precision` (the caller then uses :meth:`value`).

        Examples:
            >>> import sympy as sp
            >>> from reluapprox.expr import SYMBOL as x
            >>> kernel = ArbKernel(sp.exp(x))
            >>> with kernel.precision():
            ...     v, r = kernel.float_value(1.0, 1e-15)
            >>> v, 0 < r < 1e-15
            (2.718281828459045, True)
        """
        function = self._ball
        if function is None or flint.ctx.prec != ARB_PRECISION:
            return None
        try:
            ball = function(flint.arb(x))
        except (_Refused, ValueError, ZeroDivisionError):
            return None
        near = float(ball.mid())
        rad = float(ball.rad())
        size = abs(near)
        # NaN and inf fail both tests; the accuracy test is value()'s, in floats
        if not (size * _ULP <= slack and rad <= ARB_VALUE_RTOL * (size if size > 1.0 else 1.0)):
            return None
        if rad == 0.0 and ball.rad().is_zero() and ball.mid() == near:
            return near, 0.0  # g(x) is this float (a polynomial at a dyadic x, zero)
        # float(rad) and near err by <= 1 ulp each; the margin also covers the
        # additions and the product
        return near, (rad + size * _ULP + _UNDERFLOW) * _FLOAT_MARGIN

    def jet(self, a: float, b: float) -> tuple[Any, Any, Any] | None:
        """Balls containing ``g``, ``g'`` and ``g''/2`` on ``[a, b]``, or ``None``.

        ``None`` also where the ``g''`` ball contains 0 with a nonzero radius: its
        sign is lost, and the mpmath kernel may still prove one.
        """
        found = self._jet_balls(a, b)
        if found is None:
            return None
        half_d2 = found[2]
        if half_d2.rad() > abs(half_d2.mid()):
            return None
        return found[0], found[1], half_d2

    def _jet_balls(self, a: float, b: float) -> tuple[Any, Any, Any] | None:
        """The finite balls of :meth:`jet`, also where ``g''``'s contains 0."""
        if self._jet is None:
            return None
        found = self._run(self._jet, (_ball(a, b), _ONE, _ZERO))
        if found is None or not (
            found[0].is_finite() and found[1].is_finite() and found[2].is_finite()
        ):
            return None
        return found  # type: ignore[no-any-return]

    def chord_error(
        self, a: float, b: float, *, expect: int | None = None
    ) -> tuple[float, float, int] | None:
        """Coefficients of ``-down h**2 <= g - chord <= up h**2`` and the sign of ``g''``.

        ``chord`` interpolates ``g`` exactly at ``a`` and ``b`` (``h = b - a``); the
        sign is ``+1`` or ``-1`` where the ``g''`` ball has one, else 0 (a ball that
        contains 0 is used as it is: where ``g''`` changes sign on the cell the
        mpmath kernel could not prove a sign either, and its fallback costs hundreds
        of balls; both ``down`` and ``up`` are then positive). By the Peano
        kernel, ``g(x) - chord(x) = -int G(x, s) g''(s) ds`` with ``G >= 0`` and
        ``int G(x, s) ds = (x - a)(b - x)/2``, so ``g''`` enclosed in ``[m, M]`` on the
        cell gives ``down = max(M, 0)/8`` and ``up = max(-m, 0)/8``. Where the ball
        is wider than :data:`SPLIT_RTOL` of its midpoint, ``g''`` is also enclosed on
        the two halves, ``[m_j, M_j]``; the kernel's weights on the halves,
        ``W_1(x) = (x - a)((b - x)/2 - h/8)`` and ``W_2(x) = (x - a) h/8`` for ``x``
        in the left half (symmetrically on the right), give
        ``max_x (W_1 P_1 + W_2 P_2) = h**2 (3 P + p)**2 / (128 P)`` for
        ``P_j = max(M_j, 0)``, ``P = max P_j``, ``p = min P_j``: about the mean of
        ``P_1, P_2`` instead of their maximum (the smaller coefficient is returned).
        Floats are rounded up by the margin ``2**-50`` (a few operations each).
        With ``expect``, a sign other than ``expect`` returns the whole cell's
        coefficients at once (for a caller that then only needs the sign).
        ``None`` where the jet has no finite balls or ``g''`` is huge or tiny (the
        caller then falls back).

        Examples:
            >>> import sympy as sp
            >>> from reluapprox.expr import SYMBOL as x
            >>> down, up, sign = ArbKernel(x**2).chord_error(0.0, 1.0)  # g'' = 2
            >>> 0.25 <= down <= 0.25 * (1 + 2**-45), up, sign
            (True, 0.0, 1)
            >>> down, up, sign = ArbKernel(x**4).chord_error(0.5, 1.0)  # g'' = 12 x**2
            >>> round(down, 3), up  # on 8 pieces; 1.19 on the halves, 12 / 8 on the cell
            (0.942, 0.0)
            >>> down, up, sign = ArbKernel(sp.sin(x)).chord_error(-1.0, 1.0)  # g'' = -sin x
            >>> round(down, 3), round(up, 3), sign  # both sides; sin(1) / 8 = 0.105 on the cell
            (0.033, 0.033, 0)
        """
        # _jet_balls, inlined: this is the hot path of the adaptive meshes
        jet = self._jet
        if jet is None:
            return None
        argument = (_ball(a, b), _ONE, _ZERO)
        if flint.ctx.prec == ARB_PRECISION:
            if self._halves_first:  # see c2_bound
                coefficients = self._halves_first_coefficients(a, b, expect)
                if coefficients is not None:
                    return coefficients
            try:
                found = jet(argument)
            except (_Refused, ValueError, ZeroDivisionError):
                return None
        else:
            found = self._run(jet, argument)
            if found is None:
                return None
        ball = found[2]
        if not (found[0].is_finite() and found[1].is_finite() and ball.is_finite()):
            return None
        return self._coefficients(ball, float(ball.lower()), float(ball.upper()), a, b, expect)

    def _coefficients(
        self, ball: Any, lower: float, upper: float, a: float, b: float, expect: int | None
    ) -> tuple[float, float, int] | None:
        """:meth:`chord_error` from the ball of ``g''/2`` on the whole cell (finite)
        and its ends as floats."""
        whole = _second_bounds(lower, upper)
        if whole is None:
            return None
        m, big_m = whole
        if lower > 0 or (lower == 0 and ball.lower() >= 0):
            sign = 1
        else:
            sign = -1 if upper < 0 or (upper == 0 and ball.upper() <= 0) else 0
        if upper - lower <= SPLIT_RTOL * abs(upper + lower):
            # the common case (radius <= SPLIT_RTOL |midpoint|): the whole cell only
            down = big_m / 8 * _FLOAT_MARGIN if big_m > 0 else 0.0
            return down, (-m / 8 * _FLOAT_MARGIN if m < 0 else 0.0), sign
        down, up = _peano(big_m, big_m), _peano(-m, -m)
        if expect is not None and sign != expect:
            return down, up, sign
        self._halves_first = True  # the next cell starts with its halves
        halves = self._seconds(_halves(a, b))
        if halves is not None:
            down = min(down, _peano(halves[0][1], halves[1][1]))
            up = min(up, _peano(-halves[0][0], -halves[1][0]))
        if upper - lower > PIECES_RTOL * abs(upper + lower):
            pieces = self._pieces(a, b)
            if pieces is not None:
                down = min(down, _peano_pieces([p[1] for p in pieces]))
                up = min(up, _peano_pieces([-p[0] for p in pieces]))
        return down, up, sign

    def _pieces(self, a: float, b: float) -> list[tuple[float, float]] | None:
        """Float enclosures of ``g''`` on :data:`PIECES` equal subcells of ``[a, b]``."""
        # the floats nearest to the exact cuts a + (b - a) j / PIECES (correctly rounded
        # integer division over a common power-of-two denominator), widened by one
        # float on each side
        (pa, qa), (pb, qb) = a.as_integer_ratio(), b.as_integer_ratio()
        q = max(qa, qb)
        big_a, big_b = pa * (q // qa), pb * (q // qb)
        cuts = [(big_a * (PIECES - j) + big_b * j) / (PIECES * q) for j in range(PIECES + 1)]
        last = PIECES - 1
        return self._seconds(
            [
                (
                    cuts[j] if j == 0 else math.nextafter(cuts[j], -math.inf),
                    cuts[j + 1] if j == last else math.nextafter(cuts[j + 1], math.inf),
                )
                for j in range(PIECES)
            ]
        )

    def _seconds(
        self, cells: list[tuple[float, float]], *, check_values: bool = False
    ) -> list[tuple[float, float]] | None:
        """Float bounds ``(m, M)`` of ``g''`` on each cell (``None`` if one has none);
        ``m < 0 < M`` where the ball contains 0. ``check_values``: also ``None`` where
        the ball of ``g`` or ``g'`` is not finite (cells not inside a checked cell)."""
        function = self._jet
        if function is None:
            return None
        fast = flint.ctx.prec == ARB_PRECISION  # _jet_balls, inlined
        found = []
        for a, b in cells:
            argument = (_ball(a, b), _ONE, _ZERO)
            if fast:
                try:
                    jet = function(argument)
                except (_Refused, ValueError, ZeroDivisionError):
                    return None
            else:
                jet = self._run(function, argument)
                if jet is None:
                    return None
            # non-finite ends fail _second_bounds (g and g' are checked on request: the
            # cells of the whole-cell path lie within a cell whose balls are finite)
            half = jet[2]
            second = _second_bounds(float(half.lower()), float(half.upper()))
            if second is None or (check_values and not (jet[0].is_finite() and jet[1].is_finite())):
                return None
            found.append(second)
        return found

    def _halves_first_coefficients(
        self, a: float, b: float, expect: int | None
    ) -> tuple[float, float, int] | None:
        """:meth:`chord_error` from the two halves of ``[a, b]`` alone, or ``None`` (then
        the whole-cell path runs).

        The union ``[m, M]`` of the halves' ``g''`` balls encloses ``g''`` on the cell:
        it gives the sign (``m > 0`` or ``M < 0``), and the halves give the Peano
        coefficients (at most those of the union on the whole cell). ``None`` where a
        half has no finite jet or ``g''`` no float bounds, and where the union is
        wider than half :data:`PIECES_RTOL` (the pieces may be needed); a union
        narrower than :data:`SPLIT_RTOL` ends the run of halves-first cells.
        """
        seconds = self._seconds(_halves(a, b), check_values=True)
        if seconds is None:
            self._halves_first = False
            return None
        (m1, big_m1), (m2, big_m2) = seconds
        m, big_m = min(m1, m2), max(big_m1, big_m2)
        # the float ends are already widened: only the relative width is tested here
        if big_m - m <= SPLIT_RTOL * abs(big_m + m):
            self._halves_first = False
        elif big_m - m > PIECES_RTOL / 2 * abs(big_m + m):
            # the union is about half as wide as the whole cell's ball, which would
            # take the pieces above PIECES_RTOL: the whole-cell path decides
            self._halves_first = False
            return None
        sign = 1 if m > 0 else (-1 if big_m < 0 else 0)
        if expect is not None and sign != expect:
            return _peano(big_m, big_m), _peano(-m, -m), sign
        return _peano(big_m1, big_m2), _peano(-m1, -m2), sign

    def c2_bound(self, a: float, b: float, radius: float) -> float | None:
        """``sup |g - chord| + radius`` on ``[a, b]`` from :meth:`chord_error`, rounded up.

        At most ``(b - a)**2 / 8 * sup |g''| + radius``; ``None`` where the jet has
        no finite balls (the caller falls back). The arithmetic after the
        coefficients is done in floats and rounded up by the relative margin
        ``2**-50`` per group of at most four operations, plus ``1e-323`` for
        products that may underflow; tiny cells and huge ``g''`` use ball arithmetic
        (the whole-cell ``sup |g''|``) instead.

        Where the last cell needed its halves (its ``g''`` ball was wider than
        :data:`SPLIT_RTOL`), the halves are enclosed first and their union stands for
        the whole cell, which saves one jet per cell on the runs of such cells (an
        adaptive mesh meets them in a few long runs, where ``g''`` is small or varies
        fast); the whole-cell path resumes at the first narrow union.
        """
        h = b - a
        if h > _FLOAT_SAFE:
            coefficients = None
            jet = self._jet  # chord_error, inlined: the hot path of the adaptive meshes
            if jet is not None and flint.ctx.prec == ARB_PRECISION:
                if self._halves_first:
                    coefficients = self._halves_first_coefficients(a, b, None)
                if coefficients is None:
                    try:
                        found = jet((_ball(a, b), _ONE, _ZERO))
                    except (_Refused, ValueError, ZeroDivisionError):
                        return None
                    if not (found[0].is_finite() and found[1].is_finite()):
                        return None
                    half = found[2]  # its finiteness: _second_bounds checks the float ends
                    lower, upper = float(half.lower()), float(half.upper())
                    # the common case, g'' of one sign known to SPLIT_RTOL: the whole
                    # cell's coefficient as chord_error gives it (the float end widened
                    # by 2 ulps)
                    if lower > _FLOAT_TINY and upper < _FLOAT_HUGE:
                        largest = upper
                    elif lower > -_FLOAT_HUGE and upper < -_FLOAT_TINY:
                        largest = -lower
                    else:
                        largest = 0.0
                    if largest and upper - lower <= SPLIT_RTOL * abs(upper + lower):
                        worst = largest + largest * 2.0**-51 + 5e-324
                        return (h * h * _FLOAT_MARGIN * (worst / 4 * _FLOAT_MARGIN) + radius) * (
                            _FLOAT_MARGIN
                        ) + _UNDERFLOW
                    coefficients = self._coefficients(half, lower, upper, a, b, None)
            else:
                coefficients = self.chord_error(a, b)
            if coefficients is not None:
                q = h * h * _FLOAT_MARGIN
                worst = max(coefficients[0], coefficients[1])
                return (q * worst + radius) * _FLOAT_MARGIN + (_UNDERFLOW if worst else 0.0)
        balls = self._jet_balls(a, b)
        if balls is None:
            return None
        saved = flint.ctx.prec
        flint.ctx.prec = ARB_PRECISION
        try:
            width = flint.arb(b) - flint.arb(a)
            return arb_up(width * width * balls[2].abs_upper() / 4 + radius)
        finally:
            flint.ctx.prec = saved
