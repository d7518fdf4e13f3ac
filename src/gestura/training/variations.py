"""Train-all-variations: the SCA-STGCN family (and sequence baselines) on one split, tabulated.

Trained by `gestura.training.trainer.fit` (AdamW, one-cycle schedule, label smoothing, light joint-space
augmentation, signer ids fed to `model.aux_loss`, best-epoch selection by accuracy, loss, F1 or PR-AUC on a
validation split). Used by `gestura train-variations`.

Variations (`VARIATIONS`): `basic` (sca_stgcn, no signer conditioning), `bias_attention` (the signer-biased
attention alone, no extra loss), `binary` (signing vs not signing),
`pseudo_signer` (adversarial head on K-means pseudo signers), `adversarial` (on real `recorded_by` ids), `supcon`,
`film`, `mi`, `combined` (bias attention + adversarial on pseudo signers + SupCon + MI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gestura.errors import ConfigError, InputError
from gestura.evaluation.detection import SELECTION_METRICS
from gestura.models import create_model
from gestura.training.signer_losses import total_loss
from gestura.training.trainer import FitConfig, FitData, fit

NEGATIVE_LABEL = "-"

VARIATIONS: dict[str, dict[str, Any]] = {
    "basic": {"model": "sca_stgcn", "params": {"conditioning": "none"}},
    "bias_attention": {"model": "sca_stgcn", "params": {"conditioning": "bias"}},
    "binary": {"model": "sca_stgcn", "params": {"conditioning": "none"}, "binary": True},
    "pseudo_signer": {"model": "sca_stgcn", "params": {"adversarial": True}, "signers": "pseudo"},
    "adversarial": {"model": "sca_stgcn", "params": {"adversarial": True}, "signers": "real"},
    "supcon": {"model": "sca_stgcn", "params": {"supcon_weight": 0.2}},
    "film": {"model": "sca_stgcn", "params": {"conditioning": "film"}},
    "mi": {"model": "sca_stgcn", "params": {"mi_weight": 0.1}},
    "combined": {"model": "sca_stgcn", "params": {"adversarial": True, "supcon_weight": 0.2, "mi_weight": 0.1},
                 "signers": "pseudo"},
}


@dataclass(frozen=True)
class RunSettings:
    """Training settings of one run (kept small: the CPU is shared)."""

    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    seed: int = 0
    select_by: str = "accuracy"
    augment: bool = True
    threads: int = 1
    pseudo_k: int = 4


@dataclass
class SignArrays:
    """Fixed-length clips as arrays: `X (N, T, F)`, `M (N, T)`, `y (N,)` into `labels`, and group ids."""

    X: np.ndarray
    M: np.ndarray
    y: np.ndarray
    labels: list[str]
    subjects: np.ndarray
    sessions: np.ndarray
    schema: str

    def subset(self, idx: np.ndarray) -> SignArrays:
        return SignArrays(self.X[idx], self.M[idx], self.y[idx], self.labels, self.subjects[idx],
                          self.sessions[idx], self.schema)


@dataclass
class TrainedModel:
    model: Any
    history: list[dict[str, float]]
    best_epoch: int
    seconds: float
    labels: list[str] = field(default_factory=list)


def load_arrays(data: str | Path, schema: str = "joints-two-hands-body-v1", length: int | None = None,
                drop_hands: bool = False) -> SignArrays:
    """Read a clip-labelled dataset and compute a joint-layout schema per clip: `-> SignArrays`.

    Clips are cut or right-padded (mask False) to `length` frames (default: the longest clip). `drop_hands`
    removes both hands from every clip first (the "no hands visible" probe of signing detection).
    """
    from dataclasses import replace

    from gestura.data.formats import load_dataset
    from gestura.features.joints import joint_features

    ds = load_dataset(data)
    seqs = [s for s in ds if s.label is not None]
    if drop_hands:
        hands = ("left_hand", "right_hand")
        seqs = [replace(s, streams={k: (v * 0 if k in hands else v) for k, v in s.streams.items()},
                        present={k: (v & False if k in hands else v) for k, v in s.present.items()}) for s in seqs]
    if not seqs:
        raise InputError(f"{data}: no clip-labelled sequences")
    feats = [joint_features(s, schema) for s in seqs]
    t = length or max(len(f) for f, _ in feats)
    n, d = len(seqs), feats[0][0].shape[1]
    X, M = np.zeros((n, t, d), np.float32), np.zeros((n, t), bool)
    for i, (f, v) in enumerate(feats):
        k = min(t, len(f))
        X[i, :k], M[i, :k] = f[:k], v[:k]
    M[~M.any(1), 0] = True
    seq_labels = [s.label for s in seqs if s.label is not None]  # every one: seqs are the clip-labelled ones
    labels = sorted(set(seq_labels))
    y = np.array([labels.index(lb) for lb in seq_labels], np.int64)
    subj = np.array([s.subject or "?" for s in seqs])
    sess = np.array([f"{s.subject}/{s.session}" for s in seqs])
    return SignArrays(X, M, y, labels, subj, sess, schema)


def split_indices(arr: SignArrays, rule: str, *, test_subject: str | None = None, test_fraction: float = 0.2,
                  val_fraction: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train/val/test indices holding out whole sessions (`rule="session"`) or one person (`"person"`).

    Validation always holds out whole sessions of the training people.
    """
    from sklearn.model_selection import GroupShuffleSplit

    idx = np.arange(len(arr.y))
    if rule == "session":
        gss = GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed)
        rest, te = next(gss.split(idx, arr.y, arr.sessions))
    elif rule == "person":
        if test_subject is None or test_subject not in set(arr.subjects):
            raise ConfigError(f"split 'person' needs test_subject in {sorted(set(arr.subjects))}, got {test_subject!r}")
        te, rest = idx[arr.subjects == test_subject], idx[arr.subjects != test_subject]
    else:
        raise ConfigError(f"split rule {rule!r} unknown; choose 'session' or 'person'")
    gss = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed + 1)
    tr, va = next(gss.split(rest, arr.y[rest], arr.sessions[rest]))
    return rest[tr], rest[va], te


