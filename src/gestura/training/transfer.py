"""Transfer learning from a saved artifact (`--init-from ARTIFACT`), seed 000's recipe.

1. Re-head: the artifact's architecture is rebuilt for the new label set; every weight is copied except the
   class head, whose rows are copied for labels both sets share (new labels start from the fresh init).
2. Stage A: only the head trains, the backbone frozen, for `transfer.stage_a_epochs`.
3. Stage B: everything trains, the backbone at `optim.lr * transfer.backbone_lr_mult`, with an optional
   L2-SP forgetting penalty `l2sp * sum((w - w0)^2)` towards the pre-trained backbone, and optional replay of up
   to `replay_per_class` sequences per old class from `replay_data` (only its training split when a
   `splits.json` lies beside the artifact, so the old test people stay unseen). With replay, the label set is the
   union of the old and new labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from gestura.errors import InputError, SchemaError
from gestura.training.callbacks import Checkpoint, CSVLogger, EarlyStopping, History


def find_head(model: nn.Module, num_classes: int) -> tuple[str, nn.Linear]:
    """The class head: `model.head` if it is a Linear, else the last Linear with `num_classes` outputs."""
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear) and head.out_features == num_classes:
        return "head", head
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear) and m.out_features == num_classes]
    if not found:
        raise SchemaError(f"{type(model).__name__}: no Linear layer with {num_classes} outputs to re-head")
    return found[-1]


def rehead(old: nn.Module, old_labels: list[str], new: nn.Module, new_labels: list[str]) -> int:
    """Copy `old` weights into `new`, head rows by shared label; returns how many labels were shared."""
    head_name, _ = find_head(new, len(new_labels))
    old_head_name, old_head = find_head(old, len(old_labels))
    if head_name != old_head_name:
        raise SchemaError(f"heads differ between models ({old_head_name!r} vs {head_name!r})")
    old_state = old.state_dict()
    new_state = new.state_dict()
    prefix = head_name + "."
    for k, v in old_state.items():
        if k.startswith(prefix) or k not in new_state:
            continue
        if new_state[k].shape != v.shape:
            raise SchemaError(f"weight {k!r} has shape {tuple(v.shape)} in the artifact, "
                              f"{tuple(new_state[k].shape)} in the new model")
        new_state[k] = v.clone()
    shared = [lb for lb in new_labels if lb in old_labels]
    for p in ("weight", "bias"):
        key = prefix + p
        if key in new_state and key in old_state:
            for lb in shared:
                new_state[key][new_labels.index(lb)] = old_state[key][old_labels.index(lb)]
    new.load_state_dict(new_state)
    return len(shared)


def transfer_fit(prep: Any, cfg: Any, run_dir: Path, trial: Any = None) -> tuple[nn.Module, History, list[str]]:
    """Re-head the artifact for `prep`'s labels and fine-tune in two stages; returns (model, history, labels)."""
    from gestura.artifact import ModelBundle
    from gestura.data.dataset import WindowDataset
    from gestura.models import create_model
    from gestura.training.run import _loader
    from gestura.training.trainer import class_weights_from, fit

    src = ModelBundle.load(cfg.transfer.init_from)
    if src.pipeline.to_dict() != prep.pipeline.to_dict():
        raise SchemaError(f"{cfg.transfer.init_from}: artifact features {src.pipeline.to_dict()} differ from this "
                          f"run's {prep.pipeline.to_dict()}; set --features to the artifact's schema")
    labels = list(prep.labels)
    train_seqs = list(prep.train.sequences)
    if cfg.transfer.replay_data and cfg.transfer.replay_per_class > 0:
        replay = _replay_sequences(cfg, src, np.random.default_rng(cfg.seed))
        labels = sorted(set(labels) | {s.label for s in replay})
        train_seqs += replay
    arch = src.architecture
    model = create_model(arch["name"], **{**arch["params"], "num_classes": len(labels)})
    n_shared = rehead(src.model, src.labels, model, labels)
    common = dict(pipeline=prep.pipeline, labels=labels, window=prep.window, stride=prep.stride,
                  label_rule=cfg.split.label_rule)
    from gestura.training.run import make_augment

    train = WindowDataset(train_seqs, augment=make_augment(cfg), max_per_class=cfg.data.max_per_class,
                          seed=cfg.seed, **common)
    val = WindowDataset(prep.val.sequences, **common) if prep.val is not None else None
    prep.train, prep.val, prep.test = train, val, WindowDataset(prep.test.sequences, **common)
    prep.labels = labels
    tl = _loader(train, cfg.optim.batch_size, True)
    vl = _loader(val, 256, False) if val is not None else None
    weights = class_weights_from(train.targets, len(labels)) if cfg.optim.class_weights else None
    head_name, head = find_head(model, len(labels))
    head_params = {id(p) for p in head.parameters()}
    history = History()
    if cfg.transfer.stage_a_epochs > 0:
        for p in model.parameters():
            p.requires_grad = id(p) in head_params
        sched = cfg.schedule.model_copy(update={"epochs": cfg.transfer.stage_a_epochs})
        history = fit(model, tl, vl, cfg.optim, sched, [CSVLogger(run_dir / "metrics_stage_a.csv")], seed=cfg.seed,
                      class_weights=weights, progress=cfg.progress)
        for p in model.parameters():
            p.requires_grad = True
    backbone = [p for p in model.parameters() if id(p) not in head_params]
    anchors = [p.detach().clone() for p in backbone]
    penalty = None
    if cfg.transfer.l2sp > 0:
        lam = cfg.transfer.l2sp

        def penalty(_: nn.Module) -> torch.Tensor:
            return lam * sum(((p - a) ** 2).sum() for p, a in zip(backbone, anchors))

    groups = [{"params": backbone, "lr": cfg.optim.lr * cfg.transfer.backbone_lr_mult},
              {"params": list(head.parameters()), "lr": cfg.optim.lr}]
    early = EarlyStopping(cfg.schedule.patience)
    cbs: list[Any] = [early, CSVLogger(run_dir / "metrics.csv"), Checkpoint(run_dir / "checkpoints", [early])]
    if trial is not None:
        from gestura.training.tune import PruningCallback

        cbs.append(PruningCallback(trial, cfg.tune.objective))
    hist_b = fit(model, tl, vl, cfg.optim, cfg.schedule, cbs, seed=cfg.seed, class_weights=weights,
                 penalty=penalty, param_groups=groups, progress=cfg.progress, epoch_offset=10_000)
    hist_b.rows = [{**r, "stage": "A"} for r in history.rows] + [{**r, "stage": "B"} for r in hist_b.rows]
    model.transfer_info = {"from": str(cfg.transfer.init_from), "shared_labels": n_shared}  # type: ignore[assignment]
    return model, hist_b, labels


def _replay_sequences(cfg: Any, src: Any, rng: np.random.Generator) -> list[Any]:
    """Up to `replay_per_class` labelled sequences per old class from the replay data (its training split)."""
    from gestura.data.formats import load_dataset
    from gestura.data.splits import Split
    from gestura.evaluation.evaluate import find_splits

    ds = load_dataset(cfg.transfer.replay_data)
    seqs = [s for s in ds.sequences if s.label in set(src.labels)]
    sp_path = find_splits(cfg.transfer.init_from)
    if sp_path is not None:
        train_ids = set(Split.load(sp_path).train)
        kept = [s for s in seqs if s.video_id in train_ids]
        seqs = kept or seqs
    if not seqs:
        raise InputError(f"{cfg.transfer.replay_data}: no clip-labelled sequences of the artifact's classes to replay")
    out = []
    for lb in sorted({s.label for s in seqs}):
        pool = [s for s in seqs if s.label == lb]
        take = rng.choice(len(pool), min(len(pool), cfg.transfer.replay_per_class), replace=False)
        out += [pool[i] for i in sorted(take)]
    return out
