"""Gestures as key-frame tracks of the hand pose, interpolated with minimum-jerk profiles.

`Track` holds key frames; `add_gesture` appends one gesture's key frames (swipes, fist, rotations, zooms,
pointing), `add_unknown` appends non-gesture motion (idle drift, the return after a swipe, a transition).
"""

from __future__ import annotations

import numpy as np

from gestura.data.synthetic.hand import FINGERS, IDX, moved, room, with_params, with_shape
from gestura.data.synthetic.people import SubjectStyle
from gestura.errors import InputError

PRESENTATION_CLASSES = (
    "fist", "swiping_right", "swiping_left", "swiping_up", "swiping_down",
    "zooming_in_full_hand", "zooming_out_full_hand", "point_one", "point_two", "unknown",
)  # fmt: skip
"""The ten classes of the presentation controller: nine gestures and `unknown`."""
EXTRA_CLASSES = ("rotate_left", "rotate_right")
"""Classes the real presentation streams add."""
ALL_CLASSES = PRESENTATION_CLASSES + EXTRA_CLASSES
STREAM_CLASSES = ("swiping_left", "swiping_right", "swiping_up", "swiping_down", "fist", "rotate_left", "rotate_right")
"""The seven prompted gestures of the real `presentation-streams` sessions."""
UNKNOWN_KINDS = ("idle", "return", "transition", "no_hand", "partial")


def _min_jerk(u: np.ndarray) -> np.ndarray:
    return u * u * u * (10 - 15 * u + 6 * u * u)


class Track:
    """Key frames of the parameter vector; sampled with minimum-jerk interpolation between them."""

    def __init__(self, state: np.ndarray) -> None:
        self.times = [0.0]
        self.states = [state.copy()]

    @property
    def end(self) -> float:
        return self.times[-1]

    @property
    def state(self) -> np.ndarray:
        return self.states[-1].copy()

    def to(self, dt: float, state: np.ndarray) -> Track:
        self.times.append(self.times[-1] + max(dt, 1e-3))
        self.states.append(np.asarray(state, dtype=np.float64).copy())
        return self

    def hold(self, dt: float) -> Track:
        return self.to(dt, self.state) if dt > 0 else self

    def sample(self, t: np.ndarray) -> np.ndarray:
        times, states = np.asarray(self.times), np.stack(self.states)
        i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2) if len(times) > 1 else None
        if i is None:
            return np.repeat(states[:1], len(t), axis=0)
        u = np.clip((t - times[i]) / (times[i + 1] - times[i]), 0.0, 1.0)
        w = _min_jerk(u)[:, None]
        return states[i] * (1 - w) + states[i + 1] * w


SWIPE_DIRECTIONS = {"swiping_left": (-1.0, 0.0), "swiping_right": (1.0, 0.0), "swiping_up": (0.0, -1.0),
                    "swiping_down": (0.0, 1.0)}
"""Swipe label -> direction (x right, y down) on the image."""


