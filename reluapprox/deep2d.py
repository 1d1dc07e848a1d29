"""Deep ReLU networks for polynomials in ``x`` and ``y`` on a rectangle, with proved bounds.

``approximate(p, eps, domain=((a, b), (c, d)), architecture="deep")`` reaches
:func:`approximate_deep_2d` for a polynomial ``p(x, y)`` with rational coefficients.
The polynomial is grouped by powers of one variable (the one giving fewer products),

``p(x, y) = A(x) + B(y) + sum_j P_j(x) y**j``

(``A``: the monomials free of ``y``; ``B``: the pure powers of ``y``; ``P_j``: the
non-constant coefficient of ``y**j``, without its constant term), and each part is a
network of :mod:`reluapprox.deep`: ``A`` and ``B`` by :func:`~reluapprox.deep.polynomial`
(Horner products of sawtooth squares), each ``P_j(x) y**j`` by
:func:`~reluapprox.deep.multiply` composed with the networks ``P~`` of ``P_j`` and
``Y~`` of ``y**j``. The parts run side by side (identity pairs
``relu(z) - relu(-z)`` pad the shallower ones) and the output sums them.

**Bound.** With ``|P~ - P| <= e_1``, ``|Y~ - Y| <= e_2`` and the product network
within ``e_M`` of ``u v`` on the box ``[P] x [Y]`` (the exact ranges of ``P`` and
``Y``, by Bernstein coefficients, enlarged by ``e_1`` and ``e_2`` and rounded
outward, so ``P~`` and ``Y~`` stay inside it),

``|M(P~, Y~) - P Y| <= e_M + e_1 max|[Y]| + max|P| e_2``;

the bound of the sum is the sum of the parts' bounds. Every quantity is an exact
rational, so the bound is a proof for the exact network.

Examples:
    >>> res = approximate_deep_2d("x*y", 1e-10, domain=((0, 1), (0, 1)))
    >>> res.n_neurons, res.bound < 1e-10
    (67, True)
    >>> from fractions import Fraction as F
    >>> x, y = F(1, 3), F(2, 7)
    >>> abs(res.network.exact([x, y])[0] - x * y) <= res.exact_bound
    True

References:
    D. Yarotsky, Error bounds for approximations with deep ReLU networks, *Neural
    Networks* 94 (2017) 103-114.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from reluapprox._validation import check_interval, check_positive_finite, fail
from reluapprox.approximation2d import is_rectangle, parse_target_2d
from reluapprox.deep import _outward, _power_in_t, bernstein_range, multiply, polynomial
from reluapprox.errors import CertificationError
from reluapprox.expr import SYMBOL, SYMBOL_Y
from reluapprox.network import ReluNetwork

__all__ = [
    "DeepApproximation2D",
    "approximate_deep_2d",
    "polynomial_coefficients_2d",
]

#: What ``architecture="deep"`` accepts on a rectangle, for messages.
ACCEPTED = (
    "a polynomial in x and y with rational coefficients (sums of c * x**i * y**j, "
    "e.g. 'x*y', '1 + x**2*y - 3*y**3')"
)

Layers = list[tuple[list[list[Fraction]], list[Fraction]]]
Monomials = dict[tuple[int, int], Fraction]


@dataclass(frozen=True)
class DeepApproximation2D:
    """The result of :func:`approximate_deep_2d`.

    Attributes:
        network: the deep :class:`~reluapprox.network.ReluNetwork` ``R^2 -> R``
            (exact rational parameters).
        bound: ``exact_bound`` rounded up to a float, ``< eps``.
        exact_bound: the proved bound of ``max |p - f|`` on the rectangle (exact).
        certified: always ``True``.
        method: how the bound was proved, in one line.
        eps: the requested tolerance.
        domain: ``((a, b), (c, d))``.
        expr: ``p`` as a sympy expression in x and y.
        seconds: wall-clock time of the construction.
    """

    network: ReluNetwork
    bound: float
    exact_bound: Fraction
    certified: bool
    method: str
    eps: float
    domain: tuple[tuple[float, float], tuple[float, float]]
    expr: sp.Expr
    seconds: float

    @property
    def mesh(self) -> str:
        """``"deep"`` (no mesh)."""
        return "deep"

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons."""
        return sum(self.network.widths[1:-1])

    @property
    def depth(self) -> int:
        """The number of affine layers."""
        return self.network.depth

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the network's size, not its weights)."""
        return {
            "g": str(self.expr),
            "eps": self.eps,
            "domain": [list(side) for side in self.domain],
            "mesh": "deep",
            "n_neurons": self.n_neurons,
            "widths": list(self.network.widths),
            "depth": self.depth,
            "bound": self.bound,
            "certified": self.certified,
            "method": self.method,
            "seconds": self.seconds,
        }

    def __repr__(self) -> str:
        return (
            f"DeepApproximation2D({str(self.expr)!r}, n_neurons={self.n_neurons}, "
            f"depth={self.depth}, bound={self.bound:.3g} (certified), eps={self.eps:g})"
        )


