"""Benchmark of one training epoch of the cnn package on the CPU.

Measures seconds per (extrapolated 60,000-image) epoch and training images per second of:

- ``tensor-loop``: the package's loop (:mod:`cnn.train`): the whole data set as one
  normalised tensor, index batches, batched augmentation;
- ``dataloader``: the same model and optimiser fed the usual way, by a
  ``torch.utils.data.DataLoader`` over a dataset that converts each PIL image with
  ``torchvision.transforms`` (``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``);
- ``logreg``: the baseline: logistic regression ``nn.Linear(784, 10)`` trained with the
  tensor loop (the cheapest possible model, a lower bound for the per-epoch overhead).

Ratios are printed against the baseline named by ``--baseline`` (default ``dataloader``),
measured in the same run. Images are random bytes unless ``--data-dir`` is given (the
timing does not depend on the pixel values).

Usage::

    python benchmarks/bench_cnn.py [--images 10000] [--threads 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.models import DEFAULT_ARCH, build_model
from cnn.train import MEAN, STD, normalise


def _flip(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror a random half of the batch (what RandomHorizontalFlip does image by image)."""
    flip = torch.rand(batch.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], batch.flip(3), batch)


def _tensor_epoch(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, augment: str
) -> None:
    gen = torch.Generator().manual_seed(0)
    x_all = normalise(images)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    order = torch.randperm(x_all.shape[0], generator=gen)
    for start in range(0, x_all.shape[0], 128):
        idx = order[start : start + 128]
        x = x_all[idx]
        if augment != "none":
            x = _flip(x, gen)
        loss = nn.functional.cross_entropy(model(x), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()


def _dataloader_epoch(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> None:
    from PIL import Image
    from torchvision import transforms

    transform = transforms.Compose(
        [
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize((MEAN,), (STD,)),
        ]
    )
    arrays = images.numpy()
    label_list = labels.tolist()

    class DS(torch.utils.data.Dataset[tuple[torch.Tensor, int]]):
        def __len__(self) -> int:
            return len(label_list)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            out: torch.Tensor = transform(Image.fromarray(arrays[i]))
            return out, label_list[i]

    loader = torch.utils.data.DataLoader(
        DS(), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()


def _time(fn: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per variant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10000, help="training images timed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--arch", default=DEFAULT_ARCH)
    parser.add_argument(
        "--baseline", choices=("dataloader", "logreg", "tensor-loop"), default="dataloader"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.data_dir is not None:
        from cnn.data import load_fashion_mnist

        data = load_fashion_mnist(args.data_dir)
        images, labels = data.train_images[: args.images], data.train_labels[: args.images]
    else:
        g = torch.Generator().manual_seed(0)
        images = torch.randint(0, 256, (args.images, 28, 28), generator=g, dtype=torch.uint8)
        labels = torch.randint(0, 10, (args.images,), generator=g)

    def model() -> nn.Module:
        torch.manual_seed(0)
        return build_model(args.arch)

    variants: dict[str, Callable[[], None]] = {
        "tensor-loop": lambda: _tensor_epoch(model(), images, labels, "flip"),
        "dataloader": lambda: _dataloader_epoch(model(), images, labels),
        "logreg": lambda: _tensor_epoch(build_model("logreg", budget=None), images, labels, "flip"),
    }
    results = {name: _time(fn, args.repeat) for name, fn in variants.items()}
    scale = 60000 / args.images
    base = results[args.baseline]
    print(
        f"arch={args.arch} images={args.images} threads={args.threads} repeat={args.repeat} "
        f"(median; seconds per epoch extrapolated to 60,000 images), baseline={args.baseline}"
    )
    print(f"{'variant':<12} {'s/epoch':>9} {'images/s':>10} {'vs baseline':>12}")
    for name, seconds in results.items():
        print(
            f"{name:<12} {seconds * scale:>9.2f} {args.images / seconds:>10.0f} "
            f"{base / seconds:>11.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
