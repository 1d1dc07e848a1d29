"""Checkpoint files: safe loading, a SHA-256 digest of the content, field checks.

A checkpoint (``model.pt`` of a run, or a weights file such as ``cnn/weights/best.pt``) is
a dictionary saved with :func:`torch.save`. It is read with ``weights_only=True``, so a
file that holds code (a pickled function or object) is refused before anything runs.
It carries ``"digest"``: ``"sha256:"`` and the SHA-256 of a canonical encoding of all
its other entries (:func:`content_digest`), computed when it is written and compared
when it is read, so a flipped byte in a tensor or a number is refused instead of
silently giving another model. The digest detects damage, not forgery: whoever can
write the file can also recompute it.

The canonical encoding feeds the hash, recursively: a dict as its entries sorted by key,
a list or tuple item by item (each with its length and a type tag), a tensor as its
dtype, shape and raw bytes, a float as its IEEE-754 bytes, an int, string, bool or
``None`` by value. Any other type is refused: a cnn checkpoint holds nothing else.

Examples:
    >>> import torch
    >>> sealed = seal({"format": CHECKPOINT_FORMAT, "model": {"w": torch.ones(2)}})
    >>> sealed["digest"] == content_digest(sealed)
    True
    >>> sealed["model"]["w"][0] = 2.0  # a changed weight changes the digest
    >>> sealed["digest"] == content_digest(sealed)
    False
"""

from __future__ import annotations

import hashlib
import os
import pickle
import reprlib
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from reluapprox.errors import DataError

__all__ = [
    "CHECKPOINT_FORMAT",
    "DIGEST_KEY",
    "content_digest",
    "field_error",
    "read_checkpoint",
    "safe_load",
    "seal",
]

CHECKPOINT_FORMAT = "cnn-checkpoint-v2"
"""The ``"format"`` entry of every checkpoint; v2 added the digest."""

DIGEST_KEY = "digest"
"""The entry holding ``"sha256:<hex>"`` of all the other entries."""

_UNSEALED_FORMATS = ("cnn-checkpoint-v1",)
_MAX_DEPTH = 32  # a cnn checkpoint nests 6 deep (optimizer state); more is not one
_SHORT = reprlib.Repr()  # short reprs of hostile values in messages
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist = 3, 4, 4
_SHORT.maxstring = _SHORT.maxother = 40


def _encode(value: object, h: Any, depth: int) -> None:
    """Feed the canonical encoding of ``value`` into the hash ``h``."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"data nested more than {_MAX_DEPTH} levels deep")
    if value is None:
        h.update(b"N")
    elif isinstance(value, bool):
        h.update(b"B1" if value else b"B0")
    elif isinstance(value, int):
        text = str(value).encode()
        h.update(b"I" + struct.pack(">Q", len(text)) + text)
    elif isinstance(value, float):
        h.update(b"F" + struct.pack(">d", value))
    elif isinstance(value, str):
        text = value.encode("utf-8", "surrogatepass")
        h.update(b"S" + struct.pack(">Q", len(text)) + text)
    elif isinstance(value, torch.Tensor):
        if value.layout != torch.strided or value.is_quantized:
            raise ValueError(f"a tensor of layout {value.layout}")
        flat = value.detach().cpu().contiguous().reshape(-1)
        meta = f"{flat.dtype}{tuple(value.shape)}".encode()
        h.update(b"T" + struct.pack(">Q", len(meta)) + meta)
        if flat.numel():
            h.update(flat.view(torch.uint8).numpy().tobytes())
    elif isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: (type(kv[0]).__name__, repr(kv[0])))
        h.update(b"D" + struct.pack(">Q", len(items)))
        for key, item in items:
            _encode(key, h, depth + 1)
            _encode(item, h, depth + 1)
    elif isinstance(value, list | tuple):
        h.update((b"L" if isinstance(value, list) else b"U") + struct.pack(">Q", len(value)))
        for item in value:
            _encode(item, h, depth + 1)
    else:
        raise ValueError(f"an object of type {type(value).__name__}")


def content_digest(ckpt: Mapping[str, object]) -> str:
    """``"sha256:<hex>"`` of the canonical encoding of every entry of ``ckpt`` but the digest.

    Raises:
        ValueError: ``ckpt`` holds a type that no checkpoint holds, or nests too deep.
    """
    h = hashlib.sha256(b"cnn-checkpoint-digest\0")
    _encode({k: v for k, v in ckpt.items() if k != DIGEST_KEY}, h, 0)
    return "sha256:" + h.hexdigest()


def seal(ckpt: Mapping[str, object]) -> dict[str, object]:
    """Return ``ckpt`` with its :func:`content_digest` under :data:`DIGEST_KEY` (last)."""
    content = {k: v for k, v in ckpt.items() if k != DIGEST_KEY}
    return content | {DIGEST_KEY: content_digest(content)}


def _one_line(exc: BaseException) -> str:
    """The informative line of an exception's message (torch's run to several lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    skip = ("Weights only load failed", "Please file an issue", "Check the documentation")
    useful = [line for line in lines if not line.startswith(skip)]
    text = (useful or lines or [type(exc).__name__])[0]
    return text if len(text) <= 200 else text[:197] + "..."


