"""Shared test configuration: Hypothesis profiles and the location of the course data.

Profiles (choose with ``HYPOTHESIS_PROFILE``; CI defaults to ``ci``, otherwise ``dev``):

- ``dev``: few examples, fast feedback while editing.
- ``ci``: the CI budget, derandomized so that every CI run checks the same examples.
- ``thorough``: thousands of examples per property; run with ``pytest -n auto``.

A failing example is printed by Hypothesis together with a ``@reproduce_failure``
decorator; paste it above the test to replay exactly that example.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from reluapprox.verify import PROFILES

# Registered from the one table in reluapprox.verify (also used by `reluapprox verify
# --profile`). Every option is given explicitly with parent=default: Hypothesis loads
# its own "ci" profile when it detects CI, and ours must not inherit from that.
for _name, _options in PROFILES.items():
    settings.register_profile(
        _name,
        parent=settings.get_profile("default"),
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
        **_options,
    )
_default_profile = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default_profile))

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    override = os.environ.get("RELUAPPROX_DATA_DIR")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of the repository (where pyproject.toml is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """``$RELUAPPROX_DATA_DIR`` or ``../shared/data``; skips the test when absent."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"course data not found at {path} (set RELUAPPROX_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def fashion_mnist_dir(shared_data_dir: Path) -> Path:
    """The directory holding the four Fashion-MNIST ``.gz`` files; skips when absent."""
    path = Path(os.environ.get("FASHION_MNIST_DIR", shared_data_dir / "fashion-mnist"))
    if not (path / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST files not found in {path}")
    return path


@pytest.fixture(scope="session")
def course_csv() -> Path:
    """The course's two-class data set ``data/data_HW2_ex1.csv``, shipped in the repository."""
    path = REPO_ROOT / "data" / "data_HW2_ex1.csv"
    assert path.is_file(), f"{path} is part of the repository"
    return path
