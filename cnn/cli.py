"""Command line: ``python -m cnn {archs,summary,train,reproduce,plot,evaluate,export,search,
search-report}``.

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
from typing import Any

from reluapprox.errors import BudgetExceeded, DataError, InvalidArgument, ReluApproxError

__all__ = ["build_parser", "main"]


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the four Fashion-MNIST .gz files (default: $FASHION_MNIST_DIR, "
        "then /usr/share/datasets/fashion-mnist)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="verified files (default: $XDG_CACHE_HOME/reluapprox/fashion-mnist)",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="download missing files into --data-dir (needs network)",
    )
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="only the first N training and N test images (quick runs; default: all)",
    )


def _add_run_options(p: argparse.ArgumentParser, *, resume: str, dry_run: str) -> None:
    """The options of the commands that train: --resume, --overwrite, --dry-run, --quiet."""
    p.add_argument("--resume", action="store_true", help=resume)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even if OUT holds an earlier run (replaced)",
    )
    p.add_argument("--dry-run", action="store_true", help=dry_run)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


class _Formatter(argparse.HelpFormatter):
    """Every option with a value shows its default; a flag (off by default) does not."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=26, width=100)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and not (default is None or default is False or default == "")
            and default != argparse.SUPPRESS
        ):
            text += " (default: %(default)s)"
        return text


