"""Plausible random hands for the feature tests (the synthetic generator is not needed here)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from gestura.landmarks.sequence import LandmarkSequence

# A right hand in palm units, wrist at 0, fingers pointing up (-y), as seen in a mirrored selfie image.
_BASES = {1: (-0.35, -0.25), 5: (-0.25, -0.95), 9: (0.0, -1.0), 13: (0.22, -0.93), 17: (0.42, -0.82)}
_DIRS = {1: (-0.8, -0.6), 5: (-0.1, -1.0), 9: (0.0, -1.0), 13: (0.1, -1.0), 17: (0.25, -1.0)}
_SEGS = {1: (0.35, 0.3, 0.25), 5: (0.4, 0.25, 0.2), 9: (0.45, 0.28, 0.2), 13: (0.42, 0.26, 0.2), 17: (0.3, 0.2, 0.18)}


def template_hand(rng: np.random.Generator, curl: float = 0.0) -> np.ndarray:
    """(21, 3) right hand in palm units with random small variations and finger curl."""
    pts = np.zeros((21, 3))
    for base, (bx, by) in _BASES.items():
        pts[base] = (bx, by, rng.normal(0, 0.02))
        d = np.array([*_DIRS[base], 0.0])
        d /= np.linalg.norm(d)
        p = pts[base].copy()
        for k, seg in enumerate(_SEGS[base]):
            bend = curl + rng.uniform(0.0, 0.3)
            d = d * np.cos(bend * 0.5) + np.array([0.0, 0.0, -np.sin(bend * 0.5)])
            d /= np.linalg.norm(d)
            p = p + d * seg
            pts[base + 1 + k] = p
    return pts


def hand_clip(rng: np.random.Generator, n: int = 24, *, scale: float = 0.1, start=(0.5, 0.6),
              move=(0.1, 0.0), roll: float = 0.0) -> np.ndarray:
    """(n, 21, 3) image-space right hand moving by `move` (image units) and rolling by `roll` radians."""
    base = template_hand(rng)
    out = np.zeros((n, 21, 3), np.float32)
    for i in range(n):
        f = i / max(n - 1, 1)
        a = roll * f
        c, s = np.cos(a), np.sin(a)
        h = base.copy()
        h[:, 0], h[:, 1] = c * base[:, 0] - s * base[:, 1], s * base[:, 0] + c * base[:, 1]
        h += rng.normal(0, 0.01, h.shape)
        out[i] = h * scale + np.array([start[0] + move[0] * f, start[1] + move[1] * f, 0.0])
    return out


@pytest.fixture
def make_seq() -> Callable[..., LandmarkSequence]:
    """Factory: `make_seq(seed, n=24, hand="right_hand", fps=30.0, **hand_clip kwargs)` -> one-hand sequence."""

    def make(seed: int = 0, n: int = 24, hand: str = "right_hand", fps: float = 30.0, **kw: object) -> LandmarkSequence:
        rng = np.random.default_rng(seed)
        h = hand_clip(rng, n, **kw)  # type: ignore[arg-type]
        other = "left_hand" if hand == "right_hand" else "right_hand"
        return LandmarkSequence.from_arrays({hand: h, other: np.zeros_like(h)}, fps)

    return make


@pytest.fixture
def make_hand() -> Callable[..., np.ndarray]:
    """Factory: `make_hand(seed, n, **hand_clip kwargs)` -> (n, 21, 3) image-space right hand."""
    return lambda seed=0, n=24, **kw: hand_clip(np.random.default_rng(seed), n, **kw)
