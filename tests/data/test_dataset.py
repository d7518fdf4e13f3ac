"""Window dataset: windows and strides, padding masks, window labels from frame labels, max per class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gestura.data.dataset import WindowDataset, check_windows, collate, window_label, window_starts
from gestura.errors import InputError
from gestura.features.pipeline import FeaturePipeline
from gestura.landmarks.sequence import LandmarkSequence


def _seq(n: int, label: str | None = "a", frame_labels: list[str] | None = None, vid: str = "v") -> LandmarkSequence:
    rng = np.random.default_rng(n)
    hand = 0.5 + 0.05 * rng.standard_normal((n, 21, 3)).astype(np.float32)
    return LandmarkSequence.from_arrays({"right_hand": hand}, 30.0, label=label, video_id=vid,
                                        frame_labels=frame_labels)


def test_window_starts() -> None:
    assert window_starts(5, 8, 2) == [0]
    assert window_starts(10, 4, 3) == [0, 3, 6]


def test_labels_majority_and_centre() -> None:
    s = _seq(10, None, ["x"] * 3 + ["y"] * 7)
    assert window_label(s, 0, 5, "majority") == "x"
    assert window_label(s, 0, 7, "majority") == "y"
    assert window_label(s, 0, 5, "centre") == "x"
    assert window_label(s, 1, 5, "centre") == "y"
    assert window_label(_seq(4, "clip"), 0, 4) == "clip"


def test_padding_mask_and_shapes() -> None:
    pipe = FeaturePipeline("feature-schema-v1")
    ds = WindowDataset([_seq(6, "a", vid="1"), _seq(20, "b", vid="2")], pipe, ["a", "b"], window=8, stride=4)
    assert len(ds) == 1 + 4 and ds.targets.tolist() == [0, 1, 1, 1, 1]
    x, m = ds.features(0)
    assert x.shape == (8, pipe.dim) and m.tolist() == [True] * 6 + [False] * 2
    assert np.all(x[6:] == 0)
    xb, mb, yb = collate([ds[i] for i in range(3)])
    assert xb.shape == (3, 8, pipe.dim) and mb.dtype == torch.bool and yb.tolist() == [0, 1, 1]


def test_unknown_labels_skipped_and_max_per_class() -> None:
    pipe = FeaturePipeline("feature-schema-v1")
    seqs = [_seq(8, "a", vid=f"a{i}") for i in range(5)] + [_seq(8, "z", vid="z")]
    ds = WindowDataset(seqs, pipe, ["a"], window=8, max_per_class=2, seed=0)
    assert len(ds) == 2 and ds.n_skipped == 1


def test_augmented_windows_are_reproducible() -> None:
    pipe = FeaturePipeline("feature-schema-v1")

    def aug(seq: LandmarkSequence, rng: np.random.Generator) -> LandmarkSequence:
        return LandmarkSequence.from_arrays({"right_hand": seq.streams["right_hand"] + rng.normal(0, 0.01)}, 30.0)

    ds = WindowDataset([_seq(12, "a")], pipe, ["a"], window=12, augment=aug, seed=1)
    a, b = ds.features(0)[0], ds.features(0)[0]
    ds.set_epoch(1)
    c = ds.features(0)[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_window_longer_than_every_sequence() -> None:
    with pytest.raises(InputError, match="longer than every sequence"):
        check_windows([_seq(5), _seq(7)], 8, "data/x")
