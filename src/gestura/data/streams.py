"""Training windows cut from continuous, frame-labelled streams, in seconds rather than frames.

The presentation streams are recorded at 15 and 27 fps, so every rule here is stated in seconds and every stream
is first resampled by its timestamps `t` to one fixed rate (30 Hz by default, with the features' `resample_sequence`):
a 1 s window is 30 frames for both people.

Labelling rule (label shift + window overlap). People react 0.1-0.3 s after a prompt appears and their motion
outlasts the 1 s prompt, so the prompt interval `[start, end]` is first shifted by `label_shift_s` (default 0.3 s)
to approximate the motion, `M = [start + shift, end + shift]`. A window `[t_end - window_s, t_end]` is then
- the prompt's class when it covers at least `min_cover` of `M` (most of the gesture is visible),
- `unknown` when it covers at most `max_cover_unknown` of every `M` (essentially no gesture in view),
- dropped otherwise (half a gesture is neither the class nor background; training on it blurs both).
A shift alone fails for the two people at once (their reaction lags differ by ~0.2 s and their motions by ~0.3 s);
overlap fractions tolerate that error, and dropping the ambiguous middle keeps it out of the labels.

Hard negatives: `unknown` windows that start within `hard_negative_s` after the motion began hold the hand's return
movement after a swipe (it falls in the rest phase) - exactly what a controller must not fire on. They are marked
`attrs["hard_negative"] = True` and always kept when the other rest windows are subsampled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from gestura.data.prompts import Prompt, sequence_prompts
from gestura.errors import ConfigError, InputError
from gestura.features.motion import hand_motion
from gestura.features.windows import resample_sequence
from gestura.landmarks.sequence import LandmarkSequence


@dataclass(frozen=True)
class StreamWindowConfig:
    """How windows are cut from a stream and labelled (all times in seconds)."""

    rate_hz: float = 30.0
    window_s: float = 1.0
    stride_s: float = 0.1
    label_shift_s: float = 0.3
    min_cover: float = 0.6
    max_cover_unknown: float = 0.15
    hard_negative_s: float = 1.8
    min_present: float = 0.5
    unknown_per_positive: float = 2.0
    background: str = "unknown"
    align: str = "prompt"
    """`prompt`: the shift + overlap rule; `motion`: windows are labelled by where they end relative to the hand's
    own movement in each prompt (`gesture_segments`), so a window is the gesture when the movement has just
    ended in it and background once the hand has been still for `still_after_s` (the held hand, the return)."""
    end_before_s: float = 0.15
    end_after_s: float = 0.35
    still_after_s: float = 0.6

    def __post_init__(self) -> None:
        if self.rate_hz <= 0 or self.window_s <= 0 or self.stride_s <= 0:
            raise ConfigError("stream windows: rate_hz, window_s and stride_s must be positive")
        if self.align not in ("prompt", "motion"):
            raise ConfigError(f"stream windows: align must be prompt or motion, got {self.align!r}")
        if not 0 <= self.end_after_s < self.still_after_s:
            raise ConfigError("stream windows: need 0 <= end_after_s < still_after_s")
        if not 0.0 <= self.max_cover_unknown < self.min_cover <= 1.0:
            raise ConfigError("stream windows: need 0 <= max_cover_unknown < min_cover <= 1")

    @property
    def window_frames(self) -> int:
        """Window length in frames at `rate_hz`."""
        return max(1, int(round(self.window_s * self.rate_hz)))

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def stream_prompts(seq: LandmarkSequence, background: str = "unknown") -> list[Prompt]:
    """The prompts of a frame-labelled stream as `(start_s, end_s, label)` (needs `frame_labels`)."""
    if seq.frame_labels is None:
        raise InputError(f"{seq.source or seq.video_id}: stream has no frame labels (groundtruth.txt)")
    return sequence_prompts(seq, background)


def label_windows(
    t_end: np.ndarray, prompts: Sequence[tuple[float, float, str]], cfg: StreamWindowConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Label windows `[t_end - window_s, t_end]` by the shift + overlap rule: `(N,)` -> labels `(N,)` str, hard `(N,)`.

    Label `""` means "ambiguous, drop"; `hard` marks `unknown` windows holding the return movement.
    """
    t_end = np.asarray(t_end, dtype=np.float64)
    n = t_end.size
    labels = np.full(n, cfg.background, dtype=object)
    hard = np.zeros(n, dtype=bool)
    best = np.zeros(n)
    w0 = t_end - cfg.window_s
    for start, end, label in prompts:
        m0, m1 = start + cfg.label_shift_s, end + cfg.label_shift_s
        length = max(m1 - m0, 1e-6)
        cover = np.clip(np.minimum(t_end, m1) - np.maximum(w0, m0), 0.0, None) / length
        pos = (cover >= cfg.min_cover) & (cover > best)
        labels[pos] = label
        amb = (cover > cfg.max_cover_unknown) & (cover < cfg.min_cover) & (labels == cfg.background)
        labels[amb] = ""
        best = np.maximum(best, cover)
        after = (w0 >= m0 + 0.5 * length) & (w0 < m0 + cfg.hard_negative_s)
        hard |= after
    hard &= labels == cfg.background
    return labels.astype(str), hard


