"""Tests of ``reluapprox approximate``: output, JSON, plots and errors of output paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reluapprox.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _blocker(tmp_path: Path) -> Path:
    """A plain file: no path below it can be created, even as root."""
    path = tmp_path / "blocker"
    path.write_text("not a folder\n")
    return path


def test_prints_the_result_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "sub" / "res.json"
    assert main(["approximate", "x**2", "--eps", "1e-2", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "certified: True" in out
    assert f"wrote {out_json}\n" in out
    payload = json.loads(out_json.read_text())
    assert payload["eps"] == 0.01
    assert payload["bound"] < 0.01


def test_plot_without_suffix_reports_the_png_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    stem = tmp_path / "figure"
    assert main(["approximate", "x**2", "--eps", "1e-2", "--plot", str(stem)]) == 0
    written = tmp_path / "figure.png"
    assert f"wrote {written}\n" in capsys.readouterr().out
    assert written.read_bytes()[:8] == PNG_MAGIC
    assert not stem.exists()


def test_plot_into_an_existing_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approximate", "x**2", "--eps", "1e-2", "--plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reluapprox: error: --plot={str(tmp_path)!r} is invalid: expected")
    assert "not an existing folder" in err
    assert not tmp_path.with_name(tmp_path.name + ".png").exists()


def test_plot_with_another_suffix_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "figure.svg"
    assert main(["approximate", "x**2", "--eps", "1e-2", "--plot", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reluapprox: error: --plot={str(path)!r} is invalid: expected")
    assert "ending in .png" in err


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_unwritable_output_is_an_error_not_a_traceback(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _blocker(tmp_path) / "out.png"
    assert main(["approximate", "x**2", "--eps", "1e-2", option, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"reluapprox: error: {option}={str(path)!r} is invalid")
    assert "expected a writable path" in captured.err
    assert "Traceback" not in captured.err
    assert "neurons:" not in captured.out  # refused before the computation


def test_json_path_that_is_a_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approximate", "x**2", "--eps", "1e-2", "--json", str(tmp_path)]) == 2
    assert "--json=" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("(9**999)**999*x", "more than 4096 bits"),
        ("log(0)+x", "contains zoo"),
        ("tan(pi/2)+x", "contains zoo"),
        ("(-2)**x", "negative base"),
        ("sqrt(-1)+x", "non-real number I"),
    ],
)
def test_bad_expressions_are_one_line_errors(
    expr: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["approximate", expr, "--eps", "1e-3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reluapprox: error: g={expr!r} is invalid: expected")
    assert why in err
    assert err.count("\n") == 1


def test_progress_bar_on_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reluapprox.commands._progress as progress_module
    import reluapprox.mesh as mesh_module

    monkeypatch.setattr(progress_module, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(mesh_module, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(mesh_module, "BUDGET_INTERVAL", 1)
    assert main(["approximate", "exp(3*x)", "--eps", "1e-4", "--progress"]) == 0
    captured = capsys.readouterr()
    assert "certified: True" in captured.out
    assert "% of the domain" not in captured.out  # the bar goes to stderr only
    assert "% of the domain, " in captured.err
    assert "[" + "." * 30 + "]" in captured.err  # drawn from the start ...
    assert captured.err.endswith("\r")  # ... and erased at the end


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reluapprox.mesh as mesh_module

    monkeypatch.setattr(mesh_module, "PROGRESS_INTERVAL", 0.0)
    assert main(["approximate", "exp(3*x)", "--eps", "1e-4"]) == 0
    assert capsys.readouterr().err == ""


def test_the_progress_bar_waits_for_its_delay() -> None:
    import io

    from reluapprox.commands._progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream, delay=3600.0)
    bar(0.5, 10)
    bar.close()
    assert stream.getvalue() == ""
    bar = ProgressBar(stream, delay=0.0, width=4)
    bar(1.0, 10)
    assert "[####] 100.0% of the domain, 10 cells" in stream.getvalue()
