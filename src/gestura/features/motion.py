"""The acting hand's path and rest state, frame by frame, in canonical (right-hand) space.

The decision rule needs to know more than class probabilities: whether the hand moved at all (a raised, still
palm is not a swipe) and where it is going after a gesture (the return movement goes back to where the gesture
started). `hand_motion` gives one row per frame, `MOTION_FIELDS`:

- `valid`: a hand was present in this frame and the previous one;
- `x`, `y`: the palm centre (mean of wrist and the four finger bases) in image coordinates, a left hand mirrored
  (x -> 1 - x) like the features of a canonical pipeline;
- `angle`: the hand's in-plane turn (radians, wrist -> middle-finger base against the image's up direction),
  mirrored for a left hand;
- `scale`: the palm length (wrist to middle-finger base) in image units, so travel reads in palm lengths;
- `speed`: mean landmark speed between this frame and the previous one in palm lengths per second (travel,
  turn and finger movement alike);
- `openness`: mean fingertip distance from the wrist in palm lengths (about 2 for an open hand, 1 for a fist),
  so a fist's return (the hand opening again) is a path back like a swipe's.

Each row depends on the frame and the one before it only, so the runtime computes it on its two newest frames and
streaming equals offline.
"""

from __future__ import annotations

import numpy as np

from gestura.features.hand_v1 import choose_hand
from gestura.features.normalize import EPS, mirror_x, palm_scale
from gestura.landmarks.sequence import LandmarkSequence

MOTION_FIELDS = ("valid", "x", "y", "angle", "scale", "speed", "openness")
"""Columns of `hand_motion` rows."""
PALM_JOINTS = (0, 5, 9, 13, 17)
TIP_JOINTS = (4, 8, 12, 16, 20)


def hand_motion(seq: LandmarkSequence, hand: str = "auto") -> np.ndarray:
    """`seq -> (T, 7)` float64 rows of `MOTION_FIELDS` (see the module docstring); invalid rows are zeros."""
    n = seq.n_frames
    out = np.zeros((n, len(MOTION_FIELDS)), np.float64)
    if n == 0 or not seq.hands():
        return out
    raw, present, is_left = choose_hand(seq, hand)
    xyz = np.where(is_left[:, None, None], mirror_x(raw), raw).astype(np.float64)
    scale = palm_scale(xyz)
    ok = present & (scale > EPS)
    centre = xyz[:, PALM_JOINTS, :2].mean(axis=1)
    up = xyz[:, 9, :2] - xyz[:, 0, :2]
    angle = np.arctan2(up[:, 0], -up[:, 1])
    prev_ok = np.concatenate([[False], ok[:-1]]) & np.concatenate([[False], is_left[1:] == is_left[:-1]])
    both = ok & prev_ok
    dt = np.diff(np.asarray(seq.t, dtype=np.float64), prepend=-np.inf)
    step = np.zeros(n)
    if n > 1:
        step[1:] = np.linalg.norm(xyz[1:, :, :2] - xyz[:-1, :, :2], axis=-1).mean(axis=1)
    speed = np.where(both, step / np.maximum(scale, EPS) / np.maximum(dt, 1e-3), 0.0)
    out[:, 0] = ok
    out[:, 1:3] = centre
    out[:, 3] = angle
    out[:, 4] = scale
    out[:, 5] = speed
    tips = np.linalg.norm(xyz[:, TIP_JOINTS, :2] - xyz[:, :1, :2], axis=-1).mean(axis=1)
    out[:, 6] = tips / np.maximum(scale, EPS)
    out[~ok] = 0.0
    return out


def pose_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two hand poses are: palm-centre travel in palm lengths plus the turn in radians plus the
    change of openness in palm lengths."""
    return float(np.abs(pose_delta(a, b)).sum())


def pose_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`b - a` as (dx, dy in palm lengths, turn in radians, openness change): a gesture's or a return's vector."""
    s = max(float(a[4]), float(b[4]), EPS)
    return np.array([(b[1] - a[1]) / s, (b[2] - a[2]) / s, _wrap(b[3] - a[3]), b[6] - a[6]])


def _wrap(a: float) -> float:
    return float((a + np.pi) % (2 * np.pi) - np.pi)


__all__ = ["MOTION_FIELDS", "hand_motion", "pose_delta", "pose_distance"]
