"""`gestura live`: a source through the Recognizer into a command sink (keyboard, web presenter, log, or a
WebSocket that apps subscribe to: `{"type": "command", "command": ..., "label": ..., "score": ..., "t": ...}`).

Pointer and pen events (point_one / point_two) go to the web presenter; the keyboard and log backends get
discrete commands only. With `show`, an OpenCV window shows landmarks, class, confidence and FPS (needs an
OpenCV build with GUI support; the headless wheel cannot open windows, so use `save_video` there).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.landmarks.skeleton import HAND_21


def run_live(source: str, artifact: str | Path | None, backend: str = "log", *, app: str = "browser",
             slides: str | Path | None = None, decision: str | Path | None = None,
             command_map: str | Path | None = None, engine: str = "torch", every_k: int = 1,
             show: bool = False, save_video: str | Path | None = None, realtime: bool = False,
             port: int = 8765, say: Any = None, landmarks: str = "mediapipe",
             landmark_model: str | Path | None = None) -> dict[str, Any]:
    """Run until the source ends (or Ctrl-C); returns counts of frames and commands.

    `landmarks` is the landmark backend for frames: mediapipe, or cnn with its `landmark_model` folder."""
    from gestura.runtime.commands import CommandMap, Dispatcher, KeyboardBackend, LogBackend, WebPresenterBackend
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions

    say = say or (lambda msg: print(msg, file=sys.stderr))
    opts = RecognizerOptions(base_options=BaseOptions(engine=engine), every_k=every_k,
                             decision=DecisionConfig.from_yaml(decision) if decision else None,
                             command_map=CommandMap.from_yaml(command_map) if command_map else None,
                             landmarks=landmarks, landmark_model=landmark_model)
    rec = Recognizer.from_file(artifact, opts)
    server = None
    hub = None
    if backend == "log":
        backends: list[Any] = [LogBackend()]
    elif backend == "keyboard":
        backends = [KeyboardBackend(app)]
    elif backend == "web":
        from gestura.runtime.presenter import PresenterServer, SlideDeck

        server = PresenterServer(SlideDeck.open(slides), port=port)
        hub = server.hub
        backends = [WebPresenterBackend(hub)]
        say(f"web presenter: open {server.url} in a browser")
    elif backend == "ws":
        from gestura.runtime.presenter import PresenterServer, SlideDeck

        server = PresenterServer(SlideDeck(()), port=port, config={"title": "gestura commands"})
        hub = server.hub
        backends = [WebPresenterBackend(hub)]
        url = server.url.replace("http://", "ws://") + "ws"
        say(f"commands as JSON on {url}; waiting for a client before recognising")
        hub.wait_for_client(None)
    else:
        raise ConfigError(f"--sink must be keyboard|web|log|ws, got {backend!r}")
    dispatcher = Dispatcher(rec.command_map, backends)
    overlay = _Overlay(show, save_video) if (show or save_video) else None
    n = n_cmd = 0
    start = time.perf_counter()
    t_first: float | None = None
    try:
        for pred, frame in predictions(rec, source, want_frames=overlay is not None):
            n += 1
            if realtime:
                t_first = pred.t_ms / 1000 if t_first is None else t_first
                delay = (pred.t_ms / 1000 - t_first) - (time.perf_counter() - start)
                if delay > 0:
                    time.sleep(delay)
            if pred.command is not None and pred.decision is not None:
                dispatcher.handle(pred.decision.label, pred.decision.score, pred.t_ms / 1000)
                n_cmd += 1
            if pred.pointer is not None and hub is not None:
                hub.publish({"type": "pointer", **asdict(pred.pointer)})
            if overlay is not None and frame is not None:
                overlay.draw(frame, pred, n / max(time.perf_counter() - start, 1e-9))
    except KeyboardInterrupt:
        pass
    finally:
        if overlay is not None:
            overlay.close()
        if server is not None:
            server.hub.drain()
            server.stop()
            if server.hub.undelivered:
                say(f"warning: {server.hub.undelivered} messages (commands, pointer) reached no page: none was "
                    "connected; `gestura present` waits for the page before recognising")
    return {"frames": n, "commands": n_cmd, "seconds": time.perf_counter() - start}


def predictions(rec: Any, source: str, want_frames: bool) -> Any:
    """Yield `(Prediction, Frame | None)` per frame of `source` (webcam, camera index, video, landmark .npz);
    landmark files give no frames. Shared by `gestura live` and `gestura present`."""
    if str(source).lower().endswith(".npz"):
        for pred in rec.stream(source):
            yield pred, None
        return
    from gestura.capture.sources import open_source

    src = 0 if source == "webcam" else source
    with open_source(src) as frames, rec.options.landmark_backend() as hands:
        state = rec.session()
        for frame in frames:
            lf = hands.process(frame)
            yield state.push(lf.streams, timestamp_ms=frame.t_ms), (frame if want_frames else None)


class _Overlay:
    """Landmarks, class, confidence, last command and FPS drawn on the frame; a window and/or a video file."""

    def __init__(self, show: bool, save_video: str | Path | None) -> None:
        import cv2

        self.cv2 = cv2
        self.show = show
        self.path = Path(save_video) if save_video else None
        self.writer: Any = None
        self.last_cmd = ""
        if show:
            import os

            if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
                raise InputError("--show needs a display ($DISPLAY is not set); use --save-video PATH instead")
            try:
                cv2.namedWindow("gestura", cv2.WINDOW_NORMAL)
            except cv2.error:
                raise InputError("--show: this OpenCV build has no GUI (opencv-python-headless); "
                                 "use --save-video PATH instead") from None

    def draw(self, frame: Any, pred: Any, fps: float) -> None:
        cv2 = self.cv2
        img = np.ascontiguousarray(frame.rgb[:, ::-1, ::-1])  # selfie view, BGR
        h, w = img.shape[:2]
        for hand in (pred.landmarks or {}).values():
            if hand is None or not np.any(hand):
                continue
            pts = [(int(x * w), int(y * h)) for x, y in np.asarray(hand)[:, :2]]
            for c, p in HAND_21.edges:
                cv2.line(img, pts[c], pts[p], (0, 255, 0), 2)
            for q in pts:
                cv2.circle(img, q, 3, (0, 0, 255), -1)
        if pred.command:
            self.last_cmd = f"{pred.command} @ {pred.t_ms / 1000:.1f}s"
        text = f"{pred.label} {pred.score:.2f} | {fps:.0f} fps | {self.last_cmd}"
        cv2.putText(img, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        if self.path is not None:
            if self.writer is None:
                self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (w, h))
            self.writer.write(img)
        if self.show:
            cv2.imshow("gestura", img)
            cv2.waitKey(1)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
        if self.show:
            self.cv2.destroyAllWindows()

