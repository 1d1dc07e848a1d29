"""The one rule of architecture="deep" | "auto", checked branch by branch."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reluapprox.depthchoice import choose_depth
from reluapprox.errors import BudgetExceeded, InvalidArgument


@dataclass(frozen=True)
class Result:
    n_neurons: int
    method: str


def _shallow(needs: int, calls: list[int]) -> object:
    def build(limit: int) -> Result:
        calls.append(limit)
        if limit < needs:
            raise BudgetExceeded(f"max_neurons={limit} was hit")
        return Result(needs, "mesh")

    return build


def _choose(architecture: str, deep: object, needs: int, calls: list[int], **kw: object) -> Result:
    options: dict[str, object] = {
        "finish": lambda r: Result(r.n_neurons, r.method + " (finished)"),
        "max_neurons": 100,
        "refused": (InvalidArgument,),
        "shallow_name": "shallow",
    }
    options.update(kw)
    return choose_depth(architecture, deep, _shallow(needs, calls), **options)  # type: ignore[arg-type, return-value]


def _refusing() -> Result:
    raise InvalidArgument("g=1/x is invalid: expected a polynomial")


def test_deep_returns_the_finished_deep_network_without_building_shallow() -> None:
    calls: list[int] = []
    res = _choose("deep", lambda: Result(30, "zigzag"), 5, calls)
    assert res == Result(30, "zigzag (finished)")
    assert calls == []


def test_deep_raises_the_refusal_and_the_neuron_limit() -> None:
    calls: list[int] = []
    with pytest.raises(InvalidArgument, match="expected a polynomial"):
        _choose("deep", _refusing, 5, calls)
    with pytest.raises(BudgetExceeded, match=r"max_neurons=20 was hit: the deep network has 30"):
        _choose("deep", lambda: Result(30, "zigzag"), 5, calls, max_neurons=20)
    assert calls == []


def test_auto_turns_to_shallow_where_deep_does_not_apply_or_fit() -> None:
    calls: list[int] = []
    res = _choose("auto", _refusing, 5, calls)
    assert res.n_neurons == 5
    assert res.method.startswith("mesh; auto: shallow, the deep construction does not apply (")
    finished: list[Result] = []
    res = _choose(
        "auto",
        lambda: Result(30, "zigzag"),
        5,
        calls,
        max_neurons=20,
        finish=lambda r: finished.append(r) or r,
    )
    assert (
        res.method
        == "mesh; auto: shallow (max_neurons=20 was hit: the deep network has 30 neurons)"
    )
    assert finished == []  # a deep network over the limit is not finished
    assert calls == [100, 20]


def test_auto_takes_the_smaller_network() -> None:
    calls: list[int] = []
    res = _choose("auto", lambda: Result(30, "zigzag"), 12, calls)
    assert res.n_neurons == 12
    assert res.method == "mesh; auto: shallow (12 neurons) chosen over deep (30)"
    res = _choose("auto", lambda: Result(30, "zigzag"), 40, calls)
    assert res.n_neurons == 30
    assert res.method == (
        "zigzag (finished); auto: deep (30 neurons) chosen, the shallow construction needs "
        "more (max_neurons=29 was hit)"
    )
    assert calls == [29, 29]  # shallow may use at most one neuron less than deep
    res = _choose("auto", lambda: Result(0, "constant"), 1, calls)
    assert res == Result(0, "constant (finished)")  # nothing is smaller
    assert calls == [29, 29]


def test_other_architectures_are_refused_by_name() -> None:
    with pytest.raises(InvalidArgument, match=r"architecture='shallow' is invalid: expected"):
        _choose("shallow", lambda: Result(1, "x"), 1, [])
