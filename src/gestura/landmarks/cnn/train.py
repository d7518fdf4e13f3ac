"""Training of the landmark CNN on a teacher dataset (`gestura landmarks train`).

`gestura.training.trainer.fit` is built for sequence classifiers (batches `(x, mask, y)`, cross-entropy,
accuracy/F1 monitoring), so this is a small loop in the same style: AdamW, cosine schedule with warm-up,
gradient clipping, early stopping on held-out error, best weights kept, a CSV log, a safetensors + JSON artifact.
Held-out data are whole groups (videos, or photo folders) from the manifest, never frames of a training video.
Two kinds: `val` groups pick the epoch (best weights, early stopping); `held_out` groups are the test set, only
evaluated at the end, so the reported error was not used to choose anything.
"""

from __future__ import annotations

import csv
import io
import math
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
from gestura.landmarks.cnn.augment import CropAugment, augment_crop
from gestura.landmarks.cnn.evaluate import evaluate_landmark_model
from gestura.landmarks.cnn.heads import count_parameters, save_landmark_model
from gestura.landmarks.cnn.losses import landmark_loss
from gestura.landmarks.cnn.teacher import read_crops, read_manifest


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
    `max_minutes` > 0 stops after the epoch that passes that budget, and the cosine schedule then follows
    whichever runs out first, steps or minutes. `init` starts from a saved model folder
    (fine-tuning, e.g. on a user's own recordings; its width and input size win)."""
    from gestura.landmarks.cnn import create_landmark_model
    from gestura.landmarks.cnn.heads import load_landmark_model

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
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    total_steps = max(1, epochs * len(loader))
    warm = min(100, total_steps // 10)
    t_start = time.perf_counter()

    def done(step: int) -> float:
        """Share of the schedule used: by steps, or by wall time when `max_minutes` is the tighter budget (so the
        learning rate still anneals on a busy machine where the epochs do not all fit)."""
        frac = min(step, total_steps) / total_steps
        if max_minutes:
            frac = max(frac, min(1.0, (time.perf_counter() - t_start) / (60 * max_minutes)))
        return frac

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(warm, 1)) * 0.5 * (
        1 + math.cos(math.pi * done(s))))
    history: list[dict[str, float]] = []
    best, best_state, best_epoch, val_report, bad = math.inf, None, 0, None, 0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        train_ds.set_epoch(epoch)
        model.train()
        sums = {"loss": 0.0, "wing": 0.0, "bce": 0.0}
        n = 0
        for x, lm, vis, has in loader:
            pred, logits = model(x)
            loss, parts = landmark_loss(pred, logits, lm, vis, has)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            sched.step()
            sums["loss"] += float(loss.detach()) * len(x)
            sums["wing"] += parts["wing"] * len(x)
            sums["bce"] += parts["bce"] * len(x)
            n += len(x)
        row = {"epoch": epoch + 1, **{f"train_{k}": v / max(n, 1) for k, v in sums.items()},
               "lr": float(opt.param_groups[0]["lr"])}
        model.eval()
        if val:
            rep = evaluate_landmark_model(model, data_dir, list(val))["overall"]
            row.update({"val_err_box": rep["err_box"], "val_pck_0.1": rep["pck_0.1"]})
            if rep["err_box"] < best - 1e-6:
                best, best_epoch, val_report, bad = rep["err_box"], epoch + 1, rep, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
        else:
            best_epoch = epoch + 1
        row["seconds"] = time.perf_counter() - t0
        history.append(row)
        if progress:
            print(" ".join(f"{k}={v:.4g}" for k, v in row.items()), file=sys.stderr, flush=True)
        if bad >= patience or (max_minutes and time.perf_counter() - t_start > 60 * max_minutes):
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    out = Path(out_dir)
    report = evaluate_landmark_model(model, data_dir, list(held_out)) if held_out else None
    summary = {"arch": arch, "parameters": count_parameters(model), "train_groups":
               sorted({r["group"] for r in rows if r["source_id"] in train_ids}), "held_out": list(held_out),
               "val": list(val), "n_train_crops": len(train_ds), "epochs_run": len(history),
               "best_epoch": best_epoch, "seconds": time.perf_counter() - t_start, "val_report": val_report,
               "held_out_report": report["overall"] if report else None}
    save_landmark_model(model, out, **{k: v for k, v in summary.items() if k != "seconds"})
    buf = io.StringIO()
    keys = list(dict.fromkeys(k for r in history for k in r))
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    w.writerows(history)
    write_text(out / "train_log.csv", buf.getvalue())
    return {**summary, "history": history, "model_dir": str(out)}
