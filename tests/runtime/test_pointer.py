"""Laser pointer and pen strokes from continuous decisions."""

from __future__ import annotations

import numpy as np

from gestura.runtime.decision import Decision
from gestura.runtime.pointer import PointerConfig, PointerController


def hand_at(x: float, y: float) -> np.ndarray:
    h = np.zeros((21, 3), dtype=np.float32)
    h[8, :2] = (x, y)
    return h


def test_laser_maps_region_to_screen_and_hides() -> None:
    pc = PointerController(PointerConfig(region=(0.25, 0.25, 0.75, 0.75)))
    ev = pc.update(Decision("point_one", 0.9, 0.0, "continuous"), hand_at(0.5, 0.25), 0.0)
    assert ev is not None and ev.kind == "laser" and (ev.x, ev.y) == (0.5, 0.0)
    ev = pc.update(Decision("point_one", 0.9, 0.03, "continuous"), hand_at(0.9, 0.9), 0.03)
    assert ev is not None and 0.5 < ev.x <= 1.0 and ev.y <= 1.0
    end = pc.update(Decision("point_one", 0.3, 0.06, "continuous_end"), hand_at(0.9, 0.9), 0.06)
    assert end is not None and end.kind == "laser_hide"
    assert pc.update(None, hand_at(0.5, 0.5), 0.1) is None


def test_pen_strokes_start_move_end() -> None:
    pc = PointerController()
    kinds = []
    for i in range(5):
        ev = pc.update(Decision("point_two", 0.9, i / 30, "continuous"), hand_at(0.3 + 0.05 * i, 0.5), i / 30)
        kinds.append((ev.kind, ev.stroke))
    ev = pc.update(None, hand_at(0.6, 0.5), 0.2)
    kinds.append((ev.kind, ev.stroke))
    assert kinds == [("pen_start", 1)] + [("pen_move", 1)] * 4 + [("pen_end", 1)]
    ev = pc.update(Decision("point_two", 0.9, 1.0, "continuous"), hand_at(0.5, 0.5), 1.0)
    assert (ev.kind, ev.stroke) == ("pen_start", 2)


def test_smoothing_reduces_jitter() -> None:
    rng = np.random.default_rng(0)
    pc = PointerController()
    xs = []
    for i in range(60):
        x = 0.5 + rng.normal(0, 0.01)
        ev = pc.update(Decision("point_one", 0.9, i / 30, "continuous"), hand_at(x, 0.5), i / 30)
        xs.append(ev.x)
    raw_sd = 0.01 / 0.7
    assert np.std(xs[10:]) < 0.6 * raw_sd


def test_discrete_decisions_are_ignored() -> None:
    pc = PointerController()
    assert pc.update(Decision("swiping_left", 0.9, 0.0, "discrete"), hand_at(0.5, 0.5), 0.0) is None
