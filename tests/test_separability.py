"""Example tests of perceptrons, exact linear separability and threshold functions."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluapprox import (
    LOGIC_GATES,
    InvalidArgument,
    count_threshold_functions,
    linear_separator,
    perceptron,
    threshold_functions,
)
from reluapprox.errors import BudgetExceeded
from reluapprox.separability import (
    FarkasCertificate,
    _phase_one,
    boolean_cube,
    plot_separation,
    truth_table_labels,
    weight_bound,
)

SQUARE = [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize(
    ("gate", "truth"),
    [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0])],
)
def test_logic_gates_with_the_sheets_parameters(gate: str, truth: list[int]) -> None:
    w, b = LOGIC_GATES[gate]
    assert [perceptron(x, w, b) for x in SQUARE] == truth


def test_sheet_parameters_are_the_published_ones() -> None:
    assert LOGIC_GATES["OR"] == ((1, 1), -1)
    assert LOGIC_GATES["NAND"] == ((-1, -1), Fraction(3, 2))
    assert LOGIC_GATES["AND"] == ((1, 1), -2)


def test_perceptron_uses_greater_or_equal() -> None:
    assert perceptron([1], [1], -1) == 1  # w·x + b = 0 -> class 1
    assert perceptron([0.5], [2.0], -1.0000000000000002) == 0


def test_xor_certificate() -> None:
    result = linear_separator(SQUARE, [0, 1, 1, 0])
    assert not result.separable
    assert result.w is None
    assert result.b is None
    certificate = result.certificate
    assert certificate is not None
    assert certificate.multipliers == (Fraction(1, 4),) * 4
    assert certificate.verify()
    assert certificate.common_point() == (Fraction(1, 2), Fraction(1, 2))
    assert result.verify(SQUARE, [0, 1, 1, 0])


def test_tampered_certificates_are_rejected() -> None:
    good = linear_separator(SQUARE, [0, 1, 1, 0]).certificate
    assert good is not None
    quarter = Fraction(1, 4)
    cases = [
        (quarter, quarter, quarter, Fraction(1, 3)),  # sums no longer cancel
        (Fraction(0),) * 4,  # sum of multipliers is 0
        (-quarter, -quarter, -quarter, -quarter),  # negative multipliers
    ]
    for multipliers in cases:
        bad = FarkasCertificate(good.points, good.labels, multipliers)
        assert not bad.verify()
    assert not FarkasCertificate(good.points, (0, 1, 1, 1), good.multipliers).verify()
    assert not FarkasCertificate(good.points, good.labels, (0.25,) * 4).verify()  # type: ignore[arg-type]


def test_xnor_and_duplicate_points() -> None:
    assert not linear_separator(SQUARE, [1, 0, 0, 1]).separable
    twice = linear_separator([(1, 2), (1, 2)], [0, 1])
    assert not twice.separable
    assert twice.certificate is not None
    assert twice.certificate.multipliers == (Fraction(1, 2), Fraction(1, 2))


def test_separator_classifies_every_point() -> None:
    points = [(0, 0), (2, 1), (1, 3), (-1, 2), (3, -1)]
    labels = [0, 1, 1, 0, 1]
    result = linear_separator(points, labels)
    assert result.separable
    assert result.w is not None
    assert result.b is not None
    assert all(isinstance(v, Fraction) for v in (*result.w, result.b))
    assert [perceptron(p, result.w, result.b) for p in points] == labels
    assert result.verify(points, labels)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0, 0]])
def test_one_class_is_separable(labels: list[int]) -> None:
    points = [(0,), (1,), (5,)]
    result = linear_separator(points, labels)
    assert result.separable
    assert result.verify(points, labels)


def test_dimension_zero_and_numpy_input() -> None:
    assert linear_separator([()], [1]).separable
    result = linear_separator(np.array([[0.0], [1.0], [0.5]]), np.array([0, 1, 0]))
    assert result.separable
    assert linear_separator([[0.0], [1.0], [0.5]], [0, 1, 1.0]).separable


def test_phase_one_finds_feasible_point_and_duals() -> None:
    one = Fraction(1)
    solution, _ = _phase_one([[one, one]], [Fraction(3)])
    assert solution is not None
    assert sum(solution) == 3
    infeasible, duals = _phase_one([[one, one], [one, one]], [one, Fraction(2)])
    assert infeasible is None
    # optimal duals certify infeasibility: matrix.T @ y <= 0 and rhs @ y > 0
    assert duals[0] + duals[1] <= 0
    assert duals[0] + 2 * duals[1] > 0


def test_counts_reproduce_the_published_sequence() -> None:
    assert [count_threshold_functions(n) for n in range(5)] == [2, 4, 14, 104, 1882]


def test_count_for_five_variables() -> None:
    assert count_threshold_functions(5) == 94572


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_enumeration_equals_brute_force_lp(n: int) -> None:
    assert threshold_functions(n, method="weights") == threshold_functions(n, method="lp")


def test_two_variable_threshold_functions_are_all_but_xor_and_xnor() -> None:
    assert threshold_functions(2) == frozenset(range(16)) - {0b0110, 0b1001}


def test_weight_bound_makes_integer_weights_suffice() -> None:
    assert [weight_bound(n) for n in range(6)] == [0, 2, 2, 4, 6, 13]
    # every threshold function of 3 variables has integer weights in [-K, K]^3
    k = weight_bound(3)
    cube = [tuple((i >> j) & 1 for j in range(3)) for i in range(8)]  # as boolean_cube(3)
    assert boolean_cube(3) == tuple(cube)
    found = set()
    for w in itertools.product(range(-k, k + 1), repeat=3):
        sums = sorted({sum(wi * xi for wi, xi in zip(w, x, strict=True)) for x in cube})
        for theta in [*sums, max(sums) + 1]:
            found.add(
                sum(
                    1 << i
                    for i, x in enumerate(cube)
                    if sum(wi * xi for wi, xi in zip(w, x, strict=True)) >= theta
                )
            )
    assert found == threshold_functions(3)


def test_truth_table_labels() -> None:
    assert truth_table_labels(0b1000, 2) == (0, 0, 0, 1)
    with pytest.raises(InvalidArgument, match=r"table=16 is invalid"):
        truth_table_labels(16, 2)


@pytest.mark.parametrize(
    ("points", "labels", "match"),
    [
        ([], [], r"points=\[\] is invalid: expected a non-empty sequence"),
        ([(0, 0), (1,)], [0, 1], r"points\[1\]=\(1,\) is invalid: expected 2 coordinates"),
        ([(0,), (1,)], [0], r"labels=\[0\] is invalid: expected 2 labels"),
        ([(0,), (1,)], [0, 2], r"labels\[1\]=2 is invalid: expected a label in \{0, 1\}"),
        ([(0,), (1,)], [0, float("nan")], r"labels\[1\]=nan is invalid"),
        ([(0,), (float("nan"),)], [0, 1], r"points\[1\]\[0\]=nan is invalid"),
        ([(0,), ("a",)], [0, 1], r"points\[1\]\[0\]='a' is invalid"),
        ("ab", [0, 1], r"points='ab' is invalid"),
        ([(0,), (1,)], "01", r"labels='01' is invalid"),
    ],
)
def test_bad_input(points: object, labels: object, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        linear_separator(points, labels)  # type: ignore[arg-type]


def test_bad_n_and_method() -> None:
    with pytest.raises(InvalidArgument, match=r"n=6 is invalid: expected an integer in 0\.\.5"):
        count_threshold_functions(6)
    with pytest.raises(InvalidArgument, match=r"n=5 is invalid: expected an integer in 0\.\.4"):
        count_threshold_functions(5, method="lp")
    with pytest.raises(InvalidArgument, match=r"method='simplex' is invalid: expected one of"):
        count_threshold_functions(2, method="simplex")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"n=True is invalid"):
        count_threshold_functions(True)
    with pytest.raises(InvalidArgument, match=r"w=\[1\] is invalid: expected 2 weights"):
        perceptron([0, 1], [1], 0)


def test_plot_separation(tmp_path: Path) -> None:
    out = plot_separation(SQUARE, [0, 0, 0, 1], tmp_path / "and.png")
    assert out.stat().st_size > 1000
    with pytest.raises(InvalidArgument, match="points in the plane"):
        plot_separation([(0,), (1,)], [0, 1], tmp_path / "line.png")


def test_pivot_budget() -> None:
    points = [(i, (i * 7) % 5, (i * 3) % 4) for i in range(12)]
    labels = [i % 2 for i in range(12)]
    with pytest.raises(BudgetExceeded, match=r"max_pivots=1 pivots"):
        linear_separator(points, labels, max_pivots=1)
    assert linear_separator(points, labels).verify(points, labels)
    with pytest.raises(InvalidArgument, match=r"max_pivots=0 is invalid"):
        linear_separator(points, labels, max_pivots=0)


def test_certificate_with_nan_coordinates_does_not_verify() -> None:
    nan = float("nan")
    bad = FarkasCertificate(((nan,), (nan,)), (0, 1), (Fraction(1, 2), Fraction(1, 2)))
    assert not bad.verify()
