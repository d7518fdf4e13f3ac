"""feature-schema-v2: a turn of the wrist and a sweep of the hand that move the fingertips alike look alike."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import ConfigError
from gestura.features.handedness import mirror_sequence
from gestura.features.pipeline import FeaturePipeline
from gestura.features.schema import HAND_V2
from gestura.landmarks.sequence import LandmarkSequence

from .conftest import template_hand

B = HAND_V2.blocks
TIPS = [8, 12, 16, 20]
SCALE = 0.1  # palm length in image units


def _rot(h: np.ndarray, a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = h.copy()
    out[:, 0], out[:, 1] = c * h[:, 0] - s * h[:, 1], s * h[:, 0] + c * h[:, 1]
    return out


def _seq(frames: list[np.ndarray], hand: str = "right_hand") -> LandmarkSequence:
    h = np.stack(frames).astype(np.float32)
    other = "left_hand" if hand == "right_hand" else "right_hand"
    return LandmarkSequence.from_arrays({hand: h, other: np.zeros_like(h)}, 30.0)


def _turn_and_sweep(n: int = 20, turn: float = -0.9) -> tuple[LandmarkSequence, LandmarkSequence, float]:
    """The same hand turned about its wrist by `turn` radians, and swept (no turn) so that its fingertips end
    where the turned hand's do; returns both and the fingertips' end displacement in palm lengths (x)."""
    base = template_hand(np.random.default_rng(3))
    start = np.array([0.5, 0.6, 0.0])
    end_tip = _rot(base, turn)[TIPS, :2].mean(0) - base[TIPS, :2].mean(0)  # palm units
    turned = [_rot(base, turn * i / (n - 1)) * SCALE + start for i in range(n)]
    swept = [base * SCALE + start + np.array([*(end_tip * SCALE * i / (n - 1)), 0.0]) for i in range(n)]
    return _seq(turned), _seq(swept), float(end_tip[0])


def _final(pipe: FeaturePipeline, seq: LandmarkSequence) -> np.ndarray:
    return pipe.transform(seq)[0]


def test_a_turn_and_a_sweep_share_the_fingertip_path_but_not_the_turn() -> None:
    pipe = FeaturePipeline("feature-schema-v2")
    turned, swept, dx = _turn_and_sweep()
    a, b = _final(pipe, turned), _final(pipe, swept)
    assert abs(dx) > 0.8  # a real swipe's worth of fingertip travel
    np.testing.assert_allclose(a[-1, B["tip_path"]], b[-1, B["tip_path"]], atol=1e-3)
    assert a[-1, B["tip_path"]][0] == pytest.approx(dx, abs=1e-3)
    assert abs(a[-1, B["turn"]][0] - (-0.9)) < 1e-3 and abs(b[-1, B["turn"]][0]) < 1e-4
    assert np.abs(a[-1, B["centre_path"]]).max() < 0.5 * np.abs(b[-1, B["centre_path"]]).max()
    # the shape is upright in both: the turn is not in the shape
    np.testing.assert_allclose(a[:, B["shape"]], b[:, B["shape"]], atol=1e-4)


def test_tip_motion_drops_the_channels_that_tell_the_styles_apart() -> None:
    pipe = FeaturePipeline("feature-schema-v2", {"motion": "tip"})
    turned, swept, _ = _turn_and_sweep()
    a, b = _final(pipe, turned), _final(pipe, swept)
    for name in ("centre_path", "centre_velocity", "turn", "turn_rate"):
        assert not a[:, B[name]].any() and not b[:, B[name]].any()
    np.testing.assert_allclose(a[-1, B["tip_path"]], b[-1, B["tip_path"]], atol=1e-3)
    full = _final(FeaturePipeline("feature-schema-v2"), turned)
    assert np.abs(full[:, B["turn_rate"]]).max() > 0.01  # the full description keeps the turn's rate


def test_left_hand_is_the_mirror_image_and_path_blocks_are_window_relative() -> None:
    pipe = FeaturePipeline("feature-schema-v2")
    assert pipe.canonical_hand
    turned, _, _ = _turn_and_sweep()
    left = mirror_sequence(turned)
    np.testing.assert_allclose(_final(pipe, turned), _final(pipe, left), atol=1e-5)
    assert pipe.mirrored_frames(left).all() and not pipe.mirrored_frames(turned).any()
    feats, valid = pipe.frame_features(turned)
    w = pipe.window_features(feats[5:], valid[5:])
    assert not w[0, B["tip_path"]].any() and not w[0, B["turn"]].any() and not w[0, B["depth_path"]].any()


def test_bad_motion_parameter_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match="motion must be all|tip"):
        FeaturePipeline("feature-schema-v2", {"motion": "wrist"})


def test_palm3d_shape_does_not_depend_on_which_way_the_palm_faces() -> None:
    """The same hand turned 70 degrees about its own long axis (palm towards the camera vs nearly edge-on) has
    the same palm3d shape, while its upright 2-D view changes."""
    base = template_hand(np.random.default_rng(5))

    def about_y(h: np.ndarray, a: float) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        out = h.copy()
        out[:, 0], out[:, 2] = c * h[:, 0] + s * h[:, 2], -s * h[:, 0] + c * h[:, 2]
        return out

    start = np.array([0.5, 0.6, 0.0])
    facing = _seq([base * SCALE + start] * 3)
    edge_on = _seq([about_y(base, 1.2) * SCALE + start] * 3)
    p3 = FeaturePipeline("feature-schema-v2", {"shape": "palm3d"})
    up = FeaturePipeline("feature-schema-v2")
    np.testing.assert_allclose(_final(p3, facing)[:, B["shape"]], _final(p3, edge_on)[:, B["shape"]], atol=1e-4)
    assert np.abs(_final(up, facing)[:, B["shape"]] - _final(up, edge_on)[:, B["shape"]]).max() > 0.2
