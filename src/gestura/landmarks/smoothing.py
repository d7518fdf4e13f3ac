"""Landmark smoothing: One-Euro, constant-velocity Kalman and Savitzky-Golay filters over `(T, J, C)`.

MediaPipe landmarks jitter by a few pixels from frame to frame; a pointer or a velocity feature amplifies that.
The One-Euro filter (Casiez et al. 2012) smooths hard when the hand is still and little when it moves fast,
so it removes jitter without adding lag to a swipe. The Kalman filter assumes constant velocity per
coordinate. Both use real timestamps (frame rates differ between cameras) and take per-landmark parameters
(scalars or `(J,)` arrays), e.g. a stronger filter on the fingertips that drive the pointer.

Streaming classes (`OneEuroFilter`, `KalmanFilter`) are causal and stateful: `update(x (J, C), t) -> (J, C)`.
The offline functions (`one_euro`, `kalman`) run the same filter over a whole clip, so offline == streaming.
`savgol` is a non-causal offline smoother (needs future frames) for training data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from gestura.errors import ConfigError, InputError

ArrayLike = float | np.ndarray


def _per_joint(value: ArrayLike, n_joints: int, name: str) -> np.ndarray:
    """A scalar or `(J,)` parameter as a `(J, 1)` array broadcastable over `(J, C)`."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_joints, float(arr))
    if arr.shape != (n_joints,):
        raise ConfigError(f"smoothing {name}: expected a scalar or {n_joints} values, got shape {arr.shape}")
    if np.any(arr < 0):
        raise ConfigError(f"smoothing {name}: values must be >= 0")
    return arr[:, None]


