"""Pseudo signer ids from K-means over per-window pose statistics, for debiasing when real signers are unknown.

Body proportions, resting hand height and habitual motion range differ between people more than between the
signs one person makes, so clustering per-window statistics groups windows roughly by signer. The ids feed the
adversarial signer head of `sca_stgcn` exactly like real `recorded_by` ids would.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gestura.errors import InputError


def pose_statistics(feats: Sequence[np.ndarray], valid: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Mean and standard deviation over valid frames of each window: N x `(T, F)` -> `(N, 2F)`.

    A window with no valid frame gets zeros (it clusters with the other empty ones).
    """
    if len(feats) == 0:
        raise InputError("pose_statistics: no windows given")
    out = []
    for i, f in enumerate(feats):
        f = np.asarray(f, dtype=np.float64)
        v = np.ones(len(f), dtype=bool) if valid is None else np.asarray(valid[i], dtype=bool)
        if f.ndim != 2 or len(v) != len(f):
            raise InputError(f"pose_statistics: window {i} must be (T, F) with a (T,) mask, got {f.shape}, {v.shape}")
        g = f[v]
        out.append(np.concatenate([g.mean(0), g.std(0)]) if len(g) else np.zeros(2 * f.shape[1]))
    return np.stack(out).astype(np.float32)


def assign_pseudo_signers(stats: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """K-means (k clusters) over standardised statistics `(N, D)` -> pseudo signer ids `(N,)` int64.

    Deterministic under `seed`; ids are renumbered in order of first appearance, so equal partitions give equal ids.
    """
    from sklearn.cluster import KMeans

    stats = np.asarray(stats, dtype=np.float64)
    if stats.ndim != 2 or len(stats) < k or k < 1:
        raise InputError(f"assign_pseudo_signers: need (N, D) statistics with N >= k >= 1, got {stats.shape}, k={k}")
    if not np.isfinite(stats).all():
        raise InputError("assign_pseudo_signers: statistics contain NaN/inf")
    z = (stats - stats.mean(0)) / np.where(stats.std(0) > 1e-8, stats.std(0), 1.0)
    raw = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(z)
    order = {c: i for i, c in enumerate(dict.fromkeys(raw.tolist()))}
    return np.array([order[c] for c in raw], dtype=np.int64)
