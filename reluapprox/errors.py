"""The exception hierarchy of reluapprox.

Every error that the library raises on purpose is a :class:`ReluApproxError`, so a
caller can catch the whole family with one ``except`` clause. Errors about the
caller's input are also :class:`ValueError` (or :class:`TypeError`) so that code
written against the standard library conventions keeps working.

Examples:
    >>> from reluapprox.errors import InvalidArgument, ReluApproxError
    >>> issubclass(InvalidArgument, ReluApproxError) and issubclass(InvalidArgument, ValueError)
    True
"""

from __future__ import annotations

__all__ = [
    "BudgetExceeded",
    "CertificationError",
    "DataError",
    "EvaluationError",
    "InvalidArgument",
    "InvalidExpression",
    "ReluApproxError",
]


class ReluApproxError(Exception):
    """Root of every exception raised on purpose by reluapprox and cnn."""


class InvalidArgument(ReluApproxError, ValueError):
    """An argument has a value, type or shape that the function does not accept.

    The message names the argument, repeats the value with ``repr`` and says what
    is accepted, e.g. ``eps=-1.0 is invalid: expected a finite number > 0``.
    """


class InvalidExpression(InvalidArgument):
    """A string or sympy expression cannot be used as a function of one variable."""


class EvaluationError(ReluApproxError, ArithmeticError):
    """A user function raised, returned NaN/inf/complex values or the wrong shape."""


class BudgetExceeded(ReluApproxError, RuntimeError):
    """A bounded computation hit its limit (``max_neurons``, a time budget, ...).

    The message says which limit was hit and how far the computation got.
    """


class CertificationError(ReluApproxError):
    """A claimed property (e.g. a user-given Lipschitz constant) is contradicted."""


class DataError(ReluApproxError, ValueError):
    """A data file is missing, unreadable or malformed; the message names file and row."""
