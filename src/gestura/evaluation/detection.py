"""Binary signing detection (signing vs not signing): scores, PR-AUC, F1, and model selection by a metric.

On asl-traduttore the not-signing class is `-`. A multi-class model becomes a detector through
`signing_scores` (1 - P(not signing)); a binary model's positive-class probability is used as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gestura.errors import ConfigError, InputError

SELECTION_METRICS = {"accuracy": "max", "loss": "min", "f1": "max", "pr_auc": "max"}


def signing_scores(proba: np.ndarray, labels: Sequence[str], negative: str = "-") -> np.ndarray:
    """Probability of signing from class probabilities: `(N, K) -> (N,)` = 1 - P(`negative`)."""
    labels = list(labels)
    if negative not in labels:
        raise InputError(f"signing_scores: the not-signing label {negative!r} is not among the model's labels")
    return 1.0 - np.asarray(proba)[:, labels.index(negative)]


def detection_report(y_true: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """PR-AUC (average precision), F1/precision/recall at `threshold`, and the best-F1 threshold.

    `y_true (N,)` bool (True = signing), `score (N,)` in [0, 1].
    """
    from sklearn.metrics import average_precision_score, f1_score, precision_recall_curve, precision_score, recall_score

    y = np.asarray(y_true).astype(bool)
    s = np.asarray(score, dtype=np.float64)
    if len(y) != len(s) or len(y) == 0:
        raise InputError(f"detection_report: {len(y)} labels and {len(s)} scores")
    if y.all() or not y.any():
        raise InputError("detection_report: need both signing and not-signing samples")
    pred = s >= threshold
    prec, rec, thr = precision_recall_curve(y, s)
    f1s = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    best = int(np.argmax(f1s[:-1])) if len(thr) else 0
    return {
        "pr_auc": float(average_precision_score(y, s)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "threshold": float(threshold),
        "best_f1": float(f1s[best]),
        "best_f1_threshold": float(thr[best]) if len(thr) else float(threshold),
        "n": int(len(y)),
        "n_positive": int(y.sum()),
    }


def select_best(history: Sequence[Mapping[str, float]], by: str = "accuracy") -> int:
    """Index of the best epoch in a list of per-epoch validation metrics, by `accuracy`, `loss`, `f1` or `pr_auc`."""
    if by not in SELECTION_METRICS:
        raise ConfigError(f"selection metric {by!r} unknown; choose from {sorted(SELECTION_METRICS)}")
    if not history:
        raise InputError("select_best: empty history")
    vals = np.array([h[by] for h in history], dtype=np.float64)
    return int(np.argmin(vals) if SELECTION_METRICS[by] == "min" else np.argmax(vals))
