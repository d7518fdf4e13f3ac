"""Dataset readers on generated fixtures and on the real shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.formats import (
    detect_formats,
    frame_labels_from_marks,
    load_dataset,
    split_holistic,
    write_seed003,
)
from gestura.data.synthetic import SubjectStyle, make_clip, make_dataset, make_session
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence
from shared_subsets import seed003_subset


# ------------------------------------------------------------------ fixtures
def _clips(n: int = 3) -> list[LandmarkSequence]:
    ds = make_dataset(2, 1, classes=("fist", "swiping_left"), seed=3)
    seqs = ds.sequences[:n]
    for i, s in enumerate(seqs):
        s.episode = f"ep{i}"
    return seqs


@pytest.fixture
def seed003_dir(tmp_path: Path) -> Path:
    seqs = _clips(4)
    stream = make_session(["swiping_right", "fist"], SubjectStyle(subject="p1"), seed=2, fps=15)
    write_seed003(tmp_path / "ds", [*seqs, stream])
    return tmp_path / "ds"


def _write_mp_data(root: Path, width: int, n_seq: int = 2, n_frames: int = 5) -> Path:
    rng = np.random.default_rng(0)
    for action in ("hello", "thanks"):
        for s in range(n_seq):
            d = root / action / str(s)
            d.mkdir(parents=True)
            for f in range(n_frames):
                v = rng.random(width)
                if f == 1:
                    v[-21 * (3 if width == 1662 else 4):] = 0
                v[:132] = f  # pose x of every point = frame number, to check ordering
                np.save(d / f"{f}.npy", v)
    return root


def _write_kazuhito(root: Path, *, bom: bool = True) -> Path:
    ph = root / "model" / "point_history_classifier"
    kp = root / "model" / "keypoint_classifier"
    ph.mkdir(parents=True)
    kp.mkdir(parents=True)
    rng = np.random.default_rng(1)
    rows = []
    for i in range(6):
        pts = np.cumsum(rng.normal(0, 0.01, (16, 2)), axis=0)
        pts -= pts[0]
        if i == 0:
            pts[5] = 0.0
        rows.append(",".join([str(i % 2)] + [f"{v:.6f}" for v in pts.ravel()]))
    (ph / "point_history.csv").write_text("\n".join(rows) + "\n")
    (ph / "point_history_episode_ids.txt").write_text("\n".join(str(i // 3) for i in range(6)) + "\n")
    prefix = "\ufeff" if bom else ""
    (ph / "point_history_classifier_label.csv").write_text(prefix + "Stop\r\nMove\r\n", encoding="utf-8")
    kp_rows = [",".join([str(i % 3)] + [f"{v:.4f}" for v in rng.uniform(-1, 1, 42)]) for i in range(5)]
    (kp / "keypoint.csv").write_text("\n".join(kp_rows))
    (kp / "keypoint_classifier_label.csv").write_text(prefix + "Open\nClose\nPointer", encoding="utf-8")
    return root


# ------------------------------------------------------------------ seed-003
def test_seed003_round_trip_keeps_arrays_labels_and_ids(seed003_dir: Path) -> None:
    ds = load_dataset(seed003_dir)
    assert ds.format == "seed003" and len(ds) == 5
    by_id = {s.video_id: s for s in ds}
    orig = _clips(4)
    for s in orig:
        back = by_id[s.video_id]
        assert back.label == s.label and back.frame_labels is None
        assert back.subject == s.subject and back.session == s.session and back.episode == s.episode
        np.testing.assert_allclose(back.streams["right_hand"], s.streams["right_hand"], atol=1e-6)
        assert back.present["right_hand"].tolist() == s.present["right_hand"].tolist()
    stream = by_id["p1_session2"]
    assert stream.label is None and stream.fps == pytest.approx(15)
    ref = make_session(["swiping_right", "fist"], SubjectStyle(subject="p1"), seed=2, fps=15)
    assert stream.frame_labels.tolist() == ref.frame_labels.tolist()
    np.testing.assert_allclose(stream.t, ref.t)
    counts = ds.label_counts()
    assert counts["swiping_right"] == 1 + sum(s.label == "swiping_right" for s in orig)
    assert counts["unknown"] == 3  # before, between and after the two prompts
    assert ds.group_ids("subject").tolist().count("p1") == 1


def test_frame_labels_hold_until_next_mark() -> None:
    fl = frame_labels_from_marks([(0, "unknown"), (3, "fist"), (5, "unknown")], 7, "x")
    assert fl.tolist() == ["unknown"] * 3 + ["fist"] * 2 + ["unknown"] * 2


def test_meta_fps_used_when_npz_has_none(tmp_path: Path) -> None:
    seq = LandmarkSequence.from_arrays({"right_hand": np.ones((4, 21, 3))}, 30, video_id="a")
    np.savez(tmp_path / "a.npz", right_hand=seq.streams["right_hand"])
    (tmp_path / "groundtruth.txt").write_text("a 0 fist\n")
    (tmp_path / "meta.csv").write_text("video_id,label,recorded_by,session,fps\na,fist,ann,ann-1,12.5\n")
    (s,) = load_dataset(tmp_path).sequences
    assert s.fps == 12.5 and s.subject == "ann" and s.session == "ann-1"
    np.testing.assert_allclose(s.t, np.arange(4) / 12.5)


def test_unlabelled_extract_output_loads(tmp_path: Path) -> None:
    for s in _clips(2):
        s.to_npz(tmp_path / f"{s.video_id}.npz")
    ds = load_dataset(tmp_path)
    assert len(ds) == 2 and ds.labels == [] and ds.summary()["unlabelled"] == 2


@pytest.mark.parametrize(
    ("gt", "match"),
    [
        ("{a} 0 fist\n{b} 0 fist\nghost 0 fist\n", "no .npz"),
        ("{a} 0 fist\n", "no line in groundtruth.txt"),
        ("{a} 0 fist\n{b} zero fist\n", "expected '<video_id> <frame_idx> <label>'"),
        ("{a} 0 fist\n{b} 4 fist\n", "first annotation is at frame 4"),
        ("{a} 0 fist\n{b} 0 fist\n{b} 999 unknown\n", "annotation at frame 999"),
        ("{a} 0 fist\n{b} 0 fist\n{b} 0 unknown\n", "second label"),
    ],
)
def test_bad_groundtruth_is_one_line_error(tmp_path: Path, gt: str, match: str) -> None:
    a, b = _clips(2)
    write_seed003(tmp_path, [a, b])
    (tmp_path / "groundtruth.txt").write_text(gt.format(a=a.video_id, b=b.video_id))
    with pytest.raises(InputError, match=match) as err:
        load_dataset(tmp_path)
    assert "\n" not in str(err.value)


def test_nan_npz_and_missing_groundtruth_are_errors(tmp_path: Path) -> None:
    a, b = _clips(2)
    write_seed003(tmp_path, [a, b])
    bad = a.streams["right_hand"].copy()
    bad[0, 0, 0] = np.nan
    np.savez(tmp_path / f"{a.video_id}.npz", right_hand=bad)
    with pytest.raises(InputError, match=f"{a.video_id}.npz: stream 'right_hand' has NaN"):
        load_dataset(tmp_path)
    a.to_npz(tmp_path / f"{a.video_id}.npz")
    (tmp_path / "groundtruth.txt").unlink()
    with pytest.raises(InputError, match="groundtruth.txt: label file missing"):
        load_dataset(tmp_path)


def test_binary_groundtruth_and_bad_meta_are_errors(tmp_path: Path) -> None:
    a, b = _clips(2)
    write_seed003(tmp_path, [a, b])
    (tmp_path / "meta.csv").write_text("id,label\nx,fist\n")
    with pytest.raises(InputError, match="meta.csv: no 'video_id' column"):
        load_dataset(tmp_path)
    (tmp_path / "groundtruth.txt").write_bytes(b"\xff\xfe\x00\x81 0 fist")
    with pytest.raises(InputError, match="groundtruth.txt: not a UTF-8 text file"):
        load_dataset(tmp_path)


def test_ragged_npz_is_error(tmp_path: Path) -> None:
    np.savez(tmp_path / "x.npz", right_hand=np.ones((5, 21, 3)), left_hand=np.ones((4, 21, 3)))
    (tmp_path / "groundtruth.txt").write_text("x 0 fist\n")
    with pytest.raises(InputError, match="x.npz: ragged streams"):
        load_dataset(tmp_path)


def test_write_seed003_rejects_bad_ids(tmp_path: Path) -> None:
    a, b = _clips(2)
    b.video_id = a.video_id
    with pytest.raises(InputError, match="duplicate video_id"):
        write_seed003(tmp_path, [a, b])
    b.video_id = "has space"
    with pytest.raises(InputError, match="without spaces"):
        write_seed003(tmp_path, [a, b])


def test_unknown_format_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="unknown dataset format"):
        load_dataset(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        load_dataset(tmp_path / "absent")
    with pytest.raises(InputError, match="unknown dataset format 'csv'"):
        load_dataset(tmp_path, format="csv")


# ------------------------------------------------------------------ MP_Data
@pytest.mark.parametrize("width", [1662, 2172])
def test_mp_data_layouts(tmp_path: Path, width: int) -> None:
    root = _write_mp_data(tmp_path / "MP_Data", width, n_frames=12)
    ds = load_dataset(tmp_path)  # the parent folder is found too
    assert ds.format == "mp_data" and len(ds) == 4 and ds.label_counts() == {"hello": 2, "thanks": 2}
    s = ds[0]
    assert s.streams["pose"].shape == (12, 33, 4) and s.streams["face"].shape == (12, 468, 3)
    assert s.streams["right_hand"].shape == (12, 21, 3)
    np.testing.assert_allclose(s.streams["pose"][:, 0, 0], np.arange(12))  # 10.npy after 9.npy
    assert s.present["right_hand"].tolist() == [True, False] + [True] * 10
    assert ds.root == root


def test_split_holistic_2172_puts_visibility_aside() -> None:
    v = np.arange(2172, dtype=float)[None]
    streams = split_holistic(v)
    assert streams["face"][0, 0].tolist() == [132, 133, 134]
    assert streams["right_hand"][0, -1].tolist() == [2168, 2169, 2170]


def test_mp_data_ragged_and_nan_are_errors(tmp_path: Path) -> None:
    root = _write_mp_data(tmp_path, 1662)
    np.save(root / "hello" / "0" / "3.npy", np.zeros(1000))
    with pytest.raises(InputError, match=r"3.npy: expected 1662 or 2172"):
        load_dataset(root)
    np.save(root / "hello" / "0" / "3.npy", np.zeros(2172))
    with pytest.raises(InputError, match="ragged"):
        load_dataset(root)
    np.save(root / "hello" / "0" / "3.npy", np.full(1662, np.nan))
    with pytest.raises(InputError, match="3.npy: NaN"):
        load_dataset(root)


# ------------------------------------------------------------------ Kazuhito
def test_kazuhito_point_history_and_keypoint(tmp_path: Path) -> None:
    root = _write_kazuhito(tmp_path / "kazuhito")
    ds = load_dataset(root)
    assert ds.format == "kazuhito_point_history" and ds.labels == ["Move", "Stop"]
    s = ds[0]
    assert s.streams["index_tip"].shape == (16, 1, 2) and s.label == "Stop"
    assert not s.present["index_tip"][5] and s.present["index_tip"][0] and s.present["index_tip"].sum() == 15
    assert s.attrs["image_size"] == (960, 540)
    assert len(set(ds.group_ids("episode"))) == 2
    ds_sized = load_dataset(root, image_size=(320, 240))
    assert ds_sized[0].attrs["image_size"] == (320, 240)
    kp = load_dataset(root, format="kazuhito_keypoint")
    assert kp.labels == ["Close", "Open", "Pointer"] and kp[0].streams["right_hand"].shape == (1, 21, 3)
    assert np.all(kp[0].streams["right_hand"][..., 2] == 0)
    assert [f for f, _ in detect_formats(root)] == ["kazuhito_point_history", "kazuhito_keypoint"]
    assert load_dataset(root / "model" / "keypoint_classifier" / "keypoint.csv").format == "kazuhito_keypoint"


def test_kazuhito_errors(tmp_path: Path) -> None:
    root = _write_kazuhito(tmp_path / "k")
    ph = root / "model" / "point_history_classifier"
    (ph / "point_history_episode_ids.txt").write_text("0\n1\n")
    with pytest.raises(InputError, match="2 episode ids for 6 rows"):
        load_dataset(root)
    (ph / "point_history_episode_ids.txt").unlink()
    text = (ph / "point_history.csv").read_text().splitlines()
    (ph / "point_history.csv").write_text("\n".join(text[:2] + ["0,1,2"] + text[3:]))
    with pytest.raises(InputError, match=r"point_history.csv:3: expected 33"):
        load_dataset(root)
    (ph / "point_history.csv").write_text("\n".join(["5" + t[1:] for t in text]))
    with pytest.raises(InputError, match="class index 5 outside the 2 labels"):
        load_dataset(root)
    (ph / "point_history.csv").write_text("\n".join([t + ",nan" if i == 1 else t for i, t in enumerate(text)]))
    with pytest.raises(InputError, match="point_history.csv:2: expected 33"):
        load_dataset(root)
    text[1] = ",".join(text[1].split(",")[:-1] + ["nan"])
    (ph / "point_history.csv").write_text("\n".join(text))
    with pytest.raises(InputError, match="point_history.csv:2: NaN"):
        load_dataset(root)
    (ph / "point_history_classifier_label.csv").unlink()
    with pytest.raises(InputError, match="point_history_classifier_label.csv: label file not found"):
        load_dataset(root)


# ------------------------------------------------------------------ real shared data


@pytest.mark.real_data
@pytest.mark.slow
def test_real_asl_words_full(shared_datasets: Path) -> None:
    ds = load_dataset(shared_datasets / "asl-traduttore" / "words")
    assert ds.format == "seed003" and len(ds) == 4693 and len(ds.labels) == 33
    assert {s.n_frames for s in ds} == {20}
    assert ds[0].streams["pose"].shape == (20, 33, 4)
    assert len(set(ds.group_ids("subject"))) >= 3 and len(set(ds.group_ids("session"))) > 3
    assert 0 < ds.summary()["missing_hand_rate"] < 0.2


@pytest.mark.real_data
def test_real_asl_letters_subset(shared_datasets: Path, tmp_path: Path) -> None:
    ds = load_dataset(seed003_subset(shared_datasets / "asl-traduttore" / "letters", tmp_path / "l", 3))
    assert len(ds.labels) == 28 and set(ds.label_counts().values()) == {3}
    assert "pose" not in ds[0].streams and ds[0].streams["left_hand"].shape == (20, 21, 3)
    assert all(s.subject for s in ds)


@pytest.mark.real_data
def test_real_presentation_streams_frame_labels(shared_datasets: Path) -> None:
    ds = load_dataset(shared_datasets / "presentation-streams")
    assert len(ds) == 5 and sum(s.n_frames for s in ds) == 22691
    counts = ds.label_counts()
    assert counts["swiping_left"] == 50 and counts["rotate_right"] == 50
    by_id = {s.video_id: s for s in ds}
    j3 = by_id["joschua_s3"]
    assert j3.label is None and j3.frame_labels[100] == "unknown" and j3.frame_labels[101] == "swiping_left"
    assert j3.frame_labels[127] == "swiping_left" and j3.frame_labels[128] == "unknown"
    assert by_id["meric_s1"].fps == pytest.approx(15.07, abs=0.01) and by_id["meric_s1"].subject == "meric"
    assert by_id["meric_s1"].present["left_hand"].mean() > 0.9 and not by_id["meric_s1"].present["right_hand"].any()
    assert len(set(ds.group_ids("subject"))) == 2 and len(set(ds.group_ids("session"))) == 5


@pytest.mark.real_data
def test_real_mp_data(shared_datasets: Path) -> None:
    ds = load_dataset(shared_datasets / "mpdata-ilkerdemir")
    assert ds.format == "mp_data" and len(ds) == 180
    assert ds.label_counts() == {"hello": 60, "seeyoulater": 60, "thanks": 60}
    assert {s.n_frames for s in ds} == {30}


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("name", "n", "classes", "size"),
    [
        ("kazuhito", 5296, ["Clockwise", "Counter Clockwise", "Move", "Stop"], (960, 540)),
        ("segfault03", 3881, ["Circle", "Left Swipe", "Right Swipe", "Wave"], (640, 480)),
        ("farhad99", 552, ["zoom in", "zoom out", "zoom start"], (640, 480)),
    ],
)
def test_real_kazuhito_sets(shared_datasets: Path, name: str, n: int, classes: list[str],
                            size: tuple[int, int]) -> None:
    ds = load_dataset(shared_datasets / "trajectories" / name)
    assert len(ds) == n and ds.labels == classes and ds[0].attrs["image_size"] == size
    assert len(set(ds.group_ids("episode"))) > 100
    rate = ds.summary()["missing_hand_rate"]
    assert 0 < rate < 0.15
    kp = load_dataset(shared_datasets / "trajectories" / name, format="kazuhito_keypoint")
    assert kp.format == "kazuhito_keypoint" and not any(lab.startswith("\ufeff") for lab in kp.labels)


@pytest.mark.real_data
def test_real_farhad99_absent_frames_are_zeroed(shared_datasets: Path) -> None:
    ds = load_dataset(shared_datasets / "trajectories" / "farhad99")
    tips = np.stack([s.streams["index_tip"][:, 0] for s in ds])
    pres = np.stack([s.present["index_tip"] for s in ds])
    assert (~pres).any() and np.all(tips[~pres] == 0)
    # no absent frame may survive as a repeated negative "minus first point" pair
    for row, p in zip(tips, pres):
        neg = row[p & (row[:, 0] < -0.05) & (row[:, 1] < -0.05)]
        assert len(neg) == len(np.unique(neg, axis=0))


def test_make_clip_default_length_is_one_second() -> None:
    s = make_clip("fist", SubjectStyle(), np.random.default_rng(0), fps=20)
    assert s.n_frames == 20
