"""Command maps, the dispatcher and its backends (log, keyboard via xdotool on a real Xvfb, web hub)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from gestura.errors import ConfigError
from gestura.runtime.commands import (
    DEFAULT_COMMAND_MAP,
    CommandEvent,
    CommandMap,
    Dispatcher,
    KeyboardBackend,
    LogBackend,
    WebPresenterBackend,
)


def test_default_map_matches_issue() -> None:
    m = CommandMap()
    assert m.command_for("swiping_right") == "next_slide"
    assert m.command_for("swiping_left") == "previous_slide"
    assert m.command_for("fist") == "erase_annotations"
    assert m.command_for("zooming_out_full_hand") == "zoom_out_view"
    assert m.command_for("rotate_left") == "no_action"
    assert m.command_for("never_seen") == "no_action"
    assert len(DEFAULT_COMMAND_MAP) == 10


def test_yaml_map(tmp_path: Path) -> None:
    p = tmp_path / "map.yaml"
    p.write_text("extends: default\nrotate_left: previous_slide\n")
    m = CommandMap.from_yaml(p)
    assert m.command_for("rotate_left") == "previous_slide" and m.command_for("fist") == "erase_annotations"
    only = tmp_path / "only.yaml"
    only.write_text("fist: next_slide\n")
    assert CommandMap.from_yaml(only).command_for("swiping_right") == "no_action"
    bad = tmp_path / "bad.yaml"
    bad.write_text("fist: launch_rockets\n")
    with pytest.raises(ConfigError, match="bad.yaml.*launch_rockets"):
        CommandMap.from_yaml(bad)


def test_dispatcher_log_backend_json_lines() -> None:
    buf = io.StringIO()
    mem = LogBackend(stream=None)
    d = Dispatcher(CommandMap(), [LogBackend(stream=buf), mem])
    assert d.handle("rotate_right", 0.9, 1.0) is None
    ev = d.handle("swiping_right", 0.91, 2.5)
    assert ev == CommandEvent("next_slide", "swiping_right", 0.91, 2.5)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["command"] == "next_slide"
    assert mem.events == [ev]


def test_keyboard_backend_issues_exact_keys() -> None:
    calls = []

    class Res:
        returncode, stderr = 0, ""

    kb = KeyboardBackend("impress", runner=lambda argv, **kw: calls.append(argv) or Res())
    Dispatcher(CommandMap(), [kb]).handle("swiping_up", 0.9, 0.0)
    Dispatcher(CommandMap(), [kb]).handle("swiping_right", 0.9, 1.0)
    assert calls == [["xdotool", "key", "--clearmodifiers", "F5"], ["xdotool", "key", "--clearmodifiers", "Right"]]
    with pytest.raises(ConfigError, match="unknown app"):
        KeyboardBackend("powerpoint2030", runner=lambda *a, **k: Res())


def test_web_backend_publishes_to_hub() -> None:
    got = []

    class Hub:
        def publish(self, msg: dict) -> None:
            got.append(msg)

    Dispatcher(CommandMap(), [WebPresenterBackend(Hub())]).handle("swiping_left", 0.8, 3.0)
    assert got == [{"type": "command", "command": "previous_slide", "label": "swiping_left", "score": 0.8, "t": 3.0}]


@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xdotool") is None, reason="needs Xvfb + xdotool")
def test_keyboard_backend_on_real_xvfb() -> None:
    """xdotool delivers the keys to a real X server without error (Xvfb :.. with a window to focus).

    Manual check on a desktop: open a deck in LibreOffice Impress, run
    `gestura live --source <video> --backend keyboard` and watch the slides advance.
    """
    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        env = {**os.environ, "DISPLAY": display}
        for _ in range(50):
            if subprocess.run(["xdotool", "getmouselocation"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        kb = KeyboardBackend("powerpoint", display=display)
        d = Dispatcher(CommandMap(), [kb])
        d.handle("swiping_right", 0.9, 0.0)
        d.handle("swiping_down", 0.9, 1.0)
        assert kb.issued == [["xdotool", "key", "--clearmodifiers", "Right"],
                             ["xdotool", "key", "--clearmodifiers", "Escape"]]
    finally:
        xvfb.terminate()
        xvfb.wait(5)