def gesture_segments(rs: LandmarkSequence, prompts: Sequence[tuple[float, float, str]], rest_speed: float = 0.8,
                     min_peak: float = 1.0, after_s: float = 1.0) -> list[tuple[float, float] | None]:
    """The hand's movement in each prompt, from its kinematics: `(start_s, end_s)` around the first movement
    between the prompt's start and `after_s` after its end (never into the next prompt) that reaches half the
    fastest one there (the gesture, not its return), where the smoothed speed (3-frame mean, palm lengths/s;
    `gestura.features.motion`) stays above `rest_speed`; None when the hand never moved faster than `min_peak`."""
    speed = np.convolve(hand_motion(rs)[:, 5], np.ones(3) / 3.0, mode="same")
    t = rs.t
    out: list[tuple[float, float] | None] = []
    order = sorted(prompts, key=lambda p: p[0])
    for i, (start, end, _) in enumerate(order):
        stop = min(end + after_s, order[i + 1][0] if i + 1 < len(order) else np.inf)
        sel = np.flatnonzero((t >= start) & (t <= stop))
        if sel.size < 3 or speed[sel].max() < min_peak:
            out.append(None)
            continue
        # the first movement that reaches half the fastest one: the gesture, not the return that follows it
        strong = sel[speed[sel] >= 0.5 * speed[sel].max()]
        first = strong[0]
        k = first
        while k + 1 < len(t) and speed[k + 1] >= speed[k]:
            k += 1
        hi = k
        while hi + 1 < len(t) and speed[hi + 1] >= rest_speed:
            hi += 1
        lo = k
        while lo - 1 >= 0 and speed[lo - 1] >= rest_speed and t[lo - 1] >= start - 0.3:
            lo -= 1
        out.append((float(t[lo]), float(t[min(hi + 1, len(t) - 1)])))
    return out