def polynomial_coefficients_2d(expr: sp.Expr) -> Monomials | None:
    """``{(i, j): c}`` with ``expr = sum c x**i y**j`` (rational ``c != 0``), or ``None``
    when ``expr`` is not a polynomial in x and y with rational coefficients.

    Examples:
        >>> from reluapprox.expr import SYMBOL as x, SYMBOL_Y as y
        >>> polynomial_coefficients_2d(3 * x * y**2 - x / 2)
        {(1, 2): Fraction(3, 1), (1, 0): Fraction(-1, 2)}
        >>> polynomial_coefficients_2d(sp.sin(x) * y) is None
        True
    """
    if not expr.is_polynomial(SYMBOL, SYMBOL_Y):
        return None
    poly = sp.Poly(sp.expand(expr), SYMBOL, SYMBOL_Y)
    out: Monomials = {}
    for (i, j), c in poly.terms():
        if isinstance(c, sp.Rational):
            out[(int(i), int(j))] = Fraction(int(c.p), int(c.q))
        elif isinstance(c, sp.Float):
            out[(int(i), int(j))] = Fraction(float(c))
        else:
            return None
    return {k: v for k, v in out.items() if v != 0}


# ------------------------------------------------------------ network algebra
def _layers(net: ReluNetwork) -> Layers:
    return [
        ([[Fraction(v) for v in row] for row in w.tolist()], [Fraction(v) for v in b.tolist()])
        for w, b in zip(net.weights, net.biases, strict=True)
    ]


def _on_input(net: ReluNetwork, coordinate: int) -> Layers:
    """A network of one input as a network of ``(x, y)`` reading ``coordinate``."""
    layers = _layers(net)
    w, b = layers[0]
    layers[0] = ([[row[0] if k == coordinate else Fraction(0) for k in (0, 1)] for row in w], b)
    return layers


def _padded(layers: Layers, depth: int) -> Layers:
    """The same function with ``depth`` affine layers (identity pairs before the output)."""
    layers = list(layers)
    while len(layers) < depth:
        w, b = layers.pop()
        k = len(b)
        layers.append(([*w, *([-v for v in row] for row in w)], [*b, *(-v for v in b)]))
        eye = [[Fraction(int(i == j)) for j in range(k)] for i in range(k)]
        layers.append(([[*row, *(-v for v in row)] for row in eye], [Fraction(0)] * k))
    return layers


def _side_by_side(parts: Sequence[Layers]) -> Layers:
    """``z -> (f_1(z), ..., f_m(z))`` for networks of the same input (block diagonal)."""
    depth = max(len(p) for p in parts)
    padded = [_padded(p, depth) for p in parts]
    out: Layers = []
    for s in range(depth):
        rows: list[list[Fraction]] = []
        bias: list[Fraction] = []
        before = 0
        total = sum(len(p[s][0][0]) for p in padded) if s > 0 else 0
        for p in padded:
            w, b = p[s]
            width_in = len(w[0])
            for row in w:
                if s == 0:
                    rows.append(list(row))
                else:
                    rows.append(
                        [Fraction(0)] * before
                        + list(row)
                        + [Fraction(0)] * (total - before - width_in)
                    )
            bias += b
            before += width_in
        out.append((rows, bias))
    return out


