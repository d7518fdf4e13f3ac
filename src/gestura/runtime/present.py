"""`gestura present`: one command from a camera (or a recording) to slides in a browser.

    with PresentSession(Recognizer.from_file(None), SlideDeck.open(None)) as session:
        print("open", session.url)
        session.wait_for_page()                 # recognition starts only once a page shows the slides
        report = session.play("webcam")         # or a video file, or a landmark .npz
        session.wait_applied()                  # every command sent was applied by the page

The page is the web presenter of `gestura.runtime.presenter` with its side panel: a small camera preview with
the hand drawn, an armed/idle indicator, the last command and a legend of the gestures. Commands go to the page
over its WebSocket hub (and to `also` backends such as the keyboard); they are only produced while a page is
connected: when the last page closes, recognition waits for one to come back. `run_present` is what the CLI
calls; with `headless_check` it drives a headless Chromium and returns 0/1 with a one-line summary.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.runtime import profiles
from gestura.runtime.commands import Dispatcher, KeyboardBackend, LogBackend, WebPresenterBackend
from gestura.runtime.presenter import PresenterServer, SlideDeck, legend_entries, resume_hint

PREVIEW_FPS = 15.0
"""Camera previews sent to the page per second of the source (and at most twice that per wall second)."""
PREVIEW_WIDTH = 256
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge",
                  "microsoft-edge")
PROFILES_DIR = profiles.profiles_dir()
"""Where a model NAME (`gestura present NAME`) is looked up: personal models (`gestura enroll --out ~/.gestura/profiles/NAME`)."""


@dataclass
class PresentReport:
    """What one `play` did: frames read, commands sent, and what the page reported back."""

    frames: int = 0
    commands: int = 0
    applied: int = 0
    slide: int = 0
    count: int = 0
    legend: int = 0
    undelivered: int = 0
    seconds: float = 0.0
    connected: bool = False

    @property
    def ok(self) -> bool:
        """A page connected, frames were read, commands fired and all were applied, the legend was shown."""
        return (self.connected and self.frames > 0 and self.commands > 0 and self.applied >= self.commands
                and self.undelivered == 0 and self.legend > 0)

    def summary(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        why = []
        if not self.connected:
            why.append("no page connected")
        elif self.commands == 0:
            why.append("no command recognised")
        elif self.applied < self.commands:
            why.append(f"page applied {self.applied} of {self.commands} commands")
        if self.connected and self.legend == 0:
            why.append("legend not visible")
        tail = f" ({'; '.join(why)})" if why and not self.ok else ""
        return (f"present check {verdict}: {self.frames} frames, {self.commands} commands sent, {self.applied} "
                f"applied, on slide {self.slide + 1} of {self.count}, legend {self.legend} gestures, "
                f"{self.seconds:.1f} s{tail}")


def resolve_profile(profile: str | None) -> Path | None:
    """MODEL: None/"default" = the embedded model; a model folder path; or a name in `PROFILES_DIR`."""
    return profiles.resolve_profile(profile, PROFILES_DIR)


class PresentSession:
    """The presenter server, a recogniser and the dispatcher for one presentation; see the module docstring."""

    def __init__(self, rec: Any, deck: SlideDeck, *, also: Iterable[str] = (), app: str = "browser",
                 host: str = "127.0.0.1", port: int = 0, say: Callable[[str], Any] | None = None) -> None:
        also = list(also)
        bad = [name for name in also if name not in ("keyboard", "log")]
        if bad:
            raise ConfigError(f"--also must be keyboard or log, got {bad[0]!r}")
        self.rec = rec
        self.say = say or (lambda msg: print(msg, file=sys.stderr))
        labels = list(rec.labels)
        config = {"legend": legend_entries(labels, rec.command_map), "resume_hint": resume_hint(rec.command_map),
                  "panel": True}
        self.server = PresenterServer(deck, host=host, port=port, config=config)
        self.hub = self.server.hub
        backends: list[Any] = [WebPresenterBackend(self.hub)]
        try:
            backends += [KeyboardBackend(app) if name == "keyboard" else LogBackend() for name in also]
        except BaseException:
            self.server.stop()
            raise
        self.dispatcher = Dispatcher(rec.command_map, backends)
        self.url = self.server.url
        self.sent = 0

    def wait_for_page(self, timeout: float | None = None) -> bool:
        """Block until a page is connected; True if one is (False after `timeout` seconds)."""
        return self.hub.wait_for_client(timeout)

    def play(self, source: str, *, realtime: bool = True, page_timeout: float | None = None) -> PresentReport:
        """Recognise `source` (webcam, camera index, video, landmark .npz) and drive the page until it ends.

        Waits for a page first (and again whenever the last page closes); `realtime` paces file sources at
        their own frame times. Raises `InputError` if no page connects within `page_timeout` seconds."""
        from gestura.runtime.live import predictions

        if not self.wait_for_page(page_timeout):
            raise InputError(f"present: no page connected to {self.url} within {page_timeout:.0f} s")
        report = PresentReport(connected=True)
        refractory = float(getattr(self.rec.decision_config, "refractory_s", 0.5))
        start = time.perf_counter()
        t_first: float | None = None
        last_cmd_t = -np.inf
        last_preview = (-np.inf, -np.inf)
        sent_before = self.sent
        self.hub.publish({"type": "status", "text": "recognising"})
        try:
            for pred, frame in predictions(self.rec, source, want_frames=True):
                report.frames += 1
                t = pred.t_ms / 1000
                if realtime:
                    t_first = t if t_first is None else t_first
                    delay = (t - t_first) - (time.perf_counter() - start)
                    if delay > 0:
                        time.sleep(delay)
                if self.hub.n_clients == 0:
                    self.say(f"presenter page closed; waiting for it at {self.url} (recognition paused)")
                    if not self.wait_for_page(page_timeout):
                        raise InputError(f"present: the page at {self.url} closed and did not come back")
                if pred.command is not None and pred.decision is not None:
                    if self.dispatcher.handle(pred.decision.label, pred.decision.score, t) is not None:
                        self.sent += 1
                        last_cmd_t = t
                if pred.pointer is not None:
                    self.hub.publish({"type": "pointer", **asdict(pred.pointer)})
                now = time.perf_counter()
                if t - last_preview[0] >= 1 / PREVIEW_FPS and now - last_preview[1] >= 0.5 / PREVIEW_FPS:
                    last_preview = (t, now)
                    self.hub.publish(_preview(pred, frame, t - last_cmd_t < refractory))
        except KeyboardInterrupt:
            pass
        report.commands = self.sent - sent_before
        report.seconds = time.perf_counter() - start
        self.hub.publish({"type": "status", "text": "source ended"})
        return self._with_page_state(report)

    def wait_applied(self, timeout: float = 10.0) -> bool:
        """Wait until the page reports it applied every command sent so far."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if int(self.hub.page_state.get("applied", -1)) >= self.sent:
                return True
            time.sleep(0.05)
        return False

    def _with_page_state(self, report: PresentReport) -> PresentReport:
        st = self.hub.page_state
        report.applied = int(st.get("applied", 0))
        report.slide = int(st.get("slide", 0))
        report.count = int(st.get("count", 0))
        report.legend = int(st.get("legend", 0))
        report.undelivered = self.hub.undelivered
        return report

    def report(self, report: PresentReport) -> PresentReport:
        """`report` refreshed with the page's latest state."""
        return self._with_page_state(report)

    def close(self) -> None:
        self.server.stop()

    def __enter__(self) -> PresentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _preview(pred: Any, frame: Any, cooling: bool) -> dict[str, Any]:
    """The page's camera preview: present hands as [[x, y]...], a small JPEG of the frame, the state."""
    hands = {name: np.round(np.asarray(h)[:, :2], 4).tolist() for name, h in (pred.landmarks or {}).items()
             if name.endswith("_hand") and h is not None and np.any(h)}
    state = "idle" if not hands else "cooldown" if cooling else "armed"
    return {"type": "preview", "hands": hands, "jpeg": _thumbnail(frame) if frame is not None else None,
            "state": state, "label": pred.label, "score": round(float(pred.score), 3), "t_ms": pred.t_ms}


