"""Landmark augmentations, numpy in and out, each with an explicit `np.random.Generator`.

Array functions take `(T, J, C)` landmarks in normalised image coordinates (and `(T,)` presence where frames
move); `augment_sequence` applies one random draw of each to every stream of a `LandmarkSequence` consistently.
Mirroring swaps the left/right hand streams and the label through `swap_map` (a swipe to the left mirrored is
a swipe to the right), so labels keep the real direction of what the mirrored landmarks show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from gestura.features.handedness import MIRROR_PAIRS
from gestura.landmarks.sequence import LandmarkSequence

DIRECTION_SWAP: dict[str, str] = {a: b for a, b in MIRROR_PAIRS} | {b: a for a, b in MIRROR_PAIRS}
"""Labels whose meaning flips under a horizontal mirror: the one definition in `gestura.features.handedness`."""


def jitter(x: np.ndarray, rng: np.random.Generator, sigma: float = 0.005) -> np.ndarray:
    """Gaussian noise of `sigma` on x, y, z (not on a 4th visibility channel): `(T, J, C) -> (T, J, C)`."""
    out = np.array(x, dtype=np.float32, copy=True)
    c = min(3, x.shape[-1])
    out[..., :c] += rng.normal(0.0, sigma, x.shape[:-1] + (c,)).astype(np.float32)
    return out


def rotate(x: np.ndarray, angle: float, center: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """Rotate x-y by `angle` radians about `center`: `(T, J, C) -> (T, J, C)`."""
    c, s = np.cos(angle), np.sin(angle)
    out = np.array(x, dtype=np.float32, copy=True)
    px, py = x[..., 0] - center[0], x[..., 1] - center[1]
    out[..., 0] = center[0] + c * px - s * py
    out[..., 1] = center[1] + s * px + c * py
    return out


def scale(x: np.ndarray, factor: float, center: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """Scale x-y (and z) about `center` by `factor` (a camera-distance change): `(T, J, C) -> (T, J, C)`."""
    out = np.array(x, dtype=np.float32, copy=True)
    out[..., 0] = center[0] + (x[..., 0] - center[0]) * factor
    out[..., 1] = center[1] + (x[..., 1] - center[1]) * factor
    if x.shape[-1] > 2:
        out[..., 2] = x[..., 2] * factor
    return out


def motion_amplitude(x: np.ndarray, present: np.ndarray, factor: float) -> np.ndarray:
    """Scale how far the hand travels, not its shape: every frame's hand is moved so that its wrist's offset from
    the mean wrist position of the clip is multiplied by `factor`. A 1.7-palm sweep becomes a 0.4-palm flick (or the
    reverse) with the same fingers and palm orientation, so a model cannot key on amplitude alone.
    `x` `(T, J, C)`, `present` `(T,)`."""
    if factor == 1.0 or not present.any():
        return x
    wrist = x[:, 0, :2]
    centre = wrist[present].mean(axis=0)
    out = x.copy()
    out[:, :, :2] += ((factor - 1.0) * (wrist - centre))[:, None, :]
    return np.where(present[:, None, None], out, x)


TIP = 12
"""Middle fingertip: the point whose path `retarget_style` keeps."""


def _rot(v: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate `(..., 2)` vectors by `angle` `(...)` radians in the image plane."""
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def retarget_style(x: np.ndarray, present: np.ndarray, amount: float) -> np.ndarray:
    """Re-express a gesture in the other style while the middle fingertip keeps its path.

    People make the same gesture by sweeping the whole hand (the wrist travels) or by turning it about the wrist
    (the wrist stays); the fingertips move alike either way. `amount` in (0, 1]: that share of the wrist's travel
    (from its first present frame) is removed and the hand turned about the new wrist so the fingertip still
    points where it went (sweep -> turn). `amount` in [-1, 0): that share of the hand's turn (from its first
    present frame) is undone and the wrist moved so the fingertip stays on its path (turn -> sweep). `x` `(T, J, C)`
    in image coordinates, `present` `(T,)`; shapes, z and absent frames are kept."""
    if amount == 0 or not present.any():
        return x
    ref = int(np.flatnonzero(present)[0])
    xy = x[..., :2].astype(np.float64)
    wrist = xy[:, 0]
    rel = xy - wrist[:, None]
    tip = xy[:, TIP]
    if amount > 0:
        new_wrist = wrist[ref] + (1.0 - amount) * (wrist - wrist[ref])
        want = tip - new_wrist
        have = rel[:, TIP]
        angle = np.arctan2(have[:, 0] * want[:, 1] - have[:, 1] * want[:, 0], (have * want).sum(axis=1))
        new_rel = _rot(rel, angle[:, None])
    else:
        axis = rel[:, 9]
        turn = np.arctan2(axis[:, 1], axis[:, 0]) - np.arctan2(axis[ref, 1], axis[ref, 0])
        turn = (turn + np.pi) % (2 * np.pi) - np.pi
        new_rel = _rot(rel, (amount * turn)[:, None])
        new_wrist = tip - new_rel[:, TIP]
    out = np.array(x, dtype=np.float32, copy=True)
    out[..., :2] = (new_wrist[:, None] + new_rel).astype(np.float32)
    return np.where(present[:, None, None], out, x)


def mirror(x: np.ndarray) -> np.ndarray:
    """Horizontal mirror of normalised coordinates (x -> 1 - x): `(T, J, C) -> (T, J, C)`."""
    out = np.array(x, dtype=np.float32, copy=True)
    out[..., 0] = 1.0 - out[..., 0]
    return out


