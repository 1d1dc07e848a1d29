"""Architecture and hyper-parameter search under the parameter budget, with Optuna.

A *study* lives in an Optuna storage: a SQLite file by default
(:data:`DEFAULT_STORAGE`), a PostgreSQL server for many machines. Every worker (a
``python -m cnn search`` process) loads the study, asks Optuna's TPE sampler for a
configuration (:func:`suggest_config`: a :class:`cnn.space.Design` and the training
settings), builds the model and counts its trainable parameters *before* any training:
a design over the budget is refused at once and recorded as a pruned trial with the
reason (user attribute ``refused``). Otherwise it trains on the training images outside
the validation split (:func:`cnn.data.validation_split`), reports the validation accuracy
after every epoch (the ``on_epoch`` hook of :func:`cnn.train.train`) and is stopped by the
median pruner when it falls behind the other trials at the same epoch. The objective is
the validation accuracy after the last epoch; the test set is never read.

Trials end as ``COMPLETE``, ``PRUNED`` (by the pruner, or refused) or ``FAIL`` (with the
exception in the user attribute ``fail_reason``; a trial whose worker was killed is
failed by the next worker once its heartbeat is older than twice the interval). A
killed worker thus loses its current trial only; running the command again continues
the study until it holds ``trials`` trained trials (refusals cost no training and are
not counted).

Examples:
    >>> import optuna
    >>> trial = optuna.trial.FixedTrial(
    ...     {
    ...         "channels": 8,
    ...         "kernel": 3,
    ...         "block_kernel": 3,
    ...         "separable": True,
    ...         "pools": "12",
    ...         "templates": 2,
    ...         "norm": "post",
    ...         "residual": "tied",
    ...         "views": "mirror",
    ...         "lr": 0.02,
    ...         "weight_decay": 1e-4,
    ...         "schedule": "onecycle",
    ...         "batch_size": 128,
    ...     }
    ... )
    >>> suggest_config(trial, SearchSettings(epochs=40)).arch
    'space:c8-k3-b3-sep-p12-t2-post-tied-mirror'
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import socket
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnn.data import VAL_SEED, FashionMNIST, write_atomic
from cnn.models import DEFAULT_BUDGET, count_parameters
from cnn.space import KERNELS, NORMS, POOLS, RESIDUALS, VIEWS, Design, parse_design
from cnn.train import EpochMetrics, TrainConfig, train
from reluapprox._validation import check_positive_int, fail
from reluapprox.errors import DataError, InvalidArgument, ReluApproxError

if TYPE_CHECKING:
    import optuna

    from cnn.recipes import Recipe

__all__ = [
    "DEFAULT_STORAGE",
    "SPACE",
    "SearchSettings",
    "config_from_params",
    "load_study",
    "open_storage",
    "run_search",
    "suggest_config",
    "trial_config",
    "trial_recipe",
    "trial_rows",
    "write_report",
]

DEFAULT_STORAGE = "sqlite:///cnn-search.db"
"""The storage of ``python -m cnn search`` when ``--storage`` is not given."""

_INTS = {"channels": (4, 10), "templates": (1, 4)}
_LOG_FLOATS = {"lr": (0.003, 0.05), "weight_decay": (1e-5, 1e-3)}
_CHOICES: dict[str, tuple[Any, ...]] = {
    "kernel": (3, 5),
    "block_kernel": (3, 5),
    "separable": (True, False),
    "pools": ("12", "13", "23", "123"),
    "norm": NORMS,
    "residual": RESIDUALS,
    "views": VIEWS,
    "schedule": ("onecycle", "cosine"),
    "batch_size": (64, 128, 256),
}

SPACE: dict[str, tuple[Any, ...]] = {**_INTS, **_LOG_FLOATS, **_CHOICES}
"""The search space: integer ranges ``(low, high)`` for ``channels`` and ``templates``,
log-uniform ranges ``(low, high)`` for ``lr`` and ``weight_decay``, the choices of every
other entry."""

_TRAINED_STATES = ("COMPLETE", "PRUNED", "FAIL")
_MAX_REFUSALS_PER_TRIAL = 50


@dataclass(frozen=True)
class SearchSettings:
    """What every trial of a study shares (all keyword-only).

    Attributes:
        epochs: Epochs of every trial (fixed, so that the pruner compares trials at the
            same point of the same schedule length).
        budget: Maximum trainable parameters; larger designs are refused untrained.
        val_size: Training images held out for the objective (must be > 0).
        val_seed: Seed of the held-out split.
        seed: Training seed of every trial.
        threads: torch CPU threads per worker.
    """

    epochs: int = 3
    budget: int = DEFAULT_BUDGET
    val_size: int = 10000
    val_seed: int = VAL_SEED
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("budget", self.budget)
        check_positive_int("val_size", self.val_size)
        check_positive_int("val_seed", self.val_seed, minimum=0)
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("threads", self.threads)


def suggest_config(trial: optuna.trial.BaseTrial, settings: SearchSettings) -> TrainConfig:
    """Draw one configuration of :data:`SPACE` from ``trial`` (the parameter names are its keys)."""
    params: dict[str, Any] = {}
    for name, (low, high) in _INTS.items():
        params[name] = trial.suggest_int(name, low, high)
    for name, (lo, hi) in _LOG_FLOATS.items():
        params[name] = trial.suggest_float(name, lo, hi, log=True)
    for name, choices in _CHOICES.items():
        params[name] = trial.suggest_categorical(name, choices)
    return config_from_params(params, settings)


def config_from_params(params: dict[str, Any], settings: SearchSettings) -> TrainConfig:
    """The training configuration of a trial's parameters under ``settings``.

    Raises:
        InvalidArgument: ``params`` lacks an entry of :data:`SPACE` or holds an invalid one.
    """
    missing = [name for name in SPACE if name not in params]
    if missing:
        fail("params", params, f"the parameters of a search trial (missing: {missing})")
    for name in ("kernel", "block_kernel"):
        if params[name] not in KERNELS:
            fail(name, params[name], f"one of {KERNELS}")
    if params["pools"] not in POOLS:
        fail("pools", params["pools"], f"one of {POOLS}")
    design = Design(
        channels=params["channels"],
        kernel=params["kernel"],
        block_kernel=params["block_kernel"],
        separable=params["separable"],
        pools=params["pools"],
        templates=params["templates"],
        norm=params["norm"],
        residual=params["residual"],
        views=params["views"],
    )
    return TrainConfig(
        arch=design.name,
        epochs=settings.epochs,
        seed=settings.seed,
        batch_size=params["batch_size"],
        lr=params["lr"],
        weight_decay=params["weight_decay"],
        schedule=params["schedule"],
        budget=settings.budget,
        threads=settings.threads,
        val_size=settings.val_size,
        val_seed=settings.val_seed,
    )


def _require_optuna() -> None:
    """Refuse, on one line, to search without Optuna installed."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ReluApproxError(
            "searching needs Optuna: pip install 'reluapprox[search]' (or pip install optuna)"
        ) from None


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Silence Optuna's experimental-feature warnings (the heartbeat) and its info log."""
    _require_optuna()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def open_storage(url: str, *, heartbeat_s: int = 60) -> optuna.storages.RDBStorage:
    """Open (and create if needed) the relational storage at ``url``.

    A running trial writes a heartbeat every ``heartbeat_s`` seconds; one silent for
    twice as long is failed by the next worker that starts a trial (its worker was
    killed). A SQLite file waits up to 60 s for a lock held by another worker; a storage
    that fails to open (e.g. while another worker creates its tables) is tried three times.

    Raises:
        InvalidArgument: ``url`` is not an SQLAlchemy URL of a usable database.
        ReluApproxError: Optuna is not installed.
    """
    _require_optuna()
    import optuna
    import sqlalchemy.exc
    import sqlalchemy.pool

    if not isinstance(url, str) or "://" not in url:
        fail("storage", url, "an SQLAlchemy URL such as 'sqlite:///cnn-search.db'")
    check_positive_int("heartbeat_s", heartbeat_s)
    # No pool: a connection per storage operation, closed after it (trials take minutes;
    # a worker keeps no idle connection to a shared server, and none is left at exit)
    engine: dict[str, Any] = {"poolclass": sqlalchemy.pool.NullPool}
    if url.startswith("sqlite"):
        engine["connect_args"] = {"timeout": 60}
    for attempt in range(3):
        try:
            with _quiet_optuna():
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine, heartbeat_interval=heartbeat_s
                )
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError) as exc:
            error: Exception = exc  # e.g. two workers creating the tables at once: again
        except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError) as exc:
            error = exc
            break
        time.sleep(1.0 + attempt)
    message = " ".join(str(error).split())[:200]
    raise InvalidArgument(
        f"storage={url!r} is invalid: expected a database that can be opened "
        f"({type(error).__name__}: {message})"
    )


