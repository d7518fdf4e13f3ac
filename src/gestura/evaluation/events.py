"""Event-level scoring of continuous streams: what a presenter feels, not per-frame accuracy.

A prompt `(start_s, end_s, label)` owns the window `[start_s, end_s + grace]`. The FIRST discrete command in that
window decides it: the right class is a hit, another class a confusion, none a miss. Later commands inside the same
window are counted as `extra` (a double fire) but are not false commands. Every command outside all prompt windows
is a false command; false commands are normalised per hour of rest, where rest is the stream time outside the
prompt windows. Latency is prompt start -> the deciding command, over hits, and, where the hand's motion was
recorded, the end of the hand's movement -> the deciding command. A command that is the opposite of the one
before it within 3 s is a return (the hand going back), counted apart.

Everything here is pure: it knows nothing about models or the runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gestura.data.prompts import Prompt, prompts_from_labels
from gestura.errors import ConfigError, InputError
from gestura.runtime.replay import Playback

Command = tuple[float, str]

NO_COMMAND = "no_action"
RETURN_OPPOSITES: dict[str, str] = {
    **{a: b for pair in (("swiping_left", "swiping_right"), ("swiping_up", "swiping_down"),
                         ("zooming_in_full_hand", "zooming_out_full_hand"), ("rotate_left", "rotate_right"),
                         ("next_slide", "previous_slide"), ("start_presentation", "stop_presentation"),
                         ("zoom_in_view", "zoom_out_view")) for a, b in (pair, pair[::-1])},
}
"""Gestures (and commands) whose return movement looks like the other one."""


@dataclass
class ClassScore:
    """Counts for the prompts of one class."""

    n: int = 0
    hits: int = 0
    confusions: int = 0
    misses: int = 0
    latencies: list[float] = field(default_factory=list)
    confused_as: dict[str, int] = field(default_factory=dict)

    def add(self, other: ClassScore) -> None:
        self.n += other.n
        self.hits += other.hits
        self.confusions += other.confusions
        self.misses += other.misses
        self.latencies.extend(other.latencies)
        for k, v in other.confused_as.items():
            self.confused_as[k] = self.confused_as.get(k, 0) + v

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n, "hits": self.hits, "confusions": self.confusions, "misses": self.misses,
            "hit_rate": _rate(self.hits, self.n), "confusion_rate": _rate(self.confusions, self.n),
            "latency_p50_s": _pct(self.latencies, 50), "latency_p90_s": _pct(self.latencies, 90),
            "confused_as": dict(sorted(self.confused_as.items())),
        }


@dataclass
class StreamScore:
    """Event-level result of one stream, or of several merged with `merge_scores`."""

    n_prompts: int = 0
    hits: int = 0
    confusions: int = 0
    misses: int = 0
    extra: int = 0
    false_commands: int = 0
    rest_seconds: float = 0.0
    duration_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    per_class: dict[str, ClassScore] = field(default_factory=dict)
    false_by_class: dict[str, int] = field(default_factory=dict)
    n_streams: int = 1
    returns: int = 0
    returns_by_class: dict[str, int] = field(default_factory=dict)
    return_events: list[Command] = field(default_factory=list)
    decided: list[tuple[Prompt, Command | None]] = field(default_factory=list)
    """Each prompt with the command that decided it (None: missed), in time order."""
    false_events: list[Command] = field(default_factory=list)
    end_latencies: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return _rate(self.hits, self.n_prompts)

    @property
    def confusion_rate(self) -> float:
        return _rate(self.confusions, self.n_prompts)

    @property
    def miss_rate(self) -> float:
        return _rate(self.misses, self.n_prompts)

    @property
    def false_per_hour(self) -> float:
        """False commands per hour of rest (0 when there is no rest and no false command)."""
        if self.rest_seconds <= 0:
            return 0.0 if self.false_commands == 0 else float("inf")
        return self.false_commands * 3600.0 / self.rest_seconds

    @property
    def latency_p50(self) -> float | None:
        return _pct(self.latencies, 50)

    @property
    def latency_p90(self) -> float | None:
        return _pct(self.latencies, 90)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (rates, counts, latency percentiles, per class)."""
        fph = self.false_per_hour
        return {
            "n_streams": self.n_streams, "n_prompts": self.n_prompts,
            "hit_rate": self.hit_rate, "confusion_rate": self.confusion_rate, "miss_rate": self.miss_rate,
            "hits": self.hits, "confusions": self.confusions, "misses": self.misses, "extra": self.extra,
            "false_commands": self.false_commands,
            "false_per_hour": fph if np.isfinite(fph) else None,
            "rest_seconds": round(self.rest_seconds, 3), "duration_s": round(self.duration_s, 3),
            "latency_p50_s": self.latency_p50, "latency_p90_s": self.latency_p90,
            "false_by_class": dict(sorted(self.false_by_class.items())),
            "returns": self.returns, "returns_by_class": dict(sorted(self.returns_by_class.items())),
            "latency_from_end_p50_s": _pct(self.end_latencies, 50),
            "latency_from_end_p90_s": _pct(self.end_latencies, 90),
            "per_class": {k: v.to_dict() for k, v in sorted(self.per_class.items())},
        }


