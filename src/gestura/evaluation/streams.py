"""Event-level scoring of continuous streams: what a presenter feels, not per-frame accuracy.

A prompt `(start_s, end_s, label)` owns the window `[start_s, end_s + grace]`. The FIRST discrete command in that
window decides it: the right class is a hit, another class a confusion, none a miss. Later commands inside the same
window are counted as `extra` (a double fire) but are not false commands. Every command outside all prompt windows
is a false command; false commands are normalised per hour of rest, where rest is the stream time outside the
prompt windows. Latency is prompt start -> the deciding command, over hits.

`score_stream` is pure and knows nothing about models; `evaluate_streams` plays recorded streams through the same
runtime objects `gestura live` uses and scores them with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.motion import MOTION_FIELDS, hand_motion

Prompt = tuple[float, float, str]
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
    deciding: set[tuple[float, str]] = set()
    for (start, _end, label), got in zip(order, owner):
        if got and got[0][1] == label:
            deciding.add(got[0])
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
        for k, v in s.per_class.items():
            out.per_class.setdefault(k, ClassScore()).add(v)
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
    mapped_p = [(a, b, command_map.get(lbl, NO_COMMAND)) for a, b, lbl in prompts]
    mapped_c = [(t, command_map.get(c, NO_COMMAND)) for t, c in commands]
    return mapped_p, [(t, c) for t, c in mapped_c if c != NO_COMMAND]


def prompts_from_labels(t: np.ndarray, frame_labels: np.ndarray, background: str = "unknown",
                        fps: float | None = None) -> list[Prompt]:
    """Runs of non-background frame labels as prompts: `(T,)` times + `(T,)` labels -> [(start_s, end_s, label)].

    A prompt ends where the next label starts (the last one, one frame period after its last frame).
    """
    t = np.asarray(t, dtype=np.float64)
    labels = np.asarray(frame_labels).astype(str)
    if t.shape != labels.shape:
        raise InputError(f"{t.shape} timestamps for {labels.shape} frame labels")
    if t.size == 0:
        return []
    period = 1.0 / fps if fps else float(np.median(np.diff(t))) if t.size > 1 else 0.0
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    bounds = np.concatenate([[0], change, [labels.size]])
    out: list[Prompt] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        lbl = str(labels[a])
        if lbl == background:
            continue
        end = float(t[b]) if b < t.size else float(t[-1]) + period
        out.append((float(t[a]), end, lbl))
    return out


@dataclass
class Playback:
    """What the runtime produced on one stream: per-update times `(N,)` and class probabilities `(N, K)`.

    `events` are the discrete decisions `(t_s, class)` and `commands` the dispatched `(t_s, command)`;
    `frame_cost_ms` the per-frame runtime cost (features + model + decisions, no MediaPipe).
    """

    stream: str
    subject: str | None
    session: str | None
    labels: list[str]
    t: np.ndarray
    probs: np.ndarray
    prompts: list[Prompt]
    duration_s: float
    start_s: float = 0.0
    events: list[Command] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    frame_cost_ms: float | None = None
    motion: np.ndarray | None = None
    """`(N, 6)` the acting hand's motion row at each update (`gestura.features.motion`), for the decision rule's
    motion gates, the return count and the latency from the end of the movement."""


def play_windows(
    seq: Any,
    labels: Sequence[str],
    probs_fn: Any,
    window: int,
    rate_hz: float = 30.0,
    background: str = "unknown",
) -> Playback:
    """Offline playback: class probabilities for the window ending at every frame of the stream resampled to `rate_hz`.

    `probs_fn(resampled_seq, ends (N,)) -> (N, K)` scores the windows `[end - window + 1, end]`. Each update is
    stamped with the first RECORDED timestamp at or after its resampled time (when a causal runtime could have
    computed it), so interpolation never makes a command look earlier than the camera allowed.
    """
    from gestura.features.windows import resample_sequence

    rs = resample_sequence(seq, rate_hz)
    ends = np.arange(window - 1, rs.n_frames)
    probs = np.asarray(probs_fn(rs, ends), dtype=np.float32) if ends.size else np.zeros((0, len(labels)), np.float32)
    j = np.clip(np.searchsorted(seq.t, rs.t[ends] - 1e-9, side="left"), 0, seq.n_frames - 1)
    t = np.maximum.accumulate(np.asarray(seq.t, dtype=np.float64)[j]) if ends.size else np.zeros(0)
    keep = np.concatenate([[True], np.diff(t) > 0]) if t.size else np.zeros(0, bool)
    prompts = prompts_from_labels(seq.t, seq.frame_labels, background, fps=seq.fps) \
        if seq.frame_labels is not None else []
    return Playback(stream=str(seq.video_id), subject=seq.subject, session=seq.session, labels=list(labels),
                    t=t[keep], probs=probs[keep], prompts=prompts, duration_s=float(seq.duration),
                    start_s=float(seq.t[0]))


def play_recognizer(rec: Any, seq: Any, batch: int = 256, background: str = "unknown") -> Playback:
    """Batched playback equal to `rec.stream(seq)`: probabilities after every RECORDED frame, then decisions.

    The runtime smooths landmarks, resamples to the artifact's rate and, at recorded frame j, runs the model on
    the ring buffer of the last `window` resampled frames up to `t_j`; here the same windows are built from the
    offline (== streaming) features and scored in batches, which is ~50x faster on a CPU. Decisions and commands
    come from a fresh controller fed at the recorded timestamps, as in `live`.
    """
    t0 = time.perf_counter()
    rs = rec.prepare(seq)
    w = rec.window
    rate = rec.resample_fps
    t = np.asarray(seq.t, dtype=np.float64)
    if rate:
        rs = _causal_presence(rs, seq)
    feats, valid = rec.pipeline.frame_features(rs)
    mirrored = rec.pipeline.mirrored_frames(rs)
    motion = hand_motion(rs) if rs.hands() else np.zeros((rs.n_frames, len(MOTION_FIELDS)))
    if rate:
        g = np.floor((t - t[0]) * rate + 1e-9).astype(np.int64)
        g = np.minimum(g, rs.n_frames - 1)
    else:
        g = np.arange(seq.n_frames)
    probs = np.zeros((len(t), len(rec.labels)), np.float32)
    bg = rec.background_probs()
    probs[:] = bg
    every = int(rec.options.every_k)
    keep = np.zeros(len(t), bool)
    added = np.diff(np.concatenate([[-1], g]))
    since = 0
    for j in range(len(t)):
        since += int(added[j])
        if since >= every:
            keep[j], since = True, 0
    todo = [j for j in np.flatnonzero(keep) if valid[max(0, g[j] - w + 1): g[j] + 1].any()]
    for lo in range(0, len(todo), batch):
        chunk = todo[lo : lo + batch]
        xs, ms, ls = [], [], []
        for j in chunk:
            a = max(0, g[j] - w + 1)
            f, v = feats[a : g[j] + 1], valid[a : g[j] + 1]
            x = np.zeros((w, feats.shape[1]), np.float32)
            m = np.zeros(w, bool)
            lf = np.zeros(w, bool)
            x[: len(f)] = rec.pipeline.window_features(f, v)
            m[: len(f)] = v
            lf[: len(f)] = mirrored[a : g[j] + 1]
            xs.append(x)
            ms.append(m)
            ls.append(lf)
        probs[chunk] = rec.window_probs(np.stack(xs), np.stack(ms), np.stack(ls))
    prompts = prompts_from_labels(seq.t, seq.frame_labels, background, fps=seq.fps) \
        if seq.frame_labels is not None else []
    pb = Playback(stream=str(seq.video_id), subject=seq.subject, session=seq.session, labels=list(rec.labels),
                  t=t[keep], probs=probs[keep], prompts=prompts, duration_s=float(seq.duration), start_s=float(t[0]),
                  motion=motion[g[keep]])
    pb.events = replay_decisions(pb.t, pb.probs, pb.labels, rec.decision_config, pb.motion)
    pb.commands = [(te, rec.command_map.command_for(c)) for te, c in pb.events
                   if rec.command_map.command_for(c) != NO_COMMAND]
    pb.frame_cost_ms = (time.perf_counter() - t0) * 1000.0 / max(len(t), 1)
    return pb


def _causal_presence(rs: Any, seq: Any) -> Any:
    """Mark a resampled frame absent when the recorded frame that delivered it had no detection.

    The streaming resampler emits the grid points up to each new recorded frame and cannot bridge a detection gap
    it has not yet seen the end of; the offline resampler interpolates across short gaps. This makes the offline
    resampled sequence causal, so batched playback matches `Recognizer.stream` frame for frame.
    """
    from dataclasses import replace

    j = np.clip(np.searchsorted(seq.t, rs.t - 1e-9, side="left"), 0, seq.n_frames - 1)
    streams, present = dict(rs.streams), dict(rs.present)
    for name in rs.streams:
        if name not in seq.present:
            continue
        ok = present[name] & seq.present[name][j]
        present[name] = ok
        streams[name] = np.where(ok[:, None, None], streams[name], 0.0).astype(np.float32)
    return replace(rs, streams=streams, present=present)


def stream_recognizer(rec: Any, seq: Any, background: str = "unknown", dispatcher: Any = None) -> Playback:
    """Play `seq` through `rec.stream` frame by frame (exactly `gestura live` on landmarks); commands go through
    `dispatcher` (e.g. one with a `LogBackend`) when given."""
    t, probs, events, commands, cost, motion = [], [], [], [], [], []
    state = rec.session()
    for i in range(seq.n_frames):
        pred = state.push({k: v[i] for k, v in seq.streams.items()}, float(seq.t[i]),
                          {k: bool(seq.present[k][i]) for k in seq.streams})
        ts = float(seq.t[i])
        cost.append(pred.cost_ms)
        if not pred.ran_model:
            continue
        t.append(ts)
        motion.append(state.motion.copy())
        probs.append([pred.scores[lb] for lb in rec.labels])
        d = pred.decision
        if d is not None and d.kind == "discrete":
            events.append((ts, d.label))
            if dispatcher is not None:
                ev = dispatcher.handle(d.label, d.score, ts)
                if ev is not None:
                    commands.append((ts, ev.command))
            elif pred.command:
                commands.append((ts, pred.command))
    prompts = prompts_from_labels(seq.t, seq.frame_labels, background, fps=seq.fps) \
        if seq.frame_labels is not None else []
    return Playback(stream=str(seq.video_id), subject=seq.subject, session=seq.session, labels=list(rec.labels),
                    t=np.asarray(t, dtype=np.float64), probs=np.asarray(probs, np.float32).reshape(len(t), -1),
                    prompts=prompts, duration_s=float(seq.duration), start_s=float(seq.t[0]), events=events,
                    commands=commands, frame_cost_ms=float(np.mean(cost)) if cost else None,
                    motion=np.asarray(motion, np.float64).reshape(len(t), len(MOTION_FIELDS)))


def bundle_probs_fn(bundle: Any, batch: int = 512) -> Any:
    """A `probs_fn` for `play_windows` from a `ModelBundle`: per-frame features once, window features per window."""

    def fn(rs: Any, ends: np.ndarray) -> np.ndarray:
        feats, valid = bundle.pipeline.frame_features(rs)
        w = int(bundle.window)
        out = []
        for lo in range(0, len(ends), batch):
            chunk = ends[lo : lo + batch]
            xs = np.stack([bundle.pipeline.window_features(feats[e - w + 1 : e + 1], valid[e - w + 1 : e + 1])
                           for e in chunk])
            ms = np.stack([valid[e - w + 1 : e + 1] for e in chunk])
            ms[~ms.any(axis=1), -1] = True
            out.append(bundle.predict_proba(xs, ms))
        return np.concatenate(out) if out else np.zeros((0, len(bundle.labels)), np.float32)

    return fn


def replay_decisions(t: np.ndarray, probs: np.ndarray, labels: Sequence[str], config: Any,
                     motion: np.ndarray | None = None) -> list[Command]:
    """Feed recorded probabilities `(N, K)` (and motion rows `(N, 6)`) at times `(N,)` through a fresh
    `ActivationController`.

    The controller only sees probabilities, motion rows and timestamps, so this is exactly the runtime's decision
    stage; tuning thresholds replays it many times instead of re-running the model.
    """
    from gestura.runtime.decision import ActivationController

    ctl = ActivationController(list(labels), config)
    out: list[Command] = []
    for i, (ti, p) in enumerate(zip(t, probs)):
        d = ctl.update(p, float(ti), None if motion is None else motion[i])
        if d is not None and d.kind == "discrete":
            out.append((float(d.t), d.label))
    return out


def score_playback(pb: Playback, events: Sequence[Command] | None = None, grace: float = 1.0) -> StreamScore:
    """Score a playback's discrete class events (or `events` given) against its prompts; with motion rows, also
    the latency of each hit from the end of the hand's movement (`movement_end`)."""
    rest = rest_seconds(pb.prompts, pb.duration_s, grace, start_s=pb.start_s)
    ev = pb.events if events is None else events
    score = score_stream(pb.prompts, ev, rest, grace, duration_s=pb.duration_s)
    if pb.motion is not None and len(pb.t):
        order = sorted((p for p in pb.prompts if p[2]), key=lambda p: p[0])
        for (a, b), p in zip(prompt_windows(order, grace), order):
            got = [e for e in sorted(ev) if a <= e[0] <= b]
            if got and got[0][1] == p[2]:
                end = movement_end(pb.t, pb.motion, a, got[0][0])
                if end is not None:
                    score.end_latencies.append(got[0][0] - end)
    return score


