"""Finding, verifying and loading the Fashion-MNIST files.

The four official files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) are looked up in, in order:

1. the ``data_dir`` argument (``--data-dir`` on the command line);
2. the environment variable ``FASHION_MNIST_DIR``;
3. ``/usr/share/datasets/fashion-mnist``, where Debian's package ``dataset-fashion-mnist``
   installs them.

A directory may hold the files directly, or in torchvision's layout
``DIR/FashionMNIST/raw/`` (what ``--download`` produces), compressed (``.gz``) or not.

Every file is verified before use: it is decompressed in memory as a stream, its IDX
header is checked first (magic number ``0x00000803`` for images and ``0x00000801`` for
labels, 28x28 images, at most 60,000 items), then exactly the length the header declares
is read and the file must end there (a file that decompresses to more is refused without
reading on, so a "gzip bomb" cannot fill the memory), and the counts must be 60,000
(train) and 10,000 (test). For the official data the MD5 of the *decompressed* content is
checked as well (the ``.gz`` files themselves differ between distributions, e.g. Debian
recompresses them, so their checksums are not used).

The verified, decompressed files are then written (atomically) into a cache directory
in torchvision's ``root/FashionMNIST/raw/`` layout and read with
:class:`torchvision.datasets.FashionMNIST`, which only ever sees files that passed the checks.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import torch

from reluapprox._validation import check_positive_int, fail
from reluapprox.errors import DataError, InvalidArgument

__all__ = [
    "DEBIAN_DIR",
    "ENV_VAR",
    "FILES",
    "MAX_COUNT",
    "MEAN",
    "STD",
    "VAL_SEED",
    "FashionMNIST",
    "IdxInfo",
    "default_cache_dir",
    "download",
    "find_data_dir",
    "load_fashion_mnist",
    "read_idx",
    "validation_split",
    "write_atomic",
]

ENV_VAR = "FASHION_MNIST_DIR"
"""Environment variable naming the directory with the four ``.gz`` files."""

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where Debian's package ``dataset-fashion-mnist`` installs the files."""

MEAN = 0.2860
"""Mean pixel value of the Fashion-MNIST training images (scaled to [0, 1])."""
STD = 0.3530
"""Standard deviation of the Fashion-MNIST training pixels (scaled to [0, 1])."""

_HOW_TO_GET = (
    "get the four official files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from "
    "https://github.com/zalandoresearch/fashion-mnist, install Debian's package "
    f"dataset-fashion-mnist (files in {DEBIAN_DIR}), or rerun with --download"
)

VAL_SEED = 20260101
"""The fixed seed of :func:`validation_split` used by ``python -m cnn train --val-seed``."""

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801


@dataclass(frozen=True)
class _FileSpec:
    kind: str  # "images" or "labels"
    count: int
    md5: str  # of the decompressed content


