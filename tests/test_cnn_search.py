"""``cnn.space`` and ``cnn.search``: designs, refusals, shared studies, resume, PostgreSQL."""

from __future__ import annotations

import contextlib
import csv
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

from cnn.cli import main  # noqa: E402
from cnn.data import FashionMNIST  # noqa: E402
from cnn.models import build_model, count_parameters  # noqa: E402
from cnn.search import (  # noqa: E402
    SPACE,
    SearchSettings,
    load_study,
    run_search,
    trial_config,
    trial_recipe,
    write_report,
)
from cnn.space import Design, build_architecture, check_architecture, parse_design  # noqa: E402
from cnn.train import TrainConfig, train  # noqa: E402
from reluapprox.errors import BudgetExceeded, InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch

REPO = Path(__file__).resolve().parent.parent


def _data(n: int = 240, seed: int = 0) -> FashionMNIST:
    """Random images with a learnable label (the brightness of the left half)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    labels = (images[:, :, :14].float().mean((1, 2)) * 10 / 256).long().clamp(0, 9)
    return FashionMNIST(images, labels, images[:10], labels[:10], Path("synthetic"))


# --- the design family -------------------------------------------------------------------


def test_default_design_is_stmirror_weight_for_weight() -> None:
    torch.manual_seed(5)
    reference = build_model("stmirror").state_dict()
    torch.manual_seed(5)
    design = Design().build().state_dict()
    assert list(design) == list(reference)
    assert all(torch.equal(design[k], reference[k]) for k in reference)


@pytest.mark.parametrize(
    "design",
    [
        Design(),
        Design(channels=4, kernel=5, separable=False, pools="123", norm="pre", views="none"),
        Design(channels=5, block_kernel=5, pools="1", templates=1, residual="untied"),
        Design(channels=3, pools="23", residual="none", views="shift"),
    ],
)
def test_designs_round_trip_and_classify(design: Design) -> None:
    assert parse_design(design.name) == design
    model = design.build().eval()
    out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)
    # the budget is inclusive: exactly the design's own count passes, one fewer is refused
    n = count_parameters(model)
    assert count_parameters(build_architecture(design.name, budget=n)) == n
    with pytest.raises(
        BudgetExceeded, match=rf"has {n} trainable parameters, more than .* {n - 1}"
    ):
        build_architecture(design.name, budget=n - 1)


def test_tied_block_is_counted_once() -> None:
    tied = count_parameters(Design(residual="tied").build())
    untied = count_parameters(Design(residual="untied").build())
    none = count_parameters(Design(residual="none").build())
    block = 8 * 9 + 8 * 8 + 8  # depthwise 3x3 without bias, pointwise with bias
    assert (tied, untied) == (none, none + block)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("space:c8", r"--arch='space:c8' is invalid: expected a registered architecture"),
        ("space:c8-k4-b3-sep-p12-t2-post-tied-mirror", r"kernel=4 is invalid"),
        ("space:c08-k3-b3-sep-p12-t2-post-tied-mirror", r"the design's own name"),
        ("space:c8-k3-b3-sep-p4-t2-post-tied-mirror", r"pools='4' is invalid"),
        ("resnet", r"--arch='resnet' is invalid: expected one of 'stshift'"),
    ],
)
def test_bad_design_names_are_refused_with_the_option(name: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        check_architecture("--arch", name)


def test_over_budget_design_raises() -> None:
    name = Design(channels=10, templates=4).name
    with pytest.raises(BudgetExceeded, match=r"more than the budget of 500"):
        build_architecture(name, budget=500)


def test_on_epoch_sees_every_epoch_and_can_stop_the_run(tmp_path: Path) -> None:
    seen: list[int] = []

    class Stop(Exception):
        pass

    def on_epoch(m: Any) -> None:
        seen.append(m.epoch)
        assert 0 <= m.val_accuracy <= 1
        if m.epoch == 2:
            raise Stop

    config = TrainConfig(arch=Design(views="none").name, epochs=4, val_size=40)
    with pytest.raises(Stop):
        train(config, _data(), tmp_path, progress=False, plots=False, on_epoch=on_epoch)
    assert seen == [1, 2]


# --- the search, in one process ----------------------------------------------------------


def test_over_budget_designs_are_refused_untrained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnn.search

    trained: list[str] = []
    real_train = cnn.search.train

    def spy(config: TrainConfig, *args: Any, **kwargs: Any) -> dict[str, Any]:
        trained.append(config.arch)
        return real_train(config, *args, **kwargs)

    monkeypatch.setattr(cnn.search, "train", spy)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SearchSettings(epochs=1, budget=400, val_size=40)
    study = run_search(
        study="budget", storage=storage, data=_data(), trials=2, settings=settings,
        progress=False, echo=lambda line: None, sampler_seed=1,
    )  # fmt: skip
    trials = study.get_trials()
    refused = [t for t in trials if "refused" in t.user_attrs]
    assert refused, "the space holds designs over 400 parameters; some must be drawn"
    for t in refused:
        assert t.state.name == "PRUNED"
        assert t.user_attrs["n_parameters"] > 400
        assert "seconds" not in t.user_attrs
        assert t.user_attrs["arch"] not in trained
    kept = [t for t in trials if "refused" not in t.user_attrs]
    assert len(kept) == 2
    assert all(t.user_attrs["n_parameters"] <= 400 for t in kept)
    assert sorted(trained) == sorted(t.user_attrs["arch"] for t in kept)


def test_a_budget_nothing_fits_stops_after_the_refusal_limit(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 's.db'}"
    lines: list[str] = []
    study = run_search(
        study="tiny", storage=storage, data=_data(), trials=1,
        settings=SearchSettings(epochs=1, budget=50, val_size=40), progress=False,
        echo=lines.append, sampler_seed=0, max_refusals=5,
    )  # fmt: skip
    trials = study.get_trials()
    assert len(trials) == 5
    assert all("refused" in t.user_attrs for t in trials)
    assert len(lines) == 5
    assert all(" pruned: val - | best - | " in line and "| refused: " in line for line in lines)


def test_failed_trials_keep_their_reason_and_resume_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnn.search

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("disk full\nsecond line")

    storage = f"sqlite:///{tmp_path / 's.db'}"
    settings = SearchSettings(epochs=1, val_size=40)
    monkeypatch.setattr(cnn.search, "train", broken)
    run_search(
        study="f", storage=storage, data=_data(), trials=2, settings=settings, progress=False,
        echo=lambda line: None, sampler_seed=0,
    )  # fmt: skip
    monkeypatch.undo()
    study = run_search(
        study="f", storage=storage, data=_data(), trials=4, settings=settings, progress=False,
        echo=lambda line: None, sampler_seed=0,
    )  # fmt: skip
    trained = [t for t in study.get_trials() if "refused" not in t.user_attrs]
    assert [t.state.name for t in trained][:2] == ["FAIL", "FAIL"]
    assert trained[0].user_attrs["fail_reason"] == "RuntimeError: disk full second line"
    assert len(trained) == 4
    assert {t.state.name for t in trained[2:]} <= {"COMPLETE", "PRUNED"}
    with pytest.raises(InvalidArgument, match=r"settings=.* is invalid: .*'epochs': 1"):
        run_search(
            study="f", storage=storage, data=_data(), trials=5,
            settings=SearchSettings(epochs=2, val_size=40), progress=False,
        )  # fmt: skip
    with pytest.raises(InvalidArgument, match=r"trial=0 is invalid: expected a trained trial"):
        trial_config(study, 0, epochs=3)


def test_from_trial_takes_the_trial_settings(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 's.db'}"
    study = run_search(
        study="ft", storage=storage, data=_data(), trials=1,
        settings=SearchSettings(epochs=1, val_size=40, budget=450), progress=False,
        echo=lambda line: None, sampler_seed=0,
    )  # fmt: skip
    trial = next(t for t in study.get_trials() if "refused" not in t.user_attrs)
    config = trial_config(load_study("ft", storage), trial.number, epochs=7, seed=3)
    assert config.arch == trial.user_attrs["arch"]
    assert (config.lr, config.weight_decay) == (trial.params["lr"], trial.params["weight_decay"])
    assert (config.schedule, config.batch_size) == (
        trial.params["schedule"],
        trial.params["batch_size"],
    )
    assert (config.epochs, config.seed, config.budget, config.val_size) == (7, 3, 450, 40)


def _study_with_trials(storage: str, name: str, *params: dict[str, Any]) -> Any:
    """A study holding complete trials with these parameters (no training)."""
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    distributions = {
        "channels": optuna.distributions.IntDistribution(4, 10),
        "templates": optuna.distributions.IntDistribution(1, 4),
        "lr": optuna.distributions.FloatDistribution(0.003, 0.05, log=True),
        "weight_decay": optuna.distributions.FloatDistribution(1e-5, 1e-3, log=True),
        "kernel": optuna.distributions.CategoricalDistribution((3, 5)),
        "block_kernel": optuna.distributions.CategoricalDistribution((3, 5)),
        "separable": optuna.distributions.CategoricalDistribution((True, False)),
        "pools": optuna.distributions.CategoricalDistribution(("12", "13", "23", "123")),
        "norm": optuna.distributions.CategoricalDistribution(("post", "pre")),
        "residual": optuna.distributions.CategoricalDistribution(("tied", "untied", "none")),
        "views": optuna.distributions.CategoricalDistribution(("none", "mirror", "shift")),
        "schedule": optuna.distributions.CategoricalDistribution(("onecycle", "cosine")),
        "batch_size": optuna.distributions.CategoricalDistribution((64, 128, 256)),
    }
    assert set(distributions) == set(SPACE)
    for values in params:
        study.add_trial(
            optuna.trial.create_trial(params=values, distributions=distributions, value=0.8)
        )
    return study


#: The parameters of trial 36 of the documented search (docs/cnn-search.md).
TRIAL_36 = {
    "channels": 4, "templates": 3, "lr": 0.016845498111234727,
    "weight_decay": 1.0813243703176227e-05, "kernel": 3, "block_kernel": 3,
    "separable": False, "pools": "12", "norm": "post", "residual": "tied", "views": "shift",
    "schedule": "onecycle", "batch_size": 128,
}  # fmt: skip


def test_the_full_recipe_of_a_trial_is_the_documented_one_for_its_design(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path / 's.db'}"
    plain = dict(TRIAL_36, views="none", schedule="cosine", batch_size=64, lr=0.01)
    study = _study_with_trials(storage, "r", TRIAL_36, plain)
    recipe = trial_recipe(study, 0)
    # val32: stmirror 40 epochs at 0.02, then stshift 6 epochs at 0.005 (a quarter)
    assert [(p.arch, p.epochs, p.lr, p.precise_bn) for p in recipe.phases] == [
        ("space:c4-k3-b3-plain-p12-t3-post-tied-mirror", 40, 0.016845498111234727, False),
        ("space:c4-k3-b3-plain-p12-t3-post-tied-shift", 6, 0.004211374527808682, False),
    ]
    assert {(p.weight_decay, p.schedule, p.batch_size) for p in recipe.phases} == {
        (1.0813243703176227e-05, "onecycle", 128)
    }
    none = trial_recipe(study, 1)  # no view averaging: the design as it is, in both phases
    assert [(p.arch, p.lr, p.schedule, p.batch_size) for p in none.phases] == [
        ("space:c4-k3-b3-plain-p12-t3-post-tied-none", 0.01, "cosine", 64),
        ("space:c4-k3-b3-plain-p12-t3-post-tied-none", 0.0025, "cosine", 64),
    ]
    for args, message in (
        (["--study", "r", "--recipe", "run31"], "--recipe='run31' is invalid with --from-trial"),
        ([], "--from-trial needs --study NAME"),
    ):
        code = main(["reproduce", "--from-trial", "0", "--storage", storage, *args,
                     "--out", str(tmp_path / "x"), "--dry-run"])  # fmt: skip
        assert code == 2
        assert message in capsys.readouterr().err
    code = main(["reproduce", "--study", "r", "--out", str(tmp_path / "x"), "--dry-run"])
    assert code == 2
    assert "--study='r' is invalid: expected only with --from-trial" in capsys.readouterr().err


def test_reproduce_from_a_trial_plans_the_documented_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fashion_mnist_dir: Path
) -> None:
    # the plan of seed 20 is the configuration of the two manual runs in docs/cnn-search.md
    storage = f"sqlite:///{tmp_path / 's.db'}"
    _study_with_trials(storage, "r", TRIAL_36)
    assert main([
        "reproduce", "--from-trial", "0", "--study", "r", "--storage", storage,
        "--data-dir", str(fashion_mnist_dir), "--out", str(tmp_path / "run"), "--seed", "20",
        "--eval-test", "--dry-run",
    ]) == 0  # fmt: skip
    plan = json.loads(capsys.readouterr().out)
    configs = [p["config"] for p in plan["phases"]]
    assert [p["n_parameters"] for p in plan["phases"]] == [468, 468]
    assert [
        (c["lr"], c["weight_decay"], c["epochs"], c["eval_test"], c["seed"]) for c in configs
    ] == [
        (0.016845498111234727, 1.0813243703176227e-05, 40, False, 20),
        (0.004211374527808682, 1.0813243703176227e-05, 6, True, 20),
    ]
    assert configs[0]["init_from"] is None
    assert configs[1]["init_from"] == str(
        tmp_path / "run" / "phase1-space:c4-k3-b3-plain-p12-t3-post-tied-mirror" / "model.pt"
    )


def test_search_space_is_what_the_trials_draw(tmp_path: Path) -> None:
    study = run_search(
        study="p", storage=f"sqlite:///{tmp_path / 's.db'}", data=_data(), trials=1,
        settings=SearchSettings(epochs=1, val_size=40), progress=False,
        echo=lambda line: None, sampler_seed=0,
    )  # fmt: skip
    assert set(study.get_trials()[0].params) == set(SPACE)


def test_bad_storage_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["search-report", "--study", "x", "--storage", "nosuchdb://x"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "storage='nosuchdb://x' is invalid" in err


# --- worker processes ----------------------------------------------------------------------


def _search_cmd(fashion_mnist_dir: Path, cache: Path, storage: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "cnn", "search", "--study", "w", "--storage", storage,
        "--data-dir", str(fashion_mnist_dir), "--cache-dir", str(cache), "--limit", "300",
        "--val-size", "100", "--quiet", *extra,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.mark.data
def test_two_workers_share_one_sqlite_study(fashion_mnist_dir: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    cmd = _search_cmd(fashion_mnist_dir, tmp_path / "cache", storage, "--trials", "6")
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    workers = [subprocess.Popen([*cmd, "--epochs", "2"], env=_env(), **pipes) for _ in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        assert "trial " in out
    study = load_study("w", storage)
    trials = study.get_trials()
    trained = [t for t in trials if "refused" not in t.user_attrs]
    assert 6 <= len(trained) <= 7  # the second worker may finish a trial it had started
    assert not [t for t in trials if t.state.name == "RUNNING"]
    assert len({t.number for t in trials}) == len(trials)
    assert len({t.user_attrs["worker"] for t in trained}) == 2
    lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("trial ")]
    assert len(lines) == len(trials)
    assert all(" | best " in line for line in lines)

    report = tmp_path / "report"
    assert main(["search-report", "--study", "w", "--storage", storage, "--out", str(report)]) == 0
    with (report / "trials.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["number"]) for r in rows] == [t.number for t in trials]
    for name in ("history.png", "accuracy-vs-parameters.png"):
        assert (report / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert (report / "importance.png").exists() == (len(complete) >= 2)
    best = (report / "best.md").read_text()
    assert f"| {study.best_trial.number} | `{study.best_trial.user_attrs['arch']}`" in best


@pytest.mark.data
def test_a_killed_worker_loses_only_its_trial(fashion_mnist_dir: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'kill.db'}"
    cmd = _search_cmd(
        fashion_mnist_dir, tmp_path / "cache", storage, "--trials", "3", "--epochs", "12",
        "--heartbeat", "1",
    )  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    worker = subprocess.Popen(cmd, env=_env(), **quiet)
    victim = None
    try:
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            with contextlib.suppress(InvalidArgument):  # the study does not exist yet
                trials = load_study("w", storage).get_trials()
                running = [t for t in trials if t.state.name == "RUNNING" and t.intermediate_values]
                if running and any(t.state.name == "COMPLETE" for t in trials):
                    victim = running[0].number
                    worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    assert victim is not None, "no trial reached its first epoch"
    before = {t.number: t.state.name for t in load_study("w", storage).get_trials()}
    assert before[victim] == "RUNNING"  # killed: nobody finished it
    assert "COMPLETE" in before.values()

    time.sleep(2.5)  # the heartbeat (1 s) is stale after twice its interval
    rerun = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    after = load_study("w", storage).get_trials()
    states = {t.number: t.state.name for t in after}
    assert states[victim] == "FAIL"
    assert all(states[n] == s for n, s in before.items() if s != "RUNNING")  # kept
    trained = [t for t in after if "refused" not in t.user_attrs]
    assert len(trained) == 3
    rows = {r["number"]: r for r in _rows(tmp_path / "r", storage)}
    assert rows[str(victim)]["reason"].startswith("no heartbeat")


def _rows(out: Path, storage: str) -> list[dict[str, str]]:
    write_report(load_study("w", storage), out)
    with (out / "trials.csv").open() as f:
        return list(csv.DictReader(f))


# --- PostgreSQL ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    """A PostgreSQL server in a temporary directory; yields its SQLAlchemy URL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = shutil.which("initdb") or (found[-1] if found else None)
    if initdb is None:
        pytest.skip("PostgreSQL is not installed (no initdb; .ci/run installs it with apt-get)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install psycopg[binary])")
    bindir = Path(initdb).parent
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: as nobody, in a dir it owns
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as nobody")
        as_user = [runuser, "-u", "nobody", "--"]
    home = Path(tempfile.mkdtemp(prefix="cnn-pg-"))
    try:
        if as_user:
            shutil.chown(home, user="nobody")
        port = _free_port()
        data = home / "data"
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"),
             "-o", options, "-w", "start"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_study_on_a_real_postgresql_server(tmp_path: Path) -> None:
    with _postgres() as url:
        settings = SearchSettings(epochs=1, val_size=40)
        first = run_search(
            study="pg", storage=url, data=_data(), trials=2, settings=settings, progress=False,
            echo=lambda line: None, sampler_seed=0,
        )  # fmt: skip
        before = {t.number: (t.state.name, t.params) for t in first.get_trials()}
        run_search(
            study="pg", storage=url, data=_data(), trials=3, settings=settings, progress=False,
            echo=lambda line: None, sampler_seed=0,
        )  # fmt: skip
        trials = load_study("pg", url).get_trials()
        trained = [t for t in trials if "refused" not in t.user_attrs]
        assert len(trained) == 3
        # the second run resumed the first study: its trials are kept as they were
        assert {t.number: (t.state.name, t.params) for t in trials[: len(before)]} == before
        assert len(trials) > len(before)
        assert {t.state.name for t in trained} <= {"COMPLETE", "PRUNED"}
        lines = write_report(load_study("pg", url), tmp_path)
        assert lines[0].startswith(f"study 'pg': {len(trials)} trials")
