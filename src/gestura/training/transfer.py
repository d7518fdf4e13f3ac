"""Transfer learning from a saved artifact (`gestura train --init-from ARTIFACT`) through `finetune`.

The artifact is re-headed for this run's labels and fine-tuned in two stages (`gestura.training.finetune`):
stage A the classifier alone for `transfer.stage_a_epochs`, stage B everything with the backbone at
`optim.lr * transfer.backbone_lr_mult` and an optional L2-SP penalty `transfer.l2sp`. Optional replay of up to
`replay_per_class` sequences per old class from `replay_data` (only its training split when a `splits.json` lies
beside the artifact, so the old test people stay unseen); with replay, the label set is the union of the old and
new labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch.nn as nn

from gestura.artifact import ModelBundle
from gestura.data.dataset import WindowDataset
from gestura.errors import InputError, SchemaError
from gestura.training.callbacks import Callback, Checkpoint, CSVLogger, EarlyStopping, History
from gestura.training.finetune import FinetuneConfig, finetune
from gestura.training.trainer import FitConfig, FitData


def transfer_fit(prep: Any, cfg: Any, run_dir: Path, callbacks: tuple[Callback, ...] = ()
                 ) -> tuple[nn.Module, History, list[str]]:
    """Re-head the artifact for `prep`'s labels and fine-tune in two stages; returns (model, history, labels).

    `prep`'s datasets are rebuilt for the final label set (with replay, old labels are added); `callbacks` join
    stage B's early stopping, CSV log and checkpoints (e.g. an Optuna pruning callback)."""
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
    common = dict(pipeline=prep.pipeline, labels=labels, window=prep.window, stride=prep.stride,
                  label_rule=cfg.split.label_rule)
    train = WindowDataset(train_seqs, augment=prep.train.augment, max_per_class=cfg.data.max_per_class,
                          seed=cfg.seed, **common)
    val = WindowDataset(prep.val.sequences, **common) if prep.val is not None else None
    prep.train, prep.val, prep.test = train, val, WindowDataset(prep.test.sequences, **common)
    prep.labels = labels
    early = EarlyStopping(cfg.schedule.patience)
    stage_b = (early, CSVLogger(run_dir / "metrics.csv"), *callbacks, Checkpoint(run_dir / "checkpoints", [early]))
    config = FinetuneConfig(fit=FitConfig.from_train_config(cfg, stage_b), stage_a_epochs=cfg.transfer.stage_a_epochs,
                            backbone_lr_mult=cfg.transfer.backbone_lr_mult, l2sp=cfg.transfer.l2sp,
                            stage_a_callbacks=(CSVLogger(run_dir / "metrics_stage_a.csv"),))
    res = finetune(src, FitData(train, val, labels=labels), config)
    model = res.model
    model.transfer_info = {"from": str(cfg.transfer.init_from),  # type: ignore[assignment]
                           "shared_labels": getattr(model, "transfer_info")["shared_labels"]}
    return model, res.history, labels


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
    for lb in sorted({s.label for s in seqs if s.label is not None}):
        pool = [s for s in seqs if s.label == lb]
        take = rng.choice(len(pool), min(len(pool), cfg.transfer.replay_per_class), replace=False)
        out += [pool[i] for i in sorted(take)]
    return out
