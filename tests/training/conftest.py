"""Fixtures for training tests: a tiny generated dataset on disk (3 classes, 4 subjects) and one trained run."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_MODEL = ["model.name=lstm", "model.params={units: [16], dense: [16]}", "progress=false", "threads=1"]


def write_tiny(path: Path, n_subjects: int = 4, n_per_class: int = 4, n_classes: int = 3, seed: int = 0) -> Path:
    """A generated seed-003 dataset: `n_subjects` people x `n_classes` classes x `n_per_class` clips of 24 frames."""
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    ds = make_dataset(n_subjects, n_per_class, n_classes=n_classes, seed=seed, n_frames=24)
    write_seed003(path, ds.sequences)
    return path


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="session")
def tiny_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished 4-epoch run on `tiny_data`, split by subject."""
    from gestura.training.config import load_config
    from gestura.training.run import train_run

    cfg = load_config(None, [f"data.path={tiny_data}", *TINY_MODEL, "schedule.epochs=4",
                             f"out_dir={tmp_path_factory.mktemp('run') / 'r'}", "split.group_by=subject"])
    return train_run(cfg)


@pytest.fixture(scope="session")
def tiny_sets() -> list[str]:
    """`--set` items of a tiny fast LSTM run."""
    return list(TINY_MODEL)


@pytest.fixture(scope="session")
def make_tiny():  # type: ignore[no-untyped-def]
    """`write_tiny` for tests that need another generated dataset."""
    return write_tiny
