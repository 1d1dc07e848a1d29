"""Helpers shared by the benchmark scripts (imported as ``_common`` from their folder)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median wall time of ``repeats`` calls (after one warm-up call) and the last result."""
    result = fn()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def emit(table: str, write: Path | None) -> None:
    """Print the result table and, when ``write`` is given, store it for the docs."""
    print(table)
    if write is not None:
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(table + "\n")
