"""The browser demo in REAL headless Chromium, its camera faked from a real shared video (y4m made with ffmpeg)."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

chromium_driver = pytest.importorskip("chromium_driver")

LABELS = ["fist", "swiping_left", "swiping_right", "unknown"]  # the tiny_artifact fixture's


def fake_camera_video(shared: Path, out: Path) -> Path:
    """2.5 s of the open-hand video at 320x180, 15 fps, as the y4m Chromium's fake capture device reads."""
    src = shared / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    if not src.is_file():
        pytest.skip(f"{src} not present")
    cmd = ["ffmpeg", "-loglevel", "error", "-y", "-t", "2.5", "-i", str(src), "-vf", "scale=320:180,fps=15",
           "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True, timeout=120)
    return out


def chromium_with_fake_camera(tmp: Path, y4m: Path) -> str:
    """A launcher that adds the fake-media flags to the driver's own Chromium command line."""
    exe = chromium_driver.find_chromium()
    script = tmp / "chromium-fake-camera"
    script.write_text("#!/bin/sh\n"
                      f'exec "{exe}" --use-fake-device-for-media-stream --use-fake-ui-for-media-stream '
                      f'"--use-file-for-fake-video-capture={y4m}" --autoplay-policy=no-user-gesture-required "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.mark.browser
@pytest.mark.real_data
@pytest.mark.slow
def test_page_shows_a_detected_hand_and_a_prediction(live_server: Any, shared_datasets: Path,
                                                      tmp_path: Path) -> None:
    if not chromium_driver.available():
        pytest.skip("chromium not installed")
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    pytest.importorskip("mediapipe")
    y4m = fake_camera_video(shared_datasets, tmp_path / "hand.y4m")
    exe = chromium_with_fake_camera(tmp_path, y4m)
    with chromium_driver.Browser(width=1200, height=800, chromium=exe) as browser:
        browser.navigate(f"{live_server.url}/?api_key=secret&autostart=1")
        browser.wait_for("window.gestura && window.gestura.wsOpen", timeout=30)
        browser.wait_for("window.gestura.handFrames >= 3 && window.gestura.lastTop !== null", timeout=60)
        state = browser.evaluate("({hand: document.getElementById('hand').textContent,"
                                 " top: document.getElementById('top').textContent,"
                                 " replies: window.gestura.replies, errors: window.gestura.errors,"
                                 " label: window.gestura.lastTop.label,"
                                 " drawn: (() => { const c = document.getElementById('overlay');"
                                 "   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                                 "   let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; })()})")
        assert state["errors"] == [], state["errors"]
        assert state["label"] in LABELS and state["top"].startswith(state["label"])
        assert state["replies"] >= 3
        # The last reply may be a frame without a hand; the counters above prove detections, the overlay
        # shows the skeleton of the latest one when present.
        browser.wait_for("document.getElementById('hand').textContent === 'detected'", timeout=30)
        browser.wait_for("(() => { const c = document.getElementById('overlay');"
                         " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                         " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; })()",
                         timeout=30)
        assert browser.evaluate("document.getElementById('model').textContent").startswith("lstm")
        assert browser.evaluate("document.getElementById('presenter-frame').contentDocument"
                                ".querySelector('#slide') !== null")
