"""Enrolment: takes from the first K prompts, head re-mapping, replay, and a tiny adapt + CLI round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.data.streams import StreamWindowConfig


def _session(seed: int = 0, subject: str = "u1"):
    from gestura.data.synthetic import SubjectStyle, make_session

    script = ["swiping_left", "swiping_right", "fist"] * 4
    return make_session(script, SubjectStyle(subject=subject), seed=seed, fps=20.0)


def test_takes_use_only_the_first_k_prompts_per_class() -> None:
    from gestura.training.enroll import takes_from_stream

    seq = _session()
    clips, t_cut = takes_from_stream(seq, 2, StreamWindowConfig())
    labels = {c.label for c in clips}
    assert {"swiping_left", "swiping_right", "fist", "unknown"} <= labels
    # 2 takes x 3 classes = the first 6 prompts; nothing after them is used
    from gestura.data.streams import stream_prompts

    prompts = stream_prompts(seq)
    assert prompts[5][0] < t_cut < prompts[6][0] + 0.5
    assert max(c.attrs["t_end"] for c in clips) <= t_cut + 1e-6
    assert any(c.attrs["hard_negative"] for c in clips)


def test_replay_set_caps_each_class() -> None:
    from gestura.data.streams import cut_stream_windows
    from gestura.training.enroll import replay_set

    clips = cut_stream_windows(_session(1), StreamWindowConfig())
    rep = replay_set(clips, 5, np.random.default_rng(0))
    counts = {lb: sum(c.label == lb for c in rep) for lb in {c.label for c in rep}}
    assert max(counts.values()) == 5 and set(counts) == {c.label for c in clips}


@pytest.mark.slow
def test_adapt_keeps_shared_head_rows_and_enroll_writes_an_artifact(tmp_path) -> None:
    import torch

    from gestura.artifact import ModelBundle
    from gestura.data.formats import write_seed003
    from gestura.data.streams import cut_stream_windows
    from gestura.training.enroll import enroll, fit_clips
    from gestura.training.finetune import rehead

    torch.set_num_threads(1)
    clips = cut_stream_windows(_session(2, "old"), StreamWindowConfig(stride_s=0.3))
    labels = ["fist", "swiping_left", "unknown"]
    base = fit_clips([c for c in clips if c.label in labels], labels, model="lstm",
                     model_params={"units": (8,), "dense": (8,)}, epochs=1, window=30).bundle
    net, shared = rehead(base.model, base.labels, ["swiping_right", "fist", "unknown", "swiping_left"])
    assert shared == 3
    old_w = dict(base.model.head.named_parameters())["weight"]
    new_w = dict(net.head.named_parameters())["weight"]
    assert torch.equal(new_w[1], old_w[0]) and torch.equal(new_w[3], old_w[1]) and torch.equal(new_w[2], old_w[2])
    base.save(tmp_path / "base")
    write_seed003(tmp_path / "takes", [_session(3, "new")])
    info = enroll(tmp_path / "base", str(tmp_path / "takes"), tmp_path / "personal", k=2, mode="head", retune=True)
    personal = ModelBundle.load(tmp_path / "personal")
    assert "swiping_right" in personal.labels and set(labels) <= set(personal.labels)
    assert info["takes"] > 0 and personal.meta["enrolment"]["k"] == 2
    assert "decision" in personal.meta


@pytest.mark.real_data
def test_enroll_from_a_video_records_prompts_on_the_video_clock(shared_datasets, tmp_path) -> None:
    """`--source VIDEO` replays the prompt script on the video's timestamps through MediaPipe, then adapts."""
    from gestura.artifact import ModelBundle
    from gestura.runtime.recognizer import DEFAULT_ARTIFACT
    from gestura.training.enroll import enroll, record_prompted

    video = shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    seq = record_prompted(str(video), ["fist", "point_one"], k=1)
    labels = list(dict.fromkeys(seq.frame_labels))
    assert labels[:2] == ["unknown", "fist"] and "point_one" in labels  # 2 s lead, then 1 s prompt + 2 s rest
    first = seq.t[list(seq.frame_labels).index("fist")] - seq.t[0]
    assert 1.9 <= first <= 2.2
    info = enroll(DEFAULT_ARTIFACT, str(video), tmp_path / "me", k=1, seed=0)
    assert info["takes"] > 0
    assert ModelBundle.load(tmp_path / "me").labels == ModelBundle.load(DEFAULT_ARTIFACT).labels


# ---------------------------------------------------------------------------------------------- issue 19
def _small_model(path: Path) -> Path:
    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    pipe = FeaturePipeline("feature-schema-v1")
    m = create_model("lstm", input_dim=pipe.dim, num_classes=2, units=(4,), dense=(4,))
    return ModelBundle(model=m, pipeline=pipe, labels=["fist", "unknown"], window=8).save(path, card=False)


@pytest.mark.parametrize("where, needle", [
    ("same", "is the --artifact being personalised"),
    ("other_model", "already holds a model; pass --overwrite"),
    ("file", "exists and is not a folder"),
])
def test_enroll_refuses_to_write_into_its_input_or_over_a_model(tmp_path: Path, where: str, needle: str) -> None:
    import hashlib

    from gestura.errors import ConfigError
    from gestura.training.enroll import enroll

    art = _small_model(tmp_path / "art")
    out = {"same": art, "other_model": _small_model(tmp_path / "other"), "file": tmp_path / "f"}[where]
    if where == "file":
        out.write_text("x")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in art.iterdir()}
    with pytest.raises(ConfigError, match=needle):
        enroll(art, str(tmp_path / "no-such-source"), out, k=2)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in art.iterdir()} == before


def test_enroll_k_zero_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gestura.cli import app

    art = _small_model(tmp_path / "art")
    res = CliRunner().invoke(app, ["enroll", str(art), "--source", str(tmp_path), "--out",
                                   str(tmp_path / "me"), "--takes", "0"])
    assert res.exit_code == 2 and "-k 0: out of bounds" in res.stderr and not (tmp_path / "me").exists()
