"""Stream windows: labels in seconds whatever the frame rate, the reaction-lag shift, hard negatives."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.data.streams import (
    StreamWindowConfig,
    cut_stream_windows,
    label_windows,
    resample_sequence,
    stream_prompts,
)
from gestura.errors import ConfigError, InputError
from gestura.landmarks.sequence import LandmarkSequence


def _stream(fps: float, seed: int = 0, jitter: float = 0.0) -> LandmarkSequence:
    """A 1 s prompt / 2 s rest stream of a moving random hand, sampled at `fps` with optional timestamp jitter."""
    rng = np.random.default_rng(seed)
    duration = 1.0 + 6 * 3.0
    n = int(duration * fps)
    t = np.arange(n) / fps + rng.uniform(0, jitter / fps, n)
    t = np.sort(t)
    hand = 0.5 + 0.05 * rng.standard_normal((21, 3)).astype(np.float32)
    xyz = np.repeat(hand[None], n, axis=0) + (0.1 * np.sin(t))[:, None, None].astype(np.float32)
    labels = np.full(n, "unknown", dtype=object)
    script = ["swiping_left", "fist", "swiping_right", "rotate_left", "fist", "swiping_up"]
    for i, lbl in enumerate(script):
        start = 1.0 + 3.0 * i
        labels[(t >= start) & (t < start + 1.0)] = lbl
    return LandmarkSequence.from_arrays({"right_hand": xyz, "left_hand": np.zeros_like(xyz)}, fps, t=t,
                                        frame_labels=labels.astype(str), video_id=f"s{fps:g}", subject="p")


def test_resample_by_time_gives_the_same_rate_for_15_and_27_fps() -> None:
    a, b = resample_sequence(_stream(15.0, jitter=0.3), 30.0), resample_sequence(_stream(27.0, jitter=0.3), 30.0)
    assert a.fps == b.fps == 30.0
    assert abs(a.n_frames - b.n_frames) <= 2
    assert np.allclose(np.diff(a.t), 1 / 30)
    # the interpolated motion follows the same function of time
    assert np.allclose(a.streams["right_hand"][:, 0, 0] - a.streams["right_hand"][0, 0, 0],
                       0.1 * (np.sin(a.t) - np.sin(a.t[0])), atol=2e-3)


def test_window_labels_agree_in_seconds_across_frame_rates() -> None:
    cfg = StreamWindowConfig()
    wins = {fps: cut_stream_windows(_stream(fps), cfg) for fps in (15.0, 27.0)}
    for fps, clips in wins.items():
        assert all(c.n_frames == cfg.window_frames == 30 for c in clips)
    lab = {fps: {round(c.attrs["t_end"], 1): c.label for c in clips} for fps, clips in wins.items()}
    common = set(lab[15.0]) & set(lab[27.0])
    assert len(common) > 100
    agree = np.mean([lab[15.0][k] == lab[27.0][k] for k in common])
    assert agree > 0.97
    labels15 = {c.label for c in wins[15.0]}
    assert {"swiping_left", "fist", "rotate_left", "unknown"} <= labels15


def test_label_shift_moves_the_positive_windows() -> None:
    prompts = [(10.0, 11.0, "fist")]
    t_end = np.round(np.arange(9.0, 14.0, 0.05), 3)
    for shift in (0.0, 0.3, 0.6):
        cfg = StreamWindowConfig(label_shift_s=shift)
        labels, _ = label_windows(t_end, prompts, cfg)
        pos = t_end[labels == "fist"]
        # window (1 s) covers >= 60% of [10 + shift, 11 + shift]: its end lies in [10.6 + shift, 11.4 + shift]
        assert pos.min() == pytest.approx(10.6 + shift, abs=0.051)
        assert pos.max() == pytest.approx(11.4 + shift, abs=0.051)
        assert (labels[t_end < 10.1 + shift] == "unknown").all()
        assert (labels[(t_end > 10.2 + shift) & (t_end < 10.55 + shift)] == "").all()  # ambiguous: dropped


def test_hard_negatives_are_the_rest_right_after_a_gesture() -> None:
    prompts = [(10.0, 11.0, "swiping_left")]
    t_end = np.round(np.arange(8.0, 16.0, 0.1), 3)
    labels, hard = label_windows(t_end, prompts, StreamWindowConfig())
    assert hard.any()
    assert (labels[hard] == "unknown").all()
    starts = t_end[hard] - 1.0
    assert starts.min() >= 10.8 and starts.max() < 10.3 + 1.8 + 1e-9  # after the motion, holding the return
    assert not hard[t_end < 11.0].any()


def test_rest_subsampling_keeps_hard_negatives() -> None:
    seq = _stream(27.0)
    full = cut_stream_windows(seq, StreamWindowConfig())
    sub = cut_stream_windows(seq, StreamWindowConfig(unknown_per_positive=0.5), np.random.default_rng(0))
    n_hard = sum(bool(c.attrs["hard_negative"]) for c in full)
    assert sum(bool(c.attrs["hard_negative"]) for c in sub) == n_hard
    assert sum(c.label == "unknown" for c in sub) < sum(c.label == "unknown" for c in full)
    assert [c.label for c in sub if c.label != "unknown"] == [c.label for c in full if c.label != "unknown"]


def test_prompts_and_bad_config() -> None:
    prompts = stream_prompts(_stream(15.0))
    assert [p[2] for p in prompts][:3] == ["swiping_left", "fist", "swiping_right"]
    assert prompts[0][0] == pytest.approx(1.0, abs=1 / 15)
    with pytest.raises(ConfigError):
        StreamWindowConfig(min_cover=0.1, max_cover_unknown=0.2)


def test_generated_stream_windows_cover_the_classes_the_real_streams_lack() -> None:
    from gestura.data.streams import generated_stream_windows

    cfg = StreamWindowConfig(stride_s=0.5, unknown_per_positive=1.0)
    seen: list[str] = []
    clips = generated_stream_windows(1, cfg, np.random.default_rng(0), reps=1,
                                     transform=lambda s: (seen.append(s.video_id), s)[1])
    labels = {str(c.label) for c in clips}
    assert {"zooming_in_full_hand", "zooming_out_full_hand", "point_one", "point_two", "rotate_left",
            "unknown"} <= labels
    assert len(seen) == 2  # two sessions per generated person, each through the transform
    assert all(c.n_frames == cfg.window_frames for c in clips)
    only = generated_stream_windows(1, cfg, np.random.default_rng(0), reps=1, classes=("fist",))
    assert {str(c.label) for c in only} <= {"fist", "unknown"}


def test_background_windows_are_unknown_hard_negatives_across_clips() -> None:
    from gestura.data.streams import background_windows, concat_clips

    a, b = _stream(30.0, seed=1).slice(0, 40), _stream(30.0, seed=2).slice(0, 50)
    joined = concat_clips([a, b], fps=30.0)
    assert joined.n_frames == 90 and set(joined.frame_labels) == {"unknown"}
    assert np.allclose(joined.streams["right_hand"][40:], b.streams["right_hand"][..., :3])
    cfg = StreamWindowConfig(stride_s=0.1)
    clips = background_windows([a, b], cfg)
    assert len(clips) >= 5 and all(c.label == "unknown" and c.attrs["hard_negative"] for c in clips)
    assert len(background_windows([a, b], cfg, np.random.default_rng(0), max_windows=3)) == 3
    with pytest.raises(InputError, match="no clips"):
        concat_clips([])


# ------------------------------------------------------------------ labels aligned to the hand's movement
def test_motion_aligned_labels_follow_the_movement_not_the_prompt() -> None:
    from gestura.data.streams import gesture_segments, label_windows_by_motion
    from gestura.data.synthetic import SubjectStyle, make_session

    script = ["swiping_left", "fist", "swiping_up", "swiping_right"]
    seq = make_session(script, SubjectStyle(subject="p1"), seed=2, fps=27.0)
    rs = resample_sequence(seq, 30.0)
    prompts = stream_prompts(seq)
    segs = gesture_segments(rs, prompts)
    assert sum(s is not None for s in segs) >= 3
    for (start, end, _), seg in zip(sorted(prompts), segs):
        if seg is not None:
            assert start - 0.3 <= seg[0] < seg[1] <= end + 1.0
    cfg = StreamWindowConfig(align="motion")
    t_end = np.arange(1.0, rs.t[-1], 0.05)
    labels, hard = label_windows_by_motion(t_end, prompts, segs, cfg)
    for (start, end, label), seg in zip(sorted(prompts), segs):
        if seg is None:
            continue
        at_end = np.argmin(np.abs(t_end - seg[1]))
        if t_end[at_end] - cfg.window_s <= seg[0] + 0.1:
            assert labels[at_end] == label
        later = (t_end > seg[1] + cfg.still_after_s + 0.05) & (t_end < seg[1] + cfg.still_after_s + 0.5)
        assert set(labels[later]) <= {"unknown"} and hard[later].all()  # held hand and return: hard negatives
    clips = cut_stream_windows(seq, cfg)
    assert {c.label for c in clips} >= {"unknown", "swiping_left"}


def test_window_config_rejects_a_bad_alignment() -> None:
    with pytest.raises(ConfigError, match="align"):
        StreamWindowConfig(align="frames")
