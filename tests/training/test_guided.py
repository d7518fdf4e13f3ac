"""Guided enrolment: takes are checked and asked again with the reason, the check round reports what the personal
model recognised, the profile is saved; the page (real headless Chromium) shows the gesture, the countdown, the
progress and the check table. Real recorded sessions (meric_s2) play the person."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chromium_driver
from gestura.data.formats import load_dataset
from gestura.data.streams import stream_prompts
from gestura.errors import InputError
from gestura.landmarks.backend import LandmarkFrame
from gestura.landmarks.sequence import LandmarkSequence
from gestura.training.guided import ClockScheduler, GuidedEnrolment, GuideTiming, Slot, check_take, frames_of
from gestura.training.guided_session import enrol_classes, enrol_guided
from shared_subsets import short_session

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def meric(shared_datasets: Path) -> LandmarkSequence:
    return next(s for s in load_dataset(shared_datasets / "presentation-streams").sequences
                if s.video_id == "meric_s2")


def _take(seq: LandmarkSequence, label: str, n: int = 0) -> tuple[LandmarkSequence, Slot]:
    a, b, _ = [p for p in stream_prompts(seq) if p[2] == label][n]
    i, j = np.searchsorted(seq.t, [a - 1.0, b + 0.6])
    return seq.slice(int(i), int(j)), Slot(label, a - 1.0, a, b)


def _without_hands(take: LandmarkSequence) -> LandmarkSequence:
    present = {k: np.zeros_like(v) for k, v in take.present.items()}
    return LandmarkSequence.from_arrays({k: np.zeros_like(v) for k, v in take.streams.items()}, fps=take.fps,
                                        t=take.t, present=present)


def _frozen(take: LandmarkSequence) -> LandmarkSequence:
    streams = {k: np.repeat(v[:1], len(v), axis=0) for k, v in take.streams.items()}
    present = {k: np.repeat(v[:1], len(v), axis=0) for k, v in take.present.items()}
    return LandmarkSequence.from_arrays(streams, fps=take.fps, t=take.t, present=present)


def test_a_take_is_checked_and_the_reason_said(meric: LandmarkSequence) -> None:
    left, slot = _take(meric, "swiping_left")
    ok = check_take(left, slot, {})
    assert ok.ok and ok.vector is not None
    assert "no hand" in check_take(_without_hands(left), slot, {}).reason
    assert "hardly moved" in check_take(_frozen(left), slot, {}).reason
    # once both swipes have takes, a swipe right offered as a swipe left is refused as the other gesture
    right, rslot = _take(meric, "swiping_right", 1)
    accepted = {"swiping_left": [ok.vector, check_take(*_take(meric, "swiping_left", 2), {}).vector],
                "swiping_right": [check_take(right, rslot, {}).vector]}
    wrong, wslot = _take(meric, "swiping_right", 2)
    bad = check_take(wrong, Slot("swiping_left", wslot.ready_at, wslot.go_at, wslot.end_at), accepted)
    assert not bad.ok and "swipe right" in bad.reason
    assert check_take(*_take(meric, "swiping_left", 3), accepted).ok


class _Person:
    """Plays a person following the page: during each "go" they do a real recorded take of the gesture shown
    (from take `start[label]` on), and lowers the hand out of the picture between takes (a recorded take starts
    wherever that take's hand was); the first time, their hand stays out of the picture."""

    def __init__(self, seq: LandmarkSequence, start: dict[str, int]) -> None:
        self.seq = seq
        self.phase: dict[str, Any] = {}
        self.used: dict[str, int] = dict(start)
        self.messages: list[dict[str, Any]] = []
        self.start = False

    def publish(self, msg: dict[str, Any]) -> None:
        self.messages.append(msg)
        if msg.get("type") == "enrol":
            self.start = self.start or (bool(msg.get("recording")) and not self.phase.get("recording"))
            self.phase = msg

    def frames(self, seconds: float, fps: float = 15.0) -> Any:
        t = 0.0
        current: list[LandmarkFrame] = []
        first = True
        while t < seconds:
            if self.start:  # the bar just turned green: do the gesture once
                self.start = False
                label = self.phase["gesture"]
                n = self.used.get(label, 0)
                self.used[label] = n + 1
                take, slot = _take(self.seq, label, n)
                take = take.slice(int(np.searchsorted(take.t, slot.go_at - 0.2)), take.n_frames)
                current = list(frames_of(_without_hands(take) if first else take))
                first = False
            f = current.pop(0) if current else LandmarkFrame(streams={"right_hand": None, "left_hand": None})
            yield LandmarkFrame(streams=f.streams, t_ms=int(round(t * 1000)))
            t += 1.0 / fps


def test_the_flow_asks_again_after_a_rejected_take_then_checks(meric: LandmarkSequence) -> None:
    # meric's first three swipes right in this session move the hand left first (the check above questions
    # them); the person here uses his later ones
    person = _Person(meric, {"swiping_right": 3})
    fitted: list[int] = []

    def fit(takes: list[LandmarkSequence]) -> tuple[Any, float]:
        fitted.append(len(takes))
        assert all(t.frame_labels is not None and set(t.frame_labels) >= {"unknown"} for t in takes)
        return "model", 0.1

    def classify(bundle: Any, take: LandmarkSequence, slot: Slot) -> tuple[str | None, float]:
        assert bundle == "model" and take.n_frames > 10
        return slot.label, 0.9

    guide = GuidedEnrolment(["swiping_left", "swiping_right"], 2, fit, classify, publish=person.publish,
                            scheduler=ClockScheduler(GuideTiming(ready_s=1.0, take_s=1.6)))
    res = guide.run(person.frames(60.0))
    assert fitted == [4] and len(res.takes) == 4 and res.missing == []
    assert res.rejected == [("swiping_left", "no hand seen: keep your hand inside the camera picture")]
    assert [r["gesture"] for r in res.check] == ["swiping_left", "swiping_right"]
    phases = [m["phase"] for m in person.messages if m.get("type") == "enrol"]
    assert phases.index("fitting") < phases.index("check")
    bad = [m for m in person.messages if m.get("phase") == "checking" and not m["ok"]]
    assert len(bad) == 1 and "no hand" in bad[0]["message"]
    with pytest.raises(InputError, match="takes 0"):
        GuidedEnrolment(["fist"], 0, fit, classify)


def test_default_gestures_are_those_the_command_map_uses() -> None:
    labels = ["fist", "point_one", "rotate_left", "swiping_left", "swiping_right", "unknown", "zooming_in_full_hand"]
    assert enrol_classes(labels) == ["swiping_right", "swiping_left", "fist", "zooming_in_full_hand"]


def _img(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not chromium_driver.available(), reason="chromium not installed")
def test_guided_enrolment_page_and_profile_with_a_gesture_of_ones_own(shared_datasets: Path, tmp_path: Path) -> None:
    """A real recording (meric_s2, shortened; its fist renamed to a gesture of the person's own) plays the camera;
    the page is inspected mid-take and at the end; the saved profile fires the new gesture's command."""
    from gestura.runtime.recognizer import Recognizer

    src = short_session(shared_datasets / "presentation-streams" / "meric_s2.npz", tmp_path / "rec",
                        ["swiping_left", "swiping_right", "fist"], 2, rename={"fist": "my_wave"})
    out = tmp_path / "profiles" / "meric"
    urls: list[str] = []
    result: dict[str, Any] = {}
    with chromium_driver.Browser(width=1280, height=720) as browser:
        worker = threading.Thread(target=lambda: result.update(res=enrol_guided(
            None, str(src), out, k=1, classes=["swiping_left", "swiping_right"],
            commands={"my_wave": "erase_annotations"}, method="probe", replay_people=0, speed=1.5,
            on_page=urls.append, page_timeout=150)))
        worker.start()
        for _ in range(200):
            if urls:
                break
            worker.join(0.05)
        browser.navigate(urls[0])
        browser.wait_for("window.gesturaEnrol && window.gesturaEnrol.phase === 'go'", timeout=150)
        png = browser.screenshot()
        (tmp_path / "go.png").write_bytes(png)
        go = _img(png)
        what = browser.evaluate("document.getElementById('what').textContent")
        assert what in ("swipe left", "swipe right", "my wave")
        assert browser.evaluate("document.getElementById('phase').textContent").startswith("now!")
        icon = browser.evaluate("(() => { const r = document.getElementById('icon').getBoundingClientRect();"
                                " return [r.left, r.top, r.width, r.height]; })()")
        box = go[int(icon[1]) + 4:int(icon[1] + icon[3]) - 4, int(icon[0]) + 4:int(icon[0] + icon[2]) - 4]
        assert (np.abs(box - np.array([46, 125, 50])).sum(axis=2) < 30).mean() > 0.5  # green: do it now
        assert (box.min(axis=2) > 200).sum() > 50  # the gesture's picture is drawn on it
        worker.join(180)
        assert not worker.is_alive()
        res = result["res"]
        browser.wait_for("window.gesturaEnrol.done", timeout=10)
        png = browser.screenshot()
        (tmp_path / "done.png").write_bytes(png)
        end = _img(png)
        rows = browser.evaluate("[...document.querySelectorAll('#checkrows tr')].map(r => r.textContent)")
        assert len(rows) == len(res.check) == 3 and rows[0].startswith("swipe left")
        fill = browser.evaluate("document.getElementById('fill').getBoundingClientRect().width /"
                                " document.getElementById('bar').getBoundingClientRect().width")
        assert fill > 0.99
        assert "saved as profile 'meric'" in browser.evaluate("document.getElementById('what').textContent")
        assert browser.evaluate("window.gesturaEnrol.previews") > 0
        assert end.std() > 10  # a drawn page, not a blank one
    assert len(res.takes) == 3 and res.missing == []
    rec = Recognizer.from_file(out)
    assert "my_wave" in rec.labels and rec.command_map.command_for("my_wave") == "erase_annotations"
    assert rec.meta["enrolment"]["gestures"] == ["swiping_left", "swiping_right", "my_wave"]


@pytest.mark.slow
def test_enroll_command_without_a_page_saves_a_profile(shared_datasets: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`gestura enroll --source REC.npz --name NAME --no-page`: console prompts, then `profiles list` shows it."""
    from typer.testing import CliRunner

    from gestura.cli import app

    monkeypatch.setenv("GESTURA_HOME", str(tmp_path / "home"))
    src = short_session(shared_datasets / "presentation-streams" / "meric_s2.npz", tmp_path / "rec",
                        ["swiping_left", "swiping_right"], 2)
    runner = CliRunner()
    res = runner.invoke(app, ["enroll", "--source", str(src), "--name", "meric", "--takes", "1", "--method",
                              "prototype", "--no-page", "--speed", "0"])
    assert res.exit_code == 0, res.output
    assert "get ready: swipe left" in res.output and "check round" in res.output
    assert "zooming" in res.output  # said: the recording has no takes of the zoom gestures
    listed = runner.invoke(app, ["profiles", "list"])
    assert listed.stdout.startswith("meric ") and "prototype" in listed.stdout
    again = runner.invoke(app, ["enroll", "--source", str(src), "--name", "meric", "--no-page"])
    assert again.exit_code != 0 and "already holds a model" in again.output  # never overwritten unasked
