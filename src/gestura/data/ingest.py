"""`extract`: videos and images -> a landmark dataset in the seed-003 layout, in parallel and resumable.

SRC is a video, an image, a folder of videos/images, or a folder whose subfolders are class labels (as MediaPipe
Model Maker's `Dataset.from_folder`; inside a class folder a sub-folder of images is one clip, its frames in name
order). Each clip becomes `<out>/<video_id>.npz` (`LandmarkSequence.to_npz`); the run then writes `meta.csv`
(every clip in the folder), `groundtruth.txt` (`<video_id> 0 <label>`, when labels are known) and `errors.csv`
(one row per file that failed in this run). Outputs that already exist are skipped, so a stopped run resumes.

SRC may also be a manifest CSV with a `path` column (relative paths are read against the CSV's folder) and an
optional `label` column: the file list for a large dataset kept elsewhere. `engine="ray"` runs the same per-clip
function as Ray tasks (`gestura.data.executors`): outputs, resume rule, `errors.csv` and atomic writes are those
of the local engine, because only the executor changes.

`backend="cnn"` runs our landmark CNN (`landmark_model` folder) instead of MediaPipe Hands; each job carries the
choice, so local and Ray workers build the same backend (`gestura.landmarks.backend.create_landmark_backend`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gestura.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, list_images
from gestura.errors import GesturaError, InputError
from gestura.io import write_text

if TYPE_CHECKING:
    from rich.console import Console

    from gestura.landmarks.backend import LandmarkBackend

META_COLUMNS = ("video_id", "label", "source", "n_frames", "fps", "hand_present_rate", "width", "height")
ERROR_COLUMNS = ("video_id", "source", "error")
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


@dataclass(frozen=True)
class ExtractJob:
    """One clip to extract: `kind` is "video", "image" or "frames" (a folder of images)."""

    source: str
    kind: str
    video_id: str
    label: str | None
    out_path: str
    holistic: bool = False
    max_hands: int = 2
    mirror: bool = True
    backend: str = "mediapipe"
    landmark_model: str | None = None


@dataclass
class ClipResult:
    """What one job produced: a `meta.csv` row, or `error` (one line) when the clip failed."""

    video_id: str
    source: str
    label: str | None = None
    n_frames: int = 0
    fps: float = 0.0
    hand_present_rate: float = 0.0
    width: int = 0
    height: int = 0
    error: str | None = None
    skipped: bool = False
    seconds: float = 0.0

    def meta_row(self) -> dict[str, str]:
        return {"video_id": self.video_id, "label": self.label or "", "source": self.source,
                "n_frames": str(self.n_frames), "fps": f"{self.fps:g}",
                "hand_present_rate": f"{self.hand_present_rate:.4f}", "width": str(self.width),
                "height": str(self.height)}


@dataclass
class ExtractReport:
    """Outcome of `extract`: per-clip results of this run (extracted, skipped as done, failed)."""

    out: Path
    results: list[ClipResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def extracted(self) -> list[ClipResult]:
        return [r for r in self.results if r.error is None and not r.skipped]

    @property
    def skipped(self) -> list[ClipResult]:
        return [r for r in self.results if r.skipped]

    @property
    def errors(self) -> list[ClipResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def n_frames(self) -> int:
        """Frames run through the landmark backend in this run."""
        return sum(r.n_frames for r in self.extracted)

    @property
    def frames_per_second(self) -> float:
        return self.n_frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def labels(self) -> dict[str, int]:
        """Clip count per label over extracted and skipped clips."""
        counts: dict[str, int] = {}
        for r in self.results:
            if r.error is None and r.label:
                counts[r.label] = counts.get(r.label, 0) + 1
        return dict(sorted(counts.items()))


# ----------------------------------------------------------------------------------------------- discovery
def _clean(name: str) -> str:
    """Make a name safe for the space-separated groundtruth.txt and for file names."""
    return re.sub(r"[^\w.\-]+", "_", name.strip()).strip("_") or "clip"


def _media_in(folder: Path) -> list[tuple[Path, str]]:
    """(path, kind) for the media files in `folder`, and its image sub-folders as "frames" clips."""
    found: list[tuple[Path, str]] = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES:
            found.append((p, "image" if p.suffix.lower() in IMAGE_SUFFIXES else "video"))
        elif p.is_dir() and list_images(p):
            found.append((p, "frames"))
    return found


def read_manifest(path: str | os.PathLike[str]) -> list[tuple[Path, str, str | None]]:
    """(path, kind, label) for every row of a manifest CSV (`path` column, optional `label`).

    A listed file that does not exist is kept: it fails on its own and lands in errors.csv like any bad file.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = [c.strip() for c in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: cannot read the manifest ({err})") from None
    if "path" not in fields:
        raise InputError(f"{path}: manifest needs a 'path' column (has {', '.join(fields) or 'none'})")
    clips: list[tuple[Path, str, str | None]] = []
    for n, row in enumerate(rows, start=2):
        if not row.get("path"):
            raise InputError(f"{path}: line {n}: empty path")
        p = Path(row["path"]).expanduser()
        p = p if p.is_absolute() else path.parent / p
        kind = "frames" if p.is_dir() else "image" if p.suffix.lower() in IMAGE_SUFFIXES else "video"
        clips.append((p, kind, _clean(row["label"]) if row.get("label") else None))
    if not clips:
        raise InputError(f"{path}: manifest lists no files")
    return clips


def discover(src: str | os.PathLike[str]) -> list[tuple[Path, str, str | None]]:
    """(path, kind, label) for every clip under SRC (or listed in SRC when it is a manifest `.csv`).

    A folder with sub-folders that hold media is a labelled dataset: each sub-folder is a class and files lying
    beside the class folders are ignored (as in Model Maker), so every clip has a label in groundtruth.txt.
    """
    src = Path(src)
    if not src.exists():
        raise InputError(f"{src}: not found")
    if src.is_file() and src.suffix.lower() == ".csv":
        return read_manifest(src)
    if src.is_file():
        return [(src, "image" if src.suffix.lower() in IMAGE_SUFFIXES else "video", None)]
    subdirs = sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))
    class_dirs = [d for d in subdirs if _media_in(d)]
    clips: list[tuple[Path, str, str | None]] = []
    if class_dirs:
        for d in class_dirs:
            clips.extend((p, kind, _clean(d.name)) for p, kind in _media_in(d))
    else:
        clips = [(p, kind, None) for p, kind in _media_in(src) if kind != "frames"]
    if not clips:
        raise InputError(f"{src}: no videos or images found ({', '.join(sorted(MEDIA_SUFFIXES))})")
    return clips


