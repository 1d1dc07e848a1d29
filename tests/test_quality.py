"""Static checks run as part of the test suite: mypy --strict, ruff, mkdocs --strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.quality


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


def test_mypy_strict() -> None:
    result = run("mypy", "--strict", "reluapprox", "cnn")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


#: What makes a browser fetch something: script/img/link sources, CSS imports and url().
_ASSET_REFERENCE = re.compile(
    r"""<(?:script|img|link|source|iframe)\b[^>]*?\b(?:src|href)=["']?([^"' >]+)"""
    r"""|@import\s+(?:url\()?["']?([^"') ;]+)|url\(\s*["']?([^"')]+)""",
    re.IGNORECASE,
)


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """The strict build passes, serves MathJax itself and loads nothing from other hosts."""
    site = tmp_path / "site"
    result = run("mkdocs", "build", "--strict", "--site-dir", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site / "index.html").is_file()
    assert (site / "assets" / "mathjax" / "tex-chtml.js").is_file()
    pages = [p for p in site.rglob("*") if p.suffix in {".html", ".css"}]
    assert len(pages) > 10
    external = sorted(
        f"{page.relative_to(site)}: {ref}"
        for page in pages
        for match in _ASSET_REFERENCE.finditer(page.read_text(encoding="utf-8"))
        if (ref := next(g for g in match.groups() if g)).startswith(("http:", "https:", "//"))
    )
    assert external == []


def test_no_torch_import_in_core() -> None:
    code = (
        "import importlib, pkgutil, sys, reluapprox\n"
        "for info in pkgutil.walk_packages(reluapprox.__path__, prefix='reluapprox.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
