"""The registry of the library's theorems as properties, and the runner behind
``reluapprox verify``.

A *property* is one claim of the course material, stated for random instances:
a Hypothesis strategy draws an instance and a check function raises
``AssertionError`` when the claim fails on it. Checks may return an *observed
ratio* (for example observed error / proved bound), which must stay <= 1 and which
the runner reports as the worst case seen.

Each property is written once, in a module of :mod:`reluapprox.properties`, and is
used both by the test suite (``tests/property/``, through :func:`hypothesis_test`)
and by the command ``reluapprox verify`` (through :func:`run_properties`).

Examples:
    >>> names = [p.name for p in properties()]
    >>> "interpolation.exact_at_nodes" in names
    True
    >>> report = run_property(get_property("interpolation.exact_at_nodes"), max_examples=5, seed=0)
    >>> report.failures, report.examples >= 5
    (0, True)
    >>> print(format_table([report]))  # doctest: +ELLIPSIS
    theorem                       examples  failures  worst ratio  time (s)
    ----------------------------  --------  --------  -----------  --------
    interpolation.exact_at_nodes         5         0            -  ...

References:
    Hypothesis documentation, "Settings" and "Reproducing failures"
    (https://hypothesis.readthedocs.io/en/latest/reference/api.html).
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib
import io
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from reluapprox._validation import check_choice, check_positive_int, fail

__all__ = [
    "PROFILES",
    "PROPERTY_MODULES",
    "Property",
    "PropertyReport",
    "format_failure",
    "format_table",
    "get_property",
    "hypothesis_test",
    "properties",
    "register",
    "run_properties",
    "run_property",
    "select",
]

#: Modules whose import registers properties, one per topic.
PROPERTY_MODULES: tuple[str, ...] = (
    "reluapprox.properties.interpolation",
    "reluapprox.properties.networks",
    "reluapprox.properties.approximation",
    "reluapprox.properties.separability",
    "reluapprox.properties.architecture",
    "reluapprox.properties.argmax",
    "reluapprox.properties.convolution",
    "reluapprox.properties.strategies",
    "reluapprox.properties.approximation_random",
    "reluapprox.properties.approximation2d",
    "reluapprox.properties.twolayer",
    "reluapprox.properties.check",
    "reluapprox.properties.floaterror",
    "reluapprox.properties.depth",
)

#: Hypothesis settings of the profiles, shared by ``tests/conftest.py`` (which registers
#: them for pytest) and ``reluapprox verify --profile``. ``ci`` is derandomized: the
#: runner uses seed 0 unless ``--seed`` is given, so every CI run checks the same cases.
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 25, "derandomize": False},
    "ci": {"max_examples": 60, "derandomize": True},
    "thorough": {"max_examples": 2000, "derandomize": False},
}

Check = Callable[[Any], float | None]
Progress = Callable[[str], None]

#: Names a counterexample's ``repr`` may use; the replay snippet imports them.
_REPLAY_IMPORTS = (
    ("fractions", ("Fraction",)),
    (
        "reluapprox.strategies",
        ("compose", "holder_function", "piecewise_linear", "trigonometric_polynomial"),
    ),
)


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
    """The outcome of running one property.

    Attributes:
        name: the property's name.
        statement: the claim.
        examples: instances checked (up to and including the first failing one;
            shrinking is not counted).
        failures: 0 or 1 (Hypothesis stops at the first failure and shrinks it).
        worst_ratio: the largest observed ratio returned by the check, or ``None``.
        seconds: wall-clock time, shrinking included.
        counterexample: Hypothesis' report of the shrunk failing case, with the
            ``@reproduce_failure`` blob.
        error: the exception of the shrunk case, one line.
        seed: the seed the instances were drawn with.
        replay: Python source that rebuilds the shrunk instance and runs the check
            (``None`` when the instance's ``repr`` is not valid Python).
    """

    name: str
    statement: str
    examples: int
    failures: int
    worst_ratio: float | None
    seconds: float
    counterexample: str | None = None
    error: str | None = None
    seed: int | None = None
    replay: str | None = None

    @property
    def ok(self) -> bool:
        """True when the property held on every instance."""
        return self.failures == 0


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


def select(patterns: Sequence[str] = ()) -> tuple[Property, ...]:
    """The registered properties whose name matches one of ``patterns`` (all if empty).

    A pattern with ``*``, ``?`` or ``[`` is a shell-style glob (``"interpolation.*"``);
    any other pattern matches names that contain it (``"modulus"``).

    Raises:
        InvalidArgument: if a pattern matches no property (the message lists them).

    Examples:
        >>> [p.name for p in select(["interpolation.exact*"])]
        ['interpolation.exact_at_nodes']
    """
    every = properties()
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        return every
    chosen: dict[str, Property] = {}
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            fail("pattern", pattern, "a non-empty string (glob or substring of a name)")
        glob = any(c in pattern for c in "*?[")
        hits = [
            p
            for p in every
            if (fnmatch.fnmatchcase(p.name, pattern) if glob else pattern in p.name)
        ]
        if not hits:
            fail(
                "pattern",
                pattern,
                "a glob or substring of one of " + ", ".join(p.name for p in every),
            )
        chosen.update((p.name, p) for p in hits)
    return tuple(chosen[name] for name in sorted(chosen))


def hypothesis_test(name: str) -> Callable[[], None]:
    """A pytest test function running the property under the active settings profile.

    Use in ``tests/property/``: ``test_exact = hypothesis_test("interpolation.exact_at_nodes")``.
    The test fails when the check raises or returns a ratio > 1; the health check
    ``too_slow`` is suppressed (instances of some theorems are expensive to build).
    """
    from hypothesis import HealthCheck, given, settings

    prop = get_property(name)
    active = settings.default
    inherited = [] if active is None else list(active.suppress_health_check)
    suppressed = [*inherited, HealthCheck.too_slow]

    @settings(suppress_health_check=suppressed)
    @given(prop.strategy())
    def test(instance: Any) -> None:
        ratio = prop.check(instance)
        if ratio is not None:
            assert ratio <= 1.0, f"observed ratio {ratio!r} > 1 for {prop.name}"

    test.__name__ = "test_" + name.replace(".", "_")
    test.__doc__ = prop.statement
    return cast("Callable[[], None]", test)


_DATA_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.keyword,
    ast.Load,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Mult,
)


def _is_data_node(node: ast.AST, namespace: dict[str, Any]) -> bool:
    """Literals, ``+``/``*``, and names (and calls) of the replay imports only."""
    if isinstance(node, ast.Name):
        return node.id in namespace
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in namespace
    return isinstance(node, _DATA_NODES)


def _replay_source(name: str, instance: Any) -> str | None:
    """Python source rebuilding ``instance`` and running the check, or None."""
    text = repr(instance)
    namespace: dict[str, Any] = {}
    lines = []
    for module, names in _REPLAY_IMPORTS:
        used = [n for n in names if n in text]
        if used:
            imported = importlib.import_module(module)
            namespace.update((n, getattr(imported, n)) for n in used)
            lines.append(f"from {module} import {', '.join(used)}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    if not all(_is_data_node(node, namespace) for node in ast.walk(tree)):
        return None
    try:  # only literals and calls of the imported constructors, checked above
        rebuilt = eval(compile(tree, "<repr>", "eval"), {"__builtins__": {}, **namespace})
    except Exception:  # a constructor refused its arguments: no replay snippet
        return None
    if repr(rebuilt) != text:
        return None
    lines.append("from reluapprox.verify import get_property")
    lines.append(f"instance = {text}")
    lines.append(f"get_property({name!r}).check(instance)")
    return "\n".join(lines)


def run_property(
    prop: Property,
    *,
    max_examples: int = 100,
    seed: int = 0,
    on_example: Callable[[int], None] | None = None,
) -> PropertyReport:
    """Run ``prop`` on ``max_examples`` instances drawn with ``seed``.

    Returns a :class:`PropertyReport`; a failure carries the shrunk counterexample as
    Hypothesis prints it (``Falsifying example: ...``) and, when the instance's ``repr``
    is Python source, a ``replay`` snippet that can be pasted into Python.

    Args:
        prop: the property.
        max_examples: instances to draw (>= 1).
        seed: the seed of the random draws; the same seed checks the same instances.
        on_example: called with the number of instances checked so far, after each.
    """
    from hypothesis import HealthCheck, given, reporting, settings
    from hypothesis import seed as hypothesis_seed

    if not isinstance(prop, Property):
        fail("prop", prop, "a Property, e.g. get_property('interpolation.exact_at_nodes')")
    check_positive_int("max_examples", max_examples)
    if isinstance(seed, bool) or not isinstance(seed, int):
        fail("seed", seed, "an integer")
    calls = 0
    failed_at: int | None = None
    worst: float | None = None
    shrunk: list[Any] = []

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
        nonlocal calls, worst, failed_at
        calls += 1
        try:
            ratio = prop.check(instance)
            if ratio is not None:
                worst = ratio if worst is None else max(worst, ratio)
                assert ratio <= 1.0, f"observed ratio {ratio!r} > 1"
        except BaseException:
            if failed_at is None:
                failed_at = calls
            shrunk[:] = [instance]  # Hypothesis runs the shrunk case last
            raise
        if failed_at is None and on_example is not None:
            on_example(calls)

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
            message = str(exc).strip().splitlines()
            error = type(exc).__name__ + (f": {message[0]}" if message else "")
            for note in getattr(exc, "__notes__", ()):  # Hypothesis' report, under pytest
                report(note)
    seconds = time.perf_counter() - start
    counterexample = buffer.getvalue().strip() or None if failures else None
    replay = _replay_source(prop.name, shrunk[0]) if failures and shrunk else None
    return PropertyReport(
        name=prop.name,
        statement=prop.statement,
        examples=calls if failed_at is None else failed_at,
        failures=failures,
        worst_ratio=worst,
        seconds=seconds,
        counterexample=counterexample,
        error=error,
        seed=seed,
        replay=replay,
    )


def _as_properties(props: object) -> tuple[Property, ...]:
    """``props`` of :func:`run_properties` as a tuple of properties, validated."""
    expected = (
        "None (all properties), a name pattern such as 'interpolation.*' or a sequence "
        "of Property objects (e.g. from select())"
    )
    if props is None:
        return properties()
    if isinstance(props, str):
        return select([props])
    if isinstance(props, Property):
        return (props,)
    if isinstance(props, (bytes, dict)) or not isinstance(props, Iterable):
        fail("props", props, expected)
    chosen = tuple(props)
    for index, item in enumerate(chosen):
        if not isinstance(item, Property):
            fail(f"props[{index}]", item, expected + "; use select(...) to look names up")
    return chosen


def run_properties(
    props: Sequence[Property] | str | None = None,
    *,
    profile: str = "ci",
    max_examples: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    on_example: Callable[[Property, int], None] | None = None,
) -> tuple[PropertyReport, ...]:
    """Run several properties (default: all) under a profile of :data:`PROFILES`.

    Args:
        props: the properties, e.g. from :func:`select`; all registered ones if None.
            A string is a pattern passed to :func:`select` (``"interpolation.*"``).
        profile: ``"dev"``, ``"ci"`` or ``"thorough"``: the number of examples and
            whether the default seed is fixed (``ci``: seed 0) or random.
        max_examples: overrides the profile's number of examples per property.
        seed: the seed of every property's draws (reported, for replay).
        progress: receives one line when each property starts and ends.
        on_example: called as ``on_example(prop, n)`` after the ``n``-th instance of
            ``prop`` passed (for live counters).

    Raises:
        InvalidArgument: for a bad profile, number of examples or seed, for a pattern
            that matches no property, or for ``props`` items that are not
            :class:`Property` objects.

    Examples:
        >>> reports = run_properties(select(["networks.exact_conversion"]), max_examples=3)
        >>> [(r.name, r.ok, r.seed) for r in reports]
        [('networks.exact_conversion', True, 0)]
        >>> [r.name for r in run_properties("networks.exact_conversion", max_examples=3)]
        ['networks.exact_conversion']
        >>> run_properties([1])
        Traceback (most recent call last):
        ...
        reluapprox.errors.InvalidArgument: props[0]=1 is invalid: expected ...
    """
    check_choice("profile", profile, tuple(PROFILES))
    options = PROFILES[profile]
    examples = options["max_examples"] if max_examples is None else max_examples
    check_positive_int("max_examples", examples)
    if seed is None:
        seed = 0 if options["derandomize"] else random.SystemRandom().randrange(2**32)
    elif isinstance(seed, bool) or not isinstance(seed, int):
        fail("seed", seed, "an integer")
    chosen = _as_properties(props)
    reports = []
    for index, prop in enumerate(chosen, start=1):
        if progress is not None:
            progress(f"[{index}/{len(chosen)}] {prop.name} ...")
        counter = None if on_example is None else functools.partial(on_example, prop)
        result = run_property(prop, max_examples=examples, seed=seed, on_example=counter)
        if progress is not None:
            verdict = "ok" if result.ok else "FAILED"
            progress(
                f"[{index}/{len(chosen)}] {prop.name}: {verdict} "
                f"({result.examples} examples, {result.seconds:.1f} s)"
            )
        reports.append(result)
    return tuple(reports)


def _ratio_text(ratio: float | None) -> str:
    """Four significant digits, rounded away from 1 so that 0.99999 never reads as 1."""
    if ratio is None:
        return "-"
    if not math.isfinite(ratio) or ratio == 0:
        return f"{ratio:g}"
    scale = 10.0 ** (math.floor(math.log10(abs(ratio))) - 3)
    rounded = (math.floor if ratio < 1 else math.ceil)(ratio / scale) * scale
    return f"{rounded:.4g}"


def format_table(reports: Sequence[PropertyReport]) -> str:
    """The reports as a text table: theorem, examples, failures, worst ratio, time."""
    header = ("theorem", "examples", "failures", "worst ratio", "time (s)")
    rows = [
        (r.name, str(r.examples), str(r.failures), _ratio_text(r.worst_ratio), f"{r.seconds:.2f}")
        for r in reports
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def format_failure(report: PropertyReport, *, max_examples: int | None = None) -> str:
    """What ``reluapprox verify`` prints for a failed property: the claim, the error,
    the shrunk counterexample as Python source, and how to replay the search."""
    lines = [f"FAILED {report.name}: {report.statement}", f"  {report.error}"]
    if report.replay is not None:
        lines += ["", "Shrunk counterexample (paste into Python to replay):", ""]
        lines += [f"    {row}" if row else "" for row in report.replay.splitlines()]
    elif report.counterexample is not None:
        lines += ["", "Shrunk counterexample (as Hypothesis reports it):", ""]
        lines += [f"    {row}" for row in report.counterexample.splitlines()]
    replay = f"reluapprox verify --only {report.name} --seed {report.seed}"
    if max_examples is not None:
        replay += f" --examples {max_examples}"
    lines += ["", f"Replay the whole search: {replay}"]
    return "\n".join(lines)
