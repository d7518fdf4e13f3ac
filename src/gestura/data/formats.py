"""Landmark datasets on disk: one `LandmarkDataset` type and readers for the formats users already have.

Formats (`load_dataset(path, format=...)` detects them; `FORMATS` lists the names):
- `seed003`: one `<video_id>.npz` per sequence + `groundtruth.txt` (`<video_id> <frame_idx> <label>`, a label holds
  from its frame until the next line of that video) + optional `meta.csv` (`recorded_by`/`subject`, `session`,
  `episode`, `fps`). `asl-traduttore/*`, `presentation-streams` and `gestura extract` output use it.
- `mp_data`: `<action>/<seq>/<frame>.npy`, 1662 floats per frame (pose 33x4, face/left/right hand x,y,z) or 2172
  (x,y,z,visibility for all 543 points); zeros mean "not detected".
- `kazuhito_point_history`: `point_history.csv` rows = 16 frames of the index tip (x, y) relative to the first frame
  and divided by the image size, grouped by `point_history_episode_ids.txt` -> stream `index_tip` `(16, 1, 2)`.
- `kazuhito_keypoint`: `keypoint.csv` rows = 21 (x, y) relative to the wrist, divided by the largest |value| ->
  a one-frame `right_hand` `(1, 21, 3)` with z = 0.
- `presentation_clips`: `<person>/<Right|Left>/<label>/*.npz` takes, wrist-relative and palm-scaled
  (`gestura.data.presentation_clips`).
Every problem is an `InputError` with one line naming the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gestura.errors import InputError
from gestura.io import write_text
from gestura.data.presentation_clips import looks_like_presentation_clips, read_presentation_clips
from gestura.landmarks.sequence import HAND_STREAMS, LandmarkSequence
from gestura.limits import MAX_FPS

FORMATS = ("seed003", "mp_data", "kazuhito_point_history", "kazuhito_keypoint", "presentation_clips")
DEFAULT_FPS = 30.0
"""Frame rate assumed where a format does not record one (`attrs["fps_assumed"]` is then True)."""
KAZUHITO_IMAGE_SIZES = {"kazuhito": (960, 540), "segfault03": (640, 480), "farhad99": (640, 480)}
"""Camera image size (W, H) of the known Kazuhito-style recordings, matched against the folder path."""
_POINT_HISTORY = ("point_history_classifier", "point_history.csv", "point_history_classifier_label.csv")
_KEYPOINT = ("keypoint_classifier", "keypoint.csv", "keypoint_classifier_label.csv")
_MP_LAYOUTS = {1662: 3, 2172: 4}  # values per frame -> coordinates stored per face/hand point


@dataclass
class LandmarkDataset:
    """A list of `LandmarkSequence`s read from `root` in `format`, with label and grouping helpers."""

    root: Path
    format: str
    sequences: list[LandmarkSequence]

    def __len__(self) -> int:
        return len(self.sequences)

    def __iter__(self) -> Iterator[LandmarkSequence]:
        return iter(self.sequences)

    def __getitem__(self, i: int) -> LandmarkSequence:
        return self.sequences[i]

    @property
    def labels(self) -> list[str]:
        """Sorted class names over clip labels and frame labels."""
        names: set[str] = set()
        for s in self.sequences:
            if s.label is not None:
                names.add(s.label)
            if s.frame_labels is not None:
                names.update(str(x) for x in np.unique(s.frame_labels))
        return sorted(names)

    def label_counts(self) -> dict[str, int]:
        """Samples per class: one per clip label, one per run of equal frame labels in continuous streams."""
        counts: Counter[str] = Counter()
        for s in self.sequences:
            if s.frame_labels is not None and s.frame_labels.size:
                fl = s.frame_labels
                starts = np.flatnonzero(np.r_[True, fl[1:] != fl[:-1]])
                counts.update(str(fl[i]) for i in starts)
            elif s.label is not None:
                counts[s.label] += 1
        return dict(sorted(counts.items()))

    def group_ids(self, key: str) -> np.ndarray:
        """`(N,)` str ids per sequence for `key` in subject/session/episode/video_id ("" where unknown)."""
        if key not in ("subject", "session", "episode", "video_id"):
            raise InputError(f"unknown group key {key!r}; choose from subject, session, episode, video_id")
        return np.array([getattr(s, key) or "" for s in self.sequences], dtype=str)

    def summary(self) -> dict[str, object]:
        """Facts `gestura data info` prints: counts, group sizes, lengths, missing-hand rate."""
        lengths = np.array([s.n_frames for s in self.sequences], dtype=int)
        n_frames = int(lengths.sum())
        missing = 0
        for s in self.sequences:
            hand_keys = [k for k in (*HAND_STREAMS, "index_tip") if k in s.streams]
            if hand_keys:
                missing += int((~np.any([s.present[k] for k in hand_keys], axis=0)).sum())
            else:
                missing += s.n_frames
        streams = sorted({f"{k}{tuple(v.shape[1:])}" for s in self.sequences for k, v in s.streams.items()})
        fps = sorted({round(s.fps, 1) for s in self.sequences})
        return {
            "root": str(self.root),
            "format": self.format,
            "n_sequences": len(self.sequences),
            "n_frames": n_frames,
            "classes": self.label_counts(),
            "unlabelled": sum(s.label is None and s.frame_labels is None for s in self.sequences),
            "groups": {k: len(set(self.group_ids(k)) - {""}) for k in ("subject", "session", "episode")},
            "length": (
                {"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())}
                if lengths.size else {}
            ),
            "missing_hand_rate": missing / n_frames if n_frames else 0.0,
            "streams": streams,
            "fps": fps,
            "fps_assumed": any(bool(s.attrs.get("fps_assumed")) for s in self.sequences),
        }


# ============================================================================ entry point
def load_dataset(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    image_size: tuple[int, int] | None = None,
    workers: int | None = None,
) -> LandmarkDataset:
    """Read a dataset folder (or a Kazuhito CSV file) in `format`, detected when None.

    `image_size` (W, H) overrides the size inferred from the folder name for Kazuhito point histories;
    `workers` threads read seed-003 and presentation-clips `.npz` files (default: up to 8).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if format is not None and format not in FORMATS:
        raise InputError(f"{path}: unknown dataset format {format!r}; choose from {', '.join(FORMATS)}")
    fmt, root = detect_format(path, format)
    if fmt == "seed003":
        seqs = read_seed003(root, workers=workers)
    elif fmt == "mp_data":
        seqs = read_mp_data(root)
    elif fmt == "presentation_clips":
        seqs = read_presentation_clips(root, workers=workers)
    elif fmt == "kazuhito_point_history":
        seqs = read_kazuhito_point_history(root, image_size=image_size)
    else:
        seqs = read_kazuhito_keypoint(root)
    return LandmarkDataset(root=root, format=fmt, sequences=seqs)


