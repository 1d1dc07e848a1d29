"""Tests of reluapprox.approximation (approximate, Approximation, plots) and its CLI."""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import reluapprox
from reluapprox.approximation import Approximation, approximate, plot_approximation
from reluapprox.cli import main
from reluapprox.errors import (
    BudgetExceeded,
    CertificationError,
    EvaluationError,
    InvalidArgument,
    InvalidExpression,
)
from reluapprox.shallow import ShallowNetwork


def test_public_names() -> None:
    assert reluapprox.approximate is approximate
    assert reluapprox.Approximation is Approximation


def test_expression_result_is_certified_and_exact_at_nodes() -> None:
    res = approximate("sin(2*pi*x)", 1e-4)
    assert isinstance(res.network, ShallowNetwork)
    assert res.certified
    assert res.method.startswith("certified: adaptive mesh")
    assert res.bound < 1e-4
    assert res.n_neurons == res.network.n_neurons == len(res.nodes) - 1
    assert res.network.knots == tuple(Fraction(t) for t in res.nodes[:-1])
    assert all(res.network.exact(t) == y for t, y in zip(res.nodes, res.values, strict=True))
    grid = np.linspace(0, 1, 10001)
    assert np.abs(res.network(grid) - np.sin(2 * np.pi * grid)).max() <= res.bound
    assert "certified" in repr(res)


def test_sympy_expression_input() -> None:
    t = sp.Symbol("t")
    res = approximate(sp.exp(t), 1e-3, domain=(-1, 1))
    assert res.certified
    assert res.domain == (-1.0, 1.0)


def test_uniform_mesh_needs_more_neurons_than_adaptive() -> None:
    adaptive = approximate("exp(3*x)", 1e-5)
    uniform = approximate("exp(3*x)", 1e-5, mesh="uniform")
    n_star = 2 * (math.exp(1.5) - 1) / math.sqrt(8e-5)
    assert n_star <= adaptive.n_neurons <= 1.05 * n_star
    assert uniform.n_neurons > 1.8 * adaptive.n_neurons
    assert uniform.certified
    assert uniform.mesh == "uniform"


def test_shifted_approximation_needs_sqrt2_fewer_neurons() -> None:
    import mpmath

    from reluapprox.certify import max_error_mp

    res = approximate("exp(3*x)", 1e-5, interpolating=False)
    interpolant = approximate("exp(3*x)", 1e-5)
    assert res.certified
    assert "non-interpolating" in res.method
    assert 1.38 <= interpolant.n_neurons / res.n_neurons <= 1.42
    observed = max_error_mp(lambda t: mpmath.exp(3 * t), res.network, (0, 1), 1001)
    assert observed <= res.bound < 1e-5
    # the node values are not g(x_i): f(x_i) = g(x_i) - eps (1 - 1e-6), up to rounding
    assert abs(float(res.values[1]) - math.exp(3 * res.nodes[1]) + 1e-5) < 1e-10
    assert all(res.network.exact(t) == y for t, y in zip(res.nodes, res.values, strict=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"g": np.sin},
        {"g": "x**2", "mesh": "uniform"},
        {"g": "x**2", "lipschitz": 4.0},
        {"g": "x**2", "interpolating": 0},
    ],
)
def test_shifted_approximation_arguments(kwargs: dict[str, object]) -> None:
    g = kwargs.pop("g")
    kwargs.setdefault("interpolating", False)
    with pytest.raises(InvalidArgument, match="interpolating="):
        approximate(g, 1e-3, **kwargs)  # type: ignore[arg-type]


def test_callable_without_modulus_is_estimated() -> None:
    res = approximate(np.cos, 1e-4)
    assert not res.certified
    assert res.method.startswith("estimated (not certified)")
    assert res.bound < 1e-4


def test_lipschitz_gives_a_conditional_uniform_mesh() -> None:
    res = approximate(math.sin, 1e-3, lipschitz=1.0)
    assert not res.certified  # the user's L is not proved for a callable
    assert res.conditional is not None
    assert "lipschitz=1.0" in res.conditional
    assert res.mesh == "uniform"
    assert res.n_neurons == 501  # h just below 2 eps / L
    assert "lipschitz=1.0" in res.method
    assert "value_rtol" in res.method
    assert res.bound < 1e-3


