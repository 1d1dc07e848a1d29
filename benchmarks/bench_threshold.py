"""Benchmark: counting threshold functions by the integer-weight enumeration.

The method under test is ``count_threshold_functions(n)`` (sorted nonnegative
integer weights up to the determinant bound, every distinct threshold, closure under
permuting and complementing inputs). Two baselines are measured in the same run:

- ``exact LP per function`` (named baseline): one exact simplex LP per Boolean
  function, ``2^(2^n)`` of them; complete for n <= 3, and for n = 4 on a random
  sample of functions with the time extrapolated linearly to all 65,536 (or complete
  with ``--full-lp``, which takes minutes);
- ``naive weight grid``: every integer weight vector in ``[-K, K]^n`` with every
  threshold, without the symmetry reduction (n <= 4).

Usage::

    python benchmarks/bench_threshold.py [--repeats 5] [--lp-sample 2048] [--full-lp]
        [--seed 0] [--write docs/benchmarks/threshold.md]
"""

from __future__ import annotations

import argparse
import itertools
import platform
import random
import time
from pathlib import Path

import numpy as np
from _common import emit, median_time

from reluapprox import count_threshold_functions
from reluapprox.separability import _separate, boolean_cube, weight_bound

PUBLISHED = {0: 2, 1: 4, 2: 14, 3: 104, 4: 1882, 5: 94572}  # OEIS A000609


def lp_count(n: int, tables: list[int]) -> int:
    """How many of ``tables`` an exact LP finds separable."""
    cube = boolean_cube(n)
    size = 2**n
    return sum(_separate(cube, tuple((t >> i) & 1 for i in range(size))).separable for t in tables)


def naive_grid_count(n: int) -> int:
    """Count via all weights in [-K, K]^n and all thresholds, no symmetry reduction."""
    k = weight_bound(n)
    size = 2**n
    cube = np.array([[(i >> j) & 1 for j in range(n)] for i in range(size)], dtype=np.int64)
    grid = np.array(list(itertools.product(range(-k, k + 1), repeat=n)), dtype=np.int64)
    sums = grid @ cube.T
    powers = np.left_shift(np.int64(1), np.arange(size, dtype=np.int64))
    tables = ((sums[:, None, :] >= sums[:, :, None]).astype(np.int64) @ powers).ravel()
    return int(np.unique(np.append(tables, 0)).size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lp-sample", type=int, default=2048)
    parser.add_argument("--full-lp", action="store_true", help="solve all 65,536 LPs for n = 4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, help="write the result table (markdown) here")
    args = parser.parse_args(argv)

    rows: list[tuple[int, str, float, str, float | None]] = []
    for n in (3, 4, 5):
        t_fast, count = median_time(lambda n=n: count_threshold_functions(n), args.repeats)
        assert count == PUBLISHED[n], (n, count)
        rows.append((n, "integer-weight enumeration (this library)", t_fast, f"{count:,}", None))
        if n == 3:
            t_lp, lp = median_time(lambda: lp_count(3, list(range(256))), 1)
            assert lp == PUBLISHED[3]
            rows.append((n, "exact LP per function (baseline)", t_lp, f"{lp:,}", t_lp / t_fast))
        if n == 4:
            if args.full_lp:
                start = time.perf_counter()
                lp = lp_count(4, list(range(2**16)))
                t_lp = time.perf_counter() - start
                assert lp == PUBLISHED[4]
                name, shown = "exact LP per function (baseline)", f"{lp:,}"
            else:
                rng = random.Random(args.seed)
                sample = rng.sample(range(2**16), args.lp_sample)
                start = time.perf_counter()
                hits = lp_count(4, sample)
                t_lp = (time.perf_counter() - start) * 2**16 / args.lp_sample
                name = f"exact LP per function (baseline, {args.lp_sample:,} sampled, extrapolated)"
                shown = f"~{hits * 2**16 / args.lp_sample:,.0f}"
            rows.append((n, name, t_lp, shown, t_lp / t_fast))
        if n <= 4:
            t_naive, naive = median_time(lambda n=n: naive_grid_count(n), max(1, args.repeats // 2))
            assert naive == PUBLISHED[n]
            rows.append((n, "naive weight grid [-K, K]^n", t_naive, f"{naive:,}", t_naive / t_fast))

    lines = [
        f"Measured with `python benchmarks/bench_threshold.py` (median of {args.repeats} runs "
        f"for the enumeration, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}); ratio = time / time of the enumeration for the same n.",
        "",
        "| n | method | time (s) | count | ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
        *(
            f"| {n} | {name} | {t:.4f} | {c} | {'1' if r is None else f'{r:,.0f}'} |"
            for n, name, t, c, r in rows
        ),
    ]
    emit("\n".join(lines), args.write)
    for n, name, _t, _c, r in rows:
        if r is not None:
            print(f"n = {n}: {name} / enumeration = {r:,.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