def movement_end(t: np.ndarray, motion: np.ndarray, start: float, until: float, rest_speed: float = 1.5,
                 min_peak: float = 2.0) -> float | None:
    """When the hand's movement ended: the first time after the fastest moment in `[start, until]` at which its
    smoothed speed (3-update mean, palm lengths/s) drops below `rest_speed`, or `until` if it never does first;
    None when the hand never moved faster than `min_peak` (nothing to measure from)."""
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


def decision_objective(score: StreamScore) -> float:
    """One number to tune decisions by: hits, minus confusions twice, minus one hit per ~50 false commands/hour."""
    fph = min(score.false_per_hour, 5000.0)
    return score.hit_rate - 2.0 * score.confusion_rate - fph / 5000.0


def tune_decision(
    playbacks: Sequence[Playback],
    base: Any,
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
    min_frames: Sequence[int] = (1, 2, 3, 5),
    per_class: bool = True,
    grace: float = 1.0,
) -> tuple[Any, dict[str, Any]]:
    """Choose threshold, min_frames and then per-class thresholds on recorded playbacks (training people only).

    Grid search over (threshold, min_frames), then one coordinate pass over each discrete class's threshold;
    returns the best `DecisionConfig` and a small summary of the search.
    """
    if not playbacks:
        raise InputError("tune_decision: no playbacks to tune on")
    labels = playbacks[0].labels

    def evaluate(cfg: Any) -> tuple[float, StreamScore]:
        merged = merge_scores(score_playback(pb, replay_decisions(pb.t, pb.probs, labels, cfg, pb.motion), grace)
                              for pb in playbacks)
        return decision_objective(merged), merged

    best_cfg, (best_obj, best_score) = base, evaluate(base)
    for thr in thresholds:
        for mf in min_frames:
            rearm = min(base.rearm, thr - 0.05)
            cfg = base.model_copy(update={"threshold": thr, "min_frames": mf, "rearm": rearm, "thresholds": {},
                                          "rearm_thresholds": {}})
            obj, sc = evaluate(cfg)
            if obj > best_obj:
                best_cfg, best_obj, best_score = cfg, obj, sc
    if per_class:
        for lb in labels:
            if not best_cfg.is_discrete(lb):
                continue
            for thr in thresholds:
                per = {**best_cfg.thresholds, lb: thr}
                cfg = best_cfg.model_copy(update={"thresholds": per,
                                                  "rearm": min(best_cfg.rearm, min(per.values()) - 0.05)})
                obj, sc = evaluate(cfg)
                if obj > best_obj:
                    best_cfg, best_obj, best_score = cfg, obj, sc
    summary = {"objective": best_obj, "threshold": best_cfg.threshold, "min_frames": best_cfg.min_frames,
               "thresholds": dict(best_cfg.thresholds), "on_training": best_score.to_dict()}
    return best_cfg, summary


