"""Training loop: whole data set in tensors, index batches, atomic resumable checkpoints.

The data set (60,000 images of 28x28 bytes, 47 MB) is converted once to a normalised
float tensor; each epoch draws a permutation from a seeded :class:`torch.Generator` and
slices mini-batches out of it, which on a CPU is far faster than a ``DataLoader`` with
per-image transforms (see ``benchmarks/bench_cnn.py``).

Validation protocol: with ``val_size > 0`` the run trains on the training images outside a
fixed validation split (:func:`cnn.data.validation_split`) and records the validation
loss and accuracy after every epoch; the test set is read only with ``eval_test``, once,
after the last epoch. The training loss and accuracy of an epoch are the averages over
its mini-batches as they were trained (training mode), which costs nothing extra.

After every epoch the full state (model, optimizer, scheduler, epoch, RNG states and the
metrics so far) is written to ``model.pt`` through a temporary file and
:func:`os.replace`, so a run killed at any moment leaves the previous epoch's checkpoint
intact, and ``resume=True`` continues bit-for-bit as if it had never stopped (on CPU,
with the same number of threads).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnn.checkpoint import CHECKPOINT_FORMAT, field_error, read_checkpoint, seal
from cnn.data import MEAN, STD, VAL_SEED, FashionMNIST, validation_split, write_atomic
from cnn.models import (
    ARCHITECTURES,
    DEFAULT_ARCH,
    DEFAULT_BUDGET,
    count_parameters,
    count_statistics,
)
from cnn.space import build_architecture, check_architecture
from reluapprox._validation import (
    check_choice,
    check_finite_real,
    check_positive_finite,
    check_positive_int,
    fail,
)
from reluapprox.errors import DataError

__all__ = [
    "CHECKPOINT_FORMAT",
    "EVAL_BATCH",
    "MEAN",
    "METRIC_COLUMNS",
    "STD",
    "EpochMetrics",
    "TrainConfig",
    "batch_bounds",
    "check_batches",
    "check_output_dir",
    "evaluate_tensors",
    "format_metrics",
    "load_checkpoint",
    "load_initial_weights",
    "normalise",
    "recalibrate_batch_norm",
    "save_atomic",
    "train",
    "write_metrics_csv",
]

METRIC_COLUMNS = (
    "epoch",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "val_loss",
    "val_accuracy",
)
"""The columns of ``metrics.csv``; a value not measured in an epoch is NaN (``nan``)."""

_LEGACY_COLUMNS = METRIC_COLUMNS[:5]  # checkpoints written before the validation split

SCHEDULES = ("onecycle", "cosine", "constant")

# Options of earlier versions and the value that means "not used": a saved config that
# used one of them describes a run this version cannot continue or repeat.
_REMOVED_OPTIONS: dict[str, object] = {
    "optimizer": "adamw",
    "augment": "none",
    "label_smoothing": 0.0,
    "distil_from": None,
}

EVAL_BATCH = 500
"""Images per forward pass in evaluation (measured: docs/cnn.md, "Reproducing", speed)."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (all keyword-only)."""

    arch: str = DEFAULT_ARCH
    epochs: int = 40
    seed: int = 0
    batch_size: int = 128
    lr: float = 0.02
    weight_decay: float = 1e-4
    schedule: str = "onecycle"
    budget: int = DEFAULT_BUDGET
    threads: int = 1
    init_from: str | None = None
    # Re-estimate the batch-norm statistics over the training images after the last epoch
    # (recalibrate_batch_norm), before the final evaluation and checkpoint. Training uses
    # batch statistics, so the weights are exactly those of a run without it; estimating
    # after earlier epochs too would change only intermediate figures.
    precise_bn: bool = False
    # Validation protocol: hold out val_size training images (validation_split with
    # val_seed); 0 trains on all of them. eval_test: score the test set after the last
    # epoch (otherwise the run never reads it).
    val_size: int = 0
    val_seed: int = VAL_SEED
    eval_test: bool = False

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("batch_size", self.batch_size)
        check_positive_finite("lr", self.lr)
        wd = check_finite_real("weight_decay", self.weight_decay)
        if wd < 0:
            fail("weight_decay", self.weight_decay, "a finite real number >= 0")
        check_choice("schedule", self.schedule, SCHEDULES)
        check_positive_int("budget", self.budget)
        check_positive_int("threads", self.threads)
        check_positive_int("val_size", self.val_size, minimum=0)
        check_positive_int("val_seed", self.val_seed, minimum=0)
        if not isinstance(self.eval_test, bool):
            fail("eval_test", self.eval_test, "True or False")
        if self.init_from is not None and not isinstance(self.init_from, str):
            fail("init_from", self.init_from, "None or the path of a checkpoint (model.pt)")
        if not isinstance(self.precise_bn, bool):
            fail("precise_bn", self.precise_bn, "True or False")
        if self.precise_bn and self.batch_size < 2:
            fail("batch_size", self.batch_size, "an integer >= 2 with precise_bn")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config saved with :func:`dataclasses.asdict` (unknown keys ignored).

        A config saved before the validation protocol has no ``val_size``: such a run
        trained on every training image and scored the test set after every epoch.

        Raises:
            InvalidArgument: ``data`` uses a removed option (SGD, augmentation, label
                smoothing, distillation), or a value is invalid.
        """
        for key, plain in _REMOVED_OPTIONS.items():
            if data.get(key, plain) != plain:
                fail(
                    key,
                    data[key],
                    f"{plain!r}: the option was removed (its code is at commit 5402619)",
                )
        names = {f.name for f in fields(cls)}
        legacy = {"val_size": 0, "eval_test": True} if "val_size" not in data else {}
        return cls(**(legacy | {k: v for k, v in data.items() if k in names}))


@dataclass(frozen=True)
class EpochMetrics:
    """Losses (mean cross-entropy) and accuracies of one epoch; NaN where not measured.

    ``train_*``: averages over the epoch's mini-batches as trained (earlier runs: the
    whole training set after the epoch); ``val_*``: the validation split after the epoch;
    ``test_*``: the test set (only after the last epoch, and only with ``eval_test``).
    """

    epoch: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    val_loss: float = math.nan
    val_accuracy: float = math.nan


def normalise(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``(n, 28, 28)`` to normalised ``float32`` ``(n, 1, 28, 28)``."""
    return ((images.to(torch.float32) / 255.0 - MEAN) / STD).unsqueeze(1).contiguous()


