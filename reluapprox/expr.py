"""One-variable target functions: safe parsing of strings, normalisation of inputs.

:func:`approximate <reluapprox.approximation.approximate>` accepts a string such as
``"sin(2*pi*x)"``, a sympy expression in one symbol or a Python callable. This
module turns each into a :class:`Target`, one object that evaluates the function on
float arrays (checking the values) and, for expressions, keeps the sympy expression
so that :mod:`reluapprox.certify` can enclose it and its derivatives in intervals.

Strings are never given to :func:`eval` or :func:`sympy.sympify` (both execute
Python). :func:`parse_expression` walks the Python syntax tree and accepts only
numbers, the variable, the constants ``pi`` and ``e``, the operators
``+ - * / **`` and calls of the functions in :data:`FUNCTIONS`; it builds the sympy
expression itself. Decimal literals are read exactly (``0.7`` is ``7/10``).

Parsing is bounded: the input has at most :data:`MAX_LENGTH` characters, numeric
exponents are at most :data:`MAX_EXPONENT` in absolute value, and every exact number
of the expression (numerator and denominator of each rational, also the numbers that
sympy would compute while building a power such as ``(9**999)**999``) has at most
:data:`MAX_NUMBER_BITS` bits: a power whose numbers would be larger is refused
*before* sympy computes it. A decimal literal's exponent is bounded before the
literal is read exactly (``1e-100000000`` is refused at once), every constant
sub-expression to which a function or a power is applied has magnitude at most
``2**MAX_NUMBER_BITS`` (``exp(exp(99))`` is refused before anything larger is built
from it), and the expression is nested at most :data:`MAX_DEPTH` levels deep. The
finished expression passes the same node whitelist as sympy input, so a string that
sympy evaluates to ``zoo`` (``log(0)``, ``tan(pi/2)``), ``nan`` or a non-real number
(``sqrt(-1)``, ``(-2)**x``) is refused too, with an
:class:`~reluapprox.errors.InvalidExpression` that quotes the string.

sympy simplifies while it builds (``sqrt(x)**2`` becomes ``x``, ``log(x) - log(x)``
becomes ``0``), which can widen the domain of definition. Every ``sqrt``, ``log`` and
non-integer or variable power *as written* therefore leaves a :data:`Guard` (its
argument must be ``>= 0`` or ``> 0``) on the :class:`Target` when sympy's result no
longer contains it; float evaluation and the interval enclosures of
:mod:`reluapprox.certify` check the guards, so such a ``g`` is never certified where
the written expression is undefined.

Examples:
    >>> parse_expression("sqrt(abs(x - 1/3))")
    sqrt(Abs(x - 1/3))
    >>> parse_expression("__import__('os').system('echo hi')")
    Traceback (most recent call last):
    ...
    reluapprox.errors.InvalidExpression: g='__import__(...)' is invalid: expected ...
    >>> t = as_target("exp(3*x)")
    >>> t.kind, round(float(t([0.0, 1.0])[1]), 6)
    ('expression', 20.085537)

References:
    Python documentation, :mod:`ast` (abstract syntax trees).
"""

from __future__ import annotations

import ast
import math
import numbers
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import sympy as sp

from reluapprox._validation import fail
from reluapprox.errors import EvaluationError, InvalidExpression

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NUMBER_BITS",
    "SYMBOL",
    "SYMBOL_Y",
    "Guard",
    "Target",
    "as_target",
    "parse_expression",
    "parse_with_guards",
]

FloatArray = npt.NDArray[np.float64]

#: The variable of parsed expressions (a real sympy symbol named ``x``).
SYMBOL = sp.Symbol("x", real=True)

#: The second variable of two-variable expressions (``parse_expression(text, symbols=2)``).
SYMBOL_Y = sp.Symbol("y", real=True)

#: Functions a string may call, by name, with their number of arguments.
FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "abs": (sp.Abs, 1),
    "atan": (sp.atan, 1),
    "cos": (sp.cos, 1),
    "cosh": (sp.cosh, 1),
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),
    "max": (sp.Max, 2),
    "min": (sp.Min, 2),
    "relu": (lambda u: sp.Max(u, 0), 1),
    "sign": (sp.sign, 1),
    "sin": (sp.sin, 1),
    "sinh": (sp.sinh, 1),
    "sqrt": (sp.sqrt, 1),
    "tan": (sp.tan, 1),
    "tanh": (sp.tanh, 1),
}

