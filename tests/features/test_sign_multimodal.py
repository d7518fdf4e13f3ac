"""sign-multimodal-v2: what a new signer's body, camera and handedness change leaves the features alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gestura.errors import ConfigError
from gestura.features.handedness import mirror_sequence
from gestura.features.pipeline import FeaturePipeline
from gestura.landmarks.sequence import LandmarkSequence


def _signer(make_hand, n: int = 20, seed: int = 0, cross: bool = False) -> LandmarkSequence:
    """A frontal body (left shoulder on the image right) whose pose wrists sit on the two hands' wrists.

    `cross`: only the right hand is seen, travelling across the body midline from the image left to the right.
    """
    rng = np.random.default_rng(seed)
    pose = np.tile(rng.uniform(0.3, 0.7, (1, 33, 4)), (n, 1, 1)).astype(np.float32)
    pose[:, 11, :2] = (0.6, 0.5)
    pose[:, 12, :2] = (0.4, 0.5)
    pose += rng.normal(0, 0.003, pose.shape).astype(np.float32)
    right = make_hand(seed + 2, n, start=(0.35, 0.6), move=(0.35 if cross else 0.05, -0.1))
    left = make_hand(seed + 1, n, start=(0.65, 0.65), move=(0.0, -0.05))
    if cross:
        left = np.zeros_like(left)
    pose[:, 16, :3] = right[:, 0]
    pose[:, 15, :3] = left[:, 0] if not cross else (0.62, 0.9, 0.0)
    return LandmarkSequence.from_arrays({"pose": pose, "left_hand": left, "right_hand": right}, 30.0)


def _rolled(seq: LandmarkSequence, degrees: float) -> LandmarkSequence:
    """The same scene seen by a camera rolled by `degrees` (about the image centre)."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    out = {}
    for name, arr in seq.streams.items():
        x = arr.copy()
        dx, dy = arr[..., 0] - 0.5, arr[..., 1] - 0.5
        x[..., 0], x[..., 1] = 0.5 + c * dx - s * dy, 0.5 + s * dx + c * dy
        out[name] = np.where(seq.present[name].reshape(-1, *(1,) * (arr.ndim - 1)), x, 0.0).astype(np.float32)
    return replace(seq, streams=out)


@pytest.mark.parametrize("seed", range(3))
def test_left_dominant_signer_mirrored_equals_right_dominant(make_hand, seed: int) -> None:
    seq = _signer(make_hand, seed=seed)
    twin = mirror_sequence(seq)  # the same signing by a left-handed signer
    f, v = FeaturePipeline("sign-multimodal-v2").transform(seq)
    g, w = FeaturePipeline("sign-multimodal-v2", {"dominant": "left"}).transform(twin)
    np.testing.assert_array_equal(v, w)
    np.testing.assert_allclose(g, f, atol=1e-5)
    old_f, _ = FeaturePipeline("sign-multimodal-v1").transform(seq)
    old_g, _ = FeaturePipeline("sign-multimodal-v1").transform(twin)
    assert np.abs(old_f - old_g).max() > 0.1  # v1 sees the left-handed twin as a different sign


@pytest.mark.parametrize("degrees", [-12.0, 9.0])
def test_camera_roll_is_levelled_out(make_hand, degrees: float) -> None:
    seq = _signer(make_hand, seed=4)
    f, _ = FeaturePipeline("sign-multimodal-v2").transform(seq)
    g, _ = FeaturePipeline("sign-multimodal-v2").transform(_rolled(seq, degrees))
    np.testing.assert_allclose(g, f, atol=2e-4)
    unlevelled = FeaturePipeline("sign-multimodal-v2", {"level_shoulders": False})
    assert np.abs(unlevelled.transform(seq)[0] - unlevelled.transform(_rolled(seq, degrees))[0]).max() > 0.05
    old_f, _ = FeaturePipeline("sign-multimodal-v1").transform(seq)
    old_g, _ = FeaturePipeline("sign-multimodal-v1").transform(_rolled(seq, degrees))
    assert np.abs(old_f - old_g).max() > 0.05