def evaluate_tensors(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int = EVAL_BATCH
) -> tuple[float, float, torch.Tensor]:
    """Return mean cross-entropy, accuracy and predictions of ``model`` (eval mode)."""
    model.eval()
    total_loss = 0.0
    preds = []
    with torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            x = images[start : start + batch_size]
            y = labels[start : start + batch_size]
            logits = model(x)
            total_loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
            preds.append(logits.argmax(1))
    n = images.shape[0]
    predictions = torch.cat(preds) if preds else torch.empty(0, dtype=torch.int64)
    accuracy = float((predictions == labels).float().mean()) if n else math.nan
    return total_loss / max(n, 1), accuracy, predictions


def recalibrate_batch_norm(model: nn.Module, images: torch.Tensor, *, batch_size: int = 128) -> int:
    """Re-estimate every batch norm's running statistics over ``images`` ("precise BN").

    Training leaves in each normalisation layer exponential moving averages (momentum
    0.1) of the batch statistics of the last few steps. This replaces them by the plain
    average, over all mini-batches of ``images`` (in order, ``batch_size`` at a time), of
    the batch means and of the unbiased batch variances that the layers compute in
    training mode: the statistics the weights were trained under, estimated from the
    whole set instead of the last steps. Only buffers change, no trainable parameter;
    the layers' momentum is restored and the model is left in evaluation mode.

    Args:
        model: A model with :class:`torch.nn.BatchNorm2d` / ``BatchNorm1d`` layers.
        images: Normalised input images (:func:`normalise`), e.g. the training set.
        batch_size: Images per forward pass, as in training.

    Returns:
        The number of batch-norm layers recalibrated (0: nothing to do).

    Raises:
        InvalidArgument: ``batch_size`` is not an integer >= 2, or ``images`` holds
            fewer than two images.
    """
    check_positive_int("batch_size", batch_size, minimum=2)  # a batch of one has no variance
    n = images.shape[0]
    if n < 2:
        fail("images", tuple(images.shape), "a batch of at least two images")
    bounds = batch_bounds(n, batch_size)  # a last batch of one joins the one before it
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not layers:
        model.eval()
        return 0
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the forward passes
    model.train()
    try:
        with torch.no_grad():
            for start, stop in itertools.pairwise(bounds):
                model(images[start:stop])
    finally:
        for m, momentum in zip(layers, momenta, strict=True):
            m.momentum = momentum
        model.eval()
    return len(layers)


