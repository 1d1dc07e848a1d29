"""The Fashion-MNIST loader on small synthetic IDX files (valid, truncated, wrong magic)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from cnn.data import (  # noqa: E402
    DEBIAN_DIR,
    ENV_VAR,
    FILES,
    VAL_SEED,
    find_data_dir,
    load_fashion_mnist,
    read_idx,
    validation_split,
)
from reluapprox.errors import DataError, InvalidArgument  # noqa: E402

pytestmark = pytest.mark.torch


def _images_bytes(images: np.ndarray, *, magic: int = 0x803) -> bytes:
    n, rows, cols = images.shape
    return struct.pack(">IIII", magic, n, rows, cols) + images.astype(np.uint8).tobytes()


def _labels_bytes(labels: np.ndarray, *, magic: int = 0x801) -> bytes:
    return struct.pack(">II", magic, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def _write_gz(path: Path, data: bytes) -> Path:
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def _synthetic_dir(directory: Path, *, n_train: int = 12, n_test: int = 5) -> dict[str, object]:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        data = _images_bytes(arr) if "images" in name else _labels_bytes(arr)
        _write_gz(directory / f"{name}.gz", data)
    return arrays


def test_valid_synthetic_files_load_through_torchvision(tmp_path: Path) -> None:
    arrays = _synthetic_dir(tmp_path / "data")
    data = load_fashion_mnist(tmp_path / "data", cache_dir=tmp_path / "cache", official=False)
    assert data.train_images.shape == (12, 28, 28)
    assert data.train_images.dtype == torch.uint8
    assert data.test_images.shape == (5, 28, 28)
    assert data.train_labels.dtype == torch.int64
    np.testing.assert_array_equal(data.train_images.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.test_labels.numpy(), arrays["t10k-labels-idx1-ubyte"])
    raw = list((tmp_path / "cache").glob("*/FashionMNIST/raw/train-images-idx3-ubyte"))
    assert len(raw) == 1
    limited = data.limited(3)
    assert limited.train_images.shape[0] == 3
    assert limited.test_labels.shape[0] == 3


def test_uncompressed_torchvision_layout_is_found(tmp_path: Path) -> None:
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    _synthetic_dir(raw)
    for gz in raw.glob("*.gz"):
        gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    data = load_fashion_mnist(tmp_path / "root", cache_dir=tmp_path / "cache", official=False)
    assert data.train_images.shape == (12, 28, 28)


def test_official_mode_rejects_wrong_counts(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz declares 12 images.*60000"):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache")


def test_truncated_file_is_named(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    _write_gz(path, data[:-100])
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz is truncated.*--download"):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache", official=False)


def test_truncated_gzip_stream_is_named(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match=r"cannot read .*train-labels-idx1-ubyte.gz"):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache", official=False)


def test_wrong_magic_is_named(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    _write_gz(path, _labels_bytes(np.zeros(12), magic=0x803))
    with pytest.raises(
        DataError, match=r"train-labels-idx1-ubyte.gz has IDX magic number 0x00000803"
    ):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache", official=False)


def test_missing_file_is_named(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing file .*t10k-labels-idx1-ubyte.gz.*Debian"):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache", official=False)


def test_mismatched_image_and_label_counts(tmp_path: Path) -> None:
    _synthetic_dir(tmp_path)
    _write_gz(tmp_path / "train-labels-idx1-ubyte.gz", _labels_bytes(np.zeros(11)))
    with pytest.raises(DataError, match="train has 12 images but 11 labels"):
        load_fashion_mnist(tmp_path, cache_dir=tmp_path / "cache", official=False)


def test_read_idx_checks_image_size_and_label_range(tmp_path: Path) -> None:
    path = _write_gz(tmp_path / "x.gz", _images_bytes(np.zeros((2, 32, 32))))
    with pytest.raises(DataError, match="32x32 images, expected 28x28"):
        read_idx(path, kind="images")
    path = _write_gz(tmp_path / "y.gz", _labels_bytes(np.array([1, 12])))
    with pytest.raises(DataError, match=r"labels outside 0\.\.9"):
        read_idx(path, kind="labels")
    path = _write_gz(tmp_path / "z.gz", _labels_bytes(np.array([1, 2])) + b"\x00")
    with pytest.raises(DataError, match="too long"):
        read_idx(path, kind="labels")
    with pytest.raises(InvalidArgument, match="kind='text' is invalid"):
        read_idx(path, kind="text")
    data, info = read_idx(
        _write_gz(tmp_path / "ok.gz", _labels_bytes(np.array([3, 4]))), kind="labels"
    )
    assert info.count == 2
    assert data[8:] == bytes([3, 4])


def test_find_data_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _synthetic_dir(tmp_path / "env")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert find_data_dir(None) == tmp_path / "env"
    assert find_data_dir(tmp_path) == tmp_path
    with pytest.raises(DataError, match="is not a directory"):
        find_data_dir(tmp_path / "absent")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent"))
    if not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file():
        with pytest.raises(DataError, match=r"FASHION_MNIST_DIR.*dataset-fashion-mnist"):
            find_data_dir(None)


def test_official_file_table() -> None:
    assert sorted(s.count for s in FILES.values()) == [10000, 10000, 60000, 60000]


@pytest.mark.data
def test_real_files_pass_all_checks(fashion_mnist_dir: Path, tmp_path: Path) -> None:
    data = load_fashion_mnist(fashion_mnist_dir, cache_dir=tmp_path)
    assert data.train_images.shape == (60000, 28, 28)
    assert data.test_images.shape == (10000, 28, 28)
    assert torch.bincount(data.test_labels).tolist() == [1000] * 10


def test_validation_split_is_a_fixed_disjoint_cover() -> None:
    train_idx, val_idx = validation_split(60000, 10000)
    assert (len(train_idx), len(val_idx)) == (50000, 10000)
    assert torch.equal(torch.cat([train_idx, val_idx]).sort().values, torch.arange(60000))
    assert not set(train_idx.tolist()) & set(val_idx.tolist())
    assert torch.equal(train_idx, train_idx.sort().values)
    # deterministic: the same arguments give the same split, the default seed is VAL_SEED
    again = validation_split(60000, 10000, seed=VAL_SEED)
    assert torch.equal(again[1], val_idx)
    assert not torch.equal(validation_split(60000, 10000, seed=1)[1], val_idx)
    # a random sample, not the first or last images
    assert 0 < int(val_idx.min()) < 100
    assert 59900 < int(val_idx.max()) < 60000
    empty_train, empty_val = validation_split(5, 0)
    assert empty_train.tolist() == [0, 1, 2, 3, 4]
    assert empty_val.tolist() == []


def test_validation_split_leaves_the_global_random_state_alone() -> None:
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    validation_split(100, 10)
    assert torch.equal(torch.rand(2), expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0), "n_train=0 is invalid"),
        ((10, 10), r"val_size=10 is invalid: expected an integer in \[0, 9\] \(n_train=10\)"),
        ((10, -1), "val_size=-1 is invalid"),
        ((10, 2.0), "val_size=2.0 is invalid"),
        ((10, True), "val_size=True is invalid"),
    ],
)
def test_validation_split_rejects_bad_sizes(args: tuple[object, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validation_split(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="seed=-1 is invalid"):
        validation_split(10, 2, seed=-1)
