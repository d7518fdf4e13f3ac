"""`FeaturePipeline`: the frozen, JSON-serialisable feature recipe shared by training and the runtime.

`frame_features` is per frame and depends on at most `context` past frames; `window_features` finalises
window-relative blocks over one window. Offline, call `frame_features` once per clip and `window_features` per
window (`windows` does exactly that); the runtime runs `frame_features` on the last `context + 1` frames per
new frame and `window_features` on its ring buffer, so streaming equals offline.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gestura.errors import ConfigError, SchemaError
from gestura.features.schema import FeatureSchema, get_schema
from gestura.landmarks.sequence import LandmarkSequence

_MODULES = {
    "feature-schema-v1": "gestura.features.hand_v1",
    "feature-schema-v2": "gestura.features.hand_v2",
    "feature-schema-v3": "gestura.features.hand_v3",
    "holistic-raw-v1": "gestura.features.holistic_raw",
    "sign-multimodal-v1": "gestura.features.sign_multimodal",
    "sign-multimodal-v2": "gestura.features.sign_multimodal:V2",
    "fingertip-trajectory-v1": "gestura.features.fingertip",
    "joints-hand-v1": "gestura.features.joints:HAND",
    "joints-two-hands-v1": "gestura.features.joints:TWO_HANDS",
    "joints-two-hands-body-v1": "gestura.features.joints:TWO_HANDS_BODY",
    "joints-upper-body-v1": "gestura.features.joints:UPPER_BODY",
}
"""Schema id -> implementation: a module, or `module:object`, with DEFAULTS, validate, context, frame_features
and optionally window_features."""


def _impl(schema: str) -> Any:
    get_schema(schema)
    module, _, obj = _MODULES[schema].partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, obj) if obj else mod


@dataclass(frozen=True)
class FeaturePipeline:
    """A schema id plus its parameters (unknown parameters are a `ConfigError`; defaults are filled in)."""

    schema: str = "feature-schema-v1"
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        mod = _impl(self.schema)
        defaults: dict[str, Any] = dict(mod.DEFAULTS)
        given = dict(self.params or {})
        if unknown := sorted(set(given) - set(defaults)):
            raise ConfigError(f"feature schema {self.schema!r}: unknown parameter(s) {unknown}; "
                              f"valid: {sorted(defaults)}")
        merged = {**defaults, **given}
        for k, v in merged.items():
            if isinstance(v, list):
                merged[k] = tuple(v)
        try:
            mod.validate(merged)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"feature schema {self.schema!r}: bad parameter value ({err})") from None
        object.__setattr__(self, "params", merged)

    # ----------------------------------------------------------------- description
    @property
    def spec(self) -> FeatureSchema:
        """The `FeatureSchema` (id, dim, blocks)."""
        return get_schema(self.schema)

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def context(self) -> int:
        """Past frames one frame's features depend on."""
        return int(_impl(self.schema).context(dict(self.params)))

    @property
    def canonical_hand(self) -> bool:
        """Whether a left hand is mirrored into right-hand space motion and all, so a left-hand window's label is
        the mirror label (`gestura.features.handedness`)."""
        fn = getattr(_impl(self.schema), "canonical", None)
        return bool(fn(dict(self.params))) if fn is not None else False

    def mirrored_frames(self, seq: LandmarkSequence) -> np.ndarray:
        """`(T,)` bool: frames mirrored into right-hand space (all False unless `canonical_hand`)."""
        if not self.canonical_hand:
            return np.zeros(seq.n_frames, bool)
        return np.asarray(_impl(self.schema).mirrored_frames(seq, **self.params), dtype=bool)

    # ----------------------------------------------------------------- features
    def frame_features(self, seq: LandmarkSequence) -> tuple[np.ndarray, np.ndarray]:
        """`seq -> (feats (T, F) float32, valid (T,) bool)`, per frame and window-independent; zeros where invalid."""
        feats, valid = _impl(self.schema).frame_features(seq, **self.params)
        if feats.shape != (seq.n_frames, self.dim):
            raise SchemaError(f"{self.schema}: produced {feats.shape}, expected ({seq.n_frames}, {self.dim})")
        return feats.astype(np.float32, copy=False), valid.astype(bool, copy=False)

    def window_features(self, feats: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Finalise window-relative blocks of one window: `(T, F), (T,) -> (T, F)`; identity where none."""
        feats = np.asarray(feats, dtype=np.float32)
        if feats.ndim != 2 or feats.shape[1] != self.dim:
            raise SchemaError(f"{self.schema}: window features must be (T, {self.dim}), got {feats.shape}")
        fn = getattr(_impl(self.schema), "window_features", None)
        return feats if fn is None else fn(feats, np.asarray(valid, dtype=bool), **self.params)

    def transform(self, seq: LandmarkSequence) -> tuple[np.ndarray, np.ndarray]:
        """Both steps over the whole clip as one window: `seq -> ((T, F), (T,))`."""
        feats, valid = self.frame_features(seq)
        return self.window_features(feats, valid), valid

    def windows(self, seq: LandmarkSequence, window: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sliding windows, each finalised on its own: `seq -> (X (N, W, F), valid (N, W), starts (N,))`.

        Clips shorter than `window` give one window right-padded with zeros (valid False there).
        """
        from gestura.features.windows import pad_to, sliding_windows

        feats, valid = self.frame_features(seq)
        if seq.n_frames < window:
            feats, valid = pad_to(feats, window), pad_to(valid, window)
        idx = sliding_windows(feats.shape[0], window, stride)
        xs = np.stack([self.window_features(feats[i], valid[i]) for i in idx]) if len(idx) else \
            np.zeros((0, window, self.dim), np.float32)
        return xs, valid[idx] if len(idx) else np.zeros((0, window), bool), idx[:, 0] if len(idx) else \
            np.zeros(0, np.int64)

    # ----------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """`{"schema": id, "params": {...}, "dim": F}` (JSON-serialisable)."""
        return {"schema": self.schema, "params": {k: list(v) if isinstance(v, tuple) else v
                                                  for k, v in self.params.items()}, "dim": self.dim}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeaturePipeline:
        """Inverse of `to_dict`; a stored `dim` that disagrees with the schema is a `SchemaError`."""
        if not isinstance(d, Mapping) or "schema" not in d:
            raise ConfigError(f"feature pipeline must be a mapping with a 'schema' key, got {d!r:.80}")
        pipe = cls(str(d["schema"]), dict(d.get("params") or {}))
        if "dim" in d and int(d["dim"]) != pipe.dim:
            raise SchemaError(f"feature pipeline {pipe.schema!r}: stored dim {d['dim']} != schema dim {pipe.dim}")
        return pipe

    def __hash__(self) -> int:
        return hash((self.schema, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))
