"""Regression tests of issue 17: hostile but fair input, grouped by the item it reported.

Every reproducer must give a correct result or one line naming the argument (exit code
1 or 2 on the command line), within its ``time_limit`` plus a second and well under
1 GB of memory (the growth of the process's peak resident memory, ``ru_maxrss``).
"""

from __future__ import annotations

import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

import reluapprox.twolayer as twolayer
from reluapprox import (
    ReluNetwork,
    approximate,
    conv_matrix,
    convex_region_bound,
    interpolate,
    load_classification_csv,
    softmax,
    train_two_layer,
    widen,
)
from reluapprox.certify import CellCertifier, max_error_mp
from reluapprox.cli import main
from reluapprox.commands._output import format_up
from reluapprox.errors import (
    BudgetExceeded,
    CertificationError,
    DataError,
    EvaluationError,
    InvalidArgument,
    InvalidExpression,
    ReluApproxError,
)
from reluapprox.expr import MAX_DEPTH, SYMBOL, as_target
from reluapprox.mesh import _Budget, _shifted_search

GIGABYTE = 2**30


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Fail unless the block ends within ``seconds`` and grows the peak memory < 1 GB."""
    before = _peak_bytes()
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s > {seconds} s"
    grown = _peak_bytes() - before
    assert grown < GIGABYTE, f"peak memory grew by {grown / 2**20:.0f} MiB"


def _one_line_error(call: Callable[[], Any], kind: type[ReluApproxError], name: str) -> str:
    with pytest.raises(kind) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert name in message
    return message


def _cli(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reluapprox", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _cli_refuses(*argv: str, name: str) -> None:
    done = _cli(*argv)
    assert done.returncode in (1, 2), done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert name in lines[0]


# ----------------------------------------------------------------------------- item 1
SIX_POINTS = np.array([[3, -2], [0, 0], [-1, -2], [-3, -1], [2, -3], [-1, 3]], dtype=float)
SIX_LABELS = [2, 1, 1, 2, 1, 1]


def test_item1_huge_coordinates_give_the_unscaled_bound() -> None:
    assert convex_region_bound(SIX_POINTS, SIX_LABELS).correct == 6
    assert convex_region_bound(SIX_POINTS * 2.0**1000, SIX_LABELS).correct == 6
    assert convex_region_bound(SIX_POINTS * 2.0**-1000, SIX_LABELS).correct == 6


def test_item1_power_of_two_scalings_never_change_the_bound() -> None:
    rng = np.random.default_rng(17)
    for _ in range(30):
        points = rng.integers(-6, 7, size=(10, 2)).astype(float)
        labels = [1, 2, *rng.integers(1, 3, size=8).tolist()]
        reference = convex_region_bound(points, labels).correct
        for k in rng.integers(-1000, 1000, size=3).tolist():
            assert convex_region_bound(points * 2.0**k, labels).correct == reference


def test_item1_mixed_scales_agree_with_all_exact_orientations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    points = rng.integers(-6, 7, size=(9, 2)).astype(float)
    points[0] *= 2.0**1020  # not scalable exactly: the rational fallback decides
    points[1] *= 2.0**-1020
    points[2] = [1.7e308, -1.7e308]
    labels = [1, 2, 1, 2, 1, 2, 1, 1, 2]
    fast = convex_region_bound(points, labels)
    monkeypatch.setattr(twolayer, "ORIENT_FILTER", math.inf)  # every sign exact
    exact = convex_region_bound(points, labels)
    assert fast.correct == exact.correct
    assert exact.exact_fallbacks > fast.exact_fallbacks


def test_item1_cli_bound_on_scaled_data(tmp_path: Path) -> None:
    scaled = (SIX_POINTS * 2.0**1000).tolist()
    rows = "".join(f"{x!r},{y!r},{c}\n" for (x, y), c in zip(scaled, SIX_LABELS, strict=True))
    data = tmp_path / "scaled.csv"
    data.write_text("x1,x2,class\n" + rows)
    done = _cli("twolayer", "bound", str(data))
    assert done.returncode == 0, done.stderr
    assert "at most 6 of 6 points" in done.stdout


# ----------------------------------------------------------------------------- item 2
def test_item2_false_modulus_of_an_expression_is_refuted() -> None:
    message = _one_line_error(
        lambda: approximate("sin(2*pi*x)", 1e-3, modulus=lambda h: 0.0),
        CertificationError,
        "modulus=",
    )
    assert "contradicted" in message


def test_item2_unproved_claims_are_conditional_not_certified() -> None:
    res = approximate(np.sin, 1e-3, modulus=lambda h: h)
    assert not res.certified
    assert res.conditional is not None
    assert "modulus" in res.conditional
    assert "g'" not in res.method  # no derivative check ran for a callable
    assert res.method.startswith("conditional (not certified)")


def test_item2_a_proved_expression_bound_is_certified_honestly() -> None:
    res = approximate("sin(2*pi*x)", 1e-3, modulus=lambda h: 2 * math.pi * h)
    assert res.certified
    assert res.conditional is None
    assert "proved by interval arithmetic" in res.method
    observed = max_error_mp(lambda x: mpmath.sin(2 * mpmath.pi * x), res.network, (0, 1), 2001)
    assert observed <= res.bound < 1e-3


# ----------------------------------------------------------------------------- item 3
@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("sqrt(x)**2", (-2, -1)),
        ("exp(log(x))", (-1, 1)),
        ("0*sqrt(x)", (-1, 1)),
        ("log(x)-log(x)", (-1, 1)),
        ("x**x*x**(-x)", (-1, 1)),
    ],
)
def test_item3_undefined_as_written_is_not_certified(text: str, domain: tuple[int, int]) -> None:
    _one_line_error(lambda: approximate(text, 1e-3, domain=domain), EvaluationError, "undefined")
    with pytest.raises(EvaluationError):
        as_target(text)(np.array([-0.5 if domain[1] > -0.5 else -1.5]))


def test_item3_defined_where_written_is_still_certified() -> None:
    res = approximate("sqrt(x)**2", 1e-3, domain=(0, 2))
    assert res.certified
    assert res.bound < 1e-3


def test_item3_symbol_assumptions_are_refused() -> None:
    y = sp.Symbol("y", positive=True)
    message = _one_line_error(
        lambda: approximate(sp.sqrt(y**2), 1e-3, domain=(-1, 1)), InvalidExpression, "g="
    )
    assert "positive=True" in message
    unevaluated = sp.Pow(sp.sqrt(sp.Symbol("z")), 2, evaluate=False)
    with pytest.raises(EvaluationError, match="undefined"):
        approximate(unevaluated, 1e-3, domain=(-2, -1))


# ----------------------------------------------------------------------------- item 4
def test_item4_subnormal_eps_is_refused_and_the_minimum_keeps_the_contract() -> None:
    _one_line_error(
        lambda: approximate("x**2", 5e-324, domain=(0, 1e-160)), InvalidArgument, "eps=5e-324"
    )
    for interpolating in (True, False):
        res = approximate("x**2", 1e-300, domain=(0, 1e-150), interpolating=interpolating)
        assert res.certified
        assert res.bound < res.eps


# ----------------------------------------------------------------------------- item 5
def test_item5_printed_bounds_are_rounded_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approximate", "x**2", "--eps", "0.0011111114", "--shifted"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("bound:"))
    printed = float(line.split()[1])
    res = approximate("x**2", 0.0011111114, interpolating=False)
    assert printed >= res.bound
    assert float(format_up(0.0011111103)) >= 0.0011111103
    assert format_up(0.0011111114) == "0.00111112"


# ----------------------------------------------------------------------------- item 6
@pytest.mark.parametrize("text", ["1e-100000000*x", "1e100000000*x", "1.5e-99999*x"])
def test_item6_huge_decimal_exponents_are_refused_at_once(text: str) -> None:
    with bounded(1.0):
        _one_line_error(lambda: approximate(text, 1e-3), InvalidExpression, "g=")


def test_item6_zero_with_a_huge_exponent_is_zero() -> None:
    with bounded(2.0):
        res = approximate("0e999999999*x", 1e-3)
    assert res.certified
    assert res.bound == 0


def test_item6_cli_interpolate_refuses_huge_exponents() -> None:
    _cli_refuses("interpolate", "--xs", "0", "1e100000000", "--ys", "1", "2", name="--xs[1]")


# ----------------------------------------------------------------------------- item 7
@pytest.mark.parametrize(
    "text",
    [
        "max(exp(exp(exp(99))), exp(exp(exp(98))))+x",
        "sin(exp(exp(exp(99))))+x",
        "exp(999)**999+x",
    ],
)
def test_item7_huge_constants_are_refused_while_parsing(text: str) -> None:
    with bounded(1.0):
        message = _one_line_error(lambda: approximate(text, 1e-3), InvalidExpression, "g=")
    assert "magnitude above" in message


# ----------------------------------------------------------------------------- item 8
@pytest.mark.parametrize(
    ("text", "domain"),
    [("exp(exp(x))", (1e9, 1e9 + 1)), ("exp(exp(exp(x)))", (20, 21))],
)
def test_item8_huge_intermediate_values_end_quickly(text: str, domain: tuple[float, ...]) -> None:
    with bounded(11.0):
        _one_line_error(
            lambda: approximate(text, 1e-3, domain=domain, time_limit=10),
            EvaluationError,
            "not finite",
        )


@pytest.mark.parametrize("mesh", ["adaptive", "uniform"])
def test_item8_a_product_of_90_sines_respects_the_time_limit(mesh: str) -> None:
    text = "*".join(f"sin({k}*x)" for k in range(1, 91))
    with bounded(11.0):
        try:
            res = approximate(text, 1e-3, mesh=mesh, time_limit=10)
        except BudgetExceeded:
            return
    assert res.certified
    assert res.bound < 1e-3
    observed = max_error_mp(
        lambda x: mpmath.fprod(mpmath.sin(k * x) for k in range(1, 91)), res.network, (0, 1), 201
    )
    assert observed <= res.bound


# ----------------------------------------------------------------------------- item 9
def test_item9_shifted_search_checks_the_budget() -> None:
    certifier = CellCertifier(SYMBOL**2)
    expired = _Budget(0.0, 1.0, 10**6, time.monotonic() - 1.0, 5.0, None)
    with pytest.raises(BudgetExceeded, match=r"time_limit=5\.0"):
        # a first trial over the whole domain fails: the second trial checks the budget
        _shifted_search(certifier, certifier.node(0.0), 0, 1.0, 1.0, 1e-6, "free", expired, 1)


def test_item9_reproducer_is_refused_quickly() -> None:
    with bounded(2.0):
        _one_line_error(
            lambda: approximate(
                "x**2", 1e-320, domain=(0, 1e-159), interpolating=False, time_limit=5
            ),
            InvalidArgument,
            "eps=",
        )


# ---------------------------------------------------------------------------- item 10
def test_item10_dev_zero_is_not_read_without_limit() -> None:
    with bounded(5.0):
        _one_line_error(lambda: load_classification_csv("/dev/zero"), DataError, "/dev/zero")


# ---------------------------------------------------------------------------- item 11
@pytest.mark.parametrize(
    "text",
    ["x" + "**x" * 332, "1/(1+" * 150 + "x" + ")" * 150, "sin(" * 160 + "x" + ")" * 160],
)
def test_item11_deep_nesting_is_refused_by_name(text: str) -> None:
    with bounded(2.0):
        message = _one_line_error(lambda: approximate(text, 1e-3), InvalidExpression, "g=")
    assert "nested" in message


def test_item11_deep_sympy_input_is_refused_and_moderate_depth_works() -> None:
    deep = SYMBOL
    for _ in range(MAX_DEPTH + 5):
        deep = sp.sin(deep)
    _one_line_error(lambda: approximate(deep, 1e-3), InvalidExpression, "nested")
    res = approximate("sin(" * 20 + "x" + ")" * 20, 1e-2)
    assert res.certified
    long_sum = "+".join(f"x**{k}/{math.factorial(k)}" for k in range(30))  # chains count once
    assert approximate(long_sum, 1e-2).certified


# ---------------------------------------------------------------------------- item 12
def test_item12_overflow_in_expressions_names_g() -> None:
    _one_line_error(lambda: approximate("exp(exp(exp(exp(10))))+x", 1e-3), InvalidExpression, "g=")
    _one_line_error(
        lambda: approximate("exp(exp(x))", 1e-3, domain=(1e300, 2e300)), EvaluationError, "g("
    )


def test_item12_huge_integers_name_the_argument() -> None:
    _one_line_error(
        lambda: interpolate([0, 10**400, 2 * 10**400], [0, 1, 2]), InvalidArgument, "xs[1]"
    )
    net = ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    _one_line_error(lambda: net([10**400]), InvalidArgument, "x=")
    _one_line_error(lambda: softmax([10**400]), InvalidArgument, "x=")
    _one_line_error(lambda: conv_matrix([1, 1], 5, stride=10**400), InvalidArgument, "stride=")
    _one_line_error(lambda: conv_matrix([1, 1], 5, padding=10**400), InvalidArgument, "padding=")
    _one_line_error(
        lambda: convex_region_bound([[0, 0], [10**400, 1]], [1, 2]), InvalidArgument, "points="
    )
    _one_line_error(
        lambda: train_two_layer([[0, 0], [1e300, 1]], [1, 2], restarts=1, steps=5),
        InvalidArgument,
        "points=",
    )


def test_item12_cli_plot_of_huge_values_names_the_option() -> None:
    _cli_refuses(
        "interpolate", "--xs", "0", "1", "--ys", "0", "1e400", "--plot", "/nonexistent/p",
        name="ys[1]",
    )  # fmt: skip


# ---------------------------------------------------------------------------- item 13
@pytest.mark.parametrize(
    ("option", "value"), [("restarts", 10**9), ("steps", 10**12), ("hidden", 10**9)]
)
def test_item13_training_sizes_are_checked(option: str, value: int) -> None:
    with bounded(2.0):
        _one_line_error(
            lambda: train_two_layer(twolayer.EX1A_POINTS, twolayer.EX1A_LABELS, **{option: value}),
            InvalidArgument,
            f"{option}={value}",
        )


def test_item13_cli_restarts_and_widen(course_csv: Path, tmp_path: Path) -> None:
    data = course_csv
    _cli_refuses(
        "twolayer", "train", str(data), "--restarts", "1000000000", "--out", str(tmp_path),
        name="restarts=",
    )  # fmt: skip
    net = ReluNetwork([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    with bounded(2.0):
        _one_line_error(lambda: widen(net, 1, 10**7), InvalidArgument, "width=10000000")


# ---------------------------------------------------------------------------- item 14
def test_item14_types_are_refused_by_name(tmp_path: Path) -> None:
    _one_line_error(lambda: ReluNetwork(5, 5), InvalidArgument, "weights=5")  # type: ignore[arg-type]
    for exact in (np.array([]), "no"):
        _one_line_error(
            lambda exact=exact: conv_matrix([1, 1], 5, exact=exact),  # type: ignore[misc]
            InvalidArgument,
            "exact=",
        )
    path = tmp_path / "wide.csv"
    path.write_text("x1,x2,class\n" + "1" * 140_000 + ",0,1\n0,1,2\n")
    message = _one_line_error(lambda: load_classification_csv(path), DataError, str(path))
    assert "line 2" in message


@pytest.mark.parametrize("text", ["max(x, -(log(0)))", "min(x, log(0))", "max(1/0*x, x)"])
def test_item11_sympy_errors_while_building_are_refused_by_name(text: str) -> None:
    # found by the fuzz test: sympy's Max raised a raw ValueError on zoo
    message = _one_line_error(lambda: approximate(text, 0.1), InvalidExpression, "g=")
    assert text[:20] in message


# ---------------------------------------------------------------------------- item 15
def test_item15_messages_name_the_real_cause() -> None:
    message = _one_line_error(
        lambda: approximate("x", 1e-3, domain=(-1.7e308, 1.7e308), lipschitz=1),
        InvalidArgument,
        "domain=",
    )
    assert "nan" not in message
    _one_line_error(
        lambda: train_two_layer(
            twolayer.EX1A_POINTS, twolayer.EX1A_LABELS, learning_rate=1e308, restarts=2, steps=50
        ),
        InvalidArgument,
        "learning_rate=1e+308",
    )
    message = _one_line_error(lambda: approximate("0**x", 1e-3), InvalidExpression, "g='0**x'")
    assert "zoo" not in message


def test_item15_cli_negative_numbers_with_exponents() -> None:
    done = _cli("approximate", "x**2", "--eps", "1e-2", "--domain", "-1e3", "1")
    assert done.returncode == 0, done.stderr
    assert "on [-1000, 1]" in done.stdout
    _cli_refuses("approximate", "x", "--eps", "-1e-3", name="eps=-0.001")
