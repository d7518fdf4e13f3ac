"""The timeline picture of one stream: prompts, class probabilities, fired commands and returns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gestura.data.prompts import Prompt
from gestura.evaluation.events import Command


def plot_timeline(
    path: str | Path,
    prompts: Sequence[Prompt],
    t: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[str],
    events: Sequence[Command],
    title: str = "",
    grace: float = 1.0,
    row_s: float = 60.0,
    returns: Sequence[Command] = (),
) -> Path:
    """Timeline PNG of one stream, `row_s` seconds per row: prompt bands (+ grace), class probabilities `(T, K)`
    over `t`, fired events, and the returns among them (a red cross)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    labels = list(labels)
    cmap = plt.get_cmap("tab20" if len(labels) > 10 else "tab10")
    colour = {lb: cmap(i % cmap.N) for i, lb in enumerate(labels)}
    t0 = float(t[0]) if len(t) else 0.0
    t1 = float(t[-1]) if len(t) else 1.0
    n_rows = max(1, int(np.ceil((t1 - t0) / row_s)))
    fig, axes = plt.subplots(n_rows, 1, figsize=(16.0, 1.9 * n_rows + 0.6), squeeze=False)
    for r, ax in enumerate(axes[:, 0]):
        lo, hi = t0 + r * row_s, t0 + (r + 1) * row_s
        for start, end, lbl in prompts:
            if end + grace < lo or start > hi:
                continue
            ax.axvspan(start, end, color=colour.get(lbl, "grey"), alpha=0.18, lw=0)
            ax.axvspan(end, end + grace, color=colour.get(lbl, "grey"), alpha=0.06, lw=0)
            ax.text(start, 1.05, lbl.replace("swiping_", "sw_"), fontsize=6, va="bottom", clip_on=True)
        sel = (t >= lo - 1) & (t <= hi + 1)
        for k, lb in enumerate(labels):
            style = {"color": "0.6", "lw": 0.6, "ls": ":"} if lb == "unknown" else {"color": colour[lb], "lw": 0.8}
            ax.plot(t[sel], probs[sel, k], label=lb if r == 0 else None, **style)
        for te, name in events:
            if lo <= te <= hi:
                ax.axvline(te, color=colour.get(name, "k"), lw=1.0)
                ax.plot([te], [1.0], marker="v", color=colour.get(name, "k"), ms=6)
        for te, name in returns:
            if lo <= te <= hi:
                ax.plot([te], [1.12], marker="X", color="red", ms=8)
                ax.text(te, 1.16, "return", fontsize=6, color="red", ha="center", va="bottom", clip_on=True)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.25)
        ax.set_ylabel("p")
    axes[0, 0].set_title(title, fontsize=9)
    axes[0, 0].legend(loc="upper center", bbox_to_anchor=(0.5, 1.55), fontsize=7, ncol=len(labels), frameon=False)
    axes[-1, 0].set_xlabel("time (s): shaded = prompt (+ lighter grace), lines = class probabilities, "
                           "triangles = fired commands (colour = class), red crosses = returns")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)
    return path


__all__ = ["plot_timeline"]