def _then(outer: Layers, inner: Layers) -> Layers:
    """``outer o inner``: the last affine map of ``inner`` merged into the first of ``outer``."""
    (wo, bo), (wi, bi) = outer[0], inner[-1]
    merged = [
        [sum((r[k] * wi[k][j] for k in range(len(wi))), Fraction(0)) for j in range(len(wi[0]))]
        for r in wo
    ]
    bias = [sum((r[k] * bi[k] for k in range(len(bi))), b) for r, b in zip(wo, bo, strict=True)]
    return [*inner[:-1], (merged, bias), *outer[1:]]


# ---------------------------------------------------------------- the parts
def _range(
    coeffs: Sequence[Fraction], side: tuple[Fraction, Fraction]
) -> tuple[Fraction, Fraction]:
    lo, hi = side
    return bernstein_range(_power_in_t(list(coeffs), (lo + hi) / 2, (hi - lo) / 2))


def _trim(coeffs: list[Fraction]) -> list[Fraction]:
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs.pop()
    return coeffs


def _rational_tolerance(eps: Fraction) -> float:
    """A float ``<= eps`` (the constructions of :mod:`reluapprox.deep` take floats)."""
    value = float(eps)
    return value if Fraction(value) <= eps else math.nextafter(value, 0.0)


def _product(
    p: list[Fraction],
    j: int,
    eps: Fraction,
    sides: tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction]],
    order: tuple[int, int],
) -> tuple[Layers, Fraction]:
    """``P(u) v**j`` within ``< eps`` (``u``, ``v`` the inputs ``order``)."""
    (u_side, v_side), (u_at, v_at) = sides, order
    power = [Fraction(0)] * j + [Fraction(1)]
    p_lo, p_hi = _range(p, u_side)
    v_lo, v_hi = _range(power, v_side)
    p_max, v_max = max(abs(p_lo), abs(p_hi)), max(abs(v_lo), abs(v_hi))
    e1_goal = min(Fraction(1, 2), eps / (4 * (v_max + 1)))
    e2_goal = min(Fraction(1, 2), eps / (4 * (p_max + 1)))
    p_net = polynomial(p, _rational_tolerance(e1_goal), domain=u_side)
    v_net = polynomial(power, _rational_tolerance(e2_goal), domain=v_side)
    e1, e2 = p_net.bound, v_net.bound
    p_box = _outward(p_lo - e1, p_hi + e1)
    v_box = _outward(v_lo - e2, v_hi + e2)
    carried = e1 * max(abs(v_box[0]), abs(v_box[1])) + p_max * e2  # <= eps / 2
    m = multiply(_rational_tolerance(eps - carried), box=(p_box, v_box))
    error = m.bound + carried
    inner = _side_by_side([_on_input(p_net.network, u_at), _on_input(v_net.network, v_at)])
    return _then(_layers(m.network), inner), error


def _grouped(coeffs: Monomials, outer: int) -> dict[int, list[Fraction]]:
    """``{j: coefficients of P_j in the other variable}``, grouping by powers of ``outer``."""
    groups: dict[int, list[Fraction]] = {}
    for ij, c in coeffs.items():
        j, i = ij[outer], ij[1 - outer]
        row = groups.setdefault(j, [])
        row += [Fraction(0)] * (i + 1 - len(row))
        row[i] += c
    return {j: _trim(row) for j, row in groups.items()}


def _n_products(groups: dict[int, list[Fraction]]) -> int:
    return sum(1 for j, row in groups.items() if j > 0 and any(row[1:]))


