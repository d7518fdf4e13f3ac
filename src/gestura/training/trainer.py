"""`fit(model, data, config) -> FitResult`: THE training loop of gestura (minGPT-style, no framework).

Every model is trained here: `gestura train`, transfer and enrolment fine-tuning, the presentation recipe, the
sign variations and the landmark CNN. What differs between them is the data, not the loop: `FitData` holds the
training and validation sets, how a batch becomes a loss (default: label-smoothed cross-entropy with optional
class weights, plus the model's auxiliary loss) and how validation is scored (default: loss, accuracy and
macro-F1 on `val`). `FitConfig` holds the optimiser and schedule settings.

AdamW, gradient clipping, and a learning rate that follows `schedule`: "plateau" (ReduceLROnPlateau on the
monitored value, per epoch), "onecycle", "cosine" (linear warm-up, then cosine; both per step) or "constant".
Every epoch re-seeds torch from (seed, epoch) and tells the dataset its epoch, so shuffling, dropout and
augmentation of epoch `e` do not depend on whether the run was resumed: `resume_from` a `last.pt` gives the same
weights as an uninterrupted run.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

from gestura.data.dataset import WindowDataset, collate
from gestura.errors import ConfigError, InputError
from gestura.training import distributed as D
from gestura.training.callbacks import Callback, History, TrainState, load_checkpoint, restore
from gestura.training.signer_losses import total_loss

Penalty = Callable[[nn.Module], torch.Tensor]
BatchLoss = Callable[[nn.Module, Sequence[torch.Tensor]], "tuple[torch.Tensor, dict[str, float]] | None"]
"""`(net, batch on the device) -> (loss, extra per-batch numbers to average, e.g. loss parts)`; None skips the
batch (no step)."""
Validate = Callable[[nn.Module], dict[str, float]]
"""`model -> validation metrics` merged into the epoch's history row."""
Schedule = Literal["plateau", "onecycle", "cosine", "constant"]


@dataclass(frozen=True)
class FitConfig:
    """How to train: optimiser, schedule, selection of the best epoch, callbacks, seed, progress.

    The defaults are `gestura train`'s (`OptimConfig`/`ScheduleConfig`). `monitor` picks the best epoch (and
    drives "plateau") when there is validation; it is minimised when it names a loss or an error (`*loss`,
    `*err*`), maximised otherwise. Without validation the monitor is `train_loss`.
    """

    epochs: int = 40
    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    grad_clip: float | None = 1.0
    class_weights: bool = False
    schedule: Schedule = "plateau"
    monitor: str = "val_loss"
    lr_factor: float = 0.5
    lr_patience: int = 3
    min_lr: float = 1e-5
    warmup: float = 0.1
    """onecycle: the fraction of steps rising to `lr`; cosine: the warm-up fraction (at most 100 steps)."""
    restore_best: bool = True
    """Load the best epoch's weights at the end (False: keep the last epoch's)."""
    callbacks: tuple[Callback, ...] = ()
    seed: int = 0
    epoch_offset: int = 0
    """Added to the epoch in the per-epoch seeds, so a second stage does not replay the first one's shuffles."""
    progress: bool = False
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    accum_steps: int = 1
    resume_from: str | None = None

    @classmethod
    def from_train_config(cls, cfg: Any, callbacks: Sequence[Callback] = (), **changes: Any) -> FitConfig:
        """The settings of a `TrainConfig` (its `optim` and `schedule`), with `changes` on top."""
        o, s = cfg.optim, cfg.schedule
        base = dict(epochs=s.epochs, lr=o.lr, batch_size=o.batch_size, weight_decay=o.weight_decay,
                    label_smoothing=o.label_smoothing, grad_clip=o.grad_clip, class_weights=o.class_weights,
                    monitor=s.monitor, lr_factor=s.lr_factor, lr_patience=s.lr_patience, min_lr=s.min_lr,
                    callbacks=tuple(callbacks), seed=cfg.seed, progress=cfg.progress, precision=o.precision,
                    accum_steps=o.accum_steps)
        return cls(**{**base, **changes})

    @property
    def mode(self) -> str:
        """`min` for losses and errors, else `max`."""
        return "min" if self.monitor.endswith("loss") or "err" in self.monitor else "max"


