"""Why did the model say that? Integrated gradients as a frames x joints heatmap, and the top frames drawn.

Integrated gradients (Sundararajan et al., 2017) needs only `forward` and autograd, so it works for every registered
model (recurrent, attention, graph) with no per-architecture hooks. Attributions `(T, F)` are summed in absolute
value per joint when the feature schema is joint-major (`joints-*` schemas, F = J x C) and otherwise per named
feature block of the schema (e.g. `position`, `velocity`), so the heatmap rows always mean something.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError


@dataclass
class Explanation:
    """`attribution (T, F)` raw IG; `heatmap (T, R)` per row unit (`row_names`); `frame_importance (T,)`."""

    target: int
    target_label: str
    score: float
    attribution: np.ndarray
    heatmap: np.ndarray
    row_names: list[str]
    frame_importance: np.ndarray
    files: list[Path] = field(default_factory=list)


def integrated_gradients(model: Any, x: np.ndarray, mask: np.ndarray | None = None, target: int | None = None,
                         steps: int = 32, baseline: np.ndarray | None = None) -> tuple[np.ndarray, int, np.ndarray]:
    """IG of the target logit w.r.t. one window: `(T, F) -> (attr (T, F), target, probabilities (K,))`.

    The baseline is all zeros (the "no landmarks" input of every schema); the model is evaluated in eval mode.
    """
    import torch

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise InputError(f"explain: the window must be a finite (T, F) array, got shape {x.shape}")
    was_training = model.training
    model.eval()
    try:
        xt = torch.from_numpy(x).unsqueeze(0)
        mt = None if mask is None else torch.from_numpy(np.asarray(mask, bool)).unsqueeze(0)
        with torch.no_grad():
            proba = torch.softmax(model(xt, mt), dim=-1)[0].numpy()
        tgt = int(proba.argmax()) if target is None else int(target)
        base = torch.zeros_like(xt) if baseline is None else torch.from_numpy(np.asarray(baseline, np.float32))[None]
        alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
        path = base + alphas[:, None, None] * (xt - base)
        path.requires_grad_(True)
        logits = model(path, None if mt is None else mt.expand(steps, -1))
        (grad,) = torch.autograd.grad(logits[:, tgt].sum(), path)
        attr = ((xt - base)[0] * grad.mean(dim=0)).detach().numpy()
    finally:
        model.train(was_training)
    return attr, tgt, proba


def attribution_rows(attr: np.ndarray, *, n_joints: int | None = None,
                     blocks: Mapping[str, slice] | None = None) -> tuple[np.ndarray, list[str]]:
    """Sum |attribution| per joint (joint-major F = J x C) or per feature block: `(T, F) -> (T, R), names`."""
    a = np.abs(attr)
    t, f = a.shape
    if n_joints and f % n_joints == 0:
        return a.reshape(t, n_joints, f // n_joints).sum(-1), [f"j{j}" for j in range(n_joints)]
    if blocks:
        names = list(blocks)
        return np.stack([a[:, blocks[n]].sum(-1) for n in names], axis=1), names
    return a, [f"f{i}" for i in range(f)]


def explain_window(model: Any, x: np.ndarray, mask: np.ndarray | None = None, *, labels: Sequence[str],
                   n_joints: int | None = None, blocks: Mapping[str, slice] | None = None,
                   target: int | None = None, steps: int = 32) -> Explanation:
    """Integrated gradients for one window, aggregated into a heatmap (see `attribution_rows`)."""
    from gestura.limits import MAX_IG_STEPS, check_number

    check_number(steps, "--steps", low=2, high=MAX_IG_STEPS, integer=True)
    attr, tgt, proba = integrated_gradients(model, x, mask, target, steps)
    heat, names = attribution_rows(attr, n_joints=n_joints, blocks=blocks)
    total = heat.sum()
    heat = heat / total if total > 0 else heat
    label = labels[tgt] if tgt < len(labels) else str(tgt)
    return Explanation(tgt, label, float(proba[tgt]), attr, heat.astype(np.float32), names,
                       heat.sum(axis=1).astype(np.float32))


def plot_heatmap(exp: Explanation, path: Path, row_labels: Sequence[str] | None = None) -> Path:
    """Frames x rows heatmap PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(row_labels) if row_labels is not None else exp.row_names
    fig, ax = plt.subplots(figsize=(max(6, 0.25 * len(names) + 2), 4 + 0.05 * exp.heatmap.shape[0]))
    im = ax.imshow(exp.heatmap, aspect="auto", cmap="magma", interpolation="nearest")
    ax.set_xlabel("joint" if names and names[0].startswith(("j", "pose_", "left_", "right_", "wrist")) else "feature")
    ax.set_ylabel("frame")
    if len(names) <= 70:
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=90, fontsize=6)
    ax.set_title(f"integrated gradients for '{exp.target_label}' (p={exp.score:.2f})")
    fig.colorbar(im, ax=ax, label="share of |attribution|")
    fig.tight_layout()
    _save_fig(fig, path)
    return path


