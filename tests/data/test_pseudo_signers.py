"""K-means pseudo signers: deterministic under a seed and recovering well-separated people."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.data.pseudo_signers import assign_pseudo_signers, pose_statistics
from gestura.errors import InputError


def _windows(seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    people = rng.normal(0, 3, size=(3, 6))
    who = np.repeat(np.arange(3), 20)
    return [people[p] + rng.normal(0, 0.3, size=(12, 6)) for p in who], who


def test_pseudo_signers_are_deterministic_and_recover_people() -> None:
    from sklearn.metrics import adjusted_rand_score

    wins, who = _windows(0)
    stats = pose_statistics(wins)
    assert stats.shape == (60, 12)
    a = assign_pseudo_signers(stats, 3, seed=7)
    b = assign_pseudo_signers(stats, 3, seed=7)
    assert np.array_equal(a, b) and a[0] == 0
    assert adjusted_rand_score(who, a) == pytest.approx(1.0)
    assert set(assign_pseudo_signers(stats, 5, seed=1).tolist()) == set(range(5))


def test_pose_statistics_use_valid_frames_only() -> None:
    f = np.arange(12, dtype=np.float32).reshape(4, 3)
    v = np.array([True, True, False, False])
    s = pose_statistics([f], [v])
    assert np.allclose(s[0, :3], f[:2].mean(0)) and np.allclose(s[0, 3:], f[:2].std(0))
    assert np.all(pose_statistics([f], [np.zeros(4, bool)]) == 0)


def test_pseudo_signer_errors() -> None:
    with pytest.raises(InputError, match="N >= k"):
        assign_pseudo_signers(np.zeros((2, 3)), 3)
    with pytest.raises(InputError, match="NaN"):
        assign_pseudo_signers(np.full((4, 2), np.nan), 2)
    with pytest.raises(InputError, match="no windows"):
        pose_statistics([])
