"""The home page's table "course exercise -> page, section, function, command" is true."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

from reluapprox.cli import main

REPO = Path(__file__).resolve().parent.parent
EXERCISES = [
    "Ex 1a", "Ex 1b", "Ex 2a", "Ex 2b", 'Ex 2 "Extra"', "Ex 3",
    "P1a", "P1b", "P2a", "P2b", "P3", "P4a", "P4b",
]  # fmt: skip


def _rows() -> dict[str, list[str]]:
    text = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and (m := re.match(r'(Ex \d[ab]?( "Extra")?|P\d[ab]?):', cells[0])):
            rows[m.group(1)] = cells
    return rows


def test_every_exercise_of_both_documents_has_a_row() -> None:
    assert list(_rows()) == EXERCISES


def test_every_function_named_exists() -> None:
    for exercise, (_, _, functions, _) in _rows().items():
        for name in re.findall(r"`([\w.]+)`", functions):
            root = "cnn" if name.startswith("cnn") else "reluapprox"
            dotted = name if root == "cnn" else f"reluapprox.{name}"
            if root == "cnn":
                pytest.importorskip("torch")
            module_name, _, attribute = dotted.rpartition(".")
            try:
                importlib.import_module(dotted)
                continue  # a module
            except ModuleNotFoundError:
                module = importlib.import_module(module_name)
            assert hasattr(module, attribute), f"{exercise}: {dotted} does not exist"


def test_fast_commands_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick reluapprox commands of the table run from the repository root."""
    monkeypatch.chdir(REPO)
    ran = 0
    for exercise, (_, _, _, commands) in _rows().items():
        for command in re.findall(r"`(reluapprox [^`]+)`", commands):
            argv = shlex.split(command)[1:]
            if argv[:2] == ["twolayer", "train"]:  # seconds of training: the path must exist
                assert (REPO / argv[2]).is_file(), f"{exercise}: {argv[2]} is not in the repo"
                continue
            assert main(argv) == 0, f"{exercise}: {command} failed"
            ran += 1
    assert ran == 4  # twolayer exact, interpolate twice, approximate
