"""gestura's own hand-landmark CNN: MobileNetV3-Small with landmark and confidence heads, distilled from MediaPipe.

A tiny registry of landmark models, kept apart from the sequence-model registry (whose tests run every model on
`(B, T, F)` sequences). Importing this package does not import torch; `create_landmark_model` does.
"""

from __future__ import annotations

from typing import Any

from gestura.errors import ConfigError

LANDMARK_MODELS: dict[str, dict[str, Any]] = {
    "mobilenetv3_small_hand": {"width": 1.0, "input_size": 224},
    "mobilenetv3_small_hand_160": {"width": 1.0, "input_size": 160},
    "mobilenetv3_small_hand_192": {"width": 1.0, "input_size": 192},
    "mobilenetv3_small_050_hand": {"width": 0.5, "input_size": 160},
    "mobilenetv3_small_hand_160_integral": {"width": 1.0, "input_size": 160, "head": "integral"},
}
"""name -> HandLandmarkNet keyword arguments."""


def list_landmark_models() -> list[str]:
    """Registered landmark-model names, sorted."""
    return sorted(LANDMARK_MODELS)


def create_landmark_model(name: str = "mobilenetv3_small_hand", **overrides: Any) -> Any:
    """A fresh `HandLandmarkNet` for a registered name; `overrides` replace its defaults (e.g. `input_size=192`)."""
    if name not in LANDMARK_MODELS:
        raise ConfigError(f"landmark model {name!r} unknown; choose from {', '.join(list_landmark_models())}")
    from gestura.landmarks.cnn.heads import HandLandmarkNet

    return HandLandmarkNet(**{**LANDMARK_MODELS[name], **overrides})


def __getattr__(name: str) -> Any:
    if name in ("save_landmark_model", "load_landmark_model", "HandLandmarkNet"):
        from gestura.landmarks.cnn import heads

        return getattr(heads, name)
    if name == "CnnHandBackend":
        from gestura.landmarks.cnn.tracker import CnnHandBackend

        return CnnHandBackend
    raise AttributeError(name)
