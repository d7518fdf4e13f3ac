"""feature-schema-v1 and sign-multimodal-v1 on the shared real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.features.pipeline import FeaturePipeline
from gestura.landmarks.sequence import LandmarkSequence

pytestmark = pytest.mark.real_data


def _prompts(root: Path, video: str) -> list[tuple[int, str]]:
    marks = [ln.split() for ln in (root / "groundtruth.txt").read_text().splitlines() if ln.startswith(video + " ")]
    return [(int(f), lab) for _, f, lab in marks]


def _swipe_x(root: Path, video: str) -> dict[str, float]:
    seq = LandmarkSequence.from_npz(root / f"{video}.npz")
    pipe = FeaturePipeline("feature-schema-v1")
    feats, valid = pipe.frame_features(seq)
    traj = pipe.spec.blocks["wrist_trajectory"]
    out: dict[str, list[float]] = {}
    for frame, label in _prompts(root, video):
        if not label.startswith("swiping_left") and not label.startswith("swiping_right"):
            continue
        i0 = int(np.searchsorted(seq.t, seq.t[frame] + 0.2))
        i1 = int(np.searchsorted(seq.t, seq.t[frame] + 1.2))
        w = pipe.window_features(feats[i0:i1], valid[i0:i1])
        idx = np.flatnonzero(valid[i0:i1])
        if idx.size > 3:
            out.setdefault(label, []).append(float(w[idx[-1], traj][0]))
    return {k: float(np.mean(v)) for k, v in out.items()}


def test_a_left_hand_session_is_the_mirror_image_of_a_right_hand_one(shared_datasets: Path) -> None:
    """Canonical space: meric's left-hand swipe to the left reads as a right hand's swipe to the right (its
    mirror label), his right-hand session as itself; the runtime mirrors the label back."""
    root = shared_datasets / "presentation-streams"
    left_hand = _swipe_x(root, "meric_s1")   # left-hand session, mirrored completely by the pipeline
    right_hand = _swipe_x(root, "meric_s2")
    assert right_hand["swiping_left"] < -0.5 and right_hand["swiping_right"] > 0.2
    assert left_hand["swiping_left"] > 0.5 and left_hand["swiping_right"] < -0.2


def test_sign_multimodal_on_asl_words(shared_datasets: Path) -> None:
    files = sorted((shared_datasets / "asl-traduttore" / "words").glob("*.npz"))[:5]
    pipe = FeaturePipeline("sign-multimodal-v1", {"smooth_window": 5})
    for f in files:
        feats, valid = pipe.transform(LandmarkSequence.from_npz(f))
        assert feats.shape[1] == 534 and np.isfinite(feats).all()
        assert np.all(feats[~valid] == 0.0)
