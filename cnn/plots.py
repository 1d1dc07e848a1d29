"""Loss and accuracy curves of a training run (PNG, via matplotlib's Agg backend).

A run that starts from another one's weights (``--init-from``) has its own
``metrics.csv``; :func:`chain_histories` puts consecutive runs on one epoch axis, and
``python -m cnn plot`` draws them with a dashed line where each later run begins.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Sequence
from pathlib import Path

from cnn.train import METRIC_COLUMNS, EpochMetrics
from reluapprox.errors import DataError

__all__ = ["chain_histories", "plot_accuracy", "plot_loss", "read_metrics"]


def read_metrics(path: str | os.PathLike[str]) -> list[EpochMetrics]:
    """Read a ``metrics.csv`` written by :func:`cnn.train.train`.

    Raises:
        DataError: The file is missing, lacks a column of
            :data:`cnn.train.METRIC_COLUMNS`, holds a value that is not a number or no row.
    """
    p = Path(path)
    try:
        with p.open(newline="") as f:
            reader = csv.DictReader(f)
            # val_loss and val_accuracy are missing in runs made before the validation split
            missing = [c for c in METRIC_COLUMNS[:5] if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{p} is not a metrics.csv: it lacks the columns {missing}")
            rows = list(reader)
    except OSError as exc:
        raise DataError(f"metrics file {p} cannot be read: {exc}") from exc
    history = []
    for i, row in enumerate(rows, start=2):
        try:
            history.append(
                EpochMetrics(
                    int(row["epoch"]),
                    *(float(row.get(c) or "nan") for c in METRIC_COLUMNS[1:]),
                )
            )
        except (TypeError, ValueError) as exc:
            raise DataError(f"{p}, line {i}: {exc}") from exc
    if not history:
        raise DataError(f"{p} holds no epoch")
    return history


def chain_histories(
    histories: Sequence[Sequence[EpochMetrics]],
) -> tuple[list[EpochMetrics], list[float]]:
    """Put consecutive runs on one epoch axis.

    The epochs of each run are shifted by the number of epochs before it. Returns the
    chained history and the boundaries between runs (``k + 0.5`` after the ``k``-th epoch).

    Examples:
        >>> from cnn.train import EpochMetrics
        >>> a = [EpochMetrics(e, 1.0, 1.0, 0.5, 0.5) for e in (1, 2)]
        >>> b = [EpochMetrics(1, 0.9, 0.9, 0.6, 0.6)]
        >>> chained, bounds = chain_histories([a, b])
        >>> [m.epoch for m in chained], bounds
        ([1, 2, 3], [2.5])
    """
    chained: list[EpochMetrics] = []
    boundaries: list[float] = []
    for history in histories:
        if chained:
            boundaries.append(chained[-1].epoch + 0.5)
        offset = chained[-1].epoch if chained else 0
        chained += [dataclasses.replace(m, epoch=m.epoch + offset) for m in history]
    return chained, boundaries


def _plot(
    epochs: Sequence[int],
    series: dict[str, Sequence[float]],
    *,
    ylabel: str,
    title: str,
    path: Path,
    boundaries: Sequence[float] = (),
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        for (label, values), marker in zip(series.items(), "osD", strict=True):
            if any(not math.isnan(v) for v in values):  # a split never measured is left out
                ax.plot(epochs, values, marker=marker, markersize=3, label=label)
        for b in boundaries:
            ax.axvline(b, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)


def plot_loss(
    history: Sequence[EpochMetrics],
    path: Path,
    *,
    title: str = "",
    boundaries: Sequence[float] = (),
) -> None:
    """Write the train, validation and test cross-entropy per epoch to ``path`` (PNG); a dashed line
    at each of ``boundaries`` (see :func:`chain_histories`)."""
    _plot(
        [m.epoch for m in history],
        {
            "train": [m.train_loss for m in history],
            "validation": [m.val_loss for m in history],
            "test": [m.test_loss for m in history],
        },
        ylabel="cross-entropy loss",
        title=title or "Loss",
        path=path,
        boundaries=boundaries,
    )


def plot_accuracy(
    history: Sequence[EpochMetrics],
    path: Path,
    *,
    title: str = "",
    boundaries: Sequence[float] = (),
) -> None:
    """Write the train, validation and test accuracy per epoch to ``path`` (PNG), like
    :func:`plot_loss`."""
    _plot(
        [m.epoch for m in history],
        {
            "train": [m.train_accuracy for m in history],
            "validation": [m.val_accuracy for m in history],
            "test": [m.test_accuracy for m in history],
        },
        ylabel="accuracy",
        title=title or "Accuracy",
        path=path,
        boundaries=boundaries,
    )
