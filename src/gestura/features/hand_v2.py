"""`feature-schema-v2` (92 dims): one hand, its motion described so that a turn of the wrist and a sweep of the
hand that move the fingertips the same way look alike.

People swipe differently: one turns the wrist 40-80 degrees while it hardly travels, another sweeps the whole
hand one or two palm lengths. In `feature-schema-v1` the two share no column: the turn lives in the
wrist-relative positions and velocities, the sweep in the wrist's path. Here the fingertips' path across the
image (in palm lengths) is one block that both styles fill alike, and the hand's turn is a separate channel:

- `shape` 0-62: wrist-relative, palm-scaled (x, y, z) of 21 joints, turned upright (wrist -> middle-finger base
  points up), so the in-plane turn is not in the shape;
- `fingertip_spread` 63-67, `joint_angles` 68-77, `openness` 78 (mean fingertip distance from the wrist in palm
  lengths): the hand's shape;
- `tip_path` 79-80: the four fingertips' mean position, displacement from the window's oldest valid frame in palm
  lengths (window median), finalised by `window_features`;
- `centre_path` 81-82: the palm centre's displacement, the same way (the sweep alone);
- `turn` 83: the in-plane turn since the window's oldest valid frame (radians, unwrapped);
- `depth_path` 84: log(palm scale / palm scale at the oldest valid frame): towards the camera;
- `roll` 85: the palm's signed area (index base x pinky base about the wrist, over palm length squared): which way
  the palm faces, a turn about the forearm changes its sign;
- `tip_velocity` 86-87, `centre_velocity` 88-89 (palm lengths per `velocity_unit` s, image directions),
  `turn_rate` 90, `roll_rate` 91.

`shape="palm3d"` gives the shape block in the palm's own 3-D frame (`palm_frame`) instead of the upright
image view, so a palm seen edge-on and one facing the camera hold the same shape. `motion="tip"` zeroes `centre_path`, `centre_velocity`, `turn` and `turn_rate`: the model then sees motion only
as the fingertips' path (and the palm's roll), whichever joint produced it. Handedness, the acting hand and
smoothing follow `feature-schema-v1` (canonical right-hand space, `gestura.features.handedness`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gestura.errors import ConfigError
from gestura.features import hand_v1
from gestura.features.hand_v1 import SPREAD_PAIRS
from gestura.features.kinematics import DEFAULT_UNIT, joint_angles, velocity
from gestura.features.normalize import EPS, palm_scale, rotate_upright
from gestura.features.schema import HAND_V2
from gestura.landmarks.sequence import LandmarkSequence

SCHEMA = HAND_V2
DEFAULTS: dict[str, Any] = {"hand": "auto", "mirror_left": True, "smooth": 1, "velocity_unit": DEFAULT_UNIT,
                            "motion": "all", "shape": "upright"}
PALM_JOINTS = (0, 5, 9, 13, 17)
TIP_JOINTS = (8, 12, 16, 20)
_B = SCHEMA.blocks


def validate(params: dict[str, Any]) -> None:
    """Raise `ConfigError` for a bad parameter value."""
    if params["hand"] not in ("auto", "left", "right"):
        raise ConfigError(f"feature-schema-v2: hand must be auto|left|right, got {params['hand']!r}")
    if not isinstance(params["mirror_left"], bool):
        raise ConfigError(f"feature-schema-v2: mirror_left must be true or false, got {params['mirror_left']!r}")
    if not isinstance(params["smooth"], int) or params["smooth"] < 1:
        raise ConfigError(f"feature-schema-v2: smooth must be an int >= 1 (frames), got {params['smooth']!r}")
    if not float(params["velocity_unit"]) > 0:
        raise ConfigError(f"feature-schema-v2: velocity_unit must be > 0, got {params['velocity_unit']!r}")
    if params["motion"] not in ("all", "tip"):
        raise ConfigError(f"feature-schema-v2: motion must be all|tip, got {params['motion']!r}")
    if params["shape"] not in ("upright", "palm3d"):
        raise ConfigError(f"feature-schema-v2: shape must be upright|palm3d, got {params['shape']!r}")


def context(params: dict[str, Any]) -> int:
    """Past frames one frame's features depend on (velocity needs 1, smoothing adds `smooth - 1`)."""
    return int(params["smooth"])


def _v1_params(params: dict[str, Any]) -> dict[str, Any]:
    return {"hand": params["hand"], "mirror_left": params["mirror_left"], "keep_motion_direction": False}


def canonical(params: dict[str, Any]) -> bool:
    """A left hand is mirrored completely into right-hand space (labels mirror too) when `mirror_left`."""
    return hand_v1.canonical(_v1_params(params))


def mirrored_frames(seq: LandmarkSequence, **params: Any) -> np.ndarray:
    """`(T,)` bool: frames whose acting hand was mirrored into right-hand space."""
    return hand_v1.mirrored_frames(seq, **_v1_params(params))


def palm_frame(pos: np.ndarray) -> np.ndarray:
    """Joints in the palm's own 3-D frame: `(T, 21, 3)` wrist-relative -> `(T, 21, 3)`, x across the palm (index
    side negative for a right hand), y from the wrist to the middle finger's base, z out of the palm.

    The same hand pose then reads the same whether the palm faces the camera or is seen edge-on (people hold
    their hands differently); frames whose palm is degenerate keep the upright 2-D view."""
    p = pos.astype(np.float64)
    y = p[:, 9]
    n = np.cross(p[:, 5], p[:, 17])
    ly = np.linalg.norm(y, axis=1)
    ln = np.linalg.norm(n, axis=1)
    ok = (ly > EPS) & (ln > EPS)
    y = y / np.where(ok, ly, 1.0)[:, None]
    n = n / np.where(ok, ln, 1.0)[:, None]
    x = np.cross(y, n)
    rot = np.stack([x, y, n], axis=1)
    out = np.einsum("tij,tkj->tki", rot, p)
    out[..., 1] *= -1.0  # fingers up (-y), as in the upright view
    fallback = rotate_upright(pos, 0, 9)
    return np.where(ok[:, None, None], out, fallback).astype(np.float32)