def select_streams(sequences: Sequence[Any], split: str = "all", source: str = "data") -> list[Any]:
    """The streams to evaluate: `all`, `subject=NAME`, `session=ID`, `video=ID[,ID]`, or a `splits.json` (its test
    part). Only streams with frame labels are kept; none left is an `InputError`."""
    seqs = [s for s in sequences if s.frame_labels is not None]
    if not seqs:
        raise InputError(f"{source}: no stream has frame labels (a groundtruth.txt with label changes)")
    if split == "all":
        chosen = seqs
    elif "=" in split:
        key, _, value = split.partition("=")
        key = {"person": "subject", "recorded_by": "subject", "video_id": "video"}.get(key, key)
        if key not in ("subject", "session", "video"):
            raise ConfigError(f"--split {split!r}: use all, subject=NAME, session=ID, video=ID or a splits.json")
        wanted = set(value.split(","))
        attr = "video_id" if key == "video" else key
        chosen = [s for s in seqs if str(getattr(s, attr)) in wanted]
    else:
        from gestura.data.splits import Split

        sp = Split.load(split)
        ids = [s.video_id for s in seqs]
        chosen = [s for s, keep in zip(seqs, sp.part_of(ids, "test")) if keep]
    if not chosen:
        raise InputError(f"{source}: --split {split!r} selects no labelled stream "
                         f"(streams: {', '.join(s.video_id for s in seqs)[:200]})")
    return chosen