def save_atomic(obj: object, path: Path) -> None:
    """``torch.save`` into a temporary file in the same directory, fsync, then rename."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike[str], *, training: bool = False) -> dict[str, Any]:
    """Load a checkpoint written by :func:`train` (or a weights file) and check it.

    The file is read with ``weights_only`` and its digest verified
    (:func:`cnn.checkpoint.read_checkpoint`); then every entry that is used is checked:
    ``arch`` (a known architecture), ``config`` (a valid :class:`TrainConfig` of that
    architecture), ``model`` (names to tensors), ``n_parameters``, ``epoch`` and
    ``metrics`` (one :class:`EpochMetrics` per epoch).

    Args:
        path: The file.
        training: Also require what ``resume`` needs: the ``optimizer``, ``scheduler``,
            ``generator`` and ``torch_rng`` states, ``wall_time_s`` and the data sizes
            ``n_train`` and ``n_test`` (a weights file written by
            :func:`cnn.evaluate.export_weights` has none of them).

    Raises:
        DataError: The file is missing, unreadable, damaged or not a cnn checkpoint, or
            an entry is missing or of the wrong kind (the message names file and entry).
    """
    p = Path(path)
    ckpt = read_checkpoint(p)
    arch = ckpt.get("arch")
    try:
        check_architecture("arch", arch)
    except ValueError:
        expected = f"one of {sorted(ARCHITECTURES)} or a design name (cnn.space)"
        raise field_error(p, "arch", arch, expected) from None
    config = ckpt.get("config")
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise field_error(p, "config", config, "a dict of training settings")
    try:
        saved = TrainConfig.from_dict(config)
    except (ValueError, TypeError) as exc:
        raise DataError(f"checkpoint {p}: config: {exc}") from None
    if saved.arch != arch:
        raise field_error(p, "config", config, f"the settings of arch={arch!r}")
    model = ckpt.get("model")
    if not isinstance(model, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items()
    ):
        raise field_error(p, "model", model, "a state dict (parameter names to tensors)")
    for name in ("n_parameters", "epoch"):
        value = ckpt.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise field_error(p, name, value, "an integer >= 0")
    metrics = ckpt.get("metrics")
    columns = (set(METRIC_COLUMNS), set(_LEGACY_COLUMNS))
    if (
        not isinstance(metrics, list)
        or len(metrics) != ckpt["epoch"]
        or not all(isinstance(m, dict) and set(m) in columns for m in metrics)
        or not all(_is_number(v) for m in metrics for v in m.values())
    ):
        raise field_error(
            p, "metrics", metrics, f"a list of {ckpt['epoch']} dicts with keys {METRIC_COLUMNS}"
        )
    if training:
        _check_training_entries(p, ckpt)
    return ckpt


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_training_entries(p: Path, ckpt: dict[str, Any]) -> None:
    """Check the entries that only a training checkpoint (``model.pt`` of a run) has."""
    if "optimizer" not in ckpt:
        raise DataError(
            f"checkpoint {p} has no optimizer state: it is a weights file (as written by "
            "`python -m cnn export`), not the model.pt of a run, and cannot be resumed"
        )
    optimizer = ckpt["optimizer"]
    if not (
        isinstance(optimizer, dict)
        and isinstance(optimizer.get("state"), dict)
        and isinstance(optimizer.get("param_groups"), list)
    ):
        raise field_error(p, "optimizer", optimizer, "an optimizer state dict")
    if not isinstance(ckpt.get("scheduler"), dict):
        raise field_error(p, "scheduler", ckpt.get("scheduler"), "a scheduler state dict")
    for name in ("generator", "torch_rng"):
        value = ckpt.get(name)
        if not isinstance(value, torch.Tensor) or value.dtype != torch.uint8 or value.ndim != 1:
            raise field_error(p, name, value, "a random generator state (a uint8 tensor)")
    wall = ckpt.get("wall_time_s")
    if not isinstance(wall, int | float) or isinstance(wall, bool) or not 0 <= wall < math.inf:
        raise field_error(p, "wall_time_s", wall, "a finite number of seconds >= 0")
    for name in ("n_train", "n_test"):
        value = ckpt.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise field_error(p, name, value, "an integer >= 0 (the size of the data)")


def load_initial_weights(model: nn.Module, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load the weights and running statistics of checkpoint ``path`` into ``model``.

    Used to start a run from the result of another one (``TrainConfig.init_from``), for
    instance ``stshift`` from a trained ``stmirror``: the two have the same state-dict
    keys (:class:`cnn.models.ShiftAveraged`). Only the model is taken over; the
    optimiser, the schedule and the random streams start afresh.

    Returns:
        The checkpoint dictionary.

    Raises:
        DataError: The file is missing or not a cnn checkpoint.
        InvalidArgument: Its weights do not fit ``model``.
    """
    ckpt = load_checkpoint(path)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as exc:
        fail(
            "init_from",
            str(path),
            f"a checkpoint whose weights fit the model (it holds {ckpt.get('arch')!r}: "
            f"{str(exc).splitlines()[0]})",
        )
    return ckpt


