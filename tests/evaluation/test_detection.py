"""Signing detection: scores from class probabilities, PR-AUC/F1 report, model selection."""

from __future__ import annotations

import numpy as np
import pytest

from gestura.errors import ConfigError, InputError
from gestura.evaluation.detection import detection_report, select_best, signing_scores


def test_signing_scores_and_report() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9]])
    s = signing_scores(proba, ["-", "hello"])
    assert np.allclose(s, [0.1, 0.8, 0.4, 0.9])
    r = detection_report(np.array([False, True, True, True]), s)
    assert r["pr_auc"] == pytest.approx(1.0) and r["f1"] == pytest.approx(0.8) and r["best_f1"] == pytest.approx(1.0)
    assert r["best_f1_threshold"] <= 0.4
    with pytest.raises(InputError, match="not-signing label"):
        signing_scores(proba, ["a", "b"])
    with pytest.raises(InputError, match="both"):
        detection_report(np.ones(3, bool), np.ones(3))


def test_select_best_by_metric() -> None:
    hist = [{"accuracy": 0.5, "loss": 0.9, "f1": 0.4, "pr_auc": 0.7},
            {"accuracy": 0.7, "loss": 0.5, "f1": 0.3, "pr_auc": 0.6},
            {"accuracy": 0.6, "loss": 0.6, "f1": 0.6, "pr_auc": 0.8}]
    assert [select_best(hist, m) for m in ("accuracy", "loss", "f1", "pr_auc")] == [1, 1, 2, 2]
    with pytest.raises(ConfigError, match="auc"):
        select_best(hist, "auc")
