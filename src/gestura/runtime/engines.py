"""Inference engines behind one protocol: `predict_proba(x (B, T, F), mask (B, T)) -> (B, K)` numpy, plus `spec`.

`TorchEngine` runs the artifact's PyTorch model (`ModelBundle` or `EnsembleBundle`); `OnnxEngine` runs the
`model.onnx` that `gestura export` writes beside `model.json` (`OnnxBundle`), so a deployment can drop torch. Both
open the folder with `gestura.artifact.load`, which reads `model.json` through its one parser, so the Recognizer
does not care which.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import numpy as np

from gestura.artifact import ENGINES, ArtifactSpec, OnnxBundle, load
from gestura.errors import ConfigError

__all__ = ["ArtifactSpec", "Engine", "OnnxEngine", "TorchEngine", "load_engine"]


class Engine(Protocol):
    """What the runtime needs from a model."""

    labels: list[str]
    spec: ArtifactSpec

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray: ...


class TorchEngine:
    """The artifact's PyTorch model on the CPU (`num_threads` intra-op threads; 0 leaves torch's default)."""

    def __init__(self, bundle: Any, num_threads: int = 1) -> None:
        import torch

        if num_threads > 0:
            torch.set_num_threads(num_threads)
        self.bundle = bundle
        self.labels = list(bundle.labels)
        self.spec = ArtifactSpec.from_bundle(bundle)

    @classmethod
    def from_file(cls, artifact: str | os.PathLike[str], num_threads: int = 1) -> TorchEngine:
        return cls(load(artifact, "torch"), num_threads=num_threads)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return self.bundle.predict_proba(x, mask)


class OnnxEngine:
    """`model.onnx` under onnxruntime; labels and pipeline from the `model.json` beside it."""

    def __init__(self, artifact: str | os.PathLike[str], num_threads: int = 1) -> None:
        self.bundle: OnnxBundle = load(artifact, "onnx", num_threads=num_threads)
        self.spec = self.bundle.spec
        self.labels = list(self.spec.labels)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return self.bundle.predict_proba(x, mask)


def load_engine(artifact: str | os.PathLike[str], engine: str = "torch", num_threads: int = 1) -> Any:
    """`TorchEngine` or `OnnxEngine` for an artifact folder."""
    if engine == "onnx":
        return OnnxEngine(artifact, num_threads=num_threads)
    if engine == "torch":
        return TorchEngine.from_file(artifact, num_threads=num_threads)
    raise ConfigError(f"engine must be {'|'.join(ENGINES)}, got {engine!r}")