def test_modulus_gives_a_conditional_uniform_mesh() -> None:
    res = approximate(np.sqrt, 1e-2, modulus=math.sqrt)
    # omega(h) = sqrt(h) < 1e-2: h < 1e-4, about 10^4 cells
    assert not res.certified
    assert res.conditional is not None
    assert "modulus of continuity" in res.conditional
    assert 10_000 <= res.n_neurons <= 10_002
    assert res.bound < 1e-2


def test_lipschitz_for_an_expression_uses_interval_node_values() -> None:
    res = approximate("x**2", 1e-3, domain=(-2, 2), lipschitz=4)
    assert res.certified
    assert "intervals" in res.method


def test_false_lipschitz_is_refused() -> None:
    with pytest.raises(CertificationError, match=r"lipschitz=0\.1 is contradicted"):
        approximate(np.exp, 1e-3, lipschitz=0.1)


def test_false_modulus_is_refused() -> None:
    with pytest.raises(CertificationError, match=r"modulus=.* is contradicted"):
        approximate(np.sqrt, 1e-2, modulus=lambda h: h)


@pytest.mark.parametrize("g", ["sign(x - 0.5)", lambda v: np.sign(v - 0.5)])
def test_discontinuous_g_is_refused(g: object) -> None:
    with pytest.raises(CertificationError, match="discontinuous"):
        approximate(g, 1e-3)


def test_discontinuous_g_with_a_lipschitz_claim_is_refused() -> None:
    with pytest.raises(CertificationError, match="contradicted"):
        approximate(lambda v: np.sign(v - 0.5), 1e-3, lipschitz=1)


def test_singular_point_approached_from_the_left() -> None:
    # int sqrt|g''| diverges at 0: the march must jump over 0 with one oscillation cell
    right = approximate("x*sin(1/x)", 1e-2)
    both = approximate("x*sin(1/x)", 1e-2, domain=(-1, 1))
    assert both.certified
    assert both.n_neurons <= 2.6 * right.n_neurons  # the march from the left jumps late


