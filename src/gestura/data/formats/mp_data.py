"""`mp_data`: the "MP_Data" layout, one `.npy` MediaPipe Holistic vector per frame.

`<action>/<seq>/<frame>.npy`, 1662 floats per frame (pose 33x4, then face, left hand and right hand x, y, z) or
2172 (x, y, z, visibility for all 543 points); zeros mean "not detected". The folder name is the label; the frame
rate is not recorded (`DEFAULT_FPS` is assumed).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gestura.data.formats.landmark_dataset import DEFAULT_FPS
from gestura.data.formats.registry import ReadOptions, register_format
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence

FORMAT = "mp_data"
_MP_LAYOUTS = {1662: 3, 2172: 4}  # values per frame -> coordinates stored per face/hand point


def detect_mp_data(path: Path) -> Path | None:
    """`path` when it holds `<action>/<seq>/*.npy`."""
    if not path.is_dir():
        return None
    for action in sorted(path.iterdir()):
        if action.is_dir():
            for seq in sorted(action.iterdir()):
                if seq.is_dir() and next(seq.glob("*.npy"), None) is not None:
                    return path
    return None


def read_mp_data(root: Path) -> list[LandmarkSequence]:
    """Read `<action>/<seq>/<frame>.npy` (1662 or 2172 per frame); zeros mean "not detected"."""
    seqs: list[LandmarkSequence] = []
    for action in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
        seq_dirs = [d for d in action.iterdir() if d.is_dir()]
        for seq_dir in sorted(seq_dirs, key=lambda d: _int_key(d.name)):
            frames = sorted(seq_dir.glob("*.npy"), key=lambda p: _int_name(p))
            if not frames:
                raise InputError(f"{seq_dir}: no .npy frames")
            rows: list[np.ndarray] = []
            for f in frames:
                try:
                    a = np.load(f, allow_pickle=False)
                except Exception as err:
                    raise InputError(f"{f}: not a readable .npy file ({type(err).__name__})") from None
                if a.dtype.kind not in "iuf":
                    raise InputError(f"{f}: expected numbers, got {a.dtype} values")
                if a.ndim != 1 or a.shape[0] not in _MP_LAYOUTS:
                    raise InputError(f"{f}: expected 1662 or 2172 values per frame, got shape {a.shape}")
                if rows and a.shape != rows[0].shape:
                    raise InputError(f"{f}: ragged sequence, {a.shape[0]} values after {rows[0].shape[0]}")
                if not np.isfinite(a).all():
                    raise InputError(f"{f}: NaN/inf values")
                rows.append(a)
            vid = f"{action.name}/{seq_dir.name}"
            seqs.append(LandmarkSequence.from_arrays(
                split_holistic(np.stack(rows)), DEFAULT_FPS, label=action.name, video_id=vid,
                episode=vid, source=str(seq_dir), attrs={"fps_assumed": True},
            ))
    if not seqs:
        raise InputError(f"{root}: no <action>/<seq>/<frame>.npy sequences")
    return seqs


def split_holistic(frames: np.ndarray) -> dict[str, np.ndarray]:
    """Flat Holistic vectors `(T, 1662 | 2172)` -> pose `(T, 33, 4)`, face `(T, 468, 3)`, hands `(T, 21, 3)`."""
    n, width = frames.shape
    c = _MP_LAYOUTS[width]
    pose = frames[:, :132].reshape(n, 33, 4)
    rest = frames[:, 132:].reshape(n, 468 + 42, c)[..., :3]
    return {"pose": pose, "face": rest[:, :468], "left_hand": rest[:, 468:489], "right_hand": rest[:, 489:510]}


def _int_name(p: Path) -> int:
    if not re.fullmatch(r"\d+", p.stem):
        raise InputError(f"{p}: frame files must be named <frame_number>.npy")
    return int(p.stem)


def _int_key(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (1 << 62, name)


def _read(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
    return read_mp_data(root)


register_format(FORMAT, detect_mp_data, _read)
