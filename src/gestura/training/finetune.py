"""`finetune(bundle, data, config)`: adapt a trained artifact to a (new) label set, the one fine-tuning recipe.

Used by `gestura train --init-from` (`transfer.transfer_fit`), by enrolment (`enroll.adapt`) and by any script
that starts from a trained model.

1. Re-head: "the head" is the model's classifier, the layer that outputs one logit per class:
   `model.get_classifier()` where the model defines it (its `reset_classifier(num_classes)` then gives it the
   new size), else `model.head` when that is a Linear, else the last Linear with one output per class. Every
   other weight is kept; classifier rows of labels both sets share are copied, new labels start from a fresh
   (seeded) initialisation.
2. Stage A: only the classifier trains, the rest frozen, for `stage_a_epochs`.
3. Stage B (`config.fit.epochs` > 0): everything trains, the backbone at `backbone_lr_mult` x the classifier's
   rate, with an optional L2-SP penalty `l2sp * sum((w - w0)^2)` pulling the backbone towards its pre-trained
   weights. Replay windows of the old classes are simply part of `data` (`FitData.from_clips(..., replay=)`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from gestura.artifact import ModelBundle
from gestura.errors import InputError, SchemaError
from gestura.models import create_model, model_config
from gestura.training.callbacks import Callback, History
from gestura.training.trainer import FitConfig, FitData, FitResult, fit


@dataclass(frozen=True)
class FinetuneConfig:
    """Stage A (classifier only) epochs, then stage B with `fit` (its `epochs`, `lr` for the classifier,
    callbacks), the backbone at `backbone_lr_mult` x `lr` and an optional L2-SP weight."""

    fit: FitConfig = field(default_factory=FitConfig)
    stage_a_epochs: int = 3
    backbone_lr_mult: float = 0.1
    l2sp: float = 0.0
    stage_a_callbacks: tuple[Callback, ...] = ()


def classifier(model: nn.Module, num_classes: int | None = None) -> tuple[str, nn.Module]:
    """`(name, module)` of the model's classifier: `get_classifier()` when the model has it, else `model.head`
    if it is a Linear, else the last Linear with `num_classes` outputs (default: the model's `cfg.num_classes`)."""
    names = {id(m): n for n, m in model.named_modules()}
    get = getattr(model, "get_classifier", None)
    if callable(get):
        module = get()
        if id(module) in names:
            return names[id(module)], module
    k = num_classes if num_classes is not None else getattr(getattr(model, "cfg", None), "num_classes", None)
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear) and (k is None or head.out_features == k):
        return "head", head
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear) and m.out_features == k]
    if not found:
        raise SchemaError(f"{type(model).__name__}: no classifier (no Linear layer with {k} outputs) to re-head")
    return found[-1]


