"""Few-shot enrolment in the model's own embedding: a new head from a person's K takes, in about a second.

A trained model maps a window to an embedding (`model.embed`) and a linear head maps that to class scores. A new
presenter's gestures land somewhere else in that embedding than the training people's did, but they still cluster
by gesture; so enrolment keeps the backbone and refits only the head, on the embeddings of the person's takes
(computed once), the rest between their takes as `unknown`, and a replay of the training windows for classes the
person did not show:

- `prototype`: nearest class mean with a shared isotropic variance. The decision `argmin |e - mu_c|^2` is linear
  in `e`, so it is written into the ordinary head (`W_c = mu_c / s2`, `b_c = -|mu_c|^2 / 2 s2`): the personal
  model is an ordinary model file, and the runtime needs nothing new. This is the "template" idea of few-shot
  gesture recognition (uWave's one template per gesture) in a learned embedding instead of raw accelerations.
- `probe`: multinomial logistic regression on the frozen embeddings (L-BFGS, class-balanced, pulled towards the
  old head), the usual linear probe.

Both take about a second on a CPU, against 12-49 s for fine-tuning the whole network (`enroll.adapt`); which one
the `enroll` command uses is decided by `scripts/enrol_experiments.py` (docs/results.md).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from gestura.data.dataset import WindowDataset
from gestura.errors import InputError
from gestura.training.finetune import classifier, rehead

METHODS = ("prototype", "probe")


def _linear_head(model: Any, num_classes: int | None = None) -> Any:
    """The model's classifier (`training.finetune.classifier`), which must be one Linear layer here."""
    _, head = classifier(model, num_classes)
    if not isinstance(head, torch.nn.Linear):
        raise InputError(f"{type(model).__name__}: few-shot enrolment needs a model with an embedding and a "
                         "linear head")
    return head


def embed_windows(bundle: Any, clips: Sequence[Any], labels: Sequence[str], batch: int = 256,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings `(N, D)` and label indices `(N,)` (into `labels`) of every window of `clips`, cut and mirrored
    to the canonical hand exactly as training cuts them."""
    ds = WindowDataset(clips, bundle.pipeline, labels, int(bundle.window), stride=max(1, int(bundle.window)))
    x, m, y = ds.arrays()
    if len(y) == 0:
        return np.zeros((0, int(_linear_head(bundle.model).in_features)), np.float32), y
    model = bundle.model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out.append(model.embed(torch.from_numpy(x[i:i + batch]), torch.from_numpy(m[i:i + batch])).numpy())
    return np.concatenate(out).astype(np.float64), y


def prototype_head(e: np.ndarray, y: np.ndarray, n_classes: int, fallback: tuple[np.ndarray, np.ndarray],
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Linear head `(W (K, D), b (K,))` of the nearest-class-mean rule with the pooled within-class variance.

    Classes with no embedding keep their rows of `fallback` (the old head's `(W, b)`)."""
    w, b = fallback[0].copy(), fallback[1].copy()
    present = [c for c in range(n_classes) if (y == c).any()]
    if not present:
        return w, b
    mus = {c: e[y == c].mean(axis=0) for c in present}
    resid = np.concatenate([e[y == c] - mus[c] for c in present])
    s2 = float(np.mean(resid ** 2)) if len(resid) > len(present) else 1.0
    s2 = max(s2, 1e-6)
    for c in present:
        w[c] = mus[c] / s2
        b[c] = -float(mus[c] @ mus[c]) / (2 * s2)
    return w, b


def probe_head(e: np.ndarray, y: np.ndarray, n_classes: int, init: tuple[np.ndarray, np.ndarray],
               l2: float = 1e-2, steps: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Linear head fitted by class-balanced logistic regression on `e`, pulled towards `init` with weight `l2`."""
    w0, b0 = (torch.tensor(a, dtype=torch.float64) for a in init)
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    et, yt = torch.tensor(e, dtype=torch.float64), torch.tensor(y, dtype=torch.long)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    cw = torch.tensor(np.where(counts > 0, len(y) / np.maximum(counts, 1) / max((counts > 0).sum(), 1), 0.0))
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe")
    scale = float(et.pow(2).mean().clamp(min=1e-6))

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(et @ w.T + b, yt, weight=cw)
        loss = loss + l2 * scale * ((w - w0) ** 2).sum() + l2 * ((b - b0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def fewshot_adapt(bundle: Any, takes: Sequence[Any], *, replay: Sequence[Any] = (), method: str = "prototype",
                  ) -> Any:
    """A copy of `bundle` whose head is refitted on the embeddings of `takes` (+ `replay` for the classes the
    takes lack); returns `(bundle, seconds)`. Labels the bundle does not know are added as new classes (a
    person's own gesture)."""
    if method not in METHODS:
        raise InputError(f"few-shot method must be one of {'|'.join(METHODS)}, got {method!r}")
    t0 = time.perf_counter()
    labels = list(bundle.labels)
    labels += sorted({str(c.label) for c in takes} - set(labels))
    out = copy.deepcopy(bundle)
    old = _linear_head(out.model)
    w_old = old.weight.detach().double().numpy()
    b_old = old.bias.detach().double().numpy() if old.bias is not None else np.zeros(len(w_old))
    if len(labels) > len(w_old):  # a new gesture: a fresh head row (filled from its takes below)
        w_old = np.concatenate([w_old, np.zeros((len(labels) - len(w_old), w_old.shape[1]))])
        b_old = np.concatenate([b_old, np.full(len(labels) - len(b_old), b_old.min() - 10.0)])
    e_t, y_t = embed_windows(out, takes, labels)
    if len(y_t) == 0:
        raise InputError("no enrolment window has a known label")
    e_r, y_r = embed_windows(out, replay, labels) if len(replay) else (np.zeros((0, e_t.shape[1])), y_t[:0])
    shown = set(y_t.tolist())
    keep = np.array([c not in shown for c in y_r], bool) if len(y_r) else np.zeros(0, bool)
    e, y = np.concatenate([e_t, e_r[keep]]), np.concatenate([y_t, y_r[keep]])
    if method == "prototype":
        w, b = prototype_head(e, y, len(labels), (w_old, b_old))
    else:
        w, b = probe_head(e, y, len(labels), (w_old, b_old))
    if len(labels) > len(bundle.labels):  # a gesture of the person's own: one more classifier row
        out.model, _ = rehead(out.model, list(bundle.labels), labels)
    head = _linear_head(out.model, len(labels))
    with torch.no_grad():
        head.weight.copy_(torch.tensor(w, dtype=torch.float32))
        head.bias.copy_(torch.tensor(b, dtype=torch.float32))
    out.labels = labels
    out.thresholds = {lb: (bundle.thresholds or {}).get(lb, 0.5) for lb in labels}
    out.meta = {**bundle.meta, "enrolled": {"method": method, "take_windows": int(len(y_t)),
                                            "replay_windows": int(keep.sum()), "classes": sorted(
                                                {labels[c] for c in shown})}}
    return out, time.perf_counter() - t0


__all__ = ["METHODS", "embed_windows", "fewshot_adapt", "probe_head", "prototype_head"]
