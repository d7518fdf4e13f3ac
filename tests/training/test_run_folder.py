"""Run folders that cannot be lost (issue 19 item 3): no silent overwrite, nothing written before the checks
passed, `--resume` checks labels, model spec and data against the run, stale temp files cleaned on start."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.errors import ConfigError, ModelFileError
from gestura.io import clean_stale_temps
from gestura.training.config import load_config
from gestura.training.run import train_run

runner = CliRunner()


def _digest(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


@pytest.fixture()
def finished(tiny_data: Path, tmp_path: Path, tiny_sets: list[str]) -> tuple[Path, list[str]]:
    base = [f"data.path={tiny_data}", *tiny_sets, "split.group_by=subject", "schedule.epochs=2"]
    run = train_run(load_config(None, [*base, f"out_dir={tmp_path / 'r'}"]))
    return run, base


def test_train_into_a_finished_run_is_refused_without_overwrite(finished: tuple[Path, list[str]],
                                                                tiny_data: Path) -> None:
    run, _ = finished
    before = _digest(run)
    res = runner.invoke(app, ["train", "--data", str(tiny_data), "--out", str(run), "--model", "lstm",
                              "--set", "model.params={units: [16], dense: [16]}", "--epochs", "1"])
    assert res.exit_code == 2, res.output
    assert "already holds a run" in res.stderr and "--overwrite" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert _digest(run) == before


def test_overwrite_replaces_the_run(finished: tuple[Path, list[str]]) -> None:
    run, base = finished
    (run / "notes.txt").write_text("mine")
    train_run(load_config(None, [*base, f"out_dir={run}", "schedule.epochs=1", "overwrite=true"]))
    import json

    rows = json.loads((run / "metrics.json").read_text())["history"]["rows"]
    assert len(rows) == 1 and (run / "notes.txt").read_text() == "mine"


def test_failed_checks_write_nothing(finished: tuple[Path, list[str]]) -> None:
    run, base = finished
    before = _digest(run)
    with pytest.raises(ConfigError, match="unknown parameter"):
        train_run(load_config(None, [*base, f"out_dir={run}", "resume=true", "model.params.nonesuch=1"]))
    with pytest.raises(ConfigError, match="unknown parameter"):
        train_run(load_config(None, [*base, f"out_dir={run}", "overwrite=true", "model.params.nonesuch=1"]))
    assert _digest(run) == before


@pytest.mark.parametrize("change, needle", [
    (["model.params={units: [24], dense: [16]}"], "model spec differs .*params"),
    (["model.name=bilstm", "model.params={hidden: 8}"], "model spec differs .*name"),
    (["data.max_per_class=2"], None),  # same data and labels, fewer samples: not a different run
])
def test_resume_checks_the_model_spec(finished: tuple[Path, list[str]], change: list[str],
                                      needle: str | None) -> None:
    run, base = finished
    cfg = load_config(None, [*base, f"out_dir={run}", "resume=true", "schedule.epochs=3", *change])
    if needle is None:
        train_run(cfg)
        return
    before = _digest(run)
    with pytest.raises(ConfigError, match=needle):
        train_run(cfg)
    assert _digest(run) == before


def test_resume_checks_labels_and_data(finished: tuple[Path, list[str]], tmp_path: Path,
                                      make_tiny: Any) -> None:
    run, base = finished
    four = make_tiny(tmp_path / "four", n_classes=4)
    with pytest.raises(ConfigError, match=r"--resume: the labels differ from the checkpoint's \(missing \[\], new \["):
        train_run(load_config(None, [*base, f"out_dir={run}", "resume=true", f"data.path={four}"]))
    other = make_tiny(tmp_path / "other", seed=5, n_per_class=5)
    with pytest.raises(ConfigError, match="data differs from the run's"):
        train_run(load_config(None, [*base, f"out_dir={run}", "resume=true", f"data.path={other}"]))


def test_resume_of_a_run_without_record_checks_the_checkpoint(finished: tuple[Path, list[str]]) -> None:
    run, base = finished
    (run / "run.json").unlink()
    with pytest.raises(ModelFileError, match="checkpoint does not fit this model"):
        train_run(load_config(None, [*base, f"out_dir={run}", "resume=true", "schedule.epochs=3",
                                     "model.params={units: [24], dense: [16]}"]))


def test_out_is_an_existing_file(tiny_data: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    res = runner.invoke(app, ["train", "--data", str(tiny_data), "--out", str(tmp_path / "f"),
                              "--set", "model.params={units: [16], dense: [16]}"])
    assert res.exit_code == 2 and "exists and is not a folder" in res.stderr
    assert (tmp_path / "f").read_text() == "x"


def test_stale_temp_of_a_killed_writer_is_removed_on_resume(finished: tuple[Path, list[str]]) -> None:
    run, base = finished
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = run / "checkpoints" / f".best.pt.{int(dead.stdout)}.tmp"
    stale.write_bytes(b"")
    live = run / "checkpoints" / f".last.pt.{1}.tmp"  # pid 1 is always running: its temp file is kept
    live.write_bytes(b"")
    train_run(load_config(None, [*base, f"out_dir={run}", "resume=true", "schedule.epochs=3"]))
    assert not stale.exists() and live.exists()
    assert clean_stale_temps(run / "nonesuch") == []
