"""Tests of ``reluapprox approximate EXPR --domain A B C D`` (two dimensions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reluapprox.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_rectangle_prints_plots_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    out_json = tmp_path / "res.json"
    plot = tmp_path / "f.png"
    args = ["approximate", "sin(x)*cos(y)", "--eps", "1e-2", "--domain", "0", "1", "0.5", "2"]
    assert main([*args, "--plot", str(plot), "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "certified: True" in out
    assert "triangles: " in out
    assert "(widths 2-" in out
    assert plot.read_bytes().startswith(PNG_MAGIC)
    payload = json.loads(out_json.read_text())
    assert payload["bound"] < 0.01
    assert payload["domain"] == [[0.0, 1.0], [0.5, 2.0]]  # A B C D: x in [A, B], y in [C, D]
    assert f"triangles: {payload['n_triangles']}" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--domain", "0", "1", "0"], "--domain=[0.0, 1.0, 0.0] is invalid: expected two numbers"),
        (["--domain", "0", "1", "0", "1", "--lipschitz", "2"], "with --lipschitz or --shifted"),
        (["--domain", "0", "1", "1", "0"], "domain[1]=(1.0, 0.0) is invalid"),
    ],
)
def test_bad_domains_are_refused(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approximate", "x*y", "--eps", "1e-2", *extra]) == 2
    assert message in capsys.readouterr().err


def test_deep_polynomial_on_a_rectangle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "deep.json"
    args = ["approximate", "x*y", "--eps", "1e-10", "--domain", "0", "1", "0", "1"]
    assert main([*args, "--architecture", "deep", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "neurons:   67 (widths 2-" in out
    assert json.loads(out_json.read_text())["mesh"] == "deep"
    assert main([*args, "--architecture", "deep", "--plot", str(tmp_path / "f.png")]) == 2
    assert "no --plot with --architecture deep" in capsys.readouterr().err
    bad = ["approximate", "sin(x)*y", "--eps", "1e-3", "--domain", "0", "1", "0", "1"]
    assert main([*bad, "--architecture", "deep"]) == 2
    assert "architecture='deep' is invalid" in capsys.readouterr().err


def test_anisotropic_mesh(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["approximate", "exp(x + y)", "--eps", "1e-2", "--domain", "0", "1", "0", "1"]
    assert main([*args, "--mesh", "anisotropic"]) == 0
    out = capsys.readouterr().out
    assert "anisotropic triangulation (longest-edge bisection" in out