def build_report(playbacks: Sequence[Playback], command_map: Any, grace: float = 1.0) -> dict[str, Any]:
    """Scores per session, per person and overall (class space), plus the command-space view."""
    per_session = {pb.stream: score_playback(pb, grace=grace) for pb in playbacks}
    persons: dict[str, list[StreamScore]] = {}
    for pb in playbacks:
        persons.setdefault(str(pb.subject), []).append(per_session[pb.stream])
    overall = merge_scores(per_session.values())
    cmd_scores = []
    mapping = dict(command_map.mapping) if hasattr(command_map, "mapping") else dict(command_map)
    for pb in playbacks:
        p, c = to_command_space(pb.prompts, pb.events, {k: v for k, v in mapping.items()})
        rest = rest_seconds(pb.prompts, pb.duration_s, grace, start_s=pb.start_s)
        cmd_scores.append(score_stream(p, c, rest, grace, duration_s=pb.duration_s))
    costs = [pb.frame_cost_ms for pb in playbacks if pb.frame_cost_ms is not None]
    return {
        "overall": overall.to_dict(),
        "per_person": {k: merge_scores(v).to_dict() for k, v in sorted(persons.items())},
        "per_session": {k: v.to_dict() for k, v in per_session.items()},
        "command_space": merge_scores(cmd_scores).to_dict(),
        "frame_cost_ms": float(np.mean(costs)) if costs else None,
    }


