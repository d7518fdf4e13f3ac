"""Command maps, the dispatcher and its backends (log, keyboard via pynput and xdotool on a real Xvfb, web hub)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def xvfb_window() -> Iterator[tuple[str, Any]]:
    """A real Xvfb display with one focused window; yields (display, keys) where `keys()` returns the key names
    that reached the window so far (KeyPress events read with python-xlib, modifiers as their own keys)."""
    xlib = pytest.importorskip("Xlib.display")
    from Xlib import XK, X

    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        d = None
        for _ in range(100):
            try:
                d = xlib.Display(display)
                break
            except Exception:
                time.sleep(0.05)
        assert d is not None, "Xvfb did not start"
        screen = d.screen()
        win = screen.root.create_window(0, 0, 320, 240, 0, screen.root_depth,
                                        event_mask=X.KeyPressMask | X.StructureNotifyMask)
        win.map()
        while d.next_event().type != X.MapNotify:
            pass
        win.set_input_focus(X.RevertToParent, X.CurrentTime)
        d.sync()
        got: list[str] = []
        names = {getattr(XK, n): n[3:] for n in sorted(dir(XK), reverse=True) if n.startswith("XK_")}

        def keys(settle: float = 0.5) -> list[str]:
            end = time.monotonic() + settle
            while time.monotonic() < end:
                while d.pending_events():
                    e = d.next_event()
                    if e.type == X.KeyPress:
                        sym = d.keycode_to_keysym(e.detail, 0)
                        got.append(names.get(sym, str(sym)))
                time.sleep(0.02)
            return got

        yield display, keys
        d.close()
    finally:
        xvfb.terminate()
        xvfb.wait(5)


needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")


@needs_xvfb
@pytest.mark.skipif(importlib.util.find_spec("pynput") is None, reason="needs pynput (gestura[keys])")
def test_keyboard_backend_pynput_keys_reach_a_window_on_xvfb() -> None:
    """The default engine (pynput) delivers PowerPoint's keys, modifiers included, to the focused X window."""
    with xvfb_window() as (display, keys):
        kb = KeyboardBackend("powerpoint", display=display)
        assert kb.engine == "pynput"
        d = Dispatcher(CommandMap(), [kb])
        d.handle("swiping_right", 0.9, 0.0)
        d.handle("swiping_up", 0.9, 1.0)
        d.handle("zooming_in_full_hand", 0.9, 2.0)
        assert kb.issued == [["pynput", "Right"], ["pynput", "F5"], ["pynput", "ctrl+plus"]]
        got = keys()
        assert got[:2] == ["Right", "F5"], got
        assert "Control_L" in got[2:] and got[-1] in ("plus", "equal"), got  # '+' is shift+equal on a US map
        del d, kb  # pynput's X connection closes before Xvfb goes
        import gc

        gc.collect()


@needs_xvfb
@pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool")
def test_keyboard_backend_xdotool_fallback_on_real_xvfb() -> None:
    """xdotool (the fallback, and the engine when pynput cannot reach the desktop) delivers the keys too.

    Manual check on a desktop: open a deck in LibreOffice Impress, run
    `gestura present --also keyboard --app impress` and watch the slides advance.
    """
    with xvfb_window() as (display, keys):
        kb = KeyboardBackend("powerpoint", display=display, engine="xdotool")
        d = Dispatcher(CommandMap(), [kb])
        d.handle("swiping_right", 0.9, 0.0)
        d.handle("swiping_down", 0.9, 1.0)
        assert kb.issued == [["xdotool", "key", "--clearmodifiers", "Right"],
                             ["xdotool", "key", "--clearmodifiers", "Escape"]]
        assert keys() == ["Right", "Escape"]


def test_pynput_key_names_cover_every_key_table() -> None:
    """Every key of every table maps to a pynput key (checked against pynput's attribute names, no display)."""
    from types import SimpleNamespace

    from gestura.runtime.commands import KEY_TABLES
    from gestura.runtime.keys import pynput_combo

    names = ("ctrl alt shift cmd right left up down esc enter space page_up page_down home end tab "
             "backspace delete " + " ".join(f"f{i}" for i in range(1, 21))).split()
    keyboard = SimpleNamespace(Key=SimpleNamespace(**{n: n for n in names}),
                               KeyCode=SimpleNamespace(from_char=lambda c: f"char:{c}"))
    for table in KEY_TABLES.values():
        for combos in table.values():
            for combo in combos:
                held, key = pynput_combo(combo, keyboard)
                assert len(held) == combo.count("+") and key is not None
    held, key = pynput_combo("alt+super+p", keyboard)
    assert held == [keyboard.Key.alt, keyboard.Key.cmd] and key == keyboard.KeyCode.from_char("p")
    with pytest.raises(Exception, match="no pynput key"):
        pynput_combo("Hyper_R", keyboard)

