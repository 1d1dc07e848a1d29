"""Deep ReLU networks with proved error bounds: ``x**2``, ``x*y`` and polynomials.

Every construction returns a :class:`DeepNetwork`: an exact
:class:`~reluapprox.network.ReluNetwork` (Fraction parameters) and a proved bound
``bound`` (a Fraction) of the largest error on the domain, with ``bound < eps``.

**Square.** Let ``L_N`` be the piecewise-linear interpolant of ``u**2`` on the mesh
``j/N`` of ``[0, 1]``; on a cell ``L_N(u) - u**2 = N**-2 phi(frac(N u))`` with
``phi(t) = t (1 - t)``, so ``0 <= L_N - u**2 <= 1/(4 N**2)``. Refining ``N`` to
``N k`` subtracts ``N**-2 psi_k(Z_N(u))``, where ``psi_k`` interpolates ``phi`` at
``j/k`` and ``Z_N`` is the zigzag with ``N`` teeth; zigzags compose
(``Z_k o Z_N = Z_{kN}``) and ``psi_k`` is symmetric, so a layer of ``k`` neurons
``relu(Z_N(u) - j/k)`` gives both ``Z_{kN}`` and the correction. A schedule
``k_1, ..., k_m`` reaches ``N = k_1 ... k_m`` (Yarotsky's network is ``k_s = 2``).

**Products** ``x*y`` use ``X Y = s_1**2 - s_2**2 + s_2 - 1/4`` with
``s_1 = (X + Y)/2``, ``s_2 = (X - Y + 1)/2`` in ``[0, 1]`` for ``X, Y`` in ``[0, 1]``;
both squares run in the same layers and share one carried accumulator, and their
one-signed errors cancel to ``|error| <= 1/(4 N**2)`` (times the box's area).

**Polynomials** use Horner's rule in ``t`` in ``[-1, 1]``; each product's box is the
range of the exact Horner remainder (Bernstein bound) enlarged by the error
already made, so that the product's bound applies (derivation on the docs page
"Depth").

Examples:
    >>> net = square(1e-10)
    >>> net.n_neurons, net.depth, net.bound < 1e-10
    (36, 9, True)
    >>> from fractions import Fraction
    >>> x = Fraction(1, 3)
    >>> abs(net.network.exact([x])[0] - x * x) <= net.bound
    True
    >>> multiply(1e-10).n_neurons
    67

References:
    D. Yarotsky, Error bounds for approximations with deep ReLU networks, *Neural
    Networks* 94 (2017) 103-114. J. A. A. Opschoor, C. Schwab, J. Zech, Exponential
    ReLU DNN expression of holomorphic maps in high dimension, *Constr. Approx.* 55
    (2022) 537-582.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reluapprox._validation import check_interval, check_positive_finite, check_rational, fail
from reluapprox.network import ReluNetwork

__all__ = [
    "DeepNetwork",
    "bernstein_range",
    "multiply",
    "plot_neuron_counts",
    "polynomial",
    "schedule",
    "square",
]

#: Largest number of zigzag layers a schedule may use.
MAX_LAYERS = 80

#: Largest number of teeth per layer a schedule may use.
MAX_TEETH = 12

#: Box endpoints of the Horner products are rounded outward to multiples of this.
BOX_GRID = Fraction(1, 2**40)


@dataclass(frozen=True)
class DeepNetwork:
    """A deep network with a proved error bound.

    Attributes:
        network: the exact network (Fraction parameters).
        bound: a proved upper bound of ``max |target - network|`` on the domain.
        method: how ``bound`` was proved, in one line.
        schedules: the teeth per layer ``(k_1, ..., k_m)`` of each square block.
        coefficients: ``c_0, ..., c_n`` of the polynomial ``p(x)`` that the network
            approximates within ``bound - remainder`` (empty for :func:`multiply`).
        remainder: a proved bound of ``|g - p|`` (0 when the target is ``p`` itself).
    """

    network: ReluNetwork
    bound: Fraction
    method: str
    schedules: tuple[tuple[int, ...], ...]
    coefficients: tuple[Fraction, ...] = ()
    remainder: Fraction = Fraction(0)

    @property
    def n_neurons(self) -> int:
        """The number of hidden neurons."""
        return sum(self.network.widths[1:-1])

    @property
    def depth(self) -> int:
        """The number of affine layers (hidden layers + 1)."""
        return self.network.depth


# --------------------------------------------------------------------- builder
class _Affine:
    """``const + sum_j terms[j] v_j`` over the units ``v_j`` of one layer (0: inputs)."""

    __slots__ = ("const", "layer", "terms")

    def __init__(
        self, layer: int, terms: dict[int, Fraction] | None = None, const: Fraction | int = 0
    ) -> None:
        self.layer = layer
        self.terms = dict(terms or {})
        self.const = Fraction(const)

    def __add__(self, other: _Affine | Fraction | int) -> _Affine:
        if not isinstance(other, _Affine):
            return _Affine(self.layer, self.terms, self.const + other)
        assert other.layer == self.layer
        terms = dict(self.terms)
        for j, c in other.terms.items():
            terms[j] = terms.get(j, Fraction(0)) + c
        return _Affine(self.layer, terms, self.const + other.const)

    def __sub__(self, other: _Affine | Fraction | int) -> _Affine:
        return self + other * -1

    def __mul__(self, c: Fraction | int) -> _Affine:
        return _Affine(self.layer, {j: v * c for j, v in self.terms.items()}, self.const * c)


def _negative_part(values: Sequence[Fraction]) -> Fraction:
    return sum((v for v in values if v < 0), Fraction(0))


def _combine(layer: int, terms: Sequence[tuple[Fraction, _Affine]], const: Fraction) -> _Affine:
    total = _Affine(layer, const=const)
    for c, a in terms:
        total = total + a * c
    return total


class _Builder:
    """Collects the pre-activations of each hidden layer."""

    def __init__(self, input_dim: int) -> None:
        self.input_dim = input_dim
        self.layers: list[list[_Affine]] = []

    def variable(self, i: int) -> _Affine:
        return _Affine(0, {i: Fraction(1)})

    def open(self) -> None:
        self.layers.append([])

    def relu(self, pre: _Affine) -> _Affine:
        assert pre.layer == len(self.layers) - 1
        self.layers[-1].append(pre)
        return _Affine(len(self.layers), {len(self.layers[-1]) - 1: Fraction(1)})

    def carry(self, value: _Affine, lower: Fraction) -> _Affine:
        """``value`` in the open layer, through ``relu(value - lower) + lower``."""
        return self.relu(value - lower) + lower

    def network(self, output: _Affine) -> ReluNetwork:
        assert output.layer == len(self.layers)
        widths = [self.input_dim, *(len(layer) for layer in self.layers)]
        weights: list[list[list[Fraction]]] = []
        biases: list[list[Fraction]] = []
        for rows, pres in ((widths[i], layer) for i, layer in enumerate(self.layers)):
            weights.append([[p.terms.get(j, Fraction(0)) for j in range(rows)] for p in pres])
            biases.append([p.const for p in pres])
        weights.append([[output.terms.get(j, Fraction(0)) for j in range(widths[-1])]])
        biases.append([output.const])
        return ReluNetwork(weights, biases, exact=True)


@dataclass(frozen=True)
class _Keep:
    """A signal carried through a block: ``value >= lower``; ``rep = (c, [c_i])`` says
    ``value = c + sum_i c_i u_i`` in the block's inputs (then layer 1 needs no neuron)."""

    value: _Affine
    lower: Fraction
    rep: tuple[Fraction, tuple[Fraction, ...]] | None = None


