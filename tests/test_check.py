"""Tests of certificate files and the independent checker (issue 18)."""

from __future__ import annotations

import ast
import itertools
import json
import math
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from reluapprox import approximate
from reluapprox.certificate import (
    farkas_certificate,
    network_certificate,
    threshold_certificate,
    write_certificate,
)
from reluapprox.check import _parse_target, _pieces, check_certificate, check_file
from reluapprox.cli import main
from reluapprox.errors import InvalidArgument
from reluapprox.network import ReluNetwork
from reluapprox.separability import linear_separator
from reluapprox.strategies import relu_networks
from tests._benchmarks import BENCHMARKS, load_benchmark

REPO = Path(__file__).resolve().parent.parent
#: What the checker may import from reluapprox (directly or through those modules).
ALLOWED = {"reluapprox", "reluapprox.check", "reluapprox.errors", "reluapprox._validation"}
CONSTRUCTORS = {"expr", "certify", "mesh", "approximation", "interpolation", "shallow"}


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return load_benchmark("bench_check")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _imports(module: str) -> set[str]:
    """The reluapprox modules that ``module`` imports (its file's syntax tree)."""
    path = REPO / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = REPO / module.replace(".", "/") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found |= {name for name in names if name.split(".")[0] == "reluapprox"}
    return {name for name in found if (REPO / (name.replace(".", "/") + ".py")).exists()}


def test_checker_imports_no_constructor_module() -> None:
    seen, todo = set(), ["reluapprox.check"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += sorted(_imports(module))
    assert seen <= ALLOWED, seen - ALLOWED
    assert not {name.rsplit(".", 1)[-1] for name in seen} & CONSTRUCTORS


def test_import_inspection_sees_constructor_imports() -> None:
    # the inspection itself works: approximation.py does import the constructors
    assert {"reluapprox.expr", "reluapprox.mesh"} <= _imports("reluapprox.approximation")


@pytest.mark.parametrize(
    ("g", "eps"),
    [("sin(2*pi*x)", 1e-6), ("sqrt(x)", 1e-4), ("abs(x - 1/3)**0.7", 1e-3)],
)
def test_accepts_the_must_show_certificates(g: str, eps: float, tmp_path: Path) -> None:
    res = approximate(g, eps)
    result = check_file(res.save_certificate(tmp_path / "c.json"))
    assert result.valid, result.reason
    assert f"g = {g} on [0, 1]" in result.reason


def test_exp_at_1e_7_checks_in_under_two_seconds(tmp_path: Path) -> None:
    res = approximate("exp(3*x)", 1e-7)
    assert 7_000 < res.n_neurons < 8_500
    path = res.save_certificate(tmp_path / "exp.json")
    start = time.process_time()
    result = check_file(path)
    assert time.process_time() - start < 2.0
    assert result.valid, result.reason


@pytest.mark.parametrize(
    ("g", "eps", "options"),
    [
        ("abs(x - 0.3) + relu(x - 0.6)", 1e-4, {}),
        ("sqrt(abs(x - 0.5))", 1e-3, {}),
        ("x**0.3", 1e-3, {}),
        ("sign(x - 0.5)*abs(x - 0.5)**1.5", 1e-3, {}),
        ("tanh(20*sin(12*x))", 1e-4, {}),
        ("sin(1/(x + 0.05))", 1e-3, {}),
        ("log(x)", 1e-4, {"domain": (0.01, 1)}),
        ("exp(3*x)", 1e-5, {"interpolating": False}),
        ("sin(x)", 1e-3, {"lipschitz": 1.0}),
        ("min(exp(x), 2 - x**2) + cos(x)/(1 + x**2)", 1e-3, {"domain": (-2, 1)}),
    ],
)
def test_hard_cases_agree(g: str, eps: float, options: dict[str, Any]) -> None:
    result = check_certificate(approximate(g, eps, **options).to_certificate())
    assert result.valid, result.reason


def test_deep_network_is_checked(bench: Any) -> None:
    doc = bench.deep_certificate(3)
    assert doc["network"]["widths"] == [1, 3, 3, 3, 1]
    result = check_certificate(doc)
    assert result.valid, result.reason
    assert "<= 0.00390625 <=" in result.reason  # the exact error 2^-8 is proved
    assert not check_certificate({**doc, "claimed_bound": "1/257"}).valid
    assert not check_certificate({**doc, "target": "x**2 - x/1000"}).valid
    assert check_certificate({**doc, "target": "x**2 + x/1000"}).valid  # still true


def test_certificate_of_another_expression_is_rejected() -> None:
    doc = approximate("exp(3*x)", 1e-4).to_certificate()
    for other in ("exp(3.001*x)", "exp(3*x) + 1/10000", "sinh(3*x)", "exp(3*x)*(1 + x/1e4)"):
        result = check_certificate({**doc, "target": other})
        assert not result.valid, other
        assert "claimed_bound" in result.reason


def test_unknown_fields_such_as_hints_cannot_make_a_false_claim_pass() -> None:
    doc = approximate("sin(2*pi*x)", 1e-3).to_certificate()
    false = {**doc, "claimed_bound": str(Fraction(doc["claimed_bound"]) / 2)}
    for hints in ({"breakpoints": ["1/3", "-5", "7", "1/2"]}, {"proved": True}, [1, 2]):
        assert not check_certificate({**false, "hints": hints}).valid
        assert check_certificate({**doc, "hints": hints}).valid


def _valid_doc() -> dict[str, Any]:
    return approximate("exp(3*x)", 1e-2).to_certificate()


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BAD_DOCS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("version", _set(("version",), 2), "version=2 is not supported"),
    ("format", _set(("format",), "other"), "format='other'"),
    ("kind", _set(("kind",), "proof"), "kind='proof'"),
    ("missing eps", lambda doc: doc.pop("eps"), "missing field 'eps'"),
    ("missing network", lambda doc: doc.pop("network"), "missing field 'network'"),
    ("float eps", _set(("eps",), 0.01), "wrong type"),
    ("huge number", _set(("eps",), "1" * 5000), "not an exact rational"),
    ("huge bias", _set(("network", "biases", 1, 0), "9" * 1200), "of at most 1000 digits"),
    ("zero denominator", _set(("claimed_bound",), "1/0"), "divides by zero"),
    ("bound >= eps", _set(("claimed_bound",), "1"), "is not in [0, eps"),
    ("empty domain", _set(("domain",), ["1", "0"]), "is empty"),
    ("short domain", _set(("domain",), ["0"]), "domain is not a list of 2"),
    ("bad expression", _set(("target",), "exp(3*x"), "does not parse"),
    ("unknown function", _set(("target",), "gamma(x)"), "calling 'gamma' is not allowed"),
    ("attribute", _set(("target",), "x.real"), "Attribute is not allowed"),
    ("huge literal", _set(("target",), "x + 1e99999999"), "too long"),
    ("outside the domain", _set(("target",), "sqrt(x - 1/2)"), "cannot be enclosed"),
    ("widths", _set(("network", "widths"), [1, 5, 1]), "does not have 5 rows"),
    ("input width", _set(("network", "widths", 0), 2), "input and output width must be 1"),
    ("row length", _set(("network", "weights", 1, 0), ["1"]), "weights[1][0]"),
    ("bias length", _set(("network", "biases", 0), ["0"]), "biases[0]"),
    ("layers", _set(("network", "weights"), []), "weight matrices and bias vectors expected"),
    ("not an object", _set(("network",), [1, 2]), "field 'network'=[1, 2] has the wrong type"),
]


