"""Teacher dataset for the landmark CNN: MediaPipe Hands labels hand crops cut from real videos and images.

`build_teacher_dataset(src, out)` finds every video and image under `src`, runs MediaPipe Hands on each frame
(tracking mode for videos, static mode for images), and for every hand it finds stores a square crop around the
teacher's landmarks (the same box rule the tracker uses, `hand_box`) with the landmarks in crop coordinates and
quality flags, plus a few background crops (no hand) that teach the confidence head to say "lost". Output:
`<out>/crops/<source_id>.npz` (one per source, written atomically, so a rerun skips finished sources) and
`<out>/manifest.csv` (source_id, group, path, n_hands, n_background, kind, n_frames, n_no_hand, n_boxes,
n_boxes_missed). Frames or photos where the teacher finds no hand are counted (`n_no_hand`), never hand-labelled.

Split units (`group`), never frames: each video alone; photos by `photo_groups` (the person where the layout
reveals it, else the day or the folder). Photos with YOLO box labels (`.../images/x.jpg` beside
`.../labels/x.txt`) are searched again inside each labelled box the teacher missed (MediaPipe on the enlarged box
crop), their boxes are kept out of background crops, and `n_boxes_missed` counts boxes no teacher hand fell in.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Sequence
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
"""Required manifest columns; `MANIFEST_EXTRA` are written too but optional when read (older datasets)."""
MANIFEST_EXTRA = ("kind", "n_frames", "n_no_hand", "n_boxes", "n_boxes_missed")
PEOPLE_PER_GROUP = 10
"""Inferred people per photo group (see `photo_groups`): small enough to hold out a slice, large enough to name."""
YOLO_SEARCH_SCALE = 2.0
"""A missed YOLO box is searched again in a square crop of this x its longer side around its centre."""
_SPLIT_FOLDERS = frozenset({"images", "train", "valid", "val", "test"})
_DATE = re.compile(r"(20\d\d)[-_]?(\d\d)[-_]?(\d\d)")
_NUMBER = re.compile(r"(\d+)$")


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
    max_hands: int = 2


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


def _safe(parts: Any) -> str:
    return re.sub(r"[^\w.\-]+", "_", "__".join(parts))


def photo_groups(rel_paths: list[Path], people_per_group: int = PEOPLE_PER_GROUP) -> dict[Path, str]:
    """Split unit of each photo (paths relative to the dataset root), from what the file layout reveals.

    1. A capture date in the name (`IMG-20230312-WA0065`, `Screenshot-2023-03-14-...`): one group per folder and
       day (phone photos sent in one day's batch; the people are not recorded).
    2. Numbered camera files in class folders (`<class>/IMG_4509.JPG`, `sign-digits`): each person shot the
       classes in order, so a run of consecutive numbers whose class rises is one (inferred) person; runs are
       numbered in order and `people_per_group` of them form a group `<collection>__p<k>`.
    3. Otherwise the folder (one session).
    Folders named images/train/valid/val/test are dropped from group names, so a dataset's own random
    train/valid/test split does not become a split unit.
    """
    groups: dict[Path, str] = {}
    numbered: dict[tuple[str, ...], list[tuple[int, str, Path]]] = {}
    for rel in rel_paths:
        folder = tuple(x for x in rel.parent.parts if x.lower() not in _SPLIT_FOLDERS)
        date = _DATE.search(rel.stem)
        num = _NUMBER.search(rel.stem)
        if date:
            groups[rel] = _safe([*folder, "".join(date.groups())])
        elif num and len(rel.parent.parts) >= 1:
            numbered.setdefault(tuple(rel.parent.parts[:-1]), []).append((int(num.group(1)), rel.parent.name, rel))
        else:
            groups[rel] = _safe(folder or ("images",))
    for collection, items in numbered.items():
        if len({c for _, c, _ in items}) < 2:  # one folder of numbered photos: a session, not class folders
            groups.update({rel: _safe(rel.parent.parts or ("images",)) for _, _, rel in items})
            continue
        order = {c: i for i, c in enumerate(sorted({c for _, c, _ in items}))}
        run, prev = -1, None
        for n, c, rel in sorted(items):
            if prev is None or n != prev[0] + 1 or order[c] <= order[prev[1]]:
                run += 1
            prev = (n, c)
            groups[rel] = _safe([*collection, f"p{run // people_per_group:03d}"] if collection
                                else [f"p{run // people_per_group:03d}"])
    return groups


def plan_teacher_jobs(src: str | os.PathLike[str], out: str | os.PathLike[str], **opts: Any) -> list[TeacherJob]:
    """One job per media file; ids are paths relative to `src` with separators turned into `__`; groups: each
    video alone, photos by `photo_groups`."""
    src = Path(src)
    files = discover_media(src)
    rels = [p.relative_to(src) if src.is_dir() else Path(p.name) for p in files]
    pgroups = photo_groups([r for p, r in zip(files, rels) if p.suffix.lower() in IMAGE_SUFFIXES])
    jobs = []
    for p, rel in zip(files, rels):
        sid = _safe(rel.with_suffix("").parts)
        jobs.append(TeacherJob(str(p), sid, pgroups.get(rel, sid), str(out), **opts))
    return jobs


def yolo_boxes(image_path: str | os.PathLike[str]) -> np.ndarray | None:
    """YOLO box labels of an image (`.../images/x.jpg` -> `.../labels/x.txt`) as `(N, 4)` normalised
    (cx, cy, w, h), or None when the image has no label file. A malformed file is a one-line `InputError`."""
    p = Path(image_path)
    if p.parent.name != "images":
        return None
    label = p.parent.parent / "labels" / f"{p.stem}.txt"
    if not label.is_file():
        return None
    rows = []
    for i, line in enumerate(label.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            vals = [float(v) for v in parts[1:5]]
        except ValueError:
            vals = []
        if len(parts) < 5 or len(vals) != 4 or not all(0 <= v <= 1.0001 for v in vals):
            raise InputError(f"{label}: line {i} is not a YOLO box 'class cx cy w h' with values in [0, 1]")
        rows.append(vals)
    return np.array(rows, np.float32).reshape(-1, 4)


_STATIC_TEACHER: list[Any] = []


def _static_teacher(max_hands: int = 2) -> Any:
    """One MediaPipe Hands in static-image mode per process and `max_hands` (stateless between images, costly
    to build)."""
    from gestura.landmarks.mediapipe_backend import MediaPipeHands

    for t in _STATIC_TEACHER:
        if t.max_hands == max_hands:
            return t
    _STATIC_TEACHER.append(MediaPipeHands(static_image_mode=True, mirror=False, max_hands=max_hands))
    return _STATIC_TEACHER[-1]


def _search_box(teacher: Any, frame: Any, box: np.ndarray) -> dict[str, np.ndarray]:
    """Teacher hands inside a YOLO box the whole-image pass missed: MediaPipe on the enlarged box crop, mapped
    back to whole-image normalised coordinates."""
    from gestura.capture.frame import Frame

    w, h = frame.size
    side = max(box[2] * w, box[3] * h) * YOLO_SEARCH_SCALE
    x0, y0 = int(max(0, box[0] * w - side / 2)), int(max(0, box[1] * h - side / 2))
    x1, y1 = int(min(w, box[0] * w + side / 2)), int(min(h, box[1] * h + side / 2))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return {}
    sub = np.ascontiguousarray(frame.rgb[y0:y1, x0:x1])
    res = teacher.process(Frame(rgb=sub, t_ms=frame.t_ms, index=frame.index))
    found = {}
    for slot, lm in res.streams.items():
        if lm is None:
            continue
        lm = lm.copy()
        lm[:, 0] = (x0 + lm[:, 0] * (x1 - x0)) / w
        lm[:, 1] = (y0 + lm[:, 1] * (y1 - y0)) / h
        lm[:, 2] *= (x1 - x0) / w
        found[slot] = lm
    return found


def _background_box(rng: np.random.Generator, hand_boxes: list[tuple[float, float, float]],
                    wh: tuple[int, int], avoid: Sequence[tuple[float, float, float]] = (),
                    ) -> tuple[float, float, float] | None:
    """A box of a hand's size that overlaps no hand box (nor `avoid`, e.g. labelled boxes), or None after a few
    tries."""
    w, h = wh
    side = float(np.mean([b[2] for b in hand_boxes]))
    if side >= min(w, h):
        return None
    keep_out = [*hand_boxes, *avoid]
    for _ in range(20):
        cx, cy = rng.uniform(side / 2, w - side / 2), rng.uniform(side / 2, h - side / 2)
        if all(abs(cx - b[0]) > (side + b[2]) / 2 or abs(cy - b[1]) > (side + b[2]) / 2 for b in keep_out):
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
    labelled = yolo_boxes(job.path) if is_image else None
    n_used = n_hand_frames = n_missed_boxes = 0
    try:
        with open_source(job.path) as source, \
                (contextlib.nullcontext(_static_teacher(job.max_hands)) if is_image
                 else MediaPipeHands(mirror=False, max_hands=job.max_hands)) as teacher:
            for frame in source:
                if frame.index % job.every:
                    continue
                if job.max_frames and n_used >= job.max_frames:
                    break
                n_used += 1
                res = teacher.process(frame)
                wh = frame.size
                streams = {k: v for k, v in res.streams.items() if v is not None}
                hands_xy = [v[:, :2] for v in streams.values()]
                for yb in labelled if labelled is not None else ():
                    if not any(_inside(xy.mean(axis=0), yb) for xy in hands_xy):
                        extra = {k: v for k, v in _search_box(teacher, frame, yb).items()
                                 if _inside(v[:, :2].mean(axis=0), yb) and k not in streams}
                        streams.update(extra)
                        hands_xy += [v[:, :2] for v in extra.values()]
                        n_missed_boxes += not extra
                hb = []
                for slot in ("left_hand", "right_hand"):
                    lm = streams.get(slot)
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
                    avoid = [(b[0] * wh[0], b[1] * wh[1], max(b[2] * wh[0], b[3] * wh[1]) * BOX_SCALE)
                             for b in (labelled if labelled is not None else ())]
                    bg_box = _background_box(rng, hb, wh, avoid)
                    if bg_box is not None:
                        crops.append(cut_crop(frame.rgb, bg_box, job.crop_size))
                        lms_out.append(np.zeros((21, 3), np.float32))
                        left.append(False)
                        score.append(0.0)
                        frame_idx.append(frame.index)
                        boxes.append(bg_box)
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
    return {**row, "n_hands": int(n - sum(bg)), "n_background": int(sum(bg)), "kind": "image" if is_image else
            "video", "n_frames": n_used, "n_no_hand": n_used - n_hand_frames,
            "n_boxes": 0 if labelled is None else len(labelled), "n_boxes_missed": n_missed_boxes}


def _inside(xy: np.ndarray, yolo: np.ndarray) -> bool:
    """True when normalised point `xy` lies in the normalised YOLO box (cx, cy, w, h)."""
    return bool(abs(xy[0] - yolo[0]) <= yolo[2] / 2 and abs(xy[1] - yolo[1]) <= yolo[3] / 2)


def summarize_teacher_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per kind (video/image): sources, frames, frames or photos with no teacher hand, hand and background crops,
    labelled boxes and boxes the teacher missed; the numbers `gestura landmarks dataset` reports."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if "error" in r:
            continue
        k = out.setdefault(str(r.get("kind") or "unknown"), {"sources": 0, "frames": 0, "no_hand": 0, "hands": 0,
                                                             "background": 0, "boxes": 0, "boxes_missed": 0})
        k["sources"] += 1
        for key, col in (("frames", "n_frames"), ("no_hand", "n_no_hand"), ("hands", "n_hands"),
                         ("background", "n_background"), ("boxes", "n_boxes"), ("boxes_missed", "n_boxes_missed")):
            k[key] += int(r.get(col) or 0)
    return out


def describe_teacher_rows(rows: list[dict[str, Any]]) -> str:
    """One line per kind for the console: crops, and the photos/frames the teacher found no hand in."""
    lines = []
    for kind, k in sorted(summarize_teacher_rows(rows).items()):
        unit = "photos" if kind == "image" else "frames"
        line = (f"{kind}: {k['sources']} sources, {k['hands']} hand crops, {k['background']} background crops; "
                f"no teacher hand in {k['no_hand']} of {k['frames']} {unit} (counted, not labelled)")
        if k["boxes"]:
            line += f"; {k['boxes_missed']} of {k['boxes']} labelled boxes without a teacher hand"
        lines.append(line)
    return "\n".join(lines)


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
                          max_hands: int = 2, progress: bool = True, console: Any = None) -> list[dict[str, Any]]:
    """Label every video/image under `src` into `out` (see module doc); returns the manifest rows.

    Sources whose crops file exists are skipped (resume); sources that fail are reported in the returned rows
    under `error` and left out of the manifest. `every` keeps every n-th frame, `max_frames` caps frames per source.
    `max_hands=1` for one-hand photos is about 6x faster on images: MediaPipe's strip search for a second hand
    (5 more passes per photo) is skipped.
    """
    from gestura.data.executors import map_files

    from gestura.limits import MAX_CROP, check_number

    check_number(crop_size, "--crop-size", low=16, high=MAX_CROP, integer=True)
    check_number(every, "--every", low=1, integer=True)
    check_number(max_frames, "--max-frames", low=0, integer=True)
    check_number(max_hands, "--max-hands", low=1, high=2, integer=True)
    out = Path(out)
    (out / "crops").mkdir(parents=True, exist_ok=True)
    jobs = plan_teacher_jobs(src, out, crop_size=crop_size, every=every, max_frames=max_frames,
                             background_every=background_every, max_hands=max_hands)
    previous = {r["source_id"]: r for r in read_manifest(out)} if (out / "manifest.csv").is_file() else {}
    todo = [j for j in jobs if not ((out / "crops" / f"{j.source_id}.npz").is_file() and j.source_id in previous)]
    results = map_files(label_source, todo, workers=workers, progress=progress, description="teacher crops",
                        console=console, in_process=workers <= 1)
    rows = {**previous, **{r["source_id"]: r for r in results if "error" not in r}}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=(*MANIFEST_COLUMNS, *MANIFEST_EXTRA), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for sid in sorted(rows):
        writer.writerow(rows[sid])
    write_text(out / "manifest.csv", buf.getvalue())
    return [*(rows[s] for s in sorted(rows)), *(r for r in results if "error" in r)]
