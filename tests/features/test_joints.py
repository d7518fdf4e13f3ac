"""Joint-layout schemas: shapes, invariances they claim, slot-swap repair, masks instead of NaN."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import SchemaError
from gestura.features.joints import JOINT_SCHEMAS, joint_features
from gestura.landmarks.sequence import LandmarkSequence


def _seq(rng: np.random.Generator, swap_at: int | None = None, missing_left: slice | None = None,
         shift: float = 0.0, scale: float = 1.0) -> LandmarkSequence:
    t = 8
    pose = np.zeros((t, 33, 4), np.float32)
    pose[:, :, :3] = rng.normal(0.5, 0.1, size=(1, 33, 3))
    pose[:, 11, :2], pose[:, 12, :2] = (0.6, 0.4), (0.4, 0.4)
    pose[:, 15, :2], pose[:, 16, :2] = (0.7, 0.7), (0.3, 0.7)
    left = (np.array([0.7, 0.7, 0]) + 0.05 * rng.normal(size=(t, 21, 3))).astype(np.float32)
    right = (np.array([0.3, 0.7, 0]) + 0.05 * rng.normal(size=(t, 21, 3))).astype(np.float32)
    left[:, 0], right[:, 0] = (0.7, 0.7, 0), (0.3, 0.7, 0)
    if swap_at is not None:
        left[swap_at:], right[swap_at:] = right[swap_at:].copy(), left[swap_at:].copy()
    if missing_left is not None:
        left[missing_left] = 0
    streams = {"pose": pose, "left_hand": left, "right_hand": right}
    for k, v in streams.items():
        v[..., :2] = (v[..., :2] + shift) * scale
        if k != "pose" and missing_left is not None and k == "left_hand":
            v[missing_left] = 0
    return LandmarkSequence.from_arrays(streams, fps=30.0)


@pytest.mark.parametrize("schema", sorted(JOINT_SCHEMAS))
def test_shapes_invariance_and_slot_swaps(schema: str) -> None:
    seq = _seq(np.random.default_rng(0))
    f, v = joint_features(seq, schema)
    assert f.shape == (8, JOINT_SCHEMAS[schema].dim) and v.all() and np.isfinite(f).all()
    moved, _ = joint_features(_seq(np.random.default_rng(0), shift=0.1, scale=1.5), schema)
    assert np.allclose(moved[..., 0::3], f[..., 0::3], atol=1e-4) and np.allclose(moved[..., 1::3], f[..., 1::3], atol=1e-4)
    if schema != "joints-hand-v1":
        swapped, _ = joint_features(_seq(np.random.default_rng(0), swap_at=4), schema)
        assert np.allclose(swapped, f, atol=1e-5)


def test_missing_hands_are_masked_not_nan() -> None:
    seq = _seq(np.random.default_rng(1), missing_left=slice(0, 8))
    empty = LandmarkSequence.from_arrays({"left_hand": np.zeros((4, 21, 3)), "right_hand": np.zeros((4, 21, 3))}, 30.0)
    f, v = joint_features(empty, "joints-two-hands-v1")
    assert not v.any() and np.all(f == 0)
    f, v = joint_features(seq, "joints-upper-body-v1")
    assert v.all() and np.isfinite(f).all()
    with pytest.raises(SchemaError, match="pose"):
        joint_features(empty, "joints-upper-body-v1")
    with pytest.raises(SchemaError, match="unknown"):
        joint_features(seq, "joints-v9")
