"""The embedding API shaped like MediaPipe Tasks: base options, create_from_options, recognize_for_video with
milliseconds, a bare (21, 3) hand, a MediaPipe result, one clear error for a wrong shape, predict(path); the old
spellings (push with seconds, RecognizerOptions(engine=, num_threads=)) still work and warn."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from gestura import BaseOptions, LandmarkSequence, Recognizer, RecognizerOptions
from gestura.errors import InputError
from gestura.runtime.recognizer import DEFAULT_ARTIFACT

pytestmark = pytest.mark.skipif(not (DEFAULT_ARTIFACT / "model.json").is_file(), reason="embedded default not built")


def _session(seed: int = 0):
    from gestura.data.synthetic import SubjectStyle, make_session

    return make_session(["swiping_left", "swiping_up"], SubjectStyle(subject="p"), seed=seed, fps=30.0)


def test_create_from_options_and_default_by_name() -> None:
    rec = Recognizer.create_from_options(RecognizerOptions(base_options=BaseOptions(model_asset_path="default")))
    assert rec.labels == Recognizer.from_file("default").labels == Recognizer.from_file().labels


def test_milliseconds_a_bare_hand_and_seconds_give_the_same_predictions() -> None:
    seq = _session()
    rec = Recognizer.from_file()
    a, b = rec.session(), rec.session()
    for i in range(seq.n_frames):
        hand = seq.streams["right_hand"][i] if seq.present["right_hand"][i] else None
        pa = rec.recognize_for_video(hand if hand is not None else {"right_hand": None},
                                     timestamp_ms=int(round(seq.t[i] * 1000)))
        with pytest.warns(DeprecationWarning, match="timestamp_ms"):
            pb = b.push({"right_hand": hand}, round(seq.t[i] * 1000) / 1000.0)  # the old spelling: seconds
        assert pa.t_ms == pb.t_ms and pa.label == pb.label and pa.command == pb.command
        assert abs(pa.score - pb.score) < 1e-6
    assert a is not rec._video


def test_a_mediapipe_result_is_accepted() -> None:
    rec = Recognizer.from_file()
    hand = _session().streams["right_hand"][5]
    lm = SimpleNamespace(landmark=[SimpleNamespace(x=float(x), y=float(y), z=float(z)) for x, y, z in hand])
    res = SimpleNamespace(multi_hand_landmarks=[lm],
                          multi_handedness=[SimpleNamespace(classification=[SimpleNamespace(label="Right")])])
    pred = rec.session().push(res, timestamp_ms=40)
    assert pred.t_ms == 40 and np.allclose(pred.landmarks["right_hand"], hand, atol=1e-5)


def test_wrong_shapes_and_times_are_one_line() -> None:
    st = Recognizer.from_file().session()
    with pytest.raises(InputError, match=r"\(21, 3\)"):
        st.push(np.zeros((20, 3)), timestamp_ms=0)
    with pytest.raises(InputError, match="right_hand"):
        st.push({"right_hand": np.zeros((21, 7))}, timestamp_ms=0)
    with pytest.raises(InputError, match="timestamp_ms"):
        st.push({"right_hand": np.zeros((21, 3))})
    with pytest.raises(InputError, match="dict of landmark streams"):
        st.push("hand", timestamp_ms=0)


def test_predict_takes_a_path(tmp_path) -> None:
    seq = _session()
    path = tmp_path / "clip.npz"
    np.savez(path, right_hand=seq.streams["right_hand"], left_hand=seq.streams["left_hand"], t=seq.t,
             fps=np.float32(seq.fps))
    rec = Recognizer.from_file()
    a = rec.predict(str(path))
    b = rec.predict(LandmarkSequence.from_npz(path))
    assert a.label == b.label and abs(a.score - b.score) < 1e-6


def test_new_spellings_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        opts = RecognizerOptions(base_options=BaseOptions(model_asset_path="default", num_threads=2), every_k=2)
        rec = Recognizer.create_from_options(opts)
        rec.session().push({"right_hand": np.zeros((21, 3))}, timestamp_ms=0)
        rec.recognize_for_video(np.zeros((21, 3)), 0)
        from dataclasses import replace

        replace(opts, every_k=3)  # copying options must not re-trigger the engine warning
    assert opts.engine_name == "torch" and opts.threads == 2


def test_old_engine_and_threads_warn_and_still_apply() -> None:
    with pytest.warns(DeprecationWarning, match="base_options=BaseOptions"):
        old = RecognizerOptions(engine="torch", num_threads=3)
    assert old.engine_name == "torch" and old.threads == 3
    with pytest.warns(DeprecationWarning) as caught:
        RecognizerOptions(num_threads=2)
    assert caught[0].filename == __file__  # stacklevel points at the caller, not at gestura
    base = RecognizerOptions(base_options=BaseOptions(engine="onnx", num_threads=4))
    assert base.engine_name == "onnx" and base.threads == 4
    rec = Recognizer.from_file("default", old)
    assert rec.labels == Recognizer.from_file().labels


def test_push_in_seconds_warns_at_the_caller_and_equals_milliseconds() -> None:
    rec = Recognizer.from_file()
    hand = _session().streams["right_hand"][5]
    with pytest.warns(DeprecationWarning, match="timestamp_ms") as caught:
        a = rec.session().push({"right_hand": hand}, 0.04)
    assert caught[0].filename == __file__
    b = rec.session().push({"right_hand": hand}, timestamp_ms=40)
    assert a.t_ms == b.t_ms == 40 and a.scores == b.scores
