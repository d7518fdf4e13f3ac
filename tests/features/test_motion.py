"""The hand's path and rest state: speed in palm lengths per second, openness, canonical (mirrored) left hands."""

from __future__ import annotations

import numpy as np

from gestura.features.handedness import mirror_sequence
from gestura.features.motion import MOTION_FIELDS, hand_motion, pose_delta, pose_distance
from gestura.landmarks.sequence import LandmarkSequence

COL = {name: i for i, name in enumerate(MOTION_FIELDS)}


def _moving(make_hand, dx: float = 0.3, n: int = 30, fps: float = 30.0) -> LandmarkSequence:
    return LandmarkSequence.from_arrays({"right_hand": make_hand(3, n, move=(dx, 0.0))}, fps)


def test_speed_reads_in_palm_lengths_per_second_and_a_still_hand_is_zero(make_hand) -> None:
    frame = make_hand(3, 1)[0]
    still = hand_motion(LandmarkSequence.from_arrays({"right_hand": np.repeat(frame[None], 20, axis=0)}, 30.0))
    moving = hand_motion(_moving(make_hand, dx=0.3))
    assert still[:, COL["valid"]].all()
    assert np.abs(still[:, COL["speed"]]).max() < 1e-6
    palm = np.median(moving[1:, COL["scale"]])
    expected = 0.3 / palm  # the whole hand travels 0.3 image widths in 1 s
    assert 0.5 * expected < np.median(moving[1:, COL["speed"]]) < 2.0 * expected
    assert moving[0, COL["speed"]] == 0.0  # no previous frame: no speed


def test_frame_rate_does_not_change_speed(make_hand) -> None:
    a = hand_motion(_moving(make_hand, n=30, fps=30.0))
    b = hand_motion(_moving(make_hand, n=15, fps=15.0))
    assert abs(np.median(a[1:, COL["speed"]]) - np.median(b[1:, COL["speed"]])) < 0.25 * np.median(a[1:, COL["speed"]])


def test_a_left_hand_reads_as_its_mirror_image(make_hand) -> None:
    seq = _moving(make_hand)
    right, left = hand_motion(seq), hand_motion(mirror_sequence(seq))
    np.testing.assert_allclose(left, right, atol=1e-5)


def test_pose_delta_and_distance() -> None:
    a = np.array([1.0, 0.5, 0.5, 0.0, 0.1, 0.0, 2.0])
    b = np.array([1.0, 0.6, 0.5, 0.2, 0.1, 0.0, 1.0])
    np.testing.assert_allclose(pose_delta(a, b), [1.0, 0.0, 0.2, -1.0], atol=1e-9)
    assert abs(pose_distance(a, b) - 2.2) < 1e-9
    wrap = np.array([1.0, 0.5, 0.5, np.pi - 0.05, 0.1, 0.0, 2.0])
    back = np.array([1.0, 0.5, 0.5, -np.pi + 0.05, 0.1, 0.0, 2.0])
    assert abs(pose_delta(wrap, back)[2] - 0.1) < 1e-9  # turns wrap around
