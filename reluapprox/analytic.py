"""Deep networks for analytic ``g``: a Chebyshev polynomial with a proved remainder.

:func:`approximate_deep` writes ``G(t) = g(c + r t)`` on ``t`` in ``[-1, 1]``
(``c``, ``r`` the centre and half-width of the domain), computes Chebyshev
coefficients of ``G`` in 40-digit arithmetic, truncates the series at the degree
``n`` where the estimated tail is small and rounds the coefficients to rationals,
giving an exact rational polynomial ``p``. The remainder ``|G - p|`` is then
*proved* on a subdivision of ``[-1, 1]`` by Taylor forms of order
``K =`` :data:`TAYLOR_ORDER`: on a subinterval with midpoint ``m`` and half-width
``rho``,

``|G - p| <= sum_{k<K} |(G - p)^(k)(m)| rho**k / k! + sup |(G - p)^(K)| rho**K / K!``,

where ``G^(k)(m)`` and ``G^(K)`` on the subinterval are enclosed by the interval
kernel of :mod:`reluapprox.certify` (80 bits, outward rounding) and ``p`` is
evaluated exactly (``sup |p^(K+1)| <= sum_j j!/(j-K-1)! |d_j|`` bounds ``p^(K)`` on
the subinterval). Subintervals are bisected until the bound is below the target.
:func:`reluapprox.deep.polynomial` then builds ``p`` within the rest of ``eps``;
the total bound is the sum of the two proved bounds.

Examples:
    >>> net = approximate_deep("exp(x)", 1e-6)
    >>> net.bound < 1e-6, net.n_neurons < 300
    (True, True)

References:
    L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM 2013
    (Chebyshev coefficients of analytic functions). R. E. Moore, R. B. Kearfott,
    M. J. Cloud, *Introduction to Interval Analysis*, SIAM 2009 (Taylor forms).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import mpmath
import sympy as sp
from mpmath.libmp import libmpf as lm

from reluapprox._validation import check_interval, check_positive_finite, fail
from reluapprox.certify import PRECISION, NotSmooth, compile_enclosure
from reluapprox.deep import DeepNetwork, polynomial
from reluapprox.errors import BudgetExceeded, CertificationError, EvaluationError
from reluapprox.expr import SYMBOL, as_target

__all__ = [
    "MAX_DEGREE",
    "MIN_EPS",
    "TAYLOR_ORDER",
    "approximate_deep",
    "chebyshev_polynomial",
    "remainder_bound",
]

#: Highest polynomial degree tried.
MAX_DEGREE = 120

#: Order of the Taylor forms of the remainder proof.
TAYLOR_ORDER = 5

#: Smallest tolerance for non-polynomial ``g`` (the enclosures carry 80 bits).
MIN_EPS = 1e-18

#: Subintervals the remainder proof may use before it gives up.
MAX_SUBINTERVALS = 20_000

#: Chebyshev coefficients are rounded to multiples of this.
COEFFICIENT_GRID = Fraction(1, 2**80)

#: Share of ``eps`` the polynomial's remainder may take (the network gets the rest).
REMAINDER_SHARE = Fraction(1, 10)


def _interval(lo: Fraction, hi: Fraction) -> tuple[object, object]:
    def rounded(q: Fraction, mode: str) -> object:
        return lm.mpf_div(lm.from_int(q.numerator), lm.from_int(q.denominator), PRECISION, mode)

    return rounded(lo, lm.round_floor), rounded(hi, lm.round_ceiling)


def _fraction(x: tuple[int, int, int, int]) -> Fraction | None:
    if x in (lm.finf, lm.fninf, lm.fnan):
        return None
    sign, man, exp, _ = x
    value = Fraction(man) * Fraction(2) ** exp
    return -value if sign else value


def _chebyshev_coefficients(
    expr: sp.Expr, centre: Fraction, radius: Fraction, n: int
) -> list[Fraction]:
    """The first ``n`` Chebyshev coefficients of ``G(t) = g(c + r t)`` from ``n`` points."""
    g = sp.lambdify(SYMBOL, expr, modules="mpmath")
    with mpmath.workdps(40):
        c = mpmath.mpf(centre.numerator) / centre.denominator
        r = mpmath.mpf(radius.numerator) / radius.denominator
        theta = [mpmath.pi * (j + mpmath.mpf(1) / 2) / n for j in range(n)]
        values = [mpmath.mpf(g(c + r * mpmath.cos(th))) for th in theta]
        out = []
        for k in range(n):
            s = mpmath.fsum(v * mpmath.cos(k * th) for v, th in zip(values, theta, strict=True))
            ck = 2 * s / n if k else s / n
            out.append(Fraction(int(mpmath.nint(ck * 2**80)), 2**80))
    return out


def chebyshev_polynomial(coefficients: Sequence[Fraction]) -> list[Fraction]:
    """The power-form coefficients of ``sum_k coefficients[k] T_k(t)`` (exact).

    Examples:
        >>> chebyshev_polynomial([Fraction(0), Fraction(0), Fraction(1)])  # T_2 = 2t^2 - 1
        [Fraction(-1, 1), Fraction(0, 1), Fraction(2, 1)]
    """
    out = [Fraction(0)] * len(coefficients)
    before: list[int] = []
    current = [1]
    for ck in coefficients:
        for j, v in enumerate(current):
            out[j] += ck * v
        step = [0, *(2 * v for v in current)] if before else [0, 1]
        for j, v in enumerate(before):
            step[j] -= v
        before, current = current, step
    return out


def _evaluate(coeffs: Sequence[Fraction], x: Fraction) -> Fraction:
    total = Fraction(0)
    for c in reversed(coeffs):
        total = total * x + c
    return total


def _derivative(coeffs: Sequence[Fraction]) -> list[Fraction]:
    return [i * c for i, c in enumerate(coeffs)][1:] or [Fraction(0)]


def remainder_bound(
    expr: sp.Expr,
    coeffs: Sequence[Fraction],
    centre: Fraction,
    radius: Fraction,
    target: Fraction,
) -> tuple[Fraction, int]:
    """A proved bound of ``max |g(c + r t) - p(t)|`` over ``t`` in ``[-1, 1]``.

    Taylor forms of order :data:`TAYLOR_ORDER` on an adaptive subdivision (module
    docstring); returns
    ``(bound, subintervals)`` with ``bound <= target``.

    Raises:
        CertificationError: when more than :data:`MAX_SUBINTERVALS` subintervals do
            not bring every local bound below ``target``.
    """
    t = SYMBOL
    shifted = expr.subs(
        SYMBOL,
        sp.Rational(centre.numerator, centre.denominator)
        + sp.Rational(radius.numerator, radius.denominator) * t,
    )
    order = TAYLOR_ORDER
    derivatives = [shifted]
    for _ in range(order):
        derivatives.append(sp.diff(derivatives[-1], t))
    enclosures = [compile_enclosure(d, smooth=True) for d in derivatives]
    p = [list(coeffs)]
    for _ in range(order):
        p.append(_derivative(p[-1]))
    # sup |p^(order+1)| on [-1, 1]
    s_next = sum(
        (abs(c) * math.perm(i, order + 1) for i, c in enumerate(coeffs) if i > order),
        Fraction(0),
    )

    def local(lo: Fraction, hi: Fraction) -> Fraction | None:
        m, rho = (lo + hi) / 2, (hi - lo) / 2
        point = _interval(m, m)
        total = Fraction(0)
        for k in range(order):
            low, high = (_fraction(e) for e in enclosures[k](point))  # type: ignore[arg-type]
            if low is None or high is None:
                return None
            pk = _evaluate(p[k], m)
            total += max(high - pk, pk - low) * rho**k / math.factorial(k)
        low, high = (_fraction(e) for e in enclosures[order](_interval(lo, hi)))  # type: ignore[arg-type]
        if low is None or high is None:
            return None
        pk = _evaluate(p[order], m)
        sup = max(high - (pk - s_next * rho), (pk + s_next * rho) - low)
        return total + sup * rho**order / math.factorial(order)

    pending = [(Fraction(k - 8, 8), Fraction(k - 7, 8)) for k in range(16)]
    worst = Fraction(0)
    accepted = 0
    while pending:
        lo, hi = pending.pop()
        try:
            bound = local(lo, hi)
        except NotSmooth as error:
            raise CertificationError(f"g is not analytic on the domain: {error}") from error
        if bound is not None and bound <= target:
            worst = max(worst, bound)
            accepted += 1
            continue
        if accepted + len(pending) >= MAX_SUBINTERVALS:
            raise CertificationError(
                f"the remainder of the degree-{len(coeffs) - 1} polynomial could not be proved "
                f"below {float(target):.3g} with {MAX_SUBINTERVALS} subintervals"
            )
        mid = (lo + hi) / 2
        pending += [(lo, mid), (mid, hi)]
    return worst, accepted


def approximate_deep(
    g: object,
    eps: float,
    domain: Sequence[float] = (0, 1),
) -> DeepNetwork:
    """A deep network ``f`` with ``max |g - f| <= bound < eps`` for an analytic expression ``g``.

    Polynomials (with rational coefficients) go to :func:`reluapprox.deep.polynomial`
    directly; any other expression is replaced by a Chebyshev polynomial with a proved
    remainder (module docstring), which takes at most a tenth of ``eps``.

    Args:
        g: a string or sympy expression in ``x``, analytic on ``domain``.
        eps: the tolerance, > 0.
        domain: ``(a, b)`` (floats read exactly).

    Raises:
        InvalidArgument: for a callable ``g`` or a bad ``eps``/``domain`` (also ``eps`` below
            :data:`MIN_EPS` for a non-polynomial ``g``).
        CertificationError: where ``g`` is not analytic on ``domain`` (``abs``,
            ``sqrt`` at 0, ...), or the remainder cannot be proved.
        BudgetExceeded: beyond degree :data:`MAX_DEGREE`.
    """
    eps_f = check_positive_finite("eps", eps)
    a_f, b_f = check_interval("domain", domain)
    target = as_target(g)
    if target.expr is None:
        fail("g", g, "a string or sympy expression for a deep network (callables: shallow only)")
    expr = target.expr
    a, b = Fraction(a_f), Fraction(b_f)
    eps_q = Fraction(eps_f)
    poly = _rational_polynomial(expr)
    if poly is not None:
        return polynomial(poly, eps_f, domain=(a, b))
    if eps_f < MIN_EPS:
        fail("eps", eps, f"eps >= {MIN_EPS:g} for a non-polynomial g (80-bit enclosures)")
    smooth = compile_enclosure(expr, smooth=True)
    try:
        smooth(_interval(a, b))  # type: ignore[arg-type]
    except NotSmooth as error:
        raise CertificationError(
            f"g={target.description!r} is not analytic on [{a_f!r}, {b_f!r}] ({error}); deep "
            "networks need an analytic g (use architecture='shallow')"
        ) from error
    except ArithmeticError as error:
        raise EvaluationError(f"g={target.description!r} is undefined on the domain") from error
    centre, radius = (a + b) / 2, (b - a) / 2
    share = eps_q * REMAINDER_SHARE
    points = 32
    while True:
        cheb = _chebyshev_coefficients(expr, centre, radius, points)
        tails = [sum(abs(c) for c in cheb[n + 1 :]) for n in range(points)]
        fits = [n for n in range(points // 2) if 4 * tails[n] <= share]
        if fits:
            degree = fits[0]
            break
        if points > MAX_DEGREE:
            raise BudgetExceeded(
                f"eps={eps!r}: the Chebyshev series of {target.description} needs a degree "
                f"above {MAX_DEGREE}"
            )
        points *= 2
    best: DeepNetwork | None = None
    for n in (degree, degree + 1):
        d = chebyshev_polynomial(cheb[: n + 1])
        remainder, pieces = remainder_bound(expr, d, centre, radius, share)
        budget = eps_q * (1 - Fraction(1, 10**9)) - remainder
        cs = _to_x(d, centre, radius)
        net = polynomial(cs, float(budget), domain=(a, b))
        bound = net.bound + remainder
        if not bound < eps_q:  # pragma: no cover - float(budget) rounds below budget
            continue
        method = (
            f"proved: Chebyshev truncation of degree {n} with remainder <= {float(remainder):.3g} "
            f"(Taylor forms of order {TAYLOR_ORDER}, {PRECISION}-bit interval enclosures of "
            f"g and its derivatives on {pieces} subintervals) + {net.method} "
            f"(<= {float(net.bound):.3g})"
        )
        candidate = DeepNetwork(net.network, bound, method, net.schedules, tuple(cs), remainder)
        if best is None or candidate.n_neurons < best.n_neurons:
            best = candidate
    assert best is not None
    return best


def _to_x(d: Sequence[Fraction], centre: Fraction, radius: Fraction) -> list[Fraction]:
    """Coefficients in ``x`` of ``sum_j d_j ((x - c)/r)**j``."""
    out = [Fraction(0)] * len(d)
    for j, dj in enumerate(d):
        for i in range(j + 1):
            out[i] += dj * math.comb(j, i) * (-centre) ** (j - i) / radius**j
    return out


def _rational_polynomial(expr: sp.Expr) -> list[Fraction] | None:
    """The coefficients of ``expr`` if it is a polynomial with rational coefficients."""
    if not expr.is_polynomial(SYMBOL):
        return None
    coeffs = sp.Poly(expr, SYMBOL).all_coeffs()[::-1]
    if not all(isinstance(c, sp.Rational) for c in coeffs):
        return None
    return [Fraction(int(c.p), int(c.q)) for c in coeffs]
