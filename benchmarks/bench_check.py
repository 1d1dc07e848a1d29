"""Benchmark: the independent checker against the construction it re-proves.

For each case, ``approximate(g, eps)`` builds a certified network (the baseline,
named ``approximate``, timed in the same run), ``Approximation.to_certificate()``
writes its certificate and ``reluapprox.check.check_file`` re-proves it from the file;
the table gives both times (CPU time of this process, one core), their ratio and the
verdict. The cases are those of issue 18 (exp(3x) at 1e-7 must check in under 2 s)
plus holdout-style hard cases (kinks, Hölder cusps, oscillation, shifted and
Lipschitz-mesh results) and a hand-made deep network (Yarotsky's sawtooth
approximation of x^2, exact error 2^(-2m-2)).

Usage::

    python benchmarks/bench_check.py [--quick] [--write docs/benchmarks/check.md]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from _common import emit

from reluapprox import approximate
from reluapprox.certificate import network_certificate, write_certificate
from reluapprox.check import check_file
from reluapprox.network import ReluNetwork

#: (g, eps, options of approximate); the first four are the must-accept list of issue 18.
CASES: tuple[tuple[str, float, dict[str, Any]], ...] = (
    ("exp(3*x)", 1e-7, {}),
    ("sin(2*pi*x)", 1e-6, {}),
    ("sqrt(x)", 1e-4, {}),
    ("abs(x - 1/3)**0.7", 1e-3, {}),
    ("abs(x - 0.3) + relu(x - 0.6)", 1e-4, {}),
    ("max(sin(5*x), cos(3*x))", 1e-4, {}),
    ("sqrt(abs(x - 0.5))", 1e-3, {}),
    ("x**0.3", 1e-3, {}),
    ("sign(x - 0.5)*abs(x - 0.5)**1.5", 1e-4, {}),
    ("tanh(20*sin(12*x))", 1e-4, {}),
    ("sin(1/(x + 0.05))", 1e-4, {}),
    ("exp(-x)*sin(30*x)", 1e-5, {"domain": (-1, 2)}),
    ("log(x)", 1e-4, {"domain": (0.01, 1)}),
    ("exp(3*x)", 1e-6, {"interpolating": False}),
    ("sin(2*pi*x)", 1e-5, {"interpolating": False}),
    ("sin(x)", 1e-3, {"lipschitz": 1.0}),
)
QUICK = 10  # --quick: the first cases except the slowest


def yarotsky_square(m: int) -> ReluNetwork:
    """Yarotsky's deep network for x^2 on [0, 1] with m sawtooth compositions.

    ``f_m(x) = x - sum_{s<=m} g_s(x) / 4^s`` (``g_s`` the s-fold hat function) is the
    linear interpolant of ``x^2`` on the grid of step ``2^-m``: error ``2^(-2m-2)``.
    Widths ``(1, 3, ..., 3, 1)``: two hat neurons and the running sum per layer.
    """
    half = Fraction(1, 2)
    weights: list[Any] = [[[1], [1], [1]]]
    biases: list[Any] = [[0, -half, 0]]
    hat = [2, -4, 0]  # g_s = 2 relu(g_{s-1}) - 4 relu(g_{s-1} - 1/2), g_0 = x
    for s in range(1, m + 1):
        acc = [Fraction(-2, 4**s), Fraction(4, 4**s), 1]  # running sum minus g_s / 4^s
        weights.append([hat, hat, acc] if s < m else [acc])
        biases.append([0, -half, 0] if s < m else [0])
    return ReluNetwork(weights, biases, exact=True)


def deep_certificate(m: int = 3) -> dict[str, Any]:
    """The certificate of ``max |x^2 - f_m| <= 2^(-2m-2) < 2^(-2m-1)`` on [0, 1]."""
    bound = Fraction(1, 4 ** (m + 1))
    return network_certificate(
        yarotsky_square(m), "x**2", domain=(0, 1), eps=2 * bound, bound=bound
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {QUICK} fast cases")
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if c[1] >= 1e-6][:QUICK] if args.quick else list(CASES)
    rows = []
    all_valid = True
    with tempfile.TemporaryDirectory() as folder:
        for k, (g, eps, options) in enumerate(cases):
            start = time.process_time()
            res = approximate(g, eps, **options)
            built = time.process_time() - start
            path = res.save_certificate(Path(folder) / f"case{k}.json")
            start = time.process_time()
            result = check_file(path)
            checked = time.process_time() - start
            all_valid &= result.valid
            extra = ", ".join(f"{key}={value}" for key, value in options.items())
            name = f"`{g}`" + (f" ({extra})" if extra else "")
            verdict = "VALID" if result.valid else f"INVALID: {result.reason}"
            rows.append((name, f"{eps:g}", res.n_neurons, built, checked, verdict))
        for m in (3, 8):
            path = write_certificate(deep_certificate(m), Path(folder) / f"deep{m}.json")
            start = time.process_time()
            result = check_file(path)
            checked = time.process_time() - start
            all_valid &= result.valid
            verdict = "VALID" if result.valid else f"INVALID: {result.reason}"
            name = f"`x**2`, Yarotsky depth {m + 1} (hand-made)"
            rows.append((name, f"2^-{2 * m + 1}", 3 * m, float("nan"), checked, verdict))
    lines = [
        "Measured with `python benchmarks/bench_check.py` (CPU time of one process, "
        f"Python {platform.python_version()}, {platform.machine()}); baseline: "
        "`approximate` building the same certified network in the same run.",
        "",
        "| g | eps | neurons | approximate (s) | check (s) | check / approximate | verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, eps_text, neurons, built, checked, verdict in rows:
        ratio = "-" if built != built else f"{checked / built:.2f}"
        built_text = "-" if built != built else f"{built:.2f}"
        lines.append(
            f"| {name} | {eps_text} | {neurons:,} | {built_text} | {checked:.3f} | {ratio} "
            f"| {verdict} |"
        )
    emit("\n".join(lines), args.write)
    return 0 if all_valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
