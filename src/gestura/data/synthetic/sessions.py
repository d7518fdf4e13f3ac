"""`make_session`: a continuous recording of prompted gestures with rests between them, labelled per frame."""

from __future__ import annotations

import numpy as np

from gestura.data.synthetic.gestures import ALL_CLASSES, Track, add_gesture, add_unknown
from gestura.data.synthetic.hand import IDX, render_hand, rest_state
from gestura.data.synthetic.people import SubjectStyle
from gestura.data.synthetic.recording import add_tremor, detector_noise, to_sequence
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence


def make_session(script: list[str] | tuple[str, ...], style: SubjectStyle | None = None, seed: int = 0,
                 fps: float = 30.0, *,
                 prompt_s: float = 1.0, rest_s: tuple[float, float] = (1.0, 2.0), label_mode: str = "prompt",
                 session: str | None = None) -> LandmarkSequence:
    """A continuous recording: each scripted gesture is prompted for `prompt_s`, then a rest with the return move.

    Frame labels mark the prompt windows (`label_mode="prompt"`, like the real streams: people start
    `style.reaction_lag` s late and motion may spill into the rest) or exactly the gesture motion
    (`label_mode="motion"`); everything else is `unknown`. Timestamps jitter ±10% around 1/fps.
    `attrs["prompts"]` and `attrs["motions"]` hold `[label, start_s, end_s]` rows.
    """
    style = style or SubjectStyle()
    if label_mode not in ("prompt", "motion"):
        raise InputError(f"label_mode must be 'prompt' or 'motion', got {label_mode!r}")
    if bad := [c for c in script if c not in ALL_CLASSES]:
        raise InputError(f"unknown synthetic class {bad[0]!r}; choose from {', '.join(ALL_CLASSES)}")
    rng = np.random.default_rng(seed)
    rest = rest_state(style)
    track = Track(rest)
    add_unknown(track, style, rng, "idle", rng.uniform(1.0, 1.5))
    prompts: list[tuple[str, float, float]] = []
    motions: list[tuple[str, float, float]] = []
    for label in script:
        p0 = track.end
        prompts.append((label, float(p0), float(p0 + prompt_s)))
        rest_len = rng.uniform(*rest_s)
        if label == "unknown":
            add_unknown(track, style, rng, "idle", prompt_s + rest_len)
            continue
        track.hold(style.reaction_lag * rng.uniform(0.8, 1.25))
        m0 = track.end
        add_gesture(track, label, style, rng)
        motions.append((label, float(m0), float(track.end)))
        track.hold(rng.uniform(0.1, 0.3))
        back = rest_state(style, rng)
        back[IDX["x"]] = 0.5 * (back[IDX["x"]] + rest[IDX["x"]])
        track.to(rng.uniform(0.45, 0.8) / style.speed, back)
        target = p0 + prompt_s + rest_len
        if track.end < target:
            add_unknown(track, style, rng, "idle", target - track.end)
    total = track.end
    dts = (1.0 / fps) * rng.uniform(0.9, 1.1, int(total * fps * 1.2) + 2)
    t = np.concatenate([[0.0], np.cumsum(dts)])
    t = t[t < total]
    params = add_tremor(track.sample(t), t, style, rng)
    xyz, present = detector_noise(render_hand(params, style), style, rng, np.ones(len(t), dtype=bool))
    spans = prompts if label_mode == "prompt" else motions
    labels = np.full(len(t), "unknown", dtype=object)
    for label, a, b in spans:
        labels[(t >= a) & (t < b)] = label
    seq = to_sequence(xyz, present, t, fps, style, frame_labels=labels.astype(str),
                      video_id=f"{style.subject}_session{seed}", session=session or f"{style.subject}-{seed}")
    seq.attrs["prompts"] = [[str(a), float(b), float(c)] for a, b, c in prompts]
    seq.attrs["motions"] = [[str(a), float(b), float(c)] for a, b, c in motions]
    return seq
