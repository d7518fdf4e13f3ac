"""`gestura present` in REAL headless Chromium, a recorded landmark session (joschua_s1) as the camera.

The screenshots are inspected: the slide's colour changes with next_slide, the legend's pictures are drawn in the
side panel, the hand is drawn in the camera preview, start_presentation keeps the current slide and
stop_presentation shows "paused - swipe up to resume".
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

import chromium_driver
from gestura.cli import app
from gestura.errors import ConfigError
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.presenter import SlideDeck, legend_entries, make_demo_slides, resume_hint

SRC = Path(__file__).resolve().parents[2] / "src"
COLOURS = [(33, 64, 154), (20, 120, 90), (150, 60, 40), (110, 50, 140), (40, 40, 40)]  # make_demo_slides'
needs_browser = pytest.mark.skipif(not chromium_driver.available(), reason="chromium not installed")


def _img(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _segment(shared: Path, tmp: Path, start_s: float, stop_s: float, name: str) -> Path:
    seq = LandmarkSequence.from_npz(shared / "presentation-streams" / "joschua_s1.npz")
    i, j = np.searchsorted(seq.t, [start_s, stop_s])
    seq.slice(int(i), int(j)).to_npz(tmp / name)
    return tmp / name


def test_legend_lists_what_each_gesture_does() -> None:
    rows = legend_entries(["fist", "swiping_right", "swiping_left", "point_one", "rotate_left", "unknown"])
    assert [(r["gesture"], r["action"], r["icon"]) for r in rows] == [
        ("swipe right", "next slide", "arrow-right"), ("swipe left", "previous slide", "arrow-left"),
        ("fist", "erase annotations", "fist"), ("point, one finger", "laser pointer", "point")]
    assert resume_hint() == "swipe up to resume"


def test_demo_slides_do_not_cut_their_text(tmp_path: Path) -> None:
    """Every generated slide keeps a clean right margin: no glyph runs into (or past) the edge."""
    from PIL import Image

    for size in [(1280, 720), (640, 360)]:
        folder = make_demo_slides(tmp_path / f"{size[0]}", n=5, size=size)
        for k, path in enumerate(sorted(folder.glob("*.png"))):
            img = np.asarray(Image.open(path).convert("RGB")).astype(int)
            bg = np.array(COLOURS[k])
            text = np.abs(img - bg).sum(axis=2) > 60
            assert text.any(), path
            cols = np.nonzero(text.any(axis=0))[0]
            assert cols.max() < size[0] - size[0] // 32, f"{path}: text reaches column {cols.max()} of {size[0]}"
            rows = np.nonzero(text.any(axis=1))[0]
            assert rows.max() < size[1] - 8, f"{path}: text reaches the bottom"


def test_profile_names_are_resolved_or_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gestura.runtime import present

    monkeypatch.setattr(present, "PROFILES_DIR", tmp_path)
    (tmp_path / "anna").mkdir()
    (tmp_path / "anna" / "model.json").write_text("{}")
    assert present.resolve_profile(None) is None and present.resolve_profile("default") is None
    assert present.resolve_profile("anna") == tmp_path / "anna"
    with pytest.raises(ConfigError, match="profiles: anna"):
        present.resolve_profile("bob")


@pytest.mark.browser
@pytest.mark.real_data
@needs_browser
def test_present_drives_the_page_from_a_recorded_session(shared_datasets: Path, tmp_path: Path) -> None:
    from gestura.runtime.present import PresentSession
    from gestura.runtime.recognizer import Recognizer

    swipes = _segment(shared_datasets, tmp_path, 33.0, 43.0, "swipes.npz")    # swipe right x3
    # swipe up x10, down x2 (the default may miss one swipe down: it saw this session, but hits 0.90 of it)
    start_stop = _segment(shared_datasets, tmp_path, 65.0, 101.5, "start_stop.npz")
    deck = SlideDeck.from_folder(make_demo_slides(tmp_path / "slides", n=5))
    rec = Recognizer.from_file(None)
    with PresentSession(rec, deck, say=lambda m: None) as session, \
            chromium_driver.Browser(width=1280, height=720) as browser:
        result: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: result.update(a=session.play(str(swipes), realtime=False)))
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and session.hub.published == 0  # waits for a page before recognising

        browser.navigate(session.url)
        worker.join(120)
        assert not worker.is_alive()
        assert session.wait_applied(10)
        a = result["a"]
        assert a.frames > 200 and a.undelivered == 0 and a.commands == a.applied
        n_next = browser.evaluate("window.presenter.commands.filter(c => c === 'next_slide').length")
        assert n_next >= 2, browser.evaluate("window.presenter.commands")
        slide = browser.evaluate("window.presenter.slide")
        assert slide == min(n_next, 4) == a.slide
        browser.wait_for(f"document.getElementById('slide').src.endsWith('slides/{slide}')"
                         " && document.getElementById('slide').complete")
        browser.wait_for("window.presenter.previews > 0")
        shot = _img(browser.screenshot())
        (tmp_path / "after_swipes.png").write_bytes(browser.screenshot())
        # the slide (left of the 280 px panel) shows the colour of the slide the page is on, not slide 1's
        assert tuple(shot[360, 900]) == COLOURS[slide] != COLOURS[0]
        # the legend: one row per gesture with a drawn picture (white strokes) in the panel
        legend = browser.evaluate("[...document.querySelectorAll('#legend li')].map(li => {"
                                  " const r = li.querySelector('svg').getBoundingClientRect();"
                                  " return [li.textContent, r.left, r.top, r.width, r.height]; })")
        assert len(legend) == a.legend >= 7 and any("swipe right" in row[0] for row in legend)
        for text, left, top, w, h in legend:
            if top + h > 720:
                continue  # scrolled below the fold
            box = shot[int(top):int(top + h), int(left):int(left + w)]
            assert (box.min(axis=2) > 200).sum() > 20, f"no picture drawn for {text!r}"
        # the camera preview has the hand drawn (green bones) and the armed/idle pill
        cam = browser.evaluate("(() => { const r = document.getElementById('cam').getBoundingClientRect();"
                               " return [r.left, r.top, r.width, r.height]; })()")
        x, y, w, h = (int(v) for v in cam)
        preview = shot[y:y + h, x:x + w]
        green = (preview[..., 1] > 150) & (preview[..., 0] < 160) & (preview[..., 2] < 160)
        assert green.sum() > 30, "no hand drawn in the camera preview"
        assert browser.evaluate("document.getElementById('armed').textContent") in (
            "idle: no hand", "armed: hand seen", "wait")
        status_px = browser.evaluate("parseFloat(getComputedStyle(document.getElementById('status')).fontSize)")
        assert status_px >= 18
        assert f"slide {slide + 1} / 5" in browser.evaluate("document.getElementById('status').textContent")

        b = session.play(str(start_stop), realtime=False)
        assert session.wait_applied(10)
        b = session.report(b)
        cmds = browser.evaluate("window.presenter.commands")[a.commands:]
        assert "start_presentation" in cmds and cmds[-1] == "stop_presentation", cmds
        assert "next_slide" not in cmds and "previous_slide" not in cmds
        assert browser.evaluate("window.presenter.slide") == slide  # start_presentation kept the slide
        paused = browser.evaluate("(() => { const e = document.getElementById('paused');"
                                  " const r = e.getBoundingClientRect();"
                                  " return [getComputedStyle(e).display, e.textContent, r.left, r.top, r.width, r.height];"
                                  " })()")
        assert paused[0] == "block" and paused[1] == "paused \u2014 swipe up to resume"
        shot = _img(browser.screenshot())
        (tmp_path / "paused.png").write_bytes(browser.screenshot())
        px, py, pw, ph = (int(v) for v in paused[2:])
        box = shot[py:py + ph, px:px + pw]
        yellow = (box[..., 0] > 200) & (box[..., 1] > 170) & (box[..., 2] < 120)
        assert yellow.sum() > 100, "the paused box's border is not drawn"
        assert (box.min(axis=2) > 200).sum() > 200, "no white text in the paused box"
        assert "source ended" in browser.evaluate("document.getElementById('status').textContent")
        # swipe up resumes on the same slide and the hint goes away
        session.hub.publish({"type": "command", "command": "start_presentation", "label": "swiping_up"})
        browser.wait_for("getComputedStyle(document.getElementById('paused')).display === 'none'")
        assert browser.evaluate("window.presenter.slide") == slide
        browser.wait_for("getComputedStyle(document.getElementById('frame')).opacity === '1'")
        assert tuple(_img(browser.screenshot())[360, 900]) == COLOURS[slide]  # full brightness again


@pytest.mark.browser
@pytest.mark.real_data
@needs_browser
def test_headless_check_command(shared_datasets: Path, tmp_path: Path) -> None:
    swipes = _segment(shared_datasets, tmp_path, 33.0, 43.0, "swipes.npz")
    res = CliRunner().invoke(app, ["present", "--source", str(swipes), "--headless-check"])
    assert res.exit_code == 0, res.output
    line = res.stdout.strip().splitlines()[-1]
    assert line.startswith("present check ok:") and "applied" in line and "legend" in line

    still = LandmarkSequence.from_npz(swipes)
    for k in still.streams:
        still.streams[k][:] = still.streams[k][:1]
    still.to_npz(tmp_path / "still.npz")
    res = CliRunner().invoke(app, ["present", "--source", str(tmp_path / "still.npz"), "--headless-check"])
    assert res.exit_code == 1 and "no command recognised" in res.stdout, res.output


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_pdf_slides_are_rendered(tmp_path: Path) -> None:
    from PIL import Image

    pages = [Image.new("RGB", (400, 300), c) for c in COLOURS[:3]]
    pages[0].save(tmp_path / "deck.pdf", save_all=True, append_images=pages[1:])
    deck = SlideDeck.open(tmp_path / "deck.pdf")
    assert len(deck.slides) == 3
    px = np.asarray(Image.open(deck.slides[1]).convert("RGB"))[50, 50]
    assert np.abs(px.astype(int) - COLOURS[1]).max() < 8  # page 2 is slide 2


def _ctrl_c_as_at_a_terminal() -> None:
    """The child's Ctrl-C as a person's terminal gives it: a job a script starts in the background (CI runners do)
    inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_present_stays_open_after_a_file_source_ends(tmp_path: Path) -> None:
    """The real CLI in a subprocess: waits for a page (here a WebSocket client), plays the file, then keeps
    serving the slides until Ctrl-C."""
    from websockets.sync.client import connect

    from gestura.data.synthetic import make_session

    make_session(["swiping_right", "fist"], seed=1).to_npz(tmp_path / "s.npz")
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-m", "gestura", "present", "--source", str(tmp_path / "s.npz"),
                             "--no-browser", "--port", "0"], stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path, preexec_fn=_ctrl_c_as_at_a_terminal)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        assert "waiting for the page" in proc.stderr.readline()
        with connect(url.group(0).replace("http", "ws") + "ws") as ws:
            msgs = [json.loads(ws.recv(timeout=60))]
            while not (msgs[-1]["type"] == "status" and msgs[-1]["text"] == "source ended"):
                msgs.append(json.loads(ws.recv(timeout=60)))
            assert any(m["type"] == "preview" and m["hands"] for m in msgs)
            assert "source ended" in proc.stderr.readline()
            time.sleep(1.0)
            assert proc.poll() is None  # still open
            r = httpx.get(url.group(0) + "api/slides", timeout=10)
            assert r.status_code == 200 and r.json()["count"] == 5
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0  # a clean exit on Ctrl-C
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.browser
@pytest.mark.real_data
@pytest.mark.slow
@needs_browser
def test_video_source_shows_the_camera_preview(shared_datasets: Path, tmp_path: Path) -> None:
    """A real video through MediaPipe: the page's preview shows the (mirrored) frame with the hand drawn on it."""
    pytest.importorskip("mediapipe")
    from gestura.runtime.present import PresentSession
    from gestura.runtime.recognizer import Recognizer

    video = shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    deck = SlideDeck.from_folder(make_demo_slides(tmp_path / "slides", n=2, size=(640, 360)))
    with PresentSession(Recognizer.from_file(None), deck, say=lambda m: None) as session, \
            chromium_driver.Browser(width=1280, height=720) as browser:
        browser.navigate(session.url)
        report = session.play(str(video), realtime=False, page_timeout=30)
        assert report.frames > 100
        browser.wait_for("window.presenter.previews > 10 && document.getElementById('camimg').naturalWidth > 0")
        x, y, w, h = (int(v) for v in browser.evaluate(
            "(() => { const r = document.getElementById('cam').getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; })()"))
        png = browser.screenshot()
        (tmp_path / "video_preview.png").write_bytes(png)
        cam = _img(png)[y:y + h, x:x + w]
        assert cam.std() > 20, "the preview shows no camera picture"
        assert browser.evaluate("window.presenter.handPreviews") > 5  # MediaPipe found the hand, the page drew it


def test_unknown_also_backend_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["present", "--source", "x.npz", "--also", "fax", "--headless-check"])
    assert res.exit_code == 2 and "--also must be keyboard or log" in res.output