def check_output_dir(
    out_dir: str | os.PathLike[str], *, resume: bool, overwrite: bool, name: str = "out_dir"
) -> None:
    """Refuse to start a new run over the checkpoint of an earlier one.

    A directory that holds ``model.pt`` is the work of an earlier run: it is continued with
    ``resume``, or discarded on purpose with ``overwrite``, never replaced by accident.

    Raises:
        InvalidArgument: ``out_dir`` is a file or lies under one, or ``out_dir/model.pt``
            exists and neither option is set (the error names ``name``).
    """
    out = Path(out_dir)
    for path in (out, *out.parents):  # the nearest existing ancestor must be a directory
        if path.exists() or path.is_symlink():
            if not path.is_dir():
                what = "it is a file" if path == out else f"{path} is a file"
                fail(name, str(out_dir), f"a directory, or a path where one can be made ({what})")
            break
    if not (resume or overwrite) and (out / "model.pt").is_file():
        fail(
            name,
            str(out_dir),
            "a directory without an earlier run's model.pt: continue that run with resume "
            "(--resume) or start it again with overwrite (--overwrite)",
        )


def _make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.lr)


def _make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    if config.schedule == "onecycle":
        # torch divides by zero when pct_start * total_steps == 1 (a warm-up of one step,
        # which ends where it starts): with 4 steps in all the warm-up takes 30 %
        pct_start = 0.3 if total_steps == 4 else 0.25
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=pct_start
        )
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=total_steps, eta_min=config.lr * 1e-3
        )
    return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)


