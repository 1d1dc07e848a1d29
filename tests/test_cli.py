"""Tests of the reluapprox command line (common parts and `interpolate`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reluapprox import __version__
from reluapprox.cli import SUBCOMMANDS, build_parser, main


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in SUBCOMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: reluapprox " + name in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_interpolate_prints_exact_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "net.json"
    status = main(
        ["interpolate", "--xs", "0", "1/2", "1", "--ys", "1", "3", "2", "--json", str(out_json)]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "w0 = 4" in out
    assert "w1 = -6" in out
    assert "exactly at all 3 points: True" in out
    assert json.loads(out_json.read_text()) == {
        "bias": "1",
        "knots": ["0", "1/2"],
        "weights": ["4", "-6"],
    }


def test_interpolate_writes_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "plot.png"
    assert (
        main(["interpolate", "--xs", "0", "0.5", "1", "--ys", "0", "1", "0", "--plot", str(png)])
        == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_library_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["interpolate", "--xs", "0", "0", "--ys", "1", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluapprox: error: xs=")
    assert "strictly increasing" in err
    assert main(["interpolate", "--xs", "0", "x", "--ys", "1", "2"]) == 2
    assert "--xs[1]='x'" in capsys.readouterr().err


def test_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reluapprox", "interpolate", "--xs", "0", "1", "--ys", "0", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "w0 = 2" in result.stdout
