"""`CnnHandBackend`: our landmark CNN behind the `LandmarkBackend` protocol, tracking like MediaPipe Hands.

Each tracked hand is cropped from the current frame with the box of its previous landmarks (`hand_box`), and
the CNN finds its 21 landmarks there. When a hand's mean landmark confidence drops below `min_confidence` the
hand is dropped, and MediaPipe Hands (static mode, through `gestura.landmarks.mediapipe_backend`) re-detects on
the whole frame: every frame while no hand is tracked, every `redetect_every` frames while fewer than
`max_hands` are. `last_sources[slot]` says which produced each hand ("cnn" or "mediapipe") and `counts` keeps
the totals. Output landmarks are raw by default, like `MediaPipeHands`: the runtime (`Recognizer`) smooths every
backend's landmarks once with its own `SmoothingConfig`, so a filter here would smooth twice (twice the lag on a
swipe). Pass `smoothing=` only where nothing downstream smooths (e.g. a raw extraction); crops always follow the
raw landmarks. Coordinates and slots follow `MediaPipeHands` (selfie view when `mirror`).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from gestura.capture.frame import Frame
from gestura.landmarks.backend import LandmarkFrame
from gestura.landmarks.cnn.teacher import cut_crop, from_crop_coords, hand_box
from gestura.landmarks.smoothing import SmoothingConfig

SLOTS = ("left_hand", "right_hand")


def _overlaps(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    return abs(a[0] - b[0]) < (a[2] + b[2]) / 4 and abs(a[1] - b[1]) < (a[2] + b[2]) / 4


class CnnHandBackend:
    """Frame -> `left_hand`/`right_hand` (21, 3) from our CNN, re-detecting with MediaPipe when tracking fails.

    `model` is a model folder (model.safetensors + model.json) or a loaded `HandLandmarkNet`; `engine="onnx"`
    runs `onnx_path` (default `<model>/model.onnx`) with onnxruntime instead of torch.
    """

    stream_names = SLOTS

    def __init__(self, model: Any, *, engine: str = "torch", onnx_path: str | os.PathLike[str] | None = None,
                 max_hands: int = 2, min_confidence: float = 0.5, redetect_every: int = 10, mirror: bool = True,
                 smoothing: SmoothingConfig | None = None, num_threads: int = 1, detector: Any = None) -> None:
        from gestura.errors import ConfigError
        from gestura.landmarks.cnn.heads import load_landmark_model

        if engine not in ("torch", "onnx"):
            raise ConfigError(f"landmark CNN engine must be torch|onnx, got {engine!r}")
        loaded: tuple[Any, dict[str, Any]] = (load_landmark_model(model) if isinstance(model, (str, Path))
                                              else (model.eval(), {}))
        self.model, self.info = loaded
        self.input_size = int(self.model.input_size)
        self._onnx = None
        if engine == "onnx":
            from gestura.landmarks.cnn.export import OnnxLandmarkModel

            path = onnx_path or (Path(model) / "model.onnx" if isinstance(model, (str, Path)) else None)
            if path is None:
                raise ConfigError("engine='onnx' needs onnx_path when the model is not a folder")
            self._onnx = OnnxLandmarkModel(path, num_threads)
        else:
            import torch

            torch.set_num_threads(num_threads)
        self.max_hands, self.min_confidence, self.redetect_every = max_hands, min_confidence, redetect_every
        self.mirror, self.smoothing = mirror, smoothing or SmoothingConfig(kind="none")
        self._detector = detector
        self.counts = {"cnn": 0, "mediapipe": 0, "lost": 0, "detector_runs": 0}
        self.reset()

    def reset(self) -> None:
        """Forget tracked hands and filters."""
        self._raw: dict[str, np.ndarray] = {}
        self._handedness: dict[str, float] = {}
        self._filters: dict[str, Any] = {}
        self._frames_since_detect = 0
        self.last_sources: dict[str, str] = {}

    def _infer(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        if self._onnx is not None:
            lm, logits = self._onnx.run(x)
        else:
            import torch

            with torch.inference_mode():
                lm, logits = (t.numpy() for t in self.model(torch.from_numpy(x)))
        return lm, 0.5 * (1.0 + np.tanh(0.5 * logits))

    def _detect(self, frame: Frame) -> LandmarkFrame:
        if self._detector is None:
            from gestura.landmarks.mediapipe_backend import MediaPipeHands

            self._detector = MediaPipeHands(max_hands=self.max_hands, static_image_mode=True, mirror=self.mirror,
                                            search_crops=False)
        self.counts["detector_runs"] += 1
        return self._detector.process(frame)

    def process(self, frame: Frame) -> LandmarkFrame:
        """Frame (H, W, 3) RGB -> hands in normalised coordinates of the (mirrored) image."""
        rgb = np.ascontiguousarray(frame.rgb[:, ::-1]) if self.mirror else frame.rgb
        wh = (rgb.shape[1], rgb.shape[0])
        scale = np.array(wh, dtype=np.float64)
        self.last_sources = {}
        found: dict[str, np.ndarray] = {}
        if self._raw:
            slots = list(self._raw)
            boxes = [hand_box(self._raw[s][:, :2] * scale) for s in slots]
            lm, conf = self._infer(np.stack([cut_crop(rgb, b, self.input_size) for b in boxes]))
            for s, b, l, c in zip(slots, boxes, lm, conf):
                if float(c.mean()) >= self.min_confidence:
                    found[s] = from_crop_coords(l, b, wh)
                    self.last_sources[s] = "cnn"
                    self.counts["cnn"] += 1
                else:
                    self.counts["lost"] += 1
        self._frames_since_detect += 1
        if len(found) < self.max_hands and (not found or self._frames_since_detect >= self.redetect_every):
            self._frames_since_detect = 0
            det = self._detect(frame)
            taken = [hand_box(v[:, :2] * scale) for v in found.values()]
            for s in SLOTS:
                v = det.streams.get(s)
                if v is None or s in found or len(found) >= self.max_hands:
                    continue
                b = hand_box(v[:, :2] * scale)
                if any(_overlaps(b, t) for t in taken):
                    continue
                found[s] = v.astype(np.float32)
                self._handedness[s] = det.handedness.get(s, 1.0)
                self.last_sources[s] = "mediapipe"
                self.counts["mediapipe"] += 1
                taken.append(b)
        streams: dict[str, np.ndarray | None] = {}
        for s in SLOTS:
            if s not in found:
                self._raw.pop(s, None)
                self._filters.pop(s, None)
                streams[s] = None
                continue
            self._raw[s] = found[s]
            filt = self._filters.get(s)
            if s not in self._filters:
                filt = self._filters[s] = self.smoothing.make()
            streams[s] = found[s] if filt is None else filt.update(found[s], frame.t_ms / 1000.0).astype(np.float32)
        scores = {s: self._handedness.get(s, 1.0) for s in SLOTS if streams[s] is not None}
        return LandmarkFrame(streams=streams, handedness=scores, t_ms=frame.t_ms, size=frame.size)

    def close(self) -> None:
        if self._detector is not None and hasattr(self._detector, "close"):
            self._detector.close()
        self._detector = None

    def __enter__(self) -> CnnHandBackend:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
