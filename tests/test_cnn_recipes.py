"""Recipes: consecutive phases with one call or command, equal to the chained runs."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnn.cli import main  # noqa: E402
from cnn.data import FashionMNIST, load_fashion_mnist  # noqa: E402
from cnn.recipes import (  # noqa: E402
    DEFAULT_RECIPE,
    RECIPES,
    Phase,
    Recipe,
    _weight_shapes,
    phase_plan,
    run_recipe,
)
from cnn.train import load_checkpoint, train  # noqa: E402
from reluapprox.errors import InvalidArgument  # noqa: E402

pytestmark = [pytest.mark.torch]

LIMIT = 600
SHORT = Recipe(
    "short",
    (Phase("stmirror", 2, 0.02), Phase("stshift", 2, 0.005)),
    "a two-phase recipe small enough for a test",
)


@pytest.fixture(scope="module")
def tiny_data(fashion_mnist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FashionMNIST:
    cache = tmp_path_factory.mktemp("fmnist-cache")
    return load_fashion_mnist(fashion_mnist_dir, cache_dir=cache).limited(LIMIT)


def _state(path: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = load_checkpoint(path)["model"]
    return state


def _same_state(p: Path, q: Path) -> bool:
    a, b = _state(p), _state(q)
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_phase_plan_chains_the_weights() -> None:
    plan = phase_plan(SHORT, "out", seed=3, threads=2)
    assert [d.as_posix() for d, _ in plan] == ["out/phase1-stmirror", "out/phase2-stshift"]
    (_, first), (_, second) = plan
    assert (first.arch, first.epochs, first.lr, first.init_from) == ("stmirror", 2, 0.02, None)
    assert (second.arch, second.epochs, second.lr) == ("stshift", 2, 0.005)
    assert second.init_from == str(Path("out/phase1-stmirror/model.pt"))
    assert {first.seed, second.seed, first.threads, second.threads} == {3, 2}


@pytest.mark.data
def test_recipe_equals_the_chained_train_runs(tiny_data: FashionMNIST, tmp_path: Path) -> None:
    protocol = {"val_size": 100, "eval_test": True}
    summary = run_recipe(SHORT, tiny_data, tmp_path / "recipe", seed=1, progress=False, **protocol)
    # the same two runs by hand, the second started from the first (as in docs/cnn-log.md)
    plan = phase_plan(SHORT, tmp_path / "recipe", seed=1, **protocol)
    train(plan[0][1], tiny_data, tmp_path / "a", progress=False, plots=False)
    by_hand = dataclasses.replace(plan[1][1], init_from=str(tmp_path / "a" / "model.pt"))
    last = train(by_hand, tiny_data, tmp_path / "b", progress=False, plots=False)
    out = tmp_path / "recipe"
    assert _same_state(out / "phase1-stmirror" / "model.pt", tmp_path / "a" / "model.pt")
    assert _same_state(out / "phase2-stshift" / "model.pt", tmp_path / "b" / "model.pt")
    assert summary["test_accuracy"] == last["test_accuracy"] is not None
    assert summary["val_accuracy"] == last["val_accuracy"] is not None
    assert (last["n_fit"], last["n_val"]) == (LIMIT - 100, 100)
    assert summary["architecture"] == "stshift"
    assert summary["epochs"] == 4
    assert summary["model"] == str(out / "phase2-stshift" / "model.pt")
    assert [s["architecture"] for s in summary["phase_summaries"]] == ["stmirror", "stshift"]
    # chained metrics: the epochs of phase 2 are numbered on, the values are the phases'
    rows = _rows(out / "metrics.csv")
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    phase2 = _rows(out / "phase2-stshift" / "metrics.csv")
    assert [r["val_accuracy"] for r in rows[2:]] == [r["val_accuracy"] for r in phase2]
    # the test set is scored once, after the last epoch of the last phase
    assert [r["test_accuracy"] for r in rows] == ["nan", "nan", "nan", phase2[-1]["test_accuracy"]]
    assert rows[-1]["test_accuracy"] != "nan"
    assert json.loads((out / "summary.json").read_text()) == summary
    for name in ("loss.png", "accuracy.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.data
def test_interrupted_recipe_resumes_without_training_finished_phases(
    tiny_data: FashionMNIST, tmp_path: Path
) -> None:
    full = run_recipe(SHORT, tiny_data, tmp_path / "full", seed=2, progress=False, plots=False)
    # interrupted during phase 2: phase 1 finished, phase 2 has one of its two epochs
    part = tmp_path / "part"
    plan = phase_plan(SHORT, part, seed=2)
    train(plan[0][1], tiny_data, plan[0][0], progress=False, plots=False)
    train(plan[1][1], tiny_data, plan[1][0], progress=False, plots=False, stop_after=1)
    first = plan[0][0] / "model.pt"
    before = first.stat().st_mtime_ns
    resumed = run_recipe(SHORT, tiny_data, part, seed=2, resume=True, progress=False, plots=False)
    assert first.stat().st_mtime_ns == before  # phase 1 was not trained again
    assert _same_state(
        part / "phase2-stshift" / "model.pt", tmp_path / "full" / "phase2-stshift" / "model.pt"
    )
    assert resumed["test_accuracy"] == full["test_accuracy"]
    # run again without resume: refused before any training, nothing replaced
    with pytest.raises(InvalidArgument, match=r"out_dir=.*phase1-stmirror.* is invalid"):
        run_recipe(SHORT, tiny_data, part, seed=2, progress=False)
    assert first.stat().st_mtime_ns == before
    assert (part / "metrics.csv").read_bytes() == (tmp_path / "full" / "metrics.csv").read_bytes()


def test_bad_recipes_are_named() -> None:
    with pytest.raises(InvalidArgument, match=r"arch='nope' is invalid"):
        Phase("nope", 1, 0.01)
    with pytest.raises(InvalidArgument, match=r"epochs=0 is invalid"):
        Phase("stmirror", 0, 0.01)
    with pytest.raises(InvalidArgument, match=r"lr=-0.1 is invalid"):
        Phase("stmirror", 1, -0.1)
    with pytest.raises(InvalidArgument, match=r"phases=\(\) is invalid"):
        Recipe("empty", (), "")
    with pytest.raises(InvalidArgument, match=r"phases=.* is invalid: .*'logreg' and 'stshift'"):
        Recipe("misfit", (Phase("logreg", 1, 0.01), Phase("stshift", 1, 0.01)), "")
    with pytest.raises(InvalidArgument, match=r"weight_decay=-0.001 is invalid: expected None"):
        Phase("stmirror", 1, 0.01, weight_decay=-1e-3)
    with pytest.raises(InvalidArgument, match=r"schedule='step' is invalid"):
        Phase("stmirror", 1, 0.01, schedule="step")
    with pytest.raises(InvalidArgument, match=r"batch_size=0 is invalid"):
        Phase("stmirror", 1, 0.01, batch_size=0)
    # a design, with the settings of a search trial, is a phase too
    phase = Phase("space:c4-k3-b3-plain-p12-t3-post-tied-mirror", 1, 0.01, schedule="cosine")
    assert phase.settings() == {"schedule": "cosine"}


def test_documented_recipe_is_the_committed_runs() -> None:
    best = json.loads((Path(__file__).parent.parent / "cnn/weights/best.json").read_text())
    last = RECIPES[DEFAULT_RECIPE].phases[-1]
    config = best["config"]
    assert (config["arch"], config["epochs"], config["lr"]) == (last.arch, last.epochs, last.lr)
    # the committed weights were trained without the flag, their statistics re-estimated
    # on export (`export --precise-bn`), which gives the same model (test_cnn_train)
    applied = config.get("precise_bn", False) or best.get("precise_bn", False)
    assert applied is last.precise_bn
    first = RECIPES[DEFAULT_RECIPE].phases[0]
    assert (first.arch, first.epochs, first.lr) == ("stmirror", 40, 0.02)


@pytest.mark.data
def test_cli_reproduce_dry_run_prints_the_phases_and_writes_nothing(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["reproduce", "--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path)]
    argv += ["--val-size", "10", "--eval-test"]
    assert main([*argv, "--out", str(out), "--limit", "50", "--seed", "4", "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    # every phase holds out the same validation split; only the last scores the test set
    assert [p["config"]["val_size"] for p in plan["phases"]] == [10, 10]
    assert [p["config"]["eval_test"] for p in plan["phases"]] == [False, True]
    assert plan["recipe"] == DEFAULT_RECIPE
    assert plan["n_train"] == 50
    assert [p["config"]["arch"] for p in plan["phases"]] == ["stmirror", "stshift"]
    assert [p["n_parameters"] for p in plan["phases"]] == [494, 494]
    assert plan["phases"][1]["config"]["init_from"] == str(out / "phase1-stmirror" / "model.pt")
    assert {p["config"]["seed"] for p in plan["phases"]} == {4}
    assert not out.exists()


def test_cli_reproduce_rejects_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reproduce", "--out", str(tmp_path), "--seed", "-1"]) == 2
    assert "--seed=-1 is invalid" in capsys.readouterr().err
    assert main(["reproduce", "--out", str(tmp_path), "--threads", "0"]) == 2
    assert "--threads=0 is invalid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["reproduce", "--out", str(tmp_path), "--recipe", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_checking_a_recipe_leaves_the_global_random_state_alone() -> None:
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    _weight_shapes.cache_clear()  # so that the models are built again
    Recipe("check", (Phase("stmirror", 1, 0.01), Phase("stshift", 1, 0.01)), "")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.data
def test_train_defaults_are_the_first_phase_of_the_documented_recipe(
    fashion_mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(fashion_mnist_dir), "--cache-dir", str(tmp_path), "--limit", "50"]
    data += ["--val-size", "10"]
    out = tmp_path / "out"
    assert main(["reproduce", *data, "--seed", "1", "--out", str(out), "--dry-run"]) == 0
    first = json.loads(capsys.readouterr().out)["phases"][0]
    train_out = out / "phase1-stmirror"
    assert main(["train", *data, "--seed", "1", "--out", str(train_out), "--dry-run"]) == 0
    assert first["config"] == json.loads(capsys.readouterr().out)["config"]
    assert not out.exists()
