"""``cnn.train.recalibrate_batch_norm``: running statistics re-estimated over a whole set."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cnn.models import build_model  # noqa: E402
from cnn.train import recalibrate_batch_norm  # noqa: E402
from reluapprox.errors import InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch


def _batches(images: torch.Tensor, bounds: list[int]) -> list[torch.Tensor]:
    return [images[a:b] for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    ("n", "batch_size", "bounds"),
    [
        (10, 4, [0, 4, 8, 10]),
        (9, 4, [0, 4, 9]),  # a last batch of one image joins the one before
        (8, 8, [0, 8]),
        (5, 100, [0, 5]),
    ],
)
def test_statistics_are_the_average_over_all_batches(
    n: int, batch_size: int, bounds: list[int]
) -> None:
    torch.manual_seed(0)
    norm = nn.BatchNorm2d(3, affine=False, momentum=0.3)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), norm)
    images = torch.randn(n, 1, 6, 6) * 2 + 1
    with torch.no_grad():
        features = [model[0](b) for b in _batches(images, bounds)]
    means = torch.stack([f.mean(dim=(0, 2, 3)) for f in features])
    variances = torch.stack([f.var(dim=(0, 2, 3), unbiased=True) for f in features])

    assert recalibrate_batch_norm(model, images, batch_size=batch_size) == 1

    assert norm.running_mean is not None
    assert norm.running_var is not None
    torch.testing.assert_close(norm.running_mean, means.mean(0))
    torch.testing.assert_close(norm.running_var, variances.mean(0))
    assert int(norm.num_batches_tracked) == len(bounds) - 1
    assert norm.momentum == 0.3  # restored
    assert not model.training


def test_views_of_an_averaged_model_all_count() -> None:
    # stmirror runs its network on the image and on its mirror image: both passes update
    # the statistics, so the first normalisation sees the mirrored maps too
    torch.manual_seed(1)
    model = build_model("stmirror")
    images = torch.randn(6, 1, 28, 28)
    recalibrate_batch_norm(model, images, batch_size=6)
    first = next(m for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert int(first.num_batches_tracked) == 2
    stem = nn.Sequential(*list(model.inner)[:3])  # conv, pool, relu before that norm
    with torch.no_grad():
        maps = [stem(images), stem(torch.flip(images, dims=[-1]))]
    assert first.running_mean is not None
    torch.testing.assert_close(
        first.running_mean, torch.stack([m.mean(dim=(0, 2, 3)) for m in maps]).mean(0)
    )


def test_only_buffers_change_and_evaluation_uses_them() -> None:
    torch.manual_seed(2)
    model = build_model("stmirror")
    images = torch.randn(40, 1, 28, 28)
    params = {k: v.clone() for k, v in model.named_parameters()}
    model.eval()
    with torch.no_grad():
        before = model(images)
    recalibrate_batch_norm(model, images, batch_size=16)
    assert all(torch.equal(v, params[k]) for k, v in model.named_parameters())
    with torch.no_grad():
        after = model(images)
    assert not torch.allclose(before, after)  # fresh statistics (mean 0, var 1) replaced


def test_model_without_batch_norm_is_left_alone() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert recalibrate_batch_norm(model, torch.randn(3, 1, 2, 2)) == 0
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert not model.training


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": torch.zeros(1, 1, 28, 28)}, "images=(1, 1, 28, 28)"),
        ({"images": torch.zeros(0, 1, 28, 28)}, "at least two images"),
        ({"images": torch.zeros(4, 1, 28, 28), "batch_size": 0}, "batch_size=0"),
        ({"images": torch.zeros(4, 1, 28, 28), "batch_size": 1}, "batch_size=1"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    model = build_model("stmirror")
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace(")", r"\)")):
        recalibrate_batch_norm(model, **kwargs)  # type: ignore[arg-type]