def prompt_windows(prompts: Sequence[Prompt], grace: float = 1.0) -> list[tuple[float, float]]:
    """`[start, end + grace]` per prompt, clipped so a window never runs into the next prompt's start."""
    order = sorted(prompts, key=lambda p: p[0])
    out = []
    for i, (start, end, _) in enumerate(order):
        stop = end + grace
        if i + 1 < len(order):
            stop = min(stop, order[i + 1][0])
        out.append((float(start), float(stop)))
    return out


def rest_seconds(prompts: Sequence[Prompt], duration_s: float, grace: float = 1.0, start_s: float = 0.0) -> float:
    """Stream time outside every prompt window (the time in which any command is false)."""
    covered = 0.0
    for a, b in prompt_windows(prompts, grace):
        a, b = max(a, start_s), min(b, start_s + duration_s)
        covered += max(0.0, b - a)
    return max(0.0, duration_s - covered)


def score_stream(
    prompts: Sequence[Prompt],
    commands: Iterable[Command],
    rest_seconds: float,
    grace: float = 1.0,
    *,
    duration_s: float = 0.0,
    opposites: Mapping[str, str] | None = None,
    return_s: float = 3.0,
) -> StreamScore:
    """Score one stream's discrete commands against its prompts (see the module docstring for the rule).

    `commands` are `(t_s, name)` in the same vocabulary as the prompt labels (classes, or commands when the caller
    mapped both). A prompt whose label is `None`-like (empty string) is skipped. `rest_seconds` normalises the
    false-command count. A command that is the opposite (`opposites`, default `RETURN_OPPOSITES`) of the
    command before it within `return_s` seconds, and does not decide a prompt of its own class, is a **return**
    (the hand going back); returns are counted apart, whether they landed in the rest (also false commands) or
    inside a prompt's window (also extra or a confusion).
    """
    if grace < 0:
        raise ConfigError(f"grace must be >= 0 seconds, got {grace}")
    if rest_seconds < 0:
        raise ConfigError(f"rest_seconds must be >= 0, got {rest_seconds}")
    order = sorted((p for p in prompts if p[2]), key=lambda p: p[0])
    for start, end, label in order:
        if not end >= start:
            raise InputError(f"prompt {label!r} ends ({end}) before it starts ({start})")
    windows = prompt_windows(order, grace)
    cmds = sorted(((float(t), str(c)) for t, c in commands), key=lambda c: c[0])
    score = StreamScore(rest_seconds=float(rest_seconds), duration_s=float(duration_s))
    starts = np.array([w[0] for w in windows])
    owner: list[list[Command]] = [[] for _ in order]
    for t, name in cmds:
        i = int(np.searchsorted(starts, t, side="right")) - 1
        if i >= 0 and t <= windows[i][1]:
            owner[i].append((t, name))
        else:
            score.false_commands += 1
            score.false_by_class[name] = score.false_by_class.get(name, 0) + 1
            score.false_events.append((t, name))
    deciding: set[tuple[float, str]] = set()
    for (start, _end, label), got in zip(order, owner):
        if got and got[0][1] == label:
            deciding.add(got[0])
        score.decided.append((Prompt(float(start), float(_end), str(label)), got[0] if got else None))
        cs = score.per_class.setdefault(label, ClassScore())
        cs.n += 1
        score.n_prompts += 1
        if not got:
            cs.misses += 1
            score.misses += 1
            continue
        t, name = got[0]
        score.extra += len(got) - 1
        if name == label:
            cs.hits += 1
            score.hits += 1
            cs.latencies.append(t - start)
            score.latencies.append(t - start)
        else:
            cs.confusions += 1
            score.confusions += 1
            cs.confused_as[name] = cs.confused_as.get(name, 0) + 1
    opp = dict(RETURN_OPPOSITES if opposites is None else opposites)
    for (t_prev, prev), (t, name) in zip(cmds[:-1], cmds[1:]):
        if opp.get(prev) == name and t - t_prev <= return_s and (t, name) not in deciding:
            score.returns += 1
            score.returns_by_class[name] = score.returns_by_class.get(name, 0) + 1
            score.return_events.append((t, name))
    return score