def add_gesture(track: Track, label: str, style: SubjectStyle, rng: np.random.Generator, *,
                preformed: bool = False) -> None:
    """Append the key frames of one gesture to `track`, starting from its current state."""
    sp = style.speed * rng.uniform(0.85, 1.15)
    s = track.state
    if label in SWIPE_DIRECTIONS:
        dx, dy = SWIPE_DIRECTIONS[label]
        if style.swipe_style == "whole_hand":
            amp = min(style.swipe_amp * rng.uniform(0.85, 1.15), room(s, style, dx, dy))
            end = moved(s, style, dx * amp, dy * amp)
            end[IDX["roll"]] += -dx * rng.uniform(0, 10)
            end[IDX["pitch"]] += dy * rng.uniform(0, 10)
            track.to(rng.uniform(0.35, 0.5) / sp, end)
        else:
            tilt = style.tilt_deg * rng.uniform(0.85, 1.15)
            amp = style.swipe_amp * rng.uniform(0.8, 1.2)
            end = moved(s, style, dx * amp, dy * amp)
            if dx:
                end[IDX["roll"]] += -dx * tilt
                end[IDX["yaw"]] += dx * rng.uniform(0, 15)
            else:
                end[IDX["pitch"]] += dy * tilt
            track.to(rng.uniform(0.2, 0.35) / sp, end)
    elif label == "fist":
        end = moved(with_shape(s, "fist", rng), style, 0.0, rng.uniform(0.0, 0.2))
        end[IDX["pitch"]] += rng.uniform(0, 15)
        track.to(rng.uniform(0.3, 0.5) / sp, end)
    elif label in ("rotate_left", "rotate_right"):
        # A left hand's rotate_left is the mirror image of a right hand's rotate_right (gestura.features.handedness):
        # the mirror negates roll and yaw alike, so neither depends on the hand here (the hand's shape is mirrored
        # where the frames are drawn).
        sign = 1.0 if label == "rotate_left" else -1.0
        end = with_params(s, roll=s[IDX["roll"]] + sign * rng.uniform(15, 45),
                          yaw=s[IDX["yaw"]] + sign * rng.uniform(50, 85))
        track.to(rng.uniform(0.35, 0.6) / sp, end)
    elif label in ("zooming_in_full_hand", "zooming_out_full_hand"):
        zoom_in = label == "zooming_in_full_hand"
        start = with_shape(s, "bunched" if zoom_in else "spread", rng)
        if not preformed:
            track.to(rng.uniform(0.15, 0.25) / sp, start)
        end = with_shape(start, "spread" if zoom_in else "bunched", rng)
        end[IDX["scale"]] *= rng.uniform(1.2, 1.4) if zoom_in else rng.uniform(0.7, 0.82)
        track.to(rng.uniform(0.35, 0.55) / sp, end)
    elif label in ("point_one", "point_two"):
        shaped = with_shape(s, label, rng)
        shaped[IDX["pitch"]] += rng.uniform(-10, 10)
        if not preformed:
            track.to(rng.uniform(0.15, 0.3) / sp, shaped)
        ang = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.05, 0.2)
        track.to(rng.uniform(0.3, 0.5) / sp, moved(shaped, style, amp * np.cos(ang), amp * np.sin(ang)))
    else:
        raise InputError(f"unknown synthetic class {label!r}; choose from {', '.join(ALL_CLASSES)}")


def preformed_state(label: str, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hand shape a gesture starts from when it is already formed at the first frame."""
    if label == "zooming_in_full_hand":
        return with_shape(state, "bunched", rng)
    if label == "zooming_out_full_hand":
        return with_shape(state, "spread", rng)
    if label in ("point_one", "point_two"):
        return with_shape(state, label, rng)
    return state


def add_unknown(track: Track, style: SubjectStyle, rng: np.random.Generator, kind: str, duration: float) -> None:
    """Append `duration` seconds of non-gesture motion of `kind` (idle, return, transition)."""
    s = track.state
    if kind == "return":
        swipe = str(rng.choice(list(SWIPE_DIRECTIONS)))
        disp = Track(s)
        add_gesture(disp, swipe, style, rng)
        track.states[-1] = disp.state  # start where a swipe ended
        back = moved(s, style, *rng.normal(0, 0.1, 2))
        d = min(duration * 0.9, rng.uniform(0.45, 0.8) / style.speed)
        track.hold((duration - d) * rng.uniform(0, 0.5)).to(d, back)
    elif kind == "transition":
        if rng.random() < 0.5:
            part = s.copy()
            part[FINGERS] = np.clip(s[FINGERS] + rng.uniform(0.1, 0.35), 0, 1)
            track.to(duration * 0.45, part).to(duration * 0.45, s)
        else:
            ang = rng.uniform(0, 2 * np.pi)
            amp = rng.uniform(0.6, 1.5)
            start = moved(s, style, amp * np.cos(ang), amp * np.sin(ang))
            track.states[-1] = start
            track.to(duration * rng.uniform(0.7, 0.95), s)
    else:  # idle drift
        n = max(1, int(duration / 0.4))
        for _ in range(n):
            nxt = moved(s, style, *rng.normal(0, 0.07, 2))
            nxt[FINGERS] = np.clip(s[FINGERS] + rng.normal(0, 0.04, 5), 0, 0.5)
            track.to(duration / n, nxt)
    if track.end < duration:
        track.hold(duration - track.end)
