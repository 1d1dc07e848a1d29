"""Rigorous interval enclosures of expressions and per-cell interpolation error bounds.

An *enclosure* of ``g`` on ``[a, b]`` is an interval that provably contains
``g(x)`` for every ``x`` in ``[a, b]`` where ``g`` is defined.
:class:`CellCertifier` asks the Arb kernel (:mod:`reluapprox.arbkernel`, balls and
jets of ``g, g', g''``) first and falls back to this module's kernel wherever a
ball is undefined or too wide: mpmath's interval kernel :mod:`mpmath.libmp.libmpi`
(the engine of ``mpmath.iv``: every elementary operation is evaluated with outward,
directed rounding at :data:`PRECISION` bits), called directly on raw endpoint pairs
because the ``mpmath.iv`` objects cost about five times more per operation.

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
    >>> from reluapprox.expr import SYMBOL, Guard
    >>> cert = CellCertifier(sp.exp(3 * SYMBOL))
    >>> bound, how = cert.cell_bound(cert.node(0.0), cert.node(0.001))
    >>> how, 1.1283e-6 < bound < 1.1284e-6  # h^2/8 * 9 e^0.003 = 1.12838e-6
    ('C2', True)

References:
    R. E. Moore, R. B. Kearfott, M. J. Cloud, *Introduction to Interval Analysis*,
    SIAM 2009 (inclusion isotonicity, the fundamental theorem of interval analysis).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import mpmath
import sympy as sp
from mpmath.libmp import libmpf as lm
from mpmath.libmp import libmpi

from reluapprox._validation import check_interval, check_positive_int
from reluapprox.arbkernel import ARB_PRECISION, ArbKernel, arb_down, arb_up
from reluapprox.errors import EvaluationError, InvalidExpression
from reluapprox.expr import SYMBOL, Guard
from reluapprox.network import ReluNetwork
from reluapprox.shallow import ShallowNetwork

__all__ = [
    "EXP_CAP",
    "EXTENSION_RADIUS",
    "MAX_DERIVATIVE_NODES",
    "PRECISION",
    "RECHECK_FACTOR",
    "RECHECK_MAX_INTERVAL",
    "RECHECK_PATIENCE",
    "SUBDIVISIONS",
    "TRIG_CAP",
    "CellCertifier",
    "ErrorRange",
    "Node",
    "NotSmooth",
    "analytic_everywhere",
    "bounded_derivatives",
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

#: ``exp``, ``sinh``, ``cosh`` of arguments beyond ``+-EXP_CAP`` are enclosed by
#: ``(exp(EXP_CAP), inf]`` and the like instead of being computed, so that one interval
#: evaluation stays fast (``exp(exp(x))`` at ``x = 1e9`` would need a billion-bit
#: exponent); ``sin``, ``cos`` and ``tan`` beyond ``+-TRIG_CAP`` give ``[-1, 1]`` resp.
#: the whole line.
EXP_CAP = 2**24
TRIG_CAP = 2**1024

#: Largest node count of a derivative that is built and compiled (and of the estimate
#: of its size before it is built): beyond it (a product of 90 sines has a second
#: derivative of 1.4 million nodes) only oscillation bounds are used.
MAX_DERIVATIVE_NODES = 5000

#: An Arb C^2 bound within this factor above the target is recomputed with mpmath
#: (the smaller bound is used): the cells stay as long as with mpmath alone.
RECHECK_FACTOR = 1.25

#: After this many rechecks in a row that did not bring a cell within the target,
#: only every 2nd, 4th, ... (at most every :data:`RECHECK_MAX_INTERVAL`-th) candidate
#: is rechecked, until one succeeds (on the benchmark functions the rechecks never
#: changed a neuron count, and each costs hundreds of Arb enclosures).
RECHECK_PATIENCE = 4
RECHECK_MAX_INTERVAL = 64

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


_new_object = object.__new__


def coprime_fraction(p: int, q: int) -> Fraction:
    """``Fraction(p, q)`` for coprime integers ``p`` and ``q > 0``, without the gcd.

    Binary rationals (floats, normalised mpmath numbers with their odd mantissas)
    arrive already in lowest terms, and ``Fraction``'s normalisation is most of the
    cost of building one. The caller guarantees ``gcd(p, q) == 1`` and ``q > 0``.

    Examples:
        >>> coprime_fraction(3, 8) == Fraction(3, 8), hash(coprime_fraction(-5, 1)) == hash(-5)
        (True, True)
    """
    result: Fraction = _new_object(Fraction)
    result._numerator = p  # type: ignore[attr-defined]
    result._denominator = q  # type: ignore[attr-defined]
    return result


def float_fraction(x: float) -> Fraction:
    """``Fraction(x)`` for a finite float ``x`` (its exact value), about 3x faster.

    Examples:
        >>> float_fraction(0.1) == Fraction(0.1), float_fraction(-0.0)
        (True, Fraction(0, 1))
    """
    p, q = x.as_integer_ratio()
    return coprime_fraction(p, q)


def _to_fraction(x: MPF) -> Fraction:
    sign, man, exp, _ = x
    if not man:  # zero, or one of the special values
        if x == _ZERO:
            return Fraction(0)
        raise OverflowError("an infinite endpoint has no exact rational value")
    if sign:
        man = -man
    if exp >= 0:
        return coprime_fraction(man << exp, 1)
    # mpmath keeps mantissas odd: man / 2**-exp is in lowest terms
    return coprime_fraction(man, 1 << -exp) if man & 1 else Fraction(man, 1 << -exp)


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


_EXP_CAP: MPF = lm.from_int(EXP_CAP)
_NEG_EXP_CAP: MPF = lm.from_int(-EXP_CAP)
_TRIG_CAP: MPF = lm.from_int(TRIG_CAP)
_UNIT: Interval = (lm.fnone, _ONE)


def _clip(x: Interval, cap: MPF) -> tuple[Interval, bool, bool]:
    """``x`` clipped to ``[-cap, cap]``, and whether each end was clipped."""
    neg = lm.mpf_neg(cap)
    low, high = _lt(x[0], neg), _gt(x[1], cap)
    lo = neg if low else (cap if _gt(x[0], cap) else x[0])
    hi = cap if high else (neg if _lt(x[1], neg) else x[1])
    return (lo, hi), low, high


def _exp(x: Interval) -> Interval:
    """``exp`` with arguments beyond ``+-EXP_CAP`` enclosed, not computed."""
    clipped, low, high = _clip(x, _EXP_CAP)
    lo, hi = libmpi.mpi_exp(clipped, PRECISION)
    return (_ZERO if low else lo, _INF if high else hi)


def _tanh(x: Interval) -> Interval:
    # tanh(x) = 1 - 2 / (exp(2x) + 1): x occurs once, so the enclosure is tight.
    two = (lm.from_int(2), lm.from_int(2))
    e = _exp(_mul(two, x))
    q = libmpi.mpi_div(two, _add(e, (_ONE, _ONE)), PRECISION)
    return libmpi.mpi_sub((_ONE, _ONE), q, PRECISION)  # type: ignore[no-any-return]


def _sinh(x: Interval) -> Interval:
    clipped, low, high = _clip(x, _EXP_CAP)
    lo, hi = libmpi.mpi_cosh_sinh(clipped, PRECISION)[1]
    return (_NINF if low else lo, _INF if high else hi)


def _cosh(x: Interval) -> Interval:
    clipped, low, high = _clip(x, _EXP_CAP)
    if low or high:
        return (_ONE, _INF)
    return libmpi.mpi_cosh_sinh(clipped, PRECISION)[0]  # type: ignore[no-any-return]


def _huge(x: Interval) -> bool:
    return bool(_gt(lm.mpf_abs(x[0]), _TRIG_CAP) or _gt(lm.mpf_abs(x[1]), _TRIG_CAP))


def _sin(x: Interval) -> Interval:
    return _UNIT if _huge(x) else libmpi.mpi_sin(x, PRECISION)


def _cos(x: Interval) -> Interval:
    return _UNIT if _huge(x) else libmpi.mpi_cos(x, PRECISION)


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
    result: Interval = _WHOLE if _huge(x) else libmpi.mpi_tan(x, PRECISION)
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
            return _exp(_mul(exp_f(x), log_f(x)))

        return power
    unary: dict[type, Callable[[Interval], Interval]] = {
        sp.exp: _exp,
        sp.sin: _sin,
        sp.cos: _cos,
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


def _guarded(f: Enclosure, checks: Sequence[tuple[Enclosure, bool]]) -> Enclosure:
    """``f`` where every guard argument is proved ``>= 0`` (``> 0`` if strict).

    A guard failing on the whole interval raises the internal "undefined"
    exception, one failing on part of it the "partly undefined" one (a strict guard
    may reach 0 at an end, like ``log`` itself: the continuous extension decides).
    """

    def guarded(x: Interval) -> Interval:
        for check, strict in checks:
            _clip_nonnegative(check(x), strict=strict, total=True)
        return f(x)

    return guarded


def bounded_derivatives(expr: sp.Expr) -> tuple[sp.Expr | None, sp.Expr | None]:
    """``g'`` and ``g''`` from sympy, each ``None`` where its estimated size exceeds
    :data:`MAX_DERIVATIVE_NODES` (the estimate is made before sympy differentiates).

    Examples:
        >>> from reluapprox.expr import SYMBOL as x
        >>> bounded_derivatives(sp.sin(3 * x))
        (3*cos(3*x), -9*sin(3*x))
        >>> bounded_derivatives(sp.Mul(*(sp.sin(k * x) for k in range(1, 91))))
        (None, None)
    """
    if _derivative_size(expr) > MAX_DERIVATIVE_NODES:
        return None, None
    first = sp.diff(expr, SYMBOL)
    if _derivative_size(first) > MAX_DERIVATIVE_NODES:
        return first, None
    return first, sp.diff(first, SYMBOL)


def _derivative_size(expr: sp.Expr) -> int:
    """An estimate of the node count of ``d expr / dx`` (product rule: a product of
    ``k`` factors of total size ``S`` differentiates to about ``k * S`` nodes)."""
    size: dict[sp.Basic, tuple[int, int]] = {}  # node -> (its size, derivative size)
    for node in sp.postorder_traversal(expr):
        if node in size:
            continue
        parts = [size[arg] for arg in node.args]
        own = 1 + sum(p[0] for p in parts)
        if not node.args:
            derived = 1
        elif isinstance(node, sp.Add):
            derived = 1 + sum(p[1] for p in parts)
        elif isinstance(node, sp.Mul):
            derived = 1 + sum(p[1] + own - p[0] for p in parts)
        else:  # f(u)' = f'(u) u', (u**v)' = u**v (v' log u + v u'/u)
            derived = 2 * own + sum(p[1] for p in parts)
        size[node] = (own, min(derived, 10**9))
    return size[expr][1]


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


#: Node types that are real-analytic on the whole real line (with ``Add``, ``Mul``,
#: numbers and nonnegative integer powers): an expression built from these alone
#: needs no smoothness check.
_ANALYTIC_EVERYWHERE: tuple[type, ...] = (
    sp.Symbol,
    sp.Number,
    sp.NumberSymbol,
    sp.Add,
    sp.Mul,
    sp.exp,
    sp.sin,
    sp.cos,
    sp.sinh,
    sp.cosh,
    sp.tanh,
    sp.atan,
)


def analytic_everywhere(expr: sp.Expr) -> bool:
    """Whether ``expr`` is built from functions analytic on all of R (no smoothness check).

    Examples:
        >>> import sympy as sp
        >>> from reluapprox.expr import SYMBOL as x
        >>> analytic_everywhere(sp.exp(3 * x) * x**2), analytic_everywhere(1 / (1 + x**2))
        (True, False)
    """
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            if not (node.exp.is_Integer and node.exp >= 0):
                return False
        elif not isinstance(node, _ANALYTIC_EVERYWHERE):
            return False
    return True


def _from_arb(x: Any) -> MPF:
    """The exact value of an exact ``arb`` (a ball's endpoint or midpoint) as an MPF."""
    man, exp = x.man_exp()
    m, e = int(man), int(exp)
    if m & 1:  # Arb's mantissas are odd: already the normalised MPF
        return (1, -m, e, (-m).bit_length()) if m < 0 else (0, m, e, m.bit_length())
    return lm.from_man_exp(m, e)  # type: ignore[no-any-return]


#: Rounds a float conversion of a radius up (1 ulp, with room to spare), and bounds
#: the rounding errors of a few float operations on nonnegative numbers.
_RADIUS_MARGIN = 1 + 2.0**-50

#: Float arithmetic with the margin is used only for cells longer than this and
#: ``g''`` below ``_FLOAT_HUGE`` (no underflow or overflow).
_FLOAT_SAFE = 2.0**-400
_FLOAT_HUGE = 2.0**400


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
    """A node value: ``|g(x) - value| <= radius`` with ``value`` a binary rational.

    The value is kept as it was computed: a float (the fast path of
    :meth:`CellCertifier.node`, an exact binary rational) or an mpmath ``MPF``;
    :attr:`value` and :attr:`fraction` convert on first use (:attr:`float_value`
    is the float, if it is one).
    """

    __slots__ = ("_fraction", "_given", "radius", "x")

    def __init__(self, x: float, value: MPF | float, radius: float) -> None:
        self.x = x
        self._given = value
        self._fraction: Fraction | None = None
        self.radius = radius

    @property
    def value(self) -> MPF:
        """The node value as an mpmath ``MPF`` (exact)."""
        given = self._given
        return lm.from_float(given) if isinstance(given, float) else given

    @property
    def fraction(self) -> Fraction:
        """The node value as an exact Fraction."""
        if self._fraction is None:
            given = self._given
            self._fraction = (
                float_fraction(given) if isinstance(given, float) else _to_fraction(given)
            )
        return self._fraction

    @property
    def float_value(self) -> float | None:
        """The node value if it is a float (exactly), else ``None``."""
        given = self._given
        return given if isinstance(given, float) else None

    def __repr__(self) -> str:
        return f"Node(x={self.x!r}, value={self.fraction}, radius={self.radius!r})"


class ErrorRange(NamedTuple):
    """An enclosure ``[lo, hi]`` of ``g - chord`` on a cell (see :meth:`CellCertifier.error_range`).

    Attributes:
        lo: a lower bound (a float, rounded down).
        hi: an upper bound (a float, rounded up).
        sign: ``+1`` (``g''`` proved >= 0), ``-1`` (<= 0) or ``0`` (unknown).
        smooth: whether the range came from the ``g''`` enclosure (it then scales
            like the square of the cell's length); ``False`` for the oscillation range.
    """

    lo: float
    hi: float
    sign: int
    smooth: bool


class CellCertifier:
    """Per-cell proofs of ``sup |g - f| <= bound`` for an expression ``g``.

    Args:
        expr: a sympy expression in :data:`~reluapprox.expr.SYMBOL`.
        guards: domain conditions of the expression as written
            (:data:`~reluapprox.expr.Guard`, from :attr:`Target.guards
            <reluapprox.expr.Target>`): ``g`` counts as undefined wherever one fails.

    Every enclosure is computed first with Arb balls
    (:class:`~reluapprox.arbkernel.ArbKernel`: values, and ``g, g', g''`` at once by
    Taylor-mode differentiation) and, where Arb gives no finite or no useful ball,
    with the mpmath interval kernel of this module (the second derivative then taken
    with sympy once, on first use; if it contains a node that cannot be enclosed, or
    it (or the first derivative) would have more than :data:`MAX_DERIVATIVE_NODES`
    nodes, only the oscillation bound is used). An expression with guards (domain
    conditions that sympy simplified away) is enclosed by the mpmath kernel alone,
    which checks them. All bounds are floats rounded upward from
    exact or outward-rounded quantities.

    Attributes:
        arb_enclosures: enclosures computed with Arb so far.
        mpmath_enclosures: enclosures computed with mpmath so far (the fallback).
    """

    def __init__(self, expr: sp.Expr, *, guards: Sequence[Guard] = ()) -> None:
        self.expr = expr
        conditions = [f"{argument} {'>' if strict else '>='} 0" for argument, strict in guards]
        self._name = f"{expr} (where {' and '.join(conditions)})" if guards else str(expr)
        range_f = compile_enclosure(expr, smooth=False, total=True)
        smooth_f = compile_enclosure(expr, smooth=True)
        checks = [
            (compile_enclosure(argument, smooth=False, total=True), strict)
            for argument, strict in guards
        ]
        self._range = _guarded(range_f, checks) if checks else range_f
        self._smooth = _guarded(smooth_f, checks) if checks else smooth_f
        # Arb knows nothing of the guards: a guarded expression uses mpmath alone.
        self._arb = ArbKernel(expr, active=not guards)
        self._analytic = not guards and analytic_everywhere(expr)
        self._first: Enclosure | None = None  # compiled on first use
        self._second_compiled: Enclosure | None = None
        self._derivative_exprs: tuple[sp.Expr | None, sp.Expr | None] | None = None
        self.arb_enclosures = 0
        self.mpmath_enclosures = 0
        self._recheck_failures = 0  # mpmath rechecks in a row that did not reach the target
        self._recheck_wait = 0

    @property
    def _second(self) -> Enclosure:
        """The mpmath enclosure of ``g''`` (compiled on first use, if not too large)."""
        if self._second_compiled is None:
            compiled: Enclosure = _no_enclosure
            second = self._derivatives()[1]
            if second is not None:
                with contextlib.suppress(InvalidExpression):
                    compiled = compile_enclosure(second, smooth=True)
            self._second_compiled = compiled
        return self._second_compiled

    def _derivatives(self) -> tuple[sp.Expr | None, sp.Expr | None]:
        """``g'`` and ``g''`` from :func:`bounded_derivatives` (built on first use)."""
        if self._derivative_exprs is None:
            self._derivative_exprs = bounded_derivatives(self.expr)
        return self._derivative_exprs

    def precision(self) -> contextlib.AbstractContextManager[None]:
        """A context in which Arb works at 80 bits without switching per call."""
        return self._arb.precision()

    def kernel(self) -> str:
        """Which kernels computed the enclosures so far, for ``method`` strings.

        Examples:
            >>> import sympy as sp
            >>> from reluapprox.expr import SYMBOL
            >>> cert = CellCertifier(sp.sqrt(SYMBOL))
            >>> _ = cert.node(0.25), cert.c2_bound(cert.node(0.0), cert.node(0.25))
            >>> cert.kernel()
            'Arb 80 bits; mpmath fallback on 1 of 4 enclosures'
        """
        if not self._arb.supported:
            return f"mpmath, {PRECISION} bits"
        total = self.arb_enclosures + self.mpmath_enclosures
        return (
            f"Arb {ARB_PRECISION} bits; mpmath fallback on {self.mpmath_enclosures:,} "
            f"of {total:,} enclosures"
        )

    def node(self, x: float, *, slack: float = 0.0) -> Node:
        """A node value ``y`` and radius ``r`` with ``|g(x) - y| <= r``.

        Where ``g`` is undefined at ``x`` itself, the value encloses its continuous
        extension (the values of ``g`` on ``[x - r0, x + r0]``, see
        :data:`EXTENSION_RADIUS`); an unbounded enclosure raises.

        Args:
            x: the node.
            slack: how much the radius may grow so that ``y`` is a float: where
                ``|y| 2**-52 <= slack`` the Arb midpoint is rounded to a float and
                its rounding error added to the radius
                (:meth:`~reluapprox.arbkernel.ArbKernel.float_value`); cheaper than
                the exact midpoint, whose Fraction is built from its mantissa.

        Raises:
            EvaluationError: when ``g`` has no finite value (or limit) at ``x``.
        """
        if slack > 0.0:
            found = self._arb.float_value(x, slack)
            if found is not None:
                self.arb_enclosures += 1
                return Node(x, found[0], found[1])
        ball = self._arb.value(x)
        if ball is not None:
            self.arb_enclosures += 1
            mid = _from_arb(ball.mid())
            if mid[1] and mid[2] + mid[3] <= -1100:  # |mid| < 2**-1100: flushed to 0
                return Node(x, _ZERO, arb_up(ball.rad() + abs(ball.mid())))
            rad = ball.rad()
            if rad.is_zero():
                return Node(x, mid, 0.0)
            # float() errs by at most 1 ulp (2**-52 relative, or 5e-324 for subnormals)
            return Node(x, mid, float(rad) * _RADIUS_MARGIN + 5e-324)
        self.mpmath_enclosures += 1
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
                    f"g({x!r}) is undefined or not finite: {self._name} is undefined at "
                    f"x={x!r} and not proved defined on either side of [{x - r0!r}, "
                    f"{x + r0!r}]; expected g defined and finite on the whole domain"
                )
            if not _is_finite(enclosure):
                raise EvaluationError(
                    f"g({x!r}) is not finite: {self._name} has no finite value or limit "
                    f"at x={x!r}; expected g finite on the whole domain"
                )
        lo, hi = enclosure
        if _gt(lm.mpf_abs(lo), _HUGE) or _gt(lm.mpf_abs(hi), _HUGE):
            raise EvaluationError(
                f"g({x!r}) is beyond 2**4096 in magnitude: {self._name} is enclosed in "
                f"[{lm.to_str(lo, 5)}, {lm.to_str(hi, 5)}] there; expected g finite (and "
                "within the float64 range) on the whole domain"
            )
        value, radius = node_value(enclosure)
        return Node(x, value, radius)

    def smooth_on(self, a: float, b: float) -> bool:
        """Whether ``g`` is proved real-analytic on ``[a, b]`` (mpmath kernel)."""
        if self._analytic:
            return True
        try:
            self._smooth(_from_floats(a, b))
        except (NotSmooth, _Undefined):
            return False
        return True

    def second_derivative_bound(self, a: float, b: float) -> float | None:
        """An upper bound of ``sup |g''|`` on ``[a, b]`` if ``g`` is smooth there (mpmath)."""
        if not self.smooth_on(a, b):
            return None
        try:
            bound = _abs_upper(self._second(_from_floats(a, b)))
        except (NotSmooth, _Undefined):
            return None
        return None if bound is None else _up(bound)

    def c2_bound(self, left: Node, right: Node, *, target: float | None = None) -> float | None:
        """``h**2/8 * sup|g''| + max radius`` (rounded up), or ``None`` if not smooth.

        With ``target``, an Arb bound that misses it by at most the factor
        :data:`RECHECK_FACTOR` is computed again with mpmath (whose endpoint
        arithmetic can be tighter) and the smaller bound is returned; after
        :data:`RECHECK_PATIENCE` rechecks in a row that did not reach the target,
        they back off (see there).
        """
        found = self._arb.c2_bound(left.x, right.x, max(left.radius, right.radius))
        return self._c2_recheck(left, right, found, target)

    def _c2_recheck(
        self, left: Node, right: Node, found: float | None, target: float | None
    ) -> float | None:
        """:meth:`c2_bound` after the Arb bound ``found``: mpmath where it is missing or
        misses ``target`` narrowly (with the back-off)."""
        a, b = left.x, right.x
        radius = max(left.radius, right.radius)
        if found is not None:
            self.arb_enclosures += 1
            if target is None or not target < found <= RECHECK_FACTOR * target:
                return found
            if self._recheck_failures >= RECHECK_PATIENCE:  # backing off
                self._recheck_wait -= 1
                if self._recheck_wait > 0:
                    return found
        self.mpmath_enclosures += 1
        d2 = self.second_derivative_bound(a, b)
        bound = None
        if d2 is not None:
            h = lm.mpf_sub(lm.from_float(b), lm.from_float(a), 0)  # exact
            hh = lm.mpf_mul(h, h, PRECISION, lm.round_ceiling)
            e = lm.mpf_mul(lm.mpf_shift(hh, -3), lm.from_float(d2), PRECISION, lm.round_ceiling)
            r = lm.from_float(radius)
            bound = _up(lm.mpf_add(e, r, PRECISION, lm.round_ceiling))
        if found is None:
            return bound
        if target is not None:  # a recheck: note whether it reached the target
            if bound is not None and bound <= target:
                self._recheck_failures = 0
            else:
                self._recheck_failures += 1
                if self._recheck_failures >= RECHECK_PATIENCE:
                    self._recheck_wait = min(
                        RECHECK_MAX_INTERVAL, 2 ** (self._recheck_failures - RECHECK_PATIENCE + 1)
                    )
        return found if bound is None else min(bound, found)

    def oscillation_bound(self, left: Node, right: Node) -> float | None:
        """``max(G_hi - min(y), max(y) - G_lo)`` for the enclosure ``G`` of ``g`` on the cell."""
        g = self._enclose(left.x, right.x)
        if g is None:
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
            self._first = _no_enclosure
            first = self._derivatives()[0]
            if first is not None:
                with contextlib.suppress(InvalidExpression):
                    self._first = compile_enclosure(first, smooth=True)
        found = self._arb.jet(a, b)
        if found is not None:
            self.arb_enclosures += 1
            return arb_down(found[1]), arb_up(found[1])
        self.mpmath_enclosures += 1
        if not self.smooth_on(a, b):
            return None
        try:
            lo, hi = self._first(_from_floats(a, b))
        except (NotSmooth, _Undefined):
            return None
        return _down(lo), _up(hi)

    def range_width(self, a: float, b: float) -> float | None:
        """The width of the enclosure of ``g`` on ``[a, b]`` (``None`` if unbounded)."""
        ball = self._arb.ball(a, b)
        if ball is not None:
            self.arb_enclosures += 1
            return arb_up(2 * ball.rad())
        g = self._enclose(a, b, counted=False)
        if g is None:
            return None
        return _up(lm.mpf_sub(g[1], g[0], PRECISION, lm.round_ceiling))

    def _enclose(self, a: float, b: float, *, counted: bool = True) -> Interval | None:
        """A finite enclosure of ``g`` on ``[a, b]`` (Arb first), or ``None``."""
        if counted:
            ball = self._arb.ball(a, b)
            if ball is not None:
                self.arb_enclosures += 1
                return _from_arb(ball.lower()), _from_arb(ball.upper())
        self.mpmath_enclosures += 1
        try:
            g = self._range(_from_floats(a, b))
        except _Undefined:
            return None
        return g if _is_finite(g) else None

    def error_range(
        self, left: Node, right: Node, *, expect: int | None = None
    ) -> ErrorRange | None:
        """An interval ``[lo, hi]`` containing ``g - chord`` on the cell, and the sign of ``g''``.

        ``chord`` joins the (unshifted) node values. Where ``g`` is smooth with
        ``g''`` enclosed in ``[m, M]``, the remainder formula
        ``g(x) - L(x) = -(x - a)(b - x) g''(xi) / 2`` gives
        ``lo = -h**2/8 max(M, 0) - r`` and ``hi = h**2/8 max(-m, 0) + r`` (``r``: node
        radius), and the sign is ``+1`` (convex), ``-1`` (concave) or ``0`` (``g''``
        may vanish). Otherwise the oscillation enclosure is used with sign ``0`` (and
        ``smooth`` False). ``lo`` and ``hi`` are floats rounded outward: with a
        relative margin of ``2**-50`` after float arithmetic on an Arb enclosure
        (cells longer than ``2**-400``), from exact rationals otherwise.
        Returns ``None`` when no finite range is proved. A caller that needs only the
        sign where it differs from ``expect`` may get a wider (still valid) range there.
        """
        a, b = left.x, right.x
        enclosure: Interval | None = None
        h = b - a
        coefficients = self._arb.chord_error(a, b, expect=expect) if h > _FLOAT_SAFE else None
        if coefficients is not None:
            self.arb_enclosures += 1
            # in floats, each result rounded outward by the margin (all terms >= 0)
            # (1e-323 covers a product that may underflow)
            down, up, sign = coefficients
            q = h * h * _RADIUS_MARGIN
            r = max(left.radius, right.radius)
            lo = -((q * down + r) * _RADIUS_MARGIN + (1e-323 if down else 0.0))
            hi = (q * up + r) * _RADIUS_MARGIN + (1e-323 if up else 0.0)
            return ErrorRange(lo, hi, sign, True)
        found = self._arb.jet(a, b)
        if found is not None:
            self.arb_enclosures += 1
            twice = 2 * found[2]
            enclosure = _from_arb(twice.lower()), _from_arb(twice.upper())
        else:
            self.mpmath_enclosures += 1
            if self.smooth_on(a, b):
                try:
                    enclosure = self._second(_from_floats(a, b))
                except (NotSmooth, _Undefined):
                    enclosure = None
        m = big_m = None
        if enclosure is not None and _is_finite(enclosure):
            m = _bounded_fraction(enclosure[0], up=False)
            big_m = _bounded_fraction(enclosure[1], up=True)
        if m is not None and big_m is not None:
            h_exact = Fraction(b) - Fraction(a)
            r_exact = Fraction(max(left.radius, right.radius))
            lo_exact = -h_exact * h_exact / 8 * max(big_m, Fraction(0)) - r_exact
            hi_exact = h_exact * h_exact / 8 * max(-m, Fraction(0)) + r_exact
            sign = 1 if m >= 0 else (-1 if big_m <= 0 else 0)
            return ErrorRange(-up_fraction(-lo_exact), up_fraction(hi_exact), sign, True)
        g = self._enclose(a, b)
        if g is None:
            return None
        g_lo = _bounded_fraction(g[0], up=False)
        g_hi = _bounded_fraction(g[1], up=True)
        if g_lo is None or g_hi is None:
            return None
        ya, yb = left.fraction, right.fraction
        lo_exact, hi_exact = g_lo - max(ya, yb), g_hi - min(ya, yb)
        return ErrorRange(-up_fraction(-lo_exact), up_fraction(hi_exact), 0, False)

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
        # c2_bound, with its common case first: the hot path of the adaptive march
        lr, rr = left.radius, right.radius
        arb_c2 = self._arb.c2_bound(left.x, right.x, lr if lr > rr else rr)
        if arb_c2 is not None and target is not None and arb_c2 <= target:
            self.arb_enclosures += 1
            return arb_c2, "C2"
        c2 = self._c2_recheck(left, right, arb_c2, target)
        if c2 is not None and target is not None and c2 <= target:
            return c2, "C2"
        found: list[tuple[float, str]] = [] if c2 is None else [(c2, "C2")]
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

    def trial(
        self, left: Node, x: float, *, target: float, slack: float
    ) -> tuple[Node, float | None, str]:
        """``node(x, slack=slack)`` and ``cell_bound(left, node, target=target)`` in one
        call: the hot path of the adaptive march (a trial cell ``[left.x, x]``).

        Returns:
            The node at ``x`` and :meth:`cell_bound`'s ``(bound, how)``.

        Examples:
            >>> import sympy as sp
            >>> from reluapprox.expr import SYMBOL
            >>> cert = CellCertifier(SYMBOL**2)
            >>> right, bound, how = cert.trial(cert.node(0.0), 0.5, target=0.1, slack=1e-20)
            >>> right.fraction, 0.0625 <= bound < 0.0626, how  # h**2/8 * 2
            (Fraction(1, 4), True, 'C2')
        """
        right = self.node(x, slack=slack)
        bound, how = self.cell_bound(left, right, target=target)
        return right, bound, how


