"""Augmentations: determinism under a seed, label swap on mirror, geometry of each transform."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.features.augment import (AugmentConfig, augment_sequence, drop_frames, jitter, mirror, mirror_label,
                                      rotate, scale, time_warp_indices)
from gestura.landmarks.sequence import LandmarkSequence


def _seq(make_hand, label: str = "swiping_left") -> LandmarkSequence:
    h = make_hand(0, 30, move=(-0.2, 0.0))
    return LandmarkSequence.from_arrays({"right_hand": h, "left_hand": np.zeros_like(h)}, 30.0, label=label,
                                        frame_labels=np.array([label] * 30))


def test_same_seed_same_output_different_seed_different(make_hand) -> None:
    seq = _seq(make_hand)
    a = augment_sequence(seq, np.random.default_rng(5))
    b = augment_sequence(seq, np.random.default_rng(5))
    c = augment_sequence(seq, np.random.default_rng(6))
    assert np.array_equal(a.streams["right_hand"], b.streams["right_hand"])
    assert a.n_frames != c.n_frames or not np.allclose(a.streams["right_hand"], c.streams["right_hand"])
    assert 24 <= a.n_frames <= 36 and np.isfinite(a.streams["right_hand"]).all()


def test_mirror_swaps_hands_labels_and_direction(make_hand) -> None:
    seq = _seq(make_hand)
    cfg = AugmentConfig(temporal_scale=0, time_warp=0, jitter=0, rotation_deg=0, scale=0, drop=0, mirror_p=1.0)
    m = augment_sequence(seq, np.random.default_rng(0), cfg)
    assert m.label == "swiping_right" and set(m.frame_labels) == {"swiping_right"}
    assert m.present["left_hand"].all() and not m.present["right_hand"].any()
    dx = m.streams["left_hand"][-1, 0, 0] - m.streams["left_hand"][0, 0, 0]
    assert dx > 0.1
    assert mirror_label("fist") == "fist" and mirror_label("rotate_left") == "rotate_right"


def test_geometry_of_each_transform(make_hand) -> None:
    rng = np.random.default_rng(1)
    h = make_hand(1, 10)
    bone = np.linalg.norm(h[:, 9, :2] - h[:, 0, :2], axis=-1)
    r = rotate(h, 0.7)
    np.testing.assert_allclose(np.linalg.norm(r[:, 9, :2] - r[:, 0, :2], axis=-1), bone, rtol=1e-5)
    s = scale(h, 1.5)
    np.testing.assert_allclose(np.linalg.norm(s[:, 9, :2] - s[:, 0, :2], axis=-1), 1.5 * bone, rtol=1e-5)
    np.testing.assert_allclose(mirror(mirror(h)), h, atol=1e-6)
    noise = jitter(h, rng, 0.005) - h
    assert 0.004 < noise.std() < 0.006
    w = time_warp_indices(50, rng, 0.2)
    assert w[0] == 0 and w[-1] == 49 and np.all(np.diff(w) > 0) and not np.allclose(w, np.arange(50))
    kept = drop_frames(np.ones(1000, bool), rng, 0.1)
    assert 850 < kept.sum() < 950


def test_dropped_frames_become_absent_not_garbage(make_hand) -> None:
    seq = _seq(make_hand)
    cfg = AugmentConfig(temporal_scale=0, time_warp=0, jitter=0, rotation_deg=0, scale=0, drop=0.3)
    a = augment_sequence(seq, np.random.default_rng(2), cfg)
    miss = ~a.present["right_hand"]
    assert miss.any() and np.all(a.streams["right_hand"][miss] == 0.0)


def test_motion_amplitude_scales_travel_and_keeps_hand_shape() -> None:
    from gestura.features.augment import AugmentConfig, augment_sequence, motion_amplitude

    rng = np.random.default_rng(0)
    hand = rng.uniform(0.4, 0.6, (21, 3)).astype(np.float32)
    sweep = np.linspace(-0.2, 0.2, 30)
    x = np.repeat(hand[None], 30, axis=0)
    x[:, :, 0] += sweep[:, None]
    present = np.ones(30, bool)
    present[5] = False
    y = motion_amplitude(x, present, 0.5)
    travel = lambda a: np.ptp(a[present, 0, 0])  # noqa: E731
    assert np.isclose(travel(y), 0.5 * travel(x), rtol=1e-5)
    shape = lambda a: a[present] - a[present, :1]  # noqa: E731 - joints relative to the wrist
    assert np.allclose(shape(y), shape(x), atol=1e-6)
    assert np.array_equal(y[5], x[5]) and np.array_equal(motion_amplitude(x, present, 1.0), x)
    seq = LandmarkSequence.from_arrays({"right_hand": x}, 30.0, present={"right_hand": present})
    cfg = AugmentConfig(0, 0, 0, 0, 0, 0, 0, motion_amplitude=0.9)
    spans = {round(float(np.ptp(augment_sequence(seq, np.random.default_rng(i), cfg).streams["right_hand"][
        present, 0, 0])), 4) for i in range(5)}
    assert len(spans) == 5 and all(0.4 * 0.4 - 1e-3 <= s <= 0.4 * 2.5 + 1e-3 for s in spans)


def test_retarget_style_keeps_the_fingertip_path_and_trades_travel_for_turn() -> None:
    from gestura.features.augment import TIP, retarget_style

    rng = np.random.default_rng(0)
    hand = rng.uniform(-0.05, 0.05, (21, 3)).astype(np.float32)
    hand[0] = 0.0
    hand[9, :2] = (0.0, -0.08)  # middle knuckle above the wrist
    hand[TIP, :2] = (0.0, -0.16)
    t = np.linspace(0, 1, 20)
    sweep = np.repeat(hand[None], 20, axis=0)
    sweep[:, :, 0] += 0.3 + 0.2 * t[:, None]  # the whole hand travels right
    sweep[:, :, 1] += 0.6
    present = np.ones(20, bool)
    present[5] = False
    turned = retarget_style(sweep, present, 0.8)
    wrist_travel = np.ptp(turned[present, 0, 0])
    assert wrist_travel == pytest.approx(0.2 * 0.2, abs=1e-5)  # 80% of the travel gone
    tip_dir = turned[present, TIP, :2] - turned[present, 0, :2]
    want = sweep[present, TIP, :2] - turned[present, 0, :2]
    cos = (tip_dir * want).sum(1) / np.linalg.norm(tip_dir, axis=1) / np.linalg.norm(want, axis=1)
    assert np.all(cos > 0.9999)  # the finger points where the swept fingertip went
    assert np.allclose(np.linalg.norm(turned[:, 1:, :2] - turned[:, :1, :2], axis=-1),
                       np.linalg.norm(sweep[:, 1:, :2] - sweep[:, :1, :2], axis=-1), atol=1e-5)  # same hand shape
    assert np.array_equal(turned[5], sweep[5]) and np.array_equal(turned[..., 2], sweep[..., 2])
    # and back: a turn about the wrist becomes travel with the fingertip on the same path
    back = retarget_style(turned, present, -1.0)
    assert np.allclose(back[present, TIP, :2], turned[present, TIP, :2], atol=1e-5)
    assert np.ptp(back[present, 0, 0]) > 3 * wrist_travel
    assert retarget_style(sweep, present, 0.0) is sweep
