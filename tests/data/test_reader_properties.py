"""Property-based tests (issue 19 item 6): any generated npz stream, groundtruth.txt, meta.csv, Kazuhito CSV or
MP_Data folder gives a dataset or one `GesturaError` line, never another exception. Bounded: few examples,
small arrays, so the file adds seconds to the suite."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from gestura.data.formats import load_dataset, read_groundtruth  # noqa: E402
from gestura.errors import GesturaError  # noqa: E402
from gestura.landmarks.sequence import LandmarkSequence  # noqa: E402
from gestura.limits import MAX_FRAME_GAP_SECONDS, MAX_SEQUENCE_SECONDS  # noqa: E402

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                   derandomize=True)

DTYPES = st.sampled_from([np.float32, np.float64, np.int16, np.bool_, np.dtype("U3")])


@st.composite
def arrays(draw: st.DrawFn, near: tuple[int, ...] | None = None) -> np.ndarray:
    """Small arrays of any dtype; with `near`, shapes close to a valid one (so deeper checks are reached)."""
    if near is not None and draw(st.booleans()):
        shape = tuple(draw(st.integers(0, 6)) if d < 0 else draw(st.sampled_from([d, d, d - 1, d + 1, 0]))
                      for d in near)
    else:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    dtype = draw(DTYPES)
    elements = None
    if np.dtype(dtype).kind == "f":
        elements = st.floats(width=32, allow_nan=True, allow_infinity=True)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def npz_members(draw: st.DrawFn) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if draw(st.booleans()):
        out["right_hand"] = draw(arrays(near=(-1, 21, 3)))
    if draw(st.booleans()):
        out["left_hand"] = draw(arrays(near=(-1, 21, 3)))
    if draw(st.booleans()):
        out["pose"] = draw(arrays(near=(-1, 33, 4)))
    for key, near in (("fps", ()), ("t", (-1,)), ("present", (-1, 1)), ("handedness_right_hand", (-1,))):
        if draw(st.booleans()):
            out[key] = draw(arrays(near=near))
    if draw(st.booleans()):
        out["present_streams"] = np.array(draw(st.lists(st.sampled_from(["right_hand", "left_hand", "x"]),
                                                        max_size=3)), dtype=str)
    return out


def _ok_or_gestura(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kwargs)
    except GesturaError as err:
        assert "\n" not in str(err), str(err)
        return None


@BOUNDED
@given(npz_members())
def test_any_npz_stream_reads_or_fails_in_one_line(members: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.npz"
        np.savez(path, **members)
        seq = _ok_or_gestura(LandmarkSequence.from_npz, path)
        if seq is not None:  # what reaches features and resampling is finite and bounded in time
            assert seq.n_frames > 0 and all(np.isfinite(a).all() for a in seq.streams.values())
            assert np.isfinite(seq.t).all() and np.all(np.diff(seq.t) > 0)
            assert seq.t[-1] - seq.t[0] <= MAX_SEQUENCE_SECONDS and np.all(np.diff(seq.t) <= MAX_FRAME_GAP_SECONDS)


LINE = st.one_of(
    st.builds(lambda v, f, lb: f"{v} {f} {lb}", st.sampled_from(["clip", "other", "clip2"]),
              st.one_of(st.integers(-2, 8).map(str), st.sampled_from(["x", "1.5", "", "٣"])),
              st.text(min_size=0, max_size=8)),
    st.text(max_size=20),
)


@BOUNDED
@given(st.lists(LINE, max_size=6), st.text(max_size=60))
def test_any_groundtruth_and_meta_read_or_fail_in_one_line(lines: list[str], meta: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        LandmarkSequence.from_arrays({"right_hand": np.full((5, 21, 3), 0.5, np.float32)}, 30.0).to_npz(
            root / "clip.npz")
        (root / "groundtruth.txt").write_text("\n".join(lines), encoding="utf-8")
        _ok_or_gestura(read_groundtruth, root / "groundtruth.txt")
        (root / "meta.csv").write_text("video_id,subject,fps\n" + meta, encoding="utf-8")
        _ok_or_gestura(load_dataset, root)


CELL = st.one_of(st.integers(-3, 5).map(str), st.floats(allow_nan=True).map(repr), st.sampled_from(["", "a", " "]))


@BOUNDED
@given(st.lists(st.lists(CELL, min_size=0, max_size=44), max_size=4), st.lists(st.text(max_size=6), max_size=4),
       st.sampled_from(["keypoint", "point_history"]))
def test_any_kazuhito_csv_reads_or_fails_in_one_line(rows: list[list[str]], labels: list[str], kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "model" / ("keypoint_classifier" if kind == "keypoint" else "point_history_classifier")
        root.mkdir(parents=True)
        (root / f"{kind}.csv").write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
        (root / f"{kind}_classifier_label.csv").write_text("\n".join(labels), encoding="utf-8")
        ds = _ok_or_gestura(load_dataset, root)
        if ds is not None:
            assert len(ds) > 0


@BOUNDED
@given(st.lists(st.lists(arrays(near=(1662,)), min_size=0, max_size=3), min_size=1, max_size=2),
       st.lists(st.sampled_from(["0", "1", "x", "10"]), min_size=3, max_size=3))
def test_any_mp_data_folder_reads_or_fails_in_one_line(seqs: list[list[np.ndarray]], names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "MP_Data"
        for i, frames in enumerate(seqs):
            d = root / "hello" / str(i)
            d.mkdir(parents=True)
            for j, a in enumerate(frames):
                np.save(d / f"{names[j]}.npy", a)
        if root.is_dir():
            _ok_or_gestura(load_dataset, root, format="mp_data")
