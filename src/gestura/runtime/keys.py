"""Key presses with pynput (X11, macOS, Windows): the keyboard backend's default sender.

The key tables in `gestura.runtime.commands` use xdotool's names (`Right`, `F5`, `Escape`, `ctrl+plus`,
`alt+super+p`, `e`); `pynput_combo` turns one such combination into pynput keys, and `PynputSender` presses it
(modifiers held, the last key tapped). On Linux pynput needs an X display (`$DISPLAY`, or `display=`); on
Wayland only XWayland applications receive the keys (see docs/runtime.md).
"""

from __future__ import annotations

import os
from typing import Any

from gestura.errors import InputError

MODIFIERS = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift", "super": "cmd", "cmd": "cmd",
             "meta": "cmd"}
"""xdotool modifier name -> pynput `Key` attribute (super is Command on macOS and the Windows key elsewhere)."""
NAMED = {"right": "right", "left": "left", "up": "up", "down": "down", "escape": "esc", "return": "enter",
         "space": "space", "prior": "page_up", "next": "page_down", "home": "home", "end": "end",
         "tab": "tab", "backspace": "backspace", "delete": "delete"}
"""xdotool key names -> pynput `Key` attributes (function keys F1..F20 are handled by pattern)."""
CHARS = {"plus": "+", "minus": "-", "period": ".", "comma": ",", "equal": "="}


def pynput_combo(combo: str, keyboard: Any) -> tuple[list[Any], Any]:
    """`"ctrl+plus"` -> ([Key.ctrl], KeyCode('+')) with `keyboard` = the `pynput.keyboard` module."""
    parts = [p for p in combo.split("+") if p] if combo != "+" else ["plus"]
    *mods, last = parts
    held = []
    for m in mods:
        if m.lower() not in MODIFIERS:
            raise InputError(f"keyboard: unknown modifier {m!r} in {combo!r}")
        held.append(getattr(keyboard.Key, MODIFIERS[m.lower()]))
    low = last.lower()
    if low in NAMED:
        key = getattr(keyboard.Key, NAMED[low])
    elif low.startswith("f") and low[1:].isdigit():
        key = getattr(keyboard.Key, low)
    elif low in CHARS:
        key = keyboard.KeyCode.from_char(CHARS[low])
    elif len(last) == 1:
        key = keyboard.KeyCode.from_char(last)
    else:
        raise InputError(f"keyboard: no pynput key for {last!r} in {combo!r}")
    return held, key


class PynputSender:
    """Presses key combinations through a `pynput.keyboard.Controller` (on `display` under X11)."""

    def __init__(self, display: str | None = None) -> None:
        old = os.environ.get("DISPLAY")
        if display is not None:
            os.environ["DISPLAY"] = display
        try:
            from pynput import keyboard

            self.keyboard = keyboard
            self.controller = keyboard.Controller()
        except Exception as err:  # ImportError without pynput or without an X display; Xlib errors
            raise InputError(f"keyboard: pynput cannot send keys here ({type(err).__name__}: {err})") from None
        finally:
            if display is not None:
                if old is None:
                    os.environ.pop("DISPLAY", None)
                else:
                    os.environ["DISPLAY"] = old

    def press(self, combo: str) -> None:
        held, key = pynput_combo(combo, self.keyboard)
        with self.controller.pressed(*held):
            self.controller.tap(key)
