"""`sequence_from_frames` on synthetic frames, and MediaPipe Hands on the shared media.

Whole-video runs (Hands on open_hand_video.mp4, Holistic on msl150) go through `extract` in
tests/data/test_ingest.py, so each video is decoded and tracked once per test session.
"""

from __future__ import annotations

import numpy as np
import pytest

from gestura.capture.frame import Frame
from gestura.errors import InputError
from gestura.landmarks.backend import LandmarkFrame, sequence_from_frames


def test_sequence_from_frames_zero_fills_absent_streams_and_keeps_scores():
    hand = np.arange(63, dtype=np.float32).reshape(21, 3) + 1
    frames = [
        LandmarkFrame({"left_hand": hand, "right_hand": None}, {"left_hand": 0.9}, t_ms=0, size=(64, 48)),
        LandmarkFrame({"left_hand": None, "right_hand": None}, {}, t_ms=40, size=(64, 48)),
        LandmarkFrame({"left_hand": hand * 2, "right_hand": hand}, {"left_hand": 0.8, "right_hand": 0.7}, t_ms=80,
                      size=(64, 48)),
    ]
    seq = sequence_from_frames(frames, fps=25.0, video_id="v", label="wave")
    assert seq.streams["left_hand"].shape == (3, 21, 3)
    assert seq.present["left_hand"].tolist() == [True, False, True]
    assert seq.present["right_hand"].tolist() == [False, False, True]
    assert not seq.streams["left_hand"][1].any()
    np.testing.assert_allclose(seq.streams["left_hand"][2], hand * 2)
    np.testing.assert_allclose(seq.handedness["left_hand"], [0.9, 0.0, 0.8])
    np.testing.assert_allclose(seq.handedness["right_hand"], [0.0, 0.0, 0.7])
    np.testing.assert_allclose(seq.t, [0.0, 0.04, 0.08])
    assert seq.label == "wave" and seq.attrs["image_size"] == (64, 48)


def test_sequence_from_frames_knows_shapes_of_never_detected_streams():
    frames = [LandmarkFrame({"pose": None, "face": None, "left_hand": None}, t_ms=i) for i in range(2)]
    seq = sequence_from_frames(frames, fps=30.0)
    assert seq.streams["pose"].shape == (2, 33, 4)
    assert seq.streams["face"].shape == (2, 468, 3)
    assert not seq.any_hand_present().any()
    with pytest.raises(InputError, match="no frames"):
        sequence_from_frames([], fps=30.0)


# ------------------------------------------------------------------------------------------ real MediaPipe
mediapipe_backend = pytest.importorskip("gestura.landmarks.mediapipe_backend")


def _frames(path):
    from gestura.capture.sources import open_source

    with open_source(path) as src:
        return list(src), src.fps


def test_blank_image_has_no_hand():
    with mediapipe_backend.MediaPipeHands(static_image_mode=True) as backend:
        result = backend.process(Frame(0, np.full((240, 320, 3), 127, np.uint8)))
    assert result.streams == {"left_hand": None, "right_hand": None}
    assert result.handedness == {}


@pytest.mark.real_data
def test_two_thumbs_up_gives_two_hands(shared_datasets):
    (frame,), _ = _frames(shared_datasets / "media/mediapipe-samples/two_thumbs_up.jpg")
    with mediapipe_backend.MediaPipeHands(static_image_mode=True, max_hands=2) as backend:
        result = backend.process(frame)
        assert result.present("left_hand") and result.present("right_hand")
        left, right = result.streams["left_hand"], result.streams["right_hand"]
        assert left.shape == right.shape == (21, 3)
        assert abs(float(left[0, 0] - right[0, 0])) > 0.1  # two different wrists, not one hand twice
        # one hand only when asked for one
    with mediapipe_backend.MediaPipeHands(static_image_mode=True, max_hands=1) as backend:
        one = backend.process(frame)
    assert sum(one.present(k) for k in ("left_hand", "right_hand")) == 1


@pytest.mark.real_data
def test_mirror_flag_keeps_the_slot_and_flips_x(shared_datasets):
    frames, _ = _frames(shared_datasets / "media/mediapipe-samples/open_hand_video.mp4")
    out = {}
    for mirror in (True, False):
        with mediapipe_backend.MediaPipeHands(static_image_mode=True, mirror=mirror) as backend:
            out[mirror] = backend.process(frames[100])
    assert out[True].present("right_hand") and out[False].present("right_hand")
    wrist_selfie = out[True].streams["right_hand"][0, 0]
    wrist_raw = out[False].streams["right_hand"][0, 0]
    assert wrist_selfie == pytest.approx(1.0 - wrist_raw, abs=0.03)
