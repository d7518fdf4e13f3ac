"""`RecognizerStream`: one source's streaming state, one frame in -> one `Prediction` out.

Per frame: landmark smoothing (One-Euro / Kalman, causal), resampling to the artifact's `resample_fps` by
timestamps (when set), `FeaturePipeline.frame_features` on the last `context + 1` frames only, a ring buffer of
the last `window` frame features, `window_features` + the model every `every_k` frames, then the
`ActivationController` (decisions at the frame's own timestamp, never the wall clock) and the pointer.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gestura.errors import InputError
from gestura.features.motion import MOTION_FIELDS, hand_motion
from gestura.features.windows import window_batch
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.decision import ActivationController, Decision
from gestura.runtime.pointer import PointerController, PointerEvent

if TYPE_CHECKING:
    from gestura.runtime.recognizer import Recognizer

_DEFAULT_SHAPES = {"left_hand": (21, 3), "right_hand": (21, 3), "pose": (33, 4), "face": (468, 3)}
"""Shape of a stream that has not been seen yet (a first frame without a hand)."""
SMOOTHED_STREAMS = ("left_hand", "right_hand", "pose", "index_tip")
"""Streams the landmark filter runs on (the face mesh is left alone: 468 points for little gain)."""


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
            return self.push_seconds(streams, float(t), present)
        return self.push_seconds(streams, float(timestamp_ms) / 1000.0, present)  # type: ignore[arg-type]

    def push_seconds(self, streams: Any, t: float, present: Mapping[str, bool] | None = None) -> Prediction:
        """`push` at `t` seconds, for playback of recorded `LandmarkSequence.t` (seconds) without a round trip
        through milliseconds, so streaming equals offline bit for bit."""
        start = time.perf_counter()
        if not np.isfinite(t):
            raise InputError(f"stream: the frame time must be finite, got {t}")
        streams = as_streams(streams)
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
        ptr = self.pointer.update(decision, acting_hand(cur, pres), t)
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


# ---------------------------------------------------------------------------------------------- frame input
_HAND_SHAPES = ((21, 2), (21, 3))


def as_streams(obj: Any) -> dict[str, np.ndarray | None]:
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


def acting_hand(streams: Mapping[str, np.ndarray], present: Mapping[str, bool]) -> np.ndarray | None:
    """The hand that points: the only present one, else the higher wrist."""
    hands = [n for n in ("right_hand", "left_hand") if present.get(n)]
    if not hands:
        return None
    return min((streams[n] for n in hands), key=lambda h: float(h[0, 1]))
