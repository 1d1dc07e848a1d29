"""Tests of reluapprox.twolayer: Ex 1a exactly, CSV validation, training, output-layer fit."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluapprox.errors import BudgetExceeded, DataError, InvalidArgument
from reluapprox.network import ReluNetwork
from reluapprox.twolayer import (
    EX1A_LABELS,
    EX1A_POINTS,
    _loss_and_gradients,
    accuracy,
    convex_region_bound,
    ex1a_network,
    exact_accuracy,
    exact_margins,
    fit_output_layer,
    fit_threshold_rule,
    load_classification_csv,
    network_from_lines,
    plot_decision_regions,
    plot_training_loss,
    predict,
    search_max_accuracy,
    threshold_network,
    train_two_layer,
)

#: Documented in docs/twolayer.md: `reluapprox twolayer train DATA --seed 0 --restarts 20`.
DOCUMENTED_SEED = 0
DOCUMENTED_RESTARTS = 20
DOCUMENTED_TRAIN_ACCURACY = 0.92
#: The |x2|-threshold rule (Ex 1a family) on the course data: 183 of 200.
DOCUMENTED_RULE_ACCURACY = Fraction(183, 200)
#: The optimum of the 2-2-2 architecture on the course data (docs/twolayer.md): a network
#: with two-decimal parameters gets 190 of 200 right, and no 2-2-2 network gets more.
WITNESS_LINES = [["-0.49", "2.3", "0.8"], ["0.21", "-0.99", "-0.19"]]
WITNESS_OUTPUT = ["0.56", "-0.28", "-0.98"]
OPTIMUM = Fraction(190, 200)


# ------------------------------------------------------------------------- Ex 1a
def test_ex1a_network_separates_the_four_points_exactly() -> None:
    net = ex1a_network()
    assert net.is_exact
    assert net.widths == (2, 2, 2)
    for point, label in zip(EX1A_POINTS, EX1A_LABELS, strict=True):
        s1, s2 = net.exact(list(point))
        assert isinstance(s1, Fraction)
        assert isinstance(s2, Fraction)
        assert (s1 > s2) if label == 1 else (s1 < s2)
    assert net.exact([1, 0]) == (Fraction(1), Fraction(0))
    assert net.exact([0, -1]) == (Fraction(0), Fraction(1))
    assert exact_margins(net, EX1A_POINTS, EX1A_LABELS) == (1, 1, 1, 1)
    assert exact_accuracy(net, EX1A_POINTS, EX1A_LABELS) == 1


def test_exact_margins_detect_a_wrong_label_and_a_tie() -> None:
    net = ex1a_network()
    assert exact_margins(net, [(1, 0)], [2]) == (Fraction(-1),)
    assert exact_margins(net, [(0, Fraction(1, 2))], [1]) == (Fraction(0),)
    assert exact_accuracy(net, [(0.0, 0.5)], [1]) == 0


def test_threshold_network_is_the_ex1a_rule() -> None:
    net = threshold_network(Fraction(1, 3))
    assert exact_margins(net, [(5, Fraction(1, 4)), (0, Fraction(1, 2))], [1, 2]) == (
        Fraction(1, 6),
        Fraction(1, 3),
    )
    with pytest.raises(InvalidArgument, match=r"threshold=0 is invalid: expected"):
        threshold_network(0)


def test_predict_and_accuracy_in_float() -> None:
    net = ex1a_network()
    assert predict(net, [[3.0, 0.0], [0.0, 2.0], [0.0, 0.5]]).tolist() == [1, 2, 0]
    assert accuracy(net, [[3.0, 0.0], [0.0, 2.0], [0.0, 0.5]], [1, 2, 2]) == pytest.approx(2 / 3)


def test_network_from_lines_layout() -> None:
    net = network_from_lines([[1, 2, 3], [4, 5, 6]], [7, 8, 9], exact=True)
    assert net.weights[0].tolist() == [[1, 2], [4, 5]]
    assert net.biases[0].tolist() == [3, 6]
    assert net.weights[1].tolist() == [[8, 9], [0, 0]]
    assert net.biases[1].tolist() == [7, 0]
    with pytest.raises(InvalidArgument, match="output="):
        network_from_lines([[1, 2, 3]], [1, 2, 3])


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: exact_margins(ex1a_network(), [(1, 0)], [3]), r"labels=\[3\] is invalid"),
        (lambda: exact_margins(ex1a_network(), [(1, 0, 2)], [1]), r"points\[0\]="),
        (lambda: exact_margins(ReluNetwork([[[1, 1]]], [[0]]), [(1, 0)], [1]), "net="),
        (lambda: predict(ex1a_network(), [[np.nan, 0.0]]), "finite coordinates"),
        (lambda: train_two_layer(EX1A_POINTS, EX1A_LABELS, restarts=0), "restarts=0"),
        (lambda: train_two_layer(EX1A_POINTS, EX1A_LABELS, seed=-1), "seed=-1"),
        (lambda: train_two_layer(EX1A_POINTS, [1, 2]), "labels="),
        (
            lambda: fit_output_layer(
                ReluNetwork([np.ones((3, 2)), np.ones((2, 3))], [np.zeros(3), np.zeros(2)]),
                EX1A_POINTS,
                EX1A_LABELS,
            ),
            r"widths \(2, 2, 2\)",
        ),
        (
            lambda: search_max_accuracy(EX1A_POINTS, EX1A_LABELS, time_budget=0),
            "time_budget=0",
        ),
        (
            lambda: search_max_accuracy(EX1A_POINTS, EX1A_LABELS, max_candidates=0),
            "max_candidates=0",
        ),
        (lambda: convex_region_bound([(0, 0)], [0]), r"labels=\[0\]"),
    ],
)
def test_invalid_arguments(call: object, pattern: str) -> None:
    with pytest.raises(InvalidArgument, match=pattern):
        call()  # type: ignore[operator]


# ------------------------------------------------------------------------ the CSV
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_load_csv_reads_columns_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "class,x2,x1,extra\n1,0.5,-1,a\n2,1e-1,2,b\n\n")
    data = load_classification_csv(path)
    assert data.points.tolist() == [[-1.0, 0.5], [2.0, 0.1]]
    assert data.labels.tolist() == [1, 2]
    assert data.n == 2
    assert data.source == path


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("x1,x2\n1,2\n", r"line 1 \(header\): column 'class' is missing"),
        ("", "the file is empty"),
        ("x1,x2,class\n", "no data rows"),
        ("x1,x2,class\n1,0,1\n0,abc,2\n", r"line 3 \(data row 2\): x2='abc' is not a number"),
        ("x1,x2,class\n1,0,1\nnan,1,2\n", r"line 3 \(data row 2\): x1='nan' is not finite"),
        ("x1,x2,class\n1,0,1\n1,inf,2\n", r"line 3 \(data row 2\): x2='inf' is not finite"),
        ("x1,x2,class\n1,0,1\n0,1,3\n", r"line 3 \(data row 2\): class='3'; expected 1 or 2"),
        ("x1,x2,class\n1,0,1\n0,1,1.5\n", r"class='1.5'; expected 1 or 2"),
        ("x1,x2,class\n1,0,1\n0,1\n", r"line 3 \(data row 2\): 2 fields, expected 3"),
        ("x1,x2,class\n1,0,2\n0,1,2\n", r"all 2 data rows .* have class 2; expected both"),
    ],
)
def test_load_csv_rejects_bad_files(tmp_path: Path, text: str, pattern: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=pattern) as info:
        load_classification_csv(path)
    assert str(path) in str(info.value)


def test_load_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found") as info:
        load_classification_csv(tmp_path / "absent.csv")
    assert "absent.csv" in str(info.value)


# ---------------------------------------------------------------------- training
def test_training_separates_the_ex1a_points_and_is_reproducible() -> None:
    first = train_two_layer(EX1A_POINTS, EX1A_LABELS, restarts=8, steps=400, seed=3)
    second = train_two_layer(EX1A_POINTS, EX1A_LABELS, restarts=8, steps=400, seed=3)
    assert first.best_accuracy == 1.0
    assert exact_accuracy(first.best_network, EX1A_POINTS, EX1A_LABELS) == 1
    assert first.accuracies == second.accuracies
    assert np.array_equal(first.losses, second.losses)
    assert first.losses.shape == (8, 400)
    assert np.all(first.losses[:, -1] < first.losses[:, 0] + 1e-12)


def test_training_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 2))
    y = np.where(rng.random(9) < 0.5, 1.0, -1.0)
    params = [
        rng.standard_normal((2, 3, 2)),
        rng.standard_normal((2, 3)),
        rng.standard_normal((2, 2, 3)),
        rng.standard_normal((2, 2)),
    ]
    _, grads = _loss_and_gradients(params, x, y)
    step = 1e-6
    for p, grad in zip(params, grads, strict=True):
        for index in np.ndindex(p.shape):
            original = p[index]
            p[index] = original + step
            up, _ = _loss_and_gradients(params, x, y)
            p[index] = original - step
            down, _ = _loss_and_gradients(params, x, y)
            p[index] = original
            numeric = (up[index[0]] - down[index[0]]) / (2 * step)
            assert grad[index] == pytest.approx(numeric, abs=1e-7)


def test_output_fit_never_loses_accuracy() -> None:
    rng = np.random.default_rng(7)
    points = rng.standard_normal((40, 2))
    labels = np.where(points[:, 0] * points[:, 1] > 0, 1, 2)
    result = train_two_layer(points, labels, restarts=4, steps=100, seed=1)
    for net in result.networks:
        fitted = fit_output_layer(net, points, labels)
        assert exact_accuracy(fitted, points, labels) >= exact_accuracy(net, points, labels)


def test_output_fit_finds_ex1a_output_layer() -> None:
    hidden_only = ReluNetwork([[[0, 1], [0, -1]], [[0, 0], [0, 0]]], [[0, 0], [0, 0]])
    fitted = fit_output_layer(hidden_only, EX1A_POINTS, EX1A_LABELS)
    assert exact_accuracy(fitted, EX1A_POINTS, EX1A_LABELS) == 1


def test_search_on_small_data_reaches_the_optimum() -> None:
    result = search_max_accuracy(EX1A_POINTS, EX1A_LABELS, restarts=4, steps=100, time_budget=0.3)
    assert result.accuracy == 1
    assert result.candidates >= 4
    assert result.history[-1][1] == 1


def test_plots_are_written(tmp_path: Path) -> None:
    result = train_two_layer(EX1A_POINTS, EX1A_LABELS, restarts=3, steps=50, seed=0)
    regions = plot_decision_regions(
        ex1a_network(), EX1A_POINTS, EX1A_LABELS, tmp_path / "r.png", resolution=40
    )
    loss = plot_training_loss(result, tmp_path / "sub" / "l.png")
    assert regions.stat().st_size > 1000
    assert loss.stat().st_size > 1000


# ---------------------------------------------------------------- course data
def test_course_data_shape(course_csv: Path) -> None:
    data = load_classification_csv(course_csv)
    assert data.n == 200
    assert sorted(set(data.labels.tolist())) == [1, 2]


def test_training_on_course_data_reaches_documented_accuracy(course_csv: Path) -> None:
    data = load_classification_csv(course_csv)
    result = train_two_layer(
        data.points, data.labels, restarts=DOCUMENTED_RESTARTS, seed=DOCUMENTED_SEED
    )
    assert result.best_accuracy >= DOCUMENTED_TRAIN_ACCURACY
    best = result.best_network
    assert exact_accuracy(best, data.points, data.labels) == Fraction(
        round(result.best_accuracy * 200), 200
    )
    refit = fit_output_layer(best, data.points, data.labels)
    assert exact_accuracy(refit, data.points, data.labels) >= Fraction(188, 200)


def test_threshold_rule_on_course_data(course_csv: Path) -> None:
    data = load_classification_csv(course_csv)
    net, acc = fit_threshold_rule(data.points, data.labels)
    assert acc == DOCUMENTED_RULE_ACCURACY
    assert exact_accuracy(net, data.points, data.labels) == acc


def test_search_is_reproducible_with_max_candidates() -> None:
    rng = np.random.default_rng(3)
    points = rng.standard_normal((30, 2))
    labels = np.where(np.abs(points[:, 1]) < 0.5, 1, 2)
    runs = [
        search_max_accuracy(
            points, labels, restarts=3, steps=50, seed=4, time_budget=60, max_candidates=40
        )
        for _ in range(2)
    ]
    assert runs[0].network == runs[1].network
    assert runs[0].accuracy == runs[1].accuracy
    assert runs[0].candidates == 40


# ------------------------------------------------------------------ upper bound
def test_convex_region_bound_small_cases() -> None:
    assert convex_region_bound(EX1A_POINTS, EX1A_LABELS).correct == 4
    # alternating labels on a line: 1 2 1 2 -- a convex set (interval) gets 3 right
    line = convex_region_bound([(0, 0), (1, 0), (2, 0), (3, 0)], [1, 2, 1, 2])
    assert line.correct == 3
    assert line.accuracy == Fraction(3, 4)
    # a class-2 point in the middle of a class-1 square, and vice versa
    square = [(0, 0), (2, 0), (2, 2), (0, 2), (1, 1)]
    assert convex_region_bound(square, [1, 1, 1, 1, 2]).per_class == {1: 4, 2: 5}
    # duplicated points with different labels can never both be right
    assert convex_region_bound([(0, 0), (0, 0)], [1, 2]).correct == 1


def test_convex_region_bound_is_bounded() -> None:
    points = np.random.default_rng(0).standard_normal((12, 2))
    with pytest.raises(BudgetExceeded, match="12 points exceed max_points=10"):
        convex_region_bound(points, [1, 2] * 6, max_points=10)


def test_convex_region_bound_polygon_is_a_witness() -> None:
    rng = np.random.default_rng(11)
    points = rng.standard_normal((25, 2))
    labels = np.where(points[:, 0] ** 2 + points[:, 1] ** 2 < 1, 1, 2)
    bound = convex_region_bound(points, labels)
    assert bound.correct == 25  # the disk class is convex: everything can be right
    assert bound.exact_fallbacks == 0
    corners = bound.polygons[1]
    assert set(labels[list(corners)].tolist()) == {1}


def test_witness_reaches_the_optimum_exactly(course_csv: Path) -> None:
    data = load_classification_csv(course_csv)
    net = network_from_lines(
        [[Fraction(v) for v in row] for row in WITNESS_LINES],
        [Fraction(v) for v in WITNESS_OUTPUT],
        exact=True,
    )
    assert exact_accuracy(net, data.points, data.labels) == OPTIMUM


@pytest.mark.slow
def test_convex_region_bound_on_course_data(course_csv: Path) -> None:
    data = load_classification_csv(course_csv)
    bound = convex_region_bound(data.points, data.labels)
    assert bound.accuracy == OPTIMUM
    assert bound.per_class == {1: 190, 2: 186}