def _square_block(
    b: _Builder,
    inputs: Sequence[_Affine],
    weights: Sequence[Fraction],
    const: Fraction,
    linear: Sequence[Fraction],
    ks: Sequence[int],
    keep: Sequence[_Keep] = (),
) -> tuple[_Affine, list[_Affine]]:
    """``const + sum_i linear_i u_i + sum_i weights_i L_N(u_i)`` for inputs ``u_i`` in
    ``[0, 1]``, ``N = prod(ks)``, in ``len(ks)`` new layers; returns it and the kept values.

    The accumulator ``V_s = const + sum linear_i u_i + sum w_i L_{N_s}(u_i)`` is carried
    through one neuron per layer with the lower bound ``const + sum min(linear_i, 0) +
    sum min(w_i, 0)`` (``u_i`` and ``L(u_i)`` lie in ``[0, 1]``); in the last layer the
    carried value absorbs the linear part of the corrections (one neuron saved per input).
    """
    m = len(ks)
    if m == 0:
        out = _combine(
            inputs[0].layer,
            [(lin + w, u) for lin, w, u in zip(linear, weights, inputs, strict=True)],
            const,
        )
        return out, [k.value for k in keep]
    lower = const + _negative_part(linear) + _negative_part(weights)
    us = list(inputs)
    kept = [k.value for k in keep]
    value: _Affine | None = None
    h2 = Fraction(1)
    for s, k in enumerate(ks):
        last = s == m - 1
        b.open()
        first_j = 1 if last else 0
        neurons = [[b.relu(u - Fraction(j, k)) for j in range(first_j, k)] for u in us]
        layer = len(b.layers)
        slope = 1 - Fraction(1, k)
        if last:
            if value is None:  # m == 1: V_0 = const + sum (linear_i + w_i) u_i
                coefs = [lin + w * (1 - slope) for lin, w in zip(linear, weights, strict=True)]
                merged = _combine(us[0].layer, list(zip(coefs, us, strict=True)), const)
                merged_lower = const + _negative_part(coefs)
                kept = [b.carry(v, k_.lower) for v, k_ in zip(kept, keep, strict=True)]
            else:
                merged = value - _combine(
                    value.layer,
                    [(w * h2 * slope, u) for w, u in zip(weights, us, strict=True)],
                    Fraction(0),
                )
                merged_lower = lower + _negative_part([-w * h2 * slope for w in weights])
                kept = [b.carry(v, k_.lower) for v, k_ in zip(kept, keep, strict=True)]
            out = b.carry(merged, merged_lower)
            for w, row in zip(weights, neurons, strict=True):
                for n in row:
                    out = out + n * (w * h2 * Fraction(2, k))
            return out, kept
        ident = [row[0] for row in neurons]
        if value is None:
            value = _combine(
                layer,
                [(lin + w, u) for lin, w, u in zip(linear, weights, ident, strict=True)],
                const,
            )
            kept = [
                b.carry(v, k_.lower)
                if k_.rep is None
                else _combine(layer, list(zip(k_.rep[1], ident, strict=True)), k_.rep[0])
                for v, k_ in zip(kept, keep, strict=True)
            ]
        else:
            value = b.carry(value, lower)
            kept = [b.carry(v, k_.lower) for v, k_ in zip(kept, keep, strict=True)]
        new_us = []
        for w, row in zip(weights, neurons, strict=True):
            psi = row[0] * slope
            zig = row[0] * k
            for j in range(1, k):
                psi = psi - row[j] * Fraction(2, k)
                zig = zig + row[j] * (2 * k * (-1) ** j)
            value = value - psi * (w * h2)
            new_us.append(zig)
        us = new_us
        h2 /= k * k
    raise AssertionError("unreachable: the last layer returns")  # pragma: no cover


