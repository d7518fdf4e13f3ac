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


def test_left_and_right_hand_sessions_keep_the_real_swipe_direction(shared_datasets: Path) -> None:
    root = shared_datasets / "presentation-streams"
    left_hand = _swipe_x(root, "meric_s1")   # left-hand session, mirrored by the pipeline
    right_hand = _swipe_x(root, "meric_s2")
    for d in (left_hand, right_hand):
        assert d["swiping_left"] < -0.5 and d["swiping_right"] > 0.2


def test_sign_multimodal_on_asl_words(shared_datasets: Path) -> None:
    files = sorted((shared_datasets / "asl-traduttore" / "words").glob("*.npz"))[:5]
    pipe = FeaturePipeline("sign-multimodal-v1", {"smooth_window": 5})
    for f in files:
        feats, valid = pipe.transform(LandmarkSequence.from_npz(f))
        assert feats.shape[1] == 534 and np.isfinite(feats).all()
        assert np.all(feats[~valid] == 0.0)
