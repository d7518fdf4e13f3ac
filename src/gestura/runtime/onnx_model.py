"""An exported `model.onnx` under onnxruntime: what the runtime's ONNX engine runs (`gestura export` writes it).

Lives with the runtime so that a deployment that only recognises needs neither torch nor the serving stack;
`gestura.serving.export` writes the file and re-uses this reader for its parity check.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, ModelFileError

ONNX_FILE = "model.onnx"
INPUT_NAMES = ("x", "mask")


class OnnxModel:
    """An exported `model.onnx` under onnxruntime with the gestura engine protocol:
    `predict_proba(x (B, T, F), mask (B, T)) -> (B, K)` numpy float32.

    The runtime's `OnnxEngine` wraps this; `metadata` holds what `export_onnx` stamped into the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, num_threads: int = 1) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.path = self.path / ONNX_FILE
        self.session = _session(self.path, num_threads=num_threads)
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


def _session(path: Path, num_threads: int = 1) -> Any:
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


__all__ = ["INPUT_NAMES", "ONNX_FILE", "OnnxModel", "check_onnx_weights", "load_onnx"]
