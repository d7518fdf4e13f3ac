"""Bones, joint angles and time derivatives with real time deltas (the pyskl j/b/jm vocabulary).

Derivatives are backward differences over the timestamps `t` (seconds), expressed per `unit` seconds
(default 1/30 s, so values keep the size of per-frame deltas at 30 fps whatever the recording rate). A frame
whose previous frame is invalid gets zero motion, never a jump across a gap.
"""

from __future__ import annotations

import numpy as np

from gestura.landmarks.skeleton import HAND_21

DEFAULT_UNIT = 1.0 / 30.0

HAND_ANGLE_TRIPLETS: tuple[tuple[int, int, int], ...] = (
    (1, 2, 3), (2, 3, 4),        # thumb MCP, IP (the thumb's "PIP")
    (0, 5, 6), (5, 6, 7),        # index MCP, PIP
    (0, 9, 10), (9, 10, 11),     # middle
    (0, 13, 14), (13, 14, 15),   # ring
    (0, 17, 18), (17, 18, 19),   # pinky
)  # fmt: skip
"""(parent, joint, child) for the 10 MCP and PIP flexion angles of feature-schema-v1."""

HAND_ANGLE_TRIPLETS_15: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4),
    (0, 5, 6), (5, 6, 7), (6, 7, 8),
    (0, 9, 10), (9, 10, 11), (10, 11, 12),
    (0, 13, 14), (13, 14, 15), (14, 15, 16),
    (0, 17, 18), (17, 18, 19), (18, 19, 20),
)  # fmt: skip
"""Three joints per finger (CMC/MCP, PIP, DIP) for the sign-multimodal angle cosines."""


def bones(x: np.ndarray, edges: tuple[tuple[int, int], ...] = HAND_21.edges) -> np.ndarray:
    """Child minus parent for each edge: `(T, J, C) -> (T, E, C)`."""
    e = np.asarray(edges)
    return x[:, e[:, 0]] - x[:, e[:, 1]]


def angle_cosines(x: np.ndarray, triplets: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """Cosine of the flexion angle at each joint (1 = straight): `(T, J, C) -> (T, A)`; 1 for zero-length bones."""
    tr = np.asarray(triplets)
    u = x[:, tr[:, 1]] - x[:, tr[:, 0]]
    v = x[:, tr[:, 2]] - x[:, tr[:, 1]]
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    ok = (nu > 1e-9) & (nv > 1e-9)
    cos = np.einsum("tac,tac->ta", u, v) / np.where(ok, nu * nv, 1.0)
    return np.where(ok, np.clip(cos, -1.0, 1.0), 1.0).astype(np.float32)


def joint_angles(x: np.ndarray, triplets: tuple[tuple[int, int, int], ...] = HAND_ANGLE_TRIPLETS) -> np.ndarray:
    """Flexion angle in radians at each joint (0 = straight): `(T, J, C) -> (T, A)`; 0 for zero-length bones."""
    tr = np.asarray(triplets)
    u = x[:, tr[:, 1]] - x[:, tr[:, 0]]
    v = x[:, tr[:, 2]] - x[:, tr[:, 1]]
    cross = np.cross(u, v) if u.shape[-1] == 3 else (u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])[..., None]
    sin = np.linalg.norm(np.atleast_3d(cross), axis=-1)
    cos = np.einsum("tac,tac->ta", u, v)
    return np.arctan2(sin, cos).astype(np.float32)


def velocity(x: np.ndarray, t: np.ndarray, valid: np.ndarray | None = None,
             unit: float = DEFAULT_UNIT) -> np.ndarray:
    """Backward difference `(x[i] - x[i-1]) / (t[i] - t[i-1]) * unit`: `(T, ...) -> (T, ...)`, 0 at frame 0 and gaps."""
    out = np.zeros_like(x, dtype=np.float32)
    if x.shape[0] < 2:
        return out
    dt = np.diff(np.asarray(t, dtype=np.float64))
    dt = np.where(dt > 0, dt, np.inf)
    d = (x[1:] - x[:-1]) * (unit / dt).reshape((-1,) + (1,) * (x.ndim - 1))
    if valid is not None:
        ok = valid[1:] & valid[:-1]
        d = np.where(ok.reshape((-1,) + (1,) * (x.ndim - 1)), d, 0.0)
    out[1:] = d
    return out


def acceleration(x: np.ndarray, t: np.ndarray, valid: np.ndarray | None = None,
                 unit: float = DEFAULT_UNIT) -> np.ndarray:
    """Backward difference of the velocity: `(T, ...) -> (T, ...)`, 0 where fewer than three valid frames."""
    valid = np.ones(x.shape[0], bool) if valid is None else valid
    v = velocity(x, t, valid, unit)
    vv = valid & np.concatenate([[False], valid[:-1]])
    return velocity(v, t, vv, unit)