# ------------------------------------------------------------------- schedules
@functools.lru_cache(maxsize=64)
def _frontier(
    n_squares: int, kept: int, kept_rep: bool
) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """``(N, neurons, ks)`` on the Pareto front of cost against ``N = prod(ks)``.

    For ``m`` layers and ``S = sum(ks)`` the block has ``n_squares (S - 1) +
    max(m - 1, 1)`` neurons plus ``m`` per kept value (``m - 1`` if it is affine in
    the inputs and ``m >= 2``); for fixed ``m`` and ``S`` the product is largest for
    teeth as equal as possible.
    """
    options: list[tuple[int, int, tuple[int, ...]]] = [(1, 0, ())]
    for m in range(1, MAX_LAYERS + 1):
        keep_cost = kept * (m - 1 if kept_rep and m >= 2 else m)
        for total in range(2 * m, MAX_TEETH * m + 1):
            q, r = divmod(total, m)
            ks = (q + 1,) * r + (q,) * (m - r)
            n = math.prod(ks)
            cost = n_squares * (total - 1) + max(m - 1, 1) + keep_cost
            options.append((n, cost, ks))
            if n > 2**400:
                break
    options.sort(key=lambda o: (o[1], -o[0]))
    front: list[tuple[int, int, tuple[int, ...]]] = []
    for n, cost, ks in options:
        if not front or n > front[-1][0]:
            front.append((n, cost, ks))
    return tuple(front)


