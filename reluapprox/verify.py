"""The registry of the library's theorems as properties, and the runner behind
``reluapprox verify``.

A *property* is one claim of the course material, stated for random instances:
a Hypothesis strategy draws an instance and a check function raises
``AssertionError`` when the claim fails on it. Checks may return an *observed
ratio* (for example observed error / proved bound), which must stay <= 1 and which
the runner reports as the worst case seen.

Each property is written once, in a module of :mod:`reluapprox.properties`, and is
used both by the test suite (``tests/property/``, through :func:`hypothesis_test`)
and by the command ``reluapprox verify`` (through :func:`run_property`).

Examples:
    >>> names = [p.name for p in properties()]
    >>> "interpolation.exact_at_nodes" in names
    True
    >>> report = run_property(get_property("interpolation.exact_at_nodes"), max_examples=5, seed=0)
    >>> report.failures, report.examples >= 5
    (0, True)
"""

from __future__ import annotations

import importlib
import io
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from reluapprox._validation import check_positive_int, fail

__all__ = [
    "PROPERTY_MODULES",
    "Property",
    "PropertyReport",
    "get_property",
    "hypothesis_test",
    "properties",
    "register",
    "run_property",
]

#: Modules whose import registers properties, one per topic.
PROPERTY_MODULES: tuple[str, ...] = (
    "reluapprox.properties.interpolation",
    "reluapprox.properties.networks",
)

Check = Callable[[Any], float | None]


@dataclass(frozen=True)
class Property:
    """One registered claim.

    Attributes:
        name: ``"topic.short_name"``, unique.
        statement: the claim in one sentence, as the docs state it.
        strategy: builds the Hypothesis strategy of instances (called lazily).
        check: raises ``AssertionError`` when the claim fails on an instance;
            may return an observed ratio that must be <= 1.
    """

    name: str
    statement: str
    strategy: Callable[[], Any]
    check: Check


@dataclass(frozen=True)
class PropertyReport:
    """The outcome of running one property."""

    name: str
    statement: str
    examples: int
    failures: int
    worst_ratio: float | None
    seconds: float
    counterexample: str | None = None
    error: str | None = None


_REGISTRY: dict[str, Property] = {}


def register(name: str, statement: str, strategy: Callable[[], Any]) -> Callable[[Check], Check]:
    """Decorator that registers ``check`` as the property ``name``.

    Example:
        >>> from hypothesis import strategies as st
        >>> @register("demo.square_nonnegative", "x**2 >= 0", lambda: st.integers())
        ... def _square(x: int) -> None:
        ...     assert x * x >= 0
        >>> run_property(get_property("demo.square_nonnegative"), max_examples=3, seed=1).failures
        0
        >>> _ = _REGISTRY.pop("demo.square_nonnegative")
    """

    def decorate(check: Check) -> Check:
        if name in _REGISTRY and _REGISTRY[name].check is not check:
            fail("name", name, "a property name that is not registered yet")
        _REGISTRY[name] = Property(name=name, statement=statement, strategy=strategy, check=check)
        return check

    return decorate


def properties() -> tuple[Property, ...]:
    """Every registered property, sorted by name (imports :data:`PROPERTY_MODULES`)."""
    for module in PROPERTY_MODULES:
        importlib.import_module(module)
    return tuple(_REGISTRY[name] for name in sorted(_REGISTRY))


def get_property(name: str) -> Property:
    """The property called ``name``; raises InvalidArgument listing the known names."""
    known = {p.name: p for p in properties()}
    if name not in known:
        fail("name", name, "one of " + ", ".join(sorted(known)))
    return known[name]


def hypothesis_test(name: str) -> Callable[[], None]:
    """A pytest test function running the property under the active settings profile.

    Use in ``tests/property/``: ``test_exact = hypothesis_test("interpolation.exact_at_nodes")``.
    """
    from hypothesis import given

    prop = get_property(name)

    @given(prop.strategy())
    def test(instance: Any) -> None:
        ratio = prop.check(instance)
        if ratio is not None:
            assert ratio <= 1.0, f"observed ratio {ratio!r} > 1 for {prop.name}"

    test.__name__ = "test_" + name.replace(".", "_")
    test.__doc__ = prop.statement
    return cast("Callable[[], None]", test)


def run_property(prop: Property, *, max_examples: int, seed: int) -> PropertyReport:
    """Run ``prop`` on ``max_examples`` instances drawn with ``seed``.

    Returns a :class:`PropertyReport`; a failure carries the shrunk counterexample as
    Hypothesis prints it (``Falsifying example: ...``), ready to paste into Python.
    """
    from hypothesis import HealthCheck, given, reporting, settings
    from hypothesis import seed as hypothesis_seed

    check_positive_int("max_examples", max_examples)
    if isinstance(seed, bool) or not isinstance(seed, int):
        fail("seed", seed, "an integer")
    calls = 0
    worst: float | None = None

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(prop.strategy())
    def run(instance: Any) -> None:
        nonlocal calls, worst
        calls += 1
        ratio = prop.check(instance)
        if ratio is not None:
            worst = ratio if worst is None else max(worst, ratio)
            assert ratio <= 1.0, f"observed ratio {ratio!r} > 1"

    buffer = io.StringIO()
    start = time.perf_counter()
    failures = 0
    error: str | None = None

    def report(text: object) -> None:
        buffer.write(f"{text}\n")

    with reporting.with_reporter(report):
        try:
            run()
        except Exception as exc:  # any failure of the property is reported, not raised
            failures = 1
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    seconds = time.perf_counter() - start
    counterexample = buffer.getvalue().strip() or None if failures else None
    return PropertyReport(
        name=prop.name,
        statement=prop.statement,
        examples=calls,
        failures=failures,
        worst_ratio=worst,
        seconds=seconds,
        counterexample=counterexample,
        error=error,
    )
