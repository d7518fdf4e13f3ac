"""Whole generated datasets: clips of many people (`make_dataset`), continuous sessions (`make_stream_dataset`),
and `write_synthetic`, which writes either to disk so it reads back like real data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from gestura.data.formats import LandmarkDataset, write_seed003
from gestura.data.synthetic.clips import make_clip
from gestura.data.synthetic.gestures import ALL_CLASSES, PRESENTATION_CLASSES, STREAM_CLASSES
from gestura.data.synthetic.people import SWIPE_STYLES, SubjectStyle
from gestura.data.synthetic.sessions import make_session
from gestura.errors import ConfigError, InputError
from gestura.landmarks.sequence import LandmarkSequence


def make_dataset(n_subjects: int, n_per_class: int = 5, classes: tuple[str, ...] | list[str] = PRESENTATION_CLASSES,
                 seed: int = 0, fps: float = 30.0, *, n_classes: int | None = None,
                 n_frames: int | None = None) -> LandmarkDataset:
    """`n_subjects` people x `n_per_class` clips of each class, deterministic under `seed`.

    Subjects alternate the two swipe styles and every fourth is left-handed, so small sets cover both;
    `n_classes` keeps only the first n of `classes`. Each clip has `subject` and `session` set.
    """
    names = tuple(classes)[: n_classes] if n_classes else tuple(classes)
    if bad := [c for c in names if c not in ALL_CLASSES]:
        raise InputError(f"unknown synthetic class {bad[0]!r}; choose from {', '.join(ALL_CLASSES)}")
    seqs: list[LandmarkSequence] = []
    for i in range(n_subjects):
        style = SubjectStyle.sample(np.random.default_rng([seed, i]), subject=f"s{i:02d}",
                                    handedness="left" if i % 4 == 3 else "right",
                                    swipe_style=SWIPE_STYLES[i % 2])
        for ci, label in enumerate(names):
            for k in range(n_per_class):
                rng = np.random.default_rng([seed, i, ALL_CLASSES.index(label), k])
                seq = make_clip(label, style, rng, n_frames=n_frames, fps=fps)
                seq.video_id = f"{style.subject}_{label}_{k:03d}"
                seq.session = f"{style.subject}-1"
                seqs.append(seq)
    return LandmarkDataset(root=Path("<synthetic>"), format="synthetic", sequences=seqs)


def make_stream_dataset(n_subjects: int = 2, n_sessions: int = 2, reps: int = 2,
                        classes: tuple[str, ...] | list[str] = STREAM_CLASSES, seed: int = 0,
                        fps: float | None = None) -> LandmarkDataset:
    """Continuous sessions like `presentation-streams`: each session prompts every class `reps` times, shuffled.

    Subjects alternate swipe styles and frame rates (27 and 15 fps, as the two real people, unless `fps` is given);
    the second session of every odd subject is left-handed; each session changes camera distance
    (`SubjectStyle.for_session`).
    """
    seqs: list[LandmarkSequence] = []
    for i in range(n_subjects):
        rng = np.random.default_rng([seed, i, 7])
        base = SubjectStyle.sample(rng, subject=f"p{i:02d}", handedness="right", swipe_style=SWIPE_STYLES[i % 2])
        for k in range(n_sessions):
            style = base.for_session(rng) if k else base
            if i % 2 and k == 1:
                style = replace(style, handedness="left", rest_x=1.0 - style.rest_x)
            script = [str(c) for c in rng.permutation(list(classes) * reps)]
            seqs.append(make_session(script, style, seed=int(rng.integers(1 << 31)),
                                     fps=fps or (27.0 if i % 2 == 0 else 15.0), session=f"p{i:02d}-{k + 1}"))
            seqs[-1].video_id = f"p{i:02d}_s{k + 1}"
    return LandmarkDataset(root=Path("<synthetic>"), format="synthetic", sequences=seqs)


def write_synthetic(out_dir: str | Path, n_subjects: int = 4, n_per_class: int = 5, seed: int = 0,
                    fps: float = 30.0, *, sessions: int = 0) -> Path:
    """Write `make_dataset(...)` (or, with `sessions` > 0, `make_stream_dataset(...)` with `n_per_class`
    prompts per class) in the `seed003` format so it reads back like real data.

    `fps` and the total frame count are checked against `gestura.limits` before anything is generated."""
    from gestura.limits import MAX_SYNTH_FRAMES, check_fps

    fps = check_fps(fps, "--fps")
    classes = len(STREAM_CLASSES) if sessions > 0 else len(PRESENTATION_CLASSES)
    per_clip = 12.0 * fps if sessions > 0 else round(fps)  # a prompt of a session spans several seconds
    total = float(n_subjects) * max(sessions, 1) * n_per_class * classes * per_clip
    if total > MAX_SYNTH_FRAMES:
        raise ConfigError(f"--subjects {n_subjects} x --per-class {n_per_class} at --fps {fps:g} would generate "
                          f"about {total:.3g} frames, over the {MAX_SYNTH_FRAMES:,}-frame limit")
    if sessions > 0:
        ds = make_stream_dataset(n_subjects, sessions, reps=n_per_class, seed=seed)
    else:
        ds = make_dataset(n_subjects, n_per_class, seed=seed, fps=fps)
    return write_seed003(out_dir, ds.sequences)
