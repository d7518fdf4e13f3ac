"""Training callbacks: early stopping, best/last checkpoints (with optimizer, scheduler and RNG state), CSV log.

A callback sees the `TrainState` after every epoch; setting `state.stop = True` ends training. Each callback
keeps its own small state in `state_dict`/`load_state_dict`, which `Checkpoint` stores so `--resume` continues
exactly where the last run stopped. Checkpoints are written with `torch.save` and read with
`torch.load(weights_only=True)` (tensors, numbers, strings, lists and dicts only; no pickled objects).
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gestura.errors import ModelFileError
from gestura.io import atomic_write, write_text


@dataclass
class History:
    """Per-epoch metrics (`rows`, one dict per epoch) and the best epoch by the monitored value."""

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    best_value: float | None = None
    stopped_early: bool = False

    def column(self, key: str) -> list[float]:
        return [r.get(key, math.nan) for r in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "best_epoch": self.best_epoch, "best_value": self.best_value,
                "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(rows=[dict(r) for r in d.get("rows", [])], best_epoch=int(d.get("best_epoch", -1)),
                   best_value=d.get("best_value"), stopped_early=bool(d.get("stopped_early", False)))


@dataclass
class TrainState:
    """What callbacks see: model, optimizer, scheduler, epoch (0-based, finished), metrics, history."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    history: History
    monitor: str
    mode: str
    epoch: int = -1
    metrics: dict[str, float] = field(default_factory=dict)
    stop: bool = False
    improved: bool = False


class Callback:
    """Base class: override what you need."""

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, d: dict[str, Any]) -> None: ...


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for `patience` epochs."""

    def __init__(self, patience: int) -> None:
        self.patience = int(patience)
        self.bad_epochs = 0

    def on_epoch_end(self, state: TrainState) -> None:
        self.bad_epochs = 0 if state.improved else self.bad_epochs + 1
        if self.bad_epochs >= self.patience:
            state.stop = True
            state.history.stopped_early = True

    def state_dict(self) -> dict[str, Any]:
        return {"bad_epochs": self.bad_epochs}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.bad_epochs = int(d.get("bad_epochs", 0))


class CSVLogger(Callback):
    """Rewrite `metrics.csv` (one row per epoch) after every epoch."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def on_epoch_end(self, state: TrainState) -> None:
        rows = state.history.rows
        keys = list(dict.fromkeys(k for r in rows for k in r))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
        write_text(self.path, buf.getvalue())


class Checkpoint(Callback):
    """Save `last.pt` after every epoch and `best.pt` when the monitored value improves.

    A checkpoint holds model, optimizer and scheduler state, the history, every callback's state and the
    torch/numpy/python RNG states, so `restore` + training again gives the same result as never stopping.
    """

    def __init__(self, directory: str | os.PathLike[str], callbacks: list[Callback] | None = None) -> None:
        self.dir = Path(directory)
        self.callbacks = callbacks if callbacks is not None else []

    @property
    def last(self) -> Path:
        return self.dir / "last.pt"

    @property
    def best(self) -> Path:
        return self.dir / "best.pt"

    def on_epoch_end(self, state: TrainState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        blob = self._pack(state)
        if state.improved:
            _save(blob, self.best)
        _save(blob, self.last)

    def _pack(self, state: TrainState) -> dict[str, Any]:
        return {
            "epoch": state.epoch,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": state.scheduler.state_dict() if state.scheduler is not None else {},
            "history": state.history.to_dict(),
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "rng": {"torch": torch.get_rng_state(), "numpy": _np_state(), "python": _py_state()},
        }


class PruningCallback(Callback):
    """Report the validation objective to an Optuna trial after every epoch; prune when its pruner says so."""

    def __init__(self, trial: Any, objective: str) -> None:
        self.trial, self.objective = trial, objective

    def on_epoch_end(self, state: TrainState) -> None:
        import optuna

        value = state.metrics.get(self.objective)
        if value is None:
            return
        self.trial.report(float(value), state.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint with `weights_only=True`; a missing or corrupt file is a one-line `ModelFileError`."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{p}: checkpoint not found (nothing to resume)")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelFileError(f"{p}: unreadable checkpoint ({type(err).__name__})") from None


def restore(ckpt: dict[str, Any], state: TrainState, callbacks: list[Callback]) -> int:
    """Put a checkpoint back into model/optimizer/scheduler/callbacks/RNGs; returns the next epoch."""
    try:
        state.model.load_state_dict(ckpt["model"])
        state.optimizer.load_state_dict(ckpt["optimizer"])
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise ModelFileError(f"checkpoint does not fit this model (different --model, --data labels or "
                             f"features?): {first}") from None
    if state.scheduler is not None and ckpt.get("scheduler"):
        state.scheduler.load_state_dict(ckpt["scheduler"])
    state.history = History.from_dict(ckpt["history"])
    for cb, d in zip(callbacks, ckpt.get("callbacks", [])):
        cb.load_state_dict(d)
    rng = ckpt.get("rng", {})
    if "torch" in rng:
        torch.set_rng_state(rng["torch"])
    if "numpy" in rng:
        np.random.set_state(_np_unpack(rng["numpy"]))
    if "python" in rng:
        random.setstate(_py_unpack(rng["python"]))
    return int(ckpt["epoch"]) + 1


def _save(blob: dict[str, Any], path: Path) -> None:
    with atomic_write(path, "wb") as f:
        torch.save(blob, f)


def _np_state() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"name": name, "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
            "has_gauss": int(has_gauss), "cached": float(cached)}


def _np_unpack(d: dict[str, Any]) -> tuple[Any, ...]:
    return (d["name"], d["keys"].numpy().astype(np.uint32), d["pos"], d["has_gauss"], d["cached"])


def _py_state() -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    return {"version": version, "internal": torch.tensor(internal, dtype=torch.int64),
            "gauss": gauss if gauss is not None else float("nan")}


def _py_unpack(d: dict[str, Any]) -> tuple[Any, ...]:
    gauss = d["gauss"]
    return (d["version"], tuple(int(x) for x in d["internal"].tolist()),
            None if isinstance(gauss, float) and math.isnan(gauss) else gauss)
