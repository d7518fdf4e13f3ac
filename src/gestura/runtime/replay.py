"""One replay: a recorded landmark sequence played through a `Recognizer` exactly as `gestura live` runs it.

`replay(rec, seq)` is what the streaming evaluation, the demo, enrolment and threshold tuning call. The batched
path builds, for every recorded frame at which the live runtime would run its model, the same window the live
ring buffer holds (`features.windows.window_batch` on the causal, resampled, smoothed sequence), scores them in
batches (~50x faster on a CPU) and feeds a fresh `ActivationController` the same probabilities, motion rows and
timestamps; `exact=True` pushes frame by frame through `RecognizerStream.push`, the live path itself. A test
holds the two equal. `replay_decisions` re-runs only the decision stage on recorded probabilities, which is how
thresholds are tuned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gestura.data.prompts import Prompt, sequence_prompts
from gestura.features.motion import MOTION_FIELDS, hand_motion
from gestura.features.windows import window_batch
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.decision import ActivationController, DecisionConfig

Event = tuple[float, str]
"""`(t_s, class or command)`."""


@dataclass
class Playback:
    """What the runtime produced on one recording: per-update times `(N,)`, class probabilities `(N, K)` and the
    acting hand's motion rows `(N, 6)` (`gestura.features.motion`); `events` the discrete decisions
    `(t_s, class)`, `commands` the dispatched `(t_s, command)`; `prompts` from the recording's frame labels;
    `frame_cost_ms` the per-frame runtime cost (features + model + decisions, no landmark extraction)."""

    stream: str
    subject: str | None
    session: str | None
    labels: list[str]
    t: np.ndarray
    probs: np.ndarray
    prompts: list[Prompt]
    duration_s: float
    start_s: float = 0.0
    events: list[Event] = field(default_factory=list)
    commands: list[Event] = field(default_factory=list)
    frame_cost_ms: float | None = None
    motion: np.ndarray | None = None
    continuous: list[tuple[float, str, str]] = field(default_factory=list)
    """`(t_s, class, "on"|"off")` of continuous gestures (laser pointer, pen); exact replay only."""
    frame_costs_ms: np.ndarray | None = None
    """Per recorded frame runtime cost; exact replay only."""


def replay(rec: Any, seq: LandmarkSequence, *, exact: bool = False, dispatcher: Any = None,
           batch: int = 256) -> Playback:
    """Play `seq` through `rec` as `gestura live` would: batched (default) or frame by frame (`exact`).

    Commands go through `dispatcher` when given (exact path), else through the recogniser's command map.
    """
    pb = _replay_exact(rec, seq, dispatcher) if exact else _replay_batched(rec, seq, batch)
    return pb


def replay_motion(rec: Any, seq: LandmarkSequence) -> np.ndarray:
    """The acting hand's motion rows `(N, 7)` at the updates the batched replay makes (to re-score stored
    probabilities with a new decision rule without re-running the model)."""
    rs, g, keep = _updates(rec, seq)
    motion = hand_motion(rs) if rs.hands() else np.zeros((rs.n_frames, len(MOTION_FIELDS)))
    return motion[g[keep]]


def replay_decisions(t: np.ndarray, probs: np.ndarray, labels: Sequence[str], config: DecisionConfig,
                     motion: np.ndarray | None = None) -> list[Event]:
    """Feed recorded probabilities `(N, K)` (and motion rows `(N, 6)`) at times `(N,)` through a fresh
    `ActivationController`: exactly the runtime's decision stage, without re-running the model."""
    ctl = ActivationController(list(labels), config)
    out: list[Event] = []
    for i, (ti, p) in enumerate(zip(t, probs)):
        d = ctl.update(p, float(ti), None if motion is None else motion[i])
        if d is not None and d.kind == "discrete":
            out.append((float(d.t), d.label))
    return out


def _new_playback(rec: Any, seq: LandmarkSequence, t: np.ndarray, probs: np.ndarray,
                  motion: np.ndarray) -> Playback:
    return Playback(stream=str(seq.video_id), subject=seq.subject, session=seq.session, labels=list(rec.labels),
                    t=t, probs=probs, prompts=sequence_prompts(seq, rec.background), duration_s=float(seq.duration),
                    start_s=float(seq.t[0]) if seq.n_frames else 0.0, motion=motion)


