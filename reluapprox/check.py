"""The independent checker of certificate files: ``reluapprox check FILE...``.

It re-proves the claim of a certificate (:mod:`reluapprox.certificate`) from the file
alone and imports no constructor module (``expr``, ``certify``, ``mesh``,
``approximation``, ``interpolation``, ``shallow``; a test inspects the imports): its
own parser of the target, Arb ball arithmetic (python-flint) for ``g``, exact
rationals for the network. The claimed bound is compared with, never used as, a proof.

- ``approximation``: the pieces of the 1-D network ``f`` (any depth) are found
  exactly; on a piece ``[u, v]``, ``|g - f|`` is bounded by the endpoint errors plus
  ``h^2/8`` times an Arb enclosure of ``g''`` (one-sided, see :func:`_enclose`), or
  by the range of ``g`` minus that of ``f``; pieces are bisected until
  ``max |g - f| <= claimed_bound < eps`` is proved or the budget is spent.
- ``farkas`` and ``threshold_count``: checked in integers.

Examples:
    >>> doc = {
    ...     "format": FORMAT,
    ...     "version": VERSION,
    ...     "kind": "farkas",
    ...     "labels": [0, 1, 1, 0],
    ...     "points": [[0, 0], [0, 1], [1, 0], [1, 1]],
    ...     "multipliers": ["1/4"] * 4,
    ... }
    >>> check_certificate(doc)
    CheckResult(valid=True, reason='the 4 labelled points are not linearly separable (Farkas)')
    >>> check_certificate({**doc, "multipliers": ["1/4", "1/4", "1/4", "1/3"]}).valid
    False
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import flint
from flint import arb, fmpq

from reluapprox._validation import check_positive_finite

__all__ = ["FORMAT", "VERSION", "CheckResult", "check_certificate", "check_file"]

FORMAT = "reluapprox-certificate"
VERSION = 1
#: Limits: bytes, digits of a numerator or denominator, pieces, bisections (in all and
#: nested in one piece), characters of the expression.
MAX_BYTES = 256 * 2**20
MAX_DIGITS = 1000
MAX_PIECES = 5_000_000
MAX_BISECTIONS = 20_000
MAX_DEPTH = 40
MAX_EXPRESSION = 1000
#: Arb working precision in bits.
PRECISION = 96
DEFAULT_TIME_LIMIT = 60.0
_RATIONAL = re.compile(f"-?[0-9]{{1,{MAX_DIGITS}}}(/[0-9]{{1,{MAX_DIGITS}}})?")


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one certificate: ``valid`` and the reason (what was proved)."""

    valid: bool
    reason: str


class Invalid(Exception):
    """The certificate is refused; the message is the reason."""


