"""Frame sources: webcam, video file, image file, image folder.

Each is a context manager and an iterator of `Frame`s (RGB uint8, strictly increasing `t_ms`) with an `fps`
attribute. Problems with the input (missing, empty, not a video, truncated, undecodable) are raised as a one-line
`InputError` naming the path, when the source is opened or, for damage found mid-file, when it is reached.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from gestura.capture.frame import Frame
from gestura.errors import InputError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})
DEFAULT_FPS = 30.0
TRUNCATION_TOLERANCE = 0.9
"""A video that decodes fewer than this share of the frames its header announces is reported as truncated."""


class FrameSource:
    """Base class: context manager + iterator of `Frame`s; subclasses implement `_frames()` and `close()`."""

    fps: float = DEFAULT_FPS
    name: str = ""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        return self._frames()

    def _frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the underlying device or file."""


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")


def _valid_fps(fps: float) -> bool:
    return math.isfinite(fps) and 0.5 <= fps <= 1000.0


class VideoFile(FrameSource):
    """Frames of a video file decoded with OpenCV; `t_ms` is `index * 1000 / fps` (the container's frame rate).

    Opening checks that the file exists, is non-empty and decodes at least one frame. Iteration raises
    `InputError` when the file ends well before the frame count its header announces (a truncated file).
    """

    def __init__(self, path: str | os.PathLike[str], *, fps: float | None = None) -> None:
        import cv2

        self.path = Path(path)
        self.name = str(self.path)
        _check_file(self.path)
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise InputError(f"{self.path}: not a readable video (OpenCV could not open it)")
        native = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = float(fps) if fps else (native if _valid_fps(native) else DEFAULT_FPS)
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        ok, first = self._cap.read()
        if not ok or first is None:
            self.close()
            raise InputError(f"{self.path}: no decodable video frames (corrupt or not a video)")
        self._first: np.ndarray | None = first
        self.size = (int(first.shape[1]), int(first.shape[0]))

    def _frames(self) -> Iterator[Frame]:
        import cv2

        index = 0
        bgr = self._first
        self._first = None
        while bgr is not None:
            yield Frame(t_ms=int(round(index * 1000.0 / self.fps)), rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                        index=index)
            index += 1
            ok, bgr = self._cap.read()
            if not ok:
                bgr = None
        if self.frame_count and index < TRUNCATION_TOLERANCE * self.frame_count and self.frame_count - index > 2:
            raise InputError(f"{self.path}: truncated video, decoded {index} of {self.frame_count} frames")

    def close(self) -> None:
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as RGB `(H, W, 3)` uint8, rotated upright by its EXIF orientation tag."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    _check_file(path)
    from gestura.limits import MAX_IMAGE_PIXELS

    try:
        with warnings.catch_warnings():  # PIL's bomb warning: the size is checked below, against a lower bound
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img_file = Image.open(path)
        with img_file as img:
            w, h = img.size
            if w * h > MAX_IMAGE_PIXELS:  # from the header, before any pixel is decoded
                raise InputError(f"{path}: image of {w}x{h} pixels exceeds the {MAX_IMAGE_PIXELS:,}-pixel limit")
            upright = ImageOps.exif_transpose(img)
            return np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise InputError(f"{path}: not a readable image (unknown or corrupt format)") from None
    except Image.DecompressionBombError:
        raise InputError(f"{path}: image too large to decode safely (decompression bomb check)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise InputError(f"{path}: unreadable image ({err})") from None


class ImageFile(FrameSource):
    """One image as a one-frame source (`t_ms` 0), EXIF orientation applied; decoded when opened."""

    def __init__(self, path: str | os.PathLike[str], *, fps: float = DEFAULT_FPS) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.fps = float(fps)
        self._rgb = read_image(self.path)
        self.size = (int(self._rgb.shape[1]), int(self._rgb.shape[0]))

    def _frames(self) -> Iterator[Frame]:
        yield Frame(t_ms=0, rgb=self._rgb, index=0)


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files directly inside `folder`, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


class ImageFolder(FrameSource):
    """The images of a folder, in name order, as the frames of one clip at `fps` (EXIF orientation applied)."""

    def __init__(self, path: str | os.PathLike[str], *, fps: float = DEFAULT_FPS) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_dir():
            raise InputError(f"{self.path}: folder not found")
        if not _valid_fps(fps):
            raise InputError(f"{self.path}: fps must be in [0.5, 1000], got {fps}")
        self.fps = float(fps)
        self.files = list_images(self.path)
        if not self.files:
            raise InputError(f"{self.path}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder")

    def _frames(self) -> Iterator[Frame]:
        for index, file in enumerate(self.files):
            yield Frame(t_ms=int(round(index * 1000.0 / self.fps)), rgb=read_image(file), index=index)


class Webcam(FrameSource):
    """Live frames from camera `index` via OpenCV; `t_ms` is wall-clock time since the first frame."""

    def __init__(self, index: int = 0, *, width: int | None = None, height: int | None = None) -> None:
        import cv2

        self.index = index
        self.name = f"webcam:{index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise InputError(f"webcam {index}: could not open camera (not connected or in use)")
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        native = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = native if _valid_fps(native) else DEFAULT_FPS

    def _frames(self) -> Iterator[Frame]:
        import cv2

        start = time.monotonic()
        last = -1
        index = 0
        while True:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                if index == 0:
                    raise InputError(f"webcam {self.index}: camera opened but returned no frames")
                return
            t_ms = max(int((time.monotonic() - start) * 1000.0), last + 1)
            last = t_ms
            yield Frame(t_ms=t_ms, rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index=index)
            index += 1

    def close(self) -> None:
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()


def open_source(src: str | int | os.PathLike[str], **kwargs: Any) -> FrameSource:
    """Open a camera index (int or digit string), an image folder, an image file or a video file."""
    if isinstance(src, int) or (isinstance(src, str) and src.isdigit()):
        return Webcam(int(src), **kwargs)
    path = Path(src)
    if path.is_dir():
        return ImageFolder(path, **kwargs)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFile(path, **kwargs)
    return VideoFile(path, **kwargs)
