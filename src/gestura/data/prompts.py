"""Prompts: what a recorded presenter was asked to do, and when. One type for the scorer, the demo and training.

A frame-labelled stream (`groundtruth.txt` label changes) holds runs of a gesture label between runs of the
background label; each run is one `Prompt(start_s, end_s, label)`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gestura.errors import InputError


class Prompt(NamedTuple):
    """One prompted gesture: shown from `start_s` to `end_s` (seconds, the recording's clock)."""

    start_s: float
    end_s: float
    label: str


def prompts_from_labels(t: np.ndarray, frame_labels: np.ndarray, background: str = "unknown",
                        fps: float | None = None) -> list[Prompt]:
    """Runs of non-background frame labels as prompts: `(T,)` times + `(T,)` labels -> [Prompt].

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
        out.append(Prompt(float(t[a]), end, lbl))
    return out


def sequence_prompts(seq: object, background: str = "unknown") -> list[Prompt]:
    """The prompts of a `LandmarkSequence` with frame labels (none without)."""
    labels = getattr(seq, "frame_labels", None)
    if labels is None:
        return []
    return prompts_from_labels(getattr(seq, "t"), labels, background, fps=getattr(seq, "fps", None))


__all__ = ["Prompt", "prompts_from_labels", "sequence_prompts"]
