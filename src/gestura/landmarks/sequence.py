"""`LandmarkSequence`: the one in-memory form of a (possibly labelled) landmark recording.

Every reader in `gestura.data`, the extractor and the synthetic generator produce it; features, training and
the runtime consume it. Streams are named arrays `(T, J, C)` (`pose`, `face`, `left_hand`, `right_hand`, or
`index_tip` for fingertip trajectories). Frames where a stream was not detected hold zeros and are `False` in
`present[name]`, so nothing downstream has to guess from the coordinates, and nothing is NaN.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from gestura.errors import InputError
from gestura.io import read_npz, write_npz
from gestura.landmarks.skeleton import STREAM_SKELETONS
from gestura.limits import MAX_FPS, MAX_FRAME_GAP_SECONDS, MAX_SEQUENCE_SECONDS, check_number

HAND_STREAMS = ("left_hand", "right_hand")


@dataclass
class LandmarkSequence:
    """A landmark recording: named streams `(T, J, C)`, presence `(T,)` per stream, timestamps `(T,)` in seconds.

    `label` is the clip label when the whole clip has one; `frame_labels` `(T,)` holds per-frame labels for
    continuous streams. `subject`, `session`, `episode` and `video_id` are the grouping ids splits use.
    `handedness[name]` `(T,)` holds the detector's handedness score for that hand stream, when known.
    `attrs` holds small format-specific facts readers know (e.g. `image_size` (W, H) for normalised coordinates).
    """

    streams: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    t: np.ndarray
    fps: float
    label: str | None = None
    frame_labels: np.ndarray | None = None
    video_id: str = ""
    subject: str | None = None
    session: str | None = None
    episode: str | None = None
    handedness: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""
    attrs: dict[str, object] = field(default_factory=dict)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls,
        streams: Mapping[str, np.ndarray],
        fps: float,
        *,
        t: np.ndarray | None = None,
        present: Mapping[str, np.ndarray] | None = None,
        source: str = "",
        **meta: object,
    ) -> LandmarkSequence:
        """Build and validate a sequence; presence defaults to "frame is not all zeros" per stream."""
        name = source or str(meta.get("video_id", "")) or "<sequence>"
        arrs: dict[str, np.ndarray] = {}
        for key, arr in streams.items():
            a = _numeric(arr, f"{name}: stream {key!r}", np.float32)
            if a.ndim != 3:
                raise InputError(f"{name}: stream {key!r} must be (T, J, C), got shape {a.shape}")
            if a.shape[0] == 0:
                raise InputError(f"{name}: stream {key!r} has no frames (shape {a.shape})")
            if not 2 <= a.shape[2] <= 4:
                raise InputError(f"{name}: stream {key!r} has {a.shape[2]} values per point, expected 2 to 4 "
                                 "(x, y, z, visibility)")
            arrs[key] = a
        if not arrs:
            raise InputError(f"{name}: no landmark streams")
        lengths = {k: a.shape[0] for k, a in arrs.items()}
        if len(set(lengths.values())) != 1:
            raise InputError(f"{name}: ragged streams, frame counts differ {lengths}")
        n = next(iter(lengths.values()))
        for key, a in arrs.items():
            if not np.isfinite(a).all():
                bad = int((~np.isfinite(a)).any(axis=(1, 2)).sum())
                raise InputError(f"{name}: stream {key!r} has NaN/inf in {bad} of {n} frames")
            skel = STREAM_SKELETONS.get(key)
            if skel is not None and a.shape[1] != skel.n_joints:
                raise InputError(f"{name}: stream {key!r} has {a.shape[1]} joints, expected {skel.n_joints}")
        fps = check_number(fps, f"{name}: fps", low=0, low_open=True, high=MAX_FPS, error=InputError)
        if present is None:
            pres = {k: np.abs(a).reshape(n, -1).sum(axis=1) > 0 for k, a in arrs.items()}
        else:
            pres = {}
            for k in arrs:
                p = np.asarray(present[k]) if k in present else None
                if p is None or p.dtype.kind not in "biuf" or p.size != n:
                    raise InputError(f"{name}: present[{k!r}] must be {n} booleans, got "
                                     f"{'nothing' if p is None else f'{p.dtype} {p.shape}'}")
                pres[k] = p.astype(bool).reshape(n)
        times = np.arange(n, dtype=np.float64) / fps if t is None else \
            _numeric(t, f"{name}: timestamps t", np.float64).reshape(-1)
        if times.shape[0] != n:
            raise InputError(f"{name}: {times.shape[0]} timestamps for {n} frames")
        if not np.isfinite(times).all():
            raise InputError(f"{name}: timestamps t have NaN/inf in {int((~np.isfinite(times)).sum())} of {n} "
                             "frames")
        if n > 1 and np.any(np.diff(times) <= 0):
            raise InputError(f"{name}: timestamps are not strictly increasing")
        if n > 1 and (gap := float(np.max(np.diff(times)))) > MAX_FRAME_GAP_SECONDS:
            raise InputError(f"{name}: {gap:.3g} s between two frames, over the {MAX_FRAME_GAP_SECONDS:g} s limit")
        if n > 1 and (span := float(times[-1] - times[0])) > MAX_SEQUENCE_SECONDS:
            raise InputError(f"{name}: timestamps span {span:.3g} s, over the {MAX_SEQUENCE_SECONDS:g} s limit")
        fl = meta.pop("frame_labels", None)
        if fl is not None:
            fl = np.asarray(fl, dtype=str)
            if fl.shape != (n,):
                raise InputError(f"{name}: {fl.shape} frame labels for {n} frames")
        hd = cast("Mapping[str, ArrayLike]", meta.pop("handedness", None) or {})
        return cls(streams=arrs, present=pres, t=times, fps=float(fps), frame_labels=fl, source=source,
                   handedness={k: np.asarray(v, dtype=np.float32) for k, v in dict(hd).items()},
                   **meta)  # type: ignore[arg-type]  # meta holds the optional fields (label, subject, ...)

    # ----------------------------------------------------------------- views
    @property
    def n_frames(self) -> int:
        return int(self.t.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from first to last frame plus one frame period."""
        return float(self.t[-1] - self.t[0] + 1.0 / self.fps) if self.n_frames else 0.0

    def hands(self) -> list[str]:
        """Names of the hand streams this sequence holds."""
        return [k for k in HAND_STREAMS if k in self.streams]

    def any_hand_present(self) -> np.ndarray:
        """`(T,)` True where at least one hand was detected."""
        out = np.zeros(self.n_frames, dtype=bool)
        for k in self.hands():
            out |= self.present[k]
        return out

    def slice(self, start: int, stop: int) -> LandmarkSequence:
        """Frames `[start, stop)` as a new sequence (labels, presence and timestamps follow)."""
        sl = np.s_[start:stop]
        return replace(
            self,
            streams={k: v[sl] for k, v in self.streams.items()},
            present={k: v[sl] for k, v in self.present.items()},
            t=self.t[sl],
            frame_labels=None if self.frame_labels is None else self.frame_labels[sl],
            handedness={k: v[sl] for k, v in self.handedness.items()},
        )

    # ----------------------------------------------------------------- persistence
    def to_npz(self, path: str | os.PathLike[str]) -> None:
        """Write one `seed003` `.npz` (streams, zeros where absent) plus `t`, `fps`, presence and handedness."""
        arrays: dict[str, np.ndarray] = {k: np.where(self.present[k][:, None, None], v, 0.0).astype(np.float32)
                                         for k, v in self.streams.items()}
        arrays["t"] = self.t
        arrays["fps"] = np.asarray(self.fps, dtype=np.float32)
        arrays["present"] = np.stack([self.present[k] for k in self.streams], axis=1)
        arrays["present_streams"] = np.array(list(self.streams), dtype=str)
        for k, v in self.handedness.items():
            arrays[f"handedness_{k}"] = v
        write_npz(path, arrays)

    @classmethod
    def from_npz(cls, path: str | os.PathLike[str], **meta: object) -> LandmarkSequence:
        """Read one `seed003` `.npz` (as written by `to_npz`, `gestura extract` or the shared datasets)."""
        path = Path(path)
        data = read_npz(path)
        streams = {k: v for k, v in data.items() if k in STREAM_SKELETONS or k == "index_tip"}
        if not streams:
            raise InputError(f"{path}: no landmark arrays (expected pose/left_hand/right_hand/face)")
        fps = 30.0
        if "fps" in data:
            f = data["fps"]
            if f.size != 1 or f.dtype.kind not in "iuf":
                raise InputError(f"{path}: fps must be one number, got {f.dtype} {f.shape}")
            fps = float(f.reshape(-1)[0])
        present = None
        if "present" in data and "present_streams" in data:
            cols = [str(s) for s in data["present_streams"]]
            pa = data["present"]
            if pa.ndim != 2 or pa.shape[1] != len(cols):
                raise InputError(f"{path}: present must be (T, {len(cols)}) for present_streams {cols}, "
                                 f"got {pa.shape}")
            present = {k: pa[:, cols.index(k)] for k in streams if k in cols}
            if len(present) != len(streams):
                present = None
        hd = {k[len("handedness_"):]: v for k, v in data.items() if k.startswith("handedness_")}
        meta.setdefault("video_id", path.stem)
        return cls.from_arrays(streams, fps, t=data.get("t"), present=present, source=str(path),
                               handedness=hd, **meta)


def _numeric(arr: object, what: str, dtype: type) -> np.ndarray:
    """`arr` as a numeric array of `dtype`; strings, objects and booleans are one `InputError` naming `what`."""
    try:
        raw = np.asarray(arr)
    except ValueError:
        raise InputError(f"{what}: ragged or not an array") from None
    if raw.dtype.kind not in "iuf":
        raise InputError(f"{what}: expected numbers, got {raw.dtype} values")
    return raw.astype(dtype, copy=False)
