"""``reluapprox twolayer``: two-layer ReLU classifiers on the plane (course Ex 1)."""

from __future__ import annotations

import argparse
from pathlib import Path

from reluapprox.commands._output import check_folder, format_up, write_json, write_plot

NAME = "twolayer"
HELP = "two-layer ReLU classifiers (2-h-2): exact Ex 1a network, training on CSV data"
DESCRIPTION = """\
Networks f(x) = b2 + W2 relu(b1 + W1 x) that predict class 1 where s1 > s2 and class 2
where s1 < s2 (a tie counts as an error).

  exact    print the exact Ex 1a network separating (+-1, 0) from (0, +-1) and check
           its margins in rational arithmetic
  train    train from several random starts (full-batch Adam, fixed seed) on a CSV file
           with columns x1,x2,class; for h = 2 refit each output layer optimally;
           write params.json, loss.png and regions.png
  search   look for the most accurate 2-2-2 network within a time budget (training,
           optimal output layers, local search over the hidden lines); the accuracy
           found is recounted exactly
  bound    a certified upper bound on the accuracy of every 2-2-2 network on the data
           (one class region of a 2-2-2 network is always convex)

examples:
  reluapprox twolayer exact
  reluapprox twolayer train data.csv --seed 0 --restarts 20 --out run/
  reluapprox twolayer search data.csv --budget 60 --out best/
  reluapprox twolayer bound data.csv
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("exact", help="print and check the exact Ex 1a network")
    train = sub.add_parser("train", help="train 2-h-2 networks on a CSV file")
    search = sub.add_parser("search", help="search for the most accurate 2-2-2 network")
    bound = sub.add_parser("bound", help="certified upper bound on the 2-2-2 accuracy")
    bound.add_argument("data", type=Path, metavar="DATA.csv", help="columns x1,x2,class")
    for command in (train, search):
        command.add_argument("data", type=Path, metavar="DATA.csv", help="columns x1,x2,class")
        command.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        command.add_argument(
            "--out",
            type=Path,
            default=Path("."),
            metavar="DIR",
            help="output folder (default: current folder)",
        )
    train.add_argument(
        "--restarts", type=int, default=20, help="random starts, trained together (default 20)"
    )
    train.add_argument(
        "--steps", type=int, default=2000, help="Adam steps per restart (default 2000)"
    )
    train.add_argument(
        "--hidden",
        type=int,
        default=2,
        help="hidden width h (default 2, the course's 2-2-2 network)",
    )
    train.add_argument(
        "--learning-rate", type=float, default=0.05, help="Adam step size (default 0.05)"
    )
    train.add_argument(
        "--no-refit",
        action="store_true",
        help="keep Adam's output layer (default for h = 2: refit it optimally)",
    )
    search.add_argument(
        "--restarts",
        type=int,
        default=100,
        help="random starts before the local search (default 100)",
    )
    search.add_argument(
        "--steps", type=int, default=1500, help="Adam steps per restart (default 1500)"
    )
    search.add_argument(
        "--budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time budget of the whole search (default 60)",
    )
    search.add_argument(
        "--max-candidates",
        type=int,
        default=None,
        metavar="N",
        help="stop after N output-layer fits (for reproducible runs)",
    )


def _params(net: object, accuracy: float) -> dict[str, object]:
    from reluapprox.network import ReluNetwork

    assert isinstance(net, ReluNetwork)
    return {
        "W1": [[float(v) for v in row] for row in net.weights[0].tolist()],
        "b1": [float(v) for v in net.biases[0].tolist()],
        "W2": [[float(v) for v in row] for row in net.weights[1].tolist()],
        "b2": [float(v) for v in net.biases[1].tolist()],
        "accuracy": accuracy,
    }


def _write_json(path: Path, payload: dict[str, object]) -> None:
    print(f"wrote {write_json('--out', path, payload)}")


def _show(array: object) -> str:
    """A vector or matrix of Fractions written as ``[[0, 1/2], [0, -1]]``."""
    import numpy as np

    values = np.asarray(array, dtype=object)
    if values.ndim == 1:
        return "[" + ", ".join(str(v) for v in values.tolist()) + "]"
    return "[" + ", ".join(_show(row) for row in values) + "]"


def _exact() -> int:
    from reluapprox.twolayer import EX1A_LABELS, EX1A_POINTS, ex1a_network, exact_margins

    net = ex1a_network()
    print("Ex 1a: class 1 = (1, 0), (-1, 0); class 2 = (0, 1), (0, -1)")
    print(f"W1 = {_show(net.weights[0])}, b1 = {_show(net.biases[0])}")
    print(f"W2 = {_show(net.weights[1])}, b2 = {_show(net.biases[1])}")
    print("s1 - s2 = 1 - 2|x2|  (hidden units relu(x2), relu(-x2))")
    margins = exact_margins(net, EX1A_POINTS, EX1A_LABELS)
    for point, label, margin in zip(EX1A_POINTS, EX1A_LABELS, margins, strict=True):
        s1, s2 = net.exact(list(point))
        relation = ">" if label == 1 else "<"
        print(
            f"  x = {point}: s1 = {s1}, s2 = {s2}, class {label} needs s1 {relation} s2, "
            f"margin {margin}"
        )
    ok = all(m > 0 for m in margins)
    print(f"all four points strictly correct (exact arithmetic): {ok}; margin = {min(margins)}")
    return 0 if ok else 1


def _train(args: argparse.Namespace) -> int:
    import statistics

    from reluapprox.twolayer import (
        exact_accuracy,
        fit_output_layer,
        fit_threshold_rule,
        load_classification_csv,
        plot_decision_regions,
        plot_training_loss,
        train_two_layer,
    )

    check_folder("--out", args.out)
    data = load_classification_csv(args.data)
    result = train_two_layer(
        data.points,
        data.labels,
        hidden=args.hidden,
        restarts=args.restarts,
        steps=args.steps,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    best = result.best_network
    print(f"data: {data.n} points from {data.source}")
    print(
        f"trained {args.restarts} restarts of a 2-{args.hidden}-2 network "
        f"({best.n_parameters} parameters), {args.steps} Adam steps, seed {args.seed}, "
        f"{result.seconds:.1f} s"
    )
    print(
        f"Adam: best {100 * result.best_accuracy:.1f}% (restart {result.best_index}), "
        f"median {100 * result.median_accuracy:.1f}%"
    )
    accuracy = float(exact_accuracy(best, data.points, data.labels))
    if args.hidden == 2 and not args.no_refit:
        refits = [fit_output_layer(net, data.points, data.labels) for net in result.networks]
        scores = [float(exact_accuracy(net, data.points, data.labels)) for net in refits]
        k = max(range(len(scores)), key=lambda r: scores[r])
        print(
            f"with the output layer of each restart refitted optimally: best "
            f"{100 * scores[k]:.1f}% (restart {k}), median "
            f"{100 * statistics.median(scores):.1f}% (exact counts)"
        )
        if scores[k] > accuracy:
            best, accuracy = refits[k], scores[k]
    _, rule_accuracy = fit_threshold_rule(data.points, data.labels)
    print(f"Ex 1a construction (class 1 iff |x2| < t, best t): {100 * float(rule_accuracy):.1f}%")
    print(f"written network: accuracy {100 * accuracy:.1f}% (exact count)")
    _write_json(args.out / "params.json", _params(best, accuracy))
    loss = write_plot("--out", args.out / "loss.png", lambda out: plot_training_loss(result, out))
    print(f"wrote {loss}")
    regions = write_plot(
        "--out",
        args.out / "regions.png",
        lambda out: plot_decision_regions(best, data.points, data.labels, out),
    )
    print(f"wrote {regions}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from reluapprox.twolayer import (
        load_classification_csv,
        plot_decision_regions,
        search_max_accuracy,
    )

    check_folder("--out", args.out)
    data = load_classification_csv(args.data)
    result = search_max_accuracy(
        data.points,
        data.labels,
        restarts=args.restarts,
        steps=args.steps,
        seed=args.seed,
        time_budget=args.budget,
        max_candidates=args.max_candidates,
    )
    print(
        f"data: {data.n} points from {data.source}; seed {args.seed}, "
        f"{result.seconds:.1f} s, {result.candidates} hidden-line pairs fitted"
    )
    print(
        f"Adam restarts: best {100 * result.trained_best:.1f}%, "
        f"median {100 * result.trained_median:.1f}%"
    )
    print(f"with optimal output layers: best {100 * result.refit_best:.1f}%")
    print(
        f"after the local search: {result.accuracy} = {100 * float(result.accuracy):.1f}% "
        "(counted exactly: a certified lower bound on the best 2-2-2 accuracy)"
    )
    _write_json(args.out / "params.json", _params(result.network, float(result.accuracy)))
    path = write_plot(
        "--out",
        args.out / "regions.png",
        lambda out: plot_decision_regions(result.network, data.points, data.labels, out),
    )
    print(f"wrote {path}")
    return 0


def _bound(args: argparse.Namespace) -> int:
    from reluapprox.twolayer import convex_region_bound, load_classification_csv

    data = load_classification_csv(args.data)
    bound = convex_region_bound(data.points, data.labels)
    print(f"data: {data.n} points from {data.source}")
    for cls, count in bound.per_class.items():
        corners = ", ".join(str(i) for i in bound.polygons[cls]) or "none"
        print(
            f"  class-{cls} region convex: at most {count} correct "
            f"(optimal polygon through data rows {corners}, counted from 0)"
        )
    print(
        f"every 2-2-2 network classifies at most {bound.correct} of {bound.n} points "
        f"correctly: accuracy <= {format_up(100 * float(bound.accuracy), 4)}% (certified: exact "
        f"orientation tests, {bound.exact_fallbacks} rational fallbacks)"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status."""
    if args.action == "exact":
        return _exact()
    if args.action == "bound":
        return _bound(args)
    if args.action == "train":
        return _train(args)
    return _search(args)
