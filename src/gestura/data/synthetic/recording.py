"""What a camera and a landmark detector add to a rendered hand: tremor, landmark noise, dropped detections, and
the packaging into a two-hand `LandmarkSequence`."""

from __future__ import annotations

import numpy as np

from gestura.data.synthetic.hand import IDX
from gestura.data.synthetic.people import SubjectStyle
from gestura.landmarks.sequence import LandmarkSequence


def add_tremor(params: np.ndarray, t: np.ndarray, style: SubjectStyle, rng: np.random.Generator) -> np.ndarray:
    """Add smooth tremor (position in palm lengths, angles in degrees) to parameters `(T, 12)`."""
    n = len(t)
    out = params.copy()
    a = 0.8
    eps = rng.normal(0, 1, (n, 5))
    ar = np.zeros((n, 5))
    for i in range(n):
        ar[i] = (a * ar[i - 1] if i else 0) + np.sqrt(1 - a * a) * eps[i]
    size = style.scale * params[:, IDX["scale"]]
    out[:, IDX["x"]] += ar[:, 0] * style.tremor * size / style.aspect
    out[:, IDX["y"]] += ar[:, 1] * style.tremor * size
    out[:, IDX["roll"]] += ar[:, 2] * style.tremor * 40
    out[:, IDX["yaw"]] += ar[:, 3] * style.tremor * 40
    out[:, IDX["pitch"]] += ar[:, 4] * style.tremor * 40
    return out


def detector_noise(xyz: np.ndarray, style: SubjectStyle, rng: np.random.Generator, present: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Landmark noise, bursty dropped detections and out-of-frame hands: -> (xyz zeroed where absent, present)."""
    n = xyz.shape[0]
    size = style.scale
    noise = rng.normal(0, style.jitter * size, xyz.shape)
    noise[..., 0] /= style.aspect
    xyz = xyz + noise
    present = present.copy()
    if style.drop_rate > 0:
        starts = rng.random(n) < style.drop_rate / 2.5
        for i in np.flatnonzero(starts):
            present[i: i + int(rng.geometric(0.4))] = False
    inside = ((xyz[..., :2] >= 0) & (xyz[..., :2] <= 1)).all(axis=-1).mean(axis=1) >= 0.5
    present &= inside
    xyz = np.where(present[:, None, None], xyz, 0.0)
    return xyz.astype(np.float32), present


def to_sequence(xyz: np.ndarray, present: np.ndarray, t: np.ndarray, fps: float, style: SubjectStyle,
                **meta: object) -> LandmarkSequence:
    """Hand landmarks `(T, 21, 3)` of `style.hand` -> a two-hand `LandmarkSequence` (the other hand absent)."""
    other = "left_hand" if style.hand == "right_hand" else "right_hand"
    n = len(t)
    w, h = (1280, 720) if style.aspect > 1.5 else (640, 480)
    return LandmarkSequence.from_arrays(
        {"left_hand": np.zeros((n, 21, 3), np.float32), "right_hand": np.zeros((n, 21, 3), np.float32),
         style.hand: xyz},
        fps, t=t, present={style.hand: present, other: np.zeros(n, dtype=bool)}, subject=style.subject,
        source="synthetic", attrs={"synthetic": True, "image_size": (w, h), "handedness": style.handedness},
        **meta,
    )
