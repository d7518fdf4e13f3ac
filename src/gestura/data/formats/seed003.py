"""`seed003`: the per-clip `.npz` layout (called "seed-003 layout" in the shared datasets' README).

One `<video_id>.npz` per sequence (`LandmarkSequence.to_npz`) + `groundtruth.txt` (`<video_id> <frame_idx> <label>`;
a label holds from its frame until the next line of that video) + optional `meta.csv` (`recorded_by`/`subject`,
`session`, `episode`, `fps`, `hand`). `asl-traduttore/*`, `presentation-streams` and `gestura extract` use it, and
`write_seed003` writes it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from gestura.data.formats.landmark_dataset import DEFAULT_FPS
from gestura.data.formats.registry import ReadOptions, register_format
from gestura.errors import InputError
from gestura.io import read_text, write_text
from gestura.landmarks.sequence import LandmarkSequence
from gestura.limits import MAX_FPS

FORMAT = "seed003"


def detect_seed003(path: Path) -> Path | None:
    """The folder of a seed003 dataset at `path` (the folder, or one of its `.npz` / `groundtruth.txt`)."""
    if path.is_file():
        return path.parent if path.suffix == ".npz" or path.name == "groundtruth.txt" else None
    if (path / "groundtruth.txt").is_file() or next(path.glob("*.npz"), None) is not None:
        return path
    return None


def read_groundtruth(path: Path) -> dict[str, list[tuple[int, str]]]:
    """`groundtruth.txt` -> {video_id: [(frame_idx, label), ...] sorted by frame}."""
    out: dict[str, list[tuple[int, str]]] = {}
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
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
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
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


def _read(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
    return read_seed003(root, workers=options.workers)


register_format(FORMAT, detect_seed003, _read)
