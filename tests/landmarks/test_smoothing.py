"""Smoothing filters: jitter reduction, lag on fast moves, streaming == offline, per-landmark params."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import ConfigError, InputError
from gestura.landmarks.smoothing import KalmanFilter, OneEuroFilter, kalman, one_euro, savgol


def noisy_line(rng: np.random.Generator, n: int = 120, fps: float = 30.0, speed: float = 0.0):
    t = np.arange(n) / fps
    clean = np.zeros((n, 21, 3))
    clean[:, :, 0] = 0.5 + speed * t[:, None]
    noisy = clean + rng.normal(0, 0.01, clean.shape)
    return t, clean, noisy


@pytest.mark.parametrize("fn", [lambda s, t: one_euro(s, t), lambda s, t: kalman(s, t), lambda s, t: savgol(s)])
def test_filters_reduce_jitter(fn) -> None:
    t, clean, noisy = noisy_line(np.random.default_rng(0))
    out = fn(noisy, t)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert np.abs(out[20:] - clean[20:]).mean() < 0.6 * np.abs(noisy[20:] - clean[20:]).mean()


def test_one_euro_follows_fast_motion_better_with_beta() -> None:
    t, clean, noisy = noisy_line(np.random.default_rng(1), speed=2.0)
    lag_small = np.abs(one_euro(noisy, t, beta=0.0)[30:] - clean[30:]).mean()
    lag_big = np.abs(one_euro(noisy, t, beta=5.0)[30:] - clean[30:]).mean()
    assert lag_big < lag_small


def test_kalman_tracks_constant_velocity() -> None:
    t, clean, noisy = noisy_line(np.random.default_rng(2), speed=1.0)
    out = kalman(noisy, t, process_noise=1.0, measurement_noise=1e-4)
    assert np.abs(out[60:] - clean[60:]).mean() < 0.01


def test_streaming_equals_offline_and_uses_timestamps() -> None:
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.02, 0.07, 50))
    seq = rng.normal(size=(50, 21, 3))
    for cls, fn in ((OneEuroFilter, one_euro), (KalmanFilter, kalman)):
        f = cls()
        stream = np.stack([f.update(seq[i], t[i]) for i in range(50)]).astype(np.float32)
        np.testing.assert_allclose(stream, fn(seq, t), atol=1e-6)
    uneven = one_euro(seq, t)
    even = one_euro(seq, np.arange(50) / 30)
    assert not np.allclose(uneven, even)


def test_per_landmark_parameters() -> None:
    t, clean, noisy = noisy_line(np.random.default_rng(4))
    mc = np.full(21, 100.0)
    mc[8] = 0.2
    out = one_euro(noisy, t, min_cutoff=mc, beta=0.0)
    err = np.abs(out[20:] - clean[20:]).mean(axis=(0, 2))
    assert err[8] < 0.5 * np.delete(err, 8).mean()
    with pytest.raises(ConfigError, match="min_cutoff"):
        one_euro(noisy, t, min_cutoff=np.ones(5))


def test_bad_inputs() -> None:
    f = OneEuroFilter()
    f.update(np.zeros((21, 3)), 1.0)
    with pytest.raises(InputError, match="increase"):
        f.update(np.zeros((21, 3)), 1.0)
    with pytest.raises(InputError, match=r"\(T, J, C\)"):
        kalman(np.zeros((5, 3)), np.arange(5.0))
    with pytest.raises(ConfigError, match="odd"):
        savgol(np.zeros((20, 21, 3)), window=6)
