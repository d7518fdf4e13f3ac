"""Integrated-gradients explanations: finite heatmaps for every registered model, plots written."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gestura.evaluation.explain import attribution_rows, explain_sequence, explain_window, integrated_gradients
from gestura.features.joints import JOINT_FEATURE_SCHEMAS, TWO_HANDS
from gestura.landmarks.sequence import LandmarkSequence
from gestura.models import create_model, list_models


@pytest.mark.parametrize("name", list_models())
def test_finite_heatmap_for_every_registered_model(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, input_dim=147, num_classes=3)
    x = np.random.default_rng(0).normal(size=(8, 147)).astype(np.float32)
    mask = np.r_[np.ones(6, bool), np.zeros(2, bool)]
    exp = explain_window(model, x, mask, labels=["a", "b", "c"], blocks={"p": slice(0, 63), "q": slice(63, 147)},
                         steps=4)
    assert exp.heatmap.shape == (8, 2) and np.isfinite(exp.heatmap).all()
    assert exp.heatmap.sum() == pytest.approx(1.0, abs=1e-4)
    assert np.allclose(exp.heatmap[6:], 0) and exp.target_label in {"a", "b", "c"}


def test_integrated_gradients_completeness_on_a_linear_model() -> None:
    class Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(2, 4 * 12))

        def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
            return x.flatten(1) @ self.w.t()

    m = Linear()
    x = np.random.default_rng(1).normal(size=(4, 12)).astype(np.float32)
    attr, tgt, _ = integrated_gradients(m, x, steps=8)
    with torch.no_grad():
        logit = m(torch.from_numpy(x)[None])[0, tgt]
    assert attr.sum() == pytest.approx(float(logit), rel=1e-4)
    rows, names = attribution_rows(attr, n_joints=4)
    assert rows.shape == (4, 4) and names[0] == "j0"


class _JointPipeline:
    spec = JOINT_FEATURE_SCHEMAS["joints-two-hands-v1"]

    def transform(self, seq: LandmarkSequence) -> tuple[np.ndarray, np.ndarray]:
        return TWO_HANDS.frame_features(seq)

    def window_features(self, feats: np.ndarray, valid: np.ndarray) -> np.ndarray:
        return feats


def test_explain_sequence_writes_heatmap_and_skeleton_frames(tmp_path) -> None:
    rng = np.random.default_rng(0)
    hands = {k: (0.5 + 0.05 * rng.normal(size=(10, 21, 3))).astype(np.float32) for k in ("left_hand", "right_hand")}
    seq = LandmarkSequence.from_arrays(hands, fps=30.0, video_id="clip")
    model = create_model("stgcn", input_dim=126, num_classes=2, skeleton="mediapipe-two-hands-42",
                         channels=(8, 8), dilations=(1, 2))
    exp = explain_sequence(model, _JointPipeline(), seq, ["x", "y"], tmp_path, steps=4, k=3)
    assert exp.heatmap.shape == (10, 42) and np.isfinite(exp.heatmap).all()
    assert exp.row_names[0] == "left_wrist"
    for f in ("heatmap.png", "top_frames.png", "explanation.json"):
        assert (tmp_path / f).stat().st_size > 100


@pytest.mark.parametrize("steps, needle", [(10**7, "--steps: 1e\\+07 is out of bounds"), (1, "--steps: 1 is out")])
def test_steps_bounded_before_the_batch_is_built(steps: int, needle: str) -> None:
    """Issue 19 item 1: `explain --steps N` builds an (N, T, F) batch; N is bounded first."""
    from gestura.errors import ConfigError

    model = create_model("lstm", input_dim=147, num_classes=3).eval()
    with pytest.raises(ConfigError, match=needle):
        explain_window(model, np.zeros((8, 147), np.float32), None, labels=["a", "b", "c"], steps=steps)