def write_metrics_csv(path: Path, history: Sequence[EpochMetrics]) -> None:
    """Write ``history`` to ``path`` as CSV with :data:`METRIC_COLUMNS` (atomically)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for m in history:
        writer.writerow(
            [
                m.epoch,
                f"{m.train_loss:.6f}",
                f"{m.test_loss:.6f}",
                f"{m.train_accuracy:.6f}",
                f"{m.test_accuracy:.6f}",
                f"{m.val_loss:.6f}",
                f"{m.val_accuracy:.6f}",
            ]
        )
    write_atomic(path, buffer.getvalue().encode())


def check_batches(model: nn.Module, config: TrainConfig, n_train: int) -> None:
    """Refuse batches of one image for a model with batch normalisation.

    Such a batch has no variance, and a one-dimensional batch norm fails on it in
    training. :func:`batch_bounds` merges a last batch of one into the one before; what
    remains is ``batch_size=1`` and a training set of one image.

    Raises:
        InvalidArgument: ``config.batch_size`` is 1 and ``model`` has batch normalisation.
        DataError: ``n_train`` is below 2 and ``model`` has batch normalisation.
    """
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return
    if config.batch_size < 2:
        why = "has batch normalisation (a batch of one image has no variance)"
        fail("batch_size", config.batch_size, f"an integer >= 2 for {config.arch!r}, which {why}")
    if n_train < 2:
        raise DataError(
            f"the training set holds {n_train} image; {config.arch!r} has batch "
            "normalisation, which needs batches of at least two"
        )


def batch_bounds(n: int, batch_size: int) -> list[int]:
    """Where the mini-batches of an epoch of ``n`` images start, and ``n`` at the end.

    Batches of ``batch_size`` images in order; a last batch of one image (which batch
    normalisation cannot use in training: it has no variance) joins the one before it.

    Examples:
        >>> batch_bounds(10, 4), batch_bounds(9, 4), batch_bounds(3, 1)
        ([0, 4, 8, 10], [0, 4, 9], [0, 1, 2, 3])
    """
    bounds = [*range(0, n, batch_size), n]
    if batch_size > 1 and len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        del bounds[-2]
    return bounds


def _restore(
    path: Path,
    ckpt: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    gen: torch.Generator,
) -> None:
    """Load the states of a training checkpoint; a state that does not fit is named.

    The optimizer's parameter groups and the scheduler's state must have the structure
    (keys, lengths and types) of those just made for the same configuration: torch
    would accept other values and fail only later, in the middle of an epoch.
    """
    fresh = {
        "optimizer": _structure(optimizer.state_dict()["param_groups"]),
        "scheduler": _structure(scheduler.state_dict()),
    }
    saved = {
        "optimizer": _structure(ckpt["optimizer"]["param_groups"]),
        "scheduler": _structure(ckpt["scheduler"]),
    }
    kinds = {"optimizer": type(optimizer).__name__, "scheduler": type(scheduler).__name__}
    for name, expected in fresh.items():
        if saved[name] != expected:
            raise field_error(path, name, ckpt[name], f"the state of a {kinds[name]} {name}")
    steps: list[tuple[str, Callable[[Any], object]]] = [
        ("model", model.load_state_dict),
        ("optimizer", optimizer.load_state_dict),
        ("scheduler", scheduler.load_state_dict),
        ("generator", gen.set_state),
        ("torch_rng", torch.set_rng_state),
    ]
    for name, load in steps:
        try:
            load(ckpt[name])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise field_error(
                path, name, ckpt[name], f"a state that fits the model ({_first_line(exc)})"
            ) from None


def _structure(value: object) -> object:
    """The keys, lengths and types of nested dicts and lists, the values left out."""
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_structure(v) for v in value])
    return "tensor" if isinstance(value, torch.Tensor) else type(value).__name__


def _first_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (torch's run to several), at most 160 characters."""
    return " ".join(str(exc).split())[:160] or type(exc).__name__


ProgressFactory = Callable[..., Any]


def _progress(enabled: bool) -> ProgressFactory:
    if enabled:
        from tqdm import tqdm

        return tqdm  # type: ignore[no-any-return]

    def quiet(iterable: Any, **_: Any) -> Any:
        return iterable

    return quiet


def train(
    config: TrainConfig,
    data: FashionMNIST,
    out_dir: str | os.PathLike[str],
    *,
    resume: bool = False,
    progress: bool = True,
    plots: bool = True,
    stop_after: int | None = None,
    overwrite: bool = False,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> dict[str, Any]:
    """Train ``config.arch`` on ``data`` and write all outputs into ``out_dir``.

    Outputs: ``metrics.csv``, ``loss.png``, ``accuracy.png``, ``model.pt`` (checkpoint,
    rewritten atomically after every epoch) and ``summary.json``.

    Args:
        config: Hyper-parameters.
        data: The (possibly limited) data set.
        out_dir: Output directory (created if needed).
        resume: Continue from ``out_dir/model.pt`` if it exists; its configuration must
            match ``config`` except for ``epochs`` (which may be raised) and ``threads``.
        progress: Show tqdm progress bars.
        plots: Write the PNG figures.
        stop_after: Stop after this epoch as if the run were interrupted (the outputs are
            those of a finished epoch; continue with ``resume=True``).
        overwrite: Start afresh even if ``out_dir`` holds an earlier run's checkpoint
            (without it, and without ``resume``, that is an error: see
            :func:`check_output_dir`).
        on_epoch: Called with each epoch's metrics once its checkpoint is written; an
            exception it raises ends the run there (the search prunes trials this way).

    Returns:
        The content of ``summary.json``.

    Raises:
        InvalidArgument: ``resume`` with a checkpoint of another configuration or of another
            number of epochs (the learning-rate schedule depends on it); ``out_dir`` holds
            a checkpoint and neither ``resume`` nor ``overwrite`` is set.
        BudgetExceeded: The architecture is over ``config.budget``.
    """
    check_output_dir(out_dir, resume=resume, overwrite=overwrite)
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(
            config, data, Path(out_dir), resume=resume, progress=progress, plots=plots,
            stop_after=stop_after, on_epoch=on_epoch,
        )  # fmt: skip
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic)


