"""Tests of ``reluapprox twolayer`` (exact, train, search)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reluapprox.cli import SUBCOMMANDS, main
from reluapprox.network import ReluNetwork
from reluapprox.twolayer import exact_accuracy, load_classification_csv


def _xor_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    centres = [((1, 0), 1), ((-1, 0), 1), ((0, 1), 2), ((0, -1), 2)]
    lines = ["x1,x2,class"]
    for (cx, cy), label in centres:
        for dx, dy in 0.15 * rng.standard_normal((5, 2)):
            lines.append(f"{float(cx + dx)!r},{float(cy + dy)!r},{label}")
    path = tmp_path / "xor.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _network(params: dict[str, object]) -> ReluNetwork:
    return ReluNetwork([params["W1"], params["W2"]], [params["b1"], params["b2"]], exact=False)


def test_twolayer_is_registered() -> None:
    assert "twolayer" in SUBCOMMANDS


def test_exact_prints_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["twolayer", "exact"]) == 0
    out = capsys.readouterr().out
    assert "s1 - s2 = 1 - 2|x2|" in out
    assert "strictly correct (exact arithmetic): True; margin = 1" in out
    assert out.count("margin 1") == 4


def test_train_writes_params_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _xor_csv(tmp_path)
    out = tmp_path / "run"
    status = main(
        ["twolayer", "train", str(data), "--seed", "1", "--restarts", "6", "--steps", "400",
         "--out", str(out)]
    )  # fmt: skip
    assert status == 0
    params = json.loads((out / "params.json").read_text())
    assert sorted(params) == ["W1", "W2", "accuracy", "b1", "b2"]
    assert np.array(params["W1"]).shape == (2, 2)
    assert np.array(params["W2"]).shape == (2, 2)
    assert len(params["b1"]) == 2
    assert len(params["b2"]) == 2
    assert 0.0 <= params["accuracy"] <= 1.0
    loaded = load_classification_csv(data)
    assert float(exact_accuracy(_network(params), loaded.points, loaded.labels)) == pytest.approx(
        params["accuracy"]
    )
    assert params["accuracy"] == 1.0
    assert (out / "loss.png").stat().st_size > 1000
    assert (out / "regions.png").stat().st_size > 1000
    text = capsys.readouterr().out
    assert "Adam: best 100.0%" in text
    assert "Ex 1a construction" in text


def test_train_wider_network(tmp_path: Path) -> None:
    data = _xor_csv(tmp_path)
    status = main(
        ["twolayer", "train", str(data), "--hidden", "4", "--restarts", "2", "--steps", "200",
         "--out", str(tmp_path / "wide")]
    )  # fmt: skip
    assert status == 0
    params = json.loads((tmp_path / "wide" / "params.json").read_text())
    assert np.array(params["W1"]).shape == (4, 2)
    assert np.array(params["W2"]).shape == (2, 4)


def test_search_writes_a_certified_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _xor_csv(tmp_path)
    out = tmp_path / "best"
    status = main(
        ["twolayer", "search", str(data), "--restarts", "4", "--steps", "200", "--budget",
         "0.5", "--out", str(out)]
    )  # fmt: skip
    assert status == 0
    params = json.loads((out / "params.json").read_text())
    loaded = load_classification_csv(data)
    assert (
        float(exact_accuracy(_network(params), loaded.points, loaded.labels)) == params["accuracy"]
    )
    assert "certified lower bound" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("x1,x2,label\n1,2,1\n", "column 'class' is missing"),
        ("x1,x2,class\n1,2,1\n1,x,2\n", "line 3 (data row 2): x2='x' is not a number"),
        ("x1,x2,class\n1,2,1\n1,nan,2\n", "line 3 (data row 2): x2='nan' is not finite"),
        ("x1,x2,class\n1,2,1\n1,0,0\n", "class='0'; expected 1 or 2"),
        ("x1,x2,class\n1,2,1\n1,0,1\n", "have class 1; expected both classes"),
    ],
)
def test_bad_data_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    assert main(["twolayer", "train", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reluapprox: error: ")
    assert str(path) in err
    assert message in err
    assert not (tmp_path / "params.json").exists()


def test_bad_options_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _xor_csv(tmp_path)
    assert main(["twolayer", "train", str(data), "--restarts", "0"]) == 2
    assert "restarts=0 is invalid: expected an integer >= 1" in capsys.readouterr().err
    assert main(["twolayer", "search", str(data), "--budget", "-1"]) == 2
    assert "time_budget=-1.0 is invalid" in capsys.readouterr().err


@pytest.mark.slow
def test_train_on_course_data(course_csv: Path, tmp_path: Path) -> None:
    status = main(
        ["twolayer", "train", str(course_csv), "--seed", "0", "--restarts", "20", "--out",
         str(tmp_path)]
    )  # fmt: skip
    assert status == 0
    params = json.loads((tmp_path / "params.json").read_text())
    assert params["accuracy"] >= 0.92
