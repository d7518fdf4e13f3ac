"""`holistic-raw-v1` (1662 dims, the MP_Data frame vector): pose 33x4, face 468x3, left hand 21x3, right hand 21x3.

Raw MediaPipe coordinates, zeros where a stream is missing or was not detected; a frame is valid when any
stream is present. No invariances (it is the seed's raw layout, kept for compatibility with MP_Data models).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gestura.errors import ConfigError
from gestura.features.schema import HOLISTIC_RAW_V1
from gestura.landmarks.sequence import LandmarkSequence

SCHEMA = HOLISTIC_RAW_V1
DEFAULTS: dict[str, Any] = {}
_LAYOUT = (("pose", 33, 4), ("face", 468, 3), ("left_hand", 21, 3), ("right_hand", 21, 3))


def validate(params: dict[str, Any]) -> None:
    """No parameters."""
    if params:
        raise ConfigError(f"holistic-raw-v1 takes no parameters, got {sorted(params)}")


def context(params: dict[str, Any]) -> int:
    """Purely per frame."""
    return 0


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`seq -> ((T, 1662), valid (T,))`; pose without visibility gets visibility 1 where present."""
    n = seq.n_frames
    parts, valid = [], np.zeros(n, bool)
    for name, j, c in _LAYOUT:
        block = np.zeros((n, j, c), np.float32)
        if name in seq.streams:
            a = seq.streams[name]
            k = min(c, a.shape[-1])
            block[..., :k] = a[..., :k]
            pres = seq.present[name]
            if name == "pose" and a.shape[-1] < 4:
                block[..., 3] = 1.0
            block[~pres] = 0.0
            valid |= pres
        parts.append(block.reshape(n, j * c))
    feats = np.concatenate(parts, axis=1)
    return feats, valid
