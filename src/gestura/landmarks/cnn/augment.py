"""Crop augmentation for the landmark CNN (OpenCV + numpy, explicit `np.random.Generator`).

One affine warp does rotation, scale and translation jitter and the resize to the network input, and moves the
landmarks with it (z scales with the zoom). Then colour jitter, blur, noise and occlusion patches, and a
horizontal flip that mirrors x and flips the handedness flag. Landmarks that leave the crop or fall under a patch
get `visible = 0`, which is what the confidence head learns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CropAugment:
    """Augmentation strengths; `CropAugment.off()` only resizes.

    Rotation covers the full circle: the tracker's crops are axis-aligned boxes around the previous landmarks (not
    rotated upright as MediaPipe's are), so a hand hanging down must look like any other hand. With +-30 deg the
    model learned "fingers up" from thumbs-up and signing videos and put the wrist at the fingertips of a hanging
    open hand (wrist error 0.71 of the box on the held-out open_hand_video).
    """

    rotation_deg: float = 180.0
    scale: float = 0.15
    shift: float = 0.08
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.3
    blur_p: float = 0.2
    noise_std: float = 6.0
    occlusion_p: float = 0.3
    flip_p: float = 0.5

    @classmethod
    def off(cls) -> CropAugment:
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def crop_affine(center: tuple[float, float], side: float, out_size: int, angle_deg: float = 0.0) -> np.ndarray:
    """2x3 matrix mapping image pixels to a square crop of `side` pixels around `center`, rotated by `angle_deg`,
    resized to `out_size`."""
    import cv2

    m = np.asarray(cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle_deg, out_size / side),
                   dtype=np.float64)
    m[:, 2] += out_size / 2.0 - np.asarray(center, dtype=np.float64)
    return m


def warp_points(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine to `(J, 2)` points."""
    return xy @ m[:, :2].T + m[:, 2]


def augment_crop(img: np.ndarray, lms: np.ndarray, visible: np.ndarray, rng: np.random.Generator,
                 out_size: int, cfg: CropAugment = CropAugment(),
                 hand_left: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """`(S, S, 3)` uint8 crop, `(21, 3)` landmarks in crop units, `(21,)` visibility -> the same at `out_size`,
    plus the (possibly flipped) handedness flag `hand_left`."""
    import cv2

    s = img.shape[0]
    angle = rng.uniform(-cfg.rotation_deg, cfg.rotation_deg)
    zoom = float(np.exp(rng.uniform(-cfg.scale, cfg.scale)))
    center = (s / 2.0 + rng.uniform(-cfg.shift, cfg.shift) * s, s / 2.0 + rng.uniform(-cfg.shift, cfg.shift) * s)
    m = crop_affine(center, s / zoom, out_size, angle)
    out = cv2.warpAffine(img, m, (out_size, out_size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    pts = warp_points(m, lms[:, :2] * s) / out_size
    lm = np.concatenate([pts, lms[:, 2:3] * zoom], axis=1).astype(np.float32)
    vis = visible.astype(np.float32) * np.all((pts >= 0) & (pts <= 1), axis=1)
    out = out.astype(np.float32)
    if cfg.brightness or cfg.contrast:
        out = out * (1 + rng.uniform(-cfg.contrast, cfg.contrast)) + 255 * rng.uniform(-cfg.brightness,
                                                                                        cfg.brightness) / 2
    if cfg.saturation:
        gray = out.mean(axis=2, keepdims=True)
        out = gray + (out - gray) * (1 + rng.uniform(-cfg.saturation, cfg.saturation))
    if rng.random() < cfg.blur_p:
        k = int(rng.choice([3, 5]))
        out = cv2.GaussianBlur(out, (k, k), 0)
    if cfg.noise_std:
        out = out + rng.normal(0, rng.uniform(0, cfg.noise_std), out.shape)
    if rng.random() < cfg.occlusion_p:
        w, h = (rng.uniform(0.15, 0.4, 2) * out_size).astype(int)
        x0, y0 = int(rng.integers(0, out_size - w)), int(rng.integers(0, out_size - h))
        out[y0:y0 + h, x0:x0 + w] = rng.uniform(0, 255, 3)
        px = pts * out_size
        vis = vis * ~((px[:, 0] >= x0) & (px[:, 0] < x0 + w) & (px[:, 1] >= y0) & (px[:, 1] < y0 + h))
    if rng.random() < cfg.flip_p:
        out = out[:, ::-1]
        lm[:, 0] = 1.0 - lm[:, 0]
        hand_left = not hand_left
    return np.clip(out, 0, 255).astype(np.uint8), lm, vis.astype(np.float32), hand_left
