"""Argument validation helpers.

Each ``check_*`` helper raises :class:`~reluapprox.errors.InvalidArgument` with a
message of the form ``name=value!r is invalid: expected ...`` and otherwise returns
the (normalised) value, so call sites read ``eps = check_positive_finite("eps", eps)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import NoReturn

from reluapprox.errors import InvalidArgument

__all__ = [
    "check_choice",
    "check_finite_real",
    "check_interval",
    "check_positive_finite",
    "check_positive_int",
    "check_rational",
    "check_type",
    "fail",
]


def fail(name: str, value: object, expected: str) -> NoReturn:
    """Raise :class:`InvalidArgument` for ``name=value`` with what is ``expected``."""
    shown = repr(value)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    raise InvalidArgument(f"{name}={shown} is invalid: expected {expected}")


def _is_real_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_finite_real(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number."""
    if not _is_real_number(value):
        fail(name, value, "a finite real number (int, float or Fraction)")
    try:
        result = float(value)  # type: ignore[arg-type]
    except OverflowError:  # e.g. the int 10**400 or a huge Fraction
        fail(name, value, "a real number within the float64 range (|x| < 1.8e308)")
    if not math.isfinite(result):
        fail(name, value, "a finite real number (not NaN or infinity)")
    return result


def check_positive_finite(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number > 0."""
    result = check_finite_real(name, value)
    if not result > 0:
        fail(name, value, "a finite real number > 0")
    return result


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an ``int`` (not ``bool``) with ``value >= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(name, value, f"an integer >= {minimum}")
    result = int(value)
    if result < minimum:
        fail(name, value, f"an integer >= {minimum}")
    return result


def check_rational(name: str, value: object) -> Fraction:
    """Convert a finite int, Fraction, float or numpy scalar to a Fraction, exactly.

    Floats are converted with ``Fraction(float)``, which is exact: the result is the
    binary rational the float stores, not its shortest decimal.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or not _is_real_number(value):
        fail(name, value, "a finite real number (int, float or Fraction)")
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    as_float = float(value)  # type: ignore[arg-type]
    if not math.isfinite(as_float):
        fail(name, value, "a finite real number (not NaN or infinity)")
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    return Fraction(as_float)


def check_interval(name: str, value: object) -> tuple[float, float]:
    """Return ``(a, b)`` if ``value`` is a pair of finite reals with ``a < b``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        fail(name, value, "a pair (a, b) of finite real numbers with a < b")
    a = check_finite_real(f"{name}[0]", value[0])
    b = check_finite_real(f"{name}[1]", value[1])
    if not a < b:
        fail(name, value, "a pair (a, b) of finite real numbers with a < b")
    if not math.isfinite(b - a):
        fail(name, value, "a pair (a, b) with a < b and a width b - a below 1.8e308 (float64)")
    return a, b


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (a string), listing them otherwise."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        fail(name, value, "one of " + ", ".join(repr(c) for c in options))
    return value


def check_type(name: str, value: object, types: type | tuple[type, ...], expected: str) -> None:
    """Raise unless ``isinstance(value, types)``; ``expected`` describes the accepted types."""
    if not isinstance(value, types):
        fail(name, value, expected)
