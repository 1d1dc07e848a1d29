"""Precise batch norm on trained weights: accuracy before and after, on held-out images.

Training leaves in each parameter-free batch norm the moving averages (momentum 0.1) of
the batch statistics of the last few steps. This script re-estimates them over the
training images (:func:`cnn.train.recalibrate_batch_norm`: the plain average over all
mini-batches of 128, in data order, of the statistics the layers compute in training
mode) and evaluates each checkpoint before and after, on the same images, with the
package's own evaluation (:func:`cnn.train.evaluate_tensors`). The baseline is each
checkpoint's stored statistics, measured in the same run.

By default (``--split validation``) the held-out images are the validation split that
the run itself used (``val_size`` and ``val_seed`` of its configuration): statistics are
re-estimated on the remaining training images and the test set is not read, so the
choice of precise batch norm can be made under the validation protocol of docs/cnn.md::

    python benchmarks/cnn_precise_bn.py --data-dir DIR runs/v/s100/p2-*/model.pt

``--split test`` re-estimates on all training images and scores the test set, as the
seventh round of docs/cnn-log.md did. One line per checkpoint, then one JSON object with
every result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.data import load_fashion_mnist, validation_split
from cnn.evaluate import load_model
from cnn.train import evaluate_tensors, normalise, recalibrate_batch_norm


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", type=Path, nargs="+", help="model.pt or committed weights")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--batch-size", type=int, default=128, help="images per forward pass")
    p.add_argument("--limit", type=int, default=None, help="first N train and test images")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--split",
        choices=("validation", "test"),
        default="validation",
        help="held-out images: each run's own validation split, or the test set",
    )
    args = p.parse_args(argv)

    data = load_fashion_mnist(args.data_dir, cache_dir=args.cache_dir).limited(args.limit)
    images, labels = normalise(data.train_images), data.train_labels
    n_train = int(images.shape[0])
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    results = []
    try:
        for path in args.checkpoints:
            model, ckpt = load_model(path)
            if args.split == "test":
                tx, ty = images, labels
                vx, vy = normalise(data.test_images), data.test_labels
            else:
                config = ckpt.get("config") or {}
                val_size = int(config.get("val_size", 0) or 0)
                if not 0 < val_size < n_train:
                    p.error(f"{path} was trained without a validation split (val_size={val_size})")
                fit, val = validation_split(n_train, val_size, seed=int(config["val_seed"]))
                tx, ty, vx, vy = images[fit], labels[fit], images[val], labels[val]
            before = [evaluate_tensors(model, x, y)[:2] for x, y in ((tx, ty), (vx, vy))]
            layers = recalibrate_batch_norm(model, tx, batch_size=args.batch_size)
            after = [evaluate_tensors(model, x, y)[:2] for x, y in ((tx, ty), (vx, vy))]
            row = {
                "checkpoint": str(path),
                "architecture": ckpt["arch"],
                "batch_norm_layers": layers,
                "n_train": int(tx.shape[0]),
                "n_held_out": int(vx.shape[0]),
                "train_accuracy": [before[0][1], after[0][1]],
                f"{args.split}_accuracy": [before[1][1], after[1][1]],
                f"{args.split}_loss": [before[1][0], after[1][0]],
            }
            results.append(row)
            print(
                f"{path} ({ckpt['arch']}, {layers} batch norms): {args.split} accuracy "
                f"{before[1][1]:.4f} -> {after[1][1]:.4f} ({after[1][1] - before[1][1]:+.4f}), "
                f"train {before[0][1]:.4f} -> {after[0][1]:.4f}",
                flush=True,
            )
    finally:
        torch.set_num_threads(threads)
    print(json.dumps({"split": args.split, "runs": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