@dataclass
class FitData:
    """What `fit` trains on. `train`/`val` are datasets (batched by `FitConfig.batch_size`, validation by 256)
    or ready `DataLoader`s (kept as they are: a custom sampler, a generator, a sharded loader).

    `loss` and `validate` default to sequence classification: batches `(x (B, T, F), mask (B, T), y (B,),
    [signers (B,)])`. `labels` names the classes in target order (what a re-head maps by)."""

    train: Any
    val: Any = None
    labels: list[str] | None = None
    loss: BatchLoss | None = None
    validate: Validate | None = None
    collate: Callable[[list[Any]], Any] | None = None

    @classmethod
    def from_clips(cls, clips: Sequence[Any], pipeline: Any, labels: Sequence[str], window: int, *,
                   val_clips: Sequence[Any] | None = None, replay: Sequence[Any] = (), augment: Any = None,
                   seed: int = 0) -> FitData:
        """Windows of labelled clips (plus `replay` clips of old classes mixed into training), one window per
        `window` frames; a clip whose label is not in `labels` is skipped."""
        labels = [str(x) for x in labels]
        train = WindowDataset([*clips, *replay], pipeline, labels, window, stride=max(1, window), augment=augment,
                              seed=seed)
        if len(train) == 0:
            raise InputError("no training windows with a known label")
        val = WindowDataset(val_clips, pipeline, labels, window, stride=max(1, window)) if val_clips else None
        if val is not None and len(val) == 0:
            raise InputError("no validation windows with a known label")
        return cls(train=train, val=val, labels=labels, collate=collate)

    def loaders(self, batch_size: int) -> tuple[DataLoader, DataLoader | None]:
        """The training loader (shuffled) and the validation loader (in order, batches of 256)."""
        return (_as_loader(self.train, batch_size, True, self.collate),
                None if self.val is None else _as_loader(self.val, 256, False, self.collate))

    def targets(self) -> np.ndarray:
        """Class index of every training item (for class weights)."""
        ds: Any = self.train.dataset if isinstance(self.train, DataLoader) else self.train
        targets = getattr(ds, "targets", None)
        if targets is None:  # e.g. a TensorDataset of (x, mask, y): the third item of every sample
            targets = [int(ds[i][2]) for i in range(len(ds))]
        return np.asarray(targets, dtype=np.int64)


@dataclass
class FitResult:
    """The trained model (best weights loaded), its per-epoch history and the training time; `bundle` when the
    caller asked for an artifact (clip training, fine-tuning)."""

    model: nn.Module
    history: History
    seconds: float
    bundle: Any = None


