"""feature-schema-v3: v1's columns unchanged, and the shape's change over the window as blocks of its own."""

from __future__ import annotations

import numpy as np

from gestura.features.handedness import mirror_sequence
from gestura.features.pipeline import FeaturePipeline
from gestura.features.schema import HAND_V1, HAND_V3

B = HAND_V3.blocks


def _squashed(seq):
    """The same hand seen with its palm narrowed (a palm edge-on to the camera looks like this)."""
    h = seq.streams["right_hand"].copy()
    h[..., 0] = h[:, :1, 0] + 0.4 * (h[..., 0] - h[:, :1, 0])
    return type(seq).from_arrays({"right_hand": h, "left_hand": seq.streams["left_hand"]}, 30.0)


def test_v1_columns_are_v1_and_the_change_starts_at_zero(make_seq) -> None:
    seq = make_seq(0, n=20, roll=0.6, move=(0.1, 0.0))
    v3 = FeaturePipeline("feature-schema-v3", {"smooth": 2}).transform(seq)[0]
    v1 = FeaturePipeline("feature-schema-v1", {"smooth": 2}).transform(seq)[0]
    assert v3.shape == (20, 225) and HAND_V3.dim == HAND_V1.dim + 78
    np.testing.assert_array_equal(v3[:, :HAND_V1.dim], v1)
    for name, src in (("shape_change_position", "position"), ("shape_change_spread", "fingertip_spread"),
                      ("shape_change_angles", "joint_angles")):
        assert not v3[0, B[name]].any()
        np.testing.assert_allclose(v3[:, B[name]], v1[:, HAND_V1.blocks[src]] - v1[0, HAND_V1.blocks[src]],
                                   atol=1e-6)
    assert np.abs(v3[-1, B["shape_change_position"]]).max() > 0.1  # the roll within the window


def test_a_hand_held_differently_differs_in_shape_but_not_in_its_change_at_the_start(make_seq) -> None:
    seq = make_seq(0, n=20, roll=0.6)
    pipe = FeaturePipeline("feature-schema-v3")
    a, b = pipe.transform(seq)[0], pipe.transform(_squashed(seq))[0]
    assert np.abs(a[0, B["position"]] - b[0, B["position"]]).max() > 0.2  # the absolute shape keeps it
    assert not a[0, B["shape_change_position"]].any() and not b[0, B["shape_change_position"]].any()


def test_streaming_equals_offline_and_frames_before_the_first_valid_one_carry_no_change(make_seq) -> None:
    seq = make_seq(5, n=30, move=(0.1, 0.1))
    pipe = FeaturePipeline("feature-schema-v3", {"smooth": 3})
    off, valid = pipe.frame_features(seq)
    for end in (5, 17, 30):
        part, _ = pipe.frame_features(seq.slice(max(0, end - 1 - pipe.context), end))
        np.testing.assert_array_equal(part[-1], off[end - 1])
    valid = valid.copy()
    valid[:4] = False
    win = pipe.window_features(off, valid)
    assert not win[:4, HAND_V1.dim:].any() and not win[:4, B["wrist_trajectory"]].any()
    assert not win[4, B["shape_change_angles"]].any()  # the first valid frame is the reference


def test_mirrored_left_hand_gives_the_right_hands_features(make_seq) -> None:
    seq = make_seq(2, n=24, move=(0.12, 0.0), roll=0.4)
    pipe = FeaturePipeline("feature-schema-v3")
    np.testing.assert_allclose(pipe.transform(mirror_sequence(seq))[0], pipe.transform(seq)[0], atol=1e-5)
    assert pipe.canonical_hand
