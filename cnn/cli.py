"""Command line: ``python -m cnn {summary,train,reproduce,plot,evaluate,export}``.

Exit status: 0 on success, 1 for data or checkpoint errors (a damaged or crafted
checkpoint included), over-budget models and files that cannot be written, 2 for invalid
arguments (argparse's own convention). Every error is one line on standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from reluapprox.errors import BudgetExceeded, DataError, InvalidArgument, ReluApproxError

__all__ = ["build_parser", "main"]


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory with the four Fashion-MNIST .gz files (default: $FASHION_MNIST_DIR, "
        "then /usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where verified, decompressed files are kept in torchvision's layout "
        "(default: $XDG_CACHE_HOME/reluapprox/fashion-mnist)",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="download the files with torchvision into --data-dir (or $FASHION_MNIST_DIR) "
        "when they are not there; needs network access",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="use only the first N training and the first N test images (quick runs)",
    )


def _add_run_options(p: argparse.ArgumentParser, *, resume: str, dry_run: str) -> None:
    """The options of the commands that train: --resume, --overwrite, --dry-run, --quiet."""
    p.add_argument("--resume", action="store_true", help=resume)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even if OUT holds an earlier run (its files are replaced)",
    )
    p.add_argument("--dry-run", action="store_true", help=dry_run)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m cnn``."""
    from cnn.models import ARCHITECTURES, DEFAULT_ARCH, DEFAULT_BUDGET
    from cnn.recipes import DEFAULT_RECIPE, RECIPES
    from cnn.train import AUGMENTATIONS, OPTIMIZERS, SCHEDULES, TrainConfig

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m cnn",
        description="Fashion-MNIST classifiers with at most 500 trainable parameters.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("summary", help="print each layer's parameter count and the total")
    s.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH)
    s.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="parameter budget")
    s.add_argument("--all", action="store_true", help="list every architecture's total")

    t = sub.add_parser("train", help="train a model and write metrics, plots and checkpoint")
    _add_data_options(t)
    t.add_argument("--out", type=Path, required=True, help="output directory")
    t.add_argument("--arch", choices=sorted(ARCHITECTURES), default=defaults.arch)
    t.add_argument("--epochs", type=int, default=defaults.epochs)
    t.add_argument("--seed", type=int, default=defaults.seed)
    t.add_argument("--batch-size", type=int, default=defaults.batch_size)
    t.add_argument("--lr", type=float, default=defaults.lr, help="(maximum) learning rate")
    t.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    t.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    t.add_argument("--schedule", choices=SCHEDULES, default=defaults.schedule)
    t.add_argument("--augment", choices=AUGMENTATIONS, default=defaults.augment)
    t.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    t.add_argument(
        "--precise-bn",
        action="store_true",
        help="after every epoch, re-estimate the batch-norm statistics over the whole training "
        "set before evaluating and saving (the weights train exactly as without it)",
    )
    t.add_argument("--budget", type=int, default=defaults.budget, help="parameter budget")
    t.add_argument(
        "--distil-from",
        default=None,
        metavar="LOGITS",
        help="knowledge distillation: a teacher's logits on the training images, a tensor "
        "of shape (n_train, 10) (see benchmarks/cnn_screen.py --save-train-logits)",
    )
    t.add_argument(
        "--temperature",
        type=float,
        default=defaults.temperature,
        help="distillation temperature T",
    )
    t.add_argument(
        "--alpha",
        type=float,
        default=defaults.alpha,
        help="weight of the label loss in distillation (1 - alpha: the teacher's)",
    )
    t.add_argument(
        "--init-from",
        default=None,
        metavar="CHECKPOINT",
        help="start from the weights of another run's model.pt (its weights must fit "
        "--arch, e.g. stshift from stmirror); optimiser and schedule start afresh",
    )
    t.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads")
    t.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="K",
        help="stop after epoch K as if interrupted (continue later with --resume)",
    )
    _add_run_options(
        t,
        resume="continue from OUT/model.pt",
        dry_run="check the data and the model, print the plan, write nothing",
    )

    r = sub.add_parser(
        "reproduce",
        help="train every phase of a recipe (default: the documented run) with one command",
    )
    _add_data_options(r)
    r.add_argument("--out", type=Path, required=True, help="output directory")
    r.add_argument("--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (the documented runs used 1; others may round differently)",
    )
    _add_run_options(
        r,
        resume="continue an interrupted recipe: keep finished phases, continue the last one",
        dry_run="check the data and the models, print the phases, write nothing",
    )

    g = sub.add_parser(
        "plot", help="loss and accuracy curves of one run or of consecutive runs (--init-from)"
    )
    g.add_argument(
        "--metrics",
        type=Path,
        nargs="+",
        required=True,
        metavar="CSV",
        help="metrics.csv of each run, in order (a later run started from the one before)",
    )
    g.add_argument("--out", type=Path, required=True, help="directory for loss.png, accuracy.png")
    g.add_argument("--title", default="", help="prefix of the figure titles")

    e = sub.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint")
    _add_data_options(e)
    from cnn.evaluate import DEFAULT_CHECKPOINT

    e.add_argument(
        "--checkpoint",
        type=Path,
        default=DEFAULT_CHECKPOINT,
        help="model.pt of a run (default: the committed best weights, cnn/weights/best.pt)",
    )
    e.add_argument("--json", action="store_true", help="print one JSON object")

    x = sub.add_parser(
        "export",
        help="evaluate a run's model.pt and save its weights as DEST.pt + DEST.json",
    )
    _add_data_options(x)
    x.add_argument("--checkpoint", type=Path, required=True, help="model.pt of a run")
    x.add_argument("--dest", type=Path, required=True, help="e.g. cnn/weights/best")
    x.add_argument(
        "--precise-bn",
        action="store_true",
        help="first re-estimate the batch-norm statistics over the whole training set "
        "(in mini-batches of the run's batch size)",
    )
    return parser


