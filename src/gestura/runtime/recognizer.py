"""`Recognizer`: the embeddable runtime. One clip -> `Prediction`, or a live source -> a `Prediction` per frame.

    rec = Recognizer.from_file("path/to/artifact")          # or Recognizer.from_file() for the embedded default
    rec.predict(sequence)                                   # one clip
    for pred in rec.stream("talk.mp4"):                     # webcam index, video, image folder, .npz, sequence
        if pred.command:
            print(pred.t_ms, pred.command)

Per frame, a `RecognizerStream` (`recognizer_stream.py`: what `stream` uses, and what servers and the streaming
evaluation drive directly with `push`) smooths, resamples, featurises, runs the model on its ring buffer and
decides. Settings are `RecognizerOptions` / `BaseOptions` (`options.py`); all three are re-exported here.
Offline `predict` runs the same filters and the same pipeline over the whole clip, so streaming == offline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.handedness import mirror_permutation, mostly_left
from gestura.features.windows import window_batch
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.commands import DEFAULT_COMMAND_MAP, CommandMap
from gestura.runtime.decision import DecisionConfig
from gestura.runtime.options import BaseOptions, RecognizerOptions
from gestura.runtime.recognizer_stream import SMOOTHED_STREAMS, Prediction, RecognizerStream

DEFAULT_ARTIFACT = Path(__file__).resolve().parents[1] / "assets" / "default"

__all__ = ["DEFAULT_ARTIFACT", "BaseOptions", "Prediction", "Recognizer", "RecognizerOptions", "RecognizerStream",
           "model_command_map", "smooth_sequence"]


class Recognizer:
    """A model (engine) plus its feature pipeline, smoothing, decision rule, command map and pointer."""

    def __init__(self, engine: Any, options: RecognizerOptions | None = None) -> None:
        self.engine = engine
        self.options = options or RecognizerOptions()
        spec = engine.spec
        self.labels: list[str] = list(spec.labels)
        self.pipeline = spec.pipeline
        self.window = int(spec.window)
        self.stride = max(1, int(spec.stride))
        self.resample_fps: float | None = float(spec.resample_fps) if spec.resample_fps else None
        self.meta = spec.meta
        self.decision_config = self.options.decision or _artifact_decision(spec)
        self.command_map = self.options.command_map or model_command_map(self.meta)
        self.background = self.decision_config.unknown
        self.landmark_backend: Any = None
        self.mirror_perm: np.ndarray | None = mirror_permutation(self.labels) \
            if getattr(self.pipeline, "canonical_hand", False) else None
        """Permutation that turns canonical (right-hand) probabilities into a left hand's (None: not canonical)."""
        self._video: RecognizerStream | None = None

    def window_probs(self, x: np.ndarray, m: np.ndarray, left: np.ndarray) -> np.ndarray:
        """The engine on windows `(B, W, F)`, masks `(B, W)`; rows whose acting hand is mostly left (`left`
        `(B, W)` mirrored-frame flags) get their probabilities mirrored back: `-> (B, K)`."""
        p = self.engine.predict_proba(x, m)
        if self.mirror_perm is not None:
            flip = np.array([mostly_left(lf, mk) for lf, mk in zip(left, m)], dtype=bool)
            p = np.where(flip[:, None], p[:, self.mirror_perm], p)
        return p

    @classmethod
    def from_file(cls, artifact: str | os.PathLike[str] | None = None,
                  options: RecognizerOptions | None = None) -> Recognizer:
        """Load an artifact folder (None or "default" = the embedded default) with the engine (torch|onnx) and
        threads of `options.base_options`."""
        from gestura.errors import ModelFileError
        from gestura.runtime.engines import load_engine

        options = options or RecognizerOptions()
        if artifact is not None and str(artifact) == "default" and not Path(artifact).exists():
            artifact = None
        path = Path(artifact) if artifact is not None else DEFAULT_ARTIFACT
        if artifact is None and not (path / "model.json").is_file():
            raise ModelFileError(f"{path}: the embedded default model is missing; build it with "
                                 "`gestura train --recipe recipes/presentation-default.yaml --out src/gestura/assets/default`")
        return cls(load_engine(path, options.engine_name, options.threads), options)

    @classmethod
    def create_from_options(cls, options: RecognizerOptions) -> Recognizer:
        """MediaPipe-Tasks style: the model and engine from `options.base_options`, run options from the rest."""
        base = options.base_options or BaseOptions()
        return cls.from_file(base.model_asset_path, options)

    def recognize_for_video(self, landmarks: Any, timestamp_ms: int) -> Prediction:
        """One frame of a video or live feed (MediaPipe's VIDEO mode): `landmarks` is a `(21, 3)` hand array, a
        dict of streams or a MediaPipe Hands result; `timestamp_ms` must increase. Keeps one session inside."""
        if self._video is None:
            self._video = self.session()
        return self._video.push(landmarks, timestamp_ms=timestamp_ms)

    # ------------------------------------------------------------------ offline
    def smooth(self, seq: LandmarkSequence) -> LandmarkSequence:
        """The sequence through the causal landmark filter, exactly as streaming applies it."""
        return smooth_sequence(seq, self.options.smoothing)

    def prepare(self, seq: LandmarkSequence) -> LandmarkSequence:
        """Smoothing, then resampling to the artifact's rate (if any): what the features see."""
        from gestura.features.windows import resample_sequence

        out = self.smooth(seq)
        if self.resample_fps and seq.n_frames > 0:
            out = resample_sequence(out, self.resample_fps, self.options.max_gap_s)
        return out

    def predict_proba(self, seq: LandmarkSequence) -> np.ndarray:
        """Mean class probabilities over the clip's windows (one zero-padded window if short): `-> (K,)`."""
        if seq.n_frames == 0:
            raise InputError(f"{seq.source or seq.video_id or '<sequence>'}: empty sequence")
        rs = self.prepare(seq)
        feats, valid = self.pipeline.frame_features(rs)
        w = self.window
        ends = [rs.n_frames - 1] if rs.n_frames <= w else list(range(w - 1, rs.n_frames, self.stride))
        x, m, lf = window_batch(self.pipeline, feats, valid, ends, w, self.pipeline.mirrored_frames(rs))
        ok = m.any(axis=1)
        if not ok.any():
            return self.background_probs()
        return self.window_probs(x[ok], m[ok], lf[ok]).mean(axis=0)

    def predict(self, seq: LandmarkSequence | str | os.PathLike[str]) -> Prediction:
        """Classify one clip: a `LandmarkSequence` or the path of a landmark `.npz`."""
        if isinstance(seq, (str, os.PathLike)):
            seq = LandmarkSequence.from_npz(seq)
        if not isinstance(seq, LandmarkSequence):
            raise InputError(f"predict: expected a LandmarkSequence or a .npz path, got {type(seq).__name__}")
        p = self.predict_proba(seq)
        k = int(np.argmax(p))
        return Prediction(self.labels[k], float(p[k]), dict(zip(self.labels, map(float, p))),
                          int(round(float(seq.t[-1]) * 1000)), frame_index=seq.n_frames - 1)

    # ------------------------------------------------------------------ streaming
    def session(self) -> RecognizerStream:
        """Fresh streaming state (one per camera / connection)."""
        return RecognizerStream(self)

    def stream(self, source: Any, *, landmark_backend: Any = None) -> Iterator[Prediction]:
        """A `Prediction` per frame of `source`: webcam index or "webcam", video file, image folder, landmark
        `.npz` or `LandmarkSequence`. Frames go through `landmark_backend`, else the one `options.landmarks`
        names (MediaPipe Hands by default; kept in `self.landmark_backend`, e.g. for `CnnHandBackend.counts`),
        unless they already are landmarks."""
        state = self.session()
        if isinstance(source, LandmarkSequence):
            yield from _stream_sequence(state, source)
            return
        if isinstance(source, (str, os.PathLike)) and str(source).lower().endswith(".npz"):
            yield from _stream_sequence(state, LandmarkSequence.from_npz(source))
            return
        from gestura.capture.sources import open_source

        src = 0 if source == "webcam" else source
        with open_source(src) as frames:
            backend = landmark_backend
            own = backend is None
            if own:
                backend = self.options.landmark_backend()
            self.landmark_backend = backend
            try:
                for frame in frames:
                    lf = backend.process(frame)
                    yield state.push(lf.streams, timestamp_ms=frame.t_ms)
            finally:
                if own:
                    backend.close()

    def background_probs(self) -> np.ndarray:
        p = np.zeros(len(self.labels), np.float32)
        if self.background in self.labels:
            p[self.labels.index(self.background)] = 1.0
        else:
            p[:] = 1.0 / len(self.labels)
        return p