def _alpha(cutoff: np.ndarray, dt: float) -> np.ndarray:
    tau = 1.0 / (2.0 * np.pi * np.maximum(cutoff, 1e-9))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Causal One-Euro filter for one landmark stream: `update(x (J, C), t seconds) -> (J, C)`.

    `min_cutoff` (Hz) sets smoothing at rest (lower = smoother), `beta` how fast the cutoff rises with speed
    (higher = less lag), `d_cutoff` (Hz) the smoothing of the speed estimate. Each may be per landmark `(J,)`.
    `reset()` forgets the state (call it when the hand is lost, so a re-detected hand does not glide in).
    """

    def __init__(self, min_cutoff: ArrayLike = 1.0, beta: ArrayLike = 0.05, d_cutoff: ArrayLike = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    def update(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            j = x.shape[0]
            self._mc = _per_joint(self.min_cutoff, j, "min_cutoff")
            self._beta = _per_joint(self.beta, j, "beta")
            self._dc = _per_joint(self.d_cutoff, j, "d_cutoff")
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        dt = float(t) - self._t
        if dt <= 0:
            raise InputError(f"smoothing: timestamps must increase (got {t} after {self._t})")
        dx = (x - self._x) / dt
        assert self._dx is not None  # set together with self._x
        a_d = _alpha(self._dc, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True)
        a = _alpha(self._mc + self._beta * speed, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = float(t)
        return self._x.copy()


class KalmanFilter:
    """Causal constant-velocity Kalman filter per coordinate: `update(x (J, C), t seconds) -> (J, C)`.

    State per coordinate is (position, velocity); `process_noise` is the acceleration variance (units/s^2)^2,
    `measurement_noise` the landmark variance; each a scalar or per landmark `(J,)`.
    """

    def __init__(self, process_noise: ArrayLike = 1.0, measurement_noise: ArrayLike = 1e-4) -> None:
        self.process_noise, self.measurement_noise = process_noise, measurement_noise
        self.reset()

    def reset(self) -> None:
        self._p: np.ndarray | None = None
        self._t = 0.0

    def update(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._p is None:
            j = x.shape[0]
            self._q = _per_joint(self.process_noise, j, "process_noise")
            self._r = _per_joint(self.measurement_noise, j, "measurement_noise")
            self._p, self._v = x.copy(), np.zeros_like(x)
            r = np.broadcast_to(self._r, x.shape)
            self._P = np.stack([r, np.zeros_like(x), np.zeros_like(x), np.full_like(x, 1.0)], axis=-1)
            self._t = float(t)
            return x.copy()
        dt = float(t) - self._t
        if dt <= 0:
            raise InputError(f"smoothing: timestamps must increase (got {t} after {self._t})")
        p00, p01, p10, p11 = (self._P[..., i] for i in range(4))
        pos = self._p + dt * self._v
        q = self._q
        n00 = p00 + dt * (p01 + p10) + dt * dt * p11 + q * dt**4 / 4
        n01 = p01 + dt * p11 + q * dt**3 / 2
        n10 = p10 + dt * p11 + q * dt**3 / 2
        n11 = p11 + q * dt * dt
        s = n00 + self._r
        k0, k1 = n00 / s, n10 / s
        innov = x - pos
        self._p = pos + k0 * innov
        self._v = self._v + k1 * innov
        self._P = np.stack([(1 - k0) * n00, (1 - k0) * n01, n10 - k1 * n00, n11 - k1 * n01], axis=-1)
        self._t = float(t)
        return self._p.copy()


def _run(filt: OneEuroFilter | KalmanFilter, seq: np.ndarray, t: np.ndarray) -> np.ndarray:
    seq = np.asarray(seq, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    if seq.ndim != 3 or seq.shape[0] != t.shape[0]:
        raise InputError(f"smoothing: expected (T, J, C) with T timestamps, got {seq.shape} and {t.shape}")
    out = np.empty_like(seq)
    for i in range(seq.shape[0]):
        out[i] = filt.update(seq[i], float(t[i]))
    return out.astype(np.float32)


def one_euro(seq: np.ndarray, t: np.ndarray, *, min_cutoff: ArrayLike = 1.0, beta: ArrayLike = 0.05,
             d_cutoff: ArrayLike = 1.0) -> np.ndarray:
    """One-Euro filter a whole clip at its timestamps `t (T,)` seconds: `(T, J, C) -> (T, J, C)`."""
    return _run(OneEuroFilter(min_cutoff, beta, d_cutoff), seq, t)


def kalman(seq: np.ndarray, t: np.ndarray, *, process_noise: ArrayLike = 1.0,
           measurement_noise: ArrayLike = 1e-4) -> np.ndarray:
    """Constant-velocity Kalman filter a whole clip at timestamps `t (T,)`: `(T, J, C) -> (T, J, C)`."""
    return _run(KalmanFilter(process_noise, measurement_noise), seq, t)


def savgol(seq: np.ndarray, window: int = 7, order: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing along time (offline only: it looks ahead): `(T, J, C) -> (T, J, C)`.

    Clips shorter than `window` are returned unchanged.
    """
    from scipy.signal import savgol_filter

    seq = np.asarray(seq, dtype=np.float32)
    if window % 2 == 0 or window <= order:
        raise ConfigError(f"savgol: window must be odd and > order, got window={window}, order={order}")
    if seq.shape[0] < window:
        return seq.copy()
    return savgol_filter(seq, window, order, axis=0).astype(np.float32)


@dataclass(frozen=True)
class SmoothingConfig:
    """Which causal filter the runtime applies to each hand stream, with its parameters."""

    kind: Literal["none", "one_euro", "kalman"] = "one_euro"
    min_cutoff: float = 1.0
    beta: float = 0.05
    d_cutoff: float = 1.0
    process_noise: float = 1.0
    measurement_noise: float = 1e-4

    def make(self) -> OneEuroFilter | KalmanFilter | None:
        """A fresh streaming filter (None for `kind="none"`)."""
        if self.kind == "one_euro":
            return OneEuroFilter(self.min_cutoff, self.beta, self.d_cutoff)
        if self.kind == "kalman":
            return KalmanFilter(self.process_noise, self.measurement_noise)
        if self.kind == "none":
            return None
        raise ConfigError(f"smoothing kind must be none|one_euro|kalman, got {self.kind!r}")
