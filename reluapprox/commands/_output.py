"""Output files of the subcommands: paths checked early, OS errors as library errors.

A subcommand that writes ``--json``, ``--plot`` or into an ``--out`` folder checks the
path before its (possibly long) computation and turns every :class:`OSError` of the
write (missing permissions, a parent that is a file, a full disk) into an
:class:`~reluapprox.errors.InvalidArgument` naming the option and the path, so that the
command line prints ``reluapprox: error: --plot='...' is invalid: ...`` and exits 2
instead of showing a traceback.

Examples:
    >>> check_plot_path("--plot", Path("error"))  # .png appended; nothing is created
    PosixPath('error.png')
    >>> check_plot_path("--plot", Path("error.svg"))
    Traceback (most recent call last):
    ...
    reluapprox.errors.InvalidArgument: --plot='error.svg' is invalid: expected a file name ending in .png (or without a suffix: .png is then appended)
"""  # noqa: E501

from __future__ import annotations

import decimal
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

from reluapprox.errors import InvalidArgument

__all__ = [
    "check_file_path",
    "check_folder",
    "check_plot_path",
    "format_up",
    "write_json",
    "write_plot",
]


def format_up(value: float, digits: int = 6) -> str:
    """``value`` with ``digits`` significant digits, rounded *up* (for printed bounds).

    A bound printed rounded to nearest can fall below the proved bound.

    Examples:
        >>> format_up(0.0011111114), format_up(0.25), format_up(1e-300 / 3)
        ('0.00111112', '0.25', '3.33334e-301')
    """
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    exact = decimal.Decimal(value)  # the float's exact value
    exponent = exact.adjusted() - digits + 1
    rounded = exact.quantize(decimal.Decimal(1).scaleb(exponent), rounding=decimal.ROUND_CEILING)
    return f"{float(rounded):.{digits}g}"  # prints the digits of ``rounded`` exactly


def _refuse(option: str, path: Path, expected: str) -> InvalidArgument:
    return InvalidArgument(f"{option}={str(path)!r} is invalid: expected {expected}")


def _unwritable(option: str, path: Path, error: OSError) -> InvalidArgument:
    reason = error.strerror or str(error)
    return _refuse(option, path, f"a writable path ({type(error).__name__}: {reason})")


def _check_creatable(option: str, path: Path) -> None:
    """Refuse ``path`` if its nearest existing ancestor is a file or not writable.

    Nothing is created: a command that fails later leaves no empty folders behind.
    """
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise _refuse(option, path, f"a writable path ({str(ancestor)!r} is a file, not a folder)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise _refuse(
            option, path, f"a writable path (no permission to write in {str(ancestor)!r})"
        )


def check_file_path(option: str, path: Path) -> Path:
    """``path`` if it can name a file to write (not a folder, in a writable place)."""
    if path.is_dir():
        raise _refuse(option, path, "a file path, not an existing folder")
    _check_creatable(option, path)
    return path


def check_plot_path(option: str, path: Path) -> Path:
    """The PNG file :func:`reluapprox.plotting.save_figure` will write for ``path``."""
    from reluapprox.plotting import png_path

    try:
        out = png_path(path)
    except InvalidArgument as error:
        message = str(error)
        raise InvalidArgument(option + message[len("path") :]) from None
    return check_file_path(option, out)


def check_folder(option: str, path: Path) -> Path:
    """``path`` if it is a folder or can be created as one (it is not created here)."""
    if path.exists() and not path.is_dir():
        raise _refuse(option, path, "a folder (this path is a file)")
    if not path.exists():
        _check_creatable(option, path)
    return path


def write_json(option: str, path: Path, payload: object) -> Path:
    """Write ``payload`` as indented JSON to ``path`` (creating folders); return the path."""
    check_file_path(option, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2) + "\n")
    except OSError as error:
        raise _unwritable(option, path, error) from error
    return path


def write_plot(option: str, path: Path, plot: Callable[[Path], Path]) -> Path:
    """Run ``plot(path)`` (a ``plot_*`` function of the library); return the path written."""
    target = check_plot_path(option, path)
    try:
        return plot(target)
    except InvalidArgument as error:
        if isinstance(error.__cause__, OSError):
            raise _unwritable(option, target, error.__cause__) from error
        raise
    except OSError as error:
        raise _unwritable(option, target, error) from error
