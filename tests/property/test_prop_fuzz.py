"""Fuzz tests (issue 17): hostile expression strings and hostile arguments of the API.

1. Expression strings from a grammar of the accepted language (numbers with hostile
   exponents, ``x``, ``pi``, ``e``, ``+ - * / **``, every function of
   :data:`reluapprox.expr.FUNCTIONS`) mixed with hostile fragments (code, attribute
   access, deep nesting, huge constants, undefined values). :func:`approximate` must
   return or raise a :class:`~reluapprox.errors.ReluApproxError`, within its
   ``time_limit`` plus a second; a certified bound must hold at dense points where
   ``g`` is evaluated in 113-bit mpmath from the expression *as written*.
2. Every public function called with each argument drawn from valid values and
   hostile ones (``None``, booleans, ``10**400``, NaN, infinity, strings, empty and
   ragged arrays, objects): no exception outside the ReluApproxError family.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import math
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import reluapprox as ra
from reluapprox import approximate
from reluapprox.errors import ReluApproxError
from reluapprox.expr import FUNCTIONS

TIME_LIMIT = 2.0

#: mpmath versions of the accepted functions, applied to the expression as written.
_MP: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "atan": mpmath.atan,
    "cos": mpmath.cos,
    "cosh": mpmath.cosh,
    "exp": mpmath.exp,
    "log": mpmath.log,
    "max": max,
    "min": min,
    "relu": lambda u: max(u, 0),
    "sign": mpmath.sign,
    "sin": mpmath.sin,
    "sinh": mpmath.sinh,
    "sqrt": mpmath.sqrt,
    "tan": mpmath.tan,
    "tanh": mpmath.tanh,
}

NUMBERS = st.sampled_from(
    [
        *("0", "1", "2", "3", "0.5", "1/3", "10", "1e-3", "2.5e2", "7", "0.1", "1e-400"),
        *("1e400", "9e99999", "0e999999999", "1e-100000000", "123456789012345678901234567890"),
    ]
)
HOSTILE = st.sampled_from(
    [
        "__import__('os').system('true')",
        "x.real",
        "(lambda: 1)()",
        "[x][0]",
        "'x'",
        "x if x else x",
        "1j",
        "9**9**9",
        "exp(exp(exp(99)))",
        "sin(" * 80 + "x" + ")" * 80,
        "x" + "**x" * 100,
        "0**x",
        "(-2)**x",
        "sqrt(-1)",
        "log(0)",
        "tan(pi/2)",
        "x**1001",
        "max(x)",
        "sin(x, x)",
        "exp(x=1)",
        "\x00",
        "x" * 2000,
        "é",
    ]
)


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.just("x"), st.just("x"), NUMBERS, st.sampled_from(["pi", "e"]))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})" if FUNCTIONS[t[0]][1] == 2 else f"{t[0]}({t[1]})"
        )
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        )
        return st.one_of(unary, binary, inner.map(lambda s: f"-({s})"))

    grammar = st.recursive(leaves, extend, max_leaves=8)
    return st.one_of(
        grammar,
        grammar,
        grammar,
        HOSTILE,
        st.tuples(grammar, HOSTILE).map(lambda t: f"{t[0]} + {t[1]}"),
    )


def _evaluate_as_written(text: str, x: mpmath.mpf) -> mpmath.mpf | None:
    """``g(x)`` from the syntax tree (no simplification), or None where undefined."""

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):  # read exactly, as the library does (only
            # certified results are checked, so the literal's exponent is small)
            segment = ast.get_source_segment(text, node) or repr(node.value)
            if not segment.lower().split("e")[0].strip("0._"):
                return mpmath.mpf(0)  # 0e999999999: never compute 10**999999999
            exact = Fraction(segment.replace("_", ""))
            return mpmath.mpf(exact.numerator) / exact.denominator
        if isinstance(node, ast.Name):
            return {"x": x, "pi": mpmath.pi, "e": mpmath.e}[node.id]
        if isinstance(node, ast.UnaryOp):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            return left**right
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        return _MP[node.func.id](*(walk(arg) for arg in node.args))

    try:
        value = walk(ast.parse(text.strip(), mode="eval").body)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
        return None  # complex (outside the domain), infinite or NaN: not defined here
    return value


@given(
    text=_expressions(),
    eps=st.sampled_from([1e-1, 1e-2, 1e-3]),
    domain=st.sampled_from([(0, 1), (-1, 1), (-2, -1), (0.5, 3), (1e9, 1e9 + 1)]),
)
def test_expression_strings_never_escape_and_certified_bounds_hold(
    text: str, eps: float, domain: tuple[float, float]
) -> None:
    start = time.monotonic()
    try:
        res = approximate(text, eps, domain=domain, time_limit=TIME_LIMIT, max_neurons=20_000)
    except ReluApproxError:
        res = None
    elapsed = time.monotonic() - start
    assert elapsed < TIME_LIMIT + 1.0, f"{text!r} took {elapsed:.1f} s"
    if res is None:
        return
    assert res.certified
    assert res.bound < eps
    a, b = (Fraction(v) for v in res.domain)
    grid = {a + (b - a) * k / 256 for k in range(257)}  # dyadic: exact in mpmath
    knots = [*res.network.knots, b]
    for left, right in itertools.pairwise(knots):
        grid |= {left + (right - left) * t for t in (Fraction(1, 4), Fraction(1, 2))}
    with mpmath.workprec(256):
        for q in sorted(grid):
            g = _evaluate_as_written(text, mpmath.mpf(q.numerator) / q.denominator)
            if g is None:
                continue  # a point where only the continuous extension is defined
            f = res.network.exact(q)
            error = abs(g - mpmath.mpf(f.numerator) / f.denominator)
            assert error <= res.bound * (1 + 1e-12) + 1e-30, (text, float(q), error, res.bound)


# -------------------------------------------------------------- public function arguments
_NET = ra.ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
HOSTILE_VALUES: list[object] = [
    None,
    True,
    -1,
    0,
    2**31,
    10**400,
    -(10**400),
    math.nan,
    math.inf,
    1e308,
    5e-324,
    Fraction(1, 3),
    1 + 1j,
    "no",
    b"x",
    "",
    [],
    [[]],
    [[1, 2], [3]],
    [10**400, 1],
    [[1e308, 1e308], [-1e308, 1e308]],
    np.array([]),
    np.array([np.nan]),
    np.zeros((2, 2, 2)),
    {},
    object(),
    print,
    Path("/dev/zero"),
    Path("/nonexistent/file.csv"),
]

#: Public functions with valid (cheap) arguments: positional tuple, keyword dict.
CALLS: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {
    "ReluNetwork": (ra.ReluNetwork, ([[[1]]], [[0]]), {"exact": None}),
    "ShallowNetwork": (ra.ShallowNetwork, ([0, 1], [1, -1]), {}),
    "approximate": (
        approximate,
        ("x**2", 0.1),
        {"domain": (0, 1), "mesh": "adaptive", "max_neurons": 1000, "time_limit": 2.0},
    ),
    "conv_matrix": (ra.conv_matrix, ([1, -1], 5), {"stride": 1, "padding": 0, "exact": None}),
    "convex_region_bound": (ra.convex_region_bound, ([[0, 0], [1, 0], [0, 1]], [1, 2, 1]), {}),
    "count_threshold_functions": (ra.count_threshold_functions, (2,), {}),
    "deepen": (ra.deepen, (_NET,), {"position": None}),
    "interpolate": (ra.interpolate, ([0, 1, 2], [1, 0, 1]), {}),
    "linear_separator": (ra.linear_separator, ([[0, 0], [1, 1]], [1, 2]), {}),
    "load_classification_csv": (ra.load_classification_csv, ("/nonexistent.csv",), {}),
    "parameter_count": (ra.parameter_count, ([2, 3, 1],), {}),
    "perceptron": (ra.perceptron, ([1, 0], [1, 1], 0), {}),
    "softmax": (ra.softmax, ([1.0, 2.0],), {"lam": 1.0}),
    "threshold_functions": (ra.threshold_functions, (2,), {}),
    "train_two_layer": (
        ra.train_two_layer,
        ([[1, 0], [-1, 0], [0, 1], [0, -1]], [1, 1, 2, 2]),
        {"restarts": 2, "steps": 5},
    ),
    "widen": (ra.widen, (_NET, 1, 3), {}),
    "network_call": (_NET.__call__, ([0.5],), {}),
    "network_exact": (_NET.exact, ([0.5],), {}),
}


@given(
    name=st.sampled_from(sorted(CALLS)),
    replace=st.lists(st.integers(0, 3), min_size=1, max_size=2),
    hostile=st.lists(st.sampled_from(HOSTILE_VALUES), min_size=2, max_size=2),
)
def test_public_functions_raise_only_library_errors(
    name: str, replace: list[int], hostile: list[object]
) -> None:
    function, args, kwargs = CALLS[name]
    positional = list(args)
    keywords = dict(kwargs)
    slots = [("arg", i) for i in range(len(positional))] + [("kw", k) for k in keywords]
    for index, value in zip(replace, hostile, strict=False):
        kind, key = slots[index % len(slots)]
        if kind == "arg":
            positional[int(key)] = value
        else:
            keywords[str(key)] = value
    start = time.monotonic()
    with contextlib.suppress(ReluApproxError):
        function(*positional, **keywords)
    assert time.monotonic() - start < 10, f"{name} took too long"
