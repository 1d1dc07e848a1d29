"""Training recipes: consecutive runs, each starting from the weights of the one before.

The documented model is not trained by one run but by a *recipe* of phases: first the
cheap mirror-averaged network ``stmirror``, then its shift-averaged versions (the same
weights, more views, several times the compute per epoch) starting from those weights
(``TrainConfig.init_from``). :func:`run_recipe` runs all phases of a recipe with one
call, and ``python -m cnn reproduce`` with one command: phase ``k`` trains in
``OUT/phase<k>-<arch>`` like ``python -m cnn train`` would, and ``OUT`` receives the
chained ``metrics.csv``, ``loss.png``, ``accuracy.png`` and a ``summary.json`` of the whole
recipe.

An interrupted recipe continues with ``resume=True`` (``--resume``): finished phases are
not trained again (their checkpoints hold every epoch), the interrupted one continues
from its last finished epoch, and later ones start from its weights as usual.

Examples:
    >>> [(p.arch, p.epochs, p.lr, p.precise_bn) for p in RECIPES["val32"].phases]
    [('stmirror', 40, 0.02, False), ('stshift', 6, 0.005, False)]
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cnn.data import VAL_SEED, FashionMNIST, write_atomic
from cnn.plots import chain_histories, plot_accuracy, plot_loss, read_metrics
from cnn.space import build_architecture, check_architecture
from cnn.train import SCHEDULES, TrainConfig, check_output_dir, train, write_metrics_csv
from reluapprox._validation import check_choice, check_positive_finite, check_positive_int, fail

__all__ = [
    "DEFAULT_RECIPE",
    "RECIPES",
    "Phase",
    "Recipe",
    "phase_plan",
    "run_recipe",
]


@dataclass(frozen=True)
class Phase:
    """One run of a recipe: an architecture trained for ``epochs`` at peak rate ``lr``.

    With ``precise_bn`` the batch-norm statistics are re-estimated over the training
    images after the last epoch (:attr:`cnn.train.TrainConfig.precise_bn`). The weight
    decay, schedule and batch size are :class:`cnn.train.TrainConfig`'s defaults (AdamW
    with weight decay 1e-4, one-cycle schedule, batch 128) unless given (the recipe of a
    search trial, :func:`cnn.search.trial_recipe`). ``arch`` is a registered
    architecture or a design name (:mod:`cnn.space`).
    """

    arch: str
    epochs: int
    lr: float
    precise_bn: bool = False
    weight_decay: float | None = None
    schedule: str | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        check_architecture("arch", self.arch)
        check_positive_int("epochs", self.epochs)
        check_positive_finite("lr", self.lr)
        if not isinstance(self.precise_bn, bool):
            fail("precise_bn", self.precise_bn, "True or False")
        if self.weight_decay is not None and not (
            isinstance(self.weight_decay, float) and 0 <= self.weight_decay < math.inf
        ):
            fail("weight_decay", self.weight_decay, "None or a finite float >= 0")
        if self.schedule is not None:
            check_choice("schedule", self.schedule, SCHEDULES)
        if self.batch_size is not None:
            check_positive_int("batch_size", self.batch_size)

    def settings(self) -> dict[str, Any]:
        """The :class:`cnn.train.TrainConfig` fields this phase sets besides the defaults."""
        given = {
            "weight_decay": self.weight_decay,
            "schedule": self.schedule,
            "batch_size": self.batch_size,
        }
        return {k: v for k, v in given.items() if v is not None}


@dataclass(frozen=True)
class Recipe:
    """Named consecutive phases; phase ``k + 1`` starts from the weights of phase ``k``.

    Consecutive architectures must have weights that fit each other (the same state-dict
    keys, as ``stmirror``, ``stshift`` and ``stshift9`` have).
    """

    name: str
    phases: tuple[Phase, ...]
    description: str

    def __post_init__(self) -> None:
        if not isinstance(self.phases, tuple) or not self.phases:
            fail("phases", self.phases, "a non-empty tuple of Phase")
        if not all(isinstance(p, Phase) for p in self.phases):
            fail("phases", self.phases, "a non-empty tuple of Phase")
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if _weight_shapes(before.arch) != _weight_shapes(after.arch):
                fail(
                    "phases",
                    self.phases,
                    f"consecutive architectures whose weights fit each other ({before.arch!r} "
                    f"and {after.arch!r} have different state-dict keys or shapes)",
                )


@functools.cache
def _weight_shapes(arch: str) -> dict[str, tuple[int, ...]]:
    """The state-dict keys of ``arch`` and the shapes of their tensors.

    Built once per architecture, with torch's global random state saved and restored: the
    recipes are checked when this module is imported, and that must not change the random
    numbers a caller draws afterwards.
    """
    with torch.random.fork_rng(devices=[]):
        model = build_architecture(arch, budget=None)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "run31",
            (Phase("stmirror", 40, 0.02), Phase("stshift", 12, 0.01, precise_bn=True)),
            "stmirror 40 epochs at 0.02, then stshift 12 epochs at 0.01 with the batch-norm "
            "statistics re-estimated on the training images at the end (docs/cnn-log.md, run 31)",
        ),
        Recipe(
            "val32",
            (Phase("stmirror", 40, 0.02), Phase("stshift", 6, 0.005)),
            "run31 with its second phase chosen on validation accuracy: stshift 6 epochs at "
            "0.005, without re-estimated statistics (docs/cnn.md, the validation protocol)",
        ),
        Recipe(
            "strict32",
            (Phase("stmirror7", 40, 0.02), Phase("stshift7", 6, 0.005)),
            "val32 for the strict variant (7 channels, at most 500 stored numbers once folded)",
        ),
    )
}
"""All recipes known to ``python -m cnn reproduce``, by name."""

DEFAULT_RECIPE = "val32"
"""The documented recipe (chosen on validation); its seed 11 is ``cnn/weights/best.pt``."""


def phase_plan(
    recipe: Recipe,
    out_dir: str | os.PathLike[str],
    *,
    seed: int,
    threads: int = 1,
    val_size: int = 0,
    val_seed: int = VAL_SEED,
    eval_test: bool = False,
) -> list[tuple[Path, TrainConfig]]:
    """Return the output directory and the training configuration of each phase.

    Phase ``k`` (from 1) writes into ``out_dir/phase<k>-<arch>``; from the second phase on,
    ``init_from`` is the ``model.pt`` of the phase before. Every phase holds out the same
    validation split (``val_size``, ``val_seed``); only the last one scores the test set,
    and only with ``eval_test``.

    Examples:
        >>> [(d.name, c.init_from) for d, c in phase_plan(RECIPES["run31"], "r", seed=0)]
        [('phase1-stmirror', None), ('phase2-stshift', 'r/phase1-stmirror/model.pt')]
    """
    out = Path(out_dir)
    plan: list[tuple[Path, TrainConfig]] = []
    init_from: str | None = None
    for k, phase in enumerate(recipe.phases, start=1):
        directory = out / f"phase{k}-{phase.arch}"
        config = TrainConfig(
            arch=phase.arch,
            epochs=phase.epochs,
            lr=phase.lr,
            seed=seed,
            threads=threads,
            init_from=init_from,
            precise_bn=phase.precise_bn,
            val_size=val_size,
            val_seed=val_seed,
            eval_test=eval_test and k == len(recipe.phases),
            **phase.settings(),
        )
        plan.append((directory, config))
        init_from = str(directory / "model.pt")
    return plan


def run_recipe(
    recipe: Recipe,
    data: FashionMNIST,
    out_dir: str | os.PathLike[str],
    *,
    seed: int,
    threads: int = 1,
    val_size: int = 0,
    val_seed: int = VAL_SEED,
    eval_test: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    plots: bool = True,
) -> dict[str, Any]:
    """Train every phase of ``recipe`` in turn and write the chained outputs to ``out_dir``.

    Each phase is :func:`cnn.train.train` with the configuration of :func:`phase_plan`;
    ``out_dir`` gets the ``metrics.csv`` of all epochs (numbered on, phase after phase),
    ``loss.png`` and ``accuracy.png`` (a dashed line where each phase begins) and
    ``summary.json``: the final accuracies (those of the last phase), the total wall time
    and the summary of each phase.

    Args:
        recipe: The phases (for instance ``RECIPES["run31"]``).
        data: The (possibly limited) data set.
        out_dir: Output directory (created if needed).
        seed: The seed of every phase.
        threads: Torch CPU threads.
        val_size: Training images held out for validation (0: none), the same in every
            phase (:func:`cnn.data.validation_split`).
        val_seed: The seed of that split.
        eval_test: Score the test set after the last epoch of the last phase.
        resume: Continue an interrupted recipe: finished phases are kept as they are, the
            interrupted one continues from its last finished epoch.
        overwrite: Train every phase afresh even where an earlier run left a checkpoint.
        progress: Show tqdm progress bars.
        plots: Write the PNG figures (of each phase and of the whole).

    Returns:
        The content of ``summary.json``.

    Raises:
        InvalidArgument: ``resume`` finds a phase trained with another configuration; a
            phase's directory holds a checkpoint and neither ``resume`` nor ``overwrite``
            is set (checked for all phases before any training).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = phase_plan(
        recipe,
        out,
        seed=seed,
        threads=threads,
        val_size=val_size,
        val_seed=val_seed,
        eval_test=eval_test,
    )
    for directory, _ in plan:
        check_output_dir(directory, resume=resume, overwrite=overwrite, name="out_dir")
    summaries = []
    for k, (directory, config) in enumerate(plan):
        if progress:
            from tqdm import tqdm

            tqdm.write(f"phase {k + 1}/{len(recipe.phases)}: {config.arch} -> {directory}")
        summaries.append(
            train(
                config,
                data,
                directory,
                resume=resume,
                overwrite=overwrite,
                progress=progress,
                plots=plots,
            )
        )
    # The chained history is read back from the phases' metrics files, like `cnn plot`.
    history, boundaries = chain_histories([read_metrics(d / "metrics.csv") for d, _ in plan])
    write_metrics_csv(out / "metrics.csv", history)
    if plots:
        title = f"{recipe.name}, seed {seed}"
        plot_loss(history, out / "loss.png", title=f"{title}: loss", boundaries=boundaries)
        plot_accuracy(
            history, out / "accuracy.png", title=f"{title}: accuracy", boundaries=boundaries
        )
    last = summaries[-1]
    summary = {
        "recipe": recipe.name,
        "phases": [dataclasses.asdict(p) for p in recipe.phases],
        "architecture": last["architecture"],
        "n_parameters": last["n_parameters"],
        "n_statistics": last["n_statistics"],
        "train_accuracy": last["train_accuracy"],
        "val_accuracy": last["val_accuracy"],
        "test_accuracy": last["test_accuracy"],
        "train_loss": last["train_loss"],
        "val_loss": last["val_loss"],
        "test_loss": last["test_loss"],
        "val_size": val_size,
        "val_seed": val_seed,
        "seed": seed,
        "epochs": sum(p.epochs for p in recipe.phases),
        "wall_time_s": sum(s["wall_time_s"] for s in summaries),
        "model": str(plan[-1][0] / "model.pt"),
        "phase_summaries": summaries,
    }
    write_atomic(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    return summary
