"""Fixtures for training tests: a tiny generated dataset on disk (3 classes, 4 subjects) and one trained run."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_MODEL = ["model.name=lstm", "model.params={units: [16], dense: [16]}", "progress=false", "threads=1"]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory, make_tiny) -> Path:  # type: ignore[no-untyped-def]
    return make_tiny(tmp_path_factory.mktemp("tiny") / "data")


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
