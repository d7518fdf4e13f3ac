"""Event-level stream scoring: known-answer streams, confusions, the grace window, per-hour normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import ConfigError
from gestura.evaluation.events import (
    merge_scores,
    prompts_from_labels,
    rest_seconds,
    score_stream,
    to_command_space,
)

CLASSES = ("swiping_left", "swiping_right", "fist", "rotate_left")


def _session(n: int = 12, prompt_s: float = 1.0, rest_s: float = 2.0, seed: int = 0):
    """A generated prompt script: (prompts, duration)."""
    rng = np.random.default_rng(seed)
    prompts = []
    t = 1.0
    for _ in range(n):
        prompts.append((t, t + prompt_s, str(rng.choice(CLASSES))))
        t += prompt_s + rest_s
    return prompts, t


def test_no_gesture_stream_counts_every_command_as_false() -> None:
    duration = 600.0
    commands = [(5.0, "swiping_left"), (100.0, "fist"), (400.0, "swiping_right")]
    s = score_stream([], commands, rest_seconds=rest_seconds([], duration), duration_s=duration)
    assert s.hits == 0 and s.n_prompts == 0
    assert s.false_commands == 3
    assert s.false_per_hour == pytest.approx(3 * 3600 / 600)
    assert s.false_by_class == {"fist": 1, "swiping_left": 1, "swiping_right": 1}


def test_perfect_oracle_hits_everything_with_its_latency() -> None:
    prompts, duration = _session(20)
    commands = [(a + 0.4, lbl) for a, _, lbl in prompts]
    s = score_stream(prompts, commands, rest_seconds(prompts, duration), duration_s=duration)
    assert s.hit_rate == 1.0 and s.confusions == 0 and s.misses == 0 and s.false_commands == 0
    assert s.latency_p50 == pytest.approx(0.4) and s.latency_p90 == pytest.approx(0.4)
    assert sum(c.hits for c in s.per_class.values()) == 20


def test_first_command_decides_confusion_and_extras() -> None:
    prompts = [(0.0, 1.0, "swiping_left"), (3.0, 4.0, "fist"), (6.0, 7.0, "swiping_right")]
    commands = [
        (0.5, "swiping_right"), (0.8, "swiping_left"),  # wrong first -> confusion, second is an extra
        (3.3, "fist"), (4.6, "swiping_left"),  # hit, then the return movement fires inside the grace window
    ]  # third prompt: nothing -> miss
    s = score_stream(prompts, commands, rest_seconds=3.0)
    assert (s.hits, s.confusions, s.misses, s.extra, s.false_commands) == (1, 1, 1, 2, 0)
    assert s.per_class["swiping_left"].confused_as == {"swiping_right": 1}
    assert s.per_class["fist"].latencies == [pytest.approx(0.3)]
    assert s.per_class["swiping_right"].misses == 1


def test_grace_window_edges() -> None:
    prompts = [(10.0, 11.0, "fist")]
    assert score_stream(prompts, [(12.0, "fist")], 1.0).hits == 1  # exactly end + grace: inside
    late = score_stream(prompts, [(12.01, "fist")], 1.0)
    assert late.hits == 0 and late.misses == 1 and late.false_commands == 1
    early = score_stream(prompts, [(9.99, "fist")], 1.0)
    assert early.misses == 1 and early.false_commands == 1
    assert score_stream(prompts, [(11.5, "fist")], 1.0, grace=0.2).false_commands == 1


def test_false_commands_per_hour_of_rest() -> None:
    prompts, duration = _session(10)  # 10 x (1 s prompt + 2 s rest) after 1 s lead-in
    rest = rest_seconds(prompts, duration, grace=1.0)
    assert rest == pytest.approx(duration - 10 * 2.0)
    commands = [(a + 2.5, "swiping_left") for a, _, _ in prompts[:4]]  # in the rest after 4 prompts
    s = score_stream(prompts, commands, rest)
    assert s.false_commands == 4 and s.misses == 10
    assert s.false_per_hour == pytest.approx(4 * 3600 / rest)


def test_merge_pools_counts_and_rest() -> None:
    p1, d1 = _session(5, seed=1)
    p2, d2 = _session(7, seed=2)
    s1 = score_stream(p1, [(a + 0.2, lbl) for a, _, lbl in p1] + [(d1 - 0.1, "fist")], rest_seconds(p1, d1))
    s2 = score_stream(p2, [], rest_seconds(p2, d2))
    m = merge_scores([s1, s2])
    assert m.n_streams == 2 and m.n_prompts == 12 and m.hits == 5 and m.misses == 7
    assert m.rest_seconds == pytest.approx(s1.rest_seconds + s2.rest_seconds)
    assert m.false_per_hour == pytest.approx(3600 / m.rest_seconds)
    d = m.to_dict()
    assert d["hit_rate"] == pytest.approx(5 / 12) and set(d["per_class"]) <= set(CLASSES)


def test_prompts_from_frame_labels_use_timestamps() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7])
    labels = np.array(["unknown", "fist", "fist", "unknown", "unknown", "swiping_left", "swiping_left"])
    assert prompts_from_labels(t, labels, fps=10.0) == [(0.1, 0.3, "fist"), (0.6, pytest.approx(0.8), "swiping_left")]


def test_command_space_drops_unmapped_classes() -> None:
    cmap = {"swiping_left": "previous_slide", "rotate_left": "no_action"}
    prompts = [(0.0, 1.0, "rotate_left"), (3.0, 4.0, "swiping_left")]
    p, c = to_command_space(prompts, [(0.5, "rotate_left"), (3.5, "swiping_left"), (5.5, "rotate_left")], cmap)
    assert [x[2] for x in p] == ["no_action", "previous_slide"] and c == [(3.5, "previous_slide")]


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        score_stream([], [], rest_seconds=1.0, grace=-1.0)


# ------------------------------------------------------------------------------------- runtime end to end
SWIPES = ["swiping_down", "swiping_left", "swiping_right", "swiping_up", "unknown"]


class WristOracle:
    """An engine that 'recognises' swipes from the window's net wrist displacement (feature-schema-v1's
    wrist_trajectory block, palm lengths): deterministic and input-dependent, so the runtime plumbing, the
    scorer and the handedness rule are tested without training a model."""

    def __init__(self, amp: float = 0.5, window: int = 20) -> None:
        from gestura.features.pipeline import FeaturePipeline
        from gestura.runtime.engines import ArtifactSpec

        pipe = FeaturePipeline("feature-schema-v1")
        self.block = pipe.spec.blocks["wrist_trajectory"]
        self.amp = amp
        self.spec = ArtifactSpec(labels=SWIPES, pipeline=pipe, window=window, resample_fps=30.0)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        d = x[:, -1, self.block] / self.amp
        logits = 4.0 * np.stack([d[:, 1], -d[:, 0], d[:, 0], -d[:, 1], np.ones(len(d))], axis=1)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def _oracle_recognizer():
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    return Recognizer(WristOracle(), RecognizerOptions(decision=DecisionConfig(threshold=0.7, min_frames=2)))


@pytest.mark.slow
def test_batched_playback_equals_live_streaming_and_evaluate_writes_a_report(tmp_path) -> None:
    from gestura.data.synthetic import SubjectStyle, make_session
    from gestura.evaluation.streams import evaluate_streams
    from gestura.runtime.replay import replay

    script = ["swiping_left", "swiping_up", "swiping_right", "swiping_down", "swiping_left", "swiping_right"]
    seq = make_session(script, SubjectStyle(subject="p1"), seed=1, fps=27.0)
    rec = _oracle_recognizer()
    fast = replay(rec, seq)
    live = replay(rec, seq, exact=True)
    assert len(fast.prompts) == len(script)
    assert len(live.events) >= 3
    assert [e[1] for e in fast.events] == [e[1] for e in live.events]
    assert np.allclose([e[0] for e in fast.events], [e[0] for e in live.events], atol=1e-9)
    ran = np.isin(live.t, fast.t)
    diff = np.abs(fast.probs - live.probs[ran]).max(axis=1)
    assert diff.max() < 1e-4
    report = evaluate_streams(rec, [seq], out=tmp_path, exact=True)
    assert (tmp_path / "report.json").is_file() and (tmp_path / report["timeline_png"]).is_file()
    o = report["overall"]
    assert o["n_prompts"] == len(script) and o["hits"] >= 3
    assert o["hits"] + o["confusions"] + o["misses"] == len(script)
    assert o["false_commands"] == len(report["events"][seq.video_id]) - (o["hits"] + o["confusions"] + o["extra"])
    assert report["rerun_vs_streaming"] > 0
    assert set(report["per_person"]) == {"p1"}


@pytest.mark.slow
def test_left_handed_synthetic_swipes_keep_their_real_direction() -> None:
    from gestura.data.synthetic import SubjectStyle, make_session
    from gestura.evaluation.events import score_playback
    from gestura.runtime.replay import replay as play_recognizer

    script = ["swiping_left", "swiping_right"] * 4
    rec = _oracle_recognizer()
    events = {}
    for hand in ("right", "left"):
        seq = make_session(script, SubjectStyle(subject=hand, handedness=hand), seed=3, fps=15.0)
        assert seq.present[f"{hand}_hand"].mean() > 0.5
        pb = play_recognizer(rec, seq)
        s = score_playback(pb)
        assert s.per_class["swiping_left"].hits >= 3 and s.per_class["swiping_right"].hits >= 2
        events[hand] = [lbl for _, lbl in pb.events]
    assert events["left"] == events["right"]  # the mirrored person fires the same, real-direction, commands


@pytest.mark.real_data
@pytest.mark.slow
def test_real_left_handed_stream_keeps_swipe_direction(shared_datasets) -> None:
    """meric_s1 is performed with the LEFT hand: mirrored into right-hand space, its swipes must keep their
    real direction (the wrist-displacement oracle hits them and never fires the opposite swipe en masse)."""
    from gestura.data.formats import load_dataset
    from gestura.evaluation.events import score_playback
    from gestura.runtime.replay import replay as play_recognizer

    ds = load_dataset(shared_datasets / "presentation-streams")
    seq = next(s for s in ds.sequences if s.video_id == "meric_s1")
    assert seq.present["left_hand"].mean() > 0.9
    s = score_playback(play_recognizer(_oracle_recognizer(), seq))
    for a, b in (("swiping_left", "swiping_right"), ("swiping_right", "swiping_left")):
        assert s.per_class[a].hits >= 8
        assert s.per_class[a].confused_as.get(b, 0) <= 1


@pytest.mark.slow
def test_evaluate_stream_cli_on_a_saved_artifact(tmp_path) -> None:
    import json

    import torch
    from typer.testing import CliRunner

    from gestura.cli import app
    from gestura.data.formats import write_seed003
    from gestura.data.streams import StreamWindowConfig, cut_stream_windows
    from gestura.data.synthetic import SubjectStyle, make_session
    from gestura.training.enroll import fit_clips

    torch.set_num_threads(1)
    script = ["swiping_left", "swiping_right", "fist"] * 2
    train = make_session(script, SubjectStyle(subject="a"), seed=5, fps=30.0)
    clips = cut_stream_windows(train, StreamWindowConfig(stride_s=0.3))
    labels = sorted({c.label for c in clips})
    fit_clips(clips, labels, model="lstm", model_params={"units": (8,), "dense": (8,)}, epochs=1,
              window=30).bundle.save(tmp_path / "model")
    write_seed003(tmp_path / "streams", [make_session(script, SubjectStyle(subject="b"), seed=6, fps=15.0)])
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate-stream", str(tmp_path / "model"), "--data", str(tmp_path / "streams"),
                              "--out", str(tmp_path / "eval")])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert rep["overall"]["n_prompts"] == len(script) and rep["exact_streaming"] is True
    assert list(rep["per_person"]) == ["b"]
    bad = runner.invoke(app, ["evaluate-stream", str(tmp_path / "model"), "--data", str(tmp_path / "streams"),
                              "--out", str(tmp_path / "eval2"), "--split", "subject=nobody"])
    assert bad.exit_code == 2 and "selects no labelled stream" in bad.output
