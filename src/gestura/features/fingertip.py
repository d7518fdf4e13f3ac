"""`fingertip-trajectory-v1` (7 dims): an index-fingertip trajectory (`index_tip` stream, Kazuhito point history).

Coordinates are made isotropic in image-height units (x * W / H, using `attrs["image_size"] = (W, H)`; without
it x and y are taken as already isotropic). Frames stored as (0, 0) after the first mean "no pointing hand"
and are masked (`missing="zero"`); `missing="repeated_negative"` also masks farhad99's runs of a repeated pair
with both coordinates < 0. Blocks: `position` relative to the window's oldest valid frame (translation
invariant, finalised by `window_features`), `velocity` (per `velocity_unit` s), `speed`, `direction` (cos, sin
of the motion, 0 when still).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.kinematics import DEFAULT_UNIT, velocity
from gestura.features.schema import FINGERTIP_V1
from gestura.landmarks.sequence import LandmarkSequence

SCHEMA = FINGERTIP_V1
DEFAULTS: dict[str, Any] = {"missing": "zero", "velocity_unit": DEFAULT_UNIT, "stream": "index_tip"}
POS = SCHEMA.blocks["position"]


def validate(params: dict[str, Any]) -> None:
    """Raise `ConfigError` for a bad parameter value."""
    if params["missing"] not in ("zero", "repeated_negative", "none"):
        raise ConfigError(f"fingertip-trajectory-v1: missing must be zero|repeated_negative|none, "
                          f"got {params['missing']!r}")
    if not float(params["velocity_unit"]) > 0:
        raise ConfigError(f"fingertip-trajectory-v1: velocity_unit must be > 0, got {params['velocity_unit']!r}")


def context(params: dict[str, Any]) -> int:
    """Velocity needs the previous frame."""
    return 1


def missing_mask(xy: np.ndarray, rule: str) -> np.ndarray:
    """`(T, 2) -> (T,)` True where the frame holds no fingertip under `rule` (frame 0 is the origin, kept)."""
    miss = np.zeros(xy.shape[0], bool)
    if rule == "none":
        return miss
    miss[1:] = np.all(xy[1:] == 0.0, axis=1)
    if rule == "repeated_negative":
        neg = np.all(xy < 0.0, axis=1)
        _, inv, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
        miss |= neg & (counts[inv.reshape(-1)] > 1)
    return miss


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`seq -> ((T, 7), valid (T,))`; before `window_features` `position` holds the frame's own coordinates."""
    name = params["stream"]
    if name not in seq.streams:
        raise InputError(f"{seq.source or seq.video_id or '<sequence>'}: fingertip-trajectory-v1 needs stream "
                         f"{name!r}, got {sorted(seq.streams)}")
    xy = seq.streams[name][:, 0, :2].astype(np.float64)
    size = seq.attrs.get("image_size")
    if size is not None:
        w, h = (float(v) for v in cast(Sequence[float], size))
        if w <= 0 or h <= 0:
            raise InputError(f"{seq.source or seq.video_id}: bad image_size {size}")
        xy = xy * np.array([w / h, 1.0])
    valid = seq.present[name] & ~missing_mask(seq.streams[name][:, 0, :2], params["missing"])
    n = seq.n_frames
    vel = velocity(xy, seq.t, valid, float(params["velocity_unit"]))
    speed = np.linalg.norm(vel, axis=1)
    direction = np.where(speed[:, None] > 1e-9, vel / np.maximum(speed[:, None], 1e-9), 0.0)
    feats = np.zeros((n, SCHEMA.dim), np.float32)
    feats[:, POS] = xy
    feats[:, SCHEMA.blocks["velocity"]] = vel
    feats[:, SCHEMA.blocks["speed"]] = speed[:, None]
    feats[:, SCHEMA.blocks["direction"]] = direction
    feats[~valid] = 0.0
    return feats, valid


def window_features(feats: np.ndarray, valid: np.ndarray, **params: Any) -> np.ndarray:
    """Position relative to the window's oldest valid frame: `(T, 7), (T,) -> (T, 7)`."""
    out = np.array(feats, dtype=np.float32, copy=True)
    idx = np.flatnonzero(valid)
    if idx.size:
        out[:, POS] = np.where(valid[:, None], feats[:, POS] - feats[idx[0], POS], 0.0)
    return out