def label_windows_by_motion(
    t_end: np.ndarray, prompts: Sequence[tuple[float, float, str]], segments: Sequence[tuple[float, float] | None],
    cfg: StreamWindowConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Label windows by where they end relative to each prompt's movement `(a, b)`: the class when the window
    ends within `[b - end_before_s, b + end_after_s]` and starts before `a + 0.1 s`; background, and a hard
    negative, when it ends `still_after_s` or more after `b` (the hand held still, its return); dropped (`""`)
    in between, and around a prompt whose movement was not found."""
    t_end = np.asarray(t_end, dtype=np.float64)
    labels = np.full(t_end.size, cfg.background, dtype=object)
    hard = np.zeros(t_end.size, dtype=bool)
    w0 = t_end - cfg.window_s
    order = sorted(prompts, key=lambda p: p[0])
    for (start, end, label), seg in zip(order, segments):
        if seg is None:
            labels[(t_end >= start) & (t_end < end + 1.5) & (labels == cfg.background)] = ""
            continue
        a, b = seg
        pos = (t_end >= b - cfg.end_before_s) & (t_end <= b + cfg.end_after_s) & (w0 <= a + 0.1)
        amb = (t_end >= min(a, start)) & (t_end < b + cfg.still_after_s) & ~pos
        labels[amb & (labels == cfg.background)] = ""
        labels[pos] = label
        hard |= (t_end >= b + cfg.still_after_s) & (t_end < b + cfg.still_after_s + cfg.hard_negative_s)
    hard &= labels == cfg.background
    return labels.astype(str), hard


def cut_stream_windows(
    seq: LandmarkSequence, cfg: StreamWindowConfig = StreamWindowConfig(),
    rng: np.random.Generator | None = None,
) -> list[LandmarkSequence]:
    """Labelled clips from one frame-labelled stream, resampled to `cfg.rate_hz`.

    Each clip is `window_frames` long and carries `label`, the stream's subject/session, `episode` = the stream id
    and `attrs` {`t_end`, `hard_negative`, `stream`}. Rest windows that are not hard negatives are subsampled to
    `unknown_per_positive` times the number of positive windows with `rng` (all kept when `rng` is None).
    """
    prompts = stream_prompts(seq, cfg.background)
    rs = resample_sequence(seq, cfg.rate_hz)
    wf = cfg.window_frames
    step = max(1, int(round(cfg.stride_s * cfg.rate_hz)))
    if rs.n_frames < wf:
        return []
    stops = np.arange(wf, rs.n_frames + 1, step)
    t_end = rs.t[stops - 1] + 1.0 / cfg.rate_hz
    if cfg.align == "motion":
        labels, hard = label_windows_by_motion(t_end, prompts, gesture_segments(rs, prompts), cfg)
    else:
        labels, hard = label_windows(t_end, prompts, cfg)
    present = rs.any_hand_present().astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(present)])
    frac = (cum[stops] - cum[stops - wf]) / wf
    keep = (labels != "") & (frac >= cfg.min_present)
    if rng is not None and cfg.unknown_per_positive > 0:
        soft = np.flatnonzero(keep & (labels == cfg.background) & ~hard)
        n_pos = int((keep & (labels != cfg.background)).sum())
        n_hard = int((keep & hard).sum())
        budget = max(0, int(cfg.unknown_per_positive * n_pos) - n_hard)
        if soft.size > budget:
            keep[rng.choice(soft, soft.size - budget, replace=False)] = False
    clips = []
    for i in np.flatnonzero(keep):
        stop = int(stops[i])
        clip = rs.slice(stop - wf, stop)
        clips.append(replace(
            clip, label=str(labels[i]), frame_labels=None,
            video_id=f"{seq.video_id}@{t_end[i]:.2f}", episode=seq.video_id,
            attrs={**seq.attrs, "t_end": float(t_end[i]), "hard_negative": bool(hard[i]), "stream": seq.video_id},
        ))
    return clips


def cut_dataset_windows(
    sequences: Iterable[LandmarkSequence], cfg: StreamWindowConfig = StreamWindowConfig(),
    rng: np.random.Generator | None = None,
) -> list[LandmarkSequence]:
    """`cut_stream_windows` over every stream, in order."""
    out: list[LandmarkSequence] = []
    for seq in sequences:
        out.extend(cut_stream_windows(seq, cfg, rng))
    return out


def generated_stream_windows(
    n_subjects: int, cfg: StreamWindowConfig = StreamWindowConfig(), rng: np.random.Generator | None = None, *,
    seed: int = 0, reps: int = 3, classes: Sequence[str] | None = None,
    transform: Callable[[LandmarkSequence], LandmarkSequence] | None = None,
) -> list[LandmarkSequence]:
    """Windows cut, by the same rule, from generated continuous sessions like the real streams.

    `n_subjects` generated people (both swipe styles, 27/15 fps, a left-handed session, camera distance
    changes) x 2 sessions, each prompting every class `reps` times (default: all eleven gesture classes of
    `gestura.data.synthetic`, so zooming and pointing, which the real streams lack, come with their own rest and
    return movements). `transform` is applied to each session first (e.g. the runtime's landmark filter).
    """
    from gestura.data.synthetic import ALL_CLASSES, make_stream_dataset

    names = tuple(classes) if classes is not None else tuple(c for c in ALL_CLASSES if c != "unknown")
    seqs = make_stream_dataset(n_subjects=n_subjects, n_sessions=2, reps=reps, classes=names, seed=seed).sequences
    if transform is not None:
        seqs = [transform(s) for s in seqs]
    return cut_dataset_windows(seqs, cfg, rng)


def concat_clips(seqs: Sequence[LandmarkSequence], fps: float = 30.0, video_id: str = "concat",
                 hands: Sequence[str] = ("left_hand", "right_hand")) -> LandmarkSequence:
    """The hand streams of many clips back to back (no gap) as one stream at `fps`, every frame `unknown`.

    Recorded sign clips played one after another stand in for a person who moves their hands without meaning
    a command; the hand jumps between clips, which a camera never shows, so this is a harsher test than life.
    """
    if not seqs:
        raise InputError(f"{video_id}: no clips to concatenate")
    streams, present = {}, {}
    for h in hands:
        streams[h] = np.concatenate([s.streams[h][..., :3] if h in s.streams
                                     else np.zeros((s.n_frames, 21, 3), np.float32) for s in seqs])
        present[h] = np.concatenate([s.present[h] if h in s.streams else np.zeros(s.n_frames, bool)
                                     for s in seqs])
    n = len(streams[hands[0]])
    return LandmarkSequence.from_arrays(streams, fps, present=present, video_id=video_id,
                                        frame_labels=np.full(n, "unknown", dtype=object).astype(str))


def background_windows(seqs: Sequence[LandmarkSequence], cfg: StreamWindowConfig = StreamWindowConfig(),
                       rng: np.random.Generator | None = None, max_windows: int = 0,
                       video_id: str = "background") -> list[LandmarkSequence]:
    """`unknown` hard-negative windows from recordings that hold no control gesture (e.g. signing).

    The clips are concatenated (`concat_clips`, in the given order) at `cfg.rate_hz` and cut like a stream;
    `max_windows` > 0 keeps that many, drawn with `rng`.
    """
    stream = concat_clips(seqs, cfg.rate_hz, video_id)
    clips = cut_stream_windows(stream, cfg, None)
    if max_windows and len(clips) > max_windows:
        pick = (rng or np.random.default_rng(0)).choice(len(clips), max_windows, replace=False)
        clips = [clips[i] for i in sorted(pick)]
    return [replace(c, attrs={**c.attrs, "hard_negative": True}) for c in clips]

