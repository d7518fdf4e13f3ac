"""ONNX export of the landmark CNN, an onnxruntime parity check, and optional int8 quantisation.

The graph takes `image` `(B, 3, S, S)` float32 RGB in [0, 1] and returns `landmarks` `(B, 21, 3)` and
`confidence_logits` `(B, 21)`. int8 uses onnxruntime's static QDQ quantisation (per-channel weights, activations
calibrated on real crops), which turns convolutions into integer kernels; what it costs in accuracy is measured
by `bench/bench_landmark_cnn.py`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ModelFileError
from gestura.io import atomic_write


class OnnxLandmarkModel:
    """onnxruntime session with `run(x (B, 3, S, S) float32) -> (landmarks, logits)` and `input_size`."""

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 1) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"{path}: file not found")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = num_threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelFileError(f"{path}: not a loadable ONNX model ({str(err).splitlines()[0]})") from None
        shape = self.session.get_inputs()[0].shape
        self.input_size = int(shape[-1]) if isinstance(shape[-1], int) else 224

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lm, logits = self.session.run(None, {"image": np.ascontiguousarray(x, dtype=np.float32)})
        return lm, logits


def export_landmark_onnx(model: Any, path: str | os.PathLike[str], opset: int = 17) -> Path:
    """Write `model` (a `HandLandmarkNet`) as ONNX with a dynamic batch axis, atomically."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    x = torch.rand(1, 3, model.input_size, model.input_size)
    tmp = path.with_name(f".{path.name}.export.tmp")
    try:
        torch.onnx.export(model, (x,), str(tmp), input_names=["image"],
                          output_names=["landmarks", "confidence_logits"],
                          dynamic_axes={"image": {0: "batch"}, "landmarks": {0: "batch"},
                                        "confidence_logits": {0: "batch"}}, opset_version=opset, dynamo=False)
        with atomic_write(path) as f:
            f.write(tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return path


def check_landmark_parity(model: Any, path: str | os.PathLike[str], x: np.ndarray | None = None,
                          rng: np.random.Generator | None = None) -> float:
    """Largest absolute difference between torch and onnxruntime outputs on `x` (default: 4 random images)."""
    import torch

    if x is None:
        rng = rng or np.random.default_rng(0)
        x = rng.random((4, 3, model.input_size, model.input_size), dtype=np.float32)
    with torch.inference_mode():
        ref = [t.numpy() for t in model.eval()(torch.from_numpy(x))]
    got = OnnxLandmarkModel(path).run(x)
    return float(max(np.abs(a - b).max() for a, b in zip(ref, got)))


def quantize_landmark_onnx(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                           calibration: Sequence[np.ndarray] | np.ndarray) -> Path:
    """Static int8 (QDQ, per-channel) copy of an exported model, calibrated on `calibration` images
    `(N, 3, S, S)` float32 in [0, 1] (a few dozen real crops are enough)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{"image": np.asarray(c[None], np.float32)} for c in calibration])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    dst = Path(dst)
    pre = dst.with_name(f".{dst.name}.pre.onnx")
    tmp = dst.with_name(f".{dst.name}.q.tmp")
    try:
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(tmp), _Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        with atomic_write(dst) as f:
            f.write(tmp.read_bytes())
    finally:
        pre.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return dst


def calibration_images(data_dir: str | os.PathLike[str], input_size: int, n: int = 64, seed: int = 0,
                       groups: Sequence[str] | None = None) -> np.ndarray:
    """`(n, 3, S, S)` float32 crops drawn at random from a teacher dataset (only `groups` when given, e.g. the
    training videos, so held-out numbers stay honest), for int8 calibration."""
    import cv2

    from gestura.landmarks.cnn.teacher import read_crops, read_manifest

    crops = np.concatenate([read_crops(data_dir, r["source_id"])["crops"] for r in read_manifest(data_dir)
                            if groups is None or r["group"] in groups])
    idx = np.random.default_rng(seed).permutation(len(crops))[:n]
    imgs = np.stack([cv2.resize(crops[i], (input_size, input_size), interpolation=cv2.INTER_AREA) for i in idx])
    return np.ascontiguousarray(imgs.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
