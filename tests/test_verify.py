"""Tests of the property registry and runner (reluapprox.verify)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from reluapprox import verify
from reluapprox.errors import InvalidArgument
from reluapprox.strategies import ContinuousFunction, continuous_functions
from reluapprox.verify import (
    PROFILES,
    Property,
    PropertyReport,
    format_failure,
    format_table,
    hypothesis_test,
    register,
    run_properties,
    run_property,
    select,
)


@pytest.fixture
def false_properties() -> Iterator[dict[str, Property]]:
    """Three deliberately false properties, unregistered afterwards."""

    @register("demo.sum_below_ten", "sum(xs) < 10", lambda: st.lists(st.integers(0, 100)))
    def sum_below_ten(xs: list[int]) -> None:
        assert sum(xs) < 10, f"sum is {sum(xs)}"

    @register("demo.ratio_at_most_one", "x / 5 <= 1", lambda: st.integers(0, 10))
    def ratio(x: int) -> float:
        return x / 5

    @register(
        "demo.bounded_functions",
        "every drawn function stays below 1.5 (false)",
        lambda: continuous_functions(),
    )
    def bounded(g: ContinuousFunction) -> None:
        assert float(np.max(np.abs(g.f(np.linspace(0, 1, 9))))) < 1.5

    names = ("demo.sum_below_ten", "demo.ratio_at_most_one", "demo.bounded_functions")
    try:
        yield {name: verify._REGISTRY[name] for name in names}
    finally:
        for name in names:
            verify._REGISTRY.pop(name, None)


def test_failure_is_shrunk_and_replayable(false_properties: dict[str, Property]) -> None:
    report = run_property(false_properties["demo.sum_below_ten"], max_examples=100, seed=7)
    assert not report.ok
    assert report.failures == 1
    assert report.seed == 7
    assert 1 <= report.examples <= 100
    assert report.error == "AssertionError: sum is 10"
    assert report.counterexample is not None
    assert "@reproduce_failure(" in report.counterexample
    assert report.replay is not None
    assert "instance = [10]" in report.replay
    with pytest.raises(AssertionError, match="sum is 10"):
        exec(report.replay, {})


def test_counterexample_functions_are_pasteable(false_properties: dict[str, Property]) -> None:
    report = run_property(false_properties["demo.bounded_functions"], max_examples=200, seed=1)
    assert report.failures == 1
    assert report.replay is not None
    assert "from reluapprox.strategies import piecewise_linear" in report.replay
    assert re.search(r"instance = piecewise_linear\(knots=\(0, 1\), values=\(", report.replay)
    with pytest.raises(AssertionError):
        exec(report.replay, {})


def test_a_ratio_above_one_is_a_failure(false_properties: dict[str, Property]) -> None:
    report = run_property(false_properties["demo.ratio_at_most_one"], max_examples=50, seed=0)
    assert report.failures == 1
    assert report.worst_ratio is not None
    assert report.worst_ratio > 1
    assert report.error is not None
    assert "observed ratio 1.2 > 1" in report.error
    assert report.replay is not None
    assert "instance = 6" in report.replay


def test_same_seed_same_run() -> None:
    prop = verify.get_property("interpolation.float_matches_exact")
    first = run_property(prop, max_examples=15, seed=11)
    second = run_property(prop, max_examples=15, seed=11)
    assert first.ok
    assert (first.examples, first.worst_ratio) == (second.examples, second.worst_ratio)


def test_errors_other_than_assertions_are_failures() -> None:
    @register("demo.divides", "1 / x is defined", lambda: st.integers(0, 3))
    def divides(x: int) -> None:
        assert 1 / x > 0

    try:
        report = run_property(verify._REGISTRY["demo.divides"], max_examples=20, seed=0)
    finally:
        verify._REGISTRY.pop("demo.divides")
    assert report.failures == 1
    assert report.error is not None
    assert report.error.startswith("ZeroDivisionError")


def test_register_rejects_a_second_property_with_the_same_name() -> None:
    with pytest.raises(InvalidArgument, match="a property name that is not registered yet"):
        register("interpolation.exact_at_nodes", "again", lambda: st.none())(lambda _: None)


def test_select_by_glob_and_substring() -> None:
    assert [p.name for p in select(["interpolation.exact*"])] == ["interpolation.exact_at_nodes"]
    assert {p.name for p in select(["float_matches"])} >= {
        "interpolation.float_matches_exact",
        "networks.float_matches_exact",
    }
    assert select([]) == verify.properties()
    with pytest.raises(InvalidArgument, match="pattern='no-such-theorem' is invalid"):
        select(["no-such-theorem"])


def test_run_properties_profiles_and_progress() -> None:
    lines: list[str] = []
    reports = run_properties(
        select(["networks.exact_conversion"]), max_examples=4, progress=lines.append
    )
    assert [r.seed for r in reports] == [0]  # ci: derandomized, seed 0
    assert lines[0] == "[1/1] networks.exact_conversion ..."
    assert lines[1].startswith("[1/1] networks.exact_conversion: ok (4 examples")
    seen: list[tuple[str, int]] = []
    run_properties(
        select(["networks.exact_conversion"]),
        max_examples=3,
        on_example=lambda prop, n: seen.append((prop.name, n)),
    )
    assert seen == [("networks.exact_conversion", n) for n in (1, 2, 3)]
    dev = run_properties(select(["networks.exact_conversion"]), profile="dev", max_examples=2)
    assert isinstance(dev[0].seed, int)
    with pytest.raises(InvalidArgument, match="profile='nightly' is invalid"):
        run_properties(profile="nightly")
    with pytest.raises(InvalidArgument, match="max_examples=0 is invalid"):
        run_properties(max_examples=0)
    with pytest.raises(InvalidArgument, match="seed='1' is invalid"):
        run_properties(seed="1")  # type: ignore[arg-type]


def test_profiles_match_the_test_suite() -> None:
    for name, options in PROFILES.items():
        profile = settings.get_profile(name)
        assert profile.max_examples == options["max_examples"]
        assert profile.derandomize == options["derandomize"]


def test_format_table_and_failure() -> None:
    good = PropertyReport("a.good", "holds", 60, 0, 0.999999, 1.25, seed=0)
    bad = PropertyReport(
        "a.bad",
        "fails",
        3,
        1,
        1.5,
        0.5,
        counterexample="Falsifying example: run(instance=1)",
        error="AssertionError: no",
        seed=5,
        replay="instance = 1",
    )
    table = format_table([good, bad]).splitlines()
    assert table[0].split() == ["theorem", "examples", "failures", "worst", "ratio", "time", "(s)"]
    assert table[2].split() == ["a.good", "60", "0", "0.9999", "1.25"]
    assert table[3].split() == ["a.bad", "3", "1", "1.5", "0.50"]
    text = format_failure(bad, max_examples=60)
    assert "FAILED a.bad: fails" in text
    assert "    instance = 1" in text
    assert "reluapprox verify --only a.bad --seed 5 --examples 60" in text
    no_replay = format_failure(PropertyReport("a.x", "s", 1, 1, None, 0.1, "raw text", "E", 2))
    assert "    raw text" in no_replay


def test_hypothesis_test_fails_on_a_false_property(false_properties: dict[str, Property]) -> None:
    test = hypothesis_test("demo.ratio_at_most_one")
    assert test.__name__ == "test_demo_ratio_at_most_one"
    assert test.__doc__ == "x / 5 <= 1"
    with pytest.raises(AssertionError, match="observed ratio"):
        test()


def test_replay_is_none_for_reprs_that_are_not_python() -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    class Sneaky:
        def __repr__(self) -> str:
            return "().__class__"

    assert verify._replay_source("x.y", Opaque()) is None
    assert verify._replay_source("x.y", Sneaky()) is None
    assert verify._replay_source("x.y", float("inf")) is None  # 'inf' is not a known name
    assert verify._replay_source("x.y", (1, [2.5])) is not None


def test_run_properties_accepts_a_pattern_string() -> None:
    reports = run_properties("interpolation.exact_at_nodes", max_examples=2)
    assert [(r.name, r.ok) for r in reports] == [("interpolation.exact_at_nodes", True)]
    with pytest.raises(InvalidArgument, match="pattern='no-such-theorem' is invalid"):
        run_properties("no-such-theorem", max_examples=2)


def test_run_properties_accepts_one_property() -> None:
    prop = select(["networks.exact_conversion"])[0]
    assert [r.name for r in run_properties(prop, max_examples=2)] == [prop.name]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ([1], "props[0]=1 is invalid: expected None (all properties), a name pattern"),
        (["interpolation.exact_at_nodes"], "props[0]='interpolation.exact_at_nodes' is invalid"),
        ((None,), "props[0]=None is invalid"),
        (3, "props=3 is invalid: expected None (all properties), a name pattern"),
        (b"interpolation", "props=b'interpolation' is invalid"),
        ({"a": 1}, "props={'a': 1} is invalid"),
    ],
)
def test_run_properties_refuses_what_is_not_a_property(props: object, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        run_properties(props, max_examples=2)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert "select(" in str(info.value)


@pytest.mark.parametrize("prop", [None, "interpolation.exact_at_nodes", 1])
def test_run_property_refuses_what_is_not_a_property(prop: object) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(f"prop={prop!r} is invalid: expected a")):
        run_property(prop, max_examples=2)  # type: ignore[arg-type]
