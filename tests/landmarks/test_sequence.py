import numpy as np
import pytest

from gestura.errors import InputError
from gestura.landmarks.sequence import LandmarkSequence


def _hand(n: int) -> np.ndarray:
    return np.random.default_rng(0).random((n, 21, 3)).astype(np.float32)


def test_presence_defaults_to_nonzero_frames_and_round_trips(tmp_path):
    right = _hand(5)
    right[2] = 0
    seq = LandmarkSequence.from_arrays({"right_hand": right, "left_hand": np.zeros((5, 21, 3))}, fps=10,
                                       label="fist", subject="a")
    assert seq.present["right_hand"].tolist() == [True, True, False, True, True]
    assert not seq.present["left_hand"].any()
    assert seq.any_hand_present().sum() == 4
    seq.to_npz(tmp_path / "x.npz")
    back = LandmarkSequence.from_npz(tmp_path / "x.npz")
    np.testing.assert_allclose(back.streams["right_hand"], right)
    np.testing.assert_allclose(back.t, np.arange(5) / 10)
    assert back.present["right_hand"].tolist() == seq.present["right_hand"].tolist()


@pytest.mark.parametrize(
    ("streams", "match"),
    [
        ({"right_hand": np.full((3, 21, 3), np.nan)}, "NaN"),
        ({"right_hand": np.zeros((3, 20, 3))}, "20 joints"),
        ({"right_hand": np.zeros((3, 21, 3)), "left_hand": np.zeros((4, 21, 3))}, "ragged"),
        ({"right_hand": np.zeros((3, 63))}, r"\(T, J, C\)"),
    ],
)
def test_bad_arrays_are_one_line_errors(streams, match):
    with pytest.raises(InputError, match=match):
        LandmarkSequence.from_arrays(streams, fps=30, source="clip.npz")


def test_slice_keeps_labels_and_time():
    seq = LandmarkSequence.from_arrays({"right_hand": _hand(6)}, fps=2, frame_labels=list("aabbcc"))
    part = seq.slice(2, 4)
    assert part.n_frames == 2 and part.frame_labels.tolist() == ["b", "b"]
    np.testing.assert_allclose(part.t, [1.0, 1.5])
