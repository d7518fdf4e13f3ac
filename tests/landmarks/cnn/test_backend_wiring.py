"""The landmark CNN as a selectable backend: the shared factory, `extract --landmarks cnn`, the Recognizer option
and `live --landmarks cnn`, on a tiny untrained model and a generated video (MediaPipe's detector faked)."""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.data import ingest
from gestura.errors import ConfigError
from gestura.landmarks import mediapipe_backend
from gestura.landmarks.backend import LandmarkFrame, create_landmark_backend
from gestura.landmarks.sequence import LandmarkSequence

HAND = np.stack([np.linspace(0.3, 0.6, 21), np.linspace(0.3, 0.7, 21), np.zeros(21)], axis=1).astype(np.float32)


class FakeHands:
    """Stands in for MediaPipe Hands (detector of the CNN tracker, and the mediapipe backend): one right hand."""

    stream_names = ("left_hand", "right_hand")
    calls = 0

    def __init__(self, **kwargs: object) -> None:
        pass

    def process(self, frame):  # type: ignore[no-untyped-def]
        FakeHands.calls += 1
        return LandmarkFrame({"left_hand": None, "right_hand": HAND.copy()}, {"right_hand": 0.9},
                             t_ms=frame.t_ms, size=frame.size)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeHands:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.fixture()
