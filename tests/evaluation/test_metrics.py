"""Metrics, plots, model card and baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gestura.errors import ConfigError, InputError
from gestura.evaluation.baselines import fit_baseline, window_statistics
from gestura.evaluation.metrics import evaluate
from gestura.model_card import render_model_card
from gestura.evaluation.plots import plot_confusion, plot_curves


def test_evaluate_known_numbers() -> None:
    y = np.array([0, 0, 1, 1, 2])
    proba = np.eye(3)[[0, 1, 1, 1, 0]]
    rep = evaluate(y, proba, ["a", "b", "c"], subjects=["p", "p", "q", "q", "q"], n_skipped=2)
    assert rep.accuracy == pytest.approx(0.6) and rep.n == 5 and rep.n_skipped == 2
    assert rep.per_class_recall == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert rep.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert rep.macro_f1 == pytest.approx(np.mean([0.5, 0.8, 0.0]))
    assert rep.per_subject["p"]["accuracy"] == 0.5 and rep.per_subject["q"]["n"] == 3
    d = rep.to_dict()
    assert {"accuracy", "macro_f1", "per_class_recall", "confusion", "labels", "n", "n_skipped"} <= set(d)


def test_allowed_restricts_argmax() -> None:
    proba = np.array([[0.1, 0.6, 0.3], [0.5, 0.4, 0.1]])
    rep = evaluate([2, 0], proba, ["a", "b", "c"], allowed=[0, 2])
    assert rep.accuracy == 1.0


def test_evaluate_rejects_bad_shapes() -> None:
    with pytest.raises(InputError, match="does not fit"):
        evaluate([0, 1], np.zeros((2, 2)), ["a", "b", "c"])
    with pytest.raises(InputError, match="no samples"):
        evaluate([], np.zeros((0, 2)), ["a", "b"])


def test_plots_and_card(tmp_path: Path) -> None:
    plot_confusion([[3, 1], [0, 4]], ["a", "b"], tmp_path / "c.png")
    plot_curves([{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5},
                 {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7, "val_accuracy": 0.8}], tmp_path / "k.png")
    for p in ("c.png", "k.png"):
        assert (tmp_path / p).read_bytes()[:4] == b"\x89PNG"
    card = render_model_card({"architecture": {"name": "lstm", "params": {"units": [8]}}, "labels": ["a", "b"],
                              "features": {"schema": "feature-schema-v1", "dim": 147}, "window": 20, "stride": 10,
                              "meta": {"test": {"accuracy": 0.91, "per_class_recall": {"a": 0.8, "b": 1.0}},
                                       "split": {"group_by": "subject"}}})
    for needle in ("# gestura model: lstm", "## Limitations", "accuracy: 0.9100", "group_by: subject", "`a` 0.800"):
        assert needle in card


def test_baselines_separate_easy_classes() -> None:
    g = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    x = g.standard_normal((60, 8, 3)).astype(np.float32) * 0.2
    x[:, :, 1] += y[:, None]
    m = np.ones((60, 8), bool)
    m[::2, 6:] = False
    assert window_statistics(x, m).shape == (60, 3 * 6)
    for kind in ("logreg", "knn"):
        clf = fit_baseline(kind, x[::2], m[::2], y[::2])
        p = clf.predict_proba(x[1::2], m[1::2], n_classes=4)
        assert p.shape == (30, 4) and (p.argmax(1) == y[1::2]).mean() >= 0.85 and np.all(p[:, 3] == 0)
    with pytest.raises(ConfigError, match="unknown baseline"):
        fit_baseline("svm", x, m, y)
    with pytest.raises(ConfigError, match="unknown parameter"):
        fit_baseline("knn", x, m, y, C=1.0)


def test_evaluation_imports_no_training_code() -> None:
    import subprocess
    import sys

    code = ("import sys, gestura.evaluation.evaluate, gestura.evaluation.metrics, gestura.evaluation.baselines; "
            "bad = [m for m in sys.modules if m.startswith('gestura.training') or m == 'torch.optim']; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