def schedule(required: int, *, squares: int = 1) -> tuple[int, ...]:
    """The cheapest teeth per layer ``(k_1, ..., k_m)`` with ``prod(k) >= required``.

    Cost: ``squares * (sum(k) - 1) + max(m - 1, 1)`` hidden neurons for ``squares``
    squares run side by side (0 for the empty schedule, ``N = 1``).

    Examples:
        >>> schedule(35356)  # x**2 on [0, 1] within 1e-10 (shifted by half the error)
        (4, 4, 4, 4, 4, 4, 3, 3)
        >>> schedule(2)
        (2,)
    """
    if isinstance(required, bool) or not isinstance(required, int) or required < 1:
        fail("required", required, "an integer >= 1")
    fitting = [ks for n, _, ks in _frontier(squares, 0, False) if n >= required]
    if not fitting:
        fail("required", required, f"at most {MAX_TEETH}**{MAX_LAYERS}")
    return fitting[0]


def _cost(ks: Sequence[int], squares: int) -> int:
    m = len(ks)
    return 0 if m == 0 else squares * (sum(ks) - 1) + max(m - 1, 1)


def _required(scale: Fraction, eps: Fraction) -> int:
    """The least ``N`` with ``scale / (4 N**2) < eps``."""
    n = max(1, math.isqrt(int(scale / (4 * eps))))
    while scale / (4 * n * n) >= eps:
        n += 1
    while n > 1 and scale / (4 * (n - 1) ** 2) < eps:
        n -= 1
    return n


def _rational_eps(eps: object) -> Fraction:
    return Fraction(check_positive_finite("eps", eps))


def _rational_interval(name: str, value: object) -> tuple[Fraction, Fraction]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        fail(name, value, "a pair (a, b) of finite numbers with a < b")
    lo, hi = (check_rational(f"{name}[{i}]", v) for i, v in enumerate(value))
    if not lo < hi:
        fail(name, value, "a pair (a, b) of finite numbers with a < b")
    check_interval(name, (float(lo), float(hi)))
    return lo, hi


# --------------------------------------------------------------- constructions
def square(eps: float, domain: Sequence[float | Fraction] = (0, 1)) -> DeepNetwork:
    """A deep network ``f`` with ``max |x**2 - f(x)| <= bound < eps`` on ``domain``.

    With ``u = (x - a)/w`` in ``[0, 1]``, ``x**2 = a**2 + 2 a w u + w**2 u**2``; the
    network is ``a**2 + 2 a w u + w**2 (L_N(u) - 1/(8 N**2))``, whose error lies in
    ``w**2 [-1/(8 N**2), 1/(8 N**2)]``, with the cheapest schedule reaching ``N``.

    Args:
        eps: the tolerance, > 0.
        domain: ``(a, b)``, rationals (floats are read exactly).

    Examples:
        >>> square(1e-3, domain=(-1, 2)).bound
        Fraction(1, 1152)
    """
    return polynomial([0, 0, 1], eps, domain=domain)


def multiply(
    eps: float,
    box: Sequence[Sequence[float | Fraction]] = ((0, 1), (0, 1)),
) -> DeepNetwork:
    """A deep network ``f: R^2 -> R`` with ``max |x y - f(x, y)| <= bound < eps`` on ``box``.

    Args:
        eps: the tolerance, > 0.
        box: ``((a1, b1), (a2, b2))``.

    Examples:
        >>> net = multiply(1e-6, box=((-1, 1), (0, 3)))
        >>> net.bound < 1e-6, net.network.widths[0]
        (True, 2)
    """
    eps_q = _rational_eps(eps)
    if not isinstance(box, Sequence) or len(box) != 2:
        fail("box", box, "a pair ((a1, b1), (a2, b2)) of intervals")
    (a1, b1), (a2, b2) = (_rational_interval(f"box[{i}]", iv) for i, iv in enumerate(box))
    w1, w2 = b1 - a1, b2 - a2
    ks = schedule(_required(w1 * w2, eps_q), squares=2)
    b = _Builder(2)
    out, _ = _product_block(b, b.variable(0), (a1, w1), b.variable(1), (a2, w2), ks, keep_x=False)
    n = math.prod(ks)
    bound = w1 * w2 / (4 * n * n)
    return DeepNetwork(
        network=b.network(out),
        bound=bound,
        method=(
            f"proved: polarisation x*y = s1**2 - s2**2 + s2 - 1/4 on the unit box, two square "
            f"blocks with teeth {ks} (N = {n}), one-signed errors cancel: |error| <= "
            f"w1 w2 / (4 N**2)"
        ),
        schedules=(ks, ks),
    )


