"""`presentation_clips`: one prompted take per `.npz`, wrist-relative and palm-scaled, filed by person and hand.

Layout: `<person>/<Right|Left>/<label>/<label>_<person>_<hand>_<unix time>_<take>.npz`, each file holding `seq`
`(T, 63)` = 21 landmarks x (x, y, z) with the wrist at the origin and the palm length 1 in every frame (so the
hand's shape and turn are kept and its travel across the image is not), `label`, `name`, `hand`, `fps`, `ts` (the
take's unix start time, one number) and, when the recorder wrote it, `record_s` (how long the take was recorded).

A take becomes a `LandmarkSequence` with the hand in the slot its `hand` names (`right_hand` / `left_hand`),
coordinates as stored (`attrs["coords"] = "wrist_relative_palm"`), `label`, `subject` = person, `session` =
`<person>-<hand>`, `episode` = the file stem. Frame times: the stored `fps` is a constant 30 while the takes of
one 2 s recording hold 20-61 frames (meric's about 30), so by default (`timing="record_s"`) the T frames are
spread evenly over `record_s` (`fps` = T / record_s, the stored one kept in `attrs["fps_stored"]`);
`timing="fps"` uses the stored `fps` as it is.
"""

from __future__ import annotations

import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from gestura.data.formats.registry import ReadOptions, register_format
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence

FORMAT = "presentation_clips"
HAND_SLOTS = {"Right": "right_hand", "Left": "left_hand"}
"""Folder / `hand` value -> the `LandmarkSequence` stream that holds the take."""
COORDS = "wrist_relative_palm"
"""`attrs["coords"]` of every take: wrist at the origin, palm length 1, per frame."""
MAX_FRAMES = 100_000
"""Longest take accepted (checked from the array header before the array is read)."""
TIMINGS = ("record_s", "fps")
_WIDTH = 21 * 3


def detect_presentation_clips(path: Path) -> Path | None:
    """`path` when it holds `<person>/<Right|Left>/<label>/*.npz`."""
    return path if path.is_dir() and _take_files(path, first=True) else None


def _take_files(root: Path, first: bool = False) -> list[Path]:
    out: list[Path] = []
    for person in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
        for hand in HAND_SLOTS:
            if not (person / hand).is_dir():
                continue
            for label in sorted(d for d in (person / hand).iterdir() if d.is_dir() and not d.name.startswith(".")):
                files = sorted(p for p in label.glob("*.npz") if not p.name.startswith("."))
                out += files
                if first and out:
                    return out
    return out


def _seq_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of the `seq` array of an npz, read from its header without loading it."""
    try:
        with zipfile.ZipFile(path) as zf:
            if "seq.npy" not in zf.namelist():
                raise InputError(f"{path}: no 'seq' array (arrays: {sorted(n[:-4] for n in zf.namelist())})")
            with zf.open("seq.npy") as f:
                major, _ = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(f)
    except InputError:
        raise
    except Exception as err:  # BadZipFile, ValueError from a bad header, OSError
        raise InputError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from None
    return tuple(int(s) for s in shape), np.dtype(dtype)


def _scalar(data: dict[str, np.ndarray], key: str, path: Path) -> object:
    if key not in data:
        raise InputError(f"{path}: no {key!r} array")
    v = data[key]
    if v.shape != ():
        raise InputError(f"{path}: {key!r} must be one value, got shape {v.shape}")
    return v.item()


def read_take(path: str | os.PathLike[str], *, timing: str = "record_s") -> LandmarkSequence:
    """One take file -> a one-hand `LandmarkSequence` `(T, 21, 3)`; person, hand and label come from its folders
    and must agree with the file's `name`, `hand` and `label`."""
    path = Path(path)
    if timing not in TIMINGS:
        raise InputError(f"{path}: unknown timing {timing!r}; choose from {', '.join(TIMINGS)}")
    label_dir, hand_dir, person_dir = path.parent, path.parent.parent, path.parent.parent.parent
    if hand_dir.name not in HAND_SLOTS:
        raise InputError(f"{path}: expected <person>/<Right|Left>/<label>/<file>.npz, hand folder is "
                         f"{hand_dir.name!r}")
    shape, dtype = _seq_header(path)
    if len(shape) != 2 or shape[1] != _WIDTH or not 1 <= shape[0] <= MAX_FRAMES:
        raise InputError(f"{path}: 'seq' must be (T, 63) with 1 <= T <= {MAX_FRAMES}, got {shape}")
    if dtype.kind not in "fiu":
        raise InputError(f"{path}: 'seq' must be numeric, got dtype {dtype}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in ("seq", "label", "name", "hand", "fps", "ts", "record_s") if k in npz.files}
    except Exception as err:
        raise InputError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from None
    label, name, hand = (str(_scalar(data, k, path)) for k in ("label", "name", "hand"))
    for key, value, folder in (("label", label, label_dir.name), ("hand", hand, hand_dir.name),
                               ("name", name.lower(), person_dir.name.lower())):
        if value != folder:
            raise InputError(f"{path}: {key} {value!r} disagrees with its folder {folder!r}")
    fps_stored = float(_scalar(data, "fps", path))  # type: ignore[arg-type]
    if not np.isfinite(fps_stored) or fps_stored <= 0:
        raise InputError(f"{path}: fps must be positive, got {fps_stored}")
    n = shape[0]
    attrs: dict[str, object] = {"coords": COORDS, "hand": hand, "fps_stored": fps_stored, "timing": timing}
    fps = fps_stored
    if "record_s" in data:
        record_s = float(_scalar(data, "record_s", path))  # type: ignore[arg-type]
        if not np.isfinite(record_s) or record_s <= 0:
            raise InputError(f"{path}: record_s must be positive, got {record_s}")
        attrs["record_s"] = record_s
        if timing == "record_s":
            fps = n / record_s
    elif timing == "record_s":
        attrs["timing"] = "fps"
    if "ts" in data:
        attrs["recorded_unix_s"] = float(_scalar(data, "ts", path))  # type: ignore[arg-type]
    xyz = data["seq"].astype(np.float32, copy=False).reshape(n, 21, 3)
    return LandmarkSequence.from_arrays(
        {HAND_SLOTS[hand]: xyz}, fps, label=label, video_id=path.stem, subject=person_dir.name,
        session=f"{person_dir.name}-{hand}", episode=path.stem, source=str(path), attrs=attrs,
    )


def read_presentation_clips(root: Path, *, timing: str = "record_s", workers: int | None = None
                            ) -> list[LandmarkSequence]:
    """Every take under `root` (`<person>/<Right|Left>/<label>/*.npz`), sorted by path; `workers` threads read."""
    files = _take_files(root)
    if not files:
        raise InputError(f"{root}: no <person>/<Right|Left>/<label>/*.npz takes")
    n_workers = workers or min(8, (os.cpu_count() or 1) + 2)
    if n_workers <= 1 or len(files) < 64:
        return [read_take(f, timing=timing) for f in files]
    with ThreadPoolExecutor(n_workers) as pool:
        return list(pool.map(lambda f: read_take(f, timing=timing), files))


def _read(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
    return read_presentation_clips(root, workers=options.workers)


register_format(FORMAT, detect_presentation_clips, _read)
