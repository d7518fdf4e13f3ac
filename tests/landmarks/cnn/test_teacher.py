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