def rehead(model: nn.Module, old_labels: Sequence[str], new_labels: Sequence[str]) -> tuple[nn.Module, int]:
    """A copy of `model` with one classifier row per `new_labels` entry; rows of shared labels are copied, every
    other weight is kept. Returns the new model and how many labels were shared. Draws from torch's RNG (the new
    classifier's initialisation): seed it first for a reproducible result."""
    old_name, old_head = classifier(model, len(old_labels))
    old_rows = {k: v.detach().clone() for k, v in old_head.state_dict().items()}
    k_new = len(new_labels)
    if callable(getattr(model, "reset_classifier", None)):
        net = copy.deepcopy(model)
        getattr(net, "reset_classifier")(k_new)
        cfg = getattr(net, "cfg", None)
        if cfg is not None and getattr(cfg, "num_classes", k_new) != k_new:
            net.cfg = dataclasses.replace(cfg, num_classes=k_new)
    else:
        arch = model_config(model)
        net = create_model(arch["name"], **{**arch["params"], "num_classes": k_new})
        state = net.state_dict()
        prefix = old_name + "."
        for key, v in model.state_dict().items():
            if key.startswith(prefix) or key not in state:
                continue
            if state[key].shape != v.shape:
                raise SchemaError(f"weight {key!r} has shape {tuple(v.shape)} in the artifact, "
                                  f"{tuple(state[key].shape)} in the new model")
            state[key] = v.clone()
        net.load_state_dict(state)
    name, head = classifier(net, k_new)
    if name != old_name:
        raise SchemaError(f"classifiers differ between models ({old_name!r} vs {name!r})")
    index = {str(lb): i for i, lb in enumerate(old_labels)}
    shared = [(j, index[str(lb)]) for j, lb in enumerate(new_labels) if str(lb) in index]
    new_rows = head.state_dict()
    k_old = len(old_labels)
    with torch.no_grad():
        for key, w in new_rows.items():
            old = old_rows.get(key)
            if old is None:
                continue
            if old.shape[:1] == (k_old,) and w.shape[:1] == (k_new,) and old.shape[1:] == w.shape[1:]:
                for j, i in shared:  # one row per class: copy by label
                    w[j] = old[i]
            elif old.shape == w.shape:  # a classifier with inner layers (an MLP head): keep them
                w.copy_(old)
    head.load_state_dict(new_rows)
    return net, len(shared)


def finetune(bundle: ModelBundle, data: FitData, config: FinetuneConfig = FinetuneConfig()) -> FitResult:
    """Re-head `bundle`'s model for `data.labels`, train stage A then stage B; returns the model, the history of
    both stages (rows tagged `stage` A/B) and a new bundle (the source's features, window and meta)."""
    if not data.labels:
        raise InputError("finetune: the data must name its labels (FitData.labels)")
    labels = [str(x) for x in data.labels]
    torch.manual_seed(config.fit.seed)
    net, n_shared = rehead(bundle.model, bundle.labels, labels)
    head_name, head = classifier(net, len(labels))
    head_ids = {id(p) for p in head.parameters()}
    rows: list[dict[str, Any]] = []
    seconds = 0.0
    if config.stage_a_epochs > 0:
        for p in net.parameters():
            p.requires_grad = id(p) in head_ids
        res = fit(net, data, dataclasses.replace(config.fit, epochs=config.stage_a_epochs,
                                                 callbacks=config.stage_a_callbacks, resume_from=None))
        rows += [{**r, "stage": "A"} for r in res.history.rows]
        seconds += res.seconds
        for p in net.parameters():
            p.requires_grad = True
    history = History()
    if config.fit.epochs > 0:
        backbone = [p for p in net.parameters() if id(p) not in head_ids]
        anchors = [p.detach().clone() for p in backbone]
        penalty = None
        if config.l2sp > 0:
            lam = config.l2sp

            def penalty(_: nn.Module) -> torch.Tensor:
                total = torch.zeros(())
                for p, a in zip(backbone, anchors):
                    total = total + ((p - a) ** 2).sum()
                return lam * total

        groups = [{"params": backbone, "lr": config.fit.lr * config.backbone_lr_mult},
                  {"params": list(head.parameters()), "lr": config.fit.lr}]
        res = fit(net, data, dataclasses.replace(config.fit, epoch_offset=config.fit.epoch_offset
                                                 + config.stage_a_epochs), param_groups=groups, penalty=penalty)
        history = res.history
        seconds += res.seconds
    history.rows = rows + [{**r, "stage": "B"} for r in history.rows]
    net.eval()
    net.transfer_info = {"shared_labels": n_shared, "classifier": head_name}  # type: ignore[assignment]
    out = ModelBundle(model=net, pipeline=bundle.pipeline, labels=labels, window=bundle.window,
                      stride=bundle.stride, meta=dict(bundle.meta), resample_fps=bundle.resample_fps)
    return FitResult(net, history, seconds, out)


__all__ = ["FinetuneConfig", "classifier", "finetune", "rehead"]