def build(
    coeffs: Monomials,
    eps: Fraction,
    sides: tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction]],
) -> tuple[ReluNetwork, Fraction, str]:
    """The network, its proved bound (``< eps``) and a description, for ``sum c x**i y**j``."""
    by_y, by_x = _grouped(coeffs, 1), _grouped(coeffs, 0)
    outer = 1 if _n_products(by_y) <= _n_products(by_x) else 0
    inner_var = 1 - outer
    groups = by_y if outer == 1 else by_x
    free = groups.pop(0, [Fraction(0)])  # A: monomials free of the outer variable
    pure = [free[0]] + [Fraction(0)] * max(groups, default=0)  # B: pure powers of it
    products: list[tuple[int, list[Fraction]]] = []
    for j, row in sorted(groups.items()):
        pure[j] += row[0]
        if any(row[1:]):
            products.append((j, [Fraction(0), *row[1:]]))
    free = _trim([Fraction(0), *free[1:]])
    pure = _trim(pure)
    inexact = (len(free) > 2) + (len(pure) > 2) + len(products)
    share = eps / max(inexact, 1)
    parts: list[Layers] = []
    bound = Fraction(0)
    sides_of = (sides[inner_var], sides[outer])
    for row, side, at in ((free, sides[inner_var], inner_var), (pure, sides[outer], outer)):
        if any(row):
            net = polynomial(row, _rational_tolerance(share), domain=side)
            parts.append(_on_input(net.network, at))
            bound += net.bound
    for j, row in products:
        layers, error = _product(row, j, share, sides_of, (inner_var, outer))
        parts.append(layers)
        bound += error
    if not parts:
        zero: Layers = [([[Fraction(0), Fraction(0)]], [Fraction(0)])]
        parts.append(zero)
    ones: Layers = [([[Fraction(1)] * len(parts)], [Fraction(0)])]
    layers = _then(ones, _side_by_side(parts))
    network = ReluNetwork([w for w, _ in layers], [b for _, b in layers], exact=True)
    if not bound < eps:
        raise CertificationError(f"eps={float(eps)!r}: the proved bound {float(bound)!r} misses it")
    name = "xy"[outer]
    how = (
        f"proved: p = A + B + sum_j P_j * {name}**j grouped by powers of {name} "
        f"({len(products)} product blocks M(P~, {name}**j~) with |M(P~, Y~) - P Y| <= e_M + "
        f"e_1 max|[Y]| + max|P| e_2, boxes from Bernstein ranges; A and B by Horner squares); "
        "the bound is the sum of the parts' bounds (exact rationals)"
    )
    return network, bound, how


def approximate_deep_2d(g: object, eps: float, *, domain: object) -> DeepApproximation2D:
    """A deep ReLU network ``f: R^2 -> R`` with ``max |p - f| <= bound < eps`` on a rectangle.

    Args:
        g: a polynomial in ``x`` and ``y`` with rational coefficients (a string or a
            sympy expression).
        eps: the tolerance, a finite number > 0.
        domain: ``((a, b), (c, d))``.

    Raises:
        InvalidArgument: for a bad ``eps`` or ``domain``, or a ``g`` that is not such a
            polynomial (the message names ``architecture`` and lists what is accepted).
        BudgetExceeded: ``eps`` too small for the schedules of :mod:`reluapprox.deep`.
    """
    start = time.monotonic()
    eps = check_positive_finite("eps", eps)
    if not is_rectangle(domain):
        fail("domain", domain, "a rectangle ((a, b), (c, d)) with a < b and c < d")
    assert isinstance(domain, Sequence)
    (a, b) = check_interval("domain[0]", domain[0])
    (c, d) = check_interval("domain[1]", domain[1])
    expr = parse_target_2d(g)
    coeffs = polynomial_coefficients_2d(expr)
    if coeffs is None:
        fail(
            "architecture",
            "deep",
            f"'shallow' or 'auto' for g={str(expr)!r} on a rectangle; 'deep' accepts {ACCEPTED}",
        )
    sides = ((Fraction(a), Fraction(b)), (Fraction(c), Fraction(d)))
    network, bound, how = build(coeffs, Fraction(eps), sides)
    up = float(bound)
    if Fraction(up) < bound:
        up = math.nextafter(up, math.inf)
    return DeepApproximation2D(
        network=network,
        bound=up,
        exact_bound=bound,
        certified=True,
        method=(
            f"certified: deep network of depth {network.depth}, "
            f"{sum(network.widths[1:-1])} neurons; {how}"
        ),
        eps=eps,
        domain=((a, b), (c, d)),
        expr=expr,
        seconds=time.monotonic() - start,
    )
