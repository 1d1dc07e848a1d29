"""Tests of reluapprox.plotting: the file that save_figure writes and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reluapprox.errors import InvalidArgument
from reluapprox.plotting import new_figure, png_path, save_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("given", "written"),
    [("a/fig", "a/fig.png"), ("fig.png", "fig.png"), ("fig.PNG", "fig.PNG"), ("v1.2", None)],
)
def test_png_path(given: str, written: str | None) -> None:
    if written is None:
        with pytest.raises(InvalidArgument, match=r"path='v1\.2' is invalid: expected"):
            png_path(given)
    else:
        assert png_path(given) == Path(written)


@pytest.mark.parametrize("bad", [None, 3, ""])
def test_png_path_refuses_non_paths(bad: object) -> None:
    with pytest.raises(InvalidArgument, match=r"path=.* is invalid: expected a file name"):
        png_path(bad)  # type: ignore[arg-type]


def test_save_figure_returns_the_file_it_wrote(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = save_figure(new_figure(), tmp_path / "deep" / "fig")
    assert written == tmp_path / "deep" / "fig.png"
    assert written.read_bytes()[:8] == PNG_MAGIC
    assert not (tmp_path / "deep" / "fig").exists()


def test_save_figure_refuses_a_folder(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(InvalidArgument, match="not an existing folder"):
        save_figure(new_figure(), tmp_path)
    assert not tmp_path.with_name(tmp_path.name + ".png").exists()


def test_save_figure_turns_os_errors_into_invalid_argument(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n")
    target = blocker / "fig.png"
    with pytest.raises(InvalidArgument) as info:
        save_figure(new_figure(), target)
    assert str(info.value).startswith(f"path={str(target)!r} is invalid: expected a writable")
    assert isinstance(info.value.__cause__, OSError)
