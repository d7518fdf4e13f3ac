"""Resampling by timestamps, fixed-length resampling, sliding windows, padding and masks."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import ConfigError
from gestura.features.windows import (pad_batch, pad_to, resample_length, resample_sequence, resample_times,
                                      sliding_windows)
from gestura.landmarks.sequence import LandmarkSequence


def _linear_seq(fps: float, seconds: float = 2.0) -> LandmarkSequence:
    t = np.arange(0, seconds, 1 / fps)
    x = np.zeros((len(t), 21, 3), np.float32)
    x[..., 0] = 0.1 + 0.2 * t[:, None]
    x[..., 1] = 0.5
    return LandmarkSequence.from_arrays({"right_hand": x}, fps, t=t,
                                        frame_labels=np.where(t < 1.0, "a", "b"))


@pytest.mark.parametrize("fps", [15.0, 27.0])
def test_resample_to_30hz_keeps_linear_motion_and_labels(fps: float) -> None:
    seq = _linear_seq(fps)
    rs = resample_sequence(seq, 30.0)
    assert rs.fps == 30.0 and np.allclose(np.diff(rs.t), 1 / 30)
    assert rs.present["right_hand"].all()
    np.testing.assert_allclose(rs.streams["right_hand"][:, 0, 0], 0.1 + 0.2 * rs.t, atol=1e-5)
    assert rs.frame_labels is not None and rs.frame_labels[0] == "a" and rs.frame_labels[-1] == "b"


def test_resample_keeps_detection_gaps() -> None:
    seq = _linear_seq(15.0)
    h = seq.streams["right_hand"].copy()
    h[10:16] = 0.0
    seq = LandmarkSequence.from_arrays({"right_hand": h}, 15.0, t=seq.t)
    rs = resample_sequence(seq, 30.0, max_gap=0.2)
    gap = (rs.t > seq.t[9] + 0.01) & (rs.t < seq.t[16] - 0.01)
    assert not rs.present["right_hand"][gap].any() and rs.present["right_hand"][~gap].all()
    assert np.all(rs.streams["right_hand"][gap] == 0.0)


def test_resample_times_and_length() -> None:
    assert len(resample_times(np.array([0.0, 1.0]), 30.0)) == 31
    x = np.arange(10, dtype=np.float32)[:, None]
    y = resample_length(x, 19)
    assert y.shape == (19, 1) and y[0, 0] == 0 and y[-1, 0] == 9 and y[1, 0] == pytest.approx(0.5)
    with pytest.raises(ConfigError):
        resample_times(np.array([0.0, 1.0]), 0.0)


def test_sliding_windows_and_padding() -> None:
    idx = sliding_windows(10, 4, 3)
    assert idx.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert sliding_windows(3, 4, 1).shape == (0, 4)
    with pytest.raises(ConfigError):
        sliding_windows(10, 0, 1)
    a = np.ones((3, 2), np.float32)
    assert pad_to(a, 5).tolist()[3:] == [[0, 0], [0, 0]] and pad_to(a, 5, left=True)[0].tolist() == [0, 0]
    x, m = pad_batch([np.ones((3, 2)), np.ones((5, 2))])
    assert x.shape == (2, 5, 2) and m.tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert np.all(x[0, 3:] == 0)
