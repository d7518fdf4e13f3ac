"""`fit`: one plain training loop with callbacks (minGPT-style), no framework.

AdamW, ReduceLROnPlateau on the monitored validation value, label-smoothed cross-entropy with optional class
weights, gradient clipping, early stopping, and a rich progress bar. Every epoch re-seeds torch from
(seed, epoch) and tells the dataset its epoch, so shuffling, dropout and augmentation of epoch `e` do not depend
on whether the run was resumed: `--resume` from `last.pt` gives the same weights as an uninterrupted run.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from gestura.training.callbacks import Callback, History, TrainState, load_checkpoint, restore
from gestura.training.config import OptimConfig, ScheduleConfig
from gestura.training.signer_losses import total_loss
from gestura.training import distributed as D

Penalty = Callable[[nn.Module], torch.Tensor]


def class_weights_from(targets: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights `(K,)`, mean 1 over the classes present."""
    counts = np.bincount(np.asarray(targets, dtype=np.int64), minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max((counts > 0).sum(), 1), 0.0)
    return torch.tensor(w, dtype=torch.float32)


def make_optimizer(model: nn.Module, optim: OptimConfig,
                   param_groups: list[dict[str, Any]] | None = None) -> torch.optim.Optimizer:
    """AdamW over trainable parameters (or the given groups)."""
    params = param_groups or [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=optim.lr, weight_decay=optim.weight_decay)


