"""Training of the landmark CNN on a teacher dataset (`gestura landmarks train`) through `fit`.

The model, teacher, losses and tracker live in `gestura.landmarks.cnn`; this module gives the one training loop
(`gestura.training.trainer.fit`) the crops, the landmark loss (wing + presence) and the validation error: AdamW,
cosine schedule with warm-up, gradient clipping, early stopping on validation error, best weights kept, a CSV log,
a safetensors + JSON artifact. Held-out data are whole groups (videos, or photo folders) from the manifest, never
frames of a training video. Two kinds: `val` groups pick the epoch (best weights, early stopping); `held_out`
groups are the test set, only evaluated at the end, so the reported error was not used to choose anything.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from gestura.errors import ConfigError, InputError
from gestura.io import write_text
from gestura.landmarks.cnn import create_landmark_model
from gestura.landmarks.cnn.augment import CropAugment, augment_crop
from gestura.landmarks.cnn.evaluate import evaluate_landmark_model
from gestura.landmarks.cnn.heads import count_parameters, load_landmark_model, save_landmark_model
from gestura.landmarks.cnn.losses import landmark_loss
from gestura.landmarks.cnn.teacher import read_crops, read_manifest
from gestura.training.callbacks import Callback, EarlyStopping, TrainState
from gestura.training.trainer import FitConfig, FitData, fit


class CropDataset(Dataset):
    """Teacher crops of some sources -> `(x (3, S, S) float in [0, 1], landmarks (21, 3), visible (21,),
    has_hand ())`. Hand crops that fail the quality flags are dropped; background crops are kept.

    Augmentation of item i in epoch e is seeded by (seed, e, i), so a run is reproducible."""

    def __init__(self, data_dir: str | os.PathLike[str], source_ids: Sequence[str], input_size: int,
                 augment: CropAugment | None = None, seed: int = 0) -> None:
        crops, lms, bg, left = [], [], [], []
        for sid in source_ids:
            d = read_crops(data_dir, sid)
            keep = d["ok"] | d["background"]
            crops.append(d["crops"][keep])
            lms.append(d["landmarks"][keep])
            bg.append(d["background"][keep])
            left.append(d["hand_left"][keep])
        if not crops or sum(len(c) for c in crops) == 0:
            raise InputError(f"{data_dir}: no usable crops in sources {list(source_ids)[:5]}")
        self.crops, self.lms = np.concatenate(crops), np.concatenate(lms)
        self.background, self.hand_left = np.concatenate(bg), np.concatenate(left)
        self.input_size, self.augment, self.seed, self.epoch = input_size, augment, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.crops)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        rng = np.random.default_rng((self.seed, self.epoch, i))
        vis = np.zeros(21, np.float32) if self.background[i] else np.ones(21, np.float32)
        img, lm, vis, _ = augment_crop(self.crops[i], self.lms[i], vis, rng, self.input_size,
                                       self.augment or CropAugment.off(), bool(self.hand_left[i]))
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float() / 255.0
        return x, torch.from_numpy(lm), torch.from_numpy(vis), torch.tensor(float(not self.background[i]))


def split_sources(rows: Sequence[dict[str, str]], held_out: Sequence[str]) -> tuple[list[str], list[str]]:
    """(train source ids, held-out source ids) by group."""
    groups = {r["group"] for r in rows}
    missing = set(held_out) - groups
    if missing:
        raise ConfigError(f"held-out group(s) {sorted(missing)} not in the dataset; groups: {sorted(groups)}")
    train = [r["source_id"] for r in rows if r["group"] not in held_out]
    val = [r["source_id"] for r in rows if r["group"] in held_out]
    if not train:
        raise ConfigError("every group is held out: nothing left to train on")
    return train, val


def train_landmark_model(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                         arch: str = "mobilenetv3_small_hand", width: float | None = None,
                         input_size: int | None = None, held_out: Sequence[str] = (), epochs: int = 20,
                         batch_size: int = 32, lr: float = 2e-3, weight_decay: float = 1e-4,
                         grad_clip: float = 5.0, patience: int = 6, seed: int = 0, threads: int = 2,
                         val: Sequence[str] = (),
                         augment: CropAugment | None = CropAugment(), max_minutes: float = 0.0,
                         init: str | os.PathLike[str] | None = None, progress: bool = True) -> dict[str, Any]:
    """Train on every group but `held_out` and `val`, keep the weights with the lowest error on `val` (the last
    weights when there is no `val`), write the model to `out_dir` and return a summary (history, a report on
    `val`, and a report on the `held_out` test groups, which choose nothing).
    `max_minutes` > 0 stops after the epoch that passes that budget. `init` starts from a saved model folder
    (fine-tuning, e.g. on a user's own recordings; its width and input size win)."""
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    overrides = {k: v for k, v in (("width", width), ("input_size", input_size)) if v is not None}
    model = load_landmark_model(init)[0] if init is not None else create_landmark_model(arch, **overrides)
    rows = read_manifest(data_dir)
    overlap = set(val) & set(held_out)
    if overlap:
        raise ConfigError(f"group(s) {sorted(overlap)} are both validation and held-out test groups")
    train_ids, _ = split_sources(rows, [*held_out, *val])
    train_ds = CropDataset(data_dir, train_ids, model.input_size, augment, seed)
    loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, drop_last=len(train_ds) > batch_size,
                        generator=torch.Generator().manual_seed(seed))
    reports: list[dict[str, Any]] = []

    def loss(net: Any, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        x, lm, vis, has = batch
        pred, logits = net(x)
        value, parts = landmark_loss(pred, logits, lm, vis, has)
        return value, {"wing": parts["wing"], "bce": parts["bce"]}

    def validate(net: Any) -> dict[str, float]:
        net.eval()
        rep = evaluate_landmark_model(net, data_dir, list(val))["overall"]
        reports.append(rep)
        return {"val_err_box": rep["err_box"], "val_pck_0.1": rep["pck_0.1"]}

    callbacks: list[Callback] = [EarlyStopping(patience)] if val else []
    if max_minutes:
        callbacks.append(TimeBudget(max_minutes))
    if progress:
        callbacks.append(PrintRows())
    config = FitConfig(epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay, grad_clip=grad_clip,
                       schedule="cosine", warmup=0.1, monitor="val_err_box", restore_best=bool(val),
                       callbacks=tuple(callbacks), seed=seed)
    res = fit(model, FitData(loader, loss=loss, validate=validate if val else None), config)
    history = res.history.rows
    best_epoch = res.history.best_epoch if val else len(history)
    val_report = reports[best_epoch - 1] if val else None
    model.eval()
    out = Path(out_dir)
    report = evaluate_landmark_model(model, data_dir, list(held_out)) if held_out else None
    summary = {"arch": arch, "parameters": count_parameters(model), "train_groups":
               sorted({r["group"] for r in rows if r["source_id"] in train_ids}), "held_out": list(held_out),
               "val": list(val), "n_train_crops": len(train_ds), "epochs_run": len(history),
               "best_epoch": best_epoch, "seconds": res.seconds, "val_report": val_report,
               "held_out_report": report["overall"] if report else None}
    save_landmark_model(model, out, **{k: v for k, v in summary.items() if k != "seconds"})
    buf = io.StringIO()
    keys = list(dict.fromkeys(k for r in history for k in r))
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    w.writerows(history)
    write_text(out / "train_log.csv", buf.getvalue())
    return {**summary, "history": history, "model_dir": str(out)}


class TimeBudget(Callback):
    """Stop after the epoch that passes `minutes` of training."""

    def __init__(self, minutes: float) -> None:
        self.minutes = float(minutes)
        self.t0 = time.perf_counter()

    def on_train_begin(self, state: TrainState) -> None:
        self.t0 = time.perf_counter()

    def on_epoch_end(self, state: TrainState) -> None:
        if time.perf_counter() - self.t0 > 60 * self.minutes:
            state.stop = True


class PrintRows(Callback):
    """One `key=value` line per epoch on stderr (also when stderr is not a terminal)."""

    def on_epoch_end(self, state: TrainState) -> None:
        print(" ".join(f"{k}={v:.4g}" for k, v in state.metrics.items()), file=sys.stderr, flush=True)
