"""The docs hook that serves MathJax from the site: a build without it fails, loudly."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from mkdocs.exceptions import PluginError

REPO = Path(__file__).resolve().parent.parent


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mathjax_hook", REPO / "docs/hooks/mathjax.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_npm_and_no_cache_is_an_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = _hook()
    monkeypatch.delenv("RELUAPPROX_MATHJAX_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no npm on the path
    with pytest.raises(PluginError, match=r"MathJax 3\.2\.2 is needed .* npm is not installed"):
        hook.package_dir(tmp_path / "mkdocs.yml")
    assert not (tmp_path / ".cache" / "mathjax-3.2.2").exists()


def test_a_bad_override_is_refused_by_name(tmp_path: Path) -> None:
    env = {**os.environ, "RELUAPPROX_MATHJAX_DIR": str(tmp_path), "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert f"RELUAPPROX_MATHJAX_DIR={str(tmp_path)!r} is not an unpacked mathjax@3.2.2" in (
        result.stdout + result.stderr
    )
    assert not (tmp_path / "site" / "index.html").exists()


def test_the_cached_package_has_what_the_site_serves() -> None:
    hook = _hook()
    package = hook.package_dir(REPO / "mkdocs.yml")  # fetched by npm when not cached yet
    assert (package / "es5" / "tex-chtml.js").stat().st_size > 100_000
    fonts = list((package / "es5/output/chtml/fonts/woff-v2").glob("MathJax_*.woff"))
    assert len(fonts) >= 20
