"""Inference engines behind one protocol: `predict_proba(x (B, T, F), mask (B, T)) -> (B, K)` numpy.

`TorchEngine` runs the artifact's PyTorch model (`ModelBundle`); `OnnxEngine` runs the `model.onnx` that
`gestura export` writes beside `model.json` (via `gestura.runtime.onnx_model.load_onnx`), so a deployment can drop
torch. Both read labels, feature pipeline and window from `model.json`, so the Recognizer does not care which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gestura.errors import ConfigError, ModelFileError


class Engine(Protocol):
    """What the runtime needs from a model."""

    labels: list[str]

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray: ...


@dataclass
class ArtifactSpec:
    """Everything but the weights: labels, feature pipeline, window, thresholds, resampling rate, meta."""

    labels: list[str]
    pipeline: Any
    window: int
    stride: int = 1
    thresholds: dict[str, float] = field(default_factory=dict)
    resample_fps: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ArtifactSpec:
        """Read an artifact folder's `model.json` (no torch import)."""
        from gestura.artifact import META, parse_model_doc, read_model_json
        from gestura.errors import GesturaError
        from gestura.features.pipeline import FeaturePipeline

        doc = read_model_json(path)
        d = Path(path)
        if not isinstance(doc, dict):
            raise ModelFileError(f"{path}: not a gestura model file")
        spec = parse_model_doc(d if d.is_file() else d / META, doc)
        try:
            pipe = FeaturePipeline.from_dict(spec["features"]["pipeline"])
            return cls(labels=spec["labels"], pipeline=pipe, window=spec["window"], stride=spec["stride"],
                       thresholds=spec["thresholds"], resample_fps=spec["resample_fps"], meta=spec["meta"])
        except GesturaError as err:
            raise ModelFileError(f"{path}: {err}") from None
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"{path}: model.json missing or bad field ({err})") from None


class TorchEngine:
    """The artifact's PyTorch model on the CPU (`num_threads` intra-op threads; 0 leaves torch's default)."""

    def __init__(self, bundle: Any, num_threads: int = 1) -> None:
        import torch

        if num_threads > 0:
            torch.set_num_threads(num_threads)
        self.bundle = bundle
        self.labels = list(bundle.labels)
        self.spec = ArtifactSpec(labels=self.labels, pipeline=bundle.pipeline, window=int(bundle.window),
                                 stride=int(bundle.stride), thresholds=dict(bundle.thresholds),
                                 resample_fps=bundle.resample_fps, meta=dict(bundle.meta))

    @classmethod
    def from_file(cls, artifact: str | os.PathLike[str], num_threads: int = 1) -> TorchEngine:
        from gestura.artifact import load_artifact

        return cls(load_artifact(artifact), num_threads=num_threads)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return self.bundle.predict_proba(x, mask)


class OnnxEngine:
    """`model.onnx` under onnxruntime; labels and pipeline from the `model.json` beside it."""

    def __init__(self, artifact: str | os.PathLike[str], num_threads: int = 1) -> None:
        from gestura.runtime.onnx_model import ONNX_FILE, check_onnx_weights, load_onnx

        d = Path(artifact)
        d = d.parent if d.is_file() else d
        onnx_path = d / ONNX_FILE
        if not onnx_path.is_file():
            raise ModelFileError(f"{onnx_path}: not found; run `gestura export {d}` first or use --engine torch")
        self.spec = ArtifactSpec.from_json(d)
        self.labels = self.spec.labels
        self.model = load_onnx(onnx_path, num_threads=max(1, num_threads))
        check_onnx_weights(self.model, _weights_sha(d),
                           len(self.labels))

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return np.asarray(self.model.predict_proba(x, mask), dtype=np.float32)


def _weights_sha(folder: Path) -> str:
    from gestura.artifact import read_model_json

    doc = read_model_json(folder)
    weights = doc.get("weights") if isinstance(doc, dict) else None
    return str(weights.get("sha256", "")) if isinstance(weights, dict) else ""


def load_engine(artifact: str | os.PathLike[str], engine: str = "torch", num_threads: int = 1) -> Any:
    """`TorchEngine` or `OnnxEngine` for an artifact folder."""
    if engine == "torch":
        return TorchEngine.from_file(artifact, num_threads=num_threads)
    if engine == "onnx":
        return OnnxEngine(artifact, num_threads=num_threads)
    raise ConfigError(f"engine must be torch|onnx, got {engine!r}")
