"""`ModelBundle`: a trained torch model with its feature recipe, saved as `model.safetensors` + `model.json`
(+ a `README.md` model card) and loaded without pickle.

`save` writes the weights and `model.json` atomically and records the weights' SHA-256; `load` reads `model.json`
through the one parser (`gestura.artifact.spec.load_spec`), refuses weights whose checksum differs (a truncated
or tampered file) before any tensor is used, checks every parameter shape on torch's `meta` device and only then
allocates the model. torch is imported inside the functions that need it, so the spec and the ONNX engine stay
torch-free.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from gestura.artifact.onnx import ONNX_FILE, REPORT_FILE
from gestura.artifact.spec import CARD, FORMAT, FORMAT_VERSION, META, WEIGHTS, ArtifactSpec, folder_of, load_spec
from gestura.errors import ConfigError, ModelFileError, SchemaError
from gestura.io import atomic_write, write_json, write_text
from gestura.model_card import render_model_card


@dataclass
class ModelBundle:
    """A trained model with its feature recipe, labels and decision defaults.

    `model`: a registered `torch.nn.Module`; `pipeline`: a `gestura.features.FeaturePipeline`;
    `window`/`stride`: frames per model input and hop between windows; `thresholds`: default per-class score
    thresholds; `meta`: free-form facts (training metrics, data, splits) stored in `model.json`.
    """

    model: Any
    pipeline: Any
    labels: list[str]
    window: int
    stride: int = 1
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    resample_fps: float | None = None

    def __post_init__(self) -> None:
        self.labels = [str(x) for x in self.labels]
        if len(set(self.labels)) != len(self.labels):
            raise ConfigError(f"duplicate labels in {self.labels}")
        if not self.thresholds:
            self.thresholds = {lb: 0.5 for lb in self.labels}

    # ------------------------------------------------------------------ inference
    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities: features `(B, T, F)` float32, mask `(B, T)` bool (True = real frame) -> `(B, K)`."""
        import torch

        xt, mt = self._tensors(x, mask)
        self.model.eval()
        with torch.inference_mode():
            return torch.softmax(self.model(xt, mt), dim=-1).cpu().numpy().astype(np.float32)

    def embed(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Pooled embeddings: `(B, T, F)` -> `(B, D)`."""
        import torch

        xt, mt = self._tensors(x, mask)
        self.model.eval()
        with torch.inference_mode():
            return self.model.embed(xt, mt).cpu().numpy().astype(np.float32)

    def _tensors(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[Any, Any]:
        import torch

        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[-1] != self.input_dim:
            raise SchemaError(f"model expects (B, T, {self.input_dim}) features "
                              f"({self.pipeline.schema}), got shape {x.shape}")
        mt = None
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.ndim == 1:
                m = m[None]
            if m.shape != x.shape[:2]:
                raise SchemaError(f"mask shape {m.shape} does not match features {x.shape[:2]}")
            mt = torch.from_numpy(m)
        return torch.from_numpy(x), mt

    @property
    def spec(self) -> ArtifactSpec:
        """Everything but the weights (what the runtime reads)."""
        return ArtifactSpec.from_bundle(self)

    @property
    def input_dim(self) -> int:
        return int(self.pipeline.dim)

    @property
    def architecture(self) -> dict[str, Any]:
        from gestura.models import model_config

        return model_config(self.model)

    # ------------------------------------------------------------------ persistence
    def to_json(self, weights_sha256: str = "") -> dict[str, Any]:
        """The `model.json` document."""
        from gestura import __version__

        pipe = self.pipeline.to_dict()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "gestura_version": __version__,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "architecture": self.architecture,
            "labels": self.labels,
            "features": {"schema": pipe.get("schema", getattr(self.pipeline, "schema", None)),
                         "dim": self.input_dim, "pipeline": pipe},
            "window": int(self.window),
            "stride": int(self.stride),
            "resample_fps": self.resample_fps,
            "thresholds": {k: float(v) for k, v in self.thresholds.items()},
            "weights": {"file": WEIGHTS, "sha256": weights_sha256},
            "meta": self.meta,
        }

    def save(self, directory: str | os.PathLike[str], card: bool = True) -> Path:
        """Write `model.safetensors`, `model.json` and the model card atomically into `directory`."""
        from safetensors.torch import save as st_save

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        blob = st_save(state, metadata={"format": FORMAT})
        with atomic_write(d / WEIGHTS, "wb") as f:
            f.write(blob)
        sha = hashlib.sha256(blob).hexdigest()
        _drop_stale_onnx(d, sha)
        doc = self.to_json(sha)
        write_json(d / META, doc)
        if card:
            write_text(d / CARD, render_model_card(doc))
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ModelBundle:
        """Rebuild a bundle from a folder (or its `model.json`); every failure is one `ModelFileError` line."""
        d = folder_of(directory)
        meta_path, weights_path = d / META, d / WEIGHTS
        for p in (meta_path, weights_path):
            if not p.is_file():
                raise ModelFileError(f"{p}: file not found (a model folder holds {META} and {WEIGHTS})")
        spec = load_spec(d)
        blob = weights_path.read_bytes()
        if spec.weights_sha256 and hashlib.sha256(blob).hexdigest() != spec.weights_sha256:
            raise ModelFileError(f"{weights_path}: checksum mismatch (file truncated or modified)")
        try:
            from safetensors.torch import load as st_load

            state = st_load(blob)
        except Exception as err:  # safetensors raises its own SafetensorError
            raise ModelFileError(f"{weights_path}: not a readable safetensors file ({err})") from None
        model = _build_model(meta_path, spec.architecture, state)
        in_dim = int(getattr(model.cfg, "input_dim", spec.pipeline.dim))
        if in_dim != int(spec.pipeline.dim):
            raise ModelFileError(f"{meta_path}: feature schema {spec.pipeline.schema!r} gives {spec.pipeline.dim} "
                                 f"features but the model expects {in_dim}")
        n_out = getattr(model.cfg, "num_classes", len(spec.labels))
        if int(n_out) != len(spec.labels):
            raise ModelFileError(f"{meta_path}: {len(spec.labels)} labels but the model has {n_out} outputs")
        return cls(model=model.eval(), pipeline=spec.pipeline, labels=spec.labels, window=spec.window,
                   stride=spec.stride, thresholds=spec.thresholds, meta=spec.meta, resample_fps=spec.resample_fps)


def _drop_stale_onnx(d: Path, weights_sha256: str) -> None:
    """Remove a `model.onnx` (and its report) exported from other weights than the ones being written, so the
    ONNX engine can never run a stale graph; one whose report records these very weights is kept."""
    onnx, report = d / ONNX_FILE, d / REPORT_FILE
    if not onnx.exists():
        return
    try:
        same = json.loads(report.read_text(encoding="utf-8")).get("weights_sha256") == weights_sha256
    except (OSError, ValueError, AttributeError):
        same = False
    if not same:
        onnx.unlink(missing_ok=True)
        report.unlink(missing_ok=True)


def _build_model(meta_path: Path, arch: dict[str, Any], state: dict[str, Any]) -> Any:
    """Build the model first on torch's `meta` device (no memory) and compare every parameter shape with the
    weights file; only a model whose shapes match the (already checksummed) weights is then really allocated."""
    import torch

    from gestura.models import create_model

    def build() -> Any:
        try:
            return create_model(arch["name"], **arch.get("params", {}))
        except ConfigError as err:
            raise ModelFileError(f"{meta_path}: {err}") from None
        except Exception as err:  # a bad size reaches torch's constructors as TypeError/ValueError/RuntimeError
            raise ModelFileError(f"{meta_path}: bad architecture entry ({type(err).__name__}: "
                                 f"{str(err).splitlines()[0][:160] if str(err) else ''})") from None

    with torch.device("meta"):
        ghost = build()
    shapes = {k: tuple(v.shape) for k, v in ghost.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in state.items()}
    if shapes != have:
        diff = sorted(k for k in set(shapes) | set(have) if shapes.get(k) != have.get(k))[:2]
        detail = ", ".join(f"{k}: model {shapes.get(k)} vs file {have.get(k)}" for k in diff)
        raise ModelFileError(f"{meta_path}: weights do not fit architecture {arch.get('name')!r} ({detail})")
    model = build()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ModelFileError(f"{meta_path}: weights do not fit architecture {arch.get('name')!r} "
                             f"({' '.join(first[:2])[:200]})") from None
    return model


def default_thresholds(labels: Sequence[str], value: float = 0.5) -> dict[str, float]:
    """The same threshold for every class."""
    return {str(lb): float(value) for lb in labels}
