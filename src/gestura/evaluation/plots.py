"""Confusion-matrix and training-curve PNGs (matplotlib, Agg backend, written atomically)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import numpy as np

from gestura.io import atomic_write


def _figure():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike[str]) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())


def plot_confusion(confusion: Sequence[Sequence[int]], labels: Sequence[str], path: str | os.PathLike[str],
                   title: str = "") -> None:
    """Row-normalised confusion matrix (true rows, predicted columns) with counts in the cells when small."""
    plt = _figure()
    cm = np.asarray(confusion, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    k = len(labels)
    size = max(4.0, 0.35 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels, rotation=90, fontsize=7 if k > 15 else 9)
    ax.set_yticks(range(k), labels, fontsize=7 if k > 15 else 9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(title)
    _save(fig, path)
    plt.close(fig)


def plot_curves(rows: Sequence[dict[str, float]], path: str | os.PathLike[str], title: str = "") -> None:
    """Loss (left) and validation accuracy / macro-F1 (right) per epoch."""
    plt = _figure()
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key in ("train_loss", "val_loss"):
        if any(key in r for r in rows):
            a1.plot(epochs, [r.get(key, np.nan) for r in rows], label=key)
    for key in ("val_accuracy", "val_macro_f1"):
        if any(key in r for r in rows):
            a2.plot(epochs, [r.get(key, np.nan) for r in rows], label=key)
    for a in (a1, a2):
        a.set_xlabel("epoch")
        a.legend()
    fig.suptitle(title)
    _save(fig, path)
    plt.close(fig)
