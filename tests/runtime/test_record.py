"""`gestura record` with a real video file as the camera: countdown, one clip per take, seed-003 layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gestura.cli import app


@pytest.mark.real_data
@pytest.mark.slow
def test_record_from_video_writes_dataset(shared_datasets: Path, tmp_path: Path) -> None:
    from gestura.data.formats import load_dataset

    video = shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    out = tmp_path / "mine"
    args = ["record", "--label", "open_palm", "--count", "2", "--out", str(out), "--source", str(video),
            "--seconds", "1.0", "--countdown", "0.5", "--subject", "tester"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "GO" in res.output and "wrote 2 takes" in res.output
    ds = load_dataset(out)
    assert len(ds.sequences) == 2 and ds.labels == ["open_palm"]
    for seq in ds.sequences:
        assert 20 <= seq.n_frames <= 30  # 1 s of a 25 fps video
        assert seq.any_hand_present().mean() > 0.9  # MediaPipe finds the open hand
        assert seq.subject == "tester"
    # Recording again appends instead of replacing.
    res = CliRunner().invoke(app, [*args[:4], "1", *args[5:]])
    assert res.exit_code == 0, res.output
    assert len(load_dataset(out).sequences) == 3


def test_record_errors(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["record", "--label", "bad label", "--count", "1", "--out", str(tmp_path),
                                   "--source", str(tmp_path / "nope.mp4")])
    assert res.exit_code == 2 and "letters, digits" in res.output
    res = CliRunner().invoke(app, ["record", "--label", "ok", "--count", "1", "--out", str(tmp_path),
                                   "--source", str(tmp_path / "nope.mp4")])
    assert res.exit_code == 2 and "nope.mp4" in res.output


@pytest.mark.parametrize("opt, value, needle", [
    ("--seconds", "nan", "--seconds: must be finite"),
    ("--seconds", "0", "--seconds: 0 is out of bounds"),
    ("--seconds", "1e9", "--seconds: 1e+09 is out of bounds"),
    ("--countdown", "-1", "--countdown: -1 is out of bounds"),
])
def test_record_durations_bounded(tmp_path: Path, opt: str, value: str, needle: str) -> None:
    """Issue 19 item 7: `record --seconds nan` was accepted."""
    res = CliRunner().invoke(app, ["record", "--label", "ok", "--count", "1", "--out", str(tmp_path / "o"),
                                   "--source", str(tmp_path / "nope.mp4"), opt, value])
    assert res.exit_code == 2 and needle in res.stderr, res.output
    assert not (tmp_path / "o").exists()