def max_error_mp(
    g_mp: Callable[[Any], Any],
    net: ShallowNetwork | ReluNetwork,
    domain: Sequence[float],
    n: int,
    *,
    prec: int = 113,
    per_cell: bool = True,
) -> float:
    """The observed ``max |g(x) - f(x)|`` on a dense grid, computed in high precision.

    The grid is ``n`` equally spaced points of ``domain`` (endpoints included) plus,
    if ``per_cell``, the midpoint and the quarter points of every cell between
    consecutive knots and the domain's right end (shallow networks only). ``f`` is
    evaluated exactly (``net.exact``), ``g`` with ``g_mp`` on mpmath numbers at
    ``prec`` bits, and the difference is rounded once.

    Args:
        g_mp: the target function on ``mpmath.mpf`` arguments.
        net: the network ``f`` (shallow, or a :class:`ReluNetwork` ``R -> R``).
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
    ends = [*net.knots, Fraction(b)] if isinstance(net, ShallowNetwork) else []
    for left, right in itertools.pairwise(ends) if per_cell else ():
        if Fraction(a) <= left and right <= Fraction(b):
            for t in (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)):
                grid.add(left + (right - left) * t)
    worst = mpmath.mpf(0)
    with mpmath.workprec(prec):
        for q in sorted(grid):
            x = mpmath.mpf(q.numerator) / q.denominator
            fx = net.exact(q) if isinstance(net, ShallowNetwork) else net.exact([q])[0]
            diff = abs(g_mp(x) - mpmath.mpf(fx.numerator) / fx.denominator)
            if not mpmath.isfinite(diff):
                raise EvaluationError(f"g_mp({float(q)!r}) is not finite")
            worst = max(worst, diff)
        return _up(worst._mpf_)
