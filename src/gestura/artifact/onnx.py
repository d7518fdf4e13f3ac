"""An exported `model.onnx` under onnxruntime, and `OnnxBundle`: that graph with the `model.json` beside it.

`gestura export` (`gestura.serving.export`) writes the file and stamps the weights' checksum into it; this reader
refuses a graph exported from other weights than `model.json` records. Nothing here imports torch, so a
deployment that only recognises needs neither torch nor the serving stack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from gestura.artifact.spec import ArtifactSpec, folder_of, load_spec
from gestura.errors import ConfigError, ModelFileError

ONNX_FILE = "model.onnx"
REPORT_FILE = "onnx_export.json"
INPUT_NAMES = ("x", "mask")


class OnnxModel:
    """An exported `model.onnx` under onnxruntime with the gestura engine protocol:
    `predict_proba(x (B, T, F), mask (B, T)) -> (B, K)` numpy float32.

    `OnnxBundle` wraps this; `metadata` holds what `export_onnx` stamped into the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, num_threads: int = 1) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.path = self.path / ONNX_FILE
        self.session = session(self.path, num_threads=num_threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.metadata: dict[str, str] = dict(meta)
        names = [i.name for i in self.session.get_inputs()]
        if names != list(INPUT_NAMES):
            raise ModelFileError(f"{self.path}: inputs {names}, expected {list(INPUT_NAMES)} (not a gestura export)")
        self.dynamic_time = self.metadata.get("gestura.dynamic_time", "false") == "true"
        self.window = int(self.metadata.get("gestura.window", "0")) or None

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """`(B, T, F)` features (+ `(B, T)` mask) -> `(B, K)` class probabilities."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 3:
            raise ConfigError(f"{self.path}: expected x of shape (B, T, F), got {x.shape}")
        if not self.dynamic_time and self.window and x.shape[1] != self.window:
            raise ConfigError(f"{self.path}: exported with a fixed window of {self.window} frames, got {x.shape[1]}")
        m = np.ones(x.shape[:2], dtype=bool) if mask is None else np.ascontiguousarray(mask, dtype=bool)
        return self.session.run(["proba"], {"x": x, "mask": m})[0]


def load_onnx(path: str | os.PathLike[str], *, num_threads: int = 1) -> OnnxModel:
    """Open `path` (a `model.onnx` or the folder holding one) for inference; bad files are `ModelFileError`."""
    return OnnxModel(path, num_threads=num_threads)


def session(path: Path, num_threads: int = 1) -> Any:
    """An onnxruntime CPU session for `path` (`num_threads` intra-op threads); a bad file is `ModelFileError`."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = num_threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 4
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own untyped errors for missing/corrupt files
        raise ModelFileError(f"{path}: not a loadable ONNX model ({type(err).__name__}: "
                             f"{str(err).splitlines()[0][:160]})") from None


def check_onnx_weights(onnx: OnnxModel, weights_sha256: str, n_labels: int) -> None:
    """Refuse a `model.onnx` that was not exported from the weights `model.json` describes: its stamped
    checksum differs, or (an export older than the stamp) its number of outputs differs from the labels."""
    stamped = onnx.metadata.get("gestura.weights_sha256")
    if stamped and weights_sha256 and stamped != weights_sha256:
        raise ModelFileError(f"{onnx.path}: exported from other weights (sha256 {stamped[:12]}) than model.json "
                             f"records ({weights_sha256[:12]}); run `gestura export` again")
    dims = [o.shape[-1] for o in onnx.session.get_outputs() if o.name == "proba" and o.shape]
    if dims and isinstance(dims[0], int) and dims[0] != n_labels:
        raise ModelFileError(f"{onnx.path}: gives {dims[0]} scores but model.json has {n_labels} labels "
                             "(a stale export); run `gestura export` again")


class OnnxBundle:
    """An artifact folder run by onnxruntime: `model.onnx` plus the `model.json` beside it (labels, pipeline,
    window, thresholds), with the bundle surface the runtime uses (`spec`, `labels`, `predict_proba`)."""

    def __init__(self, spec: ArtifactSpec, model: OnnxModel) -> None:
        self.spec = spec
        self.model = model
        self.labels = list(spec.labels)
        self.pipeline, self.window, self.stride = spec.pipeline, spec.window, spec.stride
        self.thresholds, self.resample_fps, self.meta = spec.thresholds, spec.resample_fps, spec.meta

    @classmethod
    def load(cls, directory: str | os.PathLike[str], num_threads: int = 1) -> OnnxBundle:
        """Open `directory/model.onnx` after checking `model.json`; a graph from other weights is refused."""
        d = folder_of(directory)
        onnx_path = d / ONNX_FILE
        if not onnx_path.is_file():
            raise ModelFileError(f"{onnx_path}: not found; run `gestura export {d}` first or use --engine torch")
        spec = load_spec(d)
        model = load_onnx(onnx_path, num_threads=max(1, num_threads))
        check_onnx_weights(model, spec.weights_sha256, len(spec.labels))
        return cls(spec, model)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """`(B, T, F)` features (+ `(B, T)` mask) -> `(B, K)` class probabilities, float32."""
        return np.asarray(self.model.predict_proba(x, mask), dtype=np.float32)


__all__ = ["INPUT_NAMES", "ONNX_FILE", "REPORT_FILE", "OnnxBundle", "OnnxModel", "check_onnx_weights", "load_onnx",
           "session"]
