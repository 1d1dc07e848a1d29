"""Tests of ``approximate(..., architecture="deep" | "auto")`` and its CLI option."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluapprox.approximation import approximate, plot_approximation
from reluapprox.cli import main
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.network import ReluNetwork
from reluapprox.shallow import ShallowNetwork

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_deep_square_is_certified_by_piece_enumeration() -> None:
    res = approximate("x**2", 1e-8, architecture="deep")
    assert isinstance(res.network, ReluNetwork)
    assert res.certified
    assert res.mesh == "deep"
    assert res.n_neurons == sum(res.network.widths[1:-1]) == 28
    assert res.depth == res.network.depth == 7
    assert res.n_parameters == res.network.n_parameters
    assert res.bound < 1e-8
    assert "exact piece enumeration" in res.method
    shift = Fraction(1, 2**27)  # 1/(8 N**2), N = 4096: L_N - u**2 in [0, 2 shift], shifted
    assert res.values == (-shift, 1 - shift)
    assert res.bound == float(shift)


def test_deep_exp_uses_the_composition_bound() -> None:
    res = approximate("exp(x)", 1e-8, architecture="deep", domain=(-1, 1))
    assert res.certified
    assert res.bound < 1e-8
    assert "proved composition bound" in res.method
    x = np.linspace(-1, 1, 4001)
    f = res.network(x[:, None])[:, 0]
    assert float(np.abs(f - np.exp(x)).max()) <= res.bound + 1e-14


def test_auto_picks_shallow_when_it_is_smaller() -> None:
    res = approximate("exp(x)", 1e-3, architecture="auto")
    assert isinstance(res.network, ShallowNetwork)
    assert res.depth == 2
    assert "auto: shallow (15 neurons) chosen over deep" in res.method


def test_auto_picks_deep_at_small_eps() -> None:
    res = approximate("sin(2*pi*x)", 1e-6, architecture="auto")
    assert isinstance(res.network, ReluNetwork)
    assert "auto: deep (" in res.method
    assert "the shallow construction needs more (max_neurons=" in res.method


def test_auto_falls_back_to_shallow_for_non_analytic_g() -> None:
    res = approximate("abs(x - 0.3)", 1e-3, architecture="auto")
    assert isinstance(res.network, ShallowNetwork)
    assert "the deep construction does not apply" in res.method
    with pytest.raises(CertificationError, match="not analytic"):
        approximate("abs(x - 0.3)", 1e-3, architecture="deep")


def test_auto_accepts_callables_and_deep_refuses_them() -> None:
    res = approximate(math.exp, 1e-2, architecture="auto")
    assert not res.certified
    with pytest.raises(InvalidArgument, match="g="):
        approximate(math.exp, 1e-2, architecture="deep")


def test_bad_architecture_options_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="architecture='wide'"):
        approximate("x", 1e-2, architecture="wide")
    with pytest.raises(InvalidArgument, match="architecture='deep'"):
        approximate("x**2", 1e-2, architecture="deep", lipschitz=2.0)


def test_deep_result_to_dict_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    res = approximate("x**2", 1e-4, architecture="deep")
    payload = res.to_dict()
    assert payload["depth"] == res.depth
    assert payload["network"]["widths"] == list(res.network.widths)
    out = plot_approximation(res, tmp_path / "deep.png", points=201)
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_cli_architecture_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "r.json"
    args = ["approximate", "x**2", "--eps", "1e-6", "--architecture", "deep"]
    assert main([*args, "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "neurons:   20  (depth 6," in out
    assert json.loads(out_json.read_text())["depth"] == 6


def test_max_neurons_applies_to_deep_and_auto() -> None:
    with pytest.raises(BudgetExceeded, match="max_neurons=100 was hit: the deep network has"):
        approximate("exp(x)", 1e-8, architecture="deep", max_neurons=100)
    res = approximate("exp(x)", 1e-4, architecture="auto", max_neurons=60)
    assert isinstance(res.network, ShallowNetwork)
    assert res.n_neurons == 47
    assert "auto: shallow (max_neurons=60 was hit: the deep network has 73 neurons)" in res.method
