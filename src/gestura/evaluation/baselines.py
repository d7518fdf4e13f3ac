"""Simple scikit-learn baselines on the same windows and split as the neural models, for the results table.

`logreg`: logistic regression on per-window statistics of the per-frame features (mean, spread and a coarse
path: the mean of each of `segments` equal time segments), standardised. `knn`: k-nearest neighbours on the
flattened, standardised window (padding frames zero). Both take the windows `(N, T, F)` + masks `(N, T)` that
`WindowDataset.arrays()` gives, so they see exactly the features and held-out groups the models see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gestura.errors import ConfigError


def window_statistics(x: np.ndarray, mask: np.ndarray, segments: int = 4) -> np.ndarray:
    """`(N, T, F)` windows -> `(N, F * (2 + segments))`: masked mean, std and per-segment means."""
    m = mask.astype(np.float32)[..., None]
    n = np.maximum(m.sum(axis=1), 1.0)
    mean = (x * m).sum(axis=1) / n
    std = np.sqrt(((x - mean[:, None]) ** 2 * m).sum(axis=1) / n)
    parts = [mean, std]
    t = x.shape[1]
    edges = np.linspace(0, t, segments + 1).round().astype(int)
    for a, b in zip(edges[:-1], edges[1:]):
        b = max(b, a + 1)
        ms = m[:, a:b]
        parts.append((x[:, a:b] * ms).sum(axis=1) / np.maximum(ms.sum(axis=1), 1.0))
    return np.concatenate(parts, axis=1).astype(np.float32)


@dataclass
class Baseline:
    """A fitted sklearn pipeline with the featuriser it expects."""

    kind: str
    estimator: Any
    segments: int = 4

    def transform(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.kind == "logreg":
            return window_statistics(x, mask, self.segments)
        return (x * mask[..., None]).reshape(len(x), -1)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray, n_classes: int) -> np.ndarray:
        """`(N, K)` probabilities over all `n_classes` (classes unseen in training get 0)."""
        p = self.estimator.predict_proba(self.transform(x, mask))
        out = np.zeros((len(x), n_classes), dtype=np.float32)
        out[:, self.estimator.classes_] = p
        return out


def fit_baseline(kind: str, x: np.ndarray, mask: np.ndarray, y: np.ndarray, seed: int = 0,
                 **params: Any) -> Baseline:
    """Fit `logreg` (C, segments, max_iter) or `knn` (k) on training windows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logreg":
        allowed = {"C", "segments", "max_iter"}
    elif kind == "knn":
        allowed = {"k"}
    else:
        raise ConfigError(f"unknown baseline {kind!r}; choose from logreg, knn")
    if unknown := sorted(set(params) - allowed):
        raise ConfigError(f"baseline {kind!r}: unknown parameter(s) {unknown}; valid: {sorted(allowed)}")
    if kind == "logreg":
        est = make_pipeline(StandardScaler(), LogisticRegression(C=float(params.get("C", 1.0)),
                                                                 max_iter=int(params.get("max_iter", 2000))))
        base = Baseline(kind, est, int(params.get("segments", 4)))
    else:
        est = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=int(params.get("k", 5))))
        base = Baseline(kind, est)
    est.fit(base.transform(x, mask), y)
    return base
