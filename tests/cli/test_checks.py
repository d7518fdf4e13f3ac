"""CLI exit codes and option checks of issue 19 item 7 that live in `gestura.cli` itself: `extract` exits
non-zero when nothing was extracted, `evaluate-stream` checks `--grace` and `--timeline` before its run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gestura.cli import app

runner = CliRunner()


def test_extract_exits_non_zero_when_every_file_failed(tmp_path: Path) -> None:
    src = tmp_path / "videos"
    src.mkdir()
    (src / "a.mp4").write_bytes(b"not a video" * 100)
    (src / "b.mp4").write_bytes(b"\0" * 1000)
    res = runner.invoke(app, ["extract", str(src), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "every one of 2 input(s) failed; nothing extracted" in res.stderr


@pytest.fixture(scope="module")
def stream_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from gestura.artifact import ModelBundle
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import SubjectStyle, make_session
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    tmp = tmp_path_factory.mktemp("es")
    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "swiping_left", "unknown"]
    ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=3, units=(4,), dense=(4,)),
                pipeline=pipe, labels=labels, window=8, resample_fps=15.0).save(tmp / "model", card=False)
    write_seed003(tmp / "streams", [make_session(["fist"], SubjectStyle(subject="b"), seed=6, fps=15.0)])
    return tmp / "model", tmp / "streams"


@pytest.mark.parametrize("args, needle", [
    (["--grace", "nan"], "--grace: must be finite"),
    (["--grace", "-1"], "--grace: -1 is out of bounds"),
    (["--timeline", "nope"], "--timeline 'nope': no such stream"),
])
def test_evaluate_stream_checks_options_before_the_run(stream_setup: tuple[Path, Path], tmp_path: Path,
                                                       args: list[str], needle: str) -> None:
    model, streams = stream_setup
    res = runner.invoke(app, ["evaluate-stream", str(model), "--data", str(streams), "--out",
                              str(tmp_path / "ev"), "--fast", *args])
    assert res.exit_code == 2 and needle in res.stderr and res.stderr.count("\n") == 1, res.output
    assert not (tmp_path / "ev").exists()


def test_landmarks_dataset_exits_non_zero_when_every_source_failed(tmp_path: Path) -> None:
    src = tmp_path / "videos"
    src.mkdir()
    (src / "a.mp4").write_bytes(b"not a video" * 100)
    res = runner.invoke(app, ["landmarks", "dataset", str(src), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "every one of 1 source(s) failed" in res.stderr
