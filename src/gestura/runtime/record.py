"""`gestura record`: capture labelled takes of your own gestures into a dataset `train --init-from` reads.

Each take is a countdown (`countdown_s`, "get ready"), then `take_s` seconds recorded through MediaPipe Hands,
then a `pause_s` gap. Time is the source's frame clock, so a video file used as the camera gives the same
takes on every run. Takes are written in the `seed003` format (`<video_id>.npz` + `groundtruth.txt` +
`meta.csv`); recording into an existing dataset folder keeps what is already there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gestura.errors import InputError
from gestura.limits import MAX_RECORD_SECONDS, check_number


@dataclass(frozen=True)
class RecordReport:
    """What `record_takes` wrote."""

    out: Path
    video_ids: tuple[str, ...]
    frames: tuple[int, ...]
    hand_frames: tuple[int, ...]


def record_takes(source: Any, label: str, count: int, out: str | Path, *, take_s: float = 1.5,
                 countdown_s: float = 2.0, pause_s: float = 0.5, subject: str = "me",
                 landmark_backend: Any = None, say: Callable[[str], None] = print) -> RecordReport:
    """Record `count` takes of `label` from `source` (webcam index, "webcam", or a video file) into `out`."""
    from gestura.capture.sources import open_source
    from gestura.data.formats import load_dataset, write_seed003
    from gestura.landmarks.backend import LandmarkFrame, sequence_from_frames

    if not re.fullmatch(r"[A-Za-z0-9_\-]+", label):
        raise InputError(f"label {label!r}: use letters, digits, '_' or '-' only")
    if count < 1:
        raise InputError(f"count must be >= 1, got {count}")
    check_number(take_s, "--seconds", low=0, low_open=True, high=MAX_RECORD_SECONDS, error=InputError)
    check_number(countdown_s, "--countdown", low=0, high=MAX_RECORD_SECONDS, error=InputError)
    out = Path(out)
    existing = []
    if out.is_dir() and any(out.glob("*.npz")):
        existing = list(load_dataset(out).sequences)
    taken = {s.video_id for s in existing}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backend = landmark_backend
    own = backend is None
    src = 0 if source == "webcam" else source
    new = []
    with open_source(src) as frames:
        if own:
            from gestura.landmarks.mediapipe_backend import MediaPipeHands

            backend = MediaPipeHands(max_hands=2, static_image_mode=False)
        try:
            it = iter(frames)
            for k in range(count):
                phase_start = None
                shown = None
                lfs: list[LandmarkFrame] = []
                for frame in it:
                    t = frame.t_ms / 1000.0
                    phase_start = t if phase_start is None else phase_start
                    left = countdown_s - (t - phase_start)
                    if left > 0:
                        if shown != int(left) + 1:
                            shown = int(left) + 1
                            say(f"take {k + 1}/{count} ({label}): {shown}...")
                        continue
                    if not lfs:
                        say(f"take {k + 1}/{count} ({label}): GO")
                    lfs.append(backend.process(frame))
                    if t - phase_start >= countdown_s + take_s:
                        break
                if len(lfs) < 2:
                    raise InputError(f"{source}: the source ended during take {k + 1} of {count}")
                vid = f"{label}_{subject}_{stamp}_{k + 1:03d}"
                while vid in taken:
                    vid += "b"
                taken.add(vid)
                seq = sequence_from_frames(lfs, fps=getattr(frames, "fps", 30.0), video_id=vid, label=label,
                                           subject=subject, session=f"{subject}-{stamp}", source=str(source))
                new.append(seq)
                say(f"take {k + 1}/{count}: {seq.n_frames} frames, hand in {int(seq.any_hand_present().sum())}")
                pause_end = None
                if pause_s > 0 and k + 1 < count:
                    for frame in it:
                        pause_end = frame.t_ms / 1000.0 if pause_end is None else pause_end
                        if frame.t_ms / 1000.0 - pause_end >= pause_s:
                            break
        finally:
            if own:
                backend.close()
    write_seed003(out, existing + new)
    return RecordReport(out, tuple(s.video_id for s in new), tuple(s.n_frames for s in new),
                        tuple(int(s.any_hand_present().sum()) for s in new))