#: Named constants a string may use.
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}

#: Longest accepted string (characters).
MAX_LENGTH = 1000

#: Largest accepted absolute value of a numeric exponent (``x**1001`` is refused),
#: so that a string such as ``9**9**9`` cannot make sympy compute a huge integer.
MAX_EXPONENT = 1000

#: Largest accepted bit length of the numerator and of the denominator of every exact
#: number in a parsed expression (4096 bits: about 1233 decimal digits), so that a
#: string such as ``((9**999)**999)**999`` is refused at once instead of computed.
MAX_NUMBER_BITS = 4096

#: Deepest accepted nesting of an expression (syntax tree levels), so that sympy,
#: differentiation and the interval compiler stay far from Python's recursion limit.
MAX_DEPTH = 64

#: A domain condition of the expression as written: ``(argument, strict)`` means
#: ``argument >= 0`` (``argument > 0`` when ``strict``) wherever ``g`` is defined.
Guard = tuple[sp.Expr, bool]

#: Largest decimal exponent of a literal (``1e-5000`` is refused before it is read
#: exactly; 1234 decimal digits already exceed :data:`MAX_NUMBER_BITS` bits).
_MAX_DECIMAL_EXPONENT = 1300

_DECIMAL = re.compile(r"(?P<int>[0-9_]*)(?:\.(?P<frac>[0-9_]*))?(?:[eE](?P<exp>[+-]?[0-9_]+))?")

#: sympy node types an expression may contain (what reluapprox.certify can enclose).
_ALLOWED_NODES: tuple[type, ...] = (
    sp.Symbol,
    sp.Number,
    sp.NumberSymbol,
    sp.Add,
    sp.Mul,
    sp.Pow,
    sp.Abs,
    sp.sign,
    sp.Max,
    sp.Min,
    sp.exp,
    sp.log,
    sp.sin,
    sp.cos,
    sp.tan,
    sp.atan,
    sp.sinh,
    sp.cosh,
    sp.tanh,
)

_ACCEPTED = "an expression in x using numbers, pi, e, + - * / ** and the functions " + ", ".join(
    sorted(FUNCTIONS)
)


def _refuse(text: str, why: str) -> InvalidExpression:
    shown = text if len(text) <= 60 else text[:57] + "..."
    if "__" in shown or "import" in shown:
        shown = shown.split("(", 1)[0] + "(...)"
    return InvalidExpression(f"g={shown!r} is invalid: expected {_ACCEPTED} ({why})")


def parse_expression(text: str, *, symbols: int = 1) -> sp.Expr:
    """Parse ``text`` into a sympy expression in :data:`SYMBOL`, with a whitelist.

    Args:
        text: e.g. ``"sin(2*pi*x)"``, ``"1/(1 + 25*x**2)"``, ``"abs(x - 1/3)**0.7"``.
        symbols: 1 (only ``x``) or 2 (``x`` and ``y``, :data:`SYMBOL_Y`), e.g.
            ``parse_expression("sin(x)*cos(y)", symbols=2)``.

    Returns:
        The sympy expression (decimals become exact rationals).

    Raises:
        InvalidExpression: for anything but numbers, ``x``, ``pi``, ``e``, the
            operators ``+ - * / **`` (and unary ``+ -``) and calls of
            :data:`FUNCTIONS` with the right number of positional arguments:
            attribute access, subscripts, lambdas, other names, keywords, strings,
            too long input, too large exponents, numbers of more than
            :data:`MAX_NUMBER_BITS` bits and expressions that sympy evaluates to
            ``zoo``, ``nan`` or non-real numbers are all refused.

    Examples:
        >>> parse_expression("2*x**2 - 0.5")
        2*x**2 - 1/2
        >>> parse_expression("x.real")
        Traceback (most recent call last):
        ...
        reluapprox.errors.InvalidExpression: g='x.real' is invalid: expected ... (attribute access is not allowed)
        >>> parse_expression("log(0) + x")
        Traceback (most recent call last):
        ...
        reluapprox.errors.InvalidExpression: g='log(0) + x' is invalid: expected ... (it contains zoo: ...)
    """  # noqa: E501
    return parse_with_guards(text, symbols=symbols)[0]


