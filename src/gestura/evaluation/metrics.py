"""Classification metrics from scikit-learn, gathered into one `EvaluationReport` (JSON-ready).

Takes predictions, not a trainer or a model: `evaluate(y_true, proba, labels, subjects)`. Imports no optimiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gestura.errors import InputError


@dataclass
class EvaluationReport:
    """Accuracy, macro-F1, per-class recall, confusion matrix (rows = true, cols = predicted), per-subject scores."""

    accuracy: float
    macro_f1: float
    per_class_recall: dict[str, float]
    confusion: list[list[int]]
    labels: list[str]
    n: int
    n_skipped: int = 0
    per_subject: dict[str, dict[str, float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(d.pop("extra"))
        return d


def evaluate(y_true: Sequence[int] | np.ndarray, proba: np.ndarray, labels: Sequence[str],
             subjects: Sequence[str] | np.ndarray | None = None, n_skipped: int = 0,
             allowed: Sequence[int] | None = None) -> EvaluationReport:
    """Score `(N, K)` probabilities against `(N,)` label indices into `labels`.

    `allowed` restricts the argmax to those class indices (a model checked on recordings of a few of its classes).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != y.shape[0] or p.shape[1] != len(labels):
        raise InputError(f"evaluate: proba shape {p.shape} does not fit {y.shape[0]} samples x {len(labels)} labels")
    if y.size == 0:
        raise InputError("evaluate: no samples to score")
    if allowed is not None:
        keep = np.full(p.shape[1], -np.inf)
        keep[list(allowed)] = 0.0
        p = p + keep
    pred = p.argmax(axis=1)
    idx = list(range(len(labels)))
    present = sorted(set(y.tolist()))
    recall = recall_score(y, pred, labels=idx, average=None, zero_division=0)
    report = EvaluationReport(
        accuracy=float(accuracy_score(y, pred)),
        macro_f1=float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
        per_class_recall={labels[i]: float(recall[i]) for i in present},
        confusion=confusion_matrix(y, pred, labels=idx).astype(int).tolist(),
        labels=[str(x) for x in labels],
        n=int(y.size),
        n_skipped=int(n_skipped),
    )
    if subjects is not None:
        s = np.asarray(subjects, dtype=object)
        for name in sorted({str(v) for v in s.tolist() if v is not None}):
            m = s == name
            report.per_subject[name] = {
                "n": int(m.sum()),
                "accuracy": float(accuracy_score(y[m], pred[m])),
                "macro_f1": float(f1_score(y[m], pred[m], labels=sorted(set(y[m].tolist())), average="macro",
                                           zero_division=0)),
            }
    return report