def merge_scores(scores: Iterable[StreamScore]) -> StreamScore:
    """Pool several streams' events (counts and rest time add; rates are recomputed from the pooled counts)."""
    out = StreamScore(n_streams=0)
    for s in scores:
        out.n_streams += s.n_streams
        out.n_prompts += s.n_prompts
        out.hits += s.hits
        out.confusions += s.confusions
        out.misses += s.misses
        out.extra += s.extra
        out.false_commands += s.false_commands
        out.rest_seconds += s.rest_seconds
        out.duration_s += s.duration_s
        out.latencies.extend(s.latencies)
        out.end_latencies.extend(s.end_latencies)
        out.returns += s.returns
        out.return_events.extend(s.return_events)
        for k, v in s.returns_by_class.items():
            out.returns_by_class[k] = out.returns_by_class.get(k, 0) + v
        for k, cs in s.per_class.items():
            out.per_class.setdefault(k, ClassScore()).add(cs)
        for k, v in s.false_by_class.items():
            out.false_by_class[k] = out.false_by_class.get(k, 0) + v
    return out


def to_command_space(
    prompts: Sequence[Prompt], commands: Iterable[Command], command_map: Mapping[str, str]
) -> tuple[list[Prompt], list[Command]]:
    """Map prompt labels and fired classes to commands, dropping events that dispatch nothing.

    A prompt whose class maps to no command (e.g. rotate_left by default) keeps the label `no_action`: any command
    in its window is then a confusion (a rotation that changed the slide), and silence counts as a miss of it, so
    command-space hit rates are only meaningful per class.
    """
    mapped_p = [Prompt(a, b, command_map.get(lbl, NO_COMMAND)) for a, b, lbl in prompts]
    mapped_c = [(t, command_map.get(c, NO_COMMAND)) for t, c in commands]
    return mapped_p, [(t, c) for t, c in mapped_c if c != NO_COMMAND]


def score_playback(pb: Playback, events: Sequence[Command] | None = None, grace: float = 1.0) -> StreamScore:
    """Score a playback's discrete class events (or `events` given) against its prompts; with motion rows, also
    the latency of each hit from the end of the hand's movement (`movement_end`)."""
    rest = rest_seconds(pb.prompts, pb.duration_s, grace, start_s=pb.start_s)
    ev = pb.events if events is None else events
    score = score_stream(pb.prompts, ev, rest, grace, duration_s=pb.duration_s)
    if pb.motion is not None and len(pb.t):
        for prompt, got in score.decided:
            if got is not None and got[1] == prompt.label:
                end = movement_end(pb.t, pb.motion, prompt.start_s, got[0])
                if end is not None:
                    score.end_latencies.append(got[0] - end)
    return score


def movement_end(t: np.ndarray, motion: np.ndarray, start: float, until: float, rest_speed: float = 1.5,
                 min_peak: float = 2.0) -> float | None:
    """When the hand's movement ended: the first time after the fastest moment in `[start, until]` at which its
    smoothed speed (3-update mean, palm lengths/s) drops below `rest_speed` (looked for until 1.5 s after `until`);
    None if it never drops, or when the hand never moved faster than `min_peak` (nothing to measure from)."""
    sel = np.flatnonzero((t >= start) & (t <= until + 1.5))
    if sel.size < 2:
        return None
    sp = np.convolve(motion[sel, 5], np.ones(3) / 3.0, mode="same")
    inside = t[sel] <= until
    if not inside.any() or sp[inside].max() < min_peak:
        return None
    k = int(np.argmax(np.where(inside, sp, -1.0)))
    below = np.flatnonzero(sp[k:] < rest_speed)
    return float(t[sel][k + below[0]]) if below.size else None


def _rate(k: int, n: int) -> float:
    return float(k) / n if n else 0.0


def _pct(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if len(values) else None


__all__ = [
    "ClassScore", "Command", "NO_COMMAND", "Prompt", "RETURN_OPPOSITES", "StreamScore", "merge_scores",
    "movement_end", "prompt_windows", "prompts_from_labels", "rest_seconds", "score_playback", "score_stream",
    "to_command_space",
]
