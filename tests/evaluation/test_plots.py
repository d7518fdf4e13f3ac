"""Pictures people read: the confusion matrix at 32 classes and the training curves, inspected as figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from gestura.evaluation.plots import NO_SAMPLE, confusion_figure, curves_figure, plot_confusion  # noqa: E402


def _confusion(k: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    labels = [f"sign_{i:02d}_{'long' * (i % 3)}" for i in range(k)]
    cm = np.diag(rng.integers(5, 40, k))
    for _ in range(3 * k):
        i, j = rng.integers(0, k, 2)
        cm[i, j] += rng.integers(1, 5)
    cm[3, 3] = 250  # a three-digit count
    cm[7] = 0  # a class with no test sample
    return cm, labels


def test_confusion_matrix_stays_legible_at_32_classes(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    cm, labels = _confusion(32, np.random.default_rng(0))
    fig = confusion_figure(cm, labels, title="lstm-20261130: lstm on words")
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # colours are shares of the true class; the empty class is not painted as "0 recall"
    shown = np.ma.masked_invalid(ax.images[0].get_array())
    empty = np.ma.getmaskarray(shown)
    assert shown.max() <= 1.0 and empty[7].all() and not empty[np.arange(32) != 7].any()
    # counts are printed, each inside its own cell
    cell_w = ax.get_window_extent(renderer).width / 32
    texts = ax.texts
    assert len(texts) >= 0.8 * int((cm > 0).sum()), "most counts missing"
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.width < cell_w, f"count {t.get_text()!r} is wider than its cell"
        x, y = t.get_position()
        assert cm[int(y), int(x)] == int(t.get_text())
    # the empty class is marked, and the axes say what they are
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[7] == f"{labels[7]} {NO_SAMPLE}" and ticks[0].startswith(labels[0] + " (n=")
    assert any(p.get_hatch() for p in ax.patches)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel().startswith("true class")
    assert ax.get_title() == "lstm-20261130: lstm on words"
    plt.close(fig)

    plot_confusion(cm, labels, tmp_path / "c.png")
    from PIL import Image

    w, h = Image.open(tmp_path / "c.png").size
    assert w >= 32 * 30 and h >= 32 * 30  # at least ~30 px per class at 110 dpi


def test_curves_have_labelled_axes_and_the_run_name() -> None:
    import matplotlib.pyplot as plt

    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + e / 20,
             "val_macro_f1": 0.4 + e / 20} for e in range(1, 6)]
    fig = curves_figure(rows, title="lstm-20261130-0512: lstm on presentation-clips")
    loss, val = fig.axes
    assert loss.get_xlabel() == val.get_xlabel() == "epoch"
    assert "loss" in loss.get_ylabel() and "validation" in val.get_ylabel()
    assert fig._suptitle.get_text() == "lstm-20261130-0512: lstm on presentation-clips"
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["training", "validation"]
    assert [t.get_text() for t in val.get_legend().get_texts()] == ["accuracy", "macro-F1"]
    plt.close(fig)


def test_run_title_names_the_run_not_a_path(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from gestura.training.config import TrainConfig
    from gestura.training.run import run_title

    cfg = TrainConfig.model_validate({"data": {"path": "/somewhere/deep/presentation-clips"},
                                      "model": {"name": "bilstm"}})
    title = run_title(tmp_path / "runs" / "bilstm-20261130-0512", cfg)
    assert title == "bilstm-20261130-0512: bilstm on presentation-clips"
    assert "/" not in title and title.split(":")[0] != "run"