def plan_jobs(src: str | os.PathLike[str], out: str | os.PathLike[str], *, holistic: bool = False,
              max_hands: int = 2, mirror: bool = True, backend: str = "mediapipe",
              landmark_model: str | os.PathLike[str] | None = None) -> list[ExtractJob]:
    """One job per clip with a unique `video_id` (the file stem; `<label>_<stem>` when stems collide)."""
    clips = discover(src)
    model = None if landmark_model is None else str(Path(landmark_model).resolve())
    stems = [_clean(p.stem if kind != "frames" else p.name) for p, kind, _ in clips]
    unique = len(set(stems)) == len(stems)
    jobs = []
    seen: dict[str, int] = {}
    for (p, kind, label), stem in zip(clips, stems):
        vid = stem if unique or label is None else f"{label}_{stem}"
        if vid in seen:
            seen[vid] += 1
            vid = f"{vid}_{seen[vid]}"
        else:
            seen[vid] = 0
        jobs.append(ExtractJob(source=str(p), kind=kind, video_id=vid, label=label,
                               out_path=str(Path(out) / f"{vid}.npz"), holistic=holistic, max_hands=max_hands,
                               mirror=mirror, backend=backend, landmark_model=model))
    return jobs


# ----------------------------------------------------------------------------------------------- worker side
_BACKENDS: dict[tuple[str, str | None, bool, int, bool, bool], LandmarkBackend] = {}


