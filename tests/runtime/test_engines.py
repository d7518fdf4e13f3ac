"""Torch and ONNX engines behind one protocol give the same probabilities through the Recognizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.synthetic import SubjectStyle, make_session
from gestura.errors import ConfigError, ModelFileError
from gestura.runtime.engines import load_engine
from gestura.runtime.recognizer import Recognizer, RecognizerOptions


def _artifact(tmp: Path) -> Path:
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    torch.manual_seed(1)
    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "swiping_right", "unknown"]
    ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=3), pipeline=pipe, labels=labels,
                window=12, stride=4).save(tmp / "art", card=False)
    return tmp / "art"


@pytest.mark.slow
def test_onnx_engine_matches_torch(tmp_path: Path) -> None:
    from gestura.serving.export import export_onnx

    art = _artifact(tmp_path)
    with pytest.raises(ModelFileError, match="gestura export"):
        load_engine(art, "onnx")
    export_onnx(art, art)
    seq = make_session(["fist"], SubjectStyle(subject="e"), seed=5).slice(0, 40)
    torch_scores = [p.scores for p in Recognizer.from_file(art).stream(seq)]
    onnx_rec = Recognizer.from_file(art, RecognizerOptions(engine="onnx"))
    assert onnx_rec.labels == ["fist", "swiping_right", "unknown"]
    onnx_scores = [p.scores for p in onnx_rec.stream(seq)]
    np.testing.assert_allclose([list(s.values()) for s in onnx_scores],
                               [list(s.values()) for s in torch_scores], atol=1e-4)


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="torch|onnx"):
        load_engine(tmp_path, "tensorrt")