def rerun_cost_ms(rec: Any, seq: Any, n: int = 100) -> float:
    """Per-frame cost of the naive runtime: re-prepare and re-featurise the whole last window every frame."""
    w = rec.window
    span = w / float(rec.resample_fps or seq.fps)
    stops = np.linspace(min(seq.n_frames - 1, int(span * seq.fps) + 2), seq.n_frames - 1, n).astype(int)
    t0 = time.perf_counter()
    for stop in stops:
        lo = int(np.searchsorted(seq.t, seq.t[stop] - span))
        rs = rec.prepare(seq.slice(lo, stop + 1))
        f, v = rec.pipeline.frame_features(rs)
        f, v = f[-w:], v[-w:]
        x = np.zeros((w, f.shape[1]), np.float32)
        m = np.zeros(w, bool)
        x[: len(f)] = rec.pipeline.window_features(f, v)
        m[: len(f)] = v
        if m.any():
            rec.engine.predict_proba(x[None], m[None])
        replay_decisions(np.array([1.0]), rec.background_probs()[None], rec.labels, rec.decision_config)
    return (time.perf_counter() - t0) * 1000.0 / len(stops)


def evaluate_streams(
    artifact: str | Path | Any,
    data: str | Path | Sequence[Any],
    split: str = "all",
    command_map: str | Path | None = None,
    out: str | Path | None = None,
    *,
    decision: str | Path | Any = None,
    grace: float = 1.0,
    exact: bool = True,
    timeline: str | None = None,
    every_k: int = 1,
) -> dict[str, Any]:
    """Play every selected stream through the runtime `gestura live` uses and score its events.

    `artifact`: a model folder (or a ready `Recognizer`); `data`: a dataset path (seed-003 streams with frame
    labels) or sequences; `command_map`/`decision`: YAML files (defaults: the artifact's). With `exact`, each
    stream goes frame by frame through `Recognizer.stream` and a `Dispatcher` with the log backend; otherwise
    the batched equivalent (`play_recognizer`). Writes `report.json` and `timeline_<stream>.png` into `out`.
    """
    from gestura.runtime.commands import CommandMap, Dispatcher, LogBackend
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    cmap = CommandMap.from_yaml(command_map) if command_map else CommandMap()
    dcfg = DecisionConfig.from_yaml(decision) if isinstance(decision, (str, Path)) else decision
    if isinstance(artifact, Recognizer):
        rec = artifact
        name = "<recognizer>"
    else:
        rec = Recognizer.from_file(artifact, RecognizerOptions(decision=dcfg, command_map=cmap, every_k=every_k))
        name = str(artifact)
    if isinstance(data, (str, Path)):
        from gestura.data.formats import load_dataset

        sequences = list(load_dataset(data).sequences)
        source = str(data)
    else:
        sequences, source = list(data), "<sequences>"
    chosen = select_streams(sequences, split, source)
    playbacks = []
    log = LogBackend(stream=None)
    for seq in chosen:
        if exact:
            pb = stream_recognizer(rec, seq, rec.background, Dispatcher(rec.command_map, [log]))
        else:
            pb = play_recognizer(rec, seq, background=rec.background)
        playbacks.append(pb)
    report: dict[str, Any] = {
        "artifact": name, "data": source, "split": split, "grace_s": grace, "exact_streaming": exact,
        "streams": [pb.stream for pb in playbacks], "labels": list(rec.labels),
        "decision": rec.decision_config.model_dump(), "command_map": dict(rec.command_map.mapping),
        **build_report(playbacks, rec.command_map, grace),
        "rerun_frame_cost_ms": rerun_cost_ms(rec, chosen[0]),
        "events": {pb.stream: [[round(te, 3), c] for te, c in pb.events] for pb in playbacks},
        "commands": {pb.stream: [[round(te, 3), c] for te, c in pb.commands] for pb in playbacks},
    }
    if report["frame_cost_ms"]:
        report["rerun_vs_streaming"] = report["rerun_frame_cost_ms"] / report["frame_cost_ms"]
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        pb = next((p for p in playbacks if p.stream == timeline), playbacks[0])
        png = plot_timeline(out / f"timeline_{pb.stream}.png", pb.prompts, pb.t, pb.probs, pb.labels, pb.events,
                            title=f"{Path(name).name}: {pb.stream}", grace=grace,
                            returns=score_playback(pb, grace=grace).return_events)
        report["timeline_png"] = png.name
        from gestura.io import write_json

        write_json(out / "report.json", report)
    return report