def mirror_label(label: str | None, swap_map: Mapping[str, str] = DIRECTION_SWAP) -> str | None:
    """The label a mirrored clip should carry (unchanged when it has no direction)."""
    return None if label is None else swap_map.get(label, label)


def temporal_scale_indices(n: int, factor: float) -> np.ndarray:
    """Fractional source positions for a clip played `factor` times as long: `-> (round(n * factor),)`."""
    m = max(2, int(round(n * factor)))
    return np.linspace(0.0, n - 1, m)


def time_warp_indices(n: int, rng: np.random.Generator, strength: float = 0.2, knots: int = 4) -> np.ndarray:
    """A smooth monotonic warp of `[0, n-1]` onto itself: `-> (n,)` fractional source positions."""
    w = np.exp(rng.uniform(-strength, strength, knots + 1) * 2)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    cum /= cum[-1]
    grid = np.linspace(0.0, 1.0, knots + 2)
    return np.interp(np.linspace(0.0, 1.0, n), grid, cum) * (n - 1)


def sample_frames(x: np.ndarray, present: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation at fractional positions `pos`: `(T, ...), (T,) -> ((N, ...), (N,))`.

    A new frame is present only when both neighbours are, so no landmark is blended with a missing frame's zeros.
    """
    n = x.shape[0]
    lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    ok = present[lo] & (present[hi] | (w.reshape(-1) < 1e-9))
    out = np.where(ok.reshape((-1,) + (1,) * (x.ndim - 1)), x[lo] * (1 - w) + x[hi] * w, 0.0)
    return out.astype(np.float32), ok


def drop_frames(present: np.ndarray, rng: np.random.Generator, p: float = 0.05) -> np.ndarray:
    """Mark a random fraction `p` of frames as missing (detector dropouts): `(T,) -> (T,)`."""
    return present & (rng.random(present.shape[0]) >= p)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of one random augmentation draw; 0 disables an item."""

    temporal_scale: float = 0.2
    time_warp: float = 0.1
    jitter: float = 0.005
    rotation_deg: float = 10.0
    scale: float = 0.15
    drop: float = 0.05
    mirror_p: float = 0.0
    motion_amplitude: float = 0.0
    """> 0: the hand's travel is scaled by exp(U(-a, a)) (`motion_amplitude`); 0.9 spans 0.4x-2.5x."""


def augment_sequence(seq: LandmarkSequence, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig(),
                     swap_map: Mapping[str, str] = DIRECTION_SWAP) -> LandmarkSequence:
    """One random draw of every enabled augmentation applied to all streams alike (same rng -> same output)."""
    n = seq.n_frames
    pos = np.arange(n, dtype=np.float64)
    if cfg.time_warp > 0 and n > 2:
        pos = time_warp_indices(n, rng, cfg.time_warp)
    if cfg.temporal_scale > 0 and n > 2:
        f = float(rng.uniform(1 - cfg.temporal_scale, 1 + cfg.temporal_scale))
        pos = np.interp(temporal_scale_indices(n, f), np.arange(n), pos)
    angle = np.deg2rad(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg)) if cfg.rotation_deg > 0 else 0.0
    factor = float(rng.uniform(1 - cfg.scale, 1 + cfg.scale)) if cfg.scale > 0 else 1.0
    do_mirror = bool(rng.random() < cfg.mirror_p)
    travel = float(np.exp(rng.uniform(-cfg.motion_amplitude, cfg.motion_amplitude))) if cfg.motion_amplitude > 0 \
        else 1.0
    drop_mask = rng.random(len(pos)) >= cfg.drop if cfg.drop > 0 else np.ones(len(pos), bool)
    streams, present = {}, {}
    for k, v in seq.streams.items():
        x, p = sample_frames(v, seq.present[k], pos)
        if travel != 1.0 and x.ndim == 3 and x.shape[1] == 21:
            x = motion_amplitude(x, p, travel)
        if k != "index_tip":
            x = scale(rotate(x, angle), factor)
        else:
            x = scale(rotate(x, angle, (0.0, 0.0)), factor, (0.0, 0.0))
        if cfg.jitter > 0:
            x = jitter(x, rng, cfg.jitter)
        if do_mirror:
            x = mirror(x) if k != "index_tip" else x * np.array([-1.0, 1.0], np.float32)
        p = p & drop_mask
        streams[k], present[k] = np.where(p[:, None, None], x, 0.0).astype(np.float32), p
    if do_mirror and "left_hand" in streams and "right_hand" in streams:
        streams["left_hand"], streams["right_hand"] = streams["right_hand"], streams["left_hand"]
        present["left_hand"], present["right_hand"] = present["right_hand"], present["left_hand"]
    src = np.clip(np.round(pos).astype(int), 0, n - 1)
    t = seq.t[0] + np.arange(len(pos)) / seq.fps
    fl = None if seq.frame_labels is None else seq.frame_labels[src]
    label = seq.label
    if do_mirror:
        label = mirror_label(label, swap_map)
        if fl is not None:
            fl = np.array([swap_map.get(str(s), str(s)) for s in fl])
    hd = {k: v[src] for k, v in seq.handedness.items()}
    if do_mirror and {"left_hand", "right_hand"} <= set(hd):
        hd["left_hand"], hd["right_hand"] = hd["right_hand"], hd["left_hand"]
    return replace(seq, streams=streams, present=present, t=t, label=label, frame_labels=fl, handedness=hd)


__all__ = ["AugmentConfig", "DIRECTION_SWAP", "augment_sequence", "drop_frames", "jitter", "mirror", "mirror_label",
           "motion_amplitude",
           "rotate", "sample_frames", "scale", "temporal_scale_indices", "time_warp_indices"]
