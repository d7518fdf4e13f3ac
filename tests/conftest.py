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


def write_tiny(path: Path, n_subjects: int = 4, n_per_class: int = 4, n_classes: int = 3, seed: int = 0,
               n_frames: int | None = 24) -> Path:
    """A generated seed-003 dataset: `n_subjects` people x `n_classes` classes x `n_per_class` clips of `n_frames`
    frames (None: the generator's own lengths)."""
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    ds = make_dataset(n_subjects, n_per_class, n_classes=n_classes, seed=seed, n_frames=n_frames)
    write_seed003(path, ds.sequences)
    return path


@pytest.fixture(scope="session")
def make_tiny():  # type: ignore[no-untyped-def]
    """`write_tiny` for tests that need another generated dataset."""
    return write_tiny
