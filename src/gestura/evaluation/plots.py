"""Confusion-matrix and training-curve PNGs (matplotlib, Agg backend, written atomically).

`confusion_figure` / `curves_figure` build the figures (tests inspect them); `plot_confusion` / `plot_curves`
write them as PNG. The confusion matrix stays legible at 30+ classes: colours are the share of each true class
(row-normalised), a count is printed only where it fits in its cell, and a class without any test sample is
hatched and marked "(no test sample)" instead of looking like zero recall.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from gestura.io import atomic_write

NO_SAMPLE = "(no test sample)"


def _figure():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike[str]) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())


def confusion_figure(confusion: Sequence[Sequence[int]], labels: Sequence[str], title: str = "") -> Any:
    """The confusion matrix (true rows, predicted columns) as a matplotlib Figure; see the module docstring."""
    from matplotlib.patches import Rectangle

    plt = _figure()
    cm = np.asarray(confusion, dtype=float)
    k = len(labels)
    support = cm.sum(axis=1)
    norm = cm / np.maximum(support[:, None], 1)
    cell_in = 0.34 if k > 12 else 0.5
    side = cell_in * k
    fig, ax = plt.subplots(figsize=(side + 3.2, side + 2.6))
    img = ax.imshow(np.where(support[:, None] > 0, norm, np.nan), cmap="Blues", vmin=0, vmax=1)
    tick_size = 8 if k > 20 else 9
    ylabels = [f"{lb} {NO_SAMPLE}" if support[i] == 0 else f"{lb} (n={int(support[i])})" for i, lb in enumerate(labels)]
    ax.set_xticks(range(k), labels, rotation=90, fontsize=tick_size)
    ax.set_yticks(range(k), ylabels, fontsize=tick_size)
    for i in np.nonzero(support == 0)[0]:
        ax.add_patch(Rectangle((-0.5, i - 0.5), k, 1, facecolor="#eeeeee", edgecolor="#999999", hatch="///",
                               linewidth=0))
        ax.get_yticklabels()[i].set_color("#888888")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class (n = test samples)")
    cbar = fig.colorbar(img, ax=ax, fraction=0.04, pad=0.02)
    cbar.set_label("share of the true class")
    cell_pt = cell_in * 72
    font = min(9.0, cell_pt * 0.42)
    for i, j in zip(*np.nonzero(cm)):
        text = str(int(cm[i, j]))
        if len(text) * 0.62 * font > 0.92 * cell_pt:  # does not fit: the colour carries the information
            continue
        ax.text(j, i, text, ha="center", va="center", fontsize=font,
                color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(title)
    return fig


def plot_confusion(confusion: Sequence[Sequence[int]], labels: Sequence[str], path: str | os.PathLike[str],
                   title: str = "") -> None:
    """Write `confusion_figure(...)` as a PNG."""
    plt = _figure()
    fig = confusion_figure(confusion, labels, title)
    _save(fig, path)
    plt.close(fig)


CURVE_LABELS = {"train_loss": "training", "val_loss": "validation", "val_accuracy": "accuracy",
                "val_macro_f1": "macro-F1"}


def curves_figure(rows: Sequence[dict[str, float]], title: str = "") -> Any:
    """Loss per epoch (left) and validation accuracy / macro-F1 (right), labelled axes, `title` on top."""
    from matplotlib.ticker import MaxNLocator

    plt = _figure()
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, keys in ((a1, ("train_loss", "val_loss")), (a2, ("val_accuracy", "val_macro_f1"))):
        for key in keys:
            if any(key in r for r in rows):
                ax.plot(epochs, [r.get(key, np.nan) for r in rows], marker="o", markersize=3,
                        label=CURVE_LABELS[key])
        if ax.lines:
            ax.legend()
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    a1.set_ylabel("loss (cross-entropy)")
    a1.set_title("loss")
    a2.set_ylabel("score on the validation split")
    a2.set_ylim(0, 1.02)
    a2.set_title("validation")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(rows: Sequence[dict[str, float]], path: str | os.PathLike[str], title: str = "") -> None:
    """Write `curves_figure(...)` as a PNG."""
    plt = _figure()
    fig = curves_figure(rows, title)
    _save(fig, path)
    plt.close(fig)