def safe_load(path: Path, *, name: str) -> object:
    """``torch.load(path, weights_only=True)`` on the CPU, with one-line errors.

    Args:
        path: The file.
        name: How the error messages begin, e.g. ``"checkpoint PATH"``.

    Raises:
        DataError: The file cannot be read, or holds code or objects other than plain
            data (refused by ``weights_only`` before anything in it runs).
    """
    try:
        with warnings.catch_warnings():  # e.g. about the pickle protocol of a foreign file
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise DataError(
            f"{name} was refused: it is not plain data (tensors, numbers, strings, lists "
            f"and dicts) but holds code or is damaged ({_one_line(exc)}); nothing in it "
            "was run"
        ) from None
    except Exception as exc:  # torch raises many types for corrupt files
        raise DataError(f"{name} cannot be read: {_one_line(exc)}") from None


def field_error(path: Path, name: str, value: object, expected: str) -> DataError:
    """The :class:`DataError` for entry ``name`` of the checkpoint at ``path`` (one line)."""
    if isinstance(value, torch.Tensor):
        shown = f"<tensor of shape {tuple(value.shape)}>"
    else:  # abbreviated (reprlib), on one line (a nested tensor's repr has several)
        shown = " ".join(_SHORT.repr(value).split())
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return DataError(f"checkpoint {path}: {name}={shown} is invalid: expected {expected}")


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load the checkpoint at ``path`` safely and verify its format and digest.

    Returns:
        The checkpoint dictionary (the digest included).

    Raises:
        DataError: The file is missing, unreadable, holds code or objects other than
            plain data, is not a cnn checkpoint, was written without a digest (format
            ``cnn-checkpoint-v1``), or its content does not match its digest. The
            message is one line and names the file.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"checkpoint {p} does not exist; train a model with `python -m cnn train`")
    loaded = safe_load(p, name=f"checkpoint {p}")
    ckpt: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    found = ckpt.get("format")
    if found in _UNSEALED_FORMATS:
        raise DataError(
            f"checkpoint {p} has format {found!r}, written before checkpoints carried a "
            "digest: its content cannot be verified; train it again with `python -m cnn`"
        )
    if found != CHECKPOINT_FORMAT:
        raise DataError(f"{p} is not a cnn checkpoint (expected format {CHECKPOINT_FORMAT!r})")
    stored = ckpt.get(DIGEST_KEY)
    try:
        digest = content_digest(ckpt)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"checkpoint {p} holds {exc}, which no cnn checkpoint holds") from None
    if stored != digest:
        raise DataError(
            f"checkpoint {p} is damaged: its content does not match its digest "
            f"({str(stored)[:20]}... stored, {digest[:20]}... computed); use an intact copy"
            if isinstance(stored, str)
            else f"checkpoint {p} has no valid {DIGEST_KEY!r} entry (found {stored!r:.60}); "
            "it cannot be verified"
        )
    return ckpt
