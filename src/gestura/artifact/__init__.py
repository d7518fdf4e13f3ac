"""The model folder, read one way: `model.json` (+ `model.safetensors`, `model.onnx`, or an ensemble's files).

- `spec.py`: the one parser of `model.json` -> `ArtifactSpec` (labels, feature pipeline, window, thresholds, ...);
- `bundle.py`: `ModelBundle`, the torch model with its recipe (safetensors + JSON, checksummed, no pickle);
- `ensemble.py`: `EnsembleBundle`, members + XGBoost stack;
- `onnx.py`: `OnnxModel` / `OnnxBundle`, the exported graph under onnxruntime (no torch).

`load(path, engine="torch"|"onnx")` opens any model folder; every bundle it returns has `spec`, `labels`,
`pipeline`, `window`, `stride`, `thresholds`, `resample_fps`, `meta` and `predict_proba(x, mask)`.
"""

from __future__ import annotations

import os
from typing import Any

from gestura.artifact.bundle import ModelBundle, default_thresholds
from gestura.artifact.onnx import ONNX_FILE, OnnxBundle, OnnxModel, check_onnx_weights, load_onnx
from gestura.artifact.spec import (
    CARD, ENSEMBLE_FILE, FORMAT, FORMAT_VERSION, META, WEIGHTS, ArtifactSpec, folder_of, load_spec, parse_model_doc,
    read_model_json,
)
from gestura.errors import ConfigError

ENGINES = ("torch", "onnx")


def load(path: str | os.PathLike[str], engine: str = "torch", num_threads: int = 1) -> Any:
    """Open a model folder (or a file in it) for inference.

    `engine="torch"`: a `ModelBundle`, or an `EnsembleBundle` when `ensemble.json` is there; `engine="onnx"`: an
    `OnnxBundle` over the `model.onnx` that `gestura export` wrote (`num_threads` onnxruntime threads)."""
    if engine not in ENGINES:
        raise ConfigError(f"engine must be {'|'.join(ENGINES)}, got {engine!r}")
    d = folder_of(path)
    if engine == "onnx":
        return OnnxBundle.load(d, num_threads=num_threads)
    if (d / ENSEMBLE_FILE).is_file():
        from gestura.artifact.ensemble import EnsembleBundle  # imports gestura.models, hence torch

        return EnsembleBundle.load(d)
    return ModelBundle.load(d)


def load_artifact(directory: str | os.PathLike[str]) -> Any:
    """`load(directory, "torch")`: a `ModelBundle` or an `EnsembleBundle`."""
    return load(directory, "torch")


def __getattr__(name: str) -> Any:
    """`EnsembleBundle` on first use: its module imports `gestura.models` (torch), which the spec and the ONNX
    engine must not pull in."""
    if name == "EnsembleBundle":
        from gestura.artifact.ensemble import EnsembleBundle

        return EnsembleBundle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CARD", "ENGINES", "ENSEMBLE_FILE", "FORMAT", "FORMAT_VERSION", "META", "ONNX_FILE", "WEIGHTS",
           "ArtifactSpec", "EnsembleBundle", "ModelBundle", "OnnxBundle", "OnnxModel", "check_onnx_weights",
           "default_thresholds", "folder_of", "load", "load_artifact", "load_onnx", "load_spec", "parse_model_doc",
           "read_model_json"]
