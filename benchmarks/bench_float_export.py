"""Benchmark: float deviation of the torch exports, sum form (baseline) against nodal form.

Baseline (named ``sum``): the old export ``to_torch(form="sum")``, the
``Sequential(Linear(1, N), ReLU, Linear(N, 1))`` of ``b + sum_k w_k relu(x - t_k)``,
measured in the same run. The network is the interpolant of ``N + 1`` noisy points
``sin(8x) + 0.1 N(0, 1)`` at sorted uniform random nodes in ``[0, 1]`` (the case of
issue 18). For each form and dtype the script evaluates the module at ``M`` random
points of the domain (float32 points for float32) and compares with the exact value
of the network at the same point (Fractions), relative to ``max |y|``; it prints the
largest deviation, the proved bound (:mod:`reluapprox.floaterror`) and the ratio of
the sum form's deviation to the nodal form's. The float64 ``net(x)`` path is
measured alongside. A second table does the same for results of ``approximate``
(``--targets``), with the bound ``res.torch_float_error`` and whether
``res.to_torch(dtype=...)`` accepts the export (``bound + float error < eps``). The run
fails if a deviation exceeds its proved bound.

Usage::

    python benchmarks/bench_float_export.py [--neurons 1000 10000 100000]
        [--points 2000] [--seed 0] [--targets "exp(3*x)@1e-7" ...]
        [--write docs/benchmarks/float_export.md]
"""

from __future__ import annotations

import argparse
import platform
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from _common import emit

from reluapprox import approximate, interpolate
from reluapprox.errors import CertificationError
from reluapprox.floaterror import float_error_bound, nodal_float_error, shallow_float_error
from reluapprox.shallow import ShallowNetwork

DTYPES = {"float64": torch.float64, "float32": torch.float32}
CHUNK = 64


def deviation(values: np.ndarray, points: np.ndarray, net: ShallowNetwork) -> float:
    """``max |values - f(points)|``, computed exactly (the points are floats)."""
    worst = Fraction(0)
    for p, v in zip(points.tolist(), values.tolist(), strict=True):
        if not np.isfinite(v):
            return float("inf")
        worst = max(worst, abs(Fraction(v) - net.exact(p)))
    return float(worst)


def run_module(module: torch.nn.Module, points: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    out = []
    with torch.no_grad():
        for start in range(0, points.size, CHUNK):
            x = torch.tensor(points[start : start + CHUNK], dtype=dtype).reshape(-1, 1)
            out.append(module(x).to(torch.float64).numpy().ravel())
    return np.concatenate(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--targets",
        nargs="*",
        default=["exp(3*x)@1e-7", "tanh(20*sin(12*x))@1e-7"],
        help="results of approximate to measure, as EXPRESSION@EPS",
    )
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    rows = []
    violations = []
    for n in args.neurons:
        rng = np.random.default_rng(args.seed)
        xs = np.sort(rng.uniform(0.0, 1.0, size=n + 1))
        ys = np.sin(8 * xs) + 0.1 * rng.standard_normal(xs.size)
        net = interpolate(xs, ys)
        domain = (float(xs[0]), float(xs[-1]))
        scale = float(np.abs(ys).max())
        points64 = rng.uniform(domain[0], domain[1], size=args.points)
        call_dev = deviation(net(points64), points64, net)
        call_bound = shallow_float_error(net, domain)
        rows.append((n, "float64", "net(x) (numpy.interp)", call_dev, call_bound, None))
        if call_dev > call_bound:
            violations.append(f"net(x) N={n}")
        for name, dtype in DTYPES.items():
            points = (
                points64.astype(np.float32).astype(np.float64) if name == "float32" else points64
            )
            points = np.clip(points, *domain)
            found = {}
            for form in ("sum", "nodal"):
                module = net.to_torch(dtype=dtype, form=form)
                found[form] = deviation(run_module(module, points, dtype), points, net)
            sum_bound = float_error_bound(net.to_network(), domain, name)
            nodal_bound = nodal_float_error(net, domain, name)
            ratio = found["sum"] / found["nodal"] if found["nodal"] > 0 else float("inf")
            rows.append((n, name, "sum (baseline)", found["sum"], sum_bound, None))
            rows.append((n, name, "nodal (default)", found["nodal"], nodal_bound, ratio))
            for form, bound in (("sum", sum_bound), ("nodal", nodal_bound)):
                if found[form] > bound:
                    violations.append(f"{form} {name} N={n}")
        rows = [
            (r[0], r[1], r[2], r[3] / scale, r[4] / scale, r[5]) if r[0] == n else r for r in rows
        ]

    lines = [
        f"Measured with `python benchmarks/bench_float_export.py` ({args.points:,} random "
        f"points per network, seed {args.seed}, torch {torch.__version__.split('+')[0]}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, one thread). Deviations and bounds are relative to "
        "\\(\\max_i |y_i|\\); the ratio is the sum form's deviation over the nodal form's.",
        "",
        "| neurons | dtype | evaluation | max deviation | proved bound | ratio sum / nodal |",
        "| ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for n, name, form, dev, bound, ratio in rows:
        shown = "" if ratio is None else f"{ratio:.3g}"
        lines.append(f"| {n:,} | {name} | {form} | {dev:.2e} | {bound:.2e} | {shown} |")
    if args.targets:
        lines += [
            "",
            "Results of `approximate` on [0, 1] (absolute deviations, same points):",
            "",
            "| g | eps | neurons | dtype | sum (baseline) | nodal (default) | proved bound "
            "| `res.to_torch` |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |",
        ]
    for target in args.targets:
        expression, eps = target.rsplit("@", 1)
        res = approximate(expression, float(eps))
        rng = np.random.default_rng(args.seed)
        points64 = rng.uniform(0.0, 1.0, size=args.points)
        for name, dtype in DTYPES.items():
            points = (
                points64.astype(np.float32).astype(np.float64) if name == "float32" else points64
            )
            points = np.clip(points, *res.domain)
            found = {}
            for form in ("sum", "nodal"):
                module = res.network.to_torch(dtype=dtype, form=form)
                found[form] = deviation(run_module(module, points, dtype), points, res.network)
            bound = res.torch_float_error[name]
            if found["nodal"] > bound:
                violations.append(f"nodal {name} {target}")
            try:
                res.to_torch(dtype=dtype)
                verdict = "accepted"
            except CertificationError:
                verdict = "refused"
            lines.append(
                f"| `{expression}` | {float(eps):g} | {res.n_neurons:,} | {name} | "
                f"{found['sum']:.2e} | {found['nodal']:.2e} | {bound:.2e} | {verdict} |"
            )
    lines += [
        "",
        "Every deviation is within its proved bound."
        if not violations
        else "BOUND VIOLATED: " + ", ".join(violations),
    ]
    emit("\n".join(lines), args.write)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