def _product_block(
    b: _Builder,
    x: _Affine,
    xbox: tuple[Fraction, Fraction],
    y: _Affine,
    ybox: tuple[Fraction, Fraction],
    ks: Sequence[int],
    *,
    keep_x: bool,
) -> tuple[_Affine, _Affine | None]:
    """``x y`` for ``x`` in ``[a1, a1 + w1]``, ``y`` in ``[a2, a2 + w2]``; optionally ``x`` kept."""
    (a1, w1), (a2, w2) = xbox, ybox
    xu = (x - a1) * (1 / w1)
    yu = (y - a2) * (1 / w2)
    s1 = (xu + yu) * Fraction(1, 2)
    s2 = (xu - yu + 1) * Fraction(1, 2)
    # x y = a1 a2 + a1 w2 Y + a2 w1 X + w1 w2 (s1^2 - s2^2 + s2 - 1/4), X = s1 + s2 - 1/2,
    # Y = s1 - s2 + 1/2.
    const = a1 * a2 + a1 * w2 / 2 - a2 * w1 / 2 - w1 * w2 / 4
    linear = (a1 * w2 + a2 * w1, -a1 * w2 + a2 * w1 + w1 * w2)
    # x = a1 + w1 (s1 + s2 - 1/2): affine in the block's inputs
    keep = [_Keep(x, a1, (a1 - w1 / 2, (w1, w1)))] if keep_x else []
    out, kept = _square_block(b, [s1, s2], [w1 * w2, -w1 * w2], const, linear, ks, keep)
    return out, (kept[0] if keep_x else None)


def _power_in_t(coeffs: Sequence[Fraction], centre: Fraction, radius: Fraction) -> list[Fraction]:
    """Coefficients of ``p(centre + radius t)`` in ``t``."""
    out = [Fraction(0)] * len(coeffs)
    for i, c in enumerate(coeffs):
        for j in range(i + 1):
            out[j] += c * math.comb(i, j) * centre ** (i - j) * radius**j
    return out