def _backend(job: ExtractJob, static: bool) -> LandmarkBackend:
    """One landmark backend per (kind, model, mode) per worker process, reused across files."""
    from gestura.landmarks.backend import create_landmark_backend

    key = (job.backend, job.landmark_model, job.holistic, job.max_hands, static, job.mirror)
    if key not in _BACKENDS:
        _BACKENDS[key] = create_landmark_backend(job.backend, holistic=job.holistic, max_hands=job.max_hands,
                                                 static_image_mode=static, mirror=job.mirror,
                                                 model_dir=job.landmark_model)
    backend = _BACKENDS[key]
    backend.reset()
    return backend


def extract_clip(job: ExtractJob) -> ClipResult:
    """Run one clip through its landmark backend and write its `.npz`; every failure comes back as
    `ClipResult.error`."""
    from gestura.capture.sources import ImageFile, ImageFolder, VideoFile
    from gestura.landmarks.backend import sequence_from_frames

    start = time.perf_counter()
    res = ClipResult(video_id=job.video_id, source=job.source, label=job.label)
    try:
        opener = {"video": VideoFile, "image": ImageFile, "frames": ImageFolder}[job.kind]
        with opener(job.source) as source:
            backend = _backend(job, static=job.kind != "video")
            frames = [backend.process(frame) for frame in source]
            fps = source.fps
        seq = sequence_from_frames(frames, fps=fps, stream_names=backend.stream_names,
                                   video_id=job.video_id, label=job.label, source=job.source)
        hand = seq.any_hand_present()
        if job.holistic:
            if not hand.any() and not seq.present["pose"].any():
                raise InputError(f"{job.source}: no person or hand found in any of {seq.n_frames} frames")
        elif not hand.any():
            raise InputError(f"{job.source}: no hand found in any of {seq.n_frames} frames")
        seq.to_npz(job.out_path)
        res.n_frames, res.fps, res.hand_present_rate = seq.n_frames, seq.fps, float(hand.mean())
        res.width, res.height = seq.attrs.get("image_size", (0, 0))  # type: ignore[misc]
    except GesturaError as err:
        res.error = str(err)
    except Exception as err:  # a decoder or MediaPipe failure must not stop the other files
        res.error = f"{job.source}: {type(err).__name__}: {err}"
    res.seconds = time.perf_counter() - start
    return res


def _resumed(job: ExtractJob, previous: dict[str, dict[str, str]]) -> ClipResult | None:
    """The result of an earlier run when its output exists (meta.csv row, else read back from the .npz)."""
    path = Path(job.out_path)
    if not path.is_file():
        return None
    row = previous.get(job.video_id)
    res = ClipResult(video_id=job.video_id, source=job.source, label=job.label, skipped=True)
    try:
        if row is not None and row.get("n_frames"):
            res.n_frames, res.fps = int(row["n_frames"]), float(row["fps"])
            res.hand_present_rate = float(row.get("hand_present_rate") or 0.0)
            res.width, res.height = int(row.get("width") or 0), int(row.get("height") or 0)
        else:
            from gestura.landmarks.sequence import LandmarkSequence

            seq = LandmarkSequence.from_npz(path)
            res.n_frames, res.fps = seq.n_frames, seq.fps
            res.hand_present_rate = float(seq.any_hand_present().mean())
    except (GesturaError, ValueError, KeyError):
        return None
    return res


