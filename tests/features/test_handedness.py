"""One definition of handedness: a mirrored recording scores exactly like the original (metamorphic tests)."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.features.handedness import mirror_label, mirror_permutation, mirror_sequence, mostly_left
from gestura.landmarks.sequence import LandmarkSequence

STREAM_LABELS = ["fist", "rotate_left", "rotate_right", "swiping_down", "swiping_left", "swiping_right",
                 "swiping_up", "unknown"]


def _session(seed: int = 0, fps: float = 27.0):
    from gestura.data.synthetic import SubjectStyle, make_session

    script = ["swiping_left", "rotate_right", "swiping_up", "swiping_right", "fist", "rotate_left", "swiping_down"]
    return make_session(script, SubjectStyle(subject="p1", swipe_style="wrist_tilt"), seed=seed, fps=fps)


def _random_recognizer(pipeline_params: dict, seed: int = 0, schema: str = "feature-schema-v1"):
    """An untrained (random) LSTM behind the runtime: the metamorphic property must hold for ANY weights."""
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.engines import TorchEngine
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    torch.manual_seed(seed)
    pipe = FeaturePipeline(schema, pipeline_params)
    net = create_model("lstm", input_dim=pipe.dim, num_classes=len(STREAM_LABELS), units=[16], dense=[16])
    with torch.no_grad():
        net.head.weight.mul_(40.0)  # peaky probabilities, so the controller fires
    bundle = ModelBundle(model=net.eval(), pipeline=pipe, labels=STREAM_LABELS, window=20, resample_fps=30.0)
    return Recognizer(TorchEngine(bundle), RecognizerOptions(decision=DecisionConfig(threshold=0.3, min_frames=1,
                                                                                     rearm=0.2)))


def test_mirror_label_and_permutation() -> None:
    assert mirror_label("swiping_left") == "swiping_right" and mirror_label("rotate_right") == "rotate_left"
    assert mirror_label("swiping_up") == "swiping_up" and mirror_label("fist") == "fist"
    perm = mirror_permutation(STREAM_LABELS)
    assert [STREAM_LABELS[i] for i in perm] == [mirror_label(x) for x in STREAM_LABELS]
    assert (perm[perm] == np.arange(len(perm))).all()
    assert mostly_left(np.array([1, 1, 0]), np.ones(3, bool)) and not mostly_left(np.array([1, 0]), np.ones(2, bool))


def test_mirror_sequence_is_an_involution_that_moves_the_hand_slot() -> None:
    seq = _session()
    m = mirror_sequence(seq)
    assert m.present["left_hand"].sum() == seq.present["right_hand"].sum() and not m.present["right_hand"].any()
    ok = seq.present["right_hand"]
    assert np.allclose(m.streams["left_hand"][ok, :, 0], 1.0 - seq.streams["right_hand"][ok, :, 0])
    assert set(m.frame_labels) == {mirror_label(x) for x in seq.frame_labels}
    back = mirror_sequence(m)
    assert all(np.allclose(back.streams[k], seq.streams[k]) for k in seq.streams)
    assert (back.frame_labels == seq.frame_labels).all()


@pytest.mark.parametrize("fps,schema", [(27.0, "feature-schema-v1"), (15.0, "feature-schema-v1"),
                                        (27.0, "feature-schema-v2")])
def test_mirrored_session_scores_exactly_like_the_original(fps: float, schema: str) -> None:
    """The spec of issue 'handedness': mirror every landmark, move the hand to the other slot, swap the labels;
    the runtime's probabilities come out permuted, its commands mirrored, its hit rate unchanged."""
    from gestura.evaluation.events import score_playback
    from gestura.runtime.replay import replay as play_recognizer

    rec = _random_recognizer({}, schema=schema)
    assert rec.pipeline.canonical_hand
    seq = _session(fps=fps)
    a, b = play_recognizer(rec, seq), play_recognizer(rec, mirror_sequence(seq))
    assert np.allclose(a.t, b.t)
    assert np.allclose(b.probs, a.probs[:, mirror_permutation(rec.labels)], atol=1e-5)
    assert len(a.events) > 0
    assert [(round(t, 6), mirror_label(c)) for t, c in a.events] == [(round(t, 6), c) for t, c in b.events]
    sa, sb = score_playback(a), score_playback(b)
    assert sa.hit_rate == sb.hit_rate and sa.false_commands == sb.false_commands


def test_the_old_rule_fails_the_mirror_check() -> None:
    """Shape mirrored but motion direction kept (the old rule): the same check sees the turn reversed, so the
    metamorphic test above can fail."""
    from gestura.runtime.replay import replay as play_recognizer

    rec = _random_recognizer({"keep_motion_direction": True})
    assert not rec.pipeline.canonical_hand
    seq = _session()
    a, b = play_recognizer(rec, seq), play_recognizer(rec, mirror_sequence(seq))
    assert not np.allclose(b.probs, a.probs[:, mirror_permutation(rec.labels)], atol=1e-3)


def test_left_hand_training_windows_take_the_mirror_label() -> None:
    from gestura.data.dataset import WindowDataset
    from gestura.features.pipeline import FeaturePipeline

    seq = _session()
    clip = seq.slice(0, 40)
    clip = type(clip)(**{**clip.__dict__, "label": "swiping_left", "frame_labels": None})
    pipe = FeaturePipeline("feature-schema-v1")
    right = WindowDataset([clip], pipe, STREAM_LABELS, window=20, stride=20)
    left = WindowDataset([mirror_sequence(clip)], pipe, STREAM_LABELS, window=20, stride=20)
    assert {STREAM_LABELS[i] for i in right.targets} == {"swiping_left"}
    assert {STREAM_LABELS[i] for i in left.targets} == {"swiping_left"}  # mirrored clip labelled right, swapped back
    xr, _, _ = right.arrays()
    xl, _, _ = left.arrays()
    assert np.allclose(xr, xl, atol=1e-5)  # the same features: the label is all that mirrors


def test_dominant_side_follows_the_moving_hand_not_the_slot(make_hand) -> None:
    from gestura.features.handedness import dominant_side

    n = 20
    pose = np.full((n, 33, 4), 0.5, np.float32)
    pose[:, 11, :2], pose[:, 12, :2] = (0.6, 0.5), (0.4, 0.5)
    moving = make_hand(1, n, start=(0.35, 0.7), move=(0.1, -0.3))  # the signer's right hand signs
    still = make_hand(2, n, start=(0.65, 0.8), move=(0.0, 0.0))
    pose[:, 16, :3], pose[:, 15, :3] = moving[:, 0], still[:, 0]
    # Holistic put the moving hand in the "left_hand" slot: the body, not the slot, decides
    seq = LandmarkSequence.from_arrays({"pose": pose, "left_hand": moving, "right_hand": still}, 30.0)
    assert dominant_side([seq]) == "right"
    assert dominant_side([mirror_sequence(seq)]) == "left"
    assert dominant_side([]) == "right"
