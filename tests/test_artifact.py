"""The model artifact: save/load round trip without pickle, and one-line errors for damaged files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from gestura.artifact import ModelBundle, read_model_json
from gestura.errors import ModelFileError, SchemaError
from gestura.features.pipeline import FeaturePipeline
from gestura.models import create_model


@pytest.fixture()
def saved(tmp_path: Path) -> tuple[ModelBundle, Path]:
    torch.manual_seed(0)
    pipe = FeaturePipeline("fingertip-trajectory-v1")
    model = create_model("lstm", input_dim=pipe.dim, num_classes=3, units=(8,), dense=(8,))
    b = ModelBundle(model=model, pipeline=pipe, labels=["a", "b", "c"], window=16, stride=4,
                    meta={"test": {"accuracy": 0.5}})
    return b, b.save(tmp_path / "m")


def test_round_trip_predicts_the_same(saved: tuple[ModelBundle, Path]) -> None:
    b, d = saved
    assert sorted(p.name for p in d.iterdir()) == ["README.md", "model.json", "model.safetensors"]
    x = np.random.default_rng(0).standard_normal((2, 16, 7)).astype(np.float32)
    mask = np.ones((2, 16), bool)
    mask[1, 10:] = False
    back = ModelBundle.load(d)
    np.testing.assert_allclose(back.predict_proba(x, mask), b.predict_proba(x, mask), atol=1e-6)
    assert back.predict_proba(x, mask).sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert back.embed(x, mask).shape == (2, 8)
    assert back.labels == ["a", "b", "c"] and back.window == 16 and back.stride == 4
    assert back.pipeline == b.pipeline and back.thresholds == {"a": 0.5, "b": 0.5, "c": 0.5}
    doc = read_model_json(d)
    assert doc["architecture"]["name"] == "lstm" and doc["features"]["schema"] == "fingertip-trajectory-v1"
    assert "accuracy: 0.5000" in (d / "README.md").read_text()
    with pytest.raises(SchemaError, match="expects"):
        back.predict_proba(np.zeros((1, 16, 5), np.float32))


def _one_line(d: Path, match: str) -> None:
    with pytest.raises(ModelFileError, match=match) as err:
        ModelBundle.load(d)
    assert "\n" not in str(err.value)


def test_tampered_and_truncated_weights(saved: tuple[ModelBundle, Path]) -> None:
    _, d = saved
    w = d / "model.safetensors"
    blob = bytearray(w.read_bytes())
    blob[-3] ^= 0xFF
    w.write_bytes(bytes(blob))
    _one_line(d, "checksum mismatch")
    w.write_bytes(bytes(blob[: len(blob) // 2]))
    _one_line(d, "checksum mismatch")
    doc = json.loads((d / "model.json").read_text())
    doc["weights"]["sha256"] = ""
    (d / "model.json").write_text(json.dumps(doc))
    _one_line(d, "not a readable safetensors")


def test_missing_and_bad_json(saved: tuple[ModelBundle, Path]) -> None:
    _, d = saved
    (d / "model.json").write_text("{not json")
    _one_line(d, "not valid JSON")
    (d / "model.json").unlink()
    _one_line(d, "file not found")


def _edit_and_expect(d: Path, edit: Any, match: str) -> None:
    """Apply `edit` to the saved model.json, then loading must fail with one line matching `match`."""
    doc = json.loads((d / "model.json").read_text())
    edit(doc)
    (d / "model.json").write_text(json.dumps(doc))
    _one_line(d, match)


@pytest.mark.parametrize("edit, match", [
    (lambda doc: doc["architecture"].update(name="nonesuch"), "unknown model 'nonesuch'"),
    (lambda doc: doc["features"].update(pipeline={"schema": "feature-schema-v1"}, dim=147), "147 features"),
    (lambda doc: doc.update(labels=["a", "b"]), "2 labels but the model has 3"),
    (lambda doc: doc["architecture"]["params"].update(units=[9]), "do not fit"),
    (lambda doc: doc.update(format_version=99), "format_version"),
])
def test_json_mismatches(saved: tuple[ModelBundle, Path], edit, match: str) -> None:  # type: ignore[no-untyped-def]
    _edit_and_expect(saved[1], edit, match)


# ---------------------------------------------------------------------------------------------- sizes in model.json
@pytest.mark.parametrize("edit, match", [
    (lambda doc: doc["architecture"]["params"].update(units=[1e9]), r"units\[0\]: 1e\+09 is out of bounds"),
    (lambda doc: doc["architecture"]["params"].update(units=[-5]), r"units\[0\]: -5 is out of bounds"),
    (lambda doc: doc["architecture"]["params"].update(units=[6000]), r"do not fit.*model \(8, 6000\) vs file \(8, 8\)"),
    (lambda doc: doc["architecture"]["params"].update(units=[10**7]), "units\\[0\\]: 1e\\+07 is out of bounds"),
    (lambda doc: doc["architecture"]["params"].update(dropout="x"), "bad architecture entry"),
    (lambda doc: doc.update(window=1e12), r"window: 1e\+12 is out of bounds \(must be >= 1 and <= 4096\)"),
    (lambda doc: doc.update(window=-1), "window: -1 is out of bounds"),
    (lambda doc: doc.update(window="16"), "window: expected a number, got str"),
    (lambda doc: doc.update(stride=0), "stride: 0 is out of bounds"),
    (lambda doc: doc.update(resample_fps=0), "resample_fps: 0 is out of bounds"),
    (lambda doc: doc.update(resample_fps=float("nan")), "resample_fps: must be finite"),
    (lambda doc: doc.update(thresholds={"a": "high"}), "thresholds.a: expected a number, got str"),
    (lambda doc: doc.update(thresholds={"a": True}), "thresholds.a: expected a number, got bool"),
    (lambda doc: doc.update(labels="abc"), "labels: expected a list"),
])
def test_model_json_bounds_checked_before_building(saved: tuple[ModelBundle, Path], edit: Any,
                                                   match: str) -> None:
    """Sizes are refused by bound, and a size within bounds that the weights do not have is found on torch's
    meta device (the message names both shapes) before any real tensor of that size is allocated."""
    _edit_and_expect(saved[1], edit, match)


@pytest.mark.parametrize("edit, match", [
    (lambda doc: doc.update(stride=0), "stride: 0 is out of bounds"),
    (lambda doc: doc.update(format_version=99), "format_version 99"),
    (lambda doc: doc.update(format="something-else"), "not a gestura model file"),
    (lambda doc: doc["features"].update(dim=9), "gives 7 features but features.dim is 9"),
])
def test_onnx_spec_uses_the_same_checks(saved: tuple[ModelBundle, Path], edit: Any, match: str) -> None:
    """The spec the ONNX engine reads comes from the same parser as the torch bundle: same refusals."""
    from gestura.artifact import ArtifactSpec, load_spec

    _, d = saved
    doc = json.loads((d / "model.json").read_text())
    edit(doc)
    (d / "model.json").write_text(json.dumps(doc))
    for read in (ArtifactSpec.from_json, load_spec, ModelBundle.load):
        with pytest.raises(ModelFileError, match=match) as err:
            read(d)
        assert "\n" not in str(err.value)


def test_one_load_for_every_engine(saved: tuple[ModelBundle, Path]) -> None:
    from gestura.artifact import load, load_artifact, load_spec
    from gestura.errors import ConfigError

    b, d = saved
    for bundle in (load(d), load(d / "model.json", "torch"), load_artifact(d)):
        assert isinstance(bundle, ModelBundle)
        assert bundle.spec.labels == b.labels and bundle.spec.window == 16 and bundle.spec.stride == 4
    spec = load_spec(d)
    assert spec.architecture == read_model_json(d)["architecture"]
    assert spec.weights_sha256 == read_model_json(d)["weights"]["sha256"] and len(spec.weights_sha256) == 64
    with pytest.raises(ModelFileError, match="model.onnx: not found; run `gestura export"):
        load(d, "onnx")
    with pytest.raises(ConfigError, match=r"engine must be torch\|onnx, got 'tensorrt'"):
        load(d, "tensorrt")
