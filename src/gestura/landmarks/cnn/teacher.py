"""Teacher dataset for the landmark CNN: MediaPipe Hands labels hand crops cut from real videos and images.

`build_teacher_dataset(src, out)` finds every video and image under `src`, runs MediaPipe Hands on each frame
(tracking mode for videos, static mode for images), and for every hand it finds stores a square crop around the
teacher's landmarks (the same box rule the tracker uses, `hand_box`) with the landmarks in crop coordinates and
quality flags, plus a few background crops (no hand) that teach the confidence head to say "lost". Output:
`<out>/crops/<source_id>.npz` (one per source, written atomically, so a rerun skips finished sources) and
`<out>/manifest.csv` (source_id, group, path, n_hands, n_background). `group` is the video, or for photos their
folder (one recording session): split by group, never by frame.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gestura.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from gestura.errors import InputError
from gestura.io import read_npz, write_npz, write_text

BOX_SCALE = 1.6
"""Crop side = BOX_SCALE x the longer side of the hand's landmark bounding box (room for jitter and rotation)."""
MIN_HAND_PX = 24
MANIFEST_COLUMNS = ("source_id", "group", "path", "n_hands", "n_background")


@dataclass(frozen=True)
class TeacherJob:
    """One source file to label; `source_id` is unique in the dataset, `group` is its split unit."""

    path: str
    source_id: str
    group: str
    out: str
    crop_size: int = 192
    every: int = 1
    max_frames: int = 0
    background_every: int = 5
    seed: int = 0


def hand_box(xy_px: np.ndarray, scale: float = BOX_SCALE) -> tuple[float, float, float]:
    """`(21, 2)` pixel landmarks -> (cx, cy, side) of the square crop around them."""
    lo, hi = xy_px.min(axis=0), xy_px.max(axis=0)
    c = (lo + hi) / 2
    return float(c[0]), float(c[1]), float(max(hi - lo) * scale + 1e-6)


def cut_crop(rgb: np.ndarray, box: tuple[float, float, float], size: int) -> np.ndarray:
    """Square crop `(size, size, 3)` of `rgb` for `box` (cx, cy, side); outside the image is black."""
    import cv2

    from gestura.landmarks.cnn.augment import crop_affine

    m = crop_affine(box[:2], box[2], size)
    return cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_AREA if box[2] > size else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def to_crop_coords(lms: np.ndarray, box: tuple[float, float, float], size_wh: tuple[int, int]) -> np.ndarray:
    """`(21, 3)` MediaPipe normalised image landmarks -> crop units: x, y in [0, 1] of the box, z * W / side."""
    w, h = size_wh
    cx, cy, side = box
    out = np.empty_like(lms, dtype=np.float32)
    out[:, 0] = (lms[:, 0] * w - (cx - side / 2)) / side
    out[:, 1] = (lms[:, 1] * h - (cy - side / 2)) / side
    out[:, 2] = lms[:, 2] * w / side
    return out


def from_crop_coords(lms: np.ndarray, box: tuple[float, float, float], size_wh: tuple[int, int]) -> np.ndarray:
    """Inverse of `to_crop_coords`: crop units -> normalised image coordinates."""
    w, h = size_wh
    cx, cy, side = box
    out = np.empty_like(lms, dtype=np.float32)
    out[:, 0] = (lms[:, 0] * side + cx - side / 2) / w
    out[:, 1] = (lms[:, 1] * side + cy - side / 2) / h
    out[:, 2] = lms[:, 2] * side / w
    return out


def discover_media(src: str | os.PathLike[str]) -> list[Path]:
    """Every video and image at or under `src` (a file or a folder, searched recursively), sorted."""
    src = Path(src)
    if not src.exists():
        raise InputError(f"{src}: not found")
    suffixes = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file()
                                                and p.suffix.lower() in suffixes and not p.name.startswith("."))
    if not files or files[0].suffix.lower() not in suffixes:
        raise InputError(f"{src}: no videos or images found")
    return files


def plan_teacher_jobs(src: str | os.PathLike[str], out: str | os.PathLike[str], **opts: Any) -> list[TeacherJob]:
    """One job per media file; ids are paths relative to `src` with separators turned into `__`."""
    src = Path(src)
    jobs = []
    for p in discover_media(src):
        rel = p.relative_to(src) if src.is_dir() else Path(p.name)
        sid = re.sub(r"[^\w.\-]+", "_", "__".join(rel.with_suffix("").parts))
        is_image = p.suffix.lower() in IMAGE_SUFFIXES
        group = re.sub(r"[^\w.\-]+", "_", "__".join(rel.parent.parts) or "images") if is_image else sid
        jobs.append(TeacherJob(str(p), sid, group, str(out), **opts))
    return jobs


def _background_box(rng: np.random.Generator, hand_boxes: list[tuple[float, float, float]],
                    wh: tuple[int, int]) -> tuple[float, float, float] | None:
    """A box of a hand's size that does not overlap any hand box, or None after a few tries."""
    w, h = wh
    side = float(np.mean([b[2] for b in hand_boxes]))
    if side >= min(w, h):
        return None
    for _ in range(20):
        cx, cy = rng.uniform(side / 2, w - side / 2), rng.uniform(side / 2, h - side / 2)
        if all(abs(cx - b[0]) > (side + b[2]) / 2 or abs(cy - b[1]) > (side + b[2]) / 2 for b in hand_boxes):
            return cx, cy, side
    return None


