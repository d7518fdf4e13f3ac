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