def cap_per_class(y: np.ndarray, idx: np.ndarray, max_per_class: int, seed: int = 0) -> np.ndarray:
    """At most `max_per_class` of `idx` per class (random, seeded), in sorted order."""
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(idx[y[idx] == c])[:max_per_class] for c in np.unique(y[idx])]
    return np.sort(np.concatenate(keep))


def augment_joints(x: Any, mask: Any, gen: Any, channels: int = 3) -> Any:
    """Random in-plane rotation (±10°), scale (±10%) and jitter (σ 0.01) of joint-major `(B, T, J*C)` input."""
    import torch

    b, t, f = x.shape
    if f % channels:
        return x
    xj = x.reshape(b, t, f // channels, channels)
    ang = (torch.rand(b, generator=gen) * 2 - 1) * (np.pi / 18)
    sc = 1 + (torch.rand(b, generator=gen) * 2 - 1) * 0.1
    cos, sin = torch.cos(ang) * sc, torch.sin(ang) * sc
    xy = xj[..., :2]
    rx = cos[:, None, None] * xy[..., 0] - sin[:, None, None] * xy[..., 1]
    ry = sin[:, None, None] * xy[..., 0] + cos[:, None, None] * xy[..., 1]
    out = torch.cat([rx.unsqueeze(-1), ry.unsqueeze(-1), xj[..., 2:]], dim=-1)
    out = out + 0.01 * torch.randn(out.shape, generator=gen)
    return out.reshape(b, t, f) * mask.unsqueeze(-1).to(out.dtype)


def predict_proba(model: Any, X: np.ndarray, M: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Softmax probabilities `(N, K)` in eval mode."""
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            out.append(torch.softmax(model(torch.from_numpy(X[i:i + batch_size]),
                                           torch.from_numpy(M[i:i + batch_size])), -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def score(y: np.ndarray, proba: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and log-loss; plus signing-detection PR-AUC/F1 when `-` is a label."""
    from sklearn.metrics import accuracy_score, f1_score, log_loss

    from gestura.evaluation.detection import detection_report, signing_scores

    pred = proba.argmax(1)
    out = {"accuracy": float(accuracy_score(y, pred)),
           "f1": float(f1_score(y, pred, average="macro", labels=np.unique(y), zero_division=0)),
           "loss": float(log_loss(y, np.clip(proba, 1e-7, 1), labels=np.arange(proba.shape[1])))}
    if NEGATIVE_LABEL in labels:
        neg = list(labels).index(NEGATIVE_LABEL)
        truth = y != neg
        if truth.any() and not truth.all():
            rep = detection_report(truth, signing_scores(proba, labels, NEGATIVE_LABEL))
            out["pr_auc"], out["det_f1"], out["det_best_f1"] = rep["pr_auc"], rep["f1"], rep["best_f1"]
    return out


def train_model(name: str, params: dict[str, Any], arr: SignArrays, tr: np.ndarray, va: np.ndarray,
                settings: RunSettings, signers: np.ndarray | None = None) -> TrainedModel:
    """Train a registered model on `arr[tr]` through `fit` (one-cycle schedule, joint-space augmentation, signer
    ids to the model's auxiliary loss); keep the best epoch on `arr[va]` by `settings.select_by`."""
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    model = create_model(name, input_dim=arr.X.shape[2], num_classes=len(arr.labels), **params)
    S = torch.zeros(len(arr.y), dtype=torch.int64) if signers is None else torch.from_numpy(
        np.asarray(signers, np.int64))
    items = TensorDataset(*(t[torch.from_numpy(tr)] for t in (torch.from_numpy(arr.X), torch.from_numpy(arr.M),
                                                              torch.from_numpy(arr.y), S)))
    train = DataLoader(items, batch_size=settings.batch_size, shuffle=True, generator=gen)
    augment = settings.augment and arr.schema.startswith("joints-")

    def criterion(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, y, label_smoothing=settings.label_smoothing)

    def loss(net: Any, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]] | None:
        x, m, y, s = batch
        if len(y) < 2:
            return None
        if augment:
            x = augment_joints(x, m, gen)
        return total_loss(model, net(x, m), y, criterion, None if signers is None else s), {}

    select = _selection(settings.select_by, arr, va)
    validate = (lambda net: score(arr.y[va], predict_proba(net, arr.X[va], arr.M[va]), arr.labels)) if len(va) \
        else None
    config = FitConfig(epochs=settings.epochs, lr=settings.lr, batch_size=settings.batch_size,
                       weight_decay=settings.weight_decay, label_smoothing=settings.label_smoothing, grad_clip=1.0,
                       schedule="onecycle", warmup=0.15, monitor=select or "train_loss",
                       restore_best=select is not None, seed=settings.seed)
    res = fit(model, FitData(train, labels=list(arr.labels), loss=loss, validate=validate), config)
    model.eval()
    best = res.history.best_epoch - 1 if select is not None else len(res.history.rows) - 1
    return TrainedModel(model, res.history.rows, best, res.seconds, list(arr.labels))


def _selection(select_by: str, arr: SignArrays, va: np.ndarray) -> str | None:
    """The validation metric that picks the best epoch, or None (keep the last epoch) when `va` cannot give it."""
    if select_by not in SELECTION_METRICS:
        raise ConfigError(f"selection metric {select_by!r} unknown; choose from {sorted(SELECTION_METRICS)}")
    if not len(va):
        return None
    if select_by == "pr_auc":
        if NEGATIVE_LABEL not in arr.labels:
            return None
        signing = arr.y[va] != arr.labels.index(NEGATIVE_LABEL)
        if signing.all() or not signing.any():
            return None
    return select_by


def binarize(arr: SignArrays, negative: str = NEGATIVE_LABEL) -> SignArrays:
    """Signing vs not signing: labels `["not_signing", "signing"]`."""
    if negative not in arr.labels:
        raise InputError(f"binary detection needs the not-signing label {negative!r} in the data")
    y = (arr.y != arr.labels.index(negative)).astype(np.int64)
    return SignArrays(arr.X, arr.M, y, ["not_signing", "signing"], arr.subjects, arr.sessions, arr.schema)


def pseudo_signer_ids(arr: SignArrays, idx: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """K-means pseudo signers over the pose statistics of `arr[idx]` -> ids for every row (0 outside idx)."""
    from gestura.data.pseudo_signers import assign_pseudo_signers, pose_statistics

    out = np.zeros(len(arr.y), np.int64)
    out[idx] = assign_pseudo_signers(pose_statistics(list(arr.X[idx]), list(arr.M[idx])), k, seed=seed)
    return out


def run_variation(name: str, arr: SignArrays, tr: np.ndarray, va: np.ndarray, te: np.ndarray,
                  settings: RunSettings, base_params: dict[str, Any] | None = None,
                  spec: dict[str, Any] | None = None) -> tuple[dict[str, Any], TrainedModel]:
    """Train one variation (a `VARIATIONS` entry or `spec`) and score it on `te`: `-> (row, trained)`."""
    spec = spec or VARIATIONS.get(name)
    if spec is None:
        raise ConfigError(f"unknown variation {name!r}; choose from {sorted(VARIATIONS)}")
    params = {**(base_params or {}), **spec.get("params", {})}
    a = binarize(arr) if spec.get("binary") else arr
    signers = None
    mode = spec.get("signers")
    if mode == "real":
        people = sorted(set(arr.subjects[tr]))
        signers = np.array([people.index(s) if s in people else 0 for s in arr.subjects], np.int64)
        params["n_signers"] = len(people)
    elif mode == "pseudo":
        signers = pseudo_signer_ids(arr, tr, settings.pseudo_k, settings.seed)
        params["n_signers"] = settings.pseudo_k
    if params.get("adversarial") and params.get("n_signers", 0) < 2:
        raise ConfigError(f"variation {name!r}: the adversarial head needs at least 2 signers in training")
    trained = train_model(spec["model"], params, a, tr, va, settings, signers)
    proba = predict_proba(trained.model, a.X[te], a.M[te])
    row: dict[str, Any] = {"variation": name, "model": spec["model"], **score(a.y[te], proba, a.labels)}
    if spec.get("binary"):
        from gestura.evaluation.detection import detection_report

        rep = detection_report(a.y[te] == 1, proba[:, 1])
        row["pr_auc"], row["det_f1"], row["det_best_f1"] = rep["pr_auc"], rep["f1"], rep["best_f1"]
    row.update({"best_epoch": trained.best_epoch + 1, "seconds": round(trained.seconds, 1),
                "n_train": int(len(tr)), "n_test": int(len(te))})
    return row, trained


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table of variation rows."""
    cols = ["variation", "model", "accuracy", "f1", "pr_auc", "det_f1", "best_epoch", "seconds", "n_train", "n_test"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.3f}" if isinstance(r.get(c), float) and c != "seconds" else str(r.get(c, "")) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_variations(data: str | Path, out_dir: str | Path, *, names: Sequence[str] | None = None,
                   split: str = "session", test_subject: str | None = None, max_per_class: int | None = 30,
                   schema: str = "joints-two-hands-body-v1", base_params: dict[str, Any] | None = None,
                   settings: RunSettings = RunSettings(), log: Any = print) -> list[dict[str, Any]]:
    """Train every named variation on one split of a small subset; write `variations.md` and `.json` in `out_dir`."""
    from gestura.io import write_json, write_text
    from gestura.landmarks.skeleton import TWO_HANDS_42, UPPER_BODY_HANDS_67, HAND_21

    names = list(names or VARIATIONS)
    if unknown := sorted(set(names) - set(VARIATIONS)):
        raise ConfigError(f"unknown variation(s) {unknown}; choose from {sorted(VARIATIONS)}")
    arr = load_arrays(data, schema)
    tr, va, te = split_indices(arr, split, test_subject=test_subject, seed=settings.seed)
    if max_per_class:
        tr = cap_per_class(arr.y, tr, max_per_class, settings.seed)
    from gestura.features.joints import JOINT_SCHEMAS

    skel = JOINT_SCHEMAS[schema].skeleton
    assert skel in {HAND_21.id, TWO_HANDS_42.id, UPPER_BODY_HANDS_67.id}
    base = {"skeleton": skel, **(base_params or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        row, _ = run_variation(name, arr, tr, va, te, settings, base)
        rows.append(row)
        log(f"{name}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        write_json(out / "variations.json", {"data": str(data), "split": split, "schema": schema,
                                             "settings": settings.__dict__, "base_params": base, "rows": rows})
        write_text(out / "variations.md", format_table(rows))
    return rows
