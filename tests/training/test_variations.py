"""Train-variations on a tiny generated dataset: the CLI runs, tabulates, and rejects unknown variations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.errors import ConfigError
from gestura.training.variations import cap_per_class, load_arrays, run_variations, split_indices


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, make_tiny) -> Path:  # type: ignore[no-untyped-def]
    return make_tiny(tmp_path_factory.mktemp("var") / "data", n_subjects=3, n_per_class=3, n_frames=None)


def test_splits_hold_out_whole_groups(data_dir: Path) -> None:
    arr = load_arrays(data_dir, "joints-hand-v1")
    assert arr.X.shape[2] == 63 and arr.M.any(1).all()
    tr, va, te = split_indices(arr, "person", test_subject=arr.subjects[0])
    assert set(arr.subjects[te]) == {arr.subjects[0]} and arr.subjects[0] not in set(arr.subjects[tr])
    assert not set(arr.sessions[tr]) & set(arr.sessions[va])
    capped = cap_per_class(arr.y, tr, 1)
    assert np.bincount(arr.y[capped]).max() == 1
    with pytest.raises(ConfigError, match="test_subject"):
        split_indices(arr, "person", test_subject="nobody")


def test_train_variations_cli_tabulates(data_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["train-variations", "--data", str(data_dir), "--out", str(tmp_path),
                                   "--only", "basic", "--only", "mi", "--features", "joints-hand-v1",
                                   "--epochs", "1", "--width", "8,8", "--max-per-class", "0"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "variations.json").read_text())
    assert [r["variation"] for r in doc["rows"]] == ["basic", "mi"]
    assert all(0 <= r["accuracy"] <= 1 for r in doc["rows"])
    assert "| basic |" in (tmp_path / "variations.md").read_text()
    with pytest.raises(ConfigError, match="unknown variation"):
        run_variations(data_dir, tmp_path, names=["nope"])