# ---------------------------------------------------------------------------------------------- helpers
def model_command_map(meta: Mapping[str, Any] | None) -> CommandMap:
    """The default command map plus the commands a model file adds for its own gestures (`meta.commands`, e.g. a
    gesture a person enrolled themselves)."""
    extra = (meta or {}).get("commands") or {}
    if not isinstance(extra, Mapping) or not all(isinstance(v, str) for v in extra.values()):
        raise ConfigError("model.json meta.commands: expected a mapping `class_name: command_name`")
    return CommandMap({**DEFAULT_COMMAND_MAP, **extra}) if extra else CommandMap()


def smooth_sequence(seq: LandmarkSequence, cfg: SmoothingConfig) -> LandmarkSequence:
    """Run the streaming landmark filter over a whole sequence (reset where a stream is lost): same result as
    streaming. `(T, J, C)` streams in, same shapes out."""
    from dataclasses import replace

    if cfg.kind == "none":
        return seq
    streams = dict(seq.streams)
    for name in SMOOTHED_STREAMS:
        if name not in streams:
            continue
        f = cfg.make()
        assert f is not None  # kind "none" returned above
        arr, pres = streams[name], seq.present[name]
        out = np.zeros_like(arr)
        for i in range(seq.n_frames):
            if pres[i]:
                out[i] = f.update(arr[i], float(seq.t[i]))
            else:
                f.reset()
        streams[name] = out
    return replace(seq, streams=streams)


def _stream_sequence(state: RecognizerStream, seq: LandmarkSequence) -> Iterator[Prediction]:
    for i in range(seq.n_frames):
        yield state.push_seconds({k: v[i] for k, v in seq.streams.items()}, float(seq.t[i]),
                                  {k: bool(seq.present[k][i]) for k in seq.streams})


def _artifact_decision(spec: Any) -> DecisionConfig:
    """The artifact's tuned decision settings (`meta["decision"]`), else the defaults."""
    raw = spec.meta.get("decision") if isinstance(spec.meta, dict) else None
    if isinstance(raw, dict):
        return DecisionConfig.from_dict(raw, source="model.json meta.decision")
    return DecisionConfig()