def bernstein_range(coeffs: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """An enclosure ``(lo, hi)`` of ``sum_j coeffs[j] t**j`` over ``t`` in ``[-1, 1]``.

    The polynomial is written in the Bernstein basis of ``[-1, 1]``; its values are
    convex combinations of the Bernstein coefficients, whose min and max therefore
    enclose the range (exact rationals).

    Examples:
        >>> bernstein_range([Fraction(0), Fraction(0), Fraction(1)])  # t**2: [-1, 1] in fact [0, 1]
        (Fraction(-1, 1), Fraction(1, 1))
    """
    n = len(coeffs) - 1
    if n <= 0:
        c = Fraction(coeffs[0]) if coeffs else Fraction(0)
        return c, c
    u = _power_in_t(list(coeffs), Fraction(-1), Fraction(2))  # t = -1 + 2u, u in [0, 1]
    bern = [
        sum((Fraction(math.comb(k, j), math.comb(n, j)) * u[j] for j in range(k + 1)), Fraction(0))
        for k in range(n + 1)
    ]
    return min(bern), max(bern)


def _outward(lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
    g = BOX_GRID
    lo_r = Fraction(math.floor(lo / g)) * g
    hi_r = Fraction(math.ceil(hi / g)) * g
    if hi_r == lo_r:
        hi_r = lo_r + g
    return lo_r, hi_r


def _horner_plan(
    d: Sequence[Fraction], budget: Fraction
) -> tuple[list[tuple[int, ...]], list[tuple[Fraction, Fraction]], Fraction] | None:
    """Schedules and ``y`` boxes of the Horner products ``t * Q_{i+1}``, ``i = n-2 .. 0``.

    The total error ``sum_i 2 w_i / (4 N_i**2)`` (``w_i`` the width of the box of
    ``Q_{i+1}``, ``|t| <= 1`` so errors add up) is kept ``<= budget`` by a Lagrangian
    choice of schedules; returns ``None`` when no choice fits.
    """
    n = len(d) - 1
    exact_ranges = [bernstein_range(d[i + 1 :]) for i in range(n - 1)]  # q_{i+1}, i = 0..n-2
    order = list(range(n - 2, -1, -1))
    fronts = {i: _frontier(2, 0 if i == 0 else 1, True) for i in order}
    shrink = Fraction(1)
    for _ in range(12):
        goal = budget * shrink
        widths = {i: exact_ranges[i][1] - exact_ranges[i][0] + BOX_GRID * 8 for i in order}

        def pick(
            lam: float, i: int, widths: dict[int, Fraction] = widths
        ) -> tuple[int, int, tuple[int, ...]]:
            scale = lam * float(widths[i]) / 2
            return min(fronts[i], key=lambda o: o[1] + scale / o[0] ** 2)

        lo_lam, hi_lam = 1e-3, 1e30
        for _ in range(200):
            lam = math.sqrt(lo_lam * hi_lam)
            err = sum(2 * widths[i] / (4 * Fraction(pick(lam, i)[0]) ** 2) for i in order)
            if err <= goal:
                hi_lam = lam
            else:
                lo_lam = lam
            if hi_lam / lo_lam < 1.0001:
                break
        chosen = {i: pick(hi_lam, i) for i in order}
        # greedy: step a product down the front while the budget still holds
        improved = True
        while improved:
            improved = False
            for i in order:
                front = fronts[i]
                pos = front.index(chosen[i])
                if pos == 0:
                    continue
                trial = dict(chosen)
                trial[i] = front[pos - 1]
                err = sum(2 * widths[j] / (4 * Fraction(trial[j][0]) ** 2) for j in order)
                if err <= goal:
                    chosen = trial
                    improved = True
        # the actual boxes, enlarged by the errors already made
        error = Fraction(0)
        boxes: list[tuple[Fraction, Fraction]] = []
        plans: list[tuple[int, ...]] = []
        for i in order:
            lo, hi = _outward(exact_ranges[i][0] - error, exact_ranges[i][1] + error)
            boxes.append((lo, hi))
            nn = chosen[i][0]
            plans.append(chosen[i][2])
            error += 2 * (hi - lo) / (4 * nn * nn)
        if error < budget:
            return plans, boxes, error
        shrink *= Fraction(9, 10)
    return None


def polynomial(
    coeffs: Sequence[float | Fraction],
    eps: float,
    domain: Sequence[float | Fraction] = (0, 1),
) -> DeepNetwork:
    """A deep network ``f`` with ``max |p - f| <= bound < eps`` for ``p(x) = sum_i c_i x**i``.

    Degree <= 1: exact affine map (no hidden layer). Degree 2: one square block
    (shifted by half its one-signed error). Degree ``n >= 3``: Horner's rule in
    ``t = (x - c)/r`` in ``[-1, 1]``, ``Q_{n-1} = d_{n-1} + d_n t`` exact and
    ``Q_i = d_i + M_i(t, Q_{i+1})`` with product blocks ``M_i``; the error obeys
    ``e_i <= e_{i+1} + 2 w_i / (4 N_i**2)``.

    Args:
        coeffs: ``c_0, c_1, ..., c_n`` (rationals; floats read exactly).
        eps: the tolerance, > 0.
        domain: ``(a, b)``.

    Raises:
        InvalidArgument: for bad input.
        BudgetExceeded: when no schedule fits (``eps`` far below the coefficients' scale).

    Examples:
        >>> net = polynomial([1, -2, 0, 1], 1e-6, domain=(-1, 1))  # 1 - 2x + x**3
        >>> net.bound < 1e-6
        True
    """
    eps_q = _rational_eps(eps)
    if isinstance(coeffs, (str, bytes)) or not isinstance(coeffs, Sequence) or not coeffs:
        fail("coeffs", coeffs, "a non-empty sequence of rational coefficients c_0, c_1, ...")
    cs = [check_rational(f"coeffs[{i}]", c) for i, c in enumerate(coeffs)]
    a, b = _rational_interval("domain", domain)
    centre, radius = (a + b) / 2, (b - a) / 2
    d = _power_in_t(cs, centre, radius)
    while len(d) > 1 and d[-1] == 0:
        d.pop()
    builder = _Builder(1)
    t = (builder.variable(0) - centre) * (1 / radius)
    n = len(d) - 1
    if n <= 1:
        out = t * (d[1] if n == 1 else 0) + d[0]
        return DeepNetwork(builder.network(out), Fraction(0), "exact: affine", (), tuple(cs))
    if n == 2:
        # t = 2u - 1: p = d0 - d1 + d2 + (2 d1 - 4 d2) u + 4 d2 u^2, error 4 d2 [0, 1/(4N^2)]
        scale = 4 * abs(d[2])
        ks = schedule(_required(scale / 2, eps_q))
        nn = math.prod(ks)
        half = 4 * d[2] / (8 * nn * nn)
        u = (t + 1) * Fraction(1, 2)
        out, _ = _square_block(
            builder, [u], [4 * d[2]], d[0] - d[1] + d[2] - half, [2 * d[1] - 4 * d[2]], ks
        )
        bound = scale / (8 * nn * nn)
        return DeepNetwork(
            builder.network(out),
            bound,
            f"proved: square block with teeth {ks} (N = {nn}) interpolates u**2 on the mesh "
            f"1/N (error in [0, 1/(4 N**2)]), shifted by half: |error| <= 4|d2| / (8 N**2)",
            (ks,),
            tuple(cs),
        )
    plan = _horner_plan(d, eps_q)
    if plan is None:
        from reluapprox.errors import BudgetExceeded

        raise BudgetExceeded(f"eps={eps!r}: no schedule of at most {MAX_LAYERS} layers fits")
    plans, boxes, error = plan
    q = t * d[n] + d[n - 1]
    for step, (ks, (lo, hi)) in enumerate(zip(plans, boxes, strict=True)):
        i = n - 2 - step
        product, kept = _product_block(
            builder, t, (Fraction(-1), Fraction(2)), q, (lo, hi - lo), ks, keep_x=i > 0
        )
        q = product + d[i]
        if kept is not None:
            t = kept
    return DeepNetwork(
        builder.network(q),
        error,
        f"proved: Horner's rule in t in [-1, 1], degree {n}, {n - 1} product blocks with "
        "boxes from Bernstein ranges enlarged by the errors so far; e_i <= e_(i+1) + "
        "2 w_i / (4 N_i**2)",
        tuple(ks for ks in plans for _ in range(2)),
        tuple(cs),
    )


def plot_neuron_counts(
    panels: Mapping[str, Mapping[str, Sequence[tuple[float, float]]]],
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Log-log plot of hidden neurons against ``eps``, one panel per target function.

    Args:
        panels: ``{panel title: {curve label: [(eps, neurons), ...]}}``; curves with the
            same label get the same colour in every panel.
        path: the PNG file to write.
        title: the figure title.

    Returns:
        The path of the PNG written.
    """
    from reluapprox.plotting import new_figure, save_figure

    if not panels:
        fail("panels", panels, "at least one panel")
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    figure = new_figure(nrows=nrows, ncols=ncols, size=(4.2 * ncols, 3.4 * nrows))
    labels = sorted({label for curves in panels.values() for label in curves})
    styles = {label: (f"C{i}", "os^vDx*"[i % 7]) for i, label in enumerate(labels)}
    for axes, (name, curves) in zip(figure.axes, panels.items(), strict=False):
        for label, points in curves.items():
            if not points:
                continue
            eps, neurons = zip(*sorted(points), strict=True)
            color, marker = styles[label]
            axes.loglog(eps, neurons, marker=marker, ms=4, lw=1.2, color=color, label=label)
        axes.invert_xaxis()
        axes.set_title(name, fontsize="medium")
        axes.set_xlabel("eps")
        axes.set_ylabel("hidden neurons")
        axes.grid(True, which="major", lw=0.3)
    for axes in figure.axes[len(panels) :]:
        axes.set_axis_off()
    handles, names = figure.axes[0].get_legend_handles_labels()
    for axes in figure.axes[1 : len(panels)]:
        for handle, name in zip(*axes.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4))
    if title:
        figure.suptitle(title)
    return save_figure(figure, path)
