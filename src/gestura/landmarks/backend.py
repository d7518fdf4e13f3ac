"""The landmark-backend protocol and the per-frame result every backend returns.

A backend turns one `Frame` into a `LandmarkFrame` (named streams, `None` where not detected, plus handedness
scores); `sequence_from_frames` stacks those into a `LandmarkSequence`. MediaPipe and our own CNN sit behind the
same protocol, so capture, extraction and the runtime never name a backend library: they all build theirs with
`create_landmark_backend`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from gestura.capture.frame import Frame
from gestura.errors import ConfigError, InputError
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.skeleton import STREAM_SKELETONS

STREAM_CHANNELS = {"pose": 4, "face": 3, "left_hand": 3, "right_hand": 3}
"""Channels per stream: x, y, z (normalised image coordinates, z relative) plus visibility for pose."""


@dataclass
class LandmarkFrame:
    """Landmarks of one frame: `streams[name]` is `(J, C)` float32 or `None` when that stream was not detected.

    `handedness[hand]` is the detector's probability that the hand in slot `hand` really is that hand (only for
    backends that score it). `t_ms` and `size` (W, H) are copied from the frame.
    """

    streams: dict[str, np.ndarray | None]
    handedness: dict[str, float] = field(default_factory=dict)
    t_ms: int = 0
    size: tuple[int, int] = (0, 0)

    def present(self, name: str) -> bool:
        """True when stream `name` was detected in this frame."""
        return self.streams.get(name) is not None


@runtime_checkable
class LandmarkBackend(Protocol):
    """Frame -> LandmarkFrame. `stream_names` lists every stream `process` reports (present or not)."""

    @property
    def stream_names(self) -> tuple[str, ...]: ...

    def process(self, frame: Frame) -> LandmarkFrame: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def sequence_from_frames(frames: Sequence[LandmarkFrame], t: np.ndarray | None = None, fps: float = 30.0,
                         *, stream_names: Sequence[str] | None = None, source: str = "",
                         **meta: object) -> LandmarkSequence:
    """Stack per-frame results into a `LandmarkSequence`: T x {name: (J, C)} -> {name: (T, J, C)}.

    Absent streams become zeros with `present` False; handedness scores are 0 where the hand is absent.
    `t` defaults to the frames' `t_ms` / 1000. `source` and `meta` go to `LandmarkSequence.from_arrays`.
    """
    name = str(source or meta.get("video_id") or "<frames>")
    if not frames:
        raise InputError(f"{name}: no frames to build a landmark sequence from")
    names = list(stream_names) if stream_names else list(dict.fromkeys(k for f in frames for k in f.streams))
    n = len(frames)
    streams: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for key in names:
        shape = _stream_shape(key, frames)
        arr = np.zeros((n, *shape), dtype=np.float32)
        pres = np.zeros(n, dtype=bool)
        for i, f in enumerate(frames):
            value = f.streams.get(key)
            if value is not None:
                arr[i] = value
                pres[i] = True
        streams[key] = arr
        present[key] = pres
    hand_keys = list(dict.fromkeys(k for f in frames for k in f.handedness))
    handedness = {k: np.array([f.handedness.get(k, 0.0) if f.present(k) else 0.0 for f in frames], np.float32)
                  for k in hand_keys if k in streams}
    times = np.array([f.t_ms for f in frames], dtype=np.float64) / 1000.0 if t is None else np.asarray(t)
    if frames[0].size != (0, 0):
        attrs = dict(meta.pop("attrs", None) or {})  # type: ignore[call-overload]
        attrs.setdefault("image_size", frames[0].size)
        meta["attrs"] = attrs
    return LandmarkSequence.from_arrays(streams, fps, t=times, present=present, handedness=handedness,
                                       source=source, **meta)


def _stream_shape(key: str, frames: Sequence[LandmarkFrame]) -> tuple[int, int]:
    for f in frames:
        value = f.streams.get(key)
        if value is not None:
            return tuple(np.shape(value))  # type: ignore[return-value]
    skel = STREAM_SKELETONS.get(key)
    if skel is None or key not in STREAM_CHANNELS:
        raise InputError(f"stream {key!r}: never detected and of unknown shape")
    return skel.n_joints, STREAM_CHANNELS[key]


LANDMARK_BACKENDS = ("mediapipe", "cnn")
"""Backend kinds `create_landmark_backend` builds: MediaPipe Hands/Holistic, or our landmark CNN."""


NO_CNN_MODEL = ("the cnn landmark backend needs a model folder (--landmark-model DIR): no landmark CNN ships with "
                "gestura (on hands it never saw it misses the accuracy target, see docs/landmark_cnn.md); train "
                "one: gestura landmarks dataset VIDEOS_OR_PHOTOS --out DATA && gestura landmarks train DATA --out "
                "MODEL")
"""What `--backend cnn` / `--landmarks cnn` say without a model: plainly that none ships and how to make one."""


def check_landmark_backend(kind: str, *, holistic: bool = False,
                           model_dir: str | os.PathLike[str] | None = None) -> None:
    """Raise a one-line `ConfigError` for a backend choice that cannot work, before any model is loaded."""
    if kind not in LANDMARK_BACKENDS:
        raise ConfigError(f"landmark backend must be {'|'.join(LANDMARK_BACKENDS)}, got {kind!r}")
    if kind != "cnn":
        if model_dir is not None:
            raise ConfigError(f"--landmark-model applies to the cnn landmark backend only (got {kind!r})")
        return
    if holistic:
        raise ConfigError("--holistic needs the mediapipe landmark backend: the landmark CNN finds hands only")
    if model_dir is None:
        raise ConfigError(NO_CNN_MODEL)
    if not (Path(model_dir) / "model.json").is_file():
        raise ConfigError(f"{model_dir}: not a landmark CNN model folder (no model.json)")


def create_landmark_backend(kind: str = "mediapipe", *, holistic: bool = False, max_hands: int = 2,
                            static_image_mode: bool = False, mirror: bool = True,
                            model_dir: str | os.PathLike[str] | None = None, engine: str = "torch",
                            num_threads: int = 1) -> LandmarkBackend:
    """The landmark backend extraction, `live` and the Recognizer share.

    `kind="mediapipe"`: Holistic when `holistic`, else Hands (`static_image_mode` detects on every frame).
    `kind="cnn"`: `CnnHandBackend` on the model in `model_dir` (`engine` torch|onnx), which tracks hands from
    frame to frame and re-detects with MediaPipe; it has no static mode, so a single image is always found by
    MediaPipe's detector. Bad choices are one-line `ConfigError`s (see `check_landmark_backend`).
    """
    check_landmark_backend(kind, holistic=holistic, model_dir=model_dir)
    if kind == "cnn":
        from gestura.landmarks.cnn.tracker import CnnHandBackend

        return CnnHandBackend(Path(model_dir), engine=engine, max_hands=max_hands,  # type: ignore[arg-type]
                              mirror=mirror, num_threads=num_threads)
    from gestura.landmarks.mediapipe_backend import create_backend

    return create_backend(holistic=holistic, max_hands=max_hands, static_image_mode=static_image_mode,
                          mirror=mirror)
