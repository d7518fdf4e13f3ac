"""ONNX export: every registered model exports with dynamic batch (and time where it can) and matches PyTorch,
also when padded or invalid frames hold NaN."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from gestura.errors import ConfigError, ModelFileError  # noqa: E402
from gestura.models import config_class, create_model, list_models  # noqa: E402
from gestura.serving.export import PARITY_ATOL, check_parity, export_onnx, load_onnx  # noqa: E402

INPUT_DIM = 63  # one hand, 21 joints x 3: valid for the sequence models and the hand-graph models alike
SMALL = {  # shrink the big defaults so export stays fast; only keys a model's config has are used
    "hidden_dim": 16, "hidden": 16, "d_model": 16, "dim": 16, "num_layers": 1, "layers": 1, "n_layers": 1,
    "channels": (16, 16), "dilations": (1, 2), "gru_hidden": 16, "signer_dim": 8, "attn_heads": 2, "nhead": 2,
    "n_heads": 2, "num_heads": 2, "ff_dim": 32, "dim_feedforward": 32, "embed_dim": 16,
}


def small_model(name: str) -> torch.nn.Module:
    fields = {f.name for f in dataclasses.fields(config_class(name))}
    params = {k: v for k, v in SMALL.items() if k in fields}
    torch.manual_seed(0)
    try:
        return create_model(name, input_dim=INPUT_DIM, num_classes=3, **params)
    except Exception:  # a shrink value the model rejects: fall back to its defaults
        return create_model(name, input_dim=INPUT_DIM, num_classes=3)


def nan_padded_batch(rng: np.random.Generator, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Five rows: full, left padding (a filling ring buffer), right padding, holes, one real frame; every
    padded or invalid frame holds NaN."""
    x = rng.standard_normal((5, t, INPUT_DIM)).astype(np.float32)
    mask = np.ones((5, t), dtype=bool)
    mask[1, : t // 3] = False
    mask[2, t - t // 4:] = False
    mask[3, 1::3] = False
    mask[4, :-1] = False
    x[~mask] = np.nan
    return x, mask


@pytest.mark.slow
@pytest.mark.parametrize("name", list_models())
def test_onnx_matches_torch(name: str, tmp_path: Path) -> None:
    model = small_model(name).eval()
    report = export_onnx(model, tmp_path, window=16)
    assert report.path == tmp_path / "model.onnx" and report.path.is_file()
    assert report.exporter in ("dynamo", "torchscript") and report.max_abs_diff <= PARITY_ATOL
    rng = np.random.default_rng(1)
    for batch, t in ((1, 16), (5, 16), (2, 11) if report.dynamic_time else (2, 16)):
        x = rng.standard_normal((batch, t, INPUT_DIM)).astype(np.float32)
        mask = np.ones((batch, t), dtype=bool)
        mask[-1, : t // 4] = False
        parity = check_parity(model, report.path, x, mask)
        assert parity.ok, f"{name}: B={batch} T={t} max |diff| {parity.max_abs_diff:.2e}"
        assert parity.shape == (batch, 3)
    x, mask = nan_padded_batch(rng, 16)
    with torch.inference_mode():
        ref = torch.softmax(model(torch.from_numpy(x), torch.from_numpy(mask)), dim=-1).numpy()
    assert np.isfinite(ref).all(), f"{name}: torch gives non-finite scores when padded frames hold NaN"
    parity = check_parity(model, report.path, x, mask)
    assert parity.ok, f"{name}: NaN in padded frames: max |diff| {parity.max_abs_diff:.2e}"
    onnx_model = load_onnx(tmp_path)
    assert onnx_model.metadata["gestura.exporter"] == report.exporter
    proba = onnx_model.predict_proba(rng.standard_normal((3, 16, INPUT_DIM)).astype(np.float32))
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_load_onnx_rejects_garbage(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelFileError, match="model.onnx"):
        load_onnx(tmp_path)


def test_export_rejects_non_artifact(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no model.json"):
        export_onnx(tmp_path, tmp_path / "out")


def test_exported_artifact_runs_under_the_onnx_engine(tiny_artifact: Path, tmp_path: Path) -> None:
    from gestura.data.synthetic import make_session
    from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions

    report = export_onnx(tiny_artifact, tmp_path)
    assert {"model.onnx", "model.json", "model.safetensors", "onnx_export.json"} <= {p.name for p in
                                                                                   tmp_path.iterdir()}
    assert (tmp_path / "model.json").read_bytes() == (tiny_artifact / "model.json").read_bytes()
    assert report.exporter == "torchscript" and report.dynamic_time  # the LSTM rule
    seq = make_session(["swiping_left", "fist"], seed=1)
    torch_rec = Recognizer.from_file(tiny_artifact)
    onnx_rec = Recognizer.from_file(tmp_path, RecognizerOptions(base_options=BaseOptions(engine="onnx")))
    p_torch, p_onnx = torch_rec.predict_proba(seq), onnx_rec.predict_proba(seq)
    assert np.allclose(p_torch, p_onnx, atol=1e-5) and p_torch.std() > 0


def test_export_does_not_overwrite_another_model(tiny_artifact: Path, tmp_path: Path) -> None:
    """Issue 19 item 3: export must not replace a different model in --out (its own folder is fine)."""
    import hashlib

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    pipe = FeaturePipeline("feature-schema-v1")
    other = ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=2, units=(4,), dense=(4,)),
                        pipeline=pipe, labels=["a", "b"], window=8).save(tmp_path / "other", card=False)
    before = hashlib.sha256((other / "model.safetensors").read_bytes()).hexdigest()
    with pytest.raises(ConfigError, match="already holds another model"):
        export_onnx(tiny_artifact, other)
    assert hashlib.sha256((other / "model.safetensors").read_bytes()).hexdigest() == before
    assert not (other / "model.onnx").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        export_onnx(tiny_artifact, tmp_path / "file")
