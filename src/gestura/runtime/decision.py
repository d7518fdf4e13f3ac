"""The decision rule: when does a stream of class probabilities become a command?

A classifier run on every frame is noisy; a presenter needs one command per gesture and none while talking.
`ActivationController.update(probs (K,), t) -> Decision | None` applies, in order:

1. probability smoothing: EMA (`alpha`) or a majority vote over the last `window` updates
   (the vote score of a class is the fraction of those updates whose arg-max it was);
2. the top smoothed class must reach its per-class `threshold` for `min_frames` consecutive updates;
3. re-arming (hysteresis): after a class fires, it must fall below its lower `rearm` threshold before it may
   fire again; with `latch_all` no *other* discrete class may fire either until then, and `refractory_s`
   after any discrete command blocks all discrete classes, and `opposite_block_s` after a gesture blocks its
   opposite (`opposites`: left/right, up/down, zoom in/out), so the hand's return after a swipe (which looks
   like the opposite swipe) does not fire;
4. per-class `cooldown_s` between two firings of the same class;
5. with the hand's motion (`update(..., motion=row)`, a `gestura.features.motion` row per update): a discrete
   class fires only if the hand moved (`min_motion`: peak speed over the last `motion_window_s`, palm lengths
   per second), so a raised, still palm fires nothing; and after a gesture fires, its **return** is watched on
   the hand's path: the gesture's vector runs from the pose farthest from the firing pose within
   `motion_window_s` to the firing pose; until the hand has come back `return_fraction` of that vector and rested
   (`rest_speed` for `rest_s`), or `return_block_s` passed, the opposite class cannot fire, nor any class while
   the hand is moving back. A hand that pauses before returning is still caught, unlike a fixed block.

Timestamps come from the caller (recorded `t` or the frame clock), never from the wall clock, so streaming
evaluation replays recordings exactly as `gestura live` runs them. `unknown` is the background class: it
never fires and resets the consecutive-frame counters. Continuous classes (`point_one` laser pointer,
`point_two` pen) do not fire once: while active they yield a `continuous` decision every update, then one
`continuous_end`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gestura.errors import ConfigError, InputError, config_error
from gestura.features.motion import pose_delta, pose_distance
from gestura.io import read_yaml_mapping

CONTINUOUS_CLASSES = ("point_one", "point_two")
"""Continuous gestures: point_one drives the laser pointer, point_two the pen, for as long as they last."""
OPPOSITES = {"swiping_left": "swiping_right", "swiping_right": "swiping_left", "swiping_up": "swiping_down",
             "swiping_down": "swiping_up", "zooming_in_full_hand": "zooming_out_full_hand",
             "zooming_out_full_hand": "zooming_in_full_hand", "rotate_left": "rotate_right",
             "rotate_right": "rotate_left"}
"""Gestures whose return movement looks like the other one."""

DecisionKind = Literal["discrete", "continuous", "continuous_end"]


class DecisionConfig(BaseModel):
    """Thresholds, smoothing, re-arming and cooldowns of the activation controller (YAML-loadable)."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.8, gt=0, le=1, description="default firing threshold of smoothed probability")
    thresholds: dict[str, float] = Field(default_factory=dict, description="per-class firing thresholds")
    rearm: float = Field(0.4, ge=0, lt=1, description="default re-arm threshold (must fall below to fire again)")
    rearm_thresholds: dict[str, float] = Field(default_factory=dict)
    smoothing: Literal["ema", "vote", "none"] = "ema"
    alpha: float = Field(0.5, gt=0, le=1, description="EMA weight of the newest probabilities")
    window: int = Field(5, ge=1, description="vote window in updates")
    min_frames: int = Field(3, ge=1, description="consecutive updates above threshold before firing")
    cooldown_s: float = Field(1.0, ge=0, description="default seconds between two firings of one class")
    cooldowns: dict[str, float] = Field(default_factory=dict)
    refractory_s: float = Field(0.5, ge=0, description="seconds after any discrete command with none at all")
    latch_all: bool = True
    opposites: dict[str, str] = Field(default_factory=lambda: dict(OPPOSITES))
    opposite_block_s: float = Field(1.5, ge=0, description="seconds a gesture blocks its opposite")
    min_motion: float = Field(0.0, ge=0, description="peak hand speed (palm lengths/s) a discrete class needs "
                              "within motion_window_s; 0 = no motion gate")
    motion_window_s: float = Field(1.0, gt=0, le=10, description="seconds of hand motion the gates look back on")
    return_block_s: float = Field(0.0, ge=0, le=30, description="longest watch of a gesture's return; 0 = off")
    return_fraction: float = Field(0.5, gt=0, le=2, description="share of the gesture's vector the hand must come "
                                   "back before the return counts as done")
    rest_speed: float = Field(1.0, ge=0, description="hand speed (palm lengths/s) below which the hand rests")
    rest_s: float = Field(0.25, ge=0, le=10, description="seconds at rest that end a return")
    trigger: Literal["threshold", "motion_end"] = Field(
        "threshold", description="threshold: fire when the smoothed probability holds above the threshold; "
        "motion_end: segment spotting, decide once per movement of the hand, when it comes to rest")
    end_hold_s: float = Field(0.1, ge=0, le=2, description="motion_end: seconds below rest_speed that end a movement")
    decide_delay_s: float = Field(0.1, ge=0, le=2, description="motion_end: seconds after the end over which the "
                                  "class probabilities are read (the model sees the whole movement)")
    max_segment_s: float = Field(2.0, gt=0, le=10, description="motion_end: a movement longer than this is decided "
                                 "at this length")
    unknown: str = "unknown"
    continuous: list[str] = Field(default_factory=lambda: list(CONTINUOUS_CLASSES))
    discrete: list[str] | None = Field(None, description="discrete classes; None = all but unknown/continuous")

    @model_validator(mode="after")
    def _check(self) -> DecisionConfig:
        for name, value in {**self.thresholds, **self.rearm_thresholds}.items():
            if not 0 <= value <= 1:
                raise ValueError(f"threshold of {name!r} must be in [0, 1], got {value}")
        for name in set(self.thresholds) | set(self.rearm_thresholds):
            if self.rearm_for(name) >= self.threshold_for(name):
                raise ValueError(f"re-arm threshold of {name!r} must be below its firing threshold")
        if self.rearm >= self.threshold:
            raise ValueError("rearm must be below threshold")
        return self

    def threshold_for(self, label: str) -> float:
        return self.thresholds.get(label, self.threshold)

    def rearm_for(self, label: str) -> float:
        return self.rearm_thresholds.get(label, self.rearm)

    def cooldown_for(self, label: str) -> float:
        return self.cooldowns.get(label, self.cooldown_s)

    def is_discrete(self, label: str) -> bool:
        if label == self.unknown or label in self.continuous:
            return False
        return self.discrete is None or label in self.discrete

    @classmethod
    def from_yaml(cls, path: str | Path) -> DecisionConfig:
        """Load from a YAML file; unknown keys and bad values are a one-line `ConfigError` naming the file."""
        raw = read_yaml_mapping(path, "decision config", ConfigError)
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "decision config") -> DecisionConfig:
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            raise config_error(err, source) from None


