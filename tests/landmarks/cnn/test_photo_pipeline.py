"""Image folders (class folders of numbered photos, and YOLO-labelled phone photos) -> teacher dataset ->
training -> evaluation, on a few shared photos with tiny settings."""

from pathlib import Path

import numpy as np
import pytest

DIGITS = "hand-images/sign-digits"
PHONE = "hand-images/gestures-roboflow"


@pytest.fixture(scope="module")
def photo_folder(shared_datasets, tmp_path_factory) -> Path:
    """Links to 6 sign-digit photos of two people (each shot 0, 1, 2 in a row) and 4 phone photos with their
    YOLO labels from two days."""
    root = tmp_path_factory.mktemp("photos")
    for n, digit in [(1118, 0), (1119, 1), (1120, 2), (1128, 0), (1129, 1), (1130, 2)]:
        (root / "digits" / str(digit)).mkdir(parents=True, exist_ok=True)
        (root / "digits" / str(digit) / f"IMG_{n}.JPG").symlink_to(shared_datasets / DIGITS / str(digit) /
                                                                   f"IMG_{n}.JPG")
    phone = shared_datasets / PHONE
    for split in ("images", "labels"):
        (root / "phone" / "train" / split).mkdir(parents=True)
    picks = [sorted((phone / "train" / "images").glob(f"IMG-{day}-*"))[:2] for day in ("20230312", "20230313")]
    for img in (p for day in picks for p in day):
        (root / "phone" / "train" / "images" / img.name).symlink_to(img)
        label = phone / "train" / "labels" / f"{img.stem}.txt"
        (root / "phone" / "train" / "labels" / label.name).symlink_to(label)
    return root


@pytest.mark.real_data
def test_photos_to_teacher_dataset_training_and_evaluation(photo_folder, tmp_path):
    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model
    from gestura.landmarks.cnn.teacher import build_teacher_dataset, read_crops, summarize_teacher_rows
    from gestura.training.landmark_cnn import train_landmark_model

    data = tmp_path / "data"
    rows = build_teacher_dataset(photo_folder, data, crop_size=64, max_hands=1, progress=False)
    assert not [r for r in rows if "error" in r]
    groups = {r["source_id"]: r["group"] for r in rows}
    assert {g for s, g in groups.items() if s.startswith("digits")} == {"digits__p000"}  # 2 people, one group
    assert {g for s, g in groups.items() if s.startswith("phone")} == {"phone__20230312", "phone__20230313"}
    summary = summarize_teacher_rows(rows)["image"]
    assert summary["sources"] == summary["frames"] == 10 and summary["boxes"] == 4
    assert summary["hands"] + summary["no_hand"] == 10 and summary["hands"] >= 6
    hands = [read_crops(data, r["source_id"]) for r in rows if int(r["n_hands"])]
    assert all(d["crops"].shape[1:] == (64, 64, 3) and d["landmarks"].shape[1:] == (21, 3) for d in hands)
    assert all(np.isfinite(d["landmarks"]).all() and d["score"][~d["background"]].min() > 0 for d in hands)
    s = train_landmark_model(data, tmp_path / "model", arch="mobilenetv3_small_050_hand", width=0.25,
                             input_size=64, epochs=2, batch_size=4, threads=1, progress=False,
                             val=["phone__20230312"], held_out=["phone__20230313"])
    assert s["epochs_run"] == 2 and s["train_groups"] == ["digits__p000"] and s["held_out_report"]["n"] >= 1
    plain = evaluate_landmark_model(tmp_path / "model", data)
    flipped = evaluate_landmark_model(tmp_path / "model", data, flip=True)
    assert plain["groups"] == ["phone__20230313"] and np.isfinite(plain["overall"]["err_box"])
    assert plain["overall"]["n"] == flipped["overall"]["n"]
    assert plain["overall"]["err_box"] != pytest.approx(flipped["overall"]["err_box"], abs=1e-6)
