"""gestura: turn a camera into an input device (hand gestures and isolated signs from landmarks, on a CPU).

The top-level names are imported lazily so `import gestura` (and `gestura --help`) never loads torch or
mediapipe.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "LandmarkSequence": "gestura.landmarks.sequence",
    "create_model": "gestura.models",
    "list_models": "gestura.models",
    "FeaturePipeline": "gestura.features.pipeline",
    "Recognizer": "gestura.runtime.recognizer",
    "RecognizerOptions": "gestura.runtime.options",
    "BaseOptions": "gestura.runtime.options",
    "Prediction": "gestura.runtime.recognizer_stream",
    "load_dataset": "gestura.data.formats",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gestura' has no attribute {name!r}")
