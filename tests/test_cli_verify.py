"""Tests of the command ``reluapprox verify``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from reluapprox import verify
from reluapprox.cli import main


@pytest.fixture
def false_property() -> Iterator[str]:
    name = "demo_cli.sum_below_ten"

    @verify.register(name, "sum(xs) < 10", lambda: st.lists(st.integers(0, 100)))
    def check(xs: list[int]) -> None:
        assert sum(xs) < 10

    try:
        yield name
    finally:
        verify._REGISTRY.pop(name, None)


def test_passing_run_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["verify", "--only", "networks.exact_conversion", "--examples", "5"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "profile ci, seed 0, 1 property" in out
    assert "theorem" in out
    assert "worst ratio" in out
    row = next(line for line in out.splitlines() if line.startswith("networks.exact_conversion"))
    assert row.split()[1:3] == ["5", "0"]
    assert "ok: 1 property checked, no failures" in out
    assert "[1/1] networks.exact_conversion: ok (5 examples" in err


def test_failing_run_prints_a_pasteable_counterexample(
    false_property: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["verify", "--only", false_property, "--seed", "3", "--profile", "dev"])
    out, _ = capsys.readouterr()
    assert status == 1
    assert f"FAILED {false_property}: sum(xs) < 10" in out
    assert "FAILED: 1 of 1 property" in out
    snippet = out.split("(paste into Python to replay):\n\n", 1)[1].split("\n\n", 1)[0]
    code = "\n".join(line.removeprefix("    ") for line in snippet.splitlines())
    assert "instance = [10]" in code
    with pytest.raises(AssertionError):
        exec(code, {})
    assert f"reluapprox verify --only {false_property} --seed 3 --examples 25" in out


def test_list_and_unknown_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--list", "--only", "strategies.*"]) == 0
    out, _ = capsys.readouterr()
    assert "strategies.modulus_is_valid\n    for f from continuous_functions()" in out
    assert "interpolation.exact_at_nodes" not in out
    assert main(["verify", "--only", "nothing-like-this"]) == 2
    _, err = capsys.readouterr()
    assert "reluapprox: error: pattern='nothing-like-this' is invalid" in err


def test_bad_option_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--only", "networks.exact_conversion", "--examples", "0"]) == 2
    assert "max_examples=0 is invalid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verify", "--profile", "nightly"])


def test_command_line_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reluapprox", "verify", "--only", "strategies.relu*", "-h"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--profile {dev,ci,thorough}" in result.stdout


def test_live_counter_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from reluapprox.commands import verify as command

    counter = command._Counter()
    prop = verify.get_property("networks.exact_conversion")
    counter(prop, 7)
    counter(prop, 8)  # within 0.25 s: not redrawn
    assert capsys.readouterr().err == "\r\033[K  networks.exact_conversion: 7 examples"
