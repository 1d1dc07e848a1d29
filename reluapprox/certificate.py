"""Certificate files: the claims of reluapprox as self-contained JSON documents.

A certificate states one claim with every number as an exact rational string
``"p/q"`` (or ``"p"``), so that :mod:`reluapprox.check`, which shares no code with
the constructors, can re-prove it from the file alone (``reluapprox check FILE``).
Every document has ``"format": "reluapprox-certificate"``, ``"version": 1`` and a
``"kind"``:

- ``"approximation"``: ``target`` (an expression string in ``x``), ``domain``
  ``[a, b]``, ``eps``, ``claimed_bound`` and a 1-D ReLU ``network`` of any depth
  (``widths``, ``weights`` as nested lists, ``biases``); claim:
  ``max_{[a, b]} |g - f| <= claimed_bound < eps``. No hints are needed: the checker
  finds the breakpoints of ``f`` exactly, faster than it could read them, and
  ignores fields it does not know;
- ``"farkas"``: ``points``, ``labels`` (0/1) and ``multipliers``; claim: the labelled
  points are not linearly separable;
- ``"threshold_count"``: ``n``, ``count`` and, for every truth table ``0..2^(2^n)-1``,
  either a separator ``{"w": [...], "b": ...}`` or ``{"multipliers": [...]}``; claim:
  exactly ``count`` Boolean functions of ``n`` variables are threshold functions.

Examples:
    >>> from reluapprox import approximate
    >>> doc = approximation_certificate(approximate("exp(3*x)", 1e-3))
    >>> doc["kind"], doc["network"]["widths"], doc["domain"]
    ('approximation', [1, 79, 1], ['0', '1'])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from reluapprox._validation import check_rational, fail
from reluapprox.errors import InvalidArgument
from reluapprox.network import ReluNetwork

__all__ = [
    "FORMAT",
    "VERSION",
    "approximation_certificate",
    "farkas_certificate",
    "network_certificate",
    "threshold_certificate",
    "write_certificate",
]

FORMAT = "reluapprox-certificate"
VERSION = 1


def _q(value: object) -> str:
    """An exact rational as ``"p/q"`` (``"p"`` for integers)."""
    q = check_rational("value", value)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _header(kind: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "kind": kind}


def network_certificate(
    network: ReluNetwork,
    target: str,
    *,
    domain: Sequence[object],
    eps: object,
    bound: object,
) -> dict[str, Any]:
    """The certificate of ``max |target - network| <= bound < eps`` on ``domain``.

    Args:
        network: an exact 1-D :class:`~reluapprox.network.ReluNetwork` (any depth).
        target: the expression string ``g`` (the language of ``approximate``).
        domain: ``(a, b)``, exact rationals or floats (converted exactly).
        eps: the tolerance; bound: the claimed bound (both converted exactly).

    Raises:
        InvalidArgument: for a float network, input or output width other than 1, or
            a target that is not a string.

    Examples:
        >>> net = ReluNetwork([[[1], [1]], [[1, -2]]], [[0, Fraction(-1, 2)], [0]])
        >>> doc = network_certificate(net, "abs(x - 1/2) - 1/2", domain=(0, 1), eps=1, bound=0)
        >>> doc["network"]["weights"]
        [[['1'], ['1']], [['1', '-2']]]
    """
    if not isinstance(network, ReluNetwork) or not network.is_exact:
        fail("network", network, "an exact ReluNetwork (Fraction parameters)")
    if network.input_dim != 1 or network.output_dim != 1:
        fail("network", network, "a network from R to R (input and output width 1)")
    if not isinstance(target, str):
        fail("target", target, "an expression string in x, e.g. 'sin(2*pi*x)'")
    if len(domain) != 2:
        fail("domain", domain, "a pair (a, b)")
    return {
        **_header("approximation"),
        "target": target,
        "domain": [_q(domain[0]), _q(domain[1])],
        "eps": _q(eps),
        "claimed_bound": _q(bound),
        "network": {
            "widths": list(network.widths),
            "weights": [[[_q(v) for v in row] for row in w.tolist()] for w in network.weights],
            "biases": [[_q(v) for v in b.tolist()] for b in network.biases],
        },
    }


def approximation_certificate(result: Any) -> dict[str, Any]:
    """The certificate of an :class:`~reluapprox.approximation.Approximation`.

    Only certified results of an expression string (or a sympy expression that
    prints as one) have a certificate: a callable has no expression to re-check.

    Raises:
        InvalidArgument: for an estimated result or a callable target.
    """
    target = result.target
    if not result.certified or target.expr is None:
        fail(
            "result",
            result,
            "a certified result of an expression string (a callable or an estimated "
            "bound has no certificate)",
        )
    from reluapprox.expr import parse_expression

    try:
        same = parse_expression(target.description) == target.expr
    except InvalidArgument:
        same = False
    if not same:
        fail("result", result, "a result whose target prints as an expression string")
    shallow = result.network
    if isinstance(shallow, ReluNetwork):  # a deep result: the network as it is
        network = shallow
    else:
        network = ReluNetwork(
            [[[Fraction(1)] for _ in shallow.knots], [list(shallow.weights)]],
            [[-t for t in shallow.knots], [shallow.bias]],
            exact=True,
        )
    return network_certificate(
        network,
        target.description,
        domain=result.domain,
        eps=result.eps,
        bound=result.bound,
    )


def farkas_certificate(certificate: Any) -> dict[str, Any]:
    """The certificate of a :class:`~reluapprox.separability.FarkasCertificate`.

    Examples:
        >>> from reluapprox.separability import linear_separator
        >>> xor = linear_separator([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0])
        >>> farkas_certificate(xor.certificate)["multipliers"]
        ['1/4', '1/4', '1/4', '1/4']
    """
    return {
        **_header("farkas"),
        "points": [[_q(v) for v in p] for p in certificate.points],
        "labels": [int(y) for y in certificate.labels],
        "multipliers": [_q(v) for v in certificate.multipliers],
    }


def threshold_certificate(n: int) -> dict[str, Any]:
    """The certificate of the number of threshold functions of ``n`` variables.

    One exact LP per Boolean function (:func:`~reluapprox.separability.linear_separator`):
    a separator or Farkas multipliers for each of the ``2^(2^n)`` truth tables, so
    ``n <= 3`` takes seconds and ``n = 4`` minutes.

    Examples:
        >>> threshold_certificate(2)["count"]
        14
    """
    from reluapprox.separability import boolean_cube, linear_separator

    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 4:
        fail("n", n, "an integer in 0..4")
    cube = boolean_cube(n)
    functions: list[dict[str, Any]] = []
    for table in range(2 ** (2**n)):
        result = linear_separator(cube, [(table >> i) & 1 for i in range(2**n)])
        if result.separable:
            assert result.w is not None
            assert result.b is not None
            functions.append({"w": [_q(v) for v in result.w], "b": _q(result.b)})
        else:
            assert result.certificate is not None
            functions.append({"multipliers": [_q(v) for v in result.certificate.multipliers]})
    count = sum("w" in entry for entry in functions)
    return {**_header("threshold_count"), "n": n, "count": count, "functions": functions}


def write_certificate(document: dict[str, Any], path: str | Path) -> Path:
    """Write a certificate as compact JSON to ``path``; return the path.

    Raises:
        InvalidArgument: when the file cannot be written (the OS error is named).
    """
    out = Path(path)
    try:
        out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    except OSError as error:
        raise InvalidArgument(
            f"path={str(out)!r} is invalid: expected a writable file ({error.strerror or error})"
        ) from error
    return out