@dataclass(frozen=True)
class Decision:
    """One output of the controller: `kind` discrete (fire once), continuous (active now) or continuous_end."""

    label: str
    score: float
    t: float
    kind: DecisionKind = "discrete"


class ActivationController:
    """Turns per-update class probabilities into decisions; see the module docstring for the rule."""

    def __init__(self, labels: list[str] | tuple[str, ...], config: DecisionConfig | None = None) -> None:
        self.labels = list(labels)
        self.config = config or DecisionConfig()
        c = self.config
        self._thr = np.array([c.threshold_for(lb) for lb in self.labels])
        self._rearm = np.array([c.rearm_for(lb) for lb in self.labels])
        self._discrete = np.array([c.is_discrete(lb) for lb in self.labels])
        self._continuous = np.array([lb in c.continuous for lb in self.labels])
        self._opposite = np.array([self.labels.index(c.opposites[lb]) if c.opposites.get(lb) in self.labels
                                   else -1 for lb in self.labels])
        self.reset()

    def reset(self) -> None:
        """Forget all state (smoothing, counters, latches, cooldowns)."""
        k = len(self.labels)
        self._ema: np.ndarray | None = None
        self._votes: deque[int] = deque(maxlen=self.config.window)
        self._streak_label = -1
        self._streak = 0
        self._armed = np.ones(k, dtype=bool)
        self._latched: int | None = None
        self._last_fire = np.full(k, -np.inf)
        self._last_any = -np.inf
        self._active: int | None = None
        self._t = -np.inf
        self.smoothed = np.zeros(k)
        self._motion: deque[tuple[float, np.ndarray, float]] = deque()
        self._speed = 0.0
        self._watch: _ReturnWatch | None = None
        self._gate_after = -np.inf
        self._seg_start: float | None = None
        self._still_since: float | None = None
        self._pending: tuple[float, np.ndarray] | None = None
        self.suppressed: deque[tuple[float, str, str]] = deque(maxlen=256)
        """(t, class, why) of firings the motion gates held back: `still` or `return`."""

    # ------------------------------------------------------------------ motion
    def _track(self, row: np.ndarray | None, t: float) -> None:
        """Keep the motion history and advance the return watch."""
        if row is None:
            return
        row = np.asarray(row, dtype=np.float64)
        self._speed = 0.5 * float(row[5]) + 0.5 * self._speed if row[0] > 0 else 0.5 * self._speed
        self._motion.append((t, row, self._speed))
        while self._motion and self._motion[0][0] < t - self.config.motion_window_s:
            self._motion.popleft()
        w = self._watch
        if w is None:
            return
        c = self.config
        if t - w.t > c.return_block_s:
            self._watch, self._gate_after = None, t
            return
        if row[0] > 0:
            w.progress = float(-np.dot(pose_delta(w.end, row), w.vector) / max(np.dot(w.vector, w.vector), 1e-9))
            w.back = w.back or w.progress >= c.return_fraction
        if w.back and self._speed < c.rest_speed:
            w.rest_since = t if w.rest_since is None else w.rest_since
            if t - w.rest_since >= c.rest_s:
                self._watch, self._gate_after = None, t
        else:
            w.rest_since = None

    def _held_back(self, top: int, t: float) -> str | None:
        """Why the motion gates hold a discrete firing of `top` back (None: they do not)."""
        c = self.config
        if not self._motion:
            return None
        if c.min_motion > 0 and max((s for tm, _, s in self._motion if tm > self._gate_after), default=0.0) \
                < c.min_motion:
            return "still"  # no movement since the last return ended: a raised, still hand
        w = self._watch
        if w is not None and (top == self._opposite[w.label] or w.progress > 0.25):
            return "return"
        return None

    def _watch_return(self, label: int, t: float) -> None:
        c = self.config
        rows = [r for _, r, _ in self._motion if r[0] > 0]
        if c.return_block_s <= 0 or not rows:
            return
        end = rows[-1]
        start = max(rows, key=lambda r: pose_distance(r, end))
        vec = pose_delta(start, end)
        if float(np.linalg.norm(vec)) > 1e-3:
            self._watch = _ReturnWatch(label, t, end, vec)

    def _smooth(self, p: np.ndarray) -> np.ndarray:
        c = self.config
        if c.smoothing == "ema":
            self._ema = p.copy() if self._ema is None else c.alpha * p + (1 - c.alpha) * self._ema
            return self._ema
        if c.smoothing == "vote":
            self._votes.append(int(np.argmax(p)))
            return np.bincount(np.array(self._votes), minlength=len(p)) / len(self._votes)
        return p

    def update(self, probs: np.ndarray, t: float, motion: np.ndarray | None = None) -> Decision | None:
        """Feed one probability vector `(K,)` at time `t` seconds (and the hand's motion row, if known);
        returns a `Decision` or None."""
        p = np.asarray(probs, dtype=np.float64).reshape(-1)
        if p.shape[0] != len(self.labels):
            raise InputError(f"decision: got {p.shape[0]} probabilities for {len(self.labels)} classes")
        if t <= self._t:
            raise InputError(f"decision: timestamps must increase (got {t} after {self._t})")
        self._t = t
        self._track(motion, t)
        s = self._smooth(p)
        self.smoothed = s
        self._armed |= s < self._rearm
        if self._latched is not None and s[self._latched] < self._rearm[self._latched]:
            self._latched = None
        top = int(np.argmax(s))
        score = float(s[top])
        above = score >= self._thr[top]
        if above and top == self._streak_label:
            self._streak += 1
        else:
            self._streak_label, self._streak = (top, 1) if above else (-1, 0)

        if self._active is not None:
            a = self._active
            if top == a and s[a] >= self._rearm[a]:
                return Decision(self.labels[a], float(s[a]), t, "continuous")
            self._active = None
            return Decision(self.labels[a], float(s[a]), t, "continuous_end")

        if self.config.trigger == "motion_end" and motion is not None and not self._continuous[top]:
            return self._segment_decision(s, t)
        if self._streak < self.config.min_frames:
            return None
        if self._continuous[top]:
            self._active = top
            return Decision(self.labels[top], score, t, "continuous")
        if not self._discrete[top] or not self._armed[top]:
            return None
        if self.config.latch_all and self._latched is not None:
            return None
        if t - self._last_any < self.config.refractory_s:
            return None
        if t - self._last_fire[top] < self.config.cooldown_for(self.labels[top]):
            return None
        opp = self._opposite[top]
        if opp >= 0 and t - self._last_fire[opp] < self.config.opposite_block_s:
            return None
        return self._fire(top, score, t)

    def _fire(self, top: int, score: float, t: float) -> Decision | None:
        """The gates every discrete firing passes (motion, return watch), then the bookkeeping of a firing."""
        why = self._held_back(top, t)
        if why is not None:
            if not self.suppressed or self.suppressed[-1][1:] != (self.labels[top], why) or \
                    t - self.suppressed[-1][0] > 1.0:
                self.suppressed.append((t, self.labels[top], why))
            return None
        self._watch_return(top, t)
        self._armed[top] = False
        self._latched = top
        self._last_fire[top] = t
        self._last_any = t
        self._streak = 0
        return Decision(self.labels[top], score, t, "discrete")

    def _segment_decision(self, s: np.ndarray, t: float) -> Decision | None:
        """Segment spotting: one decision per movement, `decide_delay_s` after the hand came to rest, from the
        highest smoothed probability each class reached since the movement ended."""
        c = self.config
        moving = self._speed >= max(c.rest_speed, 1e-9)
        if self._pending is not None:
            t_end, best = self._pending
            best = np.maximum(best, s)
            if t - t_end < c.decide_delay_s and not (moving and t - t_end > c.end_hold_s):
                self._pending = (t_end, best)
                return None
            self._pending = None
            cand = np.where(self._discrete, best, -1.0)
            top = int(np.argmax(cand))
            if cand[top] < self._thr[top]:
                return None
            if t - self._last_any < c.refractory_s or t - self._last_fire[top] < c.cooldown_for(self.labels[top]):
                return None
            return self._fire(top, float(cand[top]), t)
        if self._seg_start is None:
            if moving:
                self._seg_start, self._still_since = t, None
            return None
        if not moving:
            self._still_since = t if self._still_since is None else self._still_since
        else:
            self._still_since = None
        ended = self._still_since is not None and t - self._still_since >= c.end_hold_s
        if ended or t - self._seg_start >= c.max_segment_s:
            self._seg_start, self._still_since = None, None
            self._pending = (t, s.copy())
        return None


@dataclass
class _ReturnWatch:
    """A fired gesture whose return movement is being watched."""

    label: int
    t: float
    end: np.ndarray
    vector: np.ndarray
    progress: float = 0.0
    back: bool = False
    rest_since: float | None = None
