"""From a recognised gesture to a presentation command, and from a command to the outside world.

`CommandMap` maps class names to command names (YAML; defaults below: the presentation-control table). A `Dispatcher`
turns discrete `Decision`s into `CommandEvent`s and sends them to one or more backends:

- `KeyboardBackend`: key presses for PowerPoint, Keynote, LibreOffice Impress or browser slide decks
  (`KEY_TABLES`) into the focused window, through pynput (X11, macOS, Windows; `gestura.runtime.keys`) or,
  as a fallback, `xdotool` (X11);
- `WebPresenterBackend`: the built-in web presenter (`gestura.runtime.presenter`), over its WebSocket hub;
- `LogBackend`: JSON lines on stdout (or any text stream), or kept in memory for tests and the demo.

Continuous classes (laser pointer, pen) bypass this path: see `gestura.runtime.pointer`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from gestura.errors import ConfigError, InputError
from gestura.io import read_yaml_mapping

COMMANDS = ("next_slide", "previous_slide", "start_presentation", "stop_presentation", "erase_annotations",
            "zoom_in_view", "zoom_out_view", "no_action")
"""Every command name a map may use."""

DEFAULT_COMMAND_MAP: dict[str, str] = {
    "fist": "erase_annotations",
    "swiping_right": "next_slide",
    "swiping_left": "previous_slide",
    "swiping_down": "stop_presentation",
    "swiping_up": "start_presentation",
    "zooming_in_full_hand": "zoom_in_view",
    "zooming_out_full_hand": "zoom_out_view",
    "rotate_left": "no_action",
    "rotate_right": "no_action",
    "unknown": "no_action",
}

KEY_TABLES: dict[str, dict[str, list[str]]] = {
    "powerpoint": {"next_slide": ["Right"], "previous_slide": ["Left"], "start_presentation": ["F5"],
                   "stop_presentation": ["Escape"], "erase_annotations": ["e"],
                   "zoom_in_view": ["ctrl+plus"], "zoom_out_view": ["ctrl+minus"]},
    "keynote": {"next_slide": ["Right"], "previous_slide": ["Left"], "start_presentation": ["alt+super+p"],
                "stop_presentation": ["Escape"], "erase_annotations": ["c"],
                "zoom_in_view": ["super+plus"], "zoom_out_view": ["super+minus"]},
    "impress": {"next_slide": ["Right"], "previous_slide": ["Left"], "start_presentation": ["F5"],
                "stop_presentation": ["Escape"], "erase_annotations": ["e"],
                "zoom_in_view": ["plus"], "zoom_out_view": ["minus"]},
    "browser": {"next_slide": ["Right"], "previous_slide": ["Left"], "start_presentation": ["f"],
                "stop_presentation": ["Escape"], "erase_annotations": ["c"],
                "zoom_in_view": ["ctrl+plus"], "zoom_out_view": ["ctrl+minus"]},
}
"""Key names (xdotool's; `gestura.runtime.keys` maps them for pynput) per presentation application
(browser = reveal.js / Google Slides / PDF viewers)."""


@dataclass(frozen=True)
class CommandEvent:
    """One command sent to the backends: which, from which class, with what score, at `t` seconds."""

    command: str
    label: str
    score: float
    t: float


class CommandMap:
    """Class name -> command name; classes not in the map mean `no_action`."""

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        merged = dict(DEFAULT_COMMAND_MAP if mapping is None else mapping)
        bad = {k: v for k, v in merged.items() if v not in COMMANDS}
        if bad:
            raise ConfigError(f"command map: unknown command(s) {bad}; valid: {', '.join(COMMANDS)}")
        self.mapping = merged

    def command_for(self, label: str) -> str:
        return self.mapping.get(label, "no_action")

    @classmethod
    def from_yaml(cls, path: str | Path) -> CommandMap:
        """Read `class: command` lines; with a top-level `extends: default` the defaults fill the rest."""
        raw = read_yaml_mapping(path, "command map", ConfigError)
        if not all(isinstance(v, str) for v in raw.values()):
            raise ConfigError(f"{path}: expected a mapping `class_name: command_name`")
        base = DEFAULT_COMMAND_MAP if raw.pop("extends", None) == "default" else {}
        try:
            return cls({**base, **raw})
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None


class Backend(Protocol):
    """Something that carries out commands."""

    def send(self, event: CommandEvent) -> None: ...


@dataclass
class LogBackend:
    """JSON lines, one per command, on `stream` (stdout by default); with `stream=None` kept in `events`."""

    stream: TextIO | None = field(default_factory=lambda: sys.stdout)
    events: list[CommandEvent] = field(default_factory=list)

    def send(self, event: CommandEvent) -> None:
        self.events.append(event)
        if self.stream is not None:
            self.stream.write(json.dumps(asdict(event)) + "\n")
            self.stream.flush()


class KeyboardBackend:
    """Key presses into the focused window: pynput (X11, macOS, Windows) or `xdotool key` (X11 only).

    `app` picks the key table (`powerpoint`, `keynote`, `impress`, `browser`); `display` the X display (default
    `$DISPLAY`). `engine`: `auto` (pynput when it can reach the desktop, else xdotool), `pynput` or `xdotool`.
    `runner` is xdotool's process runner (subprocess.run); tests swap it to capture the exact command lines.
    `issued` keeps every key press sent: the xdotool argv, or `["pynput", combo]`.
    """

    def __init__(self, app: str = "browser", display: str | None = None,
                 runner: Callable[..., Any] | None = None, engine: str = "auto") -> None:
        if app not in KEY_TABLES:
            raise ConfigError(f"keyboard backend: unknown app {app!r}; valid: {', '.join(KEY_TABLES)}")
        if engine not in ("auto", "pynput", "xdotool"):
            raise ConfigError(f"keyboard backend: engine must be auto, pynput or xdotool, got {engine!r}")
        self.keys = KEY_TABLES[app]
        self.display = display
        self.issued: list[list[str]] = []
        self._runner = runner or subprocess.run
        self._pynput: Any = None
        if runner is None and engine != "xdotool":
            from gestura.runtime.keys import PynputSender

            try:
                self._pynput = PynputSender(display)
            except InputError as err:
                if engine == "pynput" or shutil.which("xdotool") is None:
                    raise InputError(f"{err}; install gestura[keys] (pynput) on a desktop session, or xdotool "
                                     "on X11") from None
        self.engine = "pynput" if self._pynput is not None else "xdotool"
        if self.engine == "xdotool" and runner is None and shutil.which("xdotool") is None:
            raise InputError("keyboard backend: xdotool not found on PATH (apt-get install xdotool)")

    def argv_for(self, command: str) -> list[str] | None:
        keys = self.keys.get(command)
        return None if not keys else ["xdotool", "key", "--clearmodifiers", *keys]

    def send(self, event: CommandEvent) -> None:
        if self._pynput is not None:
            for combo in self.keys.get(event.command, []):
                self.issued.append(["pynput", combo])
                self._pynput.press(combo)
            return
        argv = self.argv_for(event.command)
        if argv is None:
            return
        env = None
        if self.display is not None:
            import os

            env = {**os.environ, "DISPLAY": self.display}
        self.issued.append(argv)
        res = self._runner(argv, env=env, capture_output=True, text=True, timeout=5)
        if getattr(res, "returncode", 0) != 0:
            raise InputError(f"keyboard backend: {' '.join(argv)} failed: {(res.stderr or '').strip()[:200]}")


class WebPresenterBackend:
    """Sends commands to browsers connected to the web presenter (`gestura.runtime.presenter.PresenterHub`)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def send(self, event: CommandEvent) -> None:
        self.hub.publish({"type": "command", **asdict(event)})


class Dispatcher:
    """Maps discrete decisions to commands and sends them to every backend; `no_action` is dropped."""

    def __init__(self, command_map: CommandMap | None = None, backends: Iterable[Backend] = ()) -> None:
        self.command_map = command_map or CommandMap()
        self.backends = list(backends)

    def handle(self, label: str, score: float, t: float) -> CommandEvent | None:
        """Send the command of `label`; returns the event, or None for `no_action`."""
        command = self.command_map.command_for(label)
        if command == "no_action":
            return None
        event = CommandEvent(command, label, float(score), float(t))
        for backend in self.backends:
            backend.send(event)
        return event
