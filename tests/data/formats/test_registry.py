"""The dataset-format registry: registration order is detection order, options reach the reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.formats import list_formats, load_dataset, register_format, registry, write_seed003
from gestura.data.formats.registry import ReadOptions
from gestura.data.synthetic import make_dataset
from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the registry, so formats registered by a test vanish after it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_builtin_formats_in_detection_order() -> None:
    assert list_formats() == ["seed003", "mp_data", "kazuhito_point_history", "kazuhito_keypoint",
                              "presentation_clips"]


def _detect_txt(path: Path) -> Path | None:
    return path if path.is_dir() and (path / "points.txt").is_file() else None


def test_registered_format_is_detected_and_read(tmp_path: Path, scratch_registry: None) -> None:
    seen: list[ReadOptions] = []

    def read(root: Path, options: ReadOptions) -> list[LandmarkSequence]:
        seen.append(options)
        xyz = np.loadtxt(root / "points.txt", dtype=np.float32).reshape(-1, 21, 3)
        return [LandmarkSequence.from_arrays({"right_hand": xyz}, 30.0, label="x", video_id="a")]

    register_format("points_txt", _detect_txt, read)
    (tmp_path / "points.txt").write_text("\n".join(" ".join(["0.5"] * 63) for _ in range(4)))
    ds = load_dataset(tmp_path, workers=3)
    assert ds.format == "points_txt" and ds.root == tmp_path and ds[0].n_frames == 4
    assert seen == [ReadOptions(image_size=None, workers=3)]
    assert list_formats()[-1] == "points_txt"


def test_first_registered_format_is_the_default(tmp_path: Path, scratch_registry: None) -> None:
    write_seed003(tmp_path, make_dataset(1, 1, classes=("fist",), seed=0).sequences)
    (tmp_path / "points.txt").write_text("")
    register_format("points_txt", _detect_txt, lambda root, options: [])
    assert [f for f, _ in registry.detect_formats(tmp_path)] == ["seed003", "points_txt"]
    assert load_dataset(tmp_path).format == "seed003"
    picked = load_dataset(tmp_path, format="points_txt")
    assert picked.format == "points_txt" and len(picked) == 0


def test_duplicate_and_unknown_names(tmp_path: Path, scratch_registry: None) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_format("seed003", _detect_txt, lambda root, options: [])
    with pytest.raises(InputError, match=r"unknown dataset format 'nope'; choose from seed003, mp_data"):
        load_dataset(tmp_path, format="nope")
