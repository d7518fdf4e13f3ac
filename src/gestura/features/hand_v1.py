"""`feature-schema-v1` (147 dims): one hand per frame: shape, spread, wrist path, motion and flexion.

Blocks: `position` 0-62 wrist-relative palm-scaled (x, y, z) of 21 joints; `fingertip_spread` 63-67 palm-scaled
distances thumb-index, index-middle, middle-ring, ring-pinky, thumb-pinky; `wrist_trajectory` 68-70 net wrist
displacement from the oldest valid frame of the window (x, y in palm lengths, z = log of the palm-scale ratio,
i.e. motion towards the camera), finalised by `window_features`; `velocity` 71-133 wrist-relative landmark
velocities (palm lengths per `velocity_unit` s); `joint_angles` 134-143 MCP and PIP flexion (radians);
`wrist_vel_raw` 144-146 camera-normalised wrist velocity.

Before `window_features` the trajectory block holds the frame's raw wrist (x, y) and palm scale, so the runtime
can finalise it over any window. Acting hand (`hand="auto"`): the only present hand, else the hand whose wrist
is higher in the image (the raised hand gestures); decided per frame without state, so streaming equals offline.
`relative_shape=True` makes the shape blocks (position, fingertip spread, joint angles) relative to the window's
oldest valid frame, so a person's own resting hand is the reference and a hand held differently (palm to the
camera or edge-on) starts every window at zero. `mirror_left` reflects a left hand (x -> 1 - x) into right-hand
space before features, shape and motion alike (canonical space, the default): a left-hand window then carries its mirror label in training and its
probabilities are mirrored back at run time (`gestura.features.handedness`), so a mirrored recording scores
exactly like the original. `keep_motion_direction=True` is the old rule (shape mirrored, motion blocks reflected
back, label unchanged) kept for artifacts trained with it: it reverses every cue that lives in the hand's turn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.kinematics import DEFAULT_UNIT, joint_angles, velocity
from gestura.features.normalize import EPS, causal_moving_average, mirror_x, normalize_hand, palm_scale
from gestura.features.schema import HAND_V1
from gestura.landmarks.sequence import LandmarkSequence

SCHEMA = HAND_V1
DEFAULTS: dict[str, Any] = {"hand": "auto", "mirror_left": True, "keep_motion_direction": False,
                            "smooth": 1, "velocity_unit": DEFAULT_UNIT, "relative_shape": False}
SPREAD_PAIRS = ((4, 8), (8, 12), (12, 16), (16, 20), (4, 20))
TRAJ = SCHEMA.blocks["wrist_trajectory"]
SHAPE_BLOCKS = ("position", "fingertip_spread", "joint_angles")
"""Blocks that `relative_shape` makes relative to the window's oldest valid frame."""


def validate(params: dict[str, Any]) -> None:
    """Raise `ConfigError` for a bad parameter value."""
    if params["hand"] not in ("auto", "left", "right"):
        raise ConfigError(f"feature-schema-v1: hand must be auto|left|right, got {params['hand']!r}")
    for key in ("mirror_left", "keep_motion_direction", "relative_shape"):
        if not isinstance(params[key], bool):
            raise ConfigError(f"feature-schema-v1: {key} must be true or false, got {params[key]!r}")
    if not isinstance(params["smooth"], int) or params["smooth"] < 1:
        raise ConfigError(f"feature-schema-v1: smooth must be an int >= 1 (frames), got {params['smooth']!r}")
    if not float(params["velocity_unit"]) > 0:
        raise ConfigError(f"feature-schema-v1: velocity_unit must be > 0, got {params['velocity_unit']!r}")


def context(params: dict[str, Any]) -> int:
    """Past frames one frame's features depend on (velocity needs 1, smoothing adds `smooth - 1`)."""
    return 1 + int(params["smooth"]) - 1