def _replay_batched(rec: Any, seq: LandmarkSequence, batch: int) -> Playback:
    t0 = time.perf_counter()
    t = np.asarray(seq.t, dtype=np.float64)
    rs, g, keep = _updates(rec, seq)
    feats, valid = rec.pipeline.frame_features(rs)
    mirrored = rec.pipeline.mirrored_frames(rs)
    motion = hand_motion(rs) if rs.hands() else np.zeros((rs.n_frames, len(MOTION_FIELDS)))
    probs = np.zeros((len(t), len(rec.labels)), np.float32)
    probs[:] = rec.background_probs()
    w = rec.window
    todo = [j for j in np.flatnonzero(keep) if valid[max(0, g[j] - w + 1): g[j] + 1].any()]
    for lo in range(0, len(todo), batch):
        chunk = todo[lo : lo + batch]
        x, m, lf = window_batch(rec.pipeline, feats, valid, g[chunk], w, mirrored)
        probs[chunk] = rec.window_probs(x, m, lf)
    pb = _new_playback(rec, seq, t[keep], probs[keep], motion[g[keep]])
    pb.events = replay_decisions(pb.t, pb.probs, pb.labels, rec.decision_config, pb.motion)
    pb.commands = [(te, rec.command_map.command_for(c)) for te, c in pb.events
                   if rec.command_map.command_for(c) != "no_action"]
    pb.frame_cost_ms = (time.perf_counter() - t0) * 1000.0 / max(len(t), 1)
    return pb


def _updates(rec: Any, seq: LandmarkSequence) -> tuple[LandmarkSequence, np.ndarray, np.ndarray]:
    """What the live runtime sees and when it runs its model: the prepared (smoothed, resampled, causal)
    sequence, the newest model frame `g (T,)` at each recorded frame, and `keep (T,)`: the recorded frames at
    which the model runs (every `every_k` model frames)."""
    rs = rec.prepare(seq)
    t = np.asarray(seq.t, dtype=np.float64)
    if rec.resample_fps:
        rs = _causal_presence(rs, seq)
        g = np.minimum(np.floor((t - t[0]) * rec.resample_fps + 1e-9).astype(np.int64), rs.n_frames - 1)
    else:
        g = np.arange(seq.n_frames)
    every = int(rec.options.every_k)
    keep = np.zeros(len(t), bool)
    added = np.diff(np.concatenate([[-1], g]))
    since = 0
    for j in range(len(t)):
        since += int(added[j])
        if since >= every:
            keep[j], since = True, 0
    return rs, g, keep


def _replay_exact(rec: Any, seq: LandmarkSequence, dispatcher: Any) -> Playback:
    t, probs, events, commands, cost, motion = [], [], [], [], [], []
    continuous: list[tuple[float, str, str]] = []
    state = rec.session()
    for i in range(seq.n_frames):
        pred = state._push_seconds({k: v[i] for k, v in seq.streams.items()}, float(seq.t[i]),
                                   {k: bool(seq.present[k][i]) for k in seq.streams})
        ts = float(seq.t[i])
        cost.append(pred.cost_ms)
        if not pred.ran_model:
            continue
        t.append(ts)
        motion.append(state.motion.copy())
        probs.append([pred.scores[lb] for lb in rec.labels])
        d = pred.decision
        if d is not None and d.kind == "continuous" and not (continuous and continuous[-1][1:] == (d.label, "on")):
            continuous.append((ts, d.label, "on"))
        elif d is not None and d.kind == "continuous_end":
            continuous.append((ts, d.label, "off"))
        if d is not None and d.kind == "discrete":
            events.append((ts, d.label))
            if dispatcher is not None:
                ev = dispatcher.handle(d.label, d.score, ts)
                if ev is not None:
                    commands.append((ts, ev.command))
            elif pred.command:
                commands.append((ts, pred.command))
    pb = _new_playback(rec, seq, np.asarray(t, dtype=np.float64),
                       np.asarray(probs, np.float32).reshape(len(t), len(rec.labels)),
                       np.asarray(motion, np.float64).reshape(len(t), len(MOTION_FIELDS)))
    pb.events, pb.commands, pb.continuous = events, commands, continuous
    pb.frame_cost_ms = float(np.mean(cost)) if cost else None
    pb.frame_costs_ms = np.asarray(cost, dtype=np.float64)
    return pb


def _causal_presence(rs: LandmarkSequence, seq: LandmarkSequence) -> LandmarkSequence:
    """Mark a resampled frame absent when the recorded frame that delivered it had no detection.

    The streaming resampler emits the grid points up to each new recorded frame and cannot bridge a detection gap
    it has not yet seen the end of; the offline resampler interpolates across short gaps. This makes the offline
    resampled sequence causal, so batched replay matches `RecognizerStream.push` frame for frame.
    """
    j = np.clip(np.searchsorted(seq.t, rs.t - 1e-9, side="left"), 0, seq.n_frames - 1)
    streams, present = dict(rs.streams), dict(rs.present)
    for name in rs.streams:
        if name not in seq.present:
            continue
        ok = present[name] & seq.present[name][j]
        present[name] = ok
        streams[name] = np.where(ok[:, None, None], streams[name], 0.0).astype(np.float32)
    return replace(rs, streams=streams, present=present)


__all__ = ["Event", "Playback", "replay", "replay_decisions", "replay_motion"]
