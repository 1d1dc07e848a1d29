"""Example tests of reluapprox.deep, reluapprox.pieces and reluapprox.analytic."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from reluapprox.analytic import approximate_deep, chebyshev_polynomial
from reluapprox.deep import bernstein_range, multiply, polynomial, schedule, square
from reluapprox.errors import BudgetExceeded, CertificationError, InvalidArgument
from reluapprox.network import ReluNetwork
from reluapprox.pieces import linear_pieces, max_error_polynomial

#: Allowed excess of a float64 evaluation over the exact bound (a few ulps of O(1) values).
FLOAT64_TOLERANCE = 1e-14


def _points(lo: Fraction, hi: Fraction, n: int, seed: int) -> list[Fraction]:
    rng = random.Random(seed)
    return [lo + (hi - lo) * Fraction(rng.randrange(10**9 + 1), 10**9) for _ in range(n)]


def test_square_must_show_1e10() -> None:
    net = square(1e-10)
    assert net.n_neurons <= 39
    assert net.n_neurons == 36
    assert net.bound < Fraction(1, 10**10)
    exact_max, exact = max_error_polynomial(net.network, [0, 0, 1], (0, 1))
    assert exact
    assert exact_max == net.bound  # the proved bound is attained: it is the exact maximum


def test_square_beats_yarotsky_at_every_eps() -> None:
    for power in range(3, 11):
        eps = 10.0**-power
        m = math.ceil((math.log2(1 / eps) - 2) / 2)  # 2**(-2m-2) <= eps
        while 2.0 ** (-2 * m - 2) >= eps:
            m += 1
        assert square(eps).n_neurons < 3 * m - 1


def test_square_on_a_general_domain() -> None:
    net = square(1e-6, domain=(-3, Fraction(1, 2)))
    assert net.bound < Fraction(1, 10**6)
    for x in _points(Fraction(-3), Fraction(1, 2), 200, 1):
        assert abs(net.network.exact([x])[0] - x * x) <= net.bound
    exact_max, exact = max_error_polynomial(net.network, [0, 0, 1], (-3, Fraction(1, 2)))
    assert exact
    assert exact_max <= net.bound


def test_multiply_must_show_1e10() -> None:
    net = multiply(1e-10)
    assert net.n_neurons <= 80
    assert net.n_neurons == 67
    assert net.network.widths[0] == 2
    rng = random.Random(2)
    for _ in range(200):
        x, y = (Fraction(rng.randrange(10**6 + 1), 10**6) for _ in range(2))
        assert abs(net.network.exact([x, y])[0] - x * y) <= net.bound < Fraction(1, 10**10)


def test_multiply_on_a_box_including_corners() -> None:
    box = ((Fraction(-2), Fraction(1)), (Fraction(3), Fraction(7, 2)))
    net = multiply(1e-5, box=box)
    corners = list(itertools.product(*box))
    inner = list(zip(_points(*box[0], 100, 3), _points(*box[1], 100, 4), strict=True))
    for x, y in corners + inner:
        assert abs(net.network.exact([x, y])[0] - x * y) <= net.bound < Fraction(1, 10**5)


def test_schedule_is_optimal_against_brute_force() -> None:
    def cost(ks: tuple[int, ...], squares: int) -> int:
        return squares * (sum(ks) - 1) + max(len(ks) - 1, 1)

    for squares in (1, 2):
        for required in (2, 5, 17, 100, 1000, 5000):
            best = min(
                cost(ks, squares)
                for m in range(1, 8)
                for ks in itertools.product(range(2, 9), repeat=m)
                if math.prod(ks) >= required
            )
            ks = schedule(required, squares=squares)
            assert math.prod(ks) >= required
            assert cost(ks, squares) == best


def test_neuron_count_matches_the_formula() -> None:
    for eps in (1e-3, 1e-7):
        net = square(eps)
        (ks,) = net.schedules
        assert net.n_neurons == sum(ks) - 1 + max(len(ks) - 1, 1)
        assert net.depth == len(ks) + 1
        product = multiply(eps)
        ks = product.schedules[0]
        assert product.n_neurons == 2 * (sum(ks) - 1) + max(len(ks) - 1, 1)


def test_polynomial_low_degrees_are_exact_affine() -> None:
    assert polynomial([3], 1e-9).bound == 0
    net = polynomial([1, Fraction(-2, 3)], 1e-9, domain=(-1, 5))
    assert net.n_neurons == 0
    assert net.bound == 0
    assert net.network.exact([Fraction(3)]) == (Fraction(-1),)


def test_polynomial_degree_5_bound_holds() -> None:
    coeffs = [Fraction(1), Fraction(-3), Fraction(0), Fraction(5, 2), Fraction(-1), Fraction(1, 3)]
    net = polynomial(coeffs, 1e-8, domain=(-2, 1))
    assert net.bound < Fraction(1, 10**8)
    for x in [*_points(Fraction(-2), Fraction(1), 100, 5), Fraction(-2), Fraction(1)]:
        p = sum(c * x**i for i, c in enumerate(coeffs))
        assert abs(net.network.exact([x])[0] - p) <= net.bound


def test_bernstein_range_encloses() -> None:
    coeffs = [Fraction(1), Fraction(-3), Fraction(2), Fraction(5)]
    lo, hi = bernstein_range(coeffs)
    for x in [Fraction(k, 50) for k in range(-50, 51)]:
        assert lo <= sum(c * x**i for i, c in enumerate(coeffs)) <= hi


def test_linear_pieces_of_a_hat() -> None:
    net = ReluNetwork([[[2], [2]], [[1, -2]]], [[0, -1], [0]])  # 2x - 4 relu(x - 1/2)
    xs, ys = linear_pieces(net, (-1, 1))
    assert xs == (-1, 0, Fraction(1, 2), 1)
    assert ys == (0, 0, 1, 0)
    with pytest.raises(BudgetExceeded, match="max_pieces=1 was hit"):
        linear_pieces(net, (-1, 1), max_pieces=1)


def test_linear_pieces_refuses_bad_input() -> None:
    with pytest.raises(InvalidArgument, match="network="):
        linear_pieces(ReluNetwork([[[1, 1]]], [[0]]), (0, 1))
    with pytest.raises(InvalidArgument, match="domain="):
        linear_pieces(square(1e-2).network, (1, 0))


def test_constructions_refuse_bad_input() -> None:
    with pytest.raises(InvalidArgument, match="eps="):
        square(0)
    with pytest.raises(InvalidArgument, match="domain="):
        square(1e-3, domain=(2, 1))
    with pytest.raises(InvalidArgument, match="box="):
        multiply(1e-3, box=((0, 1),))
    with pytest.raises(InvalidArgument, match="coeffs="):
        polynomial([], 1e-3)
    with pytest.raises(InvalidArgument, match="required="):
        schedule(0)


def test_chebyshev_to_power_form() -> None:
    assert chebyshev_polynomial([Fraction(0)] * 3 + [Fraction(1)]) == [0, -3, 0, 4]


def test_exp_must_show_1e10() -> None:
    net = approximate_deep("exp(x)", 1e-10)
    assert net.n_neurons <= 1000
    assert net.bound < Fraction(1, 10**10)
    assert net.method.startswith("proved: Chebyshev truncation")
    x = np.linspace(0, 1, 20001)
    err = np.abs(net.network(x[:, None])[:, 0] - np.exp(x))
    assert float(err.max()) <= float(net.bound) + FLOAT64_TOLERANCE


def test_deep_polynomial_expression_is_exact_polynomial_path() -> None:
    net = approximate_deep("x**2", 1e-10)
    assert net.n_neurons == 36
    assert net.method.startswith("proved: square block")


def test_non_analytic_g_is_refused() -> None:
    with pytest.raises(CertificationError, match="not analytic"):
        approximate_deep("abs(x - 1/3)", 1e-3)
    with pytest.raises(InvalidArgument, match="g="):
        approximate_deep(math.exp, 1e-3)


def test_float64_evaluation_within_bound() -> None:
    x = np.linspace(0, 1, 100001)
    net = square(1e-10)
    err = np.abs(net.network(x[:, None])[:, 0] - x * x)
    assert float(err.max()) <= float(net.bound) + FLOAT64_TOLERANCE
    product = multiply(1e-10)
    grid = np.stack([g.ravel() for g in np.meshgrid(x[::200], x[::200])], axis=1)
    err = np.abs(product.network(grid)[:, 0] - grid[:, 0] * grid[:, 1])
    assert float(err.max()) <= float(product.bound) + FLOAT64_TOLERANCE


def test_deep_eps_limits() -> None:
    with pytest.raises(InvalidArgument, match="eps=1e-20 is invalid"):
        approximate_deep("exp(x)", 1e-20)
    assert approximate_deep("x**3", 1e-20).bound < Fraction(1, 10**20)  # exact polynomial path
    coarse = approximate_deep("exp(x)", 2.0)
    assert coarse.n_neurons == 0
    assert coarse.bound < 2