@pytest.mark.parametrize(("name", "change", "reason"), BAD_DOCS, ids=[b[0] for b in BAD_DOCS])
def test_bad_documents_are_invalid_with_a_reason(
    name: str, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    doc = _valid_doc()
    assert check_certificate(doc).valid
    change(doc)
    result = check_certificate(doc)
    assert not result.valid
    assert reason in result.reason, (name, result.reason)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"format": "reluapprox-certificate", "version": 1, "kind": "appr', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON (RecursionError"),
        (b'{"eps": NaN}', "the JSON constant NaN"),
        (b'{"eps": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"\xff\xfe", "cannot read the file (UnicodeDecodeError"),
        (b"[]", "not a JSON object"),
    ],
)
def test_bad_files_are_invalid_with_a_reason(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = check_file(path)
    assert not result.valid
    assert reason in result.reason


def test_a_time_bomb_expression_is_refused_quickly() -> None:
    doc = _valid_doc()
    start = time.monotonic()
    for target in ("9**9**9**9", "x**(10**400)", "exp(exp(exp(exp(100*x))))"):
        assert not check_certificate({**doc, "target": target}).valid
    assert time.monotonic() - start < 5


def test_the_time_limit_is_respected() -> None:
    doc = approximate("sin(2*pi*x)", 1e-6).to_certificate()
    start = time.monotonic()
    result = check_certificate(doc, time_limit=0.01)
    assert time.monotonic() - start < 1.5
    assert not result.valid
    assert "time" in result.reason


def test_parser_reads_decimals_exactly() -> None:
    assert _parse_target("0.7") == ("num", Fraction(7, 10))
    assert _parse_target("-x") == ("neg", ("x",))


def test_only_expressions_have_certificates() -> None:
    with pytest.raises(InvalidArgument, match="a callable or an estimated bound"):
        approximate(math.sin, 1e-2, lipschitz=1.0).to_certificate()
    with pytest.raises(InvalidArgument, match="a callable or an estimated bound"):
        approximate(math.sin, 1e-2).to_certificate()
    with pytest.raises(InvalidArgument, match="an exact ReluNetwork"):
        network_certificate(
            ReluNetwork([[[1.0]]], [[0.0]], exact=False), "x", domain=(0, 1), eps=1, bound=0
        )


def test_sympy_target_prints_as_a_checkable_string() -> None:
    import sympy as sp

    x = sp.Symbol("x", real=True)
    doc = approximate(sp.exp(3 * x), 1e-3).to_certificate()
    assert doc["target"] == "exp(3*x)"
    assert check_certificate(doc).valid


def test_farkas_certificate() -> None:
    xor = linear_separator([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0])
    assert xor.certificate is not None
    doc = farkas_certificate(xor.certificate)
    assert check_certificate(doc).valid
    assert not check_certificate({**doc, "labels": [0, 1, 1, 1]}).valid
    assert not check_certificate({**doc, "multipliers": ["-1", "-1", "-1", "-1"]}).valid
    assert not check_certificate({**doc, "multipliers": ["0", "0", "0", "0"]}).valid
    assert not check_certificate({**doc, "labels": [0, 1, 1, 2]}).valid


@pytest.mark.parametrize(("n", "count"), [(1, 4), (2, 14), (3, 104)])
def test_threshold_count_certificate(n: int, count: int) -> None:
    doc = threshold_certificate(n)
    result = check_certificate(doc)
    assert result.valid, result.reason
    assert result.reason.startswith(f"exactly {count} of the {2**2**n}")
    assert not check_certificate({**doc, "count": count + 1}).valid
    functions = [dict(entry) for entry in doc["functions"]]
    separable = next(k for k, entry in enumerate(functions) if "w" in entry and k)
    functions[separable]["b"] = "-1000"
    assert not check_certificate({**doc, "functions": functions}).valid


def test_cli_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "exp.json"
    assert main(["approximate", "exp(3*x)", "--eps", "1e-3", "--certificate", str(good)]) == 0
    assert f"wrote {good}" in capsys.readouterr().out
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().out.startswith(f"{good}: VALID: max |g - f| <= ")
    bad = tmp_path / "bad.json"
    doc = json.loads(good.read_text())
    write_certificate({**doc, "eps": doc["claimed_bound"]}, bad)
    assert main(["check", str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{good}: VALID")
    assert lines[1].startswith(f"{bad}: INVALID: claimed_bound=")


def test_cli_refuses_an_unwritable_certificate_path_before_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    argv = ["approximate", "x", "--eps", "1e-3", "--certificate", str(blocker / "c.json")]
    assert main(argv) == 2
    assert "--certificate=" in capsys.readouterr().err


def test_mutations_false_rejected_true_accepted() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        mutations = load_benchmark("bench_check_mutations")
    finally:
        sys.path.remove(str(BENCHMARKS))
    counts = mutations.run_mutations(200, seed=1, margin=0.01)
    total = sum(counts.values(), start=type(counts["eps"])())
    assert total["false accepted"] == 0
    assert total["true rejected"] == 0
    assert total["false rejected"] >= 40
    assert total["true accepted"] >= 40


@pytest.mark.parametrize("limit", [0, -1.0, float("nan"), float("inf"), "10"])
def test_a_bad_time_limit_is_refused_by_name(limit: object, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="time_limit="):
        check_certificate({}, time_limit=limit)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="time_limit="):
        check_file(tmp_path / "missing.json", time_limit=limit)  # type: ignore[arg-type]


def test_cli_bad_time_limit_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "missing.json", "--time-limit", "-1"]) == 2
    assert "time_limit=-1.0 is invalid" in capsys.readouterr().err


@given(relu_networks(input_dim=1, output_dim=1, max_depth=5, max_width=4))
def test_pieces_are_exact_and_linear(net: ReluNetwork) -> None:
    a, b = Fraction(-4), Fraction(4)
    layers = [(w.tolist(), c.tolist()) for w, c in zip(net.weights, net.biases, strict=True)]
    xs, fs = _pieces(layers, a, b, math.inf)
    assert xs[0] == a
    assert xs[-1] == b
    assert all(u < v for u, v in itertools.pairwise(xs))
    for x, f in zip(xs, fs, strict=True):
        assert net.exact([x])[0] == f
    for (u, fu), (v, fv) in itertools.pairwise(zip(xs, fs, strict=True)):
        for t in (Fraction(1, 3), Fraction(1, 2), Fraction(5, 7)):
            assert net.exact([u + t * (v - u)])[0] == fu + t * (fv - fu)  # linear on a piece


def test_exponentially_many_pieces_are_bounded(bench: Any) -> None:
    doc = bench.deep_certificate(40)  # 2^40 pieces
    start = time.monotonic()
    result = check_certificate(doc, time_limit=1.0)
    assert time.monotonic() - start < 6
    assert not result.valid
    assert "time limit exceeded" in result.reason or "kinks" in result.reason
