"""The documentation is tested: every ``python`` block on every page runs, in order,
and every docstring example (doctest) of every module passes."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import reluapprox

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAGES = sorted(p for p in DOCS.rglob("*.md") if "benchmarks" not in p.parts)


def python_blocks(page: Path) -> list[str]:
    """The fenced ``python`` blocks of a markdown page, in order."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


def test_fence_parser_finds_blocks() -> None:
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    page = Path("virtual.md")
    assert FENCE.findall(text) == ["x = 1\n", "y = x + 1\n"]
    assert page.suffix == ".md"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_page_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip(f"{page.name} has no python examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{page.relative_to(REPO)} (block {number})", "exec")
        exec(code, namespace)


def _modules(package_name: str) -> list[str]:
    package = importlib.import_module(package_name)
    names = [package_name]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


MODULES = _modules("reluapprox")
try:  # cnn needs torch; its doctests run only where torch is installed
    import torch  # noqa: F401

    MODULES += _modules("cnn")
except ImportError:  # pragma: no cover - depends on the environment
    pass


@pytest.mark.parametrize("module_name", MODULES)
def test_module_doctests(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {module_name}"


def test_every_public_name_is_documented() -> None:
    for name in reluapprox.__all__:
        obj = getattr(reluapprox, name)
        if name.startswith("__"):
            continue
        assert obj.__doc__, f"reluapprox.{name} has no docstring"
