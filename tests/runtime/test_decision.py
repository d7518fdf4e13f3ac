"""The activation controller: thresholds, min frames, cooldown, re-arming, EMA/vote, continuous classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.errors import ConfigError, InputError
from gestura.runtime.decision import ActivationController, DecisionConfig

LABELS = ["unknown", "swiping_left", "swiping_right", "fist", "point_one"]


def onehot(label: str, p: float = 0.95) -> np.ndarray:
    v = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1))
    v[LABELS.index(label)] = p
    return v


def run(ctrl: ActivationController, frames: list[tuple[str, float]], fps: float = 30.0, t0: float = 0.0):
    out = []
    for i, (label, p) in enumerate(frames):
        d = ctrl.update(onehot(label, p), t0 + i / fps)
        if d is not None:
            out.append(d)
    return out


NOSMOOTH = dict(smoothing="none", refractory_s=0.0)


def test_fires_once_after_min_frames() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=3, **NOSMOOTH))
    out = run(ctrl, [("swiping_left", 0.95)] * 10)
    assert [(d.label, d.kind) for d in out] == [("swiping_left", "discrete")]
    assert out[0].t == pytest.approx(2 / 30)


def test_below_threshold_never_fires_and_per_class_threshold() -> None:
    cfg = DecisionConfig(threshold=0.8, thresholds={"fist": 0.97}, min_frames=1, **NOSMOOTH)
    ctrl = ActivationController(LABELS, cfg)
    assert run(ctrl, [("swiping_left", 0.7)] * 20) == []
    assert run(ctrl, [("fist", 0.95)] * 20, t0=1) == []
    assert [d.label for d in run(ctrl, [("swiping_left", 0.85)] * 3, t0=2)] == ["swiping_left"]


def test_interrupted_streak_does_not_fire() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=3, **NOSMOOTH))
    frames = [("fist", 0.95), ("fist", 0.95), ("unknown", 0.9)] * 5
    assert run(ctrl, frames) == []


def test_rearm_required_before_firing_again() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=1, cooldown_s=0.0, rearm=0.3, **NOSMOOTH))
    # Dips to 0.5 (above re-arm 0.3): same gesture continuing, must not fire again.
    frames = [("fist", 0.95)] * 3 + [("fist", 0.5)] * 3 + [("fist", 0.95)] * 3
    assert len(run(ctrl, frames)) == 1
    # Falls below 0.3 (unknown dominates): re-armed, fires again.
    frames2 = [("unknown", 0.95)] * 2 + [("fist", 0.95)] * 2
    assert [d.label for d in run(ctrl, frames2, t0=5)] == ["fist"]


def test_return_movement_blocked_by_latch() -> None:
    """Swipe right fires; the return looks like swipe left while right is still above re-arm: no command."""
    cfg = dict(min_frames=2, smoothing="none", refractory_s=0.0, rearm=0.4, opposite_block_s=0.0)
    ret = np.array([0.0, 0.85, 0.5, 0.0, 0.0])  # left on top, right not yet below re-arm
    frames = [onehot("swiping_right")] * 4 + [ret] * 4 + [onehot("unknown")] * 3 + [onehot("swiping_left")] * 3
    for latch, expected in ((True, ["swiping_right", "swiping_left"]),
                            (False, ["swiping_right", "swiping_left", "swiping_left"])):
        ctrl = ActivationController(LABELS, DecisionConfig(latch_all=latch, cooldown_s=0.0, **cfg))
        out = [ctrl.update(p, i / 30) for i, p in enumerate(frames)]
        assert [d.label for d in out if d is not None] == expected


def test_refractory_blocks_other_classes() -> None:
    cfg = DecisionConfig(min_frames=1, refractory_s=1.0, latch_all=False, smoothing="none")
    ctrl = ActivationController(LABELS, cfg)
    frames = [("swiping_right", 0.95)] + [("unknown", 0.95)] + [("swiping_left", 0.95)] * 3
    assert [d.label for d in run(ctrl, frames)] == ["swiping_right"]
    assert [d.label for d in run(ctrl, [("swiping_left", 0.95)], t0=2.0)] == ["swiping_left"]


def test_opposite_blocked_for_a_while() -> None:
    cfg = DecisionConfig(min_frames=1, smoothing="none", refractory_s=0.0, opposite_block_s=1.5)
    ctrl = ActivationController(LABELS, cfg)
    assert [d.label for d in run(ctrl, [("swiping_right", 0.95), ("unknown", 0.95)])] == ["swiping_right"]
    assert run(ctrl, [("swiping_left", 0.95)] * 5, t0=1.0) == []  # the return movement, re-armed but blocked
    assert [d.label for d in run(ctrl, [("fist", 0.95)], t0=1.3)] == ["fist"]  # other classes are not blocked
    assert [d.label for d in run(ctrl, [("unknown", 0.95), ("swiping_left", 0.95)], t0=1.6)] == ["swiping_left"]
    off = ActivationController(LABELS, DecisionConfig(min_frames=1, smoothing="none", refractory_s=0.0,
                                                      opposite_block_s=0.0))
    assert len(run(off, [("swiping_right", 0.95), ("unknown", 0.95), ("swiping_left", 0.95)])) == 2


def test_cooldown_uses_timestamps() -> None:
    cfg = DecisionConfig(min_frames=1, cooldown_s=2.0, **NOSMOOTH)
    ctrl = ActivationController(LABELS, cfg)
    pattern = [("fist", 0.95), ("unknown", 0.95)]
    # 10 fist/unknown alternations over 0.6 s (30 fps): re-armed each time, but cooldown allows one.
    assert len(run(ctrl, pattern * 10)) == 1
    ctrl.reset()
    # Same pattern at 1 update per 1.5 s: every other fist fires (cooldown 2 s).
    out = run(ctrl, pattern * 4, fps=1 / 0.75)
    assert [round(d.t, 2) for d in out] == [0.0, 3.0]


def test_ema_smooths_single_spike() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=1, smoothing="ema", alpha=0.3))
    frames = [("unknown", 0.95)] * 5 + [("fist", 0.99)] + [("unknown", 0.95)] * 5
    assert run(ctrl, frames) == []
    raw = ActivationController(LABELS, DecisionConfig(min_frames=1, smoothing="none"))
    assert len(run(raw, frames)) == 1


def test_vote_needs_majority() -> None:
    cfg = DecisionConfig(min_frames=1, smoothing="vote", window=5, threshold=0.7, rearm=0.2)
    ctrl = ActivationController(LABELS, cfg)
    assert run(ctrl, [("unknown", 0.9)] * 5 + [("fist", 0.9), ("unknown", 0.9)] * 3) == []
    out = run(ctrl, [("fist", 0.9)] * 3, t0=5)
    assert [d.label for d in out] == ["fist"]
    assert out[0].score == pytest.approx(0.8)


def test_continuous_class_reports_while_active_then_ends() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=2, **NOSMOOTH))
    out = run(ctrl, [("point_one", 0.95)] * 5 + [("unknown", 0.95)])
    assert [d.kind for d in out] == ["continuous"] * 4 + ["continuous_end"]
    assert all(d.label == "point_one" for d in out)


def test_unknown_never_fires_and_bad_inputs() -> None:
    ctrl = ActivationController(LABELS, DecisionConfig(min_frames=1, **NOSMOOTH))
    assert run(ctrl, [("unknown", 0.99)] * 10) == []
    with pytest.raises(InputError, match="3 probabilities"):
        ctrl.update(np.ones(3) / 3, 10.0)
    with pytest.raises(InputError, match="increase"):
        ctrl.update(onehot("fist"), 0.0)


def test_yaml_loading_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "d.yaml"
    good.write_text("threshold: 0.9\nthresholds: {fist: 0.95}\nsmoothing: vote\nwindow: 7\n")
    cfg = DecisionConfig.from_yaml(good)
    assert cfg.threshold_for("fist") == 0.95 and cfg.threshold_for("swiping_left") == 0.9 and cfg.window == 7
    typo = tmp_path / "typo.yaml"
    typo.write_text("treshold: 0.9\n")
    with pytest.raises(ConfigError, match="typo.yaml: treshold"):
        DecisionConfig.from_yaml(typo)
    bad = tmp_path / "bad.yaml"
    bad.write_text("threshold: 0.5\nrearm: 0.6\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        DecisionConfig.from_yaml(bad)
    with pytest.raises(ConfigError, match="not found"):
        DecisionConfig.from_yaml(tmp_path / "missing.yaml")


# ------------------------------------------------------------------ motion gates: still hands and returns
def _rows(xs, speed, angle=0.0):
    """Motion rows (valid, x, y, angle, scale, speed) for a palm of length 0.1 at x positions `xs`."""
    return [np.array([1.0, x, 0.5, angle, 0.1, sp, 2.0]) for x, sp in zip(xs, speed)]


def test_a_still_hand_fires_nothing_with_the_motion_gate() -> None:
    from gestura.runtime.decision import ActivationController, DecisionConfig

    labels = ["swiping_left", "swiping_right", "unknown"]
    ctl = ActivationController(labels, DecisionConfig(min_motion=2.0, min_frames=2))
    p = np.array([0.95, 0.0, 0.05])
    fired = [ctl.update(p, 0.1 * i, r) for i, r in enumerate(_rows([0.5] * 20, [0.2] * 20))]
    assert not any(d is not None for d in fired)
    assert ctl.suppressed and ctl.suppressed[0][2] == "still"
    moving = ActivationController(labels, DecisionConfig(min_motion=2.0, min_frames=2))
    xs = np.linspace(0.5, 0.3, 20)
    fired = [moving.update(p, 0.1 * i, r) for i, r in enumerate(_rows(xs, [6.0] * 20))]
    assert sum(d is not None for d in fired) == 1


def test_the_return_after_a_pause_does_not_fire_but_a_later_opposite_gesture_does() -> None:
    from gestura.runtime.decision import ActivationController, DecisionConfig

    labels = ["swiping_left", "swiping_right", "unknown"]
    cfg = DecisionConfig(min_motion=2.0, min_frames=2, return_block_s=3.0, opposite_block_s=0.0, refractory_s=0.0,
                         cooldown_s=0.0)
    ctl = ActivationController(labels, cfg)
    left, right, rest = np.array([0.95, 0.0, 0.05]), np.array([0.0, 0.95, 0.05]), np.array([0.0, 0.0, 1.0])
    t = 0.0
    events = []

    def feed(p, x, sp, n):
        nonlocal t
        for xi in np.linspace(x[0], x[1], n):
            t += 1 / 30
            d = ctl.update(p, t, np.array([1.0, xi, 0.5, 0.0, 0.1, sp, 2.0]))
            if d is not None:
                events.append((round(t, 2), d.label))

    feed(left, (0.5, 0.35), 8.0, 12)      # the swipe to the left: fires
    feed(rest, (0.35, 0.35), 0.2, 30)     # a pause of 1 s (a fixed 1.5 s block from the fire time would expire)
    feed(right, (0.35, 0.5), 8.0, 15)     # the hand goes back: looks like swiping_right, is the return
    assert [e[1] for e in events] == ["swiping_left"]
    assert any(why == "return" for _, _, why in ctl.suppressed)
    feed(rest, (0.5, 0.5), 0.2, 60)       # back and resting: the return is done
    feed(right, (0.5, 0.65), 8.0, 12)     # a real swipe to the right now fires
    assert [e[1] for e in events] == ["swiping_left", "swiping_right"]