def load_study(name: str, storage: str) -> optuna.Study:
    """Load the existing study ``name`` from ``storage``.

    Raises:
        InvalidArgument: The storage cannot be opened or holds no study of that name.
    """
    import optuna

    opened = open_storage(storage)
    try:
        with _quiet_optuna():
            return optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened)]
        fail("study", name, f"the name of a study in {storage} (it holds {names})")


def _trained(trial: optuna.trial.FrozenTrial) -> bool:
    return trial.state.name in _TRAINED_STATES and "refused" not in trial.user_attrs


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_search(
    *,
    study: str,
    storage: str,
    data: FashionMNIST,
    trials: int,
    settings: SearchSettings,
    timeout: float | None = None,
    heartbeat_s: int = 60,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    sampler_seed: int | None = None,
    max_refusals: int | None = None,
) -> optuna.Study:
    """Run trials of study ``study`` in ``storage`` until it holds ``trials`` trained trials.

    Several processes (on one machine or many) may run this on the same study at once;
    each trial is done by one of them. The study is created on first use with the TPE
    sampler, the median pruner and the direction "maximise".

    Args:
        study: The study's name.
        storage: An SQLAlchemy URL (:data:`DEFAULT_STORAGE`, ``postgresql+psycopg://...``).
        data: The data set; only its training images are used.
        trials: Stop once the study holds this many trained trials (complete, pruned by
            the pruner, or failed) from all workers; refusals are not counted.
        settings: What every trial shares; must equal those of the study's first worker.
        timeout: Stop starting trials after this many seconds.
        heartbeat_s: Heartbeat interval of running trials (see :func:`open_storage`).
        progress: Show each trial's progress bars and epoch lines.
        echo: Receives one line per finished trial.
        sampler_seed: Seed of this worker's sampler (``None``: fresh randomness; workers
            of one study need different seeds, or they propose the same configurations).
        max_refusals: Stop once the study holds this many refused designs (default
            ``50 * trials``), in case the budget admits (almost) nothing of the space.

    Returns:
        The study.

    Raises:
        InvalidArgument: An argument is invalid, or the study was started with other
            settings.
    """
    import optuna

    trials = check_positive_int("trials", trials)
    if sampler_seed is not None:
        check_positive_int("sampler_seed", sampler_seed, minimum=0)
    if max_refusals is None:
        max_refusals = _MAX_REFUSALS_PER_TRIAL * trials
    check_positive_int("max_refusals", max_refusals)
    if timeout is not None and not (isinstance(timeout, int | float) and 0 < timeout < math.inf):
        fail("timeout", timeout, "a positive finite number of seconds or None")
    if settings.val_size >= int(data.train_images.shape[0]):
        fail("val_size", settings.val_size, "fewer images than the training set holds")
    opened = open_storage(storage, heartbeat_s=heartbeat_s)
    with _quiet_optuna():
        current = optuna.create_study(
            study_name=study,
            storage=opened,
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=sampler_seed),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0),
            load_if_exists=True,
        )
        _check_settings(current, settings)
        done = sum(_trained(t) for t in current.get_trials(deepcopy=False))
        if done >= trials:
            echo(f"study {study!r} already holds {done} trained trials (--trials {trials})")
            return current
        objective = _Objective(data, settings, progress)

        def finished(s: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            echo(_trial_line(s, trial))
            all_trials = s.get_trials(deepcopy=False)
            refused = sum("refused" in t.user_attrs for t in all_trials)
            if sum(_trained(t) for t in all_trials) >= trials or refused >= max_refusals:
                s.stop()

        current.optimize(objective, timeout=timeout, callbacks=[finished], catch=(Exception,))
    return current


def _check_settings(study: optuna.Study, settings: SearchSettings) -> None:
    """Store ``settings`` in a new study; refuse other settings for an existing one."""
    mine = {k: getattr(settings, k) for k in ("epochs", "budget", "val_size", "val_seed", "seed")}
    saved = study.user_attrs.get("settings")
    if saved is None:
        study.set_user_attr("settings", mine)
        return
    if saved != mine:
        differ = {k: v for k, v in saved.items() if mine.get(k) != v}
        fail(
            "settings",
            mine,
            f"the settings the study {study.study_name!r} was started with (it has {differ})",
        )


class _Objective:
    """One trial: suggest, count, refuse or train, report every epoch, return the accuracy."""

    def __init__(self, data: FashionMNIST, settings: SearchSettings, progress: bool) -> None:
        self.data = data
        self.settings = settings
        self.progress = progress
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, trial: optuna.Trial) -> float:
        import optuna
        import torch

        config = suggest_config(trial, self.settings)
        trial.set_user_attr("arch", config.arch)
        trial.set_user_attr("worker", self.worker)
        with torch.random.fork_rng(devices=[]):
            n = count_parameters(parse_design(config.arch).build())
        trial.set_user_attr("n_parameters", n)
        if n > self.settings.budget:
            reason = f"{n} trainable parameters, more than the budget of {self.settings.budget}"
            trial.set_user_attr("refused", reason)
            raise optuna.TrialPruned(f"refused untrained: {reason}")

        def on_epoch(m: EpochMetrics) -> None:
            trial.report(m.val_accuracy, m.epoch)
            trial.set_user_attr("epochs_done", m.epoch)
            if m.epoch < config.epochs and trial.should_prune():
                raise optuna.TrialPruned(
                    f"pruned after epoch {m.epoch}: validation accuracy {m.val_accuracy:.4f}"
                )

        start = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix=f"cnn-trial{trial.number}-") as tmp:
                summary = train(
                    config, self.data, tmp, progress=self.progress, plots=False, on_epoch=on_epoch
                )
        except optuna.TrialPruned:
            trial.set_user_attr("seconds", time.perf_counter() - start)
            raise
        except Exception as exc:
            trial.set_user_attr("seconds", time.perf_counter() - start)
            trial.set_user_attr("fail_reason", _one_line(exc))
            raise
        trial.set_user_attr("seconds", time.perf_counter() - start)
        return float(summary["val_accuracy"])


