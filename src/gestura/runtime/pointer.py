"""Continuous gestures: `point_one` moves a laser pointer, `point_two` draws pen strokes.

These bypass the discrete dispatcher: while the activation controller reports a continuous class as active,
`PointerController.update` maps the smoothed index fingertip to screen coordinates in [0, 1] and emits
`PointerEvent`s (`laser`, `laser_hide`, `pen_start`, `pen_move`, `pen_end`). The camera's central `region`
maps to the whole screen, so the hand never has to reach the image border; a One-Euro filter on the
fingertip removes MediaPipe jitter without lagging fast moves. Coordinates are in the selfie (mirrored)
view, as MediaPipe sees mirrored webcam frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from gestura.landmarks.smoothing import OneEuroFilter
from gestura.runtime.decision import Decision

INDEX_TIP = 8
PointerKind = Literal["laser", "laser_hide", "pen_start", "pen_move", "pen_end"]


@dataclass(frozen=True)
class PointerEvent:
    """Where the pointer or pen is: `x`, `y` in [0, 1] of the screen (origin top-left), at `t` seconds."""

    kind: PointerKind
    x: float
    y: float
    t: float
    stroke: int = 0


@dataclass(frozen=True)
class PointerConfig:
    """Tracking settings: the camera region mapped to the screen, fingertip smoothing, the two classes."""

    region: tuple[float, float, float, float] = (0.15, 0.15, 0.85, 0.85)
    min_cutoff: float = 1.5
    beta: float = 0.3
    laser_class: str = "point_one"
    pen_class: str = "point_two"


class PointerController:
    """Turns continuous decisions plus the hand's landmarks into pointer and pen events."""

    def __init__(self, config: PointerConfig | None = None) -> None:
        self.config = config or PointerConfig()
        self._filter = OneEuroFilter(self.config.min_cutoff, self.config.beta)
        self._mode: str | None = None
        self._stroke = 0
        self._last = (0.5, 0.5)

    def to_screen(self, xy: np.ndarray) -> tuple[float, float]:
        """Camera-normalised `(2,)` -> screen `(x, y)` in [0, 1] through `region`, clamped."""
        x0, y0, x1, y1 = self.config.region
        sx = (float(xy[0]) - x0) / (x1 - x0)
        sy = (float(xy[1]) - y0) / (y1 - y0)
        return min(max(sx, 0.0), 1.0), min(max(sy, 0.0), 1.0)

    def update(self, decision: Decision | None, hand: np.ndarray | None, t: float) -> PointerEvent | None:
        """`hand` is the (21, 3) landmarks of the tracked hand this frame (None when lost)."""
        c = self.config
        active = (decision is not None and decision.kind == "continuous"
                  and decision.label in (c.laser_class, c.pen_class))
        mode = decision.label if active and decision is not None else None
        if self._mode is not None and mode != self._mode:
            ended = self._end(t)
            self._mode = None
            if mode is None:
                return ended
        if mode is None:
            return None
        if hand is None:
            return None
        tip = self._filter.update(np.asarray(hand)[INDEX_TIP : INDEX_TIP + 1, :2], t)[0]
        x, y = self.to_screen(tip)
        self._last = (x, y)
        if mode == c.laser_class:
            self._mode = mode
            return PointerEvent("laser", x, y, t)
        if self._mode != mode:
            self._mode = mode
            self._stroke += 1
            return PointerEvent("pen_start", x, y, t, self._stroke)
        return PointerEvent("pen_move", x, y, t, self._stroke)

    def _end(self, t: float) -> PointerEvent:
        self._filter.reset()
        kind: PointerKind = "pen_end" if self._mode == self.config.pen_class else "laser_hide"
        return PointerEvent(kind, *self._last, t, self._stroke if kind == "pen_end" else 0)
