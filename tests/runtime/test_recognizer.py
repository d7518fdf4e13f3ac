"""The Recognizer: streaming features == offline features, predict, stream sources, every_k, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.synthetic import SubjectStyle, make_session
from gestura.errors import InputError, ModelFileError
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.decision import DecisionConfig
from gestura.runtime.recognizer import Recognizer, RecognizerOptions, smooth_sequence

LABELS = ["fist", "swiping_right", "swiping_left", "point_one", "unknown"]


def _bundle(tmp: Path, resample_fps: float | None = None) -> Path:
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    torch.manual_seed(0)
    pipe = FeaturePipeline("feature-schema-v1")
    model = create_model("lstm", input_dim=pipe.dim, num_classes=len(LABELS))
    out = tmp / ("art" if resample_fps is None else f"art{int(resample_fps)}")
    ModelBundle(model=model, pipeline=pipe, labels=LABELS, window=16, stride=4,
                resample_fps=resample_fps).save(out, card=False)
    return out


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bundle(tmp_path_factory.mktemp("rec"))


@pytest.fixture(scope="module")
def session():
    style = SubjectStyle(subject="t", drop_rate=0.05)
    return make_session(["swiping_right", "fist"], style, seed=3, fps=30.0)


def test_streaming_features_equal_offline(artifact: Path, session) -> None:
    rec = Recognizer.from_file(artifact, RecognizerOptions(smoothing=SmoothingConfig("one_euro")))
    st = rec.session()
    offline, ovalid = rec.pipeline.frame_features(rec.prepare(session))
    for i in range(session.n_frames):
        st.push({k: v[i] for k, v in session.streams.items()}, present={k: bool(session.present[k][i])
                                                                        for k in session.streams},
                timestamp_ms=float(session.t[i]) * 1000.0)
        if i in (5, 40, session.n_frames - 1):
            f, v = st.features()
            lo = max(0, i + 1 - rec.window)
            np.testing.assert_allclose(f, offline[lo : i + 1], atol=1e-5)
            np.testing.assert_array_equal(v, ovalid[lo : i + 1])
    assert not ovalid.all()  # dropped detections were exercised


def test_streaming_resampled_equals_offline_without_gaps(tmp_path: Path) -> None:
    style = SubjectStyle(subject="r", drop_rate=0.0)
    seq = make_session(["swiping_left"], style, seed=1, fps=15.0)
    assert seq.any_hand_present().all()
    rec = Recognizer.from_file(_bundle(tmp_path, resample_fps=30.0))
    st = rec.session()
    for i in range(seq.n_frames):
        st.push({k: v[i] if seq.present[k][i] else None for k, v in seq.streams.items()},
                timestamp_ms=float(seq.t[i]) * 1000.0)
    offline, _ = rec.pipeline.frame_features(rec.prepare(seq))
    f, _ = st.features()
    assert offline.shape[0] > seq.n_frames * 1.8  # 15 -> 30 fps
    np.testing.assert_allclose(f, offline[-rec.window :], atol=1e-4)


def test_smoothing_offline_matches_streaming_filter(session) -> None:
    cfg = SmoothingConfig("kalman")
    sm = smooth_sequence(session, cfg)
    hand = "right_hand"
    pres = session.present[hand]
    f = cfg.make()
    expected = []
    for i in range(session.n_frames):
        if pres[i]:
            expected.append(f.update(session.streams[hand][i], session.t[i]))
        else:
            f.reset()
            expected.append(np.zeros((21, 3)))
    np.testing.assert_allclose(sm.streams[hand], np.stack(expected), atol=1e-5)
    assert not np.allclose(sm.streams[hand][pres], session.streams[hand][pres], atol=1e-4)


def test_predict_and_stream_sources(artifact: Path, session, tmp_path: Path) -> None:
    rec = Recognizer.from_file(artifact)
    pred = rec.predict(session.slice(0, 40))
    assert pred.label in LABELS and abs(sum(pred.scores.values()) - 1) < 1e-4
    assert pred.score == max(pred.scores.values())
    npz = tmp_path / "s.npz"
    session.to_npz(npz)
    preds = list(rec.stream(npz))
    assert len(preds) == session.n_frames
    assert [p.t_ms for p in preds] == sorted({p.t_ms for p in preds})
    assert all(p.ran_model for p in preds)
    direct = list(rec.stream(session))
    np.testing.assert_allclose([p.score for p in direct], [p.score for p in preds], atol=1e-5)


def test_every_k_runs_model_less_often(artifact: Path, session) -> None:
    rec = Recognizer.from_file(artifact, RecognizerOptions(every_k=3))
    ran = [p.ran_model for p in rec.stream(session.slice(0, 30))]
    assert sum(ran) == 10 and ran[2] and not ran[0]


def test_commands_come_from_decisions(artifact: Path, session) -> None:
    """A controller that fires on anything turns the (random) model's top class into a mapped command."""
    cfg = DecisionConfig(threshold=0.01, rearm=0.0, min_frames=1, smoothing="none", cooldown_s=0.0,
                         refractory_s=0.0, latch_all=False, continuous=[], unknown="none")
    rec = Recognizer.from_file(artifact, RecognizerOptions(decision=cfg))
    preds = list(rec.stream(session.slice(0, 20)))
    fired = [p for p in preds if p.decision is not None]
    assert fired and all(p.decision.label == p.label for p in fired)
    mapping = {"fist": "erase_annotations", "swiping_right": "next_slide", "swiping_left": "previous_slide"}
    assert all(p.command == mapping.get(p.label) for p in fired)


def test_errors(artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        Recognizer.from_file(tmp_path / "nope")
    rec = Recognizer.from_file(artifact)
    st = rec.session()
    first = st.push({"left_hand": None, "right_hand": None}, timestamp_ms=500)  # a video that starts without a hand
    assert first.label == "unknown" and first.score == 1.0 and first.command is None
    st.push({"right_hand": np.zeros((21, 3))}, timestamp_ms=1000)
    with pytest.raises(InputError, match="timestamps must increase"):
        st.push({"right_hand": np.zeros((21, 3))}, timestamp_ms=1000)
    with pytest.raises(InputError, match="not found"):
        list(rec.stream(tmp_path / "missing.mp4"))