def _last_value(trial: optuna.trial.FrozenTrial) -> float | None:
    if trial.value is not None:
        return trial.value
    if trial.intermediate_values:
        return trial.intermediate_values[max(trial.intermediate_values)]
    return None


def _reason(trial: optuna.trial.FrozenTrial) -> str:
    attrs = trial.user_attrs
    if "refused" in attrs:
        return f"refused: {attrs['refused']}"
    if "fail_reason" in attrs:
        return str(attrs["fail_reason"])
    if trial.state.name == "FAIL":
        return "no heartbeat: its worker stopped (killed) during the trial"
    if trial.state.name == "PRUNED":
        return f"pruned after epoch {attrs.get('epochs_done', '?')}"
    if trial.state.name == "RUNNING":
        return "running"
    return ""


def _trial_line(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str:
    value = _last_value(trial)
    shown = "-" if value is None else f"{value:.4f}"
    try:
        best = f"best {study.best_value:.4f} (trial {study.best_trial.number})"
    except ValueError:  # no complete trial yet
        best = "best -"
    reason = _reason(trial)
    seconds = trial.user_attrs.get("seconds")
    timing = "" if seconds is None else f" {seconds:.0f} s"
    p = trial.params
    settings = (
        f"lr {p['lr']:.4g} wd {p['weight_decay']:.2g} {p['schedule']} batch {p['batch_size']}"
        if "batch_size" in p
        else ""
    )
    return (
        f"trial {trial.number} {trial.state.name.lower()}: val {shown} | {best} | "
        f"{trial.user_attrs.get('arch', '?')} ({trial.user_attrs.get('n_parameters', '?')} "
        f"params) {settings}{timing}" + (f" | {reason}" if reason else "")
    )


def trial_config(study: optuna.Study, number: int, *, epochs: int, **overrides: Any) -> TrainConfig:
    """The configuration of trial ``number`` of ``study``, trained for ``epochs`` epochs.

    The design and the training settings (peak rate, weight decay, schedule, batch size)
    are the trial's; the budget, validation split and seed are the study's unless given
    in ``overrides`` (any other :class:`~cnn.train.TrainConfig` field may be given too).

    Raises:
        InvalidArgument: No such trial, or it was refused or failed, or has no parameters.
    """
    check_positive_int("trial", number, minimum=0)
    found = [t for t in study.get_trials(deepcopy=False) if t.number == number]
    if not found:
        fail("trial", number, f"the number of a trial of {study.study_name!r}")
    trial = found[0]
    if trial.state.name not in ("COMPLETE", "PRUNED") or "refused" in trial.user_attrs:
        fail("trial", number, f"a trained trial (trial {number}: {_reason(trial) or 'running'})")
    saved = study.user_attrs.get("settings", {})
    settings = SearchSettings(
        epochs=epochs,
        **{k: saved[k] for k in ("budget", "val_size", "val_seed", "seed") if k in saved},
    )
    config = config_from_params(dict(trial.params), settings)
    return replace(config, **overrides)


#: The views of the design in each phase of the documented recipe, by its architecture.
_PHASE_VIEWS = {"stmirror": "mirror", "stshift": "shift"}


def trial_recipe(study: optuna.Study, number: int) -> Recipe:
    """The documented recipe (:data:`cnn.recipes.DEFAULT_RECIPE`) for the design of trial
    ``number``: the "full recipe" of ``python -m cnn reproduce --from-trial``.

    Each phase keeps the documented phase's epochs and re-estimation setting; its peak
    rate is the trial's, scaled as the documented phases' rates are (``val32``: 0.02, then
    0.005, a quarter); the weight decay, schedule and batch size are the trial's; the
    design averages over the documented phase's views (mirror images, then the shifts),
    or over none in every phase if the trial's design averages none.

    Raises:
        InvalidArgument: No such trial, or it was refused or failed (:func:`trial_config`).
    """
    from cnn.recipes import DEFAULT_RECIPE, RECIPES, Phase, Recipe

    config = trial_config(study, number, epochs=1)
    design = parse_design(config.arch)
    documented = RECIPES[DEFAULT_RECIPE]
    first = documented.phases[0].lr
    phases = []
    for phase in documented.phases:
        views = "none" if design.views == "none" else _PHASE_VIEWS[phase.arch]
        phases.append(
            Phase(
                replace(design, views=views).name,
                phase.epochs,
                config.lr * (phase.lr / first),
                precise_bn=phase.precise_bn,
                weight_decay=config.weight_decay,
                schedule=config.schedule,
                batch_size=config.batch_size,
            )
        )
    return Recipe(
        f"{DEFAULT_RECIPE}-trial{number}",
        tuple(phases),
        f"{DEFAULT_RECIPE} for trial {number} of study {study.study_name!r}: its design "
        f"{config.arch}, peak rate {config.lr:.4g} (then scaled as in {DEFAULT_RECIPE}), "
        f"weight decay {config.weight_decay:.3g}, {config.schedule} schedule, batch "
        f"{config.batch_size}",
    )


_COLUMNS = (
    "number",
    "state",
    "val_accuracy",
    "n_parameters",
    "seconds",
    "epochs_done",
    "arch",
    "lr",
    "weight_decay",
    "schedule",
    "batch_size",
    "worker",
    "reason",
)


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """One row per trial (the columns of ``trials.csv``), in trial order."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        value = _last_value(t)
        rows.append(
            {
                "number": t.number,
                "state": t.state.name,
                "val_accuracy": "" if value is None else f"{value:.4f}",
                "n_parameters": t.user_attrs.get("n_parameters", ""),
                "seconds": f"{t.user_attrs['seconds']:.1f}" if "seconds" in t.user_attrs else "",
                "epochs_done": t.user_attrs.get("epochs_done", ""),
                "arch": t.user_attrs.get("arch", ""),
                "lr": f"{t.params['lr']:.5g}" if "lr" in t.params else "",
                "weight_decay": (
                    f"{t.params['weight_decay']:.3g}" if "weight_decay" in t.params else ""
                ),
                "schedule": t.params.get("schedule", ""),
                "batch_size": t.params.get("batch_size", ""),
                "worker": t.user_attrs.get("worker", ""),
                "reason": _reason(t),
            }
        )
    return rows


def write_report(study: optuna.Study, out: str | os.PathLike[str], *, top: int = 10) -> list[str]:
    """Write the report of ``study`` into directory ``out`` and return its text lines.

    Files: ``trials.csv`` (every trial), ``best.md`` (the ``top`` complete trials as a
    Markdown table), ``history.png`` (validation accuracy by trial and the best so far),
    ``importance.png`` (PED-ANOVA parameter importances; written with at least two complete
    trials) and ``accuracy-vs-parameters.png``. Running trials whose heartbeat is stale
    (their worker was killed) are first marked failed, as the next worker would.

    Raises:
        DataError: The study holds no trial.
    """
    import optuna

    check_positive_int("top", top)
    with _quiet_optuna():
        optuna.storages.fail_stale_trials(study)
    trials = study.get_trials(deepcopy=False)
    if not trials:
        raise DataError(f"study {study.study_name!r} holds no trial")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    rows = trial_rows(study)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(directory / "trials.csv", buffer.getvalue().encode())

    complete = sorted(
        (t for t in trials if t.state.name == "COMPLETE" and t.value is not None),
        key=lambda t: (-(t.value or 0.0), t.number),
    )
    names = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")
    states = {s: sum(t.state.name == s for t in trials) for s in names}
    refused = sum("refused" in t.user_attrs for t in trials)
    hours = sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials) / 3600
    lines = [
        f"study {study.study_name!r}: {len(trials)} trials, {states['COMPLETE']} complete, "
        f"{states['PRUNED'] - refused} pruned, {refused} refused (over budget), "
        f"{states['FAIL']} failed, {states['RUNNING']} running; {hours:.2f} worker-hours of "
        "training",
        "",
        "| trial | architecture | parameters | validation accuracy | time (s) | lr | "
        "weight decay | schedule | batch |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    by_number = {r["number"]: r for r in rows}
    for t in complete[:top]:
        r = by_number[t.number]
        lines.append(
            f"| {t.number} | `{r['arch']}` | {r['n_parameters']} | {r['val_accuracy']} | "
            f"{r['seconds']} | {r['lr']} | {r['weight_decay']} | {r['schedule']} | "
            f"{r['batch_size']} |"
        )
    write_atomic(directory / "best.md", ("\n".join(lines) + "\n").encode())
    _plot_history(trials, directory / "history.png")
    _plot_size(trials, directory / "accuracy-vs-parameters.png")
    if len(complete) >= 2:
        lines += _plot_importance(study, directory / "importance.png")
    else:
        lines.append("importance.png not written: it needs at least two complete trials")
    return lines


def _plot_history(trials: list[optuna.trial.FrozenTrial], path: Path) -> None:
    from reluapprox.plotting import new_figure, save_figure

    figure = new_figure()
    ax = figure.axes[0]
    done = [(t.number, t.value) for t in trials if t.state.name == "COMPLETE" and t.value]
    pruned = [
        (t.number, v)
        for t in trials
        if t.state.name == "PRUNED" and (v := _last_value(t)) is not None
    ]
    if done:
        ax.plot(*zip(*done, strict=True), "o", label="complete")
        best, steps = -math.inf, []
        for number, value in done:
            best = max(best, value)
            steps.append((number, best))
        ax.step(*zip(*steps, strict=True), where="post", label="best so far")
    if pruned:
        ax.plot(*zip(*pruned, strict=True), "x", color="grey", label="pruned (last epoch)")
    ax.set_xlabel("trial")
    ax.set_ylabel("validation accuracy")
    ax.set_title("optimisation history")
    if done or pruned:
        ax.legend()
    save_figure(figure, path)


def _plot_size(trials: list[optuna.trial.FrozenTrial], path: Path) -> None:
    from reluapprox.plotting import new_figure, save_figure

    figure = new_figure()
    ax = figure.axes[0]
    points = [
        (int(t.user_attrs["n_parameters"]), t.value)
        for t in trials
        if t.state.name == "COMPLETE" and t.value is not None and "n_parameters" in t.user_attrs
    ]
    if points:
        ax.plot(*zip(*points, strict=True), "o")
    ax.set_xlabel("trainable parameters")
    ax.set_ylabel("validation accuracy")
    ax.set_title("complete trials: accuracy against size")
    save_figure(figure, path)


def _plot_importance(study: optuna.Study, path: Path) -> list[str]:
    """Draw the PED-ANOVA importances; return Optuna's caveats about them (few trials)."""
    import optuna

    from reluapprox.plotting import new_figure, save_figure

    with _quiet_optuna(), warnings.catch_warnings(record=True) as caveats:
        warnings.simplefilter("always", UserWarning)
        importance = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()
        )
    notes = [
        f"importance.png: {w.message}"
        for w in caveats
        if not issubclass(w.category, optuna.exceptions.ExperimentalWarning)
    ]
    figure = new_figure()
    ax = figure.axes[0]
    names = list(importance)[::-1]
    ax.barh(names, [importance[n] for n in names])
    ax.set_xlabel("importance (PED-ANOVA)")
    ax.set_title("parameter importances" + (" (too few trials: not informative)" if notes else ""))
    save_figure(figure, path)
    return notes