def _sub(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=help, formatter_class=_Formatter
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m cnn``."""
    from cnn.data import VAL_SEED
    from cnn.evaluate import DEFAULT_CHECKPOINT, SPLITS
    from cnn.models import DEFAULT_BUDGET, DOCUMENTED_ARCH
    from cnn.recipes import DEFAULT_RECIPE, RECIPES
    from cnn.search import DEFAULT_STORAGE, SearchSettings
    from cnn.train import SCHEDULES, TrainConfig

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m cnn",
        description="Fashion-MNIST classifiers with at most 500 trainable parameters.",
        formatter_class=_Formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _sub(sub, "archs", "list the architectures: name, trainable parameters, description")

    s = _sub(sub, "summary", "print each layer's parameter count and the totals")
    s.add_argument("--arch", default=DOCUMENTED_ARCH, metavar="NAME", help="architecture")
    s.add_argument(
        "--budget", type=int, metavar="N", default=DEFAULT_BUDGET, help="parameter budget"
    )

    t = _sub(sub, "train", "train one model (defaults: phase 1 of the documented recipe)")
    _add_data_options(t)
    t.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    t.add_argument("--arch", default=defaults.arch, metavar="NAME", help="see `archs`")
    t.add_argument("--epochs", type=int, metavar="N", default=defaults.epochs, help="epochs")
    t.add_argument("--seed", type=int, metavar="N", default=defaults.seed, help="random seed")
    t.add_argument(
        "--batch-size", type=int, metavar="N", default=defaults.batch_size, help="batch size"
    )
    t.add_argument("--lr", type=float, metavar="X", default=defaults.lr, help="peak learning rate")
    t.add_argument(
        "--weight-decay", type=float, metavar="X", default=defaults.weight_decay, help="AdamW"
    )
    t.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=defaults.schedule,
        metavar="NAME",
        help=f"learning-rate schedule: {', '.join(SCHEDULES)}",
    )
    t.add_argument(
        "--precise-bn",
        action="store_true",
        help="re-estimate batch-norm statistics after the last epoch",
    )
    t.add_argument(
        "--budget", type=int, metavar="N", default=defaults.budget, help="parameter budget"
    )
    t.add_argument(
        "--init-from",
        metavar="FILE",
        help="start from another run's model.pt (weights that fit --arch)",
    )
    t.add_argument(
        "--threads", type=int, metavar="N", default=defaults.threads, help="torch CPU threads"
    )
    t.add_argument(
        "--stop-after", type=int, metavar="K", help="stop after epoch K (continue: --resume)"
    )
    _add_trial_options(t, "the design, rate, decay, schedule and batch size of trial N")
    _add_protocol_options(t, val_seed=VAL_SEED)
    _add_run_options(
        t,
        resume="continue from OUT/model.pt",
        dry_run="check the data and the model, print the plan, write nothing",
    )

    r = _sub(sub, "reproduce", "train every phase of a recipe (default: the documented run)")
    _add_data_options(r)
    r.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    r.add_argument(
        "--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE, metavar="NAME", help="recipe"
    )
    r.add_argument("--seed", type=int, metavar="N", default=0, help="seed of every phase")
    r.add_argument("--threads", type=int, metavar="N", default=1, help="torch CPU threads")
    _add_trial_options(r, "the documented recipe for the design and settings of trial N")
    _add_protocol_options(r, val_seed=VAL_SEED)
    _add_run_options(
        r,
        resume="continue an interrupted recipe: keep finished phases, continue the last one",
        dry_run="check the data and the models, print the phases, write nothing",
    )

    g = _sub(sub, "plot", "loss and accuracy curves of one run or of consecutive runs")
    g.add_argument(
        "--metrics",
        type=Path,
        nargs="+",
        required=True,
        metavar="CSV",
        help="metrics.csv of each run, in order (a later run started from the one before)",
    )
    g.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="for loss.png, accuracy.png"
    )
    g.add_argument("--title", default="", help="prefix of the figure titles")

    e = _sub(sub, "evaluate", "accuracy and confusion matrix of a checkpoint")
    _add_data_options(e)
    e.add_argument(
        "--checkpoint",
        type=Path,
        default=DEFAULT_CHECKPOINT,
        metavar="FILE",
        help="model.pt or weights file",
    )
    e.add_argument("--split", choices=SPLITS, default="test", help="which images to score")
    e.add_argument("--json", action="store_true", help="print one JSON object")

    x = _sub(sub, "export", "evaluate a run's model.pt and save its weights as DEST.pt + .json")
    _add_data_options(x)
    x.add_argument(
        "--checkpoint", type=Path, required=True, metavar="FILE", help="a run's model.pt"
    )
    x.add_argument("--dest", type=Path, required=True, metavar="PATH", help="e.g. cnn/weights/best")
    x.add_argument(
        "--precise-bn",
        action="store_true",
        help="first re-estimate the batch-norm statistics on all training images "
        "(refused with --limit)",
    )
    x.add_argument(
        "--fold",
        action="store_true",
        help="save the deployable model: batch norm folded where exact, redundant numbers "
        "removed (cnn.fold.deployable)",
    )
    x.add_argument(
        "--protocol",
        type=Path,
        metavar="FILE",
        help="a JSON object recorded as `protocol` in DEST.json (e.g. the seeds' figures "
        "from benchmarks/cnn_seeds.py --json)",
    )

    search = SearchSettings()
    q = _sub(sub, "search", "search designs and training settings under the budget (Optuna)")
    _add_data_options(q)
    q.add_argument("--study", required=True, metavar="NAME", help="study name (resumed if found)")
    q.add_argument(
        "--storage", default=DEFAULT_STORAGE, metavar="URL", help="Optuna storage shared by workers"
    )
    q.add_argument("--trials", type=int, default=20, metavar="N", help="trained trials in all")
    q.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    q.add_argument("--budget", type=int, default=search.budget, metavar="N", help="parameters")
    q.add_argument("--epochs", type=int, default=search.epochs, metavar="E", help="per trial")
    q.add_argument("--seed", type=int, default=search.seed, metavar="N", help="training seed")
    q.add_argument("--threads", type=int, default=search.threads, metavar="N", help="per worker")
    q.add_argument(
        "--heartbeat", type=int, default=60, metavar="S", help="heartbeat of a running trial"
    )
    q.add_argument(
        "--val-size",
        type=int,
        default=search.val_size,
        metavar="N",
        help="training images held out: the objective",
    )
    q.add_argument(
        "--val-seed", type=int, metavar="N", default=VAL_SEED, help="seed of the held-out split"
    )
    q.add_argument("--quiet", action="store_true", help="no progress bars")

    w = _sub(sub, "search-report", "best trials, trials.csv and figures of a study")
    w.add_argument("--study", required=True, metavar="NAME", help="study name")
    w.add_argument("--storage", default=DEFAULT_STORAGE, metavar="URL", help="Optuna storage")
    w.add_argument("--out", type=Path, default=Path("search-report"), metavar="DIR", help="output")
    w.add_argument("--top", type=int, default=10, metavar="N", help="rows of the table")
    return parser


def _add_trial_options(p: argparse.ArgumentParser, what: str) -> None:
    """--from-trial, --study and --storage: a trial of a search study."""
    from cnn.search import DEFAULT_STORAGE

    p.add_argument("--from-trial", type=int, metavar="N", help=f"{what} of --study")
    p.add_argument("--study", metavar="NAME", help="the study of --from-trial")
    p.add_argument(
        "--storage", default=DEFAULT_STORAGE, metavar="URL", help="the storage of --study"
    )


def _add_protocol_options(p: argparse.ArgumentParser, *, val_seed: int) -> None:
    """--val-size, --val-seed and --eval-test: the validation protocol."""
    p.add_argument(
        "--val-size",
        type=int,
        default=10000,
        metavar="N",
        help="training images held out for validation (0: none)",
    )
    p.add_argument(
        "--val-seed", type=int, metavar="N", default=val_seed, help="seed of the held-out split"
    )
    p.add_argument(
        "--eval-test", action="store_true", help="score the test set after the last epoch"
    )


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


def _archs(args: argparse.Namespace) -> int:
    from cnn.fold import count_stored, deployable
    from cnn.models import ARCHITECTURES, build_model, count_parameters

    print(f"{'name':<10} {'trainable':>9} {'stored':>6} {'deployable':>10}  description")
    for name, arch in ARCHITECTURES.items():
        model = build_model(name, budget=None)
        n, stored = count_parameters(model), count_stored(model)
        deployed = count_stored(deployable(model))
        print(f"{name:<10} {n:>9} {stored:>6} {deployed:>10}  {arch.description}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from cnn.fold import count_stored, deployable, fold_batch_norm
    from cnn.models import (
        ARCHITECTURES,
        count_parameters,
        count_statistics,
        layer_table,
    )
    from cnn.space import build_architecture, check_architecture

    check_architecture("--arch", args.arch)
    if args.budget < 1:
        raise InvalidArgument(f"--budget={args.budget!r} is invalid: expected an integer >= 1")
    model = build_architecture(args.arch, budget=None)
    known = ARCHITECTURES.get(args.arch)
    print(f"architecture {args.arch}: {known.description if known else 'a searched design'}")
    print(f"{'layer':<6} {'parameters':>10}  module")
    for row in layer_table(model):
        print(f"{row.name:<6} {row.n_parameters:>10}  {row.layer}")
    total = count_parameters(model)
    print(f"{'total':<6} {total:>10}  trainable parameters (budget {args.budget})")
    stats = count_statistics(model)
    if stats:
        print(f"{'':<6} {stats:>10}  batch-norm running statistics (estimated, not trained)")
    print(f"{'':<6} {count_stored(model):>10}  stored numbers (trainable + statistics)")
    folded = count_stored(fold_batch_norm(model))
    print(f"{'':<6} {folded:>10}  stored numbers with batch norm folded (cnn.fold.fold_batch_norm)")
    deployed = count_stored(deployable(model))
    print(f"{'':<6} {deployed:>10}  stored numbers of the deployable model (export --fold)")
    if total > args.budget:
        build_architecture(args.arch, budget=args.budget)  # raises BudgetExceeded
    return 0


def _train(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST, validation_split
    from cnn.models import count_parameters
    from cnn.space import build_architecture, check_architecture
    from cnn.train import (
        TrainConfig,
        check_batches,
        check_output_dir,
        load_initial_weights,
        train,
    )

    check_architecture("--arch", args.arch)
    config = TrainConfig(
        arch=args.arch,
        epochs=args.epochs,
        seed=args.seed,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        budget=args.budget,
        threads=args.threads,
        init_from=args.init_from,
        precise_bn=args.precise_bn,
        val_size=args.val_size,
        val_seed=args.val_seed,
        eval_test=args.eval_test,
    )
    if args.from_trial is not None:
        config = _trial_config(args, config)
    elif args.study is not None:
        raise InvalidArgument(f"--study={args.study!r} is invalid: expected only with --from-trial")
    if args.stop_after is not None and args.stop_after < 1:
        raise InvalidArgument(
            f"--stop-after={args.stop_after!r} is invalid: expected an integer >= 1"
        )
    model = build_architecture(config.arch, budget=config.budget)
    check_output_dir(args.out, resume=args.resume, overwrite=args.overwrite, name="--out")
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    if args.dry_run:
        # train() reads and checks these files itself before any epoch (and before it
        # creates --out); a dry run, which does not call it, checks them here
        n_train = int(data.train_images.shape[0])
        if config.val_size:
            validation_split(n_train, config.val_size, seed=config.val_seed)  # checks sizes
        if config.init_from is not None and not (args.resume and (args.out / "model.pt").is_file()):
            load_initial_weights(model, config.init_from)
        check_batches(model, config, n_train - config.val_size)
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
        f"{_accuracies(summary)} after {summary['epochs_done']} epochs; outputs in {args.out}"
    )
    return 0


def _trial_config(args: argparse.Namespace, config: Any) -> Any:
    """``config`` with the design and training settings of trial ``--from-trial``."""
    from cnn.search import load_study, trial_config

    if args.study is None:
        raise InvalidArgument("--from-trial needs --study NAME (the study of the trial)")
    study = load_study(args.study, args.storage)
    overrides = {
        k: getattr(config, k)
        for k in ("seed", "budget", "threads", "init_from", "precise_bn", "eval_test")
    }
    overrides |= {"val_size": config.val_size, "val_seed": config.val_seed}
    return trial_config(study, args.from_trial, epochs=config.epochs, **overrides)


def _search(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.search import SearchSettings, open_storage, run_search

    settings = SearchSettings(
        epochs=args.epochs,
        budget=args.budget,
        val_size=args.val_size,
        val_seed=args.val_seed,
        seed=args.seed,
        threads=args.threads,
    )
    open_storage(args.storage, heartbeat_s=args.heartbeat)  # a bad URL fails before the data
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    try:
        study = run_search(
            study=args.study,
            storage=args.storage,
            data=data,
            trials=args.trials,
            settings=settings,
            timeout=args.timeout,
            heartbeat_s=args.heartbeat,
            progress=not args.quiet,
            echo=lambda line: print(line, flush=True),
        )
    except KeyboardInterrupt:
        print(
            f"{args.study}: interrupted; the running trial is recorded as failed, run the "
            "same command again to continue",
            file=sys.stderr,
        )
        return 130
    best = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if best:
        top = study.best_trial
        print(
            f"{args.study}: best trial {top.number}, validation accuracy {top.value:.4f}, "
            f"{top.user_attrs.get('arch')} ({top.user_attrs.get('n_parameters')} parameters)"
        )
    return 0


def _search_report(args: argparse.Namespace) -> int:
    from cnn.search import load_study, write_report

    study = load_study(args.study, args.storage)
    for line in write_report(study, args.out, top=args.top):
        print(line)
    print(f"wrote {args.out}/trials.csv, best.md and the figures")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.models import count_parameters
    from cnn.recipes import DEFAULT_RECIPE, RECIPES, phase_plan, run_recipe
    from cnn.space import build_architecture
    from cnn.train import check_output_dir
    from reluapprox._validation import check_positive_int

    if args.from_trial is None:
        if args.study is not None:
            raise InvalidArgument(
                f"--study={args.study!r} is invalid: expected only with --from-trial"
            )
        recipe = RECIPES[args.recipe]
    else:
        from cnn.search import load_study, trial_recipe

        if args.study is None:
            raise InvalidArgument("--from-trial needs --study NAME (the study of the trial)")
        if args.recipe != DEFAULT_RECIPE:
            raise InvalidArgument(
                f"--recipe={args.recipe!r} is invalid with --from-trial: the trial's recipe is "
                f"{DEFAULT_RECIPE} for its design"
            )
        recipe = trial_recipe(load_study(args.study, args.storage), args.from_trial)
    check_positive_int("--seed", args.seed, minimum=0)
    check_positive_int("--threads", args.threads)
    # the settings of every phase: the same for the plan (and --dry-run) and the run
    settings: dict[str, Any] = {
        "seed": args.seed,
        "threads": args.threads,
        "val_size": args.val_size,
        "val_seed": args.val_seed,
        "eval_test": args.eval_test,
    }
    plan = phase_plan(recipe, args.out, **settings)
    # --out itself must be a directory or a path where one can be made (resume=True: the
    # earlier-run check belongs to the phases' directories, below)
    check_output_dir(args.out, resume=True, overwrite=False, name="--out")
    n_parameters = []
    for directory, config in plan:  # every model within its budget, no run replaced
        n_parameters.append(count_parameters(build_architecture(config.arch, budget=config.budget)))
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
        **settings,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(
        f"{recipe.name}: {summary['architecture']} ({summary['n_parameters']} parameters): "
        f"{_accuracies(summary)} after {summary['epochs']} epochs in "
        f"{len(recipe.phases)} phases; model {summary['model']}, outputs in {args.out}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from cnn.data import FashionMNIST
    from cnn.evaluate import evaluate_checkpoint, format_report, load_model

    load_model(args.checkpoint)  # fail on a bad checkpoint before loading the data
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    result = evaluate_checkpoint(args.checkpoint, data, split=args.split)
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
    import torch

    from cnn.data import FashionMNIST
    from cnn.evaluate import evaluate_model, export_weights, load_model
    from cnn.fold import (
        FOLD_TOLERANCE,
        count_stored,
        deployable,
        fold_batch_norm,
        log_probability_difference,
    )
    from cnn.train import normalise, recalibrate_batch_norm

    if args.precise_bn and args.limit is not None:
        raise InvalidArgument(
            f"--limit={args.limit!r} with --precise-bn is refused: the exported statistics "
            "would be estimated on a subset; export with --precise-bn on all images"
        )
    protocol: dict[str, Any] = {}
    if args.protocol is not None:
        try:
            protocol = {"protocol": json.loads(Path(args.protocol).read_text())}
        except (OSError, ValueError) as exc:
            raise InvalidArgument(
                f"--protocol={str(args.protocol)!r} is invalid: expected a readable JSON file "
                f"({exc})"
            ) from None
        if not isinstance(protocol["protocol"], dict):
            raise InvalidArgument(
                f"--protocol={str(args.protocol)!r} is invalid: expected a JSON object"
            )
    model, ckpt = load_model(args.checkpoint)
    if ckpt.get("folded"):
        raise InvalidArgument(f"--checkpoint={str(args.checkpoint)!r} is already folded")
    data = _load_data(args)
    assert isinstance(data, FashionMNIST)
    if args.precise_bn:
        batch_size = int(ckpt["config"].get("batch_size", 128))
        recalibrate_batch_norm(model, normalise(data.train_images), batch_size=batch_size)
    stored = count_stored(model)
    fold_check: dict[str, object] = {}
    if args.fold:
        folded, deployed = fold_batch_norm(model), deployable(model)
        test_x = normalise(data.test_images)
        with torch.inference_mode():
            a, b, d = model(test_x), folded(test_x), deployed(test_x)
        diff = float((a - b).abs().max()) if len(test_x) else 0.0
        log_diff = log_probability_difference(a, d)
        changed = int((a.argmax(1) != d.argmax(1)).sum())
        if not (diff <= FOLD_TOLERANCE and log_diff <= FOLD_TOLERANCE):
            raise DataError(
                f"folding changed the logits by {diff:.3g} and the deployable model the "
                f"log-probabilities by {log_diff:.3g}, more than {FOLD_TOLERANCE} (not exported)"
            )
        fold_check = {
            "n_stored_batch_norm_folded": count_stored(folded),
            "fold_max_abs_logit_difference": diff,
            "deployable_max_abs_log_probability_difference": log_diff,
            "deployable_changed_test_predictions": changed,
        }
        model = deployed
    result = evaluate_model(model, data, split="both")
    summary = {
        "architecture": ckpt["arch"],
        "n_parameters": int(ckpt["n_parameters"]),
        "n_statistics": result["n_statistics"],
        "n_stored": count_stored(model),
        "n_stored_unfolded": stored,
        "folded": args.fold,
        **fold_check,
        "train_accuracy": result["train_accuracy"],
        "test_accuracy": result["test_accuracy"],
        "train_loss": result["train_loss"],
        "test_loss": result["test_loss"],
        "n_train": result["n_train"],
        "n_test": result["n_test"],
        "epochs": ckpt["epoch"],
        "config": ckpt["config"],
        "precise_bn": args.precise_bn,
        **protocol,
    }
    pt, js = export_weights(
        args.checkpoint,
        args.dest,
        summary=summary,
        model_state=model.state_dict(),
        folded=args.fold,
    )
    print(f"wrote {pt} and {js}: test accuracy {result['test_accuracy']:.4f}")
    return 0


def _accuracies(summary: dict[str, Any]) -> str:
    """``train accuracy A, validation accuracy B, test accuracy C`` of what was measured."""
    names = (("train", "train"), ("val", "validation"), ("test", "test"))
    return ", ".join(
        f"{label} accuracy {summary[f'{key}_accuracy']:.4f}"
        for key, label in names
        if summary.get(f"{key}_accuracy") is not None
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "archs": _archs,
        "summary": _summary,
        "train": _train,
        "reproduce": _reproduce,
        "evaluate": _evaluate,
        "plot": _plot,
        "export": _export,
        "search": _search,
        "search-report": _search_report,
    }
    try:
        status = handlers[args.command](args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return status
    except InvalidArgument as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (DataError, BudgetExceeded, ReluApproxError) as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `python -m cnn archs | head -1`: the reader has gone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the flush at exit fails no more
        return 141  # 128 + SIGPIPE, as a shell reports a command ended by a closed pipe
    except OSError as exc:  # e.g. a --dest under a file, a full disk, no permission
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
