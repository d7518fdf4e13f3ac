"""Frame sources on small generated videos/images, and every bad-input case the extractor must name."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from gestura.capture.sources import ImageFile, ImageFolder, VideoFile, Webcam, open_source, read_image
from gestura.errors import InputError


def write_video(path: Path, n: int = 12, size: tuple[int, int] = (64, 48), fps: float = 20.0) -> Path:
    """A small mp4 whose frame i is pure blue in BGR with i in the top-left pixel row."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, :, 0] = 200
        writer.write(img)
    writer.release()
    return path


def test_video_file_yields_rgb_frames_with_increasing_timestamps(tmp_path):
    path = write_video(tmp_path / "clip.mp4", n=12, fps=20.0)
    with open_source(path) as src:
        assert isinstance(src, VideoFile)
        frames = list(src)
    assert src.fps == pytest.approx(20.0)
    assert len(frames) == 12
    assert [f.index for f in frames] == list(range(12))
    assert [f.t_ms for f in frames] == [i * 50 for i in range(12)]
    assert frames[0].rgb.shape == (48, 64, 3) and frames[0].rgb.dtype == np.uint8
    # BGR blue comes out as RGB blue: the third channel.
    assert frames[0].rgb[..., 2].mean() > 150 > frames[0].rgb[..., 0].mean()


def test_truncated_video_is_an_input_error(tmp_path):
    data = write_video(tmp_path / "full.mp4", n=40).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.mp4"):
        with VideoFile(cut) as src:
            list(src)


def test_truncated_real_mp4_reports_decoded_frames(tmp_path, shared_datasets):
    data = (shared_datasets / "media/mediapipe-samples/open_hand_video.mp4").read_bytes()
    cut = tmp_path / "open_hand_cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoFile(cut)
    with pytest.raises(InputError, match=r"truncated video, decoded \d+ of 202 frames"):
        list(src)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.mp4", b"", "empty file"),
        ("notes.mp4", b"this is a text file, not a video\n" * 20, "not a readable video|no decodable"),
        ("empty.jpg", b"", "empty file"),
        ("notes.jpg", b"hello, not a picture\n", "not a readable image"),
    ],
)
def test_bad_files_raise_one_line_input_error_naming_the_file(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=match) as err:
        with open_source(path) as src:
            list(src)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_truncated_jpeg_is_an_input_error(tmp_path):
    full = tmp_path / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(full)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:2000])
    with pytest.raises(InputError, match="cut.jpg"):
        read_image(cut)


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        open_source(tmp_path / "nope.mp4")


def test_image_file_applies_exif_orientation(tmp_path):
    img = np.zeros((20, 40, 3), np.uint8)  # H=20, W=40, red top-left corner
    img[:5, :5] = (255, 0, 0)
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rotated.jpg"
    pil.save(path, exif=exif.tobytes(), quality=95)
    with ImageFile(path) as src:
        (frame,) = list(src)
    assert frame.rgb.shape == (40, 20, 3)
    assert frame.t_ms == 0 and frame.size == (20, 40)
    # After a 90 deg clockwise turn the red corner sits at the top right.
    assert frame.rgb[:5, -5:, 0].mean() > 200 and frame.rgb[:5, :5, 0].mean() < 50


def test_image_folder_is_one_clip_in_name_order(tmp_path):
    for i, v in enumerate((10, 20, 30)):
        Image.fromarray(np.full((8, 8, 3), v, np.uint8)).save(tmp_path / f"f{i:02d}.png")
    (tmp_path / "readme.txt").write_text("ignored")
    with ImageFolder(tmp_path, fps=10) as src:
        frames = list(src)
    assert [f.t_ms for f in frames] == [0, 100, 200]
    assert [int(f.rgb.mean()) for f in frames] == [10, 20, 30]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no images"):
        ImageFolder(empty)


def test_unopenable_webcam_is_an_input_error():
    with pytest.raises(InputError, match="webcam 97"):
        with Webcam(97) as cam:
            list(cam)


def _png_header_only(path, w, h):  # type: ignore[no-untyped-def]
    """A tiny PNG whose header declares w x h pixels (no pixel data): what a hostile image looks like."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side, match", [(10_000, "10000x10000 pixels exceeds the 50,000,000-pixel limit"),
                                         (20_000, "too large to decode safely|exceeds")])
def test_image_size_checked_from_the_header_before_decoding(tmp_path, side, match):  # type: ignore[no-untyped-def]
    """Issue 19 item 1 (image pixels): a few bytes declaring 100M+ pixels are refused before any decode."""
    from gestura.capture.sources import read_image

    with pytest.raises(InputError, match=match):
        read_image(_png_header_only(tmp_path / "big.png", side, side))