class _Undefined(Exception):
    """An enclosure failed (outside the domain of a function, a kink, a pole)."""


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _get(doc: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in doc:
        raise Invalid(f"missing field {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Invalid(f"field {key!r}={_short(value)} has the wrong type")
    return value


def _rational(name: str, value: object) -> Fraction:
    """An exact rational from an int or a string ``"p"``/``"p/q"`` of bounded size."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _RATIONAL.fullmatch(value):
        raise Invalid(f"{name}={_short(value)} is not an exact rational 'p/q' of at most "
                      f"{MAX_DIGITS} digits each")  # fmt: skip
    num, _, den = value.partition("/")
    if den and int(den) == 0:
        raise Invalid(f"{name}={_short(value)} divides by zero")
    return Fraction(int(num), int(den or 1))


def _vector(name: str, value: object, length: int | None = None) -> list[Fraction]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise Invalid(f"{name} is not a list of {length if length is not None else ''} rationals")
    return [_rational(f"{name}[{i}]", v) for i, v in enumerate(value)]


# ------------------------------------------------------------------ expressions
_FUNCTIONS = {
    "abs": 1, "atan": 1, "cos": 1, "cosh": 1, "exp": 1, "log": 1, "max": 2, "min": 2,
    "relu": 1, "sign": 1, "sin": 1, "sinh": 1, "sqrt": 1, "tan": 1, "tanh": 1,
}  # fmt: skip
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
Node = tuple[Any, ...]


def _parse_target(text: object) -> Node:
    """Parse an expression in ``x`` into a tree of tuples (a whitelist of the syntax tree).

    Numbers are exact (``0.7`` is ``7/10``); names are ``x``, ``pi`` and ``e``; the
    operators ``+ - * / **`` and the functions of ``reluapprox approximate --help``.

    Examples:
        >>> _parse_target("2*x**2")
        ('mul', ('num', Fraction(2, 1)), ('pow', ('x',), ('num', Fraction(2, 1))))
        >>> _parse_target("__import__('os')")
        Traceback (most recent call last):
        ...
        reluapprox.check.Invalid: target: calling '__import__' is not allowed
    """
    if not isinstance(text, str) or not 0 < len(text) <= MAX_EXPRESSION:
        raise Invalid(f"target={_short(text)} is not an expression of 1..1000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _node(tree.body, text.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise Invalid(f"target={_short(text)} does not parse ({type(error).__name__})") from None


def _node(node: ast.AST, source: str) -> Node:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        segment = (ast.get_source_segment(source, node) or "").replace("_", "").lower()
        power = segment.partition("e")[2].lstrip("+-")
        if len(segment) > 40 or (power and not (power.isdigit() and int(power) <= 400)):
            raise Invalid(f"target: the number {segment[:40]!r} is too long")
        return ("num", Fraction(segment))
    if isinstance(node, ast.Name) and node.id in ("x", "pi", "e"):
        return (node.id,)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _node(node.operand, source)
        if isinstance(node.op, ast.UAdd):
            return inner
        return ("num", -inner[1]) if inner[0] == "num" else ("neg", inner)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op, left, right = (
            _BINARY[type(node.op)],
            _node(node.left, source),
            _node(node.right, source),
        )
        if left[0] == right[0] == "num" and op != "pow" and (op != "div" or right[1]):
            q, r = left[1], right[1]  # fold numbers: an exponent 7/10 stays exact
            return (
                "num",
                q + r if op == "add" else q - r if op == "sub" else q * r if op == "mul" else q / r,
            )
        return (op, left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name not in _FUNCTIONS:
            raise Invalid(f"target: calling {name!r} is not allowed")
        if node.keywords or len(node.args) != _FUNCTIONS[name]:
            raise Invalid(f"target: {name} takes {_FUNCTIONS[name]} positional argument(s)")
        return ("call", name, *(_node(arg, source) for arg in node.args))
    raise Invalid(f"target: {type(node).__name__} is not allowed")


def _constant(node: Node) -> Fraction | None:
    return node[1] if node[0] == "num" else None


def _ball(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def _number(node: Node) -> arb:
    return _ball(node[1]) if node[0] == "num" else arb.pi() if node[0] == "pi" else arb.const_e()


def _finite(*values: arb) -> None:
    for value in values:
        if not value.is_finite():
            raise _Undefined


# An interval is a pair (lo, hi) of balls: it stands for [lo.lower(), hi.upper()].
# A point has lo is hi (computed once).
Pair = tuple[arb, arb]
_INCREASING: dict[str, Callable[[arb], arb]] = {
    "atan": arb.atan, "exp": arb.exp, "log": arb.log, "sinh": arb.sinh, "sqrt": arb.sqrt,
    "tanh": arb.tanh,
}  # fmt: skip
_HULL: dict[str, Callable[[arb], arb]] = {
    "cos": arb.cos, "cosh": arb.cosh, "sign": arb.sgn, "sin": arb.sin, "tan": arb.tan,
}  # fmt: skip
_ZERO = arb(0)


def _map(f: Callable[[arb], arb], a: Pair, increasing: bool = True) -> Pair:
    if a[0] is a[1]:
        r = f(a[0])
        return r, r
    lo, hi = f(a[0]), f(a[1])
    return (lo, hi) if increasing else (hi, lo)


def _interval(node: Node, x: Pair) -> Pair:
    """An enclosure of the expression on the interval (or point) ``x``."""
    op = node[0]
    if op == "x":
        return x
    if op in ("num", "pi", "e"):
        c = _number(node)
        return c, c
    if op == "neg":
        lo, hi = _interval(node[1], x)
        return -hi, -lo
    if op == "call":
        name = node[1]
        args = [_interval(arg, x) for arg in node[2:]]
        a = args[0]
        if name in _INCREASING:
            return _map(_INCREASING[name], _clip(a))
        if name in _HULL:
            r = _HULL[name](a[0].union(a[1]))
            return r, r
        if name in ("max", "min"):
            pick = arb.max if name == "max" else arb.min
            return _map2(pick, a, args[1])
        if name == "relu":
            return _map(lambda v: v.max(_ZERO), a)
        if a[0] >= 0:  # abs
            return a
        if a[1] <= 0:
            return -a[1], -a[0]
        return _ZERO, (-a[0]).max(a[1]).nonnegative_part()
    left, right = _interval(node[1], x), _interval(node[2], x)
    if op == "add":
        return _map2(arb.__add__, left, right)
    if op == "sub":
        return _map2(arb.__sub__, left, (right[1], right[0]))
    if op == "mul":
        return _mul(left, right)
    if op == "div":
        return _mul(left, _inverse(right))
    return _power(left, right, _constant(node[2]))


def _clip(a: Pair) -> Pair:
    """``[lo, hi]`` with ``hi`` cut to ``[0, inf)`` when ``lo >= 0`` (so ``hi >= 0`` too)."""
    return (a[0], a[1].nonnegative_part()) if a[0] is not a[1] and a[0] >= 0 else a


def _map2(f: Callable[[arb, arb], arb], a: Pair, b: Pair) -> Pair:
    if a[0] is a[1] and b[0] is b[1]:
        r = f(a[0], b[0])
        return r, r
    return f(a[0], b[0]), f(a[1], b[1])


def _mul(a: Pair, b: Pair) -> Pair:
    if a[0] is a[1] and b[0] is b[1]:
        r = a[0] * b[0]
        return r, r
    products = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    lo, hi = products[0], products[0]
    for p in products[1:]:
        lo, hi = lo.min(p), hi.max(p)
    return lo, hi


def _inverse(a: Pair) -> Pair:
    if not (a[0] > 0 or a[1] < 0):
        raise _Undefined
    return _map(lambda v: 1 / v, a, increasing=False)


def _power(base: Pair, exponent: Pair, c: Fraction | None) -> Pair:
    if c is not None and c.denominator == 1 and abs(c) <= 1000:
        n = int(c)
        if n < 0:
            return _inverse(_power(base, exponent, -c))
        if n % 2 == 1 or base[0] >= 0:
            return _map(lambda v: v**n, base)
        if base[1] <= 0:
            return _map(lambda v: v**n, base, increasing=False)
        return _ZERO, (base[0] ** n).max(base[1] ** n)
    if c is not None:
        if not (base[0] >= 0 if c > 0 else base[0] > 0):
            raise _Undefined
        e = _ball(c)
        return _map(lambda v: v**e, _clip(base), increasing=c > 0)
    if not base[0] > 0:
        raise _Undefined
    lo, hi = _mul(exponent, _map(arb.log, base))
    return _map(arb.exp, (lo, hi))


# Second-order jets (value, first, second derivative) of balls, for g'' on a piece.
Jet = tuple[arb, arb, arb]
_DERIVATIVES: dict[str, Callable[[arb], tuple[arb, arb, arb]]] = {
    "exp": lambda v: (v.exp(),) * 3,
    "log": lambda v: (v.log(), 1 / v, -1 / v**2),
    "sin": lambda v: (v.sin(), v.cos(), -v.sin()),
    "cos": lambda v: (v.cos(), -v.sin(), -v.cos()),
    "tan": lambda v: (lambda t: (t, 1 + t**2, 2 * t * (1 + t**2)))(v.tan()),
    "sinh": lambda v: (v.sinh(), v.cosh(), v.sinh()),
    "cosh": lambda v: (v.cosh(), v.sinh(), v.cosh()),
    "tanh": lambda v: (lambda t: (t, 1 - t**2, -2 * t * (1 - t**2)))(v.tanh()),
    "atan": lambda v: (v.atan(), 1 / (1 + v**2), -2 * v / (1 + v**2) ** 2),
    "sqrt": lambda v: (lambda s: (s, 1 / (2 * s), -1 / (4 * s * v)))(v.sqrt()),
}


def _chain(f: tuple[arb, arb, arb], a: Jet) -> Jet:
    return f[0], f[1] * a[1], f[2] * a[1] ** 2 + f[1] * a[2]


def _jet(node: Node, x: Jet) -> Jet:
    """Value and derivatives of the expression on the ball ``x[0]`` (raises at kinks)."""
    op = node[0]
    if op == "x":
        return x
    if op in ("num", "pi", "e"):
        return _number(node), _ZERO, _ZERO
    if op == "neg":
        j = _jet(node[1], x)
        return -j[0], -j[1], -j[2]
    if op == "call":
        name = node[1]
        a = _jet(node[2], x)
        if name in _DERIVATIVES:
            return _chain(_DERIVATIVES[name](a[0]), a)
        if name in ("max", "min"):
            b = _jet(node[3], x)
            d = a[0] - b[0]
            if not (d > 0 or d < 0):
                raise _Undefined
            return a if (d > 0) == (name == "max") else b
        if not (a[0] > 0 or a[0] < 0):
            raise _Undefined
        if name == "sign":
            return arb(1 if a[0] > 0 else -1), _ZERO, _ZERO
        if a[0] > 0:
            return a
        return (-a[0], -a[1], -a[2]) if name == "abs" else (_ZERO, _ZERO, _ZERO)
    a, b = _jet(node[1], x), _jet(node[2], x)
    if op == "add":
        return a[0] + b[0], a[1] + b[1], a[2] + b[2]
    if op == "sub":
        return a[0] - b[0], a[1] - b[1], a[2] - b[2]
    if op == "div":
        w = b[0]
        b = _chain((1 / w, -1 / w**2, 2 / w**3), b)
    elif op == "pow":
        power = _constant(node[2])
        if power is None:
            return _jet(("call", "exp", ("mul", node[2], ("call", "log", node[1]))), x)
        v = a[0]
        if power.denominator == 1 and abs(power) <= 1000:
            n = int(power)
            if n in (0, 1):
                return a if n else (arb(1), _ZERO, _ZERO)
            return _chain((v**n, n * v ** (n - 1), n * (n - 1) * v ** (n - 2)), a)
        if not v > 0:
            raise _Undefined
        e = _ball(power)
        return _chain((v**e, e * v ** (e - 1), e * (e - 1) * v ** (e - 2)), a)
    return a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + 2 * a[1] * b[1] + a[0] * b[2]


# ------------------------------------------------------------------------ networks
# A piecewise-linear function on [a, b]: (value at a, slope right of a, kinks), the
# kinks a sorted list of (t, change of slope at t) with a < t < b.
Linear = tuple[Fraction, Fraction, list[tuple[Fraction, Fraction]]]


def _network(doc: dict[str, Any]) -> list[tuple[list[list[Fraction]], list[Fraction]]]:
    widths = _get(doc, "widths", list)
    weights = _get(doc, "weights", list)
    biases = _get(doc, "biases", list)
    if not (2 <= len(widths) <= 1000) or any(type(w) is not int or w < 1 for w in widths):
        raise Invalid(f"network widths={_short(widths)} is not a list of 2..1000 positive ints")
    if widths[0] != 1 or widths[-1] != 1:
        raise Invalid(f"network widths={_short(widths)}: input and output width must be 1")
    if sum(a * b for a, b in itertools.pairwise(widths)) > MAX_PIECES:
        raise Invalid(f"network widths={_short(widths)}: more than {MAX_PIECES} weights")
    if len(weights) != len(widths) - 1 or len(biases) != len(widths) - 1:
        raise Invalid(f"network: {len(widths) - 1} weight matrices and bias vectors expected")
    layers = []
    for i, (rows, bias) in enumerate(zip(weights, biases, strict=True)):
        if not isinstance(rows, list) or len(rows) != widths[i + 1]:
            raise Invalid(f"network weights[{i}] does not have {widths[i + 1]} rows")
        matrix = [_vector(f"weights[{i}][{k}]", row, widths[i]) for k, row in enumerate(rows)]
        layers.append((matrix, _vector(f"biases[{i}]", bias, widths[i + 1])))
    return layers


def _combine(row: list[Fraction], bias: Fraction, inputs: list[Linear]) -> Linear:
    value, slope = bias, Fraction(0)
    kinks: dict[Fraction, Fraction] = {}
    for w, (v, s, ks) in zip(row, inputs, strict=True):
        if w:
            value += w * v
            slope += w * s
            for t, d in ks:
                kinks[t] = kinks.get(t, Fraction(0)) + w * d
    return value, slope, sorted((t, d) for t, d in kinks.items() if d)


def _relu(f: Linear, a: Fraction, b: Fraction) -> Linear:
    """``relu(f)``: walk the pieces, add the zero crossings, keep slopes where ``f > 0``."""
    value, slope, kinks = f
    if not kinks and value >= 0 and value + slope * (b - a) >= 0:
        return f
    zero = Fraction(0)
    first = current = slope if value > 0 or (value == 0 and slope > 0) else zero
    out, x, v, s = [], a, value, slope
    for t, d in [*kinks, (b, zero)]:
        w = v + s * (t - x)
        if (v > 0 > w) or (v < 0 < w):  # a zero crossing inside (x, t)
            out.append((x - v / s, (s if w > 0 else zero) - current))
            current = s if w > 0 else zero
        x, v, s = t, w, s + d
        new = s if (v > 0 or (v == 0 and s > 0)) else zero
        if t < b and new != current:
            out.append((t, new - current))
            current = new
    return max(value, zero), first, out


def _pieces(
    layers: list[tuple[list[list[Fraction]], list[Fraction]]],
    a: Fraction,
    b: Fraction,
    deadline: float,
) -> tuple[list[Fraction], list[Fraction]]:
    """The breakpoints ``a = x_0 < ... < x_N = b`` of the network and its exact values."""
    functions: list[Linear] = [(a, Fraction(1), [])]
    total = 0
    for depth, (matrix, bias) in enumerate(layers):
        out = []
        for row, c in zip(matrix, bias, strict=True):
            f = _combine(row, c, functions)
            if depth < len(layers) - 1:
                f = _relu(f, a, b)
            total += len(f[2])
            if total > MAX_PIECES:
                raise Invalid(f"network: more than {MAX_PIECES} kinks")
            if time.monotonic() > deadline:
                raise Invalid("time limit exceeded while finding the pieces of the network")
            out.append(f)
        functions = out
    value, slope, kinks = functions[0]
    xs, fs = [a], [value]
    for t, d in [*kinks, (b, Fraction(0))]:
        value += slope * (t - xs[-1])
        xs.append(t)
        fs.append(value)
        slope += d
    return xs, fs


# ------------------------------------------------------------------- approximation
def _approximation(doc: dict[str, Any], deadline: float) -> str:
    text = _get(doc, "target", str)
    expr = _parse_target(text)
    domain = _vector("domain", _get(doc, "domain", list), 2)
    a, b = domain
    eps = _rational("eps", _get(doc, "eps", (str, int)))
    claimed = _rational("claimed_bound", _get(doc, "claimed_bound", (str, int)))
    if not a < b:
        raise Invalid(f"domain=[{a}, {b}] is empty")
    if not 0 <= claimed < eps:
        raise Invalid(f"claimed_bound={float(claimed):.6g} is not in [0, eps={float(eps):.6g})")
    xs, fs = _pieces(_network(_get(doc, "network", dict)), a, b, deadline)
    proved = _bound(expr, xs, fs, claimed, deadline)
    return (
        f"max |g - f| <= {proved:.6g} <= claimed_bound {float(claimed):.6g} < eps "
        f"{float(eps):.6g} for g = {text} on [{float(a):g}, {float(b):g}], "
        f"{len(xs) - 1} pieces"
    )


def _at(expr: Node, x: Fraction, f: Fraction) -> arb:
    """``g(x) - f`` as a ball."""
    point = _ball(x)
    try:
        lo, hi = _interval(expr, (point, point))
        g = lo if lo is hi else lo.union(hi)  # abs near 0 gives [0, hi] even at a point
        _finite(g)
    except _Undefined:
        raise Invalid(f"g cannot be enclosed at x={x} (outside its domain?)") from None
    return g - _ball(f)


def _enclose(
    expr: Node, uu: arb, vv: arb, fu: Fraction, fv: Fraction, lo: arb, hi: arb, bound: arb
) -> arb | None:
    """A proved bound ``<= bound`` of ``|g - f|`` on a piece with endpoint errors in ``[lo, hi]``.

    With ``[m, M]`` enclosing ``g''`` (C^2 on the piece): ``g - f`` minus its chord is
    ``-(x - u)(v - x) g''(xi) / 2``, in ``[-h^2/8 max(M, 0), h^2/8 max(-m, 0)]``. Else
    the range of ``g`` minus the range ``[min(fu, fv), max(fu, fv)]`` of ``f``.
    """
    for method in ("C2", "range"):
        try:
            if method == "C2":
                second = _jet(expr, (uu.union(vv), arb(1), _ZERO))[2]
                q = (vv - uu) ** 2 / 8
                low, high = (
                    lo - q * second.upper().max(_ZERO),
                    hi + q * (-second.lower()).max(_ZERO),
                )
            else:
                glo, ghi = _interval(expr, (uu, vv))
                low, high = glo - _ball(max(fu, fv)), ghi - _ball(min(fu, fv))
            _finite(low, high)
        except _Undefined:
            continue
        if low >= -bound and high <= bound:
            return high.max(-low)
    return None


def _bound(
    expr: Node, xs: list[Fraction], fs: list[Fraction], c: Fraction, deadline: float
) -> float:
    """Prove ``|g - f| <= c`` on every piece; return the largest bound proved."""
    bound, worst = _ball(c), _ZERO
    balls = [_ball(x) for x in xs]
    errors = []
    for k, (x, f) in enumerate(zip(xs, fs, strict=True)):
        if k % 1024 == 0 and time.monotonic() > deadline:
            raise Invalid(f"time limit exceeded after {k} of {len(xs)} breakpoints")
        errors.append(_at(expr, x, f))
    stack: list[tuple[Any, ...]] = []
    bisections = 0
    for k in range(len(xs) - 1, 0, -1):
        if k % 1024 == 0 and time.monotonic() > deadline:
            raise Invalid(f"time limit exceeded with {k} of {len(xs) - 1} pieces left")
        stack.append((xs[k - 1], xs[k], balls[k - 1], balls[k], fs[k - 1], fs[k],
                      errors[k - 1], errors[k], 0))  # fmt: skip
        while stack:
            u, v, uu, vv, fu, fv, eu, ev, depth = stack.pop()
            lo, hi = eu.min(ev), eu.max(ev)
            found = _enclose(expr, uu, vv, fu, fv, lo, hi, bound)
            if found is not None:
                worst = worst.max(found)
                continue
            if lo < -bound or hi > bound:
                raise Invalid(
                    f"|g - f| > claimed_bound at x={float(u if abs(eu) > bound else v)!r}"
                )
            bisections += 1
            if depth == MAX_DEPTH or bisections > MAX_BISECTIONS or time.monotonic() > deadline:
                raise Invalid(
                    f"could not prove |g - f| <= claimed_bound on [{float(u)!r}, {float(v)!r}] "
                    f"within {MAX_DEPTH} bisections of a piece, {MAX_BISECTIONS} in all and "
                    "the time limit"
                )
            m, fm = (u + v) / 2, (fu + fv) / 2
            mm, em = _ball(m), _at(expr, m, fm)
            depth += 1
            stack += [(u, m, uu, mm, fu, fm, eu, em, depth), (m, v, mm, vv, fm, fv, em, ev, depth)]
    return float(worst.upper())


# -------------------------------------------------------------------- combinatorics
def _integers(values: list[Fraction]) -> list[int]:
    """``values`` times their least common denominator (a positive scaling)."""
    scale = math.lcm(*(q.denominator for q in values))
    return [int(q * scale) for q in values]


def _farkas_holds(points: list[list[Any]], labels: list[int], multipliers: list[Fraction]) -> bool:
    """Exact check of ``λ >= 0``, ``λ != 0``, ``sum λ_i s_i (x_i, 1) = 0``."""
    lam = _integers(multipliers)
    if any(v < 0 for v in lam) or not any(lam):
        return False
    signed = [v if y == 1 else -v for v, y in zip(lam, labels, strict=True)]
    if sum(signed):
        return False
    dim = len(points[0]) if points else 0
    return all(not sum(s * p[j] for s, p in zip(signed, points, strict=True)) for j in range(dim))


def _farkas(doc: dict[str, Any]) -> str:
    raw = _get(doc, "points", list)
    labels = _get(doc, "labels", list)
    if not 0 < len(raw) <= 100_000 or len(labels) != len(raw):
        raise Invalid("farkas: 1..100000 points with one label each expected")
    points = [_vector(f"points[{i}]", p) for i, p in enumerate(raw)]
    if len({len(p) for p in points}) != 1 or len(points[0]) > 1000:
        raise Invalid("farkas: the points do not all have the same dimension (<= 1000)")
    if any(type(y) is not int or y not in (0, 1) for y in labels):
        raise Invalid("farkas: labels must be 0 or 1")
    multipliers = _vector("multipliers", _get(doc, "multipliers", list), len(points))
    if not _farkas_holds(points, labels, multipliers):
        raise Invalid("farkas: the multipliers do not satisfy the Farkas conditions")
    return f"the {len(points)} labelled points are not linearly separable (Farkas)"


def _threshold_count(doc: dict[str, Any]) -> str:
    n = _get(doc, "n", int)
    if not 0 <= n <= 4:
        raise Invalid(f"threshold_count: n={n} is not in 0..4")
    count = _get(doc, "count", int)
    entries = _get(doc, "functions", list)
    size = 2**n
    if len(entries) != 2**size:
        raise Invalid(f"threshold_count: {2**size} functions expected, got {len(entries)}")
    cube = [[(i >> j) & 1 for j in range(n)] for i in range(size)]
    separable = 0
    for table, entry in enumerate(entries):
        labels = [(table >> i) & 1 for i in range(size)]
        if not isinstance(entry, dict):
            raise Invalid(f"threshold_count: functions[{table}] is not an object")
        if "w" in entry:
            *w, c = _integers(
                [*_vector(f"w of {table}", entry["w"], n), _rational("b", entry.get("b"))]
            )
            if any((sum(wj * xj for wj, xj in zip(w, x, strict=True)) + c >= 0) != y
                   for x, y in zip(cube, labels, strict=True)):  # fmt: skip
                raise Invalid(f"threshold_count: the separator of function {table} is wrong")
            separable += 1
        elif not _farkas_holds(
            cube, labels, _vector(f"multipliers of {table}", entry.get("multipliers"), size)
        ):
            raise Invalid(f"threshold_count: the Farkas multipliers of function {table} are wrong")
    if separable != count:
        raise Invalid(f"threshold_count: {separable} separable functions, not count={count}")
    return f"exactly {count} of the {2**size} Boolean functions of {n} variables are threshold"


# ---------------------------------------------------------------------------- files
_KINDS: dict[str, Callable[..., str]] = {
    "approximation": _approximation,
    "farkas": lambda doc, deadline: _farkas(doc),
    "threshold_count": lambda doc, deadline: _threshold_count(doc),
}


def check_certificate(doc: object, *, time_limit: float = DEFAULT_TIME_LIMIT) -> CheckResult:
    """Check a parsed certificate; a bad document is invalid, never an exception.

    Raises:
        InvalidArgument: for a ``time_limit`` that is not a finite number > 0.
    """
    time_limit = check_positive_finite("time_limit", time_limit)
    previous = flint.ctx.prec
    flint.ctx.prec = PRECISION
    try:
        if not isinstance(doc, dict):
            raise Invalid("the document is not a JSON object")
        if doc.get("format") != FORMAT:
            raise Invalid(f"format={_short(doc.get('format'))} is not {FORMAT!r}")
        if doc.get("version") != VERSION or type(doc.get("version")) is not int:
            raise Invalid(f"version={_short(doc.get('version'))} is not supported (only {VERSION})")
        kind = doc.get("kind")
        if kind not in _KINDS:
            raise Invalid(f"kind={_short(kind)} is not one of {', '.join(sorted(_KINDS))}")
        return CheckResult(True, _KINDS[kind](doc, time.monotonic() + time_limit))
    except Invalid as error:
        return CheckResult(False, str(error))
    except (RecursionError, MemoryError, ValueError, TypeError, ArithmeticError) as error:
        return CheckResult(False, f"malformed certificate ({type(error).__name__}: {error})")
    finally:
        flint.ctx.prec = previous


def _no_constant(name: str) -> None:
    raise Invalid(f"the JSON constant {name} is not a number the format allows")


def check_file(path: str | Path, *, time_limit: float = DEFAULT_TIME_LIMIT) -> CheckResult:
    """Read and check one certificate file (size-limited; JSON errors make it invalid).

    Raises:
        InvalidArgument: for a ``time_limit`` that is not a finite number > 0.

    Examples:
        >>> check_file("/nonexistent.json").reason
        'cannot read the file (FileNotFoundError: No such file or directory)'
    """
    time_limit = check_positive_finite("time_limit", time_limit)
    try:
        path = Path(path)
        if path.stat().st_size > MAX_BYTES:
            return CheckResult(False, f"the file is larger than {MAX_BYTES} bytes")
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or str(error)
        return CheckResult(False, f"cannot read the file ({type(error).__name__}: {why})")
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except Invalid as error:
        return CheckResult(False, str(error))
    except (ValueError, RecursionError) as error:
        return CheckResult(False, f"not valid JSON ({type(error).__name__}: {str(error)[:80]})")
    return check_certificate(doc, time_limit=time_limit)