def _thumbnail(frame: Any) -> str | None:
    """A mirrored (selfie view, like the landmarks) JPEG of the frame, PREVIEW_WIDTH wide, base64."""
    try:
        import cv2
    except ImportError:
        return None
    img = np.ascontiguousarray(frame.rgb[:, ::-1, ::-1])
    h, w = img.shape[:2]
    img = cv2.resize(img, (PREVIEW_WIDTH, max(1, round(h * PREVIEW_WIDTH / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return base64.b64encode(buf.tobytes()).decode("ascii") if ok else None


def find_browser() -> str | None:
    """A Chromium-family executable for `--headless-check`, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessBrowser:
    """A headless Chromium showing `url` (its own temporary profile); `close()` ends it and removes the profile."""

    def __init__(self, url: str, width: int = 1280, height: int = 720) -> None:
        exe = find_browser()
        if exe is None:
            raise InputError("--headless-check needs Chromium or Chrome on PATH (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="gestura-present-")
        args = [exe, "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
                f"--window-size={width},{height}", f"--user-data-dir={self.profile}",
                url]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)


def run_present(source: str = "webcam", slides: str | Path | None = None, profile: str | None = None, *,
                also: Iterable[str] = (), app: str = "browser", engine: str = "torch", port: int = 8765,
                host: str = "127.0.0.1", open_browser: bool = True, headless_check: bool = False,
                realtime: bool | None = None, say: Callable[[str], Any] | None = None,
                out: Callable[[str], Any] | None = None) -> int:
    """What `gestura present` does; returns the exit code.

    Interactive: opens the page in the default browser, recognises `source` once the page is up, and stays open
    after a file source ends until Ctrl-C. `headless_check`: the page in a headless Chromium, the source played
    as fast as it goes, then a one-line summary on `out` and 0 if every command reached the page, else 1."""
    from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions

    say = say or (lambda msg: print(msg, file=sys.stderr))
    out = out or print
    rec = Recognizer.from_file(resolve_profile(profile), RecognizerOptions(base_options=BaseOptions(engine=engine)))
    deck = SlideDeck.open(slides)
    with PresentSession(rec, deck, also=also, app=app, host=host, port=0 if headless_check else port,
                        say=say) as session:
        if headless_check:
            browser = HeadlessBrowser(session.url)
            try:
                if not session.wait_for_page(60):
                    out(PresentReport().summary())
                    return 1
                report = session.play(source, realtime=bool(realtime))
                session.wait_applied(15)
                report = session.report(report)
            finally:
                browser.close()
            out(report.summary())
            return 0 if report.ok else 1
        say(f"gestura present: slides at {session.url} (Ctrl-C to quit)")
        if open_browser:
            import webbrowser

            webbrowser.open(session.url)
        say("waiting for the page to connect before recognising...")
        try:
            report = session.play(source, realtime=True if realtime is None else realtime)
            say(f"source ended after {report.frames} frames, {report.commands} commands; the presenter stays "
                f"open at {session.url} (Ctrl-C to quit)")
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            say("bye")
    return 0
