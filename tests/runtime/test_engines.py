"""Torch and ONNX engines behind one protocol give the same probabilities through the Recognizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.synthetic import SubjectStyle, make_session
from gestura.errors import ConfigError, ModelFileError
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.engines import load_engine
from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions


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
    onnx_rec = Recognizer.from_file(art, RecognizerOptions(base_options=BaseOptions(engine="onnx")))
    assert onnx_rec.labels == ["fist", "swiping_right", "unknown"]
    onnx_scores = [p.scores for p in onnx_rec.stream(seq)]
    np.testing.assert_allclose([list(s.values()) for s in onnx_scores],
                               [list(s.values()) for s in torch_scores], atol=1e-4)
    _onnx_runs_without_torch(art, seq.slice(0, 20))


def _onnx_runs_without_torch(art: Path, seq: LandmarkSequence) -> None:
    """`gestura.artifact.load(path, "onnx")` and the Recognizer over it never import torch (a deployment that
    only recognises can drop it)."""
    import subprocess
    import sys

    seq.to_npz(art.parent / "seq.npz")
    code = ("import sys; from gestura import LandmarkSequence; from gestura.artifact import load; "
            "from gestura.runtime.recognizer import Recognizer, RecognizerOptions; b = load(sys.argv[1], 'onnx'); "
            "rec = Recognizer.from_file(sys.argv[1], RecognizerOptions(engine='onnx')); "
            "p = rec.predict_proba(LandmarkSequence.from_npz(sys.argv[2])); "
            "print(type(b).__name__, len(p), 'torch' in sys.modules)")
    src = Path(__file__).resolve().parents[2] / "src"
    run = subprocess.run([sys.executable, "-c", code, str(art), str(art.parent / "seq.npz")], capture_output=True,
                         text=True, timeout=120, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["OnnxBundle", "3", "False"]


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="torch|onnx"):
        load_engine(tmp_path, "tensorrt")


# ---------------------------------------------------------------------------------------------- issue 19 item 3
@pytest.mark.slow
def test_stale_onnx_is_removed_or_refused(tmp_path: Path) -> None:
    """`enroll --out` = `--artifact` used to leave the old model.onnx, which then ran with 12 scores for 15
    labels. Now saving new weights removes it, and an old graph put back is refused by its checksum; an
    unstamped graph with the wrong number of outputs is refused too."""
    import shutil

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.serving.export import export_onnx

    art = _artifact(tmp_path)
    export_onnx(art, art)
    assert load_engine(art, "onnx").labels == ["fist", "swiping_right", "unknown"]
    old_graph = tmp_path / "old.onnx"
    shutil.copy(art / "model.onnx", old_graph)
    pipe = FeaturePipeline("feature-schema-v1")
    ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=4), pipeline=pipe,
                labels=["fist", "swiping_left", "swiping_right", "unknown"], window=12).save(art, card=False)
    assert not (art / "model.onnx").exists() and not (art / "onnx_export.json").exists()
    with pytest.raises(ModelFileError, match="gestura export"):
        load_engine(art, "onnx")
    shutil.copy(old_graph, art / "model.onnx")
    with pytest.raises(ModelFileError, match="exported from other weights"):
        load_engine(art, "onnx")
    bare = tmp_path / "bare"
    export_onnx(create_model("lstm", input_dim=pipe.dim, num_classes=3), bare, window=12)  # no weights stamp
    shutil.copy(bare / "model.onnx", art / "model.onnx")
    with pytest.raises(ModelFileError, match="gives 3 scores but model.json has 4 labels"):
        load_engine(art, "onnx")


def test_saving_the_same_weights_keeps_a_matching_export(tmp_path: Path) -> None:
    import json

    from gestura.artifact import ModelBundle

    art = _artifact(tmp_path)
    sha = json.loads((art / "model.json").read_text())["weights"]["sha256"]
    (art / "model.onnx").write_bytes(b"graph")
    (art / "onnx_export.json").write_text(json.dumps({"weights_sha256": sha}))
    ModelBundle.load(art).save(art, card=False)
    assert (art / "model.onnx").read_bytes() == b"graph"
