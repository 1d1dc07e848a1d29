"""MkDocs hook: serve MathJax 3 from the site itself, so that formulas render offline.

The pages load ``assets/mathjax/tex-chtml.js`` (see ``mkdocs.yml``), never a CDN. This
hook adds the files of the npm package ``mathjax@3.2.2`` to every build: the combined
TeX-to-CommonHTML component, the TeX extensions it loads on demand, the web fonts and
the licence. The package is fetched once with ``npm pack`` (npm checks the registry's
integrity hash) and kept in ``.cache/mathjax-3.2.2/`` beside ``mkdocs.yml`` (git-ignored),
or taken from ``$RELUAPPROX_MATHJAX_DIR``, a directory holding an unpacked copy of the
package (its ``es5/`` folder). When neither is available the build stops with a message
saying so: a site whose formulas stay raw ``\\( ... \\)`` is never produced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

VERSION = "3.2.2"
#: Where the site serves the files (``extra_javascript`` names ``TARGET/tex-chtml.js``).
TARGET = "assets/mathjax"
#: What the site needs, relative to the package root: MathJax loads fonts and extensions
#: relative to the location of ``tex-chtml.js``.
NEEDED = ("LICENSE", "es5/tex-chtml.js", "es5/input/tex/extensions", "es5/output/chtml/fonts")
NPM_TIMEOUT_S = 300


def _complete(package: Path) -> bool:
    return all((package / part).exists() for part in NEEDED)


def _fetch(cache: Path) -> None:
    """Unpack ``mathjax@VERSION`` from the npm registry into ``cache`` (atomically)."""
    npm = shutil.which("npm")
    if npm is None:
        raise PluginError(_missing(cache, "npm is not installed"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
        try:
            result = subprocess.run(
                [npm, "pack", f"mathjax@{VERSION}", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            reason = f"npm pack timed out after {NPM_TIMEOUT_S} s"
            raise PluginError(_missing(cache, reason)) from error
        tarball = Path(tmp) / f"mathjax-{VERSION}.tgz"
        if result.returncode != 0 or not tarball.is_file():
            lines = result.stderr.strip().splitlines()
            errors = [line for line in lines if line.startswith(("npm error", "npm ERR!"))]
            reason = (errors or lines or [f"exit status {result.returncode}"])[0]
            raise PluginError(_missing(cache, f"npm pack mathjax@{VERSION} failed: {reason}"))
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as archive:
            wanted = tuple(f"package/{part}" for part in NEEDED)
            members = [
                m
                for m in archive.getmembers()
                if m.name in wanted or m.name.startswith(tuple(f"{w}/" for w in wanted))
            ]
            archive.extractall(unpacked, members=members, filter="data")
        if not _complete(unpacked / "package"):
            raise PluginError(f"the npm package mathjax@{VERSION} lacks one of {NEEDED}")
        try:
            (unpacked / "package").rename(cache)
        except OSError:
            if not _complete(cache):  # not a concurrent build that got there first
                raise


def _missing(cache: Path, reason: str) -> str:
    return (
        f"MathJax {VERSION} is needed to typeset the formulas offline and is not available: "
        f"{reason}. Run the build once with access to the npm registry (it caches the "
        f"package in {cache}), or set RELUAPPROX_MATHJAX_DIR to an unpacked copy of the "
        f"npm package mathjax@{VERSION} (the folder that holds es5/)."
    )


def package_dir(config_file: Path) -> Path:
    """The unpacked MathJax package to serve, fetched into the cache when needed."""
    override = os.environ.get("RELUAPPROX_MATHJAX_DIR")
    if override:
        package = Path(override)
        if not _complete(package):
            raise PluginError(
                f"RELUAPPROX_MATHJAX_DIR={override!r} is not an unpacked mathjax@{VERSION} "
                f"package: it needs {', '.join(NEEDED)}"
            )
        return package
    cache = config_file.parent / ".cache" / f"mathjax-{VERSION}"
    if not _complete(cache):
        _fetch(cache)
    return cache


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add the MathJax files to the site under ``assets/mathjax/``."""
    package = package_dir(Path(config.config_file_path))
    sources = [package / "LICENSE"]
    for part in NEEDED[1:]:
        path = package / part
        sources += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for source in sources:
        relative = source.relative_to(package)
        inside = relative.relative_to("es5") if relative.parts[0] == "es5" else relative
        files.append(
            File.generated(config, f"{TARGET}/{inside.as_posix()}", abs_src_path=str(source))
        )
    return files
