"""Centre, scale, rotate and mirror landmark arrays, vectorised over frames.

All functions take `(T, J, C)` arrays (C = 2 or 3) and return new arrays; degenerate frames (zero reference
length) come back as zeros with `ok=False` so callers mask them instead of propagating NaN or inf.
"""

from __future__ import annotations

import numpy as np

from gestura.landmarks.skeleton import HAND_BONE_PALM

EPS = 1e-6


def palm_scale(hand: np.ndarray, ref: tuple[int, int] = HAND_BONE_PALM) -> np.ndarray:
    """Length of the reference bone (wrist to middle MCP) per frame, using every coordinate: `(T, 21, C) -> (T,)`.

    Using z as well as x, y keeps the scale steadier when the palm tilts towards or away from the camera.
    """
    return np.linalg.norm(hand[:, ref[1]] - hand[:, ref[0]], axis=-1)


def center_and_scale(x: np.ndarray, origin: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(x - origin) / scale` per frame: `(T, J, C), (T, C), (T,) -> ((T, J, C), ok (T,))`; zeros where scale ~ 0."""
    ok = scale > EPS
    safe = np.where(ok, scale, 1.0)
    out = (x - origin[:, None, :]) / safe[:, None, None]
    return np.where(ok[:, None, None], out, 0.0).astype(np.float32), ok


def normalize_hand(hand: np.ndarray, ref: tuple[int, int] = HAND_BONE_PALM) -> tuple[np.ndarray, np.ndarray]:
    """Wrist at 0, palm length 1: `(T, 21, C) -> ((T, 21, C), ok (T,))`. Translation and scale invariant."""
    return center_and_scale(hand, hand[:, ref[0]], palm_scale(hand, ref))


def rotate_upright(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """Rotate each frame in the x-y plane so the vector joint a -> joint b points up (-y): `(T, J, C) -> (T, J, C)`.

    Makes shapes rotation invariant in the image plane (use it only where in-plane orientation carries no class
    information: rotation gestures need it).
    """
    v = x[:, b, :2] - x[:, a, :2]
    ang = -np.arctan2(v[:, 0], -v[:, 1])
    c, s = np.cos(ang), np.sin(ang)
    out = x.copy()
    px, py = x[..., 0], x[..., 1]
    out[..., 0] = c[:, None] * px - s[:, None] * py
    out[..., 1] = s[:, None] * px + c[:, None] * py
    return out


def mirror_x(x: np.ndarray, normalized: bool = True) -> np.ndarray:
    """Reflect horizontally: x -> 1 - x for normalised image coordinates, x -> -x for centred ones."""
    out = np.array(x, dtype=np.float32, copy=True)
    out[..., 0] = (1.0 - out[..., 0]) if normalized else -out[..., 0]
    return out


def causal_moving_average(x: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Mean of the last `k` valid frames at each frame (causal, so streaming equals offline): `(T, ...) -> (T, ...)`."""
    if k <= 1:
        return x
    w = valid.astype(np.float64).reshape((-1,) + (1,) * (x.ndim - 1))
    cs = np.cumsum(np.concatenate([np.zeros_like(x[:1], dtype=np.float64), x * w]), axis=0)
    cw = np.cumsum(np.concatenate([np.zeros_like(w[:1]), w]), axis=0)
    idx = np.arange(x.shape[0])
    lo = np.maximum(idx + 1 - k, 0)
    num = cs[idx + 1] - cs[lo]
    den = cw[idx + 1] - cw[lo]
    out = np.where(den > 0, num / np.maximum(den, 1e-12), x)
    return out.astype(x.dtype)
