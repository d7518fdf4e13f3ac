"""Angles, velocities with real time deltas, normalisation edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.features.kinematics import acceleration, angle_cosines, bones, joint_angles, velocity
from gestura.features.normalize import causal_moving_average, normalize_hand, rotate_upright


def test_angles_of_straight_and_bent_joints() -> None:
    x = np.zeros((1, 3, 3))
    x[0, 1] = (1, 0, 0)
    x[0, 2] = (2, 0, 0)
    assert joint_angles(x, ((0, 1, 2),))[0, 0] == pytest.approx(0.0, abs=1e-6)
    x[0, 2] = (1, 1, 0)
    assert joint_angles(x, ((0, 1, 2),))[0, 0] == pytest.approx(np.pi / 2)
    assert angle_cosines(x, ((0, 1, 2),))[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert bones(x, ((1, 0),))[0, 0].tolist() == [1, 0, 0]


def test_velocity_divides_by_real_time_steps_and_skips_gaps() -> None:
    t = np.array([0.0, 0.1, 0.15, 0.35])
    x = np.array([0.0, 1.0, 1.5, 3.5])[:, None]
    v = velocity(x, t, unit=1.0)
    np.testing.assert_allclose(v[:, 0], [0, 10, 10, 10])
    v = velocity(x, t, np.array([True, True, False, True]), unit=1.0)
    np.testing.assert_allclose(v[:, 0], [0, 10, 0, 0])
    a = acceleration(x ** 2, t, unit=1.0)
    assert a.shape == x.shape and a[0, 0] == 0 and a[1, 0] == 0 and a[2, 0] != 0


def test_degenerate_hand_is_masked_not_nan() -> None:
    h = np.zeros((2, 21, 3), np.float32)
    h[1, 9] = (0, -0.1, 0)
    out, ok = normalize_hand(h)
    assert ok.tolist() == [False, True] and np.isfinite(out).all() and np.all(out[0] == 0)
    assert out[1, 9, 1] == pytest.approx(-1.0)


def test_rotate_upright_and_causal_average() -> None:
    h = np.zeros((1, 21, 3))
    h[0, 9] = (1.0, 0.0, 0.0)
    up = rotate_upright(h, 0, 9)
    np.testing.assert_allclose(up[0, 9, :2], [0.0, -1.0], atol=1e-9)
    x = np.arange(6, dtype=float)[:, None]
    valid = np.array([True, True, False, True, True, True])
    m = causal_moving_average(x, valid, 2)
    np.testing.assert_allclose(m[:, 0], [0, 0.5, 1.0, 3.0, 3.5, 4.5])
