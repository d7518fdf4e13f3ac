"""Shared fixtures. Real-data tests read ../shared/datasets and skip cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """Path of ../shared/datasets (skips the test when the folder is missing)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    return SHARED
