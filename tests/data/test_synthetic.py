"""The synthetic gesture generator: determinism, shapes, class-specific motion and aligned session labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gestura.data.formats import load_dataset
from gestura.data.synthetic import (
    ALL_CLASSES,
    EXTRA_CLASSES,
    PRESENTATION_CLASSES,
    STREAM_CLASSES,
    SubjectStyle,
    make_clip,
    make_dataset,
    make_session,
    make_stream_dataset,
    write_synthetic,
)
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence

QUIET = SubjectStyle(tremor=0.0, jitter=0.0, drop_rate=0.0)


def _hand(seq: LandmarkSequence) -> tuple[np.ndarray, np.ndarray]:
    name = max(seq.hands(), key=lambda k: seq.present[k].sum())
    return seq.streams[name], seq.present[name]


def _palm(x: np.ndarray) -> float:
    return float(np.linalg.norm(x[:, 9, :2] - x[:, 0, :2], axis=-1).mean())


def _tip_dist(x: np.ndarray, tips: list[int]) -> np.ndarray:
    """`(T,)` mean 2-D distance of fingertips to the wrist, in palm lengths."""
    return np.linalg.norm(x[:, tips, :2] - x[:, :1, :2], axis=-1).mean(axis=1) / _palm(x)


def test_class_tuples() -> None:
    assert len(PRESENTATION_CLASSES) == 10 and PRESENTATION_CLASSES[-1] == "unknown"
    assert EXTRA_CLASSES == ("rotate_left", "rotate_right")


def test_dataset_is_deterministic_and_seed_dependent() -> None:
    a = make_dataset(2, 2, seed=5)
    b = make_dataset(2, 2, seed=5)
    c = make_dataset(2, 2, seed=6)
    assert [s.video_id for s in a] == [s.video_id for s in b]
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.streams["right_hand"], t.streams["right_hand"])
        np.testing.assert_array_equal(s.present["left_hand"], t.present["left_hand"])
    assert any(not np.array_equal(s.streams["right_hand"], t.streams["right_hand"]) for s, t in zip(a, c))


def test_shapes_ranges_and_ids() -> None:
    ds = make_dataset(4, 1, classes=ALL_CLASSES, seed=0, fps=20)
    assert len(ds) == 4 * 12 and set(ds.labels) == set(ALL_CLASSES)
    assert sorted(set(ds.group_ids("subject"))) == ["s00", "s01", "s02", "s03"]
    for s in ds:
        assert s.n_frames == 20 and s.fps == 20
        for k in ("left_hand", "right_hand"):
            assert s.streams[k].shape == (20, 21, 3) and s.streams[k].dtype == np.float32
            assert np.all(s.streams[k][~s.present[k]] == 0)
        x, p = _hand(s)
        assert np.all((x[p, 0, :2] > -0.05) & (x[p, 0, :2] < 1.05))  # the wrist stays in view
        assert np.all((x[p, :, :2] > -0.6) & (x[p, :, :2] < 1.6))  # fingers may leave it, as in MediaPipe
        np.testing.assert_allclose(x[p, 0, 2], 0, atol=0.01)  # z is relative to the wrist
    lefty = [s for s in ds if s.subject == "s03"]
    assert all(not s.present["right_hand"].any() for s in lefty)
    assert sum(s.present["left_hand"].any() for s in lefty) >= 11
    assert make_dataset(1, 1, seed=0, n_classes=3).labels == sorted(PRESENTATION_CLASSES[:3])


@pytest.mark.parametrize("swipe_style", ["whole_hand", "wrist_tilt"])
def test_swipes_move_in_their_image_direction(swipe_style: str) -> None:
    style = replace(QUIET, swipe_style=swipe_style, swipe_amp=1.3 if swipe_style == "whole_hand" else 0.3)
    want = {"swiping_left": (0, -1), "swiping_right": (0, 1), "swiping_up": (1, -1), "swiping_down": (1, 1)}
    for label, (axis, sign) in want.items():
        for k in range(3):
            x, _ = _hand(make_clip(label, style, np.random.default_rng(k), n_frames=30))
            scale = style.aspect if axis == 0 else 1.0
            move = (x[-1, 0, axis] - x[0, 0, axis]) * scale / _palm(x)
            assert sign * move > (0.8 if swipe_style == "whole_hand" else 0.1), (label, move)
            if swipe_style == "wrist_tilt":
                assert abs(move) < 0.6
    tilt = replace(style, swipe_style="wrist_tilt")
    x, _ = _hand(make_clip("swiping_left", tilt, np.random.default_rng(0), n_frames=30))
    v0, v1 = x[0, 9, :2] - x[0, 0, :2], x[-1, 9, :2] - x[-1, 0, :2]
    turn = np.degrees(np.arctan2(v0[0] * v1[1] - v0[1] * v1[0], v0 @ v1))
    assert abs(turn) > 30  # the palm turns, it does not just slide


def test_hand_shapes_differ_by_class() -> None:
    rng = np.random.default_rng
    fist, _ = _hand(make_clip("fist", QUIET, rng(0)))
    assert _tip_dist(fist, [8, 12, 16, 20])[-1] < 0.7 * _tip_dist(fist, [8, 12, 16, 20])[0]
    one, _ = _hand(make_clip("point_one", QUIET, rng(1)))
    assert _tip_dist(one, [8])[-1] > 1.5 and _tip_dist(one, [12, 16, 20])[-1] < 1.1
    two, _ = _hand(make_clip("point_two", QUIET, rng(2)))
    assert _tip_dist(two, [8, 12]).min() > 1.4 and _tip_dist(two, [16, 20])[-1] < 1.1
    spread = lambda x: np.linalg.norm(x[:, 8, :2] - x[:, 20, :2], axis=-1) / _palm(x)  # noqa: E731
    zin, _ = _hand(make_clip("zooming_in_full_hand", QUIET, rng(3)))
    zout, _ = _hand(make_clip("zooming_out_full_hand", QUIET, rng(3)))
    assert spread(zin)[-1] > spread(zin)[0] + 0.3 and spread(zout)[-1] < spread(zout)[0] - 0.3
    size = lambda x: np.linalg.norm(x[:, 9, :2] - x[:, 0, :2], axis=-1)  # noqa: E731
    assert size(zin)[-1] > 1.1 * size(zin)[0] and size(zout)[-1] < 0.9 * size(zout)[0]


def test_rotations_turn_fingers_the_named_way_for_both_hands() -> None:
    for hand in ("right", "left"):
        style = replace(QUIET, handedness=hand)
        for label, sign in (("rotate_left", -1), ("rotate_right", 1)):
            x, _ = _hand(make_clip(label, style, np.random.default_rng(0)))
            ang = np.degrees(np.arctan2((x[:, 9, 0] - x[:, 0, 0]) * style.aspect, x[:, 0, 1] - x[:, 9, 1]))
            assert sign * (ang[-1] - ang[0]) > 10  # fingertips towards smaller x = counter-clockwise
            move = np.linalg.norm(x[-1, 0, :2] - x[0, 0, :2]) / _palm(x)
            assert move < 0.3


def test_left_hand_is_mirrored() -> None:
    right, _ = _hand(make_clip("point_two", QUIET, np.random.default_rng(0)))
    left, _ = _hand(make_clip("point_two", replace(QUIET, handedness="left"), np.random.default_rng(0)))
    assert right[0, 4, 0] < right[0, 20, 0] and left[0, 4, 0] > left[0, 20, 0]  # thumb vs pinky side


def test_unknown_kinds() -> None:
    style = QUIET
    none = make_clip("unknown", style, np.random.default_rng(0), unknown_kind="no_hand")
    assert not none.any_hand_present().any()
    part = make_clip("unknown", style, np.random.default_rng(0), unknown_kind="partial")
    assert 0 < part.any_hand_present().mean() < 1
    idle, _ = _hand(make_clip("unknown", style, np.random.default_rng(0), unknown_kind="idle"))
    assert np.linalg.norm(idle[-1, 0, :2] - idle[0, 0, :2]) / _palm(idle) < 0.5
    with pytest.raises(InputError, match="unknown_kind"):
        make_clip("unknown", style, np.random.default_rng(0), unknown_kind="nap")
    with pytest.raises(InputError, match="unknown synthetic class 'wave'"):
        make_clip("wave", style, np.random.default_rng(0))


def test_session_labels_align_with_motion() -> None:
    script = ["swiping_left", "fist", "swiping_up", "rotate_right", "swiping_right"]
    style = replace(SubjectStyle(), drop_rate=0.0)
    seq = make_session(script, style, seed=3, fps=27)
    assert np.all(np.diff(seq.t) > 0) and not np.allclose(np.diff(seq.t), 1 / 27)
    x, p = _hand(seq)
    palm = _palm(x)
    labels = seq.frame_labels
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    assert [labels[i] for i in starts if labels[i] != "unknown"] == script
    for (lab, a, b), (mlab, m0, m1) in zip(seq.attrs["prompts"], seq.attrs["motions"]):
        assert lab == mlab and a < m0 < b  # people start a little after the prompt
    speed = np.linalg.norm(np.diff(x[:, 0, :2] * [style.aspect, 1], axis=0), axis=1) / np.diff(seq.t) / palm
    in_swipe, in_motion = (np.zeros(len(seq.t) - 1, dtype=bool) for _ in range(2))
    for lab, m0, m1 in seq.attrs["motions"]:
        inside = (seq.t[1:] > m0) & (seq.t[1:] < m1)
        in_motion |= inside
        in_swipe |= inside & lab.startswith("swiping")
    assert speed[in_swipe].mean() > 3 * np.median(speed[~in_motion])
    # the return movement after swiping_left lies in the rest that follows and goes the other way
    _, _, m1 = seq.attrs["motions"][0]
    nxt = seq.attrs["prompts"][1][1]
    i1, i2 = np.searchsorted(seq.t, [m1, nxt])
    assert np.all(labels[i1 + 10: i2] == "unknown") and x[i2 - 1, 0, 0] - x[i1, 0, 0] > 0.3 * palm / style.aspect
    exact = make_session(script, style, seed=3, fps=27, label_mode="motion")
    for lab, m0, m1 in exact.attrs["motions"]:
        inside = (exact.t >= m0) & (exact.t < m1)
        assert np.all(exact.frame_labels[inside] == lab)
    np.testing.assert_array_equal(exact.streams["right_hand"], seq.streams["right_hand"])


def test_session_per_session_distance_changes() -> None:
    style = SubjectStyle.sample(np.random.default_rng(0), "p")
    scales = [style.for_session(np.random.default_rng(i)).scale for i in range(20)]
    assert max(scales) / min(scales) > 2


def test_stream_dataset_is_like_presentation_streams() -> None:
    ds = make_stream_dataset(n_subjects=2, n_sessions=2, reps=2, seed=0)
    assert [s.video_id for s in ds] == ["p00_s1", "p00_s2", "p01_s1", "p01_s2"]
    assert [s.fps for s in ds] == [27.0, 27.0, 15.0, 15.0]
    counts = ds.label_counts()
    assert all(counts[c] == 2 * 4 for c in STREAM_CLASSES)
    assert [bool(s.present["left_hand"].any()) for s in ds] == [False, False, False, True]
    assert ds[0].attrs["image_size"] and len(set(ds.group_ids("session"))) == 4


def test_write_synthetic_reads_back(tmp_path: Path) -> None:
    write_synthetic(tmp_path / "syn", n_subjects=2, n_per_class=1, seed=1)
    ds = load_dataset(tmp_path / "syn")
    ref = make_dataset(2, 1, seed=1)
    assert ds.format == "seed003" and ds.label_counts() == ref.label_counts()
    assert sorted(set(ds.group_ids("subject"))) == ["s00", "s01"]
    got = {s.video_id: s for s in ds}
    for s in ref:
        np.testing.assert_allclose(got[s.video_id].streams["right_hand"], s.streams["right_hand"], atol=1e-6)


def _clip_features(seq: LandmarkSequence) -> np.ndarray:
    """Hand-crafted whole-clip features `(23,)`: wrist travel, fingertip reach, spread, turn, scale change."""
    x, p = _hand(seq)
    if p.sum() < 2:
        return np.zeros(23)
    x = x[p].astype(np.float64)
    pl = np.linalg.norm(x[:, 9, :2] - x[:, 0, :2], axis=1)
    tips = np.linalg.norm(x[:, [4, 8, 12, 16, 20], :2] - x[:, :1, :2], axis=-1) / pl.mean()
    v = x[:, 9, :2] - x[:, 0, :2]
    ang = np.arctan2(v[:, 0], -v[:, 1])
    spread = np.linalg.norm(x[:, 8, :2] - x[:, 20, :2], axis=-1) / pl.mean()
    travel = (x[-1, 0, :2] - x[0, 0, :2]) / pl.mean()
    extent = (x[:, 0, :2].max(0) - x[:, 0, :2].min(0)) / pl.mean()
    return np.r_[travel, tips[0], tips[-1], spread[0], spread[-1], ang[-1] - ang[0], np.log(pl[-1] / pl[0]),
                 extent, tips.min(0)]


def test_classes_are_separable_across_people() -> None:
    """Nearest class mean on simple clip features tells the 12 classes apart for unseen people (a generator check)."""
    ds = make_dataset(8, 6, classes=ALL_CLASSES, seed=0)
    X = np.stack([_clip_features(s) for s in ds])
    y = np.array([s.label for s in ds])
    test = np.isin(ds.group_ids("subject"), ["s06", "s07"])  # one whole-hand, one left-handed wrist-tilt person
    mu, sd = X[~test].mean(0), X[~test].std(0) + 1e-9
    Z = (X - mu) / sd
    names = np.array(sorted(set(y)))
    centroids = np.stack([Z[~test & (y == c)].mean(0) for c in names])
    pred = names[np.argmin(((Z[test, None] - centroids[None]) ** 2).sum(-1), axis=1)]
    assert (pred == y[test]).mean() > 0.8