def plot_timeline(
    path: str | Path,
    prompts: Sequence[Prompt],
    t: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[str],
    events: Sequence[Command],
    title: str = "",
    grace: float = 1.0,
    row_s: float = 60.0,
    returns: Sequence[Command] = (),
) -> Path:
    """Timeline PNG of one stream, `row_s` seconds per row: prompt bands (+ grace), class probabilities `(T, K)`
    over `t`, fired events, and the returns among them (a red cross)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    labels = list(labels)
    cmap = plt.get_cmap("tab20" if len(labels) > 10 else "tab10")
    colour = {lb: cmap(i % cmap.N) for i, lb in enumerate(labels)}
    t0 = float(t[0]) if len(t) else 0.0
    t1 = float(t[-1]) if len(t) else 1.0
    n_rows = max(1, int(np.ceil((t1 - t0) / row_s)))
    fig, axes = plt.subplots(n_rows, 1, figsize=(16.0, 1.9 * n_rows + 0.6), squeeze=False)
    for r, ax in enumerate(axes[:, 0]):
        lo, hi = t0 + r * row_s, t0 + (r + 1) * row_s
        for start, end, lbl in prompts:
            if end + grace < lo or start > hi:
                continue
            ax.axvspan(start, end, color=colour.get(lbl, "grey"), alpha=0.18, lw=0)
            ax.axvspan(end, end + grace, color=colour.get(lbl, "grey"), alpha=0.06, lw=0)
            ax.text(start, 1.05, lbl.replace("swiping_", "sw_"), fontsize=6, va="bottom", clip_on=True)
        sel = (t >= lo - 1) & (t <= hi + 1)
        for k, lb in enumerate(labels):
            style = {"color": "0.6", "lw": 0.6, "ls": ":"} if lb == "unknown" else {"color": colour[lb], "lw": 0.8}
            ax.plot(t[sel], probs[sel, k], label=lb if r == 0 else None, **style)
        for te, name in events:
            if lo <= te <= hi:
                ax.axvline(te, color=colour.get(name, "k"), lw=1.0)
                ax.plot([te], [1.0], marker="v", color=colour.get(name, "k"), ms=6)
        for te, name in returns:
            if lo <= te <= hi:
                ax.plot([te], [1.12], marker="X", color="red", ms=8)
                ax.text(te, 1.16, "return", fontsize=6, color="red", ha="center", va="bottom", clip_on=True)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.25)
        ax.set_ylabel("p")
    axes[0, 0].set_title(title, fontsize=9)
    axes[0, 0].legend(loc="upper center", bbox_to_anchor=(0.5, 1.55), fontsize=7, ncol=len(labels), frameon=False)
    axes[-1, 0].set_xlabel("time (s): shaded = prompt (+ lighter grace), lines = class probabilities, "
                           "triangles = fired commands (colour = class), red crosses = returns")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)
    return path


def _rate(k: int, n: int) -> float:
    return float(k) / n if n else 0.0


def _pct(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if len(values) else None


__all__ = [
    "ClassScore", "StreamScore", "score_stream", "merge_scores", "rest_seconds", "prompt_windows",
    "prompts_from_labels", "to_command_space",
]