def test_hoelder_and_oscillating_functions_are_certified() -> None:
    for text in ("sqrt(x)", "abs(x - 1/3)**0.7", "x*sin(1/x)"):
        res = approximate(text, 1e-2)
        assert res.certified, text
        assert "oscillation" in res.method


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": 0}, "eps=0 is invalid"),
        ({"eps": -1.0}, "eps=-1.0 is invalid"),
        ({"eps": math.nan}, "eps=nan is invalid"),
        ({"eps": math.inf}, "eps=inf is invalid"),
        ({"eps": "0.1"}, "eps='0.1' is invalid"),
        ({"domain": (1, 0)}, "domain=\\(1, 0\\) is invalid"),
        ({"domain": (0, math.inf)}, "domain\\[1\\]=inf is invalid"),
        ({"domain": (0,)}, "domain=\\(0,\\) is invalid"),
        ({"mesh": "chebyshev"}, "mesh='chebyshev' is invalid: expected one of 'adaptive'"),
        ({"max_neurons": 0}, "max_neurons=0 is invalid"),
        ({"time_limit": -1}, "time_limit=-1 is invalid"),
        ({"lipschitz": -1}, "lipschitz=-1.0 is invalid"),
        ({"lipschitz": 1, "modulus": abs}, "modulus=.* is invalid: expected None"),
        ({"modulus": 3}, "modulus=3 is invalid"),
        ({"value_rtol": 2}, "value_rtol=2.0 is invalid"),
        ({"progress": 1}, "progress=1 is invalid"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"eps": 1e-2}
    args.update(kwargs)
    eps = args.pop("eps")
    with pytest.raises(InvalidArgument, match=match):
        approximate("x", eps, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "modulus", [lambda h: -1.0, lambda h: math.nan, lambda h: "big", lambda h: 1 / 0]
)
def test_bad_modulus_functions(modulus: object) -> None:
    with pytest.raises(InvalidArgument, match="modulus="):
        approximate(np.sin, 1e-2, modulus=modulus)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("g", "error"),
    [
        ("__import__('os').system('echo hi')", InvalidExpression),
        ("x + y", InvalidExpression),
        ("log(x)", EvaluationError),
        ("sqrt(x - 2)", EvaluationError),
        (lambda v: v * 1j, EvaluationError),
        (lambda v: [1, 2, 3], EvaluationError),
        (lambda v: 1 / 0, EvaluationError),
        (42, InvalidArgument),
    ],
)
def test_bad_functions(g: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        approximate(g, 1e-2)


def test_budgets_say_which_limit_was_hit() -> None:
    with pytest.raises(BudgetExceeded, match="max_neurons=50 was hit"):
        approximate("exp(3*x)", 1e-6, max_neurons=50)
    with pytest.raises(BudgetExceeded, match=r"time_limit=0\.05 s was hit"):
        approximate("exp(3*x)", 1e-10, time_limit=0.05)
    with pytest.raises(BudgetExceeded, match="max_neurons=50 was hit"):
        approximate(np.exp, 1e-6, max_neurons=50)
    with pytest.raises(BudgetExceeded, match="max_neurons=50 was hit"):
        approximate(np.exp, 1e-6, lipschitz=3, max_neurons=50)


def test_to_dict_is_json_ready() -> None:
    res = approximate("x**2", 1e-2)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["n_neurons"] == res.n_neurons
    assert data["certified"] is True
    assert [Fraction(w) for w in data["network"]["weights"]] == list(res.network.weights)


def test_to_torch_computes_the_same_function() -> None:
    torch = pytest.importorskip("torch")
    res = approximate("sin(2*pi*x)", 1e-3)
    module = res.network.to_torch()
    grid = np.linspace(0, 1, 257)
    with torch.no_grad():
        out = module(torch.tensor(grid, dtype=torch.float64).reshape(-1, 1)).numpy().ravel()
    assert np.abs(out - res.network(grid)).max() < 1e-12


def test_plot_approximation(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    res = approximate("sqrt(abs(x - 1/3))", 1e-2, domain=(-1, 1))
    out = plot_approximation(res, tmp_path / "sub" / "a.png", points=201)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidArgument, match="points=1 is invalid"):
        plot_approximation(res, tmp_path / "b.png", points=1)


def test_cli_approximate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    plot, data = tmp_path / "a.png", tmp_path / "a.json"
    status = main(
        ["approximate", "sin(2*pi*x)", "--eps", "1e-4", "--plot", str(plot), "--json", str(data)]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "neurons:   172" in out
    assert "certified: True" in out
    assert "method:    certified" in out
    assert plot.is_file()
    assert json.loads(data.read_text())["n_neurons"] == 172


def test_cli_approximate_options(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["approximate", "x**2", "--eps", "1e-3", "--domain", "-2", "2", "--lipschitz", "4"]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "uniform mesh from lipschitz=4.0" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["approximate", "x.real", "--eps", "1e-3"], "attribute access is not allowed"),
        (["approximate", "x", "--eps", "-1"], "eps=-1.0 is invalid"),
        (["approximate", "sign(x - 0.5)", "--eps", "1e-3"], "discontinuous"),
        (["approximate", "exp(x)", "--eps", "1e-9", "--max-neurons", "10"], "max_neurons=10"),
    ],
)
def test_cli_approximate_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluapprox: error: ")
    assert message in err


def test_tiny_error_bound_is_not_rounded_to_zero() -> None:
    res = approximate("exp(-1000*x)", 1e-3, domain=(1, 2))
    assert res.certified
    assert 0 < res.bound < 1e-3


def test_partly_undefined_g_is_refused() -> None:
    # g is undefined on (-1e-3, 1e-3): no certificate, an error naming the region
    with pytest.raises(EvaluationError, match=r"undefined.*x=-?0\.000"):
        approximate("sqrt(x**2 - 1/1000000)", 0.05, domain=(-1, 1.3))


