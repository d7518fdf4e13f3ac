"""`make_clip`: one labelled clip of about a second, a single gesture or an `unknown` stretch."""

from __future__ import annotations

import numpy as np

from gestura.data.synthetic.gestures import (
    ALL_CLASSES,
    UNKNOWN_KINDS,
    Track,
    add_gesture,
    add_unknown,
    preformed_state,
)
from gestura.data.synthetic.hand import render_hand, rest_state
from gestura.data.synthetic.people import SubjectStyle
from gestura.data.synthetic.recording import add_tremor, detector_noise, to_sequence
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence


def make_clip(label: str, style: SubjectStyle, rng: np.random.Generator, n_frames: int | None = None,
              fps: float = 30.0, *, unknown_kind: str | None = None) -> LandmarkSequence:
    """One labelled clip of about one second (`n_frames` defaults to `fps`): a single gesture or `unknown`.

    `unknown` is an idle hand, a transition, the return movement after a swipe, no hand, or a hand entering
    or leaving (`unknown_kind` picks one of `UNKNOWN_KINDS`; random when None).
    """
    if label not in ALL_CLASSES:
        raise InputError(f"unknown synthetic class {label!r}; choose from {', '.join(ALL_CLASSES)}")
    n = int(n_frames or round(fps))
    if n < 2:
        raise InputError(f"n_frames must be at least 2, got {n}")
    duration = n / fps
    t = np.arange(n) / fps
    start = rest_state(style, rng)
    present = np.ones(n, dtype=bool)
    if label == "unknown":
        kind = unknown_kind or str(rng.choice(UNKNOWN_KINDS, p=[0.35, 0.3, 0.15, 0.1, 0.1]))
        if kind not in UNKNOWN_KINDS:
            raise InputError(f"unknown_kind must be one of {UNKNOWN_KINDS}, got {kind!r}")
        track = Track(start)
        add_unknown(track, style, rng, "idle" if kind in ("no_hand", "partial") else kind, duration)
        if kind == "no_hand":
            present[:] = False
        elif kind == "partial":
            cut = int(rng.integers(n // 4, 3 * n // 4))
            present[:cut] = False
            if rng.random() < 0.5:
                present = present[::-1].copy()
    else:
        preformed = rng.random() < 0.5
        track = Track(preformed_state(label, start, rng) if preformed else start)
        probe = Track(track.state)
        add_gesture(probe, label, style, np.random.default_rng(rng.integers(1 << 32)), preformed=preformed)
        squeeze = min(1.0, (duration - 0.1) / max(probe.end, 1e-3))
        onset = rng.uniform(0.0, max(0.0, duration - probe.end * squeeze - 0.05)) * 0.6
        track.hold(onset)
        for dt, st in zip(np.diff(probe.times), probe.states[1:]):
            track.to(dt * squeeze, st)
        track.hold(max(0.0, duration - track.end))
    params = add_tremor(track.sample(t), t, style, rng)
    xyz, present = detector_noise(render_hand(params, style), style, rng, present)
    return to_sequence(xyz, present, t, fps, style, label=label)