def _train(
    config: TrainConfig,
    data: FashionMNIST,
    out: Path,
    *,
    resume: bool,
    progress: bool,
    plots: bool,
    stop_after: int | None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> dict[str, Any]:
    ckpt_path = out / "model.pt"

    n_train = int(data.train_images.shape[0])
    n_test = int(data.test_images.shape[0])
    if n_train == 0:
        raise DataError("the training set is empty")
    if config.val_size:
        fit_idx, val_idx = validation_split(n_train, config.val_size, seed=config.val_seed)
    else:
        fit_idx, val_idx = torch.arange(n_train), torch.arange(0)
    n_fit = int(fit_idx.shape[0])
    bounds = batch_bounds(n_fit, config.batch_size)
    steps_per_epoch = len(bounds) - 1

    torch.manual_seed(config.seed)
    model = build_architecture(config.arch, budget=config.budget)
    check_batches(model, config, n_fit)
    resuming = resume and ckpt_path.is_file()
    if config.init_from is not None and not resuming:
        load_initial_weights(model, config.init_from)
    optimizer = _make_optimizer(model, config)
    scheduler = _make_scheduler(optimizer, config, config.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(config.seed)
    history: list[EpochMetrics] = []
    start_epoch = 0
    elapsed = 0.0

    if resuming:
        ckpt = load_checkpoint(ckpt_path, training=True)
        saved = TrainConfig.from_dict(ckpt["config"])
        now = asdict(config) | {"n_train": n_train, "n_test": n_test}
        before = asdict(saved) | {"n_train": ckpt["n_train"], "n_test": ckpt["n_test"]}
        differ = [k for k in now if k not in ("epochs", "threads") and now[k] != before[k]]
        if differ:
            listed = ", ".join(f"{k} {before[k]!r} (now {now[k]!r})" for k in differ)
            fail(
                "resume",
                str(ckpt_path),
                "a checkpoint of the same configuration and data (n_train and n_test are "
                f"the numbers of images, set by --limit); the interrupted run had {listed}",
            )
        if saved.epochs != config.epochs:
            fail(
                "epochs",
                config.epochs,
                f"the epochs of the interrupted run ({saved.epochs}); the learning-rate "
                "schedule depends on the total number of epochs",
            )
        if ckpt["epoch"] > config.epochs:
            raise field_error(ckpt_path, "epoch", ckpt["epoch"], f"at most {config.epochs}")
        _restore(ckpt_path, ckpt, model, optimizer, scheduler, gen)
        start_epoch = int(ckpt["epoch"])
        elapsed = float(ckpt["wall_time_s"])
        history = [EpochMetrics(**m) for m in ckpt["metrics"]]

    all_x = normalise(data.train_images)
    train_x, train_y = all_x[fit_idx], data.train_labels[fit_idx]
    val_x, val_y = all_x[val_idx], data.train_labels[val_idx]
    del all_x
    loss_fn = nn.CrossEntropyLoss()
    bar = _progress(progress)
    out.mkdir(parents=True, exist_ok=True)  # only once the inputs have been checked

    last_epoch = config.epochs if stop_after is None else min(config.epochs, stop_after)
    for epoch in range(start_epoch, last_epoch):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n_fit, generator=gen)
        batches = bar(
            range(steps_per_epoch),
            desc=f"epoch {epoch + 1}/{config.epochs}",
            unit="batch",
            leave=False,
        )
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for step in batches:
            idx = order[bounds[step] : bounds[step + 1]]
            y = train_y[idx]
            logits = model(train_x[idx])
            loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.detach().double() * y.shape[0]
            correct += (logits.detach().argmax(1) == y).sum()
        final = epoch + 1 == config.epochs
        if config.precise_bn and final:  # buffers only: the weights are those without it
            recalibrate_batch_norm(model, train_x, batch_size=config.batch_size)
        val_loss, val_acc = math.nan, math.nan
        if val_x.shape[0]:
            val_loss, val_acc, _ = evaluate_tensors(model, val_x, val_y)
        test_loss, test_acc = math.nan, math.nan
        if config.eval_test and final:
            test_x = normalise(data.test_images)
            test_loss, test_acc, _ = evaluate_tensors(model, test_x, data.test_labels)
        elapsed += time.perf_counter() - t0
        metrics = EpochMetrics(
            epoch=epoch + 1,
            train_loss=float(loss_sum) / n_fit,
            test_loss=test_loss,
            train_accuracy=int(correct) / n_fit,
            test_accuracy=test_acc,
            val_loss=val_loss,
            val_accuracy=val_acc,
        )
        history.append(metrics)
        checkpoint = {
            "format": CHECKPOINT_FORMAT,
            "arch": config.arch,
            "n_parameters": count_parameters(model),
            "config": asdict(config),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "generator": gen.get_state(),
            "torch_rng": torch.get_rng_state(),
            "epoch": epoch + 1,
            "wall_time_s": elapsed,
            "metrics": [asdict(m) for m in history],
            "n_train": n_train,
            "n_test": n_test,
        }
        save_atomic(seal(checkpoint), ckpt_path)
        write_metrics_csv(out / "metrics.csv", history)
        if progress:
            from tqdm import tqdm

            tqdm.write(f"epoch {epoch + 1}: {format_metrics(metrics)}")
        if on_epoch is not None:
            on_epoch(metrics)

    if not history:
        raise DataError(f"{ckpt_path} holds no finished epoch")
    write_metrics_csv(out / "metrics.csv", history)
    if plots:
        from cnn.plots import plot_accuracy, plot_loss

        plot_loss(history, out / "loss.png")
        plot_accuracy(history, out / "accuracy.png")
    last = history[-1]
    summary = {
        "architecture": config.arch,
        "n_parameters": count_parameters(model),
        "n_statistics": count_statistics(model),
        "train_accuracy": last.train_accuracy,
        "val_accuracy": _measured(last.val_accuracy),
        "test_accuracy": _measured(last.test_accuracy),
        "train_loss": last.train_loss,
        "val_loss": _measured(last.val_loss),
        "test_loss": _measured(last.test_loss),
        "seed": config.seed,
        "epochs": config.epochs,
        "epochs_done": last.epoch,
        "wall_time_s": elapsed,
        "seconds_per_epoch": elapsed / len(history),
        "n_train": n_train,
        "n_fit": n_fit,
        "n_val": int(val_idx.shape[0]),
        "n_test": n_test,
        "config": asdict(config),
    }
    write_atomic(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    return summary


def _measured(value: float) -> float | None:
    """``value``, or ``None`` (JSON ``null``) for NaN: a figure that was not measured."""
    return None if math.isnan(value) else value


def format_metrics(m: EpochMetrics) -> str:
    """One line of the figures of ``m`` that were measured.

    Examples:
        >>> format_metrics(EpochMetrics(3, 0.5, float("nan"), 0.8, float("nan"), 0.6, 0.75))
        'train loss 0.5000 acc 0.8000 | val loss 0.6000 acc 0.7500'
    """
    parts = []
    for split in ("train", "val", "test"):
        loss, acc = getattr(m, f"{split}_loss"), getattr(m, f"{split}_accuracy")
        if not math.isnan(acc):
            parts.append(f"{split} loss {loss:.4f} acc {acc:.4f}")
    return " | ".join(parts)
