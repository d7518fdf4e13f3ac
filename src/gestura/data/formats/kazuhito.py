"""Kazuhito CSVs (`trajectories/*` in the shared datasets): two formats from one hand-gesture-recognition repo layout.

- `kazuhito_point_history`: `point_history.csv` rows = 16 frames of the index tip (x, y) relative to the first
  frame and divided by the image size, grouped by `point_history_episode_ids.txt` -> stream `index_tip`
  `(16, 1, 2)`.
- `kazuhito_keypoint`: `keypoint.csv` rows = 21 (x, y) relative to the wrist, divided by the largest |value| ->
  a one-frame `right_hand` `(1, 21, 3)` with z = 0.

Column 0 of both is the class index into the `*_label.csv` beside the CSV. The files sit at the folder itself,
in `<classifier>/`, or in `model/<classifier>/`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gestura.data.formats.landmark_dataset import DEFAULT_FPS
from gestura.data.formats.registry import ReadOptions, register_format
from gestura.errors import InputError
from gestura.io import read_text
from gestura.landmarks.sequence import LandmarkSequence

KAZUHITO_IMAGE_SIZES = {"kazuhito": (960, 540), "segfault03": (640, 480), "farhad99": (640, 480)}
"""Camera image size (W, H) of the known Kazuhito-style recordings, matched against the folder path."""
_POINT_HISTORY = ("point_history_classifier", "point_history.csv", "point_history_classifier_label.csv")
_KEYPOINT = ("keypoint_classifier", "keypoint.csv", "keypoint_classifier_label.csv")


def detect_point_history(path: Path) -> Path | None:
    """The folder holding `point_history.csv` at or under `path` (or `path`'s folder when it is that CSV)."""
    return _find_csv(path, _POINT_HISTORY)


def detect_keypoint(path: Path) -> Path | None:
    """The folder holding `keypoint.csv` at or under `path` (or `path`'s folder when it is that CSV)."""
    return _find_csv(path, _KEYPOINT)


def _find_csv(path: Path, files: tuple[str, str, str]) -> Path | None:
    sub, csv_name, _ = files
    if path.is_file():
        return path.parent if path.name == csv_name else None
    for base in (path, path / "model"):
        if (base / csv_name).is_file():
            return base
        if (base / sub / csv_name).is_file():
            return base / sub
    return None


def read_labels(path: Path) -> list[str]:
    """One class name per line; a byte-order mark and CR line ends are stripped."""
    if not path.is_file():
        raise InputError(f"{path}: label file not found")
    names = [ln.strip() for ln in read_text(path).splitlines()]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError(f"{path}: no class names")
    return names


def _read_csv_rows(path: Path, n_values: int, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(class index `(N,)`, values `(N, n_values)`) from a Kazuhito CSV, checking width, NaN and label range."""
    text = read_text(path)
    rows = [ln for ln in text.splitlines() if ln.strip()]
    if not rows:
        raise InputError(f"{path}: no rows")
    widths = {len(r.split(",")) for r in rows}
    if widths != {n_values + 1}:
        bad = next(i for i, r in enumerate(rows, 1) if len(r.split(",")) != n_values + 1)
        raise InputError(f"{path}:{bad}: expected {n_values + 1} comma-separated values per row "
                         f"(ragged rows: widths {sorted(widths)})")
    try:
        arr = np.array([r.split(",") for r in rows], dtype=np.float64)
    except ValueError as err:
        raise InputError(f"{path}: non-numeric value ({err})") from None
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0]) + 1
        raise InputError(f"{path}:{bad}: NaN/inf value")
    cls = arr[:, 0]
    if np.any(cls != np.round(cls)) or cls.min() < 0 or cls.max() >= len(labels):
        bad = int(np.flatnonzero((cls != np.round(cls)) | (cls < 0) | (cls >= len(labels)))[0]) + 1
        raise InputError(f"{path}:{bad}: class index {arr[bad - 1, 0]:g} outside the {len(labels)} labels")
    return cls.astype(int), arr[:, 1:]


def kazuhito_image_size(root: Path) -> tuple[int, int] | None:
    """The known camera size (W, H) for a Kazuhito-style folder, matched on its path."""
    parts = [p.lower() for p in root.resolve().parts]
    for name, size in KAZUHITO_IMAGE_SIZES.items():
        if name in parts:
            return size
    return None


def read_kazuhito_point_history(root: Path, *, image_size: tuple[int, int] | None = None) -> list[LandmarkSequence]:
    """`point_history.csv` windows -> sequences with stream `index_tip` `(16, 1, 2)`, `episode` from the ids file.

    A frame is absent when it is exactly (0, 0) after the first (README convention; a finger held perfectly
    still reads the same). farhad99 stores absent frames as minus the window's first point: a repeated pair
    with both coordinates below -0.05 is treated as absent there.
    """
    csv_path = root / _POINT_HISTORY[1]
    labels = read_labels(root / _POINT_HISTORY[2])
    cls, vals = _read_csv_rows(csv_path, 32, labels)
    ids_path = root / "point_history_episode_ids.txt"
    episodes: list[str | None] = [None] * len(cls)
    if ids_path.is_file():
        ids = [ln.strip() for ln in read_text(ids_path).splitlines() if ln.strip()]
        if len(ids) != len(cls):
            raise InputError(f"{ids_path}: {len(ids)} episode ids for {len(cls)} rows of {csv_path.name}")
        episodes = list(ids)
    size = image_size or kazuhito_image_size(root)
    farhad = "farhad99" in [p.lower() for p in root.resolve().parts]
    pts = vals.reshape(-1, 16, 2).astype(np.float32)
    present = np.ones(pts.shape[:2], dtype=bool)
    present[:, 1:] = np.abs(pts[:, 1:]).sum(axis=-1) > 0
    if farhad:
        present &= ~_farhad_absent(pts)
    pts = np.where(present[..., None], pts, 0.0)
    name = root.parent.parent.name if root.parent.name == "model" else root.name
    attrs: dict[str, object] = {"fps_assumed": True, "relative_to_first_frame": True}
    if size is not None:
        attrs["image_size"] = tuple(size)
    seqs = []
    for i in range(len(cls)):
        seqs.append(LandmarkSequence(
            streams={"index_tip": pts[i, :, None, :]}, present={"index_tip": present[i]},
            t=np.arange(16, dtype=np.float64) / DEFAULT_FPS, fps=DEFAULT_FPS, label=labels[cls[i]],
            video_id=f"{name}_ph_{i:05d}", episode=None if episodes[i] is None else f"{name}:{episodes[i]}",
            source=f"{csv_path}:{i + 1}", attrs=dict(attrs),
        ))
    return seqs


def _farhad_absent(pts: np.ndarray) -> np.ndarray:
    """`(N, 16, 2)` -> `(N, 16)` True where a frame repeats the window's "minus first point" pair."""
    absent = np.zeros(pts.shape[:2], dtype=bool)
    neg = (pts[..., 0] < -0.05) & (pts[..., 1] < -0.05)
    for i in np.flatnonzero(neg.sum(axis=1) >= 2):
        cand = pts[i, neg[i]]
        uniq, counts = np.unique(cand, axis=0, return_counts=True)
        if counts.max() >= 2:
            pair = uniq[counts.argmax()]
            absent[i] = np.all(pts[i] == pair, axis=-1)
    return absent


def read_kazuhito_keypoint(root: Path) -> list[LandmarkSequence]:
    """`keypoint.csv` rows (21 (x, y) relative to the wrist, / max |value|) -> one-frame `right_hand` (1, 21, 3)."""
    csv_path = root / _KEYPOINT[1]
    labels = read_labels(root / _KEYPOINT[2])
    cls, vals = _read_csv_rows(csv_path, 42, labels)
    xyz = np.zeros((len(cls), 1, 21, 3), dtype=np.float32)
    xyz[:, 0, :, :2] = vals.reshape(-1, 21, 2)
    name = root.parent.parent.name if root.parent.name == "model" else root.name
    one = np.ones(1, dtype=bool)
    return [
        LandmarkSequence(
            streams={"right_hand": xyz[i]}, present={"right_hand": one}, t=np.zeros(1), fps=DEFAULT_FPS,
            label=labels[cls[i]], video_id=f"{name}_kp_{i:05d}", source=f"{csv_path}:{i + 1}",
            attrs={"fps_assumed": True, "wrist_relative_maxabs": True},
        )
        for i in range(len(cls))
    ]


def _read_point_history(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
    return read_kazuhito_point_history(root, image_size=options.image_size)


def _read_keypoint(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
    return read_kazuhito_keypoint(root)


register_format("kazuhito_point_history", detect_point_history, _read_point_history)
register_format("kazuhito_keypoint", detect_keypoint, _read_keypoint)
