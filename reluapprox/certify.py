"""Rigorous interval enclosures of expressions and per-cell interpolation error bounds.

An *enclosure* of ``g`` on ``[a, b]`` is an interval that provably contains
``g(x)`` for every ``x`` in ``[a, b]`` where ``g`` is defined. The enclosures are
computed with mpmath's interval kernel :mod:`mpmath.libmp.libmpi` (the engine of
``mpmath.iv``: every elementary operation is evaluated with outward, directed
rounding at :data:`PRECISION` bits), called directly on raw endpoint pairs because
the ``mpmath.iv`` objects cost about five times more per operation.

Every sympy node is compiled once into a Python closure, in one of two modes:

- *range* mode encloses the values on the part of the interval where the node is
  defined (``sqrt`` clips its argument to ``[0, inf)``, ``1/[0, 1]`` is
  ``[1, inf]``); with ``total=True`` (as :class:`CellCertifier` uses it, for
  oscillation bounds and node values) an argument reaching outside the domain of
  ``sqrt``, ``log`` or a non-integer power raises instead of being clipped, so a
  cell where ``g`` is not proved defined is never certified;
- *smooth* mode additionally raises :class:`NotSmooth` whenever a node is applied
  where it is not analytic (``abs``/``sign`` at 0, ``sqrt``/``log``/non-integer
  powers at arguments <= 0, a pole of ``tan`` or of a quotient). If ``g`` passes
  in smooth mode on ``[a, b]``, then ``g`` is real-analytic on ``[a, b]``, so its
  sympy derivative is its derivative there and the C^2 bound below applies.

Per cell ``[a, b]`` with node values ``y_a, y_b`` (rationals), :class:`CellCertifier`
bounds ``sup |g - f|`` for the chord ``f`` through ``(a, y_a), (b, y_b)`` by

- ``(b - a)**2 / 8 * sup |g''| + max(|g(a) - y_a|, |g(b) - y_b|)`` where ``g`` is
  smooth on the cell, and
- ``max(G_hi - min(y_a, y_b), max(y_a, y_b) - G_lo)`` for the enclosure
  ``[G_lo, G_hi]`` of ``g`` on the cell (valid for every ``g``, continuous or not);

and returns the smaller; :meth:`CellCertifier.error_range` encloses ``g - chord`` as
an interval (with the sign of ``g''``) for the shifted, non-interpolating meshes.
Unbounded or undefined enclosures never certify.

Examples:
    >>> from fractions import Fraction
    >>> import sympy as sp
    >>> from reluapprox.expr import SYMBOL
    >>> cert = CellCertifier(sp.exp(3 * SYMBOL))
    >>> bound, how = cert.cell_bound(cert.node(0.0), cert.node(0.001))
    >>> how, 1.1283e-6 < bound < 1.1284e-6  # h^2/8 * 9 e^0.003 = 1.12838e-6
    ('C2', True)

References:
    R. E. Moore, R. B. Kearfott, M. J. Cloud, *Introduction to Interval Analysis*,
    SIAM 2009 (inclusion isotonicity, the fundamental theorem of interval analysis).
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from mpmath.libmp import libmpf as lm
from mpmath.libmp import libmpi

from reluapprox._validation import check_interval, check_positive_int
from reluapprox.errors import EvaluationError, InvalidExpression
from reluapprox.expr import SYMBOL
from reluapprox.shallow import ShallowNetwork

__all__ = [
    "EXTENSION_RADIUS",
    "PRECISION",
    "SUBDIVISIONS",
    "CellCertifier",
    "Node",
    "NotSmooth",
    "compile_enclosure",
    "enclose",
    "max_error_mp",
    "node_value",
    "up_fraction",
]

#: Working precision (bits) of the interval kernel. 80 bits make the radius of a
#: node value about 1e-24 relative, negligible against any tolerance >= 1e-12.
PRECISION = 80

#: Where an expression is undefined at a node (``x*sin(1/x)`` at 0), the node value
#: of its continuous extension is enclosed on ``[x - r, x + r]`` with
#: ``r = EXTENSION_RADIUS * max(1, |x|)``.
EXTENSION_RADIUS = 2.0**-60

#: Subcells of the subdivided oscillation bound (used where the others fail).
SUBDIVISIONS = 16

MPF = tuple[int, int, int, int]
Interval = tuple[MPF, MPF]
Enclosure = Callable[[Interval], Interval]

_INF: MPF = lm.finf
_NINF: MPF = lm.fninf
_ZERO: MPF = lm.fzero
_ONE: MPF = lm.fone
_WHOLE: Interval = (_NINF, _INF)
#: Node values below this magnitude are flushed to 0 (their Fractions stay small).
_TINY: MPF = lm.mpf_shift(_ONE, -1100)


class NotSmooth(ArithmeticError):
    """A node is applied where it is not analytic (raised in smooth mode only)."""


class _Undefined(ArithmeticError):
    """The expression is undefined on the whole interval."""


class _PartlyUndefined(_Undefined):
    """The expression is not proved defined on the whole interval (``total`` mode)."""


def _gt(a: MPF, b: MPF) -> bool:
    return bool(lm.mpf_gt(a, b))


def _lt(a: MPF, b: MPF) -> bool:
    return bool(lm.mpf_lt(a, b))


def _is_finite(x: Interval) -> bool:
    return x[0] not in (_INF, _NINF) and x[1] not in (_INF, _NINF)


def _contains_zero(x: Interval) -> bool:
    return not _gt(x[0], _ZERO) and not _lt(x[1], _ZERO)


def _point(value: Fraction | int | float) -> Interval:
    """The tightest enclosure of a rational at :data:`PRECISION` bits."""
    q = Fraction(value)
    p, d = lm.from_int(q.numerator), lm.from_int(q.denominator)
    return (
        lm.mpf_div(p, d, PRECISION, lm.round_floor),
        lm.mpf_div(p, d, PRECISION, lm.round_ceiling),
    )


def _from_floats(a: float, b: float) -> Interval:
    return (lm.from_float(a), lm.from_float(b))


def _to_fraction(x: MPF) -> Fraction:
    sign, man, exp, _ = x
    if x in (_INF, _NINF) or x == lm.fnan:
        raise OverflowError("an infinite endpoint has no exact rational value")
    value = Fraction(man) * (Fraction(2) ** exp)
    return -value if sign else value


#: Enclosure endpoints above this magnitude count as unbounded in Fraction arithmetic.
_HUGE: MPF = lm.mpf_shift(_ONE, 4096)


def _bounded_fraction(x: MPF, *, up: bool) -> Fraction | None:
    """A Fraction ``>= x`` (``up``) or ``<= x`` of bounded size; ``None`` if ``|x|`` is huge.

    Tiny endpoints (``|x| < 2**-1100``) are replaced by 0 or ``+-2**-1100`` outward,
    so that the Fractions of extreme enclosures (``exp(-1e8)``) stay small.
    """
    if not _is_finite((x, x)) or x == lm.fnan or _gt(lm.mpf_abs(x), _HUGE):
        return None
    if _lt(lm.mpf_abs(x), _TINY):
        tiny = Fraction(1, 2**1100)
        if up:
            return tiny if _gt(x, _ZERO) else Fraction(0)
        return -tiny if _lt(x, _ZERO) else Fraction(0)
    return _to_fraction(x)


def _tanh(x: Interval) -> Interval:
    # tanh(x) = 1 - 2 / (exp(2x) + 1): x occurs once, so the enclosure is tight.
    two = (lm.from_int(2), lm.from_int(2))
    e = libmpi.mpi_exp(_mul(two, x), PRECISION)
    q = libmpi.mpi_div(two, _add(e, (_ONE, _ONE)), PRECISION)
    return libmpi.mpi_sub((_ONE, _ONE), q, PRECISION)  # type: ignore[no-any-return]


def _sinh(x: Interval) -> Interval:
    return libmpi.mpi_cosh_sinh(x, PRECISION)[1]  # type: ignore[no-any-return]


def _cosh(x: Interval) -> Interval:
    return libmpi.mpi_cosh_sinh(x, PRECISION)[0]  # type: ignore[no-any-return]


def _clip_nonnegative(x: Interval, *, strict: bool, total: bool) -> Interval:
    """The part of ``x`` in ``[0, inf)`` (``(0, inf)`` when ``strict``).

    With ``total``, an ``x`` reaching below 0 raises :class:`_PartlyUndefined`
    instead of being clipped (the node may be undefined on part of the interval).
    """
    if _lt(x[1], _ZERO) or (strict and x[1] == _ZERO):
        raise _Undefined
    if _lt(x[0], _ZERO):
        if total:
            raise _PartlyUndefined
        return (_ZERO, x[1])
    return x


def _reciprocal(x: Interval, smooth: bool) -> Interval:
    if _contains_zero(x):
        if smooth:
            raise NotSmooth("division by an interval containing 0")
        if x[0] == _ZERO and x[1] == _ZERO:
            raise _Undefined
        if x[0] == _ZERO:
            return (libmpi.mpi_div((_ONE, _ONE), x, PRECISION)[0], _INF)
        if x[1] == _ZERO:
            return (_NINF, libmpi.mpi_div((_ONE, _ONE), x, PRECISION)[1])
        return _WHOLE
    return libmpi.mpi_div((_ONE, _ONE), x, PRECISION)  # type: ignore[no-any-return]


def _mul(x: Interval, y: Interval) -> Interval:
    return libmpi.mpi_mul(x, y, PRECISION)  # type: ignore[no-any-return]


def _add(x: Interval, y: Interval) -> Interval:
    return libmpi.mpi_add(x, y, PRECISION)  # type: ignore[no-any-return]


def _pow_int(x: Interval, n: int, smooth: bool) -> Interval:
    if n >= 0:
        return libmpi.mpi_pow_int(x, n, PRECISION)  # type: ignore[no-any-return]
    return _reciprocal(libmpi.mpi_pow_int(x, -n, PRECISION), smooth)


def _pow_real(x: Interval, p: Fraction, smooth: bool, total: bool = False) -> Interval:
    """``x**p`` for a non-integer rational ``p`` (defined for ``x >= 0``, or ``> 0`` if p < 0)."""
    if smooth and not _gt(x[0], _ZERO):
        raise NotSmooth("non-integer power of an interval reaching 0")
    x = _clip_nonnegative(x, strict=p < 0, total=total)
    if p < 0:
        return _reciprocal(_pow_real(x, -p, False), smooth)
    lo = _ZERO if x[0] == _ZERO else libmpi.mpi_pow(x, _point(p), PRECISION)[0]
    hi = _INF if x[1] == _INF else libmpi.mpi_pow((x[1], x[1]), _point(p), PRECISION)[1]
    if x[0] == _ZERO:
        return (lo, hi)
    return (lo, libmpi.mpi_pow(x, _point(p), PRECISION)[1])


def _log(x: Interval, smooth: bool, total: bool = False) -> Interval:
    if smooth and not _gt(x[0], _ZERO):
        raise NotSmooth("log of an interval reaching 0")
    x = _clip_nonnegative(x, strict=True, total=total)
    if x[0] == _ZERO:
        hi = _INF if x[1] == _INF else libmpi.mpi_log((x[1], x[1]), PRECISION)[1]
        return (_NINF, hi)
    return libmpi.mpi_log(x, PRECISION)  # type: ignore[no-any-return]


def _sign(x: Interval, smooth: bool) -> Interval:
    if _gt(x[0], _ZERO):
        return (_ONE, _ONE)
    if _lt(x[1], _ZERO):
        return (lm.fnone, lm.fnone)
    if smooth:
        raise NotSmooth("sign of an interval containing 0")
    lo = lm.fnone if _lt(x[0], _ZERO) else _ZERO
    hi = _ONE if _gt(x[1], _ZERO) else _ZERO
    return (lo, hi)


def _abs(x: Interval, smooth: bool) -> Interval:
    if smooth and _contains_zero(x):
        raise NotSmooth("abs of an interval containing 0")
    return libmpi.mpi_abs(x, PRECISION)  # type: ignore[no-any-return]


def _max(x: Interval, y: Interval, smooth: bool) -> Interval:
    if _gt(x[0], y[1]):
        return x
    if _gt(y[0], x[1]):
        return y
    if smooth:
        raise NotSmooth("max of overlapping intervals")
    lo = x[0] if _gt(x[0], y[0]) else y[0]
    hi = x[1] if _gt(x[1], y[1]) else y[1]
    return (lo, hi)


def _min(x: Interval, y: Interval, smooth: bool) -> Interval:
    if _lt(x[1], y[0]):
        return x
    if _lt(y[1], x[0]):
        return y
    if smooth:
        raise NotSmooth("min of overlapping intervals")
    lo = x[0] if _lt(x[0], y[0]) else y[0]
    hi = x[1] if _lt(x[1], y[1]) else y[1]
    return (lo, hi)


def _step(x: Interval) -> Interval:
    """Heaviside, away from its jump (it only occurs in derivatives, in smooth mode)."""
    if _gt(x[0], _ZERO):
        return (_ONE, _ONE)
    if _lt(x[1], _ZERO):
        return (_ZERO, _ZERO)
    raise NotSmooth("a step at an interval containing 0")


def _tan(x: Interval, smooth: bool) -> Interval:
    result: Interval = libmpi.mpi_tan(x, PRECISION)
    if smooth and not _is_finite(result):
        raise NotSmooth("a pole of tan")
    return result


def compile_enclosure(
    expr: sp.Expr,
    *,
    smooth: bool,
    symbol: sp.Symbol | tuple[sp.Symbol, ...] = SYMBOL,
    total: bool = False,
) -> Enclosure:
    """Compile ``expr`` into a function from intervals to enclosures of its values.

    Args:
        expr: a sympy expression in ``symbol`` built from the nodes that
            :mod:`reluapprox.expr` accepts (derivatives may also contain
            ``Heaviside`` and ``DiracDelta``, enclosed away from their jump only).
        smooth: raise :class:`NotSmooth` wherever a node is not analytic.
        symbol: the variable; or a tuple of variables, and then the compiled
            function takes a tuple of intervals, one per variable (a box).
        total: never clip an argument to a node's domain of definition (``sqrt``,
            ``log``, non-integer powers): where an argument's enclosure reaches
            outside it, raise instead (an internal exception, a subclass of the one
            raised where ``expr`` is undefined on the whole interval).

    Raises:
        InvalidExpression: for a node type this module cannot enclose.
    """
    if isinstance(expr, sp.Symbol) and isinstance(symbol, tuple) and expr in symbol:
        return _coordinate(symbol.index(expr))
    if isinstance(expr, sp.Symbol):
        if expr != symbol:
            raise InvalidExpression(f"expr={expr!r} is invalid: expected only {symbol}")
        return lambda x: x
    if isinstance(expr, sp.Rational):
        value = _point(Fraction(int(expr.p), int(expr.q)))
        return lambda x: value
    if isinstance(expr, sp.Float):
        exact = sp.Rational(expr)
        value = _point(Fraction(int(exact.p), int(exact.q)))
        return lambda x: value
    if expr is sp.pi:
        pi = libmpi.mpi_pi(PRECISION)
        return lambda x: pi
    if expr is sp.E:
        e = libmpi.mpi_exp((_ONE, _ONE), PRECISION)
        return lambda x: e
    args = [compile_enclosure(a, smooth=smooth, symbol=symbol, total=total) for a in expr.args]
    if isinstance(expr, sp.Add):

        def add(x: Interval) -> Interval:
            total = args[0](x)
            for term in args[1:]:
                total = _add(total, term(x))
            return total

        return add
    if isinstance(expr, sp.Mul):

        def mul(x: Interval) -> Interval:
            total = args[0](x)
            for factor in args[1:]:
                total = _mul(total, factor(x))
            return total

        return mul
    if isinstance(expr, sp.Pow):
        base_f, exp_f = args
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            return lambda x: _pow_int(base_f(x), n, smooth)
        if exponent.is_Rational:
            p = Fraction(int(exponent.p), int(exponent.q))
            return lambda x: _pow_real(base_f(x), p, smooth, total)
        log_f = compile_enclosure(sp.log(expr.base), smooth=smooth, symbol=symbol, total=total)

        def power(x: Interval) -> Interval:
            return libmpi.mpi_exp(_mul(exp_f(x), log_f(x)), PRECISION)  # type: ignore[no-any-return]

        return power
    unary: dict[type, Callable[[Interval], Interval]] = {
        sp.exp: lambda u: libmpi.mpi_exp(u, PRECISION),
        sp.sin: lambda u: libmpi.mpi_sin(u, PRECISION),
        sp.cos: lambda u: libmpi.mpi_cos(u, PRECISION),
        sp.atan: lambda u: libmpi.mpi_atan(u, PRECISION),
        sp.tanh: _tanh,
        sp.sinh: _sinh,
        sp.cosh: _cosh,
        sp.log: lambda u: _log(u, smooth, total),
        sp.tan: lambda u: _tan(u, smooth),
        sp.Abs: lambda u: _abs(u, smooth),
        sp.sign: lambda u: _sign(u, smooth),
        sp.Heaviside: _step,
        sp.DiracDelta: _delta,
    }
    for kind, op in unary.items():
        if isinstance(expr, kind) and (len(args) == 1 or kind is sp.Heaviside):  # H(u, H0)
            return _compose(op, args[0])
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = _max if isinstance(expr, sp.Max) else _min

        def extremum(x: Interval) -> Interval:
            result = args[0](x)
            for other in args[1:]:
                result = pick(result, other(x), smooth)
            return result

        return extremum
    raise InvalidExpression(
        f"expr={expr!r} is invalid: expected elementary nodes, got {type(expr).__name__}"
    )


def _coordinate(index: int) -> Enclosure:
    """The enclosure of one variable of a box (a tuple of intervals)."""

    def coordinate(box: Any) -> Interval:
        return box[index]  # type: ignore[no-any-return]

    return coordinate


def _no_enclosure(x: Interval) -> Interval:
    raise NotSmooth("no enclosure of this node")


def _compose(op: Callable[[Interval], Interval], inner: Enclosure) -> Enclosure:
    return lambda x: op(inner(x))


def _delta(x: Interval) -> Interval:
    if _gt(x[0], _ZERO) or _lt(x[1], _ZERO):
        return (_ZERO, _ZERO)
    raise NotSmooth("DiracDelta at an interval containing 0")


def enclose(expr: sp.Expr, a: float, b: float, *, smooth: bool = False) -> tuple[float, float]:
    """An enclosure ``(lo, hi)`` (floats, rounded outward) of ``expr`` on ``[a, b]``.

    A convenience for interactive use and tests; the library works with the
    compiled form of :func:`compile_enclosure`.

    Raises:
        NotSmooth: in smooth mode, where a node of ``expr`` is not analytic.
        EvaluationError: where ``expr`` is undefined on the whole interval.

    Examples:
        >>> import sympy as sp
        >>> from reluapprox.expr import SYMBOL as x
        >>> lo, hi = enclose(sp.sqrt(x), 0.0, 4.0)
        >>> lo, hi
        (0.0, 2.0)
        >>> enclose(1 / x, 0.0, 1.0)
        (1.0, inf)
    """
    f = compile_enclosure(expr, smooth=smooth)
    try:
        lo, hi = f(_from_floats(a, b))
    except _Undefined:
        raise EvaluationError(f"{expr} is undefined on [{a}, {b}]") from None
    return _down(lo), _up(hi)


def _abs_upper(x: Interval) -> MPF | None:
    """An upper bound of ``|x|`` (exact endpoint), or ``None`` when unbounded."""
    if not _is_finite(x):
        return None
    lo: MPF = lm.mpf_abs(x[0])
    hi: MPF = lm.mpf_abs(x[1])
    return lo if _gt(lo, hi) else hi


def _up(x: MPF) -> float:
    """The smallest float >= ``x`` (``inf`` above the largest float, ``5e-324`` for tiny ``x > 0``).

    ``lm.to_float`` flushes tiny values to 0 and rounds subnormals to nearest
    whatever the rounding mode; the result is therefore corrected upward by exact
    comparison.
    """
    if x == lm.fnan:
        return math.nan
    result = float(lm.to_float(x, rnd=lm.round_ceiling))
    while not math.isnan(result) and _lt(lm.from_float(result), x):
        result = math.nextafter(result, math.inf)
    return result


def _down(x: MPF) -> float:
    """The largest float <= ``x`` (``-inf`` below the most negative float)."""
    return -_up(lm.mpf_neg(x)) + 0.0  # + 0.0: no -0.0


def up_fraction(q: Fraction) -> float:
    """The smallest float >= ``q`` (``inf`` above the largest float; never raises).

    Examples:
        >>> up_fraction(Fraction(1, 3)) > 1 / 3, up_fraction(Fraction(1, 10**400))
        (True, 5e-324)
        >>> up_fraction(Fraction(10**400)), up_fraction(Fraction(-(10**400)))
        (inf, -1.7976931348623157e+308)
    """
    try:
        result = float(q)
    except OverflowError:
        return math.inf if q > 0 else -sys.float_info.max
    if Fraction(result) < q:
        result = math.nextafter(result, math.inf)
    return result


def node_value(enclosure: Interval) -> tuple[MPF, float]:
    """A value ``v`` and radius ``r`` (float, rounded up) with ``enclosure`` in ``[v - r, v + r]``.

    ``v`` is the midpoint rounded to :data:`PRECISION` bits with a bounded exponent
    (tiny values flush to 0), so that its exact Fraction stays small (``exp(-1e8)``
    has a 1.4e8-bit denominator); the rounding error is added to the radius.
    """
    lo, hi = enclosure
    mid = lm.mpf_shift(lm.mpf_add(lo, hi, 0), -1)  # exact
    radius = lm.mpf_sub(hi, mid, PRECISION, lm.round_ceiling)
    value = lm.mpf_pos(mid, PRECISION, lm.round_nearest)
    if _lt(lm.mpf_abs(value), _TINY):
        value = _ZERO
    moved = lm.mpf_abs(lm.mpf_sub(mid, value, PRECISION, lm.round_up))
    radius = lm.mpf_add(radius, moved, PRECISION, lm.round_ceiling)
    return value, _up(radius)


class Node:
    """A node value: ``|g(x) - value| <= radius`` with ``value`` a binary rational."""

    __slots__ = ("radius", "value", "x")

    def __init__(self, x: float, value: MPF, radius: float) -> None:
        self.x = x
        self.value = value
        self.radius = radius

    @property
    def fraction(self) -> Fraction:
        """The node value as an exact Fraction."""
        return _to_fraction(self.value)

    def __repr__(self) -> str:
        return f"Node(x={self.x!r}, value={self.fraction}, radius={self.radius!r})"


class CellCertifier:
    """Per-cell proofs of ``sup |g - f| <= bound`` for an expression ``g``.

    Args:
        expr: a sympy expression in :data:`~reluapprox.expr.SYMBOL`.

    The second derivative is taken with sympy once. If it contains a node that
    cannot be enclosed, only the oscillation bound is used. All bounds are floats
    rounded upward from exact or outward-rounded quantities.
    """

    def __init__(self, expr: sp.Expr) -> None:
        self.expr = expr
        self._range = compile_enclosure(expr, smooth=False, total=True)
        self._smooth = compile_enclosure(expr, smooth=True)
        self._first: Enclosure | None = None  # compiled on first use
        self._second: Enclosure | None
        try:
            self._second = compile_enclosure(sp.diff(expr, SYMBOL, 2), smooth=True)
        except InvalidExpression:
            self._second = None

    def node(self, x: float) -> Node:
        """A node value ``y`` and radius ``r`` with ``|g(x) - y| <= r``.

        Where ``g`` is undefined at ``x`` itself, the value encloses its continuous
        extension (the values of ``g`` on ``[x - r0, x + r0]``, see
        :data:`EXTENSION_RADIUS`); an unbounded enclosure raises.

        Raises:
            EvaluationError: when ``g`` has no finite value (or limit) at ``x``.
        """
        try:
            enclosure = self._range(_from_floats(x, x))
        except _Undefined:
            enclosure = _WHOLE
        if not _is_finite(enclosure):
            r0 = EXTENSION_RADIUS * max(1.0, abs(x))
            # two-sided first; one-sided where g is defined on one side only
            for near in ((x - r0, x + r0), (x, x + r0), (x - r0, x)):
                try:
                    enclosure = self._range(_from_floats(*near))
                    break
                except _Undefined:
                    continue
            else:
                raise EvaluationError(
                    f"g({x!r}) is undefined or not finite: {self.expr} is undefined at "
                    f"x={x!r} and not proved defined on either side of [{x - r0!r}, "
                    f"{x + r0!r}]; expected g defined and finite on the whole domain"
                )
            if not _is_finite(enclosure):
                raise EvaluationError(
                    f"g({x!r}) is not finite: {self.expr} has no finite value or limit "
                    f"at x={x!r}; expected g finite on the whole domain"
                )
        value, radius = node_value(enclosure)
        return Node(x, value, radius)

    def smooth_on(self, a: float, b: float) -> bool:
        """Whether ``g`` is proved real-analytic on ``[a, b]``."""
        try:
            self._smooth(_from_floats(a, b))
        except (NotSmooth, _Undefined):
            return False
        return True

    def second_derivative_bound(self, a: float, b: float) -> float | None:
        """An upper bound of ``sup |g''|`` on ``[a, b]`` if ``g`` is smooth there."""
        if self._second is None or not self.smooth_on(a, b):
            return None
        try:
            bound = _abs_upper(self._second(_from_floats(a, b)))
        except (NotSmooth, _Undefined):
            return None
        return None if bound is None else _up(bound)

    def c2_bound(self, left: Node, right: Node) -> float | None:
        """``h**2/8 * sup|g''| + max radius`` (rounded up), or ``None`` if not smooth."""
        a, b = left.x, right.x
        d2 = self.second_derivative_bound(a, b)
        if d2 is None:
            return None
        h = lm.mpf_sub(lm.from_float(b), lm.from_float(a), 0)  # exact
        hh = lm.mpf_mul(h, h, PRECISION, lm.round_ceiling)
        e = lm.mpf_mul(lm.mpf_shift(hh, -3), lm.from_float(d2), PRECISION, lm.round_ceiling)
        r = lm.from_float(max(left.radius, right.radius))
        return _up(lm.mpf_add(e, r, PRECISION, lm.round_ceiling))

    def oscillation_bound(self, left: Node, right: Node) -> float | None:
        """``max(G_hi - min(y), max(y) - G_lo)`` for the enclosure ``G`` of ``g`` on the cell."""
        try:
            g = self._range(_from_floats(left.x, right.x))
        except _Undefined:
            return None
        if not _is_finite(g):
            return None
        ya, yb = left.value, right.value
        y_lo, y_hi = (ya, yb) if _lt(ya, yb) else (yb, ya)
        up = lm.mpf_sub(g[1], y_lo, PRECISION, lm.round_ceiling)
        down = lm.mpf_sub(y_hi, g[0], PRECISION, lm.round_ceiling)
        return max(_up(up), _up(down), 0.0)

    def subdivided_oscillation_bound(self, left: Node, right: Node, pieces: int) -> float | None:
        """The oscillation bound on ``pieces`` equal subcells against the exact chord.

        On a subcell ``[s, t]`` the chord lies between its exact values at ``s`` and
        ``t`` and ``g`` in its enclosure on ``[s, t]``, so ``|g - chord|`` is at most
        ``max(G_hi - min(chord(s), chord(t)), max(chord(s), chord(t)) - G_lo)``.
        """
        a, b = left.x, right.x
        fa, fb = Fraction(a), Fraction(b)
        ya, yb = left.fraction, right.fraction
        cuts = sorted({a, b, *(float(fa + (fb - fa) * j / pieces) for j in range(1, pieces))})
        chord = [ya + (yb - ya) * (Fraction(c) - fa) / (fb - fa) for c in cuts]
        worst = Fraction(0)
        for j in range(len(cuts) - 1):
            try:
                g = self._range(_from_floats(cuts[j], cuts[j + 1]))
            except _Undefined:
                return None
            if not _is_finite(g):
                return None
            lo = _bounded_fraction(g[0], up=False)
            hi = _bounded_fraction(g[1], up=True)
            if lo is None or hi is None:
                return None
            c_lo, c_hi = min(chord[j], chord[j + 1]), max(chord[j], chord[j + 1])
            worst = max(worst, hi - c_lo, c_hi - lo)
        return up_fraction(worst)

    def derivative_range(self, a: float, b: float) -> tuple[float, float] | None:
        """An enclosure ``(lo, hi)`` (floats, outward) of ``g'`` on ``[a, b]``.

        ``None`` where ``g`` is not proved smooth on ``[a, b]`` (then ``g'`` may not
        exist) or ``g'`` has a node that cannot be enclosed.
        """
        if self._first is None:
            try:
                self._first = compile_enclosure(sp.diff(self.expr, SYMBOL), smooth=True)
            except InvalidExpression:
                self._first = _no_enclosure
        if not self.smooth_on(a, b):
            return None
        try:
            lo, hi = self._first(_from_floats(a, b))
        except (NotSmooth, _Undefined):
            return None
        return _down(lo), _up(hi)

    def range_width(self, a: float, b: float) -> float | None:
        """The width of the enclosure of ``g`` on ``[a, b]`` (``None`` if unbounded)."""
        try:
            g = self._range(_from_floats(a, b))
        except _Undefined:
            return None
        if not _is_finite(g):
            return None
        return _up(lm.mpf_sub(g[1], g[0], PRECISION, lm.round_ceiling))

    def error_range(self, left: Node, right: Node) -> tuple[Fraction, Fraction, int] | None:
        """An interval ``[lo, hi]`` containing ``g - chord`` on the cell, and the sign of ``g''``.

        ``chord`` joins the (unshifted) node values. Where ``g`` is smooth with
        ``g''`` enclosed in ``[m, M]``, the remainder formula
        ``g(x) - L(x) = -(x - a)(b - x) g''(xi) / 2`` gives
        ``lo = -h**2/8 max(M, 0) - r`` and ``hi = h**2/8 max(-m, 0) + r`` (``r``: node
        radius), and the sign is ``+1`` (convex), ``-1`` (concave) or ``0`` (``g''``
        may vanish). Otherwise the oscillation enclosure is used with sign ``0``.
        Returns ``None`` when no finite range is proved.
        """
        a, b = left.x, right.x
        enclosure: Interval | None = None
        if self._second is not None and self.smooth_on(a, b):
            try:
                enclosure = self._second(_from_floats(a, b))
            except (NotSmooth, _Undefined):
                enclosure = None
        m = big_m = None
        if enclosure is not None and _is_finite(enclosure):
            m = _bounded_fraction(enclosure[0], up=False)
            big_m = _bounded_fraction(enclosure[1], up=True)
        if m is not None and big_m is not None:
            h = Fraction(b) - Fraction(a)
            r = Fraction(max(left.radius, right.radius))
            lo = -h * h / 8 * max(big_m, Fraction(0)) - r
            hi = h * h / 8 * max(-m, Fraction(0)) + r
            sign = 1 if m >= 0 else (-1 if big_m <= 0 else 0)
            return lo, hi, sign
        try:
            g = self._range(_from_floats(a, b))
        except _Undefined:
            return None
        if not _is_finite(g):
            return None
        g_lo = _bounded_fraction(g[0], up=False)
        g_hi = _bounded_fraction(g[1], up=True)
        if g_lo is None or g_hi is None:
            return None
        ya, yb = left.fraction, right.fraction
        return g_lo - max(ya, yb), g_hi - min(ya, yb), 0

    def cell_bound(
        self, left: Node, right: Node, *, target: float | None = None
    ) -> tuple[float | None, str]:
        """A proved upper bound of ``sup |g - chord|`` on the cell and how it was found.

        The C^2 bound is tried first, then the oscillation bound on the whole cell,
        and where ``g`` is not smooth on the cell (no C^2 bound) and the oscillation
        bound misses ``target``, the oscillation bound on :data:`SUBDIVISIONS`
        subcells; the smallest bound found is returned.

        Args:
            left: the node value at the cell's left end.
            right: the node value at the right end (``left.x < right.x``).
            target: stop at the first bound that is at most ``target``.

        Returns:
            ``(bound, "C2")`` or ``(bound, "oscillation")``; ``(None, reason)`` when no
            finite bound could be proved.
        """
        found: list[tuple[float, str]] = []
        c2 = self.c2_bound(left, right)
        if c2 is not None:
            found.append((c2, "C2"))
            if target is not None and c2 <= target:
                return c2, "C2"
        osc = self.oscillation_bound(left, right)
        if osc is not None:
            found.append((osc, "oscillation"))
        if c2 is None and (target is None or osc is None or osc > target):
            sub = self.subdivided_oscillation_bound(left, right, SUBDIVISIONS)
            if sub is not None:
                found.append((sub, "oscillation"))
        if not found:
            try:
                self._range(_from_floats(left.x, right.x))
            except _Undefined:
                return None, (
                    f"g is undefined, or not proved defined, on part of [{left.x!r}, {right.x!r}]"
                )
            return None, "the enclosure of g is unbounded on the cell"
        return min(found, key=lambda f: f[0])


def max_error_mp(
    g_mp: Callable[[Any], Any],
    net: ShallowNetwork,
    domain: Sequence[float],
    n: int,
    *,
    prec: int = 113,
    per_cell: bool = True,
) -> float:
    """The observed ``max |g(x) - f(x)|`` on a dense grid, computed in high precision.

    The grid is ``n`` equally spaced points of ``domain`` (endpoints included) plus,
    if ``per_cell``, the midpoint and the quarter points of every cell between
    consecutive knots and the domain's right end. ``f`` is evaluated exactly
    (``net.exact``), ``g`` with ``g_mp`` on mpmath numbers at ``prec`` bits, and the
    difference is rounded once.

    Args:
        g_mp: the target function on ``mpmath.mpf`` arguments.
        net: the network ``f``.
        domain: ``(a, b)``.
        n: number of equally spaced points (>= 2).
        prec: working precision of mpmath, bits.
        per_cell: add three points per cell to the grid.

    Examples:
        >>> import mpmath
        >>> from reluapprox.interpolation import interpolate
        >>> net = interpolate([0, 1], [0, 1])
        >>> round(max_error_mp(lambda x: x * x, net, (0, 1), 101), 6)
        0.25
    """
    a, b = check_interval("domain", domain)
    check_positive_int("n", n, minimum=2)
    grid = {Fraction(a) + (Fraction(b) - Fraction(a)) * i / (n - 1) for i in range(n)}
    ends = [*net.knots, Fraction(b)]
    for left, right in itertools.pairwise(ends) if per_cell else ():
        if Fraction(a) <= left and right <= Fraction(b):
            for t in (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)):
                grid.add(left + (right - left) * t)
    worst = mpmath.mpf(0)
    with mpmath.workprec(prec):
        for q in sorted(grid):
            x = mpmath.mpf(q.numerator) / q.denominator
            fx = net.exact(q)
            diff = abs(g_mp(x) - mpmath.mpf(fx.numerator) / fx.denominator)
            if not mpmath.isfinite(diff):
                raise EvaluationError(f"g_mp({float(q)!r}) is not finite")
            worst = max(worst, diff)
        return _up(worst._mpf_)
