"""The recognizer's settings, MediaPipe-Tasks style: `BaseOptions` (which model, which engine) and
`RecognizerOptions` (smoothing, decisions, commands, pointer, landmark backend)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from gestura.errors import ConfigError
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.commands import CommandMap
from gestura.runtime.decision import DecisionConfig
from gestura.runtime.pointer import PointerConfig


@dataclass(frozen=True)
class BaseOptions:
    """Which model and which engine, as in MediaPipe Tasks: `model_asset_path` (an artifact folder; None or
    "default" = the embedded default), `engine` torch|onnx, `num_threads` of the engine."""

    model_asset_path: str | os.PathLike[str] | None = None
    engine: str = "torch"
    num_threads: int = 1


@dataclass(frozen=True)
class RecognizerOptions:
    """Runtime settings. `decision=None` takes the artifact's `meta["decision"]` if present, else defaults.

    `landmarks` picks the backend that turns frames into landmarks in `stream` and `live`: mediapipe (Hands)
    or cnn, our landmark CNN in the `landmark_model` folder (`gestura.landmarks.backend`). The engine and its
    threads belong in `base_options`; `engine=` / `num_threads=` here still work this release but warn.
    """

    engine: str | None = None
    """Deprecated: `base_options=BaseOptions(engine=...)`. None: torch (or the base options' engine)."""
    every_k: int = 1
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    decision: DecisionConfig | None = None
    command_map: CommandMap | None = None
    pointer: PointerConfig = field(default_factory=PointerConfig)
    num_threads: int | None = None
    """Deprecated: `base_options=BaseOptions(num_threads=...)`. None: 1 (or the base options' threads)."""
    max_gap_s: float = 0.2
    landmarks: str = "mediapipe"
    landmark_model: str | os.PathLike[str] | None = None
    base_options: BaseOptions | None = None
    """The model and engine (`Recognizer.create_from_options`); when set, its engine and threads win."""

    def __post_init__(self) -> None:
        from gestura.landmarks.backend import check_landmark_backend

        if self.every_k < 1:
            raise ConfigError(f"every_k must be >= 1, got {self.every_k}")
        check_landmark_backend(self.landmarks, model_dir=self.landmark_model)
        if self.engine is not None or self.num_threads is not None:
            warnings.warn("RecognizerOptions(engine=, num_threads=) is deprecated; pass "
                          "RecognizerOptions(base_options=BaseOptions(engine=..., num_threads=...))",
                          DeprecationWarning, stacklevel=3)

    @property
    def engine_name(self) -> str:
        """The model engine in effect: the base options' if given, else the deprecated `engine`, else torch."""
        if self.base_options is not None:
            return self.base_options.engine
        return self.engine or "torch"

    @property
    def threads(self) -> int:
        """Compute threads in effect: the base options' if given, else the deprecated `num_threads`, else 1."""
        if self.base_options is not None:
            return self.base_options.num_threads
        return self.num_threads or 1

    def landmark_backend(self) -> Any:
        """A fresh landmark backend for a live source (tracking mode, selfie view, up to two hands)."""
        from gestura.landmarks.backend import create_landmark_backend

        return create_landmark_backend(self.landmarks, max_hands=2, static_image_mode=False,
                                       model_dir=self.landmark_model, num_threads=self.threads)