def fake_mediapipe(monkeypatch):
    FakeHands.calls = 0
    monkeypatch.setattr(mediapipe_backend, "MediaPipeHands", FakeHands)
    monkeypatch.setattr(ingest, "_BACKENDS", {})  # workers' cached backends must not outlive the fake
    return FakeHands


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A tiny untrained CNN whose confidence head is biased high, so the tracker keeps every hand it is given."""
    import torch

    from gestura.landmarks.cnn import create_landmark_model, save_landmark_model

    torch.manual_seed(0)
    net = create_landmark_model("mobilenetv3_small_050_hand", width=0.25, input_size=64)
    with torch.no_grad():
        net.confidence_head[-1].bias.fill_(10.0)
    return save_landmark_model(net, tmp_path_factory.mktemp("lmk") / "model")


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vid") / "clip.mp4"
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (96, 64))
    for _ in range(6):
        writer.write(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8))
    writer.release()
    return path


def test_factory_builds_each_kind_and_rejects_bad_choices(model_dir, tmp_path, fake_mediapipe):
    from gestura.landmarks.cnn.tracker import CnnHandBackend

    with create_landmark_backend("cnn", model_dir=model_dir, max_hands=1, mirror=False) as b:
        assert isinstance(b, CnnHandBackend) and b.max_hands == 1 and not b.mirror and b.input_size == 64
    assert isinstance(create_landmark_backend("mediapipe"), FakeHands)
    for kwargs, words in [({"kind": "openpose"}, "mediapipe|cnn"), ({"kind": "cnn"}, "--landmark-model"),
                          ({"kind": "cnn", "model_dir": model_dir, "holistic": True}, "--holistic"),
                          ({"kind": "cnn", "model_dir": tmp_path}, "model.json"),
                          ({"kind": "mediapipe", "model_dir": model_dir}, "cnn landmark backend only")]:
        with pytest.raises(ConfigError, match=words) as err:
            create_landmark_backend(**kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(err.value)


def test_extract_with_cnn_backend_tracks_with_the_cnn(model_dir, video, tmp_path, fake_mediapipe):
    rep_mp = ingest.extract(video, tmp_path / "mp", progress=False, in_process=True)
    rep = ingest.extract(video, tmp_path / "cnn", progress=False, in_process=True, backend="cnn",
                         landmark_model=model_dir)
    assert not rep.errors and len(rep.extracted) == 1
    seq = LandmarkSequence.from_npz(tmp_path / "cnn" / "clip.npz")
    mp = LandmarkSequence.from_npz(tmp_path / "mp" / "clip.npz")
    assert seq.n_frames == mp.n_frames == 6
    assert seq.streams["right_hand"].shape == (6, 21, 3) and seq.streams["left_hand"].shape == (6, 21, 3)
    assert seq.present["right_hand"].all() and not seq.present["left_hand"].any()
    assert np.allclose(seq.streams["right_hand"][0], HAND, atol=1e-6)  # first frame: the (fake) detector
    assert not np.allclose(seq.streams["right_hand"][1:], mp.streams["right_hand"][1:], atol=1e-3)  # then the CNN
    backend = next(b for k, b in ingest._BACKENDS.items() if k[0] == "cnn" and k[1] == str(model_dir.resolve()))
    assert backend.counts["cnn"] == 5 and backend.counts["detector_runs"] == 1


def test_job_spec_carries_the_backend_choice_to_workers(model_dir, video, tmp_path):
    job, = ingest.plan_jobs(video, tmp_path, backend="cnn", landmark_model=model_dir)
    back = pickle.loads(pickle.dumps(job))
    assert (back.backend, back.landmark_model) == ("cnn", str(model_dir.resolve()))
    assert ingest.plan_jobs(video, tmp_path)[0].backend == "mediapipe"


def _artifact(tmp: Path) -> Path:
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    torch.manual_seed(0)
    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "swiping_left", "unknown"]
    model = create_model("lstm", input_dim=pipe.dim, num_classes=len(labels))
    ModelBundle(model=model, pipeline=pipe, labels=labels, window=8, stride=4).save(tmp / "art", card=False)
    return tmp / "art"


def test_recognizer_stream_uses_the_cnn_backend(model_dir, video, tmp_path, fake_mediapipe):
    from gestura.landmarks.cnn.tracker import CnnHandBackend
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    rec = Recognizer.from_file(_artifact(tmp_path), RecognizerOptions(landmarks="cnn", landmark_model=model_dir))
    preds = list(rec.stream(str(video)))
    assert len(preds) == 6 and all(p.landmarks["right_hand"].shape == (21, 3) for p in preds)
    assert isinstance(rec.landmark_backend, CnnHandBackend)
    assert rec.landmark_backend.counts["cnn"] == 5 and fake_mediapipe.calls == 1
    assert all(abs(sum(p.scores.values()) - 1.0) < 1e-4 for p in preds)
    with pytest.raises(ConfigError, match="--landmark-model"):
        RecognizerOptions(landmarks="cnn")
    with pytest.raises(ConfigError, match="mediapipe|cnn"):
        RecognizerOptions(landmarks="yolo")


def test_live_runs_on_the_cnn_backend(model_dir, video, tmp_path, fake_mediapipe):
    from gestura.runtime.live import run_live

    summary = run_live(str(video), _artifact(tmp_path), "log", landmarks="cnn", landmark_model=model_dir,
                       say=lambda msg: None)
    assert summary["frames"] == 6 and fake_mediapipe.calls == 1  # MediaPipe only found the hand; the CNN tracked


def test_cli_backend_errors_are_one_line(model_dir, video, tmp_path):
    runner = CliRunner()
    cases = [
        (["extract", str(video), "--out", str(tmp_path / "o"), "--landmarks", "cnn"], "no landmark CNN ships"),
        (["extract", str(video), "--out", str(tmp_path / "o"), "--landmarks", "cnn", "--holistic",
          "--landmark-model", str(model_dir)], "--holistic"),
        (["extract", str(video), "--out", str(tmp_path / "o"), "--landmarks", "yolo"], "mediapipe|cnn"),
        (["live", "--source", str(video), "--landmarks", "cnn"], "train one: gestura landmarks dataset"),
        (["live", "--source", str(video), "--landmarks", "cnn", "--landmark-model", str(tmp_path)], "model.json"),
    ]
    for args, words in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert words in res.stderr and res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.real_data
def test_extract_cnn_on_a_real_video_detects_once_then_tracks(model_dir, shared_datasets, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "_BACKENDS", {})
    video = shared_datasets / "media/mediapipe-samples/thumb_up_video.mp4"
    rep = ingest.extract(video, tmp_path, progress=False, in_process=True, backend="cnn",
                         landmark_model=model_dir, max_hands=1)
    assert not rep.errors, rep.errors
    seq = LandmarkSequence.from_npz(tmp_path / "thumb_up_video.npz")
    hand = seq.any_hand_present()
    first = int(np.argmax(hand))  # MediaPipe re-detects on every frame until it finds the hand, then the CNN tracks
    assert hand[first:].all() and seq.n_frames - first > 10
    assert seq.streams["right_hand"].shape == (seq.n_frames, 21, 3)
    backend, = ingest._BACKENDS.values()
    assert backend.counts == {"cnn": seq.n_frames - first - 1, "mediapipe": 1, "lost": 0,
                              "detector_runs": first + 1}


def test_cnn_landmarks_are_smoothed_once_by_the_runtime(model_dir, video, tmp_path, fake_mediapipe, monkeypatch):
    """The tracker returns raw landmarks; the Recognizer smooths them once (a filter in both lags twice)."""
    from gestura.landmarks.cnn.tracker import CnnHandBackend
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    raw: list[np.ndarray] = []
    process = CnnHandBackend.process

    def spy(self, frame):  # type: ignore[no-untyped-def]
        res = process(self, frame)
        raw.append(self._raw["right_hand"].copy())  # what the CNN (or the detector) found, before any filter
        return res

    monkeypatch.setattr(CnnHandBackend, "process", spy)
    options = RecognizerOptions(landmarks="cnn", landmark_model=model_dir)
    preds = list(Recognizer.from_file(_artifact(tmp_path), options).stream(str(video)))
    once, twice = options.smoothing.make(), options.smoothing.make()
    second = options.smoothing.make()
    t = [p.t_ms / 1000.0 for p in preds]
    expect_once = [once.update(r, ti) for r, ti in zip(raw, t)]
    expect_twice = [second.update(twice.update(r, ti), ti) for r, ti in zip(raw, t)]
    got = np.stack([p.landmarks["right_hand"] for p in preds])
    assert len(raw) == len(preds) == 6
    assert np.abs(np.stack(raw)[1:] - np.stack(raw)[:-1]).max() > 1e-3  # the hand moves, so smoothing shows
    assert np.allclose(got, np.stack(expect_once), atol=1e-5)
    assert not np.allclose(got, np.stack(expect_twice), atol=1e-4)
