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


# Output paths: OS errors are one-line library errors (exit 2), never tracebacks.


def _blocker(tmp_path: Path) -> Path:
    """A plain file: no path below it can be created, even as root."""
    path = tmp_path / "blocker"
    path.write_text("not a folder\n")
    return path


_POINTS = ["--xs", "0", "1/2", "1", "--ys", "1", "3", "2"]


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_interpolate_unwritable_output_exits_2(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _blocker(tmp_path) / "out.png"
    assert main(["interpolate", *_POINTS, option, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"reluapprox: error: {option}={str(path)!r} is invalid")
    assert "is a file, not a folder)" in captured.err
    assert "neurons:" not in captured.out


def test_interpolate_plot_without_suffix_reports_the_real_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    assert main(["interpolate", *_POINTS, "--plot", str(tmp_path / "interp")]) == 0
    assert f"wrote {tmp_path / 'interp.png'}\n" in capsys.readouterr().out
    assert (tmp_path / "interp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_interpolate_plot_into_a_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["interpolate", *_POINTS, "--plot", str(tmp_path)]) == 2
    assert "--plot=" in capsys.readouterr().err


@pytest.mark.parametrize("action", ["train", "search"])
@pytest.mark.parametrize("below", [False, True])
def test_twolayer_unwritable_out_folder_exits_2_before_training(
    action: str, below: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _blocker(tmp_path) / "run" if below else _blocker(tmp_path)
    data = tmp_path / "missing.csv"  # the --out check comes first
    assert main(["twolayer", action, str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reluapprox: error: --out={str(out)!r} is invalid: expected")
    assert "Traceback" not in err


def test_output_helpers_name_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reluapprox.commands._output import check_folder, write_json, write_plot
    from reluapprox.errors import InvalidArgument

    blocked = _blocker(tmp_path) / "x.json"
    with pytest.raises(InvalidArgument, match=r"--out='.*x\.json' is invalid.*is a file"):
        write_json("--out", blocked, {"a": 1})
    assert write_json("--json", tmp_path / "a" / "ok.json", [1]) == tmp_path / "a" / "ok.json"
    assert json.loads((tmp_path / "a" / "ok.json").read_text()) == [1]
    assert check_folder("--out", tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert not (tmp_path / "new").exists()  # checking creates nothing

    monkeypatch.setattr("reluapprox.commands._output.os.access", lambda *args: False)
    with pytest.raises(InvalidArgument, match="no permission to write in"):
        write_json("--json", tmp_path / "denied.json", [1])
    monkeypatch.undo()

    def disk_full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(InvalidArgument, match="No space left on device") as info:
        write_json("--json", tmp_path / "full.json", [1])
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.undo()

    def refuse(path: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(path))

    with pytest.raises(InvalidArgument, match=r"--plot='.*p\.png' is invalid.*PermissionError"):
        write_plot("--plot", tmp_path / "p", refuse)

    def other_error(path: Path) -> Path:
        raise InvalidArgument("net=1 is invalid: expected a network")

    with pytest.raises(InvalidArgument, match=r"^net=1 is invalid"):  # not blamed on the path
        write_plot("--plot", tmp_path / "q.png", other_error)