def test_hand_keeps_its_slot_across_the_midline(make_hand) -> None:
    seq = _signer(make_hand, seed=5, cross=True)
    pipe = FeaturePipeline("sign-multimodal-v2")
    f, v = pipe.transform(seq)
    pres = f[:, pipe.spec.block("presence")]
    assert v.all() and np.all(pres[:, 0] == 1.0) and np.all(pres[:, 1] == 0.0)
    old, _ = FeaturePipeline("sign-multimodal-v1").transform(seq)
    old_pres = old[:, pipe.spec.block("presence")]
    assert old_pres[0, 0] == 1.0 and old_pres[-1, 1] == 1.0  # v1 moves the hand to the other slot


def test_face_hips_and_pose_depth_do_not_count(make_hand) -> None:
    seq = _signer(make_hand, seed=6)
    pose = seq.streams["pose"].copy()
    rng = np.random.default_rng(1)
    pose[:, 1:11, :2] += rng.normal(0, 0.03, (1, 10, 2)).astype(np.float32)  # another face
    pose[:, 23:25, :2] += 0.2  # hips guessed elsewhere
    pose[:, :, 2] += rng.normal(0, 0.2, (1, 33)).astype(np.float32)  # another depth guess
    other = replace(seq, streams={**seq.streams, "pose": pose})
    f, _ = FeaturePipeline("sign-multimodal-v2").transform(seq)
    g, _ = FeaturePipeline("sign-multimodal-v2").transform(other)
    np.testing.assert_allclose(g, f, atol=1e-6)
    old_f, _ = FeaturePipeline("sign-multimodal-v1").transform(seq)
    old_g, _ = FeaturePipeline("sign-multimodal-v1").transform(other)
    assert np.abs(old_f - old_g).max() > 0.05


def test_v2_keeps_v1_columns_and_checks_dominant(make_hand) -> None:
    v1, v2 = FeaturePipeline("sign-multimodal-v1"), FeaturePipeline("sign-multimodal-v2")
    assert v2.dim == v1.dim and v2.spec.blocks == v1.spec.blocks and v2.context == v1.context
    assert v2.params["dominant"] == "right" and "dominant" not in v1.params
    with pytest.raises(ConfigError, match="dominant must be"):
        FeaturePipeline("sign-multimodal-v2", {"dominant": "both"})
    with pytest.raises(ConfigError, match="level_shoulders must be true or false"):
        FeaturePipeline("sign-multimodal-v2", {"level_shoulders": "yes"})
    f, _ = v2.transform(_signer(make_hand, seed=7))
    assert np.isfinite(f).all() and np.abs(f).max() <= 10.0


@pytest.mark.real_data
def test_real_clips_mirror_and_stream(shared_datasets) -> None:
    from gestura.data.formats import load_dataset
    from gestura.features.handedness import dominant_side

    seqs = load_dataset(shared_datasets / "asl-traduttore" / "words").sequences[::300]
    right, left = FeaturePipeline("sign-multimodal-v2"), FeaturePipeline("sign-multimodal-v2", {"dominant": "left"})
    for s in seqs:
        f, v = right.transform(s)
        g, w = left.transform(mirror_sequence(s))
        np.testing.assert_array_equal(v, w)
        np.testing.assert_allclose(g, f, atol=1e-4)
        # per-frame features on a trailing buffer of `context + 1` frames equal the whole clip's (streaming)
        c = right.context
        i = s.n_frames - 1
        part, _ = right.frame_features(s.slice(i - c, i + 1))
        np.testing.assert_allclose(part[-1], right.frame_features(s)[0][i], atol=1e-5)
    assert dominant_side(seqs) == "right" and dominant_side([mirror_sequence(s) for s in seqs]) == "left"
