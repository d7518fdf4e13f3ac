"""feature-schema-v1: masks, invariances, hand choice, mirroring, real time deltas, streaming == offline."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gestura.errors import InputError
from gestura.features.hand_v1 import choose_hand
from gestura.features.pipeline import FeaturePipeline
from gestura.features.schema import HAND_V1
from gestura.features.windows import resample_sequence
from gestura.landmarks.sequence import LandmarkSequence

B = HAND_V1.blocks
INVARIANT = ("position", "fingertip_spread", "wrist_trajectory", "velocity", "joint_angles")
PIPE = FeaturePipeline("feature-schema-v1")


def _transform_streams(seq: LandmarkSequence, k: float, shift: np.ndarray) -> LandmarkSequence:
    streams = {n: np.where(seq.present[n][:, None, None], v * k + shift, 0.0) for n, v in seq.streams.items()}
    return replace(seq, streams=streams)


def test_shapes_finite_and_all_valid(make_seq) -> None:
    f, v = PIPE.transform(make_seq(0))
    assert f.shape == (24, 147) and f.dtype == np.float32 and v.all() and np.isfinite(f).all()
    assert np.allclose(f[:, B["position"]][:, :3], 0.0)
    assert np.all((f[:, B["joint_angles"]] >= 0) & (f[:, B["joint_angles"]] <= np.pi))


def test_missing_frames_are_masked_zeros_not_nan(make_seq) -> None:
    seq = make_seq(1)
    h = seq.streams["right_hand"].copy()
    h[[3, 4, 10]] = 0.0
    seq = LandmarkSequence.from_arrays({"right_hand": h}, 30.0)
    f, v = PIPE.transform(seq)
    assert not v[[3, 4, 10]].any() and v.sum() == 21
    assert np.all(f[[3, 4, 10]] == 0.0) and np.isfinite(f).all()
    assert np.all(f[[5, 11], B["velocity"]] == 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_translation_and_scale_invariance(make_seq, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    seq = make_seq(seed, move=(0.15, -0.05), roll=0.8)
    k = float(rng.uniform(0.33, 3.0))
    shift = np.array([*rng.uniform(-0.3, 0.3, 2), 0.0])
    f1, _ = PIPE.transform(seq)
    f2, _ = PIPE.transform(_transform_streams(seq, k, shift))
    for name in INVARIANT:
        np.testing.assert_allclose(f2[:, B[name]], f1[:, B[name]], atol=2e-4, err_msg=name)
    np.testing.assert_allclose(f2[:, B["wrist_vel_raw"]][:, :2], k * f1[:, B["wrist_vel_raw"]][:, :2], atol=1e-5)


def test_camera_distance_3x_keeps_swipe_features(make_seq) -> None:
    near = make_seq(3, scale=0.15, move=(0.3, 0.0))
    far = make_seq(3, scale=0.05, move=(0.1, 0.0))
    fn, _ = PIPE.transform(near)
    ff, _ = PIPE.transform(far)
    np.testing.assert_allclose(ff[-1, B["wrist_trajectory"]], fn[-1, B["wrist_trajectory"]], atol=0.05)
    assert fn[-1, B["wrist_trajectory"]][0] == pytest.approx(2.0, abs=0.1)


def test_velocity_uses_real_time_deltas(make_seq) -> None:
    seq30 = make_seq(4, n=31, fps=30.0, move=(0.2, 0.0))
    seq15 = seq30.slice(0, 31)
    seq15 = replace(seq15, streams={k: v[::2] for k, v in seq30.streams.items()},
                    present={k: v[::2] for k, v in seq30.present.items()}, t=seq30.t[::2], fps=15.0)
    v30 = PIPE.transform(seq30)[0][:, B["wrist_vel_raw"]]
    v15 = PIPE.transform(seq15)[0][:, B["wrist_vel_raw"]]
    assert v15[1:, 0].mean() == pytest.approx(v30[1:, 0].mean(), rel=0.1)
    assert v30[1:, 0].mean() == pytest.approx(0.2 / 30 * 30 / 30, rel=0.15)
    rs = resample_sequence(seq15, 30.0)
    assert rs.n_frames == 31 and rs.fps == 30.0


def test_streaming_equals_offline(make_seq) -> None:
    seq = make_seq(5, n=30, move=(0.1, 0.1))
    for params in ({}, {"smooth": 3}):
        pipe = FeaturePipeline("feature-schema-v1", params)
        off, _ = pipe.frame_features(seq)
        for end in (5, 17, 30):
            part, _ = pipe.frame_features(seq.slice(max(0, end - 1 - pipe.context), end))
            np.testing.assert_array_equal(part[-1], off[end - 1])


def test_auto_hand_picks_the_raised_hand(make_hand) -> None:
    low = make_hand(1, start=(0.3, 0.8))
    high = make_hand(2, start=(0.7, 0.4))
    seq = LandmarkSequence.from_arrays({"left_hand": low, "right_hand": high}, 30.0)
    xyz, present, is_left = choose_hand(seq)
    assert present.all() and not is_left.any()
    np.testing.assert_array_equal(xyz, high)
    seq2 = LandmarkSequence.from_arrays({"left_hand": high, "right_hand": low}, 30.0)
    assert choose_hand(seq2)[2].all()
    only_left = LandmarkSequence.from_arrays({"left_hand": low, "right_hand": np.zeros_like(low)}, 30.0)
    assert choose_hand(only_left)[2].all()
    assert not choose_hand(only_left, "right")[1].any()


def test_no_hand_stream_is_a_one_line_input_error() -> None:
    seq = LandmarkSequence.from_arrays({"pose": np.ones((4, 33, 4))}, 30.0)
    with pytest.raises(InputError, match="needs a hand stream"):
        PIPE.transform(seq)


def _mirror_hand(h: np.ndarray) -> np.ndarray:
    out = h.copy()
    out[..., 0] = 1.0 - out[..., 0]
    return out


def test_canonical_left_hand_is_the_exact_mirror_and_the_old_rule_keeps_motion_direction(make_hand) -> None:
    right = make_hand(7, move=(0.2, 0.0), roll=0.5)
    left = _mirror_hand(right)  # the same gesture by a left hand, moving towards smaller x
    seq_r = LandmarkSequence.from_arrays({"right_hand": right}, 30.0)
    seq_l = LandmarkSequence.from_arrays({"left_hand": left}, 30.0)
    fr, _ = PIPE.transform(seq_r)
    fl, _ = PIPE.transform(seq_l)
    assert PIPE.canonical_hand and PIPE.mirrored_frames(seq_l).all() and not PIPE.mirrored_frames(seq_r).any()
    np.testing.assert_allclose(fl, fr, atol=1e-5)  # canonical: every block, motion included, is the mirror image
    old = FeaturePipeline("feature-schema-v1", {"keep_motion_direction": True})
    assert not old.canonical_hand and not old.mirrored_frames(seq_l).any()
    ol, _ = old.transform(seq_l)
    for name in ("position", "fingertip_spread", "joint_angles"):
        np.testing.assert_allclose(ol[:, B[name]], fr[:, B[name]], atol=1e-5, err_msg=name)
    assert fr[-1, B["wrist_trajectory"]][0] > 1.0
    assert ol[-1, B["wrist_trajectory"]][0] < -1.0  # old rule: real direction kept, turn cues reversed
    np.testing.assert_allclose(ol[:, B["wrist_vel_raw"]][:, 0], -fr[:, B["wrist_vel_raw"]][:, 0], atol=1e-5)
    unmirrored, _ = FeaturePipeline("feature-schema-v1", {"mirror_left": False}).transform(seq_l)
    assert not np.allclose(unmirrored[:, B["position"]], fr[:, B["position"]], atol=1e-3)

def test_roll_shows_in_position_not_in_angles(make_hand) -> None:
    h = make_hand(8, move=(0, 0))
    a = np.linspace(0, 1.2, len(h))[:, None]
    w = h[:, :1]
    rolled = h.copy()
    rolled[..., 0] = w[..., 0] + np.cos(a) * (h[..., 0] - w[..., 0]) - np.sin(a) * (h[..., 1] - w[..., 1])
    rolled[..., 1] = w[..., 1] + np.sin(a) * (h[..., 0] - w[..., 0]) + np.cos(a) * (h[..., 1] - w[..., 1])
    f0 = PIPE.transform(LandmarkSequence.from_arrays({"right_hand": h}, 30.0))[0]
    f1 = PIPE.transform(LandmarkSequence.from_arrays({"right_hand": rolled}, 30.0))[0]
    assert np.abs(f1[-1, B["position"]] - f0[-1, B["position"]]).max() > 0.3
    np.testing.assert_allclose(f1[:, B["joint_angles"]], f0[:, B["joint_angles"]], atol=1e-4)
    np.testing.assert_allclose(f1[:, B["fingertip_spread"]], f0[:, B["fingertip_spread"]], atol=1e-4)


def test_relative_shape_starts_every_window_from_the_persons_own_hand(make_seq) -> None:
    """With `relative_shape`, two people who hold the same moving hand differently (here: one hand scaled along
    its width, as a palm seen edge-on looks) start every window at zero shape; the change within the window
    is what remains, and the absolute view keeps the difference."""
    import numpy as np

    from gestura.features.pipeline import FeaturePipeline

    seq = make_seq(0, n=20, roll=0.6)
    squashed = seq.streams["right_hand"].copy()
    wrist = squashed[:, :1, :]
    squashed[..., 0] = wrist[..., 0] + 0.4 * (squashed[..., 0] - wrist[..., 0])
    other = type(seq).from_arrays({"right_hand": squashed, "left_hand": seq.streams["left_hand"]}, 30.0)
    rel = FeaturePipeline("feature-schema-v1", {"relative_shape": True})
    pos = rel.spec.blocks["position"]
    a, b = rel.transform(seq)[0], rel.transform(other)[0]
    assert not a[0, pos].any() and not b[0, pos].any()
    assert np.abs(a[-1, pos]).max() > 0.1  # the turn within the window is still there
    absolute = FeaturePipeline("feature-schema-v1")
    assert np.abs(absolute.transform(seq)[0][0, pos] - absolute.transform(other)[0][0, pos]).max() > 0.2