def parse_with_guards(text: str, *, symbols: int = 1) -> tuple[sp.Expr, tuple[Guard, ...]]:
    """:func:`parse_expression` plus the domain conditions that sympy simplified away.

    Examples:
        >>> parse_with_guards("sqrt(x)**2")
        (x, ((x, False),))
        >>> parse_with_guards("sqrt(x) + 1")  # the sqrt is still there: no guard needed
        (sqrt(x) + 1, ())
    """
    if symbols not in (1, 2):
        fail("symbols", symbols, "1 (the variable x) or 2 (the variables x and y)")
    names = {SYMBOL.name: SYMBOL} if symbols == 1 else {SYMBOL.name: SYMBOL, "y": SYMBOL_Y}
    if not isinstance(text, str):
        raise InvalidExpression(f"g={text!r} is invalid: expected a string")
    if len(text) > MAX_LENGTH:
        raise _refuse(text, f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise _refuse(text, f"syntax error: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise _refuse(text, "cannot be parsed") from None
    if _ast_depth(tree.body) > MAX_DEPTH:
        raise _refuse(text, f"nested more than {MAX_DEPTH} levels deep")
    guards: list[tuple[sp.Expr, bool, sp.Expr]] = []
    try:
        expr = _build(tree.body, text.strip(), guards, names)
        why = _problem(expr)
    except RecursionError:
        raise _refuse(text, "nested too deeply") from None
    if why is not None:
        raise _refuse(text, why)
    return expr, _kept_guards(expr, guards)


def _ast_depth(node: ast.AST) -> int:
    """Nesting depth of a syntax tree; chains of ``+``/``-`` and ``*`` count once
    (sympy flattens them), so long sums such as Taylor polynomials stay accepted."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in ast.iter_child_nodes(current):
            same_chain = (
                isinstance(current, ast.BinOp)
                and isinstance(child, ast.BinOp)
                and child is current.left
                and _chain_kind(child.op) == _chain_kind(current.op) != ""
            )
            stack.append((child, depth if same_chain else depth + 1))
    return deepest


def _chain_kind(op: ast.operator) -> str:
    if isinstance(op, (ast.Add, ast.Sub)):
        return "add"
    if isinstance(op, ast.Mult):
        return "mul"
    return ""


def _kept_guards(expr: sp.Expr, found: list[tuple[sp.Expr, bool, sp.Expr]]) -> tuple[Guard, ...]:
    """The guards whose node sympy simplified away (the others are checked in ``expr``)."""
    kept: list[Guard] = []
    for argument, strict, node in found:
        if argument.is_number:
            continue  # a constant argument was checked by _problem
        still_there = (
            isinstance(node, (sp.Pow, sp.log)) and node.args[0] == argument and expr.has(node)
        )
        if not still_there and (argument, strict) not in kept:
            kept.append((argument, strict))
    return tuple(kept)


def _decimal(segment: str, value: float, source: str) -> sp.Rational:
    """The exact value of a decimal literal, its exponent bounded before it is computed."""
    match = _DECIMAL.fullmatch(segment)
    if match is None:  # pragma: no cover - Python's float literal grammar
        exact = Fraction(value)
    else:
        digits = (match["int"] + (match["frac"] or "")).replace("_", "")
        if not digits.strip("0"):
            return sp.Integer(0)  # 0.0, 0e999999999
        exponent = int((match["exp"] or "0").replace("_", "")) - len(
            (match["frac"] or "").replace("_", "")
        )
        if abs(exponent) > _MAX_DECIMAL_EXPONENT:
            raise _refuse(
                source,
                f"the literal {segment[:30]} has a decimal exponent beyond "
                f"+-{_MAX_DECIMAL_EXPONENT}",
            )
        exact = Fraction(segment.replace("_", ""))
    if max(abs(exact.numerator).bit_length(), exact.denominator.bit_length()) > (MAX_NUMBER_BITS):
        raise _refuse(source, f"a number of more than {MAX_NUMBER_BITS} bits")
    return sp.Rational(exact.numerator, exact.denominator)


#: Largest argument of ``exp``, ``sinh`` and ``cosh`` applied to a constant: the
#: result stays below ``2**MAX_NUMBER_BITS``.
_MAX_EXP_ARGUMENT = MAX_NUMBER_BITS * math.log(2)


def _constant_problem(expr: sp.Expr, *, limit_bits: float = MAX_NUMBER_BITS) -> str | None:
    """Why a constant sub-expression is refused (magnitude above ``2**limit_bits``).

    Its parts were checked the same way, so the numerical evaluation is cheap.
    """
    if expr.free_symbols:
        return None
    try:
        value = expr.evalf(15)
    except (ValueError, TypeError, ArithmeticError):
        return None  # left to _problem (zoo, nan, non-real)
    if isinstance(value, sp.Float) and value != 0:
        _sign, _man, exponent, bits = value._mpf_
        if exponent + bits > limit_bits:
            return f"a constant of magnitude above 2**{limit_bits:.4g}"
    return None


def _check_constant(expr: sp.Expr, source: str, *, limit_bits: float = MAX_NUMBER_BITS) -> None:
    why = _constant_problem(expr, limit_bits=limit_bits)
    if why is not None:
        raise _refuse(source, why)


def _build(
    node: ast.AST,
    source: str,
    guards: list[tuple[sp.Expr, bool, sp.Expr]],
    names: dict[str, sp.Symbol],
) -> sp.Expr:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(source, f"the literal {value!r} is not a real number")
        if isinstance(value, int):
            if value.bit_length() > MAX_NUMBER_BITS:
                raise _refuse(source, f"an integer of more than {MAX_NUMBER_BITS} bits")
            return sp.Integer(value)
        segment = ast.get_source_segment(source, node) or repr(value)
        if not math.isfinite(value):
            raise _refuse(source, f"the literal {segment} is not finite")
        return _decimal(segment, value, source)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise _refuse(source, f"unknown name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _build(node.operand, source, guards, names)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _build(node.left, source, guards, names)
        right = _build(node.right, source, guards, names)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise _refuse(source, "division by zero")
            return left / right
        if isinstance(node.op, ast.Pow):
            if right.is_number and not abs(right) <= MAX_EXPONENT:
                raise _refuse(source, f"an exponent larger than {MAX_EXPONENT} in absolute value")
            if left == 0 and right.is_number and right.is_negative:
                raise _refuse(source, "division by zero")
            _check_power_size(left, right, source)
            power = sp.Pow(left, right)
            _check_constant(power, source)
            if not (right.is_number and right.is_integer):
                # a non-integer or variable exponent needs base >= 0 (> 0 if it may be <= 0)
                strict = not (right.is_number and right.is_positive)
                guards.append((left, strict, power))
            return power
        raise _refuse(source, f"the operator {type(node.op).__name__} is not allowed")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else "an expression"
            raise _refuse(source, f"calling {what!r} is not allowed")
        if node.keywords:
            raise _refuse(source, "keyword arguments are not allowed")
        function, arity = FUNCTIONS[node.func.id]
        if len(node.args) != arity:
            raise _refuse(source, f"{node.func.id} takes {arity} argument(s)")
        args = [_build(arg, source, guards, names) for arg in node.args]
        for arg in args:
            _check_number_size(arg, source)
            if node.func.id in ("exp", "sinh", "cosh") and _constant_problem(
                arg, limit_bits=math.log2(_MAX_EXP_ARGUMENT)
            ):
                raise _refuse(
                    source,
                    f"{node.func.id} of a constant above {_MAX_EXP_ARGUMENT:.0f}: a constant "
                    f"of magnitude above 2**{MAX_NUMBER_BITS}",
                )
        try:
            result: sp.Expr = function(*args)
        except (ValueError, TypeError, ArithmeticError) as error:  # e.g. Max(x, zoo)
            raise _refuse(source, f"{node.func.id} cannot be applied: {error}") from None
        _check_constant(result, source)
        if node.func.id in ("sqrt", "log"):
            guards.append((args[0], node.func.id == "log", result))
        return result
    if isinstance(node, ast.Attribute):
        raise _refuse(source, "attribute access is not allowed")
    raise _refuse(source, f"{type(node).__name__} is not allowed")


def _bits(number: sp.Rational) -> int:
    """The larger bit length of the numerator and the denominator of ``number``."""
    return max(abs(int(number.p)).bit_length(), int(number.q).bit_length())


def _largest_number_bits(expr: sp.Basic) -> int:
    return max((_bits(n) for n in expr.atoms(sp.Rational)), default=0)


def _power_bits(base: sp.Basic, numerator: int) -> float:
    """An upper bound on the bits of the numbers sympy computes for ``base**(p/q)``.

    sympy evaluates a power of a rational number, distributes a power over the
    factors of a product and multiplies the exponents of a power of a power; it
    leaves powers of sums and of functions alone. A number ``n/d`` raised to the
    power ``p`` has at most ``|p| * max(log2 |n|, log2 d) + 1`` bits.
    """
    if isinstance(base, sp.Rational):
        if base == 0:
            return 0.0
        return abs(numerator) * max(math.log2(abs(int(base.p))), math.log2(int(base.q))) + 1
    if isinstance(base, sp.Mul):
        return sum(_power_bits(factor, numerator) for factor in base.args)
    if isinstance(base, sp.Pow) and isinstance(base.exp, sp.Rational):
        return _power_bits(base.base, abs(numerator) * abs(int(base.exp.p)))
    return 0.0


def _check_number_size(expr: sp.Basic, source: str) -> None:
    if _largest_number_bits(expr) > MAX_NUMBER_BITS:
        raise _refuse(source, f"a number of more than {MAX_NUMBER_BITS} bits")


def _check_power_size(base: sp.Expr, exponent: sp.Expr, source: str) -> None:
    """Refuse ``base**exponent`` before sympy computes numbers that are too large."""
    _check_number_size(base, source)
    _check_number_size(exponent, source)
    if isinstance(exponent, sp.Rational) and _power_bits(base, int(exponent.p)) > MAX_NUMBER_BITS:
        raise _refuse(source, f"a power with more than {MAX_NUMBER_BITS} bits")


def _problem(expr: sp.Expr) -> str | None:
    """Why ``expr`` (in at most one symbol) cannot be a target, or None if it can."""
    for sub in sp.preorder_traversal(expr):
        if sub in (sp.zoo, sp.nan, sp.oo, -sp.oo):
            return (
                f"it contains {sub}: an infinite or undefined value such as log(0), "
                "tan(pi/2) or 0*log(0)"
            )
        if isinstance(sub, sp.Rational) and _bits(sub) > MAX_NUMBER_BITS:
            return f"a number of more than {MAX_NUMBER_BITS} bits"
        if not isinstance(sub, _ALLOWED_NODES):
            if isinstance(sub, sp.Expr) and sub.is_number and sub.is_extended_real is False:
                return f"it contains the non-real number {_shown(sub)}"
            return f"{type(sub).__name__} is not supported"
        if isinstance(sub, sp.Number) and not sub.is_real:
            return f"it contains the non-real number {_shown(sub)}"
        if isinstance(sub, sp.Pow) and sub.base == 0 and not sub.exp.is_number:
            return f"{_shown(sub)} is undefined where the exponent is <= 0"
        if isinstance(sub, sp.Pow) and _negative_number(sub.base) and not sub.exp.is_integer:
            return f"{_shown(sub)} is not real: a negative base needs an integer exponent"
        if isinstance(sub, sp.Expr) and sub.is_number and sub.is_extended_real is False:
            return f"it contains the non-real number {_shown(sub)}"
    return None


def _negative_number(expr: sp.Basic) -> bool:
    return bool(expr.is_number and expr.is_extended_negative)


def _shown(expr: object) -> str:
    """``str(expr)``, at most 60 characters (also for numbers beyond Python's digit limit)."""
    try:
        text = str(expr)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return f"<{type(expr).__name__} too large to print>"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_sympy(expr: sp.Basic) -> tuple[sp.Expr, tuple[Guard, ...]]:
    if not isinstance(expr, sp.Expr):
        raise InvalidExpression(
            f"g={_shown(expr)} is invalid: expected a sympy expression (sp.Expr)"
        )
    free = expr.free_symbols
    if len(free) > 1:
        names = ", ".join(sorted(str(s) for s in free))
        raise InvalidExpression(
            f"g={_shown(expr)} is invalid: expected an expression in one symbol, got {names}"
        )
    symbol = next(iter(free)) if free else SYMBOL
    _check_assumptions(expr, symbol)
    if _sympy_depth(expr) > MAX_DEPTH:
        raise InvalidExpression(
            f"g={_shown(expr)} is invalid: expected {_ACCEPTED} (nested more than "
            f"{MAX_DEPTH} levels deep)"
        )
    why = next(
        (
            reason
            for sub in sp.postorder_traversal(expr)
            if isinstance(sub, (sp.Function, sp.Pow))
            and (reason := _constant_problem(sub)) is not None
        ),
        None,
    ) or _problem(expr)
    if why is not None:
        raise InvalidExpression(f"g={_shown(expr)} is invalid: expected {_ACCEPTED} ({why})")
    found = _sympy_guards(expr)
    if free:
        # Work with a real symbol so that sympy simplifies |x|' = sign(x) etc.
        expr = expr.subs(symbol, SYMBOL)
        found = [(a.subs(symbol, SYMBOL), strict, n.subs(symbol, SYMBOL)) for a, strict, n in found]
    return expr, _kept_guards(expr, found)


def _check_assumptions(expr: sp.Expr, symbol: sp.Symbol) -> None:
    """Refuse a symbol with assumptions beyond ``real``: sympy may have used them.

    With ``y = Symbol("y", positive=True)`` sympy turns ``sqrt(y**2)`` into ``y`` at
    once, which is wrong on a domain reaching below 0.
    """
    allowed = SYMBOL.assumptions0
    if all(allowed.get(key) == value for key, value in symbol.assumptions0.items()):
        return
    given = getattr(symbol, "_assumptions_orig", None) or symbol.assumptions0
    extra = sorted(f"{key}={value}" for key, value in given.items() if allowed.get(key) != value)
    shown = ", ".join(extra) or "assumptions that imply more than real=True"
    raise InvalidExpression(
        f"g={_shown(expr)} is invalid: expected a symbol without assumptions other than "
        f"real=True; {symbol} has {shown} (sympy may already have simplified g with them, "
        "e.g. sqrt(y**2) to y)"
    )


def _sympy_depth(expr: sp.Basic) -> int:
    deepest = 0
    stack: list[tuple[sp.Basic, int]] = [(expr, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((arg, depth + 1) for arg in current.args)
    return deepest


def _sympy_guards(expr: sp.Expr) -> list[tuple[sp.Expr, bool, sp.Expr]]:
    """The domain conditions of the ``sqrt``, ``log`` and power nodes of ``expr``."""
    found: list[tuple[sp.Expr, bool, sp.Expr]] = []
    for sub in sp.preorder_traversal(expr):
        if isinstance(sub, sp.log):
            found.append((sub.args[0], True, sub))
        elif isinstance(sub, sp.Pow) and not (sub.exp.is_number and sub.exp.is_integer):
            strict = not (sub.exp.is_number and sub.exp.is_positive)
            found.append((sub.base, strict, sub))
    return found


class Target:
    """A real function of one variable, ready for evaluation on float arrays.

    Build it with :func:`as_target`. Attributes:

    - ``kind``: ``"expression"`` (string or sympy input) or ``"callable"``;
    - ``expr``: the sympy expression in :data:`SYMBOL` (``None`` for callables);
    - ``description``: a short text for messages and plots;
    - ``guards``: the domain conditions of the expression as written that sympy
      simplified away (see :data:`Guard`); empty for callables.

    Calling it on a float array returns float64 values of the same shape, or raises
    :class:`~reluapprox.errors.EvaluationError` (naming the first bad point) when the
    function raises or returns NaN, infinity, complex values or the wrong shape, or
    a guard fails there.
    """

    __slots__ = ("_float", "_guard_float", "_vectorised", "description", "expr", "guards", "kind")

    def __init__(
        self,
        kind: str,
        description: str,
        *,
        expr: sp.Expr | None = None,
        function: Callable[..., Any] | None = None,
        guards: tuple[Guard, ...] = (),
    ) -> None:
        self.kind = kind
        self.description = description
        self.expr = expr
        self.guards = guards
        self._guard_float = [
            (sp.lambdify(SYMBOL, argument, modules="numpy"), strict) for argument, strict in guards
        ]
        self._vectorised: bool | None = None
        if expr is not None:
            self._float: Callable[..., Any] = sp.lambdify(SYMBOL, expr, modules="numpy")
            self._vectorised = True
        else:
            assert function is not None
            self._float = function

    def __repr__(self) -> str:
        return f"Target({self.kind}: {self.description})"

    def __call__(self, x: npt.ArrayLike) -> FloatArray:
        points = np.asarray(x, dtype=np.float64)
        flat = points.reshape(-1)
        values = self._evaluate(flat)
        bad = ~np.isfinite(values)
        if bad.any():
            where = float(flat[int(np.flatnonzero(bad)[0])])
            raise EvaluationError(
                f"g({where!r}) = {values[bad][0]!r}: expected a finite real value; "
                "g must be defined and finite on the whole domain"
            )
        return values.reshape(points.shape)

    def _evaluate(self, flat: FloatArray) -> FloatArray:
        if self._vectorised is not False:
            out = self._call_vectorised(flat)
            if out is not None:
                self._vectorised = True
                return self._apply_guards(flat, out)
            if self.expr is not None:  # pragma: no cover - lambdify always vectorises
                raise EvaluationError(f"cannot evaluate {self.description} on an array")
            self._vectorised = False
        return np.array([self._call_scalar(float(v)) for v in flat], dtype=np.float64)

    def _apply_guards(self, flat: FloatArray, out: FloatArray) -> FloatArray:
        """NaN where a guard of the expression as written fails."""
        for function, strict in self._guard_float:
            with np.errstate(all="ignore"):
                try:
                    argument = np.broadcast_to(np.asarray(function(flat.copy())), flat.shape)
                except (OverflowError, ZeroDivisionError):
                    continue  # a constant-heavy guard: the interval enclosures decide
                if argument.dtype.kind == "c":
                    argument = np.where(argument.imag == 0, argument.real, np.nan)
                ok = argument > 0 if strict else argument >= 0
            out = np.where(ok, out, np.nan)
        return out

    def _call_vectorised(self, flat: FloatArray) -> FloatArray | None:
        try:
            with np.errstate(all="ignore"):
                out = self._float(flat.copy())
        except (OverflowError, ZeroDivisionError, TypeError) as error:
            # TypeError: numpy given an integer constant beyond the float range
            # (``log(10**400)``)
            if self.expr is None:
                return None
            raise EvaluationError(
                f"g = {_shown(self.description)} cannot be evaluated in float64 "
                f"({type(error).__name__}: {error}); expected values within the float range"
            ) from None
        except Exception:
            if self.expr is not None:
                raise
            return None
        if isinstance(out, np.ndarray) and out.shape == flat.shape:
            if out.dtype.kind == "c":
                if self.expr is None:
                    raise EvaluationError(
                        f"{self.description} returned complex values: expected real values"
                    )
                return np.where(out.imag == 0, out.real, np.nan).astype(np.float64)
            if out.dtype.kind in "fiu":
                with np.errstate(all="ignore"):  # long doubles beyond float64 become inf
                    return out.astype(np.float64)
        if self.expr is not None and np.ndim(out) == 0:  # a constant expression
            return np.full(flat.shape, float(out), dtype=np.float64)
        return None

    def _call_scalar(self, x: float) -> float:
        try:
            with np.errstate(all="ignore"):
                value = self._float(x)
        except Exception as error:
            raise EvaluationError(f"g({x!r}) raised {type(error).__name__}: {error}") from error
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        if isinstance(value, (complex, np.complexfloating)):
            raise EvaluationError(f"g({x!r}) = {value!r}: expected a real value, not complex")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise EvaluationError(
                f"g({x!r}) returned {value!r} of type {type(value).__name__}: expected one "
                "real number per point (a scalar function) or an array of the input's "
                "shape (a vectorised function)"
            )
        try:
            return float(value)
        except OverflowError:
            raise EvaluationError(
                f"g({x!r}) = {_shown(value)}: expected a finite real value "
                "(it is beyond the largest float64, about 1.8e308)"
            ) from None


def as_target(g: object) -> Target:
    """Normalise ``g`` (string, sympy expression or callable) into a :class:`Target`.

    Raises:
        InvalidExpression: for strings or sympy expressions that are not a function
            of (at most) one variable built from the supported operations.
        InvalidArgument: for anything else that is not callable.

    Examples:
        >>> as_target("x**2").expr
        x**2
        >>> import math
        >>> as_target(math.sin)([0.0, 0.5]).round(4).tolist()
        [0.0, 0.4794]
    """
    if isinstance(g, Target):
        return g
    if isinstance(g, str):
        expr, guards = parse_with_guards(g)
        return Target("expression", g.strip(), expr=expr, guards=guards)
    if isinstance(g, sp.Basic):
        expr, guards = _check_sympy(g)
        return Target("expression", _shown(expr), expr=expr, guards=guards)
    if not callable(g):
        fail("g", g, "a string such as 'sin(2*pi*x)', a sympy expression or a callable")
    name = getattr(g, "__name__", type(g).__name__)
    return Target("callable", f"callable {name}", function=g)