@torch.no_grad()
def predict_loader(model: nn.Module, loader: DataLoader) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities `(N, K)` and targets `(N,)` over a loader."""
    model.eval()
    probs, ys = [], []
    for x, m, y, *_ in loader:
        probs.append(torch.softmax(model(x, m), dim=-1).numpy())
        ys.append(y.numpy())
    if not probs:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
    return np.concatenate(probs), np.concatenate(ys)


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader | None, optim: OptimConfig,
        schedule: ScheduleConfig, callbacks: Sequence[Callback] = (), *, seed: int = 0,
        class_weights: torch.Tensor | None = None, penalty: Penalty | None = None,
        param_groups: list[dict[str, Any]] | None = None, resume_from: str | os.PathLike[str] | None = None,
        progress: bool = True, epoch_offset: int = 0, ctx: D.DistContext | None = None,
        precision: str = "fp32", accum_steps: int = 1) -> History:
    """Train `model` in place; returns the per-epoch `History`. The best weights (by `schedule.monitor` on
    validation, or the last epoch without validation) are loaded back at the end.

    Under torchrun pass `ctx=init_distributed()`: the train loader is sharded (same global batch), the model
    wrapped in DDP, and only rank 0 runs the callbacks that write (every rank runs EarlyStopping; rank 0's stop
    decision is broadcast). `precision` fp32|bf16|fp16 and `accum_steps` micro-batches per optimiser step."""
    from sklearn.metrics import f1_score

    ctx = ctx or D.DistContext()
    callbacks = [cb for cb in callbacks if ctx.is_main or type(cb).__name__ == "EarlyStopping"]
    prec = D.Precision.create(precision, ctx.device)
    if ctx.distributed and not D.is_sharded(train_loader):
        train_loader = D.shard_loader(train_loader, ctx, seed=seed)
    net = D.wrap_model(model, ctx)
    monitor = schedule.monitor if val_loader is not None else "train_loss"
    mode = "min" if monitor.endswith("loss") else "max"
    optimizer = make_optimizer(model, optim, param_groups)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=schedule.lr_factor,
                                                           patience=schedule.lr_patience, min_lr=schedule.min_lr)
    criterion = nn.CrossEntropyLoss(weight=class_weights, label_smoothing=optim.label_smoothing)
    state = TrainState(model=model, optimizer=optimizer, scheduler=scheduler, history=History(),
                       monitor=monitor, mode=mode)
    start = 0
    if resume_from is not None and Path(resume_from).is_file():
        start = restore(load_checkpoint(resume_from), state, callbacks)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for cb in callbacks:
        cb.on_train_begin(state)
    show = progress and sys.stderr.isatty() and ctx.is_main
    for epoch in range(start, schedule.epochs):
        if state.history.rows and state.history.stopped_early:
            break
        t0 = time.perf_counter()
        torch.manual_seed(seed * 100_003 + epoch + epoch_offset)
        ds = train_loader.dataset
        if hasattr(ds, "set_epoch"):
            ds.set_epoch(epoch + epoch_offset)
        D.set_epoch(train_loader, epoch + epoch_offset)
        net.train()
        total, n = 0.0, 0
        with _bar(show, len(train_loader), f"epoch {epoch + 1}/{schedule.epochs}") as advance:
            for step, (x, m, y, *extra) in enumerate(train_loader):
                x, m, y = x.to(ctx.device), m.to(ctx.device), y.to(ctx.device)
                signers = extra[0].to(ctx.device) if extra else None
                with D.accumulate(net, step, accum_steps) as sync, prec.autocast():
                    loss = total_loss(model, net(x, m).float(), y, criterion, signers)
                    if penalty is not None:
                        loss = loss + penalty(model)
                    prec.backward(loss / accum_steps)
                if sync or step + 1 == len(train_loader):
                    prec.step(optimizer, model, optim.grad_clip)
                    optimizer.zero_grad(set_to_none=True)
                total += float(loss.detach()) * len(y)
                n += len(y)
                advance()
        row: dict[str, float] = {"epoch": epoch + 1, "train_loss": D.all_reduce_mean(total / max(n, 1), ctx),
                                 "lr": float(optimizer.param_groups[0]["lr"])}
        if val_loader is not None:
            proba, yv = predict_loader(model, val_loader)
            if len(yv):
                p = torch.from_numpy(np.clip(proba, 1e-12, 1.0))
                row["val_loss"] = float(nn.functional.nll_loss(torch.log(p), torch.from_numpy(yv)))
                pred = proba.argmax(1)
                row["val_accuracy"] = float((pred == yv).mean())
                row["val_macro_f1"] = float(f1_score(yv, pred, average="macro", zero_division=0))
        row["seconds"] = time.perf_counter() - t0
        value = row.get(monitor, row["train_loss"])
        scheduler.step(value)
        best = state.history.best_value
        improved = best is None or (value < best - 1e-6 if mode == "min" else value > best + 1e-6)
        if improved:
            state.history.best_value, state.history.best_epoch = float(value), epoch + 1
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        state.history.rows.append(row)
        state.epoch, state.metrics, state.improved, state.stop = epoch, row, improved, False
        for cb in callbacks:
            cb.on_epoch_end(state)
        state.stop = D.broadcast_flag(state.stop, ctx)
        if show:
            print(_describe(row), file=sys.stderr)
        if state.stop:
            break
    if resume_from is not None and start > 0 and state.history.best_epoch > 0:
        best_path = Path(resume_from).with_name("best.pt")
        if best_path.is_file() and state.history.best_epoch <= start:
            best_state = load_checkpoint(best_path)["model"]
    model.load_state_dict(best_state)
    for cb in callbacks:
        cb.on_train_end(state)
    return state.history


def _describe(row: dict[str, float]) -> str:
    return "  ".join(f"{k}={v:.4g}" if isinstance(v, float) and not math.isnan(v) else f"{k}={v}"
                     for k, v in row.items())


class _bar:
    """A rich progress bar when stderr is a terminal; otherwise a no-op."""

    def __init__(self, show: bool, total: int, desc: str) -> None:
        self.show, self.total, self.desc = show, total, desc
        self._p: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.show:
            return lambda: None
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.start()
        task = self._p.add_task(self.desc, total=self.total)
        return lambda: self._p.advance(task)

    def __exit__(self, *exc: Any) -> None:
        if self._p is not None:
            self._p.stop()
