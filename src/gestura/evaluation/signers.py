"""Signer-embedding map: where do a model's windows of each person land? (`gestura signers`)

Uses `model.signer_embed` when the model has one (`sca_stgcn`), else its pooled `embed`, one vector per clip (the
mean over its windows), reduced to 2-D with PCA or t-SNE and coloured by person. Tight per-person clusters in the
pooled embedding mean the classifier still sees who is signing; that is what the adversarial head fights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError

REDUCERS = ("pca", "tsne")


@dataclass
class SignerMap:
    """`points (N, 2)`, `embeddings (N, D)` and per-clip `video_ids`, `subjects`, `labels`; `source` names the
    embedding used (`signer_embed` or `embed`); `silhouette` by subject when at least two people are present."""

    points: np.ndarray
    embeddings: np.ndarray
    video_ids: list[str]
    subjects: list[str]
    labels: list[str]
    source: str
    silhouette: float | None


def reduce_2d(emb: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """`(N, D) -> (N, 2)` with PCA or t-SNE (perplexity adapted to small N)."""
    if method not in REDUCERS:
        raise ConfigError(f"--reduce must be one of {REDUCERS}, got {method!r}")
    if len(emb) < 3:
        raise InputError(f"need at least 3 clips for a 2-D map, got {len(emb)}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(emb)
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, perplexity=float(min(30, max(2, (len(emb) - 1) // 3))), init="pca",
                random_state=seed).fit_transform(emb)


def signer_map(bundle: Any, sequences: list[Any], method: str = "pca", seed: int = 0,
               max_clips: int | None = 2000) -> SignerMap:
    """Embed every clip of `sequences` with an artifact (`ModelBundle`) and reduce to 2-D."""
    import torch

    model = bundle.model
    fn = getattr(model, "signer_embed", None)
    source = "signer_embed" if fn is not None else "embed"
    fn = fn or model.embed
    if max_clips and len(sequences) > max_clips:
        pick = np.random.default_rng(seed).choice(len(sequences), max_clips, replace=False)
        sequences = [sequences[i] for i in sorted(pick)]
    embs, vids, subj, labs = [], [], [], []
    model.eval()
    for seq in sequences:
        X, valid, _ = bundle.pipeline.windows(seq, bundle.window, max(1, bundle.stride))
        if len(X) == 0 or not valid.any():
            continue
        with torch.inference_mode():
            e = fn(torch.from_numpy(X), torch.from_numpy(valid | ~valid.any(1, keepdims=True))).numpy()
        embs.append(e.mean(0))
        vids.append(seq.video_id)
        subj.append(str(seq.subject or "?"))
        labs.append(str(seq.label or ""))
    if not embs:
        raise InputError("no clip gave a window with the landmarks the model needs")
    emb = np.stack(embs).astype(np.float32)
    pts = reduce_2d(emb, method, seed)
    sil = None
    if 2 <= len(set(subj)) < len(subj):
        from sklearn.metrics import silhouette_score

        sil = float(silhouette_score(emb, subj))
    return SignerMap(pts.astype(np.float32), emb, vids, subj, labs, source, sil)


def plot_signer_map(m: SignerMap, path: str | Path, title: str = "") -> Path:
    """Scatter of the 2-D map coloured by person (PNG, written atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gestura.evaluation.explain import _save_fig

    fig, ax = plt.subplots(figsize=(6, 5))
    subj = np.array(m.subjects)
    for s in sorted(set(m.subjects)):
        sel = subj == s
        ax.scatter(m.points[sel, 0], m.points[sel, 1], s=8, alpha=0.7, label=f"{s} ({sel.sum()})")
    sil = "" if m.silhouette is None else f", silhouette by person {m.silhouette:.2f}"
    ax.set_title(title or f"{m.source} map{sil}", fontsize=10)
    ax.legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    _save_fig(fig, Path(path))
    return Path(path)


def write_signer_csv(m: SignerMap, path: str | Path) -> Path:
    """`video_id,subject,label,x,y,e0..eD` per clip, written atomically."""
    import csv
    import io

    from gestura.io import write_text

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["video_id", "subject", "label", "x", "y", *[f"e{i}" for i in range(m.embeddings.shape[1])]])
    for i in range(len(m.points)):
        w.writerow([m.video_ids[i], m.subjects[i], m.labels[i], *(f"{v:.6g}" for v in m.points[i]),
                    *(f"{v:.6g}" for v in m.embeddings[i])])
    write_text(path, buf.getvalue())
    return Path(path)
