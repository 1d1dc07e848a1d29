"""Loss and accuracy curves of a training run (PNG, via matplotlib's Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnn.train import EpochMetrics

__all__ = ["plot_accuracy", "plot_loss"]


def _plot(
    epochs: Sequence[int],
    train: Sequence[float],
    test: Sequence[float],
    *,
    ylabel: str,
    title: str,
    path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        ax.plot(epochs, train, marker="o", markersize=3, label="train")
        ax.plot(epochs, test, marker="s", markersize=3, label="test")
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


def plot_loss(history: Sequence[EpochMetrics], path: Path, *, title: str = "") -> None:
    """Write the train and test cross-entropy per epoch to ``path`` (PNG)."""
    _plot(
        [m.epoch for m in history],
        [m.train_loss for m in history],
        [m.test_loss for m in history],
        ylabel="cross-entropy loss",
        title=title or "Loss",
        path=path,
    )


def plot_accuracy(history: Sequence[EpochMetrics], path: Path, *, title: str = "") -> None:
    """Write the train and test accuracy per epoch to ``path`` (PNG)."""
    _plot(
        [m.epoch for m in history],
        [m.train_accuracy for m in history],
        [m.test_accuracy for m in history],
        ylabel="accuracy",
        title=title or "Accuracy",
        path=path,
    )
