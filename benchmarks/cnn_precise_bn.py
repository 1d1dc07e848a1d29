"""Precise batch norm on trained weights: accuracy before and after (docs/cnn-log.md, round 7).

Training leaves in each parameter-free batch norm the moving averages (momentum 0.1) of
the batch statistics of the last few steps. This script re-estimates them over the whole
training set (:func:`cnn.train.recalibrate_batch_norm`: the plain average over all
mini-batches of 128, in data order, of the statistics the layers compute in training
mode) and evaluates each checkpoint before and after, on the same images, with the
package's own evaluation (:func:`cnn.train.evaluate_tensors`). The baseline is each
checkpoint's stored statistics, measured in the same run::

    python benchmarks/cnn_precise_bn.py --data-dir DIR \\
        cnn/weights/stmirror.pt cnn/weights/stnorm.pt cnn/weights/run24.pt

One line per checkpoint, then one JSON object with every result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.data import load_fashion_mnist
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
    args = p.parse_args(argv)

    data = load_fashion_mnist(args.data_dir, cache_dir=args.cache_dir).limited(args.limit)
    tx, ty = normalise(data.train_images), data.train_labels
    vx, vy = normalise(data.test_images), data.test_labels
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    results = []
    try:
        for path in args.checkpoints:
            model, ckpt = load_model(path)
            before = [evaluate_tensors(model, x, y)[:2] for x, y in ((tx, ty), (vx, vy))]
            layers = recalibrate_batch_norm(model, tx, batch_size=args.batch_size)
            after = [evaluate_tensors(model, x, y)[:2] for x, y in ((tx, ty), (vx, vy))]
            row = {
                "checkpoint": str(path),
                "architecture": ckpt["arch"],
                "batch_norm_layers": layers,
                "train_accuracy": [before[0][1], after[0][1]],
                "test_accuracy": [before[1][1], after[1][1]],
                "test_loss": [before[1][0], after[1][0]],
            }
            results.append(row)
            print(
                f"{path} ({ckpt['arch']}, {layers} batch norms): test accuracy "
                f"{before[1][1]:.4f} -> {after[1][1]:.4f} ({after[1][1] - before[1][1]:+.4f}), "
                f"train {before[0][1]:.4f} -> {after[0][1]:.4f}",
                flush=True,
            )
    finally:
        torch.set_num_threads(threads)
    print(json.dumps({"n_train": int(tx.shape[0]), "n_test": int(vx.shape[0]), "runs": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