def detect_format(path: Path, format: str | None = None) -> tuple[str, Path]:
    """(format, the path its reader takes) for a dataset folder, a Kazuhito folder/CSV, or an MP_Data parent."""
    found = detect_formats(path)
    if format is not None:
        for fmt, root in found:
            if fmt == format:
                return fmt, root
        what = ", ".join(f for f, _ in found) or "no known layout"
        raise InputError(f"{path}: not a {format} dataset (found: {what})")
    if not found:
        raise InputError(
            f"{path}: unknown dataset format (expected *.npz + groundtruth.txt, <action>/<seq>/<frame>.npy, "
            "<person>/<Right|Left>/<label>/*.npz, or Kazuhito point_history.csv/keypoint.csv)"
        )
    return found[0]


def detect_formats(path: Path) -> list[tuple[str, Path]]:
    """Every (format, reader path) found at `path`, the default first (point history before keypoint)."""
    if path.is_file():
        if path.name == _POINT_HISTORY[1]:
            return [("kazuhito_point_history", path.parent)]
        if path.name == _KEYPOINT[1]:
            return [("kazuhito_keypoint", path.parent)]
        if path.suffix == ".npz" or path.name == "groundtruth.txt":
            return [("seed003", path.parent)]
        return []
    out: list[tuple[str, Path]] = []
    for base in (path, path / "model"):
        for fmt, (sub, csv_name, _) in (("kazuhito_point_history", _POINT_HISTORY), ("kazuhito_keypoint", _KEYPOINT)):
            if (base / csv_name).is_file():
                out.append((fmt, base))
            elif (base / sub / csv_name).is_file():
                out.append((fmt, base / sub))
    if out:
        return out
    if (path / "groundtruth.txt").is_file() or next(path.glob("*.npz"), None) is not None:
        return [("seed003", path)]
    if looks_like_presentation_clips(path):
        return [("presentation_clips", path)]
    if _looks_like_mp_data(path):
        return [("mp_data", path)]
    subdirs = [d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if len(subdirs) == 1 or (path / "MP_Data").is_dir():
        inner = path / "MP_Data" if (path / "MP_Data").is_dir() else subdirs[0]
        return detect_formats(inner)
    return []


def _looks_like_mp_data(path: Path) -> bool:
    for action in sorted(path.iterdir()):
        if action.is_dir():
            for seq in sorted(action.iterdir()):
                if seq.is_dir() and next(seq.glob("*.npy"), None) is not None:
                    return True
    return False


# ============================================================================ seed-003
def _read_text(path: Path) -> str:
    """A UTF-8 text file (BOM stripped); missing, unreadable or binary files are one-line errors."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None


def read_groundtruth(path: Path) -> dict[str, list[tuple[int, str]]]:
    """`groundtruth.txt` -> {video_id: [(frame_idx, label), ...] sorted by frame}."""
    out: dict[str, list[tuple[int, str]]] = {}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) != 3 or not re.fullmatch(r"\d+", parts[1]):
            raise InputError(f"{path}:{lineno}: expected '<video_id> <frame_idx> <label>', got {line.strip()!r}")
        vid, frame, label = parts[0], int(parts[1]), parts[2].strip()
        marks = out.setdefault(vid, [])
        if any(f == frame for f, _ in marks):
            raise InputError(f"{path}:{lineno}: second label for {vid} frame {frame}")
        marks.append((frame, label))
    for marks in out.values():
        marks.sort()
    return out


def read_meta(path: Path) -> dict[str, dict[str, str]]:
    """`meta.csv` -> {video_id: row}; a missing `video_id` column is an error."""
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    try:
        if reader.fieldnames is None or "video_id" not in reader.fieldnames:
            raise InputError(f"{path}: no 'video_id' column (columns: {reader.fieldnames})")
        return {row["video_id"]: row for row in reader}
    except csv.Error as err:
        raise InputError(f"{path}: malformed CSV ({err})") from None


def frame_labels_from_marks(marks: Sequence[tuple[int, str]], n_frames: int, where: str) -> np.ndarray:
    """Expand change-point annotations [(frame, label)] to `(T,)` labels, each holding until the next mark."""
    if marks[0][0] != 0:
        raise InputError(f"{where}: first annotation is at frame {marks[0][0]}, so frames before it have no label")
    if marks[-1][0] >= n_frames:
        raise InputError(f"{where}: annotation at frame {marks[-1][0]} but the sequence has {n_frames} frames")
    starts = np.array([f for f, _ in marks])
    names = np.array([lab for _, lab in marks], dtype=str)
    return names[np.searchsorted(starts, np.arange(n_frames), side="right") - 1]


def read_seed003(root: Path, *, workers: int | None = None) -> list[LandmarkSequence]:
    """Read every `<video_id>.npz` in `root` with labels from `groundtruth.txt` and ids from `meta.csv`.

    Without `groundtruth.txt` the sequences are unlabelled (an unlabelled `gestura extract` run); with it, a line
    naming a missing npz or an npz without a line is an error.
    """
    files = {p.stem: p for p in sorted(root.glob("*.npz")) if not p.name.startswith(".")}
    gt_path, meta_path = root / "groundtruth.txt", root / "meta.csv"
    marks = read_groundtruth(gt_path) if gt_path.is_file() else None
    meta = read_meta(meta_path) if meta_path.is_file() else {}
    if marks is not None:
        if missing := sorted(set(marks) - set(files)):
            raise InputError(f"{gt_path}: {len(missing)} video id(s) have no .npz, e.g. {missing[0]}.npz")
        if unlabelled := sorted(set(files) - set(marks)):
            raise InputError(f"{root / (unlabelled[0] + '.npz')}: no line in {gt_path.name} "
                             f"({len(unlabelled)} unlabelled npz)")
    if not files:
        raise InputError(f"{root}: no .npz files")
    if marks is None and any(row.get("label") for row in meta.values()):
        raise InputError(f"{gt_path}: label file missing ({meta_path.name} names labels but there is no groundtruth)")

    def one(vid: str) -> LandmarkSequence:
        row = meta.get(vid, {})
        ids = {
            "subject": row.get("subject") or row.get("recorded_by") or None,
            "session": row.get("session") or None,
            "episode": row.get("episode") or None,
        }
        seq = LandmarkSequence.from_npz(files[vid], video_id=vid, **ids)
        seq = _apply_meta_fps(seq, files[vid], row)
        if marks is not None:
            m = marks[vid]
            where = f"{gt_path} ({vid})"
            if len(m) == 1 and m[0][0] == 0:
                seq.label = m[0][1]
            else:
                seq.frame_labels = frame_labels_from_marks(m, seq.n_frames, where)
        if row.get("hand"):
            seq.attrs["hand"] = row["hand"]
        return seq

    n_workers = workers or min(8, (os.cpu_count() or 1) + 2)
    vids = list(files)
    if n_workers <= 1 or len(vids) < 64:
        return [one(v) for v in vids]
    with ThreadPoolExecutor(n_workers) as pool:
        return list(pool.map(one, vids))


def _apply_meta_fps(seq: LandmarkSequence, path: Path, row: dict[str, str]) -> LandmarkSequence:
    """Use meta.csv's `fps` when the npz has none; mark the default 30 fps as assumed otherwise."""
    if not row.get("fps"):
        if seq.fps == DEFAULT_FPS and np.allclose(seq.t, np.arange(seq.n_frames) / DEFAULT_FPS):
            seq.attrs["fps_assumed"] = True
        return seq
    with zipfile.ZipFile(path) as zf:
        has_fps = "fps.npy" in zf.namelist()
    if has_fps:
        return seq
    try:
        fps = float(row["fps"])
    except ValueError:
        raise InputError(f"{path.parent / 'meta.csv'}: fps {row['fps']!r} of {seq.video_id} is not a number") from None
    if not np.isfinite(fps) or fps <= 0 or fps > MAX_FPS:
        raise InputError(f"{path.parent / 'meta.csv'}: fps {row['fps']!r} of {seq.video_id} must be positive "
                         f"and <= {MAX_FPS:g}")
    has_t = not np.allclose(seq.t, np.arange(seq.n_frames) / seq.fps)
    return replace(seq, fps=fps, t=seq.t if has_t else np.arange(seq.n_frames, dtype=np.float64) / fps)


def write_seed003(out_dir: str | os.PathLike[str], sequences: Sequence[LandmarkSequence]) -> Path:
    """Write sequences as `<video_id>.npz` + `groundtruth.txt` + `meta.csv` (every file atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for s in sequences:
        if not s.video_id or re.search(r"[\s/\\]", s.video_id):
            raise InputError(f"{out}: video_id {s.video_id!r} must be non-empty without spaces or slashes")
        if s.video_id in seen:
            raise InputError(f"{out}: duplicate video_id {s.video_id!r}")
        seen.add(s.video_id)
    gt_lines: list[str] = []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["video_id", "label", "recorded_by", "session", "episode", "n_frames", "fps"])
    for s in sequences:
        s.to_npz(out / f"{s.video_id}.npz")
        if s.frame_labels is not None:
            fl = s.frame_labels
            for i in np.flatnonzero(np.r_[True, fl[1:] != fl[:-1]]):
                gt_lines.append(f"{s.video_id} {i} {fl[i]}")
            label = "mixed" if len(set(fl.tolist())) > 1 else str(fl[0])
        elif s.label is not None:
            gt_lines.append(f"{s.video_id} 0 {s.label}")
            label = s.label
        else:
            label = ""
        writer.writerow([s.video_id, label, s.subject or "", s.session or "", s.episode or "", s.n_frames,
                         f"{s.fps:.3f}"])
    if gt_lines:
        write_text(out / "groundtruth.txt", "\n".join(gt_lines) + "\n")
    write_text(out / "meta.csv", buf.getvalue())
    return out


# ============================================================================ MP_Data
def read_mp_data(root: Path) -> list[LandmarkSequence]:
    """Read `<action>/<seq>/<frame>.npy` (1662 or 2172 per frame); zeros mean "not detected"."""
    seqs: list[LandmarkSequence] = []
    for action in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
        seq_dirs = [d for d in action.iterdir() if d.is_dir()]
        for seq_dir in sorted(seq_dirs, key=lambda d: _int_key(d.name)):
            frames = sorted(seq_dir.glob("*.npy"), key=lambda p: _int_name(p))
            if not frames:
                raise InputError(f"{seq_dir}: no .npy frames")
            rows = []
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


# ============================================================================ Kazuhito CSVs
def read_labels(path: Path) -> list[str]:
    """One class name per line; a byte-order mark and CR line ends are stripped."""
    if not path.is_file():
        raise InputError(f"{path}: label file not found")
    names = [ln.strip() for ln in _read_text(path).splitlines()]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError(f"{path}: no class names")
    return names


def _read_csv_rows(path: Path, n_values: int, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(class index `(N,)`, values `(N, n_values)`) from a Kazuhito CSV, checking width, NaN and label range."""
    text = _read_text(path)
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
        ids = [ln.strip() for ln in _read_text(ids_path).splitlines() if ln.strip()]
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


def format_summary(summary: dict[str, object]) -> str:
    """Human-readable lines of `LandmarkDataset.summary()` for `gestura data info`."""
    s = summary
    classes: dict[str, int] = s["classes"]  # type: ignore[assignment]
    groups: dict[str, int] = s["groups"]  # type: ignore[assignment]
    length: dict[str, float] = s["length"]  # type: ignore[assignment]
    fps: list[float] = s["fps"]  # type: ignore[assignment]
    lines = [
        f"dataset   {s['root']}",
        f"format    {s['format']}",
        f"samples   {s['n_sequences']} sequences, {s['n_frames']} frames",
        f"streams   {', '.join(s['streams'])}",  # type: ignore[arg-type]
        f"fps       {', '.join(f'{f:g}' for f in fps)}{' (assumed, not recorded)' if s['fps_assumed'] else ''}",
        f"length    min {length.get('min')}  median {length.get('median', 0):g}  max {length.get('max')} frames",
        "groups    " + "  ".join(f"{k}s {v if v else 'unknown'}" for k, v in groups.items()),
        f"missing   no hand in {100 * float(s['missing_hand_rate']):.1f}% of frames",  # type: ignore[arg-type]
        f"classes   {len(classes)}" + (f" ({s['unlabelled']} unlabelled sequences)" if s["unlabelled"] else ""),
    ]
    width = max((len(k) for k in classes), default=0)
    lines += [f"  {k:<{width}}  {v}" for k, v in classes.items()]
    return "\n".join(lines)
