"""Shared fixtures: the real data folder (tests using it skip with a reason when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _data_root() -> Path | None:
    if os.environ.get("NASX11_DATA"):
        return Path(os.environ["NASX11_DATA"])
    candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real-data folder; skips the test when it is not on this machine."""
    root = _data_root()
    if root is None or not root.is_dir():
        pytest.skip("real data not found: set NASX11_DATA or place it at ../shared/data")
    return root


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small files in the official formats, written by hand for the loader tests."""
    return REPO_ROOT / "tests" / "fixtures"
