"""`extract` / `gestura extract`: layout, labels, resume and bad files (fake backend), then the shared media."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from gestura.cli import app
from gestura.data import ingest
from gestura.errors import InputError
from gestura.landmarks.backend import LandmarkFrame
from gestura.landmarks.sequence import LandmarkSequence

MEDIA = "media/mediapipe-samples"


def write_video(path: Path, brightness: int, n: int = 6, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (32, 24))
    for _ in range(n):
        writer.write(np.full((24, 32, 3), brightness, np.uint8))
    writer.release()
    return path


def write_image(path: Path, brightness: int) -> Path:
    Image.fromarray(np.full((24, 32, 3), brightness, np.uint8)).save(path)
    return path


class BrightHandBackend:
    """Stands in for MediaPipe: a bright frame holds a right hand, a dark one nothing."""

    stream_names = ("left_hand", "right_hand")
    calls = 0

    def reset(self) -> None:
        pass

    def process(self, frame):  # type: ignore[no-untyped-def]
        BrightHandBackend.calls += 1
        hand = np.full((21, 3), 0.5, np.float32) if frame.rgb.mean() > 100 else None
        scores = {"right_hand": 0.9} if hand is not None else {}
        return LandmarkFrame({"left_hand": None, "right_hand": hand}, scores, t_ms=frame.t_ms, size=frame.size)


@pytest.fixture()
def fake_backend(monkeypatch):
    BrightHandBackend.calls = 0
    monkeypatch.setattr(ingest, "_backend", lambda job, static: BrightHandBackend())
    return BrightHandBackend


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_class_folders_give_labelled_seed003_layout_and_resume(tmp_path, fake_backend):
    src = tmp_path / "src"
    (src / "wave").mkdir(parents=True)
    (src / "fist").mkdir()
    write_video(src / "wave" / "w1.mp4", 200, n=6)
    write_video(src / "wave" / "dark.mp4", 10, n=4)  # no hand anywhere
    write_image(src / "fist" / "f1.png", 220)
    frames = src / "fist" / "take2"  # an image sub-folder is one clip
    frames.mkdir()
    for i in range(3):
        write_image(frames / f"{i:03d}.png", 200)
    (src / "fist" / "broken.mp4").write_bytes(b"")
    out = tmp_path / "out"
    seen = []
    report = ingest.extract(src, out, progress=False, in_process=True, on_result=seen.append)
    assert sorted(r.video_id for r in report.extracted) == ["f1", "take2", "w1"]
    assert sorted(r.video_id for r in report.errors) == ["broken", "dark"]
    assert len(seen) == 5
    assert report.labels == {"fist": 2, "wave": 1}

    seq = LandmarkSequence.from_npz(out / "w1.npz")
    assert seq.n_frames == 6 and seq.fps == pytest.approx(10.0)
    assert seq.present["right_hand"].all() and not seq.present["left_hand"].any()
    np.testing.assert_allclose(seq.handedness["right_hand"], 0.9)
    assert LandmarkSequence.from_npz(out / "take2.npz").n_frames == 3
    gt = (out / "groundtruth.txt").read_text().splitlines()
    assert gt == ["f1 0 fist", "take2 0 fist", "w1 0 wave"]
    meta = {r["video_id"]: r for r in _rows(out / "meta.csv")}
    assert set(meta) == {"f1", "take2", "w1"}
    assert meta["w1"]["n_frames"] == "6" and float(meta["w1"]["hand_present_rate"]) == 1.0
    assert meta["f1"]["label"] == "fist" and meta["f1"]["width"] == "32"
    errors = {r["video_id"]: r["error"] for r in _rows(out / "errors.csv")}
    assert "empty file" in errors["broken"] and "no hand found in any of 4 frames" in errors["dark"]
    assert not list(out.glob(".*.tmp"))

    # Second run: finished clips are skipped (no frame processed for them), failed ones are retried.
    fake_backend.calls = 0
    mtime = (out / "w1.npz").stat().st_mtime_ns
    again = ingest.extract(src, out, progress=False, in_process=True)
    assert sorted(r.video_id for r in again.skipped) == ["f1", "take2", "w1"]
    assert fake_backend.calls == 4  # only dark.mp4's frames
    assert (out / "w1.npz").stat().st_mtime_ns == mtime
    assert len(_rows(out / "meta.csv")) == 3

    # The dataset readers see the folder as a labelled seed-003 dataset.
    formats = pytest.importorskip("gestura.data.formats")
    ds = formats.load_dataset(out)
    assert sorted(s.label for s in ds) == ["fist", "fist", "wave"]


def test_plain_image_folder_gives_one_frame_clips_without_groundtruth(tmp_path, fake_backend):
    write_image(tmp_path / "a.jpg", 200)
    write_image(tmp_path / "b.png", 210)
    report = ingest.extract(tmp_path, tmp_path / "out", progress=False, in_process=True)
    assert [r.n_frames for r in report.extracted] == [1, 1]
    assert not (tmp_path / "out" / "groundtruth.txt").exists()
    assert [r["label"] for r in _rows(tmp_path / "out" / "meta.csv")] == ["", ""]


def test_missing_src_and_unwritable_out_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        ingest.extract(tmp_path / "nope", tmp_path / "out", progress=False)
    write_image(tmp_path / "a.png", 200)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InputError, match="not writable|not a folder"):
        ingest.extract(tmp_path / "a.png", blocker / "out", progress=False)
    with pytest.raises(InputError, match="not a folder"):
        ingest.extract(tmp_path / "a.png", blocker, progress=False)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_out_dir_is_an_input_error(tmp_path):
    write_image(tmp_path / "a.png", 200)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(InputError, match="not writable"):
            ingest.extract(tmp_path / "a.png", ro / "out", progress=False)
    finally:
        ro.chmod(0o700)


def test_cli_missing_src_and_unwritable_out_exit_2_with_one_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "nope" in res.stderr and "Traceback" not in res.stderr
    write_image(tmp_path / "a.png", 200)
    (tmp_path / "file.txt").write_text("x")
    res = runner.invoke(app, ["extract", str(tmp_path / "a.png"), "--out", str(tmp_path / "file.txt" / "out")])
    assert res.exit_code == 2 and "file.txt" in res.stderr and "Traceback" not in res.stderr


# ---------------------------------------------------------------------------------------- real MediaPipe
@pytest.mark.real_data
@pytest.mark.slow
def test_cli_extracts_shared_videos_with_two_workers_and_reports_bad_files(tmp_path, shared_datasets):
    pytest.importorskip("mediapipe")
    src = tmp_path / "src"
    for label, name in (("open", "open_hand_video.mp4"), ("thumb", "thumb_up_video.mp4")):
        (src / label).mkdir(parents=True)
        (src / label / name).symlink_to(shared_datasets / MEDIA / name)
    bad = src / "bad"
    bad.mkdir()
    (bad / "zero.mp4").write_bytes(b"")
    (bad / "text.mp4").write_text("not a video at all\n" * 50)
    data = (shared_datasets / MEDIA / "open_hand_video.mp4").read_bytes()
    (bad / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (bad / "unreadable.jpg").write_bytes(b"\xff\xd8\xff garbage")
    write_image(bad / "blank.png", 127)
    out = tmp_path / "out"

    runner = CliRunner()
    res = runner.invoke(app, ["extract", str(src), "--out", str(out), "--workers", "2"])
    assert res.exit_code == 0, res.output
    skipped = [line for line in res.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 5 and "Traceback" not in res.stderr
    errors = {r["video_id"]: r["error"] for r in _rows(out / "errors.csv")}
    assert set(errors) == {"zero", "text", "truncated", "unreadable", "blank"}
    assert "truncated video" in errors["truncated"] and "no hand found" in errors["blank"]

    open_hand = LandmarkSequence.from_npz(out / "open_hand_video.npz")
    assert open_hand.n_frames == 202 and open_hand.any_hand_present().sum() >= 200
    assert open_hand.fps == pytest.approx(25.0) and set(open_hand.handedness) == {"left_hand", "right_hand"}
    # MediaPipe calls this hand "Left" on the unmirrored video: in selfie view it is the person's right hand.
    right = open_hand.present["right_hand"]
    assert right.sum() > 0.9 * 202 and float(open_hand.handedness["right_hand"][right].mean()) > 0.8
    xy = open_hand.streams["right_hand"][right, :, :2]
    assert 0.0 <= xy.min() and xy.max() <= 1.0 + 1e-3
    assert LandmarkSequence.from_npz(out / "thumb_up_video.npz").n_frames == 195
    assert (out / "groundtruth.txt").read_text().splitlines() == ["open_hand_video 0 open", "thumb_up_video 0 thumb"]
    assert "clips extracted" in res.stdout

    mtime = (out / "open_hand_video.npz").stat().st_mtime_ns
    res = runner.invoke(app, ["extract", str(src), "--out", str(out), "--workers", "2"])
    assert res.exit_code == 0
    assert (out / "open_hand_video.npz").stat().st_mtime_ns == mtime
    assert "already done (skipped) │ 2" in res.stdout


@pytest.mark.real_data
@pytest.mark.slow
def test_holistic_extract_of_a_signer_writes_pose_face_and_hands(tmp_path, shared_datasets):
    pytest.importorskip("mediapipe")
    report = ingest.extract(shared_datasets / "media/msl150/hoy_001.mp4", tmp_path, holistic=True,
                            progress=False, in_process=True)
    (clip,) = report.extracted
    arrays = np.load(tmp_path / "hoy_001.npz")
    assert arrays["pose"].shape == (clip.n_frames, 33, 4)
    assert arrays["face"].shape == (clip.n_frames, 468, 3)
    assert arrays["left_hand"].shape == arrays["right_hand"].shape == (clip.n_frames, 21, 3)
    seq = LandmarkSequence.from_npz(tmp_path / "hoy_001.npz")
    assert seq.present["pose"].mean() > 0.9 and seq.any_hand_present().mean() > 0.5
    # Selfie view: the person's left shoulder (pose 11) is on the image's left, and each hand slot lies nearer
    # its own pose wrist (15 left, 16 right) than the other one.
    pose = seq.streams["pose"][seq.present["pose"]]
    assert pose[:, 11, 0].mean() < pose[:, 12, 0].mean()
    checked = 0
    for hand, own, other in (("left_hand", 15, 16), ("right_hand", 16, 15)):
        both = seq.present[hand] & seq.present["pose"]
        if both.sum() >= 5:
            wrist = seq.streams[hand][both, 0, :2]
            d_own = np.linalg.norm(wrist - seq.streams["pose"][both, own, :2], axis=1).mean()
            d_other = np.linalg.norm(wrist - seq.streams["pose"][both, other, :2], axis=1).mean()
            assert d_own < d_other
            checked += 1
    assert checked >= 1
