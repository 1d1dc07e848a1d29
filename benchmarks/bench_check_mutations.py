"""Mutation test of the independent checker: every false claim rejected, true ones accepted.

Valid certificates (``approximate`` results of five expressions, a shifted one and
Yarotsky's deep network for x^2) are mutated one number at a time: a weight, a bias
(a knot), eps, the claimed bound, a domain endpoint or the expression (a literal, a
function name, an added constant). The ground truth of each mutant is decided without
the checker, by the constructor's float evaluation of g (``reluapprox.expr``) and of
the network (``ReluNetwork``) on a dense grid (2^16 + 1 points plus 17 points per
piece, then three rounds of zooming in around the largest errors): with ``M`` the
largest sampled ``|g - f|`` and ``C`` the claimed bound,

- **true** when only eps or the claimed bound changed, with ``C`` at least the
  original claimed bound (proved by the constructor) and ``C < eps``;
- **false** when ``C >= eps``, the domain is empty, g is undefined on a grid point,
  or ``M > C (1 + 1e-9)`` (a point where the claim fails);
- **true** when ``M <= C (1 - margin)`` (default margin 1 %) and ``C < eps``;
- **ambiguous** otherwise (within the margin of the bound): counted separately.

Usage::

    python benchmarks/bench_check_mutations.py [--mutations 1000] [--seed 0]
        [--margin 0.01] [--write docs/benchmarks/check_mutations.md]

The exit status is 1 if a false mutant was accepted or a true one rejected.
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from _common import emit
from bench_check import deep_certificate

from reluapprox import approximate
from reluapprox.check import check_certificate
from reluapprox.errors import ReluApproxError
from reluapprox.expr import as_target
from reluapprox.network import ReluNetwork

#: The certificates that are mutated: (g, eps, options of approximate).
BASES: tuple[tuple[str, float, dict[str, Any]], ...] = (
    ("exp(3*x)", 1e-3, {}),
    ("sin(2*pi*x)", 1e-3, {}),
    ("sqrt(x)", 1e-3, {}),
    ("abs(x - 1/3)**0.7", 1e-2, {}),
    ("tanh(20*sin(12*x))", 1e-2, {}),
    ("exp(3*x)", 1e-3, {"interpolating": False}),
)
KINDS = ("weight", "bias", "eps", "claimed_bound", "domain", "expression")
FACTORS = (1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.5)
SIBLINGS = {"exp": "sinh", "sin": "cos", "sqrt": "atan", "tanh": "atan", "abs": "relu"}
GRID = 2**16 + 1


def _q(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _nudge(q: Fraction, rng: random.Random) -> Fraction:
    special = rng.random()
    if special < 0.1:
        return -q
    if special < 0.15:
        return q + 1
    delta = Fraction(rng.choice(FACTORS)) * rng.choice((-1, 1))
    return q * (1 + delta) if q else delta


def mutate(doc: dict[str, Any], kind: str, rng: random.Random) -> dict[str, Any]:
    """A copy of ``doc`` with one number (or the expression) changed."""
    out = copy.deepcopy(doc)
    net = out["network"]
    if kind in ("weight", "bias"):
        layer = rng.randrange(len(net["weights"]))
        row = rng.choice(net["weights"][layer]) if kind == "weight" else net["biases"][layer]
        k = rng.randrange(len(row))
        row[k] = _q(_nudge(Fraction(row[k]), rng))
    elif kind in ("eps", "claimed_bound"):
        out[kind] = _q(_nudge(Fraction(out[kind]), rng))
    elif kind == "domain":
        a, b = (Fraction(v) for v in out["domain"])
        delta = Fraction(rng.choice((1e-9, 1e-6, 1e-3, 0.05, 0.3))) * rng.choice((-1, 1))
        k = rng.randrange(2)
        out["domain"][k] = _q((a, b)[k] + delta * (b - a))
    else:
        out["target"] = _mutate_expression(out["target"], Fraction(out["claimed_bound"]), rng)
    return out


def _mutate_expression(text: str, bound: Fraction, rng: random.Random) -> str:
    choice = rng.randrange(3)
    numbers = list(re.finditer(r"\d+(\.\d+)?", text))
    names = [name for name in SIBLINGS if name + "(" in text]
    if choice == 0 and numbers:
        match = rng.choice(numbers)
        value = Fraction(match.group()) * (1 + Fraction(rng.choice(FACTORS)))
        return (
            f"{text[: match.start()]}({value.numerator}/{value.denominator}){text[match.end() :]}"
        )
    if choice == 1 and names:
        name = rng.choice(names)
        return text.replace(name + "(", SIBLINGS[name] + "(", 1)
    shift = bound * Fraction(rng.choice((1e-3, 0.1, 1, 3)))
    return f"{text} + {shift.numerator}/{shift.denominator}"


def sampled_error(doc: dict[str, Any]) -> float | None:
    """max |g - f| on a dense grid, zoomed in around its largest values (the constructor's
    float evaluation); None if g is undefined at a grid point.

    The zoom (three rounds of 257 points within one spacing of the 16 largest errors)
    finds maxima at cusps such as ``|x - 1/3|^0.7`` that fall between grid points.
    """
    a, b = (float(Fraction(v)) for v in doc["domain"])
    layers = doc["network"]
    weights = [[[Fraction(v) for v in row] for row in w] for w in layers["weights"]]
    biases = [[Fraction(v) for v in c] for c in layers["biases"]]
    net = ReluNetwork(weights, biases, exact=True).to_float()
    kinks = [float(-c / row[0]) for row, c in zip(weights[0], biases[0], strict=True) if row[0]]
    edges = np.unique(np.clip([a, b, *kinks], a, b))
    pieces = (edges[:-1, None] + np.diff(edges)[:, None] * np.linspace(0, 1, 17)[None, :]).ravel()
    grid = np.unique(np.concatenate([np.linspace(a, b, GRID), pieces]))
    target = as_target(doc["target"])
    spacing, best = (b - a) / (GRID - 1), 0.0
    for _ in range(4):
        try:
            errors = np.abs(target(grid) - net(grid[:, None])[:, 0])
        except ReluApproxError:
            return None
        best = max(best, float(np.max(errors)))
        top = grid[np.argsort(errors)[-16:]]
        zoom = top[:, None] + np.linspace(-spacing, spacing, 257)[None, :]
        grid = np.unique(np.clip(zoom.ravel(), a, b))
        spacing /= 128
    return best


def truth(doc: dict[str, Any], base: dict[str, Any], margin: float) -> bool | None:
    """True / False when clearly so, None when ambiguous.

    A mutant that only raises the claimed bound or changes eps is true exactly when
    ``C < eps`` (the base claim was proved by the constructor); any other mutant is
    decided by the dense evaluation.
    """
    bound, eps = Fraction(doc["claimed_bound"]), Fraction(doc["eps"])
    a, b = (Fraction(v) for v in doc["domain"])
    if not (0 <= bound < eps and a < b):
        return False
    same = all(doc[key] == base[key] for key in doc if key not in ("eps", "claimed_bound"))
    if same and bound >= Fraction(base["claimed_bound"]):
        return True
    error = sampled_error(doc)
    if error is None or error > float(bound) * (1 + 1e-9):
        return False
    return True if error <= float(bound) * (1 - margin) else None


def bases() -> list[dict[str, Any]]:
    """The valid certificates that are mutated."""
    docs = [approximate(g, eps, **options).to_certificate() for g, eps, options in BASES]
    return [*docs, deep_certificate(3)]


def run_mutations(count: int, seed: int, margin: float) -> dict[str, Counter[str]]:
    """Mutate, decide the truth, check; counts per kind of mutation and outcome."""
    rng = random.Random(seed)
    docs = bases()
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    for _ in range(count):
        kind = rng.choice(KINDS)
        base = rng.choice(docs)
        mutant = mutate(base, kind, rng)
        expected = truth(mutant, base, margin)
        valid = check_certificate(mutant, time_limit=30).valid
        label = {True: "true", False: "false", None: "ambiguous"}[expected]
        counts[kind][f"{label} {'accepted' if valid else 'rejected'}"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = run_mutations(args.mutations, args.seed, args.margin)
    seconds = time.perf_counter() - start
    outcomes = ("false rejected", "false accepted", "true accepted", "true rejected")
    outcomes += ("ambiguous accepted", "ambiguous rejected")
    total: Counter[str] = sum(counts.values(), Counter())
    lines = [
        f"Measured with `python benchmarks/bench_check_mutations.py --mutations "
        f"{args.mutations} --seed {args.seed}` (margin {args.margin:g}, {seconds:.0f} s).",
        "",
        "| mutated | " + " | ".join(outcomes) + " |",
        "| --- | " + " | ".join("---:" for _ in outcomes) + " |",
    ]
    for kind, row in [*counts.items(), ("**all**", total)]:
        lines.append(f"| {kind} | " + " | ".join(str(row[o]) for o in outcomes) + " |")
    emit("\n".join(lines), args.write)
    return 1 if total["false accepted"] or total["true rejected"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
