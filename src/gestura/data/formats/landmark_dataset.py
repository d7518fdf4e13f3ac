"""`LandmarkDataset`: the sequences one dataset folder holds, whatever its format, with label and group helpers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gestura.errors import InputError
from gestura.landmarks.sequence import HAND_STREAMS, LandmarkSequence

DEFAULT_FPS = 30.0
"""Frame rate assumed where a format does not record one (`attrs["fps_assumed"]` is then True)."""


@dataclass
class LandmarkDataset:
    """A list of `LandmarkSequence`s read from `root` in `format`, with label and grouping helpers."""

    root: Path
    format: str
    sequences: list[LandmarkSequence]

    def __len__(self) -> int:
        return len(self.sequences)

    def __iter__(self) -> Iterator[LandmarkSequence]:
        return iter(self.sequences)

    def __getitem__(self, i: int) -> LandmarkSequence:
        return self.sequences[i]

    @property
    def labels(self) -> list[str]:
        """Sorted class names over clip labels and frame labels."""
        names: set[str] = set()
        for s in self.sequences:
            if s.label is not None:
                names.add(s.label)
            if s.frame_labels is not None:
                names.update(str(x) for x in np.unique(s.frame_labels))
        return sorted(names)

    def label_counts(self) -> dict[str, int]:
        """Samples per class: one per clip label, one per run of equal frame labels in continuous streams."""
        counts: Counter[str] = Counter()
        for s in self.sequences:
            if s.frame_labels is not None and s.frame_labels.size:
                fl = s.frame_labels
                starts = np.flatnonzero(np.r_[True, fl[1:] != fl[:-1]])
                counts.update(str(fl[i]) for i in starts)
            elif s.label is not None:
                counts[s.label] += 1
        return dict(sorted(counts.items()))

    def group_ids(self, key: str) -> np.ndarray:
        """`(N,)` str ids per sequence for `key` in subject/session/episode/video_id ("" where unknown)."""
        if key not in ("subject", "session", "episode", "video_id"):
            raise InputError(f"unknown group key {key!r}; choose from subject, session, episode, video_id")
        return np.array([getattr(s, key) or "" for s in self.sequences], dtype=str)

    def summary(self) -> dict[str, object]:
        """Facts `gestura data info` prints: counts, group sizes, lengths, missing-hand rate."""
        lengths = np.array([s.n_frames for s in self.sequences], dtype=int)
        n_frames = int(lengths.sum())
        missing = 0
        for s in self.sequences:
            hand_keys = [k for k in (*HAND_STREAMS, "index_tip") if k in s.streams]
            if hand_keys:
                missing += int((~np.any([s.present[k] for k in hand_keys], axis=0)).sum())
            else:
                missing += s.n_frames
        streams = sorted({f"{k}{tuple(v.shape[1:])}" for s in self.sequences for k, v in s.streams.items()})
        fps = sorted({round(s.fps, 1) for s in self.sequences})
        return {
            "root": str(self.root),
            "format": self.format,
            "n_sequences": len(self.sequences),
            "n_frames": n_frames,
            "classes": self.label_counts(),
            "unlabelled": sum(s.label is None and s.frame_labels is None for s in self.sequences),
            "groups": {k: len(set(self.group_ids(k)) - {""}) for k in ("subject", "session", "episode")},
            "length": (
                {"min": int(lengths.min()), "median": float(np.median(lengths)), "max": int(lengths.max())}
                if lengths.size else {}
            ),
            "missing_hand_rate": missing / n_frames if n_frames else 0.0,
            "streams": streams,
            "fps": fps,
            "fps_assumed": any(bool(s.attrs.get("fps_assumed")) for s in self.sequences),
        }


def format_summary(summary: dict[str, object]) -> str:
    """Human-readable lines of `LandmarkDataset.summary()` for `gestura data info`."""
    s = summary
    classes: dict[str, int] = s["classes"]  # type: ignore[assignment]
    groups: dict[str, int] = s["groups"]  # type: ignore[assignment]
    length: dict[str, float] = s["length"]  # type: ignore[assignment]
    fps: list[float] = s["fps"]  # type: ignore[assignment]
    lines = [
        f"dataset   {s['root']}",
        f"format    {s['format']}",
        f"samples   {s['n_sequences']} sequences, {s['n_frames']} frames",
        f"streams   {', '.join(s['streams'])}",  # type: ignore[arg-type]
        f"fps       {', '.join(f'{f:g}' for f in fps)}{' (assumed, not recorded)' if s['fps_assumed'] else ''}",
        f"length    min {length.get('min')}  median {length.get('median', 0):g}  max {length.get('max')} frames",
        "groups    " + "  ".join(f"{k}s {v if v else 'unknown'}" for k, v in groups.items()),
        f"missing   no hand in {100 * float(s['missing_hand_rate']):.1f}% of frames",  # type: ignore[arg-type]
        f"classes   {len(classes)}" + (f" ({s['unlabelled']} unlabelled sequences)" if s["unlabelled"] else ""),
    ]
    width = max((len(k) for k in classes), default=0)
    lines += [f"  {k:<{width}}  {v}" for k, v in classes.items()]
    return "\n".join(lines)
