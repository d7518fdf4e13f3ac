"""`gestura data info` / `data synth` on generated data, every shared dataset, and malformed folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from shared_subsets import seed003_subset

runner = CliRunner()


def _info(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, ["data", "info", *args])
    return res.exit_code, res.stdout, res.stderr


def test_synth_then_info(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "synth", str(tmp_path / "syn"), "--subjects", "2", "--per-class", "2",
                              "--seed", "4"])
    assert res.exit_code == 0, res.output
    code, out, _ = _info(str(tmp_path / "syn"))
    assert code == 0
    assert "format    seed003" in out and "samples   40 sequences" in out
    assert "subjects 2" in out and "zooming_in_full_hand" in out
    code, out, _ = _info(str(tmp_path / "syn"), "--json")
    summary = json.loads(out)
    assert summary["classes"]["fist"] == 4 and summary["length"] == {"min": 30, "median": 30.0, "max": 30}


def test_synth_sessions(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "synth", str(tmp_path / "st"), "--subjects", "1", "--per-class", "1",
                              "--sessions", "2"])
    assert res.exit_code == 0, res.output
    summary = json.loads(_info(str(tmp_path / "st"), "--json")[1])
    assert summary["n_sequences"] == 2 and summary["classes"]["rotate_left"] == 2 and summary["groups"]["session"] == 2


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("unknown", "unknown dataset format"),
        ("ragged", "ragged"),
        ("nan", "NaN"),
        ("no_labels", "label file not found"),
        ("missing", "no such file"),
    ],
)
def test_malformed_is_one_line_error(tmp_path: Path, setup: str, needle: str) -> None:
    root = tmp_path / "ds"
    root.mkdir()
    if setup == "unknown":
        (root / "readme.txt").write_text("x")
    elif setup in ("ragged", "nan"):
        seq = root / "hello" / "0"
        seq.mkdir(parents=True)
        np.save(seq / "0.npy", np.zeros(1662))
        np.save(seq / "1.npy", np.zeros(2172) if setup == "ragged" else np.full(1662, np.nan))
    elif setup == "no_labels":
        (root / "point_history.csv").write_text("0," + ",".join(["0"] * 32) + "\n")
    else:
        root = tmp_path / "absent"
    code, out, err = _info(str(root))
    assert code == 2 and out == ""
    assert err.startswith("error:") and needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_unknown_format_option_lists_choices(tmp_path: Path) -> None:
    code, _, err = _info(str(tmp_path), "--format", "parquet")
    assert code == 2 and "choose from seed003, mp_data" in err


@pytest.mark.real_data
@pytest.mark.slow
@pytest.mark.parametrize(
    ("rel", "fmt", "expect"),
    [
        ("presentation-streams", "seed003", ["5 sequences, 22691 frames", "rotate_left    50", "sessions 5"]),
        ("mpdata-ilkerdemir", "mp_data", ["180 sequences", "seeyoulater  60", "min 30"]),
        ("trajectories/kazuhito", "kazuhito_point_history", ["5296 sequences", "Counter Clockwise", "also"]),
        ("trajectories/segfault03", "kazuhito_point_history", ["3881 sequences", "Right Swipe"]),
        ("trajectories/farhad99", "kazuhito_point_history", ["552 sequences", "zoom start"]),
    ],
)
def test_info_on_shared_datasets(shared_datasets: Path, rel: str, fmt: str, expect: list[str]) -> None:
    """Full datasets, except asl-traduttore (a subset below; tests/data/test_formats.py loads all of `words`)."""
    code, out, err = _info(str(shared_datasets / rel))
    assert code == 0, err
    assert f"format    {fmt}" in out and "missing   no hand in" in out
    for needle in expect:
        assert needle in out, needle


@pytest.mark.real_data
@pytest.mark.parametrize(("name", "n_classes"), [("words", 33), ("letters", 28)])
def test_info_on_asl_traduttore_subsets(shared_datasets: Path, tmp_path: Path, name: str, n_classes: int) -> None:
    root = seed003_subset(shared_datasets / "asl-traduttore" / name, tmp_path / name, 4)
    code, out, err = _info(str(root))
    assert code == 0, err
    assert f"{4 * n_classes} sequences" in out and f"classes   {n_classes}" in out and "median 20" in out
    assert "fps       30 (assumed, not recorded)" in out and "sessions unknown" not in out


@pytest.mark.real_data
@pytest.mark.parametrize("name", ["kazuhito", "segfault03", "farhad99"])
def test_info_kazuhito_keypoint(shared_datasets: Path, name: str) -> None:
    code, out, _ = _info(str(shared_datasets / "trajectories" / name), "--format", "kazuhito_keypoint")
    assert code == 0 and "format    kazuhito_keypoint" in out and "length    min 1" in out


@pytest.mark.parametrize("fps, needle", [
    ("1e9", "out of bounds (must be >= 0.5 and <= 1000)"),
    ("1e5", "out of bounds"),
    ("nan", "must be finite"),
])
def test_synth_fps_bounded_before_work(tmp_path: Path, fps: str, needle: str) -> None:
    """Issue 19 item 1: `--fps 1e9` allocated until killed, `1e5` wrote 210 MB, `nan` was a traceback."""
    res = runner.invoke(app, ["data", "synth", str(tmp_path / "s"), "--subjects", "1", "--per-class", "1",
                              "--fps", fps])
    assert res.exit_code == 2 and res.exception is None or isinstance(res.exception, SystemExit)
    assert needle in res.stderr and "--fps" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_synth_total_frames_bounded(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "synth", str(tmp_path / "s"), "--subjects", "1000", "--per-class", "1000",
                              "--fps", "30"])
    assert res.exit_code == 2 and "frame limit" in res.stderr and not (tmp_path / "s").exists()


def _npz_dataset(root: Path, **arrays: object) -> Path:
    root.mkdir(parents=True)
    base: dict[str, object] = {"right_hand": np.full((5, 21, 3), 0.5, np.float32), "fps": np.float32(30)}
    base.update(arrays)
    np.savez(root / "clip.npz", **{k: v for k, v in base.items() if v is not None})
    (root / "groundtruth.txt").write_text("clip 0 fist\n")
    return root


@pytest.mark.parametrize("arrays, needle", [
    ({"right_hand": np.zeros((0, 21, 3), np.float32)}, "has no frames"),
    ({"right_hand": np.full((5, 21, 3), "a")}, "expected numbers"),
    ({"right_hand": np.zeros((5, 21, 7), np.float32)}, "7 values per point"),
    ({"fps": np.array([1.0, 2.0])}, "fps must be one number"),
    ({"fps": np.array("abc")}, "fps must be one number"),
    ({"fps": np.float32(np.nan)}, "must be finite"),
    ({"t": np.array(["a"] * 5)}, "timestamps t: expected numbers"),
    ({"t": np.full(5, np.nan)}, "timestamps t have NaN/inf in 5 of 5"),
    ({"present": np.array([1, 0]), "present_streams": np.array(["right_hand"])}, "present must be (T, 1)"),
    ({"present": np.full((5, 1), "x"), "present_streams": np.array(["right_hand"])}, "must be 5 booleans"),
])
def test_bad_npz_streams_are_one_line(tmp_path: Path, arrays: dict, needle: str) -> None:
    """Issue 19 item 7: these were tracebacks, or (7 values per point, all-NaN t) silently accepted."""
    code, out, err = _info(str(_npz_dataset(tmp_path / "ds", **arrays)))
    assert code == 2 and out == "", err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
