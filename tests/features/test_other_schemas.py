"""holistic-raw-v1, sign-multimodal-v1 (slot swaps, invariance) and fingertip-trajectory-v1 (units, masks)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gestura.features.fingertip import missing_mask
from gestura.features.pipeline import FeaturePipeline
from gestura.landmarks.sequence import LandmarkSequence


def _body(make_hand, n: int = 20, seed: int = 0) -> LandmarkSequence:
    rng = np.random.default_rng(seed)
    pose = np.tile(rng.uniform(0.35, 0.65, (1, 33, 4)), (n, 1, 1)).astype(np.float32)
    pose[:, 11, :2] = (0.6, 0.5)
    pose[:, 12, :2] = (0.4, 0.5)
    pose += rng.normal(0, 0.003, pose.shape).astype(np.float32)
    return LandmarkSequence.from_arrays({"pose": pose, "left_hand": make_hand(seed + 1, n, start=(0.7, 0.6),
                                                                                move=(0.0, -0.1)),
                                         "right_hand": make_hand(seed + 2, n, start=(0.3, 0.6))}, 30.0)


def test_holistic_raw_layout_and_zeros(make_hand) -> None:
    seq = _body(make_hand)
    h = seq.streams["left_hand"].copy()
    h[3] = 0.0
    seq = LandmarkSequence.from_arrays({**seq.streams, "left_hand": h}, 30.0)
    f, v = FeaturePipeline("holistic-raw-v1").transform(seq)
    assert f.shape == (20, 1662) and v.all()
    np.testing.assert_array_equal(f[:, :132].reshape(20, 33, 4), seq.streams["pose"])
    assert np.all(f[:, 132:1536] == 0.0)
    assert np.all(f[3, 1536:1599] == 0.0) and np.allclose(f[4, 1536:1599], h[4].reshape(-1))
    np.testing.assert_array_equal(f[:, 1599:].reshape(20, 21, 3), seq.streams["right_hand"])


@pytest.mark.parametrize("params", [{}, {"smooth_window": 5}])
def test_sign_multimodal_ignores_slot_swaps(make_hand, params: dict) -> None:
    seq = _body(make_hand)
    swap = (np.arange(20) % 5) < 2
    lh, rh = seq.streams["left_hand"], seq.streams["right_hand"]
    swapped = LandmarkSequence.from_arrays({"pose": seq.streams["pose"],
                                            "left_hand": np.where(swap[:, None, None], rh, lh),
                                            "right_hand": np.where(swap[:, None, None], lh, rh)}, 30.0)
    pipe = FeaturePipeline("sign-multimodal-v1", params)
    f1, v1 = pipe.transform(seq)
    f2, v2 = pipe.transform(swapped)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_allclose(f1, f2, atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_sign_multimodal_translation_and_scale_invariance(make_hand, seed: int) -> None:
    seq = _body(make_hand, seed=seed)
    rng = np.random.default_rng(seed)
    k, shift = rng.uniform(0.5, 2.0), np.array([*rng.uniform(-0.2, 0.2, 2), 0.0])

    def tf(a: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[..., :3] = a[..., :3] * k + shift[: a.shape[-1]] if a.shape[-1] == 3 else a[..., :3] * k + shift
        return out

    moved = replace(seq, streams={n: tf(v) for n, v in seq.streams.items()})
    pipe = FeaturePipeline("sign-multimodal-v1")
    f1, _ = pipe.transform(seq)
    f2, _ = pipe.transform(moved)
    np.testing.assert_allclose(f2, f1, atol=2e-4)
    pres = pipe.spec.blocks["presence"]
    assert np.all(f1[:, pres] == 1.0)


def test_fingertip_units_masks_and_window_origin() -> None:
    n = 16
    xy = np.zeros((n, 1, 2), np.float32)
    xy[:, 0, 0] = np.linspace(0, 0.3, n)
    xy[:, 0, 1] = np.linspace(0, 0.3, n)
    xy[7] = 0.0
    seq = LandmarkSequence.from_arrays({"index_tip": xy}, 30.0, present={"index_tip": np.ones(n, bool)},
                                       attrs={"image_size": (960, 540)})
    pipe = FeaturePipeline("fingertip-trajectory-v1")
    f, v = pipe.transform(seq)
    assert v.sum() == n - 1 and not v[7] and np.all(f[7] == 0)
    assert f[-1, 0] == pytest.approx(0.3 * 960 / 540, rel=1e-5) and f[-1, 1] == pytest.approx(0.3, rel=1e-5)
    np.testing.assert_allclose(np.linalg.norm(f[v][1:, 5:7], axis=1)[v[1:][v[1:]]][:3], 1.0, atol=1e-5)
    x, valid, _ = pipe.windows(seq, 8, 8)
    assert x.shape == (2, 8, 7) and np.allclose(x[1, 0, :2], 0.0)
    neg = np.array([[0.0, 0.0], [0.1, 0.1], [-0.2, -0.3], [-0.2, -0.3], [0.2, 0.1]])
    assert missing_mask(neg, "repeated_negative").tolist() == [False, False, True, True, False]
    assert missing_mask(neg, "zero").tolist() == [False] * 5