def _load_data(args: argparse.Namespace) -> object:
    from cnn.data import ENV_VAR, default_cache_dir, download, load_fashion_mnist

    data_dir = args.data_dir
    if args.limit is not None and args.limit < 1:
        raise InvalidArgument(f"--limit={args.limit!r} is invalid: expected an integer >= 1")
    if args.download:
        target = data_dir or os.environ.get(ENV_VAR) or default_cache_dir() / "download"
        try:
            data = load_fashion_mnist(target, cache_dir=args.cache_dir)
        except DataError:
            download(target)
            data = load_fashion_mnist(target, cache_dir=args.cache_dir)
    else:
        data = load_fashion_mnist(data_dir, cache_dir=args.cache_dir)
    return data.limited(args.limit)


def _summary(args: argparse.Namespace) -> int:
    from cnn.models import (
        ARCHITECTURES,
        build_model,
        count_parameters,
        count_statistics,
        layer_table,
    )

    if args.budget < 1:
        raise InvalidArgument(f"--budget={args.budget!r} is invalid: expected an integer >= 1")
    if args.all:
        for name, arch in ARCHITECTURES.items():
            n = count_parameters(build_model(name, budget=None))
            mark = "" if n <= args.budget else "  (over budget)"
            print(f"{name:<10} {n:>6}{mark}  {arch.description}")
        return 0
    model = build_model(args.arch, budget=None)
    print(f"architecture {args.arch}: {ARCHITECTURES[args.arch].description}")
    print(f"{'layer':<6} {'parameters':>10}  module")
    for row in layer_table(model):
        print(f"{row.name:<6} {row.n_parameters:>10}  {row.layer}")
    total = count_parameters(model)
    print(f"{'total':<6} {total:>10}  trainable parameters (budget {args.budget})")
    stats = count_statistics(model)
    if stats:
        print(
            f"{'':<6} {stats:>10}  batch-norm running statistics (buffers estimated from "
            "the data, not trained; outside the budget)"
        )
    if total > args.budget:
        build_model(args.arch, budget=args.budget)  # raises BudgetExceeded
    return 0


