"""The presentation-clips reader on a tiny generated folder and on a few real shared takes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.data.formats import detect_formats, load_dataset
from gestura.data.formats.presentation_clips import COORDS, read_presentation_clips, read_take
from gestura.errors import InputError


def _take(root: Path, person: str, hand: str, label: str, take: int, n: int = 30, *, name: str | None = None,
          record_s: float | None = 2.0, override: dict[str, object] | None = None) -> Path:
    rng = np.random.default_rng(take)
    seq = rng.normal(size=(n, 63)).astype(np.float32)
    seq[:, :3] = 0.0  # the wrist is the origin
    arrays: dict[str, object] = {"seq": seq, "seq12": seq[np.linspace(0, n - 1, 12).astype(int)],
                                 "label": np.array(label), "name": np.array(name or person),
                                 "hand": np.array(hand), "fps": np.float64(30.0), "ts": np.float64(1.7e9 + take)}
    if record_s is not None:
        arrays["record_s"] = np.float64(record_s)
    arrays.update(override or {})
    path = root / person / hand / label / f"{label}_{person}_{hand}_{1700000000 + take}_{take:03d}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


@pytest.fixture
def clips_dir(tmp_path: Path) -> Path:
    root = tmp_path / "clips"
    _take(root, "ann", "Right", "swipe_left", 0, n=60)
    _take(root, "ann", "Right", "pinch", 1, n=60, name="Ann")
    _take(root, "bob", "Left", "swipe_left", 2, n=30)
    _take(root, "bob", "Right", "swipe_right", 3, n=30, record_s=None)
    return root


def test_takes_become_one_hand_sequences_with_ids(clips_dir: Path) -> None:
    assert detect_formats(clips_dir) == [("presentation_clips", clips_dir)]
    ds = load_dataset(clips_dir)
    assert ds.format == "presentation_clips" and len(ds) == 4
    s = next(x for x in ds if x.subject == "bob" and x.session == "bob-Left")
    assert list(s.streams) == ["left_hand"] and s.streams["left_hand"].shape == (30, 21, 3)
    assert s.label == "swipe_left" and s.attrs["coords"] == COORDS and s.attrs["hand"] == "Left"
    assert s.present["left_hand"].all()
    raw = np.load(s.source)["seq"].reshape(30, 21, 3)
    np.testing.assert_array_equal(s.streams["left_hand"], raw)  # coordinates as stored
    # 30 frames of a 2 s recording: spread over 2 s (15 fps), the stored 30 fps kept aside
    assert s.fps == pytest.approx(15.0) and s.t[0] == 0.0 and s.t[-1] == pytest.approx(29 / 15)
    assert s.attrs["fps_stored"] == 30.0 and s.attrs["record_s"] == 2.0
    no_record = next(x for x in ds if x.label == "swipe_right")
    assert no_record.fps == 30.0 and no_record.attrs["timing"] == "fps"
    assert sorted(set(ds.group_ids("subject"))) == ["ann", "bob"]
    assert sorted(set(ds.group_ids("session"))) == ["ann-Right", "bob-Left", "bob-Right"]
    assert ds.label_counts() == {"pinch": 1, "swipe_left": 2, "swipe_right": 1}
    assert len({s.video_id for s in ds}) == 4


def test_stored_fps_timing(clips_dir: Path) -> None:
    seqs = read_presentation_clips(clips_dir, timing="fps")
    assert {s.fps for s in seqs} == {30.0}
    s = next(x for x in seqs if x.n_frames == 30)
    np.testing.assert_allclose(s.t, np.arange(30) / 30.0)


def test_data_info_reads_the_format(clips_dir: Path) -> None:
    res = CliRunner().invoke(app, ["data", "info", str(clips_dir), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["format"] == "presentation_clips" and info["n_sequences"] == 4
    assert info["groups"]["subject"] == 2 and info["groups"]["session"] == 3


@pytest.mark.parametrize("override, match", [
    ({"seq": np.zeros((5, 42), np.float32)}, r"'seq' must be \(T, 63\)"),
    ({"seq": np.zeros((0, 63), np.float32)}, r"'seq' must be \(T, 63\)"),
    ({"label": np.array("pinch")}, "label 'pinch' disagrees with its folder 'swipe_left'"),
    ({"hand": np.array("Left")}, "hand 'Left' disagrees"),
    ({"name": np.array("carl")}, "name 'carl' disagrees"),
    ({"fps": np.float64(0.0)}, "fps must be positive"),
    ({"label": np.array(["a", "b"])}, "'label' must be one value"),
])
def test_bad_take_is_one_line_error_naming_the_file(tmp_path: Path, override: dict[str, object],
                                                    match: str) -> None:
    path = _take(tmp_path, "ann", "Right", "swipe_left", 0, override=override)
    with pytest.raises(InputError, match=match) as err:
        load_dataset(tmp_path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_nan_take_and_corrupt_file_are_errors(tmp_path: Path) -> None:
    seq = np.zeros((10, 63), np.float32)
    seq[3, 5] = np.nan
    path = _take(tmp_path, "ann", "Right", "pinch", 0, override={"seq": seq})
    with pytest.raises(InputError, match="NaN/inf"):
        read_take(path)
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable .npz"):
        read_take(path)
    path.unlink()
    np.savez(path, other=np.zeros(3))
    with pytest.raises(InputError, match="no 'seq' array"):
        read_take(path)


def test_wrong_folder_depth_is_an_error(tmp_path: Path) -> None:
    path = _take(tmp_path, "ann", "Right", "pinch", 0)
    moved = tmp_path / "ann" / "Middle" / "pinch" / path.name
    moved.parent.mkdir(parents=True)
    path.rename(moved)
    with pytest.raises(InputError, match="hand folder is 'Middle'"):
        read_take(moved)
    with pytest.raises(InputError, match="unknown dataset format"):
        load_dataset(tmp_path)


@pytest.mark.real_data
def test_real_presentation_clips_takes(shared_datasets: Path) -> None:
    root = shared_datasets / "presentation-clips"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    assert detect_formats(root) == [("presentation_clips", root)]
    for person, hand, slot in (("josh", "Right", "right_hand"), ("meric", "Left", "left_hand"),
                               ("anja", "Right", "right_hand")):
        path = sorted((root / person / hand / "swipe_left").glob("*.npz"))[0]
        s = read_take(path)
        assert list(s.streams) == [slot] and s.label == "swipe_left" and s.subject == person
        assert s.session == f"{person}-{hand}" and s.attrs["coords"] == COORDS
        np.testing.assert_allclose(s.streams[slot][:, 0], 0.0, atol=1e-5)  # wrist at the origin
        palm = np.linalg.norm(s.streams[slot][:, 9], axis=-1)  # wrist -> middle knuckle, 1 by construction
        assert np.median(palm) == pytest.approx(1.0, abs=0.1)
        assert s.duration == pytest.approx(2.0, abs=0.05)
