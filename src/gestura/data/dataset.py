"""A torch `Dataset` of fixed-length feature windows over landmark sequences, with padding masks.

Each sequence is cut into windows of `window` frames every `stride` frames (a clip shorter than `window` gives
one window, zero-padded at the end). The mask is True on real frames whose features are valid (a hand was
found), the same convention as `FeaturePipeline.windows`, so padding and missing frames never reach a model. A window's label is the clip label when the clip has
one; for continuous streams with `frame_labels` it is the most common frame label in the window (`majority`,
the default) or the label of its centre frame (`centre`). Features come from the same `FeaturePipeline` the
runtime uses: `frame_features` on the whole sequence, then `window_features` on each window.
With `augment`, sequences are augmented and re-featurised on every access, with a generator seeded by
(seed, epoch, index) so a run is reproducible and `--resume` sees the same samples.
With a `canonical_hand` pipeline, a window whose acting hand is mostly the left one takes the mirror label
(`gestura.features.handedness`): its features show the mirror image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from gestura.errors import InputError
from gestura.features.handedness import mirror_label, mostly_left
from gestura.features.windows import window_batch

AugmentFn = Callable[[Any, np.random.Generator], Any]


@dataclass(frozen=True)
class WindowRef:
    """Where one window lies: sequence index, first frame, label index."""

    seq: int
    start: int
    label: int


def window_starts(n_frames: int, window: int, stride: int) -> list[int]:
    """First frames of the windows over `n_frames` (one at 0 when the clip is shorter than `window`)."""
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window + 1, stride))
    return starts


def window_label(seq: Any, start: int, window: int, rule: str = "majority") -> str | None:
    """The label of frames `[start, start + window)` of `seq` (clip label, else majority/centre frame label)."""
    if seq.label is not None:
        return str(seq.label)
    if seq.frame_labels is None:
        return None
    fl = seq.frame_labels[start : start + window]
    if len(fl) == 0:
        return None
    if rule == "centre":
        return str(fl[len(fl) // 2])
    vals, counts = np.unique(fl, return_counts=True)
    return str(vals[np.argmax(counts)])


def pad_window(feats: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """`(t, F)` with t <= window -> zero-padded `(window, F)` and mask `(window,)` True on real frames."""
    t = feats.shape[0]
    out = np.zeros((window, feats.shape[1]), dtype=np.float32)
    out[:t] = feats[:window]
    mask = np.zeros(window, dtype=bool)
    mask[: min(t, window)] = True
    return out, mask


class WindowDataset(Dataset):
    """Windows `(window, F)` float32 + mask `(window,)` bool + label index, over featurised sequences.

    `labels` fixes the class order; windows whose label is not in it are dropped and counted in `n_skipped`.
    `max_per_class` keeps at most that many windows per class (chosen with `seed`).
    """

    def __init__(self, sequences: Sequence[Any], pipeline: Any, labels: Sequence[str], window: int,
                 stride: int = 1, *, label_rule: str = "majority", augment: AugmentFn | None = None,
                 max_per_class: int | None = None, seed: int = 0) -> None:
        self.sequences = list(sequences)
        self.pipeline = pipeline
        self.labels = [str(x) for x in labels]
        self.window, self.stride = int(window), int(stride)
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        index = {lb: i for i, lb in enumerate(self.labels)}
        refs: list[WindowRef] = []
        self.n_skipped = 0
        canonical = bool(getattr(pipeline, "canonical_hand", False))
        for si, seq in enumerate(self.sequences):
            left = pipeline.mirrored_frames(seq) if canonical else None
            hand = seq.any_hand_present() if canonical else None
            for st in window_starts(seq.n_frames, self.window, self.stride):
                lb = window_label(seq, st, self.window, label_rule)
                if lb is not None and left is not None and hand is not None and \
                        mostly_left(left[st : st + self.window], hand[st : st + self.window]):
                    lb = mirror_label(lb)
                if lb is None or lb not in index:
                    self.n_skipped += 1
                    continue
                refs.append(WindowRef(si, st, index[lb]))
        if max_per_class:
            rng = np.random.default_rng(seed)
            by_class: dict[int, list[int]] = {}
            for i, r in enumerate(refs):
                by_class.setdefault(r.label, []).append(i)
            keep = sorted(j for ids in by_class.values()
                          for j in (rng.choice(ids, max_per_class, replace=False) if len(ids) > max_per_class
                                    else ids))
            refs = [refs[j] for j in keep]
        self.refs = refs
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.refs)

    def set_epoch(self, epoch: int) -> None:
        """Choose the augmentation stream of this epoch (call before iterating)."""
        self.epoch = int(epoch)

    @property
    def targets(self) -> np.ndarray:
        """`(N,)` int64 label index of every window."""
        return np.array([r.label for r in self.refs], dtype=np.int64)

    @property
    def sequence_index(self) -> np.ndarray:
        """`(N,)` index into `sequences` of every window."""
        return np.array([r.seq for r in self.refs], dtype=np.int64)

    def features(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Window `i` as (`(window, F)` float32, `(window,)` bool mask); cached when not augmenting."""
        if self.augment is None and i in self._windows:
            return self._windows[i]
        out = self._compute(i)
        if self.augment is None:
            self._windows[i] = out
        return out

    def _compute(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        ref = self.refs[i]
        seq = self.sequences[ref.seq]
        if self.augment is None:
            if ref.seq not in self._cache:
                self._cache[ref.seq] = self.pipeline.frame_features(seq)
            feats, valid = self._cache[ref.seq]
            lo = ref.start
        else:
            ctx = int(getattr(self.pipeline, "context", 0))
            lo0 = max(0, ref.start - ctx)
            part = seq.slice(lo0, min(seq.n_frames, ref.start + self.window))
            rng = np.random.default_rng([self.seed, self.epoch, i])
            feats, valid = self.pipeline.frame_features(self.augment(part, rng))
            lo = ref.start - lo0
        f, v = feats[lo : lo + self.window], valid[lo : lo + self.window]
        if len(v) == 0:
            return np.zeros((self.window, feats.shape[1]), np.float32), np.zeros(self.window, bool)
        x, real, _ = window_batch(self.pipeline, f, v, [len(v) - 1], self.window)
        return x[0], real[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        x, m = self.features(i)
        return torch.from_numpy(x), torch.from_numpy(m), self.refs[i].label

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All windows at once: `(N, window, F)`, `(N, window)`, `(N,)` (no augmentation)."""
        aug, self.augment = self.augment, None
        try:
            xs, ms = zip(*(self.features(i) for i in range(len(self)))) if len(self) else ((), ())
        finally:
            self.augment = aug
        if not xs:
            return (np.zeros((0, self.window, int(self.pipeline.dim)), np.float32),
                    np.zeros((0, self.window), bool), np.zeros(0, np.int64))
        return np.stack(xs), np.stack(ms), self.targets


def collate(batch: list[tuple[torch.Tensor, torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack windows: `(B, T, F)`, `(B, T)` bool, `(B,)` int64."""
    xs, ms, ys = zip(*batch)
    return torch.stack(xs), torch.stack(ms), torch.tensor(ys, dtype=torch.long)


def check_windows(sequences: Sequence[Any], window: int, source: str = "dataset") -> None:
    """One-line `InputError` when the window is longer than every sequence."""
    longest = max((s.n_frames for s in sequences), default=0)
    if longest == 0:
        raise InputError(f"{source}: no frames in any sequence")
    if window > longest:
        raise InputError(f"{source}: window {window} is longer than every sequence (longest has {longest} frames)")