def test_time_limit_holds_for_extreme_node_values() -> None:
    res = approximate("exp(-100000000*x**2)", 1e-2, domain=(-1, 1), time_limit=5)
    assert res.certified
    assert res.bound < 1e-2
    assert res.seconds < 5
    assert max(v.denominator for v in res.values).bit_length() < 2000


@pytest.mark.parametrize(
    ("g", "eps", "options", "error", "message"),
    [
        (math.sin, 1e-3, {"modulus": lambda h: 10**400}, InvalidArgument, "modulus="),
        ("10**200*x**2", 1e-200, {"mesh": "uniform"}, BudgetExceeded, "max_neurons="),
        ("10**400*abs(x)", 1e-3, {}, CertificationError, "cannot certify"),
    ],
)
def test_huge_values_raise_library_errors(
    g: object, eps: float, options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        approximate(g, eps, **options)  # type: ignore[arg-type]


def test_shifted_mesh_with_tiny_error_ranges() -> None:
    res = approximate("exp(-((x-0.3)*1000)**2)", 1e-3, interpolating=False)
    assert res.certified
    assert res.bound < 1e-3


def test_cancellation_in_floats_is_no_internal_error() -> None:
    # (1 - cos x)/x**2 evaluates to 0 or 0.5-ish garbage in floats near 1e-9
    res = approximate("(1-cos(x))/x**2", 1e-3, domain=(1e-9, 1e-8))
    assert res.certified
    assert res.bound < 1e-3
    assert abs(float(res.values[0]) - 0.5) < 1e-3


def _bump(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    x = np.asarray(x, dtype=float)
    return np.where(x < 0.6, 1.5 * np.sin(np.pi * x / 0.6), 0.0)


def test_decreasing_modulus_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="nondecreasing"):
        approximate(_bump, 1.1, modulus=lambda h: 1 / h)


def test_user_constants_make_the_certificate_conditional() -> None:
    res = approximate(math.sin, 1e-2, lipschitz=1.0)
    assert not res.certified
    assert res.method.startswith("conditional (not certified)")
    assert "holds if the user's lipschitz=1.0 is a true Lipschitz constant" in res.method
    assert res.to_dict()["conditional"] == res.conditional
    assert "(conditional)" in repr(res)
    # for an expression the library proves every cell itself: certified honestly
    res = approximate("x**2", 1e-2, modulus=lambda h: 2 * h)
    assert res.certified
    assert res.conditional is None
    assert "every cell's bound proved by interval arithmetic" in res.method


def test_estimate_is_never_zero_and_says_what_it_misses() -> None:
    res = approximate(lambda x: 2 * x + 1, 1e-3)
    assert not res.certified
    assert 0 < res.bound < 1e-3
    assert "narrower than the sampling can be missed" in res.method
    with pytest.raises(CertificationError, match="float64 noise"):
        approximate(lambda x: 2 * x + 1, 1e-17)


def test_lipschitz_of_expressions_is_checked_by_intervals() -> None:
    # a spike 1e-6 wide between the samples: only the enclosure of g' sees it
    with pytest.raises(CertificationError, match=r"lipschitz=1.5 is contradicted.*g'"):
        approximate("x + 1000*exp(-(1000000*(x-0.31234))**2)", 1e-2, lipschitz=1.5)
    res = approximate("sin(x)", 1e-2, lipschitz=1.0)
    assert res.method.startswith("certified (lipschitz=1.0 proved by an interval enclosure")
    res = approximate("abs(x - 0.5)", 1e-2, lipschitz=1.0)  # L not proved: g' jumps
    assert res.certified
    assert res.method.startswith("certified: uniform mesh from lipschitz=1.0")


def test_deadline_is_checked_before_the_network_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reluapprox.approximation as module

    real = module.adaptive_mesh

    def slow_mesh(*args: object, **kwargs: object) -> object:
        mesh = real(*args, **kwargs)  # type: ignore[arg-type]
        clock = time.monotonic() + 10
        monkeypatch.setattr(module.time, "monotonic", lambda: clock)
        return mesh

    monkeypatch.setattr(module, "adaptive_mesh", slow_mesh)
    with pytest.raises(BudgetExceeded, match="before the network was built"):
        approximate("exp(x)", 1e-3, time_limit=1)
