"""The service's view of a `Recognizer`: clip prediction, per-connection streams, and command fan-out.

`ServicePredictor` wraps one `Recognizer` (shared, read-only) and hands every WebSocket its own
`RecognizerStream` (`Recognizer.session()`: smoothing filters, ring buffer of frame features,
`ActivationController`, pointer). Streamed landmark frames are checked here (stream names, `(J, C)` shapes,
finite values) before they reach the runtime, so a bad frame is a one-line `InputError` and leaves the
connection's state untouched.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gestura.errors import InputError
from gestura.serving.schemas import PredictionOut

if TYPE_CHECKING:
    from gestura.landmarks.backend import LandmarkFrame
    from gestura.landmarks.sequence import LandmarkSequence
    from gestura.runtime.recognizer import Prediction, Recognizer

STREAM_SHAPES = {"left_hand": (21, 3), "right_hand": (21, 3), "pose": (33, 4), "face": (468, 3), "index_tip": (1, 2)}
"""The `(J, C)` every streamed frame of a stream must have (MediaPipe's layout)."""


@dataclass
class StreamResult:
    """What one streamed frame produced: the emitted gesture (debounced), its command, the raw top class."""

    emitted: PredictionOut | None
    command: str | None
    top: PredictionOut | None
    hand: bool
    pointer: dict[str, Any] | None = None


def prediction_out(pred: Prediction | None) -> PredictionOut | None:
    """Runtime `Prediction` -> the API model (None stays None)."""
    if pred is None:
        return None
    return PredictionOut(label=pred.label, score=float(pred.score),
                         scores={k: float(v) for k, v in pred.scores.items()}, t_ms=int(pred.t_ms),
                         command=pred.command)


class ServicePredictor:
    """A loaded `Recognizer` plus the sinks (e.g. the web presenter hub) that receive emitted commands."""

    def __init__(self, recognizer: Recognizer, *, name: str = "", engine: str = "") -> None:
        self.recognizer = recognizer
        self.name = name or str(recognizer.meta.get("name") or _arch_name(recognizer))
        self.engine = engine or recognizer.options.engine_name
        self._sinks: list[Any] = []
        self._lock = threading.Lock()

    @classmethod
    def create(cls, source: Any, *, engine: str = "torch", num_threads: int = 1) -> ServicePredictor:
        """From an artifact folder (loaded with the given engine) or an existing `Recognizer`."""
        from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions

        if isinstance(source, Recognizer):
            return cls(source)
        if not isinstance(source, (str, os.PathLike)):
            raise InputError(f"cannot serve a {type(source).__name__}: pass an artifact folder or a Recognizer")
        rec = Recognizer.from_file(source, options=RecognizerOptions(
            base_options=BaseOptions(engine=engine, num_threads=num_threads)))
        return cls(rec, engine=engine)

    # ------------------------------------------------------------------ description
    @property
    def labels(self) -> list[str]:
        return list(self.recognizer.labels)

    def info(self) -> dict[str, Any]:
        """Model name, engine, labels, window and the streams the features read (for `/healthz`)."""
        pipe = self.recognizer.pipeline
        streams = getattr(getattr(pipe, "spec", None), "streams", None) or ("left_hand", "right_hand")
        return {"model": self.name, "engine": self.engine, "labels": self.labels,
                "window": int(self.recognizer.window), "streams": list(streams)}

    # ------------------------------------------------------------------ work
    def predict(self, seq: LandmarkSequence) -> PredictionOut | None:
        """Classify a clip; None when no frame holds a hand (nothing to classify)."""
        if seq.hands() and not seq.any_hand_present().any():
            return None
        return prediction_out(self.recognizer.predict(seq))

    def open_stream(self) -> ServiceStream:
        """Fresh per-connection state."""
        return ServiceStream(self)

    def add_command_sink(self, sink: Any) -> None:
        """`sink.publish(dict)` receives every emitted command and pointer event (e.g. a `PresenterHub`)."""
        with self._lock:
            self._sinks.append(sink)

    def publish(self, message: dict[str, Any]) -> None:
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink.publish(message)


class ServiceStream:
    """One connection's `RecognizerStream`; `push_landmarks` / `push_frame` -> `StreamResult`."""

    def __init__(self, owner: ServicePredictor) -> None:
        self.owner = owner
        self.state = owner.recognizer.session()

    def reset(self) -> None:
        """Forget everything (buffer, filters, decisions), as a new connection would."""
        self.state = self.owner.recognizer.session()

    def push_landmarks(self, streams: Mapping[str, np.ndarray], t_ms: int) -> StreamResult:
        """A frame of client landmarks: `{name: (J, C)}`; streams the client omits count as not detected."""
        checked: dict[str, np.ndarray | None] = {}
        for name, arr in streams.items():
            want = STREAM_SHAPES.get(name)
            if want is None:
                raise InputError(f"streams: unknown stream {name!r}; expected one of {sorted(STREAM_SHAPES)}")
            a = np.asarray(arr, dtype=np.float32)
            if a.shape != want:
                raise InputError(f"streams.{name}: shape {a.shape}, expected {want}")
            if not np.isfinite(a).all():
                raise InputError(f"streams.{name}: NaN or infinite coordinates")
            checked[name] = a
        for name in ("left_hand", "right_hand"):
            checked.setdefault(name, None)
        return self._push(checked, t_ms)

    def push_frame(self, lf: LandmarkFrame) -> StreamResult:
        """A frame the server tracked itself (JPEG in)."""
        return self._push(dict(lf.streams), lf.t_ms)

    def _push(self, streams: dict[str, np.ndarray | None], t_ms: int) -> StreamResult:
        pred = self.state.push(streams, timestamp_ms=t_ms)
        hand = any(streams.get(k) is not None for k in ("left_hand", "right_hand"))
        emitted = None
        d = pred.decision
        if d is not None and d.kind in ("discrete", "continuous"):
            emitted = PredictionOut(label=d.label, score=float(d.score),
                                    scores={k: float(v) for k, v in pred.scores.items()}, t_ms=int(pred.t_ms),
                                    command=pred.command)
        pointer = asdict(pred.pointer) if pred.pointer is not None else None
        if pred.command:
            self.owner.publish({"type": "command", "command": pred.command, "label": d.label if d else pred.label,
                                "score": float(pred.score), "t": t_ms / 1000.0})
        if pointer is not None:
            self.owner.publish({"type": "pointer", **pointer})
        return StreamResult(emitted=emitted, command=pred.command, top=prediction_out(pred), hand=hand,
                            pointer=pointer)


def _arch_name(rec: Recognizer) -> str:
    bundle = getattr(rec.engine, "bundle", None)
    if bundle is not None:
        try:
            return str(bundle.architecture["name"])
        except Exception:  # a non-registered model still serves; the name is cosmetic
            return type(bundle.model).__name__
    return str(rec.meta.get("architecture", "model"))
