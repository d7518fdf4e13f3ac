"""`Recognizer`: the embeddable runtime. One clip -> `Prediction`, or a live source -> a `Prediction` per frame.

    rec = Recognizer.from_file("path/to/artifact")          # or Recognizer.from_file() for the embedded default
    rec.predict(sequence)                                   # one clip
    for pred in rec.stream("talk.mp4"):                     # webcam index, video, image folder, .npz, sequence
        if pred.command:
            print(pred.t_ms, pred.command)

Per frame, a `RecognizerStream` (what `stream` uses, and what servers and the streaming evaluation drive
directly with `push`) does: landmark smoothing (One-Euro / Kalman, causal), resampling to the artifact's
`resample_fps` by timestamps (when set), `FeaturePipeline.frame_features` on the last `context + 1` frames only,
a ring buffer of the last `window` frame features, `window_features` + the model every `every_k` frames, then
the `ActivationController` (decisions at the frame's own timestamp, never the wall clock) and the pointer.
Offline `predict` runs the same filters and the same pipeline over the whole clip, so streaming == offline.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.handedness import mirror_permutation, mostly_left
from gestura.features.motion import MOTION_FIELDS, hand_motion
from gestura.features.windows import window_batch
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.commands import DEFAULT_COMMAND_MAP, CommandMap
from gestura.runtime.decision import ActivationController, Decision, DecisionConfig
from gestura.runtime.pointer import PointerConfig, PointerController, PointerEvent

DEFAULT_ARTIFACT = Path(__file__).resolve().parents[1] / "assets" / "default"
_DEFAULT_SHAPES = {"left_hand": (21, 3), "right_hand": (21, 3), "pose": (33, 4), "face": (468, 3)}
"""Shape of a stream that has not been seen yet (a first frame without a hand)."""
SMOOTHED_STREAMS = ("left_hand", "right_hand", "pose", "index_tip")
"""Streams the landmark filter runs on (the face mesh is left alone: 468 points for little gain)."""


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


@dataclass(frozen=True)
class Prediction:
    """The runtime's answer for one clip or one frame.

    `label`/`score`/`scores`: the model's latest class probabilities; `t_ms`: the frame (or clip end) time;
    `command`: the command fired at this frame (None almost always); `pointer`: a laser/pen event;
    `decision`: the controller's raw decision; `cost_ms`: runtime cost of this frame (smoothing, features,
    model, decisions; excludes landmark detection); `ran_model`: whether the model ran on this frame.
    """

    label: str
    score: float
    scores: Mapping[str, float]
    t_ms: int
    command: str | None = None
    pointer: PointerEvent | None = None
    decision: Decision | None = None
    frame_index: int = 0
    cost_ms: float = 0.0
    ran_model: bool = False
    landmarks: Mapping[str, np.ndarray | None] | None = field(default=None, compare=False, repr=False)


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


class RecognizerStream:
    """Per-source streaming state; `push(streams, t)` one frame -> `Prediction`."""

    def __init__(self, rec: Recognizer) -> None:
        self.rec = rec
        opts = rec.options
        self.controller = ActivationController(rec.labels, rec.decision_config)
        self.pointer = PointerController(opts.pointer)
        self._filters: dict[str, Any] = {}
        self._ctx = max(2, int(rec.pipeline.context) + 1)
        self._raw: deque[tuple[dict[str, np.ndarray], dict[str, bool], float]] = deque(maxlen=self._ctx)
        self._feats: deque[np.ndarray] = deque(maxlen=rec.window)
        self._valid: deque[bool] = deque(maxlen=rec.window)
        self._left: deque[bool] = deque(maxlen=rec.window)
        self.motion = np.zeros(len(MOTION_FIELDS))
        """The acting hand's motion row (`gestura.features.motion`) at the newest model frame."""
        self._shapes: dict[str, tuple[int, ...]] = {}
        self._t_prev: float | None = None
        self._t0: float | None = None
        self._grid = 0
        self._last_present: dict[str, tuple[float, np.ndarray]] = {}
        self._since_model = 0
        self._probs = rec.background_probs()
        self._index = 0

    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """The ring buffer: frame features `(n, F)` and validity `(n,)` of the last n <= window model frames."""
        if not self._feats:
            return np.zeros((0, self.rec.pipeline.dim), np.float32), np.zeros(0, bool)
        return np.stack(self._feats), np.array(self._valid, dtype=bool)

    def push(self, streams: Any, t: float | None = None, present: Mapping[str, bool] | None = None, *,
             timestamp_ms: int | None = None) -> Prediction:
        """One frame at `timestamp_ms` (milliseconds, as MediaPipe and `Prediction.t_ms`).

        `streams`: a dict `{name: (J, C) array or None when not detected}`, a bare `(21, 2|3)` hand array (taken as
        the right hand), or a MediaPipe Hands result (`multi_hand_landmarks` + `multi_handedness`, selfie view).
        A wrong shape is one `InputError` line. `t` in seconds is the old spelling: it works this release and
        raises a `DeprecationWarning`."""
        if (t is None) == (timestamp_ms is None):
            raise InputError("stream: give the frame time as timestamp_ms= (milliseconds) or t (seconds), once")
        if t is not None:
            warnings.warn("RecognizerStream.push(streams, t) with t in seconds is deprecated; pass "
                          "timestamp_ms= (milliseconds)", DeprecationWarning, stacklevel=2)
            return self._push_seconds(streams, float(t), present)
        return self._push_seconds(streams, float(timestamp_ms) / 1000.0, present)  # type: ignore[arg-type]

    def _push_seconds(self, streams: Any, t: float, present: Mapping[str, bool] | None = None) -> Prediction:
        """`push` at `t` seconds, for playback of recorded `LandmarkSequence.t` (seconds) without a round trip
        through milliseconds, so streaming equals offline bit for bit."""
        start = time.perf_counter()
        if not np.isfinite(t):
            raise InputError(f"stream: the frame time must be finite, got {t}")
        streams = _as_streams(streams)
        if self._t_prev is not None and t <= self._t_prev:
            raise InputError(f"stream: timestamps must increase (got {t:.4f} s after {self._t_prev:.4f} s)")
        cur, pres = self._smooth(streams, t, present)
        for frame in self._resample(cur, pres, t):
            self._add_model_frame(*frame)
        self._t_prev = t
        rec = self.rec
        ran = False
        decision = None
        if self._since_model >= rec.options.every_k and self._feats:
            self._probs = self._run_model()
            self._since_model = 0
            ran = True
            decision = self.controller.update(self._probs, t, self.motion)
        command = None
        if decision is not None and decision.kind == "discrete":
            cmd = rec.command_map.command_for(decision.label)
            command = None if cmd == "no_action" else cmd
        ptr = self.pointer.update(decision, _acting_hand(cur, pres), t)
        k = int(np.argmax(self._probs))
        pred = Prediction(rec.labels[k], float(self._probs[k]), dict(zip(rec.labels, map(float, self._probs))),
                          int(round(t * 1000)), command, ptr, decision, self._index,
                          (time.perf_counter() - start) * 1000.0, ran, cur)
        self._index += 1
        return pred

    # ------------------------------------------------------------------ steps
    def _smooth(self, streams: Mapping[str, np.ndarray | None], t: float,
                present: Mapping[str, bool] | None) -> tuple[dict[str, np.ndarray], dict[str, bool]]:
        cfg = self.rec.options.smoothing
        cur: dict[str, np.ndarray] = {}
        pres: dict[str, bool] = {}
        for name, arr in streams.items():
            ok = arr is not None and (present is None or bool(present.get(name, True)))
            if arr is not None:
                self._shapes[name] = np.shape(arr)
            shape = self._shapes.get(name) or _DEFAULT_SHAPES.get(name)
            if shape is None:
                continue
            if not ok:
                cur[name] = np.zeros(shape, np.float32)
                pres[name] = False
                if name in self._filters and self._filters[name] is not None:
                    self._filters[name].reset()
                continue
            a = np.asarray(arr, dtype=np.float32)
            if name in SMOOTHED_STREAMS:
                f = self._filters.get(name)
                if name not in self._filters:
                    f = self._filters[name] = cfg.make()
                if f is not None:
                    a = f.update(a, t).astype(np.float32)
            cur[name], pres[name] = a, True
        if not cur:
            raise InputError("stream: a frame without any landmark stream (expected e.g. left_hand/right_hand)")
        return cur, pres

    def _resample(self, cur: dict[str, np.ndarray], pres: dict[str, bool],
                  t: float) -> list[tuple[dict[str, np.ndarray], dict[str, bool], float]]:
        rate = self.rec.resample_fps
        if not rate:
            return [(cur, pres, t)]
        if self._t0 is None:
            self._t0 = t
        out = []
        max_gap = self.rec.options.max_gap_s
        while True:
            g = self._t0 + self._grid / rate
            if g > t + 1e-9:
                break
            self._grid += 1
            frame: dict[str, np.ndarray] = {}
            fp: dict[str, bool] = {}
            for name, arr in cur.items():
                last = self._last_present.get(name)
                if pres[name] and abs(g - t) < 1e-9:
                    frame[name], fp[name] = arr, True
                elif pres[name] and last is not None and t - last[0] <= max_gap + 1e-9 and g >= last[0] - 1e-9:
                    w = (g - last[0]) / max(t - last[0], 1e-12)
                    frame[name], fp[name] = (last[1] * (1 - w) + arr * w).astype(np.float32), True
                else:
                    frame[name], fp[name] = np.zeros_like(arr), False
            out.append((frame, fp, g))
        for name, arr in cur.items():
            if pres[name]:
                self._last_present[name] = (t, arr)
        return out

    def _add_model_frame(self, streams: dict[str, np.ndarray], present: dict[str, bool], t: float) -> None:
        self._raw.append((streams, present, t))
        names = list(streams)
        for _, p, _ in self._raw:
            names = [n for n in names if n in p]
        seq = LandmarkSequence.from_arrays(
            {n: np.stack([s[n] for s, _, _ in self._raw]) for n in names},
            fps=self.rec.resample_fps or 30.0,
            t=np.array([tt for _, _, tt in self._raw]),
            present={n: np.array([p[n] for _, p, _ in self._raw]) for n in names},
        )
        feats, valid = self.rec.pipeline.frame_features(seq)
        self._feats.append(feats[-1])
        self._valid.append(bool(valid[-1]))
        self._left.append(bool(self.rec.pipeline.mirrored_frames(seq)[-1]))
        if seq.hands():
            self.motion = hand_motion(seq)[-1]
        self._since_model += 1

    def _run_model(self) -> np.ndarray:
        feats, valid = self.features()
        if not valid.any():
            return self.rec.background_probs()
        x, m, lf = window_batch(self.rec.pipeline, feats, valid, [len(valid) - 1], self.rec.window,
                                np.array(self._left, dtype=bool))
        return self.rec.window_probs(x, m, lf)[0]


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
        arr, pres = streams[name], seq.present[name]
        out = np.zeros_like(arr)
        for i in range(seq.n_frames):
            if pres[i]:
                out[i] = f.update(arr[i], float(seq.t[i]))
            else:
                f.reset()
        streams[name] = out
    return replace(seq, streams=streams)


