"""Short screening runs of cnn architectures and training variants (docs/cnn.md, round 2).

The full runs of docs/cnn.md are made with ``python -m cnn train``; this script makes the
*short* runs used to choose between candidates, with options the package does not
offer because they did not pay off (knowledge distillation, a teacher's optimiser
settings). It uses the package's models (:func:`cnn.models.build_model`) and data
(:mod:`cnn.data`), so each line of the screening table is reproduced by one command, e.g.::

    python benchmarks/cnn_screen.py --data-dir DIR --arch stmpl6x3 --epochs 6 --batch-size 64

    # the distillation teacher (over budget on purpose) and its soft labels, then a student
    python benchmarks/cnn_screen.py --data-dir DIR --arch teacher --no-budget --epochs 6 \\
        --lr 0.003 --pct-start 0.2 --flip --decay-all --save-train-logits teacher.pt
    python benchmarks/cnn_screen.py --data-dir DIR --arch stmpl --epochs 6 --batch-size 64 \\
        --distil-from teacher.pt --temperature 4 --alpha 0.5

Training: AdamW (weight decay 1e-4 on weight matrices and kernels, or on every parameter
with ``--decay-all``), one-cycle schedule peaking at ``--lr``, mini-batches sliced from a
seeded permutation, one CPU thread (as in ``python -m cnn train --threads 1``). The test
accuracy is measured after every epoch, the train accuracy every 5 epochs and at the
end; the last line printed is one JSON object with the result. With ``--distil-from``
the loss is ``alpha * CE(labels) + (1 - alpha) * T^2 * KL(softmax(teacher/T) ||
softmax(student/T))`` (Hinton et al., 2015).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.data import FashionMNIST, load_fashion_mnist
from cnn.models import ARCHITECTURES, DEFAULT_BUDGET, build_model, count_parameters
from cnn.train import _augment, distillation_loss, normalise


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.inference_mode():
        pred = torch.cat([model(x[i : i + 2000]).argmax(1) for i in range(0, len(x), 2000)])
    return float((pred == y).float().mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--arch", choices=sorted(ARCHITECTURES), required=True)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--pct-start", type=float, default=0.25, help="one-cycle warm-up fraction")
    p.add_argument("--flip", action="store_true", help="random horizontal flips")
    p.add_argument("--decay-all", action="store_true", help="weight decay on every parameter")
    p.add_argument("--no-budget", action="store_true", help="allow more than 500 parameters")
    p.add_argument("--distil-from", type=Path, default=None, help="teacher logits (60000x10)")
    p.add_argument("--temperature", type=float, default=4.0)
    p.add_argument("--alpha", type=float, default=0.5, help="weight of the label loss")
    p.add_argument("--save-train-logits", type=Path, default=None)
    p.add_argument("--limit", type=int, default=None, help="first N train and test images")
    args = p.parse_args(argv)

    data = load_fashion_mnist(args.data_dir, cache_dir=args.cache_dir).limited(args.limit)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = _run(args, data)
    finally:
        torch.set_num_threads(threads)
    print(json.dumps(result))
    return 0


def _run(args: argparse.Namespace, data: FashionMNIST) -> dict[str, object]:
    tx, ty = normalise(data.train_images), data.train_labels
    vx, vy = normalise(data.test_images), data.test_labels
    n_train = tx.shape[0]

    torch.manual_seed(args.seed)
    model = build_model(args.arch, budget=None if args.no_budget else DEFAULT_BUDGET)
    if args.decay_all:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    else:
        decay = [q for q in model.parameters() if q.ndim > 1]
        rest = [q for q in model.parameters() if q.ndim <= 1]
        groups = [{"params": decay, "weight_decay": 1e-4}, {"params": rest, "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=args.lr)
    steps = math.ceil(n_train / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps, pct_start=args.pct_start
    )
    gen = torch.Generator().manual_seed(args.seed)
    teacher = None if args.distil_from is None else torch.load(args.distil_from, weights_only=True)
    if teacher is not None and tuple(teacher.shape) != (n_train, 10):
        raise SystemExit(
            f"--distil-from: expected logits of shape ({n_train}, 10), got {tuple(teacher.shape)}"
        )
    t_start = time.perf_counter()
    test_acc = train_acc = math.nan
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(n_train, generator=gen)
        for s in range(steps):
            idx = order[s * args.batch_size : (s + 1) * args.batch_size]
            x = tx[idx]
            if args.flip:
                x = _augment(x, "flip", gen)
            out = model(x)
            if teacher is None:
                loss = nn.functional.cross_entropy(out, ty[idx])
            else:
                loss = distillation_loss(
                    out, ty[idx], teacher[idx], temperature=args.temperature, alpha=args.alpha
                )
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
        test_acc = _accuracy(model, vx, vy)
        if epoch % 5 == 0 or epoch == args.epochs:
            train_acc = _accuracy(model, tx, ty)
        print(
            f"epoch {epoch}: test {test_acc:.4f} train {train_acc:.4f} "
            f"({time.perf_counter() - t_start:.0f} s)",
            flush=True,
        )
    if args.save_train_logits is not None:
        model.eval()
        with torch.inference_mode():
            logits = torch.cat([model(tx[i : i + 1000]) for i in range(0, n_train, 1000)])
        torch.save(logits, args.save_train_logits)
    return {
        "arch": args.arch,
        "n_parameters": count_parameters(model),
        "epochs": args.epochs,
        "seed": args.seed,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "distil_from": None if args.distil_from is None else str(args.distil_from),
        "temperature": args.temperature if teacher is not None else None,
        "alpha": args.alpha if teacher is not None else None,
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
    }


if __name__ == "__main__":
    raise SystemExit(main())