def plot_top_frames(exp: Explanation, xy: np.ndarray, edges: Sequence[tuple[int, int]], path: Path,
                    k: int = 4, joint_importance: bool = True) -> Path:
    """The `k` most important frames drawn as skeletons, joints coloured by importance: `xy (T, J, 2)`.

    With `joint_importance` False (non-joint schemas) every joint of a frame gets the frame's importance.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(-exp.frame_importance)[: min(k, len(exp.frame_importance))]
    fig, axes = plt.subplots(1, len(order), figsize=(3 * len(order), 3.2), squeeze=False)
    vmax = float(exp.heatmap.max()) if joint_importance else float(exp.frame_importance.max())
    for ax, t in zip(axes[0], sorted(order)):
        pts = xy[t]
        for c, p in edges:
            ax.plot(pts[[c, p], 0], pts[[c, p], 1], color="0.7", lw=1)
        col = exp.heatmap[t] if joint_importance else np.full(len(pts), exp.frame_importance[t])
        ax.scatter(pts[:, 0], pts[:, 1], c=col, cmap="magma", vmin=0, vmax=max(vmax, 1e-12), s=18, zorder=3)
        ax.set_title(f"frame {t} ({exp.frame_importance[t]:.0%})", fontsize=9)
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    _save_fig(fig, path)
    return path


def _save_fig(fig: Any, path: Path) -> None:
    import io

    import matplotlib.pyplot as plt

    from gestura.io import atomic_write

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())


def explain_sequence(model: Any, pipeline: Any, seq: Any, labels: Sequence[str], out_dir: str | Path,
                     *, window: int | None = None, steps: int = 32, k: int = 4) -> Explanation:
    """Explain a model on a landmark sequence and write `heatmap.png`, `top_frames.png`, `explanation.json`.

    `pipeline` is a `FeaturePipeline`; a joint-layout schema (`joints-*`) gives a frames x joints heatmap with
    per-joint colours, any other schema a frames x feature-block heatmap with the raw hand drawn per frame.
    """
    from gestura.io import write_json
    from gestura.landmarks.skeleton import HAND_21, SKELETONS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    feats, valid = pipeline.transform(seq)
    if window is not None and len(feats) > window:
        feats, valid = pipeline.window_features(feats[-window:], valid[-window:]), valid[-window:]
    if not valid.any():
        raise InputError(f"{seq.source or seq.video_id}: no frame has the landmarks the model needs")
    schema = pipeline.spec
    skel = None
    if schema.id.startswith("joints-"):
        from gestura.features.joints import JOINT_SCHEMAS

        skel = SKELETONS[JOINT_SCHEMAS[schema.id].skeleton]
    exp = explain_window(model, feats, valid, labels=labels, n_joints=skel.n_joints if skel else None,
                         blocks=None if skel else schema.blocks, steps=steps)
    if skel is not None:
        exp.row_names = list(skel.joints)
        xy = feats.reshape(len(feats), skel.n_joints, -1)[..., :2]
        exp.files.append(plot_heatmap(exp, out / "heatmap.png"))
        exp.files.append(plot_top_frames(exp, xy, skel.edges, out / "top_frames.png", k=k))
    else:
        exp.files.append(plot_heatmap(exp, out / "heatmap.png"))
        hands = [n for n in ("right_hand", "left_hand") if n in seq.streams]
        if hands:
            name = max(hands, key=lambda n: seq.present[n].sum())
            xy = seq.streams[name][-len(feats):, :, :2]
            exp.files.append(plot_top_frames(exp, xy, HAND_21.edges, out / "top_frames.png", k=k,
                                             joint_importance=False))
    write_json(out / "explanation.json", {
        "target": exp.target_label, "score": exp.score, "rows": exp.row_names,
        "frame_importance": exp.frame_importance.tolist(), "heatmap": exp.heatmap.tolist(),
    })
    exp.files.append(out / "explanation.json")
    return exp