FILES: Mapping[str, _FileSpec] = {
    "train-images-idx3-ubyte": _FileSpec("images", 60000, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte": _FileSpec("labels", 60000, "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte": _FileSpec("images", 10000, "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte": _FileSpec("labels", 10000, "15d484375f8d13e6eb1aabb0c3f46965"),
}
"""The four files (names without ``.gz``): kind, official count and MD5 of the content."""


@dataclass(frozen=True)
class IdxInfo:
    """The verified header of one IDX file."""

    path: Path
    kind: str
    count: int
    md5: str


@dataclass(frozen=True)
class FashionMNIST:
    """The data set as tensors: ``uint8`` images ``(n, 28, 28)`` and ``int64`` labels ``(n,)``."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: Path

    def limited(self, limit: int | None) -> FashionMNIST:
        """Return the first ``limit`` train and first ``limit`` test examples (all if None)."""
        if limit is None:
            return self
        return FashionMNIST(
            self.train_images[:limit],
            self.train_labels[:limit],
            self.test_images[:limit],
            self.test_labels[:limit],
            self.source,
        )


def validation_split(
    n_train: int, val_size: int, *, seed: int = VAL_SEED
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split the indices ``0 .. n_train - 1`` into a training part and a validation part.

    A seeded random permutation (its own :class:`torch.Generator`, so the caller's random
    state is untouched) is cut after ``val_size`` entries: those form the validation set,
    the rest the training set, each returned sorted. The split depends only on
    ``(n_train, val_size, seed)``, so every run, every recipe phase and every search trial
    with the same arguments holds out the same images, and no held-out image is ever
    trained on. Choices (recipe, epochs, batch-norm estimation, the final phase) are made
    on the validation accuracy; the test set is kept for the final model.

    Args:
        n_train: The size of the training set (60,000 for Fashion-MNIST).
        val_size: Images held out for validation, ``0 <= val_size < n_train``; 0 gives
            an empty validation set and every index for training.
        seed: The seed of the permutation (default :data:`VAL_SEED`).

    Returns:
        ``(train_idx, val_idx)``: two sorted ``int64`` tensors, disjoint, together
        ``0 .. n_train - 1``.

    Raises:
        InvalidArgument: An argument is not an integer in its range.

    Examples:
        >>> train_idx, val_idx = validation_split(10, 3, seed=0)
        >>> len(train_idx), len(val_idx)
        (7, 3)
        >>> sorted(train_idx.tolist() + val_idx.tolist()) == list(range(10))
        True
    """
    n = check_positive_int("n_train", n_train)
    k = check_positive_int("val_size", val_size, minimum=0)
    check_positive_int("seed", seed, minimum=0)
    if k >= n:
        fail("val_size", val_size, f"an integer in [0, {n - 1}] (n_train={n})")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[k:].sort().values, order[:k].sort().values


def _locate(directory: Path, name: str) -> Path | None:
    """Return the path of ``name`` (``.gz`` or not) in ``directory`` or its torchvision layout."""
    for base in (directory, directory / "FashionMNIST" / "raw"):
        for candidate in (base / f"{name}.gz", base / name):
            if candidate.is_file():
                return candidate
    return None


def find_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory holding the four files, searching as described in the module doc.

    Raises:
        DataError: No candidate directory holds the files; the message lists where it looked.
    """
    if data_dir is not None:
        path = Path(data_dir)
        if not path.is_dir():
            raise DataError(f"data_dir={str(path)!r} is not a directory; {_HOW_TO_GET}")
        return path
    tried = []
    env = os.environ.get(ENV_VAR)
    if env:
        candidates = [Path(env)]
        tried.append(f"${ENV_VAR}={env}")
    else:
        candidates = []
    candidates.append(DEBIAN_DIR)
    tried.append(str(DEBIAN_DIR))
    for path in candidates:
        if path.is_dir() and _locate(path, "train-images-idx3-ubyte") is not None:
            return path
    raise DataError(
        f"Fashion-MNIST not found (looked in {', '.join(tried)}); pass --data-dir DIR or set "
        f"{ENV_VAR}; {_HOW_TO_GET}"
    )


MAX_COUNT = 60000
"""The most items an IDX file may declare: the size of the Fashion-MNIST training set.

It bounds what :func:`read_idx` reads (47 MB of images), whatever a header declares."""


def _open(path: Path) -> BinaryIO | gzip.GzipFile:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def read_idx(path: Path, *, kind: str, expected_count: int | None = None) -> tuple[bytes, IdxInfo]:
    """Read and verify one IDX file (gzip-compressed if its name ends with ``.gz``).

    The file is read as a stream: the header first, which fixes the length of the
    content (at most :data:`MAX_COUNT` items), then exactly that many bytes and one more
    to see that the file ends there. A file that decompresses to more (a "gzip bomb",
    megabytes that expand to gigabytes) is refused as soon as that extra byte appears,
    so memory stays bounded by the declared size.

    Args:
        path: The file.
        kind: ``"images"`` (magic ``0x803``, 28x28) or ``"labels"`` (magic ``0x801``).
        expected_count: The number of items the file must hold, or ``None`` for any
            up to :data:`MAX_COUNT`.

    Returns:
        The decompressed content and its verified header.

    Raises:
        DataError: The file is missing, not gzip, truncated, too long, has the wrong
            magic number, image size or count, or labels outside 0..9.

    Examples:
        >>> import gzip, struct, tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "labels.gz"
        >>> _ = path.write_bytes(gzip.compress(struct.pack(">II", 0x801, 3) + bytes([7, 0, 9])))
        >>> read_idx(path, kind="labels")[1].count
        3
    """
    if kind not in ("images", "labels"):
        raise InvalidArgument(f"kind={kind!r} is invalid: expected 'images' or 'labels'")
    if not path.is_file():
        raise DataError(f"missing file {path}; {_HOW_TO_GET}")
    magic = IMAGE_MAGIC if kind == "images" else LABEL_MAGIC
    header_len = 16 if kind == "images" else 8
    try:
        with _open(path) as f:
            header = f.read(header_len)
            if len(header) < header_len:
                raise DataError(
                    f"{path} is truncated: {len(header)} bytes, less than the {header_len}-byte "
                    f"IDX header; {_HOW_TO_GET}"
                )
            expected_len = _check_header(path, header, kind, magic, expected_count)
            body = f.read(expected_len - header_len)
            count = (expected_len - header_len) // (28 * 28 if kind == "images" else 1)
            if len(body) < expected_len - header_len:
                raise DataError(
                    f"{path} is truncated: {header_len + len(body)} bytes after decompression, "
                    f"expected {expected_len} for {count} {kind}; {_HOW_TO_GET}"
                )
            if f.read(1):
                raise DataError(
                    f"{path} is too long: more than the {expected_len} bytes (after "
                    f"decompression) that its header declares for {count} {kind}; reading "
                    f"stopped there; {_HOW_TO_GET}"
                )
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"cannot read {path}: {exc} (the file is corrupt or truncated); {_HOW_TO_GET}"
        ) from exc
    data = header + body
    if kind == "labels" and count > 0 and max(body) > 9:
        raise DataError(f"{path} holds labels outside 0..9; {_HOW_TO_GET}")
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return data, IdxInfo(path, kind, count, md5)


def _check_header(
    path: Path, header: bytes, kind: str, magic: int, expected_count: int | None
) -> int:
    """Check an IDX header; return the length of the whole file it declares."""
    (found_magic, count) = struct.unpack(">II", header[:8])
    if found_magic != magic:
        raise DataError(
            f"{path} has IDX magic number 0x{found_magic:08x}, expected 0x{magic:08x} for "
            f"{kind}; the file is corrupt or not a Fashion-MNIST {kind} file; {_HOW_TO_GET}"
        )
    item = 1
    if kind == "images":
        rows, cols = struct.unpack(">II", header[8:16])
        if (rows, cols) != (28, 28):
            raise DataError(f"{path} holds {rows}x{cols} images, expected 28x28; {_HOW_TO_GET}")
        item = 28 * 28
    if expected_count is not None and count != expected_count:
        raise DataError(f"{path} declares {count} {kind}, expected {expected_count}; {_HOW_TO_GET}")
    if count > MAX_COUNT:
        raise DataError(
            f"{path} declares {count} {kind}, more than {MAX_COUNT} (the Fashion-MNIST "
            f"training set); {_HOW_TO_GET}"
        )
    return len(header) + int(count) * item


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/reluapprox/fashion-mnist`` (``~/.cache/...`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reluapprox" / "fashion-mnist"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, fsync, then ``os.replace``.

    A reader (or a process killed mid-write) sees either the old file or the new one,
    never a truncated mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0o600; use the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cache_key(infos: list[IdxInfo]) -> str:
    joined = "".join(i.md5 for i in infos)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    official: bool = True,
) -> FashionMNIST:
    """Find, verify and load Fashion-MNIST through :class:`torchvision.datasets.FashionMNIST`.

    Args:
        data_dir: Directory with the four files; ``None`` searches as in the module doc.
        cache_dir: Where the verified decompressed files are put in torchvision's layout
            (default :func:`default_cache_dir`). A subdirectory named after the content
            hash is used, so different data never mix.
        official: Also require the official counts (60,000/10,000) and MD5 checksums.
            ``False`` accepts any well-formed IDX files (used by the tests).

    Returns:
        The four tensors and the directory they came from.

    Raises:
        DataError: A file is missing or fails a check; the message names it and says how
            to get the data.
    """
    directory = find_data_dir(data_dir)
    contents: dict[str, bytes] = {}
    infos: list[IdxInfo] = []
    for name, spec in FILES.items():
        path = _locate(directory, name)
        if path is None:
            raise DataError(f"missing file {directory / (name + '.gz')}; {_HOW_TO_GET}")
        data, info = read_idx(path, kind=spec.kind, expected_count=spec.count if official else None)
        if official and info.md5 != spec.md5:
            raise DataError(
                f"{path} has the right size but unexpected content (MD5 of the decompressed "
                f"data {info.md5}, expected {spec.md5}); the file is corrupt; {_HOW_TO_GET}"
            )
        contents[name] = data
        infos.append(info)
    for split in ("train", "t10k"):
        n_images = next(i.count for i in infos if i.path.name.startswith(f"{split}-images"))
        n_labels = next(i.count for i in infos if i.path.name.startswith(f"{split}-labels"))
        if n_images != n_labels:
            raise DataError(
                f"{directory}: {split} has {n_images} images but {n_labels} labels; {_HOW_TO_GET}"
            )
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    root = root / _cache_key(infos)
    raw = root / "FashionMNIST" / "raw"
    for name, data in contents.items():
        target = raw / name
        if not (target.is_file() and target.read_bytes() == data):
            write_atomic(target, data)
    return _load_with_torchvision(root, directory)


def _load_with_torchvision(root: Path, source: Path) -> FashionMNIST:
    from torchvision.datasets import FashionMNIST as TVFashionMNIST

    train = TVFashionMNIST(root=str(root), train=True, download=False)
    test = TVFashionMNIST(root=str(root), train=False, download=False)
    return FashionMNIST(
        train_images=train.data.clone(),
        train_labels=train.targets.to(torch.int64).clone(),
        test_images=test.data.clone(),
        test_labels=test.targets.to(torch.int64).clone(),
        source=source,
    )


def download(data_dir: str | os.PathLike[str]) -> Path:
    """Download the files with torchvision into ``data_dir/FashionMNIST/raw`` and return it.

    Only called when the user passes ``--download``; needs network access.
    """
    from torchvision.datasets import FashionMNIST as TVFashionMNIST

    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    try:
        TVFashionMNIST(root=str(path), train=True, download=True)
        TVFashionMNIST(root=str(path), train=False, download=True)
    except Exception as exc:  # network errors come in many types
        raise DataError(f"downloading Fashion-MNIST into {path} failed: {exc}") from exc
    return path
