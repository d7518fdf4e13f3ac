"""One small dataset-format registry: a name maps to (detect, read).

`detect(path)` returns the folder the reader takes when `path` holds that format (or is one of its files),
None otherwise; `read(root, options)` returns the sequences. `load_dataset` detects (or checks) the format and
reads it, so a new format is one module with one `register_format` call, imported by `gestura.data.formats`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gestura.data.formats.landmark_dataset import LandmarkDataset
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence


@dataclass(frozen=True)
class ReadOptions:
    """Options `load_dataset` passes to every reader; each reader uses the ones that apply to it.

    `image_size` (W, H) overrides the camera size inferred from a Kazuhito folder name; `workers` threads read
    per-file formats (default: up to 8).
    """

    image_size: tuple[int, int] | None = None
    workers: int | None = None


Detect = Callable[[Path], "Path | None"]
Read = Callable[[Path, ReadOptions], list[LandmarkSequence]]


@dataclass(frozen=True)
class DatasetFormat:
    """A registered format: its name (what `--format` takes), detector and reader."""

    name: str
    detect: Detect
    read: Read


_REGISTRY: dict[str, DatasetFormat] = {}


def register_format(name: str, detect: Detect, read: Read) -> DatasetFormat:
    """Register a format; detection tries formats in registration order, so the first one found is the default."""
    if name in _REGISTRY:
        raise ValueError(f"dataset format {name!r} is already registered")
    fmt = _REGISTRY[name] = DatasetFormat(name, detect, read)
    return fmt


def list_formats() -> list[str]:
    """Registered format names in detection order."""
    return list(_REGISTRY)


def load_dataset(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    image_size: tuple[int, int] | None = None,
    workers: int | None = None,
) -> LandmarkDataset:
    """Read a dataset folder (or one of its files, e.g. a Kazuhito CSV) in `format`, detected when None.

    `image_size` (W, H) overrides the size inferred from the folder name for Kazuhito point histories;
    `workers` threads read per-file formats (`seed003`, `presentation_clips`; default: up to 8).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if format is not None and format not in _REGISTRY:
        raise InputError(f"{path}: unknown dataset format {format!r}; choose from {', '.join(_REGISTRY)}")
    name, root = detect_format(path, format)
    seqs = _REGISTRY[name].read(root, ReadOptions(image_size=image_size, workers=workers))
    return LandmarkDataset(root=root, format=name, sequences=seqs)


def detect_format(path: Path, format: str | None = None) -> tuple[str, Path]:
    """(format, the path its reader takes): the first format found at `path`, or `format` when given."""
    found = detect_formats(path)
    if format is not None:
        for name, root in found:
            if name == format:
                return name, root
        what = ", ".join(f for f, _ in found) or "no known layout"
        raise InputError(f"{path}: not a {format} dataset (found: {what})")
    if not found:
        raise InputError(
            f"{path}: unknown dataset format (expected *.npz + groundtruth.txt, <action>/<seq>/<frame>.npy, "
            "<person>/<Right|Left>/<label>/*.npz, or Kazuhito point_history.csv/keypoint.csv)"
        )
    return found[0]


def detect_formats(path: Path) -> list[tuple[str, Path]]:
    """Every (format, reader path) found at `path`, in registration order.

    A folder where no format is found but that holds a single subfolder (or an `MP_Data` folder) is looked into,
    so the folder a dataset was downloaded to works as well as the dataset folder itself.
    """
    found = [(fmt.name, root) for fmt in _REGISTRY.values() if (root := fmt.detect(path)) is not None]
    if found or not path.is_dir():
        return found
    subdirs = [d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if len(subdirs) == 1 or (path / "MP_Data").is_dir():
        return detect_formats(path / "MP_Data" if (path / "MP_Data").is_dir() else subdirs[0])
    return []