def class_weights_from(targets: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights `(K,)`, mean 1 over the classes present."""
    counts = np.bincount(np.asarray(targets, dtype=np.int64), minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max((counts > 0).sum(), 1), 0.0)
    return torch.tensor(w, dtype=torch.float32)


def make_optimizer(model: nn.Module, optim: Any, param_groups: list[dict[str, Any]] | None = None
                   ) -> torch.optim.Optimizer:
    """AdamW over trainable parameters (or the given groups) at `optim.lr`, `optim.weight_decay`."""
    if param_groups:
        return torch.optim.AdamW(param_groups, lr=optim.lr, weight_decay=optim.weight_decay)
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=optim.lr,
                             weight_decay=optim.weight_decay)


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


def fit(model: nn.Module, data: FitData, config: FitConfig = FitConfig(), *,
        param_groups: list[dict[str, Any]] | None = None, penalty: Penalty | None = None,
        ctx: D.DistContext | None = None) -> FitResult:
    """Train `model` in place and return it with its `History`. The best weights (by `config.monitor` on
    validation, or the lowest training loss without validation) are loaded back at the end unless
    `config.restore_best` is False.

    `param_groups` replaces "every trainable parameter at `lr`" (e.g. a slower backbone); `penalty(model)` is
    added to every batch's loss (e.g. L2-SP). Under torchrun pass `ctx=init_distributed()`: the train loader is
    sharded (same global batch), the model wrapped in DDP, and only rank 0 runs the callbacks that write (every
    rank runs EarlyStopping; rank 0's stop decision is broadcast)."""
    ctx = ctx or D.DistContext()
    t_start = time.perf_counter()
    callbacks = [cb for cb in config.callbacks if ctx.is_main or type(cb).__name__ == "EarlyStopping"]
    prec = D.Precision.create(config.precision, ctx.device)
    train_loader, val_loader = data.loaders(config.batch_size)
    if ctx.distributed and not D.is_sharded(train_loader):
        train_loader = D.shard_loader(train_loader, ctx, seed=config.seed)
    net = D.wrap_model(model, ctx)
    has_val = val_loader is not None or data.validate is not None
    monitor = config.monitor if has_val else "train_loss"
    mode = config.mode if has_val else "min"
    optimizer = make_optimizer(model, config, param_groups)
    scheduler, per_step = _scheduler(optimizer, config, mode, len(train_loader))
    weights = None
    if config.class_weights:
        targets = data.targets()
        weights = class_weights_from(targets, len(data.labels) if data.labels else int(targets.max()) + 1
                                     ).to(ctx.device)
    batch_loss = data.loss or _classification_loss(model, weights, config.label_smoothing)
    validate = data.validate or (_classification_metrics(val_loader) if val_loader is not None else None)
    state = TrainState(model=model, optimizer=optimizer, scheduler=scheduler, history=History(),
                       monitor=monitor, mode=mode)
    start = 0
    if config.resume_from is not None and Path(config.resume_from).is_file():
        start = restore(load_checkpoint(config.resume_from), state, callbacks)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for cb in callbacks:
        cb.on_train_begin(state)
    show = config.progress and sys.stderr.isatty() and ctx.is_main
    for epoch in range(start, config.epochs):
        if state.history.rows and state.history.stopped_early:
            break
        t0 = time.perf_counter()
        torch.manual_seed(config.seed * 100_003 + epoch + config.epoch_offset)
        ds = train_loader.dataset
        if hasattr(ds, "set_epoch"):
            ds.set_epoch(epoch + config.epoch_offset)
        D.set_epoch(train_loader, epoch + config.epoch_offset)
        net.train()
        total, n = 0.0, 0
        sums: dict[str, float] = {}
        with _bar(show, len(train_loader), f"epoch {epoch + 1}/{config.epochs}") as advance:
            for step, batch in enumerate(train_loader):
                batch = [b.to(ctx.device) for b in batch]
                with D.accumulate(net, step, config.accum_steps) as sync, prec.autocast():
                    out = batch_loss(net, batch)
                    if out is None:
                        continue
                    loss, parts = out
                    if penalty is not None:
                        loss = loss + penalty(model)
                    prec.backward(loss / config.accum_steps)
                if sync or step + 1 == len(train_loader):
                    prec.step(optimizer, model, config.grad_clip)
                    optimizer.zero_grad(set_to_none=True)
                    if per_step:
                        scheduler.step()
                k = len(batch[0])
                total += float(loss.detach()) * k
                for name, v in parts.items():
                    sums[name] = sums.get(name, 0.0) + float(v) * k
                n += k
                advance()
        row: dict[str, float] = {"epoch": epoch + 1,
                                 "train_loss": D.all_reduce_mean(total / max(n, 1), ctx),
                                 **{f"train_{name}": v / max(n, 1) for name, v in sums.items()},
                                 "lr": float(optimizer.param_groups[0]["lr"])}
        if validate is not None:
            row.update(validate(model))
        row["seconds"] = time.perf_counter() - t0
        value = row.get(monitor, row["train_loss"])
        if scheduler is not None and not per_step:
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
    if config.resume_from is not None and start > 0 and state.history.best_epoch > 0:
        best_path = Path(config.resume_from).with_name("best.pt")
        if best_path.is_file() and state.history.best_epoch <= start:
            best_state = load_checkpoint(best_path)["model"]
    if config.restore_best:
        model.load_state_dict(best_state)
    for cb in callbacks:
        cb.on_train_end(state)
    return FitResult(model, state.history, time.perf_counter() - t_start)


def _classification_loss(model: nn.Module, weights: torch.Tensor | None, label_smoothing: float) -> BatchLoss:
    """Cross-entropy (+ the model's auxiliary loss, fed the 4th batch item as signer ids when present)."""
    criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=label_smoothing)

    def loss(net: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        x, m, y, *extra = batch
        return total_loss(model, net(x, m).float(), y, criterion, extra[0] if extra else None), {}

    return loss


def _classification_metrics(loader: DataLoader) -> Validate:
    """`val_loss`, `val_accuracy` and `val_macro_f1` over a loader of `(x, mask, y)` batches."""
    def validate(model: nn.Module) -> dict[str, float]:
        from sklearn.metrics import f1_score

        proba, yv = predict_loader(model, loader)
        if not len(yv):
            return {}
        p = torch.from_numpy(np.clip(proba, 1e-12, 1.0))
        pred = proba.argmax(1)
        return {"val_loss": float(nn.functional.nll_loss(torch.log(p), torch.from_numpy(yv))),
                "val_accuracy": float((pred == yv).mean()),
                "val_macro_f1": float(f1_score(yv, pred, average="macro", zero_division=0))}

    return validate


def _scheduler(optimizer: torch.optim.Optimizer, config: FitConfig, mode: str, steps_per_epoch: int
               ) -> tuple[Any, bool]:
    """The learning-rate scheduler of `config.schedule` and whether it steps per optimiser step."""
    steps = max(1, config.epochs * math.ceil(max(steps_per_epoch, 1) / config.accum_steps))
    if config.schedule == "plateau":
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min" if mode == "min" else "max", factor=config.lr_factor, patience=config.lr_patience,
            min_lr=config.min_lr)
        return plateau, False
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in optimizer.param_groups],
                                                   total_steps=steps, pct_start=config.warmup), True
    if config.schedule == "cosine":
        warm = max(1, min(100, int(steps * config.warmup + 1e-9)))
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (
            1 + math.cos(math.pi * min(s, steps) / steps))), True
    if config.schedule == "constant":
        return None, False
    raise ConfigError(f"schedule {config.schedule!r} unknown; choose plateau, onecycle, cosine or constant")


def _as_loader(data: Any, batch_size: int, shuffle: bool, collate: Callable[[list[Any]], Any] | None
               ) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if not isinstance(data, Dataset) and not hasattr(data, "__getitem__"):
        raise TypeError(f"FitData: expected a Dataset or DataLoader, got {type(data).__name__}")
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, num_workers=0)


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


__all__ = ["BatchLoss", "FitConfig", "FitData", "FitResult", "Penalty", "Validate", "class_weights_from", "fit",
           "make_optimizer", "predict_loader"]