def label_source(job: TeacherJob) -> dict[str, Any]:
    """Run the teacher on one file and write its crops npz; returns a manifest row (or `error`)."""
    from gestura.capture.sources import open_source
    from gestura.landmarks.mediapipe_backend import MediaPipeHands

    target = Path(job.out) / "crops" / f"{job.source_id}.npz"
    row = {"source_id": job.source_id, "group": job.group, "path": job.path}
    is_image = Path(job.path).suffix.lower() in IMAGE_SUFFIXES
    rng = np.random.default_rng(job.seed)
    crops, lms_out, left, score, frame_idx, boxes, in_frame, size_px, bg = [], [], [], [], [], [], [], [], []
    try:
        with open_source(job.path) as source, MediaPipeHands(static_image_mode=is_image, mirror=False) as teacher:
            n_used = n_hand_frames = 0
            for frame in source:
                if frame.index % job.every:
                    continue
                if job.max_frames and n_used >= job.max_frames:
                    break
                n_used += 1
                res = teacher.process(frame)
                wh = frame.size
                hb = []
                for slot in ("left_hand", "right_hand"):
                    lm = res.streams.get(slot)
                    if lm is None:
                        continue
                    px = lm[:, :2] * np.array(wh)
                    box = hand_box(px)
                    hb.append(box)
                    crops.append(cut_crop(frame.rgb, box, job.crop_size))
                    lms_out.append(to_crop_coords(lm, box, wh))
                    left.append(slot == "left_hand")
                    score.append(res.handedness.get(slot, 1.0))
                    frame_idx.append(frame.index)
                    boxes.append(box)
                    in_frame.append(bool(np.all((lm[:, :2] >= 0) & (lm[:, :2] <= 1))))
                    size_px.append(box[2] / BOX_SCALE)
                    bg.append(False)
                n_hand_frames += bool(hb)
                if hb and job.background_every and n_hand_frames % job.background_every == 1:
                    box = _background_box(rng, hb, wh)
                    if box is not None:
                        crops.append(cut_crop(frame.rgb, box, job.crop_size))
                        lms_out.append(np.zeros((21, 3), np.float32))
                        left.append(False)
                        score.append(0.0)
                        frame_idx.append(frame.index)
                        boxes.append(box)
                        in_frame.append(False)
                        size_px.append(0.0)
                        bg.append(True)
    except InputError as err:
        return {**row, "error": str(err)}
    n = len(crops)
    arrays = {
        "crops": np.stack(crops) if n else np.zeros((0, job.crop_size, job.crop_size, 3), np.uint8),
        "landmarks": np.stack(lms_out).astype(np.float32) if n else np.zeros((0, 21, 3), np.float32),
        "hand_left": np.array(left, bool), "score": np.array(score, np.float32),
        "frame": np.array(frame_idx, np.int32), "box": np.array(boxes, np.float32).reshape(-1, 3),
        "in_frame": np.array(in_frame, bool), "hand_px": np.array(size_px, np.float32),
        "background": np.array(bg, bool),
        "ok": np.array([f and s >= MIN_HAND_PX for f, s in zip(in_frame, size_px)], bool),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    write_npz(target, arrays, compressed=False)
    return {**row, "n_hands": int(n - sum(bg)), "n_background": int(sum(bg))}


def read_manifest(data_dir: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of `<data_dir>/manifest.csv`; a missing manifest is a one-line `InputError`."""
    path = Path(data_dir) / "manifest.csv"
    if not path.is_file():
        raise InputError(f"{path}: not found (build it with `gestura landmarks dataset SRC --out DIR`)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and set(MANIFEST_COLUMNS) - set(rows[0]):
        raise InputError(f"{path}: missing columns {sorted(set(MANIFEST_COLUMNS) - set(rows[0]))}")
    return rows


def read_crops(data_dir: str | os.PathLike[str], source_id: str) -> dict[str, np.ndarray]:
    """The arrays of one source's crops file."""
    return read_npz(Path(data_dir) / "crops" / f"{source_id}.npz")


def build_teacher_dataset(src: str | os.PathLike[str], out: str | os.PathLike[str], *, workers: int = 1,
                          crop_size: int = 192, every: int = 1, max_frames: int = 0, background_every: int = 5,
                          progress: bool = True, console: Any = None) -> list[dict[str, Any]]:
    """Label every video/image under `src` into `out` (see module doc); returns the manifest rows.

    Sources whose crops file exists are skipped (resume); sources that fail are reported in the returned rows
    under `error` and left out of the manifest. `every` keeps every n-th frame, `max_frames` caps frames per source.
    """
    from gestura.data.executors import map_files

    from gestura.limits import MAX_CROP, check_number

    check_number(crop_size, "--crop-size", low=16, high=MAX_CROP, integer=True)
    check_number(every, "--every", low=1, integer=True)
    check_number(max_frames, "--max-frames", low=0, integer=True)
    out = Path(out)
    (out / "crops").mkdir(parents=True, exist_ok=True)
    jobs = plan_teacher_jobs(src, out, crop_size=crop_size, every=every, max_frames=max_frames,
                             background_every=background_every)
    previous = {r["source_id"]: r for r in read_manifest(out)} if (out / "manifest.csv").is_file() else {}
    todo = [j for j in jobs if not ((out / "crops" / f"{j.source_id}.npz").is_file() and j.source_id in previous)]
    results = map_files(label_source, todo, workers=workers, progress=progress, description="teacher crops",
                        console=console, in_process=workers <= 1)
    rows = {**previous, **{r["source_id"]: r for r in results if "error" not in r}}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for sid in sorted(rows):
        writer.writerow(rows[sid])
    write_text(out / "manifest.csv", buf.getvalue())
    return [*(rows[s] for s in sorted(rows)), *(r for r in results if "error" in r)]
