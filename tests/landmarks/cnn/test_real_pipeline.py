"""Teacher dataset -> training -> evaluation -> tracking on ONE shared video, with tiny settings."""

import numpy as np
import pytest

VIDEO = "media/mediapipe-samples/open_hand_video.mp4"


@pytest.fixture(scope="module")
def teacher_dir(shared_datasets, tmp_path_factory):
    from gestura.landmarks.cnn.teacher import build_teacher_dataset

    out = tmp_path_factory.mktemp("teacher")
    rows = build_teacher_dataset(shared_datasets / VIDEO, out, every=25, crop_size=96, background_every=2,
                                 progress=False)
    return out, rows


@pytest.mark.real_data
@pytest.mark.slow
def test_teacher_dataset_has_hand_crops_and_resumes(teacher_dir, shared_datasets):
    from gestura.landmarks.cnn.teacher import build_teacher_dataset, read_crops

    out, rows = teacher_dir
    assert len(rows) == 1 and int(rows[0]["n_hands"]) >= 8 and int(rows[0]["n_background"]) >= 1
    d = read_crops(out, rows[0]["source_id"])
    hands = ~d["background"]
    assert d["crops"].shape[1:] == (96, 96, 3)
    assert d["ok"][hands].all()
    inside = d["landmarks"][hands][..., :2]
    assert inside.min() > 0.0 and inside.max() < 1.0
    npz = out / "crops" / f"{rows[0]['source_id']}.npz"
    before = npz.stat().st_mtime_ns
    again = build_teacher_dataset(shared_datasets / VIDEO, out, every=25, crop_size=96, progress=False)
    assert npz.stat().st_mtime_ns == before and int(again[0]["n_hands"]) == int(rows[0]["n_hands"])


@pytest.mark.real_data
@pytest.mark.slow
def test_tiny_training_run_evaluates_and_tracks(teacher_dir, shared_datasets, tmp_path):
    from gestura.capture.sources import open_source
    from gestura.landmarks.backend import LandmarkBackend
    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model
    from gestura.landmarks.cnn.tracker import CnnHandBackend
    from gestura.training.landmark_cnn import train_landmark_model

    out, _ = teacher_dir
    s = train_landmark_model(out, tmp_path / "model", arch="mobilenetv3_small_050_hand", width=0.25, input_size=64,
                             epochs=2, batch_size=8, threads=1, progress=False)
    assert (tmp_path / "model" / "model.safetensors").is_file() and s["epochs_run"] == 2
    assert s["history"][-1]["train_loss"] < s["history"][0]["train_loss"] * 1.5
    report = evaluate_landmark_model(tmp_path / "model", out)
    assert report["overall"]["n"] >= 8 and np.isfinite(report["overall"]["err_box"])
    with CnnHandBackend(tmp_path / "model", min_confidence=0.0, max_hands=1) as backend:
        assert isinstance(backend, LandmarkBackend)
        sources = []
        with open_source(shared_datasets / VIDEO) as src:
            for frame in src:
                if frame.index >= 4:
                    break
                res = backend.process(frame)
                sources.append(dict(backend.last_sources))
        (slot, first), = sources[0].items()
        assert first == "mediapipe"
        assert all(s == {slot: "cnn"} for s in sources[1:])
        other = "left_hand" if slot == "right_hand" else "right_hand"
        assert res.streams[slot].shape == (21, 3) and res.streams[other] is None
        assert backend.counts["detector_runs"] == 1