def _angle(xyz: np.ndarray) -> np.ndarray:
    up = xyz[:, 9, :2] - xyz[:, 0, :2]
    return np.arctan2(up[:, 0], -up[:, 1])


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`LandmarkSequence -> (feats (T, 92) float32, valid (T,) bool)`; invalid frames are all zeros.

    The path blocks hold the frame's raw values (image position, angle, palm scale) until `window_features`
    makes them window-relative, so the runtime can finalise them over any window.
    """
    raw, pos, valid, is_left, _ = hand_v1.acting_hand(seq, params["hand"], bool(params["mirror_left"]),
                                                      int(params["smooth"]))
    n = seq.n_frames
    unit = float(params["velocity_unit"])
    t = seq.t
    switched = np.concatenate([[False], is_left[1:] != is_left[:-1]])
    scale = np.maximum(palm_scale(raw).astype(np.float64), EPS)
    feats = np.zeros((n, SCHEMA.dim), np.float32)
    shape = palm_frame(pos) if params["shape"] == "palm3d" else rotate_upright(pos, 0, 9)
    feats[:, _B["shape"]] = shape.reshape(n, 63)
    tips = np.asarray(SPREAD_PAIRS)
    feats[:, _B["fingertip_spread"]] = np.linalg.norm(pos[:, tips[:, 0]] - pos[:, tips[:, 1]], axis=-1)
    feats[:, _B["joint_angles"]] = joint_angles(pos)
    feats[:, _B["openness"]] = np.linalg.norm(pos[:, TIP_JOINTS, :2], axis=-1).mean(axis=1)[:, None]
    tip = raw[:, TIP_JOINTS, :2].mean(axis=1).astype(np.float64)
    centre = raw[:, PALM_JOINTS, :2].mean(axis=1).astype(np.float64)
    angle = _angle(raw.astype(np.float64))
    a5 = pos[:, 5, :2].astype(np.float64)
    a17 = pos[:, 17, :2].astype(np.float64)
    roll = a5[:, 0] * a17[:, 1] - a5[:, 1] * a17[:, 0]
    feats[:, _B["tip_path"]] = tip
    feats[:, _B["centre_path"]] = centre
    feats[:, _B["turn"]] = angle[:, None]
    feats[:, _B["depth_path"]] = scale[:, None]
    feats[:, _B["roll"]] = roll[:, None]
    # image-direction velocities in palm lengths: divide each frame's positions by its own palm scale
    tv = velocity((tip / scale[:, None])[:, None, :], t, valid, unit)[:, 0]
    cv = velocity((centre / scale[:, None])[:, None, :], t, valid, unit)[:, 0]
    ang_unwrapped = np.unwrap(np.where(valid, angle, 0.0))
    turn_rate = velocity(ang_unwrapped[:, None, None], t, valid, unit)[:, 0, 0]
    roll_rate = velocity(roll[:, None, None], t, valid, unit)[:, 0, 0]
    for arr in (tv, cv):
        arr[switched] = 0.0
    turn_rate[switched] = 0.0
    roll_rate[switched] = 0.0
    feats[:, _B["tip_velocity"]] = tv
    feats[:, _B["centre_velocity"]] = cv
    feats[:, _B["turn_rate"]] = turn_rate[:, None]
    feats[:, _B["roll_rate"]] = roll_rate[:, None]
    feats[~valid] = 0.0
    if params["motion"] == "tip":
        for name in ("centre_velocity", "turn_rate"):  # the path blocks are zeroed by `window_features`
            feats[:, _B[name]] = 0.0
    return feats, valid


def window_features(feats: np.ndarray, valid: np.ndarray, **params: Any) -> np.ndarray:
    """Finalise the path blocks over one window: `(T, 92), (T,) -> (T, 92)` (input left unchanged).

    Positions: displacement from the oldest valid frame over the window's median palm scale; turn: the unwrapped
    angle minus its value there; depth: log of the palm-scale ratio to it.
    """
    out = np.array(feats, dtype=np.float32, copy=True)
    paths = ("tip_path", "centre_path", "turn", "depth_path")
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        for name in paths:
            out[:, _B[name]] = 0.0
        return out
    f0 = idx[0]
    s = feats[:, _B["depth_path"]][:, 0].astype(np.float64)
    s_ref = float(np.median(s[idx]))
    s_ref = s_ref if s_ref > EPS else 1.0
    for name in ("tip_path", "centre_path"):
        p = feats[:, _B[name]].astype(np.float64)
        out[:, _B[name]] = np.where(valid[:, None], (p - p[f0]) / s_ref, 0.0)
    ang = feats[:, _B["turn"]][:, 0].astype(np.float64)
    unwrapped = np.zeros_like(ang)
    unwrapped[idx] = np.unwrap(ang[idx])
    out[:, _B["turn"]] = np.where(valid, unwrapped - unwrapped[f0], 0.0)[:, None]
    depth = np.log(np.maximum(s, EPS) / max(s[f0], EPS))
    out[:, _B["depth_path"]] = np.where(valid, depth, 0.0)[:, None]
    if params.get("motion", "all") == "tip":
        for name in ("centre_path", "turn"):
            out[:, _B[name]] = 0.0
    return out


__all__ = ["DEFAULTS", "SCHEMA", "canonical", "context", "frame_features", "mirrored_frames", "validate",
           "window_features"]