_HAND_SHAPES = ((21, 2), (21, 3))


def _as_streams(obj: Any) -> dict[str, np.ndarray | None]:
    """A frame's landmarks as `{stream: array or None}`, from a dict, a bare hand array or a MediaPipe result."""
    if hasattr(obj, "multi_hand_landmarks"):  # MediaPipe Hands (mp.solutions) result
        out: dict[str, np.ndarray | None] = {"left_hand": None, "right_hand": None}
        for lm, hd in zip(obj.multi_hand_landmarks or [], obj.multi_handedness or []):
            side = str(hd.classification[0].label).lower()
            out[f"{side}_hand"] = np.array([[p.x, p.y, p.z] for p in lm.landmark], np.float32)
        return out
    if isinstance(obj, np.ndarray) or (isinstance(obj, (list, tuple)) and obj and not isinstance(obj[0], str)):
        arr = np.asarray(obj, dtype=np.float32)
        if arr.shape not in _HAND_SHAPES:
            raise InputError(f"stream: a bare landmark array must be one hand, (21, 3) or (21, 2); got {arr.shape}")
        return {"right_hand": arr}
    if not isinstance(obj, Mapping):
        raise InputError(f"stream: expected a dict of landmark streams, a (21, 3) hand array or a MediaPipe result, "
                         f"got {type(obj).__name__}")
    out = {}
    for name, arr in obj.items():
        if arr is None:
            out[str(name)] = None
            continue
        a = np.asarray(arr, dtype=np.float32)
        if name in ("left_hand", "right_hand") and a.shape not in _HAND_SHAPES:
            raise InputError(f"stream: {name} must be (21, 3) or (21, 2), got {a.shape}")
        if a.ndim != 2:
            raise InputError(f"stream: {name} must be a (J, C) array, got {a.shape}")
        out[str(name)] = a
    return out


def _acting_hand(streams: Mapping[str, np.ndarray], present: Mapping[str, bool]) -> np.ndarray | None:
    """The hand that points: the only present one, else the higher wrist."""
    hands = [n for n in ("right_hand", "left_hand") if present.get(n)]
    if not hands:
        return None
    return min((streams[n] for n in hands), key=lambda h: float(h[0, 1]))


def _stream_sequence(state: RecognizerStream, seq: LandmarkSequence) -> Iterator[Prediction]:
    for i in range(seq.n_frames):
        yield state._push_seconds({k: v[i] for k, v in seq.streams.items()}, float(seq.t[i]),
                                  {k: bool(seq.present[k][i]) for k in seq.streams})


def _artifact_decision(spec: Any) -> DecisionConfig:
    """The artifact's tuned decision settings (`meta["decision"]`), else the defaults."""
    raw = spec.meta.get("decision") if isinstance(spec.meta, dict) else None
    if isinstance(raw, dict):
        return DecisionConfig.from_dict(raw, source="model.json meta.decision")
    return DecisionConfig()
