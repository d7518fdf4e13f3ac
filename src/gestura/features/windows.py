"""Resampling by timestamps, fixed-length resampling, sliding windows and padding with masks.

People record at 15 and 27 fps; resampling each sequence by its timestamps `t` to a fixed rate (30 Hz) makes
windows of N frames mean the same duration for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.landmarks.sequence import LandmarkSequence


def resample_times(t: np.ndarray, rate: float) -> np.ndarray:
    """Uniform timestamps at `rate` Hz from `t[0]` to `t[-1]`: `(T,) -> (T',)`."""
    if rate <= 0:
        raise ConfigError(f"resample rate must be > 0 Hz, got {rate}")
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    return t[0] + np.arange(n) / rate


def interp_frames(x: np.ndarray, t: np.ndarray, present: np.ndarray, new_t: np.ndarray,
                  max_gap: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of `(T, ...)` between present frames: `-> ((T', ...), present (T',))`.

    A new frame is present when it lies on a present source frame or between two present source frames at most
    `max_gap` s apart, so detection gaps stay gaps instead of being bridged.
    """
    idx = np.flatnonzero(present)
    out = np.zeros((len(new_t),) + x.shape[1:], np.float32)
    ok = np.zeros(len(new_t), bool)
    if idx.size == 0:
        return out, ok
    tp, xp = t[idx], x[idx].reshape(idx.size, -1)
    j = np.clip(np.searchsorted(tp, new_t, side="right"), 1, max(idx.size - 1, 1))
    if idx.size == 1:
        near = np.abs(new_t - tp[0]) <= max_gap / 2
        out[near] = x[idx[0]]
        return out, near
    t0, t1 = tp[j - 1], tp[j]
    w = np.clip((new_t - t0) / np.maximum(t1 - t0, 1e-12), 0.0, 1.0)
    vals = xp[j - 1] * (1 - w)[:, None] + xp[j] * w[:, None]
    inside = (new_t >= tp[0] - 1e-9) & (new_t <= tp[-1] + 1e-9) & (t1 - t0 <= max_gap + 1e-9)
    ok = inside | (np.abs(new_t - t0) < 1e-9) | (np.abs(new_t - t1) < 1e-9)
    out[ok] = vals[ok].reshape((-1,) + x.shape[1:])
    return out, ok


def resample_sequence(seq: LandmarkSequence, rate: float = 30.0, max_gap: float = 0.2) -> LandmarkSequence:
    """The sequence at a fixed frame rate by its timestamps; frame labels take the nearest earlier source frame."""
    if seq.n_frames == 0:
        raise InputError(f"{seq.source or seq.video_id}: cannot resample an empty sequence")
    new_t = resample_times(seq.t, rate)
    streams, present = {}, {}
    for k, v in seq.streams.items():
        streams[k], present[k] = interp_frames(v, seq.t, seq.present[k], new_t, max_gap)
    src = np.clip(np.searchsorted(seq.t, new_t + 1e-9, side="right") - 1, 0, seq.n_frames - 1)
    return replace(seq, streams=streams, present=present, t=new_t, fps=float(rate),
                   frame_labels=None if seq.frame_labels is None else seq.frame_labels[src],
                   handedness={k: v[src] for k, v in seq.handedness.items()})


def resample_length(x: np.ndarray, length: int) -> np.ndarray:
    """Linear resampling along axis 0 to exactly `length` frames: `(T, ...) -> (length, ...)`."""
    if length < 1:
        raise ConfigError(f"resample length must be >= 1, got {length}")
    n = x.shape[0]
    if n == 0:
        raise InputError("cannot resample zero frames")
    pos = np.linspace(0.0, n - 1, length)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return (x[lo] * (1 - w) + x[hi] * w).astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32)


def sliding_windows(n_frames: int, window: int, stride: int) -> np.ndarray:
    """Frame indices of every full window: `-> (N, window)` int64 (N = 0 when `n_frames < window`)."""
    if window < 1 or stride < 1:
        raise ConfigError(f"window and stride must be >= 1, got window={window}, stride={stride}")
    starts = np.arange(0, n_frames - window + 1, stride)
    return (starts[:, None] + np.arange(window)[None, :]).astype(np.int64)


def pad_to(x: np.ndarray, length: int, *, left: bool = False) -> np.ndarray:
    """Zero-pad (or cut, keeping the end if `left`) axis 0 to `length`: `(T, ...) -> (length, ...)`."""
    n = x.shape[0]
    if n >= length:
        return x[n - length:] if left else x[:length]
    pad = np.zeros((length - n,) + x.shape[1:], dtype=x.dtype)
    return np.concatenate([pad, x] if left else [x, pad])


def pad_batch(seqs: list[np.ndarray], length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack `(T_i, F)` arrays right-padded to one length: `-> (B, T, F), mask (B, T)` (True = real frame)."""
    if not seqs:
        raise InputError("pad_batch: no sequences")
    length = length or max(s.shape[0] for s in seqs)
    x = np.stack([pad_to(s, length) for s in seqs]).astype(np.float32)
    mask = np.zeros((len(seqs), length), bool)
    for i, s in enumerate(seqs):
        mask[i, : min(s.shape[0], length)] = True
    return x, mask


def window_batch(pipeline: Any, feats: np.ndarray, valid: np.ndarray, ends: Sequence[int] | np.ndarray,
                 window: int, mirrored: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one windowing rule: the windows of `window` frames ending at each index of `ends` (shorter at the
    start of a recording), each finalised on its own by `pipeline.window_features`, front-aligned (real frames
    first, zeros after) with a mask True on valid frames.

    `feats (T, F)`, `valid (T,)` come from `pipeline.frame_features`; `mirrored (T,)` marks frames mirrored into
    right-hand space. Returns `X (N, window, F)` float32, `M (N, window)` bool, `L (N, window)` bool (mirrored
    flags, all False without `mirrored`). Training, the runtime's ring buffer and replay all call this, so a
    window means the same everywhere (a window with no valid frame keeps an all-False mask; callers treat it as
    background, never as a fake valid frame).
    """
    ends = np.asarray(ends, dtype=np.int64).reshape(-1)
    n, dim = feats.shape[0], feats.shape[1]
    if window < 1:
        raise ConfigError(f"window must be >= 1 frame, got {window}")
    if ends.size and (ends.min() < 0 or ends.max() >= n):
        raise InputError(f"window ends {ends.min()}..{ends.max()} outside 0..{n - 1}")
    x = np.zeros((ends.size, window, dim), np.float32)
    m = np.zeros((ends.size, window), bool)
    lf = np.zeros((ends.size, window), bool)
    for i, e in enumerate(ends):
        a = max(0, int(e) - window + 1)
        f, v = feats[a : e + 1], np.asarray(valid[a : e + 1], dtype=bool)
        x[i, : len(f)] = pipeline.window_features(f, v)
        m[i, : len(f)] = v
        if mirrored is not None:
            lf[i, : len(f)] = mirrored[a : e + 1]
    return x, m, lf
