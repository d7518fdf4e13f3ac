"""One definition of handedness: a left hand is the mirror image of a right hand.

gestura works in *canonical* (right-hand) space. A pipeline with `canonical_hand` (feature-schema-v1 with
`mirror_left=True, keep_motion_direction=False`) reflects a left hand completely, shape and motion alike, so a
left-handed swipe to the person's left reads as a right-handed swipe to the right. The label follows the mirror:
training windows whose acting hand is mostly left get their mirror label (`mirror_label`), and at run time the
class probabilities of a left-hand window are permuted back (`mirror_permutation`). Mirroring a recording
(`mirror_sequence`: x -> 1 - x, hand slots swapped, labels swapped) therefore changes nothing but the names of
the commands, which is the metamorphic test of this definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from gestura.landmarks.sequence import LandmarkSequence

MIRROR_PAIRS: tuple[tuple[str, str], ...] = (
    ("swiping_left", "swiping_right"),
    ("rotate_left", "rotate_right"),
    ("swipe_left", "swipe_right"),
    ("Left Swipe", "Right Swipe"),
    ("Clockwise", "Counter Clockwise"),
)
"""Classes that are each other's mirror image; every other class is its own mirror image."""
_MIRROR = {a: b for a, b in MIRROR_PAIRS} | {b: a for a, b in MIRROR_PAIRS}

POSE_MIRROR_PAIRS = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
                     (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32))
"""MediaPipe Pose landmark pairs (left <-> right) swapped when a body is mirrored."""


def mirror_label(label: str) -> str:
    """The class a mirrored gesture belongs to (`swiping_left` <-> `swiping_right`; others unchanged)."""
    return _MIRROR.get(str(label), str(label))


def mirror_permutation(labels: Sequence[str]) -> np.ndarray:
    """Index array `perm` with `probs_mirrored = probs[perm]`: the probability of class k of a mirrored input is
    that of class `mirror_label(k)` (a mirror partner missing from `labels` maps to itself)."""
    index = {lb: i for i, lb in enumerate(labels)}
    return np.array([index.get(mirror_label(lb), i) for i, lb in enumerate(labels)], dtype=np.int64)


def mirror_sequence(seq: LandmarkSequence) -> LandmarkSequence:
    """The recording a mirror would show: x -> 1 - x, `left_hand` <-> `right_hand`, pose sides swapped, labels
    mirrored. Applying it twice gives the original back."""
    streams: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    swap = {"left_hand": "right_hand", "right_hand": "left_hand"}
    for name, arr in seq.streams.items():
        out = np.array(arr, dtype=np.float32, copy=True)
        p = np.asarray(seq.present[name], dtype=bool)
        out[..., 0] = np.where(p.reshape((-1,) + (1,) * (out.ndim - 2)), 1.0 - out[..., 0], 0.0)
        if name == "pose" and out.shape[1] == 33:
            idx = np.arange(33)
            for a, b in POSE_MIRROR_PAIRS:
                idx[a], idx[b] = b, a
            out = out[:, idx]
        streams[swap.get(name, name)] = out
        present[swap.get(name, name)] = p.copy()
    handed = {swap.get(k, k): v for k, v in seq.handedness.items()}
    frame_labels = None if seq.frame_labels is None else \
        np.array([mirror_label(x) for x in seq.frame_labels]).astype(str)
    return replace(seq, streams=streams, present=present, handedness=handed, frame_labels=frame_labels,
                   label=None if seq.label is None else mirror_label(seq.label))


def dominant_side(sequences: Sequence[LandmarkSequence]) -> str:
    """`"right"` or `"left"`: the side of the body whose hand moves more over these clips of one signer.

    Each detected hand is given to the nearer pose wrist (Holistic's hand slots are not reliable), and its wrist
    path length is summed per side. Clips without a pose count by slot name. Ties and no hands: `"right"`.
    """
    travel = {"left": 0.0, "right": 0.0}
    for seq in sequences:
        hands = {}
        for name in ("left_hand", "right_hand"):
            if name in seq.streams:
                hands[name] = (np.asarray(seq.streams[name])[:, 0, :2], np.asarray(seq.present[name], bool))
        if not hands:
            continue
        pose = np.asarray(seq.streams["pose"])[:, :, :2] if "pose" in seq.streams else None
        pp = np.asarray(seq.present["pose"], bool) if pose is not None else None
        for name, (w, p) in hands.items():
            side = np.full(len(w), name.split("_")[0], dtype=object)
            if pose is not None and pp is not None:
                to_left = np.linalg.norm(w - pose[:, 15], axis=-1)
                to_right = np.linalg.norm(w - pose[:, 16], axis=-1)
                side = np.where(pp, np.where(to_left < to_right, "left", "right"), side)
            step = np.linalg.norm(np.diff(w, axis=0), axis=-1)
            ok = p[1:] & p[:-1] & (side[1:] == side[:-1])
            for s_ in ("left", "right"):
                travel[s_] += float(step[ok & (side[1:] == s_)].sum())
    return "left" if travel["left"] > travel["right"] else "right"


def mostly_left(is_left: np.ndarray, valid: np.ndarray) -> bool:
    """Whether a window's acting hand is the left one: the majority of its valid frames (ties: right)."""
    v = np.asarray(valid, dtype=bool)
    n = int(v.sum())
    return n > 0 and int(np.asarray(is_left, dtype=bool)[v].sum()) * 2 > n


__all__ = ["MIRROR_PAIRS", "dominant_side", "mirror_label", "mirror_permutation", "mirror_sequence", "mostly_left"]