def _train(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.models import build_model, count_parameters
    from cnn.train import (
        TrainConfig,
        check_batches,
        check_output_dir,
        load_initial_weights,
        load_teacher_logits,
        train,
    )

    config = TrainConfig(
        arch=args.arch,
        epochs=args.epochs,
        seed=args.seed,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        optimizer=args.optimizer,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        augment=args.augment,
        budget=args.budget,
        threads=args.threads,
        distil_from=args.distil_from,
        temperature=args.temperature,
        alpha=args.alpha,
        init_from=args.init_from,
        precise_bn=args.precise_bn,
    )
    if args.stop_after is not None and args.stop_after < 1:
        raise InvalidArgument(
            f"--stop-after={args.stop_after!r} is invalid: expected an integer >= 1"
        )
    model = build_model(config.arch, budget=config.budget)
    check_output_dir(args.out, resume=args.resume, overwrite=args.overwrite, name="--out")
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    if args.dry_run:
        # train() reads and checks these files itself before any epoch (and before it
        # creates --out); a dry run, which does not call it, checks them here
        if config.distil_from is not None:
            load_teacher_logits(config.distil_from, int(data.train_images.shape[0]))
        if config.init_from is not None and not (args.resume and (args.out / "model.pt").is_file()):
            load_initial_weights(model, config.init_from)
        check_batches(model, config, int(data.train_images.shape[0]))
        plan = {
            "dry_run": True,
            "n_parameters": count_parameters(model),
            "n_train": int(data.train_images.shape[0]),
            "n_test": int(data.test_images.shape[0]),
            "data_dir": str(data.source),
            "out": str(args.out),
            "resume": args.resume,
            "config": asdict(config),
        }
        print(json.dumps(plan, indent=2))
        return 0
    summary = train(
        config,
        data,
        args.out,
        resume=args.resume,
        progress=not args.quiet,
        stop_after=args.stop_after,
        overwrite=args.overwrite,
    )
    print(
        f"{summary['architecture']} ({summary['n_parameters']} parameters): "
        f"train accuracy {summary['train_accuracy']:.4f}, "
        f"test accuracy {summary['test_accuracy']:.4f} after {summary['epochs_done']} epochs; "
        f"outputs in {args.out}"
    )
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.models import build_model, count_parameters
    from cnn.recipes import RECIPES, phase_plan, run_recipe
    from cnn.train import check_output_dir
    from reluapprox._validation import check_positive_int

    recipe = RECIPES[args.recipe]
    check_positive_int("--seed", args.seed, minimum=0)
    check_positive_int("--threads", args.threads)
    plan = phase_plan(recipe, args.out, seed=args.seed, threads=args.threads)
    # --out itself must be a directory or a path where one can be made (resume=True: the
    # earlier-run check belongs to the phases' directories, below)
    check_output_dir(args.out, resume=True, overwrite=False, name="--out")
    n_parameters = []
    for directory, config in plan:  # every model within its budget, no run replaced
        n_parameters.append(count_parameters(build_model(config.arch, budget=config.budget)))
        check_output_dir(directory, resume=args.resume, overwrite=args.overwrite, name="--out")
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    if args.dry_run:
        phases = [
            {"out": str(directory), "n_parameters": n, "config": asdict(config)}
            for (directory, config), n in zip(plan, n_parameters, strict=True)
        ]
        print(
            json.dumps(
                {
                    "dry_run": True,
                    "recipe": recipe.name,
                    "description": recipe.description,
                    "n_train": int(data.train_images.shape[0]),
                    "n_test": int(data.test_images.shape[0]),
                    "data_dir": str(data.source),
                    "out": str(args.out),
                    "resume": args.resume,
                    "phases": phases,
                },
                indent=2,
            )
        )
        return 0
    summary = run_recipe(
        recipe,
        data,
        args.out,
        seed=args.seed,
        threads=args.threads,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(
        f"{recipe.name}: {summary['architecture']} ({summary['n_parameters']} parameters): "
        f"train accuracy {summary['train_accuracy']:.4f}, "
        f"test accuracy {summary['test_accuracy']:.4f} after {summary['epochs']} epochs in "
        f"{len(recipe.phases)} phases; model {summary['model']}, outputs in {args.out}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.evaluate import evaluate_checkpoint, format_report, load_model

    load_model(args.checkpoint)  # fail on a bad checkpoint before loading the data
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    result = evaluate_checkpoint(args.checkpoint, data)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_report(result))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from cnn.plots import chain_histories, plot_accuracy, plot_loss, read_metrics

    history, boundaries = chain_histories([read_metrics(p) for p in args.metrics])
    prefix = f"{args.title}: " if args.title else ""
    plot_loss(history, args.out / "loss.png", title=prefix + "loss", boundaries=boundaries)
    plot_accuracy(
        history, args.out / "accuracy.png", title=prefix + "accuracy", boundaries=boundaries
    )
    print(f"wrote {args.out / 'loss.png'} and {args.out / 'accuracy.png'} ({len(history)} epochs)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.evaluate import evaluate_model, export_weights, load_model
    from cnn.train import normalise, recalibrate_batch_norm

    model, ckpt = load_model(args.checkpoint)
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    if args.precise_bn:
        batch_size = int(ckpt["config"].get("batch_size", 128))
        recalibrate_batch_norm(model, normalise(data.train_images), batch_size=batch_size)
    result = evaluate_model(model, data)
    summary = {
        "architecture": ckpt["arch"],
        "n_parameters": result["n_parameters"],
        "n_statistics": result["n_statistics"],
        "train_accuracy": result["train_accuracy"],
        "test_accuracy": result["test_accuracy"],
        "train_loss": result["train_loss"],
        "test_loss": result["test_loss"],
        "n_train": result["n_train"],
        "n_test": result["n_test"],
        "epochs": ckpt["epoch"],
        "config": ckpt["config"],
        "precise_bn": args.precise_bn,
    }
    pt, js = export_weights(
        args.checkpoint, args.dest, summary=summary, model_state=model.state_dict()
    )
    print(f"wrote {pt} and {js}: test accuracy {result['test_accuracy']:.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "summary": _summary,
        "train": _train,
        "reproduce": _reproduce,
        "evaluate": _evaluate,
        "plot": _plot,
        "export": _export,
    }
    try:
        return handlers[args.command](args)
    except InvalidArgument as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (DataError, BudgetExceeded, ReluApproxError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. a --dest under a file, a full disk, no permission
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
