"""`feature-schema-v3` (225 dims): feature-schema-v1's 147 columns unchanged, plus the hand's shape change since the
window's first valid frame as 78 columns of its own.

Why: taking the shape relative to the window's first frame (`feature-schema-v1` with `relative_shape`) makes a
stranger's resting hand (palm to the camera or edge-on) start every window at zero, which helped across people,
but it also replaced the absolute shape, so every change of hand shape while signing or talking looked like a
gesture. Here the absolute shape stays (a fist is still a fist) and the change is a separate channel the model
can weigh against it. Blocks `shape_change_position` 147-209, `shape_change_spread` 210-214 and
`shape_change_angles` 215-224 hold v1's `position`, `fingertip_spread` and `joint_angles` minus their value at
the window's oldest valid frame; they are computed from v1's columns by `window_features` (zeros before it), so the
runtime can finalise them over any window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gestura.features import hand_v1
from gestura.features.schema import HAND_V1, HAND_V3
from gestura.landmarks.sequence import LandmarkSequence

SCHEMA = HAND_V3
DEFAULTS: dict[str, Any] = {k: v for k, v in hand_v1.DEFAULTS.items() if k != "relative_shape"}
CHANGE = {"position": "shape_change_position", "fingertip_spread": "shape_change_spread",
          "joint_angles": "shape_change_angles"}
"""v1 shape block -> the v3 block that holds its change over the window."""


def _v1_params(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "relative_shape": False}


def validate(params: dict[str, Any]) -> None:
    """Raise `ConfigError` for a bad parameter value (the v1 rules)."""
    hand_v1.validate(_v1_params(params))


def context(params: dict[str, Any]) -> int:
    """Past frames one frame's features depend on (as v1)."""
    return hand_v1.context(_v1_params(params))


def canonical(params: dict[str, Any]) -> bool:
    """Whether a left hand is mirrored completely into right-hand space (as v1)."""
    return hand_v1.canonical(_v1_params(params))


def mirrored_frames(seq: LandmarkSequence, **params: Any) -> np.ndarray:
    """`(T,)` bool: frames whose acting hand was mirrored into right-hand space (as v1)."""
    return hand_v1.mirrored_frames(seq, **_v1_params(params))


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`LandmarkSequence -> (feats (T, 225) float32, valid (T,) bool)`: v1's frame features, then zeros where
    `window_features` writes the shape's change."""
    v1, valid = hand_v1.frame_features(seq, **_v1_params(params))
    feats = np.zeros((v1.shape[0], SCHEMA.dim), np.float32)
    feats[:, :HAND_V1.dim] = v1
    return feats, valid


def window_features(feats: np.ndarray, valid: np.ndarray, **params: Any) -> np.ndarray:
    """Finalise one window: `(T, 225), (T,) -> (T, 225)`: v1's `window_features` on the first 147 columns, and
    v1's shape blocks minus their value at the oldest valid frame in the change blocks."""
    out = np.array(feats, dtype=np.float32, copy=True)
    out[:, :HAND_V1.dim] = hand_v1.window_features(feats[:, :HAND_V1.dim], valid, **_v1_params(params))
    for src, dst in CHANGE.items():
        out[:, SCHEMA.blocks[dst]] = hand_v1.since_first_valid(feats[:, HAND_V1.blocks[src]], valid)
    return out
