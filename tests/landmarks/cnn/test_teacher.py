import numpy as np
import pytest

from gestura.errors import InputError
from gestura.landmarks.cnn.teacher import (from_crop_coords, hand_box, plan_teacher_jobs, read_manifest,
                                           to_crop_coords)


def test_crop_coordinates_roundtrip_and_box_contains_hand():
    rng = np.random.default_rng(0)
    lms = np.concatenate([rng.uniform(0.4, 0.6, (21, 2)), rng.normal(0, 0.02, (21, 1))], axis=1).astype(np.float32)
    wh = (640, 360)
    box = hand_box(lms[:, :2] * np.array(wh))
    crop = to_crop_coords(lms, box, wh)
    assert crop[:, :2].min() > 0.1 and crop[:, :2].max() < 0.9
    np.testing.assert_allclose(from_crop_coords(crop, box, wh), lms, atol=1e-6)


def test_plan_groups_videos_alone_and_photos_by_folder(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/v1.mp4", "a/p1.jpg", "a/p2.png", "v2.avi", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    jobs = {j.source_id: j.group for j in plan_teacher_jobs(tmp_path, tmp_path / "out")}
    assert jobs == {"a__v1": "a__v1", "a__p1": "a", "a__p2": "a", "v2": "v2"}


def test_missing_source_and_manifest_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        plan_teacher_jobs(tmp_path / "nope", tmp_path / "out")
    with pytest.raises(InputError, match="manifest.csv"):
        read_manifest(tmp_path)


@pytest.mark.parametrize("kw, needle", [({"crop_size": 10**6}, "--crop-size: 1e\\+06 is out of bounds"),
                                        ({"crop_size": 4}, "--crop-size: 4 is out of bounds"),
                                        ({"every": 0}, "--every: 0 is out of bounds")])
def test_teacher_sizes_bounded_before_work(tmp_path, kw, needle) -> None:  # type: ignore[no-untyped-def]
    """Issue 19 item 1: a crop side reaches an (N, side, side, 3) allocation; it is bounded where it enters."""
    from gestura.errors import ConfigError
    from gestura.landmarks.cnn.teacher import build_teacher_dataset

    with pytest.raises(ConfigError, match=needle):
        build_teacher_dataset(tmp_path, tmp_path / "out", progress=False, **kw)
    assert not (tmp_path / "out").exists()


def test_photo_groups_infer_people_days_and_ignore_dataset_splits():
    from pathlib import Path

    from gestura.landmarks.cnn.teacher import photo_groups

    # numbered camera photos in class folders: each person shot classes 0, 1, 2 in order
    digits = [Path(f"sd/{c}/IMG_{n}.JPG") for n, c in [(100, 0), (101, 1), (102, 2), (103, 0), (104, 1),
                                                          (105, 2), (200, 0), (202, 2)]]
    phone = [Path("rf/train/images/IMG-20230312-WA0001_jpg.rf.abc.jpg"),
             Path("rf/test/images/IMG-20230312-WA0002_jpg.rf.def.jpg"),
             Path("rf/valid/images/Screenshot-2023-03-14-213428_png.rf.x.jpg")]
    g = photo_groups([*digits, *phone], people_per_group=2)
    # runs: (100-102) (103-105) (200) (202): a number gap or a class that does not rise starts a person
    assert [g[p] for p in digits] == ["sd__p000"] * 6 + ["sd__p001"] * 2
    assert g[phone[0]] == g[phone[1]] == "rf__20230312"  # the dataset's own random train/test split is not a unit
    assert g[phone[2]] == "rf__20230314"
    one = photo_groups(digits, people_per_group=1)
    assert len({one[p] for p in digits}) == 4 and one[digits[0]] == one[digits[2]] != one[digits[3]]


def test_yolo_boxes_read_beside_images_and_bad_lines_are_one_line_errors(tmp_path):
    from gestura.landmarks.cnn.teacher import yolo_boxes

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    img = tmp_path / "images" / "a.jpg"
    img.write_bytes(b"x")
    assert yolo_boxes(img) is None  # no label file: no boxes, not zero boxes
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.4 0.2 0.3\n\n0 0.1 0.1 0.05 0.05")
    np.testing.assert_allclose(yolo_boxes(img), [[0.5, 0.4, 0.2, 0.3], [0.1, 0.1, 0.05, 0.05]])
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.4 0.2\n")
    with pytest.raises(InputError, match=r"a\.txt: line 1 is not a YOLO box") as err:
        yolo_boxes(img)
    assert "\n" not in str(err.value)
    assert yolo_boxes(tmp_path / "b.jpg") is None  # not in an images/ folder


def test_no_hand_photos_are_counted_per_kind():
    from gestura.landmarks.cnn.teacher import describe_teacher_rows, summarize_teacher_rows

    rows = [{"kind": "image", "n_frames": 1, "n_no_hand": 1, "n_hands": 0, "n_background": 0, "n_boxes": 1,
             "n_boxes_missed": 1},
            {"kind": "image", "n_frames": "1", "n_no_hand": "0", "n_hands": "1", "n_background": "1",
             "n_boxes": "1", "n_boxes_missed": "0"},
            {"kind": "video", "n_frames": 10, "n_no_hand": 3, "n_hands": 7, "n_background": 2},
            {"error": "x.mp4: unreadable"}]
    s = summarize_teacher_rows(rows)
    assert s["image"] == {"sources": 2, "frames": 2, "no_hand": 1, "hands": 1, "background": 1, "boxes": 2,
                          "boxes_missed": 1}
    assert s["video"]["no_hand"] == 3 and s["video"]["boxes"] == 0
    text = describe_teacher_rows(rows)
    assert "no teacher hand in 1 of 2 photos" in text and "1 of 2 labelled boxes" in text
    assert "no teacher hand in 3 of 10 frames" in text