def choose_hand(seq: LandmarkSequence, hand: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The acting hand per frame: `-> (xyz (T, 21, 3), present (T,), is_left (T,))`.

    `auto`: the only present hand, else the one whose wrist is higher (smaller y); ties go to the right hand.
    """
    n = seq.n_frames
    names = seq.hands()
    if not names:
        raise InputError(f"{seq.source or seq.video_id or '<sequence>'}: feature-schema-v1 needs a hand stream "
                         f"(left_hand/right_hand), got {sorted(seq.streams)}")

    def get(name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in seq.streams:
            return np.zeros((n, 21, 3), np.float32), np.zeros(n, bool)
        a = seq.streams[name]
        if a.shape[-1] == 2:
            a = np.concatenate([a, np.zeros(a.shape[:-1] + (1,), a.dtype)], axis=-1)
        return a[..., :3].astype(np.float32), seq.present[name].astype(bool)

    left, lp = get("left_hand")
    right, rp = get("right_hand")
    if hand == "left":
        return left, lp, np.ones(n, bool)
    if hand == "right":
        return right, rp, np.zeros(n, bool)
    use_left = lp & (~rp | (left[:, 0, 1] < right[:, 0, 1]))
    xyz = np.where(use_left[:, None, None], left, right)
    return xyz, lp | rp, use_left


def acting_hand(seq: LandmarkSequence, hand: str, mirror_left: bool, smooth: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The acting hand made ready for features: `-> (raw (T, 21, 3) image coordinates, left hand mirrored and
    smoothed; pos (T, 21, 3) wrist at 0 and palm length 1; valid (T,); is_left (T,); mirrored (T,))`."""
    raw, present, is_left = choose_hand(seq, hand)
    mirrored = is_left & mirror_left
    raw = np.where(mirrored[:, None, None], mirror_x(raw), raw)
    raw = causal_moving_average(raw, present, smooth)
    pos, ok = normalize_hand(raw)
    return raw, pos, present & ok, is_left, mirrored


def canonical(params: dict[str, Any]) -> bool:
    """Whether a left hand is mirrored completely (shape and motion) into right-hand space, so labels mirror too
    (`gestura.features.handedness`)."""
    return bool(params["mirror_left"]) and not bool(params["keep_motion_direction"])


def mirrored_frames(seq: LandmarkSequence, **params: Any) -> np.ndarray:
    """`(T,)` bool: frames whose acting hand was mirrored into right-hand space, motion included."""
    if not canonical(params):
        return np.zeros(seq.n_frames, bool)
    _, present, is_left = choose_hand(seq, params["hand"])
    return is_left & present


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`LandmarkSequence -> (feats (T, 147) float32, valid (T,) bool)`; invalid frames are all zeros."""
    raw, pos, valid, is_left, mirrored = acting_hand(seq, params["hand"], bool(params["mirror_left"]),
                                                     int(params["smooth"]))
    switched = np.concatenate([[False], is_left[1:] != is_left[:-1]])
    unit = float(params["velocity_unit"])
    t = seq.t
    n = seq.n_frames
    feats = np.zeros((n, SCHEMA.dim), np.float32)
    b = SCHEMA.blocks
    feats[:, b["position"]] = pos.reshape(n, 63)
    tips = np.asarray(SPREAD_PAIRS)
    feats[:, b["fingertip_spread"]] = np.linalg.norm(pos[:, tips[:, 0]] - pos[:, tips[:, 1]], axis=-1)
    vel = velocity(pos, t, valid, unit)
    wvel = velocity(raw[:, 0], t, valid, unit)
    vel[switched] = 0.0
    wvel[switched] = 0.0
    wrist_x = raw[:, 0, 0]
    if params["keep_motion_direction"]:
        flip = np.where(mirrored, -1.0, 1.0).astype(np.float32)
        vel[..., 0] *= flip[:, None]
        wvel[:, 0] *= flip
        wrist_x = np.where(mirrored, 1.0 - wrist_x, wrist_x)
    feats[:, b["velocity"]] = vel.reshape(n, 63)
    feats[:, b["joint_angles"]] = joint_angles(pos)
    feats[:, b["wrist_vel_raw"]] = wvel
    feats[:, TRAJ] = np.stack([wrist_x, raw[:, 0, 1], palm_scale(raw)], axis=1)
    feats[~valid] = 0.0
    return feats, valid


def since_first_valid(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`(T, D)` columns minus their value at the window's oldest valid frame; zeros where a frame is not valid
    (all zeros when none is): a shape's change over the window."""
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return np.zeros_like(x)
    return np.where(valid[:, None], x - x[idx[0]], 0.0)


def window_features(feats: np.ndarray, valid: np.ndarray, **params: Any) -> np.ndarray:
    """Finalise `wrist_trajectory` over one window: `(T, 147), (T,) -> (T, 147)` (input left unchanged).

    x, y: wrist displacement from the oldest valid frame divided by the window's median palm scale (scale-free);
    z: log(palm scale / palm scale at the oldest valid frame), positive when the hand approaches the camera.
    """
    out = np.array(feats, dtype=np.float32, copy=True)
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        out[:, TRAJ] = 0.0
        return out
    raw = feats[:, TRAJ].astype(np.float64)
    f0 = idx[0]
    if params.get("relative_shape"):
        for block in SHAPE_BLOCKS:
            sl = SCHEMA.blocks[block]
            out[:, sl] = since_first_valid(feats[:, sl], valid)
    s = raw[:, 2]
    s_ref = float(np.median(s[idx]))
    s_ref = s_ref if s_ref > EPS else 1.0
    disp = (raw[:, :2] - raw[f0, :2]) / s_ref
    z = np.log(np.maximum(s, EPS) / max(s[f0], EPS))
    traj = np.concatenate([disp, z[:, None]], axis=1)
    out[:, TRAJ] = np.where(valid[:, None], traj, 0.0)
    return out