# ----------------------------------------------------------------------------------------------- driver
def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: output path exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".gestura-write-test.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise InputError(f"{out}: output folder is not writable ({err.strerror or err})") from None


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _csv_text(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _write_index(out: Path, results: list[ClipResult], previous: dict[str, dict[str, str]]) -> None:
    """meta.csv (earlier rows whose .npz still exists, updated with this run), groundtruth.txt, errors.csv."""
    rows = {vid: row for vid, row in previous.items() if (out / f"{vid}.npz").is_file()}
    for r in results:
        if r.error is None:
            rows[r.video_id] = r.meta_row()
    ordered = [rows[k] for k in sorted(rows)]
    write_text(out / "meta.csv", _csv_text(META_COLUMNS, ordered))
    labelled = [row for row in ordered if row.get("label")]
    if labelled:
        write_text(out / "groundtruth.txt", "".join(f"{row['video_id']} 0 {row['label']}\n" for row in labelled))
    errors = [{"video_id": r.video_id, "source": r.source, "error": r.error or ""} for r in results if r.error]
    if errors:
        write_text(out / "errors.csv", _csv_text(ERROR_COLUMNS, errors))
    else:
        (out / "errors.csv").unlink(missing_ok=True)


def extract(src: str | os.PathLike[str], out: str | os.PathLike[str], holistic: bool = False, workers: int = 1,
            max_hands: int = 2, *, mirror: bool = True, progress: bool = True,
            on_result: Callable[[ClipResult], None] | None = None, in_process: bool = False,
            console: Console | None = None, engine: str = "local", address: str | None = None,
            num_cpus: int | None = None, backend: str = "mediapipe",
            landmark_model: str | os.PathLike[str] | None = None) -> ExtractReport:
    """Extract landmarks from every clip under `src` into `out` (seed-003 layout); see the module docstring.

    `backend` is mediapipe or cnn (then `landmark_model` is the CNN's model folder); a bad choice raises a
    one-line `ConfigError` before any clip runs.
    A missing `src` or an unwritable `out` raises `InputError`; a bad clip is reported through
    `on_result` and `errors.csv` and the run goes on. `workers` spawned processes (or Ray tasks in flight with
    `engine="ray"`) share the files; `address` joins a Ray cluster, `num_cpus` sizes a local one.
    """
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if engine not in ("local", "ray"):
        raise InputError(f"--executor must be local or ray, got {engine!r}")
    if engine == "local" and (address or num_cpus):
        raise InputError("--address and --num-cpus apply to --executor ray only")
    if max_hands not in (1, 2):
        raise InputError(f"--max-hands must be 1 or 2, got {max_hands}")
    from gestura.landmarks.backend import check_landmark_backend

    check_landmark_backend(backend, holistic=holistic, model_dir=landmark_model)
    out = Path(out)
    jobs = plan_jobs(src, out, holistic=holistic, max_hands=max_hands, mirror=mirror, backend=backend,
                     landmark_model=landmark_model)
    _prepare_out(out)
    previous = {row["video_id"]: row for row in _read_csv(out / "meta.csv") if row.get("video_id")}
    start = time.perf_counter()
    results: dict[str, ClipResult] = {}
    todo = []
    for job in jobs:
        done = _resumed(job, previous)
        if done is not None:
            results[job.video_id] = done
        else:
            todo.append(job)
    if todo:
        outcome = _run(todo, workers, progress, on_result, in_process, console, engine, address, num_cpus)
        results.update((r.video_id, r) for r in outcome)
    report = ExtractReport(out=out, results=[results[j.video_id] for j in jobs],
                           seconds=time.perf_counter() - start)
    _write_index(out, report.results, previous)
    return report


def _run(jobs: list[ExtractJob], workers: int, progress: bool, on_result: Callable[[ClipResult], None] | None,
         in_process: bool, console: Console | None, engine: str = "local", address: str | None = None,
         num_cpus: int | None = None) -> list[ClipResult]:
    from gestura.data.executors import map_files

    return map_files(extract_clip, jobs, workers, progress, description="extracting landmarks",
                     on_result=None if on_result is None else (lambda _job, r: on_result(r)),
                     in_process=in_process, console=console, engine=engine, address=address, num_cpus=num_cpus)

