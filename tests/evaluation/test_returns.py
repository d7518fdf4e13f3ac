"""Returns: the opposite command within 3 s of the previous one is counted apart, and the runtime's path-aware
return watch keeps it from firing."""

from __future__ import annotations

import numpy as np

from gestura.evaluation.events import merge_scores, score_stream


def test_returns_are_counted_in_the_rest_and_inside_the_next_prompt() -> None:
    prompts = [(1.0, 2.0, "swiping_left"), (4.0, 5.0, "swiping_left"), (7.0, 8.0, "swiping_up")]
    commands = [(1.5, "swiping_left"), (3.3, "swiping_right"),   # return in the rest: false + return
                (4.4, "swiping_left"), (4.9, "swiping_right"),   # return inside the prompt window: extra + return
                (7.5, "swiping_up"), (11.5, "swiping_down")]     # opposite but 4 s later: false, not a return
    s = score_stream(prompts, commands, rest_seconds=6.0)
    assert s.hits == 3 and s.extra == 1 and s.false_commands == 2
    assert s.returns == 2 and s.returns_by_class == {"swiping_right": 2}
    assert s.to_dict()["returns"] == 2
    assert merge_scores([s, s]).returns == 4


def test_an_opposite_prompt_hit_is_not_a_return() -> None:
    prompts = [(1.0, 2.0, "swiping_left"), (3.0, 4.0, "swiping_right")]
    s = score_stream(prompts, [(1.5, "swiping_left"), (3.5, "swiping_right")], rest_seconds=2.0)
    assert s.hits == 2 and s.returns == 0


def test_latency_from_the_end_of_the_movement_is_reported() -> None:
    from gestura.evaluation.events import score_playback
    from gestura.runtime.replay import Playback

    t = np.arange(0, 6, 1 / 30)
    motion = np.zeros((len(t), 7))
    motion[:, 0] = 1
    motion[(t > 1.2) & (t < 1.6), 5] = 8.0  # the hand moves from 1.2 s to 1.6 s
    pb = Playback("s", "p", "p-1", ["swiping_left", "unknown"], t, np.zeros((len(t), 2), np.float32),
                  [(1.0, 2.0, "swiping_left")], duration_s=6.0, events=[(1.8, "swiping_left")], motion=motion)
    d = score_playback(pb).to_dict()
    assert d["hits"] == 1
    assert abs(d["latency_p50_s"] - 0.8) < 1e-6
    assert 0.1 < d["latency_from_end_p50_s"] < 0.25  # fired ~0.2 s after the speed fell
