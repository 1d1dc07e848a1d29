"""Evaluate a saved checkpoint: accuracy, loss and confusion matrix on train and test sets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from cnn.checkpoint import seal
from cnn.data import FashionMNIST
from cnn.fold import count_stored, deployable
from cnn.models import count_parameters, count_statistics
from cnn.space import build_architecture
from cnn.train import CHECKPOINT_FORMAT, evaluate_tensors, load_checkpoint, normalise, save_atomic
from reluapprox._validation import check_choice, fail
from reluapprox.errors import DataError

__all__ = [
    "CLASSES",
    "DEFAULT_CHECKPOINT",
    "SPLITS",
    "confusion_matrix",
    "evaluate_checkpoint",
    "evaluate_model",
    "export_weights",
    "load_model",
]

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "weights" / "best.pt"
"""The committed weights of the documented run."""

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""The Fashion-MNIST class names, by label."""


def load_model(checkpoint: str | os.PathLike[str]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild the model stored in ``checkpoint`` (loaded with ``weights_only=True``).

    The checkpoint's digest and entries are checked first (:func:`cnn.train.load_checkpoint`).

    Returns:
        The model in eval mode and the checkpoint dictionary.

    Raises:
        DataError: The file is missing, corrupt, damaged (its digest does not match), or
            its weights do not fit its architecture.
        BudgetExceeded: The stored architecture is over the budget it was trained with.
    """
    ckpt = load_checkpoint(checkpoint)
    budget = ckpt.get("config", {}).get("budget")
    model = build_architecture(str(ckpt["arch"]), budget=budget)
    folded = ckpt.get("folded", False)
    if not isinstance(folded, bool):
        raise DataError(f"checkpoint {checkpoint}: folded={folded!r} is invalid: expected a bool")
    if folded:  # written by `export --fold`: the structure of the deployable model
        model = deployable(model)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as exc:
        text = " ".join(str(exc).split())[:300]  # torch's message runs to several lines
        raise DataError(f"checkpoint {checkpoint} does not fit {ckpt['arch']!r}: {text}") from None
    model.eval()
    return model, ckpt


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor) -> list[list[int]]:
    """``m[i][j]`` = number of examples of class ``i`` predicted as class ``j``."""
    counts = torch.bincount(labels * 10 + predictions, minlength=100).reshape(10, 10)
    return [[int(v) for v in row] for row in counts]


SPLITS = ("test", "train", "both")
"""The choices of ``python -m cnn evaluate --split``."""


def evaluate_checkpoint(
    checkpoint: str | os.PathLike[str], data: FashionMNIST, *, split: str = "test"
) -> dict[str, Any]:
    """Evaluate ``checkpoint`` on the ``split`` of ``data`` (``"test"``, ``"train"``, ``"both"``).

    Returns:
        A JSON-serialisable dict with ``checkpoint``, ``architecture``, ``n_parameters``
        (trainable, as trained), ``n_statistics`` (batch-norm running statistics, not
        trained), ``n_stored`` (every stored number, :func:`cnn.fold.count_stored`), for
        each evaluated split ``S`` the keys ``S_accuracy``, ``S_loss`` and ``n_S``, and
        ``confusion_matrix`` (of the test set when it is evaluated, else of the training
        set; rows = true class), ``confusion_split`` and ``classes``.

    Raises:
        InvalidArgument: ``split`` is not one of :data:`SPLITS`.
    """
    check_choice("split", split, SPLITS)
    model, ckpt = load_model(checkpoint)
    # a deployable model (``export --fold``) is not trained: report the trained count
    trained = {"n_parameters": int(ckpt["n_parameters"]), "n_stored": count_stored(model)}
    return (
        {"checkpoint": str(checkpoint), "architecture": ckpt["arch"]}
        | evaluate_model(model, data, split=split)
        | trained
    )


def evaluate_model(
    model: torch.nn.Module, data: FashionMNIST, *, split: str = "test"
) -> dict[str, Any]:
    """Evaluate ``model`` (put in eval mode) on ``data``: the keys of
    :func:`evaluate_checkpoint` but ``checkpoint``, ``architecture`` and ``n_stored``."""
    check_choice("split", split, SPLITS)
    result: dict[str, Any] = {
        "n_parameters": count_parameters(model),
        "n_statistics": count_statistics(model),
    }
    names = ("train", "test") if split == "both" else (split,)
    for name in names:
        images, labels = getattr(data, f"{name}_images"), getattr(data, f"{name}_labels")
        loss, acc, preds = evaluate_tensors(model, normalise(images), labels)
        result |= {
            f"{name}_accuracy": acc,
            f"{name}_loss": loss,
            f"n_{name}": int(images.shape[0]),
            "confusion_matrix": confusion_matrix(labels, preds),
            "confusion_split": name,
        }
    return result | {"classes": list(CLASSES)}


def format_report(result: dict[str, Any]) -> str:
    """A human-readable report of :func:`evaluate_checkpoint`'s result."""
    lines = [
        f"checkpoint: {result['checkpoint']}",
        f"architecture: {result['architecture']} ({result['n_parameters']} trainable "
        f"parameters, {result['n_statistics']} normalisation statistics, "
        f"{result['n_stored']} stored numbers)",
    ]
    for name, label in (("train", "train accuracy:"), ("test", "test accuracy: ")):
        if f"{name}_accuracy" in result:
            lines.append(
                f"{label} {result[f'{name}_accuracy']:.4f} "
                f"(loss {result[f'{name}_loss']:.4f}, {result[f'n_{name}']} images)"
            )
    lines += [
        "",
        f"confusion matrix on the {result['confusion_split']} set "
        "(rows: true class, columns: predicted class)",
    ]
    width = 6
    lines.append(" " * 15 + "".join(f"{j:>{width}d}" for j in range(10)))
    for i, row in enumerate(result["confusion_matrix"]):
        name = f"{i} {CLASSES[i]}"
        lines.append(f"{name:<15}" + "".join(f"{v:>{width}d}" for v in row))
    return "\n".join(lines)


def export_weights(
    checkpoint: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    summary: dict[str, Any],
    model_state: dict[str, torch.Tensor] | None = None,
    folded: bool = False,
) -> tuple[Path, Path]:
    """Save the weights of ``checkpoint`` as ``dest.pt`` and ``summary`` as ``dest.json``.

    The ``.pt`` file keeps the architecture, configuration, model state dict and per-epoch
    metrics (no optimizer state), so it is small and loads with :func:`load_model`.
    ``model_state`` replaces the checkpoint's state dict (e.g. with batch-norm statistics
    re-estimated by :func:`cnn.train.recalibrate_batch_norm`); it must have the same keys,
    or with ``folded`` those of the deployable model of :func:`cnn.fold.deployable`
    (the file then records ``folded: True`` and :func:`load_model` rebuilds that form).

    Raises:
        DataError: ``checkpoint`` is missing or not a cnn checkpoint.
        InvalidArgument: ``model_state`` has other keys than the checkpoint's state dict.
    """
    ckpt = load_checkpoint(checkpoint)
    keys = sorted(ckpt["model"])
    if folded:
        keys = sorted(deployable(build_architecture(ckpt["arch"], budget=None)).state_dict())
    if (model_state is None and folded) or (
        model_state is not None and sorted(model_state) != keys
    ):
        fail(
            "model_state", None if model_state is None else sorted(model_state), f"the keys {keys}"
        )
    slim = {
        "format": CHECKPOINT_FORMAT,
        "arch": ckpt["arch"],
        "n_parameters": ckpt["n_parameters"],
        "config": ckpt["config"],
        "model": ckpt["model"] if model_state is None else model_state,
        "epoch": ckpt["epoch"],
        "metrics": ckpt["metrics"],
        "folded": folded,
    }
    base = Path(dest)
    pt, js = base.with_suffix(".pt"), base.with_suffix(".json")
    save_atomic(seal(slim), pt)
    js.write_text(json.dumps(summary, indent=2) + "\n")
    return pt, js
